// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The uplink programs: tc ingress (uplink_in) and egress (uplink_out) of
 * each interface of the host netns that leads outside. They translate
 * published ports, masquerade and ICMP errors about both (bpf/lib/nat.bpf.h
 * has the decisions); every other packet passes untouched, so the host's
 * own traffic never depends on netbpf. IPv6: published ports are translated
 * (bpf/lib/nat6.bpf.h); what enters a sandbox IPv6 subnet is limited to the
 * replies of the sandboxes' own flows (bpf/lib/ct6.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "lib/maps.bpf.h"
#include "lib/drop.bpf.h"
#include "lib/nat.bpf.h"
#include "lib/nat6.bpf.h"

static __always_inline int nb_uplink_verdict(nb_ctx_t *skb, int ret)
{
	nb_event_verdict(skb, ret, 0);
	if (nb_is_drop(ret)) {
		nb_drop_count(-ret, skb->len);
		return TC_ACT_SHOT;
	}
	return ret;
}

/*
 * The IPv4 path as a function of its own: its stack and IPv6's
 * (nb_nat6_uplink_in()) are then never added up in one call chain.
 */
__noinline int nb_uplink_in4(struct __sk_buff *skb)
{
	if (!skb)
		return NB_ACT_PASS;
	return nb_nat_uplink_in(skb);
}

SEC("tc")
int uplink_in(struct __sk_buff *skb)
{
	if (nb_ct6_is_ipv6(skb))
		return nb_uplink_verdict(skb, nb_nat6_uplink_in(skb));
	return nb_uplink_verdict(skb, nb_uplink_in4(skb));
}

__noinline int nb_uplink_out4(struct __sk_buff *skb)
{
	if (!skb)
		return NB_ACT_PASS;
	return nb_nat_uplink_out(skb);
}

SEC("tc")
int uplink_out(struct __sk_buff *skb)
{
	if (nb_ct6_is_ipv6(skb))
		return nb_uplink_verdict(skb, nb_nat6_uplink_out(skb));
	return nb_uplink_verdict(skb, nb_uplink_out4(skb));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
