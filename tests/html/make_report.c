/* Write the sample run (sample.h) as an HTML report, for tests/html/render.sh:
 *   make_report OUT.html */
#include <stdio.h>

#include "report.h"
#include "sample.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_report OUT.html\n");
		return 2;
	}
	struct gl_run_result *r = html_sample_run();
	int rc = gl_report_html_write(argv[1], r);
	gl_run_result_free(r);
	return rc == 0 ? 0 : 1;
}
