/*
 * test_server_api.c — kubesim behaviour over HTTP, in-process: pagination
 * with limit/continue, watch resume from a resourceVersion and 410 for a
 * too-old one, ownerReference garbage collection, finalizers, no-op writes,
 * Status codes for bad input, counters and fault injection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>
#include "test_server_util.h"
#include "util/jsonx.h"

static int setup(void **st)
{
	struct tsrv *t = calloc(1, sizeof(*t));
	if (!t || tsrv_start(t, 50) != 0)
		return -1;
	*st = t;
	return 0;
}

static int teardown(void **st)
{
	tsrv_stop(*st);
	free(*st);
	return 0;
}

static cJSON *get_json(struct tsrv *t, const char *path, long want)
{
	char *body = NULL;
	long code = tsrv_req(t, "GET", path, NULL, NULL, &body);
	assert_int_equal(code, want);
	cJSON *j = cJSON_Parse(body);
	free(body);
	assert_non_null(j);
	return j;
}

static void test_list_pages_with_limit_and_continue(void **st)
{
	struct tsrv *t = *st;
	char name[32];
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "page-%02d", i);
		assert_int_equal(tsrv_cm(t, "default", name, NULL), 201);
	}
	int seen = 0, pages = 0;
	char path[1024] = "/api/v1/namespaces/default/configmaps?limit=10";
	while (1) {
		cJSON *l = get_json(t, path, 200);
		seen += cJSON_GetArraySize(cJSON_GetObjectItem(l, "items"));
		pages++;
		const char *cont = jsonx_str(l, "metadata.continue");
		if (!cont) {
			cJSON_Delete(l);
			break;
		}
		snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps?limit=10&continue=%s", cont);
		cJSON_Delete(l);
	}
	assert_int_equal(seen, 25);
	assert_int_equal(pages, 3);
}

static void test_watch_resumes_after_resource_version(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_cm(t, "default", "w1", NULL), 201);
	cJSON *o = get_json(t, "/api/v1/namespaces/default/configmaps/w1", 200);
	char path[512];
	snprintf(path, sizeof(path),
		 "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=%s",
		 jsonx_str(o, "metadata.resourceVersion"));
	cJSON_Delete(o);
	assert_int_equal(tsrv_req(t, "PATCH", "/api/v1/namespaces/default/configmaps/w1",
				  "application/merge-patch+json", "{\"data\":{\"k\":\"changed\"}}", NULL), 200);
	char *body = NULL;
	assert_int_equal(tsrv_req(t, "GET", path, NULL, NULL, &body), 200);
	assert_non_null(strstr(body, "\"type\":\"MODIFIED\""));
	assert_non_null(strstr(body, "changed"));
	assert_null(strstr(body, "\"type\":\"ADDED\""));
	free(body);
}

static void test_watch_from_too_old_version_is_410(void **st)
{
	struct tsrv *t = *st;
	char name[32];
	for (int i = 0; i < 60; i++) { /* more events than the history of 50 */
		snprintf(name, sizeof(name), "old-%02d", i);
		assert_int_equal(tsrv_cm(t, "default", name, NULL), 201);
	}
	char *body = NULL;
	assert_int_equal(tsrv_req(t, "GET", "/api/v1/configmaps?watch=true&resourceVersion=2&timeoutSeconds=1", NULL,
				  NULL, &body),
			 200);
	assert_non_null(strstr(body, "\"type\":\"ERROR\""));
	assert_non_null(strstr(body, "\"code\":410"));
	assert_non_null(strstr(body, "Expired"));
	free(body);
}

static int exists(struct tsrv *t, const char *path)
{
	return tsrv_req(t, "GET", path, NULL, NULL, NULL) == 200;
}

/* Creates ConfigMaps owner and dep, dep owned by owner. */
static void make_owned_pair(struct tsrv *t, const char *owner, const char *dep)
{
	char path[256], meta[512];
	assert_int_equal(tsrv_cm(t, "default", owner, NULL), 201);
	snprintf(path, sizeof(path), "/api/v1/namespaces/default/configmaps/%s", owner);
	cJSON *o = get_json(t, path, 200);
	snprintf(meta, sizeof(meta),
		 "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"%s\",\"uid\":\"%s\"}]",
		 owner, jsonx_str(o, "metadata.uid"));
	cJSON_Delete(o);
	assert_int_equal(tsrv_cm(t, "default", dep, meta), 201);
}

static void test_deleting_owner_collects_dependents(void **st)
{
	struct tsrv *t = *st;
	make_owned_pair(t, "owner", "dependent");
	assert_int_equal(tsrv_req(t, "DELETE", "/api/v1/namespaces/default/configmaps/owner", NULL, NULL, NULL), 200);
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		gone = !exists(t, "/api/v1/namespaces/default/configmaps/dependent");
		usleep(20000);
	}
	assert_true(gone);
}

static void test_orphan_policy_keeps_dependents(void **st)
{
	struct tsrv *t = *st;
	make_owned_pair(t, "owner2", "kept");
	assert_int_equal(tsrv_req(t, "DELETE", "/api/v1/namespaces/default/configmaps/owner2", NULL,
				  "{\"propagationPolicy\":\"Orphan\"}", NULL),
			 200);
	usleep(200000);
	cJSON *d = get_json(t, "/api/v1/namespaces/default/configmaps/kept", 200);
	assert_null(jsonx_get(d, "metadata.ownerReferences"));
	cJSON_Delete(d);
}

static void test_finalizer_holds_object_until_removed(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_cm(t, "default", "fin", "\"finalizers\":[\"example.com/hold\"]"), 201);
	assert_int_equal(tsrv_req(t, "DELETE", "/api/v1/namespaces/default/configmaps/fin", NULL, NULL, NULL), 200);
	cJSON *o = get_json(t, "/api/v1/namespaces/default/configmaps/fin", 200);
	assert_non_null(jsonx_get(o, "metadata.deletionTimestamp"));
	cJSON_Delete(o);
	assert_int_equal(tsrv_req(t, "PATCH", "/api/v1/namespaces/default/configmaps/fin",
				  "application/merge-patch+json", "{\"metadata\":{\"finalizers\":null}}", NULL),
			 200);
	assert_false(exists(t, "/api/v1/namespaces/default/configmaps/fin"));
}

static void test_noop_patch_keeps_resource_version(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_cm(t, "default", "noop", NULL), 201);
	cJSON *a = get_json(t, "/api/v1/namespaces/default/configmaps/noop", 200);
	assert_int_equal(tsrv_req(t, "PATCH", "/api/v1/namespaces/default/configmaps/noop",
				  "application/merge-patch+json", "{\"data\":{\"k\":\"v\"}}", NULL),
			 200);
	cJSON *b = get_json(t, "/api/v1/namespaces/default/configmaps/noop", 200);
	assert_string_equal(jsonx_str(a, "metadata.resourceVersion"), jsonx_str(b, "metadata.resourceVersion"));
	/* a PUT of the same object without managedFields is a no-op too */
	assert_int_equal(tsrv_req(t, "PUT", "/api/v1/namespaces/default/configmaps/noop", NULL,
				  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"noop\"},\"data\":{\"k\":\"v\"}}",
				  NULL),
			 200);
	cJSON *c = get_json(t, "/api/v1/namespaces/default/configmaps/noop", 200);
	assert_string_equal(jsonx_str(a, "metadata.resourceVersion"), jsonx_str(c, "metadata.resourceVersion"));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
}

static void expect_status(struct tsrv *t, const char *method, const char *path, const char *ctype,
			  const char *body, long code, const char *reason)
{
	char *out = NULL;
	assert_int_equal(tsrv_req(t, method, path, ctype, body, &out), code);
	cJSON *j = cJSON_Parse(out);
	assert_non_null(j);
	assert_string_equal(jsonx_str(j, "kind"), "Status");
	assert_string_equal(jsonx_str(j, "reason"), reason);
	assert_int_equal(jsonx_long(j, "code", 0), code);
	cJSON_Delete(j);
	free(out);
}

static void test_bad_requests_get_the_right_status(void **st)
{
	struct tsrv *t = *st;
	const char *cms = "/api/v1/namespaces/default/configmaps";
	expect_status(t, "POST", cms, NULL, "{not json", 400, "BadRequest");
	expect_status(t, "POST", cms, "text/plain", "{}", 415, "UnsupportedMediaType");
	expect_status(t, "GET", "/api/v1/nothings", NULL, NULL, 404, "NotFound");
	expect_status(t, "POST", cms, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Bad_Name\"}}",
		      422, "Invalid");
	expect_status(t, "POST", "/api/v1/namespaces/missing/configmaps", NULL,
		      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}", 404, "NotFound");
	expect_status(t, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", NULL,
		      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},\"bogus\":1}", 400,
		      "BadRequest");
	assert_int_equal(tsrv_cm(t, "default", "dup", NULL), 201);
	expect_status(t, "POST", cms, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\"}}",
		      409, "AlreadyExists");
	expect_status(t, "PUT", "/api/v1/namespaces/default/configmaps/dup", NULL,
		      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\",\"resourceVersion\":\"1\"}}",
		      409, "Conflict");
	expect_status(t, "PATCH", "/api/v1/namespaces/default/configmaps/dup", "application/weird", "{}", 415,
		      "UnsupportedMediaType");
	expect_status(t, "POST", "/api/v1/namespaces", NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"default\"}}",
		      409, "AlreadyExists");
	expect_status(t, "PUT", cms, NULL, "{}", 405, "MethodNotAllowed");
	expect_status(t, "POST", "/apis/apps/v1/namespaces/default/deployments", NULL,
		      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"nosel\"},\"spec\":{}}",
		      422, "Invalid");
	expect_status(t, "POST", cms, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"k\"}}",
		      400, "BadRequest");
	expect_status(t, "POST", cms, NULL, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{}}", 422,
		      "Invalid");
}

static void test_counters_and_faults(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_req(t, "DELETE", "/kubesim/counters", NULL, NULL, NULL), 200);
	assert_true(exists(t, "/api/v1/namespaces/default"));
	char *out = NULL;
	assert_int_equal(tsrv_req(t, "GET", "/kubesim/counters", NULL, NULL, &out), 200);
	cJSON *c = cJSON_Parse(out);
	free(out);
	assert_int_equal(jsonx_long(c, "writes", -1), 0);
	assert_int_equal(jsonx_long(cJSON_GetObjectItem(jsonx_get(c, "resources"), "namespaces"), "get", 0), 1);
	cJSON_Delete(c);
	assert_int_equal(tsrv_req(t, "POST", "/kubesim/faults", NULL,
				  "{\"type\":\"429\",\"count\":1,\"retryAfter\":2,\"path\":\"/api/v1/namespaces\"}", NULL),
			 200);
	expect_status(t, "GET", "/api/v1/namespaces/default", NULL, NULL, 429, "TooManyRequests");
	assert_true(exists(t, "/api/v1/namespaces/default"));
	assert_int_equal(tsrv_req(t, "POST", "/kubesim/faults", NULL, "{\"type\":\"500\",\"count\":1}", NULL), 200);
	expect_status(t, "GET", "/api/v1/namespaces/default", NULL, NULL, 500, "InternalError");
	assert_int_equal(tsrv_req(t, "POST", "/kubesim/faults", NULL, "{\"type\":\"drop\",\"count\":1}", NULL), 200);
	assert_int_equal(tsrv_req(t, "GET", "/api/v1/namespaces/default", NULL, NULL, NULL), 0);
	assert_true(exists(t, "/api/v1/namespaces/default"));
}

static void test_job_completes_and_deployment_becomes_ready(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_req(t, "POST", "/apis/batch/v1/namespaces/default/jobs", NULL,
				  "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
				  NULL),
			 201);
	assert_int_equal(tsrv_req(t, "POST", "/apis/apps/v1/namespaces/default/deployments", NULL,
				  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
				  NULL),
			 201);
	usleep(400000);
	cJSON *j = get_json(t, "/apis/batch/v1/namespaces/default/jobs/j", 200);
	assert_int_equal(jsonx_long(j, "status.succeeded", 0), 1);
	cJSON_Delete(j);
	cJSON *d = get_json(t, "/apis/apps/v1/namespaces/default/deployments/d", 200);
	assert_int_equal(jsonx_long(d, "status.readyReplicas", 0), 2);
	assert_int_equal(jsonx_long(d, "status.observedGeneration", 0), 1);
	cJSON_Delete(d);
}


/* /kubesim/events: every stored change after a resourceVersion, the job
 * controller's status update included, in order. */
static void test_events_endpoint_lists_changes_in_order(void **st)
{
	struct tsrv *t = *st;
	cJSON *state = get_json(t, "/kubesim/state", 200);
	char path[128];
	snprintf(path, sizeof(path), "/kubesim/events?since=%s", jsonx_str(state, "resourceVersion"));
	cJSON_Delete(state);
	assert_int_equal(tsrv_cm(t, "default", "first", NULL), 201);
	assert_int_equal(tsrv_req(t, "POST", "/apis/batch/v1/namespaces/default/jobs", NULL,
				  "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}",
				  NULL),
			 201);
	usleep(400000);
	assert_int_equal(tsrv_req(t, "DELETE", "/api/v1/namespaces/default/configmaps/first", NULL, NULL, NULL), 200);
	cJSON *ev = get_json(t, path, 200);
	cJSON *list = cJSON_GetObjectItem(ev, "events"), *x;
	const char *want[][3] = { { "ADDED", "ConfigMap", "first" }, { "ADDED", "Job", "j" },
				  { "MODIFIED", "Job", "j" }, { "DELETED", "ConfigMap", "first" } };
	size_t k = 0;
	long last = 0;
	int complete_seen = 0;
	cJSON_ArrayForEach(x, list) {
		long rv = strtol(jsonx_str(x, "resourceVersion"), NULL, 10);
		assert_true(rv > last);
		last = rv;
		assert_string_equal(jsonx_str(x, "resourceVersion"), jsonx_str(x, "object.metadata.resourceVersion"));
		if (!strcmp(jsonx_str(x, "kind"), "Job") && !strcmp(jsonx_str(x, "type"), "MODIFIED")) {
			const cJSON *c;
			cJSON_ArrayForEach(c, jsonx_get(x, "object.status.conditions"))
				complete_seen |= !strcmp(jsonx_str(c, "type"), "Complete");
			if (!complete_seen)
				continue; /* an intermediate status (started) */
		}
		assert_true(k < 4);
		assert_string_equal(jsonx_str(x, "type"), want[k][0]);
		assert_string_equal(jsonx_str(x, "kind"), want[k][1]);
		assert_string_equal(jsonx_str(x, "name"), want[k][2]);
		assert_string_equal(jsonx_str(x, "namespace"), "default");
		k++;
	}
	assert_int_equal(k, 4);
	assert_true(complete_seen);
	cJSON_Delete(ev);
	expect_status(t, "GET", "/kubesim/events?since=x", NULL, NULL, 400, "BadRequest");
}

static void test_apply_accepts_yaml_bodies(void **st)
{
	struct tsrv *t = *st;
	const char *yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y1\ndata:\n  k: yes\n";
	assert_int_equal(tsrv_req(t, "PATCH", "/api/v1/namespaces/default/configmaps/y1?fieldManager=t",
				  "application/apply-patch+yaml", yaml, NULL),
			 201);
	cJSON *o = get_json(t, "/api/v1/namespaces/default/configmaps/y1", 200);
	cJSON *mf0 = cJSON_GetArrayItem(jsonx_get(o, "metadata.managedFields"), 0);
	assert_non_null(mf0);
	assert_string_equal(jsonx_str(mf0, "manager"), "t");
	assert_string_equal(jsonx_str(mf0, "operation"), "Apply");
	assert_non_null(jsonx_get(o, "data.k"));
	cJSON_Delete(o);
	expect_status(t, "PATCH", "/api/v1/namespaces/default/configmaps/y1?fieldManager=t",
		      "application/apply-patch+yaml", "a: [unclosed\n", 400, "BadRequest");
	expect_status(t, "PATCH", "/api/v1/namespaces/default/configmaps/y1", "application/apply-patch+yaml", yaml,
		      422, "Invalid");
}

static void test_terminating_namespace_refuses_creates(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_req(t, "POST", "/api/v1/namespaces", NULL,
				  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"term\"}}", NULL),
			 201);
	assert_int_equal(tsrv_cm(t, "term", "held", "\"finalizers\":[\"example.com/hold\"]"), 201);
	assert_int_equal(tsrv_req(t, "DELETE", "/api/v1/namespaces/term", NULL, NULL, NULL), 200);
	usleep(100000);
	cJSON *ns = get_json(t, "/api/v1/namespaces/term", 200);
	assert_string_equal(jsonx_str(ns, "status.phase"), "Terminating");
	cJSON_Delete(ns);
	expect_status(t, "POST", "/api/v1/namespaces/term/configmaps", NULL,
		      "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"late\"}}", 403, "Forbidden");
	assert_int_equal(tsrv_req(t, "PATCH", "/api/v1/namespaces/term/configmaps/held", "application/merge-patch+json",
				  "{\"metadata\":{\"finalizers\":null}}", NULL),
			 200);
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		gone = !exists(t, "/api/v1/namespaces/term");
		usleep(20000);
	}
	assert_true(gone);
}

static void test_crd_registers_and_removes_its_resource(void **st)
{
	struct tsrv *t = *st;
	assert_int_equal(tsrv_req(t, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", NULL,
				  "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"gizmos.t.io\"},\"spec\":{\"group\":\"t.io\",\"scope\":\"Namespaced\",\"names\":{\"plural\":\"gizmos\",\"kind\":\"Gizmo\"},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true}]}}",
				  NULL),
			 201);
	cJSON *crd = get_json(t, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.t.io", 200);
	int established = 0;
	cJSON *c;
	cJSON_ArrayForEach(c, jsonx_get(crd, "status.conditions"))
		if (!strcmp(jsonx_str(c, "type"), "Established") && !strcmp(jsonx_str(c, "status"), "True"))
			established = 1;
	assert_true(established);
	cJSON_Delete(crd);
	char *out = NULL;
	assert_int_equal(tsrv_req(t, "GET", "/apis/t.io/v1", NULL, NULL, &out), 200);
	assert_non_null(strstr(out, "gizmos"));
	free(out);
	assert_int_equal(tsrv_req(t, "POST", "/apis/t.io/v1/namespaces/default/gizmos", NULL,
				  "{\"apiVersion\":\"t.io/v1\",\"kind\":\"Gizmo\",\"metadata\":{\"name\":\"g\"},\"spec\":{\"x\":1}}", NULL),
			 201);
	expect_status(t, "PATCH", "/apis/t.io/v1/namespaces/default/gizmos/g", "application/strategic-merge-patch+json",
		      "{}", 415, "UnsupportedMediaType");
	assert_int_equal(tsrv_req(t, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.t.io",
				  NULL, NULL, NULL),
			 200);
	expect_status(t, "GET", "/apis/t.io/v1/namespaces/default/gizmos/g", NULL, NULL, 404, "NotFound");
	expect_status(t, "GET", "/apis/t.io/v1", NULL, NULL, 404, "NotFound");
}

static void test_foreground_delete_waits_for_dependents(void **st)
{
	struct tsrv *t = *st;
	make_owned_pair(t, "fg", "fgdep");
	assert_int_equal(tsrv_req(t, "DELETE", "/api/v1/namespaces/default/configmaps/fg", NULL,
				  "{\"propagationPolicy\":\"Foreground\"}", NULL),
			 200);
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		gone = !exists(t, "/api/v1/namespaces/default/configmaps/fg") &&
		       !exists(t, "/api/v1/namespaces/default/configmaps/fgdep");
		usleep(20000);
	}
	assert_true(gone);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_pages_with_limit_and_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_resumes_after_resource_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_from_too_old_version_is_410, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleting_owner_collects_dependents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orphan_policy_keeps_dependents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalizer_holds_object_until_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noop_patch_keeps_resource_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_get_the_right_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_and_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_completes_and_deployment_becomes_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_endpoint_lists_changes_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_accepts_yaml_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terminating_namespace_refuses_creates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crd_registers_and_removes_its_resource, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreground_delete_waits_for_dependents, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
