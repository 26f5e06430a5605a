/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv6 through the uplinks (issue 16): the flows nothing translates (a
 * network routed as it is; published ports, NAT66 and hairpin are
 * nat6.bpf.h's and hairpin6.bpf.h's, in the same nb_ct6 with kinds of their
 * own). What netbpf adds here is the rule IPv4 has (nat.bpf.h, nb_nat_in_untranslated()
 * and NB_CT_ROUTED): from outside, nothing enters a sandbox IPv6 subnet but
 * the replies of the sandboxes' own flows, and ICMPv6 errors about them.
 *
 *   uplink_out: a packet from a sandbox's IPv6 address (nb_subnets6, not the
 *     gateway's) records its flow in nb_ct6 under the key its replies
 *     arrive with, and the address pair under NB_CT6_PAIR for the later
 *     fragments of the replies; the packet passes.
 *   uplink_in: a packet to a sandbox's IPv6 address passes while such an
 *     entry lives (the conntrack timeouts of <netbpf/consts.h>: TCP by its
 *     state and windows, tracked as IPv4's nb_ct does (nb_ct6_tcp_seen():
 *     a SYN nobody answers or a closed flow ages out as fast as IPv4's, a
 *     RST or FIN outside the window is dropped as ct-invalid),
 *     UDP as answered, ICMP), else it is dropped as
 *     unpublished; malformed ones (nd.bpf.h's walk) as malformed. The
 *     gateway's address and every other destination are the host's.
 *
 * At XDP (nb_nat6_uplink_in() in xdp_uplink) what no live entry claims is
 * dropped early as unpublished; the rest passes to tc. Two global functions: their stack
 * does not add to the IPv4 paths' in the same programs.
 */
#ifndef NETBPF_CT6_BPF_H
#define NETBPF_CT6_BPF_H

#include "maps.bpf.h"
#include "ctx.bpf.h"
#include "fdb.bpf.h"
#include "nd.bpf.h"
#include "ct.bpf.h"

#define NB_ICMP6_ECHO_REQUEST 128
#define NB_ICMP6_ECHO_REPLY   129

static __always_inline bool nb_ct6_is_ipv6(nb_ctx_t *ctx)
{
	__be16 proto;

	return !nb_ctx_load(ctx, 12, &proto, 2) && proto == bpf_htons(ETH_P_IPV6);
}

/*
 * The wire tuple of the IPv6 packet whose fixed header is ip6 (a copy):
 * addresses, the protocol, the ports of TCP and UDP, ICMPv6 echo's
 * identifier (a request's as sport, a reply's as dport); a later fragment
 * gets the pair's key. 0, or a drop reason for a malformed packet.
 */
static __always_inline int nb_ct6_tuple(nb_ctx_t *ctx, const struct ipv6hdr *ip6,
					struct nb_ip6_info *info, struct nb_ct6_key *k)
{
	__u8 l4[8];
	int err;

	err = nb_ip6_walk(ctx, ip6, nb_ctx_len(ctx), info);
	if (err)
		return err;
	__builtin_memcpy(k->saddr, &ip6->saddr, 16);
	__builtin_memcpy(k->daddr, &ip6->daddr, 16);
	k->proto = info->proto;
	if (!info->l4_off) {
		if (info->frag)
			k->proto = NB_CT6_PAIR;
		return 0;
	}
	if (info->proto == IPPROTO_TCP || info->proto == IPPROTO_UDP) {
		if (info->l4_off + 4 > info->end || nb_ctx_load(ctx, info->l4_off, l4, 4))
			return -NB_DROP_MALFORMED;
		__builtin_memcpy(&k->sport, l4, 2);
		__builtin_memcpy(&k->dport, l4 + 2, 2);
	} else if (info->proto == NB_IP6_ICMP && (info->icmp_type == NB_ICMP6_ECHO_REQUEST ||
						  info->icmp_type == NB_ICMP6_ECHO_REPLY)) {
		if (info->l4_off + 8 > info->end || nb_ctx_load(ctx, info->l4_off, l4, 8))
			return -NB_DROP_MALFORMED;
		if (info->icmp_type == NB_ICMP6_ECHO_REQUEST)
			__builtin_memcpy(&k->sport, l4 + 4, 2);
		else
			__builtin_memcpy(&k->dport, l4 + 4, 2);
	}
	return 0;
}

/* The sandbox network holding a (not its gateway address), or 0 */
static __always_inline __u32 nb_ct6_sandbox_net(const __u8 *a)
{
	const struct nb_network *net;
	__s64 owner = nb_subnet6_owner(a);

	if (owner < 0)
		return 0;
	net = nb_network_lookup((__u32)owner);
	if (!net || nb_ip6_eq(a, net->gateway6))
		return 0;
	return (__u32)owner;
}

static __always_inline __u64 nb_ct6_timeout(__u8 proto, __u8 state)
{
	if (proto == IPPROTO_TCP)
		return nb_ct_timeout(IPPROTO_TCP, state);
	if (proto == IPPROTO_UDP || proto == NB_CT6_PAIR)
		return nb_ct_timeout(IPPROTO_UDP, NB_CT_S_ESTABLISHED);
	return nb_ct_timeout(IPPROTO_ICMP, 0);
}

/* A new entry's bookkeeping (the rest zero), as nb_ct_entry_init() for nb_ct */
static __always_inline void nb_ct6_entry_init(struct nb_ct6_entry *e, __u8 kind, __u8 dir,
					      __u32 net_id, __u64 now)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->created_ns = now;
	e->seen_ns = now;
	e->net_id = net_id;
	e->kind = kind;
	e->dir = dir;
}

/*
 * A packet of the untranslated flow whose entry is under k: counted, or the
 * entry created. Not inlined: a new entry's room is not its callers' stack.
 */
static __noinline void nb_ct6_touch(const struct nb_ct6_key *k, __u32 net_id, __u8 state, __u64 now)
{
	struct nb_ct6_entry *e = bpf_map_lookup_elem(&NB_MAP_CT6, k), ne = {};

	/* an expired entry under the key is a new flow's: fresh state and windows */
	if (e && (now < e->seen_ns || now - e->seen_ns <= nb_ct6_timeout(k->proto, e->state))) {
		e->packets++;
		if (now > e->seen_ns + NB_CT_REFRESH_NS)
			e->seen_ns = now;
		return;
	}
	ne.created_ns = now;
	ne.seen_ns = now;
	ne.net_id = net_id;
	ne.packets = 1;
	ne.state = state;
	bpf_map_update_elem(&NB_MAP_CT6, k, &ne, BPF_ANY);
}

static __always_inline bool nb_ct6_alive(const struct nb_ct6_key *k, __u64 now)
{
	const struct nb_ct6_entry *e = bpf_map_lookup_elem(&NB_MAP_CT6, k);

	return e && (now < e->seen_ns || now - e->seen_ns <= nb_ct6_timeout(k->proto, e->state));
}

/* The flags byte of the TCP segment at l4_off, 0 when it cannot be read */
static __always_inline __u8 nb_ct6_tcp_flags(nb_ctx_t *ctx, __u32 l4_off)
{
	__u8 flags;

	return nb_ctx_load(ctx, l4_off + 13, &flags, 1) ? 0 : flags;
}

/*
 * The key of the other entry of the translated flow whose entry e is under
 * k: the translated tuple the other way round.
 */
static __always_inline void nb_ct6_peer_key(const struct nb_ct6_key *k,
					    const struct nb_ct6_entry *e, struct nb_ct6_key *pk)
{
	pk->proto = k->proto;
	if (e->kind == NB_CT6_K_HAIRPIN) {
		/* both ends translated: hp_saddr:hp_sport -> nat_addr:nat_port */
		__builtin_memcpy(pk->saddr, e->nat_addr, 16);
		__builtin_memcpy(pk->daddr, e->hp_saddr, 16);
		pk->sport = e->nat_port;
		pk->dport = e->hp_sport;
	} else if ((e->kind == NB_CT6_K_DNAT) == (e->dir == NB_CT_DIR_ORIG)) {
		__builtin_memcpy(pk->saddr, e->nat_addr, 16);
		__builtin_memcpy(pk->daddr, k->saddr, 16);
		pk->sport = e->nat_port;
		pk->dport = k->sport;
	} else {
		__builtin_memcpy(pk->saddr, k->daddr, 16);
		__builtin_memcpy(pk->daddr, e->nat_addr, 16);
		pk->sport = k->dport;
		pk->dport = e->nat_port;
	}
}

/* The other entry of e's translated flow (pk: its key, filled here), or NULL */
static __always_inline struct nb_ct6_entry *
nb_ct6_peer(const struct nb_ct6_key *k, const struct nb_ct6_entry *e, struct nb_ct6_key *pk)
{
	struct nb_ct6_entry *peer;

	if (e->kind == NB_CT6_K_ROUTED)
		return NULL;
	nb_ct6_peer_key(k, e, pk);
	peer = bpf_map_lookup_elem(&NB_MAP_CT6, pk);
	return peer && peer->kind == e->kind && peer->dir != e->dir ? peer : NULL;
}

/*
 * A TCP segment (at l4_off, the payload ending at end) of the flow whose
 * entry is under k went through; orig: in the flow's first direction (a
 * translated flow's entry knows by its dir). Its window is checked and
 * recorded as IPv4's nb_ct_seen() does (ct.bpf.h, the same code): a RST or
 * FIN outside the receiver's window changes nothing and is refused
 * (-NB_DROP_CT_INVALID; the caller drops it). The translated kinds keep a
 * direction's window in its own entry, NB_CT6_K_ROUTED (one entry a flow)
 * both in its one. The state advances as nb_ct_seen() advances IPv4's: the
 * other direction answering makes NEW ESTABLISHED, a FIN each way CLOSED
 * (one: FIN), a RST CLOSED, and a bare SYN in the first direction after a
 * close starts over (with fresh windows). A translated flow's other entry
 * gets the same state. A global function: the peer key's stack is not the
 * callers'.
 */
__noinline int nb_ct6_tcp_seen(nb_ctx_t *ctx, const struct nb_ct6_key *k, __u32 l4_off, __u32 end,
			       bool orig)
{
	const __u8 both = NB_CT6_F_FIN_ORIG | NB_CT6_F_FIN_REPLY;
	struct nb_ct6_entry *e, *peer = NULL;
	struct nb_ct6_key pk = {};
	struct nb_ct_td *td, *td_peer;
	struct nb_ct_tcp t;
	struct tcphdr th;
	__u8 state, nflags;

	if (!ctx || !k || k->proto != IPPROTO_TCP)
		return 0;
	e = bpf_map_lookup_elem(&NB_MAP_CT6, k);
	if (!e || l4_off + sizeof(th) > end || nb_ctx_load(ctx, l4_off, &th, sizeof(th)))
		return 0;
	nb_ct_tcp_read(ctx, &th, l4_off, end - l4_off, &t);
	if (e->kind != NB_CT6_K_ROUTED)
		orig = e->dir == NB_CT_DIR_ORIG;
	state = e->state;
	nflags = e->flags;
	if (orig && state == NB_CT_S_CLOSED &&
	    (t.flags & (NB_TCP_SYN | NB_TCP_ACK)) == NB_TCP_SYN) {
		state = NB_CT_S_NEW;
		nflags = 0;
		__builtin_memset(&e->td, 0, sizeof(e->td));
		__builtin_memset(&e->td_rev, 0, sizeof(e->td_rev));
	}
	if (e->kind == NB_CT6_K_ROUTED) {
		/* the key's direction is the remote's */
		td = orig ? &e->td_rev : &e->td;
		td_peer = orig ? &e->td : &e->td_rev;
	} else {
		td = &e->td;
		if (t.flags & (NB_TCP_RST | NB_TCP_FIN))
			peer = nb_ct6_peer(k, e, &pk);
		td_peer = peer ? &peer->td : NULL;
	}
	if (!nb_ct_td_seen(td, td_peer, &t))
		return -NB_DROP_CT_INVALID;
	if (!orig && state == NB_CT_S_NEW)
		state = NB_CT_S_ESTABLISHED;
	if (t.flags & NB_TCP_FIN)
		nflags |= orig ? NB_CT6_F_FIN_ORIG : NB_CT6_F_FIN_REPLY;
	if ((t.flags & NB_TCP_RST) || (nflags & both) == both)
		state = NB_CT_S_CLOSED;
	else if ((nflags & both) && state != NB_CT_S_CLOSED)
		state = NB_CT_S_FIN;
	if (state == e->state && nflags == e->flags)
		return 0;
	e->state = state;
	e->flags = nflags;
	if (!peer)
		peer = nb_ct6_peer(k, e, &pk);
	if (peer) {
		peer->state = state;
		peer->flags = nflags;
	}
	return 0;
}

/* tc egress of an uplink, an IPv6 frame: records a sandbox's flow; passes all but a RST or
 * FIN outside its flow's window */
__noinline int nb_ct6_uplink_out(nb_ctx_t *ctx)
{
	struct nb_ct6_key k = {};
	struct nb_ip6_info info;
	struct ipv6hdr ip6;
	__be16 port;
	__u64 now;
	__u32 net_id;
	__u8 state = NB_CT_S_NEW;
	int err;

	if (!ctx || nb_ctx_load(ctx, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6)
		return NB_ACT_PASS;
	net_id = nb_ct6_sandbox_net(ip6.saddr.in6_u.u6_addr8);
	if (!net_id || nb_ct6_tuple(ctx, &ip6, &info, &k))
		return NB_ACT_PASS;
	/* an ICMPv6 error a sandbox sends starts no flow */
	if (k.proto == NB_IP6_ICMP && info.l4_off && info.icmp_type < NB_ICMP6_ECHO_REQUEST)
		return NB_ACT_PASS;
	if (k.proto == IPPROTO_TCP)
		state = nb_ct_initial_state(IPPROTO_TCP, nb_ct6_tcp_flags(ctx, info.l4_off));
	now = bpf_ktime_get_ns();
	/* the reply's key: the other way round (in place: the stack is the IPv4 paths') */
	__builtin_memcpy(k.saddr, &ip6.daddr, 16);
	__builtin_memcpy(k.daddr, &ip6.saddr, 16);
	if (k.proto != NB_CT6_PAIR) {
		port = k.sport;
		k.sport = k.dport;
		k.dport = port;
		nb_ct6_touch(&k, net_id, state, now);
		err = nb_ct6_tcp_seen(ctx, &k, info.l4_off, info.end, true);
		if (err)
			return err;
		k.sport = 0;
		k.dport = 0;
	}
	k.proto = NB_CT6_PAIR;
	nb_ct6_touch(&k, net_id, NB_CT_S_NEW, now);
	return NB_ACT_PASS;
}

/*
 * k, the key of an ICMPv6 error at l4_off, becomes the key of the flow the
 * error quotes (the sandbox's own packet, sandbox -> remote), the other way
 * round; false when it quotes another packet than one of the error's
 * destination or cannot be read. q: room for the quoted header (the
 * caller's, whose stack this shares).
 */
static __always_inline bool nb_ct6_quoted(nb_ctx_t *ctx, const struct nb_ip6_info *info,
					  struct ipv6hdr *q, struct nb_ct6_key *k)
{
	__u32 off = info->l4_off + 8;
	__u8 l4[8];

	if (nb_ctx_load(ctx, off, q, sizeof(*q)) || q->version != 6 ||
	    !nb_ip6_eq(q->saddr.in6_u.u6_addr8, k->daddr))
		return false;
	__builtin_memcpy(k->saddr, &q->daddr, 16);
	k->proto = q->nexthdr;
	k->sport = 0;
	k->dport = 0;
	off += sizeof(*q);
	if (q->nexthdr == IPPROTO_TCP || q->nexthdr == IPPROTO_UDP) {
		if (nb_ctx_load(ctx, off, l4, 4))
			return false;
		__builtin_memcpy(&k->sport, l4 + 2, 2);
		__builtin_memcpy(&k->dport, l4, 2);
	} else if (q->nexthdr == NB_IP6_ICMP) {
		if (nb_ctx_load(ctx, off, l4, 8) || l4[0] != NB_ICMP6_ECHO_REQUEST)
			return false;
		__builtin_memcpy(&k->dport, l4 + 4, 2);
	}
	return true;
}

/* tc ingress of an uplink, an IPv6 frame: into a sandbox subnet only what a flow claims */
__noinline int nb_ct6_uplink_in(nb_ctx_t *ctx)
{
	struct nb_ct6_key k = {};
	struct nb_ip6_info info;
	struct ipv6hdr ip6;
	__u64 now;
	int err;

	if (!ctx || nb_ctx_load(ctx, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6)
		return NB_ACT_PASS;
	if (!nb_ct6_sandbox_net(ip6.daddr.in6_u.u6_addr8))
		return NB_ACT_PASS;
	err = nb_ct6_tuple(ctx, &ip6, &info, &k);
	if (err)
		return err;
	now = bpf_ktime_get_ns();
	if (k.proto == NB_IP6_ICMP && info.l4_off && info.icmp_type < NB_ICMP6_ECHO_REQUEST)
		return nb_ct6_quoted(ctx, &info, &ip6, &k) && nb_ct6_alive(&k, now)
			   ? NB_ACT_PASS
			   : -NB_DROP_UNPUBLISHED;
	if (!nb_ct6_alive(&k, now))
		return -NB_DROP_UNPUBLISHED;
	return nb_ct6_tcp_seen(ctx, &k, info.l4_off, info.end, false) ?: NB_ACT_PASS;
}

#endif
