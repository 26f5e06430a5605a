/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Intents for what a transaction cannot undo by itself: a network namespace
 * netbpf creates (sandbox create) or is about to delete (sandbox rm) lives
 * outside the database, so a command killed between making the netns and
 * committing its row would leak it, and nothing in the kernel says it was
 * netbpf's. Before such a step the command writes a small file
 * <state dir>/pending/netns.<name> naming the path, and removes it when the
 * command has finished either way. A file left behind is from a command that
 * died: the writer flock (store.h) is held while the file exists, so `gc`,
 * which takes the same lock, only ever sees dead commands' files. gc then
 * deletes the netns unless the database says a sandbox owns it.
 *
 * No fsync: the files only have to outlive a process, not the machine, and
 * /run/netns itself does not survive a reboot.
 */
#ifndef NETBPF_PENDING_H
#define NETBPF_PENDING_H

#include "store.h"

int nb_pending_netns_add(const char *state_dir, const char *netns_path);
void nb_pending_netns_clear(const char *state_dir, const char *netns_path);

typedef void (*nb_pending_report_fn)(void *arg, const char *what);
/*
 * For each pending file: deletes the netns it names unless a sandbox of st
 * has that netns, then removes the file. Returns how many netns it deleted,
 * or -errno.
 */
int nb_pending_netns_reap(const char *state_dir, struct nb_store *st, nb_pending_report_fn fn,
			  void *arg);

#endif
