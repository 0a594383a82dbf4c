/* client.c: the client object: options, tokens, refresh settings, counters, the blocking calls' loop. */
#include "client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/event.h>

#include "err.h"

int axr_client_new(const axr_client_options_t *opts, axr_client_t **out)
{
	*out = NULL;
	if (opts == NULL || opts->connect_timeout_ms < 0 || opts->timeout_ms < 0 || opts->idle_timeout_ms < 0)
		return AXR_EINVAL;
	axr_client_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return AXR_ENOMEM;
	int rc = axr__origin_parse(&c->origins[AXR__ORIGIN_BASE], opts->base_url);
	if (rc != 0) {
		free(c);
		return rc;
	}
	c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 5000;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 30000;
	c->idle_timeout_ms = opts->idle_timeout_ms ? opts->idle_timeout_ms : 30000;
	c->pool_size = opts->pool_size == 0 ? 4 : opts->pool_size < 0 ? 0 : opts->pool_size;
	c->max_response = opts->max_response ? opts->max_response : (size_t)64 << 20;
	c->flags = opts->flags;
	c->user_agent = strdup(opts->user_agent ? opts->user_agent : "axr-client/1");
	if (getrandom(&c->rng, sizeof(c->rng), GRND_NONBLOCK) != sizeof(c->rng))
		c->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
	c->rng |= 1;
	if (c->user_agent == NULL || axr_client_set_refresh(c, NULL, NULL, NULL, NULL) != 0) {
		axr_client_free(c);
		return AXR_ENOMEM;
	}
	for (const char *p = c->user_agent; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			axr_client_free(c);
			return AXR_EINVAL;
		}
	*out = c;
	return 0;
}

static void axr__refresh_settings_free(axr_client_t *c)
{
	free(c->refresh_path);
	free(c->refresh_request_field);
	free(c->refresh_token_field);
	free(c->refresh_refresh_field);
	free(c->refresh_expires_field);
	c->refresh_path = c->refresh_request_field = c->refresh_token_field = NULL;
	c->refresh_refresh_field = c->refresh_expires_field = NULL;
	axr__origin_clear(&c->origins[AXR__ORIGIN_REFRESH]);
}

void axr_client_free(axr_client_t *c)
{
	if (c == NULL)
		return;
	c->freeing = true;
	/* the refresh first (its waiters are failed below, one by one) */
	if (c->refreshing) {
		axr__call_t *r = c->refreshing;
		c->refreshing = NULL;
		for (axr__call_t *w = r->waiters; w; w = w->wait_next)
			w->refreshed = true;
		axr__call_discard(r);
	}
	while (c->calls) {
		axr__call_t *call = c->calls;
		axr__exchange_cancel(&call->x);
		axr__client_fail(&call->err, call->arena, AXR_CLIENT_ERR_NETWORK, AXR_ECLOSED,
		                 "the client was freed with the call in flight");
		if (call->blocking) {
			/* only reachable from a callback run by a blocking call's loop */
			call->done = true;
			call->rc = AXR_ECLOSED;
			axr__call_discard(call);
			continue;
		}
		axr__call_finish(call, AXR_ECLOSED);
	}
	axr__pool_clear(c);
	if (c->base)
		event_base_free(c->base);
	axr__refresh_settings_free(c);
	axr__origin_clear(&c->origins[AXR__ORIGIN_BASE]);
	free(c->token);
	free(c->refresh);
	free(c->user_agent);
	free(c);
}

static bool axr__token_chars_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Replaces *slot with a copy of `value` (NULL or "" clears it). */
static int axr__set_string(char **slot, const char *value)
{
	char *copy = NULL;
	if (value && *value) {
		if (!axr__token_chars_ok(value))
			return AXR_EINVAL;
		if ((copy = strdup(value)) == NULL)
			return AXR_ENOMEM;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

int axr_client_set_token(axr_client_t *c, const char *token)
{
	return axr__set_string(&c->token, token);
}

const char *axr_client_token(const axr_client_t *c)
{
	return c->token;
}

const char *axr_client_refresh_token(const axr_client_t *c)
{
	return c->refresh;
}

static char *axr__dup_or(const char *s, const char *def)
{
	return strdup(s ? s : def);
}

int axr_client_set_refresh(axr_client_t *c, const char *refresh_token, const axr_client_refresh_opts_t *opts,
                           axr_client_tokens_cb on_tokens, void *ud)
{
	axr_client_refresh_opts_t none = {0};
	if (c->refreshing)
		return AXR_EBUSY;
	if (opts == NULL)
		opts = &none;
	const char *url = opts->url ? opts->url : "/auth/refresh";
	if (refresh_token && *refresh_token && !axr__token_chars_ok(refresh_token))
		return AXR_EINVAL;
	axr__origin_t o = {0};
	int origin = AXR__ORIGIN_BASE;
	char *path = NULL;
	if (url[0] == '/') {
		for (const char *p = url; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return AXR_EINVAL;
		if (asprintf(&path, "%s%s", c->origins[AXR__ORIGIN_BASE].prefix, url) < 0)
			return AXR_ENOMEM;
	} else {
		int rc = axr__origin_parse(&o, url);
		if (rc != 0)
			return rc;
		origin = AXR__ORIGIN_REFRESH;
		path = strdup(o.prefix[0] ? o.prefix : "/");
		if (path == NULL) {
			axr__origin_clear(&o);
			return AXR_ENOMEM;
		}
	}
	char *fields[4] = {
		axr__dup_or(opts->request_field, "refresh"), axr__dup_or(opts->token_field, "token"),
		axr__dup_or(opts->refresh_field, "refresh"), axr__dup_or(opts->expires_field, "expiresIn"),
	};
	int rc = fields[0] && fields[1] && fields[2] && fields[3] ? 0 : AXR_ENOMEM;
	char *old = c->refresh;
	c->refresh = NULL;
	if (rc == 0 && (rc = axr__set_string(&c->refresh, refresh_token)) != 0)
		c->refresh = old;
	else
		free(old);
	if (rc != 0) {
		for (int i = 0; i < 4; i++)
			free(fields[i]);
		free(path);
		axr__origin_clear(&o);
		return rc;
	}
	if (origin == AXR__ORIGIN_REFRESH || c->refresh_origin == AXR__ORIGIN_REFRESH)
		axr__pool_clear(c); /* pooled connections may lead to the old refresh host */
	axr__refresh_settings_free(c);
	c->origins[AXR__ORIGIN_REFRESH] = o;
	c->refresh_origin = origin;
	c->refresh_path = path;
	c->refresh_request_field = fields[0];
	c->refresh_token_field = fields[1];
	c->refresh_refresh_field = fields[2];
	c->refresh_expires_field = fields[3];
	c->on_tokens = on_tokens;
	c->tokens_ud = ud;
	return 0;
}

void axr_client_get_stats(const axr_client_t *c, axr_client_stats_t *out)
{
	*out = c->stats;
}

void axr__client_request_id(axr_client_t *c, char out[17])
{
	/* xorshift64*: request ids must be unique-ish, not secret */
	uint64_t x = c->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	snprintf(out, 17, "%016llx", (unsigned long long)(x * 0x2545F4914F6CDD1DULL));
}

struct event_base *axr__client_base(axr_client_t *c)
{
	if (c->base == NULL)
		c->base = event_base_new();
	return c->base;
}
