/* pool.h: the bounded worker pool that runs handlers synchronously. */
#ifndef AXR_POOL_H
#define AXR_POOL_H

#include <stddef.h>

typedef struct axr_request axr_request_t;

/* A worker thread's own resources. Services reach theirs through
 * req->worker; every worker has its own connections, never shared. */
typedef struct axr_worker {
	int id;
	void *db;      /* axr_db_t *, when the service has a database */
	void *redis;   /* axr_redis_t *, when the service has redis */
	void *user;    /* the service's own per-worker state */
} axr_worker_t;

typedef struct axr_pool axr_pool_t;

typedef struct axr_pool_hooks {
	void (*init)(axr_worker_t *w, void *ctx); /* on the worker thread, before any job */
	void (*fini)(axr_worker_t *w, void *ctx); /* on the worker thread, at shutdown */
	void (*run)(axr_request_t *req, void *ctx); /* runs one job */
	void *ctx;
} axr_pool_hooks_t;

/* Starts `nworkers` threads with a queue of at most `queue_max` waiting jobs.
 * Returns NULL on failure (threads already started are stopped). */
axr_pool_t *axr_pool_new(int nworkers, size_t queue_max, const axr_pool_hooks_t *hooks);

/* Queues a job. Returns 0, or AXR_EBUSY when the queue is full or the pool
 * is stopping (the caller answers 503; the job is not run). Thread-safe. */
int axr_pool_submit(axr_pool_t *p, axr_request_t *req);

/* Jobs waiting plus jobs running. */
size_t axr_pool_depth(axr_pool_t *p);
size_t axr_pool_queued(axr_pool_t *p);

/* Lets queued jobs finish, stops and joins the workers, frees the pool. */
void axr_pool_free(axr_pool_t *p);

#endif
