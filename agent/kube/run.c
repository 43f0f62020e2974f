/*
 * run.c — the batch engine behind every request: kube_run takes N ops and
 * drives them on one borrowed curl multi handle, starting a transfer only
 * when a client-wide concurrency slot and a limiter token are both there,
 * retrying by policy.h's rules, following LIST pages, and decoding the
 * outcome of each op into op->rc/err/result.
 * It never blocks while holding a slot except inside curl_multi_poll, and
 * never sleeps: waits (limiter, backoff) are poll timeouts.
 */
#include "kube/internal.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum xfer_state { XF_QUEUED, XF_ACTIVE, XF_DONE };

struct xfer {
	struct kube_op *op;
	enum xfer_state state;
	const char *method;
	const char *content_type;
	int idempotent;
	char *path;      /* for messages: no query string */
	char *body;
	size_t body_len;
	int64_t not_before;
	int has_token;   /* a limiter token is reserved for the next start */
	int attempt;
	int auth_refreshed;
	/* transfer */
	CURL *h;
	struct curl_slist *hdrs;
	struct kube_resp resp;
	struct kube_creds creds;
	/* LIST paging */
	cJSON *items;
	char *cont;
	char *list_rv;
	int list_restarted;
};

static const char *propagation_name(enum kube_propagation p)
{
	switch (p) {
	case KUBE_PROPAGATION_BACKGROUND: return "Background";
	case KUBE_PROPAGATION_FOREGROUND: return "Foreground";
	case KUBE_PROPAGATION_ORPHAN: return "Orphan";
	default: return NULL;
	}
}

static const char *body_str(const cJSON *o, const char *path)
{
	return o ? jsonx_str(o, path) : NULL;
}

static int put_query(struct kbuf *q, const char *k, const char *v)
{
	int rc;

	if (!v)
		return 0;
	rc = kbuf_printf(q, "%c%s=", q->len ? '&' : '?', k);
	return rc ? rc : kbuf_put_urlenc(q, v);
}

static int delete_body(const struct kube_op *op, char **out, size_t *len)
{
	cJSON *o = cJSON_CreateObject(), *pre = NULL;
	const char *prop = propagation_name(op->propagation);
	int ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "kind", "DeleteOptions");
	ok = ok && cJSON_AddStringToObject(o, "apiVersion", "v1");
	if (ok && prop)
		ok = cJSON_AddStringToObject(o, "propagationPolicy", prop) != NULL;
	if (ok && (op->precondition_uid || op->precondition_rv)) {
		ok = (pre = cJSON_AddObjectToObject(o, "preconditions")) != NULL;
		if (ok && op->precondition_uid)
			ok = cJSON_AddStringToObject(pre, "uid", op->precondition_uid) != NULL;
		if (ok && op->precondition_rv)
			ok = cJSON_AddStringToObject(pre, "resourceVersion", op->precondition_rv) != NULL;
	}
	if (ok && op->dry_run) {
		cJSON *a = cJSON_AddArrayToObject(o, "dryRun");

		ok = a && cJSON_AddItemToArray(a, cJSON_CreateString("All"));
	}
	*out = ok ? cJSON_PrintUnformatted(o) : NULL;
	*len = *out ? strlen(*out) : 0;
	cJSON_Delete(o);
	return *out ? 0 : KAIRN_ENOMEM;
}

/* Works out method, path, query and body of op. *url_tail gets path+query. */
static int xfer_prepare(struct xfer *x, struct kbuf *path, struct kbuf *query, struct kerr *e)
{
	struct kube_op *op = x->op;
	const char *ns = op->namespace, *name = op->name;
	const char *fm = op->field_manager ? op->field_manager : "kairn";
	int rc = 0;

	if (op->kind != KUBE_OP_RAW && !op->res)
		return kerr_set(e, KAIRN_EINVAL, "request without a resource");
	if (op->kind == KUBE_OP_CREATE || op->kind == KUBE_OP_APPLY) {
		if (!op->body && !op->body_json)
			return kerr_set(e, KAIRN_EINVAL, "%s without an object",
					op->kind == KUBE_OP_CREATE ? "create" : "apply");
		if (!ns || !ns[0])
			ns = body_str(op->body, "metadata.namespace");
		if (!name)
			name = body_str(op->body, "metadata.name");
	}
	if (op->kind != KUBE_OP_RAW && op->res->namespaced && (!ns || !ns[0]) &&
	    op->kind != KUBE_OP_LIST)
		return kerr_set(e, KAIRN_EINVAL, "%s \"%s\" is namespaced but no namespace was given",
				op->res->kind, name ? name : "");
	switch (op->kind) {
	case KUBE_OP_GET:
	case KUBE_OP_DELETE:
	case KUBE_OP_MERGE_PATCH:
	case KUBE_OP_JSON_PATCH:
	case KUBE_OP_APPLY:
		if (!name || !name[0])
			return kerr_set(e, KAIRN_EINVAL, "%s request without a name", op->res->kind);
		break;
	default:
		break;
	}

	switch (op->kind) {
	case KUBE_OP_GET:
		x->method = "GET";
		x->idempotent = 1;
		rc = kube_path_build(path, op->res, ns, name, op->subresource);
		break;
	case KUBE_OP_LIST: {
		char lim[24];

		x->method = "GET";
		x->idempotent = 1;
		snprintf(lim, sizeof(lim), "%d", op->limit > 0 ? op->limit : 500);
		rc = kube_path_build(path, op->res, ns, NULL, NULL);
		rc = rc ? rc : put_query(query, "limit", lim);
		rc = rc ? rc : put_query(query, "labelSelector", op->label_selector);
		rc = rc ? rc : put_query(query, "fieldSelector", op->field_selector);
		if (!x->cont)
			rc = rc ? rc : put_query(query, "resourceVersion", op->resource_version);
		rc = rc ? rc : put_query(query, "continue", x->cont);
		break;
	}
	case KUBE_OP_CREATE:
		x->method = "POST";
		x->content_type = "application/json";
		rc = kube_path_build(path, op->res, ns, NULL, NULL);
		rc = rc ? rc : put_query(query, "fieldManager", fm);
		break;
	case KUBE_OP_APPLY:
		x->method = "PATCH";
		x->idempotent = 1;
		x->content_type = "application/apply-patch+yaml";
		rc = kube_path_build(path, op->res, ns, name, op->subresource);
		rc = rc ? rc : put_query(query, "fieldManager", fm);
		rc = rc ? rc : put_query(query, "force", op->force ? "true" : "false");
		break;
	case KUBE_OP_MERGE_PATCH:
	case KUBE_OP_JSON_PATCH:
		x->method = "PATCH";
		x->idempotent = op->kind == KUBE_OP_MERGE_PATCH;
		x->content_type = op->kind == KUBE_OP_MERGE_PATCH ? "application/merge-patch+json"
								  : "application/json-patch+json";
		rc = kube_path_build(path, op->res, ns, name, op->subresource);
		rc = rc ? rc : put_query(query, "fieldManager", fm);
		break;
	case KUBE_OP_DELETE:
		x->method = "DELETE";
		x->idempotent = 1; /* a repeat finds it gone: see finish() */
		x->content_type = "application/json";
		rc = kube_path_build(path, op->res, ns, name, NULL);
		if (!rc && !x->body)
			rc = delete_body(op, &x->body, &x->body_len);
		break;
	case KUBE_OP_RAW:
		if (!op->raw_method || !op->raw_path || op->raw_path[0] != '/')
			return kerr_set(e, KAIRN_EINVAL, "raw request needs a method and an absolute path");
		x->method = op->raw_method;
		x->idempotent = op->raw_idempotent;
		if (op->body)
			x->content_type = "application/json";
		rc = kbuf_puts(path, op->raw_path);
		break;
	}
	if (!rc && op->dry_run && op->kind != KUBE_OP_DELETE && op->kind != KUBE_OP_GET &&
	    op->kind != KUBE_OP_LIST && op->kind != KUBE_OP_RAW)
		rc = put_query(query, "dryRun", "All");
	if (!rc && (op->body || op->body_json) && !x->body && op->kind != KUBE_OP_GET &&
	    op->kind != KUBE_OP_LIST && op->kind != KUBE_OP_DELETE) {
		x->body = op->body_json ? strdup(op->body_json) : cJSON_PrintUnformatted(op->body);
		if (!x->body)
			rc = KAIRN_ENOMEM;
		else
			x->body_len = strlen(x->body);
	}
	if (rc)
		return kerr_set(e, rc, "out of memory");
	return 0;
}

/* Easy handles of finished transfers, kept for the next ones of the same
 * kube_run: creating one per request costs more than the request's own
 * work when 10,000 are sent, and each creation is a large allocation that
 * makes malloc consolidate its free lists. */
struct easy_pool {
	CURL **v;
	size_t n, cap;
};

static CURL *easy_get(struct easy_pool *p)
{
	CURL *h;

	if (!p->n)
		return curl_easy_init();
	h = p->v[--p->n];
	curl_easy_reset(h);
	return h;
}

static void easy_put(struct easy_pool *p, CURL *h)
{
	if (p->n < p->cap)
		p->v[p->n++] = h;
	else
		curl_easy_cleanup(h);
}

static void xfer_release(struct kube_client *c, CURLM *m, struct easy_pool *pool, struct xfer *x)
{
	if (x->h) {
		curl_multi_remove_handle(m, x->h);
		easy_put(pool, x->h);
		x->h = NULL;
		kube_slot_release(c);
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	kube_creds_clear(&x->creds);
	/* A LIST's next page reuses its buffer (freed in xfer_clear): freeing
	 * a large block makes malloc consolidate every small free chunk, at
	 * each page, which costs more than parsing the page. */
	if (x->op->kind == KUBE_OP_LIST)
		kbuf_reset(&x->resp.body);
	else
		kbuf_free(&x->resp.body);
	x->resp.h = NULL;
}

static int xfer_start(struct kube_client *c, CURLM *m, struct easy_pool *pool, struct xfer *x,
		      struct kerr *e)
{
	struct kbuf path = { 0 }, query = { 0 }, url = { 0 };
	struct kube_http req = { 0 };
	int rc;

	rc = xfer_prepare(x, &path, &query, e);
	if (rc)
		goto out;
	if (!x->path && !(x->path = strdup(path.data))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (kbuf_printf(&url, "%s%s%s", c->base_url, path.data, query.data ? query.data : "")) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	rc = kube_auth_get(&c->auth, &x->creds, e);
	if (rc)
		goto out;
	x->h = easy_get(pool);
	if (!x->h) {
		rc = kerr_set(e, KAIRN_ENOMEM, "curl_easy_init failed");
		goto out;
	}
	req.method = x->method;
	req.url = url.data;
	req.content_type = x->content_type;
	req.body = x->body;
	req.body_len = x->body_len;
	req.timeout_ms = c->opts.timeout_ms;
	rc = kube_easy_setup(c, x->h, &req, &x->creds, &x->resp, &x->hdrs, e);
	if (rc)
		goto out;
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(m, x->h) != CURLM_OK) {
		rc = kerr_set(e, KAIRN_ENOMEM, "curl_multi_add_handle failed");
		goto out;
	}
	x->attempt++;
	x->op->attempts = x->attempt;
	x->state = XF_ACTIVE;
	kube_stats_add(c, 1, x->attempt > 1, 0);
out:
	if (rc && x->h) {
		easy_put(pool, x->h);
		x->h = NULL;
	}
	kbuf_free(&path);
	kbuf_free(&query);
	kbuf_free(&url);
	return rc;
}

/* Appends one LIST page's items to x->items; returns 0 or an error. */
static int list_page(struct xfer *x, cJSON *page, struct kerr *e)
{
	cJSON *items = cJSON_DetachItemFromObjectCaseSensitive(page, "items");
	const char *api = jsonx_str(page, "apiVersion"), *kind = jsonx_str(page, "kind");
	const char *cont = jsonx_str(page, "metadata.continue");
	const char *rv = jsonx_str(page, "metadata.resourceVersion");
	char ikind[128] = "";
	cJSON *it;
	int rc = 0;

	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items)) {
		cJSON_Delete(items);
		return kerr_set(e, KAIRN_EPARSE, "GET %s: the list's items is not an array", x->path);
	}
	/* Items of a List come without apiVersion/kind; fill them in. */
	if (kind && strlen(kind) > 4 && strlen(kind) < sizeof(ikind) &&
	    strcmp(kind + strlen(kind) - 4, "List") == 0)
		snprintf(ikind, sizeof(ikind), "%.*s", (int)strlen(kind) - 4, kind);
	if (!x->items && !(x->items = cJSON_CreateArray()))
		rc = KAIRN_ENOMEM;
	cJSON_ArrayForEach(it, items) {
		if (!cJSON_GetObjectItemCaseSensitive(it, "apiVersion") && api)
			cJSON_AddStringToObject(it, "apiVersion", api);
		if (!cJSON_GetObjectItemCaseSensitive(it, "kind") && ikind[0])
			cJSON_AddStringToObject(it, "kind", ikind);
	}
	if (!rc && items && x->op->on_page) {
		rc = x->op->on_page(x->op->on_page_ud, x->op, items, e);
		cJSON_Delete(items);
		if (rc)
			return rc;
		items = NULL;
	}
	while (!rc && items && (it = cJSON_DetachItemFromArray(items, 0)))
		cJSON_AddItemToArray(x->items, it);
	cJSON_Delete(items);
	free(x->cont);
	x->cont = cont && cont[0] ? strdup(cont) : NULL;
	if (rv) {
		free(x->list_rv);
		x->list_rv = strdup(rv);
	}
	if (rc || (cont && cont[0] && !x->cont))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	return 0;
}

static int list_result(struct xfer *x, struct kerr *e)
{
	cJSON *r = cJSON_CreateObject();

	if (!r || !cJSON_AddItemToObject(r, "items", x->items ? x->items : cJSON_CreateArray()) ||
	    !cJSON_AddStringToObject(r, "resourceVersion", x->list_rv ? x->list_rv : "")) {
		cJSON_Delete(r);
		x->items = NULL;
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	x->items = NULL;
	x->op->result = r;
	return 0;
}

enum next_step { STEP_DONE, STEP_RETRY, STEP_NEXT_PAGE };

/* Decides what happens after one finished transfer. */
static enum next_step finish(struct kube_client *c, struct xfer *x, CURLcode cc, int64_t now,
			     int64_t *delay)
{
	struct kube_op *op = x->op;
	struct kube_attempt a = { .retry_after_ms = x->resp.retry_after_ms };
	long status = 0;

	*delay = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	op->http_status = (int)status;
	op->reason[0] = '\0';
	kerr_clear(&op->err);
	if (cc != CURLE_OK) {
		const char *why = x->resp.errbuf[0] ? x->resp.errbuf : curl_easy_strerror(cc);

		a.net_error = kube_curl_error(cc, &a.request_sent);
		op->http_status = 0;
		op->rc = kerr_set(&op->err, a.net_error, "%s %s: %s: %s", x->method, x->path,
				  kerr_name(a.net_error), why);
	} else if (status >= 200 && status < 300) {
		cJSON *o = NULL;

		if (op->no_result && op->kind != KUBE_OP_LIST) {
			op->rc = 0;
			return STEP_DONE;
		}
		if (x->resp.body.len) {
			o = cJSON_ParseWithLength(x->resp.body.data, x->resp.body.len);
			if (!o) {
				op->rc = kerr_set(&op->err, KAIRN_EPARSE,
						  "%s %s: %ld response is not JSON", x->method, x->path,
						  status);
				return STEP_DONE;
			}
		}
		op->rc = 0;
		if (op->kind != KUBE_OP_LIST) {
			op->result = o;
			return STEP_DONE;
		}
		op->rc = list_page(x, o, &op->err);
		cJSON_Delete(o);
		if (!op->rc && x->cont)
			return STEP_NEXT_PAGE;
		if (!op->rc)
			op->rc = list_result(x, &op->err);
		return STEP_DONE;
	} else {
		a.http_status = (int)status;
		a.request_sent = 1;
		op->rc = kube_status_error((int)status, x->resp.body.data, x->resp.body.len,
					   x->method, x->path, op->reason, &op->err);
		if (status == 404 && op->kind == KUBE_OP_DELETE && x->attempt > 1) {
			/* an earlier attempt of this DELETE went through */
			op->rc = 0;
			kerr_clear(&op->err);
			return STEP_DONE;
		}
		if (status == 401 && !x->auth_refreshed && kube_auth_invalidate(&c->auth)) {
			x->auth_refreshed = 1;
			return STEP_RETRY;
		}
		if (status == 410 && op->kind == KUBE_OP_LIST && x->cont && !x->list_restarted) {
			/* the continue token expired: read the list again from the start */
			x->list_restarted = 1;
			cJSON_Delete(x->items);
			x->items = NULL;
			free(x->cont);
			x->cont = NULL;
			return STEP_RETRY;
		}
	}
	if (kube_retry_should(&c->retry, x->attempt, x->idempotent, &a)) {
		uint64_t rng = kube_client_rand(c);

		*delay = kube_retry_delay_ms(&c->retry, x->attempt, &a, &rng);
		log_debug("kube: %s %s: attempt %d failed (%s), retrying in %lld ms", x->method,
			  x->path, x->attempt, op->err.msg, (long long)*delay);
		(void)now;
		return STEP_RETRY;
	}
	if (x->attempt > 1) {
		char n[48];

		snprintf(n, sizeof(n), " (after %d attempts)", x->attempt);
		if (strlen(op->err.msg) + strlen(n) < sizeof(op->err.msg))
			strcat(op->err.msg, n);
	}
	return STEP_DONE;
}

static void xfer_clear(struct xfer *x)
{
	kbuf_free(&x->resp.body);
	free(x->path);
	free(x->body);
	cJSON_Delete(x->items);
	free(x->cont);
	free(x->list_rv);
}

/* A ring of xfer indices waiting to start. */
struct queue {
	size_t *v;
	size_t cap, head, len;
};

static void q_push(struct queue *q, size_t i)
{
	q->v[(q->head + q->len++) % q->cap] = i;
}

static size_t q_pop(struct queue *q)
{
	size_t i = q->v[q->head];

	q->head = (q->head + 1) % q->cap;
	q->len--;
	return i;
}

static void q_push_front(struct queue *q, size_t i)
{
	q->head = (q->head + q->cap - 1) % q->cap;
	q->v[q->head] = i;
	q->len++;
}

/* Starts queued transfers while slots allow. Returns the earliest time a
 * deferred one becomes due (INT64_MAX if none). */
static int64_t start_due(struct kube_client *c, CURLM *m, struct easy_pool *pool, struct xfer *xs,
			 struct queue *q, int *active, size_t *done)
{
	int64_t now = time_mono_ms(), wake = INT64_MAX;
	size_t scan = q->len;

	while (scan-- > 0 && q->len) {
		size_t i = q_pop(q);
		struct xfer *x = &xs[i];

		if (!x->has_token && x->not_before <= now) {
			int64_t w = kube_limiter_reserve(&c->limiter, now);

			x->has_token = 1;
			if (w > 0)
				x->not_before = now + w;
		}
		if (x->not_before > now) {
			if (x->not_before < wake)
				wake = x->not_before;
			q_push(q, i);
			continue;
		}
		if (*active == 0)
			kube_slot_wait(c);
		else if (!kube_slot_try(c)) {
			q_push_front(q, i);
			break;
		}
		x->has_token = 0;
		if (xfer_start(c, m, pool, x, &x->op->err)) {
			x->op->rc = x->op->err.code;
			x->state = XF_DONE;
			kube_slot_release(c);
			xfer_release(c, m, pool, x);
			(*done)++;
			continue;
		}
		(*active)++;
	}
	return wake;
}

int kube_run(struct kube_client *c, struct kube_op *ops, size_t n, struct kerr *e)
{
	struct xfer *xs = calloc(n ? n : 1, sizeof(*xs));
	struct queue q = { .v = calloc(n ? n : 1, sizeof(size_t)), .cap = n ? n : 1 };
	struct easy_pool pool = { .cap = (size_t)c->opts.concurrency };
	CURLM *m = kube_multi_get(c);
	size_t done = 0, failed = 0, first_failed = 0;
	int active = 0, rc = 0;

	pool.v = calloc(pool.cap + 1, sizeof(CURL *));
	if (!pool.v)
		pool.cap = 0; /* easy_put then cleans up at once */
	if (!xs || !q.v || !m || !pool.v) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ops[i].rc = 0;
		ops[i].result = NULL;
		ops[i].attempts = 0;
		ops[i].http_status = 0;
		ops[i].reason[0] = '\0';
		kerr_clear(&ops[i].err);
		xs[i].op = &ops[i];
		q_push(&q, i);
	}
	while (done < n) {
		int64_t wake = start_due(c, m, &pool, xs, &q, &active, &done), now;
		int running = 0, left, timeout, finished = 0;
		CURLMsg *msg;

		if (done >= n)
			break;
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct xfer *x = NULL;
			int64_t delay;
			enum next_step st;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			st = finish(c, x, msg->data.result, time_mono_ms(), &delay);
			xfer_release(c, m, &pool, x);
			active--;
			finished++;
			if (st == STEP_DONE) {
				x->state = XF_DONE;
				done++;
				continue;
			}
			if (st == STEP_NEXT_PAGE)
				x->attempt = 0; /* each page has its own retry budget */
			if (st == STEP_RETRY && x->op->result) {
				cJSON_Delete(x->op->result);
				x->op->result = NULL;
			}
			x->state = XF_QUEUED;
			x->not_before = time_mono_ms() + delay;
			q_push(&q, (size_t)(x - xs));
		}
		if (done >= n)
			break;
		/* A finished transfer freed a slot: start the next one now rather
		 * than after a poll that nothing may wake. */
		if (finished)
			continue;
		now = time_mono_ms();
		timeout = 1000;
		if (wake != INT64_MAX)
			timeout = wake <= now ? 0 : (wake - now < 1000 ? (int)(wake - now) : 1000);
		if (active > 0 || timeout > 0)
			curl_multi_poll(m, NULL, 0, timeout, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (ops[i].rc && failed++ == 0)
			first_failed = i;
	}
	if (failed) {
		kube_stats_add(c, 0, 0, failed);
		rc = ops[first_failed].rc;
		if (n == 1)
			kerr_set(e, rc, "%s", ops[first_failed].err.msg);
		else
			kerr_set(e, rc, "%zu of %zu requests failed; first: %s", failed, n,
				 ops[first_failed].err.msg);
	}
out:
	for (size_t i = 0; xs && i < n; i++) {
		if (xs[i].h)
			xfer_release(c, m, &pool, &xs[i]);
		xfer_clear(&xs[i]);
	}
	for (size_t i = 0; i < pool.n; i++)
		curl_easy_cleanup(pool.v[i]);
	free(pool.v);
	kube_multi_put(c, m);
	free(q.v);
	free(xs);
	return rc;
}

void kube_ops_clear(struct kube_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON_Delete(ops[i].result);
		ops[i].result = NULL;
	}
}
