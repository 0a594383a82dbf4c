/* metrics.c: Prometheus metrics (text exposition format 0.0.4). */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { AXR__COUNTER, AXR__GAUGE, AXR__GAUGE_FN, AXR__HISTOGRAM };

static const double axr__buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define AXR__NBUCKETS (sizeof(axr__buckets) / sizeof(axr__buckets[0]))

#define AXR__MAX_BUCKETS 32

typedef struct axr__hist {
	double *bounds; /* upper bounds, ascending, owned; NULL = the default latency buckets */
	size_t nbounds;
	_Atomic uint64_t bucket[AXR__MAX_BUCKETS + 1]; /* last one is +Inf */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us; /* sum in microseconds, exact integer adds */
} axr__hist_t;

struct axr_metric {
	struct axr_metric *next;
	char *name;
	char *help;
	char *labels;
	int kind;
	_Atomic uint64_t value;   /* counter */
	_Atomic uint64_t gauge;   /* double bits */
	double (*fn)(void *ctx);
	void *ctx;
	axr__hist_t hist;
};

static pthread_mutex_t axr__lock = PTHREAD_MUTEX_INITIALIZER;
static axr_metric_t *axr__head;
static axr_metric_t **axr__tail = &axr__head;

/* Statuses with their own series; everything else lands in the closest
 * class bucket ("2xx" etc.) so the table stays fixed-size. */
static const int axr__statuses[] = {101, 200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 406, 408, 409,
                                    412, 413, 414, 415, 417, 422, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505};
#define AXR__NSTATUS (sizeof(axr__statuses) / sizeof(axr__statuses[0]))

typedef struct axr__route_stats {
	_Atomic uint64_t by_status[AXR__NSTATUS + 1];
	axr__hist_t latency;
} axr__route_stats_t;

static struct {
	size_t nroutes;
	char **labels;  /* route="...",method="..." per route, plus unmatched */
	axr__route_stats_t *stats;
} axr__http;

static char *axr__strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

static axr_metric_t *axr__register(const char *name, const char *help, const char *labels, int kind)
{
	axr_metric_t *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->name = axr__strdup(name);
	m->help = axr__strdup(help);
	m->labels = axr__strdup(labels ? labels : "");
	m->kind = kind;
	if (!m->name || !m->help || !m->labels) {
		free(m->name);
		free(m->help);
		free(m->labels);
		free(m);
		return NULL;
	}
	pthread_mutex_lock(&axr__lock);
	*axr__tail = m;
	axr__tail = &m->next;
	pthread_mutex_unlock(&axr__lock);
	return m;
}

axr_metric_t *axr_metrics_counter(const char *name, const char *help, const char *labels)
{
	return axr__register(name, help, labels, AXR__COUNTER);
}

axr_metric_t *axr_metrics_gauge(const char *name, const char *help, const char *labels)
{
	return axr__register(name, help, labels, AXR__GAUGE);
}

axr_metric_t *axr_metrics_gauge_fn(const char *name, const char *help, const char *labels,
                                   double (*fn)(void *ctx), void *ctx)
{
	axr_metric_t *m = axr__register(name, help, labels, AXR__GAUGE_FN);
	if (m) {
		m->fn = fn;
		m->ctx = ctx;
	}
	return m;
}

axr_metric_t *axr_metrics_histogram(const char *name, const char *help, const char *labels)
{
	return axr__register(name, help, labels, AXR__HISTOGRAM);
}

axr_metric_t *axr_metrics_histogram_buckets(const char *name, const char *help, const char *labels,
                                            const double *bounds, size_t n)
{
	if (bounds == NULL || n == 0 || n > AXR__MAX_BUCKETS)
		return NULL;
	for (size_t i = 1; i < n; i++) {
		if (!(bounds[i] > bounds[i - 1]))
			return NULL;
	}
	double *copy = malloc(n * sizeof(*copy));
	if (copy == NULL)
		return NULL;
	memcpy(copy, bounds, n * sizeof(*copy));
	axr_metric_t *m = axr__register(name, help, labels, AXR__HISTOGRAM);
	if (m == NULL) {
		free(copy);
		return NULL;
	}
	m->hist.bounds = copy;
	m->hist.nbounds = n;
	return m;
}

void axr_metrics_add(axr_metric_t *m, uint64_t n)
{
	if (m)
		atomic_fetch_add_explicit(&m->value, n, memory_order_relaxed);
}

void axr_metrics_set(axr_metric_t *m, double v)
{
	if (m == NULL)
		return;
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	atomic_store_explicit(&m->gauge, bits, memory_order_relaxed);
}

static void axr__hist_observe(axr__hist_t *h, double seconds)
{
	const double *b = h->bounds ? h->bounds : axr__buckets;
	size_t nb = h->bounds ? h->nbounds : AXR__NBUCKETS;
	size_t i = 0;
	while (i < nb && seconds > b[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	if (seconds > 0)
		atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void axr_metrics_observe(axr_metric_t *m, double seconds)
{
	if (m)
		axr__hist_observe(&m->hist, seconds);
}

int axr_metrics_http_init(size_t nroutes, const char *const *route_labels, const char *const *methods)
{
	axr__http.stats = calloc(nroutes + 1, sizeof(axr__route_stats_t));
	axr__http.labels = calloc(nroutes + 1, sizeof(char *));
	if (!axr__http.stats || !axr__http.labels)
		return -1;
	for (size_t i = 0; i <= nroutes; i++) {
		axr_buf_t b = AXR_BUF_INIT;
		const char *route = i < nroutes ? route_labels[i] : "unmatched";
		const char *method = i < nroutes ? methods[i] : "";
		axr_buf_puts(&b, "route=");
		axr_buf_json_string(&b, route, strlen(route));
		axr_buf_puts(&b, ",method=");
		axr_buf_json_string(&b, method, strlen(method));
		if (!axr_buf_ok(&b))
			return -1;
		axr__http.labels[i] = b.data;
	}
	axr__http.nroutes = nroutes;
	return 0;
}

static size_t axr__status_slot(int status)
{
	for (size_t i = 0; i < AXR__NSTATUS; i++) {
		if (axr__statuses[i] == status)
			return i;
	}
	return AXR__NSTATUS;
}

void axr_metrics_http_observe(int route, int status, double seconds)
{
	if (axr__http.stats == NULL)
		return;
	size_t r = route < 0 || (size_t)route >= axr__http.nroutes ? axr__http.nroutes : (size_t)route;
	axr__route_stats_t *s = &axr__http.stats[r];
	atomic_fetch_add_explicit(&s->by_status[axr__status_slot(status)], 1, memory_order_relaxed);
	axr__hist_observe(&s->latency, seconds);
}

static void axr__render_hist(axr_buf_t *out, const char *name, const char *labels, axr__hist_t *h)
{
	uint64_t cum = 0;
	const char *sep = *labels ? "," : "";
	const double *b = h->bounds ? h->bounds : axr__buckets;
	size_t nb = h->bounds ? h->nbounds : AXR__NBUCKETS;
	for (size_t i = 0; i <= nb; i++) {
		cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		if (i < nb)
			axr_buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, b[i],
			               (unsigned long long)cum);
		else
			axr_buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cum);
	}
	const char *open = *labels ? "{" : "", *close = *labels ? "}" : "";
	axr_buf_printf(out, "%s_sum%s%s%s %.6f\n", name, open, labels, close,
	               (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
	axr_buf_printf(out, "%s_count%s%s%s %llu\n", name, open, labels, close,
	               (unsigned long long)atomic_load_explicit(&h->count, memory_order_relaxed));
}

static void axr__render_http(axr_buf_t *out)
{
	if (axr__http.stats == NULL)
		return;
	axr_buf_puts(out, "# HELP axr_http_requests_total HTTP requests answered, by route, method and status.\n"
	                  "# TYPE axr_http_requests_total counter\n");
	for (size_t r = 0; r <= axr__http.nroutes; r++) {
		for (size_t s = 0; s <= AXR__NSTATUS; s++) {
			uint64_t n = atomic_load_explicit(&axr__http.stats[r].by_status[s], memory_order_relaxed);
			if (n == 0)
				continue;
			if (s < AXR__NSTATUS)
				axr_buf_printf(out, "axr_http_requests_total{%s,status=\"%d\"} %llu\n", axr__http.labels[r],
				               axr__statuses[s], (unsigned long long)n);
			else
				axr_buf_printf(out, "axr_http_requests_total{%s,status=\"other\"} %llu\n",
				               axr__http.labels[r], (unsigned long long)n);
		}
	}
	axr_buf_puts(out, "# HELP axr_http_request_duration_seconds Time from request head to response queued.\n"
	                  "# TYPE axr_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= axr__http.nroutes; r++) {
		if (atomic_load_explicit(&axr__http.stats[r].latency.count, memory_order_relaxed) == 0)
			continue;
		axr__render_hist(out, "axr_http_request_duration_seconds", axr__http.labels[r],
		                 &axr__http.stats[r].latency);
	}
}

static const char *axr__kind_name(int kind)
{
	switch (kind) {
	case AXR__COUNTER: return "counter";
	case AXR__HISTOGRAM: return "histogram";
	default: return "gauge";
	}
}

static void axr__render_value(axr_buf_t *out, const char *name, const char *labels, double v)
{
	if (*labels)
		axr_buf_printf(out, "%s{%s} ", name, labels);
	else
		axr_buf_printf(out, "%s ", name);
	if (isnan(v))
		axr_buf_puts(out, "NaN\n");
	else
		axr_buf_printf(out, "%.17g\n", v);
}

static void axr__render_series(axr_buf_t *out, axr_metric_t *m)
{
	switch (m->kind) {
	case AXR__COUNTER:
		axr__render_value(out, m->name, m->labels, (double)atomic_load_explicit(&m->value, memory_order_relaxed));
		break;
	case AXR__GAUGE: {
		uint64_t bits = atomic_load_explicit(&m->gauge, memory_order_relaxed);
		double v;
		memcpy(&v, &bits, sizeof(v));
		axr__render_value(out, m->name, m->labels, v);
		break;
	}
	case AXR__GAUGE_FN:
		axr__render_value(out, m->name, m->labels, m->fn(m->ctx));
		break;
	case AXR__HISTOGRAM:
		axr__render_hist(out, m->name, m->labels, &m->hist);
		break;
	}
}

void axr_metrics_render(axr_buf_t *out)
{
	axr__render_http(out);
	pthread_mutex_lock(&axr__lock);
	/* The text format wants every series of a metric together, under one
	 * HELP/TYPE: walk the names in registration order, then their series. */
	for (axr_metric_t *first = axr__head; first; first = first->next) {
		int seen = 0;
		for (axr_metric_t *p = axr__head; p != first; p = p->next) {
			if (strcmp(p->name, first->name) == 0) {
				seen = 1;
				break;
			}
		}
		if (seen)
			continue;
		axr_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", first->name, first->help, first->name,
		               axr__kind_name(first->kind));
		for (axr_metric_t *m = first; m; m = m->next) {
			if (strcmp(m->name, first->name) == 0)
				axr__render_series(out, m);
		}
	}
	pthread_mutex_unlock(&axr__lock);
}

void axr_metrics_reset(void)
{
	pthread_mutex_lock(&axr__lock);
	axr_metric_t *m = axr__head;
	while (m) {
		axr_metric_t *next = m->next;
		free(m->name);
		free(m->hist.bounds);
		free(m->help);
		free(m->labels);
		free(m);
		m = next;
	}
	axr__head = NULL;
	axr__tail = &axr__head;
	pthread_mutex_unlock(&axr__lock);
	if (axr__http.labels) {
		for (size_t i = 0; i <= axr__http.nroutes; i++)
			free(axr__http.labels[i]);
	}
	free(axr__http.labels);
	free(axr__http.stats);
	memset(&axr__http, 0, sizeof(axr__http));
}
