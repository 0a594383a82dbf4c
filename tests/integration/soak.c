/* soak.c: mixed traffic through the gateway for a long time (tests/soak/run.sh), counting every answer by status. */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "itest.h"

#include "account_client.h"
#include "achievement_client.h"
#include "economy_client.h"
#include "guestbook_client.h"
#include "matchmaking_client.h"

/*
 * Settings (environment):
 *   AXR_SOAK_URL          the gateway's API base, http://127.0.0.1:PORT/v1
 *   AXR_SOAK_SECONDS      how long the traffic runs (default 600)
 *   AXR_SOAK_THREADS      worker threads, each one user at a time (default 4)
 *   AXR_SOAK_SOCKETS      notification websockets held open (default 40)
 *   AXR_SOAK_RATE         requests per second, all threads together (default 80)
 *   AXR_SOAK_AUTH_RATE    of which under /v1/auth/ at most (default 4)
 *   AXR_SOAK_ADMIN_NAME, AXR_SOAK_ADMIN_PASSWORD   the platform's admin login
 *
 * The rates stay under the gateway's limits for one client address (nginx.conf: 100 r/s with a
 * burst of 200, and 5 r/s with a burst of 10 under /v1/auth/): a 429 is a failure here.
 *
 * Each worker loops over one "round", every request paced to those rates:
 *   account      sign-up (every 40th round: a new user, one argon2id), password log-in
 *                (every 40th, offset), device log-in (every 5th), refresh (every 10th), GET /users/me
 *   achievement  POST /achievements/soak_progress/progress
 *   economy      a mint of 10 coins to the user (admin), a transfer of 1 coin from the user to a
 *                websocket guest (admin, both approvals: executes at once, pushes an event)
 *   guestbook    create, read, update (with its version), list (limit 10), delete
 *   matchmaking  a 1v1 ticket, read it, cancel it (409 when the matcher took it first)
 *   example      GET /example/status, POST /echo (the answer must hold the body sent)
 * and one thread holds AXR_SOAK_SOCKETS websockets on /v1/notifications (guests of device
 * log-ins), answers pings, reads the pushed events, and every 20 s closes and reopens 4 of them.
 *
 * Every 10 s a "soak: ..." progress line goes to stderr. At the end a table of the answers per
 * operation and three cases: no 5xx, no unexpected 4xx or transport error, websockets held.
 */

enum {
	OP_REGISTER,
	OP_LOGIN_PASSWORD,
	OP_LOGIN_DEVICE,
	OP_REFRESH,
	OP_FIND_ME,
	OP_PROGRESS,
	OP_MINT,
	OP_TRANSFER,
	OP_GB_CREATE,
	OP_GB_FIND,
	OP_GB_UPDATE,
	OP_GB_LIST,
	OP_GB_DELETE,
	OP_TICKET_CREATE,
	OP_TICKET_GET,
	OP_TICKET_CANCEL,
	OP_EXAMPLE_STATUS,
	OP_EXAMPLE_ECHO,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	"account register",  "account password log-in", "account device log-in", "account refresh",
	"account users/me",  "achievement progress",     "economy mint",          "economy transfer",
	"guestbook create",  "guestbook read",           "guestbook update",      "guestbook list",
	"guestbook delete",  "matchmaking ticket",       "matchmaking read",      "matchmaking cancel",
	"example status",    "example echo",
};

typedef struct op_count {
	unsigned long ok;       /* 2xx */
	unsigned long expected; /* an error status the operation may answer (a lost cancel race) */
	unsigned long c4xx;     /* any other 4xx */
	unsigned long c5xx;
	unsigned long net;      /* no answer (refused, reset, timeout) or not sent */
} op_count_t;

static pthread_mutex_t soak_lock = PTHREAD_MUTEX_INITIALIZER;
static op_count_t soak_counts[OP_COUNT];
static unsigned long soak_reported; /* failures printed so far (capped) */

static const char *soak_url;
static char soak_host[64];
static int soak_gw_port;
static long long soak_deadline;

/* Websocket guests: the receivers of transfers (their sockets get the events). */
#define SOAK_MAX_SOCKETS 1000
static int soak_nsockets;
static char soak_guest_uid[SOAK_MAX_SOCKETS][64];

typedef struct ws_stats {
	unsigned long opened, open_failed, dropped, churned, events, pings;
	int held_min; /* fewest sockets open at a check after the start */
} ws_stats_t;
static ws_stats_t soak_ws = {.held_min = -1};

/* Counts one answer of operation `op`: rc 0 is a 2xx; `allowed` (0 = none) is a status that is
 * part of the traffic. Prints the first 20 failures with what the server said. */
static int count(int op, int rc, const axr_client_error_t *err, int allowed)
{
	op_count_t *c = &soak_counts[op];
	int bad = 0;
	pthread_mutex_lock(&soak_lock);
	if (rc == 0)
		c->ok++;
	else if (err->kind == AXR_CLIENT_ERR_HTTP && allowed && err->status == allowed)
		c->expected++;
	else {
		bad = 1;
		if (err->kind == AXR_CLIENT_ERR_HTTP && err->status >= 500)
			c->c5xx++;
		else if (err->kind == AXR_CLIENT_ERR_HTTP)
			c->c4xx++;
		else
			c->net++;
		if (soak_reported++ < 20)
			fprintf(stderr, "soak: %s: %s (request %s)\n", op_names[op], it_err(rc, err),
			        err->request_id ? err->request_id : "-");
	}
	pthread_mutex_unlock(&soak_lock);
	return bad ? -1 : rc;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* A request pacer: slots `interval_us` apart, handed out in order to whichever thread asks. */
typedef struct pacer {
	pthread_mutex_t lock;
	long long next_us;
	long long interval_us;
} pacer_t;

static pacer_t soak_general = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pacer_t soak_auth = {.lock = PTHREAD_MUTEX_INITIALIZER};

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pacer_wait(pacer_t *p)
{
	long long now = now_us(), slot;
	pthread_mutex_lock(&p->lock);
	slot = p->next_us > now ? p->next_us : now;
	p->next_us = slot + p->interval_us;
	pthread_mutex_unlock(&p->lock);
	if (slot > now)
		usleep((useconds_t)(slot - now));
}

/* Waits for the slot of one request of operation `op` (log-ins and refreshes: also an auth slot). */
static void pace(int op)
{
	if (op == OP_LOGIN_PASSWORD || op == OP_LOGIN_DEVICE || op == OP_REFRESH)
		pacer_wait(&soak_auth);
	pacer_wait(&soak_general);
}

/* One paced call of operation `op`, counted (`err` is the caller's axr_client_error_t). */
#define CALL(op, allowed, call) (pace(op), count((op), (call), &err, (allowed)))

/* ---- workers ------------------------------------------------------------------------ */

typedef struct worker {
	int id;
	pthread_t thread;
	axr_client_t *anon;  /* no token: sign-up and log-ins */
	axr_client_t *admin; /* the admin's token, refreshed on 401 */
	axr_client_t *user;  /* the current user's token, refreshed on 401 */
	char name[64];
	char user_uid[64];
	char *coin;
	unsigned long rounds, users;
} worker_t;

static char soak_password[] = "soak-password-1234";

/* A token pair from a log-in or sign-up into client `c`. */
static int take_tokens(axr_client_t *c, const Account__NewUser *nu)
{
	if (!nu || !nu->token || axr_client_set_token(c, nu->token) != 0)
		return -1;
	return axr_client_set_refresh(c, nu->refresh, NULL, NULL, NULL);
}

/* Signs up a new user for worker `w` (name soak<pid>w<id>u<n>) and makes it current. */
static int new_user(worker_t *w, axr_arena_t *a)
{
	axr_client_error_t err = {0};
	Account__Registration r = ACCOUNT__REGISTRATION__INIT;
	Account__NewUser *nu = NULL;
	char email[96];
	snprintf(w->name, sizeof w->name, "soak%dw%du%lu", (int)getpid(), w->id, w->users++);
	snprintf(email, sizeof email, "%s@example.com", w->name);
	r.name = w->name;
	r.email = email;
	r.password = soak_password;
	if (CALL(OP_REGISTER, 0, account_client_register(w->anon, &r, NULL, &nu, a, &err)) != 0)
		return -1;
	if (!nu->user || !nu->user->uid || take_tokens(w->user, nu) != 0)
		return -1;
	copy(w->user_uid, sizeof w->user_uid, nu->user->uid);
	return 0;
}

static void account_round(worker_t *w, axr_arena_t *a)
{
	axr_client_error_t err = {0};
	Account__NewUser *nu = NULL;
	if (w->rounds % 40 == 20) {
		Account__PasswordLogin l = ACCOUNT__PASSWORD_LOGIN__INIT;
		l.login = w->name;
		l.password = soak_password;
		if (CALL(OP_LOGIN_PASSWORD, 0, account_client_authenticate_password(w->anon, &l, NULL, &nu, a, &err)) == 0)
			take_tokens(w->user, nu);
	}
	if (w->rounds % 5 == 0) {
		Account__DeviceLogin d = ACCOUNT__DEVICE_LOGIN__INIT;
		char dev[96];
		/* Eight devices per worker: the first use of each creates a guest, later ones log in. */
		snprintf(dev, sizeof dev, "soak-worker-device-%d-%d-%lu", (int)getpid(), w->id, (w->rounds / 5) % 8);
		d.device_id = dev;
		CALL(OP_LOGIN_DEVICE, 0, account_client_authenticate_device(w->anon, &d, NULL, NULL, a, &err));
	}
	if (w->rounds % 10 == 5 && axr_client_refresh_token(w->user)) {
		Account__RefreshRequest rr = ACCOUNT__REFRESH_REQUEST__INIT;
		char refresh[1024];
		copy(refresh, sizeof refresh, axr_client_refresh_token(w->user));
		rr.refresh = refresh;
		if (CALL(OP_REFRESH, 0, account_client_refresh_token(w->anon, &rr, NULL, &nu, a, &err)) == 0)
			take_tokens(w->user, nu);
	}
	CALL(OP_FIND_ME, 0, account_client_find_me(w->user, NULL, NULL, a, &err));
}

static void achievement_round(worker_t *w, axr_arena_t *a)
{
	axr_client_error_t err = {0};
	Achievement__ProgressRequest p = ACHIEVEMENT__PROGRESS_REQUEST__INIT;
	p.has_increment = 1;
	p.increment = 1;
	CALL(OP_PROGRESS, 0, achievement_client_add_progress(w->user, "soak_progress", &p, NULL, NULL, a, &err));
}

/* A transaction of `qty` coins from `from` (NULL = mint) to `to`, both approvals, as the admin. */
static void transaction(worker_t *w, axr_arena_t *a, int op, char *from, char *to, long qty)
{
	axr_client_error_t err = {0};
	Economy__Transaction t = ECONOMY__TRANSACTION__INIT;
	Economy__TransactionLine line = ECONOMY__TRANSACTION_LINE__INIT, *lines[1] = {&line};
	Economy__Approval ap = ECONOMY__APPROVAL__INIT;
	Economy__CreateTransactionInput in = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	char key[96];
	line.resource_uid = w->coin;
	line.has_quantity = 1;
	line.quantity = qty;
	ap.has_from = ap.from = 1;
	ap.has_to = ap.to = 1;
	t.from = from;
	t.to = to;
	t.n_resources = 1;
	t.resources = lines;
	t.approval = &ap;
	snprintf(key, sizeof key, "soak-%d-%d-%lu-%d", (int)getpid(), w->id, w->rounds, op);
	in.idempotency_key = key;
	CALL(op, 0, economy_client_create_transaction(w->admin, &t, &in, NULL, a, &err));
}

static void economy_round(worker_t *w, axr_arena_t *a)
{
	char to[64] = "";
	pthread_mutex_lock(&soak_lock);
	if (soak_nsockets)
		copy(to, sizeof to, soak_guest_uid[(w->rounds + (unsigned long)w->id) % (unsigned long)soak_nsockets]);
	pthread_mutex_unlock(&soak_lock);
	transaction(w, a, OP_MINT, NULL, w->user_uid, 10);
	if (*to)
		transaction(w, a, OP_TRANSFER, w->user_uid, to, 1);
}

static void guestbook_round(worker_t *w, axr_arena_t *a)
{
	axr_client_error_t err = {0};
	Guestbook__Entry e = GUESTBOOK__ENTRY__INIT, *got = NULL, *upd = NULL;
	Guestbook__UpdateEntryInput ui = GUESTBOOK__UPDATE_ENTRY_INPUT__INIT;
	Guestbook__FindEntriesInput fi = GUESTBOOK__FIND_ENTRIES_INPUT__INIT;
	char msg[128];
	snprintf(msg, sizeof msg, "soak entry %lu of worker %d", w->rounds, w->id);
	e.message = msg;
	if (CALL(OP_GB_CREATE, 0, guestbook_client_create_entry(w->user, &e, NULL, &got, a, &err)) != 0)
		return;
	CALL(OP_GB_FIND, 0, guestbook_client_find_entry(w->user, got->uid, NULL, NULL, a, &err));
	snprintf(msg, sizeof msg, "soak entry %lu of worker %d, edited", w->rounds, w->id);
	ui.has_version = 1;
	ui.version = got->version;
	CALL(OP_GB_UPDATE, 0, guestbook_client_update_entry(w->user, got->uid, &e, &ui, &upd, a, &err));
	fi.has_limit = 1;
	fi.limit = 10;
	CALL(OP_GB_LIST, 0, guestbook_client_find_entries(w->user, &fi, NULL, a, &err));
	CALL(OP_GB_DELETE, 0, guestbook_client_delete_entry(w->user, got->uid, NULL, a, &err));
}

static void matchmaking_round(worker_t *w, axr_arena_t *a)
{
	axr_client_error_t err = {0};
	Matchmaking__TicketRequest r = MATCHMAKING__TICKET_REQUEST__INIT;
	Matchmaking__Criterion crit = MATCHMAKING__CRITERION__INIT, *crits[1] = {&crit};
	Matchmaking__Statistics st = MATCHMAKING__STATISTICS__INIT;
	Matchmaking__Ticket *t = NULL;
	crit.name = "mode";
	crit.value = "soak";
	st.has_skillrating = 1;
	st.skillrating = 1000 + w->id;
	r.n_criteria = 1;
	r.criteria = crits;
	r.statistics = &st;
	r.has_num_teams = 1;
	r.num_teams = 2;
	r.team_size = "1";
	if (CALL(OP_TICKET_CREATE, 0, matchmaking_client_create_ticket(w->user, &r, NULL, &t, a, &err)) != 0)
		return;
	CALL(OP_TICKET_GET, 0, matchmaking_client_get_ticket(w->user, t->uid, NULL, NULL, a, &err));
	/* 409 when the matcher paired it with another worker's ticket first. */
	CALL(OP_TICKET_CANCEL, 409, matchmaking_client_cancel_ticket(w->user, t->uid, NULL, NULL, a, &err));
}

/* A raw request (the example service has no generated client): 0 for a 2xx whose body holds
 * `want` (NULL: any), else an error in `err` as a typed call gives. */
static int raw(axr_client_t *c, int method, const char *target, const char *body, const char *want,
               axr_arena_t *a, axr_client_error_t *err)
{
	axr_client_request_t req = {.method = method, .target = target, .body = body,
	                            .body_len = body ? strlen(body) : 0, .anonymous = true};
	axr_client_response_t resp = {0};
	int rc = axr_client_send(c, &req, NULL, a, &resp, err);
	if (rc != 0)
		return rc;
	if (resp.status >= 300)
		return axr_client_error_from_response(&resp, a, err);
	if (want && !strstr(resp.body, want)) {
		*err = (axr_client_error_t){.rc = AXR_EPARSE, .kind = AXR_CLIENT_ERR_LOCAL, .code = "BODY",
		                            .message = "the echo is not the body sent"};
		return AXR_EPARSE;
	}
	return 0;
}

static void example_round(worker_t *w, axr_arena_t *a)
{
	axr_client_error_t err = {0};
	char body[96];
	snprintf(body, sizeof body, "{\"soak\":\"w%d-r%lu\"}", w->id, w->rounds);
	CALL(OP_EXAMPLE_STATUS, 0, raw(w->anon, AXR_HTTP_GET, "/example/status", NULL, "\"name\"", a, &err));
	CALL(OP_EXAMPLE_ECHO, 0, raw(w->anon, AXR_HTTP_POST, "/echo", body, body, a, &err));
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	while (it_now_ms() < soak_deadline) {
		axr_arena_t *a = axr_arena_new(0);
		if (!a)
			break;
		if (w->rounds % 40 == 0 || !w->user_uid[0])
			new_user(w, a);
		if (w->user_uid[0]) {
			account_round(w, a);
			achievement_round(w, a);
			economy_round(w, a);
			guestbook_round(w, a);
			matchmaking_round(w, a);
			example_round(w, a);
		}
		axr_arena_free(a);
		w->rounds++;
	}
	return NULL;
}

/* ---- websockets ----------------------------------------------------------------------- */

typedef struct sock {
	int fd;
	char device[96];
} sock_t;

/* Logs guest `i` in by its device and opens its websocket; 0 or -1. */
static int sock_open(axr_client_t *anon, sock_t *s, int i)
{
	axr_client_error_t err = {0};
	Account__DeviceLogin d = ACCOUNT__DEVICE_LOGIN__INIT;
	Account__NewUser *nu = NULL;
	axr_arena_t *a = axr_arena_new(0);
	char why[512];
	int rc = -1;
	if (!a)
		return -1;
	d.device_id = s->device;
	if (CALL(OP_LOGIN_DEVICE, 0, account_client_authenticate_device(anon, &d, NULL, &nu, a, &err)) != 0 ||
	    !nu->token || !nu->user || !nu->user->uid)
		goto done;
	pthread_mutex_lock(&soak_lock);
	copy(soak_guest_uid[i], sizeof soak_guest_uid[i], nu->user->uid);
	pthread_mutex_unlock(&soak_lock);
	pacer_wait(&soak_general);
	s->fd = it_ws_open(soak_host, soak_gw_port, "/v1/notifications", nu->token, why, sizeof why);
	if (s->fd < 0) {
		fprintf(stderr, "soak: websocket %d: %s\n", i, why);
		goto done;
	}
	rc = 0;
done:
	pthread_mutex_lock(&soak_lock);
	if (rc == 0)
		soak_ws.opened++;
	else
		soak_ws.open_failed++;
	pthread_mutex_unlock(&soak_lock);
	axr_arena_free(a);
	return rc;
}

static void sock_close(sock_t *s)
{
	if (s->fd >= 0) {
		static const unsigned char close_frame[] = {0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8}; /* 1000, zero mask */
		(void)!write(s->fd, close_frame, sizeof close_frame);
		close(s->fd);
	}
	s->fd = -1;
}

/* Reads one frame of a readable socket: text counts as an event, a ping gets its pong.
 * Returns 0, or -1 when the socket closed or broke. */
static int sock_read(sock_t *s)
{
	unsigned char h[2], ext[8], payload[126], frame[2 + 4 + 125];
	unsigned long long len;
	long long deadline = it_now_ms() + 2000;
	char sink[4096];
	unsigned op;
	size_t i;
	if (it__read_full(s->fd, h, 2, deadline) != 0 || (h[1] & 0x80))
		return -1;
	op = h[0] & 0x0f;
	len = h[1] & 0x7f;
	if (len >= 126) {
		size_t n = len == 126 ? 2 : 8;
		if (it__read_full(s->fd, ext, n, deadline) != 0)
			return -1;
		for (len = 0, i = 0; i < n; i++)
			len = (len << 8) | ext[i];
	}
	if (op == 9) { /* ping: a masked pong with its payload (mask 0: the payload as is) */
		if (len > 125 || it__read_full(s->fd, payload, (size_t)len, deadline) != 0)
			return -1;
		frame[0] = 0x8a;
		frame[1] = (unsigned char)(0x80 | len);
		memset(frame + 2, 0, 4);
		memcpy(frame + 6, payload, (size_t)len);
		if (write(s->fd, frame, 6 + (size_t)len) != (ssize_t)(6 + len))
			return -1;
		pthread_mutex_lock(&soak_lock);
		soak_ws.pings++;
		pthread_mutex_unlock(&soak_lock);
		return 0;
	}
	while (len > 0) {
		size_t k = len < sizeof sink ? (size_t)len : sizeof sink;
		if (it__read_full(s->fd, sink, k, deadline) != 0)
			return -1;
		len -= k;
	}
	if (op == 8)
		return -1;
	if (op == 1) {
		pthread_mutex_lock(&soak_lock);
		soak_ws.events++;
		pthread_mutex_unlock(&soak_lock);
	}
	return 0;
}

static void *sockets_main(void *arg)
{
	sock_t *socks = arg;
	axr_client_t *anon = it_client(soak_url, NULL);
	struct pollfd *pf = calloc((size_t)soak_nsockets, sizeof *pf);
	long long next_churn = it_now_ms() + 20000, next_check = it_now_ms() + 5000;
	int churn_at = 0;
	while (pf && it_now_ms() < soak_deadline) {
		int i, open_now = 0;
		for (i = 0; i < soak_nsockets; i++) {
			if (socks[i].fd < 0)
				sock_open(anon, &socks[i], i);
			pf[i].fd = socks[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
			open_now += socks[i].fd >= 0;
		}
		if (it_now_ms() >= next_check) {
			pthread_mutex_lock(&soak_lock);
			if (soak_ws.held_min < 0 || open_now < soak_ws.held_min)
				soak_ws.held_min = open_now;
			pthread_mutex_unlock(&soak_lock);
			next_check = it_now_ms() + 5000;
		}
		if (poll(pf, (nfds_t)soak_nsockets, 500) > 0) {
			for (i = 0; i < soak_nsockets; i++) {
				if (pf[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && sock_read(&socks[i]) != 0) {
					fprintf(stderr, "soak: websocket %d dropped by the server\n", i);
					sock_close(&socks[i]);
					pthread_mutex_lock(&soak_lock);
					soak_ws.dropped++;
					pthread_mutex_unlock(&soak_lock);
				}
			}
		}
		if (it_now_ms() >= next_churn) {
			for (i = 0; i < 4 && i < soak_nsockets; i++, churn_at = (churn_at + 1) % soak_nsockets) {
				sock_close(&socks[churn_at]);
				pthread_mutex_lock(&soak_lock);
				soak_ws.churned++;
				pthread_mutex_unlock(&soak_lock);
			}
			next_churn = it_now_ms() + 20000;
		}
	}
	free(pf);
	axr_client_free(anon);
	return NULL;
}

/* ---- set-up and report ------------------------------------------------------------------ */

static long env_long(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n;
	if (!v || !*v)
		return def;
	n = strtol(v, &end, 10);
	if (*end || n < min || n > max) {
		printf("not ok - setup: %s=%s is not a whole number in %ld..%ld\n", name, v, min, max);
		exit(2);
	}
	return n;
}

/* The admin's client: a password log-in, its refresh token kept for 401s. */
static axr_client_t *admin_client(axr_client_t *anon)
{
	axr_client_error_t err = {0};
	Account__PasswordLogin l = ACCOUNT__PASSWORD_LOGIN__INIT;
	Account__NewUser *nu = NULL;
	axr_client_t *c = it_client(soak_url, NULL);
	axr_arena_t *a = axr_arena_new(0);
	int rc;
	char name[128], password[256];
	copy(name, sizeof name, it_env("AXR_SOAK_ADMIN_NAME"));
	copy(password, sizeof password, it_env("AXR_SOAK_ADMIN_PASSWORD"));
	l.login = name;
	l.password = password;
	pace(OP_LOGIN_PASSWORD);
	rc = a ? account_client_authenticate_password(anon, &l, NULL, &nu, a, &err) : AXR_ENOMEM;
	if (rc != 0 || take_tokens(c, nu) != 0) {
		printf("not ok - setup: admin log-in: %s\n", it_err(rc, &err));
		exit(2);
	}
	axr_arena_free(a);
	return c;
}

/* The achievement and the coin the traffic uses (409: a previous run made them). */
static char *setup_definitions(axr_client_t *admin)
{
	axr_client_error_t err = {0};
	Achievement__AchievementDefinition d = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT;
	Economy__Resource r = ECONOMY__RESOURCE__INIT, *got = NULL;
	axr_arena_t *a = axr_arena_new(0);
	char *coin = NULL;
	int rc;
	d.name = "soak_progress";
	d.has_target = 1;
	d.target = INT64_C(1000000000000);
	rc = a ? achievement_client_create_achievement(admin, &d, NULL, NULL, a, &err) : AXR_ENOMEM;
	if (rc != 0 && err.status != 409) {
		printf("not ok - setup: achievement soak_progress: %s\n", it_err(rc, &err));
		exit(2);
	}
	r.name = "soak-coin";
	rc = economy_client_create_resource(admin, &r, NULL, &got, a, &err);
	if (rc == 0)
		coin = strdup(got->uid);
	else if (err.status == 409 && economy_client_get_resource(admin, "soak-coin", NULL, &got, a, &err) == 0)
		coin = strdup(got->uid);
	if (!coin) {
		printf("not ok - setup: resource soak-coin: %s\n", it_err(rc, &err));
		exit(2);
	}
	axr_arena_free(a);
	return coin;
}

static void totals(op_count_t *sum)
{
	memset(sum, 0, sizeof *sum);
	for (int i = 0; i < OP_COUNT; i++) {
		sum->ok += soak_counts[i].ok;
		sum->expected += soak_counts[i].expected;
		sum->c4xx += soak_counts[i].c4xx;
		sum->c5xx += soak_counts[i].c5xx;
		sum->net += soak_counts[i].net;
	}
}

int main(void)
{
	long seconds = env_long("AXR_SOAK_SECONDS", 600, 1, 86400);
	int nthreads = (int)env_long("AXR_SOAK_THREADS", 4, 1, 64);
	long long start, next_note;
	worker_t *ws;
	sock_t *socks;
	pthread_t sock_thread;
	axr_client_t *anon;
	char *coin;
	op_count_t sum;
	int i;

	soak_url = it_env("AXR_SOAK_URL");
	soak_nsockets = (int)env_long("AXR_SOAK_SOCKETS", 40, 0, SOAK_MAX_SOCKETS);
	soak_general.interval_us = 1000000 / env_long("AXR_SOAK_RATE", 80, 1, 1000000);
	soak_auth.interval_us = 1000000 / env_long("AXR_SOAK_AUTH_RATE", 4, 1, 1000000);
	if (sscanf(soak_url, "http://%63[^:/]:%d", soak_host, &soak_gw_port) != 2) {
		printf("not ok - setup: AXR_SOAK_URL %s is not http://HOST:PORT/...\n", soak_url);
		return 2;
	}
	anon = it_client(soak_url, NULL);
	ws = calloc((size_t)nthreads, sizeof *ws);
	socks = calloc((size_t)soak_nsockets + 1, sizeof *socks);
	if (!ws || !socks)
		return 2;
	{
		axr_client_t *admin = admin_client(anon);
		coin = setup_definitions(admin);
		axr_client_free(admin);
	}
	start = it_now_ms();
	soak_deadline = start + seconds * 1000;
	for (i = 0; i < soak_nsockets; i++) { /* the websockets first: then they are held all along */
		socks[i].fd = -1;
		snprintf(socks[i].device, sizeof socks[i].device, "soak-websocket-device-%d-%d", (int)getpid(), i);
		sock_open(anon, &socks[i], i);
	}
	if (pthread_create(&sock_thread, NULL, sockets_main, socks) != 0)
		return 2;
	for (i = 0; i < nthreads; i++) {
		ws[i].id = i;
		ws[i].coin = coin;
		ws[i].anon = it_client(soak_url, NULL);
		ws[i].admin = admin_client(ws[i].anon);
		ws[i].user = it_client(soak_url, NULL);
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0)
			return 2;
	}
	next_note = start + 10000;
	while (it_now_ms() < soak_deadline) {
		usleep(200000);
		if (it_now_ms() >= next_note) {
			pthread_mutex_lock(&soak_lock);
			totals(&sum);
			fprintf(stderr, "soak: %llds: %lu ok, %lu expected 4xx, %lu other 4xx, %lu 5xx, %lu transport; "
			        "websockets %lu opened, %lu dropped, %lu events\n",
			        (it_now_ms() - start) / 1000, sum.ok, sum.expected, sum.c4xx, sum.c5xx, sum.net, soak_ws.opened,
			        soak_ws.dropped, soak_ws.events);
			pthread_mutex_unlock(&soak_lock);
			next_note += 10000;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(ws[i].thread, NULL);
	pthread_join(sock_thread, NULL);

	printf("# soak: %ld s, %d workers, %d websockets\n", seconds, nthreads, soak_nsockets);
	printf("# %-28s %9s %9s %9s %6s %9s\n", "operation", "2xx", "expected", "other 4xx", "5xx", "transport");
	for (i = 0; i < OP_COUNT; i++)
		printf("# %-28s %9lu %9lu %9lu %6lu %9lu\n", op_names[i], soak_counts[i].ok, soak_counts[i].expected,
		       soak_counts[i].c4xx, soak_counts[i].c5xx, soak_counts[i].net);
	totals(&sum);
	printf("# %-28s %9lu %9lu %9lu %6lu %9lu\n", "total", sum.ok, sum.expected, sum.c4xx, sum.c5xx, sum.net);
	printf("# websockets: %lu opened, %lu failed to open, %lu dropped by the server, %lu closed by us, "
	       "%lu events, %lu pings answered, fewest open at a check %d of %d\n",
	       soak_ws.opened, soak_ws.open_failed, soak_ws.dropped, soak_ws.churned, soak_ws.events, soak_ws.pings,
	       soak_ws.held_min, soak_nsockets);
	it_check(sum.ok > 0 && sum.c5xx == 0, "soak traffic: no 5xx answer", "%lu of %lu answers were 5xx", sum.c5xx,
	         sum.ok + sum.expected + sum.c4xx + sum.c5xx + sum.net);
	it_check(sum.c4xx == 0 && sum.net == 0, "soak traffic: no unexpected 4xx and no transport error",
	         "%lu unexpected 4xx, %lu transport errors (first ones on stderr)", sum.c4xx, sum.net);
	it_check(soak_nsockets == 0 || (soak_ws.open_failed == 0 && soak_ws.dropped == 0),
	         "soak websockets: every one opened and none dropped by the server",
	         "%lu failed to open, %lu dropped (of %lu opened)", soak_ws.open_failed, soak_ws.dropped, soak_ws.opened);

	for (i = 0; i < soak_nsockets; i++)
		sock_close(&socks[i]);
	for (i = 0; i < nthreads; i++) {
		axr_client_free(ws[i].anon);
		axr_client_free(ws[i].admin);
		axr_client_free(ws[i].user);
	}
	axr_client_free(anon);
	free(ws);
	free(socks);
	free(coin);
	return it_exit_status();
}
