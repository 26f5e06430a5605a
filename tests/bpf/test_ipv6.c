// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet tests of IPv6 on the switch (issue 16): "endpoint" and "gateway"
 * through BPF_PROG_TEST_RUN, the maps filled through user/lib (maps.c and
 * v6maps.c) exactly as netbpfctl fills them.
 *
 *   net 1  10.1.0.0/24 fd00:1::/64 gw ::1  icc            A ::2  B ::3  N (no IPv6 address)
 *   net 2  10.2.0.0/24 fd00:2::/64 gw ::1  icc off        C ::2  D ::3
 *   net 3  10.3.0.0/24 fd00:3::/64 gw ::1  internal, icc  E ::2
 *   net 4  10.4.0.0/24 (no IPv6)            icc            F
 *
 * Neighbour advertisements the programs produce are compared byte for byte
 * with one built here from the solicitation's fields (the checksum by the
 * harness's own RFC 1071 code), and checked with pkt_csum_check6(). For
 * every case the verdict, the one drop reason counted (or none) and which
 * endpoints received a frame are asserted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#include "pkt.h"
#include "maps.h"
#include "v6maps.h"
#include "nat.h"
#include "endpoint.skel.h"
#include "gateway.skel.h"
#include "uplink.skel.h"

enum port_id {
	P_A,
	P_B,
	P_N,
	P_C,
	P_D,
	P_E,
	P_F,
	N_EP,
	P_GW1 = N_EP,
	P_GW2,
	P_GW3,
	P_GW4,
	P_UP, /* an uplink */
	N_PORTS
};

#define BIT(p) (1U << (p))
#define MAC(a, b, c, d)                                                                            \
	{                                                                                          \
		0x02, 0x42, a, b, c, d                                                             \
	}
/* fe80::/64 + EUI-64 of MAC(a, b, c, d) */
#define LL(a, b, c, d)                                                                             \
	{                                                                                          \
		0xfe, 0x80, [9] = 0x42, [10] = a, [11] = 0xff, [12] = 0xfe, [13] = b, [14] = c,    \
			    [15] = d                                                               \
	}
#define ULA(n, h)                                                                                  \
	{                                                                                          \
		0xfd, 0x00, 0x00, n, [15] = h                                                      \
	}
#define SNM(a, b, c)                                                                               \
	{                                                                                          \
		0xff, 0x02, [11] = 0x01, [12] = 0xff, [13] = a, [14] = b, [15] = c                 \
	}

static const __u8 MAC_A[6] = MAC(10, 1, 0, 2), MAC_B[6] = MAC(10, 1, 0, 3),
		  MAC_N[6] = MAC(10, 1, 0, 4), MAC_C[6] = MAC(10, 2, 0, 2),
		  MAC_D[6] = MAC(10, 2, 0, 3), MAC_E[6] = MAC(10, 3, 0, 2),
		  MAC_F[6] = MAC(10, 4, 0, 2), GW1_MAC[6] = MAC(10, 1, 0, 1),
		  GW2_MAC[6] = MAC(10, 2, 0, 1), GW3_MAC[6] = MAC(10, 3, 0, 1),
		  GW4_MAC[6] = MAC(10, 4, 0, 1);
static const __u8 LL_A[16] = LL(10, 1, 0, 2), LL_B[16] = LL(10, 1, 0, 3),
		  LL_C[16] = LL(10, 2, 0, 2), LL_E[16] = LL(10, 3, 0, 2),
		  LL_F[16] = LL(10, 4, 0, 2), LL_GW1[16] = LL(10, 1, 0, 1);
static const __u8 IP6_A[16] = ULA(1, 2), IP6_B[16] = ULA(1, 3), IP6_C[16] = ULA(2, 2),
		  IP6_D[16] = ULA(2, 3), IP6_E[16] = ULA(3, 2), GW6_1[16] = ULA(1, 1),
		  GW6_2[16] = ULA(2, 1), GW6_3[16] = ULA(3, 1), FREE6[16] = ULA(1, 0x99);
static const __u8 WORLD6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 5};
static const __u8 STRANGER6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7};
static const __u8 BAD_LL[16] = {0xfe, 0x80, [15] = 1}; /* not EUI-64 */
static const __u8 UNSPEC[16];
static const __u8 ALL_NODES[16] = {0xff, 0x02, [15] = 1};
static const __u8 ALL_NODES_MAC[6] = {0x33, 0x33, 0, 0, 0, 1};
static const __u8 MLDV2[16] = {0xff, 0x02, [15] = 0x16};
static const __u8 MLDV2_MAC[6] = {0x33, 0x33, 0, 0, 0, 0x16};
static const __u8 ALL_ROUTERS[16] = {0xff, 0x02, [15] = 2};
static const __u8 ALL_ROUTERS_MAC[6] = {0x33, 0x33, 0, 0, 0, 2};
static const __u8 LL_GW3[16] = LL(10, 3, 0, 1);
static const __u8 SNM_GW[16] = SNM(0, 0, 1), SNM_3[16] = SNM(0, 0, 3), SNM_2[16] = SNM(0, 0, 2),
		  SNM_99[16] = SNM(0, 0, 0x99), SNM_LLB[16] = SNM(1, 0, 3);
static const __u8 SNM_MAC[6] = {0x33, 0x33, 0xff, 0, 0, 1};

struct net_def {
	__u32 id;
	__be32 subnet;
	__u32 flags;
	const __u8 *gw_mac, *subnet6, *gw6;
	enum port_id gwport;
};

static const struct net_def nets[] = {
    {1, PKT_IP4(10, 1, 0, 0), NB_NET_F_ICC, GW1_MAC, (const __u8[16]){0xfd, 0, 0, 1}, GW6_1, P_GW1},
    {2, PKT_IP4(10, 2, 0, 0), 0, GW2_MAC, (const __u8[16]){0xfd, 0, 0, 2}, GW6_2, P_GW2},
    {3, PKT_IP4(10, 3, 0, 0), NB_NET_F_ICC | NB_NET_F_INTERNAL, GW3_MAC,
     (const __u8[16]){0xfd, 0, 0, 3}, GW6_3, P_GW3},
    {4, PKT_IP4(10, 4, 0, 0), NB_NET_F_ICC, GW4_MAC, NULL, NULL, P_GW4},
};

struct ep_def {
	__u32 net_id;
	const __u8 *mac, *ip6;
};

static const struct ep_def eps[N_EP] = {
    [P_A] = {1, MAC_A, IP6_A}, [P_B] = {1, MAC_B, IP6_B}, [P_N] = {1, MAC_N, NULL},
    [P_C] = {2, MAC_C, IP6_C}, [P_D] = {2, MAC_D, IP6_D}, [P_E] = {3, MAC_E, IP6_E},
    [P_F] = {4, MAC_F, NULL},
};

struct t {
	struct pkt_env env;
	struct endpoint_bpf *ep;
	struct gateway_bpf *gw;
	struct uplink_bpf *up;
	struct nb_maps maps;
	int ifindex[N_PORTS], peer[N_PORTS];
};

/* ---- frames ------------------------------------------------------------ */

enum kind { K_UDP, K_NS, K_NA, K_ICMP6, K_TCP };

struct frame {
	enum kind kind;
	const __u8 *smac, *dmac, *sip, *dip;
	const __u8 *target; /* NS/NA */
	const __u8 *lladdr; /* NS: source, NA: target link-layer option */
	__u8 na_flags;
	bool nonce;		   /* NS: a nonce option (RFC 7527), as Linux's DAD sends */
	__u8 icmp_type;		   /* K_ICMP6 */
	__u8 hlim;		   /* 0: 255 for neighbour discovery, 64 otherwise */
	bool bad_csum;		   /* ICMPv6 checksum off by one */
	bool opt_len0;		   /* an option of length 0 */
	__u8 ext;		   /* destination-options headers before the upper layer */
	bool frag;		   /* a fragment header (first fragment) before the upper layer */
	bool later_frag;	   /* a later fragment */
	__u16 plen_extra;	   /* payload length beyond the frame */
	bool reply;		   /* K_UDP/K_TCP: ports 53 -> 40000 instead of 40000 -> 53 */
	__u16 sport;		   /* K_UDP/K_TCP: another source port */
	const struct frame *quote; /* K_ICMP6 error: the packet it quotes */
	bool ext_overrun;	   /* the extension header claims more than the payload */
};

static void build(struct pkt *p, const struct frame *f)
{
	bool nd = f->kind == K_NS || f->kind == K_NA ||
		  (f->kind == K_ICMP6 && f->icmp_type >= 133 && f->icmp_type <= 137);
	__u8 up = f->kind == K_UDP   ? IPPROTO_UDP
		  : f->kind == K_TCP ? IPPROTO_TCP
				     : IPPROTO_ICMPV6,
	     i;
	__u16 sp = f->sport ? f->sport : f->reply ? 53 : 40000, dp = f->reply ? 40000 : 53;

	pkt_eth(p, f->dmac, f->smac, ETH_P_IPV6);
	pkt_ipv6(p, f->sip, f->dip, f->frag || f->later_frag ? 44 : f->ext ? 60 : up);
	pkt_ip6h(p)->ip6_hlim = f->hlim ? f->hlim : nd ? 255 : 64;
	if (f->frag || f->later_frag)
		pkt_put(
		    p, (const __u8[]){f->ext ? 60 : up, 0, 0, f->later_frag ? 0xb9 : 1, 0, 0, 0, 7},
		    8);
	for (i = 0; i < f->ext; i++)
		pkt_put(p,
			(const __u8[]){i + 1 < f->ext ? 60 : up, f->ext_overrun ? 9 : 0, 1, 4, 0, 0,
				       0, 0},
			8);
	if (f->later_frag) {
		pkt_put(p, NULL, 16);
		pkt_finish(p);
		return;
	}
	switch (f->kind) {
	case K_UDP:
		p->l4 = p->len;
		pkt_put(p, (const __u8[]){sp >> 8, sp & 0xff, dp >> 8, dp & 0xff, 0, 16, 0, 0}, 8);
		pkt_put(p, NULL, 8);
		break;
	case K_TCP: /* a SYN (no checksum: nobody checks it here) */
		p->l4 = p->len;
		pkt_put(p, (const __u8[]){sp >> 8, sp & 0xff, dp >> 8, dp & 0xff}, 4);
		pkt_put(p,
			(const __u8[]){0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0},
			16);
		break;
	case K_NS:
	case K_NA:
		pkt_icmp6(p, f->kind == K_NS ? 135 : 136, 0);
		pkt_put(p, (const __u8[]){f->na_flags, 0, 0, 0}, 4);
		pkt_put(p, f->target, 16);
		if (f->lladdr) {
			pkt_put(p, (const __u8[]){f->kind == K_NS ? 1 : 2, 1}, 2);
			pkt_put(p, f->lladdr, 6);
		}
		if (f->nonce)
			pkt_put(p, (const __u8[]){14, 1, 1, 2, 3, 4, 5, 6}, 8);
		if (f->opt_len0)
			pkt_put(p, (const __u8[]){14, 0, 1, 2, 3, 4, 5, 6}, 8);
		break;
	case K_ICMP6:
		pkt_icmp6(p, f->icmp_type, 0);
		if (f->quote) { /* an error: 4 unused bytes, then the quoted packet */
			struct pkt q;

			build(&q, f->quote);
			pkt_put(p, (const __u8[4]){}, 4);
			pkt_put(p, q.data + ETH_HLEN, q.len - ETH_HLEN);
		} else {
			pkt_put(p, NULL, 20);
		}
		break;
	}
	pkt_finish(p);
	if (f->bad_csum)
		p->data[p->l4 + 3] ^= 1;
	if (f->plen_extra)
		pkt_ip6h(p)->ip6_plen = htons(ntohs(pkt_ip6h(p)->ip6_plen) + f->plen_extra);
}

/*
 * The advertisement Linux's ndisc_send_na() would send for solicitation ns
 * (built by build() from f): to its source (DAD: to ff02::1), from the
 * target's MAC and address.
 */
static void build_na(struct pkt *p, const struct frame *ns, const __u8 *owner_mac, bool router)
{
	bool dad = !memcmp(ns->sip, UNSPEC, 16), mcast = ns->dip[0] == 0xff, opt = dad || mcast;
	__u8 flags = (router ? 0x80 : 0) | (dad ? 0 : 0x40) | (opt ? 0x20 : 0);

	pkt_eth(p, dad ? ALL_NODES_MAC : ns->smac, owner_mac, ETH_P_IPV6);
	pkt_ipv6(p, ns->target, dad ? ALL_NODES : ns->sip, IPPROTO_ICMPV6);
	pkt_ip6h(p)->ip6_hlim = 255;
	pkt_icmp6(p, 136, 0);
	pkt_put(p, (const __u8[]){flags, 0, 0, 0}, 4);
	pkt_put(p, ns->target, 16);
	if (opt) {
		pkt_put(p, (const __u8[]){2, 1}, 2);
		pkt_put(p, owner_mac, 6);
	}
	pkt_finish(p);
}

/* ---- counters ---------------------------------------------------------- */

struct snap {
	struct nb_ep_stats ep[N_EP];
	struct nb_counter drops[NB_DROP_COUNT];
};

static int take_snap(const struct t *t, struct snap *s)
{
	int i, err;

	for (i = 0; i < N_EP; i++) {
		err = nb_maps_ep_stats_sum(&t->maps, t->ifindex[i], &s->ep[i]);
		if (err)
			return err;
	}
	for (i = 0; i < NB_DROP_COUNT; i++) {
		err = nb_maps_drops_sum(&t->maps, NB_DROP_BASE + i, &s->drops[i]);
		if (err)
			return err;
	}
	return 0;
}

/* ---- the table --------------------------------------------------------- */

enum prog { EP, GW, UP_IN, UP_OUT };

struct v6case {
	const char *name;
	enum prog prog;
	enum port_id in;
	struct frame f;
	int verdict;
	__u32 drop;	    /* NB_DROP_*, 0 for none */
	__u32 rx;	    /* BIT() of the endpoints that received a frame */
	const __u8 *na_mac; /* an advertisement from this MAC is the expected output */
	bool na_router;
};

#define NS(s, d, sa, da, tgt, ...)                                                                 \
	{                                                                                          \
		.kind = K_NS, .smac = s, .dmac = d, .sip = sa, .dip = da, .target = tgt,           \
		__VA_ARGS__                                                                        \
	}
#define NA(s, d, sa, da, tgt, ...)                                                                 \
	{                                                                                          \
		.kind = K_NA, .smac = s, .dmac = d, .sip = sa, .dip = da, .target = tgt,           \
		__VA_ARGS__                                                                        \
	}
#define UDP6(s, d, sa, da, ...)                                                                    \
	{                                                                                          \
		.kind = K_UDP, .smac = s, .dmac = d, .sip = sa, .dip = da, __VA_ARGS__             \
	}
#define ICMP6(s, d, sa, da, ty, ...)                                                               \
	{                                                                                          \
		.kind = K_ICMP6, .smac = s, .dmac = d, .sip = sa, .dip = da, .icmp_type = ty,      \
		__VA_ARGS__                                                                        \
	}

#define FRAME6(...)                                                                                \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

/* what A sends out of the uplink, and another packet of A's, for ICMPv6 errors to quote */
static const struct frame a_udp_out = UDP6(MAC_F, MAC_F, IP6_A, WORLD6);
static const struct frame a_udp_other = UDP6(MAC_F, MAC_F, IP6_A, WORLD6, .sport = 41000);

#define SHOT  TC_ACT_SHOT
#define REDIR TC_ACT_REDIRECT

static const struct v6case cases[] = {
    /* neighbour solicitations from a sandbox, answered in BPF */
    {"NS: A asks for the gateway (multicast, SLLAO): R S O + TLLA from the gateway", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .lladdr = MAC_A), REDIR, .rx = BIT(P_A),
     .na_mac = GW1_MAC, .na_router = true},
    {"NS: A asks for B's address from its own global address", EP, P_A,
     NS(MAC_A, SNM_MAC, IP6_A, SNM_3, IP6_B, .lladdr = MAC_A), REDIR, .rx = BIT(P_A),
     .na_mac = MAC_B},
    {"NS: A asks for B's link-local address (EUI-64 -> FDB)", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_LLB, LL_B, .lladdr = MAC_A), REDIR, .rx = BIT(P_A),
     .na_mac = MAC_B},
    {"NS: A asks for the gateway's link-local address: R set", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, LL_GW1, .lladdr = MAC_A), REDIR, .rx = BIT(P_A),
     .na_mac = GW1_MAC, .na_router = true},
    {"NS: without a source link-layer option is answered the same", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_3, IP6_B), REDIR, .rx = BIT(P_A), .na_mac = MAC_B},
    {"NS: unicast (NUD) to B: S only, no option (78 bytes), as Linux answers", EP, P_A,
     NS(MAC_A, MAC_B, IP6_A, IP6_B, IP6_B), REDIR, .rx = BIT(P_A), .na_mac = MAC_B},
    {"NS: C asks for D with icc off: answered (as ARP is)", EP, P_C,
     NS(MAC_C, SNM_MAC, IP6_C, SNM_3, IP6_D, .lladdr = MAC_C), REDIR, .rx = BIT(P_C),
     .na_mac = MAC_D},
    {"NS: F (network without IPv6) asks for its neighbour's link-local... nobody: nd-unknown", EP,
     P_F, NS(MAC_F, SNM_MAC, LL_F, SNM_2, LL_A), SHOT, .drop = NB_DROP_ND_UNKNOWN},
    {"DAD: A probes B's address (taken): NA to ff02::1, O + TLLA, S clear", EP, P_A,
     NS(MAC_A, SNM_MAC, UNSPEC, SNM_3, IP6_B, .nonce = true), REDIR, .rx = BIT(P_A),
     .na_mac = MAC_B},
    {"DAD: A probes the gateway's address: answered, R set", EP, P_A,
     NS(MAC_A, SNM_MAC, UNSPEC, SNM_GW, GW6_1), REDIR, .rx = BIT(P_A), .na_mac = GW1_MAC,
     .na_router = true},
    {"DAD: A probes a free address: not answered, not flooded (link-control)", EP, P_A,
     NS(MAC_A, SNM_MAC, UNSPEC, SNM_99, FREE6, .nonce = true), SHOT, .drop = NB_DROP_LINK_CONTROL},
    {"DAD: A probes its own address: not answered (link-control)", EP, P_A,
     NS(MAC_A, SNM_MAC, UNSPEC, SNM_2, IP6_A), SHOT, .drop = NB_DROP_LINK_CONTROL},
    {"DAD: A probes its own link-local address: not answered (link-control)", EP, P_A,
     NS(MAC_A, SNM_MAC, UNSPEC, SNM_2, LL_A), SHOT, .drop = NB_DROP_LINK_CONTROL},
    {"DAD: with a source link-layer option is invalid: malformed", EP, P_A,
     NS(MAC_A, SNM_MAC, UNSPEC, SNM_3, IP6_B, .lladdr = MAC_A), SHOT, .drop = NB_DROP_MALFORMED},
    {"DAD: to a unicast address is invalid: malformed", EP, P_A,
     NS(MAC_A, MAC_B, UNSPEC, IP6_B, IP6_B), SHOT, .drop = NB_DROP_MALFORMED},
    {"NS: for an address nobody holds: nd-unknown", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_99, FREE6), SHOT, .drop = NB_DROP_ND_UNKNOWN},
    {"NS: for C's address (another network): nd-unknown", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_2, IP6_C), SHOT, .drop = NB_DROP_ND_UNKNOWN},
    {"NS: for C's link-local address (another network): nd-unknown", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_2, LL_C), SHOT, .drop = NB_DROP_ND_UNKNOWN},
    {"NS: for A's own address: link-control", EP, P_A, NS(MAC_A, SNM_MAC, LL_A, SNM_2, IP6_A), SHOT,
     .drop = NB_DROP_LINK_CONTROL},
    {"NS: source link-layer option of B: spoof-nd", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .lladdr = MAC_B), SHOT, .drop = NB_DROP_SPOOF_ND},
    {"NS: bad checksum: malformed, not answered", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .bad_csum = true), SHOT, .drop = NB_DROP_MALFORMED},
    {"NS: hop limit 64: malformed, not answered", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .hlim = 64), SHOT, .drop = NB_DROP_MALFORMED},
    {"NS: an option of length 0: malformed", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .opt_len0 = true), SHOT, .drop = NB_DROP_MALFORMED},
    {"NS: in a fragment (RFC 6980): malformed", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .frag = true), SHOT, .drop = NB_DROP_MALFORMED},
    {"NS: behind a destination-options header is answered", EP, P_A,
     NS(MAC_A, SNM_MAC, LL_A, SNM_GW, GW6_1, .ext = 1), REDIR, .rx = BIT(P_A), .na_mac = GW1_MAC,
     .na_router = true},
    {"NS: from B's address: spoof-ip6", EP, P_A, NS(MAC_A, SNM_MAC, IP6_B, SNM_GW, GW6_1), SHOT,
     .drop = NB_DROP_SPOOF_IP6},

    /* neighbour advertisements from a sandbox */
    {"NA: A for its own address, unicast to B, TLLA its MAC: switched", EP, P_A,
     NA(MAC_A, MAC_B, IP6_A, IP6_B, IP6_A, .lladdr = MAC_A, .na_flags = 0x60), REDIR,
     .rx = BIT(P_B)},
    {"NA: A for its link-local address, unicast to B: switched", EP, P_A,
     NA(MAC_A, MAC_B, LL_A, LL_B, LL_A, .na_flags = 0x40), REDIR, .rx = BIT(P_B)},
    {"NA: A for B's address: spoof-nd", EP, P_A,
     NA(MAC_A, MAC_B, IP6_A, IP6_B, IP6_B, .lladdr = MAC_A, .na_flags = 0x60), SHOT,
     .drop = NB_DROP_SPOOF_ND},
    {"NA: A for the gateway's address: spoof-nd", EP, P_A,
     NA(MAC_A, ALL_NODES_MAC, LL_A, ALL_NODES, GW6_1, .lladdr = MAC_A, .na_flags = 0xa0), SHOT,
     .drop = NB_DROP_SPOOF_ND},
    {"NA: A for its address with B's MAC as target link-layer option: spoof-nd", EP, P_A,
     NA(MAC_A, MAC_B, IP6_A, IP6_B, IP6_A, .lladdr = MAC_B, .na_flags = 0x60), SHOT,
     .drop = NB_DROP_SPOOF_ND},
    {"NA: A unsolicited to all-nodes: nobody needs it (link-control)", EP, P_A,
     NA(MAC_A, ALL_NODES_MAC, LL_A, ALL_NODES, IP6_A, .lladdr = MAC_A, .na_flags = 0x20), SHOT,
     .drop = NB_DROP_LINK_CONTROL},

    /* router messages, link control */
    {"RA: A to all-nodes: router-msg", EP, P_A, ICMP6(MAC_A, ALL_NODES_MAC, LL_A, ALL_NODES, 134),
     SHOT, .drop = NB_DROP_ROUTER_MSG},
    {"RA: A behind two destination-options headers: router-msg", EP, P_A,
     ICMP6(MAC_A, ALL_NODES_MAC, LL_A, ALL_NODES, 134, .ext = 2), SHOT, .drop = NB_DROP_ROUTER_MSG},
    {"RA: A unicast to the gateway (the host): router-msg", EP, P_A,
     ICMP6(MAC_A, GW1_MAC, LL_A, LL_GW1, 134), SHOT, .drop = NB_DROP_ROUTER_MSG},
    {"RA: A in a first fragment: router-msg", EP, P_A,
     ICMP6(MAC_A, ALL_NODES_MAC, LL_A, ALL_NODES, 134, .frag = true), SHOT,
     .drop = NB_DROP_ROUTER_MSG},
    {"RA: from :: (also spoofed): router-msg", EP, P_A,
     ICMP6(MAC_A, ALL_NODES_MAC, UNSPEC, ALL_NODES, 134), SHOT, .drop = NB_DROP_ROUTER_MSG},
    {"redirect: A to B: router-msg", EP, P_A, ICMP6(MAC_A, MAC_B, LL_A, LL_B, 137), SHOT,
     .drop = NB_DROP_ROUTER_MSG},
    {"RS: A to all-routers: link-control", EP, P_A,
     ICMP6(MAC_A, ALL_ROUTERS_MAC, LL_A, ALL_ROUTERS, 133), SHOT, .drop = NB_DROP_LINK_CONTROL},
    {"MLDv2 report from :: (before DAD): link-control", EP, P_A,
     ICMP6(MAC_A, MLDV2_MAC, UNSPEC, MLDV2, 143), SHOT, .drop = NB_DROP_LINK_CONTROL},

    /* anti-spoofing of sources */
    {"spoof: A from B's address: spoof-ip6", EP, P_A, UDP6(MAC_A, MAC_B, IP6_B, IP6_B), SHOT,
     .drop = NB_DROP_SPOOF_IP6},
    {"spoof: A from B's link-local address: spoof-ip6", EP, P_A, UDP6(MAC_A, MAC_B, LL_B, LL_B),
     SHOT, .drop = NB_DROP_SPOOF_IP6},
    {"spoof: A from a non-EUI-64 link-local address: spoof-ip6", EP, P_A,
     UDP6(MAC_A, MAC_B, BAD_LL, LL_B), SHOT, .drop = NB_DROP_SPOOF_IP6},
    {"spoof: A UDP from ::: spoof-ip6", EP, P_A, UDP6(MAC_A, MAC_B, UNSPEC, LL_B), SHOT,
     .drop = NB_DROP_SPOOF_IP6},
    {"spoof: N (no IPv6 address) from A's address: spoof-ip6", EP, P_N,
     UDP6(MAC_N, GW1_MAC, IP6_A, WORLD6), SHOT, .drop = NB_DROP_SPOOF_IP6},
    {"spoof: A from the gateway's address: spoof-ip6", EP, P_A, UDP6(MAC_A, MAC_B, GW6_1, IP6_B),
     SHOT, .drop = NB_DROP_SPOOF_IP6},

    /* switching and routing */
    {"unicast: A -> B by MAC", EP, P_A, UDP6(MAC_A, MAC_B, IP6_A, IP6_B), REDIR, .rx = BIT(P_B)},
    {"unicast: A -> B link-local by MAC", EP, P_A, UDP6(MAC_A, MAC_B, LL_A, LL_B), REDIR,
     .rx = BIT(P_B)},
    {"unicast: C -> D with icc off: icc", EP, P_C, UDP6(MAC_C, MAC_D, IP6_C, IP6_D), SHOT,
     .drop = NB_DROP_ICC},
    {"unicast: A -> C's MAC (another network): unknown-unicast", EP, P_A,
     UDP6(MAC_A, MAC_C, IP6_A, IP6_C), SHOT, .drop = NB_DROP_UNKNOWN_UNICAST},
    {"routed: A -> gateway address: to the host", EP, P_A, UDP6(MAC_A, GW1_MAC, IP6_A, GW6_1),
     REDIR, .rx = 0},
    {"routed: A -> the world via the gateway: to the host", EP, P_A,
     UDP6(MAC_A, GW1_MAC, IP6_A, WORLD6), REDIR, .rx = 0},
    {"routed: A -> C via the gateway: isolation", EP, P_A, UDP6(MAC_A, GW1_MAC, IP6_A, IP6_C), SHOT,
     .drop = NB_DROP_ISOLATION},
    {"routed: A -> net 2's gateway address (a host address): to the host", EP, P_A,
     UDP6(MAC_A, GW1_MAC, IP6_A, GW6_2), REDIR, .rx = 0},
    {"routed: C -> D via the gateway with icc off: icc", EP, P_C,
     UDP6(MAC_C, GW2_MAC, IP6_C, IP6_D), SHOT, .drop = NB_DROP_ICC},
    {"routed: A -> B via the gateway with icc on: to the host", EP, P_A,
     UDP6(MAC_A, GW1_MAC, IP6_A, IP6_B), REDIR, .rx = 0},
    {"routed: E (internal) -> the world: internal", EP, P_E, UDP6(MAC_E, GW3_MAC, IP6_E, WORLD6),
     SHOT, .drop = NB_DROP_INTERNAL},
    {"routed: E (internal) -> its gateway address: to the host", EP, P_E,
     UDP6(MAC_E, GW3_MAC, IP6_E, GW6_3), REDIR, .rx = 0},
    {"routed: E (internal) -> the gateway's link-local address: to the host", EP, P_E,
     UDP6(MAC_E, GW3_MAC, LL_E, LL_GW3), REDIR, .rx = 0},
    {"routed: F (network without IPv6) -> the gateway: no-ipv6", EP, P_F,
     UDP6(MAC_F, GW4_MAC, LL_F, WORLD6), SHOT, .drop = NB_DROP_NO_IPV6},
    {"multicast: A to all-nodes is flooded to B and N (and the host)", EP, P_A,
     UDP6(MAC_A, ALL_NODES_MAC, LL_A, ALL_NODES), REDIR, .rx = BIT(P_B) | BIT(P_N)},
    {"multicast: F (network without IPv6) floods to its network only: nobody else", EP, P_F,
     UDP6(MAC_F, ALL_NODES_MAC, LL_F, ALL_NODES), SHOT, .rx = 0},

    /* malformed extension-header chains and fragments */
    {"malformed: payload length beyond the frame", EP, P_A,
     UDP6(MAC_A, MAC_B, IP6_A, IP6_B, .plen_extra = 40), SHOT, .drop = NB_DROP_MALFORMED},
    {"malformed: an extension header beyond the payload", EP, P_A,
     UDP6(MAC_A, MAC_B, IP6_A, IP6_B, .ext = 1, .ext_overrun = true), SHOT,
     .drop = NB_DROP_MALFORMED},
    {"malformed: a chain of five extension headers", EP, P_A,
     UDP6(MAC_A, MAC_B, IP6_A, IP6_B, .ext = 5), SHOT, .drop = NB_DROP_MALFORMED},
    {"fragments: a first fragment (UDP) A -> B is switched", EP, P_A,
     UDP6(MAC_A, MAC_B, IP6_A, IP6_B, .frag = true), REDIR, .rx = BIT(P_B)},
    {"fragments: a later fragment A -> B is switched", EP, P_A,
     UDP6(MAC_A, MAC_B, IP6_A, IP6_B, .later_frag = true), REDIR, .rx = BIT(P_B)},
    {"fragments: a later fragment from B's address: spoof-ip6", EP, P_A,
     UDP6(MAC_A, MAC_B, IP6_B, IP6_B, .later_frag = true), SHOT, .drop = NB_DROP_SPOOF_IP6},

    /* IPv6 through an uplink: into a sandbox subnet only the replies of its own flows */
    {"uplink in: UDP from the world to A, no flow of A's: unpublished", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, IP6_A, .reply = true), SHOT, .drop = NB_DROP_UNPUBLISHED},
    {"uplink in: a TCP SYN from the world to A: unpublished", UP_IN, P_UP,
     FRAME6(.kind = K_TCP, .smac = MAC_F, .dmac = MAC_F, .sip = WORLD6, .dip = IP6_A), SHOT,
     .drop = NB_DROP_UNPUBLISHED},
    {"uplink in: an echo request from the world to A: unpublished", UP_IN, P_UP,
     ICMP6(MAC_F, MAC_F, WORLD6, IP6_A, 128), SHOT, .drop = NB_DROP_UNPUBLISHED},
    {"uplink in: to the gateway's address: the host's", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, GW6_1), TC_ACT_OK, .rx = 0},
    {"uplink in: to an address outside every network: the host's", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, STRANGER6), TC_ACT_OK, .rx = 0},
    {"uplink out: A's UDP to the world passes, recorded", UP_OUT, P_UP,
     UDP6(MAC_F, MAC_F, IP6_A, WORLD6), TC_ACT_OK, .rx = 0},
    {"uplink in: its reply enters", UP_IN, P_UP, UDP6(MAC_F, MAC_F, WORLD6, IP6_A, .reply = true),
     TC_ACT_OK, .rx = 0},
    {"uplink in: from another port of the same remote: unpublished", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, IP6_A, .reply = true, .sport = 54), SHOT,
     .drop = NB_DROP_UNPUBLISHED},
    {"uplink in: the same to B: unpublished", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, IP6_B, .reply = true), SHOT, .drop = NB_DROP_UNPUBLISHED},
    {"uplink in: a later fragment of a reply to A enters", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, IP6_A, .later_frag = true), TC_ACT_OK, .rx = 0},
    {"uplink in: a later fragment from a stranger: unpublished", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, STRANGER6, IP6_A, .later_frag = true), SHOT, .drop = NB_DROP_UNPUBLISHED},
    {"uplink in: an ICMPv6 error quoting A's UDP packet enters", UP_IN, P_UP,
     ICMP6(MAC_F, MAC_F, WORLD6, IP6_A, 1, .quote = &a_udp_out), TC_ACT_OK, .rx = 0},
    {"uplink in: an ICMPv6 error quoting another packet: unpublished", UP_IN, P_UP,
     ICMP6(MAC_F, MAC_F, WORLD6, IP6_A, 1, .quote = &a_udp_other), SHOT,
     .drop = NB_DROP_UNPUBLISHED},
    {"uplink out: A's echo request to the world passes, recorded", UP_OUT, P_UP,
     ICMP6(MAC_F, MAC_F, IP6_A, WORLD6, 128), TC_ACT_OK, .rx = 0},
    {"uplink in: its echo reply enters", UP_IN, P_UP, ICMP6(MAC_F, MAC_F, WORLD6, IP6_A, 129),
     TC_ACT_OK, .rx = 0},
    {"uplink out: A's TCP SYN to the world passes, recorded", UP_OUT, P_UP,
     FRAME6(.kind = K_TCP, .smac = MAC_F, .dmac = MAC_F, .sip = IP6_A, .dip = WORLD6), TC_ACT_OK,
     .rx = 0},
    {"uplink in: its SYN-ACK enters", UP_IN, P_UP,
     FRAME6(.kind = K_TCP, .smac = MAC_F, .dmac = MAC_F, .sip = WORLD6, .dip = IP6_A,
	    .reply = true),
     TC_ACT_OK, .rx = 0},
    {"uplink in: malformed (payload length beyond the frame) to A: malformed", UP_IN, P_UP,
     UDP6(MAC_F, MAC_F, WORLD6, IP6_A, .reply = true, .plen_extra = 40), SHOT,
     .drop = NB_DROP_MALFORMED},

    /* the host (gateway program) */
    {"gateway: host NS for A's address: answered from A's MAC, R clear", GW, P_GW1,
     NS(GW1_MAC, SNM_MAC, GW6_1, SNM_2, IP6_A, .lladdr = GW1_MAC), REDIR, .na_mac = MAC_A},
    {"gateway: host NS for A's link-local address: answered", GW, P_GW1,
     NS(GW1_MAC, SNM_MAC, LL_GW1, SNM_2, LL_A, .lladdr = GW1_MAC), REDIR, .na_mac = MAC_A},
    {"gateway: host unicast NS (NUD) for B: S only", GW, P_GW1,
     NS(GW1_MAC, MAC_B, GW6_1, IP6_B, IP6_B), REDIR, .na_mac = MAC_B},
    {"gateway: host DAD for its own address: link-control", GW, P_GW1,
     NS(GW1_MAC, SNM_MAC, UNSPEC, SNM_GW, GW6_1, .nonce = true), SHOT,
     .drop = NB_DROP_LINK_CONTROL},
    {"gateway: host NS for C (another network): nd-unknown", GW, P_GW1,
     NS(GW1_MAC, SNM_MAC, GW6_1, SNM_2, IP6_C), SHOT, .drop = NB_DROP_ND_UNKNOWN},
    {"gateway: world -> A routed by the host", GW, P_GW1, UDP6(GW1_MAC, MAC_A, WORLD6, IP6_A),
     REDIR, .rx = BIT(P_A)},
    {"gateway: C -> host -> A: isolation", GW, P_GW1, UDP6(GW1_MAC, MAC_A, IP6_C, IP6_A), SHOT,
     .drop = NB_DROP_ISOLATION},
    {"gateway: D -> host -> C with icc off: icc", GW, P_GW2, UDP6(GW2_MAC, MAC_C, IP6_D, IP6_C),
     SHOT, .drop = NB_DROP_ICC},
    {"gateway: world -> E (internal): internal", GW, P_GW3, UDP6(GW3_MAC, MAC_E, WORLD6, IP6_E),
     SHOT, .drop = NB_DROP_INTERNAL},
    {"gateway: host link-local -> E (internal): delivered", GW, P_GW3,
     UDP6(GW3_MAC, MAC_E, LL_GW3, IP6_E), REDIR, .rx = BIT(P_E)},
};

static int prog_fd(const struct t *t, enum prog p)
{
	switch (p) {
	case EP:
		return bpf_program__fd(t->ep->progs.endpoint);
	case GW:
		return bpf_program__fd(t->gw->progs.gateway);
	case UP_IN:
		return bpf_program__fd(t->up->progs.uplink_in);
	default:
		return bpf_program__fd(t->up->progs.uplink_out);
	}
}

static const char *const names[N_EP] = {"A", "B", "N", "C", "D", "E", "F"};

static bool run_case(struct t *t, const struct v6case *c)
{
	struct pkt in, want;
	struct pkt_out out;
	struct snap a, b;
	char why[128];
	bool ok = true;
	int i, err;

	build(&in, &c->f);
	if (!ASSERT_OK(take_snap(t, &a), "counters before"))
		return false;
	err = pkt_run(prog_fd(t, c->prog), t->ifindex[c->in], &in, &out);
	if (!ASSERT_OK(err, "BPF_PROG_TEST_RUN") || !ASSERT_OK(take_snap(t, &b), "counters after"))
		return false;
	ok &= ASSERT_VERDICT(out.verdict, c->verdict, "verdict");
	if (c->na_mac) {
		build_na(&want, &c->f, c->na_mac, c->na_router);
		ok &= ASSERT_EQ(out.len, want.len, "advertisement length");
		if (out.len == want.len)
			ok &= ASSERT_MEMEQ(out.frame, want.data, want.len, "advertisement");
		ok &= ASSERT_OK(pkt_csum_check6(out.frame, out.len, why, sizeof(why)),
				"advertisement checksum");
	} else if (out.verdict != TC_ACT_SHOT) {
		ok &= ASSERT_EQ(out.len, in.len, "forwarded unchanged: length");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "forwarded unchanged");
	}
	for (i = 0; i < NB_DROP_COUNT; i++) {
		__u64 want_n = c->drop == (__u32)(NB_DROP_BASE + i);
		char what[64];

		snprintf(what, sizeof(what), "drops[%s]", nb_drop_reason_name(NB_DROP_BASE + i));
		ok &= ASSERT_EQ(b.drops[i].packets - a.drops[i].packets, want_n, what);
	}
	for (i = 0; i < N_EP; i++) {
		__u64 rx = !!(c->rx & BIT(i)), tx = c->prog == EP && c->in == (enum port_id)i;
		char what[64];

		snprintf(what, sizeof(what), "%s rx_packets", names[i]);
		ok &= ASSERT_EQ(b.ep[i].rx_packets - a.ep[i].rx_packets, rx, what);
		if (rx && c->na_mac && c->prog == EP) {
			snprintf(what, sizeof(what), "%s rx_bytes (the advertisement)", names[i]);
			ok &= ASSERT_EQ(b.ep[i].rx_bytes - a.ep[i].rx_bytes, out.len, what);
		}
		snprintf(what, sizeof(what), "%s tx_packets", names[i]);
		ok &= ASSERT_EQ(b.ep[i].tx_packets - a.ep[i].tx_packets, tx, what);
		snprintf(what, sizeof(what), "%s tx_dropped", names[i]);
		ok &= ASSERT_EQ(b.ep[i].tx_dropped - a.ep[i].tx_dropped, tx && c->drop, what);
	}
	return ok;
}

/* ---- the library: v6maps.c -------------------------------------------- */

static bool nd_case(struct t *t, const __u8 *target, const __u8 *owner_mac, bool router)
{
	struct v6case c = {
	    "", EP, P_A, NS(MAC_A, SNM_MAC, LL_A, SNM_2, target), SHOT, .drop = NB_DROP_ND_UNKNOWN};

	if (owner_mac) {
		c.verdict = REDIR;
		c.drop = 0;
		c.rx = BIT(P_A);
		c.na_mac = owner_mac;
		c.na_router = router;
	}
	return run_case(t, &c);
}

static bool check_ep6(struct t *t)
{
	static const __u8 moved[16] = ULA(1, 0x33);
	struct in6_addr a6, b6, m6;
	bool ok = true;

	memcpy(&a6, IP6_A, 16);
	memcpy(&b6, IP6_B, 16);
	memcpy(&m6, moved, 16);
	ok &= ASSERT_EQ(nb_ep6_put(&t->maps, 1, t->ifindex[P_B], &a6, MAC_B), -EEXIST,
			"B may not take A's address");
	ok &= ASSERT_EQ(nb_ep6_put(&t->maps, 1, t->ifindex[P_B], &m6, MAC_A), -EINVAL,
			"another MAC than the port's");
	ok &= ASSERT_EQ(nb_ep6_put(&t->maps, 2, t->ifindex[P_B], &m6, MAC_B), -EINVAL,
			"another network than the port's");
	ok &= ASSERT_OK(nb_ep6_put(&t->maps, 1, t->ifindex[P_B], &m6, MAC_B), "B moves");
	ok &= nd_case(t, IP6_B, NULL, false);
	ok &= nd_case(t, moved, MAC_B, false);
	ok &= ASSERT_OK(nb_ep6_del(&t->maps, 1, &m6), "B loses its address");
	ok &= ASSERT_OK(nb_ep6_del(&t->maps, 1, &m6), "again: nobody holds it");
	ok &= nd_case(t, moved, NULL, false);
	ok &= nd_case(t, LL_B, MAC_B, false); /* its link-local address stays */
	ok &= ASSERT_OK(nb_ep6_put(&t->maps, 1, t->ifindex[P_B], &b6, MAC_B), "B back");
	ok &= nd_case(t, IP6_B, MAC_B, false);
	return ok;
}

static bool check_net6(struct t *t)
{
	struct nb_lpm6_key k = {.prefixlen = 128};
	struct in6_addr sub, gw, bad;
	struct nb_network net = {};
	struct nb_port port;
	__u32 owner;
	bool ok = true;

	memcpy(&sub, (const __u8[16]){0xfd, 0, 0, 1}, 16);
	memcpy(&gw, GW6_1, 16);
	ok &= ASSERT_EQ(nb_net6_fill(&net, &sub, 0, &gw), -EINVAL, "prefix length 0");
	ok &= ASSERT_EQ(nb_net6_fill(&net, &sub, 129, &gw), -EINVAL, "prefix length 129");
	ok &= ASSERT_EQ(nb_net6_fill(&net, &gw, 64, &gw), -EINVAL, "host bits set");
	memcpy(&bad, IP6_C, 16);
	ok &= ASSERT_EQ(nb_net6_fill(&net, &sub, 64, &bad), -EINVAL, "gateway outside");
	ok &= ASSERT_EQ(nb_net6_fill(&net, &sub, 64, &sub), -EINVAL, "gateway = subnet");
	ok &= ASSERT_EQ(nb_net6_set(&t->maps, 77, &sub, 64, &gw), -ENOENT, "unknown network");
	ok &= ASSERT_TRUE(net.prefixlen6 == 0 && !(net.flags & NB_NET_F_IPV6), "nothing filled");

	/* network 1 loses IPv6: the gateway's address, the subnet and the flag go */
	ok &= ASSERT_OK(nb_net6_set(&t->maps, 1, NULL, 0, NULL), "network 1 without IPv6");
	memcpy(k.addr, IP6_A, 16);
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(t->maps.subnets6, &k, &owner) && errno == ENOENT,
			  "nb_subnets6 entry gone");
	ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.ports, &t->ifindex[P_A], &port) ? -errno : 0,
			"A's port");
	ok &= ASSERT_TRUE(!(port.net_flags & NB_NET_F_IPV6), "A's port lost the flag");
	ok &= nd_case(t, GW6_1, NULL, false);
	{
		struct v6case c = {"",	 EP,
				   P_A,	 UDP6(MAC_A, GW1_MAC, IP6_A, WORLD6),
				   SHOT, .drop = NB_DROP_NO_IPV6};
		ok &= run_case(t, &c);
	}
	ok &= ASSERT_OK(nb_net6_set(&t->maps, 1, &sub, 64, &gw), "network 1 with IPv6 again");
	ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.subnets6, &k, &owner) ? -errno : 0,
			"nb_subnets6 entry back");
	ok &= ASSERT_EQ(owner, 1, "owned by network 1");
	ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.ports, &t->ifindex[P_A], &port) ? -errno : 0,
			"A's port");
	ok &= ASSERT_TRUE(port.net_flags & NB_NET_F_IPV6, "A's port has the flag again");
	ok &= nd_case(t, GW6_1, GW1_MAC, true);
	return ok;
}

/* An IPv6-only network (no IPv4 subnet) claims no IPv4 address */
static bool check_v6_only(struct t *t)
{
	struct nb_network net = {
	    .gw_ifindex = 9100, .gwport_ifindex = 9101, .gw_mac = MAC(9, 9, 9, 1)};
	struct nb_lpm_key k4 = {.prefixlen = 32, .addr = PKT_IP4(192, 0, 2, 1)};
	struct nb_lpm6_key k6 = {.prefixlen = 128, .addr = {0xfd, 0, 0, 9, [15] = 5}};
	struct in6_addr sub = {{{0xfd, 0, 0, 9}}}, gw = {{{0xfd, 0, 0, 9, [15] = 1}}};
	__u32 owner;
	bool ok = true;

	ok &= ASSERT_OK(nb_net6_fill(&net, &sub, 64, &gw), "fill");
	ok &= ASSERT_OK(nb_maps_network_put(&t->maps, 9, &net), "IPv6-only network put");
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(t->maps.subnets, &k4, &owner) && errno == ENOENT,
			  "no IPv4 subnet entry");
	ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.subnets6, &k6, &owner) ? -errno : 0,
			"its IPv6 subnet");
	ok &= ASSERT_OK(nb_maps_network_del(&t->maps, 9), "network del");
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(t->maps.subnets6, &k6, &owner) && errno == ENOENT,
			  "IPv6 subnet gone with it");
	return ok;
}

static bool check_eui64(void)
{
	struct in6_addr a;

	nb_ip6_eui64(MAC_A, &a);
	return ASSERT_MEMEQ(&a, LL_A, 16, "fe80::42:aff:fe01:2");
}

/* ---- Linux as the oracle ------------------------------------------------ */

/*
 * A Linux host in B's place: the veth end dev gets B's MAC, IPv6 (no DAD),
 * B's address, and permanent neighbour entries for A's addresses (so that
 * its answers never wait for its own resolution). Forwarding is off in the
 * test's netns: the kernel answers as a host (R clear), as B would.
 */
static int linux_as_b(int ifindex, const char *dev)
{
	struct rtnl_link *orig = NULL, *chg = NULL;
	struct rtnl_neigh *n = NULL;
	struct nl_addr *a = NULL;
	struct rtnl_addr *ra = NULL;
	struct nl_sock *sk;
	const __u8 *ip[2] = {IP6_A, LL_A};
	char path[128];
	int err, i;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE) < 0 ? -ECONNREFUSED : 0;
	chg = rtnl_link_alloc();
	a = nl_addr_build(AF_LLC, MAC_B, 6);
	if (!err && (!chg || !a))
		err = -ENOMEM;
	if (!err && rtnl_link_get_kernel(sk, ifindex, NULL, &orig) < 0)
		err = -ENODEV;
	if (!err) {
		rtnl_link_set_addr(chg, a);
		err = rtnl_link_change(sk, orig, chg, 0) < 0 ? -EIO : 0;
	}
	nl_addr_put(a);
	a = NULL;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad", dev);
	err = err ?: pkt_write_file(path, "0");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	err = err ?: pkt_write_file(path, "0");
	if (!err) {
		ra = rtnl_addr_alloc();
		a = nl_addr_build(AF_INET6, IP6_B, 16);
		if (!ra || !a)
			err = -ENOMEM;
	}
	if (!err) {
		nl_addr_set_prefixlen(a, 64);
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, a);
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
		err = rtnl_addr_add(sk, ra, 0) < 0 ? -EIO : 0;
	}
	nl_addr_put(a);
	for (i = 0; i < 2 && !err; i++) {
		struct nl_addr *dst = nl_addr_build(AF_INET6, ip[i], 16);
		struct nl_addr *ll = nl_addr_build(AF_LLC, MAC_A, 6);

		n = rtnl_neigh_alloc();
		if (!dst || !ll || !n) {
			err = -ENOMEM;
		} else {
			rtnl_neigh_set_ifindex(n, ifindex);
			rtnl_neigh_set_dst(n, dst);
			rtnl_neigh_set_lladdr(n, ll);
			rtnl_neigh_set_state(n, NUD_PERMANENT);
			err = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE) < 0 ? -EIO : 0;
		}
		nl_addr_put(dst);
		nl_addr_put(ll);
		rtnl_neigh_put(n);
	}
	rtnl_addr_put(ra);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	nl_socket_free(sk);
	return err;
}

/* Sends ns out of ifindex (to the Linux end) and waits up to 2 s for the advertisement of
 * its target coming back */
static int linux_answer(int ifindex, const struct pkt *ns, const __u8 *target, struct pkt_out *o)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IPV6), .sll_ifindex = ifindex};
	struct timeval tv = {.tv_usec = 100000};
	int fd, i, err = -ETIMEDOUT;
	ssize_t n;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IPV6));
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		goto out;
	}
	err = pkt_send(ifindex, ns->data, ns->len);
	if (err)
		goto out;
	err = -ETIMEDOUT;
	for (i = 0; i < 20; i++) {
		n = recv(fd, o->frame, sizeof(o->frame), 0);
		if (n < 0)
			continue;
		/* the kernel's own chatter (MLD, RS) and our solicitation pass by too */
		if (n >= ETH_HLEN + 64 && o->frame[ETH_HLEN + 6] == IPPROTO_ICMPV6 &&
		    o->frame[ETH_HLEN + 40] == 136 &&
		    !memcmp(o->frame + ETH_HLEN + 48, target, 16)) {
			o->len = (__u32)n;
			err = 0;
			break;
		}
	}
out:
	close(fd);
	return err;
}

/*
 * The advertisements the switch builds are the ones Linux sends: the same
 * solicitations to a Linux host holding B's MAC and address, and to the
 * endpoint program on A's port, must give the same bytes.
 */
static bool check_linux(struct t *t)
{
	static const struct frame ns[] = {
	    NS(MAC_A, SNM_MAC, LL_A, SNM_3, IP6_B, .lladdr = MAC_A),
	    NS(MAC_A, SNM_MAC, IP6_A, SNM_3, IP6_B),
	    NS(MAC_A, MAC_B, IP6_A, IP6_B, IP6_B),
	    NS(MAC_A, SNM_MAC, LL_A, SNM_LLB, LL_B, .lladdr = MAC_A),
	    NS(MAC_A, SNM_MAC, UNSPEC, SNM_3, IP6_B, .nonce = true),
	};
	static const char *const what[] = {"multicast NS with SLLAO", "multicast NS without SLLAO",
					   "unicast NS (NUD)", "NS for the link-local address",
					   "DAD (from ::, with a nonce)"};
	struct pkt_out kern, bpf;
	int ifo, ifk, err;
	bool ok = true;
	size_t i;

	if (!ASSERT_OK(pkt_env_veth("lxo", "lxk", &ifo, &ifk), "veth for the Linux host") ||
	    !ASSERT_OK(linux_as_b(ifk, "lxk"), "Linux host with B's MAC and address"))
		return false;
	usleep(200000);
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct pkt in;

		build(&in, &ns[i]);
		err = linux_answer(ifo, &in, ns[i].target, &kern);
		if (!ASSERT_OK(err, what[i])) {
			ok = false;
			continue;
		}
		err = pkt_run(prog_fd(t, EP), t->ifindex[P_A], &in, &bpf);
		ok &= ASSERT_OK(err, "BPF_PROG_TEST_RUN");
		ok &= ASSERT_EQ(bpf.len, kern.len, what[i]);
		if (bpf.len == kern.len && !ASSERT_MEMEQ(bpf.frame, kern.frame, kern.len, what[i]))
			ok = false;
	}
	return ok;
}

/* ---- published IPv6 ports: DNAT66 at the uplink ------------------------ */

static const __u8 HOST6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1};	/* the uplink's */
static const __u8 ONLINK6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 0x99}; /* a neighbour */

/* A TCP (flags) or UDP packet with valid checksums, world <-> host or sandbox */
static void build_l4(struct pkt *p, __u8 proto, const __u8 *sip, __u16 sp, const __u8 *dip,
		     __u16 dp, __u8 flags)
{
	pkt_eth(p, MAC_F, MAC_F, ETH_P_IPV6);
	pkt_ipv6(p, sip, dip, proto);
	if (proto == IPPROTO_TCP)
		pkt_tcp(p, sp, dp, 1000, flags & 0x10 ? 2000 : 0, flags);
	else
		pkt_udp(p, sp, dp);
	pkt_put(p, "netbpf-v6", 9);
	pkt_finish(p);
}

/* prog on port `on` turns in into want (byte for byte, valid checksum), verdict v */
static bool verdict6_on(struct t *t, enum prog prog, enum port_id on, const char *what,
			const struct pkt *in, const struct pkt *want, int v)
{
	struct pkt_out out;
	char why[128];
	bool ok = true;

	if (!ASSERT_OK(pkt_run(prog_fd(t, prog), t->ifindex[on], in, &out), what))
		return false;
	ok &= ASSERT_VERDICT(out.verdict, v, what);
	ok &= ASSERT_EQ(out.len, want->len, what);
	if (out.len == want->len)
		ok &= ASSERT_MEMEQ(out.frame, want->data, want->len, what);
	if (!ASSERT_OK(pkt_csum_check6(out.frame, out.len, why, sizeof(why)), what)) {
		pkt_diag("%s: %s", what, why);
		ok = false;
	}
	return ok;
}

/* ... on the uplink */
static bool dnat6_verdict(struct t *t, enum prog prog, const char *what, const struct pkt *in,
			  const struct pkt *want, int v)
{
	return verdict6_on(t, prog, P_UP, what, in, want, v);
}

/* ... and passes it */
static bool dnat6_step(struct t *t, enum prog prog, const char *what, const struct pkt *in,
		       const struct pkt *want)
{
	return dnat6_verdict(t, prog, what, in, want, TC_ACT_OK);
}

/*
 * The uplink's ingress turns in into want, as the gateway sends it to A
 * (A's MAC, the gateway's, the hop limit one less), and redirects it into A
 * (bpf_redirect_peer to A's port: TC_ACT_REDIRECT)
 */
static bool dnat6_to_a(struct t *t, const char *what, const struct pkt *in, struct pkt *want)
{
	memcpy(want->data, MAC_A, 6);
	memcpy(want->data + 6, GW1_MAC, 6);
	want->data[ETH_HLEN + 7]--;
	return dnat6_verdict(t, UP_IN, what, in, want, TC_ACT_REDIRECT);
}

/* An ICMPv6 error of type ty from sip to dip quoting (all of) packet q */
static void build_err6(struct pkt *p, __u8 ty, const __u8 *sip, const __u8 *dip,
		       const struct pkt *q)
{
	pkt_eth(p, MAC_F, MAC_F, ETH_P_IPV6);
	pkt_ipv6(p, sip, dip, IPPROTO_ICMPV6);
	pkt_icmp6(p, ty, 0);
	pkt_put(p, (const __u8[4]){0, 0, 0x05, 0x00}, 4); /* Packet Too Big: MTU 1280 */
	pkt_put(p, q->data + ETH_HLEN, q->len - ETH_HLEN);
	pkt_finish(p);
}

static int publish6(struct t *t, const __u8 *host, __u16 hport, __u8 proto, const __u8 *sb,
		    __u16 sport)
{
	struct nb_publish6_key k = {.host_port = htons(hport), .proto = proto};
	struct nb_publish6_val v = {.sb_port = htons(sport), .net_id = 1};

	if (host)
		memcpy(k.host_ip6, host, 16);
	memcpy(v.sb_ip6, sb, 16);
	v.ifindex = t->ifindex[P_A];
	return bpf_map_update_elem(t->maps.publish6, &k, &v, BPF_NOEXIST) ? -errno : 0;
}

static __u64 publish6_conns(struct t *t, const __u8 *host, __u16 hport, __u8 proto)
{
	struct nb_publish6_key k = {.host_port = htons(hport), .proto = proto};
	struct nb_publish6_val v;

	if (host)
		memcpy(k.host_ip6, host, 16);
	return bpf_map_lookup_elem(t->maps.publish6, &k, &v) ? ~0ULL : v.conns;
}

/* An ICMPv6 echo request (128) or reply (129) with identifier id */
static void build_echo6(struct pkt *p, __u8 type, const __u8 *sip, const __u8 *dip, __u16 id)
{
	pkt_eth(p, MAC_F, MAC_F, ETH_P_IPV6);
	pkt_ipv6(p, sip, dip, IPPROTO_ICMPV6);
	pkt_icmp6(p, type, 0);
	pkt_put(p, (const __u8[]){id >> 8, id & 0xff, 0, 1}, 4);
	pkt_put(p, "netbpf-echo", 11);
	pkt_finish(p);
}

/*
 * NAT66: network 2 (ULA, C and D) masquerades. C's datagram leaves from the
 * uplink's address on its own port, D's on the same port gets another one;
 * the replies reach each.
 */
/* ---- NAT events: what `netbpfctl monitor` shows of a new IPv6 flow ----------- */

struct ev6_seen {
	struct nb_event ev[8];
	int n;
};

static int on_event6(void *ctx, void *data, size_t len)
{
	struct ev6_seen *seen = ctx;

	if (len >= sizeof(struct nb_event) && seen->n < 8)
		memcpy(&seen->ev[seen->n++], data, sizeof(struct nb_event));
	return 0;
}

/* The NAT event of a flow from saddr:sport, or NULL */
static const struct nb_event *nat_ev6(const struct ev6_seen *seen, const __u8 *saddr,
				      __u16 sport)
{
	int i;

	for (i = 0; i < seen->n; i++)
		if (seen->ev[i].type == NB_EV_NAT && !memcmp(seen->ev[i].saddr6, saddr, 16) &&
		    seen->ev[i].sport == htons(sport))
			return &seen->ev[i];
	return NULL;
}

/*
 * A new DNAT66 flow (to the published TCP 8080) and a new NAT66 one (C, whose network
 * masquerades) each report one NB_EV_NAT event with both tuples; a packet of an existing
 * flow reports none. Net 2 must masquerade and TCP 8080 be published.
 */
static bool check_nat6_events(struct t *t)
{
	struct nb_monitor mon = {.types = 1U << NB_EV_NAT, .pid = getpid()};
	struct nb_monitor off = {0};
	struct ev6_seen seen = {0};
	const struct nb_event *ev;
	struct ring_buffer *rb;
	struct pkt in, want;
	__u32 zero = 0;
	bool ok = true;

	rb = ring_buffer__new(t->maps.events, on_event6, &seen, NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring buffer of nb_events"))
		return false;
	ring_buffer__consume(rb); /* whatever came before */
	seen.n = 0;
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.monitor, &zero, &mon, BPF_ANY), "monitor on");

	build_l4(&in, IPPROTO_TCP, WORLD6, 40100, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, WORLD6, 40100, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "events: a SYN to the published port", &in, &want);
	build_l4(&in, IPPROTO_TCP, WORLD6, 40100, HOST6, 8080, 0x10);
	build_l4(&want, IPPROTO_TCP, WORLD6, 40100, IP6_A, 80, 0x10);
	ok &= dnat6_to_a(t, "events: the flow's ACK (no event)", &in, &want);
	build_l4(&in, IPPROTO_UDP, IP6_C, 42000, WORLD6, 53, 0);
	build_l4(&want, IPPROTO_UDP, HOST6, 42000, WORLD6, 53, 0);
	ok &= dnat6_step(t, UP_OUT, "events: C's datagram out, masqueraded", &in, &want);
	ring_buffer__consume(rb);

	ok &= ASSERT_EQ(seen.n, 2, "two NAT events: one per new flow");
	ev = nat_ev6(&seen, WORLD6, 40100);
	if (ASSERT_TRUE(ev != NULL, "the DNAT66 flow's event")) {
		ok &= ASSERT_EQ(ev->reason, NB_CT_DNAT, "DNAT66: reason dnat");
		ok &= ASSERT_EQ(ev->eth_proto, 0x86dd, "DNAT66: IPv6");
		ok &= ASSERT_EQ(ev->proto, IPPROTO_TCP, "DNAT66: TCP");
		ok &= ASSERT_MEMEQ(ev->daddr6, HOST6, 16, "DNAT66: to the host's address");
		ok &= ASSERT_EQ(ev->dport, htons(8080), "DNAT66: to 8080");
		ok &= ASSERT_MEMEQ(ev->nat_saddr6, WORLD6, 16, "DNAT66: the client kept");
		ok &= ASSERT_EQ(ev->nat_sport, htons(40100), "DNAT66: its port kept");
		ok &= ASSERT_MEMEQ(ev->nat_daddr6, IP6_A, 16, "DNAT66: translated to A");
		ok &= ASSERT_EQ(ev->nat_dport, htons(80), "DNAT66: translated to 80");
		ok &= ASSERT_EQ(ev->net_id, 1, "DNAT66: A's network");
	} else {
		ok = false;
	}
	ev = nat_ev6(&seen, IP6_C, 42000);
	if (ASSERT_TRUE(ev != NULL, "the NAT66 flow's event")) {
		ok &= ASSERT_EQ(ev->reason, NB_CT_SNAT, "NAT66: reason snat");
		ok &= ASSERT_EQ(ev->proto, IPPROTO_UDP, "NAT66: UDP");
		ok &= ASSERT_MEMEQ(ev->daddr6, WORLD6, 16, "NAT66: to the world");
		ok &= ASSERT_MEMEQ(ev->nat_saddr6, HOST6, 16, "NAT66: from the uplink's address");
		ok &= ASSERT_EQ(ev->nat_sport, htons(42000), "NAT66: its port kept");
		ok &= ASSERT_MEMEQ(ev->nat_daddr6, WORLD6, 16, "NAT66: destination kept");
		ok &= ASSERT_EQ(ev->nat_dport, htons(53), "NAT66: to 53");
		ok &= ASSERT_EQ(ev->net_id, 2, "NAT66: C's network");
	} else {
		ok = false;
	}
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.monitor, &zero, &off, BPF_ANY), "monitor off");
	ring_buffer__free(rb);
	return ok;
}

static bool check_masq6(struct t *t)
{
	struct nb_network net;
	struct pkt in, want, q;
	struct pkt_out out;
	__u32 id = 2;
	__u16 dport;
	char cmd[160], why[128];
	bool ok = true;

	snprintf(cmd, sizeof(cmd), "ip -6 route add 2001:db8::/64 dev v6p%d", P_UP);
	if (!ASSERT_OK(system(cmd), "a route to the world") ||
	    !ASSERT_OK(bpf_map_lookup_elem(t->maps.networks, &id, &net) ? -errno : 0, "net 2"))
		return false;
	net.flags |= NB_NET_F_MASQ;
	if (!ASSERT_OK(bpf_map_update_elem(t->maps.networks, &id, &net, BPF_EXIST) ? -errno : 0,
		       "net 2 masquerades"))
		return false;
	ok &= check_nat6_events(t);
	build_l4(&in, IPPROTO_UDP, IP6_C, 41000, WORLD6, 53, 0);
	build_l4(&want, IPPROTO_UDP, HOST6, 41000, WORLD6, 53, 0);
	ok &= dnat6_step(t, UP_OUT, "NAT66: C's datagram leaves from the uplink's address", &in,
			 &want);
	build_l4(&in, IPPROTO_UDP, WORLD6, 53, HOST6, 41000, 0);
	build_l4(&want, IPPROTO_UDP, WORLD6, 53, IP6_C, 41000, 0);
	ok &= dnat6_step(t, UP_IN, "NAT66: the reply reaches C", &in, &want);
	/* a router's Packet Too Big about C's translated datagram reaches C, translated */
	build_l4(&q, IPPROTO_UDP, HOST6, 41000, WORLD6, 53, 0);
	build_err6(&in, 2, STRANGER6, HOST6, &q);
	build_l4(&q, IPPROTO_UDP, IP6_C, 41000, WORLD6, 53, 0);
	build_err6(&want, 2, STRANGER6, IP6_C, &q);
	ok &= dnat6_step(t, UP_IN, "NAT66: Packet Too Big about C's flow reaches C", &in, &want);
	/* D on the same source port: another port, the reply to it reaches D */
	build_l4(&in, IPPROTO_UDP, IP6_D, 41000, WORLD6, 53, 0);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_OUT), t->ifindex[P_UP], &in, &out), "D's datagram")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_OK, "D's datagram passes");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 8, HOST6, 16, "D: the uplink's address");
		dport = (__u16)(out.frame[ETH_HLEN + 40] << 8 | out.frame[ETH_HLEN + 41]);
		ok &= ASSERT_NEQ(dport, 41000, "D: another source port");
		ok &= ASSERT_TRUE(dport >= NB_MASQ_PORT_MIN, "D: a port of the masquerade range");
		if (!ASSERT_OK(pkt_csum_check6(out.frame, out.len, why, sizeof(why)), "D: csum"))
			pkt_diag("%s", why);
		build_l4(&in, IPPROTO_UDP, WORLD6, 53, HOST6, dport, 0);
		build_l4(&want, IPPROTO_UDP, WORLD6, 53, IP6_D, 41000, 0);
		ok &= dnat6_step(t, UP_IN, "NAT66: the reply to D's port reaches D", &in, &want);
	}
	/* C's echo request: from the uplink's address, its identifier kept; the reply to C */
	build_echo6(&in, 128, IP6_C, WORLD6, 0x1234);
	build_echo6(&want, 128, HOST6, WORLD6, 0x1234);
	ok &= dnat6_step(t, UP_OUT, "NAT66: C's echo request from the uplink's address", &in,
			 &want);
	build_echo6(&in, 129, WORLD6, HOST6, 0x1234);
	build_echo6(&want, 129, WORLD6, IP6_C, 0x1234);
	ok &= dnat6_step(t, UP_IN, "NAT66: the echo reply reaches C", &in, &want);
	/* a network of a global prefix or without masquerade: routed as it is (A, net 1) */
	build_l4(&in, IPPROTO_UDP, IP6_A, 41001, WORLD6, 53, 0);
	ok &= dnat6_step(t, UP_OUT, "no masquerade on net 1: A's source kept", &in, &in);
	net.flags &= ~NB_NET_F_MASQ;
	bpf_map_update_elem(t->maps.networks, &id, &net, BPF_EXIST);
	return ok;
}

static bool check_ct6_dnat(struct t *t);
static bool check_ct6_reply_taken(struct t *t);
static bool blind6(struct t *t, enum prog prog, const char *what, const struct pkt *in,
		   const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp, int want);
static bool check_frag6(struct t *t);
static bool check_ct6_window(struct t *t);
static bool check_hairpin6(struct t *t);
/* An allow-list entry for published IPv6 port (host or ::, hport, proto): src/len, or the list's own */
static struct nb_pub_allow6_key allow6_key(const __u8 *host, __u16 hport, __u8 proto,
					    const __u8 *src, __u32 len)
{
	struct nb_pub_allow6_key k = {.prefixlen = NB_PUB_ALLOW6_KEY_BITS + (src ? len : 0),
				      .proto = proto,
				      .host_port = htons(hport)};

	if (host)
		memcpy(k.host_ip6, host, 16);
	if (src)
		memcpy(k.saddr6, src, 16);
	return k;
}

static int allow6(struct t *t, const __u8 *host, __u16 hport, __u8 proto, const __u8 *src,
		  __u32 len)
{
	struct nb_pub_allow6_key k = allow6_key(host, hport, proto, src, len);
	__u32 v = src ? NB_PUB_ALLOW_OK : NB_PUB_ALLOW_LISTED;

	return bpf_map_update_elem(t->maps.pub_allow6, &k, &v, BPF_ANY) ? -errno : 0;
}

static int allow6_del(struct t *t, const __u8 *host, __u16 hport, __u8 proto, const __u8 *src,
		      __u32 len)
{
	struct nb_pub_allow6_key k = allow6_key(host, hport, proto, src, len);

	return bpf_map_delete_elem(t->maps.pub_allow6, &k) ? -errno : 0;
}

static __u64 not_allowed6(struct t *t)
{
	struct nb_counter c = {};

	nb_maps_drops_sum(&t->maps, NB_DROP_NOT_ALLOWED, &c);
	return c.packets;
}

/* prog on the uplink drops in as not-allowed (and counts it) */
static bool refused6_step(struct t *t, const char *what, const struct pkt *in)
{
	__u64 before = not_allowed6(t);
	struct pkt_out out;
	bool ok = true;

	if (!ASSERT_OK(pkt_run(prog_fd(t, UP_IN), t->ifindex[P_UP], in, &out), what))
		return false;
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_SHOT, what);
	ok &= ASSERT_EQ(not_allowed6(t), before + 1, what);
	return ok;
}

/*
 * Allow-lists of published IPv6 ports (nb_pub_allow6): TCP [HOST6]:8080 lists 2001:db8::4/127
 * (WORLD6, ::5, is on it; STRANGER6, ::7, is not); [::]:9090/udp has no list and follows
 * the instance's default, which `up --publish-default deny` turns to refusing.
 */
static bool check_allow6(struct t *t)
{
	const __u8 pfx[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 4};
	struct nb_config cfg = {};
	struct pkt in, want;
	__u32 zero = 0;
	bool ok = true;

	if (!ASSERT_OK(allow6(t, HOST6, 8080, IPPROTO_TCP, NULL, 0), "8080's list") ||
	    !ASSERT_OK(allow6(t, HOST6, 8080, IPPROTO_TCP, pfx, 127), "8080 allows ::4/127"))
		return false;
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40200, HOST6, 8080, 0x02);
	ok &= refused6_step(t, "allow-list: a SYN from a source not on it: not-allowed", &in);
	build_l4(&in, IPPROTO_TCP, WORLD6, 40200, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, WORLD6, 40200, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "allow-list: a SYN from a source on it: to A:80", &in, &want);
	/* a list of another port or protocol does not hold: [::]:9090/udp follows the default */
	build_l4(&in, IPPROTO_UDP, STRANGER6, 5400, HOST6, 9090, 0);
	build_l4(&want, IPPROTO_UDP, STRANGER6, 5400, IP6_A, 53, 0);
	ok &= dnat6_to_a(t, "no list, default accept: to A:53", &in, &want);
	if (!ASSERT_OK(bpf_map_lookup_elem(t->maps.config, &zero, &cfg) ? -errno : 0, "config"))
		return false;
	cfg.flags |= NB_CFG_F_PUBLISH_DENY;
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.config, &zero, &cfg, BPF_ANY) ? -errno : 0,
			"publish default deny");
	build_l4(&in, IPPROTO_UDP, STRANGER6, 5401, HOST6, 9090, 0);
	ok &= refused6_step(t, "no list, default deny: not-allowed", &in);
	/* a flow opened before stays (the check is at its creation) */
	build_l4(&in, IPPROTO_UDP, STRANGER6, 5400, HOST6, 9090, 0);
	build_l4(&want, IPPROTO_UDP, STRANGER6, 5400, IP6_A, 53, 0);
	ok &= dnat6_to_a(t, "default deny: an existing flow goes on", &in, &want);
	/* a listed source still gets in */
	build_l4(&in, IPPROTO_TCP, WORLD6, 40201, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, WORLD6, 40201, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "default deny: a listed source still gets in", &in, &want);
	cfg.flags &= ~NB_CFG_F_PUBLISH_DENY;
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.config, &zero, &cfg, BPF_ANY) ? -errno : 0,
			"publish default accept again");
	/* 8080's list goes with this case: the later ones open flows from other sources */
	ok &= ASSERT_OK(allow6_del(t, HOST6, 8080, IPPROTO_TCP, pfx, 127), "8080's prefix gone");
	ok &= ASSERT_OK(allow6_del(t, HOST6, 8080, IPPROTO_TCP, NULL, 0), "8080's list gone");
	return ok;
}

/*
 * `ip -6 addr add CIDR dev DEV nodad`, then wait for the address's local
 * route: even without duplicate address detection, addrconf inserts it from
 * its work queue after the request returns, and until then the FIB, which
 * the programs ask whether an address is the host's, does not know it (a
 * SYN sent at once went untranslated about once in 15 runs).
 */
static int addr6_add(const char *dev, const char *cidr)
{
	char cmd[200], addr[64];
	int i;

	snprintf(cmd, sizeof(cmd), "ip -6 addr add %s dev %s nodad", cidr, dev);
	if (system(cmd))
		return -1;
	snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(cidr, "/"), cidr);
	snprintf(cmd, sizeof(cmd), "ip -6 route show table local %s | grep -q .", addr);
	for (i = 0; i < 500; i++) {
		if (!system(cmd))
			return 0;
		usleep(10000);
	}
	return -1;
}

static bool check_dnat6(struct t *t)
{
	struct pkt in, want, q;
	struct pkt_out out;
	char cmd[160];
	bool ok = true;

	/* the test's netns starts with IPv6 off on new devices (pkt.c) */
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv6/conf/v6p%d/disable_ipv6", P_UP);
	if (!ASSERT_OK(pkt_write_file(cmd, "0"), "IPv6 on the uplink"))
		return false;
	snprintf(cmd, sizeof(cmd), "v6p%d", P_UP);
	if (!ASSERT_OK(addr6_add(cmd, "2001:db8:ff::1/64"), "the uplink's IPv6 address") ||
	    !ASSERT_OK(pkt_write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1"),
		       "IPv6 forwarding"))
		return false;
	if (!ASSERT_OK(publish6(t, HOST6, 8080, IPPROTO_TCP, IP6_A, 80), "publish TCP 8080") ||
	    !ASSERT_OK(publish6(t, NULL, 9090, IPPROTO_UDP, IP6_A, 53), "publish [::] UDP 9090"))
		return false;

	/* TCP: the SYN to [HOST6]:8080 goes to [A]:80, the client's address kept */
	build_l4(&in, IPPROTO_TCP, WORLD6, 40000, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, WORLD6, 40000, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "SYN to the published port: to A:80", &in, &want);
	build_l4(&in, IPPROTO_TCP, IP6_A, 80, WORLD6, 40000, 0x12);
	build_l4(&want, IPPROTO_TCP, HOST6, 8080, WORLD6, 40000, 0x12);
	ok &= dnat6_step(t, UP_OUT, "SYN-ACK from A:80: from the host's 8080", &in, &want);
	build_l4(&in, IPPROTO_TCP, WORLD6, 40000, HOST6, 8080, 0x10);
	build_l4(&want, IPPROTO_TCP, WORLD6, 40000, IP6_A, 80, 0x10);
	ok &= dnat6_to_a(t, "the client's ACK: to A:80", &in, &want);
	/* a new client's ACK opens nothing: the host's (it answers RST) */
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40001, HOST6, 8080, 0x10);
	ok &= dnat6_step(t, UP_IN, "an ACK without flow: unchanged", &in, &in);
	/* the host's own reply from 80 to the world is not the sandbox's */
	build_l4(&in, IPPROTO_TCP, HOST6, 80, WORLD6, 40000, 0x12);
	ok &= dnat6_step(t, UP_OUT, "the host's own packet out: unchanged", &in, &in);

	/* UDP on [::]:9090: any host address the FIB calls local */
	build_l4(&in, IPPROTO_UDP, STRANGER6, 5353, HOST6, 9090, 0);
	build_l4(&want, IPPROTO_UDP, STRANGER6, 5353, IP6_A, 53, 0);
	ok &= dnat6_to_a(t, "UDP to [::]:9090 on the host's address: to A:53", &in, &want);
	build_l4(&in, IPPROTO_UDP, IP6_A, 53, STRANGER6, 5353, 0);
	build_l4(&want, IPPROTO_UDP, HOST6, 9090, STRANGER6, 5353, 0);
	ok &= dnat6_step(t, UP_OUT, "its answer: from the host's 9090", &in, &want);
	/* not the host's address (a neighbour on the uplink's link): routed, not translated */
	build_l4(&in, IPPROTO_UDP, STRANGER6, 5354, ONLINK6, 9090, 0);
	ok &= dnat6_step(t, UP_IN, "UDP to another machine's 9090: unchanged", &in, &in);
	/* the published port's other protocol is not published */
	build_l4(&in, IPPROTO_UDP, STRANGER6, 5355, HOST6, 8080, 0);
	ok &= dnat6_step(t, UP_IN, "UDP to the TCP port: unchanged", &in, &in);

	/* a router's Packet Too Big about what the client was sent reaches A, translated */
	build_l4(&q, IPPROTO_TCP, HOST6, 8080, WORLD6, 40000, 0x12);
	build_err6(&in, 2, STRANGER6, HOST6, &q);
	build_l4(&q, IPPROTO_TCP, IP6_A, 80, WORLD6, 40000, 0x12);
	build_err6(&want, 2, STRANGER6, IP6_A, &q);
	ok &= dnat6_step(t, UP_IN, "Packet Too Big about the flow: to A, quote A:80", &in, &want);
	/* A's port unreachable about the client's UDP datagram leaves as the host's */
	build_l4(&q, IPPROTO_UDP, STRANGER6, 5353, IP6_A, 53, 0);
	build_err6(&in, 1, IP6_A, STRANGER6, &q);
	build_l4(&q, IPPROTO_UDP, STRANGER6, 5353, HOST6, 9090, 0);
	build_err6(&want, 1, HOST6, STRANGER6, &q);
	ok &= dnat6_step(t, UP_OUT, "A's unreachable about the flow: from the host's 9090", &in,
			 &want);
	/* an error quoting another packet of the host's: untouched */
	build_l4(&q, IPPROTO_TCP, HOST6, 8081, WORLD6, 40000, 0x12);
	build_err6(&in, 2, STRANGER6, HOST6, &q);
	ok &=
	    dnat6_step(t, UP_IN, "Packet Too Big about the host's own packet: unchanged", &in, &in);

	ok &= ASSERT_EQ(publish6_conns(t, HOST6, 8080, IPPROTO_TCP), 1, "TCP 8080 conns");
	ok &= ASSERT_EQ(publish6_conns(t, NULL, 9090, IPPROTO_UDP), 1, "UDP 9090 conns");
	ok &= check_allow6(t);

	/* A sandbox's own flow out is still only recorded (no translation) */
	build_l4(&in, IPPROTO_UDP, IP6_A, 41000, WORLD6, 123, 0);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_OUT), t->ifindex[P_UP], &in, &out), "A's own flow")) {
		ok &= ASSERT_EQ(out.len, in.len, "A's own flow: length");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "A's own flow unchanged");
	}
	ok &= check_ct6_dnat(t);
	ok &= check_ct6_reply_taken(t);
	ok &= check_frag6(t);
	ok &= check_masq6(t);
	ok &= check_ct6_window(t);
	ok &= check_hairpin6(t);
	/* a router answers solicitations otherwise (check_linux compares with a host) */
	ok &= ASSERT_OK(pkt_write_file("/proc/sys/net/ipv6/conf/all/forwarding", "0"),
			"IPv6 forwarding off again");
	return ok;
}

/* ---- TCP state of IPv6 flows in nb_ct6 --------------------------------- */

static void ct6_key(struct nb_ct6_key *k, const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, sip, 16);
	memcpy(k->daddr, dip, 16);
	k->sport = htons(sp);
	k->dport = htons(dp);
	k->proto = IPPROTO_TCP;
}

/* The state of the TCP entry under (sip, sp -> dip, dp), -1 when there is none */
static int ct6_state(struct t *t, const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp)
{
	struct nb_ct6_key k;
	struct nb_ct6_entry e;

	ct6_key(&k, sip, sp, dip, dp);
	return bpf_map_lookup_elem(t->maps.ct6, &k, &e) ? -1 : e.state;
}

/* The entry's last packet was secs seconds ago (bpf_ktime_get_ns is CLOCK_MONOTONIC) */
static int ct6_age(struct t *t, const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp,
		   unsigned int secs)
{
	struct nb_ct6_key k;
	struct nb_ct6_entry e;
	struct timespec ts;

	ct6_key(&k, sip, sp, dip, dp);
	if (bpf_map_lookup_elem(t->maps.ct6, &k, &e) || clock_gettime(CLOCK_MONOTONIC, &ts))
		return -errno;
	e.seen_ns = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec - secs * 1000000000ULL;
	return bpf_map_update_elem(t->maps.ct6, &k, &e, BPF_EXIST) ? -errno : 0;
}

/* prog on the uplink drops in */
static bool ct6_dropped(struct t *t, enum prog prog, const char *what, const struct pkt *in)
{
	struct pkt_out out;

	return ASSERT_OK(pkt_run(prog_fd(t, prog), t->ifindex[P_UP], in, &out), what) &&
	       ASSERT_VERDICT(out.verdict, TC_ACT_SHOT, what);
}

/*
 * A's own TCP flow to the world (untranslated, one entry under the reply's
 * key): NEW until the world answers, then ESTABLISHED, FIN, CLOSED; an
 * unanswered SYN and a closed flow age out after IPv4's timeouts, not the
 * established one.
 */
static bool check_ct6_routed(struct t *t)
{
	struct pkt in;
	bool ok = true;

	build_l4(&in, IPPROTO_TCP, IP6_A, 42000, WORLD6, 443, 0x02);
	ok &= dnat6_step(t, UP_OUT, "routed: A's SYN out", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42000), NB_CT_S_NEW, "routed: SYN: NEW");
	ok &= ASSERT_OK(ct6_age(t, WORLD6, 443, IP6_A, 42000, NB_CT_TCP_NEW_SECS + 1), "age");
	build_l4(&in, IPPROTO_TCP, WORLD6, 443, IP6_A, 42000, 0x12);
	ok &= ct6_dropped(t, UP_IN, "routed: a SYN-ACK after the NEW timeout is dropped", &in);
	build_l4(&in, IPPROTO_TCP, IP6_A, 42000, WORLD6, 443, 0x02);
	ok &= dnat6_step(t, UP_OUT, "routed: A's SYN again", &in, &in);
	build_l4(&in, IPPROTO_TCP, WORLD6, 443, IP6_A, 42000, 0x12);
	ok &= dnat6_step(t, UP_IN, "routed: the SYN-ACK in time passes", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42000), NB_CT_S_ESTABLISHED,
			"routed: answered: ESTABLISHED");
	build_l4(&in, IPPROTO_TCP, IP6_A, 42000, WORLD6, 443, 0x11);
	ok &= dnat6_step(t, UP_OUT, "routed: A's FIN", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42000), NB_CT_S_FIN, "routed: FIN");
	build_l4(&in, IPPROTO_TCP, WORLD6, 443, IP6_A, 42000, 0x11);
	ok &= dnat6_step(t, UP_IN, "routed: the world's FIN", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42000), NB_CT_S_CLOSED,
			"routed: FIN both ways: CLOSED");
	ok &= ASSERT_OK(ct6_age(t, WORLD6, 443, IP6_A, 42000, NB_CT_TCP_CLOSED_SECS + 1), "age");
	build_l4(&in, IPPROTO_TCP, WORLD6, 443, IP6_A, 42000, 0x10);
	ok &= ct6_dropped(t, UP_IN, "routed: an ACK after the CLOSED timeout is dropped", &in);
	/* the port reused: a new flow; a RST closes it */
	build_l4(&in, IPPROTO_TCP, IP6_A, 42000, WORLD6, 443, 0x02);
	ok &= dnat6_step(t, UP_OUT, "routed: A's SYN on the same port", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42000), NB_CT_S_NEW,
			"routed: SYN after the close: NEW");
	build_l4(&in, IPPROTO_TCP, WORLD6, 443, IP6_A, 42000, 0x14);
	ok &= dnat6_step(t, UP_IN, "routed: the world's RST", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42000), NB_CT_S_CLOSED,
			"routed: RST: CLOSED");
	/* a mid-stream segment (an entry lost) starts ESTABLISHED */
	build_l4(&in, IPPROTO_TCP, IP6_A, 42001, WORLD6, 443, 0x10);
	ok &= dnat6_step(t, UP_OUT, "routed: a mid-stream ACK out", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42001), NB_CT_S_ESTABLISHED,
			"routed: picked up mid-stream: ESTABLISHED");
	return ok;
}

/*
 * A published port's flow (two entries): both carry the state; a closed
 * flow's port reused by the client's SYN is a new flow; an unanswered SYN's
 * flow ages out after the NEW timeout.
 */
static bool check_ct6_dnat(struct t *t)
{
	struct pkt in, want;
	__u64 conns = publish6_conns(t, HOST6, 8080, IPPROTO_TCP);
	bool ok = true;

	build_l4(&in, IPPROTO_TCP, STRANGER6, 40010, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40010, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "DNAT66: SYN", &in, &want);
	ok &= ASSERT_EQ(ct6_state(t, STRANGER6, 40010, HOST6, 8080), NB_CT_S_NEW, "SYN: NEW");
	ok &= ASSERT_EQ(ct6_state(t, IP6_A, 80, STRANGER6, 40010), NB_CT_S_NEW, "reply: NEW");
	build_l4(&in, IPPROTO_TCP, IP6_A, 80, STRANGER6, 40010, 0x12);
	build_l4(&want, IPPROTO_TCP, HOST6, 8080, STRANGER6, 40010, 0x12);
	ok &= dnat6_step(t, UP_OUT, "DNAT66: SYN-ACK", &in, &want);
	ok &= ASSERT_EQ(ct6_state(t, STRANGER6, 40010, HOST6, 8080), NB_CT_S_ESTABLISHED,
			"answered: forward ESTABLISHED");
	ok &= ASSERT_EQ(ct6_state(t, IP6_A, 80, STRANGER6, 40010), NB_CT_S_ESTABLISHED,
			"answered: reply ESTABLISHED");
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40010, HOST6, 8080, 0x11);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40010, IP6_A, 80, 0x11);
	ok &= dnat6_to_a(t, "DNAT66: the client's FIN", &in, &want);
	ok &= ASSERT_EQ(ct6_state(t, IP6_A, 80, STRANGER6, 40010), NB_CT_S_FIN, "reply: FIN");
	build_l4(&in, IPPROTO_TCP, IP6_A, 80, STRANGER6, 40010, 0x11);
	build_l4(&want, IPPROTO_TCP, HOST6, 8080, STRANGER6, 40010, 0x11);
	ok &= dnat6_step(t, UP_OUT, "DNAT66: A's FIN", &in, &want);
	ok &= ASSERT_EQ(ct6_state(t, STRANGER6, 40010, HOST6, 8080), NB_CT_S_CLOSED,
			"FIN both ways: forward CLOSED");
	ok &= ASSERT_EQ(ct6_state(t, IP6_A, 80, STRANGER6, 40010), NB_CT_S_CLOSED,
			"FIN both ways: reply CLOSED");
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40010, HOST6, 8080, 0x10);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40010, IP6_A, 80, 0x10);
	ok &= dnat6_to_a(t, "DNAT66: the last ACK still translated", &in, &want);
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40010, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40010, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "DNAT66: a SYN on the closed flow's port", &in, &want);
	ok &= ASSERT_EQ(ct6_state(t, STRANGER6, 40010, HOST6, 8080), NB_CT_S_NEW,
			"the port reused: a new flow, NEW");
	ok &= ASSERT_EQ(publish6_conns(t, HOST6, 8080, IPPROTO_TCP), conns + 2, "two conns");
	ok &= ASSERT_OK(ct6_age(t, STRANGER6, 40010, HOST6, 8080, NB_CT_TCP_NEW_SECS + 1), "age");
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40010, HOST6, 8080, 0x10);
	ok &= dnat6_step(t, UP_IN, "DNAT66: an ACK after the NEW timeout: untranslated", &in, &in);
	/* hop limit 1: translated, but the host's to answer (time exceeded), not redirected */
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40011, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40011, IP6_A, 80, 0x02);
	in.data[ETH_HLEN + 7] = 1;
	want.data[ETH_HLEN + 7] = 1;
	ok &= dnat6_step(t, UP_IN, "DNAT66: hop limit 1: into the host stack", &in, &want);
	return ok;
}

/*
 * Two published ports to one sandbox port (8080 and 8081 -> A:80) share the
 * reply key for a client's address and port. A SYN to the second while the
 * first's flow from that port lives is refused (ct-invalid, as IPv4's
 * nb_ct_key_taken()), not written over it: the first flow's replies keep
 * leaving from 8080. Once that flow is closed, the port may open the other.
 */
static bool check_ct6_reply_taken(struct t *t)
{
	struct pkt in, want;
	bool ok = true;

	if (!ASSERT_OK(publish6(t, HOST6, 8081, IPPROTO_TCP, IP6_A, 80), "publish TCP 8081"))
		return false;
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40030, HOST6, 8080, 0x02);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40030, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "reply key: SYN to 8080", &in, &want);
	build_l4(&in, IPPROTO_TCP, IP6_A, 80, STRANGER6, 40030, 0x12);
	build_l4(&want, IPPROTO_TCP, HOST6, 8080, STRANGER6, 40030, 0x12);
	ok &= dnat6_step(t, UP_OUT, "reply key: SYN-ACK from 8080", &in, &want);

	build_l4(&in, IPPROTO_TCP, STRANGER6, 40030, HOST6, 8081, 0x02);
	ok &= blind6(t, UP_IN, "reply key: SYN to 8081 from the same port", &in, IP6_A, 80,
		     STRANGER6, 40030, NB_CT_S_ESTABLISHED);
	ok &= ASSERT_EQ(ct6_state(t, STRANGER6, 40030, HOST6, 8081), -1, "no flow to 8081");
	build_l4(&in, IPPROTO_TCP, IP6_A, 80, STRANGER6, 40030, 0x10);
	build_l4(&want, IPPROTO_TCP, HOST6, 8080, STRANGER6, 40030, 0x10);
	ok &= dnat6_step(t, UP_OUT, "reply key: A's next segment still from 8080", &in, &want);

	/* closed: the client's port may open a flow to 8081 */
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40030, HOST6, 8080, 0x14);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40030, IP6_A, 80, 0x14);
	ok &= dnat6_to_a(t, "reply key: the client's RST", &in, &want);
	build_l4(&in, IPPROTO_TCP, STRANGER6, 40030, HOST6, 8081, 0x02);
	build_l4(&want, IPPROTO_TCP, STRANGER6, 40030, IP6_A, 80, 0x02);
	ok &= dnat6_to_a(t, "reply key: after the close, SYN to 8081", &in, &want);
	build_l4(&in, IPPROTO_TCP, IP6_A, 80, STRANGER6, 40030, 0x12);
	build_l4(&want, IPPROTO_TCP, HOST6, 8081, STRANGER6, 40030, 0x12);
	ok &= dnat6_step(t, UP_OUT, "reply key: SYN-ACK now from 8081", &in, &want);
	return ok;
}

/* ---- TCP windows of IPv6 flows (ct.bpf.h's code, shared with IPv4) ------ */

/* A TCP segment with sequence number seq (window 64,240, pkt_tcp()) */
static void build_tcp6(struct pkt *p, const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp,
		       __u32 seq, __u8 flags)
{
	pkt_eth(p, MAC_F, MAC_F, ETH_P_IPV6);
	pkt_ipv6(p, sip, dip, IPPROTO_TCP);
	pkt_tcp(p, sp, dp, seq, flags & 0x10 ? 2000 : 0, flags);
	pkt_finish(p);
}

static __u64 drops6(struct t *t, enum nb_drop_reason reason)
{
	struct nb_counter c = {};

	nb_maps_drops_sum(&t->maps, reason, &c);
	return c.packets;
}

/*
 * prog on the uplink drops in as ct-invalid (counted), and the entry under
 * (sip, sp -> dip, dp) keeps state want
 */
static bool blind6(struct t *t, enum prog prog, const char *what, const struct pkt *in,
		   const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp, int want)
{
	__u64 before = drops6(t, NB_DROP_CT_INVALID);
	bool ok = ct6_dropped(t, prog, what, in);

	ok &= ASSERT_EQ(drops6(t, NB_DROP_CT_INVALID), before + 1, "ct-invalid counted");
	ok &= ASSERT_EQ(ct6_state(t, sip, sp, dip, dp), want, "state unchanged");
	return ok;
}

/*
 * As IPv4's c_ct_tcp_window (test_uplink.c): a RST or FIN whose sequence
 * number is outside the receiver's window is dropped and counted and changes
 * nothing, in the window it closes the flow: for a sandbox's own (routed)
 * flow, whose one entry keeps both directions' windows, and for a published
 * port's (two entries). Both ends start at sequence number 1000.
 */
static bool check_ct6_window(struct t *t)
{
	struct pkt in, want;
	bool ok = true;

	/* routed: A:42100 -> WORLD6:443 */
	build_tcp6(&in, IP6_A, 42100, WORLD6, 443, 1000, 0x02);
	ok &= dnat6_step(t, UP_OUT, "window, routed: A's SYN", &in, &in);
	build_tcp6(&in, WORLD6, 443, IP6_A, 42100, 1000, 0x12);
	ok &= dnat6_step(t, UP_IN, "window, routed: the SYN-ACK", &in, &in);
	build_tcp6(&in, WORLD6, 443, IP6_A, 42100, 1001 + 1000000, 0x04);
	ok &= blind6(t, UP_IN, "window, routed: a blind RST from outside", &in, WORLD6, 443, IP6_A,
		     42100, NB_CT_S_ESTABLISHED);
	build_tcp6(&in, WORLD6, 443, IP6_A, 42100, 1001 - 1000000, 0x11);
	ok &= blind6(t, UP_IN, "window, routed: a blind FIN from outside", &in, WORLD6, 443, IP6_A,
		     42100, NB_CT_S_ESTABLISHED);
	build_tcp6(&in, IP6_A, 42100, WORLD6, 443, 1001 + 3000000, 0x14);
	ok &= blind6(t, UP_OUT, "window, routed: A's RST far outside its own window", &in, WORLD6,
		     443, IP6_A, 42100, NB_CT_S_ESTABLISHED);
	build_tcp6(&in, WORLD6, 443, IP6_A, 42100, 1001, 0x10);
	ok &= dnat6_step(t, UP_IN, "window, routed: the flow goes on", &in, &in);
	build_tcp6(&in, WORLD6, 443, IP6_A, 42100, 1001 + 32, 0x04);
	ok &= dnat6_step(t, UP_IN, "window, routed: an in-window RST passes", &in, &in);
	ok &= ASSERT_EQ(ct6_state(t, WORLD6, 443, IP6_A, 42100), NB_CT_S_CLOSED,
			"window, routed: closed by the in-window RST");

	/* published: STRANGER6:40300 -> [HOST6]:8080 -> [A]:80 */
	build_tcp6(&in, STRANGER6, 40300, HOST6, 8080, 1000, 0x02);
	build_tcp6(&want, STRANGER6, 40300, IP6_A, 80, 1000, 0x02);
	ok &= dnat6_to_a(t, "window, published: the SYN", &in, &want);
	build_tcp6(&in, IP6_A, 80, STRANGER6, 40300, 1000, 0x12);
	build_tcp6(&want, HOST6, 8080, STRANGER6, 40300, 1000, 0x12);
	ok &= dnat6_step(t, UP_OUT, "window, published: the SYN-ACK", &in, &want);
	build_tcp6(&in, STRANGER6, 40300, HOST6, 8080, 1001 + 1000000, 0x04);
	ok &= blind6(t, UP_IN, "window, published: a blind RST from outside", &in, STRANGER6, 40300,
		     HOST6, 8080, NB_CT_S_ESTABLISHED);
	build_tcp6(&in, STRANGER6, 40300, HOST6, 8080, 1001 - 1000000, 0x11);
	ok &= blind6(t, UP_IN, "window, published: a blind FIN from outside", &in, STRANGER6, 40300,
		     HOST6, 8080, NB_CT_S_ESTABLISHED);
	build_tcp6(&in, IP6_A, 80, STRANGER6, 40300, 1001 + 3000000, 0x14);
	ok &= blind6(t, UP_OUT, "window, published: a RST from A's side outside the window", &in,
		     IP6_A, 80, STRANGER6, 40300, NB_CT_S_ESTABLISHED);
	build_tcp6(&in, STRANGER6, 40300, HOST6, 8080, 1001, 0x10);
	build_tcp6(&want, STRANGER6, 40300, IP6_A, 80, 1001, 0x10);
	ok &= dnat6_to_a(t, "window, published: the flow goes on", &in, &want);
	build_tcp6(&in, STRANGER6, 40300, HOST6, 8080, 1001 + 32, 0x04);
	build_tcp6(&want, STRANGER6, 40300, IP6_A, 80, 1001 + 32, 0x04);
	ok &= dnat6_to_a(t, "window, published: the client's in-window RST", &in, &want);
	ok &= ASSERT_EQ(ct6_state(t, IP6_A, 80, STRANGER6, 40300), NB_CT_S_CLOSED,
			"window, published: closed by the in-window RST");
	return ok;
}

/* ---- hairpin: sandboxes reaching published IPv6 ports (endpoint_nat6) --- */

/* p's Ethernet addresses */
static void macs(struct pkt *p, const __u8 *dst, const __u8 *src)
{
	memcpy(p->data, dst, 6);
	memcpy(p->data + 6, src, 6);
}

/* The entry of kind NB_CT6_K_HAIRPIN under (sip, sp -> dip, dp, proto), dir, or false */
static bool hp_entry(struct t *t, __u8 proto, const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp,
		     __u8 dir)
{
	struct nb_ct6_key k;
	struct nb_ct6_entry e;

	ct6_key(&k, sip, sp, dip, dp);
	k.proto = proto;
	return !bpf_map_lookup_elem(t->maps.ct6, &k, &e) && e.kind == NB_CT6_K_HAIRPIN &&
	       e.dir == dir;
}

/* `ct ls` (nb_nat_ct_foreach): the hairpin flow B:40500 -> [HOST6]:8080 */
static int hp_flow_cb(const struct nb_nat_flow *f, void *arg)
{
	struct nb_nat_flow *out = arg;

	if (f->orig.v6 && f->proto == IPPROTO_TCP && f->orig.sport == 40500 &&
	    !memcmp(&f->orig.saddr6, IP6_B, 16))
		*out = *f;
	return 0;
}

static bool check_hp_ct_ls(struct t *t)
{
	struct nb_nat_flow f = {};
	bool ok;

	ok = ASSERT_OK(nb_nat_ct_foreach(&t->maps, hp_flow_cb, &f), "ct ls");
	ok &= ASSERT_EQ(f.type, NB_CT_HAIRPIN, "ct ls: a hairpin flow");
	ok &= ASSERT_MEMEQ(&f.orig.daddr6, HOST6, 16, "ct ls: to HOST6");
	ok &= ASSERT_EQ(f.orig.dport, 8080, "ct ls: to 8080");
	ok &= ASSERT_MEMEQ(&f.nat.saddr6, GW6_1, 16, "ct ls: translated from the gateway");
	ok &= ASSERT_EQ(f.nat.sport, 40500, "ct ls: its port kept");
	ok &= ASSERT_MEMEQ(&f.nat.daddr6, IP6_A, 16, "ct ls: translated to A");
	ok &= ASSERT_EQ(f.nat.dport, 80, "ct ls: A's port");
	ok &= ASSERT_TRUE(f.has_reply, "ct ls: with its reply entry");
	return ok;
}

/*
 * The endpoint program of port `from` turns in (a frame to the gateway) into
 * want, as the gateway sends it into `to` (its MAC, the target network's
 * gateway MAC gw_mac, the hop limit one less), checksums valid, and
 * redirects it (endpoint_nat6, tail-called)
 */
static bool hp_step(struct t *t, enum port_id from, const char *what, const struct pkt *in,
		    struct pkt *want, enum port_id to, const __u8 *gw_mac)
{
	macs(want, eps[to].mac, gw_mac);
	want->data[ETH_HLEN + 7]--;
	return verdict6_on(t, EP, from, what, in, want, TC_ACT_REDIRECT);
}

/* A new hairpin flow reports one NB_EV_NAT event, reason hairpin, both ends translated */
static bool check_hp_event(struct t *t)
{
	struct nb_monitor mon = {.types = 1U << NB_EV_NAT, .pid = getpid()}, off = {0};
	struct ev6_seen seen = {0};
	const struct nb_event *ev;
	struct ring_buffer *rb;
	struct pkt in, want;
	__u32 zero = 0;
	bool ok = true;

	rb = ring_buffer__new(t->maps.events, on_event6, &seen, NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring buffer of nb_events"))
		return false;
	ring_buffer__consume(rb);
	seen.n = 0;
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.monitor, &zero, &mon, BPF_ANY), "monitor on");
	build_tcp6(&in, IP6_B, 40700, HOST6, 8080, 1000, 0x02);
	macs(&in, GW1_MAC, MAC_B);
	build_tcp6(&want, GW6_1, 40700, IP6_A, 80, 1000, 0x02);
	ok &= hp_step(t, P_B, "hairpin event: B's SYN", &in, &want, P_A, GW1_MAC);
	ring_buffer__consume(rb);
	ok &= ASSERT_EQ(seen.n, 1, "hairpin event: one");
	ev = nat_ev6(&seen, IP6_B, 40700);
	if (ASSERT_TRUE(ev != NULL, "hairpin event: B's flow")) {
		ok &= ASSERT_EQ(ev->reason, NB_CT_HAIRPIN, "hairpin event: reason hairpin");
		ok &= ASSERT_MEMEQ(ev->daddr6, HOST6, 16, "hairpin event: to the host's address");
		ok &= ASSERT_MEMEQ(ev->nat_saddr6, GW6_1, 16, "hairpin event: from the gateway");
		ok &= ASSERT_EQ(ev->nat_sport, htons(40700), "hairpin event: B's port kept");
		ok &= ASSERT_MEMEQ(ev->nat_daddr6, IP6_A, 16, "hairpin event: to A");
		ok &= ASSERT_EQ(ev->nat_dport, htons(80), "hairpin event: A's port");
		ok &= ASSERT_EQ(ev->ifindex, t->ifindex[P_A], "hairpin event: into A's endpoint");
	} else {
		ok = false;
	}
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.monitor, &zero, &off, BPF_ANY), "monitor off");
	ring_buffer__free(rb);
	return ok;
}

/*
 * IPv6 hairpin, as IPv4's c_hairpin* (test_uplink.c): published TCP
 * [HOST6]:8080 and UDP [::]:9090 lead to A (check_dnat6). B reaches A
 * through the host's address and gets its answers from there; A reaches its
 * own port; C on network 2 reaches A (source: network 1's gateway); the
 * gateway's address is a host address too; ICMPv6 errors of a hairpinned
 * flow are translated; a blind RST is refused; hop limit 1 is the host's.
 */
static bool check_hairpin6(struct t *t)
{
	struct pkt in, want, q;
	struct pkt_out out;
	char cmd[160];
	__u64 conns = publish6_conns(t, HOST6, 8080, IPPROTO_TCP);
	__u64 before;
	bool ok = true;

	/* the FIB is asked as from network 1's gateway port, which holds the gateway address */
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv6/conf/v6q%d/disable_ipv6", P_GW1);
	if (!ASSERT_OK(pkt_write_file(cmd, "0"), "IPv6 on network 1's gateway port"))
		return false;
	snprintf(cmd, sizeof(cmd), "v6q%d", P_GW1);
	if (!ASSERT_OK(addr6_add(cmd, "fd00:0:0:1::1/64"), "the gateway's IPv6 address"))
		return false;
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv6/conf/v6q%d/disable_ipv6", P_GW2);
	if (!ASSERT_OK(pkt_write_file(cmd, "0"), "IPv6 on network 2's gateway port"))
		return false;

	/* B -> [HOST6]:8080: to A:80 from the gateway, B's port kept */
	build_tcp6(&in, IP6_B, 40500, HOST6, 8080, 1000, 0x02);
	macs(&in, GW1_MAC, MAC_B);
	build_tcp6(&want, GW6_1, 40500, IP6_A, 80, 1000, 0x02);
	ok &= hp_step(t, P_B, "hairpin: B's SYN to [HOST6]:8080 reaches A:80 from the gateway", &in,
		      &want, P_A, GW1_MAC);
	ok &= ASSERT_TRUE(hp_entry(t, IPPROTO_TCP, IP6_B, 40500, HOST6, 8080, NB_CT_DIR_ORIG),
			  "hairpin: the forward entry");
	ok &= ASSERT_TRUE(hp_entry(t, IPPROTO_TCP, IP6_A, 80, GW6_1, 40500, NB_CT_DIR_REPLY),
			  "hairpin: the reply entry");
	ok &= ASSERT_EQ(publish6_conns(t, HOST6, 8080, IPPROTO_TCP), conns + 1, "conns + 1");
	/* A's answer to the gateway comes back to B from [HOST6]:8080 */
	build_tcp6(&in, IP6_A, 80, GW6_1, 40500, 1000, 0x12);
	macs(&in, GW1_MAC, MAC_A);
	build_tcp6(&want, HOST6, 8080, IP6_B, 40500, 1000, 0x12);
	ok &= hp_step(t, P_A, "hairpin: A's SYN-ACK reaches B from [HOST6]:8080", &in, &want, P_B,
		      GW1_MAC);
	build_tcp6(&in, IP6_B, 40500, HOST6, 8080, 1001, 0x10);
	macs(&in, GW1_MAC, MAC_B);
	build_tcp6(&want, GW6_1, 40500, IP6_A, 80, 1001, 0x10);
	ok &= hp_step(t, P_B, "hairpin: B's ACK", &in, &want, P_A, GW1_MAC);
	ok &= ASSERT_EQ(ct6_state(t, IP6_B, 40500, HOST6, 8080), NB_CT_S_ESTABLISHED,
			"hairpin: ESTABLISHED");
	ok &= check_hp_ct_ls(t);
	/* a RST "from A" far outside its window is refused and changes nothing */
	before = drops6(t, NB_DROP_CT_INVALID);
	build_tcp6(&in, IP6_A, 80, GW6_1, 40500, 1001 + 3000000, 0x14);
	macs(&in, GW1_MAC, MAC_A);
	if (ASSERT_OK(pkt_run(prog_fd(t, EP), t->ifindex[P_A], &in, &out), "hairpin: blind RST"))
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_SHOT, "hairpin: a blind RST is dropped");
	ok &= ASSERT_EQ(drops6(t, NB_DROP_CT_INVALID), before + 1, "hairpin: ct-invalid counted");
	ok &= ASSERT_EQ(ct6_state(t, IP6_B, 40500, HOST6, 8080), NB_CT_S_ESTABLISHED,
			"hairpin: state unchanged");

	/* A reaches its own published port */
	build_tcp6(&in, IP6_A, 40600, HOST6, 8080, 1000, 0x02);
	macs(&in, GW1_MAC, MAC_A);
	build_tcp6(&want, GW6_1, 40600, IP6_A, 80, 1000, 0x02);
	ok &= hp_step(t, P_A, "hairpin: A's SYN to its own port comes back from the gateway", &in,
		      &want, P_A, GW1_MAC);
	build_tcp6(&in, IP6_A, 80, GW6_1, 40600, 1000, 0x12);
	macs(&in, GW1_MAC, MAC_A);
	build_tcp6(&want, HOST6, 8080, IP6_A, 40600, 1000, 0x12);
	ok &=
	    hp_step(t, P_A, "hairpin: and its answer from [HOST6]:8080", &in, &want, P_A, GW1_MAC);

	/* C (network 2) -> [HOST6]:9090/udp: to A:53, from network 1's gateway */
	build_l4(&in, IPPROTO_UDP, IP6_C, 5500, HOST6, 9090, 0);
	macs(&in, GW2_MAC, MAC_C);
	build_l4(&want, IPPROTO_UDP, GW6_1, 5500, IP6_A, 53, 0);
	ok &= hp_step(t, P_C, "hairpin: C (another network) reaches A:53 from network 1's gateway",
		      &in, &want, P_A, GW1_MAC);
	build_l4(&in, IPPROTO_UDP, IP6_A, 53, GW6_1, 5500, 0);
	macs(&in, GW1_MAC, MAC_A);
	build_l4(&want, IPPROTO_UDP, HOST6, 9090, IP6_C, 5500, 0);
	ok &= hp_step(t, P_A, "hairpin: A's answer reaches C from [HOST6]:9090", &in, &want, P_C,
		      GW2_MAC);
	/* A's port unreachable about C's next datagram reaches C, about [HOST6]:9090 */
	build_l4(&q, IPPROTO_UDP, GW6_1, 5500, IP6_A, 53, 0);
	build_err6(&in, 1, IP6_A, GW6_1, &q);
	macs(&in, GW1_MAC, MAC_A);
	build_l4(&q, IPPROTO_UDP, IP6_C, 5500, HOST6, 9090, 0);
	build_err6(&want, 1, HOST6, IP6_C, &q);
	ok &= hp_step(t, P_A, "hairpin: A's unreachable reaches C, quoting C -> [HOST6]:9090", &in,
		      &want, P_C, GW2_MAC);

	/* the gateway's own address is the host's: B -> [GW6_1]:9090 (the [::] publish) */
	build_l4(&in, IPPROTO_UDP, IP6_B, 5600, GW6_1, 9090, 0);
	macs(&in, GW1_MAC, MAC_B);
	build_l4(&want, IPPROTO_UDP, GW6_1, 5600, IP6_A, 53, 0);
	ok &=
	    hp_step(t, P_B, "hairpin: B -> [gateway]:9090 reaches A:53", &in, &want, P_A, GW1_MAC);
	build_l4(&in, IPPROTO_UDP, IP6_A, 53, GW6_1, 5600, 0);
	macs(&in, GW1_MAC, MAC_A);
	build_l4(&want, IPPROTO_UDP, GW6_1, 9090, IP6_B, 5600, 0);
	ok &= hp_step(t, P_A, "hairpin: the answer comes from [gateway]:9090", &in, &want, P_B,
		      GW1_MAC);

	/* B's port unreachable about that answer reaches A, about [A]:53 */
	build_l4(&q, IPPROTO_UDP, GW6_1, 9090, IP6_B, 5600, 0);
	build_err6(&in, 1, IP6_B, GW6_1, &q);
	macs(&in, GW1_MAC, MAC_B);
	build_l4(&q, IPPROTO_UDP, IP6_A, 53, GW6_1, 5600, 0);
	build_err6(&want, 1, GW6_1, IP6_A, &q);
	ok &= hp_step(t, P_B, "hairpin: B's unreachable reaches A, quoting [A]:53 -> gateway", &in,
		      &want, P_A, GW1_MAC);
	/* A's answer to the host's own connection (no hairpin flow) is the switch's */
	build_tcp6(&in, IP6_A, 80, GW6_1, 41000, 1000, 0x12);
	macs(&in, GW1_MAC, MAC_A);
	if (ASSERT_OK(pkt_run(prog_fd(t, EP), t->ifindex[P_A], &in, &out), "host's reply")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "hairpin: the host's: redirect");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "hairpin: the host's: unchanged");
	}
	/* as IPv4's, a sandbox of an internal network is not hairpinned: E -> [its gateway]:9090 */
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv6/conf/v6q%d/disable_ipv6", P_GW3);
	ok &= ASSERT_OK(pkt_write_file(cmd, "0"), "IPv6 on network 3's gateway port");
	snprintf(cmd, sizeof(cmd), "v6q%d", P_GW3);
	ok &= ASSERT_OK(addr6_add(cmd, "fd00:0:0:3::1/64"), "network 3's gateway address");
	build_l4(&in, IPPROTO_UDP, IP6_E, 5800, GW6_3, 9090, 0);
	macs(&in, GW3_MAC, MAC_E);
	if (ASSERT_OK(pkt_run(prog_fd(t, EP), t->ifindex[P_E], &in, &out), "internal")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "hairpin: internal: redirect");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "hairpin: internal: unchanged");
	}
	ok &= check_hp_event(t);

	/* not published, or hop limit 1: to the gateway port untouched, the host's */
	build_l4(&in, IPPROTO_UDP, IP6_B, 5700, HOST6, 9091, 0);
	macs(&in, GW1_MAC, MAC_B);
	if (ASSERT_OK(pkt_run(prog_fd(t, EP), t->ifindex[P_B], &in, &out), "unpublished")) {
		ok &=
		    ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "hairpin: unpublished: redirect");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "hairpin: unpublished: unchanged");
	}
	build_tcp6(&in, IP6_B, 40501, HOST6, 8080, 1000, 0x02);
	macs(&in, GW1_MAC, MAC_B);
	in.data[ETH_HLEN + 7] = 1;
	if (ASSERT_OK(pkt_run(prog_fd(t, EP), t->ifindex[P_B], &in, &out), "hop limit 1")) {
		ok &=
		    ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "hairpin: hop limit 1: redirect");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "hairpin: hop limit 1: unchanged");
	}
	ok &= ASSERT_TRUE(!hp_entry(t, IPPROTO_TCP, IP6_B, 40501, HOST6, 8080, NB_CT_DIR_ORIG),
			  "hairpin: hop limit 1 opens no flow");
	return ok;
}

/* A fragment of a UDP datagram from sip:sp to dip:dp, fragment id id */
static void build_frag6x(struct pkt *p, const __u8 *sip, __u16 sp, const __u8 *dip, __u16 dp,
			 __u32 id, bool first)
{
	/* offset 0 with more fragments, or 16 (the UDP header and 8 bytes) the last */
	const __u8 off_m = first ? 0x01 : 0x10;
	const __u8 fh[8] = {IPPROTO_UDP, 0, 0, off_m, id >> 24, id >> 16, id >> 8, id};
	const __u8 udp[8] = {sp >> 8, sp & 0xff, dp >> 8, dp & 0xff, 0, 24, 0x12, 0x34};

	pkt_eth(p, MAC_F, MAC_F, ETH_P_IPV6);
	pkt_ipv6(p, sip, dip, 44);
	pkt_put(p, fh, 8);
	if (first)
		pkt_put(p, udp, 8);
	pkt_put(p, "fragment", 8);
	pkt_finish(p);
}

/* ... from STRANGER6:5360 to [HOST6]:9090 */
static void build_frag6(struct pkt *p, __u32 id, bool first)
{
	build_frag6x(p, STRANGER6, 5360, HOST6, 9090, id, first);
}

/*
 * IPv6 fragments of a published port's datagram: the first one translated
 * and its ports recorded (nb_frags6), the later one (no UDP header) gets
 * the sandbox's address and goes into it too; another datagram's later
 * fragment is the host's.
 */
static bool check_frag6(struct t *t)
{
	struct pkt in;
	struct pkt_out out;
	bool ok = true;

	build_frag6(&in, 0xabcdef, true);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_IN), t->ifindex[P_UP], &in, &out), "first fragment")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "first fragment: into A");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 24, IP6_A, 16, "first: A's address");
		ok &= ASSERT_EQ(out.frame[ETH_HLEN + 50] << 8 | out.frame[ETH_HLEN + 51], 53,
				"first fragment: A's port");
	}
	{
		struct nb_frag6_key fk = {.id = htonl(0xabcdef), .proto = IPPROTO_UDP};
		struct nb_frag_val fv;

		memcpy(fk.saddr, STRANGER6, 16);
		memcpy(fk.daddr, HOST6, 16);
		ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.frags6, &fk, &fv) ? -errno : 0,
				"first fragment: its ports recorded");
	}
	build_frag6(&in, 0xabcdef, false);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_IN), t->ifindex[P_UP], &in, &out), "later fragment")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "later fragment: into A");
		ok &= ASSERT_MEMEQ(out.frame, MAC_A, 6, "later fragment: A's MAC");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 24, IP6_A, 16, "later: A's address");
		ok &= ASSERT_EQ(out.len, in.len, "later fragment: length");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 40, in.data + ETH_HLEN + 40, 16,
				   "later fragment: the rest unchanged");
	}
	build_frag6(&in, 0xabcdee, false);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_IN), t->ifindex[P_UP], &in, &out), "unknown later")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_OK, "another datagram's later fragment");
		ok &= ASSERT_MEMEQ(out.frame, in.data, in.len, "it is unchanged");
	}
	/* A's fragmented answer leaves from the host's address, the later fragment too */
	build_frag6x(&in, IP6_A, 53, STRANGER6, 5360, 0x5151, true);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_OUT), t->ifindex[P_UP], &in, &out), "A's first")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_OK, "A's first fragment passes");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 8, HOST6, 16, "A's first: from HOST6");
		ok &= ASSERT_EQ(out.frame[ETH_HLEN + 48] << 8 | out.frame[ETH_HLEN + 49], 9090,
				"A's first fragment: from 9090");
	}
	build_frag6x(&in, IP6_A, 53, STRANGER6, 5360, 0x5151, false);
	if (ASSERT_OK(pkt_run(prog_fd(t, UP_OUT), t->ifindex[P_UP], &in, &out), "A's later")) {
		ok &= ASSERT_VERDICT(out.verdict, TC_ACT_OK, "A's later fragment passes");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 8, HOST6, 16, "A's later: from HOST6");
		ok &= ASSERT_MEMEQ(out.frame + ETH_HLEN + 40, in.data + ETH_HLEN + 40, 16,
				   "A's later fragment: the rest unchanged");
	}
	return ok;
}

/* ---- setup ------------------------------------------------------------- */

static int setup(struct t *t)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = t->env.pin_dir);
	char a[16], b[16];
	size_t i;
	int err;

	for (i = 0; i < N_PORTS; i++) {
		snprintf(a, sizeof(a), "v6p%zu", i);
		snprintf(b, sizeof(b), "v6q%zu", i);
		err = pkt_env_veth(a, b, &t->ifindex[i], &t->peer[i]);
		if (err)
			return err;
	}
	t->ep = endpoint_bpf__open_opts(&opts);
	if (!t->ep || endpoint_bpf__load(t->ep))
		return -EINVAL;
	t->gw = gateway_bpf__open_opts(&opts);
	if (!t->gw || gateway_bpf__load(t->gw))
		return -EINVAL;
	t->up = uplink_bpf__open_opts(&opts);
	if (!t->up || uplink_bpf__load(t->up))
		return -EINVAL;
	err = nb_maps_open_pinned(t->env.pin_dir, &t->maps);
	if (err)
		return err;
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		struct nb_network net = {.subnet = nets[i].subnet,
					 .prefixlen = 24,
					 .gateway = nets[i].subnet | htonl(1),
					 .gw_ifindex = t->peer[nets[i].gwport],
					 .gwport_ifindex = t->ifindex[nets[i].gwport],
					 .flags = nets[i].flags,
					 .mtu = 1500};
		struct in6_addr sub, gw;

		memcpy(net.gw_mac, nets[i].gw_mac, 6);
		if (nets[i].subnet6) {
			memcpy(&sub, nets[i].subnet6, 16);
			memcpy(&gw, nets[i].gw6, 16);
			err = nb_net6_fill(&net, &sub, 64, &gw);
			if (err)
				return err;
		}
		err = nb_maps_network_put(&t->maps, nets[i].id, &net);
		if (err)
			return err;
	}
	for (i = 0; i < N_EP; i++) {
		struct nb_port port = {.net_id = eps[i].net_id, .kind = NB_PORT_ENDPOINT};
		struct in6_addr ip6;

		port.ip = htonl(0x0a000000 | eps[i].net_id << 16 | (__u32)(i + 2));
		memcpy(port.mac, eps[i].mac, 6);
		if (eps[i].ip6) {
			memcpy(&ip6, eps[i].ip6, 16);
			err = nb_port6_fill(&port, &ip6);
			if (err)
				return err;
		}
		err = nb_maps_endpoint_put(&t->maps, t->ifindex[i], &port);
		if (err)
			return err;
	}
	return 0;
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
	struct t t = {};
	size_t i;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	nb_maps_init(&t.maps);
	if (pkt_env_enter(&t.env))
		return 1;
	err = setup(&t);
	if (!pkt_tap(!err, "setup: four networks, seven endpoints, IPv6 through user/lib")) {
		pkt_diag("setup: %s", strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		pkt_tap(run_case(&t, &cases[i]), "%s", cases[i].name);
	pkt_tap(check_dnat6(&t), "DNAT66: published IPv6 ports at the uplink, both ways, "
				 "checksums");
	pkt_tap(check_ct6_routed(&t), "nb_ct6: a sandbox's TCP flow NEW, ESTABLISHED, FIN, CLOSED; "
				      "IPv4's timeouts");
	pkt_tap(check_linux(&t), "NA: byte for byte what Linux answers to the same solicitations");
	pkt_tap(check_eui64(), "library: nb_ip6_eui64() gives the sandbox's link-local address");
	pkt_tap(check_ep6(&t), "library: nb_ep6_put/del move and remove an endpoint's address");
	pkt_tap(check_net6(&t), "library: nb_net6_fill refuses bad input; nb_net6_set off and on");
	pkt_tap(check_v6_only(&t), "library: an IPv6-only network has no IPv4 subnet entry");
cleanup:
	nb_maps_close(&t.maps);
	uplink_bpf__destroy(t.up);
	gateway_bpf__destroy(t.gw);
	endpoint_bpf__destroy(t.ep);
	pkt_env_leave(&t.env);
	return pkt_tap_done() ? 1 : 0;
}
