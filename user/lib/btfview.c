// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The maps' BTF as bpftool reads it (btfview.h).
 *
 * Two passes: the walk from the maps' types only notes which member of which
 * struct changes, then the new types are added and the members pointed at
 * them. Adding a type may move libbpf's type table, so no pointer into it is
 * kept across an addition.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfview.h"

/* deeper than any map key or value nests; ends the walk on a BTF that loops */
#define VIEW_MAX_DEPTH 16

enum edit_kind {
	EDIT_ADDR,  /* __be32 or __be32[n] -> bytes */
	EDIT_PROTO, /* one-byte proto -> enum nb_ipproto */
};

struct edit {
	__u32 type_id; /* the struct or union holding the member */
	__u16 member;  /* the member's index */
	__u32 nelems;  /* EDIT_ADDR: how many __be32 (1 for a single one) */
	enum edit_kind kind;
};

struct view {
	struct btf *btf;
	__u8 *seen; /* per type id: walked already (structs shared by several maps) */
	struct edit *edits;
	size_t n, cap;
};

/* The protocols netbpf's maps hold. bpftool reads a one-byte enum as signed:
 * a value above 127 would never match, so none is listed. */
static const struct {
	const char *name;
	int value;
} ipprotos[] = {
    {"IPPROTO_ICMP", IPPROTO_ICMP},
    {"IPPROTO_TCP", IPPROTO_TCP},
    {"IPPROTO_UDP", IPPROTO_UDP},
    {"IPPROTO_ICMPV6", IPPROTO_ICMPV6},
};

/* through const/volatile/restrict and type tags, not typedefs: __be32 is one */
static __u32 skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t;
	int i;

	for (i = 0; i < VIEW_MAX_DEPTH; i++) {
		t = btf__type_by_id(btf, id);
		if (!t || !btf_is_mod(t))
			break;
		id = t->type;
	}
	return id;
}

static bool is_be32(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *name;

	if (!t || !btf_is_typedef(t))
		return false;
	name = btf__name_by_offset(btf, t->name_off);
	return name && !strcmp(name, "__be32") && btf__resolve_size(btf, id) == 4;
}

/* a plain one-byte int (not a bool, not a bitfield's int) */
static bool is_byte(const struct btf *btf, __u32 id)
{
	int r = btf__resolve_type(btf, id);
	const struct btf_type *t = r < 0 ? NULL : btf__type_by_id(btf, r);

	return t && btf_is_int(t) && t->size == 1 && btf_int_bits(t) == 8 && !btf_int_offset(t) &&
	       !(btf_int_encoding(t) & BTF_INT_BOOL);
}

static int note(struct view *v, __u32 type_id, __u16 member, enum edit_kind kind, __u32 nelems)
{
	struct edit *grown;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 32;
		grown = realloc(v->edits, v->cap * sizeof(*v->edits));
		if (!grown)
			return -ENOMEM;
		v->edits = grown;
	}
	v->edits[v->n++] =
	    (struct edit){.type_id = type_id, .member = member, .kind = kind, .nelems = nelems};
	return 0;
}

static int walk(struct view *v, __u32 id, int depth)
{
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	const char *name;
	__u32 mid;
	__u16 i;
	int r, err;

	if (depth > VIEW_MAX_DEPTH)
		return 0;
	r = btf__resolve_type(v->btf, id);
	if (r <= 0 || v->seen[r])
		return 0; /* void, an id the BTF lacks, or done */
	v->seen[r] = 1;
	t = btf__type_by_id(v->btf, r);
	if (btf_is_array(t))
		return walk(v, btf_array(t)->type, depth + 1);
	if (!btf_is_composite(t))
		return 0;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		if (btf_member_bitfield_size(t, i))
			continue;
		mid = skip_mods(v->btf, m[i].type);
		mt = btf__type_by_id(v->btf, mid);
		name = btf__name_by_offset(v->btf, m[i].name_off);
		err = 0;
		if (is_be32(v->btf, mid))
			err = note(v, r, i, EDIT_ADDR, 1);
		else if (mt && btf_is_array(mt) && btf_array(mt)->nelems &&
			 is_be32(v->btf, skip_mods(v->btf, btf_array(mt)->type)))
			err = note(v, r, i, EDIT_ADDR, btf_array(mt)->nelems);
		else if (name && !strcmp(name, "proto") && is_byte(v->btf, mid))
			err = note(v, r, i, EDIT_PROTO, 0);
		else
			err = walk(v, m[i].type, depth + 1);
		if (err)
			return err;
	}
	return 0;
}

/* The type n __be32 become: bytes in the same order, named for the two sizes of addresses */
static int bytes_type(struct btf *btf, __u32 nelems, __u32 *cache, int *cached, size_t ncache)
{
	const char *name = nelems == 1 ? NB_BTF_IPV4 : nelems == 4 ? NB_BTF_IPV6 : NULL;
	int u8, idx, arr, id;
	size_t i;

	for (i = 0; i < ncache; i++)
		if (cache[i] == nelems && cached[i] > 0)
			return cached[i];
	/* the header's own typedef (nb_local_addrs is declared with it), when it is the same */
	id = name ? btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) : -ENOENT;
	if (id > 0 && btf__resolve_size(btf, id) == 4 * nelems)
		goto done;
	u8 = btf__find_by_name_kind(btf, "__u8", BTF_KIND_TYPEDEF);
	if (u8 <= 0 || btf__resolve_size(btf, u8) != 1)
		u8 = btf__add_int(btf, "unsigned char", 1, 0);
	/* the index type clang gives arrays */
	idx = btf__find_by_name_kind(btf, "__ARRAY_SIZE_TYPE__", BTF_KIND_INT);
	if (idx <= 0)
		idx = btf__add_int(btf, "__ARRAY_SIZE_TYPE__", 4, 0);
	if (u8 < 0 || idx < 0)
		return u8 < 0 ? u8 : idx;
	id = arr = btf__add_array(btf, idx, u8, 4 * nelems);
	if (arr > 0 && name)
		id = btf__add_typedef(btf, name, arr);
	if (id < 0)
		return id;
done:
	for (i = 0; i < ncache; i++)
		if (cached[i] <= 0) {
			cache[i] = nelems;
			cached[i] = id;
			break;
		}
	return id;
}

static int proto_type(struct btf *btf)
{
	int id = btf__add_enum(btf, NB_BTF_IPPROTO, 1);
	size_t i;
	int err;

	if (id < 0)
		return id;
	for (i = 0; i < sizeof(ipprotos) / sizeof(ipprotos[0]); i++) {
		err = btf__add_enum_value(btf, ipprotos[i].name, ipprotos[i].value);
		if (err)
			return err;
	}
	return id;
}

int nb_btf_readable(struct btf *btf, const __u32 *roots, size_t n)
{
	struct view v = {.btf = btf};
	__u32 cache[8] = {0};
	int cached[8] = {0};
	int proto = 0, id, err = 0;
	struct btf_member *m;
	size_t i;

	v.seen = calloc(btf__type_cnt(btf), 1);
	if (!v.seen)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++)
		if (roots[i])
			err = walk(&v, roots[i], 0);
	if (err)
		goto cleanup;
	/* every type first: an addition may move the table the edits write into */
	for (i = 0; i < v.n; i++) {
		if (v.edits[i].kind == EDIT_PROTO && !proto)
			proto = proto_type(btf);
		if (v.edits[i].kind == EDIT_ADDR)
			id = bytes_type(btf, v.edits[i].nelems, cache, cached, 8);
		else
			id = proto;
		if (id < 0) {
			err = id;
			goto cleanup;
		}
	}
	for (i = 0; i < v.n; i++) {
		id = v.edits[i].kind == EDIT_PROTO
			 ? proto
			 : bytes_type(btf, v.edits[i].nelems, cache, cached, 8);
		/* btf_members() of a type of btf: libbpf's own way to change a member */
		m = btf_members(btf__type_by_id(btf, v.edits[i].type_id));
		m[v.edits[i].member].type = id;
	}
	err = (int)v.n;
cleanup:
	free(v.seen);
	free(v.edits);
	return err;
}

int nb_btf_readable_obj(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;
	__u32 *roots;
	size_t n = 0;
	int err;

	if (!btf)
		return 0; /* an object without BTF: bpftool prints bytes anyway */
	bpf_object__for_each_map(map, obj)
	{
		n += 2;
	}
	roots = calloc(n ? n : 1, sizeof(*roots));
	if (!roots)
		return -ENOMEM;
	n = 0;
	bpf_object__for_each_map(map, obj)
	{
		roots[n++] = bpf_map__btf_key_type_id(map);
		roots[n++] = bpf_map__btf_value_type_id(map);
	}
	err = nb_btf_readable(btf, roots, n);
	free(roots);
	return err < 0 ? err : 0;
}
