/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The NAT part of the map projection: published ports (nb_publish), uplink
 * settings for masquerade (nb_uplinks), the host's addresses for the socket
 * hooks (nb_local_addrs), and reading/flushing the connection tracker
 * (nb_ct) for `netbpfctl ct`. The data plane's behaviour is described in
 * docs/nat.md.
 *
 * Addresses are __be32 (network order) as everywhere in netbpf; ports are
 * host order here (what the CLI parses) and converted on the way in/out.
 * Functions return 0 or -errno; maps the instance lacks (fd -1) give -ENOENT.
 */
#ifndef NETBPF_NAT_H
#define NETBPF_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <netinet/in.h>

#include <jansson.h>

#include "maps.h"

/* ---- published ports ---------------------------------------------------- */

/*
 * Publishes host_ip:host_port/proto (host_ip 0 = every host address) to
 * sb_ip:sb_port of the endpoint whose host-side veth is ifindex on network
 * net_id. Re-putting the same key replaces the target and keeps the
 * connection counter. proto: IPPROTO_TCP or IPPROTO_UDP; ports 1..65535.
 */
int nb_nat_publish_put(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		       __be32 sb_ip, __u16 sb_port, __u32 net_id, __u32 ifindex);
/* Stops new connections at once (established flows keep their conntrack); absent is fine */
int nb_nat_publish_del(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto);
/* The entry for a key: -ENOENT when not published */
int nb_nat_publish_get(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		       struct nb_publish_val *out);

/*
 * Published IPv6 ports (nb_publish6): as above, host_ip NULL or :: for every
 * host address. -EOPNOTSUPP when the pin dir predates the map.
 */
int nb_nat_publish6_put(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto, const struct in6_addr *sb_ip, __u16 sb_port, __u32 net_id,
			__u32 ifindex);
/* absent is fine */
int nb_nat_publish6_del(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto);
int nb_nat_publish6_get(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto, struct nb_publish6_val *out);
/* Every key of nb_publish6 (*out malloc'd; none when the map is absent) */
int nb_nat_publish6_keys(const struct nb_maps *m, struct nb_publish6_key **out, size_t *n);

struct nb_nat_publish {
	__be32 host_ip;
	__u16 host_port; /* host order */
	__u8 proto;
	__be32 sb_ip;
	__u16 sb_port; /* host order */
	__u32 net_id;
	__u32 ifindex;
	__u64 conns; /* connections translated so far */
};
/* Calls cb for each published port (unordered); a non-zero return stops and is returned */
int nb_nat_publish_foreach(const struct nb_maps *m,
			   int (*cb)(const struct nb_nat_publish *p, void *arg), void *arg);
/* Deletes every published port (for sync, which re-puts them from the state) */
int nb_nat_publish_clear(const struct nb_maps *m);

/*
 * Allow-lists (`publish --allow`): once a published port (its nb_publish key)
 * has one, only sources in its prefixes open flows to it from outside.
 * put adds addr/len to the port's list (creating the list); clear removes
 * the list (nb_nat_publish_del() does, too).
 */
/* The same for a published IPv6 port (host_ip NULL or :: = every host address); nb_pub_allow6 */
int nb_nat_allow6_put(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
		      __u8 proto, const struct in6_addr *addr, __u8 len);
int nb_nat_allow6_clear(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto);
int nb_nat_allow_put(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		     __be32 addr, __u8 len);
int nb_nat_allow_clear(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto);
/* The instance's default for ports without a list: deny (true) or allow every source */
int nb_nat_publish_default_set(const struct nb_maps *m, bool deny);

/* ---- uplinks and host addresses ----------------------------------------- */

/* Masquerade through uplink ifindex with source ip and the default port range; both also
 * record the uplink's rp_filter as it is now (the source check of published-port flows) */
int nb_nat_uplink_put(const struct nb_maps *m, __u32 ifindex, __be32 ip);
/* The same with a source port / ICMP id range [port_min, port_max] (1..65535) */
int nb_nat_uplink_put_range(const struct nb_maps *m, __u32 ifindex, __be32 ip, __u16 port_min,
			    __u16 port_max);
int nb_nat_uplink_del(const struct nb_maps *m, __u32 ifindex);

/* One host address the socket hooks treat as local (ifindex: informative) */
int nb_nat_local_addr_put(const struct nb_maps *m, __be32 ip, __u32 ifindex);
int nb_nat_local_addr_del(const struct nb_maps *m, __be32 ip);
/*
 * Makes nb_local_addrs the IPv4 addresses of the calling thread's netns
 * (getifaddrs), adding the new ones before removing the stale ones.
 */
int nb_nat_local_addrs_sync(const struct nb_maps *m);

/* ---- conntrack ------------------------------------------------------------ */

struct nb_nat_tuple {
	__be32 saddr;
	__be32 daddr;
	__u16 sport; /* host order; ICMP echo: the identifier */
	__u16 dport; /* host order; ICMP echo: the identifier */
	bool v6; /* saddr6/daddr6, not saddr/daddr (a published IPv6 port's flow) */
	struct in6_addr saddr6, daddr6;
};

/* One translated flow, decoded from its nb_ct entries */
struct nb_nat_flow {
	__u8 proto;		  /* IPPROTO_* */
	__u8 type;		  /* NB_CT_DNAT / NB_CT_SNAT / NB_CT_HAIRPIN */
	__u8 state;		  /* NB_CT_S_* */
	bool has_reply;		  /* the reply entry is present (reply_* valid) */
	struct nb_nat_tuple orig; /* the first packet as it arrived */
	struct nb_nat_tuple nat;  /* the same packet after translation */
	__u64 age_ns;		  /* since creation */
	__u64 idle_ns;		  /* since the last packet (to NB_CT refresh granularity) */
	__u64 expires_ns;	  /* until the entry times out */
	__u64 packets, bytes;	  /* original direction */
	__u64 reply_packets, reply_bytes;
	__u32 net_id;
	__u32 ifindex; /* the sandbox's endpoint port (host-side veth), 0 when unknown */
};

/*
 * Calls cb for each live flow (expired entries the LRU has not reclaimed yet
 * are skipped); a non-zero return stops the walk and is returned.
 */
int nb_nat_ct_foreach(const struct nb_maps *m, int (*cb)(const struct nb_nat_flow *f, void *arg),
		      void *arg);
/* Deletes every conntrack entry (and fragment record); *count = entries deleted (may be NULL) */
int nb_nat_ct_flush(const struct nb_maps *m, size_t *count);

/* The timeout of an entry by protocol and state, in seconds (the BPF side's) */
unsigned int nb_nat_ct_timeout_secs(__u8 proto, __u8 state);

/* ---- formatting for `ct ls` --------------------------------------------- */

/* "dnat" (published port), "snat" (masquerade), "hairpin" */
const char *nb_nat_type_name(__u8 type);
/* TCP: "SYN_SENT" "ESTABLISHED" "FIN_WAIT" "CLOSE"; others: "UNREPLIED" "REPLIED" */
const char *nb_nat_state_name(__u8 proto, __u8 state);

#define NB_NAT_TUPLE_STRLEN 112
/* "10.1.0.2:40000 -> 198.18.0.9:80", ICMP: "10.1.0.2 -> 198.18.0.9 id 7" */
const char *nb_nat_tuple_str(const struct nb_nat_tuple *t, __u8 proto,
			     char buf[NB_NAT_TUPLE_STRLEN]);
/* "3s", "5m12s", "2h01m", "3d04h" */
const char *nb_nat_age_str(__u64 ns, char buf[32]);
/*
 * {"proto":"tcp","type":"dnat","state":"ESTABLISHED",
 *  "original":{"src":"198.18.0.9","sport":5000,"dst":"198.18.0.1","dport":8000},
 *  "translated":{...}, "age_seconds":12, "idle_seconds":1, "expires_seconds":21599,
 *  "packets":..,"bytes":..,"reply_packets":..,"reply_bytes":..}; NULL on ENOMEM
 */
json_t *nb_nat_flow_json(const struct nb_nat_flow *f);

#endif
