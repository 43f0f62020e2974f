/*
 * test_server_tls.c — HTTPS with a bearer token: the generated CA verifies
 * the server certificate for 127.0.0.1, requests without the token get a 401
 * Status, health checks and /kubesim/ need no token, and the kubeconfig
 * carries the CA and the token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "test_server_util.h"

static long https_get(struct ks_server *s, const char *path, const char *token, char **out)
{
	CURL *c = curl_easy_init();
	struct kbuf b = { 0 };
	struct curl_slist *h = NULL;
	char url[256], auth[256];
	long code = 0;
	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", ks_server_port(s), path);
	struct curl_blob ca = { .data = s->ca_pem, .len = strlen(s->ca_pem), .flags = CURL_BLOB_COPY };
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tsrv_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else
		print_message("curl: %s\n", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out)
		*out = kbuf_steal(&b);
	kbuf_free(&b);
	return code;
}

static void test_token_implies_tls_and_is_required(void **st)
{
	struct ks_options opt = { .listen = "127.0.0.1:0", .token = "s3cret", .quiet = 1 };
	struct ks_server *s = NULL;
	struct kerr e;
	kerr_clear(&e);
	assert_int_equal(ks_server_create(&opt, &s, &e), 0);
	char *body = NULL;
	assert_int_equal(https_get(s, "/api/v1/namespaces", NULL, &body), 401);
	assert_non_null(strstr(body, "\"reason\":\"Unauthorized\""));
	free(body);
	assert_int_equal(https_get(s, "/api/v1/namespaces", "wrong", NULL), 401);
	assert_int_equal(https_get(s, "/api/v1/namespaces", "s3cret", NULL), 200);
	assert_int_equal(https_get(s, "/livez", NULL, NULL), 200);
	assert_int_equal(https_get(s, "/kubesim/counters", NULL, NULL), 200);
	char *kc = ks_server_kubeconfig(s);
	assert_non_null(strstr(kc, "server: https://127.0.0.1:"));
	assert_non_null(strstr(kc, "certificate-authority-data: "));
	assert_non_null(strstr(kc, "token: s3cret"));
	free(kc);
	ks_server_destroy(s);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_token_implies_tls_and_is_required) };
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
