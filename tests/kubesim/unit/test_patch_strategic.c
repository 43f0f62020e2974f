/*
 * test_patch_strategic.c — strategic merge patch: merge keys per built-in
 * type, null deletes, and the $-directives kubectl (and hand-written
 * patches) send. JSON below is written with ' for " to stay readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "patch/patch.h"
#include "quoted_json.h"

/* Runs a strategic patch; returns compact JSON of the result with " shown
 * as ' (caller frees), or NULL with *rc and e set. */
static char *smp(const char *group, const char *kind, const char *doc, const char *patch, int *rc, struct kerr *e)
{
	cJSON *d = parse_q(doc), *p = parse_q(patch), *out = NULL;
	char *before = cJSON_PrintUnformatted(d), *after, *s = NULL;

	kerr_clear(e);
	*rc = kpatch_strategic(d, p, group, kind, &out, e);
	after = cJSON_PrintUnformatted(d);
	assert_string_equal(before, after); /* the input is never modified */
	if (*rc == 0) {
		s = cJSON_PrintUnformatted(out);
		for (char *q = s; *q; q++)
			if (*q == '"')
				*q = '\'';
	} else {
		assert_null(out);
	}
	free(before);
	free(after);
	cJSON_Delete(out);
	cJSON_Delete(d);
	cJSON_Delete(p);
	return s;
}

static void expect_smp(const char *group, const char *kind, const char *doc, const char *patch, const char *want)
{
	struct kerr e;
	int rc;
	char *got = smp(group, kind, doc, patch, &rc, &e);

	if (rc)
		fail_msg("unexpected error: %s", e.msg);
	assert_string_equal(got, want);
	free(got);
}

static void expect_smp_error(const char *group, const char *kind, const char *doc, const char *patch, int code,
			     const char *msg_part)
{
	struct kerr e;
	int rc;
	char *got = smp(group, kind, doc, patch, &rc, &e);

	assert_null(got);
	assert_int_equal(rc, code);
	if (!strstr(e.msg, msg_part))
		fail_msg("message '%s' lacks '%s'", e.msg, msg_part);
}

#define DEPLOY_TWO_CONTAINERS                                                                                  \
	"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"        \
	"'spec':{'replicas':2,'template':{'spec':{'containers':["                                               \
	"{'name':'web','image':'nginx:1','ports':[{'containerPort':80}]},"                                    \
	"{'name':'side','image':'busybox:1','args':['a','b']}]}}}}"

static void test_strategic_deployment_changes_one_image_of_two_containers(void **state)
{
	(void)state;
	/* What kubectl apply (client side) sends after editing one image. */
	expect_smp("apps", "Deployment", DEPLOY_TWO_CONTAINERS,
		   "{'spec':{'template':{'spec':{'$setElementOrder/containers':[{'name':'web'},{'name':'side'}],"
		   "'containers':[{'image':'busybox:2','name':'side'}]}}}}",
		   "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
		   "'spec':{'replicas':2,'template':{'spec':{'containers':["
		   "{'name':'web','image':'nginx:1','ports':[{'containerPort':80}]},"
		   "{'name':'side','image':'busybox:2','args':['a','b']}]}}}}");
}

static void test_strategic_null_deletes_and_new_container_appends(void **state)
{
	(void)state;
	expect_smp("apps", "Deployment", DEPLOY_TWO_CONTAINERS,
		   "{'metadata':{'labels':{'app':null,'tier':'fe'}},'spec':{'replicas':null,"
		   "'template':{'spec':{'containers':[{'name':'new','image':'x'},{'name':'web','ports':null}]}}}}",
		   "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'tier':'fe'}},"
		   "'spec':{'template':{'spec':{'containers':["
		   "{'name':'web','image':'nginx:1'},"
		   "{'name':'side','image':'busybox:1','args':['a','b']},{'name':'new','image':'x'}]}}}}");
}

static void test_strategic_list_without_merge_key_is_replaced(void **state)
{
	(void)state;
	expect_smp("apps", "Deployment", DEPLOY_TWO_CONTAINERS,
		   "{'spec':{'template':{'spec':{'containers':[{'name':'side','args':['c']}],"
		   "'tolerations':[{'key':'k','operator':'Exists'}]}}}}",
		   "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
		   "'spec':{'replicas':2,'template':{'spec':{'containers':["
		   "{'name':'web','image':'nginx:1','ports':[{'containerPort':80}]},"
		   "{'name':'side','image':'busybox:1','args':['c']}],"
		   "'tolerations':[{'key':'k','operator':'Exists'}]}}}}");
}

static void test_strategic_nested_keyed_lists_env_ports_mounts(void **state)
{
	(void)state;
	expect_smp("", "Pod",
		   "{'spec':{'containers':[{'name':'c','env':[{'name':'A','value':'1'},{'name':'B','value':'2'}],"
		   "'ports':[{'containerPort':80,'name':'http'}],"
		   "'volumeMounts':[{'mountPath':'/d','name':'data'}]}],"
		   "'volumes':[{'name':'data','emptyDir':{}}]}}",
		   "{'spec':{'containers':[{'name':'c','env':[{'name':'B','value':'3'},{'name':'C','value':'4'}],"
		   "'ports':[{'containerPort':80,'name':'web'},{'containerPort':443}],"
		   "'volumeMounts':[{'mountPath':'/d','readOnly':true}]}],"
		   "'volumes':[{'name':'cfg','configMap':{'name':'x'}}]}}",
		   "{'spec':{'containers':[{'name':'c','env':[{'name':'A','value':'1'},{'name':'B','value':'3'},"
		   "{'name':'C','value':'4'}],'ports':[{'containerPort':80,'name':'web'},{'containerPort':443}],"
		   "'volumeMounts':[{'mountPath':'/d','name':'data','readOnly':true}]}],"
		   "'volumes':[{'name':'data','emptyDir':{}},{'name':'cfg','configMap':{'name':'x'}}]}}");
}

static void test_strategic_service_ports_by_port_and_conditions_by_type(void **state)
{
	(void)state;
	expect_smp("", "Service",
		   "{'spec':{'ports':[{'port':80,'targetPort':8080},{'port':443}]},"
		   "'status':{'conditions':[{'type':'A','status':'False'},{'type':'B','status':'True'}]}}",
		   "{'spec':{'ports':[{'port':80,'targetPort':9090}]},"
		   "'status':{'conditions':[{'type':'A','status':'True'}]}}",
		   "{'spec':{'ports':[{'port':80,'targetPort':9090},{'port':443}]},"
		   "'status':{'conditions':[{'type':'A','status':'True'},{'type':'B','status':'True'}]}}");
}

static void test_strategic_owner_references_by_uid_and_finalizers_as_set(void **state)
{
	(void)state;
	expect_smp("", "ConfigMap",
		   "{'metadata':{'finalizers':['a','b'],'ownerReferences':[{'uid':'1','name':'x'}]},"
		   "'data':{'k':'v'}}",
		   "{'metadata':{'finalizers':['b','c'],'ownerReferences':[{'uid':'2','name':'y'}]},"
		   "'data':{'k2':'v2'}}",
		   "{'metadata':{'finalizers':['a','b','c'],'ownerReferences':[{'uid':'1','name':'x'},"
		   "{'uid':'2','name':'y'}]},'data':{'k':'v','k2':'v2'}}");
}

static void test_strategic_delete_from_primitive_list(void **state)
{
	(void)state;
	expect_smp("", "ConfigMap", "{'metadata':{'finalizers':['a','b','c']}}",
		   "{'metadata':{'$deleteFromPrimitiveList/finalizers':['a','c'],'finalizers':['d']}}",
		   "{'metadata':{'finalizers':['b','d']}}");
	expect_smp("", "ConfigMap", "{'metadata':{'finalizers':['a','b']}}",
		   "{'metadata':{'$deleteFromPrimitiveList/finalizers':['b']}}", "{'metadata':{'finalizers':['a']}}");
}

static void test_strategic_set_element_order_reorders_containers(void **state)
{
	(void)state;
	expect_smp("", "Pod", "{'spec':{'containers':[{'name':'a'},{'name':'b'},{'name':'c'}]}}",
		   "{'spec':{'$setElementOrder/containers':[{'name':'c'},{'name':'a'},{'name':'b'}],"
		   "'containers':[{'name':'c','image':'x'}]}}",
		   "{'spec':{'containers':[{'name':'c','image':'x'},{'name':'a'},{'name':'b'}]}}");
	/* The order alone, without the list itself, also reorders. */
	expect_smp("", "Pod", "{'spec':{'containers':[{'name':'a'},{'name':'b'}]}}",
		   "{'spec':{'$setElementOrder/containers':[{'name':'b'},{'name':'a'}]}}",
		   "{'spec':{'containers':[{'name':'b'},{'name':'a'}]}}");
}

static void test_strategic_set_element_order_keeps_server_only_items_in_place(void **state)
{
	(void)state;
	/* 's' exists only on the server: it stays ahead of the items it
	 * preceded there; the new item 'n' lands where the order says. */
	expect_smp("", "Pod", "{'spec':{'containers':[{'name':'a'},{'name':'s'},{'name':'b'}]}}",
		   "{'spec':{'$setElementOrder/containers':[{'name':'n'},{'name':'b'},{'name':'a'}],"
		   "'containers':[{'name':'n'}]}}",
		   "{'spec':{'containers':[{'name':'n'},{'name':'s'},{'name':'b'},{'name':'a'}]}}");
	expect_smp("", "ConfigMap", "{'metadata':{'finalizers':['x','y']}}",
		   "{'metadata':{'$setElementOrder/finalizers':['z','y','x'],'finalizers':['z']}}",
		   "{'metadata':{'finalizers':['z','y','x']}}");
}

static void test_strategic_patch_delete_in_list(void **state)
{
	(void)state;
	expect_smp("apps", "Deployment", DEPLOY_TWO_CONTAINERS,
		   "{'spec':{'template':{'spec':{'containers':[{'name':'web','$patch':'delete'}]}}}}",
		   "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','labels':{'app':'web'}},"
		   "'spec':{'replicas':2,'template':{'spec':{'containers':["
		   "{'name':'side','image':'busybox:1','args':['a','b']}]}}}}");
}

static void test_strategic_patch_replace_in_list_and_map(void **state)
{
	(void)state;
	expect_smp("", "Pod", "{'spec':{'containers':[{'name':'a','image':'1'},{'name':'b'}]}}",
		   "{'spec':{'containers':[{'$patch':'replace'},{'name':'z','image':'2'}]}}",
		   "{'spec':{'containers':[{'name':'z','image':'2'}]}}");
	expect_smp("", "Pod", "{'metadata':{'labels':{'a':'1','b':'2'}},'spec':{'x':1}}",
		   "{'metadata':{'labels':{'$patch':'replace','c':'3'}}}",
		   "{'metadata':{'labels':{'c':'3'}},'spec':{'x':1}}");
	/* Replacing one list item: the item becomes the patch's. */
	expect_smp("", "Pod", "{'spec':{'containers':[{'name':'a','image':'1','args':['x']}]}}",
		   "{'spec':{'containers':[{'name':'a','image':'2','$patch':'merge'}]}}",
		   "{'spec':{'containers':[{'name':'a','image':'2','args':['x']}]}}");
}

static void test_strategic_patch_delete_in_map(void **state)
{
	(void)state;
	expect_smp("apps", "Deployment", "{'spec':{'replicas':1,'strategy':{'type':'Recreate'}}}",
		   "{'spec':{'strategy':{'$patch':'delete'}}}", "{'spec':{'replicas':1}}");
}

static void test_strategic_retain_keys_drops_unlisted_fields(void **state)
{
	(void)state;
	expect_smp("apps", "Deployment",
		   "{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}}}}",
		   "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'}}}",
		   "{'spec':{'strategy':{'type':'Recreate'}}}");
	expect_smp("", "Pod", "{'spec':{'volumes':[{'name':'v','emptyDir':{},'x':1}]}}",
		   "{'spec':{'volumes':[{'$retainKeys':['name','configMap'],'name':'v','configMap':{'name':'c'}}]}}",
		   "{'spec':{'volumes':[{'name':'v','configMap':{'name':'c'}}]}}");
	expect_smp_error("apps", "Deployment", "{'spec':{'strategy':{'type':'RollingUpdate'}}}",
			 "{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate','rollingUpdate':{}}}}",
			 KAIRN_EINVAL, "rollingUpdate is not in $retainKeys");
}

static void test_strategic_new_subtree_is_cleaned_of_directives_and_nulls(void **state)
{
	(void)state;
	expect_smp("", "Pod", "{'spec':{}}",
		   "{'spec':{'containers':[{'name':'a','env':[{'name':'E','value':null}],"
		   "'$setElementOrder/env':[{'name':'E'}]}],'nodeSelector':{'$patch':'replace','k':'v'}}}",
		   "{'spec':{'containers':[{'name':'a','env':[{'name':'E'}]}],'nodeSelector':{'k':'v'}}}");
}

static void test_strategic_errors(void **state)
{
	(void)state;
	expect_smp_error("", "Pod", "{'spec':{'containers':[{'name':'a'}]}}",
			 "{'spec':{'containers':[{'image':'x'}]}}", KAIRN_EINVAL,
			 "does not contain declared merge key: name");
	expect_smp_error("", "Pod", "{'spec':{}}", "{'spec':{'$patch':'bogus'}}", KAIRN_EINVAL,
			 "unknown patch type: bogus");
	expect_smp_error("", "Pod", "{'spec':{'containers':[{'name':'a'}]}}",
			 "{'spec':{'$setElementOrder/containers':{'name':'a'}}}", KAIRN_EINVAL, "setElementOrder");
	expect_smp_error("", "Pod", "{}", "[1]", KAIRN_EINVAL, "must be a JSON object");
	expect_smp_error("example.com", "Widget", "{}", "{'spec':{}}", KAIRN_EUNSUPPORTED, "unknown format");
}

static void test_strategic_supported_only_for_builtin_kinds(void **state)
{
	(void)state;
	assert_true(kpatch_strategic_supported("", "Pod"));
	assert_true(kpatch_strategic_supported("apps", "Deployment"));
	assert_true(kpatch_strategic_supported("batch", "CronJob"));
	assert_true(kpatch_strategic_supported("rbac.authorization.k8s.io", "ClusterRole"));
	assert_true(kpatch_strategic_supported("apiextensions.k8s.io", "CustomResourceDefinition"));
	assert_false(kpatch_strategic_supported("example.com", "Widget"));
	assert_false(kpatch_strategic_supported("apps", "Widget"));
	assert_false(kpatch_strategic_supported("", "Deployment"));
}

static void test_strategic_cronjob_reaches_pod_spec(void **state)
{
	(void)state;
	expect_smp("batch", "CronJob",
		   "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'1'},"
		   "{'name':'b'}]}}}}}}",
		   "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'2'}]}}}}}}",
		   "{'spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'2'},"
		   "{'name':'b'}]}}}}}}");
}

static void test_strategic_500_containers_is_fast(void **state)
{
	cJSON *doc = cJSON_CreateObject(), *patch = cJSON_CreateObject(), *out = NULL;
	cJSON *dl = cJSON_CreateArray(), *pl = cJSON_CreateArray(), *order = cJSON_CreateArray();
	struct timespec t0, t1;
	struct kerr e;
	char name[32];
	double ms;

	(void)state;
	for (int i = 0; i < 500; i++) {
		cJSON *c = cJSON_CreateObject(), *p = cJSON_CreateObject(), *o = cJSON_CreateObject();

		snprintf(name, sizeof(name), "c%d", i);
		cJSON_AddStringToObject(c, "name", name);
		cJSON_AddStringToObject(c, "image", "old");
		cJSON_AddItemToArray(dl, c);
		cJSON_AddStringToObject(p, "name", name);
		cJSON_AddStringToObject(p, "image", "new");
		cJSON_AddItemToArray(pl, p);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddItemToArray(order, o);
	}
	cJSON_AddItemToObject(cJSON_AddObjectToObject(doc, "spec"), "containers", dl);
	cJSON *ps = cJSON_AddObjectToObject(patch, "spec");
	cJSON_AddItemToObject(ps, "$setElementOrder/containers", order);
	cJSON_AddItemToObject(ps, "containers", pl);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kpatch_strategic(doc, patch, "", "Pod", &out, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "spec"), "containers")),
			 500);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
			    cJSON_GetObjectItem(out, "spec"), "containers"), 499), "image")->valuestring, "new");
	print_message("strategic patch of 500 containers: %.2f ms\n", ms);
	cJSON_Delete(out);
	cJSON_Delete(doc);
	cJSON_Delete(patch);
}

static void test_strategic_20000_key_configmap_is_linear(void **state)
{
	cJSON *doc = cJSON_CreateObject(), *patch = cJSON_CreateObject(), *out = NULL;
	cJSON *dd = cJSON_AddObjectToObject(doc, "data"), *pd = cJSON_AddObjectToObject(patch, "data");
	struct timespec t0, t1;
	struct kerr e;
	char k[32];
	double ms;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		cJSON_AddStringToObject(dd, k, "old");
		cJSON_AddStringToObject(pd, k, "new");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kpatch_strategic(doc, patch, "", "ConfigMap", &out, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "data"), "key-19999")->valuestring, "new");
	print_message("strategic patch of 20000 ConfigMap keys: %.1f ms\n", ms);
	cJSON_Delete(out);
	cJSON_Delete(doc);
	cJSON_Delete(patch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strategic_deployment_changes_one_image_of_two_containers),
		cmocka_unit_test(test_strategic_null_deletes_and_new_container_appends),
		cmocka_unit_test(test_strategic_list_without_merge_key_is_replaced),
		cmocka_unit_test(test_strategic_nested_keyed_lists_env_ports_mounts),
		cmocka_unit_test(test_strategic_service_ports_by_port_and_conditions_by_type),
		cmocka_unit_test(test_strategic_owner_references_by_uid_and_finalizers_as_set),
		cmocka_unit_test(test_strategic_delete_from_primitive_list),
		cmocka_unit_test(test_strategic_set_element_order_reorders_containers),
		cmocka_unit_test(test_strategic_set_element_order_keeps_server_only_items_in_place),
		cmocka_unit_test(test_strategic_patch_delete_in_list),
		cmocka_unit_test(test_strategic_patch_replace_in_list_and_map),
		cmocka_unit_test(test_strategic_patch_delete_in_map),
		cmocka_unit_test(test_strategic_retain_keys_drops_unlisted_fields),
		cmocka_unit_test(test_strategic_new_subtree_is_cleaned_of_directives_and_nulls),
		cmocka_unit_test(test_strategic_errors),
		cmocka_unit_test(test_strategic_supported_only_for_builtin_kinds),
		cmocka_unit_test(test_strategic_cronjob_reaches_pod_spec),
		cmocka_unit_test(test_strategic_500_containers_is_fast),
		cmocka_unit_test(test_strategic_20000_key_configmap_is_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
