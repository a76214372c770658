/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_WEB_FORM_H
#define JIFEN_WEB_FORM_H
/*
 * form - the HTML form and query parser of jifen-web (pure: bytes in,
 * name/value pairs out, no I/O, no globals; fuzzed by
 * tests/fuzz/fuzz-web-form.c).
 *
 * Parses application/x-www-form-urlencoded bodies and
 * multipart/form-data bodies (RFC 7578: one file field is how a CSV is
 * uploaded without JavaScript).  Everything that comes out is valid
 * UTF-8 without NUL or control characters other than tab, CR and LF: a
 * request that is not is refused as a whole (-EILSEQ), never repaired.
 * A name given twice, more than FORM_MAX_FIELDS fields or a name longer
 * than FORM_NAME_MAX is -EINVAL.
 *
 * struct form is opaque; the strings form_get returns are owned by it
 * and live until form_free.
 */
#include <stdbool.h>
#include <stddef.h>

#define FORM_MAX_FIELDS	64
#define FORM_NAME_MAX	64

struct form;

/* An empty form (for pairs added with form_add), NULL on ENOMEM. */
struct form *form_new(void);

/* Free F and its strings.  NULL is allowed. */
void form_free(struct form *f);

/* Add NAME=VALUE (LEN bytes of VALUE), checked as above: 0, -EINVAL,
 * -EILSEQ or -ENOMEM. */
int form_add(struct form *f, const char *name, const char *value,
	     size_t len);

/* Parse an urlencoded body (or query string) of LEN bytes into F. */
int form_parse_urlencoded(struct form *f, const char *data, size_t len);

/*
 * Parse a multipart/form-data body of LEN bytes into F; CTYPE is the
 * request's Content-Type header (it names the boundary).  A file part
 * is added under its field name with the file's bytes as the value (a
 * CSV file must therefore be text).  -EINVAL for a malformed body.
 */
int form_parse_multipart(struct form *f, const char *ctype,
			 const char *data, size_t len);

/* Value of NAME, or NULL when absent. */
const char *form_get(const struct form *f, const char *name);

/*
 * Percent-decode the NUL-terminated S in place (the URL path and query
 * values, before form_add): returns the new length.  A bad escape, a
 * NUL or another control character makes S the single byte "\x01",
 * which path checks and form_add() refuse, instead of a string silently
 * cut at the NUL.
 */
size_t form_unescape_inplace(char *s);

/* Whether the N bytes at S are UTF-8 with no control characters other
 * than tab, CR and LF (and no NUL). */
bool form_text_ok(const char *s, size_t n);

#endif
