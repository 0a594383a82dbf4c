/* bus_sub.c: service subscriptions to other services' events, sharing one redis subscriber per event loop. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "err.h"
#include "log.h"

/*
 * A hub is the redis subscriber of one (event_base, url) pair with the list
 * of subscriptions on it. Hubs are found through a process-wide list (taken
 * under a mutex, since subscriptions may be made on several threads), but a
 * hub itself is only ever touched on its base's thread.
 */
typedef struct axr__bus_hub axr__bus_hub_t;

struct axr_bus_subscription {
	axr__bus_hub_t *hub;
	char service[AXR_BUS_NAME_MAX + 1];
	char *type;   /* NULL: any */
	char *action; /* NULL: any */
	axr_bus_handler_fn fn;
	void *ctx;
	bool dead;    /* unsubscribed while the hub was dispatching */
	axr_bus_subscription_t *next;
};

struct axr__bus_hub {
	struct event_base *base;
	char *url;
	axr_redis_sub_t *sub;
	axr_bus_subscription_t *subs;
	int dispatching; /* depth of on_message */
	axr__bus_hub_t *next;
};

static pthread_mutex_t axr__hubs_lock = PTHREAD_MUTEX_INITIALIZER;
static axr__bus_hub_t *axr__hubs;

static bool axr__bus_filter_matches(const char *want, const char *got)
{
	return want == NULL || strcmp(want, got) == 0;
}

static void axr__bus_hub_on_message(const axr_redis_message_t *m, void *ctx);

/* Frees a hub with no subscriptions left. */
static void axr__bus_hub_release(axr__bus_hub_t *hub)
{
	pthread_mutex_lock(&axr__hubs_lock);
	for (axr__bus_hub_t **p = &axr__hubs; *p; p = &(*p)->next) {
		if (*p == hub) {
			*p = hub->next;
			break;
		}
	}
	pthread_mutex_unlock(&axr__hubs_lock);
	axr_redis_sub_free(hub->sub); /* safe inside its on_message */
	free(hub->url);
	free(hub);
}

static bool axr__bus_hub_wants(const axr__bus_hub_t *hub, const char *service)
{
	for (const axr_bus_subscription_t *s = hub->subs; s; s = s->next)
		if (!s->dead && strcmp(s->service, service) == 0)
			return true;
	return false;
}

static void axr__bus_sub_destroy(axr_bus_subscription_t *s)
{
	free(s->type);
	free(s->action);
	free(s);
}

/* Unlinks dead subscriptions, unsubscribes channels nobody wants, and frees
 * the hub when it is empty. Not while dispatching. */
static void axr__bus_hub_sweep(axr__bus_hub_t *hub)
{
	axr_bus_subscription_t **p = &hub->subs;
	while (*p) {
		axr_bus_subscription_t *s = *p;
		if (!s->dead) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		if (!axr__bus_hub_wants(hub, s->service)) {
			char channel[AXR_BUS_CHANNEL_MAX + 1];
			size_t len;
			if (axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, s->service, channel, &len) == 0)
				axr_redis_sub_unsubscribe(hub->sub, channel, len);
		}
		axr__bus_sub_destroy(s);
	}
	if (hub->subs == NULL)
		axr__bus_hub_release(hub);
}

static void axr__bus_hub_on_message(const axr_redis_message_t *m, void *ctx)
{
	axr__bus_hub_t *hub = ctx;
	axr_bus_channel_kind_t kind;
	const char *id;
	size_t id_len;
	axr_bus_message_t msg;
	char service[AXR_BUS_NAME_MAX + 1];

	if (axr_bus_channel_parse(m->channel, m->channel_len, &kind, &id, &id_len) != 0 ||
	    kind != AXR_BUS_CHANNEL_SERVICE || id_len > AXR_BUS_NAME_MAX)
		return;
	memcpy(service, id, id_len);
	service[id_len] = '\0';
	if (axr_bus_message_decode(m->data, m->len, &msg) != 0) {
		axr_log_debug("bus: dropped an undecodable event on %s", service);
		return;
	}
	hub->dispatching++;
	for (axr_bus_subscription_t *s = hub->subs; s; s = s->next) {
		if (!s->dead && strcmp(s->service, service) == 0 && axr__bus_filter_matches(s->type, msg.type) &&
		    axr__bus_filter_matches(s->action, msg.action))
			s->fn(&msg, s->ctx);
	}
	hub->dispatching--;
	axr_bus_message_clear(&msg);
	if (hub->dispatching == 0)
		axr__bus_hub_sweep(hub);
}

/* Finds or makes the hub of (base, url). */
static int axr__bus_hub_get(struct event_base *base, const char *url, axr__bus_hub_t **out)
{
	axr__bus_hub_t *hub = NULL;
	pthread_mutex_lock(&axr__hubs_lock);
	for (hub = axr__hubs; hub; hub = hub->next)
		if (hub->base == base && strcmp(hub->url, url) == 0)
			break;
	pthread_mutex_unlock(&axr__hubs_lock);
	if (hub) {
		*out = hub;
		return 0;
	}
	hub = calloc(1, sizeof *hub);
	if (hub == NULL)
		return AXR_ENOMEM;
	hub->base = base;
	hub->url = strdup(url);
	if (hub->url == NULL) {
		free(hub);
		return AXR_ENOMEM;
	}
	hub->sub = axr_redis_sub_new(base, url, NULL, axr__bus_hub_on_message, hub);
	if (hub->sub == NULL) {
		free(hub->url);
		free(hub);
		return AXR_EINVAL; /* bad URL (or no memory: the subscriber does not say) */
	}
	pthread_mutex_lock(&axr__hubs_lock);
	hub->next = axr__hubs;
	axr__hubs = hub;
	pthread_mutex_unlock(&axr__hubs_lock);
	*out = hub;
	return 0;
}

/* NULL and "*" mean any; else a copy. Returns 0 or AXR_ENOMEM. */
static int axr__bus_filter_copy(const char *in, char **out)
{
	*out = NULL;
	if (in == NULL || strcmp(in, "*") == 0)
		return 0;
	*out = strdup(in);
	return *out ? 0 : AXR_ENOMEM;
}

int axr_bus_subscribe(struct event_base *base, const char *url, const char *service, const char *type,
                      const char *action, axr_bus_handler_fn fn, void *ctx, axr_bus_subscription_t **out)
{
	axr_bus_subscription_t *s = NULL;
	axr__bus_hub_t *hub = NULL;
	char channel[AXR_BUS_CHANNEL_MAX + 1];
	size_t len;
	int rc;

	if (out)
		*out = NULL;
	if (base == NULL || url == NULL || fn == NULL || out == NULL ||
	    axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, service, channel, &len) != 0)
		return AXR_EINVAL;
	if ((type && strcmp(type, "*") != 0 && !axr__bus_name_valid(type, AXR__BUS_NAME_TYPE)) ||
	    (action && strcmp(action, "*") != 0 && !axr__bus_name_valid(action, AXR__BUS_NAME_ACTION)))
		return AXR_EINVAL;

	s = calloc(1, sizeof *s);
	if (s == NULL)
		return AXR_ENOMEM;
	memcpy(s->service, service, strlen(service) + 1);
	s->fn = fn;
	s->ctx = ctx;
	if ((rc = axr__bus_filter_copy(type, &s->type)) != 0 || (rc = axr__bus_filter_copy(action, &s->action)) != 0)
		goto fail;
	if ((rc = axr__bus_hub_get(base, url, &hub)) != 0)
		goto fail;
	if ((rc = axr_redis_sub_subscribe(hub->sub, channel, len)) != 0) {
		if (hub->subs == NULL && hub->dispatching == 0)
			axr__bus_hub_release(hub);
		goto fail;
	}
	s->hub = hub;
	s->next = hub->subs;
	hub->subs = s;
	*out = s;
	return 0;
fail:
	axr__bus_sub_destroy(s);
	return rc;
}

void axr_bus_unsubscribe(axr_bus_subscription_t *s)
{
	if (s == NULL || s->dead)
		return;
	s->dead = true;
	if (s->hub->dispatching == 0)
		axr__bus_hub_sweep(s->hub);
}

bool axr_bus_subscription_connected(const axr_bus_subscription_t *s)
{
	return s && !s->dead && axr_redis_sub_connected(s->hub->sub);
}
