/* test_bus.c: the event bus (runtime/bus.c, bus_sub.c): channels, envelope, publish and subscribe on real redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "axr_event.pb-c.h"
#include "bus.h"
#include "crud.h"
#include "crud_fixture.h"
#include "err.h"
#include "expect_msg.h"
#include "metrics.h"
#include "redis.h"
#include "stack_helper.h"

static const char *shared_url;
static axr_test_server_t own_shared;

/* ---- helpers ---------------------------------------------------------------- */

/* The value of the unlabelled counter `name` in /metrics, or -1. */
static long metric_value(const char *name)
{
	axr_buf_t b = AXR_BUF_INIT;
	long v = -1;
	axr_metrics_render(&b);
	size_t n = strlen(name);
	for (const char *p = b.data; p && *p;) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			v = strtol(p + n + 1, NULL, 10);
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
	axr_buf_free(&b);
	return v;
}

static void run_for(struct event_base *base, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Runs `base` in 5 ms slices until *counter >= want or limit_ms passes;
 * returns true when reached. */
static bool run_until(struct event_base *base, const int *counter, int want, long limit_ms)
{
	int64_t t0 = axr_test_now_ms();
	while (*counter < want) {
		if (axr_test_now_ms() - t0 > limit_ms)
			return false;
		run_for(base, 5);
	}
	return true;
}

/* What a raw redis subscriber got: channel names and payloads. */
#define INBOX_MAX 16
typedef struct inbox {
	int count;
	char channel[INBOX_MAX][AXR_BUS_CHANNEL_MAX + 1];
	axr_buf_t payload[INBOX_MAX];
} inbox_t;

static void inbox_on_message(const axr_redis_message_t *m, void *ctx)
{
	inbox_t *in = ctx;
	if (in->count >= INBOX_MAX)
		return;
	snprintf(in->channel[in->count], sizeof in->channel[0], "%.*s", (int)m->channel_len, m->channel);
	axr_buf_clear(&in->payload[in->count]); /* the test may have reset the count */
	axr_buf_append(&in->payload[in->count], m->data, m->len);
	in->count++;
}

static void inbox_free(inbox_t *in)
{
	for (int i = 0; i < INBOX_MAX; i++)
		axr_buf_free(&in->payload[i]);
}

/* How many messages arrived on `channel`. */
static int inbox_on(const inbox_t *in, const char *channel)
{
	int n = 0;
	for (int i = 0; i < in->count; i++)
		n += strcmp(in->channel[i], channel) == 0;
	return n;
}

static axr_redis_sub_t *subscribe_raw(struct event_base *base, const char *url, inbox_t *in,
                                      const char *const *channels, size_t n)
{
	axr_redis_sub_t *sub = axr_redis_sub_new(base, url, NULL, inbox_on_message, in);
	assert_non_null(sub);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(axr_redis_sub_subscribe(sub, channels[i], strlen(channels[i])), 0);
	int64_t t0 = axr_test_now_ms();
	while (!axr_redis_sub_connected(sub) && axr_test_now_ms() - t0 < 3000)
		run_for(base, 5);
	assert_true(axr_redis_sub_connected(sub));
	return sub;
}

static axr_redis_t *open_pub(const char *url)
{
	axr_redis_t *r = NULL;
	assert_int_equal(axr_redis_new(url, NULL, &r), 0);
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

/* ---- channel names ---------------------------------------------------------- */

static void test_bus_channel_names_per_kind(void **state)
{
	(void)state;
	char ch[AXR_BUS_CHANNEL_MAX + 1];
	size_t len = 0;
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_OBJECT, "0b9e-11", ch, &len), 0);
	assert_string_equal(ch, "axr:obj:0b9e-11");
	assert_int_equal(len, strlen("axr:obj:0b9e-11"));
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_USER, "u1", ch, &len), 0);
	assert_string_equal(ch, "axr:user:u1");
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_PUBLIC, NULL, ch, &len), 0);
	assert_string_equal(ch, "axr:public");
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, "economy", ch, NULL), 0);
	assert_string_equal(ch, "axr:events:economy");
}

static void test_bus_channel_rejects_bad_ids(void **state)
{
	(void)state;
	char ch[AXR_BUS_CHANNEL_MAX + 1], longest[AXR_BUS_ID_MAX + 2];
	static const char *const bad[] = {"", "a b", "tab\there", "nl\n", "\x7f", "caf\xc3\xa9"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		EXPECT_MSG(axr_bus_channel(AXR_BUS_CHANNEL_USER, bad[i], ch, NULL) == AXR_EINVAL,
		           "id '%s' accepted as '%s'", bad[i], ch);
		assert_string_equal(ch, "");
	}
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_OBJECT, NULL, ch, NULL), AXR_EINVAL);
	memset(longest, 'x', AXR_BUS_ID_MAX);
	longest[AXR_BUS_ID_MAX] = '\0';
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_USER, longest, ch, NULL), 0);
	assert_int_equal(strlen(ch), strlen("axr:user:") + AXR_BUS_ID_MAX);
	assert_true(strlen(ch) <= AXR_BUS_CHANNEL_MAX);
	longest[AXR_BUS_ID_MAX] = 'x';
	longest[AXR_BUS_ID_MAX + 1] = '\0';
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_USER, longest, ch, NULL), AXR_EINVAL);
	/* Service names are lower-case words. */
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, "Economy", ch, NULL), AXR_EINVAL);
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, "a:b", ch, NULL), AXR_EINVAL);
	assert_int_equal(axr_bus_channel((axr_bus_channel_kind_t)9, "x", ch, NULL), AXR_EINVAL);
}

static void test_bus_channel_kinds_never_collide(void **state)
{
	(void)state;
	/* An id that spells another kind's prefix still lands in its own kind. */
	char ch[AXR_BUS_CHANNEL_MAX + 1];
	axr_bus_channel_kind_t kind;
	const char *id;
	size_t id_len;
	assert_int_equal(axr_bus_channel(AXR_BUS_CHANNEL_OBJECT, "user:alice", ch, NULL), 0);
	assert_string_equal(ch, "axr:obj:user:alice");
	assert_int_equal(axr_bus_channel_parse(ch, strlen(ch), &kind, &id, &id_len), 0);
	assert_int_equal(kind, AXR_BUS_CHANNEL_OBJECT);
	assert_int_equal(id_len, strlen("user:alice"));
	assert_memory_equal(id, "user:alice", id_len);

	assert_int_equal(axr_bus_channel_parse("axr:user:bob", 12, &kind, &id, &id_len), 0);
	assert_int_equal(kind, AXR_BUS_CHANNEL_USER);
	assert_int_equal(id_len, 3);
	assert_int_equal(axr_bus_channel_parse("axr:public", 10, &kind, &id, &id_len), 0);
	assert_int_equal(kind, AXR_BUS_CHANNEL_PUBLIC);
	assert_int_equal(id_len, 0);
	assert_int_equal(axr_bus_channel_parse("axr:events:economy", 18, &kind, &id, &id_len), 0);
	assert_int_equal(kind, AXR_BUS_CHANNEL_SERVICE);

	static const char *const bad[] = {"axr:publicx", "axr:obj:", "axr:user:a b", "user:bob", "axr:other:x", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		EXPECT_MSG(axr_bus_channel_parse(bad[i], strlen(bad[i]), &kind, &id, &id_len) == AXR_EINVAL,
		           "'%s' parsed as a bus channel", bad[i]);
}

/* ---- the envelope ------------------------------------------------------------ */

static void test_bus_service_name_defaults_to_program_and_is_validated(void **state)
{
	(void)state;
	/* The unit test binary is test_bus: no "axr-" prefix to strip. */
	assert_string_equal(axr_bus_service(), "test_bus");
	assert_int_equal(axr_bus_set_service("Bad Name"), AXR_EINVAL);
	assert_int_equal(axr_bus_set_service(""), AXR_EINVAL);
	assert_string_equal(axr_bus_service(), "test_bus");
	assert_int_equal(axr_bus_set_service("achievement"), 0);
	assert_string_equal(axr_bus_service(), "achievement");
}

static void test_bus_envelope_roundtrip_keeps_every_field(void **state)
{
	(void)state;
	/* Any message serves as "the model": use an Event as the payload. */
	Axr__Event model = AXR__EVENT__INIT;
	model.uid = (char *)"inner";
	const char *audience[] = {"alice", "bob"};
	axr_bus_event_t ev = {
		.type = "UserAchievement", .action = "update", .uid = "obj-1",
		.has_version = true, .version = 7,
		.data = &model.base, .data_json = "{\"uid\":\"obj-1\",\"progress\":3}",
		.audience = audience, .naudience = 2, .is_public = true, .service = "achievement",
	};
	axr_buf_t b = AXR_BUF_INIT;
	assert_int_equal(axr_bus_event_encode(&ev, "2026-01-02T03:04:05.678Z", &b), 0);

	axr_bus_message_t m;
	assert_int_equal(axr_bus_message_decode(b.data, b.len, &m), 0);
	assert_string_equal(m.type, "UserAchievement");
	assert_string_equal(m.action, "update");
	assert_string_equal(m.uid, "obj-1");
	assert_string_equal(m.service, "achievement");
	assert_string_equal(m.time, "2026-01-02T03:04:05.678Z");
	assert_true(m.has_version);
	assert_int_equal(m.version, 7);
	assert_string_equal(m.data_json, "{\"uid\":\"obj-1\",\"progress\":3}");
	assert_int_equal(m.naudience, 2);
	assert_string_equal(m.audience[0], "alice");
	assert_string_equal(m.audience[1], "bob");
	assert_true(m.is_public);
	assert_true(axr_bus_message_audience_has(&m, "bob", 3));
	assert_false(axr_bus_message_audience_has(&m, "bo", 2));
	Axr__Event *inner = axr__event__unpack(NULL, m.data_len, m.data);
	assert_non_null(inner);
	assert_string_equal(inner->uid, "inner");
	axr__event__free_unpacked(inner, NULL);
	axr_bus_message_clear(&m);
	axr_buf_free(&b);
}

static void test_bus_envelope_without_optional_fields(void **state)
{
	(void)state;
	axr_bus_event_t ev = {.type = "Item", .action = "delete", .uid = "i1", .service = "economy"};
	axr_buf_t b = AXR_BUF_INIT;
	assert_int_equal(axr_bus_event_encode(&ev, "t", &b), 0);
	axr_bus_message_t m;
	assert_int_equal(axr_bus_message_decode(b.data, b.len, &m), 0);
	assert_false(m.has_version);
	assert_null(m.data);
	assert_int_equal(m.data_len, 0);
	assert_null(m.data_json);
	assert_int_equal(m.naudience, 0);
	assert_false(m.is_public);
	axr_bus_message_clear(&m);
	axr_bus_message_clear(&m); /* a cleared message clears again */
	axr_buf_free(&b);
}

static void test_bus_encode_rejects_invalid_events(void **state)
{
	(void)state;
	const char *bad_aud[] = {"ok", "has space"};
	const char *null_aud[] = {NULL};
	const axr_bus_event_t bad[] = {
		{.action = "create", .uid = "u"},
		{.type = "T", .uid = "u"},
		{.type = "T", .action = "create"},
		{.type = "T y", .action = "create", .uid = "u"},
		{.type = "T", .action = "Create", .uid = "u"},
		{.type = "T", .action = "create", .uid = "u v"},
		{.type = "T", .action = "create", .uid = "u", .audience = bad_aud, .naudience = 2},
		{.type = "T", .action = "create", .uid = "u", .audience = null_aud, .naudience = 1},
		{.type = "T", .action = "create", .uid = "u", .naudience = 1},
		{.type = "T", .action = "create", .uid = "u", .service = "Nope"},
		{.type = "T", .action = "create", .uid = "u", .data_json = "\"\xff\""},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		axr_buf_t b = AXR_BUF_INIT;
		int rc = axr_bus_event_encode(&bad[i], "t", &b);
		EXPECT_MSG(rc == AXR_EINVAL, "case %zu: got %s, want INVAL", i, axr_errname(rc));
		assert_int_equal(b.len, 0);
		axr_buf_free(&b);
	}
	axr_buf_t b = AXR_BUF_INIT;
	assert_int_equal(axr_bus_event_encode(NULL, "t", &b), AXR_EINVAL);
	axr_buf_free(&b);
}

static void test_bus_decode_rejects_what_the_publisher_never_sends(void **state)
{
	(void)state;
	axr_bus_message_t m;
	assert_int_equal(axr_bus_message_decode("\xff\xff\xff", 3, &m), AXR_EPARSE);
	assert_null(m.internal_);
	/* A valid protobuf Event missing its uid, or with a bad audience uid. */
	Axr__Event e = AXR__EVENT__INIT;
	e.type = (char *)"T";
	e.action = (char *)"create";
	uint8_t buf[256];
	size_t n = axr__event__pack(&e, buf);
	assert_int_equal(axr_bus_message_decode(buf, n, &m), AXR_EPARSE);
	e.uid = (char *)"u";
	char *aud[] = {(char *)"a\x01"};
	e.audience = aud;
	e.n_audience = 1;
	n = axr__event__pack(&e, buf);
	assert_int_equal(axr_bus_message_decode(buf, n, &m), AXR_EPARSE);
	e.n_audience = 0;
	e.data_json = (char *)"\"\xc0\x80\""; /* overlong NUL: not UTF-8 */
	n = axr__event__pack(&e, buf);
	assert_int_equal(axr_bus_message_decode(buf, n, &m), AXR_EPARSE);
	e.data_json = NULL;
	n = axr__event__pack(&e, buf);
	assert_int_equal(axr_bus_message_decode(buf, n, &m), 0);
	axr_bus_message_clear(&m);
	assert_int_equal(axr_bus_message_decode(NULL, 0, &m), AXR_EPARSE); /* empty: no type */
}

static void test_bus_client_json_uses_data_json_or_uid_and_version(void **state)
{
	(void)state;
	axr_bus_message_t m = {.type = "Wallet", .action = "update", .uid = "w\"1", .has_version = true,
	                       .version = 12, .data_json = "{\"uid\":\"w1\",\"coins\":[1,2]}"};
	axr_buf_t b = AXR_BUF_INIT;
	assert_int_equal(axr_bus_message_to_json(&m, &b), 0);
	assert_string_equal(b.data, "{\"type\":\"Wallet\",\"action\":\"update\",\"data\":{\"uid\":\"w1\",\"coins\":[1,2]}}");
	axr_buf_clear(&b);
	m.data_json = NULL;
	assert_int_equal(axr_bus_message_to_json(&m, &b), 0);
	assert_string_equal(b.data, "{\"type\":\"Wallet\",\"action\":\"update\",\"data\":{\"uid\":\"w\\\"1\",\"version\":12}}");
	axr_buf_clear(&b);
	m.has_version = false;
	assert_int_equal(axr_bus_message_to_json(&m, &b), 0);
	assert_string_equal(b.data, "{\"type\":\"Wallet\",\"action\":\"update\",\"data\":{\"uid\":\"w\\\"1\"}}");
	axr_buf_free(&b);
}

static void test_bus_client_json_refuses_data_that_is_not_json(void **state)
{
	(void)state;
	static const char *const bad[] = {"{", "{\"a\":1,}", "{\"a\":1}{", "nope", "{\"a\":1,\"a\":2}", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		axr_bus_message_t m = {.type = "T", .action = "create", .uid = "u", .data_json = bad[i]};
		axr_buf_t b = AXR_BUF_INIT;
		axr_buf_puts(&b, "keep");
		int rc = axr_bus_message_to_json(&m, &b);
		EXPECT_MSG(rc == AXR_EPARSE, "data_json '%s': got %s", bad[i], axr_errname(rc));
		assert_string_equal(b.data, "keep");
		axr_buf_free(&b);
	}
}

/* ---- publishing on real redis ------------------------------------------------- */

static void test_bus_publish_reaches_every_channel_once(void **state)
{
	(void)state;
	char obj[64], alice[64], bob[64], ch[5][AXR_BUS_CHANNEL_MAX + 1];
	snprintf(obj, sizeof obj, "obj-%d", (int)getpid());
	snprintf(alice, sizeof alice, "alice-%d", (int)getpid());
	snprintf(bob, sizeof bob, "bob-%d", (int)getpid());
	axr_bus_channel(AXR_BUS_CHANNEL_OBJECT, obj, ch[0], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_USER, alice, ch[1], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_USER, bob, ch[2], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_PUBLIC, NULL, ch[3], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, "achievement", ch[4], NULL);
	const char *channels[] = {ch[0], ch[1], ch[2], ch[3], ch[4]};

	struct event_base *base = event_base_new();
	inbox_t in = {0};
	axr_redis_sub_t *sub = subscribe_raw(base, shared_url, &in, channels, 5);
	axr_worker_t w = {.redis = open_pub(shared_url)};
	long ok0 = metric_value("axr_bus_published_total");
	long fail0 = metric_value("axr_bus_publish_failures_total");

	const char *audience[] = {alice, bob, alice}; /* a repeated uid gets one message */
	axr_bus_event_t ev = {.type = "UserAchievement", .action = "create", .uid = obj, .has_version = true,
	                      .version = 1, .data_json = "{\"done\":true}", .audience = audience, .naudience = 3,
	                      .is_public = true, .service = "achievement"};
	assert_int_equal(axr_bus_publish(&w, &ev), 0);
	assert_true(run_until(base, &in.count, 5, 3000));
	run_for(base, 100); /* anything extra would show up now */
	assert_int_equal(in.count, 5);
	for (int i = 0; i < 5; i++)
		EXPECT_MSG(inbox_on(&in, ch[i]) == 1, "%d messages on %s", inbox_on(&in, ch[i]), ch[i]);
	assert_int_equal(metric_value("axr_bus_published_total"), ok0 + 1);
	assert_int_equal(metric_value("axr_bus_publish_failures_total"), fail0);

	/* Every copy is the same envelope, stamped with the service and a UTC time. */
	axr_bus_message_t m;
	assert_int_equal(axr_bus_message_decode(in.payload[0].data, in.payload[0].len, &m), 0);
	assert_string_equal(m.service, "achievement");
	assert_string_equal(m.data_json, "{\"done\":true}");
	assert_int_equal(m.naudience, 3);
	EXPECT_MSG(strlen(m.time) == 24 && m.time[4] == '-' && m.time[10] == 'T' && m.time[19] == '.' &&
	               m.time[23] == 'Z',
	           "time '%s' is not RFC 3339 UTC with milliseconds", m.time);
	axr_bus_message_clear(&m);
	for (int i = 1; i < 5; i++) {
		assert_int_equal(in.payload[i].len, in.payload[0].len);
		assert_memory_equal(in.payload[i].data, in.payload[0].data, in.payload[0].len);
	}

	/* A private event goes to neither axr:public nor other users. */
	in.count = 0;
	const char *only_bob[] = {bob};
	axr_bus_event_t priv = {.type = "Wallet", .action = "update", .uid = obj, .audience = only_bob,
	                        .naudience = 1, .service = "achievement"};
	assert_int_equal(axr_bus_publish(&w, &priv), 0);
	assert_true(run_until(base, &in.count, 3, 3000));
	run_for(base, 100);
	assert_int_equal(in.count, 3);
	assert_int_equal(inbox_on(&in, ch[0]), 1);
	assert_int_equal(inbox_on(&in, ch[2]), 1);
	assert_int_equal(inbox_on(&in, ch[4]), 1);

	axr_redis_free(w.redis);
	axr_redis_sub_free(sub);
	inbox_free(&in);
	event_base_free(base);
}

static void test_bus_publish_failures_are_counted_never_fatal(void **state)
{
	(void)state;
	axr_bus_event_t ev = {.type = "T", .action = "update", .uid = "u1", .service = "achievement"};
	long ok0 = metric_value("axr_bus_published_total");
	long fail0 = metric_value("axr_bus_publish_failures_total");

	/* No redis configured. */
	assert_int_equal(axr_bus_publish(NULL, &ev), AXR_EUNAVAILABLE);
	axr_worker_t none = {0};
	assert_int_equal(axr_bus_publish(&none, &ev), AXR_EUNAVAILABLE);
	/* redis not running: fails fast, the request would go on. */
	char port[32], url[64];
	assert_int_equal(axr_test_stack(port, sizeof port, "free-port"), 0);
	snprintf(url, sizeof url, "redis://127.0.0.1:%s", port);
	axr_worker_t dead = {.redis = open_pub(url)};
	double t0 = axr_test_now_s();
	assert_int_equal(axr_bus_publish(&dead, &ev), AXR_EUNAVAILABLE);
	assert_int_equal(axr_bus_publish(&dead, &ev), AXR_EUNAVAILABLE);
	double took = axr_test_now_s() - t0;
	EXPECT_MSG(took < 1.0, "two failed publishes took %.3f s", took);
	/* An invalid event publishes nothing. */
	axr_worker_t live = {.redis = open_pub(shared_url)};
	axr_bus_event_t bad = {.type = "T", .action = "update", .uid = "has space"};
	assert_int_equal(axr_bus_publish(&live, &bad), AXR_EINVAL);

	assert_int_equal(metric_value("axr_bus_published_total"), ok0);
	assert_int_equal(metric_value("axr_bus_publish_failures_total"), fail0 + 5);
	axr_redis_free(dead.redis);
	axr_redis_free(live.redis);
}

/* ---- entity changes ------------------------------------------------------------- */

/* Subscribes to the object, owner, other user and service channels of an
 * Item change, runs `publish_fn`, and returns what arrived on each. */
typedef struct entity_case {
	inbox_t in;
	char ch[4][AXR_BUS_CHANNEL_MAX + 1]; /* obj, owner, other user, service */
} entity_case_t;

static void entity_case_listen(entity_case_t *c, struct event_base *base, axr_redis_sub_t **sub, const char *obj)
{
	memset(c, 0, sizeof *c);
	axr_bus_channel(AXR_BUS_CHANNEL_OBJECT, obj, c->ch[0], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_USER, FIX_USER_A, c->ch[1], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_USER, FIX_USER_B, c->ch[2], NULL);
	axr_bus_channel(AXR_BUS_CHANNEL_SERVICE, axr_bus_service(), c->ch[3], NULL);
	const char *channels[] = {c->ch[0], c->ch[1], c->ch[2], c->ch[3]};
	*sub = subscribe_raw(base, shared_url, &c->in, channels, 4);
}

static Crudtest__Item *item_row(axr_arena_t *a, const char *uid, int64_t version)
{
	Crudtest__Item *row = axr_arena_calloc(a, 1, sizeof *row);
	crudtest__item__init(row);
	row->uid = (char *)(uintptr_t)uid;
	row->has_version = version >= 0;
	row->version = version;
	row->name = (char *)"sword";
	row->owner_uid = (char *)FIX_USER_A;
	return row;
}

static void test_bus_entity_change_goes_to_object_owner_and_service(void **state)
{
	(void)state;
	char obj[64];
	snprintf(obj, sizeof obj, "11111111-0000-4000-8000-%012d", (int)getpid());
	struct event_base *base = event_base_new();
	axr_redis_sub_t *sub = NULL;
	entity_case_t c;
	entity_case_listen(&c, base, &sub, obj);
	axr_worker_t w = {.redis = open_pub(shared_url)};
	axr_arena_t *a = axr_arena_new(0);

	assert_int_equal(axr_bus_publish_entity(&w, a, &fix_item, "update", &item_row(a, obj, 3)->base), 0);
	assert_true(run_until(base, &c.in.count, 3, 3000));
	run_for(base, 100);
	assert_int_equal(c.in.count, 3);
	assert_int_equal(inbox_on(&c.in, c.ch[0]), 1);
	assert_int_equal(inbox_on(&c.in, c.ch[1]), 1); /* x-axr-owner */
	assert_int_equal(inbox_on(&c.in, c.ch[2]), 0);
	assert_int_equal(inbox_on(&c.in, c.ch[3]), 1);
	axr_bus_message_t m;
	assert_int_equal(axr_bus_message_decode(c.in.payload[0].data, c.in.payload[0].len, &m), 0);
	assert_string_equal(m.type, "Item");
	assert_string_equal(m.action, "update");
	assert_string_equal(m.uid, obj);
	assert_true(m.has_version);
	assert_int_equal(m.version, 3);
	assert_int_equal(m.naudience, 1);
	assert_string_equal(m.audience[0], FIX_USER_A);
	assert_false(m.is_public);
	Crudtest__Item *back = crudtest__item__unpack(NULL, m.data_len, m.data);
	assert_non_null(back);
	assert_string_equal(back->name, "sword");
	crudtest__item__free_unpacked(back, NULL);
	axr_bus_message_clear(&m);

	/* A delete carries no model: clients get uid and version. */
	c.in.count = 0;
	assert_int_equal(axr_bus_publish_entity(&w, a, &fix_item, "delete", &item_row(a, obj, 4)->base), 0);
	assert_true(run_until(base, &c.in.count, 3, 3000));
	assert_int_equal(axr_bus_message_decode(c.in.payload[0].data, c.in.payload[0].len, &m), 0);
	assert_null(m.data);
	axr_buf_t json = AXR_BUF_INIT;
	assert_int_equal(axr_bus_message_to_json(&m, &json), 0);
	char want[160];
	snprintf(want, sizeof want, "{\"type\":\"Item\",\"action\":\"delete\",\"data\":{\"uid\":\"%s\",\"version\":4}}", obj);
	assert_string_equal(json.data, want);
	axr_buf_free(&json);
	axr_bus_message_clear(&m);

	/* An entity without owner or channels: object and service channels only. */
	c.in.count = 0;
	Crudtest__Gadget *g = axr_arena_calloc(a, 1, sizeof *g);
	crudtest__gadget__init(g);
	g->uid = obj;
	assert_int_equal(axr_bus_publish_entity(&w, a, &fix_gadget, "create", &g->base), 0);
	assert_true(run_until(base, &c.in.count, 2, 3000));
	run_for(base, 100);
	assert_int_equal(c.in.count, 2);
	assert_int_equal(inbox_on(&c.in, c.ch[0]), 1);
	assert_int_equal(inbox_on(&c.in, c.ch[3]), 1);

	/* A row without a uid is not an event. */
	long fail0 = metric_value("axr_bus_publish_failures_total");
	assert_int_equal(axr_bus_publish_entity(&w, a, &fix_item, "update", &item_row(a, NULL, 1)->base), AXR_EINVAL);
	assert_int_equal(metric_value("axr_bus_publish_failures_total"), fail0 + 1);

	axr_arena_free(a);
	axr_redis_free(w.redis);
	axr_redis_sub_free(sub);
	inbox_free(&c.in);
	event_base_free(base);
}

static void test_bus_crud_hook_publishes_writes_but_not_truncate(void **state)
{
	(void)state;
	char obj[64];
	snprintf(obj, sizeof obj, "22222222-0000-4000-8000-%012d", (int)getpid());
	struct event_base *base = event_base_new();
	axr_redis_sub_t *sub = NULL;
	entity_case_t c;
	entity_case_listen(&c, base, &sub, obj);
	axr_worker_t w = {.redis = open_pub(shared_url)};
	axr_request_t req = {.arena = axr_arena_new(0), .worker = &w};

	axr_bus_crud_changed(&req, &fix_item, AXR_CRUD_ACTION_TRUNCATE, NULL);
	axr_bus_crud_changed(&req, &fix_item, AXR_CRUD_ACTION_CREATE, &item_row(req.arena, obj, 0)->base);
	assert_true(run_until(base, &c.in.count, 3, 3000));
	run_for(base, 100);
	assert_int_equal(c.in.count, 3);
	axr_bus_message_t m;
	assert_int_equal(axr_bus_message_decode(c.in.payload[0].data, c.in.payload[0].len, &m), 0);
	assert_string_equal(m.action, "create");
	assert_int_equal(m.version, 0);
	axr_bus_message_clear(&m);

	axr_arena_free(req.arena);
	axr_redis_free(w.redis);
	axr_redis_sub_free(sub);
	inbox_free(&c.in);
	event_base_free(base);
}

/* ---- service subscriptions ---------------------------------------------------- */

typedef struct got {
	int count;
	char last[128];
	axr_bus_subscription_t *cancel; /* unsubscribed from inside the handler when set */
} got_t;

static void on_event(const axr_bus_message_t *m, void *ctx)
{
	got_t *g = ctx;
	g->count++;
	snprintf(g->last, sizeof g->last, "%s/%s/%s/%s", m->service, m->type, m->action, m->uid);
	if (g->cancel) {
		axr_bus_unsubscribe(g->cancel);
		g->cancel = NULL;
	}
}

static bool run_until_connected(struct event_base *base, axr_bus_subscription_t *s, long limit_ms)
{
	int64_t t0 = axr_test_now_ms();
	while (!axr_bus_subscription_connected(s)) {
		if (axr_test_now_ms() - t0 > limit_ms)
			return false;
		run_for(base, 5);
	}
	return true;
}

static void publish(axr_worker_t *w, const char *service, const char *type, const char *action, const char *uid)
{
	axr_bus_event_t ev = {.type = type, .action = action, .uid = uid, .service = service};
	assert_int_equal(axr_bus_publish(w, &ev), 0);
}

static void test_bus_subscribe_filters_by_service_type_and_action(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	got_t any = {0}, wallet = {0}, wallet_update = {0};
	axr_bus_subscription_t *s1 = NULL, *s2 = NULL, *s3 = NULL;
	assert_int_equal(axr_bus_subscribe(base, shared_url, "economy", NULL, NULL, on_event, &any, &s1), 0);
	assert_int_equal(axr_bus_subscribe(base, shared_url, "economy", "Wallet", "*", on_event, &wallet, &s2), 0);
	assert_int_equal(axr_bus_subscribe(base, shared_url, "economy", "Wallet", "update", on_event,
	                                   &wallet_update, &s3), 0);
	assert_true(run_until_connected(base, s1, 3000));
	assert_true(axr_bus_subscription_connected(s3));

	axr_worker_t w = {.redis = open_pub(shared_url)};
	publish(&w, "economy", "Wallet", "create", "w1");
	publish(&w, "economy", "Wallet", "update", "w1");
	publish(&w, "economy", "Item", "update", "i1");
	publish(&w, "achievement", "Wallet", "update", "w9"); /* another service: nobody here */
	assert_true(run_until(base, &any.count, 3, 3000));
	run_for(base, 100);
	assert_int_equal(any.count, 3);
	assert_int_equal(wallet.count, 2);
	assert_int_equal(wallet_update.count, 1);
	assert_string_equal(wallet_update.last, "economy/Wallet/update/w1");
	assert_string_equal(any.last, "economy/Item/update/i1");

	/* Unsubscribing one leaves the others (same redis subscriber) working. */
	axr_bus_unsubscribe(s2);
	publish(&w, "economy", "Wallet", "update", "w2");
	assert_true(run_until(base, &any.count, 4, 3000));
	assert_true(run_until(base, &wallet_update.count, 2, 3000));
	run_for(base, 50);
	assert_int_equal(wallet.count, 2);

	/* A handler may cancel its own subscription: no further calls. */
	any.cancel = s1;
	publish(&w, "economy", "Item", "delete", "i1");
	publish(&w, "economy", "Item", "delete", "i2");
	run_for(base, 200);
	assert_int_equal(any.count, 5);
	axr_bus_unsubscribe(s3);
	axr_redis_free(w.redis);
	event_base_free(base);
}

static void test_bus_subscribe_rejects_bad_arguments(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	got_t g = {0};
	axr_bus_subscription_t *s = (axr_bus_subscription_t *)&g; /* must be reset to NULL */
	assert_int_equal(axr_bus_subscribe(base, shared_url, "Bad", NULL, NULL, on_event, &g, &s), AXR_EINVAL);
	assert_null(s);
	assert_int_equal(axr_bus_subscribe(base, shared_url, "eco", "Bad Type", NULL, on_event, &g, &s), AXR_EINVAL);
	assert_int_equal(axr_bus_subscribe(base, shared_url, "eco", NULL, "Upper", on_event, &g, &s), AXR_EINVAL);
	assert_int_equal(axr_bus_subscribe(base, "http://x", "eco", NULL, NULL, on_event, &g, &s), AXR_EINVAL);
	assert_int_equal(axr_bus_subscribe(base, shared_url, "eco", NULL, NULL, NULL, &g, &s), AXR_EINVAL);
	assert_int_equal(axr_bus_subscribe(NULL, shared_url, "eco", NULL, NULL, on_event, &g, &s), AXR_EINVAL);
	axr_bus_unsubscribe(NULL);
	assert_false(axr_bus_subscription_connected(NULL));
	event_base_free(base);
}

static void test_bus_subscription_comes_back_after_redis_restarts(void **state)
{
	(void)state;
	axr_test_server_t own;
	assert_int_equal(axr_test_server_start(&own, false), 0);
	struct event_base *base = event_base_new();
	got_t g = {0};
	axr_bus_subscription_t *s = NULL;
	assert_int_equal(axr_bus_subscribe(base, own.url, "economy", "Wallet", NULL, on_event, &g, &s), 0);
	assert_true(run_until_connected(base, s, 3000));
	axr_worker_t w = {.redis = open_pub(own.url)};
	publish(&w, "economy", "Wallet", "update", "before");
	assert_true(run_until(base, &g.count, 1, 3000));

	assert_int_equal(axr_test_server_stop(&own, NULL), 0);
	int64_t t0 = axr_test_now_ms();
	while (axr_bus_subscription_connected(s) && axr_test_now_ms() - t0 < 5000)
		run_for(base, 10);
	assert_false(axr_bus_subscription_connected(s));
	assert_int_equal(axr_test_server_restart(&own), 0);
	assert_true(run_until_connected(base, s, 10000));
	/* The publisher reconnects after its backoff: retry until accepted. */
	t0 = axr_test_now_ms();
	axr_bus_event_t ev = {.type = "Wallet", .action = "update", .uid = "after", .service = "economy"};
	while (axr_bus_publish(&w, &ev) != 0 && axr_test_now_ms() - t0 < 5000)
		run_for(base, 50);
	assert_true(run_until(base, &g.count, 2, 3000));
	assert_string_equal(g.last, "economy/Wallet/update/after");

	axr_bus_unsubscribe(s);
	axr_redis_free(w.redis);
	event_base_free(base);
	axr_test_server_destroy(&own);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bus_channel_names_per_kind),
	    cmocka_unit_test(test_bus_channel_rejects_bad_ids),
	    cmocka_unit_test(test_bus_channel_kinds_never_collide),
	    cmocka_unit_test(test_bus_service_name_defaults_to_program_and_is_validated),
	    cmocka_unit_test(test_bus_envelope_roundtrip_keeps_every_field),
	    cmocka_unit_test(test_bus_envelope_without_optional_fields),
	    cmocka_unit_test(test_bus_encode_rejects_invalid_events),
	    cmocka_unit_test(test_bus_decode_rejects_what_the_publisher_never_sends),
	    cmocka_unit_test(test_bus_client_json_uses_data_json_or_uid_and_version),
	    cmocka_unit_test(test_bus_client_json_refuses_data_that_is_not_json),
	    cmocka_unit_test(test_bus_publish_reaches_every_channel_once),
	    cmocka_unit_test(test_bus_publish_failures_are_counted_never_fatal),
	    cmocka_unit_test(test_bus_entity_change_goes_to_object_owner_and_service),
	    cmocka_unit_test(test_bus_crud_hook_publishes_writes_but_not_truncate),
	    cmocka_unit_test(test_bus_subscribe_filters_by_service_type_and_action),
	    cmocka_unit_test(test_bus_subscribe_rejects_bad_arguments),
	    cmocka_unit_test(test_bus_subscription_comes_back_after_redis_restarts),
	};
	return cmocka_run_group_tests_name("bus", tests, group_setup, group_teardown);
}
