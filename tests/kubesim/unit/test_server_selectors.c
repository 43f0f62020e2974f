/*
 * test_server_selectors.c — label and field selector parsing and matching as
 * kubectl sends them (set-based, negative, existence, field equality).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include "ks.h"

static int match(const char *sel, int field, const char *json)
{
	struct ks_selector *s = NULL;
	struct kerr e;
	kerr_clear(&e);
	int rc = field ? ks_field_selector_parse(sel, &s, &e) : ks_label_selector_parse(sel, &s, &e);
	assert_int_equal(rc, 0);
	cJSON *o = cJSON_Parse(json);
	assert_non_null(o);
	int m = ks_selector_match(s, o);
	cJSON_Delete(o);
	ks_selector_free(s);
	return m;
}

#define WEB "{\"metadata\":{\"name\":\"web\",\"namespace\":\"a\",\"labels\":{\"app\":\"web\",\"tier\":\"frontend\"}}}"

static void test_label_equality_forms_match(void **st)
{
	assert_true(match("app=web", 0, WEB));
	assert_true(match("app==web", 0, WEB));
	assert_false(match("app=db", 0, WEB));
	assert_true(match("app!=db", 0, WEB));
	assert_false(match("app!=web", 0, WEB));
	assert_true(match("", 0, WEB));
}

static void test_label_set_based_and_existence(void **st)
{
	assert_true(match("tier in (frontend,backend),app=web", 0, WEB));
	assert_true(match("tier in ( frontend , backend )", 0, WEB));
	assert_false(match("tier notin (frontend)", 0, WEB));
	assert_true(match("tier notin (backend)", 0, WEB));
	assert_true(match("app", 0, WEB));
	assert_false(match("!app", 0, WEB));
	assert_true(match("!missing", 0, WEB));
	assert_false(match("missing", 0, WEB));
	assert_true(match("missing!=x", 0, WEB));
}

static void test_field_selectors_on_name_and_namespace(void **st)
{
	assert_true(match("metadata.name=web", 1, WEB));
	assert_false(match("metadata.name!=web", 1, WEB));
	assert_true(match("metadata.namespace=a,metadata.name=web", 1, WEB));
	assert_false(match("metadata.namespace=b", 1, WEB));
}

static void test_malformed_selectors_are_rejected(void **st)
{
	struct ks_selector *s = NULL;
	struct kerr e;
	kerr_clear(&e);
	assert_int_not_equal(ks_label_selector_parse("tier in frontend)", &s, &e), 0);
	assert_int_not_equal(ks_label_selector_parse("=x", &s, &e), 0);
	assert_int_not_equal(ks_field_selector_parse("metadata.name", &s, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_equality_forms_match),
		cmocka_unit_test(test_label_set_based_and_existence),
		cmocka_unit_test(test_field_selectors_on_name_and_namespace),
		cmocka_unit_test(test_malformed_selectors_are_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
