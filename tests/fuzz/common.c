/* Shared by every fuzz target: see fuzz.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

/* Interned paths: a target writes the same few names on every run. */
#define MAX_FILES 16

static char dir[PATH_MAX];
static char *paths[MAX_FILES];
static size_t n_paths;
static FILE *devnull;

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz: %s:%d: invariant does not hold: %s\n", file, line, what);
	abort();
}

/* Remove the directory and whatever the code under test left in it. */
static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d)) != NULL) {
			char path[PATH_MAX];
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			if (n > 0 && (size_t)n < sizeof path)
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	for (size_t i = 0; i < n_paths; i++)
		free(paths[i]);
	n_paths = 0;
	if (devnull)
		fclose(devnull);
	devnull = NULL;
}

const char *fuzz_dir(void)
{
	struct stat st;
	const char *base = getenv("TMPDIR");

	if (dir[0])
		return dir;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm"; /* fsync and rename cost nothing there */
	else if (!base || !*base)
		base = "/tmp";
	snprintf(dir, sizeof dir, "%s/gl-fuzz-XXXXXX", base);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "fuzz: cannot create '%s': %s\n", dir, strerror(errno));
		abort();
	}
	atexit(cleanup);
	return dir;
}

static const char *intern(const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;

	for (size_t i = 0; i < n_paths; i++)
		if (strcmp(paths[i] + strlen(dir) + 1, name) == 0)
			return paths[i];
	if (n_paths == MAX_FILES || !(paths[n_paths] = malloc(len)))
		abort();
	snprintf(paths[n_paths], len, "%s/%s", dir, name);
	return paths[n_paths++];
}

const char *fuzz_file(const char *name, const void *data, size_t size)
{
	const char *path;
	const char *p = data;
	int fd;

	fuzz_dir();
	path = intern(name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "fuzz: cannot write '%s': %s\n", path, strerror(errno));
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "fuzz: cannot write '%s': %s\n", path, strerror(errno));
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
	return path;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

FILE *fuzz_out(void)
{
	fuzz_dir(); /* registers the cleanup that closes it */
	if (getenv("FUZZ_VERBOSE"))
		return stderr;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	return devnull;
}
