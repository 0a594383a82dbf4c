/* err.h: the error vocabulary of libaxr. */
#ifndef AXR_ERR_H
#define AXR_ERR_H

/*
 * Every libaxr function that can fail returns 0 or one of these negative
 * codes. One X-macro list gives the enum, the names and the messages, so they
 * never drift apart. The HTTP status next to each code is what the runtime
 * answers when the code reaches a client.
 *
 *   X(NAME, value, http_status, "message")
 */
#define AXR_ERR_LIST(X)                                                        \
	X(NOMEM, -1, 503, "out of memory")                                         \
	X(INVAL, -2, 400, "invalid argument")                                      \
	X(IO, -3, 500, "input/output error")                                       \
	X(RANGE, -4, 400, "value out of range")                                    \
	X(PARSE, -5, 400, "malformed input")                                       \
	X(TOOBIG, -6, 413, "input too large")                                      \
	X(NOTFOUND, -7, 404, "not found")                                          \
	X(EXISTS, -8, 409, "already exists")                                       \
	X(CONFLICT, -9, 409, "conflict")                                           \
	X(UNAUTHORIZED, -10, 401, "authentication required")                       \
	X(FORBIDDEN, -11, 403, "forbidden")                                        \
	X(UNAVAILABLE, -12, 503, "service unavailable")                            \
	X(TIMEOUT, -13, 503, "timed out")                                          \
	X(BUSY, -14, 503, "server busy")                                           \
	X(TOOMANY, -15, 429, "too many requests")                                  \
	X(VALIDATION, -16, 400, "validation failed")                               \
	X(UNSUPPORTED, -17, 415, "unsupported")                                    \
	X(NOTACCEPTABLE, -18, 406, "not acceptable")                               \
	X(METHOD, -19, 405, "method not allowed")                                  \
	X(PRECONDITION, -20, 412, "precondition failed")                           \
	X(UNPROCESSABLE, -21, 422, "unprocessable entity")                         \
	X(NOTIMPL, -22, 501, "not implemented")                                    \
	X(INTERNAL, -23, 500, "internal error")                                    \
	X(CONFIG, -24, 500, "configuration error")                                 \
	X(CLOSED, -25, 503, "connection closed")                                   \
	X(AGAIN, -26, 503, "try again")

typedef enum axr_err {
	AXR_OK = 0,
#define AXR__ERR_ENUM(name, value, status, msg) AXR_E##name = (value),
	AXR_ERR_LIST(AXR__ERR_ENUM)
#undef AXR__ERR_ENUM
} axr_err_t;

/* Returns a static, human-readable message for `err` (never NULL; unknown
 * codes give "unknown error"). */
const char *axr_strerror(int err);

/* Returns the code's name without prefix, e.g. "NOTFOUND", for the `code`
 * field of error bodies (static string; "UNKNOWN" for unknown codes). */
const char *axr_errname(int err);

/* Returns the HTTP status a client sees for `err` (500 for unknown codes). */
int axr_err_http_status(int err);

#endif
