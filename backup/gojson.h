/*
 * gojson.h — JSON encoding the way Velero's Go code writes it.
 *
 * Owns: turning a cJSON tree into the exact bytes Go's encoding/json produces
 * for an unstructured Kubernetes object (compact, map keys sorted bytewise,
 * `<` `>` `&` U+2028 U+2029 escaped), and the indented form used for
 * velero-backup.json (2 spaces, keys in the order the tree holds them).
 * Never: parses JSON (cJSON does) or touches files.
 *
 * Known difference from Go: cJSON keeps numbers as doubles, so an integer
 * beyond 2^53 loses precision before it reaches us. Kubernetes objects
 * practically never hold such numbers (resourceVersion is a string).
 */
#ifndef KAIRN_BACKUP_GOJSON_H
#define KAIRN_BACKUP_GOJSON_H

#include <cjson/cJSON.h>

struct kbuf;

enum {
	GOJSON_SORT_KEYS = 1 << 0, /* Go map semantics: keys sorted bytewise */
	GOJSON_INDENT = 1 << 1,    /* MarshalIndent(v, "", "  ") */
};

/* Appends the encoding of v to out. Returns 0, KAIRN_ENOMEM or KAIRN_EINVAL
 * (a NaN/Inf number, which Go refuses too). */
int gojson_encode(struct kbuf *out, const cJSON *v, int flags);

#endif
