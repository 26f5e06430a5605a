/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * IPv4 addresses, CIDR prefixes and address management: parsing and
 * printing, containment and overlap, picking a free subnet from Docker's
 * default pools, allocating the lowest free address of a network, and the
 * MAC derived from an address (02:42 + the four bytes, as Docker does).
 * Pure functions over values: no I/O, no state; the store supplies the
 * addresses already in use.
 */
#ifndef NETBPF_IPAM_H
#define NETBPF_IPAM_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>

#define NB_IPV4_STRLEN 16 /* "255.255.255.255" + NUL */
#define NB_CIDR_STRLEN 19 /* "255.255.255.255/32" + NUL */

struct nb_prefix {
	__be32 addr; /* network byte order */
	int len; /* 0..32 */
};

/*
 * Strict dotted quad ("10.0.0.1"): four decimal numbers 0..255 without
 * leading zeros ("01.2.3.4" is refused: inet_aton() would read it as octal),
 * signs, spaces or anything after; -EINVAL otherwise.
 */
int nb_parse_ipv4(const char *s, __be32 *ip);
/*
 * "A.B.C.D/N", N in 0..32 without leading zeros; the "/N" is required. With
 * strict, host bits must be zero (-EINVAL otherwise, as Docker refuses
 * "10.1.0.5/16" for a subnet); without, they are cleared.
 */
int nb_parse_prefix(const char *s, bool strict, struct nb_prefix *p);
const char *nb_fmt_ipv4(__be32 ip, char buf[NB_IPV4_STRLEN]);
const char *nb_fmt_prefix(const struct nb_prefix *p, char buf[NB_CIDR_STRLEN]);

__be32 nb_prefix_mask(int len); /* network byte order */
__be32 nb_prefix_broadcast(const struct nb_prefix *p);
bool nb_prefix_contains(const struct nb_prefix *p, __be32 ip);
/* b lies entirely inside a */
bool nb_prefix_covers(const struct nb_prefix *a, const struct nb_prefix *b);
bool nb_prefix_overlap(const struct nb_prefix *a, const struct nb_prefix *b);

/*
 * First subnet of Docker's default pools (172.17.0.0/16 .. 172.31.0.0/16,
 * then 192.168.0.0/16 in /20 steps) that overlaps none of used[]; -ENOSPC.
 */
int nb_ipam_pick_subnet(const struct nb_prefix *used, size_t nused, struct nb_prefix *out);

/*
 * The network's gateway when none is given: the first address endpoints
 * could get, i.e. the lowest address of range (NULL = the subnet) that is
 * not the subnet's network address, as Docker's IPAM hands out its gateway
 * first: 10.1.0.1 for 10.1.0.0/16, 10.1.2.0 for --ip-range 10.1.2.0/24.
 * 0 when the range has no usable address.
 */
__be32 nb_ipam_default_gateway(const struct nb_prefix *subnet, const struct nb_prefix *range);

/*
 * Lowest address of range (inside subnet; NULL = the subnet) that is not the
 * subnet's network or broadcast address (for prefixes shorter than /31: a
 * /31 has two usable addresses, a /32 one), not the gateway and not in
 * used[]. -ENOSPC when none is left, -ENOMEM.
 */
int nb_ipam_alloc(const struct nb_prefix *subnet, const struct nb_prefix *range, __be32 gateway,
		  const __be32 *used, size_t nused, __be32 *out);
/*
 * The same from address from on (0: from the range's first), for a caller
 * that knows every address below from is taken: used[] needs to hold only
 * those from on (nb_store_network_ips_floor()).
 */
int nb_ipam_alloc_from(const struct nb_prefix *subnet, const struct nb_prefix *range,
		       __be32 gateway, const __be32 *used, size_t nused, __be32 from, __be32 *out);
/*
 * Whether ip may be given to an endpoint (--ip): -ERANGE outside the subnet,
 * -EADDRNOTAVAIL for the network, broadcast or gateway address,
 * -EADDRINUSE when in used[]; 0 when free. (Docker allows a fixed --ip
 * outside --ip-range but inside the subnet; so does netbpf.)
 */
int nb_ipam_check(const struct nb_prefix *subnet, __be32 gateway, const __be32 *used, size_t nused,
		  __be32 ip);

/* 02:42:a:b:c:d for a.b.c.d */
void nb_mac_from_ipv4(__be32 ip, __u8 mac[6]);
const char *nb_fmt_mac(const __u8 mac[6], char buf[18]);

/* ---- IPv6 ------------------------------------------------------------------ */

#define NB_IPV6_STRLEN	46 /* INET6_ADDRSTRLEN */
#define NB_CIDR6_STRLEN 50 /* address + "/128" */

struct nb_prefix6 {
	struct in6_addr addr;
	int len; /* 0..128; 0 with addr :: = none (a network without IPv6) */
};

/* inet_pton()'s IPv6 syntax, nothing before or after (no zone "%eth0"); -EINVAL */
int nb_parse_ipv6(const char *s, struct in6_addr *ip);
/* "ADDR/N", N in 0..128 without leading zeros, "/N" required; strict as nb_parse_prefix */
int nb_parse_prefix6(const char *s, bool strict, struct nb_prefix6 *p);
/* RFC 5952's form (inet_ntop) */
const char *nb_fmt_ipv6(const struct in6_addr *ip, char buf[NB_IPV6_STRLEN]);
const char *nb_fmt_prefix6(const struct nb_prefix6 *p, char buf[NB_CIDR6_STRLEN]);
bool nb_ipv6_is_zero(const struct in6_addr *ip);
/* whether the string is meant as IPv6 (holds a ':'), to route "--subnet X" by family */
bool nb_str_is_ipv6(const char *s);

bool nb_prefix6_contains(const struct nb_prefix6 *p, const struct in6_addr *ip);
bool nb_prefix6_covers(const struct nb_prefix6 *a, const struct nb_prefix6 *b);
bool nb_prefix6_overlap(const struct nb_prefix6 *a, const struct nb_prefix6 *b);
/*
 * Why a prefix cannot be a network's IPv6 subnet (link-local fe80::/10, multicast ff00::/8,
 * IPv4-mapped ::ffff:0:0/96, loopback or unspecified), NULL when it can.
 */
const char *nb_prefix6_unusable(const struct nb_prefix6 *p);

/*
 * The gateway when none is given: the lowest address of range (NULL = the subnet) that is
 * not the subnet's own address (the subnet-router anycast address, RFC 4291 2.6.1), as
 * Docker's IPAM reserves it: fd00:1::1 for fd00:1::/64. IPv6 has no broadcast address, so
 * the last address is usable. :: when the range has no usable address.
 */
void nb_ipam6_default_gateway(const struct nb_prefix6 *subnet, const struct nb_prefix6 *range,
			      struct in6_addr *gw);
/*
 * Lowest address of range (NULL = the subnet) that is not the subnet's own address, not
 * the gateway and not in used[] (any order). Costs O(n log n) in the n addresses in use,
 * never a walk of the range (a /64 has 2^64 addresses). -ENOSPC, -ENOMEM.
 */
int nb_ipam6_alloc(const struct nb_prefix6 *subnet, const struct nb_prefix6 *range,
		   const struct in6_addr *gateway, const struct in6_addr *used, size_t nused,
		   struct in6_addr *out);
/*
 * Whether ip may be given to an endpoint (--ip6): -ERANGE outside the subnet,
 * -EADDRNOTAVAIL for the subnet's own address or the gateway, -EADDRINUSE when in used[].
 */
int nb_ipam6_check(const struct nb_prefix6 *subnet, const struct in6_addr *gateway,
		   const struct in6_addr *used, size_t nused, const struct in6_addr *ip);
/*
 * The MAC of an endpoint (or gateway) without an IPv4 address, on an IPv6-only network:
 * 02:42 + the last four bytes of its IPv6 address, as Docker's 02:42 + IPv4. The last 32
 * bits of two addresses of one network differ whenever the subnet is /96 or longer, and
 * IPAM's lowest-free allocation keeps them apart in a shorter one; a fixed --ip6 that
 * would repeat a MAC of the network is refused (membership.c).
 */
void nb_mac_from_ipv6(const struct in6_addr *ip, __u8 mac[6]);

#endif
