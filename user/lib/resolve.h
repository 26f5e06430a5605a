/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * From what a user typed to what the state holds: range-checked numbers and
 * Docker's booleans, a network spec (`network create`'s options, a CNI
 * config's) validated into a network record, and Docker's name-or-id-prefix
 * resolution of networks and sandboxes with the messages every front end
 * gives. Apart from the state lookups, pure functions of their input
 * (tests/unit/test_cli.c covers them).
 */
#ifndef NETBPF_RESOLVE_H
#define NETBPF_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dataplane.h"
#include "store.h"

/* ---- the state ------------------------------------------------------------ */

/*
 * nb_store_open() on the instance's state dir, with a message on failure; a
 * state that is not the pin dir's owner's (lost, emptied, another instance's)
 * is refused (nb_state_check, owner.h)
 */
int nb_open_state(const struct nb_instance *inst, bool writer, struct nb_store **st);
/* the same without nb_state_check(): for up and down, which check more (owner.h) */
int nb_open_state_unchecked(const struct nb_instance *inst, bool writer, struct nb_store **st);
/*
 * Docker's resolution (exact name, then unique id prefix) with the messages
 * every command gives: "network \"x\" not found", an ambiguous prefix, ...
 */
int nb_find_network(struct nb_store *st, const char *name_or_id, struct nb_network_rec *out);
int nb_find_sandbox(struct nb_store *st, const char *name_or_id, struct nb_sandbox_rec *out);

/* ---- values -------------------------------------------------------------- */

/* Decimal in [min, max]: -EINVAL when not a number, -ERANGE when outside */
int nb_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* "true" or "false" only (Docker's -o values as netbpf accepts them) */
int nb_parse_bool(const char *s, bool *out);
/* "KEY=VALUE" (or "KEY" when !value_required, value "") into obj; -EINVAL when malformed */
int nb_kv_put(json_t *obj, const char *kv, bool value_required);

/* ---- network create ------------------------------------------------------ */

#define NB_OPT_ICC	    "com.docker.network.bridge.enable_icc"
#define NB_OPT_MASQ	    "com.docker.network.bridge.enable_ip_masquerade"
#define NB_OPT_HOST_BINDING "com.docker.network.bridge.host_binding_ipv4"
#define NB_OPT_MTU	    "com.docker.network.driver.mtu"
/* kept and shown as Docker shows it; netbpf names its devices itself (nbg<net_id>) */
#define NB_OPT_BRIDGE_NAME  "com.docker.network.bridge.name"
/* NB_OPT_GATEWAY_MODE: store.h (realize reads it too); NB_MTU_*: <netbpf/consts.h> */

struct nb_host_net;

/* `network create`'s input as typed; NULL = not given */
struct nb_net_spec {
	const char *name;
	const char *driver; /* NULL = bridge */
	const char *subnet;
	const char *gateway;
	const char *ip_range;
	/* IPv6 (Docker's --ipv6 with a v6 --subnet, and its --gateway/--ip-range) */
	bool ipv6;
	bool no_ipv4; /* Docker 27's --ipv4=false: an IPv6-only network (needs ipv6 + subnet6) */
	const char *subnet6;
	const char *gateway6;
	const char *ip_range6;
	const char *mtu; /* --mtu; applied after -o (so it wins over -o ...driver.mtu) */
	bool internal;
	const char **labels; /* --label K[=V] */
	size_t nlabels;
	const char **opts; /* -o KEY=VALUE */
	size_t nopts;
	bool attachable; /* --attachable: kept and shown */
	const char **aux; /* --aux-address NAME=IP: inside the subnet, kept out of IPAM */
	size_t naux;
	/*
	 * The host netns's routes and addresses (nb_host_nets_read): a subnet picked
	 * from the pools skips them, an explicit one overlapping one is refused,
	 * naming it, unless force (`--force`; Docker has no such override).
	 */
	const struct nb_host_net *host;
	size_t nhost;
	bool force;
};

/*
 * Builds the record of a new network from spec, validated against the
 * existing networks (name taken, subnet overlap, and the free subnet picked
 * from Docker's pools when none is given). Fills every field but id, net_id
 * and created; rec->options/labels are malloc'd JSON text (free with
 * nb_network_rec_clear). IPv6 needs both --ipv6 and a v6 subnet (no v6 subnet is
 * picked: Docker 20.10 has no default IPv6 pool either). Prints the cause naming the network;
 * returns -EINVAL (bad input), -EEXIST (name taken or overlap with a network or, unless forced,
 * with the host's routes and addresses), -ENOSPC (no pool).
 */
int nb_net_spec_resolve(const struct nb_net_spec *spec, const struct nb_network_rec *others,
			size_t nothers, struct nb_network_rec *rec);

#endif
