/* Golden files: recording, order, quoting, exact totals, the --update report,
 * atomic replacement, and the strict sidecar reader. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "digest.h"
#include "golden.h"

static const char *const KEYS[] = {"id"};
static const char *const FIELDS[] = {"cost", "tax"};

static const struct gl_golden_provenance PROV = {
        .suite = "quotes",
        .environment = "reference",
        .version = "2.4.0",
        .harness_version = "0.9.0",
        .suite_digest = "sha256:suite",
        .cases_digest = "sha256:cases",
};

struct tmp {
	char dir[64];
	char csv[128];
	char meta[128];
};

static void tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/gl-golden-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->csv, sizeof(t->csv), "%s/quotes.csv", t->dir);
	snprintf(t->meta, sizeof(t->meta), "%s/quotes.meta.json", t->dir);
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* The test directories are flat, except for one directory made on purpose. */
static void tmp_release(struct tmp *t)
{
	DIR *d = opendir(t->dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[400];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
		if (unlink(p) != 0)
			ck_assert_int_eq(rmdir(p), 0);
	}
	closedir(d);
	ck_assert_int_eq(rmdir(t->dir), 0);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(fp)) != EOF)
		fputc(c, mem);
	fclose(fp);
	fclose(mem);
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static struct gl_golden_writer *open_writer(const char *path)
{
	struct gl_golden_writer *w = NULL;
	char err[256] = "";
	int rc = gl_golden_writer_open(&w, path, KEYS, 1, FIELDS, 2, err, sizeof(err));
	ck_assert_msg(rc == 0, "open: %s", err);
	return w;
}

static void add(struct gl_golden_writer *w, const char *id, const char *cost, const char *tax)
{
	const char *k[] = {id};
	const char *f[] = {cost, tax};
	char err[256] = "";
	int rc = gl_golden_writer_add(w, k, f, err, sizeof(err));
	ck_assert_msg(rc == 0, "add %s: %s", id, err);
}

static void add_fails(struct gl_golden_writer *w, const char *id, const char *cost, const char *tax,
                      const char *want)
{
	const char *k[] = {id};
	const char *f[] = {cost, tax};
	char err[256] = "";
	ck_assert_int_eq(gl_golden_writer_add(w, k, f, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}

/* Commit; returns the report text (caller frees). */
static char *commit(struct gl_golden_writer *w, bool update, int want_rc, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *report = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(report);
	int rc = gl_golden_writer_commit(w, &PROV, update, report, err, errlen);
	fclose(report);
	ck_assert_msg(rc == want_rc, "commit: want %d, got %d (%s)", want_rc, rc, err);
	return buf;
}

static void commit_ok(struct gl_golden_writer *w, bool update)
{
	char err[512] = "";
	free(commit(w, update, 0, err, sizeof(err)));
}

static struct gl_golden_meta *meta_ok(const char *csv, bool allow_edited)
{
	struct gl_diag d;
	struct gl_golden_meta *m = NULL;
	gl_diag_init(&d);
	int rc = gl_golden_meta_read(&m, csv, allow_edited, &d);
	if (rc != 0)
		gl_diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(gl_diag_errors(&d), 0);
	gl_diag_release(&d);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Read the sidecar expecting failure; every message joined, one per line. */
static char *meta_errors(const char *csv, bool allow_edited)
{
	struct gl_diag d;
	struct gl_golden_meta *m = (struct gl_golden_meta *)1;
	char *buf = NULL;
	size_t len = 0;
	gl_diag_init(&d);
	ck_assert_int_eq(gl_golden_meta_read(&m, csv, allow_edited, &d), -1);
	ck_assert_ptr_null(m);
	ck_assert_uint_gt(gl_diag_errors(&d), 0);
	FILE *fp = open_memstream(&buf, &len);
	gl_diag_print(&d, fp);
	fclose(fp);
	gl_diag_release(&d);
	return buf;
}

static void record_three(const char *csv)
{
	struct gl_golden_writer *w = open_writer(csv);
	add(w, "r-0000001", "12.500", "1.25");
	add(w, "r-0000002", "0.001", "0");
	add(w, "r-0000003", "-2.5", "0.10");
	commit_ok(w, false);
}

START_TEST(test_meta_path)
{
	char *p = gl_golden_meta_path("golden/quotes.csv");
	ck_assert_str_eq(p, "golden/quotes.meta.json");
	free(p);
	p = gl_golden_meta_path("golden/quotes");
	ck_assert_str_eq(p, "golden/quotes.meta.json");
	free(p);
}
END_TEST

START_TEST(test_round_trip)
{
	struct tmp t;
	tmp_init(&t);
	record_three(t.csv);

	char *csv = slurp(t.csv);
	ck_assert_str_eq(csv, "id,cost,tax\n"
	                      "r-0000001,12.500,1.25\n"
	                      "r-0000002,0.001,0\n"
	                      "r-0000003,-2.5,0.10\n");
	free(csv);
	ck_assert_uint_eq(dir_entries(t.dir), 2);

	struct gl_golden_meta *m = meta_ok(t.csv, false);
	ck_assert_str_eq(m->suite, "quotes");
	ck_assert_str_eq(m->environment, "reference");
	ck_assert_str_eq(m->version, "2.4.0");
	ck_assert_str_eq(m->harness_version, "0.9.0");
	ck_assert_str_eq(m->suite_digest, "sha256:suite");
	ck_assert_str_eq(m->cases_digest, "sha256:cases");
	ck_assert_uint_eq(m->rows, 3);
	ck_assert_uint_eq(m->n_keys, 1);
	ck_assert_str_eq(m->keys[0], "id");
	ck_assert_uint_eq(m->n_fields, 2);
	ck_assert_str_eq(m->fields[0], "cost");
	ck_assert_str_eq(m->fields[1], "tax");
	ck_assert_str_eq(m->totals[0], "10.001");
	ck_assert_str_eq(m->totals[1], "1.35");
	ck_assert_uint_eq(strlen(m->recorded_at), 20);
	ck_assert_int_eq(m->recorded_at[10], 'T');
	ck_assert_int_eq(m->recorded_at[19], 'Z');
	char digest[GL_DIGEST_LEN];
	ck_assert_int_eq(gl_digest_sha256_file(digest, t.csv), 0);
	ck_assert_str_eq(m->golden_digest, digest);
	gl_golden_meta_free(m);

	/* The sidecar's keys come in the documented order, pretty-printed. */
	char *meta = slurp(t.meta);
	static const char *const order[] = {
	        "\"suite\"",           "\"environment\"",  "\"version\"",      "\"recorded_at\"",
	        "\"harness_version\"", "\"rows\"",         "\"keys\"",         "\"fields\"",
	        "\"totals\"",          "\"suite_digest\"", "\"cases_digest\"", "\"golden_digest\"",
	};
	const char *at = meta;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *p = strstr(at, order[i]);
		ck_assert_msg(p != NULL, "%s missing or out of order", order[i]);
		at = p;
	}
	ck_assert_ptr_nonnull(strchr(meta, '\n'));
	free(meta);
	tmp_release(&t);
}
END_TEST

START_TEST(test_unknown_version_is_null)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "a", "1", "2");
	struct gl_golden_provenance p = PROV;
	p.version = NULL;
	char err[256] = "";
	ck_assert_int_eq(gl_golden_writer_commit(w, &p, false, NULL, err, sizeof(err)), 0);
	struct gl_golden_meta *m = meta_ok(t.csv, false);
	ck_assert_ptr_null(m->version);
	gl_golden_meta_free(m);
	tmp_release(&t);
}
END_TEST

START_TEST(test_order_and_duplicates)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "r-0000011", "1", "1");
	add_fails(w, "r-0000010", "1", "1", "keys out of order: 'r-0000010' after 'r-0000011'");
	add_fails(w, "r-0000011", "1", "1", "duplicate key 'r-0000011'");
	/* Byte order, not numeric or locale order: a prefix sorts first. */
	add(w, "r-00000110", "1", "1");
	add(w, "r-0000012", "1", "1");
	/* A refused row is never silently left out: the commit refuses too. */
	char err[512] = "";
	free(commit(w, false, -1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not recorded"));
	ck_assert_ptr_nonnull(strstr(err, "keys out of order: 'r-0000010' after 'r-0000011'"));
	ck_assert_uint_eq(dir_entries(t.dir), 0);
	tmp_release(&t);
}
END_TEST

START_TEST(test_composite_key_order)
{
	struct tmp t;
	tmp_init(&t);
	static const char *const keys[] = {"a", "b"};
	static const char *const fields[] = {"v"};
	struct gl_golden_writer *w = NULL;
	char err[256] = "";
	ck_assert_int_eq(gl_golden_writer_open(&w, t.csv, keys, 2, fields, 1, err, sizeof(err)), 0);
	const char *v[] = {"1"};
	const char *k1[] = {"x", "b"};
	const char *k2[] = {"x", "a"};
	const char *k3[] = {"x-", ""};
	const char *k4[] = {"x\x1fy", "a"};
	ck_assert_int_eq(gl_golden_writer_add(w, k1, v, err, sizeof(err)), 0);
	ck_assert_int_eq(gl_golden_writer_add(w, k2, v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "keys out of order: 'x/a' after 'x/b'");
	/* "x" 0x1f "b" < "x-" 0x1f "": 0x1f sorts before '-'. */
	ck_assert_int_eq(gl_golden_writer_add(w, k3, v, err, sizeof(err)), 0);
	ck_assert_int_eq(gl_golden_writer_add(w, k4, v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unit separator"));
	gl_golden_writer_abort(w);
	ck_assert_uint_eq(dir_entries(t.dir), 0);
	tmp_release(&t);
}
END_TEST

START_TEST(test_quoting)
{
	struct tmp t;
	tmp_init(&t);
	static const char *const keys[] = {"name", "note,s"};
	static const char *const fields[] = {"v"};
	struct gl_golden_writer *w = NULL;
	char err[256] = "";
	ck_assert_int_eq(gl_golden_writer_open(&w, t.csv, keys, 2, fields, 1, err, sizeof(err)), 0);
	const char *rows[][3] = {
	        {"", "plain", "1"},
	        {"a\"b", "x,y", "2"},
	        {"c\rd", "e\nf", "3"},
	        {"g\r\nh", "say \"hi\"", "4"},
	};
	for (size_t i = 0; i < 4; i++) {
		int rc = gl_golden_writer_add(w, rows[i], rows[i] + 2, err, sizeof(err));
		ck_assert_msg(rc == 0, "%s", err);
	}
	commit_ok(w, false);
	char *csv = slurp(t.csv);
	ck_assert_str_eq(csv, "name,\"note,s\",v\n"
	                      "\"\",plain,1\n"
	                      "\"a\"\"b\",\"x,y\",2\n"
	                      "\"c\rd\",\"e\nf\",3\n"
	                      "\"g\r\nh\",\"say \"\"hi\"\"\",4\n");
	free(csv);

	/* The update report reads such a file back value for value. */
	ck_assert_int_eq(gl_golden_writer_open(&w, t.csv, keys, 2, fields, 1, err, sizeof(err)), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(gl_golden_writer_add(w, rows[i], rows[i] + 2, err, sizeof(err)),
		                 0);
	char *report = commit(w, true, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(
	        strstr(report, ": 4 rows -> 4 rows; 0 changed, 0 added, 0 removed\n"));
	ck_assert_ptr_nonnull(strstr(report, "  total v: 10 -> 10 (unchanged)\n"));
	free(report);
	tmp_release(&t);
}
END_TEST

START_TEST(test_totals_exact)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	char id[32];
	/* 0.001 and 0.1 have no exact binary form: a double sum drifts. */
	for (int i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "r-%07d", i);
		add(w, id, "0.001", i % 2 ? "0.1" : "-0.100000000");
	}
	commit_ok(w, false);
	struct gl_golden_meta *m = meta_ok(t.csv, false);
	ck_assert_uint_eq(m->rows, 10000);
	ck_assert_str_eq(m->totals[0], "10.000");
	ck_assert_str_eq(m->totals[1], "0.000000000");
	gl_golden_meta_free(m);
	tmp_release(&t);
}
END_TEST

START_TEST(test_totals_large_and_places)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "a", "99999999999999999999.5", "7");
	add(w, "b", "0.25", "3");
	add(w, "c", "0.000000001", "-10");
	commit_ok(w, false);
	struct gl_golden_meta *m = meta_ok(t.csv, false);
	ck_assert_str_eq(m->totals[0], "99999999999999999999.750000001");
	ck_assert_str_eq(m->totals[1], "0");
	gl_golden_meta_free(m);
	tmp_release(&t);
}
END_TEST

START_TEST(test_bad_values)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add_fails(w, "r-1", "12.3.4", "1",
	          "key 'r-1': field 'cost': '12.3.4' is not a decimal number");
	add_fails(w, "r-1", "1", "1e3",
	          "key 'r-1': field 'tax': '1e3' is not a decimal number: exponents are not "
	          "accepted");
	add_fails(w, "r-1", NULL, "1", "key 'r-1': field 'cost' has no value");
	add_fails(w, "r-1", "1", "0.0000000001",
	          "key 'r-1': field 'tax': '0.0000000001' has more than 9 decimal places");
	gl_golden_writer_abort(w);
	ck_assert_uint_eq(dir_entries(t.dir), 0);
	tmp_release(&t);
}
END_TEST

START_TEST(test_total_overflow)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "a", "170141183460469231731687303715", "0");
	add_fails(w, "b", "1", "0", "key 'b': the total of field 'cost' is out of range");
	gl_golden_writer_abort(w);
	tmp_release(&t);
}
END_TEST

START_TEST(test_bad_columns)
{
	struct gl_golden_writer *w = (struct gl_golden_writer *)1;
	char err[256] = "";
	static const char *const dup[] = {"id", "id"};
	ck_assert_int_eq(gl_golden_writer_open(&w, "/tmp/x.csv", KEYS, 0, FIELDS, 2, err, 256), -1);
	ck_assert_ptr_null(w);
	ck_assert_str_eq(err, "golden '/tmp/x.csv': no key columns");
	ck_assert_int_eq(gl_golden_writer_open(&w, "/tmp/x.csv", KEYS, 1, dup, 2, err, 256), -1);
	ck_assert_str_eq(err, "golden '/tmp/x.csv': column 'id' appears twice");
	ck_assert_int_eq(
	        gl_golden_writer_open(&w, "/nonexistent-dir/x.csv", KEYS, 1, FIELDS, 2, err, 256),
	        -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot create a temporary file beside"));
}
END_TEST

START_TEST(test_refuse_overwrite)
{
	struct tmp t;
	tmp_init(&t);
	record_three(t.csv);
	char *csv = slurp(t.csv);
	char *meta = slurp(t.meta);

	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "r-0000001", "13", "1");
	char err[512] = "";
	free(commit(w, false, -1, err, sizeof(err)));
	char want[300];
	snprintf(want, sizeof(want), "golden '%s' exists: use --update to replace it", t.csv);
	ck_assert_str_eq(err, want);

	char *csv2 = slurp(t.csv);
	char *meta2 = slurp(t.meta);
	ck_assert_str_eq(csv2, csv);
	ck_assert_str_eq(meta2, meta);
	ck_assert_uint_eq(dir_entries(t.dir), 2);
	free(csv);
	free(meta);
	free(csv2);
	free(meta2);
	tmp_release(&t);
}
END_TEST

START_TEST(test_update_report)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "r-0000001", "1.000", "0.10");
	add(w, "r-0000002", "2.000", "0.20");
	add(w, "r-0000003", "3.000", "0.30");
	add(w, "r-0000004", "4.000", "0.40");
	commit_ok(w, false);

	w = open_writer(t.csv);
	add(w, "r-0000001", "1.000", "0.10");
	add(w, "r-0000002", "2.001", "0.21");
	add(w, "r-0000004", "4.000", "0.40");
	add(w, "r-0000005", "5.000", "0.50");
	char err[512] = "";
	char *report = commit(w, true, 0, err, sizeof(err));
	char want[1024];
	snprintf(want, sizeof(want),
	         "%s: 4 rows -> 4 rows; 1 changed, 1 added, 1 removed\n"
	         "  r-0000002 cost: 2.000 -> 2.001\n"
	         "  r-0000002 tax: 0.20 -> 0.21\n"
	         "  r-0000003 removed\n"
	         "  r-0000005 added\n"
	         "  total cost: 10.000 -> 12.001 (+2.001)\n"
	         "  total tax: 1.00 -> 1.21 (+0.21)\n",
	         t.csv);
	ck_assert_str_eq(report, want);
	free(report);

	/* The new golden is in place, with a sidecar that matches it. */
	struct gl_golden_meta *m = meta_ok(t.csv, false);
	ck_assert_str_eq(m->totals[0], "12.001");
	gl_golden_meta_free(m);
	ck_assert_uint_eq(dir_entries(t.dir), 2);
	tmp_release(&t);
}
END_TEST

START_TEST(test_update_report_caps_examples)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	char id[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "r-%07d", i);
		add(w, id, "12.500", "1");
	}
	commit_ok(w, false);

	w = open_writer(t.csv);
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "r-%07d", i);
		add(w, id, i % 500 == 123 ? "12.501" : "12.500", "1");
	}
	char err[512] = "";
	char *report = commit(w, true, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(report,
	                             ": 20000 rows -> 20000 rows; 40 changed, 0 added, 0 removed\n"
	                             "  r-0000123 cost: 12.500 -> 12.501\n"
	                             "  r-0000623 cost: 12.500 -> 12.501\n"));
	/* Ten examples, then the totals. */
	size_t lines = 0;
	for (const char *p = report; (p = strstr(p, " cost: 12.500 -> 12.501\n")); p++)
		lines++;
	ck_assert_uint_eq(lines, 10);
	ck_assert_ptr_nonnull(strstr(report, "  total cost: 250000.000 -> 250000.040 (+0.040)\n"
	                                     "  total tax: 20000 -> 20000 (unchanged)\n"));
	free(report);
	tmp_release(&t);
}
END_TEST

START_TEST(test_update_report_fields_and_negative)
{
	struct tmp t;
	tmp_init(&t);
	/* A hand-edited old golden: CRLF line ends, quoted values, an extra
	 * field the new recording drops, none of the new 'tax'. */
	spit(t.csv, "id,cost,old\r\n"
	            "\"r-1\",1.50,x\r\n"
	            "r-2,\"2.25\",y\r\n");
	spit(t.meta, "{}");
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "r-1", "1.5", "3");
	add(w, "r-2", "2", "4");
	char err[512] = "";
	char *report = commit(w, true, 0, err, sizeof(err));
	char want[1024];
	snprintf(want, sizeof(want),
	         "%s: 2 rows -> 2 rows; 2 changed, 0 added, 0 removed\n"
	         "  field 'tax' added\n"
	         "  field 'old' removed\n"
	         "  r-1 cost: 1.50 -> 1.5\n"
	         "  r-2 cost: 2.25 -> 2\n"
	         "  total cost: 3.75 -> 3.5 (-0.25)\n"
	         "  total tax: 7 (new field)\n",
	         t.csv);
	ck_assert_str_eq(report, want);
	free(report);
	tmp_release(&t);
}
END_TEST

START_TEST(test_update_unreadable_old)
{
	struct tmp t;
	tmp_init(&t);
	/* Unsorted by hand: the report says so and the update goes on. */
	spit(t.csv, "id,cost,tax\nb,1,1\na,1,1\n");
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "a", "1", "1");
	char err[512] = "";
	char *report = commit(w, true, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(report, ": 1 rows; cannot compare with the old golden: "));
	ck_assert_ptr_nonnull(strstr(report, "line 3: not sorted by key\n"));
	ck_assert_ptr_nonnull(strstr(report, "  total cost: 1\n"));
	free(report);
	struct gl_golden_meta *m = meta_ok(t.csv, false);
	ck_assert_uint_eq(m->rows, 1);
	gl_golden_meta_free(m);

	/* Different key columns: not compared row by row. */
	spit(t.csv, "ref,cost,tax\na,1,1\n");
	w = open_writer(t.csv);
	add(w, "a", "1", "1");
	report = commit(w, true, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(report, "the old golden has no key column 'id'"));
	free(report);
	tmp_release(&t);
}
END_TEST

START_TEST(test_new_golden_report)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "a", "1.10", "2");
	char err[512] = "";
	char *report = commit(w, true, 0, err, sizeof(err));
	char want[512];
	snprintf(want, sizeof(want), "%s: new golden, 1 rows\n  total cost: 1.10\n  total tax: 2\n",
	         t.csv);
	ck_assert_str_eq(report, want);
	free(report);
	tmp_release(&t);
}
END_TEST

START_TEST(test_abort_leaves_nothing)
{
	struct tmp t;
	tmp_init(&t);
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "a", "1", "1");
	ck_assert_uint_eq(dir_entries(t.dir), 1); /* the temporary */
	gl_golden_writer_abort(w);
	ck_assert_uint_eq(dir_entries(t.dir), 0);
	gl_golden_writer_abort(NULL);
	tmp_release(&t);
}
END_TEST

START_TEST(test_failed_update_keeps_old)
{
	struct tmp t;
	tmp_init(&t);
	record_three(t.csv);
	char *csv = slurp(t.csv);
	char *meta = slurp(t.meta);

	/* A refused row: nothing is replaced. */
	struct gl_golden_writer *w = open_writer(t.csv);
	add(w, "r-0000001", "99", "99");
	add_fails(w, "r-0000002", "oops", "1",
	          "key 'r-0000002': field 'cost': 'oops' is not a decimal number");
	char err[512] = "";
	free(commit(w, true, -1, err, sizeof(err)));
	char *got = slurp(t.csv);
	ck_assert_str_eq(got, csv);
	free(got);
	got = slurp(t.meta);
	ck_assert_str_eq(got, meta);
	free(got);
	ck_assert_uint_eq(dir_entries(t.dir), 2);

	/* The sidecar cannot be replaced (a directory is in its way): the old
	 * .csv stays, and no temporary is left behind. */
	char moved[160];
	snprintf(moved, sizeof(moved), "%s/saved.json", t.dir);
	ck_assert_int_eq(rename(t.meta, moved), 0);
	ck_assert_int_eq(mkdir(t.meta, 0755), 0);
	char inner[160];
	snprintf(inner, sizeof(inner), "%s/keep", t.meta);
	spit(inner, "x"); /* a non-empty directory cannot be renamed over */
	w = open_writer(t.csv);
	add(w, "r-0000001", "99", "99");
	free(commit(w, true, -1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot replace"));
	got = slurp(t.csv);
	ck_assert_str_eq(got, csv);
	free(got);
	ck_assert_uint_eq(dir_entries(t.dir), 3); /* csv, saved.json, the directory */
	ck_assert_int_eq(unlink(inner), 0);

	free(csv);
	free(meta);
	tmp_release(&t);
}
END_TEST

START_TEST(test_digest_mismatch)
{
	struct tmp t;
	tmp_init(&t);
	record_three(t.csv);
	char *csv = slurp(t.csv);
	char before[GL_DIGEST_LEN];
	ck_assert_int_eq(gl_digest_sha256_file(before, t.csv), 0);
	/* Edited by hand: one cent. */
	char *p = strstr(csv, "12.500");
	p[4] = '1';
	spit(t.csv, csv);
	char after[GL_DIGEST_LEN];
	ck_assert_int_eq(gl_digest_sha256_file(after, t.csv), 0);

	char *msgs = meta_errors(t.csv, false);
	ck_assert_ptr_nonnull(strstr(msgs, "changed after it was recorded"));
	ck_assert_ptr_nonnull(strstr(msgs, before));
	ck_assert_ptr_nonnull(strstr(msgs, after));
	ck_assert_ptr_nonnull(strstr(msgs, t.meta));
	free(msgs);

	struct gl_golden_meta *m = meta_ok(t.csv, true);
	ck_assert_str_eq(m->golden_digest, before);
	gl_golden_meta_free(m);

	/* A missing .csv is an error even when edits are allowed. */
	ck_assert_int_eq(unlink(t.csv), 0);
	msgs = meta_errors(t.csv, true);
	ck_assert_ptr_nonnull(strstr(msgs, "cannot read"));
	free(msgs);
	free(csv);
	tmp_release(&t);
}
END_TEST

/* Write a sidecar (the .csv is recorded first so that its digest is real),
 * read it, and check every message in want appears, prefixed by the path. */
static void assert_sidecar(const char *json, const char *const *want, size_t n_want)
{
	struct tmp t;
	tmp_init(&t);
	spit(t.csv, "id,cost\n");
	spit(t.meta, json);
	char *msgs = meta_errors(t.csv, true);
	for (size_t i = 0; i < n_want; i++) {
		char line[512];
		snprintf(line, sizeof(line), "%s: %s\n", t.meta, want[i]);
		ck_assert_msg(strstr(msgs, line) != NULL, "want '%s' in:\n%s", line, msgs);
	}
	free(msgs);
	tmp_release(&t);
}

#define GOOD_TAIL                                                                                  \
	"\"recorded_at\": \"2024-01-01T00:00:00Z\", \"harness_version\": \"1\", \"rows\": 0, "     \
	"\"keys\": [\"id\"], \"fields\": [\"cost\"], \"totals\": {\"cost\": \"0\"}, "              \
	"\"suite_digest\": \"s\", \"cases_digest\": \"c\", \"golden_digest\": \"g\"}"

START_TEST(test_sidecar_malformed)
{
	static const char *const missing[] = {
	        "missing key 'suite'",
	        "missing key 'environment'",
	        "missing key 'version'",
	};
	assert_sidecar("{" GOOD_TAIL, missing, 3);

	static const char *const types[] = {
	        "'suite' must be a string",
	        "'version' must be a string or null",
	        "'rows' must be a whole number, not negative",
	        "'keys[1]' must be a string",
	        "'fields' must be an array of strings",
	};
	assert_sidecar(
	        "{\"suite\": 1, \"environment\": \"e\", \"version\": true, "
	        "\"recorded_at\": \"t\", \"harness_version\": \"1\", \"rows\": 1.5, "
	        "\"keys\": [\"id\", 2], \"fields\": \"cost\", \"totals\": {}, "
	        "\"suite_digest\": \"s\", \"cases_digest\": \"c\", \"golden_digest\": \"g\"}",
	        types, 5);

	static const char *const totals[] = {
	        "'totals.cost': '1.2.3' is not a decimal number",
	        "'totals' has no total for field 'tax'",
	        "'totals' has a total for 'fee', which is not a field",
	        "unknown key 'sute' (did you mean 'suite'?)",
	        "duplicate key 'environment'",
	        "'rows' must be a whole number, not negative",
	        "'keys' must not be empty",
	};
	assert_sidecar("{\"suite\": \"s\", \"sute\": 1, \"environment\": \"e\", \"environment\": "
	               "\"f\", \"version\": null, \"recorded_at\": \"t\", \"harness_version\": "
	               "\"1\", \"rows\": -1, \"keys\": [], \"fields\": [\"cost\", \"tax\"], "
	               "\"totals\": {\"cost\": \"1.2.3\", \"fee\": \"1\"}, \"suite_digest\": "
	               "\"s\", \"cases_digest\": \"c\", \"golden_digest\": \"g\"}",
	               totals, 7);

	static const char *const not_object[] = {"not a JSON object"};
	assert_sidecar("[1, 2]", not_object, 1);
}
END_TEST

START_TEST(test_sidecar_not_json)
{
	struct tmp t;
	tmp_init(&t);
	spit(t.csv, "id\n");
	spit(t.meta, "{\n  \"suite\": \"s\",\n  oops\n}\n");
	char *msgs = meta_errors(t.csv, true);
	char want[256];
	snprintf(want, sizeof(want), "%s:3:", t.meta);
	ck_assert_ptr_eq(strstr(msgs, want), msgs);
	ck_assert_ptr_nonnull(strstr(msgs, ": not valid JSON\n"));
	free(msgs);

	/* Trailing text after the object is refused too. */
	spit(t.meta, "{} {}");
	msgs = meta_errors(t.csv, true);
	ck_assert_ptr_nonnull(strstr(msgs, "not valid JSON"));
	free(msgs);

	ck_assert_int_eq(unlink(t.meta), 0);
	msgs = meta_errors(t.csv, true);
	ck_assert_ptr_nonnull(strstr(msgs, "cannot read"));
	ck_assert_ptr_nonnull(strstr(msgs, "quotes.meta.json"));
	free(msgs);
	tmp_release(&t);
}
END_TEST

Suite *golden_suite(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("golden");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_meta_path);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_unknown_version_is_null);
	tcase_add_test(tc, test_order_and_duplicates);
	tcase_add_test(tc, test_composite_key_order);
	tcase_add_test(tc, test_quoting);
	tcase_add_test(tc, test_totals_exact);
	tcase_add_test(tc, test_totals_large_and_places);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_total_overflow);
	tcase_add_test(tc, test_bad_columns);
	tcase_add_test(tc, test_refuse_overwrite);
	tcase_add_test(tc, test_update_report);
	tcase_add_test(tc, test_update_report_caps_examples);
	tcase_add_test(tc, test_update_report_fields_and_negative);
	tcase_add_test(tc, test_update_unreadable_old);
	tcase_add_test(tc, test_new_golden_report);
	tcase_add_test(tc, test_abort_leaves_nothing);
	tcase_add_test(tc, test_failed_update_keeps_old);
	tcase_add_test(tc, test_digest_mismatch);
	tcase_add_test(tc, test_sidecar_malformed);
	tcase_add_test(tc, test_sidecar_not_json);
	suite_add_tcase(s, tc);
	return s;
}
