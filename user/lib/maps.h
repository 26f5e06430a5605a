/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The projection of the desired state into the switch's BPF maps (networks,
 * ports, FDB, ARP, subnets, flood lists, counters): realize.c, `up`'s
 * restore and the packet tests (which fill maps exactly as the CLI does)
 * write them through here. The NAT maps have nat.h, the monitor's events.h,
 * the instance settings dataplane.h; all of them read and write through one
 * access layer, mapio.h.
 *
 * A struct nb_maps holds one fd per pinned map (-1 when absent), obtained
 * either from the pins of a running instance or from a freshly loaded object.
 */
#ifndef NETBPF_MAPS_H
#define NETBPF_MAPS_H

#include <linux/types.h>
#include <netbpf/abi.h>

struct bpf_object;

struct nb_maps {
	int networks;
	int ports;
	int fdb;
	int neigh;
	int subnets;
	int flood;
	int ep_stats;
	int drops;
	int publish;
	int ct;
	int config;
	/* NAT maps (nat.h); optional in a pin dir, -1 when absent */
	int uplinks;
	int local_addrs;
	int frags;
	int sock_rnat;
	/* the per-endpoint drop breakdown, the monitor's maps, the XDP redirect targets */
	int ep_drops;
	int events;
	int monitor;
	int ev_lost;
	int xdp_devs;
	/* networks routed without NAT, half-open published flows, allow-lists */
	int pub_targets;
	int ct_syn;
	int pub_allow;
	/* overlay networks (overlay.h): VNIs, remote endpoints by MAC and by address, the
	 * VXLAN device */
	int vni;
	int remote;
	int remote_ip;
	int tunnel;
	/* IPv6: the NDP table and the IPv6 subnets (optional in an older pin dir) */
	int neigh6;
	int subnets6;
	int ct6;
	int frags6;	/* ports of translated IPv6 datagrams' first fragments */
	int publish6; /* published IPv6 ports */
	int sock_rnat6; /* sockets the connect6 hook redirected to one */
	int pub_allow6; /* allow-lists of published IPv6 ports */
};

/* every fd to -1 */
void nb_maps_init(struct nb_maps *m);
/* bpf_obj_get("<pin_dir>/<map name>") for each map; -ENOENT when the instance is not up */
int nb_maps_open_pinned(const char *pin_dir, struct nb_maps *m);
/* dup()s the fds of the maps an object has (those it lacks stay -1) */
int nb_maps_from_object(struct bpf_object *obj, struct nb_maps *m);
void nb_maps_close(struct nb_maps *m);

/*
 * A network: its nb_networks entry, its subnet in nb_subnets, the gateway's
 * MAC in nb_fdb (-> gw_ifindex, NB_FDB_F_GATEWAY), the gateway's address in
 * nb_neigh, and the gateway port (gwport_ifindex) in nb_ports. Idempotent.
 * With IPv6 (prefixlen6 != 0) also subnet6 in nb_subnets6 and gateway6 in
 * nb_neigh6; NB_NET_F_IPV6 is set exactly then (whatever net->flags says). A
 * network with IPv6 only (prefixlen 0, subnet 0) gets no nb_subnets entry.
 */
int nb_maps_network_put(const struct nb_maps *m, __u32 net_id, const struct nb_network *net);
/* Removes everything network_put wrote (reads the entry to find it). */
int nb_maps_network_del(const struct nb_maps *m, __u32 net_id);

/*
 * An endpoint: its nb_ports entry (kind NB_PORT_ENDPOINT), its MAC in nb_fdb,
 * its address in nb_neigh (and ip6, when not all zero, in nb_neigh6), its ifindex in the network's
 * flood list, and a zeroed nb_ep_stats entry (kept, not zeroed, on a re-put). Idempotent; a re-put
 * with another address or network removes the old entries. -ENOSPC when the network's flood list is
 * full (NB_MAX_FLOOD); a failed put of a new endpoint leaves nothing behind.
 */
int nb_maps_endpoint_put(const struct nb_maps *m, __u32 ifindex, const struct nb_port *port);
int nb_maps_endpoint_del(const struct nb_maps *m, __u32 ifindex);

/* Deletes every entry of the switch maps (nb_networks .. nb_flood), for sync */
int nb_maps_switch_clear(const struct nb_maps *m);

/*
 * Sums a per-CPU nb_ep_stats / nb_drops entry over the possible CPUs.
 * reason is an NB_DROP_* value (-EINVAL outside the enum); -ENOENT when the
 * endpoint has no counters.
 */
int nb_maps_ep_stats_sum(const struct nb_maps *m, __u32 ifindex, struct nb_ep_stats *out);
int nb_maps_drops_sum(const struct nb_maps *m, __u32 reason, struct nb_counter *out);
/* Any per-CPU map's struct nb_counter value at key, summed over the possible CPUs */
int nb_maps_percpu_counter_sum(int fd, const void *key, struct nb_counter *out);

/* "malformed", "spoof-mac", ... for NB_DROP_*; NULL when out of range */
const char *nb_drop_reason_name(__u32 reason);

#endif
