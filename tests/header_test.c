/* Compiled once per public header with -include HEADER: proves each header is
 * self-contained. */
int gl_header_test_unit;
