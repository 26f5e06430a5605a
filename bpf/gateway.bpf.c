// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * "gateway": tc ingress of nbp<net_id>, the switch-side peer of the gateway
 * device nbg<net_id> that holds the network's gateway address in the host
 * netns. Every frame the host stack sends into the network arrives here:
 *
 *   1. the port: nb_ports[ifindex] must be a gateway port (else no-port);
 *   2. ARP requests from the host for an endpoint are answered here and the
 *      reply goes back out of nbp, i.e. to nbg;
 *   3. IPv6 neighbour solicitations are answered as ARP is (nd.bpf.h);
 *      routed policy by IPv4/IPv6 source (policy.bpf.h): a source inside another
 *      network's subnet means net A -> host routing -> net B, dropped;
 *      internal networks take nothing from beyond the subnet;
 *   4. broadcast/multicast is flooded to every endpoint of the network;
 *   5. unicast to an endpoint's MAC -> bpf_redirect_peer() into its sandbox;
 *      anything else is dropped.
 *
 * The host is trusted: its source MAC and addresses are not checked for
 * spoofing, only for where they come from.
 */
#include "lib/maps.bpf.h"
#include "lib/parse.bpf.h"
#include "lib/drop.bpf.h"
#include "lib/stats.bpf.h"
#include "lib/fdb.bpf.h"
#include "lib/arp.bpf.h"
#include "lib/policy.bpf.h"
#include "lib/flood.bpf.h"
#include "lib/nd.bpf.h"

/*
 * IPv6 from the host: neighbour solicitations for an endpoint answered as
 * ARP is (the answer goes back out of nbp, to nbg); the host's duplicate
 * address detection for its own gateway addresses has nobody to answer it
 * and goes nowhere (link-control). 0: forward the frame; 1: answered.
 */
static __always_inline int gw_ipv6(struct __sk_buff *skb, struct ethhdr *eth, struct ipv6hdr *ip6,
				   const struct nb_port *port, const struct nb_network *net)
{
	struct nb_ip6_info info;
	int err;

	err = nb_ip6_walk(skb, ip6, skb->len, &info);
	if (err)
		return err;
	if (info.proto != NB_IP6_ICMP || !info.l4_off || info.icmp_type != NB_ND_NS)
		return 0;
	err = nb_nd_answer(skb, ip6, &info, port->net_id, net->gw_ifindex, net->gw_ifindex,
			   eth->h_source, false);
	return err ?: 1;
}

static __always_inline int gw_arp(struct __sk_buff *skb, struct nb_cursor *c, struct ethhdr *eth,
				  const struct nb_port *port, const struct nb_network *net)
{
	struct nb_arp *arp;
	int err;

	err = nb_parse_arp(c, &arp);
	if (err)
		return err;
	err = nb_arp_answer(eth, arp, port->net_id, net->gw_ifindex);
	if (err)
		return err;
	/* egress of nbp: the veth hands the reply to nbg, i.e. the host */
	return bpf_redirect(skb->ifindex, 0);
}

static __always_inline int gw_switch(struct __sk_buff *skb, __u32 *dst, __u32 *dst_slot)
{
	const struct nb_fdb_val *fdb = NULL;
	const struct nb_network *net;
	const struct nb_port *port;
	__u32 len = skb->len;
	struct nb_cursor c;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *iph = NULL;
	struct ethhdr *eth;
	__u16 proto;
	int err = 0;

	port = nb_port_lookup(skb->ifindex);
	if (!port || port->kind != NB_PORT_GATEWAY)
		return -NB_DROP_NO_PORT;
	net = nb_network_lookup(port->net_id);
	if (!net)
		return -NB_DROP_NO_PORT;

	nb_pull_headers(skb, false);
	nb_cursor_init(&c, skb);
	eth = nb_parse_eth(&c);
	if (!eth)
		return -NB_DROP_MALFORMED;
	proto = bpf_ntohs(eth->h_proto);
	if (skb->vlan_present || proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		return -NB_DROP_UNSUPPORTED;
	if (proto == ETH_P_ARP)
		return gw_arp(skb, &c, eth, port, net);

	switch (proto) {
	case ETH_P_IP:
		err = nb_parse_ipv4(&c, len - ETH_HLEN, &iph);
		break;
	case ETH_P_IPV6:
		err = nb_parse_ipv6(&c, &ip6);
		if (err)
			return err;
		err = gw_ipv6(skb, eth, ip6, port, net);
		if (err == 1)
			return bpf_redirect(skb->ifindex, 0);
		break;
	}
	if (err)
		return err;

	/* the target before the policy, so a policy drop is charged to it too */
	if (!nb_mac_is_multicast(eth->h_dest)) {
		fdb = nb_fdb_lookup(port->net_id, eth->h_dest);
		if (!fdb || (fdb->flags & NB_FDB_F_GATEWAY))
			return -NB_DROP_UNKNOWN_UNICAST;
		*dst = fdb->ifindex;
		*dst_slot = fdb->stats_slot;
	}
	if (iph)
		err = nb_policy_routed_ipv4(net, port->net_id, iph->saddr);
	/* IPv6 multicast (neighbour discovery from the host) stays on the link */
	else if (ip6 && fdb)
		err = nb_policy_routed_ipv6(net, port->net_id, &ip6->saddr);
	if (err)
		return err;

	if (!fdb)
		return nb_flood_frame(skb, port->net_id, 0, 0);
	nb_ep_count_rx(fdb->stats_slot, len);
	if (bpf_redirect_peer(fdb->ifindex, 0) != TC_ACT_REDIRECT)
		return -NB_DROP_REDIRECT;
	return TC_ACT_REDIRECT;
}

SEC("tc")
int gateway(struct __sk_buff *skb)
{
	__u32 len = skb->len, dst = 0, dst_slot = 0;
	int ret;

	ret = gw_switch(skb, &dst, &dst_slot);
	nb_event_verdict(skb, ret, dst);
	if (!nb_is_drop(ret))
		return ret;
	nb_drop_count(-ret, len);
	nb_ep_count_rx_dropped(dst_slot);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
