/*
 * cmd/common.h — what several commands share: connecting to the cluster from
 * the global flags, the source flags (Git or directory, credentials, prune
 * settings) of sync, diff and run, and printing a JSON document.
 * Parsing and glue only; no logic.
 */
#ifndef KAIRN_CMD_COMMON_H
#define KAIRN_CMD_COMMON_H

#include <getopt.h>

#include "cli.h"
#include "kube/kube.h"
#include "sync/source.h"
#include "sync/sync.h"

/* Loads the kubeconfig (or in-cluster config) the global flags name and
 * creates a client with the global QPS/burst/concurrency/timeout. */
int cli_kube_connect(const struct kairn_globals *g, struct kube_client **out, struct kerr *e);

/* Prints v pretty to stdout and frees it. */
void cli_print_json(cJSON *v);

/* ---- source flags ---------------------------------------------------------
 * A command builds its option table with source_flags_options(extra) and
 * passes every option id it does not know itself to source_flags_handle. */

#define SOURCE_FLAGS_HELP \
	"Source (one of --repo or --dir):\n" \
	"      --repo URL                 Git repository: https://, ssh://, user@host:path, git://,\n" \
	"                                 file:// or a local path\n" \
	"      --ref REF                  branch, tag, commit SHA or HEAD (default HEAD)\n" \
	"      --path P                   directory inside the repository (default: root)\n" \
	"      --dir DIR                  a local directory of manifests instead of Git\n" \
	"      --no-recurse               load only the top directory (default: subdirectories\n" \
	"                                 too, except those starting with '.'; --recurse says so)\n" \
	"      --source NAME              source name: label kairn.dev/source and inventory\n" \
	"                                 (default: the repository or directory name)\n" \
	"      --cache-dir DIR            Git cache (default $KAIRN_CACHE_DIR, in a cluster\n" \
	"                                 /var/lib/kairn, else $XDG_CACHE_HOME/kairn or ~/.cache/kairn)\n" \
	"      --username NAME            HTTPS user (default x-access-token) or SSH login\n" \
	"      --token-file F             HTTPS token (also $KAIRN_GIT_TOKEN)\n" \
	"      --password-file F          HTTPS password (also $KAIRN_GIT_PASSWORD)\n" \
	"      --ssh-key F                SSH private key file\n" \
	"      --ssh-passphrase-file F    its passphrase (also $KAIRN_GIT_SSH_PASSPHRASE)\n" \
	"      --known-hosts F            known_hosts file (default ~/.ssh/known_hosts)\n" \
	"      --insecure-ignore-host-key accept any SSH host key\n" \
	"      --ca-file F                PEM CA bundle trusted for HTTPS besides the system's\n" \
	"      --git-timeout SEC          fetch deadline (default 120)\n" \
	"Sync:\n" \
	"      --prune / --no-prune       delete objects removed from Git (default: prune)\n" \
	"      --max-prune PCT            refuse to prune more than PCT%% of the inventory (default 50)\n" \
	"      --force-prune              prune even when a guard would refuse\n" \
	"      --inventory-namespace NS   where inventories live (default kairn-system)\n" \
	"      --run-hooks WHEN           changes: pre-sync, sync and post-sync hooks run only when\n" \
	"                                 the sync changes something (default); always; never\n" \
	"                                 (sync-fail hooks neither)\n"

enum source_flag_id {
	SF_REPO = 1000, SF_REF, SF_PATH, SF_DIR, SF_RECURSE, SF_NO_RECURSE, SF_SOURCE, SF_CACHE, SF_USER, SF_TOKEN,
	SF_PASSWORD, SF_KEY, SF_PASSPHRASE, SF_KNOWN, SF_INSECURE, SF_CA, SF_TIMEOUT, SF_PRUNE,
	SF_NO_PRUNE, SF_MAX_PRUNE, SF_FORCE_PRUNE, SF_INVENTORY_NS, SF_RUN_HOOKS,
};

struct source_flags {
	struct sync_source_opts src;
	struct sync_opts sync;
	const char *token_file, *password_file, *passphrase_file;
	char *password, *passphrase; /* secrets read by source_flags_finish */
	char *name;                  /* derived source name */
	char *cache_dir;             /* derived cache dir */
};

/* The source options followed by extra (both terminated by a zero entry);
 * malloc'd, caller frees. */
struct option *source_flags_options(const struct option *extra);
void source_flags_init(struct source_flags *f);
/* Returns 1 if id was a source flag (handled), 0 if not, or
 * KAIRN_EXIT_USAGE after printing a usage error for a bad value. */
int source_flags_handle(struct source_flags *f, int id, const char *arg, const char *cmd);
/* Checks the combination, derives defaults (source name, cache dir,
 * namespace) and reads secrets. Returns 0 or KAIRN_EXIT_USAGE/ERROR after
 * printing why. */
int source_flags_finish(struct source_flags *f, const struct kairn_globals *g,
			struct kube_client *kc, const char *cmd);
void source_flags_free(struct source_flags *f);

/* ---- backup storage locations ---------------------------------------------
 * "file:///var/backups" or a plain path; "s3://bucket/prefix?region=R&
 * endpoint=URL&forcePathStyle=true" (credentials from creds_file, a
 * Velero-style file, or AWS_* environment variables). */
struct backup_store;
int cli_open_store(const char *url, const char *creds_file, struct backup_store **out,
		   struct kerr *e);

/* Splits "a,b,c" into a NULL-terminated array (the string is modified). */
const char **cli_split_list(char *s);

#endif
