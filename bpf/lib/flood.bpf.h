/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Flooding broadcast and multicast (never ARP, which arp.bpf.h answers) to
 * the ports of a network, from its flood list in nb_flood.
 *
 * bpf_redirect_peer() cannot follow bpf_clone_redirect(), so every copy
 * leaves through the endpoint's host-side veth (egress), which hands it to
 * the peer in the sandbox; the veth then also gives the copy the broadcast or
 * multicast packet type a sandbox's stack expects. Copies for the host enter
 * the gateway device's ingress (BPF_F_INGRESS). Every target but the last
 * gets a clone and the last gets the original frame through bpf_redirect():
 * one clone fewer, and no TC_ACT_SHOT that would show in the qdisc's drop
 * count for a frame that was delivered. With no target at all the frame is
 * shot without counting a drop: nobody was there to receive it.
 */
#ifndef NETBPF_FLOOD_BPF_H
#define NETBPF_FLOOD_BPF_H

#include "maps.bpf.h"
#include "drop.bpf.h"
#include "stats.bpf.h"

struct nb_flood_state {
	struct __sk_buff *skb;
	const struct nb_flood *list;
	__u32 skip;	     /* the ingress port */
	__u32 len;	     /* frame length, for the counters */
	__u32 pending;	     /* target not served yet, 0 = none */
	__u32 pending_flags; /* bpf_redirect() flags for pending */
};

/* Sends a clone to the pending target, making room for the next one. */
static __always_inline void nb_flood_flush(struct nb_flood_state *st)
{
	if (!st->pending)
		return;
	if (bpf_clone_redirect(st->skb, st->pending, st->pending_flags)) {
		/* the copy is lost, the others are not: count it, carry on */
		nb_drop_count(NB_DROP_REDIRECT, st->len);
		nb_ep_count_rx_dropped(nb_ep_slot_of(st->pending));
	} else {
		nb_ep_count_rx(nb_ep_slot_of(st->pending), st->len);
	}
	st->pending = 0;
}

static long nb_flood_one(__u64 idx, void *data)
{
	struct nb_flood_state *st = data;
	__u32 ifindex;

	if (idx >= NB_MAX_FLOOD)
		return 1;
	ifindex = st->list->ifindex[idx];
	if (!ifindex || ifindex == st->skip)
		return 0;
	nb_flood_flush(st);
	st->pending = ifindex;
	st->pending_flags = 0;
	return 0;
}

/*
 * Floods the frame to the endpoints of net_id except skip, and to the host
 * through gw_ifindex when it is not 0. Returns the verdict for the original.
 */
static __always_inline int nb_flood_frame(struct __sk_buff *skb, __u32 net_id, __u32 skip,
					  __u32 gw_ifindex)
{
	struct nb_flood_state st = {
	    .skb = skb,
	    .skip = skip,
	    .len = skb->len,
	    .pending = gw_ifindex,
	    .pending_flags = BPF_F_INGRESS,
	};
	__u32 count;

	st.list = bpf_map_lookup_elem(&NB_MAP_FLOOD, &net_id);
	if (st.list) {
		count = st.list->count;
		if (count > NB_MAX_FLOOD)
			count = NB_MAX_FLOOD;
		bpf_loop(count, nb_flood_one, &st, 0);
	}
	if (!st.pending)
		return TC_ACT_SHOT;
	nb_ep_count_rx(nb_ep_slot_of(st.pending), st.len);
	return bpf_redirect(st.pending, st.pending_flags);
}

#endif
