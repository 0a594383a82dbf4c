/* server_internal.h: state shared by server.c, conn.c and response.c. */
#ifndef AXR_SERVER_INTERNAL_H
#define AXR_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "crud_direct.h"
#include "server.h"

typedef struct axr__io axr__io_t;

struct axr__header_out {
	struct axr__header_out *next;
	const char *name;
	const char *value;
};

enum axr__conn_state {
	AXR__CONN_HEAD,       /* waiting for (the rest of) a request head */
	AXR__CONN_BODY,       /* reading the body */
	AXR__CONN_DISPATCHED, /* a worker runs the handler */
	AXR__CONN_WRITING,    /* response queued, not yet all written */
	AXR__CONN_UPGRADED,   /* handed to an upgrade handler (websocket) */
	AXR__CONN_LINGER,     /* answered and closing: unread input is drained */
};

struct axr__conn {
	axr__io_t *io;
	int fd;
	int state;
	struct event *rev, *wev, *timer;
	axr_buf_t in, out;
	size_t out_off;
	axr_arena_t *arena;
	axr_request_t *req;
	size_t head_len;           /* bytes of the current head in `in` */
	int64_t body_len;          /* Content-Length, or -1 for chunked */
	axr_http_chunked_t chunked;
	double head_started;       /* when the first byte of this head arrived */
	unsigned keep_alive : 1;
	unsigned close_after : 1;
	unsigned timer_mode : 3;
	unsigned reading : 1;
	unsigned writing : 1;
	unsigned http10 : 1;
	char peer[46];              /* the peer's address, text */
	unsigned upgrade_pending : 1;
	unsigned closing : 1;       /* upgraded: close once flushed */
	const axr_upgrade_ops_t *up_ops;
	void *up_ctx;
	struct axr__conn *prev, *next;
};

struct axr__io {
	axr_server_t *srv;
	int index;
	pthread_t thread;
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *done_ev;
	struct event *ctrl_ev;
	pthread_mutex_t done_lock;
	axr_request_t *done_head, *done_tail;
	axr__conn_t *conns;
	axr_http_head_t head;      /* scratch for parsing */
	time_t date_sec;
	char date[64];
	unsigned rng[2];
	axr__direct_t *direct;     /* generated GETs answered here (crud_direct.h) */
};

struct axr_server {
	axr_server_options_t opts;
	const axr_config_t *cfg;
	axr_router_t *router;
	axr_pool_t *pool;
	int nio;
	axr__io_t *io;
	int port;
	int listen_fd_probe;
	atomic_int draining;
	atomic_int stop_requested;
	atomic_long nconns;
	atomic_long inflight;
	struct event_base *main_base;
	struct event *stop_ev;
	axr_route_t builtin[4];
	const char *retry_after;
	struct axr__route_state {
		atomic_int direct;           /* 1: crud_direct.h may answer it */
	} *route_direct;                     /* per route index */
	int nroute_direct;
};

/* conn.c */
void axr__conn_accept(axr__io_t *io, int fd, const struct sockaddr *sa);
void axr__conn_close(axr__conn_t *c);
void axr__conn_finish(axr__conn_t *c);       /* response set: serialize and write */
void axr__conn_drain(axr__conn_t *c);        /* server draining: close if idle */

/* response.c */
void axr__response_serialize(axr_request_t *req, axr_buf_t *out, const char *date, int keep_alive);
int axr__percent_decode(axr_arena_t *a, const char *s, size_t len, int plus_space, char **out);

/* server.c */
void axr__server_dispatch(axr_request_t *req);
void axr__server_submit(axr_request_t *req);                 /* to the workers (or 503) */
void axr__server_handler_result(axr_request_t *req, int rc); /* what a handler returned */
const char *axr__io_date(axr__io_t *io);
void axr__request_id(axr__io_t *io, axr_request_t *req);

#endif
