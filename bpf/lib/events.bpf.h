/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Events for `netbpfctl monitor`, and drops counted by endpoint and reason.
 *
 * Each entry program calls nb_event_verdict(ctx, ret, dst) with the verdict
 * it is about to return (a TC_ACT_* or a -NB_DROP_* reason) and the endpoint
 * the packet was headed for (0 when none or not known yet):
 *  - a drop is counted in nb_ep_drops against the endpoint that sent it (the
 *    port the program runs on, when that is an endpoint) and against dst, so
 *    `netbpfctl stats` can say why a sandbox's packets were dropped;
 *  - while a monitor listens for the type, the drop, or the forwarding
 *    verdict (trace), goes to the monitor as a struct nb_event.
 * nb_event_nat(key, entry) reports a new translated flow the same way.
 *
 * Cost: with no monitor, a forwarded packet pays one lookup in a one-element
 * array (the verifier inlines it into a few loads), and only a dropped one
 * touches nb_ep_drops. The reporting itself lives in separate functions so
 * the fast path's instructions stay few. The ring buffer never waits: with
 * it full, bpf_ringbuf_reserve() fails, and the event is lost and counted
 * per CPU in nb_ev_lost, which the monitor reports. Headers are read with nb_ctx_load(), so
 * no packet pointer of the caller needs to be valid at the verdict (it may
 * follow a rewrite or a pull), and a frame too short for a header simply
 * leaves that part of the event zero.
 *
 * Packets a program leaves to the kernel untouched (NB_ACT_PASS) are not
 * traced: on an uplink that is the host's own traffic, none of netbpf's
 * business.
 */
#ifndef NETBPF_EVENTS_BPF_H
#define NETBPF_EVENTS_BPF_H

#include "maps.bpf.h"
#include "parse.bpf.h"
#include "ctx.bpf.h"

#define NB_EV_ICMP_ECHOREPLY 0
#define NB_EV_ICMP_ECHO	     8
/* IPv4 frag_off: more fragments + offset, and the offset alone */
#define NB_EV_IP_MF_OFFSET 0x3fff
#define NB_EV_IP_OFFSET	   0x1fff

/* What the listening monitor asked for: a bitmask of (1 << NB_EV_*), 0 = nobody */
static __always_inline __u32 nb_monitor_types(void)
{
	const struct nb_monitor *m;
	__u32 zero = 0;

	m = bpf_map_lookup_elem(&NB_MAP_MONITOR, &zero);
	return m ? m->types : 0;
}

/*
 * Room for one event in the ring buffer, zeroed; NULL (and the loss counted)
 * when the buffer is full. Written in place, so an event costs the programs
 * no stack, which the endpoint program has little of to spare.
 */
static __always_inline struct nb_event *nb_event_reserve(void)
{
	struct nb_event *ev;
	__u32 zero = 0;
	__u64 *lost;

	ev = bpf_ringbuf_reserve(&NB_MAP_EVENTS, sizeof(*ev), 0);
	if (ev) {
		__builtin_memset(ev, 0, sizeof(*ev));
		return ev;
	}
	lost = bpf_map_lookup_elem(&NB_MAP_EV_LOST, &zero);
	if (lost)
		(*lost)++;
	return NULL;
}

/* The link, network and transport fields of an event, from the packet */
/*
 * An IPv6 packet's addresses, and its ports (ICMPv6: type, code, an echo's
 * identifier) when the upper layer follows the fixed header directly
 */
static __always_inline void nb_event_headers6(nb_ctx_t *ctx, struct nb_event *ev)
{
	struct ipv6hdr ip6;
	__u8 l4[6];

	if (nb_ctx_load(ctx, ETH_HLEN, &ip6, sizeof(ip6)))
		return;
	__builtin_memcpy(ev->saddr6, &ip6.saddr, 16);
	__builtin_memcpy(ev->daddr6, &ip6.daddr, 16);
	ev->proto = ip6.nexthdr;
	if (nb_ctx_load(ctx, ETH_HLEN + sizeof(ip6), l4, sizeof(l4)))
		return;
	if (ip6.nexthdr == IPPROTO_TCP || ip6.nexthdr == IPPROTO_UDP) {
		__builtin_memcpy(&ev->sport, l4, 2);
		__builtin_memcpy(&ev->dport, l4 + 2, 2);
		ev->flags |= NB_EV_F_L4;
	} else if (ip6.nexthdr == 58) {
		ev->icmp_type = l4[0];
		ev->icmp_code = l4[1];
		if (l4[0] == 128 || l4[0] == 129)
			__builtin_memcpy(&ev->sport, l4 + 4, 2);
		ev->flags |= NB_EV_F_L4;
	}
}

static __always_inline void nb_event_headers(nb_ctx_t *ctx, struct nb_event *ev)
{
	struct ethhdr eth;
	struct iphdr iph;
	__u32 off;

	if (nb_ctx_load(ctx, 0, &eth, sizeof(eth)))
		return;
	__builtin_memcpy(ev->smac, eth.h_source, ETH_ALEN);
	__builtin_memcpy(ev->dmac, eth.h_dest, ETH_ALEN);
	ev->eth_proto = bpf_ntohs(eth.h_proto);
	if (ev->eth_proto == ETH_P_ARP) {
		struct nb_arp arp;

		if (nb_ctx_load(ctx, ETH_HLEN, &arp, sizeof(arp)))
			return;
		ev->arp_op = bpf_ntohs(arp.hdr.ar_op);
		ev->saddr = arp.spa;
		ev->daddr = arp.tpa;
		return;
	}
	if (ev->eth_proto == ETH_P_IPV6) {
		nb_event_headers6(ctx, ev);
		return;
	}
	if (ev->eth_proto != ETH_P_IP)
		return;
	if (nb_ctx_load(ctx, ETH_HLEN, &iph, sizeof(iph)))
		return;
	ev->proto = iph.protocol;
	ev->saddr = iph.saddr;
	ev->daddr = iph.daddr;
	if (iph.frag_off & bpf_htons(NB_EV_IP_MF_OFFSET)) {
		ev->flags |= NB_EV_F_FRAG;
		/* a later fragment: what follows the header is payload */
		if (iph.frag_off & bpf_htons(NB_EV_IP_OFFSET))
			return;
	}
	if (iph.ihl < 5)
		return;
	off = ETH_HLEN + iph.ihl * 4;
	if (iph.protocol == IPPROTO_TCP || iph.protocol == IPPROTO_UDP) {
		__be16 ports[2];

		if (nb_ctx_load(ctx, off, ports, sizeof(ports)))
			return;
		ev->sport = ports[0];
		ev->dport = ports[1];
		ev->flags |= NB_EV_F_L4;
	} else if (iph.protocol == IPPROTO_ICMP) {
		struct icmphdr icmp;

		if (nb_ctx_load(ctx, off, &icmp, sizeof(icmp)))
			return;
		ev->icmp_type = icmp.type;
		ev->icmp_code = icmp.code;
		if (icmp.type == NB_EV_ICMP_ECHO || icmp.type == NB_EV_ICMP_ECHOREPLY)
			ev->sport = icmp.un.echo.id;
		ev->flags |= NB_EV_F_L4;
	}
}

#if !NB_XDP
/*
 * The skb's tunnel: what nbvx0 decapsulated, or the key an encapsulating
 * program set. Called first on a fresh (zeroed) event: the key is read into
 * the event's own memory, not onto the stack, since nb_event_report()'s frame
 * adds to the calling program's and the endpoint program's is close to the
 * verifier's 512 bytes; the event is zeroed again before the fields go in.
 */
static __always_inline void nb_event_tunnel(nb_ctx_t *ctx, struct nb_event *ev)
{
	struct bpf_tunnel_key *key = (struct bpf_tunnel_key *)ev;
	__be32 host;
	__u32 vni;

	_Static_assert(sizeof(*ev) >= sizeof(*key), "the tunnel key is read into the event");
	if (bpf_skb_get_tunnel_key(ctx, key, sizeof(*key), 0)) {
		__builtin_memset(ev, 0, sizeof(*ev));
		return;
	}
	/* the helper reads the key's source as remote_ipv4 and its destination as local_ipv4:
	 * right for a received key, swapped for one set to send (whose source netbpf leaves 0) */
	host = bpf_htonl(key->remote_ipv4 ? key->remote_ipv4 : key->local_ipv4);
	vni = key->tunnel_id;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->tun_host = host;
	ev->tun_vni = vni;
}
#endif

/* A drop or trace event for the packet (a subprogram: off the fast path's instructions) */
static __noinline __attribute__((unused)) int nb_event_report(nb_ctx_t *ctx, __u32 type,
							      __u32 reason, __u32 dst)
{
	struct nb_event *ev = nb_event_reserve();

	if (!ev)
		return 0;
#if !NB_XDP
	nb_event_tunnel(ctx, ev);
#endif
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = type;
	ev->reason = reason;
	ev->ifindex = nb_ctx_ifindex(ctx);
	ev->len = nb_ctx_len(ctx);
	ev->peer_ifindex = dst;
	nb_event_headers(ctx, ev);
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static __always_inline void nb_ep_drop_add(__u32 ifindex, __u32 reason, __u32 len)
{
	struct nb_ep_drop_key k = {.ifindex = ifindex, .reason = reason};
	struct nb_counter one = {.packets = 1, .bytes = len};
	struct nb_counter *c;

	c = bpf_map_lookup_elem(&NB_MAP_EP_DROPS, &k);
	if (!c) {
		if (!bpf_map_update_elem(&NB_MAP_EP_DROPS, &k, &one, BPF_NOEXIST))
			return;
		/* another CPU created it first: add to this CPU's share of it */
		c = bpf_map_lookup_elem(&NB_MAP_EP_DROPS, &k);
		if (!c)
			return;
	}
	c->packets++;
	c->bytes += len;
}

/* Charges a drop to the sending endpoint (when the port is one) and to the receiver dst */
static __noinline __attribute__((unused)) int nb_ep_drops_charge(nb_ctx_t *ctx, __u32 reason,
								 __u32 dst)
{
	__u32 ifindex = nb_ctx_ifindex(ctx), len = nb_ctx_len(ctx);
	const struct nb_port *port = bpf_map_lookup_elem(&NB_MAP_PORTS, &ifindex);

	/* only endpoints are charged: not the gateway port, not uplinks */
	if (port && port->kind == NB_PORT_ENDPOINT)
		nb_ep_drop_add(ifindex, reason, len);
	if (dst && dst != ifindex)
		nb_ep_drop_add(dst, reason, len);
	return 0;
}

/*
 * The hook of every entry program: ret is the verdict about to be returned
 * (TC_ACT_* or -NB_DROP_*), dst the endpoint the packet was headed for, 0
 * when none or unknown.
 */
static __always_inline void nb_event_verdict(nb_ctx_t *ctx, int ret, __u32 dst)
{
	if (ret <= -NB_DROP_BASE) {
		nb_ep_drops_charge(ctx, -ret, dst);
		if (nb_monitor_types() & (1U << NB_EV_DROP))
			nb_event_report(ctx, NB_EV_DROP, -ret, dst);
		return;
	}
	/* events speak tc's verdicts whichever hook ran: XDP_TX and XDP_REDIRECT redirect */
	if (NB_XDP && (ret == XDP_REDIRECT || ret == XDP_TX))
		ret = TC_ACT_REDIRECT;
	if (ret != NB_ACT_PASS && (nb_monitor_types() & (1U << NB_EV_TRACE)))
		nb_event_report(ctx, NB_EV_TRACE, ret, dst);
}

/* A new translated flow: k and e are its forward (original direction) entry */
static __always_inline void nb_event_nat(const struct nb_ct_key *k, const struct nb_ct_entry *e)
{
	struct nb_event *ev;

	if (!(nb_monitor_types() & (1U << NB_EV_NAT)))
		return;
	ev = nb_event_reserve();
	if (!ev)
		return;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = NB_EV_NAT;
	ev->reason = e->type;
	ev->ifindex = e->ifindex;
	ev->eth_proto = ETH_P_IP;
	ev->proto = k->proto;
	ev->flags = NB_EV_F_L4;
	ev->saddr = k->saddr;
	ev->daddr = k->daddr;
	ev->sport = k->sport;
	ev->dport = k->dport;
	ev->nat_saddr = e->nat_saddr;
	ev->nat_daddr = e->nat_daddr;
	ev->nat_sport = e->nat_sport;
	ev->nat_dport = e->nat_dport;
	ev->net_id = e->net_id;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * A new translated IPv6 flow: k and e its forward entry. DNAT66 (NB_CT_DNAT)
 * rewrites the destination, NAT66 (NB_CT_SNAT) the source; the other side
 * stays the packet's.
 */
static __always_inline void nb_event_nat6(const struct nb_ct6_key *k,
					  const struct nb_ct6_entry *e)
{
	bool dnat = e->kind == NB_CT6_K_DNAT, hairpin = e->kind == NB_CT6_K_HAIRPIN;
	struct nb_event *ev;

	if (!(nb_monitor_types() & (1U << NB_EV_NAT)))
		return;
	ev = nb_event_reserve();
	if (!ev)
		return;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = NB_EV_NAT;
	ev->reason = hairpin ? NB_CT_HAIRPIN : dnat ? NB_CT_DNAT : NB_CT_SNAT;
	ev->ifindex = e->ifindex;
	ev->eth_proto = ETH_P_IPV6;
	ev->proto = k->proto;
	ev->flags = NB_EV_F_L4;
	__builtin_memcpy(ev->saddr6, k->saddr, 16);
	__builtin_memcpy(ev->daddr6, k->daddr, 16);
	ev->sport = k->sport;
	ev->dport = k->dport;
	/* DNAT: the destination becomes nat_addr; NAT66: the source; hairpin: both */
	__builtin_memcpy(ev->nat_saddr6, hairpin ? e->hp_saddr : dnat ? k->saddr : e->nat_addr, 16);
	__builtin_memcpy(ev->nat_daddr6, dnat || hairpin ? e->nat_addr : k->daddr, 16);
	ev->nat_sport = hairpin ? e->hp_sport : dnat ? k->sport : e->nat_port;
	ev->nat_dport = dnat || hairpin ? e->nat_port : k->dport;
	ev->net_id = e->net_id;
	bpf_ringbuf_submit(ev, 0);
}

#endif
