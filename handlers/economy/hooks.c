/* hooks.c: the economy service's additions to its generated main(): settings, the ledger's schema check, the Idempotency-Key purge. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "bus.h"
#include "crud.h"
#include "err.h"
#include "service.h"
#include "idempotency.h"
#include "ledger_schema.h"
#include "log.h"

economy_settings_t economy_settings;

static const axr_config_var_t economy__config_vars[] = {
	{.name = "AXR_ECONOMY_IDEM_MAX_AGE", .type = AXR_CFG_MS, .def = "10080m", .min = 1000, .max = 0,
	 .help = "Idempotency-Keys older than this are forgotten (a replay then is a new request); 10080m = 7 days",
	 .offset = offsetof(economy_settings_t, idem_max_age_ms)},
	{.name = "AXR_ECONOMY_IDEM_PURGE_EVERY", .type = AXR_CFG_MS, .def = "10m", .min = 0, .max = 0,
	 .help = "how often expired Idempotency-Keys are deleted (by a worker after a write; 0 = never)",
	 .offset = offsetof(economy_settings_t, idem_purge_every_ms)},
};

/* Monotonic milliseconds at which the next purge is due; the worker whose
 * compare-and-swap moves it forward runs that purge. */
static _Atomic int64_t economy__purge_due_ms;

static int64_t economy__now_ms(void)
{
	return (int64_t)(axr_now() * 1000.0);
}

static void economy__purge(axr_db_t *db)
{
	int64_t deleted = 0;
	int rc = economy_idem_purge(db, economy_settings.idem_max_age_ms / 1000, &deleted);
	if (rc != 0)
		axr_log_warn("economy: Idempotency-Key purge failed: %s (next turn retries)", axr_strerror(rc));
	else if (deleted > 0)
		axr_log_info("economy: %lld expired Idempotency-Keys purged", (long long)deleted);
}

void economy_purge_when_due(axr_db_t *db)
{
	int64_t now = economy__now_ms(), due = atomic_load(&economy__purge_due_ms);
	if (economy_settings.idem_purge_every_ms <= 0 || db == NULL || now < due)
		return;
	if (!atomic_compare_exchange_strong(&economy__purge_due_ms, &due, now + economy_settings.idem_purge_every_ms))
		return; /* another worker took this turn */
	economy__purge(db);
}

/*
 * After the generated start-up (tables migrated): events are stamped
 * "economy" and generated CRUD publishes its writes (resources; the
 * hand-written routes publish their own after commit); the tables the ledger's hand-written SQL uses must be as it
 * expects (a mismatch between spec/economy.yaml, the generated migration and
 * handlers/economy stops the service here, naming every column); then a first
 * purge, and the next one is due an interval later.
 */
static int economy__init(const axr_config_t *cfg, void *ctx)
{
	axr_db_options_t opt;
	axr_db_t *db = NULL;
	char why[1024];
	int rc;

	(void)ctx;
	if ((rc = axr_bus_set_service("economy")) != 0)
		return rc;
	axr_crud_on_change = axr_bus_crud_changed; /* generated CRUD (resources) publishes its changes */
	if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
		axr_log_warn("economy: no AXR_DATABASE_URL: every economy route answers 503");
		return 0;
	}
	axr_service_db_options(cfg, "economy", &opt);
	rc = axr_db_new(cfg->database_url, &opt, &db);
	if (rc == 0)
		rc = economy_schema_check(db, why, sizeof why);
	if (rc == AXR_ECONFIG)
		axr_log_error("economy: the tables do not match the ledger's SQL: %s", why);
	else if (rc != 0)
		axr_log_error("economy: schema check failed: %s", axr_strerror(rc));
	if (rc == 0 && economy_settings.idem_purge_every_ms > 0) {
		economy__purge(db);
		atomic_store(&economy__purge_due_ms, economy__now_ms() + economy_settings.idem_purge_every_ms);
	}
	axr_db_free(db);
	return rc;
}

const axr_service_hooks_t economy_hooks = {
	.config_vars = economy__config_vars,
	.nconfig_vars = sizeof economy__config_vars / sizeof economy__config_vars[0],
	.config = &economy_settings,
	.init = economy__init,
};
