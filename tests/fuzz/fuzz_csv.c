/* CSV case files and golden rows (source.h): RFC 4180 with a header row,
 * quoted fields over several lines, CRLF, a byte order mark. The input is
 * the file; its first "#PAD#" becomes a mebibyte of 'y', so that records over
 * the 1 MiB cap are reachable (see source_ref.h for the invariants).
 *
 * The file is read three times: selecting no field (every record parsed,
 * counted against the header), the header's first columns as a replay names
 * them, and a column it lacks. An input with "#PAD#" is read once, the second
 * way. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "source_ref.h"

#define MAX_FIELDS 4

/* Whether the n bytes of text (NULs included) contain s. */
static bool contains(const char *text, size_t n, const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(text + i, s, len) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 0;
	char *text = ref_expand(data, size, &n);
	const char *path = fuzz_file("fuzz.csv", text, n);
	char *names[MAX_FIELDS];
	size_t n_names = 0;

	/* a mebibyte is slow to read: once is enough */
	if (n == size && !ref_check_source(path, text, n, true, NULL, 0))
		goto out;
	/* the header's first columns, split naively: a quoted name just
	 * makes the open fail, which is checked too */
	size_t i = n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	while (n_names < MAX_FIELDS && i <= n) {
		size_t start = i;
		while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
			i++;
		names[n_names++] = fuzz_strndup((const uint8_t *)text + start, i - start);
		if (i >= n || text[i] != ',')
			break;
		i++;
	}
	ref_check_source(path, text, n, true, (const char *const *)names, n_names);
	/* a column the header lacks */
	const char *absent[] = {"no such column"};
	FUZZ_CHECK(n != size || !ref_check_source(path, text, n, true, absent, 1) ||
	           contains(text, n, absent[0]));
	for (size_t k = 0; k < n_names; k++)
		free(names[k]);
out:
	free(text);
	return 0;
}
