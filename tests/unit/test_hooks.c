/*
 * test_hooks.c — hooks/hook and hooks/status: hook annotations of kairn,
 * Argo CD and Helm (phases, weights, delete policies, timeouts), errors that
 * name the object's file:line, hook state and status summaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hooks/hook.h"
#include "hooks/run.h"
#include "hooks/status.h"
#include "manifest/manifest.h"
#include "util/kobj.h"

static int spec_of(const char *annotations, struct hook_spec *s, struct kerr *e)
{
	char buf[1024];
	cJSON *o;
	int rc;

	snprintf(buf, sizeof(buf), "{\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"annotations\":%s}}",
		 annotations);
	o = cJSON_Parse(buf);
	assert_non_null(o);
	rc = hook_spec_of(o, s, e);
	cJSON_Delete(o);
	return rc;
}

static void test_plain_object_is_not_a_hook(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"a\":\"b\"}", &s, &e), 0);
	assert_int_equal(s.phases, 0);
}

static void test_seed_helm_pre_upgrade_job_is_a_pre_sync_hook(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"pre-install,pre-upgrade\","
				 "\"helm.sh/hook-delete-policy\":\"before-hook-creation\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_PRE_SYNC);
	assert_int_equal(s.delete_policy, HOOK_DELETE_BEFORE_CREATION);
	assert_int_equal(s.timeout_ms, HOOK_DEFAULT_TIMEOUT_MS);
	assert_string_equal(s.dialect, "helm.sh/hook");
}

static void test_argo_hook_with_wave_weight_and_policies(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"argocd.argoproj.io/hook\":\"PreSync\",\"argocd.argoproj.io/sync-wave\":\"-3\","
				 "\"argocd.argoproj.io/hook-delete-policy\":\"HookSucceeded,HookFailed\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_PRE_SYNC);
	assert_int_equal(s.weight, -3);
	assert_int_equal(s.delete_policy, HOOK_DELETE_ON_SUCCESS | HOOK_DELETE_ON_FAILURE);
}

static void test_argo_annotation_wins_over_helm(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"argocd.argoproj.io/hook\":\"PostSync\",\"helm.sh/hook\":\"pre-upgrade\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_POST_SYNC);
}

static void test_kairn_hook_with_timeout(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"kairn.dev/hook\":\"pre-sync, sync-fail\",\"kairn.dev/hook-weight\":\"2\","
				 "\"kairn.dev/hook-timeout\":\"90s\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_PRE_SYNC | HOOK_PHASE_SYNC_FAIL);
	assert_int_equal(s.weight, 2);
	assert_int_equal(s.timeout_ms, 90000);
}

static void test_helm_test_hook_is_never_run_by_sync(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"test\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_UNSUPPORTED);
}

static void test_bad_hook_values_name_the_annotation(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"kairn.dev/hook\":\"presync\"}", &s, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "kairn.dev/hook"));
	assert_non_null(strstr(e.msg, "presync"));
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"pre-upgrade\",\"helm.sh/hook-weight\":\"x\"}", &s, &e),
			 KAIRN_EINVAL);
	assert_int_equal(spec_of("{\"kairn.dev/hook\":\"pre-sync\",\"kairn.dev/hook-timeout\":\"soon\"}", &s, &e),
			 KAIRN_EINVAL);
}

static void test_kairn_dialect_every_phase_and_policy(void **state)
{
	static const struct { const char *v; unsigned bits; } phases[] = {
		{ "pre-sync", HOOK_PHASE_PRE_SYNC }, { "sync", HOOK_PHASE_SYNC },
		{ "post-sync", HOOK_PHASE_POST_SYNC }, { "sync-fail", HOOK_PHASE_SYNC_FAIL },
		{ "skip", HOOK_PHASE_SKIP },
	};
	struct hook_spec s;
	struct kerr e;
	char a[256];

	(void)state;
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		snprintf(a, sizeof(a), "{\"kairn.dev/hook\":\"%s\"}", phases[i].v);
		assert_int_equal(spec_of(a, &s, &e), 0);
		assert_int_equal(s.phases, phases[i].bits);
		assert_int_equal(s.delete_policy, HOOK_DELETE_BEFORE_CREATION);
		assert_int_equal(s.weight, 0);
	}
	assert_int_equal(spec_of("{\"kairn.dev/hook\":\"post-sync\",\"kairn.dev/hook-weight\":\"-7\","
				 "\"kairn.dev/hook-delete-policy\":\"hook-succeeded, hook-failed\"}", &s, &e), 0);
	assert_int_equal(s.weight, -7);
	assert_int_equal(s.delete_policy, HOOK_DELETE_ON_SUCCESS | HOOK_DELETE_ON_FAILURE);
	assert_string_equal(s.dialect, "kairn.dev/hook");
	/* kairn's annotation wins over both others */
	assert_int_equal(spec_of("{\"kairn.dev/hook\":\"sync\",\"argocd.argoproj.io/hook\":\"PreSync\","
				 "\"helm.sh/hook\":\"post-install\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_SYNC);
}

static void test_argo_dialect_every_phase_and_policy(void **state)
{
	static const struct { const char *v; unsigned bits; } phases[] = {
		{ "PreSync", HOOK_PHASE_PRE_SYNC }, { "Sync", HOOK_PHASE_SYNC },
		{ "PostSync", HOOK_PHASE_POST_SYNC }, { "SyncFail", HOOK_PHASE_SYNC_FAIL },
		{ "Skip", HOOK_PHASE_SKIP }, { "PostDelete", HOOK_PHASE_UNSUPPORTED },
	};
	struct hook_spec s;
	struct kerr e;
	char a[256];

	(void)state;
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		snprintf(a, sizeof(a), "{\"argocd.argoproj.io/hook\":\"%s\"}", phases[i].v);
		assert_int_equal(spec_of(a, &s, &e), 0);
		assert_int_equal(s.phases, phases[i].bits);
	}
	assert_int_equal(spec_of("{\"argocd.argoproj.io/hook\":\"PreSync,PostSync\","
				 "\"argocd.argoproj.io/hook-delete-policy\":\"BeforeHookCreation\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_PRE_SYNC | HOOK_PHASE_POST_SYNC);
	assert_int_equal(s.delete_policy, HOOK_DELETE_BEFORE_CREATION);
	/* Argo's spellings only: Helm's are an error under Argo's annotation */
	assert_int_equal(spec_of("{\"argocd.argoproj.io/hook\":\"PreSync\","
				 "\"argocd.argoproj.io/hook-delete-policy\":\"hook-succeeded\"}", &s, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "argocd.argoproj.io/hook-delete-policy"));
	assert_int_equal(spec_of("{\"argocd.argoproj.io/hook\":\"presync\"}", &s, &e), KAIRN_EINVAL);
}

static void test_helm_dialect_phases_weights_and_policies(void **state)
{
	struct hook_spec s;
	struct kerr e;

	(void)state;
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"post-install, post-upgrade\",\"helm.sh/hook-weight\":\"-5\","
				 "\"helm.sh/hook-delete-policy\":\"before-hook-creation,hook-succeeded\"}", &s, &e), 0);
	assert_int_equal(s.phases, HOOK_PHASE_POST_SYNC);
	assert_int_equal(s.weight, -5);
	assert_int_equal(s.delete_policy, HOOK_DELETE_BEFORE_CREATION | HOOK_DELETE_ON_SUCCESS);
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"pre-upgrade\",\"helm.sh/hook-weight\":\"+3\"}", &s, &e), 0);
	assert_int_equal(s.weight, 3);
	assert_int_equal(s.phases, HOOK_PHASE_PRE_SYNC);
	for (const char *const *w = (const char *const[]){ "pre-delete", "post-delete", "pre-rollback",
							    "post-rollback", "test", NULL }; *w; w++) {
		char a[128];

		snprintf(a, sizeof(a), "{\"helm.sh/hook\":\"%s\"}", *w);
		assert_int_equal(spec_of(a, &s, &e), 0);
		assert_int_equal(s.phases, HOOK_PHASE_UNSUPPORTED);
	}
	/* the sync-wave of another dialect is not a Helm hook's weight */
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"pre-install\",\"argocd.argoproj.io/sync-wave\":\"9\"}", &s, &e), 0);
	assert_int_equal(s.weight, 0);
	assert_int_equal(spec_of("{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-delete-policy\":\"HookSucceeded\"}",
				 &s, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "HookSucceeded"));
	assert_int_equal(spec_of("{\"helm.sh/hook\":\" , \"}", &s, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "empty"));
}

static void test_bad_weights_and_timeouts_are_refused(void **state)
{
	static const char *const bad[] = {
		"{\"kairn.dev/hook\":\"sync\",\"kairn.dev/hook-weight\":\"\"}",
		"{\"kairn.dev/hook\":\"sync\",\"kairn.dev/hook-weight\":\"1.5\"}",
		"{\"kairn.dev/hook\":\"sync\",\"kairn.dev/hook-weight\":\"99999999999\"}",
		"{\"argocd.argoproj.io/hook\":\"Sync\",\"argocd.argoproj.io/sync-wave\":\"two\"}",
		"{\"helm.sh/hook\":\"pre-install\",\"helm.sh/hook-weight\":\"5 \"}",
		"{\"kairn.dev/hook\":\"sync\",\"kairn.dev/hook-timeout\":\"0s\"}",
		"{\"kairn.dev/hook\":\"sync\",\"kairn.dev/hook-timeout\":\"-1m\"}",
	};
	struct hook_spec s;
	struct kerr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(spec_of(bad[i], &s, &e), KAIRN_EINVAL);
		assert_non_null(strstr(e.msg, "metadata.annotations[\""));
	}
	/* a timeout on an object that is not a hook is nobody's business */
	assert_int_equal(spec_of("{\"kairn.dev/hook-timeout\":\"soon\"}", &s, &e), 0);
	assert_int_equal(s.phases, 0);
	assert_int_equal(spec_of("{\"kairn.dev/hook\":\"sync\",\"kairn.dev/hook-timeout\":\"1h30m\"}", &s, &e), 0);
	assert_int_equal(s.timeout_ms, 90 * 60 * 1000);
}

/* Errors name the object's file and line, as the manifest loader found them. */
static void test_bad_hook_annotation_names_file_and_line(void **state)
{
	static const char yaml[] =
		"# two documents\n"
		"apiVersion: v1\n"
		"kind: ConfigMap\n"
		"metadata:\n"
		"  name: fine\n"
		"---\n"
		"apiVersion: batch/v1\n"
		"kind: Job\n"
		"metadata:\n"
		"  name: migrate\n"
		"  namespace: platform\n"
		"  annotations:\n"
		"    helm.sh/hook: pre-upgrade\n"
		"    helm.sh/hook-weight: heavy\n";
	struct kobj_set *set = NULL;
	struct manifest_diag diag = { 0 };
	struct hook_spec s;
	struct kerr e;
	struct kobj *job = NULL;

	(void)state;
	assert_int_equal(kobj_set_new(&set), 0);
	assert_int_equal(manifest_load_buf("apps/omnitron/job.yaml", yaml, sizeof(yaml) - 1, set, &diag), 0);
	for (size_t i = 0; i < kobj_set_count(set); i++)
		if (strcmp(kobj_set_at(set, i)->kind, "Job") == 0)
			job = kobj_set_at(set, i);
	assert_non_null(job);
	assert_int_equal(hook_spec_at(kobj_set_at(set, 0)->obj, kobj_set_at(set, 0)->file,
				      kobj_set_at(set, 0)->line, &s, &e), 0);
	assert_int_equal(hook_spec_at(job->obj, job->file, job->line, &s, &e), KAIRN_EINVAL);
	assert_string_equal(e.msg, "apps/omnitron/job.yaml:7: Job platform/migrate: "
				   "metadata.annotations[\"helm.sh/hook-weight\"]: \"heavy\" is not an integer");
	manifest_diag_free(&diag);
	kobj_set_free(set);
}

static void test_durations_print_as_people_write_them(void **state)
{
	static const struct { int64_t ms; const char *want; } cases[] = {
		{ 500, "500ms" }, { 1500, "1500ms" }, { 45000, "45s" }, { 600000, "10m" },
		{ 90000, "1m30s" }, { 7200000, "2h" }, { 0, "0ms" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hook_format_duration(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_status_summary_of_jobs_and_pods(void **state)
{
	char out[256];
	cJSON *o;

	(void)state;
	o = cJSON_Parse("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"active\":1}}");
	hook_status_summary(o, out, sizeof(out));
	assert_string_equal(out, "active 1, succeeded 0, failed 0");
	cJSON_Delete(o);
	o = cJSON_Parse("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"failed\":2,\"conditions\":["
			"{\"type\":\"FailureTarget\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"},"
			"{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"}]}}");
	hook_status_summary(o, out, sizeof(out));
	assert_string_equal(out, "conditions FailureTarget=True (BackoffLimitExceeded), Failed=True "
				 "(BackoffLimitExceeded); active 0, succeeded 0, failed 2");
	cJSON_Delete(o);
	o = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Failed\"}}");
	hook_status_summary(o, out, sizeof(out));
	assert_string_equal(out, "phase Failed");
	cJSON_Delete(o);
	o = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}");
	hook_status_summary(o, out, 8); /* truncated, still terminated */
	assert_string_equal(out, "no stat");
	cJSON_Delete(o);
}

/* hooks_sort: weight first, then kind, namespace and name. */
static void test_hooks_sort_by_weight_then_kind_and_name(void **state)
{
	const char *objs[] = {
		"{\"kind\":\"Job\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}",
		"{\"kind\":\"Job\",\"metadata\":{\"name\":\"b\",\"namespace\":\"n\"}}",
		"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}",
		"{\"kind\":\"Job\",\"metadata\":{\"name\":\"z\",\"namespace\":\"n\"}}",
	};
	int weights[] = { 5, 0, 0, -1 };
	const char *want[] = { "Job/z", "Job/b", "Pod/a", "Job/a" };
	struct hook_item items[4];

	(void)state;
	memset(items, 0, sizeof(items));
	for (size_t i = 0; i < 4; i++) {
		items[i].obj = cJSON_Parse(objs[i]);
		items[i].spec.weight = weights[i];
		items[i].spec.phases = HOOK_PHASE_PRE_SYNC;
	}
	hooks_sort(items, 4);
	for (size_t i = 0; i < 4; i++) {
		char got[64];

		snprintf(got, sizeof(got), "%s/%s", cJSON_GetObjectItem(items[i].obj, "kind")->valuestring,
			 cJSON_GetObjectItem(cJSON_GetObjectItem(items[i].obj, "metadata"), "name")->valuestring);
		assert_string_equal(got, want[i]);
	}
	for (size_t i = 0; i < 4; i++)
		cJSON_Delete(items[i].obj);
}

static enum hook_state state_of(const char *json, char *why)
{
	cJSON *o = cJSON_Parse(json);
	enum hook_state s;

	assert_non_null(o);
	s = hook_state_of(o, why, 256);
	cJSON_Delete(o);
	return s;
}

static void test_job_hook_state_from_conditions(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(state_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{}}", why), HOOK_RUNNING);
	assert_int_equal(state_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"conditions\":"
				  "[{\"type\":\"Complete\",\"status\":\"True\"}]}}", why), HOOK_SUCCEEDED);
	assert_int_equal(state_of("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"status\":{\"conditions\":"
				  "[{\"type\":\"Complete\",\"status\":\"False\"},{\"type\":\"Failed\",\"status\":\"True\","
				  "\"reason\":\"BackoffLimitExceeded\",\"message\":\"Job has reached the specified backoff limit\"}]}}",
				  why), HOOK_FAILED);
	assert_string_equal(why, "Job failed: BackoffLimitExceeded: Job has reached the specified backoff limit");
	assert_int_equal(state_of("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"status\":{\"phase\":\"Failed\"}}", why),
			 HOOK_FAILED);
	assert_int_equal(state_of("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", why), HOOK_SUCCEEDED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_object_is_not_a_hook),
		cmocka_unit_test(test_seed_helm_pre_upgrade_job_is_a_pre_sync_hook),
		cmocka_unit_test(test_argo_hook_with_wave_weight_and_policies),
		cmocka_unit_test(test_argo_annotation_wins_over_helm),
		cmocka_unit_test(test_kairn_hook_with_timeout),
		cmocka_unit_test(test_helm_test_hook_is_never_run_by_sync),
		cmocka_unit_test(test_bad_hook_values_name_the_annotation),
		cmocka_unit_test(test_job_hook_state_from_conditions),
		cmocka_unit_test(test_kairn_dialect_every_phase_and_policy),
		cmocka_unit_test(test_argo_dialect_every_phase_and_policy),
		cmocka_unit_test(test_helm_dialect_phases_weights_and_policies),
		cmocka_unit_test(test_bad_weights_and_timeouts_are_refused),
		cmocka_unit_test(test_bad_hook_annotation_names_file_and_line),
		cmocka_unit_test(test_durations_print_as_people_write_them),
		cmocka_unit_test(test_status_summary_of_jobs_and_pods),
		cmocka_unit_test(test_hooks_sort_by_weight_then_kind_and_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
