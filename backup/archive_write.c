/*
 * archive_write.c — streams a Velero 1.1.0 tarball (see archive.h).
 * libarchive lays out the tar headers; gz.c frames the gzip stream.
 * Never: holds the archive in memory, or writes outside "<path>.tmp-<pid>"
 * before finish renames it.
 */
#include "backup/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/gojson.h"
#include "backup/gz.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonx.h"

struct backup_writer {
	char *path;
	char *tmp;
	FILE *fp;
	struct gz_writer *gz;
	struct archive *ar;
	time_t mtime;
	size_t count;
	int finished;
	struct kerr werr;  /* error from the write callback, reported by the caller */
	cJSON *reslist;    /* "<apiVersion>/<Kind>" -> ["ns/name", ...] */
	struct kbuf json;  /* scratch for one item */
	locale_t utf8;     /* C.UTF-8, used around libarchive header writes */
};

static la_ssize_t write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
	struct backup_writer *w = ud;

	if (gz_writer_write(w->gz, buf, n, &w->werr)) {
		archive_set_error(a, EIO, "%s", w->werr.msg);
		return -1;
	}
	return (la_ssize_t)n;
}

static int ar_fail(struct backup_writer *w, const char *what, struct kerr *e)
{
	return kerr_set(e, KAIRN_EIO, "%s: %s: %s", w->tmp, what,
			w->werr.code ? w->werr.msg : archive_error_string(w->ar));
}

/* One regular file entry, mode 0755, uid/gid 0, names empty. */
static int put_entry(struct backup_writer *w, const char *name, const void *data, size_t len,
		     struct kerr *e)
{
	struct archive_entry *ent = archive_entry_new();
	int rc = 0, hrc;
	locale_t old;

	if (!ent)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	/* Names are UTF-8 already (Kubernetes names); stored as bytes, so the
	 * process locale plays no part (hdrcharset=BINARY below). */
	archive_entry_copy_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0755);
	archive_entry_set_size(ent, (la_int64_t)len);
	archive_entry_set_mtime(ent, w->mtime, 0);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	/* libarchive converts names through the thread's locale: make it UTF-8
	 * for this call only, so a non-ASCII name gets a plain PAX path record. */
	old = w->utf8 ? uselocale(w->utf8) : (locale_t)0;
	hrc = archive_write_header(w->ar, ent);
	if (w->utf8)
		uselocale(old);
	if (hrc != ARCHIVE_OK) {
		rc = ar_fail(w, name, e);
		goto out;
	}
	if (len && archive_write_data(w->ar, data, len) != (la_ssize_t)len) {
		rc = ar_fail(w, name, e);
		goto out;
	}
	if (archive_write_finish_entry(w->ar) != ARCHIVE_OK)
		rc = ar_fail(w, name, e);
out:
	archive_entry_free(ent);
	return rc;
}

int backup_writer_open(const char *path, time_t mtime, struct backup_writer **out, struct kerr *e)
{
	struct backup_writer *w = calloc(1, sizeof(*w));
	int rc = 0;

	*out = NULL;
	if (!w)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	w->mtime = mtime ? mtime : time(NULL);
	w->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	w->path = strdup(path);
	w->reslist = cJSON_CreateObject();
	if (!w->path || !w->reslist || asprintf(&w->tmp, "%s.tmp-%d", path, (int)getpid()) < 0) {
		w->tmp = NULL;
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	w->fp = fopen(w->tmp, "wb");
	if (!w->fp) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", w->tmp, strerror(errno));
		goto out;
	}
	rc = gz_writer_new(w->fp, &w->gz, e);
	if (rc)
		goto out;
	w->ar = archive_write_new();
	if (!w->ar) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	/* USTAR unless a PAX header is needed; 10240-byte blocks like every tar,
	 * but no padding of the last one (Go writes none). */
	if (archive_write_set_format_pax_restricted(w->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->ar, 10240) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->ar, 1) != ARCHIVE_OK ||
	    archive_write_open(w->ar, w, NULL, write_cb, NULL) != ARCHIVE_OK) {
		rc = ar_fail(w, "opening tar", e);
		goto out;
	}
	rc = put_entry(w, "metadata/version", BACKUP_FORMAT_VERSION "\n",
		       sizeof(BACKUP_FORMAT_VERSION), e);
out:
	if (rc) {
		backup_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

/* A path segment taken from object metadata must stay one segment. */
static int check_segment(const char *what, const char *s, struct kerr *e)
{
	if (!s || !*s)
		return kerr_set(e, KAIRN_EINVAL, "%s is empty", what);
	if (strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return kerr_set(e, KAIRN_EINVAL, "%s %s cannot be a path segment", what, s);
	return 0;
}

char *backup_entry_name(const char *group, const char *resource, const char *version,
			const char *ns, const char *name)
{
	struct kbuf b = { 0 };
	int rc = kbuf_printf(&b, "resources/%s%s%s/", resource, group && *group ? "." : "",
			     group ? group : "");

	if (rc == 0 && version)
		rc = kbuf_printf(&b, "%s-preferredversion/", version);
	if (rc == 0 && ns && *ns)
		rc = kbuf_printf(&b, "namespaces/%s/%s.json", ns, name);
	else if (rc == 0)
		rc = kbuf_printf(&b, "cluster/%s.json", name);
	if (rc) {
		kbuf_free(&b);
		return NULL;
	}
	return kbuf_steal(&b);
}

static int reslist_add(struct backup_writer *w, const char *api_version, const char *kind,
		       const char *ns, const char *name)
{
	struct kbuf key = { 0 }, val = { 0 };
	cJSON *arr, *s;
	int rc = kbuf_printf(&key, "%s/%s", api_version, kind);

	if (rc == 0)
		rc = ns && *ns ? kbuf_printf(&val, "%s/%s", ns, name) : kbuf_puts(&val, name);
	if (rc)
		goto out;
	arr = cJSON_GetObjectItemCaseSensitive(w->reslist, key.data);
	if (!arr && !(arr = cJSON_AddArrayToObject(w->reslist, key.data))) {
		rc = KAIRN_ENOMEM;
		goto out;
	}
	s = cJSON_CreateString(val.data);
	if (!s || !cJSON_AddItemToArray(arr, s)) {
		cJSON_Delete(s);
		rc = KAIRN_ENOMEM;
	}
out:
	kbuf_free(&key);
	kbuf_free(&val);
	return rc;
}

int backup_writer_add(struct backup_writer *w, const char *group, const char *resource,
		      const char *version, const cJSON *obj, struct kerr *e)
{
	const char *ns = jsonx_str(obj, "metadata.namespace");
	const char *name = jsonx_str(obj, "metadata.name");
	const char *apiv = jsonx_str(obj, "apiVersion"), *kind = jsonx_str(obj, "kind");
	char *legacy = NULL, *pref = NULL;
	int rc;

	if (w->finished)
		return kerr_set(e, KAIRN_EINVAL, "backup writer already finished");
	if ((rc = check_segment("resource", resource, e)) || (rc = check_segment("version", version, e)) ||
	    (rc = check_segment("metadata.name", name, e)) ||
	    (ns && *ns && (rc = check_segment("metadata.namespace", ns, e))))
		goto out;
	if (group && strchr(group, '/')) {
		rc = kerr_set(e, KAIRN_EINVAL, "group %s contains '/'", group);
		goto out;
	}
	if (!apiv || !*apiv || !kind || !*kind) {
		rc = kerr_set(e, KAIRN_EINVAL, "object has no apiVersion or kind");
		goto out;
	}
	legacy = backup_entry_name(group, resource, NULL, ns, name);
	pref = backup_entry_name(group, resource, version, ns, name);
	kbuf_reset(&w->json);
	if (!legacy || !pref || gojson_encode(&w->json, obj, GOJSON_SORT_KEYS) == KAIRN_ENOMEM) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (w->json.len == 0) {
		rc = kerr_set(e, KAIRN_EINVAL, "object holds a number JSON cannot encode");
		goto out;
	}
	if ((rc = put_entry(w, legacy, w->json.data, w->json.len, e)) ||
	    (rc = put_entry(w, pref, w->json.data, w->json.len, e)))
		goto out;
	if (reslist_add(w, apiv, kind, ns, name)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	w->count++;
out:
	if (rc)
		kerr_prefix(e, "backup item %s%s%s %s%s%s", resource, group && *group ? "." : "",
			    group ? group : "", ns ? ns : "", ns ? "/" : "", name ? name : "?");
	free(legacy);
	free(pref);
	return rc;
}

size_t backup_writer_count(const struct backup_writer *w)
{
	return w->count;
}

int backup_writer_finish(struct backup_writer *w, struct kerr *e)
{
	int rc = 0;

	if (w->finished)
		return 0;
	if (archive_write_close(w->ar) != ARCHIVE_OK)
		return ar_fail(w, "closing tar", e);
	if ((rc = gz_writer_finish(w->gz, e)))
		return kerr_prefix(e, "%s", w->tmp);
	if (fflush(w->fp) != 0 || fsync(fileno(w->fp)) != 0)
		return kerr_set(e, KAIRN_EIO, "%s: %s", w->tmp, strerror(errno));
	rc = fclose(w->fp);
	w->fp = NULL;
	if (rc != 0)
		return kerr_set(e, KAIRN_EIO, "%s: %s", w->tmp, strerror(errno));
	if (rename(w->tmp, w->path) != 0)
		return kerr_set(e, KAIRN_EIO, "rename %s: %s", w->path, strerror(errno));
	w->finished = 1;
	return 0;
}

static int cmp_str_items(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->valuestring, y->valuestring);
}

int backup_writer_resource_list(const struct backup_writer *w, struct kbuf *out, struct kerr *e)
{
	cJSON *copy = cJSON_Duplicate(w->reslist, 1), *arr;
	int rc = 0;

	if (!copy)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	cJSON_ArrayForEach(arr, copy) {
		int n = cJSON_GetArraySize(arr), i = 0;
		cJSON **v = malloc((size_t)(n ? n : 1) * sizeof(*v)), *c;

		if (!v) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		cJSON_ArrayForEach(c, arr) v[i++] = c;
		qsort(v, (size_t)n, sizeof(*v), cmp_str_items);
		/* relink the children in sorted order */
		for (i = 0; i < n; i++) {
			v[i]->prev = i ? v[i - 1] : v[n - 1];
			v[i]->next = i + 1 < n ? v[i + 1] : NULL;
		}
		arr->child = n ? v[0] : NULL;
		free(v);
	}
	if (gojson_encode(out, copy, GOJSON_SORT_KEYS) || kbuf_putc(out, '\n'))
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	cJSON_Delete(copy);
	return rc;
}

void backup_writer_free(struct backup_writer *w)
{
	if (!w)
		return;
	if (w->ar)
		archive_write_free(w->ar); /* closes too; harmless after finish */
	gz_writer_free(w->gz);
	if (w->fp)
		fclose(w->fp);
	if (!w->finished && w->tmp)
		unlink(w->tmp);
	cJSON_Delete(w->reslist);
	kbuf_free(&w->json);
	if (w->utf8)
		freelocale(w->utf8);
	free(w->path);
	free(w->tmp);
	free(w);
}
