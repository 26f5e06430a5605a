// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Connecting sandboxes to networks, store and kernel together (membership.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ipam.h"
#include "log.h"
#include "membership.h"
#include "ovnet.h"
#include "names.h"
#include "netns.h"
#include "nl.h"
#include "publish.h"

int nb_world_get(const struct nb_instance *inst, struct nb_world_ref *ref, struct nb_world **w)
{
	int err;

	if (!ref->open) {
		err = nb_world_open(inst, &ref->w);
		if (err)
			return err;
		ref->open = true;
	}
	*w = &ref->w;
	return 0;
}

void nb_world_put(struct nb_world_ref *ref)
{
	if (ref->open)
		nb_world_close(&ref->w);
	ref->open = false;
}

int64_t nb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * The sandbox's name for messages about an address holder: the endpoint with
 * IPv4 address ip, or with IPv6 address *ip6 when ip6 is not NULL
 */
static void holder_name(struct nb_store *st, const char *network_id, __be32 ip,
			const struct in6_addr *ip6, char *out, size_t size)
{
	struct nb_endpoint_rec *eps = NULL;
	struct nb_sandbox_rec sb;
	size_t i, n = 0;

	snprintf(out, size, "another endpoint");
	if (nb_store_endpoint_list(st, network_id, NULL, &eps, &n))
		return;
	for (i = 0; i < n; i++) {
		if (ip6 ? memcmp(&eps[i].ip6, ip6, sizeof(*ip6)) != 0 : eps[i].ip != ip)
			continue;
		if (!nb_store_sandbox_find(st, eps[i].sandbox_id, &sb))
			snprintf(out, size, "sandbox \"%s\"", sb.name);
		break;
	}
	free(eps);
}

/*
 * Appends net's auxiliary addresses to used[]; a wanted one is refused, named.
 * (A store that lacks them, "{}" or NULL, reserves nothing.)
 */
static int reserve_aux(const struct nb_network_rec *net, const struct nb_sandbox_rec *sb,
		       __be32 want, __be32 **used, size_t *nused)
{
	json_t *aux = net->aux_addresses ? json_loads(net->aux_addresses, 0, NULL) : NULL;
	const char *name;
	json_t *v;
	int err = 0;

	json_object_foreach(aux, name, v)
	{
		__be32 ip, *nu;
		char a[NB_IPV4_STRLEN];

		if (!json_is_string(v) || nb_parse_ipv4(json_string_value(v), &ip))
			continue;
		if (want && ip == want) {
			nb_errorf("sandbox \"%s\": address %s is reserved in network \"%s\" "
				  "(auxiliary address \"%s\")",
				  sb->name, nb_fmt_ipv4(ip, a), net->name, name);
			err = -EADDRNOTAVAIL;
			break;
		}
		nu = realloc(*used, (*nused + 1) * sizeof(*nu));
		if (!nu) {
			err = -ENOMEM;
			break;
		}
		nu[(*nused)++] = ip;
		*used = nu;
	}
	json_decref(aux);
	return err;
}

static int pick_address(struct nb_store *st, const struct nb_network_rec *net,
			const struct nb_sandbox_rec *sb, __be32 want, __be32 *ip)
{
	char a[NB_IPV4_STRLEN], p[NB_CIDR_STRLEN], who[NB_NAME_MAX + 32];
	__be32 *used = NULL, floor = 0;
	size_t nused = 0;
	int err;

	*ip = 0;
	if (!net->subnet.len) {
		/* an IPv6-only network */
		if (!want)
			return 0;
		nb_errorf("sandbox \"%s\": IPv4 address %s given, but network \"%s\" has no "
			  "IPv4 (an IPv6-only network)",
			  sb->name, nb_fmt_ipv4(want, a), net->name);
		return -EINVAL;
	}
	/*
	 * The lowest free address is sought from the network's floor, below which
	 * all are taken: at N sandboxes a create reads the addresses from there
	 * (none on a network filled in order), not all N (issue 20). A wanted
	 * one is checked against them all.
	 */
	err = want ? nb_store_network_ips(st, net->id, &used, &nused)
		   : nb_store_network_ips_floor(st, net->id, &floor, &used, &nused);
	if (err) {
		nb_errorf("network \"%s\": cannot read the addresses in use: %s", net->name,
			  strerror(-err));
		return err;
	}
	/* Docker's auxiliary addresses are never given to a sandbox */
	err = reserve_aux(net, sb, want, &used, &nused);
	if (err) {
		free(used);
		return err;
	}
	if (want) {
		err = nb_ipam_check(&net->subnet, net->gateway, used, nused, want);
		nb_fmt_ipv4(want, a);
		nb_fmt_prefix(&net->subnet, p);
		switch (err) {
		case 0:
			*ip = want;
			break;
		case -ERANGE:
			nb_errorf(
			    "sandbox \"%s\": address %s is outside network \"%s\"'s subnet %s",
			    sb->name, a, net->name, p);
			break;
		case -EADDRNOTAVAIL:
			nb_errorf("sandbox \"%s\": address %s is reserved in network \"%s\" (%s "
				  "address)",
				  sb->name, a, net->name,
				  want == net->gateway	     ? "gateway"
				  : want == net->subnet.addr ? "network"
							     : "broadcast");
			break;
		case -EADDRINUSE:
			holder_name(st, net->id, want, NULL, who, sizeof(who));
			nb_errorf("sandbox \"%s\": address %s is already in use in network \"%s\" "
				  "by %s",
				  sb->name, a, net->name, who);
			break;
		default:
			nb_errorf("sandbox \"%s\": address %s in network \"%s\": %s", sb->name, a,
				  net->name, strerror(-err));
		}
	} else {
		err = nb_ipam_alloc_from(&net->subnet, &net->range, net->gateway, used, nused,
					 floor, ip);
		if (err)
			nb_errorf("network \"%s\": no free address left in %s for sandbox \"%s\"",
				  net->name, nb_fmt_prefix(&net->range, p), sb->name);
		/* all below it taken now, in the same transaction as the endpoint's row */
		if (!err && ntohl(*ip) != UINT32_MAX)
			err = nb_store_network_ip_floor_set(st, net->id, htonl(ntohl(*ip) + 1));
		if (err && *ip)
			nb_errorf("network \"%s\": cannot record its address floor: %s", net->name,
				  strerror(-err));
	}
	free(used);
	return err;
}

/*
 * The endpoint's IPv6 address: want (:: = the lowest free of the v6 range) checked as
 * pick_address checks the v4 one; :: and no error when the network has no IPv6 and
 * nothing was asked; a wanted v6 address on such a network is refused.
 */
static int pick_address6(struct nb_store *st, const struct nb_network_rec *net,
			 const struct nb_sandbox_rec *sb, const struct in6_addr *want,
			 struct in6_addr *ip)
{
	char a[NB_IPV6_STRLEN], p[NB_CIDR6_STRLEN], who[NB_NAME_MAX + 32];
	bool wanted = want && !nb_ipv6_is_zero(want);
	struct in6_addr *used = NULL;
	size_t nused = 0;
	int err;

	memset(ip, 0, sizeof(*ip));
	if (!nb_network_has_v6(net)) {
		if (!wanted)
			return 0;
		nb_errorf("sandbox \"%s\": IPv6 address %s given, but network \"%s\" has no IPv6 "
			  "(create it with --ipv6 and an IPv6 --subnet)",
			  sb->name, nb_fmt_ipv6(want, a), net->name);
		return -EINVAL;
	}
	err = nb_store_network_ips6(st, net->id, &used, &nused);
	if (err) {
		nb_errorf("network \"%s\": cannot read the IPv6 addresses in use: %s", net->name,
			  strerror(-err));
		return err;
	}
	nb_fmt_prefix6(&net->subnet6, p);
	if (wanted) {
		nb_fmt_ipv6(want, a);
		err = nb_ipam6_check(&net->subnet6, &net->gateway6, used, nused, want);
		switch (err) {
		case 0:
			*ip = *want;
			break;
		case -ERANGE:
			nb_errorf("sandbox \"%s\": IPv6 address %s is outside network \"%s\"'s "
				  "subnet %s",
				  sb->name, a, net->name, p);
			break;
		case -EADDRNOTAVAIL:
			nb_errorf("sandbox \"%s\": IPv6 address %s is reserved in network \"%s\" "
				  "(%s address)",
				  sb->name, a, net->name,
				  memcmp(want, &net->gateway6, sizeof(*want)) ? "subnet-router"
									      : "gateway");
			break;
		case -EADDRINUSE:
			holder_name(st, net->id, 0, want, who, sizeof(who));
			nb_errorf("sandbox \"%s\": IPv6 address %s is already in use in network "
				  "\"%s\" by %s",
				  sb->name, a, net->name, who);
			break;
		default:
			nb_errorf("sandbox \"%s\": IPv6 address %s in network \"%s\": %s", sb->name,
				  a, net->name, strerror(-err));
		}
	} else {
		err = nb_ipam6_alloc(&net->subnet6, &net->range6, &net->gateway6, used, nused, ip);
		if (err)
			nb_errorf("network \"%s\": no free IPv6 address left in %s for sandbox "
				  "\"%s\"",
				  net->name, nb_fmt_prefix6(&net->range6, p), sb->name);
	}
	free(used);
	return err;
}

/*
 * What the sandbox's netns already holds: which eth<N> names are taken (an
 * adopted netns may come with its own eth0) and whether it has a default
 * route. Both are best effort: a netns we cannot read is treated as empty,
 * and realize reports the real failure.
 */
struct netns_view {
	char (*links)[NB_IFNAMSIZ];
	size_t nlinks;
	bool has_default;
};

static void netns_look(const struct nb_sandbox_rec *sb, struct netns_view *v)
{
	char dev[NB_IFNAMSIZ];
	struct nb_nl *nl = NULL;
	int fd;

	memset(v, 0, sizeof(*v));
	fd = nb_netns_open(sb->netns);
	if (fd < 0)
		return;
	if (!nb_nl_open_netns(fd, &nl)) {
		if (nb_nl_link_list(nl, "eth", &v->links, &v->nlinks)) {
			v->links = NULL;
			v->nlinks = 0;
		}
		v->has_default = !nb_nl_route_default_dev(nl, dev);
		nb_nl_close(nl);
	}
	close(fd);
}

static bool seq_taken(int seq, const struct nb_endpoint_rec *eps, size_t n,
		      const struct netns_view *v)
{
	char name[NB_IFNAMSIZ];
	size_t i;

	for (i = 0; i < n; i++)
		if (!nb_endpoint_is_special(&eps[i]) && eps[i].seq == seq)
			return true;
	snprintf(name, sizeof(name), "eth%d", seq);
	for (i = 0; i < v->nlinks; i++)
		if (!strcmp(v->links[i], name))
			return true;
	return false;
}

/* host/none: the row is the whole membership; none's netns gets its loopback up */
static int attach_special(struct nb_store *st, const struct nb_network_rec *net,
			  const struct nb_sandbox_rec *sb, struct nb_endpoint_rec *ep)
{
	struct nb_nl *nl = NULL;
	int fd, err;

	err = nb_id_new(ep->id);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot make an endpoint id: %s", sb->name,
			  strerror(-err));
		return err;
	}
	snprintf(ep->network_id, sizeof(ep->network_id), "%s", net->id);
	snprintf(ep->sandbox_id, sizeof(ep->sandbox_id), "%s", sb->id);
	ep->created = nb_now_ns();
	err = nb_store_endpoint_add(st, ep);
	if (err) {
		nb_errorf("sandbox \"%s\": network \"%s\": cannot record the membership: %s",
			  sb->name, net->name, strerror(-err));
		return err;
	}
	if (strcmp(net->driver, NB_DRIVER_NONE))
		return 0;
	fd = nb_netns_open(sb->netns);
	if (fd < 0) {
		err = fd;
	} else {
		err = nb_nl_open_netns(fd, &nl);
		if (!err) {
			err = nb_nl_link_up(nl, "lo");
			nb_nl_close(nl);
		}
		close(fd);
	}
	if (err)
		nb_errorf("sandbox \"%s\": cannot bring loopback up in %s: %s", sb->name, sb->netns,
			  strerror(-err));
	return err;
}

/*
 * An overlay network's address comes from the cluster's store (ovnet.h): the
 * endpoint's key is created there before anything changes here, so an
 * unreachable store fails the attach with nothing done
 */
static int overlay_claim(struct nb_store *st, const struct nb_network_rec *net,
			 const struct nb_sandbox_rec *sb, __be32 want, struct nb_endpoint_rec *ep,
			 struct nb_ovctx *ov)
{
	__be32 *used = NULL;
	size_t nused = 0;
	int err;

	err = nb_store_network_ips(st, net->id, &used, &nused);
	if (err)
		return nb_error(err, "network \"%s\": cannot read the addresses in use: %s",
				net->name, strerror(-err));
	err = nb_id_new(ep->id);
	if (err)
		nb_errorf("sandbox \"%s\": cannot make an endpoint id: %s", sb->name,
			  strerror(-err));
	if (!err)
		err = nb_ovctx_open(st, net, ov);
	if (!err) {
		err = nb_ovep_claim(ov, net, sb, want, used, nused, ep);
		if (err)
			nb_ovctx_close(ov);
	}
	if (err)
		nb_errorf("sandbox \"%s\": not connected to network \"%s\"", sb->name, net->name);
	free(used);
	return err;
}

/* Removes the store's key of an overlay endpoint before the endpoint goes */
static int overlay_release(struct nb_store *st, const struct nb_endpoint_rec *ep)
{
	struct nb_network_rec net;
	struct nb_ovctx ov;
	int err;

	if (nb_store_network_find(st, ep->network_id, &net))
		return 0;
	if (!net.vni) {
		nb_network_rec_clear(&net);
		return 0;
	}
	err = nb_ovctx_open(st, &net, &ov);
	if (!err) {
		err = nb_ovep_release(&ov, &net, ep->ip);
		nb_ovctx_close(&ov);
	} else if (err == -EHOSTDOWN || err == -EIDRM) {
		/* no lease (its keys go with it) or no network in the store: nothing to remove */
		nb_error_clear();
		err = 0;
	}
	if (err)
		nb_errorf("endpoint %.*s on network \"%s\": not removed", NB_SHORT_ID_LEN, ep->id,
			  net.name);
	nb_network_rec_clear(&net);
	return err;
}


/*
 * An IPv6-only endpoint's MAC (02:42 + the last 32 bits of its address) repeats another's
 * of the network only when a fixed --ip6 shares those bits with an address in use in a
 * subnet shorter than /96: refused, naming the holder
 */
static int mac_free(struct nb_store *st, const struct nb_network_rec *net,
		    const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep)
{
	struct nb_endpoint_rec *eps = NULL;
	char a[NB_IPV6_STRLEN], m[18], who[NB_NAME_MAX + 32];
	size_t i, n = 0;
	int err;

	err = nb_store_endpoint_list(st, net->id, NULL, &eps, &n);
	if (err) {
		nb_errorf("network \"%s\": cannot read its endpoints: %s", net->name,
			  strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		if (memcmp(eps[i].mac, ep->mac, sizeof(ep->mac)))
			continue;
		holder_name(st, net->id, 0, &eps[i].ip6, who, sizeof(who));
		nb_errorf("sandbox \"%s\": IPv6 address %s would have MAC %s, which %s has on "
			  "network \"%s\" (an IPv6-only endpoint's MAC is 02:42 + the last four "
			  "bytes of its address); choose another --ip6",
			  sb->name, nb_fmt_ipv6(&ep->ip6, a), nb_fmt_mac(ep->mac, m), who,
			  net->name);
		err = -EADDRINUSE;
		break;
	}
	free(eps);
	return err;
}

int nb_attach(struct nb_store *st, struct nb_world *w, const struct nb_network_rec *net,
	      const struct nb_sandbox_rec *sb, __be32 want, const struct in6_addr *want6,
	      struct nb_endpoint_rec *ep)
{
	return nb_attach_ifname(st, w, net, sb, want, want6, NULL, ep);
}

int nb_attach_ifname(struct nb_store *st, struct nb_world *w, const struct nb_network_rec *net,
		     const struct nb_sandbox_rec *sb, __be32 want, const struct in6_addr *want6,
		     const char *ifname, struct nb_endpoint_rec *ep)
{
	struct nb_endpoint_rec *eps = NULL;
	struct netns_view view = {0};
	char a[NB_IPV4_STRLEN];
	struct nb_ovctx ov = {0};
	bool default_route, claimed = false;
	size_t i, neps = 0;
	int err, seq;

	memset(ep, 0, sizeof(*ep));
	err = nb_store_endpoint_find(st, net->id, sb->id, ep);
	if (!err) {
		nb_errorf("sandbox \"%s\" is already connected to network \"%s\"%s%s%s", sb->name,
			  net->name, ep->ifname[0] ? " (as " : "", ep->ifname,
			  ep->ifname[0] ? ")" : "");
		return -EEXIST;
	}
	if (err != -ENOENT) {
		nb_errorf("sandbox \"%s\": network \"%s\": cannot read endpoints: %s", sb->name,
			  net->name, strerror(-err));
		return err;
	}

	memset(ep, 0, sizeof(*ep));
	if (!nb_net_is_bridged(net)) {
		if (want6 && !nb_ipv6_is_zero(want6)) {
			nb_errorf("sandbox \"%s\": network \"%s\" (%s) takes no IPv6 address",
				  sb->name, net->name, net->driver);
			return -EINVAL;
		}
		return attach_special(st, net, sb, ep);
	}

	if (net->vni) {
		/* overlay networks are IPv4-only: their addresses are leased from the store */
		if (want6 && !nb_ipv6_is_zero(want6)) {
			nb_errorf("sandbox \"%s\": overlay network \"%s\" takes no IPv6 address",
				  sb->name, net->name);
			return -EINVAL;
		}
		err = overlay_claim(st, net, sb, want, ep, &ov);
	} else {
		err = pick_address(st, net, sb, want, &ep->ip);
		if (!err)
			err = pick_address6(st, net, sb, want6, &ep->ip6);
	}
	if (err)
		return err;
	claimed = net->vni;

	err = nb_store_endpoint_list(st, NULL, sb->id, &eps, &neps);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read its endpoints: %s", sb->name,
			  strerror(-err));
		goto cleanup;
	}
	netns_look(sb, &view);
	for (seq = 0; seq_taken(seq, eps, neps, &view); seq++)
		;
	default_route = !view.has_default;
	for (i = 0; i < neps; i++)
		if (!nb_endpoint_is_special(&eps[i]))
			default_route = false;

	err = ep->id[0] ? 0 : nb_id_new(ep->id);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot make an endpoint id: %s", sb->name,
			  strerror(-err));
		goto cleanup;
	}
	snprintf(ep->network_id, sizeof(ep->network_id), "%s", net->id);
	snprintf(ep->sandbox_id, sizeof(ep->sandbox_id), "%s", sb->id);
	if (ifname && *ifname)
		snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifname);
	else
		snprintf(ep->ifname, sizeof(ep->ifname), "eth%d", seq);
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "nbe%.11s", ep->id);
	if (ep->ip) {
		nb_mac_from_ipv4(ep->ip, ep->mac);
	} else {
		nb_mac_from_ipv6(&ep->ip6, ep->mac);
		err = mac_free(st, net, sb, ep);
		if (err)
			goto cleanup;
	}
	ep->seq = seq;
	ep->created = nb_now_ns();

	err = nb_store_endpoint_add(st, ep);
	if (err) {
		nb_errorf("sandbox \"%s\": network \"%s\": cannot record the endpoint: %s",
			  sb->name, net->name, strerror(-err));
		goto cleanup;
	}
	err = nb_endpoint_realize(w, net, sb, ep, default_route);
	if (err)
		nb_errorf("sandbox \"%s\": cannot connect to network \"%s\" (%s): %s", sb->name,
			  net->name, ep->host_ifname, strerror(-err));
cleanup:
	/* the cluster's key of an endpoint that did not come to be */
	if (err && claimed && nb_ovep_release(&ov, net, ep->ip))
		nb_errorf("sandbox \"%s\": network \"%s\": address %s stays claimed in the store "
			  "until this host's agent re-lists",
			  sb->name, net->name, nb_fmt_ipv4(ep->ip, a));
	if (claimed)
		nb_ovctx_close(&ov);
	free(view.links);
	free(eps);
	return err;
}

int nb_detach(struct nb_store *st, struct nb_world *w, const struct nb_endpoint_rec *ep, bool force)
{
	struct nb_publish_rec *pubs = NULL;
	size_t npubs = 0;
	int err, pruned;
	bool gone;

	if (!nb_endpoint_is_special(ep)) {
		err = overlay_release(st, ep);
		if (err)
			return err;
	}
	/* the ports published through the endpoint: their rows cascade with it */
	if (w && !nb_endpoint_is_special(ep)) {
		err = nb_publish_endpoint_rows(st, ep, &pubs, &npubs);
		if (err) {
			nb_errorf("endpoint %.*s (%s): cannot read its published ports: %s",
				  NB_SHORT_ID_LEN, ep->id, ep->host_ifname, strerror(-err));
			return err;
		}
	}
	err = nb_store_endpoint_del(st, ep->id);
	if (err) {
		nb_errorf("endpoint %.*s (%s): cannot delete its record: %s", NB_SHORT_ID_LEN,
			  ep->id, ep->host_ifname, strerror(-err));
		free(pubs);
		return err;
	}
	if (nb_endpoint_is_special(ep))
		return 0;
	if (!w)
		return force ? 0 : -ENOENT;
	/* first, so no new connection is steered at an endpoint going away */
	nb_publish_unmap_rows(w, pubs, npubs);
	free(pubs);
	gone = nb_nl_link_ifindex(w->nl, ep->host_ifname) == -ENODEV;
	err = nb_endpoint_unrealize(w, ep);
	if (!err && gone) {
		/*
		 * The veth died with the sandbox's netns, so unrealize cannot name
		 * the ifindex of its map entries: drop every entry the store (which
		 * no longer has this endpoint) does not explain.
		 */
		pruned = nb_world_prune(w, st, NULL, NULL);
		if (pruned < 0)
			nb_errorf(
			    "endpoint %.*s (%s): its device is gone and its map entries could "
			    "not be pruned: %s (`netbpfctl gc` retries)",
			    NB_SHORT_ID_LEN, ep->id, ep->host_ifname, strerror(-pruned));
	}
	if (err) {
		nb_errorf("endpoint %.*s (%s): cannot remove it from the kernel: %s%s",
			  NB_SHORT_ID_LEN, ep->id, ep->host_ifname, strerror(-err),
			  force ? " (ignored: -f)" : "");
		if (force)
			err = 0;
	}
	return err;
}

int nb_reattach(struct nb_store *st, struct nb_world *w, const struct nb_network_rec *net,
		const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep)
{
	struct nb_endpoint_rec *eps = NULL;
	struct nb_publish_rec *pubs = NULL;
	struct netns_view view;
	bool default_route = true;
	size_t i, n = 0, npubs = 0;
	int err;

	if (nb_endpoint_is_special(ep))
		return 0;
	if (!w)
		return -ENOENT;
	/* the endpoint had the default route when it was the sandbox's first */
	if (!nb_store_endpoint_list(st, NULL, sb->id, &eps, &n))
		for (i = 0; i < n; i++)
			if (!nb_endpoint_is_special(&eps[i]) && eps[i].seq < ep->seq)
				default_route = false;
	free(eps);
	netns_look(sb, &view);
	free(view.links);
	err = nb_endpoint_realize(w, net, sb, ep, default_route && !view.has_default);
	if (err) {
		nb_errorf("sandbox \"%s\": could not restore endpoint %s on network \"%s\": %s; "
			  "`netbpfctl up` restores it from the state",
			  sb->name, ep->host_ifname, net->name, strerror(-err));
		return err;
	}
	/* its published ports, back in the store after the caller's rollback */
	if (!nb_publish_endpoint_rows(st, ep, &pubs, &npubs)) {
		err = nb_publish_map_rows(st, w, pubs, npubs);
		if (err)
			nb_errorf("sandbox \"%s\": could not restore the ports published through %s: "
				  "%s; `netbpfctl up` restores them from the state",
				  sb->name, ep->host_ifname, strerror(-err));
		free(pubs);
	}
	return err;
}

int nb_netns_is_host(const char *path)
{
	int fd, self, same = 0;

	fd = nb_netns_open(path);
	if (fd < 0)
		return 0;
	self = nb_netns_open_self();
	if (self >= 0) {
		same = nb_netns_same(fd, self) == 1;
		close(self);
	}
	close(fd);
	return same;
}

int nb_host_netns_path(char *path, size_t size)
{
	struct dirent *de;
	DIR *dir;

	if (nb_netns_is_host("/proc/1/ns/net")) {
		snprintf(path, size, "/proc/1/ns/net");
		return 0;
	}
	dir = opendir(NB_NETNS_RUN_DIR);
	if (!dir)
		return -ENOENT;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, size, "%s/%s", NB_NETNS_RUN_DIR, de->d_name);
		if (nb_netns_is_host(path)) {
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return -ENOENT;
}

int nb_sandbox_special_net(struct nb_store *st, const struct nb_sandbox_rec *sb,
			   const char **driver, size_t *nbridge)
{
	struct nb_endpoint_rec *eps = NULL;
	struct nb_network_rec net;
	size_t i, n = 0;
	int err;

	*driver = NULL;
	if (nbridge)
		*nbridge = 0;
	err = nb_store_endpoint_list(st, NULL, sb->id, &eps, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (!nb_endpoint_is_special(&eps[i])) {
			if (nbridge)
				(*nbridge)++;
			continue;
		}
		err = nb_store_network_find(st, eps[i].network_id, &net);
		if (err)
			break;
		*driver = strcmp(net.driver, NB_DRIVER_HOST) ? NB_DRIVER_NONE : NB_DRIVER_HOST;
		nb_network_rec_clear(&net);
	}
	free(eps);
	return err;
}

int nb_endpoint_aliases_put(struct nb_store *st, const struct nb_sandbox_rec *sb,
			    const struct nb_network_rec *net, const struct nb_endpoint_rec *ep,
			    const char *const *aliases, size_t n)
{
	json_t *list;
	const char *why;
	char *text;
	size_t i, j;
	int err;

	if (!n)
		return 0;
	if (net->builtin) {
		nb_errorf("sandbox \"%s\": network \"%s\": network-scoped aliases are supported "
			  "only on user-defined networks",
			  sb->name, net->name);
		return -EINVAL;
	}
	list = json_array();
	if (!list)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		why = NULL;
		if (nb_name_check(aliases[i], &why)) {
			nb_errorf("sandbox \"%s\": network \"%s\": invalid alias \"%s\": %s",
				  sb->name, net->name, aliases[i], why ? why : "");
			json_decref(list);
			return -EINVAL;
		}
		for (j = 0; j < i && strcmp(aliases[j], aliases[i]); j++)
			;
		if (j == i)
			json_array_append_new(list, json_string(aliases[i]));
	}
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!text)
		return -ENOMEM;
	err = nb_store_endpoint_set_aliases(st, ep->id, text);
	free(text);
	if (err)
		nb_errorf("sandbox \"%s\": network \"%s\": cannot record the aliases: %s",
			  sb->name, net->name, strerror(-err));
	return err;
}
