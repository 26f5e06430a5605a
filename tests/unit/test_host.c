// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/host.c's matching and what uses it: which host
 * prefix a subnet overlaps and how it is named, which host socket holds a
 * port, `up --bridge-subnet`'s parsing, and nb_net_spec_resolve's automatic
 * and explicit subnets against the host's routes and addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <cmocka.h>

#include <netbpf/netbpf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static __be32 ip(const char *s)
{
	__be32 v = 0;

	if (nb_parse_ipv4(s, &v))
		fail_msg("test bug: bad address %s", s);
	return v;
}

static struct nb_prefix pfx(const char *s)
{
	struct nb_prefix p = {0};

	if (nb_parse_prefix(s, false, &p))
		fail_msg("test bug: bad prefix %s", s);
	return p;
}

/* a docker0 address, a routed prefix, a route without a device */
static struct nb_host_net host[3];

static int host_setup(void **state)
{
	(void)state;
	memset(host, 0, sizeof(host));
	host[0].prefix = pfx("172.17.0.1/16");
	host[0].addr = ip("172.17.0.1");
	snprintf(host[0].dev, sizeof(host[0].dev), "docker0");
	host[1].prefix = pfx("172.18.0.0/16");
	snprintf(host[1].dev, sizeof(host[1].dev), "eth1");
	host[2].prefix = pfx("10.200.0.0/24");
	nb_error_clear();
	return 0;
}

static void test_host_net_str(void **state)
{
	char buf[NB_HOST_NET_STRLEN];

	(void)state;
	assert_string_equal(nb_host_net_str(&host[0], buf), "address 172.17.0.1/16 on docker0");
	assert_string_equal(nb_host_net_str(&host[1], buf), "route 172.18.0.0/16 dev eth1");
	assert_string_equal(nb_host_net_str(&host[2], buf), "route 10.200.0.0/24");
}

static void test_host_net_overlap(void **state)
{
	static const struct {
		const char *p;
		int want; /* index into host, -1: none */
	} cases[] = {
	    {"172.17.0.0/16", 0},  {"172.17.200.0/24", 0}, {"172.16.0.0/12", 0},
	    {"172.18.5.0/24", 1},  {"172.19.0.0/16", -1},  {"10.200.0.128/25", 2},
	    {"10.201.0.0/24", -1}, {"10.0.0.0/8", 2},	   {"192.168.0.0/20", -1},
	};
	struct nb_prefix p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct nb_host_net *h;

		p = pfx(cases[i].p);
		h = nb_host_net_overlap(&p, host, ARRAY_SIZE(host));
		if (cases[i].want < 0)
			assert_null(h);
		else
			assert_ptr_equal(h, &host[cases[i].want]);
	}
	p = pfx("172.17.0.0/16");
	assert_null(nb_host_net_overlap(&p, NULL, 0));
}

static void test_listener_find(void **state)
{
	const struct nb_listener v[] = {
	    {.ip = 0, .port = 8085, .proto = IPPROTO_TCP, .inode = 1},
	    {.ip = 0x0100007f /* 127.0.0.1 */, .port = 8086, .proto = IPPROTO_UDP, .inode = 2},
	    {.ip = 0x0100007f, .port = 8087, .proto = IPPROTO_TCP, .inode = 3},
	};
	size_t n = ARRAY_SIZE(v);

	(void)state;
	/* 0.0.0.0 on the socket's side takes every address */
	assert_ptr_equal(nb_listener_find(v, n, 0, 8085, IPPROTO_TCP), &v[0]);
	assert_ptr_equal(nb_listener_find(v, n, ip("198.18.0.1"), 8085, IPPROTO_TCP), &v[0]);
	/* another protocol is free */
	assert_null(nb_listener_find(v, n, 0, 8085, IPPROTO_UDP));
	/* 0.0.0.0 on the publishing side collides with a specific socket */
	assert_ptr_equal(nb_listener_find(v, n, 0, 8086, IPPROTO_UDP), &v[1]);
	assert_ptr_equal(nb_listener_find(v, n, ip("127.0.0.1"), 8087, IPPROTO_TCP), &v[2]);
	/* another specific address is free, as bind() says */
	assert_null(nb_listener_find(v, n, ip("198.18.0.1"), 8087, IPPROTO_TCP));
	assert_null(nb_listener_find(v, n, 0, 9999, IPPROTO_TCP));
	assert_null(nb_listener_find(NULL, 0, 0, 8085, IPPROTO_TCP));
}

static void test_bridge_subnet_parse(void **state)
{
	static const char *const bad[] = {"10.1.0.1/24", "10.0.0.0/7", "10.1.0.0/31", "10.1.0.0",
					  "fd00::/64",	 "",	       "10.1.0.0/24x"};
	struct nb_prefix p;
	char buf[NB_CIDR_STRLEN];
	size_t i;

	(void)state;
	assert_int_equal(nb_bridge_subnet_parse("10.98.0.0/24", &p), 0);
	assert_string_equal(nb_fmt_prefix(&p, buf), "10.98.0.0/24");
	assert_int_equal(nb_bridge_subnet_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(nb_bridge_subnet_parse("192.168.7.0/30", &p), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(nb_bridge_subnet_parse(bad[i], &p), -EINVAL);
}

static int resolve(struct nb_net_spec *spec, const struct nb_network_rec *others, size_t n,
		   struct nb_network_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	nb_error_clear();
	return nb_net_spec_resolve(spec, others, n, rec);
}

static void assert_subnet(const struct nb_network_rec *rec, const char *want)
{
	char buf[NB_CIDR_STRLEN];

	assert_string_equal(nb_fmt_prefix(&rec->subnet, buf), want);
}

static void test_resolve_automatic_skips_host(void **state)
{
	struct nb_net_spec spec = {.name = "auto"};
	struct nb_network_rec rec, others[1];

	(void)state;
	memset(others, 0, sizeof(others));
	/* without the host: Docker's first pool */
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_subnet(&rec, "172.17.0.0/16");
	nb_network_rec_clear(&rec);
	/* docker0's 172.17/16 and eth1's 172.18/16 are skipped, and a network's 172.19/16 */
	spec.host = host;
	spec.nhost = ARRAY_SIZE(host);
	snprintf(others[0].name, sizeof(others[0].name), "n19");
	others[0].subnet = pfx("172.19.0.0/16");
	assert_int_equal(resolve(&spec, others, 1, &rec), 0);
	assert_subnet(&rec, "172.20.0.0/16");
	assert_int_equal(rec.gateway, ip("172.20.0.1"));
	nb_network_rec_clear(&rec);
}

static void test_resolve_explicit_overlap(void **state)
{
	struct nb_net_spec spec = {.name = "ov", .host = host, .nhost = ARRAY_SIZE(host)};
	struct nb_network_rec rec;

	(void)state;
	spec.subnet = "172.17.5.0/24";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EEXIST);
	assert_string_equal(nb_error_msg(),
			    "network \"ov\": subnet 172.17.5.0/24 overlaps the host's address "
			    "172.17.0.1/16 on docker0 (--force creates it anyway)");
	nb_network_rec_clear(&rec);
	spec.subnet = "172.18.0.0/24";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EEXIST);
	assert_non_null(strstr(nb_error_msg(), "the host's route 172.18.0.0/16 dev eth1"));
	nb_network_rec_clear(&rec);
	/* --force: the host's prefixes do not count, other networks still do */
	spec.force = true;
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_subnet(&rec, "172.18.0.0/24");
	nb_network_rec_clear(&rec);
	/* a subnet clear of the host */
	spec.force = false;
	spec.subnet = "10.201.0.0/24";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	nb_network_rec_clear(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_host_net_str, host_setup),
	    cmocka_unit_test_setup(test_host_net_overlap, host_setup),
	    cmocka_unit_test(test_listener_find),
	    cmocka_unit_test(test_bridge_subnet_parse),
	    cmocka_unit_test_setup(test_resolve_automatic_skips_host, host_setup),
	    cmocka_unit_test_setup(test_resolve_explicit_overlap, host_setup),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
