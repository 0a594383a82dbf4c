/* yaml.c: YAML 1.2 / JSON text to an axrgen value tree, through libfyaml events. */
#include "load.h"

#include <errno.h>
#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

/*
 * We build our own tree from libfyaml's event stream rather than keep a
 * libfyaml document: positions, typed scalars (YAML 1.2 core schema) and
 * aliases as shared nodes (never expanded, so "billion laughs" inputs stay
 * small) all come out the way the rest of axrgen wants them, and the parser
 * is gone once the file is read.
 */

/* Walking a value expands aliases; refuse documents that would expand to
 * more nodes than this, so no later walk can explode. */
#define AXRGEN_MAX_EXPANDED 1000000u

typedef struct axrgen_anchor {
	axrgen_value_t *value;
	uint64_t weight; /* nodes when expanded */
	bool open;       /* a collection still being built */
} axrgen_anchor_t;

typedef struct axrgen_frame {
	axrgen_value_t *value; /* ARRAY or OBJECT under construction */
	axrgen_anchor_t *anchor;
	axrgen_vec_t items; /* axrgen_value_t * or axrgen_member_t * */
	uint64_t weight;
	/* OBJECT: the key waiting for its value */
	bool have_key;
	bool drop_value; /* the key was bad: build and drop the value */
	const char *key;
	axrgen_pos_t key_pos;
} axrgen_frame_t;

typedef struct axrgen_builder {
	axrgen_ctx_t *c;
	const char *path;
	axrgen_vec_t stack; /* axrgen_frame_t * */
	axrgen_map_t anchors;
	const axrgen_value_t *root;
	uint64_t root_weight;
	bool failed;
} axrgen_builder_t;

static axrgen_pos_t axrgen_mark_pos(axrgen_builder_t *b, struct fy_event *ev, bool quoted)
{
	axrgen_pos_t pos = { b->path, 0, 0 };
	const struct fy_mark *m = fy_event_start_mark(ev);
	if (m != NULL && m->line >= 0 && m->column >= 0) {
		pos.line = (uint32_t)m->line + 1;
		pos.col = (uint32_t)m->column + 1;
		if (quoted && pos.col > 1)
			pos.col--; /* point at the opening quote, not the content */
	}
	return pos;
}

static bool axrgen_all_digits(const char *s, size_t n, const char *set)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr(set, s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

static bool axrgen_is_one_of(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(*words, s, n) == 0)
			return true;
	return false;
}

/* Types a plain scalar with the YAML 1.2 core schema and writes the JSON
 * form of numbers. */
static void axrgen_type_plain(axrgen_ctx_t *c, axrgen_value_t *v, const char *s, size_t n)
{
	static const char *const nulls[] = { "null", "Null", "NULL", "~", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					    "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };
	if (n == 0 || axrgen_is_one_of(s, n, nulls)) {
		v->kind = AXRGEN_VALUE_NULL;
		v->text = "null";
		v->len = 4;
		return;
	}
	if (axrgen_is_one_of(s, n, trues) || axrgen_is_one_of(s, n, falses)) {
		v->kind = AXRGEN_VALUE_BOOL;
		v->text = axrgen_is_one_of(s, n, trues) ? "true" : "false";
		v->len = strlen(v->text);
		return;
	}
	if (axrgen_is_one_of(s, n, infs)) {
		v->kind = AXRGEN_VALUE_NUMBER;
		v->text = axrgen_strndup(c, s, n);
		v->len = n;
		return;
	}
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		bool hex = s[1] == 'x';
		if (axrgen_all_digits(s + 2, n - 2, hex ? "0123456789abcdefABCDEF" : "01234567") &&
		    n - 2 <= 16) {
			char digits[20];
			memcpy(digits, s + 2, n - 2);
			digits[n - 2] = '\0';
			errno = 0;
			unsigned long long u = strtoull(digits, NULL, hex ? 16 : 8);
			if (errno == 0) {
				v->kind = AXRGEN_VALUE_INT;
				v->text = axrgen_printf(c, "%llu", u);
				v->len = strlen(v->text);
				return;
			}
		}
		goto string;
	}
	/* [-+]? int-part? (. frac)? ([eE][-+]?digits)? */
	size_t i = 0;
	bool neg = false;
	if (s[i] == '-' || s[i] == '+')
		neg = s[i++] == '-';
	size_t int_start = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	size_t int_end = i, frac_start = i, frac_end = i;
	bool dot = false;
	if (i < n && s[i] == '.') {
		dot = true;
		frac_start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_end = i;
	}
	if (int_end == int_start && frac_end == frac_start)
		goto string;
	size_t exp_start = i;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		size_t d = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (d == i)
			goto string;
	}
	if (i != n)
		goto string;
	axrgen_buf_t out = { 0 };
	if (neg)
		axrgen_buf_add(c, &out, "-", 1);
	size_t z = int_start;
	while (z + 1 < int_end && s[z] == '0')
		z++; /* drop leading zeros */
	if (z == int_end)
		axrgen_buf_add(c, &out, "0", 1);
	else
		axrgen_buf_add(c, &out, s + z, int_end - z);
	if (frac_end > frac_start) {
		axrgen_buf_add(c, &out, ".", 1);
		axrgen_buf_add(c, &out, s + frac_start, frac_end - frac_start);
	}
	if (exp_start < n)
		axrgen_buf_add(c, &out, s + exp_start, n - exp_start);
	v->kind = dot || exp_start < n ? AXRGEN_VALUE_NUMBER : AXRGEN_VALUE_INT;
	v->text = out.text;
	v->len = out.len;
	return;
string:
	v->kind = AXRGEN_VALUE_STRING;
	v->text = axrgen_strndup(c, s, n);
	v->len = n;
}

static axrgen_frame_t *axrgen_top(axrgen_builder_t *b)
{
	return b->stack.n ? b->stack.items[b->stack.n - 1] : NULL;
}

/* Attaches a finished value to the open collection (or makes it the root). */
static void axrgen_attach(axrgen_builder_t *b, axrgen_value_t *v, uint64_t weight)
{
	axrgen_ctx_t *c = b->c;
	axrgen_frame_t *f = axrgen_top(b);
	if (f == NULL) {
		b->root = v;
		b->root_weight = weight;
		return;
	}
	f->weight += weight;
	if (f->weight > AXRGEN_MAX_EXPANDED)
		f->weight = AXRGEN_MAX_EXPANDED + 1;
	if (f->value->kind == AXRGEN_VALUE_ARRAY) {
		axrgen_vec_push(c, &f->items, v);
		return;
	}
	if (!f->have_key) {
		/* v is a key */
		f->have_key = true;
		f->key_pos = v->pos;
		if (v->kind == AXRGEN_VALUE_ARRAY || v->kind == AXRGEN_VALUE_OBJECT) {
			axrgen_error(c, v->pos, "yaml", "mapping keys must be scalars");
			b->failed = true;
			f->drop_value = true;
		} else {
			f->key = v->text;
			f->drop_value = false;
		}
		return;
	}
	f->have_key = false;
	if (f->drop_value)
		return;
	axrgen_member_t *m = axrgen_alloc(c, sizeof(*m));
	m->key = f->key;
	m->key_pos = f->key_pos;
	m->value = v;
	axrgen_vec_push(c, &f->items, m);
}

/* The text of a scalar token, in the arena. Read through a token iterator
 * rather than fy_token_get_text(): in libfyaml 0.7 the latter leaks its
 * chunk array when a multi-line plain scalar outgrows its length hint. */
static const char *axrgen_token_text(axrgen_builder_t *b, struct fy_token *tok, size_t *len)
{
	axrgen_buf_t text = { 0 };
	const struct fy_iter_chunk *ic = NULL;
	int err = 0;
	axrgen_buf_add(b->c, &text, "", 0);
	fy_token_iter_start(tok, b->c->iter);
	while ((ic = fy_token_iter_chunk_next(b->c->iter, ic, &err)) != NULL)
		axrgen_buf_add(b->c, &text, ic->str, ic->len);
	fy_token_iter_finish(b->c->iter);
	*len = text.len;
	return text.text;
}

/* Keys keep the text as written (a plain `200` is the key "200"). */
static axrgen_value_t *axrgen_scalar(axrgen_builder_t *b, struct fy_event *ev)
{
	axrgen_ctx_t *c = b->c;
	size_t len = 0;
	const char *text = axrgen_token_text(b, ev->scalar.value, &len);
	enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
	bool quoted = style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED;
	axrgen_value_t *v = axrgen_alloc(c, sizeof(*v));
	v->pos = axrgen_mark_pos(b, ev, quoted);
	axrgen_frame_t *f = axrgen_top(b);
	bool is_key = f != NULL && f->value->kind == AXRGEN_VALUE_OBJECT && !f->have_key;
	bool str_tag = false;
	if (ev->scalar.tag != NULL) {
		size_t tl = 0;
		const char *tag = fy_token_get_text(ev->scalar.tag, &tl);
		str_tag = tag != NULL && tl == 21 && memcmp(tag, "tag:yaml.org,2002:str", 21) == 0;
		if (tag != NULL && tl == 1 && tag[0] == '!')
			str_tag = true;
	}
	if (style == FYSS_PLAIN && !str_tag && !is_key) {
		axrgen_type_plain(c, v, text, len);
	} else {
		v->kind = AXRGEN_VALUE_STRING;
		v->text = text;
		v->len = len;
	}
	return v;
}

static axrgen_anchor_t *axrgen_anchor_define(axrgen_builder_t *b, struct fy_token *tok,
					     axrgen_value_t *v, bool open)
{
	if (tok == NULL)
		return NULL;
	size_t len = 0;
	const char *name = fy_token_get_text(tok, &len);
	if (name == NULL)
		return NULL;
	axrgen_anchor_t *a = axrgen_alloc(b->c, sizeof(*a));
	a->value = v;
	a->weight = 1;
	a->open = open;
	axrgen_map_put_str(b->c, &b->anchors, axrgen_strndup(b->c, name, len), a);
	return a;
}

static void axrgen_open(axrgen_builder_t *b, struct fy_event *ev, axrgen_value_kind_t kind,
			struct fy_token *anchor)
{
	axrgen_value_t *v = axrgen_alloc(b->c, sizeof(*v));
	v->kind = kind;
	v->pos = axrgen_mark_pos(b, ev, false);
	axrgen_frame_t *f = axrgen_alloc(b->c, sizeof(*f));
	f->value = v;
	f->weight = 1;
	f->anchor = axrgen_anchor_define(b, anchor, v, true);
	axrgen_vec_push(b->c, &b->stack, f);
}

static int axrgen_member_cmp(const void *pa, const void *pb)
{
	const axrgen_member_t *a = *(const axrgen_member_t *const *)pa;
	const axrgen_member_t *b = *(const axrgen_member_t *const *)pb;
	int r = strcmp(a->key, b->key);
	if (r)
		return r;
	/* keep document order between equal keys */
	if (a->key_pos.line != b->key_pos.line)
		return a->key_pos.line < b->key_pos.line ? -1 : 1;
	return a->key_pos.col < b->key_pos.col ? -1 : a->key_pos.col > b->key_pos.col;
}

/* Reports duplicate keys (YAML forbids them) and drops the later ones. */
static void axrgen_check_duplicates(axrgen_builder_t *b, axrgen_frame_t *f)
{
	axrgen_ctx_t *c = b->c;
	size_t n = f->items.n;
	if (n < 2)
		return;
	axrgen_member_t **sorted = axrgen_alloc_array(c, n, sizeof(*sorted));
	memcpy(sorted, f->items.items, n * sizeof(*sorted));
	axrgen_sort(sorted, n, sizeof(*sorted), axrgen_member_cmp);
	bool any = false;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(sorted[i]->key, sorted[i - 1]->key) != 0)
			continue;
		size_t first = i - 1;
		while (first > 0 && strcmp(sorted[first - 1]->key, sorted[i]->key) == 0)
			first--;
		axrgen_error(c, sorted[i]->key_pos, "yaml", "duplicate key '%s' (first at %u:%u)",
			     sorted[i]->key, (unsigned)sorted[first]->key_pos.line,
			     (unsigned)sorted[first]->key_pos.col);
		sorted[i]->value = NULL; /* marks it dropped */
		any = true;
	}
	if (!any)
		return;
	b->failed = true;
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		axrgen_member_t *m = f->items.items[i];
		if (m->value != NULL)
			f->items.items[w++] = m;
	}
	f->items.n = w;
}

static void axrgen_close(axrgen_builder_t *b)
{
	axrgen_ctx_t *c = b->c;
	axrgen_frame_t *f = axrgen_top(b);
	b->stack.n--;
	axrgen_value_t *v = f->value;
	if (v->kind == AXRGEN_VALUE_OBJECT) {
		axrgen_check_duplicates(b, f);
		axrgen_member_t *members = axrgen_alloc_array(c, f->items.n ? f->items.n : 1,
							      sizeof(*members));
		for (size_t i = 0; i < f->items.n; i++)
			members[i] = *(axrgen_member_t *)f->items.items[i];
		v->members = members;
	} else {
		v->items = (const axrgen_value_t *const *)f->items.items;
	}
	v->count = f->items.n;
	if (f->anchor != NULL) {
		f->anchor->open = false;
		f->anchor->weight = f->weight;
	}
	axrgen_attach(b, v, f->weight);
}

static void axrgen_alias(axrgen_builder_t *b, struct fy_event *ev)
{
	axrgen_ctx_t *c = b->c;
	size_t len = 0;
	const char *name = fy_token_get_text(ev->alias.anchor, &len);
	axrgen_pos_t pos = axrgen_mark_pos(b, ev, false);
	char *key = axrgen_strndup(c, name ? name : "", name ? len : 0);
	axrgen_anchor_t *a = axrgen_map_get_str(&b->anchors, key);
	axrgen_value_t *v = NULL;
	uint64_t weight = 1;
	if (a == NULL) {
		axrgen_error(c, pos, "yaml", "unknown alias '*%s'", key);
		b->failed = true;
	} else if (a->open) {
		axrgen_error(c, pos, "yaml", "alias '*%s' refers to a node that contains it", key);
		b->failed = true;
	} else {
		v = a->value;
		weight = a->weight;
	}
	if (v == NULL) {
		v = axrgen_alloc(c, sizeof(*v));
		v->kind = AXRGEN_VALUE_NULL;
		v->text = "null";
		v->len = 4;
		v->pos = pos;
	}
	axrgen_attach(b, v, weight);
}

/* Returns the length of the valid UTF-8 sequence at s (at most n bytes),
 * or 0 when it is malformed, overlong, a surrogate or above U+10FFFF. */
static size_t axrgen_utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (len == 0 || len > n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return len;
}

/* YAML and JSON specs are UTF-8. libfyaml 0.7 reads past the end of its
 * buffer on a sequence cut short at the end of the input (and may then
 * loop forever), so text it gets is checked first. Returns false after
 * reporting the first bad byte. */
static bool axrgen_utf8_valid(axrgen_ctx_t *c, const char *path, const char *data, size_t len)
{
	const unsigned char *s = (const unsigned char *)data;
	axrgen_pos_t pos = { path, 1, 1 };
	for (size_t i = 0; i < len;) {
		size_t n = s[i] == 0 ? 0 : axrgen_utf8_seq(s + i, len - i);
		if (n == 0) {
			axrgen_error(c, pos, "yaml", s[i] == 0 ? "NUL byte in the text"
							       : "invalid UTF-8 (byte 0x%02x)", s[i]);
			return false;
		}
		if (s[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
		i += n;
	}
	return true;
}

static void axrgen_silent(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* Handles one event; returns false when the stream must stop. */
static bool axrgen_event(axrgen_builder_t *b, struct fy_event *ev, int *docs)
{
	axrgen_ctx_t *c = b->c;
	switch (ev->type) {
	case FYET_DOCUMENT_START:
		if (++*docs > 1) {
			axrgen_pos_t pos = axrgen_mark_pos(b, ev, false);
			axrgen_error(c, pos, "yaml", "more than one YAML document in the file");
			b->failed = true;
			return false;
		}
		break;
	case FYET_SCALAR: {
		axrgen_value_t *v = axrgen_scalar(b, ev);
		axrgen_anchor_define(b, ev->scalar.anchor, v, false);
		axrgen_attach(b, v, 1);
		break;
	}
	case FYET_ALIAS:
		axrgen_alias(b, ev);
		break;
	case FYET_MAPPING_START:
		axrgen_open(b, ev, AXRGEN_VALUE_OBJECT, ev->mapping_start.anchor);
		break;
	case FYET_SEQUENCE_START:
		axrgen_open(b, ev, AXRGEN_VALUE_ARRAY, ev->sequence_start.anchor);
		break;
	case FYET_MAPPING_END:
	case FYET_SEQUENCE_END:
		if (b->stack.n > 0)
			axrgen_close(b);
		break;
	default:
		break;
	}
	return true;
}

const axrgen_value_t *axrgen_yaml_parse(axrgen_ctx_t *c, const char *path,
					const char *data, size_t len, bool json)
{
	axrgen_builder_t b = { .c = c, .path = path };
	struct fy_diag *diag = NULL;
	struct fy_diag_cfg dcfg;
	int docs = 0;

	if (!axrgen_utf8_valid(c, path, data, len))
		return NULL;
	/* a NUL-padded copy: libfyaml must never read past our bytes */
	char *text = axrgen_alloc(c, len + 8);
	if (len)
		memcpy(text, data, len);
	data = text;

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = axrgen_silent;
	dcfg.level = FYET_ERROR;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	if (diag == NULL)
		axrgen_oom(c);
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {
		.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 |
			 (json ? FYPCF_JSON_FORCE : FYPCF_JSON_NONE),
		.diag = diag,
	};
	c->diag = diag;
	c->parser = fy_parser_create(&cfg);
	c->iter = fy_token_iter_create(NULL);
	if (c->parser == NULL || c->iter == NULL || fy_parser_set_string(c->parser, data, len) != 0)
		axrgen_oom(c);

	struct fy_event *ev;
	while ((ev = fy_parser_parse(c->parser)) != NULL) {
		c->event = ev;
		bool go_on = axrgen_event(&b, ev, &docs);
		c->event = NULL;
		fy_parser_event_free(c->parser, ev);
		if (!go_on)
			break;
	}
	if (fy_parser_get_stream_error(c->parser)) {
		void *iter = NULL;
		struct fy_diag_error *de = fy_diag_errors_iterate(diag, &iter);
		axrgen_pos_t pos = { path, 0, 0 };
		if (de != NULL && de->line > 0 && de->column > 0) {
			pos.line = (uint32_t)de->line;
			pos.col = (uint32_t)de->column;
		}
		axrgen_error(c, pos, "yaml", "%s", de && de->msg ? de->msg : "invalid YAML");
		b.failed = true;
	}
	fy_token_iter_destroy(c->iter);
	c->iter = NULL;
	fy_parser_destroy(c->parser);
	c->parser = NULL;
	fy_diag_destroy(diag);
	c->diag = NULL;

	if (b.failed)
		return NULL;
	if (b.root == NULL) {
		axrgen_pos_t pos = { path, 0, 0 };
		axrgen_error(c, pos, "yaml", "no YAML document in the file");
		return NULL;
	}
	if (b.root_weight > AXRGEN_MAX_EXPANDED) {
		axrgen_error(c, b.root->pos, "yaml",
			     "aliases expand the document to more than %u nodes",
			     AXRGEN_MAX_EXPANDED);
		return NULL;
	}
	return b.root;
}
