/* lockfile.h: spec/<svc>.lock, the stable protobuf field numbers of a service. */
#ifndef AXR_AXRGEN_LOCKFILE_H
#define AXR_AXRGEN_LOCKFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "model.h"

/*
 * The lock file is a small sorted text file committed beside the spec:
 *
 *     # comment lines and blank lines are ignored
 *     Item.name = 1
 *     Item.quantity = 2
 *     retired Item.color = 3
 *
 * one line per field of every schema message, sorted by message and number.
 * A field keeps its number for as long as it exists; a new field gets the
 * next number after every number the message ever used (retired ones too,
 * skipping protobuf's reserved 19000-19999); a field that disappears is
 * retired and its number is never given out again (the .proto declares it
 * `reserved`). `x-protobuf-index: N` on a property forces its number; it
 * may not take a number another field holds or held.
 */

typedef struct axrgen_lock_entry {
	const char *message;
	const char *field;
	uint32_t number;
	bool retired;
} axrgen_lock_entry_t;

typedef struct axrgen_lock {
	axr_arena_t *arena; /* borrowed: entries and strings live there */
	axrgen_lock_entry_t *entries;
	size_t n, cap;
	bool changed; /* an assignment changed the contents */
} axrgen_lock_t;

/* A field of one message, in the message's (written) order. */
typedef struct axrgen_lock_field {
	const char *name;
	uint32_t override; /* x-protobuf-index, 0 = none */
	axrgen_pos_t pos;  /* for error messages */
	uint32_t number;   /* out */
} axrgen_lock_field_t;

/* Problems are reported through this callback (an error at `pos`). */
typedef void (*axrgen_lock_error_fn)(void *ctx, axrgen_pos_t pos, const char *message);

#define AXRGEN_LOCK_MAX_FIELD 536870911u /* 2^29 - 1, protobuf's largest */

/* An empty lock whose memory comes from `a`. */
void axrgen_lock_init(axrgen_lock_t *lock, axr_arena_t *a);

/*
 * Parses `len` bytes of lock text into `lock` (initialised). Returns 0;
 * AXR_EPARSE when a line is malformed or repeats a message's field or
 * number: *err_line (1-based) and *err_msg (static or arena text) say
 * which; AXR_ENOMEM.
 */
int axrgen_lock_parse(axrgen_lock_t *lock, const char *text, size_t len, uint32_t *err_line,
		      const char **err_msg);

/*
 * Numbers the fields of `message` (see above) and records the result in
 * the lock. Conflicting x-protobuf-index values are reported through
 * `err` and those fields get number 0. Retired numbers of the message are
 * returned in *retired (sorted, arena memory; may be NULL when none).
 * Returns 0 or AXR_ENOMEM.
 */
int axrgen_lock_assign(axrgen_lock_t *lock, const char *message, axrgen_lock_field_t *fields,
		       size_t n, uint32_t **retired, size_t *n_retired, axrgen_lock_error_fn err,
		       void *ctx);

/* Retires every field of the messages not named in `live[0..n)` (sorted
 * with strcmp): their schemas are gone. Returns 0 or AXR_ENOMEM. */
int axrgen_lock_retire_others(axrgen_lock_t *lock, const char *const *live, size_t n);

/* The lock as text (sorted; `title` names it in the header comment), in
 * `a`. NULL when out of memory. */
char *axrgen_lock_format(const axrgen_lock_t *lock, const char *title, axr_arena_t *a);

#endif
