// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * btfview.c: the maps' BTF made readable for bpftool before the objects load.
 * Over BTF built by hand: which members change (a __be32, one nested, a
 * one-byte proto), which stay (ports, padding, types no map reaches), and that
 * a second pass changes nothing. Over the five real objects as netbpfctl opens
 * them: no map's key or value keeps a __be32, every layout compares equal to
 * the compiler's (what `up --reload` over an earlier build's maps relies on),
 * and the kinds are enums.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include <netbpf/abi.h>

#include "btfcmp.h"
#include "btfview.h"

#include "endpoint.skel.h"
#include "gateway.skel.h"
#include "sock.skel.h"
#include "uplink.skel.h"
#include "xdp.skel.h"

#define OK(x)                                                                                      \
	({                                                                                         \
		int __r = (x);                                                                     \
		assert_true(__r > 0);                                                              \
		__r;                                                                               \
	})

/* the name a member's type goes by: the typedef's, or the enum's */
static const char *member_type(const struct btf *btf, __u32 struct_id, const char *member)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, struct_id));
	const struct btf_member *m;
	__u16 i;

	assert_non_null(t);
	assert_true(btf_is_composite(t));
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return btf__name_by_offset(btf, btf__type_by_id(btf, m[i].type)->name_off);
	fail_msg("no member %s", member);
	return NULL;
}

/* a copy of btf as it is now, to compare with after the change */
static struct btf *copy(const struct btf *btf)
{
	__u32 size;
	const void *raw = btf__raw_data(btf, &size);
	struct btf *c;

	assert_non_null(raw);
	c = btf__new(raw, size);
	assert_non_null(c);
	return c;
}

static void test_members(void **state)
{
	struct btf *btf = btf__new_empty(), *before;
	int u8, u16, u32, be16, be32, cbe32, inner, key, other, id;
	const struct btf_type *t;
	__u32 roots[3];
	char why[256];

	(void)state;
	assert_non_null(btf);
	u8 = OK(btf__add_typedef(btf, "__u8", OK(btf__add_int(btf, "unsigned char", 1, 0))));
	u16 = OK(btf__add_int(btf, "unsigned short", 2, 0));
	u32 = OK(btf__add_typedef(btf, "__u32", OK(btf__add_int(btf, "unsigned int", 4, 0))));
	be16 = OK(btf__add_typedef(btf, "__be16", u16));
	be32 = OK(btf__add_typedef(btf, "__be32", u32));
	cbe32 = OK(btf__add_const(btf, be32));
	inner = OK(btf__add_struct(btf, "inner", 8));
	assert_int_equal(btf__add_field(btf, "addr", cbe32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "count", u32, 32, 0), 0);
	key = OK(btf__add_struct(btf, "key", 16));
	assert_int_equal(btf__add_field(btf, "saddr", be32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, "sport", be16, 32, 0), 0);
	assert_int_equal(btf__add_field(btf, "proto", u8, 48, 0), 0);
	assert_int_equal(btf__add_field(btf, "pad", u8, 56, 0), 0);
	assert_int_equal(btf__add_field(btf, "in", inner, 64, 0), 0);
	/* no map holds it: it keeps its __be32 */
	other = OK(btf__add_struct(btf, "other", 4));
	assert_int_equal(btf__add_field(btf, "addr", be32, 0, 0), 0);
	before = copy(btf);

	roots[0] = OK(btf__add_typedef(btf, "key_t", key));
	roots[1] = 0; /* a map without value BTF */
	roots[2] = u32;
	assert_int_equal(nb_btf_readable(btf, roots, 3), 3);
	assert_string_equal(member_type(btf, key, "saddr"), NB_BTF_IPV4);
	assert_string_equal(member_type(btf, key, "sport"), "__be16");
	assert_string_equal(member_type(btf, key, "proto"), NB_BTF_IPPROTO);
	assert_string_equal(member_type(btf, key, "pad"), "__u8");
	assert_string_equal(member_type(btf, inner, "addr"), NB_BTF_IPV4);
	assert_string_equal(member_type(btf, inner, "count"), "__u32");
	assert_string_equal(member_type(btf, other, "addr"), "__be32");

	/* 4 one-byte elements; the protocols by the names bpftool prints */
	id = btf__find_by_name_kind(btf, NB_BTF_IPV4, BTF_KIND_TYPEDEF);
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	assert_true(btf_is_array(t));
	assert_int_equal(btf_array(t)->nelems, 4);
	assert_int_equal(btf__resolve_size(btf, btf_array(t)->type), 1);
	id = btf__find_by_name_kind(btf, NB_BTF_IPPROTO, BTF_KIND_ENUM);
	t = btf__type_by_id(btf, id);
	assert_int_equal(t->size, 1);
	assert_string_equal(btf__name_by_offset(btf, btf_enum(t)[1].name_off), "IPPROTO_TCP");
	assert_int_equal(btf_enum(t)[1].val, 6);

	/* the same bytes: a reload keeps maps of either form */
	assert_int_equal(nb_btf_layout_cmp(before, key, btf, key, why, sizeof(why)), 0);
	assert_int_equal(btf__resolve_size(btf, key), 16);
	/* once is enough */
	assert_int_equal(nb_btf_readable(btf, roots, 3), 0);
	btf__free(copy(btf)); /* still a BTF libbpf parses */
	btf__free(before);
	btf__free(btf);
}

/* fails when a struct or union reachable from id holds a __be32 */
static void no_be32(const struct btf *btf, __u32 id, const char *map, int depth)
{
	const struct btf_type *t;
	const struct btf_member *m;
	__u16 i;
	int r;

	assert_true(depth < 16);
	r = btf__resolve_type(btf, id);
	if (r <= 0)
		return;
	t = btf__type_by_id(btf, r);
	if (btf_is_array(t)) {
		no_be32(btf, btf_array(t)->type, map, depth + 1);
		return;
	}
	if (!btf_is_composite(t))
		return;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++) {
		const struct btf_type *mt = btf__type_by_id(btf, m[i].type);

		if (btf_is_typedef(mt) && !strcmp(btf__name_by_offset(btf, mt->name_off), "__be32"))
			fail_msg("map %s: member %s is still a __be32", map,
				 btf__name_by_offset(btf, m[i].name_off));
		no_be32(btf, m[i].type, map, depth + 1);
	}
}

static void check_object(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj), *before;
	struct bpf_map *map;
	bool seen_ct = false, seen_local = false;
	char why[256];

	assert_non_null(btf);
	before = copy(btf);
	assert_int_equal(nb_btf_readable_obj(obj), 0);
	bpf_object__for_each_map(map, obj)
	{
		const char *name = bpf_map__name(map);
		__u32 k = bpf_map__btf_key_type_id(map), v = bpf_map__btf_value_type_id(map);

		if (k) {
			assert_int_equal(nb_btf_layout_cmp(before, k, btf, k, why, sizeof(why)), 0);
			no_be32(btf, k, name, 0);
		}
		if (v) {
			assert_int_equal(nb_btf_layout_cmp(before, v, btf, v, why, sizeof(why)), 0);
			no_be32(btf, v, name, 0);
		}
		if (!strcmp(name, NB_MAP_NAME(NB_MAP_CT))) {
			seen_ct = true;
			assert_string_equal(member_type(btf, k, "saddr"), NB_BTF_IPV4);
			assert_string_equal(member_type(btf, k, "proto"), NB_BTF_IPPROTO);
			assert_string_equal(member_type(btf, v, "nat_daddr"), NB_BTF_IPV4);
			assert_string_equal(member_type(btf, v, "type"), "nb_ct_type");
			assert_string_equal(member_type(btf, v, "state"), "nb_ct_state");
		}
		if (!strcmp(name, NB_MAP_NAME(NB_MAP_LOCAL_ADDRS))) {
			seen_local = true;
			assert_string_equal(
			    btf__name_by_offset(btf, btf__type_by_id(btf, k)->name_off),
			    NB_BTF_IPV4);
		}
		if (!strcmp(name, NB_MAP_NAME(NB_MAP_PORTS)))
			assert_string_equal(member_type(btf, v, "kind"), "nb_port_kind");
		if (!strcmp(name, NB_MAP_NAME(NB_MAP_EP_DROPS)))
			assert_string_equal(member_type(btf, k, "reason"), "nb_drop_reason");
	}
	/* every object declares every map (bpf/lib/maps.bpf.h) */
	assert_true(seen_ct && seen_local);
	btf__free(before);
}

#define CHECK_SKEL(X)                                                                              \
	do {                                                                                       \
		struct X##_bpf *s = X##_bpf__open();                                               \
                                                                                                   \
		assert_non_null(s);                                                                \
		check_object(s->obj);                                                              \
		X##_bpf__destroy(s);                                                               \
	} while (0)

static void test_objects(void **state)
{
	(void)state;
	CHECK_SKEL(endpoint);
	CHECK_SKEL(gateway);
	CHECK_SKEL(uplink);
	CHECK_SKEL(sock);
	CHECK_SKEL(xdp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_members),
	    cmocka_unit_test(test_objects),
	};

	return cmocka_run_group_tests_name("btfview", tests, NULL, NULL);
}
