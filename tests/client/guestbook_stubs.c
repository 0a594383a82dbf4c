/* guestbook_stubs.c: every kind of generated stub of the guestbook client against a real
 * axr-guestbook, built by tests/client/install.test.sh against the installed copy.
 * Usage: guestbook_stubs BASE_URL TOKEN. Prints one "ok - NAME" or "not ok - NAME: WHY"
 * line per case; exits 1 when one failed. */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "err.h"
#include "guestbook_client.h"

static int failed;

static void check(int cond, const char *name, const char *fmt, const char *a, const char *b)
{
	if (cond) {
		printf("ok - %s\n", name);
		return;
	}
	printf("not ok - %s: ", name);
	printf(fmt, a, b);
	printf("\n");
	failed = 1;
}

/* Async calls: each callback records what it got. */
typedef struct result {
	int done;
	int rc;
	int status;
	char message[64];
	char uid[64];
} result_t;

static void on_entry(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	result_t *r = ud;
	r->done++;
	r->rc = rc;
	r->status = err->status;
	if (rc == 0 && out != NULL) {
		const Guestbook__Entry *e = (const Guestbook__Entry *)out;
		snprintf(r->message, sizeof(r->message), "%s", e->message ? e->message : "");
		snprintf(r->uid, sizeof(r->uid), "%s", e->uid ? e->uid : "");
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s BASE_URL TOKEN\n", argv[0]);
		return 2;
	}
	axr_client_options_t o = {.base_url = argv[1], .timeout_ms = 10000};
	axr_client_t *c = NULL;
	struct event_base *base = event_base_new();
	axr_arena_t *arena = axr_arena_new(0);
	axr_client_error_t err = {0};
	char got[128];
	if (base == NULL || arena == NULL || axr_client_new(&o, &c) != 0 || axr_client_set_token(c, argv[2]) != 0) {
		printf("not ok - setup\n");
		return 1;
	}

	/* Three creates in flight at once on the caller's loop. */
	result_t created[3] = {{0}};
	const char *texts[3] = {"async one", "async two", "async three"};
	int started = 0;
	for (int i = 0; i < 3; i++) {
		Guestbook__Entry e = GUESTBOOK__ENTRY__INIT;
		e.message = (char *)(uintptr_t)texts[i];
		started += guestbook_client_create_entry_async(c, base, &e, NULL, arena, &err, on_entry, &created[i]) == 0;
	}
	event_base_dispatch(base);
	int all = started == 3;
	for (int i = 0; i < 3; i++)
		all = all && created[i].done == 1 && created[i].rc == 0 && strcmp(created[i].message, texts[i]) == 0;
	snprintf(got, sizeof(got), "%d started, first rc %d status %d", started, created[0].rc, created[0].status);
	check(all, "async-creates-in-flight-together-each-callback-once", "%s%s", got, "");

	/* The libuv contract: a call refused before sending never calls back. */
	result_t refused = {0};
	Guestbook__Entry empty = GUESTBOOK__ENTRY__INIT;
	empty.message = "";
	int rc = guestbook_client_create_entry_async(c, base, &empty, NULL, arena, &err, on_entry, &refused);
	event_base_dispatch(base);
	check(rc == AXR_EVALIDATION && refused.done == 0 && err.kind == AXR_CLIENT_ERR_LOCAL && err.n_errors > 0 &&
		      strcmp(err.errors[0].path, "/message") == 0,
	      "async-validation-failure-returns-and-never-calls-back", "rc %s, path %s", axr_errname(rc),
	      err.n_errors ? err.errors[0].path : "(none)");

	/* Path parameter as an argument, a hand-written handler (pin). */
	Guestbook__Entry *pinned = NULL;
	rc = guestbook_client_pin_entry(c, created[0].uid, NULL, &pinned, arena, &err);
	check(rc == 0 && pinned != NULL && pinned->has_pinned && pinned->pinned && strcmp(pinned->uid, created[0].uid) == 0,
	      "blocking-pin-with-a-path-argument", "rc %s %s", axr_errname(rc), rc ? err.message : "");

	/* Path argument, body argument, optional query parameter through opts. */
	Guestbook__Entry change = GUESTBOOK__ENTRY__INIT;
	change.message = "changed";
	Guestbook__UpdateEntryInput opts = GUESTBOOK__UPDATE_ENTRY_INPUT__INIT;
	opts.has_version = 1;
	opts.version = 0;
	Guestbook__Entry *updated = NULL;
	rc = guestbook_client_update_entry(c, created[1].uid, &change, &opts, &updated, arena, &err);
	check(rc == 0 && updated && strcmp(updated->message, "changed") == 0 && updated->version == 1,
	      "blocking-update-with-path-body-and-opts-version", "rc %s %s", axr_errname(rc), rc ? err.message : "");
	rc = guestbook_client_update_entry(c, created[1].uid, &change, &opts, &updated, arena, &err);
	check(rc != 0 && err.kind == AXR_CLIENT_ERR_HTTP && err.status == 409, "stale-version-is-an-http-409",
	      "rc %s code %s", axr_errname(rc), err.code ? err.code : "");

	/* No response body: delete (204) and count (HEAD), blocking and async. */
	rc = guestbook_client_delete_entry(c, created[2].uid, NULL, arena, &err);
	check(rc == 0, "blocking-delete-without-out", "rc %s %s", axr_errname(rc), rc ? err.message : "");
	result_t counted = {0};
	int64_t total = -2; /* the caller's entries: the three above less one, and any an earlier program left */
	rc = guestbook_client_count_entries_async(c, base, NULL, &total, arena, &err, on_entry, &counted);
	event_base_dispatch(base);
	snprintf(got, sizeof(got), "%lld", (long long)total);
	check(rc == 0 && counted.done == 1 && counted.rc == 0 && total >= 2, "async-count-without-a-body-fills-total",
	      "rc %s, total %s", axr_errname(rc), got);

	/* A list through opts (limit), an array answer as `items`. */
	Guestbook__FindEntriesInput filters = GUESTBOOK__FIND_ENTRIES_INPUT__INIT;
	filters.has_limit = 1;
	filters.limit = 1;
	Guestbook__EntryList *list = NULL;
	rc = guestbook_client_find_entries(c, &filters, &list, arena, &err);
	check(rc == 0 && list && list->n_items == 1, "blocking-list-honours-opts-limit", "rc %s%s", axr_errname(rc), "");
	filters.limit = 10;
	rc = guestbook_client_find_entries(c, &filters, &list, arena, &err);
	check(rc == 0 && list && list->n_items == 2, "blocking-list-after-delete-has-two", "rc %s%s", axr_errname(rc),
	      "");

	/* An HTTP error through the async path: the callback gets it. */
	result_t missing = {0};
	rc = guestbook_client_find_entry_async(c, base, "00000000-0000-4000-8000-000000000000", NULL, arena, &err,
					       on_entry, &missing);
	event_base_dispatch(base);
	check(rc == 0 && missing.done == 1 && missing.rc == AXR_ENOTFOUND && missing.status == 404,
	      "async-not-found-arrives-in-the-callback", "rc %s%s", axr_errname(missing.rc), "");

	/* NULL arena: the result owns its memory. */
	Guestbook__Entry *own = NULL;
	axr_client_error_t own_err = {0};
	rc = guestbook_client_find_entry(c, created[0].uid, NULL, &own, NULL, &own_err);
	check(rc == 0 && own && strcmp(own->uid, created[0].uid) == 0, "null-arena-result-is-freed-by-its-owner",
	      "rc %s%s", axr_errname(rc), "");
	axr_client_result_free(own ? &own->base : NULL);
	axr_client_error_free(&own_err);

	axr_client_free(c);
	event_base_free(base);
	axr_arena_free(arena);
	return failed;
}
