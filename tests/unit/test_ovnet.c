// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The pure parts of overlay networks in etcd (ovnet.h): a network's record
 * and its round trip, endpoint records and keys (the key's address is the
 * truth), and the address blocks a host leases.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipam.h"
#include "ovnet.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_network_round_trip(void **s)
{
	struct nb_network_rec n = {0}, back;
	char *json;

	(void)s;
	snprintf(n.id, sizeof(n.id), ID64);
	snprintf(n.name, sizeof(n.name), "ov");
	snprintf(n.driver, sizeof(n.driver), NB_DRIVER_OVERLAY);
	assert_int_equal(nb_parse_prefix("10.50.0.0/16", true, &n.subnet), 0);
	assert_int_equal(nb_parse_prefix("10.50.4.0/22", true, &n.range), 0);
	assert_int_equal(nb_parse_ipv4("10.50.0.1", &n.gateway), 0);
	n.vni = 4097;
	n.created = 1796400000123456789LL;
	n.icc = true;
	n.masquerade = false;
	n.internal = true;
	n.mtu = 9000;
	n.options = strdup("{\"com.docker.network.bridge.enable_ip_masquerade\":\"false\"}");
	n.labels = strdup("{\"team\":\"ä\"}");
	json = nb_ovnet_json(&n);
	assert_non_null(json);
	assert_int_equal(nb_ovnet_parse(json, strlen(json), &back), 0);
	assert_string_equal(back.id, ID64);
	assert_string_equal(back.name, "ov");
	assert_string_equal(back.driver, "overlay");
	assert_int_equal(back.subnet.addr, n.subnet.addr);
	assert_int_equal(back.subnet.len, 16);
	assert_int_equal(back.range.addr, n.range.addr);
	assert_int_equal(back.range.len, 22);
	assert_int_equal(back.gateway, n.gateway);
	assert_int_equal(back.vni, 4097);
	assert_int_equal(back.created, n.created);
	assert_true(back.icc);
	assert_false(back.masquerade);
	assert_true(back.internal);
	assert_int_equal(back.mtu, 9000);
	assert_int_equal(back.net_id, 0); /* each host numbers its networks */
	assert_string_equal(back.labels, "{\"team\":\"ä\"}");
	assert_string_equal(back.aux_addresses, "{}");
	nb_network_rec_clear(&back);
	free(json);
	nb_network_rec_clear(&n);
}

static void test_network_refused(void **s)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"id\":\"short\",\"name\":\"ov\",\"subnet\":\"10.0.0.0/8\",\"range\":\"10.0.0.0/8\","
	    "\"gateway\":\"10.0.0.1\",\"host_binding\":\"0.0.0.0\",\"vni\":5}",
	    /* no VNI: not an overlay network */
	    "{\"id\":\"" ID64 "\",\"name\":\"ov\",\"subnet\":\"10.0.0.0/8\",\"range\":"
	    "\"10.0.0.0/8\",\"gateway\":\"10.0.0.1\",\"host_binding\":\"0.0.0.0\"}",
	    /* a VNI beyond 24 bits */
	    "{\"id\":\"" ID64 "\",\"name\":\"ov\",\"subnet\":\"10.0.0.0/8\",\"range\":"
	    "\"10.0.0.0/"
	    "8\",\"gateway\":\"10.0.0.1\",\"host_binding\":\"0.0.0.0\",\"vni\":16777216}",
	    /* host bits in the subnet */
	    "{\"id\":\"" ID64 "\",\"name\":\"ov\",\"subnet\":\"10.0.0.1/8\",\"range\":"
	    "\"10.0.0.0/8\",\"gateway\":\"10.0.0.1\",\"host_binding\":\"0.0.0.0\",\"vni\":5}",
	};
	struct nb_network_rec n;
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nb_ovnet_parse(bad[i], strlen(bad[i]), &n), -EINVAL);
}

static void test_endpoint_records(void **s)
{
	struct nb_ovep ep = {0}, back;
	char key[160], *json;

	(void)s;
	snprintf(ep.id, sizeof(ep.id), ID64);
	assert_int_equal(nb_parse_ipv4("10.50.0.66", &ep.ip), 0);
	nb_mac_from_ipv4(ep.ip, ep.mac);
	snprintf(ep.host, sizeof(ep.host), "00112233445566778899aabbccddeeff");
	snprintf(ep.underlay, sizeof(ep.underlay), "10.98.2.2");
	snprintf(ep.name, sizeof(ep.name), "web1");
	snprintf(ep.sandbox, sizeof(ep.sandbox), ID64);
	nb_ovep_key("ov", ep.ip, key, sizeof(key));
	assert_string_equal(key, "/netbpf/v1/endpoints/ov/10.50.0.66");
	json = nb_ovep_json(&ep);
	assert_non_null(json);
	assert_int_equal(nb_ovep_parse(key, json, strlen(json), &back), 0);
	assert_string_equal(back.net, "ov");
	assert_int_equal(back.ip, ep.ip);
	assert_memory_equal(back.mac, ep.mac, 6);
	assert_string_equal(back.host, ep.host);
	assert_string_equal(back.underlay, "10.98.2.2");
	assert_string_equal(back.name, "web1");
	/* a value whose address is not the key's is no record */
	assert_int_equal(
	    nb_ovep_parse("/netbpf/v1/endpoints/ov/10.50.0.67", json, strlen(json), &back),
	    -EINVAL);
	/* keys that are not endpoints' */
	assert_int_equal(nb_ovep_parse("/netbpf/v1/endpoints/ov", json, strlen(json), &back),
			 -EINVAL);
	assert_int_equal(nb_ovep_parse("/netbpf/v1/hosts/ov/10.50.0.66", json, strlen(json), &back),
			 -EINVAL);
	assert_int_equal(nb_ovep_parse(key, "{\"id\":\"x\"}", 10, &back), -EINVAL);
	free(json);
}

static void block_case(const char *subnet, const char *ip, const char *want_key)
{
	struct nb_prefix sub, b;
	char key[160];
	__be32 a;

	assert_int_equal(nb_parse_prefix(subnet, true, &sub), 0);
	assert_int_equal(nb_parse_ipv4(ip, &a), 0);
	nb_ovblock_of(&sub, a, &b);
	nb_ovblock_key("ov", &b, key, sizeof(key));
	assert_string_equal(key, want_key);
}

static void test_blocks(void **s)
{
	(void)s;
	block_case("10.50.0.0/16", "10.50.0.2", "/netbpf/v1/blocks/ov/10.50.0.0/26");
	block_case("10.50.0.0/16", "10.50.0.64", "/netbpf/v1/blocks/ov/10.50.0.64/26");
	block_case("10.50.0.0/16", "10.50.3.255", "/netbpf/v1/blocks/ov/10.50.3.192/26");
	/* a subnet smaller than a block is one block */
	block_case("10.52.0.0/28", "10.52.0.9", "/netbpf/v1/blocks/ov/10.52.0.0/28");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_network_round_trip),
	    cmocka_unit_test(test_network_refused),
	    cmocka_unit_test(test_endpoint_records),
	    cmocka_unit_test(test_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
