/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* `netbpfctl stats`' output from a struct nb_metrics: the JSON array and the table's rows. */
#ifndef NETBPF_STATS_TABLE_H
#define NETBPF_STATS_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <netbpf/netbpf.h>

/*
 * `stats --format json`: an array, one object per sandbox, shaped like the
 * Docker Engine API's stats: {"read", "name" ("/NAME"), "id", "networks": {"eth0":
 * {"network", "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
 * "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"}}, "drops": {reason:
 * packets}} (drops: by reason, summed over the sandbox's interfaces, only
 * reasons that occurred). read_ns: unix time of the reading. NULL on ENOMEM.
 */
json_t *nb_stats_json(const struct nb_stats_sb *sbs, size_t n, int64_t read_ns);

/* the columns of `stats`' table */
#define NB_STATS_COLS 5
#define NB_STATS_CELL 256
extern const char *const nb_stats_headers[NB_STATS_COLS];
/* NAME, NETWORKS, NET I/O ("1.2kB / 3.4MB": received / sent), PACKETS ("rx / tx"), DROPS */
void nb_stats_row(const struct nb_stats_sb *sb, char cells[NB_STATS_COLS][NB_STATS_CELL]);

#endif
