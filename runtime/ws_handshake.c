/* ws_handshake.c: RFC 6455 opening handshake: check an upgrade request, build the 101 answer. */
#include "ws_handshake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "err.h"
#include "server_internal.h"

static const char axr__ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* True when the `len` bytes at `s` equal `lower` (lowercase) ignoring case. */
static bool axr__ws_equals(const char *s, size_t len, const char *lower)
{
	return strlen(lower) == len && strncasecmp(s, lower, len) == 0;
}

/* True when the comma-separated list value[0..len) has `token` (lowercase),
 * compared case-insensitively, blanks around items ignored. */
static bool axr__ws_list_has(const char *value, size_t len, const char *token)
{
	size_t i = 0;

	while (i < len) {
		size_t start, end;

		while (i < len && (value[i] == ' ' || value[i] == '\t'))
			i++;
		start = i;
		while (i < len && value[i] != ',')
			i++;
		end = i++;
		while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
			end--;
		if (axr__ws_equals(value + start, end - start, token))
			return true;
	}
	return false;
}

/* True when key is the canonical base64 (RFC 4648) of 16 bytes: 22
 * characters, the last carrying 2 data bits and 4 zero bits (so one of
 * "AQgw"), then "==". */
static bool axr__ws_key_valid(const char *key, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	if (len != 24 || key[22] != '=' || key[23] != '=' || memchr("AQgw", key[21], 4) == NULL)
		return false;
	for (i = 0; i < 21; i++)
		if (memchr(alphabet, key[i], sizeof alphabet - 1) == NULL)
			return false;
	return true;
}

static bool axr__ws_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

/* `pattern` has one '*' at `star`: prefix and suffix match, the middle is
 * one or more host characters. */
static bool axr__ws_origin_match_wildcard(const char *pattern, const char *star,
                                          const char *origin, size_t len)
{
	size_t prefix_len = (size_t)(star - pattern);
	const char *suffix = star + 1;
	size_t suffix_len = strlen(suffix);
	size_t i;

	if (strchr(suffix, '*') != NULL || len <= prefix_len + suffix_len)
		return false;
	if (strncasecmp(origin, pattern, prefix_len) != 0 ||
	    strncasecmp(origin + len - suffix_len, suffix, suffix_len) != 0)
		return false;
	for (i = prefix_len; i < len - suffix_len; i++)
		if (!axr__ws_host_char(origin[i]))
			return false;
	return true;
}

bool axr_ws_origin_allowed(const axr_ws_handshake_config_t *config, const char *origin, size_t len)
{
	size_t i;

	if (config == NULL || config->allowed_origins_count == 0)
		return true;
	if (origin == NULL)
		return false;
	for (i = 0; i < config->allowed_origins_count; i++) {
		const char *pattern = config->allowed_origins[i];
		const char *star;

		if (pattern == NULL)
			continue;
		if (strcmp(pattern, "*") == 0 ||
		    (strlen(pattern) == len && strncasecmp(pattern, origin, len) == 0))
			return true;
		star = strchr(pattern, '*');
		if (star != NULL && axr__ws_origin_match_wildcard(pattern, star, origin, len))
			return true;
	}
	return false;
}

int axr_ws_accept_key(const char *key, size_t key_len, char out[AXR_WS_ACCEPT_LEN + 1])
{
	unsigned char input[128];
	unsigned char digest[SHA_DIGEST_LENGTH];

	if (key_len > sizeof input - (sizeof axr__ws_guid - 1))
		return AXR_EINVAL;
	memcpy(input, key, key_len);
	memcpy(input + key_len, axr__ws_guid, sizeof axr__ws_guid - 1);
	if (SHA1(input, key_len + sizeof axr__ws_guid - 1, digest) == NULL)
		return AXR_EINTERNAL;
	if (EVP_EncodeBlock((unsigned char *)out, digest, SHA_DIGEST_LENGTH) != AXR_WS_ACCEPT_LEN)
		return AXR_EINTERNAL;
	return 0;
}

static int axr__ws_reject(axr_ws_handshake_t *out, int err, int status, const char *reason)
{
	out->status = status;
	out->reason = reason;
	if (status == 426) {
		out->extra[0] = (axr_ws_header_t){"Sec-WebSocket-Version", "13"};
		out->extra[1] = (axr_ws_header_t){"Upgrade", "websocket"};
		out->extra_count = 2;
	} else if (status == 405) {
		out->extra[0] = (axr_ws_header_t){"Allow", "GET"};
		out->extra_count = 1;
	}
	return err;
}

int axr_ws_handshake_check(const axr_ws_handshake_config_t *config, const axr_http_head_t *head,
                           axr_ws_handshake_t *out)
{
	const axr_http_header_t *key = NULL, *version = NULL, *origin = NULL;
	size_t keys = 0, versions = 0, origins = 0, i;
	bool websocket = false;

	memset(out, 0, sizeof *out);
	if (head->method != AXR_HTTP_GET)
		return axr__ws_reject(out, AXR_EMETHOD, 405, "websocket upgrade needs GET");
	if (head->minor_version < 1)
		return axr__ws_reject(out, AXR_EINVAL, 400, "websocket upgrade needs HTTP/1.1");
	for (i = 0; i < head->nheaders; i++) {
		const axr_http_header_t *h = &head->headers[i];

		if (axr__ws_equals(h->name, h->name_len, "upgrade")) {
			websocket = websocket || axr__ws_list_has(h->value, h->value_len, "websocket");
		} else if (axr__ws_equals(h->name, h->name_len, "sec-websocket-key")) {
			key = h;
			keys++;
		} else if (axr__ws_equals(h->name, h->name_len, "sec-websocket-version")) {
			version = h;
			versions++;
		} else if (axr__ws_equals(h->name, h->name_len, "origin")) {
			origin = h;
			origins++;
		}
	}
	if (!websocket)
		return axr__ws_reject(out, AXR_EINVAL, 400, "Upgrade header lacks websocket");
	/* The parser sets `upgrade` for a Connection list with the Upgrade token. */
	if (!head->upgrade)
		return axr__ws_reject(out, AXR_EINVAL, 400, "Connection header lacks Upgrade");
	if (keys != 1)
		return axr__ws_reject(out, AXR_EINVAL, 400,
		                      keys == 0 ? "missing Sec-WebSocket-Key" : "repeated Sec-WebSocket-Key");
	if (!axr__ws_key_valid(key->value, key->value_len))
		return axr__ws_reject(out, AXR_EINVAL, 400,
		                      "Sec-WebSocket-Key is not base64 of 16 bytes");
	if (versions > 1)
		return axr__ws_reject(out, AXR_EINVAL, 400, "repeated Sec-WebSocket-Version");
	if (origins > 1)
		return axr__ws_reject(out, AXR_EINVAL, 400, "repeated Origin");
	if (versions == 0)
		return axr__ws_reject(out, AXR_EUNSUPPORTED, 426, "missing Sec-WebSocket-Version");
	if (!axr__ws_equals(version->value, version->value_len, "13"))
		return axr__ws_reject(out, AXR_EUNSUPPORTED, 426, "unsupported Sec-WebSocket-Version");
	if (origin == NULL ? config != NULL && config->require_origin
	                   : !axr_ws_origin_allowed(config, origin->value, origin->value_len))
		return axr__ws_reject(out, AXR_EFORBIDDEN, 403,
		                      origin == NULL ? "missing Origin" : "Origin not allowed");
	if (axr_ws_accept_key(key->value, key->value_len, out->accept) < 0)
		return axr__ws_reject(out, AXR_EINTERNAL, 500, "cannot compute Sec-WebSocket-Accept");
	out->status = 101;
	return 0;
}

int axr_ws_handshake_check_request(const axr_ws_handshake_config_t *config, const axr_request_t *req,
                                   axr_ws_handshake_t *out)
{
	axr_http_head_t head;
	bool connection_upgrade = false, has_upgrade = false;
	size_t i;

	/* Only what axr_ws_handshake_check() reads; headers[] is filled below. */
	head.method = req->method;
	head.minor_version = req->conn != NULL && req->conn->http10 ? 0 : 1;
	head.nheaders = req->nheaders < AXR_HTTP_MAX_HEADERS ? req->nheaders : AXR_HTTP_MAX_HEADERS;
	for (i = 0; i < head.nheaders; i++) {
		const axr_http_header_t *h = &req->headers[i];

		head.headers[i] = *h;
		if (axr__ws_equals(h->name, h->name_len, "connection"))
			connection_upgrade = connection_upgrade || axr__ws_list_has(h->value, h->value_len, "upgrade");
		else if (axr__ws_equals(h->name, h->name_len, "upgrade"))
			has_upgrade = true;
	}
	/* As the head parser sets it: Connection lists upgrade and Upgrade is present. */
	head.upgrade = connection_upgrade && has_upgrade;
	return axr_ws_handshake_check(config, &head, out);
}

int axr_ws_handshake_response(const axr_ws_handshake_t *hs, char *buf, size_t cap, size_t *len)
{
	int n;

	if (hs->status != 101)
		return AXR_EINVAL;
	n = snprintf(buf, cap,
	             "HTTP/1.1 101 Switching Protocols\r\n"
	             "Upgrade: websocket\r\n"
	             "Connection: Upgrade\r\n"
	             "Sec-WebSocket-Accept: %s\r\n"
	             "\r\n",
	             hs->accept);
	if (n < 0 || (size_t)n >= cap)
		return AXR_ERANGE;
	*len = (size_t)n;
	return 0;
}
