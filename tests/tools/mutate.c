/* mutate.c: send randomly mutated copies of valid HTTP requests, reproducibly from a seed, and count the answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: mutate [options] SEEDS
 *
 * SEEDS holds valid requests, one per line, fields separated by tabs:
 *
 *   PORT  METHOD  TARGET  HEADERS  BODY
 *
 * HEADERS are "Name: value" fields joined by "\n" (the two characters), or
 * "-" for none; BODY is the JSON body, or "-" for none. The tool adds Host,
 * Content-Type and Content-Length. Request i (0 <= i < N) is seed
 * (rand % seeds) put through 1 to 4 random mutations (one request in ten
 * goes unmutated), drawn from a generator seeded with (SEED, i) alone: the
 * same SEED and i give the same bytes, whatever the concurrency.
 * Mutations: method, path (segments, ids, encodings, query), headers
 * (dropped, duplicated, corrupted token, other Content-Type, chunked
 * framing, Expect, odd Idempotency-Key), JSON (numbers and strings swapped
 * for edge values, keys dropped, duplicated or added, nesting, truncation,
 * whole-body swaps), Content-Length (off by some, huge, missing) and bytes
 * (bit flips, inserted CR, LF, NUL or high bytes, deleted or repeated runs).
 *
 * Each request goes on its own connection to 127.0.0.1:PORT; -c of them are
 * in flight at once. The first answer's status is counted; a connection the
 * server closes without an answer counts as "closed", one still silent after
 * -t ms as "timeout". Output (stdout):
 *
 *   seed=SEED requests=N
 *   status CODE COUNT          (one line per status code, ascending)
 *   nonjson CODE COUNT         (4xx and 5xx answers not application/json)
 *   closed COUNT
 *   timeout COUNT
 *   connect_failed COUNT
 *
 * With -o FILE, every request answered with a 5xx other than 503 is written
 * there as "i=I port=P status=S" and the request, C-escaped, on the next line.
 * With -r I, nothing is sent: request I is written to stdout, raw.
 * With -v, each request's index and status go to stderr as it ends.
 * With -u, nothing is mutated: request i is seed (i % seeds) as given, to
 * check that the seeds are valid requests.
 *
 * Options: -n N (default 10000), -S SEED (default: from the clock), -u,
 * -c CONCURRENCY (default 8), -t MS (default 1500), -o FILE, -r I,
 * -s ADDR (bind to source addresses from ADDR on, one higher per request
 * modulo 250: many clients, for per-address limits of a gateway).
 * Exit status: 0 when the run completed, 1 on an I/O problem, 2 on usage.
 */

#define MUT_MAX_SEEDS 64
#define MUT_MAX_REQ (256 * 1024)

typedef struct mut_seed {
	int port;
	char *method, *target, *headers, *body;
} mut_seed_t;

typedef struct mut_buf {
	char *data;
	size_t len, cap;
} mut_buf_t;

typedef struct mut_slot {
	int fd;
	long index;
	int port;
	int status;
	size_t sent;
	mut_buf_t req;
	char head[512];
	size_t got;
	double deadline;
} mut_slot_t;

/* ---- the generator: splitmix64, per request ----------------------------- */

static uint64_t mut_mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t *mut_rng;

static size_t mut_rand(size_t n)
{
	return n ? (size_t)(mut_mix(mut_rng) % n) : 0;
}

/* ---- buffers ------------------------------------------------------------- */

static void mut_reserve(mut_buf_t *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (p == NULL) {
		perror("mutate: realloc");
		exit(1);
	}
	b->data = p;
	b->cap = cap;
}

static void mut_put(mut_buf_t *b, const char *s, size_t n)
{
	mut_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void mut_puts(mut_buf_t *b, const char *s)
{
	mut_put(b, s, strlen(s));
}

static void mut_set(mut_buf_t *b, const char *s)
{
	b->len = 0;
	mut_puts(b, s ? s : "");
}

/* Replaces b[at, at+del) by s[0, n). */
static void mut_splice(mut_buf_t *b, size_t at, size_t del, const char *s, size_t n)
{
	if (at > b->len)
		at = b->len;
	if (del > b->len - at)
		del = b->len - at;
	mut_reserve(b, n);
	memmove(b->data + at + n, b->data + at + del, b->len - at - del);
	memcpy(b->data + at, s, n);
	b->len = b->len - del + n;
	b->data[b->len] = '\0';
}

/* ---- mutations of the parts ------------------------------------------------ */

static const char *mut_pick(const char *const *list, size_t n)
{
	return list[mut_rand(n)];
}
#define MUT_PICK(list) mut_pick((list), sizeof(list) / sizeof((list)[0]))

static void mut_method(mut_buf_t *m)
{
	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
	                                      "TRACE", "CONNECT", "get", "post", "G ET", "", "POSTPOSTPOST"};
	mut_set(m, MUT_PICK(methods));
}

static void mut_path(mut_buf_t *t)
{
	static const char *const segments[] = {
		"/..", "/%2e%2e", "/%00", "/%", "/%zz", "//", "/me", "/00000000-0000-0000-0000-000000000000",
		"/ffffffff-ffff-ffff-ffff-ffffffffffff", "/not-a-uuid", "/99999999999999999999", "/%ff%fe", "/;",
		"/x?y", "/\xc3\xa9", "/-1", "/' OR 1=1--", "/%27%20OR%201=1--", "/a.b", "/1e9999",
	};
	static const char *const queries[] = {
		"limit=-1", "limit=1001", "limit=abc", "page=-5", "page=99999999999999999999", "sort=uid",
		"sort={\"x\":\"DESC\"}", "sort=%7B%22name%22%3A%22SIDEWAYS%22%7D", "name=eq(x)", "name=like(%25)",
		"uid=in()", "uid=range(1,2,3)", "version=gt(abc)", "unknown=1", "limit=1&limit=2", "&&&", "=", "a=%",
		"userUid=me", "ms=99999",
	};
	switch (mut_rand(5)) {
	case 0: { /* append a segment */
		const char *q = memchr(t->data, '?', t->len);
		size_t at = q ? (size_t)(q - t->data) : t->len;
		const char *s = MUT_PICK(segments);
		mut_splice(t, at, 0, s, strlen(s));
		break;
	}
	case 1: { /* replace the last segment */
		const char *q = memchr(t->data, '?', t->len);
		size_t end = q ? (size_t)(q - t->data) : t->len;
		size_t start = end;
		while (start > 0 && t->data[start - 1] != '/')
			start--;
		const char *s = MUT_PICK(segments) + 1;
		mut_splice(t, start, end - start, s, strlen(s));
		break;
	}
	case 2: { /* a query */
		const char *s = MUT_PICK(queries);
		mut_puts(t, memchr(t->data, '?', t->len) ? "&" : "?");
		mut_puts(t, s);
		break;
	}
	case 3: { /* a long path */
		size_t n = 100 + mut_rand(9000);
		for (size_t i = 0; i < n; i++)
			mut_put(t, "a", 1);
		break;
	}
	default: /* drop the leading slash or everything */
		if (mut_rand(2) && t->len > 0)
			mut_splice(t, 0, 1, "", 0);
		else
			mut_set(t, mut_rand(2) ? "*" : "http://evil/x");
		break;
	}
}

static void mut_headers(mut_buf_t *h)
{
	static const char *const extra[] = {
		"Content-Type: text/plain", "Content-Type: application/x-protobuf", "Content-Type: application/json; charset=latin1",
		"Content-Type: application/json\nContent-Type: text/plain", "Accept: application/x-protobuf",
		"Expect: 100-continue", "Expect: nonsense", "Idempotency-Key: ", "Idempotency-Key: \x7f\x01",
		"If-Match: \"-1\"", "If-Match: *", "If-Match: \"99999999999999999999\"", "Connection: upgrade\nUpgrade: websocket",
		"Authorization: Bearer", "Authorization: Basic YTpi", "Authorization: Bearer a.b.c",
		"X-Real-IP: 1.2.3.4", "X-Request-Id: ../../x", "Host: second", "Content-Length: 0",
		"Transfer-Encoding: gzip", "Accept-Encoding: *", "Cookie: a=b",
	};
	switch (mut_rand(4)) {
	case 0: /* drop the first field (often the token) */
		if (h->len) {
			const char *nl = strstr(h->data, "\\n");
			size_t n = nl ? (size_t)(nl - h->data) + 2 : h->len;
			mut_splice(h, 0, n, "", 0);
		}
		break;
	case 1: { /* corrupt a byte of the fields (the token's signature, often) */
		if (h->len) {
			size_t at = mut_rand(h->len);
			char c = (char)('A' + mut_rand(26));
			mut_splice(h, at, 1, &c, 1);
		}
		break;
	}
	case 2: { /* duplicate the fields */
		mut_buf_t copy = {0};
		mut_put(&copy, h->data ? h->data : "", h->len);
		if (h->len)
			mut_puts(h, "\\n");
		mut_put(h, copy.data ? copy.data : "", copy.len);
		free(copy.data);
		break;
	}
	default: {
		const char *s = MUT_PICK(extra);
		if (h->len)
			mut_puts(h, "\\n");
		/* the list uses a real newline between two fields */
		for (const char *p = s; *p; p++) {
			if (*p == '\n')
				mut_puts(h, "\\n");
			else
				mut_put(h, p, 1);
		}
		break;
	}
	}
}

/* Finds the span of a random JSON token of kind 'n' (number) or 's'
 * (string) in b; returns 0 when there is none. */
static int mut_json_token(const mut_buf_t *b, char kind, size_t *start, size_t *len)
{
	size_t found = 0, want = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t count = 0;
		for (size_t i = 0; i < b->len; i++) {
			char c = b->data[i];
			if (c == '"') {
				size_t j = i + 1;
				while (j < b->len && b->data[j] != '"')
					j += b->data[j] == '\\' ? 2 : 1;
				if (kind == 's' && j < b->len) {
					if (pass == 1 && count == want) {
						*start = i;
						*len = j + 1 - i;
						return 1;
					}
					count++;
				}
				i = j;
			} else if (kind == 'n' && (c == '-' || (c >= '0' && c <= '9'))) {
				size_t j = i;
				while (j < b->len && strchr("-+.eE0123456789", b->data[j]))
					j++;
				if (pass == 1 && count == want) {
					*start = i;
					*len = j - i;
					return 1;
				}
				count++;
				i = j - 1;
			}
		}
		found = count;
		if (found == 0)
			return 0;
		want = mut_rand(found);
	}
	return 0;
}

static void mut_json(mut_buf_t *b)
{
	static const char *const numbers[] = {
		"-1", "0", "-0", "1.5", "1e308", "-1e308", "1e999", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "-9223372036854775809", "18446744073709551616", "00", "1.", "0x10", "\"1\"",
		"null", "true", "[]", "{}", "NaN", "Infinity",
	};
	static const char *const strings[] = {
		"\"\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\xff\xfe\"", "\"\xc0\xaf\"", "\"me\"",
		"\"00000000-0000-0000-0000-000000000000\"", "\"../../etc/passwd\"", "\"' OR 1=1--\"", "\"%s%n%s\"",
		"\"a\\\"b\"", "\"\\/\"", "\"\\x41\"", "\"\t\"", "null", "0", "[]", "{\"$gt\":\"\"}", "\"ADMIN\"",
		"\"admin\"", "\"COMPLETE\"", "\"\\u202e\"",
	};
	static const char *const fields[] = {
		"\"roles\":[\"admin\"]", "\"uid\":\"00000000-0000-4000-8000-000000000001\"", "\"version\":-1",
		"\"dateCreated\":\"1970-01-01T00:00:00Z\"", "\"status\":\"COMPLETE\"", "\"kind\":\"MINT\"",
		"\"quantity\":-5", "\"progress\":999999", "\"unlocked\":true", "\"pinned\":true",
		"\"ownerUid\":\"00000000-0000-4000-8000-000000000002\"", "\"authorUid\":null", "\"verified\":true",
		"\"from\":null", "\"approval\":{\"from\":true,\"to\":true}", "\"userUid\":\"00000000-0000-4000-8000-000000000003\"",
		"\"__proto__\":{}", "\"\":1", "\"increment\":9223372036854775807", "\"password\":\"\"",
	};
	static const char *const bodies[] = {
		"", "null", "[]", "{}", "1", "\"x\"", "{", "}", "{\"a\":}", "{,}", "[{}]", "{\"a\":1,}", "\xef\xbb\xbf{}",
		"{\"a\":\"\\u0000\"}", "{\"a\":1}{\"b\":2}", "{} trailing",
	};
	size_t at = 0, n = 0;
	size_t op = mut_rand(8);
	if (op == 0 && !mut_json_token(b, 'n', &at, &n))
		op = 1; /* no number: a string instead */
	switch (op) {
	case 0: {
		const char *s = MUT_PICK(numbers);
		mut_splice(b, at, n, s, strlen(s));
		break;
	}
	case 1:
		if (mut_json_token(b, 's', &at, &n)) {
			const char *s = MUT_PICK(strings);
			if (mut_rand(4) == 0) { /* a long string instead */
				mut_buf_t big = {0};
				size_t len = 200 + mut_rand(6000);
				mut_put(&big, "\"", 1);
				for (size_t i = 0; i < len; i++)
					mut_put(&big, "x", 1);
				mut_put(&big, "\"", 1);
				mut_splice(b, at, n, big.data, big.len);
				free(big.data);
			} else {
				mut_splice(b, at, n, s, strlen(s));
			}
		}
		break;
	case 2: { /* add a field after the first '{' */
		const char *brace = memchr(b->data ? b->data : "", '{', b->len);
		if (brace) {
			const char *s = MUT_PICK(fields);
			size_t pos = (size_t)(brace - b->data) + 1;
			int empty = pos < b->len && b->data[pos] == '}';
			mut_splice(b, pos, 0, ",", empty ? 0 : 1);
			mut_splice(b, pos, 0, s, strlen(s));
		}
		break;
	}
	case 3: /* duplicate the first member */
		if (b->len > 2 && b->data[0] == '{') {
			const char *comma = memchr(b->data, ',', b->len);
			size_t end = comma ? (size_t)(comma - b->data) : b->len - 1;
			mut_buf_t m = {0};
			mut_put(&m, b->data + 1, end - 1);
			mut_put(&m, ",", 1);
			mut_splice(b, 1, 0, m.data, m.len);
			free(m.data);
		}
		break;
	case 4: /* drop a member */
		if (mut_json_token(b, 's', &at, &n)) {
			size_t end = at + n;
			while (end < b->len && b->data[end] != ',' && b->data[end] != '}')
				end++;
			if (end < b->len && b->data[end] == ',')
				end++;
			mut_splice(b, at, end - at, "", 0);
		}
		break;
	case 5: { /* deep nesting */
		size_t depth = 10 + mut_rand(3000);
		mut_buf_t d = {0};
		for (size_t i = 0; i < depth; i++)
			mut_put(&d, "[", 1);
		for (size_t i = 0; i < depth; i++)
			mut_put(&d, "]", 1);
		if (mut_rand(2) && mut_json_token(b, 'n', &at, &n))
			mut_splice(b, at, n, d.data, d.len);
		else
			mut_splice(b, 0, b->len, d.data, d.len);
		free(d.data);
		break;
	}
	case 6: /* truncate */
		if (b->len)
			b->len = mut_rand(b->len);
		if (b->data)
			b->data[b->len] = '\0';
		break;
	default:
		mut_set(b, MUT_PICK(bodies));
		break;
	}
}

/* ---- assembling a request ------------------------------------------------ */

static void mut_append_headers(mut_buf_t *out, const mut_buf_t *h)
{
	const char *p = h->data ? h->data : "";
	const char *end = p + h->len;
	while (p < end) {
		const char *nl = strstr(p, "\\n");
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0) {
			mut_put(out, p, n);
			mut_puts(out, "\r\n");
		}
		p += n + (nl ? 2 : 0);
	}
}

static int mut_unmutated; /* -u */

/* Builds request `i` into out; returns its port. */
static int mut_build(const mut_seed_t *seeds, size_t nseeds, uint64_t seed, long i, mut_buf_t *out)
{
	uint64_t state = seed ^ ((uint64_t)i * 0xd1342543de82ef95ULL);
	mut_rng = &state;
	mut_mix(mut_rng);
	size_t pick = mut_rand(nseeds);
	const mut_seed_t *s = &seeds[mut_unmutated ? (size_t)i % nseeds : pick];
	mut_buf_t method = {0}, target = {0}, headers = {0}, body = {0};
	mut_set(&method, s->method);
	mut_set(&target, s->target);
	mut_set(&headers, strcmp(s->headers, "-") == 0 ? "" : s->headers);
	int has_body = strcmp(s->body, "-") != 0;
	mut_set(&body, has_body ? s->body : "");
	int mutate = mut_rand(10) != 0 && !mut_unmutated;
	int nmut = mutate ? 1 + (int)mut_rand(4) : 0;
	int length_mode = 0; /* 0 right, 1 off, 2 huge, 3 none, 4 chunked, 5 chunked + Content-Length */
	int byte_mutations = 0;
	for (int m = 0; m < nmut; m++) {
		switch (mut_rand(12)) {
		case 0: mut_method(&method); break;
		case 1: case 2: mut_path(&target); break;
		case 3: case 4: mut_headers(&headers); break;
		case 5: case 6: case 7: mut_json(&body); has_body = 1; break;
		case 8: length_mode = 1 + (int)mut_rand(5); break;
		default: byte_mutations++; break;
		}
	}
	out->len = 0;
	mut_put(out, method.data, method.len);
	mut_puts(out, " ");
	mut_put(out, target.data, target.len);
	mut_puts(out, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	mut_append_headers(out, &headers);
	if (has_body) {
		char line[96];
		mut_puts(out, "Content-Type: application/json\r\n");
		long long cl = (long long)body.len;
		switch (length_mode) {
		case 1: cl += (long long)mut_rand(20) - 10; if (cl < 0) cl = 0; break;
		case 2: cl = mut_rand(2) ? 99999999999LL : 1LL << 40; break;
		default: break;
		}
		if (length_mode == 4 || length_mode == 5) {
			mut_puts(out, "Transfer-Encoding: chunked\r\n");
			if (length_mode == 5) {
				snprintf(line, sizeof(line), "Content-Length: %zu\r\n", body.len);
				mut_puts(out, line);
			}
			mut_puts(out, "\r\n");
			snprintf(line, sizeof(line), "%zx\r\n", body.len);
			if (body.len)
				mut_puts(out, line);
			mut_put(out, body.data ? body.data : "", body.len);
			mut_puts(out, body.len ? "\r\n0\r\n\r\n" : "0\r\n\r\n");
		} else {
			if (length_mode != 3) {
				snprintf(line, sizeof(line), "Content-Length: %lld\r\n", cl);
				mut_puts(out, line);
			}
			mut_puts(out, "\r\n");
			mut_put(out, body.data ? body.data : "", body.len);
		}
	} else {
		mut_puts(out, "\r\n");
	}
	static const char bytes[] = {'\r', '\n', '\0', ' ', ':', '\t', (char)0xff, (char)0x80, '"', '{', '%'};
	for (int k = 0; k < byte_mutations && out->len > 0; k++) {
		size_t at = mut_rand(out->len);
		switch (mut_rand(4)) {
		case 0: out->data[at] = (char)(out->data[at] ^ (1 << mut_rand(8))); break;
		case 1: mut_splice(out, at, 0, &bytes[mut_rand(sizeof(bytes))], 1); break;
		case 2: mut_splice(out, at, 1 + mut_rand(8), "", 0); break;
		default: {
			size_t n = 1 + mut_rand(16);
			if (at + n > out->len)
				n = out->len - at;
			char tmp[16];
			memcpy(tmp, out->data + at, n);
			mut_splice(out, at, 0, tmp, n);
			break;
		}
		}
	}
	if (out->len > MUT_MAX_REQ)
		out->len = MUT_MAX_REQ;
	free(method.data);
	free(target.data);
	free(headers.data);
	free(body.data);
	return s->port;
}

/* ---- seeds -------------------------------------------------------------------- */

static size_t mut_load(const char *path, mut_seed_t *seeds)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	char *line = NULL;
	size_t cap = 0, n = 0;
	while (n < MUT_MAX_SEEDS && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *fields[5];
		char *p = line;
		int k = 0;
		for (; k < 5 && p; k++) {
			fields[k] = p;
			p = strchr(p, '\t');
			if (p && k < 4)
				*p++ = '\0';
		}
		if (k != 5) {
			fprintf(stderr, "mutate: %s: a line needs 5 tab-separated fields\n", path);
			exit(2);
		}
		seeds[n] = (mut_seed_t){.port = atoi(fields[0]), .method = strdup(fields[1]), .target = strdup(fields[2]),
		                        .headers = strdup(fields[3]), .body = strdup(fields[4])};
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

/* ---- the run ----------------------------------------------------------------- */

static double mut_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void mut_escape(FILE *out, const mut_buf_t *b)
{
	for (size_t i = 0; i < b->len; i++) {
		unsigned char c = (unsigned char)b->data[i];
		if (c == '\r')
			fputs("\\r", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\\')
			fputs("\\\\", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('\n', out);
}

/* The status of the first final answer in the bytes received so far (1xx
 * interim answers skipped); 0 while not known yet, -1 when it is no HTTP. */
static int mut_final_status(const char *p, size_t len)
{
	for (;;) {
		if (len < 12)
			return 0;
		if (strncmp(p, "HTTP/1.", 7) != 0)
			return -1;
		int st = atoi(p + 9);
		if (st >= 200 || st < 100)
			return st;
		const char *end = strstr(p, "\r\n\r\n");
		if (end == NULL)
			return 0;
		len -= (size_t)(end + 4 - p);
		p = end + 4;
	}
}

static long mut_counts[600], mut_nonjson[600];
static long mut_closed, mut_timeout, mut_connect_failed;
static int mut_verbose; /* -v */

/* Is the answer's head complete in p (or as much of it as we keep)? */
static int mut_head_done(const char *p, size_t len, size_t cap)
{
	return strstr(p, "\r\n\r\n") != NULL || len + 1 >= cap;
}

static void mut_finish(mut_slot_t *s, FILE *bad)
{
	if (mut_verbose)
		fprintf(stderr, "i=%ld status=%d\n", s->index, s->status);
	if (s->status >= 100 && s->status < 600) {
		mut_counts[s->status]++;
		if (s->status >= 400 && strcasestr(s->head, "\r\nContent-Type: application/json") == NULL)
			mut_nonjson[s->status]++;
		if (s->status >= 500 && s->status != 503 && bad) {
			fprintf(bad, "i=%ld port=%d status=%d\n", s->index, s->port, s->status);
			mut_escape(bad, &s->req);
			fflush(bad);
		}
	} else if (s->fd < -1) {
		mut_timeout++;
	} else {
		mut_closed++;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->index = -1;
}

static int mut_start(mut_slot_t *s, int port, const struct in_addr *src)
{
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		return -1;
	if (src) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = *src};
		if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			return -1;
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s->fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	long n = 10000, replay = -1;
	int conc = 8, opt;
	double timeout = 1500;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	const char *bad_path = NULL, *src_text = NULL;
	while ((opt = getopt(argc, argv, "n:S:c:t:o:r:s:uv")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'c': conc = atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'o': bad_path = optarg; break;
		case 'r': replay = atol(optarg); break;
		case 's': src_text = optarg; break;
		case 'u': mut_unmutated = 1; break;
		case 'v': mut_verbose = 1; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || n < 0 || conc < 1 || conc > 1024)
		goto usage;
	struct in_addr src_base = {0};
	if (src_text && inet_pton(AF_INET, src_text, &src_base) != 1)
		goto usage;
	static mut_seed_t seeds[MUT_MAX_SEEDS];
	size_t nseeds = mut_load(argv[optind], seeds);
	if (nseeds == 0) {
		fprintf(stderr, "mutate: no seeds in %s\n", argv[optind]);
		return 2;
	}
	if (replay >= 0) {
		mut_buf_t b = {0};
		mut_build(seeds, nseeds, seed, replay, &b);
		fwrite(b.data, 1, b.len, stdout);
		free(b.data);
		return 0;
	}
	FILE *bad = bad_path ? fopen(bad_path, "w") : NULL;
	mut_slot_t *slots = calloc((size_t)conc, sizeof(*slots));
	struct pollfd *pfd = calloc((size_t)conc, sizeof(*pfd));
	if (slots == NULL || pfd == NULL)
		return 1;
	for (int k = 0; k < conc; k++) {
		slots[k].fd = -1;
		slots[k].index = -1;
	}
	printf("seed=%" PRIu64 " requests=%ld\n", seed, n);
	fflush(stdout);
	long next = 0, done = 0;
	while (done < n) {
		double now = mut_now();
		for (int k = 0; k < conc; k++) {
			mut_slot_t *s = &slots[k];
			if (s->index < 0 && next < n) {
				s->index = next++;
				s->port = mut_build(seeds, nseeds, seed, s->index, &s->req);
				s->status = 0;
				s->sent = 0;
				s->got = 0;
				s->deadline = now + timeout;
				struct in_addr a = {.s_addr = htonl(ntohl(src_base.s_addr) + (uint32_t)(s->index % 250))};
				if (mut_start(s, s->port, src_text ? &a : NULL) != 0) {
					mut_connect_failed++;
					if (s->fd >= 0)
						close(s->fd);
					s->fd = -1;
					s->index = -1;
					done++;
					continue;
				}
			}
			if (s->index >= 0 && now > s->deadline) {
				close(s->fd);
				s->fd = -2; /* a timeout */
				mut_finish(s, bad);
				done++;
			}
		}
		int np = 0;
		for (int k = 0; k < conc; k++) {
			mut_slot_t *s = &slots[k];
			pfd[k] = (struct pollfd){.fd = s->index >= 0 ? s->fd : -1,
			                         .events = (short)(POLLIN | (s->sent < s->req.len ? POLLOUT : 0))};
			np += s->index >= 0;
		}
		if (np == 0)
			continue;
		if (poll(pfd, (nfds_t)conc, 10) <= 0)
			continue;
		for (int k = 0; k < conc; k++) {
			mut_slot_t *s = &slots[k];
			if (s->index < 0 || pfd[k].revents == 0)
				continue;
			if ((pfd[k].revents & POLLOUT) && s->sent < s->req.len) {
				ssize_t w = send(s->fd, s->req.data + s->sent, s->req.len - s->sent, MSG_NOSIGNAL);
				if (w > 0)
					s->sent += (size_t)w;
			}
			if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
				char buf[4096];
				ssize_t r = recv(s->fd, buf, sizeof(buf), 0);
				if (r > 0) {
					size_t take = sizeof(s->head) - 1 - s->got;
					if (take > (size_t)r)
						take = (size_t)r;
					memcpy(s->head + s->got, buf, take);
					s->got += take;
					s->head[s->got] = '\0';
					int st = mut_final_status(s->head, s->got);
					s->status = st;
					if (st != 0 && (st < 0 || mut_head_done(s->head, s->got, sizeof(s->head)))) {
						mut_finish(s, bad);
						done++;
					}
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					mut_finish(s, bad);
					done++;
				}
			}
		}
	}
	for (int st = 0; st < 600; st++)
		if (mut_counts[st])
			printf("status %d %ld\n", st, mut_counts[st]);
	for (int st = 0; st < 600; st++)
		if (mut_nonjson[st])
			printf("nonjson %d %ld\n", st, mut_nonjson[st]);
	printf("closed %ld\ntimeout %ld\nconnect_failed %ld\n", mut_closed, mut_timeout, mut_connect_failed);
	for (int k = 0; k < conc; k++)
		free(slots[k].req.data);
	free(slots);
	free(pfd);
	for (size_t i = 0; i < nseeds; i++) {
		free(seeds[i].method);
		free(seeds[i].target);
		free(seeds[i].headers);
		free(seeds[i].body);
	}
	if (bad)
		fclose(bad);
	return 0;
usage:
	fprintf(stderr, "usage: mutate [-n N] [-S SEED] [-c CONC] [-t MS] [-o FILE] [-r I] [-s ADDR] [-u] [-v] SEEDS\n");
	return 2;
}
