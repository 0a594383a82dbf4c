/* users_api.c: the /users/me and /users/{id} handlers of spec/account.yaml (read, update, delete), over the core. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "err.h"
#include "request.h"

#include "account_api.h"

/* GET /users/me and /users/{id}: the user with its ETag; another user's
 * record answers 404 like a missing one (the core filters by the caller). */
static int account__find(axr_request_t *req, const char *id, Account__User **out)
{
	account_api_call_t c;
	account_user_t u;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	if ((rc = account_user_get(c.acc, c.db, &c.caller, id, req->arena, &u)) != 0)
		return account_api_fail(req, rc, NULL);
	if (!(*out = account_api_user(req, &u)) || account_api_etag(req, u.version) != 0)
		return AXR_ENOMEM;
	return 0;
}

int account_find_me(axr_request_t *req, const Account__FindMeInput *in, Account__User **out)
{
	(void)in;
	return account__find(req, "me", out);
}

int account_find_user(axr_request_t *req, const Account__FindUserInput *in, Account__User **out)
{
	return account__find(req, in->id, out);
}

/* The version the caller read: If-Match: "<n>", else ?version=. 0 (with
 * upd->has_version false when neither was sent), or AXR_EVALIDATION after
 * answering 400 for a malformed If-Match. */
static int account__expected_version(axr_request_t *req, const Account__UpdateUserInput *in,
                                     account_user_update_t *upd)
{
	const char *h = axr_request_header(req, "If-Match");
	if (!h) {
		upd->has_version = in->has_version;
		upd->version = in->version;
		return 0;
	}
	size_t n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	while (n > 0 && (*h == ' ' || *h == '\t'))
		h++, n--;
	char digits[24];
	if (n >= 3 && n - 2 < sizeof digits && h[0] == '"' && h[n - 1] == '"' && h[1] >= '0' && h[1] <= '9') {
		char *end = NULL;
		memcpy(digits, h + 1, n - 2);
		digits[n - 2] = '\0';
		errno = 0;
		long long v = strtoll(digits, &end, 10);
		if (errno == 0 && *end == '\0') {
			upd->has_version = true;
			upd->version = v;
			return 0;
		}
	}
	account_problem_t problem = {.field = "/header/If-Match", .message = "must be a quoted version, e.g. \"3\""};
	return account_api_fail(req, AXR_EVALIDATION, &problem);
}

/*
 * Which properties the JSON body names, null ones included: the typed input
 * cannot tell `"locale": null` (clear it) from no `locale` (keep it), nor
 * `"roles": []` from no `roles`. The body was validated already, so it
 * parses; a protobuf body has no nulls and only non-empty repeated fields.
 */
typedef struct account__present {
	bool email, given_name, family_name, locale, roles;
} account__present_t;

static void account__body_present(const axr_request_t *req, const Account__UserUpdate *b, account__present_t *p)
{
	const char *ct = axr_request_header(req, "Content-Type");
	json_object *doc = NULL;

	p->email = b->email != NULL;
	p->given_name = b->given_name != NULL;
	p->family_name = b->family_name != NULL;
	p->locale = b->locale != NULL;
	p->roles = b->n_roles > 0;
	if (!req->body || (ct && strncasecmp(ct, "application/json", 16) != 0))
		return;
	if (!(doc = json_tokener_parse(req->body)) || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return;
	}
	p->email = p->email || json_object_object_get_ex(doc, "email", NULL);
	p->given_name = p->given_name || json_object_object_get_ex(doc, "givenName", NULL);
	p->family_name = p->family_name || json_object_object_get_ex(doc, "familyName", NULL);
	p->locale = p->locale || json_object_object_get_ex(doc, "locale", NULL);
	p->roles = p->roles || json_object_object_get_ex(doc, "roles", NULL);
	json_object_put(doc);
}

/* PUT /users/{id}: the properties present change; the version must be the
 * current one; only an admin changes roles or verified (400 otherwise). */
int account_update_user(axr_request_t *req, const Account__UpdateUserInput *in, Account__User **out)
{
	const Account__UserUpdate *b = in->body; /* required: never NULL here */
	account_user_update_t upd = {0};
	account_problem_t problem = {0};
	account__present_t present;
	account_api_call_t c;
	account_user_t u;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0 || (rc = account__expected_version(req, in, &upd)) != 0)
		return rc;
	account__body_present(req, b, &present);
	upd.name = b->name;
	upd.has_email = present.email;
	upd.email = b->email;
	upd.has_given_name = present.given_name;
	upd.given_name = b->given_name;
	upd.has_family_name = present.family_name;
	upd.family_name = b->family_name;
	upd.has_locale = present.locale;
	upd.locale = b->locale;
	upd.has_roles = present.roles;
	upd.roles = (const char *const *)b->roles;
	upd.nroles = b->n_roles;
	if (b->verified) {
		upd.has_verified_email = b->verified->has_email;
		upd.verified_email = b->verified->email;
		upd.has_verified_phone = b->verified->has_phone;
		upd.verified_phone = b->verified->phone;
	}
	if ((rc = account_user_update(c.acc, c.db, &c.caller, in->id, &upd, req->arena, &u, &problem)) != 0)
		return account_api_fail(req, rc, &problem);
	if (!(*out = account_api_user(req, &u)) || account_api_etag(req, u.version) != 0)
		return AXR_ENOMEM;
	account_api_publish_user(req, "update", u.uid, *out, u.version);
	return 0;
}

/* DELETE /users/{id} (admin; the router refuses others with 403): the user
 * with its password, devices, refresh families and attempts; 404 when none. */
int account_delete_user(axr_request_t *req, const Account__DeleteUserInput *in)
{
	account_api_call_t c;
	account_user_t u;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	/* Read it first: the event names the uid even when the path used the name. */
	if ((rc = account_user_get(c.acc, c.db, &c.caller, in->id, req->arena, &u)) != 0 ||
	    (rc = account_user_delete(c.acc, c.db, &c.caller, u.uid)) != 0)
		return account_api_fail(req, rc, NULL);
	account_api_publish_user(req, "delete", u.uid, NULL, u.version);
	return 0;
}
