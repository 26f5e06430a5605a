// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPv4 parsing and address management (see ipam.h). Arithmetic is done in
 * host order on 64-bit integers where a range ends at 255.255.255.255, so
 * "one past the end" never wraps to 0.0.0.0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"

/*
 * One decimal number of 1..maxdigits digits, no sign, no leading zero (a
 * leading zero means octal to inet_aton() and decimal to others: refusing it
 * keeps "010.0.0.1" from meaning two different addresses, as Go's
 * net.ParseIP, hence Docker, refuses it too). Returns the number of
 * characters consumed, 0 when there is no valid number at s.
 */
static size_t parse_dec(const char *s, size_t maxdigits, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; i < maxdigits && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (unsigned long)(s[i] - '0');
	if (i == 0 || (s[i] >= '0' && s[i] <= '9'))
		return 0; /* no digit, or too many */
	if (i > 1 && s[0] == '0')
		return 0;
	if (v > max)
		return 0;
	*out = v;
	return i;
}

/* A dotted quad at s; returns the characters consumed, 0 if there is none */
static size_t parse_quad(const char *s, uint32_t *host)
{
	const char *p = s;
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned long byte;
		size_t n;

		if (i > 0) {
			if (*p != '.')
				return 0;
			p++;
		}
		n = parse_dec(p, 3, 255, &byte);
		if (!n)
			return 0;
		p += n;
		v = (v << 8) | (uint32_t)byte;
	}
	*host = v;
	return (size_t)(p - s);
}

int nb_parse_ipv4(const char *s, __be32 *ip)
{
	uint32_t host;
	size_t n;

	if (!s)
		return -EINVAL;
	n = parse_quad(s, &host);
	if (!n || s[n] != '\0')
		return -EINVAL;
	*ip = htonl(host);
	return 0;
}

int nb_parse_prefix(const char *s, bool strict, struct nb_prefix *p)
{
	unsigned long len;
	uint32_t host;
	__be32 mask;
	size_t n, m;

	if (!s)
		return -EINVAL;
	n = parse_quad(s, &host);
	if (!n || s[n] != '/')
		return -EINVAL;
	m = parse_dec(s + n + 1, 2, 32, &len);
	if (!m || s[n + 1 + m] != '\0')
		return -EINVAL;
	mask = nb_prefix_mask((int)len);
	if (strict && (htonl(host) & ~mask))
		return -EINVAL;
	p->addr = htonl(host) & mask;
	p->len = (int)len;
	return 0;
}

const char *nb_fmt_ipv4(__be32 ip, char buf[NB_IPV4_STRLEN])
{
	uint32_t h = ntohl(ip);

	snprintf(buf, NB_IPV4_STRLEN, "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff,
		 h & 0xff);
	return buf;
}

const char *nb_fmt_prefix(const struct nb_prefix *p, char buf[NB_CIDR_STRLEN])
{
	char ip[NB_IPV4_STRLEN];

	snprintf(buf, NB_CIDR_STRLEN, "%s/%d", nb_fmt_ipv4(p->addr, ip), p->len);
	return buf;
}

__be32 nb_prefix_mask(int len)
{
	/* a shift by 32 is undefined: both ends are special */
	if (len <= 0)
		return 0;
	if (len >= 32)
		return 0xffffffff;
	return htonl(~(uint32_t)0 << (32 - len));
}

__be32 nb_prefix_broadcast(const struct nb_prefix *p)
{
	return p->addr | ~nb_prefix_mask(p->len);
}

bool nb_prefix_contains(const struct nb_prefix *p, __be32 ip)
{
	__be32 mask = nb_prefix_mask(p->len);

	return (ip & mask) == (p->addr & mask);
}

bool nb_prefix_covers(const struct nb_prefix *a, const struct nb_prefix *b)
{
	return a->len <= b->len && nb_prefix_contains(a, b->addr);
}

bool nb_prefix_overlap(const struct nb_prefix *a, const struct nb_prefix *b)
{
	/* two prefixes overlap exactly when the shorter one covers the longer */
	return nb_prefix_covers(a, b) || nb_prefix_covers(b, a);
}

/* Docker's default-address-pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s */
#define POOL_172_FIRST 17
#define POOL_172_LAST  31
#define POOL_192_LEN   20

int nb_ipam_pick_subnet(const struct nb_prefix *used, size_t nused, struct nb_prefix *out)
{
	struct nb_prefix cand;
	uint32_t second, step;
	size_t i;

	for (int k = 0;; k++) {
		if (k <= POOL_172_LAST - POOL_172_FIRST) {
			second = (uint32_t)(POOL_172_FIRST + k);
			cand.addr = htonl((172u << 24) | (second << 16));
			cand.len = 16;
		} else {
			step = (uint32_t)(k - (POOL_172_LAST - POOL_172_FIRST + 1));
			if (step >= 1u << (POOL_192_LEN - 16))
				return -ENOSPC;
			cand.addr =
			    htonl((192u << 24) | (168u << 16) | (step << (32 - POOL_192_LEN)));
			cand.len = POOL_192_LEN;
		}
		for (i = 0; i < nused; i++)
			if (nb_prefix_overlap(&cand, &used[i]))
				break;
		if (i == nused) {
			*out = cand;
			return 0;
		}
	}
}

/*
 * The addresses endpoints may get, in host order: the part of range inside
 * subnet (range NULL or not given = the whole subnet), minus the subnet's
 * network and broadcast addresses for prefixes shorter than /31 (a /31 has
 * two usable addresses, RFC 3021; a /32 one). Returns false when empty.
 */
static bool usable_span(const struct nb_prefix *subnet, const struct nb_prefix *range,
			uint64_t *first, uint64_t *last)
{
	const struct nb_prefix *eff = subnet;
	uint64_t net, bcast, lo, hi;

	if (range) {
		if (!nb_prefix_overlap(subnet, range))
			return false;
		if (range->len > subnet->len)
			eff = range;
	}
	net = ntohl(subnet->addr & nb_prefix_mask(subnet->len));
	bcast = ntohl(nb_prefix_broadcast(subnet));
	lo = ntohl(eff->addr & nb_prefix_mask(eff->len));
	hi = ntohl(nb_prefix_broadcast(eff));
	if (subnet->len < 31) {
		if (lo == net)
			lo++;
		if (hi == bcast)
			hi--;
	}
	if (lo > hi)
		return false;
	*first = lo;
	*last = hi;
	return true;
}

__be32 nb_ipam_default_gateway(const struct nb_prefix *subnet, const struct nb_prefix *range)
{
	uint64_t first, last;

	if (!usable_span(subnet, range, &first, &last))
		return 0;
	return htonl((uint32_t)first);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int nb_ipam_alloc(const struct nb_prefix *subnet, const struct nb_prefix *range, __be32 gateway,
		  const __be32 *used, size_t nused, __be32 *out)
{
	return nb_ipam_alloc_from(subnet, range, gateway, used, nused, 0, out);
}

int nb_ipam_alloc_from(const struct nb_prefix *subnet, const struct nb_prefix *range,
		       __be32 gateway, const __be32 *used, size_t nused, __be32 from, __be32 *out)
{
	uint64_t first, last, c, gw = ntohl(gateway);
	uint32_t *sorted = NULL;
	size_t i = 0, n = 0;
	int err = -ENOSPC;

	if (!usable_span(subnet, range, &first, &last))
		return -ENOSPC;

	/* sorted in host order, so the scan below is one merge: O(n log n) for n in use */
	if (nused) {
		sorted = malloc(nused * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		for (i = 0; i < nused; i++) {
			uint32_t u = ntohl(used[i]);

			if (u >= first && u <= last)
				sorted[n++] = u;
		}
		qsort(sorted, n, sizeof(*sorted), cmp_u32);
	}

	i = 0;
	if (ntohl(from) > first)
		first = ntohl(from);
	for (c = first; c <= last; c++) {
		while (i < n && sorted[i] < c)
			i++;
		if (c == gw || (i < n && sorted[i] == c))
			continue;
		*out = htonl((uint32_t)c);
		err = 0;
		break;
	}
	free(sorted);
	return err;
}

int nb_ipam_check(const struct nb_prefix *subnet, __be32 gateway, const __be32 *used, size_t nused,
		  __be32 ip)
{
	if (!nb_prefix_contains(subnet, ip))
		return -ERANGE;
	if (subnet->len < 31 && (ip == (subnet->addr & nb_prefix_mask(subnet->len)) ||
				 ip == nb_prefix_broadcast(subnet)))
		return -EADDRNOTAVAIL;
	if (ip == gateway)
		return -EADDRNOTAVAIL;
	for (size_t i = 0; i < nused; i++)
		if (used[i] == ip)
			return -EADDRINUSE;
	return 0;
}

void nb_mac_from_ipv4(__be32 ip, __u8 mac[6])
{
	uint32_t h = ntohl(ip);

	mac[0] = 0x02;
	mac[1] = 0x42;
	mac[2] = (__u8)(h >> 24);
	mac[3] = (__u8)(h >> 16);
	mac[4] = (__u8)(h >> 8);
	mac[5] = (__u8)h;
}

const char *nb_fmt_mac(const __u8 mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

/* ---- IPv6 ---------------------------------------------------------------------------------
 * Arithmetic on unsigned __int128 in host order: the address as one number, so "next
 * address" and comparisons are what they are for IPv4's uint32_t.
 */
typedef unsigned __int128 u128;

static u128 v6_num(const struct in6_addr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = (v << 8) | a->s6_addr[i];
	return v;
}

static void v6_addr(u128 v, struct in6_addr *a)
{
	for (int i = 15; i >= 0; i--) {
		a->s6_addr[i] = (uint8_t)v;
		v >>= 8;
	}
}

static u128 v6_mask(int len)
{
	if (len <= 0)
		return 0;
	if (len >= 128)
		return ~(u128)0;
	return ~(u128)0 << (128 - len);
}

int nb_parse_ipv6(const char *s, struct in6_addr *ip)
{
	/* inet_pton refuses zones, blanks and trailing characters itself */
	if (!s || inet_pton(AF_INET6, s, ip) != 1)
		return -EINVAL;
	return 0;
}

int nb_parse_prefix6(const char *s, bool strict, struct nb_prefix6 *p)
{
	char addr[NB_IPV6_STRLEN];
	const char *slash;
	unsigned long len;
	struct in6_addr a;
	size_t n;
	u128 v;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (nb_parse_ipv6(addr, &a))
		return -EINVAL;
	n = parse_dec(slash + 1, 3, 128, &len);
	if (!n || slash[1 + n] != '\0')
		return -EINVAL;
	v = v6_num(&a);
	if (strict && (v & ~v6_mask((int)len)))
		return -EINVAL;
	v6_addr(v & v6_mask((int)len), &p->addr);
	p->len = (int)len;
	return 0;
}

const char *nb_fmt_ipv6(const struct in6_addr *ip, char buf[NB_IPV6_STRLEN])
{
	if (!inet_ntop(AF_INET6, ip, buf, NB_IPV6_STRLEN))
		snprintf(buf, NB_IPV6_STRLEN, "?");
	return buf;
}

const char *nb_fmt_prefix6(const struct nb_prefix6 *p, char buf[NB_CIDR6_STRLEN])
{
	char ip[NB_IPV6_STRLEN];

	snprintf(buf, NB_CIDR6_STRLEN, "%s/%d", nb_fmt_ipv6(&p->addr, ip), p->len);
	return buf;
}

bool nb_ipv6_is_zero(const struct in6_addr *ip)
{
	return v6_num(ip) == 0;
}

bool nb_str_is_ipv6(const char *s)
{
	return s && strchr(s, ':');
}

bool nb_prefix6_contains(const struct nb_prefix6 *p, const struct in6_addr *ip)
{
	u128 m = v6_mask(p->len);

	return (v6_num(ip) & m) == (v6_num(&p->addr) & m);
}

bool nb_prefix6_covers(const struct nb_prefix6 *a, const struct nb_prefix6 *b)
{
	return a->len <= b->len && nb_prefix6_contains(a, &b->addr);
}

bool nb_prefix6_overlap(const struct nb_prefix6 *a, const struct nb_prefix6 *b)
{
	return nb_prefix6_covers(a, b) || nb_prefix6_covers(b, a);
}

const char *nb_prefix6_unusable(const struct nb_prefix6 *p)
{
	static const struct {
		const char *cidr, *why;
	} bad[] = {
	    {"fe80::/10", "link-local (fe80::/10)"},
	    {"ff00::/8", "multicast (ff00::/8)"},
	    {"::ffff:0:0/96", "IPv4-mapped (::ffff:0:0/96)"},
	    {"::1/128", "the loopback address"},
	    {"::/128", "the unspecified address"},
	};
	struct nb_prefix6 b;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!nb_parse_prefix6(bad[i].cidr, true, &b) && nb_prefix6_overlap(p, &b))
			return bad[i].why;
	return NULL;
}

/* The addresses endpoints may get: range (or the subnet) minus the subnet's own address */
static bool usable_span6(const struct nb_prefix6 *subnet, const struct nb_prefix6 *range,
			 u128 *first, u128 *last)
{
	const struct nb_prefix6 *eff = subnet;
	u128 net = v6_num(&subnet->addr) & v6_mask(subnet->len);
	u128 lo, hi;

	if (range) {
		if (!nb_prefix6_overlap(subnet, range))
			return false;
		if (range->len > subnet->len)
			eff = range;
	}
	lo = v6_num(&eff->addr) & v6_mask(eff->len);
	hi = lo | ~v6_mask(eff->len);
	if (lo == net && subnet->len < 128) {
		if (lo == hi)
			return false;
		lo++;
	}
	*first = lo;
	*last = hi;
	return true;
}

void nb_ipam6_default_gateway(const struct nb_prefix6 *subnet, const struct nb_prefix6 *range,
			      struct in6_addr *gw)
{
	u128 first, last;

	if (!usable_span6(subnet, range, &first, &last))
		first = 0;
	v6_addr(first, gw);
}

static int cmp_u128(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

int nb_ipam6_alloc(const struct nb_prefix6 *subnet, const struct nb_prefix6 *range,
		   const struct in6_addr *gateway, const struct in6_addr *used, size_t nused,
		   struct in6_addr *out)
{
	u128 first, last, c, gw = gateway ? v6_num(gateway) : 0;
	u128 *sorted = NULL;
	size_t i, n = 0;

	if (!usable_span6(subnet, range, &first, &last))
		return -ENOSPC;
	if (nused) {
		sorted = malloc(nused * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		for (i = 0; i < nused; i++) {
			u128 u = v6_num(&used[i]);

			if (u >= first && u <= last)
				sorted[n++] = u;
		}
		qsort(sorted, n, sizeof(*sorted), cmp_u128);
	}
	/*
	 * c climbs over the taken addresses in order: at most n + 1 steps past the used ones
	 * and the gateway, however large the range
	 */
	c = first;
	i = 0;
	for (;;) {
		while (i < n && sorted[i] < c)
			i++;
		if (c != gw && !(i < n && sorted[i] == c))
			break;
		if (c == last) {
			free(sorted);
			return -ENOSPC;
		}
		c++;
	}
	free(sorted);
	v6_addr(c, out);
	return 0;
}

int nb_ipam6_check(const struct nb_prefix6 *subnet, const struct in6_addr *gateway,
		   const struct in6_addr *used, size_t nused, const struct in6_addr *ip)
{
	u128 v = v6_num(ip);

	if (!nb_prefix6_contains(subnet, ip))
		return -ERANGE;
	if (subnet->len < 128 && v == (v6_num(&subnet->addr) & v6_mask(subnet->len)))
		return -EADDRNOTAVAIL;
	if (gateway && v == v6_num(gateway))
		return -EADDRNOTAVAIL;
	for (size_t i = 0; i < nused; i++)
		if (v6_num(&used[i]) == v)
			return -EADDRINUSE;
	return 0;
}

void nb_mac_from_ipv6(const struct in6_addr *ip, __u8 mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, ip->s6_addr + 12, 4);
}
