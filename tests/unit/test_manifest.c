/*
 * test_manifest.c — agent/manifest (directory loading, validation, errors)
 * and agent/util/kobj (identity and the object set).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_manifest_support.h"

#include "manifest/manifest.h"
#include "util/kobj.h"
#include "util/yamljson.h"

#define CM(name) "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " name "\n  namespace: ns\n"

struct loaded {
	char *dir;
	struct kobj_set *set;
	struct manifest_diag diag;
	struct kerr e;
	int rc;
};

static void load(struct loaded *l, int recursive)
{
	struct manifest_opts o = { .recursive = recursive, .diag = &l->diag };

	kerr_clear(&l->e);
	l->rc = manifest_load_dir(l->dir, &o, &l->set, &l->e);
}

static void loaded_free(struct loaded *l)
{
	kobj_set_free(l->set);
	manifest_diag_free(&l->diag);
	tms_rmtree(l->dir);
	free(l->dir);
}

/* Some error in l contains every fragment (NULL-terminated list). */
static int has_error(const struct loaded *l, const char *a, const char *b)
{
	for (size_t i = 0; i < l->diag.nerrors; i++)
		if (strstr(l->diag.errors[i], a) && (!b || strstr(l->diag.errors[i], b)))
			return 1;
	return 0;
}

static void dump_errors(const struct loaded *l)
{
	for (size_t i = 0; i < l->diag.nerrors; i++)
		print_message("  error: %s\n", l->diag.errors[i]);
}

#define assert_error(l, a, b)                                      \
	do {                                                       \
		if (!has_error(l, a, b)) {                         \
			dump_errors(l);                            \
			fail_msg("no error with \"%s\" / \"%s\"", a, b ? b : ""); \
		}                                                  \
	} while (0)

static void setup(struct loaded *l)
{
	memset(l, 0, sizeof(*l));
	l->dir = tms_tmpdir();
	assert_non_null(l->dir);
}

/* ---- directory walk ---- */

static void test_load_orders_files_like_kubectl(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "b.yaml", CM("b1") "---\n" CM("b2")), 0);
	assert_int_equal(tms_write(l.dir, "a.yaml", CM("a")), 0);
	assert_int_equal(tms_write(l.dir, "a/x.yaml", CM("ax")), 0);
	assert_int_equal(tms_write(l.dir, "c.json", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
						    "\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\"}}"),
			 0);
	load(&l, 1);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 5);
	/* filepath.Walk: a/ (sorted as "a") before a.yaml */
	assert_string_equal(kobj_set_at(l.set, 0)->name, "ax");
	assert_string_equal(kobj_set_at(l.set, 1)->name, "a");
	assert_string_equal(kobj_set_at(l.set, 2)->name, "b1");
	assert_string_equal(kobj_set_at(l.set, 3)->name, "b2");
	assert_int_equal(kobj_set_at(l.set, 3)->doc_index, 1);
	assert_int_equal(kobj_set_at(l.set, 3)->line, 7);
	assert_string_equal(kobj_set_at(l.set, 4)->name, "c");
	loaded_free(&l);
}

static void test_load_skips_dot_entries_and_other_files(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "ok.yml", CM("ok")), 0);
	assert_int_equal(tms_write(l.dir, ".hidden.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, ".git/config.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "generate-cells.sh", "#!/bin/sh\n"), 0);
	assert_int_equal(tms_write(l.dir, "README.md", "# hi\n"), 0);
	assert_int_equal(tms_write(l.dir, "upper.YAML", "not: [valid"), 0);
	load(&l, 1);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 1);
	loaded_free(&l);
}

static void test_load_recurses_only_when_asked(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "top.yaml", CM("top")), 0);
	assert_int_equal(tms_write(l.dir, "sub/deeper/low.yaml", CM("low")), 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 1);
	kobj_set_free(l.set);
	load(&l, 1);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 2);
	assert_non_null(kobj_set_get(l.set, "/ConfigMap/ns/low"));
	loaded_free(&l);
}

static void test_kairnignore_skips_matching_files_and_directories(void **state)
{
	static const char *const kept[] = { "/ConfigMap/ns/keep", "/ConfigMap/ns/deep-keep",
					    "/ConfigMap/ns/important", "/ConfigMap/ns/sub-skip" };
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, ".kairnignore",
				   "# comment\n"
				   "\n"
				   "*.draft.yaml\n"       /* a name at any depth */
				   "/skip.yaml\n"         /* anchored: only at the root */
				   "examples/\n"          /* a directory, wherever it is */
				   "docs/**\n"            /* everything below docs */
				   "a/**/gen-*.yaml\n"    /* any depth in between */
				   "*.secret.yaml\n"
				   "!important.secret.yaml\n"
				   "  \n"),
			 0);
	assert_int_equal(tms_write(l.dir, "keep.yaml", CM("keep")), 0);
	assert_int_equal(tms_write(l.dir, "x.draft.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "sub/y.draft.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "skip.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "sub/skip.yaml", CM("sub-skip")), 0);
	assert_int_equal(tms_write(l.dir, "examples/e.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "sub/examples/e.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "docs/d/e.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "a/gen-1.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "a/b/c/gen-2.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "a/b/deep.yaml", CM("deep-keep")), 0);
	assert_int_equal(tms_write(l.dir, "pw.secret.yaml", "not: [valid"), 0);
	assert_int_equal(tms_write(l.dir, "important.secret.yaml", CM("important")), 0);
	load(&l, 1);
	dump_errors(&l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 4);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_non_null(kobj_set_get(l.set, kept[i]));
	loaded_free(&l);
}

static void test_kairnignore_directory_cannot_be_reincluded_into(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	/* like git: a file inside an excluded directory stays out */
	assert_int_equal(tms_write(l.dir, ".kairnignore", "old/\n!old/keep.yaml\n"), 0);
	assert_int_equal(tms_write(l.dir, "old/keep.yaml", CM("old")), 0);
	assert_int_equal(tms_write(l.dir, "new.yaml", CM("new")), 0);
	load(&l, 1);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 1);
	assert_non_null(kobj_set_get(l.set, "/ConfigMap/ns/new"));
	loaded_free(&l);
}

/* A stand-in for kubectl in dir: "kustomize DIR" prints DIR's out.txt, or
 * fails like kubectl when DIR has fail.txt. */
static void fake_kubectl(const char *dir, char *path, size_t n)
{
	snprintf(path, n, "%s/fake-kubectl", dir);
	assert_int_equal(tms_write(dir, "fake-kubectl",
				   "#!/bin/sh\n"
				   "[ \"$1\" = kustomize ] || { echo \"error: unknown command $1\" >&2; exit 1; }\n"
				   "if [ -f \"$2/fail.txt\" ]; then echo 'Warning: x' >&2; cat \"$2/fail.txt\" >&2; exit 1; fi\n"
				   "cat \"$2/out.txt\"\n"),
			 0);
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_kustomization_directory_is_rendered_by_kubectl(void **state)
{
	struct loaded l;
	char tool[1024], kdir[1024];
	char *bin = tms_tmpdir();
	const struct kobj *k;

	(void)state;
	setup(&l);
	assert_non_null(bin);
	fake_kubectl(bin, tool, sizeof(tool));
	setenv("KAIRN_KUBECTL", tool, 1);
	/* root: plain files plus an overlay directory with a kustomization */
	assert_int_equal(tms_write(l.dir, "a.yaml", CM("a")), 0);
	assert_int_equal(tms_write(l.dir, "overlay/kustomization.yaml", "resources: [base.yaml]\n"), 0);
	assert_int_equal(tms_write(l.dir, "overlay/base.yaml", "not: [loaded, one by one"), 0);
	assert_int_equal(tms_write(l.dir, "overlay/out.txt", CM("rendered-1") "---\n" CM("rendered-2")), 0);
	load(&l, 1);
	dump_errors(&l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 3);
	k = kobj_set_get(l.set, "/ConfigMap/ns/rendered-2");
	assert_non_null(k);
	snprintf(kdir, sizeof(kdir), "%s/overlay/kustomization.yaml", l.dir);
	assert_string_equal(k->file, kdir);
	assert_int_equal(k->line, 7);
	kobj_set_free(l.set);
	l.set = NULL;

	/* kubectl's failure is an error naming the directory */
	assert_int_equal(tms_write(l.dir, "overlay/fail.txt", "error: accumulating resources: boom"), 0);
	load(&l, 1);
	assert_int_equal(l.rc, KAIRN_EINVAL);
	assert_error(&l, "/overlay: kubectl kustomize failed (exit 1)", "accumulating resources: boom");
	manifest_diag_free(&l.diag);

	/* no kubectl: say what is needed */
	setenv("KAIRN_KUBECTL", "/nonexistent/kubectl", 1);
	load(&l, 1);
	assert_int_equal(l.rc, KAIRN_EINVAL);
	assert_error(&l, "has a kustomization file", "install kubectl or set KAIRN_KUBECTL");
	unsetenv("KAIRN_KUBECTL");
	tms_rmtree(bin);
	free(bin);
	loaded_free(&l);
}

static void test_kustomization_root_is_rendered_alone(void **state)
{
	struct loaded l;
	char tool[1024];
	char *bin = tms_tmpdir();

	(void)state;
	setup(&l);
	assert_non_null(bin);
	fake_kubectl(bin, tool, sizeof(tool));
	setenv("KAIRN_KUBECTL", tool, 1);
	assert_int_equal(tms_write(l.dir, "kustomization.yaml", "resources: [a.yaml]\n"), 0);
	assert_int_equal(tms_write(l.dir, "a.yaml", CM("a")), 0);
	assert_int_equal(tms_write(l.dir, "out.txt", CM("a-with-prefix")), 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 1);
	assert_non_null(kobj_set_get(l.set, "/ConfigMap/ns/a-with-prefix"));
	unsetenv("KAIRN_KUBECTL");
	tms_rmtree(bin);
	free(bin);
	loaded_free(&l);
}

static void test_load_refuses_symlink_leaving_the_directory(void **state)
{
	struct loaded l;
	char link[512], inside[512], *top;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "real/a.yaml", CM("a")), 0);
	snprintf(link, sizeof(link), "%s/real/passwd.yaml", l.dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	snprintf(inside, sizeof(inside), "%s/real/b.yaml", l.dir);
	assert_int_equal(symlink("a.yaml", inside), 0); /* same object twice: duplicate */
	top = l.dir;
	assert_true(asprintf(&l.dir, "%s/real", top) > 0);
	load(&l, 0);
	assert_int_equal(l.rc, KAIRN_EINVAL);
	assert_error(&l, "passwd.yaml", "outside");
	/* an object's line is where its mapping starts */
	assert_error(&l, "b.yaml:1: duplicate object", "a.yaml:1");
	free(l.dir);
	l.dir = top;
	loaded_free(&l);
}

static void test_load_single_file_path(void **state)
{
	struct loaded l;
	char *dir;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "one.txt", CM("one")), 0);
	dir = l.dir;
	assert_true(asprintf(&l.dir, "%s/one.txt", dir) > 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 1);
	assert_non_null(strstr(kobj_set_at(l.set, 0)->file, "one.txt"));
	free(l.dir);
	l.dir = dir;
	loaded_free(&l);
}

static void test_load_missing_directory_is_not_found(void **state)
{
	struct kobj_set *set = (void *)1;
	struct kerr e;

	(void)state;
	assert_int_equal(manifest_load_dir("/nonexistent/kairn", NULL, &set, &e), KAIRN_ENOTFOUND);
	assert_null(set);
	assert_non_null(strstr(e.msg, "/nonexistent/kairn"));
}

/* ---- errors ---- */

static void test_all_errors_of_a_directory_are_reported(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "1-syntax.yaml", "a: [1,\nb: 2\n"), 0);
	assert_int_equal(tms_write(l.dir, "2-fields.yaml",
				   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 1234\n"
				   "---\nkind: Secret\nmetadata:\n  name: s\n"
				   "---\napiVersion: v1\nmetadata: {name: x}\n"),
			 0);
	assert_int_equal(tms_write(l.dir, "3-good.yaml", CM("good")), 0);
	assert_int_equal(tms_write(l.dir, "4-labels.yaml",
				   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: l\n  labels:\n"
				   "    ok: fine\n    enabled: on\n    bad value: x\n    long: "
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
				   "  annotations:\n    note: 12\n"),
			 0);
	load(&l, 0);
	assert_int_equal(l.rc, KAIRN_EINVAL);
	assert_null(l.set);
	assert_error(&l, "1-syntax.yaml:3:1:", "flow sequence");
	assert_error(&l, "2-fields.yaml:4:3: metadata.name", "expected a string, got a number");
	assert_error(&l, "2-fields.yaml:6:1: apiVersion", "required");
	assert_error(&l, "2-fields.yaml:10:1: kind", "required");
	assert_error(&l, "4-labels.yaml:7:5: metadata.labels.enabled", "got a boolean");
	assert_error(&l, "4-labels.yaml:8:5: metadata.labels.bad value", "invalid key");
	assert_error(&l, "4-labels.yaml:9:5: metadata.labels.long", "invalid label value");
	assert_error(&l, "4-labels.yaml:11:5: metadata.annotations.note", "got a number");
	assert_int_equal(l.diag.nerrors, 8);
	assert_non_null(strstr(l.e.msg, "8 errors in"));
	loaded_free(&l);
}

static void test_duplicate_object_across_files_names_both(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "a.yaml", "# c\n" CM("same")), 0);
	assert_int_equal(tms_write(l.dir, "b.yaml", CM("other") "---\n" CM("same")), 0);
	load(&l, 0);
	assert_int_equal(l.rc, KAIRN_EINVAL);
	assert_error(&l, "b.yaml:7: duplicate object v1/ConfigMap ns/same", "a.yaml:2");
	loaded_free(&l);
}

static void test_names_follow_the_rule_of_their_kind(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "ok.yaml",
				   "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
				   "metadata: {name: \"system:aggregate-to-view\"}\n---\n"
				   "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: Mixed_Case}\n---\n"
				   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a.b-c, namespace: n1}\n"),
			 0);
	assert_int_equal(tms_write(l.dir, "bad.yaml",
				   "apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n---\n"
				   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Web_1}\n---\n"
				   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: Bad}\n---\n"
				   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\"}\n---\n"
				   "apiVersion: a/b/c\nkind: X\nmetadata: {name: x}\n"),
			 0);
	load(&l, 0);
	assert_int_equal(l.rc, KAIRN_EINVAL);
	assert_error(&l, "bad.yaml:3:12: metadata.name", "DNS-1123 label");
	assert_error(&l, "bad.yaml:7:12: metadata.name", "DNS-1123 subdomain");
	assert_error(&l, "bad.yaml:11:21: metadata.namespace", "\"Bad\"");
	assert_error(&l, "bad.yaml:15:12: metadata.name", "must not be empty");
	assert_error(&l, "bad.yaml:17:1: apiVersion", "a/b/c");
	assert_int_equal(l.diag.nerrors, 5);
	loaded_free(&l);
}

static void test_metadata_must_be_a_mapping(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "m.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n"
						    "---\n- just\n- a list\n"),
			 0);
	load(&l, 0);
	assert_error(&l, "m.yaml:3:1: metadata", "expected a mapping, got a list");
	assert_error(&l, "m.yaml:5:1: (document)", "must be a mapping");
	loaded_free(&l);
}

/* ---- documents ---- */

static void test_list_kind_is_expanded(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "list.yaml",
				   "apiVersion: v1\nkind: List\nitems:\n- " "apiVersion: v1\n  kind: ConfigMap\n"
				   "  metadata: {name: one, namespace: ns}\n- apiVersion: v1\n  kind: Namespace\n"
				   "  metadata: {name: ns}\n"),
			 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 2);
	assert_non_null(kobj_set_get(l.set, "/ConfigMap/ns/one"));
	assert_int_equal(kobj_set_get(l.set, "/Namespace//ns")->line, 7);
	loaded_free(&l);
}

static void test_empty_documents_are_skipped(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "e.yaml", "---\n# nothing\n---\n~\n---\n" CM("real") "---\n"),
			 0);
	assert_int_equal(tms_write(l.dir, "empty.yaml", ""), 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(kobj_set_count(l.set), 1);
	assert_int_equal(kobj_set_at(l.set, 0)->doc_index, 2);
	loaded_free(&l);
}

static void test_generate_name_objects_get_a_star_key(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "job.yaml", "apiVersion: batch/v1\nkind: Job\nmetadata:\n"
						      "  generateName: migrate-\n  namespace: ns\n"),
			 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_string_equal(kobj_set_at(l.set, 0)->key, "batch/Job/ns/migrate-*");
	assert_string_equal(kobj_set_at(l.set, 0)->name, "");
	loaded_free(&l);
}

static void test_duplicate_yaml_keys_become_warnings(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "d.yaml", CM("d") "data: {a: \"1\"}\ndata: {b: \"2\"}\n"), 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(l.diag.nwarnings, 1);
	assert_non_null(strstr(l.diag.warnings[0], "d.yaml:7:1: duplicate key \"data\" (first at line 6:1)"));
	loaded_free(&l);
}

/* ---- namespaces ---- */

static void test_default_namespace_uses_builtin_scope_and_crds(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "x.yaml",
				   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n---\n"
				   "apiVersion: v1\nkind: Namespace\nmetadata: {name: n1}\n---\n"
				   "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n"
				   "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n---\n"
				   "apiVersion: other.io/v1\nkind: Thing\nmetadata: {name: t}\n---\n"
				   "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
				   "metadata: {name: widgets.example.com}\nspec: {group: example.com, scope: Namespaced,"
				   " names: {kind: Widget, plural: widgets}}\n---\n"
				   "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
				   "metadata: {name: gadgets.example.com}\nspec: {group: example.com, scope: Cluster,"
				   " names: {kind: Gadget, plural: gadgets}}\n"),
			 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(manifest_default_namespace(l.set, "dev", &l.diag, &l.e), 0);
	assert_non_null(kobj_set_get(l.set, "/ConfigMap/dev/cm"));
	assert_non_null(kobj_set_get(l.set, "/Namespace//n1"));
	assert_non_null(kobj_set_get(l.set, "example.com/Widget/dev/w"));
	assert_non_null(kobj_set_get(l.set, "example.com/Gadget//g"));
	assert_non_null(kobj_set_get(l.set, "other.io/Thing//t"));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(kobj_set_get(l.set, "/ConfigMap/dev/cm")->obj,
								    "metadata"), "namespace")->valuestring, "dev");
	assert_int_equal(l.diag.nwarnings, 1);
	assert_non_null(strstr(l.diag.warnings[0], "Thing"));
	loaded_free(&l);
}

static void test_default_namespace_detects_new_duplicates(void **state)
{
	struct loaded l;

	(void)state;
	setup(&l);
	assert_int_equal(tms_write(l.dir, "x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
						    "---\napiVersion: v1\nkind: ConfigMap\n"
						    "metadata: {name: cm, namespace: dev}\n"),
			 0);
	load(&l, 0);
	assert_int_equal(l.rc, 0);
	assert_int_equal(manifest_default_namespace(l.set, "dev", NULL, &l.e), KAIRN_EINVAL);
	assert_non_null(strstr(l.e.msg, "duplicate object"));
	loaded_free(&l);
}

/* ---- kobj ---- */

static struct kobj *mk(const char *av, const char *kind, const char *ns, const char *name)
{
	cJSON *o = cJSON_CreateObject(), *m;
	struct kobj *k;
	struct kerr e;

	cJSON_AddStringToObject(o, "apiVersion", av);
	cJSON_AddStringToObject(o, "kind", kind);
	m = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(m, "name", name);
	if (ns)
		cJSON_AddStringToObject(m, "namespace", ns);
	assert_int_equal(kobj_new(o, "f.yaml", 3, &k, &e), 0);
	return k;
}

static void test_kobj_key_is_group_kind_namespace_name(void **state)
{
	struct kobj *k = mk("apps/v1", "Deployment", "platform", "api");

	(void)state;
	assert_string_equal(k->key, "apps/Deployment/platform/api");
	assert_string_equal(k->group, "apps");
	assert_string_equal(k->version, "v1");
	kobj_free(k);
	k = mk("v1", "Namespace", NULL, "platform");
	assert_string_equal(k->key, "/Namespace//platform");
	assert_string_equal(k->group, "");
	kobj_free(k);
}

static void test_kobj_set_add_get_remove_keep_order(void **state)
{
	struct kobj_set *s;
	const struct kobj *prev = NULL;
	struct kobj *dup, *r;
	char name[32];

	(void)state;
	assert_int_equal(kobj_set_new(&s), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		assert_int_equal(kobj_set_add(s, mk("v1", "ConfigMap", "ns", name), NULL), 0);
	}
	assert_int_equal(kobj_set_count(s), 5000);
	assert_string_equal(kobj_set_get(s, "/ConfigMap/ns/cm-4321")->name, "cm-4321");
	assert_null(kobj_set_get(s, "/ConfigMap/ns/cm-5000"));
	dup = mk("v1", "ConfigMap", "ns", "cm-7");
	assert_int_equal(kobj_set_add(s, dup, &prev), KAIRN_ECONFLICT);
	assert_string_equal(prev->name, "cm-7");
	kobj_free(dup);
	r = kobj_set_remove(s, "/ConfigMap/ns/cm-2");
	assert_non_null(r);
	kobj_free(r);
	assert_null(kobj_set_remove(s, "/ConfigMap/ns/cm-2"));
	assert_int_equal(kobj_set_count(s), 4999);
	assert_string_equal(kobj_set_at(s, 2)->name, "cm-3");
	assert_string_equal(kobj_set_get(s, "/ConfigMap/ns/cm-4999")->name, "cm-4999");
	kobj_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_orders_files_like_kubectl),
		cmocka_unit_test(test_load_skips_dot_entries_and_other_files),
		cmocka_unit_test(test_load_recurses_only_when_asked),
		cmocka_unit_test(test_kairnignore_skips_matching_files_and_directories),
		cmocka_unit_test(test_kairnignore_directory_cannot_be_reincluded_into),
		cmocka_unit_test(test_kustomization_directory_is_rendered_by_kubectl),
		cmocka_unit_test(test_kustomization_root_is_rendered_alone),
		cmocka_unit_test(test_load_refuses_symlink_leaving_the_directory),
		cmocka_unit_test(test_load_single_file_path),
		cmocka_unit_test(test_load_missing_directory_is_not_found),
		cmocka_unit_test(test_all_errors_of_a_directory_are_reported),
		cmocka_unit_test(test_duplicate_object_across_files_names_both),
		cmocka_unit_test(test_names_follow_the_rule_of_their_kind),
		cmocka_unit_test(test_metadata_must_be_a_mapping),
		cmocka_unit_test(test_list_kind_is_expanded),
		cmocka_unit_test(test_empty_documents_are_skipped),
		cmocka_unit_test(test_generate_name_objects_get_a_star_key),
		cmocka_unit_test(test_duplicate_yaml_keys_become_warnings),
		cmocka_unit_test(test_default_namespace_uses_builtin_scope_and_crds),
		cmocka_unit_test(test_default_namespace_detects_new_duplicates),
		cmocka_unit_test(test_kobj_key_is_group_kind_namespace_name),
		cmocka_unit_test(test_kobj_set_add_get_remove_keep_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
