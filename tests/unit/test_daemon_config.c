/*
 * test_daemon_config.c — `kairn run --config` files: what is accepted, and
 * that every mistake is reported with file:line and the field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/config.h"

static int parse(const char *text, struct daemon_config **c, struct kerr *e)
{
	return daemon_config_parse(text, strlen(text), "kairn.yaml", c, e);
}

static void test_config_reads_every_field_and_defaults(void **state)
{
	const char *y = "sources:\n"
			"  - name: apps\n"
			"    repo: https://git.example/org/deploy.git\n"
			"    ref: main\n"
			"    path: prod\n"
			"    namespace: apps\n"
			"    prune: false\n"
			"    selfHeal: false\n"
			"    interval: 1m\n"
			"    recurse: true\n"
			"  - name: infra\n"
			"    dir: /srv/infra\n";
	struct daemon_config *c = NULL;
	struct kerr e = { 0 };

	(void)state;
	assert_int_equal(parse(y, &c, &e), 0);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->sources[0].name, "apps");
	assert_string_equal(c->sources[0].repo, "https://git.example/org/deploy.git");
	assert_string_equal(c->sources[0].ref, "main");
	assert_string_equal(c->sources[0].path, "prod");
	assert_string_equal(c->sources[0].ns, "apps");
	assert_int_equal(c->sources[0].prune, 0);
	assert_int_equal(c->sources[0].self_heal, 0);
	assert_int_equal(c->sources[0].recurse, 1);
	assert_int_equal(c->sources[0].interval_ms, 60000);
	assert_int_equal(c->sources[0].line, 2);
	assert_string_equal(c->sources[1].dir, "/srv/infra");
	assert_null(c->sources[1].repo);
	assert_int_equal(c->sources[1].prune, 1);
	assert_int_equal(c->sources[1].self_heal, 1);
	assert_int_equal(c->sources[1].interval_ms, 0);
	daemon_config_free(c);
}

static void test_config_reports_every_problem_with_its_line(void **state)
{
	const char *y = "sources:\n"
			"  - name: apps\n"
			"    repo: https://x/y.git\n"
			"    interval: soon\n"
			"    selfheal: true\n"
			"  - name: apps\n"
			"    dir: /a\n"
			"  - repo: https://x/z.git\n"
			"    dir: /b\n"
			"    prune: yes-please\n";
	struct daemon_config *c = NULL;
	struct kerr e = { 0 };

	(void)state;
	assert_int_equal(parse(y, &c, &e), KAIRN_EINVAL);
	assert_null(c);
	assert_non_null(strstr(e.msg, "kairn.yaml:4: sources[0].interval: \"soon\" is not a duration"));
	assert_non_null(strstr(e.msg, "kairn.yaml:5: sources[0]: unknown field \"selfheal\""));
	assert_non_null(strstr(e.msg, "source name \"apps\" used twice (first at line 2)"));
	assert_non_null(strstr(e.msg, "sources[2].name: required"));
	assert_non_null(strstr(e.msg, "sources[2]: exactly one of repo and dir"));
	assert_non_null(strstr(e.msg, "kairn.yaml:10: sources[2].prune: must be true or false"));
}

static void test_config_refuses_names_that_are_not_label_values(void **state)
{
	struct daemon_config *c = NULL;
	struct kerr e = { 0 };

	(void)state;
	assert_int_equal(parse("sources:\n- name: \"a b\"\n  dir: /x\n", &c, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "kairn.yaml:2: sources[0].name: \"a b\" is not a label value"));
}

static void test_config_needs_a_sources_list(void **state)
{
	struct daemon_config *c = NULL;
	struct kerr e = { 0 };

	(void)state;
	assert_int_equal(parse("source:\n- name: a\n", &c, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "unknown top-level field \"source\""));
	assert_non_null(strstr(e.msg, "sources: must be a non-empty list"));
	assert_int_equal(parse("sources: [\n", &c, &e), KAIRN_EPARSE);
	assert_non_null(strstr(e.msg, "kairn.yaml:"));
	assert_int_equal(parse("", &c, &e), KAIRN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_reads_every_field_and_defaults),
		cmocka_unit_test(test_config_reports_every_problem_with_its_line),
		cmocka_unit_test(test_config_refuses_names_that_are_not_label_values),
		cmocka_unit_test(test_config_needs_a_sources_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
