/* schema.h: validation tables, the contract between axrgen and the validator. */
#ifndef AXR_SCHEMA_H
#define AXR_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "regex.h"

/*
 * One axr_schema_t per JSON Schema (an OpenAPI Schema Object). axrgen emits
 * them as `static const` data with C99 designated initializers; every field
 * left out is zero, and zero always means "no constraint", so a table only
 * names the keywords its schema uses:
 *
 *     static const axr_schema_t shop_Item_quantity = {
 *         .types = AXR_TYPE_INTEGER,
 *         .format = AXR_FORMAT_INT64,
 *         .minimum = &(const axr_number_t)AXR_NUMBER_INT(1),
 *     };
 *     static const axr_schema_t shop_Item = {
 *         .name = "Item",
 *         .types = AXR_TYPE_OBJECT,
 *         .properties = (const axr_property_t[]){   // sorted by name (strcmp)
 *             { .name = "quantity", .schema = &shop_Item_quantity },
 *             { .name = "sku", .schema = &shop_Sku },
 *             { .name = "uid", .schema = &common_Uid_read_only },
 *         },
 *         .n_properties = 3,
 *         .required = (const char *const[]){ "quantity", "sku" },
 *         .n_required = 2,
 *         .additional_properties = &axr_schema_false,
 *     };
 *
 * Schemas point at each other, so recursive schemas (trees, $ref "#") are
 * plain pointer cycles; a table must be declared before it is pointed to
 * (`static const axr_schema_t shop_Node;` works as a tentative declaration).
 * Arrays of pointers use `(const axr_schema_t *const[]){ &a, &b }`.
 * Compound literals at file scope have static storage, so all of this is
 * `static const` except axr_regex_t slots (see regex.h), which the tables
 * point at.
 *
 * The validator (validate.h) walks these tables directly; it never copies
 * or rewrites them. axr_schema_prepare() checks a table graph once at
 * startup (property order, patterns, multipleOf > 0) and compiles every
 * pattern, so request-time validation does no setup at all.
 */

/* Bits of axr_schema_t.types. 0 means any type. */
enum {
	AXR_TYPE_NULL = 1u << 0,
	AXR_TYPE_BOOLEAN = 1u << 1,
	AXR_TYPE_INTEGER = 1u << 2, /* a JSON number without fraction or exponent */
	AXR_TYPE_NUMBER = 1u << 3,  /* any JSON number (includes integers) */
	AXR_TYPE_STRING = 1u << 4,
	AXR_TYPE_ARRAY = 1u << 5,
	AXR_TYPE_OBJECT = 1u << 6,
};

/* Bits of axr_schema_t.flags. */
enum {
	AXR_SCHEMA_FALSE = 1u << 0,          /* the schema `false`: nothing validates */
	AXR_SCHEMA_NULLABLE = 1u << 1,       /* OpenAPI 3.0: null is valid too */
	AXR_SCHEMA_READ_ONLY = 1u << 2,      /* request bodies must not carry it */
	AXR_SCHEMA_WRITE_ONLY = 1u << 3,     /* responses must not carry it */
	AXR_SCHEMA_UNIQUE_ITEMS = 1u << 4,   /* uniqueItems: true */
	AXR_SCHEMA_TUPLE_ITEMS = 1u << 5,    /* "items" is an array: tuple_items */
	AXR_SCHEMA_MAX_LENGTH = 1u << 6,     /* max_length is set */
	AXR_SCHEMA_MAX_ITEMS = 1u << 7,      /* max_items is set */
	AXR_SCHEMA_MAX_PROPERTIES = 1u << 8, /* max_properties is set */
};

/*
 * A number written in a schema (minimum, multipleOf, ...). Integers are kept
 * exactly, so int64 instances are compared without going through a double.
 * `text` is the literal as written (optional); multipleOf uses it for exact
 * decimal arithmetic (0.01 is not a binary fraction).
 */
typedef struct axr_number {
	double d;         /* the value (rounded when not exact); always set */
	int64_t i;        /* the exact value when is_int */
	bool is_int;      /* written as an integer that fits int64 */
	const char *text; /* literal, e.g. "0.01"; NULL = derive from d/i */
} axr_number_t;

#define AXR_NUMBER_INT(v) { .d = (double)(v), .i = (v), .is_int = true }
#define AXR_NUMBER_REAL(v) { .d = (v), .text = #v }

/* A JSON value in a table: enum members, const, default. */
typedef enum axr_value_kind {
	AXR_VALUE_NULL = 0,
	AXR_VALUE_BOOLEAN,
	AXR_VALUE_INTEGER,
	AXR_VALUE_REAL,
	AXR_VALUE_STRING,
	AXR_VALUE_ARRAY,
	AXR_VALUE_OBJECT,
} axr_value_kind_t;

typedef struct axr_value axr_value_t;
typedef struct axr_member axr_member_t;

struct axr_value {
	axr_value_kind_t kind;
	union {
		bool boolean;
		int64_t integer;
		double real;
		struct {
			const char *ptr; /* may contain U+0000; not NUL-terminated */
			size_t len;
		} string;
		struct {
			const axr_value_t *items;
			size_t count;
		} array;
		struct {
			const axr_member_t *members; /* any order */
			size_t count;
		} object;
	} u;
};

struct axr_member {
	const char *name;
	axr_value_t value;
};

#define AXR_VALUE_STR(lit) \
	{ .kind = AXR_VALUE_STRING, .u.string = { .ptr = (lit), .len = sizeof(lit) - 1 } }
#define AXR_VALUE_INT(v) { .kind = AXR_VALUE_INTEGER, .u.integer = (v) }
#define AXR_VALUE_BOOL(v) { .kind = AXR_VALUE_BOOLEAN, .u.boolean = (v) }

typedef struct axr_schema axr_schema_t;

/* properties: one entry per declared property, sorted by name (strcmp). */
typedef struct axr_property {
	const char *name;           /* JSON name as in the spec */
	const axr_schema_t *schema; /* NULL = any value */
	/* The protobuf field number that carries this property in the message
	 * the schema maps to (docs/model-mapping.md); 0 = none (the schema is
	 * not a message, or the property has no field). The validator ignores
	 * it; the codec (codec.h) maps properties to fields by it. */
	uint32_t field;
} axr_property_t;

/* patternProperties: names matching `regex` are validated against `schema`. */
typedef struct axr_pattern_property {
	axr_regex_t *regex;
	const axr_schema_t *schema;
} axr_pattern_property_t;

/* dependencies: when property `name` is present, the object must also have
 * every property in `required` and/or validate against `schema`. */
typedef struct axr_dependency {
	const char *name;
	const char *const *required;
	size_t n_required;
	const axr_schema_t *schema; /* NULL when it is a property dependency */
} axr_dependency_t;

/* OpenAPI discriminator: the object's `property` names the branch. */
typedef struct axr_discriminator_entry {
	const char *value;          /* e.g. "cat" */
	const axr_schema_t *schema; /* e.g. &pets_Cat */
} axr_discriminator_entry_t;

typedef struct axr_discriminator {
	const char *property;                      /* e.g. "petType" */
	const axr_discriminator_entry_t *mapping; /* explicit + implicit entries */
	size_t n_mapping;
} axr_discriminator_t;

struct axr_schema {
	const char *name; /* optional, for diagnostics (e.g. "User") */

	/*
	 * $ref: the value must also validate against *ref. Draft 4 and OpenAPI
	 * 3.0 ignore the siblings of $ref, so a schema compiled from one has
	 * nothing but `ref` set; generated tables usually point at the target
	 * directly instead. readOnly/writeOnly are looked up along ref chains.
	 */
	const axr_schema_t *ref;

	uint32_t types;      /* AXR_TYPE_* bits; 0 = any */
	uint32_t flags;      /* AXR_SCHEMA_* bits */
	axr_format_t format; /* AXR_FORMAT_NONE = no format check */

	/* enum (any of, deep equality, 1 == 1.0) and const; default is data
	 * for decoders and is not validated */
	const axr_value_t *enum_values;
	size_t n_enum;
	const axr_value_t *const_value;
	const axr_value_t *default_value;

	/* numbers; NULL = absent. Draft 4's boolean exclusiveMinimum turns
	 * `minimum` into `exclusive_minimum`; OpenAPI 3.1's numeric form sets
	 * exclusive_minimum directly. multiple_of must be > 0. */
	const axr_number_t *minimum;
	const axr_number_t *maximum;
	const axr_number_t *exclusive_minimum;
	const axr_number_t *exclusive_maximum;
	const axr_number_t *multiple_of;

	/* strings; lengths count code points */
	size_t min_length;
	size_t max_length; /* with AXR_SCHEMA_MAX_LENGTH */
	axr_regex_t *pattern;

	/* arrays: `items` applies to every element, unless AXR_SCHEMA_TUPLE_ITEMS,
	 * when element i < n_tuple_items uses tuple_items[i] and the rest use
	 * additional_items (&axr_schema_false forbids them) */
	const axr_schema_t *items;
	const axr_schema_t *const *tuple_items;
	size_t n_tuple_items;
	const axr_schema_t *additional_items;
	size_t min_items;
	size_t max_items; /* with AXR_SCHEMA_MAX_ITEMS */

	/* objects: a member is checked against its property's schema and every
	 * matching pattern property; a member matching neither is checked
	 * against additional_properties (&axr_schema_false forbids it) */
	const axr_property_t *properties; /* sorted by name, strcmp order */
	size_t n_properties;
	const axr_pattern_property_t *pattern_properties;
	size_t n_pattern_properties;
	const axr_schema_t *additional_properties;
	const char *const *required;
	size_t n_required;
	size_t min_properties;
	size_t max_properties; /* with AXR_SCHEMA_MAX_PROPERTIES */
	const axr_dependency_t *dependencies;
	size_t n_dependencies;

	/* composition */
	const axr_schema_t *const *all_of;
	size_t n_all_of;
	const axr_schema_t *const *any_of;
	size_t n_any_of;
	const axr_schema_t *const *one_of;
	size_t n_one_of;
	const axr_schema_t *not_schema;
	/* with one_of/any_of: the branch is chosen by the discriminator value
	 * and only that branch's errors are reported */
	const axr_discriminator_t *discriminator;
};

/* The schema `false` (additionalProperties: false, additionalItems: false). */
extern const axr_schema_t axr_schema_false;

/*
 * Checks every schema reachable from `root` once (cycles are fine) and
 * compiles its patterns: properties sorted and unique, patterns valid,
 * multipleOf > 0, counts consistent with their arrays. Call it at startup
 * for each generated root; afterwards validation does no setup.
 * Returns 0, AXR_ECONFIG (errbuf, if given, names the problem and the schema)
 * or AXR_ENOMEM. Thread-safe; idempotent.
 */
int axr_schema_prepare(const axr_schema_t *root, char *errbuf, size_t size);

#endif
