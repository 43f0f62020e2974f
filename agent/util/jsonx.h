/*
 * jsonx.h — small helpers over cJSON for reading Kubernetes objects.
 *
 * Paths are dotted ("metadata.name", "spec.template.metadata.labels"); a key
 * containing a dot cannot be addressed this way (use cJSON directly).
 */
#ifndef KAIRN_UTIL_JSONX_H
#define KAIRN_UTIL_JSONX_H

#include <cjson/cJSON.h>

/* The node at a dotted path, or NULL. */
cJSON *jsonx_get(const cJSON *obj, const char *path);
/* The string at path, or NULL if absent or not a string. */
const char *jsonx_str(const cJSON *obj, const char *path);
/* The number at path as long, or def. */
long jsonx_long(const cJSON *obj, const char *path, long def);
/* Returns the object at path, creating empty objects along the way. NULL on
 * ENOMEM or when a non-object is in the way. */
cJSON *jsonx_ensure_obj(cJSON *obj, const char *path);
/* Replaces (or adds) key in obj with item; takes ownership of item. */
int jsonx_set(cJSON *obj, const char *key, cJSON *item);
/* RFC 6901 JSON pointer ("/spec/template/spec/containers/0/image", "~1" for
 * '/', "~0" for '~'). _get returns the node or NULL; _remove deletes it and
 * returns 1, or 0 when there was nothing to remove. */
cJSON *jsonx_pointer_get(const cJSON *root, const char *ptr);
int jsonx_pointer_remove(cJSON *root, const char *ptr);

/* Compact serialisation; caller frees with free(). */
char *jsonx_print(const cJSON *obj);

#endif
