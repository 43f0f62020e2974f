/*
 * cmd/render.c — `kairn render PATH`: load and validate manifests, print
 * them as `kubectl create --dry-run=client -o yaml|json -f PATH` would.
 * Argument parsing and output only; the work is in agent/manifest.
 */
#include "cli.h"
#include "manifest/manifest.h"
#include "util/buf.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_render_usage[] =
	"Usage: kairn render [-R] [--raw] [-n NAMESPACE] [-o yaml|json] PATH\n"
	"\n"
	"Loads every .yaml, .yml and .json manifest under PATH (a directory or one\n"
	"file), validates them, and prints the objects as kubectl create\n"
	"--dry-run=client does: YAML documents separated by \"---\" (the default,\n"
	"also -o text) or one indented JSON object after another (-o json).\n"
	"Namespaced objects without a namespace get -n NAMESPACE (default\n"
	"\"default\"), as kubectl gives them the context's namespace.\n"
	"Every error of every file is printed as FILE:LINE: FIELD: WHAT; then the\n"
	"command exits 1 and prints no objects.\n"
	"\n"
	"  -R, --recursive   also load subdirectories (not those starting with '.')\n"
	"      --raw         print objects as written (no namespace defaulting)\n";

static int print_set(const struct kobj_set *set, int json)
{
	struct kbuf out = { 0 };
	int rc = manifest_print_set(set, json, &out);

	if (rc)
		fprintf(stderr, "kairn render: out of memory\n");
	else if (out.len)
		fwrite(out.data, 1, out.len, stdout);
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

int cmd_render(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option lopts[] = { { "recursive", no_argument, NULL, 'R' },
					       { "raw", no_argument, NULL, 'r' },
					       { "help", no_argument, NULL, 'h' },
					       { 0 } };
	struct manifest_diag diag = { 0 };
	struct manifest_opts opts = { .diag = &diag };
	struct kobj_set *set = NULL;
	struct kerr e;
	int c, raw = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+Rh", lopts, NULL)) != -1) {
		switch (c) {
		case 'R': opts.recursive = 1; break;
		case 'r': raw = 1; break;
		case 'h': return cli_print_help("render");
		default: return cli_usage_error("render", "unknown flag");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("render", "expected one PATH (a directory or a file)");

	kerr_clear(&e);
	rc = manifest_load_dir(argv[optind], &opts, &set, &e);
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
	return rc;
}
