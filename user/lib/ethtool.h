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

/*
 * Whether ifname (in this netns) is a veth. A veth's "native" XDP converts every skb its
 * peer sends into an XDP buffer (copying the clones TCP sends) and back, so XDP mode leaves
 * veth uplinks to tc unless told otherwise (docs/xdp.md has the measurements).
 */
bool nb_dp_link_is_veth(const char *ifname);

#endif
