/* Atomic file replacement: temporary, fsync, rename, fsync the directory. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkstemp creates 0600; the files written here are for others to read, so
 * give them the mode a plain fopen would have. */
static int chmod_like_fopen(int fd)
{
	mode_t mask = umask(0);
	umask(mask);
	return fchmod(fd, 0666 & ~mask);
}

/* Best effort: make the rename itself durable. */
static void sync_dir_of(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return;
	char *slash = strrchr(dir, '/');
	const char *d = ".";
	if (slash == dir)
		d = "/";
	else if (slash) {
		*slash = '\0';
		d = dir;
	}
	int fd = open(d, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int gl_atomic_open(struct gl_atomic *a, const char *path)
{
	static const char suffix[] = ".XXXXXX";
	size_t len = strlen(path);
	int fd = -1;
	int err = 0;

	*a = (struct gl_atomic){0};
	a->path = strdup(path);
	a->tmp = malloc(len + sizeof(suffix));
	if (!a->path || !a->tmp) {
		err = ENOMEM;
		free(a->tmp);
		a->tmp = NULL;
		goto fail;
	}
	memcpy(a->tmp, path, len);
	memcpy(a->tmp + len, suffix, sizeof(suffix));
	fd = mkstemp(a->tmp);
	if (fd < 0) {
		err = errno;
		free(a->tmp);
		a->tmp = NULL;
		goto fail;
	}
	if (chmod_like_fopen(fd) != 0) {
		err = errno;
		goto fail;
	}
	a->fp = fdopen(fd, "w");
	if (!a->fp) {
		err = errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	gl_atomic_abort(a);
	errno = err ? err : EIO;
	return -1;
}

int gl_atomic_close(struct gl_atomic *a)
{
	int err = 0;

	if (!a->fp)
		return 0;
	if (ferror(a->fp))
		err = EIO;
	else if (fflush(a->fp) != 0 || fsync(fileno(a->fp)) != 0)
		err = errno ? errno : EIO;
	if (fclose(a->fp) != 0 && !err)
		err = errno ? errno : EIO;
	a->fp = NULL;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int gl_atomic_commit(struct gl_atomic *a)
{
	int err = 0;

	if (!a->tmp) {
		err = EINVAL;
		goto out;
	}
	if (gl_atomic_close(a) != 0 || rename(a->tmp, a->path) != 0) {
		err = errno;
		goto out;
	}
	free(a->tmp);
	a->tmp = NULL;
	sync_dir_of(a->path);
out:
	gl_atomic_abort(a);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void gl_atomic_abort(struct gl_atomic *a)
{
	if (a->fp)
		fclose(a->fp);
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	*a = (struct gl_atomic){0};
}
