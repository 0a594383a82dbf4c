/* test_redis.c: the redis layer (runtime/redis.c, redis_sub.c) against real redis servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"
#include "redis.h"
#include "redis_internal.h"
#include "stack_helper.h"

static const char *shared_url;
static axr_test_server_t own_shared;

/* What a subscriber received. */
typedef struct inbox {
	int count;
	char channel[256];
	size_t channel_len;
	char pattern[256];
	bool had_pattern;
	uint8_t data[4096];
	size_t len;
	int state_changes;
	bool connected;
	axr_redis_sub_t *free_me; /* freed from inside the callback when set */
	int confirmed;             /* on_subscribed calls */
	int confirmed_when_connected; /* of those, made before on_state(true) */
	char last_confirmed[256];
	bool free_on_confirm;       /* free_me is freed from on_subscribed instead */
} inbox_t;

static void on_message(const axr_redis_message_t *m, void *ctx)
{
	inbox_t *in = ctx;
	in->count++;
	in->channel_len = m->channel_len < sizeof in->channel ? m->channel_len : sizeof in->channel;
	memcpy(in->channel, m->channel, in->channel_len);
	in->had_pattern = m->pattern != NULL;
	snprintf(in->pattern, sizeof in->pattern, "%.*s", (int)m->pattern_len, m->pattern ? m->pattern : "");
	in->len = m->len < sizeof in->data ? m->len : sizeof in->data;
	memcpy(in->data, m->data, in->len);
	if (in->free_me) {
		axr_redis_sub_free(in->free_me);
		in->free_me = NULL;
	}
}

static void on_state(bool connected, void *ctx)
{
	inbox_t *in = ctx;
	in->state_changes++;
	in->connected = connected;
	if (connected)
		in->confirmed_when_connected = in->confirmed;
}

static void on_subscribed(const char *channel, size_t len, void *ctx)
{
	inbox_t *in = ctx;
	in->confirmed++;
	snprintf(in->last_confirmed, sizeof in->last_confirmed, "%.*s", (int)len, channel);
	if (in->free_on_confirm && in->free_me) {
		axr_redis_sub_free(in->free_me);
		in->free_me = NULL;
	}
}

/* Runs `base` until *flag (an int) reaches `want` or `limit_ms` passes;
 * returns the milliseconds it took, -1 on timeout. */
static long run_until_count(struct event_base *base, const int *flag, int want, long limit_ms)
{
	int64_t t0 = axr_test_now_ms();
	while (*flag < want) {
		if (axr_test_now_ms() - t0 > limit_ms)
			return -1;
		struct timeval tv = {0, 5000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return (long)(axr_test_now_ms() - t0);
}

static long run_until_connected(struct event_base *base, axr_redis_sub_t *sub, bool want, long limit_ms)
{
	int64_t t0 = axr_test_now_ms();
	while (axr_redis_sub_connected(sub) != want) {
		if (axr_test_now_ms() - t0 > limit_ms)
			return -1;
		struct timeval tv = {0, 5000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return (long)(axr_test_now_ms() - t0);
}

static void run_for(struct event_base *base, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static axr_redis_t *open_pub(const char *url, const axr_redis_options_t *opt)
{
	axr_redis_t *r = NULL;
	assert_int_equal(axr_redis_new(url, opt, &r), 0);
	assert_non_null(r);
	return r;
}

static int group_setup(void **state)
{
	(void)state;
	shared_url = axr_test_shared_url("AXR_TEST_REDIS_URL", &own_shared, false);
	return shared_url ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	axr_test_server_destroy(&own_shared);
	return 0;
}

static void test_redis_urls_are_validated(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "http://x", "redis://", "redis://:6379", "redis://h:0",
	                                  "redis://h:70000", "redis://h:12x", "redis://[::1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		axr_redis_t *r = NULL;
		int rc = axr_redis_new(bad[i], NULL, &r);
		if (rc != AXR_ECONFIG)
			print_error("url '%s' -> %s\n", bad[i], axr_errname(rc));
		assert_int_equal(rc, AXR_ECONFIG);
		assert_null(r);
	}
	static const char *const good[] = {"redis://h", "redis://127.0.0.1:6380", "redis://:pw@h:1/0",
	                                   "redis://user:pw@h", "redis://[::1]:6379/2"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		axr_redis_t *r = NULL;
		assert_int_equal(axr_redis_new(good[i], NULL, &r), 0);
		axr_redis_free(r);
	}
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	assert_null(axr_redis_sub_new(base, "redis://", NULL, on_message, &in));
	assert_null(axr_redis_sub_new(base, shared_url, NULL, NULL, &in));
	event_base_free(base);
}

static void test_redis_ping_tells_up_from_down(void **state)
{
	(void)state;
	assert_int_equal(axr_redis_ping(shared_url, 1000), 0);
	char port[32], url[64];
	assert_int_equal(axr_test_stack(port, sizeof port, "free-port"), 0);
	snprintf(url, sizeof url, "redis://127.0.0.1:%s", port);
	double t0 = axr_test_now_s();
	assert_int_equal(axr_redis_ping(url, 1000), AXR_EUNAVAILABLE);
	assert_true(axr_test_now_s() - t0 < 0.5);
	assert_int_equal(axr_redis_ping("nope", 1000), AXR_ECONFIG);
}

static void test_redis_publish_subscribe_roundtrip(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	assert_non_null(sub);
	axr_redis_sub_on_state(sub, on_state);
	char channel[64];
	snprintf(channel, sizeof channel, "axr:test:%d:roundtrip", (int)getpid());
	assert_int_equal(axr_redis_sub_subscribe(sub, channel, strlen(channel)), 0);
	assert_int_equal(axr_redis_sub_subscribe(sub, channel, strlen(channel)), 0);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	assert_true(in.connected);
	assert_int_equal(in.state_changes, 1);

	axr_redis_health_t before, after;
	axr_redis_health(&before);
	axr_redis_t *pub = open_pub(shared_url, NULL);
	assert_int_equal(axr_redis_publish(pub, channel, "hello", 5), 0);
	assert_true(axr_redis_is_up(pub));
	assert_in_range(run_until_count(base, &in.count, 1, 3000), 0, 3000);
	assert_int_equal(in.count, 1);
	assert_int_equal(in.channel_len, strlen(channel));
	assert_memory_equal(in.channel, channel, strlen(channel));
	assert_false(in.had_pattern);
	assert_int_equal(in.len, 5);
	assert_memory_equal(in.data, "hello", 5);
	axr_redis_health(&after);
	assert_int_equal(after.published, before.published + 1);
	assert_int_equal(after.messages_received, before.messages_received + 1);
	assert_true(axr_redis_global_ready());

	/* Empty payloads are messages too. */
	assert_int_equal(axr_redis_publish(pub, channel, NULL, 0), 0);
	assert_in_range(run_until_count(base, &in.count, 2, 3000), 0, 3000);
	assert_int_equal(in.len, 0);

	/* After UNSUBSCRIBE nothing more arrives. */
	assert_int_equal(axr_redis_sub_unsubscribe(sub, channel, strlen(channel)), 0);
	assert_int_equal(axr_redis_sub_unsubscribe(sub, channel, strlen(channel)), AXR_ENOTFOUND);
	run_for(base, 100);
	assert_int_equal(axr_redis_publish(pub, channel, "late", 4), 0);
	run_for(base, 200);
	assert_int_equal(in.count, 2);

	axr_redis_free(pub);
	axr_redis_sub_free(sub);
	event_base_free(base);
}

static void test_redis_binary_channels_payloads_and_patterns(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	char channel[32];
	int n = snprintf(channel, sizeof channel, "axr:%d:", (int)getpid());
	memcpy(channel + n, "b\0\xff\r\n", 5);
	size_t chlen = (size_t)n + 5;
	assert_int_equal(axr_redis_sub_subscribe(sub, channel, chlen), 0);
	char pattern[64];
	snprintf(pattern, sizeof pattern, "axr:%d:p:*", (int)getpid());
	assert_int_equal(axr_redis_sub_psubscribe(sub, pattern, strlen(pattern)), 0);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);

	uint8_t payload[256];
	for (int i = 0; i < 256; i++)
		payload[i] = (uint8_t)(255 - i);
	/* The publisher takes C-string channels; a binary one goes through raw hiredis. */
	int port = 0;
	assert_int_equal(sscanf(shared_url, "redis://127.0.0.1:%d", &port), 1);
	redisContext *raw = redisConnect("127.0.0.1", port);
	assert_true(raw && !raw->err);
	redisReply *rep = redisCommand(raw, "PUBLISH %b %b", channel, chlen, payload, sizeof payload);
	assert_non_null(rep);
	assert_int_equal(rep->integer, 1);
	freeReplyObject(rep);
	redisFree(raw);
	assert_in_range(run_until_count(base, &in.count, 1, 3000), 0, 3000);
	assert_int_equal(in.channel_len, chlen);
	assert_memory_equal(in.channel, channel, chlen);
	assert_int_equal(in.len, sizeof payload);
	assert_memory_equal(in.data, payload, sizeof payload);

	char pchan[64];
	snprintf(pchan, sizeof pchan, "axr:%d:p:user-1", (int)getpid());
	axr_redis_t *pub = open_pub(shared_url, NULL);
	assert_int_equal(axr_redis_publish(pub, pchan, payload, sizeof payload), 0);
	assert_in_range(run_until_count(base, &in.count, 2, 3000), 0, 3000);
	assert_true(in.had_pattern);
	assert_string_equal(in.pattern, pattern);
	assert_int_equal(in.channel_len, strlen(pchan));
	assert_memory_equal(in.channel, pchan, strlen(pchan));
	assert_int_equal(axr_redis_sub_punsubscribe(sub, pattern, strlen(pattern)), 0);
	axr_redis_free(pub);
	axr_redis_sub_free(sub);
	event_base_free(base);
}

static void test_redis_sub_can_be_freed_inside_its_callback(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	char channel[64];
	snprintf(channel, sizeof channel, "axr:test:%d:selffree", (int)getpid());
	axr_redis_sub_subscribe(sub, channel, strlen(channel));
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	axr_redis_health_t before, after;
	axr_redis_health(&before);
	in.free_me = sub;
	axr_redis_t *pub = open_pub(shared_url, NULL);
	assert_int_equal(axr_redis_publish(pub, channel, "1", 1), 0);
	assert_int_equal(axr_redis_publish(pub, channel, "2", 1), 0);
	run_for(base, 200);
	assert_int_equal(in.count, 1); /* nothing delivered after the free */
	axr_redis_health(&after);
	assert_int_equal(after.subscribers, before.subscribers - 1);
	axr_redis_free(pub);
	event_base_free(base);
}

static void test_redis_sub_connect_timeout_retries_a_silent_server(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 64), 0);
	socklen_t sl = sizeof sa;
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	char url[64];
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", ntohs(sa.sin_port));

	axr_redis_options_t o;
	axr_redis_options_init(&o);
	o.connect_timeout_ms = 150;
	o.command_timeout_ms = 150;
	double t0 = axr_test_now_s();
	assert_int_equal(axr_redis_ping(url, 200), AXR_EUNAVAILABLE);
	assert_true(axr_test_now_s() - t0 < 0.5);

	axr_redis_t *pub = open_pub(url, &o);
	t0 = axr_test_now_s();
	assert_int_equal(axr_redis_publish(pub, "x", "y", 1), AXR_EUNAVAILABLE);
	double took = axr_test_now_s() - t0;
	print_message("publish to a silent server failed after %.0f ms\n", took * 1000);
	assert_true(took < 0.4);
	axr_redis_free(pub);

	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, url, &o, on_message, &in);
	run_for(base, 800);
	assert_false(axr_redis_sub_connected(sub));
	assert_false(axr_redis_global_ready());
	axr_redis_sub_free(sub);
	event_base_free(base);
	close(fd);
}

/* ---- a private redis that goes away and comes back --------------------------- */

/* One message on several channels in one round trip: each channel gets it
 * once, in order, and the health view counts every channel. */
static void test_redis_publish_many_reaches_every_channel(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	assert_non_null(sub);
	char names[3][64];
	const char *list[3];
	for (int i = 0; i < 3; i++) {
		snprintf(names[i], sizeof names[i], "axr:test:%d:many:%d", (int)getpid(), i);
		list[i] = names[i];
		assert_int_equal(axr_redis_sub_subscribe(sub, names[i], strlen(names[i])), 0);
	}
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	run_for(base, 100);

	axr_redis_health_t before, after;
	axr_redis_health(&before);
	axr_redis_t *pub = open_pub(shared_url, NULL);
	assert_int_equal(axr_redis_publish_many(pub, list, 3, "many", 4), 0);
	assert_in_range(run_until_count(base, &in.count, 3, 3000), 0, 3000);
	run_for(base, 100);
	assert_int_equal(in.count, 3);
	assert_int_equal(in.len, 4);
	assert_memory_equal(in.data, "many", 4);
	axr_redis_health(&after);
	assert_int_equal(after.published, before.published + 3);

	/* Bad arguments send nothing; no channel is a no-op. */
	const char *bad[2] = {names[0], ""};
	assert_int_equal(axr_redis_publish_many(pub, bad, 2, "x", 1), AXR_EINVAL);
	assert_int_equal(axr_redis_publish_many(pub, list, 0, "x", 1), 0);
	run_for(base, 100);
	assert_int_equal(in.count, 3);

	axr_redis_free(pub);
	axr_redis_sub_free(sub);
	event_base_free(base);
}

static void test_redis_publish_fails_fast_while_down_and_recovers(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, false), 0);
	axr_redis_t *pub = open_pub(srv.url, NULL);
	assert_int_equal(axr_redis_publish(pub, "axr:test:down", "x", 1), 0);
	assert_int_equal(axr_test_server_stop(&srv, NULL), 0);

	axr_redis_health_t before, after;
	axr_redis_health(&before);
	double worst = 0, total = 0;
	int calls = 0;
	int64_t t0 = axr_test_now_ms();
	while (axr_test_now_ms() - t0 < 1500) {
		double c0 = axr_test_now_s();
		int rc = axr_redis_publish(pub, "axr:test:down", "x", 1);
		double took = axr_test_now_s() - c0;
		if (rc != AXR_EUNAVAILABLE)
			print_error("publish %d while down: %s (%s)\n", calls, axr_errname(rc), axr_redis_last_error(pub));
		assert_int_equal(rc, AXR_EUNAVAILABLE);
		worst = took > worst ? took : worst;
		total += took;
		calls++;
		axr_test_sleep_ms(5);
	}
	axr_redis_health(&after);
	uint64_t failed = after.publish_failures - before.publish_failures;
	uint64_t fast = after.publish_fast_failures - before.publish_fast_failures;
	uint64_t attempts = after.publisher_connect_failures - before.publisher_connect_failures;
	print_message("redis stopped: %d publishes in 1.5 s, all AXR_EUNAVAILABLE, worst %.2f ms, mean %.3f ms;"
	              " %llu connect attempts, %llu refused during backoff\n",
	              calls, worst * 1000, total * 1000 / calls, (unsigned long long)attempts,
	              (unsigned long long)fast);
	assert_int_equal(failed, (uint64_t)calls);
	assert_true(worst < 0.1);
	assert_true(attempts >= 2 && attempts <= 10);
	assert_int_equal(fast + attempts, (uint64_t)calls);
	assert_false(axr_redis_is_up(pub));
	assert_in_range(axr_redis_retry_after_ms(pub), 0, 2000);
	assert_true(axr_redis_last_error(pub)[0] != '\0');

	assert_int_equal(axr_test_server_restart(&srv), 0);
	int64_t r0 = axr_test_now_ms();
	long ms = -1;
	while (axr_test_now_ms() - r0 < 8000) {
		if (axr_redis_publish(pub, "axr:test:down", "x", 1) == 0) {
			ms = (long)(axr_test_now_ms() - r0);
			break;
		}
		axr_test_sleep_ms(10);
	}
	print_message("redis restarted: first successful publish after %ld ms\n", ms);
	assert_in_range(ms, 0, 5000);
	axr_redis_free(pub);
	axr_test_server_destroy(&srv);
}

static void test_redis_publisher_replaces_connection_closed_while_idle(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, false), 0);
	axr_redis_t *pub = open_pub(srv.url, NULL);
	assert_int_equal(axr_redis_publish(pub, "axr:test:idle", "x", 1), 0);
	assert_int_equal(axr_test_server_stop(&srv, NULL), 0);
	assert_int_equal(axr_test_server_restart(&srv), 0);
	/* The very first publish after the restart already succeeds. */
	assert_int_equal(axr_redis_publish(pub, "axr:test:idle", "x", 1), 0);
	axr_redis_free(pub);
	axr_test_server_destroy(&srv);
}

static void test_redis_sub_resubscribes_after_restart(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, false), 0);
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, srv.url, NULL, on_message, &in);
	axr_redis_sub_on_state(sub, on_state);
	axr_redis_sub_on_subscribed(sub, on_subscribed);
	/* Enough channels to need several re-SUBSCRIBE batches. */
	char name[64];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "axr:test:many:%d", i);
		assert_int_equal(axr_redis_sub_subscribe(sub, name, strlen(name)), 0);
	}
	char pattern[] = "axr:test:pat:*";
	assert_int_equal(axr_redis_sub_psubscribe(sub, pattern, strlen(pattern)), 0);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	assert_int_equal(in.confirmed, 300); /* each channel, the pattern not */
	assert_int_equal(in.confirmed_when_connected, 300);

	axr_redis_health_t before, after;
	axr_redis_health(&before);
	assert_int_equal(axr_test_server_stop(&srv, NULL), 0);
	long lost = run_until_connected(base, sub, false, 3000);
	print_message("subscriber noticed redis stopping after %ld ms\n", lost);
	assert_in_range(lost, 0, 3000);
	assert_false(in.connected);
	assert_false(axr_redis_global_ready());
	run_for(base, 500); /* a few failed attempts while down */
	assert_false(axr_redis_sub_connected(sub));

	assert_int_equal(axr_test_server_restart(&srv), 0);
	long back = run_until_connected(base, sub, true, 8000);
	print_message("subscriber reconnected and re-subscribed %ld ms after redis restarted\n", back);
	assert_in_range(back, 0, 5000);
	assert_true(in.connected);
	assert_int_equal(in.state_changes, 3);
	assert_int_equal(in.confirmed, 600); /* every channel confirmed again, before the state says so */
	assert_int_equal(in.confirmed_when_connected, 600);
	axr_redis_health(&after);
	assert_int_equal(after.subscriber_disconnects, before.subscriber_disconnects + 1);
	assert_int_equal(after.subscriber_connects, before.subscriber_connects + 1);

	/* Every channel and the pattern are live again, on the server's side too. */
	axr_redis_t *pub = open_pub(srv.url, NULL);
	assert_int_equal(axr_redis_publish(pub, "axr:test:many:299", "again", 5), 0);
	assert_in_range(run_until_count(base, &in.count, 1, 3000), 0, 3000);
	assert_memory_equal(in.data, "again", 5);
	assert_int_equal(axr_redis_publish(pub, "axr:test:many:0", "first", 5), 0);
	assert_int_equal(axr_redis_publish(pub, "axr:test:pat:x", "pat", 3), 0);
	assert_in_range(run_until_count(base, &in.count, 3, 3000), 0, 3000);
	assert_true(in.had_pattern);
	redisContext *raw = redisConnect("127.0.0.1", srv.port);
	redisReply *rep = redisCommand(raw, "PUBSUB NUMPAT");
	assert_int_equal(rep->integer, 1);
	freeReplyObject(rep);
	rep = redisCommand(raw, "PUBSUB CHANNELS axr:test:many:*");
	assert_int_equal(rep->elements, 300);
	freeReplyObject(rep);
	redisFree(raw);
	axr_redis_free(pub);
	axr_redis_sub_free(sub);
	event_base_free(base);
	axr_test_server_destroy(&srv);
}

/* How many clients redis counts on `channel` (PUBSUB NUMSUB). */
static long numsub(const char *url, const char *channel)
{
	axr__redis_url_t u;
	assert_int_equal(axr__redis_url_parse(url, &u), 0);
	redisContext *raw = redisConnect(u.host, u.port);
	assert_non_null(raw);
	redisReply *rep = redisCommand(raw, "PUBSUB NUMSUB %s", channel);
	assert_non_null(rep);
	long n = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 ? rep->element[1]->integer : -1;
	freeReplyObject(rep);
	redisFree(raw);
	return n;
}

static void test_redis_sub_confirms_each_channel_once_subscribed(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	assert_non_null(sub);
	axr_redis_sub_on_state(sub, on_state);
	axr_redis_sub_on_subscribed(sub, on_subscribed);
	char early[64], late[64];
	snprintf(early, sizeof early, "axr:test:%d:confirm-early", (int)getpid());
	snprintf(late, sizeof late, "axr:test:%d:confirm-late", (int)getpid());
	assert_int_equal(axr_redis_sub_subscribe(sub, early, strlen(early)), 0);
	assert_int_equal(axr_redis_sub_psubscribe(sub, "axr:test:confirm:*", 18), 0);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	/* The channel is confirmed with the connection (before it is declared
	 * up), the pattern never. */
	assert_int_equal(in.confirmed, 1);
	assert_int_equal(in.confirmed_when_connected, 1);
	assert_string_equal(in.last_confirmed, early);

	/* A channel added while connected is confirmed once its SUBSCRIBE is
	 * answered, and a message published right then is delivered. */
	axr_redis_t *pub = open_pub(shared_url, NULL);
	for (int round = 0; round < 20; round++) {
		int want = in.confirmed + 1, got = in.count;
		assert_int_equal(axr_redis_sub_subscribe(sub, late, strlen(late)), 0);
		assert_int_equal(in.confirmed, want - 1); /* not before the reply */
		assert_in_range(run_until_count(base, &in.confirmed, want, 3000), 0, 3000);
		assert_string_equal(in.last_confirmed, late);
		assert_int_equal(axr_redis_publish(pub, late, "now", 3), 0);
		assert_in_range(run_until_count(base, &in.count, got + 1, 3000), 0, 3000);
		assert_memory_equal(in.data, "now", 3);
		assert_int_equal(axr_redis_sub_unsubscribe(sub, late, strlen(late)), 0);
	}
	/* Subscribing twice confirms nothing more; unsubscribing confirms nothing. */
	int before = in.confirmed;
	assert_int_equal(axr_redis_sub_subscribe(sub, early, strlen(early)), 0);
	assert_int_equal(axr_redis_sub_unsubscribe(sub, early, strlen(early)), 0);
	run_for(base, 200);
	if (in.confirmed != before)
		fail_msg("confirmations: %d, expected %d", in.confirmed, before);
	assert_int_equal(numsub(shared_url, early), 0);

	/* The callback may free the subscriber. */
	in.free_me = sub;
	in.free_on_confirm = true;
	assert_int_equal(axr_redis_sub_subscribe(sub, late, strlen(late)), 0);
	assert_in_range(run_until_count(base, &in.confirmed, before + 1, 3000), 0, 3000);
	assert_null(in.free_me);
	run_for(base, 50);
	axr_redis_free(pub);
	event_base_free(base);
}

static void test_redis_sub_resubscribe_while_unsubscribe_in_flight_still_delivers(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	axr_redis_sub_on_subscribed(sub, on_subscribed);
	char ch[64];
	snprintf(ch, sizeof ch, "axr:test:%d:churn", (int)getpid());
	assert_int_equal(axr_redis_sub_subscribe(sub, ch, strlen(ch)), 0);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	assert_int_equal(in.confirmed, 1);
	axr_redis_t *pub = open_pub(shared_url, NULL);

	/* UNSUBSCRIBE and SUBSCRIBE again in one loop turn (the last connection
	 * of a user leaves as the next one arrives): the first SUBSCRIBE's reply
	 * comes while the UNSUBSCRIBE still has to run, so it must not count;
	 * each round is confirmed exactly once, by the later SUBSCRIBE, and a
	 * message published then arrives. */
	for (int round = 0; round < 20; round++) {
		int want = in.confirmed + 1, got = in.count;
		assert_int_equal(axr_redis_sub_unsubscribe(sub, ch, strlen(ch)), 0);
		assert_int_equal(axr_redis_sub_subscribe(sub, ch, strlen(ch)), 0);
		if (round % 2) { /* and once more in the same turn */
			assert_int_equal(axr_redis_sub_unsubscribe(sub, ch, strlen(ch)), 0);
			assert_int_equal(axr_redis_sub_subscribe(sub, ch, strlen(ch)), 0);
		}
		assert_in_range(run_until_count(base, &in.confirmed, want, 3000), 0, 3000);
		assert_int_equal(axr_redis_publish(pub, ch, "again", 5), 0);
		assert_in_range(run_until_count(base, &in.count, got + 1, 3000), 0, 3000);
		run_for(base, 20);
		if (in.confirmed != want || in.count != got + 1)
			fail_msg("round %d: %d confirmations (want %d), %d messages (want %d)", round, in.confirmed,
			         want, in.count, got + 1);
	}
	/* Subscribed, unsubscribed, subscribed, unsubscribed in one turn: gone. */
	assert_int_equal(axr_redis_sub_unsubscribe(sub, ch, strlen(ch)), 0);
	assert_int_equal(axr_redis_sub_subscribe(sub, ch, strlen(ch)), 0);
	assert_int_equal(axr_redis_sub_unsubscribe(sub, ch, strlen(ch)), 0);
	run_for(base, 200);
	assert_int_equal(numsub(shared_url, ch), 0);
	int got = in.count;
	assert_int_equal(axr_redis_publish(pub, ch, "gone", 4), 0);
	run_for(base, 200);
	assert_int_equal(in.count, got);
	/* And it can be subscribed again afterwards. */
	assert_int_equal(axr_redis_sub_subscribe(sub, ch, strlen(ch)), 0);
	assert_in_range(run_until_count(base, &in.confirmed, in.confirmed + 1, 3000), 0, 3000);
	assert_int_equal(numsub(shared_url, ch), 1);
	axr_redis_free(pub);
	axr_redis_sub_free(sub);
	event_base_free(base);
}

static pid_t redis_pid(const axr_test_server_t *srv)
{
	char path[300];
	snprintf(path, sizeof path, "%s/redis/redis.pid", srv->dir);
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

static void test_redis_keepalive_detects_a_hung_server(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, false), 0);
	pid_t pid = redis_pid(&srv);
	assert_true(pid > 0);
	axr_redis_options_t o;
	axr_redis_options_init(&o);
	o.keepalive_ms = 200;
	o.connect_timeout_ms = 200;
	o.command_timeout_ms = 200;
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, srv.url, &o, on_message, &in);
	axr_redis_sub_subscribe(sub, "axr:test:hung", 13);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	axr_redis_t *pub = open_pub(srv.url, &o);
	assert_int_equal(axr_redis_publish(pub, "axr:test:hung", "a", 1), 0);

	/* The process stops answering but its sockets stay open. */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	double t0 = axr_test_now_s();
	assert_int_equal(axr_redis_publish(pub, "axr:test:hung", "b", 1), AXR_EUNAVAILABLE);
	double took = axr_test_now_s() - t0;
	long lost = run_until_connected(base, sub, false, 3000);
	print_message("hung redis: publish gave up after %.0f ms; subscriber dropped the link after %ld ms\n",
	              took * 1000, lost);
	kill(pid, SIGCONT);
	assert_true(took < 0.4);
	assert_in_range(lost, 0, 1000);

	long back = run_until_connected(base, sub, true, 5000);
	assert_in_range(back, 0, 5000);
	/* "connected" can come before the re-SUBSCRIBE is confirmed, and pub/sub
	 * keeps nothing: publish until a message arrives (or 5 s pass). */
	int64_t r0 = axr_test_now_ms();
	while (in.count < 2 && axr_test_now_ms() - r0 < 5000) {
		axr_redis_publish(pub, "axr:test:hung", "c", 1);
		run_until_count(base, &in.count, 2, 100);
	}
	assert_true(in.count >= 2);
	assert_memory_equal(in.data, "c", 1);
	axr_redis_free(pub);
	axr_redis_sub_free(sub);
	event_base_free(base);
	axr_test_server_destroy(&srv);
}

static void test_redis_rejects_bad_arguments(void **state)
{
	(void)state;
	axr_redis_t *r = NULL;
	axr_redis_options_t o;
	axr_redis_options_init(&o);
	o.keepalive_ms = 0;
	assert_int_equal(axr_redis_new(shared_url, &o, &r), AXR_EINVAL);
	assert_int_equal(axr_redis_new(NULL, NULL, &r), AXR_EINVAL);
	r = open_pub(shared_url, NULL);
	assert_int_equal(axr_redis_publish(r, "", "x", 1), AXR_EINVAL);
	assert_int_equal(axr_redis_publish(r, "c", NULL, 1), AXR_EINVAL);
	axr_redis_free(r);
	axr_redis_free(NULL);
	axr_redis_sub_free(NULL);
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	assert_int_equal(axr_redis_sub_subscribe(sub, "x", 0), AXR_EINVAL);
	assert_int_equal(axr_redis_sub_punsubscribe(sub, "never", 5), AXR_ENOTFOUND);
	axr_redis_sub_free(sub);
	event_base_free(base);
}

static void test_redis_metrics_render_health_view(void **state)
{
	(void)state;
	axr_metrics_reset();
	assert_int_equal(axr_redis_metrics_register(), 0);
	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = axr_redis_sub_new(base, shared_url, NULL, on_message, &in);
	assert_in_range(run_until_connected(base, sub, true, 3000), 0, 3000);
	axr_buf_t out = AXR_BUF_INIT;
	axr_metrics_render(&out);
	axr_buf_putc(&out, '\0');
	assert_true(axr_buf_ok(&out));
	const char *want[] = {"\naxr_redis_ready 1\n", "\naxr_redis_subscribers{state=\"connected\"} 1\n",
	                      "\naxr_redis_subscribers{state=\"configured\"} 1\n", "# TYPE axr_redis_published gauge\n"};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (!strstr(out.data, want[i]))
			print_error("metrics output:\n%s\nmissing: %s", out.data, want[i]);
		assert_non_null(strstr(out.data, want[i]));
	}
	axr_buf_free(&out);
	axr_metrics_reset();
	axr_redis_sub_free(sub);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_redis_urls_are_validated),
	    cmocka_unit_test(test_redis_ping_tells_up_from_down),
	    cmocka_unit_test(test_redis_publish_subscribe_roundtrip),
	    cmocka_unit_test(test_redis_publish_many_reaches_every_channel),
	    cmocka_unit_test(test_redis_binary_channels_payloads_and_patterns),
	    cmocka_unit_test(test_redis_sub_can_be_freed_inside_its_callback),
	    cmocka_unit_test(test_redis_sub_connect_timeout_retries_a_silent_server),
	    cmocka_unit_test(test_redis_publish_fails_fast_while_down_and_recovers),
	    cmocka_unit_test(test_redis_publisher_replaces_connection_closed_while_idle),
	    cmocka_unit_test(test_redis_sub_confirms_each_channel_once_subscribed),
	    cmocka_unit_test(test_redis_sub_resubscribe_while_unsubscribe_in_flight_still_delivers),
	    cmocka_unit_test(test_redis_sub_resubscribes_after_restart),
	    cmocka_unit_test(test_redis_keepalive_detects_a_hung_server),
	    cmocka_unit_test(test_redis_rejects_bad_arguments),
	    cmocka_unit_test(test_redis_metrics_render_health_view),
	};
	return cmocka_run_group_tests_name("redis", tests, group_setup, group_teardown);
}
