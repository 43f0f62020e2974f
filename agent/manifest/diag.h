/*
 * diag.h — private to agent/manifest: appending to a struct manifest_diag.
 * Allocation failures while recording a message are remembered in the diag
 * (oom) and turned into KAIRN_ENOMEM by the loader; they never lose the
 * fact that an error happened.
 */
#ifndef KAIRN_MANIFEST_DIAG_H
#define KAIRN_MANIFEST_DIAG_H

#include "manifest.h"

void diag_error(struct manifest_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning(struct manifest_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes ownership of msg (may be NULL on ENOMEM). */
void diag_add(char ***list, size_t *n, char *msg);

#endif
