/*
 * client.c — struct kube_client: its lifetime, the pool of curl multi handles,
 * the client-wide concurrency slots, and the one place a curl easy handle is
 * configured (URL, TLS material, credentials, headers, timeouts).
 * It must never set CURLOPT_VERBOSE (headers carry tokens) nor put a
 * credential into an error message.
 */
#include "kube/internal.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/vec.h"
#include "version.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
	struct kube_client *c = ud;

	(void)h;
	(void)access;
	pthread_mutex_lock(&c->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
	struct kube_client *c = ud;

	(void)h;
	pthread_mutex_unlock(&c->share_mu[data]);
}

/* Why these defaults: what protects the API server is the concurrency
 * bound (32 requests in flight, i.e. at most 32 of API Priority and
 * Fairness's seats) and honouring 429 + Retry-After: both react to how
 * loaded the server is. A QPS limit does not (it is open-loop), and at
 * client-go's 5/s or Flux's and Argo CD's 50/s it would make a 10,000-object
 * sync take minutes against a server that answers in milliseconds. So the
 * limiter is a guard against a runaway loop, set where normal syncs never
 * meet it: a burst that covers a 20,000-request sync (a first sync of
 * 10,000 objects is bound only by the concurrency), then 1,000/s. */
static void opts_defaults(struct kube_client_opts *o)
{
	if (o->qps == 0)
		o->qps = 1000;
	if (o->burst <= 0)
		o->burst = 20000;
	if (o->concurrency <= 0)
		o->concurrency = 32;
	if (o->timeout_ms <= 0)
		o->timeout_ms = 60000;
	/* 8: with 10 % of answers failing, 5 attempts left one request in
	 * ~10^5 failed (a 1,000-object sync failed about once in 100); 8 make
	 * it ~10^-8, and a real outage still fails a request within ~25 s of
	 * backoff (client-go retries a Retry-After answer up to 10 times). */
	if (o->max_attempts <= 0)
		o->max_attempts = 8;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = 200;
	if (o->backoff_max_ms <= 0)
		o->backoff_max_ms = 30000;
}

/* tls-server-name: curl verifies the certificate against the URL's host, so
 * the URL names the tls-server-name and CONNECT_TO sends the connection to
 * the real host and port. */
/* localhost, 127.0.0.0/8 or ::1: Go's proxy rules never send these
 * through a proxy, so neither do we. */
static int host_is_loopback(const char *server)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int yes = 0;

	if (u && !curl_url_set(u, CURLUPART_URL, server, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0))
		yes = strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
		      strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}

static int base_url_setup(struct kube_client *c, struct kerr *e)
{
	CURLU *u = NULL;
	char *host = NULL, *port = NULL, *url = NULL;
	struct kbuf ct = { 0 };
	struct curl_slist *l;
	size_t n;
	int rc = 0;

	c->server_is_loopback = host_is_loopback(c->cfg->server);
	if (!c->cfg->tls_server_name || !c->cfg->tls_server_name[0]) {
		c->base_url = strdup(c->cfg->server);
		return c->base_url ? 0 : kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, c->cfg->server, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
	    curl_url_set(u, CURLUPART_HOST, c->cfg->tls_server_name, 0) ||
	    curl_url_get(u, CURLUPART_URL, &url, 0)) {
		rc = kerr_set(e, KAIRN_EINVAL, "server %s with tls-server-name %s: not a valid URL",
			      c->cfg->server, c->cfg->tls_server_name);
		goto out;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	if (!(c->base_url = strdup(url)) ||
	    kbuf_printf(&ct, "%s:%s:%s:%s", c->cfg->tls_server_name, port, host, port) ||
	    !(l = curl_slist_append(NULL, ct.data))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	c->connect_to = l;
out:
	curl_free(host);
	curl_free(port);
	curl_free(url);
	curl_url_cleanup(u);
	kbuf_free(&ct);
	return rc;
}

int kube_client_new(const struct kube_config *cfg, const struct kube_client_opts *opts,
		    struct kube_client **out, struct kerr *e)
{
	struct kube_client *c = calloc(1, sizeof(*c));
	struct kbuf ua = { 0 };
	int rc;

	*out = NULL;
	if (!c)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_mu[i], NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->slot_cv, NULL);
	if (opts)
		c->opts = *opts;
	opts_defaults(&c->opts);
	c->retry.max_attempts = c->opts.max_attempts;
	c->retry.base_ms = c->opts.backoff_base_ms;
	c->retry.max_ms = c->opts.backoff_max_ms;
	kube_limiter_init(&c->limiter, c->opts.qps, c->opts.burst, time_mono_ms());
	c->rng = (uint64_t)time_mono_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;

	if (!cfg || !cfg->server || !cfg->server[0]) {
		rc = kerr_set(e, KAIRN_EINVAL, "kube client: the config names no server");
		goto fail;
	}
	rc = kube_config_dup(cfg, &c->cfg, e);
	if (rc)
		goto fail;
	rc = base_url_setup(c, e);
	if (rc)
		goto fail;
	rc = kube_auth_init(&c->auth, c->cfg, e);
	if (rc)
		goto fail;
	if (c->opts.user_agent)
		rc = kbuf_puts(&ua, c->opts.user_agent);
	else
		rc = kbuf_printf(&ua, "kairn/%s", kairn_version());
	if (rc || !(c->user_agent = kbuf_steal(&ua))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto fail;
	}
	c->opts.user_agent = NULL; /* borrowed; we keep our copy */

	c->share = curl_share_init();
	if (!c->share) {
		rc = kerr_set(e, KAIRN_ENOMEM, "curl_share_init failed");
		goto fail;
	}
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = c;
	return 0;
fail:
	kbuf_free(&ua);
	kube_client_free(c);
	return rc;
}

void kube_client_free(struct kube_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->npool; i++)
		curl_multi_cleanup(c->pool[i]);
	free(c->pool);
	if (c->share)
		curl_share_cleanup(c->share);
	if (c->cfg)
		kube_auth_destroy(&c->auth);
	kube_gv_cache_free(c->gv);
	kube_config_free(c->cfg);
	kube_limiter_destroy(&c->limiter);
	free(c->user_agent);
	free(c->base_url);
	curl_slist_free_all(c->connect_to);
	pthread_cond_destroy(&c->slot_cv);
	pthread_mutex_destroy(&c->mu);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_mu[i]);
	free(c);
}

const char *kube_client_namespace(const struct kube_client *c)
{
	return c->cfg->namespace && c->cfg->namespace[0] ? c->cfg->namespace : "default";
}

const char *kube_client_server(const struct kube_client *c)
{
	return c->cfg->server;
}

const char *kube_client_context(const struct kube_client *c)
{
	return c->cfg->context ? c->cfg->context : "";
}

const char *kube_client_auth_method(const struct kube_client *c)
{
	const struct kube_config *k = c->cfg;

	if (k->in_cluster)
		return "in-cluster";
	if (k->exec)
		return "exec";
	if (k->token)
		return "token";
	if (k->token_file)
		return "token-file";
	if (k->cert_pem)
		return "client-cert";
	if (k->username)
		return "basic";
	return "anonymous";
}

void kube_client_stats(struct kube_client *c, struct kube_client_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->stats;
	pthread_mutex_unlock(&c->mu);
}

void kube_stats_add(struct kube_client *c, uint64_t requests, uint64_t retries, uint64_t errors)
{
	pthread_mutex_lock(&c->mu);
	c->stats.requests += requests;
	c->stats.retries += retries;
	c->stats.errors += errors;
	pthread_mutex_unlock(&c->mu);
}

uint64_t kube_client_rand(struct kube_client *c)
{
	uint64_t x;

	pthread_mutex_lock(&c->mu);
	x = c->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	pthread_mutex_unlock(&c->mu);
	return x;
}

CURLM *kube_multi_get(struct kube_client *c)
{
	CURLM *m = NULL;

	pthread_mutex_lock(&c->mu);
	if (c->npool)
		m = c->pool[--c->npool];
	pthread_mutex_unlock(&c->mu);
	if (m)
		return m;
	m = curl_multi_init();
	if (!m)
		return NULL;
	/* HTTP/2 streams share a connection; HTTP/1.1 gets up to `concurrency`
	 * keep-alive connections, kept open between calls. */
	curl_multi_setopt(m, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->opts.concurrency);
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)c->opts.concurrency);
	return m;
}

void kube_multi_put(struct kube_client *c, CURLM *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&c->mu);
	if (vec_reserve(c->pool, c->npool, c->pool_cap, 4)) {
		pthread_mutex_unlock(&c->mu);
		curl_multi_cleanup(m);
		return;
	}
	c->pool[c->npool++] = m;
	pthread_mutex_unlock(&c->mu);
}

int kube_slot_try(struct kube_client *c)
{
	int ok;

	pthread_mutex_lock(&c->mu);
	ok = c->inflight < c->opts.concurrency;
	if (ok)
		c->inflight++;
	pthread_mutex_unlock(&c->mu);
	return ok;
}

void kube_slot_wait(struct kube_client *c)
{
	pthread_mutex_lock(&c->mu);
	while (c->inflight >= c->opts.concurrency)
		pthread_cond_wait(&c->slot_cv, &c->mu);
	c->inflight++;
	pthread_mutex_unlock(&c->mu);
}

void kube_slot_release(struct kube_client *c)
{
	pthread_mutex_lock(&c->mu);
	c->inflight--;
	pthread_cond_signal(&c->slot_cv);
	pthread_mutex_unlock(&c->mu);
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct kube_resp *r = ud;
	size_t max = r->max_body ? r->max_body : (size_t)512 << 20;

	if (r->body.len == 0 && r->h) {
		curl_off_t cl = -1;

		/* one allocation for the whole body rather than a chain of
		 * doublings, each freeing a large block (a LIST page is ~1 MB) */
		if (curl_easy_getinfo(r->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
		    cl > 0 && (uint64_t)cl <= max && kbuf_reserve(&r->body, (size_t)cl))
			return 0;
	}
	if (r->body.len + sz * n > max || kbuf_append(&r->body, p, sz * n))
		return 0; /* curl reports CURLE_WRITE_ERROR */
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct kube_resp *r = ud;
	size_t len = sz * n;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) && strncasecmp(p, name, sizeof(name) - 1) == 0) {
		char v[128];
		size_t vl = len - (sizeof(name) - 1);
		int64_t ms;

		if (vl >= sizeof(v))
			vl = sizeof(v) - 1;
		memcpy(v, p + sizeof(name) - 1, vl);
		v[vl] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		if (kube_retry_after_parse(v, time(NULL), &ms) == 0)
			r->retry_after_ms = ms;
	}
	return len;
}

static int add_header(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);

	if (!n)
		return KAIRN_ENOMEM;
	*l = n;
	return 0;
}

int kube_easy_setup(struct kube_client *c, CURL *h, const struct kube_http *req,
		    const struct kube_creds *cr, struct kube_resp *resp, struct curl_slist **hdrs,
		    struct kerr *e)
{
	const struct kube_config *k = c->cfg;
	struct kbuf auth = { 0 };
	int rc = 0;

	*hdrs = NULL;
	resp->h = h;
	resp->retry_after_ms = -1;
	resp->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, resp->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Proxies as client-go: the cluster's proxy-url if the kubeconfig has
	 * one; else HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment (curl
	 * reads them), except for a loopback server, which Go never proxies. */
	if (k->proxy_url)
		curl_easy_setopt(h, CURLOPT_PROXY, k->proxy_url);
	else if (c->server_is_loopback)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (c->connect_to)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
	if (req->timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);

	/* TLS: verified unless the kubeconfig says insecure-skip-tls-verify. A
	 * kubeconfig CA replaces the system store, as with kubectl. */
	if (k->insecure_skip_tls_verify) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (k->ca_pem) {
		struct curl_blob ca = { k->ca_pem, k->ca_pem_len, CURL_BLOB_COPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	if (cr->cert_pem && cr->key_pem) {
		struct curl_blob cert = { cr->cert_pem, cr->cert_len, CURL_BLOB_COPY };
		struct curl_blob key = { cr->key_pem, cr->key_len, CURL_BLOB_COPY };

		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (k->username && !cr->token) {
		curl_easy_setopt(h, CURLOPT_USERNAME, k->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD, k->password ? k->password : "");
	}

	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
	}

	rc = add_header(hdrs, "Accept: application/json");
	if (!rc && req->content_type) {
		struct kbuf ct = { 0 };

		rc = kbuf_printf(&ct, "Content-Type: %s", req->content_type);
		if (!rc)
			rc = add_header(hdrs, ct.data);
		kbuf_free(&ct);
	}
	if (!rc)
		rc = add_header(hdrs, "Expect:");
	if (!rc && cr->token && cr->token[0]) {
		rc = kbuf_printf(&auth, "Authorization: Bearer %s", cr->token);
		if (!rc)
			rc = add_header(hdrs, auth.data);
		/* the header list holds its own copy; wipe ours */
		if (auth.data)
			memset(auth.data, 0, auth.len);
	}
	kbuf_free(&auth);
	if (rc)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return 0;
}

int kube_curl_error(CURLcode rc, int *request_sent)
{
	*request_sent = 1;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		*request_sent = 0;
		return KAIRN_ENET;
	case CURLE_OPERATION_TIMEDOUT:
		return KAIRN_ETIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
		/* the handshake failed: nothing was sent, but it is a TLS failure */
		*request_sent = 0;
		return KAIRN_ETLS;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		*request_sent = 0;
		return KAIRN_ETLS;
	case CURLE_OUT_OF_MEMORY:
		return KAIRN_ENOMEM;
	case CURLE_WRITE_ERROR:
		return KAIRN_EAPI;
	default:
		return KAIRN_ENET;
	}
}

int kube_path_build(struct kbuf *b, const struct kube_resource *r, const char *ns,
		    const char *name, const char *sub)
{
	int rc;

	if (r->group && r->group[0])
		rc = kbuf_printf(b, "/apis/%s/%s", r->group, r->version);
	else
		rc = kbuf_printf(b, "/api/%s", r->version);
	if (!rc && r->namespaced && ns && ns[0]) {
		rc = kbuf_puts(b, "/namespaces/");
		if (!rc)
			rc = kbuf_put_urlenc(b, ns);
	}
	if (!rc)
		rc = kbuf_printf(b, "/%s", r->resource);
	if (!rc && name) {
		rc = kbuf_putc(b, '/');
		if (!rc)
			rc = kbuf_put_urlenc(b, name);
	}
	if (!rc && name && sub)
		rc = kbuf_printf(b, "/%s", sub);
	return rc;
}
