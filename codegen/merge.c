/* merge.c: schema graph passes: ref cycles, allOf merging, range and discriminator checks. */
#include "load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define AXRGEN_MAX_MERGE_DEPTH 64

static const char *axrgen_schema_label(axrgen_ctx_t *c, const axrgen_schema_t *s)
{
	if (s->name)
		return s->name;
	(void)c;
	return s->pointer ? s->pointer : "#";
}

/* Position of keyword `key` in the node's own object, else the node's. */
static axrgen_pos_t axrgen_kw_pos(axrgen_schema_t *s, const char *key, const char *alt)
{
	const axrgen_value_t *raw = axrgen_snode(s)->raw;
	const axrgen_value_t *v = axrgen_value_get(raw, key);
	if (v == NULL && alt != NULL)
		v = axrgen_value_get(raw, alt);
	return v ? v->pos : s->pos;
}

static void axrgen_check_limits(axrgen_ctx_t *c, axrgen_schema_t *s, const char *after,
				const axrgen_limit_t *lo, const axrgen_limit_t *hi,
				const char *lo_name, const char *hi_name)
{
	if (!lo->present || !hi->present || lo->value <= hi->value)
		return;
	axrgen_error(c, axrgen_kw_pos(s, hi_name, NULL), "invalid-constraint",
		     "%s%s %llu is greater than %s %llu", after, lo_name,
		     (unsigned long long)lo->value, hi_name, (unsigned long long)hi->value);
}

void axrgen_schema_check_ranges(axrgen_ctx_t *c, axrgen_schema_t *s, const char *after)
{
	const axrgen_bound_t *lo = &s->minimum, *hi = &s->maximum;
	if (lo->present && hi->present) {
		axrgen_pos_t pos = axrgen_kw_pos(s, "maximum", "exclusiveMaximum");
		if (lo->value > hi->value)
			axrgen_error(c, pos, "invalid-constraint",
				     "%sminimum %s is greater than maximum %s", after, lo->text,
				     hi->text);
		else if (lo->value == hi->value && (lo->exclusive || hi->exclusive))
			axrgen_error(c, pos, "invalid-constraint",
				     "%sexclusive bounds leave no valid value (minimum %s, maximum %s)",
				     after, lo->text, hi->text);
	}
	axrgen_check_limits(c, s, after, &s->min_length, &s->max_length, "minLength", "maxLength");
	axrgen_check_limits(c, s, after, &s->min_items, &s->max_items, "minItems", "maxItems");
	axrgen_check_limits(c, s, after, &s->min_properties, &s->max_properties, "minProperties",
			    "maxProperties");
}

/* ---- cycles ---------------------------------------------------------- */

/* The k-th edge that does not go through a property, items or
 * additionalProperties (those can be absent, so recursion through them is
 * fine), or NULL past the last. */
static axrgen_schema_t *axrgen_unguarded_edge(axrgen_schema_t *s, size_t k)
{
	if (s->ref != NULL) {
		if (k == 0)
			return s->ref;
		k--;
	}
	if (k < s->n_all_of)
		return s->all_of[k];
	k -= s->n_all_of;
	if (k < s->n_one_of)
		return s->one_of[k];
	k -= s->n_one_of;
	if (k < s->n_any_of)
		return s->any_of[k];
	return NULL;
}

typedef struct axrgen_dfs {
	axrgen_schema_t *s;
	size_t next;
} axrgen_dfs_t;

static void axrgen_report_cycle(axrgen_ctx_t *c, axrgen_dfs_t *stack, size_t depth,
				axrgen_schema_t *back)
{
	size_t from = depth;
	while (from > 0 && stack[from - 1].s != back)
		from--;
	if (from == 0)
		return;
	from--;
	axrgen_buf_t path = { 0 };
	for (size_t i = from; i < depth; i++) {
		axrgen_buf_str(c, &path, axrgen_schema_label(c, stack[i].s));
		axrgen_buf_str(c, &path, " -> ");
		axrgen_snode(stack[i].s)->bad_cycle = true;
	}
	axrgen_buf_str(c, &path, axrgen_schema_label(c, back));
	axrgen_error(c, back->pos, "ref-cycle",
		     "unrepresentable $ref cycle: %s (a schema cannot consist only of itself)",
		     path.text);
}

static void axrgen_find_cycles(axrgen_ctx_t *c)
{
	size_t n = c->schemas.n;
	uint8_t *color = axrgen_alloc(c, n ? n : 1); /* 0 new, 1 on stack, 2 done */
	axrgen_dfs_t *stack = axrgen_alloc_array(c, n ? n : 1, sizeof(*stack));
	for (size_t root = 0; root < n; root++) {
		axrgen_schema_t *r = c->schemas.items[root];
		if (color[r->id])
			continue;
		size_t depth = 0;
		stack[depth++] = (axrgen_dfs_t){ r, 0 };
		color[r->id] = 1;
		while (depth > 0) {
			axrgen_dfs_t *top = &stack[depth - 1];
			axrgen_schema_t *next = axrgen_unguarded_edge(top->s, top->next++);
			if (next == NULL) {
				color[top->s->id] = 2;
				depth--;
			} else if (color[next->id] == 0) {
				color[next->id] = 1;
				stack[depth++] = (axrgen_dfs_t){ next, 0 };
			} else if (color[next->id] == 1) {
				axrgen_report_cycle(c, stack, depth, next);
			}
		}
	}
}

/* ---- allOf ----------------------------------------------------------- */

typedef struct axrgen_acc {
	axrgen_schema_t *owner;
	const axrgen_schema_t *own; /* a copy of the owner's own keywords */
	axrgen_schema_t s;      /* scalar fields */
	axrgen_vec_t props;     /* axrgen_property_t * */
	axrgen_vec_t required;  /* const char * */
	axrgen_vec_t patterns;  /* const char * */
	axrgen_vec_t exts;      /* axrgen_member_t * */
	bool have_types;
	bool have_enum;
	bool reported_types;
	int depth;
} axrgen_acc_t;

static void axrgen_ensure_merged(axrgen_ctx_t *c, axrgen_schema_t *s, int depth);

/* A new node meaning "a and b" (two allOf parts define the same slot). */
static axrgen_schema_t *axrgen_both(axrgen_ctx_t *c, axrgen_acc_t *acc, axrgen_schema_t *a,
				    axrgen_schema_t *b, const char *pointer)
{
	if (a == b)
		return a;
	axrgen_schema_t *m = axrgen_schema_any(c, axrgen_snode(acc->owner)->doc, b->pos, pointer);
	m->all_of = axrgen_alloc_array(c, 2, sizeof(*m->all_of));
	m->all_of[0] = a;
	m->all_of[1] = b;
	m->n_all_of = 2;
	axrgen_ensure_merged(c, m, acc->depth + 1);
	return m;
}

static void axrgen_merge_bound(axrgen_bound_t *acc, const axrgen_bound_t *x, bool lower)
{
	if (!x->present)
		return;
	if (!acc->present || (lower ? x->value > acc->value : x->value < acc->value)) {
		*acc = *x;
		return;
	}
	if (x->value == acc->value && x->exclusive)
		acc->exclusive = true;
}

static void axrgen_merge_limit(axrgen_limit_t *acc, const axrgen_limit_t *x, bool lower)
{
	if (!x->present)
		return;
	if (!acc->present || (lower ? x->value > acc->value : x->value < acc->value))
		*acc = *x;
}

static unsigned axrgen_intersect_types(unsigned a, unsigned b)
{
	unsigned wa = a | (a & AXRGEN_TYPE_NUMBER ? AXRGEN_TYPE_INTEGER : 0);
	unsigned wb = b | (b & AXRGEN_TYPE_NUMBER ? AXRGEN_TYPE_INTEGER : 0);
	unsigned r = wa & wb;
	if ((r & AXRGEN_TYPE_NUMBER) && !((a & AXRGEN_TYPE_INTEGER) && (b & AXRGEN_TYPE_INTEGER)))
		r &= ~AXRGEN_TYPE_INTEGER;
	return r;
}

static void axrgen_merge_types(axrgen_ctx_t *c, axrgen_acc_t *acc, const axrgen_schema_t *x)
{
	if (x->types == AXRGEN_TYPE_ANY) {
		acc->s.nullable = acc->s.nullable || (!acc->have_types && x->nullable);
		return;
	}
	if (!acc->have_types) {
		acc->s.types = x->types;
		acc->have_types = true;
		return;
	}
	unsigned r = axrgen_intersect_types(acc->s.types, x->types);
	if (r == 0 && !acc->reported_types) {
		axrgen_error(c, acc->owner->pos, "allof-conflict",
			     "allOf parts of '%s' have no type in common",
			     axrgen_schema_label(c, acc->owner));
		acc->reported_types = true;
	}
	acc->s.types = r;
}

static void axrgen_merge_enum(axrgen_ctx_t *c, axrgen_acc_t *acc, const axrgen_schema_t *x)
{
	if (x->n_enum == 0)
		return;
	if (!acc->have_enum) {
		acc->s.enum_values = x->enum_values;
		acc->s.n_enum = x->n_enum;
		acc->have_enum = true;
		return;
	}
	axrgen_enum_value_t *keep = axrgen_alloc_array(c, acc->s.n_enum ? acc->s.n_enum : 1,
						       sizeof(*keep));
	size_t k = 0;
	for (size_t i = 0; i < acc->s.n_enum; i++)
		for (size_t j = 0; j < x->n_enum; j++)
			if (strcmp(acc->s.enum_values[i].json, x->enum_values[j].json) == 0) {
				keep[k++] = acc->s.enum_values[i];
				break;
			}
	if (k == 0)
		axrgen_error(c, acc->owner->pos, "allof-conflict",
			     "allOf parts of '%s' have no enum value in common",
			     axrgen_schema_label(c, acc->owner));
	acc->s.enum_values = keep;
	acc->s.n_enum = k;
}

static void axrgen_merge_props(axrgen_ctx_t *c, axrgen_acc_t *acc, const axrgen_schema_t *x)
{
	for (size_t i = 0; i < x->n_properties; i++) {
		const axrgen_property_t *xp = &x->properties[i];
		axrgen_property_t *found = NULL;
		for (size_t j = 0; j < acc->props.n && !found; j++) {
			axrgen_property_t *p = acc->props.items[j];
			if (strcmp(p->name, xp->name) == 0)
				found = p;
		}
		if (found != NULL) {
			found->schema = axrgen_both(c, acc, found->schema, xp->schema,
						    axrgen_pointer_add(c, axrgen_pointer_add(c,
							acc->owner->pointer, "properties"), xp->name));
			continue;
		}
		axrgen_property_t *p = axrgen_alloc(c, sizeof(*p));
		*p = *xp;
		axrgen_vec_push(c, &acc->props, p);
	}
	for (size_t i = 0; i < x->n_required; i++)
		axrgen_vec_push_unique_str(c, &acc->required, x->required[i]);
	if (x->additional == AXRGEN_ADDITIONAL_FALSE || acc->s.additional == AXRGEN_ADDITIONAL_FALSE) {
		acc->s.additional = AXRGEN_ADDITIONAL_FALSE;
		acc->s.additional_schema = NULL;
	} else if (x->additional == AXRGEN_ADDITIONAL_SCHEMA) {
		acc->s.additional_schema =
			acc->s.additional == AXRGEN_ADDITIONAL_SCHEMA
				? axrgen_both(c, acc, acc->s.additional_schema, x->additional_schema,
					      axrgen_pointer_add(c, acc->owner->pointer,
								 "additionalProperties"))
				: x->additional_schema;
		acc->s.additional = AXRGEN_ADDITIONAL_SCHEMA;
	} else if (x->additional == AXRGEN_ADDITIONAL_TRUE &&
		   acc->s.additional == AXRGEN_ADDITIONAL_UNSET) {
		acc->s.additional = AXRGEN_ADDITIONAL_TRUE;
	}
}

static void axrgen_merge_multiple(axrgen_ctx_t *c, axrgen_acc_t *acc, const axrgen_schema_t *x)
{
	const axrgen_bound_t *m = &x->multiple_of;
	axrgen_bound_t *a = &acc->s.multiple_of;
	if (!m->present)
		return;
	if (!a->present || fmod(m->value, a->value) == 0) {
		*a = *m;
		return;
	}
	if (fmod(a->value, m->value) != 0)
		axrgen_warning(c, acc->owner->pos, "allof-conflict",
			       "allOf parts of '%s' have multipleOf %s and %s; only %s is kept",
			       axrgen_schema_label(c, acc->owner), a->text, m->text, a->text);
}

/* Intersects the (already merged) fields of `x` into the accumulator. */
static void axrgen_merge_into(axrgen_ctx_t *c, axrgen_acc_t *acc, const axrgen_schema_t *x)
{
	axrgen_schema_t *a = &acc->s;
	axrgen_merge_types(c, acc, x);
	a->never = a->never || x->never;
	if (x->format != NULL) {
		if (a->format == NULL)
			a->format = x->format;
		else if (strcmp(a->format, x->format) != 0)
			axrgen_warning(c, acc->owner->pos, "allof-conflict",
				       "allOf parts of '%s' disagree on format ('%s' and '%s'); '%s' is kept",
				       axrgen_schema_label(c, acc->owner), a->format, x->format, a->format);
	}
	/* a named part describes itself, not the schema that extends it */
	if (a->title == NULL && x->name == NULL)
		a->title = x->title;
	if (a->description == NULL && x->name == NULL)
		a->description = x->description;
	a->read_only = a->read_only || x->read_only;
	a->write_only = a->write_only || x->write_only;
	a->deprecated = a->deprecated || x->deprecated;
	a->unique_items = a->unique_items || x->unique_items;
	if (a->default_value == NULL) {
		a->default_value = x->default_value;
		a->default_json = x->default_json;
	}
	if (x->const_value != NULL) {
		if (a->const_value == NULL) {
			a->const_value = x->const_value;
			a->const_json = x->const_json;
		} else if (strcmp(a->const_json, x->const_json) != 0) {
			axrgen_error(c, acc->owner->pos, "allof-conflict",
				     "allOf parts of '%s' require different const values (%s and %s)",
				     axrgen_schema_label(c, acc->owner), a->const_json, x->const_json);
		}
	}
	axrgen_merge_enum(c, acc, x);
	axrgen_merge_bound(&a->minimum, &x->minimum, true);
	axrgen_merge_bound(&a->maximum, &x->maximum, false);
	axrgen_merge_multiple(c, acc, x);
	axrgen_merge_limit(&a->min_length, &x->min_length, true);
	axrgen_merge_limit(&a->max_length, &x->max_length, false);
	axrgen_merge_limit(&a->min_items, &x->min_items, true);
	axrgen_merge_limit(&a->max_items, &x->max_items, false);
	axrgen_merge_limit(&a->min_properties, &x->min_properties, true);
	axrgen_merge_limit(&a->max_properties, &x->max_properties, false);
	for (size_t i = 0; i < x->n_patterns; i++)
		axrgen_vec_push_unique_str(c, &acc->patterns, x->patterns[i]);
	if (x->items != NULL)
		a->items = a->items ? axrgen_both(c, acc, a->items, x->items,
						  axrgen_pointer_add(c, acc->owner->pointer, "items"))
				    : x->items;
	axrgen_merge_props(c, acc, x);
	if (x->n_one_of || x->n_any_of) {
		if (a->n_one_of == 0 && a->n_any_of == 0) {
			a->one_of = x->one_of;
			a->n_one_of = x->n_one_of;
			a->any_of = x->any_of;
			a->n_any_of = x->n_any_of;
		} else if (a->one_of != x->one_of || a->any_of != x->any_of) {
			axrgen_warning(c, acc->owner->pos, "allof-conflict",
				       "more than one allOf part of '%s' has oneOf/anyOf; only the first "
				       "is kept",
				       axrgen_schema_label(c, acc->owner));
		}
	}
	if (a->discriminator == NULL && (x->n_one_of || x->n_any_of || x == acc->own))
		a->discriminator = x->discriminator;
	for (size_t i = 0; i < x->extensions.count; i++) {
		bool dup = false;
		for (size_t j = 0; j < acc->exts.n && !dup; j++)
			dup = strcmp(((axrgen_member_t *)acc->exts.items[j])->key,
				     x->extensions.items[i].key) == 0;
		if (!dup)
			axrgen_vec_push(c, &acc->exts, (void *)(uintptr_t)&x->extensions.items[i]);
	}
}

/* Merges `x` with what it refers to. */
static void axrgen_absorb(axrgen_ctx_t *c, axrgen_acc_t *acc, axrgen_schema_t *x, int depth)
{
	if (depth > AXRGEN_MAX_MERGE_DEPTH) {
		axrgen_error(c, acc->owner->pos, "allof-conflict",
			     "allOf of '%s' nests deeper than %d levels",
			     axrgen_schema_label(c, acc->owner), AXRGEN_MAX_MERGE_DEPTH);
		return;
	}
	if (axrgen_snode(x)->bad_cycle)
		return;
	axrgen_ensure_merged(c, x, depth + 1);
	if (x->ref != NULL)
		axrgen_absorb(c, acc, x->ref, depth + 1);
	axrgen_merge_into(c, acc, x);
}

static int axrgen_ext_cmp(const void *pa, const void *pb)
{
	const axrgen_member_t *a = pa, *b = pb;
	return strcmp(a->key, b->key);
}

static void axrgen_merge_node(axrgen_ctx_t *c, axrgen_schema_t *s, int depth)
{
	axrgen_schema_t own = *s;
	axrgen_acc_t acc = { .owner = s, .depth = depth };
	acc.s.additional = AXRGEN_ADDITIONAL_UNSET;
	/* own extensions win over the parts' */
	for (size_t i = 0; i < own.extensions.count; i++)
		axrgen_vec_push(c, &acc.exts, (void *)(uintptr_t)&own.extensions.items[i]);
	for (size_t i = 0; i < own.n_all_of; i++) {
		if (own.all_of[i]->name == NULL)
			axrgen_snode(own.all_of[i])->part = true;
		axrgen_absorb(c, &acc, own.all_of[i], depth + 1);
	}
	own.all_of = NULL;
	own.n_all_of = 0;
	own.extensions.count = 0;
	acc.own = &own;
	axrgen_merge_into(c, &acc, &own);

	/* the node keeps its identity and its parts as written; the rest is
	 * the merge, with its own title, description and default first */
	axrgen_schema_t *a = &acc.s;
	a->id = s->id;
	a->pos = s->pos;
	a->name = s->name;
	a->pointer = s->pointer;
	a->ref = s->ref;
	a->ref_text = s->ref_text;
	a->ref_pos = s->ref_pos;
	a->is_extern = s->is_extern;
	a->all_of = s->all_of;
	a->n_all_of = s->n_all_of;
	a->nullable = (a->types & AXRGEN_TYPE_NULL) || (a->types == 0 && a->nullable);
	if (own.title)
		a->title = own.title;
	if (own.description)
		a->description = own.description;
	if (own.default_value) {
		a->default_value = own.default_value;
		a->default_json = own.default_json;
	}
	a->patterns = (const char **)acc.patterns.items;
	a->n_patterns = acc.patterns.n;
	a->n_properties = acc.props.n;
	a->properties = axrgen_alloc_array(c, acc.props.n ? acc.props.n : 1, sizeof(*a->properties));
	for (size_t i = 0; i < acc.props.n; i++)
		a->properties[i] = *(axrgen_property_t *)acc.props.items[i];
	a->required = (const char **)acc.required.items;
	a->n_required = acc.required.n;
	axrgen_member_t *exts = axrgen_alloc_array(c, acc.exts.n ? acc.exts.n : 1, sizeof(*exts));
	for (size_t i = 0; i < acc.exts.n; i++)
		exts[i] = *(axrgen_member_t *)acc.exts.items[i];
	axrgen_sort(exts, acc.exts.n, sizeof(*exts), axrgen_ext_cmp);
	a->extensions.items = exts;
	a->extensions.count = acc.exts.n;
	a->merged = true;
	*s = *a;
	axrgen_schema_index(c, s);
	axrgen_schema_check_ranges(c, s, "after merging allOf, ");
}

static void axrgen_ensure_merged(axrgen_ctx_t *c, axrgen_schema_t *s, int depth)
{
	axrgen_snode_t *n = axrgen_snode(s);
	if (n->merge_state != 0 || n->bad_cycle || s->n_all_of == 0)
		return;
	n->merge_state = 1;
	axrgen_merge_node(c, s, depth);
	n->merge_state = 2;
}

/* ---- checks after merging -------------------------------------------- */

static void axrgen_check_required(axrgen_ctx_t *c, axrgen_schema_t *s)
{
	if (s->n_properties == 0 || s->additional == AXRGEN_ADDITIONAL_SCHEMA ||
	    axrgen_snode(s)->part)
		return;
	const char **names = axrgen_alloc_array(c, s->n_properties, sizeof(*names));
	for (size_t i = 0; i < s->n_properties; i++)
		names[i] = s->properties[i].name;
	for (size_t i = 0; i < s->n_required; i++)
		if (axrgen_schema_property(s, s->required[i]) == NULL)
			axrgen_warning(c, axrgen_kw_pos(s, "required", NULL), "unknown-required",
				       "required property '%s' is not defined in properties%s",
				       s->required[i],
				       axrgen_did_you_mean(c, s->required[i], names, s->n_properties));
}

static int axrgen_mapping_cmp(const void *pa, const void *pb)
{
	const axrgen_mapping_t *a = pa, *b = pb;
	return strcmp(a->value, b->value);
}

/* The schemas a discriminator chooses between: its oneOf/anyOf, or (the
 * inheritance style) the named schemas that list it in their allOf. */
static axrgen_vec_t axrgen_discriminator_members(axrgen_ctx_t *c, axrgen_schema_t *s)
{
	axrgen_vec_t members = { 0 };
	for (size_t i = 0; i < s->n_one_of; i++)
		axrgen_vec_push(c, &members, s->one_of[i]);
	for (size_t i = 0; i < s->n_any_of; i++)
		axrgen_vec_push(c, &members, s->any_of[i]);
	if (members.n > 0)
		return members;
	for (size_t i = 0; i < c->schemas.n; i++) {
		axrgen_schema_t *child = c->schemas.items[i];
		if (child->name == NULL || child == s)
			continue;
		for (size_t j = 0; j < child->n_all_of; j++)
			if (child->all_of[j] == s) {
				axrgen_vec_push(c, &members, child);
				break;
			}
	}
	return members;
}

static void axrgen_check_discriminator(axrgen_ctx_t *c, axrgen_schema_t *s)
{
	axrgen_discriminator_t *d = s->discriminator;
	if (d == NULL || axrgen_snode(s)->part || axrgen_snode(s)->bad_cycle)
		return;
	if (s->n_one_of == 0 && s->n_any_of == 0 && s->name == NULL) {
		axrgen_error(c, d->pos, "invalid-discriminator",
			     "a discriminator needs oneOf or anyOf (or a named schema others extend "
			     "with allOf)");
		return;
	}
	axrgen_vec_t members = axrgen_discriminator_members(c, s);
	axrgen_mapping_t *map = axrgen_alloc_array(c, d->n_mapping + members.n + 1, sizeof(*map));
	if (d->n_mapping)
		memcpy(map, d->mapping, d->n_mapping * sizeof(*map));
	size_t n = d->n_mapping;
	for (size_t i = 0; i < members.n; i++) {
		axrgen_schema_t *m = members.items[i];
		const axrgen_schema_t *t = axrgen_schema_target(m);
		if (t == NULL || axrgen_snode(m)->bad_cycle)
			continue;
		if (axrgen_schema_property(m, d->property) == NULL &&
		    axrgen_schema_property(t, d->property) == NULL)
			axrgen_error(c, d->pos, "invalid-discriminator",
				     "discriminator property '%s' is not a property of '%s'",
				     d->property, axrgen_schema_label(c, m));
		if (m->name == NULL)
			continue;
		bool mapped = false;
		for (size_t j = 0; j < n && !mapped; j++)
			mapped = map[j].schema == m || strcmp(map[j].value, m->name) == 0;
		if (mapped)
			continue;
		map[n].value = m->name;
		map[n].schema = m;
		map[n].pos = m->pos;
		map[n].implicit = true;
		n++;
	}
	axrgen_sort(map, n, sizeof(*map), axrgen_mapping_cmp);
	d->mapping = map;
	d->n_mapping = n;
}

void axrgen_schema_finish(axrgen_ctx_t *c)
{
	axrgen_find_cycles(c);
	/* merging appends nodes; walk the ones that exist now */
	size_t n = c->schemas.n;
	for (size_t i = 0; i < n; i++)
		axrgen_ensure_merged(c, c->schemas.items[i], 0);
	for (size_t i = 0; i < n; i++) {
		axrgen_schema_t *s = c->schemas.items[i];
		axrgen_check_required(c, s);
		axrgen_check_discriminator(c, s);
	}
}
