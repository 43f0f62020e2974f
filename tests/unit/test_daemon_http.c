/*
 * test_daemon_http.c — agent/daemon/http: the agent's endpoints, exercised
 * over real HTTP on 127.0.0.1 with libcurl.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http.h"
#include "util/buf.h"
#include "util/codec.h"

struct fixture {
	struct daemon_http *h;
	struct metrics *m;
	int ready;
	char pushed[128];
};

static int is_ready(void *ctx)
{
	return ((struct fixture *)ctx)->ready;
}

static void on_push(const char *ref, void *ctx)
{
	snprintf(((struct fixture *)ctx)->pushed, sizeof(((struct fixture *)ctx)->pushed), "%s", ref);
}

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
	kbuf_append(ud, p, sz * n);
	return sz * n;
}

static long request(struct fixture *f, const char *method, const char *path, const char *body,
		    const char *header, struct kbuf *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char url[128];
	long code = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", daemon_http_port(f->h), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (header) {
		hdrs = curl_slist_append(hdrs, header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return code;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct daemon_http_opts o = { .listen = "127.0.0.1:0", .webhook_secret = "hook-secret",
				      .ready = is_ready, .on_push = on_push };
	static const char *const none[] = { NULL };
	struct kerr e;

	metrics_new(&f->m);
	metrics_set(metrics_register(f->m, "kairn_up", "Up.", METRIC_GAUGE, none, NULL, 0), NULL, 1);
	o.metrics = f->m;
	o.ctx = f;
	assert_int_equal(daemon_http_start(&o, &f->h, &e), 0);
	assert_true(daemon_http_port(f->h) > 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	daemon_http_stop(f->h);
	metrics_free(f->m);
	free(f);
	return 0;
}

static void test_healthz_always_ok_readyz_follows_first_sync(void **state)
{
	struct fixture *f = *state;
	struct kbuf b = { 0 };

	assert_int_equal(request(f, "GET", "/healthz", NULL, NULL, &b), 200);
	assert_int_equal(request(f, "GET", "/readyz", NULL, NULL, &b), 503);
	f->ready = 1;
	assert_int_equal(request(f, "GET", "/readyz", NULL, NULL, &b), 200);
	assert_int_equal(request(f, "GET", "/nope", NULL, NULL, &b), 404);
	assert_int_equal(request(f, "DELETE", "/healthz", NULL, NULL, &b), 405);
	kbuf_free(&b);
}

static void test_metrics_endpoint_serves_registry(void **state)
{
	struct fixture *f = *state;
	struct kbuf b = { 0 };

	assert_int_equal(request(f, "GET", "/metrics", NULL, NULL, &b), 200);
	assert_non_null(strstr(b.data, "kairn_up 1\n"));
	kbuf_free(&b);
}

static void test_webhook_needs_valid_signature(void **state)
{
	struct fixture *f = *state;
	const char *body = "{\"ref\":\"refs/heads/main\"}";
	struct kbuf b = { 0 };
	uint8_t mac[32];
	char hdr[128] = "X-Hub-Signature-256: sha256=";

	assert_int_equal(request(f, "POST", "/webhook", body, NULL, &b), 401);
	assert_int_equal(request(f, "POST", "/webhook", body, "X-Gitlab-Token: wrong", &b), 401);
	assert_string_equal(f->pushed, "");
	hmac_sha256("hook-secret", 11, body, strlen(body), mac);
	hex_encode(mac, 32, hdr + strlen(hdr));
	assert_int_equal(request(f, "POST", "/webhook", body, hdr, &b), 202);
	assert_string_equal(f->pushed, "refs/heads/main");
	assert_int_equal(request(f, "GET", "/webhook", NULL, NULL, &b), 405);
	kbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthz_always_ok_readyz_follows_first_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_endpoint_serves_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_webhook_needs_valid_signature, setup, teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
