// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Published ports, store and kernel together (publish.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ifaddrs.h>
#include <arpa/inet.h>

#include "fmt.h"
#include "host.h"
#include "ipam.h"
#include "log.h"
#include "nat.h"
#include "nl.h"
#include "publish.h"

#define WHY_LEN 256

int nb_publish_target(struct nb_store *st, const struct nb_sandbox_rec *sb,
		      struct nb_network_rec *net, struct nb_endpoint_rec *ep)
{
	struct nb_endpoint_rec *eps = NULL;
	size_t i, n = 0;
	int err;

	err = nb_store_endpoint_list(st, NULL, sb->id, &eps, &n);
	if (err)
		return err;
	err = -ENOENT;
	/* ordered by seq: the first bridge endpoint is eth0's, or the lowest ethN */
	for (i = 0; i < n; i++) {
		if (!eps[i].host_ifname[0])
			continue;
		*ep = eps[i];
		err = nb_store_network_find(st, eps[i].network_id, net);
		break;
	}
	free(eps);
	return err;
}

/* ---- publish ----------------------------------------------------------------- */

/*
 * An --internal network reaches nothing outside its subnet, and Docker
 * publishes no port of one: the world's packets would be dropped while
 * host-local clients still reached the sandbox, a port half-open. Checked here,
 * in the library, so every front end (publish, sandbox create -p, CNI
 * portMappings) refuses it alike.
 */
static int check_not_internal(const struct nb_sandbox_rec *sb, const char *spec,
			      const struct nb_network_rec *net)
{
	if (!net->internal)
		return 0;
	nb_errorf("sandbox \"%s\": publish \"%s\": network \"%s\" is internal (--internal): "
		  "nothing is published from an internal network",
		  sb->name, spec, net->name);
	return -EPERM;
}

struct taken_probe {
	struct nb_store *st;
	const struct nb_listener *ls; /* the host's own listening/bound sockets */
	size_t nls;
	bool v4;		    /* the port is published on IPv4 (ip) */
	const struct in6_addr *ip6; /* and/or on IPv6, this address (NULL: not) */
	int err; /* the first failed look-up */
};

/*
 * One indexed look-up a candidate port: publish costs the same however many
 * ports are published already. A host port netbpf chooses is also free of
 * the host's sockets.
 */
static bool taken_in_store(void *arg, __be32 ip, __u16 port, __u8 proto)
{
	struct taken_probe *t = arg;
	bool taken = true;
	int err;

	if (t->v4 && nb_listener_find(t->ls, t->nls, ip, port, proto))
		return true;
	if (t->ip6 && nb_listener_find6(t->ls, t->nls, t->ip6, port, proto))
		return true;
	err = t->v4 ? nb_store_publish_taken(t->st, ip, port, proto, &taken) : 0;
	if (!err && !(t->v4 && taken) && t->ip6)
		err = nb_store_publish6_taken(t->st, t->ip6, port, proto, &taken);
	if (err && !t->err)
		t->err = err;
	return err ? true : taken;
}

static bool is_loopback(__be32 ip)
{
	return (ntohl(ip) >> 24) == 127;
}

/* The message for a refused row: who holds the host port */
static void report_holder(struct nb_store *st, const struct nb_sandbox_rec *sb, const char *spec,
			  const struct nb_portmap *want, const struct nb_publish_rec *holder)
{
	struct nb_portmap hm = nb_publish_portmap(holder);
	char k[NB_PORTMAP_STRLEN], hk[NB_PORTMAP_STRLEN], who[NB_NAME_MAX + 16];
	struct nb_sandbox_rec hsb;

	if (!nb_store_sandbox_find(st, holder->sandbox_id, &hsb))
		snprintf(who, sizeof(who), "sandbox \"%s\"", hsb.name);
	else
		snprintf(who, sizeof(who), "sandbox %.*s", NB_SHORT_ID_LEN, holder->sandbox_id);
	nb_portmap_key_str(want, k);
	if (holder->host_ip == want->host_ip)
		nb_errorf("sandbox \"%s\": publish \"%s\": host port %s is already published by %s "
			  "(its port %u/%s)",
			  sb->name, spec, k, who, holder->sb_port, nb_proto_name(holder->proto));
	else
		nb_errorf("sandbox \"%s\": publish \"%s\": host port %s is already published by %s "
			  "(its port %u/%s on %s)",
			  sb->name, spec, k, who, holder->sb_port, nb_proto_name(holder->proto),
			  nb_portmap_key_str(&hm, hk));
}

/* Checks that ip may be published on: 0.0.0.0, loopback, or an address of the host netns */
static int check_host_ip(struct nb_world *w, const struct nb_sandbox_rec *sb, const char *spec,
			 __be32 ip, bool given, const struct nb_network_rec *net)
{
	char a[NB_IPV4_STRLEN];
	int local;

	if (!ip || is_loopback(ip))
		return 0;
	nb_fmt_ipv4(ip, a);
	local = nb_nl_addr_is_local(w->nl, ip);
	if (local < 0) {
		nb_errorf("sandbox \"%s\": publish \"%s\": cannot read the host's addresses: %s",
			  sb->name, spec, strerror(-local));
		return local;
	}
	if (local)
		return 0;
	if (given)
		nb_errorf("sandbox \"%s\": publish \"%s\": %s is not an address of this host",
			  sb->name, spec, a);
	else
		nb_errorf(
		    "sandbox \"%s\": publish \"%s\": %s (host_binding_ipv4 of network \"%s\") "
		    "is not an address of this host",
		    sb->name, spec, a, net->name);
	return -EADDRNOTAVAIL;
}

static int done_append(struct nb_portmap **done, size_t *ndone, const struct nb_portmap *v,
		       size_t n)
{
	struct nb_portmap *grown;

	if (!n)
		return 0;
	grown = realloc(*done, (*ndone + n) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memcpy(grown + *ndone, v, n * sizeof(*v));
	*done = grown;
	*ndone += n;
	return 0;
}

/* An IPv6 host address may be published on: ::, ::1, or an address of the host netns */
static int check_host_ip6(const struct nb_sandbox_rec *sb, const char *spec,
			  const struct in6_addr *ip6)
{
	struct ifaddrs *ifa, *i;
	char a[INET6_ADDRSTRLEN];
	bool local = false;

	if (IN6_IS_ADDR_UNSPECIFIED(ip6) || IN6_IS_ADDR_LOOPBACK(ip6))
		return 0;
	if (getifaddrs(&ifa)) {
		nb_errorf("sandbox \"%s\": publish \"%s\": cannot read the host's addresses: %s",
			  sb->name, spec, strerror(errno));
		return -errno;
	}
	for (i = ifa; i && !local; i = i->ifa_next)
		local = i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
			IN6_ARE_ADDR_EQUAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, ip6);
	freeifaddrs(ifa);
	if (local)
		return 0;
	inet_ntop(AF_INET6, ip6, a, sizeof(a));
	nb_errorf("sandbox \"%s\": publish \"%s\": %s is not an address of this host", sb->name,
		  spec, a);
	return -EADDRNOTAVAIL;
}

/*
 * The IPv6 rows and map entries of mappings pm[n] on host address ip6, to
 * the endpoint's IPv6 address; pm[] become IPv6 mappings. *nput: how many
 * entries reached the map (the caller removes them on failure).
 */
static int publish6_put(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
			const char *spec_str, const struct nb_network_rec *net,
			const struct nb_endpoint_rec *ep, int ifindex, const struct nb_listener *ls,
			size_t nls, const struct in6_addr *ip6, struct nb_portmap *pm, size_t n,
			size_t *nput)
{
	char k[NB_PORTMAP_STRLEN], lw[NB_LISTENER_STRLEN];
	struct nb_publish_rec rec, holder;
	const struct nb_listener *l;
	size_t i;
	int err;

	*nput = 0;
	for (i = 0; i < n; i++) {
		pm[i].v6 = true;
		pm[i].host_ip = 0;
		pm[i].host_ip6 = *ip6;
		l = nb_listener_find6(ls, nls, ip6, pm[i].host_port, pm[i].proto);
		if (l) {
			nb_errorf("sandbox \"%s\": publish \"%s\": host port %s: bind: address "
				  "already in use (%s)",
				  sb->name, spec_str, nb_portmap_key_str(&pm[i], k),
				  nb_listener_str(l, lw));
			return -EADDRINUSE;
		}
	}
	for (i = 0; i < n; i++) {
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.sandbox_id, sizeof(rec.sandbox_id), "%s", sb->id);
		snprintf(rec.network_id, sizeof(rec.network_id), "%s", net->id);
		rec.v6 = true;
		rec.host_ip6 = *ip6;
		rec.host_port = pm[i].host_port;
		rec.sb_port = pm[i].sb_port;
		rec.proto = pm[i].proto;
		memset(&holder, 0, sizeof(holder));
		err = nb_store_publish6_add(st, &rec, &holder);
		if (err == -EEXIST) {
			report_holder(st, sb, spec_str, &pm[i], &holder);
			return err;
		}
		if (err) {
			nb_errorf("sandbox \"%s\": publish \"%s\": cannot record %s: %s", sb->name,
				  spec_str, nb_portmap_key_str(&pm[i], k), strerror(-err));
			return err;
		}
	}
	for (i = 0; i < n; i++) {
		err = nb_nat_publish6_put(&w->maps, ip6, pm[i].host_port, pm[i].proto, &ep->ip6,
					  pm[i].sb_port, net->net_id, (__u32)ifindex);
		if (err) {
			nb_errorf("sandbox \"%s\": publish \"%s\": map %s: cannot add %s: %s%s",
				  sb->name, spec_str, NB_MAP_NAME(NB_MAP_PUBLISH6),
				  nb_portmap_key_str(&pm[i], k), strerror(-err),
				  err == -EOPNOTSUPP ? " (run `netbpfctl up` to load the new map)"
						     : "");
			return err;
		}
		(*nput)++;
	}
	return 0;
}

/*
 * The endpoint a publish goes through: the one named (Docker's
 * ProgramExternalConnectivity names it), else the sandbox's first bridge
 * endpoint. net filled on success only.
 */
static int publish_via(struct nb_store *st, const struct nb_sandbox_rec *sb, const char *spec_str,
		       const struct nb_endpoint_rec *via, struct nb_network_rec *net,
		       struct nb_endpoint_rec *ep)
{
	int err;

	if (!via) {
		err = nb_publish_target(st, sb, net, ep);
		if (err == -ENOENT) {
			nb_errorf("sandbox \"%s\": publish \"%s\": the sandbox is on no bridge "
				  "network (a published port goes through one)",
				  sb->name, spec_str);
			return -EINVAL;
		}
	} else if (strcmp(via->sandbox_id, sb->id) || !via->host_ifname[0]) {
		nb_errorf("sandbox \"%s\": publish \"%s\": endpoint %.*s is not one of its bridge "
			  "endpoints (a published port goes through one)",
			  sb->name, spec_str, NB_SHORT_ID_LEN, via->id);
		return -EINVAL;
	} else {
		*ep = *via;
		err = nb_store_network_find(st, via->network_id, net);
		if (err == -ENOENT) {
			nb_errorf(
			    "sandbox \"%s\": publish \"%s\": the network %.*s of its endpoint "
			    "%.*s is not in the state",
			    sb->name, spec_str, NB_SHORT_ID_LEN, via->network_id, NB_SHORT_ID_LEN,
			    via->id);
			return err;
		}
	}
	if (err)
		nb_errorf("sandbox \"%s\": publish \"%s\": cannot read its endpoints: %s", sb->name,
			  spec_str, strerror(-err));
	return err;
}

int nb_publish_add(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
		   const char *spec_str, struct nb_portmap **done, size_t *ndone)
{
	return nb_publish_add_via(st, w, sb, NULL, spec_str, done, ndone);
}

int nb_publish_add_via(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
		       const struct nb_endpoint_rec *via, const char *spec_str,
		       struct nb_portmap **done, size_t *ndone)
{
	struct nb_network_rec net = {0};
	struct nb_publish_rec rec, holder;
	struct taken_probe probe = {0};
	struct nb_listener *ls = NULL;
	const struct nb_listener *l;
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	struct nb_portmap *pm = NULL, *pm6 = NULL;
	const struct in6_addr *ip6 = NULL;
	struct nb_endpoint_rec ep;
	struct nb_portspec spec;
	size_t nput6 = 0;
	bool has6;
	char why[WHY_LEN], k[NB_PORTMAP_STRLEN];
	char lw[NB_LISTENER_STRLEN];
	size_t n, i, nput = 0, nls = 0;
	bool have_net = false;
	int err, ifindex;
	__be32 ip;

	err = nb_portspec_parse(spec_str, &spec, why, sizeof(why));
	if (err) {
		nb_errorf("sandbox \"%s\": publish \"%s\": %s", sb->name, spec_str, why);
		return err;
	}
	err = publish_via(st, sb, spec_str, via, &net, &ep);
	if (err)
		return err;
	have_net = true;
	/*
	 * Which families: "[IPv6]:..." IPv6 alone, "IPv4:..." IPv4 alone; no
	 * address both the endpoint has, as Docker binds 0.0.0.0 and [::]
	 * (IPv6 only with the default binding 0.0.0.0).
	 */
	has6 = !IN6_IS_ADDR_UNSPECIFIED(&ep.ip6);
	probe.v4 = !spec.has_ip6;
	if (spec.has_ip6)
		ip6 = &spec.ip6;
	else if (!spec.has_ip && has6 && !net.host_binding)
		ip6 = &any6;
	if (!ep.ip && probe.v4 && (spec.has_ip || net.host_binding || !has6)) {
		nb_errorf("sandbox \"%s\": publish \"%s\": its endpoint on network \"%s\" has no "
			  "IPv4 address (an IPv6-only network): publish on IPv6 (\"[::]:...\")",
			  sb->name, spec_str, net.name);
		err = -EAFNOSUPPORT;
		goto cleanup;
	}
	if (!ep.ip)
		probe.v4 = false;
	if (spec.has_ip6 && !has6) {
		nb_errorf("sandbox \"%s\": publish \"%s\": its endpoint on network \"%s\" has no "
			  "IPv6 address",
			  sb->name, spec_str, net.name);
		err = -EAFNOSUPPORT;
		goto cleanup;
	}
	err = check_not_internal(sb, spec_str, &net);
	if (err)
		goto cleanup;
	ip = spec.has_ip ? spec.ip : net.host_binding;
	if (probe.v4)
		err = check_host_ip(w, sb, spec_str, ip, spec.has_ip, &net);
	if (!err && spec.has_ip6)
		err = check_host_ip6(sb, spec_str, &spec.ip6);
	if (err)
		goto cleanup;
	ifindex = nb_nl_link_ifindex(w->nl, ep.host_ifname);
	if (ifindex < 0) {
		err = ifindex;
		nb_errorf("sandbox \"%s\": publish \"%s\": its endpoint %s on network \"%s\" is "
			  "missing from the kernel (%s; `netbpfctl up` restores it)",
			  sb->name, spec_str, ep.host_ifname, net.name, strerror(-err));
		goto cleanup;
	}

	n = nb_portspec_count(&spec);
	pm = calloc(n, sizeof(*pm));
	if (!pm) {
		err = -ENOMEM;
		goto cleanup;
	}
	/*
	 * A host process listening on (TCP) or bound to (UDP) the port keeps it, as
	 * Docker's proxy's bind() would fail: else the uplink's DNAT and the socket
	 * hooks would silently hand its clients to the sandbox.
	 */
	err = nb_host_listeners(&ls, &nls);
	if (err) {
		nb_errorf("sandbox \"%s\": publish \"%s\": cannot read the host's listening "
			  "sockets (sock_diag): %s",
			  sb->name, spec_str, strerror(-err));
		goto cleanup;
	}
	/*
	 * A host port the spec leaves to choose is looked up in the store's
	 * index by key, one look-up per candidate, never by reading every row.
	 */
	probe.st = st;
	probe.ls = ls;
	probe.nls = nls;
	probe.ip6 = ip6;
	err = nb_portspec_expand(&spec, ip, taken_in_store, &probe, pm, why, sizeof(why));
	if (probe.err) {
		err = probe.err;
		nb_errorf("sandbox \"%s\": publish \"%s\": cannot read the published ports: %s",
			  sb->name, spec_str, strerror(-err));
		goto cleanup;
	}
	if (err) {
		nb_errorf("sandbox \"%s\": publish \"%s\": %s", sb->name, spec_str, why);
		goto cleanup;
	}
	for (i = 0; probe.v4 && i < n; i++) {
		l = nb_listener_find(ls, nls, pm[i].host_ip, pm[i].host_port, pm[i].proto);
		if (!l)
			continue;
		nb_errorf("sandbox \"%s\": publish \"%s\": host port %s: bind: address already in "
			  "use (%s)",
			  sb->name, spec_str, nb_portmap_key_str(&pm[i], k),
			  nb_listener_str(l, lw));
		err = -EADDRINUSE;
		goto cleanup;
	}

	/* the rows first: the store is what refuses a taken port, naming its holder */
	for (i = 0; probe.v4 && i < n; i++) {
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.sandbox_id, sizeof(rec.sandbox_id), "%s", sb->id);
		snprintf(rec.network_id, sizeof(rec.network_id), "%s", net.id);
		rec.host_ip = pm[i].host_ip;
		rec.host_port = pm[i].host_port;
		rec.sb_port = pm[i].sb_port;
		rec.proto = pm[i].proto;
		memset(&holder, 0, sizeof(holder));
		err = nb_store_publish_add(st, &rec, &holder);
		if (err == -EEXIST) {
			report_holder(st, sb, spec_str, &pm[i], &holder);
			goto cleanup;
		}
		if (err) {
			nb_errorf("sandbox \"%s\": publish \"%s\": cannot record %s: %s", sb->name,
				  spec_str, nb_portmap_key_str(&pm[i], k), strerror(-err));
			goto cleanup;
		}
	}
	for (nput = 0; probe.v4 && nput < n; nput++) {
		err = nb_nat_publish_put(&w->maps, pm[nput].host_ip, pm[nput].host_port,
					 pm[nput].proto, ep.ip, pm[nput].sb_port, net.net_id,
					 (__u32)ifindex);
		if (err == -E2BIG) /* a full hash map refuses a new key with E2BIG */
			nb_errorf("sandbox \"%s\": publish \"%s\": map %s: cannot add %s: the "
				  "map is full (%d published ports at most); nothing was published",
				  sb->name, spec_str, NB_MAP_NAME(NB_MAP_PUBLISH),
				  nb_portmap_key_str(&pm[nput], k), NB_MAX_PUBLISH);
		else if (err)
			nb_errorf("sandbox \"%s\": publish \"%s\": map %s: cannot add %s: %s",
				  sb->name, spec_str, NB_MAP_NAME(NB_MAP_PUBLISH),
				  nb_portmap_key_str(&pm[nput], k), strerror(-err));
		if (err)
			goto cleanup;
	}
	if (probe.v4) {
		err = done_append(done, ndone, pm, n);
		if (err)
			goto cleanup;
	}
	if (ip6) {
		/* the IPv6 twins on the same host ports (as Docker's [::] beside 0.0.0.0) */
		pm6 = calloc(n, sizeof(*pm6));
		if (!pm6) {
			err = -ENOMEM;
			goto cleanup;
		}
		memcpy(pm6, pm, n * sizeof(*pm6));
		err = publish6_put(st, w, sb, spec_str, &net, &ep, ifindex, ls, nls, ip6, pm6, n,
				   &nput6);
		if (!err)
			err = done_append(done, ndone, pm6, n);
		if (err) {
			nb_publish_unmap(w, pm6, nput6);
			if (probe.v4) /* appended above: the caller unmaps what *done holds */
				*ndone -= n;
		}
	}
cleanup:
	if (err && probe.v4)
		nb_publish_unmap(w, pm, nput);
	free(pm6);
	free(pm);
	free(ls);
	if (have_net)
		nb_network_rec_clear(&net);
	return err;
}

void nb_publish_unmap(struct nb_world *w, const struct nb_portmap *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].v6)
			nb_nat_publish6_del(&w->maps, &v[i].host_ip6, v[i].host_port, v[i].proto);
		else
			nb_nat_publish_del(&w->maps, v[i].host_ip, v[i].host_port, v[i].proto);
}

void nb_publish_unmap_rows(struct nb_world *w, const struct nb_publish_rec *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].v6)
			nb_nat_publish6_del(&w->maps, &rows[i].host_ip6, rows[i].host_port,
					    rows[i].proto);
		else
			nb_nat_publish_del(&w->maps, rows[i].host_ip, rows[i].host_port,
					   rows[i].proto);
}

/* ---- unpublish --------------------------------------------------------------- */

/* host_binding_ipv4 of a network by id (0 when it cannot be read: the default) */
static __be32 binding_of(struct nb_store *st, const char *network_id)
{
	struct nb_network_rec net = {0};
	__be32 ip = 0;

	if (!nb_store_network_find(st, network_id, &net))
		ip = net.host_binding;
	nb_network_rec_clear(&net);
	return ip;
}

/*
 * The bindings of the networks a sandbox's rows go through, each read once:
 * its rows share the few networks it is on, and reading one per row costs a
 * store look-up per published port.
 */
struct binding {
	char network_id[NB_ID_LEN + 1];
	__be32 ip;
};

struct bindings {
	struct binding *v;
	size_t n;
};

static int binding_cached(struct nb_store *st, struct bindings *b, const char *network_id,
			  __be32 *ip)
{
	struct binding *grown;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].network_id, network_id)) {
			*ip = b->v[i].ip;
			return 0;
		}
	grown = realloc(b->v, (b->n + 1) * sizeof(*b->v));
	if (!grown)
		return -ENOMEM;
	b->v = grown;
	snprintf(b->v[b->n].network_id, sizeof(b->v[b->n].network_id), "%s", network_id);
	b->v[b->n].ip = binding_of(st, network_id);
	*ip = b->v[b->n++].ip;
	return 0;
}

size_t nb_publish_select(const struct nb_publish_rec *rows, size_t nrows, const __be32 *want,
			 const struct nb_portspec *s, bool *sel)
{
	/* which of the spec's container ports a row was found for, one bit each */
	__u64 hit[(65536 + 63) / 64] = {0};
	size_t i, j, nc = nb_portspec_count(s);
	bool one_to_one = s->host_min && (size_t)(s->host_max - s->host_min) + 1 == nc;

	/*
	 * A row stands for at most one mapping of the spec, the one of its own
	 * container port: one pass over the rows, not one per container port.
	 */
	for (j = 0; j < nrows; j++) {
		const struct nb_publish_rec *r = &rows[j];

		sel[j] = false;
		if (r->proto != s->proto || r->sb_port < s->sb_min || r->sb_port > s->sb_max ||
		    r->host_ip != want[j])
			continue;
		i = (size_t)(r->sb_port - s->sb_min);
		if (one_to_one && r->host_port != s->host_min + i)
			continue;
		if (s->host_min && !one_to_one &&
		    (r->host_port < s->host_min || r->host_port > s->host_max))
			continue;
		sel[j] = true;
		hit[i / 64] |= 1ULL << (i % 64);
	}
	for (i = 0; i < nc; i++)
		if (!(hit[i / 64] & (1ULL << (i % 64))))
			return i;
	return nc;
}

/* Whether IPv6 row r is one of spec's mappings on host address ip6 */
static bool spec_has_row6(const struct nb_portspec *spec, const struct in6_addr *ip6,
			  const struct nb_publish_rec *r)
{
	size_t nh = (size_t)(spec->host_max - spec->host_min) + 1;

	if (r->proto != spec->proto || !IN6_ARE_ADDR_EQUAL(&r->host_ip6, ip6) ||
	    r->sb_port < spec->sb_min || r->sb_port > spec->sb_max)
		return false;
	if (!spec->host_min)
		return true;
	if (nh == nb_portspec_count(spec))
		return r->host_port == spec->host_min + (r->sb_port - spec->sb_min);
	return r->host_port >= spec->host_min && r->host_port <= spec->host_max;
}

/*
 * Unpublishes spec's IPv6 mappings on ip6: rows, then map entries; appends
 * them to *removed. The number removed, or -errno (message set).
 */
static int publish6_remove(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
			   const char *spec_str, const struct nb_portspec *spec,
			   const struct in6_addr *ip6, struct nb_publish_rec **removed,
			   size_t *nremoved)
{
	struct nb_publish_rec *rows = NULL, *grown;
	char k[NB_PORTMAP_STRLEN];
	size_t nrows = 0, i, nsel = 0;
	int err;

	err = nb_store_publish6_list(st, sb->id, &rows, &nrows);
	if (err) {
		nb_errorf("sandbox \"%s\": unpublish \"%s\": cannot read its published ports: %s",
			  sb->name, spec_str, strerror(-err));
		return err;
	}
	for (i = 0; i < nrows; i++) {
		struct nb_portmap m = nb_publish_portmap(&rows[i]);

		if (!spec_has_row6(spec, ip6, &rows[i]))
			continue;
		err = nb_store_publish6_del(st, &rows[i]);
		if (!err)
			err = nb_nat_publish6_del(&w->maps, &rows[i].host_ip6, rows[i].host_port,
						  rows[i].proto);
		if (err) {
			nb_errorf("sandbox \"%s\": unpublish \"%s\": cannot remove %s: %s",
				  sb->name, spec_str, nb_portmap_key_str(&m, k), strerror(-err));
			break;
		}
		rows[nsel++] = rows[i];
	}
	if (nsel) {
		grown = realloc(*removed, (*nremoved + nsel) * sizeof(*grown));
		if (grown) {
			memcpy(grown + *nremoved, rows, nsel * sizeof(*rows));
			*removed = grown;
			*nremoved += nsel;
		} else {
			err = err ?: -ENOMEM;
		}
	}
	free(rows);
	return err ? err : (int)nsel;
}

int nb_publish_remove(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
		      const char *spec_str, struct nb_publish_rec **removed, size_t *nremoved)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	int n6 = 0;
	struct nb_publish_rec *rows = NULL, *grown;
	struct nb_publish_val *saved = NULL;
	struct nb_portspec spec;
	char why[WHY_LEN], a[NB_IPV4_STRLEN];
	size_t nrows = 0, i, j, nsel = 0, ndel = 0;
	bool *sel = NULL, *saved_ok = NULL;
	struct bindings bindings = {0};
	__be32 *want = NULL;
	int err;

	err = nb_portspec_parse(spec_str, &spec, why, sizeof(why));
	if (err) {
		nb_errorf("sandbox \"%s\": unpublish \"%s\": %s", sb->name, spec_str, why);
		return err;
	}
	/* "[IPv6]:...": those alone; no address: the [::] twins too (as publish made them) */
	if (spec.has_ip6 || !spec.has_ip) {
		n6 = publish6_remove(st, w, sb, spec_str, &spec, spec.has_ip6 ? &spec.ip6 : &any6,
				     removed, nremoved);
		if (n6 < 0)
			return n6;
	}
	if (spec.has_ip6) {
		if ((size_t)n6 >= nb_portspec_count(&spec))
			return 0;
		nb_errorf("sandbox \"%s\": unpublish \"%s\": not published", sb->name, spec_str);
		return -ENOENT;
	}
	err = nb_store_publish_list(st, sb->id, &rows, &nrows);
	if (err) {
		nb_errorf("sandbox \"%s\": unpublish \"%s\": cannot read its published ports: %s",
			  sb->name, spec_str, strerror(-err));
		return err;
	}
	sel = calloc(nrows + 1, sizeof(*sel));
	want = calloc(nrows + 1, sizeof(*want));
	if (!sel || !want) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* without an IP, a row's address is its network's binding, as publish chose it */
	for (j = 0; j < nrows; j++) {
		want[j] = spec.ip;
		if (!spec.has_ip) {
			err = binding_cached(st, &bindings, rows[j].network_id, &want[j]);
			if (err)
				goto cleanup;
		}
	}
	i = nb_publish_select(rows, nrows, want, &spec, sel);
	/* an IPv6-only sandbox's "8080:80": its [::] twins were all there was */
	if (i == 0 && (size_t)n6 >= nb_portspec_count(&spec))
		i = nb_portspec_count(&spec);
	if (i < nb_portspec_count(&spec)) {
		if (spec.has_ip)
			snprintf(why, sizeof(why), " on %s", nb_fmt_ipv4(spec.ip, a));
		else
			why[0] = '\0';
		if (spec.host_min &&
		    (size_t)(spec.host_max - spec.host_min) + 1 == nb_portspec_count(&spec))
			nb_errorf("sandbox \"%s\": unpublish \"%s\": its port %u/%s is not "
				  "published as host port %zu%s",
				  sb->name, spec_str, (unsigned)(spec.sb_min + i),
				  nb_proto_name(spec.proto), spec.host_min + i, why);
		else
			nb_errorf("sandbox \"%s\": unpublish \"%s\": its port %u/%s is not "
				  "published%s",
				  sb->name, spec_str, (unsigned)(spec.sb_min + i),
				  nb_proto_name(spec.proto), why);
		err = -ENOENT;
		goto cleanup;
	}
	for (j = 0; j < nrows; j++) {
		if (!sel[j])
			continue;
		err = nb_store_publish_del(st, &rows[j]);
		if (err) {
			nb_errorf("sandbox \"%s\": unpublish \"%s\": cannot delete the record of "
				  "port %u: %s",
				  sb->name, spec_str, rows[j].sb_port, strerror(-err));
			goto cleanup;
		}
		rows[nsel++] = rows[j];
	}
	/* the map last, keeping what it held so a failure can put it back */
	saved = calloc(nsel + 1, sizeof(*saved));
	saved_ok = calloc(nsel + 1, sizeof(*saved_ok));
	if (!saved || !saved_ok) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (ndel = 0; ndel < nsel; ndel++) {
		struct nb_publish_rec *r = &rows[ndel];

		saved_ok[ndel] =
		    !nb_nat_publish_get(&w->maps, r->host_ip, r->host_port, r->proto, &saved[ndel]);
		err = nb_nat_publish_del(&w->maps, r->host_ip, r->host_port, r->proto);
		if (err) {
			nb_errorf("sandbox \"%s\": unpublish \"%s\": map %s: cannot delete "
				  "%s:%u/%s: %s",
				  sb->name, spec_str, NB_MAP_NAME(NB_MAP_PUBLISH),
				  nb_fmt_ipv4(r->host_ip, a), r->host_port, nb_proto_name(r->proto),
				  strerror(-err));
			goto cleanup;
		}
	}
	if (nsel) {
		grown = realloc(*removed, (*nremoved + nsel) * sizeof(*grown));
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		memcpy(grown + *nremoved, rows, nsel * sizeof(*rows));
		*removed = grown;
		*nremoved += nsel;
	}
cleanup:
	if (err && saved_ok)
		for (i = 0; i < ndel; i++)
			if (saved_ok[i])
				nb_nat_publish_put(&w->maps, rows[i].host_ip, rows[i].host_port,
						   rows[i].proto, saved[i].sb_ip,
						   ntohs(saved[i].sb_port), saved[i].net_id,
						   saved[i].ifindex);
	free(bindings.v);
	free(saved_ok);
	free(saved);
	free(want);
	free(sel);
	free(rows);
	return err;
}

/* ---- from the store ------------------------------------------------------------ */

/*
 * An endpoint rows go through, with its network and its veth's ifindex, each
 * found once: every row of a sandbox shares the endpoint, and looking them up
 * per row scanned all endpoints and networks and asked the kernel once per
 * published port.
 */
struct target {
	const struct nb_endpoint_rec *ep;
	/* NULL: the network is not in the store */
	const struct nb_network_rec *net;
	/* its veth: 0 until asked; -ENODEV when it is missing */
	int ifindex;
};

struct targets {
	struct nb_network_rec *nets; /* by id */
	size_t nnets;
	struct nb_endpoint_rec *eps;
	size_t neps;
	struct target *by_ep; /* one per endpoint, by (network, sandbox): unique in the store */
};

static int cmp_nets(const void *x, const void *y)
{
	const struct nb_network_rec *a = x, *b = y;

	return strcmp(a->id, b->id);
}

static int cmp_net_id(const void *key, const void *elem)
{
	const struct nb_network_rec *net = elem;

	return strcmp(key, net->id);
}

static int cmp_targets(const void *x, const void *y)
{
	const struct target *a = x, *b = y;
	int c = strcmp(a->ep->network_id, b->ep->network_id);

	return c ? c : strcmp(a->ep->sandbox_id, b->ep->sandbox_id);
}

/* a row (the key) against a target: the endpoint the row goes through */
static int cmp_row_target(const void *key, const void *elem)
{
	const struct nb_publish_rec *r = key;
	const struct target *t = elem;
	int c = strcmp(r->network_id, t->ep->network_id);

	return c ? c : strcmp(r->sandbox_id, t->ep->sandbox_id);
}

static void targets_free(struct targets *t)
{
	nb_network_recs_free(t->nets, t->nnets);
	free(t->eps);
	free(t->by_ep);
	memset(t, 0, sizeof(*t));
}

/* nothing to free on failure */
static int targets_load(struct nb_store *st, struct targets *t)
{
	size_t i;
	int err;

	memset(t, 0, sizeof(*t));
	err = nb_store_network_list(st, &t->nets, &t->nnets);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &t->eps, &t->neps);
	if (!err) {
		t->by_ep = calloc(t->neps + 1, sizeof(*t->by_ep));
		if (!t->by_ep)
			err = -ENOMEM;
	}
	if (err) {
		targets_free(t);
		return err;
	}
	if (t->nnets > 1)
		qsort(t->nets, t->nnets, sizeof(*t->nets), cmp_nets);
	for (i = 0; i < t->neps; i++) {
		t->by_ep[i].ep = &t->eps[i];
		if (t->nnets)
			t->by_ep[i].net = bsearch(t->eps[i].network_id, t->nets, t->nnets,
						  sizeof(*t->nets), cmp_net_id);
	}
	if (t->neps > 1)
		qsort(t->by_ep, t->neps, sizeof(*t->by_ep), cmp_targets);
	return 0;
}

/* The map value a row stands for; -ENOENT when its endpoint or veth is gone */
static int row_target(struct nb_world *w, struct targets *t, const struct nb_publish_rec *r,
		      __be32 *sb_ip, struct in6_addr *sb_ip6, __u32 *net_id, __u32 *ifindex)
{
	struct target *tg = NULL;
	int idx;

	if (t->neps)
		tg = bsearch(r, t->by_ep, t->neps, sizeof(*t->by_ep), cmp_row_target);
	if (!tg || !tg->ep->host_ifname[0] || !tg->net)
		return -ENOENT;
	idx = tg->ifindex;
	if (!idx) {
		idx = nb_nl_link_ifindex(w->nl, tg->ep->host_ifname);
		/* kept: the kernel's answer; asked again: a failure to get one */
		if (idx > 0 || idx == -ENODEV)
			tg->ifindex = idx;
	}
	if (idx < 0)
		return idx == -ENODEV ? -ENOENT : idx;
	*sb_ip = tg->ep->ip;
	*sb_ip6 = tg->ep->ip6;
	*net_id = tg->net->net_id;
	*ifindex = (__u32)idx;
	return 0;
}

/* The map entry of a row (either family) */
static int publish_put_row(struct nb_world *w, const struct nb_publish_rec *r, __be32 sb_ip,
			   const struct in6_addr *sb_ip6, __u32 net_id, __u32 ifindex)
{
	if (r->v6)
		return nb_nat_publish6_put(&w->maps, &r->host_ip6, r->host_port, r->proto, sb_ip6,
					   r->sb_port, net_id, ifindex);
	return nb_nat_publish_put(&w->maps, r->host_ip, r->host_port, r->proto, sb_ip, r->sb_port,
				  net_id, ifindex);
}

int nb_publish_map_rows(struct nb_store *st, struct nb_world *w, const struct nb_publish_rec *rows,
			size_t n)
{
	struct in6_addr sb_ip6;
	struct targets t;
	__u32 net_id, ifindex;
	__be32 sb_ip;
	size_t i;
	int err, e;

	if (!n)
		return 0;
	err = targets_load(st, &t);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		e = row_target(w, &t, &rows[i], &sb_ip, &sb_ip6, &net_id, &ifindex);
		if (!e)
			e = publish_put_row(w, &rows[i], sb_ip, &sb_ip6, net_id, ifindex);
		err = err ?: e;
	}
	targets_free(&t);
	return err;
}

/* Appends the published IPv6 ports of sandbox_id (NULL: all) to *rows */
static int publish_list_append6(struct nb_store *st, const char *sandbox_id,
				struct nb_publish_rec **rows, size_t *n)
{
	struct nb_publish_rec *v6 = NULL, *grown;
	size_t n6 = 0;
	int err;

	err = nb_store_publish6_list(st, sandbox_id, &v6, &n6);
	if (err || !n6) {
		free(v6);
		return err;
	}
	grown = realloc(*rows, (*n + n6) * sizeof(*grown));
	if (!grown) {
		free(v6);
		return -ENOMEM;
	}
	memcpy(grown + *n, v6, n6 * sizeof(*v6));
	*rows = grown;
	*n += n6;
	free(v6);
	return 0;
}

int nb_publish_list_all(struct nb_store *st, const char *sandbox_id, struct nb_publish_rec **rows,
			size_t *n)
{
	int err;

	*rows = NULL;
	*n = 0;
	err = nb_store_publish_list(st, sandbox_id, rows, n);
	if (!err)
		err = publish_list_append6(st, sandbox_id, rows, n);
	if (err) {
		free(*rows);
		*rows = NULL;
		*n = 0;
	}
	return err;
}

int nb_publish_endpoint_rows(struct nb_store *st, const struct nb_endpoint_rec *ep,
			     struct nb_publish_rec **rows, size_t *n)
{
	struct nb_publish_rec *all = NULL;
	size_t nall = 0, i, k = 0;
	int err;

	*rows = NULL;
	*n = 0;
	err = nb_store_publish_list(st, ep->sandbox_id, &all, &nall);
	if (err)
		return err;
	err = publish_list_append6(st, ep->sandbox_id, &all, &nall);
	if (err) {
		free(all);
		return err;
	}
	for (i = 0; i < nall; i++)
		if (!strcmp(all[i].network_id, ep->network_id))
			all[k++] = all[i];
	if (!k) {
		free(all);
		return 0;
	}
	*rows = all;
	*n = k;
	return 0;
}

struct sync_ctx {
	struct nb_publish_rec *rows;
	size_t nrows;
	struct nb_nat_publish *stale;
	size_t nstale, cap;
	int err;
};

static int collect_stale(const struct nb_nat_publish *p, void *arg)
{
	struct sync_ctx *c = arg;
	struct nb_nat_publish *grown;

	if (nb_publish_find_key(c->rows, c->nrows, p->host_ip, p->host_port, p->proto))
		return 0;
	if (c->nstale == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		grown = realloc(c->stale, c->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->stale = grown;
	}
	c->stale[c->nstale++] = *p;
	return 0;
}

/*
 * nb_publish_sync()'s IPv6 half: the rows into nb_publish6 (put), then
 * the entries no row explains removed (few: a linear look-up each).
 */
static int publish6_sync(struct nb_store *st, struct nb_world *w, struct targets *t, bool put,
			 size_t *count, nb_prune_report_fn fn, void *arg, int *removed)
{
	struct nb_publish6_key *keys = NULL;
	struct nb_publish_rec *rows = NULL;
	char k[NB_PORTMAP_STRLEN], what[160];
	size_t nrows = 0, nkeys = 0, i, j;
	struct in6_addr sb_ip6;
	__u32 net_id, ifindex;
	__be32 sb_ip;
	int err, e;

	err = nb_store_publish6_list(st, NULL, &rows, &nrows);
	if (err)
		return err;
	if (put && nrows && !t->by_ep)
		err = targets_load(st, t);
	for (i = 0; put && !err && i < nrows; i++) {
		struct nb_portmap m = nb_publish_portmap(&rows[i]);

		e = row_target(w, t, &rows[i], &sb_ip, &sb_ip6, &net_id, &ifindex);
		if (e == -ENOENT)
			continue;
		if (!e)
			e = publish_put_row(w, &rows[i], sb_ip, &sb_ip6, net_id, ifindex);
		if (e) {
			nb_errorf("map %s: cannot put %s: %s", NB_MAP_NAME(NB_MAP_PUBLISH6),
				  nb_portmap_key_str(&m, k), strerror(-e));
			err = err ?: e;
			continue;
		}
		(*count)++;
	}
	e = nb_nat_publish6_keys(&w->maps, &keys, &nkeys);
	err = err ?: e;
	for (i = 0; !e && i < nkeys; i++) {
		struct nb_portmap m = {
		    .v6 = true, .host_port = ntohs(keys[i].host_port), .proto = keys[i].proto};

		memcpy(&m.host_ip6, keys[i].host_ip6, 16);
		for (j = 0; j < nrows; j++)
			if (rows[j].host_port == m.host_port && rows[j].proto == m.proto &&
			    IN6_ARE_ADDR_EQUAL(&rows[j].host_ip6, &m.host_ip6))
				break;
		if (j < nrows)
			continue;
		if (nb_nat_publish6_del(&w->maps, &m.host_ip6, m.host_port, m.proto))
			continue;
		(*removed)++;
		if (fn) {
			snprintf(what, sizeof(what), "map %s: %s (not in the state)",
				 NB_MAP_NAME(NB_MAP_PUBLISH6), nb_portmap_key_str(&m, k));
			fn(arg, what);
		}
	}
	free(keys);
	free(rows);
	return err;
}

int nb_publish_sync(struct nb_store *st, struct nb_world *w, bool put, size_t *nput,
		    nb_prune_report_fn fn, void *arg)
{
	struct sync_ctx c = {0};
	char a[NB_IPV4_STRLEN], s[NB_IPV4_STRLEN], what[160];
	struct targets t = {0};
	struct in6_addr sb_ip6;
	__u32 net_id, ifindex;
	__be32 sb_ip;
	size_t i, count = 0;
	int err, e, removed = 0;

	err = nb_store_publish_list(st, NULL, &c.rows, &c.nrows);
	if (err)
		return err;
	if (put) {
		err = targets_load(st, &t);
		if (err)
			goto cleanup;
		for (i = 0; i < c.nrows; i++) {
			e = row_target(w, &t, &c.rows[i], &sb_ip, &sb_ip6, &net_id, &ifindex);
			if (e == -ENOENT)
				continue; /* the sandbox is gone: `up` said so, `gc` removes it */
			if (!e)
				e = nb_nat_publish_put(&w->maps, c.rows[i].host_ip,
						       c.rows[i].host_port, c.rows[i].proto, sb_ip,
						       c.rows[i].sb_port, net_id, ifindex);
			if (e) {
				nb_errorf("map %s: cannot put %s:%u/%s: %s",
					  NB_MAP_NAME(NB_MAP_PUBLISH),
					  nb_fmt_ipv4(c.rows[i].host_ip, a), c.rows[i].host_port,
					  nb_proto_name(c.rows[i].proto), strerror(-e));
				err = err ?: e;
				continue;
			}
			count++;
		}
		e = nb_publish_allow_restore(st, w);
		err = err ?: e;
	}
	e = publish6_sync(st, w, &t, put, &count, fn, arg, &removed);
	err = err ?: e;
	if (put && nput)
		*nput = count;
	/*
	 * then what the store does not explain: a port unpublished while we were
	 * down... Each entry is looked up among the rows sorted by map key, not
	 * compared with every row (65,535 x 65,535 for the full port range).
	 */
	nb_publish_sort_by_key(c.rows, c.nrows);
	e = nb_nat_publish_foreach(&w->maps, collect_stale, &c);
	if (e) {
		err = err ?: e;
		goto cleanup;
	}
	for (i = 0; i < c.nstale; i++) {
		const struct nb_nat_publish *p = &c.stale[i];

		e = nb_nat_publish_del(&w->maps, p->host_ip, p->host_port, p->proto);
		if (e) {
			err = err ?: e;
			continue;
		}
		removed++;
		if (fn) {
			snprintf(what, sizeof(what), "map %s: %s:%u/%s -> %s:%u (not in the state)",
				 NB_MAP_NAME(NB_MAP_PUBLISH), nb_fmt_ipv4(p->host_ip, a),
				 p->host_port, nb_proto_name(p->proto), nb_fmt_ipv4(p->sb_ip, s),
				 p->sb_port);
			fn(arg, what);
		}
	}
cleanup:
	targets_free(&t);
	free(c.stale);
	free(c.rows);
	return err ? err : removed;
}

/* ---- allow-lists ------------------------------------------------------------ */

static const char *allow_str(const struct nb_allow_rec *r, char *buf, size_t n)
{
	char a[NB_IPV4_STRLEN], p[NB_IPV4_STRLEN];

	snprintf(buf, n, "%s/%u for %s:%u/%s", nb_fmt_ipv4(r->addr, p), r->len,
		 nb_fmt_ipv4(r->host_ip, a), r->host_port, nb_proto_name(r->proto));
	return buf;
}

static const char *allow6_str(const struct nb_allow6_rec *r, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &r->addr6, p, sizeof(p));
	inet_ntop(AF_INET6, &r->host_ip6, a, sizeof(a));
	snprintf(buf, n, "%s/%u for [%s]:%u/%s", p, r->len, a, r->host_port,
		 nb_proto_name(r->proto));
	return buf;
}

/* Zeroes a's bits beyond the prefix length len */
static void mask6(struct in6_addr *a, int len)
{
	int i;

	for (i = 0; i < 16; i++) {
		int bits = len - i * 8;

		if (bits <= 0)
			a->s6_addr[i] = 0;
		else if (bits < 8)
			a->s6_addr[i] &= (__u8)(0xff00 >> bits);
	}
}

/* Every prefix of allow6 may reach the published IPv6 port m: rows and map entries */
static int allow6_port(struct nb_store *st, struct nb_world *w, const struct nb_portmap *m,
		       const struct nb_prefix6 *allow6, size_t nallow6)
{
	struct nb_allow6_rec r;
	char what[128];
	size_t j;
	int err;

	for (j = 0; j < nallow6; j++) {
		r = (struct nb_allow6_rec){.host_ip6 = m->host_ip6,
					   .host_port = m->host_port,
					   .proto = m->proto,
					   .addr6 = allow6[j].addr,
					   .len = (__u8)allow6[j].len};
		mask6(&r.addr6, allow6[j].len);
		err = nb_store_allow6_add(st, &r);
		if (err) {
			nb_errorf("state: cannot allow %s: %s", allow6_str(&r, what, sizeof(what)),
				  strerror(-err));
			return err;
		}
		err = nb_nat_allow6_put(&w->maps, &r.host_ip6, r.host_port, r.proto, &r.addr6,
					r.len);
		if (err) {
			nb_errorf("map %s: cannot allow %s: %s%s", NB_MAP_NAME(NB_MAP_PUB_ALLOW6),
				  allow6_str(&r, what, sizeof(what)), strerror(-err),
				  err == -ENOENT ? " (run `netbpfctl up` to load the new map)" : "");
			return err;
		}
	}
	return 0;
}

int nb_publish_allow(struct nb_store *st, struct nb_world *w, const struct nb_portmap *done,
		     size_t ndone, const struct nb_prefix *allow, size_t nallow,
		     const struct nb_prefix6 *allow6, size_t nallow6)
{
	struct nb_allow_rec r;
	char what[96];
	size_t i, j;
	int err;

	for (i = 0; i < ndone; i++) {
		char k[NB_PORTMAP_STRLEN];

		/*
		 * A port whose family no prefix names is refused, not left open (nor
		 * closed to all: a list without prefixes is not kept in the state)
		 */
		if (done[i].v6 ? !nallow6 : !nallow) {
			nb_errorf("publish --allow: host port %s: no %s prefix among --allow "
				  "(%s allows every source of that family)",
				  nb_portmap_key_str(&done[i], k), done[i].v6 ? "IPv6" : "IPv4",
				  done[i].v6 ? "::/0" : "0.0.0.0/0");
			return -EINVAL;
		}
		if (done[i].v6) {
			err = allow6_port(st, w, &done[i], allow6, nallow6);
			if (err)
				return err;
			continue;
		}
		for (j = 0; j < nallow; j++) {
			r = (struct nb_allow_rec){.host_ip = done[i].host_ip,
						  .host_port = done[i].host_port,
						  .proto = done[i].proto,
						  .addr =
						      allow[j].addr & nb_prefix_mask(allow[j].len),
						  .len = (__u8)allow[j].len};
			err = nb_store_allow_add(st, &r);
			if (err) {
				nb_errorf("state: cannot allow %s: %s",
					  allow_str(&r, what, sizeof(what)), strerror(-err));
				return err;
			}
			err = nb_nat_allow_put(&w->maps, r.host_ip, r.host_port, r.proto, r.addr,
					       r.len);
			if (err) {
				nb_errorf(
				    "map %s: cannot allow %s: %s%s", NB_MAP_NAME(NB_MAP_PUB_ALLOW),
				    allow_str(&r, what, sizeof(what)), strerror(-err),
				    err == -ENOENT ? " (run `netbpfctl up` to load the new map)"
						   : "");
				return err;
			}
		}
	}
	return 0;
}

int nb_publish_allow_restore(struct nb_store *st, struct nb_world *w)
{
	struct nb_allow_rec *rows = NULL;
	char what[96];
	size_t n = 0, i;
	int err, e;

	err = nb_store_allow_list(st, &rows, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		e = nb_nat_allow_put(&w->maps, rows[i].host_ip, rows[i].host_port, rows[i].proto,
				     rows[i].addr, rows[i].len);
		if (e) {
			nb_errorf("map %s: cannot restore allowed source %s: %s",
				  NB_MAP_NAME(NB_MAP_PUB_ALLOW),
				  allow_str(&rows[i], what, sizeof(what)), strerror(-e));
			err = err ?: e;
		}
	}
	free(rows);
	return err ?: nb_publish_allow6_restore(st, w);
}

int nb_publish_allow6_restore(struct nb_store *st, struct nb_world *w)
{
	struct nb_allow6_rec *rows = NULL;
	char what[128];
	size_t n = 0, i;
	int err, e;

	err = nb_store_allow6_list(st, &rows, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		e = nb_nat_allow6_put(&w->maps, &rows[i].host_ip6, rows[i].host_port,
				      rows[i].proto, &rows[i].addr6, rows[i].len);
		if (e) {
			nb_errorf("map %s: cannot restore allowed source %s: %s",
				  NB_MAP_NAME(NB_MAP_PUB_ALLOW6),
				  allow6_str(&rows[i], what, sizeof(what)), strerror(-e));
			err = err ?: e;
		}
	}
	free(rows);
	return err;
}

bool nb_publish_row_is(const struct nb_publish_rec *r, enum nb_family family, __be32 ip,
		       const struct in6_addr *ip6, __u16 host_min, __u16 host_max, __u16 sb_port,
		       __u8 proto)
{
	if (r->sb_port != sb_port || r->proto != proto ||
	    (host_min && (r->host_port < host_min || r->host_port > host_max)))
		return false;
	switch (family) {
	case NB_FAMILY_V4:
		return !r->v6 && r->host_ip == ip;
	case NB_FAMILY_V6:
		return r->v6 && IN6_ARE_ADDR_EQUAL(&r->host_ip6, ip6);
	default:
		return true;
	}
}

static int cmp_rows(const void *x, const void *y)
{
	const struct nb_publish_rec *a = x, *b = y;

	if (a->sb_port != b->sb_port)
		return a->sb_port < b->sb_port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	/* Docker's order: 0.0.0.0:8080 before [::]:8080 */
	if (a->v6 != b->v6)
		return a->v6 ? 1 : -1;
	if (a->v6 && memcmp(&a->host_ip6, &b->host_ip6, 16))
		return memcmp(&a->host_ip6, &b->host_ip6, 16);
	if (a->host_ip != b->host_ip)
		return ntohl(a->host_ip) < ntohl(b->host_ip) ? -1 : 1;
	if (a->host_port != b->host_port)
		return a->host_port < b->host_port ? -1 : 1;
	return 0;
}

void nb_publish_sort(struct nb_publish_rec *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_rows);
}

/* the nb_publish map's key order: host address, host port, protocol */
static int cmp_keys(const void *x, const void *y)
{
	const struct nb_publish_rec *a = x, *b = y;

	if (a->host_ip != b->host_ip)
		return ntohl(a->host_ip) < ntohl(b->host_ip) ? -1 : 1;
	if (a->host_port != b->host_port)
		return a->host_port < b->host_port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return 0;
}

void nb_publish_sort_by_key(struct nb_publish_rec *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_keys);
}

const struct nb_publish_rec *nb_publish_find_key(const struct nb_publish_rec *rows, size_t n,
						 __be32 host_ip, __u16 host_port, __u8 proto)
{
	struct nb_publish_rec key;

	if (!n)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.host_ip = host_ip;
	key.host_port = host_port;
	key.proto = proto;
	return bsearch(&key, rows, n, sizeof(*rows), cmp_keys);
}

size_t nb_publish_key_ips(const struct nb_publish_rec *rows, size_t n, __be32 *ips)
{
	size_t i, nips = 0;

	/* sorted by key: a host address's rows are next to each other */
	for (i = 0; i < n; i++)
		if (!i || rows[i].host_ip != rows[i - 1].host_ip)
			ips[nips++] = rows[i].host_ip;
	return nips;
}

bool nb_publish_key_taken(const struct nb_publish_rec *rows, size_t n, const __be32 *ips,
			  size_t nips, __be32 ip, __u16 port, __u8 proto)
{
	size_t i;

	/*
	 * 0.0.0.0 collides with every address: the port is taken when a row
	 * holds it on any address that collides with ip, one look-up each.
	 */
	for (i = 0; i < nips; i++)
		if (nb_portmap_ip_collide(ips[i], ip) &&
		    nb_publish_find_key(rows, n, ips[i], port, proto))
			return true;
	return false;
}

int nb_publish_host_held(const struct nb_publish_rec *rows, size_t n, struct nb_listener **ls,
			 size_t *nls, const struct nb_listener **held)
{
	size_t i;
	int err, count = 0;

	*ls = NULL;
	*nls = 0;
	err = nb_host_listeners(ls, nls);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		held[i] = rows[i].v6 ? nb_listener_find6(*ls, *nls, &rows[i].host_ip6,
							 rows[i].host_port, rows[i].proto)
				     : nb_listener_find(*ls, *nls, rows[i].host_ip,
							rows[i].host_port, rows[i].proto);
		count += !!held[i];
	}
	return count;
}
