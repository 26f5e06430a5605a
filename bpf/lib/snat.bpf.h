/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Source translation: masquerade (a sandbox's flow leaving through an
 * uplink gets the uplink's address) and the SNAT half of hairpin. The heart
 * is nb_nat_claim_port(), which picks a free source port (ICMP: echo
 * identifier) and claims it by inserting the flow's reply entry with
 * BPF_NOEXIST; nb_nat_snat_new() builds both entries of the flow around it.
 */
#ifndef NETBPF_SNAT_BPF_H
#define NETBPF_SNAT_BPF_H

#include "nat_pkt.bpf.h"
#include "events.bpf.h"

/* ports probed for a masquerade/hairpin source port before giving up */
#define NB_NAT_TRIES 32

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
		min = NB_MASQ_PORT_MIN;
	if (!max || max > NB_MASQ_PORT_MAX)
		max = NB_MASQ_PORT_MAX;
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
	__u8 state = nb_ct_initial_state(p->key.proto, p->tcp.flags);
	__u32 pref = bpf_ntohs(p->key.proto == IPPROTO_ICMP && p->icmp_type == NB_ICMP_ECHOREPLY
				   ? p->key.dport
				   : p->key.sport);
	struct nb_nat_claim c = {};
	int port;

	nb_ct_entry_init(fe, type, NB_CT_DIR_ORIG, state, now);
	nb_ct_td_first(fe, p->key.proto, &p->tcp);
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
	c.tcp_flags = p->tcp.flags;
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

#endif
