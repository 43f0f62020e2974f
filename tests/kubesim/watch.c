/*
 * watch.c — WATCH streams: chunked JSON events read from the store's event
 * ring. Starts with ADDED for every match when no resourceVersion (or "0")
 * is given, otherwise resumes after it; an RV older than the ring's history
 * gets an ERROR event carrying a 410 Expired Status, then the stream ends.
 * Sends BOOKMARKs when asked and ends cleanly at timeoutSeconds. The reader
 * blocks on srv->changed (libmicrohttpd runs a thread per connection).
 */
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "objects.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

#define BOOKMARK_EVERY_MS 2000
#define EVENT_BATCH 256

struct wstate {
	struct ks_server *s;
	char *group, *kind, *api_version, *ns;
	struct ks_selector *ls, *fs;
	uint64_t next;         /* last RV delivered */
	int64_t deadline;      /* monotonic ms, 0 = none */
	int bookmarks;
	int64_t last_bookmark;
	struct kbuf pending;
	size_t off;
	int ending;            /* end after pending drains */
	int fd;                /* the client socket, to notice hang-ups; -1 unknown */
};

static void wstate_free(void *cls)
{
	struct wstate *w = cls;
	if (!w)
		return;
	free(w->group);
	free(w->kind);
	free(w->api_version);
	free(w->ns);
	ks_selector_free(w->ls);
	ks_selector_free(w->fs);
	kbuf_free(&w->pending);
	free(w);
}

static const char *type_name(enum ks_ev_type t)
{
	return t == KS_EV_ADDED ? "ADDED" : t == KS_EV_MODIFIED ? "MODIFIED" : "DELETED";
}

static int matches(const struct wstate *w, const struct ks_ver *v)
{
	const char *av = jsonx_str(v->obj, "apiVersion"), *kind = jsonx_str(v->obj, "kind");
	if (!av || !kind || strcmp(kind, w->kind))
		return 0;
	const char *slash = strrchr(av, '/');
	size_t gl = slash ? (size_t)(slash - av) : 0;
	if (gl != strlen(w->group) || strncmp(av, w->group, gl))
		return 0;
	if (w->ns && strcmp(v->ns, w->ns))
		return 0;
	return ks_selector_match(w->ls, v->obj) && ks_selector_match(w->fs, v->obj);
}

static void put_event(struct wstate *w, const char *type, const struct ks_ver *v)
{
	kbuf_printf(&w->pending, "{\"type\":\"%s\",\"object\":", type);
	const char *av = jsonx_str(v->obj, "apiVersion");
	if (av && strcmp(av, w->api_version)) {
		cJSON *c = cJSON_Duplicate(v->obj, 1);
		jsonx_set(c, "apiVersion", cJSON_CreateString(w->api_version));
		char *j = cJSON_PrintUnformatted(c);
		kbuf_puts(&w->pending, j ? j : "{}");
		free(j);
		cJSON_Delete(c);
	} else {
		kbuf_append(&w->pending, v->json, v->len);
	}
	kbuf_puts(&w->pending, "}\n");
}

static void put_expired(struct wstate *w)
{
	kbuf_printf(&w->pending,
		    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		    "\"status\":\"Failure\",\"message\":\"too old resource version: %llu (%llu)\",\"reason\":\"Expired\","
		    "\"code\":410}}\n",
		    (unsigned long long)w->next, (unsigned long long)w->s->ring_floor);
	w->ending = 1;
}

static void put_bookmark(struct wstate *w)
{
	kbuf_printf(&w->pending,
		    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":"
		    "{\"resourceVersion\":\"%llu\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n",
		    w->kind, w->api_version, (unsigned long long)w->s->rv);
	w->last_bookmark = time_mono_ms();
}

/* Collects new events into pending; under srv->mu. */
static void collect(struct wstate *w)
{
	struct ks_event evs[EVENT_BATCH];
	long n;
	do {
		n = ks_store_events_locked(w->s, w->next, evs, EVENT_BATCH);
		if (n < 0) {
			put_expired(w);
			return;
		}
		for (long i = 0; i < n; i++) {
			if (matches(w, evs[i].ver))
				put_event(w, type_name(evs[i].type), evs[i].ver);
			w->next = evs[i].rv;
			ks_ver_unref(evs[i].ver);
		}
	} while (n == EVENT_BATCH);
}

/* 1 when the client closed its side (checked between events). */
static int client_gone(const struct wstate *w)
{
	if (w->fd < 0)
		return 0;
	struct pollfd p = { .fd = w->fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static ssize_t wread(void *cls, char *buf, size_t max)
{
	struct wstate *w = cls;
	struct ks_server *s = w->s;
	if (w->off == w->pending.len && !w->ending) {
		kbuf_reset(&w->pending);
		w->off = 0;
		pthread_mutex_lock(&s->mu);
		while (!w->pending.len && !w->ending) {
			if (s->stopping) {
				w->ending = 1;
				break;
			}
			collect(w);
			if (w->pending.len || w->ending)
				break;
			int64_t now = time_mono_ms();
			if ((w->deadline && now >= w->deadline) || client_gone(w)) {
				w->ending = 1;
				break;
			}
			if (w->bookmarks && now - w->last_bookmark >= BOOKMARK_EVERY_MS) {
				put_bookmark(w);
				break;
			}
			int64_t wait = BOOKMARK_EVERY_MS;
			if (w->deadline && w->deadline - now < wait)
				wait = w->deadline - now;
			ks_wait_changed_locked(s, wait);
		}
		pthread_mutex_unlock(&s->mu);
	}
	if (w->off == w->pending.len)
		return -1;
	size_t n = w->pending.len - w->off;
	if (n > max)
		n = max;
	memcpy(buf, w->pending.data + w->off, n);
	w->off += n;
	return (ssize_t)n;
}

void ks_handle_watch(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	struct wstate *w = calloc(1, sizeof(*w));
	struct kerr e;
	kerr_clear(&e);
	if (!w)
		goto oom;
	w->s = r->s;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	w->fd = ci ? ci->connect_fd : -1;
	char av[300];
	ks_api_version(res, av, sizeof(av));
	w->group = strdup(res->group);
	w->kind = strdup(res->kind);
	w->api_version = strdup(av);
	w->ns = r->ns ? strdup(r->ns) : NULL;
	if (!w->group || !w->kind || !w->api_version || (r->ns && !w->ns))
		goto oom;
	if (ks_label_selector_parse(ks_q(r, "labelSelector"), &w->ls, &e) ||
	    ks_field_selector_parse(ks_q(r, "fieldSelector"), &w->fs, &e)) {
		ks_resp_status(o, 400, "BadRequest", NULL, NULL, "%s", e.msg);
		wstate_free(w);
		return;
	}
	const char *to = ks_q(r, "timeoutSeconds");
	if (to && atol(to) > 0)
		w->deadline = time_mono_ms() + atol(to) * 1000;
	const char *bm = ks_q(r, "allowWatchBookmarks");
	w->bookmarks = bm && !strcmp(bm, "true");
	w->last_bookmark = time_mono_ms();
	const char *rv = ks_q(r, "resourceVersion");
	if (!rv || !*rv || !strcmp(rv, "0")) {
		struct ks_ver **vs = NULL;
		size_t n = 0;
		if (ks_coll_snapshot(res->coll, r->ns, &vs, &n))
			goto oom;
		for (size_t i = 0; i < n; i++)
			if (matches(w, vs[i]))
				put_event(w, "ADDED", vs[i]);
		free(vs);
		w->next = r->s->rv;
	} else {
		char *end = NULL;
		errno = 0;
		unsigned long long x = strtoull(rv, &end, 10);
		if (errno || !end || *end) {
			ks_resp_status(o, 400, "BadRequest", NULL, NULL, "invalid resourceVersion: %s", rv);
			wstate_free(w);
			return;
		}
		w->next = x;
		if (x < r->s->ring_floor)
			put_expired(w);
	}
	o->code = 200;
	o->ctype = "application/json";
	o->stream = wread;
	o->stream_cls = w;
	o->stream_free = wstate_free;
	return;
oom:
	wstate_free(w);
	ks_resp_status(o, 500, "InternalError", NULL, NULL, "out of memory");
}
