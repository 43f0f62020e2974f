/*
 * run.h — running the hooks of one phase (DESIGN §5) against the cluster.
 *
 * Hooks run one after another in (weight, kind rank, name) order. For each:
 * delete a leftover of the same name first when the policy says
 * before-hook-creation (and wait until it is gone, so the name is free);
 * create it by server-side apply; wait until it succeeds, fails or its
 * timeout passes; then delete it if the policy says so for that outcome.
 * The first failure stops the phase: later hooks do not run. A failure or
 * timeout records the object's conditions, so the report says why.
 * What it must never do: touch an object that is not a hook of this source.
 */
#ifndef KAIRN_HOOKS_RUN_H
#define KAIRN_HOOKS_RUN_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks/hook.h"
#include "hooks/status.h"
#include "kube/kube.h"

struct hook_item {
	cJSON *obj;             /* borrowed: the hook's manifest (namespace filled in);
				 * metadata.generateName instead of a name: created by POST
				 * under a fresh name each run, as Argo CD hooks often are */
	struct hook_spec spec;
	const char *origin;     /* "file:line", for messages */
};

struct hook_outcome {
	const struct hook_item *hook;
	enum hook_phase phase;
	enum hook_state state;
	int planned;            /* dry run: would run, was not created */
	char name[254];         /* the object's name (as created, for generateName hooks) */
	char why[512];          /* failure reason */
	char status[256];       /* on failure: where it stood (hook_status_summary) */
	cJSON *conditions;      /* on failure: the object's status.conditions (owned) */
	int64_t duration_ms;
};

struct hook_report {
	struct hook_outcome *runs;
	size_t n, cap;
};

struct hook_run_opts {
	const char *source;        /* label kairn.dev/source value put on hooks */
	const char *field_manager; /* "kairn" */
	int64_t poll_ms;           /* status poll interval; default 200 */
	int64_t delete_wait_ms;    /* how long to wait for a leftover to go; default 60000 */
};

/* Sorts hooks for running (weight, kind rank, namespace, name). */
void hooks_sort(struct hook_item *hooks, size_t n);

/* Runs every hook in hooks whose phases include phase. Returns 0 when all
 * succeeded (or there were none), KAIRN_EHOOK when one failed or timed out
 * (e says which and why), another code for API errors. Outcomes are
 * appended to rep. */
int hooks_run_phase(struct kube_client *kc, struct hook_item *hooks, size_t n,
		    enum hook_phase phase, const struct hook_run_opts *o, struct hook_report *rep,
		    struct kerr *e);

/* Dry run: appends to rep, as planned outcomes in running order, the hooks
 * of phase, without touching the cluster. Returns 0 or KAIRN_ENOMEM. */
int hooks_plan_phase(struct hook_item *hooks, size_t n, enum hook_phase phase,
		     struct hook_report *rep, struct kerr *e);

/* 1 if any hook has phase. */
int hooks_have_phase(const struct hook_item *hooks, size_t n, enum hook_phase phase);

void hook_report_free(struct hook_report *rep);

#endif
