/*
 * collect.h — reading what a backup takes from the cluster (backup-format.md
 * §8): every qualifying resource type in its preferred version, filtered by
 * namespace and resource, LISTed page by page (label selector applied to
 * everything but Namespaces), skipping objects being deleted or labelled
 * velero.io/exclude-from-backup=true. Items are handed to a callback one at a
 * time (the archive writer streams them to disk), so memory holds one LIST
 * page, not the cluster. Namespace objects come last: one is kept if it is
 * named by the namespace filter or holds a backed-up item.
 * Read-only: never writes to the cluster.
 */
#ifndef KAIRN_BACKUP_COLLECT_H
#define KAIRN_BACKUP_COLLECT_H

#include <cjson/cJSON.h>

#include "backup/filter.h"
#include "kube/kube.h"

struct backup_collect_opts {
	struct backup_filter filter;
	const char *label_selector; /* NULL = everything */
};

struct backup_collect_stats {
	size_t items;
	size_t types;       /* resource types listed */
	size_t skipped;     /* deleting or excluded by label */
};

/* Called once per item; a non-zero return stops the collection and is
 * returned (fill e). */
typedef int (*backup_item_fn)(void *ud, const struct kube_resource *res, const cJSON *obj,
			      struct kerr *e);

int backup_collect(struct kube_client *kc, const struct backup_collect_opts *o, backup_item_fn fn,
		   void *ud, struct backup_collect_stats *st, struct kerr *e);

#endif
