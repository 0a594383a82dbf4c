/* metrics.h: Prometheus metrics (text exposition format 0.0.4). */
#ifndef AXR_METRICS_H
#define AXR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * One process-wide registry. Registration happens at start-up (it takes a
 * lock and allocates); updates are lock-free relaxed atomics, safe from any
 * thread. Metric names and label strings are copied.
 */

typedef struct axr_metric axr_metric_t;

/* A counter `name{labels}`; `labels` is "" or the inside of the braces, e.g.
 * `kind="publish"`. Metrics sharing a name must share help and kind.
 * Returns NULL when out of memory (updates on NULL are ignored). */
axr_metric_t *axr_metrics_counter(const char *name, const char *help, const char *labels);
/* A gauge that the caller sets. */
axr_metric_t *axr_metrics_gauge(const char *name, const char *help, const char *labels);
/* A gauge computed when scraped. */
axr_metric_t *axr_metrics_gauge_fn(const char *name, const char *help, const char *labels,
                                   double (*fn)(void *ctx), void *ctx);
/* A histogram with the default latency buckets (seconds, 0.5 ms .. 10 s). */
axr_metric_t *axr_metrics_histogram(const char *name, const char *help, const char *labels);
/* A histogram with its own upper bounds (ascending, at most 32; copied).
 * NULL on bad bounds or out of memory. */
axr_metric_t *axr_metrics_histogram_buckets(const char *name, const char *help, const char *labels,
                                            const double *bounds, size_t n);

void axr_metrics_add(axr_metric_t *m, uint64_t n);
void axr_metrics_set(axr_metric_t *m, double v);
void axr_metrics_observe(axr_metric_t *m, double seconds);

/* HTTP request metrics: one series per (route, status). Call
 * axr_metrics_http_init once with the number of routes and their labels. */
int axr_metrics_http_init(size_t nroutes, const char *const *route_labels, const char *const *methods);
/* route < 0 or >= nroutes counts as the "unmatched" route. */
void axr_metrics_http_observe(int route, int status, double seconds);

/* Renders every metric in the Prometheus text format into `out`. */
void axr_metrics_render(axr_buf_t *out);

/* Forgets every metric (tests). Not safe while other threads update. */
void axr_metrics_reset(void);

#endif
