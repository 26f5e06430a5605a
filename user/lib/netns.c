// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Network namespaces. A named netns is what `ip netns add` makes: a file
 * under /run/netns with the namespace bind-mounted on it, /run/netns itself
 * being a shared mount point so the bind mount propagates into the private
 * mount namespaces `ip netns exec` creates. The namespace is made by a
 * short-lived thread (unshare(CLONE_NEWNET) is per thread), so the caller
 * never leaves its own netns.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/nsfs.h>

#include "log.h"
#include "netns.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/*
 * Makes /run/netns a shared mount point, as iproute2 does, but not
 * recursively: a mount made under a shared mount is shared already, and
 * MS_REC would walk every netns mounted there (the kernel's
 * invent_group_ids()), O(N) per sandbox created at N.
 */
static int run_dir_prepare(void)
{
	bool bound = false;

	if (mkdir(NB_NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	for (;;) {
		if (!mount("", NB_NETNS_RUN_DIR, "none", MS_SHARED, NULL))
			return 0;
		/* EINVAL: not a mount point yet; make it one by binding it onto itself */
		if (errno != EINVAL || bound)
			return -errno;
		if (mount(NB_NETNS_RUN_DIR, NB_NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
			return -errno;
		bound = true;
	}
}

struct netns_thread_arg {
	const char *path;
	int err;
};

static void *netns_thread(void *p)
{
	struct netns_thread_arg *a = p;
	char self[64];

	if (unshare(CLONE_NEWNET) < 0) {
		a->err = -errno;
		return NULL;
	}
	snprintf(self, sizeof(self), "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
	a->err = mount(self, a->path, "none", MS_BIND, NULL) < 0 ? -errno : 0;
	/* the thread's exit drops its reference; the bind mount keeps the netns alive */
	return NULL;
}

int nb_netns_create(const char *name, char path[NB_NETNS_PATHMAX])
{
	struct netns_thread_arg a = {.path = path};
	pthread_t t;
	int fd, err;

	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (snprintf(path, NB_NETNS_PATHMAX, "%s/%s", NB_NETNS_RUN_DIR, name) >= NB_NETNS_PATHMAX)
		return -ENAMETOOLONG;
	err = run_dir_prepare();
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	err = -pthread_create(&t, NULL, netns_thread, &a);
	if (!err) {
		pthread_join(t, NULL);
		err = a.err;
	}
	if (err)
		unlink(path);
	return err;
}

int nb_netns_delete(const char *path)
{
	struct stat st;
	int err = 0;

	if (stat(path, &st) < 0)
		return -errno;
	/* lazily: a process still inside keeps the netns, but the name is gone */
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		err = -errno;
	if (unlink(path) < 0 && !err)
		err = -errno;
	return err;
}

int nb_netns_open(const char *path)
{
	int fd, type, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a file under /run/netns whose mount went away is an ordinary empty file */
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET) {
		err = type < 0 && errno != ENOTTY && errno != EINVAL ? -errno : -EINVAL;
		close(fd);
		return err;
	}
	return fd;
}

int nb_netns_open_self(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int nb_netns_path_of_pid(pid_t pid, char path[NB_NETNS_PATHMAX])
{
	struct stat st;

	if (pid <= 0)
		return -EINVAL;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	snprintf(path, NB_NETNS_PATHMAX, "/proc/%d/ns/net", (int)pid);
	if (stat(path, &st) < 0)
		return -errno;
	return 0;
}

int nb_netns_enter(int netns_fd)
{
	return setns(netns_fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int nb_netns_cookie(int netns_fd, __u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int self, sock, err = 0;

	self = nb_netns_open_self();
	if (self < 0)
		return self;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(self);
		return err;
	}
	/* a socket belongs to the netns it was made in; its cookie is that netns's */
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		err = -errno;
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* never go on in the wrong netns */
	close(self);
	if (err)
		return err;
	if (getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		err = -errno;
	close(sock);
	return err;
}

int nb_netns_same(int fd_a, int fd_b)
{
	struct stat a, b;

	if (fstat(fd_a, &a) < 0 || fstat(fd_b, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool nb_netns_alive(const char *path)
{
	int fd = nb_netns_open(path);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int nb_netns_same_path(const char *a, const char *b)
{
	int fa, fb, same = 0;

	fa = nb_netns_open(a);
	if (fa < 0)
		return 0;
	fb = nb_netns_open(b);
	if (fb >= 0) {
		same = nb_netns_same(fa, fb) == 1;
		close(fb);
	}
	close(fa);
	return same;
}

int nb_netns_run(int netns_fd, int (*fn)(void *), void *arg)
{
	int self, err, err2;

	if (netns_fd < 0)
		return fn(arg);
	self = nb_netns_open_self();
	if (self < 0)
		return self;
	err = nb_netns_enter(netns_fd);
	if (!err) {
		err = fn(arg);
		err2 = nb_netns_enter(self);
		if (err2) {
			/* stranded in the sandbox's netns: nothing further may run here */
			nb_logf(NB_LOG_WARN, "cannot return to the host network namespace: %s",
				strerror(-err2));
			abort();
		}
	}
	close(self);
	return err;
}
