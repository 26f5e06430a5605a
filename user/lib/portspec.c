// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Docker's published-port specs (portspec.h): parsing, expansion, `docker port` lines. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fmt.h"
#include "ipam.h"
#include "portspec.h"

#define SPEC_MAX 128

static int fail(int err, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int err, char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* A port: decimal digits only, 1..65535 */
static int parse_port(const char *s, const char *what, __u16 *out, char *why, size_t whylen)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return fail(-EINVAL, why, whylen, "the %s is missing", what);
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(-EINVAL, why, whylen, "invalid %s \"%s\": not a number", what,
				    s);
		/* saturate: "99999999999999999999" is out of range, not a wrap-around */
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > 65535)
		return fail(-ERANGE, why, whylen, "%s %s is outside 1-65535", what, s);
	*out = (__u16)v;
	return 0;
}

/* "A" or "A-B" with A <= B */
static int parse_range(const char *s, const char *what, __u16 *lo, __u16 *hi, char *why,
		       size_t whylen)
{
	char buf[SPEC_MAX], *dash;
	int err;

	snprintf(buf, sizeof(buf), "%s", s);
	dash = strchr(buf, '-');
	if (dash) {
		*dash = '\0';
		if (!buf[0] || !dash[1] || strchr(dash + 1, '-'))
			return fail(-EINVAL, why, whylen,
				    "invalid %s range \"%s\" (the form is START-END)", what, s);
	}
	err = parse_port(buf, what, lo, why, whylen);
	if (err)
		return err;
	if (!dash) {
		*hi = *lo;
		return 0;
	}
	err = parse_port(dash + 1, what, hi, why, whylen);
	if (err)
		return err;
	if (*hi < *lo)
		return fail(-EINVAL, why, whylen, "invalid %s range %s: the end is below the start",
			    what, s);
	return 0;
}

static void range_str(__u16 lo, __u16 hi, char *buf, size_t size)
{
	if (lo == hi)
		snprintf(buf, size, "%u", lo);
	else
		snprintf(buf, size, "%u-%u", lo, hi);
}

int nb_portspec_parse(const char *spec, struct nb_portspec *out, char *why, size_t whylen)
{
	char buf[SPEC_MAX], *parts[3], *slash, *colon, *cur;
	char hr[16], cr[16];
	size_t nparts = 0, i, nh, nc;
	int err;

	memset(out, 0, sizeof(*out));
	if (!spec || !*spec)
		return fail(-EINVAL, why, whylen, "the spec is empty");
	if (strlen(spec) >= sizeof(buf))
		return fail(-EINVAL, why, whylen, "the spec is too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	/* "[IPv6]:" first, as Docker writes it; the rest as after an IPv4 address */
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return fail(-EINVAL, why, whylen,
				    "an IPv6 host address is written \"[ADDRESS]:HOSTPORT:CPORT\"");
		*close = '\0';
		if (inet_pton(AF_INET6, buf + 1, &out->ip6) != 1 ||
		    IN6_IS_ADDR_V4MAPPED(&out->ip6) || IN6_IS_ADDR_MULTICAST(&out->ip6))
			return fail(-EINVAL, why, whylen,
				    "invalid host address \"%s\" (an IPv6 unicast address is "
				    "expected inside [])",
				    buf + 1);
		out->has_ip6 = true;
		memmove(buf, close + 2, strlen(close + 2) + 1);
	}
	if (strchr(buf, '[') || strchr(buf, ']'))
		return fail(-EINVAL, why, whylen,
			    "\"[\" and \"]\" enclose an IPv6 host address at the start");

	/* "/proto": at most one, at the end */
	out->proto = IPPROTO_TCP;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (strchr(slash + 1, '/'))
			return fail(-EINVAL, why, whylen, "more than one \"/\"");
		if (!strcasecmp(slash + 1, "tcp"))
			out->proto = IPPROTO_TCP;
		else if (!strcasecmp(slash + 1, "udp"))
			out->proto = IPPROTO_UDP;
		else if (!strcasecmp(slash + 1, "sctp"))
			return fail(-EINVAL, why, whylen,
				    "protocol \"%s\" is not supported (tcp or udp)", slash + 1);
		else if (!slash[1])
			return fail(-EINVAL, why, whylen, "the protocol after \"/\" is missing");
		else
			return fail(-EINVAL, why, whylen, "unknown protocol \"%s\" (tcp or udp)",
				    slash + 1);
	}

	/* [IP:][HOST:]CONTAINER */
	for (cur = buf;; cur = colon + 1) {
		if (nparts == 3)
			return fail(-EINVAL, why, whylen,
				    "too many \":\" (the form is [IP:][HOSTPORT:]CPORT[/PROTO])");
		parts[nparts++] = cur;
		colon = strchr(cur, ':');
		if (!colon)
			break;
		*colon = '\0';
	}

	err = parse_range(parts[nparts - 1], "container port", &out->sb_min, &out->sb_max, why,
			  whylen);
	if (err)
		return err;
	if (nparts == 1)
		return 0;

	if (nparts == 3 && out->has_ip6)
		return fail(-EINVAL, why, whylen,
			    "too many \":\" (the form is [ADDRESS]:[HOSTPORT]:CPORT[/PROTO])");
	if (nparts == 3) {
		if (*parts[0]) {
			if (nb_parse_ipv4(parts[0], &out->ip))
				return fail(-EINVAL, why, whylen,
					    "invalid host address \"%s\" (an IPv4 address is "
					    "expected)",
					    parts[0]);
			out->has_ip = true;
		}
	}
	i = nparts - 2;
	if (!*parts[i])
		return 0; /* "IP::80" or ":80": host port chosen */
	if (nparts == 2 && !nb_parse_ipv4(parts[i], &out->ip))
		return fail(-EINVAL, why, whylen,
			    "invalid host port \"%s\" (an address with a chosen port is written "
			    "\"%s::%s\")",
			    parts[i], parts[i], parts[nparts - 1]);
	err = parse_range(parts[i], "host port", &out->host_min, &out->host_max, why, whylen);
	if (err)
		return err;
	nh = (size_t)(out->host_max - out->host_min) + 1;
	nc = nb_portspec_count(out);
	/* Docker's one exception: a host range for a single container port picks one of it */
	if (nh != nc && nc != 1) {
		range_str(out->host_min, out->host_max, hr, sizeof(hr));
		range_str(out->sb_min, out->sb_max, cr, sizeof(cr));
		return fail(-EINVAL, why, whylen,
			    "host port%s %s (%zu) and container ports %s (%zu) differ in length",
			    nh == 1 ? "" : "s", hr, nh, cr, nc);
	}
	return 0;
}

int nb_portspec_expand(const struct nb_portspec *s, __be32 ip, nb_port_taken_fn taken, void *arg,
		       struct nb_portmap *out, char *why, size_t whylen)
{
	size_t i, n = nb_portspec_count(s), nh;
	char a[NB_IPV4_STRLEN];
	unsigned int lo, hi, p, next;

	nh = s->host_min ? (size_t)(s->host_max - s->host_min) + 1 : 0;
	lo = nh ? s->host_min : NB_EPHEMERAL_MIN;
	hi = nh ? s->host_max : NB_EPHEMERAL_MAX;
	/*
	 * Each container port takes the lowest host port in lo..hi that is neither
	 * taken nor chosen for an earlier one; every port below the last choice is
	 * one or the other, so the search goes on from there instead of from lo
	 * (which made a large spec cubic).
	 */
	next = lo;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].host_ip = ip;
		out[i].sb_port = (__u16)(s->sb_min + i);
		out[i].proto = s->proto;
		if (nh == n && nh) {
			out[i].host_port = (__u16)(s->host_min + i);
			continue;
		}
		for (p = next; p <= hi; p++)
			if (!taken || !taken(arg, ip, (__u16)p, s->proto))
				break;
		if (p > hi)
			return fail(
			    -EADDRINUSE, why, whylen,
			    "no free host port left in %u-%u on %s for container port %u/%s", lo,
			    hi, nb_fmt_ipv4(ip, a), out[i].sb_port, nb_proto_name(s->proto));
		out[i].host_port = (__u16)p;
		next = p + 1;
	}
	return 0;
}

int nb_portspec_parse_cport(const char *s, __u16 *port, __u8 *proto, char *why, size_t whylen)
{
	struct nb_portspec spec;
	int err;

	if (strchr(s, ':'))
		return fail(-EINVAL, why, whylen,
			    "\"%s\": a container port is expected (CPORT[/PROTO])", s);
	err = nb_portspec_parse(s, &spec, why, whylen);
	if (err)
		return err;
	if (spec.sb_min != spec.sb_max)
		return fail(-EINVAL, why, whylen, "\"%s\": one container port, not a range", s);
	*port = spec.sb_min;
	*proto = spec.proto;
	return 0;
}

/* The host address as Docker prints it: "0.0.0.0", "[::]", "[2001:db8::1]" */
static const char *host_addr_str(const struct nb_portmap *m, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	if (!m->v6)
		return nb_fmt_ipv4(m->host_ip, buf);
	if (!inet_ntop(AF_INET6, &m->host_ip6, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, n, "[%s]", a);
	return buf;
}

const char *nb_portmap_str(const struct nb_portmap *m, char buf[NB_PORTMAP_STRLEN])
{
	char a[INET6_ADDRSTRLEN + 2];

	snprintf(buf, NB_PORTMAP_STRLEN, "%u/%s -> %s:%u", m->sb_port, nb_proto_name(m->proto),
		 host_addr_str(m, a, sizeof(a)), m->host_port);
	return buf;
}

const char *nb_portmap_host_str(const struct nb_portmap *m, char buf[NB_PORTMAP_STRLEN])
{
	char a[INET6_ADDRSTRLEN + 2];

	snprintf(buf, NB_PORTMAP_STRLEN, "%s:%u", host_addr_str(m, a, sizeof(a)), m->host_port);
	return buf;
}

const char *nb_portmap_key_str(const struct nb_portmap *m, char buf[NB_PORTMAP_STRLEN])
{
	char a[INET6_ADDRSTRLEN + 2];

	snprintf(buf, NB_PORTMAP_STRLEN, "%s:%u/%s", host_addr_str(m, a, sizeof(a)), m->host_port,
		 nb_proto_name(m->proto));
	return buf;
}
