/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Conntrack as the packet tests of the IPv4 uplink (tc and XDP) read it back:
 * through nb_nat_ct_foreach(), the walk `netbpfctl ct ls` uses, so a case
 * checks what the control plane would see.
 */
#ifndef NETBPF_TESTS_FLOW_H
#define NETBPF_TESTS_FLOW_H

#include <stdbool.h>
#include <linux/types.h>

#include "maps.h"
#include "nat.h"

/*
 * Whether conntrack holds the translated flow proto s:sp -> d:dp (its
 * original direction, ports in host order); *out (may be NULL) gets it
 */
bool flow_find(const struct nb_maps *m, __u8 proto, __be32 s, __u16 sp, __be32 d, __u16 dp,
	       struct nb_nat_flow *out);

#endif /* NETBPF_TESTS_FLOW_H */
