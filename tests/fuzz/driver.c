/* Replays inputs through a fuzz target without libFuzzer, so that the
 * targets build with any compiler and every input that once crashed stays a
 * test: fuzz-regress-<name> FILE|DIR...
 *
 * A directory stands for its regular files, in name order (not recursive).
 * Each input goes to LLVMFuzzerTestOneInput() once; a crash or a failed
 * invariant aborts. Exits 0 after every input ran, 1 when there was none
 * (a regression directory must not be empty) or one could not be read. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0;
	size_t cap = 0;
	size_t n;

	if (!fp) {
		fprintf(stderr, "fuzz-regress: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			uint8_t *grown = realloc(buf, cap);
			if (!grown)
				abort();
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		fprintf(stderr, "fuzz-regress: cannot read '%s': %s\n", path, strerror(errno));
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	/* A copy of exactly len bytes, as libFuzzer gives: overreads show. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int only_files(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Runs every regular file of dir; returns how many, or -1. */
static long run_dir(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, only_files, alphasort);
	long ran = 0;
	int rc = 0;

	if (n < 0) {
		fprintf(stderr, "fuzz-regress: cannot list '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				rc = -1;
			else
				ran++;
		}
		free(names[i]);
	}
	free(names);
	return rc < 0 ? -1 : ran;
}

int main(int argc, char **argv)
{
	long total = 0;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		long ran;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "fuzz-regress: '%s': %s\n", argv[i], strerror(errno));
			status = 1;
			continue;
		}
		ran = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (ran < 0)
			status = 1;
		else
			total += ran;
	}
	if (total == 0) {
		fprintf(stderr, "fuzz-regress: no inputs\n");
		status = 1;
	}
	printf("%s: %ld inputs ran\n", argv[0], total);
	return status;
}
