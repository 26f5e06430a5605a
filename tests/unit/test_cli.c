// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cli.c: range-checked numbers, Docker's -o/--label values, and the
 * validation of `network create` (names, drivers, CIDRs, gateways, ranges,
 * overlaps, the default pools, MTU, options) with the messages it gives:
 * each must name the network and the cause.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "cli.h"
#include "ipam.h"
#include "output.h"

static int log_setup(void **state)
{
	nb_error_clear();
	return 0;
}

static int log_teardown(void **state)
{
	nb_error_clear();
	return 0;
}

/* what the library left in the error slot since the last call, a line each */
static const char *logged(void)
{
	static char last[1024];

	snprintf(last, sizeof(last), "%s%s", nb_error_text(), *nb_error_text() ? "\n" : "");
	nb_error_clear();
	return last;
}

#define assert_logged(needle)                                                                      \
	do {                                                                                       \
		const char *l_ = logged();                                                         \
		if (!strstr(l_, needle))                                                           \
			fail_msg("log \"%s\" lacks \"%s\"", l_, needle);                           \
	} while (0)

static __be32 ip(const char *s)
{
	return inet_addr(s);
}

static void test_parse_ulong(void **state)
{
	unsigned long v = 7;

	assert_int_equal(nb_parse_ulong("68", 68, 65535, &v), 0);
	assert_int_equal(v, 68);
	assert_int_equal(nb_parse_ulong("65535", 68, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(nb_parse_ulong("67", 68, 65535, &v), -ERANGE);
	assert_int_equal(nb_parse_ulong("65536", 68, 65535, &v), -ERANGE);
	assert_int_equal(nb_parse_ulong("99999999999999999999999", 0, 10, &v), -ERANGE);
	assert_int_equal(nb_parse_ulong("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(nb_parse_ulong(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(nb_parse_ulong("1x", 0, 10, &v), -EINVAL);
	assert_int_equal(nb_parse_ulong("", 0, 10, &v), -EINVAL);
	assert_int_equal(v, 65535); /* untouched by failures */
}

static void test_parse_bool(void **state)
{
	bool b = false;

	assert_int_equal(nb_parse_bool("true", &b), 0);
	assert_true(b);
	assert_int_equal(nb_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(nb_parse_bool("1", &b), -EINVAL);
	assert_int_equal(nb_parse_bool("TRUE", &b), -EINVAL);
	assert_int_equal(nb_parse_bool("yes", &b), -EINVAL);
}

static void test_kv_put(void **state)
{
	json_t *o = json_object();

	assert_int_equal(nb_kv_put(o, "a=b", true), 0);
	assert_int_equal(nb_kv_put(o, "c=d=e", true), 0);
	assert_int_equal(nb_kv_put(o, "flag", false), 0);
	assert_int_equal(nb_kv_put(o, "flag2", true), -EINVAL);
	assert_int_equal(nb_kv_put(o, "=x", false), -EINVAL);
	assert_string_equal(json_string_value(json_object_get(o, "a")), "b");
	assert_string_equal(json_string_value(json_object_get(o, "c")), "d=e");
	assert_string_equal(json_string_value(json_object_get(o, "flag")), "");
	assert_int_equal(json_object_size(o), 3);
	json_decref(o);
}

/* ---- network create ------------------------------------------------------ */

static struct nb_network_rec other(const char *name, const char *cidr)
{
	struct nb_network_rec n = {0};

	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.id, sizeof(n.id), "%064d", 7);
	snprintf(n.driver, sizeof(n.driver), "%s", cidr ? "bridge" : "host");
	if (cidr)
		assert_int_equal(nb_parse_prefix(cidr, true, &n.subnet), 0);
	return n;
}

static int resolve(const struct nb_net_spec *spec, const struct nb_network_rec *others, size_t n,
		   struct nb_network_rec *rec)
{
	int err = nb_net_spec_resolve(spec, others, n, rec);

	if (err)
		assert_null(rec->options);
	return err;
}

static void test_create_defaults(void **state)
{
	struct nb_net_spec spec = {.name = "web", .subnet = "10.1.0.0/16"};
	struct nb_network_rec rec;
	char buf[NB_CIDR_STRLEN];

	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_string_equal(rec.name, "web");
	assert_string_equal(rec.driver, "bridge");
	assert_string_equal(nb_fmt_prefix(&rec.subnet, buf), "10.1.0.0/16");
	assert_string_equal(nb_fmt_prefix(&rec.range, buf), "10.1.0.0/16");
	assert_int_equal(rec.gateway, ip("10.1.0.1"));
	assert_true(rec.icc);
	assert_true(rec.masquerade);
	assert_false(rec.internal);
	assert_int_equal(rec.host_binding, 0);
	assert_int_equal(rec.mtu, 0);
	assert_false(rec.builtin);
	assert_string_equal(rec.options, "{}");
	assert_string_equal(rec.labels, "{}");
	assert_string_equal(logged(), "");
	nb_network_rec_clear(&rec);
}

/* without --subnet: the first of Docker's pools no network overlaps */
static void test_create_pick_subnet(void **state)
{
	struct nb_network_rec others[] = {other("bridge", "172.17.0.0/16"), other("host", NULL),
					  other("a", "172.18.0.0/24")};
	struct nb_net_spec spec = {.name = "auto"};
	struct nb_network_rec rec;
	char buf[NB_CIDR_STRLEN];

	assert_int_equal(resolve(&spec, others, 3, &rec), 0);
	assert_string_equal(nb_fmt_prefix(&rec.subnet, buf), "172.19.0.0/16");
	assert_int_equal(rec.gateway, ip("172.19.0.1"));
	nb_network_rec_clear(&rec);
}

static void test_create_overlap(void **state)
{
	struct nb_network_rec others[] = {other("bridge", "172.17.0.0/16"),
					  other("db", "10.1.0.0/24"),
					  other("cache", "10.3.0.0/16")};
	struct nb_net_spec spec = {.name = "web", .subnet = "10.0.0.0/8"};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, others, 3, &rec), -EEXIST);
	/* every network in the way is named */
	assert_logged("network \"web\": subnet 10.0.0.0/8 overlaps network \"db\" (10.1.0.0/24), "
		      "network \"cache\" (10.3.0.0/16)\n");
	spec.subnet = "10.1.0.128/25";
	assert_int_equal(resolve(&spec, others, 3, &rec), -EEXIST);
	assert_logged(
	    "network \"web\": subnet 10.1.0.128/25 overlaps network \"db\" (10.1.0.0/24)\n");
	spec.subnet = "10.2.0.0/16";
	assert_int_equal(resolve(&spec, others, 3, &rec), 0);
	nb_network_rec_clear(&rec);
}

/* IPv6: the v6 subnet beside the v4 one, its gateway defaulted, overlaps named, v6-only */
static void test_create_ipv6(void **state)
{
	struct nb_network_rec others[] = {other("bridge", "172.17.0.0/16"),
					  other("six", "10.6.0.0/24")};
	struct nb_net_spec spec = {
	    .name = "dual", .subnet = "10.1.0.0/24", .ipv6 = true, .subnet6 = "fd00:1::/64"};
	struct nb_network_rec rec;
	char buf[NB_CIDR6_STRLEN];

	assert_int_equal(resolve(&spec, others, 2, &rec), 0);
	assert_true(nb_network_has_v6(&rec));
	assert_string_equal(nb_fmt_prefix6(&rec.subnet6, buf), "fd00:1::/64");
	assert_string_equal(nb_fmt_prefix6(&rec.range6, buf), "fd00:1::/64");
	assert_string_equal(nb_fmt_ipv6(&rec.gateway6, buf), "fd00:1::1");
	assert_string_equal(logged(), "");
	nb_network_rec_clear(&rec);

	/* overlapping another network's v6 subnet: named */
	assert_int_equal(nb_parse_prefix6("fd00:1::/48", true, &others[1].subnet6), 0);
	spec.subnet6 = "fd00:1:0:5::/64";
	assert_int_equal(resolve(&spec, others, 2, &rec), -EEXIST);
	assert_logged("network \"dual\": IPv6 subnet fd00:1:0:5::/64 overlaps network \"six\" "
		      "(fd00:1::/48)\n");
	/* a given gateway and range, checked against the subnet */
	spec.subnet6 = "fd00:2::/64";
	spec.gateway6 = "fd00:2::fe";
	spec.ip_range6 = "fd00:2::100/120";
	assert_int_equal(resolve(&spec, others, 2, &rec), 0);
	assert_string_equal(nb_fmt_ipv6(&rec.gateway6, buf), "fd00:2::fe");
	assert_string_equal(nb_fmt_prefix6(&rec.range6, buf), "fd00:2::100/120");
	nb_network_rec_clear(&rec);
	spec.gateway6 = "fd00:3::1";
	assert_int_equal(resolve(&spec, others, 2, &rec), -EINVAL);
	assert_logged("network \"dual\": IPv6 gateway fd00:3::1 is outside subnet fd00:2::/64");
	spec.gateway6 = NULL;
	spec.ip_range6 = NULL;
	/* --ipv6 without a v6 subnet, a v6 subnet without --ipv6 */
	spec.subnet6 = NULL;
	assert_int_equal(resolve(&spec, others, 2, &rec), -EINVAL);
	assert_logged("network \"dual\": --ipv6 needs an IPv6 --subnet");
	spec.subnet6 = "fd00:2::/64";
	spec.ipv6 = false;
	assert_int_equal(resolve(&spec, others, 2, &rec), -EINVAL);
	assert_logged("without --ipv6");
	/* IPv6-only: no v4 subnet picked */
	spec.ipv6 = true;
	spec.subnet = NULL;
	spec.no_ipv4 = true;
	assert_int_equal(resolve(&spec, others, 2, &rec), 0);
	assert_int_equal(rec.subnet.len, 0);
	assert_int_equal(rec.gateway, 0);
	assert_true(nb_network_has_v6(&rec));
	nb_network_rec_clear(&rec);
}

static void test_create_name(void **state)
{
	struct nb_network_rec others[] = {other("web", "10.1.0.0/16")};
	struct nb_net_spec spec = {.name = "web", .subnet = "10.2.0.0/16"};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, others, 1, &rec), -EEXIST);
	assert_logged("network \"web\" already exists");
	spec.name = "-web";
	assert_int_equal(resolve(&spec, others, 1, &rec), -EINVAL);
	assert_logged("network \"-web\": invalid name");
	spec.name = "we b";
	assert_int_equal(resolve(&spec, others, 1, &rec), -EINVAL);
	assert_logged("network \"we b\": invalid name");
}

static void test_create_driver(void **state)
{
	struct nb_net_spec spec = {.name = "h2", .driver = "host"};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"h2\": only one instance of \"host\" network is allowed");
	spec.driver = "none";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("only one instance of \"none\" network is allowed");
	spec.driver = "macvlan";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"h2\": driver \"macvlan\" is not supported");
	/* overlay resolves like a bridge network; the store is nb_network_create's business */
	spec.driver = "overlay";
	spec.subnet = "10.50.0.0/16";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_string_equal(rec.driver, "overlay");
	nb_network_rec_clear(&rec);
	spec.driver = "bridge";
	spec.subnet = "10.9.0.0/16";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	nb_network_rec_clear(&rec);
}

static void test_create_bad_cidr(void **state)
{
	struct nb_net_spec spec = {.name = "n", .subnet = "10.1.0.5/16"};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": invalid subnet 10.1.0.5/16: host bits are set, it should be "
		      "10.1.0.0/16");
	spec.subnet = "10.1.0.0";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("invalid subnet \"10.1.0.0\"");
	spec.subnet = "300.1.0.0/16";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	spec.subnet = "10.1.0.0/31";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("prefix length must be between 8 and 30");
	spec.subnet = "0.0.0.0/0";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
}

static void test_create_gateway(void **state)
{
	struct nb_net_spec spec = {.name = "n", .subnet = "10.1.0.0/24", .gateway = "10.2.0.1"};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": gateway 10.2.0.1 is outside subnet 10.1.0.0/24");
	spec.gateway = "10.1.0.0";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("gateway 10.1.0.0 is the network address of subnet 10.1.0.0/24");
	spec.gateway = "10.1.0.255";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("gateway 10.1.0.255 is the broadcast address");
	spec.gateway = "10.1.0";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("invalid gateway \"10.1.0\"");
	spec.gateway = "10.1.0.254";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_int_equal(rec.gateway, ip("10.1.0.254"));
	nb_network_rec_clear(&rec);

	/* a gateway (or range) needs its subnet, as in Docker */
	spec.subnet = NULL;
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("--gateway needs --subnet");
}

static void test_create_ip_range(void **state)
{
	struct nb_net_spec spec = {.name = "n", .subnet = "10.1.0.0/16", .ip_range = "10.2.0.0/24"};
	struct nb_network_rec rec;
	char buf[NB_CIDR_STRLEN];

	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": ip-range 10.2.0.0/24 is not inside subnet 10.1.0.0/16");
	spec.ip_range = "10.0.0.0/8";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	spec.ip_range = "10.1.5.0/24";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_string_equal(nb_fmt_prefix(&rec.range, buf), "10.1.5.0/24");
	assert_string_equal(nb_fmt_prefix(&rec.subnet, buf), "10.1.0.0/16");
	assert_int_equal(rec.gateway, nb_ipam_default_gateway(&rec.subnet, &rec.range));
	assert_true(nb_prefix_contains(&rec.subnet, rec.gateway));
	nb_network_rec_clear(&rec);
	spec.subnet = NULL;
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("--ip-range needs --subnet");
}

static void test_create_mtu(void **state)
{
	const char *opts[] = {"com.docker.network.driver.mtu=1400"};
	struct nb_net_spec spec = {.name = "n", .subnet = "10.1.0.0/16", .mtu = "67"};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": invalid MTU \"67\": must be a number between 68 and 65535");
	spec.mtu = "65536";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	spec.mtu = "9000";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_int_equal(rec.mtu, 9000);
	assert_string_equal(rec.options, "{\"com.docker.network.driver.mtu\":\"9000\"}");
	nb_network_rec_clear(&rec);

	/* the -o form, and --mtu wins over it */
	spec.opts = opts;
	spec.nopts = 1;
	spec.mtu = NULL;
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_int_equal(rec.mtu, 1400);
	nb_network_rec_clear(&rec);
	spec.mtu = "1280";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_int_equal(rec.mtu, 1280);
	assert_string_equal(rec.options, "{\"com.docker.network.driver.mtu\":\"1280\"}");
	nb_network_rec_clear(&rec);
}

static void test_create_options(void **state)
{
	const char *opts[] = {
	    "com.docker.network.bridge.enable_icc=false",
	    "com.docker.network.bridge.enable_ip_masquerade=false",
	    "com.docker.network.bridge.host_binding_ipv4=127.0.0.1",
	};
	const char *labels[] = {"team=blue", "tier"};
	struct nb_net_spec spec = {.name = "n",
				   .subnet = "10.1.0.0/16",
				   .internal = true,
				   .opts = opts,
				   .nopts = 3,
				   .labels = labels,
				   .nlabels = 2};
	struct nb_network_rec rec;

	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_false(rec.icc);
	assert_false(rec.masquerade);
	assert_true(rec.internal);
	assert_int_equal(rec.host_binding, ip("127.0.0.1"));
	assert_string_equal(rec.options,
			    "{\"com.docker.network.bridge.enable_icc\":\"false\","
			    "\"com.docker.network.bridge.enable_ip_masquerade\":\"false\","
			    "\"com.docker.network.bridge.host_binding_ipv4\":\"127.0.0.1\"}");
	assert_string_equal(rec.labels, "{\"team\":\"blue\",\"tier\":\"\"}");
	nb_network_rec_clear(&rec);
}

/* Docker's gateway_mode_ipv4: routed means no masquerade, whatever else was said */
static void test_create_routed(void **state)
{
	const char *opts[] = {
	    "com.docker.network.bridge.enable_ip_masquerade=true",
	    "com.docker.network.bridge.gateway_mode_ipv4=routed",
	};
	struct nb_net_spec spec = {.name = "n", .subnet = "10.1.0.0/16", .opts = opts, .nopts = 2};
	struct nb_network_rec rec;

	(void)state;
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_false(rec.masquerade);
	assert_non_null(strstr(rec.options, "\"com.docker.network.bridge.gateway_mode_ipv4\":"
					    "\"routed\""));
	nb_network_rec_clear(&rec);
	opts[1] = "com.docker.network.bridge.gateway_mode_ipv4=nat";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_true(rec.masquerade);
	nb_network_rec_clear(&rec);
}

static void test_create_bad_options(void **state)
{
	const char *opt[1];
	struct nb_net_spec spec = {.name = "n", .subnet = "10.1.0.0/16", .opts = opt, .nopts = 1};
	struct nb_network_rec rec;

	opt[0] = "com.docker.network.bridge.enable_icc=yes";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": option com.docker.network.bridge.enable_icc: invalid value "
		      "\"yes\": must be \"true\" or \"false\"");
	opt[0] = "com.docker.network.bridge.bogus=br-x";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": unknown option \"com.docker.network.bridge.bogus\"");
	/* Docker's bridge name is kept (shown in inspect), checked as an interface name */
	opt[0] = "com.docker.network.bridge.name=br-name-too-long";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("option com.docker.network.bridge.name: invalid interface name "
		      "\"br-name-too-long\"");
	opt[0] = "com.docker.network.bridge.name=br-x";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), 0);
	assert_string_equal(rec.options, "{\"com.docker.network.bridge.name\":\"br-x\"}");
	nb_network_rec_clear(&rec);

	/* Docker's --aux-address: inside the subnet, not reserved, not twice; kept sorted */
	{
		const char *aux[2] = {"router=10.1.0.9", "dns=10.1.0.8"};
		struct nb_net_spec as = {.name = "n", .subnet = "10.1.0.0/16", .aux = aux,
					 .naux = 2, .attachable = true};

		assert_int_equal(resolve(&as, NULL, 0, &rec), 0);
		assert_true(rec.attachable);
		assert_string_equal(rec.aux_addresses,
				    "{\"dns\":\"10.1.0.8\",\"router\":\"10.1.0.9\"}");
		nb_network_rec_clear(&rec);
		aux[1] = "again=10.1.0.9";
		assert_int_equal(resolve(&as, NULL, 0, &rec), -EINVAL);
		assert_logged("network \"n\": auxiliary address 10.1.0.9 is given twice (router "
			      "and again)");
		aux[1] = "gw=10.1.0.1";
		assert_int_equal(resolve(&as, NULL, 0, &rec), -EINVAL);
		assert_logged("network \"n\": auxiliary address 10.1.0.1 is the gateway address");
		aux[1] = "far=10.2.0.1";
		assert_int_equal(resolve(&as, NULL, 0, &rec), -EINVAL);
		assert_logged("network \"n\": auxiliary address 10.2.0.1 is outside subnet "
			      "10.1.0.0/16");
		aux[1] = "noip";
		assert_int_equal(resolve(&as, NULL, 0, &rec), -EINVAL);
		assert_logged("network \"n\": invalid --aux-address \"noip\": expected NAME=IPv4");
	}
	opt[0] = "com.docker.network.bridge.enable_icc";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("expected KEY=VALUE");
	opt[0] = "com.docker.network.bridge.host_binding_ipv4=localhost";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("invalid IPv4 address \"localhost\"");
	opt[0] = "com.docker.network.driver.mtu=big";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("invalid MTU \"big\"");
	opt[0] = "com.docker.network.bridge.gateway_mode_ipv4=open";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": option com.docker.network.bridge.gateway_mode_ipv4: invalid "
		      "value \"open\": must be \"nat\" or \"routed\"");

	spec.nopts = 0;
	spec.labels = opt;
	spec.nlabels = 1;
	opt[0] = "=v";
	assert_int_equal(resolve(&spec, NULL, 0, &rec), -EINVAL);
	assert_logged("network \"n\": invalid label \"=v\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ulong),
	    cmocka_unit_test(test_parse_bool),
	    cmocka_unit_test(test_kv_put),
	    cmocka_unit_test(test_create_defaults),
	    cmocka_unit_test(test_create_pick_subnet),
	    cmocka_unit_test(test_create_overlap),
	    cmocka_unit_test(test_create_ipv6),
	    cmocka_unit_test(test_create_name),
	    cmocka_unit_test(test_create_driver),
	    cmocka_unit_test(test_create_bad_cidr),
	    cmocka_unit_test(test_create_gateway),
	    cmocka_unit_test(test_create_ip_range),
	    cmocka_unit_test(test_create_mtu),
	    cmocka_unit_test(test_create_options),
	    cmocka_unit_test(test_create_bad_options),
	    cmocka_unit_test(test_create_routed),
	};

	return cmocka_run_group_tests(tests, log_setup, log_teardown);
}
