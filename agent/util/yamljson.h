/*
 * yamljson.h — YAML 1.1 documents to cJSON, decoded the way kubectl decodes
 * them (see ../shared/design/yaml-decoding.md): kubectl's document splitting,
 * YAML 1.1 scalars (octal, 0x, booleans y/yes/on, nulls), keys stringified,
 * merge keys, anchors/aliases with an expansion budget, bounded depth.
 *
 * Shared by agent/manifest (manifests) and agent/kube (kubeconfig), so it
 * lives in util. Uses libyaml's event parser, never its document loader.
 * Positions: every decoded node's source line and column are kept in a
 * side table (struct ypos_map) so callers can report "file:line: field".
 * A map value's position is its key's; a sequence item's is its own start.
 *
 * Numbers: a number kubectl would print differently from cJSON (integers
 * with 16 or more digits, floats such as 1e21 or 1.5e-7) is a cJSON_Raw node
 * holding the exact text kubectl prints ("12345678901234567", "1e+21"), so
 * large integers are never rounded through a double. Every other number is
 * a plain cJSON number. Readers that need a numeric value from a raw node
 * parse valuestring themselves; cJSON prints raw nodes verbatim.
 *
 * libyaml vs go-yaml: "\'" inside double quotes (go-yaml reads "'") is
 * accepted with a warning, like kubectl; "\/" and "?" in flow sequences,
 * which go-yaml refuses, are accepted (kairn is the more lenient there).
 *
 * Never: convert timestamps, accept .inf/.nan (JSON has no such numbers),
 * silently drop content (text after "..." without "---" is an error), or
 * recurse without bound (nesting is capped at YAML_MAX_DEPTH, alias expansion
 * at YAML_ALIAS_BUDGET nodes beyond the file's own node count).
 */
#ifndef KAIRN_UTIL_YAMLJSON_H
#define KAIRN_UTIL_YAMLJSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/err.h"

/* Deepest nesting accepted. cJSON's own parser stops at 1000 too, so every
 * decoded document can be printed and parsed back by cJSON. */
#define YAML_MAX_DEPTH 1000
/* Nodes that alias expansion may add on top of 4x the nodes written in the
 * file: ordinary merge-key reuse stays far below; a billion-laughs file
 * fails after a few milliseconds. */
#define YAML_ALIAS_BUDGET 100000

struct ypos_map; /* opaque: cJSON node -> (line, column) */

struct ydoc {
	cJSON *root;          /* the document (NULL for an empty document) */
	int line;             /* 1-based file line where the document starts */
	struct ypos_map *pos; /* positions of the nodes under root */
};

struct ydoc_list {
	struct ydoc *docs;
	size_t n;
	/* Things kubectl accepts silently but a user should hear about, e.g.
	 * "a.yaml:9:3: duplicate key \"data\" (first at line 4:1); the last one
	 * wins". Owned by the list. */
	char **warnings;
	size_t nwarnings;
};

/* Decodes every document in buf (a whole file; name is used in messages).
 * On error returns KAIRN_EPARSE (KAIRN_ENOMEM) with "name:line:col: what" in
 * e and nothing in *out. Documents are split like kubectl does (a line
 * starting "---"); an empty document is kept with root NULL so that indexes
 * match the file. A file whose first non-space byte is '{' is read as JSON
 * (concatenated objects allowed). A UTF-8 or UTF-16 BOM is accepted. */
int yaml_decode_all(const char *buf, size_t len, const char *name, struct ydoc_list *out,
		    struct kerr *e);

/* Line of a node inside doc (the document's start line if unknown). */
int ydoc_line(const struct ydoc *doc, const cJSON *node);
/* Line and column of a node; returns 0, or -1 (and the document's start
 * line, column 1) when the node has no recorded position. */
int ydoc_pos(const struct ydoc *doc, const cJSON *node, int *line, int *col);

void ydoc_list_free(struct ydoc_list *l);

/* Go's number formatting, for printers that must match kubectl's output.
 * yaml_go_json_number: encoding/json's float64 text ("1000", "1e+21",
 * "1.5e-7"). yaml_go_float_g: strconv.FormatFloat(d, 'g', -1, bits), bits
 * 32 or 64 (go-yaml's float text, "1.5e-07"). Append to out; 0 or ENOMEM. */
struct kbuf;
int yaml_go_json_number(double d, struct kbuf *out);
int yaml_go_float_g(double d, int bits, struct kbuf *out);
/* 1 if s written as a plain scalar would read back as the string s (not a
 * bool, null, number, or a base-60 float go-yaml quotes), so an emitter may
 * leave it unquoted. */
int yaml_plain_is_string(const char *s);

#endif
