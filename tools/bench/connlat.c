// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nbb-connlat: one connection at a time, each connect + HTTP request +
 * answer + close timed on its own, for SECONDS (or COUNT connections).
 * wrk gives the rate of many concurrent connections; this gives the
 * latency of one, where a userland proxy's extra hop and process wake-ups
 * show. Prints one JSON object: count, errors, rate (connections/s),
 * avg/p50/p90/p99/min/max in microseconds. ADDR is IPv4 or IPv6 (the
 * published-port metrics of both families use it).
 *
 *   nbb-connlat -a ADDR -p PORT [-d SECONDS] [-n COUNT] [-w WARMUP]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nbb.h"

static const char request[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";

/* One exchange; 0 or -errno (-EPROTO when the answer was not "200") */
static int exchange(const struct sockaddr_storage *sa, socklen_t salen)
{
	char buf[512];
	size_t got = 0;
	ssize_t n;
	int fd, err = 0;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, salen) < 0) {
		err = -errno;
		goto cleanup;
	}
	if (send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* the server closes after its answer: read to EOF */
	while ((n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0) {
		got += n;
		if (got == sizeof(buf) - 1)
			got = 0;
	}
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	buf[got] = 0;
	if (!strstr(buf, " 200 ") && !strstr(buf, "ok"))
		err = -EPROTO;
cleanup:
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	double secs = 2, start, t0, t1, sum = 0, *lat;
	long max = 2000000, warm = 50, count = 0, errors = 0, i;
	const char *addr = NULL;
	int port = 0, opt, err, first_err = 0;

	while ((opt = getopt(argc, argv, "a:p:d:n:w:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'n':
			max = atol(optarg);
			break;
		case 'w':
			warm = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (!addr || port <= 0 || port > 65535 || secs <= 0 || max <= 0 || warm < 0)
		goto usage;
	if (nbb_parse_addr("nbb-connlat", addr, port, &sa, &salen))
		return 2;
	lat = calloc(max, sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "nbb-connlat: cannot allocate %ld samples\n", max);
		return 1;
	}
	/* warm-up: ARP/neighbour entries, caches, the server's first wake-ups */
	for (i = 0; i < warm; i++)
		exchange(&sa, salen);
	start = nbb_now_us();
	while (count < max) {
		t0 = nbb_now_us();
		if (t0 - start >= secs * 1e6)
			break;
		err = exchange(&sa, salen);
		t1 = nbb_now_us();
		if (err) {
			if (!first_err)
				first_err = err;
			/* a refused or reset connection is counted, not timed; a
			 * run of them must not spin: give up after 1000 */
			if (++errors > 1000)
				break;
			continue;
		}
		lat[count++] = t1 - t0;
		sum += t1 - t0;
	}
	t1 = nbb_now_us();
	if (!count) {
		fprintf(stderr, "nbb-connlat: %s:%d: no connection succeeded: %s\n", addr, port,
			strerror(-first_err));
		return 1;
	}
	qsort(lat, count, sizeof(*lat), nbb_cmp_double);
	printf("{\"count\": %ld, \"errors\": %ld, \"secs\": %.3f, \"rate\": %.1f, "
	       "\"avg_us\": %.2f, \"p50_us\": %.2f, \"p90_us\": %.2f, \"p99_us\": %.2f, "
	       "\"min_us\": %.2f, \"max_us\": %.2f}\n",
	       count, errors, (t1 - start) / 1e6, count / ((t1 - start) / 1e6), sum / count,
	       lat[count / 2], lat[count * 90 / 100], lat[count * 99 / 100], lat[0],
	       lat[count - 1]);
	free(lat);
	return errors > count / 100 ? 1 : 0;
usage:
	fprintf(stderr, "usage: nbb-connlat -a ADDR -p PORT [-d SECONDS] [-n COUNT] [-w WARMUP]\n");
	return 2;
}
