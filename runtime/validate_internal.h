/* validate_internal.h: JSON value helpers shared by the validator files. */
#ifndef AXR_VALIDATE_INTERNAL_H
#define AXR_VALIDATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json_object.h>
#include <json-c/linkhash.h> /* json_object_object_foreach */

#include "arena.h"
#include "schema.h"
#include "validate.h"

/* JSON Schema equality: numbers compare mathematically (1 == 1.0, int64
 * exactly), objects ignore member order. */
bool axr__json_equal(json_object *a, json_object *b);

/* The same between a json-c value and a table value (enum, const). */
bool axr__value_equal(json_object *a, const axr_value_t *v);

/* Finds two equal elements of the array `arr` in O(n log n) (hashing, with
 * scratch in `arena`). Returns 0 and sets *found (and *first < *second when
 * found), or AXR_ENOMEM. */
int axr__find_duplicate(json_object *arr, axr_arena_t *arena, bool *found, size_t *first,
			size_t *second);

/* Compares the number `v` (json_type_int or a finite json_type_double) with
 * `n` exactly: <0, 0, >0. */
int axr__number_cmp(json_object *v, const axr_number_t *n);

/* True when `v` is an integer multiple of `m` (> 0): exact for integers and
 * for decimal literals of up to 19 significant digits, relative tolerance
 * otherwise. */
bool axr__multiple_of(json_object *v, const axr_number_t *m);

/* True when the double `v` is an integer literal beyond int64 that
 * axr_json_parse() kept only because of AXR_JSON_BIGNUM. */
bool axr__is_big_integer(json_object *v);

/* Short text of a number / table value for messages (arena; NULL on OOM). */
char *axr__number_text(axr_arena_t *arena, const axr_number_t *n);
void axr__value_describe(const axr_value_t *v, char *buf, size_t size);

/* The declared property `name` of `s` (binary search), or NULL. */
const axr_property_t *axr__find_property(const axr_schema_t *s, const char *name);

/* "string or null" for AXR_TYPE_STRING | AXR_TYPE_NULL. */
void axr__types_text(uint32_t types, char *buf, size_t size);

/* axr_validate() in request mode with every path under `prefix`. */
int axr__validate_prefixed(const axr_schema_t *schema, json_object *value, const char *prefix,
			   axr_verrors_t *errs);

#endif
