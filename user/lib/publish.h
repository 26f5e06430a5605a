/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Published ports, store and kernel together: the rows of the store's
 * publish table and their nb_publish map entries (nat.h). Shared by
 * `publish`/`unpublish`, `sandbox create -p`, `up` (which re-puts every
 * row, so publishing survives `down`/`up`), `gc` and nb_detach/nb_reattach
 * (membership.h), so a port lives exactly as long as the endpoint it goes
 * through.
 *
 * A sandbox's ports go through its first bridge endpoint (lowest seq): the
 * map entry names that endpoint's address, network and host-side veth.
 * Without an IP in the spec the host address is that network's
 * host_binding_ipv4 (0.0.0.0 = every host address).
 *
 * Everything runs inside the caller's store transaction; the map writes of
 * a failed call are undone before it returns, and those of a call that
 * succeeded are handed back so that the caller can undo them when a later
 * step fails (nb_publish_unmap / nb_publish_remap). Messages name the
 * sandbox, the spec and the cause.
 */
#ifndef NETBPF_PUBLISH_H
#define NETBPF_PUBLISH_H

#include <stddef.h>

#include "portspec.h"
#include "realize.h"
#include "store.h"

/*
 * The endpoint sb's ports go through and its network (net->options/labels
 * malloc'd: nb_network_rec_clear). -ENOENT, without a message, when sb is on
 * no bridge network.
 */
int nb_publish_target(struct nb_store *st, const struct nb_sandbox_rec *sb,
		      struct nb_network_rec *net, struct nb_endpoint_rec *ep);

/*
 * Publishes spec for sb: the rows, then the map entries. Appends the new
 * mappings to *done (realloc'd; *ndone counts them). Errors: -EINVAL (bad
 * spec, no bridge network), -ERANGE (port outside 1..65535), -EADDRNOTAVAIL
 * (not a host address), -EEXIST (taken: the holder is named), -EADDRINUSE
 * (no free host port left, or a host process listens on or has bound the port:
 * named), or what the store / the map returned.
 */
int nb_publish_add(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
		   const char *spec, struct nb_portmap **done, size_t *ndone);
/*
 * nb_publish_add through via, one of sb's bridge endpoints, instead of the
 * first (NULL: the first): Docker's ProgramExternalConnectivity names the
 * endpoint of the sandbox's gateway network, which need not be its first.
 */
int nb_publish_add_via(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
		       const struct nb_endpoint_rec *via, const char *spec,
		       struct nb_portmap **done, size_t *ndone);

/*
 * Unpublishes what spec names for sb: each of its container ports must be
 * published (on the spec's host port and address, or the network's binding
 * when it names none; any host port when it gives none). Rows first, then
 * the map entries, so new connections stop at once. Appends the removed rows
 * to *removed (realloc'd). -ENOENT when a port of the spec is not published.
 */
int nb_publish_remove(struct nb_store *st, struct nb_world *w, const struct nb_sandbox_rec *sb,
		      const char *spec, struct nb_publish_rec **removed, size_t *nremoved);

/*
 * nb_publish_remove's matching, store-free: sets sel[j] for each of rows (one
 * sandbox's) that is a mapping of s, want[j] being the host address s means
 * for row j (its IP, or row j's network's binding). A row matches container
 * port sb_min + i when protocol, container port and address are equal and its
 * host port is host_min + i (ranges of equal length), inside host_min..host_max
 * (a host range for one container port) or anything (no host port). Returns
 * the index i of the first container port no row matches, or
 * nb_portspec_count(s) when every one has a row. O(nrows + count).
 */
size_t nb_publish_select(const struct nb_publish_rec *rows, size_t nrows, const __be32 *want,
			 const struct nb_portspec *s, bool *sel);

/*
 * `publish --allow`: each of the nallow IPv4 prefixes may reach each IPv4
 * mapping of the ndone just published (their rows must exist), each of the
 * nallow6 IPv6 prefixes each IPv6 one, and from outside nothing else may:
 * rows of publish_allow(6) and entries of nb_pub_allow(6). A mapping of a
 * family without a prefix: -EINVAL. Undone by the
 * rollback (rows) and nb_publish_unmap() (entries).
 */
int nb_publish_allow(struct nb_store *st, struct nb_world *w, const struct nb_portmap *done,
		     size_t ndone, const struct nb_prefix *allow, size_t nallow,
		     const struct nb_prefix6 *allow6, size_t nallow6);
/* Every allow-list of the state into nb_pub_allow and nb_pub_allow6 (nb_publish_sync() with
 * put does it) */
int nb_publish_allow_restore(struct nb_store *st, struct nb_world *w);
/* Those of published IPv6 ports alone (nb_publish_allow_restore() calls it) */
int nb_publish_allow6_restore(struct nb_store *st, struct nb_world *w);

/* Takes mappings out of the map (undoing nb_publish_add) */
void nb_publish_unmap(struct nb_world *w, const struct nb_portmap *v, size_t n);
/* Deletes the map entries of rows (nb_detach, undoing nb_publish_remove's rows' kernel side) */
void nb_publish_unmap_rows(struct nb_world *w, const struct nb_publish_rec *rows, size_t n);
/* Puts the map entries of rows, targets read from the store (undoing nb_publish_remove) */
int nb_publish_map_rows(struct nb_store *st, struct nb_world *w, const struct nb_publish_rec *rows,
			size_t n);

/* The rows published through an endpoint (read before its row goes: they cascade) */
/* A sandbox's (NULL: every) published ports, IPv4 rows then IPv6 rows (v6 set) */
int nb_publish_list_all(struct nb_store *st, const char *sandbox_id, struct nb_publish_rec **rows,
			size_t *n);
int nb_publish_endpoint_rows(struct nb_store *st, const struct nb_endpoint_rec *ep,
			     struct nb_publish_rec **rows, size_t *n);

/*
 * Makes nb_publish the projection of the store: with put, every row whose
 * endpoint's veth exists is (re-)put with the endpoint's current ifindex
 * (`up`; *nput counts them, may be NULL); then every entry the store has no
 * row for is deleted, each told to fn (may be NULL) in words. Returns how
 * many entries were deleted, or -errno.
 */
int nb_publish_sync(struct nb_store *st, struct nb_world *w, bool put, size_t *nput,
		    nb_prune_report_fn fn, void *arg);

/*
 * The reverse of nb_publish_add's check: for each of rows[n], the host socket
 * that holds its host port now (bound after the port was published: the data
 * plane hands that socket's clients to the sandbox), or NULL, into held[n];
 * the pointers point into *ls (malloc'd, *nls entries). Returns how many rows
 * are held, or -errno.
 */
struct nb_listener;
int nb_publish_host_held(const struct nb_publish_rec *rows, size_t n, struct nb_listener **ls,
			 size_t *nls, const struct nb_listener **held);

/*
 * Whether row r maps container port sb_port/proto from a host port in host_min..host_max
 * (0..0: any) on an address of family: NB_FAMILY_V4 ip, NB_FAMILY_V6 ip6, NB_FAMILY_ANY any
 * address of either family. How a front end finds a mapping it published already (Docker
 * programs a sandbox again, a runtime repeats an ADD).
 */
bool nb_publish_row_is(const struct nb_publish_rec *r, enum nb_family family, __be32 ip,
		       const struct in6_addr *ip6, __u16 host_min, __u16 host_max, __u16 sb_port,
		       __u8 proto);

/* `docker port` order: container port, protocol, host address, host port */
void nb_publish_sort(struct nb_publish_rec *rows, size_t n);

/*
 * nb_publish_sync's matching of map entries to rows: nb_publish_sort_by_key
 * orders rows by the map's key (host address, host port, protocol), then
 * nb_publish_find_key returns the row with that key, or NULL, in O(log n).
 */
void nb_publish_sort_by_key(struct nb_publish_rec *rows, size_t n);
const struct nb_publish_rec *nb_publish_find_key(const struct nb_publish_rec *rows, size_t n,
						 __be32 host_ip, __u16 host_port, __u8 proto);

/*
 * nb_publish_add's check of a host port it chooses: with rows sorted by
 * nb_publish_sort_by_key, nb_publish_key_ips writes their distinct host
 * addresses to ips[n] (in key order) and returns how many; nb_publish_key_taken
 * tells whether a row holds host ip:port/proto or the port on an address that
 * collides with ip (nb_portmap_ip_collide: 0.0.0.0 takes the port on all).
 * O(nips + log n) when ip is not 0.0.0.0, O(nips log n) when it is.
 */
size_t nb_publish_key_ips(const struct nb_publish_rec *rows, size_t n, __be32 *ips);
bool nb_publish_key_taken(const struct nb_publish_rec *rows, size_t n, const __be32 *ips,
			  size_t nips, __be32 ip, __u16 port, __u8 proto);

static inline struct nb_portmap nb_publish_portmap(const struct nb_publish_rec *r)
{
	struct nb_portmap m = {
	    .host_ip = r->host_ip,
	    .host_port = r->host_port,
	    .sb_port = r->sb_port,
	    .proto = r->proto,
	    .v6 = r->v6,
	    .host_ip6 = r->host_ip6,
	};

	return m;
}

#endif
