/* log.h: structured logging as JSON lines on stderr. */
#ifndef AXR_LOG_H
#define AXR_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum axr_log_level { AXR_LOG_DEBUG, AXR_LOG_INFO, AXR_LOG_WARN, AXR_LOG_ERROR, AXR_LOG_OFF };

/* Sets the service name stamped on every line and the minimum level.
 * Call once at start-up, before threads start. `service` must outlive the
 * process (a string literal or config value). */
void axr_log_init(const char *service, int level);

/* Parses "debug|info|warn|error|off"; returns the level or AXR_EINVAL. */
int axr_log_level_parse(const char *s);

/* 1 when lines of `level` are written. */
int axr_log_enabled(int level);

/*
 * Writes one line: {"time":..,"level":..,"service":..,"msg":..}. The message
 * is printf-formatted and JSON-escaped. Each line is written with a single
 * write(2), so lines from several threads never interleave.
 */
void axr_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The access-log line of one request. */
typedef struct axr_log_request {
	const char *request_id;
	const char *method;
	const char *route;  /* path template, or the raw path when unrouted */
	int status;
	double duration_ms;
	const char *user;   /* caller's uid, NULL when anonymous */
	const char *error;  /* internal reason for a failure, NULL if none */
} axr_log_request_t;

void axr_log_request(const axr_log_request_t *r);

#define axr_log_debug(...) axr_log(AXR_LOG_DEBUG, __VA_ARGS__)
#define axr_log_info(...) axr_log(AXR_LOG_INFO, __VA_ARGS__)
#define axr_log_warn(...) axr_log(AXR_LOG_WARN, __VA_ARGS__)
#define axr_log_error(...) axr_log(AXR_LOG_ERROR, __VA_ARGS__)

#endif
