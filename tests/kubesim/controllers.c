/*
 * controllers.c — kubesim's simulated controllers, one background thread:
 * workloads (Deployment, StatefulSet, ReplicaSet, DaemonSet) report ready
 * status with observedGeneration and the Available condition; a Job starts
 * and completes after --job-duration-ms, or fails when its pod template is
 * annotated kubesim.kairn.dev/fail: "true"; terminating namespaces are
 * emptied and removed; the garbage collector deletes dependents whose
 * owners are gone and finishes foreground deletions. Never answers HTTP.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "objects.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

struct ctl_item {
	int64_t due;       /* monotonic ms */
	int64_t job_start; /* monotonic ms, 0 until the Job started */
};

static int controlled(const struct ks_res *res)
{
	if (!strcmp(res->group, "apps"))
		return strcmp(res->resource, "controllerrevisions") != 0;
	if (!strcmp(res->group, "batch"))
		return !strcmp(res->resource, "jobs");
	return !*res->group && !strcmp(res->resource, "namespaces");
}

void ks_ctl_schedule_locked(struct ks_server *s, const struct ks_res *res, const char *ns, const char *name,
			    long delay_ms)
{
	if (!s->ctl_due || !controlled(res))
		return;
	char key[800];
	snprintf(key, sizeof(key), "%s|%s|%s|%s", res->group, res->resource, ns ? ns : "", name);
	int64_t due = time_mono_ms() + delay_ms;
	struct ctl_item *it = strmap_get(s->ctl_due, key);
	if (it) {
		if (due < it->due)
			it->due = due;
	} else if ((it = calloc(1, sizeof(*it)))) {
		it->due = due;
		if (strmap_put(s->ctl_due, key, it, NULL) != 0)
			free(it);
	}
	pthread_cond_broadcast(&s->changed);
}

static struct ks_res *res_by_gr(struct ks_server *s, const char *group, const char *resource)
{
	for (size_t i = 0; i < ks_registry_count(s->reg); i++) {
		struct ks_res *r = ks_registry_at(s->reg, i);
		if (!strcmp(r->group, group) && !strcmp(r->resource, resource))
			return r;
	}
	return NULL;
}

/* Writes obj (owned) when its status differs from v's. */
static void write_status(struct ks_server *s, struct ks_res *res, const struct ks_ver *v, cJSON *obj)
{
	if (kjson_equal(jsonx_get(obj, "status"), jsonx_get(v->obj, "status"))) {
		cJSON_Delete(obj);
		return;
	}
	ks_store_put_locked(s, res, obj, KS_EV_MODIFIED);
}

static void reconcile_workload(struct ks_server *s, struct ks_res *res, const struct ks_ver *v)
{
	char now[32];
	ks_now(now);
	cJSON *obj = cJSON_Duplicate(v->obj, 1);
	long want = jsonx_long(obj, "spec.replicas", 1);
	long gen = jsonx_long(obj, "metadata.generation", 1);
	const cJSON *old = jsonx_get(obj, "status");
	cJSON *st = cJSON_CreateObject();
	cJSON_AddNumberToObject(st, "observedGeneration", (double)gen);
	if (!strcmp(res->resource, "daemonsets")) {
		static const char *const f[] = { "currentNumberScheduled", "desiredNumberScheduled", "numberAvailable",
						 "numberReady", "updatedNumberScheduled" };
		for (size_t i = 0; i < 5; i++)
			cJSON_AddNumberToObject(st, f[i], 1);
		cJSON_AddNumberToObject(st, "numberMisscheduled", 0);
	} else {
		cJSON_AddNumberToObject(st, "replicas", (double)want);
		cJSON_AddNumberToObject(st, "readyReplicas", (double)want);
		cJSON_AddNumberToObject(st, "availableReplicas", (double)want);
		if (strcmp(res->resource, "replicasets"))
			cJSON_AddNumberToObject(st, "updatedReplicas", (double)want);
		else
			cJSON_AddNumberToObject(st, "fullyLabeledReplicas", (double)want);
		if (!strcmp(res->resource, "statefulsets")) {
			char rev[300];
			snprintf(rev, sizeof(rev), "%s-%ld", v->name, gen);
			cJSON_AddNumberToObject(st, "currentReplicas", (double)want);
			cJSON_AddStringToObject(st, "currentRevision", rev);
			cJSON_AddStringToObject(st, "updateRevision", rev);
			cJSON_AddNumberToObject(st, "collisionCount", 0);
		}
	}
	const cJSON *oc = jsonx_get(old, "conditions");
	if (cJSON_GetArraySize(oc) > 0) {
		cJSON_AddItemToObject(st, "conditions", cJSON_Duplicate(oc, 1));
	} else if (!strcmp(res->resource, "deployments")) {
		cJSON *cs = cJSON_AddArrayToObject(st, "conditions");
		cJSON_AddItemToArray(cs, ks_condition_true("Available", "MinimumReplicasAvailable",
					      "Deployment has minimum availability.", now, 1));
		char msg[400];
		snprintf(msg, sizeof(msg), "ReplicaSet \"%s-kubesim\" has successfully progressed.", v->name);
		cJSON_AddItemToArray(cs, ks_condition_true("Progressing", "NewReplicaSetAvailable", msg, now, 1));
	}
	jsonx_set(obj, "status", st);
	write_status(s, res, v, obj);
}

static int job_finished(const cJSON *obj)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, jsonx_get(obj, "status.conditions")) {
		const char *t = jsonx_str(c, "type");
		if (t && (!strcmp(t, "Complete") || !strcmp(t, "Failed")))
			return 1;
	}
	return 0;
}

/* Returns a delay to be called again, or -1. */
static long reconcile_job(struct ks_server *s, struct ks_res *res, const struct ks_ver *v, struct ctl_item *it)
{
	if (job_finished(v->obj) || cJSON_IsTrue(jsonx_get(v->obj, "spec.suspend")))
		return -1;
	char now[32];
	ks_now(now);
	int64_t t = time_mono_ms();
	cJSON *obj = cJSON_Duplicate(v->obj, 1);
	cJSON *st = jsonx_ensure_obj(obj, "status");
	if (!it->job_start) {
		it->job_start = t;
		if (!jsonx_str(st, "startTime"))
			jsonx_set(st, "startTime", cJSON_CreateString(now));
		jsonx_set(st, "active", cJSON_CreateNumber(1));
		jsonx_set(st, "ready", cJSON_CreateNumber(0));
		write_status(s, res, v, obj);
		return s->opt.job_duration_ms;
	}
	if (t - it->job_start < s->opt.job_duration_ms) {
		cJSON_Delete(obj);
		return (long)(s->opt.job_duration_ms - (t - it->job_start));
	}
	const char *fail = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		jsonx_get(v->obj, "spec.template.metadata.annotations"), "kubesim.kairn.dev/fail"));
	cJSON_DeleteItemFromObjectCaseSensitive(st, "active");
	cJSON *cs = cJSON_CreateArray();
	if (fail && !strcmp(fail, "true")) {
		jsonx_set(st, "failed", cJSON_CreateNumber(1));
		cJSON_AddItemToArray(cs, ks_condition_true("FailureTarget", "BackoffLimitExceeded",
					      "Job has reached the specified backoff limit", now, 1));
		cJSON_AddItemToArray(cs, ks_condition_true("Failed", "BackoffLimitExceeded",
					      "Job has reached the specified backoff limit", now, 1));
	} else {
		jsonx_set(st, "succeeded", cJSON_CreateNumber(1));
		jsonx_set(st, "completionTime", cJSON_CreateString(now));
		cJSON_AddItemToArray(cs, ks_condition_true("SuccessCriteriaMet", "CompletionsReached",
					      "Reached expected number of succeeded pods", now, 1));
		cJSON_AddItemToArray(cs, ks_condition_true("Complete", "CompletionsReached",
					      "Reached expected number of succeeded pods", now, 1));
	}
	jsonx_set(st, "conditions", cs);
	write_status(s, res, v, obj);
	return -1;
}

/* Empties a terminating namespace; returns a delay to check again or -1. */
static long reconcile_namespace(struct ks_server *s, struct ks_res *nsres, const struct ks_ver *v)
{
	if (!jsonx_get(v->obj, "metadata.deletionTimestamp"))
		return -1;
	char *ns = strdup(v->name);
	size_t left = 0;
	for (size_t i = 0; ns && i < ks_registry_count(s->reg); i++) {
		struct ks_res *res = ks_registry_at(s->reg, i);
		if (!res->namespaced || ks_res_of_coll(s, res->coll) != res)
			continue;
		struct ks_ver **vs = NULL;
		size_t n = 0;
		if (ks_coll_snapshot(res->coll, ns, &vs, &n))
			continue;
		for (size_t k = 0; k < n; k++)
			ks_ver_ref(vs[k]);
		for (size_t k = 0; k < n; k++) {
			cJSON *last = ks_delete_object_locked(s, res, vs[k], "Background");
			if (last && jsonx_get(last, "metadata.finalizers"))
				left++;
			cJSON_Delete(last);
			ks_ver_unref(vs[k]);
		}
		free(vs);
		/* the registry may have shrunk when a CRD went away */
	}
	if (left || !ns) {
		free(ns);
		return 100;
	}
	struct ks_ver *cur = ks_coll_get(nsres->coll, "", ns);
	if (cur)
		ks_delete_now_locked(s, nsres, cJSON_Duplicate(cur->obj, 1));
	free(ns);
	return -1;
}

struct gc_pass {
	struct ks_server *s;
	struct strmap *uids;   /* uid -> ver (borrowed) */
	struct strmap *blocked; /* owner uid -> 1: still has dependents */
	int changed;
};

static void index_uid(const char *key, void *val, void *arg)
{
	struct gc_pass *g = arg;
	struct ks_ver *v = val;
	const char *uid = jsonx_str(v->obj, "metadata.uid");
	if (uid)
		strmap_put(g->uids, uid, v, NULL);
}

static int foreground_deleting(const struct ks_ver *owner)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, jsonx_get(owner->obj, "metadata.finalizers"))
		if (cJSON_IsString(f) && !strcmp(f->valuestring, "foregroundDeletion"))
			return 1;
	return 0;
}

static void gc_collection(struct gc_pass *g, struct ks_res *res)
{
	struct ks_ver **vs = NULL;
	size_t n = 0;
	if (ks_coll_snapshot(res->coll, NULL, &vs, &n))
		return;
	for (size_t i = 0; i < n; i++)
		ks_ver_ref(vs[i]);
	for (size_t i = 0; i < n; i++) {
		const cJSON *refs = jsonx_get(vs[i]->obj, "metadata.ownerReferences");
		if (cJSON_GetArraySize(refs) == 0)
			continue;
		int alive = 0, doomed = 0;
		const cJSON *ref;
		cJSON_ArrayForEach(ref, refs) {
			const char *u = jsonx_str(ref, "uid");
			struct ks_ver *owner = u ? strmap_get(g->uids, u) : NULL;
			if (!owner)
				continue;
			if (foreground_deleting(owner)) {
				doomed = 1;
				strmap_put(g->blocked, u, owner, NULL);
			} else {
				alive = 1;
			}
		}
		if (alive && !doomed)
			continue;
		if (!jsonx_get(vs[i]->obj, "metadata.deletionTimestamp")) {
			cJSON *last = ks_delete_object_locked(g->s, res, vs[i], doomed ? "Foreground" : "Background");
			cJSON_Delete(last);
			g->changed = 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		ks_ver_unref(vs[i]);
	free(vs);
}

struct fg_ctx {
	struct gc_pass *g;
	struct ks_ver **owners;
	size_t n;
};

static void collect_fg(const char *key, void *val, void *arg)
{
	struct fg_ctx *c = arg;
	struct ks_ver *v = val;
	if (foreground_deleting(v) && !strmap_get(c->g->blocked, key))
		c->owners[c->n++] = ks_ver_ref(v);
}

/* Foreground owners without dependents lose their finalizer. */
static void finish_foreground(struct gc_pass *g)
{
	size_t total = strmap_len(g->uids);
	struct fg_ctx c = { .g = g, .owners = calloc(total + 1, sizeof(struct ks_ver *)) };
	if (!c.owners)
		return;
	strmap_each(g->uids, collect_fg, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct ks_ver *v = c.owners[i];
		const char *av = jsonx_str(v->obj, "apiVersion"), *kind = jsonx_str(v->obj, "kind");
		const char *slash = av ? strrchr(av, '/') : NULL;
		char group[256];
		snprintf(group, sizeof(group), "%.*s", slash ? (int)(slash - av) : 0, av ? av : "");
		struct ks_res *res = kind ? ks_registry_find_kind(g->s->reg, group, kind) : NULL;
		if (res && ks_coll_get(res->coll, v->ns, v->name) == v) {
			cJSON *obj = cJSON_Duplicate(v->obj, 1);
			cJSON *fin = jsonx_get(obj, "metadata.finalizers");
			int idx = 0;
			const cJSON *f;
			cJSON_ArrayForEach(f, fin) {
				if (cJSON_IsString(f) && !strcmp(f->valuestring, "foregroundDeletion"))
					break;
				idx++;
			}
			cJSON_DeleteItemFromArray(fin, idx);
			if (cJSON_GetArraySize(fin) == 0)
				ks_delete_now_locked(g->s, res, obj);
			else
				ks_store_put_locked(g->s, res, obj, KS_EV_MODIFIED);
			g->changed = 1;
		}
		ks_ver_unref(v);
	}
	free(c.owners);
}

static void uid_cb(struct gc_pass *g)
{
	for (size_t i = 0; i < ks_registry_count(g->s->reg); i++) {
		struct ks_res *res = ks_registry_at(g->s->reg, i);
		if (ks_res_of_coll(g->s, res->coll) != res)
			continue;
		struct ks_ver **vs = NULL;
		size_t n = 0;
		if (ks_coll_snapshot(res->coll, NULL, &vs, &n))
			continue;
		for (size_t k = 0; k < n; k++)
			index_uid(NULL, vs[k], g);
		free(vs);
	}
}

static void run_gc(struct ks_server *s)
{
	for (int round = 0; round < 8; round++) {
		struct gc_pass g = { .s = s, .uids = strmap_new(), .blocked = strmap_new() };
		if (!g.uids || !g.blocked) {
			strmap_free(g.uids);
			strmap_free(g.blocked);
			return;
		}
		uid_cb(&g);
		for (size_t i = 0; i < ks_registry_count(s->reg); i++) {
			struct ks_res *res = ks_registry_at(s->reg, i);
			if (ks_res_of_coll(s, res->coll) == res)
				gc_collection(&g, res);
		}
		strmap_free(g.uids);
		g.uids = strmap_new();
		if (g.uids) {
			uid_cb(&g);
			finish_foreground(&g);
		}
		strmap_free(g.uids);
		strmap_free(g.blocked);
		if (!g.changed)
			break;
	}
}

struct due_scan {
	int64_t now, next;
	char **keys;
	size_t n, cap;
};

static void scan_due(const char *key, void *val, void *arg)
{
	struct due_scan *d = arg;
	struct ctl_item *it = val;
	if (it->due <= d->now) {
		if (d->n == d->cap) {
			size_t nc = d->cap ? d->cap * 2 : 16;
			char **nk = realloc(d->keys, nc * sizeof(*nk));
			if (!nk)
				return;
			d->keys = nk;
			d->cap = nc;
		}
		d->keys[d->n++] = strdup(key);
	} else if (!d->next || it->due < d->next) {
		d->next = it->due;
	}
}

static void process(struct ks_server *s, const char *key)
{
	char buf[800];
	snprintf(buf, sizeof(buf), "%s", key);
	char *f[4] = { 0 };
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		f[i] = p;
		p = p ? strchr(p, '|') : NULL;
		if (p)
			*p++ = 0;
	}
	struct ctl_item *it = strmap_get(s->ctl_due, key);
	struct ks_res *res = f[3] ? res_by_gr(s, f[0], f[1]) : NULL;
	struct ks_ver *v = res ? ks_coll_get(res->coll, f[2], f[3]) : NULL;
	long again = -1;
	if (v) {
		ks_ver_ref(v);
		if (!strcmp(f[1], "namespaces"))
			again = reconcile_namespace(s, res, v);
		else if (!strcmp(f[1], "jobs"))
			again = reconcile_job(s, res, v, it);
		else if (!jsonx_get(v->obj, "metadata.deletionTimestamp"))
			reconcile_workload(s, res, v);
		ks_ver_unref(v);
	}
	it = strmap_get(s->ctl_due, key);
	if (!it)
		return;
	if (again >= 0) {
		it->due = time_mono_ms() + again;
	} else {
		free(strmap_del(s->ctl_due, key));
	}
}

static void *ctl_main(void *arg)
{
	struct ks_server *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct due_scan d = { .now = time_mono_ms() };
		strmap_each(s->ctl_due, scan_due, &d);
		for (size_t i = 0; i < d.n; i++) {
			if (d.keys[i])
				process(s, d.keys[i]);
			free(d.keys[i]);
		}
		free(d.keys);
		if (s->gc_dirty) {
			s->gc_dirty = 0;
			run_gc(s);
		}
		if (d.n)
			continue; /* processing may have scheduled more */
		int64_t wait = d.next ? d.next - time_mono_ms() : 1000;
		if (wait <= 0)
			continue;
		if (wait > 1000)
			wait = 1000;
		ks_wait_changed_locked(s, wait);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int ks_controllers_start(struct ks_server *s, struct kerr *e)
{
	s->ctl_due = strmap_new();
	if (!s->ctl_due)
		return kerr_set(e, KAIRN_ENOMEM, "controller queue");
	if (pthread_create(&s->ctl_thread, NULL, ctl_main, s) != 0)
		return kerr_set(e, KAIRN_EIO, "cannot start the controller thread");
	s->ctl_started = 1;
	return 0;
}

static void free_item(const char *key, void *val, void *arg)
{
	free(val);
}

void ks_controllers_stop(struct ks_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->mu);
	if (s->ctl_started)
		pthread_join(s->ctl_thread, NULL);
	s->ctl_started = 0;
	if (s->ctl_due) {
		strmap_each(s->ctl_due, free_item, NULL);
		strmap_free(s->ctl_due);
	}
	s->ctl_due = NULL;
}
