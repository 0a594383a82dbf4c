/* fuzz_ws.c: libFuzzer target for the websocket engine, UTF-8 validator and upgrade check. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "utf8.h"
#include "tests/unit/utf8_reference.h"
#include "ws.h"
#include "ws_handshake.h"

/*
 * The first input byte picks what to fuzz; the rest is the input:
 *
 *   bits 0-1  0, 1: frame parser; 2: UTF-8 validator; 3: upgrade check
 *             (the rest read as an HTTP head by axr_http_parse_head)
 *   bit  2    parser role: 0 server, 1 client
 *   bits 3-4  max_message: 64 KiB, 16, 200, 1000 bytes
 *   bit  5    close from inside the first on_message callback
 *   bits 6-7  seed for the random split points
 *
 * The parser is fed the same bytes whole, one byte at a time and in random
 * pieces; all three must report the same events, return code and state.
 * Every reported event is checked against the contract in ws.h, and any
 * close frame the engine builds must parse back to the same code.
 */

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* ---- frame parser ---- */

typedef struct run {
	axr_ws_t *ws;
	size_t max_message;
	int close_in_callback;
	uint64_t hash; /* FNV-1a over every event */
	size_t events;
	size_t messages;
} run_t;

static void hash_bytes(run_t *r, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++) {
		r->hash ^= p[i];
		r->hash *= UINT64_C(0x100000001b3);
	}
}

static void hash_event(run_t *r, char kind, int value, const uint8_t *payload, size_t len)
{
	uint64_t header[3] = {(uint64_t)kind, (uint64_t)(int64_t)value, len};

	CHECK(payload != NULL);
	CHECK(payload[len] == 0);
	hash_bytes(r, header, sizeof header);
	hash_bytes(r, payload, len);
	r->events++;
}

static void on_message(void *user, axr_ws_opcode_t opcode, const uint8_t *payload, size_t len)
{
	run_t *r = user;

	CHECK(axr_ws_state(r->ws) == AXR_WS_OPEN);
	CHECK(opcode == AXR_WS_TEXT || opcode == AXR_WS_BINARY);
	CHECK(len <= r->max_message);
	if (opcode == AXR_WS_TEXT)
		CHECK(utf8_reference_valid(payload, len));
	hash_event(r, 'M', (int)opcode, payload, len);
	if (r->close_in_callback && r->messages == 0) {
		uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
		size_t n;
		CHECK(axr_ws_close(r->ws, AXR_WS_CLOSE_POLICY, "policy", 6, frame, &n) == 0);
		CHECK(axr_ws_state(r->ws) == AXR_WS_CLOSE_SENT);
	}
	r->messages++;
}

static void on_control(run_t *r, char kind, const uint8_t *payload, size_t len)
{
	CHECK(axr_ws_state(r->ws) == AXR_WS_OPEN);
	CHECK(len <= AXR_WS_CONTROL_PAYLOAD_MAX);
	hash_event(r, kind, 0, payload, len);
}

static void on_ping(void *user, const uint8_t *payload, size_t len)
{
	on_control(user, 'I', payload, len);
}

static void on_pong(void *user, const uint8_t *payload, size_t len)
{
	on_control(user, 'O', payload, len);
}

static void on_close(void *user, int code, const char *reason, size_t len)
{
	run_t *r = user;
	axr_ws_state_t state = axr_ws_state(r->ws);

	CHECK(state == AXR_WS_CLOSE_RECEIVED || state == AXR_WS_CLOSED);
	CHECK(code == AXR_WS_CLOSE_NO_STATUS || axr_ws_close_code_valid(code));
	CHECK(len <= AXR_WS_CLOSE_REASON_MAX);
	CHECK(utf8_reference_valid((const uint8_t *)reason, len));
	hash_event(r, 'C', code, (const uint8_t *)reason, len);
}

static const axr_ws_callbacks_t callbacks = {
	.on_message = on_message,
	.on_ping = on_ping,
	.on_pong = on_pong,
	.on_close = on_close,
};

typedef struct result {
	int rc;
	axr_ws_state_t state;
	int close_code;
	int peer_close_code;
	uint64_t hash;
	size_t events;
} result_t;

/* Feeds data in pieces: `piece` 0 = whole, 1 = byte by byte, else random
 * sizes 1..piece from a small xorshift generator seeded with `seed`. */
static void run_parser(const axr_ws_options_t *options, int close_in_callback, const uint8_t *data,
                       size_t size, size_t piece, uint32_t seed, result_t *out)
{
	run_t r = {.max_message = options->max_message ? options->max_message
	                                                 : AXR_WS_DEFAULT_MAX_MESSAGE,
	           .close_in_callback = close_in_callback,
	           .hash = UINT64_C(0xcbf29ce484222325)};
	uint32_t x = seed | 1;
	size_t i = 0;
	int rc = 0;

	r.ws = axr_ws_new(options, &callbacks, &r);
	CHECK(r.ws != NULL);
	while (i < size) {
		size_t n = size - i;
		if (piece == 1) {
			n = 1;
		} else if (piece > 1) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			n = 1 + x % piece;
			if (n > size - i)
				n = size - i;
		}
		rc = axr_ws_feed(r.ws, data + i, n);
		if (rc < 0)
			break;
		i += n;
	}
	out->rc = rc;
	out->state = axr_ws_state(r.ws);
	out->close_code = axr_ws_close_code(r.ws);
	out->peer_close_code = axr_ws_peer_close_code(r.ws);
	out->hash = r.hash;
	out->events = r.events;

	/* The contract of the result. */
	CHECK(axr_ws_memory(r.ws) <= 4096 + r.max_message + 1);
	if (rc < 0) {
		CHECK(rc == AXR_EPARSE || rc == AXR_ETOOBIG);
		CHECK(out->state == AXR_WS_FAILED);
		CHECK(axr_ws_error(r.ws) != NULL);
		CHECK(out->close_code == AXR_WS_CLOSE_PROTOCOL_ERROR ||
		      out->close_code == AXR_WS_CLOSE_INVALID_DATA ||
		      out->close_code == AXR_WS_CLOSE_TOO_BIG);
		CHECK((rc == AXR_ETOOBIG) == (out->close_code == AXR_WS_CLOSE_TOO_BIG));
		CHECK(axr_ws_feed(r.ws, data, size) == rc); /* sticky */
	} else {
		CHECK(out->state != AXR_WS_FAILED);
	}

	/* Whatever state we are in, our close frame parses back to its code. */
	if (piece == 0) {
		uint8_t frame[AXR_WS_CONTROL_FRAME_MAX];
		size_t n;
		int want = axr_ws_close_code(r.ws);
		int close_rc = axr_ws_close(r.ws, 0, NULL, 0, frame, &n);
		if (want == 0) {
			CHECK(close_rc == AXR_ECLOSED);
		} else {
			axr_ws_options_t peer_options = {
				.role = options->role == AXR_WS_CLIENT ? AXR_WS_SERVER : AXR_WS_CLIENT};
			run_t peer = {.max_message = AXR_WS_DEFAULT_MAX_MESSAGE,
			              .hash = UINT64_C(0xcbf29ce484222325)};
			CHECK(close_rc == 0);
			CHECK(axr_ws_state(r.ws) == AXR_WS_CLOSED || axr_ws_state(r.ws) == AXR_WS_CLOSE_SENT);
			peer.ws = axr_ws_new(&peer_options, &callbacks, &peer);
			CHECK(peer.ws != NULL);
			CHECK(axr_ws_feed(peer.ws, frame, n) == 0);
			CHECK(axr_ws_peer_close_code(peer.ws) == want);
			CHECK(peer.events == 1);
			axr_ws_free(peer.ws);
		}
	}
	axr_ws_free(r.ws);
}

static void same_result(const result_t *a, const result_t *b)
{
	CHECK(a->rc == b->rc);
	CHECK(a->state == b->state);
	CHECK(a->close_code == b->close_code);
	CHECK(a->peer_close_code == b->peer_close_code);
	CHECK(a->events == b->events);
	CHECK(a->hash == b->hash);
}

static void fuzz_parser(uint8_t mode, const uint8_t *data, size_t size)
{
	static const size_t limits[] = {0, 16, 200, 1000};
	axr_ws_options_t options = {
		.role = (mode & 0x04) ? AXR_WS_CLIENT : AXR_WS_SERVER,
		.max_message = limits[(mode >> 3) & 3],
	};
	int close_in_callback = (mode >> 5) & 1;
	result_t whole, bytes, pieces;

	run_parser(&options, close_in_callback, data, size, 0, 0, &whole);
	run_parser(&options, close_in_callback, data, size, 1, 0, &bytes);
	run_parser(&options, close_in_callback, data, size, 17, (uint32_t)(mode >> 6) * 7919 + (uint32_t)size, &pieces);
	same_result(&whole, &bytes);
	same_result(&whole, &pieces);
}

/* ---- UTF-8 validator ---- */

static void fuzz_utf8(const uint8_t *data, size_t size)
{
	int want = utf8_reference_valid(data, size);
	axr_utf8_t v;
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	int rc;

	CHECK((axr_utf8_validate(data, size) == 0) == want);
	/* Split in two at a byte chosen by the input. */
	axr_utf8_init(&v);
	rc = axr_utf8_feed(&v, data, cut);
	if (rc == 0)
		rc = axr_utf8_feed(&v, data + cut, size - cut);
	if (rc == 0)
		rc = axr_utf8_finish(&v);
	CHECK((rc == 0) == want);
	/* A valid prefix must be reported as one until the bad byte. */
	axr_utf8_init(&v);
	for (size_t i = 0; i < size; i++) {
		int ok = axr_utf8_feed(&v, data + i, 1) == 0;
		if (!ok) {
			CHECK(!want);
			break;
		}
	}
	/* Cutting at the boundary keeps valid text valid. */
	if (want) {
		size_t b = axr_utf8_boundary(data, cut);
		CHECK(b <= cut);
		CHECK(axr_utf8_validate(data, b) == 0);
	}
}

/* ---- upgrade check ---- */

/* Reads the bytes as an HTTP request head with the server's parser, then
 * checks it as an upgrade. */
static void fuzz_handshake(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = {"https://play.example.com", "https://*.example.org", "null"};
	axr_ws_handshake_config_t config = {.allowed_origins = allowed, .allowed_origins_count = 3};
	axr_http_head_t *head = calloc(1, sizeof *head);
	const char *why;
	axr_ws_handshake_t hs;

	CHECK(head != NULL);
	if (axr_http_parse_head((const char *)data, size, size, head, &why) > 0) {
		int rc = axr_ws_handshake_check(&config, head, &hs);
		if (rc == 0) {
			char head_text[AXR_WS_RESPONSE_HEAD_MAX];
			size_t len;
			CHECK(hs.status == 101);
			CHECK(strlen(hs.accept) == AXR_WS_ACCEPT_LEN);
			CHECK(axr_ws_handshake_response(&hs, head_text, sizeof head_text, &len) == 0);
			CHECK(len == strlen(head_text));
		} else {
			CHECK(hs.status == 400 || hs.status == 403 || hs.status == 405 || hs.status == 426);
			CHECK(hs.reason != NULL);
		}
		for (size_t i = 0; i < head->nheaders; i++)
			(void)axr_ws_origin_allowed(&config, head->headers[i].value,
			                            head->headers[i].value_len);
	}
	free(head);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;

	if (size == 0)
		return 0;
	mode = data[0];
	data++;
	size--;
	switch (mode & 3) {
	case 0:
	case 1:
		fuzz_parser(mode, data, size);
		break;
	case 2:
		fuzz_utf8(data, size);
		break;
	default:
		fuzz_handshake(data, size);
		break;
	}
	return 0;
}
