/* entity.h: how an entity (a schema with x-baseClass) maps to a PostgreSQL
 * table: the contract between axrgen's DB mapping and the runtime's CRUD,
 * query and migration engines. */
#ifndef AXR_ENTITY_H
#define AXR_ENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "schema.h"

/*
 * axrgen emits one `static const axr_entity_t` per entity, with C99
 * designated initializers. Everything is data: the runtime builds and runs
 * the SQL generically (every value a bound parameter; column and table
 * names come only from these tables, never from a request).
 *
 * Every entity has the AcceleratXR base columns, in this order, first:
 *   uid uuid PRIMARY KEY, date_created timestamptz, date_modified timestamptz,
 *   version bigint
 * then one column per other scalar property (camelCase -> snake_case);
 * nested objects and arrays are jsonb.
 */

typedef enum axr_column_type {
	AXR_COL_UUID,
	AXR_COL_TEXT,
	AXR_COL_BIGINT,       /* integer properties (int32 and int64 alike) */
	AXR_COL_DOUBLE,       /* number */
	AXR_COL_BOOLEAN,
	AXR_COL_TIMESTAMPTZ,  /* string, format date-time */
	AXR_COL_DATE,         /* string, format date */
	AXR_COL_JSONB,        /* objects, arrays, free-form values */
} axr_column_type_t;

enum axr_column_flags {
	AXR_COLUMN_NOT_NULL = 1u << 0,   /* required property without nullable */
	AXR_COLUMN_UNIQUE = 1u << 1,     /* x-unique: true (single-column) */
	AXR_COLUMN_INDEXED = 1u << 2,    /* x-index */
	AXR_COLUMN_IDENTIFIER = 1u << 3, /* x-identifier: usable instead of uid in /x/{id} */
	AXR_COLUMN_OWNER = 1u << 4,      /* x-axr-owner names this property */
	AXR_COLUMN_READ_ONLY = 1u << 5,  /* set by the server only (uid, dates, version) */
	AXR_COLUMN_NON_NEGATIVE = 1u << 6, /* CHECK (col >= 0): money-like quantities */
};

typedef struct axr_column {
	const char *name;            /* SQL name, snake_case, e.g. "date_created" */
	const char *json_name;       /* property name, e.g. "dateCreated" */
	axr_column_type_t type;
	unsigned flags;              /* enum axr_column_flags */
	uint32_t field;              /* protobuf field number in the entity message */
	const axr_schema_t *schema;  /* the property's schema (filter values, jsonb) */
	const char *default_sql;     /* DEFAULT expression from the spec's default, or NULL */
} axr_column_t;

/* A composite or single-column index (x-unique with a list, x-index). */
typedef struct axr_index {
	const char *name;            /* e.g. "inventory_item_owner_uid_resource_uid_key" */
	const char *const *columns;  /* SQL column names */
	size_t n_columns;
	bool unique;
} axr_index_t;

typedef struct axr_entity {
	const char *name;            /* model name, e.g. "InventoryItem" (event type) */
	const char *table;           /* e.g. "inventory_item" */
	const axr_column_t *columns; /* base columns first, then the spec's order */
	size_t n_columns;
	const axr_index_t *indexes;
	size_t n_indexes;
	const ProtobufCMessageDescriptor *message;
	const axr_schema_t *schema;  /* the entity's schema (JSON side) */
	int owner_column;            /* index in columns of the x-axr-owner property, -1 */
	int identifier_column;       /* index in columns of the x-identifier property, -1 */
	/* Push: extra channels for this entity's events besides its uid: the
	 * values of these columns (typically the owner's uid). */
	const int *channel_columns;
	size_t n_channel_columns;
	/* Roles that bypass ownership (default: "admin" when NULL). */
	const char *const *trusted_roles;
	size_t n_trusted_roles;
} axr_entity_t;

/* The kinds of generated CRUD operation (axr_op_t.crud). */
typedef enum axr_crud_kind {
	AXR_CRUD_NONE = 0,
	AXR_CRUD_LIST,     /* GET    /x        */
	AXR_CRUD_COUNT,    /* HEAD   /x        */
	AXR_CRUD_CREATE,   /* POST   /x        */
	AXR_CRUD_TRUNCATE, /* DELETE /x        */
	AXR_CRUD_GET,      /* GET    /x/{id}   */
	AXR_CRUD_UPDATE,   /* PUT    /x/{id}   */
	AXR_CRUD_DELETE,   /* DELETE /x/{id}   */
} axr_crud_kind_t;

#endif
