/* SPDX-License-Identifier: MIT */
/*
 * pdu.c - SMS PDU codec (3GPP TS 23.040 section 9.2, TS 23.038 section 4).
 *
 * Error codes used by the decoder: -EBADMSG for a malformed PDU
 * (truncated, lengths that lie, bad semi-octets or BCD digits, a user
 * data header overrunning the user data, ...), -ENOTSUP for compressed
 * user data, -EINVAL for bad hex, -EMSGSIZE for a hex string longer than
 * PDU_MAX_OCTETS.  The encoder returns -EINVAL (bad number, option out of
 * range), -EILSEQ (invalid UTF-8), -EMSGSIZE (too many parts), -ERANGE
 * (timestamp outside 1990..2089).
 *
 * Choices where the standard leaves room:
 *  - TP-MTI 11 (reserved) is decoded as SMS-DELIVER (23.040 9.2.3.1);
 *    TP-MTI 10 is always decoded as SMS-STATUS-REPORT (the modem side
 *    never sees SMS-COMMAND).
 *  - A concatenation IE with total 0, sequence 0 or sequence > total is
 *    ignored, as 23.040 9.2.3.24.1 asks: the message is treated as not
 *    concatenated.  A known IE with the wrong length is skipped too.
 *  - Two-digit years 90..99 are 1990s (old test vectors), 00..89 are
 *    20YY; the encoder accepts 1990..2089.
 *  - The filler nibble after an odd-length address is not checked; an
 *    0xF nibble inside the digits is an error.
 *  - Octets after the user data are ignored.
 *  - pdu_decode_lenient() repairs what does not stop the text from being
 *    read (a villager's SMS is answered even if a network mangled its
 *    time stamp): an unreadable timestamp is left absent, a user data
 *    length past the end takes the octets present, an odd UCS-2 length
 *    drops the last octet.  Every repair is flagged in out->repairs.
 */
#include <errno.h>
#include <string.h>

#include "modem/gsm7.h"
#include "modem/pdu.h"
#include "util/date.h"
#include "util/hex.h"
#include "util/utf8.h"

#define GSM7_MAX_SEPTETS	160
#define UD_MAX_OCTETS		140

static int fail(const char **why, int err, const char *msg)
{
	if (why)
		*why = msg;
	return err;
}

/* ---- reading ----------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool lenient;		/* pdu_decode_lenient(): repair, see there */
	unsigned *repairs;	/* PDU_REPAIR_* made */
};

static bool rd_has(const struct rd *r, size_t n)
{
	return r->len - r->pos >= n;
}

static const char semi_octet_chars[] = "0123456789*#abc";

/*
 * Decode @n_semi semi-octets of @p.  With @f_ends set (SMSC field, whose
 * length is in octets) an 0xF nibble in the very last position ends the
 * number early.
 */
static int decode_digits(const uint8_t *p, size_t n_semi, bool f_ends,
			 bool plus, char *out, size_t out_size,
			 const char **why)
{
	size_t pos = 0, i;

	if (plus)
		out[pos++] = '+';
	for (i = 0; i < n_semi; i++) {
		uint8_t nib = i % 2 ? p[i / 2] >> 4 : p[i / 2] & 0x0f;

		if (nib == 0xf) {
			if (f_ends && i == n_semi - 1)
				break;
			return fail(why, -EBADMSG, "bad semi-octet in address");
		}
		if (pos + 1 >= out_size)
			return fail(why, -EBADMSG, "address too long");
		out[pos++] = semi_octet_chars[nib];
	}
	if (pos == 1 && plus)
		pos = 0;	/* TOA only, no digits */
	out[pos] = '\0';
	return 0;
}

static int decode_alnum(const uint8_t *p, size_t n_octets, size_t n_semi,
			char *out, size_t out_size, const char **why)
{
	uint8_t septets[12];
	size_t n = n_semi * 4 / 7;

	if (n > sizeof(septets) ||
	    gsm7_unpack(p, n_octets, 0, n, septets) < 0 ||
	    gsm7_to_utf8(septets, n, out, out_size) < 0)
		return fail(why, -EBADMSG, "bad alphanumeric address");
	return 0;
}

/* TP-OA / TP-DA / TP-RA: length in semi-octets, TOA, digits. */
static int rd_addr(struct rd *r, struct sms_pdu *out, const char **why)
{
	size_t n_semi, n_octets;
	const uint8_t *body;
	uint8_t toa;

	if (!rd_has(r, 2))
		return fail(why, -EBADMSG, "truncated address");
	n_semi = r->p[r->pos];
	toa = r->p[r->pos + 1];
	if (n_semi > 20)
		return fail(why, -EBADMSG, "address length over 20 digits");
	n_octets = (n_semi + 1) / 2;
	r->pos += 2;
	if (!rd_has(r, n_octets))
		return fail(why, -EBADMSG, "truncated address");
	body = r->p + r->pos;
	r->pos += n_octets;
	out->addr_toa = toa;
	if (((toa >> 4) & 7) == 5) {
		out->addr_alnum = true;
		return decode_alnum(body, n_octets, n_semi, out->addr,
				    sizeof(out->addr), why);
	}
	return decode_digits(body, n_semi, false, ((toa >> 4) & 7) == 1,
			     out->addr, sizeof(out->addr), why);
}

/* SMSC field (TS 24.011 RP address): length in octets incl. the TOA. */
static int rd_smsc(struct rd *r, struct sms_pdu *out, const char **why)
{
	size_t n;
	uint8_t toa;
	const uint8_t *body;

	if (!rd_has(r, 1))
		return fail(why, -EBADMSG, "empty PDU");
	n = r->p[r->pos++];
	if (!n)
		return 0;
	if (n > 11)
		return fail(why, -EBADMSG, "SMSC address too long");
	if (!rd_has(r, n))
		return fail(why, -EBADMSG, "truncated SMSC address");
	toa = r->p[r->pos];
	body = r->p + r->pos + 1;
	r->pos += n;
	if (((toa >> 4) & 7) == 5)
		return decode_alnum(body, n - 1, 2 * (n - 1), out->smsc,
				    sizeof(out->smsc), why);
	return decode_digits(body, 2 * (n - 1), true, ((toa >> 4) & 7) == 1,
			     out->smsc, sizeof(out->smsc), why);
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31};

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Swapped BCD: low nibble is the tens digit. */
static int bcd(uint8_t o)
{
	uint8_t tens = o & 0x0f, units = o >> 4;

	if (tens > 9 || units > 9)
		return -1;
	return tens * 10 + units;
}

static void two(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* "2026-11-28T09:30:00+08:00" */
static void format_iso(char *iso, int y, int mo, int d, int h, int mi,
		       int s, int tzq)
{
	int a = tzq < 0 ? -tzq : tzq;

	two(iso, y / 100);
	two(iso + 2, y % 100);
	iso[4] = '-';
	two(iso + 5, mo);
	iso[7] = '-';
	two(iso + 8, d);
	iso[10] = 'T';
	two(iso + 11, h);
	iso[13] = ':';
	two(iso + 14, mi);
	iso[16] = ':';
	two(iso + 17, s);
	iso[19] = tzq < 0 ? '-' : '+';
	two(iso + 20, a / 4);
	iso[22] = ':';
	two(iso + 23, a % 4 * 15);
	iso[25] = '\0';
}

/*
 * Year, month, day, hour, minute, second in @v: the two-digit year
 * made whole (90-99 are the 1990s, as TP-SCTS counts), then true when
 * they name a real date and time.
 */
static bool time_fields_ok(int v[6])
{
	v[0] += v[0] >= 90 ? 1900 : 2000;
	return v[1] >= 1 && v[1] <= 12 && v[2] >= 1 &&
	       v[2] <= days_in_month(v[0], v[1]) && v[3] <= 23 &&
	       v[4] <= 59 && v[5] <= 59;
}

/* A read timestamp: the fields @v (checked) and the zone @tzq. */
static void time_set(struct pdu_time *t, const int v[6], int tzq)
{
	t->present = true;
	t->tz_quarters = tzq;
	t->epoch = date_days_from_civil(v[0], v[1], v[2]) * 86400 +
		   v[3] * 3600 + v[4] * 60 + v[5] - (int64_t)tzq * 900;
	format_iso(t->iso, v[0], v[1], v[2], v[3], v[4], v[5], tzq);
}

/* TP-SCTS / TP-DT, 23.040 9.2.3.11. */
/* A timestamp that cannot be read: an error, or absent when lenient. */
static int time_bad(struct rd *r, struct pdu_time *t, const char **why,
		    const char *msg)
{
	if (!r->lenient)
		return fail(why, -EBADMSG, msg);
	t->present = false;	/* raw[] stays: it still tells messages apart */
	*r->repairs |= PDU_REPAIR_TIMESTAMP;
	return 0;
}

static int rd_time(struct rd *r, struct pdu_time *t, const char **why)
{
	const uint8_t *p;
	int v[6], i, tzq;

	if (!rd_has(r, 7))
		return fail(why, -EBADMSG, "truncated timestamp");
	p = r->p + r->pos;
	r->pos += 7;
	for (i = 0; i < 7; i++) {
		t->raw[2 * i] = "0123456789ABCDEF"[p[i] >> 4];
		t->raw[2 * i + 1] = "0123456789ABCDEF"[p[i] & 15];
	}
	t->raw[14] = '\0';
	for (i = 0; i < 6; i++) {
		v[i] = bcd(p[i]);
		if (v[i] < 0)
			return time_bad(r, t, why, "bad BCD digit in timestamp");
	}
	if (!time_fields_ok(v))
		return time_bad(r, t, why, "timestamp out of range");
	if ((p[6] >> 4) > 9)
		return time_bad(r, t, why, "bad BCD digit in time zone");
	tzq = (p[6] & 0x07) * 10 + (p[6] >> 4);
	if (p[6] & 0x08)
		tzq = -tzq;
	time_set(t, v, tzq);
	return 0;
}

/* @n decimal digits at @p, or -1. */
static int dec(const char *p, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

int pdu_time_from_text(const char *text, struct pdu_time *t)
{
	const char *p = text;
	int v[6], i, tzq = 0, sign = 1;

	memset(t, 0, sizeof(*t));
	if (*p == '"')
		p++;
	/* yy/MM/dd,hh:mm:ss */
	for (i = 0; i < 6; i++) {
		v[i] = dec(p + 3 * i, 2);
		if (v[i] < 0 || (i < 5 && p[3 * i + 2] != "//,::"[i]))
			return -EINVAL;
	}
	p += 17;
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		tzq = dec(p, 1);
		if (tzq < 0)
			return -EINVAL;
		p++;
		if (*p >= '0' && *p <= '9')
			tzq = tzq * 10 + (*p++ - '0');
		if (tzq > 79)
			return -EINVAL;
		tzq *= sign;
	}
	/* some modems add ",0" (daylight saving) after the zone */
	if (*p == ',' && p[1] >= '0' && p[1] <= '9')
		p += 2;
	if (*p == '"')
		p++;
	if (*p)
		return -EINVAL;
	if (!time_fields_ok(v))		/* years as TP-SCTS */
		return -EINVAL;
	time_set(t, v, tzq);
	return 0;
}

/* 23.040 9.2.3.12.1 */
static int vp_relative_minutes(uint8_t vp)
{
	if (vp <= 143)
		return (vp + 1) * 5;
	if (vp <= 167)
		return 12 * 60 + (vp - 143) * 30;
	if (vp <= 196)
		return (vp - 166) * 24 * 60;
	return (vp - 192) * 7 * 24 * 60;
}

static uint8_t vp_relative_octet(int minutes)
{
	if (minutes <= 5)
		return 0;
	if (minutes <= 12 * 60)
		return (uint8_t)((minutes + 4) / 5 - 1);
	if (minutes <= 24 * 60)
		return (uint8_t)(143 + (minutes - 12 * 60 + 29) / 30);
	if (minutes <= 30 * 24 * 60)
		return (uint8_t)(166 + (minutes + 1439) / 1440);
	if (minutes <= 63 * 7 * 24 * 60)
		return (uint8_t)(192 + (minutes + 10079) / 10080);
	return 255;
}

/* TS 23.038 section 4. */
static int parse_dcs(uint8_t dcs, struct sms_pdu *out, const char **why)
{
	out->msg_class = -1;
	out->alphabet = PDU_ALPHA_GSM7;
	switch (dcs >> 4) {
	case 0x0: case 0x1: case 0x2: case 0x3:	/* general data coding */
	case 0x4: case 0x5: case 0x6: case 0x7:	/* marked for deletion */
		if (dcs & 0x20)
			return fail(why, -ENOTSUP,
				    "compressed user data not supported");
		if (dcs & 0x10)
			out->msg_class = dcs & 0x03;
		if (((dcs >> 2) & 3) == 1)
			out->alphabet = PDU_ALPHA_8BIT;
		else if (((dcs >> 2) & 3) == 2)
			out->alphabet = PDU_ALPHA_UCS2;
		break;
	case 0xe:		/* message waiting, store, UCS2 */
		out->alphabet = PDU_ALPHA_UCS2;
		break;
	case 0xf:		/* data coding / message class */
		if (dcs & 0x04)
			out->alphabet = PDU_ALPHA_8BIT;
		out->msg_class = dcs & 0x03;
		break;
	default:		/* 1000..1011 reserved, 1100/1101 MWI: GSM7 */
		break;
	}
	return 0;
}

/* 23.040 9.2.3.24: walk the information elements of the UDH. */
static int parse_udh(const uint8_t *h, size_t n, struct sms_pdu *out,
		     const char **why)
{
	size_t i = 0;

	while (i < n) {
		uint8_t iei, iel;
		const uint8_t *v;

		if (n - i < 2)
			return fail(why, -EBADMSG,
				    "truncated information element in header");
		iei = h[i];
		iel = h[i + 1];
		if (n - i - 2 < iel)
			return fail(why, -EBADMSG,
				    "information element overruns header");
		v = h + i + 2;
		i += 2 + (size_t)iel;
		if ((iei == 0x00 && iel == 3) || (iei == 0x08 && iel == 4)) {
			bool r16 = iei == 0x08;
			uint16_t ref = r16 ? (uint16_t)(v[0] << 8 | v[1]) : v[0];
			uint8_t total = v[r16 ? 2 : 1], seq = v[r16 ? 3 : 2];

			if (!total || !seq || seq > total)
				continue;	/* ignored, 9.2.3.24.1 */
			out->concat.present = true;
			out->concat.ref16 = r16;
			out->concat.ref = ref;
			out->concat.total = total;
			out->concat.seq = seq;
		} else if (iei == 0x04 && iel == 2) {
			out->dst_port = v[0];
		} else if (iei == 0x05 && iel == 4) {
			out->dst_port = v[0] << 8 | v[1];
		}
	}
	return 0;
}

/* TP-UDL and TP-UD, after the DCS has set out->alphabet. */
static int rd_user_data(struct rd *r, struct sms_pdu *out, const char **why)
{
	size_t udl, ud_octets, hdr_octets = 0;
	const uint8_t *ud;
	int err;

	if (!rd_has(r, 1))
		return fail(why, -EBADMSG, "truncated before user data length");
	udl = r->p[r->pos++];
	if (out->alphabet == PDU_ALPHA_GSM7) {
		if (udl > GSM7_MAX_SEPTETS)
			return fail(why, -EBADMSG,
				    "user data length over 160 septets");
		ud_octets = (udl * 7 + 7) / 8;
	} else {
		if (udl > UD_MAX_OCTETS)
			return fail(why, -EBADMSG,
				    "user data length over 140 octets");
		ud_octets = udl;
	}
	if (!rd_has(r, ud_octets)) {
		if (!r->lenient || r->pos >= r->len)
			return fail(why, -EBADMSG,
				    "user data length exceeds PDU");
		/* lenient: the text that is there */
		ud_octets = r->len - r->pos;
		udl = out->alphabet == PDU_ALPHA_GSM7 ? ud_octets * 8 / 7 :
						       ud_octets;
		*r->repairs |= PDU_REPAIR_UDL;
	}
	ud = r->p + r->pos;
	r->pos += ud_octets;

	if (out->udhi) {
		if (ud_octets < 1)
			return fail(why, -EBADMSG,
				    "user data header indicated but missing");
		hdr_octets = (size_t)ud[0] + 1;
		if (hdr_octets > ud_octets)
			return fail(why, -EBADMSG,
				    "user data header overruns user data");
		err = parse_udh(ud + 1, hdr_octets - 1, out, why);
		if (err)
			return err;
	}

	if (out->alphabet == PDU_ALPHA_GSM7) {
		uint8_t septets[GSM7_MAX_SEPTETS];
		size_t skip = (hdr_octets * 8 + 6) / 7;

		if (skip > udl)
			return fail(why, -EBADMSG,
				    "user data header overruns user data");
		if (gsm7_unpack(ud, ud_octets, skip, udl - skip, septets) < 0)
			return fail(why, -EBADMSG, "user data length exceeds PDU");
		if (gsm7_to_utf8(septets, udl - skip, out->text,
				 sizeof(out->text)) < 0)
			return fail(why, -EBADMSG, "text too long");
	} else if (out->alphabet == PDU_ALPHA_8BIT) {
		out->data_len = udl - hdr_octets;
		memcpy(out->data, ud + hdr_octets, out->data_len);
	} else {
		if ((udl - hdr_octets) % 2 && r->lenient) {
			/* lenient: the characters before the odd octet */
			udl--;
			*r->repairs |= PDU_REPAIR_UCS2_ODD;
		}
		err = gsm7_utf16be_to_utf8(ud + hdr_octets, udl - hdr_octets,
					   out->text, sizeof(out->text));
		if (err == -EBADMSG)
			return fail(why, err, "odd UCS-2 user data length");
		if (err < 0)
			return fail(why, -EBADMSG, "text too long");
	}
	return 0;
}

static int rd_u8(struct rd *r, uint8_t *v, const char *what, const char **why)
{
	if (!rd_has(r, 1))
		return fail(why, -EBADMSG, what);
	*v = r->p[r->pos++];
	return 0;
}

static int rd_pid_dcs(struct rd *r, struct sms_pdu *out, const char **why)
{
	int err = rd_u8(r, &out->pid, "truncated before protocol identifier",
			why);

	if (!err)
		err = rd_u8(r, &out->dcs, "truncated before data coding scheme",
			    why);
	if (!err)
		err = parse_dcs(out->dcs, out, why);
	return err;
}

/* TP-VP of a SUBMIT, in the format its first octet names (9.2.3.12). */
static int rd_vp(struct rd *r, struct sms_pdu *out, const char **why)
{
	unsigned vpf = (out->first_octet >> 3) & 3;
	int err;

	if (vpf == 2) {
		uint8_t vp;

		err = rd_u8(r, &vp, "truncated validity period", why);
		if (err)
			return err;
		out->vp_minutes = vp_relative_minutes(vp);
	} else if (vpf) {	/* enhanced (01) or absolute (11): 7 octets */
		if (!rd_has(r, 7))
			return fail(why, -EBADMSG, "truncated validity period");
		r->pos += 7;
	}
	return 0;
}

/*
 * The optional tail of a STATUS-REPORT: TP-PI (9.2.3.27, extension
 * octets skipped) and the TP-PID, TP-DCS and TP-UD it announces.
 */
static int rd_pi(struct rd *r, struct sms_pdu *out, const char **why)
{
	uint8_t pi, ext;
	int err;

	if (!rd_has(r, 1))
		return 0;
	pi = ext = r->p[r->pos++];
	while (ext & 0x80) {
		err = rd_u8(r, &ext, "truncated parameter indicator", why);
		if (err)
			return err;
	}
	if (pi & 0x01) {
		err = rd_u8(r, &out->pid, "truncated protocol identifier", why);
		if (err)
			return err;
	}
	if (pi & 0x02) {
		err = rd_u8(r, &out->dcs, "truncated data coding scheme", why);
		if (!err)
			err = parse_dcs(out->dcs, out, why);
		if (err)
			return err;
	}
	if (pi & 0x04)
		return rd_user_data(r, out, why);
	return 0;
}

/* The fields of a TPDU after its first octet (23.040 9.2.2). */
enum tp_field {
	TP_END,
	TP_MR,		/* message reference */
	TP_ADDR,	/* originating, destination or recipient address */
	TP_PID_DCS,
	TP_SCTS,	/* service centre time stamp */
	TP_VP,		/* validity period */
	TP_DT,		/* discharge time */
	TP_ST,		/* status */
	TP_PI,		/* optional parameter indicator and its fields */
	TP_UD,		/* user data length and user data */
};

#define TP_FIELDS_MAX	7

/* Each message type's fields in order, by TP-MTI (reserved 11 reads as
 * a DELIVER, 9.2.3.1). */
static const struct {
	enum pdu_type type;
	enum tp_field fields[TP_FIELDS_MAX];
} layouts[4] = {
	{ PDU_TYPE_DELIVER, { TP_ADDR, TP_PID_DCS, TP_SCTS, TP_UD } },
	{ PDU_TYPE_SUBMIT, { TP_MR, TP_ADDR, TP_PID_DCS, TP_VP, TP_UD } },
	{ PDU_TYPE_STATUS_REPORT,
	  { TP_MR, TP_ADDR, TP_SCTS, TP_DT, TP_ST, TP_PI } },
	{ PDU_TYPE_DELIVER, { TP_ADDR, TP_PID_DCS, TP_SCTS, TP_UD } },
};

static int rd_field(struct rd *r, enum tp_field f, struct sms_pdu *out,
		    const char **why)
{
	switch (f) {
	case TP_MR:
		return rd_u8(r, &out->message_ref,
			     "truncated before message reference", why);
	case TP_ADDR:
		return rd_addr(r, out, why);
	case TP_PID_DCS:
		return rd_pid_dcs(r, out, why);
	case TP_SCTS:
		return rd_time(r, &out->scts, why);
	case TP_VP:
		return rd_vp(r, out, why);
	case TP_DT:
		return rd_time(r, &out->discharge, why);
	case TP_ST:
		return rd_u8(r, &out->status, "truncated before status", why);
	case TP_PI:
		return rd_pi(r, out, why);
	case TP_UD:
		return rd_user_data(r, out, why);
	case TP_END:
		break;
	}
	return 0;
}

static int decode(const uint8_t *buf, size_t len, bool has_smsc,
		  bool lenient, struct sms_pdu *out, const char **why)
{
	struct rd r = { buf, len, 0, lenient, NULL };
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	out->msg_class = -1;
	out->vp_minutes = -1;
	out->dst_port = -1;
	r.repairs = &out->repairs;
	if (!buf)
		return fail(why, -EINVAL, "no PDU");
	if (has_smsc) {
		err = rd_smsc(&r, out, why);
		if (err)
			return err;
	}
	if (!rd_has(&r, 1))
		return fail(why, -EBADMSG, "missing first octet");
	out->first_octet = r.p[r.pos++];
	out->udhi = out->first_octet & 0x40;
	out->srr = out->first_octet & 0x20;
	out->type = layouts[out->first_octet & 3].type;
	for (i = 0; i < TP_FIELDS_MAX; i++) {
		err = rd_field(&r, layouts[out->first_octet & 3].fields[i],
			       out, why);
		if (err)
			return err;
	}
	return 0;
}

int pdu_decode(const uint8_t *buf, size_t len, bool has_smsc,
	       struct sms_pdu *out, const char **why)
{
	return decode(buf, len, has_smsc, false, out, why);
}

int pdu_decode_lenient(const uint8_t *buf, size_t len, bool has_smsc,
		       struct sms_pdu *out, const char **why)
{
	int err = decode(buf, len, has_smsc, true, out, why);

	/* only an SMS-DELIVER is repaired: a report or a stored SUBMIT
	 * with a broken field stays an error */
	if (!err && out->repairs && out->type != PDU_TYPE_DELIVER) {
		out->repairs = 0;
		return decode(buf, len, has_smsc, false, out, why);
	}
	if (!err && why)
		*why = out->repairs ? pdu_repair_text(out->repairs) : NULL;
	return err;
}

const char *pdu_repair_text(unsigned repairs)
{
	static const char *const text[8] = {
		"",
		"unreadable timestamp",
		"user data length past the end",
		"unreadable timestamp, user data length past the end",
		"odd UCS-2 length",
		"unreadable timestamp, odd UCS-2 length",
		"user data length past the end, odd UCS-2 length",
		("unreadable timestamp, user data length past the end, "
		 "odd UCS-2 length"),
	};

	return text[repairs & 7];
}

static int decode_hex(const char *hex, bool has_smsc, bool lenient,
		      struct sms_pdu *out, const char **why)
{
	uint8_t buf[PDU_MAX_OCTETS];
	size_t n, i;

	memset(out, 0, sizeof(*out));
	out->msg_class = -1;
	out->vp_minutes = -1;
	out->dst_port = -1;
	if (!hex)
		return fail(why, -EINVAL, "no PDU");
	n = strnlen(hex, 2 * PDU_MAX_OCTETS + 1);
	if (n > 2 * PDU_MAX_OCTETS)
		return fail(why, -EMSGSIZE, "PDU too long");
	if (n % 2)
		return fail(why, -EINVAL, "odd hex length");
	for (i = 0; i < n / 2; i++) {
		int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return fail(why, -EINVAL, "bad hex digit");
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	if (lenient)
		return pdu_decode_lenient(buf, n / 2, has_smsc, out, why);
	return pdu_decode(buf, n / 2, has_smsc, out, why);
}

int pdu_decode_hex(const char *hex, bool has_smsc, struct sms_pdu *out,
		   const char **why)
{
	return decode_hex(hex, has_smsc, false, out, why);
}

int pdu_decode_hex_lenient(const char *hex, bool has_smsc,
			   struct sms_pdu *out, const char **why)
{
	return decode_hex(hex, has_smsc, true, out, why);
}

/* ---- encoding ---------------------------------------------------------- */

struct enc {
	enum pdu_type type;
	const char *smsc;
	const char *addr;
	bool alnum_ok;
	uint8_t fo;		/* first octet without UDHI */
	uint8_t mr;
	int vp_minutes;
	int64_t scts;
	int tz_quarters;
	int msg_class;
	bool force_ucs2;
	uint16_t ref;
	bool ref16;
};

/*
 * Characters the encoder accepts in a number: the a-c semi-octets are
 * decoded but never produced, so a sender "abc" stays alphanumeric.
 */
static const char number_chars[] = "0123456789*#";

/* Writes [length][TOA][BCD] of a number; @octet_len for the SMSC field. */
static int enc_number(const char *s, bool octet_len, uint8_t *out,
		      size_t *len, const char **why)
{
	uint8_t toa = 0x81;
	size_t n = 0, i;

	if (*s == '+') {
		toa = 0x91;
		s++;
	}
	memset(out, 0, 12);
	for (i = 0; s[i]; i++) {
		const char *c = strchr(number_chars, s[i]);
		uint8_t nib;

		if (!c)
			return fail(why, -EINVAL, "bad character in number");
		if (n >= 20)
			return fail(why, -EINVAL,
				    "number longer than 20 digits");
		nib = (uint8_t)(c - number_chars);
		out[2 + n / 2] |= n % 2 ? (uint8_t)(nib << 4) : nib;
		n++;
	}
	if (!n)
		return fail(why, -EINVAL, "empty number");
	if (n % 2)
		out[2 + n / 2] |= 0xf0;
	out[0] = (uint8_t)(octet_len ? 1 + (n + 1) / 2 : n);
	out[1] = toa;
	*len = 2 + (n + 1) / 2;
	return 0;
}

static bool looks_numeric(const char *s)
{
	if (*s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(number_chars, *s))
			return false;
	return true;
}

static int enc_alnum(const char *s, uint8_t *out, size_t *len,
		     const char **why)
{
	uint8_t septets[12];
	size_t n = 0, slen = strlen(s);
	int k, packed;

	while (slen) {
		uint32_t cp;
		uint8_t two_s[2];
		size_t used = utf8_decode(s, slen, &cp);

		if (!used)
			return fail(why, -EILSEQ, "invalid UTF-8 in sender");
		k = gsm7_from_cp(cp, two_s);
		if (!k)
			return fail(why, -EINVAL,
				    "sender not in the GSM 7-bit alphabet");
		if (n + (size_t)k > 11)
			return fail(why, -EINVAL,
				    "alphanumeric sender over 11 characters");
		memcpy(septets + n, two_s, (size_t)k);
		n += (size_t)k;
		s += used;
		slen -= (size_t)used;
	}
	if (!n)
		return fail(why, -EINVAL, "empty sender");
	memset(out, 0, 12);
	packed = gsm7_pack(septets, n, 0, out + 2, 10);
	if (packed < 0)
		return fail(why, -EINVAL, "alphanumeric sender too long");
	out[0] = (uint8_t)((n * 7 + 3) / 4);
	out[1] = 0xd0;
	*len = 2 + (size_t)packed;
	return 0;
}

static int enc_time(int64_t epoch, int tzq, uint8_t *out, const char **why)
{
	int64_t local, days, sod;
	int y, m, d, v[6], i, a;

	if (tzq < -79 || tzq > 79)
		return fail(why, -EINVAL, "time zone out of range");
	local = epoch + (int64_t)tzq * 900;
	days = local / 86400;
	sod = local % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 1990 || y > 2089)
		return fail(why, -ERANGE, "timestamp outside 1990..2089");
	v[0] = y % 100;
	v[1] = m;
	v[2] = d;
	v[3] = (int)(sod / 3600);
	v[4] = (int)(sod / 60 % 60);
	v[5] = (int)(sod % 60);
	for (i = 0; i < 6; i++)
		out[i] = (uint8_t)((v[i] % 10) << 4 | v[i] / 10);
	a = tzq < 0 ? -tzq : tzq;
	out[6] = (uint8_t)((a % 10) << 4 | a / 10 | (tzq < 0 ? 0x08 : 0));
	return 0;
}

/* Validate @text and pick the alphabet. */
static int scan_text(const char *text, bool force_ucs2,
		     enum pdu_alphabet *alpha, size_t *units,
		     const char **why)
{
	size_t len = strlen(text), gsm = 0, ucs = 0;
	bool fits = !force_ucs2;

	while (len) {
		uint32_t cp;
		uint8_t s[2];
		size_t used = utf8_decode(text, len, &cp);
		int k;

		if (!used)
			return fail(why, -EILSEQ, "invalid UTF-8 in text");
		if (fits) {
			k = gsm7_from_cp(cp, s);
			if (k)
				gsm += (size_t)k;
			else
				fits = false;
		}
		ucs += cp > 0xffff ? 2 : 1;
		text += used;
		len -= (size_t)used;
	}
	*alpha = fits ? PDU_ALPHA_GSM7 : PDU_ALPHA_UCS2;
	*units = fits ? gsm : ucs;
	return 0;
}

/*
 * Take from *@s as many characters as fit in @cap units (septets or
 * UTF-16 units); septets or UTF-16BE octets go to @buf (may be NULL),
 * their count (septets / octets) to *@n.  @s is validated UTF-8.
 */
static void take_part(const char **s, enum pdu_alphabet alpha, size_t cap,
		      uint8_t *buf, size_t *n)
{
	size_t used_units = 0, len = strlen(*s);

	*n = 0;
	while (len) {
		uint32_t cp;
		uint8_t sep[2];
		size_t used = utf8_decode(*s, len, &cp);
		size_t k;

		if (alpha == PDU_ALPHA_GSM7) {
			k = (size_t)gsm7_from_cp(cp, sep);
			if (used_units + k > cap)
				break;
			if (buf)
				memcpy(buf + *n, sep, k);
			*n += k;
		} else {
			k = cp > 0xffff ? 2 : 1;
			if (used_units + k > cap)
				break;
			if (buf && k == 2) {
				uint32_t v = cp - 0x10000;
				uint16_t hi = (uint16_t)(0xd800 | (v >> 10));
				uint16_t lo = (uint16_t)(0xdc00 | (v & 0x3ff));

				buf[*n] = (uint8_t)(hi >> 8);
				buf[*n + 1] = (uint8_t)hi;
				buf[*n + 2] = (uint8_t)(lo >> 8);
				buf[*n + 3] = (uint8_t)lo;
			} else if (buf) {
				buf[*n] = (uint8_t)(cp >> 8);
				buf[*n + 1] = (uint8_t)cp;
			}
			*n += 2 * k;
		}
		used_units += k;
		*s += used;
		len -= (size_t)used;
	}
}

static size_t part_cap(enum pdu_alphabet alpha, bool ref16)
{
	size_t udh = ref16 ? 7 : 6;

	if (alpha == PDU_ALPHA_GSM7)
		return (UD_MAX_OCTETS - udh) * 8 / 7;	/* 153 or 152 */
	return (UD_MAX_OCTETS - udh) / 2;		/* 67 or 66 */
}

static int count_parts(const char *text, enum pdu_alphabet alpha,
		       size_t units, bool ref16)
{
	size_t single = alpha == PDU_ALPHA_GSM7 ? GSM7_MAX_SEPTETS :
			UD_MAX_OCTETS / 2;
	size_t cap = part_cap(alpha, ref16), n;
	int parts = 0;

	if (units <= single)
		return 1;
	while (*text) {
		take_part(&text, alpha, cap, NULL, &n);
		if (++parts > 255)
			return -EMSGSIZE;
	}
	return parts;
}

static void to_hex(struct pdu_part *p)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < p->len; i++) {
		p->hex[2 * i] = digits[p->octets[i] >> 4];
		p->hex[2 * i + 1] = digits[p->octets[i] & 0x0f];
	}
	p->hex[2 * p->len] = '\0';
}

static int enc_smsc(const char *smsc, uint8_t *out, size_t *len,
		    const char **why)
{
	if (!smsc || !*smsc) {
		out[0] = 0;
		*len = 1;
		return 0;
	}
	return enc_number(smsc, true, out, len, why);
}

static int encode_parts(const struct enc *e, const char *text,
			struct pdu_part *parts, size_t max_parts,
			size_t *n_parts, const char **why)
{
	uint8_t smsc[12], addr[12], scts[7], units_buf[UD_MAX_OCTETS + 20];
	size_t smsc_len, addr_len, units, i;
	enum pdu_alphabet alpha;
	int total, err;
	uint8_t dcs;

	if (!text || !e->addr)
		return fail(why, -EINVAL, "no text or number");
	err = enc_smsc(e->smsc, smsc, &smsc_len, why);
	if (err)
		return err;
	if (looks_numeric(e->addr))
		err = enc_number(e->addr, false, addr, &addr_len, why);
	else if (e->alnum_ok && e->addr[0] != '+')
		err = enc_alnum(e->addr, addr, &addr_len, why);
	else
		err = fail(why, -EINVAL, "bad number");
	if (err)
		return err;
	if (e->type == PDU_TYPE_DELIVER) {
		err = enc_time(e->scts, e->tz_quarters, scts, why);
		if (err)
			return err;
	}
	if (e->msg_class < -1 || e->msg_class > 3)
		return fail(why, -EINVAL, "message class out of range");
	if (e->vp_minutes < 0)
		return fail(why, -EINVAL, "negative validity period");
	err = scan_text(text, e->force_ucs2, &alpha, &units, why);
	if (err)
		return err;
	total = count_parts(text, alpha, units, e->ref16);
	if (total < 0 || (size_t)total > max_parts)
		return fail(why, -EMSGSIZE, "text needs too many parts");
	dcs = alpha == PDU_ALPHA_GSM7 ? 0x00 : 0x08;
	if (e->msg_class >= 0)
		dcs |= (uint8_t)(0x10 | e->msg_class);

	for (i = 0; i < (size_t)total; i++) {
		struct pdu_part *p = &parts[i];
		uint8_t *o = p->octets, *ud;
		size_t pos = 0, hdr = 0, n, udl_pos;

		memset(p, 0, sizeof(*p));
		memcpy(o, smsc, smsc_len);
		pos = smsc_len;
		o[pos++] = (uint8_t)(e->fo | (total > 1 ? 0x40 : 0));
		if (e->type == PDU_TYPE_SUBMIT)
			o[pos++] = e->mr;
		memcpy(o + pos, addr, addr_len);
		pos += addr_len;
		o[pos++] = 0x00;	/* PID */
		o[pos++] = dcs;
		if (e->type == PDU_TYPE_SUBMIT && e->vp_minutes)
			o[pos++] = vp_relative_octet(e->vp_minutes);
		if (e->type == PDU_TYPE_DELIVER) {
			memcpy(o + pos, scts, 7);
			pos += 7;
		}
		udl_pos = pos++;
		ud = o + pos;
		if (total > 1) {
			if (e->ref16) {
				const uint8_t h[] = { 6, 0x08, 4,
					(uint8_t)(e->ref >> 8), (uint8_t)e->ref,
					(uint8_t)total, (uint8_t)(i + 1) };
				memcpy(ud, h, sizeof(h));
				hdr = sizeof(h);
			} else {
				const uint8_t h[] = { 5, 0x00, 3,
					(uint8_t)e->ref, (uint8_t)total,
					(uint8_t)(i + 1) };
				memcpy(ud, h, sizeof(h));
				hdr = sizeof(h);
			}
		}
		take_part(&text, alpha,
			  total > 1 ? part_cap(alpha, e->ref16) :
			  (alpha == PDU_ALPHA_GSM7 ? GSM7_MAX_SEPTETS :
			   UD_MAX_OCTETS / 2), units_buf, &n);
		if (alpha == PDU_ALPHA_GSM7) {
			size_t skip = (hdr * 8 + 6) / 7;
			int used = gsm7_pack(units_buf, n, skip, ud,
					     UD_MAX_OCTETS);

			if (used < 0)	/* cannot happen: caps keep it in */
				return fail(why, -EMSGSIZE, "part too long");
			o[udl_pos] = (uint8_t)(skip + n);
			pos += (size_t)used;
		} else {
			memcpy(ud + hdr, units_buf, n);
			o[udl_pos] = (uint8_t)(hdr + n);
			pos += hdr + n;
		}
		p->len = pos;
		p->tpdu_len = pos - smsc_len;
		to_hex(p);
	}
	*n_parts = (size_t)total;
	return 0;
}

/*
 * A new encoding of @type to or from @addr, with what SUBMIT and DELIVER
 * share: the SMSC, the alphabet choice, the concatenation reference.
 */
static void enc_init(struct enc *e, enum pdu_type type, const char *addr,
		     const char *smsc, bool force_ucs2, uint16_t ref,
		     bool ref16)
{
	*e = (struct enc){ .type = type, .addr = addr, .smsc = smsc,
			   .force_ucs2 = force_ucs2, .ref = ref,
			   .ref16 = ref16 };
}

int pdu_encode_submit(const char *number, const char *text,
		      const struct pdu_submit_opts *opts,
		      struct pdu_part *parts, size_t max_parts,
		      size_t *n_parts, const char **why)
{
	struct pdu_submit_opts none = { 0 };
	struct enc e;

	if (!opts)
		opts = &none;
	enc_init(&e, PDU_TYPE_SUBMIT, number, opts->smsc, opts->force_ucs2,
		 opts->concat_ref, opts->concat_ref16);
	e.fo = (uint8_t)(0x01 | (opts->vp_minutes ? 0x10 : 0) |
			 (opts->status_report ? 0x20 : 0));
	e.mr = opts->message_ref;
	e.vp_minutes = opts->vp_minutes;
	e.msg_class = -1;
	return encode_parts(&e, text, parts, max_parts, n_parts, why);
}

int pdu_encode_deliver(const char *sender, const char *text,
		       const struct pdu_deliver_opts *opts,
		       struct pdu_part *parts, size_t max_parts,
		       size_t *n_parts, const char **why)
{
	struct pdu_deliver_opts none = { .msg_class = -1 };
	struct enc e;

	if (!opts)
		opts = &none;
	enc_init(&e, PDU_TYPE_DELIVER, sender, opts->smsc, opts->force_ucs2,
		 opts->concat_ref, opts->concat_ref16);
	e.alnum_ok = true;
	/* TP-MMS set: no more messages waiting. */
	e.fo = (uint8_t)(0x04 | (opts->status_report_ind ? 0x20 : 0));
	e.scts = opts->scts_epoch;
	e.tz_quarters = opts->tz_quarters;
	e.msg_class = opts->msg_class;
	return encode_parts(&e, text, parts, max_parts, n_parts, why);
}

int pdu_encode_status_report(const char *recipient, uint8_t message_ref,
			     uint8_t status, int64_t scts_epoch,
			     int64_t discharge_epoch, int tz_quarters,
			     const char *smsc, struct pdu_part *part,
			     const char **why)
{
	uint8_t addr[12];
	size_t len, pos, smsc_len;
	int err;

	if (!recipient)
		return fail(why, -EINVAL, "no recipient");
	memset(part, 0, sizeof(*part));
	err = enc_smsc(smsc, part->octets, &len, why);
	if (err)
		return err;
	pos = smsc_len = len;
	part->octets[pos++] = 0x06;	/* STATUS-REPORT, TP-MMS */
	part->octets[pos++] = message_ref;
	err = enc_number(recipient, false, addr, &len, why);
	if (err)
		return err;
	memcpy(part->octets + pos, addr, len);
	pos += len;
	err = enc_time(scts_epoch, tz_quarters, part->octets + pos, why);
	if (err)
		return err;
	pos += 7;
	err = enc_time(discharge_epoch, tz_quarters, part->octets + pos, why);
	if (err)
		return err;
	pos += 7;
	part->octets[pos++] = status;
	part->len = pos;
	part->tpdu_len = pos - smsc_len;
	to_hex(part);
	return 0;
}

int pdu_count_parts(const char *text, bool force_ucs2,
		    enum pdu_alphabet *alphabet)
{
	enum pdu_alphabet alpha;
	size_t units;
	int err;

	if (!text)
		return -EINVAL;
	err = scan_text(text, force_ucs2, &alpha, &units, NULL);
	if (err)
		return err;
	if (alphabet)
		*alphabet = alpha;
	return count_parts(text, alpha, units, false);
}

const char *pdu_alphabet_name(enum pdu_alphabet alphabet)
{
	switch (alphabet) {
	case PDU_ALPHA_8BIT:
		return "8bit";
	case PDU_ALPHA_UCS2:
		return "ucs2";
	default:
		return "gsm7";
	}
}
