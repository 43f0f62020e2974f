/*
 * watch.c — kube_watch: LIST, then WATCH from the list's resourceVersion with
 * bookmarks, for as long as the caller wants. A stream that ends (server
 * timeout) or drops (connection reset) is resumed from the last
 * resourceVersion seen; a 410 Gone (an ERROR event or an HTTP 410) means that
 * version is compacted away, so the state is listed again and delivered as a
 * RELIST event. Events are newline-delimited JSON objects, as the API server
 * writes them. One easy handle per watch, so its connection is reused across
 * reconnects; watches take limiter tokens but no concurrency slot.
 */
#include "kube/internal.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

#define WATCH_LINE_MAX (64u << 20)

struct stream {
	CURL *h;
	kube_watch_fn fn;
	void *ud;
	const struct kube_watch_opts *opts;
	int64_t deadline;  /* 0 = none */
	struct kbuf line;  /* partial event (or an error body) */
	char **rv;         /* the last resourceVersion seen */
	int events;        /* events delivered in this stream */
	int stopped;       /* by fn, the stop flag or the deadline */
	int gone;          /* an ERROR event with 410 */
	int bad;           /* an unparseable event or ERROR other than 410 */
	long status;
	struct kerr err;
};

static int set_rv(char **rv, const char *v)
{
	char *d;

	if (!v || !v[0])
		return 0;
	d = strdup(v);
	if (!d)
		return KAIRN_ENOMEM;
	free(*rv);
	*rv = d;
	return 0;
}

static int event_type(const char *t, enum kube_event_type *out)
{
	static const struct { const char *name; enum kube_event_type type; } tab[] = {
		{ "ADDED", KUBE_EVENT_ADDED }, { "MODIFIED", KUBE_EVENT_MODIFIED },
		{ "DELETED", KUBE_EVENT_DELETED }, { "BOOKMARK", KUBE_EVENT_BOOKMARK },
	};

	for (size_t i = 0; t && i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(t, tab[i].name) == 0) {
			*out = tab[i].type;
			return 0;
		}
	return -1;
}

/* Handles one event line; returns 0 to continue, -1 to end the stream. */
static int on_event(struct stream *s, const char *p, size_t len)
{
	cJSON *ev = cJSON_ParseWithLength(p, len);
	const cJSON *obj = ev ? cJSON_GetObjectItemCaseSensitive(ev, "object") : NULL;
	const char *type = ev ? jsonx_str(ev, "type") : NULL;
	enum kube_event_type t;
	int rc = 0;

	if (!ev || !obj) {
		kerr_set(&s->err, KAIRN_EPARSE, "watch: an event is not a JSON {type, object}");
		s->bad = 1;
		rc = -1;
	} else if (type && strcmp(type, "ERROR") == 0) {
		long code = jsonx_long(obj, "code", 0);

		if (code == 410) {
			s->gone = 1;
		} else {
			const char *msg = jsonx_str(obj, "message");

			kerr_set(&s->err, kube_status_code((int)code, jsonx_str(obj, "reason")),
				 "watch: ERROR event %ld: %.300s", code, msg ? msg : "");
			s->bad = 1;
		}
		rc = -1;
	} else if (event_type(type, &t)) {
		kerr_set(&s->err, KAIRN_EPARSE, "watch: unknown event type \"%.40s\"", type ? type : "");
		s->bad = 1;
		rc = -1;
	} else {
		if (set_rv(s->rv, jsonx_str(obj, "metadata.resourceVersion"))) {
			kerr_set(&s->err, KAIRN_ENOMEM, "out of memory");
			s->bad = 1;
			rc = -1;
		} else {
			s->events++;
			if (s->fn(s->ud, t, obj)) {
				s->stopped = 1;
				rc = -1;
			}
		}
	}
	cJSON_Delete(ev);
	return rc;
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = sz * n, start = 0;

	if (!s->status)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->line.len + len > WATCH_LINE_MAX || kbuf_append(&s->line, p, len))
		return 0;
	if (s->status != 200)
		return len; /* an error body: decoded when the transfer ends */
	for (size_t i = 0; i < s->line.len; i++) {
		if (s->line.data[i] != '\n')
			continue;
		if (i > start && on_event(s, s->line.data + start, i - start))
			return 0;
		start = i + 1;
	}
	memmove(s->line.data, s->line.data + start, s->line.len - start);
	s->line.len -= start;
	s->line.data[s->line.len] = '\0';
	return len;
}

static int stop_requested(const struct stream *s)
{
	return (s->opts->stop && atomic_load(s->opts->stop)) || (s->deadline && time_mono_ms() >= s->deadline);
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct stream *s = ud;

	(void)a, (void)b, (void)c, (void)d;
	if (stop_requested(s)) {
		s->stopped = 1;
		return 1;
	}
	return 0;
}

/* Sleeps ms, waking early for stop; returns 1 if stopped. */
static int nap(struct stream *s, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;

	while (time_mono_ms() < end) {
		if (stop_requested(s))
			return 1;
		time_sleep_ms(end - time_mono_ms() < 100 ? end - time_mono_ms() : 100);
	}
	return stop_requested(s);
}

static int stream_url(struct kube_client *c, const struct kube_resource *res, const char *ns,
		      const char *rv, const struct kube_watch_opts *o, struct kbuf *path,
		      struct kbuf *url)
{
	int rc = kube_path_build(path, res, ns, NULL, NULL);
	int secs = o->timeout_seconds > 0 ? o->timeout_seconds : 300;

	rc = rc ? rc : kbuf_printf(url, "%s%s?watch=true&allowWatchBookmarks=true&timeoutSeconds=%d"
					"&resourceVersion=", c->base_url, path->data, secs);
	rc = rc ? rc : kbuf_put_urlenc(url, rv);
	if (!rc && o->label_selector) {
		rc = kbuf_puts(url, "&labelSelector=");
		rc = rc ? rc : kbuf_put_urlenc(url, o->label_selector);
	}
	if (!rc && o->field_selector) {
		rc = kbuf_puts(url, "&fieldSelector=");
		rc = rc ? rc : kbuf_put_urlenc(url, o->field_selector);
	}
	return rc;
}

/* One watch stream. Returns 0 when it ended (cleanly or not: see s). */
static int stream_run(struct kube_client *c, struct stream *s, const struct kube_resource *res,
		      const char *ns, struct kerr *e)
{
	struct kbuf path = { 0 }, url = { 0 };
	struct kube_creds cr = { 0 };
	struct kube_resp resp = { 0 };
	struct kube_http req = { .method = "GET" };
	struct curl_slist *hdrs = NULL;
	int64_t wait = kube_limiter_reserve(&c->limiter, time_mono_ms());
	CURLcode cc;
	int rc;

	if (wait > 0 && nap(s, wait)) {
		s->stopped = 1;
		return 0;
	}
	s->status = 0;
	s->events = 0;
	s->gone = s->bad = 0;
	kbuf_reset(&s->line);
	kerr_clear(&s->err);
	rc = stream_url(c, res, ns, *s->rv, s->opts, &path, &url);
	if (rc) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	rc = kube_auth_get(&c->auth, &cr, e);
	if (rc)
		goto out;
	curl_easy_reset(s->h);
	req.url = url.data;
	rc = kube_easy_setup(c, s->h, &req, &cr, &resp, &hdrs, e);
	if (rc)
		goto out;
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(s->h, CURLOPT_XFERINFODATA, s);
	kube_stats_add(c, 1, 0, 0);
	cc = curl_easy_perform(s->h);
	if (!s->status)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->stopped || s->gone || s->bad)
		goto out;
	if (cc != CURLE_OK && s->status != 200) {
		int sent;
		int code = kube_curl_error(cc, &sent);

		kerr_set(&s->err, code, "GET %s (watch): %s: %s", path.data, kerr_name(code),
			 resp.errbuf[0] ? resp.errbuf : curl_easy_strerror(cc));
	} else if (s->status == 410) {
		s->gone = 1;
	} else if (s->status != 200) {
		kube_status_error((int)s->status, s->line.data, s->line.len, "GET", path.data, NULL,
				  &s->err);
		if (s->status == 401)
			kube_auth_invalidate(&c->auth);
	} else if (cc != CURLE_OK) {
		/* dropped mid-stream: not an error, we resume */
		log_debug("watch %s: stream dropped (%s), resuming", path.data, curl_easy_strerror(cc));
	}
out:
	curl_slist_free_all(hdrs);
	kube_creds_clear(&cr);
	kbuf_free(&resp.body);
	kbuf_free(&path);
	kbuf_free(&url);
	return rc;
}

static int relist(struct kube_client *c, struct stream *s, const struct kube_resource *res,
		  const char *ns, struct kerr *e)
{
	struct kube_list_opts lo = { .label_selector = s->opts->label_selector,
				     .field_selector = s->opts->field_selector };
	cJSON *items = NULL;
	char *rv = NULL;
	int rc = kube_list(c, res, ns, &lo, &items, &rv, e);

	if (rc)
		return rc;
	free(*s->rv);
	*s->rv = rv;
	if (s->fn(s->ud, KUBE_EVENT_RELIST, items))
		s->stopped = 1;
	cJSON_Delete(items);
	return 0;
}

int kube_watch(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const struct kube_watch_opts *opts, kube_watch_fn fn, void *ud, struct kerr *e)
{
	static const struct kube_watch_opts none = { 0 };
	char *rv = NULL;
	struct stream s = { .fn = fn, .ud = ud, .rv = &rv };
	int failures = 0, max_failures, rc = 0;

	s.opts = opts ? opts : &none;
	max_failures = s.opts->max_failures > 0 ? s.opts->max_failures : 10;
	if (s.opts->duration_ms > 0)
		s.deadline = time_mono_ms() + s.opts->duration_ms;
	if (s.opts->resource_version && s.opts->resource_version[0] &&
	    !(rv = strdup(s.opts->resource_version)))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (!(res->verbs & KUBE_VERB_WATCH) && res->verbs)
		log_warn("watch: %s does not list the watch verb; trying anyway", res->resource);
	s.h = curl_easy_init();
	if (!s.h) {
		free(rv);
		return kerr_set(e, KAIRN_ENOMEM, "curl_easy_init failed");
	}
	while (!s.stopped && !stop_requested(&s)) {
		int64_t started = time_mono_ms();
		int progressed = 0;

		if (!rv) {
			rc = relist(c, &s, res, ns, e);
			if (rc == KAIRN_ENOMEM)
				break;
			progressed = rc == 0;
		} else {
			rc = stream_run(c, &s, res, ns, e);
			if (rc)
				break;
			if (s.gone) {
				log_info("watch %s: resourceVersion %s is gone, listing again",
					 res->resource, rv);
				free(rv);
				rv = NULL;
				continue;
			}
			progressed = s.events > 0 || (!s.bad && s.status == 200 && !s.err.code);
			if (s.err.code)
				*e = s.err, rc = s.err.code;
		}
		if (s.stopped)
			break;
		if (progressed) {
			failures = 0;
			rc = 0;
			/* a server that ends every stream at once must not make us spin */
			if (time_mono_ms() - started < 1000 && nap(&s, c->retry.base_ms))
				break;
			continue;
		}
		if (++failures >= max_failures) {
			kerr_prefix(e, "watch %s: giving up after %d failed attempts", res->resource,
				    failures);
			break;
		}
		{
			struct kube_attempt a = { .retry_after_ms = -1 };
			uint64_t rng = kube_client_rand(c);

			log_warn("watch %s: %s; retrying", res->resource, e->msg);
			if (nap(&s, kube_retry_delay_ms(&c->retry, failures, &a, &rng)))
				break;
		}
	}
	if (s.stopped || stop_requested(&s))
		rc = 0;
	if (!rc)
		kerr_clear(e);
	curl_easy_cleanup(s.h);
	kbuf_free(&s.line);
	free(rv);
	return rc;
}
