/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_GATEWAY_PROG_H
#define JIFEN_GATEWAY_PROG_H

/*
 * prog - the start the resident programs share (jifend, jifen-web):
 * their command line, then their configuration file.
 *
 * Every such program takes -c FILE (the configuration, default
 * $JIFEN_CONFIG then CONFIG_DEFAULT_PATH), -s (syslog), -h/--help and
 * -V/--version (util/cli.h); it names its other options in @optstring
 * and @longopts and gets them through @option.
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct config;

/* How a program reads its command line (a row: set positionally). */
struct prog {
	const char *version;		/* the --version line */
	const char *optstring;		/* getopt_long's, with "c:s" */
	const struct option *longopts;	/* ending in CLI_STD_LONGOPTS */
	void (*usage)(FILE *f);
	const char *err_prefix;		/* starts a configuration error */
};

/* What prog_start() read from the command line. */
struct prog_args {
	const char *config_path;	/* borrowed: argv or the default */
	bool use_syslog;
};

/*
 * Read the command line @argc/@argv as @p describes (an operand is a
 * usage error), each of the program's own options going to @option
 * (its argument or NULL, and @data): -1 to go on, else the exit
 * status.  Then load the configuration file into @cfg; a problem with
 * it goes to stderr after @p->err_prefix.  Returns -1 to go on, else
 * the exit status: 0 after --help or --version, 2 for a usage error
 * (or what @option returned), 1 for a bad configuration.
 */
int prog_start(const struct prog *p, int argc, char **argv,
	       int (*option)(int opt, const char *arg, void *data),
	       void *data, struct prog_args *out, struct config *cfg);

#endif /* JIFEN_GATEWAY_PROG_H */
