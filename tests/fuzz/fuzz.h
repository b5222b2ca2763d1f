/* What every fuzz target shares: the libFuzzer entry point, a private
 * directory for the inputs that modules read by path, and invariant checks
 * that fail loudly, so that libFuzzer (or driver.c) keeps the input.
 *
 * A target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput(). It builds
 * two ways: with -fsanitize=fuzzer as fuzz-<name> (meson -Dfuzz=true, clang),
 * and with driver.c as fuzz-regress-<name>, which replays files given on the
 * command line in any build. See tests/fuzz/README.md. */
#ifndef GL_FUZZ_H
#define GL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: when it does not hold, say which and
 * abort, so that the input is saved as a crash. Never used for data errors,
 * which the code under test must report itself. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/* Write size bytes to `name` in the fuzz directory (created on first use,
 * under /dev/shm when there is one, else $TMPDIR or /tmp, and removed at
 * exit). Returns the file's path, lent until exit. An I/O failure here is the
 * harness's own and aborts. */
const char *fuzz_file(const char *name, const void *data, size_t size);

/* The fuzz directory's path (lent). */
const char *fuzz_dir(void);

/* A NUL-terminated copy of data (caller frees); aborts on out of memory. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* Where rendered reports, decisions and diagnostics go: /dev/null, or
 * stderr when FUZZ_VERBOSE is set (to see what an input does). */
FILE *fuzz_out(void);

#endif
