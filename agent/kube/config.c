/*
 * config.c — struct kube_config as plain data: copy, free, and the in-cluster
 * service-account config (no YAML involved). Never logs a credential; keys,
 * tokens and passwords are wiped before they are freed.
 */
#include "kube/internal.h"
#include "util/buf.h"
#include "util/fsutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_config_opts_from_env(struct kube_config_opts *o, const char *kubeconfig_flag,
			       const char *context_flag, const char *namespace_flag)
{
	memset(o, 0, sizeof(*o));
	o->kubeconfig = kubeconfig_flag;
	o->kubeconfig_env = getenv("KUBECONFIG");
	o->context = context_flag;
	o->namespace = namespace_flag;
	o->home = getenv("HOME");
	o->service_host = getenv("KUBERNETES_SERVICE_HOST");
	o->service_port = getenv("KUBERNETES_SERVICE_PORT");
	o->sa_dir = getenv("KAIRN_SA_DIR");
}

void kube_secret_free(char *p, size_t len)
{
	if (p) {
		memset(p, 0, len);
		free(p);
	}
}

void kube_config_free(struct kube_config *c)
{
	if (!c)
		return;
	free(c->server);
	free(c->tls_server_name);
	free(c->proxy_url);
	free(c->ca_pem);
	free(c->cert_pem);
	kube_secret_free(c->key_pem, c->key_pem_len);
	kube_secret_free(c->token, c->token ? strlen(c->token) : 0);
	free(c->token_file);
	free(c->username);
	kube_secret_free(c->password, c->password ? strlen(c->password) : 0);
	if (c->exec) {
		for (char **p = c->exec->args; p && *p; p++)
			free(*p);
		for (char **p = c->exec->env; p && *p; p++)
			free(*p);
		free(c->exec->args);
		free(c->exec->env);
		free(c->exec->api_version);
		free(c->exec->command);
		free(c->exec->install_hint);
		free(c->exec);
	}
	free(c->namespace);
	free(c->context);
	free(c->origin);
	free(c);
}

int kube_strdup_opt(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

static int dup_blob(char **dst, size_t *dlen, const char *src, size_t len)
{
	if (!src)
		return 0;
	*dst = malloc(len + 1);
	if (!*dst)
		return -1;
	memcpy(*dst, src, len);
	(*dst)[len] = '\0';
	*dlen = len;
	return 0;
}

static int dup_list(char ***dst, char *const *src)
{
	size_t n = 0;

	if (!src)
		return 0;
	while (src[n])
		n++;
	*dst = calloc(n + 1, sizeof(char *));
	if (!*dst)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((*dst)[i] = strdup(src[i])))
			return -1;
	return 0;
}

int kube_config_dup(const struct kube_config *s, struct kube_config **out, struct kerr *e)
{
	struct kube_config *d = calloc(1, sizeof(*d));
	int bad = !d;

	*out = NULL;
	if (!bad) {
		d->insecure_skip_tls_verify = s->insecure_skip_tls_verify;
		d->in_cluster = s->in_cluster;
		bad |= kube_strdup_opt(&d->server, s->server) | kube_strdup_opt(&d->tls_server_name, s->tls_server_name);
		bad |= kube_strdup_opt(&d->proxy_url, s->proxy_url);
		bad |= dup_blob(&d->ca_pem, &d->ca_pem_len, s->ca_pem, s->ca_pem_len);
		bad |= dup_blob(&d->cert_pem, &d->cert_pem_len, s->cert_pem, s->cert_pem_len);
		bad |= dup_blob(&d->key_pem, &d->key_pem_len, s->key_pem, s->key_pem_len);
		bad |= kube_strdup_opt(&d->token, s->token) | kube_strdup_opt(&d->token_file, s->token_file);
		bad |= kube_strdup_opt(&d->username, s->username) | kube_strdup_opt(&d->password, s->password);
		bad |= kube_strdup_opt(&d->namespace, s->namespace) | kube_strdup_opt(&d->context, s->context);
		bad |= kube_strdup_opt(&d->origin, s->origin);
	}
	if (!bad && s->exec) {
		d->exec = calloc(1, sizeof(*d->exec));
		bad = !d->exec;
		if (!bad) {
			d->exec->provide_cluster_info = s->exec->provide_cluster_info;
			bad |= kube_strdup_opt(&d->exec->api_version, s->exec->api_version);
			bad |= kube_strdup_opt(&d->exec->command, s->exec->command);
			bad |= kube_strdup_opt(&d->exec->install_hint, s->exec->install_hint);
			bad |= dup_list(&d->exec->args, s->exec->args);
			bad |= dup_list(&d->exec->env, s->exec->env);
		}
	}
	if (bad) {
		kube_config_free(d);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	*out = d;
	return 0;
}

int kube_config_in_cluster(const char *host, const char *port, const char *sa_dir,
			   struct kube_config **out, struct kerr *e)
{
	struct kube_config *c = calloc(1, sizeof(*c));
	struct kbuf p = { 0 };
	char *ns = NULL;
	size_t len;
	int rc = 0;

	*out = NULL;
	if (!sa_dir || !sa_dir[0])
		sa_dir = SA_DIR_DEFAULT;
	if (!c) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	c->in_cluster = 1;
	/* IPv6 hosts need brackets in a URL */
	if (kbuf_printf(&p, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port) ||
	    !(c->server = kbuf_steal(&p)) || kube_strdup_opt(&c->origin, "in-cluster") ||
	    kube_strdup_opt(&c->context, "")) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (kbuf_printf(&p, "%s/token", sa_dir) || !(c->token_file = kbuf_steal(&p))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (access(c->token_file, R_OK) != 0) {
		rc = kerr_set(e, KAIRN_EAUTH, "in-cluster: cannot read the service account token %s",
			      c->token_file);
		goto out;
	}
	kbuf_reset(&p);
	if (kbuf_printf(&p, "%s/ca.crt", sa_dir)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	rc = fs_read_all(p.data, &c->ca_pem, &c->ca_pem_len, e);
	if (rc) {
		kerr_prefix(e, "in-cluster: service account CA");
		goto out;
	}
	kbuf_reset(&p);
	if (kbuf_printf(&p, "%s/namespace", sa_dir)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (fs_read_all(p.data, &ns, &len, NULL) == 0) {
		while (len && (ns[len - 1] == '\n' || ns[len - 1] == ' '))
			ns[--len] = '\0';
	}
	c->namespace = ns && ns[0] ? ns : strdup("default");
	if (ns && !ns[0])
		free(ns);
	if (!c->namespace)
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	kbuf_free(&p);
	if (rc)
		kube_config_free(c);
	else
		*out = c;
	return rc;
}

