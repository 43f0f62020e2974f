/*
 * test_sync_diff.c — agent/sync/diff: one-sided semantic comparison of the
 * object Git wants against the live object, and quantities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sync/diff.h"
#include "sync/quantity.h"

static int differs(const char *desired, const char *live, const struct sync_diff_opts *o)
{
	cJSON *d = cJSON_Parse(desired), *l = cJSON_Parse(live);
	struct sync_diff_result r;
	int rc;

	assert_non_null(d);
	assert_non_null(l);
	rc = sync_diff(d, l, o, &r);
	assert_true(rc >= 0);
	assert_int_equal(rc, r.differs);
	sync_diff_result_free(&r);
	cJSON_Delete(d);
	cJSON_Delete(l);
	return rc;
}

static void test_diff_ignores_server_defaults_and_status(void **state)
{
	(void)state;
	assert_int_equal(differs(
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\"}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"uid\":\"u\","
		"\"resourceVersion\":\"9\",\"labels\":{\"x\":\"y\"}},\"data\":{\"a\":\"1\"},\"status\":{}}",
		NULL), 0);
}

static void test_diff_sees_changed_scalar_with_path(void **state)
{
	cJSON *d = cJSON_Parse("{\"spec\":{\"replicas\":3}}");
	cJSON *l = cJSON_Parse("{\"spec\":{\"replicas\":5}}");
	struct sync_diff_result r;

	(void)state;
	assert_int_equal(sync_diff(d, l, NULL, &r), 1);
	assert_int_equal(r.n_paths, 1);
	assert_non_null(strstr(r.paths.data, "/spec/replicas: 3 -> 5"));
	sync_diff_result_free(&r);
	cJSON_Delete(d);
	cJSON_Delete(l);
}

static void test_diff_normalises_quantities_and_int_string_ports(void **state)
{
	(void)state;
	assert_int_equal(differs("{\"r\":{\"cpu\":\"500m\",\"memory\":\"1Gi\",\"n\":1}}",
				 "{\"r\":{\"cpu\":0.5,\"memory\":\"1024Mi\",\"n\":\"1\"}}", NULL), 0);
	assert_int_equal(differs("{\"targetPort\":\"8080\"}", "{\"targetPort\":8080}", NULL), 0);
	assert_int_equal(differs("{\"r\":{\"cpu\":\"500m\"}}", "{\"r\":{\"cpu\":\"501m\"}}", NULL), 1);
	assert_int_equal(differs("{\"name\":\"http\"}", "{\"name\":\"https\"}", NULL), 1);
}

static void test_diff_keyed_list_tolerates_injected_sidecar(void **state)
{
	(void)state;
	assert_int_equal(differs(
		"{\"containers\":[{\"name\":\"app\",\"image\":\"a:1\"}]}",
		"{\"containers\":[{\"name\":\"istio-proxy\",\"image\":\"p\"},"
		"{\"name\":\"app\",\"image\":\"a:1\",\"imagePullPolicy\":\"IfNotPresent\"}]}", NULL), 0);
	assert_int_equal(differs(
		"{\"containers\":[{\"name\":\"app\",\"image\":\"a:2\"}]}",
		"{\"containers\":[{\"name\":\"app\",\"image\":\"a:1\"}]}", NULL), 1);
}

static void test_diff_ports_keyed_by_port_and_protocol(void **state)
{
	(void)state;
	assert_int_equal(differs("{\"ports\":[{\"port\":53,\"protocol\":\"UDP\"}]}",
				 "{\"ports\":[{\"port\":53,\"protocol\":\"TCP\"}]}", NULL), 1);
	assert_int_equal(differs("{\"ports\":[{\"port\":80}]}",
				 "{\"ports\":[{\"port\":443,\"protocol\":\"TCP\"},{\"port\":80,\"protocol\":\"TCP\"}]}",
				 NULL), 0);
}

static void test_diff_atomic_list_must_match_length(void **state)
{
	(void)state;
	assert_int_equal(differs("{\"args\":[\"a\"]}", "{\"args\":[\"a\",\"b\"]}", NULL), 1);
	assert_int_equal(differs("{\"args\":[\"a\",\"b\"]}", "{\"args\":[\"a\",\"b\"]}", NULL), 0);
}

static void test_diff_empty_and_null_mean_no_opinion(void **state)
{
	(void)state;
	assert_int_equal(differs("{\"metadata\":{\"annotations\":{}},\"spec\":{\"x\":null}}",
				 "{\"metadata\":{},\"spec\":{\"x\":5}}", NULL), 0);
	assert_int_equal(differs("{\"data\":{\"a\":\"1\"}}", "{}", NULL), 1);
}

static void test_diff_ignore_paths_skip_fields(void **state)
{
	const char *ign[] = { "/spec/replicas", "/metadata/annotations/x" };
	struct sync_diff_opts o = { .ignore_paths = ign, .n_ignore_paths = 2 };

	(void)state;
	assert_int_equal(differs("{\"metadata\":{\"annotations\":{\"x\":\"1\"}},\"spec\":{\"replicas\":2}}",
				 "{\"metadata\":{\"annotations\":{\"x\":\"2\"}},\"spec\":{\"replicas\":7}}", &o), 0);
	assert_int_equal(differs("{\"spec\":{\"replicas\":2,\"paused\":true}}",
				 "{\"spec\":{\"replicas\":7,\"paused\":false}}", &o), 1);
}

static void test_diff_field_dropped_from_git_that_we_applied_is_a_change(void **state)
{
	struct sync_diff_opts o = { .manager = "kairn" };
	const char *live =
		"{\"metadata\":{\"name\":\"c\",\"managedFields\":[{\"manager\":\"kairn\",\"operation\":\"Apply\","
		"\"fieldsV1\":{\"f:data\":{\"f:a\":{},\"f:b\":{}},\"f:spec\":{\"f:containers\":"
		"{\"k:{\\\"name\\\":\\\"app\\\"}\":{\".\":{},\"f:image\":{}}}}}},"
		"{\"manager\":\"hpa\",\"operation\":\"Update\",\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{}}}}]},"
		"\"data\":{\"a\":\"1\",\"b\":\"2\"},\"spec\":{\"replicas\":4,\"containers\":[{\"name\":\"app\",\"image\":\"i\"}]}}";

	(void)state;
	/* Git still has everything kairn applied: no change, replicas owned by another manager. */
	assert_int_equal(differs("{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"spec\":{\"containers\":"
				 "[{\"name\":\"app\",\"image\":\"i\"}]}}", live, &o), 0);
	/* Git dropped data.b: applying again must remove it. */
	assert_int_equal(differs("{\"data\":{\"a\":\"1\"},\"spec\":{\"containers\":"
				 "[{\"name\":\"app\",\"image\":\"i\"}]}}", live, &o), 1);
	/* Git dropped the container kairn applied. */
	assert_int_equal(differs("{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"spec\":{\"containers\":"
				 "[{\"name\":\"other\",\"image\":\"i\"}]}}", live, &o), 1);
	/* Without a manager, dropped fields are not looked at. */
	assert_int_equal(differs("{\"data\":{\"a\":\"1\"}}", live, NULL), 0);
}

static void test_ignore_paths_annotation_is_split(void **state)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"annotations\":{\"kairn.dev/ignore-paths\":"
			       "\" /spec/replicas, /metadata/annotations/x,\"}}}");
	char **paths;

	(void)state;
	assert_int_equal(sync_ignore_paths_of(o, &paths), 2);
	assert_string_equal(paths[0], "/spec/replicas");
	assert_string_equal(paths[1], "/metadata/annotations/x");
	assert_null(paths[2]);
	free(paths[0]);
	free(paths[1]);
	free(paths);
	cJSON_Delete(o);
}

static void test_quantity_parse(void **state)
{
	__int128 a, b;

	(void)state;
	assert_int_equal(quantity_parse("1Gi", &a), 0);
	assert_int_equal(quantity_parse("1073741824", &b), 0);
	assert_true(a == b);
	assert_int_equal(quantity_parse("1.5", &a), 0);
	assert_int_equal(quantity_parse("1500m", &b), 0);
	assert_true(a == b);
	assert_int_equal(quantity_parse("2e3", &a), 0);
	assert_int_equal(quantity_parse("2k", &b), 0);
	assert_true(a == b);
	assert_int_equal(quantity_parse("abc", &a), -1);
	assert_int_equal(quantity_parse("1Gb", &a), -1);
	assert_int_equal(quantity_parse("", &a), -1);
	assert_int_equal(quantity_parse("1e400", &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_ignores_server_defaults_and_status),
		cmocka_unit_test(test_diff_sees_changed_scalar_with_path),
		cmocka_unit_test(test_diff_normalises_quantities_and_int_string_ports),
		cmocka_unit_test(test_diff_keyed_list_tolerates_injected_sidecar),
		cmocka_unit_test(test_diff_ports_keyed_by_port_and_protocol),
		cmocka_unit_test(test_diff_atomic_list_must_match_length),
		cmocka_unit_test(test_diff_empty_and_null_mean_no_opinion),
		cmocka_unit_test(test_diff_ignore_paths_skip_fields),
		cmocka_unit_test(test_diff_field_dropped_from_git_that_we_applied_is_a_change),
		cmocka_unit_test(test_ignore_paths_annotation_is_split),
		cmocka_unit_test(test_quantity_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
