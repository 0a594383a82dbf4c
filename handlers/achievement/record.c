/* record.c: a user's achievement record: reading it from a row, its JSON form, uid checks. */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "achievement_internal.h"
#include "err.h"

bool achievement_is_uuid(const char *s)
{
	if (s == NULL)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[36] == '\0';
}

bool achievement_same_uuid(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

const char *achievement__text(const axr_db_result_t *r, int row, int col, axr_arena_t *arena, bool *oom)
{
	size_t len = 0;
	const char *t = axr_db_result_text(r, row, col, &len);
	if (t == NULL)
		return NULL;
	char *copy = axr_arena_strndup(arena, t, len);
	if (copy == NULL)
		*oom = true;
	return copy;
}

int achievement__record_read(const axr_db_result_t *r, int row, int col, axr_arena_t *arena,
                             achievement_record_t *out)
{
	bool oom = false;

	memset(out, 0, sizeof *out);
	if (axr_db_result_cols(r) < col + ACHIEVEMENT__RECORD_NCOLS || axr_db_result_is_null(r, row, col))
		return AXR_EINTERNAL;
	out->uid = achievement__text(r, row, col, arena, &oom);
	out->achievement_uid = achievement__text(r, row, col + 1, arena, &oom);
	out->user_uid = achievement__text(r, row, col + 2, arena, &oom);
	out->date_unlocked = achievement__text(r, row, col + 5, arena, &oom);
	out->date_created = achievement__text(r, row, col + 6, arena, &oom);
	out->date_modified = achievement__text(r, row, col + 7, arena, &oom);
	if (oom)
		return AXR_ENOMEM;
	if (axr_db_result_int64(r, row, col + 3, &out->progress) != 0 ||
	    axr_db_result_bool(r, row, col + 4, &out->unlocked) != 0 ||
	    axr_db_result_int64(r, row, col + 8, &out->version) != 0)
		return AXR_EINTERNAL;
	return 0;
}

static void achievement__json_field(axr_buf_t *out, const char *name, const char *value)
{
	axr_buf_printf(out, ",\"%s\":", name);
	axr_buf_json_string(out, value ? value : "", value ? strlen(value) : 0);
}

void achievement_record_json(const achievement_record_t *rec, axr_buf_t *out)
{
	axr_buf_puts(out, "{\"uid\":");
	axr_buf_json_string(out, rec->uid ? rec->uid : "", rec->uid ? strlen(rec->uid) : 0);
	achievement__json_field(out, "dateCreated", rec->date_created);
	achievement__json_field(out, "dateModified", rec->date_modified);
	axr_buf_printf(out, ",\"version\":%" PRId64, rec->version);
	achievement__json_field(out, "achievementUid", rec->achievement_uid);
	achievement__json_field(out, "userUid", rec->user_uid);
	axr_buf_printf(out, ",\"progress\":%" PRId64 ",\"unlocked\":%s", rec->progress,
	               rec->unlocked ? "true" : "false");
	if (rec->date_unlocked != NULL)
		achievement__json_field(out, "dateUnlocked", rec->date_unlocked);
	axr_buf_putc(out, '}');
}
