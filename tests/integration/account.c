/* account.c: the account service through its generated C client (account_client_*), as a game developer calls it. */
/*
 * Run by tests/account/client.test.sh against a real axr-account (real
 * PostgreSQL and redis, cheap KDF, lockout after 3 failures per account and
 * 6 per address within 2 s). Settings: AXR_IT_ACCOUNT_URL, AXR_IT_ADMIN_NAME,
 * AXR_IT_ADMIN_PASSWORD; AXR_IT_KEY is the service's signing key (for the
 * tokens minted here: an expired one, one of a user that does not exist).
 *
 * Every endpoint of spec/account.yaml goes through its typed stub; headers a
 * stub has no parameter for (X-Real-IP, as the gateway sets it) and the
 * answer's status and headers (201 vs 200, X-Total-Count) go through
 * axr_client_call_opts() with the stub's route row.
 *
 * Raw-protocol attacks stay in tests/account/account.test.sh (curl): forged
 * tokens (alg none, HS256 with the public key, foreign kids), malformed and
 * 8 MiB tokens, extra JSON members (mass assignment on the wire), null vs
 * absent, malformed If-Match. A client cannot send those: the typed messages
 * have no member for them and the client refuses malformed input before
 * sending (both pinned here: the messages' descriptors, local validation).
 */
#include "itest.h"

#include <stdint.h>

#include <event2/event.h>

#include "account_client.h"

static const char *URL;
static axr_arena_t *A; /* every answer of the program; freed at the end */

#define S(x) ((x) ? (x) : "(null)")
#define SET(field, value) ((field) = (char *)(uintptr_t)(value)) /* the client only reads inputs */

/* ---- helpers ------------------------------------------------------------------ */

/* it_err() in the program's arena: several may appear in one message (it_err's buffer is static). */
static const char *E(int rc, const axr_client_error_t *err)
{
	return axr_arena_strdup(A, it_err(rc, err));
}

/* A client of the service carrying `token` (NULL: anonymous). */
static axr_client_t *client(const char *token)
{
	return it_client(URL, token);
}

/* True when the failed call was an HTTP error `status` with body code `code`. */
static int is_http(int rc, const axr_client_error_t *e, int status, const char *code)
{
	return rc != 0 && e->kind == AXR_CLIENT_ERR_HTTP && e->status == status && e->code &&
	       strcmp(e->code, code) == 0;
}

/* The first field error's path, or "". */
static const char *err_path(const axr_client_error_t *e)
{
	return e->n_errors ? S(e->errors[0].path) : "";
}

static int register_user(axr_client_t *c, const char *name, const char *email, const char *password,
                         Account__NewUser **out, axr_client_error_t *err)
{
	Account__Registration r = ACCOUNT__REGISTRATION__INIT;
	SET(r.name, name);
	SET(r.email, email);
	SET(r.password, password);
	return account_client_register(c, &r, NULL, out, A, err);
}

/*
 * A password log-in from client address `ip` (sent as X-Real-IP, as the
 * gateway does; NULL: none). The stub has no parameter for that header, so
 * this is axr_client_call_opts() with the stub's route row. `status` (may be
 * NULL) gets the answer's status.
 */
static int login_from(axr_client_t *c, const char *login, const char *password, const char *ip,
                      Account__NewUser **out, axr_client_error_t *err, int *status)
{
	Account__PasswordLogin body = ACCOUNT__PASSWORD_LOGIN__INIT;
	Account__AuthenticatePasswordInput in = ACCOUNT__AUTHENTICATE_PASSWORD_INPUT__INIT;
	const char *headers[] = {"X-Real-IP", ip};
	axr_client_response_t resp;
	axr_client_call_opts_t o = {.headers = headers, .n_headers = ip ? 1 : 0, .response = &resp};
	ProtobufCMessage *m = NULL;
	SET(body.login, login);
	SET(body.password, password);
	in.body = &body;
	int rc = axr_client_call_opts(c, &account_client_routes[ACCOUNT_CLIENT_AUTHENTICATE_PASSWORD], &in.base, &o,
	                              &m, A, err);
	if (out)
		*out = (Account__NewUser *)m;
	if (status)
		*status = resp.status;
	return rc;
}

static int login(axr_client_t *c, const char *login, const char *password, Account__NewUser **out,
                 axr_client_error_t *err)
{
	Account__PasswordLogin body = ACCOUNT__PASSWORD_LOGIN__INIT;
	SET(body.login, login);
	SET(body.password, password);
	return account_client_authenticate_password(c, &body, NULL, out, A, err);
}

/* A device log-in; `status` gets the answer's status (201: a new guest, 200: a log-in). */
static int device_login(axr_client_t *c, const char *device, Account__NewUser **out, axr_client_error_t *err,
                        int *status)
{
	Account__DeviceLogin body = ACCOUNT__DEVICE_LOGIN__INIT;
	Account__AuthenticateDeviceInput in = ACCOUNT__AUTHENTICATE_DEVICE_INPUT__INIT;
	axr_client_response_t resp;
	axr_client_call_opts_t o = {.response = &resp};
	ProtobufCMessage *m = NULL;
	SET(body.device_id, device);
	in.body = &body;
	int rc = axr_client_call_opts(c, &account_client_routes[ACCOUNT_CLIENT_AUTHENTICATE_DEVICE], &in.base, &o, &m,
	                              A, err);
	*out = (Account__NewUser *)m;
	*status = resp.status;
	return rc;
}

static int refresh(axr_client_t *c, const char *token, Account__NewUser **out, axr_client_error_t *err)
{
	Account__RefreshRequest body = ACCOUNT__REFRESH_REQUEST__INIT;
	SET(body.refresh, token);
	return account_client_refresh_token(c, &body, NULL, out, A, err);
}

static int logout(axr_client_t *c, const char *token, axr_client_error_t *err)
{
	Account__RefreshRequest body = ACCOUNT__REFRESH_REQUEST__INIT;
	SET(body.refresh, token);
	return account_client_logout(c, &body, NULL, A, err);
}

static int find_user(axr_client_t *c, const char *id, Account__User **out, axr_client_error_t *err)
{
	return account_client_find_user(c, id, NULL, out, A, err);
}

/* PUT /users/{id}?version=V (V < 0: no version). */
static int update_user(axr_client_t *c, const char *id, const Account__UserUpdate *body, int64_t version,
                       Account__User **out, axr_client_error_t *err)
{
	Account__UpdateUserInput o = ACCOUNT__UPDATE_USER_INPUT__INIT;
	if (version >= 0) {
		o.has_version = 1;
		o.version = version;
	}
	return account_client_update_user(c, id, body, &o, out, A, err);
}

/* The decoded middle (1) or first (0) part of a JWT, in the arena. */
static const char *jwt_part(const char *token, int part)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = token;
	for (int i = 0; i < part && p; i++)
		p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL;
	if (p == NULL)
		return "";
	size_t n = strcspn(p, ".");
	char *out = axr_arena_alloc(A, n + 1);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *at = strchr(alphabet, p[i]);
		if (at == NULL || *at == '\0')
			break;
		acc = (acc << 6) | (unsigned)(at - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

/* A token from $AXR_BUILD/tools/mint_token with extra arguments (malloc'd), or NULL. */
static char *mint(const char *args)
{
	const char *build = getenv("AXR_BUILD") ? getenv("AXR_BUILD") : "build";
	char cmd[1024], tok[8192];
	snprintf(cmd, sizeof cmd, "'%s/tools/mint_token' -k '%s' %s", build, it_env("AXR_IT_KEY"), args);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(tok, 1, sizeof tok - 1, p) : 0;
	if (!p || pclose(p) != 0 || n == 0)
		return NULL;
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	return strdup(tok);
}

/* ---- the program's users --------------------------------------------------------------- */

static char *admin_token, *admin_uid;
static char *a_token, *a_refresh, *a_uid; /* alice */
static char *b_token, *b_uid;             /* bob */

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/* ---- cases ------------------------------------------------------------------------------ */

static void admin_logs_in(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *nu = NULL;
	axr_client_error_t e;
	int rc = login(c, it_env("AXR_IT_ADMIN_NAME"), it_env("AXR_IT_ADMIN_PASSWORD"), &nu, &e);
	int ok = rc == 0 && nu->user && nu->user->n_roles == 1 && strcmp(nu->user->roles[0], "admin") == 0;
	if (ok) {
		admin_token = strdup(nu->token);
		admin_uid = strdup(nu->user->uid);
	}
	if (!it_check(ok, "admin_logs_in_with_the_bootstrap_password_and_holds_the_admin_role", "%s",
	              rc ? E(rc, &e) : "no admin role"))
		exit(1);
	axr_client_free(c);
}

static void register_answers_a_session(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *nu = NULL;
	Account__User *me = NULL;
	axr_client_error_t e;
	char why[1024] = "";
	int rc = register_user(c, "alice", "Alice@Example.COM", "alice-password-1", &nu, &e);
	if (rc != 0) {
		snprintf(why, sizeof why, "register: %s", E(rc, &e));
	} else {
		a_token = strdup(nu->token);
		a_refresh = strdup(nu->refresh);
		a_uid = dup_or_empty(nu->user ? nu->user->uid : NULL);
		axr_client_t *ac = client(a_token);
		if (!nu->has_expires_in || nu->expires_in != 900)
			snprintf(why, sizeof why, "expiresIn %d, want 900", nu->expires_in);
		else if (strlen(S(nu->refresh)) != 43)
			snprintf(why, sizeof why, "refresh '%s' is not 43 base64url characters", S(nu->refresh));
		else if (!nu->user || strcmp(S(nu->user->email), "alice@example.com") != 0)
			snprintf(why, sizeof why, "email '%s', want alice@example.com", nu->user ? S(nu->user->email) : "-");
		else if (!nu->user->has_guest || nu->user->guest)
			snprintf(why, sizeof why, "guest is not false");
		else if ((rc = account_client_find_me(ac, NULL, &me, A, &e)) != 0)
			snprintf(why, sizeof why, "findMe with the new token: %s", E(rc, &e));
		else if (strcmp(S(me->uid), a_uid) != 0 || me->version != 0)
			snprintf(why, sizeof why, "findMe: uid %s version %lld, want %s version 0", S(me->uid),
			         (long long)me->version, a_uid);
		axr_client_free(ac);
	}
	it_check(!why[0], "register_answers_201_and_a_session_the_service_accepts", "%s", why);
	axr_client_free(c);
}

static void register_validation(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *nu = NULL;
	axr_client_error_t e, se;
	/* the client refuses it before sending, with the field error the server would answer */
	int rc = register_user(c, "bob", "bob@example.com", "short", &nu, &e);
	/* and the server answers the same when the client does not check (AXR_CLIENT_NO_VALIDATE) */
	Account__Registration r = ACCOUNT__REGISTRATION__INIT;
	Account__RegisterInput in = ACCOUNT__REGISTER_INPUT__INIT;
	axr_client_call_opts_t o = {.flags = AXR_CLIENT_NO_VALIDATE};
	ProtobufCMessage *m = NULL;
	SET(r.name, "bob");
	SET(r.email, "bob@example.com");
	SET(r.password, "short");
	in.body = &r;
	int src = axr_client_call_opts(c, &account_client_routes[ACCOUNT_CLIENT_REGISTER], &in.base, &o, &m, A, &se);
	it_check(rc == AXR_EVALIDATION && e.kind == AXR_CLIENT_ERR_LOCAL && strcmp(err_path(&e), "/password") == 0 &&
	             is_http(src, &se, 400, "VALIDATION") && strcmp(err_path(&se), "/password") == 0,
	         "register_short_password_is_400_validation_naming_password_locally_and_on_the_server",
	         "local: %s; server: %s at %s", E(rc, &e), se.code ? se.code : "-", err_path(&se));
	rc = register_user(c, "b o", "bob@example.com", "bob-password-1", &nu, &e);
	it_check(rc == AXR_EVALIDATION && strcmp(err_path(&e), "/name") == 0, "register_bad_name_is_a_field_error",
	         "%s", E(rc, &e));
	axr_client_free(c);
}

static void register_duplicates(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *nu = NULL;
	axr_client_error_t e1, e2;
	int rc1 = register_user(c, "alice", "other@example.com", "alice-password-2", &nu, &e1);
	int rc2 = register_user(c, "alicia", "ALICE@example.com", "alice-password-2", &nu, &e2);
	it_check(rc1 == AXR_EEXISTS && is_http(rc1, &e1, 409, "EXISTS") && strcmp(err_path(&e1), "/name") == 0 &&
	             rc2 == AXR_EEXISTS && strcmp(err_path(&e2), "/email") == 0,
	         "register_duplicate_name_or_email_in_any_case_is_409_exists_naming_it", "name: %s at %s; email: %s at %s",
	         E(rc1, &e1), err_path(&e1), E(rc2, &e2), err_path(&e2));
	axr_client_free(c);
}

static void mass_assignment_cannot_be_expressed(void)
{
	/* The typed bodies have no member for server-owned properties: a client cannot send them. */
	static const char *const reg[] = {"roles", "uid", "version", "verified", "guest", "last_login"};
	static const char *const upd[] = {"uid", "version", "guest", "date_created", "last_login"};
	char why[1024] = "";
	for (size_t i = 0; i < sizeof reg / sizeof *reg; i++)
		if (protobuf_c_message_descriptor_get_field_by_name(&account__registration__descriptor, reg[i]))
			snprintf(why, sizeof why, "Registration has %s", reg[i]);
	for (size_t i = 0; i < sizeof upd / sizeof *upd; i++)
		if (protobuf_c_message_descriptor_get_field_by_name(&account__user_update__descriptor, upd[i]))
			snprintf(why, sizeof why, "UserUpdate has %s", upd[i]);
	it_check(!why[0], "mass_assignment_server_owned_properties_are_not_in_the_typed_bodies", "%s", why);
}

static void password_login(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *n1 = NULL, *n2 = NULL;
	axr_client_error_t e;
	int rc1 = login(c, "alice", "alice-password-1", &n1, &e);
	int rc2 = rc1 ? rc1 : login(c, "ALICE@example.com", "alice-password-1", &n2, &e);
	it_check(rc2 == 0 && strcmp(S(n1->user->uid), a_uid) == 0 && strcmp(S(n2->user->uid), a_uid) == 0 &&
	             n2->user->last_login && strncmp(n2->user->last_login, "20", 2) == 0,
	         "password_login_by_name_or_email_in_any_case_answers_the_session_and_last_login", "%s",
	         rc2 ? E(rc2, &e) : "another user or no lastLogin");
	axr_client_free(c);
}

static void login_failures_look_alike(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *nu = NULL;
	axr_client_error_t e[3];
	int rc[3];
	rc[0] = login_from(c, "alice", "wrong-password-1", "192.0.2.10", &nu, &e[0], NULL);
	rc[1] = login_from(c, "nobody-at-all", "wrong-password-1", "192.0.2.11", &nu, &e[1], NULL);
	rc[2] = login_from(c, "nobody@example.com", "wrong-password-1", "192.0.2.12", &nu, &e[2], NULL);
	int same = 1;
	for (int i = 0; i < 3; i++)
		same = same && rc[i] == AXR_EUNAUTHORIZED && is_http(rc[i], &e[i], 401, "UNAUTHORIZED") &&
		       strcmp(e[i].message, e[0].message) == 0 && e[i].n_errors == 0;
	it_check(same, "password_login_wrong_password_unknown_name_or_email_are_the_same_401_naming_no_part",
	         "wrong password: %s / unknown name: %s / unknown e-mail: %s", E(rc[0], &e[0]),
	         e[1].message ? e[1].message : "-", e[2].message ? e[2].message : "-");
	axr_client_free(c);
}

static void device_login_cases(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *n1 = NULL, *n2 = NULL;
	axr_client_error_t e;
	char dev[64], why[1024] = "";
	int s1 = 0, s2 = 0;
	snprintf(dev, sizeof dev, "dev-%08x%08x%08x", (unsigned)getpid(), (unsigned)it_now_ms(), (unsigned)rand());
	int rc = device_login(c, dev, &n1, &e, &s1);
	if (rc != 0)
		snprintf(why, sizeof why, "first use: %s (status %d)", E(rc, &e), s1);
	else if (s1 != 201 || !n1->user || !n1->user->guest || strncmp(S(n1->user->name), "guest-", 6) != 0 ||
	         n1->user->email)
		snprintf(why, sizeof why, "first use: status %d, guest %d, name %s, email %s", s1,
		         n1->user ? n1->user->guest : -1, n1->user ? S(n1->user->name) : "-",
		         n1->user ? S(n1->user->email) : "-");
	else if ((rc = device_login(c, dev, &n2, &e, &s2)) != 0)
		snprintf(why, sizeof why, "second use: %s", E(rc, &e));
	else if (s2 != 200 || strcmp(S(n2->user->uid), S(n1->user->uid)) != 0)
		snprintf(why, sizeof why, "second use: status %d uid %s, want 200 %s", s2, S(n2->user->uid),
		         S(n1->user->uid));
	it_check(!why[0], "device_login_first_use_creates_a_guest_201_then_logs_in_200", "%s", why);

	rc = device_login(c, "short", &n1, &e, &s1);
	it_check(rc == AXR_EVALIDATION && s1 == 0 && strcmp(err_path(&e), "/deviceId") == 0,
	         "device_login_malformed_id_is_refused_before_sending", "%s, status %d", E(rc, &e), s1);
	/* a guest has no password: the same 401 as a wrong one */
	Account__NewUser *g = NULL;
	axr_client_error_t ge;
	rc = n2 ? login_from(c, S(n2->user->name), "any-password-1", "192.0.2.13", &g, &ge, NULL) : -1;
	it_check(is_http(rc, &ge, 401, "UNAUTHORIZED"), "password_login_of_a_guest_is_the_same_401", "%s",
	         E(rc, &ge));
	axr_client_free(c);
}

static void refresh_rotation_and_reuse(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *l = NULL, *r1 = NULL, *r2 = NULL, *x = NULL;
	Account__User *me = NULL;
	axr_client_error_t e;
	char why[1024] = "";
	int rc = login(c, "alice", "alice-password-1", &l, &e);
	if (rc == 0)
		rc = refresh(c, l->refresh, &r1, &e);
	if (rc != 0) {
		snprintf(why, sizeof why, "log-in or first refresh: %s", E(rc, &e));
	} else {
		axr_client_t *t1 = client(r1->token);
		if (strcmp(r1->refresh, l->refresh) == 0)
			snprintf(why, sizeof why, "the refresh token did not change");
		else if ((rc = account_client_find_me(t1, NULL, &me, A, &e)) != 0 || strcmp(S(me->uid), a_uid) != 0)
			snprintf(why, sizeof why, "the new access token: %s", E(rc, &e));
		axr_client_free(t1);
	}
	it_check(!why[0], "refresh_answers_a_new_pair_whose_access_token_works", "%s", why);

	/* R0 -> R1 -> R2; presenting R0 again revokes the family: R2 dies too */
	why[0] = '\0';
	int rc1 = r1 ? refresh(c, r1->refresh, &r2, &e) : -1;
	axr_client_error_t e0, e2;
	int rc0 = refresh(c, l ? l->refresh : "x", &x, &e0);
	int rc2 = r2 ? refresh(c, r2->refresh, &x, &e2) : -1;
	it_check(rc1 == 0 && is_http(rc0, &e0, 401, "UNAUTHORIZED") && is_http(rc2, &e2, 401, "UNAUTHORIZED"),
	         "refresh_reusing_a_rotated_token_is_401_and_revokes_the_whole_family",
	         "R1: %d; reuse of R0: %s; R2 after the reuse: %s", rc1, E(rc0, &e0), E(rc2, &e2));

	/* another log-in is not of that family */
	rc = refresh(c, a_refresh, &x, &e);
	if (rc == 0) {
		free(a_refresh);
		a_refresh = strdup(x->refresh);
	}
	it_check(rc == 0, "refresh_of_another_login_is_untouched_by_the_revocation", "%s", E(rc, &e));

	rc = refresh(c, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &x, &e);
	rc1 = refresh(c, "not-a-token", &x, &e0);
	it_check(is_http(rc, &e, 401, "UNAUTHORIZED") && rc1 == AXR_EVALIDATION && e0.kind == AXR_CLIENT_ERR_LOCAL,
	         "refresh_unknown_token_is_401_malformed_one_refused_before_sending", "unknown: %s; malformed: %s",
	         E(rc, &e), E(rc1, &e0));
	axr_client_free(c);
}

static void logout_cases(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *x = NULL;
	axr_client_error_t e1, e2, e3, e4;
	int rc1 = logout(c, a_refresh, &e1);
	int rc2 = refresh(c, a_refresh, &x, &e2);
	int rc3 = logout(c, a_refresh, &e3);
	int rc4 = logout(c, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", &e4);
	it_check(rc1 == 0 && is_http(rc2, &e2, 401, "UNAUTHORIZED") && rc3 == 0 && rc4 == 0,
	         "logout_answers_204_revokes_the_family_and_is_idempotent",
	         "logout: %d; refresh after: %s; again: %d; unknown: %d", rc1, E(rc2, &e2), rc3, rc4);
	axr_client_free(c);
}

static void keys(void)
{
	axr_client_t *c = client(NULL);
	Account__Jwks *ks = NULL;
	axr_client_error_t e;
	char why[1024] = "";
	int rc = account_client_get_keys(c, NULL, &ks, A, &e);
	if (rc != 0) {
		snprintf(why, sizeof why, "%s", E(rc, &e));
	} else if (ks->n_keys < 1) {
		snprintf(why, sizeof why, "no key");
	} else {
		const Account__Jwk *k = ks->keys[0];
		char want[160];
		snprintf(want, sizeof want, "\"kid\":\"%s\"", S(k->kid));
		if (strcmp(S(k->kty), "RSA") != 0 || strcmp(S(k->alg), "RS256") != 0 || !k->n || !k->e)
			snprintf(why, sizeof why, "kty %s alg %s n %s", S(k->kty), S(k->alg), k->n ? "set" : "absent");
		else if (!k->kid || !strstr(jwt_part(admin_token, 0), want))
			snprintf(why, sizeof why, "tokens do not carry kid %s: header %s", S(k->kid), jwt_part(admin_token, 0));
	}
	it_check(!why[0], "keys_are_the_rsa_public_half_whose_kid_the_tokens_carry", "%s", why);
	axr_client_free(c);
}

static void own_record(void)
{
	axr_client_t *c = client(a_token), *anon = client(NULL);
	Account__User *u1 = NULL, *u2 = NULL, *u3 = NULL;
	axr_client_error_t e, ea;
	int rc = account_client_find_me(c, NULL, &u1, A, &e);
	if (rc == 0)
		rc = find_user(c, a_uid, &u2, &e);
	if (rc == 0)
		rc = find_user(c, "alice", &u3, &e);
	it_check(rc == 0 && strcmp(S(u1->uid), a_uid) == 0 && strcmp(S(u2->uid), a_uid) == 0 &&
	             strcmp(S(u3->uid), a_uid) == 0,
	         "users_own_record_by_me_uid_or_name", "%s", rc ? E(rc, &e) : "another uid");
	rc = account_client_find_me(anon, NULL, &u1, A, &ea);
	it_check(rc == AXR_EUNAUTHORIZED && is_http(rc, &ea, 401, "UNAUTHORIZED"), "users_me_anonymous_is_401", "%s",
	         E(rc, &ea));
	axr_client_free(c);
	axr_client_free(anon);
}

static void bola(void)
{
	axr_client_t *anon = client(NULL);
	Account__NewUser *nb = NULL;
	Account__User *u = NULL;
	axr_client_error_t e, em, e1, e2, e3, e4;
	int rc = register_user(anon, "bob", "bob@example.com", "bob-password-1", &nb, &e);
	if (!it_check(rc == 0, "register_a_second_user", "%s", E(rc, &e)))
		return;
	b_token = strdup(nb->token);
	b_uid = strdup(nb->user->uid);
	axr_client_t *ac = client(a_token), *bc = client(b_token);
	int rcm = find_user(ac, "00000000-0000-4000-8000-000000000000", &u, &em);
	int rc1 = find_user(ac, b_uid, &u, &e1);
	int rc2 = find_user(ac, "bob", &u, &e2);
	int rc3 = find_user(ac, admin_uid, &u, &e3);
	int rc4 = find_user(bc, b_uid, &u, &e4);
	it_check(is_http(rcm, &em, 404, "NOTFOUND") && is_http(rc1, &e1, 404, "NOTFOUND") &&
	             strcmp(e1.message, em.message) == 0 && is_http(rc2, &e2, 404, "NOTFOUND") &&
	             strcmp(e2.message, em.message) == 0 && is_http(rc3, &e3, 404, "NOTFOUND") && rc4 == 0,
	         "bola_another_users_record_is_the_same_404_as_a_missing_one",
	         "missing: %s; bob by uid: %s; by name: %s; admin: %s; bob himself: %d", E(rcm, &em),
	         e1.message ? e1.message : "-", e2.message ? e2.message : "-", e3.message ? e3.message : "-", rc4);

	Account__UserUpdate up = ACCOUNT__USER_UPDATE__INIT;
	SET(up.given_name, "Hacked");
	rc1 = update_user(ac, b_uid, &up, 0, &u, &e1);
	rc2 = account_client_delete_user(ac, b_uid, NULL, A, &e2);
	rc3 = account_client_delete_user(ac, a_uid, NULL, A, &e3);
	Account__UserList *ul = NULL;
	rc4 = account_client_list_users(ac, NULL, &ul, A, &e4);
	int rc5 = account_client_count_users(ac, NULL, NULL, A, &e);
	int rc6 = find_user(bc, "me", &u, &em);
	it_check(is_http(rc1, &e1, 404, "NOTFOUND") && rc2 == AXR_EFORBIDDEN && rc3 == AXR_EFORBIDDEN &&
	             rc4 == AXR_EFORBIDDEN && rc5 == AXR_EFORBIDDEN && rc6 == 0 && u->version == 0 && !u->given_name,
	         "bola_another_user_cannot_change_or_delete_a_record_and_lists_are_admin_only_403",
	         "update bob: %s; delete bob %d; delete self %d; list %d; count %d; bob unchanged: %d v%lld %s",
	         E(rc1, &e1), rc2, rc3, rc4, rc5, rc6, u ? (long long)u->version : -1LL,
	         u ? S(u->given_name) : "-");
	axr_client_free(ac);
	axr_client_free(bc);
	axr_client_free(anon);
}

static void update_with_versions(void)
{
	axr_client_t *c = client(a_token);
	Account__User *u = NULL, *x = NULL;
	axr_client_error_t e, es, en, et;
	Account__UserUpdate up = ACCOUNT__USER_UPDATE__INIT;
	SET(up.given_name, "Alice");
	SET(up.locale, "en-GB");
	int rc = update_user(c, a_uid, &up, 0, &u, &e);
	it_check(rc == 0 && strcmp(S(u->given_name), "Alice") == 0 && strcmp(S(u->locale), "en-GB") == 0 &&
	             u->version == 1,
	         "update_with_the_current_version_changes_the_fields_and_the_version", "%s v%lld",
	         E(rc, &e), u ? (long long)u->version : -1LL);
	Account__UserUpdate al = ACCOUNT__USER_UPDATE__INIT;
	SET(al.given_name, "Al");
	int rcs = update_user(c, "alice", &al, 0, &x, &es);
	int rcn = update_user(c, "alice", &al, -1, &x, &en);
	Account__UserUpdate nm = ACCOUNT__USER_UPDATE__INIT;
	SET(nm.name, "bob");
	int rct = update_user(c, "alice", &nm, 1, &x, &et);
	it_check(rcs == AXR_ECONFLICT && is_http(rcs, &es, 409, "CONFLICT") && strcmp(err_path(&es), "/version") == 0 &&
	             is_http(rcn, &en, 400, "VALIDATION") && strcmp(err_path(&en), "/version") == 0 &&
	             is_http(rct, &et, 409, "EXISTS") && strcmp(err_path(&et), "/name") == 0,
	         "update_stale_version_409_missing_version_400_taken_name_409",
	         "stale: %s; none: %s; taken name: %s", E(rcs, &es), E(rcn, &en), E(rct, &et));

	/* a player cannot give herself roles or verify her own e-mail */
	char *roles[] = {"admin"};
	Account__UserUpdate r = ACCOUNT__USER_UPDATE__INIT;
	r.n_roles = 1;
	r.roles = roles;
	Account__UserUpdateVerified v = ACCOUNT__USER_UPDATE_VERIFIED__INIT;
	v.has_email = 1;
	v.email = 1;
	Account__UserUpdate vu = ACCOUNT__USER_UPDATE__INIT;
	vu.verified = &v;
	int rcr = update_user(c, "alice", &r, 1, &x, &es);
	int rcv = update_user(c, "alice", &vu, 1, &x, &en);
	rc = account_client_find_me(c, NULL, &u, A, &e);
	it_check(is_http(rcr, &es, 400, "VALIDATION") && is_http(rcv, &en, 400, "VALIDATION") && rc == 0 &&
	             u->version == 1 && u->n_roles == 0 && !(u->verified && u->verified->email),
	         "update_by_a_player_of_roles_or_verified_is_400_and_changes_nothing",
	         "roles: %s; verified: %s; after: v%lld, %zu roles", E(rcr, &es), E(rcv, &en),
	         u ? (long long)u->version : -1LL, u ? u->n_roles : 0);
	axr_client_free(c);
}

static void admin_users(void)
{
	axr_client_t *ad = client(admin_token), *anon = client(NULL);
	Account__User *u = NULL;
	Account__NewUser *bl = NULL, *x = NULL;
	axr_client_error_t e;
	char why[1024] = "";
	char *roles[] = {"moderator"};
	Account__UserUpdateVerified v = ACCOUNT__USER_UPDATE_VERIFIED__INIT;
	v.has_email = 1;
	v.email = 1;
	Account__UserUpdate up = ACCOUNT__USER_UPDATE__INIT;
	up.n_roles = 1;
	up.roles = roles;
	up.verified = &v;
	int rc = update_user(ad, "bob", &up, 0, &u, &e);
	if (rc != 0)
		snprintf(why, sizeof why, "grant: %s", E(rc, &e));
	else if (u->n_roles != 1 || strcmp(u->roles[0], "moderator") != 0 || !u->verified || !u->verified->email)
		snprintf(why, sizeof why, "roles %zu, verified %d", u->n_roles, u->verified ? u->verified->email : -1);
	else if ((rc = login(anon, "bob", "bob-password-1", &bl, &e)) != 0)
		snprintf(why, sizeof why, "bob logs in: %s", E(rc, &e));
	else if (!strstr(jwt_part(bl->token, 1), "\"roles\":[\"moderator\"]"))
		snprintf(why, sizeof why, "bob's new token: %s", jwt_part(bl->token, 1));
	it_check(!why[0], "admin_grants_a_role_and_the_users_next_token_carries_it", "%s", why);

	why[0] = '\0';
	Account__UserList *ul = NULL;
	Account__ListUsersInput lo = ACCOUNT__LIST_USERS_INPUT__INIT;
	SET(lo.sort, "name");
	rc = account_client_list_users(ad, &lo, &ul, A, &e);
	axr_client_response_t resp;
	axr_client_call_opts_t o = {.response = &resp};
	Account__CountUsersInput ci = ACCOUNT__COUNT_USERS_INPUT__INIT;
	int rcc = axr_client_call_opts(ad, &account_client_routes[ACCOUNT_CLIENT_COUNT_USERS], &ci.base, &o, NULL, A, &e);
	const char *total = rcc == 0 ? axr_client_response_header(&resp, "X-Total-Count") : NULL;
	int names = 0;
	for (size_t i = 0; rc == 0 && i < ul->n_items; i++)
		names += strcmp(S(ul->items[i]->name), "alice") == 0 || strcmp(S(ul->items[i]->name), "bob") == 0;
	if (rc != 0 || rcc != 0)
		snprintf(why, sizeof why, "list %d count %s", rc, E(rcc, &e));
	else if (names != 2 || !total || atol(total) != (long)ul->n_items)
		snprintf(why, sizeof why, "%zu listed (alice and bob: %d), X-Total-Count %s", ul->n_items, names, S(total));
	it_check(!why[0], "admin_lists_and_counts_users", "%s", why);

	axr_client_error_t e1, e2, e3;
	int rc1 = account_client_delete_user(ad, "bob", NULL, A, &e1);
	int rc2 = find_user(ad, b_uid, &u, &e2);
	int rc3 = bl ? refresh(anon, bl->refresh, &x, &e3) : -1;
	int rc4 = account_client_delete_user(ad, "bob", NULL, A, &e);
	it_check(rc1 == 0 && is_http(rc2, &e2, 404, "NOTFOUND") && is_http(rc3, &e3, 401, "UNAUTHORIZED") &&
	             is_http(rc4, &e, 404, "NOTFOUND"),
	         "admin_deletes_a_user_whose_refresh_tokens_die_and_a_second_delete_is_404",
	         "delete %s; find %d; refresh %d; again %d", E(rc1, &e1), rc2, rc3, rc4);
	axr_client_free(ad);
	axr_client_free(anon);
}

static void roles_crud(void)
{
	axr_client_t *ad = client(admin_token), *ac = client(a_token);
	Account__Role *r = NULL, *f = NULL, *u = NULL, *x = NULL;
	Account__RoleList *rl = NULL;
	axr_client_error_t e, ed, ep1, ep2, ep3;
	char why[1024] = "";
	Account__Role body = ACCOUNT__ROLE__INIT;
	SET(body.name, "moderator");
	SET(body.title, "Moderator");
	int rc = account_client_create_role(ad, &body, NULL, &r, A, &e);
	if (rc == 0)
		rc = account_client_find_role(ad, "moderator", NULL, &f, A, &e);
	Account__UpdateRoleInput uo = ACCOUNT__UPDATE_ROLE_INPUT__INIT;
	uo.has_version = 1;
	uo.version = 0;
	Account__Role ub = ACCOUNT__ROLE__INIT;
	SET(ub.name, "moderator");
	SET(ub.title, "Mods");
	if (rc == 0)
		rc = account_client_update_role(ad, "moderator", &ub, &uo, &u, A, &e);
	if (rc == 0)
		rc = account_client_list_roles(ad, NULL, &rl, A, &e);
	int rcd = account_client_create_role(ad, &body, NULL, &x, A, &ed);
	if (rc != 0) {
		snprintf(why, sizeof why, "%s", E(rc, &e));
	} else {
		int seen = 0;
		for (size_t i = 0; i < rl->n_items; i++)
			seen += strcmp(S(rl->items[i]->name), "admin") == 0 || strcmp(S(rl->items[i]->name), "moderator") == 0;
		if (r->version != 0 || strcmp(S(f->uid), S(r->uid)) != 0 || strcmp(S(u->title), "Mods") != 0 ||
		    u->version != 1 || seen != 2)
			snprintf(why, sizeof why, "created v%lld, found %s, updated %s v%lld, listed %d of admin/moderator",
			         (long long)r->version, S(f->uid), S(u->title), (long long)u->version, seen);
		else if (!is_http(rcd, &ed, 409, "EXISTS"))
			snprintf(why, sizeof why, "duplicate: %s", E(rcd, &ed));
	}
	it_check(!why[0], "roles_admin_creates_finds_updates_lists_and_a_duplicate_is_409", "%s", why);

	Account__Role hb = ACCOUNT__ROLE__INIT;
	SET(hb.name, "hacker");
	int rc1 = account_client_create_role(ac, &hb, NULL, &x, A, &ep1);
	int rc2 = r ? account_client_find_role(ac, r->uid, NULL, &x, A, &ep2) : -1;
	int rc3 = account_client_list_roles(ac, NULL, &rl, A, &ep3);
	int rc4 = r ? account_client_delete_role(ad, r->uid, NULL, A, &e) : -1;
	int rc5 = r ? account_client_find_role(ad, r->uid, NULL, &x, A, &ed) : -1;
	it_check(is_http(rc1, &ep1, 403, "FORBIDDEN") && is_http(rc2, &ep2, 403, "FORBIDDEN") &&
	             is_http(rc3, &ep3, 403, "FORBIDDEN") && rc4 == 0 && is_http(rc5, &ed, 404, "NOTFOUND"),
	         "roles_are_admin_only_403_for_players_and_admin_deletes",
	         "player create %s; read %d; list %d; admin delete %s; then %d", E(rc1, &ep1), rc2, rc3,
	         E(rc4, &e), rc5);
	axr_client_free(ad);
	axr_client_free(ac);
}

static void lockout(void)
{
	axr_client_t *c = client(NULL);
	Account__NewUser *x = NULL;
	axr_client_error_t e;
	char why[1024] = "";
	int rc = register_user(c, "carol", "carol@example.com", "carol-password", &x, &e);
	for (int i = 0; rc == 0 && i < 3; i++) {
		char pw[32];
		snprintf(pw, sizeof pw, "wrong-password-%d", i);
		int r = login_from(c, "carol", pw, "198.51.100.1", &x, &e, NULL);
		if (!is_http(r, &e, 401, "UNAUTHORIZED"))
			snprintf(why, sizeof why, "failure %d: %s", i + 1, E(r, &e));
	}
	int status = 0;
	axr_client_error_t el, em;
	int rcl = login_from(c, "carol", "carol-password", "198.51.100.2", &x, &el, &status);
	int rcm = login_from(c, "carol@example.com", "carol-password", "198.51.100.3", &x, &em, NULL);
	if (rc != 0)
		snprintf(why, sizeof why, "register carol: %s", E(rc, &e));
	else if (!why[0] && (rcl != AXR_ETOOMANY || !is_http(rcl, &el, 429, "TOOMANY") || status != 429 ||
	                     el.retry_after < 1 || el.retry_after > 2))
		snprintf(why, sizeof why, "4th attempt with the right password: %s, retry_after %ld", E(rcl, &el),
		         el.retry_after);
	else if (!why[0] && !is_http(rcm, &em, 429, "TOOMANY"))
		snprintf(why, sizeof why, "by e-mail: %s", E(rcm, &em));
	it_check(!why[0], "lockout_after_3_failures_is_429_with_retry_after_even_for_the_right_password", "%s", why);

	long wait_ms = (el.retry_after > 0 ? el.retry_after : 2) * 1000 + 200;
	struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
	int r1 = login_from(c, "carol", "carol-password", "198.51.100.4", &x, &e, NULL);
	axr_client_error_t e2;
	int r2 = login_from(c, "carol", "wrong-password-9", "198.51.100.4", &x, &e2, NULL);
	it_check(r1 == 0 && is_http(r2, &e2, 401, "UNAUTHORIZED"), "lockout_expires_after_retry_after",
	         "right password after %ld ms: %s; a failure then: %s", wait_ms, E(r1, &e), E(r2, &e2));

	why[0] = '\0';
	for (int i = 0; i < 6; i++) {
		char who[32];
		snprintf(who, sizeof who, "nobody-%d", i);
		int r = login_from(c, who, "wrong-password-1", "203.0.113.7", &x, &e, NULL);
		if (!is_http(r, &e, 401, "UNAUTHORIZED"))
			snprintf(why, sizeof why, "failure %d: %s", i + 1, E(r, &e));
	}
	r1 = login_from(c, "alice", "alice-password-1", "203.0.113.7", &x, &e, NULL);
	r2 = login_from(c, "alice", "alice-password-1", "203.0.113.8", &x, &e2, NULL);
	if (!why[0] && (!is_http(r1, &e, 429, "TOOMANY") || e.retry_after < 1 || e.retry_after > 2 || r2 != 0))
		snprintf(why, sizeof why, "7th from that address: %s (retry_after %ld); another address: %s",
		         E(r1, &e), e.retry_after, E(r2, &e2));
	it_check(!why[0], "lockout_per_client_address_after_6_failures_other_addresses_log_in", "%s", why);
	axr_client_free(c);
}

/* Refresh callback: records the pairs the client reports. */
typedef struct tokens_seen {
	int calls, dropped;
	char token[4096], refresh[128];
	long expires_in;
} tokens_seen_t;

static void on_tokens(const char *token, const char *refresh_token, long expires_in, void *ud)
{
	tokens_seen_t *t = ud;
	t->calls++;
	if (token == NULL) {
		t->dropped++;
		return;
	}
	snprintf(t->token, sizeof t->token, "%s", token);
	snprintf(t->refresh, sizeof t->refresh, "%s", S(refresh_token));
	t->expires_in = expires_in;
}

static void automatic_refresh(void)
{
	axr_client_t *anon = client(NULL);
	Account__NewUser *l = NULL, *x = NULL;
	Account__User *me = NULL;
	axr_client_error_t e;
	char why[1024] = "", args[256];
	tokens_seen_t seen = {0};
	int rc = login(anon, "alice", "alice-password-1", &l, &e);
	snprintf(args, sizeof args, "-s %s -t 1 -e 120", a_uid); /* expired two minutes ago */
	char *expired = mint(args);
	if (rc != 0 || expired == NULL) {
		it_check(0, "automatic_refresh_of_an_expired_access_token_is_transparent", "log-in: %s; mint: %s",
		         E(rc, &e), expired ? "ok" : "failed");
		free(expired);
		axr_client_free(anon);
		return;
	}
	axr_client_t *c = client(expired);
	axr_client_t *probe = client(expired);
	axr_client_error_t pe;
	int prc = account_client_find_me(probe, NULL, &me, A, &pe); /* without refresh: 401 */
	rc = axr_client_set_refresh(c, l->refresh, NULL, on_tokens, &seen);
	if (rc == 0)
		rc = account_client_find_me(c, NULL, &me, A, &e);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	if (!is_http(prc, &pe, 401, "UNAUTHORIZED"))
		snprintf(why, sizeof why, "the expired token without refresh: %s", E(prc, &pe));
	else if (rc != 0)
		snprintf(why, sizeof why, "findMe: %s", E(rc, &e));
	else if (strcmp(S(me->uid), a_uid) != 0 || st.refreshes != 1 || seen.calls != 1 || seen.expires_in != 900)
		snprintf(why, sizeof why, "uid %s, %lu refreshes, %d token reports, expiresIn %ld", S(me->uid),
		         st.refreshes, seen.calls, seen.expires_in);
	else if (strcmp(S(axr_client_token(c)), seen.token) != 0 || strcmp(S(axr_client_refresh_token(c)), seen.refresh) != 0 ||
	         strcmp(seen.refresh, l->refresh) == 0)
		snprintf(why, sizeof why, "the client does not hold the reported pair");
	it_check(!why[0], "automatic_refresh_of_an_expired_access_token_is_transparent", "%s", why);

	/* the used-up refresh token no longer works; presenting it revokes the login, so the
	 * client's next refresh is refused: the call reports its 401 and the pair is dropped */
	why[0] = '\0';
	axr_client_error_t er;
	int rrc = refresh(anon, l->refresh, &x, &er);
	axr_client_set_token(c, expired);
	rc = account_client_find_me(c, NULL, &me, A, &e);
	if (!is_http(rrc, &er, 401, "UNAUTHORIZED"))
		snprintf(why, sizeof why, "the old refresh token: %s", E(rrc, &er));
	else if (!is_http(rc, &e, 401, "UNAUTHORIZED") || seen.dropped != 1 || axr_client_refresh_token(c) != NULL)
		snprintf(why, sizeof why, "after the revocation: %s, %d drops, refresh token %s", E(rc, &e),
		         seen.dropped, axr_client_refresh_token(c) ? "kept" : "dropped");
	it_check(!why[0], "automatic_refresh_refused_reports_the_401_and_drops_the_pair", "%s", why);
	free(expired);
	axr_client_free(probe);
	axr_client_free(c);
	axr_client_free(anon);
}

/* A client with AXR_CLIENT_PROTOBUF: bodies and answers as application/x-protobuf. */
static axr_client_t *protobuf_client(const char *token)
{
	axr_client_t *c = NULL;
	axr_client_options_t o = {.base_url = URL, .timeout_ms = 15000, .flags = AXR_CLIENT_PROTOBUF};
	if (axr_client_new(&o, &c) != 0 || (token && axr_client_set_token(c, token) != 0)) {
		printf("not ok - setup: a protobuf client\n");
		exit(2);
	}
	return c;
}

static void protobuf_on_the_wire(void)
{
	axr_client_t *c = protobuf_client(NULL);
	Account__NewUser *nu = NULL;
	Account__User *me = NULL;
	Account__Jwks *ks = NULL;
	Account__RoleList *rl = NULL;
	axr_client_error_t e, ew;
	char why[1024] = "";
	int rc = login(c, "alice", "alice-password-1", &nu, &e);
	int rcw = login_from(c, "alice", "wrong-password-2", "192.0.2.50", NULL, &ew, NULL);
	if (rc == 0) {
		axr_client_set_token(c, nu->token);
		rc = account_client_find_me(c, NULL, &me, A, &e);
	}
	if (rc == 0)
		rc = account_client_get_keys(c, NULL, &ks, A, &e);
	axr_client_t *ad = protobuf_client(admin_token);
	if (rc == 0)
		rc = account_client_list_roles(ad, NULL, &rl, A, &e);
	if (rc != 0)
		snprintf(why, sizeof why, "%s", E(rc, &e));
	else if (!nu->user || strcmp(S(nu->user->uid), a_uid) != 0 || nu->expires_in != 900 ||
	         strcmp(S(me->uid), a_uid) != 0 || strcmp(S(me->email), "alice@example.com") != 0 || me->version != 1)
		snprintf(why, sizeof why, "log-in uid %s expiresIn %d; findMe %s %s v%lld",
		         nu->user ? S(nu->user->uid) : "-", nu->expires_in, S(me->uid), S(me->email), (long long)me->version);
	else if (ks->n_keys < 1 || strcmp(S(ks->keys[0]->kty), "RSA") != 0 || rl->n_items < 1)
		snprintf(why, sizeof why, "%zu keys, %zu roles", ks->n_keys, rl->n_items);
	else if (!is_http(rcw, &ew, 401, "UNAUTHORIZED"))
		snprintf(why, sizeof why, "a wrong password: %s", E(rcw, &ew));
	it_check(!why[0], "protobuf_on_the_wire_gives_the_same_answers_and_errors_stay_json", "%s", why);
	axr_client_free(ad);
	axr_client_free(c);
}

typedef struct me_calls {
	int done, ok;
	char first_error[640];
} me_calls_t;

static void on_me(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	me_calls_t *m = ud;
	m->done++;
	if (rc == 0 && out && strcmp(S(((const Account__User *)out)->uid), a_uid) == 0)
		m->ok++;
	else if (!m->first_error[0])
		snprintf(m->first_error, sizeof m->first_error, "%s", E(rc, err));
}

/* Ten async calls with an expired token at once: one refresh serves them all (a second use of the
 * single-use refresh token would revoke the login). */
static void automatic_refresh_shared_by_concurrent_calls(void)
{
	axr_client_t *anon = client(NULL);
	Account__NewUser *l = NULL, *x = NULL;
	axr_client_error_t e;
	char args[256], why[1024] = "";
	int rc = login(anon, "alice", "alice-password-1", &l, &e);
	snprintf(args, sizeof args, "-s %s -t 1 -e 120", a_uid);
	char *expired = mint(args);
	axr_client_t *c = client(expired ? expired : "x");
	tokens_seen_t seen = {0};
	me_calls_t m = {0};
	if (rc == 0 && expired)
		rc = axr_client_set_refresh(c, l->refresh, NULL, on_tokens, &seen);
	struct event_base *base = event_base_new();
	int started = 0;
	for (int i = 0; rc == 0 && i < 10; i++)
		if (account_client_find_me_async(c, base, NULL, A, &e, on_me, &m) == 0)
			started++;
	long long deadline = it_now_ms() + 15000;
	while (m.done < started && it_now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	/* the login is still alive: its current refresh token works */
	axr_client_error_t er;
	int rr = seen.calls ? refresh(anon, seen.refresh, &x, &er) : -1;
	if (rc != 0 || !expired)
		snprintf(why, sizeof why, "log-in: %s; mint %s", E(rc, &e), expired ? "ok" : "failed");
	else if (started != 10 || m.ok != 10 || st.refreshes != 1 || seen.calls != 1)
		snprintf(why, sizeof why, "%d started, %d answered alice (%s), %lu refreshes, %d token reports", started,
		         m.ok, m.first_error, st.refreshes, seen.calls);
	else if (rr != 0)
		snprintf(why, sizeof why, "the login's refresh token after: %s", E(rr, &er));
	it_check(!why[0], "automatic_refresh_one_refresh_serves_ten_concurrent_async_calls", "%s", why);
	axr_client_free(c); /* before its loop */
	event_base_free(base);
	axr_client_free(anon);
	free(expired);
}

static void unknown_user_token(void)
{
	char *ghost = it_mint("00000000-0000-4000-8000-0000000000ff", NULL);
	axr_client_t *c = client(ghost);
	Account__User *me = NULL;
	axr_client_error_t e;
	int rc = account_client_find_me(c, NULL, &me, A, &e);
	it_check(is_http(rc, &e, 404, "NOTFOUND"), "a_valid_token_of_a_user_that_does_not_exist_finds_nothing_404", "%s",
	         E(rc, &e));
	axr_client_free(c);
	free(ghost);
}

int main(void)
{
	URL = it_env("AXR_IT_ACCOUNT_URL");
	it_env("AXR_IT_KEY");
	A = axr_arena_new(0);
	srand((unsigned)it_now_ms());
	admin_logs_in();
	register_answers_a_session();
	if (a_token == NULL)
		return 1;
	register_validation();
	register_duplicates();
	mass_assignment_cannot_be_expressed();
	password_login();
	login_failures_look_alike();
	device_login_cases();
	refresh_rotation_and_reuse();
	logout_cases();
	keys();
	own_record();
	bola();
	if (b_uid == NULL)
		return 1;
	update_with_versions();
	admin_users();
	roles_crud();
	lockout();
	protobuf_on_the_wire();
	automatic_refresh();
	automatic_refresh_shared_by_concurrent_calls();
	unknown_user_token();
	axr_arena_free(A);
	free(admin_token);
	free(admin_uid);
	free(a_token);
	free(a_refresh);
	free(a_uid);
	free(b_token);
	free(b_uid);
	return it_exit_status();
}
