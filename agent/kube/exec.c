/*
 * exec.c — client-go exec credential plugins (client.authentication.k8s.io
 * v1 and v1beta1): run the command with KUBERNETES_EXEC_INFO set, read the
 * ExecCredential it prints, and return its token or client certificate and
 * expiry. The plugin's stderr passes through to ours (plugins print prompts
 * and hints there); its stdout — the credential — is never logged.
 * posix_spawn, not fork, because the client runs in threaded programs.
 */
#include "kube/internal.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define EXEC_TIMEOUT_MS 120000
#define EXEC_OUTPUT_MAX (1 << 20)

static char *dup_str(const char *s, size_t *len)
{
	*len = strlen(s);
	return strdup(s);
}

int kube_exec_parse(const char *json, size_t len, const char *want_api_version,
		    struct kube_exec_result *out, struct kerr *e)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const char *api, *kind, *token, *cert, *key, *exp;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!o || !cJSON_IsObject(o)) {
		rc = kerr_set(e, KAIRN_EPARSE, "the plugin's output is not an ExecCredential JSON object");
		goto out;
	}
	api = jsonx_str(o, "apiVersion");
	kind = jsonx_str(o, "kind");
	if (!kind || strcmp(kind, "ExecCredential") != 0) {
		rc = kerr_set(e, KAIRN_EPARSE, "the plugin printed kind \"%s\", not ExecCredential",
			      kind ? kind : "");
		goto out;
	}
	if (!api || (want_api_version && strcmp(api, want_api_version) != 0)) {
		rc = kerr_set(e, KAIRN_EPARSE,
			      "the plugin is configured for %s but printed apiVersion \"%s\"",
			      want_api_version, api ? api : "");
		goto out;
	}
	token = jsonx_str(o, "status.token");
	cert = jsonx_str(o, "status.clientCertificateData");
	key = jsonx_str(o, "status.clientKeyData");
	exp = jsonx_str(o, "status.expirationTimestamp");
	if ((!token || !token[0]) && !(cert && key)) {
		rc = kerr_set(e, KAIRN_EAUTH,
			      "the plugin's ExecCredential has neither status.token nor "
			      "status.clientCertificateData + clientKeyData");
		goto out;
	}
	if ((cert && !key) || (key && !cert)) {
		rc = kerr_set(e, KAIRN_EAUTH, "the plugin's ExecCredential has only one of "
					      "clientCertificateData and clientKeyData");
		goto out;
	}
	if (exp && time_parse_rfc3339(exp, &out->expiry)) {
		rc = kerr_set(e, KAIRN_EPARSE, "status.expirationTimestamp \"%s\" is not RFC 3339", exp);
		goto out;
	}
	if (token && token[0] && !(out->cred.token = strdup(token)))
		rc = KAIRN_ENOMEM;
	if (!rc && cert) {
		out->cred.cert_pem = dup_str(cert, &out->cred.cert_len);
		out->cred.key_pem = dup_str(key, &out->cred.key_len);
		if (!out->cred.cert_pem || !out->cred.key_pem)
			rc = KAIRN_ENOMEM;
	}
	if (rc == KAIRN_ENOMEM)
		kerr_set(e, rc, "out of memory");
out:
	if (rc)
		kube_creds_clear(&out->cred);
	cJSON_Delete(o);
	return rc;
}

/* KUBERNETES_EXEC_INFO for the plugin. */
static char *exec_info(const struct kube_exec_config *x, const struct kube_config *cfg)
{
	cJSON *o = cJSON_CreateObject(), *spec, *cl;
	char *s = NULL, *ca = NULL;
	int ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "apiVersion", x->api_version);
	ok = ok && cJSON_AddStringToObject(o, "kind", "ExecCredential");
	ok = ok && (spec = cJSON_AddObjectToObject(o, "spec"));
	ok = ok && cJSON_AddBoolToObject(spec, "interactive", 0);
	if (ok && x->provide_cluster_info) {
		ok = (cl = cJSON_AddObjectToObject(spec, "cluster")) != NULL;
		ok = ok && cJSON_AddStringToObject(cl, "server", cfg->server);
		if (ok && cfg->tls_server_name)
			ok = cJSON_AddStringToObject(cl, "tls-server-name", cfg->tls_server_name) != NULL;
		if (ok && cfg->insecure_skip_tls_verify)
			ok = cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", 1) != NULL;
		if (ok && cfg->ca_pem) {
			ca = b64_encode(cfg->ca_pem, cfg->ca_pem_len);
			ok = ca && cJSON_AddStringToObject(cl, "certificate-authority-data", ca);
		}
	}
	if (ok)
		s = cJSON_PrintUnformatted(o);
	free(ca);
	cJSON_Delete(o);
	return s;
}

/* environ + the plugin's env + KUBERNETES_EXEC_INFO; the strings are borrowed
 * except the last, which the caller frees. */
static char **exec_env(const struct kube_exec_config *x, const char *info, char **info_var)
{
	size_t n = 0, m = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	while (x->env && x->env[m])
		m++;
	env = calloc(n + m + 2, sizeof(char *));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) != 0)
			env[k++] = environ[i];
	for (size_t i = 0; i < m; i++)
		env[k++] = x->env[i];
	if (asprintf(info_var, "KUBERNETES_EXEC_INFO=%s", info) < 0) {
		*info_var = NULL;
		free(env);
		return NULL;
	}
	env[k] = *info_var;
	return env;
}

/* Reads the child's stdout until EOF, the size bound or the deadline. */
static int read_output(int fd, struct kbuf *out, const char *cmd, struct kerr *e)
{
	int64_t deadline = time_mono_ms() + EXEC_TIMEOUT_MS;
	char chunk[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - time_mono_ms();
		ssize_t r;

		if (left <= 0)
			return kerr_set(e, KAIRN_ETIMEOUT, "exec plugin %s: no answer after %d s", cmd,
					EXEC_TIMEOUT_MS / 1000);
		if (poll(&p, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return kerr_set(e, KAIRN_EIO, "exec plugin %s: poll: %s", cmd, strerror(errno));
		}
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kerr_set(e, KAIRN_EIO, "exec plugin %s: read: %s", cmd, strerror(errno));
		if (r == 0)
			return 0;
		if (out->len + (size_t)r > EXEC_OUTPUT_MAX)
			return kerr_set(e, KAIRN_EPARSE, "exec plugin %s: output larger than 1 MiB", cmd);
		if (kbuf_append(out, chunk, (size_t)r))
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
}

int kube_exec_run(const struct kube_exec_config *x, const struct kube_config *cfg,
		  struct kube_exec_result *out, struct kerr *e)
{
	posix_spawn_file_actions_t fa;
	char *info = NULL, *info_var = NULL, **env = NULL, **argv = NULL;
	struct kbuf buf = { 0 };
	int pipefd[2] = { -1, -1 }, rc = 0, status = 0, fa_init = 0;
	size_t nargs = 0;
	pid_t pid = -1;

	memset(out, 0, sizeof(*out));
	while (x->args && x->args[nargs])
		nargs++;
	info = exec_info(x, cfg);
	env = info ? exec_env(x, info, &info_var) : NULL;
	argv = calloc(nargs + 2, sizeof(char *));
	if (!env || !argv) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	argv[0] = x->command;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = x->args[i];
	if (pipe2(pipefd, O_CLOEXEC)) {
		rc = kerr_set(e, KAIRN_EIO, "exec plugin: pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	fa_init = 1;
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rc = posix_spawnp(&pid, x->command, &fa, NULL, argv, env);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (rc) {
		pid = -1;
		rc = kerr_set(e, KAIRN_EAUTH, "exec plugin %s: cannot run it: %s%s%s", x->command,
			      strerror(rc), x->install_hint ? "\n" : "",
			      x->install_hint ? x->install_hint : "");
		goto out;
	}
	rc = read_output(pipefd[0], &buf, x->command, e);
	if (rc)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (rc)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = kerr_set(e, KAIRN_EAUTH, "exec plugin %s failed (exit status %d)", x->command,
			      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	rc = kube_exec_parse(buf.data ? buf.data : "", buf.len, x->api_version, out, e);
	if (rc)
		kerr_prefix(e, "exec plugin %s", x->command);
out:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (buf.data)
		memset(buf.data, 0, buf.len);
	kbuf_free(&buf);
	free(info);
	free(info_var);
	free(env);
	free(argv);
	return rc;
}
