// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * publish.c's nb_publish_select: which of a sandbox's rows an unpublish spec
 * names, and the first container port it finds no row for. Fixed cases for
 * each kind of spec, random ones against the per-container-port scan it
 * replaced (the reference below), and the full 1-65535 range.
 *
 * And nb_publish_sort_by_key / nb_publish_find_key, which tell nb_publish_sync
 * whether the store has a row for a map entry: fixed cases, random rows and
 * keys against the scan over every row it replaced, and the full range.
 *
 * And nb_publish_key_ips / nb_publish_key_taken, which tell nb_publish_add
 * whether a host port it would choose is taken: random rows and ports against
 * the scan over every row it replaced, 0.0.0.0 on either side included.
 *
 * And nb_publish_add_via's refusal of an endpoint that is not one of the
 * sandbox's bridge endpoints (another sandbox's, or one without a host side),
 * before it touches the data plane, leaving no row behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "ipam.h"
#include "log.h"
#include "names.h"
#include "portspec.h"
#include "publish.h"
#include "store.h"

static __be32 ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static struct nb_portspec spec_of(const char *s)
{
	struct nb_portspec spec;
	char why[256];

	assert_int_equal(nb_portspec_parse(s, &spec, why, sizeof(why)), 0);
	return spec;
}

static struct nb_publish_rec row(const char *ip, unsigned host_port, unsigned sb_port, int proto)
{
	struct nb_publish_rec r;

	memset(&r, 0, sizeof(r));
	snprintf(r.sandbox_id, sizeof(r.sandbox_id), "sb");
	snprintf(r.network_id, sizeof(r.network_id), "net");
	r.host_ip = ip4(ip);
	r.host_port = (__u16)host_port;
	r.sb_port = (__u16)sb_port;
	r.proto = (__u8)proto;
	return r;
}

/* the matching as it was: every row tried for every container port of the spec */
static bool ref_matches(const struct nb_publish_rec *r, const struct nb_portspec *s, size_t i,
			__be32 ip)
{
	size_t nh, nc = nb_portspec_count(s);
	__u16 cport = (__u16)(s->sb_min + i);

	if (r->proto != s->proto || r->sb_port != cport || r->host_ip != ip)
		return false;
	if (!s->host_min)
		return true;
	nh = (size_t)(s->host_max - s->host_min) + 1;
	if (nh == nc)
		return r->host_port == s->host_min + i;
	return r->host_port >= s->host_min && r->host_port <= s->host_max;
}

static size_t ref_select(const struct nb_publish_rec *rows, size_t nrows, const __be32 *want,
			 const struct nb_portspec *s, bool *sel)
{
	size_t i, j, nmatch;

	memset(sel, 0, nrows * sizeof(*sel));
	for (i = 0; i < nb_portspec_count(s); i++) {
		nmatch = 0;
		for (j = 0; j < nrows; j++) {
			if (!ref_matches(&rows[j], s, i, want[j]))
				continue;
			nmatch += !sel[j];
			sel[j] = true;
		}
		if (!nmatch)
			return i;
	}
	return nb_portspec_count(s);
}

/* runs nb_publish_select on rows (want = ip for all), checks the result and the selection */
static void check(const char *spec_str, const struct nb_publish_rec *rows, size_t n, const char *ip,
		  size_t want_miss, const bool *want_sel)
{
	struct nb_portspec s = spec_of(spec_str);
	__be32 want[16];
	bool sel[16];
	size_t j;

	assert_true(n <= 16);
	for (j = 0; j < n; j++) {
		want[j] = ip4(ip);
		sel[j] = !want_sel[j]; /* stale: the function must set every entry */
	}
	assert_int_equal(nb_publish_select(rows, n, want, &s, sel), want_miss);
	for (j = 0; j < n; j++) {
		if (sel[j] != want_sel[j])
			fail_msg("spec \"%s\": row %zu (%u->%u) selected %d, expected %d", spec_str,
				 j, rows[j].host_port, rows[j].sb_port, sel[j], want_sel[j]);
	}
}

static void test_one_to_one_range(void **state)
{
	const struct nb_publish_rec rows[] = {
	    row("0.0.0.0", 8000, 80, IPPROTO_TCP), row("0.0.0.0", 8001, 81, IPPROTO_TCP),
	    row("0.0.0.0", 8002, 82, IPPROTO_TCP), row("0.0.0.0", 8003, 83, IPPROTO_TCP),
	    row("0.0.0.0", 8001, 81, IPPROTO_UDP),
	};
	const bool all3[] = {true, true, true, false, false};
	const bool first[] = {true, false, false, false, false};
	const bool udp81[] = {false, false, false, false, true};

	(void)state;
	check("8000-8002:80-82", rows, 5, "0.0.0.0", 3, all3);
	check("8000:80", rows, 5, "0.0.0.0", 1, first);
	/* published as 8000-8001, not 9000-9001: the first port is already missing */
	check("9000-9001:80-81", rows, 5, "0.0.0.0", 0, (const bool[5]){0});
	/* the protocol counts: 80/udp is not published, 81/udp (8001) is */
	check("8000-8001:80-81/udp", rows, 5, "0.0.0.0", 0, udp81);
}

static void test_first_missing_port_named(void **state)
{
	const struct nb_publish_rec rows[] = {
	    row("0.0.0.0", 8000, 80, IPPROTO_TCP),
	    row("0.0.0.0", 8002, 82, IPPROTO_TCP),
	};
	const bool both[] = {true, true};

	(void)state;
	/* 81 has no row: index 1, even though 80 and 82 match */
	check("8000-8002:80-82", rows, 2, "0.0.0.0", 1, both);
	check("80-82", rows, 2, "0.0.0.0", 1, both);
}

static void test_any_host_port(void **state)
{
	const struct nb_publish_rec rows[] = {
	    row("0.0.0.0", 32768, 80, IPPROTO_TCP),
	    row("0.0.0.0", 8000, 80, IPPROTO_TCP),
	    row("0.0.0.0", 9000, 443, IPPROTO_TCP),
	};
	const bool both80[] = {true, true, false};

	(void)state;
	/* without a host port every host port of the container port goes */
	check("80", rows, 3, "0.0.0.0", 1, both80);
	check("80-81", rows, 3, "0.0.0.0", 1, both80);
}

static void test_host_range_one_cport(void **state)
{
	const struct nb_publish_rec rows[] = {
	    row("0.0.0.0", 8005, 80, IPPROTO_TCP),
	    row("0.0.0.0", 8011, 80, IPPROTO_TCP),
	};
	const bool in[] = {true, false};

	(void)state;
	check("8000-8010:80", rows, 2, "0.0.0.0", 1, in);
	check("8006-8010:80", rows, 2, "0.0.0.0", 0, (const bool[2]){0});
}

static void test_address(void **state)
{
	const struct nb_publish_rec rows[] = {
	    row("127.0.0.1", 8000, 80, IPPROTO_TCP),
	    row("0.0.0.0", 8001, 80, IPPROTO_TCP),
	};
	const bool lo[] = {true, false}, any[] = {false, true};

	(void)state;
	check("8000:80", rows, 2, "127.0.0.1", 1, lo);
	check("80", rows, 2, "127.0.0.1", 1, lo);
	check("80", rows, 2, "0.0.0.0", 1, any);
	check("8000:80", rows, 2, "0.0.0.0", 0, (const bool[2]){0});
}

static void test_no_rows(void **state)
{
	struct nb_portspec s = spec_of("80-90");
	bool sel[1] = {true};

	(void)state;
	assert_int_equal(nb_publish_select(NULL, 0, NULL, &s, sel), 0);
}

/* random rows and specs: same selection and same first miss as the reference */
static void test_random_against_reference(void **state)
{
	static const char *const ips[] = {"0.0.0.0", "127.0.0.1", "198.18.0.1"};
	struct nb_publish_rec rows[64];
	bool sel[64], ref[64];
	__be32 want[64];
	char spec[96];
	size_t n, j, got, exp, nmiss = 0, nall = 0;
	int iter;

	(void)state;
	srand(4242);
	for (iter = 0; iter < 20000; iter++) {
		unsigned sb_min = 1 + (unsigned)(rand() % 12), len = 1 + (unsigned)(rand() % 4);
		unsigned host_min = 100 + (unsigned)(rand() % 12), kind = (unsigned)(rand() % 3);
		const char *ip = ips[rand() % 3];
		const char *proto = rand() % 2 ? "tcp" : "udp";
		struct nb_portspec s;

		if (kind == 0) /* container ports only */
			snprintf(spec, sizeof(spec), "%s::%u-%u/%s", ip, sb_min, sb_min + len - 1,
				 proto);
		else if (kind == 1) /* host range as long as the container range */
			snprintf(spec, sizeof(spec), "%s:%u-%u:%u-%u/%s", ip, host_min,
				 host_min + len - 1, sb_min, sb_min + len - 1, proto);
		else /* a host range for one container port */
			snprintf(spec, sizeof(spec), "%s:%u-%u:%u/%s", ip, host_min,
				 host_min + len + 1, sb_min, proto);
		s = spec_of(spec);
		n = (size_t)(rand() % 64);
		for (j = 0; j < n; j++) {
			rows[j] =
			    row(ips[rand() % 3], 100 + (unsigned)(rand() % 16),
				1 + (unsigned)(rand() % 16),
				rand() % 4 ? s.proto
					   : (s.proto == IPPROTO_TCP ? IPPROTO_UDP : IPPROTO_TCP));
			/* what the spec means for the row: its IP, or the row's binding */
			want[j] = rand() % 4 ? s.ip : ip4(ips[rand() % 3]);
			sel[j] = rand() % 2;
		}
		exp = ref_select(rows, n, want, &s, ref);
		got = nb_publish_select(rows, n, want, &s, sel);
		if (got != exp)
			fail_msg("spec \"%s\", %zu rows: first miss %zu, expected %zu", spec, n,
				 got, exp);
		/* the reference stops at the first miss; its selection counts only then */
		if (exp == nb_portspec_count(&s)) {
			nall++;
			for (j = 0; j < n; j++)
				if (sel[j] != ref[j])
					fail_msg("spec \"%s\": row %zu (%u->%u/%u) selected %d, "
						 "expected %d",
						 spec, j, rows[j].host_port, rows[j].sb_port,
						 rows[j].proto, sel[j], ref[j]);
		} else {
			nmiss++;
		}
	}
	/* both outcomes were exercised */
	assert_true(nall > 1000);
	assert_true(nmiss > 1000);
}

/* the whole port range, one row per port: the case that took seconds when matched per port */
static void test_full_range(void **state)
{
	struct nb_portspec s = spec_of("1-65535:1-65535");
	const size_t n = 65535;
	struct nb_publish_rec *rows = calloc(n, sizeof(*rows));
	__be32 *want = calloc(n, sizeof(*want));
	bool *sel = calloc(n, sizeof(*sel));
	size_t j;

	(void)state;
	assert_non_null(rows);
	assert_non_null(want);
	assert_non_null(sel);
	/* in reverse: the matching must not depend on the store's order */
	for (j = 0; j < n; j++)
		rows[j] = row("0.0.0.0", (unsigned)(n - j), (unsigned)(n - j), IPPROTO_TCP);
	assert_int_equal(nb_publish_select(rows, n, want, &s, sel), n);
	for (j = 0; j < n; j++)
		assert_true(sel[j]);
	/* port 65535 published elsewhere: the last index is the one missing */
	rows[0].host_port = 1000;
	assert_int_equal(nb_publish_select(rows, n, want, &s, sel), n - 1);
	assert_false(sel[0]);
	assert_true(sel[1]);
	free(sel);
	free(want);
	free(rows);
}

/* ---- nb_publish_find_key ------------------------------------------------------- */

/* the matching as it was: every row compared with the entry's key */
static const struct nb_publish_rec *ref_find_key(const struct nb_publish_rec *rows, size_t n,
						 __be32 ip, __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].host_ip == ip && rows[i].host_port == port && rows[i].proto == proto)
			return &rows[i];
	return NULL;
}

static void test_find_key_fixed(void **state)
{
	struct nb_publish_rec rows[] = {
	    row("0.0.0.0", 8000, 80, IPPROTO_TCP),   row("127.0.0.1", 8000, 81, IPPROTO_TCP),
	    row("0.0.0.0", 8000, 82, IPPROTO_UDP),   row("198.18.0.1", 7999, 83, IPPROTO_TCP),
	    row("1.0.0.198", 7999, 84, IPPROTO_TCP), row("0.0.0.0", 65535, 85, IPPROTO_UDP),
	};
	const size_t n = sizeof(rows) / sizeof(rows[0]);
	const struct nb_publish_rec *r;

	(void)state;
	assert_null(nb_publish_find_key(NULL, 0, 0, 8000, IPPROTO_TCP));
	nb_publish_sort_by_key(rows, n);
	/* each field of the key counts; the row found carries its own container port */
	r = nb_publish_find_key(rows, n, ip4("0.0.0.0"), 8000, IPPROTO_TCP);
	assert_non_null(r);
	assert_int_equal(r->sb_port, 80);
	r = nb_publish_find_key(rows, n, ip4("0.0.0.0"), 8000, IPPROTO_UDP);
	assert_non_null(r);
	assert_int_equal(r->sb_port, 82);
	r = nb_publish_find_key(rows, n, ip4("127.0.0.1"), 8000, IPPROTO_TCP);
	assert_non_null(r);
	assert_int_equal(r->sb_port, 81);
	/* the same bytes in the other order are another address */
	r = nb_publish_find_key(rows, n, ip4("198.18.0.1"), 7999, IPPROTO_TCP);
	assert_non_null(r);
	assert_int_equal(r->sb_port, 83);
	r = nb_publish_find_key(rows, n, ip4("1.0.0.198"), 7999, IPPROTO_TCP);
	assert_non_null(r);
	assert_int_equal(r->sb_port, 84);
	r = nb_publish_find_key(rows, n, ip4("0.0.0.0"), 65535, IPPROTO_UDP);
	assert_non_null(r);
	assert_int_equal(r->sb_port, 85);
	/* 0.0.0.0 is its own key: it does not stand for 127.0.0.1 or the reverse */
	assert_null(nb_publish_find_key(rows, n, ip4("127.0.0.1"), 8000, IPPROTO_UDP));
	assert_null(nb_publish_find_key(rows, n, ip4("0.0.0.0"), 7999, IPPROTO_TCP));
	assert_null(nb_publish_find_key(rows, n, ip4("198.18.0.1"), 8000, IPPROTO_TCP));
	assert_null(nb_publish_find_key(rows, n, ip4("0.0.0.0"), 65535, IPPROTO_TCP));
	assert_null(nb_publish_find_key(rows, n, ip4("0.0.0.0"), 1, IPPROTO_TCP));
	assert_null(nb_publish_find_key(rows, n, ip4("255.255.255.255"), 65535, IPPROTO_UDP));
}

/* addresses the random key tests draw from: few, so keys repeat and collide */
static const char *const key_ips[] = {"0.0.0.0",   "127.0.0.1", "198.18.0.1",
				      "1.0.0.198", "10.0.1.0",	"10.1.0.0"};

/* up to max random rows (host ports 1..8, so keys repeat) and a copy sorted by key */
static size_t random_rows_sorted(struct nb_publish_rec *rows, struct nb_publish_rec *sorted,
				 size_t max)
{
	size_t j, n = (size_t)rand() % max;

	for (j = 0; j < n; j++)
		rows[j] =
		    row(key_ips[rand() % 6], 1 + (unsigned)(rand() % 8),
			1 + (unsigned)(rand() % 65535), rand() % 2 ? IPPROTO_TCP : IPPROTO_UDP);
	memcpy(sorted, rows, n * sizeof(*rows));
	nb_publish_sort_by_key(sorted, n);
	return n;
}

/* a random key to ask about: one of key_ips, port 1..9 (9 is never held) */
static void random_key(__be32 *ip, __u16 *port, __u8 *proto)
{
	*ip = ip4(key_ips[rand() % 6]);
	*port = (__u16)(1 + rand() % 9);
	*proto = rand() % 2 ? IPPROTO_TCP : IPPROTO_UDP;
}

/* random rows (duplicate keys included) and keys: found exactly when the scan finds one */
static void test_find_key_random_against_reference(void **state)
{
	struct nb_publish_rec rows[48], sorted[48];
	const struct nb_publish_rec *got, *exp;
	size_t n, j, k, nfound = 0, nmissed = 0, same;
	int iter;

	(void)state;
	srand(4343);
	for (iter = 0; iter < 20000; iter++) {
		n = random_rows_sorted(rows, sorted, 48);
		/* sorting kept every row, each whole */
		for (j = 0; j < n; j++) {
			same = 0;
			for (k = 0; k < n; k++)
				same += !memcmp(&rows[j], &sorted[k], sizeof(rows[j]));
			assert_true(same > 0);
		}
		for (k = 0; k < 16; k++) {
			char a[INET_ADDRSTRLEN];
			__be32 ip;
			__u16 port;
			__u8 proto;

			random_key(&ip, &port, &proto);

			exp = ref_find_key(rows, n, ip, port, proto);
			got = nb_publish_find_key(sorted, n, ip, port, proto);
			if (!exp != !got)
				fail_msg("%zu rows: %s:%u/%u found %d, expected %d", n,
					 inet_ntop(AF_INET, &ip, a, sizeof(a)), port, proto, !!got,
					 !!exp);
			if (!got) {
				nmissed++;
				continue;
			}
			nfound++;
			/* a row of the array, with the key asked for */
			assert_true(got >= sorted && got < sorted + n);
			assert_true(got->host_ip == ip && got->host_port == port &&
				    got->proto == proto);
		}
	}
	/* both outcomes were exercised */
	assert_true(nfound > 10000);
	assert_true(nmissed > 10000);
}

/* the whole port range on two addresses and both protocols, shuffled; one key removed */
static void test_find_key_full_range(void **state)
{
	const size_t per = 65535, n = 4 * per;
	struct nb_publish_rec *rows = calloc(n, sizeof(*rows)), tmp;
	const struct nb_publish_rec *r;
	__be32 any = ip4("0.0.0.0"), lo = ip4("127.0.0.1");
	size_t j, k;

	(void)state;
	assert_non_null(rows);
	for (j = 0; j < per; j++) {
		rows[4 * j] = row("0.0.0.0", (unsigned)(j + 1), (unsigned)(per - j), IPPROTO_TCP);
		rows[4 * j + 1] = row("0.0.0.0", (unsigned)(j + 1), (unsigned)(j + 1), IPPROTO_UDP);
		rows[4 * j + 2] = row("127.0.0.1", (unsigned)(j + 1), 1, IPPROTO_TCP);
		rows[4 * j + 3] = row("127.0.0.1", (unsigned)(j + 1), 2, IPPROTO_UDP);
	}
	srand(4444);
	for (j = n - 1; j > 0; j--) {
		k = (size_t)rand() % (j + 1);
		tmp = rows[j];
		rows[j] = rows[k];
		rows[k] = tmp;
	}
	/* 127.0.0.1:4242/udp was unpublished */
	for (j = 0; j < n; j++)
		if (rows[j].host_ip == lo && rows[j].host_port == 4242 &&
		    rows[j].proto == IPPROTO_UDP)
			break;
	assert_true(j < n);
	rows[j] = rows[n - 1];
	nb_publish_sort_by_key(rows, n - 1);
	for (j = 1; j <= per; j++) {
		r = nb_publish_find_key(rows, n - 1, any, (__u16)j, IPPROTO_TCP);
		assert_non_null(r);
		assert_int_equal(r->sb_port, per + 1 - j);
		r = nb_publish_find_key(rows, n - 1, any, (__u16)j, IPPROTO_UDP);
		assert_non_null(r);
		assert_int_equal(r->sb_port, j);
		assert_non_null(nb_publish_find_key(rows, n - 1, lo, (__u16)j, IPPROTO_TCP));
		if (j == 4242)
			assert_null(nb_publish_find_key(rows, n - 1, lo, (__u16)j, IPPROTO_UDP));
		else
			assert_non_null(
			    nb_publish_find_key(rows, n - 1, lo, (__u16)j, IPPROTO_UDP));
		assert_null(
		    nb_publish_find_key(rows, n - 1, ip4("198.18.0.1"), (__u16)j, IPPROTO_TCP));
	}
	free(rows);
}

/* ---- nb_publish_key_taken ------------------------------------------------------ */

/* the check as it was: every row compared with the port asked for */
static bool ref_taken(const struct nb_publish_rec *rows, size_t n, __be32 ip, __u16 port,
		      __u8 proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].host_port == port && rows[i].proto == proto &&
		    nb_portmap_ip_collide(rows[i].host_ip, ip))
			return true;
	return false;
}

/* random rows and ports: taken exactly when the scan says so; the addresses listed once each */
static void test_key_taken_random_against_reference(void **state)
{
	struct nb_publish_rec rows[48], sorted[48];
	size_t n, j, k, nips, ntaken = 0, nfree = 0, nwild = 0, distinct;
	__be32 addrs[48];
	bool got, exp;
	int iter;

	(void)state;
	assert_int_equal(nb_publish_key_ips(NULL, 0, addrs), 0);
	assert_false(nb_publish_key_taken(NULL, 0, addrs, 0, 0, 80, IPPROTO_TCP));
	srand(4545);
	for (iter = 0; iter < 20000; iter++) {
		n = random_rows_sorted(rows, sorted, 48);
		nips = nb_publish_key_ips(sorted, n, addrs);
		/* every address of the rows, once */
		for (j = 0, distinct = 0; j < n; j++) {
			for (k = 0; k < j && rows[k].host_ip != rows[j].host_ip; k++)
				;
			distinct += k == j;
		}
		assert_int_equal(nips, distinct);
		for (j = 0; j < nips; j++) {
			for (k = 0; k < n && rows[k].host_ip != addrs[j]; k++)
				;
			assert_true(k < n);
			for (k = 0; k < j; k++)
				assert_true(addrs[k] != addrs[j]);
		}
		for (k = 0; k < 16; k++) {
			char a[INET_ADDRSTRLEN];
			__be32 ip;
			__u16 port;
			__u8 proto;

			random_key(&ip, &port, &proto);

			exp = ref_taken(rows, n, ip, port, proto);
			got = nb_publish_key_taken(sorted, n, addrs, nips, ip, port, proto);
			if (got != exp)
				fail_msg("%zu rows: %s:%u/%u taken %d, expected %d", n,
					 inet_ntop(AF_INET, &ip, a, sizeof(a)), port, proto, got,
					 exp);
			ntaken += got;
			nfree += !got;
			/* taken through a wildcard only: no row has this very address */
			nwild += got && !nb_publish_find_key(sorted, n, ip, port, proto);
		}
	}
	/* both outcomes were exercised, and 0.0.0.0 colliding with another address */
	assert_true(ntaken > 10000);
	assert_true(nfree > 10000);
	assert_true(nwild > 1000);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct nb_sandbox_rec via_sb(struct nb_store *st, const char *name)
{
	struct nb_sandbox_rec sb = {0};

	assert_int_equal(nb_id_new(sb.id), 0);
	snprintf(sb.name, sizeof(sb.name), "%s", name);
	snprintf(sb.netns, sizeof(sb.netns), "/run/netns/%s", name);
	sb.owned = true;
	assert_int_equal(nb_store_sandbox_add(st, &sb), 0);
	return sb;
}

static struct nb_endpoint_rec via_ep(struct nb_store *st, const struct nb_network_rec *n,
				     const struct nb_sandbox_rec *sb, const char *addr)
{
	struct nb_endpoint_rec ep;

	memset(&ep, 0, sizeof(ep));
	assert_int_equal(nb_id_new(ep.id), 0);
	memcpy(ep.network_id, n->id, sizeof(ep.network_id));
	memcpy(ep.sandbox_id, sb->id, sizeof(ep.sandbox_id));
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "nbe%.11s", ep.id);
	ep.ip = ip4(addr);
	nb_mac_from_ipv4(ep.ip, ep.mac);
	assert_int_equal(nb_store_endpoint_add(st, &ep), 0);
	return ep;
}

/*
 * The CNI plugin and netbpfd name the endpoint a publish goes through: one
 * that is not the sandbox's is refused with -EINVAL naming it, and no row is
 * written. No world is given: the refusal must come before the data plane.
 */
static void test_add_via_foreign_endpoint_refused(void **state)
{
	char dir[] = "/tmp/nbtest-publish-XXXXXX", path[64], short_id[NB_SHORT_ID_LEN + 1];
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec a, b;
	struct nb_endpoint_rec epa, epb, special;
	struct nb_publish_rec *rows = NULL;
	struct nb_portmap *done = NULL;
	size_t ndone = 0, nrows = 0;
	struct nb_store *st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(nb_store_open(path, true, &st), 0);
	snprintf(net.name, sizeof(net.name), "pubnet");
	snprintf(net.driver, sizeof(net.driver), "%s", NB_DRIVER_BRIDGE);
	assert_int_equal(nb_parse_prefix("10.95.0.0/24", true, &net.subnet), 0);
	net.range = net.subnet;
	net.gateway = ip4("10.95.0.1");
	assert_int_equal(nb_store_network_add(st, &net), 0);
	a = via_sb(st, "a");
	b = via_sb(st, "b");
	epa = via_ep(st, &net, &a, "10.95.0.2");
	epb = via_ep(st, &net, &b, "10.95.0.3");

	/* b's endpoint for a's ports */
	assert_int_equal(nb_publish_add_via(st, NULL, &a, &epb, "8080:80", &done, &ndone), -EINVAL);
	snprintf(short_id, sizeof(short_id), "%.*s", NB_SHORT_ID_LEN, epb.id);
	assert_non_null(strstr(nb_error_msg(), "sandbox \"a\""));
	assert_non_null(strstr(nb_error_msg(), short_id));
	assert_non_null(strstr(nb_error_msg(), "is not one of its bridge endpoints"));

	/* a's own endpoint without a host side (a special one): not a bridge endpoint */
	special = epa;
	special.host_ifname[0] = '\0';
	assert_int_equal(nb_publish_add_via(st, NULL, &a, &special, "8080:80", &done, &ndone),
			 -EINVAL);
	assert_non_null(strstr(nb_error_msg(), "is not one of its bridge endpoints"));

	assert_int_equal(ndone, 0);
	assert_null(done);
	assert_int_equal(nb_store_publish_list(st, NULL, &rows, &nrows), 0);
	assert_int_equal(nrows, 0);
	free(rows);
	nb_network_rec_clear(&net);
	nb_store_close(st);
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* nb_publish_row_is: a mapping's family, address, host port (or range) and container port */
static void test_row_is(void **state)
{
	struct nb_publish_rec v4 = {.host_ip = 0, .host_port = 8080, .sb_port = 80, .proto = 6};
	struct nb_publish_rec v6 = {.v6 = true, .host_port = 8080, .sb_port = 80, .proto = 6};
	struct in6_addr any6 = IN6ADDR_ANY_INIT, a6;
	__be32 lo = htonl(0x7f000001);

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "fd00::1", &a6), 1);
	/* "": either family, any address */
	assert_true(nb_publish_row_is(&v4, NB_FAMILY_ANY, 0, NULL, 8080, 8080, 80, 6));
	assert_true(nb_publish_row_is(&v6, NB_FAMILY_ANY, 0, NULL, 8080, 8080, 80, 6));
	/* an address: its family alone, that address alone */
	assert_true(nb_publish_row_is(&v4, NB_FAMILY_V4, 0, NULL, 8080, 8080, 80, 6));
	assert_false(nb_publish_row_is(&v4, NB_FAMILY_V4, lo, NULL, 8080, 8080, 80, 6));
	assert_false(nb_publish_row_is(&v4, NB_FAMILY_V6, 0, &any6, 8080, 8080, 80, 6));
	assert_true(nb_publish_row_is(&v6, NB_FAMILY_V6, 0, &any6, 8080, 8080, 80, 6));
	assert_false(nb_publish_row_is(&v6, NB_FAMILY_V6, 0, &a6, 8080, 8080, 80, 6));
	assert_false(nb_publish_row_is(&v6, NB_FAMILY_V4, 0, NULL, 8080, 8080, 80, 6));
	/* host port: a range, or any (0); container port and protocol must be equal */
	assert_true(nb_publish_row_is(&v4, NB_FAMILY_ANY, 0, NULL, 8000, 8090, 80, 6));
	assert_false(nb_publish_row_is(&v4, NB_FAMILY_ANY, 0, NULL, 8081, 8090, 80, 6));
	assert_true(nb_publish_row_is(&v4, NB_FAMILY_ANY, 0, NULL, 0, 0, 80, 6));
	assert_false(nb_publish_row_is(&v4, NB_FAMILY_ANY, 0, NULL, 0, 0, 81, 6));
	assert_false(nb_publish_row_is(&v4, NB_FAMILY_ANY, 0, NULL, 0, 0, 80, 17));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_to_one_range),
	    cmocka_unit_test(test_first_missing_port_named),
	    cmocka_unit_test(test_any_host_port),
	    cmocka_unit_test(test_host_range_one_cport),
	    cmocka_unit_test(test_address),
	    cmocka_unit_test(test_no_rows),
	    cmocka_unit_test(test_random_against_reference),
	    cmocka_unit_test(test_full_range),
	    cmocka_unit_test(test_find_key_fixed),
	    cmocka_unit_test(test_find_key_random_against_reference),
	    cmocka_unit_test(test_find_key_full_range),
	    cmocka_unit_test(test_key_taken_random_against_reference),
	    cmocka_unit_test(test_add_via_foreign_endpoint_refused),
	    cmocka_unit_test(test_row_is),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
