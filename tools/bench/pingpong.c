// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nbb-pingpong: TCP request/response latency with busy polling, over IPv4
 * or IPv6. The shape of `sockperf pp --tcp --nonblocked -m 64` (the
 * lat_bp metric), for both families: sockperf 3.7, Debian 12's, takes IPv4
 * addresses only, and a v6/v4 ratio is only fair from one tool measuring
 * both. One connection; the client sends MSGSIZE bytes, the server echoes
 * them, both sides spin on non-blocking reads (no sleeping, no wake-ups).
 * The client prints one JSON object with the one-way latency (half the
 * round trip, as sockperf reports it) in microseconds: avg, p50, p99 and
 * the number of round trips observed.
 *
 *   nbb-pingpong -s [-a ADDR] -p PORT                 (server, until killed)
 *   nbb-pingpong -a ADDR -p PORT [-t SECONDS] [-m MSGSIZE] [-w WARMUP]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nbb.h"

#define MAX_MSG 65536

/* n bytes into or out of fd, spinning on EAGAIN; 0, or -1 at EOF or on an error */
static int spin_io(int fd, char *buf, size_t n, bool rd)
{
	size_t done = 0;
	ssize_t k;

	while (done < n) {
		k = rd ? recv(fd, buf + done, n - done, MSG_DONTWAIT)
		       : send(fd, buf + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0)
			done += k;
		else if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
	}
	return 0;
}

static void nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* one client at a time: echo what it sends until it closes */
static int serve(const struct sockaddr_storage *sa, socklen_t len)
{
	static char buf[MAX_MSG];
	int lfd, fd, one = 1;
	ssize_t k;

	lfd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (const struct sockaddr *)sa, len) || listen(lfd, 4)) {
		perror("nbb-pingpong: listen");
		return 1;
	}
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		nodelay(fd);
		for (;;) {
			k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (k > 0) {
				if (spin_io(fd, buf, k, false))
					break;
			} else if (k == 0 ||
				   (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
				break;
			}
		}
		close(fd);
	}
}

int main(int argc, char **argv)
{
	static char buf[MAX_MSG];
	double secs = 3, start, t0, t1, sum = 0, *lat;
	long max = 20000000, warm = 1000, count = 0, i;
	const char *addr = NULL;
	int port = 0, msg = 64, opt, fd;
	struct sockaddr_storage sa;
	bool server = false;
	socklen_t len;

	while ((opt = getopt(argc, argv, "sa:p:t:m:w:")) != -1) {
		switch (opt) {
		case 's':
			server = true;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'm':
			msg = atoi(optarg);
			break;
		case 'w':
			warm = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || port > 65535 || secs <= 0 || msg <= 0 || msg > MAX_MSG || warm < 0)
		goto usage;
	if (server) {
		/* the server listens on the wildcard of ADDR's family (:: takes both) */
		if (nbb_parse_addr("nbb-pingpong", addr ? addr : "::", port, &sa, &len))
			return 2;
		return serve(&sa, len);
	}
	if (!addr)
		goto usage;
	if (nbb_parse_addr("nbb-pingpong", addr, port, &sa, &len))
		return 2;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, len)) {
		fprintf(stderr, "nbb-pingpong: connect %s port %d: %s\n", addr, port,
			strerror(errno));
		return 1;
	}
	nodelay(fd);
	lat = calloc(max, sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "nbb-pingpong: cannot allocate %ld samples\n", max);
		return 1;
	}
	memset(buf, 'x', msg);
	/* warm-up: caches, the neighbour entries, the server's loop */
	for (i = 0; i < warm; i++)
		if (spin_io(fd, buf, msg, false) || spin_io(fd, buf, msg, true))
			goto broken;
	start = nbb_now_us();
	while (count < max) {
		t0 = nbb_now_us();
		if (t0 - start >= secs * 1e6)
			break;
		if (spin_io(fd, buf, msg, false) || spin_io(fd, buf, msg, true))
			goto broken;
		t1 = nbb_now_us();
		lat[count] = (t1 - t0) / 2;
		sum += lat[count++];
	}
	close(fd);
	if (!count) {
		fprintf(stderr, "nbb-pingpong: no round trip in %g s\n", secs);
		return 1;
	}
	qsort(lat, count, sizeof(*lat), nbb_cmp_double);
	printf("{\"avg_us\": %.3f, \"p50_us\": %.3f, \"p99_us\": %.3f, \"observations\": %ld}\n",
	       sum / count, lat[count / 2], lat[count * 99 / 100], count);
	free(lat);
	return 0;
broken:
	fprintf(stderr, "nbb-pingpong: %s port %d: connection broken: %s\n", addr, port,
		strerror(errno));
	return 1;
usage:
	fprintf(stderr,
		"usage: nbb-pingpong -s [-a ADDR] -p PORT\n"
		"       nbb-pingpong -a ADDR -p PORT [-t SECONDS] [-m MSGSIZE] [-w WARMUP]\n");
	return 2;
}
