// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket hooks of bpf/sock.bpf.c, for real: BPF_PROG_TEST_RUN cannot
 * run cgroup sock_addr programs, so this test attaches them to a cgroup of
 * its own and makes real connections.
 *
 *   the test process: private netns + mount ns (pkt_env_enter), then moves
 *   itself into /sys/fs/cgroup/unified/nbt-sock-<pid> (nothing else runs
 *   there), attaches connect4/sendmsg4/recvmsg4/getpeername4 to it, and
 *   plays both "the host" (its netns cookie is nb_config's) and, in a forked
 *   child that unshares another netns, "a sandbox".
 *
 *     published  0.0.0.0:8000/tcp   -> 127.0.0.2:9000 (listener)
 *                127.0.0.1:8001/tcp -> 127.0.0.3:9001 (listener)
 *                0.0.0.0:8000/udp   -> 127.0.0.2:9002 (echo)
 *     host address 198.18.1.1 on veth nbs0 (in nb_local_addrs via
 *     nb_nat_local_addrs_sync), network 10.9.0.0/24 with gateway 10.9.0.1
 *
 * The sandbox ends of a real deployment are replaced by loopback
 * listeners: what is tested is the rewrite, the cookie check and the
 * reverse translation, not routing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pkt.h"
#include "maps.h"
#include "nat.h"
#include "netns.h"
#include "nl.h"
#include "sock.skel.h"

/* The cgroup2 root: /sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on a
 * pure v2 one (Debian 12's default), as netbpfctl chooses it */
static const char *cg_root(void)
{
	struct statfs sfs;

	if (!statfs("/sys/fs/cgroup/unified", &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

#define LO1	  PKT_IP4(127, 0, 0, 1)
#define LO2	  PKT_IP4(127, 0, 0, 2)
#define LO3	  PKT_IP4(127, 0, 0, 3)
#define HOSTIP	  PKT_IP4(198, 18, 1, 1)
#define ELSEWHERE PKT_IP4(198, 18, 1, 77) /* on nbs0's link, not ours */
#define GW9	  PKT_IP4(10, 9, 0, 1)

struct t {
	struct pkt_env env;
	struct sock_bpf *skel;
	struct bpf_link *links[8];
	struct nb_maps maps;
	char cg[256];
	bool cg_made, cg_joined;
	int lst_tcp, lst_tcp2, udp_echo; /* the "sandbox" sockets */
};

static struct sockaddr_in sin4(__be32 ip, __u16 port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	sa.sin_addr.s_addr = ip;
	return sa;
}

static int listen_on(__be32 ip, __u16 port, int type)
{
	struct sockaddr_in sa = sin4(ip, port);
	int fd, one = 1;

	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static const char *str(const struct sockaddr_in *sa, char *buf, size_t n)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a));
	snprintf(buf, n, "%s:%u", a, ntohs(sa->sin_port));
	return buf;
}

static bool same(const struct sockaddr_in *sa, __be32 ip, __u16 port, const char *what)
{
	char got[64];

	if (sa->sin_addr.s_addr == ip && sa->sin_port == htons(port))
		return true;
	pkt_diag("%s: got %s", what, str(sa, got, sizeof(got)));
	return false;
}

/*
 * TCP connect to ip:port; the connection must arrive at listener lst, the
 * client's getpeername() must say ip:port, and a byte must cross.
 */
static bool tcp_reaches(int lst, __be32 ip, __u16 port)
{
	struct sockaddr_in dst = sin4(ip, port), peer, local;
	socklen_t len = sizeof(peer);
	int c = -1, s = -1;
	bool ok = false;
	char b = 0;

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(c >= 0, "socket"))
		return false;
	if (!ASSERT_OK(connect(c, (struct sockaddr *)&dst, sizeof(dst)) ? -errno : 0, "connect"))
		goto cleanup;
	if (!ASSERT_TRUE(readable(lst, 1000), "the listener gets the connection"))
		goto cleanup;
	s = accept4(lst, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	if (!ASSERT_TRUE(s >= 0, "accept"))
		goto cleanup;
	/* the server sees the client as it is (no proxy in between) */
	len = sizeof(local);
	getsockname(c, (struct sockaddr *)&local, &len);
	ok = ASSERT_TRUE(peer.sin_port == local.sin_port, "server sees the client's own port");
	len = sizeof(peer);
	ok &= ASSERT_OK(getpeername(c, (struct sockaddr *)&peer, &len) ? -errno : 0, "getpeername");
	ok &= same(&peer, ip, port, "getpeername reports the published address");
	ok &= ASSERT_EQ(write(c, "x", 1), 1, "write");
	ok &= ASSERT_EQ(read(s, &b, 1), 1, "read") && ASSERT_EQ(b, 'x', "byte");
cleanup:
	if (s >= 0)
		close(s);
	close(c);
	return ok;
}

/* A nonblocking TCP connect to ip:port that must NOT be redirected to lst */
static bool tcp_not_redirected(int lst, __be32 ip, __u16 port)
{
	struct sockaddr_in dst = sin4(ip, port);
	bool ok;
	int c;

	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(c >= 0, "socket"))
		return false;
	connect(c, (struct sockaddr *)&dst, sizeof(dst));
	ok = ASSERT_TRUE(!readable(lst, 200), "the listener gets nothing");
	close(c);
	return ok;
}

/* Entries of nb_sock_rnat (the LRU of redirected datagrams' sockets) */
static unsigned int rnat_entries(struct t *t)
{
	struct nb_sock_rnat_key k, next;
	unsigned int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(t->maps.sock_rnat, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* ---- cases ------------------------------------------------------------------- */

/* connect() records the redirect in the socket's storage, not in nb_sock_rnat */
static int c_tcp_loopback(void *arg)
{
	struct t *t = arg;
	unsigned int before = rnat_entries(t);
	bool ok;

	ok = tcp_reaches(t->lst_tcp, LO1, 8000);
	ok &= ASSERT_EQ(rnat_entries(t), before, "nb_sock_rnat untouched by connect()");
	return ok ? 0 : -1;
}

static int c_tcp_loopback_any(void *arg)
{
	struct t *t = arg;

	/* all of 127.0.0.0/8 is the host's */
	return tcp_reaches(t->lst_tcp, PKT_IP4(127, 1, 2, 3), 8000) ? 0 : -1;
}

static int c_tcp_host_addr(void *arg)
{
	struct t *t = arg;

	return tcp_reaches(t->lst_tcp, HOSTIP, 8000) ? 0 : -1;
}

static int c_tcp_gateway_addr(void *arg)
{
	struct t *t = arg;

	return tcp_reaches(t->lst_tcp, GW9, 8000) ? 0 : -1;
}

static int c_tcp_not_local(void *arg)
{
	struct t *t = arg;

	return tcp_not_redirected(t->lst_tcp, ELSEWHERE, 8000) ? 0 : -1;
}

static int c_tcp_exact(void *arg)
{
	struct t *t = arg;
	struct sockaddr_in dst = sin4(HOSTIP, 8001);
	bool ok;
	int c;

	ok = tcp_reaches(t->lst_tcp2, LO1, 8001);
	/* published for 127.0.0.1 only: the host address has nothing on 8001 */
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok &= ASSERT_EQ(connect(c, (struct sockaddr *)&dst, sizeof(dst)) ? errno : 0, ECONNREFUSED,
			"198.18.1.1:8001 refused");
	close(c);
	return ok ? 0 : -1;
}

/* UDP: sendto the published address, the answer seems to come from it */
static int c_udp_unconnected(void *arg)
{
	struct t *t = arg;
	struct sockaddr_in dst = sin4(LO1, 8000), from;
	socklen_t len = sizeof(from);
	char buf[16];
	bool ok = false;
	ssize_t n;
	int c;

	unsigned int before = rnat_entries(t);

	c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(c >= 0, "socket"))
		return -1;
	if (!ASSERT_EQ(sendto(c, "ping", 4, 0, (struct sockaddr *)&dst, sizeof(dst)), 4, "sendto"))
		goto cleanup;
	/* an unconnected socket may reach several published ports: recorded per address */
	if (!ASSERT_EQ(rnat_entries(t), before + 1, "sendmsg recorded in nb_sock_rnat"))
		goto cleanup;
	if (!ASSERT_TRUE(readable(t->udp_echo, 1000), "the sandbox gets the datagram"))
		goto cleanup;
	n = recvfrom(t->udp_echo, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	if (!ASSERT_EQ(n, 4, "recvfrom at the sandbox"))
		goto cleanup;
	sendto(t->udp_echo, "pong", 4, 0, (struct sockaddr *)&from, len);
	if (!ASSERT_TRUE(readable(c, 1000), "the answer arrives"))
		goto cleanup;
	len = sizeof(from);
	n = recvfrom(c, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	ok = ASSERT_EQ(n, 4, "recvfrom") && ASSERT_MEMEQ(buf, "pong", 4, "answer");
	ok &= same(&from, LO1, 8000, "recvfrom reports the published address");
cleanup:
	close(c);
	return ok ? 0 : -1;
}

static int c_udp_connected(void *arg)
{
	struct t *t = arg;
	struct sockaddr_in dst = sin4(HOSTIP, 8000), from, peer;
	socklen_t len = sizeof(from);
	char buf[16];
	bool ok = false;
	int c;

	c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(c >= 0, "socket"))
		return -1;
	if (!ASSERT_OK(connect(c, (struct sockaddr *)&dst, sizeof(dst)) ? -errno : 0, "connect") ||
	    !ASSERT_EQ(send(c, "ping", 4, 0), 4, "send") ||
	    !ASSERT_TRUE(readable(t->udp_echo, 1000), "the sandbox gets the datagram"))
		goto cleanup;
	recvfrom(t->udp_echo, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	sendto(t->udp_echo, "pong", 4, 0, (struct sockaddr *)&from, len);
	ok = ASSERT_TRUE(readable(c, 1000), "the answer arrives");
	len = sizeof(from);
	ok &=
	    ASSERT_EQ(recvfrom(c, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 4, "recv");
	ok &= same(&from, HOSTIP, 8000, "recvfrom reports the published address");
	len = sizeof(peer);
	ok &= ASSERT_OK(getpeername(c, (struct sockaddr *)&peer, &len) ? -errno : 0, "getpeername");
	ok &= same(&peer, HOSTIP, 8000, "getpeername reports the published address");
cleanup:
	close(c);
	return ok ? 0 : -1;
}

/*
 * A process in another netns (a sandbox) connecting to its own
 * 127.0.0.1:8000 reaches its own listener: the hook leaves it alone.
 */
static int sandbox_child(void)
{
	struct sockaddr_in dst = sin4(LO1, 8000);
	struct ifreq ifr = {.ifr_name = "lo"};
	int lst, c, s, fd;

	if (unshare(CLONE_NEWNET) < 0)
		return 10;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return 11;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return 12;
	lst = listen_on(LO1, 8000, SOCK_STREAM);
	if (lst < 0)
		return 13;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return 14; /* redirected to 127.0.0.2:9000, where nothing listens here */
	s = accept(lst, NULL, NULL);
	return s >= 0 ? 0 : 15;
}

static int c_sandbox_untouched(void *arg)
{
	int status = 0;
	pid_t pid;

	(void)arg;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(sandbox_child());
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!ASSERT_TRUE(WIFEXITED(status), "child exited"))
		return -1;
	return ASSERT_EQ(WEXITSTATUS(status), 0, "sandbox reached its own 127.0.0.1:8000") ? 0 : -1;
}

static int c_unpublish(void *arg)
{
	struct t *t = arg;
	struct sockaddr_in dst = sin4(LO1, 8000);
	bool ok;
	int c;

	ok = ASSERT_OK(nb_nat_publish_del(&t->maps, 0, 8000, IPPROTO_TCP), "unpublish");
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ok &= ASSERT_EQ(connect(c, (struct sockaddr *)&dst, sizeof(dst)) ? errno : 0, ECONNREFUSED,
			"nothing on the host's own 127.0.0.1:8000");
	close(c);
	ok &= ASSERT_OK(nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_TCP, LO2, 9000, 9, 1),
			"publish again");
	ok &= tcp_reaches(t->lst_tcp, LO1, 8000);
	return ok ? 0 : -1;
}

/* A host address that went away is no longer rewritten after a sync */
static int c_local_addrs_sync(void *arg)
{
	struct t *t = arg;
	__u32 v;
	bool ok;

	ok = ASSERT_OK(nb_nat_local_addr_put(&t->maps, ELSEWHERE, 0), "put a stale address");
	ok &= ASSERT_OK(nb_nat_local_addrs_sync(&t->maps), "sync");
	ok &= ASSERT_EQ(bpf_map_lookup_elem(t->maps.local_addrs, &(__be32){ELSEWHERE}, &v), -ENOENT,
			"stale address removed");
	ok &= ASSERT_OK(bpf_map_lookup_elem(t->maps.local_addrs, &(__be32){HOSTIP}, &v),
			"live address kept");
	return ok ? 0 : -1;
}

static int c_counts(void *arg)
{
	struct t *t = arg;
	struct nb_publish_val v;

	if (!ASSERT_OK(nb_nat_publish_get(&t->maps, 0, 8000, IPPROTO_UDP, &v), "get"))
		return -1;
	return ASSERT_EQ(v.conns, 2, "two UDP conversations counted") ? 0 : -1;
}

/* ---- published IPv6 ports (connect6, nb_publish6) ----------------------------- */

static int listen6(const struct in6_addr *ip, __u16 port)
{
	struct sockaddr_in6 a = {
	    .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = *ip};
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* TCP to [ip]:port arrives at lst (or, want false, does not); getpeername says [ip]:port */
static bool tcp6_reaches(int lst, const struct in6_addr *ip, __u16 port, bool want)
{
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = *ip},
			    peer;
	socklen_t len = sizeof(peer);
	int c, s = -1;
	bool ok;

	c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | (want ? 0 : SOCK_NONBLOCK), 0);
	if (!ASSERT_TRUE(c >= 0, "socket"))
		return false;
	if (!want) {
		connect(c, (struct sockaddr *)&dst, sizeof(dst));
		ok = ASSERT_TRUE(!readable(lst, 200), "the listener gets nothing");
		close(c);
		return ok;
	}
	ok = ASSERT_OK(connect(c, (struct sockaddr *)&dst, sizeof(dst)) ? -errno : 0, "connect");
	ok = ok && ASSERT_TRUE(readable(lst, 1000), "the listener gets the connection");
	if (ok)
		s = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
	ok = ok && ASSERT_TRUE(s >= 0, "accept");
	ok = ok &&
	     ASSERT_OK(getpeername(c, (struct sockaddr *)&peer, &len) ? -errno : 0, "getpeername");
	ok = ok && ASSERT_MEMEQ(&peer.sin6_addr, ip, 16, "getpeername: the published address");
	ok = ok && ASSERT_EQ(ntohs(peer.sin6_port), port, "getpeername: the published port");
	if (s >= 0)
		close(s);
	close(c);
	return ok;
}

static int c_tcp6(void *arg)
{
	struct t *t = arg;
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT, other;
	struct nb_publish6_val v;
	int l1, l2;
	bool ok = true;

	inet_pton(AF_INET6, "fd00:99::5", &other);
	l1 = listen6(&lo, 9006);
	l2 = listen6(&lo, 9007);
	if (!ASSERT_TRUE(l1 >= 0 && l2 >= 0, "listeners on [::1]"))
		return -1;
	/* [::]:8006 -> [::1]:9006, [::1]:8007 -> [::1]:9007 */
	ok &= ASSERT_OK(nb_nat_publish6_put(&t->maps, NULL, 8006, IPPROTO_TCP, &lo, 9006, 9, 1),
			"publish [::]:8006");
	ok &= ASSERT_OK(nb_nat_publish6_put(&t->maps, &lo, 8007, IPPROTO_TCP, &lo, 9007, 9, 1),
			"publish [::1]:8007");
	ok &= tcp6_reaches(l1, &lo, 8006, true);
	ok &= tcp6_reaches(l2, &lo, 8007, true);
	/* [::] is not every IPv6 address: one the hook cannot call the host's is left alone */
	ok &= tcp6_reaches(l1, &other, 8006, false);
	ok &= ASSERT_OK(nb_nat_publish6_get(&t->maps, NULL, 8006, IPPROTO_TCP, &v), "entry") &&
	      ASSERT_EQ(v.conns, 1, "[::]:8006 counted once");
	/* unpublished: connections no longer rewritten */
	nb_nat_publish6_del(&t->maps, NULL, 8006, IPPROTO_TCP);
	ok &= tcp6_reaches(l1, &lo, 8006, false);
	nb_nat_publish6_del(&t->maps, &lo, 8007, IPPROTO_TCP);
	close(l1);
	close(l2);
	return ok ? 0 : -1;
}

/*
 * A dual-stack socket's connect() to ::ffff:127.0.0.1:8000 (connect6 with an
 * IPv4-mapped address) reaches the sandbox, getpeername() says the mapped
 * published address, and the record is the socket's (nb_sock_rnat untouched)
 */
static int c_tcp_mapped(void *arg)
{
	struct sockaddr_in6 dst = {.sin6_family = AF_INET6, .sin6_port = htons(8000)}, peer;
	struct t *t = arg;
	unsigned int before = rnat_entries(t);
	socklen_t len = sizeof(peer);
	int c, s = -1;
	bool ok;

	inet_pton(AF_INET6, "::ffff:127.0.0.1", &dst.sin6_addr);
	c = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!ASSERT_TRUE(c >= 0, "socket"))
		return -1;
	ok = ASSERT_OK(connect(c, (struct sockaddr *)&dst, sizeof(dst)) ? -errno : 0, "connect");
	ok = ok && ASSERT_TRUE(readable(t->lst_tcp, 1000), "the listener gets the connection");
	if (ok)
		s = accept4(t->lst_tcp, NULL, NULL, SOCK_CLOEXEC);
	ok = ok && ASSERT_TRUE(s >= 0, "accept");
	ok = ok &&
	     ASSERT_OK(getpeername(c, (struct sockaddr *)&peer, &len) ? -errno : 0, "getpeername");
	ok = ok && ASSERT_MEMEQ(&peer.sin6_addr, &dst.sin6_addr, 16, "getpeername: the address");
	ok = ok && ASSERT_EQ(ntohs(peer.sin6_port), 8000, "getpeername: the published port");
	ok = ok && ASSERT_EQ(rnat_entries(t), before, "nb_sock_rnat untouched by connect()");
	if (s >= 0)
		close(s);
	close(c);
	return ok ? 0 : -1;
}

static const struct pkt_case cases[] = {
    {"sock: TCP to 127.0.0.1:8000 reaches the sandbox, getpeername says 127.0.0.1:8000",
     c_tcp_loopback},
    {"sock: any 127/8 address is the host's", c_tcp_loopback_any},
    {"sock: TCP to a host address (nb_local_addrs) reaches the sandbox", c_tcp_host_addr},
    {"sock: TCP to a gateway address reaches the sandbox", c_tcp_gateway_addr},
    {"sock: TCP to a non-local address with that port is not rewritten", c_tcp_not_local},
    {"sock: exact 127.0.0.1:8001 entry, not the other host addresses", c_tcp_exact},
    {"sock: unconnected UDP: sendmsg rewritten, recvmsg shows the published source",
     c_udp_unconnected},
    {"sock: connected UDP: connect rewritten, getpeername published", c_udp_connected},
    {"sock: a sandbox's own 127.0.0.1:8000 is left alone (netns cookie)", c_sandbox_untouched},
    {"sock: unpublish refuses new connections at once", c_unpublish},
    {"sock: nb_nat_local_addrs_sync adds and removes host addresses", c_local_addrs_sync},
    {"sock: connections counted per published port", c_counts},
    {"sock: connect6 to a published IPv6 port ([::1], exact and [::]), getpeername6 published",
     c_tcp6},
    {"sock: a dual-stack socket's connect to ::ffff:127.0.0.1:8000, getpeername6 published",
     c_tcp_mapped},
};

/* ---- setup ------------------------------------------------------------------- */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int cg_join(const char *dir)
{
	char path[300], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_str(path, pid);
}

/* The cgroup the test process started in (cgroup2 path), to return to. */
static int cg_origin(char *out, size_t n)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		if ((size_t)snprintf(out, n, "%s%.256s", cg_root(), line + 3) >= n)
			break;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int setup(struct t *t)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = t->env.pin_dir);
	struct nb_config cfg = {};
	struct nb_network net = {.subnet = PKT_IP4(10, 9, 0, 0),
				 .prefixlen = 24,
				 .gateway = GW9,
				 .flags = NB_NET_F_ICC | NB_NET_F_MASQ,
				 .mtu = 1500};
	struct bpf_program *progs[8];
	struct nb_nl *nl = NULL;
	int ifa, ifb, cgfd = -1, nsfd, err, i;
	__u32 zero = 0;

	err = pkt_env_veth("nbs0", "nbs0p", &ifa, &ifb);
	if (err)
		return err;
	err = nb_nl_open(&nl);
	if (err)
		return err;
	err = nb_nl_addr_add(nl, "nbs0", HOSTIP, 24);
	nb_nl_close(nl);
	if (err)
		return err;

	/* the sandbox side, before the hooks exist */
	t->lst_tcp = listen_on(LO2, 9000, SOCK_STREAM);
	t->lst_tcp2 = listen_on(LO3, 9001, SOCK_STREAM);
	t->udp_echo = listen_on(LO2, 9002, SOCK_DGRAM);
	if (t->lst_tcp < 0 || t->lst_tcp2 < 0 || t->udp_echo < 0)
		return -EADDRNOTAVAIL;

	t->skel = sock_bpf__open_opts(&opts);
	if (!t->skel)
		return -errno;
	err = sock_bpf__load(t->skel);
	if (err)
		return err;
	err = nb_maps_open_pinned(t->env.pin_dir, &t->maps);
	if (err)
		return err;

	nsfd = nb_netns_open_self();
	if (nsfd < 0)
		return nsfd;
	err = nb_netns_cookie(nsfd, &cfg.host_netns_cookie);
	close(nsfd);
	if (err)
		return err;
	if (bpf_map_update_elem(t->maps.config, &zero, &cfg, BPF_ANY))
		return -errno;
	net.gw_ifindex = ifa;
	net.gwport_ifindex = ifb;
	err = nb_maps_network_put(&t->maps, 9, &net);
	err = err ?: nb_nat_local_addrs_sync(&t->maps);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_TCP, LO2, 9000, 9, 1);
	err = err ?: nb_nat_publish_put(&t->maps, LO1, 8001, IPPROTO_TCP, LO3, 9001, 9, 1);
	err = err ?: nb_nat_publish_put(&t->maps, 0, 8000, IPPROTO_UDP, LO2, 9002, 9, 1);
	if (err)
		return err;

	snprintf(t->cg, sizeof(t->cg), "%s/nbt-sock-%d", cg_root(), getpid());
	if (mkdir(t->cg, 0755) < 0)
		return -errno;
	t->cg_made = true;
	err = cg_join(t->cg);
	if (err)
		return err;
	t->cg_joined = true;
	cgfd = open(t->cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return -errno;
	progs[0] = t->skel->progs.connect4;
	progs[1] = t->skel->progs.sendmsg4;
	progs[2] = t->skel->progs.recvmsg4;
	progs[3] = t->skel->progs.getpeername4;
	progs[4] = t->skel->progs.connect6;
	progs[5] = t->skel->progs.sendmsg6;
	progs[6] = t->skel->progs.recvmsg6;
	progs[7] = t->skel->progs.getpeername6;
	for (i = 0; i < 8; i++) {
		t->links[i] = bpf_program__attach_cgroup(progs[i], cgfd);
		if (!t->links[i]) {
			err = -errno;
			break;
		}
	}
	close(cgfd);
	return err;
}

/* after main() took the process out of the test cgroup */
static void teardown(struct t *t)
{
	int i;

	for (i = 0; i < 8; i++)
		bpf_link__destroy(t->links[i]);
	if (t->cg_made && rmdir(t->cg) < 0)
		pkt_diag("removing %s: %s", t->cg, strerror(errno));
	sock_bpf__destroy(t->skel);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fputs("# ", stderr);
	return vfprintf(stderr, fmt, ap);
}

int main(void)
{
	struct t t = {.lst_tcp = -1, .lst_tcp2 = -1, .udp_echo = -1};
	char origin[512];
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_print);
	nb_maps_init(&t.maps);
	snprintf(origin, sizeof(origin), "%s/cgroup.procs", cg_root());
	if (access(origin, W_OK)) {
		printf("1..0 # SKIP no writable cgroup2 hierarchy at %s\n", cg_root());
		return 0;
	}
	/* where to return: read before joining the test cgroup */
	if (cg_origin(origin, sizeof(origin)))
		snprintf(origin, sizeof(origin), "%s", cg_root());
	err = pkt_env_enter(&t.env);
	if (err)
		return 1;
	err = setup(&t);
	if (pkt_tap(!err, "setup: hooks attached to a cgroup holding only this test"))
		pkt_run_cases(cases, sizeof(cases) / sizeof(cases[0]), &t);
	else
		pkt_diag("setup failed: %s", strerror(-err));
	if (t.cg_joined && cg_join(origin))
		pkt_diag("returning to %s: %s", origin, strerror(errno));
	t.cg_joined = false;
	teardown(&t);
	pkt_tap(access(t.cg, F_OK) != 0, "cleanup: the test cgroup is gone");
	if (t.lst_tcp >= 0)
		close(t.lst_tcp);
	if (t.lst_tcp2 >= 0)
		close(t.lst_tcp2);
	if (t.udp_echo >= 0)
		close(t.udp_echo);
	nb_maps_close(&t.maps);
	pkt_env_leave(&t.env);
	return pkt_tap_done() ? 1 : 0;
}
