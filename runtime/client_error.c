/* client_error.c: the client's errors: local and network failures, error answers parsed, result ownership. */
#include "client_internal.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "err.h"
#include "json.h"

static void axr__err_reset(axr_client_error_t *err, int rc, axr_client_error_kind_t kind)
{
	memset(err, 0, sizeof(*err));
	err->rc = rc;
	err->kind = kind;
	err->retry_after = -1;
	err->code = axr_errname(rc);
	err->message = axr_strerror(rc);
}

int axr__client_fail(axr_client_error_t *err, axr_arena_t *arena, axr_client_error_kind_t kind, int rc,
                     const char *fmt, ...)
{
	if (err == NULL)
		return rc;
	axr_arena_t *owned = err->owned;
	axr__err_reset(err, rc, kind);
	err->owned = owned;
	if (fmt != NULL && arena != NULL) {
		va_list ap;
		va_start(ap, fmt);
		char *m = axr_arena_vprintf(arena, fmt, ap);
		va_end(ap);
		if (m != NULL)
			err->message = m;
	}
	return rc;
}

int axr__client_fail_validation(axr_client_error_t *err, axr_arena_t *arena, const axr_verrors_t *errs,
                                const char *message)
{
	axr__client_fail(err, arena, AXR_CLIENT_ERR_LOCAL, AXR_EVALIDATION, "%s", message);
	if (err == NULL || errs->count == 0)
		return AXR_EVALIDATION;
	axr_client_field_error_t *fe = axr_arena_calloc(arena, errs->count, sizeof(*fe));
	if (fe == NULL)
		return AXR_EVALIDATION;
	for (size_t i = 0; i < errs->count; i++) {
		fe[i].path = errs->items[i].path;
		fe[i].message = errs->items[i].message;
	}
	err->errors = fe;
	err->n_errors = errs->count;
	return AXR_EVALIDATION;
}

/* Network-level codes a status never maps to (see ERRORS in client.h). */
static bool axr__network_code(int rc)
{
	return rc == AXR_EIO || rc == AXR_ETIMEOUT || rc == AXR_ECLOSED;
}

int axr__client_status_rc(int status, const char *code)
{
	if (code != NULL) {
		/* the body names an axr_err: keep it when it agrees with the status */
#define AXR__BY_NAME(name, value, http, msg)                                                         \
	if (strcmp(code, #name) == 0 && http == status && !axr__network_code(value))              \
		return value;
		AXR_ERR_LIST(AXR__BY_NAME)
#undef AXR__BY_NAME
	}
	switch (status) {
	case 400: return AXR_EINVAL;
	case 401: return AXR_EUNAUTHORIZED;
	case 403: return AXR_EFORBIDDEN;
	case 404: return AXR_ENOTFOUND;
	case 405: return AXR_EMETHOD;
	case 406: return AXR_ENOTACCEPTABLE;
	case 409: return AXR_ECONFLICT;
	case 412: return AXR_EPRECONDITION;
	case 413: return AXR_ETOOBIG;
	case 415: return AXR_EUNSUPPORTED;
	case 422: return AXR_EUNPROCESSABLE;
	case 429: return AXR_ETOOMANY;
	case 501: return AXR_ENOTIMPL;
	case 502: case 503: case 504: return AXR_EUNAVAILABLE;
	}
	if (status >= 500)
		return AXR_EINTERNAL;
	return status >= 400 ? AXR_EINVAL : AXR_EPARSE;
}

/* A string member of `obj`, copied into the arena, or NULL. */
static const char *axr__member_string(json_object *obj, const char *name, axr_arena_t *arena)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return axr_arena_strndup(arena, json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* Reads {"code","message","errors":[{"path","message"}]} into err.
 * Returns the body's code (in the arena) or NULL when it is not such a body. */
static const char *axr__parse_error_body(const axr_client_response_t *resp, axr_arena_t *arena,
                                         axr_client_error_t *err)
{
	json_object *root = NULL;
	axr_json_opts_t jo = {.max_depth = 8, .max_size = resp->body_len + 1};
	if (resp->body_len == 0 || axr_json_parse(resp->body, resp->body_len, &jo, &root, NULL) != 0)
		return NULL;
	const char *code = NULL;
	if (!json_object_is_type(root, json_type_object))
		goto done;
	code = axr__member_string(root, "code", arena);
	const char *message = axr__member_string(root, "message", arena);
	if (message)
		err->message = message;
	json_object *list = NULL;
	if (!json_object_object_get_ex(root, "errors", &list) || !json_object_is_type(list, json_type_array))
		goto done;
	size_t n = json_object_array_length(list);
	axr_client_field_error_t *fe = n ? axr_arena_calloc(arena, n, sizeof(*fe)) : NULL;
	if (fe == NULL)
		goto done;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);
		if (!json_object_is_type(e, json_type_object))
			continue;
		const char *path = axr__member_string(e, "path", arena);
		const char *msg = axr__member_string(e, "message", arena);
		fe[k].path = path ? path : "";
		fe[k].message = msg ? msg : "";
		k++;
	}
	err->errors = fe;
	err->n_errors = k;
done:
	json_object_put(root);
	return code;
}

int axr_client_error_from_response(const axr_client_response_t *resp, axr_arena_t *arena,
                                   axr_client_error_t *err)
{
	axr_client_error_t local;
	if (err == NULL)
		err = &local;
	axr_arena_t *owned = err->owned;
	axr__err_reset(err, AXR_EPARSE, AXR_CLIENT_ERR_HTTP);
	err->owned = owned;
	err->status = resp->status;
	err->request_id = resp->request_id;
	const char *ra = axr_client_response_header(resp, "Retry-After");
	if (ra != NULL && *ra >= '0' && *ra <= '9')
		err->retry_after = strtol(ra, NULL, 10);
	err->message = axr_http_reason(resp->status);
	if (resp->body_len > 0 && arena != NULL && (err->body = axr_arena_strndup(arena, resp->body, resp->body_len)))
		err->body_len = resp->body_len;
	const char *code = NULL;
	if (resp->content_type == NULL || strncasecmp(resp->content_type, "application/json", 16) == 0 ||
	    strncasecmp(resp->content_type, "application/problem+json", 24) == 0)
		code = axr__parse_error_body(resp, arena, err);
	err->rc = axr__client_status_rc(resp->status, code);
	err->code = code ? code : axr_errname(err->rc);
	return err->rc;
}

const char *axr_client_response_header(const axr_client_response_t *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void axr_client_error_free(axr_client_error_t *err)
{
	if (err == NULL)
		return;
	axr_arena_free(err->owned);
	memset(err, 0, sizeof(*err));
}

/* ---- results of NULL-arena calls -------------------------------------------- */

/* The hidden header in front of an adopted result message. */
typedef struct axr__result_hdr {
	alignas(max_align_t) uint64_t magic;
	axr_arena_t *arena;
} axr__result_hdr_t;

#define AXR__RESULT_MAGIC 0x6178722d72657375ULL /* "axr-resu" */

ProtobufCMessage *axr__client_result_adopt(axr_arena_t *arena, const ProtobufCMessage *msg)
{
	size_t size = msg->descriptor->sizeof_message;
	axr__result_hdr_t *h = axr_arena_alloc(arena, sizeof(*h) + size);
	if (h == NULL)
		return NULL;
	h->magic = AXR__RESULT_MAGIC;
	h->arena = arena;
	/* a shallow copy: what the message points to stays where it is, and
	 * nothing points back at the top-level struct */
	memcpy(h + 1, msg, size);
	return (ProtobufCMessage *)(void *)(h + 1);
}

void axr_client_result_free(ProtobufCMessage *out)
{
	if (out == NULL)
		return;
	axr__result_hdr_t *h = (axr__result_hdr_t *)(void *)out - 1;
	if (h->magic != AXR__RESULT_MAGIC)
		abort(); /* not a NULL-arena result: freeing it would corrupt the caller's arena */
	h->magic = 0;
	axr_arena_free(h->arena);
}
