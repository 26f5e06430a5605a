/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Network namespaces for sandboxes: named ones under /run/netns (what
 * `ip netns add` makes, so `ip netns exec NAME` works), adopted ones by path
 * or by a process's PID, entering them, and their cookies (the identity the
 * socket hooks compare with bpf_get_netns_cookie()).
 */
#ifndef NETBPF_NETNS_H
#define NETBPF_NETNS_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

#define NB_NETNS_RUN_DIR "/run/netns"
#define NB_NETNS_PATHMAX 256

/* Creates /run/netns/NAME as `ip netns add` does; -EEXIST when it exists */
int nb_netns_create(const char *name, char path[NB_NETNS_PATHMAX]);
/* Unmounts and unlinks a netns created by nb_netns_create; -ENOENT if gone */
int nb_netns_delete(const char *path);
/* O_RDONLY|O_CLOEXEC fd of the netns at path, or -errno (-EINVAL: not a netns) */
int nb_netns_open(const char *path);
/* fd of the caller's current netns */
int nb_netns_open_self(void);
/* "/proc/PID/ns/net" after checking the process exists */
int nb_netns_path_of_pid(pid_t pid, char path[NB_NETNS_PATHMAX]);
/* Switches the calling thread to netns_fd */
int nb_netns_enter(int netns_fd);
/* SO_NETNS_COOKIE of a socket made inside netns_fd */
int nb_netns_cookie(int netns_fd, __u64 *cookie);
/* 1 when both fds name the same netns, 0 when not */
int nb_netns_same(int fd_a, int fd_b);
/* Whether the netns at path can be opened (a sandbox's netns still exists) */
bool nb_netns_alive(const char *path);
/* 1 when both paths name the same netns, 0 when not (or one is gone) */
int nb_netns_same_path(const char *a, const char *b);
/*
 * Runs fn(arg) inside the netns behind netns_fd (-1: right here) and comes back; its
 * result. Aborts when it cannot come back: nothing may run on in the wrong netns.
 */
int nb_netns_run(int netns_fd, int (*fn)(void *), void *arg);

#endif
