/* client_call.c: an operation's typed input turned into an HTTP request, and its answer into the output message. */
#include "client_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "codec.h"
#include "err.h"
#include "json.h"

#define AXR__JSON_TYPE "application/json"
#define AXR__PROTOBUF_TYPE "application/x-protobuf"

/* ---- reading parameter values out of the input message ------------------------ */

/* Appends `s` percent-encoded: everything but RFC 3986 unreserved characters. */
static void axr__percent_encode(axr_buf_t *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '.' || ch == '_' || ch == '~') {
			axr_buf_putc(b, (char)ch);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
			axr_buf_append(b, e, 3);
		}
	}
}

int axr__req_add_query(axr__req_t *r, const char *const *pairs, size_t n, axr_arena_t *arena)
{
	axr_buf_t t = AXR_BUF_INIT;
	bool first = strchr(r->target, '?') == NULL;
	int rc = 0;
	axr_buf_puts(&t, r->target);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = pairs[2 * i], *value = pairs[2 * i + 1] ? pairs[2 * i + 1] : "";
		if (name == NULL || *name == '\0') {
			rc = AXR_EINVAL;
			break;
		}
		axr_buf_putc(&t, first ? '?' : '&');
		first = false;
		axr__percent_encode(&t, name, strlen(name));
		axr_buf_putc(&t, '=');
		axr__percent_encode(&t, value, strlen(value));
	}
	if (rc == 0 && (!axr_buf_ok(&t) || (r->target = axr_arena_strndup(arena, t.data, t.len)) == NULL))
		rc = AXR_ENOMEM;
	axr_buf_free(&t);
	return rc;
}

/* The protobuf field that carries input property `name`, or NULL. */
static const ProtobufCFieldDescriptor *axr__input_field(const axr_op_t *op, const char *name,
                                                        const axr_schema_t **schema)
{
	const axr_schema_t *s = op->input_schema;
	while (s && s->ref)
		s = s->ref;
	if (s == NULL || op->input == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_properties; i++)
		if (strcmp(s->properties[i].name, name) == 0) {
			if (schema)
				*schema = s->properties[i].schema;
			return s->properties[i].field
			           ? protobuf_c_message_descriptor_get_field(op->input, s->properties[i].field)
			           : NULL;
		}
	return NULL;
}

/* How many values field `f` of `msg` holds (0: absent) and where they are. */
static size_t axr__field_values(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, const void **at)
{
	const char *base = (const char *)msg;
	*at = base + f->offset;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		*at = *(const void *const *)(base + f->offset);
		return *(const size_t *)(base + f->quantifier_offset);
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(const void *const *)*at != NULL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
	return 1; /* required, or proto3 without presence */
}

static size_t axr__type_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* Writes value `v` (of field `f`) as parameter text. 0 or AXR_EINVAL. */
static int axr__value_text(const ProtobufCFieldDescriptor *f, const void *v, axr_arena_t *arena, const char **out)
{
	char tmp[40];
	const char *s = tmp;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		snprintf(tmp, sizeof(tmp), "%" PRId32, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(tmp, sizeof(tmp), "%" PRId64, *(const int64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		snprintf(tmp, sizeof(tmp), "%" PRIu32, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		snprintf(tmp, sizeof(tmp), "%" PRIu64, *(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE: {
		double d = f->type == PROTOBUF_C_TYPE_FLOAT ? *(const float *)v : *(const double *)v;
		if (!isfinite(d))
			return AXR_EINVAL;
		/* the shortest text that reads back as the same double */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		s = *(const protobuf_c_boolean *)v ? "true" : "false";
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)v);
		if (ev == NULL)
			return AXR_EINVAL;
		s = ev->name;
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		s = *(const char *const *)v;
		break;
	default:
		return AXR_EINVAL; /* bytes and messages cannot be parameters */
	}
	*out = s == tmp ? axr_arena_strdup(arena, tmp) : s;
	return *out ? 0 : AXR_ENOMEM;
}

/* The text values of one parameter, as the server will see them decoded. */
typedef struct axr__pvals {
	const char **v;
	size_t n;
} axr__pvals_t;

static int axr__param_values(const axr_op_t *op, const axr_param_spec_t *p, const ProtobufCMessage *input,
                             axr_arena_t *arena, axr__pvals_t *pv)
{
	pv->v = NULL;
	pv->n = 0;
	const char *iname = p->input_name ? p->input_name : p->name;
	const ProtobufCFieldDescriptor *f = axr__input_field(op, iname, NULL);
	if (f == NULL || input == NULL)
		return 0; /* no field: never set */
	const void *at;
	size_t n = axr__field_values(input, f, &at);
	if (n == 0)
		return 0;
	pv->v = axr_arena_calloc(arena, n, sizeof(*pv->v));
	if (pv->v == NULL)
		return AXR_ENOMEM;
	size_t step = axr__type_size(f->type);
	for (size_t i = 0; i < n; i++) {
		int rc = axr__value_text(f, (const char *)at + i * step, arena, &pv->v[i]);
		if (rc != 0)
			return rc;
	}
	pv->n = n;
	return 0;
}

/* The delimiter a style joins array items with (decoded form). */
static const char *axr__style_delimiter(int style)
{
	switch (style) {
	case AXR_PARAM_SPACE_DELIMITED: return " ";
	case AXR_PARAM_PIPE_DELIMITED: return "|";
	default: return ",";
	}
}

/* Appends the values joined by the style's delimiter, each percent-encoded
 * (and the delimiter too unless it is ','), or as they are for headers. */
static void axr__join(axr_buf_t *b, const axr__pvals_t *pv, int style, bool encode)
{
	const char *d = axr__style_delimiter(style);
	for (size_t i = 0; i < pv->n; i++) {
		if (i > 0) {
			if (encode && *d != ',')
				axr__percent_encode(b, d, 1);
			else
				axr_buf_putc(b, *d);
		}
		if (encode)
			axr__percent_encode(b, pv->v[i], strlen(pv->v[i]));
		else
			axr_buf_puts(b, pv->v[i]);
	}
}

static const char *axr__in_name(int in)
{
	return in == AXR_PARAM_PATH ? "path" : in == AXR_PARAM_QUERY ? "query" : in == AXR_PARAM_HEADER ? "header"
	                                                                                                  : "cookie";
}

/* Checks one parameter's values against its schema, as the server will. */
static void axr__validate_param(const axr_param_spec_t *p, const axr__pvals_t *pv, axr_arena_t *arena,
                                axr_verrors_t *errs)
{
	char ptr[96];
	snprintf(ptr, sizeof(ptr), "/%s", p->name);
	if (pv->n == 0) {
		if (p->required)
			axr_verrors_add(errs, ptr, "required %s parameter is missing", axr__in_name(p->in));
		return;
	}
	if (p->schema == NULL)
		return;
	const char *joined[1];
	const char *const *raw = pv->v;
	size_t n = pv->n;
	if (p->style != AXR_PARAM_FORM_EXPLODE || p->in != AXR_PARAM_QUERY) {
		axr_buf_t b = AXR_BUF_INIT;
		axr__join(&b, pv, p->style, false);
		joined[0] = axr_arena_strndup(arena, b.data ? b.data : "", b.len);
		axr_buf_free(&b);
		if (joined[0] == NULL)
			return;
		raw = joined;
		n = 1;
	}
	json_object *v = NULL;
	axr_param_decode(p->schema, (axr_param_style_t)p->style, raw, NULL, n, ptr, errs, &v);
	json_object_put(v);
}

/* ---- the request ----------------------------------------------------------------- */

/* Expands the path template with the path parameters into `t`. */
static int axr__expand_path(const axr_route_t *route, const axr_op_t *op, const axr__pvals_t *vals,
                            axr_buf_t *t, axr_client_error_t *err, axr_arena_t *arena)
{
	const char *p = route->path;
	while (*p) {
		if (*p != '{') {
			axr_buf_putc(t, *p++);
			continue;
		}
		const char *close = strchr(p, '}');
		if (close == NULL)
			return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "malformed path template %s",
			                        route->path);
		size_t nl = (size_t)(close - p - 1);
		size_t k = 0;
		for (; op && k < op->n_params; k++)
			if (op->params[k].in == AXR_PARAM_PATH && strlen(op->params[k].name) == nl &&
			    memcmp(op->params[k].name, p + 1, nl) == 0)
				break;
		if (op == NULL || k == op->n_params || vals[k].n == 0)
			return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL,
			                        "path parameter '%.*s' is not set", (int)nl, p + 1);
		size_t before = t->len;
		axr__join(t, &vals[k], op->params[k].style, true);
		if (t->len == before)
			return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL,
			                        "path parameter '%.*s' is empty", (int)nl, p + 1);
		p = close + 1;
	}
	return 0;
}

static void axr__append_query(axr_buf_t *t, const axr_param_spec_t *p, const axr__pvals_t *pv, bool *first)
{
	if (pv->n == 0)
		return;
	bool explode = p->style == AXR_PARAM_FORM_EXPLODE;
	for (size_t i = 0; i < (explode ? pv->n : 1); i++) {
		axr_buf_putc(t, *first ? '?' : '&');
		*first = false;
		axr__percent_encode(t, p->name, strlen(p->name));
		axr_buf_putc(t, '=');
		if (explode)
			axr__percent_encode(t, pv->v[i], strlen(pv->v[i]));
		else
			axr__join(t, pv, p->style, true);
	}
}

/* RFC 6265 cookie-octets. */
static bool axr__cookie_value_ok(const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == ',' || ch == ';' || ch == '\\')
			return false;
	}
	return true;
}

/* Puts header and cookie parameters into r->headers. */
static int axr__header_params(const axr_op_t *op, const axr__pvals_t *vals, axr__req_t *r,
                              axr_client_error_t *err, axr_arena_t *arena)
{
	axr_buf_t v = AXR_BUF_INIT, cookie = AXR_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < op->n_params && rc == 0; i++) {
		const axr_param_spec_t *p = &op->params[i];
		if (vals[i].n == 0)
			continue;
		if (p->in == AXR_PARAM_HEADER) {
			axr_buf_clear(&v);
			axr__join(&v, &vals[i], p->style, false);
			axr_buf_putc(&v, '\0');
			if (!axr_buf_ok(&v))
				rc = AXR_ENOMEM;
			else if ((rc = axr__req_header(r, p->name, v.data)) == AXR_EINVAL)
				axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc,
				                 "header parameter '%s' holds characters a header cannot carry", p->name);
		} else if (p->in == AXR_PARAM_COOKIE) {
			/* servers read cookie values as they are (no percent-decoding):
			 * refuse what a cookie cannot carry rather than alter it */
			for (size_t k = 0; k < vals[i].n && rc == 0; k++)
				if (!axr__cookie_value_ok(vals[i].v[k]))
					rc = axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL,
					                      "cookie parameter '%s' holds characters a cookie cannot carry", p->name);
			axr_buf_puts(&cookie, cookie.len ? "; " : "");
			axr_buf_puts(&cookie, p->name);
			axr_buf_putc(&cookie, '=');
			axr__join(&cookie, &vals[i], p->style, false);
		}
	}
	if (rc == 0 && cookie.len > 0) {
		axr_buf_putc(&cookie, '\0');
		rc = axr_buf_ok(&cookie) ? axr__req_header(r, "Cookie", cookie.data) : AXR_ENOMEM;
	}
	axr_buf_free(&v);
	axr_buf_free(&cookie);
	if (rc == AXR_ENOMEM)
		axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc, NULL);
	return rc;
}

/* Packs the body field as protobuf into r->body_buf. */
static int axr__body_protobuf(const axr_op_t *op, const ProtobufCMessage *input, const ProtobufCFieldDescriptor *f,
                              axr__req_t *r)
{
	const char *base = (const char *)input;
	ProtobufCMessage *list = NULL;
	const ProtobufCMessage *m;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		/* the input holds the items; the wire carries the list message */
		const ProtobufCFieldDescriptor *items = protobuf_c_message_descriptor_get_field(op->body.message, 1);
		if (items == NULL || items->label != PROTOBUF_C_LABEL_REPEATED || items->type != f->type)
			return AXR_EINVAL;
		list = calloc(1, op->body.message->sizeof_message);
		if (list == NULL)
			return AXR_ENOMEM;
		protobuf_c_message_init(op->body.message, list);
		memcpy((char *)list + items->quantifier_offset, base + f->quantifier_offset, sizeof(size_t));
		memcpy((char *)list + items->offset, base + f->offset, sizeof(void *));
		m = list;
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor == op->body.message) {
		m = *(const ProtobufCMessage *const *)(base + f->offset);
	} else {
		return AXR_EINVAL;
	}
	size_t n = protobuf_c_message_get_packed_size(m);
	int rc = axr_buf_reserve(&r->body_buf, n + 1);
	if (rc == 0) {
		r->body_buf.len = protobuf_c_message_pack(m, (uint8_t *)r->body_buf.data);
		r->body = r->body_buf.data;
		r->body_len = r->body_buf.len;
		r->content_type = AXR__PROTOBUF_TYPE;
	}
	free(list);
	return rc;
}

/* Whether `s` (along its $ref chain) is readOnly. */
static bool axr__read_only(const axr_schema_t *s)
{
	for (int depth = 0; s && depth < 16; s = s->ref, depth++)
		if (s->flags & AXR_SCHEMA_READ_ONLY)
			return true;
	return false;
}

/* Clears field `f` of `m` (absent, as the codec sees absence). */
static void axr__clear_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	char *base = (char *)m;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		*(size_t *)(base + f->quantifier_offset) = 0;
	else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + f->quantifier_offset) = 0;
	else if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		*(void **)(base + f->offset) = NULL;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 0;
}

/* Clears in `m` every field of a readOnly property of `s` (its own, its $ref's and allOf's). */
static void axr__clear_read_only(const axr_schema_t *s, ProtobufCMessage *m, int depth)
{
	if (s == NULL || depth > 16)
		return;
	axr__clear_read_only(s->ref, m, depth + 1);
	for (size_t i = 0; i < s->n_all_of; i++)
		axr__clear_read_only(s->all_of[i], m, depth + 1);
	for (size_t i = 0; i < s->n_properties; i++) {
		const axr_property_t *p = &s->properties[i];
		const ProtobufCFieldDescriptor *f =
		    p->field ? protobuf_c_message_descriptor_get_field(m->descriptor, p->field) : NULL;
		if (f && axr__read_only(p->schema))
			axr__clear_field(m, f);
	}
}

/* AXR_CLIENT_OMIT_READ_ONLY: a shallow copy of `input` (in `arena`) whose body
 * message is a shallow copy without its readOnly members; `input` itself when
 * the body is not one message. NULL when out of memory. */
static const ProtobufCMessage *axr__input_without_read_only(const axr_op_t *op, const ProtobufCMessage *input,
                                                            const ProtobufCFieldDescriptor *f, axr_arena_t *arena)
{
	const ProtobufCMessage *body = *(const ProtobufCMessage *const *)((const char *)input + f->offset);
	if (f->label == PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || body == NULL ||
	    body->descriptor != op->body.message)
		return input;
	ProtobufCMessage *in2 = axr_arena_alloc(arena, input->descriptor->sizeof_message);
	ProtobufCMessage *body2 = axr_arena_alloc(arena, body->descriptor->sizeof_message);
	if (in2 == NULL || body2 == NULL)
		return NULL;
	memcpy(in2, input, input->descriptor->sizeof_message);
	memcpy(body2, body, body->descriptor->sizeof_message);
	axr__clear_read_only(op->body.schema, body2, 0);
	*(ProtobufCMessage **)((char *)in2 + f->offset) = body2;
	return in2;
}

/* Encodes and validates the body. */
static int axr__encode_body(const axr_op_t *op, const ProtobufCMessage *input, unsigned flags, axr__req_t *r,
                            axr_verrors_t *errs, axr_client_error_t *err, axr_arena_t *arena)
{
	const axr_schema_t *fschema = NULL;
	const ProtobufCFieldDescriptor *f = axr__input_field(op, "body", &fschema);
	const void *at;
	if (op->body.schema == NULL || f == NULL || input == NULL || axr__field_values(input, f, &at) == 0) {
		if (op->flags & AXR_OP_BODY_REQUIRED)
			axr_verrors_add(errs, "/body", "a request body is required");
		return 0;
	}
	if ((flags & AXR_CLIENT_OMIT_READ_ONLY) &&
	    (input = axr__input_without_read_only(op, input, f, arena)) == NULL)
		return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL);
	axr_buf_t json = AXR_BUF_INIT;
	int rc = 0;
	bool validate = !(flags & AXR_CLIENT_NO_VALIDATE);
	bool protobuf = (flags & AXR_CLIENT_PROTOBUF) && op->body.message != NULL && !op->body.free_form;
	if (validate || !protobuf) {
		rc = axr_codec_field_to_json(fschema ? fschema : op->body.schema, input, f, 0, &json);
		if (rc != 0) {
			axr_buf_free(&json);
			return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc, "the body cannot be encoded: %s",
			                        axr_strerror(rc));
		}
	}
	if (validate) {
		json_object *tree = NULL;
		axr_json_opts_t jo = {.max_depth = AXR_JSON_MAX_DEPTH_LIMIT, .max_size = json.len + 1};
		rc = axr_validate_body(json.data ? json.data : "", json.len, &jo, op->body.schema, AXR_VALIDATE_REQUEST,
		                       errs, &tree);
		json_object_put(tree);
		if (rc != 0 && rc != AXR_EVALIDATION) {
			axr_buf_free(&json);
			return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc, "the body cannot be validated: %s",
			                        axr_strerror(rc));
		}
		rc = 0;
	}
	if (protobuf) {
		axr_buf_free(&json);
		rc = axr__body_protobuf(op, input, f, r);
		if (rc != 0)
			return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc, "the body cannot be packed: %s",
			                        axr_strerror(rc));
		return 0;
	}
	r->body_buf = json;
	r->body = json.data;
	r->body_len = json.len;
	r->content_type = AXR__JSON_TYPE;
	return axr_buf_ok(&json) ? 0 : axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL);
}

int axr__call_encode(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *input, unsigned flags,
                     axr_arena_t *arena, axr__req_t *r, axr_client_error_t *err)
{
	const axr_op_t *op = route->op;
	axr_buf_t target = AXR_BUF_INIT;
	axr__pvals_t *vals = NULL;
	int rc = 0;
	r->method = route->method;
	r->idempotent = route->method != AXR_HTTP_POST && route->method != AXR_HTTP_PATCH;
	r->accept = AXR__JSON_TYPE;
	if (op && input && op->input && input->descriptor != op->input) {
		rc = axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "the input is a %s, %s takes a %s",
		                      input->descriptor->name, op->name ? op->name : route->path, op->input->name);
		goto fail;
	}
	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, AXR_VERRORS_DEFAULT_MAX);
	bool validate = !(flags & AXR_CLIENT_NO_VALIDATE);
	size_t np = op ? op->n_params : 0;
	vals = calloc(np + 1, sizeof(*vals));
	if (vals == NULL)
		goto oom;
	for (size_t i = 0; i < np; i++) {
		rc = axr__param_values(op, &op->params[i], input, arena, &vals[i]);
		if (rc != 0) {
			axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc, "parameter '%s' cannot be written: %s",
			                 op->params[i].name, axr_strerror(rc));
			goto fail;
		}
		if (validate)
			axr__validate_param(&op->params[i], &vals[i], arena, &errs);
	}
	if (op && (rc = axr__encode_body(op, input, flags, r, &errs, err, arena)) != 0)
		goto fail;
	if (errs.count > 0) {
		rc = axr__client_fail_validation(err, arena, &errs, "the request is not valid");
		goto fail;
	}

	axr_buf_puts(&target, c->origins[AXR__ORIGIN_BASE].prefix);
	if ((rc = axr__expand_path(route, op, vals, &target, err, arena)) != 0)
		goto fail;
	bool first = true;
	for (size_t i = 0; i < np; i++)
		if (op->params[i].in == AXR_PARAM_QUERY)
			axr__append_query(&target, &op->params[i], &vals[i], &first);
	if (op && (rc = axr__header_params(op, vals, r, err, arena)) != 0)
		goto fail;
	if (!axr_buf_ok(&target) || (r->target = axr_arena_strndup(arena, target.data, target.len)) == NULL)
		goto oom;
	if (op && op->response.message && (flags & AXR_CLIENT_PROTOBUF) && !op->response.free_form)
		r->accept = AXR__PROTOBUF_TYPE;
	free(vals);
	axr_buf_free(&target);
	return 0;
oom:
	rc = axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL);
fail:
	free(vals);
	axr_buf_free(&target);
	return rc;
}

/* ---- the answer ------------------------------------------------------------------ */

static int axr__decode_fail(const axr_client_response_t *resp, axr_arena_t *arena, axr_client_error_t *err,
                            const char *what, const axr_verrors_t *errs)
{
	axr__client_fail(err, arena, AXR_CLIENT_ERR_HTTP, AXR_EPARSE, "%s%s%s%s%s", what,
	                 errs && errs->count ? ": " : "", errs && errs->count ? errs->items[0].path : "",
	                 errs && errs->count ? " " : "", errs && errs->count ? errs->items[0].message : "");
	if (err) {
		err->status = resp->status;
		err->request_id = resp->request_id;
	}
	return AXR_EPARSE;
}

static bool axr__is_type(const char *ct, const char *want)
{
	size_t n = strlen(want);
	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

int axr__call_decode(const axr_op_t *op, const axr_client_response_t *resp, axr_arena_t *arena,
                     ProtobufCMessage **out, axr_client_error_t *err)
{
	*out = NULL;
	int expected = op && op->status ? op->status : 200;
	if (resp->status >= 400)
		return axr_client_error_from_response(resp, arena, err);
	/* the server may answer another 2xx of the operation with the same message
	 * (axr_op_respond: 201 on a first device log-in beside 200); bodiless
	 * operations and bodiless answers must match exactly */
	bool other_2xx = resp->status >= 200 && resp->status <= 299 && resp->status != 204 && expected != 204 &&
	                 op != NULL && op->response.message != NULL;
	if (resp->status != expected && !other_2xx) {
		axr__client_fail(err, arena, AXR_CLIENT_ERR_HTTP, AXR_EPARSE, "unexpected status %d (the operation answers %d)",
		                 resp->status, expected);
		if (err) {
			err->status = resp->status;
			err->request_id = resp->request_id;
		}
		return AXR_EPARSE;
	}
	if (op == NULL || op->response.message == NULL || resp->status == 204)
		return 0;
	const ProtobufCMessageDescriptor *desc = op->response.message;
	if (axr__is_type(resp->content_type, AXR__PROTOBUF_TYPE)) {
		ProtobufCAllocator alloc;
		axr_codec_arena_allocator(arena, &alloc);
		*out = protobuf_c_message_unpack(desc, &alloc, resp->body_len, (const uint8_t *)resp->body);
		return *out ? 0 : axr__decode_fail(resp, arena, err, "malformed protobuf answer", NULL);
	}
	if (resp->content_type && !axr__is_type(resp->content_type, AXR__JSON_TYPE))
		return axr__decode_fail(resp, arena, err, "the answer is not JSON", NULL);

	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, 1);
	json_object *tree = NULL;
	axr_json_opts_t jo = {.max_depth = AXR_JSON_MAX_DEPTH_LIMIT, .max_size = resp->body_len + 1};
	axr_json_error_t je;
	int rc = axr_json_parse(resp->body, resp->body_len, &jo, &tree, &je);
	if (rc != 0) {
		char where[200];
		return axr__decode_fail(resp, arena, err, axr_json_error_format(&je, where, sizeof(where)), NULL);
	}
	/* the codec maps wrapper messages too: a JSON array into <X>List's
	 * items, free-form JSON into JsonValue's text */
	ProtobufCMessage *msg = NULL;
	rc = axr_codec_from_json(op->response.schema, desc, tree, arena, &msg, &errs);
	json_object_put(tree);
	if (rc == AXR_ENOMEM)
		return axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, rc, NULL);
	if (rc != 0)
		return axr__decode_fail(resp, arena, err, "the answer does not fit the operation's response", &errs);
	*out = msg;
	return 0;
}

/* ---- the typed calls ------------------------------------------------------------- */

/* X-Total-Count of a success answer into *total: 0, or an HTTP AXR_EPARSE error. */
static int axr__response_total(const axr_client_response_t *resp, axr_arena_t *arena, int64_t *total,
                               axr_client_error_t *err)
{
	const char *v = axr_client_response_header(resp, "X-Total-Count");
	if (v == NULL)
		return axr__decode_fail(resp, arena, err, "the answer has no X-Total-Count (the count)", NULL);
	const char *p = v + strspn(v, " \t");
	int64_t n = 0;
	bool digits = false;
	for (; *p >= '0' && *p <= '9'; p++, digits = true) {
		int d = *p - '0';
		if (n > (INT64_MAX - d) / 10)
			break; /* too big: not a count either */
		n = n * 10 + d;
	}
	p += strspn(p, " \t");
	if (!digits || *p != '\0') {
		const char *what = axr_arena_printf(arena, "X-Total-Count '%.40s' is not a count (a decimal integer "
		                                           "0..%" PRId64 ")", v, INT64_MAX);
		return axr__decode_fail(resp, arena, err, what ? what : "X-Total-Count is not a count", NULL);
	}
	*total = n;
	return 0;
}

static int axr__typed_decode(axr__call_t *call)
{
	int rc = axr__call_decode(call->op, &call->resp, call->arena, &call->out, &call->err);
	if (rc == 0 && call->total_out != NULL)
		rc = axr__response_total(&call->resp, call->arena, call->total_out, &call->err);
	return rc;
}

/* A call of `route`, encoded and ready to send. NULL on failure (*rcp and
 * `err` say why: the call has been handed over). */
static axr__call_t *axr__typed_prepare(axr_client_t *c, struct event_base *base, const axr_route_t *route,
                                       const ProtobufCMessage *input, const axr_client_call_opts_t *opts,
                                       axr_arena_t *arena, axr_client_error_t *err, int *rcp)
{
	if (opts && opts->response)
		memset(opts->response, 0, sizeof(*opts->response)); /* status 0 until an answer */
	if (opts && opts->total)
		*opts->total = -1; /* until a success fills it */
	axr__call_t *call = axr__call_new(c, base, AXR__CALL_TYPED, arena);
	if (call == NULL) {
		*rcp = axr__client_fail(err, NULL, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL);
		return NULL;
	}
	call->op = route->op;
	call->decode = axr__typed_decode;
	call->total_out = opts ? opts->total : NULL;
	unsigned flags = c->flags | (opts ? opts->flags : 0);
	int rc = axr__call_encode(c, route, input, flags, call->arena, &call->req, &call->err);
	if (rc == 0)
		rc = axr__call_options(call, opts);
	if (rc != 0) {
		*rcp = axr__call_abort(call, rc, NULL, err);
		return NULL;
	}
	return call;
}

int axr_client_call_opts(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *input,
                         const axr_client_call_opts_t *opts, ProtobufCMessage **out, axr_arena_t *arena,
                         axr_client_error_t *err)
{
	if (out)
		*out = NULL;
	if (c == NULL || route == NULL)
		return axr__client_bad_args(err, "no client or no route");
	struct event_base *base = axr__client_base(c);
	if (base == NULL)
		return axr__client_fail(err, NULL, AXR_CLIENT_ERR_LOCAL, AXR_ENOMEM, NULL);
	int rc = 0;
	axr__call_t *call = axr__typed_prepare(c, base, route, input, opts, arena, err, &rc);
	return call ? axr__call_run(call, out, NULL, err) : rc;
}

int axr_client_call(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *input,
                    ProtobufCMessage **out, axr_arena_t *arena, axr_client_error_t *err)
{
	return axr_client_call_opts(c, route, input, NULL, out, arena, err);
}

int axr_client_call_async(axr_client_t *c, struct event_base *base, const axr_route_t *route,
                          const ProtobufCMessage *input, const axr_client_call_opts_t *opts, axr_arena_t *arena,
                          axr_client_error_t *err, axr_client_cb cb, void *ud)
{
	if (c == NULL || base == NULL || route == NULL || cb == NULL)
		return axr__client_bad_args(err, "no client, loop, route or callback");
	if (c->freeing)
		return axr__client_fail(err, NULL, AXR_CLIENT_ERR_LOCAL, AXR_ECLOSED, NULL);
	int rc = 0;
	axr__call_t *call = axr__typed_prepare(c, base, route, input, opts, arena, err, &rc);
	if (call == NULL)
		return rc;
	call->cb = cb;
	call->ud = ud;
	rc = axr__call_send(call);
	return rc ? axr__call_abort(call, rc, NULL, err) : 0;
}
