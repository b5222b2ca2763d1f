/* Golden outputs: the expected results of a replay, recorded once from a
 * reference environment and committed.
 *
 * A golden is two files:
 *   golden/NAME.csv        a header row (the key columns, then the output
 *                          fields) and one row per case, sorted by key
 *                          (byte order of the key parts joined with 0x1f),
 *                          values exactly as the system returned them;
 *   golden/NAME.meta.json  metadata: suite, environment, version reported,
 *                          recorded_at (UTC ISO 8601), harness_version, rows,
 *                          keys, fields, suite_digest, cases_digest,
 *                          golden_digest (SHA-256 of the .csv) and per-field
 *                          exact totals.
 * Reading the rows for a comparison goes through gl_source_open_file() on the
 * .csv: nothing here loads a golden into memory. */
#ifndef GL_GOLDEN_H
#define GL_GOLDEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"

/* "golden/quotes.csv" -> "golden/quotes.meta.json" (caller frees). */
char *gl_golden_meta_path(const char *csv_path);

struct gl_golden_meta {
	char *suite;
	char *environment;
	char *version; /* the version the environment reported; NULL when unknown */
	char *recorded_at;
	char *harness_version;
	unsigned long rows;
	char **keys;
	size_t n_keys;
	char **fields;
	size_t n_fields;
	char **totals; /* totals[i]: exact sum of fields[i] over all rows, decimal text */
	char *suite_digest;
	char *cases_digest;
	char *golden_digest; /* as recorded */
};

/* Read the sidecar of csv_path and check the .csv's digest against it: a
 * golden edited by hand without re-recording is reported (as a diag error
 * naming both digests) unless allow_edited — tests edit goldens on purpose.
 * Returns 0 or -1. *out belongs to the caller: gl_golden_meta_free(). */
int gl_golden_meta_read(struct gl_golden_meta **out, const char *csv_path, bool allow_edited,
                        struct gl_diag *diag);
/* The same, given the .csv's digest (gl_digest_sha256_file()) when the caller
 * has just computed it: a large golden is then read once, not twice. */
int gl_golden_meta_read_digest(struct gl_golden_meta **out, const char *csv_path, bool allow_edited,
                               const char *digest, struct gl_diag *diag);
void gl_golden_meta_free(struct gl_golden_meta *m);

/* Recording. Rows must arrive in strictly increasing key order (a duplicate
 * or out-of-order key is an error: -1 with err naming both keys). Values are
 * written as given; each field's exact total is kept (a value that is not a
 * decimal number is an error). Nothing touches csv_path until commit. A
 * refused row is not written and sticks: the commit then refuses too, so a
 * golden can never silently miss a row. */
struct gl_golden_writer;

int gl_golden_writer_open(struct gl_golden_writer **out, const char *csv_path,
                          const char *const *keys, size_t n_keys, const char *const *fields,
                          size_t n_fields, char *err, size_t errlen);
int gl_golden_writer_add(struct gl_golden_writer *w, const char *const *key_values,
                         const char *const *field_values, char *err, size_t errlen);

struct gl_golden_provenance {
	const char *suite;
	const char *environment;
	const char *version;
	const char *harness_version;
	const char *suite_digest;
	const char *cases_digest;
};

/* Finish: if csv_path exists and !update, fail ("golden 'X' exists: use
 * --update to replace it") and leave it untouched. With update, print to
 * `report` what changed against the old golden — rows changed, added and
 * removed (with up to 10 examples: key, field, old, new), and each field's
 * total old -> new — then replace both files atomically (temporary + rename).
 * The sidecar is renamed first and the .csv last: a crash between the two
 * leaves a sidecar whose digest disagrees with the .csv, which
 * gl_golden_meta_read() reports. `report` may be NULL.
 * Frees w in every case. Returns 0 or -1 with err set. */
int gl_golden_writer_commit(struct gl_golden_writer *w, const struct gl_golden_provenance *prov,
                            bool update, FILE *report, char *err, size_t errlen);
void gl_golden_writer_abort(struct gl_golden_writer *w);

#endif
