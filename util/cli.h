/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what every program's command line answers alike: -h/--help,
 * -V/--version, and an option or operand it does not know.
 *
 * A leaf: includes nothing of the project, so the programs and tools/
 * may use it.
 */
#ifndef JIFEN_UTIL_CLI_H
#define JIFEN_UTIL_CLI_H

#include <getopt.h>
#include <stdio.h>

/* The end of every program's long option table: --help, --version. */
#define CLI_STD_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }

/*
 * The answer to getopt's @opt when it is none of the program's own
 * options: 'h' prints @usage to stdout and gives exit status 0, 'V'
 * prints the line @version ("jifend 0.9.0") and gives 0, anything else
 * (an unknown option, '?', or a stray operand) prints @usage to stderr
 * and gives 2.  Returns that exit status.
 */
int cli_std_option(int opt, const char *version, void (*usage)(FILE *f));

#endif /* JIFEN_UTIL_CLI_H */
