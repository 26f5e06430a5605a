// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet tests of the L2 switch: "endpoint" and "gateway" run through
 * BPF_PROG_TEST_RUN on crafted frames, with the maps filled by user/lib/maps.c
 * exactly as netbpfctl fills them.
 *
 * Topology (all in a private netns; only the ifindexes matter, except that
 * flood clones really leave through the veths):
 *
 *   net 1  10.1.0.0/24  gw 10.1.0.1  icc                 A .2   B .3   G .4
 *   net 2  10.2.0.0/24  gw 10.2.0.1  icc off             C .2   D .3
 *   net 3  10.3.0.0/24  gw 10.3.0.1  internal, icc       E .2
 *
 *   endpoint X: veth nbeX (port, runs "endpoint") / sbX (the sandbox side)
 *   network N:  veth nbgN (gateway device, host side) / nbpN (runs "gateway")
 *
 * Each table case is one frame into one port. The target of a redirect is
 * checked through the counters: the exact change of every endpoint's
 * rx/tx/dropped counters and of every drop reason is asserted, so a frame
 * redirected to the wrong endpoint, counted twice or dropped for another
 * reason fails. Output frames are compared byte for byte with one built
 * independently (the ARP replies) or with the input (everything else: the
 * switch never rewrites what it forwards).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include "maps.h"
#include "endpoint.skel.h"
#include "gateway.skel.h"

/* ---- topology ---------------------------------------------------------- */

enum port_id {
	P_A,
	P_B,
	P_G,
	P_C,
	P_D,
	P_E,
	N_EP, /* endpoints above, other devices below */
	P_GW1 = N_EP,
	P_GW2,
	P_GW3,
	P_SB_A, /* a device that is no switch port: A's sandbox side */
	N_PORTS,
};

#define BIT(p) (1U << (p))

struct net_def {
	__u32 id;
	__be32 subnet, gateway;
	__u32 prefixlen, flags;
	const __u8 *gw_mac;
	const char *gw_dev, *gwport_dev;
	enum port_id gwport;
};

struct ep_def {
	__u32 net_id;
	__be32 ip;
	const __u8 *mac;
	const char *dev, *sb_dev;
};

/* Docker's MACs: 02:42 + the IPv4 address */
#define MAC(a, b, c, d)                                                                            \
	{                                                                                          \
		0x02, 0x42, a, b, c, d                                                             \
	}

#define IP_A  PKT_IP4(10, 1, 0, 2)
#define IP_B  PKT_IP4(10, 1, 0, 3)
#define IP_G  PKT_IP4(10, 1, 0, 4)
#define IP_C  PKT_IP4(10, 2, 0, 2)
#define IP_D  PKT_IP4(10, 2, 0, 3)
#define IP_E  PKT_IP4(10, 3, 0, 2)
#define GW1   PKT_IP4(10, 1, 0, 1)
#define GW2   PKT_IP4(10, 2, 0, 1)
#define GW3   PKT_IP4(10, 3, 0, 1)
#define WORLD PKT_IP4(198, 18, 0, 10) /* beyond every subnet: "the outside" */

static const __u8 MAC_A[ETH_ALEN] = MAC(10, 1, 0, 2);
static const __u8 MAC_B[ETH_ALEN] = MAC(10, 1, 0, 3);
static const __u8 MAC_G[ETH_ALEN] = MAC(10, 1, 0, 4);
static const __u8 MAC_C[ETH_ALEN] = MAC(10, 2, 0, 2);
static const __u8 MAC_D[ETH_ALEN] = MAC(10, 2, 0, 3);
static const __u8 MAC_E[ETH_ALEN] = MAC(10, 3, 0, 2);
static const __u8 GW1_MAC[ETH_ALEN] = MAC(10, 1, 0, 1);
static const __u8 GW2_MAC[ETH_ALEN] = MAC(10, 2, 0, 1);
static const __u8 GW3_MAC[ETH_ALEN] = MAC(10, 3, 0, 1);

static const struct net_def nets[] = {
    {1, PKT_IP4(10, 1, 0, 0), GW1, 24, NB_NET_F_ICC, GW1_MAC, "nbg1", "nbp1", P_GW1},
    {2, PKT_IP4(10, 2, 0, 0), GW2, 24, 0, GW2_MAC, "nbg2", "nbp2", P_GW2},
    {3, PKT_IP4(10, 3, 0, 0), GW3, 24, NB_NET_F_ICC | NB_NET_F_INTERNAL, GW3_MAC, "nbg3", "nbp3",
     P_GW3},
};

static const struct ep_def eps[N_EP] = {
    [P_A] = {1, IP_A, MAC_A, "nbeA", "sbA"}, [P_B] = {1, IP_B, MAC_B, "nbeB", "sbB"},
    [P_G] = {1, IP_G, MAC_G, "nbeG", "sbG"}, [P_C] = {2, IP_C, MAC_C, "nbeC", "sbC"},
    [P_D] = {2, IP_D, MAC_D, "nbeD", "sbD"}, [P_E] = {3, IP_E, MAC_E, "nbeE", "sbE"},
};

static const __u8 BCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const __u8 ZERO_MAC[ETH_ALEN];
static const __u8 STRANGER_MAC[ETH_ALEN] = {0x02, 0x42, 0xde, 0xad, 0xbe, 0xef};
static const __u8 V6_MCAST_MAC[ETH_ALEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
/* link-local addresses: fe80::/64 + EUI-64 of MAC(a, b, c, d), what a sandbox configures */
#define LL_OF(a, b, c, d)                                                                          \
	{                                                                                          \
		0xfe, 0x80, [9] = 0x42, [10] = a, [11] = 0xff, [12] = 0xfe, [13] = b, [14] = c,    \
			    [15] = d                                                               \
	}
static const __u8 LL_A[16] = LL_OF(10, 1, 0, 2);
static const __u8 LL_B[16] = LL_OF(10, 1, 0, 3);
static const __u8 LL_C[16] = LL_OF(10, 2, 0, 2);
static const __u8 LL_E[16] = LL_OF(10, 3, 0, 2);
static const __u8 LL_GW[16] = LL_OF(10, 1, 0, 1);
static const __u8 GLOBAL6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const __u8 ALL_NODES[16] = {0xff, 0x02, [15] = 0x01};
static const __u8 ALL_ROUTERS[16] = {0xff, 0x02, [15] = 0x02};
static const __u8 MLDV2_ROUTERS[16] = {0xff, 0x02, [15] = 0x16};
static const __u8 UNSPEC6[16];
/* a solicited-node multicast address (ff02::1:ff00:b) and its MAC */
static const __u8 SNM_B[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff, [15] = 0x0b};
static const __u8 SNM_B_MAC[ETH_ALEN] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x0b};
static const __u8 V6_ROUTERS_MAC[ETH_ALEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x02};
static const __u8 V6_MLDV2_MAC[ETH_ALEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x16};

struct sw {
	struct pkt_env env;
	struct endpoint_bpf *ep_skel;
	struct gateway_bpf *gw_skel;
	struct nb_maps maps;
	int ifindex[N_PORTS];
	int peer_ifindex[N_PORTS];
};

/* ---- frames ------------------------------------------------------------ */

enum frame_kind { F_TCP, F_UDP, F_ICMP, F_ARP, F_IP6, F_ICMP6, F_VLAN };

struct frame {
	enum frame_kind kind;
	const __u8 *dmac, *smac;
	__be32 sip, dip; /* IPv4, or ARP sender/target address */
	__u16 arp_op;	 /* ARP: default request */
	const __u8 *sha; /* ARP sender MAC, default smac */
	const __u8 *sip6, *dip6;
	__u8 icmp6_type; /* F_ICMP6 */
	bool hbh;	 /* F_ICMP6: behind a hop-by-hop header with a router alert, as MLD is */
	__u32 pad_to;	 /* zero-pad the frame to this length (Ethernet minimum: 60) */
	__u32 cut;	 /* keep only this many bytes (truncated frames) */
	void (*mangle)(struct pkt *p); /* break a header on purpose */
};

static void build(struct pkt *p, const struct frame *f)
{
	switch (f->kind) {
	case F_TCP:
	case F_UDP:
	case F_ICMP:
		pkt_eth(p, f->dmac, f->smac, ETH_P_IP);
		pkt_ipv4(p, f->sip, f->dip,
			 f->kind == F_TCP   ? IPPROTO_TCP
			 : f->kind == F_UDP ? IPPROTO_UDP
					    : IPPROTO_ICMP);
		if (f->kind == F_TCP)
			pkt_tcp(p, 40000, 80, 1, 0, TH_SYN);
		else if (f->kind == F_UDP)
			pkt_udp(p, 40000, 53);
		else
			pkt_icmp(p, ICMP_ECHO, 0, 7, 1);
		pkt_put(p, NULL, 32);
		break;
	case F_ARP:
		pkt_eth(p, f->dmac, f->smac, ETH_P_ARP);
		pkt_arp(p, f->arp_op ? f->arp_op : ARPOP_REQUEST, f->sha ? f->sha : f->smac, f->sip,
			f->arp_op == ARPOP_REPLY ? f->dmac : ZERO_MAC, f->dip);
		break;
	case F_IP6:
		pkt_eth(p, f->dmac, f->smac, ETH_P_IPV6);
		pkt_ipv6(p, f->sip6, f->dip6, IPPROTO_UDP);
		pkt_put(p, NULL, 16);
		break;
	case F_ICMP6:
		pkt_eth(p, f->dmac, f->smac, ETH_P_IPV6);
		pkt_ipv6(p, f->sip6, f->dip6, f->hbh ? 0 : IPPROTO_ICMPV6);
		if (f->hbh) /* next header ICMPv6, router alert (MLD), PadN */
			pkt_put(p, (const __u8[]){IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0}, 8);
		/* neighbour discovery is valid with hop limit 255 only */
		if (f->icmp6_type >= 133 && f->icmp6_type <= 137)
			pkt_ip6h(p)->ip6_hlim = 255;
		/* type, code, checksum, then a 20-byte body: for NS/NA 4 reserved bytes and a
		 * target address "efgh..." nobody holds */
		pkt_icmp6(p, f->icmp6_type, 0);
		pkt_put(p, NULL, 20);
		break;
	case F_VLAN:
		/* 802.1Q tag 10 around an IPv4 frame */
		pkt_eth(p, f->dmac, f->smac, ETH_P_8021Q);
		pkt_put(p, (const __u8[]){0x00, 0x0a, 0x08, 0x00}, 4);
		pkt_ipv4(p, f->sip, f->dip, IPPROTO_UDP);
		pkt_udp(p, 40000, 53);
		break;
	}
	if (f->pad_to > p->len)
		pkt_put(p, (const __u8[64]){}, f->pad_to - p->len);
	pkt_finish(p);
	if (f->mangle)
		f->mangle(p);
	if (f->cut && f->cut < p->len)
		p->len = f->cut;
}

/* The reply an ARP responder must produce for request req: built from the
 * request's fields, not by editing the request's bytes. */
static void build_arp_reply(struct pkt *p, const struct pkt *req, const __u8 *mac, __be32 ip)
{
	const struct pkt_arphdr *q = (const struct pkt_arphdr *)(req->data + ETH_HLEN);

	pkt_eth(p, q->sha, mac, ETH_P_ARP);
	pkt_arp(p, ARPOP_REPLY, mac, ip, q->sha, q->spa);
	if (req->len > p->len)
		pkt_put(p, (const __u8[64]){}, req->len - p->len);
}

static void mangle_ihl4(struct pkt *p)
{
	pkt_iph(p)->ihl = 4;
}

static void mangle_version6(struct pkt *p)
{
	pkt_iph(p)->version = 6;
}

static void mangle_totlen_long(struct pkt *p)
{
	pkt_iph(p)->tot_len = htons(ntohs(pkt_iph(p)->tot_len) + 100);
}

static void mangle_arp_hln(struct pkt *p)
{
	pkt_arph(p)->hdr.ar_hln = 8;
}

static void mangle_arp_hrd(struct pkt *p)
{
	pkt_arph(p)->hdr.ar_hrd = htons(ARPHRD_IEEE802);
}

/* IPv4 with a 4-byte option (NOP x4): ihl 6, must parse and forward */
static void add_ip_options(struct pkt *p)
{
	__u32 at = p->l3 + sizeof(struct iphdr);

	memmove(p->data + at + 4, p->data + at, p->len - at);
	memset(p->data + at, 1, 4);
	p->len += 4;
	p->l4 += 4;
	pkt_iph(p)->ihl = 6;
	pkt_finish(p);
}

/* ---- counters ---------------------------------------------------------- */

struct snap {
	struct nb_ep_stats ep[N_EP];
	struct nb_counter drops[NB_DROP_COUNT];
};

static int take_snap(const struct sw *sw, struct snap *s)
{
	int i, err;

	for (i = 0; i < N_EP; i++) {
		err = nb_maps_ep_stats_sum(&sw->maps, sw->ifindex[i], &s->ep[i]);
		if (err == -ENOENT)
			memset(&s->ep[i], 0, sizeof(s->ep[i]));
		else if (err)
			return err;
	}
	for (i = 0; i < NB_DROP_COUNT; i++) {
		err = nb_maps_drops_sum(&sw->maps, NB_DROP_BASE + i, &s->drops[i]);
		if (err)
			return err;
	}
	return 0;
}

static const char *const port_names[N_PORTS] = {
    "A", "B", "G", "C", "D", "E", "gw1", "gw2", "gw3", "sbA",
};

/* What one frame must have changed. */
struct expect_counts {
	enum port_id tx; /* endpoint that sent it, N_PORTS when the host did */
	__u32 len;
	__u32 rx;	  /* BIT() of the endpoints that received it */
	__u32 rx_dropped; /* BIT() of the endpoints it was addressed to, dropped */
	__u32 drop;	  /* NB_DROP_* counted once, 0 for none */
};

static bool check_counts(const struct snap *a, const struct snap *b, const struct expect_counts *x)
{
	bool ok = true;
	char what[64];
	int i;

	for (i = 0; i < N_EP; i++) {
		const struct nb_ep_stats *o = &a->ep[i], *n = &b->ep[i];
		__u64 rx = !!(x->rx & BIT(i)), tx = x->tx == (enum port_id)i;

		snprintf(what, sizeof(what), "%s rx_packets", port_names[i]);
		ok &= ASSERT_EQ(n->rx_packets - o->rx_packets, rx, what);
		snprintf(what, sizeof(what), "%s rx_bytes", port_names[i]);
		ok &= ASSERT_EQ(n->rx_bytes - o->rx_bytes, rx * x->len, what);
		snprintf(what, sizeof(what), "%s rx_dropped", port_names[i]);
		ok &= ASSERT_EQ(n->rx_dropped - o->rx_dropped, !!(x->rx_dropped & BIT(i)), what);
		snprintf(what, sizeof(what), "%s tx_packets", port_names[i]);
		ok &= ASSERT_EQ(n->tx_packets - o->tx_packets, tx, what);
		snprintf(what, sizeof(what), "%s tx_bytes", port_names[i]);
		ok &= ASSERT_EQ(n->tx_bytes - o->tx_bytes, tx * x->len, what);
		snprintf(what, sizeof(what), "%s tx_dropped", port_names[i]);
		ok &= ASSERT_EQ(n->tx_dropped - o->tx_dropped, tx && x->drop, what);
	}
	for (i = 0; i < NB_DROP_COUNT; i++) {
		__u64 want = x->drop == (__u32)(NB_DROP_BASE + i);

		snprintf(what, sizeof(what), "drops[%s].packets",
			 nb_drop_reason_name(NB_DROP_BASE + i));
		ok &= ASSERT_EQ(b->drops[i].packets - a->drops[i].packets, want, what);
		snprintf(what, sizeof(what), "drops[%s].bytes",
			 nb_drop_reason_name(NB_DROP_BASE + i));
		ok &= ASSERT_EQ(b->drops[i].bytes - a->drops[i].bytes, want * x->len, what);
	}
	return ok;
}

/* ---- the table --------------------------------------------------------- */

enum prog { EP, GW };

struct sw_case {
	const char *name;
	enum prog prog;
	enum port_id in;
	struct frame f;
	int verdict;
	__u32 drop;	       /* NB_DROP_* */
	__u32 rx, rx_dropped;  /* BIT(endpoint) */
	const __u8 *reply_mac; /* ARP: the reply "reply_ip is at reply_mac" is expected */
	__be32 reply_ip;
	bool live;     /* sent for real through the attached program (see run_live) */
	bool portless; /* the sender is no port (any more): it has no counters */
};

#define CASE(n, p, port, frame, v, ...)                                                            \
	{                                                                                          \
		.name = n, .prog = p, .in = port, .f = frame, .verdict = v, __VA_ARGS__            \
	}
#define FRAME(...)                                                                                 \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}
#define TCP(s, d, sa, da)                                                                          \
	{                                                                                          \
		.kind = F_TCP, .smac = s, .dmac = d, .sip = sa, .dip = da                          \
	}
#define UDP(s, d, sa, da)                                                                          \
	{                                                                                          \
		.kind = F_UDP, .smac = s, .dmac = d, .sip = sa, .dip = da                          \
	}
#define ICMP(s, d, sa, da)                                                                         \
	{                                                                                          \
		.kind = F_ICMP, .smac = s, .dmac = d, .sip = sa, .dip = da                         \
	}
#define ARPREQ(s, spa, tpa)                                                                        \
	{                                                                                          \
		.kind = F_ARP, .smac = s, .dmac = BCAST, .sip = spa, .dip = tpa                    \
	}
#define ICMP6(s, d, sa, da, t, ...)                                                                \
	{                                                                                          \
		.kind = F_ICMP6, .smac = s, .dmac = d, .sip6 = sa, .dip6 = da, .icmp6_type = t,    \
		__VA_ARGS__                                                                        \
	}
#define IP6(s, d, sa, da)                                                                          \
	{                                                                                          \
		.kind = F_IP6, .smac = s, .dmac = d, .sip6 = sa, .dip6 = da                        \
	}

static const struct sw_case cases[] = {
    /* endpoint: switching */
    CASE("endpoint: A -> B unicast TCP is redirected into B", EP, P_A,
	 TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_REDIRECT, .rx = BIT(P_B)),
    CASE("endpoint: B -> A unicast ICMP is redirected into A", EP, P_B,
	 ICMP(MAC_B, MAC_A, IP_B, IP_A), TC_ACT_REDIRECT, .rx = BIT(P_A)),
    CASE("endpoint: A -> G IPv4 with options is redirected into G", EP, P_A,
	 FRAME(.kind = F_UDP, .smac = MAC_A, .dmac = MAC_G, .sip = IP_A, .dip = IP_G,
	       .mangle = add_ip_options),
	 TC_ACT_REDIRECT, .rx = BIT(P_G)),
    CASE("endpoint: A -> B IPv6 link-local is switched by the FDB", EP, P_A,
	 IP6(MAC_A, MAC_B, LL_A, LL_B), TC_ACT_REDIRECT, .rx = BIT(P_B)),
    CASE("endpoint: A -> gateway MAC, to the outside, goes to the host", EP, P_A,
	 TCP(MAC_A, GW1_MAC, IP_A, WORLD), TC_ACT_REDIRECT),
    CASE("endpoint: A -> gateway MAC, to the gateway address, goes to the host", EP, P_A,
	 ICMP(MAC_A, GW1_MAC, IP_A, GW1), TC_ACT_REDIRECT),
    CASE("endpoint: A -> gateway MAC, to net 2's gateway address (a host address) is allowed", EP,
	 P_A, ICMP(MAC_A, GW1_MAC, IP_A, GW2), TC_ACT_REDIRECT),
    CASE("endpoint: A -> gateway MAC, routed to C in net 2, dropped: isolation", EP, P_A,
	 TCP(MAC_A, GW1_MAC, IP_A, IP_C), TC_ACT_SHOT, .drop = NB_DROP_ISOLATION),
    CASE("endpoint: A -> gateway MAC, routed to E in net 3, dropped: isolation", EP, P_A,
	 UDP(MAC_A, GW1_MAC, IP_A, IP_E), TC_ACT_SHOT, .drop = NB_DROP_ISOLATION),
    CASE("endpoint: A -> C's MAC (another network) is unknown unicast", EP, P_A,
	 TCP(MAC_A, MAC_C, IP_A, IP_C), TC_ACT_SHOT, .drop = NB_DROP_UNKNOWN_UNICAST),
    CASE("endpoint: A -> net 2's gateway MAC is unknown unicast", EP, P_A,
	 TCP(MAC_A, GW2_MAC, IP_A, IP_C), TC_ACT_SHOT, .drop = NB_DROP_UNKNOWN_UNICAST),
    CASE("endpoint: A -> unknown MAC dropped: unknown unicast", EP, P_A,
	 TCP(MAC_A, STRANGER_MAC, IP_A, IP_B), TC_ACT_SHOT, .drop = NB_DROP_UNKNOWN_UNICAST),

    /* endpoint: flooding */
    CASE("endpoint: A broadcast UDP is flooded to B, G and the host", EP, P_A,
	 UDP(MAC_A, BCAST, IP_A, PKT_IP4(255, 255, 255, 255)), TC_ACT_REDIRECT,
	 .rx = BIT(P_B) | BIT(P_G)),
    CASE("endpoint: A IPv6 all-nodes multicast is flooded to B and G (no IPv6: not the host)", EP,
	 P_A, IP6(MAC_A, V6_MCAST_MAC, LL_A, ALL_NODES), TC_ACT_REDIRECT,
	 .rx = BIT(P_B) | BIT(P_G)),
    CASE("endpoint: C IPv6 multicast with icc off would reach the host only: no-ipv6", EP, P_C,
	 IP6(MAC_C, V6_MCAST_MAC, LL_C, ALL_NODES), TC_ACT_SHOT, .drop = NB_DROP_NO_IPV6),
    /* endpoint: IPv6 link control nobody needs is dropped, not flooded (issue 20) */
    CASE("endpoint: A duplicate address detection (NS from ::) is dropped: link-control", EP, P_A,
	 ICMP6(MAC_A, SNM_B_MAC, UNSPEC6, SNM_B, 135), TC_ACT_SHOT, .drop = NB_DROP_LINK_CONTROL),
    CASE("endpoint: A router solicitation is dropped: link-control", EP, P_A,
	 ICMP6(MAC_A, V6_ROUTERS_MAC, LL_A, ALL_ROUTERS, 133), TC_ACT_SHOT,
	 .drop = NB_DROP_LINK_CONTROL),
    CASE("endpoint: A MLDv2 report (hop-by-hop, router alert) is dropped: link-control", EP, P_A,
	 ICMP6(MAC_A, V6_MLDV2_MAC, LL_A, MLDV2_ROUTERS, 143, .hbh = true), TC_ACT_SHOT,
	 .drop = NB_DROP_LINK_CONTROL),
    CASE("endpoint: A MLDv1 report from :: is dropped: link-control", EP, P_A,
	 ICMP6(MAC_A, SNM_B_MAC, UNSPEC6, SNM_B, 131, .hbh = true), TC_ACT_SHOT,
	 .drop = NB_DROP_LINK_CONTROL),
    CASE("endpoint: A MLD query is dropped: link-control", EP, P_A,
	 ICMP6(MAC_A, V6_MCAST_MAC, LL_A, ALL_NODES, 130, .hbh = true), TC_ACT_SHOT,
	 .drop = NB_DROP_LINK_CONTROL),
    CASE("endpoint: A neighbour solicitation for an address nobody holds: nd-unknown, not flooded",
	 EP, P_A, ICMP6(MAC_A, SNM_B_MAC, LL_A, SNM_B, 135), TC_ACT_SHOT,
	 .drop = NB_DROP_ND_UNKNOWN),
    CASE("endpoint: A advertisement for an address not its own: spoof-nd, not flooded", EP, P_A,
	 ICMP6(MAC_A, V6_MCAST_MAC, LL_A, ALL_NODES, 136), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_ND),
    CASE("endpoint: A echo request to all-nodes is flooded to B and G", EP, P_A,
	 ICMP6(MAC_A, V6_MCAST_MAC, LL_A, ALL_NODES, 128, .hbh = true), TC_ACT_REDIRECT,
	 .rx = BIT(P_B) | BIT(P_G)),
    CASE("endpoint: C broadcast with icc off reaches the host only", EP, P_C,
	 UDP(MAC_C, BCAST, IP_C, PKT_IP4(10, 2, 0, 255)), TC_ACT_REDIRECT),
    CASE("endpoint: E broadcast on an internal network is flooded (stays on the link)", EP, P_E,
	 UDP(MAC_E, BCAST, IP_E, PKT_IP4(255, 255, 255, 255)), TC_ACT_REDIRECT),

    /* endpoint: ARP responder */
    CASE("endpoint: A ARP request for the gateway is answered", EP, P_A, ARPREQ(MAC_A, IP_A, GW1),
	 TC_ACT_REDIRECT, .rx = BIT(P_A), .reply_mac = GW1_MAC, .reply_ip = GW1),
    CASE("endpoint: A ARP request for B is answered", EP, P_A, ARPREQ(MAC_A, IP_A, IP_B),
	 TC_ACT_REDIRECT, .rx = BIT(P_A), .reply_mac = MAC_B, .reply_ip = IP_B),
    CASE("endpoint: A padded (60-byte) unicast ARP request for B is answered, padding kept", EP,
	 P_A,
	 FRAME(.kind = F_ARP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B, .pad_to = 60),
	 TC_ACT_REDIRECT, .rx = BIT(P_A), .reply_mac = MAC_B, .reply_ip = IP_B),
    CASE("endpoint: C ARP request for D is answered even with icc off", EP, P_C,
	 ARPREQ(MAC_C, IP_C, IP_D), TC_ACT_REDIRECT, .rx = BIT(P_C), .reply_mac = MAC_D,
	 .reply_ip = IP_D),
    CASE("endpoint: A ARP request for an unused address is dropped", EP, P_A,
	 ARPREQ(MAC_A, IP_A, PKT_IP4(10, 1, 0, 99)), TC_ACT_SHOT, .drop = NB_DROP_ARP_UNKNOWN),
    CASE("endpoint: A ARP request for C (another network) is dropped", EP, P_A,
	 ARPREQ(MAC_A, IP_A, IP_C), TC_ACT_SHOT, .drop = NB_DROP_ARP_UNKNOWN),
    CASE("endpoint: A ARP reply is dropped: unsupported", EP, P_A,
	 FRAME(.kind = F_ARP, .arp_op = ARPOP_REPLY, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A,
	       .dip = IP_B),
	 TC_ACT_SHOT, .drop = NB_DROP_UNSUPPORTED),
    CASE("endpoint: A gratuitous ARP for its own address is dropped: unsupported", EP, P_A,
	 ARPREQ(MAC_A, IP_A, IP_A), TC_ACT_SHOT, .drop = NB_DROP_UNSUPPORTED),

    /* endpoint: anti-spoofing */
    CASE("endpoint: A sending from B's MAC is dropped: spoof-mac", EP, P_A,
	 TCP(MAC_B, GW1_MAC, IP_A, WORLD), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_MAC),
    CASE("endpoint: A sending ARP from B's MAC is dropped: spoof-mac", EP, P_A,
	 ARPREQ(MAC_B, IP_B, GW1), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_MAC),
    CASE("endpoint: A sending from B's IP is dropped: spoof-ip", EP, P_A,
	 TCP(MAC_A, MAC_B, IP_B, IP_B), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_IP),
    CASE("endpoint: A sending from 0.0.0.0 is dropped: spoof-ip", EP, P_A,
	 UDP(MAC_A, BCAST, 0, PKT_IP4(255, 255, 255, 255)), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_IP),
    CASE("endpoint: A gratuitous ARP claiming B's address is dropped: spoof-arp", EP, P_A,
	 ARPREQ(MAC_A, IP_B, IP_B), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_ARP),
    CASE("endpoint: A ARP reply claiming the gateway's address is dropped: spoof-arp", EP, P_A,
	 FRAME(.kind = F_ARP, .arp_op = ARPOP_REPLY, .smac = MAC_A, .dmac = MAC_B, .sip = GW1,
	       .dip = IP_B),
	 TC_ACT_SHOT, .drop = NB_DROP_SPOOF_ARP),
    CASE("endpoint: A ARP with B's sender MAC is dropped: spoof-arp", EP, P_A,
	 FRAME(.kind = F_ARP, .smac = MAC_A, .dmac = BCAST, .sha = MAC_B, .sip = IP_A, .dip = GW1),
	 TC_ACT_SHOT, .drop = NB_DROP_SPOOF_ARP),
    CASE("endpoint: A ARP probe (sender 0.0.0.0) is dropped: spoof-arp", EP, P_A,
	 ARPREQ(MAC_A, 0, IP_A), TC_ACT_SHOT, .drop = NB_DROP_SPOOF_ARP),

    /* endpoint: icc, internal */
    CASE("endpoint: C -> D with icc off is dropped: icc", EP, P_C, TCP(MAC_C, MAC_D, IP_C, IP_D),
	 TC_ACT_SHOT, .drop = NB_DROP_ICC, .rx_dropped = BIT(P_D)),
    CASE("endpoint: C -> gateway MAC -> D (hairpin through the host) with icc off: icc", EP, P_C,
	 TCP(MAC_C, GW2_MAC, IP_C, IP_D), TC_ACT_SHOT, .drop = NB_DROP_ICC),
    CASE("endpoint: C -> outside with icc off goes to the host", EP, P_C,
	 TCP(MAC_C, GW2_MAC, IP_C, WORLD), TC_ACT_REDIRECT),
    CASE("endpoint: A -> gateway MAC -> B (hairpin) with icc on goes to the host", EP, P_A,
	 TCP(MAC_A, GW1_MAC, IP_A, IP_B), TC_ACT_REDIRECT),
    CASE("endpoint: E (internal) -> outside is dropped: internal", EP, P_E,
	 TCP(MAC_E, GW3_MAC, IP_E, WORLD), TC_ACT_SHOT, .drop = NB_DROP_INTERNAL),
    CASE("endpoint: E (internal) -> net 1's gateway address is dropped: internal", EP, P_E,
	 ICMP(MAC_E, GW3_MAC, IP_E, GW1), TC_ACT_SHOT, .drop = NB_DROP_INTERNAL),
    CASE("endpoint: E (internal) -> its gateway address goes to the host", EP, P_E,
	 ICMP(MAC_E, GW3_MAC, IP_E, GW3), TC_ACT_REDIRECT),
    CASE("endpoint: E (internal) -> global IPv6 via the gateway is dropped: no-ipv6", EP, P_E,
	 IP6(MAC_E, GW3_MAC, LL_E, GLOBAL6), TC_ACT_SHOT, .drop = NB_DROP_NO_IPV6),

    /* endpoint: IPv6 toward the host (these networks have no IPv6), router messages */
    CASE("endpoint: A -> link-local IPv6 of the gateway is dropped: no-ipv6", EP, P_A,
	 IP6(MAC_A, GW1_MAC, LL_A, LL_GW), TC_ACT_SHOT, .drop = NB_DROP_NO_IPV6),
    CASE("endpoint: A -> global IPv6 via the gateway is dropped: no-ipv6", EP, P_A,
	 IP6(MAC_A, GW1_MAC, LL_A, GLOBAL6), TC_ACT_SHOT, .drop = NB_DROP_NO_IPV6),
    CASE("endpoint: A router advertisement to all-nodes is dropped: router-msg", EP, P_A,
	 ICMP6(MAC_A, V6_MCAST_MAC, LL_A, ALL_NODES, 134), TC_ACT_SHOT, .drop = NB_DROP_ROUTER_MSG),
    CASE("endpoint: A router advertisement behind hop-by-hop options: router-msg", EP, P_A,
	 ICMP6(MAC_A, V6_MCAST_MAC, LL_A, ALL_NODES, 134, .hbh = true), TC_ACT_SHOT,
	 .drop = NB_DROP_ROUTER_MSG),
    CASE("endpoint: A unicast router advertisement to B is dropped: router-msg", EP, P_A,
	 ICMP6(MAC_A, MAC_B, LL_A, LL_B, 134), TC_ACT_SHOT, .drop = NB_DROP_ROUTER_MSG),
    CASE("endpoint: A redirect to B is dropped: router-msg", EP, P_A,
	 ICMP6(MAC_A, MAC_B, LL_A, LL_B, 137), TC_ACT_SHOT, .drop = NB_DROP_ROUTER_MSG),
    CASE("endpoint: A unicast neighbour solicitation to B for nobody's address: nd-unknown", EP,
	 P_A, ICMP6(MAC_A, MAC_B, LL_A, LL_B, 135), TC_ACT_SHOT, .drop = NB_DROP_ND_UNKNOWN),

    /* endpoint: malformed and unsupported */
    CASE("endpoint: truncated IPv4 header (14+19 bytes) is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_TCP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B, .cut = 33),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED, .live = true),
    CASE("endpoint: Ethernet header alone with type IPv4 is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_TCP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B, .cut = 14),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED, .live = true),
    CASE("endpoint: IPv4 ihl 4 is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_TCP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B,
	       .mangle = mangle_ihl4),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: IPv4 ethertype with version 6 is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_TCP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B,
	       .mangle = mangle_version6),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: IPv4 tot_len beyond the frame is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_TCP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B,
	       .mangle = mangle_totlen_long),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: IPv4 with options cut inside the options is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_UDP, .smac = MAC_A, .dmac = MAC_B, .sip = IP_A, .dip = IP_B,
	       .mangle = add_ip_options, .cut = 36),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: truncated ARP (14+27 bytes) is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_ARP, .smac = MAC_A, .dmac = BCAST, .sip = IP_A, .dip = GW1, .cut = 41),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: truncated ARP (14+7 bytes) is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_ARP, .smac = MAC_A, .dmac = BCAST, .sip = IP_A, .dip = GW1, .cut = 21),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: ARP with hardware length 8 is dropped: malformed", EP, P_A,
	 FRAME(.kind = F_ARP, .smac = MAC_A, .dmac = BCAST, .sip = IP_A, .dip = GW1,
	       .mangle = mangle_arp_hln),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("endpoint: ARP for another hardware type is dropped: unsupported", EP, P_A,
	 FRAME(.kind = F_ARP, .smac = MAC_A, .dmac = BCAST, .sip = IP_A, .dip = GW1,
	       .mangle = mangle_arp_hrd),
	 TC_ACT_SHOT, .drop = NB_DROP_UNSUPPORTED),
    CASE("endpoint: 802.1Q-tagged frame is dropped: unsupported", EP, P_A,
	 FRAME(.kind = F_VLAN, .smac = MAC_A, .dmac = GW1_MAC, .sip = IP_B, .dip = WORLD),
	 TC_ACT_SHOT, .drop = NB_DROP_UNSUPPORTED),
    CASE("endpoint: frame on a device that is no port is dropped: no-port", EP, P_SB_A,
	 TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_SHOT, .drop = NB_DROP_NO_PORT),
    CASE("endpoint: program on a gateway port drops: no-port", EP, P_GW1,
	 TCP(GW1_MAC, MAC_A, GW1, IP_A), TC_ACT_SHOT, .drop = NB_DROP_NO_PORT),

    /* gateway */
    CASE("gateway: host ARP request for A is answered", GW, P_GW1, ARPREQ(GW1_MAC, GW1, IP_A),
	 TC_ACT_REDIRECT, .reply_mac = MAC_A, .reply_ip = IP_A),
    CASE("gateway: host ARP request for A from another host address is answered", GW, P_GW1,
	 ARPREQ(GW1_MAC, PKT_IP4(192, 168, 1, 5), IP_A), TC_ACT_REDIRECT, .reply_mac = MAC_A,
	 .reply_ip = IP_A),
    CASE("gateway: host ARP request for D (icc off) is answered", GW, P_GW2,
	 ARPREQ(GW2_MAC, GW2, IP_D), TC_ACT_REDIRECT, .reply_mac = MAC_D, .reply_ip = IP_D),
    CASE("gateway: host ARP request for an unused address is dropped", GW, P_GW1,
	 ARPREQ(GW1_MAC, GW1, PKT_IP4(10, 1, 0, 99)), TC_ACT_SHOT, .drop = NB_DROP_ARP_UNKNOWN),
    CASE("gateway: host ARP request for C (another network) is dropped", GW, P_GW1,
	 ARPREQ(GW1_MAC, GW1, IP_C), TC_ACT_SHOT, .drop = NB_DROP_ARP_UNKNOWN),
    CASE("gateway: host gratuitous ARP for the gateway address is dropped: unsupported", GW, P_GW1,
	 ARPREQ(GW1_MAC, GW1, GW1), TC_ACT_SHOT, .drop = NB_DROP_UNSUPPORTED),
    CASE("gateway: host -> A unicast is redirected into A", GW, P_GW1,
	 TCP(GW1_MAC, MAC_A, GW1, IP_A), TC_ACT_REDIRECT, .rx = BIT(P_A)),
    CASE("gateway: outside -> A routed by the host is redirected into A", GW, P_GW1,
	 TCP(GW1_MAC, MAC_A, WORLD, IP_A), TC_ACT_REDIRECT, .rx = BIT(P_A)),
    CASE("gateway: host -> A from net 2's gateway address (a host address) is allowed", GW, P_GW1,
	 ICMP(GW1_MAC, MAC_A, GW2, IP_A), TC_ACT_REDIRECT, .rx = BIT(P_A)),
    CASE("gateway: C (net 2) -> host -> A is dropped: isolation", GW, P_GW1,
	 TCP(GW1_MAC, MAC_A, IP_C, IP_A), TC_ACT_SHOT, .drop = NB_DROP_ISOLATION,
	 .rx_dropped = BIT(P_A)),
    CASE("gateway: E (net 3) -> host -> B is dropped: isolation", GW, P_GW1,
	 UDP(GW1_MAC, MAC_B, IP_E, IP_B), TC_ACT_SHOT, .drop = NB_DROP_ISOLATION,
	 .rx_dropped = BIT(P_B)),
    CASE("gateway: D -> host -> C (hairpin) with icc off is dropped: icc", GW, P_GW2,
	 TCP(GW2_MAC, MAC_C, IP_D, IP_C), TC_ACT_SHOT, .drop = NB_DROP_ICC, .rx_dropped = BIT(P_C)),
    CASE("gateway: A -> host -> B (hairpin) with icc on is redirected into B", GW, P_GW1,
	 TCP(GW1_MAC, MAC_B, IP_A, IP_B), TC_ACT_REDIRECT, .rx = BIT(P_B)),
    CASE("gateway: outside -> C with icc off is redirected into C", GW, P_GW2,
	 TCP(GW2_MAC, MAC_C, WORLD, IP_C), TC_ACT_REDIRECT, .rx = BIT(P_C)),
    CASE("gateway: outside -> E (internal) is dropped: internal", GW, P_GW3,
	 TCP(GW3_MAC, MAC_E, WORLD, IP_E), TC_ACT_SHOT, .drop = NB_DROP_INTERNAL,
	 .rx_dropped = BIT(P_E)),
    CASE("gateway: host (gateway address) -> E (internal) is redirected into E", GW, P_GW3,
	 ICMP(GW3_MAC, MAC_E, GW3, IP_E), TC_ACT_REDIRECT, .rx = BIT(P_E)),
    CASE("gateway: global IPv6 -> E (internal) is dropped: internal", GW, P_GW3,
	 IP6(GW3_MAC, MAC_E, GLOBAL6, LL_A), TC_ACT_SHOT, .drop = NB_DROP_INTERNAL,
	 .rx_dropped = BIT(P_E)),
    CASE("gateway: host broadcast is flooded to A, B and G", GW, P_GW1,
	 UDP(GW1_MAC, BCAST, GW1, PKT_IP4(10, 1, 0, 255)), TC_ACT_REDIRECT,
	 .rx = BIT(P_A) | BIT(P_B) | BIT(P_G)),
    CASE("gateway: host IPv6 multicast is flooded to C and D (icc off does not apply)", GW, P_GW2,
	 IP6(GW2_MAC, V6_MCAST_MAC, LL_GW, ALL_NODES), TC_ACT_REDIRECT, .rx = BIT(P_C) | BIT(P_D)),
    CASE("gateway: host -> unknown MAC is dropped: unknown unicast", GW, P_GW1,
	 TCP(GW1_MAC, STRANGER_MAC, GW1, IP_A), TC_ACT_SHOT, .drop = NB_DROP_UNKNOWN_UNICAST),
    CASE("gateway: host -> C's MAC (another network) is dropped: unknown unicast", GW, P_GW1,
	 TCP(GW1_MAC, MAC_C, GW1, IP_C), TC_ACT_SHOT, .drop = NB_DROP_UNKNOWN_UNICAST),
    CASE("gateway: host -> its own gateway MAC is dropped: unknown unicast", GW, P_GW1,
	 TCP(GW1_MAC, GW1_MAC, GW1, GW1), TC_ACT_SHOT, .drop = NB_DROP_UNKNOWN_UNICAST),
    CASE("gateway: truncated IPv4 header from the host is dropped: malformed", GW, P_GW1,
	 FRAME(.kind = F_TCP, .smac = GW1_MAC, .dmac = MAC_A, .sip = GW1, .dip = IP_A, .cut = 30),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED, .live = true),
    CASE("gateway: truncated ARP from the host is dropped: malformed", GW, P_GW1,
	 FRAME(.kind = F_ARP, .smac = GW1_MAC, .dmac = BCAST, .sip = GW1, .dip = IP_A, .cut = 40),
	 TC_ACT_SHOT, .drop = NB_DROP_MALFORMED),
    CASE("gateway: program on an endpoint port drops: no-port", GW, P_A,
	 TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_SHOT, .drop = NB_DROP_NO_PORT),
};

static int prog_fd(const struct sw *sw, enum prog prog)
{
	return prog == EP ? bpf_program__fd(sw->ep_skel->progs.endpoint)
			  : bpf_program__fd(sw->gw_skel->progs.gateway);
}

/*
 * BPF_PROG_TEST_RUN refuses an IPv4 ethertype whose 20-byte header does not
 * fit, but a sandbox can send one through a packet socket and the switch
 * must drop it: such cases run for real. The program is attached to the
 * port's tc ingress for the duration, the frame leaves the port's veth peer
 * (the sandbox side, or nbg for a gateway port) and the counters say what
 * the program did; the verdict is TC_ACT_SHOT exactly when a drop was counted.
 */
static bool run_live(struct sw *sw, const struct sw_case *c, const struct pkt *in,
		     struct snap *after)
{
	int port = sw->ifindex[c->in], peer = sw->peer_ifindex[c->in];
	struct snap before;
	bool ok = true;
	int i, err;

	if (!ASSERT_OK(take_snap(sw, &before), "counters before"))
		return false;
	err = pkt_tc_attach(port, prog_fd(sw, c->prog));
	if (!ASSERT_OK(err, "tc attach"))
		return false;
	ok &= ASSERT_OK(pkt_send(peer, in->data, in->len), "AF_PACKET send");
	/* the peer's backlog normally runs before sendto() returns; allow 1 s */
	for (i = 0; ok && i < 100; i++) {
		ok &= ASSERT_OK(take_snap(sw, after), "counters after");
		if (memcmp(&before, after, sizeof(before)))
			break;
		usleep(10000);
	}
	ok &= ASSERT_OK(pkt_tc_detach(port), "tc detach");
	return ok;
}

static bool run_case(struct sw *sw, const struct sw_case *c)
{
	struct expect_counts x = {};
	struct pkt in, want;
	struct pkt_out out;
	struct snap a, b;
	bool ok = true;
	int err;

	build(&in, &c->f);
	if (!ASSERT_OK(take_snap(sw, &a), "counters before"))
		return false;
	if (c->live) {
		if (!run_live(sw, c, &in, &b))
			return false;
		goto counters;
	}
	err = pkt_run(prog_fd(sw, c->prog), sw->ifindex[c->in], &in, &out);
	if (!ASSERT_OK(err, "BPF_PROG_TEST_RUN"))
		return false;
	ok &= ASSERT_VERDICT(out.verdict, c->verdict, "verdict");

	if (c->reply_mac)
		build_arp_reply(&want, &in, c->reply_mac, c->reply_ip);
	else
		want = in;
	ok &= ASSERT_EQ(out.len, want.len, "output length");
	if (out.len == want.len)
		ok &= ASSERT_MEMEQ(out.frame, want.data, want.len, "output frame");

	if (!ASSERT_OK(take_snap(sw, &b), "counters after"))
		return false;
counters:
	x.tx = c->prog == EP && c->in < N_EP && !c->portless ? c->in : N_PORTS;
	x.len = in.len;
	x.rx = c->rx;
	x.rx_dropped = c->rx_dropped;
	x.drop = c->drop;
	ok &= check_counts(&a, &b, &x);
	return ok;
}

/* ---- cases outside the table ------------------------------------------- */

/*
 * Frames shorter than an Ethernet header. BPF_PROG_TEST_RUN refuses them
 * (-EINVAL) as the stack never hands one to tc; should a kernel accept them,
 * the program must drop them as malformed.
 */
static bool run_runts(struct sw *sw, enum prog prog, enum port_id in)
{
	__u8 frame[ETH_HLEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x42, 10, 1, 0, 2};
	struct expect_counts x = {.tx = prog == EP ? in : N_PORTS};
	struct pkt_out out;
	struct snap a, b;
	bool ok = true;
	__u32 len;
	int err;

	for (len = 0; len < ETH_HLEN; len++) {
		if (!ASSERT_OK(take_snap(sw, &a), "counters before"))
			return false;
		err = pkt_run_raw(prog_fd(sw, prog), sw->ifindex[in], frame, len, &out);
		if (!ASSERT_OK(take_snap(sw, &b), "counters after"))
			return false;
		if (err == -EINVAL) {
			x.tx = N_PORTS;
			x.drop = 0;
			x.len = 0;
			ok &= check_counts(&a, &b, &x);
			continue;
		}
		if (!ASSERT_OK(err, "BPF_PROG_TEST_RUN"))
			return false;
		pkt_diag("kernel ran a %u-byte frame", len);
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_SHOT, "verdict");
		x.tx = prog == EP ? in : N_PORTS;
		x.drop = NB_DROP_MALFORMED;
		x.len = len;
		ok &= check_counts(&a, &b, &x);
	}
	return ok;
}

/*
 * The harness's checksum checker, which the NAT tests rely on: it accepts
 * what the builders produce and catches a flipped bit in every header.
 */
static bool check_harness_csum(void)
{
	static const struct frame frames[] = {
	    TCP(MAC_A, MAC_B, IP_A, IP_B),
	    UDP(MAC_A, MAC_B, IP_A, IP_B),
	    ICMP(MAC_A, MAC_B, IP_A, IP_B),
	};
	char why[128];
	struct pkt p;
	bool ok = true;
	size_t i;

	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		build(&p, &frames[i]);
		ok &= ASSERT_OK(pkt_csum_check(p.data, p.len, why, sizeof(why)), "built frame");
		/* a bit in the IPv4 header, then one in the L4 payload */
		p.data[ETH_HLEN + 8] ^= 0x01;
		ok &= ASSERT_EQ(pkt_csum_check(p.data, p.len, why, sizeof(why)), -EINVAL,
				"flipped TTL bit");
		p.data[ETH_HLEN + 8] ^= 0x01;
		p.data[p.len - 1] ^= 0x80;
		ok &= ASSERT_EQ(pkt_csum_check(p.data, p.len, why, sizeof(why)), -EINVAL,
				"flipped payload bit");
	}
	build(&p, &frames[1]);
	p.udp_csum_zero = true;
	pkt_finish(&p);
	ok &= ASSERT_EQ(pkt_udph(&p)->check, 0, "UDP checksum left 0");
	ok &= ASSERT_OK(pkt_csum_check(p.data, p.len, why, sizeof(why)), "UDP without checksum");
	/* a known frame: RFC 1071's example words sum to 0xddf2 */
	ok &= ASSERT_EQ(pkt_csum_fold(pkt_csum_add(
			    0, (const __u8[]){0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 8)),
			0xddf2, "RFC 1071 example");
	return ok;
}

/* Every drop reason has a distinct kebab-case name for the CLI. */
static bool check_drop_names(void)
{
	bool ok = true;
	__u32 r, q;

	for (r = NB_DROP_BASE; r < __NB_DROP_MAX; r++) {
		const char *n = nb_drop_reason_name(r), *s;

		if (!ASSERT_TRUE(n != NULL, "reason has a name")) {
			pkt_diag("reason %u", r);
			ok = false;
			continue;
		}
		for (s = n; *s; s++)
			ok &= ASSERT_TRUE((*s >= 'a' && *s <= 'z') ||
					      (*s >= '0' && *s <= '9' && s != n) || *s == '-',
					  "kebab-case name");
		for (q = NB_DROP_BASE; q < r; q++)
			ok &= ASSERT_TRUE(!nb_drop_reason_name(q) ||
					      strcmp(nb_drop_reason_name(q), n),
					  "distinct names");
	}
	ok &= ASSERT_TRUE(nb_drop_reason_name(NB_DROP_BASE - 1) == NULL, "below range");
	ok &= ASSERT_TRUE(nb_drop_reason_name(__NB_DROP_MAX) == NULL, "above range");
	return ok;
}

static int flood_list(const struct sw *sw, __u32 net_id, struct nb_flood *fl)
{
	return bpf_map_lookup_elem(sw->maps.flood, &net_id, fl) ? -errno : 0;
}

static bool flood_has(const struct nb_flood *fl, int ifindex)
{
	__u32 i;

	for (i = 0; i < fl->count && i < NB_MAX_FLOOD; i++)
		if (fl->ifindex[i] == (__u32)ifindex)
			return true;
	return false;
}

static struct nb_port ep_port(enum port_id p)
{
	struct nb_port port = {.net_id = eps[p].net_id, .kind = NB_PORT_ENDPOINT, .ip = eps[p].ip};

	memcpy(port.mac, eps[p].mac, ETH_ALEN);
	return port;
}

/*
 * The map projection: removing an endpoint takes it out of the FDB, the
 * neighbour table, the flood list and the counters; putting it back (twice:
 * put is idempotent) restores forwarding; moving it to another address
 * leaves nothing of the old one.
 */
static bool check_endpoint_lifecycle(struct sw *sw)
{
	static const struct sw_case to_b =
	    CASE("A -> B", EP, P_A, TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_REDIRECT, .rx = BIT(P_B));
	static const struct sw_case to_b_gone =
	    CASE("A -> B (removed)", EP, P_A, TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_SHOT,
		 .drop = NB_DROP_UNKNOWN_UNICAST);
	static const struct sw_case arp_b_gone =
	    CASE("ARP for B (removed)", EP, P_A, ARPREQ(MAC_A, IP_A, IP_B), TC_ACT_SHOT,
		 .drop = NB_DROP_ARP_UNKNOWN);
	static const struct sw_case arp_old =
	    CASE("ARP for B's old address", EP, P_A, ARPREQ(MAC_A, IP_A, IP_B), TC_ACT_SHOT,
		 .drop = NB_DROP_ARP_UNKNOWN);
	static const struct sw_case arp_new = CASE(
	    "ARP for B's new address", EP, P_A, ARPREQ(MAC_A, IP_A, PKT_IP4(10, 1, 0, 33)),
	    TC_ACT_REDIRECT, .rx = BIT(P_A), .reply_mac = MAC_B, .reply_ip = PKT_IP4(10, 1, 0, 33));
	struct nb_port b = ep_port(P_B), moved = b;
	struct nb_flood fl;
	struct nb_ep_stats st;
	bool ok = true;

	ok &= ASSERT_OK(nb_maps_endpoint_del(&sw->maps, sw->ifindex[P_B]), "endpoint_del B");
	ok &= ASSERT_OK(nb_maps_endpoint_del(&sw->maps, sw->ifindex[P_B]), "endpoint_del B again");
	ok &= ASSERT_OK(flood_list(sw, 1, &fl), "flood list of net 1");
	ok &= ASSERT_TRUE(!flood_has(&fl, sw->ifindex[P_B]), "B left the flood list");
	ok &= ASSERT_TRUE(flood_has(&fl, sw->ifindex[P_A]) && flood_has(&fl, sw->ifindex[P_G]),
			  "A and G stay in the flood list");
	ok &= ASSERT_EQ(fl.count, 2, "flood list length");
	ok &= ASSERT_EQ(nb_maps_ep_stats_sum(&sw->maps, sw->ifindex[P_B], &st), -ENOENT,
			"B's counters are gone");
	if (!ok)
		return false;
	ok &= run_case(sw, &to_b_gone);
	ok &= run_case(sw, &arp_b_gone);

	ok &= ASSERT_OK(nb_maps_endpoint_put(&sw->maps, sw->ifindex[P_B], &b), "endpoint_put B");
	ok &=
	    ASSERT_OK(nb_maps_endpoint_put(&sw->maps, sw->ifindex[P_B], &b), "endpoint_put again");
	ok &= ASSERT_OK(flood_list(sw, 1, &fl), "flood list of net 1");
	ok &= ASSERT_EQ(fl.count, 3, "flood list length after re-put");
	ok &= run_case(sw, &to_b);

	moved.ip = PKT_IP4(10, 1, 0, 33);
	ok &= ASSERT_OK(nb_maps_endpoint_put(&sw->maps, sw->ifindex[P_B], &moved), "B moves");
	ok &= run_case(sw, &arp_old);
	ok &= run_case(sw, &arp_new);
	ok &= ASSERT_OK(nb_maps_endpoint_put(&sw->maps, sw->ifindex[P_B], &b), "B moves back");
	ok &= ASSERT_OK(flood_list(sw, 1, &fl), "flood list of net 1");
	ok &= ASSERT_EQ(fl.count, 3, "flood list length after the moves");
	return ok;
}

/*
 * `up` over a live system re-puts a network whose gateway devices were
 * recreated (new ifindexes): the old port entry goes, the FDB follows, and
 * the endpoints' flood list survives.
 */
static bool check_network_reput(struct sw *sw)
{
	static const struct sw_case flood = {"A broadcast",
					     EP,
					     P_A,
					     UDP(MAC_A, BCAST, IP_A, PKT_IP4(255, 255, 255, 255)),
					     TC_ACT_REDIRECT,
					     .rx = BIT(P_B) | BIT(P_G)};
	struct nb_network real, moved;
	struct nb_fdb_key fk = {.net_id = 1};
	struct nb_fdb_val fv;
	struct nb_port port;
	struct nb_flood fl;
	__u32 old_port;
	bool ok = true;

	if (!ASSERT_OK(bpf_map_lookup_elem(sw->maps.networks, &(__u32){1}, &real) ? -errno : 0,
		       "network 1"))
		return false;
	moved = real;
	moved.gwport_ifindex = 7777;
	moved.gw_ifindex = 7778;
	old_port = real.gwport_ifindex;
	memcpy(fk.mac, real.gw_mac, ETH_ALEN);

	ok &= ASSERT_OK(nb_maps_network_put(&sw->maps, 1, &moved), "network_put, new devices");
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(sw->maps.ports, &old_port, &port) && errno == ENOENT,
			  "old gateway port removed");
	ok &= ASSERT_OK(bpf_map_lookup_elem(sw->maps.ports, &moved.gwport_ifindex, &port) ? -errno
											  : 0,
			"new gateway port");
	ok &= ASSERT_OK(bpf_map_lookup_elem(sw->maps.fdb, &fk, &fv) ? -errno : 0, "gateway FDB");
	ok &= ASSERT_EQ(fv.ifindex, 7778, "gateway FDB entry follows the device");
	ok &= ASSERT_OK(flood_list(sw, 1, &fl), "flood list of net 1");
	ok &= ASSERT_EQ(fl.count, 3, "flood list kept");

	ok &= ASSERT_OK(nb_maps_network_put(&sw->maps, 1, &real), "network_put, devices back");
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(sw->maps.ports, &moved.gwport_ifindex, &port) &&
			      errno == ENOENT,
			  "moved gateway port removed");
	ok &= run_case(sw, &flood);
	return ok;
}

static __u32 port_slot(const struct sw *sw, __u32 ifindex)
{
	struct nb_port port;

	if (bpf_map_lookup_elem(sw->maps.ports, &ifindex, &port))
		return 0;
	return port.stats_slot;
}

/*
 * Counters live in an array by stats slot, which the port and the FDB entry
 * carry: distinct per endpoint, kept by a re-put, zeroed for the next owner;
 * and the port carries its network's flags, rewritten when they change.
 */
static bool check_stats_slots(struct sw *sw)
{
	static const struct sw_case icc_off =
	    CASE("A -> B, icc turned off", EP, P_A, TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_SHOT,
		 .drop = NB_DROP_ICC, .rx_dropped = BIT(P_B));
	static const struct sw_case icc_on =
	    CASE("A -> B, icc back on", EP, P_A, TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_REDIRECT,
		 .rx = BIT(P_B));
	__u32 a = port_slot(sw, sw->ifindex[P_A]), b = port_slot(sw, sw->ifindex[P_B]);
	struct nb_port pa = ep_port(P_A), pb = ep_port(P_B), other = pb, got;
	struct nb_ep_stats before, after;
	struct nb_fdb_key fk = {.net_id = 1};
	struct nb_network net, no_icc;
	struct nb_fdb_val fv;
	bool ok = true;

	ok &= ASSERT_TRUE(a && b && a != b, "A and B hold distinct, non-zero slots");
	memcpy(fk.mac, MAC_B, ETH_ALEN);
	ok &= ASSERT_OK(bpf_map_lookup_elem(sw->maps.fdb, &fk, &fv) ? -errno : 0, "B's FDB entry");
	ok &= ASSERT_EQ(fv.stats_slot, b, "B's FDB entry carries B's slot");

	ok &= ASSERT_OK(nb_maps_ep_stats_sum(&sw->maps, sw->ifindex[P_A], &before), "A's counters");
	ok &= ASSERT_TRUE(before.tx_packets > 0, "A has sent frames");
	ok &= ASSERT_OK(nb_maps_endpoint_put(&sw->maps, sw->ifindex[P_A], &pa), "A re-put");
	ok &= ASSERT_EQ(port_slot(sw, sw->ifindex[P_A]), a, "a re-put keeps the slot");
	ok &= ASSERT_OK(nb_maps_ep_stats_sum(&sw->maps, sw->ifindex[P_A], &after), "A's counters");
	ok &= ASSERT_MEMEQ(&after, &before, sizeof(after), "a re-put keeps the counters");

	/* B goes; a new endpoint takes the lowest free slot, B's, with zeroed counters */
	ok &= ASSERT_OK(nb_maps_ep_stats_sum(&sw->maps, sw->ifindex[P_B], &before), "B's counters");
	ok &= ASSERT_TRUE(before.rx_packets > 0, "B has received frames");
	ok &= ASSERT_OK(nb_maps_endpoint_del(&sw->maps, sw->ifindex[P_B]), "B removed");
	other.ip = PKT_IP4(10, 1, 0, 77);
	other.mac[5] = 77;
	ok &= ASSERT_OK(nb_maps_endpoint_put(&sw->maps, 30000, &other), "another endpoint");
	ok &= ASSERT_EQ(port_slot(sw, 30000), b, "it reuses B's slot");
	ok &= ASSERT_OK(nb_maps_ep_stats_sum(&sw->maps, 30000, &after), "its counters");
	ok &= ASSERT_MEMEQ(&after, &(struct nb_ep_stats){}, sizeof(after), "start at zero");
	ok &= ASSERT_OK(nb_maps_endpoint_del(&sw->maps, 30000), "it goes");
	ok &= ASSERT_OK(nb_maps_endpoint_put(&sw->maps, sw->ifindex[P_B], &pb), "B back");

	/* the network's flags travel with the ports */
	if (!ASSERT_OK(bpf_map_lookup_elem(sw->maps.networks, &(__u32){1}, &net) ? -errno : 0,
		       "network 1"))
		return false;
	ok &= ASSERT_OK(bpf_map_lookup_elem(sw->maps.ports, &sw->ifindex[P_A], &got) ? -errno : 0,
			"A's port");
	ok &= ASSERT_EQ(got.net_flags, net.flags, "A's port carries the network's flags");
	ok &= ASSERT_OK(bpf_map_lookup_elem(sw->maps.ports, &net.gwport_ifindex, &got) ? -errno : 0,
			"the gateway port");
	ok &= ASSERT_EQ(got.net_flags, net.flags, "the gateway port carries them too");
	no_icc = net;
	no_icc.flags &= ~NB_NET_F_ICC;
	ok &= ASSERT_OK(nb_maps_network_put(&sw->maps, 1, &no_icc), "network 1 without icc");
	ok &= run_case(sw, &icc_off);
	ok &= ASSERT_OK(nb_maps_network_put(&sw->maps, 1, &net), "network 1 with icc");
	ok &= run_case(sw, &icc_on);
	return ok;
}

/* A full flood list is an error, not a silent truncation. */
static bool check_flood_full(struct sw *sw)
{
	struct nb_network net = {.subnet = PKT_IP4(10, 9, 0, 0),
				 .prefixlen = 16,
				 .gateway = PKT_IP4(10, 9, 0, 1),
				 .gw_mac = MAC(10, 9, 0, 1),
				 .gw_ifindex = 9000,
				 .gwport_ifindex = 9001};
	static const __u8 base_mac[ETH_ALEN] = MAC(10, 9, 0, 0);
	struct nb_port port = {.net_id = 9, .kind = NB_PORT_ENDPOINT};
	struct nb_fdb_key fk = {};
	struct nb_fdb_val fv;
	struct nb_ep_stats st;
	bool ok = true;
	__u32 i;
	int err;

	if (!ASSERT_OK(nb_maps_network_put(&sw->maps, 9, &net), "network_put 9"))
		return false;
	for (i = 0; i < NB_MAX_FLOOD; i++) {
		port.ip = htonl(ntohl(PKT_IP4(10, 9, 0, 2)) + i);
		memcpy(port.mac, base_mac, ETH_ALEN);
		port.mac[4] = (__u8)((i + 2) >> 8);
		port.mac[5] = (__u8)(i + 2);
		err = nb_maps_endpoint_put(&sw->maps, 10000 + i, &port);
		if (!ASSERT_OK(err, "endpoint_put"))
			return false;
	}
	port.ip = PKT_IP4(10, 9, 255, 254);
	port.mac[4] = 0xff;
	port.mac[5] = 0xfe;
	ok &= ASSERT_EQ(nb_maps_endpoint_put(&sw->maps, 20000, &port), -ENOSPC,
			"endpoint beyond NB_MAX_FLOOD");
	/* the refused endpoint left nothing behind */
	fk.net_id = 9;
	memcpy(fk.mac, port.mac, ETH_ALEN);
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(sw->maps.fdb, &fk, &fv) && errno == ENOENT,
			  "no FDB entry for the refused endpoint");
	ok &= ASSERT_EQ(nb_maps_ep_stats_sum(&sw->maps, 20000, &st), -ENOENT,
			"no counters for the refused endpoint");
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(sw->maps.ports, &(__u32){20000}, &port) &&
			      errno == ENOENT,
			  "no port for the refused endpoint");
	for (i = 0; i < NB_MAX_FLOOD; i++)
		ok &= ASSERT_OK(nb_maps_endpoint_del(&sw->maps, 10000 + i), "endpoint_del");
	ok &= ASSERT_OK(nb_maps_network_del(&sw->maps, 9), "network_del 9");
	return ok;
}

/* After switch_clear nothing is forwarded: every port is unknown. */
static bool check_switch_clear(struct sw *sw)
{
	static const struct sw_case gone =
	    CASE("A -> B after clear", EP, P_A, TCP(MAC_A, MAC_B, IP_A, IP_B), TC_ACT_SHOT,
		 .drop = NB_DROP_NO_PORT, .portless = true);
	const int fds[] = {sw->maps.networks, sw->maps.ports,	sw->maps.fdb,
			   sw->maps.neigh,    sw->maps.subnets, sw->maps.flood};
	__u8 key[64];
	bool ok = true;
	size_t i;

	if (!ASSERT_OK(nb_maps_switch_clear(&sw->maps), "switch_clear"))
		return false;
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		ok &= ASSERT_TRUE(bpf_map_get_next_key(fds[i], NULL, key) && errno == ENOENT,
				  "map is empty");
	ok &= run_case(sw, &gone);
	return ok;
}

/* ---- setup ------------------------------------------------------------- */

static int setup_devices(struct sw *sw)
{
	size_t i;
	int err;

	for (i = 0; i < N_EP; i++) {
		err =
		    pkt_env_veth(eps[i].dev, eps[i].sb_dev, &sw->ifindex[i], &sw->peer_ifindex[i]);
		if (err)
			return err;
	}
	sw->ifindex[P_SB_A] = sw->peer_ifindex[P_A];
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		enum port_id p = nets[i].gwport;

		/* ifindex[] holds the port (nbp), peer_ifindex[] the gateway device (nbg) */
		err = pkt_env_veth(nets[i].gwport_dev, nets[i].gw_dev, &sw->ifindex[p],
				   &sw->peer_ifindex[p]);
		if (err)
			return err;
	}
	return 0;
}

static int setup_bpf(struct sw *sw)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = sw->env.pin_dir);
	int err;

	sw->ep_skel = endpoint_bpf__open_opts(&opts);
	if (!sw->ep_skel)
		return -errno;
	err = endpoint_bpf__load(sw->ep_skel);
	if (err)
		return err;
	sw->gw_skel = gateway_bpf__open_opts(&opts);
	if (!sw->gw_skel)
		return -errno;
	err = gateway_bpf__load(sw->gw_skel);
	if (err)
		return err;
	return nb_maps_open_pinned(sw->env.pin_dir, &sw->maps);
}

static int setup_maps(struct sw *sw)
{
	size_t i;
	int err;

	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct nb_network net = {
		    .subnet = nets[i].subnet,
		    .prefixlen = nets[i].prefixlen,
		    .gateway = nets[i].gateway,
		    .gw_ifindex = sw->peer_ifindex[nets[i].gwport],
		    .gwport_ifindex = sw->ifindex[nets[i].gwport],
		    .flags = nets[i].flags,
		    .mtu = 1500,
		};

		memcpy(net.gw_mac, nets[i].gw_mac, ETH_ALEN);
		err = nb_maps_network_put(&sw->maps, nets[i].id, &net);
		if (err)
			return err;
	}
	for (i = 0; i < N_EP; i++) {
		struct nb_port port = ep_port(i);

		err = nb_maps_endpoint_put(&sw->maps, sw->ifindex[i], &port);
		if (err)
			return err;
	}
	return 0;
}

/* Both objects must share one set of maps, as under `netbpfctl up`. */
static bool check_shared_maps(struct sw *sw)
{
	struct bpf_map_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	bool ok = true;

	ok &= ASSERT_OK(bpf_obj_get_info_by_fd(bpf_map__fd(sw->ep_skel->maps.nb_fdb), &a, &la),
			"endpoint's nb_fdb");
	ok &= ASSERT_OK(bpf_obj_get_info_by_fd(bpf_map__fd(sw->gw_skel->maps.nb_fdb), &b, &lb),
			"gateway's nb_fdb");
	ok = ok && ASSERT_EQ(a.id, b.id, "nb_fdb map id");
	return ok;
}

/* The two ways to get map fds agree, and a pin dir without an instance says so. */
static bool check_maps_open(struct sw *sw)
{
	struct bpf_map_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	struct nb_maps m;
	bool ok = true;
	size_t i;

	ok &= ASSERT_EQ(nb_maps_open_pinned("/nonexistent/netbpf", &m), -ENOENT, "no instance");
	ok &= ASSERT_EQ(m.ports, -1, "fds stay -1 on failure");
	if (!ASSERT_OK(nb_maps_from_object(sw->gw_skel->obj, &m), "nb_maps_from_object"))
		return false;
	ok &= ASSERT_OK(bpf_obj_get_info_by_fd(m.flood, &a, &la), "object's nb_flood");
	ok &= ASSERT_OK(bpf_obj_get_info_by_fd(sw->maps.flood, &b, &lb), "pinned nb_flood");
	ok &= ASSERT_EQ(a.id, b.id, "nb_flood map id");
	ok &= ASSERT_TRUE(m.flood != sw->maps.flood &&
			      m.flood != bpf_map__fd(sw->gw_skel->maps.nb_flood),
			  "fd is a dup");
	nb_maps_close(&m);
	ok &= ASSERT_EQ(m.flood, -1, "closed");

	/* every map of the ABI exists once both objects are loaded, but the XDP object's own */
	for (i = 0; i < sizeof(sw->maps) / sizeof(int); i++)
		ok &= ASSERT_TRUE(i == offsetof(struct nb_maps, xdp_devs) / sizeof(int)
				      ? ((const int *)&sw->maps)[i] == -1
				      : ((const int *)&sw->maps)[i] >= 0,
				  "pinned map opened");
	return ok;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fputs("# ", stderr);
	return vfprintf(stderr, fmt, ap);
}

int main(void)
{
	struct sw sw = {};
	bool ok;
	size_t i;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	nb_maps_init(&sw.maps);
	err = pkt_env_enter(&sw.env);
	if (err)
		return 1;
	err = setup_devices(&sw);
	ok = pkt_tap(!err, "setup: veth pairs in a private netns");
	if (ok) {
		err = setup_bpf(&sw);
		ok = pkt_tap(
		    !err, "setup: endpoint and gateway load with maps pinned on a private bpffs");
	}
	if (ok) {
		err = setup_maps(&sw);
		ok = pkt_tap(!err, "setup: networks and endpoints written through user/lib/maps.c");
	}
	if (!ok) {
		pkt_diag("setup failed: %s", strerror(-err));
		goto cleanup;
	}
	pkt_tap(check_shared_maps(&sw), "setup: both programs share one set of pinned maps");
	pkt_tap(check_maps_open(&sw), "maps: open_pinned and from_object give the same maps");
	pkt_tap(check_harness_csum(),
		"harness: checksum checker accepts built frames, catches bit flips");
	pkt_tap(check_drop_names(), "maps: every drop reason has a distinct kebab-case name");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		pkt_tap(run_case(&sw, &cases[i]), "%s", cases[i].name);

	pkt_tap(run_runts(&sw, EP, P_A),
		"endpoint: 0..13-byte frames never reach it or are dropped");
	pkt_tap(run_runts(&sw, GW, P_GW1),
		"gateway: 0..13-byte frames never reach it or are dropped");
	pkt_tap(check_endpoint_lifecycle(&sw),
		"maps: endpoint del/put/move keep FDB, ARP table and flood list exact");
	pkt_tap(check_network_reput(&sw), "maps: network re-put with new gateway devices");
	pkt_tap(check_stats_slots(&sw),
		"maps: a counter slot per endpoint, kept on re-put, zeroed on reuse; flags follow");
	pkt_tap(check_flood_full(&sw), "maps: a full flood list refuses one more endpoint");
	pkt_tap(check_switch_clear(&sw), "maps: switch_clear empties the switch maps");
cleanup:
	nb_maps_close(&sw.maps);
	gateway_bpf__destroy(sw.gw_skel);
	endpoint_bpf__destroy(sw.ep_skel);
	pkt_env_leave(&sw.env);
	return pkt_tap_done() ? 1 : 0;
}
