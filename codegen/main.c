/* main.c: the axrgen command line: check, dump, stats and generate over OpenAPI specs. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "generate.h"
#include "model.h"

static int axrgen_usage(FILE *out)
{
	fprintf(out, "usage: axrgen check [OPTION]... FILE...   read and check specs (diagnostics on stderr)\n"
		     "       axrgen dump [OPTION]... FILE...    print the checked model (stable text)\n"
		     "       axrgen stats [OPTION]... FILE...   print counts, warnings by kind, read time\n"
		     "       axrgen generate [OPTION]... [FILE]...\n"
		     "                                        write each spec's service as C (docs/axrgen.md)\n"
		     "Options:\n"
		     "  --extern-schema NAME   NAME may be $ref'd under components/schemas without\n"
		     "                         being defined (a warning; read as any value)\n"
		     "generate options:\n"
		     "  --out DIR              generated code goes to DIR/<svc>/ (default: generated)\n"
		     "  --gateway DIR          write DIR/routes-<svc>.conf, the nginx routes\n"
		     "  --handlers DIR         scaffold missing handler files in DIR/<svc>/ (default:\n"
		     "                         handlers); existing files are never touched\n"
		     "  --no-scaffold          do not scaffold handler files\n"
		     "  --stubs                write <svc>_stubs.c: every handler answers 501 (no scaffolds)\n"
		     "  --lock-dir DIR         write changed <svc>.lock files to DIR instead of beside\n"
		     "                         the spec (they are always read from beside the spec)\n"
		     "  --stats                print counts and times when done (stdout)\n"
		     "  --quiet                do not list the files written\n"
		     "Exit status: 0 ok, 1 the specs have errors, 2 usage or system error.\n");
	return 2;
}

static double axrgen_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts per warning kind; kinds are few, a linear table will do. */
static void axrgen_stats(const axrgen_model_t *m, double seconds)
{
	size_t paths = 0, ops = 0, schemas = 0, externs = 0;
	for (size_t i = 0; i < m->n_services; i++) {
		paths += m->services[i]->n_paths;
		ops += m->services[i]->n_operations;
		for (size_t k = 0; k < m->services[i]->n_schemas; k++) {
			if (m->services[i]->schemas[k]->is_extern)
				externs++;
			else
				schemas++;
		}
	}
	printf("services %zu\npaths %zu\noperations %zu\nschemas %zu\nextern-schemas %zu\n"
	       "errors %zu\nwarnings %zu\n",
	       m->n_services, paths, ops, schemas, externs, m->n_errors, m->n_warnings);
	const char *kinds[64];
	size_t counts[64], n_kinds = 0;
	for (size_t i = 0; i < m->n_diagnostics; i++) {
		const axrgen_diagnostic_t *d = &m->diagnostics[i];
		if (d->severity != AXRGEN_WARNING)
			continue;
		size_t k = 0;
		while (k < n_kinds && strcmp(kinds[k], d->kind) != 0)
			k++;
		if (k == n_kinds) {
			if (n_kinds == 64)
				continue;
			kinds[n_kinds] = d->kind;
			counts[n_kinds++] = 0;
		}
		counts[k]++;
	}
	for (size_t a = 0; a < n_kinds; a++) /* sort by kind for stable output */
		for (size_t b = a + 1; b < n_kinds; b++)
			if (strcmp(kinds[b], kinds[a]) < 0) {
				const char *tk = kinds[a];
				size_t tc = counts[a];
				kinds[a] = kinds[b];
				counts[a] = counts[b];
				kinds[b] = tk;
				counts[b] = tc;
			}
	for (size_t k = 0; k < n_kinds; k++)
		printf("warning %s %zu\n", kinds[k], counts[k]);
	printf("read-seconds %.3f\n", seconds);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		axrgen_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return axrgen_usage(stderr);
	const char *cmd = argv[1];
	bool generate = strcmp(cmd, "generate") == 0;
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "dump") != 0 && strcmp(cmd, "stats") != 0 && !generate)
		return axrgen_usage(stderr);

	axrgen_options_t opt = {0};
	axrgen_generate_options_t gopt = {.out_dir = "generated", .handlers_dir = "handlers", .log = stdout};
	const char **externs = calloc((size_t)argc, sizeof(*externs));
	int first = 2;
	bool want_stats = false;
	if (externs == NULL)
		return 2;
	opt.extern_schemas = externs;
	while (first < argc && strncmp(argv[first], "--", 2) == 0) {
		const char *o = argv[first];
		const char *arg = first + 1 < argc ? argv[first + 1] : NULL;
		int used = 2;
		if (strcmp(o, "--extern-schema") == 0 && arg) {
			externs[opt.n_extern_schemas++] = arg;
		} else if (generate && strcmp(o, "--out") == 0 && arg) {
			gopt.out_dir = arg;
		} else if (generate && strcmp(o, "--gateway") == 0 && arg) {
			gopt.gateway_dir = arg;
		} else if (generate && strcmp(o, "--handlers") == 0 && arg) {
			gopt.handlers_dir = arg;
		} else if (generate && strcmp(o, "--lock-dir") == 0 && arg) {
			gopt.lock_dir = arg;
		} else if (generate && strcmp(o, "--no-scaffold") == 0) {
			gopt.handlers_dir = NULL;
			used = 1;
		} else if (generate && strcmp(o, "--stubs") == 0) {
			gopt.stubs = true;
			used = 1;
		} else if (generate && strcmp(o, "--stats") == 0) {
			want_stats = true;
			used = 1;
		} else if (generate && strcmp(o, "--quiet") == 0) {
			gopt.log = NULL;
			used = 1;
		} else if (strcmp(o, "--") == 0) {
			first++;
			break;
		} else {
			free(externs);
			return axrgen_usage(stderr);
		}
		first += used;
	}
	if (first == argc) {
		free(externs);
		if (generate)
			return 0; /* no specs (yet): nothing to generate */
		return axrgen_usage(stderr);
	}

	axrgen_model_t *m = NULL;
	double t0 = axrgen_now();
	int rc = axrgen_model_load_files((const char *const *)(argv + first), (size_t)(argc - first),
					 &opt, &m);
	double seconds = axrgen_now() - t0;
	free(externs);
	if (m == NULL) {
		fprintf(stderr, "axrgen: %s\n", axr_strerror(rc));
		return 2;
	}
	int status = rc == 0 ? 0 : 1;
	if (strcmp(cmd, "stats") == 0)
		axrgen_stats(m, seconds);
	else
		axrgen_model_print_diagnostics(m, stderr);
	if (strcmp(cmd, "dump") == 0 && status == 0 && axrgen_model_dump(m, stdout) != 0) {
		fprintf(stderr, "axrgen: cannot write the dump\n");
		status = 2;
	}
	if (generate && status == 0) {
		axrgen_generate_stats_t st;
		double t1 = axrgen_now();
		rc = axrgen_generate(m, &gopt, stderr, &st);
		status = rc == 0 ? 0 : rc == AXR_EVALIDATION ? 1 : 2;
		if (rc != 0 && rc != AXR_EVALIDATION && rc != AXR_EIO)
			fprintf(stderr, "axrgen: %s\n", axr_strerror(rc));
		if (want_stats && rc == 0)
			printf("services %zu\noperations %zu\nmessages %zu\ntables %zu\nentities %zu\n"
			       "files %zu\nwritten %zu\nscaffolded %zu\nc-lines %zu\nread-seconds %.3f\n"
			       "generate-seconds %.3f\n",
			       st.services, st.operations, st.messages, st.tables, st.entities, st.files, st.written,
			       st.scaffolded, st.lines, seconds, axrgen_now() - t1);
	}
	if (fflush(stdout) != 0)
		status = 2;
	axrgen_model_free(m);
	return status;
}
