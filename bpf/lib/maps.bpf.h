/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the data plane, one comment line each. Each map is pinned by
 * name under the instance's pin dir (bpf_object_open_opts.pin_root_path), so
 * every object that includes this header shares the same maps, and
 * `bpftool map dump pinned <pin dir>/<name>` shows them. Keys and values are
 * the structs of <netbpf/abi.h>.
 */
#ifndef NETBPF_MAPS_BPF_H
#define NETBPF_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <netbpf/abi.h>

/* networks by net_id: subnet, gateway, flags */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_NETWORKS);
	__type(key, __u32);
	__type(value, struct nb_network);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_NETWORKS SEC(".maps");

/* switch ports by ifindex: endpoints and gateway ports */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct nb_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_PORTS SEC(".maps");

/* forwarding database: (net_id, MAC) -> port */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_FDB);
	__type(key, struct nb_fdb_key);
	__type(value, struct nb_fdb_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_FDB SEC(".maps");

/* ARP table the responder answers from: (net_id, IPv4) -> MAC */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_FDB);
	__type(key, struct nb_neigh_key);
	__type(value, struct nb_neigh_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_NEIGH SEC(".maps");

/* every network's subnet, longest prefix first: isolation between networks */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NB_MAX_NETWORKS);
	__type(key, struct nb_lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_SUBNETS SEC(".maps");

/* NDP table the responder answers from: (net_id, IPv6) -> MAC (link-local: nb_fdb) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_FDB);
	__type(key, struct nb_neigh6_key);
	__type(value, struct nb_neigh_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_NEIGH6 SEC(".maps");

/* every network's IPv6 subnet: isolation between networks for IPv6 */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NB_MAX_NETWORKS);
	__type(key, struct nb_lpm6_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_SUBNETS6 SEC(".maps");

/* per network: the endpoint ports broadcast/multicast frames are flooded to */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_NETWORKS);
	__type(key, __u32);
	__type(value, struct nb_flood);
	/* 16 KiB a value: only for networks that exist, not --max-networks of them */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_FLOOD SEC(".maps");

/* per-endpoint packet/byte counters (sandbox's point of view) by stats slot, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NB_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct nb_ep_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_EP_STATS SEC(".maps");

/* drops by reason (index = NB_DROP_* - NB_DROP_BASE), per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NB_DROP_COUNT);
	__type(key, __u32);
	__type(value, struct nb_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_DROPS SEC(".maps");

/* instance settings: key 0 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nb_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_CONFIG SEC(".maps");

/* published ports and conntrack: see the NAT section of <netbpf/abi.h> */

/* published ports: (host address or 0, port, proto) -> sandbox address, port */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_PUBLISH);
	__type(key, struct nb_publish_key);
	__type(value, struct nb_publish_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_PUBLISH SEC(".maps");

/* published ports' sandbox side -> how many lead there (networks routed without NAT) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_PUBLISH);
	__type(key, struct nb_pub_target);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_PUB_TARGETS SEC(".maps");

/* conntrack: wire 5-tuple of one direction -> translation, state, counters */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_CT);
	__type(key, struct nb_ct_key);
	__type(value, struct nb_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_CT SEC(".maps");

/* published ports' source allow-lists: (port key, source prefix) -> NB_PUB_ALLOW_* */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NB_MAX_PUB_ALLOW);
	__type(key, struct nb_pub_allow_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_PUB_ALLOW SEC(".maps");

/* half-open published-port TCP flows, apart so that a SYN flood cannot evict nb_ct's */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_CT_SYN);
	__type(key, struct nb_ct_key);
	__type(value, struct nb_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_CT_SYN SEC(".maps");

/* sandboxes' IPv6 flows through the uplinks, by their replies' tuple: what may come back in */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_CT6);
	__type(key, struct nb_ct6_key);
	__type(value, struct nb_ct6_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_CT6 SEC(".maps");

/* published IPv6 ports */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_PUBLISH6);
	__type(key, struct nb_publish6_key);
	__type(value, struct nb_publish6_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_PUBLISH6 SEC(".maps");

/* published IPv6 ports' source allow-lists: (port key, source prefix) -> NB_PUB_ALLOW_* */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, NB_MAX_PUB_ALLOW);
	__type(key, struct nb_pub_allow6_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_PUB_ALLOW6 SEC(".maps");

/* uplinks by ifindex: masquerade address and port range */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_UPLINKS);
	__type(key, __u32);
	__type(value, struct nb_uplink);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_UPLINKS SEC(".maps");

/* the host's own IPv4 addresses, for the socket hooks (which cannot ask the FIB) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_LOCAL_ADDRS);
	__type(key, nb_ipv4_bytes); /* a __be32: its bytes, as bpftool shows them */
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_LOCAL_ADDRS SEC(".maps");

/* ports of translated fragmented datagrams, for their later fragments */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_FRAGS);
	__type(key, struct nb_frag_key);
	__type(value, struct nb_frag_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_FRAGS SEC(".maps");

/* ports of translated fragmented IPv6 datagrams, for their later fragments */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_FRAGS);
	__type(key, struct nb_frag6_key);
	__type(value, struct nb_frag_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_FRAGS6 SEC(".maps");

/* socket hooks: (socket cookie, sandbox address) -> published address asked for */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_SOCK_RNAT);
	__type(key, struct nb_sock_rnat_key);
	__type(value, struct nb_sock_rnat_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_SOCK_RNAT SEC(".maps");

/* the same for published IPv6 ports */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NB_MAX_SOCK_RNAT);
	__type(key, struct nb_sock_rnat6_key);
	__type(value, struct nb_sock_rnat6_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_SOCK_RNAT6 SEC(".maps");

/* events for `netbpfctl monitor`: see the events section of <netbpf/abi.h> */

/* event stream to the monitor (struct nb_event records) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NB_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_EVENTS SEC(".maps");

/* key 0: which event types the listening monitor wants (0 = none listens) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nb_monitor);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_MONITOR SEC(".maps");

/* key 0: events lost to a full ring buffer, per CPU */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_EV_LOST SEC(".maps");

/* drops by (endpoint, reason), per CPU; LRU so removed endpoints age out */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, NB_MAX_EP_DROPS);
	__type(key, struct nb_ep_drop_key);
	__type(value, struct nb_counter);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_EP_DROPS SEC(".maps");

/* overlay networks: see the overlay section of <netbpf/abi.h> */

/* VNI -> net_id of the local overlay network with that VNI */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_NETWORKS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_VNI SEC(".maps");

/* remote endpoints by (net_id, MAC): their host's underlay address, address and VNI */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_REMOTE);
	__type(key, struct nb_fdb_key);
	__type(value, struct nb_remote_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_REMOTE SEC(".maps");

/* remote endpoints by (net_id, IPv4): the MAC the ARP responder answers with */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NB_MAX_REMOTE);
	__type(key, struct nb_neigh_key);
	__type(value, struct nb_neigh_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_REMOTE_IP SEC(".maps");

/* key 0: the instance's VXLAN device */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nb_tunnel);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_TUNNEL SEC(".maps");

#endif
