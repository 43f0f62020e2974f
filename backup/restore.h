/*
 * restore.h — rebuilding a cluster from a verified backup (DESIGN §7,
 * backup-format.md §9–§11).
 *
 * The caller verifies the archive completely and hands over its items; the
 * plan (restore_plan.h decisions: skip, sanitise, namespace mapping, order)
 * is computed before the first write and can be printed instead of executed
 * (--dry-run). Execution: CRDs first, each awaited until Established; then
 * every other group-resource in Velero's priority order, each group created
 * in parallel. An object that already exists is left alone and reported
 * (policy none; a warning when it differs from the backup), or brought to
 * the backup's values by server-side apply (policy update).
 * What it must never do: write before the whole plan is built; delete
 * anything.
 */
#ifndef KAIRN_BACKUP_RESTORE_H
#define KAIRN_BACKUP_RESTORE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "backup/restore_plan.h"
#include "kube/kube.h"
#include "util/buf.h"

/* Where the items come from: a verified archive, read one object at a time
 * so memory holds the plan, not the backup. load() returns item i parsed
 * (the caller frees it). */
struct restore_source {
	size_t n;
	const char *(*group_resource)(void *ctx, size_t i); /* "deployments.apps" */
	int (*load)(void *ctx, size_t i, cJSON **out, struct kerr *e);
	void *ctx;
};

enum restore_policy { RESTORE_POLICY_NONE = 0, RESTORE_POLICY_UPDATE };

struct restore_exec_opts {
	struct restore_opts plan;
	enum restore_policy existing;
	int dry_run;              /* creates are sent with dryRun=All */
	int64_t crd_wait_ms;      /* default 60000 */
};

enum restore_result {
	RESTORE_RES_PENDING = 0,
	RESTORE_RES_CREATED,
	RESTORE_RES_EXISTS,       /* left alone, same as the backup */
	RESTORE_RES_EXISTS_DIFF,  /* left alone, differs (warning) */
	RESTORE_RES_UPDATED,      /* policy update */
	RESTORE_RES_SKIPPED,      /* restore_item_verdict said so */
	RESTORE_RES_FAILED,
};

struct restore_entry {
	char *group_resource;
	char *ns, *name, *kind, *api_version;
	size_t index;             /* item in the source */
	cJSON *obj;               /* sanitised, only while its chunk is written */
	enum restore_skip skip;
	enum restore_result result;
	char *error;
};

struct restore_run {
	struct restore_entry *entries; /* in restore order */
	size_t n;
	size_t counts[RESTORE_RES_FAILED + 1];
	int64_t duration_ms;
};

/* Plans every item of src (two reads of each: uids first, then verdicts). */
int restore_build(const struct restore_source *src, const struct restore_exec_opts *o,
		  struct restore_run **out, struct kerr *e);
/* Writes the plan, reading each object once more as its chunk is written. */
int restore_execute(struct kube_client *kc, struct restore_run *r, const struct restore_source *src,
		    const struct restore_exec_opts *o, struct kerr *e);
int restore_report_text(const struct restore_run *r, int verbose, struct kbuf *out);
cJSON *restore_report_json(const struct restore_run *r);
void restore_run_free(struct restore_run *r);

#endif
