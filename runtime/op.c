/* op.c: the generic request pipeline around generated operations. */
#include "op.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "codec.h"
#include "err.h"
#include "json.h"
#include "validate.h"

#define AXR__JSON_TYPE "application/json"
#define AXR__PROTOBUF_TYPE "application/x-protobuf"

enum { AXR__FORMAT_JSON = 0, AXR__FORMAT_PROTOBUF = 1 };

/* Is media type `want` (no parameters) in the header value `v`? A list of
 * ranges like "application/json;q=0.9, *\/\*" is matched by type only. */
static bool axr__media_in(const char *v, const char *want)
{
	size_t wl = strlen(want);
	const char *slash = strchr(want, '/');
	size_t major = slash ? (size_t)(slash - want) : wl;
	while (v && *v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		const char *end = v;
		while (*end && *end != ',' && *end != ';' && *end != ' ')
			end++;
		size_t n = (size_t)(end - v);
		if ((n == wl && strncasecmp(v, want, wl) == 0) || (n == 3 && memcmp(v, "*/*", 3) == 0) ||
		    (n == major + 2 && strncasecmp(v, want, major) == 0 && memcmp(v + major, "/*", 2) == 0))
			return true;
		v = strchr(v, ',');
	}
	return false;
}

/* The media type of a Content-Type value, without parameters. */
static bool axr__content_type_is(const char *v, const char *want)
{
	size_t wl = strlen(want);
	while (*v == ' ')
		v++;
	return strncasecmp(v, want, wl) == 0 && (v[wl] == '\0' || v[wl] == ';' || v[wl] == ' ');
}

static int axr__negotiate(axr_request_t *req, const axr_op_t *op)
{
	const char *accept = axr_request_header(req, "Accept");
	req->format = AXR__FORMAT_JSON;
	if (accept == NULL || *accept == '\0' || axr__media_in(accept, AXR__JSON_TYPE))
		return 0;
	if (op->response.message != NULL && axr__media_in(accept, AXR__PROTOBUF_TYPE)) {
		req->format = AXR__FORMAT_PROTOBUF;
		return 0;
	}
	if (op->response.schema == NULL && op->response.message == NULL)
		return 0; /* nothing to represent: any Accept will do */
	return axr_response_error(req, 406, NULL, "Accept must allow application/json"
	                          " or application/x-protobuf", NULL, 0) == 0 ? AXR_ENOTACCEPTABLE : AXR_ENOMEM;
}

static int axr__raw_param(axr_request_t *req, const axr_param_spec_t *p, const char **vals, size_t *n,
                          size_t max)
{
	*n = 0;
	switch (p->in) {
	case AXR_PARAM_PATH: {
		const char *v = axr_request_param(req, p->name);
		if (v)
			vals[(*n)++] = v;
		break;
	}
	case AXR_PARAM_QUERY:
		for (int i = 0; *n < max; i++) {
			const char *v = axr_request_query(req, p->name, i);
			if (v == NULL)
				break;
			vals[(*n)++] = v;
		}
		break;
	case AXR_PARAM_HEADER: {
		const char *v = axr_request_header(req, p->name);
		if (v)
			vals[(*n)++] = v;
		break;
	}
	case AXR_PARAM_COOKIE: {
		const char *c = axr_request_header(req, "Cookie");
		size_t nl = strlen(p->name);
		while (c && *c) {
			while (*c == ' ' || *c == ';')
				c++;
			const char *semi = strchr(c, ';');
			size_t len = semi ? (size_t)(semi - c) : strlen(c);
			if (len > nl && strncmp(c, p->name, nl) == 0 && c[nl] == '=') {
				vals[(*n)++] = axr_arena_strndup(req->arena, c + nl + 1, len - nl - 1);
				break;
			}
			c = semi;
		}
		break;
	}
	}
	return 0;
}

/* Is the query parameter `name` declared (or otherwise allowed)? */
static bool axr__query_known(const axr_op_t *op, const char *name, size_t len)
{
	if (len == 9 && memcmp(name, "jwt_token", 9) == 0)
		return true;
	for (size_t i = 0; i < op->n_params; i++) {
		const axr_param_spec_t *p = &op->params[i];
		if (p->in == AXR_PARAM_QUERY && strlen(p->name) == len && memcmp(p->name, name, len) == 0)
			return true;
	}
	return op->list_filters; /* the CRUD engine validates filter names itself */
}

static void axr__check_unknown_query(axr_request_t *req, const axr_op_t *op, axr_verrors_t *errs)
{
	const char *q = req->query;
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t plen = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', plen);
		size_t klen = eq ? (size_t)(eq - q) : plen;
		if (klen > 0 && !axr__query_known(op, q, klen)) {
			char *name = axr_arena_strndup(req->arena, q, klen > 64 ? 64 : klen);
			char ptr[80];
			snprintf(ptr, sizeof(ptr), "/%s", name ? name : "?");
			axr_verrors_add(errs, ptr, "unknown query parameter");
		}
		q = amp ? amp + 1 : NULL;
	}
}

static int axr__errors_response(axr_request_t *req, axr_verrors_t *errs, const char *message)
{
	axr_field_error_t *fe = axr_arena_calloc(req->arena, errs->count ? errs->count : 1, sizeof(*fe));
	if (fe == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < errs->count; i++) {
		fe[i].path = errs->items[i].path;
		fe[i].message = errs->items[i].message;
	}
	axr_response_error(req, 400, "VALIDATION", message, fe, errs->count);
	return AXR_EVALIDATION;
}

/* Decodes the body (JSON, or protobuf turned into the same JSON tree) and
 * validates it. *out is NULL for an absent body. */
static int axr__decode_body(axr_request_t *req, const axr_op_t *op, axr_verrors_t *errs, json_object **out)
{
	*out = NULL;
	if (req->body == NULL || req->body_len == 0) {
		if (op->flags & AXR_OP_BODY_REQUIRED) {
			axr_verrors_add(errs, "/body", "a request body is required");
			return AXR_EVALIDATION;
		}
		return 0;
	}
	if (op->body.schema == NULL) {
		axr_verrors_add(errs, "/body", "this operation takes no request body");
		return AXR_EVALIDATION;
	}
	const char *ct = axr_request_header(req, "Content-Type");
	if (ct == NULL || axr__content_type_is(ct, AXR__JSON_TYPE)) {
		axr_json_opts_t jo = {.max_size = req->body_len + 1};
		return axr_validate_body(req->body, req->body_len, &jo, op->body.schema, AXR_VALIDATE_REQUEST, errs,
		                         out);
	}
	if (axr__content_type_is(ct, AXR__PROTOBUF_TYPE) && op->body.message != NULL) {
		ProtobufCAllocator alloc;
		axr_codec_arena_allocator(req->arena, &alloc);
		ProtobufCMessage *m = protobuf_c_message_unpack(op->body.message, &alloc, req->body_len,
		                                                (const uint8_t *)req->body);
		if (m == NULL) {
			axr_verrors_add(errs, "", "malformed protobuf body");
			return AXR_EVALIDATION;
		}
		axr_buf_t text = AXR_BUF_INIT;
		int rc = axr_codec_to_json(op->body.schema, m, 0, &text);
		if (rc == 0)
			rc = axr_validate_body(text.data, text.len, NULL, op->body.schema, AXR_VALIDATE_REQUEST, errs, out);
		axr_buf_free(&text);
		return rc;
	}
	return AXR_EUNSUPPORTED;
}

int axr_op_before(axr_request_t *req, void *ctx)
{
	(void)ctx;
	const axr_op_t *op = req->route ? req->route->op : NULL;
	if (op == NULL)
		return 0; /* built-in or hand-registered route */

	int rc = axr_auth_request(req, (op->flags & AXR_OP_AUTH) != 0, true);
	if (rc != 0)
		return axr_response_error(req, 401, "UNAUTHORIZED", "a valid access token is required", NULL, 0) == 0
		           ? rc : AXR_ENOMEM;
	if (op->n_roles > 0) {
		bool ok = false;
		for (size_t i = 0; i < op->n_roles && !ok; i++)
			ok = axr_request_has_role(req, op->roles[i]);
		if (!ok)
			return axr_response_error(req, 403, "FORBIDDEN", "your roles do not allow this operation", NULL,
			                          0) == 0 ? AXR_EFORBIDDEN : AXR_ENOMEM;
	}
	if ((rc = axr__negotiate(req, op)) != 0)
		return rc;

	axr_verrors_t errs;
	axr_verrors_init(&errs, req->arena, AXR_VERRORS_DEFAULT_MAX);
	json_object *input = json_object_new_object();
	if (input == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < op->n_params; i++) {
		const axr_param_spec_t *p = &op->params[i];
		const char *vals[32];
		size_t n = 0;
		axr__raw_param(req, p, vals, &n, 32);
		char ptr[96];
		snprintf(ptr, sizeof(ptr), "/%s", p->name);
		if (n == 0) {
			if (p->required)
				axr_verrors_add(&errs, ptr, "required %s parameter is missing",
				                p->in == AXR_PARAM_PATH ? "path" : p->in == AXR_PARAM_QUERY ? "query"
				                : p->in == AXR_PARAM_HEADER ? "header" : "cookie");
			continue;
		}
		json_object *v = NULL;
		if (axr_param_decode(p->schema, (axr_param_style_t)p->style, vals, NULL, n, ptr, &errs, &v) == 0)
			json_object_object_add(input, p->input_name ? p->input_name : p->name, v);
	}
	if (req->query)
		axr__check_unknown_query(req, op, &errs);

	json_object *body = NULL;
	rc = axr__decode_body(req, op, &errs, &body);
	if (rc == AXR_EUNSUPPORTED) {
		json_object_put(input);
		return axr_response_error(req, 415, NULL, "Content-Type must be application/json"
		                          " or application/x-protobuf", NULL, 0) == 0 ? rc : AXR_ENOMEM;
	}
	if (body != NULL)
		json_object_object_add(input, "body", body);
	if (errs.count > 0 || (rc != 0 && rc != AXR_EVALIDATION)) {
		json_object_put(input);
		if (errs.count == 0)
			return rc;
		return axr__errors_response(req, &errs, "the request is not valid");
	}
	if (op->input != NULL) {
		ProtobufCMessage *msg = NULL;
		rc = axr_codec_from_json(op->input_schema, op->input, input, req->arena, &msg, &errs);
		if (rc != 0) {
			json_object_put(input);
			return errs.count ? axr__errors_response(req, &errs, "the request is not valid") : rc;
		}
		req->input = msg;
	}
	json_object_put(input);
	return 0;
}

ProtobufCMessage *axr_op_message_new(axr_request_t *req, const ProtobufCMessageDescriptor *desc)
{
	return axr_codec_message_new(desc, req->arena);
}

static int axr__respond_protobuf(axr_request_t *req, int status, const ProtobufCMessage *out)
{
	size_t n = protobuf_c_message_get_packed_size(out);
	uint8_t *buf = axr_arena_alloc(req->arena, n ? n : 1);
	if (buf == NULL)
		return AXR_ENOMEM;
	protobuf_c_message_pack(out, buf);
	return axr_response_send(req, status, AXR__PROTOBUF_TYPE, buf, n);
}

int axr_op_respond(axr_request_t *req, int rc, const ProtobufCMessage *out)
{
	const axr_op_t *op = req->route->op;
	if (rc != 0) {
		if (req->status >= 400)
			return 0; /* the handler explained itself */
		return axr_response_from_err(req, rc, NULL);
	}
	int status = op->status ? op->status : 200;
	if (req->status != 0 && req->status != op->status) {
		/* The handler chose its own answer: a body it sent, or another
		 * success status of the spec (201 beside 200) for its message. */
		if (out == NULL || req->body_out.len > 0 || req->status < 200 || req->status > 299)
			return 0;
		status = req->status;
	}
	if (out == NULL || status == 204) {
		req->status = status;
		return 0;
	}
	if (req->format == AXR__FORMAT_PROTOBUF)
		return axr__respond_protobuf(req, status, out);
	axr_buf_t json = AXR_BUF_INIT;
	if (op->response.is_array) {
		const ProtobufCFieldDescriptor *items = protobuf_c_message_descriptor_get_field(out->descriptor, 1);
		rc = items ? axr_codec_field_to_json(op->response.schema, out, items, AXR_CODEC_RESPONSE, &json)
		           : AXR_EINTERNAL;
	} else {
		rc = axr_codec_to_json(op->response.schema, out, AXR_CODEC_RESPONSE, &json);
	}
	if (rc == 0)
		rc = axr_response_send(req, status, AXR__JSON_TYPE, json.data, json.len);
	axr_buf_free(&json);
	return rc;
}
