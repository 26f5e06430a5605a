// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * portspec.c: Docker's -p specs parsed field by field, every refusal with
 * its cause, the expansion into one mapping per container port (ranges,
 * ports chosen around taken ones, exhaustion) and `docker port`'s lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "portspec.h"

static __be32 ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

struct want {
	const char *spec;
	bool has_ip;
	const char *ip;
	unsigned host_min, host_max, sb_min, sb_max;
	int proto;
};

static void test_parse_valid(void **state)
{
	static const struct want cases[] = {
	    {"80", false, "0.0.0.0", 0, 0, 80, 80, IPPROTO_TCP},
	    {"8000:80", false, "0.0.0.0", 8000, 8000, 80, 80, IPPROTO_TCP},
	    {"127.0.0.1:8000:80", true, "127.0.0.1", 8000, 8000, 80, 80, IPPROTO_TCP},
	    {"8000:80/udp", false, "0.0.0.0", 8000, 8000, 80, 80, IPPROTO_UDP},
	    {"8000:80/UDP", false, "0.0.0.0", 8000, 8000, 80, 80, IPPROTO_UDP},
	    {"8000:80/tcp", false, "0.0.0.0", 8000, 8000, 80, 80, IPPROTO_TCP},
	    {"8000-8002:80-82", false, "0.0.0.0", 8000, 8002, 80, 82, IPPROTO_TCP},
	    {"198.18.0.1::80", true, "198.18.0.1", 0, 0, 80, 80, IPPROTO_TCP},
	    {"0.0.0.0:8000:80", true, "0.0.0.0", 8000, 8000, 80, 80, IPPROTO_TCP},
	    {":80", false, "0.0.0.0", 0, 0, 80, 80, IPPROTO_TCP},
	    {"8000-8010:80", false, "0.0.0.0", 8000, 8010, 80, 80, IPPROTO_TCP},
	    {"80-82", false, "0.0.0.0", 0, 0, 80, 82, IPPROTO_TCP},
	    {"1:65535", false, "0.0.0.0", 1, 1, 65535, 65535, IPPROTO_TCP},
	    {"20000-20999:30000-30999", false, "0.0.0.0", 20000, 20999, 30000, 30999, IPPROTO_TCP},
	};
	struct nb_portspec s;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		int err = nb_portspec_parse(w->spec, &s, why, sizeof(why));

		if (err)
			fail_msg("\"%s\": %s", w->spec, why);
		assert_int_equal(s.has_ip, w->has_ip);
		assert_int_equal(s.ip, ip4(w->ip));
		assert_int_equal(s.host_min, w->host_min);
		assert_int_equal(s.host_max, w->host_max);
		assert_int_equal(s.sb_min, w->sb_min);
		assert_int_equal(s.sb_max, w->sb_max);
		assert_int_equal(s.proto, w->proto);
		assert_int_equal(nb_portspec_count(&s), w->sb_max - w->sb_min + 1);
	}
}

static void test_parse_ipv6(void **state)
{
	static const struct {
		const char *spec, *ip6;
		unsigned host_min, sb_min;
		int proto;
	} cases[] = {
	    {"[::]:8080:80", "::", 8080, 80, IPPROTO_TCP},
	    {"[2001:db8::1]:8080:80", "2001:db8::1", 8080, 80, IPPROTO_TCP},
	    {"[::1]:53:53/udp", "::1", 53, 53, IPPROTO_UDP},
	    {"[fd00::5]::80", "fd00::5", 0, 80, IPPROTO_TCP},
	    {"[::]:80", "::", 0, 80, IPPROTO_TCP},
	};
	struct nb_portspec s;
	struct in6_addr want;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (nb_portspec_parse(cases[i].spec, &s, why, sizeof(why)))
			fail_msg("\"%s\": %s", cases[i].spec, why);
		assert_int_equal(inet_pton(AF_INET6, cases[i].ip6, &want), 1);
		assert_true(s.has_ip6);
		assert_false(s.has_ip);
		assert_memory_equal(&s.ip6, &want, 16);
		assert_int_equal(s.host_min, cases[i].host_min);
		assert_int_equal(s.sb_min, cases[i].sb_min);
		assert_int_equal(s.proto, cases[i].proto);
	}
	/* an IPv4 spec leaves the IPv6 fields alone */
	assert_int_equal(nb_portspec_parse("8080:80", &s, why, sizeof(why)), 0);
	assert_false(s.has_ip6);
}

struct bad {
	const char *spec;
	int err;
	const char *cause; /* a part of the message */
};

static void test_parse_invalid(void **state)
{
	static const struct bad cases[] = {
	    {"", -EINVAL, "empty"},
	    {"abc", -EINVAL, "invalid container port \"abc\""},
	    {"8000:", -EINVAL, "container port is missing"},
	    {"8000:80x", -EINVAL, "not a number"},
	    {"+80", -EINVAL, "not a number"},
	    {" 80", -EINVAL, "not a number"},
	    {"0", -ERANGE, "outside 1-65535"},
	    {"65536", -ERANGE, "container port 65536 is outside 1-65535"},
	    {"99999999999999999999999", -ERANGE, "outside 1-65535"},
	    {"70000:80", -ERANGE, "host port 70000 is outside 1-65535"},
	    {"0:80", -ERANGE, "host port 0"},
	    {"8000-8002:80-81", -EINVAL,
	     "host ports 8000-8002 (3) and container ports 80-81 (2) differ in length"},
	    {"8000:80-82", -EINVAL, "host port 8000 (1) and container ports 80-82 (3)"},
	    {"82-80", -EINVAL, "end is below the start"},
	    {"8002-8000:80", -EINVAL, "end is below the start"},
	    {"80-", -EINVAL, "START-END"},
	    {"-80", -EINVAL, "START-END"},
	    {"80-81-82", -EINVAL, "START-END"},
	    {"80/sctp", -EINVAL, "\"sctp\" is not supported"},
	    {"80/icmp", -EINVAL, "unknown protocol \"icmp\""},
	    {"80/", -EINVAL, "protocol after \"/\" is missing"},
	    {"80/tcp/udp", -EINVAL, "more than one"},
	    {"1.2.3:8000:80", -EINVAL, "invalid host address \"1.2.3\""},
	    {"localhost:8000:80", -EINVAL, "invalid host address \"localhost\""},
	    {"127.0.0.1:80", -EINVAL, "\"127.0.0.1::80\""},
	    {"[::1:8000:80", -EINVAL, "[ADDRESS]:HOSTPORT:CPORT"},
	    {"[::1]8000:80", -EINVAL, "[ADDRESS]:HOSTPORT:CPORT"},
	    {"[zz::1]:8000:80", -EINVAL, "invalid host address \"zz::1\""},
	    {"[1.2.3.4]:8000:80", -EINVAL, "invalid host address \"1.2.3.4\""},
	    {"[::ffff:1.2.3.4]:8000:80", -EINVAL, "IPv6 unicast"},
	    {"[ff02::1]:8000:80", -EINVAL, "IPv6 unicast"},
	    {"[::1]:1.2.3.4:8000:80", -EINVAL, "too many \":\""},
	    {"8000:[::1]:80", -EINVAL, "enclose an IPv6 host address"},
	    {"[::1]:8000:80-81", -EINVAL, "differ in length"},
	    {"1.2.3.4:1:2:3", -EINVAL, "too many \":\""},
	    {"1.2.3.4:8000-x:80", -EINVAL, "not a number"},
	};
	struct nb_portspec s;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		int err = nb_portspec_parse(cases[i].spec, &s, why, sizeof(why));

		if (err != cases[i].err)
			fail_msg("\"%s\": got %d (%s), want %d", cases[i].spec, err, why,
				 cases[i].err);
		if (!strstr(why, cases[i].cause))
			fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].spec, why,
				 cases[i].cause);
	}
	/* no message buffer is fine too */
	assert_int_equal(nb_portspec_parse("x", &s, NULL, 0), -EINVAL);
	assert_int_equal(nb_portspec_parse(NULL, &s, NULL, 0), -EINVAL);
}

static void test_parse_too_long(void **state)
{
	char spec[300], why[128];
	struct nb_portspec s;

	(void)state;
	memset(spec, '1', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = '\0';
	assert_int_equal(nb_portspec_parse(spec, &s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "too long"));
}

/* taken: a fixed list of (ip, port, proto), with Docker's 0.0.0.0 rule */
struct taken_list {
	struct nb_portmap v[8];
	size_t n;
	size_t calls;
};

static bool taken(void *arg, __be32 ip, __u16 port, __u8 proto)
{
	struct taken_list *t = arg;
	size_t i;

	t->calls++;
	for (i = 0; i < t->n; i++)
		if (t->v[i].host_port == port && t->v[i].proto == proto &&
		    nb_portmap_ip_collide(t->v[i].host_ip, ip))
			return true;
	return false;
}

static void parse_ok(const char *spec, struct nb_portspec *s)
{
	char why[256];

	if (nb_portspec_parse(spec, s, why, sizeof(why)))
		fail_msg("\"%s\": %s", spec, why);
}

static void test_expand_fixed_and_ranges(void **state)
{
	struct nb_portspec s;
	struct nb_portmap out[3];
	char why[128];

	(void)state;
	parse_ok("8000-8002:80-82/udp", &s);
	assert_int_equal(
	    nb_portspec_expand(&s, ip4("198.18.0.1"), NULL, NULL, out, why, sizeof(why)), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(out[i].host_ip, ip4("198.18.0.1"));
		assert_int_equal(out[i].host_port, 8000 + i);
		assert_int_equal(out[i].sb_port, 80 + i);
		assert_int_equal(out[i].proto, IPPROTO_UDP);
	}
}

static void test_expand_ephemeral(void **state)
{
	struct taken_list t = {
	    .v = {{.host_ip = 0, .host_port = NB_EPHEMERAL_MIN, .proto = IPPROTO_TCP},
		  {.host_ip = 0x0100007f, .host_port = NB_EPHEMERAL_MIN + 1, .proto = IPPROTO_TCP},
		  {.host_ip = 0, .host_port = NB_EPHEMERAL_MIN + 2, .proto = IPPROTO_UDP}},
	    .n = 3,
	};
	struct nb_portspec s;
	struct nb_portmap out[3];
	char why[128];

	(void)state;
	/* 0.0.0.0 collides with the 127.0.0.1 holder too; udp's holder is not tcp's */
	parse_ok("80-82", &s);
	assert_int_equal(nb_portspec_expand(&s, 0, taken, &t, out, why, sizeof(why)), 0);
	assert_int_equal(out[0].host_port, NB_EPHEMERAL_MIN + 2);
	assert_int_equal(out[1].host_port, NB_EPHEMERAL_MIN + 3); /* not the one just chosen */
	assert_int_equal(out[2].host_port, NB_EPHEMERAL_MIN + 4);
	assert_int_equal(out[0].sb_port, 80);
	assert_int_equal(out[2].sb_port, 82);

	/* a specific address only collides with itself and 0.0.0.0 */
	parse_ok("10.0.0.1::80", &s);
	assert_int_equal(nb_portspec_expand(&s, ip4("10.0.0.1"), taken, &t, out, why, sizeof(why)),
			 0);
	assert_int_equal(out[0].host_port, NB_EPHEMERAL_MIN + 1);
	assert_int_equal(out[0].host_ip, ip4("10.0.0.1"));
}

/* Holes between taken ports are filled in order, each candidate asked about once */
static void test_expand_fills_holes_once(void **state)
{
	struct taken_list t = {
	    .v = {{.host_ip = 0, .host_port = NB_EPHEMERAL_MIN + 1, .proto = IPPROTO_TCP},
		  {.host_ip = 0, .host_port = NB_EPHEMERAL_MIN + 3, .proto = IPPROTO_TCP}},
	    .n = 2,
	};
	struct nb_portspec s;
	struct nb_portmap out[4];
	char why[128];

	(void)state;
	parse_ok("80-83", &s);
	assert_int_equal(nb_portspec_expand(&s, 0, taken, &t, out, why, sizeof(why)), 0);
	assert_int_equal(out[0].host_port, NB_EPHEMERAL_MIN);
	assert_int_equal(out[1].host_port, NB_EPHEMERAL_MIN + 2);
	assert_int_equal(out[2].host_port, NB_EPHEMERAL_MIN + 4);
	assert_int_equal(out[3].host_port, NB_EPHEMERAL_MIN + 5);
	/* MIN .. MIN+5: six candidates, not a search from the start per container port */
	assert_int_equal(t.calls, 6);
}

static void test_expand_host_range_single_cport(void **state)
{
	struct taken_list t = {
	    .v = {{.host_ip = 0, .host_port = 8000, .proto = IPPROTO_TCP},
		  {.host_ip = 0, .host_port = 8001, .proto = IPPROTO_TCP}},
	    .n = 2,
	};
	struct nb_portspec s;
	struct nb_portmap out[1];
	char why[128];

	(void)state;
	parse_ok("8000-8002:80", &s);
	assert_int_equal(nb_portspec_count(&s), 1);
	assert_int_equal(nb_portspec_expand(&s, 0, taken, &t, out, why, sizeof(why)), 0);
	assert_int_equal(out[0].host_port, 8002);

	/* exhausted */
	t.v[2] = (struct nb_portmap){.host_ip = 0, .host_port = 8002, .proto = IPPROTO_TCP};
	t.n = 3;
	assert_int_equal(nb_portspec_expand(&s, 0, taken, &t, out, why, sizeof(why)), -EADDRINUSE);
	assert_non_null(strstr(why, "no free host port left in 8000-8002 on 0.0.0.0 for container "
				    "port 80/tcp"));
}

static void test_expand_fixed_ports_not_checked(void **state)
{
	/* the store refuses a fixed taken port, naming its holder: expand must not hide that */
	struct taken_list t = {
	    .v = {{.host_ip = 0, .host_port = 8000, .proto = IPPROTO_TCP}},
	    .n = 1,
	};
	struct nb_portspec s;
	struct nb_portmap out[1];

	(void)state;
	parse_ok("8000:80", &s);
	assert_int_equal(nb_portspec_expand(&s, 0, taken, &t, out, NULL, 0), 0);
	assert_int_equal(out[0].host_port, 8000);
	assert_int_equal(t.calls, 0);
}

static void test_cport_filter(void **state)
{
	char why[128];
	__u16 port;
	__u8 proto;

	(void)state;
	assert_int_equal(nb_portspec_parse_cport("80", &port, &proto, why, sizeof(why)), 0);
	assert_int_equal(port, 80);
	assert_int_equal(proto, IPPROTO_TCP);
	assert_int_equal(nb_portspec_parse_cport("53/udp", &port, &proto, why, sizeof(why)), 0);
	assert_int_equal(port, 53);
	assert_int_equal(proto, IPPROTO_UDP);
	assert_int_equal(nb_portspec_parse_cport("8000:80", &port, &proto, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(nb_portspec_parse_cport("80-81", &port, &proto, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "not a range"));
	assert_int_equal(nb_portspec_parse_cport("0", &port, &proto, why, sizeof(why)), -ERANGE);
}

static void test_lines(void **state)
{
	struct nb_portmap m = {
	    .host_ip = 0, .host_port = 8000, .sb_port = 80, .proto = IPPROTO_TCP};
	char buf[NB_PORTMAP_STRLEN];

	(void)state;
	assert_string_equal(nb_portmap_str(&m, buf), "80/tcp -> 0.0.0.0:8000");
	assert_string_equal(nb_portmap_host_str(&m, buf), "0.0.0.0:8000");
	assert_string_equal(nb_portmap_key_str(&m, buf), "0.0.0.0:8000/tcp");
	m.host_ip = ip4("127.0.0.1");
	m.proto = IPPROTO_UDP;
	m.sb_port = 53;
	m.host_port = 65535;
	assert_string_equal(nb_portmap_str(&m, buf), "53/udp -> 127.0.0.1:65535");
	assert_true(nb_portmap_ip_collide(0, ip4("1.2.3.4")));
	assert_true(nb_portmap_ip_collide(ip4("1.2.3.4"), 0));
	assert_true(nb_portmap_ip_collide(ip4("1.2.3.4"), ip4("1.2.3.4")));
	assert_false(nb_portmap_ip_collide(ip4("1.2.3.4"), ip4("1.2.3.5")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_valid),
	    cmocka_unit_test(test_parse_ipv6),
	    cmocka_unit_test(test_parse_invalid),
	    cmocka_unit_test(test_parse_too_long),
	    cmocka_unit_test(test_expand_fixed_and_ranges),
	    cmocka_unit_test(test_expand_ephemeral),
	    cmocka_unit_test(test_expand_fills_holes_once),
	    cmocka_unit_test(test_expand_host_range_single_cport),
	    cmocka_unit_test(test_expand_fixed_ports_not_checked),
	    cmocka_unit_test(test_cport_filter),
	    cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests_name("portspec", tests, NULL, NULL);
}
