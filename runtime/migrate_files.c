/* migrate_files.c: hand-written migration files: listing, checksums, splitting into statements. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "err.h"
#include "migrate_internal.h"

#define AXR__MIG_FILE_MAX ((size_t)16 << 20) /* larger hand-written files are refused */
#define AXR__MIG_FILES_MAX 10000

void axr__mig_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		mdlen = 0;
	for (unsigned i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[mdlen >= 32 ? 64 : 0] = '\0';
}

/* "NNN_name.sql" with NNN decimal digits and name of [A-Za-z0-9_.-]: the number, else -1. */
static long axr__mig_file_number(const char *name)
{
	size_t len = strlen(name), i = 0;
	long v = 0;
	if (len < 6 || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	for (; name[i] >= '0' && name[i] <= '9'; i++) {
		if (v > 100000000)
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (i == 0 || name[i] != '_')
		return -1;
	for (i++; i < len - 4; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-' || c == '.'))
			return -1;
	}
	return v;
}

static int axr__mig_file_cmp(const void *a, const void *b)
{
	const axr__mig_file_t *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number ? 1 : strcmp(x->name, y->name);
}

/* Reads `path` (at most AXR__MIG_FILE_MAX bytes) into the arena. */
static int axr__mig_read(const char *path, axr_arena_t *arena, axr__mig_file_t *f, char *msg, size_t size)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	int rc = 0;
	if (fp == NULL || fstat(fileno(fp), &st) != 0) {
		snprintf(msg, size, "cannot read %s: %s", path, strerror(errno));
		rc = AXR_EIO;
	} else if ((size_t)st.st_size > AXR__MIG_FILE_MAX) {
		snprintf(msg, size, "%s is larger than %zu bytes", path, AXR__MIG_FILE_MAX);
		rc = AXR_ECONFIG;
	} else {
		char *buf = axr_arena_alloc(arena, (size_t)st.st_size + 1);
		f->len = buf ? fread(buf, 1, (size_t)st.st_size, fp) : 0;
		if (buf == NULL) {
			rc = AXR_ENOMEM;
		} else if (ferror(fp) || f->len != (size_t)st.st_size) {
			snprintf(msg, size, "cannot read %s", path);
			rc = AXR_EIO;
		} else {
			buf[f->len] = '\0';
			f->sql = buf;
			axr__mig_sha256_hex(buf, f->len, f->checksum);
		}
	}
	if (fp)
		fclose(fp);
	return rc;
}

int axr__mig_files(const char *dir, axr_arena_t *arena, axr__mig_file_t **out, size_t *n, char *msg,
                   size_t size)
{
	DIR *d = opendir(dir);
	axr__mig_file_t *files = NULL;
	size_t count = 0, cap = 0;
	int rc = 0;
	struct dirent *ent;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(msg, size, "cannot open the migrations folder %s: %s", dir, strerror(errno));
		return AXR_EIO;
	}
	while (rc == 0 && (ent = readdir(d)) != NULL) {
		const char *name = ent->d_name;
		size_t len = strlen(name);
		if (name[0] == '.' || len < 4 || strcmp(name + len - 4, ".sql") != 0)
			continue; /* READMEs, editor files */
		long number = axr__mig_file_number(name);
		if (number < 0) {
			snprintf(msg, size, "%s/%s: hand-written migrations are named NNN_name.sql (digits, '_', then "
			         "letters, digits, '_', '-' or '.')", dir, name);
			rc = AXR_ECONFIG;
			break;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			axr__mig_file_t *grown = ncap <= AXR__MIG_FILES_MAX ? axr_arena_calloc(arena, ncap, sizeof *grown) : NULL;
			if (grown == NULL) {
				rc = ncap <= AXR__MIG_FILES_MAX ? AXR_ENOMEM : AXR_ECONFIG;
				snprintf(msg, size, "too many files in %s", dir);
				break;
			}
			if (count)
				memcpy(grown, files, count * sizeof *grown);
			files = grown;
			cap = ncap;
		}
		axr__mig_file_t *f = &files[count++];
		f->number = number;
		f->name = axr_arena_strdup(arena, name);
		char *path = axr_arena_printf(arena, "%s/%s", dir, name);
		rc = f->name && path ? axr__mig_read(path, arena, f, msg, size) : AXR_ENOMEM;
	}
	closedir(d);
	if (rc != 0)
		return rc;
	if (count > 1)
		qsort(files, count, sizeof *files, axr__mig_file_cmp);
	for (size_t i = 1; i < count; i++)
		if (files[i].number == files[i - 1].number) {
			snprintf(msg, size, "%s/%s and %s share the number %ld: renumber one", dir, files[i - 1].name,
			         files[i].name, files[i].number);
			return AXR_ECONFIG;
		}
	*out = files;
	*n = count;
	return 0;
}

/* ---- splitting --------------------------------------------------------------- */

static bool axr__mig_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       (unsigned char)c >= 0x80;
}

/* At s[i] == '$': the length of a dollar-quote tag "$tag$" starting there, or 0. */
static size_t axr__mig_dollar_tag(const char *s, size_t len, size_t i)
{
	size_t j = i + 1;
	if (i > 0 && axr__mig_ident_char(s[i - 1]))
		return 0; /* part of an identifier such as a$b */
	if (j < len && s[j] >= '0' && s[j] <= '9')
		return 0; /* $1 */
	while (j < len && axr__mig_ident_char(s[j]) && s[j] != '$')
		j++;
	return j < len && s[j] == '$' ? j - i + 1 : 0;
}

/* Skips the quoted, commented or dollar-quoted run at s[*i]; false when it is not closed. */
static bool axr__mig_skip(const char *s, size_t len, size_t *i)
{
	size_t p = *i;
	char c = s[p];
	if (c == '-' && p + 1 < len && s[p + 1] == '-') {
		while (p < len && s[p] != '\n')
			p++;
		*i = p;
		return true;
	}
	if (c == '/' && p + 1 < len && s[p + 1] == '*') {
		int depth = 1;
		for (p += 2; p < len && depth > 0; p++) {
			if (s[p] == '/' && p + 1 < len && s[p + 1] == '*')
				depth++, p++;
			else if (s[p] == '*' && p + 1 < len && s[p + 1] == '/')
				depth--, p++;
		}
		*i = p;
		return depth == 0;
	}
	if (c == '$') {
		size_t tag = axr__mig_dollar_tag(s, len, p);
		for (p += tag; p + tag <= len; p++)
			if (memcmp(s + p, s + *i, tag) == 0) {
				*i = p + tag;
				return true;
			}
		return false;
	}
	/* '...' (E'...' takes backslash escapes) or "..." */
	bool backslash = c == '\'' && p > 0 && (s[p - 1] == 'E' || s[p - 1] == 'e') &&
	                 (p < 2 || !axr__mig_ident_char(s[p - 2]));
	for (p++; p < len; p++) {
		if (backslash && s[p] == '\\') {
			p++;
		} else if (s[p] == c) {
			if (p + 1 < len && s[p + 1] == c) {
				p++;
				continue;
			}
			*i = p + 1;
			return true;
		}
	}
	return false;
}

static bool axr__mig_opens(const char *s, size_t len, size_t i)
{
	char c = s[i];
	return c == '\'' || c == '"' || (c == '-' && i + 1 < len && s[i + 1] == '-') ||
	       (c == '/' && i + 1 < len && s[i + 1] == '*') || (c == '$' && axr__mig_dollar_tag(s, len, i) > 0);
}

int axr_migrate_split_sql(const char *sql, size_t len, int (*fn)(const char *stmt, size_t len, void *ctx),
                          void *ctx)
{
	size_t start = 0, i = 0;
	bool content = false;
	while (i <= len) {
		if (i == len || sql[i] == ';') {
			if (content) {
				int rc = fn(sql + start, i - start, ctx);
				if (rc != 0)
					return rc;
			}
			start = ++i;
			content = false;
			continue;
		}
		if (axr__mig_opens(sql, len, i)) {
			bool comment = sql[i] == '-' || sql[i] == '/';
			if (!axr__mig_skip(sql, len, &i))
				return AXR_EPARSE;
			content |= !comment;
			continue;
		}
		if (sql[i] != ' ' && sql[i] != '\t' && sql[i] != '\n' && sql[i] != '\r' && sql[i] != '\f')
			content = true;
		i++;
	}
	return 0;
}
