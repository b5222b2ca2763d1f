/* Capped response bodies: see body.h. */
#include "body.h"

#include <stdlib.h>
#include <string.h>

int gl_body_append(char **buf, size_t *len, size_t *cap, size_t max, const char *data, size_t n)
{
	if (n > max || *len > max - n)
		return 1;
	if (*len + n + 1 > *cap) {
		size_t grown = *cap ? *cap : 4096;
		while (grown < *len + n + 1)
			grown *= 2;
		char *p = realloc(*buf, grown);
		if (!p)
			return -1;
		*buf = p;
		*cap = grown;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}
