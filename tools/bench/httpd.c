// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nbb-httpd: the benchmark's HTTP server. One thread, epoll, a fixed
 * 2-byte body, and the server closes every connection after its answer, as
 * a `Connection: close` exchange does: so wrk and nbb-connlat measure the
 * cost of a new connection through each topology, not of a web server. The
 * same binary serves in every topology (run with nsenter in the server's
 * netns), so the server side costs the same everywhere.
 *
 *   nbb-httpd [-a ADDR] -p PORT
 *
 * Without -a it listens on [::] (IPv4 and IPv6 both, as the published-port
 * metrics of both families reach it), or on 0.0.0.0 where IPv6 sockets fail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nbb.h"

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n"
			    "Content-Type: text/plain\r\n\r\nok";

static int listen_on(const char *addr, int port)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1;

	if (nbb_parse_addr("nbb-httpd", addr, port, &sa, &len))
		return -EINVAL;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&sa, len) < 0 || listen(fd, 4096) < 0) {
		int err = -errno;

		fprintf(stderr, "nbb-httpd: %s:%d: %s\n", addr, port, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* Reads what the client sent; answers once the request's header is complete. 1 = done */
static int serve(int fd)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			/* requests are small and arrive in one segment: the end of the
			 * header is in the last read (no state kept across reads) */
			if (n >= 4 && !memcmp(buf + n - 4, "\r\n\r\n", 4)) {
				if (send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL) < 0)
					return 1;
				return 1;
			}
			continue;
		}
		if (n == 0)
			return 1;
		return errno == EAGAIN || errno == EINTR ? 0 : 1;
	}
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	struct epoll_event ev, evs[256];
	int port = 0, lfd, ep, opt, i, n;

	while ((opt = getopt(argc, argv, "a:p:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: nbb-httpd [-a ADDR] -p PORT\n");
			return 2;
		}
	}
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "nbb-httpd: -p PORT (1-65535) is required\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(addr ? addr : "::", port);
	if (lfd < 0 && !addr)
		lfd = listen_on("0.0.0.0", port);
	if (lfd < 0)
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("nbb-httpd: epoll_create1");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		if (n < 0 && errno != EINTR) {
			perror("nbb-httpd: epoll_wait");
			return 1;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (serve(c)) {
						close(c);
						continue;
					}
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			if (serve(fd)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
}
