/* The one list of greenlight's exit codes. README documents the same table. */
#ifndef GL_EXITCODE_H
#define GL_EXITCODE_H

enum gl_exit {
	GL_EXIT_PASS = 0,      /* every selected check passed */
	GL_EXIT_FAIL = 1,      /* at least one check failed or errored */
	GL_EXIT_INVALID = 2,   /* invalid invocation, suite or environment; nothing was sent */
	GL_EXIT_NOT_READY = 3, /* the environment was not ready; checks reported as skipped */
	GL_EXIT_HARNESS =
	        4, /* greenlight itself failed (a report could not be written, out of memory) */
};

#endif
