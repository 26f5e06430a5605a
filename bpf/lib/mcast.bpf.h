/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv6 link control a sandbox multicasts that nobody on the network needs
 * (issue 20). Every new sandbox sends about six such frames as its interface
 * comes up: duplicate address detection for its link-local address, router
 * solicitations, MLD reports. Flooded, each is cloned to every port of the
 * network: O(N) per sandbox, O(N^2) over a ramp (ksoftirqd spent 88 s of CPU
 * creating 4,096 sandboxes, a sandbox received 25,548 such frames). They are
 * dropped at the sender's port instead, counted as link-control:
 *
 * - router solicitation (133): no router on a netbpf network answers one
 *   (the gateway sends no router advertisements, a sandbox's are dropped);
 * - MLD query, report, done (130, 131, 132, 143): netbpf floods multicast to
 *   every port whatever was reported, and neither the host's gateway nor a
 *   sandbox routes multicast; a sandbox's query would only make every other
 *   sandbox report;
 * - duplicate address detection, a neighbour solicitation from :: (135):
 *   every endpoint has a MAC of its own, so the link-local address derived
 *   from it is unique; a sandbox that configures a duplicate address by hand
 *   is not warned (documented in README).
 *
 * A network that gets IPv6 of its own (NB_NET_F_IPV6, issue 19) will want
 * router solicitations, and MLD if the host routes multicast, delivered to
 * its gateway only: never to the other sandboxes, which is the storm.
 *
 * Everything else is flooded as before: neighbour solicitations from an
 * address (sandboxes resolving each other), unsolicited advertisements, IPv6
 * multicast applications, and all IPv4 broadcast and multicast.
 */
#ifndef NETBPF_MCAST_BPF_H
#define NETBPF_MCAST_BPF_H

#include "parse.bpf.h"

#define NB_MC_IP6_HOPOPTS 0
#define NB_MC_IP6_DSTOPTS 60
#define NB_MC_IP6_ICMP	  58

#define NB_MC_MLD_QUERY	  130
#define NB_MC_MLD_REPORT  131
#define NB_MC_MLD_DONE	  132
#define NB_MC_RS	  133
#define NB_MC_NS	  135
#define NB_MC_MLD2_REPORT 143

struct nb_mc_ext {
	__u8 nexthdr;
	__u8 len; /* in 8-byte units, not counting the first 8 */
};

/*
 * ip6: a multicast IPv6 packet from a sandbox; c: the cursor just past its
 * fixed header. -NB_DROP_LINK_CONTROL for the messages above, 0 for the rest.
 * MLD comes behind a hop-by-hop header (router alert); one hop-by-hop and one
 * destination-options header are read, anything longer is flooded: only what
 * is recognised is dropped.
 */
static __always_inline int nb_mcast_ipv6_check(struct nb_cursor *c, const struct ipv6hdr *ip6)
{
	struct nb_cursor cur = *c;
	__u8 nexthdr = ip6->nexthdr, *type;
	struct nb_mc_ext *ext;
	int i;

#pragma unroll
	for (i = 0; i < 2; i++) {
		if (nexthdr != NB_MC_IP6_HOPOPTS && nexthdr != NB_MC_IP6_DSTOPTS)
			break;
		ext = nb_cursor_take(&cur, sizeof(*ext));
		if (!ext)
			return 0;
		nexthdr = ext->nexthdr;
		/* the rest of the header: up to 2,046 bytes, bounded for the verifier */
		if (!nb_cursor_take(&cur, ((__u32)ext->len * 8 + 6) & 0x7ff))
			return 0;
	}
	if (nexthdr != NB_MC_IP6_ICMP)
		return 0;
	type = nb_cursor_take(&cur, 1);
	if (!type)
		return 0;
	switch (*type) {
	case NB_MC_RS:
	case NB_MC_MLD_QUERY:
	case NB_MC_MLD_REPORT:
	case NB_MC_MLD_DONE:
	case NB_MC_MLD2_REPORT:
		return -NB_DROP_LINK_CONTROL;
	case NB_MC_NS:
		/* from the unspecified address: duplicate address detection */
		if (!(ip6->saddr.in6_u.u6_addr32[0] | ip6->saddr.in6_u.u6_addr32[1] |
		      ip6->saddr.in6_u.u6_addr32[2] | ip6->saddr.in6_u.u6_addr32[3]))
			return -NB_DROP_LINK_CONTROL;
		return 0;
	}
	return 0;
}

#endif
