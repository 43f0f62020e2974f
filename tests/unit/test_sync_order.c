/*
 * test_sync_order.c — agent/sync/order and agent/sync/guard: apply order,
 * sync waves and prune guards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sync/guard.h"
#include "sync/order.h"

static void test_kind_ranks_follow_dependencies(void **state)
{
	(void)state;
	assert_true(sync_kind_rank("apiextensions.k8s.io", "CustomResourceDefinition") <
		    sync_kind_rank("", "Namespace"));
	assert_true(sync_kind_rank("", "Namespace") < sync_kind_rank("rbac.authorization.k8s.io", "ClusterRole"));
	assert_true(sync_kind_rank("rbac.authorization.k8s.io", "ClusterRole") <
		    sync_kind_rank("", "ConfigMap"));
	assert_true(sync_kind_rank("", "Secret") < sync_kind_rank("", "Service"));
	assert_true(sync_kind_rank("", "Service") < sync_kind_rank("apps", "Deployment"));
	assert_true(sync_kind_rank("apps", "StatefulSet") <
		    sync_kind_rank("autoscaling", "HorizontalPodAutoscaler"));
	/* same kind name in another group is not the built-in */
	assert_int_equal(sync_kind_rank("example.com", "Deployment"), SYNC_RANK_OTHER);
}

static int wave(const char *json, struct kerr *e)
{
	cJSON *o = cJSON_Parse(json);
	int w = -999, rc;

	assert_non_null(o);
	rc = sync_wave_of(o, &w, e);
	cJSON_Delete(o);
	return rc ? rc : w;
}

static void test_sync_wave_from_either_annotation(void **state)
{
	struct kerr e;

	(void)state;
	assert_int_equal(wave("{\"metadata\":{}}", &e), 0);
	assert_int_equal(wave("{\"metadata\":{\"annotations\":{\"kairn.dev/sync-wave\":\"-2\"}}}", &e), -2);
	assert_int_equal(wave("{\"metadata\":{\"annotations\":{\"argocd.argoproj.io/sync-wave\":\"5\"}}}", &e), 5);
}

static void test_sync_wave_rejects_garbage_naming_the_annotation(void **state)
{
	struct kerr e;

	(void)state;
	assert_int_equal(wave("{\"metadata\":{\"annotations\":{\"kairn.dev/sync-wave\":\"one\"}}}", &e),
			 KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "kairn.dev/sync-wave"));
	assert_non_null(strstr(e.msg, "\"one\""));
	assert_int_equal(wave("{\"metadata\":{\"annotations\":{\"kairn.dev/sync-wave\":\"1\","
			      "\"argocd.argoproj.io/sync-wave\":\"2\"}}}", &e), KAIRN_EINVAL);
}

static void test_order_puts_crds_and_namespaces_before_every_wave(void **state)
{
	struct sync_order_key crd = { 0, 5, SYNC_RANK_CRD, NULL, "a" };
	struct sync_order_key ns = { 0, 0, SYNC_RANK_NAMESPACE, NULL, "b" };
	struct sync_order_key cm_early = { 1, -1, SYNC_RANK_NAMESPACED_CONFIG, "x", "c" };
	struct sync_order_key dep = { 1, -1, SYNC_RANK_WORKLOAD, "x", "d" };
	struct sync_order_key cm = { 1, 0, SYNC_RANK_NAMESPACED_CONFIG, "x", "e" };

	(void)state;
	assert_true(sync_order_cmp(&crd, &ns) < 0);
	assert_true(sync_order_cmp(&ns, &cm_early) < 0);
	assert_true(sync_order_cmp(&cm_early, &dep) < 0);
	assert_true(sync_order_cmp(&dep, &cm) < 0);
	assert_int_equal(sync_order_cmp(&cm, &cm), 0);
}

static enum prune_verdict verdict(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	enum prune_verdict v;

	assert_non_null(o);
	v = prune_guard_object(o, "apps");
	cJSON_Delete(o);
	return v;
}

static void test_prune_never_touches_system_namespaces(void **state)
{
	(void)state;
	assert_int_equal(verdict("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
				 "\"kube-system\",\"labels\":{\"kairn.dev/source\":\"apps\"}}}"),
			 PRUNE_SKIP_SYSTEM_NAMESPACE);
	assert_int_equal(verdict("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
				 "\"shop\",\"labels\":{\"kairn.dev/source\":\"apps\"}}}"),
			 PRUNE_OK);
}

static void test_prune_respects_keep_annotations_of_three_tools(void **state)
{
	(void)state;
	assert_int_equal(verdict("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"labels\":{\"kairn.dev/source\":"
				 "\"apps\"},\"annotations\":{\"kairn.dev/prune\":\"disabled\"}}}"),
			 PRUNE_SKIP_ANNOTATED);
	assert_int_equal(verdict("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"labels\":{\"kairn.dev/source\":"
				 "\"apps\"},\"annotations\":{\"argocd.argoproj.io/sync-options\":\"Validate=false, Prune=false\"}}}"),
			 PRUNE_SKIP_ANNOTATED);
	assert_int_equal(verdict("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"labels\":{\"kairn.dev/source\":"
				 "\"apps\"},\"annotations\":{\"helm.sh/resource-policy\":\"keep\"}}}"),
			 PRUNE_SKIP_ANNOTATED);
}

static void test_prune_skips_objects_not_labelled_for_this_source(void **state)
{
	(void)state;
	assert_int_equal(verdict("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"}}"), PRUNE_SKIP_NOT_OURS);
	assert_int_equal(verdict("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"labels\":{\"kairn.dev/source\":"
				 "\"other\"}}}"), PRUNE_SKIP_NOT_OURS);
}

static void test_prune_refuses_empty_desired_set(void **state)
{
	struct kerr e;

	(void)state;
	assert_int_equal(prune_guard_set(0, 10, 10, NULL, &e), KAIRN_EGUARD);
	assert_non_null(strstr(e.msg, "--force-prune"));
	struct prune_limits force = { .force = 1 };
	assert_int_equal(prune_guard_set(0, 10, 10, &force, &e), 0);
}

static void test_prune_refuses_more_than_max_fraction(void **state)
{
	struct kerr e;
	struct prune_limits lim = { .max_fraction = 0.5 };

	(void)state;
	assert_int_equal(prune_guard_set(4, 10, 5, &lim, &e), 0);
	assert_int_equal(prune_guard_set(4, 10, 6, &lim, &e), KAIRN_EGUARD);
	assert_non_null(strstr(e.msg, "6 of 10"));
	assert_int_equal(prune_guard_set(4, 10, 0, &lim, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_ranks_follow_dependencies),
		cmocka_unit_test(test_sync_wave_from_either_annotation),
		cmocka_unit_test(test_sync_wave_rejects_garbage_naming_the_annotation),
		cmocka_unit_test(test_order_puts_crds_and_namespaces_before_every_wave),
		cmocka_unit_test(test_prune_never_touches_system_namespaces),
		cmocka_unit_test(test_prune_respects_keep_annotations_of_three_tools),
		cmocka_unit_test(test_prune_skips_objects_not_labelled_for_this_source),
		cmocka_unit_test(test_prune_refuses_empty_desired_set),
		cmocka_unit_test(test_prune_refuses_more_than_max_fraction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
