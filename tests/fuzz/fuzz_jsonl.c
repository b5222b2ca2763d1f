/* JSON Lines case files (source.h): one JSON object a line; strings as they
 * are, numbers as written, null as NULL. The input is the file; its first
 * "#PAD#" becomes a mebibyte of 'y' (see source_ref.h for the invariants).
 *
 * The file is read selecting the fields the shipped fixtures use, a field
 * twice, and none. */
#include <stdlib.h>

#include "fuzz.h"
#include "source_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {"record_id", "quantity", "currency", "a", "", "a"};
	size_t n = 0;
	char *text = ref_expand(data, size, &n);
	const char *path = fuzz_file("fuzz.jsonl", text, n);

	FUZZ_CHECK(ref_check_source(path, text, n, false, fields, 6));
	FUZZ_CHECK(ref_check_source(path, text, n, false, NULL, 0));
	free(text);
	return 0;
}
