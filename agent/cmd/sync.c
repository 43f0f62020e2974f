/*
 * cmd/sync.c — `kairn sync` and `kairn diff`: one sync of a source, or the
 * differences a sync would apply. Parsing and output only; the work is
 * agent/sync's.
 *
 * Exit codes (DESIGN §4): 0 in sync / synced, 1 error, 2 usage, 3 diff found
 * differences, 4 a hook failed, 5 a prune guard refused.
 */
#include "cli.h"
#include "common.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_sync_usage[] =
	"Usage: kairn sync --once [source flags] [--dry-run] [--run-hooks WHEN] [-v] [-o json]\n"
	"\n"
	"Makes the cluster equal to the source once: applies what differs by server-side\n"
	"apply (field manager kairn), prunes what was removed since the last sync, runs\n"
	"hooks. A sync that changes nothing writes nothing.\n"
	"\n"
	"Hooks (kairn.dev/hook, argocd.argoproj.io/hook, helm.sh/hook; docs/annotations.md)\n"
	"run in phases: pre-sync, apply, sync, prune, post-sync; sync-fail when the sync\n"
	"fails. Each hook is reported with its duration and result, a failed Job with its\n"
	"conditions. A failed pre-sync hook stops the sync before any other write (exit 4).\n"
	"\n"
	"      --once        sync once and exit (the only mode of this command; `kairn run` loops)\n"
	"      --dry-run     send every write with dryRun=All: the server validates, nothing changes;\n"
	"                    lists the hooks that would run without creating them\n"
	"  -v, --verbose     list unchanged objects too\n"
	"\n" SOURCE_FLAGS_HELP
	"\nExit codes: 0 synced, 1 error, 2 usage, 4 a hook failed, 5 prune refused by a guard.\n";

const char cmd_diff_usage[] =
	"Usage: kairn diff [source flags] [-o json]\n"
	"\n"
	"Shows what `kairn sync` would change: a unified diff per object (live against Git,\n"
	"only the fields Git sets, Secret values masked), the objects it would prune and,\n"
	"on stderr, the hooks it would run (per --run-hooks).\n"
	"Writes nothing. Exit code 3 when there are differences, 0 when in sync: usable as\n"
	"a CI gate.\n"
	"\n" SOURCE_FLAGS_HELP
	"\nExit codes: 0 in sync, 1 error, 2 usage, 3 differences found, 5 prune would be refused.\n";

enum { O_ONCE = 1, O_DRY_RUN, O_VERBOSE };

static int exit_code_for(int rc)
{
	switch (rc) {
	case 0: return KAIRN_EXIT_OK;
	case KAIRN_EHOOK: return KAIRN_EXIT_HOOK;
	case KAIRN_EGUARD: return KAIRN_EXIT_PRUNE_REFUSED;
	default: return KAIRN_EXIT_ERROR;
	}
}

static void print_header(const char *cmd, const struct source_flags *f, const struct sync_desired *d)
{
	if (d->commit[0])
		fprintf(stderr, "kairn %s: source %s at %.12s \"%s\"%s%s (%zu objects)\n", cmd, f->src.name,
			d->commit, d->summary ? d->summary : "", d->author ? " by " : "",
			d->author ? d->author : "", d->n);
	else
		fprintf(stderr, "kairn %s: source %s from %s (%zu objects)\n", cmd, f->src.name, d->root, d->n);
	for (size_t i = 0; i < d->n_warnings; i++)
		fprintf(stderr, "warning: %s\n", d->warnings[i]);
}

static int print_diff(struct sync_plan *p, const struct sync_opts *so, const struct kairn_globals *g)
{
	struct kbuf out = { 0 };
	struct hook_report hooks = { 0 };
	struct kerr e;
	int rc = 0;

	/* the hooks a sync would run (per --run-hooks): listed, never run */
	if (sync_hooks_planned(p, so, &hooks, &e))
		return KAIRN_ENOMEM;
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *r = sync_report_json(p, NULL, 1);
		cJSON *objs = cJSON_GetObjectItem(r, "objects"), *o, *h = sync_report_hooks_json(&hooks);
		size_t i = 0;

		if (h)
			cJSON_ReplaceItemInObjectCaseSensitive(r, "hooks", h);

		/* attach the unified diff of every changed object */
		cJSON_ArrayForEach(o, objs) {
			while (i < p->n && !p->entries[i].desired && p->entries[i].action == SYNC_UNCHANGED)
				i++;
			if (i < p->n) {
				struct kbuf d = { 0 };

				if (sync_entry_diff_text(&p->entries[i], &d) == 0 && d.len)
					cJSON_AddStringToObject(o, "unifiedDiff", d.data);
				kbuf_free(&d);
			}
			i++;
		}
		cli_print_json(r);
		hook_report_free(&hooks);
		return 0;
	}
	for (size_t i = 0; i < p->n && !rc; i++)
		rc = sync_entry_diff_text(&p->entries[i], &out);
	if (!rc && out.len)
		fwrite(out.data, 1, out.len, stdout);
	kbuf_reset(&out);
	if (!rc) {
		for (size_t i = 0; i < p->n; i++)
			if (p->entries[i].action == SYNC_SKIP)
				printf("# not pruned: %s %s%s%s (%s)\n", p->entries[i].kind,
				       p->entries[i].ns ? p->entries[i].ns : "", p->entries[i].ns ? "/" : "",
				       p->entries[i].name, p->entries[i].reason ? p->entries[i].reason : "");
		if (sync_report_hooks_text(&hooks, &out) == 0 && out.len)
			fwrite(out.data, 1, out.len, stderr);
		fprintf(stderr, "%zu to create, %zu to update, %zu to prune, %zu unchanged\n",
			p->counts[SYNC_CREATE], p->counts[SYNC_UPDATE], p->counts[SYNC_PRUNE],
			p->counts[SYNC_UNCHANGED]);
	}
	kbuf_free(&out);
	hook_report_free(&hooks);
	return rc;
}

static int run(int argc, char **argv, const struct kairn_globals *g, int diff_mode)
{
	static const struct option own[] = {
		{ "once", no_argument, NULL, O_ONCE },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd = diff_mode ? "diff" : "sync";
	struct option *opts = source_flags_options(own);
	struct source_flags f;
	struct kube_client *kc = NULL;
	struct sync_source *src = NULL;
	struct sync_desired *d = NULL;
	struct sync_plan *plan = NULL;
	struct sync_outcome outcome = { 0 };
	struct kube_client_stats st = { 0 };
	struct kerr e = { 0 };
	int c, rc = KAIRN_EXIT_ERROR, dry_run = 0, verbose = 0, executed = 0, xrc = 0;

	if (!opts)
		return KAIRN_EXIT_ERROR;
	source_flags_init(&f);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		int h;

		switch (c) {
		case O_ONCE: break;
		case O_DRY_RUN: dry_run = 1; break;
		case 'v':
		case O_VERBOSE: verbose = 1; break;
		case 'h':
			free(opts);
			return cli_print_help(cmd);
		default:
			h = source_flags_handle(&f, c, optarg, cmd);
			if (h == 1)
				break;
			free(opts);
			return h ? h : cli_usage_error(cmd, "unknown flag");
		}
	}
	free(opts);
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	if (diff_mode && dry_run)
		return cli_usage_error(cmd, "--dry-run is implied: diff never writes");
	if (cli_kube_connect(g, &kc, &e))
		goto fail;
	if ((rc = source_flags_finish(&f, g, kc, cmd))) {
		kube_client_free(kc);
		source_flags_free(&f);
		return rc;
	}
	rc = KAIRN_EXIT_ERROR;
	f.sync.dry_run = dry_run;
	if (sync_source_open(&f.src, &src, &e) || sync_source_load(src, &d, &e))
		goto fail;
	f.sync.commit = d->commit;
	print_header(cmd, &f, d);
	if (sync_plan_build(kc, d->items, d->n, &f.sync, &plan, &e))
		goto fail;
	if (diff_mode) {
		if (print_diff(plan, &f.sync, g))
			goto fail;
		rc = plan->prune_refused ? KAIRN_EXIT_PRUNE_REFUSED :
		     sync_plan_has_changes(plan) ? KAIRN_EXIT_DIFF : KAIRN_EXIT_OK;
		goto out;
	}
	xrc = sync_execute(kc, plan, &f.sync, &outcome, &e);
	executed = 1;
	kube_client_stats(kc, &st);
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *r = sync_report_json(plan, &outcome, dry_run);
		cJSON *api = cJSON_AddObjectToObject(r, "api");

		cJSON_AddNumberToObject(api, "requests", (double)st.requests);
		cJSON_AddNumberToObject(api, "retries", (double)st.retries);
		cJSON_AddStringToObject(r, "source", f.src.name);
		cJSON_AddStringToObject(r, "commit", d->commit);
		if (d->summary)
			cJSON_AddStringToObject(r, "message", d->summary);
		if (d->author)
			cJSON_AddStringToObject(r, "author", d->author);
		if (xrc)
			cJSON_AddStringToObject(r, "error", e.msg);
		cli_print_json(r);
	} else {
		struct kbuf out = { 0 };

		if (sync_report_text(plan, &outcome, dry_run, verbose, &out) == 0)
			fwrite(out.data, 1, out.len, stdout);
		kbuf_free(&out);
		printf("API: %llu requests, %llu retried\n", (unsigned long long)st.requests,
		       (unsigned long long)st.retries);
	}
	if (xrc)
		fprintf(stderr, "kairn %s: %s\n", cmd, e.msg);
	rc = exit_code_for(xrc);
	goto out;
fail:
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "error", e.msg);
		cli_print_json(r);
	}
	fprintf(stderr, "kairn %s: %s\n", cmd, e.msg);
	rc = exit_code_for(e.code ? e.code : KAIRN_EAPI);
out:
	if (executed)
		sync_outcome_free(&outcome);
	sync_plan_free(plan);
	sync_desired_free(d);
	sync_source_free(src);
	kube_client_free(kc);
	source_flags_free(&f);
	return rc;
}

int cmd_sync(int argc, char **argv, const struct kairn_globals *g)
{
	return run(argc, argv, g, 0);
}

int cmd_diff(int argc, char **argv, const struct kairn_globals *g)
{
	return run(argc, argv, g, 1);
}
