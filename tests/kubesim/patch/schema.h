/*
 * schema.h — the little of the Kubernetes schema that merging needs: which
 * lists are keyed (and by what), which are sets of primitives, which objects
 * are maps owned as a whole. One data table serves strategic merge patch
 * (patchMergeKey/patchStrategy) and server-side apply (listType/listMapKey),
 * since the two disagree only on a few keys (ports add protocol under SSA).
 *
 * Types are named nodes ("PodSpec", "Container"); a field row maps
 * (parent type, field name) to the value's type and list semantics. Anything
 * not in the table is a plain object or an atomic list.
 */
#ifndef KUBESIM_PATCH_SCHEMA_H
#define KUBESIM_PATCH_SCHEMA_H

enum kschema_list {
	KS_LIST_ATOMIC = 0, /* replaced whole (also the default for unknown lists) */
	KS_LIST_MAP,        /* items are objects identified by key fields */
	KS_LIST_SET,        /* items are distinct primitives */
};

enum kschema_flag {
	KS_RETAIN_KEYS = 1 << 0, /* strategic patchStrategy retainKeys */
	KS_MAP_LIKE = 1 << 1,    /* object with arbitrary keys (labels): owned itself too */
	KS_ATOMIC_OBJ = 1 << 2,  /* object replaced and owned whole under SSA */
};

#define KSCHEMA_MAX_KEYS 2

struct kschema_field {
	const char *parent; /* type holding the field */
	const char *field;
	const char *type;   /* type of the value, or of the list's items; NULL unknown */
	enum kschema_list list;
	const char *smp_key; /* strategic merge key of a KS_LIST_MAP (NULL: replace under SMP) */
	const char *ssa_keys[KSCHEMA_MAX_KEYS];     /* SSA listMapKeys */
	const char *ssa_defaults[KSCHEMA_MAX_KEYS]; /* value assumed when a key is absent */
	unsigned flags;
};

/* Root type of an object of group ("" = core) / kind: a built-in type name,
 * or "CustomResource" (only ObjectMeta known) when builtin is 0. */
const char *kschema_root(const char *group, const char *kind, int *builtin);

/* The row for field of parent type, following base types; NULL if unknown. */
const struct kschema_field *kschema_lookup(const char *parent, const char *field);

/* Group part of an apiVersion ("apps/v1" → "apps", "v1" → ""), written into buf. */
const char *kschema_group_of(const char *api_version, char *buf, unsigned size);

#endif
