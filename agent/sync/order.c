/*
 * order.c — kind ranks and sync waves. See order.h for the rules.
 */
#include "order.h"
#include "util/jsonx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct kind_rank {
	const char *group;
	const char *kind;
	enum sync_rank rank;
};

/* Kinds not listed: cluster-scoped or namespaced custom and other resources
 * rank SYNC_RANK_OTHER. */
static const struct kind_rank kind_ranks[] = {
	{ "apiextensions.k8s.io", "CustomResourceDefinition", SYNC_RANK_CRD },
	{ "", "Namespace", SYNC_RANK_NAMESPACE },
	{ "rbac.authorization.k8s.io", "ClusterRole", SYNC_RANK_CLUSTER_CONFIG },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding", SYNC_RANK_CLUSTER_CONFIG },
	{ "storage.k8s.io", "StorageClass", SYNC_RANK_CLUSTER_CONFIG },
	{ "storage.k8s.io", "CSIDriver", SYNC_RANK_CLUSTER_CONFIG },
	{ "scheduling.k8s.io", "PriorityClass", SYNC_RANK_CLUSTER_CONFIG },
	{ "", "PersistentVolume", SYNC_RANK_CLUSTER_CONFIG },
	{ "admissionregistration.k8s.io", "ValidatingWebhookConfiguration", SYNC_RANK_CLUSTER_CONFIG },
	{ "admissionregistration.k8s.io", "MutatingWebhookConfiguration", SYNC_RANK_CLUSTER_CONFIG },
	{ "networking.k8s.io", "IngressClass", SYNC_RANK_CLUSTER_CONFIG },
	{ "", "ServiceAccount", SYNC_RANK_NAMESPACED_CONFIG },
	{ "", "Secret", SYNC_RANK_NAMESPACED_CONFIG },
	{ "", "ConfigMap", SYNC_RANK_NAMESPACED_CONFIG },
	{ "", "LimitRange", SYNC_RANK_NAMESPACED_CONFIG },
	{ "", "ResourceQuota", SYNC_RANK_NAMESPACED_CONFIG },
	{ "", "PersistentVolumeClaim", SYNC_RANK_NAMESPACED_CONFIG },
	{ "rbac.authorization.k8s.io", "Role", SYNC_RANK_NAMESPACED_CONFIG },
	{ "rbac.authorization.k8s.io", "RoleBinding", SYNC_RANK_NAMESPACED_CONFIG },
	{ "", "Service", SYNC_RANK_SERVICE },
	{ "", "Endpoints", SYNC_RANK_SERVICE },
	{ "apps", "Deployment", SYNC_RANK_WORKLOAD },
	{ "apps", "StatefulSet", SYNC_RANK_WORKLOAD },
	{ "apps", "DaemonSet", SYNC_RANK_WORKLOAD },
	{ "apps", "ReplicaSet", SYNC_RANK_WORKLOAD },
	{ "batch", "Job", SYNC_RANK_WORKLOAD },
	{ "batch", "CronJob", SYNC_RANK_WORKLOAD },
	{ "", "Pod", SYNC_RANK_WORKLOAD },
	{ "", "ReplicationController", SYNC_RANK_WORKLOAD },
};

enum sync_rank sync_kind_rank(const char *group, const char *kind)
{
	for (size_t i = 0; i < sizeof(kind_ranks) / sizeof(kind_ranks[0]); i++) {
		if (strcmp(kind_ranks[i].kind, kind) == 0 && strcmp(kind_ranks[i].group, group) == 0)
			return kind_ranks[i].rank;
	}
	return SYNC_RANK_OTHER;
}

int sync_rank_is_foundation(enum sync_rank r)
{
	return r == SYNC_RANK_CRD || r == SYNC_RANK_NAMESPACE;
}

static int parse_wave(const char *annotation, const char *v, int *out, struct kerr *e)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	while (*end == ' ')
		end++;
	if (*v == '\0' || *end != '\0' || errno == ERANGE || n < INT_MIN || n > INT_MAX)
		return kerr_set(e, KAIRN_EINVAL,
				"metadata.annotations[\"%s\"]: \"%s\" is not an integer", annotation, v);
	*out = (int)n;
	return 0;
}

int sync_wave_of(const cJSON *obj, int *wave, struct kerr *e)
{
	static const char *const names[] = { "kairn.dev/sync-wave", "argocd.argoproj.io/sync-wave" };
	const cJSON *ann = jsonx_get(obj, "metadata.annotations");
	int found = 0, value = 0;

	*wave = 0;
	for (size_t i = 0; i < 2; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(ann, names[i]);
		int w = 0;

		if (!a)
			continue;
		if (!cJSON_IsString(a))
			return kerr_set(e, KAIRN_EINVAL, "metadata.annotations[\"%s\"]: must be a string",
					names[i]);
		if (parse_wave(names[i], a->valuestring, &w, e))
			return e ? e->code : KAIRN_EINVAL;
		if (found && w != value)
			return kerr_set(e, KAIRN_EINVAL,
					"conflicting sync waves: %s=%d but %s=%d", names[0], value,
					names[1], w);
		found = 1;
		value = w;
	}
	*wave = value;
	return 0;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

int sync_order_cmp(const struct sync_order_key *a, const struct sync_order_key *b)
{
	if (a->foundation != b->foundation)
		return a->foundation - b->foundation;
	if (a->foundation == 0 && a->rank != b->rank)
		return (int)a->rank - (int)b->rank;
	if (a->wave != b->wave)
		return a->wave < b->wave ? -1 : 1;
	if (a->rank != b->rank)
		return (int)a->rank - (int)b->rank;
	if (cmp_str(a->ns, b->ns))
		return cmp_str(a->ns, b->ns);
	return cmp_str(a->name, b->name);
}
