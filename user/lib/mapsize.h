/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Map sizes from configuration.
 *
 * The maps were sized by compile-time constants for a big host: nb_ep_stats,
 * a per-CPU array of 65,536 slots, alone took 77 MiB on 2 CPUs and would take
 * ~400 MB on 128. `up --max-endpoints N --max-networks N --ct-size N` now
 * sizes them (bpf_map__set_max_entries() between open and load, no BPF
 * change); the sizes are kept in the state, a pinned map keeps the size it
 * was created with, and a configuration that differs from the live maps is
 * refused until `down` (resizing a map means creating it anew). The
 * arithmetic of their memory is in docs/maps.md.
 */
#ifndef NETBPF_MAPSIZE_H
#define NETBPF_MAPSIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <netbpf/abi.h>

struct bpf_object;
struct nb_instance;
struct nb_store;

#define NB_DEF_MAX_ENDPOINTS 4096U	     /* issue 20: 4,096 sandboxes on one network */
#define NB_DEF_MAX_NETWORKS  NB_MAX_NETWORKS /* abi.h: 4,096 */
#define NB_DEF_CT_SIZE	     NB_MAX_CT	     /* abi.h: 262,144 */

#define NB_MIN_ENDPOINTS 16U
#define NB_LIM_ENDPOINTS (NB_MAX_PORTS - 1) /* stats slots are 16-bit wide (maps.c) */
#define NB_MIN_NETWORKS	 8U
#define NB_LIM_NETWORKS	 65535U
#define NB_MIN_CT	 1024U
#define NB_LIM_CT	 (1U << 24)

#define SETTING_MAX_ENDPOINTS "max_endpoints"
#define SETTING_MAX_NETWORKS  "max_networks"
#define SETTING_CT_SIZE	      "ct_size"

struct nb_dp_sizes {
	__u32 max_endpoints; /* bridge endpoints, all networks together */
	__u32 max_networks;  /* networks, the predefined ones included */
	__u32 ct_size;	     /* conntrack entries (an LRU: full, it evicts the oldest) */
};

void nb_dp_sizes_default(struct nb_dp_sizes *s);
/*
 * The sizes the state keeps: each absent one 0 (*any false when none is kept,
 * as with a state from before this option)
 */
int nb_dp_sizes_stored(struct nb_store *st, struct nb_dp_sizes *s, bool *any);
int nb_dp_sizes_store(struct nb_store *st, const struct nb_dp_sizes *s);
/* The networks the state may hold (its kept --max-networks, else the default) */
__u32 nb_dp_sizes_networks(struct nb_store *st);
__u32 nb_dp_sizes_endpoints(struct nb_store *st);

/* max_entries of pinned map `map` for sizes s; 0 when the sizes do not govern it */
__u32 nb_dp_sizes_entries(const struct nb_dp_sizes *s, const char *map);
/* The option that sizes map (e.g. "--ct-size"), NULL when none does */
const char *nb_dp_sizes_option(const char *map);

/*
 * Before a load: every map of obj governed by the sizes gets their entries,
 * except one already pinned, which keeps its own (libbpf reuses a pinned map
 * only when it matches). s NULL: the defaults.
 */
int nb_dp_sizes_apply(struct bpf_object *obj, const struct nb_dp_sizes *s);

/*
 * For `up` over a live data plane: every pinned map the sizes govern must
 * have their entries; otherwise -EINVAL and a message naming the map, both
 * sizes and the option (a new size needs `down`, then `up`).
 */
int nb_dp_sizes_check_live(const struct nb_instance *inst, const struct nb_dp_sizes *s);

/* One pinned map as `status` shows it */
struct nb_map_usage {
	char name[32];
	char type[24];
	__u32 max_entries;
	__u64 entries; /* arrays: max_entries; hashes: counted */
	__u64 memlock; /* bytes, the kernel's own count (fdinfo "memlock") */
	bool per_cpu;
};
/* Every pinned map of the pin dir, by name; *out malloc'd */
int nb_map_usage_read(const char *pin_dir, struct nb_map_usage **out, size_t *n);

#endif
