/*
 * test_daemon_selfheal.c — the self-heal backoff policy: a fight with
 * another writer costs a bounded, shrinking number of writes.
 * (The watch/correct loop itself is tested against kubesim:
 * tests/e2e/run_agent.sh, run_fight.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/selfheal.h"

static void test_backoff_first_correction_is_immediate(void **state)
{
	struct selfheal_opts o = { 0 };

	(void)state;
	assert_int_equal(selfheal_backoff_delay(&o, 0), 0);
	assert_int_equal(selfheal_backoff_delay(&o, -1), 0);
}

static void test_backoff_doubles_from_the_base_up_to_the_cap(void **state)
{
	struct selfheal_opts o = { .backoff_base_ms = 500, .backoff_max_ms = 3000 };

	(void)state;
	assert_int_equal(selfheal_backoff_delay(&o, 1), 500);
	assert_int_equal(selfheal_backoff_delay(&o, 2), 1000);
	assert_int_equal(selfheal_backoff_delay(&o, 3), 2000);
	assert_int_equal(selfheal_backoff_delay(&o, 4), 3000);
	assert_int_equal(selfheal_backoff_delay(&o, 1000000), 3000); /* no overflow on long fights */
}

static void test_backoff_defaults_bound_a_fight_to_few_writes_per_hour(void **state)
{
	struct selfheal_opts o = { 0 };
	int64_t t = 0;
	int writes = 0;

	(void)state;
	assert_int_equal(selfheal_backoff_delay(&o, 1), 1000);
	assert_int_equal(selfheal_backoff_delay(&o, 30), 300000);
	/* a writer that undoes every correction at once: kairn's writes in an hour */
	for (int streak = 0; t < 3600000; streak++, writes++)
		t += selfheal_backoff_delay(&o, streak);
	assert_true(writes < 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_first_correction_is_immediate),
		cmocka_unit_test(test_backoff_doubles_from_the_base_up_to_the_cap),
		cmocka_unit_test(test_backoff_defaults_bound_a_fight_to_few_writes_per_hour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
