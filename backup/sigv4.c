/*
 * sigv4.c — AWS Signature Version 4 (see sigv4.h). HMAC and SHA-256 come from
 * util/codec.h. Never: logs keys or signatures.
 */
#include "backup/sigv4.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/vec.h"

int sigv4_uri_encode(struct kbuf *out, const char *s, int keep_slash)
{
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/'))
			rc = kbuf_putc(out, (char)*p);
		else
			rc = kbuf_printf(out, "%%%02X", *p);
	}
	return rc;
}

struct hdr {
	char *name;  /* lower case */
	char *value; /* trimmed, inner runs of spaces collapsed */
};

static int cmp_hdr(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name, ((const struct hdr *)b)->name);
}

static int cmp_param(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t kx = strcspn(x, "="), ky = strcspn(y, "=");
	int c = strncmp(x, y, kx < ky ? kx : ky);

	if (c == 0 && kx != ky)
		return kx < ky ? -1 : 1;
	return c ? c : strcmp(x, y);
}

static char *norm_value(const char *v)
{
	char *out = malloc(strlen(v) + 1), *o = out;
	int space = 0;

	if (!out)
		return NULL;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = 1;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = 0;
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

static int canonical_query(struct kbuf *b, const char *query)
{
	char *copy, **params = NULL, *save = NULL, *tok;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!query || !*query)
		return 0;
	copy = strdup(query);
	if (!copy)
		return KAIRN_ENOMEM;
	for (tok = strtok_r(copy, "&", &save); tok; tok = strtok_r(NULL, "&", &save)) {
		if ((rc = vec_reserve(params, n, cap, 8)))
			goto out;
		params[n++] = tok;
	}
	if (n)
		qsort(params, n, sizeof(*params), cmp_param);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = kbuf_printf(b, "%s%s%s", i ? "&" : "", params[i], strchr(params[i], '=') ? "" : "=");
out:
	free(params);
	free(copy);
	return rc;
}

int sigv4_authorization(const struct sigv4_request *r, struct kbuf *out, struct kbuf *canonical,
			struct kerr *e)
{
	struct hdr *h = calloc(r->n_headers ? r->n_headers : 1, sizeof(*h));
	struct kbuf creq = { 0 }, signed_h = { 0 }, sts = { 0 }, key = { 0 };
	uint8_t k1[32], k2[32], k3[32], k4[32], sig[32];
	char hex[65], date[9];
	int rc = 0;

	if (!h)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (!r->amz_date || strlen(r->amz_date) != 16) {
		rc = kerr_set(e, KAIRN_EINVAL, "sigv4: amz_date must look like 20130524T000000Z");
		goto out;
	}
	for (size_t i = 0; i < r->n_headers; i++) {
		h[i].name = strdup(r->headers[i].name);
		h[i].value = norm_value(r->headers[i].value);
		if (!h[i].name || !h[i].value) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		for (char *p = h[i].name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	qsort(h, r->n_headers, sizeof(*h), cmp_hdr);
	rc = kbuf_printf(&creq, "%s\n%s\n", r->method, r->canonical_uri);
	if (rc == 0)
		rc = canonical_query(&creq, r->query);
	if (rc == 0)
		rc = kbuf_putc(&creq, '\n');
	for (size_t i = 0; rc == 0 && i < r->n_headers; i++) {
		rc = kbuf_printf(&creq, "%s:%s\n", h[i].name, h[i].value);
		if (rc == 0)
			rc = kbuf_printf(&signed_h, "%s%s", i ? ";" : "", h[i].name);
	}
	if (rc == 0)
		rc = kbuf_printf(&creq, "\n%s\n%s", signed_h.data ? signed_h.data : "", r->payload_sha256);
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	if (rc == 0) {
		sha256_hex(creq.data, creq.len, hex);
		rc = kbuf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date, date,
				 r->region, r->service, hex);
	}
	if (rc == 0)
		rc = kbuf_printf(&key, "AWS4%s", r->secret_key);
	if (rc) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	hmac_sha256(key.data, key.len, date, 8, k1);
	hmac_sha256(k1, 32, r->region, strlen(r->region), k2);
	hmac_sha256(k2, 32, r->service, strlen(r->service), k3);
	hmac_sha256(k3, 32, "aws4_request", 12, k4);
	hmac_sha256(k4, 32, sts.data, sts.len, sig);
	hex_encode(sig, 32, hex);
	if (kbuf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
			r->access_key, date, r->region, r->service, signed_h.data ? signed_h.data : "", hex) ||
	    (canonical && kbuf_append(canonical, creq.data, creq.len)))
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	for (size_t i = 0; i < r->n_headers; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	kbuf_free(&creq);
	kbuf_free(&signed_h);
	kbuf_free(&sts);
	if (key.data)
		memset(key.data, 0, key.len);
	kbuf_free(&key);
	return rc;
}
