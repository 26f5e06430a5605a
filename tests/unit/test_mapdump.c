// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/mapdump.c's decoding (nb_btf_decode) over BTF built
 * here as the compiler emits abi.h's: a publish key and value (__be32 as an
 * address, __be16 in host order, proto by name, padding left out), a MAC
 * array, an enum, signed and nested members; and the same key and value after
 * btfview.c made their addresses bytes and proto an enum (what netbpfctl loads).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <cmocka.h>

#include <netbpf/netbpf.h>

#include "btfview.h"

struct types {
	struct btf *btf;
	int u8, u16, u32, u64, s32, be16, be32;
};

static void types_init(struct types *t)
{
	t->btf = btf__new_empty();
	assert_non_null(t->btf);
	t->u8 = btf__add_int(t->btf, "unsigned char", 1, 0);
	t->u16 = btf__add_int(t->btf, "unsigned short", 2, 0);
	t->u32 = btf__add_int(t->btf, "unsigned int", 4, 0);
	t->u64 = btf__add_int(t->btf, "unsigned long long", 8, 0);
	t->s32 = btf__add_int(t->btf, "int", 4, BTF_INT_SIGNED);
	/* __be32 -> __u32 -> unsigned int, as linux/types.h spells them */
	t->be16 = btf__add_typedef(t->btf, "__be16", btf__add_typedef(t->btf, "__u16", t->u16));
	t->be32 = btf__add_typedef(t->btf, "__be32", btf__add_typedef(t->btf, "__u32", t->u32));
	assert_true(t->u8 > 0 && t->be16 > 0 && t->be32 > 0 && t->s32 > 0 && t->u64 > 0);
}

static char *dumps(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	json_decref(v);
	assert_non_null(s);
	return s;
}

static void test_publish_key_value(void **state)
{
	struct nb_publish_key key = {.host_port = htons(8080), .proto = 6};
	struct nb_publish_val val = {.sb_port = htons(80), .net_id = 3, .ifindex = 9, .conns = 5};
	struct types t;
	int k, v;
	char *s;

	(void)state;
	types_init(&t);
	inet_pton(AF_INET, "198.18.0.1", &key.host_ip);
	inet_pton(AF_INET, "10.1.0.2", &val.sb_ip);
	k = btf__add_struct(t.btf, "nb_publish_key", sizeof(key));
	btf__add_field(t.btf, "host_ip", t.be32, 0, 0);
	btf__add_field(t.btf, "host_port", t.be16, 32, 0);
	btf__add_field(t.btf, "proto", t.u8, 48, 0);
	btf__add_field(t.btf, "pad", t.u8, 56, 0);
	v = btf__add_struct(t.btf, "nb_publish_val", sizeof(val));
	btf__add_field(t.btf, "sb_ip", t.be32, 0, 0);
	btf__add_field(t.btf, "sb_port", t.be16, 32, 0);
	btf__add_field(t.btf, "pad", t.u16, 48, 0);
	btf__add_field(t.btf, "net_id", t.u32, 64, 0);
	btf__add_field(t.btf, "ifindex", t.u32, 96, 0);
	btf__add_field(t.btf, "conns", t.u64, 128, 0);

	s = dumps(nb_btf_decode(t.btf, k, &key));
	assert_string_equal(s, "{\"host_ip\":\"198.18.0.1\",\"host_port\":8080,\"proto\":\"tcp\"}");
	free(s);
	s = dumps(nb_btf_decode(t.btf, v, &val));
	assert_string_equal(s, "{\"sb_ip\":\"10.1.0.2\",\"sb_port\":80,\"net_id\":3,\"ifindex\":9,"
			       "\"conns\":5}");
	free(s);
	/* a bare __be32 key (nb_local_addrs) is an address too */
	s = dumps(nb_btf_decode(t.btf, t.be32, &val.sb_ip));
	assert_string_equal(s, "\"10.1.0.2\"");
	free(s);
	btf__free(t.btf);
}

/* the maps' BTF as netbpfctl loads it (btfview.h) decodes as the compiler's did */
static void test_readable_btf(void **state)
{
	struct nb_publish_key key = {.host_port = htons(8080), .proto = 6};
	struct {
		__be32 ip6[4];
		__be32 sb_ip;
		__u8 proto;
		__u8 pad[3];
	} val = {.proto = 17};
	struct types t;
	__u32 roots[2];
	int k, v, arr;
	char *s;

	(void)state;
	types_init(&t);
	inet_pton(AF_INET, "198.18.0.1", &key.host_ip);
	inet_pton(AF_INET6, "2001:db8::2", val.ip6);
	inet_pton(AF_INET, "10.1.0.2", &val.sb_ip);
	k = btf__add_struct(t.btf, "nb_publish_key", sizeof(key));
	btf__add_field(t.btf, "host_ip", t.be32, 0, 0);
	btf__add_field(t.btf, "host_port", t.be16, 32, 0);
	btf__add_field(t.btf, "proto", t.u8, 48, 0);
	btf__add_field(t.btf, "pad", t.u8, 56, 0);
	arr = btf__add_array(t.btf, t.u32, t.be32, 4);
	v = btf__add_struct(t.btf, "v6", sizeof(val));
	btf__add_field(t.btf, "ip6", arr, 0, 0);
	btf__add_field(t.btf, "sb_ip", t.be32, 128, 0);
	btf__add_field(t.btf, "proto", t.u8, 160, 0);
	btf__add_field(t.btf, "pad", btf__add_array(t.btf, t.u32, t.u8, 3), 168, 0);
	roots[0] = k;
	roots[1] = v;
	/* host_ip; ip6, sb_ip; both protos */
	assert_int_equal(nb_btf_readable(t.btf, roots, 2), 5);

	s = dumps(nb_btf_decode(t.btf, k, &key));
	assert_string_equal(s, "{\"host_ip\":\"198.18.0.1\",\"host_port\":8080,\"proto\":\"tcp\"}");
	free(s);
	s = dumps(nb_btf_decode(t.btf, v, &val));
	assert_string_equal(s,
			    "{\"ip6\":\"2001:db8::2\",\"sb_ip\":\"10.1.0.2\",\"proto\":\"udp\"}");
	free(s);
	btf__free(t.btf);
}

static void test_mac_enum_signed_nested(void **state)
{
	struct {
		__u8 mac[6];
		__u8 other[2];
		__u32 kind;
		__s32 delta;
		struct {
			__be16 id;
			__u8 proto;
			__u8 pad;
		} inner;
	} data = {
	    .mac = {0x02, 0x42, 10, 1, 0, 2},
	    .other = {7, 8},
	    .kind = 2,
	    .delta = -5,
	    .inner = {.id = htons(513), .proto = 17},
	};
	struct types t;
	int arr6, arr2, kind, inner, outer;
	char *s;

	(void)state;
	types_init(&t);
	arr6 = btf__add_array(t.btf, t.u32, t.u8, 6);
	arr2 = btf__add_array(t.btf, t.u32, t.u8, 2);
	kind = btf__add_enum(t.btf, "nb_port_kind", 4);
	btf__add_enum_value(t.btf, "NB_PORT_ENDPOINT", 1);
	btf__add_enum_value(t.btf, "NB_PORT_GATEWAY", 2);
	inner = btf__add_struct(t.btf, "inner", 4);
	btf__add_field(t.btf, "id", t.be16, 0, 0);
	btf__add_field(t.btf, "proto", t.u8, 16, 0);
	btf__add_field(t.btf, "pad", t.u8, 24, 0);
	outer = btf__add_struct(t.btf, "outer", sizeof(data));
	btf__add_field(t.btf, "mac", arr6, 0, 0);
	btf__add_field(t.btf, "other", arr2, 48, 0);
	btf__add_field(t.btf, "kind", kind, 64, 0);
	btf__add_field(t.btf, "delta", t.s32, 96, 0);
	btf__add_field(t.btf, "inner", inner, 128, 0);

	s = dumps(nb_btf_decode(t.btf, outer, &data));
	assert_string_equal(s, "{\"mac\":\"02:42:0a:01:00:02\",\"other\":[7,8],"
			       "\"kind\":\"NB_PORT_GATEWAY\",\"delta\":-5,"
			       "\"inner\":{\"id\":513,\"proto\":\"udp\"}}");
	free(s);
	/* a value no enumerator has stays a number */
	data.kind = 7;
	s = dumps(nb_btf_decode(t.btf, outer, &data));
	assert_non_null(strstr(s, "\"kind\":7"));
	free(s);
	btf__free(t.btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_publish_key_value),
	    cmocka_unit_test(test_readable_btf),
	    cmocka_unit_test(test_mac_enum_signed_nested),
	};

	return cmocka_run_group_tests_name("mapdump", tests, NULL, NULL);
}
