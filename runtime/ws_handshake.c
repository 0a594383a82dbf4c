/* ws_handshake.c: RFC 6455 opening handshake: check an upgrade request, build the 101 answer. */
#include "ws_handshake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "err.h"

static const char axr__ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

static bool axr__ws_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims optional whitespace around [*s, *s + *len). */
static void axr__ws_trim(const char **s, size_t *len)
{
	while (*len > 0 && axr__ws_is_space(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && axr__ws_is_space((*s)[*len - 1]))
		(*len)--;
}

/* True when the comma-separated list `value` has `token` (case-insensitive). */
static bool axr__ws_list_has(const char *value, const char *token)
{
	size_t token_len = strlen(token);

	while (value != NULL && *value != '\0') {
		const char *comma = strchr(value, ',');
		const char *item = value;
		size_t len = comma != NULL ? (size_t)(comma - value) : strlen(value);

		axr__ws_trim(&item, &len);
		if (len == token_len && strncasecmp(item, token, len) == 0)
			return true;
		value = comma != NULL ? comma + 1 : NULL;
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

	return len == 24 && strspn(key, alphabet) == 22 && strchr("AQgw", key[21]) != NULL &&
	       key[22] == '=' && key[23] == '=';
}

static bool axr__ws_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

/* `pattern` with one '*': prefix and suffix match, the middle is host text. */
static bool axr__ws_origin_match_wildcard(const char *pattern, const char *star, const char *origin)
{
	size_t prefix_len = (size_t)(star - pattern);
	const char *suffix = star + 1;
	size_t suffix_len = strlen(suffix);
	size_t origin_len = strlen(origin);
	size_t i;

	if (strchr(suffix, '*') != NULL || origin_len <= prefix_len + suffix_len)
		return false;
	if (strncasecmp(origin, pattern, prefix_len) != 0 ||
	    strcasecmp(origin + origin_len - suffix_len, suffix) != 0)
		return false;
	for (i = prefix_len; i < origin_len - suffix_len; i++)
		if (!axr__ws_host_char(origin[i]))
			return false;
	return true;
}

bool axr_ws_origin_allowed(const axr_ws_handshake_config_t *config, const char *origin)
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
		if (strcmp(pattern, "*") == 0 || strcasecmp(pattern, origin) == 0)
			return true;
		star = strchr(pattern, '*');
		if (star != NULL && axr__ws_origin_match_wildcard(pattern, star, origin))
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

int axr_ws_handshake_check(const axr_ws_handshake_config_t *config, const char *method,
                           int http_major, int http_minor, const axr_ws_header_t *headers,
                           size_t count, axr_ws_handshake_t *out)
{
	const char *key = NULL, *version = NULL, *origin = NULL;
	size_t hosts = 0, keys = 0, versions = 0, origins = 0, i, key_len, version_len;
	bool upgrade = false, connection = false;

	memset(out, 0, sizeof *out);
	if (method == NULL || strcmp(method, "GET") != 0)
		return axr__ws_reject(out, AXR_EMETHOD, 405, "websocket upgrade needs GET");
	if (http_major < 1 || (http_major == 1 && http_minor < 1))
		return axr__ws_reject(out, AXR_EINVAL, 400, "websocket upgrade needs HTTP/1.1");
	for (i = 0; i < count; i++) {
		const char *name = headers[i].name, *value = headers[i].value;

		if (name == NULL || value == NULL)
			continue;
		if (strcasecmp(name, "Host") == 0) {
			hosts++;
		} else if (strcasecmp(name, "Upgrade") == 0) {
			upgrade = upgrade || axr__ws_list_has(value, "websocket");
		} else if (strcasecmp(name, "Connection") == 0) {
			connection = connection || axr__ws_list_has(value, "Upgrade");
		} else if (strcasecmp(name, "Sec-WebSocket-Key") == 0) {
			key = value;
			keys++;
		} else if (strcasecmp(name, "Sec-WebSocket-Version") == 0) {
			version = value;
			versions++;
		} else if (strcasecmp(name, "Origin") == 0) {
			origin = value;
			origins++;
		}
	}
	if (hosts != 1)
		return axr__ws_reject(out, AXR_EINVAL, 400, hosts == 0 ? "missing Host" : "repeated Host");
	if (!upgrade)
		return axr__ws_reject(out, AXR_EINVAL, 400, "Upgrade header lacks websocket");
	if (!connection)
		return axr__ws_reject(out, AXR_EINVAL, 400, "Connection header lacks Upgrade");
	if (keys != 1)
		return axr__ws_reject(out, AXR_EINVAL, 400,
		                      keys == 0 ? "missing Sec-WebSocket-Key" : "repeated Sec-WebSocket-Key");
	key_len = strlen(key);
	axr__ws_trim(&key, &key_len);
	if (!axr__ws_key_valid(key, key_len))
		return axr__ws_reject(out, AXR_EINVAL, 400,
		                      "Sec-WebSocket-Key is not base64 of 16 bytes");
	if (versions > 1)
		return axr__ws_reject(out, AXR_EINVAL, 400, "repeated Sec-WebSocket-Version");
	if (origins > 1)
		return axr__ws_reject(out, AXR_EINVAL, 400, "repeated Origin");
	if (versions == 0)
		return axr__ws_reject(out, AXR_EUNSUPPORTED, 426, "missing Sec-WebSocket-Version");
	version_len = strlen(version);
	axr__ws_trim(&version, &version_len);
	if (version_len != 2 || memcmp(version, "13", 2) != 0)
		return axr__ws_reject(out, AXR_EUNSUPPORTED, 426, "unsupported Sec-WebSocket-Version");
	if (origin == NULL ? config != NULL && config->require_origin
	                   : !axr_ws_origin_allowed(config, origin))
		return axr__ws_reject(out, AXR_EFORBIDDEN, 403,
		                      origin == NULL ? "missing Origin" : "Origin not allowed");
	if (axr_ws_accept_key(key, key_len, out->accept) < 0)
		return axr__ws_reject(out, AXR_EINTERNAL, 500, "cannot compute Sec-WebSocket-Accept");
	out->status = 101;
	return 0;
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
