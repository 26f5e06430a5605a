/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * netbpf's one policy for the directories it makes (the state dir, the pin
 * dir, the cgroup2 fallback mount point, and their missing parents): root's
 * only, 0700, whatever the umask, as the state and the pins they hold are.
 * And what filesystem a path is on (a bpffs, a cgroup2).
 */
#ifndef NETBPF_PATHS_H
#define NETBPF_PATHS_H

#include <stdbool.h>

/*
 * mkdir -p with mode 0700 for every directory it creates (existing ones are left as they
 * are); -ENOTDIR when path exists but is not a directory, -ENAMETOOLONG, or mkdir's -errno
 */
int nb_mkdir_p(const char *path);
/* Whether path is on a filesystem of that magic (BPF_FS_MAGIC, CGROUP2_SUPER_MAGIC) */
bool nb_path_is_fs(const char *path, long magic);

#endif
