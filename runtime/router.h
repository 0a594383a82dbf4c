/* router.h: method + path template -> route, by segments. */
#ifndef AXR_ROUTER_H
#define AXR_ROUTER_H

#include <stddef.h>

/*
 * Routes are matched segment by segment in a trie: at each level a static
 * segment wins over a parameter ("/users/me" before "/users/{id}"), with
 * backtracking when the static branch dead-ends. A trailing slash is
 * ignored. HEAD falls back to the GET route when no HEAD route exists.
 * Matching allocates nothing; parameter values point into the path and are
 * still percent-encoded.
 */

#define AXR_ROUTER_MAX_PARAMS 16
#define AXR_ROUTER_MAX_DEPTH 32

typedef struct axr_request axr_request_t;

/* A handler answers one request. It returns 0 once it has set the response,
 * or a negative axr_err code, which the runtime turns into the JSON error
 * body (unless the handler already set an error response). */
typedef int (*axr_handler_fn)(axr_request_t *req);

enum axr_route_flags {
	AXR_ROUTE_INLINE = 1u << 0, /* runs on the I/O thread: must never block */
	AXR_ROUTE_UPGRADE = 1u << 1 /* may take over the connection (websocket) */
};

typedef struct axr_route {
	int method;             /* enum axr_http_method */
	const char *path;       /* template, e.g. "/achievements/{id}" */
	axr_handler_fn handler;
	unsigned flags;         /* enum axr_route_flags */
	long max_body;          /* bytes; 0 = the server's limit */
	const void *op;         /* generated operation descriptor (opaque here) */
	const char *name;       /* operation name for logs and metrics */
} axr_route_t;

typedef struct axr_route_param {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
} axr_route_param_t;

typedef struct axr_route_match {
	const axr_route_t *route;
	size_t nparams;
	axr_route_param_t params[AXR_ROUTER_MAX_PARAMS];
	unsigned allow; /* on AXR_EMETHOD: bit per enum axr_http_method allowed */
	int index;      /* dense index of the route, for metrics */
} axr_route_match_t;

typedef struct axr_router axr_router_t;

/* Returns an empty router, or NULL when out of memory. */
axr_router_t *axr_router_new(void);
void axr_router_free(axr_router_t *r);

/*
 * Adds `route` (kept by pointer: it must outlive the router, as static const
 * tables do). Returns 0, AXR_EINVAL for a malformed template (must start with
 * '/', parameters are whole segments "{name}"), AXR_EEXISTS when a route with
 * the same method and the same shape exists, AXR_ENOMEM.
 */
int axr_router_add(axr_router_t *r, const axr_route_t *route);

/* Number of routes added; route indexes run from 0 to this minus one. */
int axr_router_count(const axr_router_t *r);
const axr_route_t *axr_router_route(const axr_router_t *r, int index);

/*
 * Matches `method` and `path` (not NUL-terminated, no query). Returns 0 and
 * fills `m`; AXR_ENOTFOUND when no template matches the path; AXR_EMETHOD
 * when templates match but not for this method (m->allow says which do).
 */
int axr_router_match(const axr_router_t *r, int method, const char *path, size_t len,
                     axr_route_match_t *m);

/* Writes the Allow header value for `allow` ("GET, HEAD, POST") into buf. */
void axr_router_allow_string(unsigned allow, char *buf, size_t size);

#endif
