/* main.c: axr, the command-line tool: calls any operation of the services it was linked with. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "axr_cli.h"
#include "buf.h"
#include "client.h"
#include "err.h"
#include "http.h"
#include "op.h"

/* Exit statuses: each kind of failure its own. */
enum {
	AXR_CLI_OK = 0,
	AXR_CLI_FAIL = 1,    /* local: out of memory, unreadable file, cannot store the token */
	AXR_CLI_USAGE = 2,   /* bad command line: unknown service, operation or parameter */
	AXR_CLI_HTTP = 3,    /* the server answered an error status */
	AXR_CLI_NETWORK = 4, /* no answer: refused, timed out, closed */
};

#define AXR_CLI_DEFAULT_URL "http://127.0.0.1:8080/v1"
#define AXR_CLI_MAX_ARGS 64

static void axr_cli_usage(FILE *f)
{
	fprintf(f, "usage: axr [--url URL] [--token TOKEN] COMMAND\n"
		   "  axr login --login NAME --password PASSWORD   log in (account service), store the token\n"
		   "  axr SERVICE OPERATION [--PARAM VALUE]... [--data JSON|@FILE]\n"
		   "                                              call an operation, print the JSON answer\n"
		   "  axr SERVICE --help                          the operations and their parameters\n"
		   "URL: --url, else $AXR_URL, else " AXR_CLI_DEFAULT_URL ". Token: --token, else $AXR_TOKEN,\n"
		   "else the file written by login ($AXR_TOKEN_FILE, else ~/.config/axr/token; refreshed\n"
		   "through the account service's /auth/refresh when the server answers 401).\n"
		   "Exit status: 0 ok, 1 local failure, 2 usage, 3 HTTP error, 4 network error.\n"
		   "Services:");
	for (const axr_cli_service_t *s = axr_cli_services; s->name != NULL; s++)
		fprintf(f, " %s", s->name);
	fprintf(f, "\n");
}

/* ~/.config/axr/token, or $AXR_TOKEN_FILE; NULL when there is no home. */
static const char *axr_cli_token_path(char *buf, size_t size)
{
	const char *env = getenv("AXR_TOKEN_FILE");
	if (env != NULL && *env)
		return env;
	const char *home = getenv("HOME");
	if (home == NULL || (size_t)snprintf(buf, size, "%s/.config/axr/token", home) >= size)
		return NULL;
	return buf;
}

/* The stored token (first line of the token file) into buf, and the refresh
 * token (second line) into refresh (or ""); NULL when there is none. */
static const char *axr_cli_stored_token(char *buf, size_t size, char *refresh, size_t refresh_size)
{
	char path[4096];
	const char *p = axr_cli_token_path(path, sizeof(path));
	FILE *f = p ? fopen(p, "r") : NULL;
	refresh[0] = '\0';
	if (f == NULL)
		return NULL;
	const char *t = fgets(buf, (int)size, f);
	if (t != NULL && fgets(refresh, (int)refresh_size, f) == NULL)
		refresh[0] = '\0';
	fclose(f);
	if (t == NULL)
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	refresh[strcspn(refresh, "\r\n")] = '\0';
	return *buf ? buf : NULL;
}

static int axr_cli_store_tokens(const char *token, const char *refresh)
{
	char path[4096];
	const char *p = axr_cli_token_path(path, sizeof(path));
	if (p == NULL)
		return AXR_EINVAL;
	if (getenv("AXR_TOKEN_FILE") == NULL || !*getenv("AXR_TOKEN_FILE")) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/.config", getenv("HOME"));
		mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/.config/axr", getenv("HOME"));
		mkdir(dir, 0700);
	}
	umask(077);
	FILE *f = fopen(p, "w");
	if (f == NULL)
		return AXR_EIO;
	fprintf(f, "%s\n%s\n", token, refresh ? refresh : "");
	return fclose(f) == 0 ? 0 : AXR_EIO;
}

/* The client refreshed the stored token (or dropped a refused refresh token). */
static void axr_cli_on_tokens(const char *token, const char *refresh, long expires_in, void *ud)
{
	(void)expires_in;
	(void)ud;
	if (token != NULL && axr_cli_store_tokens(token, refresh) != 0)
		fprintf(stderr, "axr: cannot store the refreshed token\n");
}

/* Reads `@file` (or returns `arg` itself) into *out (malloc'd). */
static int axr_cli_data(const char *arg, char **out, size_t *len)
{
	if (arg[0] != '@') {
		*out = strdup(arg);
		*len = strlen(arg);
		return *out ? 0 : AXR_ENOMEM;
	}
	FILE *f = fopen(arg + 1, "rb");
	if (f == NULL) {
		fprintf(stderr, "axr: cannot read %s: %s\n", arg + 1, strerror(errno));
		return AXR_EIO;
	}
	axr_buf_t b = AXR_BUF_INIT;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		axr_buf_append(&b, chunk, n);
	fclose(f);
	axr_buf_putc(&b, '\0');
	if (!axr_buf_ok(&b)) {
		axr_buf_free(&b);
		return AXR_ENOMEM;
	}
	*len = b.len - 1;
	*out = b.data;
	return 0;
}

/* Appends `s` percent-encoded (every byte but unreserved characters). */
static void axr_cli_encode(axr_buf_t *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p) != NULL)
			axr_buf_putc(b, (char)*p);
		else
			axr_buf_printf(b, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
	}
}

static const axr_cli_service_t *axr_cli_service(const char *name)
{
	for (const axr_cli_service_t *s = axr_cli_services; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static const axr_route_t *axr_cli_route(const axr_cli_service_t *s, const char *name)
{
	for (size_t i = 0; i < s->n_routes; i++)
		if (s->routes[i].name != NULL && strcmp(s->routes[i].name, name) == 0)
			return &s->routes[i];
	return NULL;
}

static void axr_cli_help(const axr_cli_service_t *s)
{
	printf("%s: %zu operations\nusage: axr %s OPERATION [--PARAM VALUE]... [--data JSON|@FILE]\n\n", s->name,
	       s->n_routes, s->name);
	for (size_t i = 0; i < s->n_routes; i++) {
		const axr_route_t *r = &s->routes[i];
		const axr_op_t *op = r->op;
		printf("  %-28s %s %s\n", r->name, axr_http_method_name(r->method), r->path);
		printf("      ");
		for (size_t k = 0; k < op->n_params; k++) {
			const axr_param_spec_t *p = &op->params[k];
			static const char *const in[] = {"path", "query", "header", "cookie"};
			printf("%s--%s V (%s)%s ", p->required ? "" : "[", p->name, in[p->in & 3], p->required ? "" : "]");
		}
		if (op->body.schema != NULL)
			printf("%s--data JSON|@FILE%s", op->flags & AXR_OP_BODY_REQUIRED ? "" : "[",
			       op->flags & AXR_OP_BODY_REQUIRED ? "" : "]");
		if (op->n_params == 0 && op->body.schema == NULL)
			printf("(no parameters)");
		printf("\n");
		if (op->summary != NULL)
			printf("      %s\n", op->summary);
	}
}

/* Sends the request and prints the answer; returns the exit status. */
static int axr_cli_send(axr_client_t *c, const axr_client_request_t *req, json_object **answer)
{
	axr_arena_t *arena = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err = {0};
	if (arena == NULL)
		return AXR_CLI_FAIL;
	int status = AXR_CLI_OK;
	int rc = axr_client_send(c, req, NULL, arena, &resp, &err);
	if (rc != 0) {
		fprintf(stderr, "axr: %s: %s\n", err.code ? err.code : axr_errname(rc), err.message ? err.message : "");
		status = err.kind == AXR_CLIENT_ERR_NETWORK ? AXR_CLI_NETWORK : AXR_CLI_FAIL;
	} else if (resp.status < 200 || resp.status > 299) {
		axr_client_error_from_response(&resp, arena, &err);
		fprintf(stderr, "axr: HTTP %d %s: %s\n", resp.status, err.code, err.message);
		for (size_t i = 0; i < err.n_errors; i++)
			fprintf(stderr, "  %s: %s\n", err.errors[i].path, err.errors[i].message);
		if (err.request_id != NULL)
			fprintf(stderr, "  request id: %s\n", err.request_id);
		status = AXR_CLI_HTTP;
	} else if (answer != NULL) {
		*answer = json_tokener_parse(resp.body);
	} else if (resp.body_len > 0) {
		fwrite(resp.body, 1, resp.body_len, stdout);
		if (resp.body[resp.body_len - 1] != '\n')
			putchar('\n');
	} else {
		const char *total = axr_client_response_header(&resp, "X-Total-Count");
		if (total != NULL)
			printf("%s\n", total);
	}
	axr_arena_free(arena);
	return status;
}

/* axr SERVICE OPERATION [--PARAM VALUE]... [--data JSON|@FILE] */
static int axr_cli_call(axr_client_t *c, const axr_cli_service_t *s, const axr_route_t *r, int argc, char **argv)
{
	const axr_op_t *op = r->op;
	const char *values[AXR_CLI_MAX_ARGS] = {0}; /* by parameter index */
	const char *extra[AXR_CLI_MAX_ARGS];        /* undeclared query names (list filters): name, value */
	const char *headers[2 * AXR_CLI_MAX_ARGS];
	size_t n_extra = 0, n_headers = 0;
	const char *data = NULL;
	char *body = NULL;
	size_t body_len = 0;
	axr_buf_t target = AXR_BUF_INIT;
	int status = AXR_CLI_USAGE;
	if (op->n_params > AXR_CLI_MAX_ARGS)
		goto done;
	for (int i = 0; i < argc; i += 2) {
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
			fprintf(stderr, "axr: %s %s: expected --NAME VALUE, got '%s'\n", s->name, r->name, argv[i]);
			goto done;
		}
		const char *name = argv[i] + 2;
		if (strcmp(name, "data") == 0) {
			data = argv[i + 1];
			continue;
		}
		size_t k = 0;
		while (k < op->n_params && strcmp(op->params[k].name, name) != 0 &&
		       (op->params[k].input_name == NULL || strcmp(op->params[k].input_name, name) != 0))
			k++;
		if (k < op->n_params) {
			values[k] = argv[i + 1];
		} else if (op->list_filters && n_extra + 2 <= AXR_CLI_MAX_ARGS) {
			extra[n_extra++] = name;
			extra[n_extra++] = argv[i + 1];
		} else {
			fprintf(stderr, "axr: %s %s has no parameter '%s' (axr %s --help)\n", s->name, r->name, name,
				s->name);
			goto done;
		}
	}
	for (size_t k = 0; k < op->n_params; k++)
		if (op->params[k].required && values[k] == NULL) {
			fprintf(stderr, "axr: %s %s needs --%s\n", s->name, r->name, op->params[k].name);
			goto done;
		}
	if (data == NULL && (op->flags & AXR_OP_BODY_REQUIRED)) {
		fprintf(stderr, "axr: %s %s needs --data JSON|@FILE\n", s->name, r->name);
		goto done;
	}
	if (data != NULL && op->body.schema == NULL) {
		fprintf(stderr, "axr: %s %s takes no --data\n", s->name, r->name);
		goto done;
	}
	status = AXR_CLI_FAIL;
	if (data != NULL && axr_cli_data(data, &body, &body_len) != 0)
		goto done;
	/* The target: the template filled in, then the query. */
	for (const char *p = r->path; *p;) {
		if (*p != '{') {
			axr_buf_putc(&target, *p++);
			continue;
		}
		const char *end = strchr(p, '}');
		size_t len = end ? (size_t)(end - p - 1) : 0;
		for (size_t k = 0; k < op->n_params; k++)
			if (op->params[k].in == AXR_PARAM_PATH && strlen(op->params[k].name) == len &&
			    strncmp(op->params[k].name, p + 1, len) == 0 && values[k] != NULL)
				axr_cli_encode(&target, values[k]);
		p = end ? end + 1 : p + strlen(p);
	}
	char sep = '?';
	for (size_t k = 0; k < op->n_params + n_extra / 2; k++) {
		bool is_extra = k >= op->n_params;
		const char *name = is_extra ? extra[2 * (k - op->n_params)] : op->params[k].name;
		const char *value = is_extra ? extra[2 * (k - op->n_params) + 1] : values[k];
		if (value == NULL)
			continue;
		if (!is_extra && op->params[k].in == AXR_PARAM_HEADER) {
			headers[n_headers++] = name;
			headers[n_headers++] = value;
		} else if (is_extra || op->params[k].in == AXR_PARAM_QUERY) {
			axr_buf_putc(&target, sep);
			axr_cli_encode(&target, name);
			axr_buf_putc(&target, '=');
			axr_cli_encode(&target, value);
			sep = '&';
		}
	}
	axr_buf_putc(&target, '\0');
	if (!axr_buf_ok(&target))
		goto done;
	axr_client_request_t req = {
		.method = r->method,
		.target = target.data,
		.headers = headers,
		.n_headers = n_headers / 2,
		.body = body,
		.body_len = body_len,
	};
	status = axr_cli_send(c, &req, NULL);
done:
	free(body);
	axr_buf_free(&target);
	return status;
}

/* axr login --login NAME --password PASSWORD: POST /auth/password of the
 * account service's table, the token and refresh token into the token file. */
static int axr_cli_login(axr_client_t *c, int argc, char **argv)
{
	const char *login = NULL, *password = NULL;
	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--login") == 0)
			login = argv[i + 1];
		else if (strcmp(argv[i], "--password") == 0)
			password = argv[i + 1];
	}
	if (login == NULL || password == NULL || argc % 2 != 0) {
		fprintf(stderr, "usage: axr login --login NAME --password PASSWORD\n");
		return AXR_CLI_USAGE;
	}
	const axr_cli_service_t *account = axr_cli_service("account");
	const axr_route_t *r = account ? axr_cli_route(account, "authenticatePassword") : NULL;
	if (r == NULL) {
		fprintf(stderr, "axr: this axr was built without the account service's client\n");
		return AXR_CLI_FAIL;
	}
	json_object *in = json_object_new_object();
	json_object_object_add(in, "login", json_object_new_string(login));
	json_object_object_add(in, "password", json_object_new_string(password));
	const char *text = json_object_to_json_string_ext(in, JSON_C_TO_STRING_PLAIN);
	axr_client_request_t req = {.method = r->method, .target = r->path, .body = text, .body_len = strlen(text),
				    .anonymous = true};
	json_object *answer = NULL;
	int status = axr_cli_send(c, &req, &answer);
	json_object_put(in);
	if (status != AXR_CLI_OK)
		return status;
	json_object *token = NULL, *refresh = NULL;
	if (answer == NULL || !json_object_object_get_ex(answer, "token", &token) ||
	    !json_object_is_type(token, json_type_string)) {
		fprintf(stderr, "axr: the answer carries no token\n");
		json_object_put(answer);
		return AXR_CLI_HTTP;
	}
	json_object_object_get_ex(answer, "refresh", &refresh);
	if (axr_cli_store_tokens(json_object_get_string(token), refresh ? json_object_get_string(refresh) : NULL) != 0) {
		fprintf(stderr, "axr: cannot store the token\n");
		status = AXR_CLI_FAIL;
	} else {
		printf("logged in as %s\n", login);
	}
	json_object_put(answer);
	return status;
}

int main(int argc, char **argv)
{
	const char *url = getenv("AXR_URL"), *token = getenv("AXR_TOKEN");
	char stored[8192], refresh[8192];
	bool from_file = false;
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--url") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--token") == 0)
			token = argv[i + 1];
		else
			break;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		axr_cli_usage(i >= argc ? stderr : stdout);
		return i >= argc ? AXR_CLI_USAGE : AXR_CLI_OK;
	}
	bool login = strcmp(argv[i], "login") == 0;
	const axr_cli_service_t *s = login ? NULL : axr_cli_service(argv[i]);
	if (!login && s == NULL) {
		fprintf(stderr, "axr: unknown command or service '%s'\n", argv[i]);
		axr_cli_usage(stderr);
		return AXR_CLI_USAGE;
	}
	if (s != NULL && (i + 1 >= argc || strcmp(argv[i + 1], "--help") == 0 || strcmp(argv[i + 1], "-h") == 0)) {
		axr_cli_help(s);
		return i + 1 >= argc ? AXR_CLI_USAGE : AXR_CLI_OK;
	}
	const axr_route_t *r = s ? axr_cli_route(s, argv[i + 1]) : NULL;
	if (s != NULL && r == NULL) {
		fprintf(stderr, "axr: %s has no operation '%s' (axr %s --help)\n", s->name, argv[i + 1], s->name);
		return AXR_CLI_USAGE;
	}
	axr_client_options_t o = {.base_url = url && *url ? url : AXR_CLI_DEFAULT_URL};
	axr_client_t *c = NULL;
	if (axr_client_new(&o, &c) != 0) {
		fprintf(stderr, "axr: bad URL '%s' (http://host[:port][/prefix])\n", o.base_url);
		return AXR_CLI_USAGE;
	}
	if (token == NULL || !*token) {
		token = axr_cli_stored_token(stored, sizeof(stored), refresh, sizeof(refresh));
		from_file = token != NULL;
	}
	/* A stored login refreshes itself on a 401 (the account service's
	 * /auth/refresh under the same URL) and the file keeps the new pair. */
	if (from_file && !login && refresh[0] != '\0')
		axr_client_set_refresh(c, refresh, NULL, axr_cli_on_tokens, NULL);
	int status;
	if (token != NULL && !login && axr_client_set_token(c, token) != 0) {
		fprintf(stderr, "axr: the token holds characters a header cannot carry\n");
		status = AXR_CLI_USAGE;
	} else if (login) {
		status = axr_cli_login(c, argc - i - 1, argv + i + 1);
	} else {
		status = axr_cli_call(c, s, r, argc - i - 2, argv + i + 2);
	}
	axr_client_free(c);
	return status;
}
