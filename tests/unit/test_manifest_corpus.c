/*
 * test_manifest_corpus.c — kairn's output against what real kubectl printed
 * (recorded by tests/unit/fixtures/manifests/oracle/gen-expected.sh):
 * every decoder trap file in fixtures/yaml and every seed folder, as JSON
 * and YAML; the seed folders' object counts and keys; and the titan-commerce
 * folder with all 500 cells, which must load well under a second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_manifest_support.h"

#include <dirent.h>
#include <time.h>

#include "manifest/manifest.h"
#include "util/jsonx.h"

/* The corpora live beside the unit tests (KAIRN_FIXTURES_DIR is tests/fixtures). */
#define UNIT_FIXTURES KAIRN_SOURCE_DIR "/tests/unit/fixtures"

/* Loads path like `kairn render` (namespace "default") and prints it.
 * Returns 0, or the error code (then *out holds the message). */
static int render(const char *path, int recursive, int json, struct kbuf *out)
{
	struct manifest_diag diag = { 0 }; /* keeps duplicate-key warnings out of the log */
	struct manifest_opts o = { .recursive = recursive, .diag = &diag };
	struct kobj_set *set = NULL;
	struct kerr e;
	int rc;

	kerr_clear(&e);
	rc = manifest_load_dir(path, &o, &set, &e);
	if (rc == 0)
		rc = manifest_default_namespace(set, "default", NULL, &e);
	if (rc == 0)
		rc = manifest_print_set(set, json, out);
	else
		kbuf_puts(out, e.msg);
	kobj_set_free(set);
	manifest_diag_free(&diag);
	return rc;
}

static char *read_text(const char *path)
{
	char *text = NULL;
	size_t len;
	struct kerr e;

	return fs_read_all(path, &text, &len, &e) == 0 ? text : NULL;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void compare_with_kubectl(const char *input, const char *expected_path, int recursive, int json)
{
	struct kbuf got = { 0 };
	char *want = read_text(expected_path);
	int rc;

	assert_non_null(want);
	rc = render(input, recursive, json, &got);
	if (rc != 0)
		fail_msg("%s: kubectl accepts it, kairn says: %s", input, got.data);
	if (strcmp(got.data ? got.data : "", want) != 0)
		fail_msg("%s (-o %s) differs from kubectl.\n--- kairn:\n%s\n--- kubectl:\n%s", input,
			 json ? "json" : "yaml", got.data, want);
	kbuf_free(&got);
	free(want);
}

static void test_decoder_corpus_matches_kubectl(void **state)
{
	const char *dir = UNIT_FIXTURES "/yaml";
	struct dirent *de;
	DIR *d = opendir(dir);
	int checked = 0, refused = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char in[1024], exp[1200];
		struct kbuf got = { 0 };

		if (de->d_name[0] == '.' || strcmp(de->d_name, "expected") == 0)
			continue;
		snprintf(in, sizeof(in), "%s/%s", dir, de->d_name);
		for (int json = 0; json <= 1; json++) {
			snprintf(exp, sizeof(exp), "%s/expected/%s.%s", dir, de->d_name, json ? "json" : "yaml");
			if (exists(exp)) {
				compare_with_kubectl(in, exp, 0, json);
				checked++;
			}
		}
		snprintf(exp, sizeof(exp), "%s/expected/%s.fails", dir, de->d_name);
		if (exists(exp)) {
			if (render(in, 0, 1, &got) == 0)
				fail_msg("%s: kubectl refuses it, kairn accepted it", in);
			/* every refusal names the file and a line */
			if (!strstr(got.data, de->d_name) || !strstr(got.data, ".yaml:"))
				fail_msg("%s: error without file:line: %s", in, got.data);
			refused++;
		}
		kbuf_free(&got);
	}
	closedir(d);
	assert_true(checked >= 30);
	assert_true(refused >= 8);
}

struct seed {
	const char *dir;
	size_t objects;
	const char *keys[4];
};

static const struct seed seeds[] = {
	{ "crds", 10, { "apiextensions.k8s.io/CustomResourceDefinition//servicemonitors.monitoring.coreos.com",
			"apiextensions.k8s.io/CustomResourceDefinition//canaries.flagger.app" } },
	{ "detection-api", 8, { "apps/Deployment/detection/detection-api-blue", "/Namespace//detection",
				"flagger.app/Canary/detection/detection-api-canary" } },
	{ "omnitron-platform", 12, { "apps/Deployment/platform/api", "batch/Job/platform/migrate-v1-4-2",
				     "apps/StatefulSet/platform/omnitron" } },
	{ "titan-commerce", 17, { "apps/StatefulSet/titan-cells/cell-1", "/Service/titan-cells/cell-1",
				  "/Namespace//kube-system", "kafka.strimzi.io/Kafka/titan-data/titan-kafka" } },
	{ "titan-gateway", 11, { "/Namespace//titan-prod", "apps/Deployment/titan-prod/titan-gateway",
				 "monitoring.coreos.com/ServiceMonitor/titan-prod/titan" } },
	{ "triage-warden", 12, { "monitoring.coreos.com/PrometheusRule/triage-warden/triage-warden" } },
};

static void test_seed_folders_load_with_expected_objects(void **state)
{
	char *root = tms_seeds_dir();

	(void)state;
	if (!root)
		skip();
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct manifest_opts o = { .recursive = 1 };
		struct kobj_set *set = NULL;
		struct kerr e;
		char path[1024];

		snprintf(path, sizeof(path), "%s/%s", root, seeds[i].dir);
		if (manifest_load_dir(path, &o, &set, &e))
			fail_msg("%s: %s", path, e.msg);
		if (kobj_set_count(set) != seeds[i].objects)
			fail_msg("%s: %zu objects, want %zu", seeds[i].dir, kobj_set_count(set), seeds[i].objects);
		for (size_t k = 0; k < 4 && seeds[i].keys[k]; k++)
			if (!kobj_set_get(set, seeds[i].keys[k]))
				fail_msg("%s: no %s", seeds[i].dir, seeds[i].keys[k]);
		for (size_t k = 0; k < kobj_set_count(set); k++) /* files start with a "# seed:" comment */
			assert_true(kobj_set_at(set, k)->line >= 2);
		kobj_set_free(set);
	}
	free(root);
}

static void test_seed_folders_render_like_kubectl(void **state)
{
	char *root = tms_seeds_dir();

	(void)state;
	if (!root)
		skip();
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char in[1024], exp[1024];

		snprintf(in, sizeof(in), "%s/%s", root, seeds[i].dir);
		snprintf(exp, sizeof(exp), "%s/manifests/expected/%s.json", UNIT_FIXTURES, seeds[i].dir);
		compare_with_kubectl(in, exp, 1, 1);
		snprintf(exp, sizeof(exp), "%s/manifests/expected/%s.yaml", UNIT_FIXTURES, seeds[i].dir);
		compare_with_kubectl(in, exp, 1, 0);
	}
	free(root);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_titan_commerce_with_500_cells_loads(void **state)
{
	char *root = tms_seeds_dir(), *dir = tms_tmpdir(), *tmpl;
	struct manifest_opts o = { .recursive = 1 };
	struct kobj_set *set = NULL;
	struct kerr e;
	char src[1024];
	double t0, secs;
	const struct kobj *c500;

	(void)state;
	if (!root) {
		free(dir);
		skip();
	}
	assert_non_null(dir);
	snprintf(src, sizeof(src), "%s/titan-commerce", root);
	assert_int_equal(tms_copy_files(src, dir, ""), 0);
	snprintf(src, sizeof(src), "%s/titan-commerce/cells", root);
	assert_int_equal(tms_copy_files(src, dir, "cells"), 0);
	snprintf(src, sizeof(src), "%s/titan-commerce/cells/cell-1.yaml", root);
	tmpl = read_text(src);
	assert_non_null(tmpl);
	assert_int_equal(tms_generate_cells(dir, tmpl, 500), 0);

	t0 = now();
	if (manifest_load_dir(dir, &o, &set, &e))
		fail_msg("%s", e.msg);
	secs = now() - t0;
	print_message("titan-commerce + 500 cells: %zu objects in %.3f s\n", kobj_set_count(set), secs);
	assert_int_equal(kobj_set_count(set), 15 + 2 * 500);
	c500 = kobj_set_get(set, "apps/StatefulSet/titan-cells/cell-500");
	assert_non_null(c500);
	assert_non_null(kobj_set_get(set, "/Service/titan-cells/cell-250"));
	assert_string_equal(jsonx_str(c500->obj, "metadata.labels.cell-id"), "500");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
		jsonx_get(c500->obj, "spec.template.spec.containers"), 0), "env"), 0)->child->next->valuestring,
		"500");
	kobj_set_free(set);
	tms_rmtree(dir);
	free(dir);
	free(tmpl);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoder_corpus_matches_kubectl),
		cmocka_unit_test(test_seed_folders_load_with_expected_objects),
		cmocka_unit_test(test_seed_folders_render_like_kubectl),
		cmocka_unit_test(test_titan_commerce_with_500_cells_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
