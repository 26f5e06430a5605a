// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Intent files for network namespaces (pending.h) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "pending.h"

#define PENDING_DIR "pending"
#define PENDING_PREFIX "netns."

/* <state>/pending/netns.<basename of path> */
static int pending_file(const char *state_dir, const char *netns_path, char *out, size_t len)
{
	const char *base = strrchr(netns_path, '/');
	int n;

	base = base ? base + 1 : netns_path;
	if (!*base)
		return -EINVAL;
	n = snprintf(out, len, "%s/" PENDING_DIR "/" PENDING_PREFIX "%s", state_dir, base);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int nb_pending_netns_add(const char *state_dir, const char *netns_path)
{
	char dir[PATH_MAX], file[PATH_MAX];
	ssize_t len = (ssize_t)strlen(netns_path);
	int fd, err = 0;

	snprintf(dir, sizeof(dir), "%s/" PENDING_DIR, state_dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	err = pending_file(state_dir, netns_path, file, sizeof(file));
	if (err)
		return err;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, netns_path, len) != len)
		err = errno ? -errno : -EIO;
	close(fd);
	if (err)
		unlink(file);
	return err;
}

void nb_pending_netns_clear(const char *state_dir, const char *netns_path)
{
	char file[PATH_MAX];

	if (!pending_file(state_dir, netns_path, file, sizeof(file)))
		unlink(file);
}

static bool owned_by_sandbox(const struct nb_sandbox_rec *sbs, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(sbs[i].netns, path))
			return true;
	return false;
}

int nb_pending_netns_reap(const char *state_dir, struct nb_store *st, nb_pending_report_fn fn,
			  void *arg)
{
	char dir[PATH_MAX], file[PATH_MAX + 256], path[NB_NETNS_PATHMAX], what[NB_NETNS_PATHMAX + 64];
	struct nb_sandbox_rec *sbs = NULL;
	struct dirent *de;
	size_t ns = 0;
	ssize_t len;
	DIR *d = NULL;
	int fd, err, count = 0;

	snprintf(dir, sizeof(dir), "%s/" PENDING_DIR, state_dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	err = nb_store_sandbox_list(st, &sbs, &ns);
	if (err)
		goto cleanup;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PENDING_PREFIX, strlen(PENDING_PREFIX)))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
		fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			err = -errno;
			goto cleanup;
		}
		len = read(fd, path, sizeof(path) - 1);
		err = len < 0 ? -errno : 0;
		close(fd);
		if (err)
			goto cleanup;
		path[len] = '\0';
		/* only netbpf's own kind of path: a netns it created under /run/netns */
		if (!strncmp(path, NB_NETNS_RUN_DIR "/", strlen(NB_NETNS_RUN_DIR) + 1) &&
		    !strchr(path + strlen(NB_NETNS_RUN_DIR) + 1, '/') &&
		    !owned_by_sandbox(sbs, ns, path)) {
			err = nb_netns_delete(path);
			if (err && err != -ENOENT)
				goto cleanup;
			if (!err) {
				snprintf(what, sizeof(what),
					 "network namespace %s (left by an interrupted command)",
					 path);
				if (fn)
					fn(arg, what);
				count++;
			}
		}
		if (unlink(file) && errno != ENOENT) {
			err = -errno;
			goto cleanup;
		}
	}
	err = 0;
cleanup:
	free(sbs);
	if (d)
		closedir(d);
	return err ? err : count;
}
