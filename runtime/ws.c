/* ws.c: socket-free RFC 6455 websocket engine (frame parser, encoder, close handshake). */
#include "ws.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "utf8.h"

/* A message buffer up to this size is kept for the next message; a bigger
 * one is freed once its message is delivered, so idle connections stay small. */
#define AXR__WS_KEEP_BUFFER 1024

struct axr_ws {
	axr_ws_callbacks_t cb;
	void *user;
	size_t max_message;
	axr_ws_role_t role;
	axr_ws_state_t state;

	/* The frame being parsed. */
	uint8_t header[AXR_WS_HEADER_MAX];
	uint8_t header_have; /* header bytes received so far */
	uint8_t header_need; /* header size; 2 until its second byte is known */
	bool in_payload;     /* header complete, payload_left bytes to go */
	bool fin;
	bool masked;
	uint8_t opcode;
	uint8_t mask_key[4];
	uint8_t mask_pos; /* key position of the next payload byte */
	uint64_t payload_left;

	/* The data message being assembled; message_opcode is 0 between messages. */
	uint8_t message_opcode;
	axr_utf8_t utf8;
	uint8_t *message;
	size_t message_len;
	size_t message_cap;

	/* The control frame being received, unmasked, NUL-terminated. */
	uint8_t control[AXR_WS_CONTROL_PAYLOAD_MAX + 1];
	uint8_t control_len;

	uint16_t peer_close_code; /* 0 until the peer's close arrives */
	uint16_t fail_code;
	int fail_err;
	const char *fail_reason;
};

static bool axr__ws_is_control(unsigned opcode)
{
	return opcode & 0x8;
}

static void axr__ws_drop_message(axr_ws_t *ws)
{
	ws->message_opcode = 0;
	ws->message_len = 0;
	if (ws->message_cap > AXR__WS_KEEP_BUFFER) {
		free(ws->message);
		ws->message = NULL;
		ws->message_cap = 0;
	}
}

static int axr__ws_fail(axr_ws_t *ws, int err, int code, const char *why)
{
	ws->state = AXR_WS_FAILED;
	ws->fail_err = err;
	ws->fail_code = (uint16_t)code;
	ws->fail_reason = why;
	ws->message_opcode = 0;
	ws->message_len = 0;
	free(ws->message);
	ws->message = NULL;
	ws->message_cap = 0;
	return err;
}

static int axr__ws_protocol_error(axr_ws_t *ws, const char *why)
{
	return axr__ws_fail(ws, AXR_EPARSE, AXR_WS_CLOSE_PROTOCOL_ERROR, why);
}

axr_ws_t *axr_ws_new(const axr_ws_options_t *options, const axr_ws_callbacks_t *callbacks,
                     void *user)
{
	axr_ws_t *ws = calloc(1, sizeof *ws);

	if (ws == NULL)
		return NULL;
	if (callbacks != NULL)
		ws->cb = *callbacks;
	ws->user = user;
	ws->role = options != NULL && options->role == AXR_WS_CLIENT ? AXR_WS_CLIENT : AXR_WS_SERVER;
	ws->max_message = options != NULL && options->max_message != 0 ? options->max_message
	                                                                  : AXR_WS_DEFAULT_MAX_MESSAGE;
	if (ws->max_message > SIZE_MAX / 2)
		ws->max_message = SIZE_MAX / 2;
	ws->state = AXR_WS_OPEN;
	ws->header_need = 2;
	return ws;
}

void axr_ws_free(axr_ws_t *ws)
{
	if (ws == NULL)
		return;
	free(ws->message);
	free(ws);
}

/* First header byte: FIN, RSV1-3, opcode. Checked on arrival. */
static int axr__ws_header_byte0(axr_ws_t *ws, uint8_t b)
{
	unsigned opcode = b & 0x0F;

	if (b & 0x70)
		return axr__ws_protocol_error(ws, "reserved bits set");
	switch (opcode) {
	case AXR_WS_CONTINUATION:
		if (ws->message_opcode == 0)
			return axr__ws_protocol_error(ws, "continuation frame without a message");
		break;
	case AXR_WS_TEXT:
	case AXR_WS_BINARY:
		if (ws->message_opcode != 0)
			return axr__ws_protocol_error(ws, "new message inside a fragmented message");
		break;
	case AXR_WS_CLOSE:
	case AXR_WS_PING:
	case AXR_WS_PONG:
		if (!(b & 0x80))
			return axr__ws_protocol_error(ws, "fragmented control frame");
		break;
	default:
		return axr__ws_protocol_error(ws, "reserved opcode");
	}
	ws->opcode = (uint8_t)opcode;
	ws->fin = b & 0x80;
	return 0;
}

/* Second header byte: MASK, 7-bit length. Decides the header's size. */
static int axr__ws_header_byte1(axr_ws_t *ws, uint8_t b)
{
	bool masked = b & 0x80;
	unsigned len7 = b & 0x7F;

	if (ws->role == AXR_WS_SERVER && !masked)
		return axr__ws_protocol_error(ws, "unmasked client frame");
	if (ws->role == AXR_WS_CLIENT && masked)
		return axr__ws_protocol_error(ws, "masked server frame");
	if (axr__ws_is_control(ws->opcode) && len7 > AXR_WS_CONTROL_PAYLOAD_MAX)
		return axr__ws_protocol_error(ws, "control frame over 125 bytes");
	ws->masked = masked;
	ws->header_need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0));
	return 0;
}

static int axr__ws_reserve(axr_ws_t *ws, size_t need)
{
	size_t cap;
	uint8_t *grown;

	if (need <= ws->message_cap)
		return 0;
	/* Grow geometrically so many small fragments cost O(n), never past the limit. */
	cap = ws->message_cap * 2;
	if (cap < need)
		cap = need;
	if (cap > ws->max_message + 1)
		cap = ws->max_message + 1;
	grown = realloc(ws->message, cap);
	if (grown == NULL)
		return axr__ws_fail(ws, AXR_ENOMEM, AXR_WS_CLOSE_INTERNAL_ERROR, "out of memory");
	ws->message = grown;
	ws->message_cap = cap;
	return 0;
}

/* The header is complete: decode the length and mask key, open the payload. */
static int axr__ws_frame_begin(axr_ws_t *ws)
{
	const uint8_t *h = ws->header;
	unsigned len7 = h[1] & 0x7F;
	uint64_t len = len7;
	size_t pos = 2;

	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		pos = 4;
		if (len < 126)
			return axr__ws_protocol_error(ws, "length not in its shortest form");
	} else if (len7 == 127) {
		len = 0;
		for (pos = 2; pos < 10; pos++)
			len = len << 8 | h[pos];
		if (len >> 63)
			return axr__ws_protocol_error(ws, "64-bit length with the top bit set");
		if (len <= 0xFFFF)
			return axr__ws_protocol_error(ws, "length not in its shortest form");
	}
	if (ws->masked)
		memcpy(ws->mask_key, h + pos, 4);
	ws->mask_pos = 0;
	ws->payload_left = len;
	ws->in_payload = true;
	ws->header_have = 0;
	ws->header_need = 2;

	if (axr__ws_is_control(ws->opcode)) {
		ws->control_len = 0;
		return 0;
	}
	/* message_len <= max_message always holds, so this cannot wrap. */
	if (len > ws->max_message - ws->message_len)
		return axr__ws_fail(ws, AXR_ETOOBIG, AXR_WS_CLOSE_TOO_BIG, "message too big");
	if (ws->opcode != AXR_WS_CONTINUATION) {
		ws->message_opcode = ws->opcode;
		ws->message_len = 0;
		axr_utf8_init(&ws->utf8);
	}
	return axr__ws_reserve(ws, ws->message_len + (size_t)len + 1);
}

/* Takes header bytes; the first two one at a time so they are checked early. */
static int axr__ws_header_bytes(axr_ws_t *ws, const uint8_t *data, size_t len, size_t *used)
{
	size_t n = 1;
	int rc = 0;

	if (ws->header_have == 0)
		rc = axr__ws_header_byte0(ws, data[0]);
	else if (ws->header_have == 1)
		rc = axr__ws_header_byte1(ws, data[0]);
	else if ((n = (size_t)(ws->header_need - ws->header_have)) > len)
		n = len;
	if (rc < 0)
		return rc;
	memcpy(ws->header + ws->header_have, data, n);
	ws->header_have = (uint8_t)(ws->header_have + n);
	*used = n;
	if (ws->header_have == ws->header_need)
		return axr__ws_frame_begin(ws);
	return 0;
}

/* Takes payload bytes: unmask into the control or message buffer. */
static int axr__ws_payload_bytes(axr_ws_t *ws, const uint8_t *data, size_t len, size_t *used)
{
	size_t n = ws->payload_left < len ? (size_t)ws->payload_left : len;
	uint8_t *dst;

	if (axr__ws_is_control(ws->opcode))
		dst = ws->control + ws->control_len;
	else
		dst = ws->message + ws->message_len;
	memcpy(dst, data, n);
	if (ws->masked) {
		axr_ws_mask(dst, n, ws->mask_key, ws->mask_pos);
		ws->mask_pos = (uint8_t)((ws->mask_pos + n) & 3);
	}
	ws->payload_left -= n;
	*used = n;
	if (axr__ws_is_control(ws->opcode)) {
		ws->control_len = (uint8_t)(ws->control_len + n);
		return 0;
	}
	ws->message_len += n;
	if (ws->message_opcode == AXR_WS_TEXT && axr_utf8_feed(&ws->utf8, dst, n) < 0)
		return axr__ws_fail(ws, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA,
		                    "invalid UTF-8 in text message");
	return 0;
}

static int axr__ws_close_received(axr_ws_t *ws)
{
	const uint8_t *p = ws->control;
	int code = AXR_WS_CLOSE_NO_STATUS;
	const char *reason = "";
	size_t reason_len = 0;

	if (ws->control_len == 1)
		return axr__ws_protocol_error(ws, "close frame with a 1-byte payload");
	if (ws->control_len >= 2) {
		code = p[0] << 8 | p[1];
		if (!axr_ws_close_code_valid(code))
			return axr__ws_protocol_error(ws, "invalid close code");
		reason = (const char *)p + 2;
		reason_len = ws->control_len - 2u;
		if (axr_utf8_validate(reason, reason_len) < 0)
			return axr__ws_fail(ws, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA,
			                    "invalid UTF-8 in close reason");
	}
	ws->peer_close_code = (uint16_t)code;
	ws->state = ws->state == AXR_WS_OPEN ? AXR_WS_CLOSE_RECEIVED : AXR_WS_CLOSED;
	axr__ws_drop_message(ws);
	if (ws->cb.on_close != NULL)
		ws->cb.on_close(ws->user, code, reason, reason_len);
	return 0;
}

/* The payload is complete: act on the control frame or message. */
static int axr__ws_frame_end(axr_ws_t *ws)
{
	bool deliver = ws->state == AXR_WS_OPEN;
	axr_ws_opcode_t opcode;

	ws->in_payload = false;
	if (axr__ws_is_control(ws->opcode)) {
		ws->control[ws->control_len] = 0;
		if (ws->opcode == AXR_WS_CLOSE)
			return axr__ws_close_received(ws);
		if (!deliver)
			return 0;
		if (ws->opcode == AXR_WS_PING && ws->cb.on_ping != NULL)
			ws->cb.on_ping(ws->user, ws->control, ws->control_len);
		else if (ws->opcode == AXR_WS_PONG && ws->cb.on_pong != NULL)
			ws->cb.on_pong(ws->user, ws->control, ws->control_len);
		return 0;
	}
	if (!ws->fin)
		return 0;
	if (ws->message_opcode == AXR_WS_TEXT && axr_utf8_finish(&ws->utf8) < 0)
		return axr__ws_fail(ws, AXR_EPARSE, AXR_WS_CLOSE_INVALID_DATA,
		                    "invalid UTF-8 in text message");
	opcode = (axr_ws_opcode_t)ws->message_opcode;
	ws->message[ws->message_len] = 0;
	if (deliver && ws->cb.on_message != NULL)
		ws->cb.on_message(ws->user, opcode, ws->message, ws->message_len);
	axr__ws_drop_message(ws);
	return 0;
}

int axr_ws_feed(axr_ws_t *ws, const uint8_t *data, size_t len)
{
	if (ws->state == AXR_WS_FAILED)
		return ws->fail_err;
	/* After the peer's close nothing it sends matters (RFC 6455 5.5.1). */
	while (len > 0 && (ws->state == AXR_WS_OPEN || ws->state == AXR_WS_CLOSE_SENT)) {
		size_t used = 0;
		int rc = ws->in_payload ? axr__ws_payload_bytes(ws, data, len, &used)
		                        : axr__ws_header_bytes(ws, data, len, &used);

		if (rc == 0 && ws->in_payload && ws->payload_left == 0)
			rc = axr__ws_frame_end(ws);
		if (rc < 0)
			return rc;
		data += used;
		len -= used;
	}
	return 0;
}

axr_ws_state_t axr_ws_state(const axr_ws_t *ws)
{
	return ws->state;
}

int axr_ws_close_code(const axr_ws_t *ws)
{
	switch (ws->state) {
	case AXR_WS_OPEN:
		return AXR_WS_CLOSE_NORMAL;
	case AXR_WS_CLOSE_RECEIVED:
		return ws->peer_close_code == AXR_WS_CLOSE_NO_STATUS ? AXR_WS_CLOSE_NORMAL
		                                                     : ws->peer_close_code;
	case AXR_WS_FAILED:
		return ws->fail_code;
	default:
		return 0;
	}
}

int axr_ws_peer_close_code(const axr_ws_t *ws)
{
	return ws->peer_close_code;
}

const char *axr_ws_error(const axr_ws_t *ws)
{
	return ws->fail_reason;
}

size_t axr_ws_memory(const axr_ws_t *ws)
{
	return sizeof *ws + ws->message_cap;
}

int axr_ws_close(axr_ws_t *ws, int code, const char *reason, size_t reason_len,
                 uint8_t out[AXR_WS_CONTROL_FRAME_MAX], size_t *frame_len)
{
	uint8_t key[4];
	const uint8_t *mask_key = NULL;
	axr_ws_state_t next;
	int rc;

	switch (ws->state) {
	case AXR_WS_OPEN:
		next = AXR_WS_CLOSE_SENT;
		break;
	case AXR_WS_CLOSE_RECEIVED:
		next = AXR_WS_CLOSED;
		break;
	case AXR_WS_FAILED:
		next = AXR_WS_CLOSED;
		code = ws->fail_code;
		if (reason == NULL) {
			reason = ws->fail_reason;
			reason_len = strlen(reason);
		}
		break;
	default:
		return AXR_ECLOSED;
	}
	if (code == 0)
		code = axr_ws_close_code(ws);
	if (ws->role == AXR_WS_CLIENT) {
		if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
			return AXR_EIO;
		mask_key = key;
	}
	rc = axr_ws_close_frame(out, code, reason, reason_len, mask_key, frame_len);
	if (rc < 0)
		return rc;
	ws->state = next;
	return 0;
}

/* ---- encoder ---- */

int axr_ws_frame_header(uint8_t out[AXR_WS_HEADER_MAX], axr_ws_opcode_t opcode, bool fin,
                        uint64_t payload_len, const uint8_t *mask_key, size_t *header_len)
{
	uint8_t mask_bit = mask_key != NULL ? 0x80 : 0;
	size_t n;

	switch (opcode) {
	case AXR_WS_CONTINUATION:
	case AXR_WS_TEXT:
	case AXR_WS_BINARY:
		break;
	case AXR_WS_CLOSE:
	case AXR_WS_PING:
	case AXR_WS_PONG:
		if (!fin || payload_len > AXR_WS_CONTROL_PAYLOAD_MAX)
			return AXR_EINVAL;
		break;
	default:
		return AXR_EINVAL;
	}
	if (payload_len >> 63)
		return AXR_EINVAL;
	out[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (payload_len < 126) {
		out[1] = (uint8_t)(mask_bit | payload_len);
		n = 2;
	} else if (payload_len <= 0xFFFF) {
		out[1] = mask_bit | 126;
		out[2] = (uint8_t)(payload_len >> 8);
		out[3] = (uint8_t)payload_len;
		n = 4;
	} else {
		out[1] = mask_bit | 127;
		for (n = 2; n < 10; n++)
			out[n] = (uint8_t)(payload_len >> (8 * (9 - n)));
	}
	if (mask_key != NULL) {
		memcpy(out + n, mask_key, 4);
		n += 4;
	}
	*header_len = n;
	return 0;
}

/* Header plus copied (and masked, for a client) payload of a control frame. */
static int axr__ws_build_control(uint8_t out[AXR_WS_CONTROL_FRAME_MAX], axr_ws_opcode_t opcode,
                                 const uint8_t *payload, size_t len, const uint8_t *mask_key,
                                 size_t *frame_len)
{
	size_t header_len;
	int rc = axr_ws_frame_header(out, opcode, true, len, mask_key, &header_len);

	if (rc < 0)
		return rc;
	if (len > 0)
		memcpy(out + header_len, payload, len);
	if (mask_key != NULL)
		axr_ws_mask(out + header_len, len, mask_key, 0);
	*frame_len = header_len + len;
	return 0;
}

int axr_ws_control_frame(uint8_t out[AXR_WS_CONTROL_FRAME_MAX], axr_ws_opcode_t opcode,
                         const uint8_t *payload, size_t len, const uint8_t *mask_key,
                         size_t *frame_len)
{
	if (opcode != AXR_WS_PING && opcode != AXR_WS_PONG)
		return AXR_EINVAL;
	return axr__ws_build_control(out, opcode, payload, len, mask_key, frame_len);
}

int axr_ws_close_frame(uint8_t out[AXR_WS_CONTROL_FRAME_MAX], int code, const char *reason,
                       size_t reason_len, const uint8_t *mask_key, size_t *frame_len)
{
	uint8_t payload[AXR_WS_CONTROL_PAYLOAD_MAX];
	size_t len = 0;

	if (reason == NULL)
		reason_len = 0;
	if (code == 0) {
		if (reason_len > 0)
			return AXR_EINVAL;
	} else {
		if (!axr_ws_close_code_valid(code))
			return AXR_EINVAL;
		if (axr_utf8_validate(reason, reason_len) < 0)
			return AXR_EINVAL;
		if (reason_len > AXR_WS_CLOSE_REASON_MAX)
			reason_len = axr_utf8_boundary(reason, AXR_WS_CLOSE_REASON_MAX);
		payload[0] = (uint8_t)(code >> 8);
		payload[1] = (uint8_t)code;
		if (reason_len > 0)
			memcpy(payload + 2, reason, reason_len);
		len = 2 + reason_len;
	}
	return axr__ws_build_control(out, AXR_WS_CLOSE, payload, len, mask_key, frame_len);
}

void axr_ws_mask(uint8_t *data, size_t len, const uint8_t key[4], size_t offset)
{
	uint8_t key8[8];
	uint64_t word_key;
	size_t i;

	for (i = 0; i < 8; i++)
		key8[i] = key[(offset + i) & 3];
	memcpy(&word_key, key8, sizeof word_key);
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t word;
		memcpy(&word, data + i, sizeof word);
		word ^= word_key;
		memcpy(data + i, &word, sizeof word);
	}
	for (; i < len; i++)
		data[i] ^= key8[i & 7];
}

bool axr_ws_close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}
