/* SPDX-License-Identifier: MIT */
/*
 * ctl_pdu.c - "jifenctl pdu decode|encode" (SPEC section 5).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jifenctl/ctl_pdu.h"
#include "modem/pdu.h"

#define CTL_MAX_PARTS	255

static int usage(void)
{
	fputs("usage: jifenctl pdu decode [--no-smsc] HEX\n"
	      "       jifenctl pdu encode [--ucs2] NUMBER TEXT\n", stderr);
	return 2;
}

static const char *type_name(enum pdu_type t)
{
	switch (t) {
	case PDU_TYPE_SUBMIT:
		return "submit";
	case PDU_TYPE_STATUS_REPORT:
		return "status-report";
	default:
		return "deliver";
	}
}

static void add_time(cJSON *o, const char *name, const struct pdu_time *t)
{
	if (t->present)
		cJSON_AddStringToObject(o, name, t->iso);
	else
		cJSON_AddNullToObject(o, name);
}

/* The JSON object of SPEC section 5 for @p; NULL on allocation failure. */
static char *pdu_json(const struct sms_pdu *p, bool has_smsc)
{
	cJSON *o = cJSON_CreateObject(), *c;
	char *s = NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "type", type_name(p->type));
	if (has_smsc && p->smsc[0])
		cJSON_AddStringToObject(o, "smsc", p->smsc);
	else
		cJSON_AddNullToObject(o, "smsc");
	cJSON_AddStringToObject(o, p->type == PDU_TYPE_DELIVER ? "sender" :
				"recipient", p->addr);
	cJSON_AddStringToObject(o, "alphabet", pdu_alphabet_name(p->alphabet));
	if (p->msg_class >= 0)
		cJSON_AddNumberToObject(o, "class", p->msg_class);
	else
		cJSON_AddNullToObject(o, "class");
	cJSON_AddNumberToObject(o, "pid", p->pid);
	cJSON_AddNumberToObject(o, "dcs", p->dcs);
	add_time(o, "timestamp", &p->scts);
	if (p->concat.present) {
		c = cJSON_AddObjectToObject(o, "concat");
		if (c) {
			cJSON_AddNumberToObject(c, "ref", p->concat.ref);
			cJSON_AddNumberToObject(c, "total", p->concat.total);
			cJSON_AddNumberToObject(c, "seq", p->concat.seq);
		}
	}
	if (p->dst_port >= 0)
		cJSON_AddNumberToObject(o, "port", p->dst_port);
	if (p->alphabet == PDU_ALPHA_8BIT) {
		char hex[2 * PDU_DATA_MAX + 1];
		size_t i;

		for (i = 0; i < p->data_len; i++)
			snprintf(hex + 2 * i, 3, "%02X", p->data[i]);
		hex[2 * p->data_len] = '\0';
		cJSON_AddStringToObject(o, "data", hex);
	} else {
		cJSON_AddStringToObject(o, "text", p->text);
	}
	if (p->type != PDU_TYPE_DELIVER)
		cJSON_AddNumberToObject(o, "message_ref", p->message_ref);
	if (p->type == PDU_TYPE_STATUS_REPORT) {
		cJSON_AddNumberToObject(o, "status", p->status);
		add_time(o, "discharge_time", &p->discharge);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static int cmd_decode(int argc, char **argv)
{
	bool has_smsc = true;
	struct sms_pdu p;
	const char *why = "malformed PDU";
	char *hex, *json;
	size_t i, n = 0;
	int a = 1, err;

	if (a < argc && !strcmp(argv[a], "--no-smsc")) {
		has_smsc = false;
		a++;
	}
	if (argc - a != 1 || argv[a][0] == '-')
		return usage();
	hex = malloc(strlen(argv[a]) + 1);
	if (!hex) {
		fputs("jifenctl: pdu decode: out of memory\n", stderr);
		return 1;
	}
	for (i = 0; argv[a][i]; i++)	/* tolerate pasted spaces/newlines */
		if (!isspace((unsigned char)argv[a][i]))
			hex[n++] = argv[a][i];
	hex[n] = '\0';
	err = pdu_decode_hex(hex, has_smsc, &p, &why);
	free(hex);
	if (err) {
		fprintf(stderr, "jifenctl: pdu decode: %s\n", why);
		return 1;
	}
	json = pdu_json(&p, has_smsc);
	if (!json) {
		fputs("jifenctl: pdu decode: out of memory\n", stderr);
		return 1;
	}
	puts(json);
	cJSON_free(json);
	return 0;
}

static int cmd_encode(int argc, char **argv)
{
	struct pdu_submit_opts opts = { 0 };
	struct pdu_part *parts;
	const char *why = "cannot encode";
	size_t n = 0, i;
	uint32_t h = 2166136261u;
	const char *s;
	int a = 1, err;

	if (a < argc && !strcmp(argv[a], "--ucs2")) {
		opts.force_ucs2 = true;
		a++;
	}
	if (argc - a != 2 || (argv[a][0] == '-' && argv[a][1] == '-'))
		return usage();
	/* Deterministic concat reference: FNV-1a of number and text. */
	for (s = argv[a]; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (s = argv[a + 1]; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	opts.concat_ref = (uint16_t)(h & 0xff);
	parts = calloc(CTL_MAX_PARTS, sizeof(*parts));
	if (!parts) {
		fputs("jifenctl: pdu encode: out of memory\n", stderr);
		return 1;
	}
	err = pdu_encode_submit(argv[a], argv[a + 1], &opts, parts,
				CTL_MAX_PARTS, &n, &why);
	if (err) {
		fprintf(stderr, "jifenctl: pdu encode: %s\n", why);
		free(parts);
		return 1;
	}
	for (i = 0; i < n; i++)
		puts(parts[i].hex);
	free(parts);
	return 0;
}

int ctl_pdu(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "decode"))
		return cmd_decode(argc - 1, argv + 1);
	if (!strcmp(argv[1], "encode"))
		return cmd_encode(argc - 1, argv + 1);
	return usage();
}
