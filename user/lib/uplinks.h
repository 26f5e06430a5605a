/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Uplinks followed by ifindex, and detached by what is attached.
 *
 * An uplink was known by its name only: renamed, `down` looked for the old
 * name, found nothing, said it succeeded and left uplink_in attached; the
 * next `up` failed half-done on the missing name. The state now keeps each
 * uplink's ifindex beside its name (a device keeps its ifindex when renamed),
 * and `down` detaches netbpf's programs from every device where this
 * instance's programs are attached, whatever the device is called.
 */
#ifndef NETBPF_UPLINKS_H
#define NETBPF_UPLINKS_H

#include <linux/types.h>

#include "nl.h"

struct nb_instance;
struct nb_store;

#define SETTING_UPLINK_IFINDEXES "uplink_ifindexes" /* comma-separated, as "uplinks" */

/* The stored ifindex of each stored uplink (0 where unknown); idx has n entries */
int nb_uplinks_ifindexes_get(struct nb_store *st, int *idx, size_t n);
/* Stores the ifindexes of the n uplinks (n may be 0) */
int nb_uplinks_ifindexes_set(struct nb_store *st, const int *idx, size_t n);

/*
 * The current name of a stored uplink: the device with its stored ifindex
 * when there is one (it may have been renamed), else the one with its name
 * when no ifindex is stored. Returns the ifindex, or -ENODEV.
 */
int nb_uplink_follow(struct nb_nl *nl, const char *name, int ifindex, char now[NB_IFNAMSIZ]);

/*
 * Detaches, from every device of the caller's netns, the tc filters and XDP
 * programs of netbpf whose program id is one of ids (the instance's). report
 * (may be NULL) hears each device and hook. Returns how many, or -errno of the
 * first failure (the others are still tried).
 */
int nb_uplinks_detach_attached(struct nb_nl *nl, const __u32 *ids, size_t nids,
			       void (*report)(void *arg, const char *ifname, const char *hook),
			       void *arg);

#endif
