// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* One semantics for reading and writing a BPF map (mapio.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapio.h"

int nb_map_get(int fd, const void *key, void *val)
{
	if (fd < 0)
		return -ENOENT;
	return bpf_map_lookup_elem(fd, key, val) ? -errno : 0;
}

int nb_map_put(int fd, const void *key, const void *val, __u64 flags)
{
	if (fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(fd, key, val, flags) ? -errno : 0;
}

int nb_map_del(int fd, const void *key)
{
	if (fd < 0)
		return -ENOENT;
	if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

int nb_map_keys(int fd, size_t key_size, void **keys, size_t *n)
{
	char *out = NULL, *grown;
	size_t cap = 0, cnt = 0;
	int err = 0;

	*keys = NULL;
	*n = 0;
	if (fd < 0)
		return -ENOENT;
	for (;;) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(out, cap * key_size);
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			out = grown;
		}
		if (bpf_map_get_next_key(fd, cnt ? out + (cnt - 1) * key_size : NULL,
					 out + cnt * key_size)) {
			if (errno != ENOENT)
				err = -errno;
			break;
		}
		cnt++;
	}
	if (err) {
		free(out);
		return err;
	}
	*keys = out;
	*n = cnt;
	return 0;
}

__u64 nb_map_count(int fd, size_t key_size, __u64 limit)
{
	void *key, *next;
	__u64 n = 0;

	if (fd < 0)
		return 0;
	key = calloc(1, key_size ? key_size : 1);
	next = calloc(1, key_size ? key_size : 1);
	if (!key || !next || bpf_map_get_next_key(fd, NULL, next))
		goto cleanup;
	do {
		memcpy(key, next, key_size);
		n++;
	} while (n < limit && !bpf_map_get_next_key(fd, key, next));
cleanup:
	free(key);
	free(next);
	return n;
}

int nb_map_clear(int fd)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info);
	size_t n = 0, i;
	char *keys = NULL;
	int err, e;

	if (fd < 0)
		return -ENOENT;
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len))
		return -errno;
	err = nb_map_keys(fd, info.key_size, (void **)&keys, &n);
	for (i = 0; i < n; i++) {
		e = nb_map_del(fd, keys + i * info.key_size);
		err = err ?: e;
	}
	free(keys);
	return err;
}

int nb_map_percpu_sum(int fd, const void *key, __u64 *out, size_t nwords)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	__u64 *v;
	size_t i, w;

	memset(out, 0, nwords * sizeof(*out));
	if (fd < 0)
		return -ENOENT;
	if (ncpu < 0)
		return ncpu;
	v = calloc((size_t)ncpu * nwords, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = nb_map_get(fd, key, v);
	for (i = 0; !err && i < (size_t)ncpu; i++)
		for (w = 0; w < nwords; w++)
			out[w] += v[i * nwords + w];
	free(v);
	return err;
}
