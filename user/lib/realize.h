/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Making the kernel match a record of the store: the devices, addresses,
 * routes, tc attachments and map entries of a network and of an endpoint.
 * Used by the commands that create objects and by `up` (which replays the
 * whole state after `down` or a reboot). Each realize function is
 * all-or-nothing: on failure it removes what it created before returning.
 * Each unrealize function tolerates pieces already gone (gc, crashes).
 *
 * Device names: gateway nbg<net_id> (holds the gateway address; the host's
 * route to the subnet points at it) and its peer nbp<net_id> (tc ingress
 * "gateway"); endpoint host side = rec->host_ifname (tc ingress "endpoint"),
 * sandbox side = rec->ifname. MAC of nbg<net_id>: nb_mac_from_ipv4(gateway).
 */
#ifndef NETBPF_REALIZE_H
#define NETBPF_REALIZE_H

#include <stdbool.h>

#include "dataplane.h"
#include "maps.h"
#include "nl.h"
#include "store.h"

struct nb_world {
	const struct nb_instance *inst;
	struct nb_nl *nl; /* route socket of the instance's (host) netns */
	struct nb_maps maps; /* pinned maps of the instance */
	/* the endpoints' mode: `up --mode`, but tc in xdp mode when no uplink runs XDP */
	enum nb_dp_mode mode;
};

/* Opens nl and the pinned maps; -ENOENT with a clear message when not up */
int nb_world_open(const struct nb_instance *inst, struct nb_world *w);
void nb_world_close(struct nb_world *w);

/* bridge networks only; host/none have nothing in the kernel */
int nb_network_realize(struct nb_world *w, const struct nb_network_rec *net);
int nb_network_unrealize(struct nb_world *w, const struct nb_network_rec *net);

/*
 * The endpoint's veth pair (sandbox side created inside sb->netns with its
 * MAC, address/prefix, MTU, up; loopback up), the default route via the
 * gateway when default_route, tc "endpoint" on the host side, maps; in XDP mode (w->mode)
 * also "xdp_sandbox" on the sandbox side and the devmap entry.
 */
int nb_endpoint_realize(struct nb_world *w, const struct nb_network_rec *net,
			const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep,
			bool default_route);
int nb_endpoint_unrealize(struct nb_world *w, const struct nb_endpoint_rec *ep);
/*
 * For runtimes that move the sandbox side themselves (Docker's remote driver
 * protocol): the veth pair with both ends in the host netns, the peer named
 * ep->ifname (a temporary name the runtime renames) with ep->mac and left
 * unconfigured; tc "endpoint" on the host side (XDP on the peer in xdp mode) and the
 * maps, with sb->netns's cookie (0 while that netns does not exist yet: the
 * runtime may make it later). All-or-nothing; -EEXIST when a name is taken.
 */
int nb_endpoint_realize_peer(struct nb_world *w, const struct nb_network_rec *net,
			     const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep);
/* Puts the endpoint's port entry again with sb->netns's cookie (-ENOENT: no netns yet) */
int nb_endpoint_port_refresh(struct nb_world *w, const struct nb_network_rec *net,
			     const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep);

/* "nbg<net_id>" and "nbp<net_id>" */
void nb_network_ifnames(__u32 net_id, char gw[NB_IFNAMSIZ], char port[NB_IFNAMSIZ]);

/*
 * Deletes the map entries the store does not explain: networks not in it,
 * ports/fdb/neigh/flood/counter entries whose interface is no current
 * endpoint or gateway port. fn (may be NULL) is told each removal in words.
 * Returns how many entries it removed, or -errno.
 */
typedef void (*nb_prune_report_fn)(void *arg, const char *what);
int nb_world_prune(struct nb_world *w, struct nb_store *st, nb_prune_report_fn fn, void *arg);

#endif
