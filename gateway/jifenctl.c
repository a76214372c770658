/* SPDX-License-Identifier: MIT */
/*
 * jifenctl - the operator's tool (SPEC section 5).
 * Exit status: 0 success, 1 runtime error, 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/ctl_pdu.h"

static void usage(FILE *f)
{
	fputs("usage: jifenctl [-c FILE] COMMAND [ARGS]\n"
	      "commands:\n"
	      "  pdu decode [--no-smsc] HEX\n"
	      "  pdu encode [--ucs2] NUMBER TEXT\n", f);
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "pdu"))
		return ctl_pdu(argc - i, argv + i);
	fprintf(stderr, "jifenctl: unknown command '%s'\n", argv[i]);
	return 2;
}
