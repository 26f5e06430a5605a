// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Making the kernel match the store, one network or endpoint at a time.
 *
 * Realizing is idempotent as well as all-or-nothing: `up` replays the whole
 * state over a live system, so every step first looks at what is there and
 * only adds what is missing (devices that exist stay, a program already
 * attached is not re-attached, map entries are re-put in place). Only what
 * this call created is removed again when a later step fails; devices that
 * were there before belong to the live data plane and stay untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>
#include <jansson.h>

#include "ethtool.h"
#include "fault.h"
#include "hooks.h"
#include "ipam.h"
#include "log.h"
#include "mapio.h"
#include "netns.h"
#include "overlay.h"
#include "realize.h"
#include "v6maps.h"

/* Whether any uplink (nb_uplinks' keys) runs an XDP program now */
static bool uplink_has_xdp(const struct nb_maps *m)
{
	struct nb_dp_xdp_state xs;
	__u32 *keys = NULL;
	bool found = false;
	size_t n = 0, i;

	if (m->uplinks < 0 || nb_map_keys(m->uplinks, sizeof(*keys), (void **)&keys, &n))
		return false;
	for (i = 0; i < n && !found; i++) {
		memset(&xs, 0, sizeof(xs));
		found = !nb_dp_xdp_query((int)keys[i], &xs) && xs.prog_id;
	}
	free(keys);
	return found;
}

int nb_world_open(const struct nb_instance *inst, struct nb_world *w)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->inst = inst;
	nb_maps_init(&w->maps);
	err = nb_dp_maps(inst, &w->maps);
	if (err)
		return err;
	/* an instance from before XDP mode has no flags: tc */
	nb_dp_mode_get(inst, &w->mode);
	/*
	 * XDP mode whose uplinks all kept tc alone (veths, drivers without native XDP):
	 * nothing is redirected into a sandbox at XDP, so its endpoints are tc mode's,
	 * with no XDP_PASS program on the sandbox side to pay for
	 */
	if (w->mode == NB_DP_MODE_XDP && !uplink_has_xdp(&w->maps))
		w->mode = NB_DP_MODE_TC;
	err = nb_nl_open(&w->nl);
	if (err) {
		nb_errorf("cannot open a netlink socket: %s", strerror(-err));
		nb_maps_close(&w->maps);
		w->nl = NULL;
	}
	return err;
}

void nb_world_close(struct nb_world *w)
{
	if (!w)
		return;
	nb_nl_close(w->nl);
	w->nl = NULL;
	nb_maps_close(&w->maps);
}

void nb_network_ifnames(__u32 net_id, char gw[NB_IFNAMSIZ], char port[NB_IFNAMSIZ])
{
	snprintf(gw, NB_IFNAMSIZ, "nbg%u", net_id);
	snprintf(port, NB_IFNAMSIZ, "nbp%u", net_id);
}

static int tc_ensure(struct nb_world *w, int ifindex, const char *prog)
{
	int err = nb_dp_tc_ensure(w->inst, ifindex, prog, false);

	return err < 0 ? err : 0;
}

/*
 * XDP mode (with an uplink running XDP, see nb_world_open()): the pass-through
 * program on the sandbox side, so that the veth takes the frames "xdp_uplink"
 * redirects into it, and the devmap entry. The
 * host side keeps tc alone: XDP there cost more than it saved (docs/xdp.md),
 * so an endpoint of an older XDP-mode instance loses its "xdp_endpoint" here
 * and gets its sandbox side's checksum offload back. tc mode: none of it.
 */
static int endpoint_xdp(struct nb_world *w, int netns_fd, struct nb_nl *snl, int ifindex,
			const struct nb_endpoint_rec *ep, const char **step)
{
	int sb_ifindex, err;

	sb_ifindex = nb_nl_link_ifindex(snl, ep->ifname);
	if (sb_ifindex < 0)
		return sb_ifindex;
	if (w->mode != NB_DP_MODE_XDP) {
		*step = "detaching the XDP programs";
		err = nb_dp_xdp_detach(netns_fd, sb_ifindex);
		/* never in XDP mode (the usual case): nothing to undo */
		if (err == -ENOENT)
			return 0;
		if (!err)
			err = nb_dp_xdp_dev_del(w->inst, ifindex);
		if (err && err != -ENOENT)
			return err;
	}
	/* an endpoint made by an XDP-mode netbpf before "xdp_endpoint" was dropped */
	*step = "detaching program \"" NB_PROG_XDP_ENDPOINT "\"";
	err = nb_dp_xdp_detach(-1, ifindex);
	if (!err) {
		/* it turned checksum offload off on the sandbox side: back on */
		*step = "turning TX checksum offload back on on the sandbox side";
		err = nb_dp_tx_csum_set(netns_fd, ep->ifname, true);
	} else if (err == -ENOENT) {
		err = 0;
	}
	if (err)
		return err;
	if (w->mode != NB_DP_MODE_XDP)
		return 0;
	*step = "attaching program \"" NB_PROG_XDP_SANDBOX "\" to the sandbox side";
	err = nb_dp_xdp_attach(w->inst, netns_fd, sb_ifindex, NB_PROG_XDP_SANDBOX, true, NULL);
	if (err)
		return err;
	*step = "writing map " NB_MAP_NAME(NB_MAP_XDP_DEVS);
	return nb_dp_xdp_dev_put(w->inst, ifindex);
}

/*
 * A sandbox is no router: the gateway pair never takes its router
 * advertisements for the host's IPv6 routes (CVE-2020-13401; the data plane
 * drops them too, policy.bpf.h). Writes accept_ra=0 of ifname in the netns
 * this runs in; a kernel without IPv6 has nothing to turn off.
 */
static int no_router_adverts(const char *ifname)
{
	char path[96];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && access("/proc/sys/net/ipv6", F_OK) ? 0 : -errno;
	if (write(fd, "0\n", 2) != 2)
		err = -errno;
	close(fd);
	return err;
}

/*
 * An endpoint's host side is a switch port: the data plane takes every frame
 * on it, and no address of the host lives there. Without IPv6 on it, bringing
 * it up adds no fe80::/64 and ff00::/8 route to the host's netns: each such
 * route joins the one node every port's route shares (fib6_add_rt2node()
 * walks them), O(N) per sandbox created, removed or restored at N. Written in
 * the netns this runs in (the host's); a kernel without IPv6 has nothing to
 * turn off.
 */
static int port_no_ipv6(const char *ifname)
{
	char path[96];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && access("/proc/sys/net/ipv6", F_OK) ? 0 : -errno;
	if (write(fd, "1\n", 2) != 2)
		err = -errno;
	close(fd);
	return err;
}

/* Docker's gateway_mode_ipv4=routed (see NB_OPT_GATEWAY_MODE) */
static bool is_routed(const struct nb_network_rec *net)
{
	json_t *o = net->options ? json_loads(net->options, 0, NULL) : NULL;
	const char *mode = json_string_value(json_object_get(o, NB_OPT_GATEWAY_MODE));
	bool routed = mode && !strcmp(mode, "routed");

	json_decref(o);
	return routed;
}

static bool is_bridge(const struct nb_network_rec *net)
{
	return nb_net_is_bridged(net);
}

/*
 * The MTU of a network's devices: an overlay network's frames cross the underlay in
 * VXLAN, so they are NB_OVERLAY_OVERHEAD smaller than nbvx0's underlay (its MTU is
 * already the underlay's minus the overhead; without it, the default's minus it)
 */
static unsigned int net_mtu(struct nb_world *w, const struct nb_network_rec *net)
{
	unsigned int mtu = net->mtu ? net->mtu : NB_MTU_DEFAULT, dev;
	int ifindex;

	if (!net->vni)
		return mtu;
	if (nb_overlay_dev_info(w->nl, &ifindex, &dev))
		dev = NB_MTU_DEFAULT - NB_OVERLAY_OVERHEAD;
	return dev < mtu ? dev : mtu;
}

int nb_network_realize(struct nb_world *w, const struct nb_network_rec *net)
{
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ], ip[NB_IPV4_STRLEN];
	struct nb_network val = {0};
	struct nb_veth_opts o = {.peer_netns_fd = -1};
	bool created = false, put = false;
	int gw_idx, port_idx, err;
	const char *step;

	if (!is_bridge(net))
		return 0;
	if (!net->net_id || (!net->gateway && !nb_network_has_v6(net)))
		return -EINVAL;
	nb_network_ifnames(net->net_id, gw, port);
	/* an IPv6-only network's gateway MAC by the IPv6-only rule (ipam.h) */
	if (net->gateway)
		nb_mac_from_ipv4(net->gateway, val.gw_mac);
	else
		nb_mac_from_ipv6(&net->gateway6, val.gw_mac);

	step = "looking it up";
	gw_idx = nb_nl_link_ifindex(w->nl, gw);
	if (gw_idx == -ENODEV) {
		step = "creating the veth pair";
		o.name = gw;
		o.mac = val.gw_mac;
		o.peer_name = port;
		o.mtu = net_mtu(w, net);
		err = nb_nl_veth_add(w->nl, &o);
		if (err)
			goto cleanup;
		created = true;
		gw_idx = nb_nl_link_ifindex(w->nl, gw);
	}
	if (gw_idx < 0) {
		err = gw_idx;
		goto cleanup;
	}
	step = "looking up its peer";
	port_idx = nb_nl_link_ifindex(w->nl, port);
	if (port_idx < 0) {
		err = port_idx;
		goto cleanup;
	}

	step = "turning IPv6 router advertisements off (accept_ra=0)";
	err = no_router_adverts(gw);
	if (!err)
		err = no_router_adverts(port);
	if (err)
		goto cleanup;

	step = "adding the gateway address";
	err = net->gateway ? nb_nl_addr_add(w->nl, gw, net->gateway, net->subnet.len) : 0;
	if (err == -EEXIST)
		err = 0;
	if (err)
		goto cleanup;
	if (nb_network_has_v6(net)) {
		/* its link-local is EUI-64 of the gateway MAC: what the programs answer NS for */
		step = "setting IPv6 addr_gen_mode eui64";
		err = nb_nl_link_addr_gen_eui64(w->nl, gw);
		if (err)
			goto cleanup;
		/* no DAD: only the control plane hands out the gateway's address */
		step = "adding the gateway's IPv6 address";
		err = nb_nl_addr6_add(w->nl, gw, &net->gateway6, net->subnet6.len, true);
		if (err == -EEXIST)
			err = 0;
		if (err)
			goto cleanup;
	}

	/* the program and the maps before the links come up: no frame meets a half switch */
	step = "attaching program \"" NB_PROG_GATEWAY "\"";
	err = tc_ensure(w, port_idx, NB_PROG_GATEWAY);
	if (err)
		goto cleanup;

	step = "writing the maps";
	val.subnet = net->subnet.addr;
	val.prefixlen = net->subnet.len;
	val.gateway = net->gateway;
	val.gw_ifindex = gw_idx;
	val.gwport_ifindex = port_idx;
	val.flags = (net->icc ? NB_NET_F_ICC : 0) | (net->internal ? NB_NET_F_INTERNAL : 0) |
		    (net->masquerade ? NB_NET_F_MASQ : 0) | (is_routed(net) ? NB_NET_F_ROUTED : 0) |
		    (net->vni ? NB_NET_F_OVERLAY : 0);
	val.vni = net->vni;
	val.mtu = net_mtu(w, net);
	err = nb_net6_fill(&val, nb_network_has_v6(net) ? &net->subnet6.addr : NULL,
			   (uint8_t)net->subnet6.len, &net->gateway6);
	if (err)
		goto cleanup;
	err = nb_maps_network_put(&w->maps, net->net_id, &val);
	if (err)
		goto cleanup;
	put = true;
	if (net->vni) {
		step = "mapping its VNI";
		err = nb_overlay_net_set(&w->maps, net->net_id, net->vni);
		if (err)
			goto cleanup;
	}

	step = "bringing it up";
	err = nb_nl_link_up(w->nl, port);
	if (!err)
		err = nb_nl_link_up(w->nl, gw);
cleanup:
	if (err) {
		nb_errorf("network \"%s\": gateway port %s (%s/%d): %s: %s", net->name, gw,
			  nb_fmt_ipv4(net->gateway, ip), net->subnet.len, step, strerror(-err));
		if (created) {
			if (put)
				nb_maps_network_del(&w->maps, net->net_id);
			nb_nl_link_del(w->nl, gw);
		}
	}
	return err;
}

int nb_network_unrealize(struct nb_world *w, const struct nb_network_rec *net)
{
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
	int err, err2;

	if (!is_bridge(net) || !net->net_id)
		return 0;
	nb_network_ifnames(net->net_id, gw, port);
	/* the VNI first: nothing decapsulated is steered at a network going away */
	err = net->vni ? nb_overlay_net_clear(&w->maps, net->vni) : 0;
	if (!err)
		err = nb_maps_network_del(&w->maps, net->net_id);
	if (err)
		nb_errorf("network \"%s\": cannot remove its map entries: %s", net->name,
			  strerror(-err));
	/* deleting one end of the pair deletes the other */
	err2 = nb_nl_link_del(w->nl, gw);
	if (err2 == -ENODEV)
		err2 = nb_nl_link_del(w->nl, port);
	if (err2 == -ENODEV)
		err2 = 0;
	if (err2)
		nb_errorf("network \"%s\": cannot delete %s: %s", net->name, gw, strerror(-err2));
	return err ? err : err2;
}

/*
 * 1 when host_ifname is a veth whose peer is ifname inside the sandbox, 0 when
 * the pair is not there (or not whole), -errno on failure.
 */
/*
 * The endpoint's entry in the port map at ifindex: its network, addresses and
 * MAC, and the cookie of its sandbox's netns (0 until the netns is known)
 */
static int endpoint_port_put(struct nb_world *w, const struct nb_network_rec *net,
			     const struct nb_endpoint_rec *ep, __u64 netns_cookie, int ifindex)
{
	struct nb_port port = {.kind = NB_PORT_ENDPOINT,
			       .net_id = net->net_id,
			       .ip = ep->ip,
			       .netns_cookie = netns_cookie};
	int err;

	memcpy(port.mac, ep->mac, sizeof(port.mac));
	err = nb_port6_fill(&port, &ep->ip6);
	if (err)
		return err;
	return nb_maps_endpoint_put(&w->maps, ifindex, &port);
}

static int endpoint_pair_exists(struct nb_world *w, struct nb_nl *snl,
				const struct nb_endpoint_rec *ep)
{
	struct nb_link_info sb;
	int host, err;

	/*
	 * The sandbox side is asked (its netns knows one peer netns), the host
	 * side only for its ifindex: its RTM_GETLINK would cost the kernel a walk
	 * of every sandbox's netns id, per endpoint (up, gc: O(N^2)). The sandbox
	 * side's veth names its peer by ifindex in the peer's netns, the host's.
	 */
	err = nb_nl_link_info(snl, ep->ifname, &sb);
	if (err)
		return err == -ENODEV ? 0 : err;
	host = nb_nl_link_ifindex(w->nl, ep->host_ifname);
	if (host < 0)
		return host == -ENODEV ? 0 : host;
	return !strcmp(sb.kind, "veth") && sb.peer_ifindex == host;
}

int nb_endpoint_realize(struct nb_world *w, const struct nb_network_rec *net,
			const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep,
			bool default_route)
{
	struct nb_veth_opts o = {.peer_netns_fd = -1};
	__u64 cookie = 0;
	struct nb_nl *snl = NULL;
	char ip[NB_IPV4_STRLEN];
	bool created = false, put = false;
	int fd = -1, ifindex = -1, err;
	const char *step;

	if (!is_bridge(net))
		return -EINVAL;

	step = "opening the sandbox's network namespace";
	fd = nb_netns_open(sb->netns);
	if (fd < 0) {
		err = fd;
		goto cleanup;
	}
	err = nb_nl_open_netns(fd, &snl);
	if (err)
		goto cleanup;
	step = "reading the sandbox's netns cookie";
	err = nb_netns_cookie(fd, &cookie);
	if (err)
		goto cleanup;

	step = "looking up the veth pair";
	err = endpoint_pair_exists(w, snl, ep);
	if (err < 0)
		goto cleanup;
	if (!err) {
		/* a host side without its sandbox side is a leftover: make the pair afresh */
		if (nb_nl_link_ifindex(w->nl, ep->host_ifname) > 0)
			nb_nl_link_del(w->nl, ep->host_ifname);
		step = "creating the veth pair";
		o.name = ep->host_ifname;
		o.peer_name = ep->ifname;
		o.peer_mac = ep->mac;
		o.peer_netns_fd = fd;
		o.mtu = net_mtu(w, net);
		err = nb_nl_veth_add(w->nl, &o);
		if (err == -EEXIST)
			step =
			    "creating the veth pair (the name is taken in the host or the sandbox)";
		if (err)
			goto cleanup;
		created = true;
		nb_fault("endpoint:veth");
	}
	ifindex = nb_nl_link_ifindex(w->nl, ep->host_ifname);
	if (ifindex < 0) {
		err = ifindex;
		goto cleanup;
	}

	step = "configuring the sandbox side";
	err = ep->ip ? nb_nl_addr_add(snl, ep->ifname, ep->ip, net->subnet.len) : 0;
	if (err == -EEXIST)
		err = 0;
	if (!err && !nb_ipv6_is_zero(&ep->ip6)) {
		/*
		 * the link-local the programs expect is EUI-64 of the endpoint's MAC; the
		 * global one does DAD, which the switch leaves unanswered for the sender's own
		 * addresses
		 */
		step = "configuring IPv6 on the sandbox side";
		err = nb_nl_link_addr_gen_eui64(snl, ep->ifname);
		if (!err)
			err = nb_nl_addr6_add(snl, ep->ifname, &ep->ip6, net->subnet6.len, false);
		if (err == -EEXIST)
			err = 0;
	}
	if (!err)
		err = nb_nl_link_up(snl, ep->ifname);
	if (!err)
		err = nb_nl_link_up(snl, "lo");
	if (err)
		goto cleanup;
	if (default_route && ep->ip) {
		step = "adding the default route";
		err = nb_nl_route_default_add(snl, net->gateway);
		if (err == -EEXIST)
			err = 0;
		if (err)
			goto cleanup;
	}
	/*
	 * the first network with IPv6 gives the IPv6 default route, whichever gave the IPv4
	 * one (a sandbox that has one keeps it: -EEXIST)
	 */
	if (!nb_ipv6_is_zero(&ep->ip6)) {
		step = "adding the IPv6 default route";
		err = nb_nl_route6_default_add(snl, &net->gateway6);
		if (err == -EEXIST)
			err = 0;
		if (err)
			goto cleanup;
	}

	step = "turning IPv6 off on the host side (disable_ipv6=1)";
	err = port_no_ipv6(ep->host_ifname);
	if (err)
		goto cleanup;
	step = "attaching program \"" NB_PROG_ENDPOINT "\"";
	err = tc_ensure(w, ifindex, NB_PROG_ENDPOINT);
	if (err)
		goto cleanup;

	/*
	 * Up before the maps make the endpoint reachable: once they name it, frames
	 * come in (another host's, through the tunnel, as soon as its key is in the
	 * store), and the sandbox answers them at once. With the host side still
	 * down its first ARP request would be lost on the veth, and the sandbox's
	 * kernel asks again only a second later (retrans_time). Until the maps are
	 * written, the program drops what the sandbox sends (no port).
	 */
	step = "bringing the host side up";
	err = nb_nl_link_up(w->nl, ep->host_ifname);
	if (err)
		goto cleanup;

	step = "writing the maps";
	err = endpoint_port_put(w, net, ep, cookie, ifindex);
	if (err)
		goto cleanup;
	put = true;
	nb_fault("endpoint:maps");

	/* a pair just made in tc mode has no XDP program to take off (the
	 * host side's RTM_GETLINK walks every netns id: O(N) at N sandboxes) */
	if (!created || w->mode == NB_DP_MODE_XDP)
		err = endpoint_xdp(w, fd, snl, ifindex, ep, &step);
cleanup:
	if (err) {
		nb_errorf("endpoint %s (%s %s in sandbox \"%s\", %s): %s: %s", ep->host_ifname,
			  ep->ifname, nb_fmt_ipv4(ep->ip, ip), sb->name, sb->netns, step,
			  strerror(-err));
		if (created) {
			if (put)
				nb_maps_endpoint_del(&w->maps, ifindex);
			nb_nl_link_del(w->nl, ep->host_ifname);
		}
	}
	nb_nl_close(snl);
	if (fd >= 0)
		close(fd);
	return err;
}

int nb_endpoint_realize_peer(struct nb_world *w, const struct nb_network_rec *net,
			     const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep)
{
	struct nb_veth_opts o = {.peer_netns_fd = -1};
	__u64 cookie = 0;
	char ip[NB_IPV4_STRLEN];
	bool created = false, put = false;
	int fd = -1, ifindex = -1, err = 0;
	const char *step;

	if (!is_bridge(net))
		return -EINVAL;
	/*
	 * The sandbox's cookie keeps the socket hooks off its own 127.0.0.1. Docker
	 * makes the netns after Join (runc's prestart hook): then the cookie is 0
	 * until nb_endpoint_port_refresh() finds the netns.
	 */
	step = "reading the sandbox's netns cookie";
	fd = nb_netns_open(sb->netns);
	if (fd >= 0)
		err = nb_netns_cookie(fd, &cookie);
	if (err)
		goto cleanup;

	step = "creating the veth pair";
	o.name = ep->host_ifname;
	o.peer_name = ep->ifname;
	o.peer_mac = ep->mac;
	o.mtu = net_mtu(w, net);
	err = nb_nl_veth_add(w->nl, &o);
	if (err)
		goto cleanup;
	created = true;
	ifindex = nb_nl_link_ifindex(w->nl, ep->host_ifname);
	if (ifindex < 0) {
		err = ifindex;
		goto cleanup;
	}
	step = "turning IPv6 off on the host side (disable_ipv6=1)";
	err = port_no_ipv6(ep->host_ifname);
	if (err)
		goto cleanup;
	step = "attaching program \"" NB_PROG_ENDPOINT "\"";
	err = tc_ensure(w, ifindex, NB_PROG_ENDPOINT);
	if (err)
		goto cleanup;
	step = "writing the maps";
	err = endpoint_port_put(w, net, ep, cookie, ifindex);
	if (err)
		goto cleanup;
	put = true;
	/* XDP stays attached to the peer when the runtime moves it into the sandbox;
	 * in tc mode the pair just made has none to take off */
	if (w->mode == NB_DP_MODE_XDP)
		err = endpoint_xdp(w, -1, w->nl, ifindex, ep, &step);
	if (err)
		goto cleanup;
	step = "bringing the host side up";
	err = nb_nl_link_up(w->nl, ep->host_ifname);
cleanup:
	if (err) {
		nb_errorf("endpoint %s (peer %s, %s, sandbox \"%s\", %s): %s: %s", ep->host_ifname,
			  ep->ifname, nb_fmt_ipv4(ep->ip, ip), sb->name, sb->netns, step,
			  strerror(-err));
		if (put)
			nb_maps_endpoint_del(&w->maps, ifindex);
		if (created)
			nb_nl_link_del(w->nl, ep->host_ifname);
	}
	if (fd >= 0)
		close(fd);
	return err;
}

int nb_endpoint_port_refresh(struct nb_world *w, const struct nb_network_rec *net,
			     const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep)
{
	__u64 cookie = 0;
	int fd, ifindex, err;

	ifindex = nb_nl_link_ifindex(w->nl, ep->host_ifname);
	if (ifindex < 0)
		return ifindex;
	fd = nb_netns_open(sb->netns);
	if (fd < 0)
		return fd;
	err = nb_netns_cookie(fd, &cookie);
	close(fd);
	if (err)
		return err;
	return endpoint_port_put(w, net, ep, cookie, ifindex);
}

int nb_endpoint_unrealize(struct nb_world *w, const struct nb_endpoint_rec *ep)
{
	int ifindex, err;

	ifindex = nb_nl_link_ifindex(w->nl, ep->host_ifname);
	if (ifindex == -ENODEV)
		return 0; /* gone with its netns; `gc` clears map entries left behind */
	if (ifindex < 0)
		return ifindex;
	/* the map entries first: the port stops forwarding before the device goes */
	err = nb_maps_endpoint_del(&w->maps, ifindex);
	if (!err)
		err = nb_dp_xdp_dev_del(w->inst, ifindex);
	if (err)
		return err;
	err = nb_nl_link_del(w->nl, ep->host_ifname);
	return err == -ENODEV ? 0 : err;
}

/* ---- pruning: map entries the store no longer explains ------------------ */

struct idset {
	__u32 *v;
	size_t n, cap;
};

static int idset_add(struct idset *s, __u32 id)
{
	__u32 *grown;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		grown = realloc(s->v, s->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->v = grown;
	}
	s->v[s->n++] = id;
	return 0;
}

static bool idset_has(const struct idset *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return true;
	return false;
}

static void report(nb_prune_report_fn fn, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(nb_prune_report_fn fn, void *arg, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fn)
		fn(arg, buf);
}

/* The net_ids of bridge networks and the ifindexes of their live ports */
static int valid_sets(struct nb_world *w, struct nb_store *st, struct idset *nets,
		      struct idset *ifs)
{
	struct nb_network_rec *netv = NULL;
	struct nb_endpoint_rec *epv = NULL;
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
	size_t nn = 0, ne = 0, i;
	int idx, err;

	err = nb_store_network_list(st, &netv, &nn);
	if (err)
		return err;
	for (i = 0; i < nn && !err; i++) {
		if (!is_bridge(&netv[i]) || !netv[i].net_id)
			continue;
		err = idset_add(nets, netv[i].net_id);
		nb_network_ifnames(netv[i].net_id, gw, port);
		idx = nb_nl_link_ifindex(w->nl, gw);
		if (!err && idx > 0)
			err = idset_add(ifs, idx);
		idx = nb_nl_link_ifindex(w->nl, port);
		if (!err && idx > 0)
			err = idset_add(ifs, idx);
	}
	nb_network_recs_free(netv, nn);
	if (err)
		return err;
	err = nb_store_endpoint_list(st, NULL, NULL, &epv, &ne);
	if (err)
		return err;
	for (i = 0; i < ne && !err; i++) {
		idx = nb_nl_link_ifindex(w->nl, epv[i].host_ifname);
		if (idx > 0)
			err = idset_add(ifs, idx);
	}
	free(epv);
	return err;
}

int nb_world_prune(struct nb_world *w, struct nb_store *st, nb_prune_report_fn fn, void *arg)
{
	struct idset nets = {0}, ifs = {0};
	size_t n = 0, i, j;
	void *keys = NULL;
	int err, removed = 0;

	err = valid_sets(w, st, &nets, &ifs);
	if (err)
		goto cleanup;

	/* networks the store does not have */
	err = nb_map_keys(w->maps.networks, sizeof(__u32), &keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		__u32 id = ((__u32 *)keys)[i];

		if (idset_has(&nets, id))
			continue;
		err = nb_maps_network_del(&w->maps, id);
		if (err)
			goto cleanup;
		report(fn, arg, "map %s: network %u (not in the state)",
		       NB_MAP_NAME(NB_MAP_NETWORKS), id);
		removed++;
	}
	free(keys);
	keys = NULL;

	/* ports whose interface is no current endpoint or gateway port */
	err = nb_map_keys(w->maps.ports, sizeof(__u32), &keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		__u32 idx = ((__u32 *)keys)[i];
		struct nb_port p;

		if (idset_has(&ifs, idx) || nb_map_get(w->maps.ports, &idx, &p))
			continue;
		if (p.kind == NB_PORT_ENDPOINT)
			err = nb_maps_endpoint_del(&w->maps, idx);
		else
			err = nb_map_del(w->maps.ports, &idx);
		if (err)
			goto cleanup;
		report(fn, arg, "map %s: %s port ifindex %u (no such interface)",
		       NB_MAP_NAME(NB_MAP_PORTS),
		       p.kind == NB_PORT_ENDPOINT ? "endpoint" : "gateway", idx);
		removed++;
	}
	free(keys);
	keys = NULL;

	/* forwarding and ARP entries pointing at a vanished interface or network */
	err = nb_map_keys(w->maps.fdb, sizeof(struct nb_fdb_key), &keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		struct nb_fdb_key *k = (struct nb_fdb_key *)keys + i;
		struct nb_fdb_val v;
		char mac[18];

		if (nb_map_get(w->maps.fdb, k, &v))
			continue;
		if (idset_has(&nets, k->net_id) && idset_has(&ifs, v.ifindex))
			continue;
		err = nb_map_del(w->maps.fdb, k);
		if (err)
			goto cleanup;
		report(fn, arg, "map %s: network %u MAC %s -> ifindex %u", NB_MAP_NAME(NB_MAP_FDB),
		       k->net_id, nb_fmt_mac(k->mac, mac), v.ifindex);
		removed++;
	}
	free(keys);
	keys = NULL;

	err = nb_map_keys(w->maps.neigh, sizeof(struct nb_neigh_key), &keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		struct nb_neigh_key *k = (struct nb_neigh_key *)keys + i;
		struct nb_neigh_val v;
		char ip[NB_IPV4_STRLEN];

		if (nb_map_get(w->maps.neigh, k, &v))
			continue;
		if (idset_has(&nets, k->net_id) && idset_has(&ifs, v.ifindex))
			continue;
		err = nb_map_del(w->maps.neigh, k);
		if (err)
			goto cleanup;
		report(fn, arg, "map %s: network %u address %s -> ifindex %u",
		       NB_MAP_NAME(NB_MAP_NEIGH), k->net_id, nb_fmt_ipv4(k->ip, ip), v.ifindex);
		removed++;
	}
	free(keys);
	keys = NULL;

	err = nb_map_keys(w->maps.subnets, sizeof(struct nb_lpm_key), &keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		struct nb_lpm_key *k = (struct nb_lpm_key *)keys + i;
		char buf[NB_CIDR_STRLEN];
		struct nb_prefix p;
		__u32 id;

		if (nb_map_get(w->maps.subnets, k, &id) || idset_has(&nets, id))
			continue;
		err = nb_map_del(w->maps.subnets, k);
		if (err)
			goto cleanup;
		p.addr = k->addr;
		p.len = k->prefixlen;
		report(fn, arg, "map %s: %s -> network %u", NB_MAP_NAME(NB_MAP_SUBNETS),
		       nb_fmt_prefix(&p, buf), id);
		removed++;
	}
	free(keys);
	keys = NULL;

	/* IPv6: NDP entries and subnets of vanished interfaces or networks (an older pin
	 * dir may lack the maps: nothing to prune there) */
	if (w->maps.neigh6 >= 0) {
		err = nb_map_keys(w->maps.neigh6, sizeof(struct nb_neigh6_key), &keys, &n);
		if (err)
			goto cleanup;
	} else {
		n = 0;
	}
	for (i = 0; i < n; i++) {
		struct nb_neigh6_key *k = (struct nb_neigh6_key *)keys + i;
		struct nb_neigh_val v;
		char ip[INET6_ADDRSTRLEN];

		if (nb_map_get(w->maps.neigh6, k, &v))
			continue;
		if (idset_has(&nets, k->net_id) && idset_has(&ifs, v.ifindex))
			continue;
		err = nb_map_del(w->maps.neigh6, k);
		if (err)
			goto cleanup;
		report(fn, arg, "map %s: network %u address %s -> ifindex %u",
		       NB_MAP_NAME(NB_MAP_NEIGH6), k->net_id,
		       inet_ntop(AF_INET6, k->ip6, ip, sizeof(ip)) ? ip : "?", v.ifindex);
		removed++;
	}
	free(keys);
	keys = NULL;

	if (w->maps.subnets6 >= 0) {
		err = nb_map_keys(w->maps.subnets6, sizeof(struct nb_lpm6_key), &keys, &n);
		if (err)
			goto cleanup;
	} else {
		n = 0;
	}
	for (i = 0; i < n; i++) {
		struct nb_lpm6_key *k = (struct nb_lpm6_key *)keys + i;
		char ip[INET6_ADDRSTRLEN];
		__u32 id;

		if (nb_map_get(w->maps.subnets6, k, &id) || idset_has(&nets, id))
			continue;
		err = nb_map_del(w->maps.subnets6, k);
		if (err)
			goto cleanup;
		report(fn, arg, "map %s: %s/%u -> network %u", NB_MAP_NAME(NB_MAP_SUBNETS6),
		       inet_ntop(AF_INET6, k->addr, ip, sizeof(ip)) ? ip : "?", k->prefixlen, id);
		removed++;
	}
	free(keys);
	keys = NULL;

	/* flood lists: drop the members that are gone, keep the order of the rest */
	err = nb_map_keys(w->maps.flood, sizeof(__u32), &keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		__u32 id = ((__u32 *)keys)[i], kept = 0, count;
		struct nb_flood *fl = malloc(sizeof(*fl));

		if (!fl) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (nb_map_get(w->maps.flood, &id, fl) || !idset_has(&nets, id)) {
			free(fl);
			continue; /* a flood list of a deleted network went with network_del */
		}
		count = fl->count < NB_MAX_FLOOD ? fl->count : NB_MAX_FLOOD;
		for (j = 0; j < count; j++)
			if (idset_has(&ifs, fl->ifindex[j]))
				fl->ifindex[kept++] = fl->ifindex[j];
		if (kept != fl->count) {
			report(fn, arg, "map %s: network %u: %u of %u ports",
			       NB_MAP_NAME(NB_MAP_FLOOD), id, fl->count - kept, fl->count);
			removed++;
			fl->count = kept;
			memset(&fl->ifindex[kept], 0, (NB_MAX_FLOOD - kept) * sizeof(__u32));
			err = nb_map_put(w->maps.flood, &id, fl, BPF_EXIST);
		}
		free(fl);
		if (err)
			goto cleanup;
	}
cleanup:
	free(keys);
	free(nets.v);
	free(ifs.v);
	return err ? err : removed;
}
