/*
 * cmd/common.c — see common.h.
 */
#include "common.h"
#include "backup/store.h"
#include "kube/kubeconfig.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "version.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_kube_connect(const struct kairn_globals *g, struct kube_client **out, struct kerr *e)
{
	struct kube_config_opts co;
	struct kube_config *cfg = NULL;
	struct kube_client_opts ko = { .qps = g->kube_qps, .burst = g->kube_burst,
				       .concurrency = g->kube_concurrency };
	char ua[64];
	int rc;

	if (g->kube_request_timeout && time_parse_duration_ms(g->kube_request_timeout, &ko.timeout_ms))
		return kerr_set(e, KAIRN_EINVAL, "--request-timeout: \"%s\" is not a duration like 30s",
				g->kube_request_timeout);
	snprintf(ua, sizeof(ua), "kairn/%s", kairn_version());
	ko.user_agent = ua;
	kube_config_opts_from_env(&co, g->kubeconfig, g->context, g->namespace);
	if ((rc = kube_config_load(&co, &cfg, e)))
		return rc;
	rc = kube_client_new(cfg, &ko, out, e);
	kube_config_free(cfg);
	return rc;
}

void cli_print_json(cJSON *v)
{
	char *s = v ? cJSON_Print(v) : NULL;

	printf("%s\n", s ? s : "{}");
	free(s);
	cJSON_Delete(v);
}

static const struct option source_options[] = {
	{ "repo", required_argument, NULL, SF_REPO },
	{ "ref", required_argument, NULL, SF_REF },
	{ "path", required_argument, NULL, SF_PATH },
	{ "dir", required_argument, NULL, SF_DIR },
	{ "recurse", no_argument, NULL, SF_RECURSE },
	{ "no-recurse", no_argument, NULL, SF_NO_RECURSE },
	{ "source", required_argument, NULL, SF_SOURCE },
	{ "cache-dir", required_argument, NULL, SF_CACHE },
	{ "username", required_argument, NULL, SF_USER },
	{ "token-file", required_argument, NULL, SF_TOKEN },
	{ "password-file", required_argument, NULL, SF_PASSWORD },
	{ "ssh-key", required_argument, NULL, SF_KEY },
	{ "ssh-passphrase-file", required_argument, NULL, SF_PASSPHRASE },
	{ "known-hosts", required_argument, NULL, SF_KNOWN },
	{ "insecure-ignore-host-key", no_argument, NULL, SF_INSECURE },
	{ "ca-file", required_argument, NULL, SF_CA },
	{ "git-timeout", required_argument, NULL, SF_TIMEOUT },
	{ "prune", no_argument, NULL, SF_PRUNE },
	{ "no-prune", no_argument, NULL, SF_NO_PRUNE },
	{ "max-prune", required_argument, NULL, SF_MAX_PRUNE },
	{ "force-prune", no_argument, NULL, SF_FORCE_PRUNE },
	{ "inventory-namespace", required_argument, NULL, SF_INVENTORY_NS },
	{ "run-hooks", required_argument, NULL, SF_RUN_HOOKS },
	{ 0 },
};

struct option *source_flags_options(const struct option *extra)
{
	size_t a = sizeof(source_options) / sizeof(source_options[0]) - 1, b = 0;
	struct option *all;

	while (extra && extra[b].name)
		b++;
	all = calloc(a + b + 1, sizeof(*all));
	if (!all)
		return NULL;
	memcpy(all, source_options, a * sizeof(*all));
	if (b)
		memcpy(all + a, extra, b * sizeof(*all));
	return all;
}

void source_flags_init(struct source_flags *f)
{
	memset(f, 0, sizeof(*f));
	f->src.recurse = 1; /* a repository's subdirectories too, as Argo CD and Flux load them */
	f->sync.prune = 1;
	f->sync.prune_limits.max_fraction = 0.5;
	f->sync.inventory_ns = "kairn-system";
	f->sync.crd_wait_ms = 60000;
	f->sync.hooks.field_manager = KAIRN_FIELD_MANAGER;
}

int source_flags_handle(struct source_flags *f, int id, const char *arg, const char *cmd)
{
	char *end;
	double pct;
	long n;

	switch (id) {
	case SF_REPO: f->src.git.url = arg; return 1;
	case SF_REF: f->src.git.ref = arg; return 1;
	case SF_PATH: f->src.git.path = arg; return 1;
	case SF_DIR: f->src.dir = arg; return 1;
	case SF_RECURSE: f->src.recurse = 1; return 1;
	case SF_NO_RECURSE: f->src.recurse = 0; return 1;
	case SF_SOURCE: f->src.name = arg; return 1;
	case SF_CACHE: f->src.git.cache_dir = arg; return 1;
	case SF_USER: f->src.git.auth.username = arg; return 1;
	case SF_TOKEN: f->token_file = arg; return 1;
	case SF_PASSWORD: f->password_file = arg; return 1;
	case SF_KEY: f->src.git.auth.ssh_key_path = arg; return 1;
	case SF_PASSPHRASE: f->passphrase_file = arg; return 1;
	case SF_KNOWN: f->src.git.auth.known_hosts_path = arg; return 1;
	case SF_INSECURE: f->src.git.auth.insecure_ignore_host_key = 1; return 1;
	case SF_CA: f->src.git.auth.ca_file = arg; return 1;
	case SF_TIMEOUT:
		n = strtol(arg, &end, 10);
		if (!*arg || *end || n <= 0 || n > 86400)
			return cli_usage_error(cmd, "--git-timeout: \"%s\" is not a number of seconds", arg);
		f->src.git.timeout_sec = (int)n;
		return 1;
	case SF_PRUNE: f->sync.prune = 1; return 1;
	case SF_NO_PRUNE: f->sync.prune = 0; return 1;
	case SF_MAX_PRUNE:
		pct = strtod(arg, &end);
		if (*end == '%')
			end++;
		if (!*arg || *end || pct <= 0 || pct > 100)
			return cli_usage_error(cmd, "--max-prune: \"%s\" is not a percentage in (0, 100]", arg);
		f->sync.prune_limits.max_fraction = pct / 100;
		return 1;
	case SF_FORCE_PRUNE: f->sync.prune_limits.force = 1; return 1;
	case SF_INVENTORY_NS: f->sync.inventory_ns = arg; return 1;
	case SF_RUN_HOOKS:
		if (sync_run_hooks_parse(arg, &f->sync.run_hooks))
			return cli_usage_error(cmd, "--run-hooks: \"%s\" is not always, changes or never", arg);
		return 1;
	}
	return 0;
}

/* A DNS-1123 label from the last path component of a URL or directory. */
static char *derive_name(const char *where)
{
	const char *end = where + strlen(where), *start;
	struct kbuf b = { 0 };

	while (end > where && (end[-1] == '/' || end[-1] == ' '))
		end--;
	start = end;
	while (start > where && start[-1] != '/' && start[-1] != ':')
		start--;
	if (end - start > 4 && strncmp(end - 4, ".git", 4) == 0)
		end -= 4;
	for (const char *p = start; p < end && b.len < 50; p++) {
		char c = (char)tolower((unsigned char)*p);

		if (!isalnum((unsigned char)c))
			c = '-';
		if (c == '-' && (b.len == 0 || b.data[b.len - 1] == '-'))
			continue;
		kbuf_putc(&b, c);
	}
	while (b.len && b.data[b.len - 1] == '-')
		b.data[--b.len] = '\0';
	if (!b.len)
		kbuf_puts(&b, "default");
	return kbuf_steal(&b);
}

static int read_secret(const char *file, const char *env, char **out, struct kerr *e)
{
	const char *v = getenv(env);

	*out = NULL;
	if (file)
		return git_secret_read_file(file, out, e);
	if (v && *v && !(*out = strdup(v)))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	return 0;
}

int source_flags_finish(struct source_flags *f, const struct kairn_globals *g,
			struct kube_client *kc, const char *cmd)
{
	struct kerr e = { 0 };
	const char *home = getenv("HOME"), *env_cache = getenv("KAIRN_CACHE_DIR");

	if (!f->src.git.url && !f->src.dir)
		return cli_usage_error(cmd, "a source is required: --repo URL or --dir DIR");
	if (f->src.git.url && f->src.dir)
		return cli_usage_error(cmd, "--repo and --dir exclude each other");
	if (f->token_file && f->password_file)
		return cli_usage_error(cmd, "--token-file and --password-file exclude each other");
	if (!f->src.name) {
		f->name = derive_name(f->src.git.url ? f->src.git.url : f->src.dir);
		if (!f->name)
			return KAIRN_EXIT_ERROR;
		f->src.name = f->name;
	}
	if (f->src.git.url && !f->src.git.cache_dir) {
		struct kbuf b = { 0 };

		const char *xdg = getenv("XDG_CACHE_HOME"), *k8s = getenv("KUBERNETES_SERVICE_HOST");

		if (env_cache && *env_cache)
			kbuf_puts(&b, env_cache);
		else if (k8s && *k8s && access("/var/run/secrets/kubernetes.io/serviceaccount/token", F_OK) == 0)
			kbuf_puts(&b, "/var/lib/kairn"); /* in a cluster: the pod's volume */
		else if (xdg && *xdg == '/')
			kbuf_printf(&b, "%s/kairn", xdg);
		else if (home && *home)
			kbuf_printf(&b, "%s/.cache/kairn", home);
		else
			kbuf_puts(&b, "/tmp/kairn-cache");
		f->cache_dir = kbuf_steal(&b);
		f->src.git.cache_dir = f->cache_dir;
	}
	f->sync.source = f->src.name;
	f->sync.default_ns = g->namespace ? g->namespace : (kc ? kube_client_namespace(kc) : "default");
	f->sync.hooks.source = f->src.name;
	if (read_secret(f->password_file ? f->password_file : f->token_file,
			f->password_file ? "KAIRN_GIT_PASSWORD" : "KAIRN_GIT_TOKEN", &f->password, &e) ||
	    (!f->password && read_secret(NULL, "KAIRN_GIT_PASSWORD", &f->password, &e)) ||
	    read_secret(f->passphrase_file, "KAIRN_GIT_SSH_PASSPHRASE", &f->passphrase, &e)) {
		fprintf(stderr, "kairn %s: %s\n", cmd, e.msg);
		return KAIRN_EXIT_ERROR;
	}
	f->src.git.auth.password = f->password;
	f->src.git.auth.ssh_passphrase = f->passphrase;
	return 0;
}

void source_flags_free(struct source_flags *f)
{
	git_secret_free(f->password);
	git_secret_free(f->passphrase);
	free(f->name);
	free(f->cache_dir);
	f->password = f->passphrase = f->name = f->cache_dir = NULL;
}

/* Reads one query parameter of an s3:// URL into out (decoded as is). */
static int query_param(const char *query, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			snprintf(out, n, "%.*s", (int)(len - kl - 1), p + kl + 1);
			return 1;
		}
		p = amp ? amp + 1 : p + len;
	}
	return 0;
}

int cli_open_store(const char *url, const char *creds_file, struct backup_store **out,
		   struct kerr *e)
{
	if (!url || !*url)
		return kerr_set(e, KAIRN_EINVAL, "a storage location is required (--storage-location "
					       "file:///path or s3://bucket/prefix)");
	if (strncmp(url, "s3://", 5) == 0) {
		struct backup_s3_config c = { .credentials_file = creds_file };
		char bucket[256], prefix[512] = "", region[64], endpoint[512], style[16];
		const char *rest = url + 5, *q = strchr(rest, '?'), *slash = strchr(rest, '/');
		size_t blen = (size_t)((slash && (!q || slash < q)) ? slash - rest : (q ? q - rest : (long)strlen(rest)));

		if (blen == 0 || blen >= sizeof(bucket))
			return kerr_set(e, KAIRN_EINVAL, "%s: no bucket name", url);
		snprintf(bucket, sizeof(bucket), "%.*s", (int)blen, rest);
		if (slash && (!q || slash < q))
			snprintf(prefix, sizeof(prefix), "%.*s", (int)(q ? q - slash - 1 : (long)strlen(slash + 1)),
				 slash + 1);
		c.bucket = bucket;
		c.prefix = prefix[0] ? prefix : NULL;
		if (q && query_param(q + 1, "region", region, sizeof(region)))
			c.region = region;
		if (q && query_param(q + 1, "endpoint", endpoint, sizeof(endpoint))) {
			c.endpoint = endpoint;
			c.path_style = 1; /* custom endpoints (MinIO, s3rver) rarely do virtual hosts */
		}
		if (q && query_param(q + 1, "forcePathStyle", style, sizeof(style)))
			c.path_style = strcmp(style, "true") == 0;
		return backup_store_s3_new(&c, out, e);
	}
	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	if (!*url)
		return kerr_set(e, KAIRN_EINVAL, "file:// storage location needs a path");
	return backup_store_file_new(url, out, e);
}

const char **cli_split_list(char *s)
{
	size_t n = 1;
	const char **v;

	for (const char *p = s; *p; p++)
		n += *p == ',';
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return NULL;
	n = 0;
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
		if (*tok)
			v[n++] = tok;
	return v;
}
