/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Docker's legacy remote plugin protocol (Docker 20.10, libnetwork's
 * docs/remote.md and docs/ipam.md): every call is an HTTP POST of a JSON
 * object to /<Role>.<Method>, answered with a JSON object; a failure is
 * {"Err": "..."} with status 200, a method the plugin does not implement is
 * HTTP 404 (what libnetwork expects of an optional method).
 *
 * This file only parses requests into plain structs and renders answers: no
 * store, no kernel. What a call does is the backend's (struct nbd_ops), so
 * tests/unit/test_netbpfd.c drives the whole protocol with a fake backend.
 */
#ifndef NETBPFD_PROTO_H
#define NETBPFD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include <jansson.h>
#include <netbpf/netbpf.h>

#define NBD_CONTENT_TYPE "application/vnd.docker.plugins.v1.2+json"

/* Option keys Docker passes to a network driver */
#define NBD_OPT_GENERIC	 "com.docker.network.generic"
#define NBD_OPT_INTERNAL "com.docker.network.internal"
#define NBD_OPT_IPV6	 "com.docker.network.enable_ipv6"
#define NBD_OPT_PORTMAP	 "com.docker.network.portmap"
/* IPAM: the address Docker asks for is the network's gateway */
#define NBD_IPAM_GATEWAY "com.docker.network.gateway"

/* an IPAM pool id: "netbpf/" or "netbpf6/" + the pool */
#define NBD_POOL_ID_LEN 64

/* The first error's words, for {"Err": ...} */
struct nbd_err {
	char msg[1024];
};

int nbd_errorf(struct nbd_err *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* NetworkDriver.CreateNetwork */
struct nbd_network {
	const char *id;	   /* NetworkID: 64 hex digits */
	char pool[20];	   /* IPv4Data[0].Pool, "10.1.0.0/16" ("" when none) */
	char gateway[20];  /* IPv4Data[0].Gateway without its prefix length ("" when none) */
	bool internal;	   /* --internal */
	bool ipv6;	   /* --ipv6, or IPv6Data given */
	char pool6[NB_CIDR6_STRLEN];   /* IPv6Data[0].Pool, "fd00:2::/64" ("" when none) */
	char gateway6[NB_IPV6_STRLEN]; /* IPv6Data[0].Gateway without its prefix length */
	const char **opts; /* com.docker.network.generic as "KEY=VALUE", in key order */
	size_t nopts;
	char *buf; /* owns opts' strings */
};

/* NetworkDriver.CreateEndpoint: in, what Docker gives; out, what the backend filled */
struct nbd_endpoint {
	const char *network_id, *endpoint_id;
	__be32 ip; /* Interface.Address (0: the driver picks) */
	int prefix_len;
	__u8 mac[6];
	bool has_mac;		    /* Interface.MacAddress given */
	bool filled_ip, filled_mac; /* set by the backend: answer these only */
	struct in6_addr ip6;	    /* Interface.AddressIPv6 (::: the driver picks, on a v6 net) */
	int prefix6_len;
	bool filled_ip6;
};

/* NetworkDriver.Join's answer */
struct nbd_join {
	char src_name[16]; /* the veth peer in the host netns Docker moves into the sandbox */
	__be32 gateway;	   /* 0: DisableGatewayService (an internal network) */
	struct in6_addr gateway6; /* GatewayIPv6; :: for none */
};

/* One entry of com.docker.network.portmap */
struct nbd_portmap {
	__u8 proto;		  /* IPPROTO_TCP, IPPROTO_UDP (Docker also sends 132, SCTP) */
	__u16 port;		  /* container port */
	enum nb_family family;	  /* HostIP: "", IPv4 or IPv6 (portspec.h) */
	__be32 host_ip;		  /* NB_FAMILY_V4: the address (0.0.0.0: every one) */
	struct in6_addr host_ip6; /* NB_FAMILY_V6: the address (::: every one) */
	__u16 host_port;	  /* 0: the driver picks */
	__u16 host_port_end;	  /* == host_port unless a range to choose one port from */
};

struct nbd_ops {
	void *ctx;
	int (*network_create)(void *ctx, const struct nbd_network *n, struct nbd_err *e);
	int (*network_delete)(void *ctx, const char *nid, struct nbd_err *e);
	int (*endpoint_create)(void *ctx, struct nbd_endpoint *ep, struct nbd_err *e);
	int (*endpoint_delete)(void *ctx, const char *nid, const char *eid, struct nbd_err *e);
	/* *value: a JSON object (owned by the caller) */
	int (*endpoint_info)(void *ctx, const char *nid, const char *eid, json_t **value,
			     struct nbd_err *e);
	int (*join)(void *ctx, const char *nid, const char *eid, const char *sandbox_key,
		    struct nbd_join *out, struct nbd_err *e);
	int (*leave)(void *ctx, const char *nid, const char *eid, struct nbd_err *e);
	int (*ext_program)(void *ctx, const char *nid, const char *eid,
			   const struct nbd_portmap *pm, size_t n, struct nbd_err *e);
	int (*ext_revoke)(void *ctx, const char *nid, const char *eid, struct nbd_err *e);
	/*
	 * IPAM: pool is "" for any (IPv4 only: no IPv6 pool is picked); v6: Docker's V6, an
	 * IPv6 pool; *pool_out/addr_out "a.b.c.d/len" or "fd00::2/64"
	 */
	int (*pool_request)(void *ctx, const char *pool, const char *subpool, bool v6,
			    char id[NBD_POOL_ID_LEN], char pool_out[NB_CIDR6_STRLEN],
			    struct nbd_err *e);
	int (*pool_release)(void *ctx, const char *id, struct nbd_err *e);
	int (*address_request)(void *ctx, const char *pool_id, const char *addr, bool gateway,
			       char addr_out[NB_CIDR6_STRLEN], struct nbd_err *e);
	int (*address_release)(void *ctx, const char *pool_id, const char *addr, struct nbd_err *e);
};

/*
 * Answers one call: method is the URL path ("/NetworkDriver.Join"), body
 * the request (may be empty). *out is the malloc'd answer; returns the HTTP
 * status (200, or 404 for a method netbpfd does not implement).
 */
int nbd_handle(const struct nbd_ops *ops, const char *method, const char *body, size_t len,
	       char **out);

/* ---- parsing, exposed for the unit tests ---------------------------------- */

/* CreateNetwork's request; n->buf freed with nbd_network_free */
int nbd_network_parse(json_t *req, struct nbd_network *n, struct nbd_err *e);
void nbd_network_free(struct nbd_network *n);

/* com.docker.network.portmap of options (absent or null: none); *out malloc'd */
int nbd_portmap_parse(json_t *options, struct nbd_portmap **out, size_t *n, struct nbd_err *e);

/*
 * A portmap entry as netbpf's publish spec for one host port hp:
 * "[IP:]HP:PORT/PROTO", or "IP::PORT/PROTO" / "PORT/PROTO" (netbpf picks) when hp is 0;
 * an IPv6 address in brackets ("[::]:HP:PORT/PROTO", "[::]:PORT/PROTO").
 */
int nbd_portmap_spec(const struct nbd_portmap *m, __u16 hp, char *buf, size_t size);

/* "a.b.c.d/len" into ip and len; -EINVAL */
int nbd_parse_cidr_addr(const char *s, __be32 *ip, int *len);
/* "fd00::2/64" into ip and len; -EINVAL */
int nbd_parse_cidr_addr6(const char *s, struct in6_addr *ip, int *len);

#endif
