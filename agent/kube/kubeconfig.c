/*
 * kubeconfig.c — kubeconfig files and the in-cluster service account into a
 * struct kube_config. See kubeconfig.h for the rules. YAML goes through
 * util/yamljson (kubectl's decoding). Every error names the file, line and
 * field; no error or log line carries a credential's value.
 */
#include "kube/internal.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/fsutil.h"
#include "util/jsonx.h"
#include "util/yamljson.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kc_file {
	char *path;
	char *dir;            /* for relative paths */
	struct ydoc_list docs;
	const cJSON *root;    /* NULL for an empty file */
};

struct kc_set {
	struct kc_file *f;
	size_t n;
};

/* ---- files ---------------------------------------------------------------- */

static void kc_set_free(struct kc_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].path);
		free(s->f[i].dir);
		ydoc_list_free(&s->f[i].docs);
	}
	free(s->f);
	s->f = NULL;
	s->n = 0;
}

static int kc_add_file(struct kc_set *s, const char *path, struct kerr *e)
{
	struct kc_file *nf, *f;
	char *buf = NULL, *tmp = NULL;
	size_t len = 0;
	int rc;

	nf = realloc(s->f, (s->n + 1) * sizeof(*nf));
	if (!nf)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	s->f = nf;
	f = &s->f[s->n];
	memset(f, 0, sizeof(*f));
	rc = fs_read_all(path, &buf, &len, e);
	if (rc)
		return kerr_prefix(e, "kubeconfig");
	rc = yaml_decode_all(buf, len, path, &f->docs, e);
	kube_secret_free(buf, len);
	if (rc)
		return kerr_prefix(e, "kubeconfig");
	s->n++;
	f->path = strdup(path);
	tmp = strdup(path);
	f->dir = tmp ? strdup(dirname(tmp)) : NULL;
	free(tmp);
	if (!f->path || !f->dir)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (f->docs.n > 0 && f->docs.docs[0].root) {
		if (!cJSON_IsObject(f->docs.docs[0].root))
			return kerr_set(e, KAIRN_EPARSE, "%s: a kubeconfig must be a mapping", path);
		f->root = f->docs.docs[0].root;
	}
	return 0;
}

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Which files: --kubeconfig, else KUBECONFIG's existing entries, else ~/.kube/config. */
static int kc_collect(const struct kube_config_opts *o, struct kc_set *s, struct kerr *e)
{
	if (o->kubeconfig && o->kubeconfig[0])
		return kc_add_file(s, o->kubeconfig, e);
	if (o->kubeconfig_env && o->kubeconfig_env[0]) {
		char *list = strdup(o->kubeconfig_env), *save = NULL;
		int rc = 0;

		if (!list)
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		for (char *p = strtok_r(list, ":", &save); p && !rc; p = strtok_r(NULL, ":", &save)) {
			int dup = 0;

			for (size_t i = 0; i < s->n; i++)
				dup |= strcmp(s->f[i].path, p) == 0;
			if (!dup && file_exists(p))
				rc = kc_add_file(s, p, e);
		}
		free(list);
		return rc;
	}
	if (o->home && o->home[0]) {
		struct kbuf p = { 0 };
		int rc = kbuf_printf(&p, "%s/.kube/config", o->home);

		if (!rc && file_exists(p.data))
			rc = kc_add_file(s, p.data, e);
		else if (rc)
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		kbuf_free(&p);
		return rc;
	}
	return 0;
}

/* The first file defining list[name=name] wins. */
static const cJSON *kc_find(const struct kc_set *s, const char *list, const char *name,
			    const char *inner, const struct kc_file **where)
{
	for (size_t i = 0; i < s->n; i++) {
		const cJSON *arr = s->f[i].root ? cJSON_GetObjectItemCaseSensitive(s->f[i].root, list) : NULL;
		const cJSON *it;

		cJSON_ArrayForEach(it, arr) {
			const char *n = jsonx_str(it, "name");

			if (n && strcmp(n, name) == 0) {
				*where = &s->f[i];
				return cJSON_GetObjectItemCaseSensitive(it, inner);
			}
		}
	}
	return NULL;
}

static int line_of(const struct kc_file *f, const cJSON *node)
{
	return f->docs.n ? ydoc_line(&f->docs.docs[0], node) : 0;
}

/* A string field: absent → NULL; present but not a string → error. */
static int get_str(const struct kc_file *f, const cJSON *obj, const char *key, const char *where,
		   const char **out, struct kerr *e)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.%s: expected a string", f->path,
				line_of(f, v), where, key);
	*out = v->valuestring;
	return 0;
}

static int get_bool(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	return cJSON_IsTrue(v) || (cJSON_IsString(v) && strcmp(v->valuestring, "true") == 0);
}

/* A path relative to the kubeconfig that named it becomes absolute. */
static int resolve_path(const struct kc_file *f, const char *p, char **out)
{
	struct kbuf b = { 0 };

	if (p[0] == '/' || !f->dir)
		*out = strdup(p);
	else if (kbuf_printf(&b, "%s/%s", f->dir, p) == 0)
		*out = kbuf_steal(&b);
	else
		*out = NULL;
	kbuf_free(&b);
	return *out ? 0 : KAIRN_ENOMEM;
}

/* "x-data" (base64) or "x" (a file), into a blob. */
static int load_pem(const struct kc_file *f, const cJSON *obj, const char *file_key,
		    const char *data_key, const char *where, char **out, size_t *len, struct kerr *e)
{
	const char *data, *file;
	char *path = NULL;
	int rc;

	if ((rc = get_str(f, obj, data_key, where, &data, e)) ||
	    (rc = get_str(f, obj, file_key, where, &file, e)))
		return rc;
	if (data && data[0]) {
		*out = (char *)b64_decode(data, len);
		if (!*out)
			return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.%s: not valid base64", f->path,
					line_of(f, cJSON_GetObjectItemCaseSensitive(obj, data_key)),
					where, data_key);
		return 0;
	}
	if (!file || !file[0])
		return 0;
	if (resolve_path(f, file, &path))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	rc = fs_read_all(path, out, len, e);
	if (rc)
		kerr_prefix(e, "%s:%d: %s.%s", f->path,
			    line_of(f, cJSON_GetObjectItemCaseSensitive(obj, file_key)), where, file_key);
	free(path);
	return rc;
}

static int load_cluster(const struct kc_file *f, const cJSON *cl, const char *name,
			struct kube_config *c, struct kerr *e)
{
	char where[300];
	const char *server, *sni, *proxy;
	size_t n;
	int rc;

	snprintf(where, sizeof(where), "clusters[%.200s].cluster", name);
	if ((rc = get_str(f, cl, "server", where, &server, e)) ||
	    (rc = get_str(f, cl, "tls-server-name", where, &sni, e)) ||
	    (rc = get_str(f, cl, "proxy-url", where, &proxy, e)))
		return rc;
	if (proxy && strncmp(proxy, "http://", 7) != 0 && strncmp(proxy, "https://", 8) != 0 &&
	    strncmp(proxy, "socks5://", 9) != 0)
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.proxy-url: \"%s\" is not an http, https or "
				"socks5 URL", f->path, line_of(f, cl), where, proxy);
	if (!server || !server[0])
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.server: missing", f->path, line_of(f, cl),
				where);
	if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.server: \"%s\" is not an http(s) URL",
				f->path, line_of(f, cl), where, server);
	if (kube_strdup_opt(&c->server, server) || kube_strdup_opt(&c->tls_server_name, sni) ||
	    kube_strdup_opt(&c->proxy_url, proxy))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	n = strlen(c->server);
	while (n > 0 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	c->insecure_skip_tls_verify = get_bool(cl, "insecure-skip-tls-verify");
	return load_pem(f, cl, "certificate-authority", "certificate-authority-data", where,
			&c->ca_pem, &c->ca_pem_len, e);
}

static int load_exec(const struct kc_file *f, const cJSON *x, const char *where,
		     struct kube_config *c, struct kerr *e)
{
	struct kube_exec_config *ex = calloc(1, sizeof(*ex));
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(x, "args");
	const cJSON *env = cJSON_GetObjectItemCaseSensitive(x, "env"), *it;
	const char *api, *cmd, *hint;
	size_t i = 0;
	int rc;

	if (!ex)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	c->exec = ex;
	if ((rc = get_str(f, x, "apiVersion", where, &api, e)) ||
	    (rc = get_str(f, x, "command", where, &cmd, e)) ||
	    (rc = get_str(f, x, "installHint", where, &hint, e)))
		return rc;
	if (!cmd || !cmd[0])
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.command: missing", f->path, line_of(f, x),
				where);
	if (!api || (strcmp(api, "client.authentication.k8s.io/v1") != 0 &&
		     strcmp(api, "client.authentication.k8s.io/v1beta1") != 0))
		return kerr_set(e, KAIRN_EUNSUPPORTED,
				"%s:%d: %s.apiVersion: \"%s\" is not client.authentication.k8s.io/v1 "
				"or v1beta1", f->path, line_of(f, x), where, api ? api : "");
	ex->provide_cluster_info = get_bool(x, "provideClusterInfo");
	/* A command with a '/' is a path, relative to the kubeconfig; a bare name is
	 * looked up in PATH. */
	if (strchr(cmd, '/') ? resolve_path(f, cmd, &ex->command) : kube_strdup_opt(&ex->command, cmd))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (kube_strdup_opt(&ex->api_version, api) || kube_strdup_opt(&ex->install_hint, hint))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	ex->args = calloc((size_t)cJSON_GetArraySize(args) + 1, sizeof(char *));
	ex->env = calloc((size_t)cJSON_GetArraySize(env) + 1, sizeof(char *));
	if (!ex->args || !ex->env)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	cJSON_ArrayForEach(it, args) {
		if (!cJSON_IsString(it))
			return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.args: expected strings", f->path,
					line_of(f, it), where);
		if (!(ex->args[i++] = strdup(it->valuestring)))
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(it, env) {
		const char *n = jsonx_str(it, "name"), *v = jsonx_str(it, "value");

		if (!n || !n[0] || strchr(n, '='))
			return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s.env: each entry needs a name",
					f->path, line_of(f, it), where);
		if (asprintf(&ex->env[i], "%s=%s", n, v ? v : "") < 0) {
			ex->env[i] = NULL;
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
		i++;
	}
	return 0;
}

static int load_user(const struct kc_file *f, const cJSON *u, const char *name,
		     struct kube_config *c, struct kerr *e)
{
	char where[300];
	const char *token, *token_file, *user, *pass;
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(u, "exec");
	int rc;

	snprintf(where, sizeof(where), "users[%.200s].user", name);
	if (cJSON_GetObjectItemCaseSensitive(u, "auth-provider"))
		return kerr_set(e, KAIRN_EUNSUPPORTED,
				"%s:%d: %s.auth-provider: auth providers were removed from "
				"Kubernetes clients; use an exec plugin (e.g. gke-gcloud-auth-plugin)",
				f->path, line_of(f, cJSON_GetObjectItemCaseSensitive(u, "auth-provider")),
				where);
	if ((rc = get_str(f, u, "token", where, &token, e)) ||
	    (rc = get_str(f, u, "tokenFile", where, &token_file, e)) ||
	    (rc = get_str(f, u, "username", where, &user, e)) ||
	    (rc = get_str(f, u, "password", where, &pass, e)))
		return rc;
	if (token && token[0] && kube_strdup_opt(&c->token, token))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (token_file && token_file[0] && resolve_path(f, token_file, &c->token_file))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (kube_strdup_opt(&c->username, user) || kube_strdup_opt(&c->password, pass))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	rc = load_pem(f, u, "client-certificate", "client-certificate-data", where, &c->cert_pem,
		      &c->cert_pem_len, e);
	if (!rc)
		rc = load_pem(f, u, "client-key", "client-key-data", where, &c->key_pem,
			      &c->key_pem_len, e);
	if (rc)
		return rc;
	if (!c->cert_pem != !c->key_pem)
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: %s: a client certificate needs both a "
						 "certificate and a key", f->path, line_of(f, u), where);
	if (x && cJSON_IsObject(x))
		return load_exec(f, x, where, c, e);
	return 0;
}

static int origin_of(const struct kc_set *s, char **out)
{
	struct kbuf b = { 0 };
	int rc = 0;

	for (size_t i = 0; i < s->n && !rc; i++)
		rc = kbuf_printf(&b, "%s%s", i ? ":" : "", s->f[i].path);
	*out = rc ? NULL : kbuf_steal(&b);
	kbuf_free(&b);
	return *out ? 0 : KAIRN_ENOMEM;
}

static int from_files(const struct kube_config_opts *o, const struct kc_set *s,
		      struct kube_config **out, struct kerr *e)
{
	struct kube_config *c = calloc(1, sizeof(*c));
	const struct kc_file *fc = NULL, *fcl = NULL, *fu = NULL;
	const cJSON *ctx = NULL, *cl, *u;
	const char *ctx_name = o->context, *cl_name = NULL, *u_name = NULL, *ns = NULL;
	int rc = 0;

	if (!c || origin_of(s, &c->origin)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; !ctx_name && i < s->n; i++) {
		const char *cc = s->f[i].root ? jsonx_str(s->f[i].root, "current-context") : NULL;

		if (cc && cc[0])
			ctx_name = cc;
	}
	if (!ctx_name || !ctx_name[0]) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s: no current-context is set (use --context)", c->origin);
		goto out;
	}
	ctx = kc_find(s, "contexts", ctx_name, "context", &fc);
	if (!ctx || !cJSON_IsObject(ctx)) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s: context \"%s\" not found", c->origin, ctx_name);
		goto out;
	}
	if ((rc = get_str(fc, ctx, "cluster", "context", &cl_name, e)) ||
	    (rc = get_str(fc, ctx, "user", "context", &u_name, e)) ||
	    (rc = get_str(fc, ctx, "namespace", "context", &ns, e)))
		goto out;
	if (!cl_name || !(cl = kc_find(s, "clusters", cl_name, "cluster", &fcl)) ||
	    !cJSON_IsObject(cl)) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s:%d: contexts[%s]: cluster \"%s\" not found", fc->path,
			      line_of(fc, ctx), ctx_name, cl_name ? cl_name : "");
		goto out;
	}
	rc = load_cluster(fcl, cl, cl_name, c, e);
	if (rc)
		goto out;
	if (u_name && u_name[0]) {
		u = kc_find(s, "users", u_name, "user", &fu);
		if (!u) {
			rc = kerr_set(e, KAIRN_EINVAL, "%s:%d: contexts[%s]: user \"%s\" not found",
				      fc->path, line_of(fc, ctx), ctx_name, u_name);
			goto out;
		}
		if (cJSON_IsObject(u) && (rc = load_user(fu, u, u_name, c, e)))
			goto out;
	}
	if (o->namespace && o->namespace[0])
		ns = o->namespace;
	if (kube_strdup_opt(&c->namespace, ns && ns[0] ? ns : "default") ||
	    kube_strdup_opt(&c->context, ctx_name))
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	if (rc)
		kube_config_free(c);
	else
		*out = c;
	return rc;
}

int kube_config_load(const struct kube_config_opts *o, struct kube_config **out, struct kerr *e)
{
	struct kc_set s = { 0 };
	int rc;

	*out = NULL;
	rc = kc_collect(o, &s, e);
	if (rc)
		goto out;
	if (s.n == 0) {
		if (o->service_host && o->service_host[0] && o->service_port && o->service_port[0]) {
			rc = kube_config_in_cluster(o->service_host, o->service_port, o->sa_dir, out, e);
			if (!rc && o->namespace && o->namespace[0]) {
				free((*out)->namespace);
				if (!((*out)->namespace = strdup(o->namespace)))
					rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			}
			goto out;
		}
		rc = kerr_set(e, KAIRN_EINVAL,
			      "no kubeconfig found (tried --kubeconfig, $KUBECONFIG, ~/.kube/config) "
			      "and not running in a cluster");
		goto out;
	}
	rc = from_files(o, &s, out, e);
out:
	if (rc && *out) {
		kube_config_free(*out);
		*out = NULL;
	}
	kc_set_free(&s);
	return rc;
}
