/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where the pinned programs run: tc filters (clsact, direct action) on
 * devices, socket programs on the instance's cgroup, XDP programs on
 * devices, and the list of what is attached where (`status`).
 */
#ifndef NETBPF_HOOKS_H
#define NETBPF_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "dataplane.h"

/* ---- tc ------------------------------------------------------------------- */

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
#define NB_TC_HANDLE   0x4e42
#define NB_TC_PRIORITY 0x4e42

/* ---- cgroup --------------------------------------------------------------- */

struct nb_dp_prog {
	char name[64]; /* pin name under <pin dir>/progs */
	__u32 id;
	char type[32];	     /* "sched_cls", "cgroup_sock_addr", ... */
	char attach[32];     /* cgroup programs: "cgroup_inet4_connect", ...; "" for tc */
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
/* The instance's cgroup opened (a cgroup2 directory), its path in path; -errno */
int nb_dp_cgroup_open(const struct nb_instance *inst, char *path, size_t size);
/* 1 when prog id is attached to cg_fd at type, 0 when not */
int nb_dp_cgroup_has(int cg_fd, enum bpf_attach_type type, __u32 id);
/* Attaches (BPF_F_ALLOW_MULTI) / detaches every pinned socket program to/from the cgroup;
 * a no-op when the build has no socket programs. Idempotent both ways. */
int nb_dp_cgroup_attach(const struct nb_instance *inst);
int nb_dp_cgroup_detach(const struct nb_instance *inst);

/* ---- XDP ------------------------------------------------------------------ */

struct nb_dp_xdp_state {
	__u32 prog_id; /* 0: no XDP program */
	bool generic;  /* attached in generic (skb) mode rather than native */
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
/* The nb_xdp_devs devmap: endpoint ports XDP may redirect to */
int nb_dp_xdp_dev_put(const struct nb_instance *inst, __u32 ifindex);
int nb_dp_xdp_dev_del(const struct nb_instance *inst, __u32 ifindex);

#endif
