/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Netlink through libnl-route-3: veth pairs, links, addresses, routes. A
 * struct nb_nl is a route socket bound to one network namespace (the one
 * current when it was opened, or the one named by nb_nl_open_netns), so the
 * host side and a sandbox can be configured without moving the process.
 * Functions return 0 (or a positive value where said) or a negative errno
 * translated from libnl's (-EEXIST, -ENODEV, -EADDRINUSE, ...).
 */
#ifndef NETBPF_NL_H
#define NETBPF_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>

#define NB_IFNAMSIZ 16

struct nb_nl;

int nb_nl_open(struct nb_nl **out); /* the caller's current netns */
int nb_nl_open_netns(int netns_fd, struct nb_nl **out); /* the netns behind netns_fd */
void nb_nl_close(struct nb_nl *nl);

struct nb_veth_opts {
	const char *name; /* in nl's netns */
	const __u8 *mac; /* NULL: kernel's random MAC */
	const char *peer_name;
	const __u8 *peer_mac; /* NULL: random */
	int peer_netns_fd; /* -1: same netns as name; else the peer is created there */
	unsigned int mtu; /* 0: kernel default (both ends) */
};
/* Creates the pair (both ends down); -EEXIST when a name is taken */
int nb_nl_veth_add(struct nb_nl *nl, const struct nb_veth_opts *o);
int nb_nl_link_del(struct nb_nl *nl, const char *name); /* -ENODEV when absent */
/*
 * A collect-metadata ("external") VXLAN device on UDP port dstport (host order), learning
 * off, left down; mtu 0: the kernel's. -EEXIST when the name is taken.
 */
int nb_nl_vxlan_add(struct nb_nl *nl, const char *name, __u16 dstport, unsigned int mtu);
int nb_nl_link_ifindex(struct nb_nl *nl, const char *name); /* > 0, or -ENODEV */
int nb_nl_link_up(struct nb_nl *nl, const char *name);
/* Sets name's MTU (nothing sent when it has it already); -ENODEV */
int nb_nl_link_set_mtu(struct nb_nl *nl, const char *name, unsigned int mtu);
int nb_nl_link_mac(struct nb_nl *nl, const char *name, __u8 mac[6]);
int nb_nl_link_name(struct nb_nl *nl, int ifindex, char name[NB_IFNAMSIZ]); /* -ENODEV */

struct nb_link_info {
	int ifindex;
	int peer_ifindex; /* veth: the peer's ifindex (in the peer's netns); else IFLA_LINK or 0 */
	unsigned int mtu;
	bool up;
	char kind[16]; /* "veth", ... ("" for devices without rtnl_link_ops, e.g. lo) */
};
int nb_nl_link_info(struct nb_nl *nl, const char *name, struct nb_link_info *info);
/*
 * The XDP program on ifindex, read with one RTM_GETLINK for that device (not a
 * dump of every link, whose cost grows with the netns's devices): prog_id 0 when
 * none (or several, XDP_ATTACHED_MULTI); attach_mode XDP_ATTACHED_*. -ENODEV.
 */
int nb_nl_link_xdp(struct nb_nl *nl, int ifindex, __u32 *prog_id, __u8 *attach_mode);
/* names of the links whose name starts with prefix; *names is malloc'd */
int nb_nl_link_list(struct nb_nl *nl, const char *prefix, char (**names)[NB_IFNAMSIZ], size_t *n);

/* One link of a dump: name, ifindex and kind ("veth", "" for lo...) */
struct nb_link_ent {
	char name[NB_IFNAMSIZ];
	int ifindex;
	char kind[16];
};
/*
 * Deletes the links ifindex[n] (veths take their peers along) in one batch:
 * each joins the link group NB_NL_DOOMED_GROUP (a cheap RTM_SETLINK), then one
 * RTM_DELLINK of the group unregisters them together: the kernel waits for its
 * grace periods once, not once per device (~25 ms each). A link gone already
 * is skipped. If the group cannot go whole, each is deleted by itself.
 * Returns how many links were asked for and existed, or -errno.
 */
#define NB_NL_DOOMED_GROUP 0x6e626470U /* "nbdp" */
int nb_nl_links_del(struct nb_nl *nl, const int *ifindex, size_t n);
/*
 * The links of the caller's netns whose name starts with one of prefixes[np]
 * (*out malloc'd), without netlink: the names from
 * /proc/thread-self/net/dev, ifindex and driver ("veth") by ioctl. A link dump
 * costs the kernel, for every veth whose peer is in another netns, a walk of
 * all the netns ids (peernet2id_alloc): O(N^2) at N sandboxes.
 */
int nb_links_here(const char *const *prefixes, size_t np, struct nb_link_ent **out, size_t *n);
/* ifindex of name in the caller's netns by ioctl (SIOCGIFINDEX), or -ENODEV:
 * no RTM_GETLINK, whose reply costs the kernel a walk of the netns ids for a
 * veth whose peer is in another netns (peernet2id_alloc) */
int nb_link_ifindex_here(const char *name);

/* ifname's first IPv4 address (the primary: the kernel lists it first), 0 when none;
 * from an address dump of IPv4 only, not getifaddrs(), which dumps every link */
int nb_nl_addr_first(struct nb_nl *nl, const char *ifname, __be32 *ip);
/* -EEXIST when ifname already has the address */
int nb_nl_addr_add(struct nb_nl *nl, const char *ifname, __be32 ip, int prefixlen);
/*
 * The same for IPv6; nodad: valid at once, without duplicate address detection (for
 * addresses only the control plane hands out, such as the gateway's)
 */
int nb_nl_addr6_add(struct nb_nl *nl, const char *ifname, const struct in6_addr *ip, int prefixlen,
		    bool nodad);
/* IFLA_INET6_ADDR_GEN_MODE eui64: the link-local address derived from the MAC */
int nb_nl_link_addr_gen_eui64(struct nb_nl *nl, const char *name);
/* 1 when ifname has ip (with prefixlen, unless prefixlen < 0), 0 when not */
int nb_nl_addr_has(struct nb_nl *nl, const char *ifname, __be32 ip, int prefixlen);
/* The same for an IPv6 address (tentative ones included) */
int nb_nl_addr6_has(struct nb_nl *nl, const char *ifname, const struct in6_addr *ip, int prefixlen);
/* every IPv4 address configured in nl's netns; *out is malloc'd */
int nb_nl_addr_list(struct nb_nl *nl, __be32 **out, size_t *n);
/* 1 when ip is configured on some interface of nl's netns, 0 when not */
int nb_nl_addr_is_local(struct nb_nl *nl, __be32 ip);

/*
 * The prefixes nl's netns holds: every IPv4 address (addr set, dst its
 * subnet), then the main table's unicast routes other than the default one
 * (addr 0; ifindex of the first nexthop, 0 when none). *out is malloc'd.
 */
struct nb_nl_prefix {
	__be32 dst; /* net, host bits clear */
	int len;
	__be32 addr; /* net; 0 for a route */
	int ifindex;
};
int nb_nl_prefixes(struct nb_nl *nl, struct nb_nl_prefix **out, size_t *n);

/* -EEXIST when a default route exists already */
int nb_nl_route_default_add(struct nb_nl *nl, __be32 gateway);
/* ::/0 via gateway (-EEXIST when a v6 default route exists) */
int nb_nl_route6_default_add(struct nb_nl *nl, const struct in6_addr *gateway);
/* the device of the IPv4 default route; -ENOENT when there is none */
int nb_nl_route_default_dev(struct nb_nl *nl, char ifname[NB_IFNAMSIZ]);

/* number of tc filters on ifindex's clsact ingress/egress (0 without a clsact qdisc) */
int nb_nl_tc_filter_count(struct nb_nl *nl, int ifindex, bool egress);

#endif
