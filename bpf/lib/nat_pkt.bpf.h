/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The packet as address translation sees it: struct nb_nat_pkt (the wire
 * 5-tuple, lengths, TCP flags, fragment and ICMP kind) filled by
 * nb_nat_parse(), the classification helpers every NAT path asks (can it be
 * translated, may it open a flow, which conntrack entries a hook may use),
 * nb_nat_rewrite() that turns the packet's tuple into the translated one, and
 * the fragment records (nb_frags) that give later fragments the ports of their
 * first. docs/nat.md explains the decisions.
 */
#ifndef NETBPF_NAT_PKT_BPF_H
#define NETBPF_NAT_PKT_BPF_H

#include "maps.bpf.h"
#include "parse.bpf.h"
#include "csum.bpf.h"
#include "ct.bpf.h"

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
	__u8 icmp_type;
	__u8 frag;	      /* NB_FRAG_* */
	__u8 icmp_err;	      /* an ICMP error: see nb_nat_icmp_find() */
	struct nb_ct_tcp tcp; /* TCP: flags, and what window tracking needs */
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
		nb_ct_tcp_read(ctx, th, p->l4, p->len - (p->l4 - NB_L3), &p->tcp);
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

/* May a packet seen at `at` use entry e? */
static __always_inline bool nb_nat_entry_for(const struct nb_ct_entry *e, int at)
{
	bool inward = (e->type == NB_CT_DNAT && e->dir == NB_CT_DIR_ORIG) ||
		      (e->type == NB_CT_SNAT && e->dir == NB_CT_DIR_REPLY);
	bool outward = (e->type == NB_CT_DNAT && e->dir == NB_CT_DIR_REPLY) ||
		       (e->type == NB_CT_SNAT && e->dir == NB_CT_DIR_ORIG);
	bool routed = e->type == NB_CT_ROUTED;

	/* routed flows go through the host stack both ways, as any routed packet: the
	 * endpoint program leaves them alone, the uplink tracks them */
	if (at == NB_NAT_AT_IN)
		return inward || (routed && e->dir == NB_CT_DIR_REPLY);
	if (at == NB_NAT_AT_OUT)
		return outward || (routed && e->dir == NB_CT_DIR_ORIG);
	return outward || e->type == NB_CT_HAIRPIN;
}

/*
 * A host socket that packets with tuple k (as they arrive) belong to:
 * TCP: anything but a listener (a connection, a request, a TIME_WAIT);
 * UDP: any socket bound to it.
 */
static __always_inline bool nb_nat_host_sock(nb_ctx_t *ctx, const struct nb_ct_key *k)
{
	/* the IPv4 half of struct bpf_sock_tuple only: the whole union would cost the
	 * port search (nb_nat_claim_port()) 24 bytes of a stack that is nearly full */
	struct {
		__be32 saddr, daddr;
		__be16 sport, dport;
	} t = {k->saddr, k->daddr, k->sport, k->dport};
	struct bpf_sock *sk;
	bool busy;

	if (k->proto == IPPROTO_TCP) {
		sk = bpf_skc_lookup_tcp(ctx, (struct bpf_sock_tuple *)&t, sizeof(t),
					BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return false;
		busy = sk->state != BPF_TCP_LISTEN;
		bpf_sk_release(sk);
		return busy;
	}
	if (k->proto == IPPROTO_UDP) {
		sk = bpf_sk_lookup_udp(ctx, (struct bpf_sock_tuple *)&t, sizeof(t),
				       BPF_F_CURRENT_NETNS, 0);
		if (!sk)
			return false;
		bpf_sk_release(sk);
		return true;
	}
	return false;
}

/* the network whose subnet holds addr, or 0 */
static __always_inline __u32 nb_nat_subnet(__be32 addr)
{
	struct nb_lpm_key k = {.prefixlen = 32, .addr = addr};
	__u32 *net_id = bpf_map_lookup_elem(&NB_MAP_SUBNETS, &k);

	return net_id ? *net_id : 0;
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

/*
 * A later fragment: its ports from the record of its first fragment, when
 * there is one younger than NB_FRAG_TIMEOUT_SECS (Linux's ipfrag_time): an
 * IP id is reused soon enough that an old record must not steer a new
 * datagram's fragments.
 */
static __always_inline bool nb_nat_frag_ports(struct nb_nat_pkt *p, __u64 now)
{
	struct nb_frag_key k;
	struct nb_frag_val *v;

	nb_nat_frag_key(p, &k);
	v = bpf_map_lookup_elem(&NB_MAP_FRAGS, &k);
	if (!v)
		return false;
	if (now > v->seen_ns && now - v->seen_ns > NB_FRAG_TIMEOUT_SECS * NB_NSEC) {
		bpf_map_delete_elem(&NB_MAP_FRAGS, &k);
		return false;
	}
	p->key.sport = v->sport;
	p->key.dport = v->dport;
	return true;
}

/*
 * A first fragment starts a new datagram of its identity (addresses,
 * protocol, IP id): a record left by an older one is void, so that the new
 * datagram's later fragments are steered only if this first fragment is
 * translated (and recorded again). Called before anything is decided.
 */
static __always_inline void nb_nat_frag_forget(const struct nb_nat_pkt *p)
{
	struct nb_frag_key k;

	if (p->frag != NB_FRAG_FIRST)
		return;
	nb_nat_frag_key(p, &k);
	bpf_map_delete_elem(&NB_MAP_FRAGS, &k);
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

	if (e->type == NB_CT_ROUTED)
		return 0; /* tracked, not translated */
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

#endif
