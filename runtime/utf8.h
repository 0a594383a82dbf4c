/* utf8.h: incremental UTF-8 validator (table-driven DFA, RFC 3629). */
#ifndef AXR_UTF8_H
#define AXR_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Validates UTF-8 as defined by RFC 3629: no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no stray continuation
 * bytes. Input may arrive in any number of pieces split at any byte: the
 * validator carries a partial sequence from one piece to the next, so a
 * websocket text message can be checked fragment by fragment as it arrives
 * and rejected at the first bad byte.
 *
 * The state is one byte and needs no cleanup. Usage:
 *
 *     axr_utf8_t v;
 *     axr_utf8_init(&v);
 *     if (axr_utf8_feed(&v, a, alen) < 0) ... invalid, stop
 *     if (axr_utf8_feed(&v, b, blen) < 0) ... invalid, stop
 *     if (axr_utf8_finish(&v) < 0)        ... input ended mid-sequence
 */
typedef struct axr_utf8 {
	uint8_t state; /* internal: 0 = at a character boundary */
} axr_utf8_t;

/* Starts a new validation (at a character boundary, nothing seen yet). */
void axr_utf8_init(axr_utf8_t *v);

/* Checks the next `len` bytes. Returns 0 while the input seen so far is a
 * valid UTF-8 prefix (possibly ending inside a character), AXR_EPARSE as
 * soon as it cannot be: the error is sticky, later calls return it too.
 * `data` may be NULL when `len` is 0. */
int axr_utf8_feed(axr_utf8_t *v, const void *data, size_t len);

/* Returns 0 when everything fed so far is complete, valid UTF-8 (the input
 * ended on a character boundary), else AXR_EPARSE. Does not change `v`. */
int axr_utf8_finish(const axr_utf8_t *v);

/* Returns 1 when the input so far ended inside a multi-byte character (a
 * following piece may still complete it), 0 otherwise. */
int axr_utf8_incomplete(const axr_utf8_t *v);

/* One-shot: returns 0 when the `len` bytes at `data` are complete, valid
 * UTF-8, else AXR_EPARSE. */
int axr_utf8_validate(const void *data, size_t len);

/* Returns the largest n <= len such that data[0..n) does not end inside a
 * multi-byte character, assuming data is valid UTF-8 (used to truncate a
 * string without splitting a character). */
size_t axr_utf8_boundary(const void *data, size_t len);

#endif
