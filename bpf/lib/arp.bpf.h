/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ARP responder. The control plane knows the MAC of every address on a
 * network (endpoints and the gateway, in the neighbour table), so requests
 * are answered in BPF and ARP is never flooded: the request is rewritten in
 * place into the reply and sent back out of the port it came in on.
 */
#ifndef NETBPF_ARP_BPF_H
#define NETBPF_ARP_BPF_H

#include "fdb.bpf.h"
#include "overlay.bpf.h"
#include "parse.bpf.h"

/* Turns the request into "tpa is at mac", addressed to the requester. */
static __always_inline void nb_arp_to_reply(struct ethhdr *eth, struct nb_arp *arp, const __u8 *mac)
{
	__be32 tpa = arp->tpa;

	/* RFC 826: the reply goes to the sender hardware address */
	__builtin_memcpy(eth->h_dest, arp->sha, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	arp->hdr.ar_op = bpf_htons(ARPOP_REPLY);
	__builtin_memcpy(arp->tha, arp->sha, ETH_ALEN);
	arp->tpa = arp->spa;
	__builtin_memcpy(arp->sha, mac, ETH_ALEN);
	arp->spa = tpa;
}

/*
 * Answers a request received on a port of network net_id whose own address
 * is registered for self (an endpoint's ifindex, or the gateway's).
 * Replies and other operations: nobody on a netbpf network needs to hear
 * them, since every question is answered here. A request for the sender's
 * own address (gratuitous ARP, an RFC 5227 probe) has nobody to answer it.
 * On an overlay network an address held on another host is answered from
 * nb_remote_ip: ARP never crosses hosts either.
 */
static __always_inline int nb_arp_answer(struct ethhdr *eth, struct nb_arp *arp, __u32 net_id,
					 __u32 self)
{
	const struct nb_neigh_val *n;

	if (arp->hdr.ar_op != bpf_htons(ARPOP_REQUEST))
		return -NB_DROP_UNSUPPORTED;
	n = nb_neigh_lookup(net_id, arp->tpa);
	if (!n)
		n = nb_remote_ip_lookup(net_id, arp->tpa);
	if (!n)
		return -NB_DROP_ARP_UNKNOWN;
	if (n->ifindex == self)
		return -NB_DROP_UNSUPPORTED;
	nb_arp_to_reply(eth, arp, n->mac);
	return 0;
}

#endif
