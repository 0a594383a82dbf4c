/* presence.c: who is online, across replicas: redis sorted sets with expiring members, online/offline events. */
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "err.h"
#include "log.h"
#include "notification.h"

/*
 * Each user has a sorted set axr:presence:<uid> in redis whose members are
 * the replicas holding a connection of that user, scored with the time
 * (redis's clock, ms) at which the membership expires. A replica adds its
 * member on a user's first connection, refreshes every member it holds every
 * ttl/3, and removes it on the user's last connection. The user is online
 * while the set has a member that has not expired, so a replica that
 * crashes stops counting after the ttl without anyone cleaning up.
 *
 * The transitions are decided inside redis by the scripts below (atomic), so
 * with several replicas exactly one "online" is published when a user's
 * first connection anywhere appears, and one "offline" when its last
 * connection anywhere goes (a crashed replica's users publish no offline:
 * they just expire). The events: type "Presence", action "update", uid the
 * user's, public, data {"userUid":..,"online":true|false}, on the user's
 * object channel (WATCH it) and the notification service's channel.
 *
 * I/O threads never wait for redis: they queue +1/-1 per connection for
 * the presence thread, which owns the per-process counts and the redis work.
 */

#define NOTIF_PRESENCE_KEY "axr:presence:"

/* KEYS[1] set, ARGV[1] member, ARGV[2] ttl ms -> 1 when nobody was online. */
static const char notif_lua_join[] =
	"local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
	"redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) "
	"local before = redis.call('ZCARD', KEYS[1]) "
	"redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) "
	"redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
	"if before == 0 then return 1 end return 0";

/* -> 1 when this member was there and nobody is left. */
static const char notif_lua_leave[] =
	"local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
	"local removed = redis.call('ZREM', KEYS[1], ARGV[1]) "
	"redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) "
	"if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then return 1 end return 0";

/* -> members that have not expired. */
static const char notif_lua_count[] =
	"local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
	"return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')";

typedef struct notif_presence_op {
	struct notif_presence_op *next;
	int delta;
	char uid[];
} notif_presence_op_t;

struct notif_presence {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	notif_presence_op_t *head, *tail;
	bool stopping;
	/* The presence thread's own from here on. */
	char *url;          /* NULL: count only */
	long ttl_ms;
	notif_map_t counts; /* uid -> connections in this process, as uintptr_t */
	redisContext *store;
	int64_t retry_ms;   /* no connection attempt before this */
	axr_redis_t *pub;
	char member[48];    /* this replica */
};

static int64_t notif_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- redis connections ------------------------------------------------------------ */

/* Connects to redis://[[user]:password@]host[:port][/db] with `timeout_ms`
 * for the connect and every command, AUTH done. NULL on failure. */
static redisContext *notif_redis_connect(const char *url, long timeout_ms)
{
	char host[256] = "", user[128] = "", pass[256] = "";
	int port = 6379;
	const char *p = url + strlen("redis://");
	const char *end = p + strcspn(p, "/?#");
	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		snprintf(user, sizeof user, "%.*s", (int)((colon ? colon : at) - p), p);
		if (colon)
			snprintf(pass, sizeof pass, "%.*s", (int)(at - colon - 1), colon + 1);
		p = at + 1;
	}
	const char *host_end = *p == '[' ? memchr(p, ']', (size_t)(end - p)) : memchr(p, ':', (size_t)(end - p));
	if (*p == '[')
		p++;
	if (host_end == NULL)
		host_end = end;
	snprintf(host, sizeof host, "%.*s", (int)(host_end - p), p);
	const char *colon = memchr(host_end, ':', (size_t)(end - host_end));
	if (colon)
		port = atoi(colon + 1);
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	if (c == NULL || c->err || redisSetTimeout(c, tv) != REDIS_OK)
		goto fail;
	if (pass[0]) {
		redisReply *r = user[0] ? redisCommand(c, "AUTH %s %s", user, pass) : redisCommand(c, "AUTH %s", pass);
		bool ok = r && r->type != REDIS_REPLY_ERROR;
		freeReplyObject(r);
		if (!ok)
			goto fail;
	}
	return c;
fail:
	if (c)
		redisFree(c);
	return NULL;
}

/* Runs `script` on the set of `uid` with `member` and `ttl` arguments (a
 * count-only script gets none). Returns its integer, or -1 (connection
 * unusable: the caller drops it). */
static long long notif_eval(redisContext *c, const char *script, const char *uid, const char *member, long ttl)
{
	char key[sizeof NOTIF_PRESENCE_KEY + AXR_BUS_ID_MAX], ttl_s[32];
	snprintf(key, sizeof key, NOTIF_PRESENCE_KEY "%s", uid);
	snprintf(ttl_s, sizeof ttl_s, "%ld", ttl);
	redisReply *r = member ? redisCommand(c, "EVAL %s 1 %s %s %s", script, key, member, ttl_s)
	                       : redisCommand(c, "EVAL %s 1 %s", script, key);
	long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	if (r && r->type == REDIS_REPLY_ERROR)
		axr_log_warn("presence script failed: %s", r->str);
	freeReplyObject(r);
	return v;
}

/* {"userUid":"<uid>","online":true|false}: the presence event's data and GET /presence's body. */
static void notif_presence_json(axr_buf_t *b, const char *uid, bool online)
{
	axr_buf_puts(b, "{\"userUid\":");
	axr_buf_json_string(b, uid, strlen(uid));
	axr_buf_puts(b, online ? ",\"online\":true}" : ",\"online\":false}");
}

/* ---- the presence thread ------------------------------------------------------------- */

static redisContext *notif_store(notif_presence_t *p)
{
	if (p->store || p->url == NULL || notif_now_ms() < p->retry_ms)
		return p->store;
	p->store = notif_redis_connect(p->url, 500);
	if (p->store == NULL)
		p->retry_ms = notif_now_ms() + 1000;
	return p->store;
}

static void notif_store_broken(notif_presence_t *p)
{
	if (p->store)
		redisFree(p->store);
	p->store = NULL;
	p->retry_ms = notif_now_ms() + 1000;
}

static void notif_publish_state(notif_presence_t *p, const char *uid, bool online)
{
	axr_buf_t json = AXR_BUF_INIT;
	notif_presence_json(&json, uid, online);
	axr_bus_event_t ev = {.type = "Presence", .action = "update", .uid = uid, .data_json = json.data,
	                      .is_public = true};
	if (axr_buf_ok(&json))
		axr_bus_publish_with(p->pub, &ev); /* failures are counted and logged there */
	axr_buf_free(&json);
}

/* Adds (join) or removes this replica's membership for `uid` and publishes
 * a transition. While redis is away nothing is written; the next refresh
 * re-adds every user still connected. */
static void notif_store_change(notif_presence_t *p, const char *uid, bool join)
{
	redisContext *c = notif_store(p);
	if (c == NULL)
		return;
	long long v = notif_eval(c, join ? notif_lua_join : notif_lua_leave, uid, p->member, p->ttl_ms);
	if (v < 0) {
		notif_store_broken(p);
		return;
	}
	if (v == 1)
		notif_publish_state(p, uid, join);
}

static void notif_refresh_one(const char *key, size_t len, void *value, void *ctx)
{
	(void)len;
	(void)value;
	notif_store_change(ctx, key, true);
}

static void notif_apply(notif_presence_t *p, notif_presence_op_t *op)
{
	size_t len = strlen(op->uid);
	uintptr_t n = (uintptr_t)notif_map_get(&p->counts, op->uid, len);
	if (op->delta > 0) {
		if (notif_map_put(&p->counts, op->uid, len, (void *)(n + 1)) != 0)
			axr_log_error("presence: out of memory; user %s not tracked", op->uid);
		else if (n == 0)
			notif_store_change(p, op->uid, true);
	} else if (n == 1) {
		notif_map_remove(&p->counts, op->uid, len);
		notif_store_change(p, op->uid, false);
	} else if (n > 1) {
		notif_map_put(&p->counts, op->uid, len, (void *)(n - 1));
	}
}

static void *notif_presence_main(void *arg)
{
	notif_presence_t *p = arg;
	int64_t next_refresh = notif_now_ms() + p->ttl_ms / 3;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping && notif_now_ms() < next_refresh) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1; /* coarse: refresh happens ttl/3 apart, within a second */
			pthread_cond_timedwait(&p->cond, &p->lock, &until);
		}
		notif_presence_op_t *ops = p->head;
		bool stop = p->stopping;
		p->head = p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		while (ops) {
			notif_presence_op_t *next = ops->next;
			notif_apply(p, ops);
			free(ops);
			ops = next;
		}
		if (stop)
			break;
		if (notif_now_ms() >= next_refresh) {
			notif_map_each(&p->counts, notif_refresh_one, p);
			next_refresh = notif_now_ms() + p->ttl_ms / 3;
		}
	}
	return NULL;
}

int notif_presence_start(const char *redis_url, long ttl_ms, notif_presence_t **out)
{
	notif_presence_t *p = calloc(1, sizeof *p);
	uint64_t rnd = 0;
	*out = NULL;
	if (p == NULL)
		return AXR_ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->ttl_ms = ttl_ms;
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
		rnd = (uint64_t)notif_now_ms() ^ ((uint64_t)getpid() << 32);
	snprintf(p->member, sizeof p->member, "%ld-%016llx", (long)getpid(), (unsigned long long)rnd);
	if (redis_url && *redis_url) {
		p->url = strdup(redis_url);
		if (p->url == NULL || axr_redis_new(redis_url, NULL, &p->pub) != 0)
			goto fail;
	}
	if (pthread_create(&p->thread, NULL, notif_presence_main, p) != 0)
		goto fail;
	p->started = true;
	*out = p;
	return 0;
fail:
	notif_presence_stop(p);
	return AXR_ENOMEM;
}

void notif_presence_stop(notif_presence_t *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	while (p->head) {
		notif_presence_op_t *next = p->head->next;
		free(p->head);
		p->head = next;
	}
	notif_map_clear(&p->counts);
	if (p->store)
		redisFree(p->store);
	axr_redis_free(p->pub);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->url);
	free(p);
}

static void notif_presence_queue(notif_presence_t *p, const char *uid, int delta)
{
	size_t len = strlen(uid);
	notif_presence_op_t *op = malloc(sizeof *op + len + 1);
	if (p == NULL || op == NULL) {
		free(op);
		return;
	}
	op->next = NULL;
	op->delta = delta;
	memcpy(op->uid, uid, len + 1);
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = op;
	else
		p->head = op;
	p->tail = op;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void notif_presence_join(notif_presence_t *p, const char *uid)
{
	notif_presence_queue(p, uid, 1);
}

void notif_presence_leave(notif_presence_t *p, const char *uid)
{
	notif_presence_queue(p, uid, -1);
}

/* ---- GET /presence/{userUid} ---------------------------------------------------------- */

static _Thread_local redisContext *notif_read_conn; /* one per worker */

int notif_presence_get(axr_request_t *req)
{
	int rc = axr_auth_request(req, true, false);
	if (rc != 0)
		return rc;
	const char *uid = axr_request_param(req, "userUid");
	if (uid == NULL || !axr_bus_id_valid(uid, strlen(uid))) {
		axr_field_error_t e = {.path = "/userUid", .message = "must be 1..128 printable characters"};
		return axr_response_error(req, 400, "VALIDATION", "invalid path parameter", &e, 1);
	}
	const char *url = notif.runtime->redis_url;
	if (url == NULL || *url == '\0')
		return axr_response_error(req, 503, NULL, "presence needs redis (AXR_REDIS_URL)", NULL, 0);
	if (notif_read_conn == NULL)
		notif_read_conn = notif_redis_connect(url, 500);
	long long n = notif_read_conn ? notif_eval(notif_read_conn, notif_lua_count, uid, NULL, 0) : -1;
	if (n < 0) {
		if (notif_read_conn)
			redisFree(notif_read_conn);
		notif_read_conn = NULL;
		return axr_response_error(req, 503, NULL, "presence store unavailable", NULL, 0);
	}
	axr_buf_t b = AXR_BUF_INIT;
	notif_presence_json(&b, uid, n > 0);
	rc = axr_buf_ok(&b) ? axr_response_send(req, 200, NULL, b.data, b.len) : AXR_ENOMEM;
	axr_buf_free(&b);
	return rc;
}

void notif_presence_worker_fini(axr_worker_t *w, void *ctx)
{
	(void)w;
	(void)ctx;
	if (notif_read_conn)
		redisFree(notif_read_conn);
	notif_read_conn = NULL;
}
