/* main.c: the notification service: client websockets fed from the redis bus, and presence. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "err.h"
#include "log.h"
#include "notification.h"
#include "service.h"

notif_service_t notif;

#define NOTIF_C(field) offsetof(notif_config_t, field)

static const axr_config_var_t notif_config_vars[] = {
	{.name = "AXR_WS_ORIGINS", .type = AXR_CFG_STRING, .def = "", .offset = NOTIF_C(origins),
	 .help = "browser origins allowed to connect, comma-separated (https://play.example.com, "
	         "https://*.example.com, *); empty allows any"},
	{.name = "AXR_WS_PING_INTERVAL", .type = AXR_CFG_MS, .def = "30s", .min = 100, .max = 3600000,
	 .offset = NOTIF_C(ping_interval_ms), .help = "ping period; a peer silent for a whole period is dropped"},
	{.name = "AXR_WS_LOGIN_TIMEOUT", .type = AXR_CFG_MS, .def = "2s", .min = 100, .max = 600000,
	 .offset = NOTIF_C(login_timeout_ms), .help = "a connection without a token must LOGIN within this"},
	{.name = "AXR_WS_CLOSE_TIMEOUT", .type = AXR_CFG_MS, .def = "2s", .min = 10, .max = 600000,
	 .offset = NOTIF_C(close_timeout_ms), .help = "how long our close waits for the peer's"},
	{.name = "AXR_WS_SEND_QUEUE", .type = AXR_CFG_SIZE, .def = "256k", .min = 4096, .max = 1L << 30,
	 .offset = NOTIF_C(send_queue_max), .help = "bytes queued for one client; beyond it the client is closed (1013)"},
	{.name = "AXR_WS_MAX_MESSAGE", .type = AXR_CFG_SIZE, .def = "64k", .min = 4096, .max = 16L << 20,
	 .offset = NOTIF_C(max_message), .help = "largest client message; bigger ones close with 1009"},
	{.name = "AXR_WS_MAX_WATCH", .type = AXR_CFG_INT, .def = "100", .min = 0, .max = 100000,
	 .offset = NOTIF_C(max_watch), .help = "objects one connection may WATCH"},
	{.name = "AXR_PRESENCE_TTL", .type = AXR_CFG_MS, .def = "60s", .min = 3000, .max = 3600000,
	 .offset = NOTIF_C(presence_ttl_ms), .help = "presence of a crashed replica's users expires after this"},
};

static const axr_route_t notif_routes[] = {
	/* GET /notifications: the websocket (docs/push.md). */
	{.method = AXR_HTTP_GET, .path = "/notifications", .handler = notif_upgrade,
	 .flags = AXR_ROUTE_INLINE | AXR_ROUTE_UPGRADE, .name = "notifications"},
	/* GET /presence/{userUid}: {"userUid":..,"online":true|false}, token required. */
	{.method = AXR_HTTP_GET, .path = "/presence/{userUid}", .handler = notif_presence_get, .name = "getPresence"},
};

/* Splits AXR_WS_ORIGINS on commas and blanks into the handshake allow-list. */
static int notif_origins_parse(const char *list)
{
	static char *copy;
	static const char **items;
	size_t n = 0;
	copy = strdup(list);
	items = calloc(strlen(list) / 2 + 1, sizeof *items);
	if (copy == NULL || items == NULL)
		return AXR_ENOMEM;
	for (char *save = NULL, *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		items[n++] = tok;
	notif.handshake.allowed_origins = items;
	notif.handshake.allowed_origins_count = n;
	return 0;
}

static int notif_init(const axr_config_t *cfg, void *ctx)
{
	(void)ctx;
	notif.runtime = cfg;
	if (notif_origins_parse(notif.cfg.origins) != 0 || axr_bus_set_service("notification") != 0)
		return AXR_ENOMEM;
	if (*cfg->redis_url == '\0')
		axr_log_warn("AXR_REDIS_URL is not set: websockets connect but receive no events, presence is off");
	if (notif.handshake.allowed_origins_count == 0)
		axr_log_info("AXR_WS_ORIGINS is empty: websockets accepted from any origin");
	notif.m_delivered = axr_metrics_counter("axr_ws_events_delivered_total", "Event frames queued to clients.", "");
	notif.m_dropped = axr_metrics_counter("axr_ws_events_dropped_total",
	                                      "Events not forwarded: undecodable, data_json not JSON, or too big.", "");
	notif.m_slow = axr_metrics_counter("axr_ws_slow_client_closes_total",
	                                   "Clients closed (1013) because their send queue was full.", "");
	notif.m_auth_failed = axr_metrics_counter("axr_ws_auth_failures_total",
	                                          "Websockets closed (1008) for a bad token or no LOGIN in time.", "");
	notif.m_logins = axr_metrics_counter("axr_ws_logins_total", "Websocket sessions authenticated.", "");
	notif_sessions_gauge_register();
	return notif_presence_start(cfg->redis_url, notif.cfg.presence_ttl_ms, &notif.presence);
}

static void notif_fini(void *ctx)
{
	(void)ctx;
	notif_presence_stop(notif.presence);
	notif.presence = NULL;
}

static void notif_io_init(struct event_base *base, int index, void *ctx)
{
	(void)ctx;
	notif_hub_thread_init(base, index);
}

static void notif_io_fini(struct event_base *base, int index, void *ctx)
{
	(void)base;
	(void)index;
	(void)ctx;
	notif_hub_thread_fini();
}

int main(int argc, char **argv)
{
	static const axr_service_def_t def = {
		.name = "notification",
		.version = "0.1.0",
		.routes = notif_routes,
		.nroutes = sizeof(notif_routes) / sizeof(notif_routes[0]),
		.config_vars = notif_config_vars,
		.nconfig_vars = sizeof(notif_config_vars) / sizeof(notif_config_vars[0]),
		.config = &notif.cfg,
		.init = notif_init,
		.fini = notif_fini,
		.worker_fini = notif_presence_worker_fini,
		.io_init = notif_io_init,
		.io_fini = notif_io_fini,
	};
	return axr_service_main(&def, argc, argv);
}
