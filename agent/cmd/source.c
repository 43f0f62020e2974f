/*
 * cmd/source.c — `kairn source fetch`: fetch a Git source into a cache,
 * resolve a ref, check the commit out, print the commit and the path.
 *
 * Argument parsing and output only; the work is agent/git's. Secrets come
 * from files (--token-file, --password-file, --ssh-passphrase-file) or the
 * environment (KAIRN_GIT_TOKEN, KAIRN_GIT_PASSWORD, KAIRN_GIT_SSH_PASSPHRASE),
 * never from the command line, where `ps` would show them; they are never
 * printed.
 */
#include "cli.h"
#include "git/gitsrc.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_source_usage[] =
	"Usage: kairn source fetch --repo URL --cache-dir DIR [flags]\n"
	"\n"
	"Fetches URL into DIR (one cache per URL), resolves the ref and checks its\n"
	"commit out. Prints the commit, its summary and time, and the directory to\n"
	"load manifests from.\n"
	"\n"
	"Flags:\n"
	"      --repo URL                 https://, http://, ssh://, user@host:path, git://,\n"
	"                                 file:// or a local path\n"
	"      --ref REF                  branch, tag, commit SHA or HEAD (default HEAD)\n"
	"      --path P                   directory inside the repository (default: root)\n"
	"      --cache-dir DIR            cache directory (required)\n"
	"      --username NAME            HTTPS user (default x-access-token) or SSH login\n"
	"      --token-file F             HTTPS token (also $KAIRN_GIT_TOKEN)\n"
	"      --password-file F          HTTPS password (also $KAIRN_GIT_PASSWORD)\n"
	"      --ssh-key F                SSH private key file\n"
	"      --ssh-passphrase-file F    its passphrase (also $KAIRN_GIT_SSH_PASSPHRASE)\n"
	"      --known-hosts F            known_hosts file (default ~/.ssh/known_hosts)\n"
	"      --insecure-ignore-host-key accept any SSH host key\n"
	"      --ca-file F                PEM CA bundle trusted for HTTPS besides the system's\n"
	"      --timeout SEC              fetch deadline (default 120)\n";

/* A secret from a file flag, else from an environment variable. */
static int load_secret(const char *file, const char *env, char **out, struct kerr *e)
{
	const char *v = getenv(env);

	*out = NULL;
	if (file)
		return git_secret_read_file(file, out, e);
	if (v && *v && !(*out = strdup(v)))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	return 0;
}

static void print_revision(const struct git_revision *r, const struct kairn_globals *g)
{
	char ts[32];

	time_rfc3339((time_t)r->time, ts);
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "commit", r->sha);
		cJSON_AddStringToObject(o, "summary", r->summary);
		cJSON_AddStringToObject(o, "time", ts);
		cJSON_AddStringToObject(o, "path", r->worktree_path);
		cJSON_AddBoolToObject(o, "fetched", r->fetched);
		s = cJSON_Print(o);
		printf("%s\n", s ? s : "{}");
		free(s);
		cJSON_Delete(o);
		return;
	}
	printf("commit   %s\nsummary  %s\ntime     %s\npath     %s\n", r->sha, r->summary, ts,
	       r->worktree_path);
}

enum { O_REPO = 1, O_REF, O_PATH, O_CACHE, O_USER, O_TOKEN, O_PASSWORD, O_KEY, O_PASSPHRASE,
       O_KNOWN, O_INSECURE, O_TIMEOUT, O_CA };

int cmd_source(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, O_REPO },
		{ "ref", required_argument, NULL, O_REF },
		{ "path", required_argument, NULL, O_PATH },
		{ "cache-dir", required_argument, NULL, O_CACHE },
		{ "username", required_argument, NULL, O_USER },
		{ "token-file", required_argument, NULL, O_TOKEN },
		{ "password-file", required_argument, NULL, O_PASSWORD },
		{ "ssh-key", required_argument, NULL, O_KEY },
		{ "ssh-passphrase-file", required_argument, NULL, O_PASSPHRASE },
		{ "known-hosts", required_argument, NULL, O_KNOWN },
		{ "insecure-ignore-host-key", no_argument, NULL, O_INSECURE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "ca-file", required_argument, NULL, O_CA },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct git_source_opts o = { 0 };
	const char *token_file = NULL, *password_file = NULL, *passphrase_file = NULL;
	char *password = NULL, *passphrase = NULL, *end;
	struct git_source *src = NULL;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	int c, rc = KAIRN_EXIT_ERROR;

	optind = 1;
	if (argc < 2 || strcmp(argv[1], "fetch") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return cli_print_help("source");
		return cli_usage_error("source", "expected a subcommand: fetch");
	}
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case O_REPO: o.url = optarg; break;
		case O_REF: o.ref = optarg; break;
		case O_PATH: o.path = optarg; break;
		case O_CACHE: o.cache_dir = optarg; break;
		case O_USER: o.auth.username = optarg; break;
		case O_TOKEN: token_file = optarg; break;
		case O_PASSWORD: password_file = optarg; break;
		case O_KEY: o.auth.ssh_key_path = optarg; break;
		case O_PASSPHRASE: passphrase_file = optarg; break;
		case O_KNOWN: o.auth.known_hosts_path = optarg; break;
		case O_INSECURE: o.auth.insecure_ignore_host_key = 1; break;
		case O_CA: o.auth.ca_file = optarg; break;
		case O_TIMEOUT:
			o.timeout_sec = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || o.timeout_sec <= 0)
				return cli_usage_error("source", "--timeout: \"%s\" is not a positive number of seconds", optarg);
			break;
		case 'h': return cli_print_help("source");
		default: return cli_usage_error("source", "unknown flag");
		}
	}
	if (optind < argc)
		return cli_usage_error("source", "unexpected argument \"%s\"", argv[optind]);
	if (!o.url || !o.cache_dir)
		return cli_usage_error("source", "--repo and --cache-dir are required");
	if (token_file && password_file)
		return cli_usage_error("source", "--token-file and --password-file exclude each other");

	if (password_file ? load_secret(password_file, "KAIRN_GIT_PASSWORD", &password, &e)
			  : load_secret(token_file, "KAIRN_GIT_TOKEN", &password, &e))
		goto out;
	if (!password && !token_file && load_secret(NULL, "KAIRN_GIT_PASSWORD", &password, &e))
		goto out;
	if (load_secret(passphrase_file, "KAIRN_GIT_SSH_PASSPHRASE", &passphrase, &e))
		goto out;
	o.auth.password = password;
	o.auth.ssh_passphrase = passphrase;
	if (git_source_open(&src, &o, &e) || git_source_sync(src, &rev, &e))
		goto out;
	print_revision(&rev, g);
	rc = KAIRN_EXIT_OK;
out:
	if (rc != KAIRN_EXIT_OK)
		fprintf(stderr, "kairn source fetch: %s\n", e.msg);
	git_revision_free(&rev);
	git_source_free(src);
	git_secret_free(password);
	git_secret_free(passphrase);
	return rc;
}
