/*
 * server.c — kubesim's lifecycle: create a server from options (store,
 * controllers, HTTP/TLS listener), write the kubeconfig and port file, and
 * tear everything down. Used by main.c and by in-process unit tests.
 */
#include <stdlib.h>
#include <string.h>
#include "server.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/fsutil.h"

int ks_server_create(const struct ks_options *opt, struct ks_server **out, struct kerr *e)
{
	struct ks_server *s = calloc(1, sizeof(*s));
	int rc;
	if (!s)
		return kerr_set(e, KAIRN_ENOMEM, "server");
	s->opt = *opt;
	if (s->opt.token)
		s->opt.tls = 1; /* a token is never sent over plain HTTP (contract §1.5) */
	if (s->opt.job_duration_ms <= 0)
		s->opt.job_duration_ms = 200;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->tmu, NULL);
	pthread_cond_init(&s->changed, NULL);
	*out = s;
	if ((rc = ks_testapi_init(s)) != 0)
		return kerr_set(e, rc, "counters");
	if ((rc = ks_store_init(s, e)) != 0)
		return rc;
	if ((rc = ks_controllers_start(s, e)) != 0)
		return rc;
	return ks_server_start(s, e);
}

void ks_server_destroy(struct ks_server *s)
{
	if (!s)
		return;
	ks_server_stop(s);
	ks_controllers_stop(s);
	ks_store_fini(s);
	ks_testapi_fini(s);
	free(s->ca_pem);
	free(s->cert_pem);
	free(s->key_pem);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->tmu);
	free(s);
}

int ks_server_port(const struct ks_server *s)
{
	return s->port;
}

char *ks_server_kubeconfig(const struct ks_server *s)
{
	struct kbuf b = { 0 };
	kbuf_printf(&b, "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n"
			"    server: %s://127.0.0.1:%d\n", s->opt.tls ? "https" : "http", s->port);
	if (s->opt.tls && s->ca_pem) {
		char *ca = b64_encode(s->ca_pem, strlen(s->ca_pem));
		kbuf_printf(&b, "    certificate-authority-data: %s\n", ca ? ca : "");
		free(ca);
	}
	kbuf_puts(&b, "users:\n- name: kubesim\n  user:\n");
	if (s->opt.token)
		kbuf_printf(&b, "    token: %s\n", s->opt.token);
	else
		kbuf_puts(&b, "    username: anonymous\n");
	kbuf_puts(&b, "contexts:\n- name: kubesim\n  context:\n    cluster: kubesim\n    user: kubesim\n"
		      "current-context: kubesim\n");
	return kbuf_steal(&b);
}

int ks_server_write_files(const struct ks_server *s, struct kerr *e)
{
	int rc = 0;
	if (s->opt.kubeconfig_out) {
		char *kc = ks_server_kubeconfig(s);
		rc = fs_write_atomic(s->opt.kubeconfig_out, kc, strlen(kc), 0600, e);
		free(kc);
		if (rc)
			return rc;
	}
	if (s->opt.port_file) {
		char p[32];
		int n = snprintf(p, sizeof(p), "%d\n", s->port);
		rc = fs_write_atomic(s->opt.port_file, p, (size_t)n, 0644, e);
	}
	return rc;
}
