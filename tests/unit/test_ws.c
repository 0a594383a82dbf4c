/* test_ws.c: websocket engine tests: RFC 6455 examples, split input, protocol violations (runtime/ws.c). */
#include "tests/unit/ws_harness.h"

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
	};
#undef T
	return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
