/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-endpoint counters, from the sandbox's point of view: tx is what the
 * sandbox sent (counted at its port's ingress, whatever became of it), rx
 * what netbpf delivered into it (counted where a program sends a frame
 * toward the sandbox, since bpf_redirect_peer() skips the veth's own
 * counters). The entries are per CPU and created by the control plane with
 * the endpoint; a port without one (the gateway's) is simply not counted.
 */
#ifndef NETBPF_STATS_BPF_H
#define NETBPF_STATS_BPF_H

#include "maps.bpf.h"

static __always_inline void nb_ep_count_tx(__u32 ifindex, __u32 len, bool dropped)
{
	struct nb_ep_stats *st = bpf_map_lookup_elem(&NB_MAP_EP_STATS, &ifindex);

	if (!st)
		return;
	st->tx_packets++;
	st->tx_bytes += len;
	if (dropped)
		st->tx_dropped++;
}

static __always_inline void nb_ep_count_rx(__u32 ifindex, __u32 len)
{
	struct nb_ep_stats *st = bpf_map_lookup_elem(&NB_MAP_EP_STATS, &ifindex);

	if (!st)
		return;
	st->rx_packets++;
	st->rx_bytes += len;
}

/* A frame addressed to the endpoint that policy dropped */
static __always_inline void nb_ep_count_rx_dropped(__u32 ifindex)
{
	struct nb_ep_stats *st = bpf_map_lookup_elem(&NB_MAP_EP_STATS, &ifindex);

	if (st)
		st->rx_dropped++;
}

#endif
