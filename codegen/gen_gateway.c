/* gen_gateway.c: gateway/routes-<svc>.conf, the nginx routing block of a service. */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

/*
 * The rules are docs/operations.md's ("Routing"): a literal path is an
 * exact location, a templated one an anchored regex with a rewrite that
 * strips /v1, and the file holds nothing else. Paths the runtime serves
 * itself (/status, /healthz, /readyz, /metrics, /openapi.json) are not
 * routed by path (every service has them: /v1/<svc>/status reaches one),
 * and /notifications belongs to nginx.conf (the websocket).
 */
static const char *const axrgen__not_routed[] = {"/healthz", "/metrics", "/notifications", "/openapi.json",
						 "/readyz", "/status"};

/* Characters a literal segment may hold: nothing nginx's parser or its
 * regex engine would read specially. */
static bool axrgen__safe_segment(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._~:@!,=-", *s) != NULL))
			return false;
	return true;
}

static int axrgen__gw_cmp(const void *a, const void *b)
{
	return strcmp(((const axrgen_gwroute_t *)a)->path, ((const axrgen_gwroute_t *)b)->path);
}

void axrgen_plan_gateway(axrgen_gen_t *g)
{
	g->gw = axrgen_alloc_g(g, (g->n_ops + 1) * sizeof(*g->gw));
	/* /v1/<svc>/status reaches the service's own /status. */
	axrgen_path_t *status = axrgen_alloc_g(g, sizeof(*status));
	status->template = axrgen_printf_g(g, "/%s/status", g->name);
	status->pos = (axrgen_pos_t){.file = g->spec};
	status->n_segments = 2;
	status->segments = axrgen_alloc_g(g, 2 * sizeof(*status->segments));
	status->segments[0].text = g->name;
	status->segments[1].text = "status";
	g->gw[g->n_gw++] = (axrgen_gwroute_t){.path = status->template, .spec = status, .literal = true, .status = true};
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served)
			continue;
		bool skip = false;
		for (size_t k = 0; k < sizeof(axrgen__not_routed) / sizeof(axrgen__not_routed[0]); k++)
			skip |= strcmp(o->route_path, axrgen__not_routed[k]) == 0;
		for (size_t k = 0; k < g->n_gw; k++)
			skip |= strcmp(g->gw[k].path, o->route_path) == 0;
		if (skip)
			continue;
		const axrgen_path_t *p = o->op->path;
		bool literal = true, safe = true;
		for (size_t k = 0; k < p->n_segments; k++) {
			literal &= !p->segments[k].param;
			safe &= p->segments[k].param || axrgen__safe_segment(p->segments[k].text);
		}
		if (!safe) {
			axrgen_gen_diag(g, AXRGEN_WARNING, p->pos,
					"path '%s' has characters the gateway configuration cannot carry; it is not "
					"routed by the gateway", p->template);
			continue;
		}
		g->gw[g->n_gw++] = (axrgen_gwroute_t){.path = o->route_path, .spec = p, .literal = literal};
	}
	qsort(g->gw + 1, g->n_gw - 1, sizeof(*g->gw), axrgen__gw_cmp); /* status stays first */
}

/* Can one request path match both? (Same length; each segment equal or a
 * parameter on either side.) */
static bool axrgen__overlap(const axrgen_path_t *a, const axrgen_path_t *b)
{
	if (a->n_segments != b->n_segments)
		return false;
	for (size_t i = 0; i < a->n_segments; i++) {
		const axrgen_segment_t *x = &a->segments[i], *y = &b->segments[i];
		if (!x->param && !y->param && strcmp(x->text, y->text) != 0)
			return false;
	}
	return true;
}

void axrgen_gateway_check(axrgen_gen_t *const *gens, size_t n)
{
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			for (size_t i = 0; i < gens[b]->n_gw; i++) {
				const axrgen_gwroute_t *rb = &gens[b]->gw[i];
				for (size_t k = 0; k < gens[a]->n_gw; k++) {
					const axrgen_gwroute_t *ra = &gens[a]->gw[k];
					/* An exact location beats a regex, so literal vs
					 * template is "more specific first"; two literals
					 * or two regexes that overlap are a conflict. */
					if (ra->literal != rb->literal || !axrgen__overlap(ra->spec, rb->spec))
						continue;
					axrgen_gen_diag(gens[b], AXRGEN_ERROR, rb->spec->pos,
							"the gateway cannot tell path '%s' of service '%s' from '%s' of "
							"service '%s' (%s:%u:%u)", rb->spec->template, gens[b]->name,
							ra->spec->template, gens[a]->name, ra->spec->pos.file,
							(unsigned)ra->spec->pos.line, (unsigned)ra->spec->pos.col);
					break;
				}
			}
}

void axrgen_gen_gateway(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "#");
	axrgen_emit(e, "# routes-%s.conf: the /v1 routes of the %s service (upstream axr_%s); rules in\n"
		       "# docs/operations.md (\"Routing\"): exact locations for literal paths, anchored regexes\n"
		       "# for templated ones, /v1 stripped on the way to the service.\n",
		    g->name, g->name, g->name);
	for (size_t i = 0; i < g->n_gw; i++) {
		const axrgen_gwroute_t *r = &g->gw[i];
		if (i > 0)
			axrgen_emit(e, "\n");
		if (r->status) {
			axrgen_emit(e, "location = /v1%s {\n\tproxy_pass http://axr_%s/status;\n}\n", r->path, g->name);
			continue;
		}
		if (r->literal) {
			axrgen_emit(e, "location = /v1%s {\n\tproxy_pass http://axr_%s%s;\n}\n",
				    strcmp(r->path, "/") == 0 ? "/" : r->path, g->name, r->path);
			continue;
		}
		axrgen_emit(e, "location ~ ^/v1");
		const axrgen_path_t *p = r->spec;
		for (size_t k = 0; k < p->n_segments; k++) {
			if (p->segments[k].param) {
				axrgen_emit(e, "/[^/]+");
				continue;
			}
			axrgen_emit(e, "/");
			for (const char *c = p->segments[k].text; *c; c++)
				axrgen_emit(e, "%s%c", *c == '.' ? "\\" : "", *c);
		}
		axrgen_emit(e, "$ {\n\trewrite ^/v1(/.*)$ $1 break;\n\tproxy_pass http://axr_%s;\n}\n", g->name);
	}
}
