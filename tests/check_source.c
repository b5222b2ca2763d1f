/* File sources: CSV and JSON Lines rows, bad records, bounded memory, shard
 * hashes, and the committed dataset against the reference cost model. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "model.h"
#include "source.h"

static char tmp_dir[] = "/tmp/gl-source-XXXXXX";
static char path_buf[512];

static void setup(void)
{
	strcpy(tmp_dir, "/tmp/gl-source-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static void teardown(void)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *data_path(const char *name)
{
	const char *dir = getenv("GL_TEST_DATA");
	snprintf(path_buf, sizeof path_buf, "%s/source/%s", dir ? dir : "tests/data", name);
	return path_buf;
}

/* Write bytes to a file in the test's directory; returns its path (static). */
static const char *write_tmp(const char *name, const char *bytes, size_t len)
{
	snprintf(path_buf, sizeof path_buf, "%s/%s", tmp_dir, name);
	FILE *fp = fopen(path_buf, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(bytes, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return path_buf;
}

static struct gl_source *open_ok(const char *path, const char *const *fields, size_t n)
{
	struct gl_diag d;
	struct gl_source *s = NULL;

	gl_diag_init(&d);
	int rc = gl_source_open_file(&s, path, fields, n, &d);
	if (rc != 0)
		gl_diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	gl_diag_release(&d);
	return s;
}

static void expect_row(struct gl_source *s, struct gl_row *row, unsigned long line)
{
	enum gl_source_status st = gl_source_next(s, row);
	ck_assert_msg(st == GL_SOURCE_ROW, "want a row at line %lu, got %d: %s", line, (int)st,
	              s->err);
	ck_assert_uint_eq(row->line, line);
}

static void expect_bad(struct gl_source *s, unsigned long line, const char *msg)
{
	struct gl_row row;
	char want[600];

	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_BAD);
	ck_assert_uint_eq(row.line, line);
	snprintf(want, sizeof want, "%s:%lu: %s", s->label, line, msg);
	ck_assert_str_eq(s->err, want);
}

static void expect_value(const struct gl_row *row, size_t i, const char *want)
{
	ck_assert_ptr_nonnull(row->values[i]);
	ck_assert_uint_eq(row->lens[i], strlen(want));
	ck_assert_str_eq(row->values[i], want);
}

START_TEST(test_csv_quoting)
{
	const char *fields[] = {"note", "id", "name"};
	struct gl_source *s = open_ok(data_path("quoting.csv"), fields, 3);
	struct gl_row row;

	expect_row(s, &row, 2);
	ck_assert_uint_eq(row.n, 3);
	expect_value(&row, 0, "said \"hi\"");
	expect_value(&row, 1, "1");
	expect_value(&row, 2, "Smith, J");
	expect_row(s, &row, 3);
	expect_value(&row, 0, "plain");
	expect_value(&row, 2, "multi\nline");
	/* the quoted newline moves the next record to line 5 */
	expect_row(s, &row, 5);
	expect_value(&row, 0, ""); /* "" quoted */
	expect_value(&row, 1, "3");
	expect_value(&row, 2, ""); /* empty unquoted: the empty string, not NULL */
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

START_TEST(test_csv_crlf_bom)
{
	static const char text[] = "\xEF\xBB\xBFid,qty,note\r\n"
	                           "1,10,x\r\n"
	                           "\"2\",\"20\",\"a\r\nb\"\r\n"
	                           "3,,\r\n"
	                           "4,40,\"last\""; /* no final line end */
	const char *fields[] = {"id", "qty", "note"};
	struct gl_source *s = open_ok(write_tmp("crlf.csv", text, sizeof text - 1), fields, 3);
	struct gl_row row;

	expect_row(s, &row, 2);
	expect_value(&row, 0, "1");
	expect_value(&row, 1, "10");
	expect_value(&row, 2, "x");
	expect_row(s, &row, 3);
	expect_value(&row, 0, "2");
	expect_value(&row, 2, "a\r\nb");
	expect_row(s, &row, 5);
	expect_value(&row, 1, "");
	expect_value(&row, 2, "");
	expect_row(s, &row, 6);
	expect_value(&row, 0, "4");
	expect_value(&row, 2, "last");
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

/* Long lines take the sixteen-bytes-at-a-time path; a quote found after some
 * fields were already cut must leave the record as it was for the full parser. */
START_TEST(test_csv_late_quote_and_stray_quote)
{
	static const char text[] =
	        "a,b,c\n"
	        "aaaaaaaaaaaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb,\"c,d\"\n"
	        "x,y\"z,w\n"
	        "0123456789abcde,0123456789abcdef,0123456789abcdefg\n";
	const char *fields[] = {"c", "b", "a"};
	struct gl_source *s = open_ok(write_tmp("late.csv", text, sizeof text - 1), fields, 3);
	struct gl_row row;

	expect_row(s, &row, 2);
	expect_value(&row, 0, "c,d");
	expect_value(&row, 1, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	expect_value(&row, 2, "aaaaaaaaaaaaaaaaaaaaaaaaa");
	expect_row(s, &row, 3);
	expect_value(&row, 1, "y\"z"); /* a quote inside an unquoted field is text */
	expect_row(s, &row, 4);
	expect_value(&row, 0, "0123456789abcdefg");
	expect_value(&row, 1, "0123456789abcdef");
	expect_value(&row, 2, "0123456789abcde");
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

START_TEST(test_csv_missing_field)
{
	const char *fields[] = {"record_id", "quantiy", "currency", "discount_pct"};
	struct gl_source *s = NULL;
	struct gl_diag d;
	const char *path = data_path("header.csv");

	gl_diag_init(&d);
	ck_assert_int_eq(gl_source_open_file(&s, path, fields, 4, &d), -1);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(gl_diag_errors(&d), 2);
	ck_assert_str_eq(d.entries[0].pos.file, path);
	ck_assert_uint_eq(d.entries[0].pos.line, 1);
	ck_assert_str_eq(d.entries[0].msg, "no column 'quantiy' (did you mean 'quantity'?); the "
	                                   "columns are: record_id, quantity, currency");
	ck_assert_uint_eq(d.entries[1].pos.line, 1);
	ck_assert_ptr_nonnull(strstr(d.entries[1].msg, "no column 'discount_pct'"));
	ck_assert_ptr_nonnull(strstr(d.entries[1].msg, "record_id, quantity, currency"));
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_csv_bad_records_skipped)
{
	const char *fields[] = {"c", "a"};
	struct gl_source *s = open_ok(data_path("bad.csv"), fields, 2);
	struct gl_row row;

	expect_row(s, &row, 2);
	expect_value(&row, 0, "3");
	expect_bad(s, 3, "expected 3 fields, got 2");
	expect_row(s, &row, 4);
	expect_value(&row, 1, "x\ny");
	expect_bad(s, 6, "expected 3 fields, got 4"); /* line 6: the quoted newline counts */
	expect_row(s, &row, 7);
	expect_value(&row, 1, "7");
	expect_bad(s, 8, "unexpected character after a closing quote");
	expect_row(s, &row, 10); /* the blank line 9 is skipped */
	expect_value(&row, 0, "12");
	expect_bad(s, 11, "unterminated quoted field");
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

START_TEST(test_open_errors)
{
	const char *fields[] = {"a"};
	struct gl_source *s = NULL;
	struct gl_diag d;
	char missing[600];

	gl_diag_init(&d);
	snprintf(missing, sizeof missing, "%s/none.csv", tmp_dir);
	ck_assert_int_eq(gl_source_open_file(&s, missing, fields, 1, &d), -1);
	ck_assert_ptr_nonnull(strstr(d.entries[0].msg, "cannot open"));
	ck_assert_int_eq(gl_source_open_file(&s, write_tmp("x.txt", "a\n1\n", 4), fields, 1, &d),
	                 -1);
	ck_assert_ptr_nonnull(strstr(d.entries[1].msg, "unknown file type"));
	ck_assert_int_eq(gl_source_open_file(&s, write_tmp("empty.csv", "", 0), fields, 1, &d), -1);
	ck_assert_ptr_nonnull(strstr(d.entries[2].msg, "a header row is required"));
	/* a directory opens but cannot be read */
	snprintf(missing, sizeof missing, "%s/dir.jsonl", tmp_dir);
	ck_assert_int_eq(mkdir(missing, 0700), 0);
	ck_assert_int_eq(gl_source_open_file(&s, missing, fields, 1, &d), -1);
	ck_assert_ptr_nonnull(strstr(d.entries[3].msg, "cannot read"));
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(gl_diag_errors(&d), 4);
	gl_diag_release(&d);
}
END_TEST

START_TEST(test_jsonl)
{
	const char *fields[] = {"qty", "id", "pct", "flag", "n", "nested"};
	struct gl_source *s = open_ok(data_path("rows.jsonl"), fields, 6);
	struct gl_row row;

	expect_row(s, &row, 1);
	ck_assert_uint_eq(row.n, 6);
	expect_value(&row, 0, "1000.0000"); /* a number keeps its literal text */
	expect_value(&row, 1, "r1");
	expect_value(&row, 2, "12.5");
	expect_value(&row, 3, "true");
	ck_assert_ptr_null(row.values[4]); /* null */
	ck_assert_ptr_null(row.values[5]); /* absent */
	expect_row(s, &row, 3);            /* line 2 is blank */
	expect_value(&row, 0, "1e3");
	expect_value(&row, 2, "-0.5E+2");
	expect_value(&row, 3, "false");
	ck_assert_ptr_null(row.values[4]);
	expect_bad(s, 4, "not a JSON object");
	expect_bad(s, 5, "not a JSON object");
	expect_row(s, &row, 6);
	expect_value(&row, 0, "12");
	expect_value(&row, 1, "r3");
	expect_value(&row, 3, "x");
	expect_value(&row, 5, "{\"a\":[1,\"]}\"]}");
	expect_bad(s, 7, "not valid JSON");
	expect_bad(s, 8, "text after the JSON object");
	expect_bad(s, 9, "duplicate key 'id'");
	expect_row(s, &row, 10);
	expect_value(&row, 1, "\xC3\xA9\"q");
	expect_value(&row, 0, "0");
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

/* cJSON takes every byte up to 32 for whitespace: the literal-text walk must
 * agree, or a number would come out as the wrong text. */
START_TEST(test_jsonl_control_whitespace)
{
	static const char text[] = "{\"id\":\"a\",\f\"qty\":\x01 12.50\v}\n\f\n";
	const char *fields[] = {"qty", "id"};
	struct gl_source *s = open_ok(write_tmp("ws.jsonl", text, sizeof text - 1), fields, 2);
	struct gl_row row;

	expect_row(s, &row, 1);
	expect_value(&row, 0, "12.50");
	expect_value(&row, 1, "a");
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

/* A file with one record of `big` bytes between two small ones. */
static const char *write_big(const char *name, const char *head, const char *before,
                             const char *big_prefix, size_t big, const char *after)
{
	size_t n = strlen(head) + strlen(before) + big + strlen(after) + 16;
	char *text = malloc(n);
	ck_assert_ptr_nonnull(text);
	size_t at = (size_t)sprintf(text, "%s%s%s", head, before, big_prefix);
	memset(text + at, 'x', big);
	at += big;
	at += (size_t)sprintf(text + at, "%s", after);
	const char *path = write_tmp(name, text, at);
	free(text);
	return path;
}

START_TEST(test_record_over_1mib)
{
	const char *fields[] = {"a", "b"};
	struct gl_row row;
	struct gl_source *s;
	size_t huge = 1024 * 1024 + 10;

	s = open_ok(write_big("big.csv", "a,b\n", "1,2\n", "", huge, ",y\n3,4\n"), fields, 2);
	expect_row(s, &row, 2);
	expect_bad(s, 3, "record is over 1 MiB");
	expect_row(s, &row, 4);
	expect_value(&row, 0, "3");
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	ck_assert_uint_le(gl_source_file_buffer_bytes(s), 64 * 1024 + 1024 * 1024 + 64);
	gl_source_close(s);

	/* a quoted field that goes over the cap: skipped to the next line */
	s = open_ok(write_big("bigq.csv", "a,b\n", "1,2\n", "\"", huge, "\",y\n3,4\n"), fields, 2);
	expect_row(s, &row, 2);
	expect_bad(s, 3, "record is over 1 MiB");
	expect_row(s, &row, 4);
	gl_source_close(s);

	s = open_ok(
	        write_big("big.jsonl", "", "{\"a\":1}\n", "{\"a\":\"", huge, "\"}\n{\"b\":2}\n"),
	        fields, 2);
	expect_row(s, &row, 1);
	expect_value(&row, 0, "1");
	expect_bad(s, 2, "record is over 1 MiB");
	expect_row(s, &row, 3);
	expect_value(&row, 1, "2");
	gl_source_close(s);

	/* 200 KiB spans several reads and is fine */
	s = open_ok(write_big("wide.csv", "a,b\n", "", "", 200 * 1024, ",y\n"), fields, 2);
	expect_row(s, &row, 2);
	ck_assert_uint_eq(row.lens[0], 200 * 1024);
	expect_value(&row, 1, "y");
	gl_source_close(s);
}
END_TEST

START_TEST(test_bounded_memory)
{
	const unsigned long rows = 200000;
	snprintf(path_buf, sizeof path_buf, "%s/many.csv", tmp_dir);
	FILE *fp = fopen(path_buf, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "record_id,currency,quantity,discount_pct\n");
	for (unsigned long i = 1; i <= rows; i++)
		fprintf(fp, "r-%07lu,%s,%lu.%04lu,%s\n", i, i % 3 ? "USD" : "\"EUR\"",
		        i * 7919 % 100000, i % 10000, i % 5 ? "0" : "12.5");
	ck_assert_int_eq(fclose(fp), 0);

	const char *fields[] = {"quantity", "record_id"};
	struct gl_source *s = open_ok(path_buf, fields, 2);
	struct gl_row row;
	unsigned long n = 0;
	size_t bytes = gl_source_file_buffer_bytes(s);
	char want[32];
	enum gl_source_status st;

	while ((st = gl_source_next(s, &row)) == GL_SOURCE_ROW) {
		n++;
		ck_assert_uint_eq(row.line, n + 1);
		if (n % 997 == 0) {
			snprintf(want, sizeof want, "r-%07lu", n);
			expect_value(&row, 1, want);
			ck_assert_uint_eq(gl_source_file_buffer_bytes(s), bytes);
		}
	}
	ck_assert_int_eq(st, GL_SOURCE_END);
	ck_assert_uint_eq(n, rows);
	ck_assert_uint_eq(gl_source_file_buffer_bytes(s), bytes);
	ck_assert_uint_lt(bytes, 128 * 1024);
	gl_source_close(s);
}
END_TEST

/* Records are cut in the read buffer when they lie whole in it, and copied
 * when they straddle two reads or have quotes: every value and line number
 * must be the same either way, blank lines and bad records included. */
START_TEST(test_csv_across_reads)
{
	const unsigned long rows = 30000;
	snprintf(path_buf, sizeof path_buf, "%s/across.csv", tmp_dir);
	FILE *fp = fopen(path_buf, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "id,text,n\n");
	for (unsigned long i = 1; i <= rows; i++) {
		const char *eol = i % 11 ? "\n" : "\r\n";
		if (i % 17 == 0)
			fprintf(fp, "only,two%s", eol);
		if (i % 7 == 0)
			fprintf(fp, "r-%06lu,\"x\ny%lu\",%lu%s", i, i % 40, i * 31, eol);
		else
			fprintf(fp, "r-%06lu,%.*s,%lu%s", i, (int)(i % 40),
			        "abcdefghijklmnopqrstuvwxyz0123456789ABCD", i * 31, eol);
		if (i % 13 == 0)
			fprintf(fp, "%s", i % 2 ? "\n" : "\r\n");
	}
	ck_assert_int_eq(fclose(fp), 0);

	const char *fields[] = {"n", "id", "text"};
	struct gl_source *s = open_ok(path_buf, fields, 3);
	struct gl_row row;
	unsigned long line = 2;
	char want[64];

	for (unsigned long i = 1; i <= rows; i++) {
		if (i % 17 == 0)
			expect_bad(s, line++, "expected 3 fields, got 2");
		expect_row(s, &row, line);
		line += i % 7 ? 1 : 2;
		snprintf(want, sizeof want, "%lu", i * 31);
		expect_value(&row, 0, want);
		snprintf(want, sizeof want, "r-%06lu", i);
		expect_value(&row, 1, want);
		if (i % 7 == 0)
			snprintf(want, sizeof want, "x\ny%lu", i % 40);
		else
			snprintf(want, sizeof want, "%.*s", (int)(i % 40),
			         "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
		expect_value(&row, 2, want);
		line += i % 13 == 0;
	}
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
}
END_TEST

START_TEST(test_shard_hash)
{
	/* python3: int(hashlib.md5(KEY).hexdigest()[:8], 16), which is
	 * PostgreSQL's ('x' || substr(md5(KEY), 1, 8))::bit(32)::bigint */
	ck_assert_uint_eq(gl_shard_hash("r-000001", 8), 3468924524UL);
	ck_assert_uint_eq(gl_shard_hash("r-0000001", 9), 2589399738UL);
	ck_assert_uint_eq(gl_shard_hash("", 0), 3558706393UL);
	ck_assert_uint_eq(gl_shard_hash("acct-7f3a\x1fr-000042", 18), 3520974808UL);
	/* only len bytes count */
	ck_assert_uint_eq(gl_shard_hash("r-000001-and-more", 8), 3468924524UL);
}
END_TEST

/* Every row of fixtures/usage.csv is accepted by the reference model, and the
 * set holds the edge values the integration tests rely on. */
START_TEST(test_fixture_dataset)
{
	const char *src = getenv("SRCDIR");
	char path[512];
	const char *fields[] = {"record_id", "currency", "quantity", "discount_pct"};

	snprintf(path, sizeof path, "%s/fixtures/usage.csv", src ? src : ".");
	struct gl_source *s = open_ok(path, fields, 4);
	struct gl_row row;
	enum gl_source_status st;
	unsigned long n = 0;
	unsigned long boundary = 0;
	unsigned long ties = 0;
	unsigned long currencies[4] = {0};
	char prev[32] = "";

	while ((st = gl_source_next(s, &row)) == GL_SOURCE_ROW) {
		struct costd_quote q;
		struct costd_quote tb;
		struct costd_quote hu;
		struct costd_error err;
		n++;
		ck_assert_msg(costd_quote_parse(&q, row.values[1], row.values[2], row.values[3], 0,
		                                &err) == 0,
		              "%s: %s", row.values[0], err.message);
		ck_assert_int_eq(costd_quote_parse(&tb, row.values[1], row.values[2], row.values[3],
		                                   COSTD_FAULT_TIER_BOUNDARY, &err),
		                 0);
		ck_assert_int_eq(costd_quote_parse(&hu, row.values[1], row.values[2], row.values[3],
		                                   COSTD_FAULT_ROUND_HALF_UP, &err),
		                 0);
		boundary += tb.list_cost != q.list_cost || tb.cost != q.cost;
		ties += hu.list_cost != q.list_cost || hu.savings != q.savings || hu.cost != q.cost;
		currencies[q.currency]++;
		ck_assert_msg(strcmp(prev, row.values[0]) < 0, "%s after %s", row.values[0], prev);
		snprintf(prev, sizeof prev, "%s", row.values[0]);
	}
	ck_assert_int_eq(st, GL_SOURCE_END);
	gl_source_close(s);
	ck_assert_uint_eq(n, 20000);
	ck_assert_uint_ge(boundary, 30);
	ck_assert_uint_ge(ties, 300);
	for (int c = 0; c < 4; c++)
		ck_assert_uint_ge(currencies[c], 100);
}
END_TEST

Suite *source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("source");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_csv_quoting);
	tcase_add_test(tc, test_csv_crlf_bom);
	tcase_add_test(tc, test_csv_late_quote_and_stray_quote);
	tcase_add_test(tc, test_csv_missing_field);
	tcase_add_test(tc, test_csv_bad_records_skipped);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_jsonl);
	tcase_add_test(tc, test_jsonl_control_whitespace);
	tcase_add_test(tc, test_record_over_1mib);
	tcase_add_test(tc, test_bounded_memory);
	tcase_add_test(tc, test_csv_across_reads);
	tcase_add_test(tc, test_shard_hash);
	tcase_add_test(tc, test_fixture_dataset);
	suite_add_tcase(s, tc);
	return s;
}
