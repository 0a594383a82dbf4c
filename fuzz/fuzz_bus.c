/* fuzz_bus.c: libFuzzer target for what the bus reads from redis: event envelopes, the client JSON built from them, channel names. */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "bus.h"
#include "err.h"
#include "fuzz_check.h"
#include "json.h"
#include "utf8.h"

/*
 * Anything that reaches redis can reach a subscriber, so the input is read
 * as a protobuf Event envelope (axr_bus_message_decode) and, separately, as
 * a channel name. For every envelope that decodes:
 *   - its strings are valid UTF-8, its type/action/uid/audience valid;
 *   - the client JSON (axr_bus_message_to_json) is either refused with
 *     AXR_EPARSE or is strict JSON: an object with exactly "type", "action"
 *     (equal to the envelope's) and "data";
 *   - encoding the decoded fields again and decoding that gives the same
 *     fields (the publisher and the subscriber agree on the format).
 * For channel names: a name that parses is rebuilt by axr_bus_channel() to
 * the same bytes.
 */

static void check_json(const axr_bus_message_t *m)
{
	axr_buf_t out = AXR_BUF_INIT;
	axr_buf_puts(&out, "x");
	int rc = axr_bus_message_to_json(m, &out);
	CHECK(rc == 0 || rc == AXR_EPARSE);
	if (rc != 0) {
		CHECK(out.len == 1); /* nothing appended on refusal */
		axr_buf_free(&out);
		return;
	}
	json_object *root = NULL, *v = NULL;
	axr_json_opts_t opts = {.max_depth = 128, .max_size = SIZE_MAX};
	CHECK(axr_json_parse(out.data + 1, out.len - 1, &opts, &root, NULL) == 0);
	CHECK(json_object_is_type(root, json_type_object));
	CHECK(json_object_object_length(root) == 3);
	CHECK(json_object_object_get_ex(root, "type", &v) && strcmp(json_object_get_string(v), m->type) == 0);
	CHECK(json_object_object_get_ex(root, "action", &v) && strcmp(json_object_get_string(v), m->action) == 0);
	CHECK(json_object_object_get_ex(root, "data", &v));
	json_object_put(root);
	axr_buf_free(&out);
}

static void check_roundtrip(const axr_bus_message_t *m)
{
	axr_bus_event_t ev = {
		.type = m->type, .action = m->action, .uid = m->uid, .has_version = m->has_version,
		.version = m->version, .data_json = m->data_json, .audience = m->audience,
		.naudience = m->naudience, .is_public = m->is_public,
		.service = *m->service ? m->service : "fuzz",
	};
	axr_buf_t b = AXR_BUF_INIT;
	int rc = axr_bus_event_encode(&ev, m->time, &b);
	if (rc == AXR_EINVAL) {
		/* Only the service name is checked more strictly on the way out. */
		axr_buf_free(&b);
		ev.service = "fuzz";
		CHECK(axr_bus_event_encode(&ev, m->time, &b) == 0);
	} else {
		CHECK(rc == 0);
	}
	axr_bus_message_t again;
	CHECK(axr_bus_message_decode(b.data, b.len, &again) == 0);
	CHECK(strcmp(again.type, m->type) == 0 && strcmp(again.action, m->action) == 0);
	CHECK(strcmp(again.uid, m->uid) == 0 && strcmp(again.time, m->time) == 0);
	CHECK(again.has_version == m->has_version && (!m->has_version || again.version == m->version));
	CHECK((again.data_json == NULL) == (m->data_json == NULL));
	CHECK(m->data_json == NULL || strcmp(again.data_json, m->data_json) == 0);
	CHECK(again.naudience == m->naudience && again.is_public == m->is_public);
	for (size_t i = 0; i < m->naudience; i++)
		CHECK(strcmp(again.audience[i], m->audience[i]) == 0);
	axr_bus_message_clear(&again);
	axr_buf_free(&b);
}

static void check_channel(const uint8_t *data, size_t size)
{
	axr_bus_channel_kind_t kind;
	const char *id;
	size_t id_len;
	if (axr_bus_channel_parse((const char *)data, size, &kind, &id, &id_len) != 0)
		return;
	char name[AXR_BUS_CHANNEL_MAX + 1], idz[AXR_BUS_CHANNEL_MAX + 1];
	size_t len;
	CHECK(id_len <= AXR_BUS_CHANNEL_MAX);
	memcpy(idz, id, id_len);
	idz[id_len] = '\0';
	if (axr_bus_channel(kind, idz, name, &len) != 0) {
		CHECK(kind == AXR_BUS_CHANNEL_SERVICE); /* parse takes any id; service names are stricter */
		return;
	}
	CHECK(len == size && memcmp(name, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_channel(data, size);
	axr_bus_message_t m;
	if (axr_bus_message_decode(data, size, &m) != 0) {
		CHECK(m.internal_ == NULL);
		return 0;
	}
	CHECK(axr_bus_id_valid(m.uid, strlen(m.uid)));
	CHECK(axr_utf8_validate(m.service, strlen(m.service)) == 0);
	CHECK(axr_utf8_validate(m.time, strlen(m.time)) == 0);
	for (size_t i = 0; i < m.naudience; i++)
		CHECK(axr_bus_id_valid(m.audience[i], strlen(m.audience[i])));
	CHECK((m.data == NULL) == (m.data_len == 0) || m.data != NULL);
	check_json(&m);
	check_roundtrip(&m);
	axr_bus_message_clear(&m);
	return 0;
}
