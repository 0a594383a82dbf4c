/* generate.h: axrgen generate: checked specs to C services (the back end's entry point). */
#ifndef AXR_AXRGEN_GENERATE_H
#define AXR_AXRGEN_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model.h"

typedef struct axrgen_generate_options {
	const char *out_dir;      /* generated/<svc>/ goes here (required) */
	const char *gateway_dir;  /* routes-<svc>.conf goes here; NULL: none */
	const char *handlers_dir; /* scaffolds go to <dir>/<svc>/; NULL: none */
	const char *lock_dir;     /* where <svc>.lock is written; NULL: beside
	                             the spec (it is always read from there) */
	bool stubs;               /* <svc>_stubs.c: 501 for every handler */
	FILE *log;                /* one line per file written; NULL: quiet */
} axrgen_generate_options_t;

typedef struct axrgen_generate_stats {
	size_t services;
	size_t operations;   /* routed */
	size_t messages;
	size_t tables;       /* axr_schema_t tables, inputs included */
	size_t entities;
	size_t files;        /* produced (written or already up to date) */
	size_t written;      /* changed on disk */
	size_t scaffolded;
	size_t lines;        /* of C produced */
} axrgen_generate_stats_t;

/*
 * Generates every service of `m` (loaded without errors). All of it is
 * planned first; when the back end finds errors (conflicting field numbers,
 * bad extensions, gateway paths two services claim...) nothing is written.
 * Diagnostics (errors and warnings, `file:line:col: error: message`,
 * sorted) go to `diag`. Files whose content would not change are left
 * alone; files in <out>/<svc>/ that carry axrgen's banner but are no longer
 * produced are removed; handler scaffolds are only created, never
 * overwritten. `stats` may be NULL.
 *
 * Returns 0; AXR_EVALIDATION when the back end found errors; AXR_EIO when
 * a file could not be written (a message on `diag`); AXR_ENOMEM.
 */
int axrgen_generate(const axrgen_model_t *m, const axrgen_generate_options_t *opt, FILE *diag,
		    axrgen_generate_stats_t *stats);

#endif
