/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Overlay networks (issue 17, docs/overlay.md): the remote-endpoint tables
 * and the two ends of the tunnel.
 *
 * Encapsulation (the endpoint and gateway programs, tc only): a frame for a
 * MAC that no local port of an overlay network has is looked up in
 * nb_remote; a remote endpoint's entry gives the VNI and its host's underlay
 * address, which become the skb's tunnel key, and the frame is redirected to
 * the instance's collect-metadata VXLAN device (nb_tunnel[0]), which builds
 * the outer headers. Cilium's pattern: no kernel FDB, no per-network device.
 *
 * Decapsulation is the program "tunnel" (bpf/tunnel.bpf.c) on that device's
 * ingress, built from nb_tunnel_deliver() here so the decision is one
 * function of the frame and the key.
 *
 * Broadcast never crosses hosts: ARP for a remote endpoint is answered from
 * nb_remote_ip (arp.bpf.h), addresses come from netbpf's IPAM (no DHCP), so
 * a network needs no broadcast beyond its host; the tunnel program drops
 * every multicast inner destination.
 */
#ifndef NETBPF_OVERLAY_BPF_H
#define NETBPF_OVERLAY_BPF_H

#include "ctx.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "fdb.bpf.h"

#ifndef BPF_F_ZERO_CSUM_TX
#define BPF_F_ZERO_CSUM_TX (1ULL << 1)
#endif

static __always_inline const struct nb_remote_val *nb_remote_lookup(__u32 net_id, const __u8 *mac)
{
	struct nb_fdb_key key = {.net_id = net_id};

	__builtin_memcpy(key.mac, mac, ETH_ALEN);
	return bpf_map_lookup_elem(&NB_MAP_REMOTE, &key);
}

static __always_inline const struct nb_neigh_val *nb_remote_ip_lookup(__u32 net_id, __be32 ip)
{
	struct nb_neigh_key key = {.net_id = net_id, .ip = ip};

	return bpf_map_lookup_elem(&NB_MAP_REMOTE_IP, &key);
}

/* The VXLAN device's ifindex, 0 when the instance has none */
static __always_inline __u32 nb_tunnel_ifindex(void)
{
	const struct nb_tunnel *t;
	__u32 zero = 0;

	t = bpf_map_lookup_elem(&NB_MAP_TUNNEL, &zero);
	return t ? t->ifindex : 0;
}

/* The tunnel key for remote endpoint r: VNI, remote host (the key wants host order) */
static __always_inline void nb_tunnel_key_of(struct bpf_tunnel_key *key,
					     const struct nb_remote_val *r)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->tunnel_id = r->vni;
	key->remote_ipv4 = bpf_ntohl(r->host);
	key->tunnel_ttl = NB_TUNNEL_TTL;
}

#if !NB_XDP
/*
 * Sends the frame for MAC dmac (its 6 bytes in the low-addressed bytes of the
 * scalar) on overlay network net_id (flags: its NB_NET_F_*) through the VXLAN
 * device to the remote endpoint that has the MAC. The outer UDP checksum is
 * left zero (RFC 7348 allows it over IPv4; the inner frame keeps its own
 * checksums), as Linux's VXLAN devices do by default. Not inlined, its
 * arguments scalars: its keys would otherwise add to the endpoint program's
 * own stack, which with the IPv6 and NAT paths reaches the 512-byte limit.
 */
static __noinline __attribute__((unused)) int nb_tunnel_send(struct __sk_buff *skb, __u32 net_id,
							     __u32 flags, __u64 dmac)
{
	const struct nb_remote_val *r;
	struct bpf_tunnel_key key;
	__u32 ifindex;

	r = nb_remote_lookup(net_id, (const __u8 *)&dmac);
	if (!r)
		return -NB_DROP_UNKNOWN_UNICAST;
	if (!(flags & NB_NET_F_ICC))
		return -NB_DROP_ICC;
	ifindex = nb_tunnel_ifindex();
	if (!ifindex)
		return -NB_DROP_NO_TUNNEL;
	nb_tunnel_key_of(&key, r);
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX))
		return -NB_DROP_REDIRECT;
	return bpf_redirect(ifindex, 0);
}
#endif

#endif
