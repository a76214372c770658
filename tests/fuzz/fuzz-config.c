/* SPDX-License-Identifier: MIT */
/*
 * fuzz-config.c - libFuzzer target: the config loader on arbitrary text.
 * Whatever the input, config_load_string() must return 0 or -EINVAL with
 * a one-line message, never crash, hang or leak; on success the result
 * must satisfy the invariants the rest of the program relies on.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/*
 * libconfig 1.5 (Debian 12) leaks the buffer of a string token when a
 * syntax error follows it (at most a few bytes per failed parse, inside
 * libconfig).  Suppress leaks allocated under libconfig only; leaks of
 * our own allocations are still reported.
 */
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg, def;
	char err[256];
	char *text;
	int r, m;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&cfg, 0, sizeof(cfg));
	r = config_load_string(text, "fuzz.conf", &cfg, err, sizeof(err));
	if (r != 0 && r != -EINVAL)
		abort();
	if (r != 0) {
		/* One line, starting with the file name. */
		if (strncmp(err, "fuzz.conf", 9) || strchr(err, '\n'))
			abort();
		goto out;
	}
	if (!cfg.village.id[0] || !cfg.modem.device[0] || !cfg.storage.path[0])
		abort();
	if (cfg.loan.floor_rate > cfg.loan.base_rate)
		abort();
	if (cfg.sms.max_parts < 1 || cfg.sms.max_parts > 10)
		abort();
	if (cfg.sms.quiet_enabled && cfg.sms.quiet_start == cfg.sms.quiet_end)
		abort();
	for (m = 0; m < 1440; m += 7)
		(void)config_in_quiet_hours(&cfg, m);
	config_defaults(&def);
	strcpy(def.village.id, cfg.village.id);
	strcpy(def.modem.device, cfg.modem.device);
	strcpy(def.storage.path, cfg.storage.path);
	(void)config_reload_compatible(&def, &cfg, err, sizeof(err));
out:
	free(text);
	return 0;
}
