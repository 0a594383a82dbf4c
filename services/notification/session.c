/* session.c: one client websocket: upgrade, login, WATCH, keepalive, bounded sends, close handshake. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "auth.h"
#include "err.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "notification.h"
#include "ws.h"

/*
 * Life of a session (docs/push.md):
 *
 *   101 --> AUTH_WAIT --LOGIN ok--> OPEN --(our close)--> CLOSING --> DONE
 *    \  (token on the upgrade) ----^  |  \--(peer's close: echoed)--> DONE
 *     \---(bad token: close 1008)------------------------^
 *
 * One timer per session: the login deadline in AUTH_WAIT, the ping period
 * in OPEN (an unanswered ping by the next tick drops the peer), the wait for
 * the peer's close in CLOSING. DONE means axr_upconn_close() was called;
 * the runtime's on_close frees the session.
 *
 * READY: once the user channel joined at login is confirmed subscribed on
 * this thread (at once when it already was, or without redis configured),
 * the session sends {"type":"READY","userUid":..} (after LOGIN_RESPONSE
 * for a LOGIN). A WATCH is answered the same way: when its object channel
 * is confirmed. Events published after READY (or a WATCH_RESPONSE) reach
 * the client.
 */

/* A WATCH answer waiting for its channel's confirmation. */
struct notif_ack {
	struct notif_ack *next;
	bool has_id;
	char id[]; /* the request's id, NUL-terminated */
};

enum notif_state { NOTIF_AUTH_WAIT, NOTIF_OPEN, NOTIF_CLOSING, NOTIF_DONE };

struct notif_session {
	notif_hub_t *hub;
	axr_upconn_t *up;       /* NULL until on_open */
	axr_ws_t *ws;
	struct event *timer;
	char *user;             /* the authenticated user's uid */
	int state;              /* enum notif_state */
	bool awaiting_pong;     /* a ping is out and nothing came back yet */
	bool auth_failed;       /* the upgrade carried a token that failed */
	bool peer_failed;       /* the peer broke the protocol: wait for EOF */
	bool in_presence;
	notif_member_t user_member;
	notif_member_t *watches;
	size_t nwatches;
	size_t nacks;           /* WATCH answers waiting, over all watches */
};

static atomic_long notif_open_sessions;

static double notif_gauge_sessions(void *ctx)
{
	(void)ctx;
	return (double)atomic_load(&notif_open_sessions);
}

/* ---- sending ------------------------------------------------------------------ */

static void notif_arm(notif_session_t *s, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_del(s->timer);
	evtimer_add(s->timer, &tv);
}

/* Hands the connection back to the runtime: it flushes, closes and calls
 * on_close. */
static void notif_finish(notif_session_t *s)
{
	if (s->state == NOTIF_DONE)
		return;
	s->state = NOTIF_DONE;
	if (s->timer)
		evtimer_del(s->timer);
	axr_upconn_close(s->up);
}

/* Sends our close frame; `wait` keeps the connection until the peer's close
 * (or the close timeout), else it is closed once the frame is flushed. */
static void notif_close(notif_session_t *s, int code, const char *reason, bool wait)
{
	uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
	size_t n = 0;
	if (s->state >= NOTIF_CLOSING)
		return;
	if (axr_ws_close(s->ws, code, reason, reason ? strlen(reason) : 0, frame, &n) == 0)
		axr_upconn_write(s->up, frame, n);
	if (!wait) {
		notif_finish(s);
		return;
	}
	s->state = NOTIF_CLOSING;
	notif_arm(s, notif.cfg.close_timeout_ms);
}

/* Queues bytes unless the send queue would pass its bound: a client that
 * does not read is closed (1013) instead of growing our memory. */
static bool notif_send(notif_session_t *s, const void *data, size_t len)
{
	if (axr_upconn_pending(s->up) + len > (size_t)notif.cfg.send_queue_max) {
		axr_metrics_add(notif.m_slow, 1);
		axr_log_info("closing a slow client of user %s: %zu bytes queued", s->user ? s->user : "-",
		             axr_upconn_pending(s->up));
		notif_close(s, AXR_WS_CLOSE_TRY_AGAIN_LATER, "send queue full", false);
		return false;
	}
	return axr_upconn_write(s->up, data, len) == 0;
}

static bool notif_send_text(notif_session_t *s, const char *text, size_t len)
{
	uint8_t header[AXR_WS_HEADER_MAX];
	size_t hlen;
	axr_buf_t b = AXR_BUF_INIT;
	if (axr_ws_frame_header(header, AXR_WS_TEXT, true, len, NULL, &hlen) != 0)
		return false;
	axr_buf_append(&b, header, hlen);
	axr_buf_append(&b, text, len);
	bool ok = axr_buf_ok(&b) && notif_send(s, b.data, b.len);
	axr_buf_free(&b);
	return ok;
}

/* {"id":..,"type":"<type>","success":..[,"error":..]} ("id" only when the
 * request had one). */
static void notif_reply(notif_session_t *s, const char *id, const char *type, const char *error)
{
	axr_buf_t b = AXR_BUF_INIT;
	axr_buf_putc(&b, '{');
	if (id) {
		axr_buf_puts(&b, "\"id\":");
		axr_buf_json_string(&b, id, strlen(id));
		axr_buf_putc(&b, ',');
	}
	axr_buf_puts(&b, "\"type\":");
	axr_buf_json_string(&b, type, strlen(type));
	axr_buf_puts(&b, error ? ",\"success\":false,\"error\":" : ",\"success\":true");
	if (error)
		axr_buf_json_string(&b, error, strlen(error));
	axr_buf_putc(&b, '}');
	if (axr_buf_ok(&b))
		notif_send_text(s, b.data, b.len);
	axr_buf_free(&b);
}

bool notif_session_deliver(notif_session_t *s, const uint8_t *frame, size_t len)
{
	if (s->state != NOTIF_OPEN)
		return false;
	return notif_send(s, frame, len);
}

/* {"type":"READY","userUid":".."}: the user channel is subscribed. */
static void notif_send_ready(notif_session_t *s)
{
	axr_buf_t b = AXR_BUF_INIT;
	axr_buf_puts(&b, "{\"type\":\"READY\",\"userUid\":");
	axr_buf_json_string(&b, s->user, strlen(s->user));
	axr_buf_putc(&b, '}');
	if (axr_buf_ok(&b) && s->state == NOTIF_OPEN)
		notif_send_text(s, b.data, b.len);
	axr_buf_free(&b);
}

/* Answers the WATCHes waiting on `m` (success: the channel is confirmed, or
 * an UNWATCH came first), or drops them (`send` false: the session ends). */
static void notif_acks_flush(notif_session_t *s, notif_member_t *m, bool send)
{
	while (m->acks) {
		struct notif_ack *a = m->acks;
		m->acks = a->next;
		s->nacks--;
		if (send && s->state == NOTIF_OPEN)
			notif_reply(s, a->has_id ? a->id : NULL, "WATCH_RESPONSE", NULL);
		free(a);
	}
}

void notif_session_confirmed(notif_session_t *s, notif_member_t *member)
{
	if (member == &s->user_member)
		notif_send_ready(s);
	else
		notif_acks_flush(s, member, true);
}

const char *notif_session_user(const notif_session_t *s)
{
	return s->user;
}

/* ---- authentication ------------------------------------------------------------ */

/* Verifies `token` and returns the user's uid (malloc'd) or NULL. */
static char *notif_verify(const char *token, size_t len, axr_arena_t *arena)
{
	axr_jwt_claims_t claims;
	const char *reason = NULL;
	memset(&claims, 0, sizeof claims);
	if (axr_auth_verify_token(token, len, arena, &claims, &reason) != 0) {
		axr_log_info("websocket login refused: %s", reason ? reason : "invalid token");
		return NULL;
	}
	const char *uid = claims.profile.uid ? claims.profile.uid : claims.sub;
	if (uid == NULL || !axr_bus_id_valid(uid, strlen(uid))) {
		axr_log_info("websocket login refused: the token's user uid cannot name a channel");
		return NULL;
	}
	return strdup(uid);
}

/* The session's user is known: join its channel and presence, start pinging. */
static int notif_login(notif_session_t *s)
{
	int rc = notif_hub_join(s->hub, &s->user_member, s, AXR_BUS_CHANNEL_USER, s->user);
	if (rc != 0)
		return rc;
	notif_presence_join(notif.presence, s->user);
	s->in_presence = true;
	s->state = NOTIF_OPEN;
	atomic_fetch_add(&notif_open_sessions, 1);
	axr_metrics_add(notif.m_logins, 1);
	notif_arm(s, notif.cfg.ping_interval_ms);
	return 0;
}

static void notif_on_login(notif_session_t *s, const char *id, json_object *data)
{
	axr_arena_t *arena = axr_arena_new(2048);
	const char *token = json_object_is_type(data, json_type_string) ? json_object_get_string(data) : NULL;
	char *user = token && arena ? notif_verify(token, (size_t)json_object_get_string_len(data), arena) : NULL;
	axr_arena_free(arena);
	const char *error = user == NULL ? "invalid token"
	                  : s->user && strcmp(s->user, user) != 0 ? "token of another user"
	                                                          : NULL;
	if (error) {
		free(user);
		axr_metrics_add(notif.m_auth_failed, 1);
		notif_reply(s, id, "LOGIN_RESPONSE", error);
		notif_close(s, AXR_WS_CLOSE_POLICY, "authentication failed", true);
		return;
	}
	if (s->user) { /* a fresh token for the same user: nothing changes */
		free(user);
		notif_reply(s, id, "LOGIN_RESPONSE", NULL);
		return;
	}
	s->user = user;
	if (notif_login(s) != 0) {
		notif_close(s, AXR_WS_CLOSE_INTERNAL_ERROR, "out of memory", false);
		return;
	}
	notif_reply(s, id, "LOGIN_RESPONSE", NULL);
	if (!s->user_member.waiting)
		notif_send_ready(s);
}

/* ---- WATCH / UNWATCH ------------------------------------------------------------- */

static notif_member_t **notif_find_watch(notif_session_t *s, const char *uid)
{
	size_t len = strlen(uid);
	for (notif_member_t **p = &s->watches; *p; p = &(*p)->watch_next) {
		size_t id_len;
		const char *id = notif_member_id(*p, &id_len);
		if (id_len == len && memcmp(id, uid, len) == 0)
			return p;
	}
	return NULL;
}

/* Answers a WATCH of `m` now when its channel is live, else once it is
 * confirmed (the caller checked nacks against the bound). */
static void notif_watch_answer(notif_session_t *s, notif_member_t *m, const char *id)
{
	size_t n = id ? strlen(id) : 0;
	struct notif_ack *a = m->waiting ? malloc(sizeof *a + n + 1) : NULL;
	if (a == NULL) { /* live (or out of memory: answer now rather than never) */
		notif_reply(s, id, "WATCH_RESPONSE", NULL);
		return;
	}
	a->next = NULL;
	a->has_id = id != NULL;
	memcpy(a->id, id ? id : "", n + 1);
	struct notif_ack **p = &m->acks;
	while (*p)
		p = &(*p)->next;
	*p = a;
	s->nacks++;
}

static void notif_on_watch(notif_session_t *s, const char *id, json_object *data, bool watch)
{
	const char *type = watch ? "WATCH_RESPONSE" : "UNWATCH_RESPONSE";
	const char *uid = json_object_is_type(data, json_type_string) ? json_object_get_string(data) : NULL;
	if (uid == NULL || !axr_bus_id_valid(uid, (size_t)json_object_get_string_len(data)) ||
	    strlen(uid) != (size_t)json_object_get_string_len(data)) {
		notif_reply(s, id, type, "data must be an object uid");
		return;
	}
	notif_member_t **found = notif_find_watch(s, uid);
	if (!watch) {
		if (found == NULL) {
			notif_reply(s, id, type, "not watched");
			return;
		}
		notif_member_t *m = *found;
		*found = m->watch_next;
		notif_acks_flush(s, m, true);
		notif_hub_leave(s->hub, m);
		free(m);
		s->nwatches--;
		notif_reply(s, id, type, NULL);
		return;
	}
	if (!found && s->nwatches >= (size_t)notif.cfg.max_watch) {
		notif_reply(s, id, type, "too many watched objects");
		return;
	}
	if (s->nacks >= (size_t)notif.cfg.max_watch) { /* repeated WATCHes while redis is away */
		notif_reply(s, id, type, "too many WATCH answers waiting");
		return;
	}
	if (found) {
		notif_watch_answer(s, *found, id);
		return;
	}
	notif_member_t *m = calloc(1, sizeof *m);
	if (m == NULL || notif_hub_join(s->hub, m, s, AXR_BUS_CHANNEL_OBJECT, uid) != 0) {
		free(m);
		notif_reply(s, id, type, "out of memory");
		return;
	}
	m->watch_next = s->watches;
	s->watches = m;
	s->nwatches++;
	notif_watch_answer(s, m, id);
}

/* ---- engine callbacks -------------------------------------------------------------- */

static json_object *notif_member(json_object *obj, const char *name)
{
	json_object *v = NULL;
	return json_object_object_get_ex(obj, name, &v) ? v : NULL;
}

static void notif_on_message(void *user, axr_ws_opcode_t opcode, const uint8_t *payload, size_t len)
{
	notif_session_t *s = user;
	json_object *root = NULL;
	if (s->state >= NOTIF_CLOSING)
		return;
	if (opcode != AXR_WS_TEXT) {
		notif_close(s, AXR_WS_CLOSE_UNSUPPORTED, "binary messages are not supported", true);
		return;
	}
	axr_json_opts_t opts = {.max_depth = 8, .max_size = len};
	json_object *id_v = NULL, *type_v = NULL;
	bool valid = axr_json_parse((const char *)payload, len, &opts, &root, NULL) == 0 &&
	             json_object_is_type(root, json_type_object);
	if (valid) {
		id_v = notif_member(root, "id");
		type_v = notif_member(root, "type");
		valid = (id_v == NULL || json_object_is_type(id_v, json_type_string)) &&
		        json_object_is_type(type_v, json_type_string);
	}
	const char *id = id_v ? json_object_get_string(id_v) : NULL;
	const char *type = valid ? json_object_get_string(type_v) : "";
	json_object *data = valid ? notif_member(root, "data") : NULL;
	if (valid && strcmp(type, "LOGIN") == 0) {
		notif_on_login(s, id, data);
	} else if (s->state == NOTIF_AUTH_WAIT) {
		axr_metrics_add(notif.m_auth_failed, 1);
		notif_close(s, AXR_WS_CLOSE_POLICY, "the first message must be a LOGIN", true);
	} else if (!valid) {
		notif_reply(s, id, "ERROR", "a message is a JSON object with a string \"type\"");
	} else if (strcmp(type, "WATCH") == 0 || strcmp(type, "UNWATCH") == 0) {
		notif_on_watch(s, id, data, type[0] == 'W');
	} else {
		notif_reply(s, id, "ERROR", "unknown message type");
	}
	json_object_put(root);
}

static void notif_on_ping(void *user, const uint8_t *payload, size_t len)
{
	notif_session_t *s = user;
	uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
	size_t n;
	if (s->state < NOTIF_CLOSING && axr_ws_control_frame(frame, AXR_WS_PONG, payload, len, NULL, &n) == 0)
		notif_send(s, frame, n);
}

/* What the engine's state asks for once input was fed. */
static void notif_after_feed(notif_session_t *s)
{
	uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
	size_t n = 0;
	switch (axr_ws_state(s->ws)) {
	case AXR_WS_OPEN:
	case AXR_WS_CLOSE_SENT:
		return;
	case AXR_WS_CLOSE_RECEIVED: /* the peer closed first: echo, then we close TCP */
		if (axr_ws_close(s->ws, 0, NULL, 0, frame, &n) == 0)
			axr_upconn_write(s->up, frame, n);
		notif_finish(s);
		return;
	case AXR_WS_FAILED:
		/* Close with the engine's code (1002, 1007, 1009), then let the peer
		 * read it: closing TCP on unread input would reset the connection and
		 * could destroy our close frame in flight. */
		axr_log_debug("websocket protocol error from user %s: %s", s->user ? s->user : "-",
		              axr_ws_error(s->ws));
		if (axr_ws_close(s->ws, 0, NULL, 0, frame, &n) == 0)
			axr_upconn_write(s->up, frame, n);
		s->peer_failed = true;
		s->state = NOTIF_CLOSING;
		notif_arm(s, notif.cfg.close_timeout_ms);
		return;
	case AXR_WS_CLOSED: /* our close was answered */
		if (!s->peer_failed)
			notif_finish(s);
		return;
	}
}

/* ---- connection callbacks (runtime/server.h) ------------------------------------------- */

static void notif_on_timer(evutil_socket_t fd, short what, void *arg)
{
	notif_session_t *s = arg;
	uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
	size_t n;
	(void)fd;
	(void)what;
	switch (s->state) {
	case NOTIF_AUTH_WAIT:
		axr_metrics_add(notif.m_auth_failed, 1);
		notif_close(s, AXR_WS_CLOSE_POLICY, "no LOGIN in time", true);
		break;
	case NOTIF_OPEN:
		if (s->awaiting_pong) {
			axr_log_info("dropping an unresponsive websocket of user %s", s->user);
			notif_finish(s);
			break;
		}
		if (axr_ws_control_frame(frame, AXR_WS_PING, NULL, 0, NULL, &n) == 0 && notif_send(s, frame, n)) {
			s->awaiting_pong = true;
			notif_arm(s, notif.cfg.ping_interval_ms);
		}
		break;
	case NOTIF_CLOSING:
		notif_finish(s);
		break;
	}
}

static void notif_on_open(axr_upconn_t *c, void *ctx)
{
	notif_session_t *s = ctx;
	s->up = c;
	s->timer = evtimer_new(axr_upconn_base(c), notif_on_timer, s);
	if (s->timer == NULL) {
		notif_finish(s);
		return;
	}
	if (s->auth_failed) {
		axr_metrics_add(notif.m_auth_failed, 1);
		notif_close(s, AXR_WS_CLOSE_POLICY, "authentication failed", true);
	} else if (s->user) {
		if (notif_login(s) != 0)
			notif_close(s, AXR_WS_CLOSE_INTERNAL_ERROR, "out of memory", false);
		else if (!s->user_member.waiting)
			notif_send_ready(s);
	} else {
		notif_arm(s, notif.cfg.login_timeout_ms);
	}
}

static void notif_on_data(axr_upconn_t *c, void *ctx, const uint8_t *data, size_t len)
{
	notif_session_t *s = ctx;
	(void)c;
	if (s->state == NOTIF_DONE)
		return;
	s->awaiting_pong = false; /* anything from the peer shows it is alive */
	axr_ws_feed(s->ws, data, len);
	notif_after_feed(s);
}

static void notif_on_close(axr_upconn_t *c, void *ctx)
{
	notif_session_t *s = ctx;
	(void)c;
	notif_hub_leave(s->hub, &s->user_member);
	while (s->watches) {
		notif_member_t *m = s->watches;
		s->watches = m->watch_next;
		notif_acks_flush(s, m, false);
		notif_hub_leave(s->hub, m);
		free(m);
	}
	if (s->in_presence) {
		notif_presence_leave(notif.presence, s->user);
		atomic_fetch_sub(&notif_open_sessions, 1);
	}
	if (s->timer)
		event_free(s->timer);
	axr_ws_free(s->ws);
	free(s->user);
	free(s);
}

static void notif_on_drain(axr_upconn_t *c, void *ctx)
{
	notif_session_t *s = ctx;
	(void)c;
	notif_close(s, AXR_WS_CLOSE_GOING_AWAY, "server shutting down", true);
}

static const axr_upgrade_ops_t notif_ops = {
	.on_open = notif_on_open,
	.on_data = notif_on_data,
	.on_close = notif_on_close,
	.on_drain = notif_on_drain,
};

/* ---- GET /notifications --------------------------------------------------------------- */

/* 1 and the token when the upgrade carries one (Authorization: Bearer, or
 * the jwt_token query parameter), 0 when none, AXR_EUNAUTHORIZED when it is
 * malformed. */
static int notif_request_token(axr_request_t *req, const char **token, size_t *len)
{
	const char *h = axr_request_header(req, "Authorization");
	if (h)
		return axr_jwt_from_bearer(h, strlen(h), token, len) == 0 ? 1 : AXR_EUNAUTHORIZED;
	if (req->query && axr_request_query(req, "jwt_token", 0))
		return axr_jwt_from_query(req->query, strlen(req->query), token, len) == 0 ? 1 : AXR_EUNAUTHORIZED;
	return 0;
}

void notif_sessions_gauge_register(void)
{
	axr_metrics_gauge_fn("axr_ws_sessions", "Authenticated websocket sessions.", "", notif_gauge_sessions, NULL);
}

int notif_upgrade(axr_request_t *req)
{
	axr_ws_handshake_t hs;
	const char *token = NULL;
	size_t token_len = 0;
	notif_hub_t *hub = notif_hub_current();

	if (hub == NULL)
		return axr_response_error(req, 503, NULL, "websockets are unavailable on this thread", NULL, 0);
	if (axr_ws_handshake_check_request(&notif.handshake, req, &hs) != 0) {
		for (size_t i = 0; i < hs.extra_count; i++)
			axr_response_header(req, hs.extra[i].name, hs.extra[i].value);
		return axr_response_error(req, hs.status, NULL, hs.reason, NULL, 0);
	}
	notif_session_t *s = calloc(1, sizeof *s);
	if (s == NULL)
		return AXR_ENOMEM;
	axr_ws_options_t wo = {.role = AXR_WS_SERVER, .max_message = (size_t)notif.cfg.max_message};
	axr_ws_callbacks_t cb = {.on_message = notif_on_message, .on_ping = notif_on_ping};
	s->hub = hub;
	s->ws = axr_ws_new(&wo, &cb, s);
	int rc = notif_request_token(req, &token, &token_len);
	if (rc == 1) {
		s->user = notif_verify(token, token_len, req->arena);
		s->auth_failed = s->user == NULL;
	} else if (rc < 0) {
		s->auth_failed = true;
	}
	req->status = 101;
	if (s->ws == NULL || axr_response_header(req, "Upgrade", "websocket") != 0 ||
	    axr_response_header(req, "Connection", "Upgrade") != 0 ||
	    axr_response_header(req, "Sec-WebSocket-Accept", hs.accept) != 0 ||
	    axr_request_upgrade(req, &notif_ops, s) != 0) {
		req->status = 0;
		axr_ws_free(s->ws);
		free(s->user);
		free(s);
		return AXR_ENOMEM;
	}
	return 0;
}
