/* util.c: arena memory, growable arrays, buffers and hash maps for axrgen. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void axrgen_oom(axrgen_ctx_t *c)
{
	longjmp(*c->oom, 1);
}

void *axrgen_alloc(axrgen_ctx_t *c, size_t size)
{
	void *p = axr_arena_calloc(c->arena, 1, size);
	if (p == NULL)
		axrgen_oom(c);
	return p;
}

void *axrgen_alloc_array(axrgen_ctx_t *c, size_t n, size_t size)
{
	void *p = axr_arena_calloc(c->arena, n, size);
	if (p == NULL)
		axrgen_oom(c);
	return p;
}

char *axrgen_strndup(axrgen_ctx_t *c, const char *s, size_t len)
{
	char *p = axr_arena_strndup(c->arena, s, len);
	if (p == NULL)
		axrgen_oom(c);
	return p;
}

char *axrgen_strdup(axrgen_ctx_t *c, const char *s)
{
	if (s == NULL)
		return NULL;
	return axrgen_strndup(c, s, strlen(s));
}

char *axrgen_vprintf(axrgen_ctx_t *c, const char *fmt, va_list ap)
{
	char *p = axr_arena_vprintf(c->arena, fmt, ap);
	if (p == NULL)
		axrgen_oom(c);
	return p;
}

char *axrgen_printf(axrgen_ctx_t *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = axrgen_vprintf(c, fmt, ap);
	va_end(ap);
	return p;
}

void axrgen_vec_push(axrgen_ctx_t *c, axrgen_vec_t *v, void *p)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		void **items = axrgen_alloc_array(c, cap, sizeof(*items));
		if (v->n)
			memcpy(items, v->items, v->n * sizeof(*items));
		v->items = items;
		v->cap = cap;
	}
	v->items[v->n++] = p;
}

void axrgen_vec_push_unique_str(axrgen_ctx_t *c, axrgen_vec_t *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i], s) == 0)
			return;
	axrgen_vec_push(c, v, (void *)(uintptr_t)s);
}

void axrgen_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(base, n, size, cmp);
}

void axrgen_buf_add(axrgen_ctx_t *c, axrgen_buf_t *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *text = axrgen_alloc(c, cap);
		if (b->len)
			memcpy(text, b->text, b->len);
		b->text = text;
		b->cap = cap;
	}
	if (len)
		memcpy(b->text + b->len, s, len);
	b->len += len;
	b->text[b->len] = '\0';
}

void axrgen_buf_str(axrgen_ctx_t *c, axrgen_buf_t *b, const char *s)
{
	axrgen_buf_add(c, b, s, strlen(s));
}

void axrgen_buf_printf(axrgen_ctx_t *c, axrgen_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = axrgen_vprintf(c, fmt, ap);
	va_end(ap);
	axrgen_buf_str(c, b, p);
}

/* FNV-1a, 64 bit. */
static uint64_t axrgen_hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t axrgen_hash_ptr(const void *key)
{
	uint64_t h = (uint64_t)(uintptr_t)key;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static axrgen_map_entry_t *axrgen_map_find(const axrgen_map_t *m, const void *key,
					   size_t key_len, uint64_t hash)
{
	if (m->cap == 0)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		axrgen_map_entry_t *e = &m->slots[i];
		if (e->key == NULL)
			return e;
		if (e->hash != hash || e->key_len != key_len)
			continue;
		if (key_len == 0 ? e->key == key : memcmp(e->key, key, key_len) == 0)
			return e;
	}
}

static void axrgen_map_put(axrgen_ctx_t *c, axrgen_map_t *m, const void *key,
			   size_t key_len, uint64_t hash, void *value)
{
	if ((m->n + 1) * 4 > m->cap * 3) {
		axrgen_map_t bigger = { 0 };
		bigger.cap = m->cap ? m->cap * 2 : 16;
		bigger.slots = axrgen_alloc_array(c, bigger.cap, sizeof(*bigger.slots));
		for (size_t i = 0; i < m->cap; i++) {
			axrgen_map_entry_t *old = &m->slots[i];
			if (old->key == NULL)
				continue;
			*axrgen_map_find(&bigger, old->key, old->key_len, old->hash) = *old;
			bigger.n++;
		}
		*m = bigger;
	}
	axrgen_map_entry_t *e = axrgen_map_find(m, key, key_len, hash);
	if (e->key == NULL) {
		e->key = key;
		e->key_len = key_len;
		e->hash = hash;
		m->n++;
	}
	e->value = value;
}

void *axrgen_map_get_ptr(const axrgen_map_t *m, const void *key)
{
	axrgen_map_entry_t *e = axrgen_map_find(m, key, 0, axrgen_hash_ptr(key));
	return e != NULL && e->key != NULL ? e->value : NULL;
}

void axrgen_map_put_ptr(axrgen_ctx_t *c, axrgen_map_t *m, const void *key, void *value)
{
	axrgen_map_put(c, m, key, 0, axrgen_hash_ptr(key), value);
}

/* String keys are stored with their NUL so that "" has a non-zero length. */
void *axrgen_map_get_str(const axrgen_map_t *m, const char *key)
{
	size_t len = strlen(key) + 1;
	axrgen_map_entry_t *e = axrgen_map_find(m, key, len, axrgen_hash_bytes(key, len));
	return e != NULL && e->key != NULL ? e->value : NULL;
}

void axrgen_map_put_str(axrgen_ctx_t *c, axrgen_map_t *m, const char *key, void *value)
{
	size_t len = strlen(key) + 1;
	char *copy = axrgen_strndup(c, key, len - 1);
	axrgen_map_put(c, m, copy, len, axrgen_hash_bytes(key, len), value);
}
