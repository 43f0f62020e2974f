/*
 * fieldset.h — sets of field paths, the ownership records of server-side
 * apply, as a tree that (de)serialises to the apiserver's FieldsV1 JSON:
 * {"f:spec":{"f:replicas":{},"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}}.
 * A node is a path element ("f:<field>", "k:<key json>", "v:<value json>",
 * "i:<index>"); `member` says the path ending there is itself in the set
 * (serialised as {} for leaves, "." beside children). Children are found
 * through a hash map once a node has many, so set algebra stays linear.
 * Internal to tests/kubesim/patch/.
 */
#ifndef KUBESIM_PATCH_FIELDSET_H
#define KUBESIM_PATCH_FIELDSET_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/strmap.h"

struct kfset {
	char *name; /* path element; NULL at the root */
	int member;
	struct kfset **kids;
	size_t n, cap;
	struct strmap *ix; /* name → kid, built once n grows */
};

struct kfset *kfset_new(void);
void kfset_free(struct kfset *s);
/* The child named name, or NULL. */
struct kfset *kfset_get(const struct kfset *s, const char *name);
/* The child named name, created when absent; NULL on ENOMEM. */
struct kfset *kfset_add(struct kfset *s, const char *name);
/* 1 when no path (member) is in the set. */
int kfset_empty(const struct kfset *s);
/* dst ∪= src. 0 or KAIRN_ENOMEM. */
int kfset_union(struct kfset *dst, const struct kfset *src);
/* dst −= src. recursive: a member of src also removes everything under it. */
void kfset_subtract(struct kfset *dst, const struct kfset *src, int recursive);
/* *out = a ∩ b (members present in both). 0 or KAIRN_ENOMEM. */
int kfset_intersect(const struct kfset *a, const struct kfset *b, struct kfset **out);
int kfset_equal(const struct kfset *a, const struct kfset *b);
/* Parses FieldsV1 (anything malformed is skipped). NULL on ENOMEM. */
struct kfset *kfset_from_json(const cJSON *f);
/* FieldsV1 with children in the apiserver's order. NULL on ENOMEM. */
cJSON *kfset_to_json(const struct kfset *s);

/* Calls fn for each member path rendered as in conflict messages
 * (.spec.replicas, [name="web"], [="x"], [3]), members of a node before its
 * children's, each level sorted. Stops at fn's first nonzero return. */
typedef int (*kfset_path_fn)(const char *path, void *arg);
int kfset_each_path(const struct kfset *s, kfset_path_fn fn, void *arg);

#endif
