// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet tests of XDP mode: "xdp_sandbox" and "xdp_uplink" (bpf/xdp.bpf.c)
 * through BPF_PROG_TEST_RUN with struct xdp_md's ingress_ifindex, next to the
 * tc programs ("endpoint", "uplink_in") loaded on the same pinned maps, as
 * `netbpfctl up --mode xdp` has them (the host side of an endpoint runs tc
 * alone, docs/xdp.md). What is
 * checked: the verdict (XDP finishes a frame or passes it untouched to tc),
 * the frame byte for byte (expected frames are built from scratch, their
 * checksums computed by pkt_finish(), never incrementally, and verified
 * again by pkt_csum_check()), the counters (XDP counts what it finishes,
 * nothing of what it passes), and the conntrack shared with tc.
 *
 * Topology (a private netns; FIB and neighbours are real, since the uplink
 * program asks the kernel whether an address is local):
 *
 *     outside 198.18.0.0/24                     host netns
 *     CLI .9   SRV .50   RTR .254 ───────────── up0 198.18.0.1 (U)
 *
 *     net 1  10.1.0.0/24  gw 10.1.0.1 (nbg1 / nbp1)  icc, masquerade
 *            A .2 (nbeA)   B .3 (nbeB)     both in the nb_xdp_devs devmap
 *     net 2  10.2.0.0/24  gw 10.2.0.1 (nbg2 / nbp2)  icc off
 *            C .2 (nbeC)   D .3 (nbeD)
 *
 *     published: 0.0.0.0:8000/tcp -> A:80   0.0.0.0:8000/udp -> A:53
 *                0.0.0.0:8100/tcp -> C:100 (C not in the devmap)
 *
 * IPv6 (bpf/lib/nat6.bpf.h at XDP):
 *     outside 2001:db8:ff::/64  CLI6 ::9, OTHER6 ::7 ── up0 2001:db8:ff::1 (U6)
 *     net 1  fd00:1::/64 gw ::1 (ULA, masquerade)   A ::2
 *     net 2  fd00:2::/64 gw ::1                     C ::2
 *     published: [::]:8000/tcp -> [A]:80   [::]:8000/udp -> [A]:53
 *                [::]:8100/tcp -> [C]:100 (C not in the devmap)
 *                [::]:8200/tcp -> [A]:81, only CLI6 allowed (--allow)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>

#include "pkt.h"
#include "flow.h"
#include "maps.h"
#include "nat.h"
#include "nl.h"
#include "v6maps.h"
#include "endpoint.skel.h"
#include "uplink.skel.h"
#include "xdp.skel.h"

#define MAC(a, b, c, d)                                                                            \
	{                                                                                          \
		0x02, 0x42, a, b, c, d                                                             \
	}

#define U    PKT_IP4(198, 18, 0, 1)
#define CLI  PKT_IP4(198, 18, 0, 9)
#define SRV  PKT_IP4(198, 18, 0, 50)
#define RTR  PKT_IP4(198, 18, 0, 254)
#define IP_A PKT_IP4(10, 1, 0, 2)
#define IP_B PKT_IP4(10, 1, 0, 3)
#define IP_C PKT_IP4(10, 2, 0, 2)
#define IP_D PKT_IP4(10, 2, 0, 3)
#define GW1  PKT_IP4(10, 1, 0, 1)
#define GW2  PKT_IP4(10, 2, 0, 1)

#define NET6(n, h)                                                                                 \
	{                                                                                          \
		0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = h                                          \
	}
#define ULA(n, h)                                                                                  \
	{                                                                                          \
		0xfd, 0x00, 0x00, n, [15] = h                                                      \
	}
static const __u8 U6[16] = NET6(0, 1), CLI6[16] = NET6(0, 9), OTHER6[16] = NET6(0, 7);
static const __u8 IP6_A[16] = ULA(1, 2), IP6_C[16] = ULA(2, 2), GW6_1[16] = ULA(1, 1),
		  GW6_2[16] = ULA(2, 1), SUB6_1[16] = ULA(1, 0), SUB6_2[16] = ULA(2, 0);

static const __u8 MAC_A[ETH_ALEN] = MAC(10, 1, 0, 2);
static const __u8 MAC_B[ETH_ALEN] = MAC(10, 1, 0, 3);
static const __u8 MAC_C[ETH_ALEN] = MAC(10, 2, 0, 2);
static const __u8 MAC_D[ETH_ALEN] = MAC(10, 2, 0, 3);
static const __u8 GW1_MAC[ETH_ALEN] = MAC(10, 1, 0, 1);
static const __u8 GW2_MAC[ETH_ALEN] = MAC(10, 2, 0, 1);
static const __u8 CLI_MAC[ETH_ALEN] = {0x52, 0x54, 0, 0, 0, 0x09};
static const __u8 SRV_MAC[ETH_ALEN] = {0x52, 0x54, 0, 0, 0, 0x50};
static const __u8 RTR_MAC[ETH_ALEN] = {0x52, 0x54, 0, 0, 0, 0xfe};
static const __u8 BCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const __u8 ZERO_MAC[ETH_ALEN];

enum dev { D_UP, D_A, D_B, D_C, D_D, D_P1, D_P2, N_DEV };

static const char *const dev_name[N_DEV][2] = {
    [D_UP] = {"up0", "up0p"},  [D_A] = {"nbeA", "sbA"}, [D_B] = {"nbeB", "sbB"},
    [D_C] = {"nbeC", "sbC"},   [D_D] = {"nbeD", "sbD"}, [D_P1] = {"nbp1", "nbg1"},
    [D_P2] = {"nbp2", "nbg2"},
};

struct t {
	struct pkt_env env;
	struct uplink_bpf *up;
	struct endpoint_bpf *ep;
	struct xdp_bpf *xdp;
	struct nb_maps maps;
	int devs_fd; /* nb_xdp_devs */
	int ifx[N_DEV];
	int peer[N_DEV];
	__u8 up_mac[ETH_ALEN];
	int x_sb, x_up;	  /* XDP program fds */
	int in, out, epf; /* tc program fds */
};

/* ---- running ------------------------------------------------------------- */

static const char *xdp_verdict_name(int v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "?";
	}
}

/* BPF_PROG_TEST_RUN of an XDP program, the frame arriving on ifindex */
static int xdp_run(int prog_fd, int ifindex, const struct pkt *in, struct pkt_out *out)
{
	struct xdp_md ctx = {.data_end = in->len, .ingress_ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out->frame, .data_size_out = sizeof(out->frame), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	memset(out, 0, sizeof(*out));
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	out->verdict = (int)opts.retval;
	out->len = opts.data_size_out;
	return 0;
}

/* A run's result: verdict want, frame exp (NULL: in, untouched), checksums verified */
static bool check_out(const struct pkt_out *out, const struct pkt *in, int want,
		      const struct pkt *exp, bool xdp)
{
	const struct pkt *e = exp ? exp : in;
	bool ok;

	ok = ASSERT_EQ(out->verdict, want, "verdict");
	if (out->verdict != want)
		pkt_diag("verdict %s, expected %s",
			 xdp ? xdp_verdict_name(out->verdict) : pkt_verdict_name(out->verdict),
			 xdp ? xdp_verdict_name(want) : pkt_verdict_name(want));
	ok &= ASSERT_EQ(out->len, e->len, "frame length");
	if (out->len == e->len)
		ok &= ASSERT_MEMEQ(out->frame, e->data, e->len, "frame");
	if (exp && (exp->l3_proto_is_v4 ||
		    ((const struct ethhdr *)exp->data)->h_proto == htons(ETH_P_IPV6)))
		ok &= pkt_csum_ok(out->frame, out->len);
	return ok;
}

static bool expect(int prog, int ifindex, const struct pkt *in, int want, const struct pkt *exp)
{
	struct pkt_out out;

	if (!ASSERT_OK(xdp_run(prog, ifindex, in, &out), "BPF_PROG_TEST_RUN"))
		return false;
	return check_out(&out, in, want, exp, true);
}

/* The same for a tc program (TC_ACT_* verdicts) */
static bool expect_tc(int prog, int ifindex, const struct pkt *in, int want, const struct pkt *exp)
{
	struct pkt_out out;

	if (!ASSERT_OK(pkt_run(prog, ifindex, in, &out), "BPF_PROG_TEST_RUN (tc)"))
		return false;
	return check_out(&out, in, want, exp, false);
}

/* ---- frames -------------------------------------------------------------- */

struct fr {
	const __u8 *dmac, *smac;
	__be32 sip, dip;
	const __u8 *sip6, *dip6; /* an IPv6 packet between these instead */
	const __u8 *ext;	 /* IPv6: extension headers before the L4 header (ext_len bytes) */
	__u8 ext_type, ext_len;	 /* the first one's type (ext[0] names the next) */
	__u8 proto;		 /* IPPROTO_*: default TCP */
	__u16 sport, dport;
	__u8 flags; /* TCP; default SYN */
	__u32 seq;  /* TCP; default 1000 */
	__u8 icmp_type;
	__u8 ttl;	/* default 64; IPv6: the hop limit */
	__u16 frag_off; /* host order; default DF */
	bool csum0;	/* UDP without checksum */
	const struct pkt *quote;
};

static void mk(struct pkt *p, const struct fr *f)
{
	__u8 proto = f->proto ? f->proto : IPPROTO_TCP;
	struct iphdr *iph;

	pkt_eth(p, f->dmac, f->smac, f->sip6 ? ETH_P_IPV6 : ETH_P_IP);
	if (f->sip6) {
		pkt_ipv6(p, f->sip6, f->dip6, f->ext ? f->ext_type : proto);
		if (f->ext)
			pkt_put(p, f->ext, f->ext_len);
	} else {
		pkt_ipv4(p, f->sip, f->dip, proto);
	}
	if (proto == IPPROTO_TCP)
		pkt_tcp(p, f->sport, f->dport, f->seq ? f->seq : 1000, f->flags & TH_ACK ? 2000 : 0,
			f->flags ? f->flags : TH_SYN);
	else if (proto == IPPROTO_UDP)
		pkt_udp(p, f->sport, f->dport);
	else if (proto == IPPROTO_ICMPV6) {
		pkt_icmp6(p, f->icmp_type, 0);
		pkt_put(p, (const __u8[4]){0, 7, 0, 1}, 4); /* an echo's id and seq, or MTU */
	} else
		pkt_icmp(p, f->icmp_type, 0, 7, 1);
	if (f->quote)
		pkt_put(p, f->quote->data + f->quote->l3,
			f->sip6 ? f->quote->len - f->quote->l3 : sizeof(struct iphdr) + 8);
	else
		pkt_put(p, NULL, 32);
	p->udp_csum_zero = f->csum0;
	if (f->sip6) {
		pkt_ip6h(p)->ip6_hlim = f->ttl ? f->ttl : 64;
		pkt_finish(p);
		return;
	}
	iph = pkt_iph(p);
	iph->id = htons(0x1234);
	iph->ttl = f->ttl ? f->ttl : 64;
	iph->frag_off = htons(f->frag_off ? f->frag_off : 0x4000);
	pkt_finish(p);
}

static void mk_arp(struct pkt *p, const __u8 *dmac, const __u8 *smac, __u16 op, const __u8 *sha,
		   __be32 spa, const __u8 *tha, __be32 tpa)
{
	pkt_eth(p, dmac, smac, ETH_P_ARP);
	pkt_arp(p, op, sha, spa, tha, tpa);
	pkt_finish(p);
}

/* ---- counters ------------------------------------------------------------ */

static struct nb_ep_stats ep_stats(struct t *t, enum dev d)
{
	struct nb_ep_stats s = {};

	nb_maps_ep_stats_sum(&t->maps, t->ifx[d], &s);
	return s;
}

static __u64 drops(struct t *t, __u32 reason)
{
	struct nb_counter c = {};

	nb_maps_drops_sum(&t->maps, reason, &c);
	return c.packets;
}

static __u64 drops_total(struct t *t)
{
	__u64 sum = 0;
	__u32 r;

	for (r = NB_DROP_BASE; r < __NB_DROP_MAX; r++)
		sum += drops(t, r);
	return sum;
}

/* The counters of every endpoint and every drop reason, to compare before/after */
struct snap {
	struct nb_ep_stats ep[N_DEV];
	__u64 drops;
};

static void snap(struct t *t, struct snap *s)
{
	int d;

	memset(s, 0, sizeof(*s));
	for (d = D_A; d <= D_D; d++)
		s->ep[d] = ep_stats(t, d);
	s->drops = drops_total(t);
}

static bool unchanged(struct t *t, const struct snap *before)
{
	struct snap now;
	bool ok = true;

	snap(t, &now);
	ok &= ASSERT_MEMEQ(now.ep, before->ep, sizeof(now.ep), "endpoint counters unchanged");
	ok &= ASSERT_EQ(now.drops, before->drops, "drop counters unchanged");
	return ok;
}

/* ---- xdp_sandbox --------------------------------------------------------- */

static int c_sandbox_pass(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	bool ok;

	mk(&in, &(struct fr){.dmac = MAC_A, .smac = MAC_B, .sip = IP_B, .dip = IP_A, .dport = 80});
	ok = expect(t->x_sb, t->peer[D_A], &in, XDP_PASS, NULL);
	mk_arp(&in, BCAST, MAC_B, ARPOP_REQUEST, MAC_B, IP_B, ZERO_MAC, IP_A);
	ok &= expect(t->x_sb, t->peer[D_A], &in, XDP_PASS, NULL);
	return ok ? 0 : -1;
}

/* ---- xdp_uplink ---------------------------------------------------------- */

/* A new published-port flow: translated at XDP, redirected into A; tc then uses the same entry */
static int c_up_dnat_tcp(void *arg)
{
	struct t *t = arg;
	struct nb_ep_stats a = ep_stats(t, D_A);
	struct pkt in, exp;
	struct pkt_out out;
	struct nb_nat_flow f;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5000,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 5000,
			      .dport = 80,
			      .ttl = 63});
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	ok &= ASSERT_EQ(ep_stats(t, D_A).rx_packets, a.rx_packets + 1, "A's rx");
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5000, U, 8000, &f),
			  "conntrack entry");
	ok &= ASSERT_EQ(f.type, NB_CT_DNAT, "type");
	ok &= ASSERT_EQ(f.nat.daddr, IP_A, "translated daddr");
	ok &= ASSERT_EQ(f.nat.dport, 80, "translated dport");
	ok &= ASSERT_TRUE(f.has_reply, "reply entry");

	/* the next packet of the flow, seen by tc (generic XDP off, or a reload): same entry */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5000,
			     .dport = 8000,
			     .flags = TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 5000,
			      .dport = 80,
			      .flags = TH_ACK,
			      .ttl = 63});
	ok &= ASSERT_OK(pkt_run(t->in, t->ifx[D_UP], &in, &out), "tc run");
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "tc verdict");
	ok &= ASSERT_EQ(out.len, exp.len, "tc frame length") &&
	      ASSERT_MEMEQ(out.frame, exp.data, exp.len, "tc frame");
	/* and again at XDP */
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5000, U, 8000, &f),
			  "conntrack entry");
	ok &= ASSERT_EQ(f.packets, 3, "the flow counted all three packets");
	return ok ? 0 : -1;
}

static int c_up_dnat_udp(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;
	int zero;

	for (zero = 0; zero < 2; zero++) {
		mk(&in, &(struct fr){.dmac = t->up_mac,
				     .smac = CLI_MAC,
				     .sip = CLI,
				     .dip = U,
				     .proto = IPPROTO_UDP,
				     .sport = (__u16)(5353 + zero),
				     .dport = 8000,
				     .csum0 = zero});
		mk(&exp, &(struct fr){.dmac = MAC_A,
				      .smac = GW1_MAC,
				      .sip = CLI,
				      .dip = IP_A,
				      .proto = IPPROTO_UDP,
				      .sport = (__u16)(5353 + zero),
				      .dport = 53,
				      .ttl = 63,
				      .csum0 = zero});
		ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
		if (!ok)
			return -1;
	}
	return 0;
}

/* Not netbpf's, or not XDP's to finish: passed untouched, nothing counted or created */
static int c_up_pass(void *arg)
{
	struct t *t = arg;
	struct pkt in, q;
	struct snap s;
	bool ok;

	snap(t, &s);
	/* a port nobody published: the host's own business */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5001,
			     .dport = 22});
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* a published port, but not a SYN: no flow to open */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5002,
			     .dport = 8000,
			     .flags = TH_ACK});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* ARP for the host */
	mk_arp(&in, BCAST, CLI_MAC, ARPOP_REQUEST, CLI_MAC, CLI, ZERO_MAC, U);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* a first fragment to a published port: tc's (it records the fragment's ports) */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5003,
			     .dport = 8000,
			     .frag_off = 0x2000});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* an ICMP error quoting the translated flow of c_up_dnat_tcp: tc's */
	mk(&q, &(struct fr){.sip = U,
			    .dip = CLI,
			    .sport = 8000,
			    .dport = 5000,
			    .dmac = CLI_MAC,
			    .smac = t->up_mac,
			    .flags = TH_SYN | TH_ACK});
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = RTR_MAC,
			     .sip = RTR,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_DEST_UNREACH,
			     .quote = &q});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= unchanged(t, &s);
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, CLI, 5002, U, 8000, NULL),
			  "no flow for an ACK");
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, CLI, 5003, U, 8000, NULL),
			  "no flow for a fragment");
	return ok ? 0 : -1;
}

/*
 * What XDP cannot deliver passes untouched, with no flow opened, for tc to
 * translate: a target outside the devmap (C), a TTL of 1 (tc sends it into
 * the host, which answers time exceeded), also on an open flow. Passed on
 * translated, tc's uplink_in would drop it as unpublished.
 */
static int c_up_stack_path(void *arg)
{
	struct t *t = arg;
	struct nb_nat_flow f, f2;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5010,
			     .dport = 8100});
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, CLI, 5010, U, 8100, NULL),
			  "no flow at XDP");
	/* tc, next, opens the flow and sends the packet into C */
	mk(&exp, &(struct fr){.dmac = MAC_C,
			      .smac = GW2_MAC,
			      .sip = CLI,
			      .dip = IP_C,
			      .sport = 5010,
			      .dport = 100,
			      .ttl = 63});
	ok &= expect_tc(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5010, U, 8100, NULL),
			  "tc's conntrack entry");
	/* TTL 1: a new flow to A, and an open one */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5011,
			     .dport = 8000,
			     .ttl = 1});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, CLI, 5011, U, 8000, NULL), "no flow");
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5012,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 5012,
			      .dport = 80,
			      .ttl = 63});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5012, U, 8000, &f), "open flow");
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5012,
			     .dport = 8000,
			     .flags = TH_ACK,
			     .ttl = 1});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5012, U, 8000, &f2), "open flow");
	ok &= ASSERT_EQ(f2.packets, f.packets, "not counted at XDP");
	return ok ? 0 : -1;
}

/* Masquerade: A's flow out is tc's (endpoint program), its replies come back at XDP */
static int c_up_masq_reply(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct pkt_out out;
	__u16 port;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV,
			     .sport = 41000,
			     .dport = 80});
	/* the host side of an endpoint runs tc alone: it translates and sends it out */
	if (!ASSERT_OK(pkt_run(t->epf, t->ifx[D_A], &in, &out), "tc endpoint run") ||
	    !ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "tc endpoint verdict"))
		return -1;
	port = ntohs(*(const __be16 *)(out.frame + ETH_HLEN + 20));
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = RTR_MAC,
			     .sip = SRV,
			     .dip = U,
			     .sport = 80,
			     .dport = port,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_A,
			      .sport = 80,
			      .dport = 41000,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	return ok ? 0 : -1;
}

/* ---- xdp_uplink, IPv6 ----------------------------------------------------- */

/* The nb_ct6 entry under (s, sp -> d, dp, proto); false when there is none */
static bool ct6_get(struct t *t, __u8 proto, const __u8 *s, __u16 sp, const __u8 *d, __u16 dp,
		    struct nb_ct6_entry *e)
{
	struct nb_ct6_key k = {.sport = htons(sp), .dport = htons(dp), .proto = proto};

	struct nb_ct6_entry tmp;

	memcpy(k.saddr, s, 16);
	memcpy(k.daddr, d, 16);
	return !bpf_map_lookup_elem(t->maps.ct6, &k, e ? e : &tmp);
}

static __u64 conns6(struct t *t, __u16 port, __u8 proto)
{
	struct nb_publish6_val v = {};

	nb_nat_publish6_get(&t->maps, NULL, port, proto, &v);
	return v.conns;
}

/*
 * A new published IPv6 port's flow: DNAT66 at XDP, redirected into A with
 * A's MAC, the gateway's, the hop limit one less, the TCP checksum right for
 * the new pseudo-header; A's answer leaves through tc's uplink_out on the
 * same nb_ct6 pair, and the next packets take either hook; a blind RST is
 * dropped at XDP by the window check, as at tc.
 */
static int c_up6_dnat_tcp(void *arg)
{
	struct t *t = arg;
	struct nb_ep_stats a = ep_stats(t, D_A);
	__u64 conns = conns6(t, 8000, IPPROTO_TCP), invalid;
	struct fr f = {.dmac = t->up_mac,
		       .smac = CLI_MAC,
		       .sip6 = CLI6,
		       .dip6 = U6,
		       .sport = 6000,
		       .dport = 8000};
	struct fr x = {.dmac = MAC_A,
		       .smac = GW1_MAC,
		       .sip6 = CLI6,
		       .dip6 = IP6_A,
		       .sport = 6000,
		       .dport = 80,
		       .ttl = 63};
	struct nb_ct6_entry e = {};
	struct pkt in, exp;
	bool ok;

	mk(&in, &f);
	mk(&exp, &x);
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	ok &= ASSERT_EQ(ep_stats(t, D_A).rx_packets, a.rx_packets + 1, "A's rx");
	ok &= ASSERT_EQ(conns6(t, 8000, IPPROTO_TCP), conns + 1, "the published port's conns");
	ok &= ASSERT_TRUE(ct6_get(t, IPPROTO_TCP, CLI6, 6000, U6, 8000, &e), "forward entry");
	ok &= ASSERT_EQ(e.kind, NB_CT6_K_DNAT, "kind") & ASSERT_EQ(e.dir, NB_CT_DIR_ORIG, "dir");
	ok &= ASSERT_MEMEQ(e.nat_addr, IP6_A, 16, "to A") & ASSERT_EQ(e.nat_port, htons(80), "80");
	ok &= ASSERT_TRUE(ct6_get(t, IPPROTO_TCP, IP6_A, 80, CLI6, 6000, &e), "reply entry");

	/* A's SYN-ACK: tc's uplink_out gives it the host's address and port */
	mk(&in, &(struct fr){.dmac = CLI_MAC,
			     .smac = t->up_mac,
			     .sip6 = IP6_A,
			     .dip6 = CLI6,
			     .sport = 80,
			     .dport = 6000,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip6 = U6,
			      .dip6 = CLI6,
			      .sport = 8000,
			      .dport = 6000,
			      .flags = TH_SYN | TH_ACK});
	ok &= expect_tc(t->out, t->ifx[D_UP], &in, TC_ACT_OK, &exp);
	/* the client's ACK: tc and XDP translate it alike, on the one entry */
	f.flags = x.flags = TH_ACK;
	mk(&in, &f);
	mk(&exp, &x);
	ok &= expect_tc(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	ok &= ASSERT_TRUE(ct6_get(t, IPPROTO_TCP, CLI6, 6000, U6, 8000, &e), "forward entry");
	ok &= ASSERT_EQ(e.packets, 3, "the flow counted all three packets in");
	ok &= ASSERT_EQ(e.state, NB_CT_S_ESTABLISHED, "answered: established");
	ok &= ASSERT_EQ(conns6(t, 8000, IPPROTO_TCP), conns + 1, "still one connection");
	/* a blind RST far outside the window: dropped at XDP as ct-invalid, as tc would */
	invalid = drops(t, NB_DROP_CT_INVALID);
	f.flags = TH_RST, f.seq = 1001 + 1000000;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_DROP, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_CT_INVALID), invalid + 1, "ct-invalid counted");
	ok &= ASSERT_TRUE(ct6_get(t, IPPROTO_TCP, CLI6, 6000, U6, 8000, &e), "forward entry");
	ok &= ASSERT_EQ(e.state, NB_CT_S_ESTABLISHED, "the blind RST changed nothing");
	return ok ? 0 : -1;
}

static int c_up6_dnat_udp(void *arg)
{
	struct t *t = arg;
	const struct fr f = {.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip6 = CLI6,
			     .dip6 = U6,
			     .proto = IPPROTO_UDP,
			     .sport = 6353,
			     .dport = 8000};
	const struct fr x = {.dmac = MAC_A,
			     .smac = GW1_MAC,
			     .sip6 = CLI6,
			     .dip6 = IP6_A,
			     .proto = IPPROTO_UDP,
			     .sport = 6353,
			     .dport = 53,
			     .ttl = 63};
	struct pkt in, exp;

	mk(&in, &f);
	mk(&exp, &x);
	return expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp) ? 0 : -1;
}

/*
 * What IPv4's XDP leaves to tc, IPv6's leaves too, untouched, nothing counted
 * or created: fragments (a first one to a published port too), ICMPv6
 * errors (one quoting c_up6_dnat_tcp's flow too), echo, other ports, a
 * published port's ACK without flow, broken extension-header chains (to the
 * host, or into a sandbox subnet, which tc then drops).
 */
static int c_up6_pass(void *arg)
{
	struct t *t = arg;
	/* fragment header: UDP, offset 0 with more fragments (first) or offset 16 */
	const __u8 frag1[8] = {IPPROTO_UDP, 0, 0, 0x01, 0, 0, 0x12, 0x34};
	const __u8 frag2[8] = {IPPROTO_UDP, 0, 0, 0x10, 0, 0, 0x12, 0x34};
	/* hop-by-hop options claiming 8 * (1 + 30) bytes the packet does not have */
	const __u8 hbh_long[8] = {IPPROTO_TCP, 30, 1, 4, 0, 0, 0, 0};
	const struct fr base = {.dmac = t->up_mac,
				.smac = CLI_MAC,
				.sip6 = CLI6,
				.dip6 = U6,
				.sport = 6001,
				.dport = 8000};
	struct fr f;
	struct pkt in, q;
	struct snap s;
	bool ok;

	snap(t, &s);
	f = base, f.dport = 22;
	mk(&in, &f);
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	f = base, f.flags = TH_ACK;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	f = base, f.proto = IPPROTO_ICMPV6, f.icmp_type = 128;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* fragments: tc's (it records the first one's ports for the later ones) */
	f = base, f.proto = IPPROTO_UDP, f.ext = frag1, f.ext_type = 44, f.ext_len = 8;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	f = base, f.proto = IPPROTO_UDP, f.ext = frag2, f.ext_type = 44, f.ext_len = 8;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	f.dip6 = IP6_A;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* a Packet Too Big about what c_up6_dnat_tcp's client was sent: tc translates it */
	mk(&q, &(struct fr){.dmac = CLI_MAC,
			    .smac = t->up_mac,
			    .sip6 = U6,
			    .dip6 = CLI6,
			    .sport = 8000,
			    .dport = 6000,
			    .flags = TH_ACK});
	f = base, f.sip6 = OTHER6, f.proto = IPPROTO_ICMPV6, f.icmp_type = 2, f.quote = &q;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* ... and an error into a sandbox subnet (tc checks it against nb_ct6) */
	f.dip6 = IP6_A, f.icmp_type = 1;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* a broken chain: the host's to drop (to U6), tc's (into a sandbox subnet) */
	f = base, f.ext = hbh_long, f.ext_type = 0, f.ext_len = 8;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	f.dip6 = IP6_A;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	/* a frame cut inside the IPv6 header */
	f = base;
	mk(&in, &f);
	in.len = ETH_HLEN + 30;
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= unchanged(t, &s);
	ok &= ASSERT_TRUE(!ct6_get(t, IPPROTO_TCP, CLI6, 6001, U6, 8000, NULL) &&
			      !ct6_get(t, IPPROTO_UDP, CLI6, 6001, U6, 8000, NULL),
			  "no flow opened");
	return ok ? 0 : -1;
}

/*
 * What XDP cannot deliver passes untouched, with no flow opened, for tc to
 * translate: a target outside the devmap (C), a hop limit of 1 (tc sends
 * it into the host, which answers time exceeded), also on an open flow.
 */
static int c_up6_stack_path(void *arg)
{
	struct t *t = arg;
	__u64 conns = conns6(t, 8100, IPPROTO_TCP);
	struct nb_ct6_entry e = {}, e2 = {};
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip6 = CLI6,
			     .dip6 = U6,
			     .sport = 6010,
			     .dport = 8100});
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= ASSERT_TRUE(!ct6_get(t, IPPROTO_TCP, CLI6, 6010, U6, 8100, NULL), "no flow at XDP");
	ok &= ASSERT_EQ(conns6(t, 8100, IPPROTO_TCP), conns, "no connection counted at XDP");
	/* tc, next, opens the flow and sends the packet into C */
	mk(&exp, &(struct fr){.dmac = MAC_C,
			      .smac = GW2_MAC,
			      .sip6 = CLI6,
			      .dip6 = IP6_C,
			      .sport = 6010,
			      .dport = 100,
			      .ttl = 63});
	ok &= expect_tc(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp);
	ok &= ASSERT_EQ(conns6(t, 8100, IPPROTO_TCP), conns + 1, "tc counted the connection");
	/* hop limit 1: a new flow to A, and c_up6_dnat_tcp's open one */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip6 = CLI6,
			     .dip6 = U6,
			     .sport = 6011,
			     .dport = 8000,
			     .ttl = 1});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= ASSERT_TRUE(!ct6_get(t, IPPROTO_TCP, CLI6, 6011, U6, 8000, NULL), "no flow");
	ok &= ASSERT_TRUE(ct6_get(t, IPPROTO_TCP, CLI6, 6000, U6, 8000, &e), "the open flow");
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip6 = CLI6,
			     .dip6 = U6,
			     .sport = 6000,
			     .dport = 8000,
			     .flags = TH_ACK,
			     .ttl = 1});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	ok &= ASSERT_TRUE(ct6_get(t, IPPROTO_TCP, CLI6, 6000, U6, 8000, &e2), "the open flow");
	ok &= ASSERT_EQ(e2.packets, e.packets, "not counted at XDP");
	return ok ? 0 : -1;
}

/* Ring buffer callback: seen[0] the last NAT event, seen[1] the last drop */
static int on_event(void *ctx, void *data, size_t len)
{
	const struct nb_event *ev = data;
	struct nb_event *seen = ctx;

	if (len < sizeof(*ev) || (ev->type != NB_EV_NAT && ev->type != NB_EV_DROP))
		return 0;
	seen[ev->type == NB_EV_DROP] = *ev;
	return 0;
}

/* `monitor --type nat,drop` on (types) or off (0) */
static bool monitor(struct t *t, __u32 types)
{
	struct nb_monitor mon = {.types = types, .pid = types ? (__u32)getpid() : 0};
	__u32 zero = 0;

	return ASSERT_OK(bpf_map_update_elem(t->maps.monitor, &zero, &mon, BPF_ANY) ? -errno : 0,
			 "monitor");
}

/*
 * Early drops at XDP, counted and reported as tc would: a source the
 * published port's allow-list leaves out (not-allowed), a packet into a
 * sandbox's subnet that no flow claims (unpublished). The allowed client
 * gets in. The drop and the new flow are events (`monitor`) as at tc.
 */
static int c_up6_drops(void *arg)
{
	struct t *t = arg;
	__u64 na = drops(t, NB_DROP_NOT_ALLOWED), un = drops(t, NB_DROP_UNPUBLISHED);
	struct fr f = {.dmac = t->up_mac,
		       .smac = CLI_MAC,
		       .sip6 = OTHER6,
		       .dip6 = U6,
		       .sport = 6020,
		       .dport = 8200};
	struct nb_event seen[2] = {};
	struct ring_buffer *rb;
	struct pkt in, exp;
	bool ok;

	rb = ring_buffer__new(t->maps.events, on_event, seen, NULL);
	if (!ASSERT_TRUE(rb != NULL, "ring buffer of nb_events") ||
	    !monitor(t, 1U << NB_EV_NAT | 1U << NB_EV_DROP)) {
		ring_buffer__free(rb);
		return -1;
	}
	ring_buffer__consume(rb); /* whatever came before */
	memset(seen, 0, sizeof(seen));
	mk(&in, &f);
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_DROP, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_NOT_ALLOWED), na + 1, "not-allowed counted");
	ring_buffer__consume(rb);
	ok &= ASSERT_EQ(seen[1].type, NB_EV_DROP, "a drop event");
	ok &= ASSERT_EQ(seen[1].reason, NB_DROP_NOT_ALLOWED, "drop event: not-allowed");
	ok &= ASSERT_EQ(seen[1].eth_proto, 0x86dd, "drop event: IPv6");
	ok &= ASSERT_MEMEQ(seen[1].saddr6, OTHER6, 16, "drop event: from OTHER6");
	ok &= ASSERT_TRUE(!ct6_get(t, IPPROTO_TCP, OTHER6, 6020, U6, 8200, NULL), "no flow");
	f.sip6 = CLI6;
	mk(&in, &f);
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip6 = CLI6,
			      .dip6 = IP6_A,
			      .sport = 6020,
			      .dport = 81,
			      .ttl = 63});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_REDIRECT, &exp);
	ring_buffer__consume(rb);
	ok &= ASSERT_EQ(seen[0].type, NB_EV_NAT, "a NAT event for the new flow");
	ok &= ASSERT_EQ(seen[0].reason, NB_CT_DNAT, "NAT event: DNAT66");
	ok &= ASSERT_MEMEQ(seen[0].saddr6, CLI6, 16, "NAT event: the client");
	ok &= ASSERT_MEMEQ(seen[0].nat_daddr6, IP6_A, 16, "NAT event: to A");
	ok &= ASSERT_EQ(seen[0].nat_dport, htons(81), "NAT event: to 81");
	ok &= monitor(t, 0);
	ring_buffer__free(rb);
	f.dip6 = IP6_A, f.dport = 22;
	mk(&in, &f);
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_DROP, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_UNPUBLISHED), un + 1, "unpublished counted");
	ok &= ASSERT_EQ(drops(t, NB_DROP_NOT_ALLOWED), na + 1, "nothing else counted");
	return ok ? 0 : -1;
}

/* Masquerade (NAT66) is tc's both ways: A's reply from outside passes XDP untouched */
static int c_up6_masq_reply(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct pkt_out out;
	__u16 port = 0;
	bool ok = true;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = GW1_MAC,
			     .sip6 = IP6_A,
			     .dip6 = CLI6,
			     .proto = IPPROTO_UDP,
			     .sport = 41000,
			     .dport = 53});
	if (!ASSERT_OK(pkt_run(t->out, t->ifx[D_UP], &in, &out), "tc uplink_out run") ||
	    !ASSERT_VERDICT(out.verdict, TC_ACT_OK, "tc uplink_out verdict") ||
	    !ASSERT_MEMEQ(out.frame + ETH_HLEN + 8, U6, 16, "masqueraded to U6"))
		return -1;
	port = ntohs(*(const __be16 *)(out.frame + ETH_HLEN + 40));
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip6 = CLI6,
			     .dip6 = U6,
			     .proto = IPPROTO_UDP,
			     .sport = 53,
			     .dport = port});
	ok &= expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, NULL);
	mk(&exp, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip6 = CLI6,
			      .dip6 = IP6_A,
			      .proto = IPPROTO_UDP,
			      .sport = 53,
			      .dport = 41000});
	ok &= expect_tc(t->in, t->ifx[D_UP], &in, TC_ACT_OK, &exp);
	return ok ? 0 : -1;
}

static const struct pkt_case cases[] = {
    {"xdp_sandbox: passes every frame", c_sandbox_pass},
    {"xdp_uplink: published TCP port DNATed and redirected; tc and XDP share the flow",
     c_up_dnat_tcp},
    {"xdp_uplink: published UDP port, with and without checksum", c_up_dnat_udp},
    {"xdp_uplink: other ports, non-SYN, ARP, fragments, ICMP errors pass untouched", c_up_pass},
    {"xdp_uplink: what XDP cannot deliver (outside the devmap, TTL 1) passes untouched to tc",
     c_up_stack_path},
    {"xdp_uplink: masquerade replies translated and redirected into the sandbox", c_up_masq_reply},
    {"xdp_uplink IPv6: published TCP port DNAT66ed and redirected; tc shares the flow; windows",
     c_up6_dnat_tcp},
    {"xdp_uplink IPv6: published UDP port DNAT66ed and redirected", c_up6_dnat_udp},
    {"xdp_uplink IPv6: fragments, ICMPv6 errors, echo, broken headers pass untouched", c_up6_pass},
    {"xdp_uplink IPv6: what XDP cannot deliver passes untouched, tc translates it",
     c_up6_stack_path},
    {"xdp_uplink IPv6: not-allowed and unpublished dropped at XDP, counted", c_up6_drops},
    {"xdp_uplink IPv6: masquerade replies pass untouched to tc", c_up6_masq_reply},
};

/* ---- set-up -------------------------------------------------------------- */

/* IPv6 on up0 (the netns starts with it off on new devices, pkt.c), forwarding on */
static int setup_ipv6(struct t *t)
{
	struct nb_nl *nl = NULL;
	struct in6_addr u6;
	int err;

	(void)t;
	err = pkt_write_file("/proc/sys/net/ipv6/conf/up0/disable_ipv6", "0");
	err = err ?: pkt_write_file("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	err = err ?: nb_nl_open(&nl);
	if (err)
		return err;
	memcpy(&u6, U6, 16);
	err = nb_nl_addr6_add(nl, "up0", &u6, 64, true);
	nb_nl_close(nl);
	return err;
}

static int setup_devices(struct t *t)
{
	struct nb_nl *nl = NULL;
	int i, err;

	for (i = 0; i < N_DEV; i++) {
		err = pkt_env_veth(dev_name[i][0], dev_name[i][1], &t->ifx[i], &t->peer[i]);
		if (err)
			return err;
	}
	err = pkt_write_file("/proc/sys/net/ipv4/ip_forward", "1");
	if (err)
		return err;
	err = nb_nl_open(&nl);
	if (err)
		return err;
	err = nb_nl_addr_add(nl, "up0", U, 24);
	if (!err)
		err = nb_nl_addr_add(nl, "nbg1", GW1, 24);
	if (!err)
		err = nb_nl_addr_add(nl, "nbg2", GW2, 24);
	if (!err)
		err = nb_nl_route_default_add(nl, RTR);
	if (!err)
		err = nb_nl_link_mac(nl, "up0", t->up_mac);
	nb_nl_close(nl);
	if (err)
		return err;
	if (!err)
		err = setup_ipv6(t);
	if (err)
		return err;
	err = pkt_neigh_add(t->ifx[D_UP], CLI, CLI_MAC);
	if (!err)
		err = pkt_neigh_add(t->ifx[D_UP], SRV, SRV_MAC);
	if (!err)
		err = pkt_neigh_add(t->ifx[D_UP], RTR, RTR_MAC);
	return err;
}

static int setup_bpf(struct t *t)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = t->env.pin_dir);
	int err;

	t->up = uplink_bpf__open_opts(&opts);
	if (!t->up)
		return -errno;
	err = uplink_bpf__load(t->up);
	if (err)
		return err;
	t->ep = endpoint_bpf__open_opts(&opts);
	if (!t->ep)
		return -errno;
	err = endpoint_bpf__load(t->ep);
	if (err)
		return err;
	t->xdp = xdp_bpf__open_opts(&opts);
	if (!t->xdp)
		return -errno;
	err = xdp_bpf__load(t->xdp);
	if (err)
		return err;
	t->in = bpf_program__fd(t->up->progs.uplink_in);
	t->out = bpf_program__fd(t->up->progs.uplink_out);
	t->epf = bpf_program__fd(t->ep->progs.endpoint);
	t->x_sb = bpf_program__fd(t->xdp->progs.xdp_sandbox);
	t->x_up = bpf_program__fd(t->xdp->progs.xdp_uplink);
	t->devs_fd = bpf_map__fd(t->xdp->maps.nb_xdp_devs);
	return nb_maps_open_pinned(t->env.pin_dir, &t->maps);
}

/* The XDP object shares the tc objects' maps: one switch, one conntrack */
static bool check_shared(struct t *t)
{
	struct bpf_map_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);

	if (!ASSERT_OK(bpf_obj_get_info_by_fd(bpf_map__fd(t->up->maps.nb_ct), &a, &la),
		       "tc nb_ct") ||
	    !ASSERT_OK(bpf_obj_get_info_by_fd(bpf_map__fd(t->xdp->maps.nb_ct), &b, &lb),
		       "xdp nb_ct"))
		return false;
	return ASSERT_EQ(a.id, b.id, "nb_ct map id");
}

static int net6(struct nb_network *n, const __u8 *sub, const __u8 *gw)
{
	struct in6_addr s, g;

	memcpy(&s, sub, 16);
	memcpy(&g, gw, 16);
	return nb_net6_fill(n, &s, 64, &g);
}

static int port6(struct nb_port *p, const __u8 *ip6)
{
	struct in6_addr a;

	memcpy(&a, ip6, 16);
	return nb_port6_fill(p, &a);
}

/* [::]:port/proto -> [sb]:sb_port of endpoint d, as `publish` puts it */
static int publish6(struct t *t, __u16 port, __u8 proto, const __u8 *sb, __u16 sb_port,
		    __u32 net_id, enum dev d)
{
	struct in6_addr a;

	memcpy(&a, sb, 16);
	return nb_nat_publish6_put(&t->maps, NULL, port, proto, &a, sb_port, net_id, t->ifx[d]);
}

static int setup_maps(struct t *t)
{
	struct nb_network n1 = {.subnet = PKT_IP4(10, 1, 0, 0),
				.prefixlen = 24,
				.gateway = GW1,
				.gw_ifindex = t->peer[D_P1],
				.gwport_ifindex = t->ifx[D_P1],
				.flags = NB_NET_F_ICC | NB_NET_F_MASQ,
				.mtu = 1500};
	struct nb_network n2 = {.subnet = PKT_IP4(10, 2, 0, 0),
				.prefixlen = 24,
				.gateway = GW2,
				.gw_ifindex = t->peer[D_P2],
				.gwport_ifindex = t->ifx[D_P2],
				.flags = 0,
				.mtu = 1500};
	struct nb_port a = {.net_id = 1, .kind = NB_PORT_ENDPOINT, .ip = IP_A};
	struct nb_port b = {.net_id = 1, .kind = NB_PORT_ENDPOINT, .ip = IP_B};
	struct nb_port c = {.net_id = 2, .kind = NB_PORT_ENDPOINT, .ip = IP_C};
	struct nb_port d = {.net_id = 2, .kind = NB_PORT_ENDPOINT, .ip = IP_D};
	__u32 ia = t->ifx[D_A], ib = t->ifx[D_B];
	int err;

	err = net6(&n1, SUB6_1, GW6_1) ?: net6(&n2, SUB6_2, GW6_2) ?: port6(&a, IP6_A) ?:
	      port6(&c, IP6_C);
	if (err)
		return err;
	memcpy(n1.gw_mac, GW1_MAC, ETH_ALEN);
	memcpy(n2.gw_mac, GW2_MAC, ETH_ALEN);
	memcpy(a.mac, MAC_A, ETH_ALEN);
	memcpy(b.mac, MAC_B, ETH_ALEN);
	memcpy(c.mac, MAC_C, ETH_ALEN);
	memcpy(d.mac, MAC_D, ETH_ALEN);
	err = nb_maps_network_put(&t->maps, 1, &n1);
	err = err ?: nb_maps_network_put(&t->maps, 2, &n2);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_A], &a);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_B], &b);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_C], &c);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_D], &d);
	err = err ?: nb_nat_uplink_put(&t->maps, t->ifx[D_UP], U);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_TCP, IP_A, 80, 1, t->ifx[D_A]);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_UDP, IP_A, 53, 1, t->ifx[D_A]);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8100, IPPROTO_TCP, IP_C, 100, 2, t->ifx[D_C]);
	err = err ?: publish6(t, 8000, IPPROTO_TCP, IP6_A, 80, 1, D_A);
	err = err ?: publish6(t, 8000, IPPROTO_UDP, IP6_A, 53, 1, D_A);
	err = err ?: publish6(t, 8100, IPPROTO_TCP, IP6_C, 100, 2, D_C);
	err = err ?: publish6(t, 8200, IPPROTO_TCP, IP6_A, 81, 1, D_A);
	if (!err) {
		struct in6_addr cli;

		memcpy(&cli, CLI6, 16);
		err = nb_nat_allow6_put(&t->maps, NULL, 8200, IPPROTO_TCP, &cli, 128);
	}
	/* as realize.c does for every endpoint in XDP mode; C and D stay out (tc's) */
	if (!err && (bpf_map_update_elem(t->devs_fd, &ia, &ia, BPF_ANY) ||
		     bpf_map_update_elem(t->devs_fd, &ib, &ib, BPF_ANY)))
		err = -errno;
	return err;
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
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	nb_maps_init(&t.maps);
	err = pkt_env_enter(&t.env);
	if (err)
		return 1;
	err = setup_devices(&t);
	if (!pkt_tap(!err, "setup: uplink, gateway ports and endpoints in a private netns"))
		goto cleanup;
	err = setup_bpf(&t);
	if (!pkt_tap(!err, "setup: tc and XDP objects load on one set of pinned maps"))
		goto cleanup;
	err = setup_maps(&t);
	if (!pkt_tap(!err, "setup: networks, endpoints, devmap, uplink, published ports written"))
		goto cleanup;
	pkt_tap(check_shared(&t), "setup: the XDP programs share the tc programs' conntrack");
	pkt_run_cases(cases, sizeof(cases) / sizeof(cases[0]), &t);
cleanup:
	if (err)
		pkt_diag("setup failed: %s", strerror(-err));
	nb_maps_close(&t.maps);
	xdp_bpf__destroy(t.xdp);
	endpoint_bpf__destroy(t.ep);
	uplink_bpf__destroy(t.up);
	pkt_env_leave(&t.env);
	return pkt_tap_done() ? 1 : 0;
}
