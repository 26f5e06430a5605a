/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-endpoint counters, from the sandbox's point of view: tx is what the
 * sandbox sent (counted at its port's ingress, whatever became of it), rx
 * what netbpf delivered into it (counted where a program sends a frame
 * toward the sandbox, since bpf_redirect_peer() skips the veth's own
 * counters). They are a per-CPU array indexed by the endpoint's stats slot,
 * which the port (nb_port) and the FDB entry (nb_fdb_val) carry: the
 * verifier inlines an array lookup, so counting costs no hash lookup on the
 * forwarding path. Slot 0 is no endpoint's (the gateway port): not counted.
 */
#ifndef NETBPF_STATS_BPF_H
#define NETBPF_STATS_BPF_H

#include "maps.bpf.h"

static __always_inline struct nb_ep_stats *nb_ep_stats_slot(__u32 slot)
{
	if (!slot)
		return NULL;
	return bpf_map_lookup_elem(&NB_MAP_EP_STATS, &slot);
}

static __always_inline void nb_ep_count_tx(__u32 slot, __u32 len, bool dropped)
{
	struct nb_ep_stats *st = nb_ep_stats_slot(slot);

	if (!st)
		return;
	st->tx_packets++;
	st->tx_bytes += len;
	if (dropped)
		st->tx_dropped++;
}

static __always_inline void nb_ep_count_rx(__u32 slot, __u32 len)
{
	struct nb_ep_stats *st = nb_ep_stats_slot(slot);

	if (!st)
		return;
	st->rx_packets++;
	st->rx_bytes += len;
}

/* A frame addressed to the endpoint that policy dropped */
static __always_inline void nb_ep_count_rx_dropped(__u32 slot)
{
	struct nb_ep_stats *st = nb_ep_stats_slot(slot);

	if (st)
		st->rx_dropped++;
}

/* The stats slot of the port at ifindex (0 when it is no endpoint), where
 * only an ifindex is known: the flood list's members */
static __always_inline __u32 nb_ep_slot_of(__u32 ifindex)
{
	const struct nb_port *port = bpf_map_lookup_elem(&NB_MAP_PORTS, &ifindex);

	return port && port->kind == NB_PORT_ENDPOINT ? port->stats_slot : 0;
}

#endif
