/*
 * test_daemon_parts.c — agent/daemon building blocks that need no cluster:
 * the Prometheus registry, webhook authentication and the Lease decision.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/lease.h"
#include "daemon/metrics.h"
#include "daemon/webhook.h"
#include "util/codec.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

static void test_metrics_render_prometheus_text(void **state)
{
	static const char *const lbl[] = { "source", "result", NULL };
	static const double buckets[] = { 0.1, 1, 10 };
	struct metrics *m;
	struct metric_family *syncs, *dur, *up;
	struct kbuf out = { 0 };
	const char *ok[] = { "apps", "success" }, *bad[] = { "apps", "error" };
	const char *src[] = { "we\"ird\n" };
	static const char *const one[] = { "source", NULL };

	(void)state;
	assert_int_equal(metrics_new(&m), 0);
	syncs = metrics_register(m, "kairn_sync_total", "Syncs by result.", METRIC_COUNTER, lbl, NULL, 0);
	dur = metrics_register(m, "kairn_sync_duration_seconds", "Sync duration.", METRIC_HISTOGRAM, NULL,
			       buckets, 3);
	up = metrics_register(m, "kairn_managed_objects", "Objects.", METRIC_GAUGE, one, NULL, 0);
	assert_non_null(syncs);
	assert_non_null(dur);
	assert_null(metrics_register(m, "kairn_sync_total", "dup", METRIC_COUNTER, NULL, NULL, 0));
	metrics_add(syncs, ok, 1);
	metrics_add(syncs, ok, 1);
	metrics_add(syncs, bad, 1);
	metrics_observe(dur, NULL, 0.5);
	metrics_observe(dur, NULL, 20);
	metrics_set(up, src, 42);
	assert_true(metrics_get(syncs, ok) == 2);
	assert_int_equal(metrics_render(m, &out), 0);
	assert_non_null(strstr(out.data, "# TYPE kairn_sync_total counter\n"));
	assert_non_null(strstr(out.data, "kairn_sync_total{source=\"apps\",result=\"success\"} 2\n"));
	assert_non_null(strstr(out.data, "kairn_sync_total{source=\"apps\",result=\"error\"} 1\n"));
	assert_non_null(strstr(out.data, "kairn_sync_duration_seconds_bucket{le=\"0.1\"} 0\n"));
	assert_non_null(strstr(out.data, "kairn_sync_duration_seconds_bucket{le=\"1\"} 1\n"));
	assert_non_null(strstr(out.data, "kairn_sync_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(out.data, "kairn_sync_duration_seconds_sum 20.5\n"));
	assert_non_null(strstr(out.data, "kairn_sync_duration_seconds_count 2\n"));
	assert_non_null(strstr(out.data, "kairn_managed_objects{source=\"we\\\"ird\\n\"} 42\n"));
	kbuf_free(&out);
	metrics_free(m);
}

static void test_webhook_github_signature(void **state)
{
	const char *body = "{\"ref\":\"refs/heads/main\"}";
	uint8_t mac[32];
	char sig[80] = "sha256=";
	struct webhook_request r = { .body = body, .body_len = strlen(body) };
	struct kerr e;
	char ref[64];

	(void)state;
	hmac_sha256("s3cret", 6, body, strlen(body), mac);
	hex_encode(mac, 32, sig + 7);
	r.github_signature = sig;
	assert_int_equal(webhook_verify("s3cret", &r, &e), 0);
	assert_int_equal(webhook_verify("other", &r, &e), KAIRN_EAUTH);
	r.body_len--; /* a tampered body */
	assert_int_equal(webhook_verify("s3cret", &r, &e), KAIRN_EAUTH);
	r.body_len++;
	assert_int_equal(webhook_push_ref(body, strlen(body), ref, sizeof(ref), &e), 0);
	assert_string_equal(ref, "refs/heads/main");
	assert_int_equal(webhook_push_ref("{\"zen\":\"x\"}", 11, ref, sizeof(ref), &e), KAIRN_ENOTFOUND);
}

static void test_webhook_gitlab_token_and_refusals(void **state)
{
	struct webhook_request r = { .gitlab_token = "tok", .body = "{}", .body_len = 2 };
	struct webhook_request none = { .body = "{}", .body_len = 2 };
	struct kerr e;

	(void)state;
	assert_int_equal(webhook_verify("tok", &r, &e), 0);
	assert_int_equal(webhook_verify("tok2", &r, &e), KAIRN_EAUTH);
	assert_int_equal(webhook_verify("tok", &none, &e), KAIRN_EAUTH);
	assert_non_null(strstr(e.msg, "X-Hub-Signature-256"));
	assert_int_equal(webhook_verify(NULL, &r, &e), KAIRN_EAUTH);
	assert_non_null(strstr(e.msg, "no webhook secret"));
}

static cJSON *lease_at(const char *holder, const char *renew, int dur)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"l\",\"resourceVersion\":\"7\"},\"spec\":{\"holderIdentity\":\"%s\","
		 "\"renewTime\":\"%s\",\"leaseDurationSeconds\":%d,\"acquireTime\":\"%s\",\"leaseTransitions\":2}}",
		 holder, renew, dur, renew);
	return cJSON_Parse(buf);
}

static void test_lease_decisions(void **state)
{
	struct lease_params p = { "kairn-leader", "kairn-system", "pod-a", 15 };
	enum lease_action a;
	struct kerr e;
	time_t now;
	cJSON *out, *valid, *stale;

	(void)state;
	assert_int_equal(time_parse_rfc3339("2026-01-01T00:00:10Z", &now), 0);
	assert_int_equal(lease_decide(NULL, &p, now, &a, &out, &e), 0);
	assert_int_equal(a, LEASE_CREATE);
	assert_string_equal(jsonx_str(out, "spec.holderIdentity"), "pod-a");
	assert_string_equal(jsonx_str(out, "spec.renewTime"), "2026-01-01T00:00:10.000000Z");
	cJSON_Delete(out);

	valid = lease_at("pod-b", "2026-01-01T00:00:00.000000Z", 15);
	assert_int_equal(lease_decide(valid, &p, now, &a, &out, &e), 0);
	assert_int_equal(a, LEASE_FOLLOW);
	assert_null(out);
	assert_false(lease_is_held_by(valid, "pod-a", now));
	assert_true(lease_is_held_by(valid, "pod-b", now));

	stale = lease_at("pod-b", "2026-01-01T00:00:00Z", 5);
	assert_int_equal(lease_decide(stale, &p, now, &a, &out, &e), 0);
	assert_int_equal(a, LEASE_TAKEOVER);
	assert_string_equal(jsonx_str(out, "metadata.resourceVersion"), "7");
	assert_int_equal(jsonx_long(out, "spec.leaseTransitions", -1), 3);
	cJSON_Delete(out);

	p.identity = "pod-b";
	assert_int_equal(lease_decide(valid, &p, now, &a, &out, &e), 0);
	assert_int_equal(a, LEASE_RENEW);
	assert_string_equal(jsonx_str(out, "spec.acquireTime"), "2026-01-01T00:00:00.000000Z");
	assert_int_equal(jsonx_long(out, "spec.leaseTransitions", -1), 2);
	cJSON_Delete(out);
	cJSON_Delete(valid);
	cJSON_Delete(stale);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_render_prometheus_text),
		cmocka_unit_test(test_webhook_github_signature),
		cmocka_unit_test(test_webhook_gitlab_token_and_refusals),
		cmocka_unit_test(test_lease_decisions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
