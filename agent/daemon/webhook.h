/*
 * webhook.h — authenticating Git push webhooks (POST /webhook) before they
 * trigger a sync.
 *
 * GitHub (and Gitea): X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>.
 * GitLab: X-Gitlab-Token: <secret>. Comparisons are constant-time. A request
 * that carries neither, or a wrong one, is refused; with no secret configured
 * every webhook is refused (an open trigger is a denial-of-service lever).
 */
#ifndef KAIRN_DAEMON_WEBHOOK_H
#define KAIRN_DAEMON_WEBHOOK_H

#include <stddef.h>
#include "util/err.h"

struct webhook_request {
	const char *github_signature; /* X-Hub-Signature-256, or NULL */
	const char *gitlab_token;     /* X-Gitlab-Token, or NULL */
	const char *body;
	size_t body_len;
};

/* Returns 0 when authentic, KAIRN_EAUTH with the reason otherwise. */
int webhook_verify(const char *secret, const struct webhook_request *r, struct kerr *e);

/* Extracts "ref" ("refs/heads/main") from a GitHub/GitLab push payload into
 * out; returns 0, or KAIRN_ENOTFOUND when the payload has none (a ping). */
int webhook_push_ref(const char *body, size_t len, char *out, size_t outlen, struct kerr *e);

#endif
