/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet parsing for both hooks (ctx.bpf.h): the protocol constants vmlinux.h
 * lacks, a cursor that walks the linear data of a frame with one bounds check per
 * header, and parsers for Ethernet, ARP (Ethernet/IPv4), IPv4 and IPv6 that
 * return the header or a negative NB_DROP_* (-NB_DROP_MALFORMED when the
 * frame is too short or inconsistent, -NB_DROP_UNSUPPORTED for well-formed
 * headers netbpf does not handle).
 *
 * Header pointers stay valid only until a helper that may change the packet
 * (nb_ctx_pull, nb_ctx_store, bpf_clone_redirect, ...): after one, start a
 * new cursor.
 */
#ifndef NETBPF_PARSE_BPF_H
#define NETBPF_PARSE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <netbpf/abi.h>

#include "ctx.bpf.h"

/* uapi #defines that BTF (hence vmlinux.h) cannot carry */
#ifndef TC_ACT_OK
#define TC_ACT_UNSPEC	(-1)
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_STOLEN	4
#define TC_ACT_REDIRECT 7
#endif
#ifndef ETH_P_IP
#define ETH_ALEN     6
#define ETH_HLEN     14
#define ETH_P_IP     0x0800
#define ETH_P_ARP    0x0806
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_IPV6   0x86DD
#endif
#ifndef ARPHRD_ETHER
#define ARPHRD_ETHER  1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY   2
#endif

/* the most the switch reads of a frame that is not IPv4: Ethernet + 60 */
#define NB_HDR_MAX (ETH_HLEN + 60)

/* The ARP body for Ethernet/IPv4 (struct arphdr is only its fixed part). */
struct nb_arp {
	struct arphdr hdr;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

struct nb_cursor {
	void *pos;
	void *end;
};

/*
 * Makes the headers a program reads part of the skb's linear data, and not a
 * byte more: bpf_skb_pull_data() also makes the head writable, which for a
 * clone copies it, and every TCP segment is a clone (the sender keeps the
 * original for retransmission) whose stack wrote the headers linear and the
 * payload into page fragments. Pulling a fixed NB_HDR_MAX would copy the
 * head of nearly every TCP segment; pulling what the headers need copies
 * only for the rare frame whose headers are split. What is read: Ethernet,
 * the IPv4 header with its options and, with l4, the TCP (20 bytes) or
 * UDP/ICMP (8 bytes) header after it; for other frames up to NB_HDR_MAX
 * (ARP's body, IPv6's fixed header). Invalidates every packet pointer.
 */
static __always_inline void nb_pull_headers(nb_ctx_t *ctx, bool l4)
{
	void *data = nb_ctx_data(ctx), *end = nb_ctx_data_end(ctx);
	__u32 len = nb_ctx_len(ctx), need = NB_HDR_MAX;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + ETH_HLEN;

	if ((void *)(iph + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP)) {
		need = ETH_HLEN + iph->ihl * 4;
		if (l4)
			need += iph->protocol == IPPROTO_TCP ? sizeof(struct tcphdr) : 8;
	}
	nb_ctx_pull(ctx, need < len ? need : len);
}

static __always_inline void nb_cursor_init(struct nb_cursor *c, nb_ctx_t *ctx)
{
	/* hide ctx's identity from clang: it otherwise keeps &ctx->data_end in a
	 * register across the pull, and the verifier refuses ctx+off pointers */
	barrier_var(ctx);
	c->pos = nb_ctx_data(ctx);
	c->end = nb_ctx_data_end(ctx);
}

/* The next len bytes, or NULL when the frame ends first. */
static __always_inline void *nb_cursor_take(struct nb_cursor *c, __u32 len)
{
	void *p = c->pos;

	if (p + len > c->end)
		return NULL;
	c->pos = p + len;
	return p;
}

static __always_inline bool nb_mac_eq(const __u8 *a, const __u8 *b)
{
	/* two loads per side instead of six; unaligned loads are fine on the
	 * architectures netbpf runs on, as in Cilium's eth_addrcmp() */
	return *(const __u32 *)a == *(const __u32 *)b &&
	       *(const __u16 *)(a + 4) == *(const __u16 *)(b + 4);
}

static __always_inline bool nb_mac_is_multicast(const __u8 *mac)
{
	/* the I/G bit: broadcast is a multicast address too */
	return mac[0] & 1;
}

static __always_inline struct ethhdr *nb_parse_eth(struct nb_cursor *c)
{
	return nb_cursor_take(c, sizeof(struct ethhdr));
}

static __always_inline int nb_parse_arp(struct nb_cursor *c, struct nb_arp **arpp)
{
	struct nb_arp *arp = nb_cursor_take(c, sizeof(*arp));

	if (!arp)
		return -NB_DROP_MALFORMED;
	if (arp->hdr.ar_hrd != bpf_htons(ARPHRD_ETHER) || arp->hdr.ar_pro != bpf_htons(ETH_P_IP))
		return -NB_DROP_UNSUPPORTED;
	if (arp->hdr.ar_hln != ETH_ALEN || arp->hdr.ar_pln != 4)
		return -NB_DROP_MALFORMED;
	*arpp = arp;
	return 0;
}

/*
 * An IPv4 header with its options. l3_len is what the frame holds after the
 * Ethernet header: a tot_len beyond it is a truncated packet.
 */
static __always_inline int nb_parse_ipv4(struct nb_cursor *c, __u32 l3_len, struct iphdr **iphp)
{
	struct iphdr *iph = nb_cursor_take(c, sizeof(*iph));
	__u32 hlen;

	if (!iph || iph->version != 4 || iph->ihl < 5)
		return -NB_DROP_MALFORMED;
	hlen = iph->ihl * 4;
	if (bpf_ntohs(iph->tot_len) < hlen || bpf_ntohs(iph->tot_len) > l3_len)
		return -NB_DROP_MALFORMED;
	if (hlen > sizeof(*iph) && !nb_cursor_take(c, hlen - sizeof(*iph)))
		return -NB_DROP_MALFORMED;
	*iphp = iph;
	return 0;
}

static __always_inline int nb_parse_ipv6(struct nb_cursor *c, struct ipv6hdr **ip6p)
{
	struct ipv6hdr *ip6 = nb_cursor_take(c, sizeof(*ip6));

	if (!ip6 || ip6->version != 6)
		return -NB_DROP_MALFORMED;
	*ip6p = ip6;
	return 0;
}

/* fe80::/10: the only IPv6 unicast scope that stays on the link */
static __always_inline bool nb_ipv6_link_local(const struct in6_addr *a)
{
	return a->in6_u.u6_addr8[0] == 0xfe && (a->in6_u.u6_addr8[1] & 0xc0) == 0x80;
}

#endif
