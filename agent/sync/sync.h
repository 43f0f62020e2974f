/*
 * sync.h — one sync of a source: desired objects (from Git) against the
 * cluster (DESIGN §4). Two steps, so `kairn diff` and `--dry-run` share
 * everything with a real sync up to the first write:
 *
 *   sync_plan_build   validate and classify every desired object, read the
 *                     inventory and live state (one LIST per resource type
 *                     and namespace), diff, decide create / update /
 *                     unchanged / prune / skip, order the result. Read-only.
 *   sync_execute      pre-sync hooks (only when something changes, unless
 *                     run_hooks says otherwise), apply waves by server-side
 *                     apply, write the inventory, sync hooks, prune in
 *                     reverse order, post-sync hooks; sync-fail hooks on
 *                     failure.
 *
 * What it must never do: write anything when a desired object is invalid
 * (the plan fails first); prune what the inventory does not list, what is
 * not labelled for this source, or anything when a prune guard refuses;
 * write on a no-op sync (zero write requests, inventory included).
 */
#ifndef KAIRN_SYNC_SYNC_H
#define KAIRN_SYNC_SYNC_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks/run.h"
#include "kube/kube.h"
#include "sync/diff.h"
#include "sync/guard.h"
#include "sync/inventory.h"
#include "sync/order.h"
#include "util/buf.h"

#define KAIRN_FIELD_MANAGER "kairn"

/* One desired object as the manifest loader produced it. sync_plan_build
 * takes the object's content: what it keeps moves into the plan (as text),
 * the rest is freed, and obj is left an empty object that its owner still
 * frees. So the desired set is held once, compactly, not parsed twice. */
struct sync_input {
	cJSON *obj;
	/* or, with obj NULL: the object as compact JSON (kobj_compact), which
	 * the plan parses and frees (then sets NULL), one object at a time, so
	 * that a large desired set is never held as trees */
	char *json;
	const char *file;   /* for messages */
	int line;
};

/* When hooks run (--run-hooks): pre-sync, sync and post-sync hooks only
 * when the plan has changes (default), on every sync, or never (sync-fail
 * hooks neither). */
enum sync_run_hooks { SYNC_HOOKS_CHANGES = 0, SYNC_HOOKS_ALWAYS, SYNC_HOOKS_NEVER };

/* "changes", "always" or "never" to *out; 0 or KAIRN_EINVAL. */
int sync_run_hooks_parse(const char *s, enum sync_run_hooks *out);

struct sync_opts {
	const char *source;        /* source name: label value and inventory name */
	const char *inventory_ns;  /* kairn's namespace; default "kairn-system" */
	const char *default_ns;    /* namespace for namespaced objects without one */
	const char *commit;        /* Git commit being synced (recorded) */
	int prune;                 /* delete what Git dropped (default on in the CLI) */
	int dry_run;               /* execute sends dryRun=All writes only: no hooks, no inventory;
				    * the hooks that would run are listed (planned) */
	enum sync_run_hooks run_hooks;
	struct prune_limits prune_limits;
	int64_t crd_wait_ms;       /* how long to wait for a CRD to be Established; 60000 */
	struct hook_run_opts hooks;
};

enum sync_action {
	SYNC_CREATE = 0,
	SYNC_UPDATE,
	SYNC_UNCHANGED,
	SYNC_PRUNE,
	SYNC_SKIP,
	SYNC_ACTION_COUNT
};

const char *sync_action_name(enum sync_action a);

struct sync_entry {
	char *key;         /* group/kind/namespace/name */
	char *api_version; /* as desired (or discovered for prune candidates) */
	char *kind, *ns, *name; /* ns NULL for cluster-scoped */
	char *origin;      /* "file:line" or "inventory" */
	struct kube_resource res;
	int res_pending;   /* kind defined by a CRD this sync creates */
	enum sync_action action;
	char *reason;      /* skip/prune reason or a note; may be NULL */
	char *desired;     /* what is applied (label added, ignored paths removed),
			    * as compact JSON text; NULL for prune candidates. Text,
			    * not a cJSON tree: a tree is 4-5 times larger, and a
			    * sync holds every desired object at once */
	cJSON *live;       /* as listed; NULL when absent */
	struct sync_diff_result diff;
	struct sync_order_key order;
	int inventory_keep; /* a prune candidate not pruned now that must stay listed */
	int classified;    /* action decided while reading live state */
	/* execution */
	int done;          /* the write happened (or was not needed) */
	char *error;       /* why it failed */
};

struct sync_plan {
	struct sync_entry *entries; /* in apply order */
	size_t n;
	struct hook_item *hooks;
	size_t n_hooks;
	cJSON *hook_objs;           /* owns the hooks' objects (namespaces filled in) */
	struct inventory prev;      /* empty when there was none */
	int have_prev;
	char desired_hash[65];
	size_t counts[SYNC_ACTION_COUNT];
	int prune_refused;          /* a set-level prune guard said no */
	char prune_refusal[512];
	char **warnings;
	size_t n_warnings;
};

/* Builds the plan. Errors (invalid or duplicate objects, unknown kinds, an
 * unreadable inventory, API failures) abort with every problem found listed
 * in e, one per line, each naming file:line. */
int sync_plan_build(struct kube_client *kc, struct sync_input *in, size_t n,
		    const struct sync_opts *o, struct sync_plan **out, struct kerr *e);

/* 1 if executing the plan would write anything. */
int sync_plan_has_changes(const struct sync_plan *p);

struct sync_outcome {
	int applied, failed, pruned, prune_failed;
	int hooks_failed;
	struct hook_report hooks;
	int64_t duration_ms;
};

/* Executes the plan. Returns 0, KAIRN_EHOOK (a hook failed: nothing after
 * it ran), KAIRN_EGUARD (applied, but a prune guard refused to prune), or
 * another code when writes failed (per-entry errors are in the plan). */
int sync_execute(struct kube_client *kc, struct sync_plan *p, const struct sync_opts *o,
		 struct sync_outcome *out, struct kerr *e);

/* The hooks a sync of p would run (pre-sync, sync, post-sync, in order, as
 * planned outcomes; none when o->run_hooks and the plan say so), appended
 * to rep. For --dry-run and diff. Returns 0 or KAIRN_ENOMEM. */
int sync_hooks_planned(struct sync_plan *p, const struct sync_opts *o, struct hook_report *rep,
		       struct kerr *e);

void sync_outcome_free(struct sync_outcome *o);
void sync_plan_free(struct sync_plan *p);

/* Reports. verbose: list unchanged objects too. */
int sync_report_text(const struct sync_plan *p, const struct sync_outcome *o, int dry_run,
		     int verbose, struct kbuf *out);
cJSON *sync_report_json(const struct sync_plan *p, const struct sync_outcome *o, int dry_run);
/* The "hooks" list of the JSON report, and the text report's hook lines. */
cJSON *sync_report_hooks_json(const struct hook_report *rep);
int sync_report_hooks_text(const struct hook_report *rep, struct kbuf *out);

/* A unified diff of one entry: live (only the fields Git sets) against what
 * would be applied, as YAML, Secret values masked. Nothing for unchanged. */
int sync_entry_diff_text(const struct sync_entry *en, struct kbuf *out);

#endif
