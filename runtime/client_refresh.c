/* client_refresh.c: automatic access-token refresh on 401, one refresh at a time, waiting calls resumed. */
#include "client_internal.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "err.h"
#include "json.h"

/* Can `s` go into a header (the access token) or a JSON string as it is? */
static bool axr__token_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Starts the refresh request; `first` is the first call to wait for it. */
static int axr__refresh_start(axr_client_t *c, axr__call_t *first)
{
	axr__call_t *r = axr__call_new(c, first->base, AXR__CALL_REFRESH, NULL);
	if (r == NULL)
		return AXR_ENOMEM;
	r->req.method = AXR_HTTP_POST;
	r->req.target = c->refresh_path;
	r->req.accept = "application/json";
	r->req.content_type = "application/json";
	r->req.anonymous = true;
	axr_buf_t *b = &r->req.body_buf;
	axr_buf_putc(b, '{');
	axr_buf_json_string(b, c->refresh_request_field, strlen(c->refresh_request_field));
	axr_buf_putc(b, ':');
	axr_buf_json_string(b, c->refresh, strlen(c->refresh));
	axr_buf_putc(b, '}');
	r->req.body = b->data;
	r->req.body_len = b->len;
	int rc = axr_buf_ok(b) ? axr__call_send(r) : AXR_ENOMEM;
	if (rc != 0) {
		axr__call_discard(r);
		return rc;
	}
	c->refreshing = r;
	return 0;
}

bool axr__refresh_on_401(axr__call_t *call)
{
	axr_client_t *c = call->c;
	if (call->refreshed || c->refresh == NULL || call->req.anonymous || c->freeing)
		return false;
	call->refreshed = true;
	if (c->token && (call->token_sent == NULL || strcmp(c->token, call->token_sent) != 0))
		return axr__call_send(call) == 0; /* already replaced: just try again */
	if (c->refreshing == NULL) {
		if (axr__refresh_start(c, call) != 0)
			return false;
	} else if (call->blocking && c->refreshing->base != call->base) {
		return false; /* that refresh runs on a loop nobody runs while we block */
	}
	call->wait_next = c->refreshing->waiters;
	c->refreshing->waiters = call;
	return true;
}

/* A string member of the refresh answer, or NULL. */
static const char *axr__answer_string(json_object *root, const char *name)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(root, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Takes the new token pair from a 200 answer. 0, AXR_EPARSE, AXR_ENOMEM. */
static int axr__refresh_take(axr_client_t *c, const axr_client_response_t *resp)
{
	json_object *root = NULL;
	axr_json_opts_t jo = {.max_depth = 32, .max_size = resp->body_len + 1};
	if (axr_json_parse(resp->body, resp->body_len, &jo, &root, NULL) != 0)
		return AXR_EPARSE;
	int rc = AXR_EPARSE;
	const char *token = axr__answer_string(root, c->refresh_token_field);
	const char *refresh = axr__answer_string(root, c->refresh_refresh_field);
	json_object *ev = NULL;
	long expires = -1;
	if (json_object_object_get_ex(root, c->refresh_expires_field, &ev) && json_object_is_type(ev, json_type_int))
		expires = (long)json_object_get_int64(ev);
	if (axr__token_ok(token) && (refresh == NULL || axr__token_ok(refresh))) {
		char *t = strdup(token);
		char *r = refresh ? strdup(refresh) : NULL;
		if (t == NULL || (refresh && r == NULL)) {
			free(t);
			free(r);
			rc = AXR_ENOMEM;
		} else {
			free(c->token);
			c->token = t;
			if (r) { /* a server that does not rotate keeps the old one valid */
				free(c->refresh);
				c->refresh = r;
			}
			c->stats.refreshes++;
			rc = 0;
			if (c->on_tokens)
				c->on_tokens(c->token, c->refresh, expires, c->tokens_ud);
		}
	}
	json_object_put(root);
	return rc;
}

/* The refresh call ended (rc != 0: no answer). Updates the tokens, frees
 * the refresh call and resumes or fails every call that waited for it. */
void axr__refresh_answer(axr__call_t *r, int rc, const axr_client_response_t *resp)
{
	axr_client_t *c = r->c;
	bool ok = false;
	if (c->refreshing == r)
		c->refreshing = NULL;
	if (rc == 0 && resp->status == 200) {
		ok = axr__refresh_take(c, resp) == 0;
	} else if (rc == 0 && (resp->status == 400 || resp->status == 401) && c->refresh) {
		/* refused: used up, revoked or expired; asking again cannot help */
		free(c->refresh);
		c->refresh = NULL;
		if (c->on_tokens)
			c->on_tokens(NULL, NULL, 0, c->tokens_ud);
	}
	axr__call_t *w = r->waiters;
	axr__call_discard(r);
	while (w) {
		axr__call_t *next = w->wait_next;
		w->wait_next = NULL;
		if (!ok)
			/* its own 401: an error answer (typed), or the answer itself (raw) */
			axr__call_finish(w, w->kind == AXR__CALL_RAW ? 0 : w->err.rc);
		else if (axr__call_send(w) != 0)
			axr__call_finish(w, axr__client_fail(&w->err, w->arena, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL));
		w = next;
	}
}
