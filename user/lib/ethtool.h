/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Device settings netbpf changes with ethtool's ioctl. */
#ifndef NETBPF_ETHTOOL_H
#define NETBPF_ETHTOOL_H

#include <stdbool.h>

/*
 * TX checksum offload of ifname in the netns behind netns_fd (-1: here), as `ethtool -K
 * IFNAME tx on|off`. XDP mode turns it off on the sandbox side of each endpoint: a frame
 * an XDP program redirects loses the skb's "checksum to be completed" (CHECKSUM_PARTIAL)
 * state and would arrive with only the pseudo-header sum in its TCP/UDP checksum.
 */
int nb_dp_tx_csum_set(int netns_fd, const char *ifname, bool on);

#endif
