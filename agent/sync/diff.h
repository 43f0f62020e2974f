/*
 * diff.h — does a live object differ from what Git wants? (DESIGN §4 step 3)
 *
 * The comparison is one-sided: every field the desired object sets must have
 * an equal value in live; fields only live has (defaults, status, fields other
 * managers own) are ignored. Equal means: same JSON, or both parse as the
 * same quantity ("500m" == 0.5, "8080" == 8080). Keyed lists (containers by
 * name, ports by port, env by name, ...) match element by key, so a sidecar
 * injected into live is not a difference; other lists must match in length.
 * Fields that live's managedFields say `manager` applied but desired no
 * longer sets count as a difference: applying again removes them.
 * Never mutates its inputs.
 */
#ifndef KAIRN_SYNC_DIFF_H
#define KAIRN_SYNC_DIFF_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/buf.h"

struct sync_diff_opts {
	const char *manager;             /* field manager whose dropped fields count; NULL: skip */
	const char *const *ignore_paths; /* JSON pointers never compared, e.g. "/spec/replicas" */
	size_t n_ignore_paths;
};

struct sync_diff_result {
	int differs;
	size_t n_paths;     /* how many differing paths were found */
	struct kbuf paths;  /* the first few, one per line: "/spec/replicas: 3 -> 5" */
};

/* Returns 1 when live differs, 0 when not, KAIRN_ENOMEM on failure. r is
 * optional; when given, the caller frees it with sync_diff_result_free. */
int sync_diff(const cJSON *desired, const cJSON *live, const struct sync_diff_opts *o,
	      struct sync_diff_result *r);

void sync_diff_result_free(struct sync_diff_result *r);

/* A Secret's stringData is write-only: the API server folds it into data
 * (base64) and never returns it. Does the same to obj, in place. */
int sync_fold_string_data(cJSON *obj);

/* The part of live that desired speaks about: the same shape as desired,
 * with live's values (keyed list items matched by key). What a diff should
 * show, without server defaults and other managers' fields. Caller frees. */
cJSON *sync_project_live(const cJSON *desired, const cJSON *live);

/* Reads kairn.dev/ignore-paths ("/spec/replicas,/metadata/annotations/x")
 * from obj into a NULL-terminated array of malloc'd strings (caller frees
 * each and the array). Returns the count, or KAIRN_ENOMEM. */
int sync_ignore_paths_of(const cJSON *obj, char ***out);

#endif
