/* service.c: the account service's hooks: its settings, the context built after the generated migrations, the admin bootstrap, periodic clean-up. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "bus.h"
#include "crud.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "service.h"

#include "account_api.h"

/* How often the clean-up thread deletes old log-in attempts and dead
 * refresh families (log-in failures also do it now and then). */
#define ACCOUNT__CLEANUP_INTERVAL_S 600

static account_config_t account__settings; /* loaded by the runtime from account_config_vars */

static struct {
	account_t *acc;           /* immutable once built; every worker shares it */
	const char *database_url; /* the runtime's configuration outlives the service */
	pthread_t cleaner;
	bool cleaner_started;
	bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t wake;
} account__svc = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

account_t *account_api_context(void)
{
	return account__svc.acc;
}

/* Every ACCOUNT__CLEANUP_INTERVAL_S, account_cleanup on a connection of its
 * own, until the service stops. Safe on every replica at once. */
static void *account__cleanup_main(void *arg)
{
	axr_db_t *db = NULL;
	(void)arg;
	if (axr_db_new(account__svc.database_url, NULL, &db) != 0)
		return NULL;
	pthread_mutex_lock(&account__svc.lock);
	while (!account__svc.stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ACCOUNT__CLEANUP_INTERVAL_S;
		int rc = 0;
		while (!account__svc.stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&account__svc.wake, &account__svc.lock, &until);
		if (account__svc.stopping)
			break;
		pthread_mutex_unlock(&account__svc.lock);
		long removed = 0;
		rc = account_cleanup(account__svc.acc, db, &removed);
		if (rc != 0)
			axr_log_warn("account: clean-up: %s", axr_strerror(rc));
		else if (removed > 0)
			axr_log_info("account: clean-up removed %ld old log-in attempts and refresh tokens", removed);
		pthread_mutex_lock(&account__svc.lock);
	}
	pthread_mutex_unlock(&account__svc.lock);
	axr_db_free(db);
	return NULL;
}

/* After the generated start-up (tables migrated, hand-written files of
 * migrations/account/ included): the context (signing key, JWKS, dummy
 * hash), the admin account, the clean-up thread. */
static int account__service_init(const axr_config_t *cfg, void *ctx)
{
	axr_db_t *db = NULL;
	bool created = false;
	int rc;

	(void)ctx;
	axr_crud_on_change = axr_bus_crud_changed; /* the generated /roles CRUD publishes its changes */
	account_config_from_runtime(&account__settings, cfg);
	if ((rc = account_new(&account__settings, &account__svc.acc)) != 0)
		return rc;
	if (!cfg->database_url || !*cfg->database_url) {
		axr_log_warn("account: AXR_DATABASE_URL is not set: every operation but /auth/keys answers 503");
		return 0;
	}
	account__svc.database_url = cfg->database_url;
	if ((rc = axr_db_new(cfg->database_url, NULL, &db)) == 0 && (rc = account_schema_ensure(db)) == 0)
		rc = account_bootstrap_admin(account__svc.acc, db, &created);
	axr_db_free(db);
	if (rc != 0) {
		axr_log_error("account: admin bootstrap: %s", axr_strerror(rc));
		account_free(account__svc.acc);
		account__svc.acc = NULL;
		return rc;
	}
	if (pthread_create(&account__svc.cleaner, NULL, account__cleanup_main, NULL) == 0)
		account__svc.cleaner_started = true;
	else
		axr_log_warn("account: no clean-up thread; log-in failures still clean up now and then");
	return 0;
}

static void account__service_fini(void *ctx)
{
	(void)ctx;
	if (account__svc.cleaner_started) {
		pthread_mutex_lock(&account__svc.lock);
		account__svc.stopping = true;
		pthread_cond_signal(&account__svc.wake);
		pthread_mutex_unlock(&account__svc.lock);
		pthread_join(account__svc.cleaner, NULL);
		account__svc.cleaner_started = false;
	}
	account_free(account__svc.acc);
	account__svc.acc = NULL;
}

const axr_service_hooks_t account_hooks = {
	.config_vars = account_config_vars,
	.nconfig_vars = sizeof account_config_vars / sizeof account_config_vars[0],
	.config = &account__settings,
	.init = account__service_init,
	.fini = account__service_fini,
};
