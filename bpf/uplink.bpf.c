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
	return nb_uplink_verdict(skb, nb_nat_uplink_in(skb));
}

SEC("tc")
int uplink_out(struct __sk_buff *skb)
{
	if (nb_ct6_is_ipv6(skb))
		return nb_uplink_verdict(skb, nb_ct6_uplink_out(skb));
	return nb_uplink_verdict(skb, nb_nat_uplink_out(skb));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
