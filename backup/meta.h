/*
 * meta.h — velero-backup.json and the gzipped sidecar files of a backup
 * (design/backup-format.md §2, §6, §7).
 *
 * Owns: the Backup CR as Velero writes it (pretty JSON, struct field order)
 * and its parsing back (phase, timestamps, expiration for retention), and the
 * sidecars N-resource-list.json.gz, N-logs.gz, N-results.gz and the optional
 * JSON-array sidecars. Never: uploads anything (store.h does) or reads items.
 */
#ifndef KAIRN_BACKUP_META_H
#define KAIRN_BACKUP_META_H

#include <time.h>

#include <cjson/cJSON.h>

struct kerr;
struct kbuf;
struct backup_writer;

/* Plain data. String lists are cJSON arrays of strings (NULL = absent);
 * label_selector is a LabelSelector object ({"matchLabels":{...}}) or NULL.
 * Everything is owned by the struct and freed by backup_meta_free. */
struct backup_meta {
	char *name;
	cJSON *included_namespaces; /* NULL → ["*"] when written */
	cJSON *excluded_namespaces;
	cJSON *included_resources;
	cJSON *excluded_resources;
	cJSON *label_selector;
	char *ttl;              /* Go duration, NULL → "720h0m0s" */
	char *storage_location; /* NULL → "default" */
	char *schedule;         /* label velero.io/schedule-name, NULL = none */
	char *phase;            /* "Completed", "PartiallyFailed", "Failed", ... */
	char *format_version;   /* "1.1.0" */
	time_t start, completion, expiration; /* 0 = absent; expiration 0 → start + ttl */
	long total_items, items_backed_up, errors, warnings;
};

/* velero-backup.json bytes: kind, apiVersion, metadata {name, namespace
 * "velero", labels}, spec, status as in §6 (2-space indent, no newline). */
int backup_meta_to_json(const struct backup_meta *m, struct kbuf *out, struct kerr *e);
/* Parses velero-backup.json (Velero's or ours). Requires kind Backup and
 * apiVersion velero.io/v1; unknown fields are ignored, as Velero does. */
int backup_meta_parse(const char *json, size_t len, struct backup_meta **out, struct kerr *e);
void backup_meta_free(struct backup_meta *m);

/* Go duration ("720h0m0s", "1h30m", "90s", "24h") to seconds. */
int backup_ttl_seconds(const char *ttl, long long *out, struct kerr *e);

/* Writes the sidecars for backup `name` into dir:
 * N-resource-list.json.gz (from the writer), N-logs.gz (log_text, may be ""),
 * N-results.gz ({"errors":{..},"warnings":{..}}; results may be NULL for
 * empty), and N-itemoperations/podvolumebackups/volumesnapshots/
 * csi-volumesnapshotclasses/volumeinfo .json.gz holding "[]". */
int backup_sidecars_write(const char *dir, const char *name, const struct backup_writer *w,
			  const char *log_text, const cJSON *results, struct kerr *e);

#endif
