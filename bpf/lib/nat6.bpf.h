/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Published IPv6 ports from outside (DNAT66), at the uplinks' tc hooks (and
 * XDP, below); the IPv4 design of dnat.bpf.h in its simplest form:
 *
 *   uplink_in: a TCP SYN (no ACK) or a UDP datagram no host socket claims,
 *     to (daddr, dport, proto) or (::, dport, proto) of nb_publish6 where
 *     the FIB calls daddr the host's own (iptables' --dst-type LOCAL),
 *     creates two nb_ct6 entries of kind NB_CT6_K_DNAT: the forward one
 *     under the packet's tuple (client -> host address, published port) and
 *     the reply one under the sandbox's answer's (sandbox -> client). The
 *     packet and every later one of the forward entry get the sandbox's
 *     address and port as destination, the TCP/UDP checksum adjusted for
 *     the pseudo-header, and go into the sandbox directly as IPv4's DNAT
 *     sends them (nb_nat6_to_endpoint(): the sandbox's MAC, the gateway's,
 *     the hop limit decremented, bpf_redirect_peer() to the endpoint's
 *     veth); with a hop limit of 1, or an endpoint that cannot take it
 *     (gone, an internal network), they continue into the host stack, which
 *     routes them like any packet of the subnet (or answers time exceeded).
 *   uplink_out: a packet of a reply entry (routed out by the host) gets
 *     the host address and published port as source back.
 *
 * ICMPv6 errors quoting a packet of such a flow (or of a masqueraded one)
 * are translated like it (nb_nat6_icmp(): Packet Too Big reaches the
 * sandbox, PMTU discovery works).
 * The client's address is kept (the server sees it, as Docker's ip6tables
 * mode). Later fragments get their first fragment's translation (nb_frags6,
 * nb_nat6_later_frag()). Not translated:
 * a quote with extension headers.
 *
 * Written against nb_ctx_t (ctx.bpf.h): xdp_uplink (bpf/xdp.bpf.c) runs
 * nb_nat6_uplink_in() too, for the published ports' packets it can send
 * straight into their sandbox, as IPv4's nb_nat_uplink_in() at XDP; the
 * rest, fragments and ICMPv6 errors among it, it passes untouched to tc
 * (docs/xdp.md). Masquerade (the uplink's egress) is tc's alone.
 */
#ifndef NETBPF_NAT6_BPF_H
#define NETBPF_NAT6_BPF_H

#include "ct6.bpf.h"
#include "stats.bpf.h"
#include "events.bpf.h"

#ifndef NB_NAT_TRIES
#define NB_NAT_TRIES 32 /* as snat.bpf.h */
#endif

#define NB_AF_INET6 10

static __always_inline bool nb_nat6_is_special(const __u8 *a)
{
	static const __u8 lo[16] = {[15] = 1};

	/* multicast, link-local, unspecified, loopback: never a published port's */
	return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || nb_ip6_zero(a) ||
	       nb_ip6_eq(a, lo);
}

/* daddr is one of the host's own addresses (the FIB does not forward it); iif: where the
 * packet enters the host (an uplink, or a sandbox network's gateway port) */
static __always_inline bool nb_nat6_is_local(nb_ctx_t *ctx, const struct nb_ct6_key *k, __u32 iif)
{
	struct bpf_fib_lookup fib = {};

	fib.family = NB_AF_INET6;
	fib.l4_protocol = k->proto;
	fib.ifindex = iif;
	__builtin_memcpy(fib.ipv6_src, k->saddr, 16);
	__builtin_memcpy(fib.ipv6_dst, k->daddr, 16);
	return bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) == BPF_FIB_LKUP_RET_NOT_FWDED;
}

/* A host socket bound to the datagram's destination claims it (the host's own traffic) */
static __always_inline bool nb_nat6_host_udp(nb_ctx_t *ctx, const struct nb_ct6_key *k)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	__builtin_memcpy(t.ipv6.saddr, k->saddr, 16);
	__builtin_memcpy(t.ipv6.daddr, k->daddr, 16);
	t.ipv6.sport = k->sport;
	t.ipv6.dport = k->dport;
	sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	bpf_sk_release(sk);
	return true;
}

/* The checksum difference of an address changed from old to new (< 0: the helper failed) */
static __always_inline __s64 nb_ip6_csum_diff(const __u8 *old, const __u8 *new)
{
	__u8 o[16], n[16];

	__builtin_memcpy(o, old, 16);
	__builtin_memcpy(n, new, 16);
	return bpf_csum_diff((__be32 *)o, 16, (__be32 *)n, 16, 0);
}

/*
 * Rewrites the 16-byte address at addr_off from old to new and the port at
 * l4_off + port_off from oport to nport, the TCP/UDP checksum with them
 * (the addresses are in the pseudo-header).
 */
static __always_inline int nb_nat6_rewrite(nb_ctx_t *ctx, const struct nb_ip6_info *info,
					   __u32 addr_off, const __u8 *old, const __u8 *new,
					   __u32 port_off, __be16 oport, __be16 nport)
{
	__u32 csum_off = info->l4_off + (info->proto == IPPROTO_TCP   ? 16
					 : info->proto == IPPROTO_UDP ? 6
								      : 2);
	__u64 mangled = info->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__s64 diff = nb_ip6_csum_diff(old, new);

	if (diff < 0)
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, csum_off, 0, diff, BPF_F_PSEUDO_HDR | mangled) ||
	    nb_ctx_csum_l4(ctx, csum_off, oport, nport, 2 | mangled) ||
	    nb_ctx_store(ctx, addr_off, new, 16) ||
	    nb_ctx_store(ctx, info->l4_off + port_off, &nport, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/*
 * TCP, UDP or an ICMPv6 echo (its identifier taken as the port, at 4) whose
 * header, with the checksum to adjust, is all there
 */
static __always_inline bool nb_nat6_l4_whole(const struct nb_ip6_info *info)
{
	if (info->proto == IPPROTO_TCP)
		return info->l4_off + 20 <= info->end;
	if (info->proto == NB_IP6_ICMP)
		return (info->icmp_type == NB_ICMP6_ECHO_REQUEST ||
			info->icmp_type == NB_ICMP6_ECHO_REPLY) &&
		       info->l4_off + 8 <= info->end;
	return info->proto == IPPROTO_UDP && info->l4_off + 8 <= info->end;
}

/* Where the port nb_nat6_rewrite() changes is: an echo's identifier, else dst or src port */
static __always_inline __u32 nb_nat6_port_off(const struct nb_ip6_info *info, bool dst)
{
	if (info->proto == NB_IP6_ICMP)
		return 4;
	return dst ? 2 : 0;
}

/*
 * e, found under the tuple of a packet (TCP header at l4_off) in the
 * direction that opens its kind of flow, unless that flow is over: expired,
 * or closed and the packet a SYN reusing its ports (a new flow). NULL then.
 */
static __always_inline struct nb_ct6_entry *nb_nat6_live(nb_ctx_t *ctx, struct nb_ct6_entry *e,
							 __u8 proto, __u32 l4_off, __u64 now)
{
	if (!e || (now >= e->seen_ns && now - e->seen_ns > nb_ct6_timeout(proto, e->state)))
		return NULL;
	if (e->state == NB_CT_S_CLOSED &&
	    (nb_ct6_tcp_flags(ctx, l4_off) & (NB_TCP_SYN | NB_TCP_ACK)) == NB_TCP_SYN)
		return NULL;
	return e;
}

static __always_inline void nb_nat6_count(struct nb_ct6_entry *e, __u64 now)
{
	e->packets++;
	if (now > e->seen_ns + NB_CT_REFRESH_NS)
		e->seen_ns = now;
}

/*
 * The entry a packet of tuple k (TCP/UDP at info) of a flow's opening
 * direction goes by: e, the live one found (counted), or, when there was
 * none, the one just created (*err: what creating it returned, 0 when it
 * did, 1 for no flow, or a drop); its TCP segment's window checked. NULL
 * with *err set (1: no flow) when there is none or the segment is refused.
 */
static __always_inline struct nb_ct6_entry *nb_nat6_opened(nb_ctx_t *ctx,
							   const struct nb_ct6_key *k,
							   const struct nb_ip6_info *info,
							   struct nb_ct6_entry *e, int *err)
{
	if (e) {
		nb_nat6_count(e, bpf_ktime_get_ns());
	} else if (!*err) {
		e = bpf_map_lookup_elem(&NB_MAP_CT6, k);
		if (!e)
			*err = -NB_DROP_CT_FULL;
	}
	if (e)
		*err = nb_ct6_tcp_seen(ctx, k, info->l4_off, info->end, true);
	return *err ? NULL : e;
}

/*
 * The published IPv6 port a packet without conntrack entry, entering the host
 * at iif, opens a flow to, if any
 */
static __always_inline struct nb_publish6_val *nb_nat6_publish_open(nb_ctx_t *ctx, __u32 l4_off,
								    const struct nb_ct6_key *k,
								    __u32 iif, __u8 *host_ip6)
{
	struct nb_publish6_key pk = {.host_port = k->dport, .proto = k->proto};
	struct nb_publish6_val *pub;
	__u8 flags;

	if (k->proto == IPPROTO_TCP) {
		/* a SYN without ACK: flags byte at 13 */
		if (nb_ctx_load(ctx, l4_off + 13, &flags, 1) || (flags & 0x12) != 0x02)
			return NULL;
	}
	if (nb_nat6_is_special(k->daddr))
		return NULL;
	__builtin_memcpy(pk.host_ip6, k->daddr, 16);
	pub = bpf_map_lookup_elem(&NB_MAP_PUBLISH6, &pk);
	if (!pub) {
		__builtin_memset(pk.host_ip6, 0, 16);
		pub = bpf_map_lookup_elem(&NB_MAP_PUBLISH6, &pk);
	}
	if (!pub || !nb_nat6_is_local(ctx, k, iif))
		return NULL;
	if (k->proto == IPPROTO_UDP && nb_nat6_host_udp(ctx, k))
		return NULL;
	/* the key that matched (host_ip6 zeroed for the [::] one) names its allow-list; hairpin
	 * has none to check (NULL) */
	if (host_ip6)
		__builtin_memcpy(host_ip6, pk.host_ip6, 16);
	return pub;
}

/*
 * May the source of k open a flow to the published IPv6 port (host_ip6, k's port and
 * protocol)? As nb_publish_allowed(): its allow-list's longest match, else the instance's
 * default.
 */
static __always_inline bool nb_nat6_allowed(const __u8 *host_ip6, const struct nb_ct6_key *k)
{
	struct nb_pub_allow6_key ak = {
	    .prefixlen = NB_PUB_ALLOW6_KEY_BITS + 128,
	    .proto = k->proto,
	    .host_port = k->dport,
	};
	struct nb_config *cfg;
	__u32 *v, zero = 0;

	__builtin_memcpy(ak.host_ip6, host_ip6, 16);
	__builtin_memcpy(ak.saddr6, k->saddr, 16);
	v = bpf_map_lookup_elem(&NB_MAP_PUB_ALLOW6, &ak);
	if (v)
		return *v == NB_PUB_ALLOW_OK;
	cfg = bpf_map_lookup_elem(&NB_MAP_CONFIG, &zero);
	return !cfg || !(cfg->flags & NB_CFG_F_PUBLISH_DENY);
}

/*
 * A checksum field at off changed by diff (a csum_diff of payload bytes):
 * the field, and the ICMPv6 checksum at icmp by the field's own change.
 */
static __always_inline int nb_nat6_quote_fix(nb_ctx_t *ctx, __u32 icmp, __u32 off, __s64 diff,
					     __be16 oport, __be16 nport)
{
	__be16 c_old, c_new;

	if (nb_ctx_load(ctx, off, &c_old, 2) || nb_ctx_csum_l4(ctx, off, 0, diff, 0) ||
	    nb_ctx_csum_l4(ctx, off, oport, nport, 2) || nb_ctx_load(ctx, off, &c_new, 2) ||
	    nb_ctx_csum_l4(ctx, icmp, c_old, c_new, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/*
 * The packet an ICMPv6 error (at l4_off, payload up to end) quotes, a TCP or
 * UDP one: its fixed header into q, its tuple the other way round into k
 * (where the entry translating its flow's other direction is). False for
 * another quote.
 */
static __always_inline bool nb_nat6_quote_key(nb_ctx_t *ctx, __u32 l4_off, __u32 end,
					      struct ipv6hdr *q, struct nb_ct6_key *k)
{
	__u32 qbase = l4_off + 8, qoff = qbase + sizeof(struct ipv6hdr);
	__be16 ports[2];

	if (qoff + 8 > end || nb_ctx_load(ctx, qbase, q, sizeof(*q)) || q->version != 6 ||
	    (q->nexthdr != IPPROTO_TCP && q->nexthdr != IPPROTO_UDP) ||
	    nb_ctx_load(ctx, qoff, ports, 4))
		return false;
	__builtin_memcpy(k->saddr, &q->daddr, 16);
	__builtin_memcpy(k->daddr, &q->saddr, 16);
	k->sport = ports[1];
	k->dport = ports[0];
	k->proto = q->nexthdr;
	return true;
}

/* The quoted TCP/UDP checksum's offset (quote at qoff, payload up to end), 0 when not quoted */
static __always_inline __u32 nb_nat6_quote_csum(__u8 proto, __u32 qoff, __u32 end)
{
	if (proto == IPPROTO_TCP && qoff + 18 <= end)
		return qoff + 16;
	if (proto == IPPROTO_UDP && qoff + 8 <= end)
		return qoff + 6;
	return 0;
}

/*
 * One address of an ICMPv6 error and of its quote: old, at outer_off in the
 * outer header and at qaddr_off in the quote, becomes new, and the quoted
 * port at qport_off oport -> nport; the quoted TCP/UDP checksum at qcsum (0:
 * not quoted) and the ICMPv6 checksum at icmp follow.
 */
static __always_inline int nb_nat6_icmp_side(nb_ctx_t *ctx, __u32 icmp, __u32 qcsum,
					     __u32 outer_off, __u32 qaddr_off, __u32 qport_off,
					     const __u8 *old, const __u8 *new, __be16 oport,
					     __be16 nport)
{
	__s64 diff = nb_ip6_csum_diff(old, new);

	if (diff < 0)
		return -NB_DROP_MALFORMED;
	if (qcsum && nb_nat6_quote_fix(ctx, icmp, qcsum, diff, oport, nport))
		return -NB_DROP_MALFORMED;
	/* outer: in the pseudo-header; quoted address and port: in the ICMPv6 payload */
	if (nb_ctx_csum_l4(ctx, icmp, 0, diff, BPF_F_PSEUDO_HDR) ||
	    nb_ctx_csum_l4(ctx, icmp, 0, diff, 0) || nb_ctx_csum_l4(ctx, icmp, oport, nport, 2) ||
	    nb_ctx_store(ctx, outer_off, new, 16) || nb_ctx_store(ctx, qaddr_off, new, 16) ||
	    nb_ctx_store(ctx, qport_off, &nport, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/*
 * An ICMPv6 error (at l4_off, payload up to end) quoting a packet of a
 * published IPv6 port's flow, translated like the flow: inbound (out
 * false) an error about what the client was sent (quoted: host address,
 * published port -> client) goes to the sandbox (outer destination and
 * quoted source its address and port); outbound, the sandbox's error about
 * the client's packet (quoted: client -> sandbox) leaves from the host
 * address and quotes the published port. The quoted TCP/UDP checksum when
 * the quote holds it, the ICMPv6 checksum always. NB_ACT_PASS whether or not
 * it was one: untranslated it is the host's.
 */
__noinline int nb_nat6_icmp(nb_ctx_t *ctx, __u32 l4_off, __u32 end, bool out)
{
	__u32 qbase = l4_off + 8, qoff = qbase + sizeof(struct ipv6hdr), icmp = l4_off + 2;
	__u32 outer_off =
	    ETH_HLEN + (out ? offsetof(struct ipv6hdr, saddr) : offsetof(struct ipv6hdr, daddr));
	__u32 qaddr_off =
	    qbase + (out ? offsetof(struct ipv6hdr, daddr) : offsetof(struct ipv6hdr, saddr));
	__u32 qport_off = qoff + (out ? 2 : 0), qcsum = 0;
	struct nb_ct6_entry *e;
	struct nb_ct6_key k = {};
	struct ipv6hdr q;
	__u8 o[16], n[16];
	__be16 oport;

	if (!ctx || !nb_nat6_quote_key(ctx, l4_off, end, &q, &k))
		return NB_ACT_PASS;
	e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
	/*
	 * the entry that translates the quoted packet's direction: a published
	 * port's forward entry or a masqueraded flow's reply entry rewrite
	 * towards the sandbox (inbound), the others away from it
	 */
	if (!e || (e->kind != NB_CT6_K_DNAT && e->kind != NB_CT6_K_MASQ) ||
	    (e->dir == NB_CT_DIR_ORIG) != ((e->kind == NB_CT6_K_DNAT) != out))
		return NB_ACT_PASS;
	/* the outer address is the quoted one (checked: else it is about another packet) */
	if (nb_ctx_load(ctx, outer_off, o, 16) || nb_ctx_load(ctx, qaddr_off, n, 16) ||
	    !nb_ip6_eq(o, n))
		return NB_ACT_PASS;
	oport = out ? k.sport : k.dport;
	qcsum = nb_nat6_quote_csum(q.nexthdr, qoff, end);
	return nb_nat6_icmp_side(ctx, icmp, qcsum, outer_off, qaddr_off, qport_off, o, e->nat_addr,
				 oport, e->nat_port)
		   ?: NB_ACT_PASS;
}

/*
 * The forward entry fe of a new flow, under k, its reply entry being in
 * under rk: the reply entry deleted again when fe cannot go in (as IPv4's
 * nb_ct_put_forward()), else the new flow reported. fe is the reply entry's
 * room, turned into the forward one by the caller.
 */
static __always_inline int nb_ct6_put_forward(const struct nb_ct6_key *k, struct nb_ct6_entry *fe,
					      const struct nb_ct6_key *rk)
{
	fe->dir = NB_CT_DIR_ORIG;
	fe->packets = 1;
	if (bpf_map_update_elem(&NB_MAP_CT6, k, fe, BPF_ANY)) {
		bpf_map_delete_elem(&NB_MAP_CT6, rk);
		return -NB_DROP_CT_FULL;
	}
	nb_event_nat6(k, fe);
	return 0;
}

/*
 * The endpoint port ifindex when a translated packet can go straight into
 * its sandbox (nb_nat6_to_endpoint()): an endpoint of a network that is not
 * internal, the packet's hop limit above 1 (*hop), and at XDP a port of
 * nb_xdp_devs (nb_ctx_can_to_peer()); else NULL. *net: its network.
 */
static __always_inline const struct nb_port *
nb_nat6_endpoint(nb_ctx_t *ctx, __u32 ifindex, const struct nb_network **net, __u8 *hop)
{
	const struct nb_port *port;

	if (!ifindex || !nb_ctx_can_to_peer(ifindex))
		return NULL;
	port = bpf_map_lookup_elem(&NB_MAP_PORTS, &ifindex);
	if (!port || port->kind != NB_PORT_ENDPOINT)
		return NULL;
	*net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, &port->net_id);
	if (!*net || ((*net)->flags & NB_NET_F_INTERNAL))
		return NULL;
	if (nb_ctx_load(ctx, ETH_HLEN + offsetof(struct ipv6hdr, hop_limit), hop, 1) || *hop <= 1)
		return NULL;
	return port;
}

/*
 * Whether nb_nat6_endpoint() finds ifindex, for XDP (which takes only what
 * it can deliver). A global function: its out-parameters stay out of
 * nb_nat6_uplink_in()'s frame, which lies on the program's deepest call
 * chain (-> nb_ct6_tcp_seen() -> nb_tcp_opt_wscale() -> its bpf_loop()
 * callback) under the verifier's 512 bytes.
 */
__noinline int nb_nat6_deliverable(nb_ctx_t *ctx, __u32 ifindex)
{
	const struct nb_network *net = NULL;
	__u8 hop = 0;

	return ctx && nb_nat6_endpoint(ctx, ifindex, &net, &hop);
}

/*
 * A new flow of packet tuple *k to a published port, if it opens one: its
 * two entries (the forward one under *k). 1 when it opens none, 0 when it
 * did, or a drop. At XDP it opens none that XDP could not deliver
 * (nb_nat6_deliverable()): tc opens that one, with the packet untouched. A
 * global function: its stack is not the caller's.
 */
__noinline int nb_nat6_dnat_new(nb_ctx_t *ctx, const struct nb_ct6_key *k, __u32 l4_off)
{
	struct nb_publish6_val *pub;
	struct nb_ct6_entry ne = {}, *old;
	struct nb_ct6_key rk = {};
	__u64 now = bpf_ktime_get_ns();
	__u8 host_ip6[16];

	if (!ctx || !k)
		return 1;
	pub = nb_nat6_publish_open(ctx, l4_off, k, nb_ctx_ifindex(ctx), host_ip6);
	if (!pub)
		return 1;
	if (!nb_nat6_allowed(host_ip6, k))
		return -NB_DROP_NOT_ALLOWED;
	if (NB_XDP && !nb_nat6_deliverable(ctx, pub->ifindex))
		return 1;
	/* the reply entry first: the forward one is what translates */
	nb_ct6_entry_init(&ne, NB_CT6_K_DNAT, NB_CT_DIR_REPLY, pub->net_id, now);
	__builtin_memcpy(ne.nat_addr, k->daddr, 16);
	ne.nat_port = k->dport;
	__builtin_memcpy(rk.saddr, pub->sb_ip6, 16);
	__builtin_memcpy(rk.daddr, k->saddr, 16);
	rk.sport = pub->sb_port;
	rk.dport = k->sport;
	rk.proto = k->proto;
	/*
	 * The reply key must be free, as IPv4's (nb_ct_key_taken()): absent, over, or this
	 * flow's own reply entry (its forward one evicted). Two published ports leading to
	 * one sandbox port share it for one client address and port: overwritten, the first
	 * flow's replies would leave from the second's port, and a spoofed SYN could break a
	 * flow it only knows the client's address and port of.
	 */
	old = nb_nat6_live(ctx, bpf_map_lookup_elem(&NB_MAP_CT6, &rk), k->proto, l4_off, now);
	if (old && !(old->kind == NB_CT6_K_DNAT && old->dir == NB_CT_DIR_REPLY &&
		     old->nat_port == k->dport && nb_ip6_eq(old->nat_addr, k->daddr)))
		return -NB_DROP_CT_INVALID;
	if (bpf_map_update_elem(&NB_MAP_CT6, &rk, &ne, BPF_ANY))
		return -NB_DROP_CT_FULL;
	__builtin_memcpy(ne.nat_addr, pub->sb_ip6, 16);
	ne.nat_port = pub->sb_port;
	ne.ifindex = pub->ifindex;
	if (nb_ct6_put_forward(k, &ne, &rk))
		return -NB_DROP_CT_FULL;
	__sync_fetch_and_add(&pub->conns, 1);
	return 0;
}

/*
 * A translated packet of a published port's flow into the sandbox behind
 * endpoint port ifindex, as the gateway would send it and as IPv4's
 * nb_nat_to_endpoint() does: destination MAC the sandbox's, source MAC the
 * gateway's, hop limit decremented (no IPv6 header checksum; the pseudo-
 * header has no hop limit); counted as received by the sandbox. NB_ACT_PASS
 * (packet untouched: the host routes it, or answers time exceeded) when it
 * cannot. A global function: its stack is not the caller's.
 */
__noinline int nb_nat6_to_endpoint(nb_ctx_t *ctx, __u32 ifindex)
{
	const struct nb_network *net = NULL;
	const struct nb_port *port;
	__u8 macs[2 * ETH_ALEN], hop = 0;

	if (!ctx)
		return NB_ACT_PASS;
	port = nb_nat6_endpoint(ctx, ifindex, &net, &hop);
	if (!port || !net)
		return NB_ACT_PASS;
	hop--;
	__builtin_memcpy(macs, port->mac, ETH_ALEN);
	__builtin_memcpy(macs + ETH_ALEN, net->gw_mac, ETH_ALEN);
	if (nb_ctx_store(ctx, ETH_HLEN + offsetof(struct ipv6hdr, hop_limit), &hop, 1) ||
	    nb_ctx_store(ctx, 0, macs, sizeof(macs)))
		return -NB_DROP_MALFORMED;
	nb_ep_count_rx(port->stats_slot, nb_ctx_len(ctx));
	return nb_ctx_to_peer(ctx, ifindex);
}

/*
 * The nb_frags6 key of a fragment whose fragment header directly follows
 * the fixed header (what a host fragmenting TCP or UDP sends); false for
 * another one. *first: it is the first fragment (offset 0).
 */
static __always_inline bool nb_nat6_frag_key(nb_ctx_t *ctx, struct nb_frag6_key *fk, bool *first)
{
	struct ipv6hdr ip6;
	__u8 fh[8];

	if (nb_ctx_load(ctx, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.nexthdr != NB_IP6_FRAGMENT ||
	    nb_ctx_load(ctx, ETH_HLEN + sizeof(ip6), fh, 8))
		return false;
	__builtin_memcpy(fk->saddr, &ip6.saddr, 16);
	__builtin_memcpy(fk->daddr, &ip6.daddr, 16);
	__builtin_memcpy(&fk->id, fh + 4, 4);
	fk->proto = fh[0];
	*first = !(((__u16)fh[2] << 8 | fh[3]) & 0xfff8);
	return true;
}

/*
 * After the first fragment of a datagram of flow k was translated: its
 * ports, for the later fragments (nb_nat_frag_record() of IPv4). A global
 * function: its stack is not the caller's.
 */
__noinline int nb_nat6_frag_record(nb_ctx_t *ctx, const struct nb_ct6_key *k)
{
	struct nb_frag_val v = {};
	struct nb_frag6_key fk = {};
	bool first = false;

	if (!ctx || !k || !nb_nat6_frag_key(ctx, &fk, &first) || !first)
		return 0;
	v.sport = k->sport;
	v.dport = k->dport;
	v.seen_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&NB_MAP_FRAGS6, &fk, &v, BPF_ANY);
	return 0;
}

/*
 * A later fragment (no upper-layer header) of a datagram whose first
 * fragment was translated (nb_frags6, younger than NB_FRAG_TIMEOUT_SECS as
 * IPv4's): only its address changes (the checksum is in the first
 * fragment, adjusted for the whole datagram). in: at the uplink's ingress
 * (a published port's forward entry or a masqueraded flow's reply entry:
 * the destination; the published port's into the sandbox as its first
 * fragment went), else its egress (the source). 1 when it is none of
 * those (the caller goes on as before; no verdict is 1), else the verdict.
 */
__noinline int nb_nat6_later_frag(nb_ctx_t *ctx, bool in)
{
	struct nb_frag6_key fk = {};
	struct nb_ct6_key k = {};
	struct nb_frag_val *v;
	struct nb_ct6_entry *e;
	bool first = true;
	__u64 now = bpf_ktime_get_ns();
	__u32 ifindex, off;

	if (!ctx || !nb_nat6_frag_key(ctx, &fk, &first) || first)
		return 1;
	v = bpf_map_lookup_elem(&NB_MAP_FRAGS6, &fk);
	if (!v || (now > v->seen_ns && now - v->seen_ns > NB_FRAG_TIMEOUT_SECS * NB_NSEC))
		return 1;
	__builtin_memcpy(k.saddr, fk.saddr, 16);
	__builtin_memcpy(k.daddr, fk.daddr, 16);
	k.sport = v->sport;
	k.dport = v->dport;
	k.proto = fk.proto;
	e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
	/* the entries that translate the destination (DNAT forward, masquerade reply) go in */
	if (!e || (e->kind != NB_CT6_K_DNAT && e->kind != NB_CT6_K_MASQ) ||
	    ((e->kind == NB_CT6_K_DNAT) == (e->dir == NB_CT_DIR_ORIG)) != in)
		return 1;
	nb_nat6_count(e, now);
	ifindex = e->kind == NB_CT6_K_DNAT ? e->ifindex : 0;
	off = ETH_HLEN + (in ? offsetof(struct ipv6hdr, daddr) : offsetof(struct ipv6hdr, saddr));
	if (nb_ctx_store(ctx, off, e->nat_addr, 16))
		return -NB_DROP_MALFORMED;
	return in ? nb_nat6_to_endpoint(ctx, ifindex) : NB_ACT_PASS;
}

/*
 * What XDP leaves, untouched, to the tc program behind it, as IPv4's
 * nb_nat_uplink_in() does: fragments (a first one too) and ICMPv6 errors
 */
static __always_inline bool nb_nat6_xdp_leaves(const struct nb_ip6_info *info)
{
	return info->frag || (info->l4_off && info->proto == NB_IP6_ICMP &&
			      info->icmp_type < NB_ICMP6_ECHO_REQUEST);
}

/*
 * Ingress of an uplink, an IPv6 frame: published ports, else nb_ct6_uplink_in().
 * At tc (uplink_in) and at XDP (xdp_uplink), where it finishes only a
 * published port's packet it can send straight into the sandbox
 * (nb_nat6_endpoint()) and drops early what tc would drop; everything else
 * passes untouched to tc.
 */
__noinline int nb_nat6_uplink_in(nb_ctx_t *ctx)
{
	struct nb_ct6_entry *e;
	struct nb_ct6_key k = {};
	struct nb_ip6_info info;
	struct ipv6hdr ip6;
	__u32 ifindex;
	__u64 now;
	int err;

	if (!ctx || nb_ctx_load(ctx, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6)
		return NB_ACT_PASS;
	if (nb_ct6_sandbox_net(ip6.daddr.in6_u.u6_addr8)) {
		if (!NB_XDP)
			return nb_ct6_uplink_in(ctx);
		/*
		 * XDP drops early what nb_ct6_uplink_in() would drop as unpublished (no
		 * live flow claims it) and leaves the rest, untouched, to it: its TCP
		 * state steps are tc's alone, and its call chain is not added to XDP's
		 */
		if (nb_ct6_tuple(ctx, &ip6, &info, &k) || nb_nat6_xdp_leaves(&info))
			return NB_ACT_PASS;
		return nb_ct6_alive(&k, bpf_ktime_get_ns()) ? NB_ACT_PASS : -NB_DROP_UNPUBLISHED;
	}
	if (nb_ct6_tuple(ctx, &ip6, &info, &k))
		return NB_ACT_PASS; /* the host's (a malformed one too: the host drops it) */
	if (NB_XDP && nb_nat6_xdp_leaves(&info))
		return NB_ACT_PASS;
	if (!info.l4_off) {
		err = info.frag ? nb_nat6_later_frag(ctx, true) : 1;
		return err == 1 ? NB_ACT_PASS : err;
	}
	if (info.proto == NB_IP6_ICMP && info.icmp_type < NB_ICMP6_ECHO_REQUEST)
		return nb_nat6_icmp(ctx, info.l4_off, info.end, false);
	if (!nb_nat6_l4_whole(&info))
		return NB_ACT_PASS;
	now = bpf_ktime_get_ns();
	e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
	/* a masqueraded flow's reply: to the sandbox's address and port */
	if (e && e->kind == NB_CT6_K_MASQ && e->dir == NB_CT_DIR_REPLY) {
		if (NB_XDP)
			return NB_ACT_PASS; /* tc's: it goes through the host stack */
		err = nb_ct6_tcp_seen(ctx, &k, info.l4_off, info.end, false);
		if (err)
			return err;
		nb_nat6_count(e, bpf_ktime_get_ns());
		if (info.frag)
			nb_nat6_frag_record(ctx, &k);
		return nb_nat6_rewrite(ctx, &info, ETH_HLEN + offsetof(struct ipv6hdr, daddr),
				       k.daddr, e->nat_addr, nb_nat6_port_off(&info, true), k.dport,
				       e->nat_port)
			   ?: NB_ACT_PASS;
	}
	if (k.proto == NB_IP6_ICMP || (e && (e->kind != NB_CT6_K_DNAT || e->dir != NB_CT_DIR_ORIG)))
		return NB_ACT_PASS; /* no published port takes an echo */
	e = nb_nat6_live(ctx, e, k.proto, info.l4_off, now);
	/* XDP takes only what it can deliver; tc, the rest, untouched and uncounted */
	if (NB_XDP && e && !nb_nat6_deliverable(ctx, e->ifindex))
		return NB_ACT_PASS;
	err = e ? 0 : nb_nat6_dnat_new(ctx, &k, info.l4_off);
	e = nb_nat6_opened(ctx, &k, &info, e, &err);
	if (!e)
		return err > 0 ? NB_ACT_PASS : err;
	if (info.frag)
		nb_nat6_frag_record(ctx, &k);
	ifindex = e->ifindex;
	return nb_nat6_rewrite(ctx, &info, ETH_HLEN + offsetof(struct ipv6hdr, daddr), k.daddr,
			       e->nat_addr, 2, k.dport, e->nat_port)
		   ?: nb_nat6_to_endpoint(ctx, ifindex);
}

/* ---- masquerade (NAT66) ------------------------------------------------------ */

#if !NB_XDP /* the uplink's egress: tc only */

/* A unique-local address (fc00::/7), what a masquerading network's sandboxes get translated */
static __always_inline bool nb_nat6_is_ula(const __u8 *a)
{
	return (a[0] & 0xfe) == 0xfc;
}

/* A host socket would take packets of tuple k (remote -> host address): its port is taken */
static __always_inline bool nb_nat6_host_sock(struct __sk_buff *skb, const struct nb_ct6_key *k)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	__builtin_memcpy(t.ipv6.saddr, k->saddr, 16);
	__builtin_memcpy(t.ipv6.daddr, k->daddr, 16);
	t.ipv6.sport = k->sport;
	t.ipv6.dport = k->dport;
	if (k->proto == IPPROTO_TCP)
		sk = bpf_skc_lookup_tcp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	else
		sk = bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	bpf_sk_release(sk);
	return true;
}

/*
 * Claims a source port in [min, max] for a new flow whose reply key is *rk
 * (its dport is what is claimed; on entry the port to keep when free, the
 * forward key's source port or echo identifier) by inserting the reply entry
 * re with BPF_NOEXIST, as IPv4's nb_nat_claim_port() (snat.bpf.h): that port
 * when free, else up to NB_NAT_TRIES random draws (each port once in a range
 * that small). Free: no nb_ct6 entry holds the reply key and no host socket
 * would take its packets. The port (also in rk->dport), or
 * -NB_DROP_NAT_EXHAUSTED. Not inlined: the socket lookup's tuple is not its
 * callers' stack, which holds two entries.
 */
static __noinline int nb_nat6_claim(struct __sk_buff *skb, struct nb_ct6_key *rk,
				    const struct nb_ct6_entry *re, __u32 min, __u32 max)
{
	__u32 span, port, pref, i;

	if (min > max)
		min = max;
	span = max - min + 1;
	pref = bpf_ntohs(rk->dport);
	for (i = 0; i < NB_NAT_TRIES; i++) {
		port = pref;
		if (i > 0 || port < min || port > max)
			port = span <= NB_NAT_TRIES ? min + (i % span)
						    : min + bpf_get_prandom_u32() % span;
		rk->dport = bpf_htons((__u16)port);
		if (rk->proto != NB_IP6_ICMP && nb_nat6_host_sock(skb, rk))
			continue;
		if (bpf_map_update_elem(&NB_MAP_CT6, rk, re, BPF_NOEXIST))
			continue;
		return port;
	}
	return -NB_DROP_NAT_EXHAUSTED;
}

/*
 * The source address the host would choose towards rk->saddr, into
 * rk->daddr (bpf_fib_lookup's BPF_FIB_LOOKUP_SRC, out of the uplink the
 * packet leaves by); -NB_DROP_NO_ROUTE when there is none. Not inlined: the
 * lookup's room is not masquerade's.
 */
static __noinline int nb_nat6_out_src(struct __sk_buff *skb, struct nb_ct6_key *rk)
{
	struct bpf_fib_lookup fib = {};

	fib.family = NB_AF_INET6;
	fib.l4_protocol = rk->proto;
	fib.ifindex = skb->ifindex;
	__builtin_memcpy(fib.ipv6_dst, rk->saddr, 16);
	bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SRC);
	/* the source is what is asked for, even when the lookup says more (no neighbour) */
	if (nb_ip6_zero((const __u8 *)fib.ipv6_src))
		return -NB_DROP_NO_ROUTE;
	__builtin_memcpy(rk->daddr, fib.ipv6_src, 16);
	return 0;
}

/*
 * A new masqueraded flow of a sandbox's packet with tuple *k (the uplink's
 * egress): the source the host would choose towards the destination
 * (bpf_fib_lookup's BPF_FIB_LOOKUP_SRC) and a source port as IPv4's
 * masquerade picks one (snat.bpf.h: kept when free, else random draws from
 * the uplink's range), claimed by inserting the reply entry with
 * BPF_NOEXIST, then the forward entry under *k. A global function: its loop
 * and stack are its own.
 */
__noinline int nb_nat6_masq_new(struct __sk_buff *skb, struct nb_ct6_key *k, __u32 net_id)
{
	struct nb_ct6_entry re = {};
	struct nb_ct6_key rk = {};
	struct nb_uplink *up;
	__u32 ifindex, min = NB_MASQ_PORT_MIN, max = NB_MASQ_PORT_MAX;
	__u64 now = bpf_ktime_get_ns();
	int port;

	if (!skb || !k)
		return -NB_DROP_NAT_EXHAUSTED;
	ifindex = skb->ifindex;
	rk.proto = k->proto;
	__builtin_memcpy(rk.saddr, k->daddr, 16);
	if (nb_nat6_out_src(skb, &rk))
		return -NB_DROP_NO_ROUTE;
	up = bpf_map_lookup_elem(&NB_MAP_UPLINKS, &ifindex);
	if (up && up->port_min)
		min = up->port_min;
	if (up && up->port_max && up->port_max <= NB_MASQ_PORT_MAX)
		max = up->port_max;
	/* the reply entry: remote -> uplink address, the port to find */
	rk.sport = k->dport;
	nb_ct6_entry_init(&re, NB_CT6_K_MASQ, NB_CT_DIR_REPLY, net_id, now);
	__builtin_memcpy(re.nat_addr, k->saddr, 16);
	re.nat_port = k->sport;
	rk.dport = k->sport; /* kept when free */
	port = nb_nat6_claim(skb, &rk, &re, min, max);
	if (port < 0)
		return port;
	/* the forward entry, in the reply's room (the map holds its own copy) */
	__builtin_memcpy(re.nat_addr, rk.daddr, 16);
	re.nat_port = rk.dport;
	return nb_ct6_put_forward(k, &re, &rk);
}

/* The sandbox network of a (nb_ct6_sandbox_net) when it masquerades IPv6: a ULA subnet */
static __always_inline __u32 nb_nat6_masq_net(const __u8 *a)
{
	const struct nb_network *net;
	__u32 net_id = nb_ct6_sandbox_net(a);

	if (!net_id || !nb_nat6_is_ula(a))
		return 0;
	net = nb_network_lookup(net_id);
	if (!net || !(net->flags & NB_NET_F_MASQ) || (net->flags & NB_NET_F_ROUTED))
		return 0;
	return net_id;
}

/* tc egress of an uplink, an IPv6 frame: a published flow's reply, else nb_ct6_uplink_out() */
__noinline int nb_nat6_uplink_out(struct __sk_buff *skb)
{
	struct nb_ct6_entry *e;
	__u32 net_id;
	int err;
	struct nb_ct6_key k = {};
	struct nb_ip6_info info;
	struct ipv6hdr ip6;

	if (!skb || nb_ctx_load(skb, ETH_HLEN, &ip6, sizeof(ip6)) || ip6.version != 6)
		return NB_ACT_PASS;
	if (nb_ct6_tuple(skb, &ip6, &info, &k))
		return nb_ct6_uplink_out(skb);
	if (!info.l4_off) {
		err = info.frag ? nb_nat6_later_frag(skb, false) : 1;
		return err == 1 ? nb_ct6_uplink_out(skb) : err;
	}
	/* a sandbox's error about a published flow's packet: translated, no flow of its own */
	if (info.proto == NB_IP6_ICMP && info.icmp_type < NB_ICMP6_ECHO_REQUEST &&
	    nb_ct6_sandbox_net(ip6.saddr.in6_u.u6_addr8))
		return nb_nat6_icmp(skb, info.l4_off, info.end, true); /* starts no flow */
	if (!nb_nat6_l4_whole(&info))
		return nb_ct6_uplink_out(skb);
	e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
	if (e && e->kind == NB_CT6_K_MASQ && e->dir == NB_CT_DIR_ORIG &&
	    bpf_ktime_get_ns() - e->seen_ns > nb_ct6_timeout(k.proto, e->state))
		e = NULL; /* expired: a new flow (on its old port when free) */
	if (!e) {
		net_id = nb_nat6_masq_net(ip6.saddr.in6_u.u6_addr8);
		/* of ICMPv6, an echo request starts a flow */
		if (!net_id || (k.proto == NB_IP6_ICMP && info.icmp_type != NB_ICMP6_ECHO_REQUEST))
			return nb_ct6_uplink_out(skb);
		err = nb_nat6_masq_new(skb, &k, net_id);
		if (err)
			return err;
		e = bpf_map_lookup_elem(&NB_MAP_CT6, &k);
		if (!e)
			return -NB_DROP_CT_FULL;
	} else if (!((e->kind == NB_CT6_K_DNAT && e->dir == NB_CT_DIR_REPLY) ||
		     (e->kind == NB_CT6_K_MASQ && e->dir == NB_CT_DIR_ORIG))) {
		return nb_ct6_uplink_out(skb);
	} else {
		nb_nat6_count(e, bpf_ktime_get_ns());
	}
	err = nb_ct6_tcp_seen(skb, &k, info.l4_off, info.end, false);
	if (err)
		return err;
	if (info.frag)
		nb_nat6_frag_record(skb, &k);
	return nb_nat6_rewrite(skb, &info, ETH_HLEN + offsetof(struct ipv6hdr, saddr), k.saddr,
			       e->nat_addr, nb_nat6_port_off(&info, false), k.sport, e->nat_port)
		   ?: NB_ACT_PASS;
}

#endif /* !NB_XDP */

#endif
