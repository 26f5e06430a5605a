/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which instance a pin dir belongs to.
 *
 * An instance is (state dir, pin dir, cgroup, netns). Nothing tied the pins
 * to the rest: a second instance pointed at the same pin dir (from another
 * netns, with a state of its own) ran `up` and wiped the first one's
 * published ports, and a lost database read as "nothing exists" while the
 * pins and devices ran on. `up` now records the instance in both places: a
 * random id in the state (setting "instance_id") and, in the pin dir, a
 * one-entry array map NB_OWNER_PIN holding the id, the netns and the state
 * dir. Every command that opens the state checks that the two agree; `up`
 * and `down` also check the netns. The map is created by user space and read
 * by no BPF program.
 */
#ifndef NETBPF_OWNER_H
#define NETBPF_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define NB_OWNER_PIN	    "nb_owner"
#define NB_INSTANCE_ID_LEN  32 /* hex digits */
#define SETTING_INSTANCE_ID "instance_id"

struct nb_instance;
struct nb_store;

struct nb_owner_rec {
	char id[NB_INSTANCE_ID_LEN + 8]; /* hex, NUL-terminated */
	__u64 netns_cookie;		 /* the netns `up` ran in */
	__u64 netns_ino;		 /* its inode, as `ls -l /proc/PID/ns/net` shows it */
	char netns_name[64];		 /* its /run/netns name, "" when it has none */
	char state_dir[1024];
};

/* 0, -ENOENT when the pin dir has no owner record, else -errno */
int nb_owner_read(const char *pin_dir, struct nb_owner_rec *o);
/* 'instance ID (network namespace "NAME" net:[INO], state dir DIR)' */
void nb_owner_describe(const struct nb_owner_rec *o, char *buf, size_t size);

/*
 * For `up`, before it loads anything: refuses (-EBUSY, message naming the
 * owner) a pin dir that another instance owns, or whose state is lost
 * (nb_state_check); makes sure the state has an instance id (in st's
 * transaction). id receives it.
 */
int nb_instance_claim(const struct nb_instance *inst, struct nb_store *st,
		      char id[NB_INSTANCE_ID_LEN + 1]);
/* For `up`, after the load: records the owner in the pin dir */
int nb_instance_record(const struct nb_instance *inst, const char *id);
/*
 * For every command that opens the state: when the pin dir has an owner, the
 * state must be the owner's (-ESTALE, message naming both, otherwise).
 */
int nb_state_check(const struct nb_instance *inst, struct nb_store *st);
/*
 * For `down`: the pins may be removed by the instance of this netns and this
 * state dir, also when its database was lost (the way out of that case).
 */
int nb_instance_may_remove(const struct nb_instance *inst, struct nb_store *st);

#endif
