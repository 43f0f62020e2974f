/*
 * test_backup_archive.c — backup/archive: the Velero tarball writer and the
 * verifying reader, and the Go-compatible JSON encoding of items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "backup/archive.h"
#include "backup/gojson.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"

static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairn-test-archive-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return getenv("KEEP_TMP") ? 0 : (system(cmd) == 0 ? 0 : -1);
}

static char *tpath(const char *name)
{
	static char p[512];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static char *encode(const cJSON *v, int flags)
{
	struct kbuf b = { 0 };

	assert_int_equal(gojson_encode(&b, v, flags), 0);
	return kbuf_steal(&b);
}

static cJSON *make_obj(const char *apiv, const char *kind, const char *ns, const char *name, int i)
{
	cJSON *o = cJSON_CreateObject(), *md;

	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "apiVersion", apiv);
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	if (ns)
		cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddStringToObject(md, "resourceVersion", "12345");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "spec"), "replicas", i);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "data"), "html", "<a href=\"x\">&</a>\n");
	return o;
}

/* Decompresses a whole .gz file into memory (test helper). */
static unsigned char *gunzip_file(const char *path, size_t *out_len)
{
	char *gz;
	size_t gzlen, cap = 1 << 20, len = 0;
	unsigned char *out = malloc(cap);
	struct kerr e;
	z_stream zs = { 0 };
	int zrc;

	assert_int_equal(fs_read_all(path, &gz, &gzlen, &e), 0);
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gzlen;
	do {
		if (len == cap)
			out = realloc(out, cap *= 2);
		zs.next_out = out + len;
		zs.avail_out = (uInt)(cap - len);
		zrc = inflate(&zs, Z_NO_FLUSH);
		len = cap - zs.avail_out;
	} while (zrc == Z_OK);
	assert_int_equal(zrc, Z_STREAM_END);
	inflateEnd(&zs);
	free(gz);
	*out_len = len;
	return out;
}

static void test_gojson_sorts_keys_and_escapes_like_go(void **state)
{
	cJSON *o = cJSON_Parse("{\"b\":1,\"a\":{\"z\":[1,2.5,-0.000001,1e21,1e-7,100000000000000000000],"
			       "\"y\":null},\"A\":\"<>&\\u2028\\u0001\\t\\b\\u007f\",\"c\":true}");
	char *s;

	(void)state;
	assert_non_null(o);
	s = encode(o, GOJSON_SORT_KEYS);
	assert_string_equal(s, "{\"A\":\"\\u003c\\u003e\\u0026\\u2028\\u0001\\t\\b\x7f\","
			       "\"a\":{\"y\":null,\"z\":[1,2.5,-0.000001,1e+21,1e-7,100000000000000000000]},"
			       "\"b\":1,\"c\":true}");
	free(s);
	cJSON_Delete(o);
}

static void test_gojson_indent_keeps_field_order(void **state)
{
	cJSON *o = cJSON_Parse("{\"kind\":\"Backup\",\"spec\":{},\"list\":[],\"status\":{\"v\":1}}");
	char *s;

	(void)state;
	s = encode(o, GOJSON_INDENT);
	assert_string_equal(s, "{\n  \"kind\": \"Backup\",\n  \"spec\": {},\n  \"list\": [],\n"
			       "  \"status\": {\n    \"v\": 1\n  }\n}");
	free(s);
	cJSON_Delete(o);
}

struct fixture_item {
	const char *group, *resource, *apiv, *kind, *ns, *name;
};

static const struct fixture_item items[] = {
	{ "apps", "deployments", "apps/v1", "Deployment", "shop", "web" },
	{ "", "namespaces", "v1", "Namespace", NULL, "shop" },
	{ "rbac.authorization.k8s.io", "clusterroles", "rbac.authorization.k8s.io/v1", "ClusterRole", NULL,
	  "system:controller:x" },
	{ "apiextensions.k8s.io", "customresourcedefinitions", "apiextensions.k8s.io/v1",
	  "CustomResourceDefinition", NULL, "scyllaclusters.scylla.scylladb.com" },
	{ "", "configmaps", "v1", "ConfigMap", "shop", "caf\xc3\xa9-config" },
};

static void test_archive_round_trip_keeps_bytes_and_both_copies(void **state)
{
	struct backup_writer *w = NULL;
	struct backup_reader *r = NULL;
	struct kerr e;
	const size_t n_fixed = sizeof(items) / sizeof(items[0]), n_gen = 500;
	struct kbuf rl = { 0 };

	(void)state;
	assert_int_equal(backup_writer_open(tpath("rt.tar.gz"), 1700000000, &w, &e), 0);
	for (size_t i = 0; i < n_fixed; i++) {
		cJSON *o = make_obj(items[i].apiv, items[i].kind, items[i].ns, items[i].name, (int)i);

		assert_int_equal(backup_writer_add(w, items[i].group, items[i].resource, "v1", o, &e), 0);
		cJSON_Delete(o);
	}
	for (size_t i = 0; i < n_gen; i++) {
		char name[32];
		cJSON *o;

		snprintf(name, sizeof(name), "pod-%04zu", i);
		o = make_obj("v1", "Pod", i % 2 ? "ns-a" : "ns-b", name, (int)i);
		assert_int_equal(backup_writer_add(w, "", "pods", "v1", o, &e), 0);
		cJSON_Delete(o);
	}
	assert_int_equal(backup_writer_count(w), n_fixed + n_gen);
	/* not visible under its final name before finish */
	assert_int_not_equal(access(tpath("rt.tar.gz"), F_OK), 0);
	assert_int_equal(backup_writer_finish(w, &e), 0);
	assert_int_equal(backup_writer_resource_list(w, &rl, &e), 0);
	assert_non_null(strstr(rl.data, "\"apps/v1/Deployment\":[\"shop/web\"]"));
	assert_non_null(strstr(rl.data, "\"v1/Namespace\":[\"shop\"]"));
	assert_non_null(strstr(rl.data, "\"v1/Pod\":[\"ns-a/pod-0001\",\"ns-a/pod-0003\""));
	assert_int_equal(rl.data[rl.len - 1], '\n');
	kbuf_free(&rl);
	backup_writer_free(w);

	if (backup_reader_open(tpath("rt.tar.gz"), NULL, &r, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(backup_reader_version(r), "1.1.0");
	assert_int_equal(backup_reader_count(r), n_fixed + n_gen);
	for (size_t i = 0; i < n_fixed; i++) {
		cJSON *o = make_obj(items[i].apiv, items[i].kind, items[i].ns, items[i].name, (int)i);
		char *want = encode(o, GOJSON_SORT_KEYS), *got_l, *got_p;
		size_t k, found = 0;

		for (k = 0; k < backup_reader_count(r); k++) {
			const struct backup_index_item *it = backup_reader_item(r, k);

			if (!strcmp(it->name, items[i].name) && !strcmp(it->resource, items[i].resource)) {
				found = 1;
				break;
			}
		}
		assert_true(found);
		{
			const struct backup_index_item *it = backup_reader_item(r, k);

			assert_string_equal(it->group, items[i].group);
			assert_true(it->has_legacy);
			assert_string_equal(it->preferred_version, "v1");
			assert_string_equal(it->kind, items[i].kind);
			if (items[i].ns)
				assert_string_equal(it->ns, items[i].ns);
			else
				assert_null(it->ns);
		}
		assert_int_equal(backup_reader_item_bytes(r, k, 0, &got_l, NULL, &e), 0);
		assert_int_equal(backup_reader_item_bytes(r, k, 1, &got_p, NULL, &e), 0);
		assert_string_equal(got_l, want);
		assert_string_equal(got_p, want);
		free(got_l);
		free(got_p);
		free(want);
		cJSON_Delete(o);
	}
	backup_reader_free(r);
}

static void test_entry_names_follow_velero_layout(void **state)
{
	char *s;

	(void)state;
	s = backup_entry_name("apps", "deployments", NULL, "shop", "web");
	assert_string_equal(s, "resources/deployments.apps/namespaces/shop/web.json");
	free(s);
	s = backup_entry_name("", "namespaces", "v1", NULL, "shop");
	assert_string_equal(s, "resources/namespaces/v1-preferredversion/cluster/shop.json");
	free(s);
	s = backup_entry_name("rbac.authorization.k8s.io", "clusterroles", "v1", NULL, "viewer");
	assert_string_equal(s, "resources/clusterroles.rbac.authorization.k8s.io/v1-preferredversion/"
			       "cluster/viewer.json");
	free(s);
}

static size_t octal(const unsigned char *f, size_t n)
{
	char tmp[16] = { 0 };

	memcpy(tmp, f, n);
	return strtoul(tmp, NULL, 8);
}

/* Walks the raw tar: every header is a USTAR regular file (or a PAX 'x'
 * header), mode 0755, uid/gid 0, empty names; the archive ends with exactly
 * two zero blocks. */
static void test_tar_headers_are_velero_shaped(void **state)
{
	struct backup_writer *w = NULL;
	struct kerr e;
	unsigned char *tar, gzhdr[10];
	size_t len, off = 0, files = 0, pax = 0, prefixed = 0;
	FILE *fp;
	const unsigned char want_gz[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
	char first[101] = { 0 };

	(void)state;
	assert_int_equal(backup_writer_open(tpath("h.tar.gz"), 1700000000, &w, &e), 0);
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		cJSON *o = make_obj(items[i].apiv, items[i].kind, items[i].ns, items[i].name, (int)i);

		assert_int_equal(backup_writer_add(w, items[i].group, items[i].resource, "v1", o, &e), 0);
		cJSON_Delete(o);
	}
	assert_int_equal(backup_writer_finish(w, &e), 0);
	backup_writer_free(w);

	fp = fopen(tpath("h.tar.gz"), "rb");
	assert_int_equal(fread(gzhdr, 1, 10, fp), 10);
	fclose(fp);
	assert_memory_equal(gzhdr, want_gz, 10);

	tar = gunzip_file(tpath("h.tar.gz"), &len);
	assert_int_equal(len % 512, 0);
	while (off + 512 <= len) {
		const unsigned char *h = tar + off;
		size_t size;
		int zero = 1;

		for (int i = 0; i < 512; i++)
			zero &= h[i] == 0;
		if (zero) {
			/* two zero blocks, then nothing: Go pads no record */
			assert_int_equal(len - off, 1024);
			for (size_t i = off; i < len; i++)
				assert_int_equal(tar[i], 0);
			break;
		}
		assert_memory_equal(h + 257, "ustar\0" "00", 8);
		assert_int_equal(octal(h + 108, 8), 0);
		assert_int_equal(octal(h + 116, 8), 0);
		assert_int_equal(h[265], 0); /* uname */
		assert_int_equal(h[297], 0); /* gname */
		size = octal(h + 124, 12);
		if (h[156] == 'x') {
			pax++;
		} else {
			assert_int_equal(h[156], '0');
			assert_int_equal(octal(h + 100, 8), 0755);
			assert_int_equal(octal(h + 136, 12), 1700000000);
			if (files == 0)
				memcpy(first, h, 100);
			if (h[345])
				prefixed++;
			files++;
		}
		off += 512 + (size + 511) / 512 * 512;
	}
	assert_string_equal(first, "metadata/version");
	assert_int_equal(files, 1 + 2 * (sizeof(items) / sizeof(items[0])));
	assert_true(prefixed >= 2); /* the CRD's 104- and 124-byte paths */
	assert_true(pax >= 2);      /* the non-ASCII ConfigMap name, both copies */
	free(tar);
}

static void test_system_tar_lists_0755_files_and_long_paths(void **state)
{
	struct backup_writer *w = NULL;
	struct kerr e;
	char cmd[600], line[1024];
	FILE *p;
	int files = 0, crd = 0;
	cJSON *o = make_obj(items[3].apiv, items[3].kind, NULL, items[3].name, 3);

	(void)state;
	assert_int_equal(backup_writer_open(tpath("t.tar.gz"), 0, &w, &e), 0);
	assert_int_equal(backup_writer_add(w, items[3].group, items[3].resource, "v1", o, &e), 0);
	assert_int_equal(backup_writer_finish(w, &e), 0);
	backup_writer_free(w);
	cJSON_Delete(o);
	snprintf(cmd, sizeof(cmd), "tar --numeric-owner -tzvf '%s' 2>&1", tpath("t.tar.gz"));
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		assert_memory_equal(line, "-rwxr-xr-x 0/0", 14);
		if (strstr(line, "resources/customresourcedefinitions.apiextensions.k8s.io/v1-preferredversion/"
				 "cluster/scyllaclusters.scylla.scylladb.com.json"))
			crd++;
		files++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(files, 3);
	assert_int_equal(crd, 1);
}

/* ---- hostile and broken archives, built with libarchive directly ---- */

#define HARDLINK 1 /* raw_entry.type for a hard link to metadata/version */

struct raw_entry {
	const char *path;
	int type; /* AE_IFREG, AE_IFLNK, AE_IFDIR */
	const char *data;
};

static void write_raw(const char *path, const struct raw_entry *ents, size_t n)
{
	struct archive *a = archive_write_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ent = archive_entry_new();
		size_t len = ents[i].data ? strlen(ents[i].data) : 0;

		archive_entry_set_pathname(ent, ents[i].path);
		archive_entry_set_filetype(ent, ents[i].type == HARDLINK ? AE_IFREG : (unsigned)ents[i].type);
		archive_entry_set_perm(ent, 0755);
		if (ents[i].type == AE_IFLNK)
			archive_entry_set_symlink(ent, "/etc/passwd");
		else if (ents[i].type == HARDLINK)
			archive_entry_set_hardlink(ent, "metadata/version");
		else
			archive_entry_set_size(ent, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, ent), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, ents[i].data, len), (la_ssize_t)len);
		archive_entry_free(ent);
	}
	archive_write_close(a);
	archive_write_free(a);
}

#define CM_WEB "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"}}"

static void expect_reject(const struct raw_entry *ents, size_t n, const char *needle)
{
	struct backup_reader *r = (struct backup_reader *)0x1;
	struct kerr e;

	write_raw(tpath("bad.tar.gz"), ents, n);
	kerr_clear(&e);
	assert_int_not_equal(backup_reader_open(tpath("bad.tar.gz"), NULL, &r, &e), 0);
	assert_null(r);
	if (!strstr(e.msg, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void test_reader_rejects_path_traversal(void **state)
{
	const struct raw_entry a[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/../../etc/cron.d/x.json", AE_IFREG, CM_WEB } };
	const struct raw_entry b[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "/etc/x.json", AE_IFREG, CM_WEB } };

	(void)state;
	expect_reject(a, 2, "'..'");
	expect_reject(b, 2, "absolute path");
}

static void test_reader_rejects_symlinks_and_hardlinks(void **state)
{
	const struct raw_entry a[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/namespaces/shop/web.json", AE_IFLNK, NULL } };

	const struct raw_entry b[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/namespaces/shop/web.json", HARDLINK, NULL } };

	(void)state;
	expect_reject(a, 2, "links are not allowed");
	expect_reject(b, 2, "links are not allowed");
}

static void test_reader_rejects_garbage_after_gzip_stream(void **state)
{
	const struct raw_entry a[] = { { "metadata/version", AE_IFREG, "1.1.0\n" } };
	struct backup_reader *r = NULL;
	struct kerr e;
	FILE *fp;

	(void)state;
	write_raw(tpath("trail.tar.gz"), a, 1);
	assert_int_equal(backup_reader_open(tpath("trail.tar.gz"), NULL, &r, &e), 0);
	backup_reader_free(r);
	r = NULL;
	fp = fopen(tpath("trail.tar.gz"), "ab");
	fputs("this is not gzip", fp);
	fclose(fp);
	assert_int_not_equal(backup_reader_open(tpath("trail.tar.gz"), NULL, &r, &e), 0);
	assert_null(r);
	assert_non_null(strstr(e.msg, "gzip"));
}

static void test_reader_names_the_entry_with_bad_json(void **state)
{
	const struct raw_entry a[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/namespaces/shop/web.json", AE_IFREG, "{\"apiVersion\":" } };

	(void)state;
	expect_reject(a, 2, "entry resources/configmaps/namespaces/shop/web.json: item is not valid JSON");
}

static void test_reader_rejects_names_that_disagree_with_metadata(void **state)
{
	const struct raw_entry a[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/namespaces/shop/api.json", AE_IFREG, CM_WEB } };
	const struct raw_entry b[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/namespaces/other/web.json", AE_IFREG, CM_WEB } };
	const struct raw_entry c[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps.apps/namespaces/shop/web.json", AE_IFREG, CM_WEB } };
	const struct raw_entry d[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/v2-preferredversion/namespaces/shop/web.json",
					 AE_IFREG, CM_WEB } };

	(void)state;
	expect_reject(a, 2, "metadata.name web does not match the file name api.json");
	expect_reject(b, 2, "metadata.namespace shop does not match the directory other");
	expect_reject(c, 2, "not in the group of configmaps.apps");
	expect_reject(d, 2, "does not match the directory v2-preferredversion");
}

static void test_reader_requires_version_file(void **state)
{
	const struct raw_entry a[] = { { "resources/configmaps/namespaces/shop/web.json", AE_IFREG, CM_WEB } };
	const struct raw_entry b[] = { { "metadata/version", AE_IFREG, "2.0.0\n" } };

	(void)state;
	expect_reject(a, 1, "no metadata/version");
	expect_reject(b, 1, "unsupported backup format version \"2.0.0\"");
}

static void test_reader_enforces_entry_size_limit(void **state)
{
	const struct raw_entry a[] = { { "metadata/version", AE_IFREG, "1.1.0\n" },
				       { "resources/configmaps/namespaces/shop/web.json", AE_IFREG, CM_WEB } };
	struct backup_read_limits lim = { .max_entry_bytes = 16, .max_total_bytes = 1 << 20,
					  .max_entries = 100 };
	struct backup_reader *r = NULL;
	struct kerr e;

	(void)state;
	write_raw(tpath("big.tar.gz"), a, 2);
	assert_int_equal(backup_reader_open(tpath("big.tar.gz"), &lim, &r, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "exceeds the limit"));
	lim.max_entry_bytes = 1 << 20;
	lim.max_total_bytes = 1024; /* smaller than the tar itself */
	assert_int_not_equal(backup_reader_open(tpath("big.tar.gz"), &lim, &r, &e), 0);
	assert_non_null(strstr(e.msg, "uncompressed size exceeds"));
}

static void test_reader_rejects_truncated_gzip(void **state)
{
	struct backup_writer *w = NULL;
	struct backup_reader *r = NULL;
	struct kerr e;
	struct stat st;
	cJSON *o = make_obj("v1", "ConfigMap", "shop", "web", 1);

	(void)state;
	assert_int_equal(backup_writer_open(tpath("tr.tar.gz"), 0, &w, &e), 0);
	assert_int_equal(backup_writer_add(w, "", "configmaps", "v1", o, &e), 0);
	assert_int_equal(backup_writer_finish(w, &e), 0);
	backup_writer_free(w);
	cJSON_Delete(o);
	assert_int_equal(stat(tpath("tr.tar.gz"), &st), 0);
	/* drop only the gzip trailer: the tar inside is complete, the stream is not */
	assert_int_equal(truncate(tpath("tr.tar.gz"), st.st_size - 4), 0);
	assert_int_not_equal(backup_reader_open(tpath("tr.tar.gz"), NULL, &r, &e), 0);
	assert_null(r);
	assert_non_null(strstr(e.msg, "gzip"));
	assert_int_equal(truncate(tpath("tr.tar.gz"), st.st_size / 2), 0);
	assert_int_not_equal(backup_reader_open(tpath("tr.tar.gz"), NULL, &r, &e), 0);
	assert_null(r);
}

static void test_reader_tolerates_any_entry_order_and_dirs(void **state)
{
	const struct raw_entry a[] = {
		{ "resources/configmaps/v1-preferredversion/namespaces/shop/web.json", AE_IFREG, CM_WEB },
		{ "resources/", AE_IFDIR, NULL },
		{ "resources/configmaps/v2/namespaces/shop/web.json", AE_IFREG,
		  "{\"apiVersion\":\"v2\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"}}" },
		{ "resources/configmaps/namespaces/shop/web.json", AE_IFREG, CM_WEB },
		{ "metadata/version", AE_IFREG, "1.1.0\n" },
	};
	struct backup_reader *r = NULL;
	struct kerr e;
	const struct backup_index_item *it;
	char *b;

	(void)state;
	write_raw(tpath("order.tar.gz"), a, 5);
	if (backup_reader_open(tpath("order.tar.gz"), NULL, &r, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(backup_reader_count(r), 1);
	assert_int_equal(backup_reader_skipped(r), 1);
	it = backup_reader_item(r, 0);
	assert_string_equal(it->group_resource, "configmaps");
	assert_string_equal(it->group, "");
	assert_string_equal(it->preferred_version, "v1");
	assert_true(it->has_legacy);
	assert_int_equal(backup_reader_item_bytes(r, 0, 1, &b, NULL, &e), 0);
	assert_string_equal(b, CM_WEB);
	free(b);
	backup_reader_free(r);
}

static void test_reader_reads_foreign_velero_shaped_fixture(void **state)
{
	struct backup_reader *r = NULL;
	struct kerr e;
	size_t found = 0;

	(void)state;
	if (backup_reader_open(KAIRN_SOURCE_DIR "/tests/unit/fixtures/backup/velero-shaped.tar.gz", NULL, &r, &e))
		fail_msg("%s", e.msg);
	assert_string_equal(backup_reader_version(r), "1.1.0");
	assert_int_equal(backup_reader_count(r), 6);
	assert_int_equal(backup_reader_skipped(r), 0);
	for (size_t i = 0; i < backup_reader_count(r); i++) {
		const struct backup_index_item *it = backup_reader_item(r, i);
		char *l, *p;

		assert_true(it->has_legacy);
		assert_string_equal(it->preferred_version, "v1");
		assert_int_equal(backup_reader_item_bytes(r, i, 0, &l, NULL, &e), 0);
		assert_int_equal(backup_reader_item_bytes(r, i, 1, &p, NULL, &e), 0);
		assert_string_equal(l, p);
		if (!strcmp(it->group_resource, "scyllaclusters.scylla.scylladb.com")) {
			assert_string_equal(it->group, "scylla.scylladb.com");
			assert_string_equal(it->resource, "scyllaclusters");
			assert_string_equal(it->ns, "scylla");
			assert_string_equal(it->kind, "ScyllaCluster");
			found++;
		}
		if (!strcmp(it->name, "caf\xc3\xa9")) {
			assert_string_equal(it->group_resource, "configmaps");
			found++;
		}
		free(l);
		free(p);
	}
	assert_int_equal(found, 2);
	backup_reader_free(r);
}

/* 10,000 objects stream through without the tarball in memory; prints the
 * figures (under ASan they are pessimistic). */
static void test_archive_streams_ten_thousand_items(void **state)
{
	struct backup_writer *w = NULL;
	struct backup_reader *r = NULL;
	struct kerr e;
	struct stat st;
	const int n = 10000;
	struct timespec t0, t1, t2;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(backup_writer_open(tpath("10k.tar.gz"), 0, &w, &e), 0);
	for (int i = 0; i < n; i++) {
		char name[32];
		cJSON *o;

		snprintf(name, sizeof(name), "cm-%05d", i);
		o = make_obj("v1", "ConfigMap", "ns-big", name, i);
		assert_int_equal(backup_writer_add(w, "", "configmaps", "v1", o, &e), 0);
		cJSON_Delete(o);
	}
	assert_int_equal(backup_writer_finish(w, &e), 0);
	backup_writer_free(w);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (backup_reader_open(tpath("10k.tar.gz"), NULL, &r, &e))
		fail_msg("%s", e.msg);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	assert_int_equal(backup_reader_count(r), n);
	assert_string_equal(backup_reader_item(r, n - 1)->name, "cm-09999");
	backup_reader_free(r);
	assert_int_equal(stat(tpath("10k.tar.gz"), &st), 0);
	printf("10k items: write %.0f ms, read+verify %.0f ms, tarball %lld bytes\n",
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
	       (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6,
	       (long long)st.st_size);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gojson_sorts_keys_and_escapes_like_go),
		cmocka_unit_test(test_gojson_indent_keeps_field_order),
		cmocka_unit_test(test_archive_round_trip_keeps_bytes_and_both_copies),
		cmocka_unit_test(test_entry_names_follow_velero_layout),
		cmocka_unit_test(test_tar_headers_are_velero_shaped),
		cmocka_unit_test(test_system_tar_lists_0755_files_and_long_paths),
		cmocka_unit_test(test_reader_rejects_path_traversal),
		cmocka_unit_test(test_reader_rejects_symlinks_and_hardlinks),
		cmocka_unit_test(test_reader_rejects_garbage_after_gzip_stream),
		cmocka_unit_test(test_reader_names_the_entry_with_bad_json),
		cmocka_unit_test(test_reader_rejects_names_that_disagree_with_metadata),
		cmocka_unit_test(test_reader_requires_version_file),
		cmocka_unit_test(test_reader_enforces_entry_size_limit),
		cmocka_unit_test(test_reader_rejects_truncated_gzip),
		cmocka_unit_test(test_reader_tolerates_any_entry_order_and_dirs),
		cmocka_unit_test(test_reader_reads_foreign_velero_shaped_fixture),
		cmocka_unit_test(test_archive_streams_ten_thousand_items),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
