/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading, pinning and attaching the BPF programs of an instance, through
 * the skeletons bpftool generates from bpf/*.bpf.c.
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
#include <linux/types.h>

#include "maps.h"

struct nb_instance {
	const char *state_dir; /* --state-dir / NETBPF_STATE_DIR, default /var/lib/netbpf */
	const char *pin_dir; /* --pin-dir / NETBPF_PIN_DIR, default /sys/fs/bpf/netbpf */
	const char *cgroup; /* --cgroup / NETBPF_CGROUP, default the cgroup2 root */
	int verbose; /* -v: libbpf's own messages too */
};

/* Loads and pins maps and programs unless already pinned; idempotent. */
int nb_dp_load(const struct nb_instance *inst);
/* Removes every pin of the instance (maps, programs) and the pin dir itself */
int nb_dp_unload(const struct nb_instance *inst);
/* 1 when the instance's programs are pinned, 0 when not */
int nb_dp_loaded(const struct nb_instance *inst);

/* Opens the pinned maps; -ENOENT (with a "run `netbpfctl up`" message) when not up */
int nb_dp_maps(const struct nb_instance *inst, struct nb_maps *maps);

/* Attaches pinned program NB_PROG_* to ifindex's tc ingress/egress (replacing) */
int nb_dp_tc_attach(const struct nb_instance *inst, int ifindex, const char *prog, bool egress);
/* Detaches netbpf's filter from ifindex; the clsact qdisc goes too when created by netbpf */
int nb_dp_tc_detach(int ifindex, bool egress);
/* The id of the program attached at ifindex's hook, 0 when none */
int nb_dp_tc_query(int ifindex, bool egress, __u32 *prog_id);

#endif
