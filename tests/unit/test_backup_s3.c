/*
 * test_backup_s3.c — backup/store_s3 against a real S3 server.
 *
 * Needs KAIRN_S3_ENDPOINT (an s3rver started by tests/e2e/backup_store_s3.sh,
 * which runs this program); without it every test is skipped, so the plain
 * unit run stays offline. s3rver checks the access key but does not verify
 * V4 signatures: test_backup_sigv4 pins those to AWS's published vectors.
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
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"

static char tmpdir[256];
static const char *endpoint;

static int setup(void **state)
{
	(void)state;
	endpoint = getenv("KAIRN_S3_ENDPOINT");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/kairn-test-s3-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *tpath(const char *rel)
{
	static char p[4][700];
	static int slot;

	slot = (slot + 1) % 4;
	snprintf(p[slot], sizeof(p[slot]), "%s/%s", tmpdir, rel);
	return p[slot];
}

static struct backup_store *open_store(const char *prefix, int path_style, const char *access_key)
{
	struct backup_s3_config c = { .bucket = "kairn-test", .prefix = prefix, .region = "us-east-1",
				      .endpoint = endpoint, .path_style = path_style,
				      .access_key = access_key ? access_key : "S3RVER", .secret_key = "S3RVER",
				      .part_size = 5u << 20, .multipart_threshold = 6u << 20 };
	struct backup_store *s = NULL;
	struct kerr e;

	if (!endpoint)
		skip();
	if (!path_style) {
		/* virtual-host style: <bucket>.s3.localhost:<port>, which curl resolves to
		 * loopback and s3rver (--service-endpoint localhost) maps to the bucket */
		static char vh[128];

		snprintf(vh, sizeof(vh), "http://s3.localhost:%s", strrchr(endpoint, ':') + 1);
		c.endpoint = vh;
	}
	if (backup_store_s3_new(&c, &s, &e))
		fail_msg("%s", e.msg);
	return s;
}

static void test_s3_put_get_list_delete(void **state)
{
	struct backup_store *s = open_store("t1", 1, NULL);
	struct backup_key_list l = { 0 };
	struct kerr e;
	char *data;
	size_t len;

	(void)state;
	assert_int_equal(fs_write_atomic(tpath("a.txt"), "hello s3", 8, 0644, &e), 0);
	if (backup_store_put(s, "backups/x/odd name+1.json", tpath("a.txt"), &e))
		fail_msg("%s", e.msg);
	assert_int_equal(backup_store_put(s, "backups/y/y.tar.gz", tpath("a.txt"), &e), 0);
	if (backup_store_get(s, "backups/x/odd name+1.json", tpath("b.txt"), &e))
		fail_msg("%s", e.msg);
	assert_int_equal(fs_read_all(tpath("b.txt"), &data, &len, &e), 0);
	assert_string_equal(data, "hello s3");
	free(data);
	assert_int_equal(backup_store_get(s, "backups/none", tpath("c.txt"), &e), KAIRN_ENOTFOUND);
	if (backup_store_list(s, "backups/", 0, &l, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.keys[0], "backups/x/odd name+1.json");
	assert_string_equal(l.keys[1], "backups/y/y.tar.gz");
	backup_key_list_free(&l);
	/* s3rver's delimiter listing misses objects two or more levels below the
	 * prefix (it prunes those directories), so the root check is exercised
	 * with one-level keys here; real S3 reports every common prefix. */
	assert_int_equal(backup_store_put(s, "metadata/revision", tpath("a.txt"), &e), 0);
	assert_int_equal(backup_store_list(s, "", 1, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.keys[0], "metadata/");
	backup_key_list_free(&l);
	assert_int_equal(backup_store_check_layout(s, &e), 0);
	assert_int_equal(backup_store_put(s, "junk.txt", tpath("a.txt"), &e), 0);
	assert_int_equal(backup_store_check_layout(s, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "\"junk.txt\""));
	assert_int_equal(backup_store_del(s, "junk.txt", &e), 0);
	assert_int_equal(backup_store_del(s, "metadata/revision", &e), 0);
	assert_int_equal(backup_store_del(s, "backups/x/odd name+1.json", &e), 0);
	assert_int_equal(backup_store_del(s, "backups/y/y.tar.gz", &e), 0);
	assert_int_equal(backup_store_list(s, "backups/", 0, &l, &e), 0);
	assert_int_equal(l.n, 0);
	backup_key_list_free(&l);
	backup_store_free(s);
}

static void test_s3_list_follows_continuation_tokens(void **state)
{
	struct backup_store *s = open_store("t2", 1, NULL);
	struct backup_key_list l = { 0 };
	struct kerr e;
	const int n = 1003; /* ListObjectsV2 pages hold 1000 keys */

	(void)state;
	assert_int_equal(fs_write_atomic(tpath("p.txt"), "x", 1, 0644, &e), 0);
	for (int i = 0; i < n; i++) {
		char key[64];

		snprintf(key, sizeof(key), "backups/many/k%04d", i);
		if (backup_store_put(s, key, tpath("p.txt"), &e))
			fail_msg("%s", e.msg);
	}
	if (backup_store_list(s, "backups/many/", 0, &l, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(l.n, n);
	assert_string_equal(l.keys[n - 1], "backups/many/k1002");
	backup_key_list_free(&l);
	backup_store_free(s);
}

static void test_s3_multipart_upload_round_trips(void **state)
{
	struct backup_store *s = open_store("t3", 1, NULL);
	struct kerr e;
	size_t len = (11u << 20) + 12345, got_len;
	char *data = malloc(len), *got, h1[65], h2[65];

	(void)state;
	for (size_t i = 0; i < len; i++)
		data[i] = (char)((i * 2654435761u) >> 13);
	assert_int_equal(fs_write_atomic(tpath("big.bin"), data, len, 0644, &e), 0);
	if (backup_store_put(s, "backups/big/big.tar.gz", tpath("big.bin"), &e)) /* 3 parts */
		fail_msg("%s", e.msg);
	assert_int_equal(backup_store_get(s, "backups/big/big.tar.gz", tpath("big.out"), &e), 0);
	assert_int_equal(fs_read_all(tpath("big.out"), &got, &got_len, &e), 0);
	assert_int_equal(got_len, len);
	sha256_hex(data, len, h1);
	sha256_hex(got, got_len, h2);
	assert_string_equal(h1, h2);
	free(got);
	free(data);
	backup_store_free(s);
}

static void test_s3_backup_upload_list_retention(void **state)
{
	struct backup_store *s = open_store("cluster-a/velero", 1, NULL);
	struct backup_writer *w = NULL;
	struct backup_reader *r = NULL;
	struct backup_meta m = { .name = "nightly-1", .ttl = "1h" };
	struct backup_key_list l = { 0 };
	struct kbuf json = { 0 };
	struct kerr e;
	size_t deleted;
	cJSON *o = cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
			       "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\"}}");

	(void)state;
	m.start = time(NULL) - 600;
	m.completion = m.start + 2;
	assert_int_equal(fs_mkdir_p(tpath("local"), 0755, &e), 0);
	assert_int_equal(backup_writer_open(tpath("local/nightly-1.tar.gz"), 0, &w, &e), 0);
	assert_int_equal(backup_writer_add(w, "apps", "deployments", "v1", o, &e), 0);
	assert_int_equal(backup_writer_finish(w, &e), 0);
	assert_int_equal(backup_sidecars_write(tpath("local"), "nightly-1", w, "", NULL, &e), 0);
	assert_int_equal(backup_meta_to_json(&m, &json, &e), 0);
	assert_int_equal(fs_write_atomic(tpath("local/velero-backup.json"), json.data, json.len, 0644, &e), 0);
	if (backup_store_upload(s, "nightly-1", tpath("local"), &e))
		fail_msg("%s", e.msg);
	assert_int_equal(backup_store_list_backups(s, &l, &e), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.keys[0], "nightly-1");
	backup_key_list_free(&l);
	assert_int_equal(backup_store_download(s, "nightly-1", tpath("dl"), &e), 0);
	assert_int_equal(backup_reader_open(tpath("dl/nightly-1.tar.gz"), NULL, &r, &e), 0);
	assert_int_equal(backup_reader_count(r), 1);
	backup_reader_free(r);
	/* not expired yet, then expired */
	assert_int_equal(backup_store_retention(s, time(NULL), &deleted, &e), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(backup_store_retention(s, time(NULL) + 7200, &deleted, &e), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(backup_store_list(s, "backups/", 0, &l, &e), 0);
	assert_int_equal(l.n, 0);
	backup_key_list_free(&l);
	kbuf_free(&json);
	backup_writer_free(w);
	cJSON_Delete(o);
	backup_store_free(s);
}

static void test_s3_virtual_host_style_works(void **state)
{
	struct backup_store *s = open_store("t5", 0, NULL);
	struct kerr e;
	char *data;
	size_t len;

	(void)state;
	assert_int_equal(fs_write_atomic(tpath("v.txt"), "vhost", 5, 0644, &e), 0);
	if (backup_store_put(s, "backups/v/v.txt", tpath("v.txt"), &e))
		fail_msg("%s", e.msg);
	assert_int_equal(backup_store_get(s, "backups/v/v.txt", tpath("v.out"), &e), 0);
	assert_int_equal(fs_read_all(tpath("v.out"), &data, &len, &e), 0);
	assert_string_equal(data, "vhost");
	free(data);
	assert_int_equal(backup_store_del(s, "backups/v/v.txt", &e), 0);
	backup_store_free(s);
}

static void test_s3_unknown_access_key_is_an_auth_error(void **state)
{
	struct backup_store *s = open_store("t6", 1, "NOT-A-KEY");
	struct kerr e;

	(void)state;
	assert_int_equal(fs_write_atomic(tpath("w.txt"), "x", 1, 0644, &e), 0);
	assert_int_equal(backup_store_put(s, "backups/w/w.txt", tpath("w.txt"), &e), KAIRN_EAUTH);
	assert_non_null(strstr(e.msg, "InvalidAccessKeyId"));
	backup_store_free(s);
}

static void test_s3_credentials_file_and_env(void **state)
{
	struct backup_s3_config c = { .bucket = "b", .endpoint = "http://127.0.0.1:1" };
	struct backup_store *s = NULL;
	struct kerr e;
	const char *cred = "# velero style\n[other]\naws_access_key_id=nope\n[default]\n"
			   "aws_access_key_id = AK\naws_secret_access_key=SK\n";

	(void)state;
	assert_int_equal(fs_write_atomic(tpath("creds"), cred, strlen(cred), 0600, &e), 0);
	c.credentials_file = tpath("creds");
	assert_int_equal(backup_store_s3_new(&c, &s, &e), 0);
	backup_store_free(s);
	c.profile = "other"; /* no secret there */
	assert_int_equal(backup_store_s3_new(&c, &s, &e), KAIRN_EAUTH);
	c.credentials_file = NULL;
	c.profile = NULL;
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_ACCESS_KEY_ID");
	assert_int_equal(backup_store_s3_new(&c, &s, &e), KAIRN_EAUTH);
	setenv("AWS_ACCESS_KEY_ID", "AK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
	assert_int_equal(backup_store_s3_new(&c, &s, &e), 0);
	backup_store_free(s);
}

static void test_s3_unreachable_endpoint_is_a_network_error(void **state)
{
	struct backup_s3_config c = { .bucket = "b", .endpoint = "http://127.0.0.1:1", .path_style = 1,
				      .access_key = "AK", .secret_key = "SK" };
	struct backup_store *s = NULL;
	struct backup_key_list l = { 0 };
	struct kerr e;

	(void)state;
	assert_int_equal(backup_store_s3_new(&c, &s, &e), 0);
	/* retried three times, then reported with the URL */
	assert_int_equal(backup_store_list(s, "backups/", 0, &l, &e), KAIRN_ENET);
	assert_non_null(strstr(e.msg, "http://127.0.0.1:1/b?list-type=2"));
	backup_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_credentials_file_and_env),
		cmocka_unit_test(test_s3_unreachable_endpoint_is_a_network_error),
		cmocka_unit_test(test_s3_put_get_list_delete),
		cmocka_unit_test(test_s3_list_follows_continuation_tokens),
		cmocka_unit_test(test_s3_multipart_upload_round_trips),
		cmocka_unit_test(test_s3_backup_upload_list_retention),
		cmocka_unit_test(test_s3_virtual_host_style_works),
		cmocka_unit_test(test_s3_unknown_access_key_is_an_auth_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
