/* client_async.c: calls in flight: request serialization, answers, callbacks, and the blocking loop over them. */
#include "client_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "err.h"

#define AXR__CALL_OF(xp) ((axr__call_t *)(void *)((char *)(xp) - offsetof(axr__call_t, x)))

static void axr__call_on_done(axr__exchange_t *x, int rc);

axr__call_t *axr__call_new(axr_client_t *c, struct event_base *base, int kind, axr_arena_t *arena)
{
	axr__call_t *call = calloc(1, sizeof(*call));
	if (call == NULL)
		return NULL;
	if (arena == NULL && (arena = call->own_arena = axr_arena_new(0)) == NULL) {
		free(call);
		return NULL;
	}
	call->c = c;
	call->kind = kind;
	call->base = base;
	call->arena = arena;
	call->timeout_ms = c->timeout_ms;
	call->err.retry_after = -1;
	call->x.c = c;
	call->x.base = base;
	call->x.fd = -1;
	call->x.done = axr__call_on_done;
	axr__client_request_id(c, call->request_id);
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	return call;
}

/* Unlinks and frees a call (its results were handed over already). */
static void axr__call_free(axr__call_t *call)
{
	axr_client_t *c = call->c;
	if (call->prev)
		call->prev->next = call->next;
	else if (c->calls == call)
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	axr__exchange_release(&call->x);
	axr__req_free(&call->req);
	free(call->token_sent);
	axr_arena_free(call->own_arena);
	free(call);
}

void axr__call_discard(axr__call_t *call)
{
	axr_arena_free(call->err.owned);
	axr__call_free(call);
}

/* ---- the request on the wire ------------------------------------------------------ */

void axr__req_free(axr__req_t *r)
{
	axr_buf_free(&r->headers);
	axr_buf_free(&r->body_buf);
	memset(r, 0, sizeof(*r));
}

static bool axr__header_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", ch)))
			return false;
	}
	return true;
}

static bool axr__header_value_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

int axr__req_header(axr__req_t *r, const char *name, const char *value)
{
	if (!axr__header_name_ok(name) || !axr__header_value_ok(value))
		return AXR_EINVAL;
	if (strcasecmp(name, "Idempotency-Key") == 0)
		r->idempotent = true; /* the server answers a replay with the first result */
	axr_buf_printf(&r->headers, "%s: %s\r\n", name, value);
	return axr_buf_ok(&r->headers) ? 0 : AXR_ENOMEM;
}


static int axr__call_serialize(axr__call_t *call)
{
	axr_client_t *c = call->c;
	axr__req_t *r = &call->req;
	axr_buf_t *b = &call->x.req;
	const axr__origin_t *o = &c->origins[call->x.origin];
	axr_buf_clear(b);
	axr_buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: %s\r\nX-Request-Id: %s\r\n",
	               axr_http_method_name(r->method), r->target, o->host_header, c->user_agent, r->accept,
	               call->request_id);
	free(call->token_sent);
	call->token_sent = NULL;
	if (!r->anonymous && c->token) {
		axr_buf_printf(b, "Authorization: Bearer %s\r\n", c->token);
		if ((call->token_sent = strdup(c->token)) == NULL)
			return AXR_ENOMEM;
	}
	axr_buf_append(b, r->headers.data, r->headers.len);
	if (r->body_len > 0 || r->method == AXR_HTTP_POST || r->method == AXR_HTTP_PUT || r->method == AXR_HTTP_PATCH)
		axr_buf_printf(b, "Content-Length: %zu\r\n", r->body_len);
	if (r->body_len > 0)
		axr_buf_printf(b, "Content-Type: %s\r\n", r->content_type ? r->content_type : "application/json");
	axr_buf_puts(b, "\r\n");
	axr_buf_append(b, r->body, r->body_len);
	return axr_buf_ok(b) ? 0 : AXR_ENOMEM;
}

int axr__call_send(axr__call_t *call)
{
	call->x.origin = call->kind == AXR__CALL_REFRESH ? call->c->refresh_origin : AXR__ORIGIN_BASE;
	call->x.method = call->req.method;
	call->x.retry_ok = call->req.idempotent;
	call->x.timeout_ms = call->timeout_ms;
	int rc = axr__call_serialize(call);
	return rc ? rc : axr__exchange_start(&call->x);
}

/* ---- the answer ---------------------------------------------------------------------- */

/* Fills call->resp from the exchange; strings in the arena. */
static int axr__call_response(axr__call_t *call, bool copy_body)
{
	axr__exchange_t *x = &call->x;
	axr_client_response_t *resp = &call->resp;
	const char *buf = x->in.data;
	memset(resp, 0, sizeof(*resp));
	resp->status = x->head.status;
	axr_client_header_t *h = axr_arena_calloc(call->arena, x->head.n_headers + 1, sizeof(*h));
	if (h == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < x->head.n_headers; i++) {
		const axr__resp_header_t *hd = &x->head.headers[i];
		h[i].name = axr_arena_strndup(call->arena, buf + hd->name_off, hd->name_len);
		h[i].value = axr_arena_strndup(call->arena, buf + hd->value_off, hd->value_len);
		if (h[i].name == NULL || h[i].value == NULL)
			return AXR_ENOMEM;
	}
	resp->headers = h;
	resp->n_headers = x->head.n_headers;
	resp->content_type = axr_client_response_header(resp, "Content-Type");
	resp->request_id = axr_client_response_header(resp, "X-Request-Id");
	resp->body_len = x->body_len;
	resp->body = copy_body ? axr_arena_strndup(call->arena, axr__exchange_body(x), x->body_len)
	                       : axr__exchange_body(x);
	return resp->body ? 0 : AXR_ENOMEM;
}

static void axr__call_on_done(axr__exchange_t *x, int rc)
{
	axr__call_t *call = AXR__CALL_OF(x);
	if (rc != 0) {
		memset(&call->resp, 0, sizeof(call->resp)); /* no answer (a retry's may have failed) */
		axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_NETWORK, rc, "%s", x->why[0] ? x->why : axr_strerror(rc));
		call->err.request_id = axr_arena_strdup(call->arena, call->request_id);
		if (call->kind == AXR__CALL_REFRESH)
			axr__refresh_answer(call, rc, NULL);
		else
			axr__call_finish(call, rc);
		return;
	}
	bool raw = call->kind != AXR__CALL_TYPED;
	rc = axr__call_response(call, raw);
	if (rc != 0) {
		axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_LOCAL, rc, NULL);
		if (call->kind == AXR__CALL_REFRESH)
			axr__refresh_answer(call, rc, NULL);
		else
			axr__call_finish(call, rc);
		return;
	}
	switch (call->kind) {
	case AXR__CALL_REFRESH:
		axr__refresh_answer(call, 0, &call->resp);
		return;
	case AXR__CALL_RAW:
		if (call->resp.status == 401 && axr__refresh_on_401(call))
			return;
		axr__call_finish(call, 0);
		return;
	default:
		rc = call->decode ? call->decode(call) : 0;
		if (rc == AXR_EUNAUTHORIZED && call->resp.status == 401 && axr__refresh_on_401(call))
			return;
		axr__call_finish(call, rc);
	}
}

/* Fills the caller's axr_client_call_opts_t.response: status always, headers
 * only when they live in the caller's arena. */
static void axr__call_give_response(axr__call_t *call)
{
	axr_client_response_t *r = call->resp_out;
	memset(r, 0, sizeof(*r));
	r->status = call->resp.status;
	r->body = "";
	if (call->own_arena == NULL && r->status != 0) {
		r->content_type = call->resp.content_type;
		r->request_id = call->resp.request_id;
		r->headers = call->resp.headers;
		r->n_headers = call->resp.n_headers;
	}
}

void axr__call_finish(axr__call_t *call, int rc)
{
	axr_client_error_t *err = &call->err;
	if (call->resp_out)
		axr__call_give_response(call);
	call->rc = rc;
	call->done = true;
	if (rc == 0) {
		memset(err, 0, sizeof(*err));
		err->retry_after = -1;
	} else {
		call->out = NULL;
		if (err->kind == AXR_CLIENT_ERR_NONE)
			axr__client_fail(err, call->arena, AXR_CLIENT_ERR_LOCAL, rc, NULL);
	}
	if (call->own_arena) {
		/* a NULL-arena call: the result or the error takes the arena */
		if (call->out) {
			ProtobufCMessage *m = axr__client_result_adopt(call->own_arena, call->out);
			if (m == NULL) {
				call->out = NULL;
				axr__client_fail(err, call->arena, AXR_CLIENT_ERR_LOCAL, call->rc = AXR_ENOMEM, NULL);
				err->owned = call->own_arena;
			} else {
				call->out = m;
				call->adopted = true;
			}
		} else if (call->rc != 0) {
			err->owned = call->own_arena;
		}
		if (call->out || call->rc != 0)
			call->own_arena = NULL;
	}
	if (call->blocking)
		return; /* the blocking loop takes it from here */
	axr_client_cb cb = call->cb;
	void *ud = call->ud;
	ProtobufCMessage *out = call->out;
	axr_client_error_t e = *err;
	rc = call->rc;
	axr__call_free(call);
	if (cb)
		cb(rc, out, &e, ud);
	axr_arena_free(e.owned);
}

/* ---- ending calls, the blocking loop, raw requests ----------------------------------------------------------------- */

/* Gives a finished (blocking) call's results to the caller and frees it. */
static int axr__call_hand_over(axr__call_t *call, ProtobufCMessage **out, axr_client_response_t *resp,
                               axr_client_error_t *err)
{
	int rc = call->rc;
	if (out)
		*out = call->out;
	else if (call->adopted)
		axr_client_result_free(call->out); /* a result nobody asked for */
	if (resp && rc == 0)
		*resp = call->resp;
	if (err)
		*err = call->err;
	else
		axr_arena_free(call->err.owned);
	axr__call_free(call);
	return rc;
}

int axr__call_abort(axr__call_t *call, int rc, ProtobufCMessage **out, axr_client_error_t *err)
{
	call->blocking = true; /* no callback */
	axr__call_finish(call, rc);
	return axr__call_hand_over(call, out, NULL, err);
}

static bool axr__request_id_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= 64 || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		                 (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_' || s[n] == '.'))
			return false;
	return n > 0;
}

int axr__call_options(axr__call_t *call, const axr_client_call_opts_t *opts)
{
	if (opts == NULL)
		return 0;
	if (opts->timeout_ms < 0)
		return axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "negative timeout");
	if (opts->timeout_ms > 0)
		call->timeout_ms = opts->timeout_ms;
	if ((call->resp_out = opts->response) != NULL)
		memset(call->resp_out, 0, sizeof(*call->resp_out));
	if (opts->request_id) {
		if (!axr__request_id_ok(opts->request_id))
			return axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL,
			                        "a request id is 1 to 64 of [A-Za-z0-9._-]");
		snprintf(call->request_id, sizeof(call->request_id), "%s", opts->request_id);
	}
	for (size_t i = 0; i < opts->n_headers; i++) {
		int rc = axr__req_header(&call->req, opts->headers[2 * i], opts->headers[2 * i + 1]);
		if (rc != 0)
			return axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_LOCAL, rc,
			                        "header '%s' cannot be sent as it is", opts->headers[2 * i]);
	}
	if (opts->n_query > 0) {
		int rc = call->req.target ? axr__req_add_query(&call->req, opts->query, opts->n_query, call->arena)
		                          : AXR_EINVAL;
		if (rc != 0)
			return axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_LOCAL, rc,
			                        "extra query parameters: %s", axr_strerror(rc));
	}
	return 0;
}

int axr__call_run(axr__call_t *call, ProtobufCMessage **out, axr_client_response_t *resp,
                             axr_client_error_t *err)
{
	call->blocking = true;
	int rc = axr__call_send(call);
	if (rc != 0)
		return axr__call_abort(call, rc, out, err);
	while (!call->done) {
		if (event_base_loop(call->base, EVLOOP_ONCE) != 0 && !call->done) {
			axr__exchange_cancel(&call->x);
			axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_LOCAL, AXR_EINTERNAL, "the event loop stopped");
			axr__call_finish(call, AXR_EINTERNAL);
		}
	}
	return axr__call_hand_over(call, out, resp, err);
}

int axr__client_bad_args(axr_client_error_t *err, const char *what)
{
	axr__client_fail(err, NULL, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, NULL);
	if (err)
		err->message = what;
	return AXR_EINVAL;
}

int axr_client_send(axr_client_t *c, const axr_client_request_t *req, const axr_client_call_opts_t *opts,
                    axr_arena_t *arena, axr_client_response_t *resp, axr_client_error_t *err)
{
	if (resp)
		memset(resp, 0, sizeof(*resp));
	if (opts && opts->response)
		memset(opts->response, 0, sizeof(*opts->response));
	if (c == NULL || req == NULL || arena == NULL || resp == NULL || req->target == NULL ||
	    req->target[0] != '/' || axr_http_method_name(req->method) == NULL)
		return axr__client_bad_args(err, "no client, request, arena or response, or a bad method or target");
	struct event_base *base = axr__client_base(c);
	axr__call_t *call = base ? axr__call_new(c, base, AXR__CALL_RAW, arena) : NULL;
	if (call == NULL)
		return axr__client_fail(err, NULL, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL);
	axr__req_t *r = &call->req;
	r->method = req->method;
	r->idempotent = req->method != AXR_HTTP_POST && req->method != AXR_HTTP_PATCH;
	r->anonymous = req->anonymous;
	r->accept = req->accept ? req->accept : "application/json";
	r->body = req->body;
	r->body_len = req->body ? req->body_len : 0;
	r->content_type = req->content_type;
	r->target = axr_arena_printf(arena, "%s%s", c->origins[AXR__ORIGIN_BASE].prefix, req->target);
	int rc = r->target ? axr__call_options(call, opts) : AXR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < req->n_headers; i++)
		if ((rc = axr__req_header(r, req->headers[2 * i], req->headers[2 * i + 1])) != 0)
			axr__client_fail(&call->err, arena, AXR_CLIENT_ERR_LOCAL, rc, "header '%s' cannot be sent as it is",
			                 req->headers[2 * i]);
	for (const char *t = req->target; rc == 0 && *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			rc = axr__client_fail(&call->err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL,
			                      "the target holds a space or a control character");
	if (rc != 0)
		return axr__call_abort(call, rc, NULL, err);
	return axr__call_run(call, NULL, resp, err);
}
