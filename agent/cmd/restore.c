/*
 * cmd/restore.c — `kairn restore`: rebuild a cluster from a backup.
 *
 * The archive (downloaded from a storage location, or a local file) is
 * verified completely by backup_reader_open before anything else happens;
 * then the whole restore plan is built; only then is the first object
 * written. Offline: needs only the tarball and a kubeconfig. Parsing, glue
 * and output only.
 */
#include "cli.h"
#include "common.h"
#include "backup/backup.h"
#include "backup/filter.h"
#include "backup/restore.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_restore_usage[] =
	"Usage: kairn restore --from-backup NAME --storage-location URL [flags]\n"
	"       kairn restore --from-file PATH.tar.gz [flags]\n"
	"\n"
	"Restores a Velero-format backup (kairn's or Velero's). The archive is verified\n"
	"completely before the first write; objects are created in Velero's order (CRDs\n"
	"first, each awaited until Established). Existing objects are never deleted.\n"
	"\n"
	"      --from-backup NAME                a backup in --storage-location\n"
	"      --storage-location URL            file:///path or s3://bucket/prefix?...\n"
	"                                        (also --storage URL)\n"
	"      --credentials-file F              Velero-style S3 credentials\n"
	"      --from-file PATH                  a local N.tar.gz\n"
	"      --include-namespaces a,b          restore only these (globs)\n"
	"      --exclude-namespaces a,b\n"
	"      --include-resources a,b           e.g. deployments.apps,configmaps\n"
	"      --exclude-resources a,b\n"
	"      --include-cluster-resources B     true|false (default: only when all namespaces)\n"
	"      --namespace-mappings old:new,...  restore namespace old as new\n"
	"      --existing-resource-policy P      none (default: leave, warn if different) or\n"
	"                                        update (apply the backup's values)\n"
	"      --include-owned                   also restore objects whose controller is\n"
	"                                        restored (Pods of ReplicaSets...), as Velero does\n"
	"      --skip-gitops-managed             leave objects labelled kairn.dev/source to the sync\n"
	"      --preserve-nodeports              keep Services' nodePorts\n"
	"      --restore-name NAME               label value velero.io/restore-name\n"
	"      --dry-run                         send every create with dryRun=All\n"
	"  -v, --verbose                         list every object\n";

enum { O_FROM_BACKUP = 1, O_STORE, O_CREDS, O_FROM_FILE, O_INC_NS, O_EXC_NS, O_INC_RES, O_EXC_RES,
       O_MAP, O_POLICY, O_OWNED, O_SKIP_GITOPS, O_NODEPORTS, O_NAME, O_DRY_RUN, O_VERBOSE,
       O_INC_CLUSTER };

struct restore_args {
	const char *backup, *store_url, *creds, *file, *restore_name;
	char *inc_ns, *exc_ns, *inc_res, *exc_res, *map;
	struct restore_exec_opts x;
	int verbose;
	int include_cluster; /* -1 unset, 0, 1 */
};

/* "a:b,c:d" into pairs; the string is modified. */
static int parse_mappings(char *s, const char *(**out)[2], size_t *n)
{
	const char **items = cli_split_list(s);
	const char *(*pairs)[2];
	size_t k = 0;

	*n = 0;
	if (!items)
		return -1;
	while (items[k])
		k++;
	pairs = calloc(k + 1, sizeof(*pairs));
	if (!pairs) {
		free(items);
		return -1;
	}
	for (size_t i = 0; i < k; i++) {
		char *colon = strchr(items[i], ':');

		if (!colon || colon == items[i] || !colon[1]) {
			free(items);
			free(pairs);
			return -1;
		}
		*colon = '\0';
		pairs[i][0] = items[i];
		pairs[i][1] = colon + 1;
	}
	free(items);
	*out = pairs;
	*n = k;
	return 0;
}

/* The verified archive, as a restore source: only the items that pass the
 * filters, each read from the archive's spool when the restore needs it. */
struct archive_source {
	struct backup_reader *rd;
	size_t *index; /* reader item of each source item */
	size_t n;
};

static const char *src_group_resource(void *ctx, size_t i)
{
	struct archive_source *a = ctx;

	return backup_reader_item(a->rd, a->index[i])->group_resource;
}

static int src_load(void *ctx, size_t i, cJSON **out, struct kerr *e)
{
	struct archive_source *a = ctx;

	return backup_reader_item_object(a->rd, a->index[i], out, e);
}

static int select_items(struct archive_source *a, const struct backup_filter *f, struct kerr *e)
{
	size_t total = backup_reader_count(a->rd);

	a->index = calloc(total + 1, sizeof(size_t));
	if (!a->index)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < total; i++) {
		const struct backup_index_item *it = backup_reader_item(a->rd, i);
		int is_ns = !*it->group && strcmp(it->resource, "namespaces") == 0;

		if ((it->ns && !backup_filter_namespace(f, it->ns)) ||
		    (is_ns && !backup_filter_namespace(f, it->name)) ||
		    !backup_filter_resource(f, it->group, it->resource, it->kind, it->ns != NULL || is_ns))
			continue;
		a->index[a->n++] = i;
	}
	return 0;
}

static int do_restore(struct restore_args *a, const struct kairn_globals *g)
{
	struct backup_store *store = NULL;
	struct backup_reader *rd = NULL;
	struct kube_client *kc = NULL;
	struct archive_source as = { 0 };
	struct restore_source src = { .group_resource = src_group_resource, .load = src_load, .ctx = &as };
	struct restore_run *run = NULL;
	struct backup_filter f = { .include_cluster_resources = a->include_cluster };
	const char **l1 = NULL, **l2 = NULL, **l3 = NULL, **l4 = NULL;
	const char *(*pairs)[2] = NULL;
	char tmpl[] = "/tmp/kairn-restore-XXXXXX", *dir = NULL, name[128];
	struct kbuf path = { 0 };
	struct kerr e = { 0 };
	size_t n = 0, npairs = 0;
	int64_t t0 = time_mono_ms();
	int rc = KAIRN_EXIT_ERROR, xrc;

	if (a->map && parse_mappings(a->map, &pairs, &npairs))
		return cli_usage_error("restore", "--namespace-mappings: expected old:new[,old:new]");
	f.include_namespaces = l1 = a->inc_ns ? cli_split_list(a->inc_ns) : NULL;
	f.exclude_namespaces = l2 = a->exc_ns ? cli_split_list(a->exc_ns) : NULL;
	f.include_resources = l3 = a->inc_res ? cli_split_list(a->inc_res) : NULL;
	f.exclude_resources = l4 = a->exc_res ? cli_split_list(a->exc_res) : NULL;
	if (a->file) {
		kbuf_puts(&path, a->file);
	} else {
		if (cli_open_store(a->store_url, a->creds, &store, &e))
			goto out;
		dir = mkdtemp(tmpl);
		if (!dir) {
			kerr_set(&e, KAIRN_EIO, "cannot create a temp directory");
			goto out;
		}
		if (backup_store_download(store, a->backup, dir, &e))
			goto out;
		kbuf_printf(&path, "%s/%s.tar.gz", dir, a->backup);
	}
	/* Verify everything before anything else. */
	if (backup_reader_open(path.data, NULL, &rd, &e)) {
		kerr_prefix(&e, "backup archive failed verification; nothing was restored");
		goto out;
	}
	log_info("verified %s: %zu items, format %s (%.2fs)", path.data, backup_reader_count(rd),
		 backup_reader_version(rd), (double)(time_mono_ms() - t0) / 1000);
	as.rd = rd;
	if (select_items(&as, &f, &e))
		goto out;
	src.n = n = as.n;
	if (!a->restore_name) {
		char ts[32];
		struct tm tm;
		time_t now = time(NULL);

		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
		snprintf(name, sizeof(name), "%s-%s", a->backup ? a->backup : "file", ts);
		a->restore_name = name;
	}
	a->x.plan.backup_name = a->backup ? a->backup : NULL;
	a->x.plan.restore_name = a->restore_name;
	a->x.plan.ns_map = (const char *const (*)[2])pairs;
	a->x.plan.n_ns_map = npairs;
	if (restore_build(&src, &a->x, &run, &e))
		goto out;
	log_info("planned %zu items (%.2fs since start)", n, (double)(time_mono_ms() - t0) / 1000);
	if (cli_kube_connect(g, &kc, &e))
		goto out;
	xrc = restore_execute(kc, run, &src, &a->x, &e);
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *r = restore_report_json(run);

		cJSON_AddStringToObject(r, "restoreName", a->restore_name);
		cJSON_AddBoolToObject(r, "dryRun", a->x.dry_run);
		if (xrc)
			cJSON_AddStringToObject(r, "error", e.msg);
		cli_print_json(r);
	} else {
		struct kbuf out = { 0 };

		if (restore_report_text(run, a->verbose, &out) == 0)
			fwrite(out.data, 1, out.len, stdout);
		kbuf_free(&out);
	}
	if (xrc)
		goto out;
	rc = KAIRN_EXIT_OK;
out:
	if (rc)
		fprintf(stderr, "kairn restore: %s\n", e.msg);
	free(as.index);
	restore_run_free(run);
	backup_reader_free(rd);
	backup_store_free(store);
	kube_client_free(kc);
	if (dir)
		fs_remove_flat_dir(dir);
	kbuf_free(&path);
	free(pairs);
	free(l1); free(l2); free(l3); free(l4);
	return rc;
}

int cmd_restore(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option opts[] = {
		{ "from-backup", required_argument, NULL, O_FROM_BACKUP },
		{ "storage-location", required_argument, NULL, O_STORE },
		{ "storage", required_argument, NULL, O_STORE },
		{ "credentials-file", required_argument, NULL, O_CREDS },
		{ "from-file", required_argument, NULL, O_FROM_FILE },
		{ "include-namespaces", required_argument, NULL, O_INC_NS },
		{ "exclude-namespaces", required_argument, NULL, O_EXC_NS },
		{ "include-resources", required_argument, NULL, O_INC_RES },
		{ "exclude-resources", required_argument, NULL, O_EXC_RES },
		{ "namespace-mappings", required_argument, NULL, O_MAP },
		{ "existing-resource-policy", required_argument, NULL, O_POLICY },
		{ "include-owned", no_argument, NULL, O_OWNED },
		{ "skip-gitops-managed", no_argument, NULL, O_SKIP_GITOPS },
		{ "preserve-nodeports", no_argument, NULL, O_NODEPORTS },
		{ "restore-name", required_argument, NULL, O_NAME },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "include-cluster-resources", required_argument, NULL, O_INC_CLUSTER },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct restore_args a = { .include_cluster = -1 };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case O_FROM_BACKUP: a.backup = optarg; break;
		case O_STORE: a.store_url = optarg; break;
		case O_CREDS: a.creds = optarg; break;
		case O_FROM_FILE: a.file = optarg; break;
		case O_INC_NS: a.inc_ns = optarg; break;
		case O_EXC_NS: a.exc_ns = optarg; break;
		case O_INC_RES: a.inc_res = optarg; break;
		case O_EXC_RES: a.exc_res = optarg; break;
		case O_MAP: a.map = optarg; break;
		case O_POLICY:
			if (!strcmp(optarg, "none"))
				a.x.existing = RESTORE_POLICY_NONE;
			else if (!strcmp(optarg, "update"))
				a.x.existing = RESTORE_POLICY_UPDATE;
			else
				return cli_usage_error("restore", "--existing-resource-policy: none or update");
			break;
		case O_OWNED: a.x.plan.include_owned = 1; break;
		case O_SKIP_GITOPS: a.x.plan.skip_gitops_managed = 1; break;
		case O_NODEPORTS: a.x.plan.preserve_node_ports = 1; break;
		case O_NAME: a.restore_name = optarg; break;
		case O_DRY_RUN: a.x.dry_run = 1; break;
		case O_INC_CLUSTER:
			if (strcmp(optarg, "true") && strcmp(optarg, "false"))
				return cli_usage_error("restore", "--include-cluster-resources: true or false");
			a.include_cluster = strcmp(optarg, "true") == 0;
			break;
		case 'v':
		case O_VERBOSE: a.verbose = 1; break;
		case 'h': return cli_print_help("restore");
		default: return cli_usage_error("restore", "unknown flag");
		}
	}
	if (optind < argc)
		return cli_usage_error("restore", "unexpected argument \"%s\"", argv[optind]);
	if (!!a.backup == !!a.file)
		return cli_usage_error("restore", "give exactly one of --from-backup NAME or --from-file PATH");
	if (a.backup && !a.store_url)
		return cli_usage_error("restore", "--from-backup needs --storage-location");
	return do_restore(&a, g);
}
