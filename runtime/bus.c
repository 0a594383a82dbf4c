/* bus.c: change events on the redis bus: channel names, the envelope, publishing, decoding. */
#include "bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axr_event.pb-c.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"

/* Channels of an event published without allocating (object, service,
 * public and up to 13 audience users). */
#define AXR__BUS_INLINE_CHANNELS 16

/* ---- names and channels ------------------------------------------------------ */

static const char *const axr__bus_prefix[] = {
	[AXR_BUS_CHANNEL_OBJECT] = "axr:obj:",
	[AXR_BUS_CHANNEL_USER] = "axr:user:",
	[AXR_BUS_CHANNEL_PUBLIC] = "axr:public",
	[AXR_BUS_CHANNEL_SERVICE] = "axr:events:",
};

bool axr_bus_id_valid(const char *id, size_t len)
{
	if (id == NULL || len == 0 || len > AXR_BUS_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return false;
	return true;
}

bool axr__bus_name_valid(const char *s, int what)
{
	size_t n = 0;
	if (s == NULL)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		bool lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
		bool ok = what == AXR__BUS_NAME_SERVICE ? lower || digit || c == '_' || c == '-'
		        : what == AXR__BUS_NAME_TYPE    ? lower || digit || (c >= 'A' && c <= 'Z') || c == '_' || c == '.'
		                                    : lower || c == '_';
		if (!ok || n >= AXR_BUS_NAME_MAX)
			return false;
	}
	return n > 0;
}

int axr_bus_channel(axr_bus_channel_kind_t kind, const char *id, char out[AXR_BUS_CHANNEL_MAX + 1],
                    size_t *len)
{
	out[0] = '\0';
	if (len)
		*len = 0;
	if ((unsigned)kind > AXR_BUS_CHANNEL_SERVICE)
		return AXR_EINVAL;
	if (kind == AXR_BUS_CHANNEL_SERVICE ? !axr__bus_name_valid(id, AXR__BUS_NAME_SERVICE)
	    : kind != AXR_BUS_CHANNEL_PUBLIC ? !(id && axr_bus_id_valid(id, strlen(id)))
	                                     : false)
		return AXR_EINVAL;
	int n = snprintf(out, AXR_BUS_CHANNEL_MAX + 1, "%s%s", axr__bus_prefix[kind],
	                 kind == AXR_BUS_CHANNEL_PUBLIC ? "" : id);
	if (len)
		*len = (size_t)n;
	return 0;
}

int axr_bus_channel_parse(const char *channel, size_t len, axr_bus_channel_kind_t *kind, const char **id,
                          size_t *id_len)
{
	for (int k = AXR_BUS_CHANNEL_OBJECT; k <= AXR_BUS_CHANNEL_SERVICE; k++) {
		size_t plen = strlen(axr__bus_prefix[k]);
		if (len < plen || memcmp(channel, axr__bus_prefix[k], plen) != 0)
			continue;
		const char *rest = channel + plen;
		size_t rlen = len - plen;
		if (k == AXR_BUS_CHANNEL_PUBLIC ? rlen != 0 : !axr_bus_id_valid(rest, rlen))
			return AXR_EINVAL;
		*kind = (axr_bus_channel_kind_t)k;
		*id = rest;
		*id_len = rlen;
		return 0;
	}
	return AXR_EINVAL;
}

/* ---- the service name ------------------------------------------------------- */

static const char *axr__bus_service_name;
static char axr__bus_program_name[AXR_BUS_NAME_MAX + 1];
static pthread_once_t axr__bus_once = PTHREAD_ONCE_INIT;
static axr_metric_t *axr__bus_ok_metric, *axr__bus_fail_metric;

static void axr__bus_init_once(void)
{
	const char *p = program_invocation_short_name;
	if (strncmp(p, "axr-", 4) == 0)
		p += 4;
	snprintf(axr__bus_program_name, sizeof axr__bus_program_name, "%s", p);
	if (!axr__bus_name_valid(axr__bus_program_name, AXR__BUS_NAME_SERVICE))
		snprintf(axr__bus_program_name, sizeof axr__bus_program_name, "unknown");
	axr__bus_ok_metric = axr_metrics_counter("axr_bus_published_total",
	                                         "Events published on every channel they belong to.", "");
	axr__bus_fail_metric = axr_metrics_counter(
		"axr_bus_publish_failures_total", "Events not (or not completely) published: redis down or invalid.", "");
}

int axr_bus_set_service(const char *name)
{
	if (!axr__bus_name_valid(name, AXR__BUS_NAME_SERVICE))
		return AXR_EINVAL;
	axr__bus_service_name = name;
	return 0;
}

const char *axr_bus_service(void)
{
	pthread_once(&axr__bus_once, axr__bus_init_once);
	return axr__bus_service_name ? axr__bus_service_name : axr__bus_program_name;
}

/* ---- encoding ---------------------------------------------------------------- */

static int axr__bus_check(const axr_bus_event_t *ev, const char *service)
{
	if (ev == NULL || !axr__bus_name_valid(ev->type, AXR__BUS_NAME_TYPE) ||
	    !axr__bus_name_valid(ev->action, AXR__BUS_NAME_ACTION) || ev->uid == NULL ||
	    !axr_bus_id_valid(ev->uid, strlen(ev->uid)) || !axr__bus_name_valid(service, AXR__BUS_NAME_SERVICE) ||
	    (ev->naudience > 0 && ev->audience == NULL))
		return AXR_EINVAL;
	for (size_t i = 0; i < ev->naudience; i++)
		if (ev->audience[i] == NULL || !axr_bus_id_valid(ev->audience[i], strlen(ev->audience[i])))
			return AXR_EINVAL;
	if (ev->data_json && axr_utf8_validate(ev->data_json, strlen(ev->data_json)) != 0)
		return AXR_EINVAL;
	return 0;
}

int axr_bus_event_encode(const axr_bus_event_t *ev, const char *time, axr_buf_t *out)
{
	const char *service = ev && ev->service ? ev->service : axr_bus_service();
	uint8_t *data = NULL;
	int rc = axr__bus_check(ev, service);
	if (rc != 0 || time == NULL || axr_utf8_validate(time, strlen(time)) != 0)
		return rc ? rc : AXR_EINVAL;

	Axr__Event e = AXR__EVENT__INIT;
	/* protobuf-c's structs are not const-correct; nothing here is written. */
	e.type = (char *)(uintptr_t)ev->type;
	e.action = (char *)(uintptr_t)ev->action;
	e.uid = (char *)(uintptr_t)ev->uid;
	e.has_version = ev->has_version;
	e.version = ev->version;
	e.service = (char *)(uintptr_t)service;
	e.time = (char *)(uintptr_t)time;
	e.data_json = (char *)(uintptr_t)ev->data_json;
	e.n_audience = ev->naudience;
	e.audience = (char **)(uintptr_t)ev->audience;
	e.has_public_ = ev->is_public;
	e.public_ = ev->is_public;
	if (ev->data) {
		size_t n = protobuf_c_message_get_packed_size(ev->data);
		data = malloc(n ? n : 1);
		if (data == NULL)
			return AXR_ENOMEM;
		e.has_data = 1;
		e.data.len = protobuf_c_message_pack(ev->data, data);
		e.data.data = data;
	}
	size_t size = axr__event__get_packed_size(&e);
	rc = axr_buf_reserve(out, size);
	if (rc == 0) {
		out->len += axr__event__pack(&e, (uint8_t *)out->data + out->len);
		out->data[out->len] = '\0';
	}
	free(data);
	return rc;
}

/* RFC 3339 UTC with milliseconds: 2026-11-30T00:10:29.123Z */
static void axr__bus_time(char out[32])
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* ---- publishing -------------------------------------------------------------- */

/* At most one failure line per second per process; the others are counted. */
static void axr__bus_log_failure(int level, const axr_bus_event_t *ev, const char *why)
{
	static _Atomic int64_t last_s;
	static _Atomic uint64_t suppressed;
	int64_t now = (int64_t)time(NULL);
	int64_t prev = atomic_load(&last_s);
	if (prev == now || !atomic_compare_exchange_strong(&last_s, &prev, now)) {
		atomic_fetch_add(&suppressed, 1);
		return;
	}
	uint64_t more = atomic_exchange(&suppressed, 0);
	axr_log(level, "bus: event %s/%s %s not published: %s (%llu more failures not logged)",
	        ev && ev->type ? ev->type : "-", ev && ev->action ? ev->action : "-",
	        ev && ev->uid ? ev->uid : "-", why, (unsigned long long)more);
}

static bool axr__bus_seen_before(const axr_bus_event_t *ev, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(ev->audience[j], ev->audience[i]) == 0)
			return true;
	return false;
}

int axr_bus_publish_with(axr_redis_t *r, const axr_bus_event_t *ev)
{
	axr_buf_t env = AXR_BUF_INIT;
	char time[32];
	char inline_names[AXR__BUS_INLINE_CHANNELS][AXR_BUS_CHANNEL_MAX + 1];
	const char *inline_list[AXR__BUS_INLINE_CHANNELS];
	const char *why = NULL;
	int rc;

	pthread_once(&axr__bus_once, axr__bus_init_once);
	axr__bus_time(time);
	rc = axr_bus_event_encode(ev, time, &env);
	if (rc != 0) {
		why = rc == AXR_EINVAL ? "invalid event (type, action, uid, audience, service or data_json)"
		                       : axr_strerror(rc);
		goto fail;
	}
	if (r == NULL) {
		rc = AXR_EUNAVAILABLE;
		why = "no redis configured (AXR_REDIS_URL)";
		goto fail;
	}
	/* Every channel is tried even after a failure (each reaches other
	 * listeners), all in one round trip. */
	const char *service = ev->service ? ev->service : axr_bus_service();
	size_t nchannels = 3 + ev->naudience, n = 0;
	char (*names)[AXR_BUS_CHANNEL_MAX + 1] = nchannels <= AXR__BUS_INLINE_CHANNELS ? inline_names
	                                                                              : malloc(nchannels * sizeof *names);
	const char **list = nchannels <= AXR__BUS_INLINE_CHANNELS ? inline_list : malloc(nchannels * sizeof *list);
	if (names == NULL || list == NULL) {
		rc = AXR_ENOMEM;
		why = "out of memory";
	} else {
		for (size_t i = 0; i < nchannels; i++) {
			if (i == 0)
				axr_bus_channel(AXR_BUS_CHANNEL_OBJECT, ev->uid, names[n], NULL);
			else if (i == 1)
				axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, service, names[n], NULL);
			else if (i == 2 && ev->is_public)
				axr_bus_channel(AXR_BUS_CHANNEL_PUBLIC, NULL, names[n], NULL);
			else if (i >= 3 && !axr__bus_seen_before(ev, i - 3))
				axr_bus_channel(AXR_BUS_CHANNEL_USER, ev->audience[i - 3], names[n], NULL);
			else
				continue;
			list[n] = names[n];
			n++;
		}
		if (axr_redis_publish_many(r, list, n, env.data, env.len) != 0) {
			rc = AXR_EUNAVAILABLE;
			why = axr_redis_last_error(r);
		}
	}
	if (names != inline_names)
		free(names);
	if (list != inline_list)
		free(list);
	if (rc != 0)
		goto fail;
	axr_buf_free(&env);
	axr_metrics_add(axr__bus_ok_metric, 1);
	return 0;
fail:
	axr_buf_free(&env);
	axr_metrics_add(axr__bus_fail_metric, 1);
	axr__bus_log_failure(rc == AXR_EINVAL ? AXR_LOG_ERROR : AXR_LOG_WARN, ev, why);
	return rc;
}

int axr_bus_publish(axr_worker_t *w, const axr_bus_event_t *ev)
{
	return axr_bus_publish_with(w ? w->redis : NULL, ev);
}

/* ---- decoding ----------------------------------------------------------------- */

static bool axr__bus_utf8(const char *s)
{
	return s == NULL || axr_utf8_validate(s, strlen(s)) == 0;
}

int axr_bus_message_decode(const void *data, size_t len, axr_bus_message_t *out)
{
	memset(out, 0, sizeof *out);
	if (data == NULL && len > 0)
		return AXR_EPARSE;
	Axr__Event *e = axr__event__unpack(NULL, len, data);
	if (e == NULL)
		return AXR_EPARSE; /* protobuf-c does not tell bad bytes from no memory */
	bool ok = axr__bus_name_valid(e->type, AXR__BUS_NAME_TYPE) && axr__bus_name_valid(e->action, AXR__BUS_NAME_ACTION) &&
	          e->uid && axr_bus_id_valid(e->uid, strlen(e->uid)) && axr__bus_utf8(e->service) &&
	          axr__bus_utf8(e->time) && axr__bus_utf8(e->data_json);
	for (size_t i = 0; ok && i < e->n_audience; i++)
		ok = axr_bus_id_valid(e->audience[i], strlen(e->audience[i]));
	if (!ok) {
		axr__event__free_unpacked(e, NULL);
		return AXR_EPARSE;
	}
	*out = (axr_bus_message_t){
		.type = e->type,
		.action = e->action,
		.uid = e->uid,
		.service = e->service ? e->service : "",
		.time = e->time ? e->time : "",
		.has_version = e->has_version,
		.version = e->version,
		.data = e->has_data ? e->data.data : NULL,
		.data_len = e->has_data ? e->data.len : 0,
		.data_json = e->data_json,
		.audience = (const char *const *)e->audience,
		.naudience = e->n_audience,
		.is_public = e->has_public_ && e->public_,
		.internal_ = e,
	};
	return 0;
}

void axr_bus_message_clear(axr_bus_message_t *m)
{
	if (m->internal_)
		axr__event__free_unpacked(m->internal_, NULL);
	memset(m, 0, sizeof *m);
}

bool axr_bus_message_audience_has(const axr_bus_message_t *m, const char *uid, size_t len)
{
	for (size_t i = 0; i < m->naudience; i++)
		if (strlen(m->audience[i]) == len && memcmp(m->audience[i], uid, len) == 0)
			return true;
	return false;
}

int axr_bus_message_to_json(const axr_bus_message_t *m, axr_buf_t *out)
{
	if (m->data_json) {
		/* Clients parse what we send: never forward text that is not JSON. */
		size_t n = strlen(m->data_json);
		axr_json_opts_t opts = {.max_depth = 64, .max_size = n};
		json_object *tree = NULL;
		int rc = axr_json_parse(m->data_json, n, &opts, &tree, NULL);
		if (rc != 0)
			return rc == AXR_ENOMEM ? rc : AXR_EPARSE;
		json_object_put(tree);
	}
	size_t start = out->len;
	axr_buf_puts(out, "{\"type\":");
	axr_buf_json_string(out, m->type, strlen(m->type));
	axr_buf_puts(out, ",\"action\":");
	axr_buf_json_string(out, m->action, strlen(m->action));
	axr_buf_puts(out, ",\"data\":");
	if (m->data_json) {
		axr_buf_puts(out, m->data_json);
	} else {
		axr_buf_puts(out, "{\"uid\":");
		axr_buf_json_string(out, m->uid, strlen(m->uid));
		if (m->has_version)
			axr_buf_printf(out, ",\"version\":%lld", (long long)m->version);
		axr_buf_putc(out, '}');
	}
	axr_buf_putc(out, '}');
	if (!axr_buf_ok(out)) {
		out->len = start;
		return AXR_ENOMEM;
	}
	return 0;
}
