// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor of a tc switch, for the benchmark's (F): the least a program at
 * the tc ingress of a sandbox's host-side veth can do to move a unicast frame
 * into another sandbox. It looks up the port (for its network) and the FDB,
 * then calls bpf_redirect_peer(). That is issue 6's prototype, run over
 * netbpf's own maps. Every other frame (ARP, broadcast, traffic for the host)
 * goes through netbpf's endpoint logic, so the topology keeps working.
 * F against D is what netbpf's checks and counters cost; F against A is what
 * the tc + bpf_redirect_peer design costs on this machine.
 */
#include "lib/endpoint.bpf.h"

SEC("tc")
int endpoint_floor(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	const struct nb_fdb_val *fdb;
	const struct nb_port *port;
	struct ethhdr *eth = data;
	struct ep_fwd fwd = {};
	__u32 len = skb->len;

	if ((void *)(eth + 1) <= end && !nb_mac_is_multicast(eth->h_dest)) {
		port = nb_port_lookup(skb->ifindex);
		if (port) {
			fdb = nb_fdb_lookup(port->net_id, eth->h_dest);
			if (fdb && !(fdb->flags & NB_FDB_F_GATEWAY))
				return bpf_redirect_peer(fdb->ifindex, 0);
		}
	}
	return ep_verdict(skb, ep_switch(skb, &fwd), &fwd, len);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
