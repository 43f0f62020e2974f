/*
 * selfheal.h — keeps managed objects equal to the last synced desired set
 * between syncs (DESIGN §6).
 *
 * What it owns: the desired objects of one source's most recent successful
 * sync, one watch thread per managed resource type (label selector
 * kairn.dev/source=<source>, all namespaces), and one worker thread that
 * re-applies a drifted object (server-side apply, field manager "kairn",
 * force). A MODIFIED event counts as drift only when sync_diff says live
 * differs from desired; DELETED always does; a RELIST (start, 410 Gone)
 * checks every desired object of that type, so drift during a watch outage
 * is found too.
 *
 * Backoff: drift seen within fight_window_ms of the previous correction of
 * the same object means someone keeps changing it. The first correction of a
 * streak is immediate; each further one waits base * 2^(streak-1), capped at
 * max; a log line and the kairn_drift_backoffs_total counter report it. So a
 * fight with another controller costs a bounded number of writes per minute,
 * never a hot loop.
 *
 * What it must never do: write while inactive (not the leader, or a sync is
 * running — a prune must not be undone), or write an object that is not in
 * the desired set.
 */
#ifndef KAIRN_DAEMON_SELFHEAL_H
#define KAIRN_DAEMON_SELFHEAL_H

#include <stdint.h>

#include "daemon/metrics.h"
#include "kube/kube.h"
#include "sync/sync.h"

struct selfheal_opts {
	const char *source;         /* label value; copied */
	int64_t fight_window_ms;    /* default 1000 */
	int64_t backoff_base_ms;    /* default 1000 */
	int64_t backoff_max_ms;     /* default 300000 */
	struct metric_family *corrections; /* counter {source,kind,result}; may be NULL */
	struct metric_family *backoffs;    /* counter {source}; may be NULL */
};

struct selfheal;

/* The wait before the streak-th correction in a row of one object (0 for
 * the first): base * 2^(streak-1), capped at max; zeroed opts take the
 * defaults. Pure; exposed for tests and docs. */
int64_t selfheal_backoff_delay(const struct selfheal_opts *o, int streak);

int selfheal_new(struct kube_client *kc, const struct selfheal_opts *o, struct selfheal **out,
		 struct kerr *e);
/* Replaces the desired set with the plan's create/update/unchanged objects
 * (copied) and starts watches for resource types not yet watched. Pending
 * corrections are dropped: the sync just applied everything. */
int selfheal_update(struct selfheal *h, const struct sync_plan *p, struct kerr *e);
/* Writes happen only while active (the leader, or no leader election) and
 * not paused (a sync is running). Both may be called from any thread. */
void selfheal_set_active(struct selfheal *h, int active);
void selfheal_pause(struct selfheal *h, int paused);
/* Objects currently desired. */
size_t selfheal_size(struct selfheal *h);
/* Stops every thread and frees. */
void selfheal_free(struct selfheal *h);

#endif
