/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The published-port lookup, the one both paths to a published port use:
 * the uplink (dnat.bpf.h, packets from outside) and the socket hooks
 * (sock.bpf.c, the host's own connections). An entry for the exact host
 * address wins over a 0.0.0.0 one; each caller then checks, its own way,
 * that the destination is the host's (the FIB at the uplink, nb_local_addrs
 * in the socket hooks, which cannot ask the FIB). Also the other way round:
 * whether a sandbox address and port is the target of a published port
 * (nb_pub_targets), which is what a network routed without NAT lets in.
 */
#ifndef NETBPF_PUBLISH_BPF_H
#define NETBPF_PUBLISH_BPF_H

#include "maps.bpf.h"

/*
 * The entry for (host_ip, port, proto), else (0.0.0.0, port, proto), else
 * NULL. *wildcard says which matched: a 0.0.0.0 entry holds for an address
 * only when the caller knows it is the host's.
 */
static __always_inline struct nb_publish_val *nb_publish_lookup(__be32 host_ip, __be16 port,
								__u8 proto, bool *wildcard)
{
	struct nb_publish_key k = {.host_ip = host_ip, .host_port = port, .proto = proto};
	struct nb_publish_val *v;

	*wildcard = false;
	v = bpf_map_lookup_elem(&NB_MAP_PUBLISH, &k);
	if (v)
		return v;
	*wildcard = true;
	k.host_ip = 0;
	return bpf_map_lookup_elem(&NB_MAP_PUBLISH, &k);
}

/*
 * May saddr open a flow from outside to the published port with nb_publish
 * key (host_ip, port, proto)? Its allow-list says (the longest match: an
 * allowed prefix, or the list's own entry, which refuses), else the
 * instance's default.
 */
static __always_inline bool nb_publish_allowed(__be32 host_ip, __be16 port, __u8 proto,
					       __be32 saddr)
{
	struct nb_pub_allow_key k = {
	    .prefixlen = NB_PUB_ALLOW_KEY_BITS + 32,
	    .proto = proto,
	    .host_port = port,
	    .host_ip = host_ip,
	    .saddr = saddr,
	};
	struct nb_config *cfg;
	__u32 *v, zero = 0;

	v = bpf_map_lookup_elem(&NB_MAP_PUB_ALLOW, &k);
	if (v)
		return *v == NB_PUB_ALLOW_OK;
	cfg = bpf_map_lookup_elem(&NB_MAP_CONFIG, &zero);
	return !cfg || !(cfg->flags & NB_CFG_F_PUBLISH_DENY);
}

/* Some published port leads to (sb_ip, sb_port, proto) */
static __always_inline bool nb_publish_is_target(__be32 sb_ip, __be16 sb_port, __u8 proto)
{
	struct nb_pub_target k = {.sb_ip = sb_ip, .sb_port = sb_port, .proto = proto};

	return bpf_map_lookup_elem(&NB_MAP_PUB_TARGETS, &k) != NULL;
}

#endif
