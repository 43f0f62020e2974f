/*
 * test_hooks.c — hooks/hook: hook annotations of kairn, Argo CD and Helm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hooks/hook.h"
#include "hooks/status.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
