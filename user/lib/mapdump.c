// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Any netbpf map decoded through its BTF (mapdump.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfview.h"
#include "fmt.h"
#include "ipam.h"
#include "log.h"
#include "mapdump.h"
#include "mapio.h"

/* nested structs of abi.h are a few levels deep; a loop in bad BTF stops here */
#define MAX_DEPTH 8

static json_t *decode(const struct btf *btf, __u32 id, const char *member, const __u8 *data,
		      int depth);

static __u64 read_uint(const __u8 *p, unsigned int size)
{
	__u64 v = 0;

	/* the host's order: BTF describes the value as the CPU stored it */
	memcpy(&v, p, size < sizeof(v) ? size : sizeof(v));
	return v;
}

static json_t *decode_int(const struct btf_type *t, const char *tname, const char *member,
			  const __u8 *data)
{
	char buf[NB_IPV4_STRLEN];
	unsigned int size = t->size;
	bool is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
	__u64 v;

	if (size > 8)
		return json_null();
	v = read_uint(data, size);
	/* abi.h's rule: network order is spelled __be32/__be16, and every __be32 is an address */
	if (tname && !strcmp(tname, "__be32") && size == 4) {
		__be32 ip;

		memcpy(&ip, data, 4);
		return json_string(nb_fmt_ipv4(ip, buf));
	}
	if (tname && !strcmp(tname, "__be16") && size == 2) {
		__be16 p;

		memcpy(&p, data, 2);
		return json_integer(ntohs(p));
	}
	if (member && !strcmp(member, "proto") && size == 1)
		return json_string(nb_proto_name((__u8)v));
	if (is_signed) {
		__s64 s = (__s64)(v << (64 - 8 * size)) >> (64 - 8 * size);

		return json_integer(s);
	}
	return json_integer((json_int_t)v);
}

static json_t *decode_enum(const struct btf *btf, const struct btf_type *t, const __u8 *data)
{
	__u64 v = read_uint(data, t->size);
	__u16 i, n = btf_vlen(t);

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (i = 0; i < n; i++)
			if ((__u32)e[i].val == (__u32)v)
				return json_string(btf__name_by_offset(btf, e[i].name_off));
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		for (i = 0; i < n; i++)
			if (btf_enum64_value(&e[i]) == v)
				return json_string(btf__name_by_offset(btf, e[i].name_off));
	}
	return json_integer((json_int_t)v);
}

static json_t *decode_array(const struct btf *btf, const struct btf_type *t, const char *tname,
			    const char *member, const __u8 *data, int depth)
{
	const struct btf_array *a = btf_array(t);
	const struct btf_type *et = btf__type_by_id(btf, btf__resolve_type(btf, a->type));
	__s64 esz = btf__resolve_size(btf, a->type);
	json_t *arr;
	__u32 i;

	if (esz <= 0 || !et)
		return json_null();
	/* what btfview.c made of a __be32 (or of four), and nb_local_addrs' key */
	if (tname && !strcmp(tname, NB_BTF_IPV4) && a->nelems * esz == 4) {
		char buf[NB_IPV4_STRLEN];
		__be32 ip;

		memcpy(&ip, data, 4);
		return json_string(nb_fmt_ipv4(ip, buf));
	}
	if (tname && !strcmp(tname, NB_BTF_IPV6) && a->nelems * esz == 16) {
		char buf[INET6_ADDRSTRLEN];

		return json_string(inet_ntop(AF_INET6, data, buf, sizeof(buf)));
	}
	/* u8[6] named mac: a MAC; u8[4] named like an address: an IPv4 address */
	if (btf_is_int(et) && esz == 1 && member) {
		char buf[18];

		if (a->nelems == 6 && strstr(member, "mac"))
			return json_string(nb_fmt_mac(data, buf));
		if (a->nelems == 4 && (strstr(member, "ip") || strstr(member, "addr"))) {
			__be32 ip;

			memcpy(&ip, data, 4);
			return json_string(nb_fmt_ipv4(ip, buf));
		}
	}
	arr = json_array();
	for (i = 0; i < a->nelems && arr; i++)
		json_array_append_new(arr, decode(btf, a->type, member, data + i * esz, depth + 1));
	return arr;
}

static json_t *decode_struct(const struct btf *btf, const struct btf_type *t, const __u8 *data,
			     int depth)
{
	const struct btf_member *m = btf_members(t);
	__u16 i, n = btf_vlen(t);
	json_t *o = json_object();

	for (i = 0; i < n && o; i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);
		__u32 bits = btf_member_bitfield_size(t, i);
		__u32 off = btf_member_bit_offset(t, i);
		json_t *v;

		/* padding says nothing */
		if (name && !strncmp(name, "pad", 3))
			continue;
		if (bits) {
			__u64 raw = read_uint(data + off / 64 * 8, 8);

			v = json_integer((json_int_t)((raw >> (off % 64)) & ((1ull << bits) - 1)));
		} else {
			v = decode(btf, m[i].type, name, data + off / 8, depth + 1);
		}
		json_object_set_new(o, name && *name ? name : "?", v);
	}
	return o;
}

/* id's value at data; member is the name of the struct member holding it (or NULL) */
static json_t *decode(const struct btf *btf, __u32 id, const char *member, const __u8 *data,
		      int depth)
{
	const char *tname = NULL;
	const struct btf_type *t;

	if (depth > MAX_DEPTH)
		return json_null();
	/* the outermost typedef names the byte order (__be32 -> __u32 -> unsigned int) */
	for (t = btf__type_by_id(btf, id); t && (btf_is_typedef(t) || btf_is_mod(t));
	     t = btf__type_by_id(btf, t->type)) {
		if (btf_is_typedef(t) && !tname)
			tname = btf__name_by_offset(btf, t->name_off);
	}
	if (!t)
		return json_null();
	if (btf_is_int(t))
		return decode_int(t, tname, member, data);
	/* btfview.c's enum nb_ipproto: the short names `ct ls` and `port` use */
	if (btf_is_any_enum(t) && t->size == 1 && member && !strcmp(member, "proto"))
		return json_string(nb_proto_name(*data));
	if (btf_is_any_enum(t))
		return decode_enum(btf, t, data);
	if (btf_is_array(t))
		return decode_array(btf, t, tname, member, data, depth);
	if (btf_is_struct(t) || btf_is_union(t))
		return decode_struct(btf, t, data, depth);
	return json_null();
}

json_t *nb_btf_decode(const struct btf *btf, __u32 type_id, const void *data)
{
	return decode(btf, type_id, NULL, data, 0);
}

/* a += b for every number of b (per-CPU counters); other values of a stay */
static void json_add(json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_integer_set(a, json_integer_value(a) + json_integer_value(b));
	} else if (json_is_object(a) && json_is_object(b)) {
		json_object_foreach(a, k, v)
		{
			json_add(v, json_object_get(b, k));
		}
	} else if (json_is_array(a) && json_is_array(b)) {
		json_array_foreach(a, i, v)
		{
			json_add(v, json_array_get(b, i));
		}
	}
}

static bool percpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* the value's type: its own BTF, or (maps without value BTF, e.g. a devmap) a plain number */
static json_t *decode_value(const struct btf *btf, __u32 vtype, const __u8 *data, __u32 size)
{
	if (vtype)
		return decode(btf, vtype, NULL, data, 0);
	return size <= 8 ? json_integer((json_int_t)read_uint(data, size)) : json_null();
}

static int dump_entries(int fd, const struct bpf_map_info *info, const struct btf *btf, json_t *arr)
{
	int ncpu = percpu(info->type) ? libbpf_num_possible_cpus() : 1;
	size_t vstride = percpu(info->type) ? (info->value_size + 7) / 8 * 8 : info->value_size;
	__u8 *keys = NULL, *key, *val = NULL;
	size_t n = 0, i;
	int err, c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	/* the keys first (mapio.h): a live LRU map changes under a get_next_key walk */
	err = nb_map_keys(fd, info->key_size, (void **)&keys, &n);
	if (err)
		return err;
	val = calloc((size_t)ncpu, vstride ? vstride : 1);
	if (!val) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		json_t *k, *v;

		key = keys + i * info->key_size;
		err = nb_map_get(fd, key, val);
		if (err == -ENOENT) { /* gone since it was listed: an LRU or a live table */
			err = 0;
			continue;
		}
		if (err)
			break;
		k = decode(btf, info->btf_key_type_id, NULL, key, 0);
		v = decode_value(btf, info->btf_value_type_id, val, info->value_size);
		for (c = 1; c < ncpu; c++) {
			json_t *vc = decode_value(btf, info->btf_value_type_id, val + c * vstride,
						  info->value_size);

			json_add(v, vc);
			json_decref(vc);
		}
		json_array_append_new(arr, json_pack("{s:o, s:o}", "key", k, "value", v));
	}
cleanup:
	free(keys);
	free(val);
	return err;
}

int nb_map_dump(const struct nb_instance *inst, const char *name, json_t **out)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct btf *btf = NULL;
	json_t *arr = NULL;
	int fd, err;

	*out = NULL;
	if (strncmp(name, "nb_", 3) || strchr(name, '/')) {
		nb_errorf(
		    "map \"%s\": not a netbpf map (their names start with nb_; `netbpfctl map "
		    "ls` lists them)",
		    name);
		return -EINVAL;
	}
	fd = nb_dp_pin_open(inst, name);
	if (fd < 0) {
		if (fd == -ENOENT)
			nb_errorf("map \"%s\": not pinned under %s (`netbpfctl map ls` lists the "
				  "maps; is netbpf up?)",
				  name, inst->pin_dir);
		else
			nb_errorf("map \"%s\": cannot open its pin under %s: %s", name,
				  inst->pin_dir, strerror(-fd));
		return fd;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		nb_errorf("map \"%s\": cannot read its info: %s", name, strerror(-err));
		goto cleanup;
	}
	if (info.type == BPF_MAP_TYPE_RINGBUF) {
		err = nb_error(-EOPNOTSUPP,
			       "map \"%s\": a ring buffer has no entries to read "
			       "(`netbpfctl monitor` reads its events)",
			       name);
		goto cleanup;
	}
	if (info.type == BPF_MAP_TYPE_SK_STORAGE) {
		err = nb_error(-EOPNOTSUPP,
			       "map \"%s\": socket storage lives in the sockets and cannot be "
			       "listed",
			       name);
		goto cleanup;
	}
	if (!info.btf_id || !info.btf_key_type_id) {
		err = nb_error(-ENODATA, "map \"%s\": the kernel keeps no BTF for its key", name);
		goto cleanup;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		err = -errno;
		nb_errorf("map \"%s\": cannot load its BTF (id %u): %s", name, info.btf_id,
			  strerror(-err));
		goto cleanup;
	}
	arr = json_array();
	if (!arr) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = dump_entries(fd, &info, btf, arr);
	if (err) {
		nb_errorf("map \"%s\": cannot read its entries: %s", name, strerror(-err));
		goto cleanup;
	}
	*out = arr;
	arr = NULL;
cleanup:
	json_decref(arr);
	btf__free(btf);
	close(fd);
	return err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nb_map_names(const struct nb_instance *inst, json_t **out)
{
	char **names = NULL, **grown;
	size_t n = 0, i;
	struct dirent *d;
	DIR *dir;
	int err = 0;

	*out = NULL;
	dir = opendir(inst->pin_dir);
	if (!dir) {
		err = -errno;
		nb_errorf("pin dir %s: %s", inst->pin_dir, strerror(-err));
		return err;
	}
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "nb_", 3))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(d->d_name))) {
			names = grown ? grown : names;
			err = -ENOMEM;
			break;
		}
		names = grown;
		n++;
	}
	closedir(dir);
	if (!err) {
		qsort(names, n, sizeof(*names), cmp_str);
		*out = json_array();
		for (i = 0; i < n && *out; i++)
			json_array_append_new(*out, json_string(names[i]));
		if (!*out)
			err = -ENOMEM;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return err;
}
