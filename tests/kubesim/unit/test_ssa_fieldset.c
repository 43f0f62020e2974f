/*
 * test_ssa_fieldset.c — the FieldsV1 set algebra under server-side apply:
 * parsing, the apiserver's element order, conflict path rendering, union,
 * subtraction and intersection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "patch/fieldset.h"
#include "util/buf.h"

static struct kfset *parse_set(const char *json)
{
	cJSON *j = cJSON_Parse(json);
	struct kfset *s;

	assert_non_null(j);
	s = kfset_from_json(j);
	assert_non_null(s);
	cJSON_Delete(j);
	return s;
}

static int collect(const char *path, void *arg)
{
	struct kbuf *b = arg;

	return kbuf_puts(b, path) || kbuf_putc(b, '|');
}

static void assert_paths(const struct kfset *s, const char *want)
{
	struct kbuf b = { 0 };

	assert_int_equal(kbuf_puts(&b, ""), 0);
	assert_int_equal(kfset_each_path(s, collect, &b), 0);
	assert_string_equal(b.data ? b.data : "", want);
	kbuf_free(&b);
}

static void assert_set_json(const struct kfset *s, const char *want)
{
	cJSON *j = kfset_to_json(s);
	char *got = cJSON_PrintUnformatted(j);

	assert_string_equal(got, want);
	free(got);
	cJSON_Delete(j);
}

static void test_fieldset_paths_render_like_conflict_fields(void **state)
{
	struct kfset *s = parse_set(
		"{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":"
		"{\".\":{},\"f:image\":{},\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{}}}}}},"
		"\"f:replicas\":{},\"f:args\":{\"i:10\":{},\"i:3\":{}}},"
		"\"f:metadata\":{\"f:finalizers\":{\"v:\\\"x\\\"\":{}}}}");

	(void)state;
	/* Members of a node before its children's; fields sort before keys,
	 * values and indexes; indexes numerically. */
	assert_paths(s, ".metadata.finalizers[=\"x\"]|.spec.replicas|.spec.args[3]|.spec.args[10]|"
			".spec.template.spec.containers[name=\"web\"]|"
			".spec.template.spec.containers[name=\"web\"].image|"
			".spec.template.spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"]|");
	kfset_free(s);
}

static void test_fieldset_serialises_sorted_with_dot_for_owned_parents(void **state)
{
	struct kfset *s = parse_set("{\"f:b\":{},\"k:{\\\"a\\\":1}\":{},\"f:a\":{\".\":{},\"f:z\":{},\"f:y\":{}}}");

	(void)state;
	assert_set_json(s, "{\"f:a\":{\".\":{},\"f:y\":{},\"f:z\":{}},\"f:b\":{},\"k:{\\\"a\\\":1}\":{}}");
	kfset_free(s);
}

static void test_fieldset_union_subtract_intersect(void **state)
{
	struct kfset *a = parse_set("{\"f:spec\":{\"f:replicas\":{},\"f:paused\":{}}}");
	struct kfset *b = parse_set("{\"f:spec\":{\"f:replicas\":{},\"f:x\":{\".\":{},\"f:y\":{}}}}");
	struct kfset *i = NULL;

	(void)state;
	assert_int_equal(kfset_intersect(a, b, &i), 0);
	assert_set_json(i, "{\"f:spec\":{\"f:replicas\":{}}}");
	assert_int_equal(kfset_union(a, b), 0);
	assert_set_json(a, "{\"f:spec\":{\"f:paused\":{},\"f:replicas\":{},\"f:x\":{\".\":{},\"f:y\":{}}}}");
	kfset_subtract(a, i, 0);
	assert_set_json(a, "{\"f:spec\":{\"f:paused\":{},\"f:x\":{\".\":{},\"f:y\":{}}}}");
	kfset_free(i);
	i = parse_set("{\"f:spec\":{\"f:x\":{}}}");
	kfset_subtract(a, i, 0); /* exact: x's child stays */
	assert_set_json(a, "{\"f:spec\":{\"f:paused\":{},\"f:x\":{\"f:y\":{}}}}");
	kfset_subtract(a, i, 1); /* recursive: everything under x goes */
	assert_set_json(a, "{\"f:spec\":{\"f:paused\":{}}}");
	assert_false(kfset_empty(a));
	kfset_free(i);
	i = parse_set("{\"f:spec\":{\"f:paused\":{}}}");
	kfset_subtract(a, i, 0);
	assert_true(kfset_empty(a));
	assert_set_json(a, "{}");
	kfset_free(i);
	kfset_free(a);
	kfset_free(b);
}

static void test_fieldset_many_children_use_the_index(void **state)
{
	struct kfset *s = kfset_new(), *t = kfset_new();
	char name[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "f:k%d", i);
		kfset_add(s, name)->member = 1;
		if (i % 2)
			kfset_add(t, name)->member = 1;
	}
	assert_non_null(kfset_get(s, "f:k999"));
	kfset_subtract(s, t, 0);
	assert_null(kfset_get(s, "f:k999"));
	assert_non_null(kfset_get(s, "f:k998"));
	assert_int_equal((int)s->n, 500);
	assert_false(kfset_equal(s, t));
	kfset_free(s);
	kfset_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fieldset_paths_render_like_conflict_fields),
		cmocka_unit_test(test_fieldset_serialises_sorted_with_dot_for_owned_parents),
		cmocka_unit_test(test_fieldset_union_subtract_intersect),
		cmocka_unit_test(test_fieldset_many_children_use_the_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
