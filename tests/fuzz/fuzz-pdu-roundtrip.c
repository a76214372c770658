/* SPDX-License-Identifier: MIT */
/*
 * fuzz-pdu-roundtrip.c - text -> SMS-SUBMIT/DELIVER parts -> decode each
 * part -> reassembled text must equal the input.
 *
 * Input: first byte is flags (bit 0 force UCS-2, bit 1 16-bit concat
 * reference, bit 2 encode as DELIVER, bit 3 relative VP), the rest is
 * the text (cut at the first NUL).  Invalid UTF-8 must give -EILSEQ,
 * too long a text -EMSGSIZE; anything else is a bug.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "modem/pdu.h"

#define MAX_PARTS 255

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pdu_part parts[MAX_PARTS];
static char text[65536], joined[65536 * 2];

/* Independent strict UTF-8 check (RFC 3629), to judge -EILSEQ. */
static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, i;
		unsigned long cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		cp = c & (0x3f >> n);
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	size_t n = 0, i, jl = 0, len;
	bool deliver;
	int err, expect;
	enum pdu_alphabet alpha;

	if (!size || size > sizeof(text))
		return 0;
	len = size - 1;
	memcpy(text, data + 1, len);
	text[len] = '\0';
	deliver = data[0] & 4;
	if (deliver) {
		struct pdu_deliver_opts o = {
			.force_ucs2 = data[0] & 1, .concat_ref16 = data[0] & 2,
			.concat_ref = 0x1234, .scts_epoch = 1795829400,
			.tz_quarters = 32, .msg_class = -1,
		};
		err = pdu_encode_deliver("Jifen", text, &o, parts, MAX_PARTS,
					 &n, &why);
	} else {
		struct pdu_submit_opts o = {
			.force_ucs2 = data[0] & 1, .concat_ref16 = data[0] & 2,
			.concat_ref = 0xa7, .vp_minutes = data[0] & 8 ? 1440 : 0,
		};
		err = pdu_encode_submit("+8613800000001", text, &o, parts,
					MAX_PARTS, &n, &why);
	}
	expect = pdu_count_parts(text, data[0] & 1, &alpha);
	if (!valid_utf8((const unsigned char *)text)) {
		if (err != -EILSEQ || expect != -EILSEQ || !why)
			abort();
		return 0;
	}
	if (err == -EMSGSIZE)
		return 0;
	if (err)
		abort();
	if (!(data[0] & 2) && (expect < 0 || (size_t)expect != n))
		abort();
	for (i = 0; i < n; i++) {
		struct sms_pdu p;

		if (parts[i].tpdu_len + 1 != parts[i].len)
			abort();
		if (pdu_decode_hex(parts[i].hex, true, &p, &why))
			abort();
		if (p.alphabet != alpha)
			abort();
		if (n > 1 && (!p.concat.present || p.concat.seq != i + 1 ||
			      p.concat.total != n))
			abort();
		memcpy(joined + jl, p.text, strlen(p.text));
		jl += strlen(p.text);
	}
	joined[jl] = '\0';
	if (strcmp(joined, text))
		abort();
	return 0;
}
