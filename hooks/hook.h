/*
 * hook.h — which manifests are hooks, for which phase, in what order and
 * with what delete policy (DESIGN §5). Pure parsing of annotations; running
 * hooks is hooks/run.c's job.
 *
 * Three dialects are understood, in this precedence (the first present wins,
 * as Argo CD ignores Helm's annotations when its own are present):
 *   kairn.dev/hook            pre-sync | sync | post-sync | sync-fail | skip
 *   argocd.argoproj.io/hook   PreSync | Sync | PostSync | SyncFail | Skip
 *   helm.sh/hook              pre-install, pre-upgrade -> pre-sync;
 *                             post-install, post-upgrade -> post-sync;
 *                             other Helm hooks (pre-delete, test, ...) are
 *                             hooks no sync phase runs.
 * Each value may be a comma-separated list. Weight: kairn.dev/hook-weight,
 * else argocd.argoproj.io/sync-wave, else helm.sh/hook-weight (integer,
 * default 0). Delete policy: kairn.dev/hook-delete-policy,
 * argocd.argoproj.io/hook-delete-policy or helm.sh/hook-delete-policy
 * (default before-hook-creation). Timeout: kairn.dev/hook-timeout (Go
 * duration, default 10m).
 */
#ifndef KAIRN_HOOKS_HOOK_H
#define KAIRN_HOOKS_HOOK_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

enum hook_phase {
	HOOK_PHASE_PRE_SYNC = 1 << 0,
	HOOK_PHASE_SYNC = 1 << 1,
	HOOK_PHASE_POST_SYNC = 1 << 2,
	HOOK_PHASE_SYNC_FAIL = 1 << 3,
	HOOK_PHASE_SKIP = 1 << 4,        /* never applied (Argo CD Skip) */
	HOOK_PHASE_UNSUPPORTED = 1 << 5, /* a hook, but of a phase sync never runs */
};

enum hook_delete_policy {
	HOOK_DELETE_BEFORE_CREATION = 1 << 0,
	HOOK_DELETE_ON_SUCCESS = 1 << 1,
	HOOK_DELETE_ON_FAILURE = 1 << 2,
};

#define HOOK_DEFAULT_TIMEOUT_MS (10 * 60 * 1000)

struct hook_spec {
	unsigned phases;        /* enum hook_phase bits; 0 = not a hook */
	int weight;
	unsigned delete_policy; /* enum hook_delete_policy bits */
	int64_t timeout_ms;
	const char *dialect;    /* the annotation that made it a hook */
};

/* Reads obj's hook annotations. Returns 0 (spec->phases == 0 when obj is not
 * a hook) or KAIRN_EINVAL naming the annotation and value it cannot read. */
int hook_spec_of(const cJSON *obj, struct hook_spec *spec, struct kerr *e);

/* hook_spec_of for an object loaded from file at line: an error names the
 * place and the object, "file:line: Job ns/name: metadata.annotations[...]". */
int hook_spec_at(const cJSON *obj, const char *file, int line, struct hook_spec *spec,
		 struct kerr *e);

/* A duration as people write it: "500ms", "45s", "10m", "1m30s", "2h". */
void hook_format_duration(int64_t ms, char *out, size_t outlen);

/* "pre-sync", "sync", "post-sync", "sync-fail" for one phase bit. */
const char *hook_phase_name(enum hook_phase p);

#endif
