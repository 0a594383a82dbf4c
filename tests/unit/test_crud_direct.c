/* test_crud_direct.c: generated GET /x/{id} answered on the I/O thread (crud_direct.c) against a real server and PostgreSQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "crud.h"
#include "crud_handle.h"
#include "metrics.h"
#include "op.h"
#include "pool.h"
#include "server.h"
#include "tests/unit/crud_fixture.h"

static axr_test_db_t fdb;
static axr_config_t cfg;
static axr_server_t *srv;
static pthread_t srv_thread;
static int port;

/* How often each handler ran (on a worker). */
static atomic_int generated_runs, handwritten_runs;

static const axr_op_t op_get_item = {
	.name = "getItem",
	.status = 200,
	.response = {.message = &crudtest__item__descriptor},
	.entity = &fix_item,
	.crud = AXR_CRUD_GET,
};

static const axr_op_t op_read_item = {
	.name = "readItem",
	.status = 200,
	.response = {.message = &crudtest__item__descriptor},
	.entity = &fix_item,
	.crud = AXR_CRUD_GET,
};

/* What axrgen's weak handler does, as if compiled from its generated file. */
static int generated_get(axr_request_t *req)
{
	ProtobufCMessage *msg = NULL;
	atomic_fetch_add(&generated_runs, 1);
	int rc = axr_crud_handle_generated(req, &msg);
	return axr_op_respond(req, rc, msg);
}

/* A hand-written override of the same kind of operation. */
static int handwritten_get(axr_request_t *req)
{
	ProtobufCMessage *msg = NULL;
	atomic_fetch_add(&handwritten_runs, 1);
	int rc = axr_crud_handle(req, &msg);
	return axr_op_respond(req, rc, msg);
}

static const axr_route_t routes[] = {
	{.method = AXR_HTTP_GET, .path = "/items/{id}", .handler = generated_get, .op = &op_get_item, .name = "getItem"},
	{.method = AXR_HTTP_GET, .path = "/read/{id}", .handler = handwritten_get, .op = &op_read_item, .name = "readItem"},
};

/* The caller is the X-User header; answers in protobuf (no JSON schema here). */
static int before(axr_request_t *req, void *ctx)
{
	(void)ctx;
	req->user_uid = axr_request_header(req, "X-User");
	req->format = 1;
	return 0;
}

static void worker_init(axr_worker_t *w, void *ctx)
{
	axr_db_t *db = NULL;
	(void)ctx;
	if (axr_db_new(fdb.url, NULL, &db) == 0)
		w->db = db;
}

static void worker_fini(axr_worker_t *w, void *ctx)
{
	(void)ctx;
	axr_db_free(w->db);
	w->db = NULL;
}

static void *run_server(void *arg)
{
	(void)arg;
	axr_server_run(srv);
	return NULL;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	close(fd);
	return ntohs(a.sin_port);
}

static int group_setup(void **state)
{
	char err[256];
	(void)state;
	if (axr_test_db_create(&fdb, "axr_t", "direct", NULL) != 0)
		return -1;
	if (axr_test_db_exec_on(fdb.url, "CREATE TABLE item (uid uuid PRIMARY KEY, date_created timestamptz NOT NULL,"
	                                   " date_modified timestamptz NOT NULL, version bigint NOT NULL, name text NOT NULL"
	                                   " UNIQUE, owner_uid uuid NOT NULL, quantity bigint NOT NULL DEFAULT 0,"
	                                   " price double precision, active boolean, expires_at timestamptz,"
	                                   " birthday date, data jsonb, level bigint, sku text UNIQUE,"
	                                   " note text DEFAULT 'none')") != 0 ||
	    axr_test_db_exec_on(fdb.url, "INSERT INTO item (uid, date_created, date_modified, version, name, owner_uid,"
	                                   " quantity) VALUES ('11111111-0000-4000-8000-000000000001', now(), now(), 3,"
	                                   " 'apple', '" FIX_USER_A "', 7)") != 0)
		return -1;
	if (axr_crud_prepare(&fix_item, err, sizeof err) != 0)
		return -1;
	if (axr_config_load(axr_config_vars, axr_config_var_count, &cfg, err, sizeof err) != 0)
		return -1;
	cfg.port = free_port();
	cfg.threads = 1;
	cfg.workers = 2;
	cfg.access_log = 0;
	cfg.database_url = fdb.url;
	axr_server_options_t o = {.config = &cfg, .service_name = "crudtest", .before = before,
	                          .worker = {.init = worker_init, .fini = worker_fini}};
	srv = axr_server_new(&o);
	if (srv == NULL)
		return -1;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (axr_server_add_route(srv, &routes[i]) != 0)
			return -1;
	if (axr_server_start(srv) != 0)
		return -1;
	port = axr_server_port(srv);
	return pthread_create(&srv_thread, NULL, run_server, NULL) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	axr_server_stop(srv);
	pthread_join(srv_thread, NULL);
	axr_server_free(srv);
	axr_metrics_reset();
	axr_crud_cache_free();
	axr_test_db_destroy(&fdb);
	return 0;
}

/* ---- a keep-alive HTTP client ------------------------------------------------ */

typedef struct answer {
	int status;
	char etag[32];
	Crudtest__Item *item; /* 200: the decoded row */
} answer_t;

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* GET `path` as `user` on `fd`; fills *a (free a->item with answer_clear). */
static void get(int fd, const char *path, const char *user, answer_t *a)
{
	char req[512], buf[8192];
	size_t len = 0;
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nX-User: %s\r\n\r\n", path, user);
	memset(a, 0, sizeof *a);
	assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
	for (;;) {
		char *end = memmem(buf, len, "\r\n\r\n", 4);
		if (end != NULL) {
			const char *cl = strcasestr(buf, "Content-Length: ");
			size_t head = (size_t)(end + 4 - buf), body = cl ? strtoul(cl + 16, NULL, 10) : 0;
			if (len >= head + body) {
				const char *et = strcasestr(buf, "ETag: ");
				a->status = atoi(buf + 9);
				if (et != NULL)
					snprintf(a->etag, sizeof a->etag, "%.*s", (int)strcspn(et + 6, "\r"), et + 6);
				if (a->status == 200)
					a->item = crudtest__item__unpack(NULL, body, (const uint8_t *)buf + head);
				return;
			}
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 20000), 1);
		ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
		assert_true(r > 0);
		len += (size_t)r;
		buf[len] = '\0';
	}
}

static void answer_clear(answer_t *a)
{
	if (a->item)
		crudtest__item__free_unpacked(a->item, NULL);
	a->item = NULL;
}

#define APPLE "/items/11111111-0000-4000-8000-000000000001"

/* Asserts the answer is the apple row, with its version as ETag. */
static void assert_apple(answer_t *a)
{
	if (a->status != 200)
		print_error("status %d, want 200\n", a->status);
	assert_int_equal(a->status, 200);
	assert_string_equal(a->etag, "\"3\"");
	assert_non_null(a->item);
	assert_string_equal(a->item->name, "apple");
	assert_string_equal(a->item->owner_uid, FIX_USER_A);
	assert_int_equal(a->item->quantity, 7);
	answer_clear(a);
}

/* Sends requests until the I/O thread answers (no handler run), up to 5 s. */
static void wait_direct(int fd)
{
	for (int i = 0; i < 100; i++) {
		answer_t a;
		int before_runs = atomic_load(&generated_runs);
		get(fd, APPLE, FIX_USER_A, &a);
		assert_apple(&a);
		if (atomic_load(&generated_runs) == before_runs)
			return;
		usleep(50000);
	}
	fail_msg("the I/O thread never answered GET %s itself", APPLE);
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_generated_get_is_answered_without_a_worker_after_its_first_request(void **state)
{
	(void)state;
	int fd = dial();
	answer_t a;
	get(fd, APPLE, FIX_USER_A, &a);
	assert_apple(&a);
	assert_true(atomic_load(&generated_runs) >= 1); /* the first one ran on a worker */
	wait_direct(fd);
	int runs = atomic_load(&generated_runs);
	for (int i = 0; i < 20; i++) {
		get(fd, APPLE, FIX_USER_A, &a);
		assert_apple(&a);
	}
	if (atomic_load(&generated_runs) != runs)
		print_error("handler runs %d, want %d (no worker after the route was learnt)\n",
		            atomic_load(&generated_runs), runs);
	assert_int_equal(atomic_load(&generated_runs), runs);
	close(fd);
}

static void test_direct_answers_match_the_worker_ones_for_missing_foreign_and_identifier_keys(void **state)
{
	(void)state;
	int fd = dial();
	answer_t a;
	wait_direct(fd);
	int runs = atomic_load(&generated_runs);
	get(fd, "/items/apple", FIX_USER_A, &a); /* by x-identifier: another prepared statement */
	assert_apple(&a);
	get(fd, APPLE, FIX_USER_B, &a); /* another user's row is a 404, never a 403 */
	assert_int_equal(a.status, 404);
	get(fd, "/items/22222222-0000-4000-8000-000000000002", FIX_USER_A, &a);
	assert_int_equal(a.status, 404);
	get(fd, "/items/pear", FIX_USER_A, &a); /* no row of that name */
	assert_int_equal(a.status, 404);
	get(fd, APPLE, "not-a-uuid", &a); /* a caller that cannot own rows */
	assert_int_equal(a.status, 403);
	assert_int_equal(atomic_load(&generated_runs), runs);
	close(fd);
}

static void test_handwritten_handler_always_runs_on_a_worker(void **state)
{
	(void)state;
	int fd = dial();
	answer_t a;
	for (int i = 0; i < 8; i++) {
		get(fd, "/read/11111111-0000-4000-8000-000000000001", FIX_USER_A, &a);
		assert_int_equal(a.status, 200);
		assert_non_null(a.item);
		assert_string_equal(a.item->name, "apple");
		answer_clear(&a);
		usleep(20000);
	}
	if (atomic_load(&handwritten_runs) != 8)
		print_error("hand-written handler ran %d times, want 8\n", atomic_load(&handwritten_runs));
	assert_int_equal(atomic_load(&handwritten_runs), 8);
	close(fd);
}

static void test_lost_connection_sends_requests_to_the_workers_then_reconnects(void **state)
{
	(void)state;
	int fd = dial();
	answer_t a;
	wait_direct(fd);
	/* Every session of the test database but this one ends: the I/O
	 * thread's and the workers'. */
	assert_int_equal(axr_test_db_exec_on(fdb.url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	                                               " WHERE datname = current_database() AND pid <> pg_backend_pid()"),
	                 0);
	int runs = atomic_load(&generated_runs), ok = 0;
	for (int i = 0; i < 50 && ok < 10; i++) {
		/* The workers answer meanwhile: the row, or 503 while their own
		 * connections find out and reconnect (db.c), never anything else. */
		get(fd, APPLE, FIX_USER_A, &a);
		if (a.status == 200) {
			assert_apple(&a);
			ok++;
			continue;
		}
		if (a.status != 503)
			print_error("status %d, want 200 or 503\n", a.status);
		assert_int_equal(a.status, 503);
		usleep(100000);
	}
	assert_int_equal(ok, 10);
	if (atomic_load(&generated_runs) <= runs)
		print_error("no request went to a worker after the connection was lost\n");
	assert_true(atomic_load(&generated_runs) > runs);
	wait_direct(fd); /* and the I/O thread is back */
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_get_is_answered_without_a_worker_after_its_first_request),
		cmocka_unit_test(test_direct_answers_match_the_worker_ones_for_missing_foreign_and_identifier_keys),
		cmocka_unit_test(test_handwritten_handler_always_runs_on_a_worker),
		cmocka_unit_test(test_lost_connection_sends_requests_to_the_workers_then_reconnects),
	};
	return cmocka_run_group_tests_name("crud_direct", tests, group_setup, group_teardown);
}
