/* main.c: the axrgen command line: check, dump and stats over OpenAPI specs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "model.h"

static int axrgen_usage(FILE *out)
{
	fprintf(out, "usage: axrgen check [OPTION]... FILE...   read and check specs (diagnostics on stderr)\n"
		     "       axrgen dump [OPTION]... FILE...    print the checked model (stable text)\n"
		     "       axrgen stats [OPTION]... FILE...   print counts, warnings by kind, read time\n"
		     "Options:\n"
		     "  --extern-schema NAME   NAME may be $ref'd under components/schemas without\n"
		     "                         being defined (a warning; read as any value)\n"
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
	if (argc < 3)
		return axrgen_usage(stderr);
	const char *cmd = argv[1];
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "dump") != 0 && strcmp(cmd, "stats") != 0)
		return axrgen_usage(stderr);

	axrgen_options_t opt = { 0 };
	const char **externs = calloc((size_t)argc, sizeof(*externs));
	int first = 2;
	if (externs == NULL)
		return 2;
	opt.extern_schemas = externs;
	while (first < argc && strncmp(argv[first], "--", 2) == 0) {
		if (strcmp(argv[first], "--extern-schema") == 0 && first + 1 < argc) {
			externs[opt.n_extern_schemas++] = argv[first + 1];
			first += 2;
		} else if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else {
			free(externs);
			return axrgen_usage(stderr);
		}
	}
	if (first == argc) {
		free(externs);
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
	if (fflush(stdout) != 0)
		status = 2;
	axrgen_model_free(m);
	return status;
}
