/*
 * test_backup_store.c — backup/meta (velero-backup.json, sidecars) and
 * backup/store (file store, upload order, delete order, retention, layout).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/archive.h"
#include "backup/meta.h"
#include "backup/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/jsonx.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairn-test-store-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *tpath(const char *fmt, ...)
{
	static char p[8][700];
	static int slot;
	char rel[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	slot = (slot + 1) % 8;
	snprintf(p[slot], sizeof(p[slot]), "%s/%s", tmpdir, rel);
	return p[slot];
}

/* Builds a local backup dir <tmp>/<dir>: tarball, sidecars, velero-backup.json. */
static void make_local_backup(const char *dir, const char *name, time_t start, const char *ttl)
{
	struct backup_writer *w = NULL;
	struct backup_meta m = { 0 };
	struct kbuf json = { 0 };
	struct kerr e;
	cJSON *o = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
			       "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"}}");

	assert_int_equal(fs_mkdir_p(tpath("%s", dir), 0755, &e), 0);
	assert_int_equal(backup_writer_open(tpath("%s/%s.tar.gz", dir, name), start, &w, &e), 0);
	assert_int_equal(backup_writer_add(w, "", "configmaps", "v1", o, &e), 0);
	assert_int_equal(backup_writer_finish(w, &e), 0);
	assert_int_equal(backup_sidecars_write(tpath("%s", dir), name, w, "hello log\n", NULL, &e), 0);
	m.name = (char *)name;
	m.ttl = (char *)ttl;
	m.start = start;
	m.completion = start + 4;
	m.total_items = m.items_backed_up = 1;
	assert_int_equal(backup_meta_to_json(&m, &json, &e), 0);
	assert_int_equal(fs_write_atomic(tpath("%s/velero-backup.json", dir), json.data, json.len, 0644, &e), 0);
	kbuf_free(&json);
	backup_writer_free(w);
	cJSON_Delete(o);
}

static void test_meta_json_is_velero_backup_and_parses_back(void **state)
{
	struct backup_meta m = { 0 }, *p = NULL;
	struct kbuf json = { 0 };
	struct kerr e;
	cJSON *root;

	(void)state;
	m.name = "nightly-1";
	m.included_namespaces = cJSON_Parse("[\"shop\"]");
	m.label_selector = cJSON_Parse("{\"matchLabels\":{\"app\":\"web\"}}");
	m.start = 1778751000; /* 2026-05-14T09:30:00Z */
	m.completion = m.start + 4;
	m.phase = "PartiallyFailed";
	m.total_items = 9;
	m.items_backed_up = 8;
	m.errors = 1;
	assert_int_equal(backup_meta_to_json(&m, &json, &e), 0);
	assert_memory_equal(json.data, "{\n  \"kind\": \"Backup\",\n  \"apiVersion\": \"velero.io/v1\",", 52);
	assert_int_not_equal(json.data[json.len - 1], '\n');
	root = cJSON_Parse(json.data);
	assert_string_equal(jsonx_str(root, "metadata.namespace"), "velero");
	assert_string_equal(jsonx_str(root, "spec.ttl"), "720h0m0s");
	assert_string_equal(jsonx_str(root, "spec.storageLocation"), "default");
	assert_string_equal(jsonx_str(root, "status.formatVersion"), "1.1.0");
	assert_int_equal(jsonx_long(root, "status.version", 0), 1);
	assert_string_equal(jsonx_str(root, "status.startTimestamp"), "2026-05-14T09:30:00Z");
	assert_string_equal(jsonx_str(root, "status.expiration"), "2026-06-13T09:30:00Z");
	assert_int_equal(jsonx_long(root, "status.progress.itemsBackedUp", 0), 8);
	assert_null(jsonx_get(root, "status.warnings")); /* omitted when zero */
	cJSON_Delete(root);

	assert_int_equal(backup_meta_parse(json.data, json.len, &p, &e), 0);
	assert_string_equal(p->name, "nightly-1");
	assert_string_equal(p->phase, "PartiallyFailed");
	assert_int_equal(p->expiration, m.start + 720 * 3600);
	assert_int_equal(p->errors, 1);
	assert_string_equal(jsonx_str(p->label_selector, "matchLabels.app"), "web");
	backup_meta_free(p);
	kbuf_free(&json);
	cJSON_Delete(m.included_namespaces);
	cJSON_Delete(m.label_selector);
}

static void test_meta_parse_rejects_other_kinds(void **state)
{
	struct backup_meta *p = NULL;
	struct kerr e;
	const char *j = "{\"kind\":\"Restore\",\"apiVersion\":\"velero.io/v1\",\"metadata\":{\"name\":\"x\"}}";

	(void)state;
	assert_int_equal(backup_meta_parse(j, strlen(j), &p, &e), KAIRN_EINVAL);
	assert_null(p);
	assert_non_null(strstr(e.msg, "want Backup velero.io/v1"));
}

static void test_ttl_parses_go_durations(void **state)
{
	long long s;
	struct kerr e;

	(void)state;
	assert_int_equal(backup_ttl_seconds("720h0m0s", &s, &e), 0);
	assert_int_equal(s, 720 * 3600);
	assert_int_equal(backup_ttl_seconds("1h30m", &s, &e), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(backup_ttl_seconds("1.5h", &s, &e), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(backup_ttl_seconds("3d", &s, &e), KAIRN_EINVAL);
}

static void test_meta_stores_ttl_as_go_prints_it(void **state)
{
	struct backup_meta m = { .name = "hourly", .ttl = "168h", .start = 1778751000 };
	struct kbuf json = { 0 };
	struct kerr e;
	cJSON *root;

	(void)state;
	assert_int_equal(backup_meta_to_json(&m, &json, &e), 0);
	root = cJSON_Parse(json.data);
	assert_string_equal(jsonx_str(root, "spec.ttl"), "168h0m0s");
	assert_string_equal(jsonx_str(root, "status.expiration"), "2026-05-21T09:30:00Z");
	cJSON_Delete(root);
	kbuf_free(&json);
	m.ttl = "ten days";
	assert_int_equal(backup_meta_to_json(&m, &json, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "ten days"));
	kbuf_free(&json);
}

static void test_sidecars_are_gzipped_json(void **state)
{
	char cmd[600], out[512] = { 0 };
	FILE *p;

	(void)state;
	make_local_backup("side", "b1", 1700000000, "1h");
	snprintf(cmd, sizeof(cmd), "cd '%s' && zcat b1-resource-list.json.gz b1-results.gz b1-volumeinfo.json.gz",
		 tpath("side"));
	p = popen(cmd, "r");
	assert_int_equal(fread(out, 1, sizeof(out) - 1, p) > 0, 1);
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "{\"v1/ConfigMap\":[\"shop/web\"]}\n{\"errors\":{},\"warnings\":{}}\n[]\n");
}

static void test_file_store_put_get_list_delete(void **state)
{
	struct backup_store *s = NULL;
	struct backup_key_list l = { 0 };
	struct kerr e;
	char *data;
	size_t len;

	(void)state;
	assert_int_equal(fs_write_atomic(tpath("src.txt"), "payload", 7, 0644, &e), 0);
	assert_int_equal(backup_store_file_new(tpath("fs"), &s, &e), 0);
	assert_int_equal(backup_store_put(s, "backups/a/a.tar.gz", tpath("src.txt"), &e), 0);
	assert_int_equal(backup_store_put(s, "backups/b/x", tpath("src.txt"), &e), 0);
	assert_int_equal(backup_store_put(s, "top", tpath("src.txt"), &e), 0);
	assert_int_equal(backup_store_put(s, "../escape", tpath("src.txt"), &e), KAIRN_EINVAL);
	assert_int_equal(backup_store_put(s, "/abs", tpath("src.txt"), &e), KAIRN_EINVAL);
	assert_int_equal(backup_store_get(s, "backups/a/a.tar.gz", tpath("got.txt"), &e), 0);
	assert_int_equal(fs_read_all(tpath("got.txt"), &data, &len, &e), 0);
	assert_string_equal(data, "payload");
	free(data);
	assert_int_equal(backup_store_get(s, "backups/none", tpath("got2.txt"), &e), KAIRN_ENOTFOUND);
	assert_int_equal(backup_store_list(s, "backups/", 0, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.keys[0], "backups/a/a.tar.gz");
	assert_string_equal(l.keys[1], "backups/b/x");
	backup_key_list_free(&l);
	assert_int_equal(backup_store_list(s, "", 1, &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.keys[0], "backups/");
	assert_string_equal(l.keys[1], "top");
	backup_key_list_free(&l);
	assert_int_equal(backup_store_check_layout(s, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "\"top\""));
	assert_int_equal(backup_store_del(s, "top", &e), 0);
	assert_int_equal(backup_store_del(s, "top", &e), 0); /* absent: fine */
	assert_int_equal(backup_store_check_layout(s, &e), 0);
	backup_store_free(s);
}

/* A store that records put order and fails the Nth put: a crash mid-upload. */
struct flaky_store {
	struct backup_store base;
	struct backup_store *inner;
	int puts, fail_at;
	char order[16][128];
};

static int flaky_put(struct backup_store *s, const char *k, const char *src, struct kerr *e)
{
	struct flaky_store *f = (struct flaky_store *)s;

	if (++f->puts == f->fail_at)
		return kerr_set(e, KAIRN_EIO, "injected crash");
	snprintf(f->order[f->puts - 1 < 16 ? f->puts - 1 : 15], 128, "%s", k);
	return backup_store_put(f->inner, k, src, e);
}
static int flaky_get(struct backup_store *s, const char *k, const char *d, struct kerr *e)
{
	return backup_store_get(((struct flaky_store *)s)->inner, k, d, e);
}
static int flaky_list(struct backup_store *s, const char *p, int dl, struct backup_key_list *o, struct kerr *e)
{
	return backup_store_list(((struct flaky_store *)s)->inner, p, dl, o, e);
}
static int flaky_del(struct backup_store *s, const char *k, struct kerr *e)
{
	return backup_store_del(((struct flaky_store *)s)->inner, k, e);
}
static void flaky_free(struct backup_store *s)
{
	(void)s;
}
static const struct backup_store_ops flaky_ops = { flaky_put, flaky_get, flaky_list, flaky_del, flaky_free };

static void test_upload_crash_leaves_no_velero_backup_json(void **state)
{
	struct flaky_store f = { .base = { &flaky_ops } };
	struct backup_key_list l = { 0 };
	struct kerr e;
	char *p;

	(void)state;
	make_local_backup("crash", "c1", 1700000000, "1h");
	assert_int_equal(backup_store_file_new(tpath("fs-crash"), &f.inner, &e), 0);
	for (int n = 1; n <= 10; n++) {
		f.puts = 0;
		f.fail_at = n;
		assert_int_equal(backup_store_upload(&f.base, "c1", tpath("crash"), &e), KAIRN_EIO);
		assert_int_equal(access(tpath("fs-crash/backups/c1/velero-backup.json"), F_OK), -1);
		assert_int_equal(backup_store_list_backups(&f.base, &l, &e), 0);
		assert_int_equal(l.n, 0);
	}
	/* no failure: 10 objects, the metadata file last */
	f.puts = 0;
	f.fail_at = 0;
	assert_int_equal(backup_store_upload(&f.base, "c1", tpath("crash"), &e), 0);
	assert_int_equal(f.puts, 10);
	assert_string_equal(f.order[9], "backups/c1/velero-backup.json");
	assert_int_equal(backup_store_list_backups(&f.base, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.keys[0], "c1");
	backup_key_list_free(&l);
	/* download gives back the tarball, readable */
	assert_int_equal(backup_store_download(&f.base, "c1", tpath("dl"), &e), 0);
	p = tpath("dl/c1.tar.gz");
	{
		struct backup_reader *r = NULL;

		assert_int_equal(backup_reader_open(p, NULL, &r, &e), 0);
		assert_int_equal(backup_reader_count(r), 1);
		backup_reader_free(r);
	}
	backup_store_free(f.inner);
}

static void test_retention_deletes_only_expired_backups(void **state)
{
	struct backup_store *s = NULL;
	struct backup_key_list l = { 0 };
	struct kerr e;
	size_t deleted = 99;
	time_t now = 1800000000;

	(void)state;
	make_local_backup("old", "old", now - 7200, "1h");   /* expired an hour ago */
	make_local_backup("new", "new", now - 1800, "1h");   /* 30 minutes left */
	assert_int_equal(backup_store_file_new(tpath("fs-ret"), &s, &e), 0);
	assert_int_equal(backup_store_upload(s, "old", tpath("old"), &e), 0);
	assert_int_equal(backup_store_upload(s, "new", tpath("new"), &e), 0);
	assert_int_equal(backup_store_retention(s, now, &deleted, &e), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(backup_store_list_backups(s, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.keys[0], "new");
	backup_key_list_free(&l);
	/* every object of the expired backup is gone, not just its metadata */
	assert_int_equal(backup_store_list(s, "backups/old/", 0, &l, &e), 0);
	assert_int_equal(l.n, 0);
	backup_key_list_free(&l);
	assert_int_equal(backup_store_retention(s, now + 3600, &deleted, &e), 0);
	assert_int_equal(deleted, 1);
	backup_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_json_is_velero_backup_and_parses_back),
		cmocka_unit_test(test_meta_parse_rejects_other_kinds),
		cmocka_unit_test(test_ttl_parses_go_durations),
		cmocka_unit_test(test_meta_stores_ttl_as_go_prints_it),
		cmocka_unit_test(test_sidecars_are_gzipped_json),
		cmocka_unit_test(test_file_store_put_get_list_delete),
		cmocka_unit_test(test_upload_crash_leaves_no_velero_backup_json),
		cmocka_unit_test(test_retention_deletes_only_expired_backups),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
