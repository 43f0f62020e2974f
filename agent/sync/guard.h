/*
 * guard.h — the rules that keep prune from deleting what it must not
 * (DESIGN §4 step 7). "Never prune on doubt": every rule refuses, none asks.
 *
 * Per object: never the system Namespaces (default, kube-system, kube-public,
 * kube-node-lease); never an object annotated kairn.dev/prune: disabled,
 * argocd.argoproj.io/sync-options containing Prune=false, or
 * helm.sh/resource-policy: keep; never one without our source label (it is
 * not ours any more, or never was).
 * Per sync: refuse when the desired set is empty, or when the prune would
 * remove more than max_fraction of the inventory, unless forced.
 */
#ifndef KAIRN_SYNC_GUARD_H
#define KAIRN_SYNC_GUARD_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/err.h"

#define KAIRN_SOURCE_LABEL "kairn.dev/source"

enum prune_verdict {
	PRUNE_OK = 0,
	PRUNE_SKIP_SYSTEM_NAMESPACE,
	PRUNE_SKIP_ANNOTATED,  /* one of the keep annotations */
	PRUNE_SKIP_NOT_OURS,   /* source label absent or names another source */
};

/* Decides for one live object that the inventory lists but Git no longer has. */
enum prune_verdict prune_guard_object(const cJSON *live, const char *source);

/* Human text for a verdict ("system namespace", ...). */
const char *prune_verdict_text(enum prune_verdict v);

struct prune_limits {
	double max_fraction; /* default 0.5 */
	int force;           /* --force-prune */
};

/* Decides for the whole prune. Returns 0 or KAIRN_EGUARD with the reason. */
int prune_guard_set(size_t n_desired, size_t n_inventory, size_t n_prune,
		    const struct prune_limits *lim, struct kerr *e);

#endif
