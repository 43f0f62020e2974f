/*
 * test_textdiff.c — util/textdiff: the unified diffs `kairn diff` shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/textdiff.h"

static void test_equal_texts_give_no_diff(void **state)
{
	struct kbuf out = { 0 };

	(void)state;
	assert_int_equal(text_diff_unified("a\nb\n", "a\nb\n", "live", "git", &out), 0);
	assert_int_equal(out.len, 0);
	kbuf_free(&out);
}

static void test_one_changed_line_with_context(void **state)
{
	struct kbuf out = { 0 };
	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
	const char *b = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";

	(void)state;
	assert_int_equal(text_diff_unified(a, b, "live", "git", &out), 0);
	assert_string_equal(out.data, "--- live\n+++ git\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
	kbuf_free(&out);
}

static void test_pure_insertion_and_separate_hunks(void **state)
{
	struct kbuf out = { 0 };
	const char *a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
	const char *b = "new\na\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nend\n";

	(void)state;
	assert_int_equal(text_diff_unified(a, b, "x", "y", &out), 0);
	assert_non_null(strstr(out.data, "@@ -1,3 +1,4 @@\n+new\n a\n b\n c\n"));
	assert_non_null(strstr(out.data, "+end\n"));
	/* two hunks: the changes are far apart */
	assert_non_null(strstr(strstr(out.data, "@@") + 2, "@@"));
	kbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_texts_give_no_diff),
		cmocka_unit_test(test_one_changed_line_with_context),
		cmocka_unit_test(test_pure_insertion_and_separate_hunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
