/* crud_direct.c: generated GET /x/{id} answered on the I/O thread over a pipelined connection. */
#include "crud_direct.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "crud_internal.h"
#include "db_internal.h"
#include "err.h"
#include "log.h"
#include "op.h"
#include "server_internal.h"

/* Statements in flight per I/O thread before new ones go to the workers. */
#define AXR__DIRECT_MAX_PENDING 512
/* Prepared statements one connection keeps (entities x GET variants). */
#define AXR__DIRECT_MAX_STMTS 64

enum { AXR__DITEM_PREPARE, AXR__DITEM_QUERY, AXR__DITEM_SYNC };

/* One thing sent whose answer is awaited, in the order sent. */
typedef struct axr__ditem {
	int kind;
	axr_request_t *req;   /* QUERY: the request it answers */
	axr__crud_get_t plan; /* QUERY */
	PGresult *res;        /* PREPARE, QUERY: the first result */
	int64_t sent_ms;      /* when it was sent */
	struct axr__ditem *next;
} axr__ditem_t;

struct axr__direct {
	struct event_base *base;
	char *url;
	axr_db_options_t opt;
	char *app_name;
	long io_timeout_ms;

	PGconn *conn;            /* NULL while not connected */
	struct event *io_ev;     /* conn's socket, readable */
	struct event *wr_ev;     /* conn's socket, writable (while libpq holds unsent bytes) */
	int want_write;
	const axr__crud_stmt_t *stmts[AXR__DIRECT_MAX_STMTS]; /* prepared on conn */
	size_t nstmts;

	axr__ditem_t *head, *tail, *free_items;
	size_t pending;          /* QUERY items in the list */

	/* Connecting runs db.c's blocking connect on a short-lived thread. */
	pthread_t connector;
	int connecting;          /* the connector thread runs or is to be joined */
	pthread_mutex_t lock;
	PGconn *connected;       /* connector -> I/O thread */
	int connect_rc;
	char connect_msg[256];
	struct event *connected_ev;
	struct event *timer_ev;  /* the io timeout watch, while anything is in flight */
	struct event *sync_ev;   /* ends the pipeline segment after this loop turn */
	int sync_due;            /* statements sent since the last Sync */
	int64_t retry_at_ms;     /* no attempt before this */
	long backoff_ms;
};

/* ---- learning which routes are the generated GET ---------------------------- */

void axr__crud_direct_learn(const axr_request_t *req)
{
	if (req == NULL || req->conn == NULL || req->route == NULL)
		return;
	const axr_op_t *op = req->route->op;
	axr_server_t *srv = req->conn->io->srv;
	if (op == NULL || op->crud != AXR_CRUD_GET || op->entity == NULL || op->name == NULL ||
	    req->route_index < 0 || req->route_index >= srv->nroute_direct)
		return;
	atomic_store_explicit(&srv->route_direct[req->route_index].direct, 1, memory_order_relaxed);
}

/* ---- the list of things in flight ------------------------------------------- */

static axr__ditem_t *axr__ditem_new(axr__direct_t *d, int kind)
{
	axr__ditem_t *it = d->free_items;
	if (it != NULL)
		d->free_items = it->next;
	else if ((it = malloc(sizeof *it)) == NULL)
		return NULL;
	memset(it, 0, sizeof *it);
	it->kind = kind;
	return it;
}

static void axr__ditem_release(axr__direct_t *d, axr__ditem_t *it)
{
	PQclear(it->res);
	it->res = NULL;
	it->next = d->free_items;
	d->free_items = it;
}

static void axr__direct_arm_timer(axr__direct_t *d, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_add(d->timer_ev, &tv);
}

static void axr__ditem_push(axr__direct_t *d, axr__ditem_t *it)
{
	it->next = NULL;
	it->sent_ms = axr__db_now_ms();
	if (d->tail)
		d->tail->next = it;
	else
		d->head = it;
	if (!evtimer_pending(d->timer_ev, NULL))
		axr__direct_arm_timer(d, 1000); /* watches the io timeout while anything is in flight */
	d->tail = it;
	if (it->kind == AXR__DITEM_QUERY)
		d->pending++;
}

static axr__ditem_t *axr__ditem_pop(axr__direct_t *d)
{
	axr__ditem_t *it = d->head;
	d->head = it->next;
	if (d->head == NULL)
		d->tail = NULL;
	if (it->kind == AXR__DITEM_QUERY)
		d->pending--;
	it->next = NULL;
	return it;
}

/* A request this thread will not answer: to the workers, as if never tried. */
static void axr__direct_to_workers(axr_request_t *req)
{
	atomic_fetch_sub(&req->conn->io->srv->inflight, 1);
	axr__server_submit(req);
}

/* Answers `req` with database failure `code` (the answer a worker gives
 * for the same failure: crud.c's axr__crud_db_answer). */
static void axr__direct_answer_failure(axr_request_t *req, const axr__crud_get_t *plan, int code,
                                       const PGresult *res, const char *message)
{
	axr_db_error_t de;
	memset(&de, 0, sizeof de);
	de.code = code;
	if (res != NULL) {
		const char *f;
		if ((f = PQresultErrorField(res, PG_DIAG_SQLSTATE)) != NULL)
			snprintf(de.sqlstate, sizeof de.sqlstate, "%s", f);
		if ((f = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)) != NULL)
			snprintf(de.constraint, sizeof de.constraint, "%s", f);
		if ((f = PQresultErrorField(res, PG_DIAG_TABLE_NAME)) != NULL)
			snprintf(de.table, sizeof de.table, "%s", f);
		if ((f = PQresultErrorField(res, PG_DIAG_COLUMN_NAME)) != NULL)
			snprintf(de.column, sizeof de.column, "%s", f);
		message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	snprintf(de.message, sizeof de.message, "%s", message ? message : "");
	int rc = axr__crud_db_answer(req, plan->en->e, code, &de);
	atomic_fetch_sub(&req->conn->io->srv->inflight, 1);
	axr__server_handler_result(req, axr_op_respond(req, rc, NULL));
	axr__conn_finish(req->conn);
}

/* ---- the connection ----------------------------------------------------------- */

/* Drops the connection; every request in flight goes to the workers, or,
 * when the connection timed out (`timed_out`), is answered as a worker
 * answers a timeout (waiting again on a worker would double the wait). */
static void axr__direct_drop(axr__direct_t *d, const char *why, int timed_out)
{
	if (d->conn == NULL)
		return;
	axr_log_warn("I/O thread database connection lost (%.*s); GET requests go to the workers until it is back",
	             (int)strcspn(why, "\n"), why);
	event_free(d->io_ev);
	event_free(d->wr_ev);
	d->io_ev = d->wr_ev = NULL;
	d->want_write = 0;
	PQfinish(d->conn);
	d->conn = NULL;
	d->nstmts = 0;
	d->sync_due = 0;
	d->retry_at_ms = axr__db_now_ms() + d->backoff_ms;
	d->backoff_ms = d->backoff_ms * 2 > d->opt.backoff_max_ms ? d->opt.backoff_max_ms : d->backoff_ms * 2;
	axr__ditem_t *it = d->head;
	d->head = d->tail = NULL;
	d->pending = 0;
	while (it != NULL) {
		axr__ditem_t *next = it->next;
		if (it->kind == AXR__DITEM_QUERY && timed_out)
			axr__direct_answer_failure(it->req, &it->plan, AXR_ETIMEOUT, NULL, why);
		else if (it->kind == AXR__DITEM_QUERY)
			axr__direct_to_workers(it->req);
		axr__ditem_release(d, it);
		it = next;
	}
}

static void axr__direct_broken(axr__direct_t *d, const char *why)
{
	axr__direct_drop(d, why, 0);
}

/* Waits for writability too while libpq holds unsent bytes. */
static void axr__direct_want_write(axr__direct_t *d, int on)
{
	if (d->want_write == on || d->conn == NULL)
		return;
	d->want_write = on;
	if (on)
		event_add(d->wr_ev, NULL);
	else
		event_del(d->wr_ev);
}

/* The statement's answer is in: answer the request as its handler would. */
static void axr__direct_complete(axr__direct_t *d, axr__ditem_t *it)
{
	axr_request_t *req = it->req;
	PGresult *res = it->res;
	it->res = NULL;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		/* 26000: the server forgot the statement (DISCARD ALL): a new
		 * connection prepares again from scratch. */
		const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		int forgot = state != NULL && strcmp(state, "26000") == 0;
		if (state != NULL && axr_db_sqlstate_err(state) == AXR_ETIMEOUT) {
			/* statement_timeout, lock_timeout: a worker would wait as long again. */
			axr__direct_answer_failure(req, &it->plan, AXR_ETIMEOUT, res, NULL);
			PQclear(res);
			return;
		}
		PQclear(res);
		axr__direct_to_workers(req);
		if (forgot)
			axr__direct_broken(d, "the server forgot a prepared statement");
		return;
	}
	axr_db_result_t *r = axr__db_result_wrap(res);
	if (r == NULL) {
		axr__direct_to_workers(req);
		return;
	}
	axr_crud_result_t out;
	int rc = axr__crud_get_end(req, &it->plan, r, &out);
	rc = axr_op_respond(req, rc, rc == 0 ? out.row : NULL);
	axr_db_result_free(r);
	atomic_fetch_sub(&req->conn->io->srv->inflight, 1);
	axr__server_handler_result(req, rc);
	axr__conn_finish(req->conn);
}

/* Reads every complete answer; answers their requests in order. */
static void axr__direct_results(axr__direct_t *d)
{
	while (d->conn != NULL && d->head != NULL && !PQisBusy(d->conn)) {
		PGresult *r = PQgetResult(d->conn);
		axr__ditem_t *h = d->head;
		if (h->kind == AXR__DITEM_SYNC) {
			ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
			PQclear(r);
			if (st != PGRES_PIPELINE_SYNC) {
				axr__direct_broken(d, "unexpected answer in the pipeline");
				return;
			}
			axr__ditem_release(d, axr__ditem_pop(d));
			continue;
		}
		if (r != NULL) {
			if (h->res == NULL)
				h->res = r;
			else
				PQclear(r);
			continue;
		}
		/* NULL ends the answer of the head. */
		h = axr__ditem_pop(d);
		if (h->kind == AXR__DITEM_PREPARE) {
			int ok = h->res != NULL && PQresultStatus(h->res) == PGRES_COMMAND_OK;
			axr__ditem_release(d, h);
			if (!ok) {
				/* Its statement was aborted and goes to the workers with
				 * the rest; a new connection starts from scratch. */
				axr__direct_broken(d, "a statement could not be prepared");
				return;
			}
			continue;
		}
		axr__direct_complete(d, h); /* may send more: they queue behind */
		axr__ditem_release(d, h);
	}
}

static void axr__direct_on_io(evutil_socket_t fd, short what, void *arg)
{
	axr__direct_t *d = arg;
	(void)fd;
	if (what & EV_WRITE) {
		int f = PQflush(d->conn);
		if (f < 0) {
			axr__direct_broken(d, PQerrorMessage(d->conn));
			return;
		}
		axr__direct_want_write(d, f == 1);
	}
	if (what & EV_READ) {
		if (!PQconsumeInput(d->conn)) {
			axr__direct_broken(d, PQerrorMessage(d->conn));
			return;
		}
		axr__direct_results(d);
	}
}

/* After the statements of this loop turn: the Sync that ends their
 * segment, and the write of all of them. */
static void axr__direct_on_sync(evutil_socket_t fd, short what, void *arg)
{
	axr__direct_t *d = arg;
	(void)fd;
	(void)what;
	if (!d->sync_due || d->conn == NULL)
		return;
	d->sync_due = 0;
	axr__ditem_t *sync = axr__ditem_new(d, AXR__DITEM_SYNC);
	if (sync == NULL || PQpipelineSync(d->conn) != 1) {
		if (sync)
			axr__ditem_release(d, sync);
		axr__direct_broken(d, sync ? PQerrorMessage(d->conn) : "out of memory");
		return;
	}
	axr__ditem_push(d, sync);
	axr__direct_want_write(d, PQflush(d->conn) == 1);
}

static void *axr__direct_connector(void *arg)
{
	axr__direct_t *d = arg;
	PGconn *conn = NULL;
	char msg[256];
	int rc = axr__db_open(d->url, &d->opt, d->opt.connect_timeout_ms, &conn, msg, sizeof msg);
	pthread_mutex_lock(&d->lock);
	d->connected = conn;
	d->connect_rc = rc;
	snprintf(d->connect_msg, sizeof d->connect_msg, "%s", rc ? msg : "");
	pthread_mutex_unlock(&d->lock);
	event_active(d->connected_ev, EV_READ, 0);
	return NULL;
}

/* The connector thread is done: take its connection into pipeline mode. */
static void axr__direct_on_connected(evutil_socket_t fd, short what, void *arg)
{
	axr__direct_t *d = arg;
	(void)fd;
	(void)what;
	pthread_join(d->connector, NULL);
	d->connecting = 0;
	pthread_mutex_lock(&d->lock);
	PGconn *conn = d->connected;
	int rc = d->connect_rc;
	d->connected = NULL;
	pthread_mutex_unlock(&d->lock);
	if (rc == 0 && (PQsetnonblocking(conn, 1) != 0 || PQenterPipelineMode(conn) != 1))
		rc = AXR_EUNAVAILABLE;
	if (rc == 0) {
		d->io_ev = event_new(d->base, PQsocket(conn), EV_READ | EV_PERSIST, axr__direct_on_io, d);
		d->wr_ev = event_new(d->base, PQsocket(conn), EV_WRITE | EV_PERSIST, axr__direct_on_io, d);
		if (d->io_ev == NULL || d->wr_ev == NULL || event_add(d->io_ev, NULL) != 0)
			rc = AXR_ENOMEM;
	}
	if (rc != 0) {
		if (d->io_ev)
			event_free(d->io_ev);
		if (d->wr_ev)
			event_free(d->wr_ev);
		d->io_ev = d->wr_ev = NULL;
		PQfinish(conn);
		d->retry_at_ms = axr__db_now_ms() + d->backoff_ms;
		d->backoff_ms = d->backoff_ms * 2 > d->opt.backoff_max_ms ? d->opt.backoff_max_ms : d->backoff_ms * 2;
		return;
	}
	d->conn = conn;
	d->nstmts = 0;
	d->backoff_ms = d->opt.backoff_min_ms;
}

static void axr__direct_connect(axr__direct_t *d)
{
	if (d->connecting || d->conn != NULL || axr__db_now_ms() < d->retry_at_ms)
		return;
	d->connecting = 1;
	if (pthread_create(&d->connector, NULL, axr__direct_connector, d) != 0) {
		d->connecting = 0;
		d->retry_at_ms = axr__db_now_ms() + d->backoff_ms;
	}
}

/* Every second while statements are in flight: one without an answer
 * for io_timeout_ms drops the connection (db.c does the same) and its
 * requests are answered as a worker answers a timeout. */
static void axr__direct_on_timer(evutil_socket_t fd, short what, void *arg)
{
	axr__direct_t *d = arg;
	(void)fd;
	(void)what;
	if (d->conn != NULL && d->head != NULL && axr__db_now_ms() - d->head->sent_ms > d->io_timeout_ms)
		axr__direct_drop(d, "no answer from the database within io_timeout_ms", 1);
	if (d->head != NULL)
		axr__direct_arm_timer(d, 1000); /* an idle thread is not woken */
}

axr__direct_t *axr__crud_direct_new(struct event_base *base, const char *url, const axr_db_options_t *opt)
{
	axr__direct_t *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	d->base = base;
	d->opt = *opt;
	d->url = strdup(url);
	d->app_name = strdup(opt->application_name ? opt->application_name : "axr");
	d->opt.application_name = d->app_name;
	d->io_timeout_ms = opt->io_timeout_ms > 0          ? opt->io_timeout_ms
	                 : opt->statement_timeout_ms > 0 ? opt->statement_timeout_ms + 2000
	                                                 : 30000;
	if (d->opt.backoff_min_ms <= 0)
		d->opt.backoff_min_ms = 100;
	if (d->opt.backoff_max_ms < d->opt.backoff_min_ms)
		d->opt.backoff_max_ms = d->opt.backoff_min_ms;
	d->backoff_ms = d->opt.backoff_min_ms;
	pthread_mutex_init(&d->lock, NULL);
	d->connected_ev = event_new(base, -1, 0, axr__direct_on_connected, d);
	d->timer_ev = evtimer_new(base, axr__direct_on_timer, d);
	d->sync_ev = event_new(base, -1, 0, axr__direct_on_sync, d);
	if (d->url == NULL || d->app_name == NULL || d->connected_ev == NULL || d->timer_ev == NULL ||
	    d->sync_ev == NULL) {
		axr__crud_direct_free(d);
		return NULL;
	}
	return d;
}

void axr__crud_direct_free(axr__direct_t *d)
{
	if (d == NULL)
		return;
	if (d->connecting) {
		pthread_join(d->connector, NULL);
		PQfinish(d->connected);
	}
	if (d->io_ev)
		event_free(d->io_ev);
	if (d->wr_ev)
		event_free(d->wr_ev);
	PQfinish(d->conn);
	while (d->head != NULL) {
		axr__ditem_t *it = axr__ditem_pop(d);
		PQclear(it->res);
		free(it);
	}
	while (d->free_items != NULL) {
		axr__ditem_t *it = d->free_items;
		d->free_items = it->next;
		free(it);
	}
	if (d->connected_ev)
		event_free(d->connected_ev);
	if (d->timer_ev)
		event_free(d->timer_ev);
	if (d->sync_ev)
		event_free(d->sync_ev);
	pthread_mutex_destroy(&d->lock);
	free(d->url);
	free(d->app_name);
	free(d);
}

/* ---- taking a request ---------------------------------------------------------- */

/* Index of `s` among the statements prepared on the connection, preparing
 * it (in the same pipeline segment as its first use) when it is new. */
static int axr__direct_prepare(axr__direct_t *d, const axr__crud_stmt_t *s, char *name, size_t cap)
{
	size_t i;
	for (i = 0; i < d->nstmts; i++)
		if (d->stmts[i] == s)
			break;
	if (i == AXR__DIRECT_MAX_STMTS)
		return AXR_ENOMEM;
	snprintf(name, cap, "axr_direct_%zu", i);
	if (i < d->nstmts)
		return 0;
	axr__ditem_t *it = axr__ditem_new(d, AXR__DITEM_PREPARE);
	if (it == NULL)
		return AXR_ENOMEM;
	if (!PQsendPrepare(d->conn, name, s->sql, s->nparams, NULL)) {
		axr__ditem_release(d, it);
		return AXR_EUNAVAILABLE;
	}
	axr__ditem_push(d, it);
	d->stmts[d->nstmts++] = s;
	return 0;
}

int axr__crud_direct_take(axr__direct_t *d, axr_request_t *req)
{
	axr_server_t *srv = req->conn->io->srv;
	const axr_op_t *op = req->route ? req->route->op : NULL;
	if (d == NULL || op == NULL || req->route_index < 0 || req->route_index >= srv->nroute_direct ||
	    !atomic_load_explicit(&srv->route_direct[req->route_index].direct, memory_order_relaxed))
		return 0;
	if (d->conn == NULL) {
		axr__direct_connect(d);
		return 0;
	}
	if (d->pending >= AXR__DIRECT_MAX_PENDING)
		return 0;
	axr__ditem_t *q = axr__ditem_new(d, AXR__DITEM_QUERY);
	if (q == NULL)
		return 0;
	atomic_fetch_add(&srv->inflight, 1);
	const char *id = req->nparams > 0 ? req->params[req->nparams - 1].value : NULL;
	int rc = axr__crud_get_begin(req, op->entity, id, &q->plan);
	if (rc != 0) {
		/* Answered without the database (404 by key, 401...). */
		axr__ditem_release(d, q);
		atomic_fetch_sub(&srv->inflight, 1);
		axr__server_handler_result(req, axr_op_respond(req, rc, NULL));
		axr__conn_finish(req->conn);
		return 1;
	}
	char name[32];
	const axr__crud_stmt_t *s = q->plan.stmt;
	int queued = 0;
	rc = axr__direct_prepare(d, s, name, sizeof name);
	if (rc == 0 && !PQsendQueryPrepared(d->conn, name, s->nparams, q->plan.values, NULL, NULL, 0))
		rc = AXR_EUNAVAILABLE;
	if (rc == 0) {
		q->req = req;
		axr__ditem_push(d, q);
		queued = 1;
		if (!d->sync_due) {
			/* One Sync (and one write) for every statement this turn of
			 * the loop sends: the server answers them in one write too. */
			d->sync_due = 1;
			event_active(d->sync_ev, EV_TIMEOUT, 0);
		}
	}
	if (!queued) {
		axr__ditem_release(d, q);
		atomic_fetch_sub(&srv->inflight, 1);
	}
	if (rc == AXR_EUNAVAILABLE) {
		/* Everything in flight goes to the workers: this request too
		 * when it was queued; otherwise the caller sends it there. */
		axr__direct_broken(d, PQerrorMessage(d->conn));
		return queued;
	}
	return rc == 0 ? 1 : 0;
}
