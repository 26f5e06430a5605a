/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the benchmark's C helpers (nbb-httpd, nbb-connlat, nbb-pingpong) share:
 * a monotonic clock in microseconds, the order of latency samples, and an
 * IPv4-or-IPv6 address into a sockaddr. Each helper stays one `cc FILE.c`
 * (bench.sh's build_helpers): this header is all static functions.
 */
#ifndef NBB_H
#define NBB_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static inline double nbb_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* qsort() order of doubles (latency samples, before the percentiles are read) */
static inline int nbb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * addr (IPv4 or IPv6) and port into *sa, its length into *len; -1 with a
 * message naming prog and the address when addr is neither
 */
static inline int nbb_parse_addr(const char *prog, const char *addr, int port,
				 struct sockaddr_storage *sa, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	fprintf(stderr, "%s: address %s: not an IPv4 or IPv6 address\n", prog, addr);
	return -1;
}

#endif /* NBB_H */
