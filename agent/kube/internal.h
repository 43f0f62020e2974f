/*
 * internal.h — what the files of agent/kube share and nobody else may use:
 * the client struct, credentials, the curl handle setup, discovery cache.
 */
#ifndef KAIRN_KUBE_INTERNAL_H
#define KAIRN_KUBE_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "kube/kube.h"
#include "kube/kubeconfig.h"
#include "kube/policy.h"
#include "util/buf.h"

/* Wipes then frees a secret (NULL is fine). */
void kube_secret_free(char *p, size_t len);
/* *dst = strdup(src) when src is not NULL; -1 on ENOMEM. */
int kube_strdup_opt(char **dst, const char *src);

/* ---- credentials (auth.c, exec.c) ---------------------------------------- */

/* What one request authenticates with: copies, freed by kube_creds_clear. */
struct kube_creds {
	char *token;
	char *cert_pem, *key_pem;
	size_t cert_len, key_len;
};

struct kube_auth {
	pthread_mutex_t mu;
	const struct kube_config *cfg; /* the client's copy */
	char *file_token;              /* token file contents, trimmed */
	int64_t file_read_ms;          /* when read (monotonic), 0 = never */
	struct kube_creds exec_cred;   /* from the exec plugin */
	time_t exec_expiry;            /* 0 = no expiry given */
	int exec_valid;
};

/* The result of running an exec plugin once. */
struct kube_exec_result {
	struct kube_creds cred;
	time_t expiry; /* 0 = none */
};

int kube_auth_init(struct kube_auth *a, const struct kube_config *cfg, struct kerr *e);
void kube_auth_destroy(struct kube_auth *a);
/* Copies the current credentials, refreshing a token file older than a
 * minute or an exec credential that has expired. */
int kube_auth_get(struct kube_auth *a, struct kube_creds *out, struct kerr *e);
/* After a 401: forget cached tokens so the next kube_auth_get refreshes.
 * Returns 1 if there was anything to refresh (a retry can help). */
int kube_auth_invalidate(struct kube_auth *a);
void kube_creds_clear(struct kube_creds *c);

/* Runs the plugin and parses its ExecCredential (exec.c). */
int kube_exec_run(const struct kube_exec_config *x, const struct kube_config *cfg,
		  struct kube_exec_result *out, struct kerr *e);
/* Parses ExecCredential JSON (exported for tests through kube_exec_run). */
int kube_exec_parse(const char *json, size_t len, const char *want_api_version,
		    struct kube_exec_result *out, struct kerr *e);

/* ---- discovery cache (discovery.c) --------------------------------------- */

struct kube_gv_cache; /* opaque list of fetched group-versions */
void kube_gv_cache_free(struct kube_gv_cache *c);

/* ---- client ------------------------------------------------------------- */

struct kube_client {
	struct kube_config *cfg;
	struct kube_client_opts opts;
	struct kube_retry_policy retry;
	struct kube_limiter limiter;
	struct kube_auth auth;
	char *user_agent;
	char *base_url;              /* cfg->server, or with tls-server-name as host */
	int server_is_loopback;      /* localhost, 127.0.0.0/8 or ::1: never proxied */
	struct curl_slist *connect_to; /* tls-server-name → the real host */

	pthread_mutex_t mu;       /* pool, slots, stats, rng, discovery */
	pthread_cond_t slot_cv;
	int inflight;             /* requests in flight, all threads */
	CURLM **pool;             /* idle multi handles */
	size_t npool, pool_cap;
	uint64_t rng;
	struct kube_client_stats stats;

	CURLSH *share;            /* DNS cache and TLS sessions, across threads */
	pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

	struct kube_gv_cache *gv; /* guarded by mu */
};

/* One HTTP exchange's settings, for kube_easy_setup. */
struct kube_http {
	const char *method;
	const char *url;
	const char *content_type; /* NULL: no body */
	const char *body;
	size_t body_len;
	int64_t timeout_ms;       /* 0: none (watches) */
};

/* The response side of one easy handle. */
struct kube_resp {
	CURL *h;                /* set by kube_easy_setup */
	struct kbuf body;       /* sized from Content-Length when the server sends one */
	int64_t retry_after_ms; /* -1 if absent */
	size_t max_body;        /* refuse bodies larger than this (0 = 512 MiB) */
	char errbuf[CURL_ERROR_SIZE];
};

/* Configures h for one request: URL, TLS, credentials, headers. *hdrs gets
 * the header list the caller frees after the transfer. */
int kube_easy_setup(struct kube_client *c, CURL *h, const struct kube_http *req,
		    const struct kube_creds *cr, struct kube_resp *resp, struct curl_slist **hdrs,
		    struct kerr *e);

/* Maps a transport failure to KAIRN_E* and says whether the request may have
 * reached the server. */
int kube_curl_error(CURLcode rc, int *request_sent);

/* Borrows/returns a multi handle from the client's pool. */
CURLM *kube_multi_get(struct kube_client *c);
void kube_multi_put(struct kube_client *c, CURLM *m);

/* Concurrency slots (client-wide). */
int kube_slot_try(struct kube_client *c);
void kube_slot_wait(struct kube_client *c);
void kube_slot_release(struct kube_client *c);

uint64_t kube_client_rand(struct kube_client *c);
void kube_stats_add(struct kube_client *c, uint64_t requests, uint64_t retries, uint64_t errors);

/* Appends "/api/v1" or "/apis/G/V", "/namespaces/N" if namespaced and ns, the
 * resource, and "/name[/sub]" when given; segments URL-encoded. */
int kube_path_build(struct kbuf *b, const struct kube_resource *r, const char *ns,
		    const char *name, const char *sub);

#endif
