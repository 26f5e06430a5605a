/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Address translation at the three hooks that see it, over the helpers of
 * nat_pkt.bpf.h (parsing, fragments), publish.bpf.h and dnat.bpf.h
 * (published ports, delivery), snat.bpf.h (masquerade, hairpin) and
 * nat_icmp.bpf.h (ICMP errors):
 *   nb_nat_uplink_in()     tc ingress or XDP of an uplink (bpf/uplink.bpf.c, xdp.bpf.c)
 *   nb_nat_uplink_out()    tc egress of an uplink    (bpf/uplink.bpf.c)
 *   nb_nat_from_endpoint() the endpoint program, for frames a sandbox sends
 *                          to its gateway            (bpf/endpoint.bpf.c)
 * Each returns a TC_ACT_* verdict or -NB_DROP_*; nb_nat_from_endpoint()
 * returns NB_NAT_PASS (0) for frames it leaves to the switch. The decisions
 * behind them (which packets, which paths, conflicts) are in docs/nat.md.
 */
#ifndef NETBPF_NAT_BPF_H
#define NETBPF_NAT_BPF_H

#include "nat_pkt.bpf.h"
#include "dnat.bpf.h"
#include "snat.bpf.h"
#include "nat_icmp.bpf.h"

/*
 * A packet from outside that no flow and no published port claimed: the
 * host's own business, unless it claims a sandbox's address as its source
 * (forged), or it is addressed into a sandbox network (the
 * host would route it there). Docker lets in only what is published, and so
 * does netbpf: nothing at the sandboxes' own addresses, or, on a network
 * routed without NAT (NB_NET_F_ROUTED), the published container ports of
 * that sandbox. Replies of the sandboxes' own flows never get here: their
 * conntrack entries (NB_CT_SNAT, NB_CT_ROUTED) claimed them. The gateway
 * address is the host's.
 */
static __always_inline int nb_nat_in_untranslated(const struct nb_nat_pkt *p)
{
	struct nb_network *net;
	__u32 net_id;

	/*
	 * Nothing outside holds a sandbox's address: a packet from outside that
	 * claims one is forged, to pass as a sandbox's with the host's services
	 * (a firewall rule or a server trusting the sandbox networks). New flows
	 * to published ports are checked the same way (nb_nat_source_check()).
	 */
	if (nb_nat_subnet(p->key.saddr))
		return -NB_DROP_BAD_SOURCE;
	net_id = nb_nat_subnet(p->key.daddr);
	if (!net_id)
		return NB_ACT_PASS;
	net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, &net_id);
	if (!net || p->key.daddr == net->gateway)
		return NB_ACT_PASS;
	if ((net->flags & NB_NET_F_ROUTED) && p->l4 &&
	    (p->key.proto == IPPROTO_TCP || p->key.proto == IPPROTO_UDP) &&
	    nb_publish_is_target(p->key.daddr, p->key.dport, p->key.proto))
		return NB_ACT_PASS;
	return -NB_DROP_UNPUBLISHED;
}

/*
 * Whether XDP can finish a translated packet for endpoint port ifindex with
 * TTL ttl: nb_nat_in_deliver() would send it straight into the sandbox.
 * XDP takes only those. Anything else it leaves untouched, with no flow
 * opened and nothing counted, to tc: passed on translated, it would reach
 * tc's uplink_in as a packet to a sandbox address that no flow claims (the
 * forward entry is under the client -> host tuple), dropped as unpublished.
 * A global function with scalar arguments: XDP's frame is near its limit.
 */
__noinline int nb_nat_xdp_deliverable(__u32 ifindex, __u32 ttl)
{
	struct nb_network *net;
	struct nb_port *port;

	if (!ifindex || ttl <= 1 || !nb_ctx_can_to_peer(ifindex))
		return 0;
	port = bpf_map_lookup_elem(&NB_MAP_PORTS, &ifindex);
	if (!port || port->kind != NB_PORT_ENDPOINT)
		return 0;
	net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, &port->net_id);
	return net && !(net->flags & NB_NET_F_INTERNAL);
}

/*
 * tc ingress of an uplink: published ports from outside, replies of
 * masqueraded and routed flows, ICMP errors about them. What is addressed
 * into a sandbox network beyond that is dropped (nb_nat_in_untranslated());
 * everything else (the host's own traffic) passes untouched.
 */
static __always_inline int nb_nat_uplink_in(nb_ctx_t *ctx)
{
	struct nb_nat_pkt p = {};
	struct nb_publish_val *pub;
	struct nb_ct_entry *e, fe;
	__u64 now;
	__be32 key_ip = 0;
	bool in_ct;
	int err;

	err = nb_nat_parse(ctx, &p);
	nb_nat_frag_forget(&p); /* also for a first fragment too broken to translate */
	if (err)
		return NB_ACT_PASS; /* not IPv4, or broken: the host stack's business */
	/* XDP leaves ICMP errors and fragments, untouched, to the tc program behind it */
	if (NB_XDP && (p.icmp_err || p.frag != NB_FRAG_NONE))
		return NB_ACT_PASS;
	now = bpf_ktime_get_ns();

	if (p.icmp_err) {
		struct nb_nat_icmp_plan pl = {};

		if (!nb_nat_icmp_find(ctx, &p, NB_NAT_AT_IN, now, &pl))
			return nb_nat_in_untranslated(&p);
		err = nb_nat_icmp_apply(ctx, &p, &pl);
		if (err)
			return err;
		return nb_nat_in_deliver(ctx, &p, pl.e.ifindex);
	}
	if (p.frag == NB_FRAG_LATER && !nb_nat_frag_ports(&p, now))
		return nb_nat_in_untranslated(&p);

	e = nb_ct_lookup_in(&p.key, p.tcp.flags, now, &in_ct);
	if (e) {
		if (!nb_nat_entry_for(e, NB_NAT_AT_IN))
			return nb_nat_in_untranslated(&p);
		/* XDP takes only what it can deliver; tc, the rest, untouched and uncounted */
		if (NB_XDP && !nb_nat_xdp_deliverable(e->ifindex, p.ttl))
			return NB_ACT_PASS;
		if (!nb_ct_seen(&p.key, e, &p.tcp, p.len, now))
			return -NB_DROP_CT_INVALID;
		fe = *e;
	} else {
		pub = nb_nat_publish_open(ctx, &p, nb_ctx_ifindex(ctx), &key_ip);
		if (!pub)
			return nb_nat_in_untranslated(&p);
		err = nb_nat_source_check(ctx, &p, nb_ctx_ifindex(ctx));
		if (err)
			return err;
		if (!nb_publish_allowed(key_ip, p.key.dport, p.key.proto, p.key.saddr))
			return -NB_DROP_NOT_ALLOWED;
		if (NB_XDP && !nb_nat_xdp_deliverable(pub->ifindex, p.ttl))
			return NB_ACT_PASS;
		err = nb_nat_dnat_new(&p, pub, now, in_ct, &fe);
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

/*
 * A new flow of a sandbox on a network without masquerade, leaving through
 * an uplink netbpf was given: tracked (NB_CT_ROUTED, nothing translated) so
 * that its replies may enter, the rest being kept out (see
 * nb_nat_in_untranslated()). What cannot start a flow passes untracked.
 * A global function with one entry buffer: its stack comes on top of its
 * caller's, which masquerade's port search already nearly fills.
 */
__noinline int nb_nat_routed_new(nb_ctx_t *ctx, const struct nb_nat_pkt *p, __u32 net_id, __u64 now)
{
	__u32 out = nb_ctx_ifindex(ctx);
	struct nb_neigh_key nk = {};
	struct nb_neigh_val *nv;
	struct nb_ct_entry e; /* the reply entry, then the forward one */
	struct nb_ct_key rk;
	__u8 state;
	int err;

	if (!p || !bpf_map_lookup_elem(&NB_MAP_UPLINKS, &out))
		return NB_ACT_PASS;
	if (p->frag == NB_FRAG_LATER || !nb_nat_translatable(p) ||
	    (p->key.proto == IPPROTO_ICMP && p->icmp_type != NB_ICMP_ECHO))
		return NB_ACT_PASS;
	state = nb_ct_initial_state(p->key.proto, p->tcp.flags);
	nk.net_id = net_id;
	nk.ip = p->key.saddr;
	nv = bpf_map_lookup_elem(&NB_MAP_NEIGH, &nk);

	/* nothing is translated: the reply key is the packet's own key reversed */
	rk.saddr = p->key.daddr;
	rk.daddr = p->key.saddr;
	rk.sport = p->key.dport;
	rk.dport = p->key.sport;
	rk.proto = p->key.proto;
	rk.pad[0] = rk.pad[1] = rk.pad[2] = 0;
	nb_ct_entry_init(&e, NB_CT_ROUTED, NB_CT_DIR_REPLY, state, now);
	e.nat_saddr = rk.saddr;
	e.nat_daddr = rk.daddr;
	e.nat_sport = rk.sport;
	e.nat_dport = rk.dport;
	e.ifindex = nv ? nv->ifindex : 0;
	e.net_id = net_id;
	err = nb_ct_put_reply(&p->key, &rk, &e, p->tcp.flags, now);
	if (err)
		return err;

	nb_ct_entry_init(&e, NB_CT_ROUTED, NB_CT_DIR_ORIG, state, now);
	nb_ct_td_first(&e, p->key.proto, &p->tcp);
	e.nat_saddr = p->key.saddr;
	e.nat_daddr = p->key.daddr;
	e.nat_sport = p->key.sport;
	e.nat_dport = p->key.dport;
	e.net_id = net_id;
	e.packets = 1;
	e.bytes = p->len;
	return nb_ct_put_forward(&p->key, &e, &rk) ?: NB_ACT_PASS;
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
	nb_nat_frag_forget(&p);
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
	if (p.frag == NB_FRAG_LATER && !nb_nat_frag_ports(&p, now))
		return net->flags & NB_NET_F_MASQ ? -NB_DROP_FRAG : NB_ACT_PASS;

	e = nb_ct_lookup(&p.key, p.tcp.flags, now);
	if (e && nb_nat_entry_for(e, NB_NAT_AT_OUT)) {
		if (!nb_ct_seen(&p.key, e, &p.tcp, p.len, now))
			return -NB_DROP_CT_INVALID;
		fe = *e;
	} else {
		if (!(net->flags & NB_NET_F_MASQ))
			return nb_nat_routed_new(ctx, &p, net_id, now);
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
	if (!nb_ct_seen(&p->key, e, &p->tcp, p->len, now))
		return -NB_DROP_CT_INVALID;
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
	__be32 key_ip = 0;
	int err;

	if (net->flags & NB_NET_F_INTERNAL)
		return NB_NAT_PASS;
	err = nb_nat_parse(ctx, &p);
	nb_nat_frag_forget(&p);
	if (err)
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
	if (p.frag == NB_FRAG_LATER && !nb_nat_frag_ports(&p, now))
		return NB_NAT_PASS;

	e = nb_ct_lookup(&p.key, p.tcp.flags, now);
	if (e) {
		if (e->type == NB_CT_HAIRPIN) {
			if (!nb_ct_seen(&p.key, e, &p.tcp, p.len, now))
				return -NB_DROP_CT_INVALID;
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

	pub = nb_nat_publish_open(ctx, &p, net->gw_ifindex, &key_ip);
	if (pub)
		return nb_nat_hairpin_new(ctx, &p, pub, now);
	if (net->flags & NB_NET_F_MASQ)
		return nb_nat_ep_masq(ctx, &p, port, net, now);
	return NB_NAT_PASS;
}

#endif
