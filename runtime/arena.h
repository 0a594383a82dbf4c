/* arena.h: per-request bump allocator. */
#ifndef AXR_ARENA_H
#define AXR_ARENA_H

#include <stdarg.h>
#include <stddef.h>

/*
 * An arena hands out memory that lives until axr_arena_reset() or
 * axr_arena_free(). Everything a request allocates comes from its arena and
 * dies with it: callers never free individual allocations.
 *
 * An arena is not thread-safe; one request is served by one thread at a time.
 */
typedef struct axr_arena axr_arena_t;

/* Creates an arena whose first block holds `first_block` bytes (0 picks a
 * default of 8 KiB). Returns NULL when out of memory. Free with
 * axr_arena_free(). */
axr_arena_t *axr_arena_new(size_t first_block);

/* Frees the arena and everything allocated from it. NULL is a no-op. */
void axr_arena_free(axr_arena_t *a);

/* Releases every allocation but keeps the first block for reuse. */
void axr_arena_reset(axr_arena_t *a);

/* Returns `size` bytes aligned for any type, or NULL when out of memory.
 * The memory is not initialised. */
void *axr_arena_alloc(axr_arena_t *a, size_t size);

/* Like axr_arena_alloc(), zero-filled; checks nmemb * size for overflow. */
void *axr_arena_calloc(axr_arena_t *a, size_t nmemb, size_t size);

/* Copies `len` bytes of `s` and a terminating NUL. NULL on out of memory. */
char *axr_arena_strndup(axr_arena_t *a, const char *s, size_t len);

/* Copies the NUL-terminated string `s`. NULL on out of memory or s == NULL. */
char *axr_arena_strdup(axr_arena_t *a, const char *s);

/* printf into the arena. NULL on out of memory or format error. */
char *axr_arena_printf(axr_arena_t *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *axr_arena_vprintf(axr_arena_t *a, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Total bytes currently reserved by the arena's blocks (for metrics). */
size_t axr_arena_reserved(const axr_arena_t *a);

#endif
