/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * netbpfd's DNS for user-defined bridge networks, Docker's embedded DNS on
 * the gateway address (UDP and TCP port 53, in the host netns where the
 * gateways live): the names of the network's sandboxes from the state
 * (user/lib/dns.c), everything else forwarded to the host's resolvers.
 */
#ifndef NETBPFD_RESOLVER_H
#define NETBPFD_RESOLVER_H

#include <netbpf/netbpf.h>

/* starts the thread; resolv_conf names the upstream resolvers. -errno, printed */
int nbd_resolver_start(const struct nb_instance *inst, const char *resolv_conf);
void nbd_resolver_stop(void);

#endif
