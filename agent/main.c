/*
 * main.c — kairn's entry point: global flags, the command table, exit codes.
 *
 * git-style: `kairn [global flags] <command> [flags]`. Global flags may stand
 * before or after the command name; they are taken out of argv here, and the
 * command sees only its own flags. This is the only file that may end the
 * process: commands return an exit code (cli.h).
 */
#include "cli.h"
#include "util/log.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct kairn_command commands[] = {
	{ "version", cmd_version, "Print version, commit and library versions", cmd_version_usage },
	{ "source", cmd_source, "Fetch a Git source and check out a commit", cmd_source_usage },
	{ "render", cmd_render, "Load, validate and print the manifests of a directory", cmd_render_usage },
	{ "check", cmd_check, "Check the connection, identity and permissions", cmd_check_usage },
	{ "sync", cmd_sync, "Sync a Git source (or directory) to the cluster once", cmd_sync_usage },
	{ "diff", cmd_diff, "Show what a sync would change (exit 3 on differences)", cmd_diff_usage },
	{ "run", cmd_run, "Run the agent: sync loop, self-heal, metrics, webhook, leader election", cmd_run_usage },
	{ "backup", cmd_backup, "Create, list, describe and delete Velero-compatible backups", cmd_backup_usage },
	{ "restore", cmd_restore, "Restore a cluster from a backup, verified before the first write", cmd_restore_usage },
	{ "help", cmd_help, "Show help for kairn or a command", NULL },
	{ NULL, NULL, NULL, NULL },
};

static const char global_help[] =
	"Global flags (before or after the command):\n"
	"      --kubeconfig PATH      kubeconfig file (default: $KUBECONFIG, ~/.kube/config,\n"
	"                             or the in-cluster service account)\n"
	"      --context NAME         kubeconfig context to use\n"
	"  -n, --namespace NS         namespace (default: the context's)\n"
	"  -o, --output text|json     output format where the output is data\n"
	"      --log-level LEVEL      debug, info, warn, error (default info)\n"
	"      --log-format FORMAT    text or json (default text)\n"
	"      --kube-qps N           API requests per second (default 1000)\n"
	"      --kube-burst N         API request burst (default 20000)\n"
	"      --kube-concurrency N   parallel API requests (default 32)\n"
	"      --request-timeout DUR  per-request timeout, e.g. 30s (default 60s)\n";

const struct kairn_command *kairn_command_find(const char *name)
{
	for (const struct kairn_command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void print_main_help(FILE *out)
{
	fprintf(out, "kairn — GitOps sync, backup and restore for Kubernetes\n\n"
		     "Usage: kairn [global flags] <command> [flags]\n\nCommands:\n");
	for (const struct kairn_command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\n%s\nRun 'kairn help <command>' for a command's flags.\n", global_help);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kairn%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'kairn %s%s--help' for usage.\n", cmd ? cmd : "", cmd ? " " : "");
	return KAIRN_EXIT_USAGE;
}

int cli_print_help(const char *cmd)
{
	const struct kairn_command *c = kairn_command_find(cmd);

	if (!c || !c->usage)
		return cli_usage_error(NULL, "unknown command \"%s\"", cmd);
	fputs(c->usage, stdout);
	printf("\n%s", global_help);
	return KAIRN_EXIT_OK;
}

int cmd_help(int argc, char **argv, const struct kairn_globals *g)
{
	(void)g;
	if (argc < 2 || strcmp(argv[1], "help") == 0) {
		print_main_help(stdout);
		return KAIRN_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("help", "expected one command name");
	return cli_print_help(argv[1]);
}

/* A global flag: "--name value", "--name=value", or a short "-x value". */
struct global_flag {
	const char *long_name;
	char short_name;
	int id;
};

enum { GF_KUBECONFIG, GF_CONTEXT, GF_NAMESPACE, GF_OUTPUT, GF_LOG_LEVEL, GF_LOG_FORMAT,
       GF_QPS, GF_BURST, GF_CONCURRENCY, GF_TIMEOUT };

static const struct global_flag global_flags[] = {
	{ "kubeconfig", 0, GF_KUBECONFIG },   { "context", 0, GF_CONTEXT },
	{ "namespace", 'n', GF_NAMESPACE },   { "output", 'o', GF_OUTPUT },
	{ "log-level", 0, GF_LOG_LEVEL },     { "log-format", 0, GF_LOG_FORMAT },
	{ "kube-qps", 0, GF_QPS },            { "kube-burst", 0, GF_BURST },
	{ "kube-concurrency", 0, GF_CONCURRENCY }, { "request-timeout", 0, GF_TIMEOUT },
	{ NULL, 0, 0 },
};

static int parse_positive(const char *flag, const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);

	if (*v == '\0' || *end != '\0' || d <= 0)
		return cli_usage_error(NULL, "--%s: \"%s\" is not a positive number", flag, v);
	*out = d;
	return 0;
}

static int apply_global(const struct global_flag *f, const char *v, struct kairn_globals *g)
{
	enum log_level lvl;
	enum log_format fmt;
	double d = 0;

	switch (f->id) {
	case GF_KUBECONFIG: g->kubeconfig = v; break;
	case GF_CONTEXT: g->context = v; break;
	case GF_NAMESPACE: g->namespace = v; break;
	case GF_OUTPUT:
		if (strcmp(v, "json") == 0)
			g->output = KAIRN_OUT_JSON;
		else if (strcmp(v, "text") == 0)
			g->output = KAIRN_OUT_TEXT;
		else if (strcmp(v, "yaml") == 0)
			g->output = KAIRN_OUT_YAML;
		else
			return cli_usage_error(NULL, "--output: \"%s\" is not text, json or yaml", v);
		break;
	case GF_LOG_LEVEL:
		if (log_level_parse(v, &lvl))
			return cli_usage_error(NULL, "--log-level: \"%s\" is not debug, info, warn or error", v);
		log_set_level(lvl);
		break;
	case GF_LOG_FORMAT:
		if (log_format_parse(v, &fmt))
			return cli_usage_error(NULL, "--log-format: \"%s\" is not text or json", v);
		log_set_format(fmt);
		break;
	case GF_QPS:
		if (parse_positive(f->long_name, v, &g->kube_qps))
			return KAIRN_EXIT_USAGE;
		break;
	case GF_BURST:
		if (parse_positive(f->long_name, v, &d))
			return KAIRN_EXIT_USAGE;
		g->kube_burst = (int)d;
		break;
	case GF_CONCURRENCY:
		if (parse_positive(f->long_name, v, &d))
			return KAIRN_EXIT_USAGE;
		g->kube_concurrency = (int)d;
		break;
	case GF_TIMEOUT: g->kube_request_timeout = v; break;
	}
	return 0;
}

/* Matches argv[i] against the global flags. Returns the flag and sets
 * *value (inline "=v" or the next argument) and *used (1 or 2 slots). */
static const struct global_flag *match_global(int argc, char **argv, int i, const char **value,
					      int *used, int *err)
{
	const char *a = argv[i];

	*err = 0;
	for (const struct global_flag *f = global_flags; f->long_name; f++) {
		size_t n = strlen(f->long_name);
		int is_long = a[0] == '-' && a[1] == '-' && strncmp(a + 2, f->long_name, n) == 0 &&
			      (a[2 + n] == '\0' || a[2 + n] == '=');
		int is_short = f->short_name && a[0] == '-' && a[1] == f->short_name;

		if (!is_long && !is_short)
			continue;
		if (is_long && a[2 + n] == '=') {
			*value = a + 3 + n;
			*used = 1;
		} else if (is_short && a[2] != '\0') {
			*value = a[2] == '=' ? a + 3 : a + 2;
			*used = 1;
		} else if (i + 1 < argc) {
			*value = argv[i + 1];
			*used = 2;
		} else {
			*err = cli_usage_error(NULL, "flag %s needs a value", a);
			return NULL;
		}
		return f;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct kairn_globals g = { .kube_qps = 1000, .kube_burst = 20000, .kube_concurrency = 32 };
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	const struct kairn_command *cmd;
	int nrest = 0, rc;

	if (!rest) {
		fprintf(stderr, "kairn: out of memory\n");
		return KAIRN_EXIT_ERROR;
	}
	/* Take the global flags out, wherever they stand; "--" ends flag parsing. */
	for (int i = 1; i < argc; i++) {
		const char *v;
		int used, err;
		const struct global_flag *f;

		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				rest[nrest++] = argv[i++];
			break;
		}
		f = match_global(argc, argv, i, &v, &used, &err);
		if (err) {
			free(rest);
			return err;
		}
		if (!f) {
			rest[nrest++] = argv[i];
			continue;
		}
		if (apply_global(f, v, &g)) {
			free(rest);
			return KAIRN_EXIT_USAGE;
		}
		i += used - 1;
	}

	if (nrest == 0) {
		print_main_help(stderr);
		free(rest);
		return KAIRN_EXIT_USAGE;
	}
	if (strcmp(rest[0], "--help") == 0 || strcmp(rest[0], "-h") == 0) {
		print_main_help(stdout);
		free(rest);
		return KAIRN_EXIT_OK;
	}
	if (strcmp(rest[0], "--version") == 0)
		rest[0] = "version";
	cmd = kairn_command_find(rest[0]);
	if (!cmd) {
		rc = cli_usage_error(NULL, "unknown command \"%s\"", rest[0]);
		free(rest);
		return rc;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd->run(nrest, rest, &g);
	curl_global_cleanup();
	free(rest);
	return rc;
}
