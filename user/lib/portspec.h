/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Docker's published-port specs, `-p [IP:][HOSTPORT[-END]:]CPORT[-END][/PROTO]`,
 * as pure functions: parsing a spec, expanding it into one mapping per
 * container port (choosing the host ports a spec leaves open), and the
 * `docker port` line of a mapping. No store, no kernel: the caller says
 * which host ports are taken (tests/unit/test_portspec.c covers it all).
 *
 * Docker's rules kept here (go-connections nat.ParsePortSpec):
 *   "80"                   host port chosen from the ephemeral range
 *   "8000:80"              host port 8000
 *   "IP:8000:80"           only on host address IP
 *   "IP::80"               on IP, host port chosen
 *   "8000-8002:80-82"      ranges of equal length map one to one
 *   "8000-8010:80"         one host port chosen inside 8000-8010
 *   "[::]:8000:80"         IPv6: every host IPv6 address ("[2001:db8::1]:8000:80": one)
 *   "/tcp" (default), "/udp".
 * Ports are 1..65535; a range's end is not below its start.
 */
#ifndef NETBPF_PORTSPEC_H
#define NETBPF_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <netinet/in.h>

/* Linux's default ip_local_port_range, where Docker picks a free host port too */
#define NB_EPHEMERAL_MIN 32768
#define NB_EPHEMERAL_MAX 60999

struct nb_portspec {
	bool has_ip; /* an IP was given (else the network's host_binding_ipv4 applies) */
	__be32 ip;   /* net; 0 = every host address */
	bool has_ip6; /* "[IPv6]:...": an IPv6 host address was given (has_ip false) */
	struct in6_addr ip6; /* [::] = every host IPv6 address */
	__u16 host_min, host_max; /* host order; 0/0: chosen from the ephemeral range */
	__u16 sb_min, sb_max;	  /* host order: container ports */
	__u8 proto;		  /* IPPROTO_TCP or IPPROTO_UDP */
};

/*
 * The families a mapping's host address binds, as Docker's bridge driver and the CNI portmap
 * plugin read it: none given, both the endpoint has; an IPv4 address (0.0.0.0 too) IPv4
 * alone; an IPv6 address (:: too) IPv6 alone
 */
enum nb_family { NB_FAMILY_ANY, NB_FAMILY_V4, NB_FAMILY_V6 };

/* One published port */
struct nb_portmap {
	__be32 host_ip;	 /* net; 0 = every host address */
	__u16 host_port; /* host order */
	__u16 sb_port;	 /* host order */
	__u8 proto;	 /* IPPROTO_TCP / IPPROTO_UDP */
	bool v6;	 /* an IPv6 port: host_ip6, not host_ip */
	struct in6_addr host_ip6; /* v6: :: = every host address */
};

/*
 * Parses spec into out. On failure writes the cause (without the spec
 * itself, which the caller names) into why and returns -EINVAL (syntax,
 * unequal ranges, an unknown protocol, an IPv6 address) or -ERANGE (a port
 * outside 1..65535).
 */
int nb_portspec_parse(const char *spec, struct nb_portspec *out, char *why, size_t whylen);

/* How many mappings the spec makes: one per container port */
static inline size_t nb_portspec_count(const struct nb_portspec *s)
{
	return (size_t)(s->sb_max - s->sb_min) + 1;
}

/* True when host_ip a and b, on the same port and protocol, collide (0.0.0.0 takes all) */
static inline bool nb_portmap_ip_collide(__be32 a, __be32 b)
{
	return a == b || !a || !b;
}

/* Whether host ip:port/proto is already taken (by the store, the caller's own choices...) */
typedef bool (*nb_port_taken_fn)(void *arg, __be32 ip, __u16 port, __u8 proto);

/*
 * The mappings of s on host address ip (what has_ip gave, or the network's
 * binding), into out[nb_portspec_count(s)]. Host ports the spec leaves to
 * choose are the lowest ones of their range (the ephemeral range, or the
 * host range of "8000-8010:80") that taken (may be NULL) does not claim and
 * that no earlier mapping of out uses. Fixed host ports are not checked:
 * publishing them is where a conflict is refused, naming the holder.
 * -EADDRINUSE (cause in why) when a range has no free port left.
 */
int nb_portspec_expand(const struct nb_portspec *s, __be32 ip, nb_port_taken_fn taken, void *arg,
		       struct nb_portmap *out, char *why, size_t whylen);

/*
 * `docker port`'s "CPORT[/PROTO]" filter: *proto = IPPROTO_TCP when not
 * given (as Docker's default). -EINVAL/-ERANGE as nb_portspec_parse.
 */
int nb_portspec_parse_cport(const char *s, __u16 *port, __u8 *proto, char *why, size_t whylen);

#define NB_PORTMAP_STRLEN 80
/* `docker port`'s line: "80/tcp -> 0.0.0.0:8000" */
const char *nb_portmap_str(const struct nb_portmap *m, char buf[NB_PORTMAP_STRLEN]);
/* The host side alone, as `docker port SANDBOX 80` prints it: "0.0.0.0:8000" */
const char *nb_portmap_host_str(const struct nb_portmap *m, char buf[NB_PORTMAP_STRLEN]);
/* The host side with its protocol, for messages: "0.0.0.0:8000/tcp" */
const char *nb_portmap_key_str(const struct nb_portmap *m, char buf[NB_PORTMAP_STRLEN]);

#endif
