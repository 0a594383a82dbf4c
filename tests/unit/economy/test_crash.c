/* test_crash.c: connections killed mid-transaction while transfers run; retrying with the same key keeps every invariant and every first answer. */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "economy_fixture.h"
#include "log.h"

enum { OWNERS = 20, START = 1000, THREADS = 8, OPS = 150, ATTEMPTS = 50, MAX_KILLS = 150 };

static int group_setup(void **state)
{
	(void)state;
	axr_log_init("test_crash", AXR_LOG_ERROR); /* every kill would log a reconnect */
	return econ_suite_setup("economy_crash");
}

typedef struct answer_rec {
	char key[40];
	char uid[ECONOMY_UID_SIZE];
	int status;
} answer_rec_t;

typedef struct crash_worker {
	pthread_t thread;
	const char *url, *coin;
	char (*owners)[ECONOMY_UID_SIZE];
	int index;
	uint64_t rng;
	answer_rec_t answers[OPS];
	int n_answers, interrupted, replayed, gave_up;
	char first_error[160];
} crash_worker_t;

static atomic_bool stop_killing;
static atomic_int kills;

/* Terminates a random busy backend of our database every ~20 ms, MAX_KILLS
 * times: what a crashed service or a dropped connection looks like to
 * PostgreSQL (its open transaction is rolled back; the client cannot know
 * whether a COMMIT in flight took effect). */
static void *killer(void *p)
{
	const char *url = p;
	axr_db_t *kdb = NULL;
	axr_db_result_t *r = NULL;
	if (axr_db_new(url, NULL, &kdb) != 0)
		return NULL;
	while (!atomic_load(&stop_killing) && atomic_load(&kills) < MAX_KILLS) {
		if (axr_db_exec(kdb, NULL,
		                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM (SELECT pid FROM"
		                " pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
		                " AND state <> 'idle' ORDER BY random() LIMIT 1) x",
		                0, NULL, NULL, NULL, &r) == 0) {
			int64_t n = 0;
			axr_db_result_int64(r, 0, 0, &n);
			atomic_fetch_add(&kills, (int)n);
		}
		axr_db_result_free(r);
		r = NULL;
		axr_test_sleep_ms(20);
	}
	axr_db_free(kdb);
	return NULL;
}

static uint64_t crash_rand(crash_worker_t *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

/* Admin transfers with a key each; an unknown outcome (the connection broke)
 * is retried with the same key until a definite answer. */
static void *crash_run(void *p)
{
	crash_worker_t *w = p;
	axr_db_t *mydb = NULL;
	axr_arena_t *a = axr_arena_new(0);
	axr_db_options_t opt;
	axr_db_options_init(&opt);
	opt.backoff_min_ms = 5;
	opt.backoff_max_ms = 20;
	if (axr_db_new(w->url, &opt, &mydb) != 0)
		w->gave_up = OPS;
	for (int op = 0; op < OPS && mydb != NULL; op++) {
		uint64_t r = crash_rand(w);
		int from = (int)(r % OWNERS), to = (int)((r >> 8) % (OWNERS - 1));
		to += to >= from; /* never equal */
		economy_line_t line = {.resource_uid = w->coin, .quantity = (int64_t)((r >> 16) % 400) + 1};
		answer_rec_t *rec = &w->answers[w->n_answers];
		snprintf(rec->key, sizeof rec->key, "crash-%d-%d", w->index, op);
		economy_create_t in = {.from = w->owners[from], .to = w->owners[to], .lines = &line, .n_lines = 1,
		                       .idempotency_key = rec->key,
		                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
		economy_answer_t ans;
		int rc = AXR_EUNAVAILABLE, attempt = 0;
		for (; attempt < ATTEMPTS; attempt++) {
			rc = economy_tx_create(mydb, a, &admin, &in, &ans);
			if (rc != AXR_EUNAVAILABLE && rc != AXR_ETIMEOUT && rc != AXR_EAGAIN)
				break;
			axr_test_sleep_ms(2 + attempt);
		}
		w->interrupted += attempt > 0;
		w->replayed += attempt > 0 && rc == 0 && ans.replayed; /* it had committed before the break */
		if (rc == 0) {
			snprintf(rec->uid, sizeof rec->uid, "%s", ans.tx.uid);
			rec->status = ans.status;
			w->n_answers++;
		} else if (w->gave_up++ == 0) {
			snprintf(w->first_error, sizeof w->first_error, "%s after %d attempts: %s", rec->key, attempt,
			         axr_errname(rc));
		}
		axr_arena_reset(a);
	}
	axr_db_free(mydb);
	axr_arena_free(a);
	return NULL;
}

static void test_killed_connections_lose_nothing_and_keys_keep_their_answers(void **state)
{
	(void)state;
	static char owners[OWNERS][ECONOMY_UID_SIZE];
	static crash_worker_t w[THREADS];
	const char *coin = econ_fresh("c0a50000-0000-4000-8000-");
	pthread_t kill_thread;
	int answered = 0, interrupted = 0, replayed = 0, gave_up = 0;

	econ_resource(db, coin, "crash-coin", true, 0, NULL);
	for (int i = 0; i < OWNERS; i++) {
		econ_uid(owners[i], "c0a5aaaa-0000-4000-8000-", (unsigned)i);
		econ_mint(db, arena, owners[i], coin, START);
	}
	atomic_store(&stop_killing, false);
	atomic_store(&kills, 0);
	assert_int_equal(pthread_create(&kill_thread, NULL, killer, econ_suite_db.url), 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (crash_worker_t){.url = econ_suite_db.url, .coin = coin, .owners = owners, .index = i,
		                        .rng = 0x2545f4914f6cdd1dull * (uint64_t)(i + 7)};
		assert_int_equal(pthread_create(&w[i].thread, NULL, crash_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(w[i].thread, NULL);
	atomic_store(&stop_killing, true);
	pthread_join(kill_thread, NULL);
	for (int i = 0; i < THREADS; i++) {
		answered += w[i].n_answers, interrupted += w[i].interrupted, replayed += w[i].replayed;
		gave_up += w[i].gave_up;
		if (w[i].gave_up)
			print_error("thread %d gave up %d times, first: %s\n", i, w[i].gave_up, w[i].first_error);
	}
	printf("[ crash    ] %d transfers, %d backends killed, %d requests interrupted and retried with their key"
	       " (%d of them had committed: the retry got the stored answer)\n",
	       THREADS * OPS, atomic_load(&kills), interrupted, replayed);
	fflush(stdout);
	assert_int_equal(gave_up, 0);
	assert_int_equal(answered, THREADS * OPS);
	assert_true(atomic_load(&kills) > 0);

	/* The invariants hold. */
	assert_int_equal(econ_scalar(db, "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '%s'", coin),
	                 OWNERS * START);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM inventory_item WHERE quantity < 0"), 0);
	assert_int_equal(econ_scalar(db,
	                             "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid,"
	                             " sum(delta) AS s FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid)"
	                             " WHERE COALESCE(i.quantity, 0) <> COALESCE(l.s, 0)"),
	                 0);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction WHERE status = 'COMPLETE'"),
	                 econ_scalar(db, "SELECT count(DISTINCT transaction_uid) FROM ledger_entry"));
	/* One transaction per key, and each key still answers what its client was told. */
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction WHERE created_by = '%s' AND kind = 'TRANSFER'",
	                             ECON_ADMIN),
	                 THREADS * OPS);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM idempotency_key WHERE idem_key LIKE 'crash-%%'"),
	                 THREADS * OPS);
	int mismatched = 0;
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < w[i].n_answers; j++) {
			answer_rec_t *rec = &w[i].answers[j];
			int64_t same = econ_scalar(db,
			                           "SELECT count(*) FROM idempotency_key WHERE idem_key = '%s' AND response_status"
			                           " = %d AND response_body::jsonb->>'uid' = '%s'",
			                           rec->key, rec->status, rec->uid);
			if (same != 1 && mismatched++ == 0)
				print_error("key %s: told %d %s, stored differs\n", rec->key, rec->status, rec->uid);
		}
	assert_int_equal(mismatched, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_connections_lose_nothing_and_keys_keep_their_answers),
	};
	return cmocka_run_group_tests_name("economy crash window", tests, group_setup, econ_suite_teardown);
}
