/* test_config.c: unit tests for configuration from environment variables (runtime/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "err.h"
#include "expect_msg.h"

typedef struct test_cfg {
	long count;
	long size;
	long unbounded_size;
	long timeout_ms;
	long offset;
	const char *label;
	const char *url;
	int flag;
	int mode;
} test_cfg_t;

#define F(field) offsetof(test_cfg_t, field)

static const axr_config_var_t vars[] = {
	{.name = "T_COUNT", .type = AXR_CFG_INT, .def = "5", .min = 1, .max = 10, .offset = F(count),
	 .help = "how many"},
	{.name = "T_SIZE", .type = AXR_CFG_SIZE, .def = "2k", .min = 1, .max = 1L << 20, .offset = F(size),
	 .help = "how big"},
	{.name = "T_UNBOUNDED", .type = AXR_CFG_SIZE, .def = "0", .min = 0, .max = 0, .offset = F(unbounded_size),
	 .help = "no upper bound"},
	{.name = "T_TIMEOUT", .type = AXR_CFG_MS, .def = "1s", .min = 100, .max = 3600000, .offset = F(timeout_ms),
	 .help = "how long"},
	{.name = "T_OFFSET", .type = AXR_CFG_INT, .def = "-3", .min = -10, .max = 10, .offset = F(offset),
	 .help = "may be negative"},
	{.name = "T_LABEL", .type = AXR_CFG_STRING, .def = "hello", .offset = F(label), .help = "any text"},
	{.name = "T_URL", .type = AXR_CFG_URL, .def = "", .choices = "postgres|postgresql", .offset = F(url),
	 .flags = AXR_CFG_SECRET, .help = "a database"},
	{.name = "T_FLAG", .type = AXR_CFG_BOOL, .def = "no", .offset = F(flag), .help = "on or off"},
	{.name = "T_MODE", .type = AXR_CFG_ENUM, .def = "beta", .choices = "alpha|beta|gamma", .offset = F(mode),
	 .help = "which mode"},
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static char err[256];

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < NVARS; i++)
		unsetenv(vars[i].name);
	for (size_t i = 0; i < axr_config_var_count; i++)
		unsetenv(axr_config_vars[i].name);
	err[0] = '\0';
	return 0;
}

static int load(test_cfg_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	return axr_config_load(vars, NVARS, cfg, err, sizeof(err));
}

/* Sets `name=value`, loads, and asserts success; returns the loaded struct. */
static test_cfg_t load_ok(const char *name, const char *value)
{
	test_cfg_t cfg;
	setenv(name, value, 1);
	int rc = load(&cfg);
	if (rc != 0)
		print_error("%s=%s: %s (%s)\n", name, value, axr_errname(rc), err);
	assert_int_equal(rc, 0);
	unsetenv(name);
	return cfg;
}

/* Sets `name=value`, loads, and asserts AXR_ECONFIG with a message that names
 * the variable and contains `phrase`. */
static void load_fails(const char *name, const char *value, const char *phrase)
{
	test_cfg_t cfg;
	setenv(name, value, 1);
	int rc = load(&cfg);
	unsetenv(name);
	if (rc != AXR_ECONFIG || strncmp(err, name, strlen(name)) != 0 || strstr(err, phrase) == NULL)
		print_error("%s=%s: rc %s, message '%s'; want ECONFIG, '%s: ...%s...'\n", name, value, axr_errname(rc),
		            err, name, phrase);
	assert_int_equal(rc, AXR_ECONFIG);
	assert_int_equal(strncmp(err, name, strlen(name)), 0);
	assert_non_null(strstr(err, phrase));
}

static void test_defaults_apply_when_variables_are_unset(void **state)
{
	test_cfg_t cfg;
	(void)state;
	assert_int_equal(load(&cfg), 0);
	assert_int_equal(cfg.count, 5);
	assert_int_equal(cfg.size, 2048);
	assert_int_equal(cfg.unbounded_size, 0);
	assert_int_equal(cfg.timeout_ms, 1000);
	assert_int_equal(cfg.offset, -3);
	assert_string_equal(cfg.label, "hello");
	assert_string_equal(cfg.url, "");
	assert_int_equal(cfg.flag, 0);
	assert_int_equal(cfg.mode, 1);
}

static void test_runtime_defaults_are_valid_and_as_documented(void **state)
{
	axr_config_t c;
	(void)state;
	memset(&c, 0, sizeof(c));
	int rc = axr_config_load(axr_config_vars, axr_config_var_count, &c, err, sizeof(err));
	if (rc != 0)
		print_error("defaults: %s\n", err);
	assert_int_equal(rc, 0);
	assert_string_equal(c.host, "127.0.0.1");
	assert_int_equal(c.port, 8000);
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.workers, 8);
	assert_int_equal(c.queue_max, 1024);
	assert_int_equal(c.max_body, 1024 * 1024);
	assert_int_equal(c.max_header, 16 * 1024);
	assert_int_equal(c.header_timeout_ms, 10000);
	assert_int_equal(c.body_timeout_ms, 30000);
	assert_int_equal(c.idle_timeout_ms, 75000);
	assert_int_equal(c.drain_timeout_ms, 10000);
	assert_string_equal(c.database_url, "");
	assert_string_equal(c.redis_url, "");
	assert_int_equal(c.log_level, 1); /* info */
	assert_int_equal(c.access_log, 1);
	assert_int_equal(c.jwt_alg, 0); /* RS256 */
	assert_int_equal(c.retry_after_s, 1);
}

static void test_runtime_settings_read_the_environment(void **state)
{
	axr_config_t c;
	(void)state;
	setenv("AXR_HEADER_TIMEOUT", "2s", 1);
	setenv("AXR_MAX_BODY", "64k", 1);
	setenv("AXR_WORKERS", "1", 1);
	setenv("AXR_LOG_LEVEL", "WARN", 1);
	setenv("AXR_ACCESS_LOG", "off", 1);
	setenv("AXR_DATABASE_URL", "postgresql://u@127.0.0.1:5432/db", 1);
	int rc = axr_config_load(axr_config_vars, axr_config_var_count, &c, err, sizeof(err));
	clear_env(NULL);
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(c.header_timeout_ms, 2000);
	assert_int_equal(c.max_body, 65536);
	assert_int_equal(c.workers, 1);
	assert_int_equal(c.log_level, 2);
	assert_int_equal(c.access_log, 0);
	assert_string_equal(c.database_url, "postgresql://u@127.0.0.1:5432/db");
}

static void test_runtime_bounds_name_the_variable(void **state)
{
	static const struct {
		const char *name, *value, *phrase;
	} cases[] = {
		{"AXR_PORT", "65536", "out of range"},
		{"AXR_PORT", "http", "not a valid integer"},
		{"AXR_MAX_HEADER", "1000", "out of range"},
		{"AXR_MAX_BODY", "2g", "out of range"},
		{"AXR_HEADER_TIMEOUT", "50ms", "out of range"},
		{"AXR_WORKERS", "0", "out of range"},
		{"AXR_REDIS_URL", "http://127.0.0.1:6379", "scheme redis"},
		{"AXR_LOG_LEVEL", "verbose", "not one of"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		axr_config_t c;
		setenv(cases[i].name, cases[i].value, 1);
		int rc = axr_config_load(axr_config_vars, axr_config_var_count, &c, err, sizeof(err));
		unsetenv(cases[i].name);
		if (rc != AXR_ECONFIG || strncmp(err, cases[i].name, strlen(cases[i].name)) != 0 ||
		    strstr(err, cases[i].phrase) == NULL)
			print_error("%s=%s: rc %s, '%s'\n", cases[i].name, cases[i].value, axr_errname(rc), err);
		assert_int_equal(rc, AXR_ECONFIG);
		assert_int_equal(strncmp(err, cases[i].name, strlen(cases[i].name)), 0);
		assert_non_null(strstr(err, cases[i].phrase));
	}
}

/* server.h: "The bound port (useful with AXR_PORT=0 in tests)". */
static void test_port_zero_is_accepted_for_an_ephemeral_port(void **state)
{
	axr_config_t c;
	(void)state;
	setenv("AXR_PORT", "0", 1);
	int rc = axr_config_load(axr_config_vars, axr_config_var_count, &c, err, sizeof(err));
	unsetenv("AXR_PORT");
	EXPECT_MSG(rc == 0, "config.c AXR_PORT has .min = 1, so the AXR_PORT=0 that server.h and server.c "
	                   "support is refused: '%s'", err);
	assert_int_equal(c.port, 0);
}

static void test_integers_are_decimal_within_inclusive_bounds(void **state)
{
	(void)state;
	assert_int_equal(load_ok("T_COUNT", "1").count, 1);
	assert_int_equal(load_ok("T_COUNT", "10").count, 10);
	assert_int_equal(load_ok("T_COUNT", "07").count, 7);
	assert_int_equal(load_ok("T_OFFSET", "-10").offset, -10);
	load_fails("T_COUNT", "0", "out of range [1, 10]");
	load_fails("T_COUNT", "11", "out of range [1, 10]");
	load_fails("T_OFFSET", "-11", "out of range [-10, 10]");
}

static void test_integers_reject_junk_hex_fractions_and_overflow(void **state)
{
	(void)state;
	load_fails("T_COUNT", "", "not a valid integer");
	load_fails("T_COUNT", "five", "not a valid integer");
	load_fails("T_COUNT", "5x", "not a valid integer");
	load_fails("T_COUNT", "0x5", "not a valid integer");
	load_fails("T_COUNT", "5.0", "not a valid integer");
	load_fails("T_COUNT", "5k", "not a valid integer");
	load_fails("T_COUNT", "5 ", "not a valid integer");
	load_fails("T_COUNT", "99999999999999999999", "not a valid integer");
}

static void test_sizes_take_k_m_g_suffixes_as_powers_of_1024_in_any_case(void **state)
{
	(void)state;
	assert_int_equal(load_ok("T_SIZE", "100").size, 100);
	assert_int_equal(load_ok("T_SIZE", "16k").size, 16384);
	assert_int_equal(load_ok("T_SIZE", "16K").size, 16384);
	assert_int_equal(load_ok("T_SIZE", "1m").size, 1048576);
	assert_int_equal(load_ok("T_SIZE", "1M").size, 1048576);
	assert_int_equal(load_ok("T_UNBOUNDED", "3g").unbounded_size, 3L * 1024 * 1024 * 1024);
	assert_int_equal(load_ok("T_UNBOUNDED", "5G").unbounded_size, 5L * 1024 * 1024 * 1024);
	load_fails("T_SIZE", "2m", "out of range");
}

static void test_sizes_reject_other_suffixes_negatives_and_fractions(void **state)
{
	(void)state;
	load_fails("T_SIZE", "1kb", "not a valid size");
	load_fails("T_SIZE", "1t", "not a valid size");
	load_fails("T_SIZE", "1.5k", "not a valid size");
	load_fails("T_SIZE", "-1k", "not a valid size");
	load_fails("T_SIZE", "k", "not a valid size");
	load_fails("T_UNBOUNDED", "9999999999999999g", "not a valid size");
}

static void test_durations_take_ms_s_and_m(void **state)
{
	(void)state;
	assert_int_equal(load_ok("T_TIMEOUT", "250").timeout_ms, 250);
	assert_int_equal(load_ok("T_TIMEOUT", "250ms").timeout_ms, 250);
	assert_int_equal(load_ok("T_TIMEOUT", "2s").timeout_ms, 2000);
	assert_int_equal(load_ok("T_TIMEOUT", "3m").timeout_ms, 180000);
	assert_int_equal(load_ok("T_TIMEOUT", "60m").timeout_ms, 3600000);
	load_fails("T_TIMEOUT", "61m", "out of range");
	load_fails("T_TIMEOUT", "99ms", "out of range");
}

static void test_durations_reject_other_units_and_fractions(void **state)
{
	(void)state;
	load_fails("T_TIMEOUT", "1h", "not a valid duration");
	load_fails("T_TIMEOUT", "2S", "not a valid duration");
	load_fails("T_TIMEOUT", "1.5s", "not a valid duration");
	load_fails("T_TIMEOUT", "-1s", "not a valid duration");
	load_fails("T_TIMEOUT", "s", "not a valid duration");
	load_fails("T_TIMEOUT", "2 s", "not a valid duration");
	load_fails("T_TIMEOUT", "9223372036854775807s", "not a valid duration");
}

static void test_booleans_take_eight_spellings_in_any_case(void **state)
{
	static const struct {
		const char *text;
		int value;
	} cases[] = {
		{"true", 1}, {"false", 0}, {"1", 1}, {"0", 0}, {"yes", 1}, {"no", 0}, {"on", 1}, {"off", 0},
		{"TRUE", 1}, {"Off", 0}, {"YeS", 1},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = load_ok("T_FLAG", cases[i].text).flag;
		if (got != cases[i].value)
			print_error("T_FLAG=%s: %d want %d\n", cases[i].text, got, cases[i].value);
		assert_int_equal(got, cases[i].value);
	}
}

static void test_booleans_reject_anything_else(void **state)
{
	(void)state;
	load_fails("T_FLAG", "2", "not a boolean");
	load_fails("T_FLAG", "y", "not a boolean");
	load_fails("T_FLAG", "enabled", "not a boolean");
	load_fails("T_FLAG", "", "not a boolean");
	load_fails("T_FLAG", "true ", "not a boolean");
}

static void test_enums_give_the_index_of_the_choice_in_any_case(void **state)
{
	(void)state;
	assert_int_equal(load_ok("T_MODE", "alpha").mode, 0);
	assert_int_equal(load_ok("T_MODE", "GAMMA").mode, 2);
	load_fails("T_MODE", "delta", "not one of alpha|beta|gamma");
	load_fails("T_MODE", "alph", "not one of");
	load_fails("T_MODE", "alpha|beta", "not one of");
	load_fails("T_MODE", "", "not one of");
}

static void test_urls_are_empty_or_use_a_listed_scheme(void **state)
{
	(void)state;
	assert_string_equal(load_ok("T_URL", "").url, "");
	assert_string_equal(load_ok("T_URL", "postgres://h/db").url, "postgres://h/db");
	assert_string_equal(load_ok("T_URL", "PostgreSQL://h/db").url, "PostgreSQL://h/db");
	load_fails("T_URL", "mysql://h/db", "must be a URL with scheme postgres|postgresql");
	load_fails("T_URL", "postgres:h/db", "must be a URL");
	load_fails("T_URL", "h/postgres://x", "must be a URL");
	load_fails("T_URL", "://h", "must be a URL");
}

static void test_secret_values_never_appear_in_messages(void **state)
{
	(void)state;
	load_fails("T_URL", "mysql://user:hunter2@h/db", "(secret)");
	assert_null(strstr(err, "hunter2"));
	/* Non-secret values are quoted back to help the operator. */
	load_fails("T_MODE", "delta", "'delta'");
}

static void test_strings_take_any_text(void **state)
{
	(void)state;
	assert_string_equal(load_ok("T_LABEL", "").label, "");
	assert_string_equal(load_ok("T_LABEL", " a b|c ").label, " a b|c ");
}

static void test_the_first_bad_variable_stops_loading(void **state)
{
	test_cfg_t cfg;
	(void)state;
	setenv("T_COUNT", "bad", 1);
	setenv("T_MODE", "bad", 1);
	assert_int_equal(load(&cfg), AXR_ECONFIG);
	assert_int_equal(strncmp(err, "T_COUNT:", 8), 0);
	unsetenv("T_COUNT");
	assert_int_equal(load(&cfg), AXR_ECONFIG);
	assert_int_equal(strncmp(err, "T_MODE:", 7), 0);
	/* Variables before the bad one were stored. */
	assert_int_equal(cfg.count, 5);
	assert_int_equal(cfg.flag, 0);
	unsetenv("T_MODE");
}

static void test_messages_are_cut_to_the_buffer(void **state)
{
	test_cfg_t cfg;
	char small[8];
	(void)state;
	memset(small, 'x', sizeof(small));
	setenv("T_COUNT", "a-rather-long-bad-value", 1);
	assert_int_equal(axr_config_load(vars, NVARS, &cfg, small, sizeof(small)), AXR_ECONFIG);
	unsetenv("T_COUNT");
	assert_string_equal(small, "T_COUNT");
}

static void test_help_lists_every_variable_with_type_default_and_range(void **state)
{
	char *text = NULL;
	size_t len = 0;
	(void)state;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	axr_config_print_help(f, vars, NVARS);
	fclose(f);
	static const char *const lines[] = {
		"T_COUNT", "integer", "default 5", "how many", "[1..10]",
		"T_SIZE", "size", "default 2k", "[1..1048576]",
		"T_TIMEOUT", "duration", "default 1s",
		"T_URL", "url", "default (empty)",
		"T_FLAG", "bool", "default no",
		"T_MODE", "enum", "[alpha|beta|gamma]",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (strstr(text, lines[i]) == NULL)
			print_error("help lacks '%s':\n%s\n", lines[i], text);
		assert_non_null(strstr(text, lines[i]));
	}
	/* One line per variable; no upper bound printed where there is none. */
	size_t nl = 0;
	for (size_t i = 0; i < len; i++)
		nl += text[i] == '\n';
	assert_int_equal(nl, NVARS);
	assert_null(strstr(text, "[0..0]"));
	free(text);
}

static void test_help_never_prints_a_secret_value(void **state)
{
	char *text = NULL;
	size_t len = 0;
	(void)state;
	setenv("T_URL", "postgres://user:hunter2@h/db", 1);
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	axr_config_print_help(f, vars, NVARS);
	fclose(f);
	unsetenv("T_URL");
	assert_null(strstr(text, "hunter2"));
	free(text);
}

#define T(fn) cmocka_unit_test_setup(fn, clear_env)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults_apply_when_variables_are_unset),
		T(test_runtime_defaults_are_valid_and_as_documented),
		T(test_runtime_settings_read_the_environment),
		T(test_runtime_bounds_name_the_variable),
		T(test_port_zero_is_accepted_for_an_ephemeral_port),
		T(test_integers_are_decimal_within_inclusive_bounds),
		T(test_integers_reject_junk_hex_fractions_and_overflow),
		T(test_sizes_take_k_m_g_suffixes_as_powers_of_1024_in_any_case),
		T(test_sizes_reject_other_suffixes_negatives_and_fractions),
		T(test_durations_take_ms_s_and_m),
		T(test_durations_reject_other_units_and_fractions),
		T(test_booleans_take_eight_spellings_in_any_case),
		T(test_booleans_reject_anything_else),
		T(test_enums_give_the_index_of_the_choice_in_any_case),
		T(test_urls_are_empty_or_use_a_listed_scheme),
		T(test_secret_values_never_appear_in_messages),
		T(test_strings_take_any_text),
		T(test_the_first_bad_variable_stops_loading),
		T(test_messages_are_cut_to_the_buffer),
		T(test_help_lists_every_variable_with_type_default_and_range),
		T(test_help_never_prints_a_secret_value),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
