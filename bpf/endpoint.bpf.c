// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * "endpoint": tc ingress of an endpoint's host-side veth (nbe*), i.e. every
 * frame a sandbox sends on one of its networks.
 *
 *   1. the port: nb_ports[ifindex] must be an endpoint (else no-port);
 *   2. anti-spoofing: source MAC, IPv4 source and ARP sender must be the
 *      endpoint's own;
 *   3. ARP requests are answered here (arp.bpf.h) and the reply goes back
 *      out to the sandbox;
 *   4. broadcast/multicast is flooded to the network (flood.bpf.h), to the
 *      host only when enable_icc=false;
 *   5. unicast follows the FDB: another endpoint -> bpf_redirect_peer()
 *      straight into its sandbox (unless enable_icc=false); the gateway ->
 *      routed policy (policy.bpf.h), then address translation for IPv4
 *      (nat.bpf.h: published-port replies, masquerade, hairpin), and what
 *      NAT leaves alone enters the gateway device, where the host stack
 *      takes over; anything else is dropped.
 *
 * Frames of other ethertypes (IPv6 link-local between sandboxes, ...) are
 * MAC-checked and switched like any frame. Tagged frames are refused: the
 * tag would hide the IPv4 header from the checks above.
 */
#include "lib/maps.bpf.h"
#include "lib/parse.bpf.h"
#include "lib/drop.bpf.h"
#include "lib/stats.bpf.h"
#include "lib/fdb.bpf.h"
#include "lib/arp.bpf.h"
#include "lib/policy.bpf.h"
#include "lib/flood.bpf.h"
#include "lib/nat.bpf.h"

/* Where a frame was headed, so a drop can be charged to its target too. */
struct ep_fwd {
	__u32 dst; /* destination endpoint's ifindex, 0 when not (yet) known */
};

static __always_inline int ep_arp(struct __sk_buff *skb, struct nb_cursor *c, struct ethhdr *eth,
				  const struct nb_port *port, __u32 len)
{
	struct nb_arp *arp;
	int err;

	err = nb_parse_arp(c, &arp);
	if (err)
		return err;
	if (!nb_mac_eq(arp->sha, port->mac) || arp->spa != port->ip)
		return -NB_DROP_SPOOF_ARP;
	err = nb_arp_answer(eth, arp, port->net_id, skb->ifindex);
	if (err)
		return err;
	nb_ep_count_rx(skb->ifindex, len);
	/* egress of the host side: the veth hands the reply to the sandbox */
	return bpf_redirect(skb->ifindex, 0);
}

static __always_inline int ep_switch(struct __sk_buff *skb, struct ep_fwd *fwd)
{
	const struct nb_fdb_val *fdb;
	const struct nb_network *net;
	const struct nb_port *port;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *iph = NULL;
	__u32 len = skb->len;
	struct nb_cursor c;
	struct ethhdr *eth;
	__u16 proto;
	int err;

	port = nb_port_lookup(skb->ifindex);
	if (!port || port->kind != NB_PORT_ENDPOINT)
		return -NB_DROP_NO_PORT;
	net = nb_network_lookup(port->net_id);
	if (!net)
		return -NB_DROP_NO_PORT;

	nb_pull_headers(skb);
	nb_cursor_init(&c, skb);
	eth = nb_parse_eth(&c);
	if (!eth)
		return -NB_DROP_MALFORMED;
	if (!nb_mac_eq(eth->h_source, port->mac))
		return -NB_DROP_SPOOF_MAC;
	proto = bpf_ntohs(eth->h_proto);
	if (skb->vlan_present || proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return -NB_DROP_UNSUPPORTED;

	switch (proto) {
	case ETH_P_ARP:
		return ep_arp(skb, &c, eth, port, len);
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
		break;
	}

	if (nb_mac_is_multicast(eth->h_dest)) {
		/* with enable_icc=false only the host hears a sandbox's broadcasts */
		if (!(net->flags & NB_NET_F_ICC))
			return bpf_redirect(net->gw_ifindex, BPF_F_INGRESS);
		return nb_flood_frame(skb, port->net_id, skb->ifindex, net->gw_ifindex);
	}

	fdb = nb_fdb_lookup(port->net_id, eth->h_dest);
	if (!fdb)
		return -NB_DROP_UNKNOWN_UNICAST;
	if (fdb->flags & NB_FDB_F_GATEWAY) {
		err = 0;
		if (iph)
			err = nb_policy_routed_ipv4(net, port->net_id, iph->daddr);
		else if (ip6)
			err = nb_policy_routed_ipv6(net, &ip6->daddr);
		if (err)
			return err;
		/* published ports (hairpin), their replies, masquerade: see nat.bpf.h */
		if (iph) {
			err = nb_nat_from_endpoint(skb, port, net);
			if (err != NB_NAT_PASS)
				return err;
		}
		return bpf_redirect(fdb->ifindex, BPF_F_INGRESS);
	}
	fwd->dst = fdb->ifindex;
	if (!(net->flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	nb_ep_count_rx(fdb->ifindex, len);
	if (bpf_redirect_peer(fdb->ifindex, 0) != TC_ACT_REDIRECT)
		return -NB_DROP_REDIRECT;
	return TC_ACT_REDIRECT;
}

SEC("tc")
int endpoint(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex, len = skb->len;
	struct ep_fwd fwd = {};
	int ret;

	ret = ep_switch(skb, &fwd);
	nb_event_verdict(skb, ret, fwd.dst);
	if (!nb_is_drop(ret)) {
		nb_ep_count_tx(ifindex, len, false);
		return ret;
	}
	nb_drop_count(-ret, len);
	nb_ep_count_tx(ifindex, len, true);
	if (fwd.dst)
		nb_ep_count_rx_dropped(fwd.dst);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
