/* yamlflat.c: print YAML documents as one line per leaf (path, style, value) for shell checks. */
#include <libfyaml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * usage: yamlflat FILE...   ("-" reads standard input)
 *
 * Parses every document of every FILE with libfyaml (anchors and merge keys resolved;
 * duplicate keys and syntax errors are errors) and prints one line per leaf:
 *
 *   DOC <TAB> PATH <TAB> STYLE <TAB> VALUE
 *
 * DOC counts the non-empty documents of all FILEs from 0. PATH is the leaf's place: one
 * segment per level, each after a '/'. A mapping key is written with JSON-pointer escapes
 * ('~' as ~0, '/' as ~1, tab and newline as ~t and ~n). A sequence item is "[NAME]" when it
 * is a mapping with a scalar `name` (Kubernetes' usual merge key: containers, env, volumes,
 * ports), else "#INDEX". STYLE is '=' for a plain scalar, '"' for a quoted or block scalar,
 * '{' for an empty mapping and '[' for an empty sequence (VALUE empty for the last two).
 * VALUE is the scalar with '\' as \\, newline as \n and tab as \t. The root of a document
 * that is a scalar has the path "/".
 *
 * Exit status: 0, or 1 after a message naming FILE:LINE:COLUMN when a file does not parse.
 */

/* A growable path buffer: segments are appended and truncated back as the walk returns. */
typedef struct {
	char *text;
	size_t len;
	size_t cap;
} yamlflat_path_t;

static int yamlflat_path_reserve(yamlflat_path_t *p, size_t more)
{
	if (p->len + more + 1 <= p->cap)
		return 0;
	size_t cap = p->cap ? p->cap : 256;
	while (cap < p->len + more + 1)
		cap *= 2;
	char *text = realloc(p->text, cap);
	if (text == NULL)
		return -1;
	p->text = text;
	p->cap = cap;
	return 0;
}

/* Appends "/" and the segment: key bytes escaped JSON-pointer style (plus ~t, ~n). */
static int yamlflat_path_push_key(yamlflat_path_t *p, const char *key, size_t len)
{
	if (yamlflat_path_reserve(p, 1 + 2 * len) != 0)
		return -1;
	p->text[p->len++] = '/';
	for (size_t i = 0; i < len; i++) {
		char c = key[i];
		const char *esc = c == '~' ? "~0" : c == '/' ? "~1" : c == '\t' ? "~t" : c == '\n' ? "~n" : NULL;
		if (esc != NULL) {
			p->text[p->len++] = esc[0];
			p->text[p->len++] = esc[1];
		} else {
			p->text[p->len++] = c;
		}
	}
	p->text[p->len] = '\0';
	return 0;
}

static int yamlflat_path_push_text(yamlflat_path_t *p, const char *segment)
{
	size_t len = strlen(segment);
	if (yamlflat_path_reserve(p, 1 + len) != 0)
		return -1;
	p->text[p->len++] = '/';
	memcpy(p->text + p->len, segment, len);
	p->len += len;
	p->text[p->len] = '\0';
	return 0;
}

static void yamlflat_print_value(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\\')
			fputs("\\\\", stdout);
		else if (v[i] == '\n')
			fputs("\\n", stdout);
		else if (v[i] == '\t')
			fputs("\\t", stdout);
		else
			putchar(v[i]);
	}
}

static void yamlflat_leaf(int doc, const yamlflat_path_t *p, char style, const char *v, size_t len)
{
	printf("%d\t%s\t%c\t", doc, p->len ? p->text : "/", style);
	yamlflat_print_value(v, len);
	putchar('\n');
}

/* The segment of a sequence item: [NAME] for a mapping with a scalar `name`, else #INDEX. */
static void yamlflat_item_segment(struct fy_node *item, int index, char *out, size_t size)
{
	if (fy_node_is_mapping(item)) {
		struct fy_node *name = fy_node_mapping_lookup_by_string(item, "name", FY_NT);
		size_t len = 0;
		const char *text = name != NULL && fy_node_is_scalar(name) ? fy_node_get_scalar(name, &len) : NULL;
		if (text != NULL && len > 0 && len + 3 <= size && memchr(text, '\n', len) == NULL &&
		    memchr(text, '\t', len) == NULL && memchr(text, '/', len) == NULL) {
			snprintf(out, size, "[%.*s]", (int)len, text);
			return;
		}
	}
	snprintf(out, size, "#%d", index);
}

static int yamlflat_walk(int doc, struct fy_node *node, yamlflat_path_t *p)
{
	size_t mark = p->len;
	int rc = 0;

	if (node == NULL) {
		yamlflat_leaf(doc, p, '=', "", 0);
		return 0;
	}
	switch (fy_node_get_type(node)) {
	case FYNT_SCALAR: {
		size_t len = 0;
		const char *text = fy_node_get_scalar(node, &len);
		char style = fy_node_get_style(node) == FYNS_PLAIN ? '=' : '"';
		yamlflat_leaf(doc, p, style, text ? text : "", text ? len : 0);
		break;
	}
	case FYNT_MAPPING: {
		void *iter = NULL;
		struct fy_node_pair *pair;
		if (fy_node_mapping_item_count(node) == 0) {
			yamlflat_leaf(doc, p, '{', "", 0);
			break;
		}
		while (rc == 0 && (pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
			struct fy_node *key = fy_node_pair_key(pair);
			size_t len = 0;
			const char *text = key != NULL && fy_node_is_scalar(key) ? fy_node_get_scalar(key, &len) : NULL;
			if (text == NULL) {
				fprintf(stderr, "yamlflat: %s: a mapping key that is not a scalar\n", p->len ? p->text : "/");
				return -1;
			}
			if (yamlflat_path_push_key(p, text, len) != 0)
				return -1;
			rc = yamlflat_walk(doc, fy_node_pair_value(pair), p);
			p->len = mark;
			p->text[mark] = '\0';
		}
		break;
	}
	case FYNT_SEQUENCE: {
		void *iter = NULL;
		struct fy_node *item;
		int index = 0;
		char segment[256];
		if (fy_node_sequence_item_count(node) == 0) {
			yamlflat_leaf(doc, p, '[', "", 0);
			break;
		}
		while (rc == 0 && (item = fy_node_sequence_iterate(node, &iter)) != NULL) {
			yamlflat_item_segment(item, index++, segment, sizeof(segment));
			if (yamlflat_path_push_text(p, segment) != 0)
				return -1;
			rc = yamlflat_walk(doc, item, p);
			p->len = mark;
			p->text[mark] = '\0';
		}
		break;
	}
	}
	return rc;
}

/* True for an empty document: no root, or a plain null scalar (an empty `---` section). */
static int yamlflat_is_null(struct fy_node *root)
{
	size_t len = 0;
	const char *text;

	if (root == NULL)
		return 1;
	if (!fy_node_is_scalar(root) || fy_node_get_style(root) != FYNS_PLAIN)
		return 0;
	text = fy_node_get_scalar(root, &len);
	return text == NULL || len == 0 || (len == 1 && text[0] == '~') || (len == 4 && memcmp(text, "null", 4) == 0);
}

/* Flattens every document of one file; returns 0, or -1 after libfyaml printed why. */
static int yamlflat_file(const char *file, int *doc, yamlflat_path_t *p)
{
	struct fy_parse_cfg cfg = {.flags = FYPCF_DEFAULT_DOC | FYPCF_RESOLVE_DOCUMENT};
	cfg.flags &= ~(unsigned)FYPCF_QUIET;
	struct fy_parser *parser = NULL;
	struct fy_document *fyd = NULL;
	int rc = -1;

	parser = fy_parser_create(&cfg);
	if (parser == NULL)
		goto fail;
	if (strcmp(file, "-") == 0 ? fy_parser_set_input_fp(parser, "<stdin>", stdin) != 0
				   : fy_parser_set_input_file(parser, file) != 0) {
		fprintf(stderr, "yamlflat: %s: cannot read\n", file);
		goto fail;
	}
	while ((fyd = fy_parse_load_document(parser)) != NULL) {
		struct fy_node *root = fy_document_root(fyd);
		if (!yamlflat_is_null(root)) {
			p->len = 0;
			if (yamlflat_walk(*doc, root, p) != 0)
				goto fail;
			(*doc)++;
		}
		fy_parse_document_destroy(parser, fyd);
		fyd = NULL;
	}
	if (fy_parser_get_stream_error(parser)) {
		fprintf(stderr, "yamlflat: %s: not valid YAML\n", file);
		goto fail;
	}
	rc = 0;
fail:
	if (fyd != NULL)
		fy_parse_document_destroy(parser, fyd);
	if (parser != NULL)
		fy_parser_destroy(parser);
	return rc;
}

int main(int argc, char **argv)
{
	yamlflat_path_t path = {0};
	int doc = 0;
	int rc = 0;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(stderr, "usage: yamlflat FILE... (- for standard input)\n");
		return argc < 2 ? 2 : 0;
	}
	if (yamlflat_path_reserve(&path, 0) != 0)
		return 1;
	path.text[0] = '\0';
	for (int i = 1; i < argc && rc == 0; i++)
		if (yamlflat_file(argv[i], &doc, &path) != 0)
			rc = 1;
	free(path.text);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
