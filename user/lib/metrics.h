/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The numbers behind `netbpfctl stats` and `netbpfctl metrics`:
 * nb_metrics_collect() reads them from the store and the pinned maps of an
 * instance into a struct nb_metrics, and only reads: it never writes a map
 * or the state. The renderers are pure functions of that struct, each in its
 * own file: the Prometheus text (prometheus.h, the library's: a daemon serves
 * it too), the stats JSON and table rows (netbpfctl's stats_table.h), so
 * tests/unit/test_metrics.c checks the output byte for byte without a kernel.
 *
 * Where the numbers come from: per endpoint, nb_ep_stats (from the
 * sandbox's point of view: rx = delivered into the sandbox, tx = sent by
 * it) and nb_ep_drops (drops by reason charged to the endpoint as sender or
 * as receiver); globally nb_drops by reason, nb_ct, nb_publish's connection
 * counters, nb_uplinks' port ranges, the fill level of every pinned map and
 * the monitor's lost events.
 */
#ifndef NETBPF_METRICS_H
#define NETBPF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include <jansson.h>

#include <netbpf/abi.h>

#include "dataplane.h"
#include "names.h"
#include "nl.h"

/* One endpoint of a sandbox */
struct nb_stats_if {
	char ifname[NB_IFNAMSIZ];      /* in the sandbox: eth0, ...; "" for host/none networks */
	char host_ifname[NB_IFNAMSIZ]; /* host side (nbe...) */
	char network[NB_NAME_MAX + 1];
	__u32 ifindex;		    /* host side in this netns; 0 when it has no device (now) */
	struct nb_ep_stats c;	    /* zero unless ifindex has counters */
	__u64 drops[NB_DROP_COUNT]; /* packets dropped by reason, index NB_DROP_* - NB_DROP_BASE */
};

struct nb_stats_sb {
	char id[NB_ID_LEN + 1];
	char name[NB_NAME_MAX + 1];
	struct nb_stats_if *ifs; /* in attachment order (eth0, eth1, ...) */
	size_t nifs;
};

/* A pinned map and how full it is */
struct nb_map_fill {
	char name[64]; /* pin name */
	char type[24]; /* "hash", "lru_hash", ... */
	__u64 entries;
	__u32 max_entries;
};

struct nb_port_stat {
	__u8 proto;		       /* IPPROTO_TCP / IPPROTO_UDP */
	__be32 host_ip;		       /* 0 = every host address */
	__u16 host_port;	       /* host order */
	__u16 sb_port;		       /* host order */
	char sandbox[NB_NAME_MAX + 1]; /* "" when the endpoint is not in the state */
	char network[NB_NAME_MAX + 1];
	__u64 conns; /* connections translated so far */
	__u64 flows; /* live conntrack flows to it */
	__u64 bytes; /* bytes of those live flows, both directions */
};

/* Source ports in use by translated flows, per translated source address and protocol */
struct nb_nat_use {
	__be32 addr;
	__u8 proto;
	__u64 ports;
};

/* An uplink's masquerade address and port range (nb_uplinks) */
struct nb_uplink_stat {
	char ifname[NB_IFNAMSIZ]; /* "" when the ifindex has no device */
	__u32 ifindex;
	__be32 addr;
	__u16 port_min, port_max; /* the effective range (0 in the map = 1024 / 65535) */
};

#define NB_CT_TYPES 4 /* index NB_CT_DNAT .. NB_CT_HAIRPIN; 0 unused */

struct nb_metrics {
	struct nb_stats_sb *sbs; /* ordered by name */
	size_t nsbs;
	/* the rest only with NB_COLLECT_ALL */
	struct nb_counter drops[NB_DROP_COUNT]; /* index NB_DROP_* - NB_DROP_BASE */
	bool have_ct;				/* nb_ct is pinned */
	__u64 ct_entries; /* entries in nb_ct (both directions, expired ones not yet reclaimed) */
	__u64 ct_flows[NB_CT_TYPES]; /* live flows by type */
	struct nb_port_stat *ports;
	size_t nports;
	struct nb_nat_use *nat;
	size_t nnat;
	struct nb_uplink_stat *uplinks;
	size_t nuplinks;
	struct nb_map_fill *maps; /* ordered by name */
	size_t nmaps;
	bool have_monitor; /* the event maps are pinned */
	bool monitor_listening;
	__u64 events_lost;
};

#define NB_COLLECT_STATS 0 /* sandboxes and their counters only (stats) */
#define NB_COLLECT_ALL	 1 /* everything (metrics) */

/*
 * Reads the sandboxes named in names (all when nnames is 0; Docker's name or
 * id prefix resolution, "sandbox \"x\" not found" when one does not exist)
 * and their counters, plus with NB_COLLECT_ALL the instance-wide numbers.
 * The store is opened and closed inside, so a streaming caller never holds
 * it between refreshes. Prints the cause on failure; free with
 * nb_metrics_free() (also after a failure).
 */
int nb_metrics_collect(const struct nb_instance *inst, char *const *names, size_t nnames, int what,
		       struct nb_metrics *out);
void nb_metrics_free(struct nb_metrics *m);

#endif
