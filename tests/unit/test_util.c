/*
 * test_util.c — agent/util: error buffer, growable buffer, codecs, JSON paths,
 * time parsing and atomic writes.
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

#include "util/buf.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/jsonx.h"
#include "util/timeutil.h"
#include "util/strmap.h"
#include "util/vec.h"

static void test_kerr_prefix_builds_context_chain(void **state)
{
	struct kerr e;

	(void)state;
	kerr_clear(&e);
	assert_int_equal(kerr_set(&e, KAIRN_EPARSE, "line %d: bad", 12), KAIRN_EPARSE);
	kerr_prefix(&e, "apps.yaml");
	kerr_prefix(&e, "loading manifests");
	assert_string_equal(e.msg, "loading manifests: apps.yaml: line 12: bad");
	assert_int_equal(e.code, KAIRN_EPARSE);
}

static void test_kbuf_grows_and_stays_terminated(void **state)
{
	struct kbuf b = { 0 };

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(kbuf_printf(&b, "%d,", i), 0);
	assert_int_equal(strlen(b.data), b.len);
	assert_memory_equal(b.data, "0,1,2,", 6);
	kbuf_reset(&b);
	assert_int_equal(kbuf_put_urlenc(&b, "app in (a,b)"), 0);
	assert_string_equal(b.data, "app%20in%20%28a%2Cb%29");
	kbuf_free(&b);
}

static void test_base64_round_trip_and_rejects_garbage(void **state)
{
	size_t n;
	char *enc = b64_encode("hello\0world", 11);
	unsigned char *dec;

	(void)state;
	assert_string_equal(enc, "aGVsbG8Ad29ybGQ=");
	dec = b64_decode(enc, &n);
	assert_int_equal(n, 11);
	assert_memory_equal(dec, "hello\0world", 11);
	free(dec);
	free(enc);
	assert_null(b64_decode("not base64!", &n));
	dec = b64_decode("YQ==\n", &n);
	assert_int_equal(n, 1);
	free(dec);
}

static void test_sha256_and_hmac_known_vectors(void **state)
{
	char hex[65];
	uint8_t mac[32];

	(void)state;
	sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* RFC 4231 test case 2 */
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	hex_encode(mac, 32, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_sha256_stream_equals_one_shot_digest(void **state)
{
	struct sha256_stream *h = sha256_stream_new();
	char whole[65], pieces[65];

	(void)state;
	assert_non_null(h);
	assert_int_equal(sha256_stream_update(h, "a", 1), 0);
	assert_int_equal(sha256_stream_update(h, "", 0), 0);
	assert_int_equal(sha256_stream_update(h, "bc", 2), 0);
	assert_int_equal(sha256_stream_final_hex(h, pieces), 0);
	sha256_stream_free(h);
	sha256_hex("abc", 3, whole);
	assert_string_equal(pieces, whole);
	h = sha256_stream_new();
	assert_int_equal(sha256_stream_final_hex(h, pieces), 0);
	sha256_stream_free(h);
	sha256_hex("", 0, whole);
	assert_string_equal(pieces, whole);
}

static void test_jsonx_paths(void **state)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"web\",\"generation\":3},\"spec\":1}");

	(void)state;
	assert_string_equal(jsonx_str(o, "metadata.name"), "web");
	assert_int_equal(jsonx_long(o, "metadata.generation", -1), 3);
	assert_null(jsonx_get(o, "spec.replicas"));
	assert_null(jsonx_ensure_obj(o, "spec.replicas"));
	assert_non_null(jsonx_ensure_obj(o, "status.conditions"));
	assert_true(cJSON_IsObject(jsonx_get(o, "status.conditions")));
	cJSON_Delete(o);
}

static void test_json_pointer_get_and_remove(void **state)
{
	cJSON *o = cJSON_Parse("{\"spec\":{\"replicas\":3,\"c\":[{\"image\":\"a\"},{\"image\":\"b\"}]},"
			       "\"metadata\":{\"annotations\":{\"a/b\":\"x\",\"t~\":\"y\"}}}");

	(void)state;
	assert_int_equal(jsonx_pointer_get(o, "/spec/replicas")->valueint, 3);
	assert_string_equal(jsonx_pointer_get(o, "/spec/c/1/image")->valuestring, "b");
	assert_string_equal(jsonx_pointer_get(o, "/metadata/annotations/a~1b")->valuestring, "x");
	assert_string_equal(jsonx_pointer_get(o, "/metadata/annotations/t~0")->valuestring, "y");
	assert_null(jsonx_pointer_get(o, "/spec/c/9"));
	assert_null(jsonx_pointer_get(o, "spec"));
	assert_ptr_equal(jsonx_pointer_get(o, ""), o);
	assert_int_equal(jsonx_pointer_remove(o, "/spec/replicas"), 1);
	assert_null(jsonx_pointer_get(o, "/spec/replicas"));
	assert_int_equal(jsonx_pointer_remove(o, "/spec/replicas"), 0);
	assert_int_equal(jsonx_pointer_remove(o, "/spec/c/0"), 1);
	assert_string_equal(jsonx_pointer_get(o, "/spec/c/0/image")->valuestring, "b");
	assert_int_equal(jsonx_pointer_remove(o, "/metadata/annotations/a~1b"), 1);
	cJSON_Delete(o);
}

static void test_rfc3339_parse_and_format(void **state)
{
	time_t t;
	char buf[32];

	(void)state;
	assert_int_equal(time_parse_rfc3339("2026-01-01T00:00:00Z", &t), 0);
	time_rfc3339(t, buf);
	assert_string_equal(buf, "2026-01-01T00:00:00Z");
	assert_int_equal(time_parse_rfc3339("2026-01-01T01:00:00.5+01:00", &t), 0);
	time_rfc3339(t, buf);
	assert_string_equal(buf, "2026-01-01T00:00:00Z");
	assert_int_equal(time_parse_rfc3339("yesterday", &t), -1);
}

static void test_duration_formats_as_go_prints_it(void **state)
{
	char b[32];

	(void)state;
	time_format_duration(720LL * 3600 * 1000, b);
	assert_string_equal(b, "720h0m0s");
	time_format_duration(24LL * 3600 * 1000, b);
	assert_string_equal(b, "24h0m0s");
	time_format_duration(90 * 1000, b);
	assert_string_equal(b, "1m30s");
	time_format_duration(1500, b);
	assert_string_equal(b, "1.5s");
	time_format_duration(3600 * 1000 + 250, b);
	assert_string_equal(b, "1h0m0.25s");
	time_format_duration(250, b);
	assert_string_equal(b, "250ms");
	time_format_duration(0, b);
	assert_string_equal(b, "0s");
	time_format_duration(-90 * 1000, b);
	assert_string_equal(b, "-1m30s");
}

static void test_duration_parse_go_style(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(time_parse_duration_ms("90s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(time_parse_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(time_parse_duration_ms("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(time_parse_duration_ms("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(time_parse_duration_ms("10 minutes", &ms), -1);
	assert_int_equal(time_parse_duration_ms("-5s", &ms), -1);
	assert_int_equal(time_parse_duration_ms("", &ms), -1);
}

static void test_atomic_write_then_read(void **state)
{
	char dir[] = "/tmp/kairn-test-XXXXXX";
	char path[256], *data = NULL;
	size_t n;
	struct kerr e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/file", dir);
	assert_int_equal(fs_mkdir_p(dir, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(fs_write_atomic(path, "content", 7, 0644, &e), 0);
	assert_int_equal(fs_read_all(path, &data, &n, &e), 0);
	assert_int_equal(n, 7);
	assert_string_equal(data, "content");
	free(data);
	unlink(path);
	assert_int_equal(fs_read_all(path, &data, &n, &e), KAIRN_ENOTFOUND);
	assert_non_null(strstr(e.msg, path));
	rmdir(dir);
}

static void test_vec_reserve_doubles_and_keeps_contents(void **state)
{
	int *a = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(vec_reserve(a, n, cap, 4), 0);
		assert_true(cap > n);
		a[n++] = i;
	}
	assert_int_equal(cap, 1024); /* 4, 8, ... 1024: doubling from first */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(a[i], i);
	free(a);
}

static void count_each(const char *key, void *value, void *arg)
{
	size_t *sum = arg;

	(void)key;
	*sum += (size_t)(uintptr_t)value;
}

static void test_strmap_add_keeps_first_value_and_each_visits_all(void **state)
{
	struct strmap *m = strmap_new_sized(1000);
	size_t sum = 0;
	char key[16];

	(void)state;
	assert_non_null(m);
	/* A NULL value still counts as present. */
	assert_int_equal(strmap_add(m, "zero", NULL), 1);
	assert_int_equal(strmap_add(m, "zero", (void *)7), 0);
	assert_null(strmap_get(m, "zero"));
	for (uintptr_t j = 1; j <= 100; j++) {
		snprintf(key, sizeof(key), "k%lu", (unsigned long)j);
		assert_int_equal(strmap_add(m, key, (void *)j), 1);
		assert_int_equal(strmap_add(m, key, (void *)(j + 1000)), 0);
	}
	strmap_each(m, count_each, &sum);
	assert_int_equal(sum, 5050);
	assert_int_equal(strmap_len(m), 101);
	strmap_free(m);
}

static void test_strmap_put_get_delete_many(void **state)
{
	struct strmap *m = strmap_new();
	char key[64];
	void *old;
	size_t n = 0, i = 0;
	const char *k;
	void *v;

	(void)state;
	for (long j = 0; j < 20000; j++) {
		snprintf(key, sizeof(key), "apps/StatefulSet/titan-cells/cell-%ld", j);
		assert_int_equal(strmap_put(m, key, (void *)(j + 1), &old), 0);
		assert_null(old);
	}
	assert_int_equal(strmap_len(m), 20000);
	assert_int_equal(strmap_put(m, "apps/StatefulSet/titan-cells/cell-7", (void *)99, &old), 0);
	assert_ptr_equal(old, (void *)8);
	/* delete every other key, then check the rest are all still reachable */
	for (long j = 0; j < 20000; j += 2) {
		snprintf(key, sizeof(key), "apps/StatefulSet/titan-cells/cell-%ld", j);
		assert_non_null(strmap_del(m, key));
	}
	assert_null(strmap_del(m, "nope"));
	for (long j = 1; j < 20000; j += 2) {
		snprintf(key, sizeof(key), "apps/StatefulSet/titan-cells/cell-%ld", j);
		assert_non_null(strmap_get(m, key));
	}
	snprintf(key, sizeof(key), "apps/StatefulSet/titan-cells/cell-%d", 4);
	assert_null(strmap_get(m, key));
	while (strmap_next(m, &i, &k, &v))
		n++;
	assert_int_equal(n, 10000);
	strmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kerr_prefix_builds_context_chain),
		cmocka_unit_test(test_kbuf_grows_and_stays_terminated),
		cmocka_unit_test(test_base64_round_trip_and_rejects_garbage),
		cmocka_unit_test(test_sha256_and_hmac_known_vectors),
		cmocka_unit_test(test_sha256_stream_equals_one_shot_digest),
		cmocka_unit_test(test_jsonx_paths),
		cmocka_unit_test(test_json_pointer_get_and_remove),
		cmocka_unit_test(test_rfc3339_parse_and_format),
		cmocka_unit_test(test_duration_parse_go_style),
		cmocka_unit_test(test_duration_formats_as_go_prints_it),
		cmocka_unit_test(test_atomic_write_then_read),
		cmocka_unit_test(test_strmap_put_get_delete_many),
		cmocka_unit_test(test_vec_reserve_doubles_and_keeps_contents),
		cmocka_unit_test(test_strmap_add_keeps_first_value_and_each_visits_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
