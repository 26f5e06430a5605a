/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Any pinned netbpf map read back through its own BTF (the types of
 * include/netbpf/abi.h the kernel keeps with the map), decoded as a reader
 * wants it rather than as bpftool prints raw integers: a __be32 is an IPv4
 * address ("10.1.0.2"), a __be16 a port or id in host order (8080, not
 * 36895), a u8[6] named mac a MAC, a member named proto a protocol name, an
 * enum its enumerator; structs become objects by member name, arrays arrays.
 * Per-CPU values are summed over the CPUs (they are counters). Read-only:
 * nothing is written to the map.
 */
#ifndef NETBPF_MAPDUMP_H
#define NETBPF_MAPDUMP_H

#include <jansson.h>
#include <linux/types.h>

#include "dataplane.h"

/*
 * The entries of map name (an "nb_" map pinned under inst->pin_dir) as a JSON
 * array of {"key": ..., "value": ...} into *out (json_decref it). -ENOENT when
 * there is no such pin (the message names the map), -EOPNOTSUPP for a map
 * whose entries cannot be read from user space (a ring buffer), -ENODATA when
 * the map has no BTF for its key or value.
 */
int nb_map_dump(const struct nb_instance *inst, const char *name, json_t **out);

/*
 * The decoding alone, pure: the value of BTF type id at data as JSON (NULL when out of
 * memory). nb_map_dump decodes every key and value with it.
 */
struct btf;
json_t *nb_btf_decode(const struct btf *btf, __u32 type_id, const void *data);

/* The names of the instance's pinned maps ("nb_*"), sorted, into *out (json_decref it) */
int nb_map_names(const struct nb_instance *inst, json_t **out);

#endif
