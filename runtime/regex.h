/* regex.h: JSON-Schema patterns (ECMA-262 syntax) run by PCRE2, compiled once. */
#ifndef AXR_REGEX_H
#define AXR_REGEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A pattern slot. Schema tables are `static const`, so they point at a
 * mutable slot that caches the compiled pattern:
 *
 *     static axr_regex_t user_name_re = AXR_REGEX_INIT("^[a-z][a-z0-9_]*$");
 *     ... .pattern = &user_name_re, ...
 *
 * or, inline in a designated initializer, `.pattern = AXR_REGEX("^[a-z]+$")`
 * (a file-scope compound literal, which has static storage).
 *
 * The pattern is compiled (and JIT-compiled when the CPU allows) on first use
 * and published with an atomic compare-and-swap, so any number of threads may
 * match through the same slot; axr_schema_prepare() compiles every slot of a
 * schema up front and reports bad patterns at startup instead.
 *
 * Dialect: the source is translated from ECMA-262 (with the u flag) to PCRE2
 * (UTF mode, no UCP). See docs/validation.md for the exact differences.
 */
typedef struct axr_regex {
	const char *source;       /* the pattern as written in the schema */
	_Atomic(void *) compiled; /* internal: the compiled pattern, or NULL */
} axr_regex_t;

#define AXR_REGEX_INIT(src) { .source = (src) }
#define AXR_REGEX(src) (&(axr_regex_t)AXR_REGEX_INIT(src))

/* Compiles re->source unless that was done already. Thread-safe. Returns 0,
 * AXR_EINVAL when the pattern is invalid (errbuf, if not NULL, receives
 * "offset N: reason") or AXR_ENOMEM. */
int axr_regex_prepare(axr_regex_t *re, char *errbuf, size_t size);

/*
 * Searches `len` bytes of `subject` for the pattern (unanchored, like
 * ECMA-262 RegExp.prototype.test), compiling it first if needed.
 * Thread-safe; allocates nothing after the first call on a thread.
 * Returns 0 and sets *matched, or: AXR_EINVAL (bad pattern, or subject is
 * not valid UTF-8), AXR_ERANGE (the match/backtracking limit was hit: the
 * subject is hostile or the pattern too complex), AXR_ENOMEM.
 */
int axr_regex_match(axr_regex_t *re, const char *subject, size_t len, bool *matched);

/* Frees the compiled pattern of a slot whose storage is about to go away
 * (slots built at run time, e.g. by axr_schema_doc_free()). Not for slots
 * other threads may still be using. */
void axr_regex_release(axr_regex_t *re);

/* Checks that `source` (NUL-terminated) is a pattern we can compile; for
 * format "regex" and for generators. Returns 0, AXR_EINVAL (errbuf gets the
 * reason) or AXR_ENOMEM. */
int axr_regex_check(const char *source, char *errbuf, size_t size);

/* Frees the calling thread's match scratch (also freed automatically when a
 * thread exits); call before exit() in the main thread to keep leak checkers
 * quiet. */
void axr_regex_thread_cleanup(void);

#endif
