/* router.c: method + path template -> route, by segments. */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"

typedef struct axr__node {
	char *segment; /* static text; NULL for the parameter child */
	size_t segment_len;
	struct axr__node **children; /* static children */
	size_t nchildren;
	struct axr__node *param;     /* the "{...}" child */
	const axr_route_t *routes[AXR_HTTP_METHOD_COUNT];
	int index[AXR_HTTP_METHOD_COUNT];
} axr__node_t;

struct axr_router {
	axr__node_t root;
	const axr_route_t **all;
	int count;
	int cap;
};

axr_router_t *axr_router_new(void)
{
	return calloc(1, sizeof(axr_router_t));
}

static void axr__node_free(axr__node_t *n)
{
	for (size_t i = 0; i < n->nchildren; i++) {
		axr__node_free(n->children[i]);
		free(n->children[i]);
	}
	free(n->children);
	if (n->param) {
		axr__node_free(n->param);
		free(n->param);
	}
	free(n->segment);
}

void axr_router_free(axr_router_t *r)
{
	if (r == NULL)
		return;
	axr__node_free(&r->root);
	free(r->all);
	free(r);
}

/* Next segment of `p`, after one leading slash: sets seg and len, returns the rest. */
static const char *axr__next_segment(const char *p, const char *end, const char **seg, size_t *len)
{
	if (p < end && *p == '/')
		p++;
	const char *s = p;
	while (p < end && *p != '/')
		p++;
	*seg = s;
	*len = (size_t)(p - s);
	return p;
}

static axr__node_t *axr__child(axr__node_t *n, const char *seg, size_t len, int create)
{
	for (size_t i = 0; i < n->nchildren; i++) {
		axr__node_t *c = n->children[i];
		if (c->segment_len == len && memcmp(c->segment, seg, len) == 0)
			return c;
	}
	if (!create)
		return NULL;
	axr__node_t **grown = realloc(n->children, (n->nchildren + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	n->children = grown;
	axr__node_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->segment = malloc(len + 1);
	if (c->segment == NULL) {
		free(c);
		return NULL;
	}
	memcpy(c->segment, seg, len);
	c->segment[len] = '\0';
	c->segment_len = len;
	n->children[n->nchildren++] = c;
	return c;
}

static int axr__is_param(const char *seg, size_t len)
{
	return len >= 3 && seg[0] == '{' && seg[len - 1] == '}';
}

int axr_router_add(axr_router_t *r, const axr_route_t *route)
{
	const char *p = route->path;
	if (p == NULL || *p != '/' || route->method < 0 || route->method >= AXR_HTTP_METHOD_COUNT)
		return AXR_EINVAL;
	const char *end = p + strlen(p);
	while (end > p + 1 && end[-1] == '/')
		end--;
	axr__node_t *n = &r->root;
	int depth = 0;
	while (p < end && !(p + 1 == end && *p == '/')) {
		const char *seg;
		size_t len;
		p = axr__next_segment(p, end, &seg, &len);
		if (++depth > AXR_ROUTER_MAX_DEPTH)
			return AXR_EINVAL;
		if (memchr(seg, '{', len) || memchr(seg, '}', len)) {
			if (!axr__is_param(seg, len) || memchr(seg + 1, '{', len - 2) || memchr(seg + 1, '}', len - 2))
				return AXR_EINVAL;
			if (n->param == NULL && (n->param = calloc(1, sizeof(axr__node_t))) == NULL)
				return AXR_ENOMEM;
			n = n->param;
		} else {
			n = axr__child(n, seg, len, 1);
			if (n == NULL)
				return AXR_ENOMEM;
		}
	}
	if (n->routes[route->method] != NULL)
		return AXR_EEXISTS;
	if (r->count == r->cap) {
		int cap = r->cap ? r->cap * 2 : 16;
		const axr_route_t **all = realloc(r->all, (size_t)cap * sizeof(*all));
		if (all == NULL)
			return AXR_ENOMEM;
		r->all = all;
		r->cap = cap;
	}
	n->index[route->method] = r->count;
	n->routes[route->method] = route;
	r->all[r->count++] = route;
	return 0;
}

int axr_router_count(const axr_router_t *r)
{
	return r->count;
}

const axr_route_t *axr_router_route(const axr_router_t *r, int index)
{
	return index >= 0 && index < r->count ? r->all[index] : NULL;
}

static int axr__has_any_route(const axr__node_t *n)
{
	for (int m = 0; m < AXR_HTTP_METHOD_COUNT; m++) {
		if (n->routes[m])
			return 1;
	}
	return 0;
}

/* Whether node `n` answers `method` (-1: any method; HEAD is also served by GET). */
static int axr__serves(const axr__node_t *n, int method)
{
	if (method < 0)
		return axr__has_any_route(n);
	if (method >= AXR_HTTP_METHOD_COUNT)
		return 0;
	return n->routes[method] != NULL || (method == AXR_HTTP_HEAD && n->routes[AXR_HTTP_GET] != NULL);
}

/*
 * Depth-first search for the node of the path that serves `method`, static
 * children before the parameter child: "/users/me" (GET only) and
 * "/users/{id}" (GET, PUT, DELETE) give PUT /users/me to "/users/{id}".
 */
static const axr__node_t *axr__find(const axr__node_t *n, const char *p, const char *end, int depth, int method)
{
	if (p >= end)
		return axr__serves(n, method) ? n : NULL;
	if (depth > AXR_ROUTER_MAX_DEPTH)
		return NULL;
	const char *seg;
	size_t len;
	const char *rest = axr__next_segment(p, end, &seg, &len);
	for (size_t i = 0; i < n->nchildren; i++) {
		const axr__node_t *c = n->children[i];
		if (c->segment_len == len && memcmp(c->segment, seg, len) == 0) {
			const axr__node_t *found = axr__find(c, rest, end, depth + 1, method);
			if (found != NULL)
				return found;
			break;
		}
	}
	if (n->param != NULL && len > 0)
		return axr__find(n->param, rest, end, depth + 1, method);
	return NULL;
}

/* The methods of every node the path matches (for 405's Allow). */
static unsigned axr__allow(const axr__node_t *n, const char *p, const char *end, int depth)
{
	unsigned allow = 0;
	if (p >= end) {
		for (int i = 0; i < AXR_HTTP_METHOD_COUNT; i++) {
			if (n->routes[i])
				allow |= 1u << i;
		}
		return allow;
	}
	if (depth > AXR_ROUTER_MAX_DEPTH)
		return 0;
	const char *seg;
	size_t len;
	const char *rest = axr__next_segment(p, end, &seg, &len);
	for (size_t i = 0; i < n->nchildren; i++) {
		const axr__node_t *c = n->children[i];
		if (c->segment_len == len && memcmp(c->segment, seg, len) == 0) {
			allow |= axr__allow(c, rest, end, depth + 1);
			break;
		}
	}
	if (n->param != NULL && len > 0)
		allow |= axr__allow(n->param, rest, end, depth + 1);
	return allow;
}

/* Pairs the template's "{name}" segments with the path's segments. */
static void axr__bind_params(const axr_route_t *route, const char *p, const char *end,
                             axr_route_match_t *m)
{
	const char *t = route->path;
	const char *tend = t + strlen(t);
	m->nparams = 0;
	while (t < tend && p < end) {
		const char *tseg, *pseg;
		size_t tlen, plen;
		t = axr__next_segment(t, tend, &tseg, &tlen);
		p = axr__next_segment(p, end, &pseg, &plen);
		if (axr__is_param(tseg, tlen) && m->nparams < AXR_ROUTER_MAX_PARAMS) {
			axr_route_param_t *prm = &m->params[m->nparams++];
			prm->name = tseg + 1;
			prm->name_len = tlen - 2;
			prm->value = pseg;
			prm->value_len = plen;
		}
	}
}

int axr_router_match(const axr_router_t *r, int method, const char *path, size_t len,
                     axr_route_match_t *m)
{
	const char *end = path + len;
	while (end > path + 1 && end[-1] == '/')
		end--;
	const char *start = path;
	if (end - start == 1 && *start == '/')
		start = end;
	m->route = NULL;
	m->nparams = 0;
	m->allow = 0;
	m->index = -1;
	const axr__node_t *n = NULL;
	if (method >= 0 && method < AXR_HTTP_METHOD_COUNT)
		n = axr__find(&r->root, start, end, 0, method);
	if (n == NULL) {
		if (axr__find(&r->root, start, end, 0, -1) == NULL)
			return AXR_ENOTFOUND;
		m->allow = axr__allow(&r->root, start, end, 0);
		if (m->allow & (1u << AXR_HTTP_GET))
			m->allow |= 1u << AXR_HTTP_HEAD;
		return AXR_EMETHOD;
	}
	int use = method;
	if (method == AXR_HTTP_HEAD && n->routes[AXR_HTTP_HEAD] == NULL)
		use = AXR_HTTP_GET;
	m->route = n->routes[use];
	m->index = n->index[use];
	axr__bind_params(m->route, start, end, m);
	return 0;
}

void axr_router_allow_string(unsigned allow, char *buf, size_t size)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < AXR_HTTP_METHOD_COUNT; i++) {
		if (!(allow & (1u << i)))
			continue;
		int n = snprintf(buf + off, size - off, "%s%s", off ? ", " : "", axr_http_method_name(i));
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += (size_t)n;
	}
}
