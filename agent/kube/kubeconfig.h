/*
 * kubeconfig.h — where the cluster is and how to authenticate: kubeconfig
 * files (merged as kubectl merges KUBECONFIG) or the in-cluster service
 * account, resolved into one plain struct kube_config.
 *
 * Loading rules (kubectl's):
 *   1. --kubeconfig PATH: that file only; it must exist.
 *   2. else KUBECONFIG (':'-separated): files merged in order; for every map
 *      (clusters, users, contexts) and for current-context the FIRST file that
 *      sets a name wins; missing files are skipped.
 *   3. else ~/.kube/config if it exists;
 *   4. else the in-cluster service account when KUBERNETES_SERVICE_HOST and
 *      KUBERNETES_SERVICE_PORT are set (token, ca.crt and namespace files under
 *      /var/run/secrets/kubernetes.io/serviceaccount, or KAIRN_SA_DIR).
 * Relative file paths in a kubeconfig are relative to the file that named them.
 * CA, client cert and key are read into memory here (TLS gets them as blobs);
 * token files are NOT read here: the client re-reads them (at least every
 * minute), as kubelet rotates projected tokens.
 * What it must never do: log or put into an error message a token, a key or
 * certificate bytes.
 */
#ifndef KAIRN_KUBE_KUBECONFIG_H
#define KAIRN_KUBE_KUBECONFIG_H

#include <stddef.h>

#include "util/err.h"

/* An exec credential plugin (users[].user.exec). */
struct kube_exec_config {
	char *api_version; /* client.authentication.k8s.io/v1 or v1beta1 */
	char *command;     /* resolved against the kubeconfig's directory if it has a '/' */
	char **args;       /* NULL-terminated */
	char **env;        /* NULL-terminated "NAME=VALUE" list added to our environment */
	int provide_cluster_info;
	char *install_hint;
};

struct kube_config {
	char *server;          /* "https://host:port", no trailing slash */
	char *tls_server_name;
	char *proxy_url;       /* clusters[].cluster.proxy-url, or NULL */
	int insecure_skip_tls_verify;
	char *ca_pem;          /* CA bundle, or NULL for the system store */
	size_t ca_pem_len;
	char *cert_pem;        /* client certificate + key (PEM) */
	size_t cert_pem_len;
	char *key_pem;
	size_t key_pem_len;
	char *token;           /* static bearer token */
	char *token_file;      /* re-read by the client */
	char *username, *password; /* basic auth */
	struct kube_exec_config *exec;
	char *namespace;       /* the context's namespace, or "default" */
	char *context;         /* context name used ("" for in-cluster) */
	int in_cluster;
	char *origin;          /* where it came from: file list or "in-cluster" (for messages) */
};

/* Where to look. kube_config_opts_from_env fills it from the process
 * environment; tests fill it by hand so they never read the real home. */
struct kube_config_opts {
	const char *kubeconfig;     /* --kubeconfig */
	const char *kubeconfig_env; /* $KUBECONFIG */
	const char *context;        /* --context */
	const char *namespace;      /* -n: overrides the context's namespace */
	const char *home;           /* $HOME, for ~/.kube/config */
	const char *service_host;   /* $KUBERNETES_SERVICE_HOST */
	const char *service_port;   /* $KUBERNETES_SERVICE_PORT */
	const char *sa_dir;         /* $KAIRN_SA_DIR or the standard directory */
};

void kube_config_opts_from_env(struct kube_config_opts *o, const char *kubeconfig_flag,
			       const char *context_flag, const char *namespace_flag);

/* Resolves the config as described above. Errors name the file and field
 * ("/home/u/.kube/config: users[dev].user.client-key: cannot read ..."). */
int kube_config_load(const struct kube_config_opts *o, struct kube_config **out, struct kerr *e);

/* Builds the in-cluster config from the service-account directory. */
int kube_config_in_cluster(const char *host, const char *port, const char *sa_dir,
			   struct kube_config **out, struct kerr *e);

/* Deep copy (the client keeps its own). */
int kube_config_dup(const struct kube_config *src, struct kube_config **out, struct kerr *e);
void kube_config_free(struct kube_config *c);

#endif
