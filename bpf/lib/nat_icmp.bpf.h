/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP errors (destination unreachable incl. fragmentation needed, time
 * exceeded, parameter problem) about a translated flow: nb_nat_icmp_find()
 * finds the flow from the quoted packet, nb_nat_icmp_apply() rewrites the
 * quote (addresses, ports or echo id, its IP and L4 checksums where the quote
 * holds them), the ICMP checksum and the outer address, as Linux's NAT does,
 * so that the error reaches the sandbox and PMTU discovery works.
 */
#ifndef NETBPF_NAT_ICMP_BPF_H
#define NETBPF_NAT_ICMP_BPF_H

#include "nat_pkt.bpf.h"

/* ---- ICMP errors ------------------------------------------------------- */

struct nb_nat_icmp_plan {
	struct nb_ct_entry e; /* the flow's entry for the reversed quoted tuple */
	struct nb_ct_key rk;  /* that reversed quoted tuple */
	__u32 in_l3;	      /* offset of the quoted IPv4 header */
	__u32 in_l4;	      /* offset of the quoted L4 header */
	__u8 in_icmp_type;    /* quoted ICMP echo: its type */
	__be32 outer_saddr;   /* outer addresses after translation */
	__be32 outer_daddr;
};

/*
 * An ICMP error quotes the packet it is about: for a translated flow that
 * packet went the other way, so the flow's entry is found under the quoted
 * tuple reversed. 1 and a plan when the error belongs to a flow usable at
 * `at`, 0 when not (the packet is left alone).
 */
static __always_inline int nb_nat_icmp_find(nb_ctx_t *ctx, const struct nb_nat_pkt *p, int at,
					    __u64 now, struct nb_nat_icmp_plan *pl)
{
	struct iphdr ih;
	struct nb_ct_entry *e;
	__u8 l4[8];

	pl->in_l3 = p->l4 + sizeof(struct icmphdr);
	if (nb_ctx_load(ctx, pl->in_l3, &ih, sizeof(ih)))
		return 0;
	if (ih.version != 4 || ih.ihl < 5 || (ih.frag_off & bpf_htons(NB_IP_OFFSET)))
		return 0;
	pl->in_l4 = pl->in_l3 + ih.ihl * 4;
	/* the quote must hold the ports, inside the IPv4 packet (not the frame's padding) */
	if (pl->in_l4 + sizeof(l4) > NB_L3 + p->len)
		return 0;
	if (nb_ctx_load(ctx, pl->in_l4, l4, sizeof(l4)))
		return 0;

	/* the reversed quoted tuple */
	__builtin_memset(&pl->rk, 0, sizeof(pl->rk));
	pl->rk.saddr = ih.daddr;
	pl->rk.daddr = ih.saddr;
	pl->rk.proto = ih.protocol;
	if (ih.protocol == IPPROTO_TCP || ih.protocol == IPPROTO_UDP) {
		pl->rk.sport = *(__be16 *)&l4[2];
		pl->rk.dport = *(__be16 *)&l4[0];
	} else if (ih.protocol == IPPROTO_ICMP) {
		pl->in_icmp_type = l4[0];
		/* a quoted request's id is its "sport", so it is the reverse's "dport" */
		if (l4[0] == NB_ICMP_ECHO)
			pl->rk.dport = *(__be16 *)&l4[4];
		else if (l4[0] == NB_ICMP_ECHOREPLY)
			pl->rk.sport = *(__be16 *)&l4[4];
		else
			return 0;
	} else {
		return 0;
	}

	e = nb_ct_lookup(&pl->rk, 0, now);
	if (!e || !nb_nat_entry_for(e, at))
		return 0;
	pl->e = *e;
	pl->outer_saddr = p->key.saddr == pl->rk.saddr ? e->nat_saddr : p->key.saddr;
	pl->outer_daddr = p->key.daddr == pl->rk.daddr ? e->nat_daddr : p->key.daddr;
	return 1;
}

/*
 * The checksums a change inside the quoted packet must be carried into:
 * the ICMP message's own (always), the quoted IPv4 header's (addresses) and
 * the quoted L4 checksum when the quote includes it (UDP: unless 0).
 */
struct nb_nat_quote_csum {
	__u32 icmp;	/* offset of the ICMP checksum */
	__u32 ip;	/* offset of the quoted IPv4 header checksum */
	__u32 l4;	/* offset of the quoted L4 checksum, 0 = absent */
	__u64 l4_flags; /* BPF_F_MARK_MANGLED_0 for UDP */
	bool l4_pseudo; /* addresses are in it (TCP, UDP; not ICMP) */
};

/* Rewrites a checksum field at off by (old -> new, size bytes) and the ICMP checksum by its change.
 */
static __always_inline int nb_nat_quote_fix(nb_ctx_t *ctx, __u32 icmp, __u32 off, __u64 flags,
					    __u32 old, __u32 new, __u32 size)
{
	__be16 c_old, c_new;

	if (nb_ctx_load(ctx, off, &c_old, 2))
		return -NB_DROP_MALFORMED;
	/* flags without BPF_F_PSEUDO_HDR: plain arithmetic on the field, skb->csum untouched */
	if (nb_ctx_csum_l4(ctx, off, old, new, flags | size))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_load(ctx, off, &c_new, 2))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, icmp, c_old, c_new, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/* A quoted address (off: its offset in the packet) */
static __always_inline int nb_nat_quote_addr(nb_ctx_t *ctx, const struct nb_nat_quote_csum *q,
					     __u32 off, __be32 old, __be32 new)
{
	int err;

	if (old == new)
		return 0;
	err = nb_nat_quote_fix(ctx, q->icmp, q->ip, 0, old, new, 4);
	if (!err && q->l4 && q->l4_pseudo)
		err = nb_nat_quote_fix(ctx, q->icmp, q->l4, q->l4_flags, old, new, 4);
	if (err)
		return err;
	if (nb_ctx_store(ctx, off, &new, 4))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, q->icmp, old, new, 4))
		return -NB_DROP_MALFORMED;
	return 0;
}

/* A quoted port or echo identifier */
static __always_inline int nb_nat_quote_u16(nb_ctx_t *ctx, const struct nb_nat_quote_csum *q,
					    __u32 off, __be16 old, __be16 new)
{
	int err;

	if (old == new)
		return 0;
	if (q->l4) {
		err = nb_nat_quote_fix(ctx, q->icmp, q->l4, q->l4_flags, old, new, 2);
		if (err)
			return err;
	}
	if (nb_ctx_store(ctx, off, &new, 2))
		return -NB_DROP_MALFORMED;
	if (nb_ctx_csum_l4(ctx, q->icmp, old, new, 2))
		return -NB_DROP_MALFORMED;
	return 0;
}

/*
 * Applies a plan: the quoted packet becomes what the flow's other direction
 * looked like before translation, the outer addresses follow the flow.
 */
static __always_inline int nb_nat_icmp_apply(nb_ctx_t *ctx, const struct nb_nat_pkt *p,
					     const struct nb_nat_icmp_plan *pl)
{
	__u32 ipc = NB_L3 + offsetof(struct iphdr, check);
	const struct nb_ct_entry *e = &pl->e;
	struct nb_nat_quote_csum q = {
	    .icmp = p->l4 + offsetof(struct icmphdr, checksum),
	    .ip = pl->in_l3 + offsetof(struct iphdr, check),
	};
	struct nb_csum_l4 none = {};
	__be16 c;
	int err;

	/* the quoted L4 checksum, where the quote is long enough to hold it */
	if (pl->rk.proto == IPPROTO_UDP) {
		if (!nb_ctx_load(ctx, pl->in_l4 + 6, &c, 2) && c) {
			q.l4 = pl->in_l4 + 6;
			q.l4_flags = BPF_F_MARK_MANGLED_0;
			q.l4_pseudo = true;
		}
	} else if (pl->rk.proto == IPPROTO_TCP) {
		if (pl->in_l4 + 18 <= NB_L3 + p->len && !nb_ctx_load(ctx, pl->in_l4 + 16, &c, 2)) {
			q.l4 = pl->in_l4 + 16;
			q.l4_pseudo = true;
		}
	} else {
		q.l4 = pl->in_l4 + 2; /* an echo's checksum: no pseudo header */
	}

	err = nb_csum_store_addr(ctx, NB_L3 + offsetof(struct iphdr, saddr), ipc, &none,
				 p->key.saddr, pl->outer_saddr);
	if (err)
		return err;
	err = nb_csum_store_addr(ctx, NB_L3 + offsetof(struct iphdr, daddr), ipc, &none,
				 p->key.daddr, pl->outer_daddr);
	if (err)
		return err;
	/* quoted: saddr was rk.daddr, daddr was rk.saddr */
	err = nb_nat_quote_addr(ctx, &q, pl->in_l3 + offsetof(struct iphdr, saddr), pl->rk.daddr,
				e->nat_daddr);
	if (err)
		return err;
	err = nb_nat_quote_addr(ctx, &q, pl->in_l3 + offsetof(struct iphdr, daddr), pl->rk.saddr,
				e->nat_saddr);
	if (err)
		return err;
	if (pl->rk.proto == IPPROTO_ICMP) {
		if (pl->in_icmp_type == NB_ICMP_ECHO)
			return nb_nat_quote_u16(ctx, &q, pl->in_l4 + 4, pl->rk.dport, e->nat_dport);
		return nb_nat_quote_u16(ctx, &q, pl->in_l4 + 4, pl->rk.sport, e->nat_sport);
	}
	err = nb_nat_quote_u16(ctx, &q, pl->in_l4, pl->rk.dport, e->nat_dport);
	if (err)
		return err;
	return nb_nat_quote_u16(ctx, &q, pl->in_l4 + 2, pl->rk.sport, e->nat_sport);
}

#endif
