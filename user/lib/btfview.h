/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps' BTF as `bpftool map dump` reads it.
 *
 * bpftool prints an int as the number the CPU sees, so an address kept in
 * network order (__be32) shows as 16777226 for 10.0.0.1; it prints an array
 * element by element and an enum by its enumerator's name. Before a BPF object
 * loads, its BTF is changed where a map's key or value (nested structs
 * included) holds
 *   - a __be32 member (every __be32 of <netbpf/abi.h> is an IPv4 address): it
 *     becomes nb_ipv4_bytes, 4 bytes, printed [10,0,0,1]; an array of n __be32
 *     becomes n * 4 bytes (nb_ipv6_bytes for 16: an IPv6 address, byte by byte);
 *   - a one-byte member named "proto": it becomes enum nb_ipproto, one byte,
 *     printed "IPPROTO_TCP" (other numbers stay numbers).
 * Sizes and offsets stay: the programs and user space read the same bytes as
 * the header says, and btfcmp.h counts both forms as one layout, so
 * `up --reload` over maps of an earlier build keeps them.
 *
 * Why not in the header: C code handles the addresses as __be32 in hundreds of
 * places (compared, copied, hashed), and an anonymous union of a __be32 and
 * its bytes prints as a member named "" (two of them in one struct, and a JSON
 * reader keeps only the last). proto holds the system's IPPROTO_* constants,
 * which gcc's -Wenum-conversion refuses to store into another enum.
 */
#ifndef NETBPF_BTFVIEW_H
#define NETBPF_BTFVIEW_H

#include <stddef.h>
#include <linux/types.h>

struct btf;
struct bpf_object;

/* the type names given, for readers of the BTF (mapdump.c) */
#define NB_BTF_IPV4    "nb_ipv4_bytes"
#define NB_BTF_IPV6    "nb_ipv6_bytes"
#define NB_BTF_IPPROTO "nb_ipproto"

/*
 * Changes btf as above for the types reachable from roots[0..n-1] (a map's key
 * and value type ids; 0 is skipped). Returns the number of members changed, or
 * -errno (-ENOMEM) with btf possibly changed in part: the caller drops it.
 */
int nb_btf_readable(struct btf *btf, const __u32 *roots, size_t n);

/* The same for every map of an opened, not yet loaded object */
int nb_btf_readable_obj(struct bpf_object *obj);

#endif
