/*
 * codec.c — thin wrappers over libcrypto so the rest of kairn never touches
 * OpenSSL types directly.
 */
#include "codec.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

char *b64_encode(const void *data, size_t len)
{
	size_t outlen = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(outlen);

	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

unsigned char *b64_decode(const char *s, size_t *out_len)
{
	size_t n = strlen(s), j = 0;
	char *clean = malloc(n + 1);
	unsigned char *out = NULL;
	int dec;
	size_t pad = 0;

	if (!clean)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
			clean[j++] = s[i];
	}
	clean[j] = '\0';
	if (j % 4 != 0)
		goto out;
	out = malloc(j / 4 * 3 + 1);
	if (!out)
		goto out;
	dec = j ? EVP_DecodeBlock(out, (unsigned char *)clean, (int)j) : 0;
	if (dec < 0) {
		free(out);
		out = NULL;
		goto out;
	}
	if (j >= 1 && clean[j - 1] == '=')
		pad++;
	if (j >= 2 && clean[j - 2] == '=')
		pad++;
	*out_len = (size_t)dec - pad;
	out[*out_len] = '\0';
out:
	free(clean);
	return out;
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
	SHA256(data, len, out);
}

void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len, uint8_t out[32])
{
	unsigned int outlen = 32;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &outlen);
}

void hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[data[i] >> 4];
		out[2 * i + 1] = hex[data[i] & 15];
	}
	out[2 * len] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t d[32];

	sha256(data, len, d);
	hex_encode(d, 32, out);
}

struct sha256_stream {
	EVP_MD_CTX *ctx;
	int failed;
};

struct sha256_stream *sha256_stream_new(void)
{
	struct sha256_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
		sha256_stream_free(s);
		return NULL;
	}
	return s;
}

int sha256_stream_update(struct sha256_stream *s, const void *data, size_t len)
{
	if (!s->failed && len && EVP_DigestUpdate(s->ctx, data, len) != 1)
		s->failed = 1;
	return s->failed ? -1 : 0;
}

int sha256_stream_final_hex(struct sha256_stream *s, char out[65])
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (s->failed || EVP_DigestFinal_ex(s->ctx, d, &n) != 1 || n != 32) {
		s->failed = 1;
		out[0] = '\0';
		return -1;
	}
	hex_encode(d, 32, out);
	return 0;
}

void sha256_stream_free(struct sha256_stream *s)
{
	if (!s)
		return;
	EVP_MD_CTX_free(s->ctx);
	free(s);
}
