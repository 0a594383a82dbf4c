/* json.c: strict JSON decoding into json-c trees. */
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h>

#include "err.h"
#include "utf8.h"

/* Where the parser is, for error paths: one frame per open container. */
typedef struct axr__jframe {
	const struct axr__jframe *parent;
	const char *key; /* member name; NULL inside an array (then `index`) */
	size_t index;
} axr__jframe_t;

typedef struct axr__parser {
	const unsigned char *start;
	const unsigned char *p;
	const unsigned char *end;
	unsigned depth;
	unsigned max_depth;
	unsigned flags;
	axr_json_error_t *err;
	const axr__jframe_t *top; /* innermost open container */
	char *buf; /* scratch: escaped strings and number literals */
	size_t cap;
} axr__parser_t;

static locale_t axr__c_locale;
static pthread_once_t axr__c_locale_once = PTHREAD_ONCE_INIT;

static void axr__c_locale_init(void)
{
	axr__c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static void axr__json_path(const axr__jframe_t *f, char *dst, size_t size, size_t *o)
{
	char idx[24];
	const char *seg;

	if (f == NULL)
		return;
	axr__json_path(f->parent, dst, size, o);
	if (f->key == NULL) {
		snprintf(idx, sizeof(idx), "%zu", f->index);
		seg = idx;
	} else {
		seg = f->key;
	}
	if (*o + 1 < size)
		dst[(*o)++] = '/';
	for (; *seg != '\0' && *o + 2 < size; seg++) {
		if (*seg == '~' || *seg == '/') {
			dst[(*o)++] = '~';
			dst[(*o)++] = *seg == '~' ? '0' : '1';
		} else {
			dst[(*o)++] = *seg;
		}
	}
	dst[*o] = '\0';
}

__attribute__((format(printf, 4, 5))) static int
axr__json_fail(axr__parser_t *ps, const unsigned char *at, int code, const char *fmt, ...)
{
	if (ps->err != NULL) {
		va_list ap;
		ps->err->code = code;
		ps->err->offset = (size_t)(at - ps->start);
		size_t o = 0;
		ps->err->path[0] = '\0';
		axr__json_path(ps->top, ps->err->path, sizeof(ps->err->path), &o);
		va_start(ap, fmt);
		vsnprintf(ps->err->message, sizeof(ps->err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Writes a short, printable excerpt of s (for messages); size >= 4. */
static const char *axr__excerpt(char *dst, size_t size, const char *s, size_t len)
{
	size_t o = 0, i = 0;

	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool escape = c < 0x20 || c == 0x7f || c == '"' || c == '\\';
		size_t need = escape ? 4 : 1;
		if (o + need + 4 > size) /* keep room for "..." and the NUL */
			break;
		if (escape)
			snprintf(dst + o, 5, "\\x%02X", c);
		else
			dst[o] = (char)c;
		o += need;
	}
	if (i < len) {
		o = axr_utf8_boundary(dst, o); /* do not cut a character in two */
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

static int axr__reserve(axr__parser_t *ps, size_t need)
{
	if (need <= ps->cap)
		return 0;
	size_t cap = ps->cap ? ps->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return AXR_ENOMEM;
		cap *= 2;
	}
	char *nb = realloc(ps->buf, cap);
	if (nb == NULL)
		return AXR_ENOMEM;
	ps->buf = nb;
	ps->cap = cap;
	return 0;
}

static int axr__append(axr__parser_t *ps, size_t *n, const void *src, size_t len)
{
	if (axr__reserve(ps, *n + len + 1) != 0)
		return AXR_ENOMEM;
	memcpy(ps->buf + *n, src, len);
	*n += len;
	return 0;
}

static inline void axr__skip_ws(axr__parser_t *ps)
{
	const unsigned char *p = ps->p;
	while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	ps->p = p;
}

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 if ill-formed. */
static size_t axr__utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t avail = (size_t)(end - p);
	unsigned lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0)
		return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c < 0xF0) {
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates */
		if (avail < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
		if (avail < 4 || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

static int axr__hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static size_t axr__utf8_encode(unsigned cp, unsigned char *o)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Decodes the \u escape at p (just after the backslash, at the 'u'); appends
 * the code point as UTF-8 and advances *pp past the escape(s). */
static int axr__json_unicode_escape(axr__parser_t *ps, const unsigned char **pp, size_t *n)
{
	const unsigned char *p = *pp, *esc = p - 1;
	unsigned cp, lo;
	unsigned char utf8[4];

	if (axr__hex4(p + 1, ps->end, &cp) != 0)
		return axr__json_fail(ps, esc, AXR_EPARSE, "invalid \\u escape (need 4 hex digits)");
	p += 5;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return axr__json_fail(ps, esc, AXR_EPARSE, "lone low surrogate \\u%04X", cp);
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (ps->end - p < 2 || p[0] != '\\' || p[1] != 'u' ||
		    axr__hex4(p + 2, ps->end, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
			return axr__json_fail(ps, esc, AXR_EPARSE,
					      "lone high surrogate \\u%04X (no low surrogate follows)", cp);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	}
	*pp = p;
	return axr__append(ps, n, utf8, axr__utf8_encode(cp, utf8));
}

/* Parses the string whose opening quote is at ps->p. On success *s and *len
 * point into the input (no escapes) or into ps->buf (valid until the next
 * string or number is parsed). */
static int axr__json_string(axr__parser_t *ps, const char **s, size_t *len)
{
	const unsigned char *open = ps->p, *end = ps->end;
	const unsigned char *p = open + 1, *run = p;
	size_t n = 0;
	bool copying = false;
	int rc;

	for (;;) {
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return axr__json_fail(ps, open, AXR_EPARSE, "unterminated string");
		unsigned c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return axr__json_fail(ps, p, AXR_EPARSE,
					      "control character U+%04X must be escaped in a string", c);
		if (c >= 0x80) {
			size_t k = axr__utf8_seq(p, end);
			if (k == 0)
				return axr__json_fail(ps, p, AXR_EPARSE, "invalid UTF-8 (byte 0x%02X)", c);
			p += k;
			continue;
		}
		/* a backslash escape */
		if ((rc = axr__append(ps, &n, run, (size_t)(p - run))) != 0)
			return axr__json_fail(ps, p, rc, "out of memory");
		copying = true;
		if (++p >= end)
			return axr__json_fail(ps, open, AXR_EPARSE, "unterminated string");
		char ch;
		switch (*p) {
		case '"': ch = '"'; break;
		case '\\': ch = '\\'; break;
		case '/': ch = '/'; break;
		case 'b': ch = '\b'; break;
		case 'f': ch = '\f'; break;
		case 'n': ch = '\n'; break;
		case 'r': ch = '\r'; break;
		case 't': ch = '\t'; break;
		case 'u':
			if ((rc = axr__json_unicode_escape(ps, &p, &n)) != 0)
				return rc == AXR_ENOMEM ? axr__json_fail(ps, p, rc, "out of memory") : rc;
			run = p;
			continue;
		default:
			if (*p >= 0x20 && *p < 0x7f)
				return axr__json_fail(ps, p - 1, AXR_EPARSE, "invalid escape \\%c", *p);
			return axr__json_fail(ps, p - 1, AXR_EPARSE, "invalid escape (byte 0x%02X)", *p);
		}
		if ((rc = axr__append(ps, &n, &ch, 1)) != 0)
			return axr__json_fail(ps, p, rc, "out of memory");
		run = ++p;
	}
	if (!copying) {
		*s = (const char *)(open + 1);
		*len = (size_t)(p - open - 1);
	} else {
		if ((rc = axr__append(ps, &n, run, (size_t)(p - run))) != 0)
			return axr__json_fail(ps, p, rc, "out of memory");
		*s = ps->buf;
		*len = n;
	}
	ps->p = p + 1;
	return 0;
}

static inline bool axr__is_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static int axr__json_number(axr__parser_t *ps, json_object **out)
{
	const unsigned char *start = ps->p, *p = start, *end = ps->end, *int_end;
	bool neg = false, is_int = true;
	int rc;

	if (*p == '-') {
		neg = true;
		p++;
		if (p < end && *p == 'I')
			return axr__json_fail(ps, start, AXR_EPARSE, "-Infinity is not valid JSON");
	}
	if (!axr__is_digit(p, end))
		return axr__json_fail(ps, p, AXR_EPARSE, "expected a digit");
	if (*p == '0') {
		p++;
		if (axr__is_digit(p, end))
			return axr__json_fail(ps, start, AXR_EPARSE, "leading zeros are not allowed");
	} else {
		while (axr__is_digit(p, end))
			p++;
	}
	int_end = p;
	if (p < end && *p == '.') {
		is_int = false;
		if (!axr__is_digit(++p, end))
			return axr__json_fail(ps, p, AXR_EPARSE, "expected a digit after the decimal point");
		while (axr__is_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		is_int = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!axr__is_digit(p, end))
			return axr__json_fail(ps, p, AXR_EPARSE, "expected a digit in the exponent");
		while (axr__is_digit(p, end))
			p++;
	}
	ps->p = p;

	if (is_int) {
		uint64_t acc = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		const unsigned char *d = start + neg;
		for (; d < int_end; d++) {
			unsigned digit = (unsigned)(*d - '0');
			if (acc > (limit - digit) / 10)
				break;
			acc = acc * 10 + digit;
		}
		if (d == int_end) {
			int64_t v;
			if (!neg)
				v = (int64_t)acc;
			else if (acc == (uint64_t)INT64_MAX + 1)
				v = INT64_MIN;
			else
				v = -(int64_t)acc;
			*out = json_object_new_int64(v);
			return *out ? 0 : axr__json_fail(ps, start, AXR_ENOMEM, "out of memory");
		}
		if (!(ps->flags & AXR_JSON_BIGNUM))
			return axr__json_fail(ps, start, AXR_ERANGE,
					      "integer out of range (must fit in 64 bits)");
	}

	size_t n = (size_t)(p - start);
	if ((rc = axr__reserve(ps, n + 1)) != 0)
		return axr__json_fail(ps, start, rc, "out of memory");
	memcpy(ps->buf, start, n);
	ps->buf[n] = '\0';
	pthread_once(&axr__c_locale_once, axr__c_locale_init);
	double v = axr__c_locale ? strtod_l(ps->buf, NULL, axr__c_locale) : strtod(ps->buf, NULL);
	if (isinf(v))
		return axr__json_fail(ps, start, AXR_ERANGE, "number out of range (overflows a double)");
	*out = json_object_new_double_s(v, ps->buf);
	return *out ? 0 : axr__json_fail(ps, start, AXR_ENOMEM, "out of memory");
}

static int axr__json_value(axr__parser_t *ps, json_object **out);

static int axr__json_literal(axr__parser_t *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "invalid literal (expected %s)", word);
	ps->p += n;
	return 0;
}

/* Opens a container at ps->p: checks the depth, creates it with `make` and
 * says whether it has content (false when `close` follows at once). */
static int axr__json_open(axr__parser_t *ps, json_object **out, json_object *(*make)(void),
			  char close, bool *more)
{
	if (++ps->depth > ps->max_depth)
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "nesting deeper than %u levels",
				      ps->max_depth);
	if ((*out = make()) == NULL)
		return axr__json_fail(ps, ps->p, AXR_ENOMEM, "out of memory");
	ps->p++;
	axr__skip_ws(ps);
	*more = !(ps->p < ps->end && *ps->p == close);
	if (!*more)
		ps->p++;
	return 0;
}

/* After an element or member: consumes ',' (*more = true) or the closing
 * bracket (*more = false). */
static int axr__json_separator(axr__parser_t *ps, char close, bool *more)
{
	const char *kind = close == ']' ? "array" : "object";

	axr__skip_ws(ps);
	if (ps->p >= ps->end)
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "unterminated %s", kind);
	if (*ps->p == close) {
		ps->p++;
		*more = false;
		return 0;
	}
	if (*ps->p != ',')
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "expected ',' or '%c' after an %s %s",
				      close, kind, close == ']' ? "element" : "member");
	ps->p++;
	axr__skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close)
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "trailing comma in %s", kind);
	*more = true;
	return 0;
}

static int axr__json_array(axr__parser_t *ps, json_object **out)
{
	json_object *arr = NULL, *item = NULL;
	axr__jframe_t frame = {.parent = ps->top};
	bool more;
	int rc;

	if ((rc = axr__json_open(ps, &arr, json_object_new_array, ']', &more)) != 0)
		return rc;
	ps->top = &frame;
	while (more) {
		if ((rc = axr__json_value(ps, &item)) != 0)
			goto fail;
		if (json_object_array_add(arr, item) != 0) {
			json_object_put(item);
			rc = axr__json_fail(ps, ps->p, AXR_ENOMEM, "out of memory");
			goto fail;
		}
		if ((rc = axr__json_separator(ps, ']', &more)) != 0)
			goto fail;
		frame.index++;
	}
	ps->top = frame.parent;
	ps->depth--;
	*out = arr;
	return 0;
fail:
	ps->top = frame.parent;
	json_object_put(arr);
	return rc;
}

/* Parses a member name into a fresh C string (owned by the caller). */
static int axr__json_key(axr__parser_t *ps, char **out)
{
	const unsigned char *at = ps->p;
	const char *s;
	size_t len;
	int rc;

	if (ps->p >= ps->end)
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "unterminated object");
	if (*ps->p != '"')
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "expected a string key");
	if ((rc = axr__json_string(ps, &s, &len)) != 0)
		return rc;
	if (memchr(s, '\0', len) != NULL)
		return axr__json_fail(ps, at, AXR_EPARSE, "object key contains U+0000");
	if ((*out = malloc(len + 1)) == NULL)
		return axr__json_fail(ps, at, AXR_ENOMEM, "out of memory");
	memcpy(*out, s, len);
	(*out)[len] = '\0';
	return 0;
}

static int axr__json_object(axr__parser_t *ps, json_object **out)
{
	json_object *obj = NULL, *val = NULL;
	struct lh_table *table;
	char *key = NULL;
	axr__jframe_t frame = {.parent = ps->top};
	bool more;
	int rc;

	if ((rc = axr__json_open(ps, &obj, json_object_new_object, '}', &more)) != 0)
		return rc;
	table = json_object_get_object(obj);
	ps->top = &frame;
	while (more) {
		const unsigned char *key_at = ps->p;
		char shown[48];

		if ((rc = axr__json_key(ps, &key)) != 0)
			goto fail;
		frame.key = key;
		unsigned long hash = lh_get_hash(table, key);
		if (lh_table_lookup_entry_w_hash(table, key, hash) != NULL) {
			rc = axr__json_fail(ps, key_at, AXR_EPARSE, "duplicate key \"%s\"",
					    axr__excerpt(shown, sizeof(shown), key, strlen(key)));
			goto fail;
		}
		axr__skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			rc = axr__json_fail(ps, ps->p, AXR_EPARSE, "expected ':' after an object key");
			goto fail;
		}
		ps->p++;
		if ((rc = axr__json_value(ps, &val)) != 0)
			goto fail;
		if (lh_table_insert_w_hash(table, key, val, hash, 0) != 0) {
			json_object_put(val);
			rc = axr__json_fail(ps, ps->p, AXR_ENOMEM, "out of memory");
			goto fail;
		}
		key = NULL; /* owned by the table now */
		frame.key = NULL;
		if ((rc = axr__json_separator(ps, '}', &more)) != 0)
			goto fail;
	}
	ps->top = frame.parent;
	ps->depth--;
	*out = obj;
	return 0;
fail:
	ps->top = frame.parent;
	free(key);
	json_object_put(obj);
	return rc;
}

static int axr__json_value(axr__parser_t *ps, json_object **out)
{
	const char *s;
	size_t len;
	int rc;

	*out = NULL;
	axr__skip_ws(ps);
	if (ps->p >= ps->end)
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "unexpected end of input");
	switch (*ps->p) {
	case '{':
		return axr__json_object(ps, out);
	case '[':
		return axr__json_array(ps, out);
	case '"':
		if ((rc = axr__json_string(ps, &s, &len)) != 0)
			return rc;
		if (len > INT_MAX)
			return axr__json_fail(ps, ps->p, AXR_ETOOBIG, "string too long");
		*out = json_object_new_string_len(s, (int)len);
		return *out ? 0 : axr__json_fail(ps, ps->p, AXR_ENOMEM, "out of memory");
	case 't':
		if ((rc = axr__json_literal(ps, "true", 4)) != 0)
			return rc;
		*out = json_object_new_boolean(1);
		return *out ? 0 : axr__json_fail(ps, ps->p, AXR_ENOMEM, "out of memory");
	case 'f':
		if ((rc = axr__json_literal(ps, "false", 5)) != 0)
			return rc;
		*out = json_object_new_boolean(0);
		return *out ? 0 : axr__json_fail(ps, ps->p, AXR_ENOMEM, "out of memory");
	case 'n':
		return axr__json_literal(ps, "null", 4);
	case 'N':
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "NaN is not valid JSON");
	case 'I':
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "Infinity is not valid JSON");
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return axr__json_number(ps, out);
	default:
		if (*ps->p > 0x20 && *ps->p < 0x7f)
			return axr__json_fail(ps, ps->p, AXR_EPARSE, "unexpected character '%c'", *ps->p);
		return axr__json_fail(ps, ps->p, AXR_EPARSE, "unexpected byte 0x%02X", *ps->p);
	}
}

static void axr__json_locate(const char *buf, size_t len, axr_json_error_t *err)
{
	size_t line = 1, col = 1, off = err->offset < len ? err->offset : len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n') {
			line++;
			col = 1;
		} else if ((c & 0xC0) != 0x80) {
			col++;
		}
	}
	err->line = line > UINT_MAX ? UINT_MAX : (unsigned)line;
	err->column = col > UINT_MAX ? UINT_MAX : (unsigned)col;
}

int axr_json_parse(const char *buf, size_t len, const axr_json_opts_t *opts,
		   json_object **out, axr_json_error_t *err)
{
	axr__parser_t ps = {0};
	json_object *v = NULL;
	size_t max_size = AXR_JSON_DEFAULT_MAX_SIZE;
	int rc;

	*out = NULL;
	ps.max_depth = AXR_JSON_DEFAULT_MAX_DEPTH;
	if (opts != NULL) {
		if (opts->max_depth != 0)
			ps.max_depth = opts->max_depth < AXR_JSON_MAX_DEPTH_LIMIT
					       ? opts->max_depth
					       : AXR_JSON_MAX_DEPTH_LIMIT;
		if (opts->max_size != 0)
			max_size = opts->max_size;
		ps.flags = opts->flags;
	}
	ps.start = ps.p = (const unsigned char *)buf;
	ps.end = ps.start + len;
	ps.err = err;

	if (len > max_size) {
		rc = axr__json_fail(&ps, ps.start + max_size, AXR_ETOOBIG,
				    "body of %zu bytes exceeds the limit of %zu bytes", len, max_size);
		goto fail;
	}
	if (len == 0) {
		rc = axr__json_fail(&ps, ps.p, AXR_EPARSE, "empty input");
		goto fail;
	}
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		rc = axr__json_fail(&ps, ps.p, AXR_EPARSE, "byte order mark is not allowed");
		goto fail;
	}
	if ((rc = axr__json_value(&ps, &v)) != 0)
		goto fail;
	axr__skip_ws(&ps);
	if (ps.p != ps.end) {
		rc = axr__json_fail(&ps, ps.p, AXR_EPARSE, "unexpected data after the JSON value");
		goto fail;
	}
	free(ps.buf);
	*out = v;
	return 0;
fail:
	json_object_put(v);
	free(ps.buf);
	if (err != NULL)
		axr__json_locate(buf, len, err);
	return rc;
}

char *axr_json_error_format(const axr_json_error_t *err, char *buf, size_t size)
{
	if (size > 0)
		snprintf(buf, size, "line %u, column %u (byte %zu): %s", err->line, err->column,
			 err->offset, err->message);
	return buf;
}

const char *axr_json_double_text(json_object *v)
{
	if (v == NULL || json_object_get_type(v) != json_type_double)
		return NULL;
	return json_object_get_userdata(v);
}
