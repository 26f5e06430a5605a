/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * netbpf map ABI: every key and value the BPF programs (bpf/) and netbpfctl
 * (user/) exchange, the names maps are pinned under, their limits, and the
 * drop reasons. Only __u8/__u16/__u32/__u64 and __be16/__be32 appear here so
 * the header compiles against vmlinux.h and against <linux/types.h>. Byte
 * order is stated for every field: "net" = network byte order (__be*),
 * "host" = CPU order.
 *
 * Map names are macros: the BPF side declares each map under the macro with
 * LIBBPF_PIN_BY_NAME, the CLI reopens "<pin dir>/<name>". Names are kept
 * under 16 bytes (BPF_OBJ_NAME_LEN) so the pin name and the map name agree.
 */
#ifndef NETBPF_ABI_H
#define NETBPF_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* ---- map names (pin file names under the pin dir) ---------------------- */
#define NB_MAP_NETWORKS nb_networks /* net_id -> struct nb_network */
#define NB_MAP_PORTS nb_ports /* ifindex -> struct nb_port: every switch port */
#define NB_MAP_FDB nb_fdb /* (net_id, MAC) -> struct nb_fdb_val */
#define NB_MAP_NEIGH nb_neigh /* (net_id, IPv4) -> struct nb_neigh_val: ARP table */
#define NB_MAP_SUBNETS nb_subnets /* LPM IPv4 prefix -> net_id (isolation) */
#define NB_MAP_FLOOD nb_flood /* net_id -> struct nb_flood: ports to flood */
#define NB_MAP_EP_STATS nb_ep_stats /* ifindex -> struct nb_ep_stats, per CPU */
#define NB_MAP_DROPS nb_drops /* reason index -> struct nb_counter, per CPU */
#define NB_MAP_PUBLISH nb_publish /* struct nb_publish_key -> struct nb_publish_val */
#define NB_MAP_CT nb_ct /* struct nb_ct_key -> struct nb_ct_entry (LRU) */
#define NB_MAP_CONFIG nb_config /* 0 -> struct nb_config: instance-wide settings */

#define NB_STR_(x) #x
#define NB_STR(x) NB_STR_(x)
/* "nb_networks" etc. as C strings, for user space */
#define NB_MAP_NAME(m) NB_STR(m)

/* Programs are pinned under "<pin dir>/progs/<name>" so every netbpfctl
 * invocation attaches the same loaded program instead of loading a copy. */
#define NB_PROG_ENDPOINT "endpoint" /* tc ingress of each host-side endpoint veth (nbe*) */
#define NB_PROG_GATEWAY "gateway" /* tc ingress of each gateway port peer (nbp*) */
#define NB_PROG_UPLINK_IN "uplink_in" /* tc ingress of each uplink */
#define NB_PROG_UPLINK_OUT "uplink_out" /* tc egress of each uplink */

/* ---- limits ------------------------------------------------------------ */
#define NB_MAX_NETWORKS 1024
#define NB_MAX_PORTS 65536 /* switch ports (endpoints + gateway ports), all networks */
#define NB_MAX_FDB 65536
#define NB_MAX_FLOOD 1024 /* ports one broadcast/multicast frame is flooded to */
#define NB_MAX_PUBLISH 65536
#define NB_MAX_CT 262144

/* ---- switch ------------------------------------------------------------ */

/* struct nb_network.flags */
#define NB_NET_F_ICC (1U << 0) /* endpoints of the network may talk to each other */
#define NB_NET_F_INTERNAL (1U << 1) /* nothing leaves the subnet but to the gateway */
#define NB_NET_F_MASQ (1U << 2) /* SNAT traffic leaving the host to the uplink address */

struct nb_network {
	__be32 subnet; /* net: network address */
	__u32 prefixlen; /* host: 0..32 */
	__be32 gateway; /* net: gateway address, held by the gateway port nbg<id> */
	__u8 gw_mac[6]; /* MAC of nbg<id>, what ARP for the gateway answers */
	__u16 pad;
	__u32 gw_ifindex; /* host: ifindex of nbg<id> (host stack side) */
	__u32 gwport_ifindex; /* host: ifindex of nbp<id> (switch side, runs "gateway") */
	__u32 flags; /* host: NB_NET_F_* */
	__u32 mtu; /* host */
};

/* struct nb_port.kind */
#define NB_PORT_ENDPOINT 1 /* host side of a sandbox's veth; peer is in the sandbox */
#define NB_PORT_GATEWAY 2 /* nbp<id>: where the host stack enters the network */

/* One per switch port, keyed by the port's ifindex (host, in the instance's netns). */
struct nb_port {
	__u32 net_id; /* host */
	__u32 kind; /* host: NB_PORT_* */
	__be32 ip; /* net: endpoint address (gateway address for NB_PORT_GATEWAY) */
	__u8 mac[6]; /* endpoint's MAC in the sandbox (gateway MAC for NB_PORT_GATEWAY) */
	__u16 pad;
	__u64 netns_cookie; /* host: cookie of the sandbox netns (0 for the gateway port) */
};

struct nb_fdb_key {
	__u32 net_id; /* host */
	__u8 mac[6];
	__u16 pad; /* must be zero */
};

/* struct nb_fdb_val.flags */
#define NB_FDB_F_GATEWAY (1U << 0) /* ifindex is nbg<id>: redirect with BPF_F_INGRESS */

struct nb_fdb_val {
	__u32 ifindex; /* host: endpoint veth (host side) or nbg<id> */
	__u32 flags; /* host: NB_FDB_F_* */
};

struct nb_neigh_key {
	__u32 net_id; /* host */
	__be32 ip; /* net */
};

struct nb_neigh_val {
	__u8 mac[6];
	__u16 pad;
	__u32 ifindex; /* host: the port that owns the address */
};

struct nb_lpm_key {
	__u32 prefixlen; /* host */
	__be32 addr; /* net */
};

struct nb_flood {
	__u32 count; /* host: valid entries in ifindex[] */
	__u32 ifindex[NB_MAX_FLOOD]; /* host: endpoint ports of the network */
};

/* Per-endpoint counters, from the sandbox's point of view: "tx" is what the
 * sandbox sent (seen at its port's ingress), "rx" what netbpf delivered into
 * it (counted where the program redirects into the sandbox). */
struct nb_ep_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 rx_dropped; /* addressed to the sandbox, dropped by policy */
	__u64 tx_dropped; /* sent by the sandbox, dropped (spoofing, isolation...) */
};

struct nb_counter {
	__u64 packets;
	__u64 bytes;
};

/* ---- published ports, conntrack, NAT ------------------------------------ */

struct nb_publish_key {
	__be32 host_ip; /* net: host address clients use; 0 = every host address */
	__be16 host_port; /* net */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad; /* must be zero */
};

struct nb_publish_val {
	__be32 sb_ip; /* net: sandbox address */
	__be16 sb_port; /* net: container port */
	__u16 pad;
	__u32 net_id; /* host */
	__u32 ifindex; /* host: the sandbox endpoint's host-side veth */
};

/* Instance-wide settings written by `netbpfctl up`. */
struct nb_config {
	__u64 host_netns_cookie; /* host: cookie of the netns netbpfctl runs in */
	__u32 flags; /* host: reserved */
	__u32 pad;
};

/* Connection tracking: see bpf/lib/ct.bpf.h for the state machine. The
 * key is the 5-tuple as seen on the wire in one direction. */
struct nb_ct_key {
	__be32 saddr; /* net */
	__be32 daddr; /* net */
	__be16 sport; /* net (ICMP echo: identifier) */
	__be16 dport; /* net (ICMP echo: identifier) */
	__u8 proto; /* IPPROTO_* */
	__u8 pad[3]; /* must be zero */
};

/* ---- drop reasons ------------------------------------------------------- */
/*
 * BPF helpers return -NB_DROP_*; the values start above every TC_ACT_* and
 * XDP_* verdict so a negative return can never be mistaken for one. The
 * nb_drops map is indexed by (reason - NB_DROP_BASE).
 */
#define NB_DROP_BASE 130
enum nb_drop_reason {
	NB_DROP_MALFORMED = NB_DROP_BASE, /* truncated or invalid headers */
	NB_DROP_NO_PORT, /* program attached to an interface netbpf does not know */
	NB_DROP_SPOOF_MAC, /* source MAC is not the endpoint's */
	NB_DROP_SPOOF_IP, /* source IPv4 is not the endpoint's */
	NB_DROP_SPOOF_ARP, /* ARP sender MAC/IP is not the endpoint's */
	NB_DROP_ARP_UNKNOWN, /* ARP request for an address nobody on the network holds */
	NB_DROP_UNKNOWN_UNICAST, /* destination MAC not in the network's FDB */
	NB_DROP_ISOLATION, /* traffic between different networks */
	NB_DROP_ICC, /* endpoint to endpoint with enable_icc=false */
	NB_DROP_INTERNAL, /* leaving an --internal network */
	NB_DROP_UNSUPPORTED, /* ethertype or ARP operation netbpf does not handle */
	NB_DROP_REDIRECT, /* redirect helper failed */
	NB_DROP_CT_FULL, /* conntrack entry could not be created */
	NB_DROP_NAT_EXHAUSTED, /* no free source port for masquerade */
	NB_DROP_FRAG, /* IPv4 fragment of a translated flow */
	NB_DROP_NO_ROUTE, /* FIB lookup failed for a translated packet */
	NB_DROP_CT_INVALID, /* packet does not belong to a tracked flow state */
	__NB_DROP_MAX,
};
#define NB_DROP_COUNT (__NB_DROP_MAX - NB_DROP_BASE)

#endif /* NETBPF_ABI_H */
