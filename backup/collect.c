/*
 * collect.c — see collect.h.
 */
#include "collect.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/strmap.h"

#include <stdlib.h>
#include <string.h>

#define NEED_VERBS (KUBE_VERB_LIST | KUBE_VERB_CREATE | KUBE_VERB_GET | KUBE_VERB_DELETE)

/* The same resource served by two groups is taken once (§8): deployments,
 * daemonsets and replicasets from apps rather than extensions, events from
 * the core group rather than events.k8s.io. */
static int duplicate_type(const struct kube_resource *all, size_t n, const struct kube_resource *r)
{
	if (strcmp(r->group, "extensions") == 0) {
		for (size_t i = 0; i < n; i++)
			if (&all[i] != r && strcmp(all[i].resource, r->resource) == 0 &&
			    strcmp(all[i].group, "extensions") != 0)
				return 1;
	}
	if (strcmp(r->group, "events.k8s.io") == 0 && strcmp(r->resource, "events") == 0)
		return 1;
	return 0;
}

static int excluded_object(const cJSON *obj)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(jsonx_get(obj, "metadata.labels"),
							  "velero.io/exclude-from-backup");

	if (jsonx_get(obj, "metadata.deletionTimestamp"))
		return 1;
	return cJSON_IsString(l) && strcmp(l->valuestring, "true") == 0;
}

struct ns_state {
	struct strmap *with_items; /* namespaces holding a backed-up item */
};

static int list_type(struct kube_client *kc, const struct backup_collect_opts *o,
		     const struct kube_resource *r, struct ns_state *ns, backup_item_fn fn, void *ud,
		     struct backup_collect_stats *st, struct kerr *e)
{
	struct kube_list_opts lo = { .label_selector = o->label_selector };
	cJSON *items = NULL, *it;
	int rc;

	if ((rc = kube_list(kc, r, NULL, &lo, &items, NULL, e)))
		return kerr_prefix(e, "listing %s%s%s", r->resource, *r->group ? "." : "", r->group);
	st->types++;
	cJSON_ArrayForEach(it, items) {
		const char *ins = jsonx_str(it, "metadata.namespace");

		if (r->namespaced && (!ins || !backup_filter_namespace(&o->filter, ins)))
			continue;
		if (excluded_object(it)) {
			st->skipped++;
			continue;
		}
		if ((rc = fn(ud, r, it, e)))
			break;
		st->items++;
		if (ins && !strmap_get(ns->with_items, ins) && strmap_put(ns->with_items, ins, (void *)1, NULL)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
	}
	cJSON_Delete(items);
	return rc;
}

/* Namespaces: kept when named by the filter or holding an item (§8). */
static int emit_namespaces(struct kube_client *kc, const struct backup_collect_opts *o,
			   const struct kube_resource *r, struct ns_state *ns, backup_item_fn fn,
			   void *ud, struct backup_collect_stats *st, struct kerr *e)
{
	cJSON *items = NULL, *it;
	int rc, named_all = backup_filter_all_namespaces(&o->filter) && !o->label_selector;

	if ((rc = kube_list(kc, r, NULL, NULL, &items, NULL, e)))
		return kerr_prefix(e, "listing namespaces");
	st->types++;
	cJSON_ArrayForEach(it, items) {
		const char *name = jsonx_str(it, "metadata.name");
		int named = !backup_filter_all_namespaces(&o->filter) && backup_filter_namespace(&o->filter, name);

		if (!name || excluded_object(it))
			continue;
		if (!(named_all || named || strmap_get(ns->with_items, name)))
			continue;
		if ((rc = fn(ud, r, it, e)))
			break;
		st->items++;
	}
	cJSON_Delete(items);
	return rc;
}

int backup_collect(struct kube_client *kc, const struct backup_collect_opts *o, backup_item_fn fn,
		   void *ud, struct backup_collect_stats *st, struct kerr *e)
{
	struct kube_resource *all = NULL;
	const struct kube_resource *namespaces = NULL;
	struct ns_state ns = { .with_items = strmap_new() };
	size_t n = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!ns.with_items)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if ((rc = kube_discover_all(kc, &all, &n, e))) {
		kerr_prefix(e, "discovery");
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const struct kube_resource *r = &all[i];

		if ((r->verbs & NEED_VERBS) != NEED_VERBS || duplicate_type(all, n, r))
			continue;
		if (!*r->group && strcmp(r->resource, "namespaces") == 0) {
			namespaces = r;
			continue;
		}
		if (!backup_filter_resource(&o->filter, r->group, r->resource, r->kind, r->namespaced))
			continue;
		rc = list_type(kc, o, r, &ns, fn, ud, st, e);
	}
	if (!rc && namespaces &&
	    backup_filter_resource(&o->filter, "", "namespaces", "Namespace", 0))
		rc = emit_namespaces(kc, o, namespaces, &ns, fn, ud, st, e);
	log_info("backup: collected %zu items from %zu resource types (%zu skipped)", st->items,
		 st->types, st->skipped);
out:
	free(all);
	strmap_free(ns.with_items);
	return rc;
}
