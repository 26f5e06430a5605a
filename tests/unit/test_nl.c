// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * user/lib/nl.c and user/lib/netns.c against the real kernel. The process moves into
 * a private network namespace first (unshare(CLONE_NEWNET)), so every veth,
 * address and route made here vanishes with it; the one named netns the
 * netns tests create under /run/netns carries the PID and is deleted by
 * the test and again at exit.
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
#include <sys/stat.h>

#include <cmocka.h>

#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netns.h"
#include "nl.h"

static char g_netns_name[64];

static __be32 ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int nl_setup(void **state)
{
	struct nb_nl *nl;

	assert_int_equal(nb_nl_open(&nl), 0);
	*state = nl;
	return 0;
}

static int nl_teardown(void **state)
{
	struct nb_nl *nl = *state;
	char(*names)[NB_IFNAMSIZ];
	size_t n, i;

	/* whatever a failed test left behind */
	if (!nb_nl_link_list(nl, "nbt", &names, &n)) {
		for (i = 0; i < n; i++)
			nb_nl_link_del(nl, names[i]);
		free(names);
	}
	nb_nl_close(nl);
	return 0;
}

static void test_veth_add_del(void **state)
{
	struct nb_nl *nl = *state;
	const __u8 mac[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x07};
	struct nb_veth_opts o = {
	    .name = "nbtA",
	    .mac = mac,
	    .peer_name = "nbtB",
	    .peer_netns_fd = -1,
	    .mtu = 1400,
	};
	struct nb_link_info a, b;
	__u8 got[6];

	assert_int_equal(nb_nl_link_ifindex(nl, "nbtA"), -ENODEV);
	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	assert_int_equal(nb_nl_link_info(nl, "nbtA", &a), 0);
	assert_int_equal(nb_nl_link_info(nl, "nbtB", &b), 0);
	assert_true(a.ifindex > 0);
	assert_int_equal(nb_nl_link_ifindex(nl, "nbtA"), a.ifindex);
	assert_string_equal(a.kind, "veth");
	assert_int_equal(a.peer_ifindex, b.ifindex);
	assert_int_equal(b.peer_ifindex, a.ifindex);
	assert_int_equal(a.mtu, 1400);
	assert_int_equal(b.mtu, 1400);
	assert_false(a.up);
	assert_int_equal(nb_nl_link_mac(nl, "nbtA", got), 0);
	assert_memory_equal(got, mac, 6);

	/* either name taken: refused, nothing created */
	assert_int_equal(nb_nl_veth_add(nl, &o), -EEXIST);
	o.name = "nbtC";
	assert_int_equal(nb_nl_veth_add(nl, &o), -EEXIST);
	assert_int_equal(nb_nl_link_ifindex(nl, "nbtC"), -ENODEV);

	assert_int_equal(nb_nl_link_up(nl, "nbtA"), 0);
	assert_int_equal(nb_nl_link_up(nl, "nbtA"), 0); /* already up: fine */
	assert_int_equal(nb_nl_link_info(nl, "nbtA", &a), 0);
	assert_true(a.up);

	/* deleting one end takes the peer with it */
	assert_int_equal(nb_nl_link_del(nl, "nbtA"), 0);
	assert_int_equal(nb_nl_link_ifindex(nl, "nbtA"), -ENODEV);
	assert_int_equal(nb_nl_link_ifindex(nl, "nbtB"), -ENODEV);
	assert_int_equal(nb_nl_link_del(nl, "nbtA"), -ENODEV);
	assert_int_equal(nb_nl_link_up(nl, "nbtA"), -ENODEV);
	assert_int_equal(nb_nl_link_ifindex(nl, "this-name-is-far-too-long"), -ENODEV);
}

static void test_veth_bad_names(void **state)
{
	struct nb_nl *nl = *state;
	struct nb_veth_opts o = {
	    .name = "nbt-sixteen-char", .peer_name = "nbtB", .peer_netns_fd = -1};

	assert_int_equal(nb_nl_veth_add(nl, &o), -EINVAL);
	assert_int_equal(nb_nl_link_ifindex(nl, "nbtB"), -ENODEV);
}

static void test_link_list(void **state)
{
	struct nb_nl *nl = *state;
	struct nb_veth_opts o = {.name = "nbtL1", .peer_name = "nbtL2", .peer_netns_fd = -1};
	char(*names)[NB_IFNAMSIZ];
	size_t n, i;
	int seen = 0;

	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	assert_int_equal(nb_nl_link_list(nl, "nbtL", &names, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++)
		seen |= !strcmp(names[i], "nbtL1") ? 1 : !strcmp(names[i], "nbtL2") ? 2 : 4;
	assert_int_equal(seen, 3);
	free(names);

	assert_int_equal(nb_nl_link_list(nl, "nbtX", &names, &n), 0);
	assert_int_equal(n, 0);
	free(names);

	/* no prefix: everything, loopback included */
	assert_int_equal(nb_nl_link_list(nl, "", &names, &n), 0);
	assert_true(n >= 3);
	for (i = 0, seen = 0; i < n; i++)
		seen |= !strcmp(names[i], "lo");
	assert_true(seen);
	free(names);
	assert_int_equal(nb_nl_link_del(nl, "nbtL2"), 0);
}

static void test_addresses(void **state)
{
	struct nb_nl *nl = *state;
	struct nb_veth_opts o = {.name = "nbtA", .peer_name = "nbtB", .peer_netns_fd = -1};
	__be32 *ips;
	size_t n, i;
	int found = 0;

	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	assert_int_equal(nb_nl_addr_is_local(nl, ip4("10.77.0.1")), 0);
	assert_int_equal(nb_nl_addr_add(nl, "nbtA", ip4("10.77.0.1"), 24), 0);
	assert_int_equal(nb_nl_addr_add(nl, "nbtA", ip4("10.77.0.1"), 24), -EEXIST);
	assert_int_equal(nb_nl_addr_add(nl, "nbtB", ip4("10.78.0.1"), 16), 0);
	assert_int_equal(nb_nl_addr_add(nl, "nbt-none", ip4("10.79.0.1"), 16), -ENODEV);
	assert_int_equal(nb_nl_addr_add(nl, "nbtA", ip4("10.79.0.1"), 33), -EINVAL);

	assert_int_equal(nb_nl_addr_has(nl, "nbtA", ip4("10.77.0.1"), 24), 1);
	assert_int_equal(nb_nl_addr_has(nl, "nbtA", ip4("10.77.0.1"), -1), 1);
	assert_int_equal(nb_nl_addr_has(nl, "nbtA", ip4("10.77.0.1"), 16), 0);
	assert_int_equal(nb_nl_addr_has(nl, "nbtA", ip4("10.78.0.1"), -1), 0);
	assert_int_equal(nb_nl_addr_is_local(nl, ip4("10.77.0.1")), 1);
	assert_int_equal(nb_nl_addr_is_local(nl, ip4("10.78.0.1")), 1);
	assert_int_equal(nb_nl_addr_is_local(nl, ip4("10.77.0.2")), 0);

	assert_int_equal(nb_nl_addr_list(nl, &ips, &n), 0);
	for (i = 0; i < n; i++)
		found += ips[i] == ip4("10.77.0.1") || ips[i] == ip4("10.78.0.1");
	assert_int_equal(found, 2);
	free(ips);

	/* IPv6: the address with its prefix length, on that link only */
	{
		struct in6_addr a6, b6;

		assert_int_equal(inet_pton(AF_INET6, "fd00:77::1", &a6), 1);
		assert_int_equal(inet_pton(AF_INET6, "fd00:77::2", &b6), 1);
		assert_int_equal(nb_nl_addr6_has(nl, "nbtA", &a6, -1), 0);
		assert_int_equal(nb_nl_addr6_add(nl, "nbtA", &a6, 64, true), 0);
		assert_int_equal(nb_nl_addr6_has(nl, "nbtA", &a6, 64), 1);
		assert_int_equal(nb_nl_addr6_has(nl, "nbtA", &a6, -1), 1);
		assert_int_equal(nb_nl_addr6_has(nl, "nbtA", &a6, 48), 0);
		assert_int_equal(nb_nl_addr6_has(nl, "nbtB", &a6, -1), 0);
		assert_int_equal(nb_nl_addr6_has(nl, "nbtA", &b6, -1), 0);
		assert_int_equal(nb_nl_addr6_has(nl, "nbt-none", &a6, -1), -ENODEV);
		/* the IPv4 look-ups do not see it */
		assert_int_equal(nb_nl_addr_has(nl, "nbtA", ip4("10.77.0.1"), 24), 1);
	}

	assert_int_equal(nb_nl_link_del(nl, "nbtA"), 0);
	assert_int_equal(nb_nl_addr_is_local(nl, ip4("10.77.0.1")), 0);
}

static void test_default_route(void **state)
{
	struct nb_nl *nl = *state;
	struct nb_veth_opts o = {.name = "nbtA", .peer_name = "nbtB", .peer_netns_fd = -1};
	char dev[NB_IFNAMSIZ];

	assert_int_equal(nb_nl_route_default_dev(nl, dev), -ENOENT);
	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	assert_int_equal(nb_nl_addr_add(nl, "nbtA", ip4("10.77.0.1"), 24), 0);
	/* the gateway must be reachable: the link is down, so the kernel refuses */
	assert_int_not_equal(nb_nl_route_default_add(nl, ip4("10.77.0.254")), 0);
	assert_int_equal(nb_nl_link_up(nl, "nbtA"), 0);
	assert_int_equal(nb_nl_route_default_add(nl, ip4("10.77.0.254")), 0);
	assert_int_equal(nb_nl_route_default_add(nl, ip4("10.77.0.254")), -EEXIST);
	assert_int_equal(nb_nl_route_default_dev(nl, dev), 0);
	assert_string_equal(dev, "nbtA");

	assert_int_equal(nb_nl_link_del(nl, "nbtA"), 0);
	assert_int_equal(nb_nl_route_default_dev(nl, dev), -ENOENT);
}

static void test_tc_filter_count(void **state)
{
	struct nb_nl *nl = *state;
	struct nb_veth_opts o = {.name = "nbtA", .peer_name = "nbtB", .peer_netns_fd = -1};
	int ifindex;

	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	ifindex = nb_nl_link_ifindex(nl, "nbtA");
	assert_true(ifindex > 0);
	assert_int_equal(nb_nl_tc_filter_count(nl, ifindex, false), 0);
	assert_int_equal(nb_nl_tc_filter_count(nl, ifindex, true), 0);
	assert_int_equal(nb_nl_link_del(nl, "nbtA"), 0);
}

/* XDP_PASS: "r0 = 2; exit" */
static int xdp_pass_load(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "nbt_pass", "GPL", insns, 2, NULL);
}

/* One RTM_GETLINK must say what libbpf's dump-based bpf_xdp_query() says */
static void test_link_xdp(void **state)
{
	struct nb_nl *nl = *state;
	struct nb_veth_opts o = {.name = "nbtA", .peer_name = "nbtB", .peer_netns_fd = -1};
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info), prog_id = 1;
	__u8 mode = 0xff;
	int ifindex, fd;

	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	ifindex = nb_nl_link_ifindex(nl, "nbtA");
	assert_true(ifindex > 0);
	assert_int_equal(nb_nl_link_xdp(nl, ifindex, &prog_id, &mode), 0);
	assert_int_equal(prog_id, 0);
	assert_int_equal(mode, XDP_ATTACHED_NONE);

	fd = xdp_pass_load();
	assert_true(fd >= 0);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	assert_int_equal(bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE, NULL), 0);
	assert_int_equal(nb_nl_link_xdp(nl, ifindex, &prog_id, &mode), 0);
	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	assert_int_equal(prog_id, info.id);
	assert_int_equal(mode, XDP_ATTACHED_SKB);
	assert_int_equal(q.prog_id, prog_id);
	assert_int_equal(q.attach_mode, mode);
	/* the peer has none of it */
	assert_int_equal(nb_nl_link_xdp(nl, nb_nl_link_ifindex(nl, "nbtB"), &prog_id, &mode), 0);
	assert_int_equal(prog_id, 0);
	assert_int_equal(bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE, NULL), 0);
	assert_int_equal(nb_nl_link_xdp(nl, ifindex, &prog_id, &mode), 0);
	assert_int_equal(prog_id, 0);
	assert_int_equal(mode, XDP_ATTACHED_NONE);
	close(fd);

	assert_int_equal(nb_nl_link_del(nl, "nbtA"), 0);
	assert_int_equal(nb_nl_link_xdp(nl, ifindex, &prog_id, &mode), -ENODEV);
	assert_int_equal(nb_nl_link_xdp(nl, 0, &prog_id, &mode), -ENODEV);
	/* the socket is still in step: the next request gets its own answer */
	assert_int_equal(nb_nl_link_ifindex(nl, "lo"), 1);
}

static void test_netns_lifecycle(void **state)
{
	char path[NB_NETNS_PATHMAX], again[NB_NETNS_PATHMAX];
	__u64 c1 = 0, c2 = 0, cself = 0;
	int fd, fd2, self;
	struct stat st;

	(void)state;
	assert_int_equal(nb_netns_create(g_netns_name, path), 0);
	assert_true(!strncmp(path, NB_NETNS_RUN_DIR "/", strlen(NB_NETNS_RUN_DIR) + 1));
	assert_int_equal(nb_netns_create(g_netns_name, again), -EEXIST);

	fd = nb_netns_open(path);
	assert_true(fd >= 0);
	fd2 = nb_netns_open(path);
	assert_true(fd2 >= 0);
	self = nb_netns_open_self();
	assert_true(self >= 0);
	assert_int_equal(nb_netns_same(fd, fd2), 1);
	assert_int_equal(nb_netns_same(fd, self), 0);

	assert_int_equal(nb_netns_cookie(fd, &c1), 0);
	assert_int_equal(nb_netns_cookie(fd2, &c2), 0);
	assert_int_equal(nb_netns_cookie(self, &cself), 0);
	assert_true(c1 != 0);
	assert_true(c1 == c2);
	assert_true(c1 != cself);
	/* nb_netns_cookie must leave the caller where it was */
	fd2 = (close(fd2), nb_netns_open_self());
	assert_int_equal(nb_netns_same(fd2, self), 1);
	close(fd2);

	/* a file that is not a netns is refused */
	assert_int_equal(nb_netns_open("/proc/self/status"), -EINVAL);

	assert_int_equal(nb_netns_delete(path), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(nb_netns_open(path), -ENOENT);
	assert_int_equal(nb_netns_delete(path), -ENOENT);
	/* the netns itself lives on while a fd holds it */
	assert_int_equal(nb_netns_cookie(fd, &c2), 0);
	assert_true(c1 == c2);
	close(fd);
	close(self);

	assert_int_equal(nb_netns_create("", path), -EINVAL);
	assert_int_equal(nb_netns_create("a/b", path), -EINVAL);
	assert_int_equal(nb_netns_create("..", path), -EINVAL);
}

static void test_veth_peer_in_netns(void **state)
{
	struct nb_nl *nl = *state, *sb = NULL;
	const __u8 mac[6] = {0x02, 0x42, 0x0a, 0x01, 0x00, 0x02};
	char path[NB_NETNS_PATHMAX];
	struct nb_link_info info;
	__u8 got[6];
	int fd;

	assert_int_equal(nb_netns_create(g_netns_name, path), 0);
	fd = nb_netns_open(path);
	assert_true(fd >= 0);
	struct nb_veth_opts o = {
	    .name = "nbtH",
	    .peer_name = "eth0",
	    .peer_mac = mac,
	    .peer_netns_fd = fd,
	    .mtu = 1450,
	};
	assert_int_equal(nb_nl_veth_add(nl, &o), 0);
	assert_int_equal(nb_nl_open_netns(fd, &sb), 0);

	/* the peer exists only inside the sandbox, with its MAC, never in the host */
	assert_int_equal(nb_nl_link_ifindex(nl, "eth0"), -ENODEV);
	assert_int_equal(nb_nl_link_info(sb, "eth0", &info), 0);
	assert_int_equal(info.mtu, 1450);
	assert_int_equal(nb_nl_link_mac(sb, "eth0", got), 0);
	assert_memory_equal(got, mac, 6);
	assert_int_equal(nb_nl_link_ifindex(sb, "nbtH"), -ENODEV);

	/* configure the sandbox side through its own socket */
	assert_int_equal(nb_nl_addr_add(sb, "eth0", ip4("10.1.0.2"), 24), 0);
	assert_int_equal(nb_nl_link_up(sb, "eth0"), 0);
	assert_int_equal(nb_nl_link_up(sb, "lo"), 0);
	assert_int_equal(nb_nl_route_default_add(sb, ip4("10.1.0.1")), 0);
	char dev[NB_IFNAMSIZ];
	assert_int_equal(nb_nl_route_default_dev(sb, dev), 0);
	assert_string_equal(dev, "eth0");
	assert_int_equal(nb_nl_addr_is_local(sb, ip4("10.1.0.2")), 1);
	assert_int_equal(nb_nl_addr_is_local(nl, ip4("10.1.0.2")), 0);

	/* the same sandbox name again in the same netns: taken */
	o.name = "nbtI";
	assert_int_equal(nb_nl_veth_add(nl, &o), -EEXIST);
	assert_int_equal(nb_nl_link_ifindex(nl, "nbtI"), -ENODEV);

	/* removing the host side removes the sandbox side */
	assert_int_equal(nb_nl_link_del(nl, "nbtH"), 0);
	assert_int_equal(nb_nl_link_ifindex(sb, "eth0"), -ENODEV);

	nb_nl_close(sb);
	close(fd);
	assert_int_equal(nb_netns_delete(path), 0);
}

static void cleanup_netns(void)
{
	char path[NB_NETNS_PATHMAX];

	snprintf(path, sizeof(path), "%s/%s", NB_NETNS_RUN_DIR, g_netns_name);
	nb_netns_delete(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_veth_add_del, nl_setup, nl_teardown),
	    cmocka_unit_test_setup_teardown(test_veth_bad_names, nl_setup, nl_teardown),
	    cmocka_unit_test_setup_teardown(test_link_list, nl_setup, nl_teardown),
	    cmocka_unit_test_setup_teardown(test_addresses, nl_setup, nl_teardown),
	    cmocka_unit_test_setup_teardown(test_default_route, nl_setup, nl_teardown),
	    cmocka_unit_test_setup_teardown(test_tc_filter_count, nl_setup, nl_teardown),
	    cmocka_unit_test_setup_teardown(test_link_xdp, nl_setup, nl_teardown),
	    cmocka_unit_test(test_netns_lifecycle),
	    cmocka_unit_test_setup_teardown(test_veth_peer_in_netns, nl_setup, nl_teardown),
	};
	int ret;

	if (geteuid() != 0) {
		printf("1..0 # SKIP test_nl needs root (network namespaces)\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # SKIP unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 0;
	}
	snprintf(g_netns_name, sizeof(g_netns_name), "nbt-unit-nl-%d", (int)getpid());
	ret = cmocka_run_group_tests_name("nl", tests, NULL, NULL);
	cleanup_netns();
	return ret;
}
