// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/log.c: the per-thread error slot a front end reads
 * after a failed call, and the one log hook for what is not an error.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane.h"
#include "log.h"

static void test_error_slot(void **state)
{
	nb_error_clear();
	assert_string_equal(nb_error_text(), "");
	assert_string_equal(nb_error_msg(), "");
	assert_int_equal(nb_error_code(), 0);

	nb_errorf("network \"%s\" not found", "web");
	assert_string_equal(nb_error_msg(), "network \"web\" not found");
	/* the outer call's line comes last: it is the message, the rest the story */
	assert_int_equal(nb_error(-ENOENT, "sandbox \"box1\": cannot attach it\n"), -ENOENT);
	assert_string_equal(nb_error_text(), "network \"web\" not found\n"
					     "sandbox \"box1\": cannot attach it");
	assert_string_equal(nb_error_msg(), "sandbox \"box1\": cannot attach it");
	/* the first code recorded stays: it is the cause's */
	assert_int_equal(nb_error_set_code(-EIO), -EIO);
	assert_int_equal(nb_error_code(), -ENOENT);

	nb_error_clear();
	assert_string_equal(nb_error_text(), "");
	assert_int_equal(nb_error_code(), 0);
}

static void test_error_slot_full(void **state)
{
	char big[1000];
	int i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	nb_error_clear();
	for (i = 0; i < 20; i++)
		nb_errorf("%s", big);
	/* truncated, never overflowing, still a string */
	assert_true(strlen(nb_error_text()) < 8192);
	nb_error_clear();
}

static void *other_thread(void *arg)
{
	(void)arg;
	nb_errorf("in the other thread");
	return (void *)(strcmp(nb_error_text(), "in the other thread") == 0 ? (void *)1 : NULL);
}

/* a daemon's requests run in threads: one's failure is not another's */
static void test_error_slot_per_thread(void **state)
{
	pthread_t t;
	void *ok = NULL;

	nb_error_clear();
	nb_errorf("in this thread");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_non_null(ok);
	assert_string_equal(nb_error_text(), "in this thread");
	nb_error_clear();
}

static char logged[1024];

static void hook(enum nb_log_level level, const char *msg, void *arg)
{
	size_t len = strlen(logged);

	snprintf(logged + len, sizeof(logged) - len, "%d:%s|%s\n", (int)level, msg,
		 (const char *)arg);
}

static void test_log_hook(void **state)
{
	struct nb_instance quiet = {.verbose = 0}, loud = {.verbose = 1};

	logged[0] = '\0';
	nb_log_set(hook, "arg", NB_LOG_DEBUG);
	nb_logf(NB_LOG_WARN, "up: no default route\n");
	nb_logf(NB_LOG_INFO, "created network \"%s\"", "bridge");
	nb_debugf(&quiet, "not shown");
	nb_debugf(NULL, "not shown either");
	nb_debugf(&loud, "shown %d", 1);
	nb_logf(NB_LOG_LIBBPF, "libbpf: above the level: dropped");
	/* errors never go through the hook: they are values */
	nb_errorf("not logged");
	nb_error_clear();
	nb_log_set(NULL, NULL, NB_LOG_WARN);
	assert_string_equal(logged, "0:up: no default route|arg\n"
				    "1:created network \"bridge\"|arg\n"
				    "2:shown 1|arg\n");
	assert_true(nb_log_enabled(NB_LOG_INFO));
	assert_false(nb_log_enabled(NB_LOG_DEBUG));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_slot),
	    cmocka_unit_test(test_error_slot_full),
	    cmocka_unit_test(test_error_slot_per_thread),
	    cmocka_unit_test(test_log_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
