/*
 * test_yaml.c — agent/util/yamljson: YAML/JSON files decoded as kubectl
 * decodes them. One test per trap of shared/design/yaml-decoding.md; the
 * expected values are the appendix's kubectl observations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/yamljson.h"

/* Decodes text; returns the compact JSON of every document joined by '\n'
 * (empty documents as "-"), or "ERR: <message>". Caller frees. */
static char *decode_n(const char *text, size_t len)
{
	struct ydoc_list l;
	struct kerr e;
	struct kbuf out = { 0 };

	kerr_clear(&e);
	if (yaml_decode_all(text, len, "t.yaml", &l, &e)) {
		assert_int_not_equal(e.code, 0);
		kbuf_printf(&out, "ERR: %s", e.msg);
		return kbuf_steal(&out);
	}
	for (size_t i = 0; i < l.n; i++) {
		char *s = l.docs[i].root ? cJSON_PrintUnformatted(l.docs[i].root) : NULL;

		kbuf_printf(&out, "%s%s", i ? "\n" : "", s ? s : "-");
		free(s);
	}
	ydoc_list_free(&l);
	return kbuf_steal(&out);
}

static char *decode(const char *text)
{
	return decode_n(text, strlen(text));
}

#define assert_decodes(yaml, json)                    \
	do {                                          \
		char *got_ = decode(yaml);            \
		assert_string_equal(got_, json);      \
		free(got_);                           \
	} while (0)

/* the error message contains every one of the given fragments */
#define assert_fails(yaml, fragment)                              \
	do {                                                      \
		char *got_ = decode(yaml);                        \
		if (strncmp(got_, "ERR: ", 5) != 0 || !strstr(got_, fragment)) \
			fail_msg("expected error with \"%s\", got %s", fragment, got_); \
		free(got_);                                       \
	} while (0)

/* ---- ordinary YAML ---- */

static void test_block_and_flow_collections_decode(void **state)
{
	(void)state;
	assert_decodes("a: 1\nb:\n  c: [x, 'y', \"z\"]\n  d:\n  - {e: f}\n  - g\n",
		       "{\"a\":1,\"b\":{\"c\":[\"x\",\"y\",\"z\"],\"d\":[{\"e\":\"f\"},\"g\"]}}");
}

static void test_quoted_scalars_stay_strings(void **state)
{
	(void)state;
	assert_decodes("a: \"1\"\nb: 'true'\nc: \"line\\nnext\"\nd: 'it''s'\ne: \"\"\n",
		       "{\"a\":\"1\",\"b\":\"true\",\"c\":\"line\\nnext\",\"d\":\"it's\",\"e\":\"\"}");
}

static void test_block_scalars_literal_and_folded(void **state)
{
	(void)state;
	assert_decodes("a: |\n  one\n  two\nb: >\n  one\n  two\nc: |-\n  x\n",
		       "{\"a\":\"one\\ntwo\\n\",\"b\":\"one two\\n\",\"c\":\"x\"}");
}

static void test_multi_document_with_file_line_numbers(void **state)
{
	struct ydoc_list l;
	struct kerr e;
	const char *y = "# c\na: 1\n---\nb: 2\n--- # comment\n\n\nc:\n  d: 3\n";

	(void)state;
	assert_int_equal(yaml_decode_all(y, strlen(y), "t.yaml", &l, &e), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.docs[0].line, 1);
	assert_int_equal(l.docs[1].line, 4);
	assert_int_equal(l.docs[2].line, 6);
	assert_int_equal(ydoc_line(&l.docs[0], cJSON_GetObjectItem(l.docs[0].root, "a")), 2);
	assert_int_equal(ydoc_line(&l.docs[1], cJSON_GetObjectItem(l.docs[1].root, "b")), 4);
	/* a map value is placed at its key */
	cJSON *c = cJSON_GetObjectItem(l.docs[2].root, "c");
	assert_int_equal(ydoc_line(&l.docs[2], c), 8);
	assert_int_equal(ydoc_line(&l.docs[2], cJSON_GetObjectItem(c, "d")), 9);
	ydoc_list_free(&l);
}

static void test_separator_with_comment_splits(void **state)
{
	(void)state;
	assert_decodes("a: 1\n---#comment\nb: 2\n", "{\"a\":1}\n{\"b\":2}");
}

static void test_separator_with_content_is_error(void **state)
{
	(void)state;
	assert_fails("a: 1\n--- {b: 2}\n", "t.yaml:2:");
}

static void test_empty_documents_are_kept_as_empty(void **state)
{
	(void)state;
	assert_decodes("---\n# only a comment\n---\na: 1\n---\n", "-\n{\"a\":1}");
	assert_decodes("", "");
}

/* ---- scalars ---- */

static void test_int_underscores_and_prefixes(void **state)
{
	(void)state;
	assert_decodes("a: 1_000\nb: 0x1F\nc: 0o17\nd: 0b101\ne: -0x10\nf: +7\n",
		       "{\"a\":1000,\"b\":31,\"c\":15,\"d\":5,\"e\":-16,\"f\":7}");
}

static void test_c_style_octal(void **state)
{
	(void)state;
	assert_decodes("containerPort: 0443\ndefaultMode: 0644\nx: 0_10\n",
		       "{\"containerPort\":291,\"defaultMode\":420,\"x\":8}");
}

static void test_invalid_octal_falls_back_to_float(void **state)
{
	(void)state;
	assert_decodes("a: 08\nb: 09090\n", "{\"a\":8,\"b\":9090}");
}

static void test_exponent_integer_is_integer(void **state)
{
	(void)state;
	assert_decodes("a: 1e3\nb: 1.5\nc: -2.5e-3\n", "{\"a\":1000,\"b\":1.5,\"c\":-0.0025}");
}

static void test_overflowing_float_stays_string(void **state)
{
	(void)state;
	assert_decodes("a: 1e400\n", "{\"a\":\"1e400\"}");
}

static void test_inf_and_nan_are_errors(void **state)
{
	(void)state;
	assert_fails("a: .inf\n", "t.yaml:1:4:");
	assert_fails("a: -.Inf\n", "infinity");
	assert_fails("a: .nan\n", "NaN");
}

static void test_sexagesimal_stays_string(void **state)
{
	(void)state;
	assert_decodes("a: 1:20\n", "{\"a\":\"1:20\"}");
}

static void test_timestamps_never_converted(void **state)
{
	(void)state;
	assert_decodes("a: 2001-12-14t21:59:43.10-05:00\nb: !!timestamp 2001-12-14\nc: 2002-12-14\n",
		       "{\"a\":\"2001-12-14t21:59:43.10-05:00\",\"b\":\"2001-12-14\",\"c\":\"2002-12-14\"}");
}

static void test_yaml11_booleans(void **state)
{
	(void)state;
	assert_decodes("[y, Y, yes, Yes, YES, on, On, ON, true, True, TRUE]",
		       "[true,true,true,true,true,true,true,true,true,true,true]");
	assert_decodes("[n, N, no, No, NO, off, Off, OFF, false, False, FALSE, yEs]",
		       "[false,false,false,false,false,false,false,false,false,false,false,\"yEs\"]");
}

static void test_nulls(void **state)
{
	(void)state;
	assert_decodes("a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\n",
		       "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null,\"f\":\"nULL\"}");
}

static void test_large_integers_are_exact(void **state)
{
	(void)state;
	/* int64 stays exact; a uint64 is read back by kubectl as a float64 */
	assert_decodes("a: 9007199254740993\nb: -9223372036854775808\nc: 12345678901234567890\n",
		       "{\"a\":9007199254740993,\"b\":-9223372036854775808,\"c\":12345678901234567000}");
	assert_decodes("a: 1e21\nb: 1.5e-7\nc: 1e20\n",
		       "{\"a\":1e+21,\"b\":1.5e-7,\"c\":100000000000000000000}");
}

static void test_explicit_tags(void **state)
{
	(void)state;
	assert_decodes("a: !!str 123\nb: !!int \"42\"\nc: !!float 1\n",
		       "{\"a\":\"123\",\"b\":42,\"c\":1}");
	assert_fails("a: !!int abc\n", "!!int");
}

static void test_backslash_quote_in_double_quotes_read_as_kubectl(void **state)
{
	struct ydoc_list l;
	struct kerr e;
	const char *y = "a: 1\nb: \"it\\'s \\'x\\'\"\nc: {d: 1, d: 2}\n";
	char *s;
	struct kbuf many = { 0 };

	(void)state;
	assert_int_equal(yaml_decode_all(y, strlen(y), "t.yaml", &l, &e), 0);
	s = cJSON_PrintUnformatted(l.docs[0].root);
	assert_string_equal(s, "{\"a\":1,\"b\":\"it's 'x'\",\"c\":{\"d\":2}}");
	free(s);
	/* three escapes and one duplicate key, each reported once */
	assert_int_equal(l.nwarnings, 4);
	assert_non_null(strstr(l.warnings[0], "t.yaml:2: \"\\'\" is not a YAML escape"));
	assert_int_equal(ydoc_line(&l.docs[0], cJSON_GetObjectItem(l.docs[0].root, "c")), 3);
	ydoc_list_free(&l);
	for (int i = 0; i < 100; i++)
		kbuf_puts(&many, "- \"\\'\"\n");
	s = decode(many.data);
	assert_non_null(strstr(s, "more than 64"));
	free(s);
	kbuf_free(&many);
}

static void test_binary_tag_is_decoded_to_text(void **state)
{
	(void)state;
	assert_decodes("a: !!binary aGVsbG8=\n", "{\"a\":\"hello\"}");
	assert_fails("a: !!binary AP8=\n", "not UTF-8 text");
	assert_fails("a: !!binary '***'\n", "not valid base64");
}

static void check_go(double d, int json_or_bits, const char *want)
{
	struct kbuf b = { 0 };

	if (json_or_bits == 0)
		assert_int_equal(yaml_go_json_number(d, &b), 0);
	else
		assert_int_equal(yaml_go_float_g(d, json_or_bits, &b), 0);
	assert_string_equal(b.data, want);
	kbuf_free(&b);
}

static void test_go_number_formatting(void **state)
{
	(void)state;
	/* encoding/json: exponent only below 1e-6 or from 1e21, "e-7" not "e-07" */
	check_go(1000, 0, "1000");
	check_go(0.1, 0, "0.1");
	check_go(1.5e-7, 0, "1.5e-7");
	check_go(1e21, 0, "1e+21");
	check_go(1e20, 0, "100000000000000000000");
	check_go(-0.000001, 0, "-0.000001");
	check_go(0.30000000000000004, 0, "0.30000000000000004");
	/* FormatFloat 'g' -1: exponent from 1e6 (shortest uses precision 6) */
	check_go(123456789.5, 64, "1.234567895e+08");
	check_go(1.5e-7, 64, "1.5e-07");
	check_go(0.0001, 64, "0.0001");
	check_go(123456.789, 32, "123456.79");
	check_go(2.5e-5, 32, "2.5e-05");
	check_go(1e6, 32, "1e+06");
}

/* ---- keys ---- */

static void test_keys_are_stringified(void **state)
{
	(void)state;
	assert_decodes("on: 1\n0755: 2\n123456.789: 3\n2.5e-5: 4\nfalse: 5\n12: 6\n",
		       "{\"true\":1,\"493\":2,\"123456.79\":3,\"2.5e-05\":4,\"false\":5,\"12\":6}");
}

static void test_null_and_uint64_keys_are_errors(void **state)
{
	(void)state;
	assert_fails("~: 1\n", "null mapping key");
	assert_fails("a: 1\n18446744073709551615: 2\n", "t.yaml:2:1:");
}

static void test_duplicate_key_last_wins_with_warning(void **state)
{
	struct ydoc_list l;
	struct kerr e;
	const char *y = "data:\n  a: 1\nkind: x\ndata:\n  b: 2\n";
	char *s;

	(void)state;
	assert_int_equal(yaml_decode_all(y, strlen(y), "t.yaml", &l, &e), 0);
	s = cJSON_PrintUnformatted(l.docs[0].root);
	assert_string_equal(s, "{\"kind\":\"x\",\"data\":{\"b\":2}}");
	free(s);
	assert_int_equal(l.nwarnings, 1);
	assert_non_null(strstr(l.warnings[0], "t.yaml:4:1: duplicate key \"data\" (first at line 1:1)"));
	ydoc_list_free(&l);
}

static void test_merge_key_overrides_earlier_keys(void **state)
{
	(void)state;
	/* (a key "y" would be the boolean true: YAML 1.1) */
	assert_decodes("base: &b {x: 1, z: 1}\nm:\n  x: 2\n  <<: *b\n  z: 3\n",
		       "{\"base\":{\"x\":1,\"z\":1},\"m\":{\"x\":1,\"z\":3}}");
}

static void test_merge_key_list_first_wins(void **state)
{
	(void)state;
	assert_decodes("a: &a {x: a, p: 1}\nb: &b {x: b, q: 2}\nm:\n  <<: [*a, *b]\n",
		       "{\"a\":{\"x\":\"a\",\"p\":1},\"b\":{\"x\":\"b\",\"q\":2},"
		       "\"m\":{\"q\":2,\"x\":\"a\",\"p\":1}}");
	assert_fails("m:\n  <<: 1\n", "merge key");
}

static void test_quoted_merge_key_is_plain_key(void **state)
{
	(void)state;
	assert_decodes("\"<<\": 1\n", "{\"<<\":1}");
}

/* ---- anchors ---- */

static void test_anchor_redefinition_later_wins(void **state)
{
	(void)state;
	assert_decodes("a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "{\"a\":1,\"b\":1,\"c\":2,\"d\":2}");
	/* an aliased scalar used as a key is stringified like any key */
	assert_decodes("a: &k 0755\nb: &h 1e30\nm: {*k: x, *h: z}\n",
		       "{\"a\":493,\"b\":1e+30,\"m\":{\"493\":\"x\",\"1e+30\":\"z\"}}");
}

static void test_self_referencing_alias_is_error(void **state)
{
	(void)state;
	assert_fails("a: &x [1, *x]\n", "refers to itself");
	assert_fails("a: *nope\n", "unknown anchor");
}

static void test_alias_survives_duplicate_key_replacement(void **state)
{
	(void)state;
	assert_decodes("a: &x {k: v}\na: 2\nb: *x\n", "{\"a\":2,\"b\":{\"k\":\"v\"}}");
}

static void test_billion_laughs_fails_fast(void **state)
{
	struct kbuf y = { 0 };
	char *got;

	(void)state;
	kbuf_puts(&y, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
	for (char c = 'b'; c <= 'j'; c++) {
		kbuf_printf(&y, "%c: &%c [", c, c);
		for (int i = 0; i < 10; i++)
			kbuf_printf(&y, "%s*%c", i ? ", " : "", c - 1);
		kbuf_puts(&y, "]\n");
	}
	got = decode(y.data);
	assert_non_null(strstr(got, "alias expansion"));
	free(got);
	kbuf_free(&y);
}

static void test_deep_nesting_fails_without_overflow(void **state)
{
	struct kbuf y = { 0 };
	char *got;

	(void)state;
	for (int i = 0; i < 100000; i++)
		kbuf_putc(&y, '[');
	got = decode(y.data);
	assert_non_null(strstr(got, "nesting deeper than"));
	free(got);
	kbuf_reset(&y);
	for (int i = 0; i < 20000; i++) /* block style */
		kbuf_printf(&y, "%*sk:\n", i % 2000, "");
	free(decode(y.data)); /* must simply not crash */
	kbuf_free(&y);
}

/* 200k keys with a duplicate at the end: a quadratic duplicate check would
 * take hours here and hit ctest's timeout; speed itself is measured by
 * bench_manifest_load, not asserted. */
static void test_huge_mapping_decodes_with_one_duplicate_warning(void **state)
{
	struct kbuf y = { 0 };
	struct ydoc_list l;
	struct kerr e;

	(void)state;
	for (int i = 0; i < 200000; i++)
		kbuf_printf(&y, "k%d: %d\n", i, i);
	kbuf_puts(&y, "k77: again\n");
	assert_int_equal(yaml_decode_all(y.data, y.len, "t.yaml", &l, &e), 0);
	assert_int_equal(cJSON_GetArraySize(l.docs[0].root), 200000);
	assert_string_equal(cJSON_GetObjectItem(l.docs[0].root, "k77")->valuestring, "again");
	assert_int_equal(l.nwarnings, 1);
	assert_non_null(strstr(l.warnings[0], "t.yaml:200001:1: duplicate key \"k77\" (first at line 78:1)"));
	ydoc_list_free(&l);
	kbuf_free(&y);
}

/* ---- files ---- */

static void test_yaml_directive_is_error(void **state)
{
	(void)state;
	assert_fails("%YAML 1.1\n---\na: 1\n", "t.yaml:1:1: %YAML");
}

static void test_bom_utf8_and_utf16le_accepted(void **state)
{
	const char u16[] = "\xff\xfe" "a\0:\0 \0""1\0\n\0";
	char *got;

	(void)state;
	assert_decodes("\xef\xbb\xbf" "a: 1\n", "{\"a\":1}");
	got = decode_n(u16, sizeof(u16) - 1);
	assert_string_equal(got, "{\"a\":1}");
	free(got);
}

static void test_crlf_accepted_cr_only_rejected(void **state)
{
	(void)state;
	assert_decodes("a: 1\r\n---\r\nb: 2\r\n", "{\"a\":1}\n{\"b\":2}");
	assert_fails("a: 1\r---\rb: 2\r", "t.yaml:1: carriage return");
}

static void test_content_after_document_end_is_error(void **state)
{
	(void)state;
	assert_fails("a: 1\n...\nb: 2\n", "t.yaml:3:1: content after the document end marker");
	assert_decodes("a: 1\n...\n---\nb: 2\n", "{\"a\":1}\n{\"b\":2}");
}

static void test_invalid_utf8_reports_position(void **state)
{
	(void)state;
	assert_fails("a: 1\nb: x\xff\n", "t.yaml:2:5:");
}

static void test_json_file_with_concatenated_objects(void **state)
{
	(void)state;
	assert_decodes("  {\"a\": 1, \"b\": [true, null, \"on\"]}\n{\"c\": 1.0, \"d\": 12345678901234567}",
		       "{\"a\":1,\"b\":[true,null,\"on\"]}\n{\"c\":1,\"d\":12345678901234567}");
	assert_fails("{\"a\": }", "t.yaml:1: invalid JSON");
}

static void test_block_scalar_at_eof_gets_newline(void **state)
{
	(void)state;
	assert_decodes("a: |\n  text", "{\"a\":\"text\\n\"}");
}

static void test_syntax_error_names_file_line(void **state)
{
	(void)state;
	assert_fails("a: 1\n---\nb: [1, 2\nc: 3\n", "t.yaml:");
	assert_fails("a:\n\tb: 1\n", "t.yaml:2:");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_and_flow_collections_decode),
		cmocka_unit_test(test_quoted_scalars_stay_strings),
		cmocka_unit_test(test_block_scalars_literal_and_folded),
		cmocka_unit_test(test_multi_document_with_file_line_numbers),
		cmocka_unit_test(test_separator_with_comment_splits),
		cmocka_unit_test(test_separator_with_content_is_error),
		cmocka_unit_test(test_empty_documents_are_kept_as_empty),
		cmocka_unit_test(test_int_underscores_and_prefixes),
		cmocka_unit_test(test_c_style_octal),
		cmocka_unit_test(test_invalid_octal_falls_back_to_float),
		cmocka_unit_test(test_exponent_integer_is_integer),
		cmocka_unit_test(test_overflowing_float_stays_string),
		cmocka_unit_test(test_inf_and_nan_are_errors),
		cmocka_unit_test(test_sexagesimal_stays_string),
		cmocka_unit_test(test_timestamps_never_converted),
		cmocka_unit_test(test_yaml11_booleans),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_large_integers_are_exact),
		cmocka_unit_test(test_explicit_tags),
		cmocka_unit_test(test_binary_tag_is_decoded_to_text),
		cmocka_unit_test(test_backslash_quote_in_double_quotes_read_as_kubectl),
		cmocka_unit_test(test_go_number_formatting),
		cmocka_unit_test(test_keys_are_stringified),
		cmocka_unit_test(test_null_and_uint64_keys_are_errors),
		cmocka_unit_test(test_duplicate_key_last_wins_with_warning),
		cmocka_unit_test(test_merge_key_overrides_earlier_keys),
		cmocka_unit_test(test_merge_key_list_first_wins),
		cmocka_unit_test(test_quoted_merge_key_is_plain_key),
		cmocka_unit_test(test_anchor_redefinition_later_wins),
		cmocka_unit_test(test_self_referencing_alias_is_error),
		cmocka_unit_test(test_alias_survives_duplicate_key_replacement),
		cmocka_unit_test(test_billion_laughs_fails_fast),
		cmocka_unit_test(test_deep_nesting_fails_without_overflow),
		cmocka_unit_test(test_huge_mapping_decodes_with_one_duplicate_warning),
		cmocka_unit_test(test_yaml_directive_is_error),
		cmocka_unit_test(test_bom_utf8_and_utf16le_accepted),
		cmocka_unit_test(test_crlf_accepted_cr_only_rejected),
		cmocka_unit_test(test_content_after_document_end_is_error),
		cmocka_unit_test(test_invalid_utf8_reports_position),
		cmocka_unit_test(test_json_file_with_concatenated_objects),
		cmocka_unit_test(test_block_scalar_at_eof_gets_newline),
		cmocka_unit_test(test_syntax_error_names_file_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
