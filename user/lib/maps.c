// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The projection of the desired state into the BPF maps (see maps.h).
 *
 * Writers are serialised by the caller (the instance lock), so the
 * read-modify-write of a network's flood list cannot race another writer;
 * the BPF side only ever reads these maps, except the counters.
 *
 * Every *_put writes the new entries before removing what a previous put of
 * the same object left behind, so a re-put over a live system never opens a
 * window in which the object is unreachable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mapio.h"
#include "maps.h"

struct map_desc {
	const char *name;
	size_t off;    /* of the fd in struct nb_maps */
	bool optional; /* may be absent from a pin dir (added by a later object) */
};

#define MAP_DESC(macro, field, opt)                                                                \
	{                                                                                          \
		NB_MAP_NAME(macro), offsetof(struct nb_maps, field), opt                           \
	}

static const struct map_desc map_descs[] = {
    MAP_DESC(NB_MAP_NETWORKS, networks, false),
    MAP_DESC(NB_MAP_PORTS, ports, false),
    MAP_DESC(NB_MAP_FDB, fdb, false),
    MAP_DESC(NB_MAP_NEIGH, neigh, false),
    MAP_DESC(NB_MAP_SUBNETS, subnets, false),
    MAP_DESC(NB_MAP_FLOOD, flood, false),
    MAP_DESC(NB_MAP_EP_STATS, ep_stats, false),
    MAP_DESC(NB_MAP_DROPS, drops, false),
    MAP_DESC(NB_MAP_CONFIG, config, false),
    /* the NAT maps come with the NAT objects: a pin dir may predate them */
    MAP_DESC(NB_MAP_PUBLISH, publish, true),
    MAP_DESC(NB_MAP_CT, ct, true),
    MAP_DESC(NB_MAP_UPLINKS, uplinks, true),
    MAP_DESC(NB_MAP_LOCAL_ADDRS, local_addrs, true),
    MAP_DESC(NB_MAP_FRAGS, frags, true),
    MAP_DESC(NB_MAP_SOCK_RNAT, sock_rnat, true),
    /* and so may these, added later still */
    MAP_DESC(NB_MAP_EP_DROPS, ep_drops, true),
    MAP_DESC(NB_MAP_EVENTS, events, true),
    MAP_DESC(NB_MAP_MONITOR, monitor, true),
    MAP_DESC(NB_MAP_EV_LOST, ev_lost, true),
    MAP_DESC(NB_MAP_XDP_DEVS, xdp_devs, true),
    MAP_DESC(NB_MAP_PUB_TARGETS, pub_targets, true),
    MAP_DESC(NB_MAP_CT_SYN, ct_syn, true),
    MAP_DESC(NB_MAP_PUB_ALLOW, pub_allow, true),
    /* overlay networks (issue 17) */
    MAP_DESC(NB_MAP_VNI, vni, true),
    MAP_DESC(NB_MAP_REMOTE, remote, true),
    MAP_DESC(NB_MAP_REMOTE_IP, remote_ip, true),
    MAP_DESC(NB_MAP_TUNNEL, tunnel, true),
    MAP_DESC(NB_MAP_NEIGH6, neigh6, true),
    MAP_DESC(NB_MAP_SUBNETS6, subnets6, true),
    MAP_DESC(NB_MAP_CT6, ct6, true),
    MAP_DESC(NB_MAP_FRAGS6, frags6, true),
    MAP_DESC(NB_MAP_PUBLISH6, publish6, true),
    MAP_DESC(NB_MAP_SOCK_RNAT6, sock_rnat6, true),
    MAP_DESC(NB_MAP_PUB_ALLOW6, pub_allow6, true),
};

/* every fd of struct nb_maps has a descriptor, or nb_maps_init() would miss it */
_Static_assert(sizeof(map_descs) / sizeof(map_descs[0]) == sizeof(struct nb_maps) / sizeof(int),
	       "struct nb_maps and map_descs[] disagree");

#define N_MAPS (sizeof(map_descs) / sizeof(map_descs[0]))

static int *map_fd(struct nb_maps *m, size_t i)
{
	return (int *)((char *)m + map_descs[i].off);
}

void nb_maps_init(struct nb_maps *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		*map_fd(m, i) = -1;
}

void nb_maps_close(struct nb_maps *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		if (*map_fd(m, i) >= 0)
			close(*map_fd(m, i));
		*map_fd(m, i) = -1;
	}
}

int nb_maps_open_pinned(const char *pin_dir, struct nb_maps *m)
{
	char path[4096];
	size_t i;
	int fd, err;

	nb_maps_init(m);
	for (i = 0; i < N_MAPS; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", pin_dir, map_descs[i].name) >=
		    (int)sizeof(path)) {
			err = -ENAMETOOLONG;
			goto cleanup;
		}
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			if (err == -ENOENT && map_descs[i].optional)
				continue;
			goto cleanup;
		}
		*map_fd(m, i) = fd;
	}
	return 0;
cleanup:
	nb_maps_close(m);
	return err;
}

int nb_maps_from_object(struct bpf_object *obj, struct nb_maps *m)
{
	struct bpf_map *map;
	size_t i;
	int fd, err;

	nb_maps_init(m);
	for (i = 0; i < N_MAPS; i++) {
		map = bpf_object__find_map_by_name(obj, map_descs[i].name);
		if (!map || bpf_map__fd(map) < 0)
			continue;
		fd = fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			err = -errno;
			nb_maps_close(m);
			return err;
		}
		*map_fd(m, i) = fd;
	}
	return 0;
}

/* ---- flood lists ------------------------------------------------------- */

static int flood_add(const struct nb_maps *m, __u32 net_id, __u32 ifindex)
{
	struct nb_flood *fl;
	__u32 i;
	int err;

	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	err = nb_map_get(m->flood, &net_id, fl);
	if (err && err != -ENOENT)
		goto cleanup;
	err = 0;
	for (i = 0; i < fl->count && i < NB_MAX_FLOOD; i++)
		if (fl->ifindex[i] == ifindex)
			goto cleanup;
	if (fl->count >= NB_MAX_FLOOD) {
		err = -ENOSPC;
		goto cleanup;
	}
	fl->ifindex[fl->count++] = ifindex;
	err = nb_map_put(m->flood, &net_id, fl, BPF_ANY);
cleanup:
	free(fl);
	return err;
}

static int flood_remove(const struct nb_maps *m, __u32 net_id, __u32 ifindex)
{
	struct nb_flood *fl;
	__u32 i;
	int err;

	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return -ENOMEM;
	err = nb_map_get(m->flood, &net_id, fl);
	if (err) {
		if (err == -ENOENT)
			err = 0;
		goto cleanup;
	}
	if (fl->count > NB_MAX_FLOOD)
		fl->count = NB_MAX_FLOOD;
	for (i = 0; i < fl->count; i++)
		if (fl->ifindex[i] == ifindex)
			break;
	if (i == fl->count)
		goto cleanup;
	/* order does not matter to flooding: move the last entry into the hole */
	fl->ifindex[i] = fl->ifindex[--fl->count];
	fl->ifindex[fl->count] = 0;
	err = nb_map_put(m->flood, &net_id, fl, BPF_ANY);
cleanup:
	free(fl);
	return err;
}

/* ---- networks ---------------------------------------------------------- */

static void net_keys(__u32 net_id, const struct nb_network *net, struct nb_lpm_key *lpm,
		     struct nb_fdb_key *fdb, struct nb_neigh_key *neigh)
{
	memset(lpm, 0, sizeof(*lpm));
	lpm->prefixlen = net->prefixlen;
	lpm->addr = net->subnet;
	memset(fdb, 0, sizeof(*fdb));
	fdb->net_id = net_id;
	memcpy(fdb->mac, net->gw_mac, sizeof(fdb->mac));
	memset(neigh, 0, sizeof(*neigh));
	neigh->net_id = net_id;
	neigh->ip = net->gateway;
}

static bool ip6_zero(const __u8 *a)
{
	static const __u8 zero[16];

	return !memcmp(a, zero, sizeof(zero));
}

/* IPv6 keys of a network: false when it has no IPv6 */
static bool net_keys6(__u32 net_id, const struct nb_network *net, struct nb_lpm6_key *lpm,
		      struct nb_neigh6_key *neigh)
{
	memset(lpm, 0, sizeof(*lpm));
	memset(neigh, 0, sizeof(*neigh));
	if (!net->prefixlen6)
		return false;
	lpm->prefixlen = net->prefixlen6;
	memcpy(lpm->addr, net->subnet6, sizeof(lpm->addr));
	neigh->net_id = net_id;
	memcpy(neigh->ip6, net->gateway6, sizeof(neigh->ip6));
	return true;
}

/* Only an IPv6-only network lacks an IPv4 subnet: its 0/0 would claim every address */
static bool net_has_v4(const struct nb_network *net)
{
	return net->prefixlen || net->subnet || !net->prefixlen6;
}

/* Deletes the IPv6 entries of an old version of network net_id the new one does not reuse */
static int network_del_stale6(const struct nb_maps *m, __u32 net_id, const struct nb_network *old,
			      const struct nb_network *new)
{
	struct nb_lpm6_key olpm, nlpm;
	struct nb_neigh6_key oneigh, nneigh;
	bool nhas = false;
	__u32 owner;
	int err = 0, e;

	if (!net_keys6(net_id, old, &olpm, &oneigh))
		return 0;
	if (new)
		nhas = net_keys6(net_id, new, &nlpm, &nneigh);
	if ((!nhas || memcmp(&olpm, &nlpm, sizeof(olpm))) &&
	    !nb_map_get(m->subnets6, &olpm, &owner) && owner == net_id) {
		e = nb_map_del(m->subnets6, &olpm);
		err = err ?: e;
	}
	if (!nhas || memcmp(&oneigh, &nneigh, sizeof(oneigh))) {
		e = nb_map_del(m->neigh6, &oneigh);
		err = err ?: e;
	}
	return err;
}

/* Deletes what an old version of network net_id wrote and the new one does not reuse */
static int network_del_stale(const struct nb_maps *m, __u32 net_id, const struct nb_network *old,
			     const struct nb_network *new)
{
	struct nb_lpm_key olpm, nlpm;
	struct nb_fdb_key ofdb, nfdb;
	struct nb_neigh_key oneigh, nneigh;
	__u32 owner;
	int err = 0, e;

	net_keys(net_id, old, &olpm, &ofdb, &oneigh);
	if (new)
		net_keys(net_id, new, &nlpm, &nfdb, &nneigh);
	/* a subnet entry is only ours while it still maps to this network */
	if ((!new || !net_has_v4(new) || memcmp(&olpm, &nlpm, sizeof(olpm))) && net_has_v4(old) &&
	    !nb_map_get(m->subnets, &olpm, &owner) && owner == net_id) {
		e = nb_map_del(m->subnets, &olpm);
		err = err ?: e;
	}
	if (!new || memcmp(&ofdb, &nfdb, sizeof(ofdb))) {
		e = nb_map_del(m->fdb, &ofdb);
		err = err ?: e;
	}
	if (!new || memcmp(&oneigh, &nneigh, sizeof(oneigh))) {
		e = nb_map_del(m->neigh, &oneigh);
		err = err ?: e;
	}
	if (old->gwport_ifindex && (!new || old->gwport_ifindex != new->gwport_ifindex)) {
		e = nb_map_del(m->ports, &old->gwport_ifindex);
		err = err ?: e;
	}
	e = network_del_stale6(m, net_id, old, new);
	return err ?: e;
}

/*
 * Calls fn for every port. The ports are read in batches: one call per 1,024
 * ports instead of two per port, which sandbox create would feel at scale.
 */
static int ports_foreach(const struct nb_maps *m,
			 int (*fn)(__u32 ifindex, const struct nb_port *port, void *arg), void *arg)
{
	enum { CHUNK = 1024 };
	__u32 *keys, count, i, batch = 0;
	bool more = true, first = true;
	struct nb_port *vals;
	int err = 0;

	keys = calloc(CHUNK, sizeof(*keys));
	vals = calloc(CHUNK, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (more && !err) {
		count = CHUNK;
		if (bpf_map_lookup_batch(m->ports, first ? NULL : &batch, &batch, keys, vals,
					 &count, NULL)) {
			err = -errno;
			if (err != -ENOENT)
				goto cleanup;
			err = 0;
			more = false; /* the last batch: count says what it held */
		}
		first = false;
		for (i = 0; i < count && !err; i++)
			err = fn(keys[i], &vals[i], arg);
	}
cleanup:
	free(keys);
	free(vals);
	return err;
}

struct net_flags_arg {
	const struct nb_maps *m;
	__u32 net_id;
	__u16 flags;
};

static int port_net_flags_set(__u32 ifindex, const struct nb_port *port, void *arg)
{
	const struct net_flags_arg *a = arg;
	struct nb_port p = *port;

	if (p.kind != NB_PORT_ENDPOINT || p.net_id != a->net_id || p.net_flags == a->flags)
		return 0;
	p.net_flags = a->flags;
	return nb_map_put(a->m->ports, &ifindex, &p, BPF_EXIST);
}

int nb_maps_network_put(const struct nb_maps *m, __u32 net_id, const struct nb_network *net_in)
{
	struct nb_network old, val = *net_in;
	const struct nb_network *net = &val;
	struct nb_lpm6_key lpm6;
	struct nb_neigh6_key neigh6_key;
	bool has6;
	struct nb_lpm_key lpm;
	struct nb_fdb_key fdb_key;
	struct nb_fdb_val fdb_val = {.ifindex = net_in->gw_ifindex, .flags = NB_FDB_F_GATEWAY};
	struct nb_neigh_key neigh_key;
	struct nb_neigh_val neigh_val = {.ifindex = net_in->gw_ifindex};
	struct nb_port port = {.net_id = net_id, .kind = NB_PORT_GATEWAY, .ip = net_in->gateway};
	struct nb_flood *empty = NULL;
	bool had_old;
	int err;

	if (net->prefixlen > 32 || net->prefixlen6 > 128 || !net->gw_ifindex ||
	    !net->gwport_ifindex)
		return -EINVAL;
	val.pad = 0;
	memset(val.pad6, 0, sizeof(val.pad6));
	/* the flag says "has an IPv6 subnet", nothing else (abi.h) */
	val.flags &= ~NB_NET_F_IPV6;
	if (val.prefixlen6)
		val.flags |= NB_NET_F_IPV6;
	port.net_flags = (__u16)val.flags;
	memcpy(port.ip6, val.gateway6, sizeof(port.ip6));
	has6 = net_keys6(net_id, net, &lpm6, &neigh6_key);
	had_old = nb_map_get(m->networks, &net_id, &old) == 0;
	net_keys(net_id, net, &lpm, &fdb_key, &neigh_key);
	memcpy(neigh_val.mac, net->gw_mac, sizeof(neigh_val.mac));
	memcpy(port.mac, net->gw_mac, sizeof(port.mac));

	/* the network entry first: the programs drop frames of a port whose
	 * network they cannot find */
	err = nb_map_put(m->networks, &net_id, &val, BPF_ANY);
	if (err)
		goto cleanup;
	if (net_has_v4(net)) {
		err = nb_map_put(m->subnets, &lpm, &net_id, BPF_ANY);
		if (err)
			goto cleanup;
	}
	err = nb_map_put(m->fdb, &fdb_key, &fdb_val, BPF_ANY);
	if (err)
		goto cleanup;
	err = nb_map_put(m->neigh, &neigh_key, &neigh_val, BPF_ANY);
	if (err)
		goto cleanup;
	if (has6) {
		err = nb_map_put(m->subnets6, &lpm6, &net_id, BPF_ANY);
		if (err)
			goto cleanup;
		err = nb_map_put(m->neigh6, &neigh6_key, &neigh_val, BPF_ANY);
		if (err)
			goto cleanup;
	}
	err = nb_map_put(m->ports, &net->gwport_ifindex, &port, BPF_ANY);
	if (err)
		goto cleanup;
	/* an empty flood list unless endpoints already have one (re-put) */
	empty = calloc(1, sizeof(*empty));
	if (!empty) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = nb_map_put(m->flood, &net_id, empty, BPF_NOEXIST);
	if (err == -EEXIST)
		err = 0;
	if (err)
		goto cleanup;
	if (had_old && old.flags != net->flags) {
		/* the endpoints carry the flags (nb_port.net_flags) */
		struct net_flags_arg a = {.m = m, .net_id = net_id, .flags = (__u16)net->flags};

		err = ports_foreach(m, port_net_flags_set, &a);
	}
	if (had_old)
		err = err ?: network_del_stale(m, net_id, &old, net);
cleanup:
	/* a new network leaves nothing behind (see nb_maps_endpoint_put()) */
	if (err && !had_old) {
		network_del_stale(m, net_id, net, NULL);
		nb_map_del(m->flood, &net_id);
		nb_map_del(m->networks, &net_id);
	}
	free(empty);
	return err;
}

int nb_maps_network_del(const struct nb_maps *m, __u32 net_id)
{
	struct nb_network old;
	int err, e;

	err = nb_map_get(m->networks, &net_id, &old);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = network_del_stale(m, net_id, &old, NULL);
	e = nb_map_del(m->flood, &net_id);
	err = err ?: e;
	e = nb_map_del(m->networks, &net_id);
	return err ?: e;
}

/* ---- endpoints --------------------------------------------------------- */

/* Deletes an endpoint's fdb/neigh entries, but only while they still point at ifindex */
static int endpoint_del_keys(const struct nb_maps *m, __u32 ifindex, const struct nb_port *port)
{
	struct nb_fdb_key fk = {.net_id = port->net_id};
	struct nb_neigh_key nk = {.net_id = port->net_id, .ip = port->ip};
	struct nb_fdb_val fv;
	struct nb_neigh_val nv;
	int err = 0, e;

	memcpy(fk.mac, port->mac, sizeof(fk.mac));
	if (!nb_map_get(m->fdb, &fk, &fv) && fv.ifindex == ifindex) {
		e = nb_map_del(m->fdb, &fk);
		err = err ?: e;
	}
	if (!nb_map_get(m->neigh, &nk, &nv) && nv.ifindex == ifindex) {
		e = nb_map_del(m->neigh, &nk);
		err = err ?: e;
	}
	if (!ip6_zero(port->ip6)) {
		struct nb_neigh6_key nk6 = {.net_id = port->net_id};

		memcpy(nk6.ip6, port->ip6, sizeof(nk6.ip6));
		if (!nb_map_get(m->neigh6, &nk6, &nv) && nv.ifindex == ifindex) {
			e = nb_map_del(m->neigh6, &nk6);
			err = err ?: e;
		}
	}
	e = flood_remove(m, port->net_id, ifindex);
	return err ?: e;
}

/* Removes what an earlier put of ifindex wrote that the new port no longer uses */
static int endpoint_del_stale(const struct nb_maps *m, __u32 ifindex, const struct nb_port *old,
			      const struct nb_port *new)
{
	struct nb_fdb_key fk = {.net_id = old->net_id};
	struct nb_neigh_key nk = {.net_id = old->net_id, .ip = old->ip};
	struct nb_fdb_val fv;
	struct nb_neigh_val nv;
	bool same_net = old->net_id == new->net_id;
	int err = 0, e;

	memcpy(fk.mac, old->mac, sizeof(fk.mac));
	if ((!same_net || memcmp(old->mac, new->mac, sizeof(old->mac))) &&
	    !nb_map_get(m->fdb, &fk, &fv) && fv.ifindex == ifindex) {
		e = nb_map_del(m->fdb, &fk);
		err = err ?: e;
	}
	if ((!same_net || old->ip != new->ip) && !nb_map_get(m->neigh, &nk, &nv) &&
	    nv.ifindex == ifindex) {
		e = nb_map_del(m->neigh, &nk);
		err = err ?: e;
	}
	if (!ip6_zero(old->ip6) && (!same_net || memcmp(old->ip6, new->ip6, sizeof(old->ip6)))) {
		struct nb_neigh6_key nk6 = {.net_id = old->net_id};

		memcpy(nk6.ip6, old->ip6, sizeof(nk6.ip6));
		if (!nb_map_get(m->neigh6, &nk6, &nv) && nv.ifindex == ifindex) {
			e = nb_map_del(m->neigh6, &nk6);
			err = err ?: e;
		}
	}
	if (!same_net) {
		e = flood_remove(m, old->net_id, ifindex);
		err = err ?: e;
	}
	return err;
}

static int slot_mark(__u32 ifindex, const struct nb_port *port, void *arg)
{
	__u8 *used = arg;

	(void)ifindex;
	if (port->kind == NB_PORT_ENDPOINT && port->stats_slot < NB_MAX_PORTS)
		used[port->stats_slot / 8] |= 1U << (port->stats_slot % 8);
	return 0;
}

/* The lowest stats slot (1..NB_MAX_PORTS-1) no endpoint port holds */
static int ep_slot_alloc(const struct nb_maps *m, __u32 *slot)
{
	__u8 *used = calloc(NB_MAX_PORTS / 8, 1);
	__u32 i;
	int err;

	if (!used)
		return -ENOMEM;
	err = ports_foreach(m, slot_mark, used);
	if (err)
		goto cleanup;
	err = -ENOSPC;
	for (i = 1; i < NB_MAX_PORTS; i++) {
		if (!(used[i / 8] & (1U << (i % 8)))) {
			*slot = i;
			err = 0;
			break;
		}
	}
cleanup:
	free(used);
	return err;
}

/* Zeroes a slot's counters for its new endpoint: they may hold a former one's */
static int ep_stats_zero(const struct nb_maps *m, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct nb_ep_stats *zero;
	int err;

	if (ncpu < 0)
		return ncpu;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = nb_map_put(m->ep_stats, &slot, zero, BPF_ANY);
	free(zero);
	return err;
}

/* The network's flags the port carries, so forwarding needs no network lookup */
static int port_net_flags(const struct nb_maps *m, __u32 net_id, __u16 *flags)
{
	struct nb_network net;
	int err;

	err = nb_map_get(m->networks, &net_id, &net);
	if (err)
		return err;
	*flags = (__u16)net.flags;
	return 0;
}

int nb_maps_endpoint_put(const struct nb_maps *m, __u32 ifindex, const struct nb_port *port)
{
	struct nb_port old, val = *port;
	struct nb_fdb_key fk = {.net_id = port->net_id};
	struct nb_fdb_val fv = {.ifindex = ifindex};
	struct nb_neigh_key nk = {.net_id = port->net_id, .ip = port->ip};
	struct nb_neigh_val nv = {.ifindex = ifindex};
	bool had_old;
	int err;

	if (!ifindex || port->kind != NB_PORT_ENDPOINT)
		return -EINVAL;
	memcpy(fk.mac, port->mac, sizeof(fk.mac));
	memcpy(nv.mac, port->mac, sizeof(nv.mac));
	had_old = nb_map_get(m->ports, &ifindex, &old) == 0;
	/* the network first: a port always has one (network_del comes last) */
	err = port_net_flags(m, port->net_id, &val.net_flags);
	if (err)
		return err;

	/* a re-put keeps the slot and its counters; a new endpoint gets zeroed
	 * counters before the first frame can be counted */
	if (had_old && old.kind == NB_PORT_ENDPOINT && old.stats_slot) {
		val.stats_slot = old.stats_slot;
	} else {
		err = ep_slot_alloc(m, &val.stats_slot);
		err = err ?: ep_stats_zero(m, val.stats_slot);
		if (err)
			return err;
	}
	fv.stats_slot = val.stats_slot;

	/* the port last, so the program never sees a port whose peers cannot
	 * reach it yet */
	err = nb_map_put(m->fdb, &fk, &fv, BPF_ANY);
	if (err)
		goto cleanup;
	err = nb_map_put(m->neigh, &nk, &nv, BPF_ANY);
	if (err)
		goto cleanup;
	if (!ip6_zero(port->ip6)) {
		struct nb_neigh6_key nk6 = {.net_id = port->net_id};

		memcpy(nk6.ip6, port->ip6, sizeof(nk6.ip6));
		err = nb_map_put(m->neigh6, &nk6, &nv, BPF_ANY);
		if (err)
			goto cleanup;
	}
	err = flood_add(m, port->net_id, ifindex);
	if (err)
		goto cleanup;
	err = nb_map_put(m->ports, &ifindex, &val, BPF_ANY);
cleanup:
	/* a new endpoint leaves nothing behind; a re-put that fails halfway is
	 * completed by the next sync, which rewrites everything */
	if (err && !had_old) {
		endpoint_del_keys(m, ifindex, port);
		return err;
	}
	if (err)
		return err;
	if (had_old)
		err = endpoint_del_stale(m, ifindex, &old, port);
	return err;
}

int nb_maps_endpoint_del(const struct nb_maps *m, __u32 ifindex)
{
	struct nb_port old;
	int err;

	err = nb_map_get(m->ports, &ifindex, &old);
	if (err)
		return err == -ENOENT ? 0 : err;
	if (old.kind != NB_PORT_ENDPOINT)
		return -EINVAL;
	/* the port first: from then on the program drops the sandbox's frames
	 * (its stats slot is free from then on; the next endpoint zeroes it) */
	err = nb_map_del(m->ports, &ifindex);
	if (err)
		return err;
	return endpoint_del_keys(m, ifindex, &old);
}

/* ---- clearing ---------------------------------------------------------- */

int nb_maps_switch_clear(const struct nb_maps *m)
{
	/* ports first: from then on the programs drop instead of forwarding
	 * along a half-cleared table */
	const int fds[] = {m->ports,   m->fdb,	    m->neigh, m->neigh6,
			   m->subnets, m->subnets6, m->flood, m->networks};
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		/* a map the object lacks has nothing to clear */
		int e = fds[i] < 0 ? 0 : nb_map_clear(fds[i]);

		err = err ?: e;
	}
	return err;
}

/* ---- counters ---------------------------------------------------------- */

int nb_maps_ep_stats_sum(const struct nb_maps *m, __u32 ifindex, struct nb_ep_stats *out)
{
	struct nb_port port;
	int err;

	memset(out, 0, sizeof(*out));
	err = nb_map_get(m->ports, &ifindex, &port);
	if (err)
		return err;
	if (port.kind != NB_PORT_ENDPOINT || !port.stats_slot)
		return -ENOENT;
	return nb_map_percpu_sum(m->ep_stats, &port.stats_slot, (__u64 *)out,
				 sizeof(*out) / sizeof(__u64));
}

int nb_maps_percpu_counter_sum(int fd, const void *key, struct nb_counter *out)
{
	return nb_map_percpu_sum(fd, key, (__u64 *)out, sizeof(*out) / sizeof(__u64));
}

int nb_maps_drops_sum(const struct nb_maps *m, __u32 reason, struct nb_counter *out)
{
	__u32 idx = reason - NB_DROP_BASE;

	memset(out, 0, sizeof(*out));
	if (reason < NB_DROP_BASE || reason >= __NB_DROP_MAX)
		return -EINVAL;
	return nb_maps_percpu_counter_sum(m->drops, &idx, out);
}

static const char *const drop_names[NB_DROP_COUNT] = {
    [NB_DROP_MALFORMED - NB_DROP_BASE] = "malformed",
    [NB_DROP_NO_PORT - NB_DROP_BASE] = "no-port",
    [NB_DROP_SPOOF_MAC - NB_DROP_BASE] = "spoof-mac",
    [NB_DROP_SPOOF_IP - NB_DROP_BASE] = "spoof-ip",
    [NB_DROP_SPOOF_ARP - NB_DROP_BASE] = "spoof-arp",
    [NB_DROP_ARP_UNKNOWN - NB_DROP_BASE] = "arp-unknown",
    [NB_DROP_UNKNOWN_UNICAST - NB_DROP_BASE] = "unknown-unicast",
    [NB_DROP_ISOLATION - NB_DROP_BASE] = "isolation",
    [NB_DROP_ICC - NB_DROP_BASE] = "icc",
    [NB_DROP_INTERNAL - NB_DROP_BASE] = "internal",
    [NB_DROP_UNSUPPORTED - NB_DROP_BASE] = "unsupported",
    [NB_DROP_REDIRECT - NB_DROP_BASE] = "redirect",
    [NB_DROP_CT_FULL - NB_DROP_BASE] = "ct-full",
    [NB_DROP_NAT_EXHAUSTED - NB_DROP_BASE] = "nat-exhausted",
    [NB_DROP_FRAG - NB_DROP_BASE] = "frag",
    [NB_DROP_NO_ROUTE - NB_DROP_BASE] = "no-route",
    [NB_DROP_CT_INVALID - NB_DROP_BASE] = "ct-invalid",
    [NB_DROP_LINK_CONTROL - NB_DROP_BASE] = "link-control",
    [NB_DROP_ROUTER_MSG - NB_DROP_BASE] = "router-msg",
    [NB_DROP_NO_IPV6 - NB_DROP_BASE] = "no-ipv6",
    [NB_DROP_UNPUBLISHED - NB_DROP_BASE] = "unpublished",
    [NB_DROP_BAD_SOURCE - NB_DROP_BASE] = "bad-source",
    [NB_DROP_NOT_ALLOWED - NB_DROP_BASE] = "not-allowed",
    [NB_DROP_TUNNEL_VNI - NB_DROP_BASE] = "tunnel-vni",
    [NB_DROP_TUNNEL_MAC - NB_DROP_BASE] = "tunnel-mac",
    [NB_DROP_TUNNEL_SPOOF - NB_DROP_BASE] = "tunnel-spoof",
    [NB_DROP_NO_TUNNEL - NB_DROP_BASE] = "no-tunnel",
    [NB_DROP_SPOOF_IP6 - NB_DROP_BASE] = "spoof-ip6",
    [NB_DROP_SPOOF_ND - NB_DROP_BASE] = "spoof-nd",
    [NB_DROP_ND_UNKNOWN - NB_DROP_BASE] = "nd-unknown",
};

const char *nb_drop_reason_name(__u32 reason)
{
	if (reason < NB_DROP_BASE || reason >= __NB_DROP_MAX)
		return NULL;
	return drop_names[reason - NB_DROP_BASE];
}
