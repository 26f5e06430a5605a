/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The user side of bpf/lib/events.bpf.h: claiming the "a monitor listens"
 * flag (nb_monitor) for the one process that reads the nb_events ring
 * buffer, releasing it, clearing it after a monitor died without doing so,
 * the lost-event counter, and turning a struct nb_event into the line or
 * the JSON object `netbpfctl monitor` prints (pure functions, unit-tested).
 *
 * One monitor per instance: a ring buffer has one consumer position, so two
 * readers would each see a random half of the events. The claim is an
 * exclusive flock on <state dir>/monitor.lock held for the monitor's life
 * (the kernel drops it when the process dies however it dies) plus the
 * monitor's pid and start time in nb_monitor. A flag is stale, and
 * nb_monitor_reap() clears it (`gc` does; a new monitor's claim takes it
 * over), when the lock is free and that process is gone: then no program
 * keeps paying for events nobody reads. Reads (stats, metrics) never write it.
 */
#ifndef NETBPF_EVENTS_H
#define NETBPF_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include <jansson.h>

#include <netbpf/abi.h>

#include "dataplane.h"

struct nb_monitor_maps {
	int events;  /* nb_events (ring buffer) */
	int monitor; /* nb_monitor */
	int lost;    /* nb_ev_lost */
	int lock;    /* <state dir>/monitor.lock while claimed, else -1 */
};

/* Opens the three pinned maps; -ENOENT (with a message) when the instance has none */
int nb_monitor_open(const struct nb_instance *inst, struct nb_monitor_maps *mm);
/* Releases the claim if held, closes everything */
void nb_monitor_close(struct nb_monitor_maps *mm);

/*
 * Makes this process the listener for types (bitmask of 1 << NB_EV_*):
 * -EBUSY with *holder = the listening monitor's pid when another one lives.
 */
int nb_monitor_claim(const struct nb_instance *inst, struct nb_monitor_maps *mm, __u32 types,
		     __u32 *holder);
/* Clears the flag (the programs stop producing events) and the lock */
int nb_monitor_release(struct nb_monitor_maps *mm);
/*
 * Clears a flag left behind by a monitor that is gone. 1 when it cleared
 * one, 0 when there was nothing to clear (or its owner lives), -errno.
 * Meant for every command that reads the instance anyway, and for `up`/`gc`.
 */
int nb_monitor_reap(const struct nb_instance *inst);

/* Events lost to a full ring buffer, summed over CPUs (0 when the map is absent) */
__u64 nb_events_lost(const struct nb_instance *inst);
int nb_events_lost_fd(int fd, __u64 *out);

/* ---- formatting (pure) ---------------------------------------------------- */

/* "drop", "trace", "nat" (NULL for others) */
const char *nb_event_type_name(__u32 type);
/* "drop,nat" -> (1 << NB_EV_DROP) | (1 << NB_EV_NAT); -EINVAL naming nothing */
int nb_event_types_parse(const char *s, __u32 *mask);
/* A tc verdict: "redirect", "pass", "shot", ..., else "verdict-N" (static buffer) */
const char *nb_event_verdict_name(int verdict);

/* Where an event happened, as the control plane names it (any field may be NULL) */
struct nb_event_where {
	const char *ifname;    /* host-side device (nbe..., nbp..., up0) */
	const char *sandbox;   /* the sandbox owning the endpoint */
	const char *sb_ifname; /* its interface in the sandbox (eth0) */
	const char *network;
};

/*
 * One line: "TIME TYPE REASON IFACE (SANDBOX/eth0) TUPLE len N", e.g.
 * "2024-05-01T10:02:03.123Z drop spoof-ip nbe0123456789a (a1/eth0) icmp
 *  10.91.1.200 -> 10.91.1.3 type 8 code 0 id 7 len 98 mac 02:42:.. -> 02:42:..".
 * unix_ns: the event's time as unix time. at: the interface's names, peer:
 * the receiving endpoint's (either may be NULL). Returns snprintf's length.
 */
int nb_event_line(const struct nb_event *ev, int64_t unix_ns, const struct nb_event_where *at,
		  const struct nb_event_where *peer, char *buf, size_t size);
/* The same as a JSON object (`monitor --format json` prints one per line); NULL on ENOMEM */
json_t *nb_event_json(const struct nb_event *ev, int64_t unix_ns, const struct nb_event_where *at,
		      const struct nb_event_where *peer);

#endif
