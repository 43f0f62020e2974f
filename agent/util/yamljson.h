/*
 * yamljson.h — YAML 1.1 documents to cJSON, decoded the way kubectl decodes
 * them (see ../shared/design/yaml-decoding.md): kubectl's document splitting,
 * YAML 1.1 scalars (octal, 0x, booleans y/yes/on, nulls), keys stringified,
 * merge keys, anchors/aliases with an expansion budget, bounded depth.
 *
 * Shared by agent/manifest (manifests) and agent/kube (kubeconfig), so it
 * lives in util. Uses libyaml's event parser, never its document loader.
 * Positions: every decoded node's source line and column are kept in a
 * side table (struct ydoc_pos) so callers can report "file:line: field".
 */
#ifndef KAIRN_UTIL_YAMLJSON_H
#define KAIRN_UTIL_YAMLJSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/err.h"

struct ypos_map; /* opaque: cJSON node -> (line, column) */

struct ydoc {
	cJSON *root;          /* the document (NULL for an empty document) */
	int line;             /* 1-based file line where the document starts */
	struct ypos_map *pos; /* positions of the nodes under root */
};

struct ydoc_list {
	struct ydoc *docs;
	size_t n;
};

/* Decodes every document in buf (a whole file; name is used in messages).
 * On error returns KAIRN_EPARSE with "name:line:col: what" in e and nothing
 * in *out. Files whose first non-space byte is '{' or '[' are read as JSON
 * (concatenated values allowed). */
int yaml_decode_all(const char *buf, size_t len, const char *name, struct ydoc_list *out,
		    struct kerr *e);

/* Line of a node inside doc (the document's start line if unknown). */
int ydoc_line(const struct ydoc *doc, const cJSON *node);

void ydoc_list_free(struct ydoc_list *l);

#endif
