/*
 * codec.h — base64, SHA-256 and HMAC-SHA256 over OpenSSL's libcrypto, plus
 * hex. Used for kubeconfig certificate data, Secret data, inventory hashes,
 * S3 SigV4 and webhook HMACs. Nothing here logs what it encodes.
 */
#ifndef KAIRN_UTIL_CODEC_H
#define KAIRN_UTIL_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Returns a malloc'd NUL-terminated base64 string, or NULL on ENOMEM. */
char *b64_encode(const void *data, size_t len);
/* Decodes standard base64 (whitespace ignored). Returns a malloc'd buffer with
 * a NUL after the data and *out_len set, or NULL if the input is not base64. */
unsigned char *b64_decode(const char *s, size_t *out_len);

void sha256(const void *data, size_t len, uint8_t out[32]);
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t out[32]);
/* Writes 2*len lowercase hex digits plus NUL into out. */
void hex_encode(const uint8_t *data, size_t len, char *out);
/* sha256 as 64 hex digits plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* SHA-256 of data fed piece by piece (large inputs never held at once). */
struct sha256_stream;
struct sha256_stream *sha256_stream_new(void); /* NULL on ENOMEM */
/* Returns 0, or -1 when the digest failed (then the result is unusable). */
int sha256_stream_update(struct sha256_stream *s, const void *data, size_t len);
/* Writes the digest as 64 hex digits plus NUL; -1 on failure. Once only. */
int sha256_stream_final_hex(struct sha256_stream *s, char out[65]);
void sha256_stream_free(struct sha256_stream *s);

#endif
