/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the instance's host netns (the caller's) already holds, so that netbpf
 * takes none of it over, as Docker does not:
 *
 *   - the prefixes of its routes and addresses, which an automatically chosen
 *     subnet skips and an explicit one may only overlap when forced; netbpf's
 *     own gateway routes (nbg*) and devices are not the host's;
 *   - the sockets listening on (TCP) or bound to (UDP) a port, read with
 *     sock_diag (NETLINK_SOCK_DIAG, inet_diag_req_v2) as `ss -lntu` reads them,
 *     which a published host port must not shadow; the process holding one is
 *     found through /proc/PID/fd where it can be. Sockets of other netns
 *     (sandboxes) are not in the dump: they hold nothing of the host's.
 *
 * The matching (which prefix or socket is in the way) is pure and unit-tested;
 * the readers return -errno without a message (the caller names its object).
 */
#ifndef NETBPF_HOST_H
#define NETBPF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <netinet/in.h>

#include "ipam.h"
#include "nl.h"

/* ---- prefixes ---------------------------------------------------------------- */

struct nb_host_net {
	struct nb_prefix prefix; /* a route's destination, or an address's subnet */
	__be32 addr;		 /* the address itself; 0 for a route */
	char dev[NB_IFNAMSIZ];	 /* the route's (first) device or the address's; "" when none */
};

#define NB_HOST_NET_STRLEN 64
/* "route 10.9.0.0/16 dev eth1" / "address 172.17.0.1/16 on docker0" */
const char *nb_host_net_str(const struct nb_host_net *h, char buf[NB_HOST_NET_STRLEN]);

/* The first of h[n] that p overlaps, or NULL */
const struct nb_host_net *nb_host_net_overlap(const struct nb_prefix *p,
					      const struct nb_host_net *h, size_t n);

/*
 * Every IPv4 address and the main table's unicast routes other than the
 * default one, of nl's netns (addresses first); those on netbpf's devices
 * (nbe*, nbg*, nbp*) left out. *out is malloc'd.
 */
int nb_host_nets_read(struct nb_nl *nl, struct nb_host_net **out, size_t *n);
/* The same for the caller's netns, on a netlink socket of its own; the message names the cause */
int nb_host_nets_here(struct nb_host_net **out, size_t *n);

/* ---- listening sockets ------------------------------------------------------- */

struct nb_listener {
	bool v6;     /* an IPv6 socket's IPv6 side: ip6, not ip (a dual-stack [::] has both) */
	struct in6_addr ip6; /* v6: :: = every IPv6 address */
	__be32 ip;   /* net; 0 = every IPv4 address (0.0.0.0, or a dual-stack [::]) */
	__u16 port;  /* host order */
	__u8 proto;  /* IPPROTO_TCP (listening) or IPPROTO_UDP (bound) */
	__u32 inode; /* the socket's inode, to find its process */
};

/*
 * TCP sockets in LISTEN and bound UDP sockets of the caller's netns, IPv4 and
 * IPv6 (v4-mapped and dual-stack [::] ones count as IPv4; every IPv6 one but
 * a v4-mapped one also as IPv6, v6 set). *out is malloc'd.
 */
int nb_host_listeners(struct nb_listener **out, size_t *n);

/* The first of v[n] holding ip:port/proto (0.0.0.0 on either side takes every address), or NULL */
const struct nb_listener *nb_listener_find(const struct nb_listener *v, size_t n, __be32 ip,
					   __u16 port, __u8 proto);
/* The same for an IPv6 host address (:: collides with every address) */
const struct nb_listener *nb_listener_find6(const struct nb_listener *v, size_t n,
					    const struct in6_addr *ip6, __u16 port, __u8 proto);

/* The process holding the socket: a /proc/PID/fd scan; -ENOENT when none is visible */
int nb_socket_owner(__u32 inode, pid_t *pid, char comm[16]);

#define NB_LISTENER_STRLEN 128
/* "0.0.0.0:8085/tcp, held by python3 (pid 1234)": the owner looked up when it can be */
const char *nb_listener_str(const struct nb_listener *l, char buf[NB_LISTENER_STRLEN]);

#endif
