/*
 * gzip.c — see gzip.h. The gzip header is zlib's default (no name, MTIME 0).
 */
#include "gzip.h"
#include "buf.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int gzip_compress(const void *in, size_t len, unsigned char **out, size_t *out_len, struct kerr *e)
{
	z_stream zs;
	uLong bound;
	unsigned char *buf;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return kerr_set(e, KAIRN_ENOMEM, "gzip: cannot initialise zlib");
	bound = deflateBound(&zs, (uLong)len);
	buf = malloc(bound);
	if (!buf) {
		deflateEnd(&zs);
		return kerr_set(e, KAIRN_ENOMEM, "gzip: out of memory");
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = buf;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return kerr_set(e, KAIRN_EIO, "gzip: deflate failed (%d)", rc);
	}
	*out = buf;
	*out_len = zs.total_out;
	return 0;
}

int gzip_decompress(const void *in, size_t len, size_t max_out, unsigned char **out,
		    size_t *out_len, struct kerr *e)
{
	struct kbuf b = { 0 };
	unsigned char chunk[16384];
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return kerr_set(e, KAIRN_ENOMEM, "gunzip: cannot initialise zlib");
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) {
			rc = kerr_set(e, KAIRN_EPARSE, "gunzip: corrupt data (%s)", zs.msg ? zs.msg : "error");
			goto fail;
		}
		if (kbuf_append(&b, chunk, sizeof(chunk) - zs.avail_out)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "gunzip: out of memory");
			goto fail;
		}
		if (b.len > max_out) {
			rc = kerr_set(e, KAIRN_EPARSE, "gunzip: data inflates past %zu bytes", max_out);
			goto fail;
		}
		if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
			rc = kerr_set(e, KAIRN_EPARSE, "gunzip: truncated data");
			goto fail;
		}
	} while (rc != Z_STREAM_END);
	inflateEnd(&zs);
	*out_len = b.len;
	*out = (unsigned char *)kbuf_steal(&b);
	return *out ? 0 : kerr_set(e, KAIRN_ENOMEM, "gunzip: out of memory");
fail:
	inflateEnd(&zs);
	kbuf_free(&b);
	return rc;
}
