/*
 * fsutil.h — whole-file reads and crash-safe writes.
 *
 * fs_write_atomic writes to "<path>.tmp-<pid>" and renames, so a reader never
 * sees a half-written file (backups, port files, kubeconfigs).
 */
#ifndef KAIRN_UTIL_FSUTIL_H
#define KAIRN_UTIL_FSUTIL_H

#include <stddef.h>

struct kerr;

/* Reads a whole file into a malloc'd NUL-terminated buffer. */
int fs_read_all(const char *path, char **out, size_t *out_len, struct kerr *e);
int fs_write_atomic(const char *path, const void *data, size_t len, int mode, struct kerr *e);
/* Removes the files in dir, then dir (temp dirs of one level; best effort). */
void fs_remove_flat_dir(const char *dir);
/* mkdir -p */
int fs_mkdir_p(const char *path, int mode, struct kerr *e);

#endif
