// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <netbpf/netbpf.h>

#include "resolver.h"

#define DNS_PORT	    53
#define MAX_MSG		    4096 /* bigger UDP replies than EDNS's usual 1232..4096 are cut */
#define MAX_INFLIGHT	    256	 /* forwarded queries and TCP connections at once */
#define MAX_PER_NET	    128	 /* ... of one network: the others keep the rest */
#define MAX_PER_CLIENT	    32	 /* ... of one sandbox address: its neighbours keep the rest */
#define MAX_UPSTREAMS	    3	 /* as resolv.conf's MAXNS */
#define UPSTREAM_TIMEOUT_MS 2000 /* per resolver, as glibc's default 5 s is too long to wait */
#define TCP_IDLE_S	    5
#define TCP_MAX_QUERIES	    16

/* one gateway's sockets */
struct listener {
	char net_id[NB_ID_LEN + 1];
	__be32 gw;
	int udp, tcp;
	bool warned;
};

static struct {
	const struct nb_instance *inst;
	const char *resolv_conf;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_rwlock_t lock; /* table and upstreams */
	struct nb_dns_table table;
	__be32 up[MAX_UPSTREAMS];
	int nup;
	struct listener *ls;
	size_t nls;
	pthread_mutex_t slots_lock;
	struct nb_dns_slots slots; /* in flight by client and network (the limits above) */
	unsigned long logged;	   /* how many refusals were logged */
	/* the state is read again only when it changed (reload()) */
	struct nb_store_watch *watch;
	bool stale;	       /* the last read failed: try again next tick */
	unsigned long reads;   /* for the log: an idle daemon reads nothing */
	struct stat resolv_st; /* resolv.conf as last read */
} R = {.lock = PTHREAD_RWLOCK_INITIALIZER, .slots_lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- fairness ------------------------------------------------------------------- */

static bool take_slot(__be32 gw, __be32 ip)
{
	enum nb_dns_over o;

	pthread_mutex_lock(&R.slots_lock);
	o = nb_dns_slot_take(&R.slots, gw, ip);
	pthread_mutex_unlock(&R.slots_lock);
	return o == NB_DNS_OVER_NONE;
}

static void give_slot(__be32 gw, __be32 ip)
{
	pthread_mutex_lock(&R.slots_lock);
	nb_dns_slot_give(&R.slots, gw, ip);
	pthread_mutex_unlock(&R.slots_lock);
}

/* once a second at most: what the limits refused since the last line, and who last */
static void log_refused(void)
{
	unsigned long c, n, a;
	char ip[NB_IPV4_STRLEN], gw[NB_IPV4_STRLEN];
	__be32 last_ip, last_gw;

	pthread_mutex_lock(&R.slots_lock);
	c = R.slots.refused[NB_DNS_OVER_CLIENT];
	n = R.slots.refused[NB_DNS_OVER_NET];
	a = R.slots.refused[NB_DNS_OVER_ALL];
	last_ip = R.slots.last_ip;
	last_gw = R.slots.last_gw;
	pthread_mutex_unlock(&R.slots_lock);
	if (c + n + a == R.logged)
		return;
	nb_logf(NB_LOG_WARN,
		"dns: %lu queries or connections refused over the in-flight limits, last from %s "
		"on %s:53 (in all: %lu over the client's %d, %lu over the network's %d, %lu over "
		"netbpfd's %d)",
		c + n + a - R.logged, nb_fmt_ipv4(last_ip, ip), nb_fmt_ipv4(last_gw, gw), c,
		MAX_PER_CLIENT, n, MAX_PER_NET, a, MAX_INFLIGHT);
	R.logged = c + n + a;
}

/* ---- upstream ------------------------------------------------------------------ */

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = {.fd = fd, .events = ev};
	int n = poll(&p, 1, ms);

	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* len bytes within ms in all: a client trickling a byte at a time gains nothing by it */
static ssize_t read_full(int fd, void *buf, size_t len, int ms)
{
	long long end = now_ms() + ms, left;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		left = end - now_ms();
		if (left <= 0 || wait_fd(fd, POLLIN, (int)left))
			return -1;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static bool write_msg_tcp(int fd, const void *msg, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	struct iovec iov[2] = {{hdr, 2}, {(void *)msg, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)(len + 2);
}

/* one length-prefixed message; its length or -1 */
static ssize_t read_msg_tcp(int fd, uint8_t *buf, size_t max, int ms)
{
	uint8_t hdr[2];
	size_t len;

	if (read_full(fd, hdr, 2, ms) != 2)
		return -1;
	len = (size_t)hdr[0] << 8 | hdr[1];
	if (len < 12 || len > max)
		return -1;
	return read_full(fd, buf, len, ms);
}

static int connect_to(__be32 ip, int type)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = {ip}};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the answer of one upstream over TCP to q (as sent); its length or -1 */
static ssize_t ask_tcp(__be32 up, const uint8_t *q, size_t len, uint8_t *resp)
{
	int fd = connect_to(up, SOCK_STREAM), soerr = 0;
	socklen_t sl = sizeof(soerr);
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (!wait_fd(fd, POLLOUT, UPSTREAM_TIMEOUT_MS) &&
	    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) && !soerr &&
	    write_msg_tcp(fd, q, len))
		n = read_msg_tcp(fd, resp, MAX_MSG, UPSTREAM_TIMEOUT_MS);
	if (n >= 0 && !nb_dns_answer_matches(q, len, resp, (size_t)n))
		n = -1;
	close(fd);
	return n;
}

/*
 * The answer of one upstream over UDP to q (as sent, its id fresh and random); its length, or
 * -1. The socket is connected, with a port of its own the kernel picks at random: only
 * datagrams from the upstream's address and port 53 reach it; of those, one that is not the
 * answer (another id or question: spoofed, or late) is ignored, within one deadline, so that
 * a stream of them holds the thread no longer than silence. *big: the answer exceeded MAX_MSG.
 */
static ssize_t ask_udp(__be32 up, const uint8_t *q, size_t len, uint8_t *resp, bool *big)
{
	int fd = connect_to(up, SOCK_DGRAM);
	long long end = now_ms() + UPSTREAM_TIMEOUT_MS, left;
	ssize_t n = -1;

	if (fd < 0)
		return -1;
	if (send(fd, q, len, 0) == (ssize_t)len)
		while ((left = end - now_ms()) > 0 && !wait_fd(fd, POLLIN, (int)left)) {
			n = recv(fd, resp, MAX_MSG, MSG_TRUNC | MSG_DONTWAIT);
			if (n > MAX_MSG) {
				/*
				 * its head is here (too little for ldns to parse): TCP gets the
				 * whole answer, which is checked then
				 */
				*big = resp[0] == q[0] && resp[1] == q[1] && (resp[2] & 0x80);
				n = -1;
				if (*big)
					break;
				continue;
			}
			if (n >= 0 && nb_dns_answer_matches(q, len, resp, (size_t)n))
				break;
			n = -1;
		}
	close(fd);
	return n;
}

/*
 * The first upstream's answer to q, with q's id; TCP when tcp, or when the UDP answer is
 * truncated (TC: passed on as it is when TCP fails, so the client retries) or too big.
 * Each query leaves with an id of its own (a guess at the next one from the client's
 * ids gets an attacker nothing).
 */
static ssize_t forward(const uint8_t *q, size_t len, bool tcp, uint8_t *resp)
{
	__be32 up[MAX_UPSTREAMS];
	uint8_t fq[MAX_MSG], tc[MAX_MSG];
	ssize_t n = -1, m;
	bool big;
	int nup, i;

	pthread_rwlock_rdlock(&R.lock);
	nup = R.nup;
	memcpy(up, R.up, sizeof(up));
	pthread_rwlock_unlock(&R.lock);
	if (len > sizeof(fq))
		return -1;
	memcpy(fq, q, len);
	for (i = 0; i < nup && n < 0; i++) {
		if (getrandom(fq, 2, 0) != 2)
			return -1;
		big = false;
		n = tcp ? -1 : ask_udp(up[i], fq, len, resp, &big);
		if (tcp || big || (n >= 12 && (resp[2] & 0x02))) {
			if (n > 0)
				memcpy(tc, resp, (size_t)n);
			m = ask_tcp(up[i], fq, len, resp);
			if (m < 0 && n > 0)
				memcpy(resp, tc, (size_t)n);
			else
				n = m;
		}
	}
	if (n >= 2) {
		resp[0] = q[0];
		resp[1] = q[1];
	}
	return n;
}

/* ---- queries ------------------------------------------------------------------- */

/*
 * The reply to q from client on net_id into out (MAX_MSG): ours, the
 * upstream's or SERVFAIL; its length, or -1 to stay silent.
 */
static ssize_t handle(const char *net_id, __be32 client, const uint8_t *q, size_t len, bool tcp,
		      bool may_forward, uint8_t *out, bool *want_forward)
{
	enum nb_dns_verdict v;
	uint8_t *resp = NULL;
	size_t rlen = 0;
	ssize_t n = -1;

	pthread_rwlock_rdlock(&R.lock);
	v = nb_dns_answer(&R.table, net_id, client, q, len, &resp, &rlen);
	pthread_rwlock_unlock(&R.lock);
	if (v == NB_DNS_FORWARD && !may_forward) {
		*want_forward = true;
		return -1;
	}
	if (v == NB_DNS_FORWARD) {
		uint8_t *up = malloc(MAX_MSG);

		n = up ? forward(q, len, tcp, up) : -1;
		if (n > 0) {
			resp = up;
			rlen = (size_t)n;
			v = NB_DNS_ANSWER;
		} else {
			free(up);
			v = nb_dns_servfail(q, len, &resp, &rlen);
		}
		n = -1;
	}
	if (v == NB_DNS_ANSWER) {
		uint8_t *fit = NULL;
		size_t flen = 0;

		/* over UDP, a reply longer than the client takes (512, or its EDNS size) says TC */
		if (!nb_dns_truncate(resp, rlen, tcp ? MAX_MSG : nb_dns_udp_limit(q, len, MAX_MSG),
				     &fit, &flen)) {
			memcpy(out, fit, flen);
			n = (ssize_t)flen;
		}
		free(fit);
	}
	free(resp);
	return n;
}

struct job {
	char net_id[NB_ID_LEN + 1];
	__be32 gw; /* the listener's: whose slots it holds */
	int fd; /* a dup of the UDP listener, or the TCP connection */
	struct sockaddr_in client;
	uint8_t q[MAX_MSG];
	size_t len;
};

static void *udp_forward_job(void *arg)
{
	struct job *j = arg;
	uint8_t out[MAX_MSG];
	bool unused;
	ssize_t n;

	n = handle(j->net_id, j->client.sin_addr.s_addr, j->q, j->len, false, true, out, &unused);
	if (n > 0)
		sendto(j->fd, out, (size_t)n, 0, (struct sockaddr *)&j->client,
		       sizeof(j->client));
	close(j->fd);
	give_slot(j->gw, j->client.sin_addr.s_addr);
	free(j);
	return NULL;
}

static void *tcp_job(void *arg)
{
	struct job *j = arg;
	uint8_t out[MAX_MSG];
	bool unused;
	ssize_t n;
	int i;

	for (i = 0; i < TCP_MAX_QUERIES && !atomic_load(&R.stop); i++) {
		n = read_msg_tcp(j->fd, j->q, sizeof(j->q), TCP_IDLE_S * 1000);
		if (n < 0)
			break;
		n = handle(j->net_id, j->client.sin_addr.s_addr, j->q, (size_t)n, true, true, out,
			   &unused);
		if (n < 0 || !write_msg_tcp(j->fd, out, (size_t)n))
			break;
	}
	close(j->fd);
	give_slot(j->gw, j->client.sin_addr.s_addr);
	free(j);
	return NULL;
}

/*
 * runs fn(j) on a detached thread of its own within the in-flight limits (per client, per
 * network, in all); frees j if not: the client's excess is dropped and counted
 */
static void spawn(void *(*fn)(void *), struct job *j)
{
	pthread_attr_t attr;
	pthread_t t;

	if (!take_slot(j->gw, j->client.sin_addr.s_addr)) {
		close(j->fd);
		free(j);
		return;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (pthread_create(&t, &attr, fn, j)) {
		give_slot(j->gw, j->client.sin_addr.s_addr);
		close(j->fd);
		free(j);
	}
	pthread_attr_destroy(&attr);
}

static void on_udp(struct listener *l)
{
	struct job *j = calloc(1, sizeof(*j));
	socklen_t sl = sizeof(j->client);
	uint8_t out[MAX_MSG];
	bool fwd = false;
	ssize_t n;

	if (!j)
		return;
	n = recvfrom(l->udp, j->q, sizeof(j->q), MSG_DONTWAIT, (struct sockaddr *)&j->client,
		     &sl);
	if (n < 12) {
		free(j);
		return;
	}
	j->len = (size_t)n;
	/* ours at once; the world's on a thread, so a slow resolver holds up no one */
	n = handle(l->net_id, j->client.sin_addr.s_addr, j->q, j->len, false, false, out, &fwd);
	if (n > 0)
		sendto(l->udp, out, (size_t)n, 0, (struct sockaddr *)&j->client,
		       sizeof(j->client));
	if (!fwd) {
		free(j);
		return;
	}
	snprintf(j->net_id, sizeof(j->net_id), "%s", l->net_id);
	j->gw = l->gw;
	j->fd = fcntl(l->udp, F_DUPFD_CLOEXEC, 0);
	if (j->fd < 0) {
		free(j);
		return;
	}
	spawn(udp_forward_job, j);
}

static void on_tcp(struct listener *l)
{
	struct job *j = calloc(1, sizeof(*j));
	socklen_t sl = sizeof(j->client);
	bool client;

	if (!j)
		return;
	j->fd = accept4(l->tcp, (struct sockaddr *)&j->client, &sl, SOCK_CLOEXEC);
	if (j->fd < 0) {
		free(j);
		return;
	}
	/* a connection from no sandbox of the network would hold a slot for nothing */
	pthread_rwlock_rdlock(&R.lock);
	client = nb_dns_is_client(&R.table, l->net_id, j->client.sin_addr.s_addr);
	pthread_rwlock_unlock(&R.lock);
	if (!client) {
		close(j->fd);
		free(j);
		return;
	}
	/* a client that stops reading holds a thread no longer than one that stops asking */
	setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){.tv_sec = TCP_IDLE_S},
		   sizeof(struct timeval));
	snprintf(j->net_id, sizeof(j->net_id), "%s", l->net_id);
	j->gw = l->gw;
	spawn(tcp_job, j);
}

/* ---- listeners ------------------------------------------------------------------- */

static int bound(__be32 ip, int type)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(DNS_PORT), .sin_addr = {ip}};
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (type == SOCK_STREAM && listen(fd, 64))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void close_listener(struct listener *l)
{
	char ip[NB_IPV4_STRLEN];

	if (l->udp >= 0)
		close(l->udp);
	if (l->tcp >= 0)
		close(l->tcp);
	l->udp = l->tcp = -1;
	nb_logf(NB_LOG_INFO, "dns: stopped serving %s:53", nb_fmt_ipv4(l->gw, ip));
}

/* a listener per gateway of the table: new networks gain one, removed ones lose theirs */
static void sync_listeners(void)
{
	char ip[NB_IPV4_STRLEN];
	size_t i, k, n = 0;
	struct listener *ls;

	ls = calloc(R.table.nnets + 1, sizeof(*ls));
	if (!ls)
		return;
	for (k = 0; k < R.nls; k++) {
		for (i = 0; i < R.table.nnets; i++)
			if (R.table.nets[i].gateway == R.ls[k].gw &&
			    !strcmp(R.table.nets[i].id, R.ls[k].net_id))
				break;
		if (i < R.table.nnets)
			ls[n++] = R.ls[k];
		else if (R.ls[k].udp >= 0)
			close_listener(&R.ls[k]);
	}
	for (i = 0; i < R.table.nnets; i++) {
		const struct nb_dns_net *net = &R.table.nets[i];
		struct listener *l = NULL;

		for (k = 0; k < n && !l; k++)
			if (ls[k].gw == net->gateway)
				l = &ls[k];
		if (!l) {
			l = &ls[n++];
			snprintf(l->net_id, sizeof(l->net_id), "%s", net->id);
			l->gw = net->gateway;
			l->udp = l->tcp = -1;
		}
		if (l->udp >= 0)
			continue;
		/* the gateway address may not be up yet (network being made): next tick */
		l->udp = bound(net->gateway, SOCK_DGRAM);
		l->tcp = l->udp >= 0 ? bound(net->gateway, SOCK_STREAM) : -1;
		if (l->tcp < 0 && l->udp >= 0) {
			close(l->udp);
			l->udp = -1;
		}
		if (l->udp >= 0)
			nb_logf(NB_LOG_INFO, "dns: serving network %s on %s:53 (udp, tcp)",
				net->name, nb_fmt_ipv4(net->gateway, ip));
		else if (!l->warned)
			nb_logf(NB_LOG_WARN, "dns: network %s: cannot listen on %s:53: %s",
				net->name, nb_fmt_ipv4(net->gateway, ip), strerror(errno));
		l->warned = l->udp < 0;
	}
	free(R.ls);
	R.ls = ls;
	R.nls = n;
}

/* resolv.conf is another file than the one last read (or its content changed) */
static bool resolv_conf_changed(void)
{
	struct stat sb = {0};

	stat(R.resolv_conf, &sb);
	if (sb.st_dev == R.resolv_st.st_dev && sb.st_ino == R.resolv_st.st_ino &&
	    sb.st_size == R.resolv_st.st_size && sb.st_mtim.tv_sec == R.resolv_st.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == R.resolv_st.st_mtim.tv_nsec)
		return false;
	R.resolv_st = sb;
	return true;
}

/*
 * The state's names again when it changed since the last read (a commit by any command),
 * and the resolvers when resolv.conf or the gateways changed; the old table kept when the
 * state is busy. Called every second: an idle daemon stats three files, nothing more.
 */
static void reload(void)
{
	struct nb_dns_table t;
	__be32 gws[64], up[MAX_UPSTREAMS];
	struct nb_store *st = NULL;
	bool names = true;
	size_t i, ngw = 0;
	int err, nup = -1;

	nb_error_clear();
	if (!R.watch && nb_store_watch_open(R.inst->state_dir, &R.watch))
		nb_logf(NB_LOG_DEBUG, "dns: %s", nb_error_msg()); /* no state yet: read each tick */
	if (R.watch && !R.stale) {
		err = nb_store_watch_changed(R.watch);
		if (err < 0) {
			nb_logf(NB_LOG_DEBUG, "dns: %s", nb_error_msg());
			nb_store_watch_close(R.watch);
			R.watch = NULL;
		}
		names = err != 0;
	}
	if (names) {
		err = nb_open_state(R.inst, false, &st);
		if (!err)
			err = nb_dns_table_read(st, &t);
		if (st)
			nb_store_close(st);
		R.stale = err != 0;
		if (err) {
			nb_logf(NB_LOG_DEBUG, "dns: %s", nb_error_msg());
			names = false;
		} else {
			R.reads++;
			nb_logf(NB_LOG_DEBUG, "dns: read the state (%lu): %zu networks, %zu names",
				R.reads, t.nnets, t.n);
		}
	}
	if (names || resolv_conf_changed()) {
		/* a resolver that is one of our gateways would send our queries back to us */
		pthread_rwlock_rdlock(&R.lock);
		for (i = 0; i < (names ? t.nnets : R.table.nnets) && ngw < 64; i++)
			gws[ngw++] = names ? t.nets[i].gateway : R.table.nets[i].gateway;
		pthread_rwlock_unlock(&R.lock);
		nup = nb_dns_upstreams(R.resolv_conf, gws, ngw, up, MAX_UPSTREAMS);
	}
	pthread_rwlock_wrlock(&R.lock);
	if (names) {
		nb_dns_table_free(&R.table);
		R.table = t;
	}
	if (nup >= 0) {
		memcpy(R.up, up, sizeof(up));
		R.nup = nup;
	}
	pthread_rwlock_unlock(&R.lock);
	/* every tick: a gateway address that was not up yet may be now */
	sync_listeners();
	log_refused();
}

static void *run(void *arg)
{
	struct pollfd *p = NULL;
	struct listener **who = NULL;
	struct timespec now, last = {0};
	size_t n, i;
	int k;

	(void)arg;
	while (!atomic_load(&R.stop)) {
		/* a tick of one second: networks and names come and go with the state */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec != last.tv_sec) {
			reload();
			last = now;
		}
		p = realloc(p, (2 * R.nls + 1) * sizeof(*p));
		who = realloc(who, (2 * R.nls + 1) * sizeof(*who));
		if (!p || !who)
			break;
		for (n = 0, i = 0; i < R.nls; i++) {
			if (R.ls[i].udp < 0)
				continue;
			p[n] = (struct pollfd){.fd = R.ls[i].udp, .events = POLLIN};
			who[n++] = &R.ls[i];
			p[n] = (struct pollfd){.fd = R.ls[i].tcp, .events = POLLIN};
			who[n++] = &R.ls[i];
		}
		k = poll(p, n, 1000);
		for (i = 0; k > 0 && i < n; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			if (p[i].fd == who[i]->udp)
				on_udp(who[i]);
			else
				on_tcp(who[i]);
		}
	}
	free(p);
	free(who);
	return NULL;
}

int nbd_resolver_start(const struct nb_instance *inst, const char *resolv_conf)
{
	nb_dns_slots_init(&R.slots, MAX_INFLIGHT, MAX_PER_NET, MAX_PER_CLIENT);
	R.inst = inst;
	R.resolv_conf = resolv_conf;
	if (pthread_create(&R.thread, NULL, run, NULL)) {
		fprintf(stderr, "netbpfd: dns: cannot start its thread\n");
		return -EAGAIN;
	}
	R.running = true;
	return 0;
}

void nbd_resolver_stop(void)
{
	size_t i;

	if (!R.running)
		return;
	atomic_store(&R.stop, true);
	pthread_join(R.thread, NULL);
	for (i = 0; i < R.nls; i++)
		if (R.ls[i].udp >= 0)
			close_listener(&R.ls[i]);
	free(R.ls);
	R.ls = NULL;
	R.nls = 0;
	nb_store_watch_close(R.watch);
	R.watch = NULL;
	R.running = false;
}
