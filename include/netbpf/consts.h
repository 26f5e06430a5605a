/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Defaults and bounds that the BPF programs (bpf/) and user space (user/)
 * must agree on, defined here once: the masquerade source-port range, the
 * MTU bounds and default, the conntrack timeouts by protocol and state and
 * the fragment records' timeout
 * (Katran's balancer_consts.h). Plain integers and one inline function, so
 * the header compiles against vmlinux.h and in user space alike.
 */
#ifndef NETBPF_CONSTS_H
#define NETBPF_CONSTS_H

/* Masquerade source ports (TCP/UDP) when an uplink gives no range: Linux's
 * MASQUERADE range for sources >= 1024. ICMP echo ids use all 16 bits. */
#define NB_MASQ_PORT_MIN 1024
#define NB_MASQ_PORT_MAX 65535

/* MTU of a network's endpoints (`network create --mtu`, `-o ...driver.mtu`) */
#define NB_MTU_MIN     68 /* IPv4's minimum (RFC 791) */
#define NB_MTU_MAX     65535
#define NB_MTU_DEFAULT 1500 /* a network created without --mtu */

/* How long a conntrack entry lives after its last packet, by protocol and
 * state (seconds). TCP's established timeout is Cilium's 6 hours, not
 * Linux's 5 days. */
#define NB_CT_TCP_NEW_SECS    60
#define NB_CT_TCP_EST_SECS    (6 * 3600)
#define NB_CT_TCP_FIN_SECS    120
#define NB_CT_TCP_CLOSED_SECS 10
#define NB_CT_UDP_NEW_SECS    30
#define NB_CT_UDP_EST_SECS    180
#define NB_CT_ICMP_SECS	      30

/* How long a fragment record steers the later fragments of its datagram (Linux's
 * net.ipv4.ipfrag_time) */
#define NB_FRAG_TIMEOUT_SECS 30

/* The UDP port of VXLAN between a cluster's hosts (IANA's, RFC 7348): nbvx0's socket
 * holds it in the host netns, and the uplink programs pass it early (bpf/uplink.bpf.c) */
#define NB_VXLAN_PORT 4789

/* The timeout table's slots: the BPF programs hold the table as rodata
 * (nb_ct_timeout_secs[], bpf/lib/ct.bpf.h), `ct ls` reads the same slots. */
enum nb_ct_timeout_slot {
	NB_CT_TO_TCP_NEW,
	NB_CT_TO_TCP_EST,
	NB_CT_TO_TCP_FIN,
	NB_CT_TO_TCP_CLOSED,
	NB_CT_TO_UDP_NEW,
	NB_CT_TO_UDP_EST,
	NB_CT_TO_ICMP, /* and any other protocol */
	NB_CT_TO_COUNT,
};

#define NB_CT_TIMEOUTS_INIT                                                                        \
	{                                                                                          \
		[NB_CT_TO_TCP_NEW] = NB_CT_TCP_NEW_SECS, [NB_CT_TO_TCP_EST] = NB_CT_TCP_EST_SECS,  \
		[NB_CT_TO_TCP_FIN] = NB_CT_TCP_FIN_SECS,                                           \
		[NB_CT_TO_TCP_CLOSED] = NB_CT_TCP_CLOSED_SECS,                                     \
		[NB_CT_TO_UDP_NEW] = NB_CT_UDP_NEW_SECS, [NB_CT_TO_UDP_EST] = NB_CT_UDP_EST_SECS,  \
		[NB_CT_TO_ICMP] = NB_CT_ICMP_SECS,                                                 \
	}

/* The slot for an entry of protocol proto (IPPROTO_*) in state (NB_CT_S_*,
 * <netbpf/abi.h>). Numbers rather than IPPROTO_* names: user space may not
 * have <netinet/in.h> where it includes this. */
static inline enum nb_ct_timeout_slot nb_ct_timeout_slot(__u8 proto, __u8 state)
{
	if (proto == 6 /* IPPROTO_TCP */) {
		switch (state) {
		case 0: /* NB_CT_S_NEW */
			return NB_CT_TO_TCP_NEW;
		case 1: /* NB_CT_S_ESTABLISHED */
			return NB_CT_TO_TCP_EST;
		case 2: /* NB_CT_S_FIN */
			return NB_CT_TO_TCP_FIN;
		default:
			return NB_CT_TO_TCP_CLOSED;
		}
	}
	if (proto == 17 /* IPPROTO_UDP */)
		return state == 0 ? NB_CT_TO_UDP_NEW : NB_CT_TO_UDP_EST;
	return NB_CT_TO_ICMP;
}

#endif /* NETBPF_CONSTS_H */
