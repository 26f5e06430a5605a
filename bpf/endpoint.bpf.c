// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * "endpoint": tc ingress of an endpoint's host-side veth (nbe*), i.e. every
 * frame a sandbox sends on one of its networks, in both modes (XDP mode leaves
 * the endpoints to tc, docs/xdp.md), and "endpoint_nat6", which it tail-calls
 * for IPv6 to the gateway (hairpin). The logic: bpf/lib/endpoint.bpf.h.
 */
#include "lib/endpoint.bpf.h"

SEC("tc")
int endpoint(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	struct ep_fwd fwd = {};

	return ep_verdict(skb, ep_switch(skb, &fwd), &fwd, len);
}

/* Tail-called by "endpoint" for IPv6 to the gateway: hairpin (lib/hairpin6.bpf.h) */
SEC("tc")
int endpoint_nat6(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	struct ep_fwd fwd = {};

	return ep_verdict(skb, ep_nat6(skb, &fwd), &fwd, len);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
