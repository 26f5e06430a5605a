/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The desired state of an instance, in SQLite (<state dir>/netbpf.db): the
 * source of truth that the kernel (devices, BPF maps) is a projection of.
 *
 * Concurrency: nb_store_open() takes an exclusive flock on <state dir>/lock
 * for writers (shared for readers) and holds it until nb_store_close(), so
 * one command's database changes *and* its kernel changes never interleave
 * with another's. Each command runs inside one transaction
 * (nb_store_begin/commit/rollback); a command that fails rolls back the
 * database and undoes its kernel changes itself.
 *
 * Open the store once per process: a second writer open in the same process
 * waits for the first one's flock forever.
 *
 * Every function returns 0 or a negative errno: -ENOENT (no such object, or
 * a reference to one: endpoint of an unknown network/sandbox, port of a
 * sandbox not on that network), -EEXIST (unique name/address taken),
 * -ENOTUNIQ (ambiguous id prefix), -EBUSY (network still has endpoints),
 * -EINVAL (a value the schema refuses, e.g. an id that is not 64 characters),
 * -EROFS (write through a reader), -EIO (SQLite error). Everything but
 * -ENOENT/-EEXIST/-ENOTUNIQ/-EBUSY is logged to stderr with SQLite's message;
 * those four are left to the caller, which knows what to name.
 *
 * Values are stored verbatim through bound parameters: names are not
 * validated here (nb_name_check() is the caller's job).
 */
#ifndef NETBPF_STORE_H
#define NETBPF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

#include "ipam.h"
#include "names.h"

struct nb_store;

#define NB_DRIVER_BRIDGE "bridge"
#define NB_DRIVER_HOST "host"
#define NB_DRIVER_NONE "none"
#define NB_DRIVER_OVERLAY "overlay" /* a bridge network spanning the cluster's hosts (VXLAN) */

struct nb_network_rec {
	char id[NB_ID_LEN + 1];
	char name[NB_NAME_MAX + 1];
	char driver[8]; /* NB_DRIVER_* */
	__u32 net_id; /* small number for BPF maps and device names (nbg<net_id>); 0 for host/none */
	struct nb_prefix subnet; /* zero for host/none */
	struct nb_prefix range; /* --ip-range; equals subnet when not given */
	__be32 gateway;
	bool internal;
	bool icc; /* com.docker.network.bridge.enable_icc (default true) */
	bool masquerade; /* com.docker.network.bridge.enable_ip_masquerade (default true) */
	__be32 host_binding; /* com.docker.network.bridge.host_binding_ipv4 (default 0.0.0.0) */
	unsigned int mtu; /* 0 = default (1500) */
	bool builtin; /* predefined: bridge, host, none */
	int64_t created; /* unix time, nanoseconds */
	char *options; /* JSON object text, malloc'd ("{}" when none) */
	char *labels; /* JSON object text, malloc'd ("{}" when none) */
	bool attachable; /* Docker's --attachable: kept and shown */
	/* Docker's --aux-address: JSON object name -> IPv4 text, malloc'd ("{}"); never allocated */
	char *aux_addresses;
	__u32 vni; /* overlay networks: the cluster-wide VXLAN VNI (host order); 0 otherwise */
	/* IPv6 (Docker's --ipv6 and a v6 --subnet): subnet6.len 0 = the network has none */
	struct nb_prefix6 subnet6;
	struct nb_prefix6 range6; /* equals subnet6 when no v6 --ip-range was given */
	struct in6_addr gateway6;
};

/*
 * Bridge and overlay networks: a gateway, addresses, endpoints with veths
 * (the kernel side of an overlay network is a bridge network's plus its VNI)
 */
static inline bool nb_net_is_bridged(const struct nb_network_rec *n)
{
	return !strcmp(n->driver, NB_DRIVER_BRIDGE) || !strcmp(n->driver, NB_DRIVER_OVERLAY);
}

/* Docker's EnableIPv6 */
static inline bool nb_network_has_v6(const struct nb_network_rec *n)
{
	return n->subnet6.len > 0;
}

/* An option the library reads from nb_network_rec.options: Docker's gateway mode, "nat"
 * (the default) or "routed" (no masquerade; from outside, published container ports are
 * reachable at the sandboxes' own addresses, nothing else) */
#define NB_OPT_GATEWAY_MODE "com.docker.network.bridge.gateway_mode_ipv4"

struct nb_sandbox_rec {
	char id[NB_ID_LEN + 1];
	char name[NB_NAME_MAX + 1];
	char netns[256]; /* path of the netns (/run/netns/NAME or an adopted one) */
	bool owned; /* created by netbpf: removed with the sandbox */
	int64_t created;
};

struct nb_endpoint_rec {
	char id[NB_ID_LEN + 1];
	char network_id[NB_ID_LEN + 1];
	char sandbox_id[NB_ID_LEN + 1];
	char ifname[16]; /* in the sandbox: eth0, eth1, ... */
	char host_ifname[16]; /* host side: nbe + the first 11 hex digits of id */
	__be32 ip;
	__u8 mac[6];
	int seq; /* order of attachment in the sandbox (eth<seq>) */
	int64_t created;
	struct in6_addr ip6; /* :: = none (a network without IPv6) */
};

struct nb_publish_rec {
	char sandbox_id[NB_ID_LEN + 1];
	char network_id[NB_ID_LEN + 1]; /* the network the port is reached through */
	__be32 host_ip; /* 0 = every host address */
	__u16 host_port; /* host order */
	__u16 sb_port; /* host order */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	bool v6; /* a published IPv6 port (table publish6): host_ip6, not host_ip */
	struct in6_addr host_ip6; /* v6: :: = every host address */
};


/*
 * Opens (creating the directory 0700, the database 0600 and the schema).
 * Blocks until the flock is granted. A reader's connection is query-only.
 */
int nb_store_open(const char *state_dir, bool writer, struct nb_store **out);
/* Rolls back a transaction left open, then releases the flock */
void nb_store_close(struct nb_store *st);

/*
 * Whether the state changed, for a long-running reader (netbpfd's DNS) that must not hold the
 * flock nb_store_open() takes (it would block every writer): the database and WAL files'
 * inode, size, mtime and the WAL header, compared with the last call's. No lock, no SQLite.
 * nb_store_watch_changed() is 1 on its first call and whenever a commit, a checkpoint or a
 * database made anew changed them since the last one (a false 1 now and then, never a
 * missed commit), 0 if not, -errno with a message (no database).
 */
struct nb_store_watch;
int nb_store_watch_open(const char *state_dir, struct nb_store_watch **out);
int nb_store_watch_changed(struct nb_store_watch *w);
void nb_store_watch_close(struct nb_store_watch *w);

int nb_store_begin(struct nb_store *st); /* BEGIN IMMEDIATE (a reader: BEGIN, a snapshot) */
int nb_store_commit(struct nb_store *st);
void nb_store_rollback(struct nb_store *st); /* no-op outside a transaction */
/*
 * durable false: this connection's commits skip the WAL's fsync (SQLite's
 * synchronous=NORMAL; the default is FULL). They survive the process crashing
 * and the database stays consistent, but the last ones may be rolled back by
 * a power loss or a kernel crash: only for state a reboot loses anyway (a
 * container's endpoint: its netns and veth are gone too; gc drops a leftover).
 * Its close leaves the WAL for the next durable close or SQLite's automatic
 * checkpoint to fold into the database. Call it outside a transaction.
 */
int nb_store_set_durable(struct nb_store *st, bool durable);

/*
 * Network records own malloc'd strings: freed with the *_clear / *_free
 * below. Sandbox, endpoint, publish and address arrays are plain: free().
 */
void nb_network_rec_clear(struct nb_network_rec *n); /* frees options/labels/aux_addresses */
void nb_network_recs_free(struct nb_network_rec *v, size_t n);
/* The record among v[0..n) whose id is id; NULL when none is */
const struct nb_network_rec *nb_network_recs_by_id(const struct nb_network_rec *v, size_t n,
						   const char *id);

/*
 * rec->net_id is assigned (lowest free >= 1, -ENOSPC beyond NB_MAX_NETWORKS)
 * for bridge networks when 0; rec->id is generated when empty and
 * rec->created set to now when 0. NULL options/labels are stored as "{}".
 */
int nb_store_network_add(struct nb_store *st, struct nb_network_rec *rec);
/* Docker's resolution: exact name, then exact id, then unique id prefix */
int nb_store_network_find(struct nb_store *st, const char *name_or_id, struct nb_network_rec *out);
/* exact id; -EBUSY while endpoints are attached */
int nb_store_network_del(struct nb_store *st, const char *id);
/* ordered by name */
int nb_store_network_list(struct nb_store *st, struct nb_network_rec **out, size_t *n);

/* rec->id must be set (nb_id_new); created 0 = now */
int nb_store_sandbox_add(struct nb_store *st, const struct nb_sandbox_rec *rec);
int nb_store_sandbox_find(struct nb_store *st, const char *name_or_id, struct nb_sandbox_rec *out);
int nb_store_sandbox_del(struct nb_store *st, const char *id); /* cascades to endpoints, ports */
/* ordered by name */
int nb_store_sandbox_list(struct nb_store *st, struct nb_sandbox_rec **out, size_t *n);

/*
 * -EEXIST when the sandbox is already on the network, or the ip, the ifname
 * in the sandbox or the host_ifname is taken; -ENOENT when the network or
 * sandbox does not exist. ip 0 and empty ifnames are stored as "none" (host
 * and none networks), so they never collide. created 0 = now.
 */
int nb_store_endpoint_add(struct nb_store *st, const struct nb_endpoint_rec *rec);
/*
 * The sandbox-side name a runtime gave the interface after netbpf made it
 * (Docker renames the peer it moves); -EEXIST when the sandbox has it already
 */
/* an endpoint's aliases (Docker's --alias): JSON array text; *aliases malloc'd; -ENOENT */
int nb_store_endpoint_set_aliases(struct nb_store *st, const char *id, const char *aliases);
int nb_store_endpoint_aliases(struct nb_store *st, const char *id, char **aliases);
int nb_store_endpoint_set_ifname(struct nb_store *st, const char *id, const char *ifname);
/*
 * A new name for a network or sandbox (netbpfd learns Docker's names after
 * creating them); -EEXIST when the name is taken. Names are not checked here.
 */
int nb_store_network_rename(struct nb_store *st, const char *id, const char *name);
int nb_store_sandbox_rename(struct nb_store *st, const char *id, const char *name);
/* cascades to the ports published through this endpoint */
int nb_store_endpoint_del(struct nb_store *st, const char *id);
int nb_store_endpoint_find(struct nb_store *st, const char *network_id, const char *sandbox_id,
			   struct nb_endpoint_rec *out);
/* network_id and/or sandbox_id may be NULL (no filter); ordered by sandbox id, then seq */
/* the statement nb_store_endpoint_list() runs for these filters (its plan is tested) */
const char *nb_store_endpoint_list_sql(const char *network_id, const char *sandbox_id);
/* id prefix resolution: ids between ?1 (the prefix) and ?2 (upper, from
 * nb_store_id_prefix_range()), a range of the primary key's index */
#define NB_STORE_ID_PREFIX_WHERE "id >= ?1 AND id < ?2"
void nb_store_id_prefix_range(const char *prefix, char upper[NB_ID_LEN + 1]);
/* a network's bridge endpoints, counted per endpoint added: one row of networks, the
 * count kept by triggers (its plan is tested) */
#define NB_STORE_NETWORK_ROOM_SQL "SELECT ndevices FROM networks WHERE id = ?1"
int nb_store_endpoint_list(struct nb_store *st, const char *network_id, const char *sandbox_id,
			   struct nb_endpoint_rec **out, size_t *n);
/* the addresses in use on a network, for IPAM (ascending) */
int nb_store_network_ips(struct nb_store *st, const char *network_id, __be32 **out, size_t *n);
/*
 * For IPAM without reading every address of a network: its floor (every
 * address below is held or reserved; 0 = none known, seek from the range's
 * first) and the addresses in use from the floor up (ascending). A create
 * that takes the lowest free address sets the floor past it.
 */
#define NB_STORE_NETWORK_IPS_FLOOR_SQL                                                             \
	"SELECT ip FROM endpoints WHERE network_id = ?1 AND ip >= ?2 ORDER BY ip"
int nb_store_network_ips_floor(struct nb_store *st, const char *network_id, __be32 *floor,
			       __be32 **out, size_t *n);
int nb_store_network_ip_floor_set(struct nb_store *st, const char *network_id, __be32 floor);
/* the IPv6 addresses in use on a network (ascending) */
int nb_store_network_ips6(struct nb_store *st, const char *network_id, struct in6_addr **out,
			  size_t *n);
/* lowest seq >= 0 no endpoint of the sandbox holds (for eth<seq>) */
int nb_store_endpoint_free_seq(struct nb_store *st, const char *sandbox_id, int *seq);

/*
 * -EEXIST when (host_ip, host_port, proto) is taken, with *holder (may be
 * NULL) set to the holder. 0.0.0.0 conflicts with every address on the same
 * port/proto, both ways. -ENOENT when the sandbox is not on rec->network_id
 * (a port lives through an endpoint and goes with it).
 */
int nb_store_publish_add(struct nb_store *st, const struct nb_publish_rec *rec,
			 struct nb_publish_rec *holder);
/* by sandbox_id, host_ip, host_port, proto (and sb_port unless 0); -ENOENT */
int nb_store_publish_del(struct nb_store *st, const struct nb_publish_rec *rec);
/* sandbox_id may be NULL: all; ordered by sandbox, proto, sb_port, host_port */
/* whether a row holds host ip:port/proto, or the port on an address colliding
 * with ip (0.0.0.0 takes it on all): one indexed look-up, the statement kept */
int nb_store_publish_taken(struct nb_store *st, __be32 ip, __u16 port, __u8 proto, bool *taken);
/* the statements of nb_store_publish_taken() and nb_store_publish_list() (plans tested) */
const char *nb_store_publish_taken_sql(void);
const char *nb_store_publish_list_sql(const char *sandbox_id);
int nb_store_publish_list(struct nb_store *st, const char *sandbox_id, struct nb_publish_rec **out,
			  size_t *n);

/* Published IPv6 ports: as above; -EEXIST with *holder when the key is taken (:: or equal) */
int nb_store_publish6_add(struct nb_store *st, const struct nb_publish_rec *rec,
			  struct nb_publish_rec *holder);
int nb_store_publish6_del(struct nb_store *st, const struct nb_publish_rec *rec);
int nb_store_publish6_taken(struct nb_store *st, const struct in6_addr *ip, __u16 port, __u8 proto,
			    bool *taken);
int nb_store_publish6_list(struct nb_store *st, const char *sandbox_id,
			   struct nb_publish_rec **out, size_t *n);

/*
 * Setting marking a sandbox netbpfd made for Docker ("docker.sandbox.<id>" =
 * Docker's sandbox key): `gc` drops it with its netns, which never comes back
 */
#define NB_SETTING_DOCKER_SANDBOX "docker.sandbox."

/* A source prefix allowed to reach a published port (`publish --allow`) */
struct nb_allow_rec {
	__be32 host_ip; /* the published port's key: host address (0 = every one), */
	__u16 host_port; /* host order */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 len; /* prefix length, 0..32 */
	__be32 addr; /* the prefix */
};

/* Adds a prefix to a published port's list (the port must be a row of publish: -ENOENT);
 * rows go with their published port */
int nb_store_allow_add(struct nb_store *st, const struct nb_allow_rec *rec);
/* Every allowed prefix of every published port */
int nb_store_allow_list(struct nb_store *st, struct nb_allow_rec **out, size_t *n);

/* The same for published IPv6 ports (rows of publish_allow6, gone with their publish6 row) */
struct nb_allow6_rec {
	struct in6_addr host_ip6; /* the published port's key: :: = every host address */
	__u16 host_port;	  /* host order */
	__u8 proto;		  /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 len;		  /* prefix length, 0..128 */
	struct in6_addr addr6;	  /* the prefix */
};

int nb_store_allow6_add(struct nb_store *st, const struct nb_allow6_rec *rec);
int nb_store_allow6_list(struct nb_store *st, struct nb_allow6_rec **out, size_t *n);

/* Small key/value table for instance settings (uplinks, mode...) */
/* *value is malloc'd; -ENOENT when the key is not set */
int nb_store_setting_get(struct nb_store *st, const char *key, char **value);
int nb_store_setting_set(struct nb_store *st, const char *key, const char *value);
int nb_store_setting_del(struct nb_store *st, const char *key); /* -ENOENT */

/*
 * A runtime's sandbox (the CNI plugin's) is marked with the runtime's container id in the
 * setting NB_SETTING_CONTAINER_PREFIX + the sandbox's id; nb_store_sandbox_container reads
 * it (*cid malloc'd), -ENOENT for a sandbox of netbpfctl's own.
 */
#define NB_SETTING_CONTAINER_PREFIX "cni.container."
int nb_store_sandbox_container(struct nb_store *st, const char *sb_id, char **cid);

#endif
