// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP mode (`netbpfctl up --mode xdp`): programs in front of the tc ones,
 * built from the same library (bpf/lib/ctx.bpf.h picks the hook), sharing
 * every map and the conntrack with them. One object, because the nb_xdp_devs
 * devmap can only be declared by one (ctx.bpf.h says why).
 *
 * The host-side veths of endpoints run no XDP: there it cost more than it
 * saved (it made the kernel clear TSO on the sandbox side, and every frame
 * took the veth's NAPI ring; docs/xdp.md has the numbers), and tc's
 * bpf_redirect_peer() has no XDP counterpart.
 *
 * "xdp_sandbox": XDP of the sandbox-side veth (eth0, ...), passing every
 * frame. A veth accepts redirected XDP frames (and XDP_TX from its peer) only
 * while its peer, the receiving end, runs an XDP program (or has GRO on):
 * this one costs the least and changes nothing else.
 *
 * "xdp_uplink": XDP of an uplink whose driver has native XDP (not a veth,
 * unless `up --xdp-veth`) in front of tc "uplink_in", with the same code
 * (nb_nat_uplink_in(), bpf/lib/nat.bpf.h): packets of published-port flows
 * and masquerade replies are translated here and sent through the devmap
 * straight into the sandbox. What XDP cannot finish passes untouched to tc
 * and the host stack: everything that is not netbpf's (ARP, the host's own
 * traffic, unknown flows), ICMP errors and fragments; a translated packet
 * whose endpoint is not in the devmap or whose TTL runs out continues,
 * translated, into the host stack, as at tc. IPv6 the same way
 * (nb_nat6_uplink_in(), bpf/lib/nat6.bpf.h): published ports' packets into
 * the sandbox, early drops; but a packet XDP cannot deliver passes untouched
 * (tc translates it: translated, tc would take it for an unpublished one),
 * and masquerade replies are tc's (it sends them through the host stack).
 */
#define NB_HOOK_XDP 1
#include "lib/endpoint.bpf.h"
#include "lib/ct6.bpf.h"
#include "lib/nat6.bpf.h"

SEC("xdp")
int xdp_sandbox(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

/*
 * The IPv4 path as a function of its own, as in bpf/uplink.bpf.c: its stack
 * and IPv6's (nb_nat6_uplink_in()) are then never added up in one call chain.
 */
__noinline int nb_xdp_uplink_in4(struct xdp_md *ctx)
{
	if (!ctx)
		return NB_ACT_PASS;
	return nb_nat_uplink_in(ctx);
}

SEC("xdp")
int xdp_uplink(struct xdp_md *ctx)
{
	int ret = nb_ct6_is_ipv6(ctx) ? nb_nat6_uplink_in(ctx) : nb_xdp_uplink_in4(ctx);

	if (ret == XDP_PASS)
		return ret; /* untouched or left to the stack: tc's uplink_in sees it next */
	nb_event_verdict(ctx, ret, 0);
	if (nb_is_drop(ret)) {
		/* the length read now (no spill across the calls above: the stack is
		 * close to 512 bytes deep there); XDP's rewrites never change it */
		nb_drop_count(-ret, nb_ctx_len(ctx));
		return XDP_DROP;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
