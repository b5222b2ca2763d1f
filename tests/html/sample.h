/* A representative run result for the HTML reporter's tests: a replay suite
 * with two fields (one passing, one out of tolerance with a worst-cases
 * table), then a smoke suite with a pass, a failure, an error and a skip. */
#ifndef GL_HTML_SAMPLE_H
#define GL_HTML_SAMPLE_H

#include "result.h"

/* A new result (free with gl_run_result_free()); aborts on out of memory. */
struct gl_run_result *html_sample_run(void);

#endif
