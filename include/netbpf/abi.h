/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * netbpf map ABI: every key and value the BPF programs (bpf/) and netbpfctl
 * (user/) exchange, the names maps are pinned under, their limits, and the
 * drop reasons. Only __u8/__u16/__u32/__u64 and __be16/__be32 appear here so
 * the header compiles against vmlinux.h and against <linux/types.h>, plus
 * enums for the kinds so that bpftool prints them by name. Byte order is
 * stated for every field: "net" = network byte order (__be*), "host" = CPU
 * order. Every __be32 is an IPv4 address: netbpfctl gives those members the
 * type nb_ipv4_bytes in the BTF it loads, so that bpftool prints [10,0,0,1]
 * (user/lib/btfview.h, docs/maps.md).
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
#include "consts.h"

/* ---- map names (pin file names under the pin dir) ---------------------- */
#define NB_MAP_NETWORKS nb_networks /* net_id -> struct nb_network */
#define NB_MAP_PORTS nb_ports /* ifindex -> struct nb_port: every switch port */
#define NB_MAP_FDB nb_fdb /* (net_id, MAC) -> struct nb_fdb_val */
#define NB_MAP_NEIGH nb_neigh /* (net_id, IPv4) -> struct nb_neigh_val: ARP table */
#define NB_MAP_SUBNETS nb_subnets /* LPM IPv4 prefix -> net_id (isolation) */
#define NB_MAP_FLOOD nb_flood /* net_id -> struct nb_flood: ports to flood */
#define NB_MAP_EP_STATS nb_ep_stats /* stats slot -> struct nb_ep_stats, per CPU */
#define NB_MAP_DROPS nb_drops /* reason index -> struct nb_counter, per CPU */
#define NB_MAP_PUBLISH nb_publish /* struct nb_publish_key -> struct nb_publish_val */
#define NB_MAP_CT nb_ct /* struct nb_ct_key -> struct nb_ct_entry (LRU) */
#define NB_MAP_CONFIG nb_config /* 0 -> struct nb_config: instance-wide settings */
#define NB_MAP_NEIGH6 nb_neigh6 /* (net_id, IPv6) -> struct nb_neigh_val: the NDP table */
#define NB_MAP_SUBNETS6 nb_subnets6 /* LPM IPv6 prefix -> net_id (isolation) */

/* An IPv4 address as bpftool prints it: 4 bytes in network order, [10,0,0,1] */
typedef __u8 nb_ipv4_bytes[4];

#define NB_STR_(x) #x
#define NB_STR(x) NB_STR_(x)
/* "nb_networks" etc. as C strings, for user space */
#define NB_MAP_NAME(m) NB_STR(m)

/* Programs are pinned under "<pin dir>/progs/<name>" so every netbpfctl
 * invocation attaches the same loaded program instead of loading a copy. */
#define NB_PROG_ENDPOINT "endpoint" /* tc ingress of each host-side endpoint veth (nbe*) */
/* tail-called by "endpoint" for IPv6 to the gateway (hairpin; nb_ep_tail[NB_EP_TAIL_NAT6]) */
#define NB_PROG_ENDPOINT_NAT6 "endpoint_nat6"
#define NB_EP_TAIL_NAT6 0
#define NB_EP_TAIL_COUNT 1
#define NB_PROG_GATEWAY "gateway" /* tc ingress of each gateway port peer (nbp*) */
#define NB_PROG_UPLINK_IN "uplink_in" /* tc ingress of each uplink */
#define NB_PROG_UPLINK_OUT "uplink_out" /* tc egress of each uplink */
/* XDP mode (`up --mode xdp`): these in front of the tc programs, which stay attached */
#define NB_PROG_XDP_ENDPOINT "xdp_endpoint" /* gone: detached where an older netbpf left it */
#define NB_PROG_XDP_SANDBOX "xdp_sandbox" /* XDP of each sandbox-side veth: XDP_PASS */
#define NB_PROG_XDP_UPLINK "xdp_uplink" /* XDP of each uplink */

/* ---- limits ------------------------------------------------------------ */
#define NB_MAX_NETWORKS 4096 /* default of `up --max-networks` (issue 20) */
#define NB_MAX_PORTS 65536 /* switch ports (endpoints + gateway ports), all networks */
#define NB_MAX_FDB 65536
/* Endpoints of one network: its flood list is one map value of this many ports,
 * a fixed size (BTF of the value). 16 KiB per network that exists (nb_flood is
 * not preallocated): docs/maps.md. */
#define NB_MAX_FLOOD 4096
#define NB_MAX_PUBLISH 65536
#define NB_MAX_CT 262144
/* entries (two per flow) for half-open published-port connections: a SYN flood from outside
 * evicts only these, never an established flow in nb_ct */
#define NB_MAX_CT_SYN 65536

/* ---- switch ------------------------------------------------------------ */

/* struct nb_network.flags */
#define NB_NET_F_ICC (1U << 0) /* endpoints of the network may talk to each other */
#define NB_NET_F_INTERNAL (1U << 1) /* nothing leaves the subnet but to the gateway */
#define NB_NET_F_MASQ (1U << 2) /* SNAT traffic leaving the host to the uplink address */
/* the network has an IPv6 subnet (nb_network.subnet6/prefixlen6): IPv6 from its sandboxes
 * may reach the host (link-local IPv6 between sandboxes works on every network) */
#define NB_NET_F_IPV6 (1U << 3)
/* `-o netbpf.routed=true`: the network is routed without NAT from outside as well, so the
 * uplinks let in what is addressed to its sandboxes' published container ports (by default
 * only replies of the sandboxes' own flows and published host ports enter) */
#define NB_NET_F_ROUTED (1U << 4)
/* an overlay network (issue 17): its endpoints span hosts; frames to an endpoint of another
 * host are encapsulated in VXLAN (VNI nb_network.vni) toward that host (docs/overlay.md) */
#define NB_NET_F_OVERLAY (1U << 5)
/* every port carries its network's flags in a __u16 (nb_port.net_flags): keep them below 1 << 16 */

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
	__u32 vni; /* host: the overlay network's VXLAN network identifier; 0 for a local network */
	/* IPv6 (issue 16): all zero when the network has none (NB_NET_F_IPV6 clear) */
	__u8 subnet6[16]; /* net: network prefix, host bits zero */
	__u8 gateway6[16]; /* net: gateway address on nbg<id>; its link-local is EUI-64(gw_mac) */
	__u8 prefixlen6; /* 0..128; 0 = no IPv6 */
	__u8 pad6[3]; /* must be zero */
};

/* struct nb_port.kind: an enum, so that bpftool prints the kind by name */
enum nb_port_kind {
	NB_PORT_ENDPOINT = 1, /* host side of a sandbox's veth; peer is in the sandbox */
	NB_PORT_GATEWAY = 2, /* nbp<id>: where the host stack enters the network */
};

/* One per switch port, keyed by the port's ifindex (host, in the instance's netns). */
struct nb_port {
	__u32 net_id; /* host */
	enum nb_port_kind kind; /* host, 4 bytes */
	__be32 ip; /* net: endpoint address (gateway address for NB_PORT_GATEWAY) */
	__u8 mac[6]; /* endpoint's MAC in the sandbox (gateway MAC for NB_PORT_GATEWAY) */
	__u16 net_flags; /* host: the network's NB_NET_F_*, so forwarding needs no network lookup */
	__u32 stats_slot; /* host: the endpoint's index in nb_ep_stats, 0 = not counted */
	__u64 netns_cookie; /* host: cookie of the sandbox netns (0 for the gateway port) */
	/* net: the endpoint's IPv6 address (gateway6 for NB_PORT_GATEWAY); all zero = none.
	 * Its link-local address is not stored: it is EUI-64 of mac (fe80::/64). */
	__u8 ip6[16];
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
	__u32 stats_slot; /* host: the endpoint's nb_port.stats_slot, 0 for the gateway */
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

/* nb_neigh6: an endpoint's or the gateway's IPv6 address (link-local addresses are not
 * there: the programs derive the MAC from an EUI-64 address and ask nb_fdb) */
struct nb_neigh6_key {
	__u32 net_id; /* host */
	__u8 ip6[16]; /* net */
};

/* nb_subnets6 */
struct nb_lpm6_key {
	__u32 prefixlen; /* host: 0..128 */
	__u8 addr[16]; /* net */
};

struct nb_flood {
	__u32 count; /* host: valid entries in ifindex[] */
	__u32 ifindex[NB_MAX_FLOOD]; /* host: endpoint ports of the network */
};

/* Per-endpoint counters, from the sandbox's point of view: "tx" is what the
 * sandbox sent (seen at its port's ingress), "rx" what netbpf delivered into
 * it (counted where the program redirects into the sandbox). They live in a
 * per-CPU array indexed by the endpoint's stats slot (1..NB_MAX_PORTS-1, given
 * by the control plane with the port and carried in its nb_port and nb_fdb_val),
 * so the programs reach them without a hash lookup. */
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
/*
 * The data-plane decisions behind these structs are written down in
 * docs/nat.md. Maps of this section (names under 16 bytes):
 */
#define NB_MAP_UPLINKS nb_uplinks /* ifindex -> struct nb_uplink: masquerade source */
#define NB_MAP_LOCAL_ADDRS nb_local_addrs /* host address (nb_ipv4_bytes) -> __u32 ifindex */
#define NB_MAP_FRAGS nb_frags /* struct nb_frag_key -> struct nb_frag_val (LRU) */
#define NB_MAP_SOCK_RNAT nb_sock_rnat /* struct nb_sock_rnat_key -> _val (LRU) */
#define NB_MAP_PUB_TARGETS nb_pub_targets /* struct nb_pub_target -> __u32 published ports to it */
#define NB_MAP_CT_SYN nb_ct_syn /* as nb_ct: published-port TCP flows not answered yet (LRU) */
#define NB_MAP_PUB_ALLOW nb_pub_allow /* LPM struct nb_pub_allow_key -> __u32 NB_PUB_ALLOW_* */
#define NB_MAP_CT6 nb_ct6 /* struct nb_ct6_key -> struct nb_ct6_entry (LRU): sandboxes' IPv6 flows */
#define NB_MAP_PUBLISH6 nb_publish6 /* struct nb_publish6_key -> struct nb_publish6_val */
#define NB_MAP_SOCK_RNAT6 nb_sock_rnat6 /* struct nb_sock_rnat6_key -> _val (LRU) */
#define NB_MAP_FRAGS6 nb_frags6 /* struct nb_frag6_key -> struct nb_frag_val (LRU) */
#define NB_MAP_PUB_ALLOW6 nb_pub_allow6 /* LPM struct nb_pub_allow6_key -> __u32 NB_PUB_ALLOW_* */
#define NB_MAP_EP_TAIL nb_ep_tail /* __u32 NB_EP_TAIL_* -> program "endpoint" tail-calls (PROG_ARRAY) */
#define NB_MAP_SOCK_RNAT_SK nb_sock_rnat_sk /* socket storage: struct nb_sock_rnat_sk */

#define NB_MAX_UPLINKS 64
#define NB_MAX_LOCAL_ADDRS 4096
#define NB_MAX_FRAGS 8192 /* IPv4 datagrams in flight whose first fragment was translated */
#define NB_MAX_SOCK_RNAT 65536 /* host sockets talking to a published port */
#define NB_MAX_PUB_ALLOW 65536 /* allow-list prefixes of all published ports, plus one each */
#define NB_MAX_CT6 65536 /* IPv6 flows of sandboxes through the uplinks, two entries each */
#define NB_MAX_PUBLISH6 NB_MAX_PUBLISH

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
	__u64 conns; /* host: connections translated (uplink, hairpin, socket hooks); BPF adds */
};

/*
 * The sandbox side of published ports: what a network routed without NAT
 * (NB_NET_F_ROUTED) lets in at the sandboxes' own addresses. The value counts
 * the nb_publish entries leading here (user space keeps it with nb_publish).
 */
struct nb_pub_target {
	__be32 sb_ip; /* net */
	__be16 sb_port; /* net */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad; /* must be zero */
};

/*
 * Source allow-lists of published ports (`publish --allow CIDR`), checked at
 * the uplink before a flow from outside is created. An LPM trie over the
 * published port's key (the nb_publish key: host address or 0, port,
 * protocol: the first NB_PUB_ALLOW_KEY_BITS bits) and then the source
 * address. A port with a list has an entry of exactly the key's length
 * (NB_PUB_ALLOW_LISTED: "listed, and you are not on it"), and one per
 * allowed prefix (NB_PUB_ALLOW_OK); the longest match decides. A port
 * without any entry follows the instance's default (NB_CFG_F_PUBLISH_DENY).
 */
struct nb_pub_allow_key {
	__u32 prefixlen; /* host: NB_PUB_ALLOW_KEY_BITS + the source prefix length */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad; /* must be zero */
	__be16 host_port; /* net */
	__be32 host_ip; /* net: as in struct nb_publish_key (0 = every host address) */
	__be32 saddr; /* net: the source prefix */
};
#define NB_PUB_ALLOW_KEY_BITS 64
#define NB_PUB_ALLOW_LISTED 0 /* value of the list's own entry */
#define NB_PUB_ALLOW_OK 1 /* value of an allowed prefix */

/* The same for published IPv6 ports (nb_publish6's key, then the IPv6 source prefix) */
struct nb_pub_allow6_key {
	__u32 prefixlen; /* host: NB_PUB_ALLOW6_KEY_BITS + the source prefix length */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad; /* must be zero */
	__be16 host_port; /* net */
	__u8 host_ip6[16]; /* net: as in struct nb_publish6_key (:: = every host address) */
	__u8 saddr6[16]; /* net: the source prefix */
};
#define NB_PUB_ALLOW6_KEY_BITS 160

/* Instance-wide settings written by `netbpfctl up`. */
#define NB_CFG_F_XDP 0x1 /* `up --mode xdp`: the XDP programs are attached too */
/* `up --publish-default deny`: a published port without an allow-list accepts nobody from
 * outside (host-local clients and sandboxes still reach it) */
#define NB_CFG_F_PUBLISH_DENY 0x2

struct nb_config {
	__u64 host_netns_cookie; /* host: cookie of the netns netbpfctl runs in */
	__u32 flags; /* host: NB_CFG_F_* */
	__u32 pad;
};

/* One per uplink, keyed by its ifindex: what masquerade rewrites sources to, and how
 * strictly the sources of published-port flows are checked (rp_filter). */
struct nb_uplink {
	__be32 ip; /* net: the uplink's address (SNAT source) */
	__u16 port_min; /* host: SNAT TCP/UDP source ports, inclusive (ICMP ids: all); 0 = NB_MASQ_PORT_MIN */
	__u16 port_max; /* host: 0 = NB_MASQ_PORT_MAX */
	__u8 rp_filter; /* the uplink's effective net.ipv4.conf rp_filter: 0 off, 1 strict, 2 loose */
	__u8 pad[3];
};

/*
 * TCP window tracking of one direction of a flow, as Linux's conntrack does
 * it (bpf/lib/ct.bpf.h); in struct nb_ct_entry and struct nb_ct6_entry alike.
 */
struct nb_ct_td {
	__u32 end; /* host: highest sequence number + length this direction sent */
	__u16 maxwin; /* host: largest window field this direction advertised (unscaled) */
	__u8 wscale; /* this direction's window scale (RFC 7323), from its SYN */
	__u8 flags; /* NB_CT_TD_* */
};
#define NB_CT_TD_KNOWN (1U << 0) /* end and maxwin hold this direction's packets */

/*
 * Connection tracking: one nb_ct entry per direction of a translated flow,
 * keyed by the 5-tuple as seen on the wire in that direction (before
 * translation). ICMP echo: a request has sport = identifier and dport = 0,
 * a reply sport = 0 and dport = identifier, so the reply key is the request
 * key reversed (addresses and "ports" swapped) exactly as for TCP/UDP, and a
 * request from outside never matches a reply entry.
 */
struct nb_ct_key {
	__be32 saddr; /* net */
	__be32 daddr; /* net */
	__be16 sport; /* net (ICMP echo request: identifier, reply: 0) */
	__be16 dport; /* net (ICMP echo request: 0, reply: identifier) */
	__u8 proto; /* IPPROTO_* */
	__u8 pad[3]; /* must be zero */
};

/*
 * The kinds of struct nb_ct_entry are enums so that bpftool prints them by name.
 * Their fields are one byte: C before C23 has no enum with a fixed underlying
 * type (gcc 12 refuses `enum : __u8` in C), but gcc and clang both make a
 * __packed__ enum as small as its values, here one byte (asserted below).
 */
/* struct nb_ct_entry.type: what created the flow */
enum __attribute__((__packed__)) nb_ct_type {
	NB_CT_DNAT = 1, /* published port reached from outside (uplink ingress) */
	NB_CT_SNAT = 2, /* masquerade: a sandbox reaching outside through an uplink */
	NB_CT_HAIRPIN = 3, /* a sandbox reaching a published port: DNAT + SNAT to the gateway */
	/* a sandbox's flow leaving through an uplink with its own address (no masquerade):
	 * nothing is translated, the flow is tracked so that its replies may enter (`ct ls`
	 * does not list it) */
	NB_CT_ROUTED = 4,
};

/* struct nb_ct_entry.dir */
enum __attribute__((__packed__)) nb_ct_dir {
	NB_CT_DIR_ORIG = 0, /* the direction of the flow's first packet */
	NB_CT_DIR_REPLY = 1,
};

/* struct nb_ct_entry.state (both entries of a flow agree; see bpf/lib/ct.bpf.h) */
enum __attribute__((__packed__)) nb_ct_state {
	NB_CT_S_NEW = 0, /* one direction seen (TCP: SYN sent) */
	NB_CT_S_ESTABLISHED = 1, /* both directions seen */
	NB_CT_S_FIN = 2, /* TCP: FIN seen from one side */
	NB_CT_S_CLOSED = 3, /* TCP: FIN from both sides, or RST */
};
_Static_assert(sizeof(enum nb_ct_type) == 1 && sizeof(enum nb_ct_dir) == 1 &&
		       sizeof(enum nb_ct_state) == 1,
	       "the kinds of struct nb_ct_entry are one byte each");

/* timeouts by protocol and state: <netbpf/consts.h> */

/* struct nb_ct_entry.flags */
#define NB_CT_F_FIN (1U << 0) /* TCP: this direction sent a FIN */
#define NB_CT_F_SEEN (1U << 1) /* this direction carried a packet (reply entries) */
#define NB_CT_F_HALF_OPEN (1U << 2) /* in nb_ct_syn: a published-port SYN not answered yet */

/*
 * The value: the whole tuple after translation (the fields that differ from
 * the key are the ones rewritten), where to deliver it, and bookkeeping.
 */
struct nb_ct_entry {
	__be32 nat_saddr; /* net */
	__be32 nat_daddr; /* net */
	__be16 nat_sport; /* net */
	__be16 nat_dport; /* net */
	enum nb_ct_type type; /* 1 byte */
	enum nb_ct_dir dir; /* 1 byte */
	enum nb_ct_state state; /* 1 byte */
	__u8 flags; /* NB_CT_F_* */
	__u32 ifindex; /* host: endpoint veth the translated packet goes into; 0 = outward */
	__u32 net_id; /* host: network of the sandbox side of the flow */
	__u64 created_ns; /* host: bpf_ktime_get_ns() (CLOCK_MONOTONIC) at creation */
	__u64 seen_ns; /* host: last packet, refreshed at most once per NB_CT_REFRESH_NS */
	__u64 packets; /* host: packets in this direction */
	__u64 bytes; /* host: bytes (L3) in this direction */
	struct nb_ct_td td; /* TCP: this direction's window */
};

/*
 * Translated IPv4 fragments: the first fragment (it carries the L4 header)
 * records its datagram's ports so later fragments, which have none, find the
 * same conntrack entry. Keyed by the wire addresses, IP id and protocol.
 */
struct nb_frag_key {
	__be32 saddr; /* net */
	__be32 daddr; /* net */
	__be16 id; /* net: IPv4 identification */
	__u8 proto;
	__u8 pad; /* must be zero */
};

/* Translated IPv6 fragments (nb_frags6): as nb_frag_key, the fragment header's id */
struct nb_frag6_key {
	__u8 saddr[16]; /* net */
	__u8 daddr[16]; /* net */
	__be32 id; /* net: the fragment header's identification */
	__u8 proto; /* the upper-layer protocol */
	__u8 pad[3]; /* must be zero */
};

struct nb_frag_val {
	__be16 sport; /* net: as in the nb_ct_key of the first fragment */
	__be16 dport; /* net */
	__u32 pad;
	__u64 seen_ns; /* host: when the first fragment passed */
};

/*
 * Socket hooks: what a host socket (by cookie) was redirected to, so that
 * getpeername() and recvmsg() report the published address it asked for.
 */
struct nb_sock_rnat_key {
	__u64 cookie; /* host: bpf_get_socket_cookie() */
	__be32 sb_ip; /* net: sandbox address the connection really goes to */
	__be16 sb_port; /* net */
	__u16 pad; /* must be zero */
};

struct nb_sock_rnat_val {
	__be32 host_ip; /* net: published address the socket asked for */
	__be16 host_port; /* net */
	__u16 pad;
};

/*
 * What connect() redirected a socket to, in the socket's own storage
 * (nb_sock_rnat_sk): the published address it asked for and the sandbox
 * address it reaches instead. Dies with the socket.
 */
struct nb_sock_rnat_sk {
	__be32 sb_ip; /* net */
	__be32 host_ip; /* net */
	__be16 sb_port; /* net */
	__be16 host_port; /* net */
};

/* The same for a socket redirected to a published IPv6 port (connect6) */
struct nb_sock_rnat6_key {
	__u64 cookie; /* host: bpf_get_socket_cookie() */
	__u8 sb_ip6[16]; /* net */
	__be16 sb_port; /* net */
	__u16 pad[3]; /* must be zero */
};

struct nb_sock_rnat6_val {
	__u8 host_ip6[16]; /* net: published address the socket asked for */
	__be16 host_port; /* net */
	__u16 pad;
};

/*
 * IPv6 through the uplinks (issue 16; nothing is translated: no NAT66 yet).
 * What a sandbox sends out of an uplink from its IPv6 address is recorded
 * by uplink_out under the key its replies arrive with (remote -> sandbox),
 * and uplink_in lets into a sandbox IPv6 subnet only what such an entry
 * claims, as for IPv4 (NB_CT_ROUTED); ICMPv6 errors by the packet they
 * quote. ICMPv6 echo as in struct nb_ct_key (a reply: sport 0, dport the
 * identifier). A second entry per flow, with proto NB_CT6_PAIR and no ports,
 * lets in the later fragments of the replies, which carry no ports.
 */
struct nb_ct6_key {
	__u8 saddr[16]; /* net: the remote end */
	__u8 daddr[16]; /* net: the sandbox */
	__be16 sport; /* net */
	__be16 dport; /* net */
	__u8 proto; /* IPPROTO_*, or NB_CT6_PAIR */
	__u8 pad[3]; /* must be zero */
};
#define NB_CT6_PAIR 255 /* the address pair's entry (fragments) */

struct nb_ct6_entry {
	__u64 created_ns; /* host: bpf_ktime_get_ns() */
	__u64 seen_ns; /* host: last packet out, refreshed at most once per second */
	__u32 net_id; /* host: the sandbox's network */
	__u8 kind; /* NB_CT6_K_* */
	__u8 dir; /* NB_CT_DIR_*: NB_CT6_K_DNAT's forward (ORIG) or reply entry */
	__u8 state; /* NB_CT_S_* (TCP; others stay NEW), both entries of a flow alike */
	__u8 flags; /* NB_CT6_F_*: the TCP FINs seen, per direction of the flow */
	__u64 packets; /* host: packets out (the sandbox's direction); DNAT: this direction's */
	/*
	 * NB_CT6_K_DNAT: what the packet's address and port become. ORIG (key:
	 * client -> host address, published port): the destination, the
	 * sandbox's address and port. REPLY (key: sandbox -> client): the source,
	 * the host address and published port the client used.
	 */
	__u8 nat_addr[16]; /* net */
	__be16 nat_port; /* net */
	__u16 pad2;
	__u32 ifindex; /* host: the endpoint veth the translated packet goes into (DNAT ORIG, HAIRPIN) */
	/* TCP windows: td is the direction of the entry's key; NB_CT6_K_ROUTED, one entry a
	 * flow (key: remote -> sandbox), keeps the sandbox's direction in td_rev */
	struct nb_ct_td td;
	struct nb_ct_td td_rev;
	/* NB_CT6_K_HAIRPIN: the new source (nat_addr and nat_port: the new destination) */
	__u8 hp_saddr[16]; /* net */
	__be16 hp_sport; /* net */
	__u16 pad3;
	__u32 pad4;
};
#define NB_CT6_K_ROUTED 0 /* a sandbox's own flow, untranslated (what uplink_in lets back in) */
#define NB_CT6_K_DNAT 1 /* a flow from outside to a published IPv6 port */
/* a sandbox's flow masqueraded (NAT66): ORIG (key: sandbox -> remote) gets the
 * uplink's address and nat_port as source; REPLY (key: remote -> uplink address,
 * port) gets the sandbox's address and port as destination */
#define NB_CT6_K_MASQ 2
/* a sandbox reaching a published IPv6 port (hairpin, the endpoint program): ORIG (key:
 * client -> published address and port) gets the target network's gateway address and an
 * allocated port as source (hp_saddr, hp_sport) and the target's address and port as
 * destination (nat_addr, nat_port); REPLY (key: target -> gateway, that port) gets the
 * published address and port as source and the client's as destination */
#define NB_CT6_K_HAIRPIN 3
#define NB_CT6_F_FIN_ORIG (1U << 0) /* the flow's first direction sent a FIN */
#define NB_CT6_F_FIN_REPLY (1U << 1) /* the other direction sent a FIN */

/*
 * Published IPv6 ports (`publish [::]:8080:80`, `publish [2001:db8::1]:8080:80`):
 * translated at the uplinks' tc hooks (bpf/lib/nat6.bpf.h) and by the
 * socket hooks for the host's own connections.
 */
struct nb_publish6_key {
	__u8 host_ip6[16]; /* net: host address clients use; :: = every host address */
	__be16 host_port; /* net */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad; /* must be zero */
};

struct nb_publish6_val {
	__u8 sb_ip6[16]; /* net: the sandbox's IPv6 address */
	__be16 sb_port; /* net: container port */
	__u16 pad;
	__u32 net_id; /* host */
	__u32 ifindex; /* host: the sandbox endpoint's host-side veth */
	__u32 pad2;
	__u64 conns; /* host: connections translated; BPF adds */
};

/* ---- events (netbpfctl monitor) ---------------------------------------- */
/*
 * While a monitor listens (nb_monitor[0].types != 0) the programs report
 * drops, forwarding verdicts and new translated flows through a ring
 * buffer; otherwise they pay one array lookup on the paths that report. A
 * full buffer never holds a packet back: the event is counted as lost.
 * Drops are also counted per endpoint and reason (nb_ep_drops) at all times,
 * for `netbpfctl stats`; that costs nothing unless a packet is dropped.
 */
#define NB_MAP_EVENTS nb_events /* ring buffer of struct nb_event */
#define NB_MAP_MONITOR nb_monitor /* 0 -> struct nb_monitor: who listens, for what */
#define NB_MAP_XDP_DEVS nb_xdp_devs /* ifindex -> ifindex: DEVMAP_HASH, XDP redirect targets */
#define NB_MAP_EV_LOST nb_ev_lost /* 0 -> __u64 per CPU: events the full buffer refused */
#define NB_MAP_EP_DROPS nb_ep_drops /* struct nb_ep_drop_key -> struct nb_counter, per CPU (LRU) */

#define NB_EVENTS_BYTES (256 * 1024) /* ring buffer size: a power of 2, page multiple */
#define NB_MAX_EP_DROPS 16384 /* (endpoint, reason) pairs; LRU, so gone endpoints age out */

/* struct nb_event.type; bit (1 << type) of struct nb_monitor.types asks for it */
#define NB_EV_DROP 1 /* a packet dropped: reason = NB_DROP_* */
#define NB_EV_TRACE 2 /* a packet a program forwarded itself: reason = its TC_ACT_* verdict */
#define NB_EV_NAT 3 /* a new translated flow: reason = NB_CT_DNAT/SNAT/HAIRPIN */

struct nb_monitor {
	__u32 types; /* host: bitmask of (1 << NB_EV_*); 0 = nobody listens */
	__u32 pid; /* host: the listening process (as its pid namespace numbers it) */
	__u64 start_time; /* host: its start time, /proc/<pid>/stat field 22, against pid reuse */
};

/* struct nb_ep_drop_key: after the drop reasons, whose enum it holds */

/* struct nb_event.flags */
#define NB_EV_F_L4 (1U << 0) /* sport/dport (or ICMP type/code/id) are valid */
#define NB_EV_F_FRAG (1U << 1) /* IPv4 fragment (a later one carries no L4 header) */

struct nb_event {
	__u64 ts_ns; /* host: bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u16 type; /* host: NB_EV_* */
	__u16 eth_proto; /* host: ethertype (0x0800 IPv4, 0x0806 ARP, ...), 0 when unknown */
	__u32 reason; /* host: see NB_EV_* */
	__u32 ifindex; /* host: where a program saw the packet; NB_EV_NAT: the endpoint, 0 = none */
	__u32 len; /* host: packet length (NB_EV_NAT: 0) */
	__u32 peer_ifindex; /* host: the endpoint a drop was charged to as receiver, 0 = none */
	__u8 smac[6];
	__u8 dmac[6];
	__u8 proto; /* IPPROTO_* (IPv4; IPv6: the first header's next header), 0 otherwise */
	__u8 flags; /* NB_EV_F_* */
	__u8 icmp_type; /* ICMP only */
	__u8 icmp_code;
	__be32 saddr; /* net: IPv4 source (ARP: sender protocol address) */
	__be32 daddr; /* net: IPv4 destination (ARP: target protocol address) */
	__be16 sport; /* net: TCP/UDP source port; ICMP echo: identifier */
	__be16 dport; /* net: TCP/UDP destination port */
	__u16 arp_op; /* host: ARP operation, 0 otherwise */
	__u16 pad;
	/* NB_EV_NAT: the first packet after translation */
	__be32 nat_saddr; /* net */
	__be32 nat_daddr; /* net */
	__be16 nat_sport; /* net */
	__be16 nat_dport; /* net */
	__u32 net_id; /* host: NB_EV_NAT: network of the sandbox side; else 0 */
	__u32 pad2;
	/* overlay networks: the tunnel of a frame the VXLAN device decapsulated (its outer
	 * source) or that a program encapsulated (its outer destination); 0 when none, and at XDP */
	__be32 tun_host; /* net: the other host's underlay address */
	__u32 tun_vni; /* host */
	/* IPv6 (eth_proto 0x86dd): the addresses; proto, ports, ICMPv6 type as for IPv4 */
	__u8 saddr6[16]; /* net */
	__u8 daddr6[16]; /* net */
	/* NB_EV_NAT of an IPv6 flow (DNAT66, NAT66): the translated addresses */
	__u8 nat_saddr6[16]; /* net */
	__u8 nat_daddr6[16]; /* net */
};

/* ---- overlay networks (issue 17, docs/overlay.md) ----------------------- */
/*
 * An overlay network spans hosts. Its local endpoints are switch ports as on
 * any network; its endpoints on other hosts ("remote endpoints", written by
 * the cluster agent from the store) live in nb_remote (by MAC: where to send a
 * frame, and who may send one) and nb_remote_ip (by address: what ARP answers).
 * A frame to a remote endpoint gets a tunnel key (VNI, the remote host's
 * underlay address) and leaves through the instance's collect-metadata VXLAN
 * device (nb_tunnel[0].ifindex); what that device decapsulates is delivered by
 * the program "tunnel" on its ingress through nb_vni (VNI -> network) and nb_fdb.
 */
#define NB_MAP_VNI nb_vni /* __u32 VNI (host) -> __u32 net_id */
#define NB_MAP_REMOTE nb_remote /* struct nb_fdb_key -> struct nb_remote_val */
#define NB_MAP_REMOTE_IP nb_remote_ip /* struct nb_neigh_key -> struct nb_neigh_val (ifindex 0) */
#define NB_MAP_TUNNEL nb_tunnel /* 0 -> struct nb_tunnel: the VXLAN device */

#define NB_PROG_TUNNEL "tunnel" /* tc ingress of the VXLAN device (nbvx0) */

#define NB_MAX_REMOTE 65536 /* remote endpoints, all overlay networks */
#define NB_VNI_MAX 0xffffffU /* 24 bits (RFC 7348) */
/* the outer IPv4 TTL of encapsulated frames (Linux's default ip_default_ttl) */
#define NB_TUNNEL_TTL 64

struct nb_remote_val {
	__be32 host; /* net: underlay address of the host the endpoint lives on */
	__be32 ip; /* net: the endpoint's IPv4 address */
	__u32 vni; /* host: the network's VNI (so encapsulation needs no network lookup) */
	__u32 flags; /* host: none defined yet, must be zero */
};

struct nb_tunnel {
	__u32 ifindex; /* host: the collect-metadata VXLAN device; 0 = none (no store) */
	__u32 flags; /* host: none defined yet */
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
	NB_DROP_LINK_CONTROL, /* IPv6 DAD, RS, MLD multicast nobody on the network needs */
	NB_DROP_ROUTER_MSG, /* IPv6 router advertisement or redirect sent by a sandbox */
	NB_DROP_NO_IPV6, /* IPv6 from a sandbox toward the host, network without IPv6 */
	NB_DROP_UNPUBLISHED, /* from an uplink to a sandbox: no published port, no own flow */
	NB_DROP_BAD_SOURCE, /* from an uplink with a local, host or reverse-path-failing source */
	NB_DROP_NOT_ALLOWED, /* source not in the published port's allow-list */
	NB_DROP_TUNNEL_VNI, /* decapsulated with a VNI no local overlay network has */
	NB_DROP_TUNNEL_MAC, /* decapsulated for a MAC no local port of the network has */
	NB_DROP_TUNNEL_SPOOF, /* inner source not a remote endpoint of that VNI and outer host */
	NB_DROP_NO_TUNNEL, /* for a remote endpoint, but the instance has no VXLAN device */
	NB_DROP_SPOOF_IP6, /* IPv6 source not the endpoint's address, link-local or :: (DAD) */
	NB_DROP_SPOOF_ND, /* NDP target or link-layer option not the endpoint's own */
	NB_DROP_ND_UNKNOWN, /* neighbour solicitation for an address nobody on the network holds */
	__NB_DROP_MAX,
};
#define NB_DROP_COUNT (__NB_DROP_MAX - NB_DROP_BASE)

struct nb_ep_drop_key {
	__u32 ifindex; /* host: endpoint port (host-side veth) the drop is charged to */
	enum nb_drop_reason reason; /* host, 4 bytes: bpftool prints it by name */
};

#endif /* NETBPF_ABI_H */
