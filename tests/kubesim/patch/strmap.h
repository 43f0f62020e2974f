/*
 * strmap.h — a string-keyed hash map for the patch library's lookups (list
 * items by merge key, object members by name, set members by value), so that
 * merging large lists stays linear. Internal to tests/kubesim/patch/.
 *
 * Keys are copied; values are borrowed pointers the map never frees.
 */
#ifndef KUBESIM_PATCH_STRMAP_H
#define KUBESIM_PATCH_STRMAP_H

#include <stddef.h>

struct kstrmap;

/* NULL on ENOMEM. hint: expected number of keys. */
struct kstrmap *kstrmap_new(size_t hint);
void kstrmap_free(struct kstrmap *m);
/* Inserts or replaces; 0 or KAIRN_ENOMEM. */
int kstrmap_put(struct kstrmap *m, const char *key, void *val);
/* Inserts only when absent: 1 inserted, 0 already present, KAIRN_ENOMEM. */
int kstrmap_add(struct kstrmap *m, const char *key, void *val);
/* The value, or NULL when absent (so do not store NULL values). */
void *kstrmap_get(const struct kstrmap *m, const char *key);
/* Removes key if present. */
void kstrmap_del(struct kstrmap *m, const char *key);
size_t kstrmap_len(const struct kstrmap *m);

#endif
