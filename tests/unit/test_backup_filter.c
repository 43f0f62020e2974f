/*
 * test_backup_filter.c — backup/filter: which namespaces and resource types
 * a backup takes, Velero's cluster-scoped rule and qualifying verbs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backup/filter.h"

static void test_namespace_include_exclude_globs(void **state)
{
	const char *inc[] = { "titan-*", "platform", NULL };
	const char *exc[] = { "titan-data", NULL };
	struct backup_filter f = { .include_namespaces = inc, .exclude_namespaces = exc,
				   .include_cluster_resources = -1 };
	struct backup_filter all = { .include_cluster_resources = -1 };

	(void)state;
	assert_true(backup_filter_namespace(&f, "titan-cells"));
	assert_true(backup_filter_namespace(&f, "platform"));
	assert_false(backup_filter_namespace(&f, "titan-data"));
	assert_false(backup_filter_namespace(&f, "detection"));
	assert_false(backup_filter_all_namespaces(&f));
	assert_true(backup_filter_namespace(&all, "anything"));
	assert_true(backup_filter_all_namespaces(&all));
}

static void test_cluster_scoped_only_when_all_namespaces_unless_told(void **state)
{
	const char *inc[] = { "shop", NULL };
	struct backup_filter some = { .include_namespaces = inc, .include_cluster_resources = -1 };
	struct backup_filter all = { .include_cluster_resources = -1 };

	(void)state;
	assert_true(backup_filter_resource(&all, "rbac.authorization.k8s.io", "clusterroles", "ClusterRole", 0));
	assert_false(backup_filter_resource(&some, "rbac.authorization.k8s.io", "clusterroles", "ClusterRole", 0));
	assert_true(backup_filter_resource(&some, "", "namespaces", "Namespace", 0));
	assert_true(backup_filter_resource(&some, "apps", "deployments", "Deployment", 1));
	some.include_cluster_resources = 1;
	assert_true(backup_filter_resource(&some, "rbac.authorization.k8s.io", "clusterroles", "ClusterRole", 0));
	all.include_cluster_resources = 0;
	assert_false(backup_filter_resource(&all, "storage.k8s.io", "storageclasses", "StorageClass", 0));
}

static void test_resource_names_plural_qualified_or_kind(void **state)
{
	const char *inc[] = { "deployments.apps", "ConfigMap", "secrets", NULL };
	const char *exc[] = { "secrets", NULL };
	struct backup_filter f = { .include_resources = inc, .exclude_resources = exc,
				   .include_cluster_resources = -1 };

	(void)state;
	assert_true(backup_filter_resource(&f, "apps", "deployments", "Deployment", 1));
	assert_true(backup_filter_resource(&f, "", "configmaps", "ConfigMap", 1));
	assert_false(backup_filter_resource(&f, "", "secrets", "Secret", 1));
	assert_false(backup_filter_resource(&f, "apps", "statefulsets", "StatefulSet", 1));
}

static void test_volume_snapshots_excluded_by_default(void **state)
{
	struct backup_filter f = { .include_cluster_resources = -1 };
	const char *inc[] = { "volumesnapshots.snapshot.storage.k8s.io", NULL };
	struct backup_filter explicit_ = { .include_resources = inc, .include_cluster_resources = -1 };

	(void)state;
	assert_false(backup_filter_resource(&f, "snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot", 1));
	assert_true(backup_filter_resource(&explicit_, "snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace_include_exclude_globs),
		cmocka_unit_test(test_cluster_scoped_only_when_all_namespaces_unless_told),
		cmocka_unit_test(test_resource_names_plural_qualified_or_kind),
		cmocka_unit_test(test_volume_snapshots_excluded_by_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
