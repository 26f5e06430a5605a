// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Map sizes from configuration (mapsize.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "dataplane.h"
#include "mapsize.h"
#include "store.h"

void nb_dp_sizes_default(struct nb_dp_sizes *s)
{
	s->max_endpoints = NB_DEF_MAX_ENDPOINTS;
	s->max_networks = NB_DEF_MAX_NETWORKS;
	s->ct_size = NB_DEF_CT_SIZE;
}

static int setting_u32(struct nb_store *st, const char *key, __u32 *v, bool *any)
{
	char *val = NULL, *end;
	unsigned long n;
	int err;

	*v = 0;
	err = nb_store_setting_get(st, key, &val);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	errno = 0;
	n = strtoul(val, &end, 10);
	if (!errno && end != val && !*end && n > 0 && n <= UINT32_MAX) {
		*v = (__u32)n;
		*any = true;
	}
	free(val);
	return 0;
}

int nb_dp_sizes_stored(struct nb_store *st, struct nb_dp_sizes *s, bool *any)
{
	int err;

	*any = false;
	err = setting_u32(st, SETTING_MAX_ENDPOINTS, &s->max_endpoints, any);
	if (!err)
		err = setting_u32(st, SETTING_MAX_NETWORKS, &s->max_networks, any);
	if (!err)
		err = setting_u32(st, SETTING_CT_SIZE, &s->ct_size, any);
	return err;
}

static int setting_put(struct nb_store *st, const char *key, __u32 v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return nb_store_setting_set(st, key, buf);
}

int nb_dp_sizes_store(struct nb_store *st, const struct nb_dp_sizes *s)
{
	int err = setting_put(st, SETTING_MAX_ENDPOINTS, s->max_endpoints);

	if (!err)
		err = setting_put(st, SETTING_MAX_NETWORKS, s->max_networks);
	if (!err)
		err = setting_put(st, SETTING_CT_SIZE, s->ct_size);
	return err;
}

__u32 nb_dp_sizes_networks(struct nb_store *st)
{
	bool any = false;
	__u32 v = 0;

	setting_u32(st, SETTING_MAX_NETWORKS, &v, &any);
	return v ? v : NB_DEF_MAX_NETWORKS;
}

__u32 nb_dp_sizes_endpoints(struct nb_store *st)
{
	bool any = false;
	__u32 v = 0;

	setting_u32(st, SETTING_MAX_ENDPOINTS, &v, &any);
	return v ? v : NB_DEF_MAX_ENDPOINTS;
}

/*
 * Which maps follow which size (docs/maps.md): a switch port per endpoint and
 * one gateway port per network, and the FDB and ARP table alike; a stats slot
 * per endpoint (slot 0 means "not counted"); up to four (endpoint, reason) drop
 * counters per endpoint before the LRU recycles, at most NB_MAX_EP_DROPS.
 */
enum size_rule { BY_NETWORKS, BY_PORTS, BY_SLOTS, BY_DROPS, BY_CT, BY_CT_SYN };

static const struct {
	const char *map;
	enum size_rule rule;
} size_rules[] = {
    {NB_MAP_NAME(NB_MAP_NETWORKS), BY_NETWORKS}, {NB_MAP_NAME(NB_MAP_SUBNETS), BY_NETWORKS},
    {NB_MAP_NAME(NB_MAP_FLOOD), BY_NETWORKS},	 {NB_MAP_NAME(NB_MAP_PORTS), BY_PORTS},
    {NB_MAP_NAME(NB_MAP_FDB), BY_PORTS},	 {NB_MAP_NAME(NB_MAP_NEIGH), BY_PORTS},
    {NB_MAP_NAME(NB_MAP_XDP_DEVS), BY_PORTS},	 {NB_MAP_NAME(NB_MAP_EP_STATS), BY_SLOTS},
    {NB_MAP_NAME(NB_MAP_EP_DROPS), BY_DROPS},	 {NB_MAP_NAME(NB_MAP_CT), BY_CT},
    {NB_MAP_NAME(NB_MAP_CT_SYN), BY_CT_SYN},	 {NB_MAP_NAME(NB_MAP_VNI), BY_NETWORKS},
    {NB_MAP_NAME(NB_MAP_NEIGH6), BY_PORTS},	 {NB_MAP_NAME(NB_MAP_SUBNETS6), BY_NETWORKS},
    {NB_MAP_NAME(NB_MAP_CT6), BY_CT_SYN},
};

static int rule_of(const char *map)
{
	size_t i;

	for (i = 0; i < sizeof(size_rules) / sizeof(size_rules[0]); i++)
		if (!strcmp(size_rules[i].map, map))
			return size_rules[i].rule;
	return -1;
}

__u32 nb_dp_sizes_entries(const struct nb_dp_sizes *s, const char *map)
{
	switch (rule_of(map)) {
	case BY_NETWORKS:
		return s->max_networks;
	case BY_PORTS:
		return s->max_endpoints + s->max_networks;
	case BY_SLOTS:
		return s->max_endpoints + 1;
	case BY_DROPS:
		/* per CPU: capped, or it alone would grow with endpoints x CPUs (an LRU recycles)
		 */
		return 4 * s->max_endpoints < NB_MAX_EP_DROPS ? 4 * s->max_endpoints
							      : NB_MAX_EP_DROPS;
	case BY_CT:
		return s->ct_size;
	case BY_CT_SYN:
		/* half-open published flows: a quarter of the conntrack (NB_MAX_CT_SYN by default) */
		return s->ct_size / 4 > 256 ? s->ct_size / 4 : 256;
	default:
		return 0;
	}
}

const char *nb_dp_sizes_option(const char *map)
{
	switch (rule_of(map)) {
	case BY_NETWORKS:
		return "--max-networks";
	case BY_PORTS:
		return "--max-endpoints and --max-networks";
	case BY_SLOTS:
	case BY_DROPS:
		return "--max-endpoints";
	case BY_CT:
	case BY_CT_SYN:
		return "--ct-size";
	default:
		return NULL;
	}
}

static int pinned_entries(const char *path, __u32 *entries)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	int fd, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	*entries = info.max_entries;
	return err;
}

int nb_dp_sizes_apply(struct bpf_object *obj, const struct nb_dp_sizes *s)
{
	struct nb_dp_sizes def;
	struct bpf_map *map;
	__u32 entries, pinned;
	int err;

	if (!s) {
		nb_dp_sizes_default(&def);
		s = &def;
	}
	bpf_object__for_each_map(map, obj)
	{
		entries = nb_dp_sizes_entries(s, bpf_map__name(map));
		if (!entries)
			continue;
		if (bpf_map__pin_path(map) && !pinned_entries(bpf_map__pin_path(map), &pinned))
			entries = pinned;
		err = bpf_map__set_max_entries(map, entries);
		if (err)
			return err;
	}
	return 0;
}

int nb_dp_sizes_check_live(const struct nb_instance *inst, const struct nb_dp_sizes *s)
{
	char path[PATH_MAX];
	__u32 want, have;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(size_rules) / sizeof(size_rules[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", inst->pin_dir, size_rules[i].map);
		if (pinned_entries(path, &have))
			continue; /* not pinned: created with the new size */
		want = nb_dp_sizes_entries(s, size_rules[i].map);
		if (want == have)
			continue;
		nb_errorf(
		    "up: map %s: the live one has %u entries, the configuration asks for %u "
		    "(%s; --max-endpoints %u, --max-networks %u, --ct-size %u): a map is "
		    "resized only by creating it anew: run `netbpfctl down`, then `netbpfctl "
		    "up` with the sizes (the state is kept, connections and counters are not)",
		    size_rules[i].map, have, want, nb_dp_sizes_option(size_rules[i].map),
		    s->max_endpoints, s->max_networks, s->ct_size);
		err = -EINVAL;
	}
	return err;
}

/* ---- usage, for status ---------------------------------------------------------------- */

static __u64 count_keys(int fd, __u32 key_size, __u32 max_entries)
{
	void *key = calloc(1, key_size ? key_size : 1), *next = calloc(1, key_size ? key_size : 1);
	__u64 n = 0, limit = (__u64)max_entries * 2 + 16;

	if (key && next && !bpf_map_get_next_key(fd, NULL, next)) {
		/* bounded: the walk restarts when a key vanishes under it */
		do {
			memcpy(key, next, key_size);
			n++;
		} while (n < limit && !bpf_map_get_next_key(fd, key, next));
	}
	free(key);
	free(next);
	return n;
}

/* The kernel's own count of the map's memory ("memlock" in its fdinfo), 0 if unknown */
static __u64 memlock_of(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static bool is_per_cpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int cmp_usage(const void *a, const void *b)
{
	return strcmp(((const struct nb_map_usage *)a)->name,
		      ((const struct nb_map_usage *)b)->name);
}

int nb_map_usage_read(const char *pin_dir, struct nb_map_usage **out, size_t *n)
{
	struct nb_map_usage *v = NULL, *grown;
	char path[PATH_MAX];
	struct dirent *de;
	size_t cap = 0;
	int err = 0;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(pin_dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info);
		const char *type;
		int fd;

		if (strncmp(de->d_name, "nb_", 3) || de->d_type == DT_DIR)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", pin_dir, de->d_name) >=
		    sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				close(fd);
				err = -ENOMEM;
				break;
			}
			v = grown;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		snprintf(v[*n].name, sizeof(v[*n].name), "%.31s", de->d_name);
		type = libbpf_bpf_map_type_str(info.type);
		snprintf(v[*n].type, sizeof(v[*n].type), "%.23s", type ? type : "unknown");
		v[*n].max_entries = info.max_entries;
		v[*n].per_cpu = is_per_cpu(info.type);
		v[*n].memlock = memlock_of(fd);
		if (info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY)
			v[*n].entries = info.max_entries; /* allocated whole */
		else if (info.type == BPF_MAP_TYPE_RINGBUF)
			v[*n].entries = 0; /* bytes, not entries */
		else
			v[*n].entries = count_keys(fd, info.key_size, info.max_entries);
		close(fd);
		(*n)++;
	}
	closedir(d);
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	qsort(v, *n, sizeof(*v), cmp_usage);
	*out = v;
	return 0;
}
