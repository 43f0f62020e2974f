/*
 * gz.c — Go-compatible gzip framing over zlib raw deflate (see gz.h).
 * Never: seeks, or holds more than one output chunk.
 */
#include "backup/gz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/err.h"

#define GZ_CHUNK 65536

struct gz_writer {
	FILE *fp;
	z_stream zs;
	uLong crc;
	uLong isize; /* modulo 2^32, as the trailer wants */
	int finished;
	unsigned char out[GZ_CHUNK];
};

static int put_bytes(struct gz_writer *g, const void *p, size_t n, struct kerr *e)
{
	if (n && fwrite(p, 1, n, g->fp) != n)
		return kerr_set(e, KAIRN_EIO, "writing gzip stream: %s", strerror(errno));
	return 0;
}

int gz_writer_new(FILE *fp, struct gz_writer **out, struct kerr *e)
{
	static const unsigned char hdr[10] = { 0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff };
	struct gz_writer *g = calloc(1, sizeof(*g));
	int rc;

	*out = NULL;
	if (!g)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	g->fp = fp;
	g->crc = crc32(0L, Z_NULL, 0);
	if (deflateInit2(&g->zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return kerr_set(e, KAIRN_ENOMEM, "deflateInit2 failed");
	}
	rc = put_bytes(g, hdr, sizeof(hdr), e);
	if (rc) {
		gz_writer_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

static int pump(struct gz_writer *g, int flush, struct kerr *e)
{
	int zrc;

	do {
		g->zs.next_out = g->out;
		g->zs.avail_out = GZ_CHUNK;
		zrc = deflate(&g->zs, flush);
		if (zrc == Z_STREAM_ERROR)
			return kerr_set(e, KAIRN_EIO, "deflate failed");
		if (put_bytes(g, g->out, GZ_CHUNK - g->zs.avail_out, e))
			return e ? e->code : KAIRN_EIO;
	} while (g->zs.avail_out == 0 || (flush == Z_FINISH && zrc != Z_STREAM_END));
	return 0;
}

int gz_writer_write(struct gz_writer *g, const void *data, size_t len, struct kerr *e)
{
	const unsigned char *p = data;

	if (g->finished)
		return kerr_set(e, KAIRN_EINVAL, "gzip stream already finished");
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		int rc;

		g->crc = crc32(g->crc, p, n);
		g->isize += n;
		g->zs.next_in = (Bytef *)p;
		g->zs.avail_in = n;
		rc = pump(g, Z_NO_FLUSH, e);
		if (rc)
			return rc;
		p += n;
		len -= n;
	}
	return 0;
}

int gz_writer_finish(struct gz_writer *g, struct kerr *e)
{
	unsigned char tr[8];
	int rc;

	if (g->finished)
		return 0;
	g->zs.next_in = NULL;
	g->zs.avail_in = 0;
	rc = pump(g, Z_FINISH, e);
	if (rc)
		return rc;
	for (int i = 0; i < 4; i++) {
		tr[i] = (unsigned char)((g->crc >> (8 * i)) & 0xff);
		tr[4 + i] = (unsigned char)((g->isize >> (8 * i)) & 0xff);
	}
	rc = put_bytes(g, tr, sizeof(tr), e);
	if (rc == 0)
		g->finished = 1;
	return rc;
}

void gz_writer_free(struct gz_writer *g)
{
	if (!g)
		return;
	deflateEnd(&g->zs);
	free(g);
}

int gz_write_file(const char *path, const void *data, size_t len, struct kerr *e)
{
	char *tmp = NULL;
	FILE *fp = NULL;
	struct gz_writer *g = NULL;
	int rc;

	if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	fp = fopen(tmp, "wb");
	if (!fp) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = gz_writer_new(fp, &g, e);
	if (rc == 0)
		rc = gz_writer_write(g, data, len, e);
	if (rc == 0)
		rc = gz_writer_finish(g, e);
	if (rc == 0 && (fflush(fp) != 0 || fsync(fileno(fp)) != 0))
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
	if (fclose(fp) != 0 && rc == 0)
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
	fp = NULL;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = kerr_set(e, KAIRN_EIO, "rename %s: %s", path, strerror(errno));
out:
	if (rc && tmp)
		unlink(tmp);
	gz_writer_free(g);
	free(tmp);
	if (rc)
		kerr_prefix(e, "%s", path);
	return rc;
}
