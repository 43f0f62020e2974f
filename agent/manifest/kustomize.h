/*
 * kustomize.h — render a kustomization directory with `kubectl kustomize`
 * (the loader's only use of an external program).
 */
#ifndef KAIRN_MANIFEST_KUSTOMIZE_H
#define KAIRN_MANIFEST_KUSTOMIZE_H

#include <stddef.h>

struct kerr;

/* Runs `$KAIRN_KUBECTL kustomize DIR` (default "kubectl" on PATH) and
 * returns its stdout in *out (malloc'd, NUL-terminated, *len bytes). Errors:
 * KAIRN_ENOTFOUND when kubectl cannot be run (the message says how to fix
 * it), KAIRN_EINVAL with kubectl's last stderr line when it fails,
 * KAIRN_ETIMEOUT after 120 s (kubectl is killed). */
int manifest_kustomize(const char *dir, char **out, size_t *len, struct kerr *e);

#endif
