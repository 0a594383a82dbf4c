/* fuzz_decode.c: libFuzzer target for strict JSON decoding, validation and parameters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "err.h"
#include "json.h"
#include "regex.h"
#include "schema.h"
#include "schema_compile.h"
#include "validate.h"

/*
 * The input is a request body. Each run:
 *   - decodes it strictly and validates it against a fixed ~20-property
 *     order schema in request, response and plain mode, each with a full
 *     error list and with the decide-only fast path (which must agree);
 *   - checks every error path is a JSON Pointer and every message non-empty;
 *   - strips writeOnly members from what decoded and validates the result in
 *     response mode: no "is write-only" error may remain;
 *   - decodes it again with AXR_JSON_BIGNUM, which must accept everything
 *     strict mode accepts, and re-checks the serialised tree round-trips;
 *   - feeds it as a query parameter to integer, string and array schemas.
 */

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                        \
		}                                                                       \
	} while (0)

static const char order_schema[] =
	"{\"type\":\"object\",\"required\":[\"customerEmail\",\"items\",\"payment\"],"
	"\"additionalProperties\":false,\"minProperties\":3,"
	"\"dependencies\":{\"coupon\":[\"amount\"]},"
	"\"properties\":{"
	"\"amount\":{\"type\":\"number\",\"multipleOf\":0.01,\"exclusiveMinimum\":0,\"maximum\":1e9},"
	"\"billing\":{\"$ref\":\"#/definitions/Address\"},"
	"\"callbackUrl\":{\"type\":\"string\",\"format\":\"uri\"},"
	"\"clientIp\":{\"type\":\"string\",\"anyOf\":[{\"format\":\"ipv4\"},{\"format\":\"ipv6\"}]},"
	"\"coupon\":{\"type\":\"string\",\"nullable\":true,\"pattern\":\"^[A-Z0-9]{4,12}$\"},"
	"\"createdAt\":{\"type\":\"string\",\"format\":\"date-time\",\"readOnly\":true},"
	"\"customerEmail\":{\"type\":\"string\",\"format\":\"email\",\"maxLength\":254},"
	"\"deliveryDate\":{\"type\":\"string\",\"format\":\"date\"},"
	"\"id\":{\"type\":\"string\",\"format\":\"uuid\",\"readOnly\":true},"
	"\"items\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":50,"
	"\"items\":{\"$ref\":\"#/definitions/Item\"}},"
	"\"labels\":{\"type\":\"array\",\"uniqueItems\":true,\"maxItems\":10,"
	"\"items\":{\"type\":\"string\",\"maxLength\":20}},"
	"\"meta\":{\"type\":\"object\",\"maxProperties\":8,"
	"\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
	"\"notes\":{\"type\":\"string\",\"maxLength\":500},"
	"\"password\":{\"type\":\"string\",\"minLength\":8,\"writeOnly\":true},"
	"\"payment\":{\"oneOf\":[{\"$ref\":\"#/definitions/Card\"},{\"$ref\":\"#/definitions/Wallet\"}],"
	"\"discriminator\":{\"propertyName\":\"kind\",\"mapping\":{\"card\":\"#/definitions/Card\","
	"\"wallet\":\"#/definitions/Wallet\"}}},"
	"\"priority\":{\"type\":\"integer\",\"enum\":[1,2,3]},"
	"\"quantityTotal\":{\"type\":\"integer\",\"format\":\"int32\",\"minimum\":0},"
	"\"shipping\":{\"allOf\":[{\"$ref\":\"#/definitions/Address\"},{\"properties\":{\"method\":"
	"{\"enum\":[\"ground\",\"air\",\"pickup\"]}}}]},"
	"\"source\":{\"oneOf\":[{\"type\":\"string\",\"maxLength\":3},{\"type\":\"string\",\"minLength\":2}]},"
	"\"tags\":{\"type\":\"array\",\"items\":[{\"type\":\"string\"},{\"type\":\"integer\"}],"
	"\"additionalItems\":false},"
	"\"version\":{\"type\":\"integer\",\"minimum\":0,\"format\":\"int64\"},"
	"\"weight\":{\"type\":\"number\",\"not\":{\"const\":0}}},"
	"\"definitions\":{"
	"\"Address\":{\"type\":\"object\",\"required\":[\"street\",\"country\"],"
	"\"properties\":{\"street\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":100},"
	"\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{5}(-[0-9]{4})?$\"},"
	"\"country\":{\"enum\":[\"US\",\"CA\",\"DE\",\"FR\"]},\"method\":{}}},"
	"\"Item\":{\"type\":\"object\",\"required\":[\"sku\",\"quantity\"],\"additionalProperties\":false,"
	"\"properties\":{\"sku\":{\"type\":\"string\",\"pattern\":\"^[A-Z][A-Z0-9-]{2,15}$\"},"
	"\"quantity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10000},"
	"\"price\":{\"type\":\"number\",\"minimum\":0,\"multipleOf\":0.001},"
	"\"options\":{\"type\":\"object\",\"patternProperties\":{\"^x-[a-z]+$\":{\"type\":\"string\"}},"
	"\"additionalProperties\":false}}},"
	"\"Card\":{\"type\":\"object\",\"required\":[\"kind\",\"last4\"],\"properties\":{"
	"\"kind\":{\"const\":\"card\"},\"last4\":{\"type\":\"string\",\"pattern\":\"^\\\\d{4}$\"},"
	"\"cvc\":{\"type\":\"string\",\"writeOnly\":true}}},"
	"\"Wallet\":{\"type\":\"object\",\"required\":[\"kind\",\"provider\"],\"properties\":{"
	"\"kind\":{\"const\":\"wallet\"},\"provider\":{\"enum\":[\"apple\",\"google\"]}}}}}";

static axr_schema_doc_t *doc;
static const axr_schema_t *order, *limit, *ids, *name;
static axr_arena_t *arena;

static const axr_schema_t *compile(const char *text, axr_schema_doc_t **d)
{
	json_object *j = NULL;
	const axr_schema_t *s = NULL;
	char err[256];
	CHECK(axr_json_parse(text, strlen(text), NULL, &j, NULL) == 0);
	CHECK(axr_schema_doc_new(j, NULL, d, err, sizeof(err)) == 0);
	json_object_put(j);
	if (axr_schema_doc_get(*d, "#", &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "schema: %s\n", err);
		abort();
	}
	CHECK(axr_schema_prepare(s, err, sizeof(err)) == 0);
	return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static axr_schema_doc_t *docs[3];
	(void)argc;
	(void)argv;
	order = compile(order_schema, &doc);
	limit = compile("{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000}", &docs[0]);
	ids = compile("{\"type\":\"array\",\"maxItems\":5,\"items\":{\"type\":\"integer\"}}", &docs[1]);
	name = compile("{\"type\":\"string\",\"pattern\":\"^[a-z]+$\",\"nullable\":true}", &docs[2]);
	arena = axr_arena_new(0);
	CHECK(arena != NULL);
	return 0;
}

static void check_errors(const axr_verrors_t *errs)
{
	for (size_t i = 0; i < errs->count; i++) {
		const char *p = errs->items[i].path;
		CHECK(p[0] == '\0' || p[0] == '/');
		for (const char *t = strchr(p, '~'); t != NULL; t = strchr(t + 1, '~'))
			CHECK(t[1] == '0' || t[1] == '1');
		CHECK(errs->items[i].message[0] != '\0');
	}
}

static int validate(json_object *v, axr_validate_mode_t mode, axr_verrors_t *errs)
{
	axr_verrors_t quick;
	axr_verrors_init(errs, arena, AXR_VERRORS_DEFAULT_MAX);
	axr_verrors_init(&quick, arena, 0);
	int rc = axr_validate(order, v, mode, errs);
	CHECK(rc == 0 || rc == AXR_EVALIDATION);
	CHECK(axr_validate(order, v, mode, &quick) == rc);
	CHECK((rc == 0) == (errs->count == 0));
	check_errors(errs);
	return rc;
}

static void fuzz_params(const uint8_t *data, size_t size)
{
	const char *raw[3];
	size_t lens[3];
	json_object *v;
	axr_verrors_t errs;

	/* one value, and the input split in up to three values at '&' */
	raw[0] = (const char *)data;
	lens[0] = size;
	size_t n = 1;
	const uint8_t *amp = memchr(data, '&', size);
	if (amp != NULL) {
		lens[0] = (size_t)(amp - data);
		raw[1] = (const char *)amp + 1;
		lens[1] = size - lens[0] - 1;
		n = 2;
	}
	const axr_schema_t *schemas[] = {limit, ids, name};
	for (int s = 0; s < 3; s++) {
		for (int style = AXR_PARAM_FORM_EXPLODE; style <= AXR_PARAM_PIPE_DELIMITED; style++) {
			axr_verrors_init(&errs, arena, 8);
			int rc = axr_param_decode(schemas[s], (axr_param_style_t)style, raw, lens, n,
						  "/q", &errs, &v);
			CHECK(rc == 0 || rc == AXR_EVALIDATION);
			CHECK((rc == 0) == (errs.count == 0));
			check_errors(&errs);
			json_object_put(v);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	axr_json_opts_t bignum = {.flags = AXR_JSON_BIGNUM};
	json_object *v = NULL, *w = NULL;
	axr_json_error_t jerr;
	axr_verrors_t errs;

	axr_arena_reset(arena);
	axr_verrors_init(&errs, arena, AXR_VERRORS_DEFAULT_MAX);
	int rc = axr_validate_body((const char *)data, size, NULL, order, AXR_VALIDATE_REQUEST, &errs, &v);
	CHECK(rc == 0 || rc == AXR_EVALIDATION || rc == AXR_EPARSE || rc == AXR_ERANGE ||
	      rc == AXR_ETOOBIG);
	check_errors(&errs);
	CHECK((rc == 0) == (v != NULL));
	CHECK(rc == 0 || errs.count > 0);
	CHECK(rc != 0 || json_object_get_type(v) == json_type_object);
	json_object_put(v);
	v = NULL;

	int prc = axr_json_parse((const char *)data, size, NULL, &v, &jerr);
	if (prc == 0) {
		int request = validate(v, AXR_VALIDATE_REQUEST, &errs);
		CHECK(request == rc);
		validate(v, AXR_VALIDATE_PLAIN, &errs);
		validate(v, AXR_VALIDATE_RESPONSE, &errs);
		axr_strip_write_only(order, v);
		validate(v, AXR_VALIDATE_RESPONSE, &errs);
		for (size_t i = 0; i < errs.count; i++)
			CHECK(strcmp(errs.items[i].message, "is write-only") != 0);

		/* what we print, we read back identically */
		const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		CHECK(axr_json_parse(text, strlen(text), &bignum, &w, NULL) == 0);
		CHECK(json_object_equal(v, w));
		json_object_put(w);
		w = NULL;
	} else {
		CHECK(v == NULL);
		CHECK(jerr.line >= 1 && jerr.column >= 1 && jerr.offset <= size);
		CHECK(jerr.path[0] == '\0' || jerr.path[0] == '/');
	}
	if (axr_json_parse((const char *)data, size, &bignum, &w, NULL) == 0)
		json_object_put(w);
	else
		CHECK(prc != 0);
	json_object_put(v);

	if (size < 512)
		fuzz_params(data, size);
	return 0;
}
