/*
 * restore_plan.c — see restore_plan.h. Facts from backup-format.md §9–§10.
 */
#include "restore_plan.h"
#include "util/codec.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const high_priorities[] = {
	"customresourcedefinitions.apiextensions.k8s.io", "namespaces", "storageclasses.storage.k8s.io",
	"volumesnapshotclass.snapshot.storage.k8s.io",
	"volumesnapshotcontents.snapshot.storage.k8s.io", "volumesnapshots.snapshot.storage.k8s.io",
	"datauploads.velero.io", "persistentvolumes", "persistentvolumeclaims",
	"clusterroles.rbac.authorization.k8s.io", "roles.rbac.authorization.k8s.io", "serviceaccounts",
	"clusterrolebindings.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
	"secrets", "configmaps", "limitranges", "priorityclasses.scheduling.k8s.io", "pods",
	"replicasets.apps", "clusterclasses.cluster.x-k8s.io", "endpoints", "services",
};

static const char *const low_priorities[] = {
	"clusterbootstraps.run.tanzu.vmware.com", "clusters.cluster.x-k8s.io",
	"clusterresourcesets.addons.cluster.x-k8s.io", "apps.kappctrl.k14s.io",
	"packageinstalls.packaging.carvel.dev",
};

static const char *const never_restored[] = {
	"nodes", "events", "events.events.k8s.io", "backups.velero.io", "restores.velero.io",
	"resticrepositories.velero.io", "csinodes.storage.k8s.io", "volumeattachments.storage.k8s.io",
	"backuprepositories.velero.io",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int restore_rank(const char *gr)
{
	for (size_t i = 0; i < N(high_priorities); i++)
		if (strcmp(gr, high_priorities[i]) == 0)
			return (int)i;
	for (size_t i = 0; i < N(low_priorities); i++)
		if (strcmp(gr, low_priorities[i]) == 0)
			return RESTORE_RANK_MIDDLE + 1 + (int)i;
	return RESTORE_RANK_MIDDLE;
}

int restore_order_cmp(const char *a, const char *b)
{
	int ra = restore_rank(a), rb = restore_rank(b);

	if (ra != rb)
		return ra - rb;
	return strcmp(a, b);
}

const char *restore_skip_text(enum restore_skip s)
{
	switch (s) {
	case RESTORE_KEEP: return "restore";
	case RESTORE_SKIP_NEVER_RESTORED: return "never restored (cluster-generated type)";
	case RESTORE_SKIP_FINISHED: return "finished Pod or Job";
	case RESTORE_SKIP_MIRROR_POD: return "mirror pod";
	case RESTORE_SKIP_AUTOMANAGED: return "managed by the API aggregator";
	case RESTORE_SKIP_OWNED: return "owner is restored too; its controller recreates it";
	case RESTORE_SKIP_GITOPS: return "managed by GitOps (kairn.dev/source); the sync recreates it";
	}
	return "?";
}

static const cJSON *map_item(const cJSON *obj, const char *map, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(jsonx_get(obj, map), key);
}

enum restore_skip restore_item_verdict(const cJSON *obj, const char *gr, const struct restore_opts *o,
				       int (*owner_in_backup)(const char *uid, void *ctx), void *ctx)
{
	const cJSON *ref;

	for (size_t i = 0; i < N(never_restored); i++)
		if (strcmp(gr, never_restored[i]) == 0)
			return RESTORE_SKIP_NEVER_RESTORED;
	if (strcmp(gr, "pods") == 0) {
		const char *phase = jsonx_str(obj, "status.phase");

		if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0))
			return RESTORE_SKIP_FINISHED;
		if (map_item(obj, "metadata.annotations", "kubernetes.io/config.mirror"))
			return RESTORE_SKIP_MIRROR_POD;
	}
	if (strcmp(gr, "jobs.batch") == 0 && jsonx_get(obj, "status.completionTime"))
		return RESTORE_SKIP_FINISHED;
	if (strcmp(gr, "apiservices.apiregistration.k8s.io") == 0 &&
	    map_item(obj, "metadata.labels", "kube-aggregator.kubernetes.io/automanaged"))
		return RESTORE_SKIP_AUTOMANAGED;
	if (o->skip_gitops_managed && map_item(obj, "metadata.labels", "kairn.dev/source"))
		return RESTORE_SKIP_GITOPS;
	if (!o->include_owned && owner_in_backup) {
		cJSON_ArrayForEach(ref, jsonx_get(obj, "metadata.ownerReferences")) {
			const char *uid = jsonx_str(ref, "uid");

			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) && uid &&
			    owner_in_backup(uid, ctx))
				return RESTORE_SKIP_OWNED;
		}
	}
	return RESTORE_KEEP;
}

const char *restore_map_namespace(const struct restore_opts *o, const char *ns)
{
	for (size_t i = 0; ns && i < o->n_ns_map; i++)
		if (strcmp(o->ns_map[i][0], ns) == 0)
			return o->ns_map[i][1];
	return ns;
}

void restore_label_value(const char *name, char out[64])
{
	size_t n = strlen(name);
	char hex[65];

	if (n <= 63) {
		memcpy(out, name, n + 1);
		return;
	}
	sha256_hex(name, n, hex);
	memcpy(out, name, 57);
	memcpy(out + 57, hex, 6);
	out[63] = '\0';
}

static void delete_key(cJSON *obj, const char *path, const char *key)
{
	cJSON *parent = path ? jsonx_get(obj, path) : obj;

	if (cJSON_IsObject(parent))
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
}

/* Was nodePort of this Service port set explicitly by a user? (§10) */
static int node_port_explicit(const cJSON *svc, const cJSON *port)
{
	const cJSON *ann = map_item(svc, "metadata.annotations",
				    "kubectl.kubernetes.io/last-applied-configuration");
	const char *name = jsonx_str(port, "name");
	const cJSON *entry;
	int found = 0;

	if (cJSON_IsString(ann)) {
		cJSON *applied = cJSON_Parse(ann->valuestring);
		const cJSON *p;

		cJSON_ArrayForEach(p, jsonx_get(applied, "spec.ports")) {
			const char *pn = jsonx_str(p, "name");

			if (cJSON_GetObjectItemCaseSensitive(p, "nodePort") &&
			    ((!pn && !name) || (pn && name && strcmp(pn, name) == 0)))
				found = 1;
		}
		cJSON_Delete(applied);
		return found;
	}
	cJSON_ArrayForEach(entry, jsonx_get(svc, "metadata.managedFields")) {
		const cJSON *ports = jsonx_get(cJSON_GetObjectItemCaseSensitive(entry, "fieldsV1"),
					       "f:spec.f:ports");
		const cJSON *k;
		char want[128];
		const char *proto = jsonx_str(port, "protocol");

		snprintf(want, sizeof(want), "k:{\"port\":%ld,\"protocol\":\"%s\"}",
			 jsonx_long(port, "port", -1), proto ? proto : "TCP");
		cJSON_ArrayForEach(k, ports)
			if (strcmp(k->string, want) == 0 && cJSON_GetObjectItemCaseSensitive(k, "f:nodePort"))
				found = 1;
	}
	return found;
}

static int health_check_port_explicit(const cJSON *svc)
{
	const cJSON *ann = map_item(svc, "metadata.annotations",
				    "kubectl.kubernetes.io/last-applied-configuration");
	const cJSON *entry;
	int found = 0;

	if (cJSON_IsString(ann)) {
		cJSON *applied = cJSON_Parse(ann->valuestring);

		found = jsonx_get(applied, "spec.healthCheckNodePort") != NULL;
		cJSON_Delete(applied);
		return found;
	}
	cJSON_ArrayForEach(entry, jsonx_get(svc, "metadata.managedFields"))
		if (jsonx_get(cJSON_GetObjectItemCaseSensitive(entry, "fieldsV1"), "f:spec.f:healthCheckNodePort"))
			found = 1;
	return found;
}

static void sanitize_service(cJSON *obj, const struct restore_opts *o)
{
	const char *ip = jsonx_str(obj, "spec.clusterIP");
	const char *type = jsonx_str(obj, "spec.type");
	cJSON *port;

	if (!ip || strcmp(ip, "None") != 0) {
		delete_key(obj, "spec", "clusterIP");
		delete_key(obj, "spec", "clusterIPs");
	}
	if (o->preserve_node_ports || (type && strcmp(type, "ExternalName") == 0))
		return;
	cJSON_ArrayForEach(port, jsonx_get(obj, "spec.ports"))
		if (!node_port_explicit(obj, port))
			cJSON_DeleteItemFromObjectCaseSensitive(port, "nodePort");
	if (!health_check_port_explicit(obj))
		delete_key(obj, "spec", "healthCheckNodePort");
}

static int has_prefix(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

static void remove_matching(cJSON *list, const char *field, const char *prefix)
{
	for (cJSON *it = list ? list->child : NULL, *next; it; it = next) {
		next = it->next;
		if (has_prefix(jsonx_str(it, field), prefix))
			cJSON_Delete(cJSON_DetachItemViaPointer(list, it));
	}
}

static void sanitize_pod(cJSON *obj)
{
	const char *sa = jsonx_str(obj, "spec.serviceAccountName");
	cJSON *c;
	char prefix[300];

	if (jsonx_get(obj, "spec"))
		jsonx_set(jsonx_get(obj, "spec"), "nodeName", cJSON_CreateString(""));
	delete_key(obj, "spec", "priority");
	if (!sa)
		return;
	snprintf(prefix, sizeof(prefix), "%s-token-", sa);
	remove_matching(jsonx_get(obj, "spec.volumes"), "name", prefix);
	cJSON_ArrayForEach(c, jsonx_get(obj, "spec.containers"))
		remove_matching(cJSON_GetObjectItemCaseSensitive(c, "volumeMounts"), "name", prefix);
	cJSON_ArrayForEach(c, jsonx_get(obj, "spec.initContainers"))
		remove_matching(cJSON_GetObjectItemCaseSensitive(c, "volumeMounts"), "name", prefix);
}

static void sanitize_service_account(cJSON *obj)
{
	cJSON *secrets = jsonx_get(obj, "secrets");
	const char *name = jsonx_str(obj, "metadata.name");
	char prefix[300];

	if (!name || !cJSON_IsArray(secrets))
		return;
	snprintf(prefix, sizeof(prefix), "%s-token-", name);
	/* Velero drops the first token entry found scanning from the end. */
	for (int i = cJSON_GetArraySize(secrets) - 1; i >= 0; i--) {
		if (has_prefix(jsonx_str(cJSON_GetArrayItem(secrets, i), "name"), prefix)) {
			cJSON_DeleteItemFromArray(secrets, i);
			break;
		}
	}
}

static void sanitize_secret(cJSON *obj)
{
	const char *type = jsonx_str(obj, "type");

	if (!type || strcmp(type, "kubernetes.io/service-account-token") != 0)
		return;
	delete_key(obj, "metadata.annotations", "kubernetes.io/service-account.uid");
	delete_key(obj, "data", "token");
	delete_key(obj, "data", "ca.crt");
}

static void sanitize_job(cJSON *obj)
{
	delete_key(obj, "spec.selector.matchLabels", "controller-uid");
	delete_key(obj, "spec.selector.matchLabels", "batch.kubernetes.io/controller-uid");
	delete_key(obj, "spec.template.metadata.labels", "controller-uid");
	delete_key(obj, "spec.template.metadata.labels", "batch.kubernetes.io/controller-uid");
}

static void sanitize_volume(cJSON *obj)
{
	delete_key(obj, "spec.claimRef", "uid");
	delete_key(obj, "spec.claimRef", "resourceVersion");
	delete_key(obj, "metadata.annotations", "pv.kubernetes.io/bind-completed");
	delete_key(obj, "metadata.annotations", "pv.kubernetes.io/bound-by-controller");
}

static void remap_subjects(cJSON *obj, const struct restore_opts *o)
{
	cJSON *s;

	cJSON_ArrayForEach(s, jsonx_get(obj, "subjects")) {
		const char *ns = jsonx_str(s, "namespace");
		const char *to = restore_map_namespace(o, ns);

		if (ns && to != ns)
			jsonx_set(s, "namespace", cJSON_CreateString(to));
	}
}

int restore_sanitize(cJSON *obj, const char *gr, const struct restore_opts *o, struct kerr *e)
{
	static const char *const strip[] = { "generateName", "selfLink", "uid", "resourceVersion",
					     "generation", "creationTimestamp", "deletionTimestamp",
					     "deletionGracePeriodSeconds", "ownerReferences" };
	cJSON *meta = jsonx_get(obj, "metadata"), *labels;
	const char *ns;
	char v[64];

	if (!cJSON_IsObject(meta))
		return kerr_set(e, KAIRN_EINVAL, "%s: item has no metadata", gr);
	for (size_t i = 0; i < N(strip); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, strip[i]);
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");

	if (strcmp(gr, "services") == 0)
		sanitize_service(obj, o);
	else if (strcmp(gr, "pods") == 0)
		sanitize_pod(obj);
	else if (strcmp(gr, "serviceaccounts") == 0)
		sanitize_service_account(obj);
	else if (strcmp(gr, "secrets") == 0)
		sanitize_secret(obj);
	else if (strcmp(gr, "jobs.batch") == 0)
		sanitize_job(obj);
	else if (strcmp(gr, "persistentvolumes") == 0 || strcmp(gr, "persistentvolumeclaims") == 0)
		sanitize_volume(obj);
	else if (strcmp(gr, "rolebindings.rbac.authorization.k8s.io") == 0 ||
		 strcmp(gr, "clusterrolebindings.rbac.authorization.k8s.io") == 0)
		remap_subjects(obj, o);

	if (strcmp(gr, "namespaces") == 0) {
		const char *name = jsonx_str(meta, "name");

		if (name && restore_map_namespace(o, name) != name)
			jsonx_set(meta, "name", cJSON_CreateString(restore_map_namespace(o, name)));
	}
	ns = jsonx_str(meta, "namespace");
	if (ns && restore_map_namespace(o, ns) != ns)
		jsonx_set(meta, "namespace", cJSON_CreateString(restore_map_namespace(o, ns)));
	labels = jsonx_ensure_obj(meta, "labels");
	if (!labels)
		return kerr_set(e, KAIRN_EINVAL, "%s: metadata.labels is not a map", gr);
	if (o->backup_name) {
		restore_label_value(o->backup_name, v);
		if (jsonx_set(labels, "velero.io/backup-name", cJSON_CreateString(v)))
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	if (o->restore_name) {
		restore_label_value(o->restore_name, v);
		if (jsonx_set(labels, "velero.io/restore-name", cJSON_CreateString(v)))
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	return 0;
}
