/*
 * test_restore_plan.c — backup/restore_plan: Velero's restore order, the
 * items never restored, sanitising, per-kind restore actions, namespace
 * mapping and kairn's owned/GitOps skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "backup/restore_plan.h"
#include "util/jsonx.h"

static int cmp(const void *a, const void *b)
{
	return restore_order_cmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_restore_order_matches_velero_example(void **state)
{
	/* backup-format.md §9's worked example */
	const char *grs[] = { "widgets.example.com", "deployments.apps", "configmaps", "services",
			      "secrets", "serviceaccounts", "clusterroles.rbac.authorization.k8s.io",
			      "namespaces", "customresourcedefinitions.apiextensions.k8s.io" };
	const char *want[] = { "customresourcedefinitions.apiextensions.k8s.io", "namespaces",
			       "clusterroles.rbac.authorization.k8s.io", "serviceaccounts", "secrets",
			       "configmaps", "services", "deployments.apps", "widgets.example.com" };

	(void)state;
	qsort(grs, 9, sizeof(char *), cmp);
	for (int i = 0; i < 9; i++)
		assert_string_equal(grs[i], want[i]);
	assert_true(restore_rank("clusters.cluster.x-k8s.io") > restore_rank("zzz.example.com"));
}

static enum restore_skip verdict(const char *json, const char *gr, const struct restore_opts *o,
				 int (*owner)(const char *, void *))
{
	cJSON *obj = cJSON_Parse(json);
	enum restore_skip v;

	assert_non_null(obj);
	v = restore_item_verdict(obj, gr, o, owner, NULL);
	cJSON_Delete(obj);
	return v;
}

static int owner_is_rs1(const char *uid, void *ctx)
{
	(void)ctx;
	return strcmp(uid, "rs-1") == 0;
}

static void test_restore_skips_what_velero_never_restores(void **state)
{
	struct restore_opts o = { 0 };

	(void)state;
	assert_int_equal(verdict("{\"metadata\":{\"name\":\"n\"}}", "nodes", &o, NULL), RESTORE_SKIP_NEVER_RESTORED);
	assert_int_equal(verdict("{\"metadata\":{\"name\":\"e\"}}", "events", &o, NULL), RESTORE_SKIP_NEVER_RESTORED);
	assert_int_equal(verdict("{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Succeeded\"}}", "pods",
				 &o, NULL), RESTORE_SKIP_FINISHED);
	assert_int_equal(verdict("{\"metadata\":{\"name\":\"j\"},\"status\":{\"completionTime\":\"x\"}}",
				 "jobs.batch", &o, NULL), RESTORE_SKIP_FINISHED);
	assert_int_equal(verdict("{\"metadata\":{\"name\":\"c\"}}", "configmaps", &o, NULL), RESTORE_KEEP);
}

static void test_restore_skips_owned_unless_include_owned(void **state)
{
	const char *pod = "{\"metadata\":{\"name\":\"p\",\"ownerReferences\":[{\"uid\":\"rs-1\",\"controller\":true}]}}";
	const char *orphan = "{\"metadata\":{\"name\":\"p\",\"ownerReferences\":[{\"uid\":\"gone\",\"controller\":true}]}}";
	struct restore_opts o = { 0 };

	(void)state;
	assert_int_equal(verdict(pod, "pods", &o, owner_is_rs1), RESTORE_SKIP_OWNED);
	assert_int_equal(verdict(orphan, "pods", &o, owner_is_rs1), RESTORE_KEEP);
	o.include_owned = 1;
	assert_int_equal(verdict(pod, "pods", &o, owner_is_rs1), RESTORE_KEEP);
}

static void test_restore_skip_gitops_managed(void **state)
{
	const char *cm = "{\"metadata\":{\"name\":\"c\",\"labels\":{\"kairn.dev/source\":\"apps\"}}}";
	struct restore_opts o = { 0 };

	(void)state;
	assert_int_equal(verdict(cm, "configmaps", &o, NULL), RESTORE_KEEP);
	o.skip_gitops_managed = 1;
	assert_int_equal(verdict(cm, "configmaps", &o, NULL), RESTORE_SKIP_GITOPS);
}

static cJSON *sanitized(const char *json, const char *gr, const struct restore_opts *o)
{
	cJSON *obj = cJSON_Parse(json);
	struct kerr e;

	assert_non_null(obj);
	assert_int_equal(restore_sanitize(obj, gr, o, &e), 0);
	return obj;
}

static void test_sanitize_strips_server_fields_keeps_finalizers_and_managed_fields(void **state)
{
	struct restore_opts o = { .backup_name = "nightly", .restore_name = "r1" };
	cJSON *obj = sanitized("{\"metadata\":{\"name\":\"c\",\"namespace\":\"shop\",\"uid\":\"u\",\"resourceVersion\":\"5\","
			       "\"generation\":2,\"creationTimestamp\":\"t\",\"ownerReferences\":[],\"finalizers\":[\"f\"],"
			       "\"managedFields\":[{}]},\"data\":{\"a\":\"b\"},\"status\":{\"x\":1}}",
			       "configmaps", &o);

	(void)state;
	assert_null(jsonx_get(obj, "metadata.uid"));
	assert_null(jsonx_get(obj, "metadata.resourceVersion"));
	assert_null(jsonx_get(obj, "metadata.ownerReferences"));
	assert_null(jsonx_get(obj, "status"));
	assert_non_null(jsonx_get(obj, "metadata.finalizers"));
	assert_non_null(jsonx_get(obj, "metadata.managedFields"));
	assert_string_equal(cJSON_GetObjectItem(jsonx_get(obj, "metadata.labels"), "velero.io/backup-name")->valuestring,
			    "nightly");
	assert_string_equal(jsonx_str(obj, "data.a"), "b");
	cJSON_Delete(obj);
}

static void test_sanitize_service_clears_cluster_ip_and_node_ports(void **state)
{
	struct restore_opts o = { 0 };
	cJSON *svc = sanitized("{\"metadata\":{\"name\":\"s\"},\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.0.0.5\","
			       "\"clusterIPs\":[\"10.0.0.5\"],\"ports\":[{\"port\":80,\"nodePort\":30080}]}}",
			       "services", &o);
	cJSON *headless = sanitized("{\"metadata\":{\"name\":\"h\"},\"spec\":{\"clusterIP\":\"None\"}}", "services", &o);
	cJSON *kept = sanitized("{\"metadata\":{\"name\":\"k\",\"managedFields\":[{\"fieldsV1\":{\"f:spec\":{\"f:ports\":"
				"{\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\"f:nodePort\":{}}}}}}]},"
				"\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"nodePort\":30080}]}}",
				"services", &o);

	(void)state;
	assert_null(jsonx_get(svc, "spec.clusterIP"));
	assert_null(jsonx_get(svc, "spec.clusterIPs"));
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(jsonx_get(svc, "spec.ports"), 0), "nodePort"));
	assert_string_equal(jsonx_str(headless, "spec.clusterIP"), "None");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(jsonx_get(kept, "spec.ports"), 0), "nodePort"));
	cJSON_Delete(svc);
	cJSON_Delete(headless);
	cJSON_Delete(kept);
}

static void test_sanitize_maps_namespaces_and_binding_subjects(void **state)
{
	const char *const map[][2] = { { "shop", "shop-restored" } };
	struct restore_opts o = { .ns_map = map, .n_ns_map = 1 };
	cJSON *rb = sanitized("{\"metadata\":{\"name\":\"rb\",\"namespace\":\"shop\"},\"subjects\":[{\"kind\":"
			      "\"ServiceAccount\",\"name\":\"x\",\"namespace\":\"shop\"},{\"kind\":\"ServiceAccount\","
			      "\"name\":\"y\",\"namespace\":\"other\"}]}",
			      "rolebindings.rbac.authorization.k8s.io", &o);

	(void)state;
	assert_string_equal(jsonx_str(rb, "metadata.namespace"), "shop-restored");
	assert_string_equal(jsonx_str(cJSON_GetArrayItem(jsonx_get(rb, "subjects"), 0), "namespace"), "shop-restored");
	assert_string_equal(jsonx_str(cJSON_GetArrayItem(jsonx_get(rb, "subjects"), 1), "namespace"), "other");
	cJSON_Delete(rb);
}

static void test_sanitize_job_and_pod_actions(void **state)
{
	struct restore_opts o = { 0 };
	cJSON *job = sanitized("{\"metadata\":{\"name\":\"j\"},\"spec\":{\"selector\":{\"matchLabels\":{\"controller-uid\":\"u\"}},"
			       "\"template\":{\"metadata\":{\"labels\":{\"controller-uid\":\"u\",\"app\":\"m\"}}}}}",
			       "jobs.batch", &o);
	cJSON *pod = sanitized("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"nodeName\":\"n1\",\"priority\":5,"
			       "\"serviceAccountName\":\"sa\",\"volumes\":[{\"name\":\"sa-token-abc\"},{\"name\":\"data\"}],"
			       "\"containers\":[{\"name\":\"c\",\"volumeMounts\":[{\"name\":\"sa-token-abc\"}]}]}}",
			       "pods", &o);

	(void)state;
	assert_null(jsonx_get(job, "spec.selector.matchLabels.controller-uid"));
	assert_string_equal(jsonx_str(job, "spec.template.metadata.labels.app"), "m");
	assert_string_equal(jsonx_str(pod, "spec.nodeName"), "");
	assert_null(jsonx_get(pod, "spec.priority"));
	assert_int_equal(cJSON_GetArraySize(jsonx_get(pod, "spec.volumes")), 1);
	cJSON_Delete(job);
	cJSON_Delete(pod);
}

static void test_long_restore_names_are_hashed_to_63(void **state)
{
	char v[64];
	char longname[100];

	(void)state;
	memset(longname, 'a', 80);
	longname[80] = '\0';
	restore_label_value(longname, v);
	assert_int_equal(strlen(v), 63);
	assert_memory_equal(v, longname, 57);
	restore_label_value("short", v);
	assert_string_equal(v, "short");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_order_matches_velero_example),
		cmocka_unit_test(test_restore_skips_what_velero_never_restores),
		cmocka_unit_test(test_restore_skips_owned_unless_include_owned),
		cmocka_unit_test(test_restore_skip_gitops_managed),
		cmocka_unit_test(test_sanitize_strips_server_fields_keeps_finalizers_and_managed_fields),
		cmocka_unit_test(test_sanitize_service_clears_cluster_ip_and_node_ports),
		cmocka_unit_test(test_sanitize_maps_namespaces_and_binding_subjects),
		cmocka_unit_test(test_sanitize_job_and_pod_actions),
		cmocka_unit_test(test_long_restore_names_are_hashed_to_63),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
