/* test_codegen_emit.c: unit tests for axrgen's emitter and its write-if-changed files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "emit.h"
#include "err.h"

/* Asserts the emitter's text, printing both sides when they differ. */
static void assert_text(const axrgen_emit_t *e, const char *want)
{
	const char *got = axrgen_emit_text(e, NULL);
	if (strcmp(got, want) != 0)
		fail_msg("emitted:\n[%s]\nwant:\n[%s]", got, want);
}

static void test_emit_indents_each_started_line_and_not_empty_ones(void **state)
{
	(void)state;
	axrgen_emit_t e;
	axrgen_emit_init(&e, "\t");
	axrgen_emit(&e, "struct x = {\n");
	axrgen_emit_indent(&e);
	axrgen_emit(&e, ".a = %d,\n\n.b = %s,\n", 1, "\"two\"");
	axrgen_emit_indent(&e);
	axrgen_emit(&e, "deep");
	axrgen_emit(&e, " still the same line\n");
	axrgen_emit_outdent(&e);
	axrgen_emit_outdent(&e);
	axrgen_emit_outdent(&e); /* below zero stays at zero */
	axrgen_emit(&e, "};\n");
	assert_text(&e, "struct x = {\n\t.a = 1,\n\n\t.b = \"two\",\n\t\tdeep still the same line\n};\n");
	assert_int_equal(axrgen_emit_ok(&e), 1);
	axrgen_emit_free(&e);
}

static void test_emit_drops_trailing_blanks_before_newlines(void **state)
{
	(void)state;
	axrgen_emit_t e;
	axrgen_emit_init(&e, "  ");
	axrgen_emit_indent(&e);
	axrgen_emit(&e, "a = 1;   \t\n");
	axrgen_emit(&e, "%s\n", "");
	axrgen_emit(&e, "b = 2; ");
	axrgen_emit(&e, "\n");
	assert_text(&e, "  a = 1;\n\n  b = 2;\n");
	axrgen_emit_free(&e);
}

static void test_emit_formats_text_longer_than_its_stack_buffer(void **state)
{
	(void)state;
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	axrgen_emit_t e;
	axrgen_emit_init(&e, "\t");
	axrgen_emit(&e, "<%s>", big);
	size_t len = 0;
	const char *text = axrgen_emit_text(&e, &len);
	assert_int_equal(len, sizeof(big) + 1);
	assert_int_equal(text[0], '<');
	assert_int_equal(text[len - 1], '>');
	axrgen_emit_free(&e);
}

static void test_comment_lines_prefix_each_line_and_cannot_close_a_c_comment(void **state)
{
	(void)state;
	axrgen_emit_t e;
	axrgen_emit_init(&e, "\t");
	axrgen_emit(&e, "/*\n");
	axrgen_emit_comment_lines(&e, " * ", "First line.\r\nA */ inside\tand a\x01 control.\n\n\n");
	axrgen_emit(&e, " */\n");
	axrgen_emit_comment_lines(&e, "// ", "*/ is fine in a line comment");
	axrgen_emit_comment_lines(&e, "# ", NULL);
	axrgen_emit_comment_lines(&e, "# ", "  \n \n");
	assert_text(&e, "/*\n * First line.\n * A * / inside and a  control.\n */\n"
			"// */ is fine in a line comment\n");
	axrgen_emit_free(&e);
}

static void test_c_comment_is_one_line_with_its_delimiters(void **state)
{
	(void)state;
	axrgen_emit_t e;
	axrgen_emit_init(&e, "\t");
	axrgen_emit_indent(&e);
	axrgen_emit_c_comment(&e, "GET /items/{id}: two\nlines */ end \n");
	axrgen_emit(&e, "x ");
	axrgen_emit_comment_text(&e, "y*/z");
	axrgen_emit(&e, "\n");
	assert_text(&e, "\t/* GET /items/{id}: two lines * / end */\n\tx y* /z\n");
	axrgen_emit_free(&e);
}

static char *tmp_dir(void)
{
	char tmpl[] = "/tmp/axr-emit-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	static char buf[256];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_write_file_creates_parents_and_skips_identical_content(void **state)
{
	(void)state;
	char *dir = tmp_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/a/b/out.c", dir);
	bool written = false;
	assert_int_equal(axrgen_write_file(path, "one\n", 4, &written), 0);
	assert_true(written);
	assert_string_equal(read_all(path), "one\n");

	/* Same bytes: not rewritten (the time stamp a build looks at stays). */
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(axrgen_write_file(path, "one\n", 4, &written), 0);
	assert_false(written);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);

	/* Other bytes, shorter or longer: replaced. */
	assert_int_equal(axrgen_write_file(path, "on", 2, &written), 0);
	assert_true(written);
	assert_string_equal(read_all(path), "on");
	assert_int_equal(axrgen_write_file(path, "", 0, &written), 0);
	assert_true(written);
	assert_string_equal(read_all(path), "");

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void test_write_file_reports_an_unwritable_place(void **state)
{
	(void)state;
	char *dir = tmp_dir();
	char path[512];
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(axrgen_write_file(path, "x", 1, NULL), 0);
	/* A directory cannot be made where a file is. */
	snprintf(path, sizeof(path), "%s/file/below.c", dir);
	assert_int_equal(axrgen_write_file(path, "x", 1, NULL), AXR_EIO);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emit_indents_each_started_line_and_not_empty_ones),
		cmocka_unit_test(test_emit_drops_trailing_blanks_before_newlines),
		cmocka_unit_test(test_emit_formats_text_longer_than_its_stack_buffer),
		cmocka_unit_test(test_comment_lines_prefix_each_line_and_cannot_close_a_c_comment),
		cmocka_unit_test(test_c_comment_is_one_line_with_its_delimiters),
		cmocka_unit_test(test_write_file_creates_parents_and_skips_identical_content),
		cmocka_unit_test(test_write_file_reports_an_unwritable_place),
	};
	return cmocka_run_group_tests_name("codegen_emit", tests, NULL, NULL);
}
