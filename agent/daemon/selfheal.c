/*
 * selfheal.c — see selfheal.h. Threads: one per watched resource type (they
 * only mark drift) and one worker (the only one that writes). Everything
 * shared is guarded by h->mu; the worker never holds it across a request.
 */
#include "selfheal.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct heal_obj {
	char *key;               /* group/kind/namespace/name */
	/* Compact JSON, parsed when needed: a tree costs ~4x the memory, and
	 * an idle agent's footprint is mostly this set. */
	char *desired;
	struct kube_resource res;
	int queued;
	int64_t due_ms;          /* when the worker may correct it */
	int64_t last_fix_ms;     /* last correction (0: none) */
	int streak;              /* corrections in a row, each within the fight window */
};

struct heal_watch {
	struct selfheal *h;
	struct kube_resource res;
	pthread_t tid;
};

struct selfheal {
	struct kube_client *kc;
	struct selfheal_opts o;
	char *source, *selector;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* CLOCK_MONOTONIC */
	struct strmap *objs;     /* key -> struct heal_obj */
	struct heal_obj **queue; /* drifted objects waiting for the worker */
	size_t nq, capq;
	struct strmap *watched;  /* "group/kind" -> struct heal_watch */
	atomic_int stop;
	int active, paused;
	int worker_started;
	pthread_t worker;
};

static void heal_obj_free(struct heal_obj *o)
{
	if (!o)
		return;
	free(o->key);
	free(o->desired);
	free(o);
}

static char *obj_key(const struct kube_resource *r, const cJSON *obj)
{
	struct kbuf k = { 0 };
	const char *ns = r->namespaced ? jsonx_str(obj, "metadata.namespace") : NULL;
	const char *name = jsonx_str(obj, "metadata.name");

	if (!name || kbuf_printf(&k, "%s/%s/%s/%s", r->group, r->kind, ns ? ns : "", name))
		return NULL;
	return kbuf_steal(&k);
}

int64_t selfheal_backoff_delay(const struct selfheal_opts *o, int streak)
{
	int64_t base = o->backoff_base_ms > 0 ? o->backoff_base_ms : 1000;
	int64_t max = o->backoff_max_ms > 0 ? o->backoff_max_ms : 300000;
	int64_t d = base;

	if (streak <= 0)
		return 0;
	for (int i = 1; i < streak && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

/* Queues o for correction. Caller holds mu. */
static void mark_drift(struct selfheal *h, struct heal_obj *o, const char *why)
{
	int64_t now = time_mono_ms(), delay;

	if (o->queued)
		return;
	if (o->last_fix_ms && now - o->last_fix_ms < h->o.fight_window_ms)
		o->streak++;
	else
		o->streak = 0;
	delay = selfheal_backoff_delay(&h->o, o->streak);
	if (delay > 0) {
		const char *lv[] = { h->source, NULL };

		log_warn("self-heal: %s changed again %s after kairn restored it (%s): another writer? "
			 "backing off %lld ms (streak %d)", o->key,
			 o->streak > 1 ? "repeatedly" : "right", why, (long long)delay, o->streak);
		if (h->o.backoffs)
			metrics_add(h->o.backoffs, lv, 1);
	} else {
		log_info("self-heal: %s drifted (%s)", o->key, why);
	}
	if (h->nq == h->capq) {
		size_t cap = h->capq ? h->capq * 2 : 16;
		struct heal_obj **q = realloc(h->queue, cap * sizeof(*q));

		if (!q) {
			log_error("self-heal: out of memory queueing %s", o->key);
			return;
		}
		h->queue = q;
		h->capq = cap;
	}
	o->due_ms = now + delay;
	o->queued = 1;
	h->queue[h->nq++] = o;
	pthread_cond_signal(&h->cv);
}

/* Marks o if live differs from desired. Caller holds mu. */
static void check_live(struct selfheal *h, struct heal_obj *o, const cJSON *live)
{
	struct sync_diff_opts d = { .manager = KAIRN_FIELD_MANAGER };
	struct sync_diff_result r = { 0 };
	cJSON *want = cJSON_Parse(o->desired);
	int rc = want ? sync_diff(want, live, &d, &r) : KAIRN_ENOMEM;

	if (rc == 1) {
		char first[256];
		size_t n = r.paths.len ? strcspn(r.paths.data, "\n") : 0;

		snprintf(first, sizeof(first), "%.*s", (int)(n < 200 ? n : 200), r.paths.data ? r.paths.data : "");
		mark_drift(h, o, first);
	} else if (rc < 0) {
		log_error("self-heal: cannot compare %s: out of memory", o->key);
	}
	sync_diff_result_free(&r);
	cJSON_Delete(want);
}

static int same_type(const struct kube_resource *a, const struct kube_resource *b)
{
	return strcmp(a->group, b->group) == 0 && strcmp(a->kind, b->kind) == 0;
}

/* A full list: check each listed object, and every desired object of this
 * type that the list lacks was deleted. Caller holds mu. */
static void on_relist(struct selfheal *h, const struct kube_resource *res, const cJSON *items)
{
	struct strmap *seen = strmap_new();
	const cJSON *it;
	const char *k;
	void *v;

	if (!seen)
		return;
	cJSON_ArrayForEach(it, items) {
		char *key = obj_key(res, it);
		struct heal_obj *o = key ? strmap_get(h->objs, key) : NULL;

		if (o) {
			check_live(h, o, it);
			strmap_put(seen, key, o, NULL);
		}
		free(key);
	}
	for (size_t i = 0; strmap_next(h->objs, &i, &k, &v);) {
		struct heal_obj *o = v;

		if (same_type(&o->res, res) && !strmap_get(seen, k))
			mark_drift(h, o, "missing");
	}
	strmap_free(seen);
}

static int on_event(void *ud, enum kube_event_type type, const cJSON *obj)
{
	struct heal_watch *w = ud;
	struct selfheal *h = w->h;
	char *key;
	struct heal_obj *o;

	pthread_mutex_lock(&h->mu);
	switch (type) {
	case KUBE_EVENT_RELIST:
		on_relist(h, &w->res, obj);
		break;
	case KUBE_EVENT_ADDED:
	case KUBE_EVENT_MODIFIED:
	case KUBE_EVENT_DELETED:
		key = obj_key(&w->res, obj);
		o = key ? strmap_get(h->objs, key) : NULL;
		if (o && type == KUBE_EVENT_DELETED)
			mark_drift(h, o, "deleted");
		else if (o)
			check_live(h, o, obj);
		free(key);
		break;
	case KUBE_EVENT_BOOKMARK:
		break;
	}
	pthread_mutex_unlock(&h->mu);
	return h->stop ? 1 : 0;
}

/* Sleeps up to ms, waking early when stopping; returns 1 if stopping. */
static int nap(struct selfheal *h, int64_t ms)
{
	for (int64_t t = 0; t < ms && !h->stop; t += 100)
		time_sleep_ms(100);
	return h->stop;
}

static void *watch_main(void *arg)
{
	struct heal_watch *w = arg;
	struct selfheal *h = w->h;
	int64_t delay = 1000;

	while (!h->stop) {
		struct kube_watch_opts wo = { .label_selector = h->selector, .stop = &h->stop };
		struct kerr e = { 0 };
		int64_t started = time_mono_ms();

		if (kube_watch(h->kc, &w->res, NULL, &wo, on_event, w, &e) == 0 || h->stop)
			continue;
		if (time_mono_ms() - started > 60000)
			delay = 1000; /* it worked for a while: start the backoff over */
		log_warn("self-heal: watch %s/%s: %s; retrying in %lld s", w->res.group, w->res.resource,
			 e.msg, (long long)(delay / 1000));
		nap(h, delay);
		delay = delay * 2 > 30000 ? 30000 : delay * 2;
	}
	return NULL;
}

static void deadline_after(int64_t ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Index of the queued object due first, or -1. Caller holds mu. */
static ssize_t next_due(struct selfheal *h)
{
	ssize_t best = -1;

	for (size_t i = 0; i < h->nq; i++)
		if (best < 0 || h->queue[i]->due_ms < h->queue[best]->due_ms)
			best = (ssize_t)i;
	return best;
}

/* Applies one object's desired state; called without mu. */
static int correct(struct selfheal *h, const struct kube_resource *res, const cJSON *desired,
		   struct kerr *e)
{
	struct kube_write_opts wo = { .field_manager = KAIRN_FIELD_MANAGER, .force = 1 };

	return kube_apply(h->kc, res, NULL, desired, &wo, NULL, e);
}

static void *worker_main(void *arg)
{
	struct selfheal *h = arg;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		ssize_t i = h->active && !h->paused ? next_due(h) : -1;
		int64_t now = time_mono_ms();
		struct timespec ts;
		struct heal_obj *o;
		struct kube_resource res;
		cJSON *copy;
		char *key;
		struct kerr e = { 0 };
		int rc;

		if (i < 0 || h->queue[i]->due_ms > now) {
			deadline_after(i < 0 ? 1000 : h->queue[i]->due_ms - now, &ts);
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
			continue;
		}
		o = h->queue[i];
		h->queue[i] = h->queue[--h->nq];
		o->queued = 0;
		copy = cJSON_Parse(o->desired);
		key = strdup(o->key);
		res = o->res;
		pthread_mutex_unlock(&h->mu);

		rc = (!copy || !key) ? kerr_set(&e, KAIRN_ENOMEM, "out of memory") : correct(h, &res, copy, &e);

		pthread_mutex_lock(&h->mu);
		{
			const char *lv[] = { h->source, res.kind, rc ? "error" : "applied", NULL };

			if (h->o.corrections)
				metrics_add(h->o.corrections, lv, 1);
		}
		o = key ? strmap_get(h->objs, key) : NULL; /* the set may have been replaced */
		if (o) {
			o->last_fix_ms = time_mono_ms();
			if (rc) {
				log_warn("self-heal: restoring %s failed: %s", key, e.msg);
				mark_drift(h, o, "retry after a failed correction");
			} else {
				log_info("self-heal: restored %s", key);
			}
		}
		cJSON_Delete(copy);
		free(key);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

int selfheal_new(struct kube_client *kc, const struct selfheal_opts *o, struct selfheal **out,
		 struct kerr *e)
{
	struct selfheal *h = calloc(1, sizeof(*h));
	struct kbuf sel = { 0 };
	pthread_condattr_t ca;

	*out = NULL;
	if (!h)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	h->kc = kc;
	h->o = *o;
	if (!h->o.fight_window_ms)
		h->o.fight_window_ms = 1000;
	if (!h->o.backoff_base_ms)
		h->o.backoff_base_ms = 1000;
	if (!h->o.backoff_max_ms)
		h->o.backoff_max_ms = 300000;
	h->source = strdup(o->source);
	if (!h->source || kbuf_printf(&sel, "kairn.dev/source=%s", o->source) ||
	    !(h->objs = strmap_new()) || !(h->watched = strmap_new())) {
		kbuf_free(&sel);
		strmap_free(h->objs);
		strmap_free(h->watched);
		free(h->source);
		free(h);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	h->selector = kbuf_steal(&sel);
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&h->worker, NULL, worker_main, h) != 0) {
		selfheal_free(h);
		return kerr_set(e, KAIRN_ENOMEM, "cannot start the self-heal worker thread");
	}
	h->worker_started = 1;
	*out = h;
	return 0;
}

static void clear_objs(struct strmap *m)
{
	const char *k;
	void *v;

	for (size_t i = 0; strmap_next(m, &i, &k, &v);)
		heal_obj_free(v);
	strmap_free(m);
}

/* Starts a watch on res unless one runs. Caller holds mu. */
static int ensure_watch(struct selfheal *h, const struct kube_resource *res, struct kerr *e)
{
	char tk[512];
	struct heal_watch *w;

	snprintf(tk, sizeof(tk), "%s/%s", res->group, res->kind);
	if (strmap_get(h->watched, tk))
		return 0;
	if (!(res->verbs & KUBE_VERB_WATCH) && res->verbs)
		return 0; /* cannot be watched: the periodic sync still corrects it */
	w = calloc(1, sizeof(*w));
	if (!w || strmap_put(h->watched, tk, w, NULL)) {
		free(w);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	w->h = h;
	w->res = *res;
	if (pthread_create(&w->tid, NULL, watch_main, w) != 0) {
		strmap_del(h->watched, tk);
		free(w);
		return kerr_set(e, KAIRN_ENOMEM, "cannot start a watch thread for %s", res->resource);
	}
	log_info("self-heal: watching %s%s%s (kairn.dev/source=%s)", res->resource, *res->group ? "." : "",
		 res->group, h->source);
	return 0;
}

int selfheal_update(struct selfheal *h, const struct sync_plan *p, struct kerr *e)
{
	struct strmap *objs = strmap_new();
	int rc = 0;

	if (!objs)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n && !rc; i++) {
		const struct sync_entry *en = &p->entries[i];
		struct heal_obj *o;
		struct kube_resource res = en->res;

		if (!en->desired || (en->action != SYNC_CREATE && en->action != SYNC_UPDATE &&
				     en->action != SYNC_UNCHANGED))
			continue;
		if ((en->res_pending || !res.resource) &&
		    kube_resolve(h->kc, en->api_version, en->kind, &res, e)) {
			log_warn("self-heal: %s not watched: %s", en->key, e->msg);
			continue;
		}
		o = calloc(1, sizeof(*o));
		if (!o || !(o->key = strdup(en->key)) || !(o->desired = strdup(en->desired)) ||
		    strmap_put(objs, en->key, o, NULL)) {
			heal_obj_free(o);
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
		o->res = res;
	}
	if (rc) {
		clear_objs(objs);
		return rc;
	}
	pthread_mutex_lock(&h->mu);
	{
		struct strmap *old = h->objs;
		const char *k;
		void *v;

		/* keep each object's fight history across syncs */
		for (size_t i = 0; strmap_next(objs, &i, &k, &v);) {
			struct heal_obj *prev = strmap_get(old, k), *o = v;

			if (prev) {
				o->last_fix_ms = prev->last_fix_ms;
				o->streak = prev->streak;
			}
		}
		h->objs = objs;
		h->nq = 0;
		clear_objs(old);
		for (size_t i = 0; strmap_next(objs, &i, &k, &v) && !rc;)
			rc = ensure_watch(h, &((struct heal_obj *)v)->res, e);
	}
	pthread_mutex_unlock(&h->mu);
	return rc;
}

void selfheal_set_active(struct selfheal *h, int active)
{
	pthread_mutex_lock(&h->mu);
	h->active = active;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void selfheal_pause(struct selfheal *h, int paused)
{
	pthread_mutex_lock(&h->mu);
	h->paused = paused;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

size_t selfheal_size(struct selfheal *h)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = strmap_len(h->objs);
	pthread_mutex_unlock(&h->mu);
	return n;
}

void selfheal_free(struct selfheal *h)
{
	const char *k;
	void *v;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	atomic_store(&h->stop, 1);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->worker_started)
		pthread_join(h->worker, NULL);
	/* watch threads take mu in their callback: join them without holding it */
	for (size_t i = 0; strmap_next(h->watched, &i, &k, &v);) {
		pthread_join(((struct heal_watch *)v)->tid, NULL);
		free(v);
	}
	strmap_free(h->watched);
	clear_objs(h->objs);
	free(h->queue);
	free(h->selector);
	free(h->source);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
