/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv6 on the switch (issue 16): the extension-header walk every IPv6 frame
 * gets, and neighbour discovery answered in BPF as ARP is (arp.bpf.h). The
 * control plane knows every address on a network: the gateway's and each
 * endpoint's IPv6 address (nb_neigh6) and their link-local addresses, which
 * are fe80::/64 + EUI-64 of the MAC (a MAC nb_fdb knows). So a neighbour
 * solicitation is never flooded (issue 20: no O(N^2) storm) nor delivered:
 * the solicitation is turned into the advertisement Linux's ndisc would send
 * (net/ipv6/ndisc.c, ndisc_recv_ns()/ndisc_send_na()) and sent back out of
 * the port it came in on:
 *
 *   solicitation to a multicast address:  NA to its source, S=1 O=1, target
 *                                         link-layer option
 *   unicast solicitation (NUD):           NA to its source, S=1 O=0, no option
 *   duplicate address detection (from ::): when another port holds the target,
 *                                         NA to ff02::1, S=0 O=1, option (so the
 *                                         sender's DAD fails); else dropped as
 *                                         link-control (nobody else may answer)
 *   R is set when the target is the gateway (the host forwards IPv6).
 *
 * A solicitation is answered only when it is valid as RFC 4861 7.1.1 says
 * (hop limit 255, code 0, at least 24 bytes, options of non-zero length, a
 * valid checksum, from :: only to a solicited-node address and without a
 * source link-layer option) and not fragmented (RFC 6980); anything else is
 * dropped as malformed, where Linux would have ignored it. At XDP the
 * answer is left to tc (it resizes the frame).
 */
#ifndef NETBPF_ND_BPF_H
#define NETBPF_ND_BPF_H

#include "ctx.bpf.h"
#include "parse.bpf.h"
#include "fdb.bpf.h"

#ifndef NB_IP6_HOPOPTS
#define NB_IP6_HOPOPTS 0
#define NB_IP6_ROUTING 43
#define NB_IP6_DSTOPTS 60
#define NB_IP6_ICMP    58
#define NB_IP6_EXT_MAX 4
#endif
#define NB_IP6_FRAGMENT 44
#define NB_IP6_NONE	59

#define NB_ND_RS       133
#define NB_ND_RA       134
#define NB_ND_NS       135
#define NB_ND_NA       136
#define NB_ND_REDIRECT 137

#define NB_ND_OPT_SLLA 1
#define NB_ND_OPT_TLLA 2

#define NB_ND_NA_R 0x80
#define NB_ND_NA_S 0x40
#define NB_ND_NA_O 0x20

#define NB_ND_MAX 64 /* the longest solicitation/advertisement read: 24 bytes + 5 options */

/* What the extension-header walk found. */
struct nb_ip6_info {
	__u32 end;	/* offset just past the IPv6 payload (payload length) */
	__u32 l4_off;	/* offset of the upper-layer header; 0 = not in this packet */
	__u8 proto;	/* upper-layer protocol (IPPROTO_*), also for a later fragment */
	__u8 frag;	/* carries a fragment header (first or later fragment) */
	__u8 icmp_type; /* ICMPv6 with l4_off: its type */
	__u8 pad;
};

static __always_inline bool nb_ip6_is_ext(__u8 nh)
{
	return nh == NB_IP6_HOPOPTS || nh == NB_IP6_ROUTING || nh == NB_IP6_DSTOPTS ||
	       nh == NB_IP6_FRAGMENT;
}

/*
 * Walks the extension headers of the IPv6 packet whose fixed header ip6 is at
 * ETH_HLEN of a len-byte frame. -NB_DROP_MALFORMED when the payload length
 * overruns the frame, a header overruns the payload, the ICMPv6 header does
 * not fit, or the chain is longer than NB_IP6_EXT_MAX headers (no sandbox
 * sends one: a chain unread to its end must not hide a router advertisement).
 */
static __always_inline int nb_ip6_walk(nb_ctx_t *ctx, const struct ipv6hdr *ip6, __u32 len,
				       struct nb_ip6_info *info)
{
	__u32 off = ETH_HLEN + sizeof(struct ipv6hdr);
	__u8 nh = ip6->nexthdr, h[4];
	int i;

	info->end = off + bpf_ntohs(ip6->payload_len);
	info->l4_off = 0;
	info->frag = 0;
	info->icmp_type = 0;
	if (info->end > len)
		return -NB_DROP_MALFORMED;
	for (i = 0; i < NB_IP6_EXT_MAX; i++) {
		if (!nb_ip6_is_ext(nh))
			break;
		if (nb_ctx_load(ctx, off, h, 4))
			return -NB_DROP_MALFORMED;
		if (nh == NB_IP6_FRAGMENT) {
			nh = h[0];
			off += 8;
			info->frag = 1;
			/* a later fragment: its upper-layer header is in the first one */
			if (((__u16)h[2] << 8 | h[3]) & 0xfff8) {
				info->proto = nh;
				return off > info->end ? -NB_DROP_MALFORMED : 0;
			}
			continue;
		}
		nh = h[0];
		off += ((__u32)h[1] + 1) * 8;
	}
	if (nb_ip6_is_ext(nh) || off > info->end)
		return -NB_DROP_MALFORMED;
	info->proto = nh;
	if (nh == NB_IP6_NONE)
		return 0;
	info->l4_off = off;
	if (nh == NB_IP6_ICMP) {
		if (off + 4 > info->end || nb_ctx_load(ctx, off, h, 1))
			return -NB_DROP_MALFORMED;
		info->icmp_type = h[0];
	}
	return 0;
}

/* 32-bit loads: the verifier refuses a misaligned stack access, and these are 4-aligned */
static __always_inline bool nb_ip6_zero(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return !(w[0] | w[1] | w[2] | w[3]);
}

static __always_inline bool nb_ip6_eq(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

/* fe80::/64 with an EUI-64 interface identifier (ff:fe in its middle) */
static __always_inline bool nb_ip6_eui64_ll(const __u8 *a)
{
	return a[0] == 0xfe && a[1] == 0x80 && !(a[2] | a[3] | a[4] | a[5] | a[6] | a[7]) &&
	       a[11] == 0xff && a[12] == 0xfe;
}

/* Is a the link-local address EUI-64 derives from mac? */
static __always_inline bool nb_ip6_is_ll_of(const __u8 *a, const __u8 *mac)
{
	return nb_ip6_eui64_ll(a) && a[8] == (mac[0] ^ 0x02) && a[9] == mac[1] && a[10] == mac[2] &&
	       a[13] == mac[3] && a[14] == mac[4] && a[15] == mac[5];
}

/* ff02::1:ffXX:XXXX */
static __always_inline bool nb_ip6_solicited_node(const __u8 *a)
{
	return a[0] == 0xff && a[1] == 0x02 && !(a[2] | a[3] | a[4] | a[5] | a[6] | a[7]) &&
	       !(a[8] | a[9] | a[10]) && a[11] == 0x01 && a[12] == 0xff;
}

static __always_inline __u16 nb_csum_fold32(__u64 s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

/* An NS or NA as read from the frame, with the pseudo-header its checksum covers */
struct nb_nd_msg {
	__u8 saddr[16];
	__u8 daddr[16];
	__be32 len;	       /* net: ICMPv6 length, for the pseudo-header */
	__be32 nexthdr;	       /* net: 58 */
	__u8 body[NB_ND_MAX];  /* the ICMPv6 message, zero beyond its length */
	__u8 lladdr[ETH_ALEN]; /* the source (NS) or target (NA) link-layer option */
	__u8 has_lladdr;
	__u8 hop_limit;
	__u32 body_len;
};

/*
 * Reads the NS/NA at info->l4_off and its link-layer option of type opt.
 * -NB_DROP_MALFORMED for what RFC 4861 7.1 calls invalid (checksum aside:
 * nb_nd_csum_ok()), -NB_DROP_UNSUPPORTED for a message over NB_ND_MAX bytes.
 */
static __always_inline int nb_nd_read(nb_ctx_t *ctx, const struct ipv6hdr *ip6,
				      const struct nb_ip6_info *info, __u8 opt, struct nb_nd_msg *m)
{
	__u32 len = info->end - info->l4_off, next = 24;
	int k;

	if (info->frag || len < 24 || (len & 7))
		return -NB_DROP_MALFORMED;
	if (len > NB_ND_MAX)
		return -NB_DROP_UNSUPPORTED;
	__builtin_memset(m, 0, sizeof(*m));
	__builtin_memcpy(m->saddr, &ip6->saddr, 16);
	__builtin_memcpy(m->daddr, &ip6->daddr, 16);
	m->hop_limit = ip6->hop_limit;
	m->len = bpf_htonl(len);
	m->nexthdr = bpf_htonl(NB_IP6_ICMP);
	m->body_len = len;
#pragma unroll
	for (k = 0; k < NB_ND_MAX / 8; k++) {
		if (k * 8 < len && nb_ctx_load(ctx, info->l4_off + k * 8, &m->body[k * 8], 8))
			return -NB_DROP_MALFORMED;
	}
	if (m->body[1] != 0 || m->hop_limit != 255)
		return -NB_DROP_MALFORMED;
		/* options: 8-byte units from offset 24, none of length 0, ending with the message
		 */
#pragma unroll
	for (k = 3; k < NB_ND_MAX / 8; k++) {
		__u8 t = m->body[k * 8], l = m->body[k * 8 + 1];

		if (next != (__u32)k * 8 || next >= len)
			continue;
		if (!l)
			return -NB_DROP_MALFORMED;
		if (t == opt) {
			if (l != 1)
				return -NB_DROP_MALFORMED;
			__builtin_memcpy(m->lladdr, &m->body[k * 8 + 2], ETH_ALEN);
			m->has_lladdr = 1;
		}
		next += (__u32)l * 8;
	}
	if (next != len)
		return -NB_DROP_MALFORMED;
	/* the target is never multicast */
	if (m->body[8] == 0xff)
		return -NB_DROP_MALFORMED;
	return 0;
}

/* The ICMPv6 checksum of m over the pseudo-header (RFC 8200 8.1) */
static __always_inline bool nb_nd_csum_ok(struct nb_nd_msg *m)
{
	/* saddr .. body: 40 bytes of pseudo-header, the message, zeros (which add nothing) */
	__s64 s = bpf_csum_diff(NULL, 0, (__be32 *)m, offsetof(struct nb_nd_msg, lladdr), 0);

	return s >= 0 && nb_csum_fold32((__u64)s) == 0xffff;
}

/* Who holds an address on a network */
struct nb_nd_owner {
	__u8 mac[ETH_ALEN];
	__u8 router; /* the gateway */
	__u8 pad;
	__u32 ifindex;
};

/*
 * The holder of target on net_id: a link-local EUI-64 address by its MAC in
 * nb_fdb, any other in nb_neigh6. gw_ifindex: the network's gateway device,
 * which nb_neigh6 names for the gateway's address.
 */
static __always_inline bool nb_nd_owner(__u32 net_id, const __u8 *target, __u32 gw_ifindex,
					struct nb_nd_owner *o)
{
	const struct nb_neigh_val *n;
	const struct nb_fdb_val *f;
	struct nb_neigh6_key key = {.net_id = net_id};

	if (nb_ip6_eui64_ll(target)) {
		o->mac[0] = target[8] ^ 0x02;
		o->mac[1] = target[9];
		o->mac[2] = target[10];
		o->mac[3] = target[13];
		o->mac[4] = target[14];
		o->mac[5] = target[15];
		f = nb_fdb_lookup(net_id, o->mac);
		if (!f)
			return false;
		o->ifindex = f->ifindex;
		o->router = !!(f->flags & NB_FDB_F_GATEWAY);
		return true;
	}
	__builtin_memcpy(key.ip6, target, 16);
	n = bpf_map_lookup_elem(&NB_MAP_NEIGH6, &key);
	if (!n)
		return false;
	__builtin_memcpy(o->mac, n->mac, ETH_ALEN);
	o->ifindex = n->ifindex;
	o->router = n->ifindex == gw_ifindex;
	return true;
}

/* The advertisement's headers before its addresses: Ethernet and IPv6's first 8 bytes */
struct nb_na_hdr {
	__u8 h_dest[ETH_ALEN];
	__u8 h_source[ETH_ALEN];
	__be16 h_proto;
	__be32 vtc_flow; /* version 6, traffic class 0, flow label 0 */
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 pad[2]; /* not written */
} __attribute__((packed));

#define NB_NA_HDR_LEN 22 /* up to the IPv6 source address */

/*
 * Replaces the frame with the advertisement of the target of solicitation m
 * (from MAC src_mac), held by o. dad: m came from :: (answered to
 * all-nodes). The answer is built in m itself (its pseudo-header and body,
 * the layout the checksum covers), which keeps the stack of the programs
 * that include this small. 0, or a drop reason when the frame could not be
 * rewritten.
 */
static __always_inline int nb_nd_reply(nb_ctx_t *ctx, struct nb_nd_msg *m, const __u8 *src_mac,
				       const struct nb_nd_owner *o, bool dad)
{
#if NB_XDP
	(void)ctx, (void)m, (void)src_mac, (void)o, (void)dad;
	return NB_ACT_PASS;
#else
	struct nb_na_hdr h = {};
	bool mcast = m->daddr[0] == 0xff, opt = dad || mcast;
	__u32 icmp_len = opt ? 32 : 24;
	__s64 s;
	int k;

	if (dad) {
		/* ff02::1 and its MAC 33:33:00:00:00:01 */
		h.h_dest[0] = 0x33;
		h.h_dest[1] = 0x33;
		h.h_dest[5] = 0x01;
		__builtin_memset(m->daddr, 0, 16);
		m->daddr[0] = 0xff;
		m->daddr[1] = 0x02;
		m->daddr[15] = 0x01;
	} else {
		__builtin_memcpy(h.h_dest, src_mac, ETH_ALEN);
		__builtin_memcpy(m->daddr, m->saddr, 16);
	}
	__builtin_memcpy(h.h_source, o->mac, ETH_ALEN);
	h.h_proto = bpf_htons(ETH_P_IPV6);
	h.vtc_flow = bpf_htonl(0x60000000);
	h.payload_len = bpf_htons(icmp_len);
	h.nexthdr = NB_IP6_ICMP;
	h.hop_limit = 255;
	/* the target answers for itself */
	__builtin_memcpy(m->saddr, &m->body[8], 16);
	m->len = bpf_htonl(icmp_len);
	m->body[0] = NB_ND_NA;
	m->body[1] = 0;
	m->body[2] = 0;
	m->body[3] = 0;
	/* ndisc_recv_ns(): DAD gets S=0 O=1; otherwise S=1, O only for a multicast solicitation */
	m->body[4] = (o->router ? NB_ND_NA_R : 0) | (dad ? 0 : NB_ND_NA_S) | (opt ? NB_ND_NA_O : 0);
	m->body[5] = 0;
	m->body[6] = 0;
	m->body[7] = 0;
	/* body[8..23] is the target already; the option, then zeros (which the checksum skips) */
#pragma unroll
	for (k = 24; k < NB_ND_MAX; k++)
		m->body[k] = 0;
	if (opt) {
		m->body[24] = NB_ND_OPT_TLLA;
		m->body[25] = 1;
		__builtin_memcpy(&m->body[26], o->mac, ETH_ALEN);
	}
	s = bpf_csum_diff(NULL, 0, (__be32 *)m, offsetof(struct nb_nd_msg, lladdr), 0);
	if (s < 0)
		return -NB_DROP_MALFORMED;
	*(__u16 *)&m->body[2] = (__u16)~nb_csum_fold32((__u64)s);

	if (bpf_skb_change_tail(ctx, ETH_HLEN + 40 + icmp_len, 0))
		return -NB_DROP_MALFORMED;
	/* BPF_F_RECOMPUTE_CSUM: a CHECKSUM_COMPLETE skb's csum follows the new bytes */
	if (bpf_skb_store_bytes(ctx, 0, &h, NB_NA_HDR_LEN, BPF_F_RECOMPUTE_CSUM) ||
	    bpf_skb_store_bytes(ctx, NB_NA_HDR_LEN, m->saddr, 32, BPF_F_RECOMPUTE_CSUM) ||
	    (opt ? bpf_skb_store_bytes(ctx, ETH_HLEN + 40, m->body, 32, BPF_F_RECOMPUTE_CSUM)
		 : bpf_skb_store_bytes(ctx, ETH_HLEN + 40, m->body, 24, BPF_F_RECOMPUTE_CSUM)))
		return -NB_DROP_MALFORMED;
	return 0;
#endif
}

/*
 * A neighbour solicitation received on a port of net_id; self is what the
 * port's own addresses map to (the endpoint's ifindex, or the gateway
 * device's), gw_ifindex the network's gateway device, src_mac the frame's
 * source (checked against the solicitation's source link-layer option when
 * check_lladdr). 0 when the frame now holds the answer, else a drop reason
 * (NB_ACT_PASS at XDP: tc answers).
 */
static __always_inline int nb_nd_answer(nb_ctx_t *ctx, const struct ipv6hdr *ip6,
					const struct nb_ip6_info *info, __u32 net_id, __u32 self,
					__u32 gw_ifindex, const __u8 *src_mac, bool check_lladdr)
{
	struct nb_nd_owner o = {};
	struct nb_nd_msg m;
	bool dad;
	int err;

	err = nb_nd_read(ctx, ip6, info, NB_ND_OPT_SLLA, &m);
	if (err)
		return err;
	if (!nb_nd_csum_ok(&m))
		return -NB_DROP_MALFORMED;
	dad = nb_ip6_zero(m.saddr);
	if (dad && (m.has_lladdr || !nb_ip6_solicited_node(m.daddr)))
		return -NB_DROP_MALFORMED;
	if (check_lladdr && m.has_lladdr && !nb_mac_eq(m.lladdr, src_mac))
		return -NB_DROP_SPOOF_ND;
	if (!nb_nd_owner(net_id, &m.body[8], gw_ifindex, &o))
		/* DAD for a free address: nobody else may answer, nobody needs to hear it */
		return dad ? -NB_DROP_LINK_CONTROL : -NB_DROP_ND_UNKNOWN;
	if (o.ifindex == self)
		/* its own address: DAD succeeds, a solicitation has nobody to answer it */
		return -NB_DROP_LINK_CONTROL;
	return nb_nd_reply(ctx, &m, src_mac, &o, dad);
}

/*
 * A neighbour advertisement from an endpoint (port): its target must be the
 * endpoint's address or link-local address, and a target link-layer option
 * its MAC. 0 when it may go on.
 */
static __always_inline int nb_nd_check_na(nb_ctx_t *ctx, const struct ipv6hdr *ip6,
					  const struct nb_ip6_info *info,
					  const struct nb_port *port)
{
	struct nb_nd_msg m;
	int err;

	err = nb_nd_read(ctx, ip6, info, NB_ND_OPT_TLLA, &m);
	if (err)
		return err;
	if (!nb_ip6_is_ll_of(&m.body[8], port->mac) &&
	    (nb_ip6_zero(port->ip6) || !nb_ip6_eq(&m.body[8], port->ip6)))
		return -NB_DROP_SPOOF_ND;
	if (m.has_lladdr && !nb_mac_eq(m.lladdr, port->mac))
		return -NB_DROP_SPOOF_ND;
	return 0;
}

#endif
