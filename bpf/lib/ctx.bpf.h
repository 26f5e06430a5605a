/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The packet context the shared library code works on, so one copy of the
 * parsing, switching, conntrack and NAT logic serves both hooks: tc (struct
 * __sk_buff) and XDP (struct xdp_md). An object picks its hook before
 * including anything: `#define NB_HOOK_XDP` for XDP, nothing for tc. The
 * library then takes an nb_ctx_t * and touches the packet only through:
 *
 *   nb_ctx_data/data_end/ifindex/len   where the frame is, where it came in
 *   nb_ctx_pull(ctx, len)              linear headers (tc; XDP data is linear)
 *   nb_ctx_load/store(ctx, off, ...)   bytes at an offset (pointers may move)
 *   nb_ctx_csum_l3/l4(ctx, off, ...)   incremental checksum update of a field
 *   nb_ctx_to_peer(ctx, ifindex)       into the sandbox behind endpoint port
 *                                      ifindex (tc: bpf_redirect_peer(); XDP:
 *                                      bpf_redirect_map() over nb_xdp_devs)
 *   nb_ctx_can_to_peer(ifindex)        whether nb_ctx_to_peer() can work
 *   nb_ctx_back_out(ctx)               back out of the port it came in on
 *   NB_ACT_PASS/DROP/REDIRECT          the hook's "continue", "drop", "redirected"
 *   NB_XDP                             1 in an XDP object, 0 in a tc one
 *
 * XDP has no skb checksum state: a checksum field is updated by RFC 1624
 * arithmetic on the field itself, which is what bpf_l3/l4_csum_replace() do
 * for a packet whose checksum is complete, the only kind a wire delivers.
 * Whatever needs an skb (clones, redirect_neigh, the host stack's help) is
 * left to the tc program by returning NB_ACT_PASS before touching the packet.
 */
#ifndef NETBPF_CTX_BPF_H
#define NETBPF_CTX_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <netbpf/abi.h>

#ifndef TC_ACT_OK
#define TC_ACT_UNSPEC	(-1)
#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_STOLEN	4
#define TC_ACT_REDIRECT 7
#endif

#ifndef BPF_F_PSEUDO_HDR
#define BPF_F_PSEUDO_HDR     (1ULL << 4)
#define BPF_F_MARK_MANGLED_0 (1ULL << 5)
#endif
#define NB_CSUM_SIZE_MASK 0xfULL

#ifdef NB_HOOK_XDP

#define NB_XDP 1
/* a macro, not a typedef: CO-RE relocations name the struct itself */
#define nb_ctx_t	struct xdp_md
#define NB_ACT_PASS	XDP_PASS
#define NB_ACT_DROP	XDP_DROP
#define NB_ACT_REDIRECT XDP_REDIRECT

/*
 * Endpoint ports by ifindex: where XDP sends a frame for a sandbox. One object
 * only (bpf/xdp.bpf.c) may declare it: the kernel adds BPF_F_RDONLY_PROG to a
 * devmap's flags, which it refuses at creation, so libbpf 1.1 cannot reuse a
 * pinned devmap from a second object.
 */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, NB_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_XDP_DEVS SEC(".maps");

static __always_inline void *nb_ctx_data(nb_ctx_t *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *nb_ctx_data_end(nb_ctx_t *ctx)
{
	return (void *)(long)ctx->data_end;
}

static __always_inline __u32 nb_ctx_ifindex(nb_ctx_t *ctx)
{
	return ctx->ingress_ifindex;
}

static __always_inline __u32 nb_ctx_len(nb_ctx_t *ctx)
{
	/* netbpf attaches without BPF_F_XDP_HAS_FRAGS: the frame is all linear */
	return (__u32)(ctx->data_end - ctx->data);
}

static __always_inline void nb_ctx_pull(nb_ctx_t *ctx, __u32 len)
{
	(void)ctx, (void)len;
}

static __always_inline long nb_ctx_load(nb_ctx_t *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_xdp_load_bytes(ctx, off, to, len);
}

static __always_inline long nb_ctx_store(nb_ctx_t *ctx, __u32 off, const void *from, __u32 len)
{
	return bpf_xdp_store_bytes(ctx, off, (void *)from, len);
}

static __always_inline __u32 nb_csum_add16(__u32 sum, __u32 v)
{
	return sum + (v & 0xffff);
}

/*
 * RFC 1624 eqn. 3 on the 16-bit field at off: HC' = ~(~HC + ~m + m'), for a
 * 2- or 4-byte change (size in the low bits of flags, as for the skb helpers);
 * size 0: to is a checksum difference (bpf_csum_diff()'s) added as it is, as
 * the skb helpers take one (BPF_F_PSEUDO_HDR changes nothing here: no skb
 * state to keep in step). BPF_F_MARK_MANGLED_0: a zero field (UDP without
 * checksum) stays zero and a computed zero is written as 0xffff. The values
 * are the bytes as stored in the packet, so the sum is the same in either
 * byte order.
 */
static __always_inline long nb_ctx_csum(nb_ctx_t *ctx, __u32 off, __u32 from, __u32 to, __u64 flags)
{
	__u16 csum;
	__u32 sum;

	if (bpf_xdp_load_bytes(ctx, off, &csum, sizeof(csum)))
		return -1;
	if ((flags & BPF_F_MARK_MANGLED_0) && !csum)
		return 0;
	sum = (__u16)~csum;
	if ((flags & NB_CSUM_SIZE_MASK) == 0) {
		sum = nb_csum_add16(sum, to);
		sum = nb_csum_add16(sum, to >> 16);
	} else if ((flags & NB_CSUM_SIZE_MASK) == 4) {
		sum = nb_csum_add16(sum, ~from);
		sum = nb_csum_add16(sum, ~from >> 16);
		sum = nb_csum_add16(sum, to);
		sum = nb_csum_add16(sum, to >> 16);
	} else {
		sum = nb_csum_add16(sum, ~from);
		sum = nb_csum_add16(sum, to);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	csum = (__u16)~sum;
	if ((flags & BPF_F_MARK_MANGLED_0) && !csum)
		csum = 0xffff;
	return bpf_xdp_store_bytes(ctx, off, &csum, sizeof(csum));
}

static __always_inline long nb_ctx_csum_l3(nb_ctx_t *ctx, __u32 off, __u32 from, __u32 to,
					   __u64 flags)
{
	return nb_ctx_csum(ctx, off, from, to, flags);
}

static __always_inline long nb_ctx_csum_l4(nb_ctx_t *ctx, __u32 off, __u32 from, __u32 to,
					   __u64 flags)
{
	return nb_ctx_csum(ctx, off, from, to, flags);
}

static __always_inline bool nb_ctx_can_to_peer(__u32 ifindex)
{
	return bpf_map_lookup_elem(&NB_MAP_XDP_DEVS, &ifindex) != NULL;
}

/*
 * Out of the endpoint's host-side veth, i.e. into its sandbox; the veth
 * hands XDP frames to the peer only when the peer runs XDP (netbpf puts a
 * pass-through program there in XDP mode). Without a devmap entry: pass.
 */
static __always_inline int nb_ctx_to_peer(nb_ctx_t *ctx, __u32 ifindex)
{
	(void)ctx;
	return bpf_redirect_map(&NB_MAP_XDP_DEVS, ifindex, XDP_PASS);
}

/* Back out of the port the frame came in on (a reply to its sender) */
static __always_inline int nb_ctx_back_out(nb_ctx_t *ctx)
{
	(void)ctx;
	return XDP_TX;
}

#else /* tc */

#define NB_XDP		0
#define nb_ctx_t	struct __sk_buff
#define NB_ACT_PASS	TC_ACT_OK
#define NB_ACT_DROP	TC_ACT_SHOT
#define NB_ACT_REDIRECT TC_ACT_REDIRECT

static __always_inline void *nb_ctx_data(nb_ctx_t *ctx)
{
	return (void *)(long)ctx->data;
}

static __always_inline void *nb_ctx_data_end(nb_ctx_t *ctx)
{
	return (void *)(long)ctx->data_end;
}

static __always_inline __u32 nb_ctx_ifindex(nb_ctx_t *ctx)
{
	return ctx->ifindex;
}

static __always_inline __u32 nb_ctx_len(nb_ctx_t *ctx)
{
	return ctx->len;
}

/* Makes the first len bytes linear when they are not (see nb_pull_headers()). */
static __always_inline void nb_ctx_pull(nb_ctx_t *ctx, __u32 len)
{
	if ((void *)(long)ctx->data + len > (void *)(long)ctx->data_end)
		bpf_skb_pull_data(ctx, len);
}

static __always_inline long nb_ctx_load(nb_ctx_t *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, to, len);
}

static __always_inline long nb_ctx_store(nb_ctx_t *ctx, __u32 off, const void *from, __u32 len)
{
	return bpf_skb_store_bytes(ctx, off, from, len, 0);
}

/* through the kernel: CHECKSUM_PARTIAL/COMPLETE skbs stay consistent */
static __always_inline long nb_ctx_csum_l3(nb_ctx_t *ctx, __u32 off, __u32 from, __u32 to,
					   __u64 flags)
{
	return bpf_l3_csum_replace(ctx, off, from, to, flags);
}

static __always_inline long nb_ctx_csum_l4(nb_ctx_t *ctx, __u32 off, __u32 from, __u32 to,
					   __u64 flags)
{
	return bpf_l4_csum_replace(ctx, off, from, to, flags);
}

static __always_inline bool nb_ctx_can_to_peer(__u32 ifindex)
{
	(void)ifindex;
	return true;
}

static __always_inline int nb_ctx_to_peer(nb_ctx_t *ctx, __u32 ifindex)
{
	(void)ctx;
	return bpf_redirect_peer(ifindex, 0);
}

/* egress of the port: a veth hands the frame to its peer */
static __always_inline int nb_ctx_back_out(nb_ctx_t *ctx)
{
	return bpf_redirect(ctx->ifindex, 0);
}

#endif

#endif
