// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nat.c: the NAT projection over real (unpinned) maps of the ABI's shapes,
 * conntrack decoding as `ct ls` shows it (original/translated tuples, the
 * reply entry's counters, expired and orphan entries skipped), flushing,
 * the formatting helpers, and the conntrack timeouts `ct ls` reports against
 * the table the BPF objects carry. Map tests need CAP_BPF; without it they
 * skip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <bpf/bpf.h>

#include "fmt.h"
#include "nat.h"
#include "endpoint.skel.h"
#include "uplink.skel.h"
#include "xdp.skel.h"

#define IP(a, b, c, d) htonl(((a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define NSEC	       1000000000ULL

static struct nb_maps M;

static int mk(enum bpf_map_type type, size_t k, size_t v)
{
	return bpf_map_create(type, NULL, k, v, 1024, NULL);
}

static int maps_setup(void **state)
{
	(void)state;
	nb_maps_init(&M);
	M.publish =
	    mk(BPF_MAP_TYPE_HASH, sizeof(struct nb_publish_key), sizeof(struct nb_publish_val));
	M.ct = mk(BPF_MAP_TYPE_HASH, sizeof(struct nb_ct_key), sizeof(struct nb_ct_entry));
	M.uplinks = mk(BPF_MAP_TYPE_HASH, sizeof(__u32), sizeof(struct nb_uplink));
	M.local_addrs = mk(BPF_MAP_TYPE_HASH, sizeof(__be32), sizeof(__u32));
	M.frags = mk(BPF_MAP_TYPE_HASH, sizeof(struct nb_frag_key), sizeof(struct nb_frag_val));
	M.pub_targets = mk(BPF_MAP_TYPE_HASH, sizeof(struct nb_pub_target), sizeof(__u32));
	return 0;
}

static int maps_teardown(void **state)
{
	(void)state;
	nb_maps_close(&M);
	return 0;
}

static bool have_maps(void)
{
	return M.publish >= 0 && M.ct >= 0 && M.uplinks >= 0 && M.local_addrs >= 0 &&
	       M.frags >= 0 && M.pub_targets >= 0;
}

#define NEED_MAPS()                                                                                \
	do {                                                                                       \
		if (!have_maps())                                                                  \
			skip();                                                                    \
	} while (0)

static __u64 mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* ---- published ports --------------------------------------------------------- */

static int count_pub(const struct nb_nat_publish *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static void test_publish(void **state)
{
	struct nb_publish_key k = {.host_ip = 0, .host_port = htons(8000), .proto = IPPROTO_TCP};
	struct nb_publish_val v;
	int n = 0;

	(void)state;
	NEED_MAPS();
	assert_int_equal(nb_nat_publish_put(&M, 0, 8000, IPPROTO_TCP, IP(10, 1, 0, 2), 80, 3, 7),
			 0);
	/* the map holds network order, exactly the ABI's layout */
	assert_int_equal(bpf_map_lookup_elem(M.publish, &k, &v), 0);
	assert_int_equal(v.sb_ip, IP(10, 1, 0, 2));
	assert_int_equal(v.sb_port, htons(80));
	assert_int_equal(v.net_id, 3);
	assert_int_equal(v.ifindex, 7);
	/* the data plane counts; a re-put (sync) keeps the count */
	v.conns = 41;
	assert_int_equal(bpf_map_update_elem(M.publish, &k, &v, BPF_EXIST), 0);
	assert_int_equal(nb_nat_publish_put(&M, 0, 8000, IPPROTO_TCP, IP(10, 1, 0, 3), 81, 3, 8),
			 0);
	assert_int_equal(nb_nat_publish_get(&M, 0, 8000, IPPROTO_TCP, &v), 0);
	assert_int_equal(v.conns, 41);
	assert_int_equal(v.sb_ip, IP(10, 1, 0, 3));
	/* same port, other protocol or address: other entries */
	assert_int_equal(nb_nat_publish_put(&M, 0, 8000, IPPROTO_UDP, IP(10, 1, 0, 2), 53, 3, 7),
			 0);
	assert_int_equal(
	    nb_nat_publish_put(&M, IP(127, 0, 0, 1), 8000, IPPROTO_TCP, IP(10, 1, 0, 2), 80, 3, 7),
	    0);
	assert_int_equal(nb_nat_publish_foreach(&M, count_pub, &n), 0);
	assert_int_equal(n, 3);
	/* bad entries */
	assert_int_equal(nb_nat_publish_put(&M, 0, 0, IPPROTO_TCP, IP(10, 1, 0, 2), 80, 3, 7),
			 -EINVAL);
	assert_int_equal(nb_nat_publish_put(&M, 0, 1, IPPROTO_TCP, IP(10, 1, 0, 2), 0, 3, 7),
			 -EINVAL);
	assert_int_equal(nb_nat_publish_put(&M, 0, 1, IPPROTO_ICMP, IP(10, 1, 0, 2), 1, 3, 7),
			 -EINVAL);
	assert_int_equal(nb_nat_publish_put(&M, 0, 1, IPPROTO_TCP, 0, 1, 3, 7), -EINVAL);
	/* del: once gone, gone; deleting again is fine */
	assert_int_equal(nb_nat_publish_del(&M, 0, 8000, IPPROTO_TCP), 0);
	assert_int_equal(nb_nat_publish_get(&M, 0, 8000, IPPROTO_TCP, &v), -ENOENT);
	assert_int_equal(nb_nat_publish_del(&M, 0, 8000, IPPROTO_TCP), 0);
	assert_int_equal(nb_nat_publish_clear(&M), 0);
	n = 0;
	assert_int_equal(nb_nat_publish_foreach(&M, count_pub, &n), 0);
	assert_int_equal(n, 0);
}

/* refs of a target in nb_pub_targets, 0 when absent */
static __u32 target_refs(__be32 ip, __u16 port, __u8 proto)
{
	struct nb_pub_target k = {.sb_ip = ip, .sb_port = htons(port), .proto = proto};
	__u32 refs = 0;

	bpf_map_lookup_elem(M.pub_targets, &k, &refs);
	return refs;
}

/* nb_pub_targets follows nb_publish: one count per published port leading to a target */
static void test_publish_targets(void **state)
{
	(void)state;
	NEED_MAPS();
	assert_int_equal(nb_nat_publish_clear(&M), 0);
	assert_int_equal(nb_nat_publish_put(&M, 0, 8000, IPPROTO_TCP, IP(10, 1, 0, 2), 80, 3, 7),
			 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 2), 80, IPPROTO_TCP), 1);
	/* a re-put (sync) counts nothing twice */
	assert_int_equal(nb_nat_publish_put(&M, 0, 8000, IPPROTO_TCP, IP(10, 1, 0, 2), 80, 3, 7),
			 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 2), 80, IPPROTO_TCP), 1);
	assert_int_equal(nb_nat_publish_put(&M, 0, 8001, IPPROTO_TCP, IP(10, 1, 0, 2), 80, 3, 7),
			 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 2), 80, IPPROTO_TCP), 2);
	assert_int_equal(target_refs(IP(10, 1, 0, 2), 80, IPPROTO_UDP), 0);
	/* 8001 moves to another target */
	assert_int_equal(nb_nat_publish_put(&M, 0, 8001, IPPROTO_TCP, IP(10, 1, 0, 3), 81, 3, 8),
			 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 2), 80, IPPROTO_TCP), 1);
	assert_int_equal(target_refs(IP(10, 1, 0, 3), 81, IPPROTO_TCP), 1);
	assert_int_equal(nb_nat_publish_del(&M, 0, 8000, IPPROTO_TCP), 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 2), 80, IPPROTO_TCP), 0);
	/* deleting what is gone changes nothing */
	assert_int_equal(nb_nat_publish_del(&M, 0, 8000, IPPROTO_TCP), 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 3), 81, IPPROTO_TCP), 1);
	assert_int_equal(nb_nat_publish_clear(&M), 0);
	assert_int_equal(target_refs(IP(10, 1, 0, 3), 81, IPPROTO_TCP), 0);
}

static void test_missing_maps(void **state)
{
	struct nb_maps none;

	(void)state;
	nb_maps_init(&none);
	assert_int_equal(nb_nat_publish_put(&none, 0, 1, IPPROTO_TCP, IP(10, 0, 0, 2), 1, 1, 1),
			 -ENOENT);
	assert_int_equal(nb_nat_uplink_put(&none, 2, IP(198, 18, 0, 1)), -ENOENT);
	assert_int_equal(nb_nat_ct_flush(&none, NULL), -ENOENT);
	assert_int_equal(nb_nat_local_addrs_sync(&none), -ENOENT);
}

static void test_uplink(void **state)
{
	struct nb_uplink u;
	__u32 ifindex = 5;

	(void)state;
	NEED_MAPS();
	assert_int_equal(nb_nat_uplink_put(&M, ifindex, IP(198, 18, 0, 1)), 0);
	assert_int_equal(bpf_map_lookup_elem(M.uplinks, &ifindex, &u), 0);
	assert_int_equal(u.ip, IP(198, 18, 0, 1));
	assert_int_equal(u.port_min, 1024);
	assert_int_equal(u.port_max, 65535);
	assert_int_equal(nb_nat_uplink_put_range(&M, ifindex, IP(198, 18, 0, 1), 2000, 1000),
			 -EINVAL);
	assert_int_equal(nb_nat_uplink_put_range(&M, ifindex, IP(198, 18, 0, 1), 0, 1000), -EINVAL);
	assert_int_equal(nb_nat_uplink_put_range(&M, 0, IP(198, 18, 0, 1), 1, 1000), -EINVAL);
	assert_int_equal(nb_nat_uplink_put_range(&M, ifindex, IP(198, 18, 0, 1), 40000, 40000), 0);
	assert_int_equal(bpf_map_lookup_elem(M.uplinks, &ifindex, &u), 0);
	assert_int_equal(u.port_min, 40000);
	assert_int_equal(nb_nat_uplink_del(&M, ifindex), 0);
	assert_int_equal(nb_nat_uplink_del(&M, ifindex), 0);
}

static void test_local_addrs(void **state)
{
	__be32 stale = IP(203, 0, 113, 9);
	__u32 v;

	(void)state;
	NEED_MAPS();
	assert_int_equal(nb_nat_local_addr_put(&M, stale, 0), 0);
	assert_int_equal(nb_nat_local_addrs_sync(&M), 0);
	/* 203.0.113.9 is on no interface of this netns */
	assert_int_equal(bpf_map_lookup_elem(M.local_addrs, &stale, &v), -ENOENT);
	assert_int_equal(nb_nat_local_addr_put(&M, 0, 0), -EINVAL);
}

/* ---- conntrack ----------------------------------------------------------------- */

static void put_ct(const struct nb_ct_key *k, const struct nb_ct_entry *e)
{
	assert_int_equal(bpf_map_update_elem(M.ct, k, e, BPF_ANY), 0);
}

struct seen {
	int n;
	struct nb_nat_flow f[8];
};

static int collect(const struct nb_nat_flow *f, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->f[s->n] = *f;
	s->n++;
	return 0;
}

static void test_ct_decode(void **state)
{
	__u64 now = mono();
	/* a masqueraded flow 10.1.0.2:40000 -> 198.18.0.50:80 as 198.18.0.1:40001 */
	struct nb_ct_key fk = {IP(10, 1, 0, 2), IP(198, 18, 0, 50), htons(40000),
			       htons(80),	IPPROTO_TCP,	    {0}};
	struct nb_ct_key rk = {IP(198, 18, 0, 50), IP(198, 18, 0, 1), htons(80),
			       htons(40001),	   IPPROTO_TCP,	      {0}};
	struct nb_ct_entry fe = {.nat_saddr = IP(198, 18, 0, 1),
				 .nat_daddr = IP(198, 18, 0, 50),
				 .nat_sport = htons(40001),
				 .nat_dport = htons(80),
				 .type = NB_CT_SNAT,
				 .dir = NB_CT_DIR_ORIG,
				 .state = NB_CT_S_ESTABLISHED,
				 .net_id = 1,
				 .created_ns = now - 65 * NSEC,
				 .seen_ns = now - 2 * NSEC,
				 .packets = 10,
				 .bytes = 1000};
	struct nb_ct_entry re = {.nat_saddr = IP(198, 18, 0, 50),
				 .nat_daddr = IP(10, 1, 0, 2),
				 .nat_sport = htons(80),
				 .nat_dport = htons(40000),
				 .type = NB_CT_SNAT,
				 .dir = NB_CT_DIR_REPLY,
				 .state = NB_CT_S_ESTABLISHED,
				 .ifindex = 12,
				 .net_id = 1,
				 .created_ns = now - 65 * NSEC,
				 .seen_ns = now - 2 * NSEC,
				 .packets = 8,
				 .bytes = 9000};
	/* an expired UDP flow and an orphan reply entry: not listed */
	struct nb_ct_key ek = {IP(10, 1, 0, 3), IP(198, 18, 0, 50), htons(5353),
			       htons(53),	IPPROTO_UDP,	    {0}};
	struct nb_ct_entry ee = {.type = NB_CT_SNAT,
				 .dir = NB_CT_DIR_ORIG,
				 .state = NB_CT_S_NEW,
				 .seen_ns = now - (NB_CT_UDP_NEW_SECS + 5) * NSEC};
	struct nb_ct_key ok = {IP(198, 18, 0, 9), IP(198, 18, 0, 1), htons(1),
			       htons(2),	  IPPROTO_TCP,	     {0}};
	struct nb_ct_entry oe = {.type = NB_CT_DNAT, .dir = NB_CT_DIR_REPLY, .seen_ns = now};
	struct seen s = {};
	size_t flushed = 0;
	char buf[NB_NAT_TUPLE_STRLEN];
	json_t *j;

	(void)state;
	NEED_MAPS();
	put_ct(&fk, &fe);
	put_ct(&rk, &re);
	put_ct(&ek, &ee);
	put_ct(&ok, &oe);
	assert_int_equal(nb_nat_ct_foreach(&M, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.f[0].type, NB_CT_SNAT);
	assert_int_equal(s.f[0].proto, IPPROTO_TCP);
	assert_string_equal(nb_nat_tuple_str(&s.f[0].orig, IPPROTO_TCP, buf),
			    "10.1.0.2:40000 -> 198.18.0.50:80");
	assert_string_equal(nb_nat_tuple_str(&s.f[0].nat, IPPROTO_TCP, buf),
			    "198.18.0.1:40001 -> 198.18.0.50:80");
	assert_true(s.f[0].has_reply);
	assert_int_equal(s.f[0].packets, 10);
	assert_int_equal(s.f[0].reply_packets, 8);
	assert_int_equal(s.f[0].reply_bytes, 9000);
	assert_int_equal(s.f[0].ifindex, 12); /* the sandbox side, from the reply entry */
	assert_true(s.f[0].age_ns >= 65 * NSEC && s.f[0].age_ns < 70 * NSEC);
	assert_true(s.f[0].idle_ns >= 2 * NSEC && s.f[0].idle_ns < 7 * NSEC);
	assert_true(s.f[0].expires_ns <= (__u64)NB_CT_TCP_EST_SECS * NSEC - 2 * NSEC);

	j = nb_nat_flow_json(&s.f[0]);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "snat");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "ESTABLISHED");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "translated"), "src")),
	    "198.18.0.1");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "translated"), "sport")), 40001);
	assert_int_equal(json_integer_value(json_object_get(j, "age_seconds")), 65);
	json_decref(j);

	assert_int_equal(nb_nat_ct_flush(&M, &flushed), 0);
	assert_int_equal(flushed, 4);
	s.n = 0;
	assert_int_equal(nb_nat_ct_foreach(&M, collect, &s), 0);
	assert_int_equal(s.n, 0);
}

/* ---- formatting ---------------------------------------------------------------- */

static void test_names(void **state)
{
	struct nb_nat_tuple t = {.saddr = IP(10, 1, 0, 2), .daddr = IP(198, 18, 0, 50), .sport = 7};
	char buf[NB_NAT_TUPLE_STRLEN], age[32];

	(void)state;
	assert_string_equal(nb_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(nb_proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(nb_proto_name(IPPROTO_ICMP), "icmp");
	assert_string_equal(nb_proto_name(47), "proto-47");
	assert_string_equal(nb_nat_type_name(NB_CT_DNAT), "dnat");
	assert_string_equal(nb_nat_type_name(NB_CT_SNAT), "snat");
	assert_string_equal(nb_nat_type_name(NB_CT_HAIRPIN), "hairpin");
	assert_string_equal(nb_nat_state_name(IPPROTO_TCP, NB_CT_S_NEW), "SYN_SENT");
	assert_string_equal(nb_nat_state_name(IPPROTO_TCP, NB_CT_S_FIN), "FIN_WAIT");
	assert_string_equal(nb_nat_state_name(IPPROTO_TCP, NB_CT_S_CLOSED), "CLOSE");
	assert_string_equal(nb_nat_state_name(IPPROTO_UDP, NB_CT_S_NEW), "UNREPLIED");
	assert_string_equal(nb_nat_state_name(IPPROTO_UDP, NB_CT_S_ESTABLISHED), "REPLIED");
	{
		struct nb_nat_tuple t6 = {.v6 = true, .sport = 40000, .dport = 8080};

		assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", &t6.saddr6), 1);
		assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &t6.daddr6), 1);
		assert_string_equal(nb_nat_tuple_str(&t6, IPPROTO_TCP, buf),
				    "[2001:db8::2]:40000 -> [2001:db8::1]:8080");
	}
	/* an echo request carries its id as sport, a reply as dport */
	assert_string_equal(nb_nat_tuple_str(&t, IPPROTO_ICMP, buf),
			    "10.1.0.2 -> 198.18.0.50 id 7");
	t.sport = 0;
	t.dport = 9;
	assert_string_equal(nb_nat_tuple_str(&t, IPPROTO_ICMP, buf),
			    "10.1.0.2 -> 198.18.0.50 id 9");
	assert_string_equal(nb_nat_age_str(3 * NSEC, age), "3s");
	assert_string_equal(nb_nat_age_str(312 * NSEC, age), "5m12s");
	assert_string_equal(nb_nat_age_str(7260 * NSEC, age), "2h01m");
	assert_string_equal(nb_nat_age_str((3 * 86400 + 4 * 3600) * NSEC, age), "3d04h");
}

/* closed flows must go quickly, established ones must not: checked by the compiler */
_Static_assert(NB_CT_TCP_CLOSED_SECS < NB_CT_TCP_NEW_SECS, "closed TCP flows outlive new ones");
_Static_assert(NB_CT_TCP_EST_SECS > 3600, "established TCP flows expire within an hour");
_Static_assert(NB_MASQ_PORT_MIN <= NB_MASQ_PORT_MAX && NB_MASQ_PORT_MAX <= 65535,
	       "the default masquerade range is not a port range");
_Static_assert(NB_MTU_MIN <= NB_MTU_DEFAULT && NB_MTU_DEFAULT <= NB_MTU_MAX,
	       "the default MTU is out of its bounds");

/*
 * What `ct ls` reports (nb_nat_ct_timeout_secs()) against the table the
 * programs that track flows carry in their rodata, read from the objects
 * themselves through their skeletons (opened, not loaded: no privilege).
 */
static void check_rodata_timeouts(const __u32 *tbl)
{
	static const __u8 protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_GRE};
	static const __u8 states[] = {NB_CT_S_NEW, NB_CT_S_ESTABLISHED, NB_CT_S_FIN,
				      NB_CT_S_CLOSED};
	size_t i, j;

	for (i = 0; i < sizeof(protos); i++)
		for (j = 0; j < sizeof(states); j++)
			assert_int_equal(nb_nat_ct_timeout_secs(protos[i], states[j]),
					 tbl[nb_ct_timeout_slot(protos[i], states[j])]);
	/* and the slots are the states they say */
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_TCP, NB_CT_S_NEW)], NB_CT_TCP_NEW_SECS);
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_TCP, NB_CT_S_ESTABLISHED)],
			 NB_CT_TCP_EST_SECS);
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_TCP, NB_CT_S_FIN)], NB_CT_TCP_FIN_SECS);
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_TCP, NB_CT_S_CLOSED)],
			 NB_CT_TCP_CLOSED_SECS);
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_UDP, NB_CT_S_NEW)], NB_CT_UDP_NEW_SECS);
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_UDP, NB_CT_S_ESTABLISHED)],
			 NB_CT_UDP_EST_SECS);
	assert_int_equal(tbl[nb_ct_timeout_slot(IPPROTO_ICMP, NB_CT_S_NEW)], NB_CT_ICMP_SECS);
}

static void test_timeouts(void **state)
{
	struct endpoint_bpf *ep;
	struct uplink_bpf *up;
	struct xdp_bpf *xdp;

	(void)state;
	up = uplink_bpf__open();
	assert_non_null(up);
	check_rodata_timeouts(up->rodata->nb_ct_timeout_secs);
	uplink_bpf__destroy(up);
	ep = endpoint_bpf__open();
	assert_non_null(ep);
	check_rodata_timeouts(ep->rodata->nb_ct_timeout_secs);
	endpoint_bpf__destroy(ep);
	xdp = xdp_bpf__open();
	assert_non_null(xdp);
	check_rodata_timeouts(xdp->rodata->nb_ct_timeout_secs);
	xdp_bpf__destroy(xdp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish),	 cmocka_unit_test(test_publish_targets),
	    cmocka_unit_test(test_missing_maps), cmocka_unit_test(test_uplink),
	    cmocka_unit_test(test_local_addrs),	 cmocka_unit_test(test_ct_decode),
	    cmocka_unit_test(test_names),	 cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests(tests, maps_setup, maps_teardown);
}
