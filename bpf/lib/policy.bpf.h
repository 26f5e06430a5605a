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
 * - internal: nothing beyond the subnet but the gateway address (IPv6: the
 *   network's IPv6 subnet and link-local addresses).
 * - IPv6 to the host: only on a network with an IPv6 subnet (NB_NET_F_IPV6);
 *   without one a sandbox's IPv6, multicast included, stays among the
 *   sandboxes. Router messages are dropped in endpoint.bpf.h (ep_ipv6()).
 */
#ifndef NETBPF_POLICY_BPF_H
#define NETBPF_POLICY_BPF_H

#include "fdb.bpf.h"
#include "nd.bpf.h"

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

/*
 * IPv6 crossing the gateway of network net_id (IPv6 subnets: nb_subnets6),
 * peer its far end, as for IPv4: another network's subnet is out of reach
 * but its gateway address (a host address); with icc off the network's own
 * subnet is too (hairpin); an internal network reaches its own subnet and
 * link-local addresses only. Link-local addresses are never routed, so they
 * are the host's own.
 */
static __always_inline int nb_policy_routed_ipv6(const struct nb_network *net, __u32 net_id,
						 const struct in6_addr *peer)
{
	const struct nb_network *other;
	const __u8 *p = peer->in6_u.u6_addr8;
	__s64 owner;

	if (nb_ipv6_link_local(peer))
		return 0;
	owner = nb_subnet6_owner(p);
	if (net->prefixlen6 && nb_ip6_eq(p, net->gateway6))
		return 0;
	if (owner >= 0 && owner != net_id) {
		other = nb_network_lookup(owner);
		if (!other || !nb_ip6_eq(p, other->gateway6))
			return -NB_DROP_ISOLATION;
	}
	if (owner == net_id && !(net->flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	if ((net->flags & NB_NET_F_INTERNAL) && owner != net_id)
		return -NB_DROP_INTERNAL;
	return 0;
}

/* May IPv6 from a sandbox of net reach the host? */
static __always_inline bool nb_policy_ipv6_to_host(const struct nb_network *net)
{
	return net->flags & NB_NET_F_IPV6;
}

#endif
