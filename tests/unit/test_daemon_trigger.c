/*
 * test_daemon_trigger.c — which sources a webhook push triggers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/daemon.h"

static struct daemon_source git_source(const char *ref)
{
	struct daemon_source s = { 0 };

	s.src.name = "apps";
	s.src.git.url = "https://git.example/org/deploy.git";
	s.src.git.ref = ref;
	return s;
}

static void test_push_to_the_followed_branch_or_tag_triggers(void **state)
{
	struct daemon_source br = git_source("main"), tag = git_source("v1.2"), full = git_source("refs/heads/prod");

	(void)state;
	assert_true(daemon_push_matches(&br, "refs/heads/main"));
	assert_true(daemon_push_matches(&tag, "refs/tags/v1.2"));
	assert_true(daemon_push_matches(&full, "refs/heads/prod"));
}

static void test_push_to_another_branch_does_not_trigger(void **state)
{
	struct daemon_source br = git_source("main"), full = git_source("refs/heads/prod");

	(void)state;
	assert_false(daemon_push_matches(&br, "refs/heads/main-old"));
	assert_false(daemon_push_matches(&br, "refs/heads/feature/main"));
	assert_false(daemon_push_matches(&br, "refs/tags/v2"));
	assert_false(daemon_push_matches(&full, "refs/heads/main"));
}

static void test_pinned_commit_never_triggers(void **state)
{
	struct daemon_source sha = git_source("3f7daed0c0ffee0123456789abcdef0123456789");

	(void)state;
	assert_false(daemon_push_matches(&sha, "refs/heads/main"));
}

static void test_default_branch_and_directories_always_trigger(void **state)
{
	struct daemon_source head = git_source(NULL), explicit_head = git_source("HEAD"), dir = { 0 };

	(void)state;
	dir.src.dir = "/srv/manifests";
	assert_true(daemon_push_matches(&head, "refs/heads/anything"));
	assert_true(daemon_push_matches(&explicit_head, "refs/heads/main"));
	assert_true(daemon_push_matches(&dir, "refs/heads/main"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_to_the_followed_branch_or_tag_triggers),
		cmocka_unit_test(test_push_to_another_branch_does_not_trigger),
		cmocka_unit_test(test_pinned_commit_never_triggers),
		cmocka_unit_test(test_default_branch_and_directories_always_trigger),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
