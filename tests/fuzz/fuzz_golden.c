/* Golden files (golden.h): the .meta.json sidecar, the .csv it describes,
 * and golden.c's own CSV reader behind the --update report. The input is the
 * sidecar, a line "%%", then the .csv; without that line, the whole input is
 * the sidecar of a small fixed golden.
 *
 * Invariants: a sidecar is accepted exactly when nothing is recorded, with
 * keys, fields and a decimal total per field; the golden's rows read through
 * the case source as every CSV does (source_ref.h); recording over it with
 * --update (which compares the new rows with these) succeeds, and the
 * recorded golden reads back: its sidecar matches its digest and says what
 * was written. */
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "fuzz.h"
#include "golden.h"
#include "source_ref.h"

#define SEP "\n%%\n"

static const char fixed_csv[] = "record_id,cost\nr-1,1.50\nr-2,-0.25\n";

static void check_meta(const struct gl_golden_meta *m)
{
	FUZZ_CHECK(m->suite && m->environment && m->recorded_at && m->harness_version);
	FUZZ_CHECK(m->n_keys > 0 && m->keys);
	for (size_t i = 0; i < m->n_keys; i++)
		FUZZ_CHECK(m->keys[i]);
	for (size_t j = 0; j < m->n_fields; j++) {
		struct gl_dec d;
		FUZZ_CHECK(m->fields[j] && m->totals[j]);
		FUZZ_CHECK(gl_dec_parse(&d, m->totals[j], strlen(m->totals[j])) == 0);
	}
}

/* Record three rows over the golden with --update, and read them back. */
static void record(const char *csv, const char *const *keys, size_t n_keys,
                   const char *const *fields, size_t n_fields)
{
	static const char *const values[] = {"1.50", "-0.25", "3"};
	const struct gl_golden_provenance prov = {"fuzz",  "local",     "2.4.0",
	                                          "0.1.0", "sha256:00", "sha256:11"};
	struct gl_golden_writer *w = NULL;
	struct gl_golden_meta *m = NULL;
	struct gl_diag diag;
	char err[512];
	const char **kv = calloc(n_keys + 1, sizeof *kv);
	const char **fv = calloc(n_fields + 1, sizeof *fv);

	if (!kv || !fv)
		abort();
	if (gl_golden_writer_open(&w, csv, keys, n_keys, fields, n_fields, err, sizeof err) != 0)
		goto out; /* empty or repeated names: refused, said in err */
	for (size_t r = 0; r < 3; r++) {
		char key[16];
		snprintf(key, sizeof key, "r-%zu", r + 1);
		for (size_t i = 0; i < n_keys; i++)
			kv[i] = key;
		for (size_t j = 0; j < n_fields; j++)
			fv[j] = values[r];
		FUZZ_CHECK(gl_golden_writer_add(w, kv, fv, err, sizeof err) == 0);
	}
	FUZZ_CHECK(gl_golden_writer_commit(w, &prov, true, fuzz_out(), err, sizeof err) == 0);

	gl_diag_init(&diag);
	FUZZ_CHECK(gl_golden_meta_read(&m, csv, false, &diag) == 0);
	check_meta(m);
	FUZZ_CHECK(m->rows == 3 && m->n_keys == n_keys && m->n_fields == n_fields);
	for (size_t i = 0; i < n_keys; i++)
		FUZZ_CHECK(strcmp(m->keys[i], keys[i]) == 0);
	for (size_t j = 0; j < n_fields; j++) {
		FUZZ_CHECK(strcmp(m->fields[j], fields[j]) == 0);
		FUZZ_CHECK(strcmp(m->totals[j], "4.25") == 0);
	}
	gl_golden_meta_free(m);
	gl_diag_release(&diag);
out:
	free(kv);
	free(fv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const default_keys[] = {"record_id"};
	static const char *const default_fields[] = {"cost"};
	const char *p = (const char *)data;
	const char *sep = NULL;
	struct gl_golden_meta *m = NULL;
	struct gl_diag diag;

	for (size_t i = 0; !sep && i + 4 <= size; i++)
		if (memcmp(p + i, SEP, 4) == 0)
			sep = p + i;
	size_t meta_len = sep ? (size_t)(sep - p) : size;
	const char *csv_text = sep ? sep + 4 : fixed_csv;
	size_t csv_len = sep ? size - meta_len - 4 : sizeof fixed_csv - 1;
	const char *csv = fuzz_file("golden.csv", csv_text, csv_len);
	fuzz_file("golden.meta.json", p, meta_len);

	gl_diag_init(&diag);
	if (gl_golden_meta_read(&m, csv, false, &diag) == 0) {
		check_meta(m);
		gl_golden_meta_free(m);
		m = NULL;
	} else {
		FUZZ_CHECK(!m && gl_diag_errors(&diag) > 0);
		gl_diag_print(&diag, fuzz_out());
	}
	gl_diag_release(&diag);

	/* edited goldens allowed, as the tests do: the digest is not read */
	gl_diag_init(&diag);
	if (gl_golden_meta_read_digest(&m, csv, true, "sha256:none", &diag) == 0) {
		check_meta(m);
		size_t n = m->n_keys + m->n_fields;
		const char **names = calloc(n, sizeof *names);
		if (!names)
			abort();
		for (size_t i = 0; i < n; i++)
			names[i] = i < m->n_keys ? m->keys[i] : m->fields[i - m->n_keys];
		ref_check_source(csv, csv_text, csv_len, true, names, n);
		free(names);
		record(csv, (const char *const *)m->keys, m->n_keys, (const char *const *)m->fields,
		       m->n_fields);
		gl_golden_meta_free(m);
	} else {
		FUZZ_CHECK(!m && gl_diag_errors(&diag) > 0);
		ref_check_source(csv, csv_text, csv_len, true, default_keys, 1);
		record(csv, default_keys, 1, default_fields, 1);
	}
	gl_diag_release(&diag);
	return 0;
}
