/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for jifenctl's data commands (jifenctl/ctl_store.c): CSV
 * import (BOM, CRLF, quoting, rejected rows with line numbers), record
 * add/list and household show with --json; the time jifenctl dates with
 * (gateway/clockview.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "gateway/clockview.h"
#include "jifenctl/ctl_store.h"
#include "storage/status.h"
#include "storage/village.h"

struct fx {
	char dir[64];
	char db[128];
	char csv[128];
	struct store *st;
	char *out, *err;
	size_t outlen, errlen;
	FILE *fo, *fe;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int e;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/jifen-ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/jifen.db", f->dir);
	snprintf(f->csv, sizeof(f->csv), "%s/village.csv", f->dir);
	f->st = store_open(f->db, &e);
	assert_non_null(f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[200];

	store_close(f->st);
	ctl_store_streams(NULL, NULL);
	if (f->fo)
		fclose(f->fo);
	if (f->fe)
		fclose(f->fe);
	free(f->out);
	free(f->err);
	unlink(f->db);
	unlink(f->csv);
	snprintf(p, sizeof(p), "%s-wal", f->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->db);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void capture(struct fx *f)
{
	if (f->fo)
		fclose(f->fo);
	if (f->fe)
		fclose(f->fe);
	free(f->out);
	free(f->err);
	f->out = f->err = NULL;
	f->fo = open_memstream(&f->out, &f->outlen);
	f->fe = open_memstream(&f->err, &f->errlen);
	ctl_store_streams(f->fo, f->fe);
}

static void flush(struct fx *f)
{
	fflush(f->fo);
	fflush(f->fe);
}

static void write_csv(struct fx *f, const char *text)
{
	FILE *fp = fopen(f->csv, "wb");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int run(struct fx *f, int (*fn)(struct store *, int, char **),
	       int argc, ...)
{
	char *argv[8];
	va_list ap;
	int i, rc;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	capture(f);
	rc = fn(f->st, argc, argv);
	flush(f);
	return rc;
}

static const char demo[] =
	"\xef\xbb\xbfhousehold,name,phone,role,pin\r\n"
	"H01,文培理家,13800000001,villager,\r\n"
	"H01,文培理家,13800000011,villager,\r\n"
	"H02,\"谢家, 东头\",+86 138-0000-0002,villager,\r\n"
	"H03,曾晓鸥家,13900000009,committee,1234\r\n";

static void test_import_good_file(void **state)
{
	struct fx *f = *state;
	struct store_household h;
	bool ok;

	write_csv(f, demo);
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_string_equal(f->out, "added 4, updated 0, rejected 0\n");
	assert_string_equal(f->err, "");
	assert_int_equal(store_household_get(f->st, "H02", &h), 0);
	assert_string_equal(h.name, "谢家, 东头");
	assert_int_equal(store_check_pin(f->st, "13900000009", "1234", &ok), 0);
	assert_true(ok);
	/* importing again updates, adds nothing */
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_string_equal(f->out, "added 0, updated 4, rejected 0\n");
}

static void test_import_bad_rows_line_numbers(void **state)
{
	struct fx *f = *state;
	struct store_household h;

	write_csv(f, "household,name,phone,role,pin\n"
		     "H01,文家,13800000001,villager,\n"
		     "H02,谢家,12345,villager,\n"
		     "H03,曾家,13800000003,boss,\n"
		     ",无户,13800000004,villager,\n"
		     "H05,李家,13800000005,villager\n"
		     "H06,王家,13800000006,committee,12\n"
		     "\n"
		     "H07,赵家,\"1380000\n0007\",villager,\n"
		     "H08,钱家,13800000008,committee,87654321\n");
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 1);
	assert_string_equal(f->out, "added 2, updated 0, rejected 6\n");
	assert_non_null(strstr(f->err, ":3: bad phone '12345'"));
	assert_non_null(strstr(f->err, ":4: bad role 'boss'"));
	assert_non_null(strstr(f->err, ":5: empty household"));
	assert_non_null(strstr(f->err, ":6: expected 5 columns, got 4"));
	assert_non_null(strstr(f->err, ":7: PIN must be 4-8 digits"));
	assert_non_null(strstr(f->err, ":9: bad phone"));
	assert_int_equal(store_household_get(f->st, "H01", &h), 0);
	assert_int_equal(store_household_get(f->st, "H08", &h), 0);
	assert_int_equal(store_household_get(f->st, "H02", &h), -ENOENT);
	assert_int_equal(store_household_get(f->st, "H06", &h), -ENOENT);
}

static void test_import_bad_header_and_usage(void **state)
{
	struct fx *f = *state;

	write_csv(f, "hh,name,phone\nH01,x,13800000001\n");
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 1);
	assert_non_null(strstr(f->err, ":1: expected header"));
	assert_int_equal(run(f, ctl_import, 2, "import",
			     "/nonexistent/x.csv"), 1);
	assert_non_null(strstr(f->err, "No such file"));
	assert_int_equal(run(f, ctl_import, 1, "import"), 2);
}

static void test_import_header_without_pin(void **state)
{
	struct fx *f = *state;

	write_csv(f, "household,name,phone,role\n"
		     "H01,\"文\"\"老\"\"家\",13800000001,committee\n"
		     "H02,谢家,,\n");
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_string_equal(f->out, "added 2, updated 0, rejected 0\n");
	assert_int_equal(run(f, ctl_household, 3, "household", "show", "H01"),
			 0);
	assert_non_null(strstr(f->out, "文\"老\"家"));
	assert_non_null(strstr(f->out, "+8613800000001  committee"));
}

/* GB18030/GBK (Excel on Chinese Windows) is detected and converted;
 * Chinese headers and the member column; bytes in neither encoding are
 * refused naming the line, and nothing is stored. */
static void test_import_encodings(void **state)
{
	struct fx *f = *state;
	struct store_household h;
	/* "户号,户主,手机,角色,PIN,成员\r\nH01,张三家,13800000001,村民,,张三"
	 * in GBK */
	static const char gbk[] =
		"\xbb\xa7\xba\xc5,\xbb\xa7\xd6\xf7,\xca\xd6\xbb\xfa,"
		"\xbd\xc7\xc9\xab,PIN,\xb3\xc9\xd4\xb1\r\n"
		"H01,\xd5\xc5\xc8\xfd\xbc\xd2,13800000001,\xb4\xe5\xc3\xf1,,"
		"\xd5\xc5\xc8\xfd\r\n";

	write_csv(f, gbk);
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_string_equal(f->out, "added 1, updated 0, rejected 0 "
			    "(read as GB18030)\n");
	assert_int_equal(store_household_get(f->st, "H01", &h), 0);
	assert_string_equal(h.name, "张三家");
	assert_int_equal(run(f, ctl_household, 4, "household", "show", "H01",
			     "--json"), 0);
	assert_non_null(strstr(f->out, "\"name\":\"张三\""));
	/* UTF-8 without BOM, Chinese headers */
	write_csv(f, "户号,户主,手机,角色\nH02,李四家,13800000002,委员\n");
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_string_equal(f->out, "added 1, updated 0, rejected 0\n");
	/* neither: refused with the line, nothing stored */
	write_csv(f, "household,name,phone,role\n"
		     "H03,ok,13800000003,villager\n"
		     "H04,\xff\xfe,13800000004,villager\n");
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 1);
	assert_non_null(strstr(f->err, ":3: neither UTF-8 nor GB18030"));
	assert_int_equal(store_household_get(f->st, "H03", &h), -ENOENT);
	/* a BOM promises UTF-8: a bad byte after it is refused */
	write_csv(f, "\xef\xbb\xbfhousehold,name,phone,role\n"
		     "H05,\xd5\xc5,13800000005,villager\n");
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 1);
	assert_non_null(strstr(f->err, ":2: not valid UTF-8"));
}

static void test_record_add_and_list_json(void **state)
{
	struct fx *f = *state;
	cJSON *o;
	char *line2;

	write_csv(f, demo);
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_int_equal(run(f, ctl_record, 6, "record", "add", "H01", "583",
			     "期初余额", "--final"), 0);
	assert_string_equal(f->out, "1\n");
	assert_int_equal(run(f, ctl_record, 5, "record", "add", "H02", "-5",
			     "焚烧秸秆"), 0);
	assert_string_equal(f->out, "2\n");
	assert_int_equal(run(f, ctl_record, 5, "record", "add", "H99", "5",
			     "x"), 1);
	assert_non_null(strstr(f->err, "no such household 'H99'"));
	assert_int_equal(run(f, ctl_record, 5, "record", "add", "H01", "5x",
			     "x"), 2);
	assert_int_equal(run(f, ctl_record, 3, "record", "add", "H01"), 2);
	assert_int_equal(run(f, ctl_record, 3, "record", "list", "--json"), 0);
	line2 = strchr(f->out, '\n');
	assert_non_null(line2);
	*line2++ = '\0';
	o = cJSON_Parse(f->out);
	assert_non_null(o);
	assert_int_equal(cJSON_GetObjectItem(o, "id")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(o, "status")->valuestring,
			    "final");
	assert_int_equal(cJSON_GetObjectItem(o, "points")->valueint, 583);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "reviewed_by")));
	cJSON_Delete(o);
	o = cJSON_Parse(line2);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "household")->valuestring,
			    "H02");
	assert_string_equal(cJSON_GetObjectItem(o, "reason")->valuestring,
			    "焚烧秸秆");
	cJSON_Delete(o);
	assert_int_equal(run(f, ctl_record, 4, "record", "list", "--pending",
			     "--json"), 0);
	assert_null(strstr(f->out, "\"id\":1,"));
	assert_non_null(strstr(f->out, "\"id\":2,"));
	assert_int_equal(run(f, ctl_record, 2, "record", "list"), 0);
	assert_non_null(strstr(f->out, "期初余额"));
	assert_int_equal(run(f, ctl_record, 3, "record", "list", "--x"), 2);
}

static void test_household_show_json(void **state)
{
	struct fx *f = *state;
	enum store_review_outcome oc;
	cJSON *o, *ph;

	write_csv(f, demo);
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	run(f, ctl_record, 6, "record", "add", "H01", "583", "期初", "--final");
	run(f, ctl_record, 5, "record", "add", "H01", "5", "清扫");
	run(f, ctl_record, 5, "record", "add", "H01", "3", "帮扶");
	assert_int_equal(store_record_review(f->st, 3, STORE_APPROVE,
					     "+8613900000009", NULL, 1000, 7,
					     &oc, NULL), 0);
	assert_int_equal(run(f, ctl_household, 4, "household", "show", "H01",
			     "--json"), 0);
	o = cJSON_Parse(f->out);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, "H01");
	assert_string_equal(cJSON_GetObjectItem(o, "name")->valuestring,
			    "文培理家");
	ph = cJSON_GetObjectItem(o, "phones");
	assert_int_equal(cJSON_GetArraySize(ph), 2);
	assert_string_equal(cJSON_GetArrayItem(ph, 0)->valuestring,
			    "+8613800000001");
	assert_int_equal(cJSON_GetObjectItem(o, "final_points")->valueint, 583);
	assert_int_equal(cJSON_GetObjectItem(o, "publicity_points")->valueint,
			 3);
	assert_int_equal(cJSON_GetObjectItem(o, "pending_points")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(o, "rank")->valueint, 1);
	cJSON_Delete(o);
	assert_int_equal(run(f, ctl_household, 3, "household", "show", "H77"),
			 1);
	assert_non_null(strstr(f->err, "no such household 'H77'"));
	assert_int_equal(run(f, ctl_household, 2, "household", "show"), 2);
}

/* A record is dated with the time jifend believes: the system clock plus
 * the offset it wrote to status, unless it believes the system clock or
 * the offset is not a number. */
static void test_dates_with_jifends_clock(void **state)
{
	struct fx *f = *state;
	const int64_t off = 50LL * 365 * 86400;
	int64_t now, at;
	struct store_record r;

	now = (int64_t)time(NULL);
	assert_in_range(clockview_now(f->st), now, now + 5);
	assert_int_equal(store_status_set(f->st, STATUS_CLOCK_SOURCE, "nitz",
					  now), 0);
	assert_int_equal(store_status_set(f->st, STATUS_CLOCK_OFFSET,
					  "1576800000", now), 0);
	assert_in_range(clockview_now(f->st), now + off, now + off + 5);

	write_csv(f, demo);
	assert_int_equal(run(f, ctl_import, 2, "import", f->csv), 0);
	assert_int_equal(run(f, ctl_record, 5, "record", "add", "H01", "5",
			     "清扫"), 0);
	assert_int_equal(store_record_get(f->st, 1, &r), 0);
	at = r.created_at;
	assert_in_range(at, now + off, now + off + 5);

	assert_int_equal(store_status_set(f->st, STATUS_CLOCK_OFFSET, "12x",
					  now), 0);
	assert_in_range(clockview_now(f->st), now, now + 5);
	assert_int_equal(store_status_set(f->st, STATUS_CLOCK_OFFSET,
					  "1576800000", now), 0);
	assert_int_equal(store_status_set(f->st, STATUS_CLOCK_SOURCE, "system",
					  now), 0);
	assert_in_range(clockview_now(f->st), now, now + 5);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_import_good_file),
		T(test_import_bad_rows_line_numbers),
		T(test_import_bad_header_and_usage),
		T(test_import_encodings),
		T(test_import_header_without_pin),
		T(test_record_add_and_list_json),
		T(test_household_show_json),
		T(test_dates_with_jifends_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
