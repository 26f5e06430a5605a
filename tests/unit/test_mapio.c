// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/mapio.c against real maps (needs root, as every
 * map-touching test): the one meaning of a missing map and a missing key,
 * key collection, clearing and per-CPU sums.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapio.h"

static void test_missing_map(void **state)
{
	__u32 k = 1, v = 2;
	__u64 sum[2] = {7, 7};
	void *keys = NULL;
	size_t n = 5;

	assert_int_equal(nb_map_get(-1, &k, &v), -ENOENT);
	assert_int_equal(nb_map_put(-1, &k, &v, BPF_ANY), -ENOENT);
	assert_int_equal(nb_map_del(-1, &k), -ENOENT);
	assert_int_equal(nb_map_keys(-1, sizeof(k), &keys, &n), -ENOENT);
	assert_null(keys);
	assert_int_equal(n, 0);
	assert_int_equal(nb_map_clear(-1), -ENOENT);
	assert_int_equal(nb_map_percpu_sum(-1, &k, sum, 2), -ENOENT);
	assert_int_equal(sum[0] + sum[1], 0);
	assert_int_equal(nb_map_count(-1, sizeof(k), 100), 0);
}

static void test_hash(void **state)
{
	__u32 k, v, *keys = NULL;
	size_t n = 0, i;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "nb_test_mapio", sizeof(k), sizeof(v), 64, NULL);
	assert_true(fd >= 0);
	k = 1;
	assert_int_equal(nb_map_get(fd, &k, &v), -ENOENT);
	assert_int_equal(nb_map_del(fd, &k), 0); /* a missing key is gone already */
	assert_int_equal(nb_map_put(fd, &k, &k, BPF_EXIST), -ENOENT);
	for (k = 1; k <= 10; k++)
		assert_int_equal(nb_map_put(fd, &k, &k, BPF_NOEXIST), 0);
	k = 3;
	assert_int_equal(nb_map_put(fd, &k, &k, BPF_NOEXIST), -EEXIST);
	assert_int_equal(nb_map_get(fd, &k, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(nb_map_count(fd, sizeof(k), 100), 10);
	assert_int_equal(nb_map_count(fd, sizeof(k), 4), 4);
	assert_int_equal(nb_map_keys(fd, sizeof(k), (void **)&keys, &n), 0);
	assert_int_equal(n, 10);
	for (v = 0, i = 0; i < n; i++)
		v += keys[i];
	assert_int_equal(v, 55);
	free(keys);
	assert_int_equal(nb_map_clear(fd), 0);
	assert_int_equal(nb_map_count(fd, sizeof(k), 100), 0);
	close(fd);
}

static void test_percpu_sum(void **state)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i;
	__u64 *vals, out[2];
	__u32 k = 0;

	assert_true(ncpu > 0);
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "nb_test_pcpu", sizeof(k), sizeof(out), 1,
			    NULL);
	assert_true(fd >= 0);
	vals = calloc((size_t)ncpu * 2, sizeof(*vals));
	assert_non_null(vals);
	for (i = 0; i < ncpu; i++) {
		vals[2 * i] = 1;
		vals[2 * i + 1] = 100 + (__u64)i;
	}
	assert_int_equal(bpf_map_update_elem(fd, &k, vals, BPF_ANY), 0);
	assert_int_equal(nb_map_percpu_sum(fd, &k, out, 2), 0);
	assert_int_equal(out[0], ncpu);
	assert_int_equal(out[1], 100ULL * ncpu + (__u64)ncpu * (ncpu - 1) / 2);
	free(vals);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing_map),
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_percpu_sum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
