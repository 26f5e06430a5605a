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
 * - duplicate address detection and every other neighbour solicitation:
 *   answered in BPF (nd.bpf.h) or dropped there, never flooded; a
 *   sandbox's multicast neighbour advertisements too (every neighbour gets
 *   its answers from BPF, nobody needs them).
 *
 * A network with IPv6 of its own (NB_NET_F_IPV6) does not want router
 * solicitations either: the host's gateway sends no router advertisements
 * (sandboxes get their default route configured).
 *
 * Everything else is flooded within the network (and to the host when it
 * has IPv6): IPv6 multicast applications, and all IPv4 broadcast and
 * multicast.
 */
#ifndef NETBPF_MCAST_BPF_H
#define NETBPF_MCAST_BPF_H

#include "parse.bpf.h"

#define NB_MC_MLD_QUERY	  130
#define NB_MC_MLD_REPORT  131
#define NB_MC_MLD_DONE	  132
#define NB_MC_RS	  133
#define NB_MC_MLD2_REPORT 143

/* type: the ICMPv6 type of a multicast packet from a sandbox (nd.bpf.h's walk found it) */
static __always_inline bool nb_mcast_link_control(__u8 type)
{
	switch (type) {
	case NB_MC_RS:
	case NB_MC_MLD_QUERY:
	case NB_MC_MLD_REPORT:
	case NB_MC_MLD_DONE:
	case NB_MC_MLD2_REPORT:
		return true;
	}
	return false;
}

#endif
