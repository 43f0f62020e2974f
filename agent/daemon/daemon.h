/*
 * daemon.h — `kairn run`: the long-running agent (DESIGN §6).
 *
 * One main loop owns the schedule: it syncs each source on start, on its
 * interval and when a verified webhook push concerns it (daemon_push_matches); it renews the leader Lease
 * every duration/3 and syncs only while it holds it. Between syncs, each
 * source's self-heal (selfheal.h) corrects drift of single objects. The HTTP
 * server (http.h) answers /healthz, /readyz, /metrics and /webhook from its
 * own thread; a webhook only wakes the main loop through a pipe.
 *
 * Failures never end the loop: a Git or API error is logged, counted
 * (kairn_syncs_total{result="error"}) and retried with exponential backoff
 * (5 s doubling, capped at the interval). The loop ends only when stop_fd
 * becomes readable (the caller's signal self-pipe): the current step is
 * finished, self-heal stops, the Lease is released, and daemon_run returns 0.
 *
 * What it must never do: write to the cluster while not the leader (with
 * leader election on), or exit the process.
 */
#ifndef KAIRN_DAEMON_DAEMON_H
#define KAIRN_DAEMON_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/lease.h"
#include "kube/kube.h"
#include "sync/source.h"
#include "sync/sync.h"

struct daemon_source {
	struct sync_source_opts src; /* src.name is the source name */
	struct sync_opts sync;
	int64_t interval_ms;         /* 0: daemon_opts.interval_ms */
	int self_heal;               /* watch and correct drift between syncs */
};

struct daemon_opts {
	const struct daemon_source *sources;
	size_t n_sources;
	int64_t interval_ms;        /* default 180000 */
	const char *listen;         /* ":8080"; "127.0.0.1:0" picks a port */
	const char *port_file;      /* if set, the bound port is written there */
	const char *webhook_secret; /* NULL: every webhook is refused */
	int leader_elect;
	struct lease_params lease;  /* name, namespace, identity, duration_s (default 15) */
	int stop_fd;                /* readable when the agent must stop */
	int64_t heal_fight_window_ms, heal_backoff_base_ms, heal_backoff_max_ms; /* 0: defaults */
	/* Opens the client one sync uses and then frees (NULL: syncs use the
	 * daemon's client). A sync opens up to --concurrency connections and
	 * caches discovery; between syncs an agent needs neither, and an idle
	 * agent's memory should be its desired set. */
	int (*sync_client)(const void *ctx, struct kube_client **out, struct kerr *e);
	const void *sync_client_ctx;
};

int daemon_run(struct kube_client *kc, const struct daemon_opts *o, struct kerr *e);

/* Does a push to ref ("refs/heads/main") concern source s? A directory
 * source or one following the default branch: always; a branch or tag:
 * when the ref names it; a commit SHA: never. More than
 * DAEMON_MAX_PENDING_REFS pushes between two loop turns sync every source. */
#define DAEMON_MAX_PENDING_REFS 16
int daemon_push_matches(const struct daemon_source *s, const char *ref);

#endif
