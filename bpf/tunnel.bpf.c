// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * "tunnel": tc ingress of the instance's collect-metadata VXLAN device
 * (nbvx0), i.e. every frame another host sent to an overlay endpoint here,
 * already decapsulated by the kernel, its outer header in the tunnel key:
 *
 *   1. the VNI names a local overlay network (nb_vni), else tunnel-vni;
 *   2. anti-spoofing across hosts: the inner source MAC is a remote endpoint
 *      of that network (nb_remote) living on the outer source host, and an
 *      IPv4 frame's source is that endpoint's address, else tunnel-spoof;
 *   3. the inner destination is an endpoint of the network on this host
 *      (nb_fdb), else tunnel-mac: broadcast and multicast never cross hosts
 *      (overlay.bpf.h), and neither does a frame for this host's gateway,
 *      since each host routes its own endpoints' traffic (the gateway is
 *      anycast: every host has the same address with its own MAC, and ARP
 *      names the local one);
 *   4. enable_icc=false networks refuse it (icc), as between local endpoints;
 *   5. bpf_redirect_peer() into the sandbox, counted as its rx.
 *
 * ARP never crosses hosts (each host answers for the others' endpoints), so
 * an ARP frame from the tunnel is refused (unsupported), as are tagged frames
 * and IPv6 router messages. Drops are counted by reason, charged to the
 * destination endpoint when it is known.
 */
#include "lib/maps.bpf.h"
#include "lib/parse.bpf.h"
#include "lib/drop.bpf.h"
#include "lib/stats.bpf.h"
#include "lib/fdb.bpf.h"
#include "lib/policy.bpf.h"
#include "lib/nd.bpf.h"
#include "lib/overlay.bpf.h"

static __always_inline int tn_switch(struct __sk_buff *skb, __u32 *dst, __u32 *dst_slot)
{
	const struct nb_remote_val *src;
	const struct nb_network *net;
	const struct nb_fdb_val *fdb;
	struct bpf_tunnel_key key;
	struct iphdr *iph = NULL;
	struct ipv6hdr *ip6;
	__u32 len = skb->len, vni, *net_id;
	struct nb_cursor c;
	struct ethhdr *eth;
	__u16 proto;
	int err;

	if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0))
		return -NB_DROP_MALFORMED; /* not from the VXLAN device, or over IPv6 */
	vni = key.tunnel_id;
	net_id = bpf_map_lookup_elem(&NB_MAP_VNI, &vni);
	if (!net_id)
		return -NB_DROP_TUNNEL_VNI;

	nb_pull_headers(skb, false);
	nb_cursor_init(&c, skb);
	eth = nb_parse_eth(&c);
	if (!eth)
		return -NB_DROP_MALFORMED;
	/* the target first, so that a drop below is charged to it */
	if (nb_mac_is_multicast(eth->h_dest))
		return -NB_DROP_TUNNEL_MAC;
	fdb = nb_fdb_lookup(*net_id, eth->h_dest);
	if (!fdb || (fdb->flags & NB_FDB_F_GATEWAY))
		return -NB_DROP_TUNNEL_MAC;
	*dst = fdb->ifindex;
	*dst_slot = fdb->stats_slot;

	src = nb_remote_lookup(*net_id, eth->h_source);
	if (!src || src->vni != vni || src->host != bpf_htonl(key.remote_ipv4))
		return -NB_DROP_TUNNEL_SPOOF;
	proto = bpf_ntohs(eth->h_proto);
	if (skb->vlan_present || proto == ETH_P_8021Q || proto == ETH_P_8021AD ||
	    proto == ETH_P_ARP)
		return -NB_DROP_UNSUPPORTED;
	if (proto == ETH_P_IP) {
		err = nb_parse_ipv4(&c, len - ETH_HLEN, &iph);
		if (err)
			return err;
		if (iph->saddr != src->ip)
			return -NB_DROP_TUNNEL_SPOOF;
	} else if (proto == ETH_P_IPV6) {
		struct nb_ip6_info info;

		/* overlay networks are IPv4-only: IPv6 between their endpoints is link-local,
		 * from the remote endpoint's own EUI-64 address, and no router message */
		err = nb_parse_ipv6(&c, &ip6);
		if (!err)
			err = nb_ip6_walk(skb, ip6, len, &info);
		if (err)
			return err;
		if (info.proto == NB_IP6_ICMP && info.l4_off &&
		    (info.icmp_type == NB_ND_RA || info.icmp_type == NB_ND_REDIRECT))
			return -NB_DROP_ROUTER_MSG;
		if (!nb_ip6_zero(ip6->saddr.in6_u.u6_addr8) &&
		    !nb_ip6_is_ll_of(ip6->saddr.in6_u.u6_addr8, eth->h_source))
			return -NB_DROP_TUNNEL_SPOOF;
	}

	net = nb_network_lookup(*net_id);
	if (!net)
		return -NB_DROP_TUNNEL_VNI;
	if (!(net->flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	nb_ep_count_rx(fdb->stats_slot, len);
	if (bpf_redirect_peer(fdb->ifindex, 0) != TC_ACT_REDIRECT)
		return -NB_DROP_REDIRECT;
	return TC_ACT_REDIRECT;
}

SEC("tc")
int tunnel(struct __sk_buff *skb)
{
	__u32 len = skb->len, dst = 0, dst_slot = 0;
	int ret;

	ret = tn_switch(skb, &dst, &dst_slot);
	nb_event_verdict(skb, ret, dst);
	if (!nb_is_drop(ret))
		return ret;
	nb_drop_count(-ret, len);
	nb_ep_count_rx_dropped(dst_slot);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
