/* codec_text.c: JSON text for the codec: numbers, strings, compaction, json-c trees. */
#include "codec_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h>

#include "err.h"
#include "json.h"
#include "utf8.h"

/* ---- numbers --------------------------------------------------------------- */

size_t axr__codec_number_len(const char *p, const char *end)
{
	const char *s = p;
	if (p < end && *p == '-')
		p++;
	if (p == end || *p < '0' || *p > '9')
		return 0;
	if (*p++ != '0')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		if (++p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return (size_t)(p - s);
}

void axr__codec_put_uint64(axr_buf_t *b, uint64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	axr__codec_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void axr__codec_put_int64(axr_buf_t *b, int64_t v)
{
	if (v >= 0) {
		axr__codec_put_uint64(b, (uint64_t)v);
		return;
	}
	axr__codec_putc(b, '-');
	axr__codec_put_uint64(b, (uint64_t)0 - (uint64_t)v);
}

/* A double with at most 7 decimals and 1e-3 <= |d| < 1e9 (prices, ratios,
 * coordinates): the fewest decimals that read back, without printf. The
 * text is the one %.15g prints for such values. Returns false for others. */
static bool axr__put_fixed(axr_buf_t *b, double d)
{
	static const double scale[] = {1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
	double a = fabs(d);
	if (!(a >= 1e-3 && a < 1e9))
		return false;
	for (int k = 0; k < 7; k++) {
		/* s / 10^(k+1) is exact in decimal; IEEE division rounds it
		 * correctly, as strtod() will: equal means it reads back. */
		double s = nearbyint(a * scale[k]);
		if (s / scale[k] != a)
			continue;
		char tmp[32];
		char *p = tmp + sizeof(tmp);
		uint64_t digits = (uint64_t)s;
		for (int i = 0; i <= k; i++) {
			*--p = (char)('0' + digits % 10);
			digits /= 10;
		}
		*--p = '.';
		do {
			*--p = (char)('0' + digits % 10);
			digits /= 10;
		} while (digits != 0);
		if (d < 0)
			*--p = '-';
		axr__codec_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
		return true;
	}
	return false;
}

void axr__codec_put_double(axr_buf_t *b, double d)
{
	char tmp[40];
	if (!isfinite(d)) {
		axr__codec_append(b, "null", 4);
		return;
	}
	/* Integral values print as integers (1e15 and beyond as %g would). */
	if (d > -1e15 && d < 1e15 && (double)(int64_t)d == d && !(d == 0 && signbit(d))) {
		axr__codec_put_int64(b, (int64_t)d);
		return;
	}
	if (axr__put_fixed(b, d))
		return;
	/* %.15g reads back whenever 15 digits or fewer suffice, and then it is
	 * already the shortest form (%g drops trailing zeros); else 16, else 17,
	 * which always reads back. */
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (prec == 17 || strtod(tmp, NULL) == d)
			break;
	}
	axr__codec_append(b, tmp, (size_t)n);
}

/* ---- strings --------------------------------------------------------------- */

/* 1 for the bytes a JSON string may carry as they are: printable ASCII but
 * the quote and the backslash (bytes >= 0x80 are checked as UTF-8). */
#define AXR__P16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
const unsigned char axr__codec_plain[256] = {
	AXR__P16(0), AXR__P16(0),
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
	AXR__P16(1), AXR__P16(1),
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
	AXR__P16(1), AXR__P16(1),
	AXR__P16(0), AXR__P16(0), AXR__P16(0), AXR__P16(0), AXR__P16(0), AXR__P16(0), AXR__P16(0), AXR__P16(0),
};
#undef AXR__P16

int axr__codec_put_string(axr_buf_t *b, const char *s, size_t len)
{
	/* Fast path: plain bytes only, copied as they are. */
	size_t i = 0;
	while (i < len && axr__codec_plain[(unsigned char)s[i]])
		i++;
	if (i == len) {
		if (len + 2 > b->cap - b->len && axr_buf_reserve(b, len + 2) != 0)
			return AXR_ENOMEM;
		char *o = b->data + b->len;
		o[0] = '"';
		memcpy(o + 1, s, len);
		o[len + 1] = '"';
		b->len += len + 2;
		return 0;
	}
	if (axr_utf8_validate(s + i, len - i) != 0)
		return AXR_EINVAL;
	axr_buf_json_string(b, s, len);
	return axr_buf_ok(b) ? 0 : AXR_ENOMEM;
}

/* ---- compaction --------------------------------------------------------- */

typedef struct axr__scan {
	const char *p;
	const char *end;
	char *o;
} axr__scan_t;

static void axr__scan_ws(axr__scan_t *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static int axr__scan_hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
						    : 16u;
		if (d == 16)
			return -1;
		v = v * 16 + d;
	}
	*out = v;
	return 0;
}

/* A string at s->p (its opening quote), copied verbatim. */
static int axr__scan_string(axr__scan_t *s)
{
	const char *start = s->p, *p = s->p + 1, *end = s->end;
	bool ascii = true;
	for (;;) {
		if (p == end)
			return AXR_EINVAL;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return AXR_EINVAL;
		if (c >= 0x80) {
			ascii = false;
			p++;
			continue;
		}
		if (c != '\\') {
			p++;
			continue;
		}
		if (++p == end)
			return AXR_EINVAL;
		if (*p != 'u') {
			if (strchr("\"\\/bfnrt", *p) == NULL || *p == '\0')
				return AXR_EINVAL;
			p++;
			continue;
		}
		unsigned cp, lo;
		if (axr__scan_hex4(p + 1, end, &cp) != 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
			return AXR_EINVAL;
		p += 5;
		if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate needs its low half */
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || axr__scan_hex4(p + 2, end, &lo) != 0 ||
			    lo < 0xDC00 || lo > 0xDFFF)
				return AXR_EINVAL;
			p += 6;
		}
	}
	p++;
	if (!ascii && axr_utf8_validate(start, (size_t)(p - start)) != 0)
		return AXR_EINVAL;
	memmove(s->o, start, (size_t)(p - start));
	s->o += p - start;
	s->p = p;
	return 0;
}

/* A scalar at s->p: string, number or literal. */
static int axr__scan_scalar(axr__scan_t *s)
{
	static const char *const words[] = {"true", "false", "null"};
	if (*s->p == '"')
		return axr__scan_string(s);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);
		if (*s->p == words[i][0]) {
			if ((size_t)(s->end - s->p) < n || memcmp(s->p, words[i], n) != 0)
				return AXR_EINVAL;
			memmove(s->o, s->p, n);
			s->o += n;
			s->p += n;
			return 0;
		}
	}
	size_t n = axr__codec_number_len(s->p, s->end);
	if (n == 0)
		return AXR_EINVAL;
	memmove(s->o, s->p, n);
	s->o += n;
	s->p += n;
	return 0;
}

int axr__codec_compact(const char *in, size_t len, char *out, size_t *out_len)
{
	/* One bit per open container: 1 = object. */
	unsigned char objects[AXR_JSON_MAX_DEPTH_LIMIT / 8];
	unsigned depth = 0;
	axr__scan_t s = {.p = in, .end = in + len, .o = out};
	enum { VALUE, KEY, AFTER } state = VALUE;

	for (;;) {
		axr__scan_ws(&s);
		if (state == AFTER && depth == 0)
			break;
		if (s.p == s.end)
			return AXR_EINVAL;
		char c = *s.p;
		if (state == KEY) {
			if (c != '"' || axr__scan_string(&s) != 0)
				return AXR_EINVAL;
			axr__scan_ws(&s);
			if (s.p == s.end || *s.p != ':')
				return AXR_EINVAL;
			*s.o++ = *s.p++;
			state = VALUE;
		} else if (state == AFTER) {
			bool obj = (objects[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1;
			*s.o++ = *s.p++;
			if (c == ',')
				state = obj ? KEY : VALUE;
			else if (c == (obj ? '}' : ']'))
				depth--;
			else
				return AXR_EINVAL;
		} else if (c == '{' || c == '[') {
			if (depth == AXR_JSON_MAX_DEPTH_LIMIT)
				return AXR_EINVAL;
			unsigned char bit = (unsigned char)(1u << (depth % 8));
			objects[depth / 8] = c == '{' ? objects[depth / 8] | bit : objects[depth / 8] & (unsigned char)~bit;
			depth++;
			*s.o++ = *s.p++;
			axr__scan_ws(&s);
			if (s.p < s.end && *s.p == (c == '{' ? '}' : ']')) {
				*s.o++ = *s.p++;
				depth--;
				state = AFTER;
			} else {
				state = c == '{' ? KEY : VALUE;
			}
		} else {
			if (axr__scan_scalar(&s) != 0)
				return AXR_EINVAL;
			state = AFTER;
		}
	}
	if (s.p != s.end)
		return AXR_EINVAL;
	*out_len = (size_t)(s.o - out);
	return 0;
}

int axr__codec_put_text(axr_buf_t *b, const char *in, size_t len)
{
	size_t n;
	if (axr_buf_reserve(b, len + 1) != 0)
		return AXR_ENOMEM;
	if (axr__codec_compact(in, len, b->data + b->len, &n) != 0) {
		b->data[b->len] = '\0';
		return AXR_EINVAL;
	}
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* ---- json-c trees --------------------------------------------------------- */

static int axr__put_tree(axr_buf_t *b, json_object *v, unsigned depth)
{
	int rc = 0;
	switch (json_object_get_type(v)) {
	case json_type_null:
		axr__codec_append(b, "null", 4);
		break;
	case json_type_boolean:
		if (json_object_get_boolean(v))
			axr__codec_append(b, "true", 4);
		else
			axr__codec_append(b, "false", 5);
		break;
	case json_type_int: {
		int64_t i = json_object_get_int64(v);
		if (i == INT64_MAX)
			axr__codec_put_uint64(b, json_object_get_uint64(v));
		else
			axr__codec_put_int64(b, i);
		break;
	}
	case json_type_double: {
		const char *text = axr_json_double_text(v);
		size_t n = text ? strlen(text) : 0;
		if (n > 0 && axr__codec_number_len(text, text + n) == n && isfinite(json_object_get_double(v)))
			axr__codec_append(b, text, n);
		else
			axr__codec_put_double(b, json_object_get_double(v));
		break;
	}
	case json_type_string:
		rc = axr__codec_put_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array: {
		if (depth >= AXR_JSON_MAX_DEPTH_LIMIT)
			return AXR_EINVAL;
		size_t n = json_object_array_length(v);
		axr__codec_putc(b, '[');
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (i > 0)
				axr__codec_putc(b, ',');
			rc = axr__put_tree(b, json_object_array_get_idx(v, i), depth + 1);
		}
		axr__codec_putc(b, ']');
		break;
	}
	case json_type_object: {
		if (depth >= AXR_JSON_MAX_DEPTH_LIMIT)
			return AXR_EINVAL;
		axr__codec_putc(b, '{');
		for (struct lh_entry *e = json_object_get_object(v)->head; e != NULL && rc == 0; e = e->next) {
			const char *key = (const char *)lh_entry_k(e);
			if (e != json_object_get_object(v)->head)
				axr__codec_putc(b, ',');
			rc = axr__codec_put_string(b, key, strlen(key));
			axr__codec_putc(b, ':');
			if (rc == 0)
				rc = axr__put_tree(b, (json_object *)lh_entry_v(e), depth + 1);
		}
		axr__codec_putc(b, '}');
		break;
	}
	}
	if (rc == 0 && !axr_buf_ok(b))
		rc = AXR_ENOMEM;
	return rc;
}

int axr__codec_put_tree(axr_buf_t *b, json_object *v)
{
	return axr__put_tree(b, v, 0);
}
