/* guestbook.c: the guestbook reference service driven through its generated C client (run by tests/guestbook/client.test.sh). */
/*
 * Settings: AXR_IT_GUESTBOOK_URL (http://127.0.0.1:PORT of a fresh axr-guestbook).
 * Players A, B and C and an admin get tokens from the test key. Every case goes
 * through guestbook_client_*() (blocking and async); the list filters and the
 * HEAD count's X-Total-Count go through the client runtime's raw axr_client_send(),
 * because the typed stubs cannot carry them (reported in the case names).
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "guestbook_client.h"
#include "it_calls.h"

#define UID_A "11111111-1111-4111-8111-111111111111"
#define UID_B "22222222-2222-4222-8222-222222222222"
#define UID_C "cccccccc-3333-4333-8333-333333333333"

static const axr_route_t *route(int row)
{
	return &guestbook_client_routes[row];
}

static Guestbook__Entry entry(const char *message)
{
	Guestbook__Entry e = GUESTBOOK__ENTRY__INIT;
	e.message = IT_STR(message);
	return e;
}

/* The server's field errors of a body sent without client-side validation, and the client's own. */
static void validation_case(axr_client_t *c, axr_arena_t *arena, const char *name, Guestbook__Entry *e,
                            const char *path)
{
	Guestbook__CreateEntryInput in = GUESTBOOK__CREATE_ENTRY_INPUT__INIT;
	axr_client_error_t local = {0}, remote = {0};
	ProtobufCMessage *out = NULL;
	int lrc, rrc;
	char where[64];
	in.body = e;
	lrc = guestbook_client_create_entry(c, e, NULL, NULL, arena, &local);
	rrc = it_call(c, route(GUESTBOOK_CLIENT_CREATE_ENTRY), &in.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, &out, arena,
	              &remote);
	snprintf(where, sizeof where, "%s", it_paths(&local));
	it_check(it_local_invalid(lrc, &local, path) && it_http(rrc, &remote, 400, "VALIDATION") && it_has_path(&remote, path),
	         name, "want %s both sides; client: %s [%s]; server: %s [%s]", path, it_e(lrc, &local), where,
	         it_e(rrc, &remote), it_paths(&remote));
}

typedef struct async_list {
	int calls;
	int rc;
	size_t n;
} async_list_t;

static void on_list(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	async_list_t *r = ud;
	(void)err;
	r->calls++;
	r->rc = rc;
	r->n = rc == 0 && out ? ((Guestbook__EntryList *)out)->n_items : 0;
}

int main(void)
{
	const char *url = it_env("AXR_IT_GUESTBOOK_URL");
	axr_client_t *a = it_client(url, it_mint(UID_A, NULL));
	axr_client_t *b = it_client(url, it_mint(UID_B, NULL));
	axr_client_t *cc = it_client(url, it_mint(UID_C, NULL));
	axr_client_t *admin = it_client(url, it_mint("33333333-3333-4333-8333-333333333333", "admin"));
	axr_client_t *anon = it_client(url, NULL);
	axr_arena_t *arena = axr_arena_new(0);
	axr_client_error_t err = {0};
	Guestbook__Entry *got = NULL, *created = NULL;
	Guestbook__EntryList *list = NULL;
	char id[64] = "";
	int rc;

	/* ---- create and read, ownership ---- */
	Guestbook__Entry hello = entry("hello from alice");
	rc = guestbook_client_create_entry(a, &hello, NULL, &created, arena, &err);
	it_check(rc == 0 && created && created->uid && strlen(created->uid) == 36 && created->author_uid &&
	             strcmp(created->author_uid, UID_A) == 0 && created->has_version && created->version == 0 &&
	             strcmp(created->message, "hello from alice") == 0 && created->date_created,
	         "create-answers-201-with-uid-author-version-0-and-dates", "%s",
	         rc ? it_e(rc, &err) : created->author_uid ? created->author_uid : "(no author)");
	if (rc == 0)
		snprintf(id, sizeof id, "%s", created->uid);

	rc = guestbook_client_find_entry(a, id, NULL, &got, arena, &err);
	it_check(rc == 0 && strcmp(got->message, "hello from alice") == 0 && strcmp(got->uid, id) == 0,
	         "the-author-reads-the-entry", "%s", it_e(rc, &err));
	rc = guestbook_client_find_entry(b, id, NULL, &got, arena, &err);
	it_check(it_http(rc, &err, 404, "NOTFOUND") && rc == AXR_ENOTFOUND, "another-players-entry-is-404-notfound", "%s",
	         it_e(rc, &err));
	rc = guestbook_client_find_entries(b, NULL, &list, arena, &err);
	it_check(rc == 0 && list && list->n_items == 0, "another-player-lists-none-of-it", "%s, %zu items",
	         it_e(rc, &err), rc ? 0 : list->n_items);
	rc = guestbook_client_find_entry(admin, id, NULL, &got, arena, &err);
	it_check(rc == 0 && strcmp(got->author_uid, UID_A) == 0, "an-admin-reads-any-entry", "%s", it_e(rc, &err));
	rc = guestbook_client_find_entries(anon, NULL, &list, arena, &err);
	it_check(it_http(rc, &err, 401, NULL) && rc == AXR_EUNAUTHORIZED, "no-token-is-401", "%s", it_e(rc, &err));

	/* ---- validation: the same field paths from the client (nothing sent) and the server ---- */
	Guestbook__Entry ro = entry("x");
	ro.has_pinned = 1;
	ro.pinned = 1;
	validation_case(a, arena, "a-read-only-property-is-400-at-/pinned-client-and-server", &ro, "/pinned");
	Guestbook__Entry none = GUESTBOOK__ENTRY__INIT;
	validation_case(a, arena, "a-missing-message-is-400-at-/message-client-and-server", &none, "/message");
	char longmsg[502];
	memset(longmsg, 'a', 501);
	longmsg[501] = '\0';
	Guestbook__Entry toolong = entry(longmsg);
	validation_case(a, arena, "a-501-character-message-is-400-at-/message-client-and-server", &toolong, "/message");
	Guestbook__Entry empty = entry("");
	validation_case(a, arena, "an-empty-message-is-400-at-/message-client-and-server", &empty, "/message");

	Guestbook__Entry forb = entry("x");
	forb.author_uid = IT_STR(UID_B);
	rc = guestbook_client_create_entry(a, &forb, NULL, NULL, arena, &err);
	it_check(it_http(rc, &err, 403, NULL) && rc == AXR_EFORBIDDEN, "writing-for-someone-else-is-403", "%s",
	         it_e(rc, &err));

	/* ---- lists: sort and paging through the stub; filters through a raw request ---- */
	const char *msgs[5] = {"m3 cherry", "m1 apple", "m5 elder", "m2 banana", "m4 date"};
	int made = 0;
	for (int i = 0; i < 5; i++) {
		Guestbook__Entry e = entry(msgs[i]);
		made += guestbook_client_create_entry(cc, &e, NULL, NULL, arena, &err) == 0;
	}
	Guestbook__FindEntriesInput q = GUESTBOOK__FIND_ENTRIES_INPUT__INIT;
	q.has_limit = q.has_page = 1;
	q.limit = 2;
	q.sort = IT_STR("message");
	char pages[256] = "";
	for (q.page = 0; q.page < 3; q.page++) {
		rc = guestbook_client_find_entries(cc, &q, &list, arena, &err);
		if (rc != 0)
			break;
		strcat(pages, "[");
		for (size_t i = 0; i < list->n_items; i++)
			snprintf(pages + strlen(pages), sizeof pages - strlen(pages), "%s%.2s", i ? "," : "", list->items[i]->message);
		strcat(pages, "]");
	}
	it_check(made == 5 && rc == 0 && strcmp(pages, "[m1,m2][m3,m4][m5]") == 0,
	         "sorted-by-message-two-per-page-three-pages", "%d made, %s, pages %s", made, it_e(rc, &err), pages);
	q.has_page = 0;
	q.limit = 1;
	q.sort = IT_STR("{\"message\":\"DESC\"}");
	rc = guestbook_client_find_entries(cc, &q, &list, arena, &err);
	it_check(rc == 0 && list->n_items == 1 && strcmp(list->items[0]->message, "m5 elder") == 0,
	         "sort-as-a-json-object-descending", "%s, first %s", it_e(rc, &err),
	         rc == 0 && list->n_items ? list->items[0]->message : "-");
	q.sort = IT_STR("uid;DROP TABLE entry");
	rc = guestbook_client_find_entries(cc, &q, &list, arena, &err);
	it_check(it_http(rc, &err, 400, "VALIDATION") && it_has_path(&err, "/query/sort"), "a-sort-injection-is-400", "%s", it_e(rc, &err));
	q.sort = NULL;
	q.limit = 1001;
	rc = guestbook_client_find_entries(cc, &q, &list, arena, &err);
	char lpaths[128];
	snprintf(lpaths, sizeof lpaths, "%s", it_paths(&err));
	int lrc = rc;
	axr_client_error_t serr = {0};
	rc = it_call(cc, route(GUESTBOOK_CLIENT_FIND_ENTRIES), &q.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, NULL, arena,
	             &serr);
	it_check(lrc == AXR_EVALIDATION && err.kind == AXR_CLIENT_ERR_LOCAL && it_http(rc, &serr, 400, "VALIDATION") &&
	             strcmp(lpaths, it_paths(&serr)) == 0,
	         "limit-1001-is-400-with-the-same-field-path-from-client-and-server", "client [%s]; server %s [%s]", lpaths,
	         it_e(rc, &serr), it_paths(&serr));

	axr_client_response_t resp;
	rc = it_raw(cc, AXR_HTTP_GET, "/entries?message=like(m2%25)", NULL, arena, &resp);
	it_check(rc == 0 && resp.status == 200 && strstr(resp.body, "m2 banana") && !strstr(resp.body, "m1 apple"),
	         "raw-filter-like-finds-one-entry-typed-stub-has-no-filter-parameters", "rc %d status %d %s", rc,
	         resp.status, rc ? "" : resp.body);
	rc = it_raw(cc, AXR_HTTP_GET, "/entries?bogus=1", NULL, arena, &resp);
	axr_client_error_from_response(&resp, arena, &err);
	it_check(rc == 0 && resp.status == 400 && it_has_path(&err, "/query/bogus"), "raw-unknown-filter-is-400-at-/query/bogus",
	         "rc %d status %d %s", rc, resp.status, rc ? "" : resp.body);

	/* the query language's filters have no member in the input: _ex's call.query sends them */
	const char *like_m2[] = {"message", "like(m2%)"};
	axr_client_call_opts_t filtered = {.query = like_m2, .n_query = 1};
	rc = guestbook_client_find_entries_ex(cc, NULL, &filtered, &list, arena, &err);
	it_check(rc == 0 && list->n_items == 1 && strcmp(list->items[0]->message, "m2 banana") == 0,
	         "filter-like-through-the-ex-stubs-query-finds-one-entry", "%s, %zu items, first %s", it_e(rc, &err),
	         rc ? 0 : list->n_items, rc == 0 && list->n_items ? list->items[0]->message : "-");
	int64_t counted = -2;
	rc = guestbook_client_count_entries(cc, NULL, &counted, arena, &err);
	long total = it_total_count(cc, "/entries", arena);
	it_check(rc == 0 && counted == 5 && total == 5, "head-count-stub-gives-x-total-count-5-as-its-total",
	         "stub %s total %lld, read raw %ld", it_e(rc, &err), (long long)counted, total);
	rc = guestbook_client_count_entries_ex(cc, NULL, &filtered, &counted, arena, &err);
	it_check(rc == 0 && counted == 1, "count-with-a-filter-through-the-ex-stubs-query-is-1", "%s, total %lld",
	         it_e(rc, &err), (long long)counted);
	total = it_total_count(b, "/entries", arena);
	it_check(total == 0, "another-players-count-is-0", "count %ld", total);

	async_list_t al = {0};
	struct event_base *base = event_base_new();
	q.limit = 3;
	rc = guestbook_client_find_entries_async(cc, base, &q, arena, &err, on_list, &al);
	event_base_dispatch(base);
	it_check(rc == 0 && al.calls == 1 && al.rc == 0 && al.n == 3, "async-list-with-limit-3", "start %s, %d calls rc %d n %zu",
	         it_e(rc, &err), al.calls, al.rc, al.n);
	event_base_free(base);

	/* ---- optimistic locking, ownership of writes, pin, delete ---- */
	Guestbook__Entry change = entry("changed");
	Guestbook__UpdateEntryInput v = GUESTBOOK__UPDATE_ENTRY_INPUT__INIT;
	v.has_version = 1;
	v.version = 0;
	rc = guestbook_client_update_entry(a, id, &change, &v, &got, arena, &err);
	it_check(rc == 0 && strcmp(got->message, "changed") == 0 && got->version == 1,
	         "update-with-the-current-version-answers-version-1", "%s", it_e(rc, &err));
	Guestbook__Entry again = entry("again");
	rc = guestbook_client_update_entry(a, id, &again, &v, &got, arena, &err);
	it_check(it_http(rc, &err, 409, "CONFLICT") && it_has_path(&err, "/version"), "update-with-a-stale-version-is-409", "%s", it_e(rc, &err));
	rc = guestbook_client_find_entry(a, id, NULL, &got, arena, &err);
	it_check(rc == 0 && strcmp(got->message, "changed") == 0 && got->version == 1, "the-stale-update-changed-nothing",
	         "%s %s v%lld", it_e(rc, &err), rc ? "" : got->message, rc ? 0LL : (long long)got->version);
	v.version = 1;
	Guestbook__Entry mine = entry("mine");
	rc = guestbook_client_update_entry(b, id, &mine, &v, &got, arena, &err);
	it_check(it_http(rc, &err, 404, NULL), "another-player-cannot-update-404", "%s", it_e(rc, &err));
	rc = guestbook_client_pin_entry(b, id, NULL, &got, arena, &err);
	it_check(it_http(rc, &err, 404, NULL), "another-player-cannot-pin-404", "%s", it_e(rc, &err));
	rc = guestbook_client_delete_entry(b, id, NULL, arena, &err);
	it_check(it_http(rc, &err, 404, NULL), "another-player-cannot-delete-404", "%s", it_e(rc, &err));
	rc = guestbook_client_pin_entry(a, id, NULL, &got, arena, &err);
	it_check(rc == 0 && got->has_pinned && got->pinned && got->version == 2, "the-author-pins-version-2", "%s",
	         it_e(rc, &err));
	v.version = 2;
	Guestbook__Entry moderated = entry("moderated");
	rc = guestbook_client_update_entry(admin, id, &moderated, &v, &got, arena, &err);
	it_check(rc == 0 && strcmp(got->message, "moderated") == 0 && strcmp(got->author_uid, UID_A) == 0 && got->version == 3,
	         "an-admin-updates-anyones-entry-author-kept", "%s", it_e(rc, &err));

	/* ---- an author cannot give an entry away; gone is gone ---- */
	Guestbook__Entry give = entry("yours now");
	give.author_uid = IT_STR(UID_B);
	v.version = 3;
	rc = guestbook_client_update_entry(a, id, &give, &v, &got, arena, &err);
	int gave = rc == 0;
	char gwhy[600];
	snprintf(gwhy, sizeof gwhy, "%s", it_e(rc, &err));
	rc = guestbook_client_find_entry(a, id, NULL, &got, arena, &err);
	it_check(!gave && rc == 0 && strcmp(got->author_uid, UID_A) == 0 && got->version == 3,
	         "an-author-changing-authoruid-to-another-player-is-refused-and-nothing-changes", "update %s; after: %s %s v%lld",
	         gwhy, it_e(rc, &err), rc == 0 ? got->author_uid : "-", rc == 0 ? (long long)got->version : -1LL);
	Guestbook__Entry forb2 = entry("for bob");
	forb2.author_uid = IT_STR(UID_B);
	rc = guestbook_client_create_entry(admin, &forb2, NULL, &created, arena, &err);
	char bobs[64] = "";
	if (rc == 0)
		snprintf(bobs, sizeof bobs, "%s", created->uid);
	int brc = guestbook_client_find_entry(b, bobs, NULL, &got, arena, &err);
	it_check(rc == 0 && strcmp(created->author_uid, UID_B) == 0 && brc == 0, "an-admin-writes-an-entry-for-a-player-who-then-owns-it",
	         "%s, bob reads: %d", it_e(rc, &err), brc);
	q.has_page = 1;
	q.page = 1000;
	q.limit = 10;
	rc = guestbook_client_find_entries(cc, &q, &list, arena, &err);
	it_check(rc == 0 && list->n_items == 0, "a-page-past-the-end-is-empty", "%s", it_e(rc, &err));
	q.has_page = 0;

	/* ---- protobuf on the wire ---- */
	axr_client_options_t po = {.base_url = url, .timeout_ms = 15000, .flags = AXR_CLIENT_PROTOBUF};
	axr_client_t *pb = NULL;
	rc = axr_client_new(&po, &pb);
	if (rc == 0)
		rc = axr_client_set_token(pb, it_mint(UID_A, NULL));
	Guestbook__Entry viapb = entry("sent as protobuf");
	Guestbook__Entry *pbe = NULL;
	if (rc == 0)
		rc = guestbook_client_create_entry(pb, &viapb, NULL, &pbe, arena, &err);
	it_check(rc == 0 && pbe && strcmp(pbe->message, "sent as protobuf") == 0 && strcmp(pbe->author_uid, UID_A) == 0 &&
	             pbe->version == 0,
	         "protobuf-client-creates-and-decodes-the-answer", "%s", it_e(rc, &err));
	char pbid[64] = "";
	if (rc == 0)
		snprintf(pbid, sizeof pbid, "%s", pbe->uid);
	rc = guestbook_client_find_entry(a, pbid, NULL, &got, arena, &err);
	it_check(rc == 0 && strcmp(got->message, "sent as protobuf") == 0, "a-json-client-reads-what-protobuf-wrote", "%s",
	         it_e(rc, &err));
	char target[128];
	snprintf(target, sizeof target, "/entries/%s", pbid);
	axr_client_request_t rr = {.method = AXR_HTTP_GET, .target = target, .accept = "application/x-protobuf"};
	axr_client_error_t rerr = {0};
	rc = axr_client_send(a, &rr, NULL, arena, &resp, &rerr);
	Guestbook__Entry *un = rc == 0 && resp.status == 200
	                           ? guestbook__entry__unpack(NULL, resp.body_len, (const uint8_t *)resp.body)
	                           : NULL;
	it_check(un && resp.content_type && strstr(resp.content_type, "protobuf") && un->message &&
	             strcmp(un->message, "sent as protobuf") == 0,
	         "the-server-answers-application-x-protobuf-when-asked", "rc %d status %d type %s", rc, resp.status,
	         resp.content_type ? resp.content_type : "-");
	if (un)
		guestbook__entry__free_unpacked(un, NULL);
	Guestbook__Entry pbro = entry("x");
	pbro.has_pinned = pbro.pinned = 1;
	Guestbook__CreateEntryInput pin = GUESTBOOK__CREATE_ENTRY_INPUT__INIT;
	pin.body = &pbro;
	rc = it_call(pb, route(GUESTBOOK_CLIENT_CREATE_ENTRY), &pin.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, NULL, arena, &err);
	it_check(it_http(rc, &err, 400, "VALIDATION") && it_has_path(&err, "/pinned"),
	         "a-protobuf-body-with-a-read-only-field-is-400-at-/pinned", "%s [%s]", it_e(rc, &err), it_paths(&err));

	rc = guestbook_client_delete_entry(a, id, NULL, arena, &err);
	it_check(rc == 0, "the-author-deletes-204", "%s", it_e(rc, &err));
	rc = guestbook_client_find_entry(a, id, NULL, &got, arena, &err);
	it_check(it_http(rc, &err, 404, NULL), "a-deleted-entry-is-404", "%s", it_e(rc, &err));
	rc = guestbook_client_delete_entry(a, id, NULL, arena, &err);
	int d2 = it_http(rc, &err, 404, NULL);
	v.version = 3;
	rc = guestbook_client_update_entry(a, id, &change, &v, &got, arena, &err);
	int u2 = it_http(rc, &err, 404, NULL);
	rc = guestbook_client_pin_entry(a, id, NULL, &got, arena, &err);
	it_check(d2 && u2 && it_http(rc, &err, 404, NULL), "a-deleted-entry-cannot-be-deleted-updated-or-pinned-404",
	         "delete %d update %d pin %s", d2, u2, it_e(rc, &err));
	rc = guestbook_client_delete_entry(admin, pbid, NULL, arena, &err);
	it_check(rc == 0, "an-admin-deletes-anyones-entry", "%s", it_e(rc, &err));

	axr_client_t *all[] = {pb, a, b, cc, admin, anon};
	return it_done(arena, all, 6);
}
