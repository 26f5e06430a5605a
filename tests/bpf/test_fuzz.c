// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Packet fuzzing: random and mutated frames through every tc program
 * ("endpoint", "gateway", "uplink_in", "uplink_out") with BPF_PROG_TEST_RUN,
 * each result checked against a reference model of what the program may do.
 *
 * Frames start from a corpus of valid ones that reach every path of the data
 * plane (switching, ARP, gateway, published-port DNAT and its replies,
 * masquerade, ICMP, fragments), then get mutations: truncation, bad IHL and
 * total length, IP options, fragment bits and offsets, VLAN tags, TCP data
 * offset and flags, UDP length, bit flips, random bytes, wrong source MAC/IP.
 *
 * The model (what must hold for every frame, whatever the mutation):
 *   1. the run succeeds (the kernel may refuse a frame too short for its
 *      ethertype: counted, not a failure) and the verdict is TC_ACT_OK,
 *      TC_ACT_SHOT or TC_ACT_REDIRECT -- never a leaked -NB_DROP_* code;
 *   2. every TC_ACT_SHOT is counted in nb_drops (no silent drop);
 *   3. a structurally malformed IPv4 packet (IHL < 5, header beyond the
 *      frame, total length shorter than the header or longer than the frame)
 *      is never forwarded (REDIRECT); from a sandbox it is dropped and counted
 *      as "malformed";
 *   4. a sandbox never gets a frame past its endpoint with a source MAC other
 *      than its own, nor an IPv4 packet with another source address, nor an
 *      IPv6 packet from another address than its link-local one or its
 *      IPv6 address (network 1 is dual stack; anti-spoofing is map state:
 *      nb_ports);
 *   5. every frame a program rewrote, whose input had valid checksums and is
 *      not a fragment, leaves with valid IPv4 and L4 checksums (recomputed
 *      from scratch by pkt_csum_check());
 *   6. from a sandbox, an IPv6 router advertisement or redirect (also behind
 *      extension headers) is never forwarded, nor any IPv6 frame to the
 *      gateway of network 2, which has no IPv6 (it must not reach the host);
 *   7. from outside, no TCP SYN or ICMP echo request addressed to a sandbox
 *      (not its gateway) is let in: only published host ports open flows;
 *   8. a TCP RST or FIN whose sequence number is more than the receiver's
 *      window away from what its side sent changes no conntrack state;
 *   9. at the uplink's ingress, a later fragment of a datagram whose first
 *      fragment went through untranslated is never steered (rewritten or
 *      redirected), whatever record an earlier datagram left;
 *  10. at the uplink's ingress, TCP or UDP from a source that cannot be
 *      outside (a sandbox network, the uplink's own address, a martian) is
 *      never translated;
 *  11. the allow-list of the published U:9000/tcp (CLI only) holds: no SYN
 *      from another source is translated;
 *  12. IPv6 link control nobody needs, multicast by a sandbox (router
 *      solicitation, MLD: bpf/lib/mcast.bpf.h), from :: or its link-local
 *      address in a well-formed packet, is dropped and counted as
 *      "link-control", never flooded; neighbour discovery may be (DAD for a
 *      free address, bpf/lib/nd.bpf.h); nothing else is counted as
 *      link-control;
 *  14. from outside, an IPv6 packet to a sandbox's IPv6 address enters
 *      exactly when nb_ct6 holds the flow it answers (which uplink_out
 *      recorded from the sandbox's own packets);
 *  13. a frame a switch program rewrote into IPv6 is a neighbour
 *      advertisement sent back to the asker (or all-nodes), with hop limit
 *      255 and a valid ICMPv6 checksum, from the MAC and address of the
 *      link-local target, which another port of the same network holds.
 *
 * NB_FUZZ_PACKETS (default 50000) frames, NB_FUZZ_SEED (default: the time,
 * printed so a failure can be replayed). `make fuzz` runs 1,000,000.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include "maps.h"
#include "nat.h"
#include "endpoint.skel.h"
#include "gateway.skel.h"
#include "uplink.skel.h"

#define MAC(a, b, c, d)                                                                            \
	{                                                                                          \
		0x02, 0x42, a, b, c, d                                                             \
	}

#define U    PKT_IP4(198, 18, 0, 1)
#define CLI  PKT_IP4(198, 18, 0, 9)
#define RTR  PKT_IP4(198, 18, 0, 254)
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
static const __u8 BCAST[ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const __u8 ZERO_MAC[ETH_ALEN];
/*
 * network 1 has IPv6 (2001:db8:1::/64): A, B and the gateway hold these; network 2 has none.
 * A global prefix: routed through the uplink as it is (a ULA one would be masqueraded, NAT66,
 * and rule 14's replies to the sandboxes' own addresses would never come)
 */
static const __u8 IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2};
static const __u8 IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 3};
static const __u8 GW6_1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};
static const __u8 WORLD6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};

enum dev { D_UP, D_A, D_B, D_C, D_P1, D_P2, N_DEV };

static const char *const dev_name[N_DEV][2] = {
    [D_UP] = {"up0", "up0p"}, [D_A] = {"nbeA", "sbA"},	 [D_B] = {"nbeB", "sbB"},
    [D_C] = {"nbeC", "sbC"},  [D_P1] = {"nbp1", "nbg1"}, [D_P2] = {"nbp2", "nbg2"},
};

/* a program and the device it runs on */
enum hook { H_EP_A, H_EP_B, H_EP_C, H_GW1, H_GW2, H_UP_IN, H_UP_OUT, N_HOOK };

static const char *const hook_name[N_HOOK] = {
    "endpoint@nbeA", "endpoint@nbeB", "endpoint@nbeC",	"gateway@nbp1",
    "gateway@nbp2",  "uplink_in@up0", "uplink_out@up0",
};

struct t {
	struct pkt_env env;
	struct endpoint_bpf *ep;
	struct gateway_bpf *gw;
	struct uplink_bpf *up;
	struct nb_maps maps;
	int ifx[N_DEV], peer[N_DEV];
	__u8 up_mac[ETH_ALEN];
	int prog[N_HOOK], ifindex[N_HOOK];
	__u64 rng;
	/* what happened, for the summary */
	unsigned long runs, refused, verdicts[3], rewritten, csum_checked, malformed, link_control;
	unsigned long nd_answers, ct6_replies;
	unsigned long failures;
	/* rule 9: the identities (addresses, IP id, protocol) whose last first fragment at
	 * the uplink's ingress went through untranslated */
	struct frag_id {
		__be32 saddr, daddr;
		__be16 id;
		__u8 proto;
		bool used;
	} untranslated[64];
	unsigned int untranslated_next;
};

/* ---- random numbers: xorshift64*, seeded, so a failing seed replays --------- */

static __u64 rnd(struct t *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545F4914F6CDD1DULL;
}

static __u32 below(struct t *t, __u32 n)
{
	return n ? (__u32)(rnd(t) % n) : 0;
}

static bool chance(struct t *t, __u32 percent)
{
	return below(t, 100) < percent;
}

/* ---- the corpus: one valid frame per path, built on demand ------------------- */

static void l4(struct t *t, struct pkt *p, __u8 proto, __u16 sport, __u16 dport)
{
	if (proto == IPPROTO_TCP)
		pkt_tcp(p, sport, dport, (__u32)rnd(t), (__u32)rnd(t),
			(__u8)(chance(t, 50) ? TH_SYN : (below(t, 64) | TH_ACK)));
	else if (proto == IPPROTO_UDP)
		pkt_udp(p, sport, dport);
	else
		pkt_icmp(p, chance(t, 70) ? ICMP_ECHO : ICMP_ECHOREPLY, 0, (__u16)rnd(t), 1);
	pkt_put(p, NULL, below(t, 200));
	p->udp_csum_zero = proto == IPPROTO_UDP && chance(t, 10);
}

static __u8 any_proto(struct t *t)
{
	static const __u8 protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	return protos[below(t, 3)];
}

/* fe80::/64 + EUI-64 of mac: the link-local address a sandbox has */
static void ll_of(const __u8 *mac, __u8 *a)
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = mac[0] ^ 2;
	a[9] = mac[1];
	a[10] = mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = mac[3];
	a[14] = mac[4];
	a[15] = mac[5];
}

/*
 * A neighbour solicitation or advertisement from smac on network net: for a
 * neighbour's, the gateway's, its own or nobody's link-local address, from
 * its link-local address or :: (DAD), to the solicited-node group, all-nodes
 * or a unicast MAC, with or without a link-layer option, now and then its
 * checksum or hop limit wrong.
 */
static void nd_frame(struct t *t, struct pkt *p, const __u8 *smac, int net)
{
	static const __u8 *const n1[] = {MAC_A, MAC_B, GW1_MAC, CLI_MAC};
	static const __u8 *const n2[] = {MAC_C, GW2_MAC, MAC_A, CLI_MAC};
	const __u8 *tmac = net == 1 ? n1[below(t, 4)] : n2[below(t, 4)];
	__u8 src[16], dst[16], target[16];
	bool na = chance(t, 25), dad = !na && chance(t, 25), uni = chance(t, 25);

	ll_of(smac, src);
	if (dad)
		memset(src, 0, 16);
	ll_of(tmac, target);
	/* on network 1 also a global address: the neighbour's, the gateway's, nobody's */
	if (net == 1 && chance(t, 30))
		memcpy(target,
		       tmac == MAC_A	 ? IP6_A
		       : tmac == MAC_B	 ? IP6_B
		       : tmac == GW1_MAC ? GW6_1
					 : WORLD6,
		       16);
	if (uni) {
		memcpy(dst, target, 16);
	} else {
		memcpy(dst, (const __u8[16]){0xff, 0x02, [11] = 1, [12] = 0xff}, 16);
		memcpy(dst + 13, target + 13, 3);
	}
	if (na && chance(t, 70))
		memcpy(target, src, 16); /* its own: an unsolicited advertisement */
	pkt_eth(p, uni ? tmac : (const __u8[]){0x33, 0x33, 0xff, dst[13], dst[14], dst[15]}, smac,
		ETH_P_IPV6);
	pkt_ipv6(p, src, dst, IPPROTO_ICMPV6);
	pkt_ip6h(p)->ip6_hlim = chance(t, 5) ? 64 : 255;
	pkt_icmp6(p, na ? 136 : 135, 0);
	pkt_put(p, (const __u8[]){na ? 0x20 : 0, 0, 0, 0}, 4);
	pkt_put(p, target, 16);
	if (chance(t, 60) && !(dad && chance(t, 80))) {
		pkt_put(p, (const __u8[]){na ? 2 : 1, 1}, 2);
		pkt_put(p, chance(t, 90) ? smac : MAC_B, 6);
	}
	if (dad && chance(t, 50))
		pkt_put(p, (const __u8[]){14, 1, 1, 2, 3, 4, 5, 6}, 8);
	pkt_finish(p);
	if (chance(t, 5))
		p->data[p->l4 + 2] ^= 0x10;
}

/*
 * IPv6 through the uplink between the world and network 1's sandboxes (in:
 * from the world; out: from a sandbox): TCP, UDP or ICMPv6 echo on a few
 * ports, so that replies meet the flows recorded before them.
 */
static void v6_uplink_frame(struct t *t, struct pkt *p, bool in)
{
	static const __u8 *const sb[] = {IP6_A, IP6_B, GW6_1};
	const __u8 *local = sb[below(t, in ? 3 : 2)];
	__u8 remote[16], proto = (__u8[]){IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6}[below(t, 3)];
	__u16 rport = (__u16)(53 + below(t, 2)), lport = (__u16)(40000 + below(t, 3));

	memcpy(remote, WORLD6, 16);
	remote[15] += (__u8)below(t, 2);
	pkt_eth(p, in ? t->up_mac : CLI_MAC, in ? CLI_MAC : t->up_mac, ETH_P_IPV6);
	pkt_ipv6(p, in ? remote : local, in ? local : remote, proto);
	if (proto == IPPROTO_ICMPV6) {
		pkt_icmp6(p, in ? (chance(t, 70) ? 129 : 128) : 128, 0);
		/* identifier, sequence */
		pkt_put(p, (const __u8[]){0, (__u8)below(t, 3), 0, 1}, 4);
	} else {
		p->l4 = p->len;
		pkt_put(p,
			(const __u8[]){(in ? rport : lport) >> 8, (in ? rport : lport) & 0xff,
				       (in ? lport : rport) >> 8, (in ? lport : rport) & 0xff},
			4);
	}
	pkt_put(p, NULL, 16 + below(t, 40));
	pkt_finish(p);
}

/* A valid frame for hook h; which one is random */
static void seed_frame(struct t *t, enum hook h, struct pkt *p)
{
	static const __be32 ep_ip[] = {IP_A, IP_B, IP_C};
	static const __u8 *const ep_mac[] = {MAC_A, MAC_B, MAC_C};
	__u8 proto = any_proto(t);
	__u32 k = below(t, 6);

	switch (h) {
	case H_EP_A:
	case H_EP_B:
	case H_EP_C: {
		const __u8 *smac = ep_mac[h - H_EP_A];
		__be32 sip = ep_ip[h - H_EP_A];
		const __u8 *gw_mac = h == H_EP_C ? GW2_MAC : GW1_MAC;

		if (k == 0 && chance(t, 40)) { /* IPv6 multicast ICMPv6: link control or not */
			static const __u8 types[] = {128, 130, 131, 132, 133, 135, 136, 143};
			__u8 src[16], dst[16] = {0xff, 0x02, [15] = (__u8)below(t, 0x20)};
			bool hbh = chance(t, 50);

			ll_of(smac, src);
			if (chance(t, 40))
				memset(src, 0, sizeof(src));
			pkt_eth(p, (const __u8[]){0x33, 0x33, 0, 0, 0, dst[15]}, smac, ETH_P_IPV6);
			pkt_ipv6(p, src, dst, hbh ? 0 : IPPROTO_ICMPV6);
			if (hbh)
				pkt_put(p, (const __u8[]){IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0}, 8);
			pkt_icmp6(p, types[below(t, 8)], 0);
			pkt_put(p, NULL, below(t, 40));
			pkt_finish(p);
			return;
		}
		if (k == 1 && chance(t, 40)) { /* neighbour discovery: NS/NA, valid or nearly */
			nd_frame(t, p, smac, h == H_EP_C ? 2 : 1);
			return;
		}
		if (chance(t, 8)) { /* IPv6: ICMPv6 (router messages among them) or UDP */
			static const __u8 mc[ETH_ALEN] = {0x33, 0x33, 0, 0, 0, 1};
			static const __u8 all_nodes[16] = {0xff, 0x02, [15] = 1};
			bool ext = chance(t, 30), icmp6 = chance(t, 70);
			__u8 ll[16], peer[16];

			ll_of(smac, ll);
			ll_of(k < 4 ? MAC_B : gw_mac, peer);
			if (h != H_EP_C && chance(t, 50)) { /* network 1's IPv6 subnet, the world */
				memcpy(ll, h == H_EP_A ? IP6_A : IP6_B, 16);
				memcpy(peer, k < 4 ? IP6_B : chance(t, 50) ? WORLD6 : GW6_1, 16);
			}
			if (chance(t, 10))
				ll[15] ^= 1; /* a neighbour's, or nobody's */
			pkt_eth(p, k < 2 ? mc : k < 4 ? MAC_B : gw_mac, smac, ETH_P_IPV6);
			pkt_ipv6(p, ll, k < 2 ? all_nodes : peer,
				 ext	 ? 0
				 : icmp6 ? IPPROTO_ICMPV6
					 : IPPROTO_UDP);
			if (ext)
				pkt_put(p,
					(const __u8[]){icmp6 ? IPPROTO_ICMPV6 : IPPROTO_UDP, 0, 1,
						       4, 0, 0, 0, 0},
					8);
			if (icmp6)
				pkt_icmp6(p, (__u8)(133 + below(t, 5)), 0);
			else
				pkt_put(p, (const __u8[]){0x9c, 0x40, 0, 53}, 4);
			pkt_put(p, NULL, 12);
			pkt_finish(p);
			return;
		}
		if (k == 0) { /* ARP request for a neighbour, the gateway or nobody */
			static const __be32 tpa[] = {IP_A, IP_B, IP_C,
						     GW1,  GW2,	 PKT_IP4(10, 1, 0, 99)};
			pkt_eth(p, BCAST, smac, ETH_P_ARP);
			pkt_arp(p, ARPOP_REQUEST, smac, sip, ZERO_MAC, tpa[below(t, 6)]);
			pkt_finish(p);
			return;
		}
		pkt_eth(p,
			k == 1	 ? MAC_B
			: k == 2 ? MAC_A
			: k == 3 ? MAC_C
				 : gw_mac,
			smac, ETH_P_IP);
		pkt_ipv4(p, sip,
			 k == 1	  ? IP_B
			 : k == 2 ? IP_A
			 : k == 3 ? IP_C
			 : k == 4 ? CLI
				  : (chance(t, 50) ? U : GW1),
			 proto);
		l4(t, p, proto, (__u16)(1024 + below(t, 60000)),
		   chance(t, 50) ? 80 : (__u16)below(t, 65536));
		break;
	}
	case H_GW1:
	case H_GW2: { /* the host, routing to a sandbox through the gateway device */
		const __u8 *gmac = h == H_GW1 ? GW1_MAC : GW2_MAC;

		if (k == 5 && chance(t, 50)) {
			nd_frame(t, p, gmac, h == H_GW1 ? 1 : 2);
			return;
		}
		if (k == 0) {
			pkt_eth(p, BCAST, gmac, ETH_P_ARP);
			pkt_arp(p, ARPOP_REQUEST, gmac, h == H_GW1 ? GW1 : GW2, ZERO_MAC,
				h == H_GW1 ? IP_A : IP_C);
			pkt_finish(p);
			return;
		}
		pkt_eth(p,
			k == 1	     ? MAC_B
			: k == 2     ? BCAST
			: h == H_GW1 ? MAC_A
				     : MAC_C,
			gmac, ETH_P_IP);
		pkt_ipv4(p, chance(t, 50) ? U : (h == H_GW1 ? GW1 : GW2),
			 h == H_GW1 ? (k == 1 ? IP_B : IP_A) : IP_C, proto);
		l4(t, p, proto, (__u16)below(t, 65536), 80);
		break;
	}
	case H_UP_IN: /* from the outside: to published ports, replies to masquerade */
		/* IPv6: to a sandbox (rule 14), the gateway, beyond */
		if (k == 0 && chance(t, 50)) {
			v6_uplink_frame(t, p, true);
			return;
		}
		pkt_eth(p, t->up_mac, CLI_MAC, ETH_P_IP);
		/* straight at a sandbox address too (someone routing the subnets via U) */
		/* now and then a spoofed source: a sandbox's, the host's, loopback */
		pkt_ipv4(p,
			 !chance(t, 6)	 ? (chance(t, 20) ? RTR : CLI)
			 : chance(t, 50) ? IP_B
			 : chance(t, 50) ? U
					 : PKT_IP4(127, 0, 0, 1),
			 k == 5		 ? PKT_IP4(198, 18, 0, 77)
			 : chance(t, 15) ? (chance(t, 50) ? IP_A : IP_C)
					 : U,
			 proto);
		l4(t, p, proto, (__u16)(1024 + below(t, 60000)),
		   k < 3    ? 8000
		   : k == 3 ? 9000
			    : (__u16)below(t, 65536));
		break;
	case H_UP_OUT: /* from the host stack out of the uplink */
		/* IPv6 of a sandbox: records its flow (nb_ct6) */
		if (k == 0 && chance(t, 50)) {
			v6_uplink_frame(t, p, false);
			return;
		}
		/* fall through */
	default:
		pkt_eth(p, CLI_MAC, t->up_mac, ETH_P_IP);
		pkt_ipv4(p, k < 3 ? IP_A : k == 3 ? IP_C : U, CLI, proto);
		l4(t, p, proto, (__u16)(k < 3 ? 80 : below(t, 65536)),
		   (__u16)(1024 + below(t, 60000)));
		break;
	}
	if (chance(t, 5)) /* a fragment */
		pkt_iph(p)->frag_off = htons(
		    (__u16)((chance(t, 50) ? 0x2000 : 0) | (chance(t, 50) ? below(t, 0x1fff) : 0)));
	pkt_finish(p);
}

/* ---- mutations ---------------------------------------------------------------- */

/* inserts a VLAN tag (802.1Q, or QinQ) after the MAC addresses */
static void add_vlan(struct t *t, struct pkt *p)
{
	__u8 tag[4];

	if (p->len < 12 || p->len + 4 > PKT_MAX)
		return;
	tag[0] = chance(t, 80) ? 0x81 : 0x88;
	tag[1] = tag[0] == 0x81 ? 0x00 : 0xa8;
	tag[2] = (__u8)below(t, 16);
	tag[3] = (__u8)rnd(t);
	memmove(p->data + 16, p->data + 12, p->len - 12);
	/* the frame's ethertype moves behind the tag; the tag's TPID takes its place */
	p->data[12] = tag[0];
	p->data[13] = tag[1];
	p->data[14] = tag[2];
	p->data[15] = tag[3];
	p->len += 4;
	/* the views no longer apply */
	p->l3 = p->l4 = 0;
	p->l3_proto_is_v4 = p->l4_proto = 0;
}

/* IP options: IHL grows, the option bytes (NOP, EOL, garbage) go in front of L4 */
static void add_ip_options(struct t *t, struct pkt *p)
{
	__u32 words = 1 + below(t, 10), n = words * 4, i;
	struct iphdr *iph = pkt_iph(p);
	__u8 *opt;

	if (!p->l3 || !p->l3_proto_is_v4 || p->l3 + 20u > p->len ||
	    p->l3 + iph->ihl * 4u > p->len || p->len + n > PKT_MAX || iph->ihl + words > 15)
		return;
	opt = p->data + p->l3 + iph->ihl * 4;
	memmove(opt + n, opt, p->len - (opt - p->data));
	for (i = 0; i < n; i++)
		opt[i] = chance(t, 60) ? 1 /* NOP */ : (__u8)rnd(t);
	iph->ihl += words;
	iph->tot_len = htons((__u16)(ntohs(iph->tot_len) + n));
	p->len += n;
	if (p->l4)
		p->l4 += n;
	if (chance(t, 70))
		pkt_finish(p); /* valid option bytes or not, the checksums right */
}

static void mutate(struct t *t, struct pkt *p)
{
	__u32 rounds = below(t, 4), r, i;
	struct iphdr *iph;

	for (r = 0; r < rounds; r++) {
		iph = p->l3 && p->l3_proto_is_v4 ? pkt_iph(p) : NULL;
		switch (below(t, 14)) {
		case 0: /* truncation anywhere */
			p->len = below(t, p->len + 1);
			if (p->l3 + 20u > p->len) {
				p->l3 = 0;
				p->l3_proto_is_v4 = 0;
			}
			if (!p->l3 || p->l4 + 20u > p->len) {
				p->l4 = 0;
				p->l4_proto = 0;
			}
			break;
		case 1: /* bad IHL */
			if (iph)
				iph->ihl = below(t, 16);
			break;
		case 2: /* bad total length */
			if (iph)
				iph->tot_len =
				    htons((__u16)(chance(t, 50) ? below(t, 64) : below(t, 65536)));
			break;
		case 3:
			add_ip_options(t, p);
			break;
		case 4: /* fragment bits and offset */
			if (iph) {
				iph->frag_off = htons((__u16)below(t, 65536));
				if (chance(t, 50))
					pkt_finish(p);
			}
			break;
		case 5:
			add_vlan(t, p);
			break;
		case 6: /* TCP data offset and flags */
			if (p->l4 && p->l4_proto == IPPROTO_TCP && p->l4 + 20u <= p->len) {
				struct tcphdr *th = pkt_tcph(p);

				th->doff = below(t, 16);
				th->th_flags = (__u8)rnd(t);
				if (chance(t, 50))
					pkt_finish(p);
			}
			break;
		case 7: /* UDP length */
			if (p->l4 && p->l4_proto == IPPROTO_UDP && p->l4 + 8u <= p->len)
				pkt_udph(p)->len = htons((__u16)below(t, 65536));
			break;
		case 8: /* bit flips */
			for (i = below(t, 4); p->len && i < 4; i++)
				p->data[below(t, p->len)] ^= (__u8)(1 << below(t, 8));
			break;
		case 9: /* a random byte in the headers */
			if (p->len)
				p->data[below(t, p->len < 64 ? p->len : 64)] = (__u8)rnd(t);
			break;
		case 10: /* another source MAC */
			if (p->len >= ETH_HLEN)
				p->data[6 + below(t, 6)] ^= (__u8)(1 + below(t, 255));
			break;
		case 11: /* another source address, checksums right */
			if (iph && p->l3 + 20u <= p->len) {
				iph->saddr = chance(t, 50) ? IP_B : (__be32)rnd(t);
				pkt_finish(p);
			}
			break;
		case 12: /* another ethertype */
			if (p->len >= ETH_HLEN) {
				static const __u16 types[] = {ETH_P_IPV6, ETH_P_ARP, 0x88cc,
							      0x0800,	  0x8100,    0x0001};
				__u16 ty = types[below(t, 6)];

				p->data[12] = (__u8)(ty >> 8);
				p->data[13] = (__u8)ty;
			}
			break;
		default: /* a fully random frame */
			p->len = below(t, 200);
			for (i = 0; i < p->len; i++)
				p->data[i] = (__u8)rnd(t);
			p->l3 = p->l4 = 0;
			p->l3_proto_is_v4 = 0;
			break;
		}
	}
}

/* ---- the reference model ------------------------------------------------------ */

static __u16 ethertype(const __u8 *f, __u32 len)
{
	return len >= ETH_HLEN ? (__u16)(f[12] << 8 | f[13]) : 0;
}

/* IPv4 right after the Ethernet header whose own structure is broken (rule 3) */
static bool ipv4_malformed(const __u8 *f, __u32 len)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);
	__u32 avail, ihl, tot;

	if (ethertype(f, len) != ETH_P_IP || len < ETH_HLEN + 20)
		return false; /* too short: the kernel refuses it before any program */
	avail = len - ETH_HLEN;
	ihl = iph->ihl * 4u;
	tot = ntohs(iph->tot_len);
	return iph->version != 4 || ihl < 20 || ihl > avail || tot < ihl || tot > avail;
}

/*
 * Rule 12: IPv6 link control a sandbox (source MAC mac) multicasts that nobody
 * needs, read here independently: 2 when it must be dropped as link-control
 * (an RS or MLD message, multicast, from ::, the sandbox's link-local
 * address or its IPv6 address ip6 (NULL: none), in a well-formed packet:
 * payload length within the frame, up to four hop-by-hop / routing /
 * destination-options headers within the payload, the ICMPv6 header too);
 * 1 when it may be (neighbour discovery: DAD for a free address, a
 * solicitation for itself, a multicast advertisement; or anything behind a
 * fragment header); 0 when it must not.
 */
static int ipv6_link_control(const __u8 *f, __u32 len, const __u8 *mac, const __u8 *ip6)
{
	static const __u8 unspec[16];
	__u32 off = ETH_HLEN + 40, end, i;
	__u8 nh, type, ll[16];

	if (ethertype(f, len) != ETH_P_IPV6 || len < off || (f[ETH_HLEN] >> 4) != 6 ||
	    memcmp(f + 6, mac, ETH_ALEN))
		return 0;
	end = off + (f[ETH_HLEN + 4] << 8 | f[ETH_HLEN + 5]);
	if (end > len)
		return 0;
	nh = f[ETH_HLEN + 6];
	for (i = 0; i < 4 && (nh == 0 || nh == 43 || nh == 60 || nh == 44); i++) {
		if (nh == 44)
			return 1;
		if (off + 4 > len)
			return 0;
		nh = f[off];
		off += (f[off + 1] + 1u) * 8;
	}
	if (nh == 0 || nh == 43 || nh == 60 || nh == 44 || off > end || nh != IPPROTO_ICMPV6 ||
	    off + 4 > end)
		return 0;
	type = f[off];
	if (type == 135 || type == 136)
		return 1;
	if (!(f[0] & 1) ||
	    !(type == 130 || type == 131 || type == 132 || type == 133 || type == 143))
		return 0;
	ll_of(mac, ll);
	return !memcmp(f + ETH_HLEN + 8, unspec, 16) || !memcmp(f + ETH_HLEN + 8, ll, 16) ||
		       (ip6 && !memcmp(f + ETH_HLEN + 8, ip6, 16))
		   ? 2
		   : 0;
}

/*
 * Rule 13: out is a neighbour advertisement the program sent back in answer
 * to in, for the link-local address of a port of the hook's network other
 * than the asker (owners: their MACs, NULL-terminated), valid in every field
 * the receiver checks. NULL when it is, else what is wrong.
 */
static const char *na_answer_wrong(const __u8 *in, const __u8 *out, __u32 len,
				   const __u8 *const *owners, const __u8 *const *owners6)
{
	static const __u8 all_nodes_mac[ETH_ALEN] = {0x33, 0x33, 0, 0, 0, 1};
	const __u8 *target = out + ETH_HLEN + 48;
	char why[128];
	__u8 ll[16];

	if (len < ETH_HLEN + 64 || ethertype(out, len) != ETH_P_IPV6)
		return "not an IPv6 frame of an advertisement's length";
	if (pkt_csum_check6(out, len, why, sizeof(why)))
		return "bad payload length or ICMPv6 checksum";
	if (out[ETH_HLEN + 6] != IPPROTO_ICMPV6 || out[ETH_HLEN + 7] != 255 ||
	    out[ETH_HLEN + 40] != 136 || out[ETH_HLEN + 41] != 0)
		return "not an ICMPv6 neighbour advertisement with hop limit 255";
	if (memcmp(out + ETH_HLEN + 8, target, 16))
		return "source address is not the target";
	if (memcmp(out, in + 6, ETH_ALEN) && memcmp(out, all_nodes_mac, ETH_ALEN))
		return "not addressed to the asker nor all-nodes";
	for (; *owners; owners++, owners6++) {
		ll_of(*owners, ll);
		if (!memcmp(target, ll, 16) || (*owners6 && !memcmp(target, *owners6, 16)))
			return memcmp(out + 6, *owners, ETH_ALEN) ? "not from the target's MAC"
								  : NULL;
	}
	return "a target no other port of the network holds";
}

/*
 * Rule 14: the nb_ct6 key that claims a well-formed IPv6 packet from the
 * world to the IPv6 address of a sandbox (A or B): no extension headers,
 * TCP or UDP ports or ICMPv6 echo's identifier (a request's as sport, a
 * reply's as dport). False for what the rule does not model (ICMPv6 errors,
 * other protocols, extension headers, other destinations).
 */
static bool ct6_key_of(const __u8 *f, __u32 len, struct nb_ct6_key *k)
{
	__u32 end, off = ETH_HLEN + 40;
	__u8 nh;

	if (ethertype(f, len) != ETH_P_IPV6 || len < off || (f[ETH_HLEN] >> 4) != 6)
		return false;
	end = off + (f[ETH_HLEN + 4] << 8 | f[ETH_HLEN + 5]);
	if (end > len ||
	    (memcmp(f + ETH_HLEN + 24, IP6_A, 16) && memcmp(f + ETH_HLEN + 24, IP6_B, 16)))
		return false;
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, f + ETH_HLEN + 8, 16);
	memcpy(k->daddr, f + ETH_HLEN + 24, 16);
	nh = f[ETH_HLEN + 6];
	k->proto = nh;
	if ((nh == IPPROTO_TCP || nh == IPPROTO_UDP) && off + 4 <= end) {
		memcpy(&k->sport, f + off, 2);
		memcpy(&k->dport, f + off + 2, 2);
		return true;
	}
	if (nh == IPPROTO_ICMPV6 && off + 8 <= end && (f[off] == 128 || f[off] == 129)) {
		memcpy(f[off] == 128 ? &k->sport : &k->dport, f + off + 4, 2);
		return true;
	}
	return false;
}

static bool is_fragment(const __u8 *f, __u32 len)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);

	return ethertype(f, len) == ETH_P_IP && len >= ETH_HLEN + 20 &&
	       (ntohs(iph->frag_off) & 0x3fff);
}

/*
 * The ICMPv6 type of an IPv6 frame, after hop-by-hop, routing and
 * destination options headers, or -1 (rule 6); -2 when the chain goes on
 * beyond the four headers the data plane reads.
 */
static int icmp6_type(const __u8 *f, __u32 len)
{
	__u32 off = ETH_HLEN + 40;
	__u8 nh;
	int i;

	if (ethertype(f, len) != ETH_P_IPV6 || len < off)
		return -1;
	nh = f[ETH_HLEN + 6];
	for (i = 0; i < 4; i++) {
		if (nh == IPPROTO_ICMPV6)
			return off < len ? f[off] : -1;
		if (nh != 0 && nh != 43 && nh != 60)
			return -1;
		if (off + 2 > len)
			return -1;
		nh = f[off];
		off += (f[off + 1] + 1u) * 8;
	}
	return nh == IPPROTO_ICMPV6 || nh == 0 || nh == 43 || nh == 60 ? -2 : -1;
}

/*
 * A well-formed, unfragmented TCP SYN (no ACK) or ICMP echo request to a
 * sandbox address (not a gateway) (rule 7): no network of the fuzzer is
 * routed, so only published host ports open flows from outside.
 */
static bool opens_flow_to_sandbox(const __u8 *f, __u32 len)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);
	const __u8 *l4;
	__u32 d, l4_len;

	if (ipv4_malformed(f, len) || ethertype(f, len) != ETH_P_IP || is_fragment(f, len))
		return false;
	d = ntohl(iph->daddr);
	if ((d >> 8) != (10 << 16 | 1 << 8) && (d >> 8) != (10 << 16 | 2 << 8))
		return false;
	if ((d & 0xff) == 1)
		return false; /* a gateway: the host's */
	/* the L4 header must be inside the datagram (the stack reads no further) */
	l4 = f + ETH_HLEN + iph->ihl * 4;
	l4_len = ntohs(iph->tot_len) - iph->ihl * 4u;
	if (iph->protocol == IPPROTO_TCP && l4_len >= 20)
		return (l4[13] & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
	if (iph->protocol == IPPROTO_ICMP && l4_len >= 8)
		return l4[0] == ICMP_ECHO;
	return false;
}

/*
 * The conntrack entry a well-formed TCP RST or FIN would use (its wire
 * tuple) and its peer, before the run (rule 8). False when there is none.
 */
struct rst_probe {
	struct nb_ct_key k;
	struct nb_ct_entry e, peer;
	bool has_peer;
	__u32 seq;
};

static bool rst_probe(struct t *t, const __u8 *f, __u32 len, struct rst_probe *r)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);
	struct nb_ct_key pk = {};
	const __u8 *l4;

	if (ipv4_malformed(f, len) || is_fragment(f, len) || iph->protocol != IPPROTO_TCP ||
	    ntohs(iph->tot_len) < iph->ihl * 4u + 20)
		return false;
	l4 = f + ETH_HLEN + iph->ihl * 4;
	if (!(l4[13] & (TH_RST | TH_FIN)))
		return false;
	memset(r, 0, sizeof(*r));
	r->k.saddr = iph->saddr;
	r->k.daddr = iph->daddr;
	memcpy(&r->k.sport, l4, 2);
	memcpy(&r->k.dport, l4 + 2, 2);
	r->k.proto = IPPROTO_TCP;
	r->seq = ntohl(*(const __be32 *)(l4 + 4));
	if (bpf_map_lookup_elem(t->maps.ct, &r->k, &r->e) || !(r->e.td.flags & NB_CT_TD_KNOWN))
		return false;
	pk.saddr = r->e.nat_daddr;
	pk.daddr = r->e.nat_saddr;
	pk.sport = r->e.nat_dport;
	pk.dport = r->e.nat_sport;
	pk.proto = IPPROTO_TCP;
	r->has_peer =
	    !bpf_map_lookup_elem(t->maps.ct, &pk, &r->peer) && (r->peer.td.flags & NB_CT_TD_KNOWN);
	return true;
}

/*
 * A well-formed TCP or UDP packet whose source cannot be outside (rule 10):
 * a sandbox network's address, the uplink's own, a martian.
 */
static bool impossible_source(const __u8 *f, __u32 len)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);
	__u32 s;

	if (ipv4_malformed(f, len) ||
	    (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP))
		return false;
	s = ntohl(iph->saddr);
	return (s >> 8) == (10 << 16 | 1 << 8) || (s >> 8) == (10 << 16 | 2 << 8) ||
	       iph->saddr == U || (s >> 24) == 127 || (s >> 28) == 0xe || s == 0 || s == 0xffffffff;
}

/* rule 11: a well-formed, unfragmented TCP SYN (no ACK) to daddr:dport */
static bool opens_flow_to(const __u8 *f, __u32 len, __be32 daddr, __u16 dport)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);
	const __u8 *l4;

	if (ipv4_malformed(f, len) || is_fragment(f, len) || iph->protocol != IPPROTO_TCP ||
	    iph->daddr != daddr || ntohs(iph->tot_len) < iph->ihl * 4u + 20)
		return false;
	l4 = f + ETH_HLEN + iph->ihl * 4;
	return ntohs(*(const __be16 *)(l4 + 2)) == dport &&
	       (l4[13] & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
}

/* rule 9: the frame's fragment identity; *later when it is a later fragment */
static bool frag_ident(const __u8 *f, __u32 len, struct frag_id *id, bool *later)
{
	const struct iphdr *iph = (const void *)(f + ETH_HLEN);

	if (ipv4_malformed(f, len) || !is_fragment(f, len))
		return false;
	id->saddr = iph->saddr;
	id->daddr = iph->daddr;
	id->id = iph->id;
	id->proto = iph->protocol;
	id->used = true;
	*later = (ntohs(iph->frag_off) & 0x1fff) != 0;
	return true;
}

static struct frag_id *untranslated_find(struct t *t, const struct frag_id *id)
{
	unsigned int i;

	for (i = 0; i < sizeof(t->untranslated) / sizeof(t->untranslated[0]); i++) {
		struct frag_id *u = &t->untranslated[i];

		if (u->used && u->saddr == id->saddr && u->daddr == id->daddr && u->id == id->id &&
		    u->proto == id->proto)
			return u;
	}
	return NULL;
}

static __u64 drops_total(struct t *t, __u64 *malformed, __u64 *link_control)
{
	struct nb_counter c;
	__u64 sum = 0;
	__u32 r;

	for (r = NB_DROP_BASE; r < __NB_DROP_MAX; r++) {
		if (nb_maps_drops_sum(&t->maps, r, &c))
			continue;
		sum += c.packets;
		if (r == NB_DROP_MALFORMED)
			*malformed = c.packets;
		if (r == NB_DROP_LINK_CONTROL)
			*link_control = c.packets;
	}
	return sum;
}

static void fail(struct t *t, enum hook h, const struct pkt *in, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct t *t, enum hook h, const struct pkt *in, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	__u32 i;

	t->failures++;
	if (t->failures > 10)
		return; /* the first ones say enough */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pkt_diag("%s, frame of %u bytes: %s", hook_name[h], in->len, msg);
	for (i = 0; i < in->len && i < 96; i += 16) {
		char line[64];
		__u32 j, n = 0;

		for (j = i; j < in->len && j < i + 16; j++)
			n += snprintf(line + n, sizeof(line) - n, "%02x", in->data[j]);
		pkt_diag("  %04x: %s", i, line);
	}
}

static void check_one(struct t *t, enum hook h, const struct pkt *in)
{
	bool from_sandbox = h <= H_EP_C, malformed, csum_in_ok;
	static const __be32 ep_ip[] = {IP_A, IP_B, IP_C};
	static const __u8 *const ep_mac[] = {MAC_A, MAC_B, MAC_C};
	__u64 mal_before = 0, mal_after = 0, d_before, d_after, lc_before = 0, lc_after = 0;
	struct rst_probe rp;
	struct frag_id fid;
	static const __u8 *const owners[N_HOOK][3] = {
	    [H_EP_A] = {MAC_B, GW1_MAC}, [H_EP_B] = {MAC_A, GW1_MAC}, [H_EP_C] = {GW2_MAC},
	    [H_GW1] = {MAC_A, MAC_B},	 [H_GW2] = {MAC_C},
	};
	/* their IPv6 addresses (network 1's), in the same order */
	static const __u8 *const owners6[N_HOOK][3] = {
	    [H_EP_A] = {IP6_B, GW6_1},
	    [H_EP_B] = {IP6_A, GW6_1},
	    [H_GW1] = {IP6_A, IP6_B},
	};
	bool probed, later, rewritten, ct6_modeled, ct6_claimed;
	struct nb_ct6_entry e6;
	struct nb_ct6_key k6;
	const char *na_wrong;
	int link_control;
	struct pkt_out out;
	char why[128];
	int err;

	malformed = ipv4_malformed(in->data, in->len);
	link_control = from_sandbox ? ipv6_link_control(in->data, in->len, ep_mac[h - H_EP_A],
							h == H_EP_A   ? IP6_A
							: h == H_EP_B ? IP6_B
								      : NULL)
				    : 0;
	/* the host's DAD for its own gateway addresses: may be link-control too */
	if ((h == H_GW1 || h == H_GW2) && in->len >= ETH_HLEN)
		link_control = ipv6_link_control(in->data, in->len, in->data + 6, NULL) == 1;
	csum_in_ok = ethertype(in->data, in->len) == ETH_P_IP && !malformed &&
		     !is_fragment(in->data, in->len) &&
		     !pkt_csum_check(in->data, in->len, why, sizeof(why));
	probed = rst_probe(t, in->data, in->len, &rp);
	ct6_modeled = h == H_UP_IN && ct6_key_of(in->data, in->len, &k6);
	ct6_claimed = ct6_modeled && !bpf_map_lookup_elem(t->maps.ct6, &k6, &e6);
	d_before = drops_total(t, &mal_before, &lc_before);
	err = pkt_run(t->prog[h], t->ifindex[h], in, &out);
	t->runs++;
	if (err == -EINVAL) {
		t->refused++; /* the kernel's own check of the frame (BPF_PROG_TEST_RUN) */
		return;
	}
	if (err) {
		fail(t, h, in, "BPF_PROG_TEST_RUN failed: %s", strerror(-err));
		return;
	}
	/* 1. only the three verdicts */
	switch (out.verdict) {
	case TC_ACT_OK:
		t->verdicts[0]++;
		break;
	case TC_ACT_SHOT:
		t->verdicts[1]++;
		break;
	case TC_ACT_REDIRECT:
		t->verdicts[2]++;
		break;
	default:
		fail(t, h, in, "verdict %d (%s) is none of OK, SHOT, REDIRECT", out.verdict,
		     pkt_verdict_name(out.verdict));
		return;
	}
	d_after = drops_total(t, &mal_after, &lc_after);
	/* 2. no silent drop */
	if (out.verdict == TC_ACT_SHOT && d_after <= d_before)
		fail(t, h, in, "dropped (TC_ACT_SHOT) without a drop counted");
	/* 3. malformed IPv4 */
	if (malformed) {
		t->malformed++;
		if (out.verdict == TC_ACT_REDIRECT)
			fail(t, h, in, "malformed IPv4 forwarded (TC_ACT_REDIRECT)");
		/* counted as malformed unless an earlier check (a foreign source MAC) took it */
		if (from_sandbox && (out.verdict != TC_ACT_SHOT ||
				     (!memcmp(in->data + 6, ep_mac[h - H_EP_A], ETH_ALEN) &&
				      mal_after != mal_before + 1)))
			fail(t, h, in,
			     "malformed IPv4 from a sandbox: verdict %s, malformed "
			     "drops +%llu (want TC_ACT_SHOT, +1)",
			     pkt_verdict_name(out.verdict),
			     (unsigned long long)(mal_after - mal_before));
	}
	/* 4. anti-spoofing, from the map state of this endpoint */
	if (from_sandbox && out.verdict != TC_ACT_SHOT && in->len >= ETH_HLEN) {
		if (memcmp(in->data + 6, ep_mac[h - H_EP_A], ETH_ALEN))
			fail(t, h, in, "a frame with a foreign source MAC passed (%s)",
			     pkt_verdict_name(out.verdict));
		else if (ethertype(in->data, in->len) == ETH_P_IP && in->len >= ETH_HLEN + 20 &&
			 ((const struct iphdr *)(in->data + ETH_HLEN))->saddr != ep_ip[h - H_EP_A])
			fail(t, h, in, "an IPv4 packet with a foreign source address passed (%s)",
			     pkt_verdict_name(out.verdict));
	}
	/* 6. IPv6 from a sandbox: no router messages anywhere, nothing to the host */
	if (from_sandbox && out.verdict != TC_ACT_SHOT) {
		int type = icmp6_type(in->data, in->len);
		const __u8 *gw_mac = h == H_EP_C ? GW2_MAC : GW1_MAC;

		if (type == 134 || type == 137 || type == -2)
			fail(t, h, in, "an IPv6 router advertisement or redirect passed (%s)",
			     pkt_verdict_name(out.verdict));
		/* (a solicitation answered in BPF goes back, rewritten: rule 13) */
		if (h == H_EP_C && ethertype(in->data, in->len) == ETH_P_IPV6 &&
		    !memcmp(in->data, gw_mac, ETH_ALEN) && out.len == in->len &&
		    !memcmp(out.frame, in->data, in->len))
			fail(t, h, in, "IPv6 to the gateway of a network without IPv6 passed (%s)",
			     pkt_verdict_name(out.verdict));
	}
	/* 7. from outside, nothing opens a flow to a sandbox's own address */
	if (h == H_UP_IN && out.verdict != TC_ACT_SHOT && opens_flow_to_sandbox(in->data, in->len))
		fail(t, h, in, "a TCP SYN or echo request to a sandbox address entered (%s)",
		     pkt_verdict_name(out.verdict));
	/* 8. a RST or FIN far outside the receiver's window changes no flow's state */
	if (probed) {
		struct nb_ct_entry after;
		__u32 w = rp.has_peer ? (__u32)rp.peer.td.maxwin << rp.peer.td.wscale : 0;
		__s32 off = (__s32)(rp.seq - rp.e.td.end);

		if (w < 65535)
			w = 65535;
		if ((off > (__s64)w || off < -(__s64)w) &&
		    !bpf_map_lookup_elem(t->maps.ct, &rp.k, &after) && after.state != rp.e.state)
			fail(t, h, in,
			     "a RST/FIN %d outside the window moved the flow from state %u to %u",
			     off, rp.e.state, after.state);
	}
	/* 10. from outside, a spoofed source is never translated into a sandbox */
	if (h == H_UP_IN && impossible_source(in->data, in->len) &&
	    (out.verdict == TC_ACT_REDIRECT || out.len != in->len ||
	     memcmp(out.frame, in->data, in->len)))
		fail(t, h, in, "a packet with an impossible source was translated (%s)",
		     pkt_verdict_name(out.verdict));
	/* 11. the allow-list of U:9000/tcp (CLI only) holds */
	if (h == H_UP_IN && opens_flow_to(in->data, in->len, U, 9000) &&
	    ((const struct iphdr *)(in->data + ETH_HLEN))->saddr != CLI &&
	    out.verdict == TC_ACT_REDIRECT)
		fail(t, h, in, "a SYN from outside the allow-list of U:9000 was let in");
	/* 9. a later fragment whose first fragment went through untranslated is not steered */
	if (h == H_UP_IN && frag_ident(in->data, in->len, &fid, &later)) {
		bool changed = out.verdict == TC_ACT_REDIRECT || out.len != in->len ||
			       memcmp(out.frame, in->data, in->len);
		struct frag_id *u = untranslated_find(t, &fid);

		if (later && u && changed)
			fail(t, h, in,
			     "a later fragment of an untranslated datagram was steered (%s)",
			     pkt_verdict_name(out.verdict));
		if (!later && !changed && out.verdict == TC_ACT_OK && !u) {
			t->untranslated[t->untranslated_next++ % 64] = fid;
		} else if (!later && changed && u) {
			u->used = false;
		}
	}
	rewritten = out.verdict != TC_ACT_SHOT &&
		    (out.len != in->len || memcmp(out.frame, in->data, in->len));
	/* 4. (IPv6) a frame a sandbox sent that goes on unchanged has its own source address */
	if (from_sandbox && out.verdict != TC_ACT_SHOT && !rewritten &&
	    ethertype(in->data, in->len) == ETH_P_IPV6 && in->len >= ETH_HLEN + 40) {
		__u8 ll[16];

		ll_of(ep_mac[h - H_EP_A], ll);
		if (memcmp(in->data + ETH_HLEN + 8, ll, 16) &&
		    (h == H_EP_C ||
		     memcmp(in->data + ETH_HLEN + 8, h == H_EP_A ? IP6_A : IP6_B, 16)))
			fail(t, h, in, "an IPv6 packet with a foreign source address passed (%s)",
			     pkt_verdict_name(out.verdict));
	}
	/* 13. what a switch program rewrote into IPv6 is a valid answer to a solicitation */
	if (rewritten && h <= H_GW2 && ethertype(out.frame, out.len) == ETH_P_IPV6) {
		t->nd_answers++;
		na_wrong = na_answer_wrong(in->data, out.frame, out.len, owners[h], owners6[h]);
		if (na_wrong || out.verdict != TC_ACT_REDIRECT)
			fail(t, h, in, "rewritten into a bad neighbour advertisement: %s (%s)",
			     na_wrong ? na_wrong : "not sent", pkt_verdict_name(out.verdict));
	}
	/* 14. from the IPv6 world, a sandbox's IPv6 address takes the replies of its own flows
	 * (nb_ct6, written by uplink_out) and nothing else */
	if (ct6_modeled && !ct6_claimed && out.verdict != TC_ACT_SHOT)
		fail(t, h, in, "IPv6 from outside to a sandbox entered without a flow of its (%s)",
		     pkt_verdict_name(out.verdict));
	if (ct6_claimed && out.verdict == TC_ACT_SHOT)
		fail(t, h, in, "the reply of a sandbox's IPv6 flow was dropped");
	if (ct6_claimed)
		t->ct6_replies++;
	/* 12. link control nobody needs: dropped and counted as such, never flooded */
	if (link_control == 2 && (out.verdict != TC_ACT_SHOT || lc_after != lc_before + 1))
		fail(t, h, in, "IPv6 link control from a sandbox: verdict %s, link-control "
			       "drops +%llu (want TC_ACT_SHOT, +1)",
		     pkt_verdict_name(out.verdict), (unsigned long long)(lc_after - lc_before));
	if (link_control && out.verdict != TC_ACT_SHOT && lc_after != lc_before)
		fail(t, h, in, "counted as link-control but not dropped (verdict %s)",
		     pkt_verdict_name(out.verdict));
	if (!link_control && lc_after != lc_before)
		fail(t, h, in, "counted as link-control but is not (verdict %s)",
		     pkt_verdict_name(out.verdict));
	if (link_control == 2)
		t->link_control++;
	/* 5. checksums of rewritten packets */
	if (out.verdict != TC_ACT_SHOT &&
	    (out.len != in->len || memcmp(out.frame, in->data, in->len))) {
		t->rewritten++;
		if (csum_in_ok && ethertype(out.frame, out.len) == ETH_P_IP) {
			t->csum_checked++;
			if (pkt_csum_check(out.frame, out.len, why, sizeof(why)))
				fail(t, h, in, "rewritten with a bad checksum: %s", why);
		}
	}
}

/* ---- conntrack exhaustion (NB_CT_FLOOD=1, run by `make fuzz`) ----------------- */

/*
 * How many new flows one sandbox (A) must open to push another sandbox's (B)
 * established flow out of the LRU conntrack map, and what A's flood costs:
 * measured, not asserted (docs/reliability.md records it). B first opens a
 * masqueraded TCP flow; A then opens UDP flows to new destination ports,
 * and after every batch B's entry is looked up by its key.
 */
static void ct_flood(struct t *t, bool active)
{
	struct nb_ct_key bk = {.saddr = IP_B,
			       .daddr = CLI,
			       .sport = htons(active ? 40001 : 40000),
			       .dport = htons(443),
			       .proto = IPPROTO_TCP};
	struct nb_ct_entry e;
	__u64 mal, lc, before, after, ct_full_before, ct_full_after;
	unsigned long i, limit = 4 * NB_MAX_CT, evicted_at = 0, redirected = 0;
	struct nb_counter c;
	struct pkt_out out;
	struct pkt p, bflow;
	time_t start;

	pkt_eth(&p, GW1_MAC, MAC_B, ETH_P_IP);
	pkt_ipv4(&p, IP_B, CLI, IPPROTO_TCP);
	pkt_tcp(&p, active ? 40001 : 40000, 443, 1, 0, TH_SYN);
	pkt_finish(&p);
	bflow = p;
	if (pkt_run(t->prog[H_EP_B], t->ifindex[H_EP_B], &p, &out) ||
	    !pkt_tap(bpf_map_lookup_elem(t->maps.ct, &bk, &e) == 0,
		     "ct flood: B's masqueraded flow is tracked (verdict %s)",
		     pkt_verdict_name(out.verdict)))
		return;
	nb_maps_drops_sum(&t->maps, NB_DROP_CT_FULL, &c);
	ct_full_before = c.packets;
	before = drops_total(t, &mal, &lc);
	start = time(NULL);
	for (i = 0; i < limit; i++) {
		pkt_eth(&p, GW1_MAC, MAC_A, ETH_P_IP);
		pkt_ipv4(&p, IP_A, CLI, IPPROTO_UDP);
		pkt_udp(&p, (__u16)(1024 + i % 60000), (__u16)(1 + i / 60000 + (active ? 16 : 0)));
		pkt_put(&p, NULL, 8);
		pkt_finish(&p);
		if (pkt_run(t->prog[H_EP_A], t->ifindex[H_EP_A], &p, &out))
			break;
		redirected += out.verdict == TC_ACT_REDIRECT;
		if ((i + 1) % 1024)
			continue;
		if (bpf_map_lookup_elem(t->maps.ct, &bk, &e)) {
			evicted_at = i + 1;
			break;
		}
		/* an active flow: B sends one packet per 1024 of A's new flows */
		if (active)
			pkt_run(t->prog[H_EP_B], t->ifindex[H_EP_B], &bflow, &out);
	}
	after = drops_total(t, &mal, &lc);
	nb_maps_drops_sum(&t->maps, NB_DROP_CT_FULL, &c);
	ct_full_after = c.packets;
	pkt_diag(
	    "ct flood, B %s: conntrack holds %d entries (LRU); A opened %lu new UDP flows in %lds "
	    "(%lu forwarded, %llu dropped, %llu of them 'conntrack full'); B's established "
	    "flow %s",
	    active ? "active (1 packet per 1024 of A's flows)" : "idle", NB_MAX_CT,
	    evicted_at ? evicted_at : i, (long)(time(NULL) - start), redirected,
	    (unsigned long long)(after - before),
	    (unsigned long long)(ct_full_after - ct_full_before),
	    evicted_at ? "was evicted" : "survived");
	if (evicted_at)
		pkt_diag("ct flood: B's flow was evicted after %lu of A's new flows (%.0f%% of the "
			 "map's capacity)",
			 evicted_at, 100.0 * evicted_at / NB_MAX_CT);
	pkt_tap(true, "ct flood: measured, B %s: %s after %lu flows", active ? "active" : "idle",
		evicted_at ? "evicted" : "kept", evicted_at ? evicted_at : i);
}

/* ---- set-up --------------------------------------------------------------------- */

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return rc == 0 ? 0 : -EIO;
}

static int setup(struct t *t)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = t->env.pin_dir);
	struct nb_network n1 = {.subnet = PKT_IP4(10, 1, 0, 0),
				.prefixlen = 24,
				.gateway = GW1,
				.flags = NB_NET_F_ICC | NB_NET_F_MASQ,
				.mtu = 1500};
	struct nb_network n2 = {.subnet = PKT_IP4(10, 2, 0, 0),
				.prefixlen = 24,
				.gateway = GW2,
				.flags = NB_NET_F_INTERNAL,
				.mtu = 1500};
	struct nb_port a = {.net_id = 1, .kind = NB_PORT_ENDPOINT, .ip = IP_A};
	struct nb_port b = {.net_id = 1, .kind = NB_PORT_ENDPOINT, .ip = IP_B};
	struct nb_port c = {.net_id = 2, .kind = NB_PORT_ENDPOINT, .ip = IP_C};
	int i, err;

	for (i = 0; i < N_DEV; i++) {
		err = pkt_env_veth(dev_name[i][0], dev_name[i][1], &t->ifx[i], &t->peer[i]);
		if (err)
			return err;
	}
	err = sh("echo 1 > /proc/sys/net/ipv4/ip_forward && "
		 "ip addr add 198.18.0.1/24 dev up0 && ip addr add 10.1.0.1/24 dev nbg1 && "
		 "ip addr add 10.2.0.1/24 dev nbg2 && ip route add default via 198.18.0.254 && "
		 "ip neigh replace 198.18.0.9 lladdr 52:54:00:00:00:09 dev up0 nud permanent && "
		 "ip neigh replace 198.18.0.254 lladdr 52:54:00:00:00:fe dev up0 nud permanent");
	if (err)
		return err;
	/* the uplink's MAC, as the programs see it (this netns's, not /sys's) */
	{
		struct ifreq ifr = {0};
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "up0");
		if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
			if (fd >= 0)
				close(fd);
			return -EIO;
		}
		close(fd);
		memcpy(t->up_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
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

	n1.gw_ifindex = t->peer[D_P1];
	n1.gwport_ifindex = t->ifx[D_P1];
	n2.gw_ifindex = t->peer[D_P2];
	n2.gwport_ifindex = t->ifx[D_P2];
	memcpy(n1.gw_mac, GW1_MAC, ETH_ALEN);
	memcpy(n2.gw_mac, GW2_MAC, ETH_ALEN);
	memcpy(a.mac, MAC_A, ETH_ALEN);
	memcpy(b.mac, MAC_B, ETH_ALEN);
	memcpy(c.mac, MAC_C, ETH_ALEN);
	/* network 1 is dual stack (rules 4, 6, 13, 14) */
	memcpy(n1.subnet6, GW6_1, 16);
	n1.subnet6[15] = 0;
	memcpy(n1.gateway6, GW6_1, 16);
	n1.prefixlen6 = 64;
	memcpy(a.ip6, IP6_A, 16);
	memcpy(b.ip6, IP6_B, 16);
	err = nb_maps_network_put(&t->maps, 1, &n1);
	err = err ?: nb_maps_network_put(&t->maps, 2, &n2);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_A], &a);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_B], &b);
	err = err ?: nb_maps_endpoint_put(&t->maps, t->ifx[D_C], &c);
	err = err ?: nb_nat_uplink_put(&t->maps, t->ifx[D_UP], U);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_TCP, IP_A, 80, 1, t->ifx[D_A]);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_UDP, IP_A, 53, 1, t->ifx[D_A]);
	err = err ?: nb_nat_publish_put(&t->maps, U, 9000, IPPROTO_TCP, IP_B, 90, 1, t->ifx[D_B]);
	/* rule 11: U:9000 admits CLI only */
	err = err ?: nb_nat_allow_put(&t->maps, U, 9000, IPPROTO_TCP, CLI, 32);
	if (err)
		return err;

	t->prog[H_EP_A] = t->prog[H_EP_B] = t->prog[H_EP_C] =
	    bpf_program__fd(t->ep->progs.endpoint);
	t->prog[H_GW1] = t->prog[H_GW2] = bpf_program__fd(t->gw->progs.gateway);
	t->prog[H_UP_IN] = bpf_program__fd(t->up->progs.uplink_in);
	t->prog[H_UP_OUT] = bpf_program__fd(t->up->progs.uplink_out);
	t->ifindex[H_EP_A] = t->ifx[D_A];
	t->ifindex[H_EP_B] = t->ifx[D_B];
	t->ifindex[H_EP_C] = t->ifx[D_C];
	t->ifindex[H_GW1] = t->ifx[D_P1];
	t->ifindex[H_GW2] = t->ifx[D_P2];
	t->ifindex[H_UP_IN] = t->ifx[D_UP];
	t->ifindex[H_UP_OUT] = t->ifx[D_UP];
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
	const char *s_n = getenv("NB_FUZZ_PACKETS"), *s_seed = getenv("NB_FUZZ_SEED");
	unsigned long n = s_n ? strtoul(s_n, NULL, 10) : 50000, i, per_hook[N_HOOK] = {0};
	__u64 seed = s_seed ? strtoull(s_seed, NULL, 0) : (__u64)time(NULL);
	struct t t = {0};
	struct pkt p;
	time_t start;
	int err, h;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	nb_maps_init(&t.maps);
	t.rng = seed ? seed : 1;
	if (pkt_env_enter(&t.env))
		return 1;
	err = setup(&t);
	if (!pkt_tap(!err, "fuzz set-up: endpoint, gateway and uplink programs, maps written"))
		goto cleanup;
	pkt_diag("fuzzing %lu frames, seed %llu (NB_FUZZ_SEED=%llu replays them)", n,
		 (unsigned long long)seed, (unsigned long long)seed);
	start = time(NULL);
	for (i = 0; i < n; i++) {
		h = (int)below(&t, N_HOOK);
		memset(&p, 0, sizeof(p));
		seed_frame(&t, h, &p);
		if (chance(&t, 85))
			mutate(&t, &p);
		check_one(&t, h, &p);
		per_hook[h]++;
	}
	pkt_diag("%lu runs in %lds: %lu refused by the kernel, verdicts OK %lu, SHOT %lu, "
		 "REDIRECT %lu; %lu malformed IPv4; %lu rewritten, %lu of them checksum-checked",
		 t.runs, (long)(time(NULL) - start), t.refused, t.verdicts[0], t.verdicts[1],
		 t.verdicts[2], t.malformed, t.rewritten, t.csum_checked);
	for (h = 0; h < N_HOOK; h++)
		pkt_tap(per_hook[h] > 0, "fuzz: %s ran %lu frames", hook_name[h], per_hook[h]);
	pkt_tap(t.failures == 0, "fuzz: %lu frames, every one as the model says (%lu violations)",
		n, t.failures);
	pkt_tap(t.verdicts[0] && t.verdicts[1] && t.verdicts[2] && t.rewritten && t.csum_checked,
		"fuzz: the corpus reaches every verdict and rewrites packets");
	pkt_tap(t.link_control > 0, "fuzz: %lu frames were IPv6 link control (rule 12)",
		t.link_control);
	pkt_tap(t.nd_answers > 0, "fuzz: %lu neighbour solicitations were answered (rule 13)",
		t.nd_answers);
	pkt_tap(t.ct6_replies > 0, "fuzz: %lu IPv6 replies entered a sandbox's subnet (rule 14)",
		t.ct6_replies);
	if (getenv("NB_CT_FLOOD"))
		ct_flood(&t, false), ct_flood(&t, true);
cleanup:
	if (err)
		pkt_diag("set-up failed: %s", strerror(-err));
	nb_maps_close(&t.maps);
	uplink_bpf__destroy(t.up);
	gateway_bpf__destroy(t.gw);
	endpoint_bpf__destroy(t.ep);
	pkt_env_leave(&t.env);
	return pkt_tap_done() ? 1 : 0;
}
