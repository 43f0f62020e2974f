/*
 * sigv4.h — AWS Signature Version 4 for the S3 store (header form).
 *
 * Owns: canonical request, string to sign, signing key and the
 * Authorization header value. The caller builds the request (URI already
 * encoded the S3 way, query already encoded) and sends exactly the headers it
 * signed. Never: does I/O or looks up credentials.
 */
#ifndef KAIRN_BACKUP_SIGV4_H
#define KAIRN_BACKUP_SIGV4_H

#include <stddef.h>

struct kbuf;
struct kerr;

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_request {
	const char *method;        /* "GET" */
	const char *canonical_uri; /* "/bucket/key%20x", S3: encoded once */
	const char *query;         /* "prefix=a&list-type=2" (encoded), "" or NULL; sorted here */
	const struct sigv4_header *headers; /* every header to sign, host and x-amz-date included */
	size_t n_headers;
	const char *payload_sha256; /* hex, or "UNSIGNED-PAYLOAD" */
	const char *amz_date;       /* "20130524T000000Z" */
	const char *region;
	const char *service;        /* "s3" */
	const char *access_key;
	const char *secret_key;
};

/* Appends the Authorization header value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=...") to out. With canonical != NULL the
 * canonical request is also appended there (for tests and debugging). */
int sigv4_authorization(const struct sigv4_request *r, struct kbuf *out, struct kbuf *canonical,
			struct kerr *e);

/* Appends s encoded the way S3 wants it in a path or query: unreserved
 * characters A-Z a-z 0-9 - . _ ~ kept, '/' kept when keep_slash, the rest %XX. */
int sigv4_uri_encode(struct kbuf *out, const char *s, int keep_slash);

#endif
