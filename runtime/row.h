/* row.h: an entity's table row <-> its protobuf-c message, column by column. */
#ifndef AXR_ROW_H
#define AXR_ROW_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "entity.h"

/*
 * The CRUD engine (crud.h) and the migration engine (migrate.h) both walk
 * an axr_entity_t; this file holds what they share: the checks a table must
 * pass before any SQL is built from it, SQL names and types, and the
 * conversion of one column between its SQL text and its message field.
 *
 * Values travel as text. On the way in every value is a bound parameter
 * cast in the SQL ($1::uuid); on the way out the select list formats each
 * column so that its text is what the message and the JSON want:
 *   uuid, text              as stored
 *   bigint                  exact decimal (int32 and int64 fields alike)
 *   double precision        shortest exact decimal (PostgreSQL >= 12)
 *   boolean                 t / f
 *   timestamptz             RFC 3339 in UTC with 'Z', fraction trimmed:
 *                           "2024-05-01T10:00:00.25Z" (any session TimeZone)
 *   date                    "2024-05-01"
 *   jsonb                   JSON text (see axr_row_jsonb_* below)
 */

/* The base columns every entity starts with (entity.h). */
#define AXR_ROW_UID "uid"
#define AXR_ROW_DATE_CREATED "date_created"
#define AXR_ROW_DATE_MODIFIED "date_modified"
#define AXR_ROW_VERSION "version"

/* Longest SQL identifier PostgreSQL keeps (NAMEDATALEN - 1). */
#define AXR_ROW_NAME_MAX 63

/*
 * Checks an entity table before anything is built from it: table and column
 * names are lowercase SQL identifiers ([a-z_][a-z0-9_]*, at most 63 bytes,
 * no duplicates); the base columns uid (uuid), date_created, date_modified
 * (timestamptz) and version (bigint) exist; json names are set and unique;
 * every column's `field` exists in e->message with a type the column can
 * carry (uuid/text/timestamptz/date: string; bigint: any integer; double:
 * double or float; boolean: bool; jsonb: string, message or repeated);
 * owner_column, identifier_column and channel_columns are in range; the
 * identifier is not jsonb; index columns exist.
 * Returns 0, or AXR_ECONFIG with the reason in errbuf (when not NULL),
 * naming the entity and column.
 */
int axr_entity_check(const axr_entity_t *e, char *errbuf, size_t size);

/* PostgreSQL's name of a column type, as format_type() writes it and as a
 * cast accepts it ("timestamp with time zone"). Static string. */
const char *axr_row_sql_type(axr_column_type_t type);

/* Index of the column whose SQL name is `name`, or -1. */
int axr_row_column(const axr_entity_t *e, const char *name);

/* Index of the column whose json_name is `json_name`, or -1. */
int axr_row_column_json(const axr_entity_t *e, const char *json_name);

/* The message field that carries column `col` (checked by axr_entity_check). */
const ProtobufCFieldDescriptor *axr_row_field(const axr_entity_t *e, size_t col);

/*
 * The indexes of an entity's table, explicit and implicit: e->indexes, then
 * for each column with AXR_COLUMN_UNIQUE or AXR_COLUMN_IDENTIFIER a unique
 * index "<table>_<column>_key", and for AXR_COLUMN_INDEXED or the owner
 * column an index "<table>_<column>_idx" (lists filter on it). Names are cut
 * to 63 bytes as PostgreSQL would; an implicit index with the name or the
 * columns of an earlier one is left out. `out` has room for
 * e->n_indexes + e->n_columns entries; returns how many were written.
 */
#define AXR_ROW_INDEX_MAX_COLUMNS 16
typedef struct axr_row_index {
	char name[AXR_ROW_NAME_MAX + 1];
	int cols[AXR_ROW_INDEX_MAX_COLUMNS]; /* column indexes in e->columns */
	size_t n_cols;
	bool unique;
} axr_row_index_t;

size_t axr_row_indexes(const axr_entity_t *e, axr_row_index_t *out);

/* "<table>_<column>_<suffix>" cut to 63 bytes into `buf` (64 bytes). */
void axr_row_derived_name(char *buf, const char *table, const char *column, const char *suffix);

/* Appends `"name"` (a checked identifier) to `out`. */
void axr_row_ident(axr_buf_t *out, const char *name);

/* Appends the select list of e's columns in table order, each formatted as
 * above and named after its column; what axr_row_read() expects. */
void axr_row_select_list(const axr_entity_t *e, axr_buf_t *out);

/*
 * Builds a message of type e->message in `arena` from row `row` of `r`,
 * whose columns are the select list's, starting at result column 0. SQL
 * NULL leaves a field absent. Returns 0 and *out; AXR_EINTERNAL when a
 * value does not fit its field (e.g. a bigint beyond an int32 field) or a
 * column is missing; AXR_ENOTIMPL for a jsonb column held in a message or
 * repeated field (see below); AXR_ENOMEM. Nothing in *out is to be freed:
 * it dies with the arena.
 */
int axr_row_read(const axr_entity_t *e, const axr_db_result_t *r, int row, axr_arena_t *arena,
                 ProtobufCMessage **out);

/*
 * The bound-parameter text of column `col` taken from `msg` (of type
 * e->message): *out is NULL when the field is absent, else a string in
 * `arena` (or inside `msg`). Returns 0, AXR_ENOTIMPL (jsonb in a message or
 * repeated field), AXR_ENOMEM.
 */
int axr_row_param(const axr_entity_t *e, size_t col, const ProtobufCMessage *msg,
                  axr_arena_t *arena, const char **out);

/* Sets column `col`'s field of `msg` from its SQL text (as the select list
 * formats it; NULL clears the field). Errors as axr_row_read(). */
int axr_row_set(const axr_entity_t *e, size_t col, ProtobufCMessage *msg, const char *text,
                size_t len, axr_arena_t *arena);

/* Allocates an empty message of type `desc` in `arena` (NULL when out of
 * memory), as axr_codec_message_new() does. */
ProtobufCMessage *axr_row_message_new(const ProtobufCMessageDescriptor *desc, axr_arena_t *arena);

/*
 * jsonb columns, the one place rows meet the JSON codec: a string field
 * holds the JSON text itself (the free-form mapping of model-mapping.md);
 * a message or repeated field goes through axr_codec_field_to_json() and
 * axr_codec_field_from_json() with the column's schema. SQL NULL is an
 * absent field.
 */
int axr_row_jsonb_to_text(const axr_column_t *c, const ProtobufCMessage *msg,
                          const ProtobufCFieldDescriptor *f, axr_arena_t *arena, const char **out);
int axr_row_jsonb_from_text(const axr_column_t *c, ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *f, const char *text, size_t len,
                            axr_arena_t *arena);

#endif
