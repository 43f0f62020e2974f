/*
 * meta.c — velero-backup.json and sidecars (see meta.h).
 * Never: touches the store, or writes velero-backup.json anywhere itself
 * (the caller decides when a backup becomes complete).
 */
#include "backup/meta.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/archive.h"
#include "backup/gojson.h"
#include "backup/gz.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

int backup_ttl_seconds(const char *ttl, long long *out, struct kerr *e)
{
	int64_t ms;

	if (!ttl || !*ttl)
		return kerr_set(e, KAIRN_EINVAL, "empty ttl");
	if (time_parse_duration_ms(ttl, &ms))
		return kerr_set(e, KAIRN_EINVAL, "ttl \"%s\" is not a duration like 720h or 90m", ttl);
	*out = ms / 1000;
	return 0;
}

static cJSON *dup_or(const cJSON *v, const char *fallback)
{
	if (v)
		return cJSON_Duplicate(v, 1);
	if (fallback) {
		cJSON *a = cJSON_CreateArray();

		cJSON_AddItemToArray(a, cJSON_CreateString(fallback));
		return a;
	}
	return NULL;
}

static void add_time(cJSON *o, const char *key, time_t t)
{
	char buf[32];

	if (!t)
		return;
	time_rfc3339(t, buf);
	cJSON_AddStringToObject(o, key, buf);
}

int backup_meta_to_json(const struct backup_meta *m, struct kbuf *out, struct kerr *e)
{
	cJSON *root = cJSON_CreateObject(), *md, *spec, *status, *lab;
	char ttl[32];
	const char *loc = m->storage_location ? m->storage_location : "default";
	time_t expiration = m->expiration;
	long long ttl_s = 0;
	int rc = 0;

	if (!root)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (!m->name || !*m->name) {
		rc = kerr_set(e, KAIRN_EINVAL, "backup has no name");
		goto out;
	}
	/* Stored as Go prints a time.Duration ("24h" → "24h0m0s"), as Velero does. */
	if ((rc = backup_ttl_seconds(m->ttl ? m->ttl : "720h", &ttl_s, e)))
		goto out;
	time_format_duration((int64_t)ttl_s * 1000, ttl);
	if (!expiration && m->start)
		expiration = m->start + (time_t)ttl_s;
	/* Field order is Go's struct order (backup_types.go); map keys sorted. */
	cJSON_AddStringToObject(root, "kind", "Backup");
	cJSON_AddStringToObject(root, "apiVersion", "velero.io/v1");
	md = cJSON_AddObjectToObject(root, "metadata");
	cJSON_AddStringToObject(md, "name", m->name);
	cJSON_AddStringToObject(md, "namespace", "velero");
	lab = cJSON_AddObjectToObject(md, "labels");
	if (m->schedule)
		cJSON_AddStringToObject(lab, "velero.io/schedule-name", m->schedule);
	cJSON_AddStringToObject(lab, "velero.io/storage-location", loc);
	spec = cJSON_AddObjectToObject(root, "spec");
	cJSON_AddObjectToObject(spec, "metadata");
	cJSON_AddItemToObject(spec, "includedNamespaces", dup_or(m->included_namespaces, "*"));
	if (m->excluded_namespaces)
		cJSON_AddItemToObject(spec, "excludedNamespaces", dup_or(m->excluded_namespaces, NULL));
	if (m->included_resources)
		cJSON_AddItemToObject(spec, "includedResources", dup_or(m->included_resources, NULL));
	if (m->excluded_resources)
		cJSON_AddItemToObject(spec, "excludedResources", dup_or(m->excluded_resources, NULL));
	if (m->label_selector)
		cJSON_AddItemToObject(spec, "labelSelector", cJSON_Duplicate(m->label_selector, 1));
	cJSON_AddStringToObject(spec, "ttl", ttl);
	cJSON_AddObjectToObject(spec, "hooks");
	cJSON_AddStringToObject(spec, "storageLocation", loc);
	status = cJSON_AddObjectToObject(root, "status");
	cJSON_AddNumberToObject(status, "version", 1);
	cJSON_AddStringToObject(status, "formatVersion",
				m->format_version ? m->format_version : BACKUP_FORMAT_VERSION);
	add_time(status, "expiration", expiration);
	cJSON_AddStringToObject(status, "phase", m->phase ? m->phase : "Completed");
	add_time(status, "startTimestamp", m->start);
	add_time(status, "completionTimestamp", m->completion);
	if (m->warnings)
		cJSON_AddNumberToObject(status, "warnings", (double)m->warnings);
	if (m->errors)
		cJSON_AddNumberToObject(status, "errors", (double)m->errors);
	{
		cJSON *prog = cJSON_AddObjectToObject(status, "progress");

		cJSON_AddNumberToObject(prog, "totalItems", (double)m->total_items);
		cJSON_AddNumberToObject(prog, "itemsBackedUp", (double)m->items_backed_up);
	}
	cJSON_AddObjectToObject(status, "hookStatus");
	/* Map-typed values (labels, selectors) get Go's sorted keys; the
	 * struct levels above are already in order, so sort only inside maps. */
	rc = gojson_encode(out, root, GOJSON_INDENT);
	if (rc)
		rc = kerr_set(e, rc, "encoding velero-backup.json");
out:
	cJSON_Delete(root);
	return rc;
}

static char *dup_str(const cJSON *o, const char *path)
{
	const char *s = jsonx_str(o, path);

	return s ? strdup(s) : NULL;
}

static time_t get_time(const cJSON *o, const char *path)
{
	const char *s = jsonx_str(o, path);
	time_t t = 0;

	if (s && time_parse_rfc3339(s, &t) != 0)
		t = 0;
	return t;
}

static cJSON *dup_node(const cJSON *o, const char *path)
{
	const cJSON *n = jsonx_get(o, path);

	return n ? cJSON_Duplicate(n, 1) : NULL;
}

int backup_meta_parse(const char *json, size_t len, struct backup_meta **out, struct kerr *e)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	struct backup_meta *m = NULL;
	const char *kind, *apiv;
	const cJSON *sched;
	int rc = 0;

	*out = NULL;
	if (!root)
		return kerr_set(e, KAIRN_EPARSE, "velero-backup.json: not valid JSON");
	kind = jsonx_str(root, "kind");
	apiv = jsonx_str(root, "apiVersion");
	if (!kind || strcmp(kind, "Backup") || !apiv || strcmp(apiv, "velero.io/v1")) {
		rc = kerr_set(e, KAIRN_EINVAL, "velero-backup.json: kind %s apiVersion %s, want Backup velero.io/v1",
			      kind ? kind : "(none)", apiv ? apiv : "(none)");
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	m->name = dup_str(root, "metadata.name");
	if (!m->name) {
		rc = kerr_set(e, KAIRN_EINVAL, "velero-backup.json: metadata.name missing");
		goto out;
	}
	m->included_namespaces = dup_node(root, "spec.includedNamespaces");
	m->excluded_namespaces = dup_node(root, "spec.excludedNamespaces");
	m->included_resources = dup_node(root, "spec.includedResources");
	m->excluded_resources = dup_node(root, "spec.excludedResources");
	m->label_selector = dup_node(root, "spec.labelSelector");
	m->ttl = dup_str(root, "spec.ttl");
	m->storage_location = dup_str(root, "spec.storageLocation");
	sched = jsonx_pointer_get(root, "/metadata/labels/velero.io~1schedule-name");
	if (cJSON_IsString(sched))
		m->schedule = strdup(sched->valuestring);
	m->phase = dup_str(root, "status.phase");
	m->format_version = dup_str(root, "status.formatVersion");
	m->start = get_time(root, "status.startTimestamp");
	m->completion = get_time(root, "status.completionTimestamp");
	m->expiration = get_time(root, "status.expiration");
	m->total_items = jsonx_long(root, "status.progress.totalItems", 0);
	m->items_backed_up = jsonx_long(root, "status.progress.itemsBackedUp", 0);
	m->errors = jsonx_long(root, "status.errors", 0);
	m->warnings = jsonx_long(root, "status.warnings", 0);
out:
	cJSON_Delete(root);
	if (rc) {
		backup_meta_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void backup_meta_free(struct backup_meta *m)
{
	if (!m)
		return;
	free(m->name);
	cJSON_Delete(m->included_namespaces);
	cJSON_Delete(m->excluded_namespaces);
	cJSON_Delete(m->included_resources);
	cJSON_Delete(m->excluded_resources);
	cJSON_Delete(m->label_selector);
	free(m->ttl);
	free(m->storage_location);
	free(m->schedule);
	free(m->phase);
	free(m->format_version);
	free(m);
}

static int write_gz(const char *dir, const char *name, const char *suffix, const char *data,
		    size_t len, struct kerr *e)
{
	char *path = NULL;
	int rc;

	if (asprintf(&path, "%s/%s%s", dir, name, suffix) < 0)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	rc = gz_write_file(path, data, len, e);
	free(path);
	return rc;
}

int backup_sidecars_write(const char *dir, const char *name, const struct backup_writer *w,
			  const char *log_text, const cJSON *results, struct kerr *e)
{
	static const char *const empty_arrays[] = {
		"-itemoperations.json.gz", "-podvolumebackups.json.gz", "-volumesnapshots.json.gz",
		"-csi-volumesnapshotclasses.json.gz", "-volumeinfo.json.gz",
	};
	struct kbuf b = { 0 };
	cJSON *res = NULL;
	int rc;

	if ((rc = backup_writer_resource_list(w, &b, e)) ||
	    (rc = write_gz(dir, name, "-resource-list.json.gz", b.data, b.len, e)))
		goto out;
	log_text = log_text ? log_text : "";
	if ((rc = write_gz(dir, name, "-logs.gz", log_text, strlen(log_text), e)))
		goto out;
	res = results ? cJSON_Duplicate(results, 1) : cJSON_CreateObject();
	if (res && !cJSON_GetObjectItemCaseSensitive(res, "errors"))
		cJSON_AddObjectToObject(res, "errors");
	if (res && !cJSON_GetObjectItemCaseSensitive(res, "warnings"))
		cJSON_AddObjectToObject(res, "warnings");
	kbuf_reset(&b);
	if (!res || gojson_encode(&b, res, GOJSON_SORT_KEYS) || kbuf_putc(&b, '\n')) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_gz(dir, name, "-results.gz", b.data, b.len, e)))
		goto out;
	for (size_t i = 0; i < sizeof(empty_arrays) / sizeof(empty_arrays[0]); i++)
		if ((rc = write_gz(dir, name, empty_arrays[i], "[]\n", 3, e)))
			goto out;
out:
	cJSON_Delete(res);
	kbuf_free(&b);
	return rc;
}
