/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Published ports reached from outside (DNAT) and delivery of translated
 * packets: nb_nat_publish_open() decides whether a packet without conntrack
 * entry opens a flow to a published port (the FIB must call its destination
 * local), nb_nat_dnat_new() creates the flow's conntrack pair, and the
 * delivery helpers send a translated packet into its sandbox
 * (nb_nat_to_endpoint(), as the gateway would) or out of the host
 * (nb_nat_fib() + nb_nat_send_out(), never back into the host stack).
 */
#ifndef NETBPF_DNAT_BPF_H
#define NETBPF_DNAT_BPF_H

#include "nat_pkt.bpf.h"
#include "publish.bpf.h"
#include "stats.bpf.h"

/* ---- delivery ---------------------------------------------------------- */

/*
 * Sends a translated packet into the sandbox behind endpoint port ifindex,
 * as the gateway would: destination MAC the sandbox's, source MAC the
 * gateway's, TTL decremented; counted as received by the sandbox.
 * -NB_DROP_NO_PORT (packet untouched) when ifindex is not an endpoint.
 */
static __always_inline int nb_nat_to_endpoint(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					      __u32 ifindex)
{
	struct nb_network *net;
	struct nb_port *port;
	__u8 macs[2 * ETH_ALEN];
	int err;

	port = bpf_map_lookup_elem(&NB_MAP_PORTS, &ifindex);
	if (!port || port->kind != NB_PORT_ENDPOINT)
		return -NB_DROP_NO_PORT;
	net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, &port->net_id);
	if (!net)
		return -NB_DROP_NO_PORT;
	if (net->flags & NB_NET_F_INTERNAL)
		return -NB_DROP_INTERNAL;
	if (!nb_ctx_can_to_peer(ifindex))
		return -NB_DROP_NO_PORT;
	__builtin_memcpy(macs, port->mac, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, net->gw_mac, ETH_ALEN);
	err = nb_csum_dec_ttl(ctx, NB_L3, p->ttl, p->key.proto);
	if (err)
		return err;
	if (nb_ctx_store(ctx, 0, macs, sizeof(macs)))
		return -NB_DROP_MALFORMED;
	nb_ep_count_rx(port->stats_slot, nb_ctx_len(ctx));
	return nb_ctx_to_peer(ctx, ifindex);
}

/*
 * Where a packet with source saddr, entering the host at iif, would be
 * routed. The kernel checks the MTU against the packet itself (at tc the skb, GSO aware).
 */
static __always_inline int nb_nat_fib(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __be32 saddr,
				      __u32 iif, struct bpf_fib_lookup *fib)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = NB_AF_INET;
	fib->tos = p->tos;
	fib->l4_protocol = p->key.proto;
	fib->tot_len = p->len;
	fib->ifindex = iif;
	fib->ipv4_src = saddr;
	fib->ipv4_dst = p->key.daddr;
	return bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
}

/* XDP cannot resolve a neighbour (bpf_redirect_neigh() is tc's): it needs a direct answer */
static __always_inline bool nb_nat_fib_ok(int rc)
{
	return rc == BPF_FIB_LKUP_RET_SUCCESS || (!NB_XDP && rc == BPF_FIB_LKUP_RET_NO_NEIGH);
}

/* Sends a translated packet out where nb_nat_fib() (result rc, nb_nat_fib_ok) said. */
static __always_inline int nb_nat_send_out(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					   const struct bpf_fib_lookup *fib, int rc)
{
	struct bpf_redir_neigh nh = {.nh_family = NB_AF_INET};
	__u8 macs[2 * ETH_ALEN];
	int err;

	if (p->ttl <= 1)
		return -NB_DROP_NO_ROUTE;
	err = nb_csum_dec_ttl(ctx, NB_L3, p->ttl, p->key.proto);
	if (err)
		return err;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		__builtin_memcpy(macs, fib->dmac, ETH_ALEN);
		__builtin_memcpy(macs + ETH_ALEN, fib->smac, ETH_ALEN);
		if (nb_ctx_store(ctx, 0, macs, sizeof(macs)))
			return -NB_DROP_MALFORMED;
		return bpf_redirect(fib->ifindex, 0);
	}
#if NB_XDP
	(void)nh;
	return -NB_DROP_REDIRECT; /* nb_nat_fib_ok() never lets XDP get here */
#else
	/* after the lookup ipv4_dst holds the next hop */
	nh.ipv4_nh = fib->ipv4_dst;
	return bpf_redirect_neigh(fib->ifindex, &nh, sizeof(nh), 0);
#endif
}

/* ---- published ports from outside ------------------------------------- */

/* daddr is an address of the host (iptables' --dst-type LOCAL), per the FIB */
static __always_inline bool nb_nat_is_local(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif)
{
	struct bpf_fib_lookup fib;

	return nb_nat_fib(ctx, p, p->key.saddr, iif, &fib) == BPF_FIB_LKUP_RET_NOT_FWDED;
}

/*
 * The published port p is addressed to, if any, when the FIB calls its
 * destination local; *key_ip: the host address of its nb_publish key.
 */
static __always_inline struct nb_publish_val *
nb_nat_publish_lookup(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif, __be32 *key_ip)
{
	struct nb_publish_val *v;
	bool wildcard;

	if (nb_nat_special_addr(p->key.daddr))
		return NULL;
	v = nb_publish_lookup(p->key.daddr, p->key.dport, p->key.proto, &wildcard);
	if (!v || !nb_nat_is_local(ctx, p, iif))
		return NULL;
	*key_ip = wildcard ? 0 : p->key.daddr;
	return v;
}

/*
 * The published port a packet without conntrack entry opens a flow to, if
 * any: only a TCP SYN or a UDP datagram no host socket claims can (see the
 * top of this file). The socket lookup comes last, for the rare packet that
 * matched a published port.
 */
static __always_inline struct nb_publish_val *
nb_nat_publish_open(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif, __be32 *key_ip)
{
	struct nb_publish_val *pub;

	if (p->frag == NB_FRAG_LATER)
		return NULL;
	if (p->key.proto == IPPROTO_TCP) {
		if (!nb_tcp_is_syn(p->tcp.flags))
			return NULL;
	} else if (p->key.proto != IPPROTO_UDP) {
		return NULL;
	}
	pub = nb_nat_publish_lookup(ctx, p, iif, key_ip);
	if (pub && p->key.proto == IPPROTO_UDP && nb_nat_host_sock(ctx, &p->key))
		return NULL;
	return pub;
}

/*
 * The host's source checks, which a translated packet never meets (it goes
 * straight into the sandbox): a new flow from outside to a published port
 * is refused (bad-source) when its source cannot be on the outside: a
 * martian (0.0.0.0, loopback, multicast, broadcast), a sandbox network's
 * address, or one of the host's own (the reverse route is local). And, as
 * the uplink's rp_filter asks (nb_uplink.rp_filter, read by `up`), the
 * reverse route must leave through the uplink (strict) or exist (loose).
 * One FIB lookup, for the first packet of a flow only.
 */
static __always_inline int nb_nat_source_check(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif)
{
	struct bpf_fib_lookup fib = {};
	struct nb_uplink *up;
	int rc;

	if (nb_nat_special_addr(p->key.saddr) || nb_nat_subnet(p->key.saddr))
		return -NB_DROP_BAD_SOURCE;
	fib.family = NB_AF_INET;
	fib.tos = p->tos;
	fib.l4_protocol = p->key.proto;
	fib.tot_len = p->len;
	fib.ifindex = iif;
	fib.ipv4_src = p->key.daddr;
	fib.ipv4_dst = p->key.saddr;
	/*
	 * An input-style lookup, as the kernel's fib_validate_source() does it: an
	 * output one would take the uplink as the outgoing device and skip every
	 * route that does not leave through it.
	 */
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	/* not a unicast route: the host's own address (or no way back at all) */
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return -NB_DROP_BAD_SOURCE;
	if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
		return 0; /* the FIB does not answer: nothing can be checked */
	up = bpf_map_lookup_elem(&NB_MAP_UPLINKS, &iif);
	if (!up || !up->rp_filter)
		return 0;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH &&
	    rc != BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return -NB_DROP_BAD_SOURCE; /* unreachable, blackhole, prohibit */
	if (up->rp_filter == 1 && fib.ifindex != iif)
		return -NB_DROP_BAD_SOURCE;
	return 0;
}

/*
 * A new flow from outside to published port pub: conntrack pair, fe = the
 * forward entry (the translation for p). in_ct: nb_ct holds an entry under
 * p's key (nb_ct_lookup_in()).
 */
static __always_inline int nb_nat_dnat_new(const struct nb_nat_pkt *p, struct nb_publish_val *pub,
					   __u64 now, bool in_ct, struct nb_ct_entry *fe)
{
	__u8 state = nb_ct_initial_state(p->key.proto, p->tcp.flags);
	struct nb_ct_entry re;
	struct nb_ct_key rk;
	int err;

	nb_ct_entry_init(fe, NB_CT_DNAT, NB_CT_DIR_ORIG, state, now);
	nb_ct_td_first(fe, p->key.proto, &p->tcp);
	fe->nat_saddr = p->key.saddr;
	fe->nat_daddr = pub->sb_ip;
	fe->nat_sport = p->key.sport;
	fe->nat_dport = pub->sb_port;
	fe->ifindex = pub->ifindex;
	fe->net_id = pub->net_id;
	fe->packets = 1;
	fe->bytes = p->len;

	nb_ct_entry_init(&re, NB_CT_DNAT, NB_CT_DIR_REPLY, state, now);
	re.nat_saddr = p->key.daddr;
	re.nat_daddr = p->key.saddr;
	re.nat_sport = p->key.dport;
	re.nat_dport = p->key.sport;
	re.net_id = pub->net_id;
	/* a SYN from outside: half-open until answered (see ct.bpf.h) */
	if (p->key.proto == IPPROTO_TCP && state == NB_CT_S_NEW) {
		fe->flags |= NB_CT_F_HALF_OPEN;
		re.flags |= NB_CT_F_HALF_OPEN;
	}

	nb_ct_peer_key(&p->key, fe, &rk);
	err = nb_ct_create_pair_in(&p->key, fe, &rk, &re, p->tcp.flags, now, in_ct);
	if (err)
		return err;
	__sync_fetch_and_add(&pub->conns, 1);
	return 0;
}

/* Into the sandbox directly, or (nothing lost) on into the host stack */
static __always_inline int nb_nat_in_deliver(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					     __u32 ifindex)
{
	int ret;

	if (!ifindex || p->ttl <= 1)
		return NB_ACT_PASS; /* the stack routes it to the gateway port (or sends time
				     exceeded) */
	ret = nb_nat_to_endpoint(ctx, p, ifindex);
	if (ret == -NB_DROP_NO_PORT)
		return NB_ACT_PASS;
	return ret;
}

#endif
