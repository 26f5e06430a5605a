/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The endpoint port: every frame a sandbox sends on one of its networks, as
 * seen at the host-side veth (nbe*), for both hooks (ctx.bpf.h):
 *
 *   1. the port: nb_ports[ifindex] must be an endpoint (else no-port);
 *   2. anti-spoofing: source MAC, IPv4 source and ARP sender must be the
 *      endpoint's own;
 *   3. ARP requests are answered here (arp.bpf.h) and the reply goes back
 *      out to the sandbox;
 *   4. broadcast/multicast is flooded to the network (flood.bpf.h), to the
 *      host only when enable_icc=false;
 *   5. unicast follows the FDB: another endpoint -> straight into its sandbox
 *      (unless enable_icc=false); on an overlay network, an endpoint of another
 *      host (nb_remote) -> VXLAN toward that host (overlay.bpf.h; XDP passes
 *      it to tc); the gateway -> routed policy (policy.bpf.h),
 *      then address translation for IPv4 (nat.bpf.h: published-port replies,
 *      masquerade, hairpin), and what NAT leaves alone enters the gateway
 *      device, where the host stack takes over; anything else is dropped.
 *
 * IPv6 (ep_ipv6()) gets the same: its source checked (the endpoint's
 * address or link-local address), neighbour solicitations answered here
 * (nd.bpf.h), router advertisements and redirects dropped, unicast switched
 * by MAC as IPv4 is, and to the host only on a network with IPv6, through
 * the routed policy by nb_subnets6 (policy.bpf.h). Frames of other
 * ethertypes are MAC-checked and switched like any frame. Tagged frames are
 * refused: the tag would hide the IP header from the checks above.
 *
 * Written against nb_ctx_t, it also builds at XDP (drops, ARP replies with
 * XDP_TX, endpoint-to-endpoint unicast through bpf_redirect_map(), the rest
 * passed untouched to tc), where issue 8's XDP mode ran it on the host side of
 * every endpoint; no XDP program runs it since issue 20 (docs/xdp.md says why).
 */
#ifndef NETBPF_ENDPOINT_BPF_H
#define NETBPF_ENDPOINT_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "drop.bpf.h"
#include "stats.bpf.h"
#include "fdb.bpf.h"
#include "arp.bpf.h"
#include "policy.bpf.h"
#include "nat.bpf.h"
#if !NB_XDP
#include "flood.bpf.h"
#include "hairpin6.bpf.h"
#endif
#include "mcast.bpf.h"
#include "overlay.bpf.h"
#include "nd.bpf.h"

/* ep_ipv6(): the frame now holds the neighbour advertisement for its sender */
#define EP_ND_ANSWERED 1000

/* Who sent a frame and where it was headed, for the counters and so a drop
 * can be charged to its target too. */
struct ep_fwd {
	__u32 src_slot; /* the sending endpoint's stats slot, 0 before its port is known */
	__u32 dst;	/* destination endpoint's ifindex, 0 when not (yet) known */
	__u32 dst_slot; /* its stats slot */
};

static __always_inline int ep_arp(nb_ctx_t *ctx, struct nb_cursor *c, struct ethhdr *eth,
				  const struct nb_port *port, __u32 len)
{
	struct nb_arp *arp;
	int err;

	err = nb_parse_arp(c, &arp);
	if (err)
		return err;
	if (!nb_mac_eq(arp->sha, port->mac) || arp->spa != port->ip)
		return -NB_DROP_SPOOF_ARP;
	err = nb_arp_answer(eth, arp, port->net_id, nb_ctx_ifindex(ctx));
	if (err)
		return err;
	nb_ep_count_rx(port->stats_slot, len);
	/* egress of the host side: the veth hands the reply to the sandbox */
	return nb_ctx_back_out(ctx);
}

/*
 * IPv6 from a sandbox, after its fixed header (ip6):
 *   - the extension headers are walked (nd.bpf.h): a payload length beyond
 *     the frame, a header beyond the payload or a chain too long: malformed;
 *   - router advertisements and redirects: router-msg, wherever they go (a
 *     sandbox is never a router: it could become the host's (accept_ra) or
 *     its neighbours' default route, CVE-2020-13401); neighbour discovery in
 *     a fragment (RFC 6980): malformed;
 *   - the source must be the endpoint's address or its link-local address
 *     (EUI-64 of its MAC); :: only for duplicate address detection (and the
 *     MLD reports Linux sends before it has an address, dropped below);
 *   - neighbour solicitations are answered here (nd.bpf.h), never switched;
 *     an advertisement's target and target link-layer option must be the
 *     endpoint's own, and multicast ones are dropped (nobody needs them);
 *   - the multicast link control of mcast.bpf.h is dropped.
 * 0: switch the frame as any other; EP_ND_ANSWERED; or a drop reason.
 */
static __always_inline int ep_ipv6(nb_ctx_t *ctx, struct ethhdr *eth, struct ipv6hdr *ip6,
				   const struct nb_port *port, __u32 len)
{
	const __u8 *src = ip6->saddr.in6_u.u6_addr8;
	bool mcast = nb_mac_is_multicast(eth->h_dest);
	const struct nb_network *net;
	struct nb_ip6_info info;
	__u8 type;
	int err;

	err = nb_ip6_walk(ctx, ip6, len, &info);
	if (err)
		return err;
	if (info.proto != NB_IP6_ICMP || !info.l4_off) {
		if (nb_ip6_zero(src) || (!nb_ip6_is_ll_of(src, port->mac) &&
					 (nb_ip6_zero(port->ip6) || !nb_ip6_eq(src, port->ip6))))
			return -NB_DROP_SPOOF_IP6;
		return 0;
	}
	type = info.icmp_type;
	if (type == NB_ND_RA || type == NB_ND_REDIRECT)
		return -NB_DROP_ROUTER_MSG;
	if (info.frag && type >= NB_ND_RS && type <= NB_ND_REDIRECT)
		return -NB_DROP_MALFORMED;
	if (nb_ip6_zero(src)) {
		if (type != NB_ND_NS)
			return mcast && nb_mcast_link_control(type) ? -NB_DROP_LINK_CONTROL
								    : -NB_DROP_SPOOF_IP6;
	} else if (!nb_ip6_is_ll_of(src, port->mac) &&
		   (nb_ip6_zero(port->ip6) || !nb_ip6_eq(src, port->ip6))) {
		return -NB_DROP_SPOOF_IP6;
	}
	switch (type) {
	case NB_ND_NS:
		net = nb_network_lookup(port->net_id);
		if (!net)
			return NB_XDP ? NB_ACT_PASS : -NB_DROP_NO_PORT;
		err = nb_nd_answer(ctx, ip6, &info, port->net_id, nb_ctx_ifindex(ctx),
				   net->gw_ifindex, eth->h_source, true);
		return err ?: EP_ND_ANSWERED;
	case NB_ND_NA:
		err = nb_nd_check_na(ctx, ip6, &info, port);
		if (err)
			return err;
		return mcast ? -NB_DROP_LINK_CONTROL : 0;
	}
	return mcast && nb_mcast_link_control(type) ? -NB_DROP_LINK_CONTROL : 0;
}

#if !NB_XDP
int endpoint_nat6(struct __sk_buff *skb);

/*
 * The programs "endpoint" tail-calls (bpf/endpoint.bpf.c), each with a stack of
 * its own: the endpoint program's IPv4 and IPv6 paths fill its 512 bytes.
 * Pinned, so that its entries outlive the loading process; libbpf fills them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, NB_EP_TAIL_COUNT);
	__uint(key_size, sizeof(__u32));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, int(struct __sk_buff *));
} NB_MAP_EP_TAIL SEC(".maps") = {
    .values = {[NB_EP_TAIL_NAT6] = (void *)&endpoint_nat6},
};

/*
 * "endpoint_nat6": an IPv6 frame the sandbox behind this port sent to its
 * gateway, after the routed policy: hairpin (hairpin6.bpf.h), else on to the
 * gateway port as the switch sends it
 */
static __always_inline int ep_nat6(struct __sk_buff *skb, struct ep_fwd *fwd)
{
	const struct nb_network *net;
	const struct nb_port *port;
	int ret;

	port = nb_port_lookup(skb->ifindex);
	if (!port || port->kind != NB_PORT_ENDPOINT)
		return -NB_DROP_NO_PORT;
	fwd->src_slot = port->stats_slot;
	net = nb_network_lookup(port->net_id);
	if (!net)
		return -NB_DROP_NO_PORT;
	ret = nb_nat6_from_endpoint(skb, net->gw_ifindex);
	return ret != NB_NAT_PASS ? ret : bpf_redirect(net->gw_ifindex, BPF_F_INGRESS);
}
#endif

/* A frame for the gateway (or its broadcast; host: the host may hear it):
 * the tc part of the switch */
static __always_inline int ep_to_host(nb_ctx_t *ctx, const struct nb_port *port,
				      const struct nb_network *net, const struct nb_fdb_val *fdb,
				      bool ipv4, bool ipv6, bool host)
{
#if NB_XDP
	(void)ctx, (void)port, (void)net, (void)fdb, (void)ipv4, (void)ipv6, (void)host;
	return NB_ACT_PASS;
#else
	int err;

	if (!fdb) {
		/* with enable_icc=false only the host hears a sandbox's broadcasts */
		if (!(net->flags & NB_NET_F_ICC))
			return host ? bpf_redirect(net->gw_ifindex, BPF_F_INGRESS)
				    : -NB_DROP_NO_IPV6;
		return nb_flood_frame(ctx, port->net_id, ctx->ifindex, host ? net->gw_ifindex : 0);
	}
	/* published ports (hairpin), their replies, masquerade: see nat.bpf.h */
	if (ipv4) {
		err = nb_nat_from_endpoint(ctx, port, net);
		if (err != NB_NAT_PASS)
			return err;
	}
	/* IPv6: the rest is endpoint_nat6's; it comes back only when the call fails. As
	 * IPv4's, an internal network's sandboxes are not hairpinned (nat.bpf.h) */
	if (ipv6 && !(net->flags & NB_NET_F_INTERNAL))
		bpf_tail_call(ctx, &NB_MAP_EP_TAIL, NB_EP_TAIL_NAT6);
	return bpf_redirect(fdb->ifindex, BPF_F_INGRESS);
#endif
}

/* A frame for the gateway (fdb), or broadcast (fdb NULL): the network's
 * policy, then the tc part */
static __always_inline int ep_for_host(nb_ctx_t *ctx, const struct nb_port *port,
				       const struct nb_fdb_val *fdb, const struct iphdr *iph,
				       const struct ipv6hdr *ip6)
{
	const struct nb_network *net = nb_network_lookup(port->net_id);
	int err = 0;

	if (!net)
		return NB_XDP ? NB_ACT_PASS : -NB_DROP_NO_PORT;
	/* a network without IPv6: the sandboxes' IPv6 multicast floods to them only */
	if (!fdb)
		return ep_to_host(ctx, port, net, NULL, false, false,
				  !ip6 || nb_policy_ipv6_to_host(net));
	if (ip6 && !nb_policy_ipv6_to_host(net))
		return -NB_DROP_NO_IPV6;
	if (iph)
		err = nb_policy_routed_ipv4(net, port->net_id, iph->daddr);
	else if (ip6)
		err = nb_policy_routed_ipv6(net, port->net_id, &ip6->daddr);
	if (err)
		return err;
	return ep_to_host(ctx, port, net, fdb, iph != NULL, ip6 != NULL, true);
}

/* A unicast frame for a MAC no local port of the network has: on an overlay network, an
 * endpoint of another host gets it through the tunnel (tc) */
static __always_inline int ep_to_remote(nb_ctx_t *ctx, const struct nb_port *port, const __u8 *dmac)
{
	if (!(port->net_flags & NB_NET_F_OVERLAY))
		return -NB_DROP_UNKNOWN_UNICAST;
#if NB_XDP
	if (!nb_remote_lookup(port->net_id, dmac))
		return -NB_DROP_UNKNOWN_UNICAST;
	if (!(port->net_flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	(void)ctx;
	return NB_ACT_PASS; /* the tunnel key needs an skb */
#else
	__u64 mac = 0;

	__builtin_memcpy(&mac, dmac, ETH_ALEN);
	return nb_tunnel_send(ctx, port->net_id, port->net_flags, mac);
#endif
}

static __always_inline int ep_switch(nb_ctx_t *ctx, struct ep_fwd *fwd)
{
	const struct nb_fdb_val *fdb;
	const struct nb_port *port;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *iph = NULL;
	__u32 len = nb_ctx_len(ctx);
	__u32 ifindex = nb_ctx_ifindex(ctx);
	struct nb_cursor c;
	struct ethhdr *eth;
	__u16 proto;
	int err, ret;

	port = nb_port_lookup(ifindex);
	if (!port || port->kind != NB_PORT_ENDPOINT)
		return NB_XDP ? NB_ACT_PASS : -NB_DROP_NO_PORT;
	fwd->src_slot = port->stats_slot;

	nb_pull_headers(ctx, false);
	nb_cursor_init(&c, ctx);
	eth = nb_parse_eth(&c);
	if (!eth)
		return -NB_DROP_MALFORMED;
	if (!nb_mac_eq(eth->h_source, port->mac))
		return -NB_DROP_SPOOF_MAC;
	proto = bpf_ntohs(eth->h_proto);
#if !NB_XDP
	if (ctx->vlan_present)
		return -NB_DROP_UNSUPPORTED;
#endif
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return -NB_DROP_UNSUPPORTED;

	switch (proto) {
	case ETH_P_ARP:
		return ep_arp(ctx, &c, eth, port, len);
	case ETH_P_IP:
		err = nb_parse_ipv4(&c, len - ETH_HLEN, &iph);
		if (err)
			return err;
		if (iph->saddr != port->ip)
			return -NB_DROP_SPOOF_IP;
		break;
	case ETH_P_IPV6:
		err = nb_parse_ipv6(&c, &ip6);
		if (err)
			return err;
		err = ep_ipv6(ctx, eth, ip6, port, len);
		if (err == EP_ND_ANSWERED) {
			nb_ep_count_rx(port->stats_slot, nb_ctx_len(ctx));
			/* egress of the host side: the veth hands the answer to the sandbox */
			return nb_ctx_back_out(ctx);
		}
		if (err)
			return err;
		break;
	}

	if (nb_mac_is_multicast(eth->h_dest))
		return ep_for_host(ctx, port, NULL, NULL, ip6);
	fdb = nb_fdb_lookup(port->net_id, eth->h_dest);
	if (!fdb)
		return ep_to_remote(ctx, port, eth->h_dest);
	if (fdb->flags & NB_FDB_F_GATEWAY)
		return ep_for_host(ctx, port, fdb, iph, ip6);

	/* the fast path, two lookups: the port (which carries what the network
	 * says) and the FDB entry (which carries the destination's stats slot) */
	fwd->dst = fdb->ifindex;
	fwd->dst_slot = fdb->stats_slot;
	if (!(port->net_flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	ret = nb_ctx_to_peer(ctx, fdb->ifindex);
	if (NB_XDP && ret == NB_ACT_PASS)
		return ret; /* no devmap entry (yet): tc redirects it */
	if (ret != NB_ACT_REDIRECT)
		return -NB_DROP_REDIRECT;
	nb_ep_count_rx(fdb->stats_slot, len);
	return ret;
}

/* The entry programs' common end: events, counters, the hook's drop verdict */
static __always_inline int ep_verdict(nb_ctx_t *ctx, int ret, const struct ep_fwd *fwd, __u32 len)
{
	/* XDP passes what it did not finish to tc, which counts it there */
	if (NB_XDP && ret == NB_ACT_PASS)
		return ret;
	nb_event_verdict(ctx, ret, fwd->dst);
	if (!nb_is_drop(ret)) {
		nb_ep_count_tx(fwd->src_slot, len, false);
		return ret;
	}
	nb_drop_count(-ret, len);
	nb_ep_count_tx(fwd->src_slot, len, true);
	nb_ep_count_rx_dropped(fwd->dst_slot);
	return NB_ACT_DROP;
}

#endif
