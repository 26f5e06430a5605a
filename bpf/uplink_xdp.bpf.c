// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * XDP mode (`netbpfctl up --mode xdp`), the uplink side: "xdp_uplink" runs
 * at the uplink's XDP hook (native where the driver has it, generic
 * otherwise) in front of the tc "uplink_in" program, with the same code
 * (nb_nat_uplink_in(), bpf/lib/nat.bpf.h) and the same conntrack: packets of
 * published-port flows and masquerade replies are translated here and sent
 * through the nb_xdp_devs devmap straight into the sandbox. What XDP cannot
 * finish passes untouched to tc and the host stack: everything that is not
 * netbpf's (ARP, the host's own traffic, unknown flows), ICMP errors and
 * fragments; a translated packet whose endpoint is not in the devmap or
 * whose TTL runs out continues translated into the host stack, as at tc.
 */
#define NB_HOOK_XDP 1
#include "lib/ctx.bpf.h"
#include "lib/maps.bpf.h"
#include "lib/drop.bpf.h"
#include "lib/nat.bpf.h"

SEC("xdp")
int xdp_uplink(struct xdp_md *ctx)
{
	__u32 len = nb_ctx_len(ctx);
	int ret = nb_nat_uplink_in(ctx);

	if (ret == XDP_PASS)
		return ret; /* untouched or left to the stack: tc's uplink_in sees it next */
	nb_event_verdict(ctx, ret, 0);
	if (nb_is_drop(ret)) {
		nb_drop_count(-ret, len);
		return XDP_DROP;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
