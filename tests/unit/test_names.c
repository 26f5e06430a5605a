// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of user/lib/names.c: Docker's name rule, random ids, id prefixes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_name_valid(void **state)
{
	static const char *const good[] = {
	    "a",      "Z",     "0",   "web", "my-net", "my_net", "my.net",     "a-._b",
	    "9lives", "UPPER", "a--", "x.",  "db1",    "a_",	 "172.17.0.1", /* looks like an
										  address, still a
										  valid name */
	};
	char max[NB_NAME_MAX + 1];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		const char *why = "unset";

		if (nb_name_check(good[i], &why))
			fail_msg("\"%s\" refused: %s", good[i], why);
		assert_null(why);
	}
	/* exactly NB_NAME_MAX (63) characters */
	memset(max, 'n', NB_NAME_MAX);
	max[NB_NAME_MAX] = '\0';
	assert_int_equal(nb_name_check(max, NULL), 0);
}

static void test_name_invalid(void **state)
{
	static const struct {
		const char *name;
		const char *why_has; /* a word the explanation must contain */
	} bad[] = {
	    {"", "empty"},
	    {"-net", "start"},
	    {"_net", "start"},
	    {".net", "start"},
	    {"/net", "start"},
	    {"my net", "contain"},
	    {"my/net", "contain"},
	    {"net:1", "contain"},
	    {"net\n", "contain"},
	    {"caf\xc3\xa9", "contain"}, /* UTF-8: letters, but not ASCII ones */
	    {"x'; DROP TABLE networks; --", "contain"},
	    {"\" OR 1=1 --", "start"},
	    {"a;b", "contain"},
	    {"$(reboot)", "start"},
	    {"a`id`", "contain"},
	    {"a*", "contain"},
	    {"a%", "contain"},
	    {"../etc", "start"},
	    {"a/../b", "contain"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = NULL;

		if (nb_name_check(bad[i].name, &why) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i].name);
		assert_non_null(why);
		if (!strstr(why, bad[i].why_has))
			fail_msg("\"%s\": explanation \"%s\" lacks \"%s\"", bad[i].name, why,
				 bad[i].why_has);
	}
	/* NULL is an error too, and why may be NULL */
	assert_int_equal(nb_name_check(NULL, NULL), -EINVAL);
	assert_int_equal(nb_name_check("-x", NULL), -EINVAL);
}

static void test_name_length(void **state)
{
	char name[NB_NAME_MAX + 64];
	const char *why = NULL;

	/* 64 characters: one too many, though every character is valid */
	memset(name, 'a', 64);
	name[64] = '\0';
	assert_int_equal(nb_name_check(name, &why), -EINVAL);
	assert_non_null(strstr(why, "63"));
	/* much longer */
	memset(name, 'b', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(nb_name_check(name, &why), -EINVAL);
	/* 63 then a bad character: still refused for the character */
	memset(name, 'c', NB_NAME_MAX);
	name[NB_NAME_MAX - 1] = '!';
	name[NB_NAME_MAX] = '\0';
	assert_int_equal(nb_name_check(name, &why), -EINVAL);
	assert_non_null(strstr(why, "contain"));
}

static bool all_hex_lower(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void test_id_new(void **state)
{
	char ids[64][NB_ID_LEN + 1];
	unsigned int seen[16] = {0};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		memset(ids[i], 'X', sizeof(ids[i]));
		assert_int_equal(nb_id_new(ids[i]), 0);
		assert_int_equal(strlen(ids[i]), NB_ID_LEN);
		assert_true(all_hex_lower(ids[i]));
		assert_true(nb_id_prefix_ok(ids[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
		/* short ids (12) must differ too, or `ls` would show duplicates */
		for (size_t j = 0; j < i; j++)
			assert_true(memcmp(ids[i], ids[j], NB_SHORT_ID_LEN) != 0);
		for (size_t k = 0; k < NB_ID_LEN; k++)
			seen[ids[i][k] <= '9' ? ids[i][k] - '0' : ids[i][k] - 'a' + 10]++;
	}
	/* 4096 random digits: every one of the 16 appears (chance of a miss ~1e-112) */
	for (size_t d = 0; d < 16; d++)
		assert_true(seen[d] > 0);
}

static void test_id_prefix(void **state)
{
	static const char *const good[] = {"a", "0", "0123456789abcdef", "deadbeef", "f00"};
	static const char *const bad[] = {"",	"A",	"DEADBEEF", "g",  "12 ",
					  "-1", "0x12", "a%",	    "a_", "ab'"};
	char full[NB_ID_LEN + 2];

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!nb_id_prefix_ok(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (nb_id_prefix_ok(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	assert_false(nb_id_prefix_ok(NULL));
	/* a whole id is a prefix; one digit more is not */
	memset(full, 'e', NB_ID_LEN);
	full[NB_ID_LEN] = '\0';
	assert_true(nb_id_prefix_ok(full));
	full[NB_ID_LEN] = 'e';
	full[NB_ID_LEN + 1] = '\0';
	assert_false(nb_id_prefix_ok(full));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_valid),	cmocka_unit_test(test_name_invalid),
	    cmocka_unit_test(test_name_length), cmocka_unit_test(test_id_new),
	    cmocka_unit_test(test_id_prefix),
	};

	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
