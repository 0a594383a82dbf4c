/* jwt.c: access-token verification and signing (hardened libjwt 1.10 wrapper). */
#include "jwt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "err.h"
#include "jwt_libjwt.h"
#include "utf8.h"


#define AXR__JSON_MAX_DEPTH 16
#define AXR__SEGMENT_MAX (AXR_JWT_MAX_TOKEN / 4 * 3) /* decoded segment bound */
#define AXR__LEEWAY_MAX 300

/* ---- strict JSON scan (syntax, UTF-8, duplicate member names) ---- */

typedef struct axr__name {
	size_t off, len;
} axr__name_t;

typedef struct axr__json_scan {
	const unsigned char *s;
	size_t len, pos;
	int depth;
	char *names; /* unescaped member names of the open objects, back to back */
	size_t names_len, names_cap;
	axr__name_t *ents;
	size_t nents, ents_cap;
	int rc;
	const char *reason;
} axr__json_scan_t;

static int axr__scan_fail(axr__json_scan_t *j, int rc, const char *reason)
{
	j->rc = rc;
	j->reason = reason;
	return rc;
}

static int axr__names_put(axr__json_scan_t *j, const void *p, size_t n)
{
	if (j->names_cap - j->names_len < n) {
		size_t cap = j->names_cap ? j->names_cap : 256;
		char *grown;
		while (cap - j->names_len < n)
			cap *= 2;
		grown = realloc(j->names, cap);
		if (grown == NULL)
			return axr__scan_fail(j, AXR_ENOMEM, "out of memory");
		j->names = grown;
		j->names_cap = cap;
	}
	memcpy(j->names + j->names_len, p, n);
	j->names_len += n;
	return 0;
}

static int axr__put_codepoint(axr__json_scan_t *j, unsigned long cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return axr__names_put(j, b, n);
}

static int axr__scan_hex4(axr__json_scan_t *j, unsigned long *cp)
{
	size_t i;

	*cp = 0;
	if (j->len - j->pos < 4)
		return axr__scan_fail(j, AXR_EPARSE, "bad \\u escape");
	for (i = 0; i < 4; i++) {
		unsigned char c = j->s[j->pos++];
		int v = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (v < 0)
			return axr__scan_fail(j, AXR_EPARSE, "bad \\u escape");
		*cp = *cp << 4 | (unsigned long)v;
	}
	return 0;
}

/* Scans the string at j->pos (an opening quote); appends its unescaped
 * bytes to j->names when `store`. */
static int axr__scan_string(axr__json_scan_t *j, int store)
{
	j->pos++;
	for (;;) {
		unsigned char c;
		unsigned long cp;

		if (j->pos >= j->len)
			return axr__scan_fail(j, AXR_EPARSE, "unterminated string");
		c = j->s[j->pos];
		if (c == '"') {
			j->pos++;
			return 0;
		}
		if (c < 0x20)
			return axr__scan_fail(j, AXR_EPARSE, "control character in string");
		if (c != '\\') {
			/* The whole text was checked as UTF-8 up front. */
			if (store && axr__names_put(j, j->s + j->pos, 1) != 0)
				return j->rc;
			j->pos++;
			continue;
		}
		if (++j->pos >= j->len)
			return axr__scan_fail(j, AXR_EPARSE, "unterminated string");
		switch (j->s[j->pos++]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (axr__scan_hex4(j, &cp) != 0)
				return j->rc;
			if (cp == 0)
				return axr__scan_fail(j, AXR_EPARSE, "NUL in string");
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return axr__scan_fail(j, AXR_EPARSE, "lone surrogate");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned long lo;
				if (j->len - j->pos < 2 || j->s[j->pos] != '\\' || j->s[j->pos + 1] != 'u')
					return axr__scan_fail(j, AXR_EPARSE, "lone surrogate");
				j->pos += 2;
				if (axr__scan_hex4(j, &lo) != 0)
					return j->rc;
				if (lo < 0xDC00 || lo > 0xDFFF)
					return axr__scan_fail(j, AXR_EPARSE, "lone surrogate");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			break;
		default:
			return axr__scan_fail(j, AXR_EPARSE, "bad escape");
		}
		if (store && axr__put_codepoint(j, cp) != 0)
			return j->rc;
	}
}

static int axr__is_digit(axr__json_scan_t *j)
{
	return j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9';
}

static int axr__scan_number(axr__json_scan_t *j)
{
	if (j->s[j->pos] == '-')
		j->pos++;
	if (!axr__is_digit(j))
		return axr__scan_fail(j, AXR_EPARSE, "bad number");
	if (j->s[j->pos] == '0')
		j->pos++;
	else
		while (axr__is_digit(j))
			j->pos++;
	if (j->pos < j->len && j->s[j->pos] == '.') {
		j->pos++;
		if (!axr__is_digit(j))
			return axr__scan_fail(j, AXR_EPARSE, "bad number");
		while (axr__is_digit(j))
			j->pos++;
	}
	if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
		j->pos++;
		if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
			j->pos++;
		if (!axr__is_digit(j))
			return axr__scan_fail(j, AXR_EPARSE, "bad number");
		while (axr__is_digit(j))
			j->pos++;
	}
	return 0;
}

static void axr__scan_ws(axr__json_scan_t *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' || j->s[j->pos] == '\t' ||
				   j->s[j->pos] == '\n' || j->s[j->pos] == '\r'))
		j->pos++;
}

static int axr__scan_value(axr__json_scan_t *j);

/* Records the name just stored at j->names[off..] and rejects it if an
 * earlier member of the same object (entries from `first`) has it too. */
static int axr__scan_add_name(axr__json_scan_t *j, size_t first, size_t off)
{
	size_t len = j->names_len - off, i;

	for (i = first; i < j->nents; i++)
		if (j->ents[i].len == len &&
		    (len == 0 || memcmp(j->names + j->ents[i].off, j->names + off, len) == 0))
			return axr__scan_fail(j, AXR_EPARSE, "duplicate member name");
	if (j->nents == j->ents_cap) {
		size_t cap = j->ents_cap ? j->ents_cap * 2 : 32;
		axr__name_t *grown = realloc(j->ents, cap * sizeof(*grown));
		if (grown == NULL)
			return axr__scan_fail(j, AXR_ENOMEM, "out of memory");
		j->ents = grown;
		j->ents_cap = cap;
	}
	j->ents[j->nents].off = off;
	j->ents[j->nents].len = len;
	j->nents++;
	return 0;
}

static int axr__scan_container(axr__json_scan_t *j)
{
	int object = j->s[j->pos] == '{';
	char close = object ? '}' : ']';
	size_t first = j->nents, names_len = j->names_len;

	if (++j->depth > AXR__JSON_MAX_DEPTH)
		return axr__scan_fail(j, AXR_EPARSE, "nesting too deep");
	j->pos++;
	axr__scan_ws(j);
	if (j->pos < j->len && j->s[j->pos] == close) {
		j->pos++;
		goto done;
	}
	for (;;) {
		if (object) {
			size_t off = j->names_len;
			axr__scan_ws(j);
			if (j->pos >= j->len || j->s[j->pos] != '"')
				return axr__scan_fail(j, AXR_EPARSE, "expected member name");
			if (axr__scan_string(j, 1) != 0 || axr__scan_add_name(j, first, off) != 0)
				return j->rc;
			axr__scan_ws(j);
			if (j->pos >= j->len || j->s[j->pos] != ':')
				return axr__scan_fail(j, AXR_EPARSE, "expected ':'");
			j->pos++;
		}
		if (axr__scan_value(j) != 0)
			return j->rc;
		axr__scan_ws(j);
		if (j->pos >= j->len)
			return axr__scan_fail(j, AXR_EPARSE, "unterminated object or array");
		if (j->s[j->pos] == ',') {
			j->pos++;
			continue;
		}
		if (j->s[j->pos] != close)
			return axr__scan_fail(j, AXR_EPARSE, "expected ',' or end of object or array");
		j->pos++;
		break;
	}
done:
	j->nents = first;
	j->names_len = names_len;
	j->depth--;
	return 0;
}

static int axr__scan_literal(axr__json_scan_t *j, const char *word)
{
	size_t n = strlen(word);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0)
		return axr__scan_fail(j, AXR_EPARSE, "unexpected character");
	j->pos += n;
	return 0;
}

static int axr__scan_value(axr__json_scan_t *j)
{
	axr__scan_ws(j);
	if (j->pos >= j->len)
		return axr__scan_fail(j, AXR_EPARSE, "expected a value");
	switch (j->s[j->pos]) {
	case '{':
	case '[':
		return axr__scan_container(j);
	case '"':
		return axr__scan_string(j, 0);
	case 't':
		return axr__scan_literal(j, "true");
	case 'f':
		return axr__scan_literal(j, "false");
	case 'n':
		return axr__scan_literal(j, "null");
	default:
		return axr__scan_number(j);
	}
}

int axr__json_check_object(const char *json, size_t len, const char **reason)
{
	axr__json_scan_t j;

	memset(&j, 0, sizeof(j));
	j.s = (const unsigned char *)json;
	j.len = len;
	axr__scan_ws(&j);
	if (axr_utf8_validate(json, len) != 0)
		axr__scan_fail(&j, AXR_EPARSE, "invalid UTF-8");
	else if (j.pos >= j.len || j.s[j.pos] != '{')
		axr__scan_fail(&j, AXR_EPARSE, "not a JSON object");
	else if (axr__scan_container(&j) == 0) {
		axr__scan_ws(&j);
		if (j.pos != j.len)
			axr__scan_fail(&j, AXR_EPARSE, "trailing data after JSON");
	}
	free(j.names);
	free(j.ents);
	if (reason != NULL)
		*reason = j.reason;
	return j.rc;
}

/* Parses `len` bytes already accepted by axr__json_check_object(). */
static json_object *axr__json_parse(const char *s, size_t len)
{
	json_tokener *tok = json_tokener_new_ex(AXR__JSON_MAX_DEPTH + 1);
	json_object *obj;

	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	if (obj != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
			    json_tokener_get_parse_end(tok) != len ||
			    !json_object_is_type(obj, json_type_object))) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* ---- verifier ---- */

typedef struct axr__vkey {
	char kid[AXR_JWK_KID_MAX + 1];
	size_t kid_len;
	char *pem; /* what libjwt gets */
	size_t pem_len;
	EVP_PKEY *pkey; /* parsed once; only read afterwards, by any thread */
	size_t sig_size;
} axr__vkey_t;

struct axr_jwt_verifier {
	axr_jwt_alg_t alg;
	jwt_alg_t lib_alg;
	const char *alg_name;
	char *issuer;
	char *audience;
	int leeway;
	int require_kid;
	size_t nkeys;
	axr__vkey_t keys[AXR_JWKS_MAX_KEYS];
};

void axr_jwt_verifier_config_init(axr_jwt_verifier_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->leeway = AXR_JWT_DEFAULT_LEEWAY;
}

void axr_jwt_verifier_free(axr_jwt_verifier_t *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nkeys; i++) {
		free(v->keys[i].pem);
		EVP_PKEY_free(v->keys[i].pkey);
	}
	free(v->issuer);
	free(v->audience);
	free(v);
}

static EVP_PKEY *axr__parse_public(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

int axr_jwt_verifier_new(const axr_jwt_verifier_config_t *cfg, axr_jwt_verifier_t **out)
{
	axr_jwt_verifier_t *v = NULL;
	size_t i, n;
	int rc = AXR_ECONFIG;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (cfg == NULL)
		return AXR_EINVAL;
	if (axr_jwt_alg_name(cfg->alg) == NULL || axr__lib_alg(cfg->alg) == JWT_ALG_TERM ||
	    cfg->issuer == NULL || cfg->issuer[0] == '\0' || cfg->audience == NULL ||
	    cfg->audience[0] == '\0' || cfg->leeway < 0 || cfg->leeway > AXR__LEEWAY_MAX ||
	    cfg->keys == NULL)
		return AXR_ECONFIG;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return AXR_ENOMEM;
	v->alg = cfg->alg;
	v->lib_alg = axr__lib_alg(cfg->alg);
	v->alg_name = axr_jwt_alg_name(cfg->alg);
	v->leeway = cfg->leeway;
	v->require_kid = cfg->require_kid != 0;
	rc = AXR_ENOMEM;
	v->issuer = strdup(cfg->issuer);
	v->audience = strdup(cfg->audience);
	if (v->issuer == NULL || v->audience == NULL)
		goto fail;
	n = axr_jwks_count(cfg->keys);
	for (i = 0; i < n; i++) {
		const axr_jwk_t *k = axr_jwks_get(cfg->keys, i);
		axr__vkey_t *vk = &v->keys[v->nkeys];
		const char *pem;
		size_t pem_len;

		if (axr_jwk_alg(k) != cfg->alg)
			continue;
		pem = axr_jwk_public_pem(k, &pem_len);
		vk->pem = malloc(pem_len + 1);
		if (vk->pem == NULL)
			goto fail;
		memcpy(vk->pem, pem, pem_len + 1);
		vk->pem_len = pem_len;
		vk->pkey = axr__parse_public(pem, pem_len);
		if (vk->pkey == NULL) {
			free(vk->pem);
			goto fail;
		}
		vk->kid_len = strlen(axr_jwk_kid(k));
		memcpy(vk->kid, axr_jwk_kid(k), vk->kid_len + 1);
		vk->sig_size = axr_jwk_signature_size(k);
		v->nkeys++;
	}
	rc = AXR_ECONFIG;
	if (v->nkeys == 0)
		goto fail;
	*out = v;
	return 0;
fail:
	axr_jwt_verifier_free(v);
	return rc;
}

/* Everything decoded from one token, freed by axr__token_done(). */
typedef struct axr__token {
	unsigned char header[AXR__SEGMENT_MAX];
	unsigned char payload[AXR__SEGMENT_MAX];
	unsigned char sig[AXR__SEGMENT_MAX];
	size_t header_len, payload_len, sig_len;
	size_t signed_len; /* bytes of "header.payload" */
	json_object *hdr, *body;
	const axr__vkey_t *key;
	axr_jwt_claims_t claims; /* strings borrowed from `body` */
} axr__token_t;

static void axr__token_done(axr__token_t *t)
{
	json_object_put(t->hdr);
	json_object_put(t->body);
}

#define AXR__REJECT(why)             \
	do {                         \
		*reason = (why);     \
		return AXR_EUNAUTHORIZED; \
	} while (0)

/* Size, dots, segments, base64url. Fills the decoded header and payload. */
static int axr__check_shape(const char *token, size_t len, axr__token_t *t, const char **reason)
{
	const char *dot1 = NULL, *dot2 = NULL, *sig;
	size_t i, dots = 0, sig_chars;
	long n;

	if (len > AXR_JWT_MAX_TOKEN)
		AXR__REJECT("token too large");
	if (len == 0)
		AXR__REJECT("empty token");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c == '.') {
			if (++dots == 1)
				dot1 = token + i;
			else if (dots == 2)
				dot2 = token + i;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			     c == '-' || c == '_')) {
			AXR__REJECT("character outside base64url");
		}
	}
	if (dots != 2)
		AXR__REJECT("token needs exactly two dots");
	sig = dot2 + 1;
	sig_chars = (size_t)(token + len - sig);
	if (dot1 == token || dot2 == dot1 + 1 || sig_chars == 0)
		AXR__REJECT("empty token segment");
	n = axr__b64url_decode(token, (size_t)(dot1 - token), t->header, sizeof(t->header));
	if (n < 0)
		AXR__REJECT("header is not strict base64url");
	t->header_len = (size_t)n;
	n = axr__b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), t->payload, sizeof(t->payload));
	if (n < 0)
		AXR__REJECT("payload is not strict base64url");
	t->payload_len = (size_t)n;
	n = axr__b64url_decode(sig, sig_chars, t->sig, sizeof(t->sig));
	if (n < 0)
		AXR__REJECT("signature is not strict base64url");
	t->sig_len = (size_t)n;
	t->signed_len = (size_t)(dot2 - token);
	return 0;
}

/* Strict JSON, then json-c. `what` picks the reasons. */
static int axr__parse_segment(const unsigned char *s, size_t len, int is_header, json_object **out,
			      const char **reason)
{
	const char *why = NULL;
	int rc = axr__json_check_object((const char *)s, len, &why);

	if (rc == AXR_ENOMEM) {
		*reason = "out of memory";
		return rc;
	}
	if (rc != 0) {
		if (why != NULL && strcmp(why, "duplicate member name") == 0)
			AXR__REJECT(is_header ? "duplicate header parameter" : "duplicate claim");
		AXR__REJECT(is_header ? "header is not a strict JSON object"
				      : "payload is not a strict JSON object");
	}
	*out = axr__json_parse((const char *)s, len);
	if (*out == NULL) {
		*reason = "out of memory";
		return AXR_ENOMEM;
	}
	return 0;
}

/* 1 when `name` is a member of `o`, with its value in *v; a JSON null
 * member gives 1 and *v == NULL, so "present but null" is never mistaken
 * for "absent". */
static int axr__has(json_object *o, const char *name, json_object **v)
{
	*v = NULL;
	return json_object_object_get_ex(o, name, v) != 0;
}

static int axr__check_header(const axr_jwt_verifier_t *v, axr__token_t *t, const char **reason)
{
	static const char *const refused[] = {"crit", "jku", "jwk", "x5u", "x5c"};
	json_object *alg, *typ, *kid, *ignored;
	const char *s;
	size_t i, len;
	int rc;

	rc = axr__parse_segment(t->header, t->header_len, 1, &t->hdr, reason);
	if (rc != 0)
		return rc;
	if (!axr__has(t->hdr, "alg", &alg) || !json_object_is_type(alg, json_type_string))
		AXR__REJECT("alg missing");
	s = json_object_get_string(alg);
	if (strcmp(s, v->alg_name) != 0) {
		if (strcasecmp(s, "none") == 0)
			AXR__REJECT("alg none refused");
		AXR__REJECT("alg not allowed");
	}
	if (axr__has(t->hdr, "typ", &typ) && (!json_object_is_type(typ, json_type_string) ||
			    strcmp(json_object_get_string(typ), "JWT") != 0))
		AXR__REJECT("typ is not JWT");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (axr__has(t->hdr, refused[i], &ignored))
			AXR__REJECT("header parameter refused");
	if (!axr__has(t->hdr, "kid", &kid)) {
		if (v->require_kid || v->nkeys != 1)
			AXR__REJECT("kid required");
		t->key = &v->keys[0];
	} else {
		if (!json_object_is_type(kid, json_type_string))
			AXR__REJECT("kid is not a string");
		s = json_object_get_string(kid);
		len = (size_t)json_object_get_string_len(kid);
		if (len > AXR_JWK_KID_MAX)
			AXR__REJECT("kid too long");
		/* The kid is only ever compared against our own table. */
		for (i = 0; i < v->nkeys; i++)
			if (v->keys[i].kid_len == len && memcmp(v->keys[i].kid, s, len) == 0)
				t->key = &v->keys[i];
		if (t->key == NULL)
			AXR__REJECT("unknown kid");
	}
	if (t->sig_len != t->key->sig_size)
		AXR__REJECT("wrong signature length");
	return 0;
}

/* A NumericDate claim: absent (returns 1), or an integer in range (0). */
static int axr__time_claim(json_object *body, const char *name, int64_t *out, const char **reason)
{
	json_object *o;
	int64_t t;

	if (!axr__has(body, name, &o))
		return 1;
	if (!json_object_is_type(o, json_type_int))
		AXR__REJECT("time claim is not an integer");
	t = json_object_get_int64(o);
	if (t < 0 || t > AXR_JWT_TIME_MAX)
		AXR__REJECT("time claim out of range");
	*out = t;
	return 0;
}

/* The string `o`, of at most AXR_JWT_MAX_CLAIM_STRING bytes. */
static int axr__string_value(json_object *o, const char **out, const char **reason)
{
	if (!json_object_is_type(o, json_type_string))
		AXR__REJECT("claim is not a string");
	if (json_object_get_string_len(o) > AXR_JWT_MAX_CLAIM_STRING)
		AXR__REJECT("claim too long");
	*out = json_object_get_string(o);
	return 0;
}

/* The optional string member `name` of `parent`; *out NULL when absent. */
static int axr__string_claim(json_object *parent, const char *name, const char **out,
			     const char **reason)
{
	json_object *o;

	*out = NULL;
	if (!axr__has(parent, name, &o))
		return 0;
	return axr__string_value(o, out, reason);
}

static int axr__check_audience(const axr_jwt_verifier_t *v, json_object *aud, const char **reason)
{
	size_t i, n;
	int found = 0;

	if (aud == NULL)
		AXR__REJECT("aud missing");
	if (json_object_is_type(aud, json_type_string)) {
		if (strcmp(json_object_get_string(aud), v->audience) != 0)
			AXR__REJECT("wrong audience");
		return 0;
	}
	if (!json_object_is_type(aud, json_type_array))
		AXR__REJECT("aud is neither string nor array");
	n = json_object_array_length(aud);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(aud, i);
		if (!json_object_is_type(e, json_type_string))
			AXR__REJECT("aud element is not a string");
		if (strcmp(json_object_get_string(e), v->audience) == 0)
			found = 1;
	}
	if (!found)
		AXR__REJECT("wrong audience");
	return 0;
}

static int axr__check_profile(json_object *body, axr_jwt_profile_t *out, const char **roles,
			      const char **reason)
{
	json_object *p, *r;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (!axr__has(body, "profile", &p))
		return 0;
	if (!json_object_is_type(p, json_type_object))
		AXR__REJECT("profile is not an object");
	if (axr__string_claim(p, "uid", &out->uid, reason) != 0 ||
	    axr__string_claim(p, "name", &out->name, reason) != 0)
		return AXR_EUNAUTHORIZED;
	if (!axr__has(p, "roles", &r))
		return 0;
	if (!json_object_is_type(r, json_type_array))
		AXR__REJECT("roles is not an array");
	n = json_object_array_length(r);
	if (n > AXR_JWT_MAX_ROLES)
		AXR__REJECT("too many roles");
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(r, i);
		if (!json_object_is_type(e, json_type_string))
			AXR__REJECT("role is not a string");
		if (axr__string_value(e, &roles[i], reason) != 0)
			return AXR_EUNAUTHORIZED;
	}
	out->roles = n ? roles : NULL;
	out->nroles = n;
	return 0;
}

static int axr__check_claims(const axr_jwt_verifier_t *v, axr__token_t *t, int64_t now,
			     const char **roles, const char **reason)
{
	axr_jwt_claims_t *c = &t->claims;
	json_object *iss, *aud;
	int64_t nbf = 0;
	int rc;

	rc = axr__parse_segment(t->payload, t->payload_len, 0, &t->body, reason);
	if (rc != 0)
		return rc;
	rc = axr__time_claim(t->body, "exp", &c->exp, reason);
	if (rc == 1)
		AXR__REJECT("exp missing");
	if (rc != 0)
		return rc;
	/* Accept while now < exp + leeway: exp+59 passes, exp+60 does not. */
	if (now >= c->exp + v->leeway)
		AXR__REJECT("token expired");
	rc = axr__time_claim(t->body, "nbf", &nbf, reason);
	if (rc < 0)
		return rc;
	if (rc == 0 && nbf > now + v->leeway)
		AXR__REJECT("token not yet valid");
	rc = axr__time_claim(t->body, "iat", &c->iat, reason);
	if (rc < 0)
		return rc;
	if (rc == 0 && c->iat > now + v->leeway)
		AXR__REJECT("token issued in the future");
	if (!axr__has(t->body, "iss", &iss) || !json_object_is_type(iss, json_type_string))
		AXR__REJECT("iss missing");
	if (strcmp(json_object_get_string(iss), v->issuer) != 0)
		AXR__REJECT("wrong issuer");
	rc = axr__check_audience(v, axr__has(t->body, "aud", &aud) ? aud : NULL, reason);
	if (rc != 0)
		return rc;
	if (axr__string_claim(t->body, "sub", &c->sub, reason) != 0 ||
	    axr__string_claim(t->body, "jti", &c->jti, reason) != 0)
		return AXR_EUNAUTHORIZED;
	if (c->sub == NULL || c->sub[0] == '\0')
		AXR__REJECT("sub missing");
	return axr__check_profile(t->body, &c->profile, roles, reason);
}

/* JWS R || S (2 x 32 bytes) as the DER ECDSA-Sig-Value OpenSSL verifies. */
static int axr__ecdsa_der(const unsigned char *raw, unsigned char *der, size_t cap, size_t *len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *p = der;
	int n = -1;

	if (sig != NULL && r != NULL && s != NULL && ECDSA_SIG_set0(sig, r, s) == 1) {
		r = s = NULL; /* owned by sig now */
		if (i2d_ECDSA_SIG(sig, NULL) <= (int)cap)
			n = i2d_ECDSA_SIG(sig, &p);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return AXR_ENOMEM;
	*len = (size_t)n;
	return 0;
}

/* Our own check of the signature with the preloaded key: a forged token
 * costs one public-key operation and never reaches libjwt, whose PEM parsing
 * per call is ~30x more expensive (OpenSSL 3.0 decoders). */
static int axr__check_signature_evp(const axr_jwt_verifier_t *v, const char *token,
				    const axr__token_t *t, const char **reason)
{
	unsigned char der[80];
	const unsigned char *sig = t->sig;
	size_t sig_len = t->sig_len;
	EVP_MD_CTX *md;
	int ok = 0, rc;

	if (v->alg == AXR_JWT_ES256) {
		rc = axr__ecdsa_der(t->sig, der, sizeof(der), &sig_len);
		if (rc != 0) {
			*reason = "out of memory";
			return rc;
		}
		sig = der;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL) {
		*reason = "out of memory";
		return AXR_ENOMEM;
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, t->key->pkey) == 1)
		ok = EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)token, t->signed_len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok)
		AXR__REJECT("bad signature");
	return 0;
}

/* The signature again, through libjwt, with the key chosen from our own
 * table; then the alg libjwt says it used. */
static int axr__check_signature_libjwt(const axr_jwt_verifier_t *v, const char *token, size_t len,
				       const axr__token_t *t, const char **reason)
{
	char buf[AXR_JWT_MAX_TOKEN + 1];
	jwt_t *jwt = NULL;
	jwt_alg_t alg;
	int rc;

	memcpy(buf, token, len);
	buf[len] = '\0';
	rc = jwt_decode(&jwt, buf, (const unsigned char *)t->key->pem, (int)t->key->pem_len);
	if (rc != 0 || jwt == NULL) {
		jwt_free(jwt);
		if (rc == ENOMEM) {
			*reason = "out of memory";
			return AXR_ENOMEM;
		}
		AXR__REJECT("rejected by libjwt");
	}
	alg = jwt_get_alg(jwt);
	jwt_free(jwt);
	if (alg != v->lib_alg)
		AXR__REJECT("alg changed by libjwt");
	return 0;
}

int axr_jwt_verify_at(const axr_jwt_verifier_t *v, const char *token, size_t len, int64_t now,
		      axr_arena_t *arena, axr_jwt_claims_t *claims, const char **reason)
{
	const char *roles[AXR_JWT_MAX_ROLES];
	const char *why = NULL;
	axr__token_t *t = NULL;
	int rc;

	if (reason == NULL)
		reason = &why;
	*reason = NULL;
	if (v == NULL || (token == NULL && len != 0) || (claims != NULL && arena == NULL)) {
		*reason = "invalid arguments";
		return AXR_EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		*reason = "out of memory";
		return AXR_ENOMEM;
	}
	rc = axr__check_shape(token, len, t, reason);
	if (rc == 0)
		rc = axr__check_header(v, t, reason);
	if (rc == 0)
		rc = axr__check_claims(v, t, now, roles, reason);
	if (rc == 0)
		rc = axr__check_signature_evp(v, token, t, reason);
	if (rc == 0)
		rc = axr__check_signature_libjwt(v, token, len, t, reason);
	if (rc == 0 && claims != NULL) {
		rc = axr_jwt_claims_copy(&t->claims, arena, claims);
		if (rc != 0)
			*reason = "out of memory";
	}
	axr__token_done(t);
	free(t);
	return rc;
}

int axr_jwt_verify(const axr_jwt_verifier_t *v, const char *token, size_t len,
		   axr_arena_t *arena, axr_jwt_claims_t *claims, const char **reason)
{
	return axr_jwt_verify_at(v, token, len, (int64_t)time(NULL), arena, claims, reason);
}

int axr_jwt_has_role(const axr_jwt_claims_t *claims, const char *role)
{
	size_t i;

	if (claims == NULL || role == NULL)
		return 0;
	for (i = 0; i < claims->profile.nroles; i++)
		if (claims->profile.roles[i] != NULL && strcmp(claims->profile.roles[i], role) == 0)
			return 1;
	return 0;
}

int axr_jwt_claims_copy(const axr_jwt_claims_t *src, axr_arena_t *arena, axr_jwt_claims_t *dst)
{
	axr_jwt_claims_t c;
	size_t i;

	if (src == NULL || arena == NULL || dst == NULL || src->profile.nroles > AXR_JWT_MAX_ROLES)
		return AXR_EINVAL;
	c = *src;
	c.sub = src->sub ? axr_arena_strdup(arena, src->sub) : NULL;
	c.jti = src->jti ? axr_arena_strdup(arena, src->jti) : NULL;
	c.profile.uid = src->profile.uid ? axr_arena_strdup(arena, src->profile.uid) : NULL;
	c.profile.name = src->profile.name ? axr_arena_strdup(arena, src->profile.name) : NULL;
	if ((src->sub && !c.sub) || (src->jti && !c.jti) || (src->profile.uid && !c.profile.uid) ||
	    (src->profile.name && !c.profile.name))
		return AXR_ENOMEM;
	c.profile.roles = NULL;
	if (src->profile.nroles > 0) {
		c.profile.roles = axr_arena_calloc(arena, src->profile.nroles, sizeof(char *));
		if (c.profile.roles == NULL)
			return AXR_ENOMEM;
		for (i = 0; i < src->profile.nroles; i++) {
			c.profile.roles[i] = axr_arena_strdup(arena, src->profile.roles[i]);
			if (c.profile.roles[i] == NULL)
				return AXR_ENOMEM;
		}
	}
	*dst = c;
	return 0;
}

/* ---- token sources ---- */

/* The bytes of a compact JWS: base64url and the dots between its parts. */
static const unsigned char axr__token_byte[256] = {
	['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, ['0' ... '9'] = 1, ['-'] = 1, ['_'] = 1, ['.'] = 1,
};

static int axr__token_chars(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char ok = 1;
	size_t i;

	if (len == 0)
		return 0;
	/* Every byte is looked at (no early exit): one table load each. */
	for (i = 0; i < len; i++)
		ok &= axr__token_byte[p[i]];
	return ok;
}

int axr_jwt_from_bearer(const char *value, size_t len, const char **token, size_t *token_len)
{
	if (value == NULL || token == NULL || token_len == NULL || len <= 7 ||
	    strncasecmp(value, "Bearer", 6) != 0 || value[6] != ' ' ||
	    !axr__token_chars(value + 7, len - 7))
		return AXR_EUNAUTHORIZED;
	*token = value + 7;
	*token_len = len - 7;
	return 0;
}

int axr_jwt_from_query(const char *query, size_t len, const char **token, size_t *token_len)
{
	static const char name[] = "jwt_token=";
	const size_t nlen = sizeof(name) - 1;
	const char *found = NULL, *p = query, *end = query + len;
	size_t found_len = 0;

	if (query == NULL || token == NULL || token_len == NULL)
		return AXR_EUNAUTHORIZED;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp != NULL ? amp : end;
		size_t plen = (size_t)(stop - p);

		if ((plen >= nlen && memcmp(p, name, nlen) == 0) ||
		    (plen == nlen - 1 && memcmp(p, name, nlen - 1) == 0)) {
			if (found != NULL)
				return AXR_EUNAUTHORIZED; /* more than one */
			found = plen >= nlen ? p + nlen : stop;
			found_len = plen >= nlen ? plen - nlen : 0;
		}
		p = stop + 1;
	}
	if (found == NULL || !axr__token_chars(found, found_len))
		return AXR_EUNAUTHORIZED;
	*token = found;
	*token_len = found_len;
	return 0;
}
