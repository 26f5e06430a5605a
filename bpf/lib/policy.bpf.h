/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Policy for traffic routed through the host, as Docker's DOCKER-ISOLATION
 * and internal-network chains give it, checked where it crosses the gateway
 * port: toward the host in "endpoint" (by destination), from the host in
 * "gateway" (by source).
 *
 * - isolation: an address inside another network's subnet is out of reach,
 *   except that network's gateway address, which is a host address (Docker
 *   filters forwarded traffic only, never traffic to the host itself);
 * - icc: with enable_icc=false, endpoint-to-endpoint traffic hairpinned
 *   through the host is dropped like the direct path;
 * - internal: nothing beyond the subnet but the gateway address. IPv6 has no
 *   netbpf-managed subnet, so an internal network keeps link-local IPv6 only.
 */
#ifndef NETBPF_POLICY_BPF_H
#define NETBPF_POLICY_BPF_H

#include "fdb.bpf.h"

/* peer: the far end of traffic that crosses the gateway of network net_id */
static __always_inline int nb_policy_routed_ipv4(const struct nb_network *net, __u32 net_id,
						 __be32 peer)
{
	const struct nb_network *other;
	__s64 owner;

	if (peer == net->gateway)
		return 0;
	owner = nb_subnet_owner(peer);
	if (owner >= 0 && owner != net_id) {
		other = nb_network_lookup(owner);
		if (!other || peer != other->gateway)
			return -NB_DROP_ISOLATION;
	}
	if (owner == net_id && !(net->flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	if ((net->flags & NB_NET_F_INTERNAL) && !nb_in_subnet(net, peer))
		return -NB_DROP_INTERNAL;
	return 0;
}

static __always_inline int nb_policy_routed_ipv6(const struct nb_network *net,
						 const struct in6_addr *peer)
{
	if ((net->flags & NB_NET_F_INTERNAL) && !nb_ipv6_link_local(peer))
		return -NB_DROP_INTERNAL;
	return 0;
}

#endif
