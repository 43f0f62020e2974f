/*
 * manifest.h — load a directory of Kubernetes manifests into a set of
 * validated objects (struct kobj_set), with the file and line of each.
 *
 * What is loaded: regular files ending .yaml, .yml or .json (case as written,
 * as kubectl), in kubectl's order (names sorted byte-wise within each
 * directory, a directory's files where its name sorts), documents in file
 * order. Skipped: names starting with '.'
 * (files and directories: .git, .github, .gitignore), every other extension
 * (scripts, READMEs), subdirectories unless opts->recursive, and whatever
 * the root's .kairnignore excludes (gitignore-style, see ignore.h).
 * Kustomize: a directory (the root, or a subdirectory when recursive) with a
 * kustomization.yaml/.yml/Kustomization file is one unit: it is rendered by
 * `kubectl kustomize DIR` (KAIRN_KUBECTL overrides the binary; a clear error
 * when there is none) and its files are not loaded one by one. Its objects'
 * file is DIR/kustomization.yaml and their lines are lines of the rendered
 * stream. Refused: a symlink that leaves the directory. Empty documents are
 * skipped; a "kind: ...List" with "items" is expanded into its items.
 *
 * Validation (client side, what the API server would reject anyway or what
 * kubectl's decoder refuses): apiVersion and kind are non-empty strings;
 * metadata is a mapping; metadata.name (or generateName) is a string in the
 * syntax the kind needs (DNS-1123 label for Namespace/Service, path segment
 * for RBAC and custom kinds, DNS-1123 subdomain otherwise); namespace is a
 * DNS-1123 label; labels and annotations are maps of strings with valid keys
 * (and label values); finalizers a list of strings; the same key twice
 * (group/kind/namespace/name) is an error naming both places.
 *
 * All errors of a directory are collected (not just the first) and the
 * load fails if there is any: a caller never gets a partial set.
 */
#ifndef KAIRN_MANIFEST_MANIFEST_H
#define KAIRN_MANIFEST_MANIFEST_H

#include <stddef.h>
#include "util/buf.h"
#include "util/err.h"
#include "util/kobj.h"

/* Every problem found, each "file:line:column: field: what". Owned by the caller
 * (manifest_diag_free). */
struct manifest_diag {
	char **errors;
	size_t nerrors;
	char **warnings; /* duplicate YAML keys, ... */
	size_t nwarnings;
	size_t lost;     /* messages that could not be stored (out of memory) */
};

struct manifest_opts {
	int recursive;               /* descend into subdirectories */
	/* optional: files are named display_dir + "/" + their path relative
	 * to dir ("" = the relative path alone) in messages and kobj->file,
	 * e.g. a Git checkout's files by their path in the repository */
	const char *display_dir;
	struct manifest_diag *diag;  /* optional: receives every error and warning;
				      * without it warnings are logged */
};

/* Loads dir. On success *out is a new set (caller frees). On failure *out is
 * NULL, e holds the errors (as many as fit, then "... and N more") and
 * opts->diag, if given, all of them. Error paths are dir + "/" + relative. */
int manifest_load_dir(const char *dir, const struct manifest_opts *opts, struct kobj_set **out,
		      struct kerr *e);

/* Decodes and validates one file's content into set (name is used for
 * messages and kobj->file). Errors are appended to diag; returns the number
 * of errors found (0 = all objects added), or KAIRN_ENOMEM. */
int manifest_load_buf(const char *name, const char *buf, size_t len, struct kobj_set *set,
		      struct manifest_diag *diag);

/* Validates one object (root of a document); errors go to diag with file
 * and the lines from doc. Returns the number of errors. */
struct ydoc;
int manifest_validate(const cJSON *obj, const struct ydoc *doc, const char *file,
		      struct manifest_diag *diag);

/* Sets metadata.namespace = ns on every namespaced object without one, as
 * kubectl does with the context's namespace. Scope comes from a table of
 * built-in kinds and from CustomResourceDefinitions in the set; a kind of
 * unknown scope is left alone and reported once in diag's warnings. */
int manifest_default_namespace(struct kobj_set *set, const char *ns, struct manifest_diag *diag,
			       struct kerr *e);

/* Printing as `kubectl create --dry-run=client -o json|yaml` does: keys
 * sorted, Go's JSON (4-space indent, HTML-safe escapes) or go-yaml v2 YAML.
 * One object per call; kubectl separates YAML objects with "---". */
int manifest_print_json(const cJSON *obj, struct kbuf *out);
int manifest_print_yaml(const cJSON *obj, struct kbuf *out);
/* Every object of set in order, as kubectl prints several: JSON objects one
 * after another, YAML documents separated by "---". */
int manifest_print_set(const struct kobj_set *set, int json, struct kbuf *out);

void manifest_diag_free(struct manifest_diag *d);

#endif
