/* schema_uri.c: URI references and JSON Pointers for $ref resolution. */
#include "schema_uri.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

typedef struct axr__uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t scheme_len, auth_len, path_len, query_len;
	bool has_auth, has_query, has_frag;
} axr__uri_t;

static void axr__uri_parse(const char *s, axr__uri_t *u)
{
	const char *p = s, *q = s;

	memset(u, 0, sizeof(*u));
	if (isalpha((unsigned char)*q)) {
		while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
			q++;
		if (*q == ':') {
			u->scheme = s;
			u->scheme_len = (size_t)(q - s);
			p = q + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		u->has_auth = true;
		u->auth = p += 2;
		while (*p && *p != '/' && *p != '?' && *p != '#')
			p++;
		u->auth_len = (size_t)(p - u->auth);
	}
	u->path = p;
	while (*p && *p != '?' && *p != '#')
		p++;
	u->path_len = (size_t)(p - u->path);
	if (*p == '?') {
		u->has_query = true;
		u->query = ++p;
		while (*p && *p != '#')
			p++;
		u->query_len = (size_t)(p - u->query);
	}
	if (*p == '#') {
		u->has_frag = true;
		u->frag = p + 1;
	}
}

/* RFC 3986 5.2.4, in place; returns the new length. */
static size_t axr__remove_dots(char *b, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (n - i >= 3 && memcmp(b + i, "../", 3) == 0) {
			i += 3;
		} else if (n - i >= 2 && memcmp(b + i, "./", 2) == 0) {
			i += 2;
		} else if (n - i >= 3 && memcmp(b + i, "/./", 3) == 0) {
			i += 2;
		} else if (n - i == 2 && memcmp(b + i, "/.", 2) == 0) {
			b[++i] = '/';
		} else if ((n - i >= 4 && memcmp(b + i, "/../", 4) == 0) ||
			   (n - i == 3 && memcmp(b + i, "/..", 3) == 0)) {
			/* "/../" and a final "/.." both become "/" */
			i += n - i == 3 ? 2 : 3;
			b[i] = '/';
			while (o > 0 && b[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if ((n - i == 1 && b[i] == '.') || (n - i == 2 && memcmp(b + i, "..", 2) == 0)) {
			i = n;
		} else {
			if (b[i] == '/')
				b[o++] = b[i++];
			while (i < n && b[i] != '/')
				b[o++] = b[i++];
		}
	}
	return o;
}

char *axr_uri_resolve(axr_arena_t *arena, const char *base, const char *ref)
{
	axr__uri_t b, r;
	const axr__uri_t *auth_from, *query_from;
	char *path, *out;
	size_t path_len, o = 0;

	axr__uri_parse(base, &b);
	axr__uri_parse(ref, &r);
	/* the path before dot removal: at most base path + '/' + ref path */
	if ((path = axr_arena_alloc(arena, b.path_len + r.path_len + 2)) == NULL)
		return NULL;
	const axr__uri_t *scheme_from = r.scheme ? &r : &b;
	if (r.scheme || r.has_auth) {
		auth_from = query_from = &r;
		memcpy(path, r.path, r.path_len);
		path_len = axr__remove_dots(path, r.path_len);
	} else if (r.path_len == 0) {
		auth_from = &b;
		query_from = r.has_query ? &r : &b;
		memcpy(path, b.path, b.path_len);
		path_len = b.path_len;
	} else {
		auth_from = &b;
		query_from = &r;
		if (r.path[0] == '/') {
			path_len = 0;
		} else if (b.has_auth && b.path_len == 0) {
			path[0] = '/';
			path_len = 1;
		} else {
			const char *slash = NULL;
			for (size_t i = 0; i < b.path_len; i++)
				if (b.path[i] == '/')
					slash = b.path + i;
			path_len = slash ? (size_t)(slash - b.path) + 1 : 0;
			memcpy(path, b.path, path_len);
		}
		memcpy(path + path_len, r.path, r.path_len);
		path_len = axr__remove_dots(path, path_len + r.path_len);
	}
	size_t frag_len = r.has_frag ? strlen(r.frag) : 0;
	out = axr_arena_alloc(arena, scheme_from->scheme_len + auth_from->auth_len + path_len +
					     query_from->query_len + frag_len + 8);
	if (out == NULL)
		return NULL;
	if (scheme_from->scheme != NULL) {
		memcpy(out + o, scheme_from->scheme, scheme_from->scheme_len);
		o += scheme_from->scheme_len;
		out[o++] = ':';
	}
	if (auth_from->has_auth) {
		out[o++] = '/';
		out[o++] = '/';
		memcpy(out + o, auth_from->auth, auth_from->auth_len);
		o += auth_from->auth_len;
	}
	memcpy(out + o, path, path_len);
	o += path_len;
	if (query_from->has_query) {
		out[o++] = '?';
		memcpy(out + o, query_from->query, query_from->query_len);
		o += query_from->query_len;
	}
	if (r.has_frag) {
		out[o++] = '#';
		memcpy(out + o, r.frag, frag_len);
		o += frag_len;
	}
	out[o] = '\0';
	return out;
}

char *axr_uri_percent_decode(axr_arena_t *arena, const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = axr_arena_alloc(arena, n + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = {s[i + 1], s[i + 2], '\0'};
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

char *axr_uri_pointer_escape(axr_arena_t *arena, const char *token)
{
	size_t n = strlen(token), extra = 0, o = 0;
	for (size_t i = 0; i < n; i++)
		extra += token[i] == '~' || token[i] == '/';
	char *out = axr_arena_alloc(arena, n + extra + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (token[i] == '~' || token[i] == '/') {
			out[o++] = '~';
			out[o++] = token[i] == '~' ? '0' : '1';
		} else {
			out[o++] = token[i];
		}
	}
	out[o] = '\0';
	return out;
}

int axr_uri_pointer_get(axr_arena_t *arena, json_object *root, const char *pointer,
			json_object **out)
{
	json_object *cur = root;
	const char *p = pointer;

	if (*p != '\0' && *p != '/')
		return AXR_ENOTFOUND;
	while (*p == '/') {
		const char *end = strchr(++p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p), o = 0;
		char *tok = axr_arena_alloc(arena, len + 1);
		if (tok == NULL)
			return AXR_ENOMEM;
		for (size_t i = 0; i < len; i++) {
			if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
				tok[o++] = p[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				tok[o++] = p[i];
			}
		}
		tok[o] = '\0';
		p += len;
		if (json_object_get_type(cur) == json_type_object) {
			if (!json_object_object_get_ex(cur, tok, &cur))
				return AXR_ENOTFOUND;
		} else if (json_object_get_type(cur) == json_type_array) {
			char *e;
			if (o == 0 || (tok[0] == '0' && o > 1) || !isdigit((unsigned char)tok[0]))
				return AXR_ENOTFOUND;
			unsigned long idx = strtoul(tok, &e, 10);
			if (*e != '\0' || idx >= json_object_array_length(cur))
				return AXR_ENOTFOUND;
			cur = json_object_array_get_idx(cur, idx);
		} else {
			return AXR_ENOTFOUND;
		}
	}
	*out = cur;
	return 0;
}
