/* A reference for where the records of a case file start, for the csv and
 * jsonl targets: whatever source.c makes of a record (a row or a bad record),
 * it must make exactly one thing of each, at the line where the record
 * starts, and go on at the next one. This is the grammar of source.h, byte by
 * byte, with no buffer and no cap: nothing here can lose its place. */
#ifndef GL_FUZZ_SOURCE_REF_H
#define GL_FUZZ_SOURCE_REF_H

#include <stdbool.h>
#include <stddef.h>

/* The 1-based lines where data records start (the header and blank lines
 * skipped), in order, in *lines (caller frees). `csv`: RFC 4180 records that
 * a quoted field may carry over line ends; else JSON Lines, one a line.
 * Returns how many. A UTF-8 byte order mark at the start is skipped. */
size_t ref_record_lines(unsigned long **lines, const char *p, size_t n, bool csv);

/* Open the n bytes p written at path with `fields` and read it to the end,
 * checking every row against the reference and the promises of source.h:
 * one row or bad record per record, at its line; values NUL-terminated at
 * their length; CSV values never NULL; buffers bounded whatever the rows.
 * Returns whether the open succeeded. */
bool ref_check_source(const char *path, const char *p, size_t n, bool csv,
                      const char *const *fields, size_t n_fields);

/* The input with its first "#PAD#" replaced by a mebibyte of 'y': a record
 * over source.c's 1 MiB cap, from an input a fuzzer can write (caller
 * frees; *n_out its length). */
char *ref_expand(const unsigned char *data, size_t size, size_t *n_out);

#endif
