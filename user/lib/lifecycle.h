/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The life of an instance's data plane in the network namespace the caller
 * runs in: up (load, attach, restore), down, gc, and the settings `up`
 * remembers in the state (uplinks, masquerade ports, the socket hooks'
 * cgroup) that `status` shows.
 *
 * `up` is the restore path as much as the start: it loads what is not
 * loaded, then replays the whole state (networks, then endpoints of every
 * sandbox whose netns still exists). Replaying is idempotent, so running it
 * over a live system changes nothing and drops no packet. `down` removes
 * every device, hook and pin but keeps the state, so `up` brings it all
 * back. `gc` reconciles the other way: it drops from the state and the
 * kernel what the world has taken away (a netns that vanished).
 *
 * Each returns 0 or -errno with the cause in the error slot (log.h); what
 * they did line by line ("created network ...", "removed ...") goes to the
 * log at NB_LOG_INFO, what they got past at NB_LOG_WARN.
 */
#ifndef NETBPF_LIFECYCLE_H
#define NETBPF_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "dataplane.h"
#include "mapsize.h"
#include "store.h"

/* ---- string lists ----------------------------------------------------------- */

struct nb_strv {
	char **v;
	size_t n;
};

int nb_strv_push(struct nb_strv *s, const char *str);
bool nb_strv_has(const struct nb_strv *s, const char *str);
void nb_strv_free(struct nb_strv *s);
/* "a,b,c" appended to s; empty and repeated items skipped */
int nb_strv_split(struct nb_strv *s, const char *csv);
/* "a,b,c" (malloc'd; NULL when out of memory) */
char *nb_strv_join(const struct nb_strv *s);

/* ---- netbpf's devices and settings ------------------------------------------ */

/* The name prefixes of netbpf's devices: endpoint veths, gateway ports and their peers */
#define NB_DEVICE_PREFIXES 3
extern const char *const nb_device_prefixes[NB_DEVICE_PREFIXES];
bool nb_is_netbpf_device(const char *name);

/* the BPF side's range for 0/0 (<netbpf/consts.h>), as Linux's MASQUERADE */
#define NB_MASQ_PORTS_DEFAULT NB_STR(NB_MASQ_PORT_MIN) "-" NB_STR(NB_MASQ_PORT_MAX)
/* "LO-HI" with 1 <= LO <= HI <= 65535: 0, else -EINVAL (not a range) or -ERANGE */
int nb_masq_ports_parse(const char *s, __u16 *lo, __u16 *hi);
/* The stored range as "LO-HI" in buf (the default when none is stored), parsed into lo/hi */
int nb_masq_ports_stored(struct nb_store *st, char buf[16], __u16 *lo, __u16 *hi);
/* The uplinks `up` remembered (none when it never ran) appended to out */
int nb_uplinks_stored(struct nb_store *st, struct nb_strv *out);

/*
 * `up --bridge-subnet`'s value (Docker's bip, as a subnet): A.B.C.D/N, N in 8..30, no
 * host bits; -EINVAL otherwise
 */
struct nb_prefix;
int nb_bridge_subnet_parse(const char *s, struct nb_prefix *p);

/* ---- up, down, gc ----------------------------------------------------------- */

struct nb_cluster_cfg;

struct nb_up_opts {
	const char *const *uplinks; /* none: the remembered ones, else the default route's */
	size_t nuplinks;
	const char *masq_ports; /* validated "LO-HI", NULL: the remembered range */
	const char *bridge_subnet; /* the predefined bridge's subnet; NULL: the remembered one */
	/* "allow" or "deny": who reaches a published port without an allow-list from outside;
	 * NULL: the remembered policy (allow when none) */
	const char *publish_default;
	bool reload;		/* swap in this build's programs over the pinned maps */
	int mode; /* -1: the live mode (tc for a new instance), else enum nb_dp_mode */
	struct nb_dp_sizes sizes; /* map sizes; a 0 field: the kept size, else the default */
	/* `--store ...`: join a cluster (cluster.h; NULL fields: the kept ones); NULL: keep */
	const struct nb_cluster_cfg *cluster;
};

struct nb_up_report {
	enum nb_dp_mode mode;
	char uplinks[256]; /* "eth0,eth1"; "" when none */
	size_t networks, endpoints, ports;
	size_t failed;	/* objects that could not be restored: their causes are in the error slot */
	size_t skipped; /* endpoints of sandboxes whose netns is gone */
	char store[512], advertise[64]; /* the cluster's store, "" when none */
	unsigned int overlay_mtu; /* with a store: the MTU of overlay endpoints (nbvx0's), else 0 */
};

/*
 * Loads and attaches what is not, stores the settings, restores every object of the state.
 * 0 once the state is committed (then r->failed objects may have failed, each with its cause
 * in the error slot), -errno when it stopped before.
 */
int nb_up(const struct nb_instance *inst, const struct nb_up_opts *o, struct nb_up_report *r);

struct nb_down_report {
	int devices; /* netbpf devices deleted */
	bool loaded; /* the programs were loaded (and are now unpinned) */
};

/*
 * Deletes every netbpf device, detaches every hook, removes every pin; keeps the state.
 * Refused when the pin dir belongs to another instance (owner.h), unless force.
 */
int nb_down(const struct nb_instance *inst, struct nb_down_report *r);
int nb_down_opts(const struct nb_instance *inst, bool force, struct nb_down_report *r);

/* Reconciles state and kernel; *count: what it removed (each logged at NB_LOG_INFO) */
int nb_gc(const struct nb_instance *inst, int *count);

#endif
