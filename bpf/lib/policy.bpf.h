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
 * - router messages: a sandbox is never a router. Its IPv6 router
 *   advertisements and redirects are dropped wherever they go, or a sandbox
 *   could become the host's (accept_ra) or its neighbours' default route
 *   (CVE-2020-13401).
 * - IPv6 to the host: only on a network with NB_NET_F_IPV6 (none yet, the
 *   flag is for networks that get IPv6 later); without it a sandbox's IPv6,
 *   multicast included, stays among the sandboxes.
 */
#ifndef NETBPF_POLICY_BPF_H
#define NETBPF_POLICY_BPF_H

#include "fdb.bpf.h"

/* IPv6 extension headers that may stand between the fixed header and ICMPv6 */
#define NB_IP6_HOPOPTS 0
#define NB_IP6_ROUTING 43
#define NB_IP6_DSTOPTS 60
#define NB_IP6_ICMP    58
#define NB_IP6_EXT_MAX 4 /* extension headers walked before giving up */

#define NB_ICMP6_ROUTER_ADVERT 134
#define NB_ICMP6_REDIRECT      137

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

/*
 * An IPv6 packet from a sandbox (fixed header at ETH_HLEN, next header
 * nexthdr): -NB_DROP_ROUTER_MSG for a router advertisement or redirect, also
 * behind extension headers, which Linux's ndisc accepts. A chain longer than
 * NB_IP6_EXT_MAX counts as one: no real sandbox sends such a thing, and an
 * unread ICMPv6 type must not be let through to a host that may accept it.
 * Fragments pass: Linux drops fragmented neighbour discovery (RFC 6980).
 */
static __always_inline int nb_policy_ipv6_from_sandbox(nb_ctx_t *ctx, __u8 nexthdr)
{
	__u32 off = ETH_HLEN + sizeof(struct ipv6hdr);
	__u8 h[2];
	int i;

	for (i = 0; i < NB_IP6_EXT_MAX; i++) {
		if (nexthdr == NB_IP6_ICMP) {
			if (nb_ctx_load(ctx, off, h, 1))
				return -NB_DROP_MALFORMED;
			if (h[0] == NB_ICMP6_ROUTER_ADVERT || h[0] == NB_ICMP6_REDIRECT)
				return -NB_DROP_ROUTER_MSG;
			return 0;
		}
		if (nexthdr != NB_IP6_HOPOPTS && nexthdr != NB_IP6_ROUTING &&
		    nexthdr != NB_IP6_DSTOPTS)
			return 0;
		if (nb_ctx_load(ctx, off, h, 2))
			return -NB_DROP_MALFORMED;
		nexthdr = h[0];
		off += ((__u32)h[1] + 1) * 8;
	}
	return nexthdr == NB_IP6_ICMP || nexthdr == NB_IP6_HOPOPTS || nexthdr == NB_IP6_ROUTING ||
		       nexthdr == NB_IP6_DSTOPTS
		   ? -NB_DROP_ROUTER_MSG
		   : 0;
}

/* May IPv6 from a sandbox of net reach the host? */
static __always_inline bool nb_policy_ipv6_to_host(const struct nb_network *net)
{
	return net->flags & NB_NET_F_IPV6;
}

#endif
