/* pool.c: the bounded worker pool that runs handlers synchronously. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "err.h"
#include "request.h"

struct axr_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	axr_request_t **ring;
	size_t cap, head, count, running;
	int stopping;
	int nworkers;
	pthread_t *threads;
	axr_worker_t *workers;
	axr_pool_hooks_t hooks;
};

static void *axr__worker_main(void *arg)
{
	axr_worker_t *w = arg;
	axr_pool_t *p = w->user;
	w->user = NULL;
	if (p->hooks.init)
		p->hooks.init(w, p->hooks.ctx);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->count == 0 && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->count == 0 && p->stopping)
			break;
		axr_request_t *req = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		req->worker = w;
		p->hooks.run(req, p->hooks.ctx);
		pthread_mutex_lock(&p->lock);
		p->running--;
	}
	pthread_mutex_unlock(&p->lock);
	if (p->hooks.fini)
		p->hooks.fini(w, p->hooks.ctx);
	return NULL;
}

axr_pool_t *axr_pool_new(int nworkers, size_t queue_max, const axr_pool_hooks_t *hooks)
{
	axr_pool_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->cap = queue_max;
	p->hooks = *hooks;
	p->ring = calloc(queue_max, sizeof(*p->ring));
	p->threads = calloc((size_t)nworkers, sizeof(*p->threads));
	p->workers = calloc((size_t)nworkers, sizeof(*p->workers));
	if (!p->ring || !p->threads || !p->workers) {
		free(p->ring);
		free(p->threads);
		free(p->workers);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	for (int i = 0; i < nworkers; i++) {
		p->workers[i].id = i;
		p->workers[i].user = p;
		if (pthread_create(&p->threads[i], NULL, axr__worker_main, &p->workers[i]) != 0) {
			p->nworkers = i;
			axr_pool_free(p);
			return NULL;
		}
		p->nworkers = i + 1;
	}
	return p;
}

int axr_pool_submit(axr_pool_t *p, axr_request_t *req)
{
	pthread_mutex_lock(&p->lock);
	if (p->stopping || p->count == p->cap) {
		pthread_mutex_unlock(&p->lock);
		return AXR_EBUSY;
	}
	p->ring[(p->head + p->count) % p->cap] = req;
	p->count++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

size_t axr_pool_depth(axr_pool_t *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->count + p->running;
	pthread_mutex_unlock(&p->lock);
	return n;
}

size_t axr_pool_queued(axr_pool_t *p)
{
	pthread_mutex_lock(&p->lock);
	size_t n = p->count;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void axr_pool_free(axr_pool_t *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nworkers; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->ring);
	free(p->threads);
	free(p->workers);
	free(p);
}
