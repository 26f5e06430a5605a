/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading and writing one BPF map, by fd: the layer under every module that
 * touches a map (maps.c's switch tables, nat.c, realize.c's prune, events.c,
 * metrics.c, dataplane.c's settings), so that all of them mean the same by
 * their results:
 *
 *   - a map this pin dir or object lacks (fd < 0) is -ENOENT for every
 *     access: there is nothing to read, nowhere to write;
 *   - a key that is not there is -ENOENT for a read, and 0 for a delete (the
 *     key is gone either way);
 *   - anything else the kernel refuses is its -errno.
 */
#ifndef NETBPF_MAPIO_H
#define NETBPF_MAPIO_H

#include <stddef.h>
#include <linux/types.h>

int nb_map_get(int fd, const void *key, void *val);
/* flags: BPF_ANY, BPF_NOEXIST (-EEXIST when there), BPF_EXIST (-ENOENT when not) */
int nb_map_put(int fd, const void *key, const void *val, __u64 flags);
int nb_map_del(int fd, const void *key);
/*
 * Every key, in one malloc'd array of *n keys of key_size bytes. Collected
 * before the caller deletes any: deleting while walking with get_next_key
 * restarts the walk on some kernels, and restarting it after each delete is
 * quadratic.
 */
int nb_map_keys(int fd, size_t key_size, void **keys, size_t *n);
/* How many keys, walking at most limit (a walk restarts when a key vanishes under it) */
__u64 nb_map_count(int fd, size_t key_size, __u64 limit);
/* Deletes every key; the first error is returned, the other keys are still deleted */
int nb_map_clear(int fd);
/*
 * A per-CPU map's value at key, nwords __u64 counters (struct nb_counter,
 * struct nb_ep_stats, a bare __u64), summed over the possible CPUs into out.
 */
int nb_map_percpu_sum(int fd, const void *key, __u64 *out, size_t nwords);

#endif
