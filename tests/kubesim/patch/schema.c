/*
 * schema.c — the merge-key table (see schema.h). Facts come from the
 * patchMergeKey/patchStrategy and listType/listMapKey markers of k8s.io/api;
 * add a row here, never a special case in the merge code.
 */
#include "schema.h"

#include <stddef.h>
#include <string.h>

/* Built-in kinds per group (the kinds that accept strategic merge patch). */
struct kind_row {
	const char *group;
	const char *kind;
	const char *type;
};

static const struct kind_row kinds[] = {
	{ "", "Pod", "Pod" },
	{ "", "PodTemplate", "PodTemplate" },
	{ "", "ReplicationController", "Workload" },
	{ "", "Service", "Service" },
	{ "", "ConfigMap", "ConfigData" },
	{ "", "Secret", "ConfigData" },
	{ "", "Namespace", "Object" },
	{ "", "ServiceAccount", "Object" },
	{ "", "Endpoints", "Object" },
	{ "", "PersistentVolume", "Object" },
	{ "", "PersistentVolumeClaim", "Object" },
	{ "", "LimitRange", "Object" },
	{ "", "ResourceQuota", "Object" },
	{ "", "Node", "Object" },
	{ "", "Event", "Object" },
	{ "apps", "Deployment", "Workload" },
	{ "apps", "ReplicaSet", "Workload" },
	{ "apps", "StatefulSet", "Workload" },
	{ "apps", "DaemonSet", "Workload" },
	{ "apps", "ControllerRevision", "Object" },
	{ "batch", "Job", "Job" },
	{ "batch", "CronJob", "CronJob" },
	{ "autoscaling", "HorizontalPodAutoscaler", "Object" },
	{ "autoscaling", "Scale", "Object" },
	{ "policy", "PodDisruptionBudget", "Object" },
	{ "networking.k8s.io", "Ingress", "Object" },
	{ "networking.k8s.io", "IngressClass", "Object" },
	{ "networking.k8s.io", "NetworkPolicy", "Object" },
	{ "rbac.authorization.k8s.io", "Role", "Object" },
	{ "rbac.authorization.k8s.io", "ClusterRole", "Object" },
	{ "rbac.authorization.k8s.io", "RoleBinding", "Object" },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding", "Object" },
	{ "coordination.k8s.io", "Lease", "Object" },
	{ "storage.k8s.io", "StorageClass", "Object" },
	{ "storage.k8s.io", "VolumeAttachment", "Object" },
	{ "storage.k8s.io", "CSIDriver", "Object" },
	{ "storage.k8s.io", "CSINode", "Object" },
	{ "apiextensions.k8s.io", "CustomResourceDefinition", "Object" },
	{ "scheduling.k8s.io", "PriorityClass", "Object" },
	{ "discovery.k8s.io", "EndpointSlice", "Object" },
	{ "events.k8s.io", "Event", "Object" },
	{ "node.k8s.io", "RuntimeClass", "Object" },
};

/* Type inheritance: a type without a row for a field asks its base. */
static const struct {
	const char *type;
	const char *base;
} bases[] = {
	{ "Pod", "Object" },      { "PodTemplate", "Object" }, { "Workload", "Object" },
	{ "Job", "Object" },      { "CronJob", "Object" },     { "Service", "Object" },
	{ "ConfigData", "Object" }, { "PodStatus", "Status" },
};

#define MAP(k) KS_LIST_MAP, k, { k, NULL }, { NULL, NULL }

static const struct kschema_field fields[] = {
	/* every object */
	{ "Object", "metadata", "ObjectMeta", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "Object", "status", "Status", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "CustomResource", "metadata", "ObjectMeta", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "Status", "conditions", "Condition", MAP("type"), 0 },
	{ "ObjectMeta", "labels", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	{ "ObjectMeta", "annotations", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	{ "ObjectMeta", "finalizers", NULL, KS_LIST_SET, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "ObjectMeta", "ownerReferences", "OwnerReference", MAP("uid"), 0 },
	/* ConfigMap, Secret */
	{ "ConfigData", "data", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	{ "ConfigData", "binaryData", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	{ "ConfigData", "stringData", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	/* workloads */
	{ "Pod", "spec", "PodSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "Pod", "status", "PodStatus", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "PodTemplate", "template", "PodTemplateSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "Workload", "spec", "WorkloadSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "WorkloadSpec", "template", "PodTemplateSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "WorkloadSpec", "selector", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_ATOMIC_OBJ },
	{ "WorkloadSpec", "strategy", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_RETAIN_KEYS },
	{ "Job", "spec", "JobSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "JobSpec", "template", "PodTemplateSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "JobSpec", "selector", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_ATOMIC_OBJ },
	{ "CronJob", "spec", "CronJobSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "CronJobSpec", "jobTemplate", "JobTemplateSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "JobTemplateSpec", "metadata", "ObjectMeta", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "JobTemplateSpec", "spec", "JobSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "PodTemplateSpec", "metadata", "ObjectMeta", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "PodTemplateSpec", "spec", "PodSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	/* pods */
	{ "PodSpec", "containers", "Container", MAP("name"), 0 },
	{ "PodSpec", "initContainers", "Container", MAP("name"), 0 },
	{ "PodSpec", "ephemeralContainers", "Container", MAP("name"), 0 },
	{ "PodSpec", "volumes", "Volume", MAP("name"), KS_RETAIN_KEYS },
	{ "PodSpec", "imagePullSecrets", NULL, MAP("name"), 0 },
	{ "PodSpec", "hostAliases", NULL, MAP("ip"), 0 },
	{ "PodSpec", "schedulingGates", NULL, MAP("name"), 0 },
	{ "PodSpec", "resourceClaims", NULL, MAP("name"), KS_RETAIN_KEYS },
	{ "PodSpec", "topologySpreadConstraints", NULL, KS_LIST_MAP, "topologyKey",
	  { "topologyKey", "whenUnsatisfiable" }, { NULL, NULL }, 0 },
	{ "PodSpec", "nodeSelector", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	{ "Container", "env", NULL, MAP("name"), 0 },
	{ "Container", "ports", NULL, KS_LIST_MAP, "containerPort", { "containerPort", "protocol" },
	  { NULL, "TCP" }, 0 },
	{ "Container", "volumeMounts", NULL, MAP("mountPath"), 0 },
	{ "Container", "volumeDevices", NULL, MAP("devicePath"), 0 },
	{ "Container", "resources", "Resources", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "Resources", "limits", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	{ "Resources", "requests", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_MAP_LIKE },
	/* services */
	{ "Service", "spec", "ServiceSpec", KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, 0 },
	{ "ServiceSpec", "ports", NULL, KS_LIST_MAP, "port", { "port", "protocol" }, { NULL, "TCP" }, 0 },
	{ "ServiceSpec", "selector", NULL, KS_LIST_ATOMIC, NULL, { NULL, NULL }, { NULL, NULL }, KS_ATOMIC_OBJ },
};

const char *kschema_root(const char *group, const char *kind, int *builtin)
{
	*builtin = 0;
	if (!kind)
		return "CustomResource";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].group, group ? group : "") == 0 && strcmp(kinds[i].kind, kind) == 0) {
			*builtin = 1;
			return kinds[i].type;
		}
	}
	return "CustomResource";
}

static const char *base_of(const char *type)
{
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		if (strcmp(bases[i].type, type) == 0)
			return bases[i].base;
	return NULL;
}

const struct kschema_field *kschema_lookup(const char *parent, const char *field)
{
	for (const char *t = parent; t; t = base_of(t)) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].parent, t) == 0 && strcmp(fields[i].field, field) == 0)
				return &fields[i];
	}
	return NULL;
}

const char *kschema_group_of(const char *api_version, char *buf, unsigned size)
{
	const char *slash = api_version ? strchr(api_version, '/') : NULL;
	size_t n = slash ? (size_t)(slash - api_version) : 0;

	if (size == 0)
		return "";
	if (n >= size)
		n = size - 1;
	memcpy(buf, api_version ? api_version : "", n);
	buf[n] = '\0';
	return buf;
}
