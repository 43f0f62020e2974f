/*
 * store.h — where backups live: a directory or an S3 bucket, behind one
 * vtable, with the Velero object layout (design/backup-format.md §1.7, §2).
 *
 * Owns: put/get/list/delete of whole objects by key, key validation, and the
 * backup-level rules built on them — upload velero-backup.json LAST (its
 * presence means "complete"), delete it FIRST, list complete backups,
 * retention by status.expiration, the Velero root-layout check.
 * Never: builds archives (archive.h) or talks to Kubernetes.
 *
 * Keys are relative to the store root, '/'-separated ("backups/N/N.tar.gz");
 * the store's prefix (bucket prefix or nothing) is applied inside.
 */
#ifndef KAIRN_BACKUP_STORE_H
#define KAIRN_BACKUP_STORE_H

#include <stddef.h>
#include <time.h>

struct kerr;
struct backup_store;

/* A list result: keys (or, with delimiter, "dir/" prefixes too), sorted. */
struct backup_key_list {
	char **keys;
	size_t n;
};
void backup_key_list_free(struct backup_key_list *l);
/* For store implementations: append a copy of k (cap tracks the allocation,
 * start at 0), and sort bytewise. add returns 0 or KAIRN_ENOMEM. */
int backup_key_list_add(struct backup_key_list *l, size_t *cap, const char *k);
void backup_key_list_sort(struct backup_key_list *l);

struct backup_store_ops {
	/* Uploads the file at src as key; the object appears only when complete. */
	int (*put)(struct backup_store *s, const char *key, const char *src_path, struct kerr *e);
	/* Downloads key into dst_path (written to a temp name, then renamed).
	 * KAIRN_ENOTFOUND if absent. */
	int (*get)(struct backup_store *s, const char *key, const char *dst_path, struct kerr *e);
	/* Keys under prefix. With delimiter, one level only: objects directly
	 * under prefix plus "sub/" entries for deeper ones (S3 CommonPrefixes). */
	int (*list)(struct backup_store *s, const char *prefix, int delimiter,
		    struct backup_key_list *out, struct kerr *e);
	/* Deletes key; deleting an absent key succeeds (S3 semantics). */
	int (*del)(struct backup_store *s, const char *key, struct kerr *e);
	void (*free)(struct backup_store *s);
};

struct backup_store {
	const struct backup_store_ops *ops;
};

static inline int backup_store_put(struct backup_store *s, const char *k, const char *src, struct kerr *e)
{
	return s->ops->put(s, k, src, e);
}
static inline int backup_store_get(struct backup_store *s, const char *k, const char *dst, struct kerr *e)
{
	return s->ops->get(s, k, dst, e);
}
static inline int backup_store_list(struct backup_store *s, const char *prefix, int delim,
				    struct backup_key_list *out, struct kerr *e)
{
	return s->ops->list(s, prefix, delim, out, e);
}
static inline int backup_store_del(struct backup_store *s, const char *k, struct kerr *e)
{
	return s->ops->del(s, k, e);
}
void backup_store_free(struct backup_store *s);

/* A key must be relative, non-empty, without empty, "." or ".." segments. */
int backup_store_check_key(const char *key, struct kerr *e);

/* ---- file store ---- */
/* Objects are files under root (created if missing). put copies to a hidden
 * temp name in the target directory, fsyncs and renames; list skips those. */
int backup_store_file_new(const char *root, struct backup_store **out, struct kerr *e);

/* ---- S3 store (store_s3.c) ---- */
struct backup_s3_config {
	const char *bucket;        /* required */
	const char *prefix;        /* optional, no leading/trailing '/' needed */
	const char *region;        /* default "us-east-1" */
	const char *endpoint;      /* "http://127.0.0.1:4568"; default https://s3.<region>.amazonaws.com */
	int path_style;            /* 1: <endpoint>/<bucket>/<key>; 0: <bucket>.<host>/<key> */
	const char *access_key;    /* explicit credentials win... */
	const char *secret_key;
	const char *session_token;
	const char *credentials_file; /* ...then this Velero-style file ([profile] aws_access_key_id=...) */
	const char *profile;          /* default "default" (or AWS_PROFILE) */
	const char *ca_file;          /* extra CA bundle for https endpoints */
	size_t part_size;          /* multipart part size; default 8 MiB, min 5 MiB */
	size_t multipart_threshold; /* files larger use multipart; default 64 MiB */
};
/* Credentials: config fields, else credentials_file, else AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else AWS_SHARED_CREDENTIALS_FILE. */
int backup_store_s3_new(const struct backup_s3_config *cfg, struct backup_store **out, struct kerr *e);

/* ---- backups in a store (store_backup.c) ---- */

/* Uploads backup `name` from local_dir, a directory holding this one backup
 * (N.tar.gz, the N-* sidecars, velero-backup.json): every other file first,
 * velero-backup.json last, so a crash leaves no complete-looking backup.
 * Sidecars that are absent are simply not uploaded (Velero treats them as
 * optional). Callers should run backup_store_check_layout once per store. */
int backup_store_upload(struct backup_store *s, const char *name, const char *local_dir, struct kerr *e);
/* Downloads velero-backup.json and N.tar.gz of `name` into local_dir. */
int backup_store_download(struct backup_store *s, const char *name, const char *local_dir, struct kerr *e);
/* Names of complete backups (those with backups/N/velero-backup.json), sorted. */
int backup_store_list_backups(struct backup_store *s, struct backup_key_list *out, struct kerr *e);
/* Deletes every object of backups/N/, velero-backup.json first. */
int backup_store_delete_backup(struct backup_store *s, const char *name, struct kerr *e);
/* Deletes every complete backup whose status.expiration is before now;
 * *deleted (may be NULL) gets the count. A backup whose JSON cannot be read
 * or has no expiration is kept and logged. */
int backup_store_retention(struct backup_store *s, time_t now, size_t *deleted, struct kerr *e);
/* Velero's BSL rule: the root may hold only backups/ restores/ restic/
 * metadata/ plugins/ kopia/. Anything else → KAIRN_EINVAL naming it. */
int backup_store_check_layout(struct backup_store *s, struct kerr *e);

#endif
