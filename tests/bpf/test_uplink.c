// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet tests of NAT: published ports (DNAT), masquerade (SNAT), hairpin,
 * ICMP errors and fragments, through BPF_PROG_TEST_RUN of "uplink_in",
 * "uplink_out" and "endpoint" (whose NAT hook is nb_nat_from_endpoint()),
 * with the maps filled by user/lib/maps.c and user/lib/nat.c as netbpfctl fills
 * them and conntrack read back through nb_nat_ct_foreach().
 *
 * Topology (a private netns; the FIB and neighbour entries are real, since
 * the programs ask the kernel where packets go):
 *
 *     outside 198.18.0.0/24                     host netns
 *     CLI .9   SRV .50   SRV2 .51   RTR .254 ── up0 198.18.0.1 (U) [uplink_in/out]
 *     (permanent neighbours on up0)               default via RTR
 *
 *     net 1  10.1.0.0/24  gw 10.1.0.1 (nbg1 / nbp1)  icc, masquerade
 *            A .2 (nbeA)   B .3 (nbeB)                       [endpoint]
 *     net 2  10.2.0.0/24  gw 10.2.0.1 (nbg2 / nbp2)  icc, masquerade off
 *            C .2 (nbeC)
 *
 *     published: 0.0.0.0:8000/tcp -> A:80   0.0.0.0:8000/udp -> A:53
 *                U:9000/tcp -> B:90 (exact)  0.0.0.0:8100/tcp -> port 4242 (no endpoint)
 *
 * Every rewritten frame is compared byte for byte with a frame built from
 * scratch with the expected fields (so every checksum in the expectation is
 * computed by pkt_finish(), never incrementally), and its checksums are
 * verified again by pkt_csum_check().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>

#include "pkt.h"
#include "flow.h"
#include "maps.h"
#include "nat.h"
#include "nl.h"
#include "endpoint.skel.h"
#include "uplink.skel.h"

#define MAC(a, b, c, d)                                                                            \
	{                                                                                          \
		0x02, 0x42, a, b, c, d                                                             \
	}

#define U    PKT_IP4(198, 18, 0, 1)
#define CLI  PKT_IP4(198, 18, 0, 9)
#define SRV  PKT_IP4(198, 18, 0, 50)
#define SRV2 PKT_IP4(198, 18, 0, 51)
#define RTR  PKT_IP4(198, 18, 0, 254)
#define FAR  PKT_IP4(198, 19, 7, 7) /* beyond RTR: routed, not local */
#define IP_A PKT_IP4(10, 1, 0, 2)
#define IP_B PKT_IP4(10, 1, 0, 3)
#define IP_C PKT_IP4(10, 2, 0, 2)
#define GW1  PKT_IP4(10, 1, 0, 1)
#define GW2  PKT_IP4(10, 2, 0, 1)

static const __u8 MAC_A[ETH_ALEN] = MAC(10, 1, 0, 2);
static const __u8 MAC_B[ETH_ALEN] = MAC(10, 1, 0, 3);
static const __u8 MAC_C[ETH_ALEN] = MAC(10, 2, 0, 2);
static const __u8 GW1_MAC[ETH_ALEN] = MAC(10, 1, 0, 1);
static const __u8 GW2_MAC[ETH_ALEN] = MAC(10, 2, 0, 1);
static const __u8 CLI_MAC[ETH_ALEN] = {0x52, 0x54, 0, 0, 0, 0x09};
static const __u8 SRV_MAC[ETH_ALEN] = {0x52, 0x54, 0, 0, 0, 0x50};
static const __u8 RTR_MAC[ETH_ALEN] = {0x52, 0x54, 0, 0, 0, 0xfe};

enum dev { D_UP, D_A, D_B, D_C, D_P1, D_P2, N_DEV };

static const char *const dev_name[N_DEV][2] = {
    [D_UP] = {"up0", "up0p"}, [D_A] = {"nbeA", "sbA"},	 [D_B] = {"nbeB", "sbB"},
    [D_C] = {"nbeC", "sbC"},  [D_P1] = {"nbp1", "nbg1"}, [D_P2] = {"nbp2", "nbg2"},
};

struct t {
	struct pkt_env env;
	struct uplink_bpf *up;
	struct endpoint_bpf *ep;
	struct nb_maps maps;
	int ifx[N_DEV];	 /* the host-side device (nbp for gateway ports) */
	int peer[N_DEV]; /* its veth peer (nbg for gateway ports) */
	__u8 up_mac[ETH_ALEN];
	int in, out, epf; /* program fds */
};

/* ---- frames -------------------------------------------------------------- */

struct fr {
	const __u8 *dmac, *smac;
	__be32 sip, dip;
	__u8 proto; /* IPPROTO_*: default TCP */
	__u16 sport, dport;
	__u8 flags; /* TCP; default SYN */
	__u32 seq;  /* TCP; default 1000 */
	__u8 icmp_type, icmp_code;
	__u16 echo_id, echo_seq;
	__u8 ttl;		 /* default 64 */
	__u16 frag_off;		 /* host order; default DF */
	bool later;		 /* a later fragment: no L4 header */
	bool csum0;		 /* UDP without checksum */
	__u32 payload;		 /* default 32 bytes */
	const struct pkt *quote; /* ICMP error: quotes this packet's IPv4 header + 8 bytes */
	__u32 quote_l4;		 /* ... or this many bytes of its L4 header and data */
};

static void mk(struct pkt *p, const struct fr *f)
{
	__u8 proto = f->proto ? f->proto : IPPROTO_TCP;
	__u8 flags = f->flags ? f->flags : TH_SYN;
	struct iphdr *iph;

	pkt_eth(p, f->dmac, f->smac, ETH_P_IP);
	pkt_ipv4(p, f->sip, f->dip, proto);
	if (!f->later) {
		if (proto == IPPROTO_TCP)
			pkt_tcp(p, f->sport, f->dport, f->seq ? f->seq : 1000,
				flags & TH_ACK ? 2000 : 0, flags);
		else if (proto == IPPROTO_UDP)
			pkt_udp(p, f->sport, f->dport);
		else if (proto == IPPROTO_ICMP)
			pkt_icmp(p, f->icmp_type, f->icmp_code, f->echo_id, f->echo_seq);
	}
	if (f->quote)
		pkt_put(p, f->quote->data + f->quote->l3,
			sizeof(struct iphdr) + (f->quote_l4 ? f->quote_l4 : 8));
	else
		pkt_put(p, NULL, f->payload ? f->payload : 32);
	p->udp_csum_zero = f->csum0;
	iph = pkt_iph(p);
	iph->id = htons(0x1234);
	iph->ttl = f->ttl ? f->ttl : 64;
	iph->frag_off = htons(f->frag_off ? f->frag_off : 0x4000);
	pkt_finish(p);
}

/* The quoted packet of an ICMP error: a frame whose l3 is what gets quoted */
static void mk_quote(struct pkt *q, const struct fr *f)
{
	mk(q, f);
}

/*
 * Runs prog on in at ifindex; the verdict must be want, and the frame it
 * leaves must equal exp byte for byte (exp NULL: the input, untouched).
 */
static bool expect(int prog, int ifindex, const struct pkt *in, int want, const struct pkt *exp,
		   struct pkt_out *outp)
{
	struct pkt_out out_local, *out = outp ? outp : &out_local;
	const struct pkt *e = exp ? exp : in;
	bool ok;

	if (!ASSERT_OK(pkt_run(prog, ifindex, in, out), "BPF_PROG_TEST_RUN"))
		return false;
	ok = ASSERT_VERDICT(out->verdict, want, "verdict");
	ok &= ASSERT_EQ(out->len, e->len, "frame length");
	if (out->len == e->len)
		ok &= ASSERT_MEMEQ(out->frame, e->data, e->len, "frame");
	if (exp)
		ok &= pkt_csum_ok(out->frame, out->len);
	return ok;
}

/* Runs prog on in at ifindex for its effect on the maps: only the verdict is checked */
static bool verdict_is(int prog, int ifindex, const struct pkt *in, int want)
{
	struct pkt_out out;

	if (!ASSERT_OK(pkt_run(prog, ifindex, in, &out), "BPF_PROG_TEST_RUN"))
		return false;
	return ASSERT_VERDICT(out.verdict, want, "verdict");
}

static __u16 out_sport(const struct pkt_out *o)
{
	const struct iphdr *iph = (const void *)(o->frame + ETH_HLEN);
	const __u8 *l4 = o->frame + ETH_HLEN + iph->ihl * 4;

	if (iph->protocol == IPPROTO_ICMP)
		return ntohs(((const struct icmphdr *)l4)->un.echo.id);
	return ntohs(*(const __be16 *)l4);
}

/* ---- state ---------------------------------------------------------------- */

static __u64 drops(struct t *t, __u32 reason)
{
	struct nb_counter c = {};

	nb_maps_drops_sum(&t->maps, reason, &c);
	return c.packets;
}

static __u64 rx_packets(struct t *t, int ifindex)
{
	struct nb_ep_stats s = {};

	nb_maps_ep_stats_sum(&t->maps, ifindex, &s);
	return s.rx_packets;
}

/* ---- DNAT ---------------------------------------------------------------- */

static int c_dnat_tcp(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct nb_nat_flow f;
	__u64 rx = rx_packets(t, t->ifx[D_A]);
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
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_EQ(rx_packets(t, t->ifx[D_A]), rx + 1, "A's rx counter");
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5000, U, 8000, &f),
			  "conntrack entry");
	ok &= ASSERT_EQ(f.type, NB_CT_DNAT, "type");
	ok &= ASSERT_EQ(f.state, NB_CT_S_NEW, "state");
	ok &= ASSERT_EQ(f.nat.daddr, IP_A, "translated daddr");
	ok &= ASSERT_EQ(f.nat.dport, 80, "translated dport");
	ok &= ASSERT_TRUE(f.has_reply, "reply entry");
	return ok ? 0 : -1;
}

/* A's SYN-ACK, sent by the endpoint program straight out of the uplink */
static int c_dnat_tcp_reply_fast(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct nb_nat_flow f;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .sport = 80,
			     .dport = 5000,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .sport = 8000,
			      .dport = 5000,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5000, U, 8000, &f),
			  "conntrack entry");
	ok &= ASSERT_EQ(f.state, NB_CT_S_ESTABLISHED, "state after the reply");
	ok &= ASSERT_EQ(f.reply_packets, 1, "reply packets");
	return ok ? 0 : -1;
}

/* The same reply when the host stack forwarded it: uplink_out translates */
static int c_dnat_tcp_reply_stack(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;

	mk(&in, &(struct fr){.dmac = CLI_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = CLI,
			     .sport = 80,
			     .dport = 5000,
			     .flags = TH_ACK,
			     .ttl = 63});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .sport = 8000,
			      .dport = 5000,
			      .flags = TH_ACK,
			      .ttl = 63});
	return expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, &exp, NULL) ? 0 : -1;
}

/* unpublish: the established flow continues, a new connection is not translated */
static int c_dnat_unpublish(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp, syn;
	bool ok;

	if (!ASSERT_OK(nb_nat_publish_del(&t->maps, 0, 8000, IPPROTO_TCP), "unpublish"))
		return -1;
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
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	mk(&syn, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = U,
			      .sport = 5001,
			      .dport = 8000});
	ok &= expect(t->in, t->ifx[D_UP], &syn, TC_ACT_OK, NULL, NULL);
	ok &=
	    ASSERT_OK(nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_TCP, IP_A, 80, 1, t->ifx[D_A]),
		      "publish again");
	ok &= verdict_is(t->in, t->ifx[D_UP], &syn, TC_ACT_REDIRECT);
	return ok ? 0 : -1;
}

static int c_dnat_udp(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .sport = 5353,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .proto = IPPROTO_UDP,
			      .sport = 5353,
			      .dport = 53,
			      .ttl = 63});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* the answer, out through the endpoint program */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .proto = IPPROTO_UDP,
			     .sport = 53,
			     .dport = 5353});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .proto = IPPROTO_UDP,
			      .sport = 8000,
			      .dport = 5353,
			      .ttl = 63});
	ok &= expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

static int c_dnat_udp_zero_csum(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct pkt_out out;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .sport = 5354,
			     .dport = 8000,
			     .csum0 = true});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .proto = IPPROTO_UDP,
			      .sport = 5354,
			      .dport = 53,
			      .ttl = 63,
			      .csum0 = true});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, &out);
	ok &= ASSERT_EQ(((struct udphdr *)(out.frame + ETH_HLEN + 20))->check, 0,
			"UDP checksum stays 0");
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .proto = IPPROTO_UDP,
			     .sport = 53,
			     .dport = 5354,
			     .csum0 = true});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .proto = IPPROTO_UDP,
			      .sport = 8000,
			      .dport = 5354,
			      .ttl = 63,
			      .csum0 = true});
	ok &= expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

static int c_dnat_exact(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5100,
			     .dport = 9000});
	mk(&exp, &(struct fr){.dmac = MAC_B,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_B,
			      .sport = 5100,
			      .dport = 90,
			      .ttl = 63});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* published for U only: the gateway address (local too) is not it */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = GW1,
			     .sport = 5100,
			     .dport = 9000});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	return ok ? 0 : -1;
}

/* 0.0.0.0 means every local address: the gateway address is one */
static int c_dnat_wildcard_gateway(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = GW2,
			     .sport = 5200,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 5200,
			      .dport = 80,
			      .ttl = 63});
	return expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL) ? 0 : -1;
}

static int c_dnat_untouched(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	bool ok;

	/* unknown port */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5300,
			     .dport = 8001});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* a published port of a destination that is not local (routed through the host) */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = FAR,
			     .sport = 5300,
			     .dport = 8000});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* loopback is never reachable from outside */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = PKT_IP4(127, 0, 0, 1),
			     .sport = 5300,
			     .dport = 8000});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* TCP that does not open a connection (no conntrack entry) */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5300,
			     .dport = 8000,
			     .flags = TH_ACK});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5300,
			     .dport = 8000,
			     .flags = TH_SYN | TH_ACK});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* ICMP to the host */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHO,
			     .echo_id = 8000});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, CLI, 5300, U, 8000, NULL) &&
			      !flow_find(&t->maps, IPPROTO_TCP, CLI, 5300, FAR, 8000, NULL),
			  "no conntrack entry");
	return ok ? 0 : -1;
}

/* A SYN to the published U:8000 from src: refused as bad-source, or not */
static bool syn_from(struct t *t, __be32 src, __u16 sport, bool refused)
{
	__u64 before = drops(t, NB_DROP_BAD_SOURCE);
	struct pkt in;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = src,
			     .dip = U,
			     .sport = sport,
			     .dport = 8000});
	ok = verdict_is(t->in, t->ifx[D_UP], &in, refused ? TC_ACT_SHOT : TC_ACT_REDIRECT);
	ok &= ASSERT_EQ(drops(t, NB_DROP_BAD_SOURCE), before + refused, "bad-source counted");
	return ok;
}

/* rp_filter of up0 (and conf/all at 0), then the uplink entry that carries it */
static bool set_rp_filter(struct t *t, const char *mode)
{
	bool ok = ASSERT_OK(pkt_write_file("/proc/sys/net/ipv4/conf/all/rp_filter", "0"), "all");

	ok &= ASSERT_OK(pkt_write_file("/proc/sys/net/ipv4/conf/up0/rp_filter", mode), "up0");
	ok &= ASSERT_OK(nb_nat_uplink_put(&t->maps, t->ifx[D_UP], U), "uplink re-put");
	return ok;
}

/*
 * Source checks before DNAT (issue 19, item 6): from outside, a new flow to
 * a published port never comes from a sandbox network, the host's own
 * address, a martian; and with rp_filter the reverse route must leave by
 * the uplink (1, strict) or exist (2, loose). 203.0.113.0/24 is routed to
 * lo, 203.0.114.0/24 unreachable.
 */
static int c_dnat_bad_source(void *arg)
{
	struct t *t = arg;
	bool ok;

	ok = ASSERT_OK(system("ip route add 203.0.113.0/24 dev lo && "
			      "ip route add unreachable 203.0.114.0/24"),
		       "routes");
	ok &= set_rp_filter(t, "0");
	ok &= syn_from(t, PKT_IP4(10, 1, 0, 9), 6200, true);
	ok &= syn_from(t, PKT_IP4(10, 2, 0, 2), 6200, true);
	ok &= syn_from(t, U, 6200, true);
	ok &= syn_from(t, PKT_IP4(127, 0, 0, 1), 6200, true);
	ok &= syn_from(t, PKT_IP4(224, 0, 0, 5), 6200, true);
	/* rp_filter off: any routable outside source */
	ok &= syn_from(t, PKT_IP4(203, 0, 113, 5), 6201, false);
	ok &= syn_from(t, FAR, 6201, false);
	/* strict: the way back must be up0 */
	ok &= set_rp_filter(t, "1");
	ok &= syn_from(t, PKT_IP4(203, 0, 113, 5), 6202, true);
	ok &= syn_from(t, FAR, 6202, false);
	/* loose: any way back */
	ok &= set_rp_filter(t, "2");
	ok &= syn_from(t, PKT_IP4(203, 0, 113, 5), 6203, false);
	ok &= syn_from(t, PKT_IP4(203, 0, 114, 5), 6203, true);
	ok &= set_rp_filter(t, "0");
	return ok ? 0 : -1;
}

/*
 * To the host itself (its gateway address, its uplink address), from
 * outside, with a sandbox's address as the source: forged, dropped as
 * bad-source before the host's services (which may trust the sandbox
 * networks) see it; from an outside address it is the host's business.
 */
static int c_host_forged_source(void *arg)
{
	static const struct {
		__be32 src, dst;
		__u8 proto;
		int verdict;
	} cases[] = {
	    {PKT_IP4(10, 1, 0, 2), GW1, IPPROTO_UDP, TC_ACT_SHOT},
	    {PKT_IP4(10, 1, 0, 9), U, IPPROTO_TCP, TC_ACT_SHOT},
	    {PKT_IP4(10, 2, 0, 2), GW1, IPPROTO_TCP, TC_ACT_SHOT},
	    {PKT_IP4(10, 1, 0, 2), U, IPPROTO_ICMP, TC_ACT_SHOT},
	    {CLI, GW1, IPPROTO_UDP, TC_ACT_OK},
	    {CLI, U, IPPROTO_TCP, TC_ACT_OK},
	};
	struct t *t = arg;
	bool ok = true;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u64 before = drops(t, NB_DROP_BAD_SOURCE);
		bool shot = cases[i].verdict == TC_ACT_SHOT;
		struct pkt in;

		mk(&in, &(struct fr){.dmac = t->up_mac,
				     .smac = CLI_MAC,
				     .sip = cases[i].src,
				     .dip = cases[i].dst,
				     .proto = cases[i].proto,
				     .icmp_type = 8,
				     .sport = 5353,
				     .dport = 53});
		ok &= verdict_is(t->in, t->ifx[D_UP], &in, cases[i].verdict);
		ok &= ASSERT_EQ(drops(t, NB_DROP_BAD_SOURCE), before + shot, "bad-source counted");
	}
	return ok ? 0 : -1;
}

/* A SYN from src:sport to dst:dport: translated, or refused as not-allowed */
static bool syn_allowed(struct t *t, __be32 src, __u16 sport, __be32 dst, __u16 dport, bool allowed)
{
	__u64 before = drops(t, NB_DROP_NOT_ALLOWED);
	struct pkt in;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = src,
			     .dip = dst,
			     .sport = sport,
			     .dport = dport});
	ok = verdict_is(t->in, t->ifx[D_UP], &in, allowed ? TC_ACT_REDIRECT : TC_ACT_SHOT);
	ok &= ASSERT_EQ(drops(t, NB_DROP_NOT_ALLOWED), before + !allowed, "not-allowed counted");
	return ok;
}

/*
 * Allow-lists (`publish --allow`): a published port with a list lets in its
 * prefixes only, the longest match deciding; per nb_publish key (the exact
 * U:9000 has its own); without a list the instance's default decides.
 */
static int c_dnat_allow_list(void *arg)
{
	struct t *t = arg;
	bool ok;

	ok = syn_allowed(t, CLI, 6300, U, 8000, true);
	ok &= ASSERT_OK(nb_nat_allow_put(&t->maps, 0, 8000, IPPROTO_TCP, CLI, 32), "allow CLI");
	ok &= syn_allowed(t, CLI, 6301, U, 8000, true);
	ok &= syn_allowed(t, SRV, 6301, U, 8000, false);
	/* another protocol and another port have no list */
	ok &= syn_allowed(t, SRV, 6302, U, 9000, true);
	/* a prefix: SRV (.50) is in .48/28, SRV2 (.51) too, FAR is not */
	ok &= ASSERT_OK(nb_nat_allow_put(&t->maps, 0, 8000, IPPROTO_TCP, SRV, 28), "allow .48/28");
	ok &= syn_allowed(t, SRV, 6303, U, 8000, true);
	ok &= syn_allowed(t, SRV2, 6303, U, 8000, true);
	ok &= syn_allowed(t, FAR, 6303, U, 8000, false);
	/* the exact entry U:9000 */
	ok &= ASSERT_OK(nb_nat_allow_put(&t->maps, U, 9000, IPPROTO_TCP, FAR, 16), "allow far");
	ok &= syn_allowed(t, CLI, 6304, U, 9000, false);
	ok &= syn_allowed(t, FAR, 6304, U, 9000, true);
	/* unpublishing takes the list along: published again, the port is open */
	ok &= ASSERT_OK(nb_nat_publish_del(&t->maps, U, 9000, IPPROTO_TCP), "unpublish 9000");
	ok &=
	    ASSERT_OK(nb_nat_publish_put(&t->maps, U, 9000, IPPROTO_TCP, IP_B, 90, 1, t->ifx[D_B]),
		      "publish 9000 again");
	ok &= syn_allowed(t, CLI, 6305, U, 9000, true);
	/* the default: deny for ports without a list, which keep their own */
	ok &= ASSERT_OK(nb_nat_publish_default_set(&t->maps, true), "default deny");
	ok &= syn_allowed(t, CLI, 6306, U, 9000, false);
	ok &= syn_allowed(t, CLI, 6306, U, 8000, true);
	ok &= ASSERT_OK(nb_nat_publish_default_set(&t->maps, false), "default allow");
	ok &= ASSERT_OK(nb_nat_allow_clear(&t->maps, 0, 8000, IPPROTO_TCP), "clear");
	ok &= syn_allowed(t, FAR, 6307, U, 8000, true);
	return ok ? 0 : -1;
}

static void cut_tcp(struct pkt *p)
{
	p->len = p->l4 + 10; /* half a TCP header, tot_len says so too */
	pkt_iph(p)->tot_len = htons(p->len - p->l3);
}

static int c_dnat_malformed(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	__u32 n;
	bool ok = true;

	/* truncated TCP header, consistent lengths */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5400,
			     .dport = 8000});
	cut_tcp(&in);
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* the frame ends inside the TCP header, tot_len claims more */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5400,
			     .dport = 8000});
	in.len = in.l4 + 10;
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* IHL below 5 */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5400,
			     .dport = 8000});
	pkt_iph(&in)->ihl = 4;
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* every cut of a SYN (the IPv4 header whole): never translated, never a crash */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5401,
			     .dport = 8000});
	for (n = 0; n < (__u32)in.l4 + 20; n++) {
		struct pkt_out out;
		int err = pkt_run_raw(t->in, t->ifx[D_UP], in.data, n, &out);

		/* the kernel refuses IPv4 frames shorter than Ethernet + 20 bytes */
		if (err == -EINVAL && n < ETH_HLEN + sizeof(struct iphdr))
			continue;
		if (!ASSERT_OK(err, "test_run") ||
		    !ASSERT_VERDICT(out.verdict, TC_ACT_OK, "verdict")) {
			pkt_diag("frame of %u bytes", n);
			return -1;
		}
	}
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, CLI, 5400, U, 8000, NULL) &&
			      !flow_find(&t->maps, IPPROTO_TCP, CLI, 5401, U, 8000, NULL),
			  "no conntrack entry");
	return ok ? 0 : -1;
}

/* TTL about to expire: translated, then left to the stack (time exceeded) */
static int c_dnat_ttl1(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5500,
			     .dport = 8000,
			     .ttl = 1});
	mk(&exp, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 5500,
			      .dport = 80,
			      .ttl = 1});
	return expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, &exp, NULL) ? 0 : -1;
}

/* a target that is not an endpoint port: translated, routed by the host stack */
static int c_dnat_stack_path(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5600,
			     .dport = 8100});
	mk(&exp, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = IP_C,
			      .sport = 5600,
			      .dport = 100});
	return expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, &exp, NULL) ? 0 : -1;
}

/* A UDP datagram a host socket claims is the host's, published or not */
static int c_dnat_host_socket(void *arg)
{
	struct t *t = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(8000), .sin_addr = {U}};
	struct pkt in;
	bool ok;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(fd >= 0, "socket") ||
	    !ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0, "bind U:8000")) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .sport = 5700,
			     .dport = 8000});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	close(fd);
	ok &= verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	return ok ? 0 : -1;
}

/* A TCP flow closed by FIN from both sides; the client's next SYN from the same port is new */
static int c_ct_tcp_close(void *arg)
{
	struct nb_ct_key k = {.saddr = CLI,
			      .daddr = U,
			      .sport = htons(5800),
			      .dport = htons(8000),
			      .proto = IPPROTO_TCP};
	struct t *t = arg;
	struct pkt syn, synack, fin_c, fin_s;
	struct nb_nat_flow f;
	struct nb_ct_entry e;
	bool ok;

	mk(&syn, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = U,
			      .sport = 5800,
			      .dport = 8000});
	mk(&synack, &(struct fr){.dmac = GW1_MAC,
				 .smac = MAC_A,
				 .sip = IP_A,
				 .dip = CLI,
				 .sport = 80,
				 .dport = 5800,
				 .flags = TH_SYN | TH_ACK});
	mk(&fin_c, &(struct fr){.dmac = t->up_mac,
				.smac = CLI_MAC,
				.sip = CLI,
				.dip = U,
				.sport = 5800,
				.dport = 8000,
				.flags = TH_FIN | TH_ACK});
	mk(&fin_s, &(struct fr){.dmac = GW1_MAC,
				.smac = MAC_A,
				.sip = IP_A,
				.dip = CLI,
				.sport = 80,
				.dport = 5800,
				.flags = TH_FIN | TH_ACK});
	ok = verdict_is(t->in, t->ifx[D_UP], &syn, TC_ACT_REDIRECT);
	ok &= verdict_is(t->epf, t->ifx[D_A], &synack, TC_ACT_REDIRECT);
	ok &= verdict_is(t->in, t->ifx[D_UP], &fin_c, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5800, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_FIN, "state after one FIN");
	ok &= verdict_is(t->epf, t->ifx[D_A], &fin_s, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5800, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_CLOSED, "state after both FINs");
	ok &= ASSERT_EQ(f.expires_ns <= NB_CT_TCP_CLOSED_SECS * 1000000000ULL, 1,
			"closed flows expire fast");
	ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.ct, &k, &e), "the closed flow is in nb_ct");
	/* port reuse: a new SYN starts over */
	ok &= verdict_is(t->in, t->ifx[D_UP], &syn, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5800, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_NEW, "state after a new SYN");
	/*
	 * the closed flow's entry in nb_ct (the SYN's lookup found it there, and the
	 * new half-open flow went to nb_ct_syn) is gone: lookups try nb_ct first
	 */
	ok &= ASSERT_EQ(bpf_map_lookup_elem(t->maps.ct, &k, &e) ? errno : 0, ENOENT,
			"the closed flow's nb_ct entry deleted");
	ok &= verdict_is(t->epf, t->ifx[D_A], &synack, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5800, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_ESTABLISHED, "the new flow answered");
	return ok ? 0 : -1;
}

/* One RST or FIN outside the window: dropped as ct-invalid, the flow's state untouched */
static bool blind(struct t *t, int prog, int ifindex, const struct fr *f, __u8 proto, __be32 s,
		  __u16 sp, __be32 d, __u16 dp, __u8 want_state)
{
	__u64 before = drops(t, NB_DROP_CT_INVALID);
	struct nb_nat_flow fl;
	struct pkt in;
	bool ok;

	mk(&in, f);
	ok = expect(prog, ifindex, &in, TC_ACT_SHOT, NULL, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_CT_INVALID), before + 1, "ct-invalid counted");
	ok &= ASSERT_TRUE(flow_find(&t->maps, proto, s, sp, d, dp, &fl), "flow still there");
	ok &= ASSERT_EQ(fl.state, want_state, "state unchanged");
	return ok;
}

/*
 * Window tracking (issue 19, item 2): a RST or FIN whose sequence number is
 * outside the receiver's window is not the peer's and changes nothing, for
 * a published-port flow and for a masquerade flow; in the window it closes.
 * Every segment here carries 64,240 bytes of window (pkt_tcp()).
 */
static int c_ct_tcp_window(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	struct nb_nat_flow f;
	bool ok;

	/* published: CLI:5900 -> U:8000 -> A:80, both SYNs at sequence number 1000 */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5900,
			     .dport = 8000});
	ok = verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .sport = 80,
			     .dport = 5900,
			     .flags = TH_SYN | TH_ACK});
	ok &= verdict_is(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT);
	/* a blind RST and a blind FIN from outside, 1,000,000 beyond the window */
	ok &= blind(t, t->in, t->ifx[D_UP],
		    &(struct fr){.dmac = t->up_mac,
				 .smac = CLI_MAC,
				 .sip = CLI,
				 .dip = U,
				 .sport = 5900,
				 .dport = 8000,
				 .flags = TH_RST,
				 .seq = 1001 + 1000000},
		    IPPROTO_TCP, CLI, 5900, U, 8000, NB_CT_S_ESTABLISHED);
	ok &= blind(t, t->in, t->ifx[D_UP],
		    &(struct fr){.dmac = t->up_mac,
				 .smac = CLI_MAC,
				 .sip = CLI,
				 .dip = U,
				 .sport = 5900,
				 .dport = 8000,
				 .flags = TH_FIN | TH_ACK,
				 .seq = 1001 - 1000000},
		    IPPROTO_TCP, CLI, 5900, U, 8000, NB_CT_S_ESTABLISHED);
	/* and toward the outside (a forged RST "from A" arriving at A's endpoint) */
	ok &= blind(t, t->epf, t->ifx[D_A],
		    &(struct fr){.dmac = GW1_MAC,
				 .smac = MAC_A,
				 .sip = IP_A,
				 .dip = CLI,
				 .sport = 80,
				 .dport = 5900,
				 .flags = TH_RST | TH_ACK,
				 .seq = 1001 + 3000000},
		    IPPROTO_TCP, CLI, 5900, U, 8000, NB_CT_S_ESTABLISHED);
	/* the flow goes on */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5900,
			     .dport = 8000,
			     .flags = TH_ACK,
			     .seq = 1001});
	ok &= verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	/* the client's own RST, in the window, closes it */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 5900,
			     .dport = 8000,
			     .flags = TH_RST,
			     .seq = 1001 + 32});
	ok &= verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 5900, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_CLOSED, "closed by the in-window RST");

	/* masquerade: A:45900 -> SRV:80 as U:45900 */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV,
			     .sport = 45900,
			     .dport = 80});
	ok &= verdict_is(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .sport = 80,
			     .dport = 45900,
			     .flags = TH_SYN | TH_ACK});
	ok &= verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	ok &= blind(t, t->in, t->ifx[D_UP],
		    &(struct fr){.dmac = t->up_mac,
				 .smac = SRV_MAC,
				 .sip = SRV,
				 .dip = U,
				 .sport = 80,
				 .dport = 45900,
				 .flags = TH_RST,
				 .seq = 1001 + 200000},
		    IPPROTO_TCP, IP_A, 45900, SRV, 80, NB_CT_S_ESTABLISHED);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .sport = 80,
			     .dport = 45900,
			     .flags = TH_RST,
			     .seq = 1001});
	ok &= verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, IP_A, 45900, SRV, 80, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_CLOSED, "closed by the server's RST");
	return ok ? 0 : -1;
}

/*
 * A SYN flood from outside (issue 19, item 5): more spoofed SYNs to a
 * published port than nb_ct and nb_ct_syn hold together, from routable
 * sources, must not evict an established published flow: half-open flows
 * live apart until answered. Established flows survive; the flood's own
 * entries only push each other out.
 */
static int c_ct_syn_flood(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct pkt_out out;
	struct nb_nat_flow f;
	__u32 i, n = NB_MAX_CT + NB_MAX_CT_SYN, redirected = 0;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 7000,
			     .dport = 8000});
	ok = verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .sport = 80,
			     .dport = 7000,
			     .flags = TH_SYN | TH_ACK});
	ok &= verdict_is(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 7000, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_ESTABLISHED, "established before the flood");
	if (!ok)
		return -1;
	/* the flood: 198.19.0.0/16 (routed via RTR), every source port */
	for (i = 0; i < n; i++) {
		mk(&in, &(struct fr){.dmac = t->up_mac,
				     .smac = RTR_MAC,
				     .sip = htonl(0xc6130000 | (i >> 14)),
				     .dip = U,
				     .sport = (__u16)(1024 + (i & 0x3fff)),
				     .dport = 8000});
		if (pkt_run(t->in, t->ifx[D_UP], &in, &out)) {
			ok = ASSERT_OK(-1, "BPF_PROG_TEST_RUN during the flood");
			break;
		}
		redirected += out.verdict == TC_ACT_REDIRECT;
	}
	pkt_diag("flood: %u SYNs, %u of them translated", n, redirected);
	ok &= ASSERT_EQ(redirected, n, "the flood's SYNs were translated (no other drop)");
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, CLI, 7000, U, 8000, &f),
			  "the established flow is still there");
	ok &= ASSERT_EQ(f.state, NB_CT_S_ESTABLISHED, "and established");
	/* and it still carries traffic, both ways */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .sport = 7000,
			     .dport = 8000,
			     .flags = TH_ACK,
			     .seq = 1001});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 7000,
			      .dport = 80,
			      .flags = TH_ACK,
			      .seq = 1001,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .sport = 80,
			     .dport = 7000,
			     .flags = TH_ACK,
			     .seq = 1001});
	ok &= verdict_is(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT);
	ok &= ASSERT_OK(nb_nat_ct_flush(&t->maps, NULL), "flush the flood");
	return ok ? 0 : -1;
}

/*
 * Two published ports lead to A:80. One client port used for both: while the
 * first flow lives the second is refused (their replies would look the
 * same); once the first closed (RST) the second takes its reply tuple over.
 */
static int c_ct_reply_tuple_reuse(void *arg)
{
	struct t *t = arg;
	__u64 before = drops(t, NB_DROP_CT_INVALID);
	struct pkt syn, syn2, rst, exp;
	bool ok;

	if (!ASSERT_OK(nb_nat_publish_put(&t->maps, 0, 8300, IPPROTO_TCP, IP_A, 80, 1, t->ifx[D_A]),
		       "publish 8300"))
		return -1;
	mk(&syn, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = U,
			      .sport = 6100,
			      .dport = 8000});
	mk(&syn2, &(struct fr){.dmac = t->up_mac,
			       .smac = CLI_MAC,
			       .sip = CLI,
			       .dip = U,
			       .sport = 6100,
			       .dport = 8300});
	mk(&rst, &(struct fr){.dmac = t->up_mac,
			      .smac = CLI_MAC,
			      .sip = CLI,
			      .dip = U,
			      .sport = 6100,
			      .dport = 8000,
			      .flags = TH_RST});
	ok = verdict_is(t->in, t->ifx[D_UP], &syn, TC_ACT_REDIRECT);
	ok &= verdict_is(t->in, t->ifx[D_UP], &syn2, TC_ACT_SHOT);
	ok &= ASSERT_EQ(drops(t, NB_DROP_CT_INVALID), before + 1, "ct-invalid counted");
	ok &= verdict_is(t->in, t->ifx[D_UP], &rst, TC_ACT_REDIRECT);
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .sport = 6100,
			      .dport = 80,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &syn2, TC_ACT_REDIRECT, &exp, NULL);
	/* and A's answer now belongs to the 8300 flow */
	mk(&syn, &(struct fr){.dmac = GW1_MAC,
			      .smac = MAC_A,
			      .sip = IP_A,
			      .dip = CLI,
			      .sport = 80,
			      .dport = 6100,
			      .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .sport = 8300,
			      .dport = 6100,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok &= expect(t->epf, t->ifx[D_A], &syn, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_OK(nb_nat_publish_del(&t->maps, 0, 8300, IPPROTO_TCP), "unpublish 8300");
	return ok ? 0 : -1;
}

/* Timeouts are checked at lookup: an expired entry counts as absent */
static int c_ct_expiry(void *arg)
{
	struct t *t = arg;
	struct nb_ct_key k = {.saddr = CLI,
			      .daddr = U,
			      .sport = htons(5900),
			      .dport = htons(8000),
			      .proto = IPPROTO_UDP};
	struct nb_ct_entry e;
	struct pkt in;
	bool ok;

	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .sport = 5900,
			     .dport = 8000});
	ok = verdict_is(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT);
	if (!ASSERT_OK(bpf_map_lookup_elem(t->maps.ct, &k, &e), "entry"))
		return -1;
	e.seen_ns -= (NB_CT_UDP_NEW_SECS + 1) * 1000000000ULL;
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.ct, &k, &e, BPF_EXIST), "age it");
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_UDP, CLI, 5900, U, 8000, NULL),
			  "ct ls skips it");
	/* without the publish entry only a live conntrack entry could translate it */
	ok &= ASSERT_OK(nb_nat_publish_del(&t->maps, 0, 8000, IPPROTO_UDP), "unpublish");
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	ok &=
	    ASSERT_OK(nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_UDP, IP_A, 53, 1, t->ifx[D_A]),
		      "publish again");
	return ok ? 0 : -1;
}

/* ---- masquerade ------------------------------------------------------------ */

static int c_snat_tcp(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct nb_nat_flow f;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV,
			     .sport = 40000,
			     .dport = 80});
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .sport = 40000,
			      .dport = 80,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, IP_A, 40000, SRV, 80, &f), "flow");
	ok &= ASSERT_EQ(f.type, NB_CT_SNAT, "type");
	ok &= ASSERT_EQ(f.ifindex, t->ifx[D_A], "sandbox port of the flow");
	/* the answer comes in at the uplink and goes straight into A */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .sport = 80,
			     .dport = 40000,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_A,
			      .sport = 80,
			      .dport = 40000,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

/* B uses the same source port toward the same server: another port, both work */
static int c_snat_collision(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct pkt_out out;
	__u16 port;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_B,
			     .sip = IP_B,
			     .dip = SRV,
			     .sport = 40000,
			     .dport = 80});
	if (!ASSERT_OK(pkt_run(t->epf, t->ifx[D_B], &in, &out), "test_run") ||
	    !ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "verdict"))
		return -1;
	port = out_sport(&out);
	ok = ASSERT_NEQ(port, 40000, "translated port differs");
	ok &= ASSERT_TRUE(port >= 1024, "port in range");
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .sport = port,
			      .dport = 80,
			      .ttl = 63});
	ok &=
	    ASSERT_MEMEQ(out.frame, exp.data, exp.len, "frame") && pkt_csum_ok(out.frame, out.len);
	/* answers to each port reach their own sandbox */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .sport = 80,
			     .dport = port,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_B,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_B,
			      .sport = 80,
			      .dport = 40000,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .sport = 80,
			     .dport = 40000,
			     .flags = TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_A,
			      .sport = 80,
			      .dport = 40000,
			      .flags = TH_ACK,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

/* A host connection from U:41000 to SRV:80 owns that tuple: A's flow gets another port */
static int c_snat_host_socket(void *arg)
{
	struct t *t = arg;
	struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons(41000), .sin_addr = {U}};
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr = {SRV}};
	struct pkt in;
	struct pkt_out out;
	bool ok = false;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(fd >= 0, "socket"))
		return -1;
	if (!ASSERT_OK(bind(fd, (struct sockaddr *)&src, sizeof(src)) ? -errno : 0, "bind"))
		goto cleanup;
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) && errno != EINPROGRESS) {
		pkt_diag("connect: %s", strerror(errno));
		goto cleanup;
	}
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV,
			     .sport = 41000,
			     .dport = 80});
	if (!ASSERT_OK(pkt_run(t->epf, t->ifx[D_A], &in, &out), "test_run"))
		goto cleanup;
	ok = ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "verdict");
	ok &= ASSERT_NEQ(out_sport(&out), 41000, "the host's port is not taken");
	ok &= pkt_csum_ok(out.frame, out.len);
cleanup:
	close(fd);
	return ok ? 0 : -1;
}

/* through the stack: uplink_out translates, replies come back as on the fast path */
static int c_snat_stack_path(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = SRV,
			     .proto = IPPROTO_UDP,
			     .sport = 42000,
			     .dport = 53,
			     .ttl = 63});
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .proto = IPPROTO_UDP,
			      .sport = 42000,
			      .dport = 53,
			      .ttl = 63});
	ok = expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, &exp, NULL);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .sport = 53,
			     .dport = 42000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_A,
			      .proto = IPPROTO_UDP,
			      .sport = 53,
			      .dport = 42000,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

static int c_snat_icmp_echo(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct pkt_out out;
	__u16 id_b;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHO,
			     .echo_id = 7,
			     .echo_seq = 1});
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_ECHO,
			      .echo_id = 7,
			      .echo_seq = 1,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* B pings the same server with the same identifier */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_B,
			     .sip = IP_B,
			     .dip = SRV,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHO,
			     .echo_id = 7,
			     .echo_seq = 1});
	if (!ASSERT_OK(pkt_run(t->epf, t->ifx[D_B], &in, &out), "test_run"))
		return -1;
	id_b = out_sport(&out);
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "verdict");
	ok &= ASSERT_NEQ(id_b, 7, "B's identifier translated");
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_ECHO,
			      .echo_id = id_b,
			      .echo_seq = 1,
			      .ttl = 63});
	ok &=
	    ASSERT_MEMEQ(out.frame, exp.data, exp.len, "frame") && pkt_csum_ok(out.frame, out.len);
	/* the replies */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHOREPLY,
			     .echo_id = id_b,
			     .echo_seq = 1});
	mk(&exp, &(struct fr){.dmac = MAC_B,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_B,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_ECHOREPLY,
			      .echo_id = 7,
			      .echo_seq = 1,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHOREPLY,
			     .echo_id = 7,
			     .echo_seq = 1});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_A,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_ECHOREPLY,
			      .echo_id = 7,
			      .echo_seq = 1,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* an echo request from outside with that identifier is the host's, not A's */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHO,
			     .echo_id = 7,
			     .echo_seq = 1});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	return ok ? 0 : -1;
}

/* A two-port range: two flows to one destination, the third is refused and counted */
static int c_snat_exhausted(void *arg)
{
	struct t *t = arg;
	__u64 before = drops(t, NB_DROP_NAT_EXHAUSTED);
	struct pkt in, exp;
	struct pkt_out out;
	__u16 p1, p2;
	bool ok = true;

	if (!ASSERT_OK(nb_nat_uplink_put_range(&t->maps, t->ifx[D_UP], U, 50000, 50001), "range"))
		return -1;
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV2,
			     .sport = 1111,
			     .dport = 443});
	ok &= ASSERT_OK(pkt_run(t->epf, t->ifx[D_A], &in, &out), "flow 1");
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "flow 1 verdict");
	p1 = out_sport(&out);
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_B,
			     .sip = IP_B,
			     .dip = SRV2,
			     .sport = 1111,
			     .dport = 443});
	ok &= ASSERT_OK(pkt_run(t->epf, t->ifx[D_B], &in, &out), "flow 2");
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "flow 2 verdict");
	p2 = out_sport(&out);
	ok &= ASSERT_TRUE(p1 >= 50000 && p1 <= 50001 && p2 >= 50000 && p2 <= 50001 && p1 != p2,
			  "both ports of the range, distinct");
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV2,
			     .sport = 1112,
			     .dport = 443});
	ok &= ASSERT_OK(pkt_run(t->epf, t->ifx[D_A], &in, &out), "flow 3");
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_SHOT, "flow 3 dropped");
	ok &= ASSERT_EQ(drops(t, NB_DROP_NAT_EXHAUSTED), before + 1, "nat-exhausted counted");
	/* the same through the stack path */
	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = SRV2,
			     .sport = 1113,
			     .dport = 443,
			     .ttl = 63});
	ok &= expect(t->out, t->ifx[D_UP], &in, TC_ACT_SHOT, NULL, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_NAT_EXHAUSTED), before + 2, "nat-exhausted counted");
	/* existing flows keep working */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV2,
			     .sport = 1111,
			     .dport = 443,
			     .flags = TH_ACK});
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV2,
			      .sport = p1,
			      .dport = 443,
			      .flags = TH_ACK,
			      .ttl = 63});
	ok &= expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* another destination has its own port space */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = SRV,
			     .sport = 1112,
			     .dport = 443});
	ok &= ASSERT_OK(pkt_run(t->epf, t->ifx[D_A], &in, &out), "other destination");
	ok &= ASSERT_VERDICT(out.verdict, TC_ACT_REDIRECT, "other destination verdict");
	ok &= ASSERT_OK(nb_nat_uplink_put(&t->maps, t->ifx[D_UP], U), "default range");
	return ok ? 0 : -1;
}

/*
 * A range 80% taken in one block (as when the preferred ports of earlier
 * flows fill a sandbox's ephemeral range): a new flow must still find one of
 * the free 20%. Probing NB_NAT_TRIES consecutive ports from a random start
 * succeeds only when the start falls near the free block (~23% here);
 * independent random probes fail with probability 0.8^32 (< 0.1%). 20 new
 * flows: at least 18 must get a port of the free block.
 */
static int c_snat_dense_block(void *arg)
{
	struct t *t = arg;
	struct nb_ct_entry live = {
	    .type = NB_CT_SNAT, .dir = NB_CT_DIR_REPLY, .state = NB_CT_S_ESTABLISHED};
	struct nb_ct_key rk = {
	    .saddr = SRV2, .daddr = U, .sport = htons(444), .proto = IPPROTO_TCP};
	struct timespec ts;
	struct pkt in;
	struct pkt_out out;
	unsigned int port, got = 0, i;
	bool ok = true;

	if (!ASSERT_OK(nb_nat_uplink_put_range(&t->maps, t->ifx[D_UP], U, 40000, 40999), "range"))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	live.created_ns = live.seen_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	/* live reply entries of other flows to SRV2:444 on 40000..40799 */
	for (port = 40000; port < 40800 && ok; port++) {
		rk.dport = htons(port);
		ok &= ASSERT_OK(bpf_map_update_elem(t->maps.ct, &rk, &live, BPF_ANY) ? -errno : 0,
				"fill the block");
	}
	for (i = 0; i < 20 && ok; i++) {
		mk(&in, &(struct fr){.dmac = GW1_MAC,
				     .smac = MAC_A,
				     .sip = IP_A,
				     .dip = SRV2,
				     .sport = 2000 + i,
				     .dport = 444});
		ok &= ASSERT_OK(pkt_run(t->epf, t->ifx[D_A], &in, &out), "new flow");
		if (out.verdict == TC_ACT_REDIRECT) {
			port = out_sport(&out);
			ok &=
			    ASSERT_TRUE(port >= 40800 && port <= 40999, "a port of the free block");
			got++;
		}
	}
	if (got < 18)
		fprintf(stderr, "# %u of 20 new flows found a free port\n", got);
	ok &= ASSERT_TRUE(got >= 18, "new flows find the free 20% of the range");
	for (port = 40000; port <= 40999; port++) {
		rk.dport = htons(port);
		bpf_map_delete_elem(t->maps.ct, &rk);
	}
	ok &= ASSERT_OK(nb_nat_uplink_put(&t->maps, t->ifx[D_UP], U), "default range");
	return ok ? 0 : -1;
}

/* Masquerade off: C's packets leave with C's address, untouched */
static int c_snat_off(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW2_MAC,
			     .smac = MAC_C,
			     .sip = IP_C,
			     .dip = SRV,
			     .sport = 43000,
			     .dport = 80});
	/* the endpoint program hands it to the gateway port unchanged */
	ok = expect(t->epf, t->ifx[D_C], &in, TC_ACT_REDIRECT, NULL, NULL);
	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_C,
			     .dip = SRV,
			     .sport = 43000,
			     .dport = 80,
			     .ttl = 63});
	ok &= expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, IP_C, 43000, SRV, 80, NULL),
			  "no conntrack entry");
	return ok ? 0 : -1;
}

/* ---- what enters a sandbox network from outside (issue 19, item 3) -------- */

/* One packet from outside dropped as unpublished, counted once */
static bool unpublished(struct t *t, const struct fr *f)
{
	__u64 before = drops(t, NB_DROP_UNPUBLISHED);
	struct pkt in;
	bool ok;

	mk(&in, f);
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_SHOT, NULL, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_UNPUBLISHED), before + 1, "unpublished counted");
	return ok;
}

/*
 * Someone on the uplink's network who routes the sandbox subnets via the
 * uplink reaches no sandbox port directly: not a published container port
 * (A:80), not another (A:22, C:22 on a network without masquerade), not
 * with UDP or ICMP. The gateway addresses are the host's.
 */
static int c_in_unpublished(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	bool ok;

	ok = unpublished(t, &(struct fr){.dmac = t->up_mac,
					 .smac = CLI_MAC,
					 .sip = CLI,
					 .dip = IP_A,
					 .sport = 5400,
					 .dport = 80});
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = CLI_MAC,
					  .sip = CLI,
					  .dip = IP_A,
					  .sport = 5400,
					  .dport = 22});
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = CLI_MAC,
					  .sip = CLI,
					  .dip = IP_C,
					  .proto = IPPROTO_UDP,
					  .sport = 5400,
					  .dport = 22});
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = CLI_MAC,
					  .sip = CLI,
					  .dip = IP_C,
					  .proto = IPPROTO_ICMP,
					  .icmp_type = ICMP_ECHO,
					  .echo_id = 7});
	/* a later fragment into a sandbox network without a record */
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = CLI_MAC,
					  .sip = CLI,
					  .dip = IP_C,
					  .proto = IPPROTO_UDP,
					  .frag_off = 0x0010,
					  .later = true});
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = GW2,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_ECHO,
			     .echo_id = 7});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	return ok ? 0 : -1;
}

/*
 * C's network has no masquerade: its flows leave with C's own address,
 * tracked (routed) at uplink egress so that the answers, and only they, come
 * back in; `ct ls` does not list what it does not translate.
 */
static int c_in_routed_replies(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	__u64 rx = rx_packets(t, t->ifx[D_C]);
	bool ok;

	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_C,
			     .dip = SRV,
			     .sport = 43100,
			     .dport = 80,
			     .ttl = 63});
	ok = expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = IP_C,
			     .sport = 80,
			     .dport = 43100,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_C,
			      .smac = GW2_MAC,
			      .sip = SRV,
			      .dip = IP_C,
			      .sport = 80,
			      .dport = 43100,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_EQ(rx_packets(t, t->ifx[D_C]), rx + 1, "C's rx counted");
	/* the same server from another port: not C's flow */
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = SRV_MAC,
					  .sip = SRV,
					  .dip = IP_C,
					  .sport = 81,
					  .dport = 43100,
					  .flags = TH_SYN | TH_ACK});
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, IP_C, 43100, SRV, 80, NULL),
			  "ct ls does not list a routed flow");
	return ok ? 0 : -1;
}

/*
 * A network routed without NAT (gateway_mode_ipv4=routed) lets in what is
 * published for its sandboxes, at their own addresses (C:100, the target of
 * 8100), and nothing else; the target goes with its last published port.
 */
static int c_in_routed_network(void *arg)
{
	struct t *t = arg;
	struct nb_network n2;
	__u32 id = 2;
	struct pkt in;
	bool ok;

	if (!ASSERT_OK(bpf_map_lookup_elem(t->maps.networks, &id, &n2), "network 2"))
		return -1;
	n2.flags |= NB_NET_F_ROUTED;
	if (!ASSERT_OK(nb_maps_network_put(&t->maps, 2, &n2), "network 2 routed"))
		return -1;
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = IP_C,
			     .sport = 5401,
			     .dport = 100});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = CLI_MAC,
					  .sip = CLI,
					  .dip = IP_C,
					  .sport = 5401,
					  .dport = 101});
	/* a second published port to the same target, then both gone */
	ok &=
	    ASSERT_OK(nb_nat_publish_put(&t->maps, 0, 8101, IPPROTO_TCP, IP_C, 100, 2, t->ifx[D_C]),
		      "publish 8101");
	ok &= ASSERT_OK(nb_nat_publish_del(&t->maps, 0, 8101, IPPROTO_TCP), "unpublish 8101");
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	ok &= ASSERT_OK(nb_nat_publish_del(&t->maps, 0, 8100, IPPROTO_TCP), "unpublish 8100");
	ok &= unpublished(t, &(struct fr){.dmac = t->up_mac,
					  .smac = CLI_MAC,
					  .sip = CLI,
					  .dip = IP_C,
					  .sport = 5401,
					  .dport = 100});
	ok &= ASSERT_OK(nb_nat_publish_put(&t->maps, 0, 8100, IPPROTO_TCP, IP_C, 100, 2, 4242),
			"publish 8100 again");
	n2.flags &= ~NB_NET_F_ROUTED;
	ok &= ASSERT_OK(nb_maps_network_put(&t->maps, 2, &n2), "network 2 back");
	return ok ? 0 : -1;
}

/* Protocols without ports cannot be masqueraded: dropped rather than leaked */
static int c_snat_unsupported(void *arg)
{
	struct t *t = arg;
	__u64 before = drops(t, NB_DROP_UNSUPPORTED);
	struct pkt in;
	bool ok;

	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = SRV,
			     .proto = 47 /* GRE */,
			     .ttl = 63});
	ok = expect(t->out, t->ifx[D_UP], &in, TC_ACT_SHOT, NULL, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_UNSUPPORTED), before + 1, "unsupported counted");
	/* the host's own GRE is none of netbpf's business */
	mk(&in,
	   &(struct fr){.dmac = SRV_MAC, .smac = t->up_mac, .sip = U, .dip = SRV, .proto = 47});
	ok &= expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	return ok ? 0 : -1;
}

/* ---- ICMP errors ------------------------------------------------------------ */

/* the quoted IPv4 header's checksum (pkt_csum_check covers the outer ones) */
static bool quoted_csum_ok(const struct pkt_out *o)
{
	const __u8 *q = o->frame + ETH_HLEN + 20 + 8;

	if (pkt_csum_fold(pkt_csum_add(0, q, 20)) != 0xffff) {
		pkt_diag("quoted IPv4 header checksum is wrong");
		return false;
	}
	return true;
}

/* Port unreachable from SRV about U:40000 -> SRV:80 (A's masqueraded flow) */
static int c_icmp_err_snat(void *arg)
{
	struct t *t = arg;
	struct pkt q, qx, in, exp;
	struct pkt_out out;
	bool ok;

	mk_quote(&q, &(struct fr){.dmac = SRV_MAC,
				  .smac = t->up_mac,
				  .sip = U,
				  .dip = SRV,
				  .sport = 40000,
				  .dport = 80,
				  .ttl = 63});
	mk_quote(&qx, &(struct fr){.dmac = SRV_MAC,
				   .smac = t->up_mac,
				   .sip = IP_A,
				   .dip = SRV,
				   .sport = 40000,
				   .dport = 80,
				   .ttl = 63});
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = SRV_MAC,
			     .sip = SRV,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_DEST_UNREACH,
			     .icmp_code = ICMP_PORT_UNREACH,
			     .quote = &q});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = SRV,
			      .dip = IP_A,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_DEST_UNREACH,
			      .icmp_code = ICMP_PORT_UNREACH,
			      .quote = &qx,
			      .ttl = 63});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, &out);
	ok &= quoted_csum_ok(&out);
	return ok ? 0 : -1;
}

/* Fragmentation needed from a router about U:8000 -> CLI:5000 (a published flow) */
static int c_icmp_err_dnat(void *arg)
{
	struct t *t = arg;
	struct pkt q, qx, in, exp;
	struct pkt_out out;
	bool ok;

	mk_quote(&q, &(struct fr){.dmac = CLI_MAC,
				  .smac = t->up_mac,
				  .sip = U,
				  .dip = CLI,
				  .sport = 8000,
				  .dport = 5000,
				  .flags = TH_ACK,
				  .ttl = 63});
	mk_quote(&qx, &(struct fr){.dmac = CLI_MAC,
				   .smac = t->up_mac,
				   .sip = IP_A,
				   .dip = CLI,
				   .sport = 80,
				   .dport = 5000,
				   .flags = TH_ACK,
				   .ttl = 63});
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = RTR_MAC,
			     .sip = RTR,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_DEST_UNREACH,
			     .icmp_code = ICMP_FRAG_NEEDED,
			     .echo_seq = 1400,
			     .quote = &q});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = RTR,
			      .dip = IP_A,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_DEST_UNREACH,
			      .icmp_code = ICMP_FRAG_NEEDED,
			      .echo_seq = 1400,
			      .quote = &qx,
			      .ttl = 63});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, &out);
	ok &= quoted_csum_ok(&out);
	/* an error about a tuple nobody translated is the host's */
	mk_quote(&q, &(struct fr){.dmac = CLI_MAC,
				  .smac = t->up_mac,
				  .sip = U,
				  .dip = CLI,
				  .sport = 22,
				  .dport = 5000});
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = RTR_MAC,
			     .sip = RTR,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_DEST_UNREACH,
			     .icmp_code = ICMP_FRAG_NEEDED,
			     .quote = &q});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	return ok ? 0 : -1;
}

/* A answers an inbound UDP datagram with port unreachable: out with U:8000 quoted */
static int c_icmp_err_outbound(void *arg)
{
	struct t *t = arg;
	struct pkt q, qx, in, exp;
	struct pkt_out out;
	bool ok;

	/* the flow CLI:5353 -> U:8000/udp exists since c_dnat_udp */
	mk_quote(&q, &(struct fr){.dmac = MAC_A,
				  .smac = GW1_MAC,
				  .sip = CLI,
				  .dip = IP_A,
				  .proto = IPPROTO_UDP,
				  .sport = 5353,
				  .dport = 53,
				  .ttl = 63});
	mk_quote(&qx, &(struct fr){.dmac = MAC_A,
				   .smac = GW1_MAC,
				   .sip = CLI,
				   .dip = U,
				   .proto = IPPROTO_UDP,
				   .sport = 5353,
				   .dport = 8000,
				   .ttl = 63});
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = CLI,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_DEST_UNREACH,
			     .icmp_code = ICMP_PORT_UNREACH,
			     .quote = &q});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_DEST_UNREACH,
			      .icmp_code = ICMP_PORT_UNREACH,
			      .quote = &qx,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, &out);
	ok &= quoted_csum_ok(&out);
	return ok ? 0 : -1;
}

/* A quote long enough to hold the TCP checksum (as Linux quotes): that is fixed too */
static int c_icmp_err_long_quote(void *arg)
{
	struct t *t = arg;
	struct pkt q, qx, in, exp;
	__u8 pseudo[12] = {}, *quoted;
	struct pkt_out out;
	__u32 sum;
	bool ok;

	mk_quote(&q, &(struct fr){.dmac = CLI_MAC,
				  .smac = t->up_mac,
				  .sip = U,
				  .dip = CLI,
				  .sport = 8000,
				  .dport = 5000,
				  .flags = TH_ACK,
				  .ttl = 63});
	mk_quote(&qx, &(struct fr){.dmac = CLI_MAC,
				   .smac = t->up_mac,
				   .sip = IP_A,
				   .dip = CLI,
				   .sport = 80,
				   .dport = 5000,
				   .flags = TH_ACK,
				   .ttl = 63});
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = RTR_MAC,
			     .sip = RTR,
			     .dip = U,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_DEST_UNREACH,
			     .icmp_code = ICMP_FRAG_NEEDED,
			     .echo_seq = 1400,
			     .quote = &q,
			     .quote_l4 = 20 + 32});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = RTR,
			      .dip = IP_A,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_DEST_UNREACH,
			      .icmp_code = ICMP_FRAG_NEEDED,
			      .echo_seq = 1400,
			      .quote = &qx,
			      .quote_l4 = 20 + 32,
			      .ttl = 63});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, &out);
	ok &= quoted_csum_ok(&out);
	/* the quoted segment is whole here: its own checksum must verify */
	quoted = out.frame + ETH_HLEN + 20 + 8;
	memcpy(pseudo, quoted + 12, 8);
	pseudo[9] = IPPROTO_TCP;
	pseudo[11] = 20 + 32;
	sum = pkt_csum_add(pkt_csum_add(0, pseudo, sizeof(pseudo)), quoted + 20, 20 + 32);
	ok &= ASSERT_EQ(pkt_csum_fold(sum), 0xffff, "quoted TCP checksum");
	return ok ? 0 : -1;
}

/* The host's own time exceeded for a translated packet it forwarded: the quote is put back */
static int c_icmp_err_host(void *arg)
{
	struct t *t = arg;
	struct pkt q, qx, in, exp;
	struct pkt_out out;
	bool ok;

	mk_quote(&q, &(struct fr){.dmac = t->up_mac,
				  .smac = CLI_MAC,
				  .sip = CLI,
				  .dip = IP_A,
				  .sport = 5000,
				  .dport = 80,
				  .flags = TH_ACK,
				  .ttl = 1});
	mk_quote(&qx, &(struct fr){.dmac = t->up_mac,
				   .smac = CLI_MAC,
				   .sip = CLI,
				   .dip = U,
				   .sport = 5000,
				   .dport = 8000,
				   .flags = TH_ACK,
				   .ttl = 1});
	mk(&in, &(struct fr){.dmac = CLI_MAC,
			     .smac = t->up_mac,
			     .sip = U,
			     .dip = CLI,
			     .proto = IPPROTO_ICMP,
			     .icmp_type = ICMP_TIME_EXCEEDED,
			     .quote = &q});
	mk(&exp, &(struct fr){.dmac = CLI_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = CLI,
			      .proto = IPPROTO_ICMP,
			      .icmp_type = ICMP_TIME_EXCEEDED,
			      .quote = &qx});
	ok = expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, &exp, &out);
	ok &= quoted_csum_ok(&out);
	return ok ? 0 : -1;
}

/* ---- fragments ----------------------------------------------------------------- */

/*
 * Fragment records (issue 19, item 4): a record of a published flow must
 * not steer the later fragments of an unrelated datagram that reuses the IP
 * id (here one to the host's own port 9999, never translated), and a record
 * expires after NB_FRAG_TIMEOUT_SECS.
 */
static int c_frag_records(void *arg)
{
	struct t *t = arg;
	struct nb_frag_key k = {
	    .saddr = CLI, .daddr = U, .id = htons(0x1234), .proto = IPPROTO_UDP};
	struct nb_frag_val v;
	struct pkt first, later;
	struct timespec ts;
	bool ok;

	mk(&first, &(struct fr){.dmac = t->up_mac,
				.smac = CLI_MAC,
				.sip = CLI,
				.dip = U,
				.proto = IPPROTO_UDP,
				.sport = 6100,
				.dport = 8000,
				.frag_off = 0x2000,
				.payload = 64});
	mk(&later, &(struct fr){.dmac = t->up_mac,
				.smac = CLI_MAC,
				.sip = CLI,
				.dip = U,
				.proto = IPPROTO_UDP,
				.later = true,
				.frag_off = 9,
				.payload = 40});
	ok = verdict_is(t->in, t->ifx[D_UP], &first, TC_ACT_REDIRECT);
	ok &= verdict_is(t->in, t->ifx[D_UP], &later, TC_ACT_REDIRECT);
	/* the same IP id, a datagram to the host's own port: its first fragment is not
	 * translated, so neither is its later one (it would leak host data into A) */
	mk(&first, &(struct fr){.dmac = t->up_mac,
				.smac = CLI_MAC,
				.sip = CLI,
				.dip = U,
				.proto = IPPROTO_UDP,
				.sport = 6100,
				.dport = 9999,
				.frag_off = 0x2000,
				.payload = 64});
	ok &= expect(t->in, t->ifx[D_UP], &first, TC_ACT_OK, NULL, NULL);
	ok &= expect(t->in, t->ifx[D_UP], &later, TC_ACT_OK, NULL, NULL);
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(t->maps.frags, &k, &v) != 0, "record void");
	/* a record older than the timeout steers nothing, and goes */
	v = (struct nb_frag_val){.sport = htons(6100), .dport = htons(8000)};
	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	v.seen_ns =
	    ts.tv_sec * 1000000000ULL + ts.tv_nsec - (NB_FRAG_TIMEOUT_SECS + 1) * 1000000000ULL;
	ok &= ASSERT_OK(bpf_map_update_elem(t->maps.frags, &k, &v, BPF_ANY), "old record");
	ok &= expect(t->in, t->ifx[D_UP], &later, TC_ACT_OK, NULL, NULL);
	ok &= ASSERT_TRUE(bpf_map_lookup_elem(t->maps.frags, &k, &v) != 0, "expired record gone");
	return ok ? 0 : -1;
}

static int c_frag(void *arg)
{
	struct t *t = arg;
	__u64 before = drops(t, NB_DROP_FRAG);
	struct pkt in, exp;
	bool ok;

	/* first fragment of a datagram to the published UDP port */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .sport = 6000,
			     .dport = 8000,
			     .frag_off = 0x2000,
			     .payload = 64});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .proto = IPPROTO_UDP,
			      .sport = 6000,
			      .dport = 53,
			      .ttl = 63,
			      .frag_off = 0x2000,
			      .payload = 64});
	ok = expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* a later fragment: no ports, same IP id */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .later = true,
			     .frag_off = 9,
			     .payload = 40});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = CLI,
			      .dip = IP_A,
			      .proto = IPPROTO_UDP,
			      .later = true,
			      .frag_off = 9,
			      .payload = 40,
			      .ttl = 63});
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_REDIRECT, &exp, NULL);
	/* a later fragment of a datagram nobody translated: the host's */
	mk(&in, &(struct fr){.dmac = t->up_mac,
			     .smac = CLI_MAC,
			     .sip = CLI,
			     .dip = U,
			     .proto = IPPROTO_UDP,
			     .later = true,
			     .frag_off = 9,
			     .payload = 40});
	pkt_iph(&in)->id = htons(0x4321);
	pkt_finish(&in);
	ok &= expect(t->in, t->ifx[D_UP], &in, TC_ACT_OK, NULL, NULL);
	/* ... but leaving a masquerading network untranslated it would leak: dropped */
	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = SRV,
			     .proto = IPPROTO_UDP,
			     .later = true,
			     .frag_off = 9,
			     .payload = 40,
			     .ttl = 63});
	ok &= expect(t->out, t->ifx[D_UP], &in, TC_ACT_SHOT, NULL, NULL);
	ok &= ASSERT_EQ(drops(t, NB_DROP_FRAG), before + 1, "frag counted");
	/* a masqueraded datagram: first and later fragment out through the stack path */
	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = SRV,
			     .proto = IPPROTO_UDP,
			     .sport = 44000,
			     .dport = 53,
			     .frag_off = 0x2000,
			     .payload = 64,
			     .ttl = 63});
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .proto = IPPROTO_UDP,
			      .sport = 44000,
			      .dport = 53,
			      .frag_off = 0x2000,
			      .payload = 64,
			      .ttl = 63});
	ok &= expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, &exp, NULL);
	mk(&in, &(struct fr){.dmac = SRV_MAC,
			     .smac = t->up_mac,
			     .sip = IP_A,
			     .dip = SRV,
			     .proto = IPPROTO_UDP,
			     .later = true,
			     .frag_off = 9,
			     .payload = 40,
			     .ttl = 63});
	mk(&exp, &(struct fr){.dmac = SRV_MAC,
			      .smac = t->up_mac,
			      .sip = U,
			      .dip = SRV,
			      .proto = IPPROTO_UDP,
			      .later = true,
			      .frag_off = 9,
			      .payload = 40,
			      .ttl = 63});
	ok &= expect(t->out, t->ifx[D_UP], &in, TC_ACT_OK, &exp, NULL);
	return ok ? 0 : -1;
}

/* ---- hairpin ------------------------------------------------------------------- */

static int c_hairpin(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	struct nb_nat_flow f;
	bool ok;

	/* B -> U:8000 lands in A, from the gateway */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_B,
			     .sip = IP_B,
			     .dip = U,
			     .sport = 45000,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = GW1,
			      .dip = IP_A,
			      .sport = 45000,
			      .dport = 80,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_B], &in, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, IP_B, 45000, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.type, NB_CT_HAIRPIN, "type");
	/* A's answer to its gateway goes back into B, from U:8000 */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = GW1,
			     .sport = 80,
			     .dport = 45000,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_B,
			      .smac = GW1_MAC,
			      .sip = U,
			      .dip = IP_B,
			      .sport = 8000,
			      .dport = 45000,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok &= expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	ok &= ASSERT_TRUE(flow_find(&t->maps, IPPROTO_TCP, IP_B, 45000, U, 8000, &f), "flow");
	ok &= ASSERT_EQ(f.state, NB_CT_S_ESTABLISHED, "state");
	return ok ? 0 : -1;
}

static int c_hairpin_self(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = U,
			     .sport = 46000,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = GW1,
			      .dip = IP_A,
			      .sport = 46000,
			      .dport = 80,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = GW1,
			     .sport = 80,
			     .dport = 46000,
			     .flags = TH_SYN | TH_ACK});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = U,
			      .dip = IP_A,
			      .sport = 8000,
			      .dport = 46000,
			      .flags = TH_SYN | TH_ACK,
			      .ttl = 63});
	ok &= expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

/* From another network, through its own gateway address: the published port is the way in */
static int c_hairpin_cross_network(void *arg)
{
	struct t *t = arg;
	struct pkt in, exp;
	bool ok;

	mk(&in, &(struct fr){.dmac = GW2_MAC,
			     .smac = MAC_C,
			     .sip = IP_C,
			     .dip = GW2,
			     .proto = IPPROTO_UDP,
			     .sport = 47000,
			     .dport = 8000});
	mk(&exp, &(struct fr){.dmac = MAC_A,
			      .smac = GW1_MAC,
			      .sip = GW1,
			      .dip = IP_A,
			      .proto = IPPROTO_UDP,
			      .sport = 47000,
			      .dport = 53,
			      .ttl = 63});
	ok = expect(t->epf, t->ifx[D_C], &in, TC_ACT_REDIRECT, &exp, NULL);
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = GW1,
			     .proto = IPPROTO_UDP,
			     .sport = 53,
			     .dport = 47000});
	mk(&exp, &(struct fr){.dmac = MAC_C,
			      .smac = GW2_MAC,
			      .sip = GW2,
			      .dip = IP_C,
			      .proto = IPPROTO_UDP,
			      .sport = 8000,
			      .dport = 47000,
			      .ttl = 63});
	ok &= expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, &exp, NULL);
	return ok ? 0 : -1;
}

/* The sandbox's answers to the host's own connections are not hairpin flows */
static int c_hairpin_not_host_replies(void *arg)
{
	struct t *t = arg;
	struct pkt in;
	bool ok;

	/* A answers a host connection GW1:8000 -> A:80 (port 8000 happens to be published) */
	mk(&in, &(struct fr){.dmac = GW1_MAC,
			     .smac = MAC_A,
			     .sip = IP_A,
			     .dip = GW1,
			     .sport = 80,
			     .dport = 8000,
			     .flags = TH_SYN | TH_ACK});
	ok = expect(t->epf, t->ifx[D_A], &in, TC_ACT_REDIRECT, NULL, NULL);
	ok &= ASSERT_TRUE(!flow_find(&t->maps, IPPROTO_TCP, IP_A, 80, GW1, 8000, NULL),
			  "no conntrack entry");
	return ok ? 0 : -1;
}

/* ---- conntrack listing and flush ---------------------------------------------- */

struct count {
	int n[4];
};

static int count_cb(const struct nb_nat_flow *f, void *arg)
{
	struct count *c = arg;

	if (f->type < 4)
		c->n[f->type]++;
	return 0;
}

static int c_ct_ls_flush(void *arg)
{
	struct t *t = arg;
	struct count c = {};
	char buf[NB_NAT_TUPLE_STRLEN];
	struct nb_nat_flow f;
	size_t n = 0;
	json_t *j;
	bool ok;

	ok = ASSERT_OK(nb_nat_ct_foreach(&t->maps, count_cb, &c), "foreach");
	ok &= ASSERT_TRUE(c.n[NB_CT_DNAT] > 0 && c.n[NB_CT_SNAT] > 0 && c.n[NB_CT_HAIRPIN] > 0,
			  "published, masqueraded and hairpin flows side by side");
	if (flow_find(&t->maps, IPPROTO_TCP, IP_A, 40000, SRV, 80, &f)) {
		ok &= ASSERT_TRUE(!strcmp(nb_nat_tuple_str(&f.nat, f.proto, buf),
					  "198.18.0.1:40000 -> 198.18.0.50:80"),
				  "tuple string");
		j = nb_nat_flow_json(&f);
		ok &= ASSERT_TRUE(
		    j && !strcmp(json_string_value(json_object_get(j, "type")), "snat"), "json");
		json_decref(j);
	} else {
		ok = ASSERT_TRUE(false, "masquerade flow listed");
	}
	ok &= ASSERT_OK(nb_nat_ct_flush(&t->maps, &n), "flush");
	ok &= ASSERT_TRUE(n > 0, "entries flushed");
	memset(&c, 0, sizeof(c));
	ok &= ASSERT_OK(nb_nat_ct_foreach(&t->maps, count_cb, &c), "foreach");
	ok &= ASSERT_EQ(c.n[1] + c.n[2] + c.n[3], 0, "empty after flush");
	return ok ? 0 : -1;
}

static int c_publish_foreach(void *arg)
{
	struct t *t = arg;
	struct nb_publish_val v;
	bool ok;

	ok = ASSERT_OK(nb_nat_publish_get(&t->maps, 0, 8000, IPPROTO_TCP, &v), "get");
	ok &= ASSERT_TRUE(v.conns >= 5, "connections counted");
	ok &= ASSERT_EQ(nb_nat_publish_put(&t->maps, 0, 0, IPPROTO_TCP, IP_A, 80, 1, 1), -EINVAL,
			"port 0 refused");
	ok &= ASSERT_EQ(nb_nat_publish_put(&t->maps, 0, 80, IPPROTO_ICMP, IP_A, 80, 1, 1), -EINVAL,
			"ICMP refused");
	return ok ? 0 : -1;
}

/* ---- the cost of a new flow ------------------------------------------------ */

/*
 * Runs prog once on in at ifindex: the verdict, the run's time in *ns (the
 * kernel's clock) and the frame it left in *out.
 */
static int run_timed(int prog, __u32 ifindex, const struct pkt *in, __u32 *ns, struct pkt *out)
{
	struct __sk_buff ctx = {.ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out->data, .data_size_out = sizeof(out->data), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &opts))
		return -errno;
	*ns = opts.duration;
	out->len = opts.data_size_out;
	return (int)opts.retval;
}

#define NEWFLOWS 2000

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * NEWFLOWS connections to a published port, each opened as a client and the
 * sandbox do it: SYN in through uplink_in, SYN-ACK out through the endpoint
 * program (promoted out of nb_ct_syn) and, translated, through uplink_out
 * (the uplink's egress, where the endpoint redirected it), ACK in through
 * uplink_in again. Every packet must be translated and redirected (uplink_out
 * lets the translated SYN-ACK go). What each step costs is printed
 * as a diagnostic (issue 20's new-connection path; never asserted: a shared
 * machine's timings are noise to a test).
 */
static int c_newflow_path(void *arg)
{
	struct t *t = arg;
	static __u32 ns[4][NEWFLOWS];
	static struct pkt out;
	__u32 i, k, bad = 0;
	struct pkt syn, synack, ack;
	int v[4];

	for (i = 0; i < NEWFLOWS; i++) {
		__u16 sport = (__u16)(40000 + i);

		mk(&syn, &(struct fr){.dmac = t->up_mac,
				      .smac = CLI_MAC,
				      .sip = CLI,
				      .dip = U,
				      .sport = sport,
				      .dport = 8000});
		mk(&synack, &(struct fr){.dmac = GW1_MAC,
					 .smac = MAC_A,
					 .sip = IP_A,
					 .dip = CLI,
					 .sport = 80,
					 .dport = sport,
					 .flags = TH_SYN | TH_ACK});
		mk(&ack, &(struct fr){.dmac = t->up_mac,
				      .smac = CLI_MAC,
				      .sip = CLI,
				      .dip = U,
				      .sport = sport,
				      .dport = 8000,
				      .flags = TH_ACK,
				      .seq = 1001});
		v[0] = run_timed(t->in, t->ifx[D_UP], &syn, &ns[0][i], &out);
		v[1] = run_timed(t->epf, t->ifx[D_A], &synack, &ns[1][i], &out);
		v[2] = run_timed(t->out, t->ifx[D_UP], &out, &ns[2][i], &out);
		v[3] = run_timed(t->in, t->ifx[D_UP], &ack, &ns[3][i], &out);
		if (v[0] != TC_ACT_REDIRECT || v[1] != TC_ACT_REDIRECT || v[2] != TC_ACT_OK ||
		    v[3] != TC_ACT_REDIRECT) {
			if (!bad++)
				pkt_diag("flow %u: verdicts %s %s %s %s", i, pkt_verdict_name(v[0]),
					 pkt_verdict_name(v[1]), pkt_verdict_name(v[2]),
					 pkt_verdict_name(v[3]));
		}
	}
	/* medians: another task preempting one run moves a mean, not them */
	for (k = 0; k < 4; k++)
		qsort(ns[k], NEWFLOWS, sizeof(ns[k][0]), cmp_u32);
	pkt_diag("new flow, median of %u: uplink_in SYN %u ns, endpoint SYN-ACK %u ns, "
		 "uplink_out SYN-ACK %u ns, uplink_in ACK %u ns (not asserted)",
		 NEWFLOWS, ns[0][NEWFLOWS / 2], ns[1][NEWFLOWS / 2], ns[2][NEWFLOWS / 2],
		 ns[3][NEWFLOWS / 2]);
	return ASSERT_EQ(bad, 0, "flows with a packet not redirected") ? 0 : -1;
}

static const struct pkt_case cases[] = {
    {"dnat: TCP SYN to 0.0.0.0:8000 -> A:80, redirected into A", c_dnat_tcp},
    {"dnat: A's reply leaves from U:8000 through the FIB (endpoint fast path)",
     c_dnat_tcp_reply_fast},
    {"dnat: a reply forwarded by the host stack is translated at uplink egress",
     c_dnat_tcp_reply_stack},
    {"dnat: unpublish keeps the flow, refuses new connections", c_dnat_unpublish},
    {"dnat: UDP both ways", c_dnat_udp},
    {"dnat: UDP checksum 0 stays 0 both ways", c_dnat_udp_zero_csum},
    {"dnat: exact host address entry wins, only for its address", c_dnat_exact},
    {"dnat: 0.0.0.0 covers every local address (gateway address)", c_dnat_wildcard_gateway},
    {"dnat: unknown port, non-local, loopback, non-SYN, ICMP untouched", c_dnat_untouched},
    {"dnat: truncated and malformed packets untouched", c_dnat_malformed},
    {"dnat: spoofed sources refused, rp_filter strict and loose applied", c_dnat_bad_source},
    {"from outside to the host, a sandbox network's source address is refused as bad-source",
     c_host_forged_source},
    {"dnat: allow-lists per published port, the instance's default", c_dnat_allow_list},
    {"dnat: TTL 1 is translated and left to the stack", c_dnat_ttl1},
    {"dnat: target without endpoint port goes through the stack", c_dnat_stack_path},
    {"dnat: a host UDP socket on the port keeps its datagrams", c_dnat_host_socket},
    {"conntrack: FIN both ways closes, SYN on a closed flow reopens", c_ct_tcp_close},
    {"conntrack: an expired entry counts as absent", c_ct_expiry},
    {"conntrack: RST/FIN outside the TCP window change nothing (dnat, snat)", c_ct_tcp_window},
    {"conntrack: a live reply tuple refuses a second flow, a closed one is reused",
     c_ct_reply_tuple_reuse},
    {"snat: A -> SRV keeps its port, the answer comes back into A", c_snat_tcp},
    {"snat: same source port from B gets another port, both answered", c_snat_collision},
    {"snat: a host connection's tuple is never reused", c_snat_host_socket},
    {"snat: through the stack at uplink egress, answer at ingress", c_snat_stack_path},
    {"snat: ICMP echo identifiers translated, requests from outside untouched", c_snat_icmp_echo},
    {"snat: exhausted port range drops new flows (counted), old flows live", c_snat_exhausted},
    {"snat: a range taken in one dense block still yields its free ports", c_snat_dense_block},
    {"snat: masquerade off leaves C's packets alone", c_snat_off},
    {"snat: protocols without ports dropped, host's untouched", c_snat_unsupported},
    {"inbound: no sandbox port is reachable at its own address, the gateway is", c_in_unpublished},
    {"inbound: a routed network's flows are tracked, their answers (only) come back",
     c_in_routed_replies},
    {"inbound: gateway_mode routed lets in published container ports only", c_in_routed_network},
    {"icmp: port unreachable about a masqueraded flow reaches A", c_icmp_err_snat},
    {"icmp: fragmentation needed about a published flow reaches A", c_icmp_err_dnat},
    {"icmp: A's port unreachable leaves quoting the published address", c_icmp_err_outbound},
    {"icmp: a quote holding the TCP checksum gets it fixed", c_icmp_err_long_quote},
    {"icmp: the host's time exceeded about a forwarded DNAT packet quotes the published address",
     c_icmp_err_host},
    {"frag: first and later fragments translated, unknown ones handled", c_frag},
    {"frag: an IP id reused by the host's datagram, an expired record: nothing steered",
     c_frag_records},
    {"hairpin: B -> U:8000 reaches A from the gateway, and back", c_hairpin},
    {"hairpin: A reaches its own published port", c_hairpin_self},
    {"hairpin: C (other network) reaches A through its own gateway address",
     c_hairpin_cross_network},
    {"hairpin: replies to the host's connections are left to the switch",
     c_hairpin_not_host_replies},
    {"conntrack: ct foreach shows every kind, flush empties", c_ct_ls_flush},
    {"publish: connection counter, bad entries refused", c_publish_foreach},
    /* last: the flood pushes every half-open flow of the cases before out */
    {"conntrack: a SYN flood larger than conntrack evicts no established flow", c_ct_syn_flood},
    {"new flows: SYN, SYN-ACK, ACK of 2,000 connections all translated and redirected",
     c_newflow_path},
};

/* ---- setup ------------------------------------------------------------------- */

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
		err = pkt_neigh_add(t->ifx[D_UP], SRV2, SRV_MAC);
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
	t->in = bpf_program__fd(t->up->progs.uplink_in);
	t->out = bpf_program__fd(t->up->progs.uplink_out);
	t->epf = bpf_program__fd(t->ep->progs.endpoint);
	return nb_maps_open_pinned(t->env.pin_dir, &t->maps);
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
				.flags = NB_NET_F_ICC,
				.mtu = 1500};
	struct nb_port a = {.net_id = 1, .kind = NB_PORT_ENDPOINT, .ip = IP_A};
	struct nb_port b = {.net_id = 1, .kind = NB_PORT_ENDPOINT, .ip = IP_B};
	struct nb_port c = {.net_id = 2, .kind = NB_PORT_ENDPOINT, .ip = IP_C};
	int err;

	memcpy(n1.gw_mac, GW1_MAC, ETH_ALEN);
	memcpy(n2.gw_mac, GW2_MAC, ETH_ALEN);
	memcpy(a.mac, MAC_A, ETH_ALEN);
	memcpy(b.mac, MAC_B, ETH_ALEN);
	memcpy(c.mac, MAC_C, ETH_ALEN);
	err = nb_maps_network_put(&t->maps, 1, &n1);
	err = err ?: nb_maps_network_put(&t->maps, 2, &n2);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_A], &a);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_B], &b);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_C], &c);
	err = err ?: nb_nat_uplink_put(&t->maps, t->ifx[D_UP], U);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_TCP, IP_A, 80, 1, t->ifx[D_A]);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_UDP, IP_A, 53, 1, t->ifx[D_A]);
	err = err ?: nb_nat_publish_put(&t->maps, U, 9000, IPPROTO_TCP, IP_B, 90, 1, t->ifx[D_B]);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8100, IPPROTO_TCP, IP_C, 100, 2, 4242);
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
	if (!pkt_tap(!err, "setup: uplink and endpoint programs load, maps pinned"))
		goto cleanup;
	err = setup_maps(&t);
	if (!pkt_tap(!err, "setup: networks, endpoints, uplink, published ports written"))
		goto cleanup;
	pkt_run_cases(cases, sizeof(cases) / sizeof(cases[0]), &t);
cleanup:
	if (err)
		pkt_diag("setup failed: %s", strerror(-err));
	nb_maps_close(&t.maps);
	endpoint_bpf__destroy(t.ep);
	uplink_bpf__destroy(t.up);
	pkt_env_leave(&t.env);
	return pkt_tap_done() ? 1 : 0;
}
