/*
 * store_backup.c — backups as sets of objects in a store (see store.h).
 * The one invariant: backups/N/velero-backup.json exists only while every
 * other object of N is in place — uploaded last, deleted first.
 * Never: reads the tarball's content.
 */
#include "backup/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/meta.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#define META_FILE "velero-backup.json"

static int check_name(const char *name, struct kerr *e)
{
	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return kerr_set(e, KAIRN_EINVAL, "bad backup name \"%s\"", name ? name : "");
	return 0;
}

int backup_store_upload(struct backup_store *s, const char *name, const char *local_dir, struct kerr *e)
{
	DIR *d = NULL;
	struct dirent *de;
	char *src = NULL, *key = NULL;
	int rc = check_name(name, e), have_meta = 0, have_tar = 0;
	size_t nlen = strlen(name);

	if (rc)
		return rc;
	d = opendir(local_dir);
	if (!d)
		return kerr_set(e, KAIRN_EIO, "%s: %s", local_dir, strerror(errno));
	/* Pass 1: everything of this backup except velero-backup.json. */
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, META_FILE)) {
			have_meta = 1;
			continue;
		}
		if (strncmp(de->d_name, name, nlen) || (de->d_name[nlen] != '.' && de->d_name[nlen] != '-'))
			continue;
		if (strstr(de->d_name, ".tmp-"))
			continue;
		if (!strcmp(de->d_name + nlen, ".tar.gz"))
			have_tar = 1;
		free(src);
		free(key);
		key = NULL;
		if (asprintf(&src, "%s/%s", local_dir, de->d_name) < 0 ||
		    asprintf(&key, "backups/%s/%s", name, de->d_name) < 0) {
			src = key = NULL;
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = backup_store_put(s, key, src, e)))
			goto out;
	}
	if (!have_tar || !have_meta) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s lacks %s", local_dir, have_tar ? META_FILE : "the tarball");
		goto out;
	}
	/* Pass 2: the file that makes the backup exist. */
	free(src);
	free(key);
	if (asprintf(&src, "%s/%s", local_dir, META_FILE) < 0 ||
	    asprintf(&key, "backups/%s/%s", name, META_FILE) < 0) {
		src = key = NULL;
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	rc = backup_store_put(s, key, src, e);
out:
	closedir(d);
	free(src);
	free(key);
	return rc ? kerr_prefix(e, "uploading backup %s", name) : 0;
}

int backup_store_download(struct backup_store *s, const char *name, const char *local_dir, struct kerr *e)
{
	static const char *const files[] = { META_FILE, "%s.tar.gz" };
	int rc = check_name(name, e);

	if (rc == 0)
		rc = fs_mkdir_p(local_dir, 0755, e);
	for (size_t i = 0; rc == 0 && i < 2; i++) {
		char *base = NULL, *key = NULL, *dst = NULL;

		if (asprintf(&base, files[i], name) < 0)
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		if (asprintf(&key, "backups/%s/%s", name, base) < 0 || asprintf(&dst, "%s/%s", local_dir, base) < 0)
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		else
			rc = backup_store_get(s, key, dst, e);
		free(base);
		free(key);
		free(dst);
	}
	return rc ? kerr_prefix(e, "downloading backup %s", name) : 0;
}

int backup_store_list_backups(struct backup_store *s, struct backup_key_list *out, struct kerr *e)
{
	struct backup_key_list all = { 0 };
	int rc = backup_store_list(s, "backups/", 0, &all, e);
	size_t j = 0;

	out->keys = NULL;
	out->n = 0;
	if (rc)
		return kerr_prefix(e, "listing backups");
	/* keep "backups/N/velero-backup.json" only, reuse the array for names */
	for (size_t i = 0; i < all.n; i++) {
		char *k = all.keys[i] + strlen("backups/"), *slash = strchr(k, '/');

		if (slash && !strcmp(slash + 1, META_FILE)) {
			memmove(all.keys[i], k, (size_t)(slash - k));
			all.keys[i][slash - k] = '\0';
			all.keys[j++] = all.keys[i];
		} else {
			free(all.keys[i]);
		}
	}
	if (j == 0) {
		free(all.keys);
		all.keys = NULL;
	}
	out->keys = all.keys;
	out->n = j;
	return 0;
}

int backup_store_delete_backup(struct backup_store *s, const char *name, struct kerr *e)
{
	struct backup_key_list l = { 0 };
	char *prefix = NULL, *meta = NULL;
	int rc = check_name(name, e);

	if (rc)
		return rc;
	if (asprintf(&prefix, "backups/%s/", name) < 0 || asprintf(&meta, "backups/%s/%s", name, META_FILE) < 0) {
		free(prefix);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	/* First: it stops being a backup. Then the rest, whatever happens. */
	if ((rc = backup_store_del(s, meta, e)) || (rc = backup_store_list(s, prefix, 0, &l, e)))
		goto out;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = backup_store_del(s, l.keys[i], e);
out:
	backup_key_list_free(&l);
	free(prefix);
	free(meta);
	return rc ? kerr_prefix(e, "deleting backup %s", name) : 0;
}

/* Reads backups/N/velero-backup.json into a temp file and parses it. */
static int fetch_meta(struct backup_store *s, const char *name, struct backup_meta **out, struct kerr *e)
{
	char tmpl[] = "/tmp/kairn-meta-XXXXXX", *key = NULL, *json = NULL;
	size_t len;
	int fd = mkstemp(tmpl), rc;

	if (fd < 0)
		return kerr_set(e, KAIRN_EIO, "temp file: %s", strerror(errno));
	close(fd);
	if (asprintf(&key, "backups/%s/%s", name, META_FILE) < 0) {
		unlink(tmpl);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	rc = backup_store_get(s, key, tmpl, e);
	if (rc == 0)
		rc = fs_read_all(tmpl, &json, &len, e);
	if (rc == 0)
		rc = backup_meta_parse(json, len, out, e);
	unlink(tmpl);
	free(key);
	free(json);
	return rc;
}

int backup_store_retention(struct backup_store *s, time_t now, size_t *deleted, struct kerr *e)
{
	struct backup_key_list names = { 0 };
	size_t count = 0;
	int rc = backup_store_list_backups(s, &names, e);

	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		struct backup_meta *m = NULL;
		struct kerr me;

		if (fetch_meta(s, names.keys[i], &m, &me)) {
			log_warn("retention: keeping backup %s: %s", names.keys[i], me.msg);
			continue;
		}
		if (!m->expiration) {
			log_warn("retention: keeping backup %s: no status.expiration", names.keys[i]);
		} else if (m->expiration < now) {
			rc = backup_store_delete_backup(s, names.keys[i], e);
			if (rc == 0) {
				log_info("retention: deleted expired backup %s", names.keys[i]);
				count++;
			}
		}
		backup_meta_free(m);
	}
	backup_key_list_free(&names);
	if (deleted)
		*deleted = count;
	return rc;
}

int backup_store_check_layout(struct backup_store *s, struct kerr *e)
{
	static const char *const allowed[] = { "backups/", "restores/", "restic/", "metadata/", "plugins/", "kopia/" };
	struct backup_key_list l = { 0 };
	int rc = backup_store_list(s, "", 1, &l, e);

	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		int ok = 0;

		for (size_t j = 0; j < sizeof(allowed) / sizeof(allowed[0]); j++)
			ok |= !strcmp(l.keys[i], allowed[j]);
		if (!ok)
			rc = kerr_set(e, KAIRN_EINVAL,
				      "store root holds \"%s\": Velero accepts only backups/ restores/ restic/ "
				      "metadata/ plugins/ kopia/ there and would mark the location Unavailable",
				      l.keys[i]);
	}
	backup_key_list_free(&l);
	return rc;
}
