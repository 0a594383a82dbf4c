/* log.c: structured logging as JSON lines on stderr. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"

static const char *axr__log_service = "axr";
static int axr__log_level = AXR_LOG_INFO;
static const char *const axr__level_names[] = {"debug", "info", "warn", "error", "off"};

void axr_log_init(const char *service, int level)
{
	if (service != NULL)
		axr__log_service = service;
	axr__log_level = level;
}

int axr_log_level_parse(const char *s)
{
	for (int i = AXR_LOG_DEBUG; i <= AXR_LOG_OFF; i++) {
		if (strcmp(s, axr__level_names[i]) == 0)
			return i;
	}
	return AXR_EINVAL;
}

int axr_log_enabled(int level)
{
	return level >= axr__log_level && level < AXR_LOG_OFF;
}

static void axr__log_begin(axr_buf_t *b, int level)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	axr_buf_printf(b, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"service\":",
	               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	               (long)(tv.tv_usec / 1000), axr__level_names[level]);
	axr_buf_json_string(b, axr__log_service, strlen(axr__log_service));
}

static void axr__log_end(axr_buf_t *b)
{
	axr_buf_puts(b, "}\n");
	if (axr_buf_ok(b)) {
		ssize_t n = write(STDERR_FILENO, b->data, b->len);
		(void)n;
	}
	axr_buf_free(b);
}

void axr_log(int level, const char *fmt, ...)
{
	if (!axr_log_enabled(level))
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	axr_buf_t b = AXR_BUF_INIT;
	axr__log_begin(&b, level);
	axr_buf_puts(&b, ",\"msg\":");
	axr_buf_json_string(&b, msg, (size_t)n);
	axr__log_end(&b);
}

static void axr__field(axr_buf_t *b, const char *name, const char *value)
{
	if (value == NULL)
		return;
	axr_buf_printf(b, ",\"%s\":", name);
	axr_buf_json_string(b, value, strlen(value));
}

void axr_log_request(const axr_log_request_t *r)
{
	int level = r->status >= 500 ? AXR_LOG_WARN : AXR_LOG_INFO;
	if (!axr_log_enabled(level))
		return;
	axr_buf_t b = AXR_BUF_INIT;
	axr__log_begin(&b, level);
	axr_buf_puts(&b, ",\"msg\":\"request\"");
	axr__field(&b, "requestId", r->request_id);
	axr__field(&b, "method", r->method);
	axr__field(&b, "route", r->route);
	axr_buf_printf(&b, ",\"status\":%d,\"durationMs\":%.3f", r->status, r->duration_ms);
	axr__field(&b, "user", r->user);
	axr__field(&b, "error", r->error);
	axr__log_end(&b);
}
