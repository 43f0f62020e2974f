/*
 * patch.h — kubesim's object-merging semantics, as pure functions over cJSON:
 * JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch
 * (Kubernetes' list merge keys and $-directives), and server-side apply with
 * managedFields (fieldsV1) ownership and conflicts.
 *
 * Nothing here touches storage, HTTP or the clock beyond what is passed in;
 * the server (tests/kubesim/ sources) owns objects and calls these.
 * Every function leaves its inputs unchanged and returns a new object through
 * *out; on failure *out is NULL and e says why (e->code: KAIRN_EINVAL for a
 * malformed patch → 400/422, KAIRN_ECONFLICT for SSA conflicts → 409,
 * KAIRN_EUNSUPPORTED for strategic merge on an unknown type → 415).
 */
#ifndef KUBESIM_PATCH_H
#define KUBESIM_PATCH_H

#include <cjson/cJSON.h>
#include "util/err.h"

/* RFC 6902. */
int kpatch_json(const cJSON *doc, const cJSON *patch, cJSON **out, struct kerr *e);

/* RFC 7386. */
int kpatch_merge(const cJSON *doc, const cJSON *patch, cJSON **out, struct kerr *e);

/* Strategic merge patch for a built-in type identified by group ("" = core)
 * and kind. Knows the merge keys kubectl relies on (containers by name, ports
 * by containerPort/port, env, volumes, volumeMounts by mountPath, ...),
 * $patch: delete|replace|merge, $setElementOrder/<f>, $retainKeys,
 * $deleteFromPrimitiveList/<f>, null-deletes. */
int kpatch_strategic(const cJSON *doc, const cJSON *patch, const char *group, const char *kind,
		     cJSON **out, struct kerr *e);

/* 1 if group/kind is a built-in type that accepts strategic merge patch. */
int kpatch_strategic_supported(const char *group, const char *kind);

/* A server-side apply request. */
struct kssa_req {
	const char *manager;     /* fieldManager (required) */
	const char *api_version; /* apiVersion of the applied config, recorded in managedFields */
	const char *subresource; /* NULL or "status" */
	int force;               /* force=true: take over conflicting fields */
	const char *now;         /* RFC 3339 time to stamp on changed entries */
};

/* Server-side apply of `applied` (the user's partial config) onto `live`
 * (NULL when the object does not exist yet). Computes the merged object,
 * its new metadata.managedFields, and removes fields this manager owned
 * before but no longer applies (unless co-owned). The schema (merge keys) is
 * chosen from applied's apiVersion/kind (live's if absent); unknown kinds get
 * only ObjectMeta's rules, every other list being atomic.
 * Not merged from `applied`: status (unless req->subresource is "status", in
 * which case only status is), metadata.managedFields/resourceVersion/uid/
 * creationTimestamp/generation (the server owns them; resourceVersion as a
 * precondition is the caller's business). metadata.managedFields in applied
 * is KAIRN_EINVAL ("metadata.managedFields must be nil"), as is an empty
 * manager. On conflict returns KAIRN_ECONFLICT with e->msg in the
 * apiserver's wording ("Apply failed with 1 conflict: conflict with \"m\"
 * using apps/v1 at T: .spec.replicas") and *conflicts (if non-NULL) set to an
 * array of {reason,message,field} causes (caller frees).
 * When the merge changes nothing, *out is an exact copy of live (managedFields
 * times untouched) so the caller can detect a no-op with kjson_equal(live, out). */
int kssa_apply(const cJSON *live, const cJSON *applied, const struct kssa_req *req, cJSON **out,
	       cJSON **conflicts, struct kerr *e);

/* Records an Update-operation write (create, PUT, non-apply PATCH) by
 * `manager`: fields that changed between old (NULL on create) and updated
 * become owned by manager (operation Update, one entry per
 * manager+apiVersion+subresource, stamped `now`) and are removed from other
 * managers' sets; managers left with nothing are dropped. Modifies updated's
 * metadata.managedFields in place. The starting entries are those in
 * updated (a client may rewrite managedFields, e.g. kubectl's CSA→SSA
 * upgrade JSON patch; [{}] resets them) or else old's. An unchanged write
 * leaves managedFields equal to old's, so kjson_equal(old, updated) still
 * detects the no-op. Call it after the server has dropped status changes
 * (or everything but status for subresource "status"). */
int kssa_track_update(const cJSON *old, cJSON *updated, const char *manager,
		      const char *api_version, const char *subresource, const char *now,
		      struct kerr *e);

/* Deep equality that ignores the order of object members (cJSON_Compare
 * also does, but scans quadratically); arrays compare in order, numbers by
 * value. Use it to detect no-op writes. */
int kjson_equal(const cJSON *a, const cJSON *b);

#endif
