/* SPDX-License-Identifier: MIT */
/*
 * prog.c - the command line and the configuration file of a resident
 * program (gateway/prog.h).
 */
#include <string.h>

#include "config/config.h"
#include "gateway/prog.h"
#include "util/cli.h"

int prog_start(const struct prog *p, int argc, char **argv,
	       int (*option)(int opt, const char *arg, void *data),
	       void *data, struct prog_args *out, struct config *cfg)
{
	char err[512];
	int opt, rc;

	memset(out, 0, sizeof(*out));
	while ((opt = getopt_long(argc, argv, p->optstring, p->longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			out->config_path = optarg;
			break;
		case 's':
			out->use_syslog = true;
			break;
		case 'h':
		case 'V':
		case '?':
			return cli_std_option(opt, p->version, p->usage);
		default:
			rc = option(opt, optarg, data);
			if (rc >= 0)
				return rc;
			break;
		}
	}
	if (optind != argc)
		return cli_std_option('?', p->version, p->usage);
	if (!out->config_path)
		out->config_path = config_default_path();
	if (config_load(out->config_path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s%s\n", p->err_prefix, err);
		return 1;
	}
	return -1;
}
