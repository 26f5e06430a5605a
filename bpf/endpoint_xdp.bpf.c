// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP mode (`netbpfctl up --mode xdp`), the endpoint side:
 *
 * "xdp_endpoint": XDP of an endpoint's host-side veth (nbe*), in front of the
 * tc "endpoint" program, with the same logic (bpf/lib/endpoint.bpf.h): it
 * finishes drops, ARP replies and sandbox-to-sandbox unicast, which it
 * redirects through the nb_xdp_devs devmap out of the destination's host-side
 * veth, i.e. into that sandbox; everything else passes to tc.
 *
 * "xdp_sandbox": XDP of the sandbox-side veth (eth0, ...), passing every
 * frame. A veth accepts redirected XDP frames (and XDP_TX from its peer) only
 * while its peer, the receiving end, runs an XDP program (or has GRO on):
 * this one costs the least and changes nothing else.
 */
#define NB_HOOK_XDP 1
#include "lib/endpoint.bpf.h"

SEC("xdp")
int xdp_endpoint(struct xdp_md *ctx)
{
	__u32 ifindex = nb_ctx_ifindex(ctx), len = nb_ctx_len(ctx);
	struct ep_fwd fwd = {};

	return ep_verdict(ctx, ep_switch(ctx, &fwd), &fwd, ifindex, len);
}

SEC("xdp")
int xdp_sandbox(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
