/* ws.h: socket-free RFC 6455 websocket engine (frame parser, encoder, close handshake). */
#ifndef AXR_WS_H
#define AXR_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The engine turns bytes read from a peer into callbacks (complete messages,
 * pings, pongs, close) and builds the frames we send. It owns no socket,
 * timer or event loop: the caller reads, feeds, writes and times out.
 *
 * Driving one server-side connection (after a 101 answer, see ws_handshake.h):
 *
 *     ws = axr_ws_new(NULL, &callbacks, conn);    // NULL = server, 64 KiB
 *     on readable: for each chunk of input bytes
 *         axr_ws_feed(ws, chunk, n);              // consumes all n bytes
 *         switch (axr_ws_state(ws)) {
 *         case AXR_WS_OPEN:       keep going
 *         case AXR_WS_CLOSE_SENT: keep feeding; drop TCP after a timeout
 *         case AXR_WS_CLOSE_RECEIVED:             // peer closed
 *         case AXR_WS_FAILED:                     // peer broke the protocol
 *             axr_ws_close(ws, 0, NULL, 0, frame, &n); write frame;
 *             then flush and close TCP
 *         case AXR_WS_CLOSED:     flush and close TCP
 *         }
 *     on_ping(payload): write axr_ws_control_frame(AXR_WS_PONG, payload)
 *     to send a message: axr_ws_frame_header() + writev(header, payload)
 *     to close: axr_ws_close(ws, 1000 or 1001 ..., frame) then wait in
 *               AXR_WS_CLOSE_SENT for the peer's close (with a timeout)
 *
 * An engine is not thread-safe; use it from the connection's thread.
 */

/* Frame opcodes (RFC 6455 section 5.2). */
typedef enum axr_ws_opcode {
	AXR_WS_CONTINUATION = 0x0,
	AXR_WS_TEXT = 0x1,
	AXR_WS_BINARY = 0x2,
	AXR_WS_CLOSE = 0x8,
	AXR_WS_PING = 0x9,
	AXR_WS_PONG = 0xA,
} axr_ws_opcode_t;

/* Close status codes used by the engine (RFC 6455 section 7.4.1). */
enum {
	AXR_WS_CLOSE_NORMAL = 1000,
	AXR_WS_CLOSE_GOING_AWAY = 1001,
	AXR_WS_CLOSE_PROTOCOL_ERROR = 1002,
	AXR_WS_CLOSE_UNSUPPORTED = 1003,
	AXR_WS_CLOSE_NO_STATUS = 1005,     /* never sent: "close had no code" */
	AXR_WS_CLOSE_ABNORMAL = 1006,      /* never sent: "no close frame" */
	AXR_WS_CLOSE_INVALID_DATA = 1007,
	AXR_WS_CLOSE_POLICY = 1008,
	AXR_WS_CLOSE_TOO_BIG = 1009,
	AXR_WS_CLOSE_INTERNAL_ERROR = 1011,
	AXR_WS_CLOSE_TRY_AGAIN_LATER = 1013,
};

/* Sizes for caller-provided buffers. */
#define AXR_WS_HEADER_MAX 14              /* 2 + 8 (length) + 4 (mask key) */
#define AXR_WS_CONTROL_PAYLOAD_MAX 125
#define AXR_WS_CLOSE_REASON_MAX 123       /* 125 - 2 bytes of status code */
#define AXR_WS_CONTROL_FRAME_MAX (2 + 4 + AXR_WS_CONTROL_PAYLOAD_MAX)
#define AXR_WS_DEFAULT_MAX_MESSAGE (64 * 1024)

typedef enum axr_ws_role {
	AXR_WS_SERVER = 0, /* peer frames must be masked; ours are not */
	AXR_WS_CLIENT = 1, /* peer frames must not be masked; ours are */
} axr_ws_role_t;

typedef struct axr_ws_options {
	axr_ws_role_t role;
	/* Largest message (sum of its fragments' payloads) accepted; a bigger
	 * one fails the connection with 1009 as soon as a frame header announces
	 * it, before any of it is buffered. 0 = AXR_WS_DEFAULT_MAX_MESSAGE. */
	size_t max_message;
} axr_ws_options_t;

/*
 * Called from inside axr_ws_feed(). Any may be NULL (the event is then
 * dropped). Payload pointers are valid only during the call; the byte at
 * payload[len] is always 0, so a text payload is also a C string (unless it
 * contains NUL itself). A callback may call axr_ws_close() (the engine then
 * delivers nothing more but still watches for the peer's close) and the
 * query functions; it must not call axr_ws_feed() or axr_ws_free().
 */
typedef struct axr_ws_callbacks {
	/* A complete message: AXR_WS_TEXT (valid UTF-8, checked) or
	 * AXR_WS_BINARY, fragments already joined. */
	void (*on_message)(void *user, axr_ws_opcode_t opcode, const uint8_t *payload, size_t len);
	/* A ping (0..125 bytes). The caller must answer with a pong carrying the
	 * same payload: axr_ws_control_frame(AXR_WS_PONG, payload, len, ...). */
	void (*on_ping)(void *user, const uint8_t *payload, size_t len);
	void (*on_pong)(void *user, const uint8_t *payload, size_t len);
	/* The peer's close frame (already validated). `code` is
	 * AXR_WS_CLOSE_NO_STATUS (1005) when the frame had no code; `reason` is
	 * valid UTF-8, 0..123 bytes. The state is AXR_WS_CLOSE_RECEIVED (answer
	 * with axr_ws_close()) or AXR_WS_CLOSED (we had closed first). */
	void (*on_close)(void *user, int code, const char *reason, size_t len);
} axr_ws_callbacks_t;

typedef enum axr_ws_state {
	AXR_WS_OPEN,           /* messages flow both ways */
	AXR_WS_CLOSE_RECEIVED, /* peer sent close: answer with axr_ws_close(), then close TCP */
	AXR_WS_CLOSE_SENT,     /* we sent close: feed until the peer's close arrives (time out) */
	AXR_WS_CLOSED,         /* both closes exchanged: flush, then close TCP */
	AXR_WS_FAILED,         /* peer broke the protocol: send axr_ws_close(), close TCP */
} axr_ws_state_t;

typedef struct axr_ws axr_ws_t;

/* Creates an engine. `options` NULL = server role, 64 KiB messages;
 * `callbacks` is copied (NULL = no callbacks); `user` is passed to them.
 * Returns NULL when out of memory. Free with axr_ws_free(). The engine holds
 * a few hundred bytes plus, while a message is being received, a buffer of at
 * most max_message + 1 bytes. */
axr_ws_t *axr_ws_new(const axr_ws_options_t *options, const axr_ws_callbacks_t *callbacks,
                     void *user);

/* Frees the engine. NULL is a no-op. */
void axr_ws_free(axr_ws_t *ws);

/*
 * Consumes `len` bytes received from the peer, in any split: frame headers,
 * payloads and UTF-8 sequences may be cut anywhere, down to one byte per call.
 * Calls the callbacks for each complete message, ping, pong and close.
 *
 * Returns 0 when the bytes were fine (also when they were ignored because
 * the peer had already closed). On a protocol violation returns a negative
 * code and the state becomes AXR_WS_FAILED with the close code to send:
 *   AXR_EPARSE   1002: unmasked client frame (masked server frame in client
 *                role), reserved bits set, reserved opcode, fragmented or
 *                > 125-byte control frame, continuation without a message,
 *                new message inside a fragmented one, 64-bit length with the
 *                top bit set, length not in its shortest encoding, close
 *                payload of 1 byte or with an invalid code;
 *   AXR_EPARSE   1007: text message or close reason that is not UTF-8;
 *   AXR_ETOOBIG  1009: message over max_message;
 *   AXR_ENOMEM   1011: the message buffer could not be allocated.
 * Once failed, every later call returns the same code and consumes nothing.
 */
int axr_ws_feed(axr_ws_t *ws, const uint8_t *data, size_t len);

/* The close handshake state (see axr_ws_state_t). */
axr_ws_state_t axr_ws_state(const axr_ws_t *ws);

/* The code axr_ws_close(ws, 0, ...) would send now: the failure code when
 * FAILED, the peer's code (1000 if it sent none) when CLOSE_RECEIVED, 1000
 * when OPEN; 0 when a close was already sent. */
int axr_ws_close_code(const axr_ws_t *ws);

/* The code in the peer's close frame (1005 if it had none), or 0 when no
 * close was received. */
int axr_ws_peer_close_code(const axr_ws_t *ws);

/* A short static description of why the engine failed ("unmasked client
 * frame", ...), usable as close reason and in logs; NULL unless FAILED (or
 * CLOSED after a failure). */
const char *axr_ws_error(const axr_ws_t *ws);

/* Bytes of memory the engine holds now (struct and message buffer). */
size_t axr_ws_memory(const axr_ws_t *ws);

/*
 * Builds our close frame into `out` (AXR_WS_CONTROL_FRAME_MAX bytes), stores
 * its size in *frame_len, and advances the state: OPEN -> CLOSE_SENT,
 * CLOSE_RECEIVED -> CLOSED, FAILED -> CLOSED. The caller writes the frame.
 * `code` 0 means axr_ws_close_code(); when FAILED the failure code is always
 * used and `reason` NULL means axr_ws_error(). `reason` (may be NULL) must be
 * UTF-8 and is cut to 123 bytes at a character boundary.
 * Errors: AXR_ECLOSED (close already sent: nothing to do, no frame),
 * AXR_EINVAL (code not sendable: only 1000-1003, 1007-1014, 3000-4999 are,
 * or reason not UTF-8), AXR_EIO (client role: no random mask key).
 */
int axr_ws_close(axr_ws_t *ws, int code, const char *reason, size_t reason_len,
                 uint8_t out[AXR_WS_CONTROL_FRAME_MAX], size_t *frame_len);

/*
 * Encoder, stateless: building frames never needs the engine.
 *
 * axr_ws_frame_header() writes the header of a frame carrying `payload_len`
 * bytes into `out` and its size (2..14) into *header_len; the caller sends
 * the header then the payload (writev, no copy). `mask_key` NULL makes a
 * server frame (unmasked); else the key is written and the caller must mask
 * the payload with axr_ws_mask(). `fin` false sends a fragment: follow it
 * with AXR_WS_CONTINUATION frames, the last with fin true.
 * Errors: AXR_EINVAL for an unknown opcode, a control frame over 125 bytes
 * or not final, or payload_len >= 2^63.
 */
int axr_ws_frame_header(uint8_t out[AXR_WS_HEADER_MAX], axr_ws_opcode_t opcode, bool fin,
                        uint64_t payload_len, const uint8_t *mask_key, size_t *header_len);

/* Builds a whole ping or pong frame (payload 0..125 bytes, copied) into
 * `out`; *frame_len gets its size. `mask_key` as for axr_ws_frame_header().
 * Errors: AXR_EINVAL for another opcode or a payload over 125 bytes. */
int axr_ws_control_frame(uint8_t out[AXR_WS_CONTROL_FRAME_MAX], axr_ws_opcode_t opcode,
                         const uint8_t *payload, size_t len, const uint8_t *mask_key,
                         size_t *frame_len);

/* Builds a close frame with `code` (0 = no code and no reason) and
 * `reason` (UTF-8, cut to 123 bytes at a character boundary) without
 * touching any engine state. Errors as axr_ws_close(). */
int axr_ws_close_frame(uint8_t out[AXR_WS_CONTROL_FRAME_MAX], int code, const char *reason,
                       size_t reason_len, const uint8_t *mask_key, size_t *frame_len);

/* XORs `len` bytes with the 4-byte `key`, starting at key position
 * `offset` % 4 (so a payload can be masked in pieces). Masking twice
 * restores the data. */
void axr_ws_mask(uint8_t *data, size_t len, const uint8_t key[4], size_t offset);

/* Returns true when a peer may send `code` in a close frame (1000-1003,
 * 1007-1014, 3000-4999). */
bool axr_ws_close_code_valid(int code);

#endif
