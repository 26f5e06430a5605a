/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv6 in the switch's maps (issue 16). The IPv6 fields live in the structs
 * every put writes whole (nb_network.subnet6/gateway6/prefixlen6,
 * nb_port.ip6), and nb_maps_network_put()/nb_maps_endpoint_put() (maps.h)
 * project them into nb_subnets6 and nb_neigh6 with the rest: a caller that
 * builds those structs (realize.c) fills the IPv6 fields with
 * nb_net6_fill()/nb_port6_fill() before the put, or a later re-put without
 * them removes the network's or endpoint's IPv6 again. nb_net6_set(),
 * nb_ep6_put() and nb_ep6_del() change the IPv6 of what is already in the
 * maps (read, change, put again).
 *
 * An endpoint's link-local address is never written anywhere: the programs
 * take it to be fe80::/64 + EUI-64 of the endpoint's MAC (nb_ip6_eui64()),
 * which is what a sandbox with addr_gen_mode eui64 configures.
 */
#ifndef NETBPF_V6MAPS_H
#define NETBPF_V6MAPS_H

#include <stdint.h>
#include <netinet/in.h>

#include "maps.h"

/*
 * Fills net's IPv6 fields: subnet/plen (1..128, no host bits set) and gw,
 * an address inside the subnet other than the subnet's own; subnet NULL
 * clears them. NB_NET_F_IPV6 follows. -EINVAL (nothing changed) otherwise.
 */
int nb_net6_fill(struct nb_network *net, const struct in6_addr *subnet, uint8_t plen,
		 const struct in6_addr *gw);
/* nb_port.ip6 = ip6 (NULL or :: = none); -EINVAL for a multicast or link-local address */
int nb_port6_fill(struct nb_port *port, const struct in6_addr *ip6);

/*
 * Network net_id, already in the maps, gets (or, subnet NULL, loses) IPv6:
 * nb_networks' fields and flag, nb_subnets6, the gateway's address in
 * nb_neigh6, the flag in every port of the network. -ENOENT when the network
 * is not in the maps, -EINVAL for bad input (nb_net6_fill()).
 */
int nb_net6_set(const struct nb_maps *m, uint32_t net_id, const struct in6_addr *subnet,
		uint8_t plen, const struct in6_addr *gw);
/*
 * Endpoint ifindex of network net_id, already in the maps, gets address ip6
 * (nb_ports.ip6, nb_neigh6). mac must be the port's (-EINVAL otherwise: a
 * caller that means another endpoint); -ENOENT when the port is not there,
 * -EEXIST when another port of the network holds ip6.
 */
int nb_ep6_put(const struct nb_maps *m, uint32_t net_id, uint32_t ifindex,
	       const struct in6_addr *ip6, const uint8_t mac[6]);
/* The endpoint holding ip6 on network net_id loses it; 0 when nobody holds it */
int nb_ep6_del(const struct nb_maps *m, uint32_t net_id, const struct in6_addr *ip6);

/* fe80::/64 with the modified EUI-64 interface identifier of mac (RFC 4291 appendix A) */
void nb_ip6_eui64(const uint8_t mac[6], struct in6_addr *out);

#endif
