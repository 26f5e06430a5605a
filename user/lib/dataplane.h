/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading, pinning and reloading the BPF objects of an instance, through
 * the skeletons bpftool generates from bpf/NAME.bpf.c, and the instance
 * settings in nb_config.
 *
 * `up` loads every object with pin_root_path = the pin dir, so maps are
 * created once and pinned by name (LIBBPF_PIN_BY_NAME), and pins each
 * program under <pin dir>/progs/<NB_PROG_*>. Other commands attach the pinned
 * programs (hooks.h) and write the maps (maps.h, nat.h over mapio.h). When
 * the pin dir is not on a bpffs, a bpffs is mounted there first.
 */
#ifndef NETBPF_DATAPLANE_H
#define NETBPF_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
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

/* The id of pinned program NB_PROG_* (or any name under <pin dir>/progs); -ENOENT */
int nb_dp_prog_id(const struct nb_instance *inst, const char *prog, __u32 *id);

/*
 * Calls fn for every pin of this build: programs (is_map false) and maps, with
 * the name and the pin's path, each once per object that declares it (a
 * shared map comes once per object). Stops at fn's first non-zero return.
 */
typedef int (*nb_dp_pin_fn)(void *arg, bool is_map, const char *name, const char *path);
int nb_dp_pins_foreach(const struct nb_instance *inst, nb_dp_pin_fn fn, void *arg);

/* ---- for the hook modules ---------------------------------------------------- */

/* An fd of pinned program NB_PROG_* (or any name under <pin dir>/progs), or -errno */
int nb_dp_prog_fd(const struct nb_instance *inst, const char *prog);
int nb_dp_prog_info(int fd, struct bpf_prog_info *info);
/* libbpf's messages through the log hook, once (every entry point calls this or the next) */
void nb_dp_libbpf_init(void);
/* libbpf speaks only with inst->verbose (-v: warnings, -vv: debug), through the log hook */
void nb_dp_libbpf_quiet(const struct nb_instance *inst);

typedef int (*nb_dp_cgroup_prog_fn)(const struct nb_instance *inst, const char *name,
				    enum bpf_attach_type type, int cg_fd, void *arg);
/*
 * Calls fn for every cgroup program the objects provide (with cg_fd passed through). A
 * pinned program does not tell its expected attach type, so it is read from the object.
 */
int nb_dp_cgroup_progs_foreach(const struct nb_instance *inst, int cg_fd, nb_dp_cgroup_prog_fn fn,
			       void *arg);
/* How many cgroup programs the objects provide, or -errno */
int nb_dp_cgroup_progs_count(const struct nb_instance *inst);

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

#endif
