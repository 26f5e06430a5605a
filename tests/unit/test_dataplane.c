// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * user/lib/dataplane.c and user/lib/realize.c against the real kernel: loading and
 * pinning the objects, tc attach/query/detach, a network's gateway port and
 * an endpoint made and unmade, rollback, and pruning stale map entries.
 *
 * The process first moves into a private network namespace and a private
 * mount namespace (unshare(CLONE_NEWNET | CLONE_NEWNS), "/" made private),
 * so its veths, routes and bpffs mounts vanish with it and nothing
 * propagates to the machine. The sandbox netns the endpoint tests need is a
 * named one (/run/netns/nbt-unit-dp-PID), deleted at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "ethtool.h"
#include "hooks.h"
#include "ipam.h"
#include "maps.h"
#include "netns.h"
#include "nl.h"
#include "output.h"
#include "realize.h"
#include "store.h"

static char g_tmp[] = "/tmp/nbt-unit-dp-XXXXXX";
static char g_pins[256], g_state[256], g_sbname[64], g_sbpath[NB_NETNS_PATHMAX];
static struct nb_instance g_inst;

static __be32 ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static __u32 prog_id(const char *name)
{
	__u32 id = 0;

	assert_int_equal(nb_dp_prog_id(&g_inst, name, &id), 0);
	assert_true(id > 0);
	return id;
}

static bool pinned(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", g_pins, rel);
	return stat(path, &st) == 0;
}

static void test_load_idempotent(void **state)
{
	struct nb_config cfg;
	__u32 key = 0, ep, gw;
	__u64 cookie;
	char path[512];
	int fd, self;

	(void)state;
	assert_int_equal(nb_dp_loaded(&g_inst), 0);
	assert_int_equal(nb_dp_load(&g_inst), 0);
	assert_int_equal(nb_dp_loaded(&g_inst), 1);
	assert_true(pinned("progs/" NB_PROG_ENDPOINT));
	assert_true(pinned("progs/" NB_PROG_GATEWAY));
	assert_true(pinned(NB_MAP_NAME(NB_MAP_PORTS)));
	assert_true(pinned(NB_MAP_NAME(NB_MAP_FDB)));
	ep = prog_id(NB_PROG_ENDPOINT);
	gw = prog_id(NB_PROG_GATEWAY);
	assert_int_not_equal(ep, gw);

	/* a second load keeps the very same programs */
	assert_int_equal(nb_dp_load(&g_inst), 0);
	assert_int_equal(prog_id(NB_PROG_ENDPOINT), ep);
	assert_int_equal(prog_id(NB_PROG_GATEWAY), gw);

	/* nb_config holds the cookie of the netns that loaded it */
	snprintf(path, sizeof(path), "%s/%s", g_pins, NB_MAP_NAME(NB_MAP_CONFIG));
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &cfg), 0);
	close(fd);
	self = nb_netns_open_self();
	assert_int_equal(nb_netns_cookie(self, &cookie), 0);
	close(self);
	assert_true(cfg.host_netns_cookie == cookie);
}

static void test_load_mounts_bpffs(void **state)
{
	struct nb_instance inst = g_inst;
	char dir[256], sub[300];
	struct statfs sf;

	(void)state;
	/* a pin dir on tmpfs gets a bpffs of its own */
	snprintf(dir, sizeof(dir), "%s/elsewhere", g_tmp);
	snprintf(sub, sizeof(sub), "%s/inst", dir);
	inst.pin_dir = sub;
	assert_int_equal(nb_dp_load(&inst), 0);
	assert_int_equal(statfs(sub, &sf), 0);
	assert_true((long)sf.f_type == BPF_FS_MAGIC);
	assert_int_equal(nb_dp_loaded(&inst), 1);
	assert_int_equal(nb_dp_unload(&inst), 0);
	assert_int_equal(nb_dp_loaded(&inst), 0);
	assert_int_equal(umount(sub), 0);
	rmdir(sub);
	rmdir(dir);
}

static void test_tc_attach_detach(void **state)
{
	struct nb_veth_opts o = {.name = "nbtT0", .peer_name = "nbtT1", .peer_netns_fd = -1};
	struct nb_nl *nl;
	__u32 id;
	int idx;

	(void)state;
	assert_int_equal(nb_nl_open(&nl), 0);
	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	idx = nb_nl_link_ifindex(nl, "nbtT0");
	assert_true(idx > 0);

	assert_int_equal(nb_dp_tc_query(idx, false, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(nb_dp_tc_detach(idx, false), -ENOENT);

	assert_int_equal(nb_dp_tc_ensure(&g_inst, idx, NB_PROG_ENDPOINT, false), 1);
	assert_int_equal(nb_dp_tc_query(idx, false, &id), 0);
	assert_int_equal(id, prog_id(NB_PROG_ENDPOINT));
	/* already there: left alone */
	assert_int_equal(nb_dp_tc_ensure(&g_inst, idx, NB_PROG_ENDPOINT, false), 0);
	/* another program replaces it in place */
	assert_int_equal(nb_dp_tc_attach(&g_inst, idx, NB_PROG_GATEWAY, false), 0);
	assert_int_equal(nb_dp_tc_query(idx, false, &id), 0);
	assert_int_equal(id, prog_id(NB_PROG_GATEWAY));
	assert_int_equal(nb_nl_tc_filter_count(nl, idx, false), 1);

	assert_int_equal(nb_dp_tc_attach(&g_inst, idx, NB_PROG_ENDPOINT, true), 0);
	assert_int_equal(nb_dp_tc_query(idx, true, &id), 0);
	assert_int_equal(id, prog_id(NB_PROG_ENDPOINT));

	/* the qdisc stays while a filter is left on it, goes with the last one */
	assert_int_equal(nb_dp_tc_detach(idx, false), 0);
	assert_int_equal(nb_dp_tc_query(idx, false, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(nb_nl_tc_filter_count(nl, idx, true), 1);
	assert_int_equal(nb_dp_tc_detach(idx, true), 0);
	assert_int_equal(nb_nl_tc_filter_count(nl, idx, true), 0);
	{
		/* no clsact left: creating it again succeeds instead of -EEXIST */
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = idx, .attach_point = BPF_TC_INGRESS);

		assert_int_equal(bpf_tc_hook_create(&hook), 0);
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		assert_int_equal(bpf_tc_hook_destroy(&hook), 0);
	}
	assert_int_equal(nb_dp_tc_attach(&g_inst, idx, "no-such-program", false), -ENOENT);

	assert_int_equal(nb_nl_link_del(nl, "nbtT0"), 0);
	nb_nl_close(nl);
}

static void network_rec(struct nb_network_rec *n, __u32 net_id, const char *subnet, const char *gw)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "net%u", net_id);
	snprintf(n->driver, sizeof(n->driver), "%s", NB_DRIVER_BRIDGE);
	n->net_id = net_id;
	assert_int_equal(nb_parse_prefix(subnet, true, &n->subnet), 0);
	n->range = n->subnet;
	n->gateway = ip4(gw);
	n->icc = true;
	n->masquerade = true;
	n->mtu = 1400;
}

static void test_network_realize(void **state)
{
	struct nb_network_rec net;
	struct nb_network val;
	struct nb_link_info gw, port;
	struct nb_world w;
	__u8 mac[6], want[6];
	__u32 key = 7, id;

	(void)state;
	network_rec(&net, 7, "10.7.0.0/24", "10.7.0.1");
	assert_int_equal(nb_world_open(&g_inst, &w), 0);
	assert_int_equal(nb_network_realize(&w, &net), 0);

	assert_int_equal(nb_nl_link_info(w.nl, "nbg7", &gw), 0);
	assert_int_equal(nb_nl_link_info(w.nl, "nbp7", &port), 0);
	assert_true(gw.up && port.up);
	assert_int_equal(gw.mtu, 1400);
	assert_int_equal(nb_nl_link_mac(w.nl, "nbg7", mac), 0);
	nb_mac_from_ipv4(net.gateway, want);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(nb_nl_addr_has(w.nl, "nbg7", net.gateway, 24), 1);
	assert_int_equal(nb_dp_tc_query(port.ifindex, false, &id), 0);
	assert_int_equal(id, prog_id(NB_PROG_GATEWAY));

	assert_int_equal(bpf_map_lookup_elem(w.maps.networks, &key, &val), 0);
	assert_true(val.subnet == net.subnet.addr);
	assert_int_equal(val.prefixlen, 24);
	assert_true(val.gateway == net.gateway);
	assert_memory_equal(val.gw_mac, want, 6);
	assert_int_equal(val.gw_ifindex, gw.ifindex);
	assert_int_equal(val.gwport_ifindex, port.ifindex);
	assert_int_equal(val.flags, NB_NET_F_ICC | NB_NET_F_MASQ);
	assert_int_equal(val.mtu, 1400);

	/* again: nothing is re-created */
	assert_int_equal(nb_network_realize(&w, &net), 0);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbg7"), gw.ifindex);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbp7"), port.ifindex);

	/* host and none networks have nothing in the kernel */
	snprintf(net.driver, sizeof(net.driver), "%s", NB_DRIVER_HOST);
	assert_int_equal(nb_network_realize(&w, &net), 0);
	snprintf(net.driver, sizeof(net.driver), "%s", NB_DRIVER_BRIDGE);

	assert_int_equal(nb_network_unrealize(&w, &net), 0);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbg7"), -ENODEV);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbp7"), -ENODEV);
	assert_int_equal(bpf_map_lookup_elem(w.maps.networks, &key, &val), -ENOENT);
	assert_int_equal(nb_network_unrealize(&w, &net), 0); /* gone already: fine */
	nb_world_close(&w);
}

static void endpoint_rec(struct nb_endpoint_rec *ep, const char *host, const char *ifname,
			 const char *ip)
{
	memset(ep, 0, sizeof(*ep));
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "%s", host);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	ep->ip = ip4(ip);
	nb_mac_from_ipv4(ep->ip, ep->mac);
}

static void test_endpoint_realize(void **state)
{
	struct nb_network_rec net;
	struct nb_sandbox_rec sb = {0};
	struct nb_endpoint_rec ep, ep2;
	struct nb_link_info host, inner;
	struct nb_port port;
	struct nb_world w;
	struct nb_nl *snl;
	char dev[NB_IFNAMSIZ];
	__u8 mac[6];
	__u64 cookie;
	char *msg = NULL;
	__u32 id;
	int fd, idx;

	(void)state;
	snprintf(sb.name, sizeof(sb.name), "%s", g_sbname);
	snprintf(sb.netns, sizeof(sb.netns), "%s", g_sbpath);
	fd = nb_netns_open(g_sbpath);
	assert_true(fd >= 0);
	assert_int_equal(nb_netns_cookie(fd, &cookie), 0);
	assert_int_equal(nb_nl_open_netns(fd, &snl), 0);

	network_rec(&net, 8, "10.8.0.0/24", "10.8.0.1");
	assert_int_equal(nb_world_open(&g_inst, &w), 0);
	assert_int_equal(nb_network_realize(&w, &net), 0);
	endpoint_rec(&ep, "nbetest0", "eth0", "10.8.0.2");
	assert_int_equal(nb_endpoint_realize(&w, &net, &sb, &ep, true), 0);

	/* host side: up, "endpoint" at its ingress, its port in the map */
	assert_int_equal(nb_nl_link_info(w.nl, "nbetest0", &host), 0);
	assert_true(host.up);
	assert_int_equal(host.mtu, 1400);
	assert_int_equal(nb_dp_tc_query(host.ifindex, false, &id), 0);
	assert_int_equal(id, prog_id(NB_PROG_ENDPOINT));
	idx = host.ifindex;
	assert_int_equal(bpf_map_lookup_elem(w.maps.ports, &idx, &port), 0);
	assert_int_equal(port.net_id, 8);
	assert_int_equal(port.kind, NB_PORT_ENDPOINT);
	assert_true(port.ip == ep.ip);
	assert_memory_equal(port.mac, ep.mac, 6);
	assert_true(port.netns_cookie == cookie);

	/* sandbox side: its MAC, address, up, loopback up, default route */
	assert_int_equal(nb_nl_link_info(snl, "eth0", &inner), 0);
	assert_true(inner.up);
	assert_int_equal(inner.peer_ifindex, host.ifindex);
	assert_int_equal(nb_nl_link_mac(snl, "eth0", mac), 0);
	assert_memory_equal(mac, ep.mac, 6);
	assert_int_equal(nb_nl_addr_has(snl, "eth0", ep.ip, 24), 1);
	assert_int_equal(nb_nl_link_info(snl, "lo", &inner), 0);
	assert_true(inner.up);
	assert_int_equal(nb_nl_route_default_dev(snl, dev), 0);
	assert_string_equal(dev, "eth0");

	/* again: the same devices, nothing re-created */
	assert_int_equal(nb_endpoint_realize(&w, &net, &sb, &ep, true), 0);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbetest0"), idx);

	/* a second endpoint whose sandbox name is taken: refused, nothing left behind */
	nb_error_clear();
	endpoint_rec(&ep2, "nbetest1", "eth0", "10.8.0.3");
	assert_int_equal(nb_endpoint_realize(&w, &net, &sb, &ep2, false), -EEXIST);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbetest1"), -ENODEV);

	/* a vanished sandbox netns is an error naming it, not a crash */
	snprintf(sb.netns, sizeof(sb.netns), "%s/no-such-netns", g_tmp);
	assert_int_equal(nb_endpoint_realize(&w, &net, &sb, &ep2, false), -ENOENT);
	snprintf(sb.netns, sizeof(sb.netns), "%s", g_sbpath);
	msg = strdup(nb_error_text());
	assert_non_null(msg);
	nb_error_clear();
	/* each message names the endpoint, the sandbox and the cause */
	assert_non_null(strstr(msg, "endpoint nbetest1 (eth0 10.8.0.3 in sandbox"));
	assert_non_null(strstr(msg, "File exists"));
	assert_non_null(strstr(msg, "no-such-netns): opening the sandbox's network namespace: "
				    "No such file or directory"));
	free(msg);

	assert_int_equal(nb_endpoint_unrealize(&w, &ep), 0);
	assert_int_equal(nb_nl_link_ifindex(w.nl, "nbetest0"), -ENODEV);
	assert_int_equal(nb_nl_link_ifindex(snl, "eth0"), -ENODEV);
	assert_int_equal(bpf_map_lookup_elem(w.maps.ports, &idx, &port), -ENOENT);
	assert_int_equal(nb_endpoint_unrealize(&w, &ep), 0);

	assert_int_equal(nb_network_unrealize(&w, &net), 0);
	nb_world_close(&w);
	nb_nl_close(snl);
	close(fd);
}

static void count_report(void *arg, const char *what)
{
	(void)what;
	++*(int *)arg;
}

static void test_prune(void **state)
{
	struct nb_network_rec net;
	struct nb_store *st;
	struct nb_world w;
	struct nb_network stale_net = {.prefixlen = 24, .gw_ifindex = 9998, .gwport_ifindex = 9999};
	struct nb_port stale_port = {.net_id = 9, .kind = NB_PORT_ENDPOINT};
	int reported = 0;
	__u32 key;

	(void)state;
	assert_int_equal(nb_store_open(g_state, true, &st), 0);
	network_rec(&net, 9, "10.9.0.0/24", "10.9.0.1");
	assert_int_equal(nb_store_network_add(st, &net), 0);
	assert_int_equal(net.net_id, 9);
	assert_int_equal(nb_world_open(&g_inst, &w), 0);
	assert_int_equal(nb_network_realize(&w, &net), 0);

	/* nothing stale yet */
	assert_int_equal(nb_world_prune(&w, st, count_report, &reported), 0);
	assert_int_equal(reported, 0);

	/* a network the store does not know, an endpoint port on no interface */
	stale_net.subnet = ip4("10.55.0.0");
	stale_net.gateway = ip4("10.55.0.1");
	/* with IPv6: its subnet and gateway address, the endpoint's address */
	stale_net.prefixlen6 = 64;
	memcpy(stale_net.subnet6, (const __u8[16]){0xfd, 0, 0, 0x55}, 16);
	memcpy(stale_net.gateway6, (const __u8[16]){0xfd, 0, 0, 0x55, [15] = 1}, 16);
	assert_int_equal(nb_maps_network_put(&w.maps, 55, &stale_net), 0);
	stale_port.ip = ip4("10.9.0.77");
	memcpy(stale_port.ip6, (const __u8[16]){0xfd, 0, 0, 0x09, [15] = 0x77}, 16);
	assert_int_equal(nb_maps_endpoint_put(&w.maps, 4242, &stale_port), 0);
	assert_int_not_equal(nb_map_count(w.maps.neigh6, sizeof(struct nb_neigh6_key), 100), 0);
	assert_int_not_equal(nb_map_count(w.maps.subnets6, sizeof(struct nb_lpm6_key), 100), 0);

	assert_true(nb_world_prune(&w, st, count_report, &reported) >= 2);
	assert_true(reported >= 2);
	/* nothing of them is left in the IPv6 maps either */
	assert_int_equal(nb_map_count(w.maps.neigh6, sizeof(struct nb_neigh6_key), 100), 0);
	assert_int_equal(nb_map_count(w.maps.subnets6, sizeof(struct nb_lpm6_key), 100), 0);
	key = 55;
	assert_int_equal(bpf_map_lookup_elem(w.maps.networks, &key, &stale_net), -ENOENT);
	key = 4242;
	assert_int_equal(bpf_map_lookup_elem(w.maps.ports, &key, &stale_port), -ENOENT);
	/* the live network survived */
	key = 9;
	assert_int_equal(bpf_map_lookup_elem(w.maps.networks, &key, &stale_net), 0);
	assert_int_equal(nb_world_prune(&w, st, NULL, NULL), 0);

	assert_int_equal(nb_network_unrealize(&w, &net), 0);
	nb_world_close(&w);
	nb_network_rec_clear(&net);
	nb_store_close(st);
}

static void test_unload(void **state)
{
	(void)state;
	assert_int_equal(nb_dp_unload(&g_inst), 0);
	assert_int_equal(nb_dp_loaded(&g_inst), 0);
	assert_false(pinned("progs"));
	assert_false(pinned(NB_MAP_NAME(NB_MAP_PORTS)));
	/* the pin dir is the bpffs mount point here: it stays, empty of netbpf */
	assert_int_equal(nb_dp_unload(&g_inst), 0);
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(g_tmp))
		return -1;
	snprintf(g_pins, sizeof(g_pins), "%s/pins", g_tmp);
	snprintf(g_state, sizeof(g_state), "%s/state", g_tmp);
	if (mkdir(g_pins, 0700) || mount("bpf", g_pins, "bpf", 0, "mode=0700"))
		return -1;
	g_inst.pin_dir = g_pins;
	g_inst.state_dir = g_state;
	snprintf(g_sbname, sizeof(g_sbname), "nbt-unit-dp-%d", (int)getpid());
	return nb_netns_create(g_sbname, g_sbpath) ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[512];

	(void)state;
	nb_netns_delete(g_sbpath);
	umount2(g_pins, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_tmp);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_idempotent),  cmocka_unit_test(test_load_mounts_bpffs),
	    cmocka_unit_test(test_tc_attach_detach), cmocka_unit_test(test_network_realize),
	    cmocka_unit_test(test_endpoint_realize), cmocka_unit_test(test_prune),
	    cmocka_unit_test(test_unload),
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP test_dataplane needs root (bpf, network namespaces)\n");
		return 0;
	}
	/* everything below stays inside these namespaces: no mount propagates out */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("1..0 # SKIP unshare: %s\n", strerror(errno));
		return 0;
	}
	return cmocka_run_group_tests_name("dataplane", tests, group_setup, group_teardown);
}
