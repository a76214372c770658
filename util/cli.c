/* SPDX-License-Identifier: MIT */
/*
 * cli.c - -h/--help, -V/--version and usage errors, answered alike by
 * every program (util/cli.h).
 */
#include "util/cli.h"

int cli_std_option(int opt, const char *version, void (*usage)(FILE *f))
{
	switch (opt) {
	case 'h':
		usage(stdout);
		return 0;
	case 'V':
		puts(version);
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}
