/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Creating and removing a network, store and kernel together: what `network
 * create` / `network rm` do and a daemon's CreateNetwork / DeleteNetwork
 * would. Both run inside the caller's store transaction; on failure the
 * kernel holds nothing of the attempt and the caller rolls back. Messages
 * name the network and the cause.
 */
#ifndef NETBPF_NETWORK_H
#define NETBPF_NETWORK_H

#include "dataplane.h"
#include "membership.h"
#include "resolve.h"
#include "store.h"

/*
 * A network from spec (validated against the others and, unless spec->host is given, the
 * host netns's routes and addresses read here: resolve.h), its row, and its
 * gateway port and map entries in the kernel. rec: the new network (clear it with
 * nb_network_rec_clear). After a later failure (the commit), the caller undoes the kernel
 * side with nb_network_unrealize().
 */
int nb_network_create(const struct nb_instance *inst, struct nb_store *st,
		      struct nb_world_ref *world, const struct nb_net_spec *spec,
		      struct nb_network_rec *rec);
/*
 * Removes net: -EPERM for a predefined network, -EBUSY (naming the sandboxes) while
 * endpoints use it; else its row and its kernel side.
 */
int nb_network_remove(const struct nb_instance *inst, struct nb_store *st,
		      struct nb_world_ref *world, const struct nb_network_rec *net);

/*
 * The cluster agent: an overlay network read from the store (ovnet.h) into the local
 * state and kernel, in the caller's transaction. 1 when the state has it already;
 * -EEXIST when its name or subnet collides with one of this host's networks.
 */
int nb_network_adopt(const struct nb_instance *inst, struct nb_store *st,
		     struct nb_world_ref *world, struct nb_network_rec *rec);

#endif
