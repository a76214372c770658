/* SPDX-License-Identifier: MIT */
/*
 * pdu.h - SMS PDU codec (3GPP TS 23.040, TS 23.038).
 *
 * Pure functions: no I/O, no allocation, no globals, no logging.
 * Every structure is fixed-size; callers own them (stack or embedded).
 * Errors: functions return 0 or a negative errno and, when @why is not
 * NULL, point it at a static, human-readable English reason
 * ("user data length exceeds PDU", "bad semi-octet in address", ...).
 */
#ifndef JIFEN_MODEM_PDU_H
#define JIFEN_MODEM_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PDU_MAX_OCTETS	176	/* SMSC (12) + longest TPDU (164) */
#define PDU_ADDR_MAX	48	/* "+" 20 digits, or 11 alphanumeric chars in UTF-8 */
#define PDU_TEXT_MAX	512	/* 160 septets -> at most 480 bytes of UTF-8 */
#define PDU_DATA_MAX	140
#define PDU_ISO_MAX	32	/* "2026-11-28T09:30:00+08:00" */

enum pdu_type {
	PDU_TYPE_DELIVER,
	PDU_TYPE_SUBMIT,
	PDU_TYPE_STATUS_REPORT,
};

enum pdu_alphabet {
	PDU_ALPHA_GSM7,
	PDU_ALPHA_8BIT,
	PDU_ALPHA_UCS2,
};

struct pdu_concat {
	bool present;
	bool ref16;		/* IE 0x08 (16-bit reference) rather than 0x00 */
	uint16_t ref;
	uint8_t total;		/* 1..255 */
	uint8_t seq;		/* 1..total */
};

struct pdu_time {
	bool present;
	int64_t epoch;		/* UTC seconds since 1970 */
	int tz_quarters;	/* signed quarter hours east of UTC */
	char iso[PDU_ISO_MAX];	/* local time with offset, ISO 8601 */
	char raw[15];		/* the 7 octets in hex, also when unreadable */
};

/*
 * pdu_time_from_text - the modem's textual time stamp (27.007 AT+CCLK,
 * the +CTZV/+NITZ network time, text-mode SMS): "yy/MM/dd,hh:mm:ss±zz"
 * with zz in quarter hours (optional, optionally quoted, a trailing
 * ",0" daylight flag ignored) into @t, with TP-SCTS's century rule
 * (yy >= 90 is 19yy).  0, or -EINVAL for anything else.
 */
int pdu_time_from_text(const char *text, struct pdu_time *t);

struct sms_pdu {
	enum pdu_type type;
	char smsc[PDU_ADDR_MAX];	/* "" when absent or zero length */
	/* originator (deliver) or recipient (submit, status report) */
	char addr[PDU_ADDR_MAX];	/* "+8613800000001", "10086", UTF-8 text */
	uint8_t addr_toa;		/* type of address octet, e.g. 0x91 */
	bool addr_alnum;		/* TON 101: alphanumeric sender */
	uint8_t first_octet;
	bool udhi;
	bool srr;			/* SRR (submit), SRI (deliver), SRQ (report) */
	uint8_t pid;
	uint8_t dcs;
	int msg_class;			/* 0..3, or -1 when the DCS gives none */
	enum pdu_alphabet alphabet;
	struct pdu_time scts;		/* deliver, status report */
	struct pdu_time discharge;	/* status report */
	uint8_t message_ref;		/* submit, status report */
	uint8_t status;			/* status report: TP-ST */
	int vp_minutes;			/* submit with relative VP, else -1 */
	struct pdu_concat concat;
	int dst_port;			/* application port IE (WAP push...), -1 none */
	char text[PDU_TEXT_MAX];	/* UTF-8, NUL-terminated; "" for 8-bit */
	uint8_t data[PDU_DATA_MAX];	/* 8-bit user data (UDH removed) */
	size_t data_len;
	unsigned repairs;		/* PDU_REPAIR_*: lenient decode only */
};

/* What pdu_decode_lenient() repaired (sms_pdu.repairs). */
#define PDU_REPAIR_TIMESTAMP	0x1	/* unreadable SCTS: scts.present false */
#define PDU_REPAIR_UDL		0x2	/* UDL past the end: the octets present */
#define PDU_REPAIR_UCS2_ODD	0x4	/* odd UCS-2 length: last octet dropped */

/*
 * Decode one PDU as delivered by AT+CMGL/AT+CMGR/+CMT/+CDS in PDU mode.
 * @has_smsc: true when the buffer starts with the SMSC field (the usual
 * case for modems); false for a bare TPDU.
 */
int pdu_decode(const uint8_t *buf, size_t len, bool has_smsc,
	       struct sms_pdu *out, const char **why);

/* Same, from a hex string (upper or lower case, no spaces). */
int pdu_decode_hex(const char *hex, bool has_smsc, struct sms_pdu *out,
		   const char **why);

/*
 * Like pdu_decode()/pdu_decode_hex(), but an SMS-DELIVER whose text can
 * still be read is decoded with repairs (PDU_REPAIR_* in out->repairs,
 * their description in *why, NULL when none were needed): a timestamp
 * with non-BCD digits or out of range is left absent, a user data length
 * past the end of the PDU takes the octets present, an odd UCS-2 length
 * drops the last octet.  Everything else (a truncated header, an address
 * or a user data header that lies) is still an error, as in pdu_decode().
 */
int pdu_decode_lenient(const uint8_t *buf, size_t len, bool has_smsc,
		       struct sms_pdu *out, const char **why);
int pdu_decode_hex_lenient(const char *hex, bool has_smsc,
			   struct sms_pdu *out, const char **why);

/* "unreadable timestamp, odd UCS-2 length" for PDU_REPAIR_* bits (static). */
const char *pdu_repair_text(unsigned repairs);

/* One encoded part, ready for AT+CMGS=<tpdu_len> followed by @hex. */
struct pdu_part {
	uint8_t octets[PDU_MAX_OCTETS];
	size_t len;			/* octets, SMSC field included */
	size_t tpdu_len;		/* length for AT+CMGS (SMSC excluded) */
	char hex[2 * PDU_MAX_OCTETS + 1];
};

struct pdu_submit_opts {
	bool force_ucs2;
	bool status_report;		/* set TP-SRR */
	int vp_minutes;			/* relative validity; 0 = no VP field */
	uint8_t message_ref;		/* TP-MR, 0 lets the modem choose */
	uint16_t concat_ref;		/* reference used when split */
	bool concat_ref16;		/* 16-bit reference IE */
	const char *smsc;		/* NULL or "" -> "00" (modem default) */
};

/*
 * Encode @text (UTF-8) to @number as SMS-SUBMIT parts.
 * GSM 7-bit when every character fits the default alphabet or its
 * extension table (extension characters cost two septets), else UCS-2.
 * Split into 153 septets / 67 UCS-2 units per part (152 / 66 with a
 * 16-bit concat reference) when needed, never
 * splitting an escape or surrogate pair.  Returns -EMSGSIZE when more
 * than @max_parts are needed, -EILSEQ on invalid UTF-8, -EINVAL on a
 * bad number.  *@n_parts is set on success.
 */
int pdu_encode_submit(const char *number, const char *text,
		      const struct pdu_submit_opts *opts,
		      struct pdu_part *parts, size_t max_parts,
		      size_t *n_parts, const char **why);

struct pdu_deliver_opts {
	bool force_ucs2;
	int64_t scts_epoch;		/* UTC seconds */
	int tz_quarters;
	uint16_t concat_ref;
	bool concat_ref16;
	bool status_report_ind;
	int msg_class;			/* -1 none */
	const char *smsc;		/* NULL or "" -> "00" */
};

/*
 * Encode @text from @sender as SMS-DELIVER parts (simulator, tests).
 * @sender may be a number ("+86...", "10086") or alphanumeric text.
 */
int pdu_encode_deliver(const char *sender, const char *text,
		       const struct pdu_deliver_opts *opts,
		       struct pdu_part *parts, size_t max_parts,
		       size_t *n_parts, const char **why);

/* Encode an SMS-STATUS-REPORT (simulator, tests). */
int pdu_encode_status_report(const char *recipient, uint8_t message_ref,
			     uint8_t status, int64_t scts_epoch,
			     int64_t discharge_epoch, int tz_quarters,
			     const char *smsc, struct pdu_part *part,
			     const char **why);

/* "gsm7", "8bit" or "ucs2" (the names of SPEC section 5's JSON). */
const char *pdu_alphabet_name(enum pdu_alphabet alphabet);

/*
 * How @text would be sent: number of parts and alphabet, without
 * encoding it.  Returns the part count (>= 1) or a negative errno.
 */
int pdu_count_parts(const char *text, bool force_ucs2,
		    enum pdu_alphabet *alphabet);

#endif
