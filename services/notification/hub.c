/* hub.c: one per I/O thread: its redis subscriber, channel -> connections, and event delivery. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "notification.h"
#include "ws.h"

/*
 * Every I/O thread subscribes its own redis subscriber to the channels its
 * connections need (user channels after login, object channels for WATCH),
 * so an event reaches its connections without crossing threads. A channel is
 * subscribed once per thread however many connections want it.
 *
 * Exactly once per connection: an event arrives on several channels (the
 * object's, each audience user's), so each channel kind delivers a disjoint
 * share of it:
 *   axr:user:<u>  -> the connections of user u, when u is in the audience;
 *   axr:obj:<x>   -> connections WATCHing x whose user is NOT in the
 *                    audience, and only when the event is public.
 * A user in the audience always has its user channel (every authenticated
 * connection joins it), so it gets the event there and only there; a user
 * outside it gets a public event through WATCH and never a private one.
 *
 * Readiness: a topic is `confirmed` once redis answered its SUBSCRIBE on
 * this thread's subscriber (axr_redis_sub_on_subscribed); members that
 * joined before are told then (notif_session_confirmed: READY, WATCH
 * answers), members joining later are live at once. A lost subscriber
 * connection unconfirms every topic until the re-SUBSCRIBEs are answered.
 */

typedef struct notif_topic {
	axr_bus_channel_kind_t kind;
	const char *id;      /* into channel, after the prefix */
	size_t id_len;
	notif_member_t *members;
	size_t count;
	bool confirmed;      /* redis answered this thread's SUBSCRIBE (see above) */
	size_t channel_len;
	char channel[];      /* NUL-terminated */
} notif_topic_t;

struct notif_hub {
	struct event_base *base;
	axr_redis_sub_t *sub; /* NULL without AXR_REDIS_URL */
	notif_map_t topics;   /* channel -> notif_topic_t */
	axr_buf_t frame;      /* scratch: the frame being delivered */
};

static _Thread_local notif_hub_t *notif_thread_hub;

notif_hub_t *notif_hub_current(void)
{
	return notif_thread_hub;
}

/* Builds header + JSON of `msg` into hub->frame; sets *frame / *len. */
static int notif_hub_frame(notif_hub_t *hub, const axr_bus_message_t *msg, const uint8_t **frame, size_t *len)
{
	static const uint8_t room[AXR_WS_HEADER_MAX];
	uint8_t header[AXR_WS_HEADER_MAX];
	size_t hlen;
	axr_buf_clear(&hub->frame);
	axr_buf_append(&hub->frame, room, sizeof room); /* the header goes right before the JSON */
	int rc = axr_bus_message_to_json(msg, &hub->frame);
	if (rc != 0)
		return rc;
	size_t json_len = hub->frame.len - sizeof room;
	rc = axr_ws_frame_header(header, AXR_WS_TEXT, true, json_len, NULL, &hlen);
	if (rc != 0)
		return rc;
	uint8_t *start = (uint8_t *)hub->frame.data + sizeof room - hlen;
	memcpy(start, header, hlen);
	*frame = start;
	*len = hlen + json_len;
	return 0;
}

static void notif_hub_on_message(const axr_redis_message_t *m, void *ctx)
{
	notif_hub_t *hub = ctx;
	notif_topic_t *topic = notif_map_get(&hub->topics, m->channel, m->channel_len);
	axr_bus_message_t msg;
	const uint8_t *frame;
	size_t len;

	if (topic == NULL)
		return; /* unsubscribed meanwhile */
	if (axr_bus_message_decode(m->data, m->len, &msg) != 0) {
		axr_metrics_add(notif.m_dropped, 1);
		axr_log_debug("dropped an undecodable event on %s", topic->channel);
		return;
	}
	bool for_user = axr_bus_message_audience_has(&msg, topic->id, topic->id_len);
	if (topic->kind == AXR_BUS_CHANNEL_USER ? !for_user : !msg.is_public)
		goto done; /* nothing for anyone here (see the rule above) */
	if (notif_hub_frame(hub, &msg, &frame, &len) != 0 || len > (size_t)notif.cfg.send_queue_max) {
		axr_metrics_add(notif.m_dropped, 1);
		axr_log_warn("dropped event %s/%s %s: data_json is not JSON or the frame exceeds AXR_WS_SEND_QUEUE",
		             msg.type, msg.action, msg.uid);
		goto done;
	}
	for (notif_member_t *mb = topic->members; mb; mb = mb->next) {
		if (topic->kind == AXR_BUS_CHANNEL_OBJECT) {
			const char *user = notif_session_user(mb->session);
			if (user == NULL || axr_bus_message_audience_has(&msg, user, strlen(user)))
				continue;
		}
		if (notif_session_deliver(mb->session, frame, len))
			axr_metrics_add(notif.m_delivered, 1);
	}
done:
	axr_bus_message_clear(&msg);
}

/* Redis confirmed `channel` on this thread: tell the members waiting for it. */
static void notif_hub_on_subscribed(const char *channel, size_t len, void *ctx)
{
	notif_hub_t *hub = ctx;
	notif_topic_t *topic = notif_map_get(&hub->topics, channel, len);
	if (topic == NULL || topic->confirmed)
		return;
	topic->confirmed = true;
	/* Sessions close from the loop (axr_upconn_close), never under us. */
	for (notif_member_t *mb = topic->members; mb; mb = mb->next) {
		if (!mb->waiting)
			continue;
		mb->waiting = false;
		notif_session_confirmed(mb->session, mb);
	}
}

static void notif_topic_unconfirm(const char *key, size_t len, void *value, void *ctx)
{
	notif_topic_t *topic = value;
	(void)key;
	(void)len;
	(void)ctx;
	topic->confirmed = false;
}

/* The subscriber lost redis: nothing is subscribed until it says so again. */
static void notif_hub_on_state(bool connected, void *ctx)
{
	notif_hub_t *hub = ctx;
	if (!connected)
		notif_map_each(&hub->topics, notif_topic_unconfirm, NULL);
}

void notif_hub_thread_init(struct event_base *base, int index)
{
	notif_hub_t *hub = calloc(1, sizeof *hub);
	if (hub == NULL) {
		axr_log_error("I/O thread %d: out of memory for its hub; websockets refused there", index);
		return;
	}
	hub->base = base;
	const char *url = notif.runtime->redis_url;
	if (url && *url) {
		hub->sub = axr_redis_sub_new(base, url, NULL, notif_hub_on_message, hub);
		if (hub->sub == NULL) {
			axr_log_error("I/O thread %d: cannot create its redis subscriber; no events there", index);
		} else {
			axr_redis_sub_on_state(hub->sub, notif_hub_on_state);
			axr_redis_sub_on_subscribed(hub->sub, notif_hub_on_subscribed);
		}
	}
	notif_thread_hub = hub;
}

static void notif_topic_free(const char *key, size_t len, void *value, void *ctx)
{
	(void)key;
	(void)len;
	(void)ctx;
	free(value);
}

void notif_hub_thread_fini(void)
{
	notif_hub_t *hub = notif_thread_hub;
	if (hub == NULL)
		return;
	notif_thread_hub = NULL;
	axr_redis_sub_free(hub->sub);
	notif_map_each(&hub->topics, notif_topic_free, NULL); /* none left when every session closed */
	notif_map_clear(&hub->topics);
	axr_buf_free(&hub->frame);
	free(hub);
}

int notif_hub_join(notif_hub_t *hub, notif_member_t *member, notif_session_t *session,
                   axr_bus_channel_kind_t kind, const char *id)
{
	char channel[AXR_BUS_CHANNEL_MAX + 1];
	size_t len;
	if (axr_bus_channel(kind, id, channel, &len) != 0)
		return AXR_EINVAL;
	notif_topic_t *topic = notif_map_get(&hub->topics, channel, len);
	if (topic == NULL) {
		topic = calloc(1, sizeof *topic + len + 1);
		if (topic == NULL)
			return AXR_ENOMEM;
		memcpy(topic->channel, channel, len + 1);
		topic->channel_len = len;
		topic->kind = kind;
		axr_bus_channel_parse(topic->channel, len, &topic->kind, &topic->id, &topic->id_len);
		if (notif_map_put(&hub->topics, topic->channel, len, topic) != 0) {
			free(topic);
			return AXR_ENOMEM;
		}
		if (hub->sub && axr_redis_sub_subscribe(hub->sub, topic->channel, len) != 0) {
			notif_map_remove(&hub->topics, topic->channel, len);
			free(topic);
			return AXR_ENOMEM;
		}
	}
	member->session = session;
	member->topic = topic;
	member->waiting = hub->sub != NULL && !topic->confirmed;
	member->prev = NULL;
	member->next = topic->members;
	if (topic->members)
		topic->members->prev = member;
	topic->members = member;
	topic->count++;
	return 0;
}

void notif_hub_leave(notif_hub_t *hub, notif_member_t *member)
{
	notif_topic_t *topic = member->topic;
	if (topic == NULL)
		return;
	if (member->prev)
		member->prev->next = member->next;
	else
		topic->members = member->next;
	if (member->next)
		member->next->prev = member->prev;
	member->topic = NULL;
	member->prev = member->next = NULL;
	member->waiting = false;
	if (--topic->count > 0)
		return;
	notif_map_remove(&hub->topics, topic->channel, topic->channel_len);
	if (hub->sub)
		axr_redis_sub_unsubscribe(hub->sub, topic->channel, topic->channel_len);
	free(topic);
}

const char *notif_member_id(const notif_member_t *member, size_t *len)
{
	*len = member->topic->id_len;
	return member->topic->id;
}
