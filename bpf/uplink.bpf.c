// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The uplink programs: tc ingress (uplink_in) and egress (uplink_out) of
 * each interface of the host netns that leads outside. They translate
 * published ports, masquerade and ICMP errors about both (bpf/lib/nat.bpf.h
 * has the decisions); every other packet passes untouched, so the host's
 * own traffic never depends on netbpf. IPv6 is not translated: what enters
 * a sandbox IPv6 subnet is limited to the replies of the sandboxes' own
 * flows (bpf/lib/ct6.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/maps.bpf.h"
#include "lib/drop.bpf.h"
#include "lib/nat.bpf.h"
#include "lib/ct6.bpf.h"
#include "lib/overlay.bpf.h"

/*
 * VXLAN between the hosts of a cluster (docs/overlay.md) meets both uplink
 * programs on every packet: the sender's uplink_out and the receiver's
 * uplink_in, which would parse it for NAT and look it up in conntrack and
 * the published ports before passing it (a few hundred ns each way, a
 * large share of a busy-polling round trip). Once the instance has its
 * VXLAN device (nb_tunnel), that device's socket holds UDP port
 * NB_VXLAN_PORT on every address of the host netns, so no masqueraded flow
 * is given it as source port (nb_nat_claim_port() skips ports a host socket
 * holds) and a published UDP port yields to it (nb_nat_publish_open()): an
 * unfragmented UDP datagram to that port is the tunnel's, unless its
 * sandbox-side address (out: source, in: destination) is in a sandbox
 * network, whose packets keep the whole path (a routed network's own flows
 * to port 4789, anti-spoofing). It passes at once.
 */
static __always_inline bool nb_uplink_is_tunnel(struct __sk_buff *skb, bool out)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + ETH_HLEN;
	struct udphdr *uh = (void *)(iph + 1);

	if (skb->protocol != bpf_htons(ETH_P_IP) || skb->vlan_present || (void *)(uh + 1) > end)
		return false; /* a header beyond the linear part: the full path pulls it */
	if (((struct ethhdr *)data)->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP || uh->dest != bpf_htons(NB_VXLAN_PORT) ||
	    (iph->frag_off & bpf_htons(NB_IP_MF | NB_IP_OFFSET)))
		return false;
	return nb_tunnel_ifindex() && !nb_nat_subnet(out ? iph->saddr : iph->daddr);
}

static __always_inline int nb_uplink_verdict(nb_ctx_t *skb, int ret)
{
	nb_event_verdict(skb, ret, 0);
	if (nb_is_drop(ret)) {
		nb_drop_count(-ret, skb->len);
		return TC_ACT_SHOT;
	}
	return ret;
}

SEC("tc")
int uplink_in(struct __sk_buff *skb)
{
	if (nb_ct6_is_ipv6(skb))
		return nb_uplink_verdict(skb, nb_ct6_uplink_in(skb));
	if (nb_uplink_is_tunnel(skb, false))
		return NB_ACT_PASS;
	return nb_uplink_verdict(skb, nb_nat_uplink_in(skb));
}

SEC("tc")
int uplink_out(struct __sk_buff *skb)
{
	if (nb_ct6_is_ipv6(skb))
		return nb_uplink_verdict(skb, nb_ct6_uplink_out(skb));
	if (nb_uplink_is_tunnel(skb, true))
		return NB_ACT_PASS;
	return nb_uplink_verdict(skb, nb_nat_uplink_out(skb));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
