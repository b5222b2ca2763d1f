/* Unit tests of pg.c against a real PostgreSQL, started by tests/pg.sh in a
 * temporary directory once for the suite (an unchecked fixture, in the
 * runner's own process) and stopped at its end. Nothing is skipped: a server
 * that does not start is a failure. A watcher (pg_watch) stops it if the
 * runner is killed before its teardown. $SRCDIR is the source root (set by
 * tests/meson.build; else $GL_TEST_DATA/../..). */
#include <check.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_suites.h"
#include "pg.h"
#include "redact.h"
#include "source.h"

static char pg_dir[64];
static char pg_url[512];
static char src_dir[1024];

/* Run `. tests/pg.sh && <script>` with $D set to the server's directory. */
static int pg_sh(const char *script)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "D='%s' bash -c '. \"%s/tests/pg.sh\" && %s' >/dev/null", pg_dir,
	         src_dir, script);
	return system(cmd);
}

static void read_text(char *out, size_t len, const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	size_t n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void pg_up(void)
{
	const char *src = getenv("SRCDIR");
	const char *data = getenv("GL_TEST_DATA");
	if (src)
		snprintf(src_dir, sizeof src_dir, "%s", src);
	else if (data)
		snprintf(src_dir, sizeof src_dir, "%s/../..", data);
	else
		ck_abort_msg("SRCDIR or GL_TEST_DATA must name the sources");
	snprintf(pg_dir, sizeof pg_dir, "/tmp/gl-pg-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(pg_dir));
	char script[256];
	snprintf(script, sizeof script,
	         "pg_start \"$D\" && printf %%s \"$PG_URL\" > \"$D/url\" && pg_watch \"$D\" %ld",
	         (long)getpid());
	ck_assert_msg(pg_sh(script) == 0, "pg_start failed: is PostgreSQL installed?");
	char path[128];
	snprintf(path, sizeof path, "%s/url", pg_dir);
	read_text(pg_url, sizeof pg_url, path);
	ck_assert_str_ne(pg_url, "");
}

static void pg_down(void)
{
	if (!pg_dir[0])
		return;
	if (pg_sh("pg_stop \"$D\" && rm -rf \"$D\"") != 0)
		fprintf(stderr, "check_pg: could not stop the server in %s\n", pg_dir);
	pg_dir[0] = '\0';
}

static struct gl_pg *connect_ok(void)
{
	struct gl_pg *pg = NULL;
	char err[512] = "";
	ck_assert_msg(gl_pg_connect(&pg, pg_url, err, sizeof err) == 0, "connect: %s", err);
	ck_assert_ptr_nonnull(pg);
	return pg;
}

static void data_path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/tests/data/pg/%s", src_dir, name);
}

static void schema_path(char *out, size_t len)
{
	snprintf(out, len, "%s/fixtures/schema.sql", src_dir);
}

/* Seed the schema and tests/data/pg/usage.csv; returns the rows. */
static unsigned long seed_small(struct gl_pg *pg)
{
	char schema[1200], csv[1200], err[512] = "";
	schema_path(schema, sizeof schema);
	data_path(csv, sizeof csv, "usage.csv");
	const char *tables[] = {"usage"};
	const char *paths[] = {csv};
	unsigned long rows = 0;
	ck_assert_msg(gl_pg_seed(&rows, pg, schema, tables, paths, 1, err, sizeof err) == 0,
	              "seed: %s", err);
	return rows;
}

/* ---- connections ---- */

START_TEST(connect_and_close)
{
	struct gl_pg *pg = connect_ok();
	gl_pg_close(pg);
	gl_pg_close(NULL);
}
END_TEST

START_TEST(wrong_password_is_not_shown)
{
	char url[600], err[512] = "";
	const char *at = strrchr(pg_url, '@');
	ck_assert_ptr_nonnull(at);
	snprintf(url, sizeof url, "postgresql://greenlight:Wr0ng-s3cret@%s", at + 1);
	struct gl_pg *pg = (struct gl_pg *)1;
	ck_assert_int_eq(gl_pg_connect(&pg, url, err, sizeof err), -1);
	ck_assert_ptr_null(pg);
	ck_assert_msg(strstr(err, "password authentication failed") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, "Wr0ng-s3cret") == NULL, "err: %s", err);
	ck_assert_msg(strchr(err, '\n') == NULL, "err: %s", err);

	/* key=value form */
	char port[16] = "";
	const char *colon = strrchr(at, ':');
	ck_assert_int_eq(sscanf(colon + 1, "%15[0-9]", port), 1);
	snprintf(url, sizeof url,
	         "host=127.0.0.1 port=%s dbname=greenlight user=greenlight password='Wr0ng-s3cret'",
	         port);
	ck_assert_int_eq(gl_pg_connect(&pg, url, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "Wr0ng-s3cret") == NULL, "err: %s", err);
	gl_redact_reset();
}
END_TEST

START_TEST(unparsable_conninfo_hides_password)
{
	char err[512] = "";
	struct gl_pg *pg = NULL;
	ck_assert_int_eq(gl_pg_connect(&pg, "postgresql://u:Hidd3n-pw@[::1/db", err, sizeof err),
	                 -1);
	ck_assert_msg(strstr(err, "invalid connection string") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, "Hidd3n-pw") == NULL, "err: %s", err);
	ck_assert_int_eq(gl_pg_connect(&pg, "host=x password=Hidd3n-pw oops", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "Hidd3n-pw") == NULL, "err: %s", err);
	/* libpq quotes the bad token, password and all: it must be redacted
	 * before its two spaces are folded into one, or it no longer matches */
	ck_assert_int_eq(
	        gl_pg_connect(&pg, "postgresql://u:Se  cret%zzX@127.0.0.1:1/db", err, sizeof err),
	        -1);
	ck_assert_msg(strstr(err, "cret") == NULL, "err: %s", err);
	gl_redact_reset();
}
END_TEST

START_TEST(refused_connection)
{
	/* a port that was free a moment ago: nothing listens there */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	socklen_t len = sizeof sa;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	char url[200], err[512] = "";
	snprintf(url, sizeof url, "postgresql://greenlight:pw-refused@127.0.0.1:%u/greenlight",
	         ntohs(sa.sin_port));
	struct gl_pg *pg = NULL;
	ck_assert_int_eq(gl_pg_connect(&pg, url, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "refused") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, "pw-refused") == NULL, "err: %s", err);
	ck_assert_msg(strchr(err, '\n') == NULL && strchr(err, '\t') == NULL, "err: %s", err);
	gl_redact_reset();
}
END_TEST

/* ---- seeding ---- */

START_TEST(seed_small_csv)
{
	struct gl_pg *pg = connect_ok();
	ck_assert_uint_eq(seed_small(pg), 5);
	ck_assert_uint_eq(seed_small(pg), 5); /* again: the schema drops and recreates */

	const char *fields[] = {"record_id", "account", "customer", "cost"};
	struct gl_source *s = NULL;
	char err[512] = "";
	ck_assert_msg(gl_pg_source_open(&s, pg,
	                                "select u.*, q.cost from usage u join quotes q "
	                                "using (record_id) order by record_id;",
	                                fields, 4, NULL, 0, 0, 0, err, sizeof err) == 0,
	              "open: %s", err);
	const char *want[5][4] = {
	        {"r-000001", "acct-7f3a", "Customer 1", "16.200"},
	        {"r-000002", "acct-7f3a", "Doe, Jane \"JD\"", "0.012"},
	        {"r-000003", "acct-0001", "multi\r\nline name", "115.049"},
	        {"r-000004", NULL, "", "786706016287.481"},
	        {"r-000005", "acct-0002", "Ann", "763.200"},
	};
	struct gl_row row;
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_ROW);
		ck_assert_uint_eq(row.line, (unsigned long)i + 1);
		for (int j = 0; j < 4; j++) {
			if (!want[i][j]) {
				ck_assert_ptr_null(row.values[j]);
				continue;
			}
			ck_assert_ptr_nonnull(row.values[j]);
			ck_assert_str_eq(row.values[j], want[i][j]);
			ck_assert_uint_eq(row.lens[j], strlen(want[i][j]));
		}
	}
	enum gl_source_status st = gl_source_next(s, &row);
	ck_assert_msg(st == GL_SOURCE_END, "status %d: %s", st, s->err);
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
	gl_pg_close(pg);
}
END_TEST

START_TEST(seed_bad_csv_rolls_back)
{
	struct gl_pg *pg = connect_ok();
	ck_assert_uint_eq(seed_small(pg), 5);
	char schema[1200], good[1200], bad[1200], err[512] = "";
	schema_path(schema, sizeof schema);
	data_path(good, sizeof good, "usage.csv");
	data_path(bad, sizeof bad, "bad.csv");
	const char *tables[] = {"usage", "usage"};
	const char *paths[] = {good, bad};
	unsigned long rows = 99;
	ck_assert_int_eq(gl_pg_seed(&rows, pg, schema, tables, paths, 2, err, sizeof err), -1);
	ck_assert_uint_eq(rows, 0);
	ck_assert_msg(strstr(err, "bad.csv:3: invalid input syntax for type numeric") != NULL,
	              "err: %s", err);

	/* the first seed is intact: nothing of the failed one was committed */
	const char *f[] = {"n"};
	struct gl_pg_stmt *st = NULL;
	ck_assert_int_eq(gl_pg_prepare(&st, pg, "select count(*)::text as n from usage", 0, f, 1,
	                               err, sizeof err),
	                 0);
	char **v = NULL;
	ck_assert_int_eq(gl_pg_exec(&v, st, NULL, err, sizeof err), 0);
	ck_assert_str_eq(v[0], "5");
	gl_pg_values_free(v, 1);
	gl_pg_stmt_free(st);

	/* a missing file and a broken schema are errors too */
	const char *missing[] = {"/nonexistent/usage.csv"};
	ck_assert_int_eq(gl_pg_seed(&rows, pg, schema, tables, missing, 1, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "/nonexistent/usage.csv") != NULL, "err: %s", err);
	ck_assert_int_eq(gl_pg_seed(&rows, pg, bad, NULL, NULL, 0, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "bad.csv:1: syntax error") != NULL, "err: %s", err);
	gl_pg_close(pg);
}
END_TEST

/* The generator's fixtures, once they exist, load and quote without error. */
START_TEST(seed_fixtures)
{
	char csv[1200], schema[1200], err[512] = "";
	snprintf(csv, sizeof csv, "%s/fixtures/usage.csv", src_dir);
	if (access(csv, R_OK) != 0)
		data_path(csv, sizeof csv, "usage.csv");
	schema_path(schema, sizeof schema);
	struct gl_pg *pg = connect_ok();
	const char *tables[] = {"usage"};
	const char *paths[] = {csv};
	unsigned long rows = 0;
	ck_assert_msg(gl_pg_seed(&rows, pg, schema, tables, paths, 1, err, sizeof err) == 0,
	              "seed %s: %s", csv, err);
	ck_assert_uint_gt(rows, 0);
	const char *f[] = {"n"};
	struct gl_source *s = NULL;
	ck_assert_msg(gl_pg_source_open(&s, pg, "select count(*) as n from quotes", f, 1, NULL, 0,
	                                0, 0, err, sizeof err) == 0,
	              "%s", err);
	struct gl_row row;
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_ROW);
	ck_assert_uint_eq(strtoul(row.values[0], NULL, 10), rows);
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_END);
	gl_source_close(s);
	gl_pg_close(pg);
}
END_TEST

/* ---- streaming ---- */

#define TRICKY_ROWS 12345

/* i, and t: NULL, "", quotes/commas/newlines, "\.", or plain text by i % 6 */
static const char tricky_sql[] =
        "select i, case i % 6 when 0 then null when 1 then '' "
        "when 2 then 'a,\"b\"' || chr(10) || 'c' || i "
        "when 3 then '\\.' when 4 then ',' || chr(13) || chr(10) "
        "else 'v' || i end as \"T x\", i * 2 as dbl from generate_series(1, 12345) i "
        "-- a trailing comment\n ;";

START_TEST(stream_nulls_quotes_newlines)
{
	struct gl_pg *pg = connect_ok();
	const char *fields[] = {"T x", "i"};
	struct gl_source *s = NULL;
	char err[512] = "";
	ck_assert_msg(gl_pg_source_open(&s, pg, tricky_sql, fields, 2, NULL, 0, 0, 0, err,
	                                sizeof err) == 0,
	              "open: %s", err);
	ck_assert_str_eq(s->label, "sql");
	struct gl_row row;
	unsigned long n = 0;
	enum gl_source_status st;
	while ((st = gl_source_next(s, &row)) == GL_SOURCE_ROW) {
		n++;
		ck_assert_uint_eq(row.n, 2);
		ck_assert_uint_eq(row.line, n);
		char num[32], want[64];
		snprintf(num, sizeof num, "%lu", n);
		ck_assert_str_eq(row.values[1], num);
		const char *t = row.values[0];
		switch (n % 6) {
		case 0:
			ck_assert_ptr_null(t);
			ck_assert_uint_eq(row.lens[0], 0);
			continue;
		case 1:
			snprintf(want, sizeof want, "%s", "");
			break;
		case 2:
			snprintf(want, sizeof want, "a,\"b\"\nc%lu", n);
			break;
		case 3:
			snprintf(want, sizeof want, "\\.");
			break;
		case 4:
			snprintf(want, sizeof want, ",\r\n");
			break;
		default:
			snprintf(want, sizeof want, "v%lu", n);
		}
		ck_assert_ptr_nonnull(t);
		ck_assert_str_eq(t, want);
		ck_assert_uint_eq(row.lens[0], strlen(want));
	}
	ck_assert_msg(st == GL_SOURCE_END, "status %d: %s", st, s->err);
	ck_assert_uint_eq(n, TRICKY_ROWS);
	gl_source_close(s);

	/* the connection is usable again */
	ck_assert_int_eq(gl_pg_source_open(&s, pg, "select 1 as one", (const char *[]){"one"}, 1,
	                                   NULL, 0, 0, 0, err, sizeof err),
	                 0);
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_ROW);
	ck_assert_str_eq(row.values[0], "1");
	gl_source_close(s);
	gl_pg_close(pg);
}
END_TEST

START_TEST(close_mid_stream_leaves_connection_usable)
{
	struct gl_pg *pg = connect_ok();
	const char *f[] = {"i"};
	struct gl_source *s = NULL;
	char err[512] = "";
	ck_assert_int_eq(gl_pg_source_open(&s, pg, "select generate_series(1, 100000000) as i", f,
	                                   1, NULL, 0, 0, 0, err, sizeof err),
	                 0);
	struct gl_row row;
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_ROW);
	gl_source_close(s);
	const char *g[] = {"x"};
	struct gl_pg_stmt *st = NULL;
	ck_assert_msg(gl_pg_prepare(&st, pg, "select $1::text as x", 1, g, 1, err, sizeof err) == 0,
	              "%s", err);
	char **v = NULL;
	ck_assert_int_eq(gl_pg_exec(&v, st, (const char *[]){"ok"}, err, sizeof err), 0);
	ck_assert_str_eq(v[0], "ok");
	gl_pg_values_free(v, 1);
	gl_pg_stmt_free(st);
	gl_pg_close(pg);
}
END_TEST

START_TEST(bad_query_has_server_message)
{
	struct gl_pg *pg = connect_ok();
	struct gl_source *s = (struct gl_source *)1;
	char err[512] = "";
	const char *f[] = {"nope"};
	ck_assert_int_eq(
	        gl_pg_source_open(&s, pg, "select 1 as yes", f, 1, NULL, 0, 0, 0, err, sizeof err),
	        -1);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err, "column q.nope does not exist") != NULL, "err: %s", err);
	const char *g[] = {"a"};
	ck_assert_int_eq(gl_pg_source_open(&s, pg, "select from where", g, 1, NULL, 0, 0, 0, err,
	                                   sizeof err),
	                 -1);
	ck_assert_msg(strstr(err, "syntax error at or near \"where\"") != NULL, "err: %s", err);
	ck_assert_int_eq(gl_pg_source_open(&s, pg, "select * from no_such_table", g, 1, NULL, 0, 0,
	                                   0, err, sizeof err),
	                 -1);
	ck_assert_msg(strstr(err, "relation \"no_such_table\" does not exist") != NULL, "err: %s",
	              err);

	/* an error after some rows is a failure of the stream, never its end */
	ck_assert_int_eq(gl_pg_source_open(&s, pg,
	                                   "select (1 / (50000 - i))::text as a "
	                                   "from generate_series(1, 60000) i",
	                                   g, 1, NULL, 0, 0, 0, err, sizeof err),
	                 0);
	struct gl_row row;
	enum gl_source_status st;
	unsigned long n = 0;
	while ((st = gl_source_next(s, &row)) == GL_SOURCE_ROW)
		n++;
	ck_assert_int_eq(st, GL_SOURCE_FAIL);
	ck_assert_uint_lt(n, 50000);
	ck_assert_msg(strstr(s->err, "division by zero") != NULL, "err: %s", s->err);
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_FAIL);
	gl_source_close(s);
	gl_pg_close(pg);
}
END_TEST

/* ---- sharding ---- */

static unsigned long md5_shard_hash(const char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ck_assert_int_eq(EVP_Digest(key, strlen(key), md, &len, EVP_md5(), NULL), 1);
	return (unsigned long)md[0] << 24 | (unsigned long)md[1] << 16 | (unsigned long)md[2] << 8 |
	       md[3];
}

#define SHARD_ROWS 3000

static void check_shards(struct gl_pg *pg, const char *const *keys, size_t n_keys)
{
	static unsigned seen[SHARD_ROWS + 1];
	memset(seen, 0, sizeof seen);
	const char *fields[] = {"i", "k1", "k2"};
	unsigned long total = 0;
	for (unsigned k = 1; k <= 3; k++) {
		struct gl_source *s = NULL;
		char err[512] = "";
		ck_assert_msg(
		        gl_pg_source_open(&s, pg,
		                          "select i, 'key-' || i as k1, "
		                          "case when i % 7 = 0 then null else i % 10 end as k2 "
		                          "from generate_series(1, 3000) i",
		                          fields, 3, keys, n_keys, k, 3, err, sizeof err) == 0,
		        "open: %s", err);
		struct gl_row row;
		enum gl_source_status st;
		while ((st = gl_source_next(s, &row)) == GL_SOURCE_ROW) {
			unsigned long i = strtoul(row.values[0], NULL, 10);
			ck_assert(i >= 1 && i <= SHARD_ROWS);
			ck_assert_msg(seen[i] == 0, "row %lu in shards %u and %u", i, seen[i], k);
			seen[i] = k;
			total++;
			/* the same hash as gl_shard_hash: first 4 bytes of MD5, big-endian */
			char key[64];
			if (n_keys == 1)
				snprintf(key, sizeof key, "%s", row.values[1]);
			else
				snprintf(key, sizeof key, "%s\x1f%s", row.values[1], row.values[2]);
			if (n_keys == 1 || row.values[2])
				ck_assert_uint_eq(md5_shard_hash(key) % 3, k - 1);
		}
		ck_assert_msg(st == GL_SOURCE_END, "%s", s->err);
		gl_source_close(s);
	}
	ck_assert_uint_eq(total, SHARD_ROWS);
	unsigned per[4] = {0};
	for (int i = 1; i <= SHARD_ROWS; i++)
		per[seen[i]]++;
	ck_assert_uint_eq(per[0], 0);
	for (int k = 1; k <= 3; k++)
		ck_assert_uint_gt(per[k], SHARD_ROWS / 4);
}

START_TEST(shards_partition_rows)
{
	struct gl_pg *pg = connect_ok();
	check_shards(pg, (const char *[]){"k1"}, 1);
	check_shards(pg, (const char *[]){"k1", "k2"}, 2);
	gl_pg_close(pg);
}
END_TEST

/* ---- prepared per-case queries: the SQL cost model ---- */

struct quote_case {
	const char *currency, *quantity, *discount, *list, *savings, *cost;
};

/* tests/costd/README.md's worked examples, ties included */
static const struct quote_case quote_cases[] = {
        {"USD", "1500", "10", "18.000", "1.800", "16.200"},
        {"USD", "1", NULL, "0.012", "0.000", "0.012"},
        {"USD", "5", "0", "0.062", "0.000", "0.062"},
        {"USD", "3", NULL, "0.038", "0.000", "0.038"},
        {"USD", "2", NULL, "0.025", "0.000", "0.025"},
        {"USD", "999.9999", NULL, "12.500", "0.000", "12.500"},
        {"USD", "1000", NULL, "12.500", "0.000", "12.500"},
        {"USD", "1000.0001", NULL, "12.500", "0.000", "12.500"},
        {"USD", "10000", NULL, "111.500", "0.000", "111.500"},
        {"USD", "100000", NULL, "966.500", "0.000", "966.500"},
        {"USD", "250000", NULL, "2166.500", "0.000", "2166.500"},
        {"USD", "1000.5", "12.5", "12.506", "1.563", "10.942"},
        {"USD", "100", "10.6", "1.250", "0.132", "1.118"},
        {"USD", "1", "100", "0.012", "0.012", "0.000"},
        {"EUR", "1000", NULL, "11.600", "0.000", "11.600"},
        {"EUR", "10000", NULL, "103.400", "0.000", "103.400"},
        {"EUR", "12345.6789", "7.25", "124.042", "8.993", "115.049"},
        {"GBP", "100000", NULL, "763.200", "0.000", "763.200"},
        {"JPY", "100000", NULL, "142430.000", "0.000", "142430.000"},
        {"JPY", "0.0005", NULL, "0.001", "0.000", "0.001"},
        {"JPY", "999999999999.9999", "33.33", "1180000024430.000", "393294008142.519",
         "786706016287.481"},
        {"USD", "0", NULL, "0.000", "0.000", "0.000"},
};

START_TEST(prepared_quote_matches_costd_examples)
{
	struct gl_pg *pg = connect_ok();
	seed_small(pg);
	const char *fields[] = {"cost", "list_cost", "savings"};
	struct gl_pg_stmt *st = NULL;
	char err[512] = "";
	ck_assert_msg(gl_pg_prepare(&st, pg, "select * from quote($1, $2, $3)", 3, fields, 3, err,
	                            sizeof err) == 0,
	              "prepare: %s", err);
	for (size_t i = 0; i < sizeof quote_cases / sizeof quote_cases[0]; i++) {
		const struct quote_case *c = &quote_cases[i];
		const char *params[] = {c->currency, c->quantity, c->discount};
		char **v = NULL;
		ck_assert_msg(gl_pg_exec(&v, st, params, err, sizeof err) == 0, "%s %s: %s",
		              c->currency, c->quantity, err);
		ck_assert_str_eq(v[0], c->cost);
		ck_assert_str_eq(v[1], c->list);
		ck_assert_str_eq(v[2], c->savings);
		gl_pg_values_free(v, 3);
	}
	/* what costd rejects is an error, never a quiet NULL */
	char **v = (char **)1;
	ck_assert_int_eq(gl_pg_exec(&v, st, (const char *[]){"CHF", "1", NULL}, err, sizeof err),
	                 -1);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(err, "currency must be one of USD, EUR, GBP, JPY") != NULL, "%s", err);
	ck_assert_int_eq(
	        gl_pg_exec(&v, st, (const char *[]){"USD", "1.00001", NULL}, err, sizeof err), -1);
	ck_assert_int_eq(
	        gl_pg_exec(&v, st, (const char *[]){"USD", "1", "100.01"}, err, sizeof err), -1);
	/* the statement still works after errors */
	ck_assert_int_eq(gl_pg_exec(&v, st, (const char *[]){"USD", "1500", "10"}, err, sizeof err),
	                 0);
	ck_assert_str_eq(v[0], "16.200");
	gl_pg_values_free(v, 3);
	gl_pg_stmt_free(st);
	gl_pg_close(pg);
}
END_TEST

START_TEST(prepared_no_row_null_and_errors)
{
	struct gl_pg *pg = connect_ok();
	char err[512] = "";
	struct gl_pg_stmt *st = NULL;
	const char *fields[] = {"b", "a"};
	ck_assert_msg(gl_pg_prepare(&st, pg,
	                            "select $1::text as a, null::text as b where $1 <> 'none'", 1,
	                            fields, 2, err, sizeof err) == 0,
	              "%s", err);
	char **v = NULL;
	ck_assert_int_eq(gl_pg_exec(&v, st, (const char *[]){"x"}, err, sizeof err), 0);
	ck_assert_ptr_null(v[0]);
	ck_assert_str_eq(v[1], "x");
	gl_pg_values_free(v, 2);
	ck_assert_int_eq(gl_pg_exec(&v, st, (const char *[]){"none"}, err, sizeof err), 1);
	ck_assert_ptr_null(v);
	gl_pg_stmt_free(st);

	/* a column the query lacks; case matters */
	const char *upper[] = {"A"};
	ck_assert_int_eq(gl_pg_prepare(&st, pg, "select 1 as a", 0, upper, 1, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "'A'") != NULL, "%s", err);
	ck_assert_int_eq(gl_pg_prepare(&st, pg, "select nope", 0, upper, 1, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "column \"nope\" does not exist") != NULL, "%s", err);
	gl_pg_close(pg);
}
END_TEST

/* ---- the server dies mid-stream: a failure, never a silent end ---- */

/* (generate_series in the select list streams; in FROM it is materialized
 * first, which for 500 million rows takes minutes.) */

START_TEST(server_stopped_mid_stream_fails)
{
	struct gl_pg *pg = connect_ok();
	const char *f[] = {"i", "pad"};
	struct gl_source *s = NULL;
	char err[512] = "";
	ck_assert_int_eq(gl_pg_source_open(&s, pg,
	                                   "select i, repeat('x', 20) as pad from "
	                                   "(select generate_series(1, 500000000) as i) g",
	                                   f, 2, NULL, 0, 0, 0, err, sizeof err),
	                 0);
	struct gl_row row;
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_ROW);
	int rc = pg_sh("pg_stop \"$D\" immediate");
	enum gl_source_status st;
	unsigned long n = 10000;
	while ((st = gl_source_next(s, &row)) == GL_SOURCE_ROW)
		n++;
	/* start it again (same port) for whatever runs after */
	int restarted = pg_sh("pg_start \"$D\"");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(restarted, 0);
	ck_assert_int_eq(st, GL_SOURCE_FAIL);
	char want[96];
	snprintf(want, sizeof want, "connection to the database lost after row %lu: ", n);
	ck_assert_msg(strstr(s->err, want) != NULL, "err: %s (want %s)", s->err, want);
	ck_assert_int_eq(gl_source_next(s, &row), GL_SOURCE_FAIL);
	gl_source_close(s);

	/* a prepared statement on the dead connection fails too */
	const char *g[] = {"x"};
	struct gl_pg_stmt *stmt = NULL;
	ck_assert_int_eq(gl_pg_prepare(&stmt, pg, "select 1 as x", 0, g, 1, err, sizeof err), -1);
	gl_pg_close(pg);

	/* and the restarted server answers at the same address */
	gl_pg_close(connect_ok());
}
END_TEST

Suite *pg_suite(void)
{
	Suite *s = suite_create("pg");
	TCase *tc = tcase_create("pg");
	tcase_add_unchecked_fixture(tc, pg_up, pg_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, connect_and_close);
	tcase_add_test(tc, wrong_password_is_not_shown);
	tcase_add_test(tc, unparsable_conninfo_hides_password);
	tcase_add_test(tc, refused_connection);
	tcase_add_test(tc, seed_small_csv);
	tcase_add_test(tc, seed_bad_csv_rolls_back);
	tcase_add_test(tc, seed_fixtures);
	tcase_add_test(tc, stream_nulls_quotes_newlines);
	tcase_add_test(tc, close_mid_stream_leaves_connection_usable);
	tcase_add_test(tc, bad_query_has_server_message);
	tcase_add_test(tc, shards_partition_rows);
	tcase_add_test(tc, prepared_quote_matches_costd_examples);
	tcase_add_test(tc, prepared_no_row_null_and_errors);
	/* last: it stops the server (and starts it again) */
	tcase_add_test(tc, server_stopped_mid_stream_fails);
	suite_add_tcase(s, tc);
	return s;
}
