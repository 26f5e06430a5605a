/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading Docker's names back from its API (GET over its unix socket): the
 * plugin protocol never tells a driver a network's or a container's name.
 * Called only from netbpfd's main loop, never from a plugin call: dockerd may
 * wait for the plugin while it holds what its API needs (a deadlock at start).
 */
#ifndef NETBPFD_DOCKER_H
#define NETBPFD_DOCKER_H

#include <jansson.h>

/*
 * GET path ("/networks/ID") on Docker's API socket (sock: a path, or
 * "unix://PATH"); *out is the JSON answer of a 200. -ECONNREFUSED/-ENOENT
 * when dockerd is not there, -ETIMEDOUT after 2 s, -EPROTO for any other
 * status or an answer that is not JSON.
 */
int nbd_docker_get(const char *sock, const char *path, json_t **out);

/* Docker's name of a network ("" when it has none); *out malloc'd */
int nbd_docker_network_name(const char *sock, const char *id, char **out);

/*
 * Docker's container names by endpoint: calls fn(endpoint id, container name,
 * arg) for every endpoint of every container (GET /containers/json?all=1).
 */
int nbd_docker_endpoints(const char *sock, void (*fn)(const char *eid, const char *name, void *arg),
			 void *arg);

#endif
