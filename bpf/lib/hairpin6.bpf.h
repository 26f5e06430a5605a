/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv6 hairpin: a sandbox reaching a published IPv6 port at an address the
 * FIB calls the host's (the world-facing address, the gateway's, any the
 * publish binds), as IPv4's nb_nat_hairpin_new() (nat.bpf.h) does for IPv4.
 * It runs in "endpoint_nat6" (bpf/endpoint.bpf.c), which the endpoint
 * program tail-calls for an IPv6 frame its sandbox sends to the gateway: a
 * program of its own for 512 bytes of stack, the endpoint program's being
 * full.
 *
 *   - a TCP SYN (no ACK) or a UDP datagram no host socket claims, to a
 *     published port (nb_nat6_publish_open(), the FIB asked as from the
 *     gateway port), opens a flow of two nb_ct6 entries of kind
 *     NB_CT6_K_HAIRPIN: the forward one under the packet's tuple (source:
 *     the target network's gateway address and a port claimed as
 *     masquerade's, nb_nat6_claim(); destination: the target's address and
 *     port), the reply one under the target's answer's (source: the address
 *     and port the client used; destination: the client). The SNAT to the
 *     gateway makes the answer come back through netbpf even when client and
 *     target share a subnet.
 *   - every packet of the flow, both ways, gets both ends rewritten (the
 *     TCP/UDP checksum with the pseudo-header), its TCP window checked
 *     (nb_ct6_tcp_seen()) and goes straight into the other sandbox as the
 *     gateway would send it (nb_nat6_to_endpoint(): MACs, hop limit).
 *   - an ICMPv6 error a sandbox sends about a hairpinned packet (it quotes
 *     the packet as it arrived) is translated like the flow: outer and
 *     quoted addresses and ports, the quoted TCP/UDP checksum where quoted,
 *     the ICMPv6 checksum; into the other sandbox.
 * As IPv4's, hairpin is not filtered by a published port's allow-list
 * (`publish --allow` filters the outside), and a hop limit of 1 leaves the
 * packet to the host (time exceeded).
 */
#ifndef NETBPF_HAIRPIN6_BPF_H
#define NETBPF_HAIRPIN6_BPF_H

#include "nat_pkt.bpf.h"
#include "nat6.bpf.h"

/*
 * A new hairpin flow of packet tuple *k (l4_off: its TCP/UDP header) from
 * the sandbox behind this endpoint port, on a network whose gateway port is
 * gw_ifindex, if it opens one: 1 when it opens none, 0 when its two entries
 * are in nb_ct6 (the forward one under *k), or a drop.
 */
__noinline int nb_nat6_hp_new(struct __sk_buff *skb, const struct nb_ct6_key *k, __u32 l4_off,
			      __u32 gw_ifindex)
{
	const struct nb_network *tnet;
	struct nb_publish6_val *pub;
	const struct nb_port *tport;
	__u32 tifindex;

	if (!skb || !k)
		return 1;
	pub = nb_nat6_publish_open(skb, l4_off, k, gw_ifindex, NULL);
	if (!pub)
		return 1;
	tifindex = pub->ifindex;
	tport = bpf_map_lookup_elem(&NB_MAP_PORTS, &tifindex);
	if (!tport || tport->kind != NB_PORT_ENDPOINT)
		return 1;
	tnet = nb_network_lookup(tport->net_id);
	if (!tnet || (tnet->flags & NB_NET_F_INTERNAL) || nb_ip6_zero(tnet->gateway6))
		return 1;
	/* a scope of their own: the entries' room is not the lookups' above */
	{
		struct nb_ct6_entry re;
		struct nb_ct6_key rk = {};
		__u64 now = bpf_ktime_get_ns();
		int port;

		/* the reply entry: target -> the target network's gateway, the port to claim */
		__builtin_memcpy(rk.saddr, pub->sb_ip6, 16);
		__builtin_memcpy(rk.daddr, tnet->gateway6, 16);
		rk.sport = pub->sb_port;
		rk.dport = k->sport; /* kept when free */
		rk.proto = k->proto;
		nb_ct6_entry_init(&re, NB_CT6_K_HAIRPIN, NB_CT_DIR_REPLY, tport->net_id, now);
		__builtin_memcpy(re.hp_saddr, k->daddr, 16);
		re.hp_sport = k->dport;
		__builtin_memcpy(re.nat_addr, k->saddr, 16);
		re.nat_port = k->sport;
		re.ifindex = skb->ifindex;
		port = nb_nat6_claim(skb, &rk, &re, NB_MASQ_PORT_MIN, NB_MASQ_PORT_MAX);
		if (port < 0)
			return port;
		/* the forward entry, in the reply's room (the map holds its own copy) */
		__builtin_memcpy(re.hp_saddr, rk.daddr, 16);
		re.hp_sport = rk.dport;
		__builtin_memcpy(re.nat_addr, rk.saddr, 16);
		re.nat_port = rk.sport;
		re.ifindex = tifindex;
		if (nb_ct6_put_forward(k, &re, &rk))
			return -NB_DROP_CT_FULL;
		__sync_fetch_and_add(&pub->conns, 1);
	}
	return 0;
}

/*
 * An ICMPv6 error (at l4_off, payload up to end) the sandbox sends about a
 * hairpinned packet it received: the quote reversed is the key of the
 * entry that translates the other way, and the error becomes what that
 * entry makes of a packet (outer source and quoted destination: the new
 * source; outer destination and quoted source: the new destination), into
 * the other sandbox. NB_NAT_PASS when it is about no hairpin flow.
 */
__noinline int nb_nat6_hp_icmp(struct __sk_buff *skb, __u32 l4_off, __u32 end)
{
	__u32 qbase = l4_off + 8, qoff = qbase + sizeof(struct ipv6hdr), icmp = l4_off + 2, qcsum;
	const struct nb_ct6_entry *e;
	struct nb_ct6_key k = {};
	struct ipv6hdr q, ip6;

	if (!skb || !nb_nat6_quote_key(skb, l4_off, end, &q, &k) ||
	    nb_ctx_load(skb, ETH_HLEN, &ip6, sizeof(ip6)))
		return NB_NAT_PASS;
	e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
	/* from the quoted packet's receiver to its sender, else about another packet */
	if (!e || e->kind != NB_CT6_K_HAIRPIN || !nb_ip6_eq(k.saddr, ip6.saddr.in6_u.u6_addr8) ||
	    !nb_ip6_eq(k.daddr, ip6.daddr.in6_u.u6_addr8))
		return NB_NAT_PASS;
	qcsum = nb_nat6_quote_csum(q.nexthdr, qoff, end);
	return nb_nat6_icmp_side(skb, icmp, qcsum, ETH_HLEN + offsetof(struct ipv6hdr, saddr),
				 qbase + offsetof(struct ipv6hdr, daddr), qoff + 2, k.saddr,
				 e->hp_saddr, k.sport, e->hp_sport) ?:
	       nb_nat6_icmp_side(skb, icmp, qcsum, ETH_HLEN + offsetof(struct ipv6hdr, daddr),
				 qbase + offsetof(struct ipv6hdr, saddr), qoff, k.daddr,
				 e->nat_addr, k.dport, e->nat_port) ?:
	       nb_nat6_to_endpoint(skb, e->ifindex);
}

/*
 * An IPv6 frame a sandbox sent to its gateway (the routed policy passed, the
 * network has IPv6; gw_ifindex: its gateway port): a hairpin flow's packet,
 * translated and redirected, or one that opens such a flow. NB_NAT_PASS for
 * anything else (the switch sends it to the host), else a verdict or a drop.
 */
__noinline int nb_nat6_from_endpoint(struct __sk_buff *skb, __u32 gw_ifindex)
{
	struct nb_ct6_key k = {};
	struct nb_ip6_info info;
	struct nb_ct6_entry *e;
	struct ipv6hdr ip6;
	__u64 now;
	int err;

	if (!skb || nb_ctx_load(skb, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6 ||
	    ip6.hop_limit <= 1)
		return NB_NAT_PASS;
	/* a later fragment has no ports: the host's (hairpin does not follow fragments) */
	if (nb_ct6_tuple(skb, &ip6, &info, &k) || !info.l4_off)
		return NB_NAT_PASS;
	if (info.proto == NB_IP6_ICMP && info.icmp_type < NB_ICMP6_ECHO_REQUEST)
		return nb_nat6_hp_icmp(skb, info.l4_off, info.end);
	if ((info.proto != IPPROTO_TCP && info.proto != IPPROTO_UDP) || !nb_nat6_l4_whole(&info))
		return NB_NAT_PASS;
	now = bpf_ktime_get_ns();
	e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
	if (e && e->kind != NB_CT6_K_HAIRPIN)
		return NB_NAT_PASS;
	e = nb_nat6_live(skb, e, k.proto, info.l4_off, now);
	err = e ? 0 : nb_nat6_hp_new(skb, &k, info.l4_off, gw_ifindex);
	e = nb_nat6_opened(skb, &k, &info, e, &err);
	if (!e)
		return err > 0 ? NB_NAT_PASS : err;
	return nb_nat6_rewrite(skb, &info, ETH_HLEN + offsetof(struct ipv6hdr, saddr), k.saddr,
			       e->hp_saddr, 0, k.sport, e->hp_sport) ?:
	       nb_nat6_rewrite(skb, &info, ETH_HLEN + offsetof(struct ipv6hdr, daddr), k.daddr,
			       e->nat_addr, 2, k.dport, e->nat_port) ?:
	       nb_nat6_to_endpoint(skb, e->ifindex);
}

#endif
