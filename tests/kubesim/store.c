/*
 * store.c — kubesim's object store: one collection (hash map "ns/name" ->
 * current immutable version) per group/resource, the single global
 * resourceVersion, and the bounded event history that watches read.
 * Everything here runs under srv->mu; nothing here knows HTTP or validation.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ks.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

struct ks_coll {
	char *group, *resource;
	struct strmap *objs;
};

struct ks_ver *ks_ver_new(cJSON *obj, uint64_t rv)
{
	struct ks_ver *v = calloc(1, sizeof(*v));
	if (!v)
		goto fail;
	v->json = cJSON_PrintUnformatted(obj);
	if (!v->json)
		goto fail;
	v->len = strlen(v->json);
	v->obj = obj;
	v->refs = 1;
	v->rv = rv;
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "namespace"));
	const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "name"));
	v->ns = ns ? ns : "";
	v->name = name ? name : "";
	return v;
fail:
	free(v);
	cJSON_Delete(obj);
	return NULL;
}

struct ks_ver *ks_ver_ref(struct ks_ver *v)
{
	__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}

void ks_ver_unref(struct ks_ver *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	cJSON_Delete(v->obj);
	free(v->json);
	free(v);
}

struct ks_coll *ks_coll_new(const char *group, const char *resource)
{
	struct ks_coll *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->group = strdup(group);
	c->resource = strdup(resource);
	c->objs = strmap_new();
	if (!c->group || !c->resource || !c->objs) {
		ks_coll_free(c);
		return NULL;
	}
	return c;
}

static void unref_cb(const char *key, void *val, void *arg)
{
	ks_ver_unref(val);
}

void ks_coll_free(struct ks_coll *c)
{
	if (!c)
		return;
	if (c->objs) {
		strmap_each(c->objs, unref_cb, NULL);
		strmap_free(c->objs);
	}
	free(c->group);
	free(c->resource);
	free(c);
}

const char *ks_coll_group(const struct ks_coll *c)
{
	return c->group;
}

const char *ks_coll_resource(const struct ks_coll *c)
{
	return c->resource;
}

static void obj_key(char *out, size_t n, const char *ns, const char *name)
{
	snprintf(out, n, "%s/%s", ns ? ns : "", name);
}

struct ks_ver *ks_coll_get(struct ks_coll *c, const char *ns, const char *name)
{
	char key[600];
	obj_key(key, sizeof(key), ns, name);
	return strmap_get(c->objs, key);
}

size_t ks_coll_len(struct ks_coll *c)
{
	return strmap_len(c->objs);
}

struct snap {
	struct ks_ver **v;
	size_t n;
	const char *ns;
};

static void snap_cb(const char *key, void *val, void *arg)
{
	struct snap *sn = arg;
	struct ks_ver *v = val;
	if (sn->ns && *sn->ns && strcmp(v->ns, sn->ns) != 0)
		return;
	sn->v[sn->n++] = v;
}

static int ver_cmp(const void *a, const void *b)
{
	const struct ks_ver *x = *(const struct ks_ver *const *)a, *y = *(const struct ks_ver *const *)b;
	int r = strcmp(x->ns, y->ns);
	return r ? r : strcmp(x->name, y->name);
}

int ks_coll_snapshot(struct ks_coll *c, const char *ns, struct ks_ver ***out, size_t *n)
{
	struct snap sn = { .ns = ns };
	sn.v = malloc((strmap_len(c->objs) + 1) * sizeof(*sn.v));
	if (!sn.v)
		return KAIRN_ENOMEM;
	strmap_each(c->objs, snap_cb, &sn);
	qsort(sn.v, sn.n, sizeof(*sn.v), ver_cmp);
	*out = sn.v;
	*n = sn.n;
	return 0;
}

static void ring_push(struct ks_server *s, enum ks_ev_type type, struct ks_ver *v)
{
	if (s->ring_len == s->ring_cap) {
		struct ks_event *old = &s->ring[s->ring_start];
		s->ring_floor = old->rv;
		ks_ver_unref(old->ver);
		s->ring_start = (s->ring_start + 1) % s->ring_cap;
		s->ring_len--;
	}
	struct ks_event *ev = &s->ring[(s->ring_start + s->ring_len) % s->ring_cap];
	ev->rv = v->rv;
	ev->type = type;
	ev->ver = ks_ver_ref(v);
	s->ring_len++;
	pthread_cond_broadcast(&s->changed);
}

static void set_rv(cJSON *obj, uint64_t rv)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rv);
	cJSON *md = jsonx_ensure_obj(obj, "metadata");
	if (md)
		jsonx_set(md, "resourceVersion", cJSON_CreateString(buf));
}

struct ks_ver *ks_store_put_locked(struct ks_server *s, struct ks_res *res, cJSON *obj,
				   enum ks_ev_type type)
{
	uint64_t rv = s->rv + 1;
	set_rv(obj, rv);
	struct ks_ver *v = ks_ver_new(obj, rv);
	if (!v)
		return NULL;
	char key[600];
	obj_key(key, sizeof(key), v->ns, v->name);
	struct ks_ver *old = strmap_get(res->coll->objs, key);
	if (strmap_put(res->coll->objs, key, v, NULL) != 0) {
		ks_ver_unref(v);
		return NULL;
	}
	s->rv = rv;
	ks_ver_unref(old);
	ring_push(s, type, v);
	return v;
}

int ks_store_remove_locked(struct ks_server *s, struct ks_coll *c, const char *ns,
			   const char *name, cJSON *obj_last)
{
	char key[600];
	obj_key(key, sizeof(key), ns, name);
	struct ks_ver *old = strmap_del(c->objs, key);
	uint64_t rv = s->rv + 1;
	set_rv(obj_last, rv);
	struct ks_ver *v = ks_ver_new(obj_last, rv);
	ks_ver_unref(old);
	if (!v)
		return KAIRN_ENOMEM;
	s->rv = rv;
	ring_push(s, KS_EV_DELETED, v);
	ks_ver_unref(v);
	return 0;
}

long ks_store_events_locked(struct ks_server *s, uint64_t after, struct ks_event *out, size_t n)
{
	if (after < s->ring_floor)
		return -1;
	/* binary search for the first event with rv > after */
	size_t lo = 0, hi = s->ring_len;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->ring[(s->ring_start + mid) % s->ring_cap].rv <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t k = 0;
	for (size_t i = lo; i < s->ring_len && k < n; i++, k++) {
		out[k] = s->ring[(s->ring_start + i) % s->ring_cap];
		ks_ver_ref(out[k].ver);
	}
	return (long)k;
}

void ks_uid_new(struct ks_server *s, char out[37])
{
	uint64_t x = s->rand_state ^ (++s->uid_seq * 0x9E3779B97F4A7C15ull);
	uint64_t a = x * 0xD6E8FEB86659FD93ull, b = (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9ull;
	snprintf(out, 37, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32), (unsigned)(a & 0xffff),
		 (unsigned)((a >> 16) & 0xfff), (unsigned)(b >> 52), (unsigned long long)(b & 0xffffffffffffull));
}

void ks_now(char out[32])
{
	time_rfc3339(time(NULL), out);
}

static int seed_namespace(struct ks_server *s, const char *name)
{
	struct ks_res *res = ks_registry_find(s->reg, "", "v1", "namespaces");
	char uid[37], now[32];
	ks_uid_new(s, uid);
	ks_now(now);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	cJSON_AddStringToObject(o, "kind", "Namespace");
	cJSON *md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	cJSON_AddStringToObject(md, "uid", uid);
	cJSON_AddStringToObject(md, "creationTimestamp", now);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"), "kubernetes.io/metadata.name", name);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "spec"), "finalizers"),
			     cJSON_CreateString("kubernetes"));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "status"), "phase", "Active");
	return ks_store_put_locked(s, res, o, KS_EV_ADDED) ? 0 : KAIRN_ENOMEM;
}

int ks_store_seed(struct ks_server *s, struct kerr *e)
{
	static const char *const names[] = { "default", "kube-system", "kube-public", "kube-node-lease" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (seed_namespace(s, names[i]) != 0)
			return kerr_set(e, KAIRN_ENOMEM, "seeding namespaces");
	return 0;
}

int ks_store_init(struct ks_server *s, struct kerr *e)
{
	s->ring_cap = s->opt.event_history > 0 ? (size_t)s->opt.event_history : 10000;
	s->ring = calloc(s->ring_cap, sizeof(*s->ring));
	if (!s->ring)
		return kerr_set(e, KAIRN_ENOMEM, "event ring");
	s->rand_state = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)(uintptr_t)s;
	s->next_ip = 10;
	if (ks_registry_new(&s->reg) != 0)
		return kerr_set(e, KAIRN_ENOMEM, "registry");
	return ks_store_seed(s, e);
}

static void ring_clear(struct ks_server *s)
{
	for (size_t i = 0; i < s->ring_len; i++)
		ks_ver_unref(s->ring[(s->ring_start + i) % s->ring_cap].ver);
	s->ring_len = 0;
	s->ring_start = 0;
}

void ks_store_fini(struct ks_server *s)
{
	if (s->ring)
		ring_clear(s);
	free(s->ring);
	s->ring = NULL;
	ks_registry_free(s->reg);
	s->reg = NULL;
}

int ks_store_reset(struct ks_server *s, struct kerr *e)
{
	ring_clear(s);
	ks_registry_free(s->reg);
	s->reg = NULL;
	s->ring_floor = s->rv; /* older watches must relist */
	if (ks_registry_new(&s->reg) != 0)
		return kerr_set(e, KAIRN_ENOMEM, "registry");
	pthread_cond_broadcast(&s->changed);
	return ks_store_seed(s, e);
}

void ks_wait_changed_locked(struct ks_server *s, int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->changed, &s->mu, &ts);
}
