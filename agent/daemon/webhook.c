/*
 * webhook.c — see webhook.h.
 */
#include "webhook.h"
#include "util/codec.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

int webhook_verify(const char *secret, const struct webhook_request *r, struct kerr *e)
{
	if (!secret || !*secret)
		return kerr_set(e, KAIRN_EAUTH, "webhook refused: no webhook secret is configured");
	if (r->github_signature) {
		uint8_t mac[32];
		char want[7 + 65];

		hmac_sha256(secret, strlen(secret), r->body, r->body_len, mac);
		memcpy(want, "sha256=", 7);
		hex_encode(mac, 32, want + 7);
		if (!equal_ct(r->github_signature, want))
			return kerr_set(e, KAIRN_EAUTH, "webhook refused: X-Hub-Signature-256 does not match");
		return 0;
	}
	if (r->gitlab_token) {
		if (!equal_ct(r->gitlab_token, secret))
			return kerr_set(e, KAIRN_EAUTH, "webhook refused: X-Gitlab-Token does not match");
		return 0;
	}
	return kerr_set(e, KAIRN_EAUTH,
			"webhook refused: no X-Hub-Signature-256 or X-Gitlab-Token header");
}

int webhook_push_ref(const char *body, size_t len, char *out, size_t outlen, struct kerr *e)
{
	cJSON *doc = cJSON_ParseWithLength(body, len);
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(doc, "ref");
	int rc = 0;

	if (!doc)
		return kerr_set(e, KAIRN_EPARSE, "webhook payload is not JSON");
	if (!cJSON_IsString(ref))
		rc = kerr_set(e, KAIRN_ENOTFOUND, "webhook payload has no \"ref\"");
	else
		snprintf(out, outlen, "%s", ref->valuestring);
	cJSON_Delete(doc);
	return rc;
}
