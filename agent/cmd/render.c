/*
 * cmd/render.c — `kairn render [PATH | source flags]`: fetch (Git) or read a
 * directory, load and validate the manifests, print them as
 * `kubectl create --dry-run=client -o yaml|json -f PATH` would.
 * Argument parsing and output only; the work is in agent/git and
 * agent/manifest. Never talks to a cluster.
 */
#include "cli.h"
#include "cmd/common.h"
#include "git/gitsrc.h"
#include "manifest/manifest.h"
#include "util/buf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_render_usage[] =
	"Usage: kairn render [-R] [--raw] [-n NAMESPACE] [-o yaml|json] PATH\n"
	"       kairn render [-R] [--raw] [-n NAMESPACE] [-o yaml|json] --dir DIR\n"
	"       kairn render [-R] [--raw] [-n NAMESPACE] [-o yaml|json] --repo URL [--ref REF]\n"
	"                    [--path P] [Git flags of kairn sync]\n"
	"\n"
	"Loads every .yaml, .yml and .json manifest under PATH (a directory or one\n"
	"file), DIR, or directory P of commit REF of a Git repository (fetched into\n"
	"the cache like kairn sync does; the commit is named on stderr), validates\n"
	"them, and prints the objects as kubectl create\n"
	"--dry-run=client does: YAML documents separated by \"---\" (the default,\n"
	"also -o text) or one indented JSON object after another (-o json).\n"
	"Namespaced objects without a namespace get -n NAMESPACE (default\n"
	"\"default\"), as kubectl gives them the context's namespace.\n"
	"Every error of every file is printed as FILE:LINE:COLUMN: FIELD: WHAT; then the\n"
	"command exits 1 and prints no objects.\n"
	"\n"
	"      --no-recurse  load only PATH itself, not its subdirectories (by default\n"
	"                    subdirectories are loaded too, except those starting with\n"
	"                    '.'; -R, --recursive and --recurse say so explicitly)\n"
	"      --raw         print objects as written (no namespace defaulting)\n"
	"Git flags: --cache-dir, --username, --token-file, --password-file, --ssh-key,\n"
	"--ssh-passphrase-file, --known-hosts, --insecure-ignore-host-key, --ca-file,\n"
	"--git-timeout (see kairn sync --help).\n";

/* Object by object, so that memory does not grow with the output. */
static int print_set(const struct kobj_set *set, int json)
{
	struct kbuf out = { 0 };
	int rc = 0;

	for (size_t i = 0; i < kobj_set_count(set) && rc == 0; i++) {
		const struct kobj *k = kobj_set_at(set, i);

		kbuf_reset(&out);
		if (!json && i > 0 && kbuf_puts(&out, "---\n"))
			rc = KAIRN_ENOMEM;
		if (rc == 0)
			rc = json ? manifest_print_json(k->obj, &out) : manifest_print_yaml(k->obj, &out);
		if (rc == 0 && out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
			rc = KAIRN_EIO;
	}
	if (rc == 0 && fflush(stdout) != 0)
		rc = KAIRN_EIO;
	if (rc)
		fprintf(stderr, "kairn render: %s\n", rc == KAIRN_EIO ? "cannot write the output" : "out of memory");
	kbuf_free(&out);
	return rc ? KAIRN_EXIT_ERROR : KAIRN_EXIT_OK;
}

static void print_diag(const struct manifest_diag *d)
{
	for (size_t i = 0; i < d->nwarnings; i++)
		fprintf(stderr, "warning: %s\n", d->warnings[i]);
	for (size_t i = 0; i < d->nerrors; i++)
		fprintf(stderr, "error: %s\n", d->errors[i]);
}

/* Fetches the Git source; *dir points into rev. */
static int fetch(const struct source_flags *f, struct git_source **src, struct git_revision *rev,
		 struct kerr *e)
{
	int rc = git_source_open(src, &f->src.git, e);

	if (rc == 0)
		rc = git_source_sync(*src, rev, e);
	if (rc == 0)
		fprintf(stderr, "kairn render: commit %s %s (%s)\n", rev->sha, rev->summary,
			rev->author ? rev->author : "");
	return rc;
}

int cmd_render(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option own[] = { { "recursive", no_argument, NULL, 'R' },
					     { "raw", no_argument, NULL, 'r' },
					     { "help", no_argument, NULL, 'h' },
					     { 0 } };
	struct manifest_diag diag = { 0 };
	struct manifest_opts opts = { .diag = &diag };
	struct kobj_set *set = NULL;
	struct source_flags f;
	struct git_source *src = NULL;
	struct git_revision rev = { 0 };
	struct option *lopts;
	const char *path;
	struct kerr e;
	int c, h, raw = 0, rc;

	lopts = source_flags_options(own);
	if (!lopts)
		return KAIRN_EXIT_ERROR;
	source_flags_init(&f);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+Rh", lopts, NULL)) != -1) {
		switch (c) {
		case 'R': opts.recursive = 1; continue;
		case 'r': raw = 1; continue;
		case 'h': free(lopts); return cli_print_help("render");
		default: break;
		}
		h = c == '?' ? 0 : source_flags_handle(&f, c, optarg, "render");
		if (h != 1) {
			free(lopts);
			return h ? h : cli_usage_error("render", "unknown flag");
		}
	}
	free(lopts);
	if (f.src.recurse)
		opts.recursive = 1; /* the default; --no-recurse clears it unless -R was given */
	if (optind == argc - 1 && !f.src.dir && !f.src.git.url)
		f.src.dir = argv[optind];
	else if (optind != argc)
		return cli_usage_error("render", "expected one PATH, or --dir DIR, or --repo URL");
	if (!f.src.dir && !f.src.git.url)
		return cli_usage_error("render", "expected one PATH (a directory or a file), --dir DIR "
					       "or --repo URL");
	if ((rc = source_flags_finish(&f, g, NULL, "render")))
		goto done;

	kerr_clear(&e);
	rc = f.src.git.url ? fetch(&f, &src, &rev, &e) : 0;
	path = f.src.git.url ? rev.worktree_path : f.src.dir;
	if (f.src.git.url) /* name files by their path in the repository */
		opts.display_dir = f.src.git.path ? f.src.git.path : "";
	if (rc == 0)
		rc = manifest_load_dir(path, &opts, &set, &e);
	if (rc == 0 && !raw)
		rc = manifest_default_namespace(set, g->namespace ? g->namespace : "default", &diag, &e);
	print_diag(&diag);
	if (rc) {
		if (diag.nerrors == 0)
			fprintf(stderr, "error: %s\n", e.msg);
		else
			fprintf(stderr, "kairn render: %zu error%s, nothing printed\n", diag.nerrors,
				diag.nerrors == 1 ? "" : "s");
		rc = KAIRN_EXIT_ERROR;
	} else {
		rc = print_set(set, g->output == KAIRN_OUT_JSON);
	}
	kobj_set_free(set);
	manifest_diag_free(&diag);
	git_revision_free(&rev);
	git_source_free(src);
done:
	source_flags_free(&f);
	return rc;
}
