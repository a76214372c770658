/* SPDX-License-Identifier: MIT */
/*
 * test-pdu.c - SMS PDU codec against published vectors, hand-built
 * real-looking PDUs, seeded round-trip properties and a malformed table.
 *
 * Hand-built vectors were packed on paper / with an independent script
 * (septets LSB first, semi-octets swapped) and checked field by field;
 * the comment above each gives its layout.
 *
 * PDU_TEST_SEED=N fixes the seed of the randomised tests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "modem/gsm7.h"
#include "modem/pdu.h"

static struct sms_pdu P;
static const char *why;

static void decode_ok(const char *hex, bool has_smsc)
{
	why = NULL;
	int err = pdu_decode_hex(hex, has_smsc, &P, &why);

	if (err)
		print_error("decode %s: %d %s\n", hex, err, why ? why : "");
	assert_int_equal(err, 0);
}

/*
 * The classic SMS-SUBMIT "hellohello" (dreamfabric.com/sms and the
 * Wikipedia "GSM 03.38" packing example): SMSC 00, FO 01, MR 00,
 * DA 0B 91 5121551532F4 = +15125551234, PID 00, DCS 00, UDL 0A.
 */
static void test_submit_hellohello(void **state)
{
	(void)state;
	decode_ok("0001000B915121551532F400000AE8329BFD4697D9EC37", true);
	assert_int_equal(P.type, PDU_TYPE_SUBMIT);
	assert_string_equal(P.smsc, "");
	assert_string_equal(P.addr, "+15125551234");
	assert_int_equal(P.addr_toa, 0x91);
	assert_false(P.addr_alnum);
	assert_int_equal(P.message_ref, 0);
	assert_int_equal(P.pid, 0);
	assert_int_equal(P.dcs, 0);
	assert_int_equal(P.alphabet, PDU_ALPHA_GSM7);
	assert_int_equal(P.msg_class, -1);
	assert_int_equal(P.vp_minutes, -1);
	assert_false(P.scts.present);
	assert_false(P.concat.present);
	assert_int_equal(P.dst_port, -1);
	assert_string_equal(P.text, "hellohello");
}

/* The same vector must come out of the encoder byte for byte. */
static void test_encode_hellohello(void **state)
{
	struct pdu_part part[2];
	size_t n = 0;

	(void)state;
	assert_int_equal(pdu_encode_submit("+15125551234", "hellohello", NULL,
					   part, 2, &n, &why), 0);
	assert_int_equal(n, 1);
	assert_string_equal(part[0].hex,
			    "0001000B915121551532F400000AE8329BFD4697D9EC37");
	assert_int_equal(part[0].len, 23);
	assert_int_equal(part[0].tpdu_len, 22);
}

/*
 * developershome.com "SMS PDU" tutorial SMS-SUBMIT with an SMSC field:
 * SMSC 07 91 5892000000F0 = +85290000000, DA +85291234567, UDL 0x21.
 */
static void test_submit_developershome(void **state)
{
	(void)state;
	decode_ok("07915892000000F001000B915892214365F7000021493A283D0795C3F3"
		  "3C88FE06CDCB6E32885EC6D341EDF27C1E3E97E72E", true);
	assert_int_equal(P.type, PDU_TYPE_SUBMIT);
	assert_string_equal(P.smsc, "+85290000000");
	assert_string_equal(P.addr, "+85291234567");
	assert_string_equal(P.text, "It is easy to send text messages.");
}

/*
 * dreamfabric.com/sms SMS-DELIVER "How are you?": SMSC +31624000000,
 * OA +31641600986, SCTS 20 80 62 91 73 14 08.  The zone octet 0x08 has
 * the sign bit (bit 3) set and value 0: "-00" per 23.040 9.2.3.11 (the
 * page reads it unswapped as +2h; the standard says otherwise).
 */
static void test_deliver_dreamfabric(void **state)
{
	(void)state;
	decode_ok("07911326040000F0040B911346610089F60000208062917314080CC8F71D"
		  "14969741F977FD07", true);
	assert_int_equal(P.type, PDU_TYPE_DELIVER);
	assert_string_equal(P.smsc, "+31624000000");
	assert_string_equal(P.addr, "+31641600986");
	assert_int_equal(P.first_octet, 0x04);
	assert_true(P.scts.present);
	assert_int_equal(P.scts.tz_quarters, 0);
	assert_string_equal(P.scts.iso, "2002-08-26T19:37:41+00:00");
	assert_int_equal(P.scts.epoch, 1030390661);
	assert_string_equal(P.text, "How are you?");
}

/*
 * Lars Pettersson's "SMS PDU mode" note: SMSC +27381000015, OA TOA C8
 * (TON 100 abbreviated: no "+"), SCTS 1999-03-29 15:16:59 zone 0x80
 * = +8 quarters.  Years 90..99 are the 1990s.
 */
static void test_deliver_1999_abbreviated(void **state)
{
	(void)state;
	decode_ok("07917283010010F5040BC87238880900F10000993092516195800AE8329B"
		  "FD4697D9EC37", true);
	assert_string_equal(P.smsc, "+27381000015");
	assert_string_equal(P.addr, "27838890001");
	assert_int_equal(P.addr_toa, 0xc8);
	assert_string_equal(P.scts.iso, "1999-03-29T15:16:59+02:00");
	assert_int_equal(P.scts.epoch, 922713419);
	assert_string_equal(P.text, "hellohello");
}

/*
 * China Mobile style DELIVER, UCS-2 "积分": SMSC 08 91 683108100005F0
 * (+8613800100500), OA 0D 91 683108000000F1 (+8613800000001),
 * DCS 08, SCTS 62 11 82 90 03 00 23 = 2026-11-28 09:30:00, zone 0x23 =
 * +32 quarters, UDL 04, 79EF 5206.
 */
static void test_deliver_ucs2_chinese(void **state)
{
	(void)state;
	decode_ok("0891683108100005F0040D91683108000000F100086211829003002304"
		  "79EF5206", true);
	assert_string_equal(P.smsc, "+8613800100500");
	assert_string_equal(P.addr, "+8613800000001");
	assert_int_equal(P.alphabet, PDU_ALPHA_UCS2);
	assert_int_equal(P.dcs, 8);
	assert_string_equal(P.text, "积分");
	assert_int_equal(P.scts.tz_quarters, 32);
	assert_string_equal(P.scts.iso, "2026-11-28T09:30:00+08:00");
	assert_int_equal(P.scts.epoch, 1795829400);
}

/* UCS-2 "好😀": 597D, then the surrogate pair D83D DE00 (U+1F600). */
static void test_deliver_emoji_surrogates(void **state)
{
	(void)state;
	decode_ok("040D91683108000000F1000862118290030023"
		  "06597DD83DDE00", false);
	assert_string_equal(P.text, "好\xf0\x9f\x98\x80");
	/* An unpaired high surrogate becomes U+FFFD. */
	decode_ok("040D91683108000000F1000862118290030023040041D83D", false);
	assert_string_equal(P.text, "A\xef\xbf\xbd");
}

/*
 * Alphanumeric originator "Google": OA 0B D0 C7F7FBCC2E03 (length in
 * semi-octets: 6 septets = 42 bits -> 11), SCTS 2026-01-15 07:05:09
 * zone 0x0A = -20 quarters (-05:00), text "G-code 123456".
 */
static void test_deliver_alnum_negative_zone(void **state)
{
	(void)state;
	decode_ok("040BD0C7F7FBCC2E0300006210517050900A0DC7D6F84D2E8362B219AD"
		  "6603", false);
	assert_true(P.addr_alnum);
	assert_int_equal(P.addr_toa, 0xd0);
	assert_string_equal(P.addr, "Google");
	assert_int_equal(P.scts.tz_quarters, -20);
	assert_string_equal(P.scts.iso, "2026-01-15T07:05:09-05:00");
	assert_int_equal(P.scts.epoch, 1768478709);
	assert_string_equal(P.text, "G-code 123456");
}

/*
 * Newfoundland -03:30 on a leap day: 14 quarters, tens digit 1 with the
 * sign bit (0x8) in the low nibble, units 4 in the high nibble -> 0x49.
 */
static void test_timestamp_half_hour_negative(void **state)
{
	(void)state;
	decode_ok("040B911346610089F60000" "42209232959549" "0141", false);
	assert_string_equal(P.scts.iso, "2024-02-29T23:59:59-03:30");
	assert_int_equal(P.scts.tz_quarters, -14);
	assert_int_equal(P.scts.epoch, 1709263799);
	assert_string_equal(P.text, "A");
}

/* Extension table: ESC + 65 28 29 3C 3E 14 3D 2F 40 0A. */
static void test_extension_chars(void **state)
{
	(void)state;
	/* "€[]{}^~\|" packed, 18 septets */
	decode_ok("00040B911346610089F600006211829003002312"
		  "9BF286B7F16D509BD486B2E96D5E1B20", true);
	assert_string_equal(P.text, "€[]{}^~\\|");
	/* ESC 0A form feed, ESC + undefined 'A' shows 'A', trailing ESC */
	{
		uint8_t s[] = { 0x1b, 0x0a, 0x1b, 0x41, 0x1b };
		char out[16];

		assert_int_equal(gsm7_to_utf8(s, 5, out, sizeof(out)), 3);
		assert_string_equal(out, "\fA ");
	}
}

/*
 * Concatenated part 2/2, 8-bit reference A7: UDH 05 00 03 A7 02 02,
 * one fill bit, then 23 septets; UDL 0x1E = 7 header septets + 23.
 */
static void test_concat_8bit_gsm7(void **state)
{
	(void)state;
	decode_ok("0891683108100005F0440D91683108000000F100006211829003002"
		  "31E050003A70202E061391D44BFBF416F33888E2E83DAE5F93C7C2E03",
		  true);
	assert_true(P.udhi);
	assert_true(P.concat.present);
	assert_false(P.concat.ref16);
	assert_int_equal(P.concat.ref, 0xa7);
	assert_int_equal(P.concat.total, 2);
	assert_int_equal(P.concat.seq, 2);
	assert_string_equal(P.text, "part two of the message");
}

/* 16-bit reference: UDH 06 08 04 1234 03 02, UCS-2 "积分". */
static void test_concat_16bit_ucs2(void **state)
{
	(void)state;
	decode_ok("440D91683108000000F10008621182900300230B0608041234030279EF"
		  "5206", false);
	assert_true(P.concat.present);
	assert_true(P.concat.ref16);
	assert_int_equal(P.concat.ref, 0x1234);
	assert_int_equal(P.concat.total, 3);
	assert_int_equal(P.concat.seq, 2);
	assert_string_equal(P.text, "积分");
}

/* Invalid concat IEs are ignored (23.040 9.2.3.24.1): not concatenated. */
static void test_concat_invalid_ignored(void **state)
{
	static const char *const hex[] = {
		/* total 0 */
		"440D91683108000000F10008621182900300230805000301000179EF",
		/* seq 0 */
		"440D91683108000000F10008621182900300230805000301020079EF",
		/* seq > total */
		"440D91683108000000F10008621182900300230805000301020379EF",
		/* wrong IE length (2) is skipped */
		"440D91683108000000F100086211829003002307040002010279EF",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		decode_ok(hex[i], false);
		assert_false(P.concat.present);
		assert_string_equal(P.text, "积");
	}
}

/* Unknown IEs before the concat IE are skipped (0x24 national lang). */
static void test_udh_other_ies_skipped(void **state)
{
	(void)state;
	decode_ok("440D91683108000000F1000862118290030023" "0D"
		  "08" "2401" "0D" "0003" "090201" "79EF5206", false);
	assert_true(P.concat.present);
	assert_int_equal(P.concat.ref, 9);
	assert_string_equal(P.text, "积分");
}

/* Class 0 (flash) both ways: DCS 10 (general group) and F0. */
static void test_flash_class0(void **state)
{
	(void)state;
	decode_ok("040B911346610089F6001062118290030023054666708A04", false);
	assert_int_equal(P.msg_class, 0);
	assert_int_equal(P.alphabet, PDU_ALPHA_GSM7);
	assert_string_equal(P.text, "FLASH");
	decode_ok("040B911346610089F600F062118290030023054666708A04", false);
	assert_int_equal(P.msg_class, 0);
	assert_string_equal(P.text, "FLASH");
}

/* TS 23.038 section 4 coding groups. */
static void test_dcs_groups(void **state)
{
	static const struct {
		uint8_t dcs;
		enum pdu_alphabet alpha;
		int cls;
	} t[] = {
		{ 0x00, PDU_ALPHA_GSM7, -1 },
		{ 0x04, PDU_ALPHA_8BIT, -1 },
		{ 0x08, PDU_ALPHA_UCS2, -1 },
		{ 0x0c, PDU_ALPHA_GSM7, -1 },	/* reserved alphabet */
		{ 0x11, PDU_ALPHA_GSM7, 1 },
		{ 0x16, PDU_ALPHA_8BIT, 2 },
		{ 0x1f, PDU_ALPHA_GSM7, 3 },	/* reserved alphabet, class 3 */
		{ 0x18, PDU_ALPHA_UCS2, 0 },
		{ 0x48, PDU_ALPHA_UCS2, -1 },	/* automatic deletion */
		{ 0x52, PDU_ALPHA_GSM7, 2 },
		{ 0x80, PDU_ALPHA_GSM7, -1 },	/* reserved group */
		{ 0xb4, PDU_ALPHA_GSM7, -1 },
		{ 0xc0, PDU_ALPHA_GSM7, -1 },	/* MWI discard */
		{ 0xd8, PDU_ALPHA_GSM7, -1 },	/* MWI store */
		{ 0xe0, PDU_ALPHA_UCS2, -1 },	/* MWI store UCS2 */
		{ 0xf1, PDU_ALPHA_GSM7, 1 },
		{ 0xf6, PDU_ALPHA_8BIT, 2 },
	};
	char hex[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* 2 octets of user data: UCS2 "A", 8bit 00 41, GSM7 "A" + 1 */
		snprintf(hex, sizeof(hex), "040B911346610089F600%02X%s",
			 t[i].dcs, "6211829003002302" "0041");
		decode_ok(hex, false);
		assert_int_equal(P.alphabet, t[i].alpha);
		assert_int_equal(P.msg_class, t[i].cls);
		if (t[i].alpha == PDU_ALPHA_UCS2)
			assert_string_equal(P.text, "A");
		if (t[i].alpha == PDU_ALPHA_8BIT) {
			assert_int_equal(P.data_len, 2);
			assert_int_equal(P.data[1], 0x41);
			assert_string_equal(P.text, "");
		}
	}
}

static void test_dcs_compressed(void **state)
{
	static const uint8_t dcs[] = { 0x20, 0x28, 0x34, 0x60 };
	char hex[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dcs); i++) {
		snprintf(hex, sizeof(hex), "040B911346610089F600%02X%s",
			 dcs[i], "62118290030023020041");
		why = NULL;
		assert_int_equal(pdu_decode_hex(hex, false, &P, &why),
				 -ENOTSUP);
		assert_string_equal(why, "compressed user data not supported");
	}
}

/*
 * WAP push-like 8-bit SMS: UDHI, DCS 04, UDH 06 05 04 0B84 23F0
 * (16-bit application ports 2948 <- 9200), data 01 06 03.
 */
static void test_8bit_port(void **state)
{
	(void)state;
	decode_ok("440BD0C7F7FBCC2E03" "0004" "62118290030023" "0A"
		  "0605040B8423F0010603", false);
	assert_int_equal(P.alphabet, PDU_ALPHA_8BIT);
	assert_int_equal(P.dst_port, 2948);
	assert_int_equal(P.data_len, 3);
	assert_memory_equal(P.data, "\x01\x06\x03", 3);
	assert_string_equal(P.text, "");
	/* 8-bit port IE 04: 2 octets dst, src */
	decode_ok("440B911346610089F60004621182900300230604" "0402F0F1" "AA",
		  false);
	assert_int_equal(P.dst_port, 0xf0);
	assert_int_equal(P.data_len, 1);
	assert_int_equal(P.data[0], 0xaa);
}

/*
 * SMS-STATUS-REPORT: SMSC +31624000000, FO 06, MR D6,
 * RA 0B 91 1326880736F4 = +31628870634, SCTS 2011-01-11 17:59:15 +01:00
 * (zone 0x40 = +4 quarters), DT 17:59:17, ST 00 (delivered).
 */
static void test_status_report(void **state)
{
	(void)state;
	decode_ok("07911326040000F006D60B911326880736F4111011719551401110117195"
		  "714000", true);
	assert_int_equal(P.type, PDU_TYPE_STATUS_REPORT);
	assert_string_equal(P.smsc, "+31624000000");
	assert_int_equal(P.message_ref, 0xd6);
	assert_string_equal(P.addr, "+31628870634");
	assert_string_equal(P.scts.iso, "2011-01-11T17:59:15+01:00");
	assert_int_equal(P.scts.epoch, 1294765155);
	assert_string_equal(P.discharge.iso, "2011-01-11T17:59:17+01:00");
	assert_int_equal(P.discharge.epoch, 1294765157);
	assert_int_equal(P.status, 0);
	assert_string_equal(P.text, "");
	/* With TP-PI = 07: PID 00, DCS 08, UDL 02, "积". */
	decode_ok("06D60B911326880736F411101171955140111011719571403007000802"
		  "79EF", false);
	assert_int_equal(P.status, 0x30);
	assert_int_equal(P.alphabet, PDU_ALPHA_UCS2);
	assert_string_equal(P.text, "积");
}

/* '*', '#' and a-c semi-octets; odd count with F filler. */
static void test_address_semi_octets(void **state)
{
	(void)state;
	/* "*100#": A 1 0 0 B F -> 1A 00 FB */
	decode_ok("0405811A00FB00006211829003002301" "41", false);
	assert_string_equal(P.addr, "*100#");
	decode_ok("040381DCFE00006211829003002301" "41", false);
	assert_string_equal(P.addr, "abc");
	/* National 10086 (odd: 01 80 F6) */
	decode_ok("04058101" "80F600006211829003002301" "41", false);
	assert_string_equal(P.addr, "10086");
	assert_int_equal(P.addr_toa, 0x81);
}

/* Reserved TP-MTI 11 is processed as SMS-DELIVER (23.040 9.2.3.1). */
static void test_reserved_mti_as_deliver(void **state)
{
	(void)state;
	decode_ok("070B911346610089F60000208062917314080CC8F71D14969741F977FD07",
		  false);
	assert_int_equal(P.type, PDU_TYPE_DELIVER);
	assert_string_equal(P.text, "How are you?");
}

/* Relative, absolute and enhanced validity period in a SUBMIT. */
static void test_submit_validity_period(void **state)
{
	(void)state;
	/* FO 31: VPF 10, SRR; VP A7 = 167 -> 24 hours */
	decode_ok("003101" "0B915121551532F40000A7" "0AE8329BFD4697D9EC37", true);
	assert_true(P.srr);
	assert_int_equal(P.message_ref, 1);
	assert_int_equal(P.vp_minutes, 24 * 60);
	assert_string_equal(P.text, "hellohello");
	/* FO 19: VPF 11 absolute, 7 octets skipped */
	decode_ok("0019000B915121551532F40000" "62118290030023"
		  "0AE8329BFD4697D9EC37", true);
	assert_int_equal(P.vp_minutes, -1);
	assert_string_equal(P.text, "hellohello");
	/* FO 09: VPF 01 enhanced, 7 octets skipped */
	decode_ok("0009000B915121551532F40000" "01000000000000"
		  "0AE8329BFD4697D9EC37", true);
	assert_string_equal(P.text, "hellohello");
}

/* 23.040 9.2.3.12.1 relative VP, encoder rounds minutes up. */
static void test_encode_vp_relative(void **state)
{
	static const struct {
		int minutes;
		uint8_t vp;
		int decoded;
	} t[] = {
		{ 1, 0x00, 5 }, { 5, 0x00, 5 }, { 6, 0x01, 10 },
		{ 60, 0x0b, 60 }, { 720, 0x8f, 720 }, { 721, 0x90, 750 },
		{ 1440, 0xa7, 1440 }, { 1441, 0xa8, 2880 },
		{ 3 * 1440, 0xa9, 3 * 1440 }, { 30 * 1440, 0xc4, 30 * 1440 },
		{ 30 * 1440 + 1, 0xc5, 35 * 1440 },
		{ 63 * 10080, 0xff, 63 * 10080 },
		{ 100 * 10080, 0xff, 63 * 10080 },
	};
	struct pdu_submit_opts o = { 0 };
	struct pdu_part part;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		o.vp_minutes = t[i].minutes;
		assert_int_equal(pdu_encode_submit("10086", "x", &o, &part, 1,
						   &n, &why), 0);
		/* 00 11 00 05 81 0180F6 00 00 VP ... */
		assert_int_equal(part.octets[1], 0x11);
		assert_int_equal(part.octets[10], t[i].vp);
		assert_int_equal(pdu_decode(part.octets, part.len, true, &P,
					    &why), 0);
		assert_int_equal(P.vp_minutes, t[i].decoded);
	}
	o.vp_minutes = -1;
	assert_int_equal(pdu_encode_submit("10086", "x", &o, &part, 1, &n,
					   &why), -EINVAL);
}

static void test_encode_submit_options(void **state)
{
	struct pdu_submit_opts o = { .status_report = true, .vp_minutes = 1440,
				     .message_ref = 0x42,
				     .smsc = "+8613800100500" };
	struct pdu_part part;
	size_t n;

	(void)state;
	assert_int_equal(pdu_encode_submit("13800000001", "Hi", &o, &part, 1,
					   &n, &why), 0);
	/* SMSC, FO 31, MR 42, DA 0B 81 (national, odd -> F), VP A7 */
	assert_string_equal(part.hex, "0891683108100005F03142"
			    "0B813108000000F10000A702C834");
	assert_int_equal(part.tpdu_len, part.len - 9);
	decode_ok(part.hex, true);
	assert_string_equal(P.smsc, "+8613800100500");
	assert_string_equal(P.addr, "13800000001");
	assert_true(P.srr);
	assert_string_equal(P.text, "Hi");
}

static void test_encode_ucs2_chinese(void **state)
{
	struct pdu_part part;
	size_t n;

	(void)state;
	assert_int_equal(pdu_encode_submit("+8613800000001", "积分", NULL,
					   &part, 1, &n, &why), 0);
	assert_string_equal(part.hex,
			    "0001000D91683108000000F100080479EF5206");
	/* force_ucs2 on ASCII */
	{
		struct pdu_submit_opts o = { .force_ucs2 = true };

		assert_int_equal(pdu_encode_submit("10086", "OK", &o, &part, 1,
						   &n, &why), 0);
		assert_string_equal(part.hex,
				    "000100058101" "80F60008" "04004F004B");
	}
}

static void test_encode_extension_costs_two(void **state)
{
	char text[400];
	struct pdu_part parts[3];
	size_t n;

	(void)state;
	/* 80 euros = 160 septets: one part */
	text[0] = '\0';
	for (int i = 0; i < 80; i++)
		strcat(text, "€");
	assert_int_equal(pdu_encode_submit("10086", text, NULL, parts, 3, &n,
					   &why), 0);
	assert_int_equal(n, 1);
	decode_ok(parts[0].hex, true);
	assert_string_equal(P.text, text);
	/* 152 'a' + "€" + "b" x 7 = 161 septets: the escape pair must not
	 * straddle the 153-septet boundary -> part 1 holds 152 septets. */
	memset(text, 'a', 152);
	strcpy(text + 152, "€bbbbbbb");
	assert_int_equal(pdu_encode_submit("10086", text, NULL, parts, 3, &n,
					   &why), 0);
	assert_int_equal(n, 2);
	decode_ok(parts[0].hex, true);
	assert_int_equal(strlen(P.text), 152);
	assert_int_equal(parts[0].octets[10], 7 + 152);	/* UDL */
	decode_ok(parts[1].hex, true);
	assert_string_equal(P.text, "€bbbbbbb");
	assert_int_equal(P.concat.seq, 2);
	assert_int_equal(P.concat.total, 2);
}

static void test_encode_split_gsm7(void **state)
{
	char text[400];
	struct pdu_part parts[4];
	size_t n;
	struct pdu_submit_opts o = { .concat_ref = 0x1a7 };

	(void)state;
	memset(text, 'x', 160);
	text[160] = '\0';
	assert_int_equal(pdu_encode_submit("10086", text, &o, parts, 4, &n,
					   &why), 0);
	assert_int_equal(n, 1);
	assert_int_equal(parts[0].octets[1] & 0x40, 0);
	memset(text, 'x', 307);
	text[307] = '\0';
	assert_int_equal(pdu_encode_submit("10086", text, &o, parts, 4, &n,
					   &why), 0);
	assert_int_equal(n, 3);		/* 153 + 153 + 1 */
	for (size_t i = 0; i < n; i++) {
		decode_ok(parts[i].hex, true);
		assert_true(P.udhi);
		assert_false(P.concat.ref16);
		assert_int_equal(P.concat.ref, 0xa7);
		assert_int_equal(P.concat.total, 3);
		assert_int_equal(P.concat.seq, i + 1);
		assert_int_equal(strlen(P.text), i < 2 ? 153 : 1);
	}
	assert_int_equal(pdu_encode_submit("10086", text, &o, parts, 2, &n,
					   &why), -EMSGSIZE);
	/* 16-bit reference: 7-octet UDH leaves 152 septets */
	o.concat_ref16 = true;
	memset(text, 'x', 305);
	text[305] = '\0';
	assert_int_equal(pdu_encode_submit("10086", text, &o, parts, 4, &n,
					   &why), 0);
	assert_int_equal(n, 3);
	decode_ok(parts[0].hex, true);
	assert_true(P.concat.ref16);
	assert_int_equal(P.concat.ref, 0x1a7);
	assert_int_equal(strlen(P.text), 152);
}

static void test_encode_split_ucs2_surrogate(void **state)
{
	char text[600];
	struct pdu_part parts[3];
	size_t n, i;

	(void)state;
	/* 70 CJK: one part; 71: 67 + 4 */
	text[0] = '\0';
	for (i = 0; i < 70; i++)
		strcat(text, "积");
	assert_int_equal(pdu_encode_submit("10086", text, NULL, parts, 3, &n,
					   &why), 0);
	assert_int_equal(n, 1);
	strcat(text, "分");
	assert_int_equal(pdu_encode_submit("10086", text, NULL, parts, 3, &n,
					   &why), 0);
	assert_int_equal(n, 2);
	decode_ok(parts[1].hex, true);
	assert_string_equal(P.text, "积积积分");
	/* 66 CJK + emoji: the pair would straddle unit 67 -> next part */
	text[0] = '\0';
	for (i = 0; i < 66; i++)
		strcat(text, "积");
	strcat(text, "😀好好好好");
	assert_int_equal(pdu_encode_submit("10086", text, NULL, parts, 3, &n,
					   &why), 0);
	assert_int_equal(n, 2);
	decode_ok(parts[0].hex, true);
	assert_int_equal(strlen(P.text), 66 * 3);
	assert_int_equal(parts[0].octets[10], 6 + 132);	/* UDL */
	decode_ok(parts[1].hex, true);
	assert_string_equal(P.text, "😀好好好好");
}

static void test_encode_errors(void **state)
{
	struct pdu_part parts[2];
	size_t n;

	(void)state;
	assert_int_equal(pdu_encode_submit("10086", "bad \xff utf8", NULL,
					   parts, 2, &n, &why), -EILSEQ);
	assert_int_equal(pdu_encode_submit("10086", "\xe7\xa7", NULL,
					   parts, 2, &n, &why), -EILSEQ);
	/* encoded surrogate, overlong '/' */
	assert_int_equal(pdu_encode_submit("10086", "\xed\xa0\x80", NULL,
					   parts, 2, &n, &why), -EILSEQ);
	assert_int_equal(pdu_encode_submit("10086", "\xc0\xaf", NULL,
					   parts, 2, &n, &why), -EILSEQ);
	assert_int_equal(pdu_encode_submit("", "x", NULL, parts, 2, &n,
					   &why), -EINVAL);
	assert_int_equal(pdu_encode_submit("+", "x", NULL, parts, 2, &n,
					   &why), -EINVAL);
	assert_int_equal(pdu_encode_submit("138-0000", "x", NULL, parts, 2,
					   &n, &why), -EINVAL);
	assert_int_equal(pdu_encode_submit("Google", "x", NULL, parts, 2, &n,
					   &why), -EINVAL);
	assert_int_equal(pdu_encode_submit("abc", "x", NULL, parts, 2, &n,
					   &why), -EINVAL);
	assert_int_equal(pdu_encode_submit("123456789012345678901", "x", NULL,
					   parts, 2, &n, &why), -EINVAL);
	assert_string_equal(why, "number longer than 20 digits");
}

static void test_encode_deliver_alnum_class0(void **state)
{
	struct pdu_deliver_opts o = { .scts_epoch = 1795829400,
				      .tz_quarters = 32, .msg_class = 0 };
	struct pdu_part part;
	size_t n;

	(void)state;
	assert_int_equal(pdu_encode_deliver("Google", "FLASH", &o, &part, 1,
					    &n, &why), 0);
	assert_string_equal(part.hex, "00040BD0C7F7FBCC2E030010"
			    "62118290030023054666708A04");
	decode_ok(part.hex, true);
	assert_int_equal(P.type, PDU_TYPE_DELIVER);
	assert_true(P.addr_alnum);
	assert_string_equal(P.addr, "Google");
	assert_int_equal(P.msg_class, 0);
	assert_string_equal(P.scts.iso, "2026-11-28T09:30:00+08:00");
	o.msg_class = -1;
	o.tz_quarters = -14;
	assert_int_equal(pdu_encode_deliver("+8613800000001", "积分", &o, &part,
					    1, &n, &why), 0);
	decode_ok(part.hex, true);
	assert_string_equal(P.addr, "+8613800000001");
	assert_int_equal(P.scts.epoch, 1795829400);
	assert_int_equal(P.scts.tz_quarters, -14);
	assert_string_equal(P.scts.iso, "2026-11-27T22:00:00-03:30");
	assert_string_equal(P.text, "积分");
	assert_int_equal(P.msg_class, -1);
	/* "abc" is a name, not a-c semi-octets */
	assert_int_equal(pdu_encode_deliver("abc", "x", &o, &part, 1, &n,
					    &why), 0);
	decode_ok(part.hex, true);
	assert_true(P.addr_alnum);
	assert_string_equal(P.addr, "abc");
	/* "*100#" is a number */
	assert_int_equal(pdu_encode_deliver("*100#", "x", &o, &part, 1, &n,
					    &why), 0);
	assert_string_equal(part.hex + 2, "04" "05811A00FB" "0000"
			    "62117222000049" "0178");
	/* too long / not GSM for an alphanumeric sender */
	assert_int_equal(pdu_encode_deliver("ABCDEFGHIJKL", "x", &o, &part, 1,
					    &n, &why), -EINVAL);
	assert_int_equal(pdu_encode_deliver("积分", "x", &o, &part, 1, &n,
					    &why), -EINVAL);
	o.scts_epoch = 4102444800;	/* 2100-01-01 */
	assert_int_equal(pdu_encode_deliver("10086", "x", &o, &part, 1, &n,
					    &why), -ERANGE);
}

static void test_encode_status_report(void **state)
{
	struct pdu_part part;

	(void)state;
	assert_int_equal(pdu_encode_status_report("+31628870634", 0xd6, 0,
						  1294765155, 1294765157, 4,
						  "+31624000000", &part, &why),
			 0);
	assert_string_equal(part.hex, "07911326040000F006D60B911326880736F4"
			    "1110117195514011101171957140" "00");
	assert_int_equal(part.tpdu_len, part.len - 8);
	decode_ok(part.hex, true);
	assert_int_equal(P.type, PDU_TYPE_STATUS_REPORT);
	assert_int_equal(P.discharge.epoch, 1294765157);
}

static void test_count_parts(void **state)
{
	static const struct {
		const char *text;
		int parts;
		enum pdu_alphabet alpha;
	} t[] = {
		{ "", 1, PDU_ALPHA_GSM7 },
		{ "hello", 1, PDU_ALPHA_GSM7 },
		{ "€", 1, PDU_ALPHA_GSM7 },
		{ "积分", 1, PDU_ALPHA_UCS2 },
		{ "café", 1, PDU_ALPHA_GSM7 },		/* é is in GSM7 */
		{ "naïve", 1, PDU_ALPHA_UCS2 },		/* ï is not */
	};
	enum pdu_alphabet a;
	char text[400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(pdu_count_parts(t[i].text, false, &a),
				 t[i].parts);
		assert_int_equal(a, t[i].alpha);
	}
	assert_int_equal(pdu_count_parts("hello", true, &a), 1);
	assert_int_equal(a, PDU_ALPHA_UCS2);
	memset(text, 'a', 161);
	text[161] = '\0';
	assert_int_equal(pdu_count_parts(text, false, &a), 2);
	assert_int_equal(pdu_count_parts(text, true, &a), 3);	/* 67*2 +27 */
	memset(text, 'a', 307);
	text[306] = '\0';
	assert_int_equal(pdu_count_parts(text, false, &a), 2);
	text[306] = 'a';
	text[307] = '\0';
	assert_int_equal(pdu_count_parts(text, false, &a), 3);
	assert_int_equal(pdu_count_parts("\xff", false, &a), -EILSEQ);
}

/* ---- malformed input --------------------------------------------------- */

static void test_malformed_table(void **state)
{
	static const struct {
		const char *hex;
		bool smsc;
		int err;
		const char *why;
	} t[] = {
		{ "", true, -EBADMSG, "empty PDU" },
		{ "0", true, -EINVAL, "odd hex length" },
		{ "0X", true, -EINVAL, "bad hex digit" },
		{ "00 4", true, -EINVAL, "bad hex digit" },
		{ "00", true, -EBADMSG, "missing first octet" },
		{ "0C91683108100005F0000000", true, -EBADMSG,
		  "SMSC address too long" },
		{ "0791683108", true, -EBADMSG, "truncated SMSC address" },
		{ "0791F3", true, -EBADMSG, "truncated SMSC address" },
		{ "07911F26040000F0040B911346610089F60000208062917314080141",
		  true, -EBADMSG, "bad semi-octet in address" },
		{ "04", false, -EBADMSG, "truncated address" },
		{ "040B91134661", false, -EBADMSG, "truncated address" },
		{ "0415911346610089F6134661008913466100", false, -EBADMSG,
		  "address length over 20 digits" },
		{ "04048121F3000020806291731408" "0141", false, -EBADMSG,
		  "bad semi-octet in address" },
		{ "040B911346610089F6", false, -EBADMSG,
		  "truncated before protocol identifier" },
		{ "040B911346610089F600", false, -EBADMSG,
		  "truncated before data coding scheme" },
		{ "040B911346610089F60000208062", false, -EBADMSG,
		  "truncated timestamp" },
		{ "040B911346610089F60000203162917314080141", false, -EBADMSG,
		  "timestamp out of range" },		/* month 13 */
		{ "040B911346610089F60000200062917314080141", false, -EBADMSG,
		  "timestamp out of range" },		/* month 0 */
		{ "040B911346610089F60000422003917314080141", false, -EBADMSG,
		  "timestamp out of range" },		/* 2024-02-30 */
		{ "040B911346610089F60000208062427314080141", false, -EBADMSG,
		  "timestamp out of range" },		/* hour 24 */
		{ "040B911346610089F6000020806291A314080141", false, -EBADMSG,
		  "bad BCD digit in timestamp" },
		{ "040B911346610089F60000208062917314A00141", false, -EBADMSG,
		  "bad BCD digit in time zone" },
		{ "040B911346610089F6000020806291731408", false, -EBADMSG,
		  "truncated before user data length" },
		{ "040B911346610089F600002080629173140801", false, -EBADMSG,
		  "user data length exceeds PDU" },
		{ "040B911346610089F600002080629173140809C8F71D1496", false,
		  -EBADMSG, "user data length exceeds PDU" },
		{ "040B911346610089F6000020806291731408A1", false, -EBADMSG,
		  "user data length over 160 septets" },
		{ "040B911346610089F600082080629173140880", false, -EBADMSG,
		  "user data length exceeds PDU" },
		{ "040B911346610089F60008208062917314088D", false, -EBADMSG,
		  "user data length over 140 octets" },
		{ "040B911346610089F60008208062917314080379EF52", false,
		  -EBADMSG, "odd UCS-2 user data length" },
		{ "440B911346610089F6000420806291731408" "00", false, -EBADMSG,
		  "user data header indicated but missing" },
		{ "440B911346610089F60004208062917314080510000301" "02", false,
		  -EBADMSG, "user data header overruns user data" },
		{ "440B911346610089F6000420806291731408060500050102" "01",
		  false, -EBADMSG, "information element overruns header" },
		{ "440B911346610089F600042080629173140802" "0100", false,
		  -EBADMSG, "truncated information element in header" },
		{ "440B911346610089F60000208062917314080302" "0A00", false,
		  -EBADMSG, "user data header overruns user data" },
		{ "440B911346610089F600002080629173140800", false, -EBADMSG,
		  "user data header indicated but missing" },
		{ "040B911346610089F60020208062917314080141", false, -ENOTSUP,
		  "compressed user data not supported" },
		{ "01", false, -EBADMSG, "truncated before message reference" },
		{ "11000B915121551532F40000", false, -EBADMSG,
		  "truncated validity period" },
		{ "19000B915121551532F40000621182", false, -EBADMSG,
		  "truncated validity period" },
		{ "06D60B911326880736F41110117195514011101171957140", false,
		  -EBADMSG, "truncated before status" },
		{ "06D60B911326880736F4111011719551401110", false, -EBADMSG,
		  "truncated timestamp" },
		{ "06D60B911326880736F41110117195514011101171957140" "0004",
		  false, -EBADMSG, "truncated before user data length" },
		{ "06D60B911326880736F41110117195514011101171957140" "0080",
		  false, -EBADMSG, "truncated parameter indicator" },
	};
	char big[2 * PDU_MAX_OCTETS + 3];
	size_t i;

	(void)state;
	assert_true(sizeof(t) / sizeof(t[0]) >= 25);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		int err = pdu_decode_hex(t[i].hex, t[i].smsc, &P, &why);

		if (err != t[i].err || !why || strcmp(why, t[i].why))
			print_error("row %zu %s: got %d '%s'\n", i, t[i].hex,
				    err, why ? why : "(null)");
		assert_int_equal(err, t[i].err);
		assert_non_null(why);
		assert_string_equal(why, t[i].why);
	}
	memset(big, '0', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pdu_decode_hex(big, true, &P, &why), -EMSGSIZE);
	assert_int_equal(pdu_decode(NULL, 0, true, &P, &why), -EINVAL);
}

/* ---- lenient decoding (issue 8, item 12) -------------------------------- */

static void test_lenient_repairs(void **state)
{
	static const struct {
		const char *hex;
		unsigned repairs;
		const char *text;
	} t[] = {
		/* non-BCD digit in the timestamp: text kept, stamp absent */
		{ "040B911346610089F6000020806291A314080141", PDU_REPAIR_TIMESTAMP,
		  "A" },
		/* month 13, and a bad time zone digit */
		{ "040B911346610089F60000203162917314080141", PDU_REPAIR_TIMESTAMP,
		  "A" },
		{ "040B911346610089F60000208062917314A00141", PDU_REPAIR_TIMESTAMP,
		  "A" },
		/* GSM 7-bit: 9 septets announced, 5 octets present */
		{ "040B911346610089F600002080629173140809C8F71D1496",
		  PDU_REPAIR_UDL, "How a" },
		/* UCS-2: 3 octets, 积 and half a character */
		{ "040B911346610089F60008208062917314080379EF52",
		  PDU_REPAIR_UCS2_ODD, "积" },
		/* UCS-2: 0x80 octets announced, 积分 present */
		{ "040B911346610089F600082080629173140880" "79EF520600",
		  PDU_REPAIR_UDL | PDU_REPAIR_UCS2_ODD, "积分" },
		/* all three */
		{ "040B911346610089F6000820806291A3140807" "79EF520600",
		  PDU_REPAIR_TIMESTAMP | PDU_REPAIR_UDL | PDU_REPAIR_UCS2_ODD,
		  "积分" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		/* strict decoding refuses each of them */
		assert_int_equal(pdu_decode_hex(t[i].hex, false, &P, &why),
				 -EBADMSG);
		why = NULL;
		if (pdu_decode_hex_lenient(t[i].hex, false, &P, &why))
			print_error("row %zu: %s\n", i, why ? why : "?");
		assert_int_equal(pdu_decode_hex_lenient(t[i].hex, false, &P,
							&why), 0);
		assert_int_equal(P.repairs, t[i].repairs);
		assert_string_equal(P.text, t[i].text);
		assert_string_equal(P.addr, "+31641600986");
		assert_non_null(why);
		assert_string_equal(why, pdu_repair_text(t[i].repairs));
		assert_int_equal(P.scts.present,
				 !(t[i].repairs & PDU_REPAIR_TIMESTAMP));
		assert_int_equal(strlen(P.scts.raw), 14);
	}
	assert_string_equal(pdu_repair_text(PDU_REPAIR_TIMESTAMP |
					    PDU_REPAIR_UCS2_ODD),
			    "unreadable timestamp, odd UCS-2 length");
}

static void test_lenient_keeps_errors(void **state)
{
	static const char *const hex[] = {
		"040B911346610089F60000208062",		/* truncated stamp */
		"040B911346610089F6000020806291731408A1", /* > 160 septets */
		"040B911346610089F60000208062917314080041", /* empty: fine */
		"440B911346610089F6000420806291731408051000030102", /* UDH lies */
		"040B911346610089F600002080629173140880",	/* nothing there */
		/* a status report with a bad stamp is not repaired */
		"06D60B911326880736F411101171955140111011719A714000",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		int strict = pdu_decode_hex(hex[i], false, &P, &why);
		int lenient = pdu_decode_hex_lenient(hex[i], false, &P, &why);

		if (!strict) {
			/* accepted by both, nothing repaired */
			assert_int_equal(lenient, 0);
			assert_int_equal(P.repairs, 0);
			assert_null(why);
			continue;
		}
		if (lenient != strict)
			print_error("row %zu: %d vs %d\n", i, lenient, strict);
		assert_int_equal(lenient, strict);
		assert_non_null(why);
	}
	/* a good PDU: same as strict, no repairs, no reason */
	why = "x";
	assert_int_equal(pdu_decode_hex_lenient(
		"040B911346610089F60000208062917314080141", false, &P, &why), 0);
	assert_int_equal(P.repairs, 0);
	assert_null(why);
	assert_string_equal(P.text, "A");
	assert_true(P.scts.present);
}

/* Every prefix of a valid PDU is rejected cleanly, never read past. */
static void test_truncation_sweep(void **state)
{
	static const char *const hex[] = {
		"0891683108100005F0440D91683108000000F10000621182900300231E"
		"050003A70202E061391D44BFBF416F33888E2E83DAE5F93C7C2E03",
		"07911326040000F006D60B911326880736F411101171955140111011719571"
		"4000",
		"0001000B915121551532F400000AE8329BFD4697D9EC37",
	};
	uint8_t buf[PDU_MAX_OCTETS];
	size_t i, k, len;

	(void)state;
	for (i = 0; i < 3; i++) {
		len = strlen(hex[i]) / 2;
		for (k = 0; k < len; k++)
			buf[k] = (uint8_t)strtoul((char[3]){ hex[i][2 * k],
					hex[i][2 * k + 1], 0 }, NULL, 16);
		assert_int_equal(pdu_decode(buf, len, true, &P, &why), 0);
		for (k = 0; k < len; k++) {
			uint8_t *copy = malloc(k ? k : 1);

			memcpy(copy, buf, k);
			assert_true(pdu_decode(copy, k, true, &P, &why) < 0);
			free(copy);
		}
	}
}

/* ---- properties -------------------------------------------------------- */

static unsigned seed;

static uint32_t rnd(void)
{
	/* xorshift32 on the file-level state, reproducible from the seed */
	static uint32_t x;

	if (!x)
		x = seed ? seed : 1;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

static const char *const pool[] = {
	"a", "Z", "0", " ", "\n", "\r", "@", "$", "_", "!", "?", "é", "Ä",
	"ß", "Δ", "Ω", "¿", "€", "[", "]", "{", "}", "^", "~", "\\", "|",
	"\f", "积", "分", "贷", "好", "ï", "ç", "😀", "👍", "Ж", "ا", "·",
};

static size_t random_text(char *buf, size_t size)
{
	size_t npool = sizeof(pool) / sizeof(pool[0]);
	size_t len = 0, want = rnd() % 420;
	bool gsm_only = rnd() % 2;

	buf[0] = '\0';
	while (want--) {
		const char *c = pool[rnd() % (gsm_only ? 27 : npool)];
		size_t l = strlen(c);

		if (len + l + 1 > size)
			break;
		memcpy(buf + len, c, l + 1);
		len += l;
	}
	return len;
}

static void test_property_roundtrip(void **state)
{
	static struct pdu_part parts[32];
	char text[2048], joined[4096];
	int iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		struct pdu_submit_opts so = { .concat_ref = (uint16_t)rnd(),
					      .concat_ref16 = rnd() % 2 };
		struct pdu_deliver_opts dopt = {
			.scts_epoch = 946684800 + rnd() % 2000000000u,
			.tz_quarters = (int)(rnd() % 97) - 48,
			.msg_class = (int)(rnd() % 5) - 1,
			.concat_ref = (uint16_t)rnd(),
		};
		enum pdu_alphabet a;
		size_t n, i, jl = 0;
		bool deliver = rnd() % 2;
		int expect, err;

		random_text(text, sizeof(text));
		expect = pdu_count_parts(text, false, &a);
		assert_true(expect >= 1);
		if (deliver)
			err = pdu_encode_deliver("+8613800000001", text, &dopt,
						 parts, 32, &n, &why);
		else
			err = pdu_encode_submit("13800000001", text, &so,
						parts, 32, &n, &why);
		if (err)
			print_error("seed %u iter %d: %s\n", seed, iter, why);
		assert_int_equal(err, 0);
		if (!so.concat_ref16 || deliver)
			assert_int_equal(n, expect);
		for (i = 0; i < n; i++) {
			size_t cap, units;

			decode_ok(parts[i].hex, true);
			assert_int_equal(P.type, deliver ? PDU_TYPE_DELIVER :
					 PDU_TYPE_SUBMIT);
			assert_int_equal(P.alphabet, a);
			assert_int_equal(P.concat.present, n > 1);
			if (n > 1) {
				assert_int_equal(P.concat.seq, i + 1);
				assert_int_equal(P.concat.total, n);
				/* every part but the last is full, allowing
				 * one unit lost to an unsplit pair */
				cap = a == PDU_ALPHA_GSM7 ? 153 : 67;
				if (P.concat.ref16)
					cap--;
				units = a == PDU_ALPHA_GSM7 ?
					parts[i].octets[deliver ? 20 : 13] -
					(P.concat.ref16 ? 8u : 7u) :
					(parts[i].octets[deliver ? 20 : 13] -
					 (P.concat.ref16 ? 7u : 6u)) / 2;
				assert_true(units <= cap);
				if (i + 1 < n)
					assert_true(units >= cap - 1);
			}
			if (deliver) {
				assert_int_equal(P.scts.epoch, dopt.scts_epoch);
				assert_int_equal(P.msg_class, dopt.msg_class);
			}
			assert_true(jl + strlen(P.text) < sizeof(joined));
			memcpy(joined + jl, P.text, strlen(P.text));
			jl += strlen(P.text);
		}
		joined[jl] = '\0';
		if (strcmp(joined, text))
			print_error("seed %u iter %d: roundtrip differs\n", seed,
				    iter);
		assert_string_equal(joined, text);
	}
}

/* Random bytes never crash the decoder and either decode or say why. */
static void test_property_random_bytes(void **state)
{
	uint8_t buf[PDU_MAX_OCTETS];
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		size_t len = rnd() % sizeof(buf), i;
		int err;

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		why = NULL;
		err = pdu_decode(buf, len, rnd() % 2, &P, &why);
		if (err)
			assert_non_null(why);
		else
			assert_true(strlen(P.text) < PDU_TEXT_MAX);
	}
}

/* The modem's textual time (AT+CCLK?, +CTZV): yy/MM/dd,hh:mm:ss+zz. */
static void test_time_from_text(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t epoch;
		int tzq;
	} rows[] = {
		/* 16:00 at +8 (32 quarters) is 08:00Z */
		{ "25/12/03,16:00:00+32", 0, 1764748800LL, 32 },
		{ "\"25/12/03,08:00:00+00\"", 0, 1764748800LL, 0 },
		{ "25/12/03,16:00:00+32,0", 0, 1764748800LL, 32 },
		{ "25/12/03,03:00:00-20", 0, 1764748800LL, -20 },
		{ "25/12/03,08:00:00", 0, 1764748800LL, 0 },
		{ "28/02/29,00:00:00+00", 0, 1835395200LL, 0 },
		{ "99/12/31,23:59:59+00", 0, 946684799LL, 0 },
		{ "25/13/03,16:00:00+32", -EINVAL, 0, 0 },
		{ "25/02/29,16:00:00+32", -EINVAL, 0, 0 },
		{ "25/12/03,24:00:00+32", -EINVAL, 0, 0 },
		{ "25/12/03,16:00:00+99", -EINVAL, 0, 0 },
		{ "25/12/03 16:00:00", -EINVAL, 0, 0 },
		{ "25-12-03,16:00:00", -EINVAL, 0, 0 },
		{ "25/12/03,16:00:00+32x", -EINVAL, 0, 0 },
		{ "25/12/03,16:00", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
	};
	struct pdu_time t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = pdu_time_from_text(rows[i].text, &t);

		if (rc != rows[i].rc)
			fail_msg("%s: %d", rows[i].text, rc);
		if (rc)
			continue;
		assert_true(t.present);
		assert_int_equal(t.epoch, rows[i].epoch);
		assert_int_equal(t.tz_quarters, rows[i].tzq);
	}
	assert_int_equal(pdu_time_from_text("25/12/03,16:00:00+32", &t), 0);
	assert_string_equal(t.iso, "2025-12-03T16:00:00+08:00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_from_text),
		cmocka_unit_test(test_submit_hellohello),
		cmocka_unit_test(test_encode_hellohello),
		cmocka_unit_test(test_submit_developershome),
		cmocka_unit_test(test_deliver_dreamfabric),
		cmocka_unit_test(test_deliver_1999_abbreviated),
		cmocka_unit_test(test_deliver_ucs2_chinese),
		cmocka_unit_test(test_deliver_emoji_surrogates),
		cmocka_unit_test(test_deliver_alnum_negative_zone),
		cmocka_unit_test(test_timestamp_half_hour_negative),
		cmocka_unit_test(test_extension_chars),
		cmocka_unit_test(test_concat_8bit_gsm7),
		cmocka_unit_test(test_concat_16bit_ucs2),
		cmocka_unit_test(test_concat_invalid_ignored),
		cmocka_unit_test(test_udh_other_ies_skipped),
		cmocka_unit_test(test_flash_class0),
		cmocka_unit_test(test_dcs_groups),
		cmocka_unit_test(test_dcs_compressed),
		cmocka_unit_test(test_8bit_port),
		cmocka_unit_test(test_status_report),
		cmocka_unit_test(test_address_semi_octets),
		cmocka_unit_test(test_reserved_mti_as_deliver),
		cmocka_unit_test(test_submit_validity_period),
		cmocka_unit_test(test_encode_vp_relative),
		cmocka_unit_test(test_encode_submit_options),
		cmocka_unit_test(test_encode_ucs2_chinese),
		cmocka_unit_test(test_encode_extension_costs_two),
		cmocka_unit_test(test_encode_split_gsm7),
		cmocka_unit_test(test_encode_split_ucs2_surrogate),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_encode_deliver_alnum_class0),
		cmocka_unit_test(test_encode_status_report),
		cmocka_unit_test(test_count_parts),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_lenient_repairs),
		cmocka_unit_test(test_lenient_keeps_errors),
		cmocka_unit_test(test_truncation_sweep),
		cmocka_unit_test(test_property_roundtrip),
		cmocka_unit_test(test_property_random_bytes),
	};
	const char *env = getenv("PDU_TEST_SEED");

	seed = env ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL);
	printf("# test-pdu seed %u (PDU_TEST_SEED=%u to repeat)\n", seed,
	       seed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
