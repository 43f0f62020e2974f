/*
 * order.h — the order in which a sync applies objects (DESIGN §4 step 4).
 *
 * Objects are applied in waves. The wave of an object comes from the
 * annotation kairn.dev/sync-wave or argocd.argoproj.io/sync-wave (an integer,
 * default 0). Within a wave, kinds go in dependency order: CRDs, Namespaces,
 * cluster-scoped config, namespaced config, Services, workloads, the rest.
 * Because a custom object cannot be applied before its CRD and nothing
 * namespaced before its Namespace, CRDs and Namespaces always go first, ahead
 * of every wave (Argo CD users hit exactly this when a CR carries a lower wave
 * than its CRD). Prune runs the same order in reverse.
 */
#ifndef KAIRN_SYNC_ORDER_H
#define KAIRN_SYNC_ORDER_H

#include <cjson/cJSON.h>
#include "util/err.h"

enum sync_rank {
	SYNC_RANK_CRD = 0,
	SYNC_RANK_NAMESPACE,
	SYNC_RANK_CLUSTER_CONFIG,   /* ClusterRoles, StorageClasses, PriorityClasses, PVs, ... */
	SYNC_RANK_NAMESPACED_CONFIG,/* ServiceAccounts, Secrets, ConfigMaps, Roles, PVCs, ... */
	SYNC_RANK_SERVICE,
	SYNC_RANK_WORKLOAD,         /* Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Pods */
	SYNC_RANK_OTHER,            /* Ingress, HPA, PDB, NetworkPolicy, custom resources, ... */
};

/* Rank of a kind; group is "" for the core group. */
enum sync_rank sync_kind_rank(const char *group, const char *kind);

/* 1 for ranks that are applied before every wave (CRDs, Namespaces). */
int sync_rank_is_foundation(enum sync_rank r);

/* Reads the object's sync wave. A wave annotation that is not an integer is
 * an error naming the annotation and its value; both annotations present
 * with different values is an error too. */
int sync_wave_of(const cJSON *obj, int *wave, struct kerr *e);

/* Sort key: foundation objects first (by rank), then by (wave, rank),
 * then by namespace and name for a stable, reproducible order. */
struct sync_order_key {
	int foundation; /* 0 = foundation, 1 = waved */
	int wave;
	enum sync_rank rank;
	const char *ns;
	const char *name;
};

int sync_order_cmp(const struct sync_order_key *a, const struct sync_order_key *b);

#endif
