/*
 * store_s3.c — the S3 implementation of the store vtable, over libcurl with
 * our own SigV4 (sigv4.h).
 *
 * Upload choice: every payload is signed (x-amz-content-sha256 = real hash,
 * never UNSIGNED-PAYLOAD), so plain-http endpoints stay tamper-evident. Files
 * up to multipart_threshold go as one PUT streamed from disk (hashed in a
 * first pass); larger ones as a multipart upload of part_size parts, each
 * read into one buffer, hashed and sent; a failed multipart upload is
 * aborted. Memory: one part at most.
 * S3 has no XML library among our dependencies: the few response fields we
 * need (Key, Prefix, IsTruncated, NextContinuationToken, UploadId, Code,
 * Message) are picked out by a small tag scanner with entity decoding.
 * Never: logs credentials or signatures; follows redirects.
 */
#include "backup/store.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/sigv4.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3_store {
	struct backup_store base;
	char *scheme;   /* "http" | "https" */
	char *host;     /* "127.0.0.1:4568" or "s3.us-east-1.amazonaws.com" */
	char *bucket, *prefix, *region; /* prefix "" or ending in '/' */
	char *ak, *sk, *token;
	char *ca_file;
	int path_style;
	size_t part_size, threshold;
};

/* ---- small XML field scanner ---- */

static int xml_unescape(struct kbuf *out, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (s[i] != '&') {
			rc = kbuf_putc(out, s[i]);
			continue;
		}
		if (!strncmp(s + i, "&amp;", 5))
			rc = kbuf_putc(out, '&'), i += 4;
		else if (!strncmp(s + i, "&lt;", 4))
			rc = kbuf_putc(out, '<'), i += 3;
		else if (!strncmp(s + i, "&gt;", 4))
			rc = kbuf_putc(out, '>'), i += 3;
		else if (!strncmp(s + i, "&quot;", 6))
			rc = kbuf_putc(out, '"'), i += 5;
		else if (!strncmp(s + i, "&apos;", 6))
			rc = kbuf_putc(out, '\''), i += 5;
		else if (s[i + 1] == '#') {
			char *end;
			long cp = s[i + 2] == 'x' ? strtol(s + i + 3, &end, 16) : strtol(s + i + 2, &end, 10);

			if (*end != ';' || cp <= 0 || cp > 0x10ffff)
				return KAIRN_EPARSE;
			if (cp < 0x80)
				rc = kbuf_putc(out, (char)cp);
			else if (cp < 0x800)
				rc = kbuf_printf(out, "%c%c", (char)(0xc0 | (cp >> 6)), (char)(0x80 | (cp & 0x3f)));
			else if (cp < 0x10000)
				rc = kbuf_printf(out, "%c%c%c", (char)(0xe0 | (cp >> 12)),
						 (char)(0x80 | ((cp >> 6) & 0x3f)), (char)(0x80 | (cp & 0x3f)));
			else
				rc = kbuf_printf(out, "%c%c%c%c", (char)(0xf0 | (cp >> 18)),
						 (char)(0x80 | ((cp >> 12) & 0x3f)),
						 (char)(0x80 | ((cp >> 6) & 0x3f)), (char)(0x80 | (cp & 0x3f)));
			i = (size_t)(end - s);
		} else {
			return KAIRN_EPARSE;
		}
	}
	return rc;
}

/* Finds the next <tag>text</tag> at or after *pos within [*pos, end);
 * on success appends the decoded text to out and moves *pos past it. */
static int xml_next(const char **pos, const char *end, const char *tag, struct kbuf *out)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = memmem(*pos, (size_t)(end - *pos), open, strlen(open));
	if (!a)
		return KAIRN_ENOTFOUND;
	a += strlen(open);
	b = memmem(a, (size_t)(end - a), close, strlen(close));
	if (!b)
		return KAIRN_EPARSE;
	*pos = b + strlen(close);
	return out ? xml_unescape(out, a, (size_t)(b - a)) : 0;
}

static char *xml_field(const struct kbuf *doc, const char *tag)
{
	struct kbuf v = { 0 };
	const char *p = doc->data ? doc->data : "";

	if (xml_next(&p, p + doc->len, tag, &v) != 0 || kbuf_putc(&v, '\0')) {
		kbuf_free(&v);
		return NULL;
	}
	return kbuf_steal(&v);
}

/* ---- HTTP ---- */

struct s3_body {
	FILE *fp;              /* upload from file ... */
	const char *mem;       /* ... or from memory */
	size_t len, off;
	const char *sha256;    /* hex of the body */
};

struct s3_resp {
	long status;
	FILE *to;              /* body to file on 2xx, else to err */
	struct kbuf body;      /* small bodies and error documents */
	struct kbuf etag;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct s3_body *b = ud;
	size_t want = size * nitems, left = b->len - b->off, n;

	if (want > left)
		want = left;
	if (b->fp) {
		n = fread(buf, 1, want, b->fp);
		if (n < want && ferror(b->fp))
			return CURL_READFUNC_ABORT;
	} else {
		memcpy(buf, b->mem + b->off, want);
		n = want;
	}
	b->off += n;
	return n;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct s3_resp *r = ud;
	size_t n = size * nmemb;

	if (r->to && r->status / 100 == 2)
		return fwrite(ptr, 1, n, r->to);
	if (r->body.len > (8u << 20))
		return 0; /* an error or listing document this large is not S3 */
	return kbuf_append(&r->body, ptr, n) ? 0 : n;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct s3_resp *r = ud;
	size_t n = size * nitems;

	if (n > 5 && !strncmp(buf, "HTTP/", 5)) {
		const char *sp = memchr(buf, ' ', n);

		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		kbuf_reset(&r->etag);
	} else if (n > 5 && !strncasecmp(buf, "etag:", 5)) {
		size_t l = n - 5;
		const char *v = buf + 5;

		while (l && (*v == ' '))
			v++, l--;
		while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
			l--;
		kbuf_reset(&r->etag);
		if (kbuf_append(&r->etag, v, l))
			return 0;
	}
	return n;
}

static void amz_now(char out[17])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* One signed request. key may be NULL (bucket level); query is the already
 * encoded query string. Returns 0 on 2xx, else a mapped error. */
static int s3_request_once(struct s3_store *s, const char *method, const char *key, const char *query,
		      struct s3_body *body, struct s3_resp *resp, struct kerr *e)
{
	struct kbuf uri = { 0 }, url = { 0 }, auth = { 0 }, hv = { 0 }, host = { 0 };
	struct curl_slist *hdrs = NULL;
	char date[17];
	struct sigv4_header sh[5];
	size_t nh = 0;
	CURL *c = NULL;
	CURLcode cc;
	int rc = 0;
	const char *payload = body ? body->sha256 : EMPTY_SHA256;

	if (s->path_style)
		rc = kbuf_printf(&host, "%s", s->host) || kbuf_putc(&uri, '/') ||
		     sigv4_uri_encode(&uri, s->bucket, 0);
	else
		rc = kbuf_printf(&host, "%s.%s", s->bucket, s->host);
	if (rc == 0 && key)
		rc = kbuf_putc(&uri, '/') || kbuf_printf(&hv, "%s%s", s->prefix, key) ||
		     sigv4_uri_encode(&uri, hv.data, 1);
	if (rc == 0 && uri.len == 0)
		rc = kbuf_putc(&uri, '/');
	if (rc == 0)
		rc = kbuf_printf(&url, "%s://%s%s%s%s", s->scheme, host.data, uri.data,
				 query && *query ? "?" : "", query ? query : "");
	if (rc) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	amz_now(date);
	sh[nh++] = (struct sigv4_header){ "host", host.data };
	sh[nh++] = (struct sigv4_header){ "x-amz-content-sha256", payload };
	sh[nh++] = (struct sigv4_header){ "x-amz-date", date };
	if (s->token)
		sh[nh++] = (struct sigv4_header){ "x-amz-security-token", s->token };
	{
		struct sigv4_request sr = {
			.method = method, .canonical_uri = uri.data, .query = query, .headers = sh,
			.n_headers = nh, .payload_sha256 = payload, .amz_date = date, .region = s->region,
			.service = "s3", .access_key = s->ak, .secret_key = s->sk,
		};

		if ((rc = sigv4_authorization(&sr, &auth, NULL, e)))
			goto out;
	}
	for (size_t i = 1; i < nh; i++) {
		kbuf_reset(&hv);
		if (kbuf_printf(&hv, "%s: %s", sh[i].name, sh[i].value) ||
		    !(hdrs = curl_slist_append(hdrs, hv.data))) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
	}
	kbuf_reset(&hv);
	if (kbuf_printf(&hv, "Authorization: %s", auth.data) || !(hdrs = curl_slist_append(hdrs, hv.data)) ||
	    !(hdrs = curl_slist_append(hdrs, "Expect:"))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	c = curl_easy_init();
	if (!c) {
		rc = kerr_set(e, KAIRN_ENOMEM, "curl_easy_init failed");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	if (s->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	if (!strcmp(method, "PUT")) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, body);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(body ? body->len : 0));
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body->mem : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body->len : 0));
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (!strcmp(method, "HEAD"))
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = kerr_set(e, KAIRN_ENET, "%s %s: %s", method, url.data, curl_easy_strerror(cc));
		goto out;
	}
	if (resp->status / 100 != 2) {
		char *code = xml_field(&resp->body, "Code"), *msg = xml_field(&resp->body, "Message");
		int kc = resp->status == 404 ? KAIRN_ENOTFOUND
			 : resp->status == 403 || resp->status == 401 ? KAIRN_EAUTH
			 : resp->status == 409 ? KAIRN_ECONFLICT : KAIRN_EAPI;

		rc = kerr_set(e, kc, "%s %s: HTTP %ld %s: %s", method, url.data, resp->status,
			      code ? code : "", msg ? msg : "");
		free(code);
		free(msg);
	}
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	kbuf_free(&uri);
	kbuf_free(&url);
	kbuf_free(&auth);
	kbuf_free(&hv);
	kbuf_free(&host);
	return rc;
}

static void resp_free(struct s3_resp *r)
{
	kbuf_free(&r->body);
	kbuf_free(&r->etag);
}

/* s3_request_once with retries: connection errors and 5xx (S3's 500/503
 * SlowDown) are retried up to 3 times with backoff (0.4, 0.8, 1.6 s); the
 * body is re-read from where it started and a download file is truncated. */
static int s3_request(struct s3_store *s, const char *method, const char *key, const char *query,
		      struct s3_body *body, struct s3_resp *resp, struct kerr *e)
{
	off_t start = body && body->fp ? ftello(body->fp) : 0;

	for (int attempt = 1;; attempt++) {
		int rc = s3_request_once(s, method, key, query, body, resp, e);

		if (rc == 0 || attempt == 4 || (rc != KAIRN_ENET && resp->status < 500))
			return rc;
		log_warn("s3: %s; retrying (%d of 3)", e ? e->msg : "request failed", attempt);
		time_sleep_ms(200LL << attempt);
		if (body) {
			body->off = 0;
			if (body->fp && fseeko(body->fp, start, SEEK_SET) != 0)
				return rc;
		}
		if (resp->to && (fflush(resp->to) != 0 || ftruncate(fileno(resp->to), 0) != 0 ||
				 fseeko(resp->to, 0, SEEK_SET) != 0))
			return rc;
		kbuf_reset(&resp->body);
		kbuf_reset(&resp->etag);
		resp->status = 0;
	}
}

/* ---- put ---- */

static int hash_file(FILE *fp, size_t len, char hex[65], struct kerr *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[32];
	size_t left = len;
	int rc = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return kerr_set(e, KAIRN_ENOMEM, "sha256 init failed");
	}
	while (left > 0) {
		size_t n = fread(buf, 1, left < sizeof(buf) ? left : sizeof(buf), fp);

		if (n == 0) {
			rc = kerr_set(e, KAIRN_EIO, "reading upload: %s", ferror(fp) ? strerror(errno) : "short file");
			break;
		}
		EVP_DigestUpdate(ctx, buf, n);
		left -= n;
	}
	if (rc == 0) {
		EVP_DigestFinal_ex(ctx, md, NULL);
		hex_encode(md, 32, hex);
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int put_single(struct s3_store *s, const char *key, FILE *fp, size_t len, struct kerr *e)
{
	char hex[65];
	struct s3_body b = { .fp = fp, .len = len, .sha256 = hex };
	struct s3_resp r = { 0 };
	int rc = hash_file(fp, len, hex, e);

	if (rc == 0 && fseeko(fp, 0, SEEK_SET) != 0)
		rc = kerr_set(e, KAIRN_EIO, "rewinding upload: %s", strerror(errno));
	if (rc == 0)
		rc = s3_request(s, "PUT", key, NULL, &b, &r, e);
	resp_free(&r);
	return rc;
}

static int put_multipart(struct s3_store *s, const char *key, FILE *fp, size_t len, struct kerr *e)
{
	struct s3_resp r = { 0 };
	struct kbuf q = { 0 }, done = { 0 };
	char *upload_id = NULL, *part = malloc(s->part_size), hex[65];
	int rc, parts = 0;

	if (!part)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	rc = s3_request(s, "POST", key, "uploads=", NULL, &r, e);
	if (rc == 0 && !(upload_id = xml_field(&r.body, "UploadId")))
		rc = kerr_set(e, KAIRN_EAPI, "CreateMultipartUpload answered without an UploadId");
	if (rc)
		goto out;
	rc = kbuf_puts(&done, "<CompleteMultipartUpload>");
	for (size_t off = 0; rc == 0 && off < len; off += s->part_size) {
		size_t n = len - off < s->part_size ? len - off : s->part_size;
		struct s3_body b = { .mem = part, .len = n, .sha256 = hex };

		if (fread(part, 1, n, fp) != n) {
			rc = kerr_set(e, KAIRN_EIO, "reading upload: %s", strerror(errno));
			break;
		}
		sha256_hex(part, n, hex);
		parts++;
		kbuf_reset(&q);
		if (kbuf_printf(&q, "partNumber=%d&uploadId=", parts) || sigv4_uri_encode(&q, upload_id, 0)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
		resp_free(&r);
		memset(&r, 0, sizeof(r));
		if ((rc = s3_request(s, "PUT", key, q.data, &b, &r, e)))
			break;
		if (!r.etag.len) {
			rc = kerr_set(e, KAIRN_EAPI, "UploadPart %d answered without an ETag", parts);
			break;
		}
		if (kbuf_printf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", parts, r.etag.data))
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	kbuf_reset(&q);
	if (kbuf_puts(&q, "uploadId=") || sigv4_uri_encode(&q, upload_id, 0)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (rc == 0 && kbuf_puts(&done, "</CompleteMultipartUpload>") == 0) {
		struct s3_body b = { .mem = done.data, .len = done.len, .sha256 = hex };

		sha256_hex(done.data, done.len, hex);
		resp_free(&r);
		memset(&r, 0, sizeof(r));
		rc = s3_request(s, "POST", key, q.data, &b, &r, e);
		/* S3 may answer 200 with an <Error> document */
		if (rc == 0 && r.body.data && strstr(r.body.data, "<Error>"))
			rc = kerr_set(e, KAIRN_EAPI, "CompleteMultipartUpload failed: %s", r.body.data);
	}
	if (rc) {
		struct s3_resp ar = { 0 };
		struct kerr ae;

		if (s3_request(s, "DELETE", key, q.data, NULL, &ar, &ae))
			kerr_prefix(e, "(abort also failed: %s)", ae.msg);
		resp_free(&ar);
	}
out:
	resp_free(&r);
	kbuf_free(&q);
	kbuf_free(&done);
	free(upload_id);
	free(part);
	return rc;
}

static int s3_put(struct backup_store *bs, const char *key, const char *src, struct kerr *e)
{
	struct s3_store *s = (struct s3_store *)bs;
	FILE *fp = NULL;
	struct stat st;
	int rc = backup_store_check_key(key, e);

	if (rc)
		return rc;
	fp = fopen(src, "rb");
	if (!fp || fstat(fileno(fp), &st) != 0) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", src, strerror(errno));
		goto out;
	}
	if ((size_t)st.st_size > s->threshold)
		rc = put_multipart(s, key, fp, (size_t)st.st_size, e);
	else
		rc = put_single(s, key, fp, (size_t)st.st_size, e);
out:
	if (fp)
		fclose(fp);
	return rc ? kerr_prefix(e, "s3 put %s", key) : 0;
}

static int s3_get(struct backup_store *bs, const char *key, const char *dst, struct kerr *e)
{
	struct s3_store *s = (struct s3_store *)bs;
	struct s3_resp r = { 0 };
	char *tmp = NULL;
	int rc = backup_store_check_key(key, e);

	if (rc)
		return rc;
	if (asprintf(&tmp, "%s.tmp-%d", dst, (int)getpid()) < 0)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	r.to = fopen(tmp, "wb");
	if (!r.to) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = s3_request(s, "GET", key, NULL, NULL, &r, e);
	if (fclose(r.to) != 0 && rc == 0)
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = kerr_set(e, KAIRN_EIO, "rename %s: %s", dst, strerror(errno));
out:
	if (rc)
		unlink(tmp);
	free(tmp);
	resp_free(&r);
	return rc ? kerr_prefix(e, "s3 get %s", key) : 0;
}

static int s3_del(struct backup_store *bs, const char *key, struct kerr *e)
{
	struct s3_resp r = { 0 };
	int rc = backup_store_check_key(key, e);

	if (rc == 0)
		rc = s3_request((struct s3_store *)bs, "DELETE", key, NULL, NULL, &r, e);
	if (rc == KAIRN_ENOTFOUND)
		rc = 0;
	resp_free(&r);
	return rc ? kerr_prefix(e, "s3 delete %s", key) : 0;
}

/* Collects the text of every <tag> inside each <block> (block NULL: anywhere). */
static int collect(const struct kbuf *doc, const char *block, const char *tag, size_t strip,
		   struct backup_key_list *out, size_t *cap)
{
	const char *p = doc->data, *end = doc->data + doc->len;
	struct kbuf v = { 0 };
	int rc = 0;

	while (rc == 0) {
		const char *bp = p, *bend = end;
		char open[64], close[64];

		if (block) {
			snprintf(open, sizeof(open), "<%s>", block);
			snprintf(close, sizeof(close), "</%s>", block);
			bp = memmem(p, (size_t)(end - p), open, strlen(open));
			if (!bp)
				break;
			bend = memmem(bp, (size_t)(end - bp), close, strlen(close));
			if (!bend) {
				rc = KAIRN_EPARSE;
				break;
			}
			p = bend + strlen(close);
		}
		kbuf_reset(&v);
		rc = xml_next(&bp, bend, tag, &v);
		if (rc == KAIRN_ENOTFOUND) {
			rc = 0;
			if (!block)
				break;
			continue;
		}
		if (rc == 0 && kbuf_putc(&v, '\0') == 0 && v.len - 1 >= strip)
			rc = backup_key_list_add(out, cap, v.data + strip);
		if (!block)
			p = bp;
	}
	kbuf_free(&v);
	return rc;
}

static int s3_list(struct backup_store *bs, const char *prefix, int delim, struct backup_key_list *out,
		   struct kerr *e)
{
	struct s3_store *s = (struct s3_store *)bs;
	struct kbuf q = { 0 }, full = { 0 };
	char *token = NULL;
	size_t cap = 0, strip = strlen(s->prefix);
	int rc = 0;

	out->keys = NULL;
	out->n = 0;
	if (kbuf_printf(&full, "%s%s", s->prefix, prefix))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	do {
		struct s3_resp r = { 0 };
		char *trunc;

		kbuf_reset(&q);
		if ((token && (kbuf_puts(&q, "continuation-token=") || sigv4_uri_encode(&q, token, 0) ||
			       kbuf_putc(&q, '&'))) ||
		    (delim && kbuf_puts(&q, "delimiter=%2F&")) || kbuf_puts(&q, "list-type=2&prefix=") ||
		    sigv4_uri_encode(&q, full.data, 0)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
		rc = s3_request(s, "GET", NULL, q.data, NULL, &r, e);
		if (rc == 0 && (collect(&r.body, "Contents", "Key", strip, out, &cap) ||
				collect(&r.body, "CommonPrefixes", "Prefix", strip, out, &cap)))
			rc = kerr_set(e, KAIRN_EPARSE, "malformed ListObjectsV2 answer");
		free(token);
		token = NULL;
		trunc = rc == 0 ? xml_field(&r.body, "IsTruncated") : NULL;
		if (trunc && !strcmp(trunc, "true")) {
			token = xml_field(&r.body, "NextContinuationToken");
			if (!token)
				rc = kerr_set(e, KAIRN_EPARSE, "truncated listing without NextContinuationToken");
		}
		free(trunc);
		resp_free(&r);
	} while (rc == 0 && token);
	free(token);
	kbuf_free(&q);
	kbuf_free(&full);
	if (rc) {
		backup_key_list_free(out);
		return kerr_prefix(e, "s3 list %s", prefix);
	}
	backup_key_list_sort(out);
	return 0;
}

static void s3_free(struct backup_store *bs)
{
	struct s3_store *s = (struct s3_store *)bs;

	free(s->scheme);
	free(s->host);
	free(s->bucket);
	free(s->prefix);
	free(s->region);
	free(s->ak);
	if (s->sk)
		memset(s->sk, 0, strlen(s->sk));
	free(s->sk);
	free(s->token);
	free(s->ca_file);
	free(s);
}

static const struct backup_store_ops s3_ops = {
	.put = s3_put, .get = s3_get, .list = s3_list, .del = s3_del, .free = s3_free,
};

/* Reads [profile] aws_access_key_id / aws_secret_access_key / aws_session_token. */
static int read_credentials_file(struct s3_store *s, const char *path, const char *profile, struct kerr *e)
{
	char *text = NULL, *line, *save = NULL;
	size_t len;
	int in = 0, lineno = 0, rc = fs_read_all(path, &text, &len, e);

	if (rc)
		return kerr_prefix(e, "credentials file");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *k = line, *eq, *v, *end;

		lineno++;
		while (*k == ' ' || *k == '\t')
			k++;
		end = k + strlen(k);
		while (end > k && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*k || *k == '#' || *k == ';')
			continue;
		if (*k == '[') {
			in = end[-1] == ']' && (size_t)(end - k - 2) == strlen(profile) &&
			     !strncmp(k + 1, profile, strlen(profile));
			continue;
		}
		if (!in)
			continue;
		eq = strchr(k, '=');
		if (!eq)
			continue;
		v = eq + 1;
		while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		*eq = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (!strcmp(k, "aws_access_key_id"))
			free(s->ak), s->ak = strdup(v);
		else if (!strcmp(k, "aws_secret_access_key"))
			free(s->sk), s->sk = strdup(v);
		else if (!strcmp(k, "aws_session_token"))
			free(s->token), s->token = strdup(v);
	}
	if (text)
		memset(text, 0, len);
	free(text);
	if (!s->ak || !s->sk)
		return kerr_set(e, KAIRN_EAUTH, "%s: profile [%s] has no aws_access_key_id/aws_secret_access_key",
				path, profile);
	return 0;
}

static int resolve_credentials(struct s3_store *s, const struct backup_s3_config *c, struct kerr *e)
{
	const char *profile = c->profile ? c->profile : getenv("AWS_PROFILE") ? getenv("AWS_PROFILE") : "default";

	if (c->access_key && c->secret_key) {
		s->ak = strdup(c->access_key);
		s->sk = strdup(c->secret_key);
		s->token = c->session_token ? strdup(c->session_token) : NULL;
		return 0;
	}
	if (c->credentials_file)
		return read_credentials_file(s, c->credentials_file, profile, e);
	if (getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY")) {
		s->ak = strdup(getenv("AWS_ACCESS_KEY_ID"));
		s->sk = strdup(getenv("AWS_SECRET_ACCESS_KEY"));
		s->token = getenv("AWS_SESSION_TOKEN") ? strdup(getenv("AWS_SESSION_TOKEN")) : NULL;
		return 0;
	}
	if (getenv("AWS_SHARED_CREDENTIALS_FILE"))
		return read_credentials_file(s, getenv("AWS_SHARED_CREDENTIALS_FILE"), profile, e);
	return kerr_set(e, KAIRN_EAUTH, "no S3 credentials: give a credentials file or set "
					"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

int backup_store_s3_new(const struct backup_s3_config *c, struct backup_store **out, struct kerr *e)
{
	struct s3_store *s = calloc(1, sizeof(*s));
	const char *region = c->region && *c->region ? c->region : "us-east-1";
	struct kbuf pfx = { 0 };
	int rc = 0;

	*out = NULL;
	if (!s)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	s->base.ops = &s3_ops;
	if (!c->bucket || !*c->bucket || strchr(c->bucket, '/')) {
		rc = kerr_set(e, KAIRN_EINVAL, "s3: bad bucket name \"%s\"", c->bucket ? c->bucket : "");
		goto out;
	}
	if (c->endpoint && *c->endpoint) {
		const char *sep = strstr(c->endpoint, "://");
		size_t hl;

		if (!sep || (strncmp(c->endpoint, "http://", 7) && strncmp(c->endpoint, "https://", 8))) {
			rc = kerr_set(e, KAIRN_EINVAL, "s3: endpoint %s must start with http:// or https://", c->endpoint);
			goto out;
		}
		s->scheme = strndup(c->endpoint, (size_t)(sep - c->endpoint));
		hl = strcspn(sep + 3, "/");
		s->host = strndup(sep + 3, hl);
	} else {
		s->scheme = strdup("https");
		if (asprintf(&s->host, "s3.%s.amazonaws.com", region) < 0)
			s->host = NULL;
	}
	/* normalise the prefix to "" or "a/b/" */
	if (c->prefix) {
		const char *p = c->prefix;
		size_t n;

		while (*p == '/')
			p++;
		n = strlen(p);
		while (n && p[n - 1] == '/')
			n--;
		if (n && (kbuf_append(&pfx, p, n) || kbuf_putc(&pfx, '/')))
			rc = KAIRN_ENOMEM;
	}
	s->prefix = pfx.data ? kbuf_steal(&pfx) : strdup("");
	s->bucket = strdup(c->bucket);
	s->region = strdup(region);
	s->ca_file = c->ca_file ? strdup(c->ca_file) : NULL;
	s->path_style = c->path_style;
	s->part_size = c->part_size ? c->part_size : (8u << 20);
	if (s->part_size < (5u << 20))
		s->part_size = 5u << 20; /* S3's minimum for every part but the last */
	s->threshold = c->multipart_threshold ? c->multipart_threshold : (64u << 20);
	if (rc || !s->scheme || !s->host || !s->prefix || !s->bucket || !s->region) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	rc = resolve_credentials(s, c, e);
	if (rc == 0 && (!s->ak || !s->sk))
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	kbuf_free(&pfx);
	if (rc) {
		s3_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}
