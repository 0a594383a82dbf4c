/* crud_direct.h: generated GET /x/{id} answered on the I/O thread over a pipelined connection. */
#ifndef AXR_CRUD_DIRECT_H
#define AXR_CRUD_DIRECT_H

#include <event2/event.h>

#include "db.h"
#include "request.h"

/*
 * A generated GET /x/{id} is one statement and a small answer; on a worker
 * it costs two thread hand-offs and a blocking round trip per request,
 * which on a small machine cost more than the statement itself
 * (docs/performance.md). So each I/O thread keeps one PostgreSQL
 * connection of its own in pipeline mode: it sends the statement without
 * waiting, goes on serving other connections, and answers when the row
 * arrives, with the very code the worker would have run (crud.c's
 * axr__crud_get_begin/_end and axr_op_respond).
 *
 * Only routes whose handler is the generated one take this path: the
 * generated CRUD handler names its source file when it calls
 * axr_crud_handle() (crud_handle.h), and the first request of a route,
 * served by a worker as before, records that (axr__crud_direct_learn). A
 * hand-written handler of the same name never does, so its requests keep
 * going to the workers.
 *
 * Whatever the I/O thread cannot answer itself goes to the workers as if
 * it had never been tried (GET is read-only, so running it again is
 * harmless): no connection yet or a lost one, a statement that failed for
 * any reason (timeouts, a forgotten prepared statement), too many
 * statements in flight. The workers' answers (503 + Retry-After while the
 * database is down, etc.) therefore stay exactly what they were.
 */

typedef struct axr__direct axr__direct_t;

/* State of one I/O thread (`base`); connects on first use. `url` and `opt`
 * are copied. NULL when out of memory (the thread then uses workers). */
axr__direct_t *axr__crud_direct_new(struct event_base *base, const char *url, const axr_db_options_t *opt);

/* Closes the connection and forgets the statements in flight without
 * touching their requests (the I/O thread is ending). NULL is a no-op. */
void axr__crud_direct_free(axr__direct_t *d);

/*
 * Called on the I/O thread for a request that passed the `before` hook.
 * Returns 1 when it took the request: it is answered later (or at once)
 * through axr__server_handler_result() and axr__conn_finish(), or handed
 * to the workers with axr__server_submit(). Returns 0 when the caller
 * should hand it to the workers itself.
 */
int axr__crud_direct_take(axr__direct_t *d, axr_request_t *req);

/* Called by the generated CRUD handlers (axr_crud_handle_generated): marks
 * req's route as answerable on the I/O thread when it is a GET /x/{id}. */
void axr__crud_direct_learn(const axr_request_t *req);

#endif
