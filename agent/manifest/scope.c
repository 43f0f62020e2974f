/*
 * scope.c — which kinds are namespaced, offline: a table of the built-in
 * cluster-scoped kinds plus the CustomResourceDefinitions being loaded.
 * Used to default metadata.namespace the way kubectl does with the
 * context's namespace. Never guesses: a kind of unknown scope is left alone.
 */
#include "manifest.h"
#include "diag.h"

#include <string.h>

static const char *const cluster_kinds[] = {
	"/Namespace", "/Node", "/PersistentVolume", "/ComponentStatus",
	"rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
	"apiextensions.k8s.io/CustomResourceDefinition", "storage.k8s.io/StorageClass",
	"storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode", "storage.k8s.io/VolumeAttachment",
	"scheduling.k8s.io/PriorityClass", "networking.k8s.io/IngressClass",
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration",
	"admissionregistration.k8s.io/MutatingWebhookConfiguration",
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy",
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
	"apiregistration.k8s.io/APIService", "node.k8s.io/RuntimeClass",
	"certificates.k8s.io/CertificateSigningRequest", "flowcontrol.apiserver.k8s.io/FlowSchema",
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration", NULL,
};

static const char *const builtin_groups[] = {
	"", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "storage.k8s.io",
	"rbac.authorization.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
	"coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "admissionregistration.k8s.io",
	"apiregistration.k8s.io", "certificates.k8s.io", "events.k8s.io",
	"flowcontrol.apiserver.k8s.io", NULL,
};

enum scope { SCOPE_UNKNOWN, SCOPE_NAMESPACED, SCOPE_CLUSTER };

static int group_kind_is(const char *entry, const char *group, const char *kind)
{
	size_t g = strlen(group);

	return strncmp(entry, group, g) == 0 && entry[g] == '/' && strcmp(entry + g + 1, kind) == 0;
}

static enum scope crd_scope(const struct kobj_set *set, const char *group, const char *kind)
{
	for (size_t i = 0; i < kobj_set_count(set); i++) {
		const struct kobj *k = kobj_set_at(set, i);
		const cJSON *spec = k->obj ? cJSON_GetObjectItemCaseSensitive(k->obj, "spec") : NULL; /* CRDs are never compacted */
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(spec, "group");
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(spec, "names");
		const cJSON *nk = cJSON_GetObjectItemCaseSensitive(names, "kind");
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(spec, "scope");

		if (strcmp(k->kind, "CustomResourceDefinition") != 0 || !cJSON_IsString(g) ||
		    !cJSON_IsString(nk) || strcmp(g->valuestring, group) != 0 ||
		    strcmp(nk->valuestring, kind) != 0 || !cJSON_IsString(sc))
			continue;
		return strcmp(sc->valuestring, "Cluster") == 0 ? SCOPE_CLUSTER : SCOPE_NAMESPACED;
	}
	return SCOPE_UNKNOWN;
}

static enum scope kind_scope(const struct kobj_set *set, const char *group, const char *kind)
{
	for (const char *const *c = cluster_kinds; *c; c++)
		if (group_kind_is(*c, group, kind))
			return SCOPE_CLUSTER;
	for (const char *const *g = builtin_groups; *g; g++)
		if (strcmp(*g, group) == 0)
			return SCOPE_NAMESPACED;
	return crd_scope(set, group, kind);
}

static int reindex(struct kobj_set *set, struct kerr *e)
{
	const struct kobj *a = NULL, *b = NULL;
	int rc = kobj_set_reindex(set, &a, &b);

	if (rc == KAIRN_ECONFLICT)
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: duplicate object %s %s/%s once the default "
				"namespace is set: also defined at %s:%d", b->file, b->line, b->kind,
				b->namespace, b->name, a->file, a->line);
	return rc ? kerr_set(e, rc, "out of memory") : 0;
}

int manifest_default_namespace(struct kobj_set *set, const char *ns, struct manifest_diag *diag,
			       struct kerr *e)
{
	for (size_t i = 0; i < kobj_set_count(set); i++) {
		struct kobj *k = kobj_set_at(set, i);
		enum scope sc;
		int rc;

		if (*k->namespace)
			continue;
		sc = kind_scope(set, k->group, k->kind);
		if (sc == SCOPE_UNKNOWN && diag)
			diag_warning(diag, "%s:%d: %s %s: scope of kind %s unknown offline (no CRD in the "
					   "set); namespace not defaulted", k->file, k->line, k->kind,
				     k->name, k->kind);
		if (sc != SCOPE_NAMESPACED)
			continue;
		if ((rc = kobj_set_namespace(k, ns, e)))
			return rc;
	}
	return reindex(set, e);
}
