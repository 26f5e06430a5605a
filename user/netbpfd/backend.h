/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What Docker's calls do to netbpf: every library call of netbpfd lives in
 * backend.c, behind the struct nbd_ops that proto.c dispatches to.
 *
 * Mapping (recorded in the state's settings, so `netbpfctl` and a restarted
 * netbpfd see it):
 *  - a Docker network is the netbpf bridge network whose id is Docker's
 *    NetworkID ("docker.network.<id>" marks it as Docker's); its name is
 *    Docker's name when Docker says it (see nbd_backend_names), else the
 *    first 12 digits of the id, what `docker network ls` shows as ID;
 *  - a Docker sandbox (a container's netns, Join's SandboxKey) is a netbpf
 *    sandbox adopting that netns ("docker.sandbox.<id>" = the key), named
 *    after the container when Docker says it, else the key's last element;
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

#endif
