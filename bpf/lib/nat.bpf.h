/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Address translation: published ports (DNAT), masquerade (SNAT) and
 * hairpin, over the conntrack of ct.bpf.h. Entry points:
 *   nb_nat_uplink_in()     tc ingress of an uplink   (bpf/uplink.bpf.c)
 *   nb_nat_uplink_out()    tc egress of an uplink    (bpf/uplink.bpf.c)
 *   nb_nat_from_endpoint() the endpoint program, for frames a sandbox sends
 *                          to its gateway            (bpf/endpoint.bpf.c)
 * Each returns a TC_ACT_* verdict or -NB_DROP_*; nb_nat_from_endpoint()
 * returns NB_NAT_PASS (0) for frames it leaves to the switch.
 *
 * Decisions (the README's "NAT" section repeats them):
 *
 * Which packets are for a published port. A packet from outside is
 * translated when (daddr, dport, proto) or (0.0.0.0, dport, proto) is in
 * nb_publish AND the FIB says daddr is local to the host
 * (bpf_fib_lookup() == BPF_FIB_LKUP_RET_NOT_FWDED), which is iptables'
 * `--dst-type LOCAL`. The FIB is asked rather than a control-plane list of
 * addresses because it is always current (DHCP renumbering, addresses added
 * after `up`) and is only asked for the first packet of a flow. 127.0.0.0/8
 * and multicast/broadcast destinations are never translated. (The socket
 * hooks cannot call the FIB; they use nb_local_addrs, see sock.bpf.c.)
 * A flow is only created by what can start one: a TCP SYN without ACK, or
 * a UDP datagram that no host socket claims (bpf_sk_lookup_udp()), so the
 * replies to the host's own connections are never taken for new flows to a
 * published port that happens to equal their local port.
 *
 * Paths. Inbound (published port, masquerade replies): translated at the
 * uplink's ingress and sent straight into the sandbox with
 * bpf_redirect_peer() (MACs as the gateway writes them, TTL decremented,
 * rx counted); only when that is impossible (no endpoint entry, TTL about
 * to expire) does the packet continue into the host stack, which routes it
 * to the gateway port like any packet for the subnet. Outbound (replies of
 * published flows, masquerade): translated by the endpoint program and sent
 * out with bpf_fib_lookup() + bpf_redirect() (bpf_redirect_neigh() when the
 * neighbour is not resolved yet), never back into the host stack, where a
 * packet with a host source address would be a martian. When the FIB cannot
 * give a direct answer (fragmentation needed, unreachable, a lookup the
 * kernel declines) the packet goes up the host stack untranslated, and the
 * uplink's egress program translates it there: the same conntrack, the
 * same result. The host's forwarding must be on (`up` enables it, as
 * Docker does): the FIB lookups report FWD_DISABLED otherwise.
 *
 * Masquerade. A sandbox on a network with NB_NET_F_MASQ whose packet
 * leaves through an uplink netbpf was given (nb_uplinks, from `up
 * --uplink`) gets the uplink's address as source; other interfaces route
 * sandbox addresses unchanged. The source port is kept when the reply tuple
 * it implies is free, else up to NB_NAT_TRIES random ports of the uplink's
 * range are probed (each port once when the range is that small); random
 * draws rather than a run from a random start, because kept ports fill a
 * sandbox's ephemeral range as one dense block where a run finds nothing;
 * ICMP echo identifiers likewise, over the whole 16-bit space. A port is
 * free when no conntrack entry holds the reply tuple, short of one that may
 * be taken over (expired, or a TCP flow closed by FINs or RST when a SYN
 * opens the new one, as Linux reuses TIME_WAIT tuples), and no host socket
 * would take the replies (bpf_skc_lookup_tcp(): anything but a listener;
 * bpf_sk_lookup_udp(): any bound socket): the host's own connections from
 * the uplink address are never hijacked. The reply entry is claimed with
 * BPF_NOEXIST, so two CPUs cannot take the same port. No free port: the
 * packet is dropped as NB_DROP_NAT_EXHAUSTED; existing flows are
 * unaffected. TCP, UDP and ICMP echo are translated; other protocols from a
 * masquerading network are dropped (NB_DROP_UNSUPPORTED) rather than leak a
 * private source. Masquerade flows start on any packet (a flow whose entry
 * the LRU evicted picks up again, on its old port when free), so a
 * masquerading network is reachable from outside only through published
 * ports: the answers to anything routed in directly leave translated.
 *
 * XDP (bpf/xdp.bpf.c, `up --mode xdp`). The same code runs at an uplink's
 * XDP hook, nb_ctx_t being struct xdp_md there (ctx.bpf.h): nb_nat_uplink_in()
 * translates published-port flows and masquerade replies and sends them into
 * the sandbox through the nb_xdp_devs devmap; ICMP errors and fragments pass
 * untouched to the tc program, as does anything not translated. The paths
 * from an endpoint (nb_nat_from_endpoint()) stay tc's.
 *
 * Hairpin. A sandbox reaching a published port (host address, gateway
 * address, its own port) is DNATed to the target and SNATed to the target
 * network's gateway address (port allocated as for masquerade), then
 * redirected straight into the target: the target answers its gateway, its
 * own endpoint program finds the reply entry, reverses both and redirects
 * into the client. The SNAT is needed so that the reply comes back through
 * netbpf even when client and target share a subnet.
 *
 * ICMP errors (destination unreachable incl. fragmentation needed, time
 * exceeded, parameter problem) quoting a translated packet are translated
 * like the flow: the quoted header's addresses and ports (echo id) are
 * rewritten with its IP checksum and, when the quote is long enough to hold
 * it, its L4 checksum (as Linux's NAT does), the ICMP checksum adjusted,
 * the outer address that belongs to the flow rewritten, and the error
 * delivered where the flow goes (into the sandbox for inbound errors, so
 * PMTU discovery works through NAT).
 *
 * IP fragments. The first fragment carries the L4 header: it is translated
 * like any packet and, when it was, records (addresses, IP id, protocol)
 * -> ports in nb_frags. Later fragments are translated from that record
 * (addresses only: the L4 checksum lives in the first fragment). A later
 * fragment without a record is left alone at the uplink's ingress (it may
 * be the host's own traffic), and dropped as NB_DROP_FRAG where it would
 * leave a masquerading network untranslated. Fragments overtaking their
 * first fragment are therefore lost; the sender's retransmission (or PMTU
 * discovery) recovers. Fragments are never reassembled.
 *
 * Conflicts. Published-port and masquerade flows share nb_ct: a packet is
 * looked up there before nb_publish, and masquerade never picks a port
 * whose reply tuple is taken, so the two cannot confuse each other. Two
 * published addresses that lead to the same sandbox port, used by the same
 * client address and port at once, would need the same reply tuple: the
 * second flow is refused (NB_DROP_CT_INVALID) while the first lives.
 *
 * Published ports of an --internal network (which the control plane does
 * not create) would be dropped (NB_DROP_INTERNAL); sandboxes of internal
 * networks never reach this code (nb_nat_from_endpoint() passes them to the
 * switch, which keeps them in).
 */
#ifndef NETBPF_NAT_BPF_H
#define NETBPF_NAT_BPF_H

#include "maps.bpf.h"
#include "parse.bpf.h"
#include "csum.bpf.h"
#include "ct.bpf.h"
#include "stats.bpf.h"
#include "events.bpf.h"

#define NB_NAT_PASS 0 /* nb_nat_from_endpoint(): not mine, the switch continues */

#define NB_AF_INET   2
#define NB_IP_MF     0x2000
#define NB_IP_OFFSET 0x1fff

#define NB_ICMP_ECHOREPLY     0
#define NB_ICMP_DEST_UNREACH  3
#define NB_ICMP_ECHO	      8
#define NB_ICMP_TIME_EXCEEDED 11
#define NB_ICMP_PARAMETERPROB 12

/* ports probed for a masquerade/hairpin source port before giving up */
#define NB_NAT_TRIES	32
#define NB_NAT_PORT_MIN 1024
#define NB_NAT_PORT_MAX 65535

/* the IPv4 header always follows an untagged Ethernet header on these paths */
#define NB_L3 ETH_HLEN

enum { NB_FRAG_NONE, NB_FRAG_FIRST, NB_FRAG_LATER };

/* which program asks: decides which conntrack entries a packet may use */
enum { NB_NAT_AT_IN, NB_NAT_AT_OUT, NB_NAT_AT_EP };

struct nb_nat_pkt {
	struct nb_ct_key key; /* wire tuple (later fragments: ports from nb_frags) */
	__u32 l4;	      /* offset of the L4 header; 0 for a later fragment */
	__u32 len;	      /* host: IPv4 total length */
	__be16 ipid;
	__u8 ttl;
	__u8 tos;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 frag;     /* NB_FRAG_* */
	__u8 icmp_err; /* an ICMP error: see nb_nat_icmp_find() */
};

/* ---- parsing ----------------------------------------------------------- */

/*
 * Fills p from the frame. 1: not IPv4 (nothing to translate); 0: p is
 * complete; -NB_DROP_MALFORMED: a broken IPv4 packet (p->key.saddr/daddr
 * are set when the IPv4 header itself was readable).
 */
static __always_inline int nb_nat_parse(nb_ctx_t *ctx, struct nb_nat_pkt *p)
{
	struct nb_cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;
	__u16 frag_off;
	__u8 *l4;
	int err;

#if !NB_XDP
	/* a tag held in metadata (VLAN offload) belongs to a sub-interface: not ours */
	if (ctx->vlan_present)
		return 1;
#endif
	nb_pull_headers(ctx, true);
	nb_cursor_init(&c, ctx);
	eth = nb_parse_eth(&c);
	if (!eth)
		return 1;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return 1;
	err = nb_parse_ipv4(&c, nb_ctx_len(ctx) - ETH_HLEN, &iph);
	if (err)
		return -NB_DROP_MALFORMED;
	p->key.saddr = iph->saddr;
	p->key.daddr = iph->daddr;
	p->key.proto = iph->protocol;
	p->len = bpf_ntohs(iph->tot_len);
	p->ipid = iph->id;
	p->ttl = iph->ttl;
	p->tos = iph->tos;
	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & NB_IP_OFFSET) {
		p->frag = NB_FRAG_LATER;
		return 0;
	}
	p->frag = frag_off & NB_IP_MF ? NB_FRAG_FIRST : NB_FRAG_NONE;
	l4 = c.pos;
	p->l4 = (__u32)((long)l4 - (long)nb_ctx_data(ctx));

	switch (p->key.proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = nb_cursor_take(&c, sizeof(*th));

		if (!th || p->l4 - NB_L3 + sizeof(*th) > p->len)
			return -NB_DROP_MALFORMED;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = nb_cursor_take(&c, sizeof(*uh));

		if (!uh || p->l4 - NB_L3 + sizeof(*uh) > p->len)
			return -NB_DROP_MALFORMED;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
		break;
	}
	case IPPROTO_ICMP: {
		struct icmphdr *ih = nb_cursor_take(&c, sizeof(*ih));

		if (!ih || p->l4 - NB_L3 + sizeof(*ih) > p->len)
			return -NB_DROP_MALFORMED;
		p->icmp_type = ih->type;
		if (ih->type == NB_ICMP_ECHO)
			p->key.sport = ih->un.echo.id;
		else if (ih->type == NB_ICMP_ECHOREPLY)
			p->key.dport = ih->un.echo.id;
		else if (ih->type == NB_ICMP_DEST_UNREACH || ih->type == NB_ICMP_TIME_EXCEEDED ||
			 ih->type == NB_ICMP_PARAMETERPROB)
			p->icmp_err = 1;
		break;
	}
	}
	return 0;
}

/* TCP, UDP and ICMP echo have the ports/identifier a translation needs */
static __always_inline bool nb_nat_translatable(const struct nb_nat_pkt *p)
{
	if (p->key.proto == IPPROTO_TCP || p->key.proto == IPPROTO_UDP)
		return true;
	return p->key.proto == IPPROTO_ICMP &&
	       (p->icmp_type == NB_ICMP_ECHO || p->icmp_type == NB_ICMP_ECHOREPLY);
}

static __always_inline bool nb_tcp_is_syn(__u8 flags)
{
	return (flags & (NB_TCP_SYN | NB_TCP_ACK | NB_TCP_RST)) == NB_TCP_SYN;
}

/* never translated to or from: loopback, multicast, limited broadcast, 0.0.0.0 */
static __always_inline bool nb_nat_special_addr(__be32 a)
{
	__u32 h = bpf_ntohl(a);

	return (h >> 24) == 127 || (h >> 28) == 0xe || h == 0xffffffff || h == 0;
}

/* ---- fragments --------------------------------------------------------- */

static __always_inline void nb_nat_frag_key(const struct nb_nat_pkt *p, struct nb_frag_key *k)
{
	k->saddr = p->key.saddr;
	k->daddr = p->key.daddr;
	k->id = p->ipid;
	k->proto = p->key.proto;
	k->pad = 0;
}

/* A later fragment: its ports from the record of its first fragment. */
static __always_inline bool nb_nat_frag_ports(struct nb_nat_pkt *p)
{
	struct nb_frag_key k;
	struct nb_frag_val *v;

	nb_nat_frag_key(p, &k);
	v = bpf_map_lookup_elem(&NB_MAP_FRAGS, &k);
	if (!v)
		return false;
	p->key.sport = v->sport;
	p->key.dport = v->dport;
	return true;
}

/* After a first fragment was translated: remember its ports for the rest. */
static __always_inline void nb_nat_frag_record(const struct nb_nat_pkt *p, __u64 now)
{
	struct nb_frag_key k;
	struct nb_frag_val v = {.sport = p->key.sport, .dport = p->key.dport, .seen_ns = now};

	if (p->frag != NB_FRAG_FIRST)
		return;
	nb_nat_frag_key(p, &k);
	bpf_map_update_elem(&NB_MAP_FRAGS, &k, &v, BPF_ANY);
}

/* ---- rewriting --------------------------------------------------------- */

/* Rewrites p's packet from p->key to the tuple e translates it into. */
static __always_inline int nb_nat_rewrite(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					  const struct nb_ct_entry *e)
{
	__u32 ipc = NB_L3 + offsetof(struct iphdr, check);
	struct nb_csum_l4 l4;
	int err;

	nb_csum_l4_init(&l4, p->key.proto, p->l4);
	err = nb_csum_store_addr(ctx, NB_L3 + offsetof(struct iphdr, saddr), ipc, &l4, p->key.saddr,
				 e->nat_saddr);
	if (err)
		return err;
	err = nb_csum_store_addr(ctx, NB_L3 + offsetof(struct iphdr, daddr), ipc, &l4, p->key.daddr,
				 e->nat_daddr);
	if (err)
		return err;
	if (!p->l4)
		return 0;
	if (p->key.proto == IPPROTO_TCP || p->key.proto == IPPROTO_UDP) {
		err = nb_csum_store_l4_u16(ctx, p->l4, &l4, p->key.sport, e->nat_sport);
		if (err)
			return err;
		return nb_csum_store_l4_u16(ctx, p->l4 + 2, &l4, p->key.dport, e->nat_dport);
	}
	if (p->key.proto == IPPROTO_ICMP) {
		/* the identifier is the "source port" of a request, the "destination port" of a
		 * reply */
		if (p->icmp_type == NB_ICMP_ECHO)
			return nb_csum_store_l4_u16(ctx, p->l4 + 4, &l4, p->key.sport,
						    e->nat_sport);
		if (p->icmp_type == NB_ICMP_ECHOREPLY)
			return nb_csum_store_l4_u16(ctx, p->l4 + 4, &l4, p->key.dport,
						    e->nat_dport);
	}
	return 0;
}

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

/* ---- published ports --------------------------------------------------- */

/* daddr is an address of the host (iptables' --dst-type LOCAL), per the FIB */
static __always_inline bool nb_nat_is_local(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif)
{
	struct bpf_fib_lookup fib;

	return nb_nat_fib(ctx, p, p->key.saddr, iif, &fib) == BPF_FIB_LKUP_RET_NOT_FWDED;
}

/* The published port p is addressed to, if any: exact host address first, then 0.0.0.0. */
static __always_inline struct nb_publish_val *
nb_nat_publish_lookup(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif)
{
	struct nb_publish_key k = {
	    .host_ip = p->key.daddr,
	    .host_port = p->key.dport,
	    .proto = p->key.proto,
	};
	struct nb_publish_val *v;

	if (nb_nat_special_addr(p->key.daddr))
		return NULL;
	v = bpf_map_lookup_elem(&NB_MAP_PUBLISH, &k);
	if (!v) {
		k.host_ip = 0;
		v = bpf_map_lookup_elem(&NB_MAP_PUBLISH, &k);
		if (!v)
			return NULL;
	}
	if (!nb_nat_is_local(ctx, p, iif))
		return NULL;
	return v;
}

/*
 * A host socket that packets with tuple k (as they arrive) belong to:
 * TCP: anything but a listener (a connection, a request, a TIME_WAIT);
 * UDP: any socket bound to it.
 */
static __always_inline bool nb_nat_host_sock(nb_ctx_t *ctx, const struct nb_ct_key *k)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	bool busy;

	t.ipv4.saddr = k->saddr;
	t.ipv4.daddr = k->daddr;
	t.ipv4.sport = k->sport;
	t.ipv4.dport = k->dport;
	if (k->proto == IPPROTO_TCP) {
		sk = bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return false;
		busy = sk->state != BPF_TCP_LISTEN;
		bpf_sk_release(sk);
		return busy;
	}
	if (k->proto == IPPROTO_UDP) {
		sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return false;
		bpf_sk_release(sk);
		return true;
	}
	return false;
}

/*
 * The published port a packet without conntrack entry opens a flow to, if
 * any: only a TCP SYN or a UDP datagram no host socket claims can (see the
 * top of this file). The socket lookup comes last, for the rare packet that
 * matched a published port.
 */
static __always_inline struct nb_publish_val *
nb_nat_publish_open(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 iif)
{
	struct nb_publish_val *pub;

	if (p->frag == NB_FRAG_LATER)
		return NULL;
	if (p->key.proto == IPPROTO_TCP) {
		if (!nb_tcp_is_syn(p->tcp_flags))
			return NULL;
	} else if (p->key.proto != IPPROTO_UDP) {
		return NULL;
	}
	pub = nb_nat_publish_lookup(ctx, p, iif);
	if (pub && p->key.proto == IPPROTO_UDP && nb_nat_host_sock(ctx, &p->key))
		return NULL;
	return pub;
}

/*
 * A new flow from outside to published port pub: conntrack pair, fe = the
 * forward entry (the translation for p).
 */
static __always_inline int nb_nat_dnat_new(const struct nb_nat_pkt *p, struct nb_publish_val *pub,
					   __u64 now, struct nb_ct_entry *fe)
{
	__u8 state = nb_ct_initial_state(p->key.proto, p->tcp_flags);
	struct nb_ct_entry re;
	struct nb_ct_key rk;
	int err;

	nb_ct_entry_init(fe, NB_CT_DNAT, NB_CT_DIR_ORIG, state, now);
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

	nb_ct_peer_key(&p->key, fe, &rk);
	err = nb_ct_create_pair(&p->key, fe, &rk, &re, p->tcp_flags, now);
	if (err)
		return err;
	__sync_fetch_and_add(&pub->conns, 1);
	return 0;
}

/* ---- source translation (masquerade, hairpin) ------------------------- */

/* What nb_nat_claim_port() needs (BPF functions take at most five arguments) */
struct nb_nat_claim {
	struct nb_ct_key fk;   /* the flow's forward key */
	struct nb_ct_key rk;   /* its reply key; dport is what is being claimed */
	struct nb_ct_entry re; /* the reply entry to insert */
	__u32 min, max;	       /* host: the range */
	__u32 pref;	       /* host: the port to keep when free */
	__u32 tcp_flags;       /* of the packet opening the flow */
	__u64 now;
};

/*
 * Claims a source port (ICMP: identifier) in [min, max] for the flow of c
 * by inserting its reply entry under the reply key with that port. A port
 * is taken while a flow that cannot be reused (nb_ct_reusable) holds the
 * reply key, or a host socket does. Returns the port (host order, also left
 * in c->rk.dport) or -NB_DROP_NAT_EXHAUSTED.
 *
 * A global function: the verifier checks its bounded loop once, not once
 * per call site and path of every program that includes this header.
 */
__noinline int nb_nat_claim_port(nb_ctx_t *ctx, struct nb_nat_claim *c)
{
	__u32 min, max, span, start, port, i;
	struct nb_ct_entry *old;

	if (!c) /* the verifier checks a global function for any argument */
		return -NB_DROP_NAT_EXHAUSTED;
	min = c->min;
	max = c->max;
	if (!min)
		min = NB_NAT_PORT_MIN;
	if (!max || max > NB_NAT_PORT_MAX)
		max = NB_NAT_PORT_MAX;
	if (min > max)
		min = max;
	span = max - min + 1;
	start = bpf_get_prandom_u32();

	for (i = 0; i < NB_NAT_TRIES; i++) {
		if (i == 0 && c->pref >= min && c->pref <= max)
			port = c->pref;
		else if (span <= NB_NAT_TRIES)
			port = min + (start + i) % span; /* a small range: each port once */
		else
			/*
			 * Independent draws, not a run from one start: kept source
			 * ports fill a sandbox's ephemeral range in one dense block,
			 * and a run starting inside it would find nothing while the
			 * rest of the range is free.
			 */
			port = min + bpf_get_prandom_u32() % span;
		c->rk.dport = bpf_htons((__u16)port);
		old = bpf_map_lookup_elem(&NB_MAP_CT, &c->rk);
		if (old && !nb_ct_reusable(old, c->rk.proto, c->tcp_flags, c->now) &&
		    !nb_ct_is_peer_of(old, &c->fk))
			continue;
		if (nb_nat_host_sock(ctx, &c->rk))
			continue;
		/* NOEXIST: of two CPUs picking the same free port one wins, one retries */
		if (bpf_map_update_elem(&NB_MAP_CT, &c->rk, &c->re, old ? BPF_ANY : BPF_NOEXIST))
			continue;
		return port;
	}
	return -NB_DROP_NAT_EXHAUSTED;
}

/*
 * A new flow whose source becomes snat_ip:<allocated port> and destination
 * dnat_ip:dnat_port (masquerade: the packet's own). fwd_ifindex: where the
 * translated packets go (0 = outward), back_ifindex: the endpoint replies go
 * into. fe = the forward entry.
 */
static __always_inline int nb_nat_snat_new(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u8 type,
					   __be32 snat_ip, __u32 port_min, __u32 port_max,
					   __be32 dnat_ip, __be16 dnat_port, __u32 fwd_ifindex,
					   __u32 back_ifindex, __u32 net_id, __u64 now,
					   struct nb_ct_entry *fe)
{
	__u8 state = nb_ct_initial_state(p->key.proto, p->tcp_flags);
	__u32 pref = bpf_ntohs(p->key.proto == IPPROTO_ICMP && p->icmp_type == NB_ICMP_ECHOREPLY
				   ? p->key.dport
				   : p->key.sport);
	struct nb_nat_claim c = {};
	int port;

	nb_ct_entry_init(fe, type, NB_CT_DIR_ORIG, state, now);
	fe->nat_saddr = snat_ip;
	fe->nat_daddr = dnat_ip;
	fe->nat_dport = dnat_port;
	fe->ifindex = fwd_ifindex;
	fe->net_id = net_id;
	fe->packets = 1;
	fe->bytes = p->len;

	nb_ct_entry_init(&c.re, type, NB_CT_DIR_REPLY, state, now);
	c.re.nat_saddr = p->key.daddr;
	c.re.nat_daddr = p->key.saddr;
	c.re.nat_sport = p->key.dport;
	c.re.nat_dport = p->key.sport;
	c.re.ifindex = back_ifindex;
	c.re.net_id = net_id;

	/* the reply key with the port still open: nb_ct_peer_key() of fe */
	c.fk = p->key;
	c.rk.saddr = dnat_ip;
	c.rk.daddr = snat_ip;
	c.rk.sport = dnat_port;
	c.rk.proto = p->key.proto;
	c.min = port_min;
	c.max = port_max;
	c.pref = pref;
	c.tcp_flags = p->tcp_flags;
	c.now = now;
	port = nb_nat_claim_port(ctx, &c);
	if (port < 0)
		return port;
	fe->nat_sport = bpf_htons((__u16)port);
	if (bpf_map_update_elem(&NB_MAP_CT, &p->key, fe, BPF_ANY)) {
		bpf_map_delete_elem(&NB_MAP_CT, &c.rk);
		return -NB_DROP_CT_FULL;
	}
	/* nb_ct_create_pair() reports the flows it creates; this path claims its own */
	nb_event_nat(&p->key, fe);
	return 0;
}

/* A masquerade flow leaving through uplink up; back_ifindex: the sandbox's endpoint port */
static __always_inline int nb_nat_masq_new(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					   const struct nb_uplink *up, __u32 back_ifindex,
					   __u32 net_id, __u64 now, struct nb_ct_entry *fe)
{
	if (p->frag == NB_FRAG_LATER)
		return -NB_DROP_FRAG;
	if (!nb_nat_translatable(p))
		return -NB_DROP_UNSUPPORTED;
	/* an echo reply (or any ICMP but a request) cannot open a flow */
	if (p->key.proto == IPPROTO_ICMP && p->icmp_type != NB_ICMP_ECHO)
		return -NB_DROP_UNSUPPORTED;
	/* echo identifiers are not ports: any 16-bit value will do */
	if (p->key.proto == IPPROTO_ICMP)
		return nb_nat_snat_new(ctx, p, NB_CT_SNAT, up->ip, 1, 65535, p->key.daddr,
				       p->key.dport, 0, back_ifindex, net_id, now, fe);
	return nb_nat_snat_new(ctx, p, NB_CT_SNAT, up->ip, up->port_min, up->port_max, p->key.daddr,
			       p->key.dport, 0, back_ifindex, net_id, now, fe);
}

/* ---- ICMP errors ------------------------------------------------------- */

struct nb_nat_icmp_plan {
	struct nb_ct_entry e; /* the flow's entry for the reversed quoted tuple */
	struct nb_ct_key rk;  /* that reversed quoted tuple */
	__u32 in_l3;	      /* offset of the quoted IPv4 header */
	__u32 in_l4;	      /* offset of the quoted L4 header */
	__u8 in_icmp_type;    /* quoted ICMP echo: its type */
	__be32 outer_saddr;   /* outer addresses after translation */
	__be32 outer_daddr;
};

/* May a packet seen at `at` use entry e? */
static __always_inline bool nb_nat_entry_for(const struct nb_ct_entry *e, int at)
{
	bool inward = (e->type == NB_CT_DNAT && e->dir == NB_CT_DIR_ORIG) ||
		      (e->type == NB_CT_SNAT && e->dir == NB_CT_DIR_REPLY);
	bool outward = (e->type == NB_CT_DNAT && e->dir == NB_CT_DIR_REPLY) ||
		       (e->type == NB_CT_SNAT && e->dir == NB_CT_DIR_ORIG);

	if (at == NB_NAT_AT_IN)
		return inward;
	if (at == NB_NAT_AT_OUT)
		return outward;
	return outward || e->type == NB_CT_HAIRPIN;
}

/*
 * An ICMP error quotes the packet it is about: for a translated flow that
 * packet went the other way, so the flow's entry is found under the quoted
 * tuple reversed. 1 and a plan when the error belongs to a flow usable at
 * `at`, 0 when not (the packet is left alone).
 */
static __always_inline int nb_nat_icmp_find(nb_ctx_t *ctx, const struct nb_nat_pkt *p, int at,
					    __u64 now, struct nb_nat_icmp_plan *pl)
{
	struct iphdr ih;
	struct nb_ct_entry *e;
	__u8 l4[8];

	pl->in_l3 = p->l4 + sizeof(struct icmphdr);
	if (nb_ctx_load(ctx, pl->in_l3, &ih, sizeof(ih)))
		return 0;
	if (ih.version != 4 || ih.ihl < 5 || (ih.frag_off & bpf_htons(NB_IP_OFFSET)))
		return 0;
	pl->in_l4 = pl->in_l3 + ih.ihl * 4;
	/* the quote must hold the ports, inside the IPv4 packet (not the frame's padding) */
	if (pl->in_l4 + sizeof(l4) > NB_L3 + p->len)
		return 0;
	if (nb_ctx_load(ctx, pl->in_l4, l4, sizeof(l4)))
		return 0;

	/* the reversed quoted tuple */
	__builtin_memset(&pl->rk, 0, sizeof(pl->rk));
	pl->rk.saddr = ih.daddr;
	pl->rk.daddr = ih.saddr;
	pl->rk.proto = ih.protocol;
	if (ih.protocol == IPPROTO_TCP || ih.protocol == IPPROTO_UDP) {
		pl->rk.sport = *(__be16 *)&l4[2];
		pl->rk.dport = *(__be16 *)&l4[0];
	} else if (ih.protocol == IPPROTO_ICMP) {
		pl->in_icmp_type = l4[0];
		/* a quoted request's id is its "sport", so it is the reverse's "dport" */
		if (l4[0] == NB_ICMP_ECHO)
			pl->rk.dport = *(__be16 *)&l4[4];
		else if (l4[0] == NB_ICMP_ECHOREPLY)
			pl->rk.sport = *(__be16 *)&l4[4];
		else
			return 0;
	} else {
		return 0;
	}

	e = nb_ct_lookup(&pl->rk, 0, now);
	if (!e || !nb_nat_entry_for(e, at))
		return 0;
	pl->e = *e;
	pl->outer_saddr = p->key.saddr == pl->rk.saddr ? e->nat_saddr : p->key.saddr;
	pl->outer_daddr = p->key.daddr == pl->rk.daddr ? e->nat_daddr : p->key.daddr;
	return 1;
}

/*
 * The checksums a change inside the quoted packet must be carried into:
 * the ICMP message's own (always), the quoted IPv4 header's (addresses) and
 * the quoted L4 checksum when the quote includes it (UDP: unless 0).
 */
struct nb_nat_quote_csum {
	__u32 icmp;	/* offset of the ICMP checksum */
	__u32 ip;	/* offset of the quoted IPv4 header checksum */
	__u32 l4;	/* offset of the quoted L4 checksum, 0 = absent */
	__u64 l4_flags; /* BPF_F_MARK_MANGLED_0 for UDP */
	bool l4_pseudo; /* addresses are in it (TCP, UDP; not ICMP) */
};

/* Rewrites a checksum field at off by (old -> new, size bytes) and the ICMP checksum by its change.
 */
static __always_inline int nb_nat_quote_fix(nb_ctx_t *ctx, __u32 icmp, __u32 off, __u64 flags,
					    __u32 old, __u32 new, __u32 size)
{
	__be16 c_old, c_new;

	if (nb_ctx_load(ctx, off, &c_old, 2))
		return -NB_DROP_MALFORMED;
	/* flags without BPF_F_PSEUDO_HDR: plain arithmetic on the field, skb->csum untouched */
	if (nb_ctx_csum_l4(ctx, off, old, new, flags | size))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_load(ctx, off, &c_new, 2))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, icmp, c_old, c_new, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/* A quoted address (off: its offset in the packet) */
static __always_inline int nb_nat_quote_addr(nb_ctx_t *ctx, const struct nb_nat_quote_csum *q,
					     __u32 off, __be32 old, __be32 new)
{
	int err;

	if (old == new)
		return 0;
	err = nb_nat_quote_fix(ctx, q->icmp, q->ip, 0, old, new, 4);
	if (!err && q->l4 && q->l4_pseudo)
		err = nb_nat_quote_fix(ctx, q->icmp, q->l4, q->l4_flags, old, new, 4);
	if (err)
		return err;
	if (nb_ctx_store(ctx, off, &new, 4))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, q->icmp, old, new, 4))
		return -NB_DROP_MALFORMED;
	return 0;
}

/* A quoted port or echo identifier */
static __always_inline int nb_nat_quote_u16(nb_ctx_t *ctx, const struct nb_nat_quote_csum *q,
					    __u32 off, __be16 old, __be16 new)
{
	int err;

	if (old == new)
		return 0;
	if (q->l4) {
		err = nb_nat_quote_fix(ctx, q->icmp, q->l4, q->l4_flags, old, new, 2);
		if (err)
			return err;
	}
	if (nb_ctx_store(ctx, off, &new, 2))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, q->icmp, old, new, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/*
 * Applies a plan: the quoted packet becomes what the flow's other direction
 * looked like before translation, the outer addresses follow the flow.
 */
static __always_inline int nb_nat_icmp_apply(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					     const struct nb_nat_icmp_plan *pl)
{
	__u32 ipc = NB_L3 + offsetof(struct iphdr, check);
	const struct nb_ct_entry *e = &pl->e;
	struct nb_nat_quote_csum q = {
	    .icmp = p->l4 + offsetof(struct icmphdr, checksum),
	    .ip = pl->in_l3 + offsetof(struct iphdr, check),
	};
	struct nb_csum_l4 none = {};
	__be16 c;
	int err;

	/* the quoted L4 checksum, where the quote is long enough to hold it */
	if (pl->rk.proto == IPPROTO_UDP) {
		if (!nb_ctx_load(ctx, pl->in_l4 + 6, &c, 2) && c) {
			q.l4 = pl->in_l4 + 6;
			q.l4_flags = BPF_F_MARK_MANGLED_0;
			q.l4_pseudo = true;
		}
	} else if (pl->rk.proto == IPPROTO_TCP) {
		if (pl->in_l4 + 18 <= NB_L3 + p->len && !nb_ctx_load(ctx, pl->in_l4 + 16, &c, 2)) {
			q.l4 = pl->in_l4 + 16;
			q.l4_pseudo = true;
		}
	} else {
		q.l4 = pl->in_l4 + 2; /* an echo's checksum: no pseudo header */
	}

	err = nb_csum_store_addr(ctx, NB_L3 + offsetof(struct iphdr, saddr), ipc, &none,
				 p->key.saddr, pl->outer_saddr);
	if (err)
		return err;
	err = nb_csum_store_addr(ctx, NB_L3 + offsetof(struct iphdr, daddr), ipc, &none,
				 p->key.daddr, pl->outer_daddr);
	if (err)
		return err;
	/* quoted: saddr was rk.daddr, daddr was rk.saddr */
	err = nb_nat_quote_addr(ctx, &q, pl->in_l3 + offsetof(struct iphdr, saddr), pl->rk.daddr,
				e->nat_daddr);
	if (err)
		return err;
	err = nb_nat_quote_addr(ctx, &q, pl->in_l3 + offsetof(struct iphdr, daddr), pl->rk.saddr,
				e->nat_saddr);
	if (err)
		return err;
	if (pl->rk.proto == IPPROTO_ICMP) {
		if (pl->in_icmp_type == NB_ICMP_ECHO)
			return nb_nat_quote_u16(ctx, &q, pl->in_l4 + 4, pl->rk.dport, e->nat_dport);
		return nb_nat_quote_u16(ctx, &q, pl->in_l4 + 4, pl->rk.sport, e->nat_sport);
	}
	err = nb_nat_quote_u16(ctx, &q, pl->in_l4, pl->rk.dport, e->nat_dport);
	if (err)
		return err;
	return nb_nat_quote_u16(ctx, &q, pl->in_l4 + 2, pl->rk.sport, e->nat_sport);
}

/* ---- uplink ingress ---------------------------------------------------- */

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

/*
 * tc ingress of an uplink: published ports from outside, replies of
 * masqueraded flows, ICMP errors about either. Everything else (the host's
 * own traffic) passes untouched.
 */
static __always_inline int nb_nat_uplink_in(nb_ctx_t *ctx)
{
	struct nb_nat_pkt p = {};
	struct nb_publish_val *pub;
	struct nb_ct_entry *e, fe;
	__u64 now;
	int err;

	if (nb_nat_parse(ctx, &p))
		return NB_ACT_PASS; /* not IPv4, or broken: the host stack's business */
	/* XDP leaves ICMP errors and fragments, untouched, to the tc program behind it */
	if (NB_XDP && (p.icmp_err || p.frag != NB_FRAG_NONE))
		return NB_ACT_PASS;
	now = bpf_ktime_get_ns();

	if (p.icmp_err) {
		struct nb_nat_icmp_plan pl = {};

		if (!nb_nat_icmp_find(ctx, &p, NB_NAT_AT_IN, now, &pl))
			return NB_ACT_PASS;
		err = nb_nat_icmp_apply(ctx, &p, &pl);
		if (err)
			return err;
		return nb_nat_in_deliver(ctx, &p, pl.e.ifindex);
	}
	if (p.frag == NB_FRAG_LATER && !nb_nat_frag_ports(&p))
		return NB_ACT_PASS;

	e = nb_ct_lookup(&p.key, p.tcp_flags, now);
	if (e) {
		if (!nb_nat_entry_for(e, NB_NAT_AT_IN))
			return NB_ACT_PASS;
		nb_ct_seen(&p.key, e, p.tcp_flags, p.len, now);
		fe = *e;
	} else {
		pub = nb_nat_publish_open(ctx, &p, nb_ctx_ifindex(ctx));
		if (!pub)
			return NB_ACT_PASS;
		err = nb_nat_dnat_new(&p, pub, now, &fe);
		if (err)
			return err;
	}
	err = nb_nat_rewrite(ctx, &p, &fe);
	if (err)
		return err;
	nb_nat_frag_record(&p, now);
	return nb_nat_in_deliver(ctx, &p, fe.ifindex);
}

/* ---- uplink egress ----------------------------------------------------- */

/* the network whose subnet holds addr, or 0 */
static __always_inline __u32 nb_nat_subnet(__be32 addr)
{
	struct nb_lpm_key k = {.prefixlen = 32, .addr = addr};
	__u32 *net_id = bpf_map_lookup_elem(&NB_MAP_SUBNETS, &k);

	return net_id ? *net_id : 0;
}

/*
 * tc egress of an uplink: what the host stack forwards out of a sandbox
 * network (the endpoint program sends most of it out itself, see the top of
 * this file): replies of published flows, masquerade, ICMP errors.
 */
static __always_inline int nb_nat_uplink_out(nb_ctx_t *ctx)
{
	struct nb_nat_pkt p = {};
	struct nb_network *net;
	struct nb_uplink *up;
	struct nb_ct_entry *e, fe;
	__u32 net_id, back = 0;
	struct nb_neigh_key nk;
	struct nb_neigh_val *nv;
	__u64 now;
	int err;

	err = nb_nat_parse(ctx, &p);
	if (err > 0)
		return NB_ACT_PASS;
	now = bpf_ktime_get_ns();
	net_id = p.key.saddr ? nb_nat_subnet(p.key.saddr) : 0;
	if (err < 0)
		/* a sandbox's broken packet cannot be translated: do not leak it */
		return net_id ? err : NB_ACT_PASS;

	if (p.icmp_err) {
		/* also the host's own errors about translated packets (TTL, MTU) */
		struct nb_nat_icmp_plan pl = {};

		if (!nb_nat_icmp_find(ctx, &p, NB_NAT_AT_OUT, now, &pl))
			return NB_ACT_PASS;
		err = nb_nat_icmp_apply(ctx, &p, &pl);
		return err ? err : NB_ACT_PASS;
	}
	if (!net_id)
		return NB_ACT_PASS;
	net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, &net_id);
	if (!net)
		return NB_ACT_PASS;
	if (p.frag == NB_FRAG_LATER && !nb_nat_frag_ports(&p))
		return net->flags & NB_NET_F_MASQ ? -NB_DROP_FRAG : NB_ACT_PASS;

	e = nb_ct_lookup(&p.key, p.tcp_flags, now);
	if (e && nb_nat_entry_for(e, NB_NAT_AT_OUT)) {
		nb_ct_seen(&p.key, e, p.tcp_flags, p.len, now);
		fe = *e;
	} else {
		if (!(net->flags & NB_NET_F_MASQ))
			return NB_ACT_PASS; /* routed with its own address */
		back = nb_ctx_ifindex(ctx);
		up = bpf_map_lookup_elem(&NB_MAP_UPLINKS, &back);
		if (!up)
			return NB_ACT_PASS; /* not an uplink netbpf was told about */
		nk.net_id = net_id;
		nk.ip = p.key.saddr;
		nv = bpf_map_lookup_elem(&NB_MAP_NEIGH, &nk);
		back = nv ? nv->ifindex : 0;
		err = nb_nat_masq_new(ctx, &p, up, back, net_id, now, &fe);
		if (err)
			return err;
	}
	err = nb_nat_rewrite(ctx, &p, &fe);
	if (err)
		return err;
	nb_nat_frag_record(&p, now);
	return NB_ACT_PASS;
}

/* ---- from an endpoint -------------------------------------------------- */

/* An outward flow's packet, sent out directly when the FIB allows. */
static __always_inline int nb_nat_ep_out(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					 struct nb_ct_entry *e, const struct nb_network *net,
					 __u64 now)
{
	struct bpf_fib_lookup fib;
	int rc, err;

	rc = nb_nat_fib(ctx, p, e->nat_saddr, net->gw_ifindex, &fib);
	if (!nb_nat_fib_ok(rc) || p->ttl <= 1)
		return NB_NAT_PASS; /* untouched through the stack: the uplink translates it */
	nb_ct_seen(&p->key, e, p->tcp_flags, p->len, now);
	err = nb_nat_rewrite(ctx, p, e);
	if (err)
		return err;
	nb_nat_frag_record(p, now);
	return nb_nat_send_out(ctx, p, &fib, rc);
}

/* A new hairpin flow: a sandbox reaching published port pub. */
static __always_inline int nb_nat_hairpin_new(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					      struct nb_publish_val *pub, __u64 now)
{
	struct nb_network *tnet;
	struct nb_port *tport;
	struct nb_ct_entry fe;
	int err;

	tport = bpf_map_lookup_elem(&NB_MAP_PORTS, &pub->ifindex);
	if (!tport || tport->kind != NB_PORT_ENDPOINT)
		return NB_NAT_PASS;
	tnet = bpf_map_lookup_elem(&NB_MAP_NETWORKS, &tport->net_id);
	if (!tnet)
		return NB_NAT_PASS;
	if (p->ttl <= 1)
		return -NB_DROP_NO_ROUTE;
	err = nb_nat_snat_new(ctx, p, NB_CT_HAIRPIN, tnet->gateway, 0, 0, pub->sb_ip, pub->sb_port,
			      pub->ifindex, nb_ctx_ifindex(ctx), tport->net_id, now, &fe);
	if (err)
		return err;
	__sync_fetch_and_add(&pub->conns, 1);
	err = nb_nat_rewrite(ctx, p, &fe);
	if (err)
		return err;
	nb_nat_frag_record(p, now);
	return nb_nat_to_endpoint(ctx, p, pub->ifindex);
}

/* A new masquerade flow, when it leaves through an uplink and can be sent out directly. */
static __always_inline int nb_nat_ep_masq(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					  const struct nb_port *port, const struct nb_network *net,
					  __u64 now)
{
	struct bpf_fib_lookup fib;
	struct nb_uplink *up;
	struct nb_ct_entry fe;
	int rc, err;

	if (nb_nat_subnet(p->key.daddr))
		return NB_NAT_PASS; /* to another network through the host: routed */
	if (p->frag == NB_FRAG_LATER || !nb_nat_translatable(p) || p->ttl <= 1)
		return NB_NAT_PASS; /* the uplink decides (and counts) */
	rc = nb_nat_fib(ctx, p, p->key.saddr, net->gw_ifindex, &fib);
	if (!nb_nat_fib_ok(rc))
		return NB_NAT_PASS;
	up = bpf_map_lookup_elem(&NB_MAP_UPLINKS, &fib.ifindex);
	if (!up)
		return NB_NAT_PASS;
	err = nb_nat_masq_new(ctx, p, up, nb_ctx_ifindex(ctx), port->net_id, now, &fe);
	if (err)
		return err;
	err = nb_nat_rewrite(ctx, p, &fe);
	if (err)
		return err;
	nb_nat_frag_record(p, now);
	return nb_nat_send_out(ctx, p, &fib, rc);
}

/*
 * Called by the endpoint program for an IPv4 frame its sandbox sent to the
 * gateway MAC (anti-spoofing done), right before it would redirect it to
 * the gateway port. Returns NB_NAT_PASS when the frame is not NAT's (the
 * switch continues), else a TC_ACT_* verdict or -NB_DROP_*.
 */
static __always_inline int nb_nat_from_endpoint(nb_ctx_t *ctx, const struct nb_port *port,
						const struct nb_network *net)
{
	struct nb_nat_pkt p = {};
	struct nb_publish_val *pub;
	struct nb_ct_entry *e;
	__u64 now;
	int err;

	if (net->flags & NB_NET_F_INTERNAL)
		return NB_NAT_PASS;
	if (nb_nat_parse(ctx, &p))
		return NB_NAT_PASS;
	now = bpf_ktime_get_ns();

	if (p.icmp_err) {
		struct nb_nat_icmp_plan pl = {};
		struct bpf_fib_lookup fib;
		int rc;

		if (!nb_nat_icmp_find(ctx, &p, NB_NAT_AT_EP, now, &pl))
			return NB_NAT_PASS;
		if (pl.e.type == NB_CT_HAIRPIN) {
			err = nb_nat_icmp_apply(ctx, &p, &pl);
			return err ? err : nb_nat_to_endpoint(ctx, &p, pl.e.ifindex);
		}
		rc = nb_nat_fib(ctx, &p, pl.outer_saddr, net->gw_ifindex, &fib);
		if (!nb_nat_fib_ok(rc))
			return NB_NAT_PASS;
		err = nb_nat_icmp_apply(ctx, &p, &pl);
		return err ? err : nb_nat_send_out(ctx, &p, &fib, rc);
	}
	if (p.frag == NB_FRAG_LATER && !nb_nat_frag_ports(&p))
		return NB_NAT_PASS;

	e = nb_ct_lookup(&p.key, p.tcp_flags, now);
	if (e) {
		if (e->type == NB_CT_HAIRPIN) {
			nb_ct_seen(&p.key, e, p.tcp_flags, p.len, now);
			err = nb_nat_rewrite(ctx, &p, e);
			if (err)
				return err;
			nb_nat_frag_record(&p, now);
			return nb_nat_to_endpoint(ctx, &p, e->ifindex);
		}
		if (nb_nat_entry_for(e, NB_NAT_AT_EP))
			return nb_nat_ep_out(ctx, &p, e, net, now);
		return NB_NAT_PASS;
	}

	pub = nb_nat_publish_open(ctx, &p, net->gw_ifindex);
	if (pub)
		return nb_nat_hairpin_new(ctx, &p, pub, now);
	if (net->flags & NB_NET_F_MASQ)
		return nb_nat_ep_masq(ctx, &p, port, net, now);
	return NB_NAT_PASS;
}

#endif
