/*
 * kjson.h — cJSON helpers shared inside the patch library: indexed member
 * lookup for large objects and canonical (key-sorted, compact) printing used
 * as hash keys for list items and set members. kjson_equal is public (patch.h).
 */
#ifndef KUBESIM_PATCH_KJSON_H
#define KUBESIM_PATCH_KJSON_H

#include <cjson/cJSON.h>

#include "util/strmap.h"

/* Member lookup that stays O(1) on large objects: build once with
 * kjson_index_new (NULL map for small objects, lookups then scan). */
struct kjson_index {
	const cJSON *obj;
	struct strmap *map;
};

/* 0 or KAIRN_ENOMEM. obj may be NULL or a non-object (then nothing is found). */
int kjson_index_init(struct kjson_index *ix, const cJSON *obj);
cJSON *kjson_index_get(const struct kjson_index *ix, const char *name);
void kjson_index_fini(struct kjson_index *ix);

/* Compact JSON with object keys sorted, malloc'd; NULL on ENOMEM. */
char *kjson_canon(const cJSON *v);

/* 1 if v is a string, number, bool or null. */
int kjson_is_scalar(const cJSON *v);

#endif
