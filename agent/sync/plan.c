/*
 * plan.c — building a sync plan (see sync.h). Read-only: GETs and LISTs only.
 *
 * Steps: classify inputs (hooks apart), resolve kinds (a kind defined by a
 * CRD in the same commit is "pending" until that CRD exists), default
 * namespaces, reject duplicates and bad annotations — collecting every
 * error before giving up — then read the inventory, LIST live state once per
 * resource type and namespace, diff, pick prune candidates, apply the prune
 * guards and sort into apply order.
 */
#include "sync.h"
#include "sync/guard.h"
#include "util/codec.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/strmap.h"
#include "util/vec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPORTED_ERRORS 50

struct builder {
	struct kube_client *kc;
	const struct sync_opts *o;
	struct sync_plan *p;
	size_t cap;
	struct strmap *by_key;     /* key -> entry index + 1 */
	struct strmap *crd_kinds;  /* "group/Kind" -> "Namespaced"/"Cluster" scope string */
	struct strmap *hpa;        /* keys of workloads an HPA scales */
	struct kbuf errs;
	int nerr;
	int oom;
	int api_failed; /* the API server failed: stop, do not ask again per object */
};

const char *sync_action_name(enum sync_action a)
{
	static const char *const names[] = { "create", "update", "unchanged", "prune", "skip" };

	return a < SYNC_ACTION_COUNT ? names[a] : "?";
}

static void add_error(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(struct builder *b, const char *fmt, ...)
{
	va_list ap;

	if (++b->nerr > MAX_REPORTED_ERRORS)
		return;
	if (b->errs.len)
		kbuf_putc(&b->errs, '\n');
	va_start(ap, fmt);
	if (kbuf_vprintf(&b->errs, fmt, ap))
		b->oom = 1;
	va_end(ap);
}

static void add_warning(struct sync_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_warning(struct sync_plan *p, const char *fmt, ...)
{
	struct kbuf w = { 0 };
	char **grown;
	va_list ap;

	va_start(ap, fmt);
	kbuf_vprintf(&w, fmt, ap);
	va_end(ap);
	grown = realloc(p->warnings, (p->n_warnings + 1) * sizeof(char *));
	if (!grown || !w.data) {
		kbuf_free(&w);
		return;
	}
	p->warnings = grown;
	p->warnings[p->n_warnings++] = kbuf_steal(&w);
}

static char *xstrdup(struct builder *b, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		b->oom = 1;
	return d;
}

static struct sync_entry *new_entry(struct builder *b)
{
	struct sync_plan *p = b->p;

	/* Doubling, not sized to the inputs up front: the largest array comes
	 * late, when most inputs have been consumed and freed, so it does not
	 * add to the peak at the start. */
	if (vec_reserve(p->entries, p->n, b->cap, 64)) {
		b->oom = 1;
		return NULL;
	}
	memset(&p->entries[p->n], 0, sizeof(p->entries[0]));
	return &p->entries[p->n++];
}

static const char *group_of(const char *api_version, char *buf, size_t n)
{
	const char *slash = strchr(api_version, '/');

	if (!slash)
		return "";
	snprintf(buf, n, "%.*s", (int)(slash - api_version), api_version);
	return buf;
}

static char *make_key(const char *group, const char *kind, const char *ns, const char *name)
{
	struct kbuf k = { 0 };

	if (kbuf_printf(&k, "%s/%s/%s/%s", group, kind, ns ? ns : "", name))
		return NULL;
	return kbuf_steal(&k);
}

/* CRDs in the desired set: their kinds may be used before they exist.
 * (Inputs given as text are never CRDs: the loader keeps those as trees.) */
static void collect_crds(struct builder *b, const struct sync_input *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!in[i].obj)
			continue;
		const char *kind = jsonx_str(in[i].obj, "kind"), *api = jsonx_str(in[i].obj, "apiVersion");
		const char *g = jsonx_str(in[i].obj, "spec.group");
		const char *k = jsonx_str(in[i].obj, "spec.names.kind");
		const char *scope = jsonx_str(in[i].obj, "spec.scope");
		char key[512];

		if (!kind || !api || strcmp(kind, "CustomResourceDefinition") != 0 ||
		    strncmp(api, "apiextensions.k8s.io/", 21) != 0 || !g || !k)
			continue;
		snprintf(key, sizeof(key), "%s/%s", g, k);
		if (strmap_put(b->crd_kinds, key, (void *)(scope && strcmp(scope, "Cluster") == 0 ? "Cluster" : "Namespaced"), NULL))
			b->oom = 1;
	}
}

/* Adds a hook (not applied with the rest, not in the inventory). */
static void add_hook(struct builder *b, const struct sync_input *in, const struct hook_spec *spec,
		     const char *origin)
{
	struct sync_plan *p = b->p;
	cJSON *copy = cJSON_Duplicate(in->obj, 1);
	struct hook_item *grown;
	cJSON *meta;

	if (!copy) {
		b->oom = 1;
		return;
	}
	meta = jsonx_get(copy, "metadata");
	if (cJSON_IsObject(meta) && !jsonx_str(copy, "metadata.namespace") && b->o->default_ns)
		jsonx_set(meta, "namespace", cJSON_CreateString(b->o->default_ns));
	cJSON_AddItemToArray(p->hook_objs, copy);
	grown = realloc(p->hooks, (p->n_hooks + 1) * sizeof(*grown));
	if (!grown) {
		b->oom = 1;
		return;
	}
	p->hooks = grown;
	p->hooks[p->n_hooks].obj = copy;
	p->hooks[p->n_hooks].spec = *spec;
	p->hooks[p->n_hooks].origin = xstrdup(b, origin);
	p->n_hooks++;
}

/* Builds the object kairn applies: namespace set, source label added,
 * Secret stringData folded. The input's fields are moved, not copied: after
 * this the input is an empty object (see struct sync_input). */
static cJSON *desired_take(struct builder *b, cJSON *obj, const char *ns)
{
	cJSON *c = cJSON_CreateObject(), *meta, *labels, *f;
	const char *kind, *api;

	if (!c) {
		b->oom = 1;
		return NULL;
	}
	while ((f = obj->child) != NULL) {
		/* an object's members are a list like an array's: appending keeps
		 * f's key and allocates nothing */
		cJSON_DetachItemViaPointer(obj, f);
		cJSON_AddItemToArray(c, f);
	}
	meta = jsonx_get(c, "metadata");
	if (ns) {
		const char *have = jsonx_str(meta, "namespace");

		if ((!have || strcmp(have, ns) != 0) &&
		    jsonx_set(meta, "namespace", cJSON_CreateString(ns)))
			b->oom = 1;
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
	}
	labels = jsonx_ensure_obj(c, "metadata.labels");
	if (!labels || jsonx_set(labels, KAIRN_SOURCE_LABEL, cJSON_CreateString(b->o->source)))
		b->oom = 1;
	kind = jsonx_str(c, "kind");
	api = jsonx_str(c, "apiVersion");
	if (kind && strcmp(kind, "Secret") == 0 && api && strcmp(api, "v1") == 0 &&
	    sync_fold_string_data(c))
		b->oom = 1;
	return c;
}

static void add_desired(struct builder *b, struct sync_input *in)
{
	const char *api = jsonx_str(in->obj, "apiVersion"), *kind = jsonx_str(in->obj, "kind");
	const char *name = jsonx_str(in->obj, "metadata.name");
	const char *ns = jsonx_str(in->obj, "metadata.namespace");
	char origin[1024], gbuf[256];
	const char *group;
	struct hook_spec spec;
	struct kube_resource res;
	struct sync_entry *en;
	struct kerr e;
	int pending = 0, namespaced, wave;
	cJSON *tree;
	char *key;

	snprintf(origin, sizeof(origin), "%s:%d", in->file ? in->file : "?", in->line);
	if (!api || !kind || (!name && !jsonx_str(in->obj, "metadata.generateName"))) {
		add_error(b, "%s: apiVersion, kind and metadata.name are required", origin);
		return;
	}
	if (hook_spec_at(in->obj, in->file, in->line, &spec, &e)) {
		add_error(b, "%s", e.msg);
		return;
	}
	if (spec.phases) {
		if (spec.phases & (HOOK_PHASE_PRE_SYNC | HOOK_PHASE_SYNC | HOOK_PHASE_POST_SYNC |
				   HOOK_PHASE_SYNC_FAIL))
			add_hook(b, in, &spec, origin);
		return; /* Skip and unsupported Helm hooks are never applied */
	}
	if (!name) {
		add_error(b, "%s: %s %s*: metadata.generateName is for hooks only; kairn applies objects by "
			  "name", origin, kind, jsonx_str(in->obj, "metadata.generateName"));
		return;
	}
	group = group_of(api, gbuf, sizeof(gbuf));
	if (kube_resolve(b->kc, api, kind, &res, &e) == 0) {
		namespaced = res.namespaced;
	} else if (e.code == KAIRN_ENOTFOUND) {
		char ck[512];
		const char *scope;

		snprintf(ck, sizeof(ck), "%s/%s", group, kind);
		scope = strmap_get(b->crd_kinds, ck);
		if (!scope) {
			add_error(b, "%s: %s %s: no kind \"%s\" is served in \"%s\" (is its CRD installed?)",
				  origin, kind, name, kind, api);
			return;
		}
		pending = 1;
		namespaced = strcmp(scope, "Namespaced") == 0;
		memset(&res, 0, sizeof(res));
	} else {
		add_error(b, "%s: %s", origin, e.msg);
		b->api_failed = 1;
		return;
	}
	if (namespaced && !ns)
		ns = b->o->default_ns ? b->o->default_ns : "default";
	if (!namespaced && ns) {
		add_warning(b->p, "%s: %s %s is cluster-scoped; metadata.namespace \"%s\" is ignored",
			    origin, kind, name, ns);
		ns = NULL;
	}
	if (sync_wave_of(in->obj, &wave, &e)) {
		add_error(b, "%s: %s", origin, e.msg);
		return;
	}
	key = make_key(group, kind, ns, name);
	if (!key) {
		b->oom = 1;
		return;
	}
	if (strmap_get(b->by_key, key)) {
		struct sync_entry *first = &b->p->entries[(size_t)strmap_get(b->by_key, key) - 1];

		add_error(b, "%s: %s %s%s%s is defined twice (first at %s)", origin, kind, ns ? ns : "",
			  ns ? "/" : "", name, first->origin);
		free(key);
		return;
	}
	en = new_entry(b);
	if (!en) {
		free(key);
		return;
	}
	en->key = key;
	en->api_version = xstrdup(b, api);
	en->kind = xstrdup(b, kind);
	en->ns = xstrdup(b, ns);
	en->name = xstrdup(b, name);
	en->origin = xstrdup(b, origin);
	en->res = res;
	en->res_pending = pending;
	en->order.rank = pending ? SYNC_RANK_OTHER : sync_kind_rank(group, kind);
	en->order.foundation = sync_rank_is_foundation(en->order.rank) ? 0 : 1;
	en->order.wave = wave;
	if (strmap_put(b->by_key, key, (void *)(b->p->n), NULL))
		b->oom = 1;
	/* Last: api, kind, name and ns point into the input it consumes. Kept
	 * as text from here on: the tree is freed at once, so the desired set
	 * never exists twice, and what is applied is what is hashed. */
	tree = desired_take(b, in->obj, en->ns);
	if (tree && !(en->desired = cJSON_PrintUnformatted(tree)))
		b->oom = 1;
	cJSON_Delete(tree);
}

/* Workloads targeted by an HPA: their spec.replicas belongs to the HPA. */
static int hpa_targets(struct builder *b, struct strmap *targets)
{
	for (size_t i = 0; i < b->p->n; i++) {
		struct sync_entry *en = &b->p->entries[i];
		const char *api, *kind, *name;
		char gbuf[256], *key;
		cJSON *hpa;

		if (strcmp(en->kind, "HorizontalPodAutoscaler") != 0 || !en->desired)
			continue;
		if (!(hpa = cJSON_Parse(en->desired)))
			return KAIRN_ENOMEM; /* cJSON printed it: only memory can fail */
		api = jsonx_str(hpa, "spec.scaleTargetRef.apiVersion");
		kind = jsonx_str(hpa, "spec.scaleTargetRef.kind");
		name = jsonx_str(hpa, "spec.scaleTargetRef.name");
		key = kind && name ? make_key(api ? group_of(api, gbuf, sizeof(gbuf)) : "apps", kind,
					      en->ns, name) : NULL;
		if (kind && name && (!key || strmap_put(targets, key, en, NULL))) {
			free(key);
			cJSON_Delete(hpa);
			return KAIRN_ENOMEM;
		}
		free(key);
		cJSON_Delete(hpa);
	}
	return 0;
}

/* Removes ignored paths from want (what is applied) and keeps them for
 * the diff. Returns how many, or KAIRN_ENOMEM. */
static int ignore_paths_for(cJSON *want, int hpa_owned, char ***paths)
{
	int count = sync_ignore_paths_of(want, paths);
	char **grown;

	if (count < 0)
		return count;
	if (hpa_owned) {
		grown = realloc(*paths, (size_t)(count + 2) * sizeof(char *));
		if (!grown)
			return KAIRN_ENOMEM;
		*paths = grown;
		(*paths)[count] = strdup("/spec/replicas");
		if (!(*paths)[count])
			return KAIRN_ENOMEM;
		(*paths)[++count] = NULL;
	}
	for (int i = 0; i < count; i++)
		jsonx_pointer_remove(want, (*paths)[i]);
	return count;
}

static void free_paths(char **paths)
{
	for (size_t i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

static int read_inventory(struct builder *b, struct kerr *e)
{
	struct kube_resource cm;
	char name[300];
	cJSON *obj = NULL;
	int rc;

	if ((rc = inventory_name(b->o->source, name, sizeof(name), e)))
		return rc;
	if ((rc = kube_resolve(b->kc, "v1", "ConfigMap", &cm, e)))
		return rc;
	rc = kube_get(b->kc, &cm, b->o->inventory_ns ? b->o->inventory_ns : "kairn-system", name, &obj, e);
	if (rc == KAIRN_ENOTFOUND) {
		kerr_clear(e);
		return 0;
	}
	if (rc)
		return kerr_prefix(e, "reading inventory %s", name);
	rc = inventory_from_configmap(obj, &b->p->prev, e);
	cJSON_Delete(obj);
	if (rc)
		return kerr_prefix(e, "inventory ConfigMap %s is unreadable, refusing to sync (nothing "
				      "will be pruned on doubt; delete it to start over)", name);
	b->p->have_prev = 1;
	return 0;
}

/* Inventory keys Git no longer has become prune candidates. */
/* Keys of the hooks: an object the inventory lists that is a hook now is
 * forgotten, never pruned (the hook run may just have created it). */
static struct strmap *hook_keys(struct builder *b)
{
	struct strmap *m = strmap_new();

	for (size_t i = 0; m && i < b->p->n_hooks; i++) {
		const cJSON *o = b->p->hooks[i].obj;
		const char *api = jsonx_str(o, "apiVersion"), *name = jsonx_str(o, "metadata.name");
		char gbuf[256], *key;

		if (!name)
			continue; /* generateName: never the same object */
		key = make_key(group_of(api, gbuf, sizeof(gbuf)), jsonx_str(o, "kind"),
			       jsonx_str(o, "metadata.namespace"), name);
		if (!key || strmap_put(m, key, (void *)1, NULL)) {
			free(key);
			strmap_free(m);
			return NULL;
		}
		free(key);
	}
	return m;
}

static int add_prune_candidates(struct builder *b, struct kerr *e)
{
	struct kube_resource *all = NULL;
	struct strmap *hooks = hook_keys(b);
	size_t nall = 0;
	int rc = 0;

	if (!hooks)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < b->p->prev.n; i++) {
		const char *key = b->p->prev.keys[i];
		char *parts[4] = { 0 }, *dup;
		const struct kube_resource *res = NULL;
		struct sync_entry *en;
		int k = 0;

		if (strmap_get(b->by_key, key) || strmap_get(hooks, key))
			continue;
		if (!all && (rc = kube_discover_all(b->kc, &all, &nall, e))) {
			strmap_free(hooks);
			return kerr_prefix(e, "discovery for prune");
		}
		dup = strdup(key);
		if (!dup) {
			strmap_free(hooks);
			free(all);
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
		/* group/kind/ns/name: group and ns may be empty, so split by hand */
		parts[0] = dup;
		for (char *p = dup; *p && k < 3; p++)
			if (*p == '/') {
				*p = '\0';
				parts[++k] = p + 1;
			}
		if (k != 3 || !*parts[1] || !*parts[3]) {
			free(dup);
			free(all);
			strmap_free(hooks);
			return kerr_set(e, KAIRN_EPARSE, "inventory: bad key \"%s\"", key);
		}
		for (size_t j = 0; j < nall; j++)
			if (strcmp(all[j].group, parts[0]) == 0 && strcmp(all[j].kind, parts[1]) == 0)
				res = &all[j];
		if (!res) {
			/* The type is gone (its CRD was deleted): so is the object. */
			free(dup);
			continue;
		}
		en = new_entry(b);
		if (!en) {
			free(dup);
			break;
		}
		en->key = xstrdup(b, key);
		en->api_version = res->group[0] ? NULL : xstrdup(b, res->version);
		if (res->group[0]) {
			struct kbuf av = { 0 };

			kbuf_printf(&av, "%s/%s", res->group, res->version);
			en->api_version = kbuf_steal(&av);
		}
		en->kind = xstrdup(b, parts[1]);
		en->ns = *parts[2] ? xstrdup(b, parts[2]) : NULL;
		en->name = xstrdup(b, parts[3]);
		en->origin = xstrdup(b, "inventory");
		en->res = *res;
		en->action = SYNC_PRUNE;
		en->order.rank = sync_kind_rank(parts[0], parts[1]);
		en->order.foundation = sync_rank_is_foundation(en->order.rank) ? 0 : 1;
		free(dup);
		if (strmap_put(b->by_key, en->key, (void *)(b->p->n), NULL))
			b->oom = 1;
	}
	free(all);
	strmap_free(hooks);
	return b->oom ? kerr_set(e, KAIRN_ENOMEM, "out of memory") : 0;
}

static int classify_desired(struct builder *b, struct sync_entry *en, int hpa_owned, struct kerr *e);

/* Number of LISTs run at once. Each holds one page (LIST_PAGE objects) at
 * a time, so this and the page size bound the memory live state takes. */
#define LIST_BATCH 4
#define LIST_PAGE 500

/* One page of live objects: each goes to its entry, which is classified at
 * once; what an unchanged entry listed is dropped with the page, so live
 * state is never all in memory at once. */
static int live_page(void *ud, struct kube_op *op, cJSON *items, struct kerr *e)
{
	struct builder *b = ud;
	cJSON *item, *next;

	(void)op;
	for (item = items->child; item; item = next) {
		const char *api = jsonx_str(item, "apiVersion"), *kind = jsonx_str(item, "kind");
		const char *ns = jsonx_str(item, "metadata.namespace");
		const char *name = jsonx_str(item, "metadata.name");
		struct sync_entry *en;
		char gbuf[256], *key;
		size_t idx;
		int rc;

		next = item->next;
		if (!api || !kind || !name)
			continue;
		key = make_key(group_of(api, gbuf, sizeof(gbuf)), kind, ns, name);
		if (!key)
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		idx = (size_t)strmap_get(b->by_key, key);
		free(key);
		if (!idx)
			continue;
		en = &b->p->entries[idx - 1];
		if (en->live || en->classified)
			continue; /* seen already (a list restarted after 410) */
		en->live = cJSON_DetachItemViaPointer(items, item);
		if (en->action == SYNC_PRUNE)
			continue;
		if ((rc = classify_desired(b, en, strmap_get(b->hpa, en->key) != NULL, e)))
			return rc;
		en->classified = 1;
		if (en->action == SYNC_UNCHANGED) {
			cJSON_Delete(en->live);
			en->live = NULL;
		}
	}
	return 0;
}

/* One LIST per (resource type, namespace); live objects go to their entries. */
static int read_live(struct builder *b, struct kerr *e)
{
	struct strmap *seen = strmap_new();
	struct kube_op *ops = NULL;
	size_t nslots = 0, cap = 0;
	int rc = 0;

	if (!seen)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < b->p->n; i++) {
		struct sync_entry *en = &b->p->entries[i];
		char k[768];

		if (en->res_pending)
			continue;
		snprintf(k, sizeof(k), "%s/%s/%s/%s", en->res.group, en->res.version, en->res.resource,
			 en->ns ? en->ns : "");
		if (strmap_get(seen, k))
			continue;
		/* a kube_op is large (its error buffer): few types, few ops */
		if (vec_reserve(ops, nslots, cap, 16)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		if (strmap_put(seen, k, en, NULL)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		memset(&ops[nslots], 0, sizeof(ops[nslots]));
		ops[nslots].kind = KUBE_OP_LIST;
		ops[nslots].res = &en->res;
		ops[nslots].namespace = en->ns;
		ops[nslots].limit = LIST_PAGE;
		ops[nslots].on_page = live_page;
		ops[nslots].on_page_ud = b;
		nslots++;
	}
	for (size_t s0 = 0; s0 < nslots; s0 += LIST_BATCH) {
		size_t m = nslots - s0 < LIST_BATCH ? nslots - s0 : LIST_BATCH;

		rc = kube_run(b->kc, ops + s0, m, e);
		kube_ops_clear(ops + s0, m);
		if (rc) {
			kerr_prefix(e, "reading live state");
			goto out;
		}
	}
out:
	free(ops);
	strmap_free(seen);
	return rc;
}

/* create, update or unchanged. Ignored paths (kairn.dev/ignore-paths, and
 * spec.replicas of an HPA's target) are neither diffed nor applied, on
 * create too: the HPA, not Git, sizes the workload. */
static int classify_desired(struct builder *b, struct sync_entry *en, int hpa_owned, struct kerr *e)
{
	const cJSON *owner = cJSON_GetObjectItemCaseSensitive(jsonx_get(en->live, "metadata.labels"),
							       KAIRN_SOURCE_LABEL);
	struct sync_diff_opts dopts = { .manager = KAIRN_FIELD_MANAGER };
	cJSON *want = en->desired ? cJSON_Parse(en->desired) : NULL;
	char **paths = NULL;
	int npaths, d = 0, rc = 0;

	if (!want) /* cJSON printed it: only memory can fail */
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	npaths = ignore_paths_for(want, hpa_owned, &paths);
	if (npaths < 0)
		goto oom;
	if (npaths > 0) {
		char *text = cJSON_PrintUnformatted(want);

		if (!text)
			goto oom;
		free(en->desired);
		en->desired = text;
	}
	if (!en->live) {
		en->action = SYNC_CREATE;
		goto out;
	}
	if (cJSON_IsString(owner) && strcmp(owner->valuestring, b->o->source) != 0) {
		add_error(b, "%s: %s %s%s%s belongs to source \"%s\" (label %s); two sources cannot own "
			     "one object",
			  en->origin, en->kind, en->ns ? en->ns : "", en->ns ? "/" : "", en->name,
			  owner->valuestring, KAIRN_SOURCE_LABEL);
		goto out;
	}
	dopts.ignore_paths = (const char *const *)paths;
	dopts.n_ignore_paths = (size_t)npaths;
	d = sync_diff(want, en->live, &dopts, &en->diff);
	if (d < 0)
		goto oom;
	en->action = d ? SYNC_UPDATE : SYNC_UNCHANGED;
	if (!cJSON_IsString(owner) && d)
		en->reason = xstrdup(b, "adopting an object kairn did not create");
	goto out;
oom:
	rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	free_paths(paths);
	cJSON_Delete(want);
	return rc;
}

static int classify(struct builder *b, struct kerr *e)
{
	struct strmap *targets = b->hpa;
	size_t n_desired = 0, n_prune = 0;
	int rc = 0;

	for (size_t i = 0; i < b->p->n; i++) {
		struct sync_entry *en = &b->p->entries[i];

		if (en->action == SYNC_PRUNE) {
			enum prune_verdict v;

			if (!en->live) {
				en->action = SYNC_UNCHANGED; /* already gone: just forget it */
				en->reason = xstrdup(b, "already deleted");
				continue;
			}
			v = prune_guard_object(en->live, b->o->source);
			if (v != PRUNE_OK) {
				en->action = SYNC_SKIP;
				en->reason = xstrdup(b, prune_verdict_text(v));
			} else if (!b->o->prune) {
				en->action = SYNC_SKIP;
				en->inventory_keep = 1;
				en->reason = xstrdup(b, "removed from Git; pruning is off (--prune=false)");
			} else {
				n_prune++;
			}
			continue;
		}
		n_desired++;
		if (en->classified)
			continue;
		rc = classify_desired(b, en, strmap_get(targets, en->key) != NULL, e);
		if (rc)
			break;
	}
	if (rc)
		return rc;
	if (n_prune && prune_guard_set(n_desired, b->p->prev.n, n_prune, &b->o->prune_limits, e)) {
		b->p->prune_refused = 1;
		snprintf(b->p->prune_refusal, sizeof(b->p->prune_refusal), "%.500s", e->msg);
		kerr_clear(e);
		for (size_t i = 0; i < b->p->n; i++) {
			struct sync_entry *en = &b->p->entries[i];

			if (en->action == SYNC_PRUNE) {
				en->action = SYNC_SKIP;
				en->inventory_keep = 1;
				en->reason = xstrdup(b, "prune refused by guard");
			}
		}
	}
	return 0;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct sync_entry *a = pa, *b = pb;
	int c;

	c = sync_order_cmp(&a->order, &b->order);
	return c ? c : strcmp(a->key, b->key);
}

/* Sorts into apply order and hashes the desired set (key and object, one
 * after the other, piece by piece: the set is never printed whole). */
static void finish(struct builder *b)
{
	struct sync_plan *p = b->p;
	struct sha256_stream *h = sha256_stream_new();

	for (size_t i = 0; i < p->n; i++) {
		p->entries[i].order.ns = p->entries[i].ns;
		p->entries[i].order.name = p->entries[i].name;
	}
	qsort(p->entries, p->n, sizeof(p->entries[0]), entry_cmp);
	if (!h)
		b->oom = 1;
	for (size_t i = 0; i < p->n; i++) {
		struct sync_entry *en = &p->entries[i];

		p->counts[en->action]++;
		if (en->desired && h &&
		    (sha256_stream_update(h, en->key, strlen(en->key)) ||
		     sha256_stream_update(h, "\n", 1) ||
		     sha256_stream_update(h, en->desired, strlen(en->desired)) ||
		     sha256_stream_update(h, "\n", 1)))
			b->oom = 1;
	}
	if (h && sha256_stream_final_hex(h, p->desired_hash))
		b->oom = 1;
	sha256_stream_free(h);
}

int sync_plan_build(struct kube_client *kc, struct sync_input *in, size_t n,
		    const struct sync_opts *o, struct sync_plan **out, struct kerr *e)
{
	struct builder b = { .kc = kc, .o = o };
	int rc = 0;

	*out = NULL;
	b.p = calloc(1, sizeof(*b.p));
	b.by_key = strmap_new();
	b.crd_kinds = strmap_new();
	if (!b.p || !b.by_key || !b.crd_kinds || !(b.p->hook_objs = cJSON_CreateArray())) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (!o->source || inventory_name(o->source, (char[300]){ 0 }, 300, e)) {
		rc = e->code ? e->code : kerr_set(e, KAIRN_EINVAL, "a source name is required");
		goto out;
	}
	collect_crds(&b, in, n);
	for (size_t i = 0; i < n && !b.oom && !b.api_failed; i++) {
		cJSON *parsed = NULL;

		if (!in[i].obj && in[i].json) {
			parsed = cJSON_Parse(in[i].json); /* kobj_compact's output */
			free(in[i].json);
			in[i].json = NULL;
			if (!parsed) {
				b.oom = 1;
				break;
			}
			in[i].obj = parsed;
		}
		add_desired(&b, &in[i]);
		if (parsed) {
			cJSON_Delete(parsed);
			in[i].obj = NULL;
		}
	}
	if (!b.nerr && !b.oom && (rc = read_inventory(&b, e)))
		goto out;
	if (!b.nerr && !b.oom && (rc = add_prune_candidates(&b, e)))
		goto out;
	if (!b.nerr && !b.oom && (!(b.hpa = strmap_new()) || hpa_targets(&b, b.hpa))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (!b.nerr && !b.oom && (rc = read_live(&b, e)))
		goto out;
	if (!b.nerr && !b.oom && (rc = classify(&b, e)))
		goto out;
	if (b.oom) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (b.nerr) {
		rc = kerr_set(e, KAIRN_EINVAL, "%d problem%s in the desired objects; nothing was "
					       "applied:\n%s%s",
			      b.nerr, b.nerr == 1 ? "" : "s", b.errs.data,
			      b.nerr > MAX_REPORTED_ERRORS ? "\n..." : "");
		goto out;
	}
	finish(&b);
	if (b.oom) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	*out = b.p;
	b.p = NULL;
out:
	sync_plan_free(b.p);
	strmap_free(b.by_key);
	strmap_free(b.crd_kinds);
	strmap_free(b.hpa);
	kbuf_free(&b.errs);
	return rc;
}

int sync_plan_has_changes(const struct sync_plan *p)
{
	return p->counts[SYNC_CREATE] || p->counts[SYNC_UPDATE] || p->counts[SYNC_PRUNE];
}

void sync_plan_free(struct sync_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct sync_entry *en = &p->entries[i];

		free(en->key);
		free(en->api_version);
		free(en->kind);
		free(en->ns);
		free(en->name);
		free(en->origin);
		free(en->reason);
		free(en->error);
		free(en->desired);
		cJSON_Delete(en->live);
		sync_diff_result_free(&en->diff);
	}
	free(p->entries);
	for (size_t i = 0; i < p->n_hooks; i++)
		free((char *)p->hooks[i].origin);
	free(p->hooks);
	cJSON_Delete(p->hook_objs);
	inventory_free(&p->prev);
	for (size_t i = 0; i < p->n_warnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	free(p);
}
