// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netbpfd's protocol layer (user/netbpfd/proto.c) against a fake backend:
 * Docker's requests as dockerd 20.10 sends them, parsed into what the
 * backend gets, and the answers rendered as libnetwork reads them: 404 for
 * a method netbpfd does not implement, {"Err"} for a failure, only the
 * fields Docker left empty in CreateEndpoint, a Gateway or
 * DisableGatewayService in Join, port maps with ranges, -P and HostIP.
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
#include <netinet/in.h>

#include <cmocka.h>
#include <jansson.h>

#include "proto.h"

static __be32 ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* ---- the fake backend: records what it was given, answers what it is told ---- */

static struct fake {
	char method[64];
	char opts[8][128];
	size_t nopts;
	char pool[20], gateway[20];
	char pool6[NB_CIDR6_STRLEN], gateway6[NB_IPV6_STRLEN];
	bool internal, ipv6, pool_v6;
	struct nbd_endpoint ep;
	struct nbd_portmap pm[8];
	size_t npm;
	char sandbox_key[128];
	bool addr_gateway;
	/* what to answer */
	int fail; /* -errno: the call fails with msg */
	const char *msg;
	__be32 join_gw;
	struct in6_addr join_gw6;
	bool fill_ip, fill_ip6;
} F;

static int answer(const char *method, struct nbd_err *e)
{
	snprintf(F.method, sizeof(F.method), "%s", method);
	if (F.fail)
		return nbd_errorf(e, F.fail, "%s", F.msg);
	return 0;
}

static int f_net_create(void *ctx, const struct nbd_network *n, struct nbd_err *e)
{
	size_t i;

	for (i = 0; i < n->nopts && i < 8; i++)
		snprintf(F.opts[i], sizeof(F.opts[i]), "%s", n->opts[i]);
	F.nopts = n->nopts;
	snprintf(F.pool, sizeof(F.pool), "%s", n->pool);
	snprintf(F.gateway, sizeof(F.gateway), "%s", n->gateway);
	F.internal = n->internal;
	F.ipv6 = n->ipv6;
	snprintf(F.pool6, sizeof(F.pool6), "%s", n->pool6);
	snprintf(F.gateway6, sizeof(F.gateway6), "%s", n->gateway6);
	return answer("CreateNetwork", e);
}

static int f_net_delete(void *ctx, const char *nid, struct nbd_err *e)
{
	return answer("DeleteNetwork", e);
}

static int f_ep_create(void *ctx, struct nbd_endpoint *ep, struct nbd_err *e)
{
	if (F.fill_ip && !ep->ip) {
		ep->ip = ip4("10.9.0.7");
		ep->prefix_len = 24;
		ep->filled_ip = true;
	}
	if (F.fill_ip6 && nb_ipv6_is_zero(&ep->ip6)) {
		nb_parse_ipv6("fd00:9::7", &ep->ip6);
		ep->prefix6_len = 64;
		ep->filled_ip6 = true;
	}
	if (!ep->has_mac) {
		memcpy(ep->mac, "\x02\x42\x0a\x09\x00\x07", 6);
		ep->filled_mac = true;
	}
	F.ep = *ep;
	return answer("CreateEndpoint", e);
}

static int f_ep_delete(void *ctx, const char *nid, const char *eid, struct nbd_err *e)
{
	return answer("DeleteEndpoint", e);
}

static int f_ep_info(void *ctx, const char *nid, const char *eid, json_t **v, struct nbd_err *e)
{
	*v = json_pack("{s:s}", "k", "v");
	return answer("EndpointOperInfo", e);
}

static int f_join(void *ctx, const char *nid, const char *eid, const char *key,
		  struct nbd_join *out, struct nbd_err *e)
{
	snprintf(F.sandbox_key, sizeof(F.sandbox_key), "%s", key);
	snprintf(out->src_name, sizeof(out->src_name), "nbc0123456789a");
	out->gateway = F.join_gw;
	out->gateway6 = F.join_gw6;
	return answer("Join", e);
}

static int f_leave(void *ctx, const char *nid, const char *eid, struct nbd_err *e)
{
	return answer("Leave", e);
}

static int f_ext_program(void *ctx, const char *nid, const char *eid, const struct nbd_portmap *pm,
			 size_t n, struct nbd_err *e)
{
	F.npm = n;
	memcpy(F.pm, pm, (n < 8 ? n : 8) * sizeof(*pm));
	return answer("ProgramExternalConnectivity", e);
}

static int f_ext_revoke(void *ctx, const char *nid, const char *eid, struct nbd_err *e)
{
	return answer("RevokeExternalConnectivity", e);
}

static int f_pool_request(void *ctx, const char *pool, const char *sub, bool v6,
			  char id[NBD_POOL_ID_LEN], char pool_out[NB_CIDR6_STRLEN],
			  struct nbd_err *e)
{
	F.pool_v6 = v6;
	snprintf(pool_out, NB_CIDR6_STRLEN, "%s", *pool ? pool : "172.18.0.0/16");
	snprintf(id, NBD_POOL_ID_LEN, "%s%s", v6 ? "netbpf6/" : "netbpf/", pool_out);
	return answer("RequestPool", e);
}

static int f_pool_release(void *ctx, const char *id, struct nbd_err *e)
{
	return answer("ReleasePool", e);
}

static int f_addr_request(void *ctx, const char *pool_id, const char *addr, bool gateway,
			  char out[NB_CIDR6_STRLEN], struct nbd_err *e)
{
	F.addr_gateway = gateway;
	snprintf(out, NB_CIDR6_STRLEN, "%s", gateway ? "172.18.0.1/16" : "172.18.0.2/16");
	return answer("RequestAddress", e);
}

static int f_addr_release(void *ctx, const char *pool_id, const char *addr, struct nbd_err *e)
{
	return answer("ReleaseAddress", e);
}

static const struct nbd_ops ops = {
    .network_create = f_net_create,
    .network_delete = f_net_delete,
    .endpoint_create = f_ep_create,
    .endpoint_delete = f_ep_delete,
    .endpoint_info = f_ep_info,
    .join = f_join,
    .leave = f_leave,
    .ext_program = f_ext_program,
    .ext_revoke = f_ext_revoke,
    .pool_request = f_pool_request,
    .pool_release = f_pool_release,
    .address_request = f_addr_request,
    .address_release = f_addr_release,
};

static int reset(void **state)
{
	memset(&F, 0, sizeof(F));
	return 0;
}

/* One call; *resp is the parsed answer (json_decref it) */
static int call(const char *method, const char *body, json_t **resp)
{
	json_error_t jerr;
	char *out = NULL;
	int status;

	status = nbd_handle(&ops, method, body, strlen(body), &out);
	assert_non_null(out);
	*resp = json_loads(out, 0, &jerr);
	if (!*resp)
		fail_msg("answer is not JSON: %s (%s)", out, jerr.text);
	free(out);
	return status;
}

static const char *str(json_t *o, const char *path1, const char *path2)
{
	json_t *v = json_object_get(o, path1);

	if (path2)
		v = json_object_get(v, path2);
	return json_string_value(v);
}

#define NID "9fadc2e8f250ef141e68fc09c45a4fdec587d48a371e7d66563af813395ac58b"
#define EID "33f534dfa21bd5fad3d4d1ea1a7c74721a5420e62200ab23f01f49c81207ac66"

/* ---- the tests ------------------------------------------------------------------ */

static void test_unknown_method_is_404(void **state)
{
	json_t *r;

	assert_int_equal(call("/NetworkDriver.AllocateNetwork", "{}", &r), 404);
	json_decref(r);
	assert_int_equal(call("/VolumeDriver.Create", "{}", &r), 404);
	json_decref(r);
	assert_int_equal(call("/", "", &r), 404);
	json_decref(r);
	assert_string_equal(F.method, ""); /* the backend was never called */
}

static void test_activate_and_capabilities(void **state)
{
	json_t *r;

	assert_int_equal(call("/Plugin.Activate", "", &r), 200);
	assert_int_equal(json_array_size(json_object_get(r, "Implements")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "Implements"), 0)),
			    "NetworkDriver");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "Implements"), 1)),
			    "IpamDriver");
	json_decref(r);
	assert_int_equal(call("/NetworkDriver.GetCapabilities", "{}", &r), 200);
	assert_string_equal(str(r, "Scope", NULL), "local");
	assert_string_equal(str(r, "ConnectivityScope", NULL), "local");
	json_decref(r);
	assert_int_equal(call("/IpamDriver.GetDefaultAddressSpaces", "{}", &r), 200);
	assert_non_null(str(r, "LocalDefaultAddressSpace", NULL));
	json_decref(r);
}

static void test_create_network_options(void **state)
{
	json_t *r;

	assert_int_equal(
	    call("/NetworkDriver.CreateNetwork",
		 "{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.enable_ipv6\":false,"
		 "\"com.docker.network.internal\":true,\"com.docker.network.generic\":{"
		 "\"com.docker.network.driver.mtu\":\"1400\","
		 "\"com.docker.network.bridge.enable_icc\":\"false\"}},"
		 "\"IPv4Data\":[{\"AddressSpace\":\"LocalDefault\",\"Gateway\":\"10.55.0.254/24\","
		 "\"Pool\":\"10.55.0.0/24\"}],\"IPv6Data\":[]}",
		 &r),
	    200);
	assert_null(json_object_get(r, "Err"));
	json_decref(r);
	assert_string_equal(F.method, "CreateNetwork");
	assert_string_equal(F.pool, "10.55.0.0/24");
	assert_string_equal(F.gateway, "10.55.0.254"); /* without Docker's /24 */
	assert_true(F.internal);
	assert_false(F.ipv6);
	/* -o KEY=VALUE as given, in key order */
	assert_int_equal(F.nopts, 2);
	assert_string_equal(F.opts[0], "com.docker.network.bridge.enable_icc=false");
	assert_string_equal(F.opts[1], "com.docker.network.driver.mtu=1400");
}

static void test_create_network_refusals(void **state)
{
	static const struct {
		const char *body, *why;
	} cases[] = {
	    {"{\"Options\":{}}", "NetworkID is missing"},
	    {"{\"NetworkID\":\"" NID "\",\"IPv4Data\":[{\"Pool\":\"10.1.0.0/33\"}]}",
	     "invalid IPv4 pool"},
	    {"{\"NetworkID\":\"" NID
	     "\",\"IPv4Data\":[{\"Pool\":\"10.1.0.0/16\"},{\"Pool\":\"10.2.0."
	     "0/16\"}]}",
	     "one IPv4 subnet"},
	    {"{\"NetworkID\":\"" NID "\",\"Options\":{\"com.docker.network.generic\":{\"k\":1}}}",
	     "must be a string"},
	    {"{\"NetworkID\": ", "invalid JSON"},
	};
	size_t i;
	json_t *r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(call("/NetworkDriver.CreateNetwork", cases[i].body, &r), 200);
		if (!str(r, "Err", NULL) || !strstr(str(r, "Err", NULL), cases[i].why))
			fail_msg("case %zu: Err %s, want \"%s\"", i, str(r, "Err", NULL),
				 cases[i].why);
		json_decref(r);
	}
	assert_string_equal(F.method, ""); /* refused before the backend */
	/* IPv6 reaches the backend: its pool, and its gateway without the prefix length */
	assert_int_equal(call("/NetworkDriver.CreateNetwork",
			      "{\"NetworkID\":\"" NID "\",\"IPv6Data\":[{\"Pool\":\"fd00::/64\","
			      "\"Gateway\":\"fd00::1/64\"}]}",
			      &r),
			 200);
	assert_null(str(r, "Err", NULL));
	assert_true(F.ipv6);
	assert_string_equal(F.pool6, "fd00::/64");
	assert_string_equal(F.gateway6, "fd00::1");
	json_decref(r);
	/* two v6 subnets, a bad v6 pool: refused before the backend */
	F.method[0] = '\0';
	assert_int_equal(call("/NetworkDriver.CreateNetwork",
			      "{\"NetworkID\":\"" NID "\",\"IPv6Data\":[{\"Pool\":\"fd00::/64\"},"
			      "{\"Pool\":\"fd01::/64\"}]}",
			      &r),
			 200);
	assert_non_null(strstr(str(r, "Err", NULL), "one IPv6 subnet"));
	json_decref(r);
	assert_int_equal(
	    call("/NetworkDriver.CreateNetwork",
		 "{\"NetworkID\":\"" NID "\",\"IPv6Data\":[{\"Pool\":\"fd00::5/64\"}]}", &r),
	    200);
	assert_non_null(strstr(str(r, "Err", NULL), "invalid IPv6 pool"));
	json_decref(r);
	assert_string_equal(F.method, "");
}

static void test_backend_error_is_err(void **state)
{
	json_t *r;

	F.fail = -EEXIST;
	F.msg = "network \"x\": subnet 10.1.0.0/24 overlaps network \"web\" (10.1.0.0/16)";
	assert_int_equal(call("/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NID "\"}", &r),
			 200);
	assert_string_equal(str(r, "Err", NULL), F.msg);
	assert_int_equal(json_object_size(r), 1);
	json_decref(r);
}

static void test_create_endpoint_fills_only_empty(void **state)
{
	json_t *r;

	/* Docker's IPAM gave the address: only the MAC comes back */
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			      "\"Interface\":{\"Address\":\"10.9.0.2/24\",\"AddressIPv6\":\"\","
			      "\"MacAddress\":\"\"},\"Options\":{}}",
			      &r),
			 200);
	assert_int_equal(F.ep.ip, ip4("10.9.0.2"));
	assert_int_equal(F.ep.prefix_len, 24);
	assert_false(F.ep.has_mac);
	assert_null(json_object_get(json_object_get(r, "Interface"), "Address"));
	assert_string_equal(str(r, "Interface", "MacAddress"), "02:42:0a:09:00:07");
	json_decref(r);

	/* --mac-address given too: nothing to fill, no Interface at all */
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			      "\"Interface\":{\"Address\":\"10.9.0.3/24\","
			      "\"MacAddress\":\"02:aa:bb:cc:dd:ee\"}}",
			      &r),
			 200);
	assert_true(F.ep.has_mac);
	assert_memory_equal(F.ep.mac, "\x02\xaa\xbb\xcc\xdd\xee", 6);
	assert_null(json_object_get(r, "Interface"));
	json_decref(r);

	/* no address: the backend picks it and it is answered with its prefix */
	F.fill_ip = true;
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			      "\"Interface\":{}}",
			      &r),
			 200);
	assert_string_equal(str(r, "Interface", "Address"), "10.9.0.7/24");
	json_decref(r);

	/* Docker's IPv6 address reaches the backend and is not echoed */
	F.fill_ip6 = true;
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			      "\"Interface\":{\"Address\":\"10.9.0.2/24\","
			      "\"AddressIPv6\":\"fd00::2/64\"}}",
			      &r),
			 200);
	assert_null(str(r, "Err", NULL));
	assert_int_equal(F.ep.prefix6_len, 64);
	assert_null(json_object_get(json_object_get(r, "Interface"), "AddressIPv6"));
	json_decref(r);
	/* none given: the backend's is answered */
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			      "\"Interface\":{\"Address\":\"10.9.0.2/24\"}}",
			      &r),
			 200);
	assert_string_equal(str(r, "Interface", "AddressIPv6"), "fd00:9::7/64");
	json_decref(r);
	F.fill_ip6 = false;
	/* what netbpf cannot take is refused by name */
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			      "\"Interface\":{\"Address\":\"10.9.0.2/24\","
			      "\"AddressIPv6\":\"fd00::zz/64\"}}",
			      &r),
			 200);
	assert_non_null(strstr(str(r, "Err", NULL), "invalid IPv6 address"));
	json_decref(r);
	assert_int_equal(call("/NetworkDriver.CreateEndpoint",
			      "{\"NetworkID\":\"" NID "\",\"Interface\":{}}", &r),
			 200);
	assert_non_null(strstr(str(r, "Err", NULL), "EndpointID is missing"));
	json_decref(r);
}

static void test_join_gateway_or_none(void **state)
{
	json_t *r;
	const char *body = "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\","
			   "\"SandboxKey\":\"/var/run/docker/netns/b306ae0d7150\",\"Options\":{}}";

	F.join_gw = ip4("10.9.0.1");
	assert_int_equal(call("/NetworkDriver.Join", body, &r), 200);
	assert_string_equal(F.sandbox_key, "/var/run/docker/netns/b306ae0d7150");
	assert_string_equal(str(r, "InterfaceName", "SrcName"), "nbc0123456789a");
	assert_string_equal(str(r, "InterfaceName", "DstPrefix"), "eth");
	assert_string_equal(str(r, "Gateway", NULL), "10.9.0.1");
	assert_null(json_object_get(r, "DisableGatewayService"));
	assert_null(json_object_get(r, "GatewayIPv6")); /* a v4-only endpoint */
	json_decref(r);

	/* a dual-stack endpoint: Docker adds the v6 default route via GatewayIPv6 */
	nb_parse_ipv6("fd00:9::1", &F.join_gw6);
	assert_int_equal(call("/NetworkDriver.Join", body, &r), 200);
	assert_string_equal(str(r, "GatewayIPv6", NULL), "fd00:9::1");
	json_decref(r);
	memset(&F.join_gw6, 0, sizeof(F.join_gw6));

	/* an internal network: no gateway, and Docker must not bring docker_gwbridge */
	F.join_gw = 0;
	assert_int_equal(call("/NetworkDriver.Join", body, &r), 200);
	assert_null(json_object_get(r, "Gateway"));
	assert_true(json_is_true(json_object_get(r, "DisableGatewayService")));
	json_decref(r);

	assert_int_equal(call("/NetworkDriver.Join",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\"}", &r),
			 200);
	assert_non_null(strstr(str(r, "Err", NULL), "SandboxKey is missing"));
	json_decref(r);
}

static void test_portmap_parse(void **state)
{
	struct nbd_err e = {0};
	struct nbd_portmap *pm = NULL;
	json_t *o;
	size_t n;

	o = json_loads("{\"com.docker.network.portmap\":["
		       "{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,"
		       "\"HostPortEnd\":8080},"
		       "{\"Proto\":17,\"Port\":53,\"HostIP\":\"127.0.0.1\",\"HostPort\":9053},"
		       "{\"Proto\":6,\"Port\":81,\"HostPort\":9100,\"HostPortEnd\":9102},"
		       "{\"Proto\":6,\"Port\":82,\"HostPort\":0,\"HostPortEnd\":0},"
		       "{\"Proto\":6,\"Port\":83,\"HostIP\":\"::\",\"HostPort\":8083},"
		       "{\"Proto\":6,\"Port\":84,\"HostIP\":\"0.0.0.0\",\"HostPort\":8084},"
		       "{\"Proto\":6,\"Port\":85,\"HostIP\":\"fd00:1::1\",\"HostPort\":8085}]}",
		       0, NULL);
	assert_non_null(o);
	assert_int_equal(nbd_portmap_parse(o, &pm, &n, &e), 0);
	assert_int_equal(n, 7);
	assert_int_equal(pm[0].proto, IPPROTO_TCP);
	assert_int_equal(pm[0].port, 80);
	assert_int_equal(pm[0].host_ip, 0);
	assert_int_equal(pm[0].host_port, 8080);
	assert_int_equal(pm[0].host_port_end, 8080);
	assert_int_equal(pm[1].proto, IPPROTO_UDP);
	assert_int_equal(pm[1].host_ip, ip4("127.0.0.1"));
	assert_int_equal(pm[1].host_port_end, 9053); /* no end: the port itself */
	assert_int_equal(pm[2].host_port, 9100);
	assert_int_equal(pm[2].host_port_end, 9102);
	assert_int_equal(pm[3].host_port, 0); /* -P / -p 82: netbpf picks */
	/* the families as Docker's bridge reads HostIP: "" both, an address its own family */
	assert_int_equal(pm[0].family, NB_FAMILY_ANY);
	assert_int_equal(pm[1].family, NB_FAMILY_V4);
	assert_int_equal(pm[4].family, NB_FAMILY_V6);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&pm[4].host_ip6));
	assert_int_equal(pm[5].family, NB_FAMILY_V4);
	assert_int_equal(pm[5].host_ip, 0);
	assert_int_equal(pm[6].family, NB_FAMILY_V6);
	assert_int_equal(pm[6].host_ip6.s6_addr[1], 0x00);
	assert_int_equal(pm[6].host_ip6.s6_addr[3], 0x01);
	assert_int_equal(pm[6].host_ip6.s6_addr[15], 0x01);
	free(pm);
	json_decref(o);

	/* absent or null: no ports */
	o = json_loads("{\"com.docker.network.portmap\":null}", 0, NULL);
	assert_int_equal(nbd_portmap_parse(o, &pm, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_null(pm);
	json_decref(o);
}

static void test_portmap_refusals(void **state)
{
	static const char *const bad[] = {
	    "[{\"Proto\":132,\"Port\":80,\"HostPort\":80}]",   /* sctp */
	    "[{\"Port\":80,\"HostPort\":80}]",		       /* no protocol */
	    "[{\"Proto\":6,\"HostPort\":80}]",		       /* no container port */
	    "[{\"Proto\":6,\"Port\":70000,\"HostPort\":80}]",  /* out of range */
	    "[{\"Proto\":6,\"Port\":80,\"HostIP\":\"nope\"}]", /* not an address */
	    "{\"a\":1}",				       /* not a list */
	};
	struct nbd_portmap *pm = NULL;
	char text[256];
	size_t i, n;
	json_t *o;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nbd_err e = {0};

		snprintf(text, sizeof(text), "{\"com.docker.network.portmap\":%s}", bad[i]);
		o = json_loads(text, 0, NULL);
		assert_non_null(o);
		if (nbd_portmap_parse(o, &pm, &n, &e) != -EINVAL)
			fail_msg("case %zu (%s) accepted", i, bad[i]);
		assert_true(e.msg[0] != '\0');
		json_decref(o);
	}
}

static void test_portmap_spec(void **state)
{
	struct nbd_portmap m = {.proto = IPPROTO_TCP, .port = 80};
	char buf[64];

	assert_int_equal(nbd_portmap_spec(&m, 8080, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "8080:80/tcp");
	assert_int_equal(nbd_portmap_spec(&m, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "80/tcp");
	m.family = NB_FAMILY_V4;
	m.host_ip = ip4("127.0.0.1");
	m.proto = IPPROTO_UDP;
	assert_int_equal(nbd_portmap_spec(&m, 9053, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "127.0.0.1:9053:80/udp");
	assert_int_equal(nbd_portmap_spec(&m, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "127.0.0.1::80/udp");
	assert_int_equal(nbd_portmap_spec(&m, 9053, buf, 8), -ENAMETOOLONG);
	/* "0.0.0.0" stays: IPv4 alone, where "" binds both families */
	m.family = NB_FAMILY_V4;
	m.host_ip = 0;
	m.proto = IPPROTO_TCP;
	assert_int_equal(nbd_portmap_spec(&m, 8081, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.0.0.0:8081:80/tcp");
	/* IPv6 addresses in brackets, the portspec's syntax */
	m.family = NB_FAMILY_V6;
	assert_int_equal(inet_pton(AF_INET6, "::", &m.host_ip6), 1);
	assert_int_equal(nbd_portmap_spec(&m, 8080, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[::]:8080:80/tcp");
	assert_int_equal(nbd_portmap_spec(&m, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[::]:80/tcp");
	assert_int_equal(inet_pton(AF_INET6, "fd00:1::1", &m.host_ip6), 1);
	assert_int_equal(nbd_portmap_spec(&m, 8082, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[fd00:1::1]:8082:80/tcp");
}

static void test_program_external_connectivity(void **state)
{
	json_t *r;

	assert_int_equal(
	    call("/NetworkDriver.ProgramExternalConnectivity",
		 "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Options\":{"
		 "\"com.docker.network.endpoint.exposedports\":[{\"Proto\":6,\"Port\":80}],"
		 "\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,"
		 "\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080}]}}",
		 &r),
	    200);
	assert_int_equal(json_object_size(r), 0);
	assert_string_equal(F.method, "ProgramExternalConnectivity");
	assert_int_equal(F.npm, 1);
	assert_int_equal(F.pm[0].host_port, 8080);
	json_decref(r);
	/* a bad map never reaches the backend */
	memset(&F, 0, sizeof(F));
	assert_int_equal(call("/NetworkDriver.ProgramExternalConnectivity",
			      "{\"NetworkID\":\"" NID "\",\"EndpointID\":\"" EID "\",\"Options\":{"
			      "\"com.docker.network.portmap\":[{\"Proto\":132,\"Port\":80}]}}",
			      &r),
			 200);
	assert_non_null(strstr(str(r, "Err", NULL), "sctp"));
	assert_string_equal(F.method, "");
	json_decref(r);
}

static void test_ipam(void **state)
{
	json_t *r;

	assert_int_equal(call("/IpamDriver.RequestPool",
			      "{\"AddressSpace\":\"netbpf\",\"Pool\":\"\",\"SubPool\":\"\","
			      "\"Options\":{},\"V6\":false}",
			      &r),
			 200);
	assert_string_equal(str(r, "Pool", NULL), "172.18.0.0/16");
	assert_string_equal(str(r, "PoolID", NULL), "netbpf/172.18.0.0/16");
	json_decref(r);
	assert_false(F.pool_v6);
	assert_int_equal(
	    call("/IpamDriver.RequestPool", "{\"Pool\":\"fd00:5::/64\",\"V6\":true}", &r), 200);
	assert_true(F.pool_v6);
	assert_string_equal(str(r, "PoolID", NULL), "netbpf6/fd00:5::/64");
	json_decref(r);
	assert_int_equal(call("/IpamDriver.RequestAddress",
			      "{\"PoolID\":\"netbpf/172.18.0.0/16\",\"Address\":\"\",\"Options\":{"
			      "\"RequestAddressType\":\"com.docker.network.gateway\"}}",
			      &r),
			 200);
	assert_true(F.addr_gateway);
	assert_string_equal(str(r, "Address", NULL), "172.18.0.1/16");
	json_decref(r);
	assert_int_equal(call("/IpamDriver.RequestAddress",
			      "{\"PoolID\":\"netbpf/172.18.0.0/16\",\"Address\":\"\"}", &r),
			 200);
	assert_false(F.addr_gateway);
	json_decref(r);
}

static void test_cidr_addr(void **state)
{
	__be32 ip;
	int len;

	assert_int_equal(nbd_parse_cidr_addr("10.9.0.2/24", &ip, &len), 0);
	assert_int_equal(ip, ip4("10.9.0.2"));
	assert_int_equal(len, 24);
	assert_int_equal(nbd_parse_cidr_addr("10.9.0.2", &ip, &len), -EINVAL);
	assert_int_equal(nbd_parse_cidr_addr("10.9.0.2/33", &ip, &len), -EINVAL);
	assert_int_equal(nbd_parse_cidr_addr("10.9.0.2/", &ip, &len), -EINVAL);
	assert_int_equal(nbd_parse_cidr_addr("10.9.0/24", &ip, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_unknown_method_is_404, reset),
	    cmocka_unit_test_setup(test_activate_and_capabilities, reset),
	    cmocka_unit_test_setup(test_create_network_options, reset),
	    cmocka_unit_test_setup(test_create_network_refusals, reset),
	    cmocka_unit_test_setup(test_backend_error_is_err, reset),
	    cmocka_unit_test_setup(test_create_endpoint_fills_only_empty, reset),
	    cmocka_unit_test_setup(test_join_gateway_or_none, reset),
	    cmocka_unit_test_setup(test_portmap_parse, reset),
	    cmocka_unit_test_setup(test_portmap_refusals, reset),
	    cmocka_unit_test_setup(test_portmap_spec, reset),
	    cmocka_unit_test_setup(test_program_external_connectivity, reset),
	    cmocka_unit_test_setup(test_ipam, reset),
	    cmocka_unit_test_setup(test_cidr_addr, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
