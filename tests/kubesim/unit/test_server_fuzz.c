/*
 * test_server_fuzz.c — feeds an in-process kubesim thousands of mutated
 * requests (bodies with flipped, dropped, inserted and truncated bytes;
 * random methods, paths, content types, query strings, protobuf envelopes)
 * and checks it never crashes, never answers 5xx, and still serves
 * afterwards. Bounded to KUBESIM_FUZZ_N requests (default 3000) and 60 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>
#include "test_server_util.h"
#include "util/timeutil.h"

static const char *const BODIES[] = {
	"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"f1\",\"labels\":{\"a\":\"b\"}},\"data\":{\"k\":\"v\"}}",
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d1\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"ports\":[{\"containerPort\":80}]}]}}}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"fz\"}}",
	"[{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"w\"},{\"op\":\"remove\",\"path\":\"/metadata/labels\"}]",
	"{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"y\"}],\"$setElementOrder/containers\":[{\"name\":\"c\"}]}}}}",
	"{\"metadata\":{\"finalizers\":null,\"ownerReferences\":[{\"uid\":\"x\",\"name\":\"n\",\"kind\":\"K\",\"apiVersion\":\"v1\"}]}}",
	"{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"things.fz.io\"},\"spec\":{\"group\":\"fz.io\",\"scope\":\"Namespaced\",\"names\":{\"plural\":\"things\",\"kind\":\"Thing\"},\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true}]}}",
	"{\"propagationPolicy\":\"Foreground\",\"preconditions\":{\"uid\":\"u\"}}",
	"{\"faults\":[]}",
};

static const char *const PATHS[] = {
	"/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/configmaps/f1",
	"/apis/apps/v1/namespaces/default/deployments", "/apis/apps/v1/namespaces/default/deployments/d1",
	"/apis/apps/v1/namespaces/default/deployments/d1/scale", "/apis/apps/v1/namespaces/default/deployments/d1/status",
	"/api/v1/namespaces", "/api/v1/namespaces/fz", "/api/v1/namespaces/fz/configmaps",
	"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.fz.io",
	"/apis/fz.io/v1/namespaces/default/things", "/apis/fz.io/v1/namespaces/default/things/t",
	"/api", "/apis", "/api/v1", "/apis/apps/v1", "/openapi/v3", "/openapi/v3/api/v1", "/version",
	"/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(b", "/api/v1/configmaps?fieldSelector=metadata.name",
	"/api/v1/configmaps?limit=1&continue=%%%", "/api/v1/configmaps?watch=true&timeoutSeconds=1&resourceVersion=abc",
	"/api/v1/configmaps?watch=1&timeoutSeconds=0&resourceVersion=1", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
	"/api/v1/namespaces/default/configmaps/f1?fieldManager=fz&force=true&dryRun=All&fieldValidation=Strict",
	"/api/v1//namespaces//configmaps", "/apis/x", "/apis/apps/v1/deployments", "/api/v1/namespaces/default/pods/p/log",
};

static const char *const CTYPES[] = {
	"application/json", "application/merge-patch+json", "application/json-patch+json",
	"application/strategic-merge-patch+json", "application/apply-patch+yaml", "application/vnd.kubernetes.protobuf",
	"text/plain", "",
};

static const char *const METHODS[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

#define PICK(a) (a)[rnd() % (sizeof(a) / sizeof((a)[0]))]

static size_t mutate(const char *seed, char *out, size_t cap)
{
	size_t n = strlen(seed);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, seed, n);
	int edits = (int)(rnd() % 4);
	for (int i = 0; i < edits && n > 0; i++) {
		size_t at = rnd() % n;
		switch (rnd() % 5) {
		case 0: out[at] = (char)(rnd() & 0xff); break;
		case 1: memmove(out + at, out + at + 1, n - at - 1); n--; break;
		case 2:
			if (n + 1 < cap) {
				memmove(out + at + 1, out + at, n - at);
				out[at] = "{}[]\",:0n\\"[rnd() % 10];
				n++;
			}
			break;
		case 3: n = at; break;
		default: break;
		}
	}
	out[n] = 0;
	return n;
}

/* A protobuf envelope with random bytes after a plausible prefix. */
static size_t protobuf_body(char *out, size_t cap)
{
	static const unsigned char pre[] = { 'k', '8', 's', 0, 0x0a, 0x0f, 0x0a, 0x02, 'v', '1', 0x12, 0x09,
					     'C', 'o', 'n', 'f', 'i', 'g', 'M', 'a', 'p', 0x12 };
	size_t n = sizeof(pre);
	memcpy(out, pre, n);
	size_t extra = rnd() % 64;
	for (size_t i = 0; i < extra && n < cap; i++)
		out[n++] = (char)(rnd() & 0xff);
	return n;
}

static void test_mutated_requests_never_crash_or_500(void **st)
{
	struct tsrv t;
	assert_int_equal(tsrv_start(&t, 2000), 0);
	const char *env = getenv("KUBESIM_FUZZ_N");
	long total = env ? atol(env) : 3000;
	int64_t stop = time_mono_ms() + 60000;
	CURL *c = curl_easy_init();
	struct kbuf sink = { 0 };
	long n5xx = 0, done = 0;
	for (long i = 0; i < total && time_mono_ms() < stop; i++, done++) {
		char body[4096], url[1024], ct[300];
		const char *ctype = PICK(CTYPES);
		size_t len = !strcmp(ctype, "application/vnd.kubernetes.protobuf") ? protobuf_body(body, sizeof(body))
										    : mutate(PICK(BODIES), body, sizeof(body));
		snprintf(url, sizeof(url), "%s%s", t.base, PICK(PATHS));
		const char *method = PICK(METHODS);
		struct curl_slist *h = NULL;
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		h = curl_slist_append(h, ct);
		kbuf_reset(&sink);
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tsrv_sink);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
		int watch = strstr(url, "watch=") != NULL;
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, watch ? 300L : 5000L);
		if (strcmp(method, "GET")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		}
		CURLcode cc = curl_easy_perform(c);
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_slist_free_all(h);
		if (watch && cc == CURLE_OPERATION_TIMEDOUT && code == 200)
			continue; /* an endless watch stream, as asked */
		if (cc != CURLE_OK || code >= 500 || code < 200) {
			print_error("request %ld: %s %s (%s) -> curl %d, HTTP %ld: %.300s\n", i, method, url, ctype,
				    (int)cc, code, sink.data ? sink.data : "");
			n5xx++;
		}
	}
	kbuf_free(&sink);
	curl_easy_cleanup(c);
	assert_int_equal(tsrv_req(&t, "GET", "/version", NULL, NULL, NULL), 200);
	tsrv_stop(&t);
	print_message("fuzz: %ld requests\n", done);
	assert_int_equal(n5xx, 0);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_mutated_requests_never_crash_or_500) };
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
