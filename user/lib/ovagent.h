/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The cluster agent's overlay half (issue 17, docs/overlay.md): what it does
 * with the keys of ovnet.h it lists and watches. An overlay network of the
 * store becomes a network of the local state and kernel (nb_network_adopt);
 * one the store no longer has goes, unless this host still has endpoints on
 * it. An endpoint of another host becomes a remote endpoint of the data plane
 * (nb_remote_ep_put, overlay.h) and leaves it on its DELETE, which etcd also
 * sends when the host's lease expires. Endpoints of networks this host does
 * not have yet are remembered and put when the network comes.
 *
 * Called from the agent's watching thread, but nb_ovagent_check (any thread).
 */
#ifndef NETBPF_OVAGENT_H
#define NETBPF_OVAGENT_H

#include <stdbool.h>

#include "cluster.h"
#include "etcd.h"

struct nb_instance;
struct nb_ovagent;

/* cfg: the agent's settings (this host's id, the store), kept by the caller */
int nb_ovagent_new(const struct nb_instance *inst, const struct nb_cluster_cfg *cfg,
		   struct nb_ovagent **out);
void nb_ovagent_free(struct nb_ovagent *g);

/* One key of the layout changed (or was listed: put) */
void nb_ovagent_event(struct nb_ovagent *g, bool put, const struct nb_etcd_kv *kv);
/*
 * After a list: what the agent holds but the list has not is gone (remote endpoints,
 * networks), and the data plane's remote endpoints nobody explains are removed
 */
void nb_ovagent_relisted(struct nb_ovagent *g, const struct nb_etcd_kvs *kvs);
/* Releases what a batch of events opened (the maps, netlink) */
void nb_ovagent_flush(struct nb_ovagent *g);
/*
 * From any thread, now and then: when the data plane's maps were made anew
 * (`netbpfctl down` and `up`), puts every remote endpoint into them again
 */
void nb_ovagent_check(struct nb_ovagent *g);

#endif
