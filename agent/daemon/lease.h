/*
 * lease.h — leader election over a coordination.k8s.io/v1 Lease, as a pure
 * decision: given the Lease as read (or its absence), who we are and the
 * time, what do we write? The daemon performs the write with the Lease's
 * resourceVersion as a precondition, so two replicas racing for an expired
 * Lease cannot both win: the loser gets 409 and stays a follower.
 */
#ifndef KAIRN_DAEMON_LEASE_H
#define KAIRN_DAEMON_LEASE_H

#include <cjson/cJSON.h>
#include <time.h>
#include "util/err.h"

enum lease_action {
	LEASE_CREATE,   /* no Lease yet: create it holding it */
	LEASE_RENEW,    /* we hold it: update renewTime */
	LEASE_TAKEOVER, /* another holder's lease expired: take it */
	LEASE_FOLLOW,   /* another holder's lease is valid: do nothing */
};

struct lease_params {
	const char *name;      /* Lease name, e.g. "kairn-leader" */
	const char *namespace; /* kairn's namespace */
	const char *identity;  /* this replica (pod name) */
	int duration_s;        /* leaseDurationSeconds, e.g. 15 */
};

/* Decides and, for every action but FOLLOW, builds the Lease to write in
 * *out (with metadata.resourceVersion copied from live for the precondition).
 * Times are written as RFC 3339 with microseconds, as MicroTime requires. */
int lease_decide(const cJSON *live, const struct lease_params *p, time_t now,
		 enum lease_action *action, cJSON **out, struct kerr *e);

/* 1 if the given Lease is held by identity and not expired at now. */
int lease_is_held_by(const cJSON *live, const char *identity, time_t now);

#endif
