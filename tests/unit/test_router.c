/* test_router.c: unit tests for the segment trie router (runtime/router.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "http.h"
#include "expect_msg.h"
#include "router.h"

static int handler_stub(axr_request_t *req)
{
	(void)req;
	return 0;
}

#define ROUTE(m, p) {.method = (m), .path = (p), .handler = handler_stub, .name = (p)}

/* Routes are kept by pointer: static tables, as generated code has them. */
static const axr_route_t users_routes[] = {
	ROUTE(AXR_HTTP_GET, "/users"),                 /* 0 */
	ROUTE(AXR_HTTP_POST, "/users"),                /* 1 */
	ROUTE(AXR_HTTP_GET, "/users/me"),              /* 2 */
	ROUTE(AXR_HTTP_GET, "/users/{id}"),            /* 3 */
	ROUTE(AXR_HTTP_PUT, "/users/{id}"),            /* 4 */
	ROUTE(AXR_HTTP_DELETE, "/users/{id}"),         /* 5 */
	ROUTE(AXR_HTTP_GET, "/users/{id}/items/{item}"), /* 6 */
	ROUTE(AXR_HTTP_GET, "/a/b/c"),                 /* 7 */
	ROUTE(AXR_HTTP_GET, "/a/{x}/d"),               /* 8 */
	ROUTE(AXR_HTTP_GET, "/"),                      /* 9 */
	ROUTE(AXR_HTTP_HEAD, "/files/{name}"),         /* 10 */
	ROUTE(AXR_HTTP_GET, "/files/{name}"),          /* 11 */
	ROUTE(AXR_HTTP_OPTIONS, "/users"),             /* 12 */
};
#define NUSERS (sizeof(users_routes) / sizeof(users_routes[0]))

static int setup_users(void **state)
{
	axr_router_t *r = axr_router_new();
	if (r == NULL)
		return -1;
	for (size_t i = 0; i < NUSERS; i++) {
		int rc = axr_router_add(r, &users_routes[i]);
		if (rc != 0) {
			print_error("add %s: %s\n", users_routes[i].path, axr_errname(rc));
			axr_router_free(r);
			return -1;
		}
	}
	*state = r;
	return 0;
}

static int teardown_router(void **state)
{
	axr_router_free(*state);
	return 0;
}

static int match(void **state, int method, const char *path, axr_route_match_t *m)
{
	return axr_router_match(*state, method, path, strlen(path), m);
}

/* Asserts that `method path` matches the route at `index`. */
static void expect_route(void **state, int method, const char *path, size_t index)
{
	axr_route_match_t m;
	int rc = match(state, method, path, &m);
	if (rc != 0 || m.route != &users_routes[index])
		print_error("%s %s: rc %s, route %s; want %s\n", axr_http_method_name(method), path, axr_errname(rc),
		            m.route ? m.route->path : "NULL", users_routes[index].path);
	assert_int_equal(rc, 0);
	assert_ptr_equal(m.route, &users_routes[index]);
	assert_int_equal(m.index, (int)index);
}

static void expect_param(const axr_route_match_t *m, size_t i, const char *name, const char *value)
{
	assert_true(i < m->nparams);
	const axr_route_param_t *p = &m->params[i];
	if (p->name_len != strlen(name) || memcmp(p->name, name, p->name_len) != 0 ||
	    p->value_len != strlen(value) || memcmp(p->value, value, p->value_len) != 0)
		print_error("param %zu: %.*s=%.*s; want %s=%s\n", i, (int)p->name_len, p->name, (int)p->value_len,
		            p->value, name, value);
	assert_int_equal(p->name_len, strlen(name));
	assert_memory_equal(p->name, name, p->name_len);
	assert_int_equal(p->value_len, strlen(value));
	assert_memory_equal(p->value, value, p->value_len);
}

static void test_static_segment_wins_over_a_parameter(void **state)
{
	axr_route_match_t m;
	expect_route(state, AXR_HTTP_GET, "/users/me", 2);
	assert_int_equal(match(state, AXR_HTTP_GET, "/users/me", &m), 0);
	assert_int_equal(m.nparams, 0);
	expect_route(state, AXR_HTTP_GET, "/users/mee", 3);
	expect_route(state, AXR_HTTP_GET, "/users/m", 3);
}

static void test_parameter_takes_the_segment_when_no_static_one_matches(void **state)
{
	axr_route_match_t m;
	expect_route(state, AXR_HTTP_GET, "/users/42", 3);
	assert_int_equal(match(state, AXR_HTTP_GET, "/users/42", &m), 0);
	assert_int_equal(m.nparams, 1);
	expect_param(&m, 0, "id", "42");
}

static void test_backtracks_when_the_static_branch_dead_ends(void **state)
{
	axr_route_match_t m;
	/* "b" is a static child of /a, but /a/b has no "d" below it. */
	expect_route(state, AXR_HTTP_GET, "/a/b/d", 8);
	assert_int_equal(match(state, AXR_HTTP_GET, "/a/b/d", &m), 0);
	expect_param(&m, 0, "x", "b");
	expect_route(state, AXR_HTTP_GET, "/a/b/c", 7);
	expect_route(state, AXR_HTTP_GET, "/a/zz/d", 8);
}

/* "/users/me" is a static node only because of "/users/me/..." routes: a path
 * ending there must still fall back to "/users/{id}". */
static void test_backtracks_when_the_static_branch_ends_on_a_node_without_routes(void **state)
{
	static const axr_route_t routes[] = {
		ROUTE(AXR_HTTP_GET, "/users/{id}"),
		ROUTE(AXR_HTTP_GET, "/users/me/friends"),
	};
	axr_router_t *r = axr_router_new();
	axr_route_match_t m;
	(void)state;
	assert_non_null(r);
	assert_int_equal(axr_router_add(r, &routes[0]), 0);
	assert_int_equal(axr_router_add(r, &routes[1]), 0);
	assert_int_equal(axr_router_match(r, AXR_HTTP_GET, "/users/me/friends", 17, &m), 0);
	assert_ptr_equal(m.route, &routes[1]);
	int rc = axr_router_match(r, AXR_HTTP_GET, "/users/me", 9, &m);
	const axr_route_t *got = m.route;
	axr_router_free(r);
	EXPECT_MSG(rc == 0 && got == &routes[0],
	          "router.c axr__find: the static child 'me' is returned although it holds no route, so "
	          "GET /users/me gives %s instead of matching /users/{id}", axr_errname(rc));
}

static void test_params_point_at_their_segments_of_the_path(void **state)
{
	static const char path[] = "/users/u%2F1/items/x-9";
	axr_route_match_t m;
	assert_int_equal(axr_router_match(*state, AXR_HTTP_GET, path, sizeof(path) - 1, &m), 0);
	assert_ptr_equal(m.route, &users_routes[6]);
	assert_int_equal(m.nparams, 2);
	expect_param(&m, 0, "id", "u%2F1");
	expect_param(&m, 1, "item", "x-9");
	/* Values point into the caller's path (still percent-encoded). */
	assert_ptr_equal(m.params[0].value, path + 7);
	assert_ptr_equal(m.params[1].value, path + 19);
}

static void test_trailing_slash_is_ignored(void **state)
{
	axr_route_match_t m;
	expect_route(state, AXR_HTTP_GET, "/users/", 0);
	expect_route(state, AXR_HTTP_GET, "/users//", 0);
	expect_route(state, AXR_HTTP_GET, "/users/42/", 3);
	assert_int_equal(match(state, AXR_HTTP_GET, "/users/42/", &m), 0);
	expect_param(&m, 0, "id", "42");
	expect_route(state, AXR_HTTP_GET, "/", 9);
}

static void test_unknown_paths_are_not_found(void **state)
{
	axr_route_match_t m;
	assert_int_equal(match(state, AXR_HTTP_GET, "/nope", &m), AXR_ENOTFOUND);
	assert_null(m.route);
	assert_int_equal(m.index, -1);
	assert_int_equal(match(state, AXR_HTTP_GET, "/users/42/items", &m), AXR_ENOTFOUND);
	assert_int_equal(match(state, AXR_HTTP_GET, "/users/42/extra/deep", &m), AXR_ENOTFOUND);
	assert_int_equal(match(state, AXR_HTTP_GET, "/a/b", &m), AXR_ENOTFOUND);
	assert_int_equal(match(state, AXR_HTTP_GET, "/Users", &m), AXR_ENOTFOUND);
	/* A parameter never matches an empty segment. */
	assert_int_equal(match(state, AXR_HTTP_GET, "/users//items/1", &m), AXR_ENOTFOUND);
}

static void test_head_falls_back_to_get(void **state)
{
	expect_route(state, AXR_HTTP_HEAD, "/users/42", 3);
	expect_route(state, AXR_HTTP_HEAD, "/users", 0);
	/* ...but a HEAD route of its own wins. */
	expect_route(state, AXR_HTTP_HEAD, "/files/x", 10);
	expect_route(state, AXR_HTTP_GET, "/files/x", 11);
}

static void test_wrong_method_is_405_with_the_allowed_methods(void **state)
{
	axr_route_match_t m;
	char allow[96];
	assert_int_equal(match(state, AXR_HTTP_PATCH, "/users/42", &m), AXR_EMETHOD);
	assert_null(m.route);
	unsigned want = 1u << AXR_HTTP_GET | 1u << AXR_HTTP_HEAD | 1u << AXR_HTTP_PUT | 1u << AXR_HTTP_DELETE;
	if (m.allow != want)
		print_error("allow 0x%x want 0x%x\n", m.allow, want);
	assert_int_equal(m.allow, want);
	axr_router_allow_string(m.allow, allow, sizeof(allow));
	assert_string_equal(allow, "GET, HEAD, PUT, DELETE");

	assert_int_equal(match(state, AXR_HTTP_DELETE, "/users", &m), AXR_EMETHOD);
	axr_router_allow_string(m.allow, allow, sizeof(allow));
	assert_string_equal(allow, "GET, HEAD, POST, OPTIONS");

	/* Allow names every route the path matches: /users/me's and /users/{id}'s. */
	assert_int_equal(match(state, AXR_HTTP_POST, "/users/me", &m), AXR_EMETHOD);
	axr_router_allow_string(m.allow, allow, sizeof(allow));
	assert_string_equal(allow, "GET, HEAD, PUT, DELETE");
}

/* "/users/me" serves GET only: PUT and DELETE of that path belong to
 * "/users/{id}" with id "me" (the account service's PUT /users/me). */
static void test_a_static_route_without_the_method_falls_back_to_the_parameter(void **state)
{
	axr_route_match_t m;
	expect_route(state, AXR_HTTP_PUT, "/users/me", 4);
	assert_int_equal(match(state, AXR_HTTP_PUT, "/users/me", &m), 0);
	expect_param(&m, 0, "id", "me");
	expect_route(state, AXR_HTTP_DELETE, "/users/me", 5);
	expect_route(state, AXR_HTTP_GET, "/users/me", 2);
	expect_route(state, AXR_HTTP_HEAD, "/users/me", 2);
}

static void test_allow_string_never_overflows_its_buffer(void **state)
{
	char buf[8];
	unsigned all = (1u << AXR_HTTP_METHOD_COUNT) - 1;
	(void)state;
	memset(buf, 'x', sizeof(buf));
	axr_router_allow_string(all, buf, sizeof(buf));
	assert_true(memchr(buf, '\0', sizeof(buf)) != NULL);
	char full[96];
	axr_router_allow_string(all, full, sizeof(full));
	assert_string_equal(full, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
	axr_router_allow_string(0, full, sizeof(full));
	assert_string_equal(full, "");
}

static void test_route_indexes_are_dense_in_insertion_order(void **state)
{
	assert_int_equal(axr_router_count(*state), (int)NUSERS);
	for (size_t i = 0; i < NUSERS; i++)
		assert_ptr_equal(axr_router_route(*state, (int)i), &users_routes[i]);
	assert_null(axr_router_route(*state, -1));
	assert_null(axr_router_route(*state, (int)NUSERS));
}

static void test_same_method_and_shape_twice_is_eexists(void **state)
{
	static const axr_route_t dup[] = {
		ROUTE(AXR_HTTP_GET, "/users/{uid}"),        /* same shape as /users/{id} */
		ROUTE(AXR_HTTP_GET, "/users/me/"),          /* same as /users/me */
		ROUTE(AXR_HTTP_POST, "/users"),
		ROUTE(AXR_HTTP_GET, "/"),
	};
	static const axr_route_t fresh = ROUTE(AXR_HTTP_PATCH, "/users/{other}");
	for (size_t i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
		int rc = axr_router_add(*state, &dup[i]);
		if (rc != AXR_EEXISTS)
			print_error("%s %s: %s want EEXISTS\n", axr_http_method_name(dup[i].method), dup[i].path,
			            axr_errname(rc));
		assert_int_equal(rc, AXR_EEXISTS);
	}
	assert_int_equal(axr_router_count(*state), (int)NUSERS);
	/* Another method on an existing shape is fine. */
	assert_int_equal(axr_router_add(*state, &fresh), 0);
	assert_int_equal(axr_router_count(*state), (int)NUSERS + 1);
}

static void test_malformed_templates_are_einval(void **state)
{
	static const char *const bad[] = {
		"", "users", "{id}", "/users/{}", "/users/{id", "/users/id}", "/users/x{id}", "/users/{id}x",
		"/users/{a{b}}", "/users/{a}{b}",
	};
	axr_router_t *r = axr_router_new();
	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		axr_route_t route = ROUTE(AXR_HTTP_GET, bad[i]);
		int rc = axr_router_add(r, &route);
		if (rc != AXR_EINVAL)
			print_error("template '%s': %s want EINVAL\n", bad[i], axr_errname(rc));
		assert_int_equal(rc, AXR_EINVAL);
	}
	axr_route_t no_path = ROUTE(AXR_HTTP_GET, NULL);
	assert_int_equal(axr_router_add(r, &no_path), AXR_EINVAL);
	axr_route_t bad_method = ROUTE(AXR_HTTP_METHOD_COUNT, "/x");
	assert_int_equal(axr_router_add(r, &bad_method), AXR_EINVAL);
	axr_route_t negative_method = ROUTE(-1, "/x");
	assert_int_equal(axr_router_add(r, &negative_method), AXR_EINVAL);
	assert_int_equal(axr_router_count(r), 0);
	axr_router_free(r);
}

static void test_templates_deeper_than_the_limit_are_einval(void **state)
{
	static char ok[2 * AXR_ROUTER_MAX_DEPTH + 1];
	static char deep[2 * AXR_ROUTER_MAX_DEPTH + 3];
	axr_router_t *r = axr_router_new();
	size_t off = 0;
	(void)state;
	assert_non_null(r);
	for (int i = 0; i < AXR_ROUTER_MAX_DEPTH; i++)
		off += (size_t)snprintf(ok + off, sizeof(ok) - off, "/s");
	memcpy(deep, ok, off);
	memcpy(deep + off, "/s", 3);
	axr_route_t at_limit = ROUTE(AXR_HTTP_GET, ok);
	axr_route_t over = ROUTE(AXR_HTTP_GET, deep);
	assert_int_equal(axr_router_add(r, &at_limit), 0);
	assert_int_equal(axr_router_add(r, &over), AXR_EINVAL);
	axr_route_match_t m;
	assert_int_equal(axr_router_match(r, AXR_HTTP_GET, ok, strlen(ok), &m), 0);
	assert_int_equal(axr_router_match(r, AXR_HTTP_GET, deep, strlen(deep), &m), AXR_ENOTFOUND);
	axr_router_free(r);
}

static void test_empty_router_finds_nothing(void **state)
{
	axr_router_t *r = axr_router_new();
	axr_route_match_t m;
	(void)state;
	assert_non_null(r);
	assert_int_equal(axr_router_count(r), 0);
	assert_int_equal(axr_router_match(r, AXR_HTTP_GET, "/", 1, &m), AXR_ENOTFOUND);
	assert_int_equal(axr_router_match(r, AXR_HTTP_GET, "/x", 2, &m), AXR_ENOTFOUND);
	axr_router_free(r);
	axr_router_free(NULL);
}

static void test_sixteen_parameters_are_bound(void **state)
{
	static const char tmpl[] = "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}/{o}/{p}";
	static const char path[] = "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16";
	static const axr_route_t route = ROUTE(AXR_HTTP_GET, tmpl);
	axr_router_t *r = axr_router_new();
	axr_route_match_t m;
	(void)state;
	assert_non_null(r);
	assert_int_equal(axr_router_add(r, &route), 0);
	assert_int_equal(axr_router_match(r, AXR_HTTP_GET, path, sizeof(path) - 1, &m), 0);
	assert_int_equal(m.nparams, AXR_ROUTER_MAX_PARAMS);
	expect_param(&m, 0, "a", "1");
	expect_param(&m, 15, "p", "16");
	axr_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_static_segment_wins_over_a_parameter, setup_users, teardown_router),
		cmocka_unit_test_setup_teardown(test_a_static_route_without_the_method_falls_back_to_the_parameter,
		                                setup_users, teardown_router),
		cmocka_unit_test_setup_teardown(test_parameter_takes_the_segment_when_no_static_one_matches, setup_users,
		                                teardown_router),
		cmocka_unit_test_setup_teardown(test_backtracks_when_the_static_branch_dead_ends, setup_users,
		                                teardown_router),
		cmocka_unit_test(test_backtracks_when_the_static_branch_ends_on_a_node_without_routes),
		cmocka_unit_test_setup_teardown(test_params_point_at_their_segments_of_the_path, setup_users,
		                                teardown_router),
		cmocka_unit_test_setup_teardown(test_trailing_slash_is_ignored, setup_users, teardown_router),
		cmocka_unit_test_setup_teardown(test_unknown_paths_are_not_found, setup_users, teardown_router),
		cmocka_unit_test_setup_teardown(test_head_falls_back_to_get, setup_users, teardown_router),
		cmocka_unit_test_setup_teardown(test_wrong_method_is_405_with_the_allowed_methods, setup_users,
		                                teardown_router),
		cmocka_unit_test(test_allow_string_never_overflows_its_buffer),
		cmocka_unit_test_setup_teardown(test_route_indexes_are_dense_in_insertion_order, setup_users,
		                                teardown_router),
		cmocka_unit_test_setup_teardown(test_same_method_and_shape_twice_is_eexists, setup_users, teardown_router),
		cmocka_unit_test(test_malformed_templates_are_einval),
		cmocka_unit_test(test_templates_deeper_than_the_limit_are_einval),
		cmocka_unit_test(test_empty_router_finds_nothing),
		cmocka_unit_test(test_sixteen_parameters_are_bound),
	};
	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
