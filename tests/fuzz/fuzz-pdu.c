/* SPDX-License-Identifier: MIT */
/*
 * fuzz-pdu.c - libFuzzer target for the PDU decoder.
 *
 * Input: first byte selects has_smsc (bit 0), raw vs hex (bit 1) and a
 * lenient decode as well (bit 2); the rest is the PDU.  Invariants: no crash or out-of-bounds read, an error
 * always comes with a reason, decoded text is NUL-terminated within
 * PDU_TEXT_MAX, and decoded text survives SMS-DELIVER re-encoding.
 */
#include <stdlib.h>
#include <string.h>

#include "modem/pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pdu_part parts[16];

static void check_reencode(const struct sms_pdu *p)
{
	struct pdu_deliver_opts o = { .msg_class = -1,
				      .scts_epoch = 1795829400 };
	struct sms_pdu q;
	char joined[PDU_TEXT_MAX * 2];
	const char *why = NULL;
	size_t n, i, jl = 0;

	if (pdu_encode_deliver("10086", p->text, &o, parts, 16, &n, &why))
		abort();
	for (i = 0; i < n; i++) {
		if (pdu_decode(parts[i].octets, parts[i].len, true, &q, &why))
			abort();
		if (jl + strlen(q.text) >= sizeof(joined))
			abort();
		memcpy(joined + jl, q.text, strlen(q.text));
		jl += strlen(q.text);
	}
	joined[jl] = '\0';
	if (strcmp(joined, p->text))
		abort();
}

/*
 * The lenient decoder (bit 2 of the first byte): it accepts everything
 * the strict one does, unchanged and unrepaired; what it repairs is an
 * SMS-DELIVER whose text is a proper NUL-terminated string.
 */
static void check_lenient(const uint8_t *buf, size_t len, const char *hex,
			  bool smsc, int strict_err,
			  const struct sms_pdu *strict)
{
	struct sms_pdu q;
	const char *why = NULL;
	int err = hex ? pdu_decode_hex_lenient(hex, smsc, &q, &why) :
			pdu_decode_lenient(buf, len, smsc, &q, &why);

	if (!strict_err && (err || q.repairs || strcmp(q.text, strict->text)))
		abort();
	if (err) {
		if (err >= 0 || !why || !*why)
			abort();
		return;
	}
	if (q.repairs && (q.type != PDU_TYPE_DELIVER || !why || !*why ||
			  q.repairs & ~7u))
		abort();
	if (memchr(q.text, '\0', sizeof(q.text)) == NULL ||
	    q.data_len > PDU_DATA_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sms_pdu p;
	const char *why = NULL;
	char hex[2 * PDU_MAX_OCTETS + 2];
	int err;

	if (!size)
		return 0;
	if (data[0] & 2) {
		size_t n = size - 1 < sizeof(hex) - 1 ? size - 1 :
			   sizeof(hex) - 1;

		memcpy(hex, data + 1, n);
		hex[n] = '\0';
		err = pdu_decode_hex(hex, data[0] & 1, &p, &why);
	} else {
		err = pdu_decode(data + 1, size - 1, data[0] & 1, &p, &why);
	}
	if (data[0] & 4)
		check_lenient(data + 1, size - 1, data[0] & 2 ? hex : NULL,
			      data[0] & 1, err, &p);
	if (err) {
		if (err >= 0 || !why || !*why)
			abort();
		return 0;
	}
	if (memchr(p.text, '\0', sizeof(p.text)) == NULL ||
	    memchr(p.addr, '\0', sizeof(p.addr)) == NULL ||
	    memchr(p.smsc, '\0', sizeof(p.smsc)) == NULL ||
	    p.data_len > PDU_DATA_MAX)
		abort();
	if (p.alphabet == PDU_ALPHA_8BIT && p.text[0])
		abort();
	check_reencode(&p);
	return 0;
}
