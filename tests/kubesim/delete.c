/*
 * delete.c — deletion semantics: finalizers and deletionTimestamp, the
 * propagation policies (Background leaves dependents to the garbage
 * collector, Foreground waits for them, Orphan strips their ownerReferences),
 * namespaces that terminate, and CRDs that take their objects along.
 * Runs under srv->mu; never answers HTTP.
 */
#include <stdlib.h>
#include <string.h>
#include "objects.h"
#include "util/jsonx.h"

struct ks_res *ks_res_of_coll(struct ks_server *s, struct ks_coll *c)
{
	for (size_t i = 0; i < ks_registry_count(s->reg); i++)
		if (ks_registry_at(s->reg, i)->coll == c)
			return ks_registry_at(s->reg, i);
	return NULL;
}

static void remove_crd_objects(struct ks_server *s, const char *crd_name)
{
	struct ks_coll *c = ks_registry_remove_crd(s->reg, crd_name);
	if (!c)
		return;
	struct ks_ver **vs = NULL;
	size_t n = 0;
	if (ks_coll_snapshot(c, NULL, &vs, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			cJSON *last = cJSON_Duplicate(vs[i]->obj, 1);
			char *ns = strdup(vs[i]->ns), *name = strdup(vs[i]->name);
			if (last && ns && name)
				ks_store_remove_locked(s, c, ns, name, last);
			else
				cJSON_Delete(last);
			free(ns);
			free(name);
		}
	}
	free(vs);
	ks_coll_free(c);
}

void ks_delete_now_locked(struct ks_server *s, struct ks_res *res, cJSON *obj_last)
{
	const char *name = jsonx_str(obj_last, "metadata.name");
	const char *ns = jsonx_str(obj_last, "metadata.namespace");
	char *n = strdup(name ? name : ""), *nsd = strdup(res->namespaced && ns ? ns : "");
	int is_crd = !strcmp(res->group, "apiextensions.k8s.io") && !strcmp(res->resource, "customresourcedefinitions");
	ks_store_remove_locked(s, res->coll, nsd, n, obj_last);
	if (is_crd)
		remove_crd_objects(s, n);
	s->gc_dirty = 1;
	pthread_cond_broadcast(&s->changed);
	free(n);
	free(nsd);
}

static void add_finalizer(cJSON *obj, const char *f)
{
	cJSON *md = jsonx_ensure_obj(obj, "metadata");
	cJSON *fin = cJSON_GetObjectItemCaseSensitive(md, "finalizers");
	if (!cJSON_IsArray(fin)) {
		fin = cJSON_CreateArray();
		jsonx_set(md, "finalizers", fin);
	}
	cJSON *it;
	cJSON_ArrayForEach(it, fin)
		if (cJSON_IsString(it) && !strcmp(it->valuestring, f))
			return;
	cJSON_AddItemToArray(fin, cJSON_CreateString(f));
}

/* Orphan: drops ownerReferences naming uid from every object. */
static void orphan_dependents(struct ks_server *s, const char *uid)
{
	for (size_t i = 0; i < ks_registry_count(s->reg); i++) {
		struct ks_res *res = ks_registry_at(s->reg, i);
		if (ks_res_of_coll(s, res->coll) != res)
			continue; /* one pass per collection */
		struct ks_ver **vs = NULL;
		size_t n = 0;
		if (ks_coll_snapshot(res->coll, NULL, &vs, &n) != 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			const cJSON *refs = jsonx_get(vs[k]->obj, "metadata.ownerReferences");
			int idx = 0, hit = -1;
			const cJSON *ref;
			cJSON_ArrayForEach(ref, refs) {
				const char *u = jsonx_str(ref, "uid");
				if (u && !strcmp(u, uid))
					hit = idx;
				idx++;
			}
			if (hit < 0)
				continue;
			cJSON *copy = cJSON_Duplicate(vs[k]->obj, 1);
			cJSON *md = cJSON_GetObjectItemCaseSensitive(copy, "metadata");
			cJSON_DeleteItemFromArray(cJSON_GetObjectItemCaseSensitive(md, "ownerReferences"), hit);
			if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(md, "ownerReferences")) == 0)
				cJSON_DeleteItemFromObjectCaseSensitive(md, "ownerReferences");
			ks_store_put_locked(s, res, copy, KS_EV_MODIFIED);
		}
		free(vs);
	}
}

cJSON *ks_delete_object_locked(struct ks_server *s, struct ks_res *res, const struct ks_ver *v,
			       const char *policy)
{
	cJSON *obj = cJSON_Duplicate(v->obj, 1);
	if (!obj)
		return NULL;
	if (jsonx_get(obj, "metadata.deletionTimestamp"))
		return obj; /* already on its way */
	char now[32];
	ks_now(now);
	int is_ns = !*res->group && !strcmp(res->resource, "namespaces");
	int foreground = policy && !strcmp(policy, "Foreground");
	int fins = cJSON_GetArraySize(jsonx_get(obj, "metadata.finalizers"));
	if (is_ns || foreground || fins > 0) {
		cJSON *md = jsonx_ensure_obj(obj, "metadata");
		jsonx_set(md, "deletionTimestamp", cJSON_CreateString(now));
		jsonx_set(md, "deletionGracePeriodSeconds", cJSON_CreateNumber(0));
		if (foreground && !is_ns)
			add_finalizer(obj, "foregroundDeletion");
		if (is_ns)
			jsonx_set(jsonx_ensure_obj(obj, "status"), "phase", cJSON_CreateString("Terminating"));
		struct ks_ver *nv = ks_store_put_locked(s, res, obj, KS_EV_MODIFIED);
		if (!nv)
			return NULL;
		s->gc_dirty = 1;
		ks_ctl_schedule_locked(s, res, nv->ns, nv->name, 0);
		return cJSON_Duplicate(nv->obj, 1);
	}
	char *uid = strdup(jsonx_str(obj, "metadata.uid") ? jsonx_str(obj, "metadata.uid") : "");
	cJSON *ret = cJSON_Duplicate(obj, 1);
	ks_delete_now_locked(s, res, obj);
	if (policy && !strcmp(policy, "Orphan") && uid && *uid)
		orphan_dependents(s, uid);
	free(uid);
	return ret;
}
