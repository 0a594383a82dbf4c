/* redis_sub.c: async SUBSCRIBE on a libevent base that reconnects and re-subscribes by itself. */
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "redis.h"
#include "redis_internal.h"

/*
 * Connection life cycle, driven by one timer:
 *
 *   WAITING --timer--> CONNECTING --keepalive probe answered--> CONNECTED
 *      ^                   |  (timer: connect_timeout_ms)          |
 *      +------ backoff ----+---------------------------------------+
 *                 (failure, closed connection, probe unanswered)
 *
 * The keepalive probe is `SUBSCRIBE <private channel>` rather than PING:
 * hiredis 0.14 cannot route a PING reply on a subscribed connection (it
 * takes "pong" for a pattern message and leaks the callback), while every
 * SUBSCRIBE is answered in order with a confirmation it routes to us. On
 * (re)connect the probe is sent after the re-subscriptions, so its answer
 * means they are all in place.
 *
 * Each channel's own SUBSCRIBE reply is passed to on_subscribed. A channel
 * unsubscribed and subscribed again before redis answered would get the
 * first SUBSCRIBE's reply while the UNSUBSCRIBE behind it still has to run:
 * a confirmation that is about to become false. So a channel subscribed
 * again while our UNSUBSCRIBE is out is `held`: its SUBSCRIBE goes out when
 * the "unsubscribe" reply is in, and only that later reply confirms it
 * (this also never leans on how hiredis routes replies of a channel that
 * was unsubscribed and subscribed in one go).
 */

#define AXR__SUB_BATCH 128 /* channels per re-SUBSCRIBE command */

/* ---- a set of binary-safe names (open addressing) ------------------------- */

typedef struct axr__name {
	char *s; /* NULL: empty slot; &axr__tombstone: deleted */
	size_t len;
	bool wanted;  /* subscribed by the caller (false: kept only while `leaving`) */
	bool leaving; /* our UNSUBSCRIBE is out on this connection, its reply not in yet */
	bool held;    /* wanted again while leaving: its SUBSCRIBE waits for that reply */
} axr__name_t;

typedef struct axr__name_set {
	axr__name_t *slots;
	size_t cap;  /* power of two, or 0 */
	size_t live; /* names present */
	size_t used; /* names + tombstones */
} axr__name_set_t;

static char axr__tombstone;

static uint64_t axr__name_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Index of `s` in the set, or of the slot where it would go (-1: table full or empty). */
static long axr__name_slot(const axr__name_set_t *set, const char *s, size_t len, bool *found)
{
	*found = false;
	if (set->cap == 0)
		return -1;
	long first_free = -1;
	size_t mask = set->cap - 1;
	for (size_t i = axr__name_hash(s, len) & mask, n = 0; n < set->cap; i = (i + 1) & mask, n++) {
		axr__name_t *e = &set->slots[i];
		if (!e->s)
			return first_free >= 0 ? first_free : (long)i;
		if (e->s == &axr__tombstone) {
			if (first_free < 0)
				first_free = (long)i;
		} else if (e->len == len && memcmp(e->s, s, len) == 0) {
			*found = true;
			return (long)i;
		}
	}
	return first_free;
}

/* Rebuilds the table without tombstones: twice as big when it is mostly
 * live names, the same size when deletions filled it (subscribe/unsubscribe
 * churn must not grow it without bound). */
static int axr__name_grow(axr__name_set_t *set)
{
	size_t cap = set->cap == 0 ? 16 : (set->live + 1) * 2 > set->cap ? set->cap * 2 : set->cap;
	axr__name_t *slots = calloc(cap, sizeof *slots);
	if (!slots)
		return AXR_ENOMEM;
	axr__name_set_t grown = {.slots = slots, .cap = cap};
	for (size_t i = 0; i < set->cap; i++) {
		axr__name_t *e = &set->slots[i];
		if (e->s && e->s != &axr__tombstone) {
			bool found;
			long at = axr__name_slot(&grown, e->s, e->len, &found);
			grown.slots[at] = *e;
			grown.live++;
			grown.used++;
		}
	}
	free(set->slots);
	*set = grown;
	return 0;
}

/* Adds `s` (flags cleared) unless present; *out is its entry, valid until
 * the set changes. 0 added, 1 already present, AXR_ENOMEM. */
static int axr__name_add(axr__name_set_t *set, const char *s, size_t len, axr__name_t **out)
{
	bool found;
	if ((set->used + 1) * 4 > set->cap * 3 && axr__name_grow(set) != 0)
		return AXR_ENOMEM;
	long at = axr__name_slot(set, s, len, &found);
	*out = &set->slots[at];
	if (found)
		return 1;
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return AXR_ENOMEM;
	memcpy(copy, s, len);
	if (set->slots[at].s != &axr__tombstone)
		set->used++;
	set->slots[at] = (axr__name_t){.s = copy, .len = len};
	set->live++;
	return 0;
}

/* The entry of `s`, or NULL. */
static axr__name_t *axr__name_find(axr__name_set_t *set, const char *s, size_t len)
{
	bool found;
	long at = axr__name_slot(set, s, len, &found);
	return found ? &set->slots[at] : NULL;
}

static void axr__name_delete(axr__name_set_t *set, axr__name_t *e)
{
	free(e->s);
	e->s = &axr__tombstone;
	set->live--;
}

static void axr__name_clear(axr__name_set_t *set)
{
	for (size_t i = 0; i < set->cap; i++)
		if (set->slots[i].s && set->slots[i].s != &axr__tombstone)
			free(set->slots[i].s);
	free(set->slots);
	memset(set, 0, sizeof *set);
}

/* ---- the subscriber ---------------------------------------------------------- */

enum axr__sub_state { AXR__SUB_WAITING, AXR__SUB_CONNECTING, AXR__SUB_CONNECTED };

struct axr_redis_sub {
	struct event_base *base;
	axr__redis_url_t url;
	axr_redis_options_t opt;
	axr_redis_message_fn on_message;
	axr_redis_state_fn on_state;
	axr_redis_subscribed_fn on_subscribed;
	void *ctx;
	redisAsyncContext *ac; /* the current connection, or NULL */
	enum axr__sub_state state;
	struct event *timer;
	int failures;          /* consecutive failed connection attempts */
	bool probe_pending;    /* keepalive probe sent, not yet answered */
	int in_callback;       /* depth of on_message and on_subscribed calls */
	bool dying;            /* freed from inside on_message; teardown scheduled */
	uint64_t rng;
	char probe[64];        /* the private keepalive channel */
	size_t probe_len;
	axr__name_set_t channels, patterns;
};

static void axr__sub_on_reply(redisAsyncContext *ac, void *reply, void *privdata);

/* A connection ended: UNSUBSCRIBEs in flight died with it (and the names
 * kept only for them go); everything wanted is sent again on the next one. */
static void axr__sub_forget_flight(axr__name_set_t *set)
{
	for (size_t i = 0; i < set->cap; i++) {
		axr__name_t *e = &set->slots[i];
		if (!e->s || e->s == &axr__tombstone)
			continue;
		e->leaving = e->held = false;
		if (!e->wanted)
			axr__name_delete(set, e);
	}
}

static void axr__sub_arm(axr_redis_sub_t *sub, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_add(sub->timer, &tv);
}

/* Keeps the gauges, counters and readiness in step with the state;
 * `report` is false when the subscriber is being freed on purpose. */
static void axr__sub_set_connected(axr_redis_sub_t *sub, bool connected, bool report)
{
	bool was = sub->state == AXR__SUB_CONNECTED;
	if (was == connected)
		return;
	axr__redis_gauge_add(AXR__REDIS_SUBSCRIBERS_CONNECTED, connected ? 1 : -1);
	if (!report)
		return;
	axr__redis_count(connected ? AXR__REDIS_SUB_CONNECTS : AXR__REDIS_SUB_DISCONNECTS);
	axr__redis_record_outcome(connected, connected ? NULL : "subscriber connection lost");
	if (sub->on_state)
		sub->on_state(connected, sub->ctx);
}

/* Forgets the current connection (after hiredis freed it, or to free it
 * ourselves with `free_it`) and schedules the next attempt. */
static void axr__sub_lost(axr_redis_sub_t *sub, bool free_it, const char *why)
{
	redisAsyncContext *ac = sub->ac;
	bool was_connected = sub->state == AXR__SUB_CONNECTED;

	sub->ac = NULL; /* callbacks from `ac` from now on are stale and ignored */
	axr__sub_forget_flight(&sub->channels);
	axr__sub_forget_flight(&sub->patterns);
	axr__sub_set_connected(sub, false, true);
	if (!was_connected) {
		sub->failures++;
		axr__redis_record_outcome(false, why);
	} else {
		sub->failures = 1; /* a short pause, then retry */
		axr_log_warn("redis subscriber disconnected: %s", why);
	}
	sub->state = AXR__SUB_WAITING;
	sub->probe_pending = false;
	if (free_it && ac)
		redisAsyncFree(ac);
	evtimer_del(sub->timer);
	axr__sub_arm(sub, axr__redis_backoff(&sub->rng, sub->failures, sub->opt.backoff_min_ms,
	                                     sub->opt.backoff_max_ms));
}

static void axr__sub_on_connect(const redisAsyncContext *ac, int status)
{
	axr_redis_sub_t *sub = ac->data;
	if (!sub || sub->ac != ac || status == REDIS_OK)
		return; /* success is declared when the probe is answered */
	axr__sub_lost(sub, false, ac->errstr ? ac->errstr : "connect failed");
}

static void axr__sub_on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	axr_redis_sub_t *sub = ac->data;
	if (!sub || sub->ac != ac)
		return;
	axr__sub_lost(sub, false, ac->errstr && *ac->errstr ? ac->errstr : "connection closed");
}

/* Sends `cmd` for every name of `set`, in batches. */
static void axr__sub_send_all(axr_redis_sub_t *sub, const char *cmd, const axr__name_set_t *set)
{
	const char *argv[AXR__SUB_BATCH + 1];
	size_t lens[AXR__SUB_BATCH + 1];
	int argc = 1;

	argv[0] = cmd;
	lens[0] = strlen(cmd);
	for (size_t i = 0; i <= set->cap; i++) {
		bool last = i == set->cap;
		if (!last) {
			const axr__name_t *e = &set->slots[i];
			if (!e->s || e->s == &axr__tombstone || !e->wanted)
				continue;
			argv[argc] = e->s;
			lens[argc++] = e->len;
		}
		if (argc > 1 && (argc == AXR__SUB_BATCH + 1 || last)) {
			redisAsyncCommandArgv(sub->ac, axr__sub_on_reply, sub, argc, argv, lens);
			argc = 1;
		}
	}
}

static void axr__sub_send_probe(axr_redis_sub_t *sub)
{
	redisAsyncCommand(sub->ac, axr__sub_on_reply, sub, "SUBSCRIBE %b", sub->probe, sub->probe_len);
	sub->probe_pending = true;
}

static void axr__sub_connect(axr_redis_sub_t *sub)
{
	redisAsyncContext *ac = redisAsyncConnect(sub->url.host, sub->url.port);
	if (!ac || ac->err) {
		const char *why = ac ? ac->errstr : "out of memory";
		sub->state = AXR__SUB_CONNECTING;
		axr__sub_lost(sub, false, why);
		if (ac)
			redisAsyncFree(ac); /* never attached, never connected: no callbacks */
		return;
	}
	ac->data = sub;
	if (redisLibeventAttach(ac, sub->base) != REDIS_OK) {
		redisAsyncFree(ac);
		sub->state = AXR__SUB_CONNECTING;
		axr__sub_lost(sub, false, "cannot attach to the event base");
		return;
	}
	redisAsyncSetConnectCallback(ac, axr__sub_on_connect);
	redisAsyncSetDisconnectCallback(ac, axr__sub_on_disconnect);
	redisEnableKeepAlive(&ac->c);
	sub->ac = ac;
	sub->state = AXR__SUB_CONNECTING;
	/* Queued now, written once connected, answered in this order. */
	if (sub->url.password[0]) {
		if (sub->url.user[0])
			redisAsyncCommand(ac, axr__sub_on_reply, sub, "AUTH %s %s", sub->url.user, sub->url.password);
		else
			redisAsyncCommand(ac, axr__sub_on_reply, sub, "AUTH %s", sub->url.password);
	}
	axr__sub_send_all(sub, "SUBSCRIBE", &sub->channels);
	axr__sub_send_all(sub, "PSUBSCRIBE", &sub->patterns);
	axr__sub_send_probe(sub);
	evtimer_del(sub->timer);
	axr__sub_arm(sub, sub->opt.connect_timeout_ms);
}

static void axr__sub_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	axr_redis_sub_t *sub = arg;
	switch (sub->state) {
	case AXR__SUB_WAITING:
		axr__sub_connect(sub);
		break;
	case AXR__SUB_CONNECTING:
		axr__sub_lost(sub, true, "no connection within connect_timeout_ms");
		break;
	case AXR__SUB_CONNECTED:
		if (sub->probe_pending) {
			axr__sub_lost(sub, true, "keepalive probe unanswered");
			break;
		}
		axr__sub_send_probe(sub);
		axr__sub_arm(sub, sub->opt.keepalive_ms);
		break;
	}
}

static bool axr__sub_is(const redisReply *e, const char *s)
{
	return e->type == REDIS_REPLY_STRING && e->len == strlen(s) && memcmp(e->str, s, e->len) == 0;
}

static void axr__sub_deliver(axr_redis_sub_t *sub, const redisReply *pattern, const redisReply *channel,
                             const redisReply *data)
{
	if (channel->type != REDIS_REPLY_STRING || data->type != REDIS_REPLY_STRING)
		return;
	if (!pattern && channel->len == sub->probe_len && memcmp(channel->str, sub->probe, sub->probe_len) == 0)
		return; /* someone published on our probe channel */
	axr_redis_message_t msg = {
	    .channel = channel->str,
	    .channel_len = channel->len,
	    .pattern = pattern ? pattern->str : NULL,
	    .pattern_len = pattern ? pattern->len : 0,
	    .data = data->str,
	    .len = data->len,
	};
	axr__redis_count(AXR__REDIS_MESSAGES);
	sub->in_callback++;
	sub->on_message(&msg, sub->ctx);
	sub->in_callback--;
}

/* A channel's SUBSCRIBE reply: tell the caller, unless the channel was
 * unsubscribed meanwhile or is held (an UNSUBSCRIBE overtook this reply). */
static void axr__sub_confirmed(axr_redis_sub_t *sub, const char *name, size_t len)
{
	axr__name_t *e = axr__name_find(&sub->channels, name, len);
	if (!e || !e->wanted || e->held || !sub->on_subscribed)
		return;
	sub->in_callback++;
	sub->on_subscribed(name, len, sub->ctx);
	sub->in_callback--;
}

/* The reply to our UNSUBSCRIBE (or PUNSUBSCRIBE) of `name`: hiredis dropped
 * its callback; a name wanted again meanwhile is subscribed now. */
static void axr__sub_left(axr_redis_sub_t *sub, axr__name_set_t *set, const char *cmd, const char *name,
                          size_t len)
{
	axr__name_t *e = axr__name_find(set, name, len);
	if (!e || !e->leaving)
		return;
	e->leaving = false;
	if (!e->wanted) {
		axr__name_delete(set, e);
	} else if (e->held) {
		e->held = false;
		redisAsyncCommand(sub->ac, axr__sub_on_reply, sub, cmd, name, len);
	}
}

static void axr__sub_on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
	axr_redis_sub_t *sub = privdata;
	redisReply *reply = r;

	if (!reply || sub->dying || ac != sub->ac)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		/* AUTH refused or the like: retrying later is all we can do. */
		axr__sub_lost(sub, true, reply->str);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
		return;
	redisReply **e = reply->element;
	if (axr__sub_is(e[0], "message")) {
		axr__sub_deliver(sub, NULL, e[1], e[2]);
	} else if (axr__sub_is(e[0], "pmessage") && reply->elements >= 4) {
		axr__sub_deliver(sub, e[1], e[2], e[3]);
} else if (e[1]->type != REDIS_REPLY_STRING) {
		return;
	} else if (axr__sub_is(e[0], "subscribe") && e[1]->len == sub->probe_len &&
	           memcmp(e[1]->str, sub->probe, sub->probe_len) == 0) {
		sub->probe_pending = false;
		if (sub->state == AXR__SUB_CONNECTING) {
			axr__sub_set_connected(sub, true, true);
			sub->state = AXR__SUB_CONNECTED;
			sub->failures = 0;
			evtimer_del(sub->timer);
			axr__sub_arm(sub, sub->opt.keepalive_ms);
		}
	} else if (axr__sub_is(e[0], "subscribe")) {
		axr__sub_confirmed(sub, e[1]->str, e[1]->len);
	} else if (axr__sub_is(e[0], "unsubscribe")) {
		axr__sub_left(sub, &sub->channels, "SUBSCRIBE %b", e[1]->str, e[1]->len);
	} else if (axr__sub_is(e[0], "punsubscribe")) {
		axr__sub_left(sub, &sub->patterns, "PSUBSCRIBE %b", e[1]->str, e[1]->len);
	}
}

axr_redis_sub_t *axr_redis_sub_new(struct event_base *base, const char *url,
                                   const axr_redis_options_t *opt, axr_redis_message_fn on_message,
                                   void *ctx)
{
	static _Atomic unsigned long serial;
	axr_redis_sub_t *sub = NULL;

	if (!base || !url || !on_message)
		return NULL;
	sub = calloc(1, sizeof *sub);
	if (!sub)
		return NULL;
	if (axr__redis_options(opt, &sub->opt) != 0 || axr__redis_url_parse(url, &sub->url) != 0)
		goto fail;
	sub->timer = evtimer_new(base, axr__sub_on_timer, sub);
	if (!sub->timer)
		goto fail;
	sub->base = base;
	sub->on_message = on_message;
	sub->ctx = ctx;
	sub->rng = axr__redis_seed(sub);
	sub->probe_len = (size_t)snprintf(sub->probe, sizeof sub->probe, "__axr:keepalive:%ld:%lu",
	                                  (long)getpid(), atomic_fetch_add(&serial, 1) + 1);
	sub->state = AXR__SUB_WAITING;
	axr__redis_ignore_sigpipe();
	axr__redis_gauge_add(AXR__REDIS_SUBSCRIBERS, 1);
	axr__sub_arm(sub, 0);
	return sub;
fail:
	free(sub);
	return NULL;
}

void axr_redis_sub_on_state(axr_redis_sub_t *sub, axr_redis_state_fn fn)
{
	if (sub)
		sub->on_state = fn;
}

void axr_redis_sub_on_subscribed(axr_redis_sub_t *sub, axr_redis_subscribed_fn fn)
{
	if (sub)
		sub->on_subscribed = fn;
}

static void axr__sub_destroy(axr_redis_sub_t *sub)
{
	redisAsyncContext *ac = sub->ac;
	sub->ac = NULL;
	axr__sub_set_connected(sub, false, false);
	if (ac)
		redisAsyncFree(ac); /* our callbacks see sub->ac != ac and return */
	event_free(sub->timer);
	axr__name_clear(&sub->channels);
	axr__name_clear(&sub->patterns);
	axr__redis_gauge_add(AXR__REDIS_SUBSCRIBERS, -1);
	free(sub);
}

static void axr__sub_destroy_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	axr__sub_destroy(arg);
}

void axr_redis_sub_free(axr_redis_sub_t *sub)
{
	if (!sub || sub->dying)
		return;
	if (sub->in_callback == 0) {
		axr__sub_destroy(sub);
		return;
	}
	/* Inside on_message, i.e. inside hiredis: tear down once it returns. */
	sub->dying = true;
	evtimer_del(sub->timer);
	struct timeval now = {0, 0};
	if (event_base_once(sub->base, -1, EV_TIMEOUT, axr__sub_destroy_later, sub, &now) != 0)
		axr_log_error("redis subscriber: cannot schedule its teardown; leaking it");
}

static int axr__sub_add(axr_redis_sub_t *sub, axr__name_set_t *set, const char *cmd, const char *name,
                        size_t len)
{
	if (!sub || !name || len == 0 || sub->dying)
		return AXR_EINVAL;
	axr__name_t *e;
	int rc = axr__name_add(set, name, len, &e);
	if (rc < 0)
		return rc;
	if (e->wanted)
		return 0; /* subscribed already */
	e->wanted = true;
	if (e->leaving)
		e->held = true; /* sent when our UNSUBSCRIBE's reply is in (see the top) */
	else if (sub->ac)
		redisAsyncCommand(sub->ac, axr__sub_on_reply, sub, cmd, name, len);
	return 0;
}

static int axr__sub_remove(axr_redis_sub_t *sub, axr__name_set_t *set, const char *cmd, const char *name,
                           size_t len)
{
	if (!sub || !name || len == 0)
		return AXR_EINVAL;
	axr__name_t *e = axr__name_find(set, name, len);
	if (!e || !e->wanted)
		return AXR_ENOTFOUND;
	e->wanted = false;
	if (e->held) {
		e->held = false; /* its SUBSCRIBE was never sent; the entry waits for `leaving` */
		return 0;
	}
	if (sub->ac && redisAsyncCommand(sub->ac, NULL, NULL, cmd, name, len) == REDIS_OK)
		e->leaving = true;
	else
		axr__name_delete(set, e);
	return 0;
}

int axr_redis_sub_subscribe(axr_redis_sub_t *sub, const char *channel, size_t len)
{
	return axr__sub_add(sub, sub ? &sub->channels : NULL, "SUBSCRIBE %b", channel, len);
}

int axr_redis_sub_psubscribe(axr_redis_sub_t *sub, const char *pattern, size_t len)
{
	return axr__sub_add(sub, sub ? &sub->patterns : NULL, "PSUBSCRIBE %b", pattern, len);
}

int axr_redis_sub_unsubscribe(axr_redis_sub_t *sub, const char *channel, size_t len)
{
	return axr__sub_remove(sub, sub ? &sub->channels : NULL, "UNSUBSCRIBE %b", channel, len);
}

int axr_redis_sub_punsubscribe(axr_redis_sub_t *sub, const char *pattern, size_t len)
{
	return axr__sub_remove(sub, sub ? &sub->patterns : NULL, "PUNSUBSCRIBE %b", pattern, len);
}

bool axr_redis_sub_connected(const axr_redis_sub_t *sub)
{
	return sub && sub->state == AXR__SUB_CONNECTED;
}
