/* validate_value.c: JSON equality, hashing, exact numeric comparison, multipleOf. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "utf8.h"
#include "validate_internal.h"

/* ---- numbers */

static bool axr__is_number(enum json_type t)
{
	return t == json_type_int || t == json_type_double;
}

/* Exact comparison of an int64 with a double (no rounding of either). */
static int axr__cmp_int_double(int64_t a, double d)
{
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	double t = trunc(d);
	int64_t ti = (int64_t)t;
	if (a != ti)
		return a < ti ? -1 : 1;
	double frac = d - t;
	return frac > 0 ? -1 : (frac < 0 ? 1 : 0);
}

int axr__number_cmp(json_object *v, const axr_number_t *n)
{
	if (json_object_get_type(v) == json_type_int) {
		int64_t a = json_object_get_int64(v);
		if (n->is_int)
			return a < n->i ? -1 : (a > n->i ? 1 : 0);
		return axr__cmp_int_double(a, n->d);
	}
	double x = json_object_get_double(v);
	if (n->is_int)
		return -axr__cmp_int_double(n->i, x);
	return x < n->d ? -1 : (x > n->d ? 1 : 0);
}

bool axr__is_big_integer(json_object *v)
{
	const char *text = axr_json_double_text(v);
	return text != NULL && strpbrk(text, ".eE") == NULL;
}

/* A decimal m * 10^e with m normalised (no trailing zeros). */
typedef struct axr__decimal {
	uint64_t m;
	int64_t e;
} axr__decimal_t;

static void axr__decimal_normalise(axr__decimal_t *d)
{
	if (d->m == 0) {
		d->e = 0;
		return;
	}
	while (d->m % 10 == 0) {
		d->m /= 10;
		d->e++;
	}
}

/* Parses a JSON number literal (sign ignored: multiples are symmetric).
 * False when it has more than 19 significant digits or a silly exponent. */
static bool axr__decimal_parse(const char *s, axr__decimal_t *d)
{
	int sig = 0;
	d->m = 0;
	d->e = 0;
	if (*s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (d->m == 0 && *s == '0')
			continue;
		if (sig == 19) {
			if (*s != '0')
				return false;
			d->e++;
			continue;
		}
		d->m = d->m * 10 + (uint64_t)(*s - '0');
		sig++;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (d->m == 0 && *s == '0') {
				d->e--;
				continue;
			}
			if (sig == 19) {
				if (*s != '0')
					return false;
				continue;
			}
			d->m = d->m * 10 + (uint64_t)(*s - '0');
			sig++;
			d->e--;
		}
	}
	if (*s == 'e' || *s == 'E') {
		bool neg = false;
		int64_t x = 0;
		s++;
		if (*s == '+' || *s == '-')
			neg = *s++ == '-';
		for (; *s >= '0' && *s <= '9'; s++) {
			x = x * 10 + (*s - '0');
			if (x > 100000)
				return false;
		}
		d->e += neg ? -x : x;
	}
	if (*s != '\0')
		return false;
	axr__decimal_normalise(d);
	return true;
}

static void axr__decimal_from_int(int64_t i, axr__decimal_t *d)
{
	d->m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	d->e = 0;
	axr__decimal_normalise(d);
}

/* The shortest "%.*g" text that reads back as exactly d. */
static void axr__shortest(double d, char *buf, size_t size)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static bool axr__decimal_of_json(json_object *v, axr__decimal_t *d)
{
	char buf[40];
	if (json_object_get_type(v) == json_type_int) {
		axr__decimal_from_int(json_object_get_int64(v), d);
		return true;
	}
	const char *text = axr_json_double_text(v);
	if (text == NULL) {
		axr__shortest(json_object_get_double(v), buf, sizeof(buf));
		text = buf;
	}
	return axr__decimal_parse(text, d);
}

static bool axr__decimal_of_number(const axr_number_t *n, axr__decimal_t *d)
{
	char buf[40];
	if (n->is_int) {
		axr__decimal_from_int(n->i, d);
		return true;
	}
	if (n->text == NULL) {
		axr__shortest(n->d, buf, sizeof(buf));
		return axr__decimal_parse(buf, d);
	}
	return axr__decimal_parse(n->text, d);
}

bool axr__multiple_of(json_object *v, const axr_number_t *m)
{
	axr__decimal_t dv, dm;

	if (json_object_get_type(v) == json_type_int && m->is_int) {
		int64_t a = json_object_get_int64(v);
		if (m->i == 0)
			return false;
		if (m->i == -1 || m->i == 1)
			return true;
		return a % m->i == 0;
	}
	if (axr__decimal_of_json(v, &dv) && axr__decimal_of_number(m, &dm) && dm.m != 0) {
		/* v/m = (dv.m / dm.m) * 10^(dv.e - dm.e); both mantissas are free
		 * of trailing zeros, so a negative exponent difference can never
		 * give an integer */
		if (dv.m == 0)
			return true;
		int64_t k = dv.e - dm.e;
		if (k < 0)
			return false;
		unsigned __int128 r = dv.m % dm.m;
		for (int64_t j = 0; j < k && r != 0; j++)
			r = (r * 10) % dm.m;
		return r == 0;
	}
	double x = json_object_get_double(v), md = m->is_int ? (double)m->i : m->d;
	if (md == 0)
		return false;
	double q = x / md;
	if (!isfinite(q))
		return fmod(x, md) == 0;
	return fabs(q - nearbyint(q)) <= 4 * DBL_EPSILON * fmax(1, fabs(q));
}

/* ---- equality */

static bool axr__number_equal(json_object *a, json_object *b)
{
	bool ai = json_object_get_type(a) == json_type_int;
	bool bi = json_object_get_type(b) == json_type_int;
	if (ai && bi)
		return json_object_get_int64(a) == json_object_get_int64(b);
	if (ai)
		return axr__cmp_int_double(json_object_get_int64(a), json_object_get_double(b)) == 0;
	if (bi)
		return axr__cmp_int_double(json_object_get_int64(b), json_object_get_double(a)) == 0;
	return json_object_get_double(a) == json_object_get_double(b);
}

bool axr__json_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if (axr__is_number(ta) && axr__is_number(tb))
		return axr__number_equal(a, b);
	if (ta != tb)
		return false;
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
			      (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array: {
		size_t n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!axr__json_equal(json_object_array_get_idx(a, i),
					     json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, key, av) {
			json_object *bv;
			if (!json_object_object_get_ex(b, key, &bv) || !axr__json_equal(av, bv))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

bool axr__value_equal(json_object *a, const axr_value_t *v)
{
	enum json_type t = json_object_get_type(a);

	switch (v->kind) {
	case AXR_VALUE_NULL:
		return t == json_type_null;
	case AXR_VALUE_BOOLEAN:
		return t == json_type_boolean && (json_object_get_boolean(a) != 0) == v->u.boolean;
	case AXR_VALUE_INTEGER:
		if (t == json_type_int)
			return json_object_get_int64(a) == v->u.integer;
		return t == json_type_double &&
		       axr__cmp_int_double(v->u.integer, json_object_get_double(a)) == 0;
	case AXR_VALUE_REAL:
		if (t == json_type_int)
			return axr__cmp_int_double(json_object_get_int64(a), v->u.real) == 0;
		return t == json_type_double && json_object_get_double(a) == v->u.real;
	case AXR_VALUE_STRING:
		return t == json_type_string &&
		       (size_t)json_object_get_string_len(a) == v->u.string.len &&
		       memcmp(json_object_get_string(a), v->u.string.ptr, v->u.string.len) == 0;
	case AXR_VALUE_ARRAY:
		if (t != json_type_array || json_object_array_length(a) != v->u.array.count)
			return false;
		for (size_t i = 0; i < v->u.array.count; i++)
			if (!axr__value_equal(json_object_array_get_idx(a, i), &v->u.array.items[i]))
				return false;
		return true;
	case AXR_VALUE_OBJECT:
		if (t != json_type_object ||
		    (size_t)json_object_object_length(a) != v->u.object.count)
			return false;
		for (size_t i = 0; i < v->u.object.count; i++) {
			json_object *m;
			if (!json_object_object_get_ex(a, v->u.object.members[i].name, &m) ||
			    !axr__value_equal(m, &v->u.object.members[i].value))
				return false;
		}
		return true;
	}
	return false;
}

/* ---- hashing, consistent with axr__json_equal */

static uint64_t axr__mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t axr__bytes_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t axr__json_hash(json_object *v)
{
	uint64_t h, bits;
	double d;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return 0x1;
	case json_type_boolean:
		return 0x2 + (json_object_get_boolean(v) != 0);
	case json_type_int:
	case json_type_double:
		/* equal numbers have equal doubles (int64 -> double rounds, but
		 * an int equal to a double is exactly that double) */
		d = json_object_get_type(v) == json_type_int ? (double)json_object_get_int64(v)
							     : json_object_get_double(v);
		if (d == 0)
			d = 0; /* -0.0 == 0.0 */
		memcpy(&bits, &d, sizeof(bits));
		return axr__mix(bits ^ 0x3);
	case json_type_string:
		return axr__mix(axr__bytes_hash(json_object_get_string(v),
						(size_t)json_object_get_string_len(v)) ^ 0x4);
	case json_type_array:
		h = 0x5;
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++)
			h = axr__mix(h * 31 + axr__json_hash(json_object_array_get_idx(v, i)));
		return h;
	case json_type_object:
		h = 0x6;
		json_object_object_foreach(v, key, val) {
			/* a sum does not depend on member order */
			h += axr__mix(axr__bytes_hash(key, strlen(key)) ^ axr__json_hash(val) * 31);
		}
		return axr__mix(h);
	}
	return 0;
}

typedef struct axr__hashed {
	uint64_t hash;
	size_t index;
} axr__hashed_t;

static int axr__hashed_cmp(const void *a, const void *b)
{
	const axr__hashed_t *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index ? 1 : 0);
}

int axr__find_duplicate(json_object *arr, axr_arena_t *arena, bool *found, size_t *first,
			size_t *second)
{
	size_t n = json_object_array_length(arr);

	*found = false;
	if (n < 16) {
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (axr__json_equal(json_object_array_get_idx(arr, i),
						    json_object_array_get_idx(arr, j))) {
					*found = true;
					*first = i;
					*second = j;
					return 0;
				}
		return 0;
	}
	axr__hashed_t *h = axr_arena_calloc(arena, n, sizeof(*h));
	if (h == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		h[i].hash = axr__json_hash(json_object_array_get_idx(arr, i));
		h[i].index = i;
	}
	qsort(h, n, sizeof(*h), axr__hashed_cmp);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && h[j].hash == h[i].hash; j++)
			if (axr__json_equal(json_object_array_get_idx(arr, h[i].index),
					    json_object_array_get_idx(arr, h[j].index))) {
				if (!*found || h[i].index < *first ||
				    (h[i].index == *first && h[j].index < *second)) {
					*first = h[i].index;
					*second = h[j].index;
				}
				*found = true;
			}
	return 0;
}

/* ---- text for messages */

char *axr__number_text(axr_arena_t *arena, const axr_number_t *n)
{
	char buf[40];
	if (n->text != NULL)
		return axr_arena_strdup(arena, n->text);
	if (n->is_int)
		return axr_arena_printf(arena, "%" PRId64, n->i);
	axr__shortest(n->d, buf, sizeof(buf));
	return axr_arena_strdup(arena, buf);
}

void axr__value_describe(const axr_value_t *v, char *buf, size_t size)
{
	size_t o = 0;

	switch (v->kind) {
	case AXR_VALUE_NULL:
		snprintf(buf, size, "null");
		return;
	case AXR_VALUE_BOOLEAN:
		snprintf(buf, size, "%s", v->u.boolean ? "true" : "false");
		return;
	case AXR_VALUE_INTEGER:
		snprintf(buf, size, "%" PRId64, v->u.integer);
		return;
	case AXR_VALUE_REAL:
		axr__shortest(v->u.real, buf, size);
		return;
	case AXR_VALUE_ARRAY:
		snprintf(buf, size, "[...]");
		return;
	case AXR_VALUE_OBJECT:
		snprintf(buf, size, "{...}");
		return;
	case AXR_VALUE_STRING:
		break;
	}
	if (size < 12) {
		snprintf(buf, size, "\"...\"");
		return;
	}
	buf[o++] = '"';
	size_t i = 0;
	for (; i < v->u.string.len; i++) {
		unsigned char c = (unsigned char)v->u.string.ptr[i];
		bool escape = c < 0x20 || c == '"' || c == '\\';
		size_t need = escape ? 6 : 1;
		if (o + need + 5 > size) /* room for "...", the quote and the NUL */
			break;
		if (escape)
			snprintf(buf + o, 7, "\\u%04x", c);
		else
			buf[o] = (char)c;
		o += need;
	}
	if (i < v->u.string.len) {
		o = 1 + axr_utf8_boundary(buf + 1, o - 1);
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	snprintf(buf + o, size - o, "\"");
}
