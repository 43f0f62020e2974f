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
#include "common.h"
#include "git/gitsrc.h"
#include "util/err.h"
#include "util/timeutil.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_source_usage[] =
	"Usage: kairn source fetch --repo URL [--cache-dir DIR] [flags]\n"
	"\n"
	"Fetches URL into DIR (one cache per URL), resolves the ref and checks its\n"
	"commit out. Prints the commit, its summary, author and time, and the directory to\n"
	"load manifests from.\n"
	"\n"
	"Flags:\n"
	"      --repo URL                 https://, http://, ssh://, user@host:path, git://,\n"
	"                                 file:// or a local path\n"
	"      --ref REF                  branch, tag, commit SHA or HEAD (default HEAD)\n"
	"      --path P                   directory inside the repository (default: root)\n"
	"      --cache-dir DIR            cache (default $KAIRN_CACHE_DIR, in a cluster\n"
	"                                 /var/lib/kairn, else $XDG_CACHE_HOME/kairn or ~/.cache/kairn)\n"
	"      --username NAME            HTTPS user (default x-access-token) or SSH login\n"
	"      --token-file F             HTTPS token (also $KAIRN_GIT_TOKEN)\n"
	"      --password-file F          HTTPS password (also $KAIRN_GIT_PASSWORD)\n"
	"      --ssh-key F                SSH private key file\n"
	"      --ssh-passphrase-file F    its passphrase (also $KAIRN_GIT_SSH_PASSPHRASE)\n"
	"      --known-hosts F            known_hosts file (default ~/.ssh/known_hosts)\n"
	"      --insecure-ignore-host-key accept any SSH host key\n"
	"      --ca-file F                PEM CA bundle trusted for HTTPS besides the system's\n"
	"      --timeout SEC              fetch deadline (default 120)\n";

static void print_revision(const struct git_revision *r, const struct kairn_globals *g)
{
	char ts[32];

	time_rfc3339((time_t)r->time, ts);
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "commit", r->sha);
		cJSON_AddStringToObject(o, "summary", r->summary);
		cJSON_AddStringToObject(o, "author", r->author);
		cJSON_AddStringToObject(o, "time", ts);
		cJSON_AddStringToObject(o, "path", r->worktree_path);
		cJSON_AddBoolToObject(o, "fetched", r->fetched);
		s = cJSON_Print(o);
		printf("%s\n", s ? s : "{}");
		free(s);
		cJSON_Delete(o);
		return;
	}
	printf("commit   %s\nsummary  %s\nauthor   %s\ntime     %s\npath     %s\n", r->sha,
	       r->summary, r->author, ts, r->worktree_path);
}

int cmd_source(int argc, char **argv, const struct kairn_globals *g)
{
	/* --timeout is this command's older name for --git-timeout */
	static const struct option own[] = {
		{ "timeout", required_argument, NULL, SF_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct option *opts;
	struct source_flags f;
	struct git_source *src = NULL;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	int c, h, rc;

	if (argc < 2 || strcmp(argv[1], "fetch") != 0) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
			return cli_print_help("source");
		return cli_usage_error("source", "expected a subcommand: fetch");
	}
	argc--;
	argv++;
	opts = source_flags_options(own);
	if (!opts)
		return KAIRN_EXIT_ERROR;
	source_flags_init(&f);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			free(opts);
			return cli_print_help("source");
		}
		h = c == SF_DIR ? 0 : source_flags_handle(&f, c, optarg, "source");
		if (h != 1) {
			free(opts);
			return h ? h : cli_usage_error("source", "unknown flag");
		}
	}
	free(opts);
	if (optind < argc)
		return cli_usage_error("source", "unexpected argument \"%s\"", argv[optind]);
	if (!f.src.git.url)
		return cli_usage_error("source", "--repo is required");
	if ((rc = source_flags_finish(&f, g, NULL, "source")))
		goto done;
	rc = KAIRN_EXIT_ERROR;
	if (git_source_open(&src, &f.src.git, &e) || git_source_sync(src, &rev, &e))
		goto out;
	print_revision(&rev, g);
	rc = KAIRN_EXIT_OK;
out:
	if (rc != KAIRN_EXIT_OK)
		fprintf(stderr, "kairn source fetch: %s\n", e.msg);
	git_revision_free(&rev);
	git_source_free(src);
done:
	source_flags_free(&f);
	return rc;
}
