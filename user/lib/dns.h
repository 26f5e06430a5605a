/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The names netbpfd's DNS answers on a user-defined bridge network's gateway
 * (Docker's embedded DNS): a table read from the state, and the answer to one
 * query over ldns packets. No sockets here: the daemon owns them.
 */
#ifndef NETBPF_DNS_H
#define NETBPF_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "fmt.h"
#include "store.h"

/* a name (a sandbox's, or an alias) of an endpoint */
struct nb_dns_entry {
	char net_id[NB_ID_LEN + 1];
	char sb_id[NB_ID_LEN + 1];
	char name[NB_NAME_MAX + 1]; /* lower case, no trailing dot */
	__be32 ip;
	int alias; /* 0: the sandbox's own name (what PTR answers) */
	struct in6_addr ip6; /* its IPv6 address on a dual-stack network (AAAA); :: for none */
};

/* a user-defined bridge network the DNS serves, on its gateway */
struct nb_dns_net {
	char id[NB_ID_LEN + 1];
	char name[NB_NAME_MAX + 1];
	__be32 gateway;
	struct nb_prefix subnet;
};

struct nb_dns_table {
	struct nb_dns_net *nets;
	size_t nnets;
	struct nb_dns_entry *v;
	size_t n, cap;
};

/* every user-defined bridge network with a gateway, its endpoints' names and aliases */
int nb_dns_table_read(struct nb_store *st, struct nb_dns_table *t);
int nb_dns_table_add_net(struct nb_dns_table *t, const struct nb_dns_net *net);
int nb_dns_table_add(struct nb_dns_table *t, const char *net_id, const char *sb_id,
		     const char *name, __be32 ip, int alias);
/* the IPv6 address of the entries added since the first'th (nb_dns_table_add's) */
void nb_dns_table_set_ip6(struct nb_dns_table *t, size_t first, const struct in6_addr *ip6);
void nb_dns_table_free(struct nb_dns_table *t);
/* the network whose gateway is gw, or NULL */
const struct nb_dns_net *nb_dns_net_by_gateway(const struct nb_dns_table *t, __be32 gw);

enum nb_dns_verdict {
	NB_DNS_DROP = 0,    /* not a query, or not from a sandbox of the network: no reply */
	NB_DNS_ANSWER = 1,  /* *resp holds the reply */
	NB_DNS_FORWARD = 2, /* not a name of ours: for the host's resolvers */
};

/*
 * The reply to query q[len] that client sent to the gateway of network
 * net_id: A and AAAA (the address of a dual-stack network's endpoint; an empty answer
 * for one without) for the names of the endpoints on
 * every network the client's sandbox shares with them, the client's network
 * first (Docker's rule: a name resolves only on a network both share); PTR
 * for their addresses (NXDOMAIN for another address of a shared subnet).
 * Names are case-insensitive, with or without the trailing dot. *resp is
 * malloc'd (free()).
 */
enum nb_dns_verdict nb_dns_answer(const struct nb_dns_table *t, const char *net_id, __be32 client,
				  const uint8_t *q, size_t len, uint8_t **resp, size_t *resp_len);

/* client is the address of a sandbox on net_id (whom the network's DNS serves) */
bool nb_dns_is_client(const struct nb_dns_table *t, const char *net_id, __be32 client);

/*
 * a[alen] is the answer to query q[qlen] as it was sent: a reply (QR) with the same id, opcode
 * and one question of the same name (any case), type and class. Anything else arriving on the
 * query's socket (a spoofed or stale reply) is to be ignored.
 */
bool nb_dns_answer_matches(const uint8_t *q, size_t qlen, const uint8_t *a, size_t alen);

/* the largest UDP reply the client of q takes: 512, or its EDNS payload size, at most max */
size_t nb_dns_udp_limit(const uint8_t *q, size_t qlen, size_t max);

/*
 * *out (malloc'd) is reply a[alen] if it fits in max bytes, else its header and question
 * with TC set and no records (the client retries over TCP). -errno: a is no DNS message.
 */
int nb_dns_truncate(const uint8_t *a, size_t alen, size_t max, uint8_t **out, size_t *out_len);

/* the reply SERVFAIL to q (no resolver answered); NB_DNS_DROP when q is no query */
enum nb_dns_verdict nb_dns_servfail(const uint8_t *q, size_t len, uint8_t **resp,
				    size_t *resp_len);

/*
 * The nameservers (IPv4) of a resolv.conf, at most max, those in skip[nskip]
 * (the gateways themselves: a loop) left out. Loopback resolvers are kept:
 * netbpfd forwards from the host netns, where they are reachable (Docker
 * drops them because it hands them to the container). -errno, the file named.
 */
int nb_dns_upstreams(const char *resolv_conf, const __be32 *skip, size_t nskip, __be32 *out,
		     size_t max);

/*
 * The in-flight slots of a DNS server (a forwarded query's thread, a TCP connection's) by
 * client: at most max_all at once, max_net of one network (its gateway), max_client of one
 * client address on it, so that a sandbox holding idle connections or flooding a slow
 * resolver uses up its own share, not its neighbours' nor other networks'. No lock here:
 * the caller serializes.
 */
#define NB_DNS_SLOTS_MAX 256

enum nb_dns_over {
	NB_DNS_OVER_NONE = 0, /* a slot was taken */
	NB_DNS_OVER_CLIENT,
	NB_DNS_OVER_NET,
	NB_DNS_OVER_ALL,
};

struct nb_dns_slots {
	int max_all, max_net, max_client; /* max_all <= NB_DNS_SLOTS_MAX */
	int inflight;
	struct {
		__be32 gw, ip; /* network (gateway) and client; n == 0: a free entry */
		int n;
	} h[NB_DNS_SLOTS_MAX];
	unsigned long refused[NB_DNS_OVER_ALL + 1]; /* by the limit hit */
	__be32 last_gw, last_ip;		    /* the last client refused */
};

void nb_dns_slots_init(struct nb_dns_slots *s, int max_all, int max_net, int max_client);
/* a slot for client ip of network gw, or which limit it is over (counted in refused[]) */
enum nb_dns_over nb_dns_slot_take(struct nb_dns_slots *s, __be32 gw, __be32 ip);
/* gives back a slot nb_dns_slot_take() gave */
void nb_dns_slot_give(struct nb_dns_slots *s, __be32 gw, __be32 ip);

/* Docker's resolv.conf for a sandbox on a user-defined network: the gateway, ndots:0 */
int nb_dns_write_resolv_conf(const char *path, __be32 gateway);

#endif
