/*
 * test_inventory.c — agent/sync/inventory: the ConfigMap that remembers what
 * a source applied, plain and gzip+base64, and its refusal of corrupt data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/inventory.h"
#include "util/jsonx.h"

static void round_trip(size_t n, int expect_gzip)
{
	struct inventory inv = { .commit = "abc123", .synced_at = "2026-01-01T00:00:00Z",
				 .desired_hash = "ff" };
	struct inventory back;
	struct kerr e;
	cJSON *cm;

	inv.keys = calloc(n, sizeof(char *));
	inv.n = n;
	for (size_t i = 0; i < n; i++) {
		inv.keys[i] = malloc(80);
		/* reverse order: the encoder must sort */
		snprintf(inv.keys[i], 80, "apps/StatefulSet/titan-cells/cell-%06zu", n - i);
	}
	assert_int_equal(inventory_to_configmap(&inv, "commerce", "kairn-system", &cm, &e), 0);
	assert_string_equal(jsonx_str(cm, "metadata.name"), "kairn-inventory-commerce");
	assert_int_equal(jsonx_get(cm, "binaryData") != NULL, expect_gzip);
	assert_int_equal(inventory_from_configmap(cm, &back, &e), 0);
	assert_int_equal(back.n, n);
	assert_string_equal(back.commit, "abc123");
	assert_int_equal(inventory_contains(&back, "apps/StatefulSet/titan-cells/cell-000001"), n > 0);
	assert_false(inventory_contains(&back, "apps/StatefulSet/titan-cells/cell-999999"));
	for (size_t i = 1; i < back.n; i++)
		assert_true(strcmp(back.keys[i - 1], back.keys[i]) < 0);
	inventory_free(&back);
	cJSON_Delete(cm);
	for (size_t i = 0; i < n; i++)
		free(inv.keys[i]);
	free(inv.keys);
}

static void test_inventory_small_is_plain_text(void **state)
{
	(void)state;
	round_trip(10, 0);
}

static void test_inventory_large_is_gzipped(void **state)
{
	(void)state;
	round_trip(5000, 1);
}

static void test_inventory_empty_round_trips(void **state)
{
	(void)state;
	round_trip(0, 0);
}

static void test_inventory_rejects_bad_source_name(void **state)
{
	char name[300];
	struct kerr e;

	(void)state;
	assert_int_equal(inventory_name("Bad_Name", name, sizeof(name), &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "Bad_Name"));
	assert_int_equal(inventory_name("apps", name, sizeof(name), &e), 0);
}

static void test_corrupt_inventory_is_an_error_not_empty(void **state)
{
	static const char *const bad[] = {
		"{\"data\":{}}",
		"{\"data\":{\"objects\":\"b/K/n/x\\na/K/n/y\\n\"}}", /* unsorted */
		"{\"data\":{\"objects\":\"a/K/n/x\"}}",             /* truncated line */
		"{\"data\":{\"objects\":\"nokey\\n\"}}",
		"{\"binaryData\":{\"objects.gz\":\"!!!\"}}",
		"{\"binaryData\":{\"objects.gz\":\"aGVsbG8=\"}}",     /* base64, not gzip */
	};
	struct inventory inv;
	struct kerr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *cm = cJSON_Parse(bad[i]);

		assert_non_null(cm);
		assert_int_equal(inventory_from_configmap(cm, &inv, &e), KAIRN_EPARSE);
		assert_non_null(strstr(e.msg, "inventory"));
		cJSON_Delete(cm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_small_is_plain_text),
		cmocka_unit_test(test_inventory_large_is_gzipped),
		cmocka_unit_test(test_inventory_empty_round_trips),
		cmocka_unit_test(test_inventory_rejects_bad_source_name),
		cmocka_unit_test(test_corrupt_inventory_is_an_error_not_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
