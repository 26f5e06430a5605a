/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Cluster membership over etcd (issue 17's foundation; docs/overlay.md).
 * An instance with a store (`up --store etcd://... --advertise IP`, kept in
 * the state's settings) is one host of a cluster; the agent (nb_agent_run,
 * run by netbpfd) registers it under a lease, keeps the lease alive and
 * follows every key under NB_CLUSTER_PREFIX. Key layout:
 *
 *   /netbpf/v1/hosts/<instance id>  {"id","advertise","hostname","started","version"}
 *                                    under the host's lease (TTL: --store-ttl)
 *
 * A host whose lease expires (its agent died, its link was cut) has no
 * record any more: the others' watch sees the DELETE.
 */
#ifndef NETBPF_CLUSTER_H
#define NETBPF_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "etcd.h"

#define NB_CLUSTER_PREFIX      "/netbpf/v1/"
#define NB_CLUSTER_HOSTS       NB_CLUSTER_PREFIX "hosts/"
#define NB_CLUSTER_TTL_DEFAULT 10 /* seconds */
#define NB_CLUSTER_TTL_MIN     2
#define NB_CLUSTER_TTL_MAX     3600

struct nb_instance;
struct nb_store;

/* What `up --store` keeps in the state; NULL fields: not set */
struct nb_cluster_cfg {
	char *store;			  /* "etcd://IP:2379,..." */
	char *advertise;		  /* this host's underlay address */
	char *cacert, *cert, *key, *user; /* etcd's TLS and auth (user "NAME:PASSWORD") */
	int64_t ttl;			  /* lease TTL, seconds; 0: the default */
	char host_id[40];		  /* the instance id, "" until `up` made one */
};

/* The settings (-ENOENT when the instance has no store) */
int nb_cluster_cfg_get(struct nb_store *st, struct nb_cluster_cfg *c);
/* Stores c (within the caller's transaction); validates it first (-EINVAL, cause in the slot) */
int nb_cluster_cfg_put(struct nb_store *st, const struct nb_cluster_cfg *c);
int nb_cluster_cfg_check(const struct nb_cluster_cfg *c);
void nb_cluster_cfg_free(struct nb_cluster_cfg *c);
/* The instance's settings through its state (a reader); -ENOENT when it has no store */
int nb_cluster_cfg_load(const struct nb_instance *inst, struct nb_cluster_cfg *c);

/*
 * `up --store`: given (NULL fields: the stored ones) merged with the stored
 * settings into *out, validated, and the store asked whether it answers;
 * the cause in the slot, nothing stored. The caller stores *out with
 * nb_cluster_cfg_put in its transaction.
 */
int nb_cluster_up(struct nb_store *st, const struct nb_cluster_cfg *given,
		  struct nb_cluster_cfg *out);

/* A client of the cluster's store; timeout_ms 0: the default */
int nb_cluster_connect(const struct nb_cluster_cfg *c, long timeout_ms, struct nb_etcd **e);
/* Whether the store answers (a range of the hosts); the cause in the slot */
int nb_cluster_check(const struct nb_cluster_cfg *c);

struct nb_cluster_host {
	char id[40];
	char advertise[64];
	char hostname[256];
	int64_t started; /* unix seconds */
	char version[64];
	int64_t lease;		  /* etcd lease id */
	int64_t ttl, granted_ttl; /* seconds left, granted; -1: not asked */
	int64_t mod_revision;
};

/* A host record's JSON (malloc'd) */
char *nb_cluster_host_json(const struct nb_cluster_host *h);
/* A record read back: key /netbpf/v1/hosts/<id>; -EINVAL when it is not one */
int nb_cluster_host_parse(const char *key, const char *value, size_t len,
			  struct nb_cluster_host *h);
/* The hosts in the store (with their leases' TTL when ttl is set), sorted by id */
int nb_cluster_hosts(struct nb_etcd *e, bool ttl, struct nb_cluster_host **hosts, size_t *n);

/* What the agent tells its front end (any may be NULL) */
struct nb_agent_ops {
	void (*host_up)(const struct nb_cluster_host *h, bool self, void *arg);
	void (*host_down)(const char *id, void *arg);
	void *arg;
};

/*
 * The agent: registers this host under a lease and keeps it alive (a
 * thread of its own), lists and watches NB_CLUSTER_PREFIX, re-lists after a
 * compaction or when the store was unreachable, until *stop. On stop the
 * lease is revoked (the host leaves at once; after a crash, after its TTL).
 * Returns 0 after a stop, -errno when it cannot run (no store: -ENOENT).
 * Store outages are not errors: it logs them and retries.
 */
int nb_agent_run(const struct nb_instance *inst, const volatile int *stop,
		 const struct nb_agent_ops *ops);

#endif
