/*
 * test_server_util.h — helpers for the kubesim server unit tests: start an
 * in-process kubesim on 127.0.0.1 (HTTP, free port) and talk to it with
 * libcurl. Header-only; each test program includes it once.
 */
#ifndef KUBESIM_TEST_SERVER_UTIL_H
#define KUBESIM_TEST_SERVER_UTIL_H

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include "server.h"
#include "util/buf.h"

struct tsrv {
	struct ks_server *s;
	char base[64];
};

static inline int tsrv_start(struct tsrv *t, long history)
{
	struct ks_options opt = { .listen = "127.0.0.1:0", .job_duration_ms = 100, .event_history = history,
				  .quiet = 1 };
	struct kerr e;
	kerr_clear(&e);
	if (ks_server_create(&opt, &t->s, &e) != 0)
		return -1;
	snprintf(t->base, sizeof(t->base), "http://127.0.0.1:%d", ks_server_port(t->s));
	return 0;
}

static inline void tsrv_stop(struct tsrv *t)
{
	ks_server_destroy(t->s);
	t->s = NULL;
}

static size_t tsrv_sink(char *p, size_t sz, size_t n, void *ud)
{
	return kbuf_append(ud, p, sz * n) == 0 ? sz * n : 0;
}

/* Sends one request; returns the HTTP code (0 on transport error) and the
 * body in *out (caller frees) when out is non-NULL. */
static inline long tsrv_req(struct tsrv *t, const char *method, const char *path, const char *ctype,
			    const char *body, char **out)
{
	CURL *c = curl_easy_init();
	struct kbuf b = { 0 };
	struct curl_slist *h = NULL;
	char url[2048], ct[256];
	long code = 0;
	snprintf(url, sizeof(url), "%s%s", t->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tsrv_sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "application/json");
		h = curl_slist_append(h, ct);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	}
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (out)
		*out = kbuf_steal(&b);
	kbuf_free(&b);
	return code;
}

/* Creates a ConfigMap from a JSON object literal's metadata fragment. */
static inline long tsrv_cm(struct tsrv *t, const char *ns, const char *name, const char *extra_meta)
{
	char body[2048], path[512];
	snprintf(body, sizeof(body),
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\"%s%s},\"data\":{\"k\":\"v\"}}",
		 name, extra_meta ? "," : "", extra_meta ? extra_meta : "");
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps", ns);
	return tsrv_req(t, "POST", path, NULL, body, NULL);
}

#endif
