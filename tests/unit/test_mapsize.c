// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/mapsize.c and the limits the state enforces with
 * it (issue 19 item 13): which map each size governs, the sizes kept in the
 * state, and the "full" errors naming the limit and the option.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipam.h"
#include "log.h"
#include "mapsize.h"
#include "names.h"
#include "store.h"

static char base_dir[] = "/tmp/nb-test-mapsize-XXXXXX";

static void test_entries(void **state)
{
	struct nb_dp_sizes d, s = {.max_endpoints = 64, .max_networks = 16, .ct_size = 2048};

	(void)state;
	nb_dp_sizes_default(&d);
	assert_int_equal(d.max_endpoints, 4096);
	assert_int_equal(d.max_networks, NB_MAX_NETWORKS);
	assert_int_equal(d.ct_size, NB_MAX_CT);
	/* a switch port, FDB and ARP entry per endpoint and per network's gateway */
	assert_int_equal(nb_dp_sizes_entries(&d, "nb_ports"), 4096 + NB_MAX_NETWORKS);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_ports"), 80);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_fdb"), 80);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_neigh"), 80);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_xdp_devs"), 80);
	/* stats slot 0 means "not counted" */
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_ep_stats"), 65);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_networks"), 16);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_subnets"), 16);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_flood"), 16);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_ct"), 2048);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_ep_drops"), 256);
	/* per CPU: capped whatever the endpoints */
	s.max_endpoints = 65535;
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_ep_drops"), NB_MAX_EP_DROPS);
	/* fixed maps are left alone */
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_publish"), 0);
	assert_int_equal(nb_dp_sizes_entries(&s, "nb_config"), 0);
	assert_string_equal(nb_dp_sizes_option("nb_ct"), "--ct-size");
	assert_string_equal(nb_dp_sizes_option("nb_ep_stats"), "--max-endpoints");
	assert_string_equal(nb_dp_sizes_option("nb_flood"), "--max-networks");
	assert_null(nb_dp_sizes_option("nb_publish"));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct nb_store *open_store(const char *name)
{
	char dir[128];
	struct nb_store *st = NULL;

	snprintf(dir, sizeof(dir), "%s/%s", base_dir, name);
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	return st;
}

static int add_net(struct nb_store *st, const char *name, int i)
{
	struct nb_network_rec n = {0};
	char cidr[32];
	int err;

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.driver, sizeof(n.driver), "%s", NB_DRIVER_BRIDGE);
	snprintf(cidr, sizeof(cidr), "10.%d.0.0/24", i);
	assert_int_equal(nb_parse_prefix(cidr, true, &n.subnet), 0);
	n.range = n.subnet;
	n.gateway = nb_ipam_default_gateway(&n.subnet, NULL);
	err = nb_store_network_add(st, &n);
	nb_network_rec_clear(&n);
	return err;
}

static void test_kept_sizes(void **state)
{
	struct nb_dp_sizes s = {0},
			   want = {.max_endpoints = 64, .max_networks = 8, .ct_size = 2048};
	struct nb_store *st = open_store("kept");
	bool any = true;

	(void)state;
	/* a state from before the options keeps none */
	assert_int_equal(nb_dp_sizes_stored(st, &s, &any), 0);
	assert_false(any);
	assert_int_equal(s.max_endpoints, 0);
	assert_int_equal(nb_dp_sizes_networks(st), NB_MAX_NETWORKS);
	assert_int_equal(nb_dp_sizes_endpoints(st), 4096);
	assert_int_equal(nb_store_begin(st), 0);
	assert_int_equal(nb_dp_sizes_store(st, &want), 0);
	assert_int_equal(nb_store_commit(st), 0);
	assert_int_equal(nb_dp_sizes_stored(st, &s, &any), 0);
	assert_true(any);
	assert_memory_equal(&s, &want, sizeof(s));
	assert_int_equal(nb_dp_sizes_networks(st), 8);
	assert_int_equal(nb_dp_sizes_endpoints(st), 64);
	nb_store_close(st);
}

static void test_network_limit(void **state)
{
	struct nb_dp_sizes s = {.max_endpoints = 16, .max_networks = 8, .ct_size = 1024};
	struct nb_store *st = open_store("full");
	char name[16];
	int i;

	(void)state;
	assert_int_equal(nb_store_begin(st), 0);
	assert_int_equal(nb_dp_sizes_store(st, &s), 0);
	for (i = 1; i <= 8; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(add_net(st, name, i), 0);
	}
	nb_error_clear();
	assert_int_equal(add_net(st, "n9", 9), -ENOSPC);
	assert_non_null(strstr(nb_error_text(), "at most 8 networks"));
	assert_non_null(strstr(nb_error_text(), "--max-networks"));
	/* raising the kept size makes room */
	s.max_networks = 16;
	assert_int_equal(nb_dp_sizes_store(st, &s), 0);
	assert_int_equal(add_net(st, "n9", 9), 0);
	assert_int_equal(nb_store_commit(st), 0);
	nb_error_clear();
	nb_store_close(st);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(base_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(base_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entries),
	    cmocka_unit_test(test_kept_sizes),
	    cmocka_unit_test(test_network_limit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
