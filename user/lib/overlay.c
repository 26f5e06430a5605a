// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The overlay data plane's user side (see overlay.h): the VXLAN device and
 * the VNI and remote-endpoint maps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <bpf/bpf.h>

#include "dataplane.h"
#include "hooks.h"
#include "log.h"
#include "mapio.h"
#include "nl.h"
#include "overlay.h"

static void fdb_key(struct nb_fdb_key *k, uint32_t net_id, const uint8_t mac[6])
{
	memset(k, 0, sizeof(*k));
	k->net_id = net_id;
	memcpy(k->mac, mac, sizeof(k->mac));
}

static void neigh_key(struct nb_neigh_key *k, uint32_t net_id, __be32 ip)
{
	memset(k, 0, sizeof(*k));
	k->net_id = net_id;
	k->ip = ip;
}

static const char *mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

static int no_maps(const char *what)
{
	return nb_error(-ENOENT, "%s: the instance has no overlay maps (%s); run `netbpfctl up`",
			what, NB_MAP_NAME(NB_MAP_VNI));
}

int nb_overlay_net_set(const struct nb_maps *m, uint32_t net_id, uint32_t vni)
{
	int err;

	if (!vni || vni > NB_VNI_MAX)
		return nb_error(-EINVAL, "network %u: VNI %u is outside 1..%u", net_id, vni,
				NB_VNI_MAX);
	if (m->vni < 0)
		return no_maps("overlay network");
	err = nb_map_put(m->vni, &vni, &net_id, BPF_ANY);
	if (err)
		return nb_error(err, "network %u: map %s: cannot add VNI %u: %s", net_id,
				NB_MAP_NAME(NB_MAP_VNI), vni, strerror(-err));
	return 0;
}

/* Deletes every remote endpoint (by its nb_remote key and value) gone() names; how many */
static int remote_filter(const struct nb_maps *m,
			 bool (*gone)(const struct nb_fdb_key *, const struct nb_remote_val *,
				      const void *),
			 const void *arg)
{
	struct nb_fdb_key *keys = NULL;
	struct nb_remote_val v;
	size_t n = 0, i;
	int err, count = 0, first = 0;

	err = nb_map_keys(m->remote, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (nb_map_get(m->remote, &keys[i], &v) || !gone(&keys[i], &v, arg))
			continue;
		err = nb_remote_ep_del(m, keys[i].net_id, keys[i].mac, v.ip);
		if (err && !first)
			first = err;
		if (!err)
			count++;
	}
	free(keys);
	return first ? first : count;
}

static bool of_net(const struct nb_fdb_key *k, const struct nb_remote_val *v, const void *arg)
{
	(void)v;
	return k->net_id == *(const uint32_t *)arg;
}

static bool of_host(const struct nb_fdb_key *k, const struct nb_remote_val *v, const void *arg)
{
	(void)k;
	return v->host == *(const __be32 *)arg;
}

int nb_overlay_net_clear(const struct nb_maps *m, uint32_t vni)
{
	uint32_t net_id;
	int err;

	if (m->vni < 0)
		return no_maps("overlay network");
	err = nb_map_get(m->vni, &vni, &net_id);
	if (err == -ENOENT)
		return 0;
	if (!err)
		err = remote_filter(m, of_net, &net_id);
	if (err >= 0)
		err = nb_map_del(m->vni, &vni);
	if (err < 0)
		return nb_error(err, "VNI %u: cannot remove it and its remote endpoints: %s", vni,
				strerror(-err));
	return 0;
}

int nb_remote_ep_put(const struct nb_maps *m, const struct nb_remote_ep *r)
{
	struct nb_remote_val v = {.host = r->host, .ip = r->ip, .vni = r->vni}, old;
	struct nb_neigh_val nv = {0};
	struct nb_neigh_key nk;
	struct nb_fdb_key k;
	bool had;
	char mac[18];
	int err;

	mac_str(r->mac, mac);
	if (m->remote < 0 || m->remote_ip < 0)
		return no_maps("remote endpoint");
	if (!r->net_id || !r->vni || r->vni > NB_VNI_MAX || !r->ip || !r->host || (r->mac[0] & 1) ||
	    !memcmp(r->mac, "\0\0\0\0\0\0", 6))
		return nb_error(
		    -EINVAL,
		    "remote endpoint %s on network %u: needs a network, a VNI in 1..%u, "
		    "a unicast MAC, an address and a host",
		    mac, r->net_id, NB_VNI_MAX);
	fdb_key(&k, r->net_id, r->mac);
	had = !nb_map_get(m->remote, &k, &old);
	err = nb_map_put(m->remote, &k, &v, BPF_ANY);
	if (err)
		goto fail;
	neigh_key(&nk, r->net_id, r->ip);
	memcpy(nv.mac, r->mac, sizeof(nv.mac));
	err = nb_map_put(m->remote_ip, &nk, &nv, BPF_ANY);
	if (err) {
		/* back to what was there */
		if (had)
			nb_map_put(m->remote, &k, &old, BPF_ANY);
		else
			nb_map_del(m->remote, &k);
		goto fail;
	}
	/* the endpoint moved to another address: its old one answers no more */
	if (had && old.ip != r->ip) {
		struct nb_neigh_val cur;

		neigh_key(&nk, r->net_id, old.ip);
		if (!nb_map_get(m->remote_ip, &nk, &cur) && !memcmp(cur.mac, r->mac, 6))
			nb_map_del(m->remote_ip, &nk);
	}
	return 0;
fail:
	return nb_error(err, "remote endpoint %s on network %u: maps %s/%s: %s", mac, r->net_id,
			NB_MAP_NAME(NB_MAP_REMOTE), NB_MAP_NAME(NB_MAP_REMOTE_IP), strerror(-err));
}

int nb_remote_ep_del(const struct nb_maps *m, uint32_t net_id, const uint8_t mac[6], __be32 ip)
{
	struct nb_remote_val v;
	struct nb_neigh_val cur;
	struct nb_neigh_key nk;
	struct nb_fdb_key k;
	char buf[18];
	int err;

	if (m->remote < 0 || m->remote_ip < 0)
		return no_maps("remote endpoint");
	fdb_key(&k, net_id, mac);
	err = nb_map_get(m->remote, &k, &v);
	if (err && err != -ENOENT)
		goto fail;
	if (!ip && !err)
		ip = v.ip;
	/* the address first: ARP stops naming the MAC before the MAC goes */
	if (ip) {
		neigh_key(&nk, net_id, ip);
		/* only when it still names this MAC: another endpoint may hold the address now */
		if (!nb_map_get(m->remote_ip, &nk, &cur) && !memcmp(cur.mac, mac, 6) &&
		    (err = nb_map_del(m->remote_ip, &nk)))
			goto fail;
	}
	err = nb_map_del(m->remote, &k);
	if (err)
		goto fail;
	return 0;
fail:
	return nb_error(err, "remote endpoint %s on network %u: cannot remove it: %s",
			mac_str(mac, buf), net_id, strerror(-err));
}

int nb_remote_ep_list(const struct nb_maps *m, uint32_t net_id, struct nb_remote_ep **v, size_t *n)
{
	struct nb_fdb_key *keys = NULL;
	struct nb_remote_ep *out = NULL;
	struct nb_remote_val val;
	size_t nk = 0, i, cnt = 0;
	int err;

	*v = NULL;
	*n = 0;
	if (m->remote < 0)
		return no_maps("remote endpoints");
	err = nb_map_keys(m->remote, sizeof(*keys), (void **)&keys, &nk);
	if (err)
		return nb_error(err, "map %s: cannot list it: %s", NB_MAP_NAME(NB_MAP_REMOTE),
				strerror(-err));
	if (nk && !(out = calloc(nk, sizeof(*out)))) {
		free(keys);
		return nb_error(-ENOMEM, "map %s: out of memory", NB_MAP_NAME(NB_MAP_REMOTE));
	}
	for (i = 0; i < nk; i++) {
		if (net_id && keys[i].net_id != net_id)
			continue;
		/* gone since the keys were read */
		if (nb_map_get(m->remote, &keys[i], &val))
			continue;
		out[cnt].net_id = keys[i].net_id;
		out[cnt].vni = val.vni;
		memcpy(out[cnt].mac, keys[i].mac, 6);
		out[cnt].ip = val.ip;
		out[cnt].host = val.host;
		cnt++;
	}
	free(keys);
	if (!cnt) {
		free(out);
		out = NULL;
	}
	*v = out;
	*n = cnt;
	return 0;
}

int nb_remote_host_clear(const struct nb_maps *m, __be32 host)
{
	char buf[INET_ADDRSTRLEN];
	int err;

	if (m->remote < 0 || m->remote_ip < 0)
		return no_maps("remote endpoints");
	err = remote_filter(m, of_host, &host);
	if (err < 0)
		return nb_error(err, "host %s: cannot remove its remote endpoints: %s",
				inet_ntop(AF_INET, &host, buf, sizeof(buf)), strerror(-err));
	return err;
}

/* ---- the VXLAN device ---------------------------------------------------- */

static int tunnel_set(const struct nb_maps *m, __u32 ifindex)
{
	struct nb_tunnel t = {.ifindex = ifindex};
	__u32 zero = 0;

	if (m->tunnel < 0)
		return -ENOENT;
	return nb_map_put(m->tunnel, &zero, &t, BPF_ANY);
}

int nb_overlay_dev_info(struct nb_nl *nl, int *ifindex, unsigned int *mtu)
{
	struct nb_link_info info;
	int err;

	err = nb_nl_link_info(nl, NB_VXLAN_DEV, &info);
	if (err)
		return err;
	if (strcmp(info.kind, "vxlan"))
		return -EEXIST;
	if (ifindex)
		*ifindex = info.ifindex;
	if (mtu)
		*mtu = info.mtu;
	return 0;
}

int nb_overlay_dev_ensure(const struct nb_instance *inst, struct nb_nl *nl, const struct nb_maps *m,
			  unsigned int underlay_mtu)
{
	unsigned int mtu =
	    underlay_mtu > NB_OVERLAY_OVERHEAD + 68 ? underlay_mtu - NB_OVERLAY_OVERHEAD : 0;
	bool created = false;
	int ifindex, err;

	if (!mtu)
		return nb_error(-EINVAL,
				"%s: the underlay MTU %u leaves no room for VXLAN's %d bytes",
				NB_VXLAN_DEV, underlay_mtu, NB_OVERLAY_OVERHEAD);
	err = nb_overlay_dev_info(nl, &ifindex, NULL);
	if (err == -EEXIST)
		return nb_error(err, "%s: a device of that name exists and is no VXLAN device",
				NB_VXLAN_DEV);
	if (err == -ENODEV) {
		err = nb_nl_vxlan_add(nl, NB_VXLAN_DEV, NB_VXLAN_PORT, mtu);
		if (err)
			return nb_error(err, "%s: cannot create the VXLAN device: %s", NB_VXLAN_DEV,
					strerror(-err));
		created = true;
		err = nb_overlay_dev_info(nl, &ifindex, NULL);
	}
	if (err) {
		nb_errorf("%s: cannot read the device: %s", NB_VXLAN_DEV, strerror(-err));
		goto fail;
	}
	/* an uplink whose MTU changed since the device was made: follow it (endpoints made from
	 * now on get the new one; existing ones keep theirs until they are made again) */
	err = nb_nl_link_set_mtu(nl, NB_VXLAN_DEV, mtu);
	if (err) {
		nb_errorf("%s: cannot set its MTU to %u: %s", NB_VXLAN_DEV, mtu, strerror(-err));
		goto fail;
	}
	err = nb_nl_link_up(nl, NB_VXLAN_DEV);
	if (err) {
		nb_errorf("%s: cannot set it up: %s", NB_VXLAN_DEV, strerror(-err));
		goto fail;
	}
	err = nb_dp_tc_ensure(inst, ifindex, NB_PROG_TUNNEL, false);
	if (err < 0)
		goto fail; /* the message is the hook's */
	err = tunnel_set(m, ifindex);
	if (err) {
		nb_errorf("%s: map %s: cannot record the device: %s", NB_VXLAN_DEV,
			  NB_MAP_NAME(NB_MAP_TUNNEL), strerror(-err));
		goto fail;
	}
	return 0;
fail:
	if (created)
		nb_nl_link_del(nl, NB_VXLAN_DEV);
	return err;
}

int nb_overlay_dev_del(struct nb_nl *nl, const struct nb_maps *m)
{
	int err;

	/* first the programs' way to it: nothing is sent to a device on its way out */
	if (m)
		tunnel_set(m, 0);
	err = nb_overlay_dev_info(nl, NULL, NULL);
	if (err == -ENODEV || err == -EEXIST)
		return 0; /* none, or not ours */
	err = nb_nl_link_del(nl, NB_VXLAN_DEV);
	if (err && err != -ENODEV)
		return nb_error(err, "%s: cannot delete the VXLAN device: %s", NB_VXLAN_DEV,
				strerror(-err));
	return 0;
}
