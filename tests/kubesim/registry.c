/*
 * registry.c — the resource types kubesim serves: a fixed table of built-in
 * kinds (with the fields strict validation knows) plus the versions that
 * applied CRDs register. Each group/resource has one collection shared by
 * its versions. Owns no objects' semantics; lookups run under srv->mu.
 */
#include <stdlib.h>
#include <string.h>
#include "ks.h"
#include "util/jsonx.h"

struct ks_registry {
	struct ks_res **v;
	size_t n, cap;
	struct ks_coll **colls;
	size_t ncolls;
	uint64_t generation;
};

#define F(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const char *const WORKLOAD[] = { "spec", "status", NULL };

struct builtin {
	const char *group, *version, *resource, *kind, *shorts, *cats;
	int namespaced, status, scale;
	const char *const *fields, *const *spec;
};

static const struct builtin BUILTINS[] = {
	{ "", "v1", "namespaces", "Namespace", "ns", NULL, 0, 1, 0, WORKLOAD, F("finalizers") },
	{ "", "v1", "configmaps", "ConfigMap", "cm", NULL, 1, 0, 0, F("data", "binaryData", "immutable"), NULL },
	{ "", "v1", "secrets", "Secret", NULL, NULL, 1, 0, 0, F("data", "stringData", "type", "immutable"), NULL },
	{ "", "v1", "services", "Service", "svc", "all", 1, 1, 0, WORKLOAD,
	  F("ports", "selector", "clusterIP", "clusterIPs", "type", "externalIPs", "sessionAffinity",
	    "loadBalancerIP", "loadBalancerSourceRanges", "externalName", "externalTrafficPolicy",
	    "healthCheckNodePort", "publishNotReadyAddresses", "sessionAffinityConfig", "ipFamilies",
	    "ipFamilyPolicy", "allocateLoadBalancerNodePorts", "loadBalancerClass",
	    "internalTrafficPolicy", "trafficDistribution") },
	{ "", "v1", "serviceaccounts", "ServiceAccount", "sa", NULL, 1, 0, 0,
	  F("secrets", "imagePullSecrets", "automountServiceAccountToken"), NULL },
	{ "", "v1", "pods", "Pod", "po", "all", 1, 1, 0, WORKLOAD, NULL },
	{ "", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", "pvc", NULL, 1, 1, 0, WORKLOAD, NULL },
	{ "", "v1", "persistentvolumes", "PersistentVolume", "pv", NULL, 0, 1, 0, WORKLOAD, NULL },
	{ "", "v1", "endpoints", "Endpoints", "ep", NULL, 1, 0, 0, F("subsets"), NULL },
	{ "", "v1", "events", "Event", "ev", NULL, 1, 0, 0, NULL, NULL },
	{ "", "v1", "limitranges", "LimitRange", "limits", NULL, 1, 0, 0, F("spec"), NULL },
	{ "", "v1", "resourcequotas", "ResourceQuota", "quota", NULL, 1, 1, 0, WORKLOAD, NULL },
	{ "apps", "v1", "deployments", "Deployment", "deploy", "all", 1, 1, 1, WORKLOAD,
	  F("replicas", "selector", "template", "strategy", "minReadySeconds", "revisionHistoryLimit",
	    "paused", "progressDeadlineSeconds") },
	{ "apps", "v1", "statefulsets", "StatefulSet", "sts", "all", 1, 1, 1, WORKLOAD,
	  F("replicas", "selector", "template", "volumeClaimTemplates", "serviceName",
	    "podManagementPolicy", "updateStrategy", "revisionHistoryLimit", "minReadySeconds",
	    "persistentVolumeClaimRetentionPolicy", "ordinals") },
	{ "apps", "v1", "daemonsets", "DaemonSet", "ds", "all", 1, 1, 0, WORKLOAD, NULL },
	{ "apps", "v1", "replicasets", "ReplicaSet", "rs", "all", 1, 1, 1, WORKLOAD, NULL },
	{ "apps", "v1", "controllerrevisions", "ControllerRevision", NULL, NULL, 1, 0, 0,
	  F("data", "revision"), NULL },
	{ "batch", "v1", "jobs", "Job", NULL, "all", 1, 1, 0, WORKLOAD,
	  F("parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy", "successPolicy",
	    "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "selector", "manualSelector",
	    "template", "ttlSecondsAfterFinished", "completionMode", "suspend", "podReplacementPolicy",
	    "managedBy") },
	{ "batch", "v1", "cronjobs", "CronJob", "cj", "all", 1, 1, 0, WORKLOAD, NULL },
	{ "autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "hpa", "all", 1, 1, 0,
	  WORKLOAD, F("scaleTargetRef", "minReplicas", "maxReplicas", "metrics", "behavior") },
	{ "autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "hpa", "all", 1, 1, 0,
	  WORKLOAD, NULL },
	{ "policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", "pdb", NULL, 1, 1, 0, WORKLOAD,
	  F("minAvailable", "maxUnavailable", "selector", "unhealthyPodEvictionPolicy") },
	{ "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", "netpol", NULL, 1, 0, 0, WORKLOAD,
	  F("podSelector", "ingress", "egress", "policyTypes") },
	{ "networking.k8s.io", "v1", "ingresses", "Ingress", "ing", NULL, 1, 1, 0, WORKLOAD,
	  F("ingressClassName", "defaultBackend", "tls", "rules") },
	{ "networking.k8s.io", "v1", "ingressclasses", "IngressClass", NULL, NULL, 0, 0, 0, WORKLOAD, NULL },
	{ "rbac.authorization.k8s.io", "v1", "roles", "Role", NULL, NULL, 1, 0, 0, F("rules"), NULL },
	{ "rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", NULL, NULL, 1, 0, 0,
	  F("subjects", "roleRef"), NULL },
	{ "rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", NULL, NULL, 0, 0, 0,
	  F("rules", "aggregationRule"), NULL },
	{ "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", NULL, NULL, 0, 0, 0,
	  F("subjects", "roleRef"), NULL },
	{ "coordination.k8s.io", "v1", "leases", "Lease", NULL, NULL, 1, 0, 0, F("spec"), NULL },
	{ "storage.k8s.io", "v1", "storageclasses", "StorageClass", "sc", NULL, 0, 0, 0,
	  F("provisioner", "parameters", "reclaimPolicy", "mountOptions", "allowVolumeExpansion",
	    "volumeBindingMode", "allowedTopologies"), NULL },
	{ "scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", "pc", NULL, 0, 0, 0,
	  F("value", "globalDefault", "description", "preemptionPolicy"), NULL },
	{ "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", "crd,crds",
	  "api-extensions", 0, 1, 0, WORKLOAD,
	  F("group", "names", "scope", "versions", "conversion", "preserveUnknownFields") },
	{ "authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", NULL, NULL, 0, 0, 0,
	  NULL, NULL },
};

static void res_free(struct ks_res *r)
{
	if (!r)
		return;
	free(r->group);
	free(r->version);
	free(r->resource);
	free(r->kind);
	free(r->singular);
	free(r->list_kind);
	free(r->crd_name);
	cJSON_Delete(r->short_names);
	cJSON_Delete(r->categories);
	free(r);
}

static cJSON *csv_array(const char *csv)
{
	if (!csv)
		return NULL;
	cJSON *a = cJSON_CreateArray();
	char *dup = strdup(csv), *save = NULL;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(t));
	free(dup);
	return a;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return d;
}

static struct ks_coll *coll_for(struct ks_registry *r, const char *group, const char *resource)
{
	for (size_t i = 0; i < r->ncolls; i++)
		if (!strcmp(ks_coll_group(r->colls[i]), group) && !strcmp(ks_coll_resource(r->colls[i]), resource))
			return r->colls[i];
	struct ks_coll **nc = realloc(r->colls, (r->ncolls + 1) * sizeof(*nc));
	if (!nc)
		return NULL;
	r->colls = nc;
	struct ks_coll *c = ks_coll_new(group, resource);
	if (!c)
		return NULL;
	r->colls[r->ncolls++] = c;
	return c;
}

static int reg_add(struct ks_registry *r, struct ks_res *res)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		struct ks_res **nv = realloc(r->v, ncap * sizeof(*nv));
		if (!nv)
			return KAIRN_ENOMEM;
		r->v = nv;
		r->cap = ncap;
	}
	res->coll = coll_for(r, res->group, res->resource);
	if (!res->coll)
		return KAIRN_ENOMEM;
	r->v[r->n++] = res;
	r->generation++;
	return 0;
}

static struct ks_res *res_make(const char *group, const char *version, const char *resource,
			       const char *kind, const char *singular, const char *list_kind)
{
	struct ks_res *res = calloc(1, sizeof(*res));
	if (!res)
		return NULL;
	res->group = strdup(group);
	res->version = strdup(version);
	res->resource = strdup(resource);
	res->kind = strdup(kind);
	res->singular = singular ? strdup(singular) : lower_dup(kind);
	if (list_kind)
		res->list_kind = strdup(list_kind);
	else if (res->kind && (res->list_kind = malloc(strlen(kind) + 5)))
		sprintf(res->list_kind, "%sList", kind);
	if (!res->group || !res->version || !res->resource || !res->kind || !res->singular || !res->list_kind) {
		res_free(res);
		return NULL;
	}
	res->creatable = 1;
	return res;
}

int ks_registry_new(struct ks_registry **out)
{
	struct ks_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return KAIRN_ENOMEM;
	for (size_t i = 0; i < sizeof(BUILTINS) / sizeof(BUILTINS[0]); i++) {
		const struct builtin *b = &BUILTINS[i];
		struct ks_res *res = res_make(b->group, b->version, b->resource, b->kind, NULL, NULL);
		if (!res || reg_add(r, res) != 0) {
			res_free(res);
			ks_registry_free(r);
			return KAIRN_ENOMEM;
		}
		res->namespaced = b->namespaced;
		res->has_status = b->status;
		res->has_scale = b->scale;
		res->builtin = 1;
		res->fields = b->fields;
		res->spec_fields = b->spec;
		res->short_names = csv_array(b->shorts);
		res->categories = csv_array(b->cats);
		if (!strcmp(b->resource, "selfsubjectaccessreviews"))
			res->creatable = 0;
	}
	*out = r;
	return 0;
}

void ks_registry_free(struct ks_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		res_free(r->v[i]);
	for (size_t i = 0; i < r->ncolls; i++)
		ks_coll_free(r->colls[i]);
	free(r->colls);
	free(r->v);
	free(r);
}

struct ks_res *ks_registry_find(struct ks_registry *r, const char *group, const char *version,
				const char *resource)
{
	for (size_t i = 0; i < r->n; i++) {
		struct ks_res *x = r->v[i];
		if (!strcmp(x->resource, resource) && !strcmp(x->group, group) && !strcmp(x->version, version))
			return x;
	}
	return NULL;
}

struct ks_res *ks_registry_find_kind(struct ks_registry *r, const char *group, const char *kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i]->kind, kind) && !strcmp(r->v[i]->group, group))
			return r->v[i];
	return NULL;
}

size_t ks_registry_count(struct ks_registry *r)
{
	return r->n;
}

struct ks_res *ks_registry_at(struct ks_registry *r, size_t i)
{
	return i < r->n ? r->v[i] : NULL;
}

uint64_t ks_registry_generation(struct ks_registry *r)
{
	return r->generation;
}

/* Drops the CRD's resource entries (not the collection). */
static void drop_crd_entries(struct ks_registry *r, const char *crd_name)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i]->crd_name && !strcmp(r->v[i]->crd_name, crd_name)) {
			res_free(r->v[i]);
			r->generation++;
		} else {
			r->v[k++] = r->v[i];
		}
	}
	r->n = k;
}

int ks_registry_add_crd(struct ks_registry *r, const cJSON *crd, struct kerr *e)
{
	const char *name = jsonx_str(crd, "metadata.name");
	const char *group = jsonx_str(crd, "spec.group");
	const char *plural = jsonx_str(crd, "spec.names.plural");
	const char *kind = jsonx_str(crd, "spec.names.kind");
	const char *scope = jsonx_str(crd, "spec.scope");
	const cJSON *versions = jsonx_get(crd, "spec.versions");
	if (!name || !group || !plural || !kind || !cJSON_IsArray(versions))
		return kerr_set(e, KAIRN_EINVAL, "incomplete CustomResourceDefinition");
	drop_crd_entries(r, name);
	const cJSON *ver;
	cJSON_ArrayForEach(ver, versions) {
		const char *vname = jsonx_str(ver, "name");
		if (!vname || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ver, "served")))
			continue;
		struct ks_res *res = res_make(group, vname, plural, kind, jsonx_str(crd, "spec.names.singular"),
					      jsonx_str(crd, "spec.names.listKind"));
		if (!res)
			return kerr_set(e, KAIRN_ENOMEM, "registering CRD");
		res->crd_name = strdup(name);
		res->namespaced = !scope || strcmp(scope, "Cluster") != 0;
		res->has_status = jsonx_get(ver, "subresources.status") != NULL;
		res->has_scale = jsonx_get(ver, "subresources.scale") != NULL;
		const cJSON *sn = jsonx_get(crd, "spec.names.shortNames");
		const cJSON *cat = jsonx_get(crd, "spec.names.categories");
		res->short_names = cJSON_IsArray(sn) ? cJSON_Duplicate(sn, 1) : NULL;
		res->categories = cJSON_IsArray(cat) ? cJSON_Duplicate(cat, 1) : NULL;
		if (!res->crd_name || reg_add(r, res) != 0) {
			res_free(res);
			return kerr_set(e, KAIRN_ENOMEM, "registering CRD");
		}
	}
	return 0;
}

struct ks_coll *ks_registry_remove_crd(struct ks_registry *r, const char *crd_name)
{
	struct ks_coll *c = NULL;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i]->crd_name && !strcmp(r->v[i]->crd_name, crd_name))
			c = r->v[i]->coll;
	drop_crd_entries(r, crd_name);
	if (!c)
		return NULL;
	for (size_t i = 0; i < r->ncolls; i++) {
		if (r->colls[i] == c) {
			r->colls[i] = r->colls[--r->ncolls];
			break;
		}
	}
	return c;
}
