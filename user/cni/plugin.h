/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The CNI commands carried out with netbpf's state and data plane, in the
 * network namespace the plugin runs in (the instance's host netns).
 *
 * A CNI network is the netbpf bridge network of the same name: created by
 * the first ADD from the configuration's addressing keys, or matched when
 * it exists (a key the configuration gives must agree with the network; a
 * mismatch is refused naming both values). A container is a netbpf sandbox
 * that adopts CNI_NETNS (never owned: the runtime deletes the netns). A
 * 64-hex-digit container id (podman, containerd, CRI-O) is the sandbox's id.
 * The sandbox is named after the pod when CNI_ARGS has K8S_POD_NAME (podman
 * passes the container's name there): "<pod>", or when another sandbox has
 * that name "<pod>.<K8S_POD_NAMESPACE>", then "<pod>-<12 digits of the
 * container id>"; without one, after the container id (the id itself when it
 * is a valid netbpf name, else its first 12 digits, as Docker shows ids).
 * The container id stays the key of DEL, CHECK and GC: the state's settings
 * hold "cni.container.<sandbox id>" = container id (shown as ContainerID by
 * `sandbox inspect`/`ls --format json`; DEL and GC never touch a sandbox
 * `netbpfctl sandbox create` made) and "cni.sandbox.<container id>" = the
 * sandbox's id.
 *
 * Every command is one store transaction under the store's flock, so
 * concurrent invocations (a runtime starting 20 containers at once)
 * serialize; a failed ADD leaves neither rows nor kernel objects behind.
 * ADD loads the data plane first when the instance is not up (nb_up(), as
 * `netbpfctl up` would, its report logged to stderr).
 *
 * Each function fills ctx->err (code and message) and returns -errno on
 * failure. The library's error slot (log.h) becomes the error's
 * msg/details; its log goes to stderr once nb_cni_log_init() ran.
 */
#ifndef NETBPF_CNI_PLUGIN_H
#define NETBPF_CNI_PLUGIN_H

#include <jansson.h>

#include <netbpf/netbpf.h>

#include "cni.h"

struct nb_cni_ctx {
	struct nb_instance inst;
	const struct nb_cni_env *env;
	const struct nb_cni_conf *conf;
	struct nb_cni_err *err;
};

/*
 * The instance: the configuration's stateDir/pinDir/cgroup, else
 * NETBPF_STATE_DIR/NETBPF_PIN_DIR/NETBPF_CGROUP, else netbpfctl's defaults.
 */
void nb_cni_instance(const struct nb_cni_conf *c, struct nb_instance *inst);

/*
 * Sends the library's log to stderr as "netbpf-cni: ..." lines, where runtimes keep a
 * plugin's log; the error slot's lines too, once a step has read them.
 */
void nb_cni_log_init(void);

int nb_cni_add(struct nb_cni_ctx *ctx, json_t **result);
int nb_cni_del(struct nb_cni_ctx *ctx);
int nb_cni_check(struct nb_cni_ctx *ctx);
int nb_cni_status(struct nb_cni_ctx *ctx);
int nb_cni_gc(struct nb_cni_ctx *ctx);

#endif
