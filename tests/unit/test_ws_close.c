/* test_ws_close.c: websocket engine tests: close handshake, frame encoder, memory bounds (runtime/ws.c). */
#include "tests/unit/ws_harness.h"

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
	return cmocka_run_group_tests_name("ws_close", tests, NULL, NULL);
}
