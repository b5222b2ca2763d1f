#include "out.h"
#include <errno.h>
#include <stdarg.h>

void gl_out_fail(struct gl_out *o, int err)
{
	if (!o->err)
		o->err = err ? err : EIO;
}

void gl_out_put(struct gl_out *o, const char *s)
{
	if (o->err)
		return;
	if (fputs(s, o->fp) == EOF)
		gl_out_fail(o, errno);
}

void gl_out_put_mem(struct gl_out *o, const char *s, size_t len)
{
	if (o->err || len == 0)
		return;
	if (fwrite(s, 1, len, o->fp) != len)
		gl_out_fail(o, errno);
}

void gl_out_putf(struct gl_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err)
		return;
	va_start(ap, fmt);
	if (vfprintf(o->fp, fmt, ap) < 0)
		gl_out_fail(o, errno);
	va_end(ap);
}

int gl_out_finish(struct gl_out *o)
{
	if (!o->err && ferror(o->fp))
		gl_out_fail(o, EIO);
	if (o->err) {
		errno = o->err;
		return -1;
	}
	return 0;
}
