/* api.c: helpers of the account adapters: context and database, caller, error answers, User/NewUser messages, events. */
#include <inttypes.h>
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "codec.h"
#include "err.h"
#include "pool.h"

#include "account_api.h"
#include "account_schema.h"

int account_api_begin(axr_request_t *req, account_api_call_t *call)
{
	call->acc = account_api_context();
	call->db = req->worker ? req->worker->db : NULL;
	call->caller = (account_caller_t){.uid = req->user_uid, .admin = axr_request_trusted(req)};
	if (call->acc && call->db)
		return 0;
	req->error_reason = call->acc ? "no database handle" : "account context not built";
	axr_response_error(req, 503, NULL, "the account service is not available", NULL, 0);
	return AXR_EUNAVAILABLE;
}

int account_api_fail(axr_request_t *req, int rc, const account_problem_t *problem)
{
	int status = axr_err_http_status(rc);
	const char *message = problem && problem->message ? problem->message : axr_strerror(rc);
	axr_field_error_t fe = {.path = problem ? problem->field : NULL, .message = message};

	if (status >= 500) {
		req->error_reason = axr_strerror(rc); /* the log says which code; the client only the status */
		fe.path = NULL;
	}
	if (status == 429) {
		char ra[24];
		snprintf(ra, sizeof ra, "%d", problem && problem->retry_after > 0 ? problem->retry_after : 1);
		axr_response_header(req, "Retry-After", ra);
	}
	axr_response_error(req, status, axr_errname(rc), message, fe.path ? &fe : NULL, fe.path ? 1 : 0);
	return rc;
}

/* An arena copy of `s` (NULL stays NULL); *oom set when the copy fails. */
static char *account__copy(axr_request_t *req, const char *s, bool *oom)
{
	char *c = s ? axr_arena_strdup(req->arena, s) : NULL;
	if (s && !c)
		*oom = true;
	return c;
}

Account__User *account_api_user(axr_request_t *req, const account_user_t *u)
{
	Account__User *m = (Account__User *)axr_op_message_new(req, &account__user__descriptor);
	Account__UserVerified *v = (Account__UserVerified *)axr_op_message_new(req, &account__user_verified__descriptor);
	bool oom = !m || !v;

	if (oom)
		return NULL;
	m->uid = account__copy(req, u->uid, &oom);
	m->date_created = account__copy(req, u->date_created, &oom);
	m->date_modified = account__copy(req, u->date_modified, &oom);
	m->has_version = true;
	m->version = u->version;
	m->name = account__copy(req, u->name, &oom);
	m->email = account__copy(req, u->email, &oom);
	m->given_name = account__copy(req, u->given_name, &oom);
	m->family_name = account__copy(req, u->family_name, &oom);
	m->locale = account__copy(req, u->locale, &oom);
	if (u->nroles > 0) {
		m->roles = axr_arena_calloc(req->arena, u->nroles, sizeof *m->roles);
		oom = oom || !m->roles;
		for (size_t i = 0; m->roles && i < u->nroles; i++)
			m->roles[i] = account__copy(req, u->roles[i], &oom);
		m->n_roles = m->roles ? u->nroles : 0;
	}
	v->has_email = v->has_phone = true;
	v->email = u->verified_email;
	v->phone = u->verified_phone;
	m->verified = v;
	m->has_guest = true;
	m->guest = u->guest;
	m->last_login = account__copy(req, u->last_login, &oom);
	return oom ? NULL : m;
}

int account_api_session(axr_request_t *req, int rc, const account_session_t *s, const account_problem_t *problem,
                        Account__NewUser **out)
{
	if (rc != 0)
		return account_api_fail(req, rc, problem);
	Account__NewUser *m = (Account__NewUser *)axr_op_message_new(req, &account__new_user__descriptor);
	bool oom = !m;

	if (oom)
		return AXR_ENOMEM;
	m->token = account__copy(req, s->token, &oom);
	m->refresh = account__copy(req, s->refresh, &oom);
	m->has_expires_in = true;
	m->expires_in = s->expires_in;
	m->has_refresh_expires_in = s->refresh_expires_in > 0;
	m->refresh_expires_in = s->refresh_expires_in;
	m->user = account_api_user(req, &s->user);
	if (oom || !m->user)
		return AXR_ENOMEM;
	*out = m;
	return 0;
}

int account_api_etag(axr_request_t *req, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%" PRId64 "\"", version);
	return axr_response_header(req, "ETag", etag);
}

void account_api_publish_user(axr_request_t *req, const char *action, const char *uid, const Account__User *u,
                              int64_t version)
{
	axr_buf_t json = AXR_BUF_INIT;
	const char *const audience[1] = {uid};
	axr_bus_event_t ev = {
		.type = "User",
		.action = action,
		.uid = uid,
		.has_version = true,
		.version = version,
		.audience = audience,
		.naudience = 1,
	};

	if (!req->worker || !req->worker->redis || !uid)
		return; /* no bus configured: nothing to tell */
	if (u) {
		ev.data = &u->base;
		if (axr_codec_to_json(&account_schema_User, &u->base, AXR_CODEC_RESPONSE, &json) == 0 && axr_buf_ok(&json))
			ev.data_json = json.data;
	}
	axr_bus_publish(req->worker, &ev);
	axr_buf_free(&json);
}
