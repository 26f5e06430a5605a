/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Overlay networks in the cluster's store (issue 17's control plane,
 * docs/overlay.md): what `network create -d overlay`, `network rm`, the
 * attach/detach of an overlay endpoint and the agent keep in etcd. Layout:
 *
 *   /netbpf/v1/networks/<name>         the network (JSON, nb_ovnet_json); no lease
 *   /netbpf/v1/vni/<vni>               "<name>": who owns the VNI (create-if-absent)
 *   /netbpf/v1/blocks/<name>/<a.b.c.d>/<len>  "<host id>": an address block, under
 *                                      the host's lease (flannel's leased subnets)
 *   /netbpf/v1/endpoints/<name>/<ip>   {"id","ip","mac","host","underlay","name",
 *                                      "sandbox"}, under the host's lease
 *
 * An endpoint key per address makes an address cluster-wide unique (the key is
 * created only when absent); every endpoint txn compares the network key's mod
 * revision, and `network rm` deletes the network comparing the same revision
 * after finding no endpoint, so the two cannot cross.
 *
 * Every function returns 0 or -errno with a message naming the network and the
 * cause in the error slot; a store that does not answer changes nothing.
 */
#ifndef NETBPF_OVNET_H
#define NETBPF_OVNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "cluster.h"
#include "etcd.h"
#include "store.h"

#define NB_CLUSTER_NETWORKS  NB_CLUSTER_PREFIX "networks/"
#define NB_CLUSTER_VNIS	     NB_CLUSTER_PREFIX "vni/"
#define NB_CLUSTER_BLOCKS    NB_CLUSTER_PREFIX "blocks/"
#define NB_CLUSTER_ENDPOINTS NB_CLUSTER_PREFIX "endpoints/"
#define NB_OVERLAY_BLOCK_LEN 26	  /* a host's address block: a /26 (64 addresses) */
#define NB_OVERLAY_VNI_FIRST 4096 /* Docker's overlay driver starts there too */

/* ---- pure: records and keys (unit-tested) --------------------------------- */

/* The network's record in the store (malloc'd JSON) */
char *nb_ovnet_json(const struct nb_network_rec *n);
/* A network record read back (driver "overlay", net_id 0); -EINVAL when it is not one */
int nb_ovnet_parse(const char *value, size_t len, struct nb_network_rec *n);

struct nb_ovep {
	char net[NB_NAME_MAX + 1]; /* the network's name */
	char id[NB_ID_LEN + 1];	   /* the endpoint's id */
	__be32 ip;
	__u8 mac[6];
	char host[40];		    /* the host id */
	char underlay[64];	    /* the host's advertised address */
	char name[NB_NAME_MAX + 1]; /* the sandbox's name */
	char sandbox[NB_ID_LEN + 1];
};

char *nb_ovep_json(const struct nb_ovep *ep);
/* key /netbpf/v1/endpoints/<net>/<ip>; -EINVAL when it is not an endpoint record */
int nb_ovep_parse(const char *key, const char *value, size_t len, struct nb_ovep *ep);
/* "/netbpf/v1/endpoints/<net>/<ip>" */
void nb_ovep_key(const char *net, __be32 ip, char *buf, size_t size);

/*
 * The block of subnet that holds ip: a NB_OVERLAY_BLOCK_LEN prefix, or the subnet itself
 * when it is smaller
 */
void nb_ovblock_of(const struct nb_prefix *subnet, __be32 ip, struct nb_prefix *block);
/* "/netbpf/v1/blocks/<net>/<a.b.c.d>/<len>" */
void nb_ovblock_key(const char *net, const struct nb_prefix *block, char *buf, size_t size);

/* ---- the store -------------------------------------------------------------- */

/* The overlay networks in the store, ordered by name; *modrev (may be NULL): each key's */
int nb_ovnet_list(struct nb_etcd *e, struct nb_network_rec **v, int64_t **modrev, size_t *n);
/*
 * Reads one: -ENOENT when absent (no message). *modrev may be NULL.
 */
int nb_ovnet_get(struct nb_etcd *e, const char *name, struct nb_network_rec *n, int64_t *modrev);

/*
 * Puts rec (id, subnet... filled; vni 0: allocated here) into the store with a VNI
 * taken by create-if-absent, in one txn that also requires the name to be free:
 * -EEXIST naming the network when another host has it (two hosts creating one name
 * agree: one wins, the other is told), or when its subnet overlaps another overlay
 * network's. rec->vni is set.
 */
int nb_ovnet_publish(struct nb_etcd *e, struct nb_network_rec *rec);
/* Takes a published network back (its create failed locally): only when it is still ours */
void nb_ovnet_unpublish(struct nb_etcd *e, const struct nb_network_rec *rec);
/*
 * `network rm`: -EBUSY naming the endpoints and their hosts while any host has one;
 * otherwise deletes the network and its VNI in a txn comparing the network key's mod
 * revision (-EAGAIN when an endpoint came in between: the caller says so). -ENOENT
 * when the store has no such network.
 */
int nb_ovnet_remove(struct nb_etcd *e, const struct nb_network_rec *net);

/* The endpoints of network net (NULL: every network) in the store, sorted by network and ip */
int nb_ovep_list(struct nb_etcd *e, const char *net, struct nb_ovep **v, size_t *n);

/* The same through the instance's store settings (st: its state), for `network inspect` */
int nb_ovnet_endpoints(struct nb_store *st, const char *net, struct nb_ovep **v, size_t *n);

/*
 * What attaching an endpoint to an overlay network needs from the store, in one go:
 * a client, this host (id, advertised address, lease) and the network key's revision.
 */
struct nb_ovctx {
	struct nb_etcd *e;
	struct nb_cluster_cfg cfg;
	int64_t lease;	/* this host's lease (the agent keeps it) */
	int64_t modrev; /* the network key's mod revision */
	char key[160];	/* the endpoint key created, "" when none */
};

/*
 * Connects to the instance's store and reads this host's lease and the network:
 * -ENOENT (no store: an overlay network needs one), -EHOSTDOWN (the host is not
 * registered: netbpfd is not running), -EIDRM (the network left the store).
 */
int nb_ovctx_open(struct nb_store *st, const struct nb_network_rec *net, struct nb_ovctx *c);
void nb_ovctx_close(struct nb_ovctx *c);

/*
 * Picks ep->ip (want, checked cluster-wide; or the lowest free address of a block this
 * host holds, claiming the next free block when they are full) and creates the
 * endpoint's key (ep->id, sandbox, mac derived from ip here): c->key names it.
 * used[]: the addresses the local state holds on the network.
 */
int nb_ovep_claim(struct nb_ovctx *c, const struct nb_network_rec *net,
		  const struct nb_sandbox_rec *sb, __be32 want, const __be32 *used, size_t nused,
		  struct nb_endpoint_rec *ep);
/* Deletes an endpoint's key when it is this host's (0 also when absent) */
int nb_ovep_release(struct nb_ovctx *c, const struct nb_network_rec *net, __be32 ip);

/*
 * A host back in the cluster (new lease): re-claims the blocks and re-creates the
 * endpoint keys of every overlay endpoint in the local state. Conflicts (another host
 * took a block or an address meanwhile) are logged and counted in *conflicts.
 */
int nb_ovnet_restore(struct nb_etcd *e, struct nb_store *st, const struct nb_cluster_cfg *cfg,
		     int64_t lease, int *conflicts);

#endif
