// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* What the host netns already holds: prefixes and listening sockets (host.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "host.h"
#include "lifecycle.h"
#include "log.h"
#include "fmt.h"
#include "portspec.h"

/* ---- prefixes ---------------------------------------------------------------- */

const char *nb_host_net_str(const struct nb_host_net *h, char buf[NB_HOST_NET_STRLEN])
{
	char p[NB_CIDR_STRLEN], a[NB_IPV4_STRLEN];

	if (h->addr)
		snprintf(buf, NB_HOST_NET_STRLEN, "address %s/%d on %s", nb_fmt_ipv4(h->addr, a),
			 h->prefix.len, h->dev[0] ? h->dev : "?");
	else if (h->dev[0])
		snprintf(buf, NB_HOST_NET_STRLEN, "route %s dev %s", nb_fmt_prefix(&h->prefix, p),
			 h->dev);
	else
		snprintf(buf, NB_HOST_NET_STRLEN, "route %s", nb_fmt_prefix(&h->prefix, p));
	return buf;
}

const struct nb_host_net *nb_host_net_overlap(const struct nb_prefix *p,
					      const struct nb_host_net *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nb_prefix_overlap(p, &h[i].prefix))
			return &h[i];
	return NULL;
}

int nb_host_nets_read(struct nb_nl *nl, struct nb_host_net **out, size_t *n)
{
	struct nb_nl_prefix *v = NULL;
	struct nb_host_net *h = NULL;
	size_t nv = 0, i, k = 0;
	int err;

	err = nb_nl_prefixes(nl, &v, &nv);
	if (err)
		return err;
	h = calloc(nv ? nv : 1, sizeof(*h));
	if (!h) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < nv; i++) {
		struct nb_host_net *e = &h[k];

		if (v[i].ifindex > 0 && nb_nl_link_name(nl, v[i].ifindex, e->dev))
			e->dev[0] = '\0';
		/* netbpf's own gateway routes and addresses are what it manages, not the host's */
		if (e->dev[0] && nb_is_netbpf_device(e->dev)) {
			memset(e, 0, sizeof(*e));
			continue;
		}
		e->prefix.addr = v[i].dst;
		e->prefix.len = v[i].len;
		e->addr = v[i].addr;
		k++;
	}
	free(v);
	*out = h;
	*n = k;
	return 0;
}

int nb_host_nets_here(struct nb_host_net **out, size_t *n)
{
	struct nb_nl *nl;
	int err;

	err = nb_nl_open(&nl);
	if (!err) {
		err = nb_host_nets_read(nl, out, n);
		nb_nl_close(nl);
	}
	if (err)
		nb_errorf("cannot read the host's routes and addresses: %s", strerror(-err));
	return err;
}

/* ---- listening sockets ------------------------------------------------------- */

struct diag_ctx {
	__u8 proto;
	struct nb_listener *v;
	size_t n, cap;
	int err;
};

static const __u8 v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int diag_one(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct inet_diag_msg *m = nlmsg_data(nlh);
	struct diag_ctx *c = arg;
	struct nb_listener *l, *grown;
	struct nlattr *a;
	bool v6only;
	__be32 ip = 0;

	if (c->err || nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return NL_OK;
	if (!m->id.idiag_sport)
		return NL_OK;
	bool has4 = true, has6 = false;
	const __u8 *src = (const __u8 *)m->id.idiag_src;

	if (m->idiag_family == AF_INET) {
		ip = m->id.idiag_src[0];
	} else {
		static const __u8 any[16];

		a = nlmsg_find_attr(nlh, sizeof(*m), INET_DIAG_SKV6ONLY);
		v6only = a && nla_len(a) >= 1 && nla_get_u8(a);
		has6 = memcmp(src, v4mapped, 12) != 0;
		if (!memcmp(src, any, 16) && !v6only)
			ip = 0; /* a dual-stack [::] takes the port on every IPv4 address too */
		else if (!memcmp(src, v4mapped, 12))
			memcpy(&ip, src + 12, 4);
		else
			has4 = false; /* an IPv6 address holds no IPv4 port */
	}
	while (has4 || has6) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			grown = realloc(c->v, c->cap * sizeof(*grown));
			if (!grown) {
				c->err = -ENOMEM;
				return NL_STOP;
			}
			c->v = grown;
		}
		l = &c->v[c->n++];
		memset(l, 0, sizeof(*l));
		if (has4) {
			l->ip = ip;
			has4 = false;
		} else {
			l->v6 = true;
			memcpy(&l->ip6, src, 16);
			has6 = false;
		}
		l->port = ntohs(m->id.idiag_sport);
		l->proto = c->proto;
		l->inode = m->idiag_inode;
	}
	return NL_OK;
}

/* One SOCK_DIAG_BY_FAMILY dump, as `ss` asks for it */
static int diag_dump(struct nl_sock *sk, __u8 family, __u8 proto, __u32 states, struct diag_ctx *c)
{
	struct inet_diag_req_v2 req = {
	    .sdiag_family = family,
	    .sdiag_protocol = proto,
	    .idiag_states = states,
	};
	int nle;

	c->proto = proto;
	nle = nl_send_simple(sk, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	if (nle < 0)
		return -EIO;
	nle = nl_recvmsgs_default(sk);
	if (c->err)
		return c->err;
	/* a kernel without UDP diag (CONFIG_INET_UDP_DIAG=n) answers ENOENT: nothing to see */
	if (nle == -NLE_OBJ_NOTFOUND || nle == -NLE_NOATTR || nle == -NLE_OPNOTSUPP)
		return 0;
	return nle < 0 ? -EIO : 0;
}

int nb_host_listeners(struct nb_listener **out, size_t *n)
{
	static const __u8 families[] = {AF_INET, AF_INET6};
	struct diag_ctx c = {0};
	struct nl_sock *sk;
	size_t f;
	int err = 0;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_SOCK_DIAG) < 0) {
		nl_socket_free(sk);
		return -EPROTONOSUPPORT;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, diag_one, &c);
	for (f = 0; !err && f < sizeof(families); f++) {
		err = diag_dump(sk, families[f], IPPROTO_TCP, 1u << 10 /* TCP_LISTEN */, &c);
		/* a bound UDP socket is in any state: unconnected (TCP_CLOSE) or connected */
		if (!err)
			err = diag_dump(sk, families[f], IPPROTO_UDP, ~0u, &c);
	}
	nl_socket_free(sk);
	if (err) {
		free(c.v);
		return err;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

const struct nb_listener *nb_listener_find(const struct nb_listener *v, size_t n, __be32 ip,
					   __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!v[i].v6 && v[i].port == port && v[i].proto == proto &&
		    nb_portmap_ip_collide(v[i].ip, ip))
			return &v[i];
	return NULL;
}

const struct nb_listener *nb_listener_find6(const struct nb_listener *v, size_t n,
					    const struct in6_addr *ip6, __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].v6 && v[i].port == port && v[i].proto == proto &&
		    (IN6_IS_ADDR_UNSPECIFIED(&v[i].ip6) || IN6_IS_ADDR_UNSPECIFIED(ip6) ||
		     IN6_ARE_ADDR_EQUAL(&v[i].ip6, ip6)))
			return &v[i];
	return NULL;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void read_comm(const char *pid, char comm[16])
{
	char path[300];
	ssize_t len;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, comm, 15);
	close(fd);
	if (len <= 0)
		len = 0;
	comm[len] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

int nb_socket_owner(__u32 inode, pid_t *pid, char comm[16])
{
	char want[32], path[600], link[64];
	struct dirent *p, *f;
	DIR *proc, *fds;
	ssize_t len;
	int found = -ENOENT;

	if (!inode)
		return -ENOENT;
	snprintf(want, sizeof(want), "socket:[%u]", inode);
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while (found && (p = readdir(proc))) {
		if (!all_digits(p->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path); /* another user's process: EACCES without CAP_SYS_PTRACE */
		if (!fds)
			continue;
		while ((f = readdir(fds))) {
			if (!all_digits(f->d_name))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, f->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (strcmp(link, want))
				continue;
			*pid = (pid_t)atoi(p->d_name);
			read_comm(p->d_name, comm);
			found = 0;
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

const char *nb_listener_str(const struct nb_listener *l, char buf[NB_LISTENER_STRLEN])
{
	char a[INET6_ADDRSTRLEN + 2], a6[INET6_ADDRSTRLEN], comm[16];
	pid_t pid = 0;

	if (l->v6 && inet_ntop(AF_INET6, &l->ip6, a6, sizeof(a6)))
		snprintf(a, sizeof(a), "[%s]", a6);
	else
		nb_fmt_ipv4(l->ip, a);
	if (!nb_socket_owner(l->inode, &pid, comm))
		snprintf(buf, NB_LISTENER_STRLEN, "%s:%u/%s, held by %s (pid %d)", a, l->port,
			 nb_proto_name(l->proto), comm[0] ? comm : "?", (int)pid);
	else
		snprintf(buf, NB_LISTENER_STRLEN, "%s:%u/%s, held by a process netbpf cannot see",
			 a, l->port, nb_proto_name(l->proto));
	return buf;
}
