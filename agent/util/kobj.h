/*
 * kobj.h — a Kubernetes object as plain data passed between stages
 * (manifest -> sync plan -> apply/prune/inventory), and a hash set of them
 * keyed by identity.
 *
 * Identity (DESIGN §3): key = "group/kind/namespace/name", core group empty,
 * e.g. "apps/Deployment/platform/api", "/Namespace//platform". An object
 * with only metadata.generateName has name "" and the key name part
 * "<generateName>*" ('*' is never valid in a name, so it cannot collide).
 *
 * The set owns the kobjs added to it, keeps insertion order (callers insert
 * in a deterministic order) and finds by key in O(1). It never copies the
 * cJSON objects.
 */
#ifndef KAIRN_UTIL_KOBJ_H
#define KAIRN_UTIL_KOBJ_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/err.h"

struct kobj {
	cJSON *obj;          /* the whole object (owned); NULL while compacted */
	char *json;          /* compact JSON text while compacted, else NULL */
	char *api_version;   /* "apps/v1" */
	char *group;         /* "apps"; "" for the core group */
	char *version;       /* "v1" */
	char *kind;
	char *namespace;     /* "" when metadata.namespace is absent */
	char *name;          /* "" when only generateName is set */
	char *generate_name; /* NULL unless set */
	char *key;           /* group/kind/namespace/name */
	char *file;          /* source file ("" if none) */
	int line;            /* line of the object in file (0 if none) */
	int doc_index;       /* document index within file */
};

/* Builds a kobj from obj (taking ownership of obj, also on failure). obj must
 * already have string apiVersion and kind and metadata.name or generateName
 * (the manifest loader validates; other callers too). */
int kobj_new(cJSON *obj, const char *file, int line, struct kobj **out, struct kerr *e);
/* Changes the namespace (e.g. defaulting) and rebuilds key and the object's
 * metadata.namespace. ns "" removes it. If k is in a set, call
 * kobj_set_reindex afterwards. */
int kobj_set_namespace(struct kobj *k, const char *ns, struct kerr *e);
void kobj_free(struct kobj *k);
/* Trades the tree for compact JSON text, about a fifth of its memory (a
 * cJSON node is 64 bytes plus its strings); kobj_expand gives the tree back.
 * Both return 0 or KAIRN_ENOMEM (k unchanged then); either is a no-op when
 * k is already in that form. The metadata fields above stay as they are. */
int kobj_compact(struct kobj *k);
int kobj_expand(struct kobj *k);

/* "group/kind/namespace/name" in a malloc'd string (NULL on ENOMEM). */
char *kobj_key_make(const char *group, const char *kind, const char *ns, const char *name);
/* Splits "apps/v1" or "v1" into group and version (malloc'd). */
int kobj_split_api_version(const char *api_version, char **group, char **version);

struct kobj_set;

int kobj_set_new(struct kobj_set **out);
/* Adds k (the set takes ownership). If the key is already there, returns
 * KAIRN_ECONFLICT, leaves k with the caller and points *existing at the
 * object already in the set (existing may be NULL). */
int kobj_set_add(struct kobj_set *s, struct kobj *k, const struct kobj **existing);
struct kobj *kobj_set_get(const struct kobj_set *s, const char *key);
/* From now on, kobj_set_add compacts what it adds (kobj_compact), except
 * CustomResourceDefinitions, whose scope readers look up often. For sets
 * of thousands of objects that are then read one at a time. */
void kobj_set_compact_on_add(struct kobj_set *s, int on);
/* Removes key and returns its kobj to the caller (NULL if absent). O(n):
 * keeps the order of the others. */
struct kobj *kobj_set_remove(struct kobj_set *s, const char *key);
/* Rebuilds the index after members' keys changed in place. If two members
 * now share a key, returns KAIRN_ECONFLICT with *a and *b set to them (the
 * index is then unusable until they are fixed and reindexed). */
int kobj_set_reindex(struct kobj_set *s, const struct kobj **a, const struct kobj **b);
size_t kobj_set_count(const struct kobj_set *s);
/* The i-th object in insertion order (i < count). */
struct kobj *kobj_set_at(const struct kobj_set *s, size_t i);
/* Frees the set and every kobj in it. */
void kobj_set_free(struct kobj_set *s);

#endif
