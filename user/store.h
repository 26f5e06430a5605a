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
 * Every function returns 0 or a negative errno: -ENOENT (no such object),
 * -EEXIST (unique name/address taken), -ENOTUNIQ (ambiguous id prefix),
 * -EIO (SQLite error, logged with the statement's message).
 */
#ifndef NETBPF_STORE_H
#define NETBPF_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "ipam.h"
#include "names.h"

struct nb_store;

#define NB_DRIVER_BRIDGE "bridge"
#define NB_DRIVER_HOST "host"
#define NB_DRIVER_NONE "none"

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
};

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
};

struct nb_publish_rec {
	char sandbox_id[NB_ID_LEN + 1];
	char network_id[NB_ID_LEN + 1]; /* the network the port is reached through */
	__be32 host_ip; /* 0 = every host address */
	__u16 host_port; /* host order */
	__u16 sb_port; /* host order */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
};

/* Opens (creating the directory 0700, the database 0600 and the schema) */
int nb_store_open(const char *state_dir, bool writer, struct nb_store **out);
void nb_store_close(struct nb_store *st);

int nb_store_begin(struct nb_store *st); /* BEGIN IMMEDIATE */
int nb_store_commit(struct nb_store *st);
void nb_store_rollback(struct nb_store *st);

/* Records returned in arrays are freed with the matching *_free. */
void nb_network_rec_clear(struct nb_network_rec *n); /* frees options/labels */
void nb_network_recs_free(struct nb_network_rec *v, size_t n);

/* rec->net_id is assigned (lowest free >= 1) for bridge networks when 0 */
int nb_store_network_add(struct nb_store *st, struct nb_network_rec *rec);
/* Docker's resolution: exact name, then exact id, then unique id prefix */
int nb_store_network_find(struct nb_store *st, const char *name_or_id, struct nb_network_rec *out);
int nb_store_network_del(struct nb_store *st, const char *id);
int nb_store_network_list(struct nb_store *st, struct nb_network_rec **out, size_t *n);

int nb_store_sandbox_add(struct nb_store *st, const struct nb_sandbox_rec *rec);
int nb_store_sandbox_find(struct nb_store *st, const char *name_or_id, struct nb_sandbox_rec *out);
int nb_store_sandbox_del(struct nb_store *st, const char *id); /* cascades to endpoints, ports */
int nb_store_sandbox_list(struct nb_store *st, struct nb_sandbox_rec **out, size_t *n);

/* -EEXIST when the sandbox is already on the network or the ip is taken */
int nb_store_endpoint_add(struct nb_store *st, const struct nb_endpoint_rec *rec);
int nb_store_endpoint_del(struct nb_store *st, const char *id);
int nb_store_endpoint_find(struct nb_store *st, const char *network_id, const char *sandbox_id,
			   struct nb_endpoint_rec *out);
/* network_id and/or sandbox_id may be NULL (no filter); ordered by sandbox, seq */
int nb_store_endpoint_list(struct nb_store *st, const char *network_id, const char *sandbox_id,
			   struct nb_endpoint_rec **out, size_t *n);
/* the addresses in use on a network, for IPAM */
int nb_store_network_ips(struct nb_store *st, const char *network_id, __be32 **out, size_t *n);

/* -EEXIST when (host_ip, host_port, proto) is taken, with *holder set to the holder */
int nb_store_publish_add(struct nb_store *st, const struct nb_publish_rec *rec,
			 struct nb_publish_rec *holder);
int nb_store_publish_del(struct nb_store *st, const struct nb_publish_rec *rec);
/* sandbox_id may be NULL: all */
int nb_store_publish_list(struct nb_store *st, const char *sandbox_id, struct nb_publish_rec **out,
			  size_t *n);

/* Small key/value table for instance settings (uplinks, mode...) */
int nb_store_setting_get(struct nb_store *st, const char *key, char **value); /* malloc'd */
int nb_store_setting_set(struct nb_store *st, const char *key, const char *value);

#endif
