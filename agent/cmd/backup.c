/*
 * cmd/backup.c — `kairn backup create|list|describe|delete|gc`.
 *
 * create: LIST what the filters take (backup/collect), stream it into a
 * Velero 1.1.0 tarball in a temp dir, write the sidecars and
 * velero-backup.json, upload (velero-backup.json last, so a half-written
 * backup never looks complete), then delete expired backups. Parsing,
 * glue and output only.
 *
 * create --schedule S (for CronJobs, which cannot compute a name): the
 * backup is named S-<UTC yyyyMMddHHmmss>, as Velero names the backups of
 * its schedule S.
 */
#include "cli.h"
#include "common.h"
#include "backup/backup.h"
#include "backup/collect.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char cmd_backup_usage[] =
	"Usage: kairn backup create NAME --storage-location URL [flags]\n"
	"       kairn backup create --schedule S --storage-location URL [flags]\n"
	"       kairn backup list --storage-location URL\n"
	"       kairn backup describe NAME --storage-location URL\n"
	"       kairn backup delete NAME --storage-location URL\n"
	"       kairn backup gc --storage-location URL    (also: kairn backup prune)\n"
	"\n"
	"Snapshots cluster resources into a Velero-compatible backup (Velero restores it, and\n"
	"kairn restores Velero's), stored in a directory or an S3 bucket.\n"
	"\n"
	"      --storage-location URL          file:///path, a path, or\n"
	"                                      s3://bucket/prefix?region=R&endpoint=URL (also --storage)\n"
	"      --credentials-file F            Velero-style S3 credentials ([default]\n"
	"                                      aws_access_key_id=...); default: AWS_* env\n"
	"create:\n"
	"      --schedule S                    instead of NAME: name it S-<UTC yyyyMMddHHmmss>\n"
	"                                      (as Velero names scheduled backups; for CronJobs)\n"
	"      --include-namespaces a,b        namespaces to take (globs; default all)\n"
	"      --exclude-namespaces a,b\n"
	"      --include-resources a,b         e.g. deployments.apps,configmaps (default all)\n"
	"      --exclude-resources a,b\n"
	"      --include-cluster-resources B   true|false (default: only when all namespaces)\n"
	"  -l, --selector k=v[,k=v]            label selector\n"
	"      --ttl DURATION                  how long to keep it (default 720h)\n"
	"      --no-gc                         do not delete expired backups afterwards\n";

enum { O_STORE = 1, O_CREDS, O_INC_NS, O_EXC_NS, O_INC_RES, O_EXC_RES, O_INC_CLUSTER, O_SELECTOR,
       O_TTL, O_NO_GC, O_SCHEDULE };

struct backup_args {
	const char *store_url, *creds, *name, *selector, *ttl, *schedule;
	char scheduled_name[256];   /* name from --schedule */
	char *inc_ns, *exc_ns, *inc_res, *exc_res;
	int include_cluster, no_gc;
};

struct collect_ctx {
	struct backup_writer *w;
};

static int add_item(void *ud, const struct kube_resource *res, const cJSON *obj, struct kerr *e)
{
	struct collect_ctx *c = ud;

	return backup_writer_add(c->w, res->group, res->resource, res->version, obj, e);
}

/* "a=b,c=d" into a LabelSelector {matchLabels:{...}} for velero-backup.json. */
static cJSON *selector_json(const char *sel)
{
	cJSON *ls = cJSON_CreateObject(), *ml = cJSON_AddObjectToObject(ls, "matchLabels");
	char *copy = strdup(sel), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || strpbrk(tok, "!()") || eq[1] == '=') {
			cJSON_Delete(ls);
			ls = NULL;
			break;
		}
		*eq = '\0';
		cJSON_AddStringToObject(ml, tok, eq + 1);
	}
	free(copy);
	return ls;
}

static cJSON *list_json(char *csv)
{
	const char **v;
	cJSON *a;

	if (!csv)
		return NULL;
	v = cli_split_list(csv);
	a = cJSON_CreateArray();
	for (size_t i = 0; v && v[i]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	free(v);
	return a;
}

static int backup_create(struct backup_args *a, const struct kairn_globals *g)
{
	struct kube_client *kc = NULL;
	struct backup_store *store = NULL;
	struct collect_ctx ctx = { 0 };
	struct backup_collect_opts co = { .filter.include_cluster_resources = a->include_cluster,
					  .label_selector = a->selector };
	struct backup_collect_stats st;
	struct backup_meta meta = { 0 };
	struct kbuf path = { 0 }, json = { 0 };
	char tmpl[] = "/tmp/kairn-backup-XXXXXX", *dir = NULL;
	char *ns_in = a->inc_ns ? strdup(a->inc_ns) : NULL, *ns_ex = a->exc_ns ? strdup(a->exc_ns) : NULL;
	char *res_in = a->inc_res ? strdup(a->inc_res) : NULL, *res_ex = a->exc_res ? strdup(a->exc_res) : NULL;
	const char **l1 = NULL, **l2 = NULL, **l3 = NULL, **l4 = NULL;
	long long ttl_s;
	int64_t t0 = time_mono_ms();
	struct kerr e = { 0 };
	int rc = KAIRN_EXIT_ERROR;

	if (backup_ttl_seconds(a->ttl ? a->ttl : "720h", &ttl_s, &e)) {
		free(ns_in); free(ns_ex); free(res_in); free(res_ex);
		return cli_usage_error("backup", "--ttl: %s", e.msg);
	}
	if (a->selector && !(meta.label_selector = selector_json(a->selector))) {
		free(ns_in); free(ns_ex); free(res_in); free(res_ex);
		return cli_usage_error("backup", "--selector: only key=value[,key=value] is supported");
	}
	co.filter.include_namespaces = l1 = ns_in ? cli_split_list(ns_in) : NULL;
	co.filter.exclude_namespaces = l2 = ns_ex ? cli_split_list(ns_ex) : NULL;
	co.filter.include_resources = l3 = res_in ? cli_split_list(res_in) : NULL;
	co.filter.exclude_resources = l4 = res_ex ? cli_split_list(res_ex) : NULL;
	if (cli_kube_connect(g, &kc, &e) || cli_open_store(a->store_url, a->creds, &store, &e) ||
	    backup_store_check_layout(store, &e))
		goto out;
	dir = mkdtemp(tmpl);
	if (!dir) {
		kerr_set(&e, KAIRN_EIO, "cannot create a temp directory");
		goto out;
	}
	meta.name = (char *)a->name;
	meta.start = time(NULL);
	kbuf_printf(&path, "%s/%s.tar.gz", dir, a->name);
	if (backup_writer_open(path.data, meta.start, &ctx.w, &e))
		goto out;
	if (backup_collect(kc, &co, add_item, &ctx, &st, &e)) {
		kerr_prefix(&e, "collecting");
		goto out;
	}
	if (backup_writer_finish(ctx.w, &e) ||
	    backup_sidecars_write(dir, a->name, ctx.w, "", NULL, &e))
		goto out;
	meta.included_namespaces = list_json(a->inc_ns);
	meta.excluded_namespaces = list_json(a->exc_ns);
	meta.included_resources = list_json(a->inc_res);
	meta.excluded_resources = list_json(a->exc_res);
	meta.ttl = (char *)(a->ttl ? a->ttl : "720h0m0s");
	meta.schedule = (char *)a->schedule;
	meta.phase = "Completed";
	meta.format_version = BACKUP_FORMAT_VERSION;
	meta.completion = time(NULL);
	meta.expiration = meta.start + (time_t)ttl_s;
	meta.total_items = meta.items_backed_up = (long)st.items;
	kbuf_reset(&path);
	kbuf_printf(&path, "%s/velero-backup.json", dir);
	if (backup_meta_to_json(&meta, &json, &e) ||
	    fs_write_atomic(path.data, json.data, json.len, 0644, &e) ||
	    backup_store_upload(store, a->name, dir, &e))
		goto out;
	if (!a->no_gc) {
		size_t deleted = 0;
		struct kerr ge;

		if (backup_store_retention(store, time(NULL), &deleted, &ge))
			log_warn("deleting expired backups: %s", ge.msg);
		else if (deleted)
			log_info("deleted %zu expired backup%s", deleted, deleted == 1 ? "" : "s");
	}
	if (g->output == KAIRN_OUT_JSON) {
		cJSON *r = cJSON_CreateObject();
		char ts[32];

		cJSON_AddStringToObject(r, "name", a->name);
		cJSON_AddStringToObject(r, "phase", "Completed");
		cJSON_AddNumberToObject(r, "items", (double)st.items);
		cJSON_AddNumberToObject(r, "resourceTypes", (double)st.types);
		time_rfc3339(meta.expiration, ts);
		cJSON_AddStringToObject(r, "expiration", ts);
		cJSON_AddNumberToObject(r, "durationSeconds", (double)(time_mono_ms() - t0) / 1000);
		cli_print_json(r);
	} else {
		char ts[32];

		time_rfc3339(meta.expiration, ts);
		printf("backup %s: %zu items from %zu resource types stored in %s in %.2fs (expires %s)\n",
		       a->name, st.items, st.types, a->store_url, (double)(time_mono_ms() - t0) / 1000, ts);
	}
	rc = KAIRN_EXIT_OK;
out:
	if (rc)
		fprintf(stderr, "kairn backup create %s: %s\n", a->name, e.msg);
	backup_writer_free(ctx.w);
	if (dir)
		fs_remove_flat_dir(dir);
	cJSON_Delete(meta.included_namespaces);
	cJSON_Delete(meta.excluded_namespaces);
	cJSON_Delete(meta.included_resources);
	cJSON_Delete(meta.excluded_resources);
	cJSON_Delete(meta.label_selector);
	kbuf_free(&path);
	kbuf_free(&json);
	free(l1); free(l2); free(l3); free(l4);
	free(ns_in); free(ns_ex); free(res_in); free(res_ex);
	backup_store_free(store);
	kube_client_free(kc);
	return rc;
}

/* Reads and parses backups/N/velero-backup.json through a temp download. */
static int read_meta(struct backup_store *s, const char *name, struct backup_meta **out, struct kerr *e)
{
	char tmpl[] = "/tmp/kairn-meta-XXXXXX", *dir = mkdtemp(tmpl);
	struct kbuf key = { 0 }, local = { 0 };
	char *json = NULL;
	size_t len;
	int rc;

	if (!dir)
		return kerr_set(e, KAIRN_EIO, "cannot create a temp directory");
	if (kbuf_printf(&key, "backups/%s/velero-backup.json", name) ||
	    kbuf_printf(&local, "%s/velero-backup.json", dir)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	rc = backup_store_get(s, key.data, local.data, e);
	if (rc == KAIRN_ENOTFOUND)
		kerr_set(e, rc, "no backup named %s in this storage location", name);
	if (!rc)
		rc = fs_read_all(local.data, &json, &len, e);
	if (!rc)
		rc = backup_meta_parse(json, len, out, e);
out:
	free(json);
	kbuf_free(&key);
	kbuf_free(&local);
	fs_remove_flat_dir(dir);
	return rc;
}

static int backup_list(struct backup_args *a, const struct kairn_globals *g, int describe)
{
	struct backup_store *store = NULL;
	struct backup_key_list names = { 0 };
	struct kerr e = { 0 };
	cJSON *arr = cJSON_CreateArray();
	int rc = KAIRN_EXIT_ERROR;

	if (cli_open_store(a->store_url, a->creds, &store, &e))
		goto out;
	if (describe) {
		names.keys = calloc(1, sizeof(char *));
		if (!names.keys || !(names.keys[0] = strdup(a->name)))
			goto out;
		names.n = 1;
	} else if (backup_store_list_backups(store, &names, &e)) {
		goto out;
	}
	if (!describe && g->output != KAIRN_OUT_JSON)
		printf("%-32s %-16s %8s  %-20s  %-20s\n", "NAME", "PHASE", "ITEMS", "CREATED", "EXPIRES");
	for (size_t i = 0; i < names.n; i++) {
		struct backup_meta *m = NULL;
		char created[32] = "", expires[32] = "";

		if (read_meta(store, names.keys[i], &m, &e)) {
			if (describe)
				goto out;
			log_warn("backup %s: %s", names.keys[i], e.msg);
			continue;
		}
		if (m->start)
			time_rfc3339(m->start, created);
		if (m->expiration)
			time_rfc3339(m->expiration, expires);
		if (g->output == KAIRN_OUT_JSON) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", names.keys[i]);
			cJSON_AddStringToObject(o, "phase", m->phase ? m->phase : "");
			cJSON_AddNumberToObject(o, "items", (double)m->items_backed_up);
			cJSON_AddStringToObject(o, "created", created);
			cJSON_AddStringToObject(o, "expiration", expires);
			cJSON_AddStringToObject(o, "formatVersion", m->format_version ? m->format_version : "");
			if (m->ttl)
				cJSON_AddStringToObject(o, "ttl", m->ttl);
			cJSON_AddItemToArray(arr, o);
		} else if (describe) {
			printf("Name:            %s\nPhase:           %s\nFormat version:  %s\nItems:           %ld of %ld\n"
			       "Created:         %s\nExpires:         %s\nTTL:             %s\nErrors:          %ld\nWarnings:        %ld\n",
			       names.keys[i], m->phase ? m->phase : "", m->format_version ? m->format_version : "",
			       m->items_backed_up, m->total_items, created, expires, m->ttl ? m->ttl : "", m->errors,
			       m->warnings);
		} else {
			printf("%-32s %-16s %8ld  %-20s  %-20s\n", names.keys[i], m->phase ? m->phase : "",
			       m->items_backed_up, created, expires);
		}
		backup_meta_free(m);
	}
	if (g->output == KAIRN_OUT_JSON) {
		cli_print_json(describe ? cJSON_DetachItemFromArray(arr, 0) : arr);
		if (describe)
			cJSON_Delete(arr);
		arr = NULL;
	}
	rc = KAIRN_EXIT_OK;
out:
	if (rc)
		fprintf(stderr, "kairn backup %s: %s\n", describe ? "describe" : "list", e.msg);
	cJSON_Delete(arr);
	backup_key_list_free(&names);
	backup_store_free(store);
	return rc;
}

static int backup_delete(struct backup_args *a, int gc)
{
	struct backup_store *store = NULL;
	struct kerr e = { 0 };
	size_t deleted = 0;
	int rc = KAIRN_EXIT_ERROR;

	if (cli_open_store(a->store_url, a->creds, &store, &e))
		goto out;
	if (gc ? backup_store_retention(store, time(NULL), &deleted, &e)
	       : backup_store_delete_backup(store, a->name, &e))
		goto out;
	if (gc)
		printf("deleted %zu expired backup%s\n", deleted, deleted == 1 ? "" : "s");
	else
		printf("backup %s deleted\n", a->name);
	rc = KAIRN_EXIT_OK;
out:
	if (rc)
		fprintf(stderr, "kairn backup %s: %s\n", gc ? "gc" : "delete", e.msg);
	backup_store_free(store);
	return rc;
}

/* S-<UTC yyyyMMddHHmmss> (Velero's schedule controller uses the same
 * layout, Go's "20060102150405"). */
static int scheduled_name(const char *schedule, time_t now, char *out, size_t n)
{
	struct tm tm;
	char stamp[16];

	if (!*schedule || strchr(schedule, '/') || !gmtime_r(&now, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm))
		return -1;
	return snprintf(out, n, "%s-%s", schedule, stamp) >= (int)n ? -1 : 0;
}

int cmd_backup(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option opts[] = {
		{ "storage-location", required_argument, NULL, O_STORE },
		{ "storage", required_argument, NULL, O_STORE },
		{ "credentials-file", required_argument, NULL, O_CREDS },
		{ "include-namespaces", required_argument, NULL, O_INC_NS },
		{ "exclude-namespaces", required_argument, NULL, O_EXC_NS },
		{ "include-resources", required_argument, NULL, O_INC_RES },
		{ "exclude-resources", required_argument, NULL, O_EXC_RES },
		{ "include-cluster-resources", required_argument, NULL, O_INC_CLUSTER },
		{ "selector", required_argument, NULL, O_SELECTOR },
		{ "ttl", required_argument, NULL, O_TTL },
		{ "no-gc", no_argument, NULL, O_NO_GC },
		{ "schedule", required_argument, NULL, O_SCHEDULE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct backup_args a = { .include_cluster = -1 };
	const char *sub;
	int c, needs_name;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return argc < 2 ? cli_usage_error("backup", "expected create, list, describe, delete or gc")
				: cli_print_help("backup");
	sub = argv[1];
	if (!strcmp(sub, "prune")) /* deleting expired backups: gc, as the issue and Velero users say it */
		sub = "gc";
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hl:", opts, NULL)) != -1) {
		switch (c) {
		case O_STORE: a.store_url = optarg; break;
		case O_CREDS: a.creds = optarg; break;
		case O_INC_NS: a.inc_ns = optarg; break;
		case O_EXC_NS: a.exc_ns = optarg; break;
		case O_INC_RES: a.inc_res = optarg; break;
		case O_EXC_RES: a.exc_res = optarg; break;
		case O_INC_CLUSTER:
			if (strcmp(optarg, "true") && strcmp(optarg, "false"))
				return cli_usage_error("backup", "--include-cluster-resources: true or false");
			a.include_cluster = strcmp(optarg, "true") == 0;
			break;
		case 'l':
		case O_SELECTOR: a.selector = optarg; break;
		case O_TTL: a.ttl = optarg; break;
		case O_NO_GC: a.no_gc = 1; break;
		case O_SCHEDULE: a.schedule = optarg; break;
		case 'h': return cli_print_help("backup");
		default: return cli_usage_error("backup", "unknown flag");
		}
	}
	if (a.schedule && strcmp(sub, "create"))
		return cli_usage_error("backup", "--schedule applies to create only");
	needs_name = (!strcmp(sub, "create") && !a.schedule) || !strcmp(sub, "describe") ||
		     !strcmp(sub, "delete");
	if (needs_name) {
		if (optind >= argc)
			return cli_usage_error("backup", "%s needs a backup NAME", sub);
		a.name = argv[optind++];
	} else if (a.schedule) {
		if (scheduled_name(a.schedule, time(NULL), a.scheduled_name, sizeof(a.scheduled_name)))
			return cli_usage_error("backup", "--schedule: \"%s\" is not a valid schedule name",
					       a.schedule);
		a.name = a.scheduled_name;
	}
	if (a.name && (backup_store_check_key(a.name, NULL) || strchr(a.name, '/')))
		return cli_usage_error("backup", "\"%s\" is not a valid backup name", a.name);
	if (optind < argc)
		return cli_usage_error("backup", "unexpected argument \"%s\"", argv[optind]);
	if (!a.store_url)
		return cli_usage_error("backup", "--storage-location is required");
	if (!strcmp(sub, "create"))
		return backup_create(&a, g);
	if (!strcmp(sub, "list"))
		return backup_list(&a, g, 0);
	if (!strcmp(sub, "describe"))
		return backup_list(&a, g, 1);
	if (!strcmp(sub, "delete"))
		return backup_delete(&a, 0);
	if (!strcmp(sub, "gc"))
		return backup_delete(&a, 1);
	return cli_usage_error("backup", "unknown subcommand \"%s\"", sub);
}
