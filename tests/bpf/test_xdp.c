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
	int x_sb, x_up; /* XDP program fds */
	int in, epf;	/* tc program fds */
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

/* Runs XDP prog on in at ifindex: verdict want, frame exp (NULL: in, untouched) */
static bool expect(int prog, int ifindex, const struct pkt *in, int want, const struct pkt *exp)
{
	const struct pkt *e = exp ? exp : in;
	struct pkt_out out;
	bool ok;

	if (!ASSERT_OK(xdp_run(prog, ifindex, in, &out), "BPF_PROG_TEST_RUN"))
		return false;
	ok = ASSERT_EQ(out.verdict, want, "verdict");
	if (out.verdict != want)
		pkt_diag("verdict %s, expected %s", xdp_verdict_name(out.verdict),
			 xdp_verdict_name(want));
	ok &= ASSERT_EQ(out.len, e->len, "frame length");
	if (out.len == e->len)
		ok &= ASSERT_MEMEQ(out.frame, e->data, e->len, "frame");
	if (exp && exp->l3_proto_is_v4)
		ok &= pkt_csum_ok(out.frame, out.len);
	return ok;
}

/* ---- frames -------------------------------------------------------------- */

struct fr {
	const __u8 *dmac, *smac;
	__be32 sip, dip;
	__u8 proto; /* IPPROTO_*: default TCP */
	__u16 sport, dport;
	__u8 flags; /* TCP; default SYN */
	__u8 icmp_type;
	__u8 ttl;	/* default 64 */
	__u16 frag_off; /* host order; default DF */
	bool csum0;	/* UDP without checksum */
	const struct pkt *quote;
};

static void mk(struct pkt *p, const struct fr *f)
{
	__u8 proto = f->proto ? f->proto : IPPROTO_TCP;
	struct iphdr *iph;

	pkt_eth(p, f->dmac, f->smac, ETH_P_IP);
	pkt_ipv4(p, f->sip, f->dip, proto);
	if (proto == IPPROTO_TCP)
		pkt_tcp(p, f->sport, f->dport, 1000, f->flags & TH_ACK ? 2000 : 0,
			f->flags ? f->flags : TH_SYN);
	else if (proto == IPPROTO_UDP)
		pkt_udp(p, f->sport, f->dport);
	else
		pkt_icmp(p, f->icmp_type, 0, 7, 1);
	if (f->quote)
		pkt_put(p, f->quote->data + f->quote->l3, sizeof(struct iphdr) + 8);
	else
		pkt_put(p, NULL, 32);
	p->udp_csum_zero = f->csum0;
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

/* A target without devmap entry: translated as at tc, then left to the host stack */
static int c_up_stack_path(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5010,
			     .dport = 8100});
	mk(&exp, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = IP_C,
			      .sport = 5010,
			      .dport = 100});
	ok = expect(t->x_up, t->ifx[D_UP], &in, XDP_PASS, &exp);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5010, U, 8100, NULL),
			  "conntrack entry");
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

static const struct pkt_case cases[] = {
    {"xdp_sandbox: passes every frame", c_sandbox_pass},
    {"xdp_uplink: published TCP port DNATed and redirected; tc and XDP share the flow",
     c_up_dnat_tcp},
    {"xdp_uplink: published UDP port, with and without checksum", c_up_dnat_udp},
    {"xdp_uplink: other ports, non-SYN, ARP, fragments, ICMP errors pass untouched", c_up_pass},
    {"xdp_uplink: a target outside the devmap continues translated into the stack",
     c_up_stack_path},
    {"xdp_uplink: masquerade replies translated and redirected into the sandbox", c_up_masq_reply},
};

/* ---- set-up -------------------------------------------------------------- */

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
