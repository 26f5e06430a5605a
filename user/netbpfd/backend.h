/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What Docker's calls do to netbpf: every library call of netbpfd lives in
 * backend.c, behind the struct nbd_ops that proto.c dispatches to.
 *
 * Mapping (recorded in the state's settings, so `netbpfctl` and a restarted
 * netbpfd see it):
 *  - a Docker network is the netbpf bridge network whose id is Docker's
 *    NetworkID ("docker.network.<id>" marks it as Docker's), first named by
 *    the id's first 12 digits (what `docker network ls` shows as ID), then by
 *    Docker's name once netbpfd has read it from Docker's API;
 *  - a Docker sandbox (a container's netns, Join's SandboxKey) is a netbpf
 *    sandbox adopting that netns ("docker.sandbox.<id>" = the key), first
 *    named by the key's last element, then by the container's name;
 *  - a Docker endpoint is the netbpf endpoint whose id is Docker's
 *    EndpointID: CreateEndpoint records the address and MAC
 *    ("docker.endpoint.<id>"), Join makes the veth pair (host side nbe…,
 *    the peer Docker moves and renames) and the row, Leave removes both;
 *  - -p is ProgramExternalConnectivity: netbpf's published ports.
 */
#ifndef NETBPFD_BACKEND_H
#define NETBPFD_BACKEND_H

#include <netbpf/netbpf.h>
#include "proto.h"

/* ops->ctx is inst (which must outlive ops) */
void nbd_backend_ops(const struct nb_instance *inst, struct nbd_ops *ops);

/* 0 when the instance is up; else -ENOENT with the cause in e */
int nbd_backend_check_up(const struct nb_instance *inst, struct nbd_err *e);

/*
 * Outside any call: records the sandbox-side names Docker gave the
 * interfaces it moved (the state must name what is in the sandbox, so that
 * `netbpfctl up` recognises the pair). Cheap when nothing is pending.
 */
void nbd_backend_tick(const struct nb_instance *inst);

/*
 * Docker's names (learnt from its API by the main loop, never inside a call):
 * the ids of Docker's networks still named by their id, and the endpoint ids
 * of Docker's sandboxes still named by their key (malloc'd arrays).
 */
int nbd_backend_unnamed(const struct nb_instance *inst, char (**nets)[NB_ID_LEN + 1], size_t *nnets,
			char (**eps)[NB_ID_LEN + 1], size_t *neps);
/* Names network id, or (sandbox) the sandbox of endpoint id; -EEXIST when taken */
int nbd_backend_rename(const struct nb_instance *inst, bool sandbox, const char *id,
		       const char *name);

#endif
