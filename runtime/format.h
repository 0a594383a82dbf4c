/* format.h: the "format" keyword (uuid, date-time, email, ipv6, ...). */
#ifndef AXR_FORMAT_H
#define AXR_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Formats we check. Unknown format names map to AXR_FORMAT_NONE and are
 * ignored, as JSON Schema and OpenAPI require. String formats apply to
 * strings only and numeric ones to numbers only; any other type passes.
 */
typedef enum axr_format {
	AXR_FORMAT_NONE = 0,  /* absent or unknown: not checked */
	AXR_FORMAT_UUID,      /* 8-4-4-4-12 hex digits, any case */
	AXR_FORMAT_DATE_TIME, /* RFC 3339 date-time, leap second only at 23:59 UTC */
	AXR_FORMAT_DATE,      /* RFC 3339 full-date */
	AXR_FORMAT_TIME,      /* RFC 3339 full-time (with offset) */
	AXR_FORMAT_EMAIL,     /* RFC 5321 Mailbox: dot-atom or quoted local part */
	AXR_FORMAT_HOSTNAME,  /* RFC 1123 host name, labels of at most 63 */
	AXR_FORMAT_URI,       /* RFC 3986 URI (absolute, with scheme) */
	AXR_FORMAT_IPV4,      /* dotted quad, no leading zeros */
	AXR_FORMAT_IPV6,      /* RFC 4291 text form, no zone id */
	AXR_FORMAT_BYTE,      /* OpenAPI: base64 (RFC 4648, padded) */
	AXR_FORMAT_REGEX,     /* a pattern axr_regex_check() accepts */
	AXR_FORMAT_INT32,     /* OpenAPI: integer within int32 */
	AXR_FORMAT_INT64,     /* OpenAPI: integer within int64 */
	AXR_FORMAT_FLOAT,     /* OpenAPI: number within float range */
	AXR_FORMAT_DOUBLE,    /* OpenAPI: any number (nothing to check) */
} axr_format_t;

/* Maps a format name ("date-time") to its value; AXR_FORMAT_NONE when the
 * name is unknown or NULL. */
axr_format_t axr_format_from_name(const char *name);

/* The format's name ("date-time"); "" for AXR_FORMAT_NONE. Static string. */
const char *axr_format_name(axr_format_t format);

/* True when `format` constrains strings (as opposed to numbers or nothing). */
bool axr_format_is_string(axr_format_t format);

/* Checks `len` bytes of `s` against a string format. True when valid, when
 * the format is not a string format, or when it is AXR_FORMAT_NONE. */
bool axr_format_check(axr_format_t format, const char *s, size_t len);

#endif
