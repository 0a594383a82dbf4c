/* map.c: a small chained hash map from byte-string keys to pointers (topics per thread, presence counts). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "notification.h"

struct notif_map_entry {
	notif_map_entry_t *next;
	uint64_t hash;
	void *value;
	size_t len;
	char key[]; /* len bytes, NUL-terminated */
};

static uint64_t notif_map_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Rehashes into `nbuckets` (a power of two). 0 or AXR_ENOMEM (map unchanged). */
static int notif_map_resize(notif_map_t *m, size_t nbuckets)
{
	notif_map_entry_t **b = calloc(nbuckets, sizeof *b);
	if (b == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < m->nbuckets; i++) {
		notif_map_entry_t *e = m->buckets[i];
		while (e) {
			notif_map_entry_t *next = e->next;
			size_t at = e->hash & (nbuckets - 1);
			e->next = b[at];
			b[at] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = nbuckets;
	return 0;
}

static notif_map_entry_t **notif_map_find(const notif_map_t *m, const char *key, size_t len, uint64_t h)
{
	if (m->nbuckets == 0)
		return NULL;
	notif_map_entry_t **p = &m->buckets[h & (m->nbuckets - 1)];
	for (; *p; p = &(*p)->next)
		if ((*p)->hash == h && (*p)->len == len && memcmp((*p)->key, key, len) == 0)
			return p;
	return NULL;
}

void *notif_map_get(const notif_map_t *m, const char *key, size_t len)
{
	notif_map_entry_t **p = notif_map_find(m, key, len, notif_map_hash(key, len));
	return p ? (*p)->value : NULL;
}

int notif_map_put(notif_map_t *m, const char *key, size_t len, void *value)
{
	uint64_t h = notif_map_hash(key, len);
	notif_map_entry_t **p = notif_map_find(m, key, len, h);
	if (p) {
		(*p)->value = value;
		return 0;
	}
	if (m->count >= m->nbuckets && notif_map_resize(m, m->nbuckets ? m->nbuckets * 2 : 16) != 0)
		return AXR_ENOMEM;
	notif_map_entry_t *e = malloc(sizeof *e + len + 1);
	if (e == NULL)
		return AXR_ENOMEM;
	e->hash = h;
	e->value = value;
	e->len = len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	size_t at = h & (m->nbuckets - 1);
	e->next = m->buckets[at];
	m->buckets[at] = e;
	m->count++;
	return 0;
}

void *notif_map_remove(notif_map_t *m, const char *key, size_t len)
{
	notif_map_entry_t **p = notif_map_find(m, key, len, notif_map_hash(key, len));
	if (p == NULL)
		return NULL;
	notif_map_entry_t *e = *p;
	void *value = e->value;
	*p = e->next;
	free(e);
	m->count--;
	/* Give memory back after a crowd left (a failed shrink keeps the table). */
	if (m->nbuckets > 16 && m->count < m->nbuckets / 8)
		notif_map_resize(m, m->nbuckets / 4);
	return value;
}

void notif_map_each(const notif_map_t *m, void (*fn)(const char *key, size_t len, void *value, void *ctx),
                    void *ctx)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		for (notif_map_entry_t *e = m->buckets[i]; e; e = e->next)
			fn(e->key, e->len, e->value, ctx);
}

void notif_map_clear(notif_map_t *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		notif_map_entry_t *e = m->buckets[i];
		while (e) {
			notif_map_entry_t *next = e->next;
			free(e);
			e = next;
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof *m);
}
