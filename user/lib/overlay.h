/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The overlay data plane's user side (issue 17, docs/overlay.md): the
 * instance's collect-metadata VXLAN device, and the maps that say which
 * overlay network a VNI is and where the endpoints of other hosts live.
 *
 * The control plane (the cluster agent, realize.c for overlay networks)
 * calls these; `up` creates the device when the instance has a store, `down`
 * deletes it. Map writers are serialised by the caller, as for maps.h.
 *
 * A remote endpoint is two entries written together: nb_remote (by network
 * and MAC: where the endpoint program sends a frame, and what the tunnel
 * program accepts as an inner source from that host) and nb_remote_ip (by
 * network and address: what the ARP responder answers). The put writes the
 * MAC entry first, so no ARP reply ever names a MAC that cannot be reached.
 */
#ifndef NETBPF_OVERLAY_H
#define NETBPF_OVERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "maps.h"

#define NB_VXLAN_DEV  "nbvx0" /* one per instance netns: created by nb_up() with a store */
#define NB_VXLAN_PORT 4789    /* IANA's VXLAN port (RFC 7348) */
/* outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8: overlay endpoints' MTU = underlay MTU - this */
#define NB_OVERLAY_OVERHEAD 50

struct nb_instance;
struct nb_nl;

struct nb_remote_ep {
	uint32_t net_id; /* the local id of the overlay network */
	uint32_t vni;	 /* its VNI (1..NB_VNI_MAX) */
	uint8_t mac[6];	 /* the endpoint's MAC */
	__be32 ip;	 /* the endpoint's IPv4 address */
	__be32 host;	 /* underlay address of the host it lives on */
};

/* nb_vni[vni] = net_id (vni 1..NB_VNI_MAX, else -EINVAL); idempotent */
int nb_overlay_net_set(const struct nb_maps *m, uint32_t net_id, uint32_t vni);
/* Removes nb_vni[vni] and every remote endpoint of the network it named; 0 when absent */
int nb_overlay_net_clear(const struct nb_maps *m, uint32_t vni);

/* Adds or replaces a remote endpoint (both maps; nothing half-written on failure) */
int nb_remote_ep_put(const struct nb_maps *m, const struct nb_remote_ep *r);
/* Removes it (ip 0: whatever address the MAC entry names); 0 when absent */
int nb_remote_ep_del(const struct nb_maps *m, uint32_t net_id, const uint8_t mac[6], __be32 ip);
/* The remote endpoints of net_id (0: all), *v malloc'd (NULL when none) */
int nb_remote_ep_list(const struct nb_maps *m, uint32_t net_id, struct nb_remote_ep **v, size_t *n);
/* Removes every remote endpoint on the host at underlay address host (a host gone); how many */
int nb_remote_host_clear(const struct nb_maps *m, __be32 host);

/*
 * The VXLAN device: NB_VXLAN_DEV, `external`, UDP NB_VXLAN_PORT, MTU underlay_mtu -
 * NB_OVERLAY_OVERHEAD, up, the program "tunnel" on its tc ingress, and its ifindex in
 * nb_tunnel (so the endpoint program can send to it). Idempotent: an existing device is
 * kept (its MTU set to follow the underlay's), one of another kind is refused (-EEXIST).
 */
int nb_overlay_dev_ensure(const struct nb_instance *inst, struct nb_nl *nl, const struct nb_maps *m,
			  unsigned int underlay_mtu);
/* Deletes the device and clears nb_tunnel (m may be NULL: not loaded); 0 when absent */
int nb_overlay_dev_del(struct nb_nl *nl, const struct nb_maps *m);
/* The device's ifindex and MTU, the MTU overlay endpoints get; -ENODEV when there is none */
int nb_overlay_dev_info(struct nb_nl *nl, int *ifindex, unsigned int *mtu);

#endif
