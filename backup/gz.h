/*
 * gz.h — a streaming gzip writer that produces one member with the header Go's
 * compress/gzip writes (1f8b 0800 00000000 00 ff: no name, MTIME 0, XFL 0,
 * OS 255), over zlib's raw deflate at level 6 (Go's default).
 *
 * Owns: the gzip framing of the tarball and of every *.gz sidecar.
 * Never: buffers a whole stream (memory is zlib's window plus one chunk).
 * The deflate bytes differ from Go's compress/flate (another implementation);
 * any gzip reader, Velero's included, reads both.
 */
#ifndef KAIRN_BACKUP_GZ_H
#define KAIRN_BACKUP_GZ_H

#include <stddef.h>
#include <stdio.h>

struct kerr;
struct gz_writer;

/* Starts a gzip stream on fp (not closed by gz). */
int gz_writer_new(FILE *fp, struct gz_writer **out, struct kerr *e);
int gz_writer_write(struct gz_writer *g, const void *data, size_t len, struct kerr *e);
/* Flushes deflate and writes the CRC32/ISIZE trailer. */
int gz_writer_finish(struct gz_writer *g, struct kerr *e);
void gz_writer_free(struct gz_writer *g);

/* Writes data gzipped to path via a temp file + rename (fs_write_atomic rules). */
int gz_write_file(const char *path, const void *data, size_t len, struct kerr *e);

#endif
