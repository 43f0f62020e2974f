/*
 * discovery.c — what clients learn before they touch objects: /version,
 * legacy discovery (/api, /apis, /api/v1, /apis/G[/V]), aggregated discovery
 * (apidiscovery.k8s.io v2 and v2beta1, chosen from Accept) and OpenAPI
 * (v2: an empty protobuf document; v3: per group-version documents whose
 * patch operations advertise fieldValidation, see the contract §4).
 * Built from the registry on every request, so CRDs show up at once.
 */
#include <stdlib.h>
#include <string.h>
#include "api.h"

static const char *const ALL_VERBS[] = { "create", "delete", "deletecollection", "get", "list", "patch",
					 "update", "watch", NULL };
static const char *const CREATE_ONLY[] = { "create", NULL };
static const char *const SUB_VERBS[] = { "get", "patch", "update", NULL };

static cJSON *verbs_array(const char *const *v)
{
	cJSON *a = cJSON_CreateArray();
	for (; *v; v++)
		cJSON_AddItemToArray(a, cJSON_CreateString(*v));
	return a;
}

static const char *const *res_verbs(const struct ks_res *res)
{
	return res->creatable ? ALL_VERBS : CREATE_ONLY;
}

static void add_version(cJSON *o)
{
	cJSON_AddStringToObject(o, "major", "1");
	cJSON_AddStringToObject(o, "minor", "30");
	cJSON_AddStringToObject(o, "gitVersion", "v1.30.0-kubesim");
	cJSON_AddStringToObject(o, "gitCommit", "0000000000000000000000000000000000000000");
	cJSON_AddStringToObject(o, "gitTreeState", "clean");
	cJSON_AddStringToObject(o, "buildDate", "2026-01-01T00:00:00Z");
	cJSON_AddStringToObject(o, "goVersion", "go1.22.0");
	cJSON_AddStringToObject(o, "compiler", "gc");
	cJSON_AddStringToObject(o, "platform", "linux/amd64");
}

/* Which aggregated discovery version the Accept header asks for first:
 * "v2", "v2beta1" or NULL (legacy). */
static const char *aggregated_asked(const struct ks_req *r)
{
	const char *acc = ks_hdr(r, "Accept");
	if (!acc)
		return NULL;
	char *dup = strdup(acc), *save = NULL;
	const char *ans = NULL;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strstr(t, "as=APIGroupDiscoveryList") && strstr(t, "g=apidiscovery.k8s.io")) {
			if (strstr(t, "v=v2beta1")) {
				ans = "v2beta1";
				break;
			}
			char *v = strstr(t, "v=v2");
			if (v && (v[4] == 0 || v[4] == ';' || v[4] == ' ')) {
				ans = "v2";
				break;
			}
		} else if (strstr(t, "application/json") || strstr(t, "*/*")) {
			break;
		}
	}
	free(dup);
	return ans;
}

static cJSON *response_kind(const char *g, const char *v, const char *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "group", g);
	cJSON_AddStringToObject(o, "version", v);
	cJSON_AddStringToObject(o, "kind", k);
	return o;
}

static cJSON *aggregated_resource(const struct ks_res *res)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "resource", res->resource);
	cJSON_AddItemToObject(o, "responseKind", response_kind(res->group, res->version, res->kind));
	cJSON_AddStringToObject(o, "scope", res->namespaced ? "Namespaced" : "Cluster");
	cJSON_AddStringToObject(o, "singularResource", res->singular);
	cJSON_AddItemToObject(o, "verbs", verbs_array(res_verbs(res)));
	if (res->short_names)
		cJSON_AddItemToObject(o, "shortNames", cJSON_Duplicate(res->short_names, 1));
	if (res->categories)
		cJSON_AddItemToObject(o, "categories", cJSON_Duplicate(res->categories, 1));
	if (res->has_status || res->has_scale) {
		cJSON *subs = cJSON_AddArrayToObject(o, "subresources");
		if (res->has_status) {
			cJSON *st = cJSON_CreateObject();
			cJSON_AddStringToObject(st, "subresource", "status");
			cJSON_AddItemToObject(st, "responseKind", response_kind(res->group, res->version, res->kind));
			cJSON_AddItemToObject(st, "verbs", verbs_array(SUB_VERBS));
			cJSON_AddItemToArray(subs, st);
		}
		if (res->has_scale) {
			cJSON *sc = cJSON_CreateObject();
			cJSON_AddStringToObject(sc, "subresource", "scale");
			cJSON_AddItemToObject(sc, "responseKind", response_kind("autoscaling", "v1", "Scale"));
			cJSON_AddItemToObject(sc, "verbs", verbs_array(SUB_VERBS));
			cJSON_AddItemToArray(subs, sc);
		}
	}
	return o;
}

static cJSON *find_named(cJSON *arr, const char *path_key, const char *key, const char *val)
{
	cJSON *it;
	cJSON_ArrayForEach(it, arr) {
		cJSON *holder = path_key ? cJSON_GetObjectItemCaseSensitive(it, path_key) : it;
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(holder, key));
		if (v && !strcmp(v, val))
			return it;
	}
	return NULL;
}

/* core: 1 for /api (only the core group), 0 for /apis (every named group). */
static cJSON *aggregated_list(struct ks_registry *reg, int core, const char *ver)
{
	cJSON *list = cJSON_CreateObject();
	char av[64];
	snprintf(av, sizeof(av), "apidiscovery.k8s.io/%s", ver);
	cJSON_AddStringToObject(list, "kind", "APIGroupDiscoveryList");
	cJSON_AddStringToObject(list, "apiVersion", av);
	cJSON_AddObjectToObject(list, "metadata");
	cJSON *items = cJSON_AddArrayToObject(list, "items");
	for (size_t i = 0; i < ks_registry_count(reg); i++) {
		struct ks_res *res = ks_registry_at(reg, i);
		if ((*res->group == 0) != core)
			continue;
		cJSON *g = find_named(items, "metadata", "name", res->group);
		if (!g) {
			g = cJSON_CreateObject();
			cJSON_AddStringToObject(cJSON_AddObjectToObject(g, "metadata"), "name", res->group);
			cJSON_AddArrayToObject(g, "versions");
			cJSON_AddItemToArray(items, g);
		}
		cJSON *vers = cJSON_GetObjectItemCaseSensitive(g, "versions");
		cJSON *v = find_named(vers, NULL, "version", res->version);
		if (!v) {
			v = cJSON_CreateObject();
			cJSON_AddStringToObject(v, "version", res->version);
			cJSON_AddArrayToObject(v, "resources");
			cJSON_AddStringToObject(v, "freshness", "Current");
			cJSON_AddItemToArray(vers, v);
		}
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(v, "resources"), aggregated_resource(res));
	}
	return list;
}

static cJSON *group_entry(struct ks_registry *reg, const char *group)
{
	cJSON *g = cJSON_CreateObject();
	cJSON_AddStringToObject(g, "name", group);
	cJSON *vers = cJSON_AddArrayToObject(g, "versions");
	for (size_t i = 0; i < ks_registry_count(reg); i++) {
		struct ks_res *res = ks_registry_at(reg, i);
		if (strcmp(res->group, group) || find_named(vers, NULL, "version", res->version))
			continue;
		char gv[512];
		snprintf(gv, sizeof(gv), "%s/%s", group, res->version);
		cJSON *v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "groupVersion", gv);
		cJSON_AddStringToObject(v, "version", res->version);
		cJSON_AddItemToArray(vers, v);
	}
	cJSON *first = cJSON_GetArrayItem(vers, 0);
	if (first)
		cJSON_AddItemToObject(g, "preferredVersion", cJSON_Duplicate(first, 1));
	return g;
}

static cJSON *group_list(struct ks_registry *reg)
{
	cJSON *list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "kind", "APIGroupList");
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON *groups = cJSON_AddArrayToObject(list, "groups");
	for (size_t i = 0; i < ks_registry_count(reg); i++) {
		struct ks_res *res = ks_registry_at(reg, i);
		if (*res->group && !find_named(groups, NULL, "name", res->group))
			cJSON_AddItemToArray(groups, group_entry(reg, res->group));
	}
	return list;
}

static cJSON *legacy_resource(const struct ks_res *res, const char *sub)
{
	cJSON *o = cJSON_CreateObject();
	char name[300];
	snprintf(name, sizeof(name), "%s%s%s", res->resource, sub ? "/" : "", sub ? sub : "");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "singularName", sub ? "" : res->singular);
	cJSON_AddBoolToObject(o, "namespaced", res->namespaced);
	if (sub && !strcmp(sub, "scale")) {
		cJSON_AddStringToObject(o, "group", "autoscaling");
		cJSON_AddStringToObject(o, "version", "v1");
		cJSON_AddStringToObject(o, "kind", "Scale");
	} else {
		cJSON_AddStringToObject(o, "kind", res->kind);
	}
	cJSON_AddItemToObject(o, "verbs", verbs_array(sub ? SUB_VERBS : res_verbs(res)));
	if (!sub && res->short_names)
		cJSON_AddItemToObject(o, "shortNames", cJSON_Duplicate(res->short_names, 1));
	if (!sub && res->categories)
		cJSON_AddItemToObject(o, "categories", cJSON_Duplicate(res->categories, 1));
	return o;
}

/* APIResourceList for group/version, or NULL when nothing is served there. */
static cJSON *resource_list(struct ks_registry *reg, const char *group, const char *version)
{
	cJSON *list = cJSON_CreateObject();
	char gv[512];
	snprintf(gv, sizeof(gv), "%s%s%s", group, *group ? "/" : "", version);
	cJSON_AddStringToObject(list, "kind", "APIResourceList");
	cJSON_AddStringToObject(list, "apiVersion", "v1");
	cJSON_AddStringToObject(list, "groupVersion", gv);
	cJSON *arr = cJSON_AddArrayToObject(list, "resources");
	for (size_t i = 0; i < ks_registry_count(reg); i++) {
		struct ks_res *res = ks_registry_at(reg, i);
		if (strcmp(res->group, group) || strcmp(res->version, version))
			continue;
		cJSON_AddItemToArray(arr, legacy_resource(res, NULL));
		if (res->has_status)
			cJSON_AddItemToArray(arr, legacy_resource(res, "status"));
		if (res->has_scale)
			cJSON_AddItemToArray(arr, legacy_resource(res, "scale"));
	}
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(list);
		return NULL;
	}
	return list;
}

static unsigned long long gv_hash(struct ks_registry *reg, const char *gv)
{
	unsigned long long h = 1469598103934665603ull ^ ks_registry_generation(reg);
	for (const char *p = gv; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return h;
}

static cJSON *openapi_root(struct ks_registry *reg)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *paths = cJSON_AddObjectToObject(root, "paths");
	for (size_t i = 0; i < ks_registry_count(reg); i++) {
		struct ks_res *res = ks_registry_at(reg, i);
		char key[512], url[600];
		if (*res->group)
			snprintf(key, sizeof(key), "apis/%s/%s", res->group, res->version);
		else
			snprintf(key, sizeof(key), "api/%s", res->version);
		if (cJSON_GetObjectItemCaseSensitive(paths, key))
			continue;
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%016llX", key, gv_hash(reg, key));
		cJSON_AddStringToObject(cJSON_AddObjectToObject(paths, key), "serverRelativeURL", url);
	}
	return root;
}

static cJSON *openapi_gv(struct ks_registry *reg, const char *group, const char *version)
{
	cJSON *doc = cJSON_CreateObject();
	int any = 0;
	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	cJSON *info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.30.0");
	cJSON *paths = cJSON_AddObjectToObject(doc, "paths");
	for (size_t i = 0; i < ks_registry_count(reg); i++) {
		struct ks_res *res = ks_registry_at(reg, i);
		if (strcmp(res->group, group) || strcmp(res->version, version) || !res->creatable)
			continue;
		char p[700], prefix[400];
		if (*group)
			snprintf(prefix, sizeof(prefix), "/apis/%s/%s", group, version);
		else
			snprintf(prefix, sizeof(prefix), "/api/%s", version);
		snprintf(p, sizeof(p), "%s/%s%s/{name}", prefix, res->namespaced ? "namespaces/{namespace}/" : "",
			 res->resource);
		cJSON *patch = cJSON_AddObjectToObject(cJSON_AddObjectToObject(paths, p), "patch");
		cJSON_AddItemToObject(patch, "x-kubernetes-group-version-kind",
				      response_kind(res->group, res->version, res->kind));
		cJSON_AddStringToObject(patch, "x-kubernetes-action", "patch");
		cJSON *params = cJSON_AddArrayToObject(patch, "parameters");
		static const char *const qs[] = { "dryRun", "fieldManager", "fieldValidation", "force" };
		for (size_t k = 0; k < 4; k++) {
			cJSON *prm = cJSON_CreateObject();
			cJSON_AddStringToObject(prm, "name", qs[k]);
			cJSON_AddStringToObject(prm, "in", "query");
			cJSON_AddStringToObject(cJSON_AddObjectToObject(prm, "schema"), "type", k == 3 ? "boolean" : "string");
			cJSON_AddItemToArray(params, prm);
		}
		any = 1;
	}
	cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "components"), "schemas");
	if (!any) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* Splits "/apis/G/V" style paths: returns segment count, fills seg[]. */
static int split_path(const char *url, char *buf, size_t bufn, char **seg, int max)
{
	snprintf(buf, bufn, "%s", url);
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
		seg[n++] = t;
	return n;
}

static cJSON *discovery_doc(struct ks_req *r, const char **ctype, int *handled)
{
	struct ks_registry *reg = r->s->reg;
	char buf[1024];
	char *seg[8];
	int n = split_path(r->url, buf, sizeof(buf), seg, 8);
	*handled = 1;
	*ctype = "application/json";
	if (n == 1 && !strcmp(seg[0], "version")) {
		cJSON *o = cJSON_CreateObject();
		add_version(o);
		return o;
	}
	if (n >= 1 && (!strcmp(seg[0], "api") || !strcmp(seg[0], "apis")) && n <= (seg[0][3] ? 3 : 2)) {
		int core = !strcmp(seg[0], "api");
		if (n == 1) {
			const char *agg = aggregated_asked(r);
			if (agg) {
				*ctype = !strcmp(agg, "v2")
						 ? "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
						 : "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
				return aggregated_list(reg, core, agg);
			}
			if (!core)
				return group_list(reg);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "kind", "APIVersions");
			cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "versions"), cJSON_CreateString("v1"));
			cJSON *cidr = cJSON_CreateObject();
			char addr[64];
			snprintf(addr, sizeof(addr), "127.0.0.1:%d", r->s->port);
			cJSON_AddStringToObject(cidr, "clientCIDR", "0.0.0.0/0");
			cJSON_AddStringToObject(cidr, "serverAddress", addr);
			cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "serverAddressByClientCIDRs"), cidr);
			return o;
		}
		if (core && n == 2)
			return resource_list(reg, "", seg[1]);
		if (!core && n == 2) {
			cJSON *g = group_entry(reg, seg[1]);
			if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "versions")) == 0) {
				cJSON_Delete(g);
				return NULL;
			}
			cJSON_AddStringToObject(g, "kind", "APIGroup");
			cJSON_AddStringToObject(g, "apiVersion", "v1");
			return g;
		}
		if (!core && n == 3)
			return resource_list(reg, seg[1], seg[2]);
	}
	if (n >= 2 && !strcmp(seg[0], "openapi") && !strcmp(seg[1], "v3")) {
		if (n == 2)
			return openapi_root(reg);
		if (n == 4 && !strcmp(seg[2], "api"))
			return openapi_gv(reg, "", seg[3]);
		if (n == 5 && !strcmp(seg[2], "apis"))
			return openapi_gv(reg, seg[3], seg[4]);
		return NULL;
	}
	*handled = 0;
	return NULL;
}

int ks_handle_discovery(struct ks_req *r, struct ks_resp *o)
{
	if (!strcmp(r->url, "/openapi/v2")) {
		ks_resp_json(o, 200, strdup(""));
		o->ctype = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
		return 1;
	}
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return 0;
	const char *ctype;
	int handled;
	pthread_mutex_lock(&r->s->mu);
	cJSON *doc = discovery_doc(r, &ctype, &handled);
	pthread_mutex_unlock(&r->s->mu);
	if (!handled)
		return 0;
	if (!doc) {
		ks_resp_status(o, 404, "NotFound", NULL, NULL, "the server could not find the requested resource");
		return 1;
	}
	ks_resp_obj(o, 200, doc);
	o->ctype = ctype;
	cJSON_Delete(doc);
	return 1;
}
