// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Unit tests of user/lib/ipam.c: parsing, prefix relations, subnet picking, allocation, MACs. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipam.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static __be32 ip(const char *s)
{
	__be32 v = 0;

	if (nb_parse_ipv4(s, &v))
		fail_msg("test bug: bad address %s", s);
	return v;
}

static struct nb_prefix pfx(const char *s)
{
	struct nb_prefix p = {0};

	if (nb_parse_prefix(s, true, &p))
		fail_msg("test bug: bad prefix %s", s);
	return p;
}

static void assert_ip(__be32 got, const char *want)
{
	char buf[NB_IPV4_STRLEN];

	nb_fmt_ipv4(got, buf);
	if (strcmp(buf, want))
		fail_msg("got %s, want %s", buf, want);
}

static void test_parse_ipv4_good(void **state)
{
	static const struct {
		const char *in;
		uint32_t host;
	} cases[] = {
	    {"0.0.0.0", 0},
	    {"10.0.0.1", 0x0a000001},
	    {"172.17.0.1", 0xac110001},
	    {"192.168.1.255", 0xc0a801ff},
	    {"255.255.255.255", 0xffffffff},
	    {"1.2.3.4", 0x01020304},
	    {"100.200.10.0", 0x64c80a00},
	};
	char buf[NB_IPV4_STRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		__be32 v = 0;

		if (nb_parse_ipv4(cases[i].in, &v))
			fail_msg("%s: refused", cases[i].in);
		assert_int_equal(ntohl(v), cases[i].host);
		/* printing gives back the canonical text */
		assert_string_equal(nb_fmt_ipv4(v, buf), cases[i].in);
	}
}

static void test_parse_ipv4_bad(void **state)
{
	static const char *const bad[] = {
	    "",		 "1.2.3",      "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3.4 ",
	    " 1.2.3.4",	 "1.2.3.4x",   "x1.2.3.4",  "1..2.3",	 "1.2.3.",    ".1.2.3",
	    "01.2.3.4",	 "1.2.3.04",   "1.2.3.00",  "-1.2.3.4",	 "+1.2.3.4",  "1.2.3.4/24",
	    "0x1.2.3.4", "1.2.3.1000", "1.2.3.4\n", "1,2,3,4",	 "a.b.c.d",   "4294967295",
	    "1.2.3.-4",	 "9999.1.1.1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		__be32 v = 0x12345678;

		if (nb_parse_ipv4(bad[i], &v) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		/* the output is untouched on failure */
		assert_int_equal(v, 0x12345678);
	}
	assert_int_equal(nb_parse_ipv4(NULL, &(__be32){0}), -EINVAL);
}

static void test_parse_prefix_good(void **state)
{
	static const struct {
		const char *in;
		bool strict;
		const char *out;
	} cases[] = {
	    {"10.0.0.0/8", true, "10.0.0.0/8"},
	    {"172.17.0.0/16", true, "172.17.0.0/16"},
	    {"0.0.0.0/0", true, "0.0.0.0/0"},
	    {"1.2.3.4/32", true, "1.2.3.4/32"},
	    {"10.0.0.2/31", true, "10.0.0.2/31"},
	    {"255.255.255.255/32", true, "255.255.255.255/32"},
	    /* not strict: host bits cleared (a --ip-range may be written either way) */
	    {"10.1.0.5/16", false, "10.1.0.0/16"},
	    {"1.2.3.4/0", false, "0.0.0.0/0"},
	    {"10.0.0.3/31", false, "10.0.0.2/31"},
	};
	char buf[NB_CIDR_STRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct nb_prefix p;

		if (nb_parse_prefix(cases[i].in, cases[i].strict, &p))
			fail_msg("%s: refused", cases[i].in);
		assert_string_equal(nb_fmt_prefix(&p, buf), cases[i].out);
	}
}

static void test_parse_prefix_bad(void **state)
{
	static const struct {
		const char *in;
		bool strict;
	} cases[] = {
	    {"10.0.0.0", false},    {"10.0.0.0/", false},   {"10.0.0.0/33", false},
	    {"10.0.0.0/-1", false}, {"10.0.0.0/08", false}, {"10.0.0.0/8/8", false},
	    {"10.0.0.0/8 ", false}, {"10.0.0/8", false},    {"10.0.0.0.0/8", false},
	    {"256.0.0.0/8", false}, {"/8", false},	    {"10.0.0.0/100", false},
	    {"10.0.0.0/ 8", false}, {"10.0.0.0 /8", false}, {"", false},
	    {"10.0.0.0/8x", false}, {"10.1.0.5/16", true},  {"10.0.0.3/31", true},
	    {"1.2.3.4/0", true},    {"10.0.0.0/+8", false}, {"01.0.0.0/8", false},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct nb_prefix p;

		if (nb_parse_prefix(cases[i].in, cases[i].strict, &p) != -EINVAL)
			fail_msg("\"%s\" (strict %d) accepted", cases[i].in, cases[i].strict);
	}
}

static void test_mask_broadcast(void **state)
{
	struct nb_prefix p;

	assert_int_equal(nb_prefix_mask(0), 0);
	assert_int_equal(ntohl(nb_prefix_mask(1)), 0x80000000);
	assert_int_equal(ntohl(nb_prefix_mask(24)), 0xffffff00);
	assert_int_equal(ntohl(nb_prefix_mask(31)), 0xfffffffe);
	assert_int_equal(ntohl(nb_prefix_mask(32)), 0xffffffff);
	p = pfx("10.1.0.0/16");
	assert_ip(nb_prefix_broadcast(&p), "10.1.255.255");
	p = pfx("0.0.0.0/0");
	assert_ip(nb_prefix_broadcast(&p), "255.255.255.255");
	p = pfx("1.2.3.4/32");
	assert_ip(nb_prefix_broadcast(&p), "1.2.3.4");
}

static void test_contains_covers_overlap(void **state)
{
	static const struct {
		const char *a, *b;
		bool a_covers_b, b_covers_a, overlap;
	} cases[] = {
	    {"10.0.0.0/8", "10.1.0.0/16", true, false, true},
	    {"10.0.0.0/8", "10.0.0.0/16", true, false, true}, /* same start, longer */
	    {"0.0.0.0/0", "0.0.0.0/1", true, false, true},
	    {"10.1.0.0/16", "10.1.0.0/16", true, true, true},
	    {"10.1.0.0/16", "10.2.0.0/16", false, false, false},
	    {"10.1.0.0/24", "10.1.1.0/24", false, false, false},
	    {"0.0.0.0/0", "192.168.0.0/20", true, false, true},
	    {"172.16.0.0/12", "172.31.255.0/24", true, false, true},
	    {"172.16.0.0/12", "172.32.0.0/16", false, false, false},
	    {"192.168.0.0/20", "192.168.16.0/20", false, false, false},
	    {"192.168.15.255/32", "192.168.0.0/20", false, true, true},
	    {"255.255.255.254/31", "255.255.255.255/32", true, false, true},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct nb_prefix a = pfx(cases[i].a), b = pfx(cases[i].b);

		if (nb_prefix_covers(&a, &b) != cases[i].a_covers_b ||
		    nb_prefix_covers(&b, &a) != cases[i].b_covers_a ||
		    nb_prefix_overlap(&a, &b) != cases[i].overlap ||
		    nb_prefix_overlap(&b, &a) != cases[i].overlap)
			fail_msg("%s vs %s: wrong relation", cases[i].a, cases[i].b);
	}

	struct nb_prefix p = pfx("10.1.0.0/16");

	assert_true(nb_prefix_contains(&p, ip("10.1.0.0")));
	assert_true(nb_prefix_contains(&p, ip("10.1.255.255")));
	assert_false(nb_prefix_contains(&p, ip("10.2.0.0")));
	assert_false(nb_prefix_contains(&p, ip("10.0.255.255")));
	p = pfx("0.0.0.0/0");
	assert_true(nb_prefix_contains(&p, ip("255.255.255.255")));
}

static void test_pick_subnet(void **state)
{
	struct nb_prefix used[40], out;
	char buf[NB_CIDR_STRLEN];
	size_t n = 0;

	assert_int_equal(nb_ipam_pick_subnet(NULL, 0, &out), 0);
	assert_string_equal(nb_fmt_prefix(&out, buf), "172.17.0.0/16");

	/* the default bridge network holds 172.17: next is 172.18 */
	used[n++] = pfx("172.17.0.0/16");
	assert_int_equal(nb_ipam_pick_subnet(used, n, &out), 0);
	assert_string_equal(nb_fmt_prefix(&out, buf), "172.18.0.0/16");

	/* a user subnet partly inside a pool (172.18.5.0/24) makes the whole pool taken */
	used[n++] = pfx("172.18.5.0/24");
	assert_int_equal(nb_ipam_pick_subnet(used, n, &out), 0);
	assert_string_equal(nb_fmt_prefix(&out, buf), "172.19.0.0/16");

	/* a wide user subnet (172.16.0.0/12) covers all of 172.17..31 */
	used[n++] = pfx("172.16.0.0/12");
	assert_int_equal(nb_ipam_pick_subnet(used, n, &out), 0);
	assert_string_equal(nb_fmt_prefix(&out, buf), "192.168.0.0/20");

	/* a hole inside 192.168 is found after the taken /20s */
	used[n++] = pfx("192.168.0.0/20");
	used[n++] = pfx("192.168.17.0/24");
	assert_int_equal(nb_ipam_pick_subnet(used, n, &out), 0);
	assert_string_equal(nb_fmt_prefix(&out, buf), "192.168.32.0/20");

	/* exhaustion: all of 192.168.0.0/16 taken too */
	used[n++] = pfx("192.168.0.0/16");
	assert_int_equal(nb_ipam_pick_subnet(used, n, &out), -ENOSPC);

	/* every pool taken one by one: 15 /16s and 16 /20s, then -ENOSPC */
	n = 0;
	for (;;) {
		int err = nb_ipam_pick_subnet(used, n, &out);

		if (err) {
			assert_int_equal(err, -ENOSPC);
			break;
		}
		assert_true(n < ARRAY_SIZE(used));
		used[n++] = out;
	}
	assert_int_equal(n, 15 + 16);
	assert_string_equal(nb_fmt_prefix(&used[14], buf), "172.31.0.0/16");
	assert_string_equal(nb_fmt_prefix(&used[15], buf), "192.168.0.0/20");
	assert_string_equal(nb_fmt_prefix(&used[30], buf), "192.168.240.0/20");
}

static void test_default_gateway(void **state)
{
	struct nb_prefix s = pfx("172.17.0.0/16"), r;

	assert_ip(nb_ipam_default_gateway(&s, NULL), "172.17.0.1");
	assert_ip(nb_ipam_default_gateway(&s, &s), "172.17.0.1");
	r = pfx("172.17.5.0/24");
	assert_ip(nb_ipam_default_gateway(&s, &r), "172.17.5.0");
	/* a range starting at the network address still skips it */
	r = pfx("172.17.0.0/24");
	assert_ip(nb_ipam_default_gateway(&s, &r), "172.17.0.1");
	s = pfx("10.0.0.2/31");
	assert_ip(nb_ipam_default_gateway(&s, NULL), "10.0.0.2");
	s = pfx("10.0.0.7/32");
	assert_ip(nb_ipam_default_gateway(&s, NULL), "10.0.0.7");
	/* a range outside the subnet gives nothing */
	s = pfx("10.0.0.0/24");
	r = pfx("10.0.1.0/24");
	assert_int_equal(nb_ipam_default_gateway(&s, &r), 0);
}

static void test_alloc_lowest_free(void **state)
{
	struct nb_prefix s = pfx("10.1.0.0/24");
	__be32 gw = ip("10.1.0.1"), used[8], out;
	size_t n = 0;

	assert_int_equal(nb_ipam_alloc(&s, &s, gw, NULL, 0, &out), 0);
	assert_ip(out, "10.1.0.2");
	used[n++] = out;
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, n, &out), 0);
	assert_ip(out, "10.1.0.3");
	used[n++] = out;
	used[n++] = ip("10.1.0.5"); /* a fixed --ip */
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, n, &out), 0);
	assert_ip(out, "10.1.0.4");
	used[n++] = out;
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, n, &out), 0);
	assert_ip(out, "10.1.0.6");

	/* release 10.1.0.3: it is the lowest free again, order of used[] does not matter */
	used[0] = ip("10.1.0.5");
	used[1] = ip("10.1.0.4");
	used[2] = ip("10.1.0.2");
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, 3, &out), 0);
	assert_ip(out, "10.1.0.3");

	/* duplicates and addresses outside the range in used[] are harmless */
	used[0] = ip("10.1.0.2");
	used[1] = ip("10.1.0.2");
	used[2] = ip("192.168.1.2");
	assert_int_equal(nb_ipam_alloc(&s, NULL, gw, used, 3, &out), 0);
	assert_ip(out, "10.1.0.3");

	/* a gateway in the middle is skipped, not only at .1 */
	assert_int_equal(nb_ipam_alloc(&s, &s, ip("10.1.0.2"), (__be32[]){ip("10.1.0.1")}, 1, &out),
			 0);
	assert_ip(out, "10.1.0.3");
}

static void test_alloc_range(void **state)
{
	struct nb_prefix s = pfx("10.1.0.0/16"), r = pfx("10.1.2.128/25");
	__be32 gw = ip("10.1.0.1"), out;

	assert_int_equal(nb_ipam_alloc(&s, &r, gw, NULL, 0, &out), 0);
	assert_ip(out, "10.1.2.128"); /* inside the subnet this is an ordinary address */
	assert_int_equal(nb_ipam_alloc(&s, &r, gw, (__be32[]){ip("10.1.2.128")}, 1, &out), 0);
	assert_ip(out, "10.1.2.129");

	/* a range at the top of the subnet stops before its broadcast address */
	r = pfx("10.1.255.252/30");
	__be32 used[] = {ip("10.1.255.252"), ip("10.1.255.253")};
	assert_int_equal(nb_ipam_alloc(&s, &r, gw, used, 2, &out), 0);
	assert_ip(out, "10.1.255.254");
	__be32 used3[] = {ip("10.1.255.252"), ip("10.1.255.253"), ip("10.1.255.254")};
	assert_int_equal(nb_ipam_alloc(&s, &r, gw, used3, 3, &out), -ENOSPC);

	/* a range wider than the subnet is clipped to it */
	s = pfx("10.9.0.0/30");
	r = pfx("10.0.0.0/8");
	assert_int_equal(nb_ipam_alloc(&s, &r, ip("10.9.0.1"), NULL, 0, &out), 0);
	assert_ip(out, "10.9.0.2");
	/* a range outside the subnet has nothing */
	r = pfx("10.8.0.0/16");
	assert_int_equal(nb_ipam_alloc(&s, &r, ip("10.9.0.1"), NULL, 0, &out), -ENOSPC);
}

static void test_alloc_exhaust_slash30(void **state)
{
	struct nb_prefix s = pfx("10.0.0.0/30");
	__be32 gw = ip("10.0.0.1"), used[4], out = 0;
	size_t n = 0;

	/* .0 network, .1 gateway, .3 broadcast: one address */
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, n, &out), 0);
	assert_ip(out, "10.0.0.2");
	used[n++] = out;
	out = 0;
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, n, &out), -ENOSPC);
	assert_int_equal(out, 0);
	/* released: available again */
	assert_int_equal(nb_ipam_alloc(&s, &s, gw, used, 0, &out), 0);
	assert_ip(out, "10.0.0.2");
}

static void test_alloc_small_and_edge(void **state)
{
	struct nb_prefix s;
	__be32 out;

	/* /31: both addresses are hosts (RFC 3021); one is the gateway */
	s = pfx("10.0.0.4/31");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("10.0.0.4"), NULL, 0, &out), 0);
	assert_ip(out, "10.0.0.5");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("10.0.0.4"), &out, 1, &out), -ENOSPC);

	/* /32: only the gateway itself */
	s = pfx("10.0.0.9/32");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("10.0.0.9"), NULL, 0, &out), -ENOSPC);
	assert_int_equal(nb_ipam_alloc(&s, NULL, 0, NULL, 0, &out), 0);
	assert_ip(out, "10.0.0.9");

	/* the very end of the address space, without wrapping to 0.0.0.0 */
	s = pfx("255.255.255.254/31");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("255.255.255.254"), NULL, 0, &out), 0);
	assert_ip(out, "255.255.255.255");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("255.255.255.254"),
				       (__be32[]){ip("255.255.255.255")}, 1, &out),
			 -ENOSPC);
	s = pfx("255.255.255.255/32");
	assert_int_equal(nb_ipam_alloc(&s, NULL, 0, NULL, 0, &out), 0);
	assert_ip(out, "255.255.255.255");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("255.255.255.255"), NULL, 0, &out), -ENOSPC);
	s = pfx("255.255.255.252/30");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("255.255.255.253"), NULL, 0, &out), 0);
	assert_ip(out, "255.255.255.254");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("255.255.255.253"), &out, 1, &out), -ENOSPC);

	/* the bottom of the space */
	s = pfx("0.0.0.0/30");
	assert_int_equal(nb_ipam_alloc(&s, NULL, ip("0.0.0.1"), NULL, 0, &out), 0);
	assert_ip(out, "0.0.0.2");
}

static void test_alloc_many(void **state)
{
	/* a full /22 allocated one by one gives each address once, in order */
	static __be32 used[1024];
	struct nb_prefix s = pfx("10.20.0.0/22");
	__be32 gw = ip("10.20.0.1"), out;
	size_t n = 0;

	while (nb_ipam_alloc(&s, &s, gw, used, n, &out) == 0) {
		assert_true(n < ARRAY_SIZE(used));
		assert_int_equal(ntohl(out), ntohl(ip("10.20.0.2")) + n);
		used[n++] = out;
	}
	assert_int_equal(n, 1024 - 3);
	assert_ip(used[n - 1], "10.20.3.254");
}

static void test_check(void **state)
{
	struct nb_prefix s = pfx("10.1.0.0/24");
	__be32 gw = ip("10.1.0.1");
	__be32 used[] = {ip("10.1.0.2"), ip("10.1.0.7")};

	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.3")), 0);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.254")), 0);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.1.3")), -ERANGE);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.0.255.255")), -ERANGE);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.0")), -EADDRNOTAVAIL);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.255")), -EADDRNOTAVAIL);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.1")), -EADDRNOTAVAIL);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.2")), -EADDRINUSE);
	assert_int_equal(nb_ipam_check(&s, gw, used, 2, ip("10.1.0.7")), -EADDRINUSE);
	assert_int_equal(nb_ipam_check(&s, gw, NULL, 0, ip("10.1.0.7")), 0);

	/* /31: both ends are hosts */
	s = pfx("10.0.0.4/31");
	assert_int_equal(nb_ipam_check(&s, ip("10.0.0.4"), NULL, 0, ip("10.0.0.5")), 0);
	assert_int_equal(nb_ipam_check(&s, ip("10.0.0.5"), NULL, 0, ip("10.0.0.4")), 0);
	assert_int_equal(nb_ipam_check(&s, ip("10.0.0.5"), NULL, 0, ip("10.0.0.5")),
			 -EADDRNOTAVAIL);
}

static void test_mac(void **state)
{
	static const struct {
		const char *ip, *mac;
	} cases[] = {
	    {"172.17.0.2", "02:42:ac:11:00:02"},
	    {"10.0.0.1", "02:42:0a:00:00:01"},
	    {"255.255.255.255", "02:42:ff:ff:ff:ff"},
	    {"0.0.0.0", "02:42:00:00:00:00"},
	};
	__u8 mac[6];
	char buf[18];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		nb_mac_from_ipv4(ip(cases[i].ip), mac);
		assert_string_equal(nb_fmt_mac(mac, buf), cases[i].mac);
	}
	nb_mac_from_ipv4(ip("192.168.1.20"), mac);
	assert_memory_equal(mac, ((__u8[]){0x02, 0x42, 192, 168, 1, 20}), 6);
}

/* ---- IPv6 ---- */

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(nb_parse_ipv6(s, &a), 0);
	return a;
}

static struct nb_prefix6 pfx6(const char *s)
{
	struct nb_prefix6 p;

	assert_int_equal(nb_parse_prefix6(s, true, &p), 0);
	return p;
}

static void test_parse_ipv6(void **state)
{
	static const char *const bad[] = {
	    "",		"fd00::1 ",  " fd00::1", "fd00::1%eth0",     "fd00:::1",
	    "10.0.0.1", "fd00::/64", "g::1",	 "1:2:3:4:5:6:7:8:9"};
	static const char *const badp[] = {"fd00::/",	 "fd00::",    "fd00::/129",
					   "fd00::/064", "fd00::/-1", "fd00::/64 ",
					   "10.0.0.0/8", "/64",	      "fd00::%lo/64"};
	char buf[NB_CIDR6_STRLEN];
	struct nb_prefix6 p;
	struct in6_addr a;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(nb_parse_ipv6(bad[i], &a), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(badp); i++)
		assert_int_equal(nb_parse_prefix6(badp[i], false, &p), -EINVAL);
	a = ip6("FD00:0:0::01");
	assert_string_equal(nb_fmt_ipv6(&a, buf), "fd00::1");
	p = pfx6("fd00:1::/64");
	assert_string_equal(nb_fmt_prefix6(&p, buf), "fd00:1::/64");
	/* host bits: refused when strict, cleared otherwise */
	assert_int_equal(nb_parse_prefix6("fd00:1::5/64", true, &p), -EINVAL);
	assert_int_equal(nb_parse_prefix6("fd00:1::5/64", false, &p), 0);
	assert_string_equal(nb_fmt_prefix6(&p, buf), "fd00:1::/64");
	assert_int_equal(nb_parse_prefix6("::/0", true, &p), 0);
	assert_int_equal(p.len, 0);
	assert_true(nb_str_is_ipv6("fd00::/64"));
	assert_false(nb_str_is_ipv6("10.0.0.0/8"));
}

static void test_prefix6_relations(void **state)
{
	struct nb_prefix6 a = pfx6("fd00:1::/64"), b = pfx6("fd00:1::/80"), c = pfx6("fd00:2::/64");
	struct in6_addr x = ip6("fd00:1::ffff:1");

	assert_true(nb_prefix6_contains(&a, &x));
	assert_false(nb_prefix6_contains(&c, &x));
	assert_true(nb_prefix6_covers(&a, &b));
	assert_false(nb_prefix6_covers(&b, &a));
	assert_true(nb_prefix6_overlap(&a, &b));
	assert_true(nb_prefix6_overlap(&b, &a));
	assert_false(nb_prefix6_overlap(&a, &c));
	a = pfx6("fe80::/64");
	assert_non_null(nb_prefix6_unusable(&a));
	a = pfx6("ff02::/16");
	assert_non_null(nb_prefix6_unusable(&a));
	a = pfx6("::ffff:10.0.0.0/120");
	assert_non_null(nb_prefix6_unusable(&a));
	a = pfx6("::/0");
	assert_non_null(nb_prefix6_unusable(&a));
	a = pfx6("fd00:1::/64");
	assert_null(nb_prefix6_unusable(&a));
	a = pfx6("2001:db8::/32");
	assert_null(nb_prefix6_unusable(&a));
}

static void test_ipam6(void **state)
{
	struct nb_prefix6 s = pfx6("fd00:1::/64"), r = pfx6("fd00:1::8:0/112");
	struct in6_addr gw, out, used[3];
	char buf[NB_IPV6_STRLEN];

	nb_ipam6_default_gateway(&s, NULL, &gw);
	assert_string_equal(nb_fmt_ipv6(&gw, buf), "fd00:1::1");
	nb_ipam6_default_gateway(&s, &r, &gw);
	assert_string_equal(nb_fmt_ipv6(&gw, buf), "fd00:1::8:0");

	gw = ip6("fd00:1::1");
	assert_int_equal(nb_ipam6_alloc(&s, NULL, &gw, NULL, 0, &out), 0);
	assert_string_equal(nb_fmt_ipv6(&out, buf), "fd00:1::2");
	/* unsorted used[], a hole after them */
	used[0] = ip6("fd00:1::3");
	used[1] = ip6("fd00:1::2");
	used[2] = ip6("fd00:1::5");
	assert_int_equal(nb_ipam6_alloc(&s, NULL, &gw, used, 3, &out), 0);
	assert_string_equal(nb_fmt_ipv6(&out, buf), "fd00:1::4");
	/* the range: its first address, used ones outside it ignored */
	assert_int_equal(nb_ipam6_alloc(&s, &r, &gw, used, 3, &out), 0);
	assert_string_equal(nb_fmt_ipv6(&out, buf), "fd00:1::8:0");
	/* the last address of a subnet is a host address (no broadcast in IPv6) */
	s = pfx6("fd00:9::/126");
	gw = ip6("fd00:9::1");
	used[0] = ip6("fd00:9::2");
	assert_int_equal(nb_ipam6_alloc(&s, NULL, &gw, used, 1, &out), 0);
	assert_string_equal(nb_fmt_ipv6(&out, buf), "fd00:9::3");
	used[1] = out;
	assert_int_equal(nb_ipam6_alloc(&s, NULL, &gw, used, 2, &out), -ENOSPC);
	/* the top of the address space does not wrap */
	s = pfx6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc/126");
	gw = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	used[0] = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd");
	used[1] = ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	assert_int_equal(nb_ipam6_alloc(&s, NULL, &gw, used, 2, &out), -ENOSPC);
}

static void test_ipam6_many(void **state)
{
	/* a /64 with 5000 addresses in use: the answer comes from the used list, not a walk */
	struct nb_prefix6 s = pfx6("fd00:7::/64");
	struct in6_addr gw = ip6("fd00:7::1"), out, *used = calloc(5000, sizeof(*used));
	char buf[NB_IPV6_STRLEN];

	assert_non_null(used);
	for (size_t i = 0; i < 5000; i++) {
		used[i] = ip6("fd00:7::");
		used[i].s6_addr[14] = (__u8)((4999 - i + 2) >> 8);
		used[i].s6_addr[15] = (__u8)(4999 - i + 2);
	}
	assert_int_equal(nb_ipam6_alloc(&s, NULL, &gw, used, 5000, &out), 0);
	assert_string_equal(nb_fmt_ipv6(&out, buf), "fd00:7::138a"); /* 5002 */
	free(used);
}

static void test_ipam6_check(void **state)
{
	struct nb_prefix6 s = pfx6("fd00:1::/64");
	struct in6_addr gw = ip6("fd00:1::1"), used[1] = {ip6("fd00:1::2")};
	struct in6_addr a;
	__u8 mac[6];
	char buf[18];

	a = ip6("fd00:2::2");
	assert_int_equal(nb_ipam6_check(&s, &gw, used, 1, &a), -ERANGE);
	a = ip6("fd00:1::");
	assert_int_equal(nb_ipam6_check(&s, &gw, used, 1, &a), -EADDRNOTAVAIL);
	assert_int_equal(nb_ipam6_check(&s, &gw, used, 1, &gw), -EADDRNOTAVAIL);
	assert_int_equal(nb_ipam6_check(&s, &gw, used, 1, &used[0]), -EADDRINUSE);
	a = ip6("fd00:1::ffff:ffff:ffff:ffff");
	assert_int_equal(nb_ipam6_check(&s, &gw, used, 1, &a), 0);
	a = ip6("fd00:1::a:b0c:d0e");
	nb_mac_from_ipv6(&a, mac);
	assert_string_equal(nb_fmt_mac(mac, buf), "02:42:0b:0c:0d:0e");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ipv4_good),
	    cmocka_unit_test(test_parse_ipv4_bad),
	    cmocka_unit_test(test_parse_prefix_good),
	    cmocka_unit_test(test_parse_prefix_bad),
	    cmocka_unit_test(test_mask_broadcast),
	    cmocka_unit_test(test_contains_covers_overlap),
	    cmocka_unit_test(test_pick_subnet),
	    cmocka_unit_test(test_default_gateway),
	    cmocka_unit_test(test_alloc_lowest_free),
	    cmocka_unit_test(test_alloc_range),
	    cmocka_unit_test(test_alloc_exhaust_slash30),
	    cmocka_unit_test(test_alloc_small_and_edge),
	    cmocka_unit_test(test_alloc_many),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_mac),
	    cmocka_unit_test(test_parse_ipv6),
	    cmocka_unit_test(test_prefix6_relations),
	    cmocka_unit_test(test_ipam6),
	    cmocka_unit_test(test_ipam6_many),
	    cmocka_unit_test(test_ipam6_check),
	};

	return cmocka_run_group_tests_name("ipam", tests, NULL, NULL);
}
