/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Joining a sandbox to a network and taking it off again, store and kernel
 * together: the address (IPAM), the endpoint's id, interface names and MAC,
 * its row, and its kernel side through realize.h. Shared by `network
 * connect/disconnect` and `sandbox create/rm` (and whatever else attaches
 * sandboxes later, such as a CNI plugin).
 *
 * Both run inside the caller's store transaction. On failure the kernel
 * holds nothing of the attempt and the caller rolls the transaction back.
 * Messages name the sandbox, the network and the cause.
 */
#ifndef NETBPF_MEMBERSHIP_H
#define NETBPF_MEMBERSHIP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "realize.h"
#include "store.h"

/* Docker's words for its host/none rules, so scripts that grep for them still match */
#define NB_MSG_HOST_CONFLICT                                                                       \
	"container cannot be disconnected from host network or connected to host network"
#define NB_MSG_NONE_CONFLICT                                                                       \
	"container cannot be connected to multiple networks with one of the networks in private "  \
	"(none) mode"

/* The world (netlink + maps) of a command, opened on its first need only */
struct nb_world_ref {
	struct nb_world w;
	bool open;
};

int nb_world_get(const struct nb_instance *inst, struct nb_world_ref *ref, struct nb_world **w);
void nb_world_put(struct nb_world_ref *ref);

/* Unix time in nanoseconds, what the records' created fields hold */
int64_t nb_now_ns(void);

/*
 * Connects sb to net. A bridge network: ip = 0 takes the lowest free
 * address of the network's range, otherwise ip is checked (inside the
 * subnet, not reserved, free); the sandbox side is eth<lowest free>, the
 * host side "nbe" + 11 hex digits of the endpoint id; the default route
 * goes via this network's gateway when it is the sandbox's first bridge
 * endpoint and its netns has no default route yet. The predefined host and
 * none networks: an endpoint row without address or interfaces records the
 * membership (the store keeps those apart); none also brings loopback up.
 * w may be NULL for those. ip6 (NULL or :: = the lowest free of the v6 range) is the
 * same for a network with IPv6 (nb_network_has_v6); on one without, a wanted ip6 is
 * refused (-EINVAL) and the endpoint has none. -EEXIST when already connected. The caller
 * checks Docker's host/none conflicts first (nb_sandbox_special_net).
 */
int nb_attach(struct nb_store *st, struct nb_world *w, const struct nb_network_rec *net,
	      const struct nb_sandbox_rec *sb, __be32 ip, const struct in6_addr *ip6,
	      struct nb_endpoint_rec *ep);

/*
 * nb_attach with the sandbox-side interface named ifname (NULL: eth<N> as
 * above) instead of eth<N>, for callers told the name (CNI_IFNAME). The
 * endpoint's seq is still the lowest free one, which orders it for the
 * default route.
 */
int nb_attach_ifname(struct nb_store *st, struct nb_world *w, const struct nb_network_rec *net,
		     const struct nb_sandbox_rec *sb, __be32 want, const struct in6_addr *want6,
		     const char *ifname, struct nb_endpoint_rec *ep);

/*
 * Records Docker's aliases of an endpoint (--alias), replacing what it had:
 * names by the rules of sandbox names, none twice, on user-defined networks
 * only (Docker's rule). n 0 records nothing. -EINVAL naming sandbox and network.
 */
int nb_endpoint_aliases_put(struct nb_store *st, const struct nb_sandbox_rec *sb,
			    const struct nb_network_rec *net, const struct nb_endpoint_rec *ep,
			    const char *const *aliases, size_t n);

/* An endpoint row of the host or none network: nothing of it is in the kernel */
static inline bool nb_endpoint_is_special(const struct nb_endpoint_rec *ep)
{
	return !ep->host_ifname[0];
}

/*
 * Deletes ep's row and its kernel side. With force, a kernel failure is
 * reported but the row goes anyway (the sandbox's netns is gone, or the
 * instance is down and w is NULL).
 */
int nb_detach(struct nb_store *st, struct nb_world *w, const struct nb_endpoint_rec *ep,
	      bool force);

/* Puts back the kernel side of an endpoint nb_detach removed (a later step failed) */
int nb_reattach(struct nb_store *st, struct nb_world *w, const struct nb_network_rec *net,
		const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep);

/*
 * 1 when the netns at path is the one netbpfctl runs in (a `--network host`
 * sandbox), 0 when it is another one or cannot be opened.
 */
int nb_netns_is_host(const char *path);

/*
 * A path naming the netns netbpfctl runs in that stays valid after this
 * process exits: /proc/1/ns/net when it is the init process's, otherwise
 * the /run/netns entry that holds it. -ENOENT when there is none.
 */
int nb_host_netns_path(char *path, size_t size);

/*
 * Which of the predefined host/none networks the sandbox is on: *driver =
 * "host" or "none", NULL when neither. *nbridge (may be NULL) = how many
 * bridge endpoints it has.
 */
int nb_sandbox_special_net(struct nb_store *st, const struct nb_sandbox_rec *sb,
			   const char **driver, size_t *nbridge);

#endif
