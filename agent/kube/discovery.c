/*
 * discovery.c — REST mapping: apiVersion + kind → resource, from the server's
 * APIResourceList documents (legacy discovery: /api/v1, /apis/G/V), which
 * every API server serves. Only the group-version asked for is fetched, and
 * fetched again when a kind is missing from it (a CRD applied a moment ago).
 * Cache entries are never changed or freed before the client is: a newer
 * fetch is pushed in front, so the strings handed out stay valid. The cache
 * holds a few dozen group-versions of a few dozen kinds, so lookups scan.
 */
#include "kube/internal.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gv_entry {
	struct gv_entry *next;
	char *gv;
	struct kube_resource *res;
	size_t n;
	char **strs; /* every string the entry owns */
	size_t nstrs;
};

struct kube_gv_cache {
	struct gv_entry *head; /* newest first */
};

static void entry_free(struct gv_entry *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nstrs; i++)
		free(g->strs[i]);
	free(g->strs);
	free(g->res);
	free(g->gv);
	free(g);
}

void kube_gv_cache_free(struct kube_gv_cache *c)
{
	if (!c)
		return;
	while (c->head) {
		struct gv_entry *n = c->head->next;

		entry_free(c->head);
		c->head = n;
	}
	free(c);
}

static const char *own(struct gv_entry *g, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		return NULL;
	g->strs[g->nstrs++] = d;
	return d;
}

static unsigned parse_verbs(const cJSON *verbs)
{
	static const struct { const char *name; unsigned bit; } tab[] = {
		{ "get", KUBE_VERB_GET }, { "list", KUBE_VERB_LIST }, { "watch", KUBE_VERB_WATCH },
		{ "create", KUBE_VERB_CREATE }, { "update", KUBE_VERB_UPDATE },
		{ "patch", KUBE_VERB_PATCH }, { "delete", KUBE_VERB_DELETE },
		{ "deletecollection", KUBE_VERB_DELETECOLLECTION },
	};
	const cJSON *v;
	unsigned bits = 0;

	cJSON_ArrayForEach(v, verbs) {
		for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (cJSON_IsString(v) && strcmp(v->valuestring, tab[i].name) == 0)
				bits |= tab[i].bit;
	}
	return bits;
}

/* Splits "apps/v1" into group and version; "v1" is the core group. */
static void split_gv(const char *gv, char *group, size_t glen, const char **version)
{
	const char *slash = strchr(gv, '/');

	if (!slash) {
		group[0] = '\0';
		*version = gv;
		return;
	}
	snprintf(group, glen, "%.*s", (int)(slash - gv), gv);
	*version = slash + 1;
}

/* Builds a cache entry from an APIResourceList. */
static int entry_parse(const char *gv, const cJSON *list, struct gv_entry **out, struct kerr *e)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "resources"), *r;
	struct gv_entry *g = calloc(1, sizeof(*g));
	size_t cap = (size_t)cJSON_GetArraySize(items);
	char group[256];
	const char *version, *grp, *ver;

	*out = NULL;
	split_gv(gv, group, sizeof(group), &version);
	if (!g)
		goto nomem;
	g->gv = strdup(gv);
	g->res = calloc(cap ? cap : 1, sizeof(*g->res));
	g->strs = calloc(cap * 3 + 2, sizeof(char *));
	if (!g->gv || !g->res || !g->strs)
		goto nomem;
	grp = own(g, group);
	ver = own(g, version);
	if (!grp || !ver)
		goto nomem;
	cJSON_ArrayForEach(r, items) {
		const char *name = jsonx_str(r, "name"), *kind = jsonx_str(r, "kind");
		struct kube_resource *kr;

		if (!name || !kind || strchr(name, '/') || g->n >= cap)
			continue; /* subresources are reached through their parent */
		kr = &g->res[g->n];
		kr->group = grp;
		kr->version = ver;
		kr->resource = own(g, name);
		kr->kind = own(g, kind);
		if (!kr->resource || !kr->kind)
			goto nomem;
		kr->namespaced = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "namespaced"));
		kr->verbs = parse_verbs(cJSON_GetObjectItemCaseSensitive(r, "verbs"));
		g->n++;
	}
	*out = g;
	return 0;
nomem:
	entry_free(g);
	return kerr_set(e, KAIRN_ENOMEM, "out of memory");
}

static const struct gv_entry *newest(const struct kube_gv_cache *c, const char *gv)
{
	for (const struct gv_entry *g = c ? c->head : NULL; g; g = g->next)
		if (strcmp(g->gv, gv) == 0)
			return g;
	return NULL;
}

static int find_kind(const struct gv_entry *g, const char *kind, struct kube_resource *out)
{
	for (size_t i = 0; g && i < g->n; i++)
		if (strcmp(g->res[i].kind, kind) == 0) {
			*out = g->res[i];
			return 1;
		}
	return 0;
}

static int same_entry(const struct gv_entry *a, const struct gv_entry *b)
{
	if (!a || !b || a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->res[i].kind, b->res[i].kind) || strcmp(a->res[i].resource, b->res[i].resource) ||
		    a->res[i].namespaced != b->res[i].namespaced || a->res[i].verbs != b->res[i].verbs)
			return 0;
	return 1;
}

/* Adds g to the cache unless an identical newest entry is there. Takes g. */
static void cache_add(struct kube_client *c, struct gv_entry *g)
{
	pthread_mutex_lock(&c->mu);
	if (!c->gv)
		c->gv = calloc(1, sizeof(*c->gv));
	if (!c->gv || same_entry(newest(c->gv, g->gv), g)) {
		entry_free(g);
	} else {
		g->next = c->gv->head;
		c->gv->head = g;
	}
	pthread_mutex_unlock(&c->mu);
}

static int gv_path(const char *gv, char *out, size_t len)
{
	int n = snprintf(out, len, strchr(gv, '/') ? "/apis/%s" : "/api/%s", gv);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int fetch_gv(struct kube_client *c, const char *gv, struct kerr *e)
{
	char path[600];
	struct kube_op op = { .kind = KUBE_OP_RAW, .raw_method = "GET", .raw_path = path,
			      .raw_idempotent = 1 };
	struct gv_entry *g = NULL;
	int rc;

	if (gv_path(gv, path, sizeof(path)))
		return kerr_set(e, KAIRN_EINVAL, "apiVersion \"%.64s…\" is too long", gv);
	rc = kube_run(c, &op, 1, e);
	if (rc == KAIRN_ENOTFOUND)
		return kerr_set(e, KAIRN_ENOTFOUND, "the server does not serve %s", gv);
	if (!rc)
		rc = entry_parse(gv, op.result, &g, e);
	kube_ops_clear(&op, 1);
	if (!rc)
		cache_add(c, g);
	return rc;
}

static int lookup(struct kube_client *c, const char *gv, const char *kind, struct kube_resource *out)
{
	int found;

	pthread_mutex_lock(&c->mu);
	found = find_kind(newest(c->gv, gv), kind, out);
	pthread_mutex_unlock(&c->mu);
	return found;
}

int kube_resolve(struct kube_client *c, const char *api_version, const char *kind,
		 struct kube_resource *out, struct kerr *e)
{
	int rc;

	if (!api_version || !api_version[0] || !kind || !kind[0])
		return kerr_set(e, KAIRN_EINVAL, "object without apiVersion or kind");
	if (lookup(c, api_version, kind, out))
		return 0;
	rc = fetch_gv(c, api_version, e);
	if (rc)
		return kerr_prefix(e, "resolving %s %s", api_version, kind);
	if (lookup(c, api_version, kind, out))
		return 0;
	return kerr_set(e, KAIRN_ENOTFOUND, "no kind %s in %s", kind, api_version);
}

/* The preferred group-versions: "v1" for /api and each group's preferred. */
static int list_gvs(struct kube_client *c, char ***out, size_t *n, struct kerr *e)
{
	struct kube_op ops[2] = {
		{ .kind = KUBE_OP_RAW, .raw_method = "GET", .raw_path = "/api", .raw_idempotent = 1 },
		{ .kind = KUBE_OP_RAW, .raw_method = "GET", .raw_path = "/apis", .raw_idempotent = 1 },
	};
	const cJSON *groups, *g, *v;
	char **gvs = NULL;
	size_t cap, k = 0;
	int rc = kube_run(c, ops, 2, e);

	*out = NULL;
	*n = 0;
	if (rc)
		goto out;
	groups = cJSON_GetObjectItemCaseSensitive(ops[1].result, "groups");
	cap = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ops[0].result, "versions")) +
	      (size_t)cJSON_GetArraySize(groups) + 1;
	gvs = calloc(cap, sizeof(char *));
	if (!gvs)
		goto nomem;
	/* the core group: its first (preferred) version */
	v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ops[0].result, "versions"), 0);
	if (cJSON_IsString(v) && !(gvs[k++] = strdup(v->valuestring)))
		goto nomem;
	cJSON_ArrayForEach(g, groups) {
		const char *pv = jsonx_str(g, "preferredVersion.groupVersion");

		if (!pv)
			pv = jsonx_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g, "versions"), 0),
				       "groupVersion");
		if (pv && k < cap && !(gvs[k++] = strdup(pv)))
			goto nomem;
	}
	*out = gvs;
	*n = k;
	gvs = NULL;
	goto out;
nomem:
	rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	for (size_t i = 0; gvs && i < k; i++)
		free(gvs[i]);
	free(gvs);
	kube_ops_clear(ops, 2);
	return rc;
}

int kube_discover_all(struct kube_client *c, struct kube_resource **out, size_t *n,
		      struct kerr *e)
{
	char **gvs = NULL, (*paths)[600] = NULL;
	struct kube_op *ops = NULL;
	struct kube_resource *all = NULL;
	size_t ngv = 0, total = 0, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = list_gvs(c, &gvs, &ngv, e);
	if (rc)
		return kerr_prefix(e, "discovery");
	ops = calloc(ngv ? ngv : 1, sizeof(*ops));
	paths = calloc(ngv ? ngv : 1, sizeof(*paths));
	if (!ops || !paths) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ngv; i++) {
		gv_path(gvs[i], paths[i], sizeof(paths[i]));
		ops[i] = (struct kube_op){ .kind = KUBE_OP_RAW, .raw_method = "GET",
					   .raw_path = paths[i], .raw_idempotent = 1 };
	}
	/* A group-version that fails (an aggregated API that is down) is
	 * skipped with a warning, as kubectl does; discovery goes on. */
	(void)kube_run(c, ops, ngv, e);
	kerr_clear(e);
	for (size_t i = 0; i < ngv; i++) {
		struct gv_entry *g = NULL;

		if (ops[i].rc) {
			if (ops[i].rc == KAIRN_EAUTH || ops[i].rc == KAIRN_ETLS) {
				rc = kerr_set(e, ops[i].rc, "discovery: %s", ops[i].err.msg);
				goto out;
			}
			log_warn("discovery: skipping %s: %s", gvs[i], ops[i].err.msg);
			continue;
		}
		rc = entry_parse(gvs[i], ops[i].result, &g, e);
		if (rc)
			goto out;
		total += g->n;
		cache_add(c, g);
	}
	all = calloc(total ? total : 1, sizeof(*all));
	if (!all) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < ngv; i++) {
		const struct gv_entry *g = ops[i].rc ? NULL : newest(c->gv, gvs[i]);

		for (size_t j = 0; g && j < g->n && k < total; j++)
			all[k++] = g->res[j];
	}
	pthread_mutex_unlock(&c->mu);
	*out = all;
	*n = k;
	all = NULL;
out:
	free(all);
	if (ops)
		kube_ops_clear(ops, ngv);
	free(ops);
	free(paths);
	for (size_t i = 0; i < ngv; i++)
		free(gvs[i]);
	free(gvs);
	return rc;
}
