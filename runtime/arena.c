/* arena.c: per-request bump allocator. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AXR__ARENA_ALIGN 16
#define AXR__ARENA_DEFAULT 8192

typedef struct axr__block {
	struct axr__block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	_Alignas(AXR__ARENA_ALIGN) unsigned char data[];
} axr__block_t;

struct axr_arena {
	axr__block_t *head;  /* current block, newest first */
	axr__block_t *first; /* kept across resets */
	size_t reserved;
};

static axr__block_t *axr__block_new(size_t size)
{
	axr__block_t *b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

axr_arena_t *axr_arena_new(size_t first_block)
{
	axr_arena_t *a = malloc(sizeof(*a));
	if (a == NULL)
		return NULL;
	if (first_block == 0)
		first_block = AXR__ARENA_DEFAULT;
	a->first = axr__block_new(first_block);
	if (a->first == NULL) {
		free(a);
		return NULL;
	}
	a->head = a->first;
	a->reserved = first_block;
	return a;
}

static void axr__free_until(axr__block_t *b, const axr__block_t *stop)
{
	while (b != NULL && b != stop) {
		axr__block_t *next = b->next;
		free(b);
		b = next;
	}
}

void axr_arena_free(axr_arena_t *a)
{
	if (a == NULL)
		return;
	axr__free_until(a->head, NULL);
	free(a);
}

void axr_arena_reset(axr_arena_t *a)
{
	axr__free_until(a->head, a->first);
	a->first->next = NULL;
	a->first->used = 0;
	a->head = a->first;
	a->reserved = a->first->size;
}

void *axr_arena_alloc(axr_arena_t *a, size_t size)
{
	axr__block_t *b = a->head;
	size_t off = (b->used + AXR__ARENA_ALIGN - 1) & ~(size_t)(AXR__ARENA_ALIGN - 1);

	if (size == 0)
		size = 1;
	if (off <= b->size && size <= b->size - off) {
		b->used = off + size;
		return b->data + off;
	}
	if (size > SIZE_MAX / 2)
		return NULL;
	size_t want = b->size * 2;
	if (want < size)
		want = size;
	axr__block_t *nb = axr__block_new(want);
	if (nb == NULL)
		return NULL;
	nb->next = a->head;
	nb->used = size;
	a->head = nb;
	a->reserved += want;
	return nb->data;
}

void *axr_arena_calloc(axr_arena_t *a, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	void *p = axr_arena_alloc(a, nmemb * size);
	if (p != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

char *axr_arena_strndup(axr_arena_t *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = axr_arena_alloc(a, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *axr_arena_strdup(axr_arena_t *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return axr_arena_strndup(a, s, strlen(s));
}

char *axr_arena_vprintf(axr_arena_t *a, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return NULL;
	char *p = axr_arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *axr_arena_printf(axr_arena_t *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = axr_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

size_t axr_arena_reserved(const axr_arena_t *a)
{
	return a->reserved;
}
