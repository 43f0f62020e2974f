/*
 * test_kube_policy.c — agent/kube/policy: the token bucket, when a request is
 * retried and how long it waits, Retry-After parsing, and Status decoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kube/policy.h"

static void test_limiter_allows_burst_then_spaces_at_qps(void **state)
{
	struct kube_limiter l;

	(void)state;
	kube_limiter_init(&l, 10, 3, 1000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(kube_limiter_reserve(&l, 1000), 0);
	/* the 4th, 5th, 6th wait 100, 200, 300 ms: queued at 1/qps */
	assert_int_equal(kube_limiter_reserve(&l, 1000), 100);
	assert_int_equal(kube_limiter_reserve(&l, 1000), 200);
	assert_int_equal(kube_limiter_reserve(&l, 1000), 300);
	kube_limiter_destroy(&l);
}

static void test_limiter_refills_over_time_up_to_burst(void **state)
{
	struct kube_limiter l;

	(void)state;
	kube_limiter_init(&l, 100, 5, 0);
	for (int i = 0; i < 5; i++)
		kube_limiter_reserve(&l, 0);
	assert_true(kube_limiter_reserve(&l, 0) > 0);
	/* an hour later the bucket holds 5 tokens, not 360000 */
	for (int i = 0; i < 5; i++)
		assert_int_equal(kube_limiter_reserve(&l, 3600000), 0);
	assert_true(kube_limiter_reserve(&l, 3600000) > 0);
	kube_limiter_destroy(&l);
}

static void test_limiter_unlimited_when_qps_negative(void **state)
{
	struct kube_limiter l;

	(void)state;
	kube_limiter_init(&l, -1, 1, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(kube_limiter_reserve(&l, 0), 0);
	kube_limiter_destroy(&l);
}

static const struct kube_retry_policy P = { .max_attempts = 5, .base_ms = 200, .max_ms = 30000 };

static void test_retry_429_even_for_create(void **state)
{
	struct kube_attempt a = { .http_status = 429, .request_sent = 1, .retry_after_ms = -1 };

	(void)state;
	assert_true(kube_retry_should(&P, 1, 0, &a));
	assert_true(kube_retry_should(&P, 1, 1, &a));
}

static void test_retry_5xx_only_when_idempotent(void **state)
{
	struct kube_attempt a = { .http_status = 500, .request_sent = 1, .retry_after_ms = -1 };

	(void)state;
	assert_true(kube_retry_should(&P, 1, 1, &a));
	assert_false(kube_retry_should(&P, 1, 0, &a));
	a.http_status = 503;
	assert_true(kube_retry_should(&P, 4, 1, &a));
	assert_false(kube_retry_should(&P, 5, 1, &a)); /* budget spent */
}

static void test_retry_never_4xx_or_tls(void **state)
{
	struct kube_attempt a = { .retry_after_ms = -1 };
	int codes[] = { 400, 401, 403, 404, 409, 410, 422 };

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		a.http_status = codes[i];
		assert_false(kube_retry_should(&P, 1, 1, &a));
	}
	a.http_status = 0;
	a.net_error = KAIRN_ETLS;
	assert_false(kube_retry_should(&P, 1, 1, &a));
}

static void test_retry_connection_errors_by_whether_sent(void **state)
{
	struct kube_attempt refused = { .net_error = KAIRN_ENET, .request_sent = 0, .retry_after_ms = -1 };
	struct kube_attempt reset = { .net_error = KAIRN_ENET, .request_sent = 1, .retry_after_ms = -1 };

	(void)state;
	assert_true(kube_retry_should(&P, 1, 0, &refused)); /* nothing reached the server */
	assert_true(kube_retry_should(&P, 1, 1, &reset));
	assert_false(kube_retry_should(&P, 1, 0, &reset)); /* a POST may have been applied */
}

static void test_backoff_doubles_with_jitter_and_caps(void **state)
{
	struct kube_attempt a = { .http_status = 500, .retry_after_ms = -1 };
	uint64_t rng = 42;

	(void)state;
	for (int round = 0; round < 200; round++) {
		for (int attempt = 1; attempt <= 12; attempt++) {
			int64_t full = 200LL << (attempt - 1);
			int64_t d = kube_retry_delay_ms(&P, attempt, &a, &rng);

			if (full > P.max_ms)
				full = P.max_ms;
			assert_true(d >= full / 2);
			assert_true(d <= full);
		}
	}
}

static void test_backoff_jitter_spreads_delays(void **state)
{
	struct kube_attempt a = { .http_status = 500, .retry_after_ms = -1 };
	uint64_t rng = 7;
	int64_t first = kube_retry_delay_ms(&P, 3, &a, &rng);
	int differs = 0;

	(void)state;
	for (int i = 0; i < 50; i++)
		differs |= kube_retry_delay_ms(&P, 3, &a, &rng) != first;
	assert_true(differs);
}

static void test_backoff_honours_retry_after_capped(void **state)
{
	struct kube_attempt a = { .http_status = 429, .retry_after_ms = 2000 };
	uint64_t rng = 1;

	(void)state;
	assert_int_equal(kube_retry_delay_ms(&P, 1, &a, &rng), 2000);
	assert_int_equal(kube_retry_delay_ms(&P, 4, &a, &rng), 2000);
	a.retry_after_ms = 3600000;
	assert_int_equal(kube_retry_delay_ms(&P, 1, &a, &rng), P.max_ms);
}

static void test_retry_after_parses_seconds_and_http_date(void **state)
{
	int64_t ms = -1;

	(void)state;
	assert_int_equal(kube_retry_after_parse(" 3 ", 0, &ms), 0);
	assert_int_equal(ms, 3000);
	assert_int_equal(kube_retry_after_parse("0", 0, &ms), 0);
	assert_int_equal(ms, 0);
	/* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	assert_int_equal(kube_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", 784111770, &ms), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(kube_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", 784111999, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(kube_retry_after_parse("soon", 0, &ms), -1);
	assert_int_equal(kube_retry_after_parse("-5", 0, &ms), -1);
	assert_int_equal(kube_retry_after_parse("", 0, &ms), -1);
}

static void test_status_not_found_names_request(void **state)
{
	const char *body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
			   "\"message\":\"deployments.apps \\\"web\\\" not found\",\"reason\":\"NotFound\","
			   "\"details\":{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\"},\"code\":404}";
	char reason[64];
	struct kerr e;

	(void)state;
	assert_int_equal(kube_status_error(404, body, strlen(body), "GET",
					   "/apis/apps/v1/namespaces/x/deployments/web", reason, &e),
			 KAIRN_ENOTFOUND);
	assert_string_equal(reason, "NotFound");
	assert_string_equal(e.msg, "GET /apis/apps/v1/namespaces/x/deployments/web: 404 NotFound: "
				   "deployments.apps \"web\" not found");
}

static void test_status_already_exists_is_conflict(void **state)
{
	const char *body = "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"namespaces \\\"a\\\" "
			   "already exists\",\"reason\":\"AlreadyExists\",\"code\":409}";
	char reason[64];
	struct kerr e;

	(void)state;
	assert_int_equal(kube_status_error(409, body, strlen(body), "POST", "/api/v1/namespaces",
					   reason, &e), KAIRN_ECONFLICT);
	assert_string_equal(reason, "AlreadyExists");
}

static void test_status_causes_appended_when_message_lacks_them(void **state)
{
	const char *body = "{\"kind\":\"Status\",\"message\":\"Deployment.apps \\\"web\\\" is invalid\","
			   "\"reason\":\"Invalid\",\"code\":422,\"details\":{\"causes\":["
			   "{\"reason\":\"FieldValueRequired\",\"message\":\"Required value\",\"field\":\"spec.selector\"},"
			   "{\"reason\":\"FieldValueInvalid\",\"message\":\"must be positive\",\"field\":\"spec.replicas\"}]}}";
	struct kerr e;

	(void)state;
	assert_int_equal(kube_status_error(422, body, strlen(body), "PATCH", "/x", NULL, &e), KAIRN_EINVAL);
	assert_string_equal(e.msg, "PATCH /x: 422 Invalid: Deployment.apps \"web\" is invalid "
				   "(spec.selector: Required value; spec.replicas: must be positive)");
}

static void test_status_ssa_conflict_not_repeated(void **state)
{
	const char *body = "{\"kind\":\"Status\",\"message\":\"Apply failed with 1 conflict: conflict with "
			   "\\\"kubectl\\\": .spec.replicas\",\"reason\":\"Conflict\",\"code\":409,"
			   "\"details\":{\"causes\":[{\"reason\":\"FieldManagerConflict\",\"message\":"
			   "\"conflict with \\\"kubectl\\\"\",\"field\":\".spec.replicas\"}]}}";
	struct kerr e;

	(void)state;
	assert_int_equal(kube_status_error(409, body, strlen(body), "PATCH", "/y", NULL, &e),
			 KAIRN_ECONFLICT);
	assert_string_equal(e.msg, "PATCH /y: 409 Conflict: Apply failed with 1 conflict: conflict "
				   "with \"kubectl\": .spec.replicas");
}

static void test_status_without_body_uses_http_reason(void **state)
{
	char reason[64];
	struct kerr e;

	(void)state;
	assert_int_equal(kube_status_error(401, NULL, 0, "GET", "/version", reason, &e), KAIRN_EAUTH);
	assert_string_equal(e.msg, "GET /version: 401 Unauthorized");
	assert_int_equal(kube_status_error(503, "upstream\r\nfake: line", 20, "GET", "/a", reason, &e),
			 KAIRN_EAPI);
	assert_string_equal(reason, "ServiceUnavailable");
	assert_null(strchr(e.msg, '\r'));
	assert_int_equal(kube_status_error(410, NULL, 0, "GET", "/w", reason, &e), KAIRN_EGONE);
	assert_int_equal(kube_status_error(415, NULL, 0, "PATCH", "/w", reason, &e), KAIRN_EUNSUPPORTED);
}

static void test_status_hostile_body_is_bounded(void **state)
{
	char big[20000];
	struct kerr e;

	(void)state;
	memset(big, 'A', sizeof(big));
	assert_int_equal(kube_status_error(500, big, sizeof(big), "GET", "/z", NULL, &e), KAIRN_EAPI);
	assert_true(strlen(e.msg) < 300);
	assert_int_equal(kube_status_error(500, "{\"reason\":7,\"message\":[1]}", 27, "GET", "/z", NULL, &e),
			 KAIRN_EAPI);
	assert_string_equal(e.msg, "GET /z: 500 InternalError");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limiter_allows_burst_then_spaces_at_qps),
		cmocka_unit_test(test_limiter_refills_over_time_up_to_burst),
		cmocka_unit_test(test_limiter_unlimited_when_qps_negative),
		cmocka_unit_test(test_retry_429_even_for_create),
		cmocka_unit_test(test_retry_5xx_only_when_idempotent),
		cmocka_unit_test(test_retry_never_4xx_or_tls),
		cmocka_unit_test(test_retry_connection_errors_by_whether_sent),
		cmocka_unit_test(test_backoff_doubles_with_jitter_and_caps),
		cmocka_unit_test(test_backoff_jitter_spreads_delays),
		cmocka_unit_test(test_backoff_honours_retry_after_capped),
		cmocka_unit_test(test_retry_after_parses_seconds_and_http_date),
		cmocka_unit_test(test_status_not_found_names_request),
		cmocka_unit_test(test_status_already_exists_is_conflict),
		cmocka_unit_test(test_status_causes_appended_when_message_lacks_them),
		cmocka_unit_test(test_status_ssa_conflict_not_repeated),
		cmocka_unit_test(test_status_without_body_uses_http_reason),
		cmocka_unit_test(test_status_hostile_body_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
