// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Netlink through libnl-route-3. Each struct nb_nl owns one NETLINK_ROUTE
 * socket; a socket belongs to the netns it was created in, so a socket made
 * while the thread sat in a sandbox's netns configures that sandbox from the
 * host without moving the process.
 *
 * libnl folds the kernel's errno into its own NLE_* codes, losing detail
 * (ENODEV and ENOENT both become NLE_OBJ_NOTFOUND...). An error callback
 * keeps the kernel's errno of the last NLMSG_ERROR so callers get -errno as
 * the kernel said it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/route.h>

#include "nl.h"

struct nb_nl {
	struct nl_sock *sk;
	int kernel_err; /* errno of the last NLMSG_ERROR, positive; 0 if none */
	struct stat ns; /* the netns the socket is bound to (its nsfs inode) */
};

static int nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct nb_nl *nl = arg;

	(void)nla;
	nl->kernel_err = -e->error;
	return NL_STOP;
}

/* libnl's NLE_* to -errno, for errors that did not come from the kernel */
static int nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	default:
		return -EIO;
	}
}

/* The result of a libnl call as -errno: the kernel's own when it sent one */
static int nl_result(struct nb_nl *nl, int nle)
{
	int err;

	if (nle >= 0)
		return 0;
	err = nl->kernel_err ? -nl->kernel_err : nle_to_errno(nle);
	nl->kernel_err = 0;
	return err;
}

static void nl_begin(struct nb_nl *nl)
{
	nl->kernel_err = 0;
}

static int nl_open_here(struct nb_nl **out)
{
	struct nb_nl *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	err = nl_connect(nl->sk, NETLINK_ROUTE);
	if (err < 0) {
		err = nle_to_errno(err);
		nl_socket_free(nl->sk);
		free(nl);
		return err;
	}
	nl_socket_modify_err_cb(nl->sk, NL_CB_CUSTOM, nl_err_cb, nl);
	if (stat("/proc/thread-self/ns/net", &nl->ns))
		memset(&nl->ns, 0, sizeof(nl->ns));
	*out = nl;
	return 0;
}

/* whether the caller's thread is in the netns nl is bound to */
static bool nl_is_here(const struct nb_nl *nl)
{
	struct stat now;

	return nl->ns.st_ino && !stat("/proc/thread-self/ns/net", &now) &&
	       now.st_ino == nl->ns.st_ino && now.st_dev == nl->ns.st_dev;
}

int nb_nl_open(struct nb_nl **out)
{
	return nl_open_here(out);
}

int nb_nl_open_netns(int netns_fd, struct nb_nl **out)
{
	int self, err;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return err;
	}
	/* the socket stays bound to the netns it is created in */
	err = nl_open_here(out);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* a thread stuck in the wrong netns would misconfigure everything after */
		abort();
	}
	close(self);
	return err;
}

void nb_nl_close(struct nb_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

static struct nl_addr *mac_addr(const __u8 *mac)
{
	return nl_addr_build(AF_LLC, mac, ETH_ALEN);
}

int nb_nl_veth_add(struct nb_nl *nl, const struct nb_veth_opts *o)
{
	struct rtnl_link *link = NULL, *peer = NULL;
	struct nl_addr *a = NULL, *pa = NULL;
	int err;

	if (!o->name || !o->peer_name || strlen(o->name) >= NB_IFNAMSIZ ||
	    strlen(o->peer_name) >= NB_IFNAMSIZ)
		return -EINVAL;
	link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, o->name);
	rtnl_link_set_name(peer, o->peer_name);
	if (o->mac) {
		a = mac_addr(o->mac);
		if (!a) {
			err = -ENOMEM;
			goto cleanup;
		}
		rtnl_link_set_addr(link, a);
	}
	if (o->peer_mac) {
		pa = mac_addr(o->peer_mac);
		if (!pa) {
			err = -ENOMEM;
			goto cleanup;
		}
		rtnl_link_set_addr(peer, pa);
	}
	if (o->mtu) {
		rtnl_link_set_mtu(link, o->mtu);
		rtnl_link_set_mtu(peer, o->mtu);
	}
	/* created directly inside the sandbox: the name is checked there, never in the host */
	if (o->peer_netns_fd >= 0)
		rtnl_link_set_ns_fd(peer, o->peer_netns_fd);
	nl_begin(nl);
	err = nl_result(nl, rtnl_link_add(nl->sk, link, NLM_F_CREATE | NLM_F_EXCL));
cleanup:
	nl_addr_put(pa);
	nl_addr_put(a);
	if (peer)
		rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return err;
}

int nb_nl_vxlan_add(struct nb_nl *nl, const char *name, __u16 dstport, unsigned int mtu)
{
	struct rtnl_link *link;
	int err;

	if (!name || strlen(name) >= NB_IFNAMSIZ)
		return -EINVAL;
	link = rtnl_link_vxlan_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	if (mtu)
		rtnl_link_set_mtu(link, mtu);
	/* `external`: no VNI, no remote; BPF gives both per packet with the tunnel key */
	err = rtnl_link_vxlan_set_collect_metadata(link, 1);
	if (!err)
		err = rtnl_link_vxlan_set_port(link, dstport);
	/* nobody reads a kernel FDB on this device: every destination comes from the key */
	if (!err)
		err = rtnl_link_vxlan_set_learning(link, 0);
	if (err) {
		err = -EINVAL;
		goto cleanup;
	}
	nl_begin(nl);
	err = nl_result(nl, rtnl_link_add(nl->sk, link, NLM_F_CREATE | NLM_F_EXCL));
cleanup:
	rtnl_link_put(link);
	return err;
}

/* RTM_DELLINK of the link named NAME, or of IFINDEX when NAME is NULL */
static int link_del(struct nb_nl *nl, int ifindex, const char *name)
{
	struct rtnl_link *link;
	int err;

	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	if (name)
		rtnl_link_set_name(link, name);
	else
		rtnl_link_set_ifindex(link, ifindex);
	nl_begin(nl);
	err = nl_result(nl, rtnl_link_delete(nl->sk, link));
	rtnl_link_put(link);
	return err;
}

int nb_nl_link_del(struct nb_nl *nl, const char *name)
{
	return link_del(nl, 0, name);
}

static int link_get(struct nb_nl *nl, int ifindex, const char *name, struct rtnl_link **out)
{
	if (name && strlen(name) >= NB_IFNAMSIZ)
		return -ENODEV;
	nl_begin(nl);
	return nl_result(nl, rtnl_link_get_kernel(nl->sk, ifindex, name, out));
}

int nb_nl_link_ifindex(struct nb_nl *nl, const char *name)
{
	struct rtnl_link *link;
	unsigned int idx;
	int err;

	/*
	 * In nl's own netns an ioctl answers: the RTM_GETLINK reply for a veth
	 * whose peer is in another netns costs the kernel a walk of all the
	 * netns ids (peernet2id_alloc), O(N) at N sandboxes, asked per endpoint.
	 */
	if (name && strlen(name) < NB_IFNAMSIZ && nl_is_here(nl)) {
		idx = if_nametoindex(name);
		if (idx)
			return (int)idx;
		if (errno == ENODEV)
			return -ENODEV;
	}

	err = link_get(nl, 0, name, &link);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	err = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return err;
}

int nb_nl_link_name(struct nb_nl *nl, int ifindex, char name[NB_IFNAMSIZ])
{
	struct rtnl_link *link;
	int err;

	err = link_get(nl, ifindex, NULL, &link);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	snprintf(name, NB_IFNAMSIZ, "%s", rtnl_link_get_name(link));
	rtnl_link_put(link);
	return 0;
}

/* In the caller's netns: already up (1), not (0), or -errno, by ioctl */
/*
 * Brings name up in this thread's netns by ioctl: neither "up already" nor
 * the change costs an RTM_GETLINK (see nb_nl_link_ifindex).
 */
static int link_up_here(const char *name)
{
	struct ifreq ifr = {0};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		err = -errno;
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	return err;
}

/* The link called name (-ENODEV: none) and an empty change object for it */
static int link_change_open(struct nb_nl *nl, const char *name, struct rtnl_link **link,
			    struct rtnl_link **change)
{
	int err;

	err = link_get(nl, 0, name, link);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	*change = rtnl_link_alloc();
	if (!*change) {
		rtnl_link_put(*link);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Sends change for link when send is set and err is 0 (a link already as asked
 * is left alone), then frees both: err, or what the kernel answered
 */
static int link_change_close(struct nb_nl *nl, struct rtnl_link *link, struct rtnl_link *change,
			     bool send, int err)
{
	if (!err && send) {
		nl_begin(nl);
		err = nl_result(nl, rtnl_link_change(nl->sk, link, change, 0));
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

int nb_nl_link_set_mtu(struct nb_nl *nl, const char *name, unsigned int mtu)
{
	struct rtnl_link *link, *change;
	int err;

	err = link_change_open(nl, name, &link, &change);
	if (err)
		return err;
	rtnl_link_set_mtu(change, mtu);
	return link_change_close(nl, link, change, rtnl_link_get_mtu(link) != mtu, 0);
}

int nb_nl_link_up(struct nb_nl *nl, const char *name)
{
	struct rtnl_link *link, *change;
	int err;

	if (strlen(name) < NB_IFNAMSIZ && nl_is_here(nl))
		return link_up_here(name);

	err = link_change_open(nl, name, &link, &change);
	if (err)
		return err;
	rtnl_link_set_flags(change, IFF_UP);
	return link_change_close(nl, link, change, !(rtnl_link_get_flags(link) & IFF_UP), 0);
}

int nb_nl_link_mac(struct nb_nl *nl, const char *name, __u8 mac[6])
{
	struct rtnl_link *link;
	struct nl_addr *a;
	int err;

	err = link_get(nl, 0, name, &link);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	a = rtnl_link_get_addr(link);
	if (!a || nl_addr_get_len(a) != ETH_ALEN) {
		err = -EINVAL;
	} else {
		memcpy(mac, nl_addr_get_binary_addr(a), ETH_ALEN);
		err = 0;
	}
	rtnl_link_put(link);
	return err;
}

int nb_nl_link_info(struct nb_nl *nl, const char *name, struct nb_link_info *info)
{
	struct rtnl_link *link;
	const char *kind;
	int err;

	err = link_get(nl, 0, name, &link);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	memset(info, 0, sizeof(*info));
	info->ifindex = rtnl_link_get_ifindex(link);
	info->mtu = rtnl_link_get_mtu(link);
	info->up = !!(rtnl_link_get_flags(link) & IFF_UP);
	kind = rtnl_link_get_type(link);
	snprintf(info->kind, sizeof(info->kind), "%s", kind ? kind : "");
	/* a veth's IFLA_LINK is the peer's ifindex (in the peer's netns) */
	info->peer_ifindex = rtnl_link_get_link(link);
	rtnl_link_put(link);
	return 0;
}

struct link_xdp_ctx {
	int ifindex;
	__u32 prog_id;
	__u8 attach_mode;
	bool seen;
};

static int link_xdp_parse(struct nl_msg *msg, void *arg)
{
	static struct nla_policy xdp_policy[IFLA_XDP_MAX + 1] = {
	    [IFLA_XDP_ATTACHED] = {.type = NLA_U8},
	    [IFLA_XDP_PROG_ID] = {.type = NLA_U32},
	};
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1], *xtb[IFLA_XDP_MAX + 1];
	struct link_xdp_ctx *c = arg;
	struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || !nlmsg_valid_hdr(nlh, sizeof(*ifi)))
		return NL_SKIP;
	ifi = nlmsg_data(nlh);
	if (ifi->ifi_index != c->ifindex)
		return NL_SKIP;
	c->seen = true;
	if (nlmsg_parse(nlh, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_XDP])
		return NL_OK;
	if (nla_parse_nested(xtb, IFLA_XDP_MAX, tb[IFLA_XDP], xdp_policy) < 0 ||
	    !xtb[IFLA_XDP_ATTACHED])
		return NL_OK;
	c->attach_mode = nla_get_u8(xtb[IFLA_XDP_ATTACHED]);
	/* the kernel names the program only when one mode holds one (not MULTI) */
	if (c->attach_mode != XDP_ATTACHED_NONE && xtb[IFLA_XDP_PROG_ID])
		c->prog_id = nla_get_u32(xtb[IFLA_XDP_PROG_ID]);
	return NL_OK;
}

int nb_nl_link_xdp(struct nb_nl *nl, int ifindex, __u32 *prog_id, __u8 *attach_mode)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct link_xdp_ctx c = {.ifindex = ifindex};
	struct nl_msg *msg;
	struct nl_cb *sk_cb, *cb = NULL;
	int err;

	if (ifindex <= 0)
		return -ENODEV;
	msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	if (!msg)
		return -ENOMEM;
	/* no counters: only IFLA_XDP is read */
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* a clone keeps the socket's error callback (the kernel's errno) */
	sk_cb = nl_socket_get_cb(nl->sk);
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!cb) {
		err = -ENOMEM;
		goto cleanup;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, link_xdp_parse, &c);
	nl_begin(nl);
	err = nl_result(nl, nl_send_auto(nl->sk, msg));
	if (err)
		goto cleanup;
	err = nl_result(nl, nl_recvmsgs(nl->sk, cb));
	if (err)
		goto cleanup;
	/* the request asked for an ACK (libnl's default): it follows the reply */
	err = nl_result(nl, nl_wait_for_ack(nl->sk));
	if (err)
		goto cleanup;
	if (!c.seen) {
		err = -ENODEV;
		goto cleanup;
	}
	*prog_id = c.prog_id;
	*attach_mode = c.attach_mode;
cleanup:
	if (cb)
		nl_cb_put(cb);
	nlmsg_free(msg);
	return err;
}

struct link_list_ctx {
	const char *prefix;
	char (*names)[NB_IFNAMSIZ];
	size_t n, cap;
	int err;
};

static void link_list_one(struct nl_object *obj, void *arg)
{
	struct link_list_ctx *c = arg;
	const char *name = rtnl_link_get_name((struct rtnl_link *)obj);
	char(*grown)[NB_IFNAMSIZ];

	if (c->err || !name || strncmp(name, c->prefix, strlen(c->prefix)))
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		grown = realloc(c->names, c->cap * sizeof(*grown));
		if (!grown) {
			c->err = -ENOMEM;
			return;
		}
		c->names = grown;
	}
	snprintf(c->names[c->n++], NB_IFNAMSIZ, "%s", name);
}

int nb_nl_link_list(struct nb_nl *nl, const char *prefix, char (**names)[NB_IFNAMSIZ], size_t *n)
{
	struct link_list_ctx c = {.prefix = prefix ? prefix : ""};
	struct nl_cache *cache;
	int err;

	nl_begin(nl);
	err = nl_result(nl, rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache));
	if (err)
		return err;
	nl_cache_foreach(cache, link_list_one, &c);
	nl_cache_free(cache);
	if (c.err) {
		free(c.names);
		return c.err;
	}
	*names = c.names;
	*n = c.n;
	return 0;
}

/* an address of family on ifname; flags: IFA_F_* (IFA_F_NODAD) */
static int addr_add(struct nb_nl *nl, const char *ifname, int family, const void *ip, size_t size,
		    int prefixlen, unsigned int flags)
{
	struct rtnl_addr *addr = NULL;
	struct nl_addr *local = NULL;
	int ifindex, err;

	if (prefixlen < 0 || prefixlen > (int)size * 8)
		return -EINVAL;
	ifindex = nb_nl_link_ifindex(nl, ifname);
	if (ifindex < 0)
		return ifindex;
	addr = rtnl_addr_alloc();
	local = nl_addr_build(family, ip, size);
	if (!addr || !local) {
		err = -ENOMEM;
		goto cleanup;
	}
	nl_addr_set_prefixlen(local, prefixlen);
	rtnl_addr_set_family(addr, family);
	rtnl_addr_set_ifindex(addr, ifindex);
	err = nl_result(nl, rtnl_addr_set_local(addr, local));
	if (err)
		goto cleanup;
	rtnl_addr_set_prefixlen(addr, prefixlen);
	if (flags)
		rtnl_addr_set_flags(addr, flags);
	nl_begin(nl);
	err = nl_result(nl, rtnl_addr_add(nl->sk, addr, NLM_F_EXCL));
cleanup:
	nl_addr_put(local);
	if (addr)
		rtnl_addr_put(addr);
	return err;
}

int nb_nl_addr_add(struct nb_nl *nl, const char *ifname, __be32 ip, int prefixlen)
{
	return addr_add(nl, ifname, AF_INET, &ip, sizeof(ip), prefixlen, 0);
}

int nb_nl_addr6_add(struct nb_nl *nl, const char *ifname, const struct in6_addr *ip, int prefixlen,
		    bool nodad)
{
	return addr_add(nl, ifname, AF_INET6, ip, sizeof(*ip), prefixlen, nodad ? IFA_F_NODAD : 0);
}

int nb_nl_link_addr_gen_eui64(struct nb_nl *nl, const char *name)
{
	struct rtnl_link *link, *change;
	int err;

	err = link_change_open(nl, name, &link, &change);
	if (err)
		return err;
	err = nl_result(nl, rtnl_link_inet6_set_addr_gen_mode(
				change, rtnl_link_inet6_str2addrgenmode("eui64")));
	return link_change_close(nl, link, change, true, err);
}

struct addr_list_ctx {
	int ifindex; /* 0: every interface */
	__be32 *ips;
	int *prefixlens;
	size_t n, cap;
	int err;
};

static void addr_list_one(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_list_ctx *c = arg;
	struct nl_addr *local;
	__be32 *grown;
	int *grown_len;

	if (c->err || rtnl_addr_get_family(a) != AF_INET)
		return;
	if (c->ifindex && rtnl_addr_get_ifindex(a) != c->ifindex)
		return;
	local = rtnl_addr_get_local(a);
	if (!local || nl_addr_get_len(local) != sizeof(__be32))
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		grown = realloc(c->ips, c->cap * sizeof(*grown));
		if (!grown) {
			c->err = -ENOMEM;
			return;
		}
		c->ips = grown;
		grown_len = realloc(c->prefixlens, c->cap * sizeof(*grown_len));
		if (!grown_len) {
			c->err = -ENOMEM;
			return;
		}
		c->prefixlens = grown_len;
	}
	memcpy(&c->ips[c->n], nl_addr_get_binary_addr(local), sizeof(__be32));
	c->prefixlens[c->n++] = rtnl_addr_get_prefixlen(a);
}

/*
 * Only one family is read, so only it is asked for: rtnl_addr_alloc_cache() dumps
 * every family, and each veth of the host (one per endpoint) has an IPv6
 * link-local address, so the dump grew with the sandboxes. The kernel filters
 * a dump by family; libnl parses the reply as it would its own.
 */
static int addr_dump(struct nb_nl *nl, int family, struct nl_cache **out)
{
	struct nl_cache *cache;
	int nle;

	nle = nl_cache_alloc_name("route/addr", &cache);
	if (nle < 0)
		return nle_to_errno(nle);
	/* as nl_cache_refill(): a dump that changed while it was read is read again */
	do {
		nl_cache_clear(cache);
		nl_begin(nl);
		nle = nl_rtgen_request(nl->sk, RTM_GETADDR, family, NLM_F_DUMP);
		if (nle >= 0)
			nle = nl_cache_pickup(nl->sk, cache);
	} while (nle == -NLE_DUMP_INTR);
	if (nle < 0) {
		nl_cache_free(cache);
		return nl_result(nl, nle);
	}
	*out = cache;
	return 0;
}

static int addr_list(struct nb_nl *nl, struct addr_list_ctx *c)
{
	struct nl_cache *cache = NULL;
	int err;

	err = addr_dump(nl, AF_INET, &cache);
	if (err)
		return err;
	nl_cache_foreach(cache, addr_list_one, c);
	nl_cache_free(cache);
	if (c->err) {
		free(c->ips);
		free(c->prefixlens);
		return c->err;
	}
	return 0;
}

int nb_nl_addr_list(struct nb_nl *nl, __be32 **out, size_t *n)
{
	struct addr_list_ctx c = {0};
	int err;

	err = addr_list(nl, &c);
	if (err)
		return err;
	free(c.prefixlens);
	*out = c.ips;
	*n = c.n;
	return 0;
}

int nb_nl_addr_first(struct nb_nl *nl, const char *ifname, __be32 *ip)
{
	struct addr_list_ctx c = {0};
	int err;

	*ip = 0;
	c.ifindex = nb_nl_link_ifindex(nl, ifname);
	if (c.ifindex < 0)
		return c.ifindex;
	err = addr_list(nl, &c);
	if (err)
		return err;
	if (c.n)
		*ip = c.ips[0];
	free(c.ips);
	free(c.prefixlens);
	return 0;
}

int nb_nl_addr_has(struct nb_nl *nl, const char *ifname, __be32 ip, int prefixlen)
{
	struct addr_list_ctx c = {0};
	size_t i;
	int err, found = 0;

	c.ifindex = nb_nl_link_ifindex(nl, ifname);
	if (c.ifindex < 0)
		return c.ifindex;
	err = addr_list(nl, &c);
	if (err)
		return err;
	for (i = 0; i < c.n; i++)
		if (c.ips[i] == ip && (prefixlen < 0 || c.prefixlens[i] == prefixlen))
			found = 1;
	free(c.ips);
	free(c.prefixlens);
	return found;
}

struct addr6_has_ctx {
	int ifindex;
	const struct in6_addr *ip;
	int prefixlen;
	int found;
};

static void addr6_has_one(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr6_has_ctx *c = arg;
	struct nl_addr *local = rtnl_addr_get_local(a);

	if (rtnl_addr_get_family(a) != AF_INET6 || rtnl_addr_get_ifindex(a) != c->ifindex ||
	    !local || nl_addr_get_len(local) != sizeof(*c->ip))
		return;
	if (!memcmp(nl_addr_get_binary_addr(local), c->ip, sizeof(*c->ip)) &&
	    (c->prefixlen < 0 || (int)rtnl_addr_get_prefixlen(a) == c->prefixlen))
		c->found = 1;
}

int nb_nl_addr6_has(struct nb_nl *nl, const char *ifname, const struct in6_addr *ip, int prefixlen)
{
	struct addr6_has_ctx c = {.ip = ip, .prefixlen = prefixlen};
	struct nl_cache *cache;
	int err;

	c.ifindex = nb_nl_link_ifindex(nl, ifname);
	if (c.ifindex < 0)
		return c.ifindex;
	err = addr_dump(nl, AF_INET6, &cache);
	if (err)
		return err;
	nl_cache_foreach(cache, addr6_has_one, &c);
	nl_cache_free(cache);
	return c.found;
}

int nb_nl_addr_is_local(struct nb_nl *nl, __be32 ip)
{
	__be32 *ips;
	size_t n, i;
	int err, found = 0;

	err = nb_nl_addr_list(nl, &ips, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (ips[i] == ip)
			found = 1;
	free(ips);
	return found;
}

static int route_default_add(struct nb_nl *nl, int family, const void *gateway, size_t size)
{
	static const __u8 any[16];
	struct rtnl_route *route = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = NULL, *gw = NULL;
	int err;

	route = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	dst = nl_addr_build(family, any, size);
	gw = nl_addr_build(family, gateway, size);
	if (!route || !nh || !dst || !gw) {
		err = -ENOMEM;
		goto cleanup;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(route, (uint8_t)family);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	rtnl_route_set_type(route, RTN_UNICAST);
	err = nl_result(nl, rtnl_route_set_dst(route, dst));
	if (err)
		goto cleanup;
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh);
	nh = NULL; /* owned by the route now */
	nl_begin(nl);
	err = nl_result(nl, rtnl_route_add(nl->sk, route, NLM_F_EXCL));
cleanup:
	nl_addr_put(gw);
	nl_addr_put(dst);
	if (nh)
		rtnl_route_nh_free(nh);
	if (route)
		rtnl_route_put(route);
	return err;
}

int nb_nl_route_default_add(struct nb_nl *nl, __be32 gateway)
{
	return route_default_add(nl, AF_INET, &gateway, sizeof(gateway));
}

int nb_nl_route6_default_add(struct nb_nl *nl, const struct in6_addr *gateway)
{
	return route_default_add(nl, AF_INET6, gateway, sizeof(*gateway));
}

struct route_ctx {
	int ifindex;
	__u32 prio;
};

static void route_default_one(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct route_ctx *c = arg;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST)
		return;
	if (dst && nl_addr_get_prefixlen(dst) != 0)
		return;
	if (rtnl_route_get_nnexthops(r) < 1)
		return;
	nh = rtnl_route_nexthop_n(r, 0);
	/* the preferred default route is the one with the lowest metric */
	if (!c->ifindex || rtnl_route_get_priority(r) < c->prio) {
		c->ifindex = rtnl_route_nh_get_ifindex(nh);
		c->prio = rtnl_route_get_priority(r);
	}
}

int nb_nl_route_default_dev(struct nb_nl *nl, char ifname[NB_IFNAMSIZ])
{
	struct route_ctx c = {0};
	struct nl_cache *cache;
	int err;

	nl_begin(nl);
	err = nl_result(nl, rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &cache));
	if (err)
		return err;
	nl_cache_foreach(cache, route_default_one, &c);
	nl_cache_free(cache);
	if (!c.ifindex)
		return -ENOENT;
	return nb_nl_link_name(nl, c.ifindex, ifname);
}

struct prefix_ctx {
	struct nb_nl_prefix *v;
	size_t n, cap;
	int err;
};

static struct nb_nl_prefix *prefix_push(struct prefix_ctx *c)
{
	struct nb_nl_prefix *grown;

	if (c->err)
		return NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		grown = realloc(c->v, c->cap * sizeof(*grown));
		if (!grown) {
			c->err = -ENOMEM;
			return NULL;
		}
		c->v = grown;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	return &c->v[c->n++];
}

static __be32 prefix_clear_host(__be32 a, int len)
{
	return len ? a & htonl(~0u << (32 - len)) : 0;
}

static void route_prefix_one(struct nl_object *obj, void *arg)
{
	struct rtnl_route *r = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(r);
	struct prefix_ctx *c = arg;
	struct nb_nl_prefix *p;
	__be32 a;

	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST)
		return;
	/* the default route overlaps everything: Docker does not count it either */
	if (!dst || nl_addr_get_prefixlen(dst) == 0 || nl_addr_get_len(dst) != sizeof(a))
		return;
	p = prefix_push(c);
	if (!p)
		return;
	memcpy(&a, nl_addr_get_binary_addr(dst), sizeof(a));
	p->len = (int)nl_addr_get_prefixlen(dst);
	p->dst = prefix_clear_host(a, p->len);
	if (rtnl_route_get_nnexthops(r) > 0)
		p->ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
}

static void addr_prefix_one(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct nl_addr *local = rtnl_addr_get_local(a);
	struct prefix_ctx *c = arg;
	struct nb_nl_prefix *p;

	if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
		return;
	p = prefix_push(c);
	if (!p)
		return;
	memcpy(&p->addr, nl_addr_get_binary_addr(local), sizeof(p->addr));
	p->len = rtnl_addr_get_prefixlen(a);
	p->dst = prefix_clear_host(p->addr, p->len);
	p->ifindex = rtnl_addr_get_ifindex(a);
}

int nb_nl_prefixes(struct nb_nl *nl, struct nb_nl_prefix **out, size_t *n)
{
	struct prefix_ctx c = {0};
	struct nl_cache *cache;
	int err;

	/* addresses first: "address 172.17.0.1/16 on docker0" says more than its connected route */
	err = addr_dump(nl, AF_INET, &cache);
	if (err)
		return err;
	nl_cache_foreach(cache, addr_prefix_one, &c);
	nl_cache_free(cache);
	nl_begin(nl);
	err = nl_result(nl, rtnl_route_alloc_cache(nl->sk, AF_INET, 0, &cache));
	if (err) {
		free(c.v);
		return err;
	}
	nl_cache_foreach(cache, route_prefix_one, &c);
	nl_cache_free(cache);
	if (c.err) {
		free(c.v);
		return c.err;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

static void cls_count_one(struct nl_object *obj, void *arg)
{
	if (rtnl_tc_get_handle(TC_CAST(obj)))
		++*(int *)arg;
}

int nb_nl_tc_filter_count(struct nb_nl *nl, int ifindex, bool egress)
{
	struct nl_cache *cache;
	__u32 parent;
	int err;

	parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
	nl_begin(nl);
	err = nl_result(nl, rtnl_cls_alloc_cache(nl->sk, ifindex, parent, &cache));
	if (err)
		return err == -EINVAL ? 0 : err; /* no clsact qdisc: no filters */
	/* the dump also lists each priority's chain head (handle 0): only filters count */
	err = 0;
	nl_cache_foreach(cache, cls_count_one, &err);
	nl_cache_free(cache);
	return err;
}

/* ---- batches: a dump, a group delete ---------------------------------------- */

struct links_ctx {
	const char *const *prefixes;
	size_t np;
	struct nb_link_ent *v;
	size_t n, cap;
	int err;
};

/* An RTM_*LINK request for ifindex (0: by group) carrying IFLA_GROUP, acknowledged */
static int link_group_request(struct nb_nl *nl, int type, int ifindex, __u32 group)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct nl_msg *msg;
	int err;

	msg = nlmsg_alloc_simple(type, 0);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_GROUP, group) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_begin(nl);
	err = nl_result(nl, nl_send_auto(nl->sk, msg));
	if (!err)
		err = nl_result(nl, nl_wait_for_ack(nl->sk));
	nlmsg_free(msg);
	return err;
}

int nb_nl_links_del(struct nb_nl *nl, const int *ifindex, size_t n)
{
	size_t i, count = 0;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		err = link_group_request(nl, RTM_SETLINK, ifindex[i], NB_NL_DOOMED_GROUP);
		if (err == -ENODEV)
			err = 0; /* gone by itself */
		else if (!err)
			count++;
	}
	if (!err && !count)
		return 0;
	if (!err)
		err = link_group_request(nl, RTM_DELLINK, 0, NB_NL_DOOMED_GROUP);
	if (!err)
		return (int)count;
	/* one by one, what is left of them */
	count = 0;
	for (i = 0; i < n; i++) {
		err = link_del(nl, ifindex[i], NULL);
		if (err == -ENODEV)
			continue;
		if (err)
			return err;
		count++;
	}
	return (int)count;
}

int nb_link_ifindex_here(const char *name)
{
	unsigned int idx = if_nametoindex(name);

	return idx ? (int)idx : -ENODEV;
}

/* the driver of name ("veth", ...) by ETHTOOL_GDRVINFO; "" when it has none */
static void link_driver(int fd, const char *name, char *kind, size_t size)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	kind[0] = '\0';
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(kind, size, "%s", info.driver);
}

int nb_links_here(const char *const *prefixes, size_t np, struct nb_link_ent **out, size_t *n)
{
	struct links_ctx c = {.prefixes = prefixes, .np = np};
	struct nb_link_ent *grown;
	char line[512], *name, *colon;
	unsigned int idx;
	FILE *f;
	int fd;
	size_t i;

	f = fopen("/proc/thread-self/net/dev", "re");
	if (!f)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fclose(f);
		return -errno;
	}
	/* two header lines, then "  name: counters..." */
	while (!c.err && fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		for (name = line; *name == ' '; name++)
			;
		for (i = 0; i < np; i++)
			if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
				break;
		if (i == np || strlen(name) >= NB_IFNAMSIZ)
			continue;
		idx = if_nametoindex(name);
		if (!idx)
			continue; /* gone meanwhile */
		if (c.n == c.cap) {
			c.cap = c.cap ? c.cap * 2 : 64;
			grown = realloc(c.v, c.cap * sizeof(*grown));
			if (!grown) {
				c.err = -ENOMEM;
				break;
			}
			c.v = grown;
		}
		snprintf(c.v[c.n].name, sizeof(c.v[c.n].name), "%s", name);
		c.v[c.n].ifindex = (int)idx;
		link_driver(fd, name, c.v[c.n].kind, sizeof(c.v[c.n].kind));
		c.n++;
	}
	close(fd);
	fclose(f);
	if (c.err) {
		free(c.v);
		return c.err;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}
