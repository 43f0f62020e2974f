/*
 * test_backup_sigv4.c — backup/sigv4 against AWS's published examples: the
 * SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case) and the S3
 * "Example: GET Object" and "Example: GET Bucket (List Objects)" of the S3
 * SigV4 header-authentication docs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "backup/sigv4.h"
#include "util/buf.h"
#include "util/err.h"

#define SUITE_AK "AKIDEXAMPLE"
#define SUITE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void sign(const char *method, const char *uri, const char *query, const struct sigv4_header *h,
		 size_t nh, const char *date, const char *region, const char *service, const char *ak,
		 const char *sk, const char *want)
{
	struct sigv4_request r = { method, uri, query, h, nh, EMPTY, date, region, service, ak, sk };
	struct kbuf out = { 0 };
	struct kerr e;

	assert_int_equal(sigv4_authorization(&r, &out, NULL, &e), 0);
	assert_string_equal(out.data, want);
	kbuf_free(&out);
}

static void test_sigv4_get_vanilla(void **state)
{
	const struct sigv4_header h[] = { { "Host", "example.amazonaws.com" },
					  { "X-Amz-Date", "20150830T123600Z" } };

	(void)state;
	sign("GET", "/", "", h, 2, "20150830T123600Z", "us-east-1", "service", SUITE_AK, SUITE_SK,
	     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	     "SignedHeaders=host;x-amz-date, "
	     "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void test_sigv4_get_vanilla_query_order_key_case(void **state)
{
	const struct sigv4_header h[] = { { "Host", "example.amazonaws.com" },
					  { "X-Amz-Date", "20150830T123600Z" } };

	(void)state;
	sign("GET", "/", "Param2=value2&Param1=value1", h, 2, "20150830T123600Z", "us-east-1", "service",
	     SUITE_AK, SUITE_SK,
	     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	     "SignedHeaders=host;x-amz-date, "
	     "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void test_sigv4_s3_get_object_example(void **state)
{
	const struct sigv4_header h[] = { { "Host", "examplebucket.s3.amazonaws.com" },
					  { "Range", "bytes=0-9" },
					  { "x-amz-content-sha256", EMPTY },
					  { "x-amz-date", "20130524T000000Z" } };
	struct sigv4_request r = { "GET", "/test.txt", NULL, h, 4, EMPTY, "20130524T000000Z", "us-east-1",
				   "s3", S3_AK, S3_SK };
	struct kbuf out = { 0 }, canon = { 0 };
	struct kerr e;

	(void)state;
	assert_int_equal(sigv4_authorization(&r, &out, &canon, &e), 0);
	assert_string_equal(canon.data, "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
					"x-amz-content-sha256:" EMPTY "\nx-amz-date:20130524T000000Z\n\n"
					"host;range;x-amz-content-sha256;x-amz-date\n" EMPTY);
	assert_string_equal(out.data,
			    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
			    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
			    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	kbuf_free(&out);
	kbuf_free(&canon);
}

static void test_sigv4_s3_list_objects_example(void **state)
{
	const struct sigv4_header h[] = { { "Host", "examplebucket.s3.amazonaws.com" },
					  { "x-amz-content-sha256", EMPTY },
					  { "x-amz-date", "20130524T000000Z" } };

	(void)state;
	sign("GET", "/", "prefix=J&max-keys=2", h, 3, "20130524T000000Z", "us-east-1", "s3", S3_AK, S3_SK,
	     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	     "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
	     "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void test_sigv4_uri_encoding_is_s3s(void **state)
{
	struct kbuf b = { 0 };

	(void)state;
	assert_int_equal(sigv4_uri_encode(&b, "backups/n 1/a~b+c$.json", 1), 0);
	assert_string_equal(b.data, "backups/n%201/a~b%2Bc%24.json");
	kbuf_reset(&b);
	assert_int_equal(sigv4_uri_encode(&b, "a/b", 0), 0);
	assert_string_equal(b.data, "a%2Fb");
	kbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigv4_get_vanilla),
		cmocka_unit_test(test_sigv4_get_vanilla_query_order_key_case),
		cmocka_unit_test(test_sigv4_s3_get_object_example),
		cmocka_unit_test(test_sigv4_s3_list_objects_example),
		cmocka_unit_test(test_sigv4_uri_encoding_is_s3s),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
