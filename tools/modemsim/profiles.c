/* SPDX-License-Identifier: MIT */
/*
 * jifen-modemsim vendor profiles: every quirk of a modem family is a
 * field here, never a branch on the vendor's name elsewhere.
 * docs/SIMULATOR.md describes each profile.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modemsim_priv.h"

static const char *const generic_boot[] = { NULL };
static const char *const huawei_boot[] = { "^SYSSTART", "^SRVST: 2",
					   "^MODE: 5,4", NULL };
static const char *const simcom_boot[] = { "RDY", "+CFUN: 1", "@CPIN",
					   NULL };
static const char *const simcom_ready[] = { "Call Ready", "SMS Ready",
					    NULL };
static const char *const quectel_boot[] = { "RDY", "+CFUN: 1", "@CPIN",
					    "+QUSIM: 1", NULL };
static const char *const quectel_ready[] = { "+QIND: SMS DONE",
					     "+QIND: PB DONE", NULL };

/* Commands only one vendor answers; elsewhere they are ERROR. */
static const char *const huawei_cmds[] = { "^ICCID", "^CURC", "^SYSINFO",
					   NULL };
static const char *const simcom_cmds[] = { "+CCID", NULL };
static const char *const quectel_cmds[] = { "+QCCID", "+QURCCFG", "+QCFG",
					    NULL };

static const struct profile profiles[] = {
	{
		.name = "generic",
		.manufacturer = "Jifen",
		.model = "JIFEN-SIM-GSM",
		.revision = "1.0.0",
		.imei = "356938035643809",
		.ati = "Jifen JIFEN-SIM-GSM\nRevision: 1.0.0",
		.first_index = 1,
		.cnmi_test = "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)",
		.pin_query = "+CPINR",
		.boot = generic_boot,
		.ready = generic_boot,
		.cscs_default = "IRA",
	},
	{
		.name = "huawei",
		.manufacturer = "huawei",
		.model = "E3531",
		.revision = "22.521.26.00.00",
		.imei = "861234020000018",
		.ati = "Manufacturer: huawei\nModel: E3531\n"
		       "Revision: 22.521.26.00.00\nIMEI: 861234020000018\n"
		       "+GCAP: +CGSM,+DS,+ES",
		.first_index = 0,
		.cnmi_test = "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,2),(0,1)",
		.periodic_noise = true,
		.ussd_packed = true,
		.pin_query = "^CPIN",
		.vendor_cmds = huawei_cmds,
		.boot = huawei_boot,
		.ready = generic_boot,
		.cscs_default = "IRA",
	},
	{
		.name = "simcom",
		.manufacturer = "SIMCOM_Ltd",
		.model = "SIMCOM_SIM800C",
		.revision = "Revision:1418B05SIM800C24",
		.imei = "867856030112233",
		.ati = "SIM800 R14.18",
		.first_index = 1,
		.cnmi_test = "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)",
		.reject_mt1_ds2 = true,
		.empty_read_ok = true,
		.pin_query = "+SPIC",
		.vendor_cmds = simcom_cmds,
		.boot = simcom_boot,
		.ready = simcom_ready,
		.cscs_default = "GSM",
	},
	{
		.name = "quectel",
		.manufacturer = "Quectel",
		.model = "EC25",
		.revision = "EC25EFAR06A06M4G",
		.imei = "866758040998877",
		.ati = "Quectel\nEC25\nRevision: EC25EFAR06A06M4G",
		.first_index = 0,
		.cnmi_test = "+CNMI: (0-2),(0-3),(0,2),(0,1),(0,1)",
		.pin_query = "+QPINC",
		.vendor_cmds = quectel_cmds,
		.boot = quectel_boot,
		.ready = quectel_ready,
		.cscs_default = "GSM",
	},
};

/* The profile called @name, or NULL. */
const struct profile *prof_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(name, profiles[i].name))
			return &profiles[i];
	return NULL;
}

/* The profile used without --profile. */
const struct profile *prof_default(void)
{
	return &profiles[0];
}

/* True when @cmd is one of the vendor's own commands (vendor_cmds). */
bool prof_has_cmd(const struct profile *p, const char *cmd)
{
	const char *const *c;

	for (c = p->vendor_cmds; c && *c; c++)
		if (!strcmp(*c, cmd))
			return true;
	return false;
}

/*
 * True when @p takes @value for AT+CNMI parameter @field (0..4: mode,
 * mt, bm, ds, bfr): its AT+CNMI=? answer, "+CNMI: (0-3),(0,2),...",
 * lists the values, one parenthesised list per parameter.
 */
bool prof_cnmi_accepts(const struct profile *p, int field, int value)
{
	const char *q = strchr(p->cnmi_test, '(');
	long lo, hi;
	char *end;

	while (q && field-- > 0)
		q = strchr(q + 1, '(');
	if (!q)
		return false;
	for (q++;; q = end + 1) {
		lo = hi = strtol(q, &end, 10);
		if (end == q)
			return false;
		if (*end == '-') {
			q = end + 1;
			hi = strtol(q, &end, 10);
			if (end == q)
				return false;
		}
		if (value >= lo && value <= hi)
			return true;
		if (*end != ',')
			return false;
	}
}
