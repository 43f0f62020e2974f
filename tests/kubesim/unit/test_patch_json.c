/*
 * test_patch_json.c — JSON patch (RFC 6902), merge patch (RFC 7386) and
 * kjson_equal: the operations kubectl --type=json|merge sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "patch/patch.h"

/* Applies a JSON patch to doc (both JSON text); returns the compact result
 * (caller frees) or NULL with *rc/e filled. */
static char *jp(const char *doc, const char *patch, int *rc, struct kerr *e)
{
	cJSON *d = cJSON_Parse(doc), *p = cJSON_Parse(patch), *out = NULL;
	char *s = NULL;

	assert_non_null(d);
	assert_non_null(p);
	kerr_clear(e);
	*rc = kpatch_json(d, p, &out, e);
	if (*rc == 0) {
		assert_non_null(out);
		s = cJSON_PrintUnformatted(out);
	} else {
		assert_null(out);
	}
	cJSON_Delete(out);
	cJSON_Delete(d);
	cJSON_Delete(p);
	return s;
}

static void expect_jp(const char *doc, const char *patch, const char *want)
{
	struct kerr e;
	int rc;
	char *got = jp(doc, patch, &rc, &e);

	if (rc)
		fail_msg("unexpected error: %s", e.msg);
	assert_string_equal(got, want);
	free(got);
}

static void expect_jp_error(const char *doc, const char *patch, const char *msg_part)
{
	struct kerr e;
	int rc;
	char *got = jp(doc, patch, &rc, &e);

	assert_null(got);
	assert_int_equal(rc, KAIRN_EINVAL);
	if (!strstr(e.msg, msg_part))
		fail_msg("message %s lacks %s", e.msg, msg_part);
}

static void test_json_patch_add_replace_remove(void **state)
{
	(void)state;
	expect_jp("{\"a\":1,\"b\":{\"c\":2}}",
		  "[{\"op\":\"add\",\"path\":\"/b/d\",\"value\":[1]},"
		  "{\"op\":\"replace\",\"path\":\"/a\",\"value\":\"x\"},"
		  "{\"op\":\"remove\",\"path\":\"/b/c\"}]",
		  "{\"a\":\"x\",\"b\":{\"d\":[1]}}");
}

static void test_json_patch_replace_keeps_member_order(void **state)
{
	(void)state;
	expect_jp("{\"a\":1,\"b\":2,\"c\":3}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":9}]",
		  "{\"a\":1,\"b\":9,\"c\":3}");
}

static void test_json_patch_array_insert_append_and_remove(void **state)
{
	(void)state;
	expect_jp("{\"l\":[1,2,3]}",
		  "[{\"op\":\"add\",\"path\":\"/l/0\",\"value\":0},"
		  "{\"op\":\"add\",\"path\":\"/l/-\",\"value\":4},"
		  "{\"op\":\"add\",\"path\":\"/l/5\",\"value\":5},"
		  "{\"op\":\"remove\",\"path\":\"/l/1\"},"
		  "{\"op\":\"replace\",\"path\":\"/l/0\",\"value\":\"z\"}]",
		  "{\"l\":[\"z\",2,3,4,5]}");
}

static void test_json_patch_pointer_escapes(void **state)
{
	(void)state;
	expect_jp("{\"metadata\":{\"annotations\":{\"a/b\":\"1\",\"c~d\":\"2\"}}}",
		  "[{\"op\":\"remove\",\"path\":\"/metadata/annotations/a~1b\"},"
		  "{\"op\":\"replace\",\"path\":\"/metadata/annotations/c~0d\",\"value\":\"3\"},"
		  "{\"op\":\"add\",\"path\":\"/metadata/annotations/~01\",\"value\":\"4\"}]",
		  "{\"metadata\":{\"annotations\":{\"c~d\":\"3\",\"~1\":\"4\"}}}");
}

static void test_json_patch_move_and_copy(void **state)
{
	(void)state;
	expect_jp("{\"a\":{\"x\":1},\"l\":[1,2]}",
		  "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"},"
		  "{\"op\":\"move\",\"from\":\"/a/x\",\"path\":\"/l/0\"},"
		  "{\"op\":\"move\",\"from\":\"/l/2\",\"path\":\"/l/0\"}]",
		  "{\"a\":{},\"l\":[2,1,1],\"b\":{\"x\":1}}");
}

static void test_json_patch_test_op_passes_and_fails(void **state)
{
	(void)state;
	expect_jp("{\"spec\":{\"replicas\":3,\"o\":{\"a\":1,\"b\":2}}}",
		  "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":3},"
		  "{\"op\":\"test\",\"path\":\"/spec/o\",\"value\":{\"b\":2,\"a\":1}},"
		  "{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":4}]",
		  "{\"spec\":{\"replicas\":4,\"o\":{\"a\":1,\"b\":2}}}");
	expect_jp_error("{\"spec\":{\"replicas\":3}}",
			"[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":4}]",
			"testing value /spec/replicas failed");
	expect_jp_error("{}", "[{\"op\":\"test\",\"path\":\"/missing\",\"value\":null}]", "testing value /missing");
}

static void test_json_patch_whole_document(void **state)
{
	(void)state;
	expect_jp("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]", "{\"b\":2}");
	expect_jp("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[]}]", "[]");
}

static void test_json_patch_errors_name_the_path(void **state)
{
	(void)state;
	expect_jp_error("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/spec/foo\"}]",
			"remove operation does not apply: doc is missing path: \"/spec/foo\"");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]",
			"replace operation does not apply: doc is missing key: /b");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":1}]",
			"add operation does not apply: doc is missing path: \"/x/y\"");
	expect_jp_error("{\"l\":[1]}", "[{\"op\":\"add\",\"path\":\"/l/3\",\"value\":1}]", "invalid index");
	expect_jp_error("{\"l\":[1]}", "[{\"op\":\"add\",\"path\":\"/l/01\",\"value\":1}]", "invalid index");
	expect_jp_error("{\"l\":[1]}", "[{\"op\":\"remove\",\"path\":\"/l/-\"}]", "remove operation does not apply");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/b\"}]",
			"move operation does not apply: doc is missing from path: /nope");
	expect_jp_error("{\"a\":{}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", "is a child of");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"bogus\",\"path\":\"/a\"}]", "Unexpected kind: bogus");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"add\",\"value\":1}]", "missing the \"path\" field");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\"}]", "missing the \"value\" field");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"b\",\"value\":1}]", "must start with /");
	expect_jp_error("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/~2\",\"value\":1}]", "bad escape");
	expect_jp_error("{\"a\":1}", "{\"op\":\"add\"}", "must be an array");
}

static void test_json_patch_failure_leaves_input_untouched(void **state)
{
	cJSON *d = cJSON_Parse("{\"a\":1}");
	cJSON *p = cJSON_Parse("[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"remove\",\"path\":\"/zz\"}]");
	cJSON *out = (cJSON *)1;
	struct kerr e;
	char *s;

	(void)state;
	assert_int_equal(kpatch_json(d, p, &out, &e), KAIRN_EINVAL);
	assert_null(out);
	s = cJSON_PrintUnformatted(d);
	assert_string_equal(s, "{\"a\":1}");
	free(s);
	cJSON_Delete(d);
	cJSON_Delete(p);
}

static void test_merge_patch_null_deletes_and_objects_merge(void **state)
{
	cJSON *d = cJSON_Parse("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"l\":[1,2]}");
	cJSON *p = cJSON_Parse("{\"metadata\":{\"labels\":{\"a\":null,\"c\":\"3\"}},\"l\":[3],\"n\":{\"x\":null}}");
	cJSON *out = NULL;
	struct kerr e;
	char *s;

	(void)state;
	assert_int_equal(kpatch_merge(d, p, &out, &e), 0);
	s = cJSON_PrintUnformatted(out);
	assert_string_equal(s, "{\"metadata\":{\"labels\":{\"b\":\"2\",\"c\":\"3\"}},\"l\":[3],\"n\":{}}");
	free(s);
	cJSON_Delete(out);
	cJSON_Delete(d);
	cJSON_Delete(p);
}

static void test_kjson_equal_ignores_member_order_not_array_order(void **state)
{
	cJSON *a = cJSON_Parse("{\"x\":{\"p\":1,\"q\":[1,2]},\"y\":true}");
	cJSON *b = cJSON_Parse("{\"y\":true,\"x\":{\"q\":[1,2],\"p\":1.0}}");
	cJSON *c = cJSON_Parse("{\"y\":true,\"x\":{\"q\":[2,1],\"p\":1}}");
	cJSON *d = cJSON_Parse("{\"y\":true,\"x\":{\"q\":[1,2],\"p\":1,\"r\":null}}");

	(void)state;
	assert_true(kjson_equal(a, b));
	assert_false(kjson_equal(a, c));
	assert_false(kjson_equal(a, d));
	assert_false(kjson_equal(d, a));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(d);
}

static void test_kjson_equal_large_objects(void **state)
{
	cJSON *a = cJSON_CreateObject(), *b = cJSON_CreateObject();
	char k[32];

	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		cJSON_AddNumberToObject(a, k, i);
		snprintf(k, sizeof(k), "k%d", 1999 - i);
		cJSON_AddNumberToObject(b, k, 1999 - i);
	}
	assert_true(kjson_equal(a, b));
	cJSON_ReplaceItemInObjectCaseSensitive(b, "k7", cJSON_CreateNumber(8));
	assert_false(kjson_equal(a, b));
	cJSON_Delete(a);
	cJSON_Delete(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_patch_add_replace_remove),
		cmocka_unit_test(test_json_patch_replace_keeps_member_order),
		cmocka_unit_test(test_json_patch_array_insert_append_and_remove),
		cmocka_unit_test(test_json_patch_pointer_escapes),
		cmocka_unit_test(test_json_patch_move_and_copy),
		cmocka_unit_test(test_json_patch_test_op_passes_and_fails),
		cmocka_unit_test(test_json_patch_whole_document),
		cmocka_unit_test(test_json_patch_errors_name_the_path),
		cmocka_unit_test(test_json_patch_failure_leaves_input_untouched),
		cmocka_unit_test(test_merge_patch_null_deletes_and_objects_merge),
		cmocka_unit_test(test_kjson_equal_ignores_member_order_not_array_order),
		cmocka_unit_test(test_kjson_equal_large_objects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
