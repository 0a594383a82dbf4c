/* ws_harness.h: shared helpers for the websocket engine tests (test_ws.c, test_ws_close.c). */
#ifndef AXR_TEST_WS_HARNESS_H
#define AXR_TEST_WS_HARNESS_H

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

static inline void record(harness_t *h, char kind, int value, const void *data, size_t len)
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

static inline void on_message(void *user, axr_ws_opcode_t opcode, const uint8_t *payload, size_t len)
{
	harness_t *h = user;

	record(h, 'M', (int)opcode, payload, len);
	if (h->close_on_message != 0)
		assert_int_equal(axr_ws_close(h->ws, h->close_on_message, "bye", 3, h->frame,
		                              &h->frame_len),
		                 0);
}

static inline void on_ping(void *user, const uint8_t *payload, size_t len)
{
	record(user, 'I', 0, payload, len);
}

static inline void on_pong(void *user, const uint8_t *payload, size_t len)
{
	record(user, 'O', 0, payload, len);
}

static inline void on_close(void *user, int code, const char *reason, size_t len)
{
	record(user, 'C', code, reason, len);
}

static const axr_ws_callbacks_t recording = {
	.on_message = on_message,
	.on_ping = on_ping,
	.on_pong = on_pong,
	.on_close = on_close,
};

static inline void harness_clear(harness_t *h)
{
	for (size_t i = 0; i < h->count; i++)
		free(h->events[i].data);
	axr_ws_free(h->ws);
	memset(h, 0, sizeof *h);
}

static inline void harness_start(harness_t *h, axr_ws_role_t role, size_t max_message)
{
	axr_ws_options_t options = {.role = role, .max_message = max_message};

	harness_clear(h);
	h->ws = axr_ws_new(&options, &recording, h);
	assert_non_null(h->ws);
}

static inline int setup(void **state)
{
	harness_t *h = calloc(1, sizeof *h);

	if (h == NULL)
		return -1;
	h->ws = axr_ws_new(NULL, &recording, h);
	*state = h;
	return h->ws == NULL ? -1 : 0;
}

static inline int teardown(void **state)
{
	harness_clear(*state);
	free(*state);
	return 0;
}

static inline int feed_bytewise(axr_ws_t *ws, const uint8_t *data, size_t len)
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
static inline size_t raw_frame(uint8_t *out, uint8_t b0, const void *payload, size_t len, int masked)
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
static inline size_t client_frame(uint8_t *out, axr_ws_opcode_t opcode, const void *payload, size_t len)
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

static inline void serialize(const harness_t *h, outcome_t *o)
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
static inline void run_split(axr_ws_role_t role, size_t max_message, const uint8_t *data, size_t len,
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

static inline void assert_same_outcome(const outcome_t *want, const outcome_t *got, const char *how)
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
static inline void check_stream(axr_ws_role_t role, size_t max_message, const uint8_t *data, size_t len,
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
static inline void check_violation(axr_ws_role_t role, const uint8_t *data, size_t len, int want_rc,
                            int want_code)
{
	outcome_t o;

	check_stream(role, 0, data, len, want_rc, want_code, &o);
	assert_int_equal(o.state, AXR_WS_FAILED);
}

/* A stream a server must refuse with 1002 (AXR_EPARSE), in any split. */
static inline void expect_protocol_error(const uint8_t *data, size_t len)
{
	check_violation(AXR_WS_SERVER, data, len, AXR_EPARSE, AXR_WS_CLOSE_PROTOCOL_ERROR);
}

static inline void assert_event(const harness_t *h, size_t i, char kind, int value, const void *data,
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

#endif
