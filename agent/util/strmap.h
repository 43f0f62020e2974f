/*
 * strmap.h — a string-keyed hash map (open addressing, linear probing,
 * FNV-1a). Keys are copied; values are borrowed pointers the caller owns.
 * Used for object sets keyed by "group/kind/namespace/name", where sizes
 * reach tens of thousands and linear scans would be quadratic.
 * Not thread-safe: callers that share one across threads lock around it.
 */
#ifndef KAIRN_UTIL_STRMAP_H
#define KAIRN_UTIL_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
/* A map sized for about hint keys without growing (NULL on ENOMEM). */
struct strmap *strmap_new_sized(size_t hint);
/* Frees the map and its key copies; values are the caller's. */
void strmap_free(struct strmap *m);

/* Inserts or replaces. Returns 0 or KAIRN_ENOMEM. *old (may be NULL) gets the
 * replaced value, or NULL when the key was new. */
int strmap_put(struct strmap *m, const char *key, void *value, void **old);
/* Inserts only when key is absent: 1 inserted, 0 already there (value
 * unchanged), or KAIRN_ENOMEM. */
int strmap_add(struct strmap *m, const char *key, void *value);
void *strmap_get(const struct strmap *m, const char *key);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
size_t strmap_len(const struct strmap *m);

/* Iteration: for (size_t i = 0; strmap_next(m, &i, &k, &v);) ... Order is
 * unspecified. Do not modify the map while iterating. */
int strmap_next(const struct strmap *m, size_t *iter, const char **key, void **value);
/* Calls fn for every entry, in unspecified order; fn must not modify the map. */
void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *value, void *arg), void *arg);

#endif
