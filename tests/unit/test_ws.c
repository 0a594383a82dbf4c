/* test_ws.c: unit tests for the websocket engine (runtime/ws.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "ws.h"

/* ---- harness: an engine whose callbacks record what they see ---- */

enum { MAX_EVENTS = 64 };

typedef struct event {
	char kind; /* 'M' message, 'I' ping, 'O' pong, 'C' close */
	int value; /* opcode for messages, code for close */
	uint8_t *data;
	size_t len;
	int terminated; /* data[len] == 0 as promised */
	axr_ws_state_t state; /* engine state seen inside the callback */
} event_t;

typedef struct harness {
	axr_ws_t *ws;
	event_t events[MAX_EVENTS];
	size_t count;
	/* When non-zero, on_message answers by closing with this code. */
	int close_on_message;
	uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
	size_t frame_len;
} harness_t;

static void record(harness_t *h, char kind, int value, const void *data, size_t len)
{
	event_t *e;

	assert_true(h->count < MAX_EVENTS);
	e = &h->events[h->count++];
	e->kind = kind;
	e->value = value;
	e->len = len;
	e->data = malloc(len + 1);
	assert_non_null(e->data);
	memcpy(e->data, data, len);
	e->terminated = ((const uint8_t *)data)[len] == 0;
	e->state = axr_ws_state(h->ws);
}

static void on_message(void *user, axr_ws_opcode_t opcode, const uint8_t *payload, size_t len)
{
	harness_t *h = user;

	record(h, 'M', (int)opcode, payload, len);
	if (h->close_on_message != 0)
		assert_int_equal(axr_ws_close(h->ws, h->close_on_message, "bye", 3, h->frame,
		                              &h->frame_len),
		                 0);
}

static void on_ping(void *user, const uint8_t *payload, size_t len)
{
	record(user, 'I', 0, payload, len);
}

static void on_pong(void *user, const uint8_t *payload, size_t len)
{
	record(user, 'O', 0, payload, len);
}

static void on_close(void *user, int code, const char *reason, size_t len)
{
	record(user, 'C', code, reason, len);
}

static const axr_ws_callbacks_t recording = {
	.on_message = on_message,
	.on_ping = on_ping,
	.on_pong = on_pong,
	.on_close = on_close,
};

static void harness_clear(harness_t *h)
{
	for (size_t i = 0; i < h->count; i++)
		free(h->events[i].data);
	axr_ws_free(h->ws);
	memset(h, 0, sizeof *h);
}

static void harness_start(harness_t *h, axr_ws_role_t role, size_t max_message)
{
	axr_ws_options_t options = {.role = role, .max_message = max_message};

	harness_clear(h);
	h->ws = axr_ws_new(&options, &recording, h);
	assert_non_null(h->ws);
}

static int setup(void **state)
{
	harness_t *h = calloc(1, sizeof *h);

	if (h == NULL)
		return -1;
	h->ws = axr_ws_new(NULL, &recording, h);
	*state = h;
	return h->ws == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	harness_clear(*state);
	free(*state);
	return 0;
}

static int feed_bytewise(axr_ws_t *ws, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int rc = axr_ws_feed(ws, data + i, 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- frames written by hand (independent of the engine's encoder) ---- */

static const uint8_t test_key[4] = {0x37, 0xfa, 0x21, 0x3d};

/* Writes first byte `b0`, the shortest length encoding, the mask key when
 * `masked`, and the payload (masked with test_key when `masked`). */
static size_t raw_frame(uint8_t *out, uint8_t b0, const void *payload, size_t len, int masked)
{
	size_t n = 0;
	uint8_t mask_bit = masked ? 0x80 : 0;

	out[n++] = b0;
	if (len < 126) {
		out[n++] = (uint8_t)(mask_bit | len);
	} else if (len <= 0xFFFF) {
		out[n++] = mask_bit | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = mask_bit | 127;
		for (int shift = 56; shift >= 0; shift -= 8)
			out[n++] = (uint8_t)((uint64_t)len >> shift);
	}
	if (masked) {
		memcpy(out + n, test_key, 4);
		n += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[n + i] = ((const uint8_t *)payload)[i] ^ (masked ? test_key[i % 4] : 0);
	return n + len;
}

/* A masked client frame with FIN set. */
static size_t client_frame(uint8_t *out, axr_ws_opcode_t opcode, const void *payload, size_t len)
{
	return raw_frame(out, (uint8_t)(0x80 | opcode), payload, len, 1);
}

/* ---- split-independence: the same stream gives the same result in any split ---- */

typedef struct outcome {
	int rc;
	axr_ws_state_t state;
	int close_code;
	char log[4096]; /* the events, serialized */
	size_t log_len;
} outcome_t;

static void serialize(const harness_t *h, outcome_t *o)
{
	o->log_len = 0;
	for (size_t i = 0; i < h->count; i++) {
		const event_t *e = &h->events[i];
		int n = snprintf(o->log + o->log_len, sizeof o->log - o->log_len, "%c%d:%zu:", e->kind,
		                 e->value, e->len);
		assert_true(n > 0 && (size_t)n < sizeof o->log - o->log_len);
		o->log_len += (size_t)n;
		size_t take = e->len < 64 ? e->len : 64;
		assert_true(o->log_len + take + 1 < sizeof o->log);
		memcpy(o->log + o->log_len, e->data, take);
		o->log_len += take;
		o->log[o->log_len++] = ';';
	}
}

/* Feeds `data` in pieces of `step` bytes (0 = all at once) to a new engine. */
static void run_split(axr_ws_role_t role, size_t max_message, const uint8_t *data, size_t len,
                      size_t step, size_t cut, outcome_t *o)
{
	harness_t h = {0};
	size_t i = 0;

	harness_start(&h, role, max_message);
	o->rc = 0;
	if (cut > 0) {
		o->rc = axr_ws_feed(h.ws, data, cut);
		i = cut;
	}
	while (o->rc == 0 && i < len) {
		size_t n = step == 0 || step > len - i ? len - i : step;
		o->rc = axr_ws_feed(h.ws, data + i, n);
		i += n;
	}
	o->state = axr_ws_state(h.ws);
	o->close_code = axr_ws_close_code(h.ws);
	serialize(&h, o);
	harness_clear(&h);
}

static void assert_same_outcome(const outcome_t *want, const outcome_t *got, const char *how)
{
	if (want->rc != got->rc || want->state != got->state || want->close_code != got->close_code ||
	    want->log_len != got->log_len || memcmp(want->log, got->log, want->log_len) != 0)
		print_error("%s: rc %d/%d state %d/%d code %d/%d log %.*s / %.*s\n", how, want->rc,
		            got->rc, want->state, got->state, want->close_code, got->close_code,
		            (int)want->log_len, want->log, (int)got->log_len, got->log);
	assert_int_equal(want->rc, got->rc);
	assert_int_equal(want->state, got->state);
	assert_int_equal(want->close_code, got->close_code);
	assert_int_equal(want->log_len, got->log_len);
	assert_memory_equal(want->log, got->log, want->log_len);
}

/* Feeds `data` whole, one byte at a time, in 3- and 7-byte pieces and cut in
 * two at every offset (for short streams): all must agree. Checks the
 * expected return code and close code; returns the whole-feed outcome. */
static void check_stream(axr_ws_role_t role, size_t max_message, const uint8_t *data, size_t len,
                         int want_rc, int want_code, outcome_t *whole)
{
	outcome_t *got = malloc(sizeof *got);

	assert_non_null(got);
	run_split(role, max_message, data, len, 0, 0, whole);
	assert_int_equal(whole->rc, want_rc);
	assert_int_equal(whole->close_code, want_code);
	run_split(role, max_message, data, len, 1, 0, got);
	assert_same_outcome(whole, got, "one byte at a time");
	run_split(role, max_message, data, len, 3, 0, got);
	assert_same_outcome(whole, got, "3-byte pieces");
	run_split(role, max_message, data, len, 7, 0, got);
	assert_same_outcome(whole, got, "7-byte pieces");
	for (size_t cut = 1; len <= 512 && cut < len; cut++) {
		run_split(role, max_message, data, len, 0, cut, got);
		assert_same_outcome(whole, got, "cut in two");
	}
	free(got);
}

/* A stream that must fail with `want_rc` and close code `want_code`, in any split. */
static void check_violation(axr_ws_role_t role, const uint8_t *data, size_t len, int want_rc,
                            int want_code)
{
	outcome_t o;

	check_stream(role, 0, data, len, want_rc, want_code, &o);
	assert_int_equal(o.state, AXR_WS_FAILED);
}

/* A stream a server must refuse with 1002 (AXR_EPARSE), in any split. */
static void expect_protocol_error(const uint8_t *data, size_t len)
{
	check_violation(AXR_WS_SERVER, data, len, AXR_EPARSE, AXR_WS_CLOSE_PROTOCOL_ERROR);
}

static void assert_event(const harness_t *h, size_t i, char kind, int value, const void *data,
                         size_t len)
{
	assert_true(i < h->count);
	const event_t *e = &h->events[i];
	if (e->kind != kind || e->value != value || e->len != len)
		print_error("event %zu: got %c %d len %zu, want %c %d len %zu\n", i, e->kind, e->value,
		            e->len, kind, value, len);
	assert_int_equal(e->kind, kind);
	assert_int_equal(e->value, value);
	assert_int_equal(e->len, len);
	assert_memory_equal(e->data, data, len);
	assert_true(e->terminated);
}

/* ---- RFC 6455 section 5.7 examples ---- */

static void test_rfc_masked_hello_is_one_text_message(void **state)
{
	harness_t *h = *state;
	static const uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
	outcome_t o;

	assert_int_equal(axr_ws_feed(h->ws, frame, sizeof frame), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_TEXT, "Hello", 5);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_OPEN);
	check_stream(AXR_WS_SERVER, 0, frame, sizeof frame, 0, AXR_WS_CLOSE_NORMAL, &o);
}

static void test_rfc_unmasked_hello_is_accepted_by_a_client(void **state)
{
	harness_t *h = *state;
	static const uint8_t frame[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};

	harness_start(h, AXR_WS_CLIENT, 0);
	assert_int_equal(feed_bytewise(h->ws, frame, sizeof frame), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_TEXT, "Hello", 5);
}

static void test_rfc_fragmented_hel_lo_is_joined(void **state)
{
	harness_t *h = *state;
	/* The RFC's unmasked frames, read by a client... */
	static const uint8_t rfc[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
	uint8_t masked[64];
	size_t n;
	outcome_t o;

	harness_start(h, AXR_WS_CLIENT, 0);
	assert_int_equal(axr_ws_feed(h->ws, rfc, sizeof rfc), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_TEXT, "Hello", 5);
	check_stream(AXR_WS_CLIENT, 0, rfc, sizeof rfc, 0, AXR_WS_CLOSE_NORMAL, &o);

	/* ...and the same fragments masked, read by a server. */
	n = raw_frame(masked, 0x01, "Hel", 3, 1);
	n += raw_frame(masked + n, 0x80, "lo", 2, 1);
	harness_start(h, AXR_WS_SERVER, 0);
	assert_int_equal(feed_bytewise(h->ws, masked, n), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_TEXT, "Hello", 5);
}

static void test_rfc_ping_and_masked_pong_are_reported(void **state)
{
	harness_t *h = *state;
	static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
	static const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};

	assert_int_equal(axr_ws_feed(h->ws, pong, sizeof pong), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'O', 0, "Hello", 5);

	harness_start(h, AXR_WS_CLIENT, 0);
	assert_int_equal(axr_ws_feed(h->ws, ping, sizeof ping), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'I', 0, "Hello", 5);
}

static void test_rfc_256_byte_binary_uses_16_bit_length(void **state)
{
	harness_t *h = *state;
	uint8_t payload[256], frame[4 + 256], masked[8 + 256];
	size_t n;

	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)i;
	frame[0] = 0x82;
	frame[1] = 0x7E;
	frame[2] = 0x01;
	frame[3] = 0x00;
	memcpy(frame + 4, payload, sizeof payload);
	harness_start(h, AXR_WS_CLIENT, 0);
	assert_int_equal(axr_ws_feed(h->ws, frame, sizeof frame), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_BINARY, payload, sizeof payload);

	n = raw_frame(masked, 0x82, payload, sizeof payload, 1);
	assert_int_equal(n, sizeof masked);
	harness_start(h, AXR_WS_SERVER, 0);
	assert_int_equal(feed_bytewise(h->ws, masked, n), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_BINARY, payload, sizeof payload);
}

static void test_rfc_64k_binary_uses_64_bit_length_and_fits_the_default_limit(void **state)
{
	harness_t *h = *state;
	size_t len = 65536;
	uint8_t *payload = malloc(len), *frame = malloc(len + 14);
	outcome_t o;

	assert_non_null(payload);
	assert_non_null(frame);
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 7);
	static const uint8_t head[] = {0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};
	memcpy(frame, head, sizeof head);
	memcpy(frame + sizeof head, payload, len);
	harness_start(h, AXR_WS_CLIENT, 0);
	assert_int_equal(axr_ws_feed(h->ws, frame, sizeof head + len), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'M', AXR_WS_BINARY, payload, len);

	size_t n = raw_frame(frame, 0x82, payload, len, 1);
	assert_int_equal(n, len + 14);
	check_stream(AXR_WS_SERVER, 0, frame, n, 0, AXR_WS_CLOSE_NORMAL, &o);
	assert_int_equal(o.log_len > 0, 1);
	free(payload);
	free(frame);
}

/* ---- feeding in pieces ---- */

static size_t mixed_stream(uint8_t *out)
{
	uint8_t big[300];
	size_t n = 0;

	memset(big, 'z', sizeof big);
	n += client_frame(out + n, AXR_WS_TEXT, "first", 5);
	n += raw_frame(out + n, 0x01, "fr\xC3", 3, 1); /* é cut between fragments */
	n += client_frame(out + n, AXR_WS_PING, "mid", 3); /* control between fragments */
	n += raw_frame(out + n, 0x00, "\xA9g", 2, 1);
	n += raw_frame(out + n, 0x80, "ment", 4, 1);
	n += client_frame(out + n, AXR_WS_BINARY, big, sizeof big);
	n += client_frame(out + n, AXR_WS_PONG, "", 0);
	n += client_frame(out + n, AXR_WS_TEXT, "", 0);
	n += client_frame(out + n, AXR_WS_CLOSE, "\x03\xe8" "done", 6);
	return n;
}

static void test_stream_of_frames_gives_same_events_in_any_split(void **state)
{
	harness_t *h = *state;
	uint8_t stream[1024];
	size_t n = mixed_stream(stream);
	outcome_t o;

	check_stream(AXR_WS_SERVER, 0, stream, n, 0, AXR_WS_CLOSE_NORMAL, &o);
	assert_int_equal(o.state, AXR_WS_CLOSE_RECEIVED);

	assert_int_equal(feed_bytewise(h->ws, stream, n), 0);
	assert_int_equal(h->count, 7);
	assert_event(h, 0, 'M', AXR_WS_TEXT, "first", 5);
	assert_event(h, 1, 'I', 0, "mid", 3);
	assert_event(h, 2, 'M', AXR_WS_TEXT, "fr\xC3\xA9gment", 9);
	assert_int_equal(h->events[3].kind, 'M');
	assert_int_equal(h->events[3].len, 300);
	assert_event(h, 4, 'O', 0, "", 0);
	assert_event(h, 5, 'M', AXR_WS_TEXT, "", 0);
	assert_event(h, 6, 'C', 1000, "done", 4);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSE_RECEIVED);
}

static void test_partial_header_waits_for_more_bytes(void **state)
{
	harness_t *h = *state;
	uint8_t frame[300], payload[200];
	size_t n;

	memset(payload, 'q', sizeof payload);
	n = client_frame(frame, AXR_WS_BINARY, payload, sizeof payload);
	/* 2 header bytes + 2 length bytes + 4 key bytes: stop inside each part. */
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(axr_ws_feed(h->ws, frame + i, 1), 0);
		assert_int_equal(h->count, 0);
	}
	assert_int_equal(axr_ws_feed(h->ws, frame + 8, n - 9), 0);
	assert_int_equal(h->count, 0);
	assert_int_equal(axr_ws_feed(h->ws, frame + n - 1, 1), 0);
	assert_int_equal(h->count, 1);
	assert_int_equal(h->events[0].len, 200);
}

/* ---- protocol rules ---- */

static void test_unmasked_client_frame_fails_1002(void **state)
{
	uint8_t frame[16];
	size_t n = raw_frame(frame, 0x81, "hi", 2, 0);

	(void)state;
	expect_protocol_error(frame, n);
}

static void test_masked_server_frame_fails_1002_in_client_role(void **state)
{
	uint8_t frame[16];
	size_t n = raw_frame(frame, 0x81, "hi", 2, 1);

	(void)state;
	check_violation(AXR_WS_CLIENT, frame, n, AXR_EPARSE, AXR_WS_CLOSE_PROTOCOL_ERROR);
}

static void test_reserved_bits_without_extension_fail_1002(void **state)
{
	static const uint8_t rsv[] = {0x40, 0x20, 0x10};
	uint8_t frame[16];

	(void)state;
	for (size_t i = 0; i < sizeof rsv; i++) {
		size_t n = raw_frame(frame, (uint8_t)(0x81 | rsv[i]), "hi", 2, 1);
		expect_protocol_error(frame, n);
	}
}

static void test_reserved_opcodes_fail_1002(void **state)
{
	static const uint8_t opcodes[] = {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF};
	uint8_t frame[16];

	(void)state;
	for (size_t i = 0; i < sizeof opcodes; i++) {
		size_t n = raw_frame(frame, (uint8_t)(0x80 | opcodes[i]), "x", 1, 1);
		expect_protocol_error(frame, n);
	}
}

static void test_reserved_opcode_fails_on_its_first_byte(void **state)
{
	harness_t *h = *state;
	static const uint8_t b0 = 0x83;

	assert_int_equal(axr_ws_feed(h->ws, &b0, 1), AXR_EPARSE);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_FAILED);
	assert_string_equal(axr_ws_error(h->ws), "reserved opcode");
}

static void test_control_frame_over_125_bytes_fails_1002(void **state)
{
	uint8_t payload[126], frame[200];
	static const axr_ws_opcode_t controls[] = {AXR_WS_PING, AXR_WS_PONG, AXR_WS_CLOSE};

	(void)state;
	memset(payload, 'p', sizeof payload);
	payload[0] = 0x03; /* a valid close code, so only the size is wrong */
	payload[1] = 0xe8;
	for (size_t i = 0; i < 3; i++) {
		size_t n = client_frame(frame, controls[i], payload, sizeof payload);
		expect_protocol_error(frame, n);
	}
}

static void test_control_frame_of_125_bytes_is_accepted(void **state)
{
	harness_t *h = *state;
	uint8_t payload[125], frame[200];
	size_t n;

	memset(payload, 'p', sizeof payload);
	n = client_frame(frame, AXR_WS_PING, payload, sizeof payload);
	assert_int_equal(feed_bytewise(h->ws, frame, n), 0);
	assert_int_equal(h->count, 1);
	assert_event(h, 0, 'I', 0, payload, sizeof payload);
}

static void test_fragmented_control_frame_fails_1002(void **state)
{
	uint8_t frame[16];
	static const uint8_t controls[] = {AXR_WS_PING, AXR_WS_PONG, AXR_WS_CLOSE};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t n = raw_frame(frame, controls[i], "", 0, 1); /* FIN clear */
		expect_protocol_error(frame, n);
	}
}

static void test_continuation_without_a_message_fails_1002(void **state)
{
	uint8_t stream[64];
	size_t n;

	(void)state;
	n = raw_frame(stream, 0x80, "lo", 2, 1);
	expect_protocol_error(stream, n);
	/* Also right after a complete message. */
	n = client_frame(stream, AXR_WS_TEXT, "Hel", 3);
	n += raw_frame(stream + n, 0x00, "lo", 2, 1);
	expect_protocol_error(stream, n);
}

static void test_new_message_during_fragmentation_fails_1002(void **state)
{
	uint8_t stream[64];
	size_t n;

	(void)state;
	n = raw_frame(stream, 0x01, "Hel", 3, 1);
	n += client_frame(stream + n, AXR_WS_TEXT, "lo", 2);
	expect_protocol_error(stream, n);
	n = raw_frame(stream, 0x02, "Hel", 3, 1);
	n += raw_frame(stream + n, 0x02, "lo", 2, 1);
	expect_protocol_error(stream, n);
}

static void test_message_over_limit_fails_1009_from_its_header(void **state)
{
	harness_t *h = *state;
	/* A masked binary frame header announcing 65537 bytes, no payload sent. */
	static const uint8_t head[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, 1, 2, 3, 4};

	assert_int_equal(axr_ws_feed(h->ws, head, sizeof head), AXR_ETOOBIG);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_FAILED);
	assert_int_equal(axr_ws_close_code(h->ws), AXR_WS_CLOSE_TOO_BIG);
	/* Nothing was buffered for it. */
	assert_true(axr_ws_memory(h->ws) < 1024);
	check_violation(AXR_WS_SERVER, head, sizeof head, AXR_ETOOBIG, AXR_WS_CLOSE_TOO_BIG);
}

static void test_fragments_over_limit_fail_1009(void **state)
{
	harness_t *h = *state;
	uint8_t stream[256], part[60];
	size_t n = 0;
	outcome_t o;

	memset(part, 'a', sizeof part);
	harness_start(h, AXR_WS_SERVER, 100);
	n += raw_frame(stream + n, 0x01, part, 50, 1);
	n += raw_frame(stream + n, 0x00, part, 50, 1); /* 100: still fine */
	n += raw_frame(stream + n, 0x80, part, 1, 1);  /* 101: too big */
	assert_int_equal(axr_ws_feed(h->ws, stream, n), AXR_ETOOBIG);
	assert_int_equal(axr_ws_close_code(h->ws), AXR_WS_CLOSE_TOO_BIG);
	assert_int_equal(h->count, 0);
	check_stream(AXR_WS_SERVER, 100, stream, n, AXR_ETOOBIG, AXR_WS_CLOSE_TOO_BIG, &o);
}

static void test_message_of_exactly_the_limit_is_delivered(void **state)
{
	harness_t *h = *state;
	uint8_t stream[256], part[60];
	size_t n = 0;

	memset(part, 'a', sizeof part);
	harness_start(h, AXR_WS_SERVER, 100);
	n += raw_frame(stream + n, 0x01, part, 50, 1);
	n += client_frame(stream + n, AXR_WS_PING, "", 0); /* control payload does not count */
	n += raw_frame(stream + n, 0x80, part, 50, 1);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_int_equal(h->count, 2);
	assert_int_equal(h->events[1].kind, 'M');
	assert_int_equal(h->events[1].len, 100);
	/* The next message starts from zero again. */
	n = raw_frame(stream, 0x82, part, 60, 1);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_int_equal(h->count, 3);
}

static void test_invalid_utf8_text_fails_1007(void **state)
{
	static const char *const bad[] = {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "a\x80",
	                                  "\xFF"};
	uint8_t frame[32];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = client_frame(frame, AXR_WS_TEXT, bad[i], strlen(bad[i]));
		check_violation(AXR_WS_SERVER, frame, n, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA);
	}
}

static void test_invalid_utf8_fails_before_the_frame_ends(void **state)
{
	harness_t *h = *state;
	char text[100];
	uint8_t frame[128];
	size_t n;

	memset(text, 'a', sizeof text);
	text[10] = (char)0xFF;
	n = client_frame(frame, AXR_WS_TEXT, text, sizeof text);
	/* Header (6 bytes) and the first 11 payload bytes only. */
	assert_int_equal(axr_ws_feed(h->ws, frame, 6 + 11), AXR_EPARSE);
	assert_int_equal(axr_ws_close_code(h->ws), AXR_WS_CLOSE_INVALID_DATA);
	assert_true(n > 17);
}

static void test_invalid_utf8_in_a_fragment_fails_before_the_message_ends(void **state)
{
	harness_t *h = *state;
	uint8_t stream[64];
	size_t n;

	n = raw_frame(stream, 0x01, "ok", 2, 1);
	n += raw_frame(stream + n, 0x00, "\xED\xA0\x80", 3, 1); /* surrogate, message still open */
	assert_int_equal(axr_ws_feed(h->ws, stream, n), AXR_EPARSE);
	assert_int_equal(axr_ws_close_code(h->ws), AXR_WS_CLOSE_INVALID_DATA);
	assert_int_equal(h->count, 0);
}

static void test_utf8_sequence_split_across_fragments_is_valid(void **state)
{
	static const char text[] = "\xF0\x9F\x98\x80\xE2\x82\xAC";
	uint8_t stream[128];
	outcome_t o;

	(void)state;
	/* Split the 7 bytes into three fragments at every pair of offsets. */
	for (size_t a = 0; a <= 7; a++)
		for (size_t b = a; b <= 7; b++) {
			size_t n = raw_frame(stream, 0x01, text, a, 1);
			n += raw_frame(stream + n, 0x00, text + a, b - a, 1);
			n += raw_frame(stream + n, 0x80, text + b, 7 - b, 1);
			check_stream(AXR_WS_SERVER, 0, stream, n, 0, AXR_WS_CLOSE_NORMAL, &o);
			assert_int_equal(o.log_len, strlen("M1:7:") + 7 + 1);
		}
}

static void test_utf8_truncated_at_message_end_fails_1007(void **state)
{
	uint8_t stream[64];
	size_t n;

	(void)state;
	n = raw_frame(stream, 0x01, "ok\xE2\x82", 4, 1);
	n += raw_frame(stream + n, 0x80, "", 0, 1);
	check_violation(AXR_WS_SERVER, stream, n, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA);
	n = client_frame(stream, AXR_WS_TEXT, "\xF0\x9F\x98", 3);
	check_violation(AXR_WS_SERVER, stream, n, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA);
}

static void test_binary_message_is_not_utf8_checked(void **state)
{
	harness_t *h = *state;
	uint8_t frame[32];
	size_t n = client_frame(frame, AXR_WS_BINARY, "\xFF\xC0\x80", 3);

	assert_int_equal(axr_ws_feed(h->ws, frame, n), 0);
	assert_event(h, 0, 'M', AXR_WS_BINARY, "\xFF\xC0\x80", 3);
}

static void test_64_bit_length_with_top_bit_fails_1002(void **state)
{
	static const uint8_t head[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x01, 1, 2, 3, 4};

	(void)state;
	expect_protocol_error(head, sizeof head);
}

static void test_non_minimal_lengths_fail_1002(void **state)
{
	/* 5 bytes in the 16-bit form; 200 and 65535 bytes in the 64-bit form. */
	static const uint8_t len16[] = {0x82, 0xFE, 0x00, 0x05, 1, 2, 3, 4, 'a', 'b', 'c', 'd', 'e'};
	static const uint8_t len64a[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0x00, 0xC8, 1, 2, 3, 4};
	static const uint8_t len64b[] = {0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4};

	(void)state;
	expect_protocol_error(len16, sizeof len16);
	expect_protocol_error(len64a, sizeof len64a);
	expect_protocol_error(len64b, sizeof len64b);
}

static void test_close_with_one_byte_payload_fails_1002(void **state)
{
	uint8_t frame[16];
	size_t n = client_frame(frame, AXR_WS_CLOSE, "\x03", 1);

	(void)state;
	expect_protocol_error(frame, n);
}

static void test_close_with_invalid_code_fails_1002(void **state)
{
	static const int codes[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
	uint8_t frame[16];

	(void)state;
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		uint8_t payload[2] = {(uint8_t)(codes[i] >> 8), (uint8_t)codes[i]};
		size_t n = client_frame(frame, AXR_WS_CLOSE, payload, 2);
		expect_protocol_error(frame, n);
	}
}

static void test_close_with_valid_code_is_reported(void **state)
{
	static const int codes[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
	                            1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
	harness_t *h = *state;
	uint8_t frame[16];

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		uint8_t payload[2] = {(uint8_t)(codes[i] >> 8), (uint8_t)codes[i]};
		size_t n = client_frame(frame, AXR_WS_CLOSE, payload, 2);
		harness_start(h, AXR_WS_SERVER, 0);
		assert_int_equal(axr_ws_feed(h->ws, frame, n), 0);
		assert_int_equal(h->count, 1);
		assert_event(h, 0, 'C', codes[i], "", 0);
		assert_int_equal(axr_ws_peer_close_code(h->ws), codes[i]);
		assert_int_equal(axr_ws_close_code(h->ws), codes[i]);
	}
}

static void test_close_reason_not_utf8_fails_1007(void **state)
{
	uint8_t frame[32];
	size_t n = client_frame(frame, AXR_WS_CLOSE, "\x03\xe8" "bad\xC3(", 7);

	(void)state;
	check_violation(AXR_WS_SERVER, frame, n, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA);
}

static void test_failed_engine_repeats_its_error_and_stays_silent(void **state)
{
	harness_t *h = *state;
	uint8_t stream[64];
	size_t n;

	n = raw_frame(stream, 0x81, "x", 1, 0);                 /* unmasked: fails */
	assert_int_equal(axr_ws_feed(h->ws, stream, n), AXR_EPARSE);
	n = client_frame(stream, AXR_WS_TEXT, "later", 5);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), AXR_EPARSE);
	assert_int_equal(h->count, 0);
	assert_int_equal(axr_ws_close_code(h->ws), AXR_WS_CLOSE_PROTOCOL_ERROR);
	assert_string_equal(axr_ws_error(h->ws), "unmasked client frame");
}

/* ---- close handshake ---- */

static void test_peer_close_is_echoed_then_closed(void **state)
{
	harness_t *h = *state;
	uint8_t frame[32], out[AXR_WS_CONTROL_FRAME_MAX];
	size_t n = client_frame(frame, AXR_WS_CLOSE, "\x0f\xa0" "going", 7), out_len;
	static const uint8_t want[] = {0x88, 0x02, 0x0f, 0xa0};

	assert_int_equal(axr_ws_feed(h->ws, frame, n), 0);
	assert_event(h, 0, 'C', 4000, "going", 5);
	assert_int_equal(h->events[0].state, AXR_WS_CLOSE_RECEIVED);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSE_RECEIVED);
	assert_int_equal(axr_ws_close_code(h->ws), 4000);
	assert_int_equal(axr_ws_close(h->ws, 0, NULL, 0, out, &out_len), 0);
	assert_int_equal(out_len, sizeof want);
	assert_memory_equal(out, want, sizeof want);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSED);
	assert_int_equal(axr_ws_close(h->ws, 0, NULL, 0, out, &out_len), AXR_ECLOSED);
}

static void test_peer_close_without_code_is_answered_with_1000(void **state)
{
	harness_t *h = *state;
	uint8_t frame[16], out[AXR_WS_CONTROL_FRAME_MAX];
	size_t n = client_frame(frame, AXR_WS_CLOSE, "", 0), out_len;
	static const uint8_t want[] = {0x88, 0x02, 0x03, 0xe8};

	assert_int_equal(axr_ws_feed(h->ws, frame, n), 0);
	assert_event(h, 0, 'C', AXR_WS_CLOSE_NO_STATUS, "", 0);
	assert_int_equal(axr_ws_peer_close_code(h->ws), AXR_WS_CLOSE_NO_STATUS);
	assert_int_equal(axr_ws_close(h->ws, 0, NULL, 0, out, &out_len), 0);
	assert_int_equal(out_len, sizeof want);
	assert_memory_equal(out, want, sizeof want);
}

static void test_bytes_after_peer_close_are_ignored(void **state)
{
	harness_t *h = *state;
	uint8_t stream[64];
	size_t n = client_frame(stream, AXR_WS_CLOSE, "\x03\xe8", 2);

	n += client_frame(stream + n, AXR_WS_TEXT, "late", 4);
	stream[n++] = 0xFF; /* garbage too */
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_int_equal(h->count, 1);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_int_equal(h->count, 1);
}

static void test_our_close_waits_for_peer_close_and_drops_data_meanwhile(void **state)
{
	harness_t *h = *state;
	uint8_t out[AXR_WS_CONTROL_FRAME_MAX], stream[64];
	size_t out_len, n;
	static const uint8_t want[] = {0x88, 0x05, 0x03, 0xe9, 'b', 'y', 'e'};

	assert_int_equal(axr_ws_close(h->ws, AXR_WS_CLOSE_GOING_AWAY, "bye", 3, out, &out_len), 0);
	assert_int_equal(out_len, sizeof want);
	assert_memory_equal(out, want, sizeof want);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSE_SENT);
	assert_int_equal(axr_ws_close_code(h->ws), 0);
	assert_int_equal(axr_ws_close(h->ws, 0, NULL, 0, out, &out_len), AXR_ECLOSED);

	n = client_frame(stream, AXR_WS_TEXT, "still", 5);
	n += client_frame(stream + n, AXR_WS_PING, "p", 1);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_int_equal(h->count, 0);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSE_SENT);

	n = client_frame(stream, AXR_WS_CLOSE, "\x03\xe9", 2);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_event(h, 0, 'C', 1001, "", 0);
	assert_int_equal(h->events[0].state, AXR_WS_CLOSED);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSED);
}

static void test_protocol_violation_after_our_close_still_fails(void **state)
{
	harness_t *h = *state;
	uint8_t out[AXR_WS_CONTROL_FRAME_MAX], stream[16];
	size_t out_len, n = raw_frame(stream, 0x81, "x", 1, 0);

	assert_int_equal(axr_ws_close(h->ws, 0, NULL, 0, out, &out_len), 0);
	assert_int_equal(axr_ws_feed(h->ws, stream, n), AXR_EPARSE);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_FAILED);
}

static void test_failure_close_frame_carries_code_and_reason(void **state)
{
	harness_t *h = *state;
	uint8_t stream[16], out[AXR_WS_CONTROL_FRAME_MAX];
	size_t out_len, n = raw_frame(stream, 0x81, "x", 1, 0);
	const char *reason = "unmasked client frame";

	assert_int_equal(axr_ws_feed(h->ws, stream, n), AXR_EPARSE);
	/* The failure code wins over what the caller asks for. */
	assert_int_equal(axr_ws_close(h->ws, 1000, NULL, 0, out, &out_len), 0);
	assert_int_equal(out_len, 4 + strlen(reason));
	assert_int_equal(out[0], 0x88);
	assert_int_equal(out[1], 2 + strlen(reason));
	assert_int_equal(out[2] << 8 | out[3], AXR_WS_CLOSE_PROTOCOL_ERROR);
	assert_memory_equal(out + 4, reason, strlen(reason));
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSED);
	assert_string_equal(axr_ws_error(h->ws), reason);
}

static void test_close_from_inside_on_message_stops_delivery(void **state)
{
	harness_t *h = *state;
	uint8_t stream[64];
	size_t n = client_frame(stream, AXR_WS_TEXT, "one", 3);

	n += client_frame(stream + n, AXR_WS_TEXT, "two", 3);
	n += client_frame(stream + n, AXR_WS_CLOSE, "\x03\xe8", 2);
	h->close_on_message = AXR_WS_CLOSE_POLICY;
	assert_int_equal(axr_ws_feed(h->ws, stream, n), 0);
	assert_int_equal(h->count, 2);
	assert_event(h, 0, 'M', AXR_WS_TEXT, "one", 3);
	assert_event(h, 1, 'C', 1000, "", 0);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_CLOSED);
	assert_int_equal(h->frame_len, 7);
	assert_int_equal(h->frame[2] << 8 | h->frame[3], AXR_WS_CLOSE_POLICY);
}

static void test_close_rejects_unsendable_codes_and_keeps_state(void **state)
{
	harness_t *h = *state;
	static const int codes[] = {999, 1004, 1005, 1006, 1015, 2000, 5000, -1};
	uint8_t out[AXR_WS_CONTROL_FRAME_MAX];
	size_t out_len;

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		assert_int_equal(axr_ws_close(h->ws, codes[i], NULL, 0, out, &out_len), AXR_EINVAL);
	assert_int_equal(axr_ws_close(h->ws, 1000, "\xC3(", 2, out, &out_len), AXR_EINVAL);
	assert_int_equal(axr_ws_state(h->ws), AXR_WS_OPEN);
}

static void test_close_reason_is_cut_at_a_character_boundary(void **state)
{
	uint8_t out[AXR_WS_CONTROL_FRAME_MAX];
	char reason[200];
	size_t out_len;

	(void)state;
	/* 122 ASCII bytes then a 2-byte character: 124 bytes, one too many. */
	memset(reason, 'r', 122);
	memcpy(reason + 122, "\xC3\xA9", 2);
	assert_int_equal(axr_ws_close_frame(out, 1000, reason, 124, NULL, &out_len), 0);
	assert_int_equal(out[1], 2 + 122);
	assert_int_equal(out_len, 2 + 2 + 122);
	/* 121 ASCII bytes and the same character: 123 bytes, which fit. */
	memcpy(reason + 121, "\xC3\xA9", 2);
	assert_int_equal(axr_ws_close_frame(out, 1000, reason, 123, NULL, &out_len), 0);
	assert_int_equal(out[1], 2 + 123);
	assert_memory_equal(out + 4, reason, 123);
	memset(reason, 's', 200);
	assert_int_equal(axr_ws_close_frame(out, 1000, reason, 200, NULL, &out_len), 0);
	assert_int_equal(out[1], 125);
	assert_int_equal(out_len, 127);
}

static void test_client_role_close_frame_is_masked_and_parsable(void **state)
{
	harness_t *h = *state;
	harness_t client = {0};
	uint8_t out[AXR_WS_CONTROL_FRAME_MAX];
	size_t out_len;

	harness_start(&client, AXR_WS_CLIENT, 0);
	assert_int_equal(axr_ws_close(client.ws, 3001, "app", 3, out, &out_len), 0);
	assert_int_equal(out_len, 2 + 4 + 5);
	assert_int_equal(out[1], 0x80 | 5);
	assert_int_equal(axr_ws_feed(h->ws, out, out_len), 0);
	assert_event(h, 0, 'C', 3001, "app", 3);
	harness_clear(&client);
}

/* ---- encoder ---- */

static void test_frame_header_uses_shortest_length_form(void **state)
{
	static const struct {
		uint64_t len;
		size_t header_len;
		uint8_t bytes[10];
	} cases[] = {
		{0, 2, {0x82, 0x00}},
		{125, 2, {0x82, 0x7D}},
		{126, 4, {0x82, 0x7E, 0x00, 0x7E}},
		{65535, 4, {0x82, 0x7E, 0xFF, 0xFF}},
		{65536, 10, {0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}},
		{UINT64_C(0x7FFFFFFFFFFFFFFF), 10, {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
	};
	uint8_t out[AXR_WS_HEADER_MAX];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(axr_ws_frame_header(out, AXR_WS_BINARY, true, cases[i].len, NULL, &n), 0);
		assert_int_equal(n, cases[i].header_len);
		assert_memory_equal(out, cases[i].bytes, n);
	}
	/* A fragment start has FIN clear; a masked header ends with the key. */
	assert_int_equal(axr_ws_frame_header(out, AXR_WS_TEXT, false, 3, test_key, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 0x83);
	assert_memory_equal(out + 2, test_key, 4);
}

static void test_frame_header_rejects_invalid_frames(void **state)
{
	uint8_t out[AXR_WS_HEADER_MAX];
	size_t n;

	(void)state;
	assert_int_equal(axr_ws_frame_header(out, AXR_WS_PING, true, 126, NULL, &n), AXR_EINVAL);
	assert_int_equal(axr_ws_frame_header(out, AXR_WS_PING, false, 1, NULL, &n), AXR_EINVAL);
	assert_int_equal(axr_ws_frame_header(out, (axr_ws_opcode_t)3, true, 1, NULL, &n), AXR_EINVAL);
	assert_int_equal(axr_ws_frame_header(out, AXR_WS_BINARY, true, UINT64_C(1) << 63, NULL, &n),
	                 AXR_EINVAL);
	assert_int_equal(axr_ws_control_frame((uint8_t[AXR_WS_CONTROL_FRAME_MAX]){0}, AXR_WS_TEXT,
	                                      NULL, 0, NULL, &n),
	                 AXR_EINVAL);
}

static void test_pong_frame_echoes_ping_payload(void **state)
{
	uint8_t out[AXR_WS_CONTROL_FRAME_MAX];
	size_t n;
	static const uint8_t want[] = {0x8A, 0x05, 'H', 'e', 'l', 'l', 'o'};

	(void)state;
	assert_int_equal(axr_ws_control_frame(out, AXR_WS_PONG, (const uint8_t *)"Hello", 5, NULL, &n), 0);
	assert_int_equal(n, sizeof want);
	assert_memory_equal(out, want, sizeof want);
}

static void test_encoded_frames_parse_back_in_both_roles(void **state)
{
	static const size_t sizes[] = {0, 1, 125, 126, 127, 1000, 65535, 65536, 70000};
	harness_t *h = *state;
	uint8_t header[AXR_WS_HEADER_MAX];
	uint8_t *payload = malloc(70000), *masked = malloc(70000);
	size_t n;

	assert_non_null(payload);
	assert_non_null(masked);
	for (size_t i = 0; i < 70000; i++)
		payload[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = sizes[i];
		/* Server frame -> client engine. */
		harness_start(h, AXR_WS_CLIENT, 80000);
		assert_int_equal(axr_ws_frame_header(header, AXR_WS_BINARY, true, len, NULL, &n), 0);
		assert_int_equal(axr_ws_feed(h->ws, header, n), 0);
		assert_int_equal(axr_ws_feed(h->ws, payload, len), 0);
		assert_int_equal(h->count, 1);
		assert_event(h, 0, 'M', AXR_WS_BINARY, payload, len);
		/* Client frame (masked in three pieces) -> server engine. */
		harness_start(h, AXR_WS_SERVER, 80000);
		assert_int_equal(axr_ws_frame_header(header, AXR_WS_BINARY, true, len, test_key, &n), 0);
		memcpy(masked, payload, len);
		axr_ws_mask(masked, len / 3, test_key, 0);
		axr_ws_mask(masked + len / 3, len - len / 3, test_key, len / 3);
		assert_int_equal(axr_ws_feed(h->ws, header, n), 0);
		assert_int_equal(feed_bytewise(h->ws, masked, len < 2000 ? len : 0), 0);
		if (len >= 2000)
			assert_int_equal(axr_ws_feed(h->ws, masked, len), 0);
		assert_int_equal(h->count, 1);
		assert_event(h, 0, 'M', AXR_WS_BINARY, payload, len);
	}
	free(payload);
	free(masked);
}

static void test_mask_matches_bytewise_xor_at_every_offset(void **state)
{
	uint8_t data[40], want[40];
	static const uint8_t key[4] = {0xA1, 0x02, 0xF3, 0x44};

	(void)state;
	for (size_t offset = 0; offset < 8; offset++)
		for (size_t len = 0; len <= sizeof data; len++) {
			for (size_t i = 0; i < len; i++) {
				data[i] = (uint8_t)(i * 13 + len);
				want[i] = data[i] ^ key[(offset + i) % 4];
			}
			axr_ws_mask(data, len, key, offset);
			assert_memory_equal(data, want, len);
		}
}

/* ---- memory ---- */

static void test_large_message_buffer_is_released_after_delivery(void **state)
{
	harness_t *h = *state;
	size_t len = 50000;
	uint8_t *payload = calloc(1, len), *frame = malloc(len + 14);
	size_t idle = axr_ws_memory(h->ws), n;

	assert_non_null(payload);
	assert_non_null(frame);
	n = raw_frame(frame, 0x82, payload, len, 1);
	assert_int_equal(axr_ws_feed(h->ws, frame, n - 1), 0);
	assert_true(axr_ws_memory(h->ws) >= len);
	assert_true(axr_ws_memory(h->ws) <= idle + len + 1);
	assert_int_equal(axr_ws_feed(h->ws, frame + n - 1, 1), 0);
	assert_int_equal(h->count, 1);
	assert_int_equal(axr_ws_memory(h->ws), idle);
	free(payload);
	free(frame);
}

static void test_many_tiny_fragments_stay_within_the_limit(void **state)
{
	harness_t *h = *state;
	uint8_t frame[16];
	size_t n, idle;

	harness_start(h, AXR_WS_SERVER, 1000);
	idle = axr_ws_memory(h->ws);
	n = raw_frame(frame, 0x02, "a", 1, 1);
	assert_int_equal(axr_ws_feed(h->ws, frame, n), 0);
	n = raw_frame(frame, 0x00, "b", 1, 1);
	for (size_t i = 1; i < 1000; i++)
		assert_int_equal(axr_ws_feed(h->ws, frame, n), 0);
	/* Grown geometrically, but never past the limit plus the NUL. */
	assert_int_equal(axr_ws_memory(h->ws), idle + 1001);
	assert_int_equal(axr_ws_feed(h->ws, frame, n), AXR_ETOOBIG);
	assert_int_equal(h->count, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rfc_masked_hello_is_one_text_message),
		T(test_rfc_unmasked_hello_is_accepted_by_a_client),
		T(test_rfc_fragmented_hel_lo_is_joined),
		T(test_rfc_ping_and_masked_pong_are_reported),
		T(test_rfc_256_byte_binary_uses_16_bit_length),
		T(test_rfc_64k_binary_uses_64_bit_length_and_fits_the_default_limit),
		T(test_stream_of_frames_gives_same_events_in_any_split),
		T(test_partial_header_waits_for_more_bytes),
		T(test_unmasked_client_frame_fails_1002),
		T(test_masked_server_frame_fails_1002_in_client_role),
		T(test_reserved_bits_without_extension_fail_1002),
		T(test_reserved_opcodes_fail_1002),
		T(test_reserved_opcode_fails_on_its_first_byte),
		T(test_control_frame_over_125_bytes_fails_1002),
		T(test_control_frame_of_125_bytes_is_accepted),
		T(test_fragmented_control_frame_fails_1002),
		T(test_continuation_without_a_message_fails_1002),
		T(test_new_message_during_fragmentation_fails_1002),
		T(test_message_over_limit_fails_1009_from_its_header),
		T(test_fragments_over_limit_fail_1009),
		T(test_message_of_exactly_the_limit_is_delivered),
		T(test_invalid_utf8_text_fails_1007),
		T(test_invalid_utf8_fails_before_the_frame_ends),
		T(test_invalid_utf8_in_a_fragment_fails_before_the_message_ends),
		T(test_utf8_sequence_split_across_fragments_is_valid),
		T(test_utf8_truncated_at_message_end_fails_1007),
		T(test_binary_message_is_not_utf8_checked),
		T(test_64_bit_length_with_top_bit_fails_1002),
		T(test_non_minimal_lengths_fail_1002),
		T(test_close_with_one_byte_payload_fails_1002),
		T(test_close_with_invalid_code_fails_1002),
		T(test_close_with_valid_code_is_reported),
		T(test_close_reason_not_utf8_fails_1007),
		T(test_failed_engine_repeats_its_error_and_stays_silent),
		T(test_peer_close_is_echoed_then_closed),
		T(test_peer_close_without_code_is_answered_with_1000),
		T(test_bytes_after_peer_close_are_ignored),
		T(test_our_close_waits_for_peer_close_and_drops_data_meanwhile),
		T(test_protocol_violation_after_our_close_still_fails),
		T(test_failure_close_frame_carries_code_and_reason),
		T(test_close_from_inside_on_message_stops_delivery),
		T(test_close_rejects_unsendable_codes_and_keeps_state),
		T(test_close_reason_is_cut_at_a_character_boundary),
		T(test_client_role_close_frame_is_masked_and_parsable),
		T(test_frame_header_uses_shortest_length_form),
		T(test_frame_header_rejects_invalid_frames),
		T(test_pong_frame_echoes_ping_payload),
		T(test_encoded_frames_parse_back_in_both_roles),
		T(test_mask_matches_bytewise_xor_at_every_offset),
		T(test_large_message_buffer_is_released_after_delivery),
		T(test_many_tiny_fragments_stay_within_the_limit),
	};
#undef T
	return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
