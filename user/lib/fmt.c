// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Units, times and name order as Docker prints them (fmt.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "fmt.h"

const char *nb_human_size(double bytes, int precision, char buf[NB_HUMAN_STRLEN])
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	size_t i = 0;

	while (bytes >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1000.0;
		i++;
	}
	snprintf(buf, NB_HUMAN_STRLEN, "%.*g%s", precision, bytes, units[i]);
	return buf;
}

/* Splits unix nanoseconds into broken-down UTC and the nanosecond part */
static int split_time(int64_t unix_ns, struct tm *tm, long *nsec)
{
	time_t sec = (time_t)(unix_ns / 1000000000);
	long ns = (long)(unix_ns % 1000000000);

	if (ns < 0) {
		ns += 1000000000;
		sec--;
	}
	*nsec = ns;
	return gmtime_r(&sec, tm) ? 0 : -EOVERFLOW;
}

/* Go's ".999999999": the fraction without trailing zeros, nothing when zero */
static void fmt_fraction(long nsec, char out[11])
{
	int len;

	out[0] = '\0';
	if (!nsec)
		return;
	snprintf(out, 11, ".%09ld", nsec);
	len = (int)strlen(out);
	while (out[len - 1] == '0')
		out[--len] = '\0';
}

const char *nb_fmt_time_rfc3339nano(int64_t unix_ns, char buf[NB_TIME_STRLEN])
{
	char frac[11];
	struct tm tm;
	long nsec;

	if (split_time(unix_ns, &tm, &nsec)) {
		snprintf(buf, NB_TIME_STRLEN, "0001-01-01T00:00:00Z");
		return buf;
	}
	fmt_fraction(nsec, frac);
	snprintf(buf, NB_TIME_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

const char *nb_fmt_time_go(int64_t unix_ns, char buf[NB_TIME_STRLEN])
{
	char frac[11];
	struct tm tm;
	long nsec;

	if (split_time(unix_ns, &tm, &nsec)) {
		snprintf(buf, NB_TIME_STRLEN, "0001-01-01 00:00:00 +0000 UTC");
		return buf;
	}
	fmt_fraction(nsec, frac);
	snprintf(buf, NB_TIME_STRLEN, "%04d-%02d-%02d %02d:%02d:%02d%s +0000 UTC",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 frac);
	return buf;
}

/*
 * Docker sorts `network ls` with sortorder.NaturalLess: runs of digits
 * compare by value ("net2" < "net10"), the rest byte by byte.
 */
int nb_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *da, *db;
			size_t la, lb;
			int c;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (da = a; isdigit((unsigned char)*a); a++)
				;
			for (db = b; isdigit((unsigned char)*b); b++)
				;
			la = (size_t)(a - da);
			lb = (size_t)(b - db);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(da, db, la);
			if (c)
				return c < 0 ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a == *b)
		return 0;
	return *a ? 1 : -1;
}

const char *nb_proto_name(__u8 proto)
{
	static __thread char buf[16];

	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	}
	snprintf(buf, sizeof(buf), "proto-%u", proto);
	return buf;
}
