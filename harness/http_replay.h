/* The HTTP calculation of a replay: one request per case, streamed, ordered
 * and concurrent.
 *
 * The caller submits cases (their field values) while there is room, and
 * takes completed cases back IN SUBMISSION ORDER, whatever order the
 * responses arrive in: a ring of 2 * jobs slots holds the cases in flight
 * and the finished ones waiting for an earlier case. At most `jobs` requests
 * are in flight. Memory is bounded by jobs, not by the number of cases: each
 * slot's easy handle, buffers and strings are reused.
 *
 * Templates are parsed by suite.c; here the ones that do not use a case
 * field are rendered once at open, and the others per case. {{case.NAME}}
 * resolves to the case's field NAME, any other name to the environment.
 * JSON bodies render with GL_ESC_JSON. One CURLM, so connections are reused.
 * CURL handles never leave http_replay.c.
 *
 *   gl_http_replay_open(&h, ...);
 *   for (;;) {
 *           while (more cases && gl_http_replay_can_submit(h))
 *                   gl_http_replay_submit(h, values);
 *           rc = gl_http_replay_next(h, &done, more cases);
 *           GL_HR_DONE: use done; GL_HR_AGAIN: loop; GL_HR_IDLE: finished
 *   }
 *   gl_http_replay_close(h); */
#ifndef GL_HTTP_REPLAY_H
#define GL_HTTP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "jsonpath.h"

struct gl_request; /* suite.h */
struct gl_http_replay;

enum gl_hr_error {
	GL_HR_OK,        /* outputs[] are set */
	GL_HR_TRANSPORT, /* the target could not be reached or read (refused, timeout, reset) */
	GL_HR_ANSWER,    /* the target answered wrongly: non-2xx, not JSON, a path not found */
	GL_HR_RENDER,    /* the request could not be built: a case field is null */
};

/* A completed case, lent until the next gl_http_replay_next() or close. */
struct gl_hr_done {
	uint64_t seq;               /* 0-based submission number */
	const char *const *values;  /* the case's values as submitted (NULL stays NULL) */
	enum gl_hr_error error;     /* GL_HR_OK or why not */
	const char *reason;         /* one line when error != GL_HR_OK, e.g. "HTTP 500" */
	const char *const *outputs; /* n_paths texts, when error == GL_HR_OK */
	long status;                /* HTTP status, 0 when none */
};

enum {
	GL_HR_IDLE = 0,  /* nothing submitted is left: every case was returned */
	GL_HR_DONE = 1,  /* *done is the oldest submitted case */
	GL_HR_AGAIN = 2, /* the oldest is still running and there is room: submit more */
	GL_HR_STOP = 3,  /* the stop question said yes while waiting: nothing is returned */
};

/* Prepare the calculation. fields[0..n_fields) name the values each
 * submitted case gives; paths[0..n_paths) are the outputs, compiled once by
 * the caller (lent: they must outlive h, as must req and env). jobs >= 1.
 * A template naming a case field not in fields, or an environment variable
 * that does not exist, fails here. Returns 0, or -1 with err set. *out
 * belongs to the caller: gl_http_replay_close(). */
int gl_http_replay_open(struct gl_http_replay **out, const struct gl_request *req,
                        const struct gl_env *env, const char *const *fields, size_t n_fields,
                        const struct gl_jsonpath *const *paths, size_t n_paths, unsigned jobs,
                        char *err, size_t errlen);

/* Whether gl_http_replay_submit() may be called now. */
bool gl_http_replay_can_submit(const struct gl_http_replay *h);

/* Start the request of one case (values[i] for fields[i], NULL allowed;
 * copied). Only when gl_http_replay_can_submit(). A case whose request
 * cannot be built is not sent: it completes with GL_HR_RENDER. Returns 0,
 * or -1 on out of memory or a curl failure (err set). */
int gl_http_replay_submit(struct gl_http_replay *h, const char *const *values, char *err,
                          size_t errlen);

/* Take the oldest submitted case. It waits for it unless `more` (the caller
 * has more cases to submit) and there is room to submit, in which case it
 * returns GL_HR_AGAIN after one non-blocking round. Returns GL_HR_DONE,
 * GL_HR_AGAIN, GL_HR_IDLE, GL_HR_STOP (see gl_http_replay_on_stop()), or -1
 * on out of memory or a curl failure (err set). */
int gl_http_replay_next(struct gl_http_replay *h, struct gl_hr_done *done, bool more, char *err,
                        size_t errlen);

/* Have gl_http_replay_next() ask stop(ctx) before each wait (they are at
 * most a second long) and return GL_HR_STOP when it says yes: SIGINT,
 * SIGTERM and the run's deadline must not wait for a slow or hanging target,
 * case after case. The requests in flight are abandoned at close. */
void gl_http_replay_on_stop(struct gl_http_replay *h, bool (*stop)(void *ctx), void *ctx);

void gl_http_replay_close(struct gl_http_replay *h);

#endif
