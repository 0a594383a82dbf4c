/* docs.c: spec documents by path, and $ref resolution (files, JSON Pointers). */
#include "load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AXRGEN_MAX_FILE (64u << 20)

/* Lexically normalises "a/./b/../c" to "a/c"; leading ".." are kept. */
static char *axrgen_normalize(axrgen_ctx_t *c, const char *path)
{
	size_t n = strlen(path);
	const char **parts = axrgen_alloc_array(c, n + 1, sizeof(*parts));
	size_t *lens = axrgen_alloc_array(c, n + 1, sizeof(*lens));
	size_t np = 0;
	bool absolute = path[0] == '/';
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.' && np > 0 &&
		    !(lens[np - 1] == 2 && parts[np - 1][0] == '.' && parts[np - 1][1] == '.')) {
			np--;
			continue;
		}
		if (len == 2 && s[0] == '.' && s[1] == '.' && np == 0 && absolute)
			continue;
		parts[np] = s;
		lens[np++] = len;
	}
	axrgen_buf_t out = { 0 };
	axrgen_buf_add(c, &out, "", 0);
	if (absolute)
		axrgen_buf_add(c, &out, "/", 1);
	for (size_t i = 0; i < np; i++) {
		if (i)
			axrgen_buf_add(c, &out, "/", 1);
		axrgen_buf_add(c, &out, parts[i], lens[i]);
	}
	return out.text;
}

static int axrgen_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes; returns NULL on a malformed escape or %00. */
static char *axrgen_percent_decode(axrgen_ctx_t *c, const char *s, size_t n)
{
	char *out = axrgen_alloc(c, n + 1);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[w++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return NULL;
		int hi = axrgen_hex(s[i + 1]), lo = axrgen_hex(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		out[w++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[w] = '\0';
	return out;
}

static char *axrgen_read_file(axrgen_ctx_t *c, const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	if (f == NULL) {
		*err = errno;
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0)
		goto fail;
	long size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	if ((unsigned long)size > AXRGEN_MAX_FILE) {
		*err = EFBIG;
		fclose(f);
		return NULL;
	}
	data = axr_arena_alloc(c->arena, (size_t)size + 1);
	if (data == NULL) {
		fclose(f);
		axrgen_oom(c);
	}
	if (fread(data, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	data[size] = '\0';
	*len = (size_t)size;
	fclose(f);
	return data;
fail:
	*err = errno ? errno : EIO;
	fclose(f);
	return NULL;
}

static bool axrgen_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void axrgen_doc_version(axrgen_ctx_t *c, axrgen_doc_t *doc)
{
	const axrgen_value_t *v = axrgen_value_get(doc->root, "openapi");
	if (v == NULL)
		return;
	if (v->kind != AXRGEN_VALUE_STRING) {
		axrgen_error(c, v->pos, "invalid-version",
			     "'openapi' must be a string such as \"3.1.0\", not %s",
			     axrgen_value_kind_name(v->kind));
		doc->version = 31;
		return;
	}
	if (strncmp(v->text, "3.0", 3) == 0 && (v->text[3] == '\0' || v->text[3] == '.'))
		doc->version = 30;
	else if (strncmp(v->text, "3.1", 3) == 0 && (v->text[3] == '\0' || v->text[3] == '.'))
		doc->version = 31;
	else {
		axrgen_error(c, v->pos, "invalid-version",
			     "unsupported OpenAPI version '%s' (axrgen reads 3.0.x and 3.1.x)",
			     v->text);
		doc->version = 31;
	}
}

axrgen_doc_t *axrgen_doc_get(axrgen_ctx_t *c, const char *path, axrgen_pos_t from)
{
	axrgen_doc_t *doc = axrgen_map_get_str(&c->docs, path);
	if (doc != NULL)
		return doc;
	doc = axrgen_alloc(c, sizeof(*doc));
	doc->path = axrgen_strdup(c, path);
	doc->order = c->n_docs++;
	const char *slash = strrchr(doc->path, '/');
	doc->dir = slash ? axrgen_strndup(c, doc->path, (size_t)(slash - doc->path) + 1) : "";
	axrgen_map_put_str(c, &c->docs, doc->path, doc);
	if (from.file == NULL)
		from.file = doc->path;

	const char *data = NULL;
	size_t len = 0;
	if (c->memory_name != NULL && strcmp(c->memory_name, path) == 0) {
		data = c->memory_data;
		len = c->memory_len;
	} else if (!c->allow_external) {
		axrgen_error(c, from, "unknown-ref",
			     "$ref to another file ('%s') is not allowed here", path);
		return doc;
	} else {
		int err = 0;
		data = axrgen_read_file(c, path, &len, &err);
		if (data == NULL) {
			axrgen_error(c, from, "unreadable-file", "cannot read '%s': %s", path,
				     strerror(err));
			return doc;
		}
	}
	doc->root = axrgen_yaml_parse(c, doc->path, data, len, axrgen_ends_with(path, ".json"));
	if (doc->root != NULL && doc->root->kind != AXRGEN_VALUE_OBJECT) {
		axrgen_error(c, doc->root->pos, "invalid-value",
			     "a spec file must hold a mapping at the top, not %s",
			     axrgen_value_kind_name(doc->root->kind));
		doc->root = NULL;
	}
	if (doc->root != NULL)
		axrgen_doc_version(c, doc);
	return doc;
}

const char *axrgen_pointer_add(axrgen_ctx_t *c, const char *pointer, const char *token)
{
	axrgen_buf_t b = { 0 };
	axrgen_buf_str(c, &b, pointer);
	axrgen_buf_add(c, &b, "/", 1);
	for (const char *p = token; *p; p++) {
		if (*p == '~')
			axrgen_buf_add(c, &b, "~0", 2);
		else if (*p == '/')
			axrgen_buf_add(c, &b, "~1", 2);
		else
			axrgen_buf_add(c, &b, p, 1);
	}
	return b.text;
}

/* Unescapes one JSON Pointer token (~0, ~1); NULL on a bad escape. */
static char *axrgen_pointer_token(axrgen_ctx_t *c, const char *s, size_t n)
{
	char *out = axrgen_alloc(c, n + 1);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '~') {
			out[w++] = s[i];
			continue;
		}
		if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))
			return NULL;
		out[w++] = s[i + 1] == '0' ? '~' : '/';
		i++;
	}
	out[w] = '\0';
	return out;
}

const char *axrgen_pointer_component(axrgen_ctx_t *c, const char *pointer, const char *section)
{
	static const char prefix[] = "#/components/";
	size_t lp = sizeof(prefix) - 1, ls = strlen(section);
	if (strncmp(pointer, prefix, lp) != 0 || strncmp(pointer + lp, section, ls) != 0 ||
	    pointer[lp + ls] != '/')
		return NULL;
	const char *name = pointer + lp + ls + 1;
	if (*name == '\0' || strchr(name, '/') != NULL)
		return NULL;
	return axrgen_pointer_token(c, name, strlen(name));
}

static bool axrgen_array_index(const char *tok, size_t count, size_t *out)
{
	if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		return false;
	size_t i = 0;
	for (const char *p = tok; *p; p++) {
		if (*p < '0' || *p > '9' || i > count)
			return false;
		i = i * 10 + (size_t)(*p - '0');
	}
	if (i >= count)
		return false;
	*out = i;
	return true;
}

int axrgen_resolve(axrgen_ctx_t *c, axrgen_doc_t *from, const axrgen_value_t *ref,
		   axrgen_target_t *out)
{
	const char *text = ref->text;
	const char *hash = memchr(text, '#', ref->len);
	size_t file_len = hash ? (size_t)(hash - text) : ref->len;

	if (strstr(text, "://") != NULL || strncmp(text, "//", 2) == 0) {
		axrgen_error(c, ref->pos, "unknown-ref",
			     "remote $ref '%s' is not supported (only files)", text);
		return -1;
	}
	axrgen_doc_t *doc = from;
	if (file_len > 0) {
		char *file = axrgen_percent_decode(c, text, file_len);
		if (file == NULL) {
			axrgen_error(c, ref->pos, "unknown-ref", "bad percent-encoding in $ref '%s'",
				     text);
			return -1;
		}
		const char *joined = file[0] == '/' ? file : axrgen_printf(c, "%s%s", from->dir, file);
		doc = axrgen_doc_get(c, axrgen_normalize(c, joined), ref->pos);
		if (doc->root == NULL)
			return -1;
	}
	const char *frag = "";
	if (hash != NULL) {
		frag = axrgen_percent_decode(c, hash + 1, ref->len - file_len - 1);
		if (frag == NULL) {
			axrgen_error(c, ref->pos, "unknown-ref", "bad percent-encoding in $ref '%s'",
				     text);
			return -1;
		}
	}
	if (frag[0] != '\0' && frag[0] != '/') {
		axrgen_error(c, ref->pos, "unknown-ref",
			     "$ref '%s' has a fragment that is not a JSON Pointer (anchors are not "
			     "supported)",
			     text);
		return -1;
	}
	const axrgen_value_t *cur = doc->root;
	const char *pointer = "#";
	const char *p = frag;
	while (*p == '/') {
		const char *s = ++p;
		while (*p && *p != '/')
			p++;
		char *tok = axrgen_pointer_token(c, s, (size_t)(p - s));
		if (tok == NULL) {
			axrgen_error(c, ref->pos, "unknown-ref",
				     "bad JSON Pointer escape in $ref '%s' (use ~0 for '~', ~1 for '/')",
				     text);
			return -1;
		}
		const axrgen_value_t *next = NULL;
		const char *hint = "";
		if (cur->kind == AXRGEN_VALUE_OBJECT) {
			next = axrgen_value_get(cur, tok);
			if (next == NULL) {
				const char **keys = axrgen_alloc_array(c, cur->count + 1, sizeof(*keys));
				for (size_t i = 0; i < cur->count; i++)
					keys[i] = cur->members[i].key;
				hint = axrgen_did_you_mean(c, tok, keys, cur->count);
			}
		} else if (cur->kind == AXRGEN_VALUE_ARRAY) {
			size_t i;
			if (axrgen_array_index(tok, cur->count, &i))
				next = cur->items[i];
		}
		if (next == NULL && *p == '\0' && strcmp(pointer, "#/components/schemas") == 0 &&
		    axrgen_map_get_str(&c->extern_schemas, tok) != NULL) {
			out->doc = doc;
			out->value = NULL;
			out->pointer = axrgen_pointer_add(c, pointer, tok);
			return AXRGEN_RESOLVE_EXTERN;
		}
		if (next == NULL) {
			axrgen_error(c, ref->pos, "unknown-ref", "unknown $ref '%s'%s", text, hint);
			return -1;
		}
		pointer = axrgen_pointer_add(c, pointer, tok);
		cur = next;
	}
	out->doc = doc;
	out->value = cur;
	out->pointer = pointer;
	return 0;
}

const char **axrgen_component_names(axrgen_ctx_t *c, axrgen_doc_t *doc, const char *section,
				    size_t *n)
{
	const axrgen_value_t *v = axrgen_value_get(axrgen_value_get(doc->root, "components"), section);
	*n = v && v->kind == AXRGEN_VALUE_OBJECT ? v->count : 0;
	const char **names = axrgen_alloc_array(c, *n + 1, sizeof(*names));
	for (size_t i = 0; i < *n; i++)
		names[i] = v->members[i].key;
	return names;
}
