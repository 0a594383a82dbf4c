/* generate.c: axrgen generate: plan every service, then write its files. */
#include "generate.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "gen.h"

/* ---- planning ----------------------------------------------------------- */

/* "spec/shop.yaml" -> "spec/" (with the slash) or "". */
static const char *axrgen__dir_of(axrgen_gen_t *g, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return "";
	char *d = axrgen_strdup_g(g, path);
	d[slash - path + 1] = '\0';
	return d;
}

static char *axrgen__read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 > cap) {
			cap = cap ? 2 * cap : 8192;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void axrgen__read_lock(axrgen_gen_t *g, const char *path)
{
	size_t len = 0;
	char *text = axrgen__read_file(path, &len);
	if (text == NULL) {
		if (errno != ENOENT)
			axrgen_gen_diag(g, AXRGEN_ERROR, (axrgen_pos_t){.file = path}, "cannot read the lock file: %s",
					strerror(errno));
		return;
	}
	uint32_t line = 0;
	const char *msg = NULL;
	int rc = axrgen_lock_parse(g->lock, text, len, &line, &msg);
	free(text);
	if (rc == AXR_ENOMEM)
		longjmp(*g->oom, 1);
	if (rc != 0)
		axrgen_gen_diag(g, AXRGEN_ERROR, (axrgen_pos_t){.file = path, .line = line, .col = 1}, "%s", msg);
}

static bool axrgen__valid_name(const char *name)
{
	if (!(*name >= 'a' && *name <= 'z'))
		return false;
	for (const char *s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return strstr(name, "__") == NULL && strstr(name, "-_") == NULL && strstr(name, "_-") == NULL &&
	       strstr(name, "--") == NULL;
}

/* Plans one service into `g` (arena and jmp_buf set by the caller). */
static void axrgen__plan(axrgen_gen_t *g, const axrgen_generate_options_t *opt)
{
	const axrgen_service_t *svc = g->svc;
	g->spec = svc->file;
	g->name = svc->name;
	g->stubs = opt->stubs;
	if (strcmp(g->name, "axr") == 0) {
		axrgen_gen_diag(g, AXRGEN_ERROR, (axrgen_pos_t){.file = svc->file},
				"a service may not be named 'axr' (the runtime's prefix); rename the file");
		return;
	}
	if (!axrgen__valid_name(g->name)) {
		axrgen_gen_diag(g, AXRGEN_ERROR, (axrgen_pos_t){.file = svc->file},
				"service name '%s' (the file name) must be lower-case letters, digits, '-' and '_', "
				"starting with a letter", g->name);
		return;
	}
	char *p = axrgen_strdup_g(g, g->name);
	for (char *c = p; *c; c++)
		if (*c == '-')
			*c = '_';
	g->p = p;
	g->P = axrgen_upper(g, p);
	g->pkg_camel = axrgen_protoc_camel(g, p);
	g->nodes = axrgen_alloc_g(g, (g->m->n_schema_nodes + 1) * sizeof(*g->nodes));
	g->lock = axrgen_alloc_g(g, sizeof(*g->lock));
	axrgen_lock_init(g->lock, g->arena);
	axrgen__read_lock(g, axrgen_printf_g(g, "%s%s.lock", axrgen__dir_of(g, svc->file), g->name));

	/* File-scope names the generated code defines itself come first. */
	static const char *const fixed[] = {"routes", "schemas_prepare", "schema_any", "schema_roots",
					    "entities", "service_init", "client_routes"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		axrgen_names_add(g, &g->idents, axrgen_printf_g(g, "%s_%s", g->p, fixed[i]));
	axrgen_names_add(g, &g->macros, axrgen_printf_g(g, "%s_ROUTE_COUNT", g->P));
	axrgen_names_add(g, &g->macros, axrgen_printf_g(g, "%s_ENTITY_COUNT", g->P));
	axrgen_names_add(g, &g->macros, axrgen_printf_g(g, "%s_CLIENT_ROUTE_COUNT", g->P));

	/* Named schemas first (by name), so they keep their own names. */
	axrgen_plan_schemas(g);
	for (size_t i = 0; i < svc->n_schemas; i++)
		axrgen_schema_message(g, svc->schemas[i], NULL);
	axrgen_plan_ops(g);
	axrgen_plan_messages(g);
	axrgen_plan_entities(g);
	for (size_t i = 0; i < g->n_entities; i++)
		for (size_t k = 0; k < g->entities[i].n_columns; k++)
			if (g->entities[i].columns[k].schema)
				g->nodes[g->entities[i].columns[k].schema->id].exported = true;
	axrgen_plan_gateway(g);
}

/* ---- writing ------------------------------------------------------------ */

typedef struct axrgen__writer {
	const axrgen_generate_options_t *opt;
	FILE *diag;
	axrgen_generate_stats_t *stats;
	int rc;
} axrgen__writer_t;

static void axrgen__write(axrgen__writer_t *w, const char *path, axrgen_emit_t *e, bool is_c)
{
	size_t len = 0;
	const char *text = axrgen_emit_text(e, &len);
	bool written = false;
	if (w->rc != 0)
		return;
	if (!axrgen_emit_ok(e)) {
		w->rc = AXR_ENOMEM;
		return;
	}
	if (axrgen_write_file(path, text, len, &written) != 0) {
		fprintf(w->diag, "axrgen: cannot write %s: %s\n", path, strerror(errno));
		w->rc = AXR_EIO;
		return;
	}
	w->stats->files++;
	if (is_c)
		for (size_t i = 0; i < len; i++)
			w->stats->lines += text[i] == '\n';
	if (written) {
		w->stats->written++;
		if (w->opt->log)
			fprintf(w->opt->log, "axrgen: wrote %s\n", path);
	}
}

typedef void (*axrgen__writer_fn)(axrgen_gen_t *g, axrgen_emit_t *e);

/* Is the file at `path` one of ours (it starts with the banner)? */
static bool axrgen__has_banner(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	char head[64] = {0};
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	const char *p = head;
	while (*p == '/' || *p == '*' || *p == '#' || *p == ' ')
		p++;
	return strncmp(p, "Generated by axrgen from ", 25) == 0;
}

/* Removes generated files in `dir` that are not in produced[0..n). */
static void axrgen__remove_stale(axrgen__writer_t *w, const char *dir, const char *const *produced, size_t n)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	char path[4096];
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		bool keep = false;
		for (size_t i = 0; i < n && !keep; i++)
			keep = strcmp(produced[i], de->d_name) == 0;
		if (keep || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (axrgen__has_banner(path) && unlink(path) == 0 && w->opt->log)
			fprintf(w->opt->log, "axrgen: removed %s\n", path);
	}
	closedir(d);
}

static int axrgen__res_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The functions the .c files of `dir` define as `int name(` at the start of
 * a line (how handlers are written): a scaffold never stubs one of them. */
static void axrgen__defined_functions(axrgen_gen_t *g, const char *dir, axrgen_names_t *out)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (de->d_name[0] == '.' || nl < 3 || strcmp(de->d_name + nl - 2, ".c") != 0)
			continue;
		size_t len = 0;
		char *text = axrgen__read_file(axrgen_printf_g(g, "%s/%s", dir, de->d_name), &len);
		for (char *line = text; line != NULL && *line;) {
			char *next = strchr(line, '\n');
			if (strncmp(line, "int ", 4) == 0) {
				char *name = line + 4, *end = name;
				while (*end == '_' || (*end >= 'a' && *end <= 'z') || (*end >= 'A' && *end <= 'Z') ||
				       (*end >= '0' && *end <= '9'))
					end++;
				if (*end == '(' && end > name) {
					*end = '\0';
					axrgen_names_add(g, out, axrgen_strdup_g(g, name));
				}
			}
			line = next ? next + 1 : NULL;
		}
		free(text);
	}
	closedir(d);
}

static void axrgen__scaffold(axrgen__writer_t *w, axrgen_gen_t *g)
{
	const char **res = axrgen_alloc_g(g, (g->n_ops + 1) * sizeof(*res));
	size_t n = 0;
	axrgen_names_t defined = {0};
	axrgen__defined_functions(g, axrgen_printf_g(g, "%s/%s", w->opt->handlers_dir, g->name), &defined);
	for (size_t i = 0; i < g->n_ops; i++) {
		if (!axrgen_op_needs_handler(&g->ops[i]) || axrgen_names_has(&defined, g->ops[i].handler))
			continue;
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(res[k], g->ops[i].resource) == 0;
		if (!seen)
			res[n++] = g->ops[i].resource;
	}
	qsort(res, n, sizeof(*res), axrgen__res_cmp);
	for (size_t i = 0; i < n && w->rc == 0; i++) {
		const char *path = axrgen_printf_g(g, "%s/%s/%s.c", w->opt->handlers_dir, g->name, res[i]);
		if (access(path, F_OK) == 0)
			continue; /* hand-written code is never touched */
		axrgen_emit_t e;
		axrgen_emit_init(&e, "\t");
		if (axrgen_gen_scaffold(g, res[i], &defined, &e)) {
			size_t before = w->stats->written;
			axrgen__write(w, path, &e, false);
			w->stats->scaffolded += w->stats->written - before;
		}
		axrgen_emit_free(&e);
	}
}

/* The lock file, when it differs from the one beside the spec (which is
 * always the one read): written beside the spec, or into --lock-dir. */
static void axrgen__write_lock(axrgen__writer_t *w, axrgen_gen_t *g)
{
	const char *src = axrgen_printf_g(g, "%s%s.lock", axrgen__dir_of(g, g->spec), g->name);
	const char *dst = w->opt->lock_dir ? axrgen_printf_g(g, "%s/%s.lock", w->opt->lock_dir, g->name) : src;
	const char *text = axrgen_lock_format(g->lock, axrgen_printf_g(g, "%s.lock", g->name), g->arena);
	if (text == NULL) {
		w->rc = AXR_ENOMEM;
		return;
	}
	size_t old_len = 0;
	char *old = axrgen__read_file(src, &old_len);
	bool same = old != NULL && old_len == strlen(text) && memcmp(old, text, old_len) == 0;
	bool exists = old != NULL;
	free(old);
	if (same || (!exists && g->lock->n == 0))
		return;
	axrgen_emit_t e;
	axrgen_emit_init(&e, "\t");
	axrgen_emit_str(&e, text);
	axrgen__write(w, dst, &e, false);
	axrgen_emit_free(&e);
}

static void axrgen__write_service(axrgen__writer_t *w, axrgen_gen_t *g)
{
	struct {
		const char *suffix;
		axrgen__writer_fn fn;
		bool wanted;
	} files[] = {
		{".proto", axrgen_gen_proto, true},
		{"_client.c", axrgen_gen_client_c, true},
		{"_client.h", axrgen_gen_client_h, true},
		{"_crud.c", axrgen_gen_crud_c, false},
		{"_entities.c", axrgen_gen_entities_c, true},
		{"_entities.h", axrgen_gen_entities_h, true},
		{"_handlers.h", axrgen_gen_handlers_h, true},
		{"_main.c", axrgen_gen_main_c, true},
		{"_ops.c", axrgen_gen_ops_c, true},
		{"_ops.h", axrgen_gen_ops_h, true},
		{"_routes.c", axrgen_gen_routes_c, true},
		{"_routes.h", axrgen_gen_routes_h, true},
		{"_schema.c", axrgen_gen_schema_c, true},
		{"_schema.h", axrgen_gen_schema_h, true},
		{"_stubs.c", axrgen_gen_stubs_c, g->stubs},
	};
	for (size_t i = 0; i < g->n_ops; i++)
		files[3].wanted |= g->ops[i].served && g->ops[i].crud != 0;
	const size_t n_files = sizeof(files) / sizeof(files[0]);
	const char *produced[sizeof(files) / sizeof(files[0])];
	size_t n_produced = 0;
	const char *dir = axrgen_printf_g(g, "%s/%s", w->opt->out_dir, g->name);
	for (size_t i = 0; i < n_files && w->rc == 0; i++) {
		if (!files[i].wanted)
			continue;
		const char *base = axrgen_printf_g(g, "%s%s", g->name, files[i].suffix);
		produced[n_produced++] = base;
		axrgen_emit_t e;
		axrgen_emit_init(&e, strcmp(files[i].suffix, ".proto") == 0 ? "  " : "\t");
		files[i].fn(g, &e);
		axrgen__write(w, axrgen_printf_g(g, "%s/%s", dir, base), &e, files[i].suffix[0] == '_');
		axrgen_emit_free(&e);
	}
	if (w->rc == 0)
		axrgen__remove_stale(w, dir, produced, n_produced);
	if (w->opt->gateway_dir != NULL && w->rc == 0) {
		axrgen_emit_t e;
		axrgen_emit_init(&e, "\t");
		axrgen_gen_gateway(g, &e);
		axrgen__write(w, axrgen_printf_g(g, "%s/routes-%s.conf", w->opt->gateway_dir, g->name), &e, false);
		axrgen_emit_free(&e);
	}
	if (w->rc == 0)
		axrgen__write_lock(w, g);
	if (w->opt->handlers_dir != NULL && !g->stubs && w->rc == 0)
		axrgen__scaffold(w, g);
}

/* ---- the entry point ---------------------------------------------------- */

static int axrgen__diag_cmp(const void *a, const void *b)
{
	const axrgen_gdiag_t *x = a, *y = b;
	int c = strcmp(x->pos.file ? x->pos.file : "", y->pos.file ? y->pos.file : "");
	if (c != 0)
		return c;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	return strcmp(x->message, y->message);
}

static size_t axrgen__print_diags(axrgen_gen_t *const *gens, size_t n, FILE *out)
{
	size_t total = 0, errors = 0;
	for (size_t i = 0; i < n; i++)
		total += gens[i]->n_diags;
	axrgen_gdiag_t *all = calloc(total ? total : 1, sizeof(*all));
	if (all == NULL)
		return 1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < gens[i]->n_diags; j++)
			all[k++] = gens[i]->diags[j];
	qsort(all, total, sizeof(*all), axrgen__diag_cmp);
	for (size_t i = 0; i < total; i++) {
		if (i > 0 && axrgen__diag_cmp(&all[i], &all[i - 1]) == 0)
			continue;
		errors += all[i].severity == AXRGEN_ERROR;
		if (all[i].pos.line > 0)
			fprintf(out, "%s:%u:%u: %s: %s\n", all[i].pos.file, (unsigned)all[i].pos.line,
				(unsigned)all[i].pos.col, all[i].severity == AXRGEN_ERROR ? "error" : "warning",
				all[i].message);
		else
			fprintf(out, "%s: %s: %s\n", all[i].pos.file ? all[i].pos.file : "axrgen",
				all[i].severity == AXRGEN_ERROR ? "error" : "warning", all[i].message);
	}
	free(all);
	return errors;
}

int axrgen_generate(const axrgen_model_t *m, const axrgen_generate_options_t *opt, FILE *diag,
		    axrgen_generate_stats_t *stats)
{
	axrgen_generate_stats_t local = {0};
	axrgen_generate_stats_t *volatile st = stats ? stats : &local;
	axrgen_gen_t **gens = calloc(m->n_services + 1, sizeof(*gens));
	jmp_buf oom;
	volatile size_t n = 0;
	int rc = 0;
	*st = (axrgen_generate_stats_t){0};
	if (gens == NULL)
		return AXR_ENOMEM;
	if (setjmp(oom) != 0) {
		rc = AXR_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < m->n_services; i++) {
		const axrgen_service_t *svc = m->services[i];
		if (svc->version == 0) {
			fprintf(diag, "%s: warning: no 'openapi' field: a fragment, not a service (skipped)\n",
				svc->file);
			continue;
		}
		axr_arena_t *arena = axr_arena_new(1 << 16);
		if (arena == NULL) {
			rc = AXR_ENOMEM;
			goto done;
		}
		axrgen_gen_t *g = axr_arena_calloc(arena, 1, sizeof(*g));
		if (g == NULL) {
			axr_arena_free(arena);
			rc = AXR_ENOMEM;
			goto done;
		}
		g->arena = arena;
		g->oom = &oom;
		g->m = m;
		g->svc = svc;
		gens[n++] = g;
		axrgen__plan(g, opt);
	}
	axrgen_gateway_check(gens, n);
	if (axrgen__print_diags(gens, n, diag) > 0) {
		rc = AXR_EVALIDATION;
		goto done;
	}
	axrgen__writer_t w = {.opt = opt, .diag = diag, .stats = st};
	for (size_t i = 0; i < n && w.rc == 0; i++) {
		axrgen_gen_t *g = gens[i];
		axrgen__write_service(&w, g);
		st->services++;
		st->messages += g->n_msgs;
		st->entities += g->n_entities;
		st->tables += g->n_order;
		for (size_t k = 0; k < g->n_ops; k++) {
			st->operations += g->ops[k].served;
			st->tables += g->ops[k].served;
		}
	}
	rc = w.rc;
done:
	for (size_t i = 0; i < n; i++)
		axr_arena_free(gens[i]->arena);
	free(gens);
	return rc;
}
