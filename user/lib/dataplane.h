/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading, pinning and attaching the BPF programs of an instance, through
 * the skeletons bpftool generates from bpf/NAME.bpf.c.
 *
 * `up` loads every object with pin_root_path = the pin dir, so maps are
 * created once and pinned by name (LIBBPF_PIN_BY_NAME), and pins each
 * program under <pin dir>/progs/<NB_PROG_*>. Every other command attaches the
 * pinned programs (bpf_obj_get) with bpf_tc_hook_create()/bpf_tc_attach()
 * (clsact, direct action) and writes maps through maps.h. When the pin dir is
 * not on a bpffs, a bpffs is mounted there first.
 */
#ifndef NETBPF_DATAPLANE_H
#define NETBPF_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "maps.h"

struct nb_dp_sizes;

struct nb_instance {
	const char *state_dir; /* --state-dir / NETBPF_STATE_DIR, default /var/lib/netbpf */
	const char *pin_dir; /* --pin-dir / NETBPF_PIN_DIR, default /sys/fs/bpf/netbpf */
	const char *cgroup; /* --cgroup / NETBPF_CGROUP, default the cgroup2 root */
	int verbose; /* -v: libbpf's own messages too */
	/* `up`: the sizes of the maps it creates (mapsize.h); NULL: the defaults */
	const struct nb_dp_sizes *sizes;
};

/* Loads and pins maps and programs unless already pinned; idempotent. */
int nb_dp_load(const struct nb_instance *inst);
/*
 * `up --reload`: loads the objects of this build afresh over the pinned maps
 * (refused, changing nothing, when a pinned map's type/key/value/size/flags
 * or the BTF layout of its key or value differ from this build's), re-pins every program in the old one's place,
 * and swaps the cgroup programs in place (BPF_F_REPLACE). The tc hooks still
 * run the old programs afterwards: nb_dp_tc_ensure() sees the pinned id
 * changed and replaces them (BPF_TC_F_REPLACE), which `up` does next.
 */
int nb_dp_reload(const struct nb_instance *inst);
/*
 * Removes every pin of the instance (its nb_* maps, progs/) and the pin dir itself, unless
 * the pin dir is a mount point or holds files that are not netbpf's (a bpffs's own
 * maps.debug/progs.debug): those stay.
 */
int nb_dp_unload(const struct nb_instance *inst);
/* 1 when the instance's programs are pinned, 0 when not */
int nb_dp_loaded(const struct nb_instance *inst);

/* Opens the pinned maps; -ENOENT (with a "run `netbpfctl up`" message) when not up */
int nb_dp_maps(const struct nb_instance *inst, struct nb_maps *maps);
/* The object pinned as name in the pin dir (a map, mostly): its fd, or -errno (-ENOENT, ...) */
int nb_dp_pin_open(const struct nb_instance *inst, const char *name);

/* Attaches pinned program NB_PROG_* to ifindex's tc ingress/egress (replacing) */
int nb_dp_tc_attach(const struct nb_instance *inst, int ifindex, const char *prog, bool egress);
/* The same, unless that very program is attached there already: 1 when it attached, 0 when
 * it was there (so `up` over a live system never touches a working hook) */
int nb_dp_tc_ensure(const struct nb_instance *inst, int ifindex, const char *prog, bool egress);
/*
 * Detaches netbpf's filter from ifindex (-ENOENT when there was none); the clsact qdisc
 * goes too when no other filter is left on it, so an uplink is left as netbpf found it.
 */
int nb_dp_tc_detach(int ifindex, bool egress);
/* The id of the program attached at ifindex's hook by netbpf, 0 when none */
int nb_dp_tc_query(int ifindex, bool egress, __u32 *prog_id);

/* netbpf's tc filter on every hook it uses: handle and priority ("pref" in `tc filter show`) */
#define NB_TC_HANDLE 0x4e42
#define NB_TC_PRIORITY 0x4e42

/* The id of pinned program NB_PROG_* (or any name under <pin dir>/progs); -ENOENT */
int nb_dp_prog_id(const struct nb_instance *inst, const char *prog, __u32 *id);

/*
 * Calls fn for every pin of this build: programs (is_map false) and maps, with
 * the name and the pin's path, each once per object that declares it (a
 * shared map comes once per object). Stops at fn's first non-zero return.
 */
typedef int (*nb_dp_pin_fn)(void *arg, bool is_map, const char *name, const char *path);
int nb_dp_pins_foreach(const struct nb_instance *inst, nb_dp_pin_fn fn, void *arg);

struct nb_dp_prog {
	char name[64]; /* pin name under <pin dir>/progs */
	__u32 id;
	char type[32]; /* "sched_cls", "cgroup_sock_addr", ... */
	char attach[32]; /* cgroup programs: "cgroup_inet4_connect", ...; "" for tc */
	int cgroup_attached; /* cgroup programs: 1 when attached to the instance's cgroup */
};
/* Every pinned program of the instance, sorted by name; *out is malloc'd */
int nb_dp_progs(const struct nb_instance *inst, struct nb_dp_prog **out, size_t *n);

/*
 * The instance's cgroup: inst->cgroup, else the cgroup2 root (found in mountinfo, or
 * mounted under /run/netbpf/cgroup2 when this mount namespace has none, as under
 * `ip netns exec`). inst->cgroup = /sys/fs/cgroup or /sys/fs/cgroup/unified counts as
 * "the root" when no cgroup2 is mounted there (again `ip netns exec`).
 */
int nb_dp_cgroup_path(const struct nb_instance *inst, char *path, size_t size);
/* Attaches (BPF_F_ALLOW_MULTI) / detaches every pinned socket program to/from the cgroup;
 * a no-op when the build has no socket programs. Idempotent both ways. */
int nb_dp_cgroup_attach(const struct nb_instance *inst);
int nb_dp_cgroup_detach(const struct nb_instance *inst);

/* Writes nb_config (the cookie of the caller's netns = the instance's host netns) */
int nb_dp_config_write(const struct nb_instance *inst);

/*
 * The data plane's mode (`up --mode`), kept in nb_config.flags (NB_CFG_F_XDP):
 * tc: the tc programs alone; xdp: the XDP programs in front of them as well
 * (endpoint host sides and uplinks; an XDP_PASS program on each sandbox-side veth
 * so that veth accepts redirected frames), the tc programs finishing the rest.
 */
enum nb_dp_mode { NB_DP_MODE_TC, NB_DP_MODE_XDP };
int nb_dp_mode_get(const struct nb_instance *inst, enum nb_dp_mode *mode);
int nb_dp_mode_set(const struct nb_instance *inst, enum nb_dp_mode mode);
const char *nb_dp_mode_name(enum nb_dp_mode mode);

struct nb_dp_xdp_state {
	__u32 prog_id; /* 0: no XDP program */
	bool generic; /* attached in generic (skb) mode rather than native */
	char name[16]; /* the program's name, "" when unknown */
};
/*
 * Attaches pinned XDP program NB_PROG_XDP_* to ifindex of the netns behind netns_fd (-1:
 * the caller's): native mode, or generic when that fails and generic_ok. Idempotent;
 * replaces only netbpf's own XDP programs (-EBUSY for another's). st (may be NULL): the
 * result.
 */
int nb_dp_xdp_attach(const struct nb_instance *inst, int netns_fd, int ifindex, const char *prog,
		     bool generic_ok, struct nb_dp_xdp_state *st);
/* Detaches netbpf's XDP program from ifindex (-ENOENT when none of netbpf's is there) */
int nb_dp_xdp_detach(int netns_fd, int ifindex);
int nb_dp_xdp_query(int ifindex, struct nb_dp_xdp_state *st);
/*
 * TX checksum offload of ifname in the netns behind netns_fd (-1: here), as `ethtool -K
 * IFNAME tx on|off`. XDP mode turns it off on the sandbox side of each endpoint: a frame
 * an XDP program redirects loses the skb's "checksum to be completed" (CHECKSUM_PARTIAL)
 * state and would arrive with only the pseudo-header sum in its TCP/UDP checksum.
 */
int nb_dp_tx_csum_set(int netns_fd, const char *ifname, bool on);
/* The nb_xdp_devs devmap: endpoint ports XDP may redirect to */
int nb_dp_xdp_dev_put(const struct nb_instance *inst, __u32 ifindex);
int nb_dp_xdp_dev_del(const struct nb_instance *inst, __u32 ifindex);

#endif
