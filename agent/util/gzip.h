/*
 * gzip.h — whole-buffer gzip compress/decompress over zlib, for payloads that
 * are small enough to hold in memory (inventories, Velero sidecar files).
 * Streams (backup tarballs) go through libarchive instead.
 */
#ifndef KAIRN_UTIL_GZIP_H
#define KAIRN_UTIL_GZIP_H

#include <stddef.h>

struct kerr;

int gzip_compress(const void *in, size_t len, unsigned char **out, size_t *out_len, struct kerr *e);
/* Refuses to inflate past max_out bytes (a bound against gzip bombs). The
 * output gets a NUL after its last byte. */
int gzip_decompress(const void *in, size_t len, size_t max_out, unsigned char **out,
		    size_t *out_len, struct kerr *e);

#endif
