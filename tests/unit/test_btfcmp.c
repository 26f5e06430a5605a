// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * btfcmp.c: the layout check `up --reload` runs on every pinned map's key and
 * value. Two BTFs are built by hand around a copy of struct nb_port, one of
 * them changed in a single way; the layouts must compare equal when only ids,
 * typedefs and qualifiers differ, and differ, naming the member, otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <bpf/btf.h>

#include "btfcmp.h"

enum variant {
	V_BASE,
	V_SHIFTED_IDS, /* same layout, other type ids, ints behind other typedefs and const */
	V_PAD,	       /* net_flags was still "pad" */
	V_SWAPPED,     /* net_id and kind swapped: same offsets, same sizes */
	V_SIGNED,      /* kind a signed int */
	V_NARROW,      /* net_flags a 1-byte int in the same place */
	V_MAC_COUNT,   /* mac[4] instead of mac[6] */
	V_ENUM8,       /* the nested enum 8 bytes wide */
};

struct built {
	struct btf *btf;
	int port;  /* struct nb_port (behind a typedef) */
	int outer; /* struct holding a struct nb_port and an enum */
	int u32;   /* the __u32 typedef */
};

#define OK(x)                                                                                      \
	({                                                                                         \
		int __r = (x);                                                                     \
		assert_true(__r >= 0);                                                             \
		__r;                                                                               \
	})

static struct built build(enum variant v)
{
	struct built b = {0};
	int u8, u16, u32, s32, u64, t_u8, t_u16, t_u32, t_u64, mac, en, port;

	b.btf = btf__new_empty();
	assert_non_null(b.btf);
	if (v == V_SHIFTED_IDS) {
		/* unrelated types first: every id below moves */
		OK(btf__add_int(b.btf, "long", 8, BTF_INT_SIGNED));
		OK(btf__add_struct(b.btf, "unrelated", 4));
		OK(btf__add_field(b.btf, "x", 1, 0, 0));
	}
	u8 = OK(btf__add_int(b.btf, "unsigned char", 1, 0));
	u16 = OK(btf__add_int(b.btf, "unsigned short", 2, 0));
	u32 = OK(btf__add_int(b.btf, "unsigned int", 4, 0));
	s32 = OK(btf__add_int(b.btf, "int", 4, BTF_INT_SIGNED));
	u64 = OK(btf__add_int(b.btf, "unsigned long long", 8, 0));
	if (v == V_SHIFTED_IDS) {
		/* the ints used directly or behind const, and typedefs of other names */
		t_u8 = u8;
		t_u16 = OK(btf__add_const(b.btf, u16));
		t_u32 = OK(btf__add_typedef(b.btf, "uint32_t", u32));
		t_u64 = OK(btf__add_typedef(b.btf, "u64", OK(btf__add_volatile(b.btf, u64))));
	} else {
		t_u8 = OK(btf__add_typedef(b.btf, "__u8", u8));
		t_u16 = OK(btf__add_typedef(b.btf, "__u16", u16));
		t_u32 = OK(btf__add_typedef(b.btf, "__u32", u32));
		t_u64 = OK(btf__add_typedef(b.btf, "__u64", u64));
	}
	b.u32 = t_u32;
	if (v == V_NARROW)
		t_u16 = u8;
	mac = OK(btf__add_array(b.btf, u32, t_u8, v == V_MAC_COUNT ? 4 : 6));
	if (v == V_ENUM8) {
		en = OK(btf__add_enum64(b.btf, "nb_kind", 8, false));
		OK(btf__add_enum64_value(b.btf, "NB_A", 1));
	} else {
		en = OK(btf__add_enum(b.btf, v == V_SHIFTED_IDS ? "other_name" : "nb_kind", 4));
		OK(btf__add_enum_value(b.btf, "NB_A", 1));
	}

	port = OK(btf__add_struct(b.btf, "nb_port", 32));
	OK(btf__add_field(b.btf, v == V_SWAPPED ? "kind" : "net_id", t_u32, 0, 0));
	OK(btf__add_field(b.btf, v == V_SWAPPED ? "net_id" : "kind", v == V_SIGNED ? s32 : t_u32,
			  32, 0));
	OK(btf__add_field(b.btf, "ip", t_u32, 64, 0));
	OK(btf__add_field(b.btf, "mac", mac, 96, 0));
	OK(btf__add_field(b.btf, v == V_PAD ? "pad" : "net_flags", t_u16, 144, 0));
	OK(btf__add_field(b.btf, "stats_slot", t_u32, 160, 0));
	OK(btf__add_field(b.btf, "netns_cookie", t_u64, 192, 0));
	b.port = OK(btf__add_typedef(b.btf, "nb_port_t", port));

	b.outer = OK(btf__add_struct(b.btf, "outer", 48));
	OK(btf__add_field(b.btf, "port", b.port, 0, 0));
	OK(btf__add_field(b.btf, "kind", en, 256, 0));
	OK(btf__add_field(b.btf, "seq", t_u64, 320, 0));
	return b;
}

/* compares base's id with the variant's: 1 (differ) or 0, why filled */
static int cmp(enum variant v, bool outer, char *why, size_t len)
{
	struct built a = build(V_BASE), b = build(v);
	int ret;

	ret = nb_btf_layout_cmp(a.btf, outer ? a.outer : a.port, b.btf, outer ? b.outer : b.port,
				why, len);
	btf__free(a.btf);
	btf__free(b.btf);
	return ret;
}

static void test_same_layout(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(V_BASE, false, why, sizeof(why)), 0);
	assert_int_equal(cmp(V_BASE, true, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* other ids, typedef names, qualifiers and enum names: still the same bytes */
	assert_int_equal(cmp(V_SHIFTED_IDS, false, why, sizeof(why)), 0);
	assert_int_equal(cmp(V_SHIFTED_IDS, true, why, sizeof(why)), 0);
}

static void test_same_layout_through_typedef(void **state)
{
	struct built a = build(V_BASE), b = build(V_SHIFTED_IDS);
	char why[256];
	int raw;

	(void)state;
	/* the struct itself on one side, the typedef to it on the other */
	raw = btf__type_by_id(a.btf, a.port)->type;
	assert_int_not_equal(raw, b.port);
	assert_int_equal(nb_btf_layout_cmp(a.btf, raw, b.btf, b.port, why, sizeof(why)), 0);
	/* __u32 against a plain unsigned int */
	assert_int_equal(nb_btf_layout_cmp(a.btf, a.u32, b.btf, btf__type_by_id(b.btf, b.u32)->type,
					   why, sizeof(why)),
			 0);
	btf__free(a.btf);
	btf__free(b.btf);
}

static void test_renamed_field(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(V_PAD, false, why, sizeof(why)), 1);
	assert_string_equal(why, "member \"net_flags\" (bit 144) became \"pad\" (bit 144)");
}

static void test_reordered_fields(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(V_SWAPPED, false, why, sizeof(why)), 1);
	assert_string_equal(why, "member \"net_id\" (bit 0) became \"kind\" (bit 0)");
}

static void test_int_changed(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(V_SIGNED, false, why, sizeof(why)), 1);
	assert_string_equal(why,
			    "in member \"kind\": 4-byte unsigned int became 4-byte signed int");
	assert_int_equal(cmp(V_NARROW, false, why, sizeof(why)), 1);
	assert_string_equal(
	    why, "in member \"net_flags\": 2-byte unsigned int became 1-byte unsigned int");
}

static void test_nested_change(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(V_SIGNED, true, why, sizeof(why)), 1);
	assert_string_equal(
	    why, "in member \"port.kind\": 4-byte unsigned int became 4-byte signed int");
	assert_int_equal(cmp(V_PAD, true, why, sizeof(why)), 1);
	assert_string_equal(
	    why, "in member \"port\": member \"net_flags\" (bit 144) became \"pad\" (bit 144)");
	assert_int_equal(cmp(V_ENUM8, true, why, sizeof(why)), 1);
	assert_string_equal(why, "in member \"kind\": 4-byte enum became 8-byte enum");
}

static void test_array_count(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(cmp(V_MAC_COUNT, false, why, sizeof(why)), 1);
	assert_string_equal(why, "in member \"mac\": array of 6 elements became 4 elements");
}

static void test_members_and_sizes(void **state)
{
	struct btf *a = btf__new_empty(), *b = btf__new_empty();
	char why[256];
	int ia, ib, sa, sb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	ia = OK(btf__add_int(a, "unsigned int", 4, 0));
	ib = OK(btf__add_int(b, "unsigned int", 4, 0));
	/* one more member, same size */
	sa = OK(btf__add_struct(a, "s", 8));
	OK(btf__add_field(a, "x", ia, 0, 0));
	sb = OK(btf__add_struct(b, "s", 8));
	OK(btf__add_field(b, "x", ib, 0, 0));
	OK(btf__add_field(b, "y", ib, 32, 0));
	assert_int_equal(nb_btf_layout_cmp(a, sa, b, sb, why, sizeof(why)), 1);
	assert_string_equal(why, "struct of 1 members became 2 members");
	/* a bitfield's width */
	sa = OK(btf__add_struct(a, "bits", 4));
	OK(btf__add_field(a, "f", ia, 0, 3));
	sb = OK(btf__add_struct(b, "bits", 4));
	OK(btf__add_field(b, "f", ib, 0, 5));
	assert_int_equal(nb_btf_layout_cmp(a, sa, b, sb, why, sizeof(why)), 1);
	assert_string_equal(why, "member \"f\" (bit 0, 3 bits) became \"f\" (bit 0, 5 bits)");
	/* struct against union of the same members */
	sb = OK(btf__add_union(b, "bits", 4));
	OK(btf__add_field(b, "f", ib, 0, 3));
	assert_int_equal(nb_btf_layout_cmp(a, sa, b, sb, why, sizeof(why)), 1);
	assert_string_equal(why, "struct became union");
	/* an id not in the BTF */
	assert_int_equal(nb_btf_layout_cmp(a, 999, b, ib, why, sizeof(why)), -EINVAL);
	btf__free(a);
	btf__free(b);
}

/*
 * How a reader prints the bytes is not their layout: a __be32 that became 4
 * bytes (btfview.h) and a __u8/__u32 that became an enum of its size keep a
 * pinned map across `up --reload`; other sizes or element types do not.
 */
static void test_printing_only(void **state)
{
	struct btf *a = btf__new_empty(), *b = btf__new_empty();
	int u8, u16, u32, be32, e1, e4, bytes4, ipv4, u16x2, bytes3, e2, sa, sb;
	char why[256];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	u8 = OK(btf__add_int(a, "unsigned char", 1, 0));
	u16 = OK(btf__add_int(a, "unsigned short", 2, 0));
	u32 = OK(btf__add_int(a, "unsigned int", 4, 0));
	be32 = OK(btf__add_typedef(a, "__be32", u32));

	e1 = OK(btf__add_enum(b, "nb_ct_type", 1));
	OK(btf__add_enum_value(b, "NB_CT_DNAT", 1));
	e2 = OK(btf__add_enum(b, "two", 2));
	OK(btf__add_enum_value(b, "TWO", 2));
	e4 = OK(btf__add_enum(b, "nb_port_kind", 4));
	OK(btf__add_enum_value(b, "NB_PORT_ENDPOINT", 1));
	{
		int bu8 = OK(btf__add_int(b, "unsigned char", 1, 0));
		int bu16 = OK(btf__add_int(b, "unsigned short", 2, 0));
		int idx = OK(btf__add_int(b, "__ARRAY_SIZE_TYPE__", 4, 0));

		bytes4 = OK(btf__add_array(b, idx, OK(btf__add_typedef(b, "__u8", bu8)), 4));
		ipv4 = OK(btf__add_typedef(b, "nb_ipv4_bytes", bytes4));
		u16x2 = OK(btf__add_array(b, idx, bu16, 2));
		bytes3 = OK(btf__add_array(b, idx, bu8, 3));
	}

	assert_int_equal(nb_btf_layout_cmp(a, be32, b, ipv4, why, sizeof(why)), 0);
	assert_int_equal(nb_btf_layout_cmp(b, ipv4, a, be32, why, sizeof(why)), 0);
	assert_int_equal(nb_btf_layout_cmp(a, u32, b, bytes4, why, sizeof(why)), 0);
	assert_int_equal(nb_btf_layout_cmp(a, u8, b, e1, why, sizeof(why)), 0);
	assert_int_equal(nb_btf_layout_cmp(a, u32, b, e4, why, sizeof(why)), 0);
	assert_int_equal(nb_btf_layout_cmp(b, e4, a, u32, why, sizeof(why)), 0);

	assert_int_equal(nb_btf_layout_cmp(a, be32, b, u16x2, why, sizeof(why)), 1);
	assert_string_equal(why, "int became array");
	assert_int_equal(nb_btf_layout_cmp(a, be32, b, bytes3, why, sizeof(why)), 1);
	assert_string_equal(why, "int became array");
	assert_int_equal(nb_btf_layout_cmp(a, u16, b, e1, why, sizeof(why)), 1);
	assert_string_equal(why, "int became enum");
	assert_int_equal(nb_btf_layout_cmp(a, u8, b, e2, why, sizeof(why)), 1);

	/* in a struct: the member path still names what differs */
	sa = OK(btf__add_struct(a, "k", 8));
	OK(btf__add_field(a, "saddr", be32, 0, 0));
	OK(btf__add_field(a, "daddr", be32, 32, 0));
	sb = OK(btf__add_struct(b, "k", 8));
	OK(btf__add_field(b, "saddr", ipv4, 0, 0));
	OK(btf__add_field(b, "daddr", u16x2, 32, 0));
	assert_int_equal(nb_btf_layout_cmp(a, sa, b, sb, why, sizeof(why)), 1);
	assert_string_equal(why, "in member \"daddr\": int became array");
	btf__free(a);
	btf__free(b);
}

static void test_type_str(void **state)
{
	struct built b = build(V_BASE);
	char buf[64];

	(void)state;
	nb_btf_type_str(b.btf, b.u32, buf, sizeof(buf));
	assert_string_equal(buf, "__u32");
	nb_btf_type_str(b.btf, btf__type_by_id(b.btf, b.port)->type, buf, sizeof(buf));
	assert_string_equal(buf, "struct nb_port");
	nb_btf_type_str(b.btf, b.outer, buf, sizeof(buf));
	assert_string_equal(buf, "struct outer");
	btf__free(b.btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_layout),
	    cmocka_unit_test(test_same_layout_through_typedef),
	    cmocka_unit_test(test_renamed_field),
	    cmocka_unit_test(test_reordered_fields),
	    cmocka_unit_test(test_int_changed),
	    cmocka_unit_test(test_nested_change),
	    cmocka_unit_test(test_array_count),
	    cmocka_unit_test(test_members_and_sizes),
	    cmocka_unit_test(test_printing_only),
	    cmocka_unit_test(test_type_str),
	};

	return cmocka_run_group_tests_name("btfcmp", tests, NULL, NULL);
}
