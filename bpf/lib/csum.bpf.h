/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rewriting header fields with incremental checksum updates (RFC 1624),
 * through nb_ctx_csum_l3/l4() (ctx.bpf.h): at tc the kernel's
 * bpf_l3/l4_csum_replace(), so that CHECKSUM_PARTIAL and CHECKSUM_COMPLETE skbs
 * stay consistent (a pseudo-header change on a CHECKSUM_PARTIAL packet only
 * adjusts the seed the device completes); at XDP the same arithmetic on the field.
 *
 * Each store takes offsets, never packet pointers: every helper here may
 * move the packet data, so the caller re-derives pointers afterwards.
 *
 * Where a field sits in a checksum:
 *   IPv4 addresses: IPv4 header checksum, and the TCP/UDP checksum through
 *     the pseudo header (BPF_F_PSEUDO_HDR). ICMP has no pseudo header.
 *   Ports / ICMP identifier: the L4 checksum only.
 *   A UDP checksum of 0 means "none" and must stay 0: BPF_F_MARK_MANGLED_0
 *   leaves a zero field alone and writes a computed 0 as 0xffff.
 */
#ifndef NETBPF_CSUM_BPF_H
#define NETBPF_CSUM_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <netbpf/abi.h>

#include "ctx.bpf.h"

/* Where the L4 checksum of a packet lives and how to update it. */
struct nb_csum_l4 {
	__u32 off;   /* offset of the checksum field; 0 = no L4 checksum to update */
	__u64 flags; /* BPF_F_PSEUDO_HDR / BPF_F_MARK_MANGLED_0 as the protocol needs */
	bool pseudo; /* addresses are part of it (TCP, UDP) */
};

/*
 * TCP: checksum at 16, pseudo header. UDP: at 6, pseudo header, 0 = none.
 * ICMP: at 2, no pseudo header. Anything else: nothing to update.
 */
static __always_inline void nb_csum_l4_init(struct nb_csum_l4 *c, __u8 proto, __u32 l4_off)
{
	c->off = 0;
	c->flags = 0;
	c->pseudo = false;
	if (!l4_off)
		return;
	switch (proto) {
	case IPPROTO_TCP:
		c->off = l4_off + 16;
		c->pseudo = true;
		break;
	case IPPROTO_UDP:
		c->off = l4_off + 6;
		c->flags = BPF_F_MARK_MANGLED_0;
		c->pseudo = true;
		break;
	case IPPROTO_ICMP:
		c->off = l4_off + 2;
		break;
	}
}

/* An IPv4 address at addr_off, in the header whose checksum is at ip_csum_off. */
static __always_inline int nb_csum_store_addr(nb_ctx_t *ctx, __u32 addr_off, __u32 ip_csum_off,
					      const struct nb_csum_l4 *l4, __be32 old, __be32 new)
{
	if (old == new)
		return 0;
	if (l4->off && l4->pseudo &&
	    nb_ctx_csum_l4(ctx, l4->off, old, new, l4->flags | BPF_F_PSEUDO_HDR | 4))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l3(ctx, ip_csum_off, old, new, 4))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_store(ctx, addr_off, &new, 4))
		return -NB_DROP_MALFORMED;
	return 0;
}

/* A 16-bit L4 field (port, ICMP identifier) covered by the L4 checksum only. */
static __always_inline int nb_csum_store_l4_u16(nb_ctx_t *ctx, __u32 off,
						const struct nb_csum_l4 *l4, __be16 old, __be16 new)
{
	if (old == new)
		return 0;
	if (l4->off && nb_ctx_csum_l4(ctx, l4->off, old, new, l4->flags | 2))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_store(ctx, off, &new, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/*
 * Decrements the TTL of the IPv4 header at l3_off (a router's job, done
 * here because the fast paths bypass the host's forwarding). The TTL shares
 * a checksummed 16-bit word with the protocol number.
 */
static __always_inline int nb_csum_dec_ttl(nb_ctx_t *ctx, __u32 l3_off, __u8 ttl, __u8 proto)
{
	__be16 old = bpf_htons(((__u16)ttl << 8) | proto);
	__be16 new = bpf_htons(((__u16)(ttl - 1) << 8) | proto);
	__u8 nttl = ttl - 1;

	if (nb_ctx_csum_l3(ctx, l3_off + offsetof(struct iphdr, check), old, new, 2))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_store(ctx, l3_off + offsetof(struct iphdr, ttl), &nttl, 1))
		return -NB_DROP_MALFORMED;
	return 0;
}

#endif
