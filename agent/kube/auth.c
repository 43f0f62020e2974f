/*
 * auth.c — the credentials a request carries, kept fresh: static token,
 * token file (re-read when older than a minute, and after a 401), exec plugin
 * credential (cached until its expirationTimestamp, re-run after a 401),
 * client certificate. Thread-safe: one mutex guards the cache; the exec
 * plugin runs under it so that concurrent requests run it once.
 * It must never log or format a credential.
 */
#include "kube/internal.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_FILE_MAX_AGE_MS 60000

void kube_creds_clear(struct kube_creds *c)
{
	kube_secret_free(c->token, c->token ? strlen(c->token) : 0);
	kube_secret_free(c->cert_pem, c->cert_len);
	kube_secret_free(c->key_pem, c->key_len);
	memset(c, 0, sizeof(*c));
}

int kube_auth_init(struct kube_auth *a, const struct kube_config *cfg, struct kerr *e)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->mu, NULL);
	a->cfg = cfg;
	(void)e;
	return 0;
}

void kube_auth_destroy(struct kube_auth *a)
{
	kube_secret_free(a->file_token, a->file_token ? strlen(a->file_token) : 0);
	kube_creds_clear(&a->exec_cred);
	pthread_mutex_destroy(&a->mu);
}

static char *dup_blob(const char *p, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, p, len);
		d[len] = '\0';
	}
	return d;
}

static int read_token_file(struct kube_auth *a, struct kerr *e)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = fs_read_all(a->cfg->token_file, &buf, &len, e);

	if (rc)
		return kerr_prefix(e, "reading token file");
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	kube_secret_free(a->file_token, a->file_token ? strlen(a->file_token) : 0);
	a->file_token = buf;
	a->file_read_ms = time_mono_ms();
	return 0;
}

static int refresh_exec(struct kube_auth *a, struct kerr *e)
{
	struct kube_exec_result r = { 0 };
	int rc = kube_exec_run(a->cfg->exec, a->cfg, &r, e);

	if (rc)
		return rc;
	kube_creds_clear(&a->exec_cred);
	a->exec_cred = r.cred;
	a->exec_expiry = r.expiry;
	a->exec_valid = 1;
	return 0;
}

int kube_auth_get(struct kube_auth *a, struct kube_creds *out, struct kerr *e)
{
	const struct kube_config *k = a->cfg;
	const char *token = NULL, *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&a->mu);
	if (k->exec) {
		if (!a->exec_valid || (a->exec_expiry && time(NULL) >= a->exec_expiry))
			rc = refresh_exec(a, e);
		if (!rc) {
			token = a->exec_cred.token;
			cert = a->exec_cred.cert_pem, cert_len = a->exec_cred.cert_len;
			key = a->exec_cred.key_pem, key_len = a->exec_cred.key_len;
		}
	}
	if (!rc && !token && k->token)
		token = k->token;
	if (!rc && !token && k->token_file) {
		if (!a->file_token || time_mono_ms() - a->file_read_ms >= TOKEN_FILE_MAX_AGE_MS)
			rc = read_token_file(a, e);
		token = a->file_token;
	}
	if (!rc && !cert && k->cert_pem)
		cert = k->cert_pem, cert_len = k->cert_pem_len, key = k->key_pem, key_len = k->key_pem_len;
	if (!rc && token && !(out->token = strdup(token)))
		rc = KAIRN_ENOMEM;
	if (!rc && cert && key) {
		out->cert_pem = dup_blob(cert, cert_len);
		out->key_pem = dup_blob(key, key_len);
		out->cert_len = cert_len;
		out->key_len = key_len;
		if (!out->cert_pem || !out->key_pem)
			rc = KAIRN_ENOMEM;
	}
	pthread_mutex_unlock(&a->mu);
	if (rc == KAIRN_ENOMEM)
		kerr_set(e, rc, "out of memory");
	if (rc)
		kube_creds_clear(out);
	return rc;
}

int kube_auth_invalidate(struct kube_auth *a)
{
	int any = 0;

	pthread_mutex_lock(&a->mu);
	if (a->cfg->exec) {
		a->exec_valid = 0;
		any = 1;
	} else if (a->cfg->token_file && !a->cfg->token) {
		a->file_read_ms = 0;
		kube_secret_free(a->file_token, a->file_token ? strlen(a->file_token) : 0);
		a->file_token = NULL;
		any = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return any;
}
