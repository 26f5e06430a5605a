// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet tests of overlay networks (issue 17): the endpoint program's
 * encapsulation decision, ARP for remote endpoints, and the "tunnel" program
 * behind a real collect-metadata VXLAN device, with the maps written through
 * user/lib/overlay.c and the device made by nb_overlay_dev_ensure(), as `up`
 * makes it.
 *
 * BPF_PROG_TEST_RUN runs the endpoint program but cannot show the tunnel key
 * it set (only through the monitor's trace event, which reads it back: checked
 * too), nor give the tunnel program a key (no __sk_buff field carries one).
 * So the tunnel is tested with live frames in the private netns: a frame a
 * sandbox sends into its port really goes through nbvx0, and the VXLAN packet
 * that leaves the underlay veth is read back and checked field by field (VNI,
 * outer addresses, TTL, UDP port, the inner frame); VXLAN packets written to
 * the underlay veth are decapsulated by the kernel and met by "tunnel", whose
 * decisions show in the counters (the delivering redirect_peer cannot finish
 * here, the sandbox sides share the netns: the endpoint's rx counter, counted
 * before it, says the frame was delivered to it).
 *
 *   net 1 overlay VNI 100, icc   A 10.1.0.2 (local)   R1 10.1.0.12 on host 10.99.0.2
 *                                B 10.1.0.3 (local)   R3 10.1.0.13 on host 10.99.0.3
 *   net 2 overlay VNI 200, no icc  C 10.2.0.2 (local) R2 10.2.0.12 on host 10.99.0.2
 *   net 3 local (bridge)           L 10.3.0.2
 *
 *   ul0 10.99.0.1/24 (the underlay) --- ul1 (the other hosts: where the test reads and
 *                                            writes VXLAN packets); 10.99.0.2/.3 are
 *                                            permanent neighbours of ul0
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include "dataplane.h"
#include "hooks.h"
#include "log.h"
#include "maps.h"
#include "nl.h"
#include "overlay.h"

#define MAC(a, b, c, d)                                                                            \
	{                                                                                          \
		0x02, 0x42, a, b, c, d                                                             \
	}

enum ep_id { E_A, E_B, E_C, E_L, N_EP };

struct ep_def {
	__u32 net_id;
	__be32 ip;
	__u8 mac[ETH_ALEN];
	const char *dev, *sb_dev;
};

static const struct ep_def eps[N_EP] = {
    [E_A] = {1, PKT_IP4(10, 1, 0, 2), MAC(10, 1, 0, 2), "nbeA", "sbA"},
    [E_B] = {1, PKT_IP4(10, 1, 0, 3), MAC(10, 1, 0, 3), "nbeB", "sbB"},
    [E_C] = {2, PKT_IP4(10, 2, 0, 2), MAC(10, 2, 0, 2), "nbeC", "sbC"},
    [E_L] = {3, PKT_IP4(10, 3, 0, 2), MAC(10, 3, 0, 2), "nbeL", "sbL"},
};

struct net_def {
	__u32 id, vni, flags;
	__be32 subnet, gateway;
	__u8 gw_mac[ETH_ALEN];
	const char *gw_dev, *gwport_dev;
};

static const struct net_def nets[] = {
    {1, 100, NB_NET_F_ICC | NB_NET_F_OVERLAY, PKT_IP4(10, 1, 0, 0), PKT_IP4(10, 1, 0, 1),
     MAC(10, 1, 0, 1), "nbg1", "nbp1"},
    {2, 200, NB_NET_F_OVERLAY, PKT_IP4(10, 2, 0, 0), PKT_IP4(10, 2, 0, 1), MAC(10, 2, 0, 1), "nbg2",
     "nbp2"},
    {3, 0, NB_NET_F_ICC, PKT_IP4(10, 3, 0, 0), PKT_IP4(10, 3, 0, 1), MAC(10, 3, 0, 1), "nbg3",
     "nbp3"},
};
#define N_NETS (sizeof(nets) / sizeof(nets[0]))

#define HOST_ME PKT_IP4(10, 99, 0, 1)
#define HOST_2	PKT_IP4(10, 99, 0, 2)
#define HOST_3	PKT_IP4(10, 99, 0, 3)

static const struct nb_remote_ep R1 = {1, 100, MAC(10, 1, 0, 12), PKT_IP4(10, 1, 0, 12), HOST_2};
static const struct nb_remote_ep R3 = {1, 100, MAC(10, 1, 0, 13), PKT_IP4(10, 1, 0, 13), HOST_3};
static const struct nb_remote_ep R2 = {2, 200, MAC(10, 2, 0, 12), PKT_IP4(10, 2, 0, 12), HOST_2};

static const __u8 BCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const __u8 ZERO_MAC[ETH_ALEN];
static const __u8 STRANGER[ETH_ALEN] = MAC(0xde, 0xad, 0xbe, 0xef);
static const __u8 NEIGH_MAC[ETH_ALEN] = {0x02, 0x99, 0, 0, 0, 2}; /* 10.99.0.2/.3 at ul1 */

struct ov {
	struct pkt_env env;
	struct nb_instance inst;
	struct nb_maps maps;
	struct nb_nl *nl;
	int ep_fd;
	int ifindex[N_EP], sb_ifindex[N_EP];
	int ul0, ul1, vx;
	__u8 ul0_mac[ETH_ALEN];
};

/* ---- frames ------------------------------------------------------------- */

static void udp_frame(struct pkt *p, const __u8 *dmac, const __u8 *smac, __be32 sip, __be32 dip)
{
	pkt_eth(p, dmac, smac, ETH_P_IP);
	pkt_ipv4(p, sip, dip, IPPROTO_UDP);
	pkt_udp(p, 40000, 5001);
	pkt_put(p, NULL, 64);
	pkt_finish(p);
}

/* The VXLAN packet another host would send: outer Ethernet/IPv4/UDP 4789/VXLAN around inner */
static void vxlan_frame(struct pkt *p, const struct ov *o, __be32 from, __u32 vni,
			const struct pkt *inner)
{
	const __u8 vx[8] = {0x08, 0, 0, 0, (__u8)(vni >> 16), (__u8)(vni >> 8), (__u8)vni, 0};

	pkt_eth(p, o->ul0_mac, NEIGH_MAC, ETH_P_IP);
	pkt_ipv4(p, from, HOST_ME, IPPROTO_UDP);
	pkt_udp(p, 50000, NB_VXLAN_PORT);
	pkt_put(p, vx, sizeof(vx));
	pkt_put(p, inner->data, inner->len);
	p->udp_csum_zero = true;
	pkt_finish(p);
}

/* ---- counters ------------------------------------------------------------ */

struct snap {
	struct nb_ep_stats ep[N_EP];
	__u64 drops[NB_DROP_COUNT];
};

static void snap_take(struct ov *o, struct snap *s)
{
	struct nb_counter c;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < N_EP; i++)
		nb_maps_ep_stats_sum(&o->maps, o->ifindex[i], &s->ep[i]);
	for (i = 0; i < NB_DROP_COUNT; i++)
		if (!nb_maps_drops_sum(&o->maps, NB_DROP_BASE + i, &c))
			s->drops[i] = c.packets;
}

/* What a case expects to change: one drop reason (0: none) and rx/tx of endpoints */
struct delta {
	int drop;	   /* NB_DROP_*, 0: no drop */
	int rx_ep, tx_ep;  /* endpoint that received / sent, -1: none */
	int rx_dropped_ep; /* endpoint a drop was charged to as receiver, -1: none */
};

static bool snap_expect(const struct snap *a, const struct snap *b, const struct delta *d,
			bool quiet)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < NB_DROP_COUNT; i++) {
		__u64 want = a->drops[i] + (d->drop && (size_t)(d->drop - NB_DROP_BASE) == i);

		if (b->drops[i] != want) {
			if (!quiet)
				pkt_diag("drop %s: %llu, want %llu",
					 nb_drop_reason_name(NB_DROP_BASE + i),
					 (unsigned long long)b->drops[i], (unsigned long long)want);
			ok = false;
		}
	}
	for (i = 0; i < N_EP; i++) {
		__u64 rx = a->ep[i].rx_packets + ((int)i == d->rx_ep);
		__u64 tx = a->ep[i].tx_packets + ((int)i == d->tx_ep);
		__u64 rxd = a->ep[i].rx_dropped + ((int)i == d->rx_dropped_ep);

		if (b->ep[i].rx_packets != rx || b->ep[i].tx_packets != tx ||
		    b->ep[i].rx_dropped != rxd) {
			if (!quiet)
				pkt_diag("%s: rx %llu tx %llu rx_dropped %llu, want %llu %llu %llu",
					 eps[i].dev, (unsigned long long)b->ep[i].rx_packets,
					 (unsigned long long)b->ep[i].tx_packets,
					 (unsigned long long)b->ep[i].rx_dropped,
					 (unsigned long long)rx, (unsigned long long)tx,
					 (unsigned long long)rxd);
			ok = false;
		}
	}
	return ok;
}

/* Waits (up to 2 s) for the counters to move as d says: a live frame is handled in softirq */
static bool wait_expect(struct ov *o, const struct snap *before, const struct delta *d)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	struct snap now;
	int i;

	for (i = 0; i < 200; i++) {
		snap_take(o, &now);
		if (snap_expect(before, &now, d, true))
			break;
		nanosleep(&ts, NULL);
	}
	/* and nothing more arrives after it */
	nanosleep(&ts, NULL);
	snap_take(o, &now);
	return snap_expect(before, &now, d, false);
}

/* ---- BPF_PROG_TEST_RUN cases on the endpoint program --------------------- */

struct ep_case {
	const char *name;
	enum ep_id from;
	const __u8 *dmac;
	__be32 dip;
	bool arp;
	int verdict;
	struct delta d;
	const __u8 *arp_answer; /* the MAC an ARP reply must name */
};

static bool run_ep_case(struct ov *o, const struct ep_case *c)
{
	const struct ep_def *e = &eps[c->from];
	struct pkt in;
	struct pkt_out out;
	struct snap a, b;
	bool ok = true;

	if (c->arp) {
		pkt_eth(&in, BCAST, e->mac, ETH_P_ARP);
		pkt_arp(&in, ARPOP_REQUEST, e->mac, e->ip, ZERO_MAC, c->dip);
	} else {
		udp_frame(&in, c->dmac, e->mac, e->ip, c->dip);
	}
	snap_take(o, &a);
	if (!ASSERT_OK(pkt_run(o->ep_fd, o->ifindex[c->from], &in, &out), "test run"))
		return false;
	snap_take(o, &b);
	ok &= ASSERT_VERDICT(out.verdict, c->verdict, "verdict");
	ok &= snap_expect(&a, &b, &c->d, false);
	if (c->arp_answer && ok) {
		struct pkt want;

		pkt_eth(&want, e->mac, c->arp_answer, ETH_P_ARP);
		pkt_arp(&want, ARPOP_REPLY, c->arp_answer, c->dip, e->mac, e->ip);
		ok &= ASSERT_EQ(out.len, want.len, "ARP reply length") &&
		      ASSERT_MEMEQ(out.frame, want.data, want.len, "ARP reply");
	} else if (out.verdict == TC_ACT_REDIRECT) {
		/* encapsulation adds no byte here: the VXLAN device builds the outer headers */
		ok &= ASSERT_EQ(out.len, in.len, "length") &&
		      ASSERT_MEMEQ(out.frame, in.data, in.len, "frame unchanged");
	}
	return ok;
}

#define NO_EP -1
static const struct ep_case ep_cases[] = {
    {"encap: A to remote R1 (same overlay network) is redirected, unchanged",
     E_A,
     R1.mac,
     PKT_IP4(10, 1, 0, 12),
     false,
     TC_ACT_REDIRECT,
     {0, NO_EP, E_A, NO_EP},
     NULL},
    {"encap: A to R2's MAC (another overlay network's remote) is unknown unicast",
     E_A,
     R2.mac,
     PKT_IP4(10, 2, 0, 12),
     false,
     TC_ACT_SHOT,
     {NB_DROP_UNKNOWN_UNICAST, NO_EP, E_A, NO_EP},
     NULL},
    {"encap: L on a local network to R1's MAC is unknown unicast (no tunnel off overlays)",
     E_L,
     R1.mac,
     PKT_IP4(10, 1, 0, 12),
     false,
     TC_ACT_SHOT,
     {NB_DROP_UNKNOWN_UNICAST, NO_EP, E_L, NO_EP},
     NULL},
    {"encap: C to remote R2 on a network without icc is dropped (icc)",
     E_C,
     R2.mac,
     PKT_IP4(10, 2, 0, 12),
     false,
     TC_ACT_SHOT,
     {NB_DROP_ICC, NO_EP, E_C, NO_EP},
     NULL},
    {"encap: A to a MAC nobody has is unknown unicast",
     E_A,
     STRANGER,
     PKT_IP4(10, 1, 0, 99),
     false,
     TC_ACT_SHOT,
     {NB_DROP_UNKNOWN_UNICAST, NO_EP, E_A, NO_EP},
     NULL},
    {"arp: A asking for R1's address is answered locally with R1's MAC",
     E_A,
     NULL,
     PKT_IP4(10, 1, 0, 12),
     true,
     TC_ACT_REDIRECT,
     {0, E_A, E_A, NO_EP},
     R1.mac},
    {"arp: A asking for R3's address (another host) is answered with R3's MAC",
     E_A,
     NULL,
     PKT_IP4(10, 1, 0, 13),
     true,
     TC_ACT_REDIRECT,
     {0, E_A, E_A, NO_EP},
     R3.mac},
    {"arp: A asking for R2's address (another overlay network) is not answered",
     E_A,
     NULL,
     PKT_IP4(10, 2, 0, 12),
     true,
     TC_ACT_SHOT,
     {NB_DROP_ARP_UNKNOWN, NO_EP, E_A, NO_EP},
     NULL},
    {"arp: L (local network) asking for R1's address is not answered",
     E_L,
     NULL,
     PKT_IP4(10, 1, 0, 12),
     true,
     TC_ACT_SHOT,
     {NB_DROP_ARP_UNKNOWN, NO_EP, E_L, NO_EP},
     NULL},
};

/* Without the VXLAN device (nb_tunnel cleared, as `down` does first) a remote endpoint is
 * unreachable, and says why */
static bool check_no_tunnel(struct ov *o)
{
	static const struct ep_case c = {"",
					 E_A,
					 R1.mac,
					 PKT_IP4(10, 1, 0, 12),
					 false,
					 TC_ACT_SHOT,
					 {NB_DROP_NO_TUNNEL, NO_EP, E_A, NO_EP},
					 NULL};
	struct nb_tunnel t = {0}, saved;
	__u32 zero = 0;
	bool ok;

	if (!ASSERT_OK(bpf_map_lookup_elem(o->maps.tunnel, &zero, &saved), "read nb_tunnel"))
		return false;
	ok = ASSERT_EQ(saved.ifindex, (__u32)o->vx, "nb_tunnel names nbvx0");
	ok &= ASSERT_OK(bpf_map_update_elem(o->maps.tunnel, &zero, &t, BPF_ANY), "clear nb_tunnel");
	ok &= run_ep_case(o, &c);
	ok &= ASSERT_OK(bpf_map_update_elem(o->maps.tunnel, &zero, &saved, BPF_ANY),
			"restore nb_tunnel");
	return ok;
}

/* ---- live: encapsulation -------------------------------------------------- */

static int capture_open(int ifindex)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The next VXLAN packet (UDP to port 4789) fd sees within 2 s: its length, 0 when none */
static __u32 capture_vxlan(int fd, __u8 *buf, __u32 size)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	while (poll(&pfd, 1, 2000) == 1) {
		n = recv(fd, buf, size, 0);
		if (n < 14 + 20 + 8 + 8)
			continue;
		if (buf[12] == 0x08 && buf[13] == 0x00 && buf[14 + 9] == IPPROTO_UDP &&
		    buf[14 + 20 + 2] == (NB_VXLAN_PORT >> 8) &&
		    buf[14 + 20 + 3] == (NB_VXLAN_PORT & 0xff))
			return (__u32)n;
	}
	return 0;
}

/* A frame A sends to R3 leaves the underlay as VXLAN: VNI 100 to 10.99.0.3, TTL 64 */
static bool check_live_encap(struct ov *o, const struct nb_remote_ep *r, enum ep_id from)
{
	const struct ep_def *e = &eps[from];
	static __u8 buf[4096];
	struct snap a;
	struct delta d = {0, NO_EP, from, NO_EP};
	struct iphdr *ip;
	struct udphdr *udp;
	struct pkt in;
	__u32 n, vni;
	bool ok = true;
	int fd;

	udp_frame(&in, r->mac, e->mac, e->ip, r->ip);
	fd = capture_open(o->ul1);
	if (!ASSERT_TRUE(fd >= 0, "capture socket on ul1"))
		return false;
	snap_take(o, &a);
	/* out of the sandbox side: the frame meets "endpoint" on the port's ingress */
	if (!ASSERT_OK(pkt_send(o->sb_ifindex[from], in.data, in.len), "send from the sandbox"))
		goto out;
	n = capture_vxlan(fd, buf, sizeof(buf));
	if (!ASSERT_TRUE(n > 0, "a VXLAN packet left the underlay")) {
		ok = false;
		goto out;
	}
	ip = (struct iphdr *)(buf + 14);
	udp = (struct udphdr *)(buf + 14 + 20);
	vni = (__u32)buf[14 + 28 + 4] << 16 | (__u32)buf[14 + 28 + 5] << 8 | buf[14 + 28 + 6];
	ok &= ASSERT_MEMEQ(buf, NEIGH_MAC, ETH_ALEN, "outer destination MAC: the next hop");
	ok &= ASSERT_EQ(ip->daddr, r->host, "outer destination: the remote endpoint's host");
	ok &= ASSERT_EQ(ip->saddr, HOST_ME, "outer source: this host's underlay address");
	ok &= ASSERT_EQ(ip->ttl, NB_TUNNEL_TTL, "outer TTL");
	ok &= ASSERT_EQ(ntohs(udp->dest), NB_VXLAN_PORT, "UDP destination port");
	ok &= ASSERT_EQ(udp->check, 0, "outer UDP checksum left zero");
	ok &= ASSERT_EQ(buf[14 + 28], 0x08, "VXLAN flags: VNI valid");
	ok &= ASSERT_EQ(vni, r->vni, "VNI");
	ok &= ASSERT_EQ(n, 14 + 20 + 8 + 8 + in.len, "outer length = inner + 50");
	if (ok)
		ok &= ASSERT_MEMEQ(buf + 50, in.data, in.len, "inner frame as the sandbox sent it");
	ok &= wait_expect(o, &a, &d);
out:
	close(fd);
	return ok;
}

/* ---- live: decapsulation -------------------------------------------------- */

struct tn_case {
	const char *name;
	__be32 from; /* outer source */
	__u32 vni;
	const __u8 *dmac, *smac;
	__be32 sip, dip;
	bool arp;
	struct delta d;
};

static const struct tn_case tn_cases[] = {
    {"decap: R1 to A (VNI 100 from R1's host) is delivered to A",
     HOST_2,
     100,
     eps[E_A].mac,
     R1.mac,
     R1.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {0, E_A, NO_EP, NO_EP}},
    {"decap: R3 to B from R3's host is delivered to B",
     HOST_3,
     100,
     eps[E_B].mac,
     R3.mac,
     R3.ip,
     PKT_IP4(10, 1, 0, 3),
     false,
     {0, E_B, NO_EP, NO_EP}},
    {"decap: a VNI no local network has is dropped (tunnel-vni)",
     HOST_2,
     999,
     eps[E_A].mac,
     R1.mac,
     R1.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {NB_DROP_TUNNEL_VNI, NO_EP, NO_EP, NO_EP}},
    {"decap: an inner MAC no local endpoint has is dropped (tunnel-mac)",
     HOST_2,
     100,
     STRANGER,
     R1.mac,
     R1.ip,
     PKT_IP4(10, 1, 0, 99),
     false,
     {NB_DROP_TUNNEL_MAC, NO_EP, NO_EP, NO_EP}},
    {"decap: inner broadcast never crosses hosts (tunnel-mac)",
     HOST_2,
     100,
     BCAST,
     R1.mac,
     R1.ip,
     PKT_IP4(10, 1, 0, 255),
     false,
     {NB_DROP_TUNNEL_MAC, NO_EP, NO_EP, NO_EP}},
    {"decap: for this host's gateway MAC is dropped (tunnel-mac: anycast gateway)",
     HOST_2,
     100,
     nets[0].gw_mac,
     R1.mac,
     R1.ip,
     PKT_IP4(198, 18, 0, 1),
     false,
     {NB_DROP_TUNNEL_MAC, NO_EP, NO_EP, NO_EP}},
    {"decap: a local endpoint's MAC on another VNI is not reached (tunnel-mac)",
     HOST_2,
     200,
     eps[E_A].mac,
     R2.mac,
     R2.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {NB_DROP_TUNNEL_MAC, NO_EP, NO_EP, NO_EP}},
    {"decap: an unknown inner source MAC is spoofing (tunnel-spoof)",
     HOST_2,
     100,
     eps[E_A].mac,
     STRANGER,
     R1.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {NB_DROP_TUNNEL_SPOOF, NO_EP, NO_EP, E_A}},
    {"decap: R1's MAC sent from R3's host is spoofing (tunnel-spoof)",
     HOST_3,
     100,
     eps[E_A].mac,
     R1.mac,
     R1.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {NB_DROP_TUNNEL_SPOOF, NO_EP, NO_EP, E_A}},
    {"decap: R1's MAC with R3's address is spoofing (tunnel-spoof)",
     HOST_2,
     100,
     eps[E_A].mac,
     R1.mac,
     R3.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {NB_DROP_TUNNEL_SPOOF, NO_EP, NO_EP, E_A}},
    {"decap: R2 (VNI 200's) claiming VNI 100 is spoofing (tunnel-spoof)",
     HOST_2,
     100,
     eps[E_A].mac,
     R2.mac,
     R2.ip,
     PKT_IP4(10, 1, 0, 2),
     false,
     {NB_DROP_TUNNEL_SPOOF, NO_EP, NO_EP, E_A}},
    {"decap: ARP never crosses hosts (unsupported)",
     HOST_2,
     100,
     eps[E_A].mac,
     R1.mac,
     R1.ip,
     PKT_IP4(10, 1, 0, 2),
     true,
     {NB_DROP_UNSUPPORTED, NO_EP, NO_EP, E_A}},
    {"decap: R2 to C on a network without icc is dropped (icc)",
     HOST_2,
     200,
     eps[E_C].mac,
     R2.mac,
     R2.ip,
     PKT_IP4(10, 2, 0, 2),
     false,
     {NB_DROP_ICC, NO_EP, NO_EP, E_C}},
};

static bool run_tn_case(struct ov *o, const struct tn_case *c)
{
	struct pkt inner, outer;
	struct snap a;

	if (c->arp) {
		pkt_eth(&inner, c->dmac, c->smac, ETH_P_ARP);
		pkt_arp(&inner, ARPOP_REPLY, c->smac, c->sip, c->dmac, c->dip);
	} else {
		udp_frame(&inner, c->dmac, c->smac, c->sip, c->dip);
	}
	vxlan_frame(&outer, o, c->from, c->vni, &inner);
	snap_take(o, &a);
	if (!ASSERT_OK(pkt_send(o->ul1, outer.data, outer.len), "send to the underlay"))
		return false;
	return wait_expect(o, &a, &c->d);
}

/* A VXLAN packet too short to hold an inner Ethernet header: the kernel's or ours, dropped */
static bool check_tn_runt(struct ov *o)
{
	static const struct delta none = {0, NO_EP, NO_EP, NO_EP};
	struct pkt inner = {0}, outer;
	struct snap a, b;

	inner.len = 6;
	memcpy(inner.data, eps[E_A].mac, 6);
	vxlan_frame(&outer, o, HOST_2, 100, &inner);
	snap_take(o, &a);
	if (!ASSERT_OK(pkt_send(o->ul1, outer.data, outer.len), "send to the underlay"))
		return false;
	/* whoever drops it, nobody receives it */
	usleep(100 * 1000);
	snap_take(o, &b);
	b.drops[NB_DROP_MALFORMED - NB_DROP_BASE] = a.drops[NB_DROP_MALFORMED - NB_DROP_BASE];
	return snap_expect(&a, &b, &none, false);
}

/* ---- events: the tunnel in what `netbpfctl monitor` shows ------------------ */

struct ev_seen {
	struct nb_event ev[16];
	int n;
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct ev_seen *seen = ctx;

	if (len >= sizeof(struct nb_event) && seen->n < 16)
		memcpy(&seen->ev[seen->n++], data, sizeof(struct nb_event));
	return 0;
}

/* The first event of type and reason seen, or NULL */
static const struct nb_event *ev_find(const struct ev_seen *seen, __u32 type, __u32 reason)
{
	int i;

	for (i = 0; i < seen->n; i++)
		if (seen->ev[i].type == type && seen->ev[i].reason == reason)
			return &seen->ev[i];
	return NULL;
}

/*
 * The tunnel key as the programs leave it, read back through the monitor's events: the
 * endpoint program's encapsulation under BPF_PROG_TEST_RUN (the trace event reads the key
 * it set), and a drop of the tunnel program (the key nbvx0 decapsulated)
 */
static bool check_events(struct ov *o)
{
	struct nb_monitor mon = {.types = 1U << NB_EV_DROP | 1U << NB_EV_TRACE, .pid = getpid()};
	struct nb_monitor off = {0};
	struct ev_seen seen = {0};
	struct ring_buffer *rb;
	const struct nb_event *ev;
	struct pkt in, inner, outer;
	struct pkt_out out;
	__u32 zero = 0;
	bool ok = true;
	int i;

	rb = ring_buffer__new(o->maps.events, on_event, &seen, NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring buffer of nb_events"))
		return false;
	ring_buffer__consume(rb); /* whatever came before */
	seen.n = 0;
	ok &= ASSERT_OK(bpf_map_update_elem(o->maps.monitor, &zero, &mon, BPF_ANY), "monitor on");

	udp_frame(&in, R1.mac, eps[E_A].mac, eps[E_A].ip, R1.ip);
	ok &= ASSERT_OK(pkt_run(o->ep_fd, o->ifindex[E_A], &in, &out), "test run A to R1");
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "verdict");
	ring_buffer__consume(rb);
	ev = ev_find(&seen, NB_EV_TRACE, TC_ACT_REDIRECT);
	if (ASSERT_TRUE(ev != NULL, "a trace event for the encapsulated frame")) {
		ok &= ASSERT_EQ(ev->tun_vni, R1.vni, "its tunnel key: VNI 100");
		ok &= ASSERT_EQ(ev->tun_host, R1.host, "its tunnel key: R1's host 10.99.0.2");
	} else {
		ok = false;
	}

	/* R1's MAC from host 3: dropped, and the event names the host it came from */
	seen.n = 0;
	udp_frame(&inner, eps[E_A].mac, R1.mac, R1.ip, eps[E_A].ip);
	vxlan_frame(&outer, o, HOST_3, 100, &inner);
	ok &= ASSERT_OK(pkt_send(o->ul1, outer.data, outer.len), "send to the underlay");
	for (i = 0; i < 20 && !ev_find(&seen, NB_EV_DROP, NB_DROP_TUNNEL_SPOOF); i++)
		ring_buffer__poll(rb, 100);
	ev = ev_find(&seen, NB_EV_DROP, NB_DROP_TUNNEL_SPOOF);
	if (ASSERT_TRUE(ev != NULL, "a tunnel-spoof drop event")) {
		ok &= ASSERT_EQ(ev->tun_vni, 100, "decapsulated VNI");
		ok &= ASSERT_EQ(ev->tun_host, HOST_3, "outer source: host 3");
		ok &= ASSERT_EQ(ev->ifindex, (__u32)o->vx, "seen on nbvx0");
		ok &= ASSERT_EQ(ev->peer_ifindex, (__u32)o->ifindex[E_A], "charged to A");
	} else {
		ok = false;
	}
	ok &= ASSERT_OK(bpf_map_update_elem(o->maps.monitor, &zero, &off, BPF_ANY), "monitor off");
	ring_buffer__free(rb);
	return ok;
}

/* ---- the map writers ------------------------------------------------------ */

static bool check_map_writers(struct ov *o)
{
	struct nb_remote_ep moved = R1, *v = NULL, bad = R1;
	struct nb_neigh_key nk = {.net_id = 1, .ip = R1.ip};
	struct nb_neigh_val nv;
	size_t n = 0;
	bool ok = true;
	__u32 vni = 100, net_id;

	ok &= ASSERT_OK(nb_remote_ep_list(&o->maps, 1, &v, &n), "list network 1");
	ok &= ASSERT_EQ(n, 2, "network 1 has R1 and R3");
	free(v);
	ok &= ASSERT_OK(nb_remote_ep_list(&o->maps, 0, &v, &n), "list all");
	ok &= ASSERT_EQ(n, 3, "three remote endpoints");
	free(v);

	/* R1 moves to another address: the old one answers no more */
	moved.ip = PKT_IP4(10, 1, 0, 42);
	ok &= ASSERT_OK(nb_remote_ep_put(&o->maps, &moved), "R1 moves");
	ok &= ASSERT_EQ(bpf_map_lookup_elem(o->maps.remote_ip, &nk, &nv), -ENOENT,
			"old address gone");
	nk.ip = moved.ip;
	ok &= ASSERT_OK(bpf_map_lookup_elem(o->maps.remote_ip, &nk, &nv), "new address there");
	ok &= ASSERT_MEMEQ(nv.mac, R1.mac, 6, "new address names R1's MAC");
	ok &= ASSERT_OK(nb_remote_ep_put(&o->maps, &R1), "R1 back");

	bad.vni = 0;
	ok &= ASSERT_EQ(nb_remote_ep_put(&o->maps, &bad), -EINVAL, "VNI 0 refused");
	bad = R1;
	memcpy(bad.mac, BCAST, 6);
	ok &= ASSERT_EQ(nb_remote_ep_put(&o->maps, &bad), -EINVAL, "multicast MAC refused");
	ok &= ASSERT_EQ(nb_overlay_net_set(&o->maps, 1, NB_VNI_MAX + 1), -EINVAL,
			"VNI above 24 bits refused");

	/* a host gone: its endpoints go, the others' stay */
	ok &= ASSERT_EQ(nb_remote_host_clear(&o->maps, HOST_3), 1, "host 3 had one endpoint");
	ok &= ASSERT_OK(nb_remote_ep_list(&o->maps, 0, &v, &n), "list all");
	ok &= ASSERT_EQ(n, 2, "R1 and R2 remain");
	free(v);
	nk.ip = R3.ip;
	ok &= ASSERT_EQ(bpf_map_lookup_elem(o->maps.remote_ip, &nk, &nv), -ENOENT,
			"R3's address gone");
	ok &= ASSERT_OK(nb_remote_ep_put(&o->maps, &R3), "R3 back");

	/* a network gone: its VNI and its remote endpoints */
	ok &= ASSERT_OK(nb_overlay_net_clear(&o->maps, 100), "clear VNI 100");
	ok &= ASSERT_EQ(bpf_map_lookup_elem(o->maps.vni, &vni, &net_id), -ENOENT, "VNI 100 gone");
	ok &= ASSERT_OK(nb_remote_ep_list(&o->maps, 0, &v, &n), "list all");
	ok &= ASSERT_EQ(n, 1, "only R2 remains");
	free(v);
	ok &= ASSERT_OK(nb_overlay_net_clear(&o->maps, 100), "clear again: nothing to do");
	ok &= ASSERT_OK(nb_remote_ep_del(&o->maps, 1, R1.mac, 0), "del of an absent endpoint");
	/* back as the other cases need it */
	ok &= ASSERT_OK(nb_overlay_net_set(&o->maps, 1, 100), "VNI 100 back");
	ok &= ASSERT_OK(nb_remote_ep_put(&o->maps, &R1), "R1 back");
	ok &= ASSERT_OK(nb_remote_ep_put(&o->maps, &R3), "R3 back");
	return ok;
}

/* ---- setup ------------------------------------------------------------------ */

static int setup(struct ov *o)
{
	size_t i;
	int err, gw, gwport;

	o->inst.pin_dir = o->env.pin_dir;
	o->inst.state_dir = o->env.pin_dir;
	err = nb_dp_load(&o->inst);
	if (err)
		return err;
	err = nb_maps_open_pinned(o->env.pin_dir, &o->maps);
	if (err)
		return err;
	o->ep_fd = nb_dp_prog_fd(&o->inst, NB_PROG_ENDPOINT);
	if (o->ep_fd < 0)
		return o->ep_fd;
	err = nb_nl_open(&o->nl);
	if (err)
		return err;
	for (i = 0; i < N_NETS; i++) {
		struct nb_network net = {
		    .subnet = nets[i].subnet,
		    .prefixlen = 24,
		    .gateway = nets[i].gateway,
		    .flags = nets[i].flags,
		    .mtu = 1450,
		    .vni = nets[i].vni,
		};

		err = pkt_env_veth(nets[i].gwport_dev, nets[i].gw_dev, &gwport, &gw);
		if (err)
			return err;
		net.gw_ifindex = gw;
		net.gwport_ifindex = gwport;
		memcpy(net.gw_mac, nets[i].gw_mac, ETH_ALEN);
		err = nb_maps_network_put(&o->maps, nets[i].id, &net);
		if (!err && nets[i].vni)
			err = nb_overlay_net_set(&o->maps, nets[i].id, nets[i].vni);
		if (err)
			return err;
	}
	for (i = 0; i < N_EP; i++) {
		struct nb_port port = {.net_id = eps[i].net_id,
				       .kind = NB_PORT_ENDPOINT,
				       .ip = eps[i].ip,
				       .stats_slot = (__u32)i + 1};

		memcpy(port.mac, eps[i].mac, ETH_ALEN);
		err = pkt_env_veth(eps[i].dev, eps[i].sb_dev, &o->ifindex[i], &o->sb_ifindex[i]);
		if (!err)
			err = nb_maps_endpoint_put(&o->maps, o->ifindex[i], &port);
		if (!err)
			err = nb_dp_tc_attach(&o->inst, o->ifindex[i], NB_PROG_ENDPOINT, false);
		if (err)
			return err;
	}
	/* the underlay, with the other hosts as permanent neighbours: no ARP on the wire */
	err = pkt_env_veth("ul0", "ul1", &o->ul0, &o->ul1);
	if (!err)
		err = nb_nl_addr_add(o->nl, "ul0", HOST_ME, 24);
	if (!err)
		err = nb_nl_link_mac(o->nl, "ul0", o->ul0_mac);
	if (!err)
		err = pkt_neigh_add(o->ul0, HOST_2, NEIGH_MAC);
	if (!err)
		err = pkt_neigh_add(o->ul0, HOST_3, NEIGH_MAC);
	if (err)
		return err;
	/* the other ends of the underlay are no host here: ul1 only carries frames */
	pkt_write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
	pkt_write_file("/proc/sys/net/ipv4/conf/ul0/rp_filter", "0");
	err = nb_overlay_dev_ensure(&o->inst, o->nl, &o->maps, 1500);
	if (err)
		return err;
	o->vx = nb_nl_link_ifindex(o->nl, NB_VXLAN_DEV);
	if (o->vx <= 0)
		return -ENODEV;
	err = nb_remote_ep_put(&o->maps, &R1);
	if (!err)
		err = nb_remote_ep_put(&o->maps, &R3);
	if (!err)
		err = nb_remote_ep_put(&o->maps, &R2);
	return err;
}

/* The device as `up` makes it: external, port 4789, MTU underlay - 50, "tunnel" on ingress */
static bool check_device(struct ov *o)
{
	struct nb_link_info info;
	unsigned int mtu = 0;
	__u32 id = 0, want = 0;
	bool ok = true;

	ok &= ASSERT_OK(nb_nl_link_info(o->nl, NB_VXLAN_DEV, &info), "nbvx0 exists");
	ok &= ASSERT_TRUE(!strcmp(info.kind, "vxlan"), "nbvx0 is a VXLAN device");
	ok &= ASSERT_TRUE(info.up, "nbvx0 is up");
	ok &= ASSERT_OK(nb_overlay_dev_info(o->nl, NULL, &mtu), "dev_info");
	ok &= ASSERT_EQ(mtu, 1500 - NB_OVERLAY_OVERHEAD, "MTU: underlay 1500 - 50");
	ok &= ASSERT_OK(nb_dp_tc_query(o->vx, false, &id), "query its ingress");
	ok &= ASSERT_OK(nb_dp_prog_id(&o->inst, NB_PROG_TUNNEL, &want), "tunnel's id");
	ok &= ASSERT_EQ(id, want, "\"tunnel\" on nbvx0's ingress");
	ok &= ASSERT_OK(nb_overlay_dev_ensure(&o->inst, o->nl, &o->maps, 1400),
			"ensure again, the underlay's MTU now 1400");
	ok &= ASSERT_EQ(nb_nl_link_ifindex(o->nl, NB_VXLAN_DEV), o->vx, "the same device kept");
	ok &= ASSERT_OK(nb_overlay_dev_info(o->nl, NULL, &mtu), "dev_info");
	ok &= ASSERT_EQ(mtu, 1400 - NB_OVERLAY_OVERHEAD, "MTU follows the underlay");
	ok &= ASSERT_OK(nb_overlay_dev_ensure(&o->inst, o->nl, &o->maps, 1500), "and back");
	ok &= ASSERT_EQ(nb_overlay_dev_ensure(&o->inst, o->nl, &o->maps, 100), -EINVAL,
			"an underlay MTU without room for VXLAN refused");
	return ok;
}

/* nb_overlay_dev_del removes the device and the programs' way to it */
static bool check_device_del(struct ov *o)
{
	struct nb_tunnel t = {.ifindex = 1};
	__u32 zero = 0;
	bool ok = true;

	ok &= ASSERT_OK(nb_overlay_dev_del(o->nl, &o->maps), "delete nbvx0");
	ok &= ASSERT_EQ(nb_nl_link_ifindex(o->nl, NB_VXLAN_DEV), -ENODEV, "nbvx0 gone");
	ok &= ASSERT_OK(bpf_map_lookup_elem(o->maps.tunnel, &zero, &t), "read nb_tunnel");
	ok &= ASSERT_EQ(t.ifindex, 0, "nb_tunnel cleared");
	ok &= ASSERT_OK(nb_overlay_dev_del(o->nl, &o->maps), "delete again: nothing to do");
	return ok;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(void)
{
	struct ov o = {.ep_fd = -1};
	size_t i;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	nb_maps_init(&o.maps);
	err = pkt_env_enter(&o.env);
	if (err)
		return 1;
	err = setup(&o);
	if (!pkt_tap(!err, "setup: objects loaded by nb_dp_load, overlay maps and nbvx0 by "
			   "user/lib/overlay.c")) {
		pkt_diag("setup failed: %s: %s", strerror(-err), nb_error_msg());
		goto cleanup;
	}
	pkt_tap(check_device(&o), "device: nbvx0 external, MTU underlay - 50, tunnel attached");
	for (i = 0; i < sizeof(ep_cases) / sizeof(ep_cases[0]); i++)
		pkt_tap(run_ep_case(&o, &ep_cases[i]), "%s", ep_cases[i].name);
	pkt_tap(check_no_tunnel(&o), "encap: without the VXLAN device, dropped as no-tunnel");
	pkt_tap(check_live_encap(&o, &R1, E_A),
		"encap live: A to R1 leaves as VXLAN VNI 100 to 10.99.0.2, TTL 64, inner intact");
	pkt_tap(check_live_encap(&o, &R3, E_B),
		"encap live: B to R3 leaves as VXLAN VNI 100 to 10.99.0.3");
	for (i = 0; i < sizeof(tn_cases) / sizeof(tn_cases[0]); i++)
		pkt_tap(run_tn_case(&o, &tn_cases[i]), "%s", tn_cases[i].name);
	pkt_tap(check_tn_runt(&o), "decap: a runt inner frame reaches nobody");
	pkt_tap(check_events(&o), "events: the tunnel key set under test run and the one "
				  "decapsulated, as monitor shows them");
	pkt_tap(check_map_writers(&o), "maps: remote endpoints put/move/del, host and VNI clear");
	pkt_tap(check_device_del(&o), "device: nb_overlay_dev_del removes nbvx0, clears nb_tunnel");
cleanup:
	if (o.ep_fd >= 0)
		close(o.ep_fd);
	nb_nl_close(o.nl);
	nb_maps_close(&o.maps);
	pkt_env_leave(&o.env);
	return pkt_tap_done() ? 1 : 0;
}
