/* trigger_bus.c: subscriptions to the services triggers name, refreshed on a timer; events turned into progress. */
#include "trigger_bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "err.h"
#include "log.h"

typedef struct achievement__sub {
	char service[AXR_BUS_NAME_MAX + 1];
	axr_bus_subscription_t *sub;
} achievement__sub_t;

struct achievement_bus {
	achievement_bus_options_t opt;
	char *url;
	struct event *timer;
	axr_arena_t *arena;       /* per event, reset after each */
	achievement__sub_t *subs;
	size_t n_subs;
	achievement_bus_stats_t stats;
};

static const char achievement__sql_services[] =
	"SELECT DISTINCT trigger->>'service' FROM achievement_definition"
	" WHERE trigger->>'service' IS NOT NULL ORDER BY 1";

static void achievement__publish(achievement_bus_t *b, const achievement_progress_out_t *out)
{
	int rc = b->opt.publish ? b->opt.publish(out, b->opt.publish_ctx)
	                        : b->opt.publisher ? achievement_publish_with(b->opt.publisher, out) : 0;
	if (rc != 0)
		axr_log_warn("achievement: publishing %s of %s failed: %s", achievement_progress_action(out),
		             out->record.uid, axr_strerror(rc));
}

static void achievement__on_message(const axr_bus_message_t *m, void *ctx)
{
	achievement_bus_t *b = ctx;
	achievement_event_t ev = {.service = m->service, .type = m->type, .action = m->action};

	b->stats.events++;
	ev.event_id = achievement_event_id(m, b->arena);
	for (size_t i = 0; i < m->naudience; i++) {
		achievement_progress_out_t *outs = NULL;
		size_t n = 0;
		if (!achievement_is_uuid(m->audience[i]))
			continue; /* not a user */
		ev.owner_uid = m->audience[i];
		int rc = achievement_on_event(b->opt.db, b->arena, &ev, &outs, &n);
		if (rc != 0) {
			b->stats.failures++;
			axr_log_warn("achievement: %s/%s/%s for user %s: no progress: %s", m->service, m->type, m->action,
			             ev.owner_uid, axr_strerror(rc));
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			b->stats.applied++;
			b->stats.unlocks += outs[k].unlocked_now;
			achievement__publish(b, &outs[k]);
		}
	}
	axr_arena_reset(b->arena);
}

/* Removes subscription i (order is not kept). */
static void achievement__drop(achievement_bus_t *b, size_t i)
{
	axr_bus_unsubscribe(b->subs[i].sub);
	b->subs[i] = b->subs[--b->n_subs];
}

static bool achievement__listed(const axr_db_result_t *r, const char *service)
{
	for (int i = 0; i < axr_db_result_rows(r); i++)
		if (strcmp(axr_db_result_text(r, i, 0, NULL), service) == 0)
			return true;
	return false;
}

static bool achievement__subscribed(const achievement_bus_t *b, const char *service)
{
	for (size_t i = 0; i < b->n_subs; i++)
		if (strcmp(b->subs[i].service, service) == 0)
			return true;
	return false;
}

int achievement_bus_refresh(achievement_bus_t *b)
{
	axr_db_result_t *r = NULL;
	int rc, rows;

	if (b == NULL)
		return AXR_EINVAL;
	rc = axr_db_exec(b->opt.db, "achievement:trigger:services", achievement__sql_services, 0, NULL, NULL, NULL, &r);
	if (rc != 0)
		goto fail;
	for (size_t i = b->n_subs; i-- > 0;)
		if (!achievement__listed(r, b->subs[i].service))
			achievement__drop(b, i);
	rows = axr_db_result_rows(r);
	if (rows > 0) {
		achievement__sub_t *grown = realloc(b->subs, (b->n_subs + (size_t)rows) * sizeof *grown);
		if (grown == NULL) {
			rc = AXR_ENOMEM;
			goto fail;
		}
		b->subs = grown;
	}
	for (int i = 0; i < rows; i++) {
		const char *service = axr_db_result_text(r, i, 0, NULL);
		achievement__sub_t *s = &b->subs[b->n_subs];
		if (achievement__subscribed(b, service))
			continue;
		int src = axr_bus_subscribe(b->opt.base, b->url, service, NULL, NULL, achievement__on_message, b, &s->sub);
		if (src == AXR_ENOMEM) {
			rc = src;
			goto fail;
		}
		if (src != 0) {
			axr_log_warn("achievement: cannot subscribe to the events of '%s': %s", service, axr_strerror(src));
			continue;
		}
		snprintf(s->service, sizeof s->service, "%s", service);
		b->n_subs++;
	}
fail:
	b->stats.services = b->n_subs;
	axr_db_result_free(r);
	return rc;
}

static void achievement__on_timer(evutil_socket_t fd, short what, void *ctx)
{
	(void)fd;
	(void)what;
	int rc = achievement_bus_refresh(ctx);
	if (rc != 0)
		axr_log_warn("achievement: reading the triggers failed: %s", axr_strerror(rc));
}

int achievement_bus_start(const achievement_bus_options_t *opt, achievement_bus_t **out)
{
	achievement_bus_t *b = NULL;
	int rc = AXR_ENOMEM;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (opt == NULL || opt->base == NULL || opt->redis_url == NULL || opt->db == NULL || opt->refresh_ms < 0)
		return AXR_EINVAL;
	if ((b = calloc(1, sizeof *b)) == NULL)
		goto fail;
	b->opt = *opt;
	if ((b->url = strdup(opt->redis_url)) == NULL || (b->arena = axr_arena_new(0)) == NULL)
		goto fail;
	if (opt->refresh_ms > 0) {
		struct timeval tv = {.tv_sec = opt->refresh_ms / 1000, .tv_usec = (opt->refresh_ms % 1000) * 1000};
		if ((b->timer = event_new(opt->base, -1, EV_PERSIST, achievement__on_timer, b)) == NULL ||
		    event_add(b->timer, &tv) != 0)
			goto fail;
	}
	rc = achievement_bus_refresh(b);
	if (rc == AXR_ENOMEM)
		goto fail;
	if (rc != 0)
		axr_log_warn("achievement: reading the triggers failed (retried at the next refresh): %s",
		             axr_strerror(rc));
	*out = b;
	return 0;
fail:
	achievement_bus_stop(b);
	return rc;
}

void achievement_bus_stats(const achievement_bus_t *b, achievement_bus_stats_t *out)
{
	memset(out, 0, sizeof *out);
	if (b != NULL)
		*out = b->stats;
}

void achievement_bus_stop(achievement_bus_t *b)
{
	if (b == NULL)
		return;
	while (b->n_subs > 0)
		achievement__drop(b, b->n_subs - 1);
	if (b->timer != NULL)
		event_free(b->timer);
	axr_arena_free(b->arena);
	free(b->subs);
	free(b->url);
	free(b);
}
