/*
 * selfheal.c — see selfheal.h. Threads: one per watched resource type (they
 * only mark drift) and one worker (the only one that writes). Everything
 * shared is guarded by h->mu; the worker never holds it across a request.
 *
 * Memory: an idle agent's heap is mostly the desired set, so it is kept as
 * one array sorted by key plus one block of text (keys and compact JSON),
 * built once per sync. Four small allocations per object, made while the
 * sync's plan is still alive, land in the holes that plan leaves behind and
 * pin heap pages that malloc_trim cannot give back (at 1,000 ConfigMaps:
 * ~0.3 MB of data held ~0.75 MB of pages).
 */
#include "selfheal.h"
#include "util/buf.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/strmap.h"
#include "util/timeutil.h"
#include "util/vec.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct heal_obj {
	const char *key;         /* group/kind/namespace/name, in the set's text */
	/* Compact JSON in the set's text, parsed when needed: a tree costs ~4x
	 * the memory. */
	const char *desired;
	struct kube_resource res;
	int queued;
	int64_t due_ms;          /* when the worker may correct it */
	int64_t last_fix_ms;     /* last correction (0: none) */
	int streak;              /* corrections in a row, each within the fight window */
	/* After a correction: the resourceVersion it produced, until the watch
	 * delivers it. Watch events arrive in order, so until then every event
	 * shows the object as it was before the correction: stale, not a fight.
	 * "" = not waiting. await_until bounds the wait (a lost echo). */
	char await_rv[24];
	int64_t await_until;
};

/* The desired set of one sync (see the header comment). */
struct heal_set {
	struct heal_obj *objs;   /* sorted by key */
	size_t n;
	char *text;              /* every key and desired JSON, NUL-separated */
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
	struct heal_set set;
	struct heal_obj **queue; /* drifted objects waiting for the worker */
	size_t nq, capq;
	struct strmap *watched;  /* "group/kind" -> struct heal_watch */
	atomic_int stop;
	int active, paused;
	/* After a relist, when the worker gives freed memory back (0: not due).
	 * A relist holds every object of a type at once, in the watch thread's
	 * malloc arena; kube_watch frees it after the callback, and without a
	 * trim those pages would stay until the next sync. */
	int64_t trim_at_ms;
	/* The correction in flight (one at a time: one worker). Events for that
	 * object are recorded, not acted on; when the apply returns, its
	 * resourceVersion tells which of them came after it (see fix_done). */
	const char *fixing_key;
	char fix_seen[8][24];    /* resourceVersions seen meanwhile, in order */
	int fix_nseen, fix_overflow;
	int fix_last_drift;      /* the last of them differs from desired */
	char fix_last_why[256];
	int worker_started;
	pthread_t worker;
};

static void heal_set_clear(struct heal_set *s)
{
	free(s->objs);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static int cmp_key(const void *key, const void *obj)
{
	return strcmp(key, ((const struct heal_obj *)obj)->key);
}

static int cmp_obj(const void *a, const void *b)
{
	return strcmp(((const struct heal_obj *)a)->key, ((const struct heal_obj *)b)->key);
}

static struct heal_obj *heal_set_find(const struct heal_set *s, const char *key)
{
	return s->n ? bsearch(key, s->objs, s->n, sizeof(*s->objs), cmp_key) : NULL;
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
	if (vec_reserve(h->queue, h->nq, h->capq, 16)) {
		log_error("self-heal: out of memory queueing %s", o->key);
		return;
	}
	o->due_ms = now + delay;
	o->queued = 1;
	h->queue[h->nq++] = o;
	pthread_cond_signal(&h->cv);
}

/* 1 when live differs from desired (why says where), 0 when equal, <0 on
 * error. Caller holds mu. */
static int live_differs(struct heal_obj *o, const cJSON *live, char *why, size_t whylen)
{
	struct sync_diff_opts d = { .manager = KAIRN_FIELD_MANAGER };
	struct sync_diff_result r = { 0 };
	const char *rv = jsonx_str(live, "metadata.resourceVersion");
	cJSON *want = cJSON_Parse(o->desired);
	int rc = want ? sync_diff(want, live, &d, &r) : KAIRN_ENOMEM;

	if (rc == 1) {
		size_t n = r.paths.len ? strcspn(r.paths.data, "\n") : 0;

		snprintf(why, whylen, "%.*s; resourceVersion %.24s", (int)(n < 200 ? n : 200),
			 r.paths.data ? r.paths.data : "", rv ? rv : "?");
	} else if (rc < 0) {
		log_error("self-heal: cannot compare %s: out of memory", o->key);
	}
	sync_diff_result_free(&r);
	cJSON_Delete(want);
	return rc;
}

/* Marks o if live differs from desired. Caller holds mu. */
static void check_live(struct selfheal *h, struct heal_obj *o, const cJSON *live)
{
	char why[256];

	if (live_differs(o, live, why, sizeof(why)) == 1)
		mark_drift(h, o, why);
}

/* An event (or a listed object; live NULL: deleted or missing) for the
 * object being corrected: remember its resourceVersion and whether it
 * differs, for fix_done. Caller holds mu. */
static void fix_note(struct selfheal *h, struct heal_obj *o, const cJSON *live, const char *gone)
{
	const char *rv = live ? jsonx_str(live, "metadata.resourceVersion") : NULL;

	if (h->fix_nseen == (int)(sizeof(h->fix_seen) / sizeof(h->fix_seen[0])) || (rv && strlen(rv) >= 24))
		h->fix_overflow = 1;
	else
		snprintf(h->fix_seen[h->fix_nseen++], sizeof(h->fix_seen[0]), "%s", rv ? rv : "");
	if (!live) {
		h->fix_last_drift = 1;
		snprintf(h->fix_last_why, sizeof(h->fix_last_why), "%s", gone);
	} else {
		h->fix_last_drift = live_differs(o, live, h->fix_last_why, sizeof(h->fix_last_why)) == 1;
	}
}

static int is_fixing(const struct selfheal *h, const struct heal_obj *o)
{
	return h->fixing_key && strcmp(h->fixing_key, o->key) == 0;
}

/* The correction of o returned resourceVersion rv (NULL: unknown). Events
 * seen meanwhile that precede rv in the stream are stale; one that follows
 * it is a new change by someone else. Caller holds mu. */
static void fix_done(struct selfheal *h, struct heal_obj *o, const char *rv)
{
	int at = -1;

	for (int i = 0; rv && *rv && i < h->fix_nseen; i++)
		if (strcmp(h->fix_seen[i], rv) == 0)
			at = i;
	if (rv && *rv && at < 0 && !h->fix_overflow && strlen(rv) < sizeof(o->await_rv)) {
		/* Its echo has not arrived: all seen so far were older. */
		strcpy(o->await_rv, rv);
		o->await_until = time_mono_ms() + 5000;
	} else if ((at < 0 || at < h->fix_nseen - 1) && h->fix_last_drift) {
		/* Changed again after the correction (or unknown order). */
		mark_drift(h, o, h->fix_last_why);
	}
	h->fixing_key = NULL;
	h->fix_nseen = h->fix_overflow = h->fix_last_drift = 0;
}

/* Drops a watch event older than o's last correction. Caller holds mu. */
static int stale_event(struct heal_obj *o, const cJSON *live)
{
	const char *rv = live ? jsonx_str(live, "metadata.resourceVersion") : NULL;

	if (!o->await_rv[0])
		return 0;
	if (rv && strcmp(rv, o->await_rv) != 0 && time_mono_ms() < o->await_until)
		return 1;
	o->await_rv[0] = '\0'; /* the echo (or the wait ran out): what follows is new */
	return 0;
}

static int same_type(const struct kube_resource *a, const struct kube_resource *b)
{
	return strcmp(a->group, b->group) == 0 && strcmp(a->kind, b->kind) == 0;
}

/* A full list: check each listed object, and every desired object of this
 * type that the list lacks was deleted. Caller holds mu. */
static void on_relist(struct selfheal *h, const struct kube_resource *res, const cJSON *items)
{
	unsigned char *seen = calloc(h->set.n ? h->set.n : 1, 1); /* by index in the set */
	const cJSON *it;

	if (!seen) {
		log_error("self-heal: out of memory checking a list of %s", res->resource);
		return;
	}
	cJSON_ArrayForEach(it, items) {
		char *key = obj_key(res, it);
		struct heal_obj *o = key ? heal_set_find(&h->set, key) : NULL;

		if (o) {
			if (is_fixing(h, o)) {
				fix_note(h, o, it, NULL);
			} else {
				o->await_rv[0] = '\0'; /* a list is a fresh view */
				check_live(h, o, it);
			}
			seen[o - h->set.objs] = 1;
		}
		free(key);
	}
	for (size_t i = 0; i < h->set.n; i++) {
		struct heal_obj *o = &h->set.objs[i];

		if (seen[i] || !same_type(&o->res, res))
			continue;
		if (is_fixing(h, o))
			fix_note(h, o, NULL, "missing");
		else
			mark_drift(h, o, "missing");
	}
	free(seen);
	h->trim_at_ms = time_mono_ms() + 500;
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
		o = key ? heal_set_find(&h->set, key) : NULL;
		if (o && is_fixing(h, o))
			fix_note(h, o, type == KUBE_EVENT_DELETED ? NULL : obj, "deleted");
		else if (o && type == KUBE_EVENT_DELETED)
			mark_drift(h, o, "deleted");
		else if (o && !stale_event(o, obj))
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
/* Applies desired; rv gets the resourceVersion the server answered with. */
static int correct(struct selfheal *h, const struct kube_resource *res, const cJSON *desired,
		   char rv[24], struct kerr *e)
{
	struct kube_write_opts wo = { .field_manager = KAIRN_FIELD_MANAGER, .force = 1 };
	cJSON *out = NULL;
	const char *v;
	int rc = kube_apply(h->kc, res, NULL, desired, &wo, &out, e);

	v = out ? jsonx_str(out, "metadata.resourceVersion") : NULL;
	snprintf(rv, 24, "%s", v && strlen(v) < 24 ? v : "");
	cJSON_Delete(out);
	return rc;
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
		char rv[24] = "";
		int rc;

		if (h->trim_at_ms && now >= h->trim_at_ms) {
			h->trim_at_ms = 0;
			pthread_mutex_unlock(&h->mu);
			malloc_trim(0);
			pthread_mutex_lock(&h->mu);
			continue;
		}
		if (i < 0 || h->queue[i]->due_ms > now) {
			int64_t wait = i < 0 ? 1000 : h->queue[i]->due_ms - now;

			if (h->trim_at_ms && h->trim_at_ms - now < wait)
				wait = h->trim_at_ms - now;
			deadline_after(wait, &ts);
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
			continue;
		}
		o = h->queue[i];
		h->queue[i] = h->queue[--h->nq];
		o->queued = 0;
		copy = cJSON_Parse(o->desired);
		key = strdup(o->key);
		res = o->res;
		h->fixing_key = key;
		h->fix_nseen = h->fix_overflow = h->fix_last_drift = 0;
		o->await_rv[0] = '\0';
		pthread_mutex_unlock(&h->mu);

		rc = (!copy || !key) ? kerr_set(&e, KAIRN_ENOMEM, "out of memory") : correct(h, &res, copy, rv, &e);

		pthread_mutex_lock(&h->mu);
		{
			const char *lv[] = { h->source, res.kind, rc ? "error" : "applied", NULL };

			if (h->o.corrections)
				metrics_add(h->o.corrections, lv, 1);
		}
		o = key ? heal_set_find(&h->set, key) : NULL; /* the set may have been replaced */
		if (o) {
			o->last_fix_ms = time_mono_ms();
			if (rc) {
				h->fixing_key = NULL;
				log_warn("self-heal: restoring %s failed: %s", key, e.msg);
				mark_drift(h, o, "retry after a failed correction");
			} else {
				log_info("self-heal: restored %s", key);
				fix_done(h, o, rv);
			}
		}
		h->fixing_key = NULL;
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
	    !(h->watched = strmap_new())) {
		kbuf_free(&sel);
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

/* realloc to a smaller size; keeps p if that fails. */
static void *shrink(void *p, size_t size)
{
	void *q = p ? realloc(p, size) : NULL;

	return q ? q : p;
}

/* Appends en's key and compact JSON to text; their offsets go to off[0..1]. */
static int append_entry(struct kbuf *text, const struct sync_entry *en, size_t off[2])
{
	int rc;

	/* en->desired is already compact JSON text (sync.h) */
	off[0] = text->len;
	rc = kbuf_append(text, en->key, strlen(en->key) + 1);
	off[1] = text->len;
	if (!rc)
		rc = kbuf_append(text, en->desired, strlen(en->desired) + 1);
	return rc;
}

/* Builds the set from the plan's create/update/unchanged objects. */
static int heal_set_build(struct selfheal *h, const struct sync_plan *p, struct heal_set *out,
			  struct kerr *e)
{
	struct kbuf text = { 0 };
	size_t *off = calloc(p->n ? 2 * p->n : 1, sizeof(*off)); /* key, desired per object */
	struct heal_obj *objs = calloc(p->n ? p->n : 1, sizeof(*objs));
	size_t n = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!off || !objs) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct sync_entry *en = &p->entries[i];
		struct kube_resource res;

		if (!en->desired || (en->action != SYNC_CREATE && en->action != SYNC_UPDATE &&
				     en->action != SYNC_UNCHANGED))
			continue;
		/* The plan's resource strings may belong to a client that the
		 * sync frees; ours lives as long as the watches (a cache hit). */
		if (kube_resolve(h->kc, en->api_version, en->kind, &res, e)) {
			log_warn("self-heal: %s not watched: %s", en->key, e->msg);
			continue;
		}
		if (append_entry(&text, en, &off[2 * n])) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		objs[n++].res = res;
	}
	/* exact sizes: this is what an idle agent keeps */
	out->n = n;
	out->text = shrink(text.data, text.len + 1);
	out->objs = n ? shrink(objs, n * sizeof(*objs)) : NULL;
	text.data = NULL;
	if (n)
		objs = NULL;
	for (size_t i = 0; i < n; i++) {
		out->objs[i].key = out->text + off[2 * i];
		out->objs[i].desired = out->text + off[2 * i + 1];
	}
	if (n)
		qsort(out->objs, n, sizeof(*out->objs), cmp_obj);
out:
	kbuf_free(&text);
	free(objs);
	free(off);
	return rc;
}

int selfheal_update(struct selfheal *h, const struct sync_plan *p, struct kerr *e)
{
	struct heal_set set, old;
	int rc = heal_set_build(h, p, &set, e);

	if (rc)
		return rc;
	pthread_mutex_lock(&h->mu);
	/* keep each object's fight history across syncs */
	for (size_t i = 0; i < set.n; i++) {
		const struct heal_obj *prev = heal_set_find(&h->set, set.objs[i].key);

		if (prev) {
			set.objs[i].last_fix_ms = prev->last_fix_ms;
			set.objs[i].streak = prev->streak;
		}
	}
	old = h->set;
	h->set = set;
	h->nq = 0; /* the queue pointed into the old set */
	heal_set_clear(&old);
	for (size_t i = 0; i < set.n && !rc; i++)
		rc = ensure_watch(h, &set.objs[i].res, e);
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
	n = h->set.n;
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
	heal_set_clear(&h->set);
	free(h->queue);
	free(h->selector);
	free(h->source);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
