/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Layout comparison of two BTF types, for `up --reload`: a pinned map keeps its
 * entries only when this build reads them the way the build that wrote them did,
 * which the sizes alone do not say (a field renamed or moved within the same
 * size). The layout is what a reader of the bytes depends on: struct/union member
 * names, bit offsets and bitfield sizes and each member's layout, int size and
 * encoding, array element layout and count, enum size; typedef/const/volatile/
 * restrict/type tags are looked through, and type names and ids do not matter.
 * Nor does how a reader prints the bytes: an int is the same layout as an enum
 * of its size or an array of as many one-byte ints (btfview.h turns a __be32
 * into 4 bytes and abi.h's kinds are enums: a reload over maps of a build
 * before that keeps them).
 */
#ifndef NETBPF_BTFCMP_H
#define NETBPF_BTFCMP_H

#include <stddef.h>
#include <linux/types.h>

struct btf;

/*
 * Compares type a_id of a (the old side) with type b_id of b (the new side).
 * Returns 0 when the layouts are the same, 1 when they differ, with the first
 * difference in why (e.g. `member "pad" (bit 112) became "net_flags" (bit 112)`),
 * -EINVAL when an id is not in its BTF.
 */
int nb_btf_layout_cmp(const struct btf *a, __u32 a_id, const struct btf *b, __u32 b_id, char *why,
		      size_t why_len);

/* The name a reader knows type id by ("struct nb_port", "__u32"), for messages */
void nb_btf_type_str(const struct btf *btf, __u32 id, char *buf, size_t len);

#endif
