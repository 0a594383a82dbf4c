/* auth_api.c: the sign-up, log-in, refresh, logout and key-set handlers of spec/account.yaml, over the core (account.h). */
#include <json-c/json.h>

#include "codec.h"
#include "err.h"

#include "account_api.h"
#include "account_schema.h"

/* (Every body here is required by the spec: the runtime answers 400 before
 * the handler runs when it is missing, so in->body is never NULL.) */

/* POST /users: 201 and a NewUser; the body admits only Registration's
 * properties (mass assignment is refused by the validator, 400). */
int account_register(axr_request_t *req, const Account__RegisterInput *in, Account__NewUser **out)
{
	const Account__Registration *b = in->body;
	account_registration_t reg = {.name = b->name, .email = b->email, .password = b->password,
	                              .given_name = b->given_name, .family_name = b->family_name, .locale = b->locale};
	account_problem_t problem = {0};
	account_session_t s;
	account_api_call_t c;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	rc = account_user_register(c.acc, c.db, &reg, req->arena, &s, &problem);
	if ((rc = account_api_session(req, rc, &s, &problem, out)) == 0)
		account_api_publish_user(req, "create", s.user.uid, (*out)->user, s.user.version);
	return rc;
}

/* POST /auth/password: 200, 401 for any wrong part, 429 + Retry-After when
 * locked; the per-address limit counts the address the gateway saw. */
int account_authenticate_password(axr_request_t *req, const Account__AuthenticatePasswordInput *in,
                                  Account__NewUser **out)
{
	const char *addr = axr_request_client_addr(req);
	account_problem_t problem = {0};
	account_session_t s;
	account_api_call_t c;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	rc = account_login_password(c.acc, c.db, in->body->login, in->body->password, *addr ? addr : NULL, req->arena,
	                            &s, &problem);
	return account_api_session(req, rc, &s, &problem, out);
}

/* POST /auth/device: 201 when this call created the guest account, else 200
 * (both are the spec's; axr_op_respond encodes *out with the status set). */
int account_authenticate_device(axr_request_t *req, const Account__AuthenticateDeviceInput *in,
                                Account__NewUser **out)
{
	account_problem_t problem = {0};
	account_session_t s;
	account_api_call_t c;
	bool created = false;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	rc = account_login_device(c.acc, c.db, in->body->device_id, req->arena, &s, &created, &problem);
	if ((rc = account_api_session(req, rc, &s, &problem, out)) == 0 && created) {
		req->status = 201;
		account_api_publish_user(req, "create", s.user.uid, (*out)->user, s.user.version);
	}
	return rc;
}

/* POST /auth/refresh: a new pair; a used, unknown, expired or revoked token
 * is one 401 (a reused one revokes its family first). */
int account_refresh_token(axr_request_t *req, const Account__RefreshTokenInput *in, Account__NewUser **out)
{
	account_problem_t problem = {.message = "the refresh token is not valid: log in again"};
	account_session_t s;
	account_api_call_t c;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	rc = account_session_refresh(c.acc, c.db, in->body->refresh, req->arena, &s, NULL);
	return account_api_session(req, rc, &s, rc == AXR_EUNAUTHORIZED ? &problem : NULL, out);
}

/* POST /auth/logout: 204 whatever the token was (RFC 7009). */
int account_logout(axr_request_t *req, const Account__LogoutInput *in)
{
	account_api_call_t c;
	int rc;

	if ((rc = account_api_begin(req, &c)) != 0)
		return rc;
	if ((rc = account_session_revoke(c.acc, c.db, in->body->refresh)) != 0)
		return account_api_fail(req, rc, NULL);
	return 0;
}

/* GET /auth/keys: the JWKS document the context built at start-up. */
int account_get_keys(axr_request_t *req, const Account__GetKeysInput *in, Account__Jwks **out)
{
	account_t *acc = account_api_context();
	ProtobufCMessage *msg = NULL;
	int rc;

	(void)in;
	if (!acc)
		return AXR_EUNAVAILABLE;
	json_object *doc = json_tokener_parse(account_jwks(acc, NULL));
	if (!doc)
		return AXR_EINTERNAL;
	rc = axr_codec_from_json(&account_schema_Jwks, &account__jwks__descriptor, doc, req->arena, &msg, NULL);
	json_object_put(doc);
	if (rc != 0)
		return rc;
	/* Verifiers may keep it a while: a rotation publishes the new key
	 * 15 minutes before signing with it (docs/account.md). */
	axr_response_header(req, "Cache-Control", "public, max-age=300");
	*out = (Account__Jwks *)msg;
	return 0;
}
