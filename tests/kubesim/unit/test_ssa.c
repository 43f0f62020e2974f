/*
 * test_ssa.c — server-side apply and Update tracking: managedFields
 * (FieldsV1) ownership, co-ownership, conflicts in the apiserver's words,
 * force, pruning of dropped fields, no-op detection. ' stands for " in JSON.
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

#define T0 "2026-01-01T00:00:00Z"
#define T1 "2026-01-01T00:01:00Z"
#define T2 "2026-01-01T00:02:00Z"

/* Compact JSON with " shown as ' (caller frees). */
static char *show(const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	assert_non_null(s);
	for (char *q = s; *q; q++)
		if (*q == '"')
			*q = '\'';
	return s;
}

static void assert_json(const cJSON *j, const char *want)
{
	char *s = show(j);

	if (strcmp(s, want))
		fail_msg("got  %s\nwant %s", s, want);
	free(s);
}

static cJSON *apply_ok(const cJSON *live, const char *cfg, const char *manager, int force, const char *now)
{
	struct kssa_req req = { manager, "apps/v1", NULL, force, now };
	cJSON *c = parse_q(cfg), *out = NULL, *conf = NULL;
	struct kerr e;
	int rc = kssa_apply(live, c, &req, &out, &conf, &e);

	if (rc)
		fail_msg("apply failed: %s", e.msg);
	assert_null(conf);
	cJSON_Delete(c);
	return out;
}

static const cJSON *entry(const cJSON *obj, const char *manager, const char *op)
{
	const cJSON *mf = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "managedFields"), *m;

	cJSON_ArrayForEach(m, mf) {
		if (!strcmp(cJSON_GetObjectItem(m, "manager")->valuestring, manager) &&
		    !strcmp(cJSON_GetObjectItem(m, "operation")->valuestring, op))
			return m;
	}
	return NULL;
}

/* 1 if the compact JSON of j contains needle. */
static int json_has(const cJSON *j, const char *needle)
{
	char *s = cJSON_PrintUnformatted(j);
	int found = s && strstr(s, needle) != NULL;

	free(s);
	return found;
}

static int n_entries(const cJSON *obj)
{
	return cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "managedFields"));
}

static const char *path_str(const cJSON *obj, const char *a, const char *b, const char *c)
{
	const cJSON *n = cJSON_GetObjectItem(obj, a);

	if (b)
		n = cJSON_GetObjectItem(n, b);
	if (c)
		n = cJSON_GetObjectItem(n, c);
	return cJSON_IsString(n) ? n->valuestring : NULL;
}

#define DEPLOY(replicas, image)                                                                           \
	"{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'d',"            \
	"'labels':{'app':'web'}},'spec':{'replicas':" replicas ",'selector':{'matchLabels':{'app':'web'}}," \
	"'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'web','image':'"     \
	image "','ports':[{'containerPort':80}]}]}}}}"

static void test_ssa_create_records_apply_entry_in_fieldsv1(void **state)
{
	cJSON *out = apply_ok(NULL, DEPLOY("2", "nginx:1"), "kubectl", 0, T0);
	const cJSON *m = entry(out, "kubectl", "Apply");

	(void)state;
	assert_non_null(m);
	assert_int_equal(n_entries(out), 1);
	assert_string_equal(path_str(m, "apiVersion", NULL, NULL), "apps/v1");
	assert_string_equal(path_str(m, "time", NULL, NULL), T0);
	assert_string_equal(path_str(m, "fieldsType", NULL, NULL), "FieldsV1");
	assert_json(cJSON_GetObjectItem(m, "fieldsV1"),
		    "{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:replicas':{},'f:selector':{},"
		    "'f:template':{'f:metadata':{'f:labels':{'.':{},'f:app':{}}},'f:spec':{'f:containers':{"
		    "'k:{\\'name\\':\\'web\\'}':{'.':{},'f:image':{},'f:name':{},'f:ports':{"
		    "'k:{\\'containerPort\\':80,\\'protocol\\':\\'TCP\\'}':{'.':{},'f:containerPort':{}}}}}}}}}");
	assert_string_equal(path_str(out, "metadata", "name", NULL), "web");
	cJSON_Delete(out);
}

static void test_ssa_noop_apply_returns_object_equal_to_live(void **state)
{
	cJSON *v1 = apply_ok(NULL, DEPLOY("2", "nginx:1"), "kubectl", 0, T0);
	cJSON *v2 = apply_ok(v1, DEPLOY("2", "nginx:1"), "kubectl", 0, T1);

	(void)state;
	assert_true(kjson_equal(v1, v2));
	assert_string_equal(path_str(entry(v2, "kubectl", "Apply"), "time", NULL, NULL), T0);
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_change_updates_value_and_entry_time(void **state)
{
	cJSON *v1 = apply_ok(NULL, DEPLOY("2", "nginx:1"), "kubectl", 0, T0);
	cJSON *v2 = apply_ok(v1, DEPLOY("2", "nginx:2"), "kubectl", 0, T1);
	const cJSON *c = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v2, "spec"),
									 "template"), "spec"), "containers"), 0);

	(void)state;
	assert_false(kjson_equal(v1, v2));
	assert_string_equal(cJSON_GetObjectItem(c, "image")->valuestring, "nginx:2");
	assert_string_equal(path_str(entry(v2, "kubectl", "Apply"), "time", NULL, NULL), T1);
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_coownership_when_values_agree(void **state)
{
	cJSON *v1 = apply_ok(NULL, DEPLOY("3", "nginx:1"), "a", 0, T0);
	cJSON *v2 = apply_ok(v1, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
				 "'spec':{'replicas':3}}", "b", 0, T1);
	const cJSON *a = entry(v2, "a", "Apply"), *b = entry(v2, "b", "Apply");

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "fieldsV1"), "f:spec"),
					    "f:replicas"));
	assert_json(cJSON_GetObjectItem(b, "fieldsV1"), "{'f:spec':{'f:replicas':{}}}");
	/* A new co-owner is a change of managedFields, so not a no-op. */
	assert_false(kjson_equal(v1, v2));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

/* Live object written by kubectl-client-side-apply (operation Update). */
static cJSON *csa_object(void)
{
	cJSON *obj = parse_q(DEPLOY("2", "nginx:1"));
	struct kerr e;

	assert_int_equal(kssa_track_update(NULL, obj, "kubectl-client-side-apply", "apps/v1", NULL, T0, &e), 0);
	return obj;
}

static void test_ssa_conflict_message_for_one_field_of_update_manager(void **state)
{
	cJSON *live = csa_object(), *cfg = parse_q(DEPLOY("5", "nginx:1")), *out = NULL, *conf = NULL;
	struct kssa_req req = { "kubectl", "apps/v1", NULL, 0, T1 };
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_apply(live, cfg, &req, &out, &conf, &e), KAIRN_ECONFLICT);
	assert_null(out);
	assert_string_equal(e.msg, "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" "
				   "using apps/v1 at " T0 ": .spec.replicas");
	assert_json(conf, "[{'reason':'FieldManagerConflict','message':'conflict with \\'kubectl-client-side-apply"
			  "\\' using apps/v1 at " T0 "','field':'.spec.replicas'}]");
	cJSON_Delete(conf);
	cJSON_Delete(cfg);
	cJSON_Delete(live);
}

static void test_ssa_conflict_message_for_two_fields_of_one_manager(void **state)
{
	cJSON *live = csa_object(), *cfg = parse_q(DEPLOY("5", "nginx:2")), *out = NULL, *conf = NULL;
	struct kssa_req req = { "kubectl", "apps/v1", NULL, 0, T1 };
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_apply(live, cfg, &req, &out, &conf, &e), KAIRN_ECONFLICT);
	assert_string_equal(e.msg, "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" "
				   "using apps/v1 at " T0 ":\n- .spec.replicas\n"
				   "- .spec.template.spec.containers[name=\"web\"].image");
	assert_int_equal(cJSON_GetArraySize(conf), 2);
	assert_string_equal(path_str(cJSON_GetArrayItem(conf, 1), "field", NULL, NULL),
			    ".spec.template.spec.containers[name=\"web\"].image");
	cJSON_Delete(conf);
	cJSON_Delete(cfg);
	cJSON_Delete(live);
}

static void test_ssa_conflict_message_groups_apply_and_update_managers_sorted(void **state)
{
	cJSON *base = parse_q(DEPLOY("2", "nginx:1")), *live, *cfg, *out = NULL, *conf = NULL;
	struct kssa_req req = { "kubectl", "apps/v1", NULL, 0, T2 };
	struct kerr e;

	(void)state;
	/* "zeta" (Update) owns everything; "other" (Apply) takes the image. */
	assert_int_equal(kssa_track_update(NULL, base, "zeta", "apps/v1", NULL, T0, &e), 0);
	live = apply_ok(base, "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{"
			      "'template':{'spec':{'containers':[{'name':'web','image':'nginx:7'}]}}}}",
			"other", 1, T1);
	cfg = parse_q(DEPLOY("5", "nginx:9"));
	assert_int_equal(kssa_apply(live, cfg, &req, &out, &conf, &e), KAIRN_ECONFLICT);
	assert_string_equal(e.msg, "Apply failed with 2 conflicts: conflicts with \"other\":\n"
				   "- .spec.template.spec.containers[name=\"web\"].image\n"
				   "conflicts with \"zeta\" using apps/v1 at " T0 ":\n- .spec.replicas");
	assert_string_equal(path_str(cJSON_GetArrayItem(conf, 0), "message", NULL, NULL), "conflict with \"other\"");
	cJSON_Delete(conf);
	cJSON_Delete(cfg);
	cJSON_Delete(live);
	cJSON_Delete(base);
}

static void test_ssa_force_moves_conflicting_fields_to_applier(void **state)
{
	cJSON *live = csa_object();
	cJSON *out = apply_ok(live, DEPLOY("5", "nginx:1"), "kubectl", 1, T1);
	const cJSON *csa = entry(out, "kubectl-client-side-apply", "Update");

	(void)state;
	assert_int_equal((int)cJSON_GetObjectItem(cJSON_GetObjectItem(out, "spec"), "replicas")->valuedouble, 5);
	assert_non_null(csa);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(csa, "fieldsV1"), "f:spec"),
					"f:replicas"));
	/* The agreeing image stays co-owned. */
	assert_true(json_has(cJSON_GetObjectItem(csa, "fieldsV1"), "f:image"));
	assert_string_equal(path_str(csa, "time", NULL, NULL), T0);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(entry(out, "kubectl", "Apply"),
										  "fieldsV1"), "f:spec"), "f:replicas"));
	cJSON_Delete(out);
	cJSON_Delete(live);
}

static void test_ssa_removes_fields_the_applier_dropped(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','labels':"
				   "{'a':'1','b':'2'}},'data':{'x':'1','y':'2'}}", "kubectl", 0, T0);
	cJSON *v2 = apply_ok(v1, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','labels':"
				 "{'a':'1'}},'data':{'x':'1'}}", "kubectl", 0, T1);

	(void)state;
	assert_json(cJSON_GetObjectItem(v2, "data"), "{'x':'1'}");
	assert_json(cJSON_GetObjectItem(cJSON_GetObjectItem(v2, "metadata"), "labels"), "{'a':'1'}");
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_keeps_dropped_fields_another_manager_owns(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},"
				   "'data':{'x':'1','y':'2'}}", "kubectl", 0, T0);
	cJSON *v2 = apply_ok(v1, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'y':'2'}}",
			     "helper", 0, T1);
	cJSON *v3 = apply_ok(v2, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'x':'1'}}",
			     "kubectl", 0, T2);

	(void)state;
	assert_json(cJSON_GetObjectItem(v3, "data"), "{'x':'1','y':'2'}");
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(v3);
}

static void test_ssa_removes_dropped_container_from_keyed_list(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
				   "{'name':'a','image':'1'},{'name':'b','image':'2'}]}}", "kubectl", 0, T0);
	cJSON *v2 = apply_ok(v1, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
				 "{'name':'b','image':'3'}]}}", "kubectl", 0, T1);

	(void)state;
	assert_json(cJSON_GetObjectItem(v2, "spec"), "{'containers':[{'name':'b','image':'3'}]}");
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_keyed_list_merge_keeps_other_managers_items(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
				   "{'name':'a','image':'1','env':[{'name':'E','value':'x'}]}]}}", "one", 0, T0);
	cJSON *v2 = apply_ok(v1, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
				 "{'name':'side','image':'s'},{'name':'a','env':[{'name':'F','value':'y'}]}]}}",
			     "two", 0, T1);

	(void)state;
	assert_json(cJSON_GetObjectItem(v2, "spec"),
		    "{'containers':[{'name':'side','image':'s'},{'name':'a','image':'1','env':[{'name':'E','value':"
		    "'x'},{'name':'F','value':'y'}]}]}");
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_status_is_not_applied_on_main_resource(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','uid':'u',"
				   "'resourceVersion':'9'},'spec':{'x':1},'status':{'phase':'Running'}}",
			     "kubectl", 0, T0);
	struct kssa_req req = { "ctl", "v1", "status", 0, T1 };
	cJSON *cfg = parse_q("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'x':2},"
			     "'status':{'phase':'Done'}}"), *v2 = NULL, *conf = NULL;
	struct kerr e;

	(void)state;
	assert_null(cJSON_GetObjectItem(v1, "status"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(v1, "metadata"), "uid"));
	assert_json(cJSON_GetObjectItem(entry(v1, "kubectl", "Apply"), "fieldsV1"), "{'f:spec':{'f:x':{}}}");
	assert_int_equal(kssa_apply(v1, cfg, &req, &v2, &conf, &e), 0);
	assert_json(cJSON_GetObjectItem(v2, "spec"), "{'x':1}");
	assert_json(cJSON_GetObjectItem(v2, "status"), "{'phase':'Done'}");
	assert_string_equal(path_str(entry(v2, "ctl", "Apply"), "subresource", NULL, NULL), "status");
	cJSON_Delete(cfg);
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_rejects_missing_manager_and_managed_fields_in_config(void **state)
{
	struct kssa_req req = { "", "v1", NULL, 0, T0 };
	cJSON *cfg = parse_q("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','managedFields':[{}]}}");
	cJSON *out = NULL, *conf = NULL;
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_apply(NULL, cfg, &req, &out, &conf, &e), KAIRN_EINVAL);
	req.manager = "kubectl";
	assert_int_equal(kssa_apply(NULL, cfg, &req, &out, &conf, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "managedFields must be nil"));
	assert_null(out);
	cJSON_Delete(cfg);
}

static void test_ssa_set_members_and_ownerreference_keys(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','finalizers':"
				   "['a/b'],'ownerReferences':[{'uid':'u1','name':'o'}]}}", "kubectl", 0, T0);

	(void)state;
	assert_json(cJSON_GetObjectItem(entry(v1, "kubectl", "Apply"), "fieldsV1"),
		    "{'f:metadata':{'f:finalizers':{'v:\\'a/b\\'':{}},'f:ownerReferences':{"
		    "'k:{\\'uid\\':\\'u1\\'}':{'.':{},'f:name':{},'f:uid':{}}}}}");
	cJSON_Delete(v1);
}

static void test_update_tracking_moves_changed_fields_to_writer(void **state)
{
	cJSON *v1 = csa_object(), *v2 = cJSON_Duplicate(v1, 1);
	cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(v2, "spec"), "template"), "spec"), "containers"), 0);
	const cJSON *csa, *set;
	struct kerr e;

	(void)state;
	cJSON_ReplaceItemInObject(c0, "image", cJSON_CreateString("nginx:2"));
	assert_int_equal(kssa_track_update(v1, v2, "kubectl-set", "apps/v1", NULL, T1, &e), 0);
	set = entry(v2, "kubectl-set", "Update");
	assert_non_null(set);
	assert_json(cJSON_GetObjectItem(set, "fieldsV1"),
		    "{'f:spec':{'f:template':{'f:spec':{'f:containers':{'k:{\\'name\\':\\'web\\'}':{'f:image':{}}}}}}}");
	csa = entry(v2, "kubectl-client-side-apply", "Update");
	assert_string_equal(path_str(csa, "time", NULL, NULL), T0);
	assert_false(json_has(cJSON_GetObjectItem(csa, "fieldsV1"), "f:image"));
	assert_true(json_has(cJSON_GetObjectItem(csa, "fieldsV1"), "f:replicas"));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_update_tracking_merges_same_manager_and_drops_empty_entries(void **state)
{
	cJSON *v1 = parse_q("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'},'data':{'a':'1'}}");
	cJSON *v2, *v3;
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_track_update(NULL, v1, "first", "v1", NULL, T0, &e), 0);
	v2 = cJSON_Duplicate(v1, 1);
	cJSON_AddStringToObject(cJSON_GetObjectItem(v2, "data"), "b", "2");
	assert_int_equal(kssa_track_update(v1, v2, "second", "v1", NULL, T1, &e), 0);
	v3 = cJSON_Duplicate(v2, 1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(v3, "data"), "a", cJSON_CreateString("9"));
	cJSON_AddStringToObject(cJSON_GetObjectItem(v3, "data"), "c", "3");
	assert_int_equal(kssa_track_update(v2, v3, "second", "v1", NULL, T2, &e), 0);
	/* "first" keeps only the data map itself (a leaf once a is taken). */
	assert_int_equal(n_entries(v3), 2);
	assert_json(cJSON_GetObjectItem(entry(v3, "second", "Update"), "fieldsV1"),
		    "{'f:data':{'f:a':{},'f:b':{},'f:c':{}}}");
	assert_string_equal(path_str(entry(v3, "second", "Update"), "time", NULL, NULL), T2);
	assert_json(cJSON_GetObjectItem(entry(v3, "first", "Update"), "fieldsV1"), "{'f:data':{}}");
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(v3);
}

static void test_update_tracking_drops_manager_whose_fields_are_all_taken(void **state)
{
	cJSON *v1 = parse_q("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'x':1}}");
	cJSON *v2;
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_track_update(NULL, v1, "first", "v1", NULL, T0, &e), 0);
	v2 = cJSON_Duplicate(v1, 1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(v2, "spec"), "x", cJSON_CreateNumber(2));
	assert_int_equal(kssa_track_update(v1, v2, "second", "v1", NULL, T1, &e), 0);
	assert_int_equal(n_entries(v2), 1);
	assert_non_null(entry(v2, "second", "Update"));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_update_tracking_honours_reset_managed_fields(void **state)
{
	cJSON *v1 = csa_object(), *v2 = cJSON_Duplicate(v1, 1);
	struct kerr e;

	(void)state;
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(v2, "metadata"), "managedFields", parse_q("[{}]"));
	assert_int_equal(kssa_track_update(v1, v2, "x", "apps/v1", NULL, T1, &e), 0);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(v2, "metadata"), "managedFields"));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_update_tracking_of_unchanged_write_keeps_object_equal(void **state)
{
	cJSON *v1 = csa_object(), *v2 = cJSON_Duplicate(v1, 1);
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_track_update(v1, v2, "kubectl-patch", "apps/v1", NULL, T1, &e), 0);
	assert_true(kjson_equal(v1, v2));
	assert_null(entry(v2, "kubectl-patch", "Update"));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static double elapsed_ms(struct timespec a, struct timespec b);

#define CM_LAST_APPLIED(v)                                                                                 \
	"{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c','annotations':{"                     \
	"'kubectl.kubernetes.io/last-applied-configuration':'" v "'}}}"

static void test_ssa_last_applied_followup_does_not_conflict_with_csa(void **state)
{
	cJSON *live = parse_q(CM_LAST_APPLIED("old")), *cfg = parse_q(CM_LAST_APPLIED("new")), *out = NULL;
	cJSON *conf = NULL;
	struct kssa_req req = { "kubectl-last-applied", "v1", NULL, 0, T1 };
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_track_update(NULL, live, "kubectl-client-side-apply", "v1", NULL, T0, &e), 0);
	assert_int_equal(kssa_apply(live, cfg, &req, &out, &conf, &e), 0);
	assert_string_equal(path_str(cJSON_GetObjectItem(out, "metadata"), "annotations",
				     "kubectl.kubernetes.io/last-applied-configuration", NULL), "new");
	cJSON_Delete(out);
	out = NULL;
	/* Any other manager changing it still conflicts. */
	req.manager = "someone";
	assert_int_equal(kssa_apply(live, cfg, &req, &out, &conf, &e), KAIRN_ECONFLICT);
	assert_non_null(strstr(e.msg, ".metadata.annotations.kubectl.kubernetes.io/last-applied-configuration"));
	cJSON_Delete(conf);
	cJSON_Delete(cfg);
	cJSON_Delete(live);
}

static void test_ssa_conflict_names_subresource_of_owner(void **state)
{
	cJSON *v1 = parse_q("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'status':{'phase':'A'}}");
	cJSON *v2 = cJSON_Duplicate(v1, 1), *cfg, *out = NULL, *conf = NULL;
	struct kssa_req req = { "kubectl", "v1", "status", 0, T2 };
	struct kerr e;

	(void)state;
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(v2, "status"), "phase", cJSON_CreateString("B"));
	assert_int_equal(kssa_track_update(v1, v2, "kubelet", "v1", "status", T1, &e), 0);
	assert_string_equal(path_str(entry(v2, "kubelet", "Update"), "subresource", NULL, NULL), "status");
	cfg = parse_q("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'status':{'phase':'C'}}");
	assert_int_equal(kssa_apply(v2, cfg, &req, &out, &conf, &e), KAIRN_ECONFLICT);
	assert_string_equal(e.msg, "Apply failed with 1 conflict: conflict with \"kubelet\" with subresource "
				   "\"status\" using v1 at " T1 ": .status.phase");
	cJSON_Delete(conf);
	cJSON_Delete(cfg);
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_service_ports_keyed_by_port_and_protocol(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':{'ports':["
				   "{'port':53,'protocol':'UDP'},{'port':53,'protocol':'TCP','name':'t'}]}}",
			     "kubectl", 0, T0);
	cJSON *v2 = apply_ok(v1, "{'apiVersion':'v1','kind':'Service','metadata':{'name':'s'},'spec':{'ports':["
				 "{'port':53,'name':'tcp'}]}}", "other", 1, T1);

	(void)state;
	assert_json(cJSON_GetObjectItem(v2, "spec"),
		    "{'ports':[{'port':53,'protocol':'UDP'},{'port':53,'protocol':'TCP','name':'tcp'}]}");
	cJSON_Delete(v1);
	cJSON_Delete(v2);
}

static void test_ssa_large_configmap_update_then_apply(void **state)
{
	cJSON *cfg = parse_q("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'big'}}");
	cJSON *data = cJSON_AddObjectToObject(cfg, "data"), *v1, *v2;
	struct timespec t0, t1;
	struct kerr e;
	char k[32];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		cJSON_AddStringToObject(data, k, "v");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	v1 = apply_ok(NULL, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'big'}}", "kubectl", 0, T0);
	v2 = cJSON_Duplicate(cfg, 1); /* a PUT adding 20000 keys, keeping v1's metadata */
	cJSON_ReplaceItemInObject(v2, "metadata", cJSON_Duplicate(cJSON_GetObjectItem(v1, "metadata"), 1));
	assert_int_equal(kssa_track_update(v1, v2, "writer", "v1", NULL, T1, &e), 0);
	cJSON_Delete(v1);
	v1 = apply_ok(v2, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'big'},'data':{'key-7':'w'}}",
		      "kubectl", 1, T2);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_string_equal(path_str(v1, "data", "key-7", NULL), "w");
	assert_string_equal(path_str(v1, "data", "key-19999", NULL), "v");
	print_message("20000-key ConfigMap update + apply: %.1f ms\n", elapsed_ms(t0, t1));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(cfg);
}

static double elapsed_ms(struct timespec a, struct timespec b)
{
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

static void test_ssa_custom_resource_lists_are_atomic(void **state)
{
	cJSON *v1 = apply_ok(NULL, "{'apiVersion':'x.example.com/v1','kind':'Widget','metadata':{'name':'w',"
				   "'finalizers':['f']},'spec':{'items':[{'name':'a'}]}}", "kubectl", 0, T0);

	(void)state;
	assert_json(cJSON_GetObjectItem(entry(v1, "kubectl", "Apply"), "fieldsV1"),
		    "{'f:metadata':{'f:finalizers':{'v:\\'f\\'':{}}},'f:spec':{'f:items':{}}}");
	cJSON_Delete(v1);
}

static void test_ssa_rejects_keyed_item_without_its_key(void **state)
{
	struct kssa_req req = { "kubectl", "v1", NULL, 0, T0 };
	cJSON *cfg = parse_q("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{'containers':["
			     "{'image':'x'}]}}"), *out = NULL, *conf = NULL;
	struct kerr e;

	(void)state;
	assert_int_equal(kssa_apply(NULL, cfg, &req, &out, &conf, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "omits key field \"name\""));
	assert_null(out);
	cJSON_Delete(cfg);
}

static void test_ssa_dropping_20000_keys(void **state)
{
	cJSON *cfg = parse_q("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'big'}}");
	cJSON *data = cJSON_AddObjectToObject(cfg, "data"), *v1 = NULL, *v2, *conf = NULL;
	struct kssa_req req = { "kubectl", "v1", NULL, 0, T0 };
	struct timespec t0, t1;
	struct kerr e;
	char k[32];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "key-%d", i);
		cJSON_AddStringToObject(data, k, "v");
	}
	assert_int_equal(kssa_apply(NULL, cfg, &req, &v1, &conf, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	v2 = apply_ok(v1, "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'big'},'data':{'key-5':'v'}}",
		      "kubectl", 0, T1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_json(cJSON_GetObjectItem(v2, "data"), "{'key-5':'v'}");
	print_message("dropping 19999 of 20000 keys: %.1f ms\n", elapsed_ms(t0, t1));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(cfg);
}

static void test_ssa_500_containers_applies_in_milliseconds(void **state)
{
	cJSON *cfg = parse_q("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'big'},'spec':{}}");
	cJSON *list = cJSON_AddArrayToObject(cJSON_GetObjectItem(cfg, "spec"), "containers");
	struct kssa_req req = { "kubectl", "v1", NULL, 0, T0 };
	cJSON *v1 = NULL, *v2 = NULL, *conf = NULL;
	struct timespec t0, t1, t2;
	struct kerr e;
	char name[32];

	(void)state;
	for (int i = 0; i < 500; i++) {
		cJSON *c = cJSON_CreateObject(), *ports = cJSON_AddArrayToObject(c, "ports"), *p = cJSON_CreateObject();

		snprintf(name, sizeof(name), "c%d", i);
		cJSON_AddStringToObject(c, "name", name);
		cJSON_AddStringToObject(c, "image", "img");
		cJSON_AddNumberToObject(p, "containerPort", 8000 + i);
		cJSON_AddItemToArray(ports, p);
		cJSON_AddItemToArray(list, c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(kssa_apply(NULL, cfg, &req, &v1, &conf, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	req.now = T1;
	assert_int_equal(kssa_apply(v1, cfg, &req, &v2, &conf, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	assert_true(kjson_equal(v1, v2));
	print_message("SSA 500 containers: create %.1f ms, no-op re-apply %.1f ms\n", elapsed_ms(t0, t1),
		      elapsed_ms(t1, t2));
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssa_create_records_apply_entry_in_fieldsv1),
		cmocka_unit_test(test_ssa_noop_apply_returns_object_equal_to_live),
		cmocka_unit_test(test_ssa_change_updates_value_and_entry_time),
		cmocka_unit_test(test_ssa_coownership_when_values_agree),
		cmocka_unit_test(test_ssa_conflict_message_for_one_field_of_update_manager),
		cmocka_unit_test(test_ssa_conflict_message_for_two_fields_of_one_manager),
		cmocka_unit_test(test_ssa_conflict_message_groups_apply_and_update_managers_sorted),
		cmocka_unit_test(test_ssa_force_moves_conflicting_fields_to_applier),
		cmocka_unit_test(test_ssa_removes_fields_the_applier_dropped),
		cmocka_unit_test(test_ssa_keeps_dropped_fields_another_manager_owns),
		cmocka_unit_test(test_ssa_removes_dropped_container_from_keyed_list),
		cmocka_unit_test(test_ssa_keyed_list_merge_keeps_other_managers_items),
		cmocka_unit_test(test_ssa_status_is_not_applied_on_main_resource),
		cmocka_unit_test(test_ssa_rejects_missing_manager_and_managed_fields_in_config),
		cmocka_unit_test(test_ssa_set_members_and_ownerreference_keys),
		cmocka_unit_test(test_update_tracking_moves_changed_fields_to_writer),
		cmocka_unit_test(test_update_tracking_merges_same_manager_and_drops_empty_entries),
		cmocka_unit_test(test_update_tracking_drops_manager_whose_fields_are_all_taken),
		cmocka_unit_test(test_update_tracking_honours_reset_managed_fields),
		cmocka_unit_test(test_update_tracking_of_unchanged_write_keeps_object_equal),
		cmocka_unit_test(test_ssa_conflict_names_subresource_of_owner),
		cmocka_unit_test(test_ssa_last_applied_followup_does_not_conflict_with_csa),
		cmocka_unit_test(test_ssa_service_ports_keyed_by_port_and_protocol),
		cmocka_unit_test(test_ssa_large_configmap_update_then_apply),
		cmocka_unit_test(test_ssa_custom_resource_lists_are_atomic),
		cmocka_unit_test(test_ssa_rejects_keyed_item_without_its_key),
		cmocka_unit_test(test_ssa_dropping_20000_keys),
		cmocka_unit_test(test_ssa_500_containers_applies_in_milliseconds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
