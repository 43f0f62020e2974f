/*
 * restore_plan.h — what a restore does to each backed-up item before it is
 * written, and in what order (../shared/design/backup-format.md §9–§10):
 * Velero's resource priorities, the items never restored, the metadata and
 * status a restore strips, the per-kind changes of Velero's built-in restore
 * actions, namespace mapping, and kairn's own choices (skip owned objects
 * whose owner is restored too; optionally skip GitOps-managed objects).
 *
 * Pure functions over cJSON: no cluster access, so the whole plan can be
 * computed, printed (--dry-run) and verified before the first write.
 */
#ifndef KAIRN_BACKUP_RESTORE_PLAN_H
#define KAIRN_BACKUP_RESTORE_PLAN_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/err.h"

/* Position of a group-resource ("deployments.apps", "namespaces") in the
 * restore order: high priorities get 0..n-1 in list order; every other
 * resource RESTORE_RANK_MIDDLE (callers then sort those by name); low
 * priorities come after. CRDs are always first. */
#define RESTORE_RANK_MIDDLE 1000
int restore_rank(const char *group_resource);

/* Compares two group-resources in restore order (rank, then name). */
int restore_order_cmp(const char *gr_a, const char *gr_b);

enum restore_skip {
	RESTORE_KEEP = 0,
	RESTORE_SKIP_NEVER_RESTORED, /* nodes, events, velero's own CRs, ... */
	RESTORE_SKIP_FINISHED,       /* Pods Succeeded/Failed, completed Jobs */
	RESTORE_SKIP_MIRROR_POD,
	RESTORE_SKIP_AUTOMANAGED,    /* aggregator-managed APIServices */
	RESTORE_SKIP_OWNED,          /* its controller is restored too (kairn default) */
	RESTORE_SKIP_GITOPS,         /* --skip-gitops-managed and labelled kairn.dev/source */
};

const char *restore_skip_text(enum restore_skip s);

struct restore_opts {
	const char *backup_name;
	const char *restore_name;
	/* namespace mapping: old -> new, n_ns_map pairs */
	const char *const (*ns_map)[2];
	size_t n_ns_map;
	int include_owned;       /* restore Pods/ReplicaSets whose owner is restored (Velero's behaviour) */
	int skip_gitops_managed; /* leave objects labelled kairn.dev/source to the GitOps sync */
	int preserve_node_ports;
};

/* Decides whether an item is restored. owner_in_backup(uid, ctx) answers
 * whether an object with that uid is in the backup (for RESTORE_SKIP_OWNED). */
enum restore_skip restore_item_verdict(const cJSON *obj, const char *group_resource,
				       const struct restore_opts *o,
				       int (*owner_in_backup)(const char *uid, void *ctx), void *ctx);

/* Turns a backed-up item into the object to create, in place: strips server
 * fields and status, applies Velero's per-kind restore actions, maps
 * namespaces, adds the velero.io/backup-name and velero.io/restore-name
 * labels. */
int restore_sanitize(cJSON *obj, const char *group_resource, const struct restore_opts *o,
		     struct kerr *e);

/* The namespace an item goes to under the mapping (ns itself if unmapped). */
const char *restore_map_namespace(const struct restore_opts *o, const char *ns);

/* Velero's label value rule: names over 63 characters become the first 57
 * characters plus 6 hex digits of their sha256. out must hold 64 bytes. */
void restore_label_value(const char *name, char out[64]);

#endif
