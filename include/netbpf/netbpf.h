/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libnetbpf, the one header a front end (netbpfctl, the CNI plugin, a daemon)
 * includes. The library keeps the state (SQLite), allocates addresses,
 * realizes networks and endpoints in the kernel (netlink, netns, maps),
 * publishes ports, loads and attaches the data plane, and runs an instance's
 * life (up, down, gc). It never prints and never exits:
 *
 *   - every call returns 0 (or a count) on success and -errno on failure,
 *     with lines naming the object and the cause in the calling thread's
 *     error slot: nb_error_msg() (the last line, the outermost cause),
 *     nb_error_text() (all of them), nb_error_code(), nb_error_clear();
 *   - what is not an error goes to the log hook, nb_log_set(fn, arg, level):
 *     warnings, progress lines (NB_LOG_INFO), -v debug and libbpf's own.
 *
 *	struct nb_instance inst = {.state_dir = ..., .pin_dir = ..., .cgroup = ...};
 *	struct nb_up_report r;
 *
 *	nb_log_set(my_log, NULL, NB_LOG_INFO);
 *	nb_error_clear();
 *	if (nb_up(&inst, &(struct nb_up_opts){.mode = -1}, &r))
 *		reply_error(nb_error_code(), nb_error_msg());
 *
 * The declarations live in the library's module headers (in user/lib/),
 * included here; a front end includes only this one.
 */
#ifndef NETBPF_NETBPF_H
#define NETBPF_NETBPF_H

#include <netbpf/abi.h>

/* errors and log */
#include "log.h"
/* values, names, addresses */
#include "fmt.h"
#include "ipam.h"
#include "names.h"
#include "portspec.h"
/* the state and what resolves into it */
#include "paths.h"
#include "pending.h"
#include "resolve.h"
#include "store.h"
/* the kernel: data plane objects and hooks, maps, NAT, netlink, netns */
#include "dataplane.h"
#include "ethtool.h"
#include "hooks.h"
#include "mapio.h"
#include "maps.h"
#include "nat.h"
#include "netns.h"
#include "nl.h"
/* networks, endpoints, published ports, membership */
#include "membership.h"
#include "network.h"
#include "publish.h"
#include "realize.h"
/* the instance's life, its counters and events */
#include "events.h"
#include "fault.h"
#include "host.h"
#include "dns.h"
#include "mapdump.h"
#include "lifecycle.h"
/* several hosts: etcd and cluster membership */
#include "cluster.h"
#include "etcd.h"
#include "overlay.h"
#include "ovnet.h"
#include "mapsize.h"
#include "owner.h"
#include "pins.h"
#include "uplinks.h"
#include "metrics.h"
#include "prometheus.h"

#endif
