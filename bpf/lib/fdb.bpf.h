/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The switch's tables, read-only from BPF: ports by ifindex, networks by id,
 * the forwarding database (network, MAC) -> port, the neighbour table
 * (network, IPv4) -> MAC the ARP responder answers from, and the subnet
 * trie that says which network an address belongs to. Keys are built here
 * with every padding byte zeroed, as the control plane builds them.
 */
#ifndef NETBPF_FDB_BPF_H
#define NETBPF_FDB_BPF_H

#include "maps.bpf.h"
#include "parse.bpf.h"

static __always_inline const struct nb_port *nb_port_lookup(__u32 ifindex)
{
	return bpf_map_lookup_elem(&NB_MAP_PORTS, &ifindex);
}

static __always_inline const struct nb_network *nb_network_lookup(__u32 net_id)
{
	return bpf_map_lookup_elem(&NB_MAP_NETWORKS, &net_id);
}

static __always_inline const struct nb_fdb_val *nb_fdb_lookup(__u32 net_id, const __u8 *mac)
{
	struct nb_fdb_key key = {.net_id = net_id};

	__builtin_memcpy(key.mac, mac, ETH_ALEN);
	return bpf_map_lookup_elem(&NB_MAP_FDB, &key);
}

static __always_inline const struct nb_neigh_val *nb_neigh_lookup(__u32 net_id, __be32 ip)
{
	struct nb_neigh_key key = {.net_id = net_id, .ip = ip};

	return bpf_map_lookup_elem(&NB_MAP_NEIGH, &key);
}

/* The network whose subnet holds ip, or -1 when none does. */
static __always_inline __s64 nb_subnet_owner(__be32 ip)
{
	struct nb_lpm_key key = {.prefixlen = 32, .addr = ip};
	__u32 *net_id = bpf_map_lookup_elem(&NB_MAP_SUBNETS, &key);

	return net_id ? (__s64)*net_id : -1;
}

/* The network whose IPv6 subnet holds ip (16 bytes, net order), or -1 when none does. */
static __always_inline __s64 nb_subnet6_owner(const __u8 *ip)
{
	struct nb_lpm6_key key = {.prefixlen = 128};
	__u32 *net_id;

	__builtin_memcpy(key.addr, ip, 16);
	net_id = bpf_map_lookup_elem(&NB_MAP_SUBNETS6, &key);
	return net_id ? (__s64)*net_id : -1;
}

static __always_inline bool nb_in_subnet(const struct nb_network *net, __be32 ip)
{
	__u32 plen = net->prefixlen;
	__be32 mask;

	if (plen == 0)
		return true;
	mask = bpf_htonl(plen >= 32 ? ~0U : ~(~0U >> plen));
	return (ip & mask) == (net->subnet & mask);
}

#endif
