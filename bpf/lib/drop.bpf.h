/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Drop accounting. Helpers everywhere return -NB_DROP_* (values above every
 * TC_ACT_*, see <netbpf/abi.h>); only an entry program turns one into
 * TC_ACT_SHOT, and it counts the drop by reason here, per CPU, so the fast
 * path never contends on a counter.
 */
#ifndef NETBPF_DROP_BPF_H
#define NETBPF_DROP_BPF_H

#include "maps.bpf.h"
#include "events.bpf.h"

/* True when ret is a drop reason rather than a verdict. */
static __always_inline bool nb_is_drop(int ret)
{
	return ret <= -NB_DROP_BASE;
}

static __always_inline void nb_drop_count(__u32 reason, __u32 len)
{
	__u32 idx = reason - NB_DROP_BASE;
	struct nb_counter *c;

	c = bpf_map_lookup_elem(&NB_MAP_DROPS, &idx);
	if (!c)
		return;
	c->packets++;
	c->bytes += len;
}

#endif
