/* guestbook_client.c: a short program using the generated guestbook client
 * against an installed copy of axr (docs/clients.md):
 *
 *   cc -o guestbook_client guestbook_client.c $(pkg-config --cflags --libs axr-guestbook-client)
 *   ./guestbook_client http://127.0.0.1:8080/v1 "$TOKEN" "hello"
 *
 * It writes an entry with MESSAGE, then lists the caller's entries. Output:
 * "created <uid> <message>", "listed <n>", one "entry <uid> <message>" per
 * entry; on failure "error: <code> <status> <message>" and exit status 1. */
#include <stdio.h>

#include "err.h"
#include "guestbook_client.h"

static int fail(const char *what, int rc, const axr_client_error_t *err)
{
	fprintf(stderr, "%s failed (%s)\n", what, axr_errname(rc));
	printf("error: %s %d %s\n", err->code, err->status, err->message);
	for (size_t i = 0; i < err->n_errors; i++)
		printf("  %s: %s\n", err->errors[i].path, err->errors[i].message);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s BASE_URL TOKEN MESSAGE\n", argv[0]);
		return 2;
	}
	axr_client_options_t o = {.base_url = argv[1], .timeout_ms = 10000};
	axr_client_t *c = NULL;
	axr_arena_t *arena = NULL;
	axr_client_error_t err = {0};
	int status = 1;
	if (axr_client_new(&o, &c) != 0 || axr_client_set_token(c, argv[2]) != 0) {
		fprintf(stderr, "bad base URL or token\n");
		goto done;
	}
	arena = axr_arena_new(0); /* every result and error string of this program */
	if (arena == NULL)
		goto done;

	Guestbook__Entry entry = GUESTBOOK__ENTRY__INIT;
	entry.message = argv[3];
	Guestbook__Entry *created = NULL;
	int rc = guestbook_client_create_entry(c, &entry, NULL, &created, arena, &err);
	if (rc != 0) {
		status = fail("createEntry", rc, &err);
		goto done;
	}
	printf("created %s %s\n", created->uid, created->message);

	Guestbook__FindEntriesInput filters = GUESTBOOK__FIND_ENTRIES_INPUT__INIT;
	filters.has_limit = 1;
	filters.limit = 50;
	Guestbook__EntryList *list = NULL;
	rc = guestbook_client_find_entries(c, &filters, &list, arena, &err);
	if (rc != 0) {
		status = fail("findEntries", rc, &err);
		goto done;
	}
	printf("listed %zu\n", list->n_items);
	for (size_t i = 0; i < list->n_items; i++)
		printf("entry %s %s\n", list->items[i]->uid, list->items[i]->message);
	status = 0;
done:
	axr_arena_free(arena); /* the results and the error strings */
	axr_client_free(c);
	return status;
}
