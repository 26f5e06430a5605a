// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Attaching the pinned programs (hooks.h): tc filters on devices, socket
 * programs on the instance's cgroup, XDP programs on devices, and the list
 * of what is attached where that `status` prints.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <linux/if_link.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "hooks.h"
#include "log.h"
#include "mapio.h"
#include "netns.h"
#include "nl.h"
#include "paths.h"

#define NB_CGROUP2_FALLBACK "/run/netbpf/cgroup2"

/* ---- tc ------------------------------------------------------------------- */

static void tc_hook_init(struct bpf_tc_hook *hook, int ifindex, bool egress)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

int nb_dp_tc_attach(const struct nb_instance *inst, int ifindex, const char *prog, bool egress)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NB_TC_HANDLE, .priority = NB_TC_PRIORITY,
		    .flags = BPF_TC_F_REPLACE);
	struct bpf_tc_hook hook;
	int fd, err;

	nb_dp_libbpf_quiet(inst);
	fd = nb_dp_prog_fd(inst, prog);
	if (fd < 0)
		return fd;
	tc_hook_init(&hook, ifindex, egress);
	/* the clsact qdisc serves both directions; it may exist already (ours or not) */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		goto cleanup;
	opts.prog_fd = fd;
	err = bpf_tc_attach(&hook, &opts);
cleanup:
	close(fd);
	return err;
}

int nb_dp_tc_ensure(const struct nb_instance *inst, int ifindex, const char *prog, bool egress)
{
	__u32 want = 0, have = 0;
	int err;

	nb_dp_libbpf_quiet(inst);
	err = nb_dp_prog_id(inst, prog, &want);
	if (err)
		return err;
	err = nb_dp_tc_query(ifindex, egress, &have);
	if (err)
		return err;
	if (have == want)
		return 0;
	err = nb_dp_tc_attach(inst, ifindex, prog, egress);
	return err ? err : 1;
}

int nb_dp_tc_detach(int ifindex, bool egress)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NB_TC_HANDLE, .priority = NB_TC_PRIORITY);
	struct bpf_tc_hook hook;
	struct nb_nl *nl;
	int err, in, out;

	nb_dp_libbpf_init();
	tc_hook_init(&hook, ifindex, egress);
	err = bpf_tc_detach(&hook, &opts);
	if (err == -EINVAL)
		err = -ENOENT; /* no clsact qdisc at all */
	if (err)
		return err;
	/* drop the clsact qdisc once nobody's filter is left on it */
	if (nb_nl_open(&nl))
		return 0;
	in = nb_nl_tc_filter_count(nl, ifindex, false);
	out = nb_nl_tc_filter_count(nl, ifindex, true);
	nb_nl_close(nl);
	if (in == 0 && out == 0) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return 0;
}

int nb_dp_tc_query(int ifindex, bool egress, __u32 *prog_id)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = NB_TC_HANDLE, .priority = NB_TC_PRIORITY);
	struct bpf_tc_hook hook;
	int err;

	*prog_id = 0;
	nb_dp_libbpf_init();
	tc_hook_init(&hook, ifindex, egress);
	err = bpf_tc_query(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL)
		return 0; /* no filter of ours, or no clsact qdisc */
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

/* ---- socket programs on the cgroup ---------------------------------------- */

static int cgroup2_find(char *path, size_t size)
{
	char line[4096], root[PATH_MAX], mnt[PATH_MAX], *sep;
	FILE *f;
	int found = 0;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	/* "36 25 0:31 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw" */
	while (!found && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
			continue;
		/* a bind mount of a sub-cgroup is not the root */
		if (strcmp(root, "/"))
			continue;
		found = (size_t)snprintf(path, size, "%s", mnt) < size;
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

int nb_dp_cgroup_path(const struct nb_instance *inst, char *path, size_t size)
{
	int err;

	/*
	 * The usual mount points of the root stand for "the root" rather than for a path:
	 * `ip netns exec` hides them behind a fresh sysfs, and the root is then found (or
	 * mounted) elsewhere.
	 */
	if (inst->cgroup && inst->cgroup[0] &&
	    (nb_path_is_fs(inst->cgroup, CGROUP2_SUPER_MAGIC) ||
	     (strcmp(inst->cgroup, "/sys/fs/cgroup") &&
	      strcmp(inst->cgroup, "/sys/fs/cgroup/unified")))) {
		if ((size_t)snprintf(path, size, "%s", inst->cgroup) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!cgroup2_find(path, size))
		return 0;
	/* no cgroup2 in this mount namespace (`ip netns exec` hides it): mount the root */
	err = nb_mkdir_p(NB_CGROUP2_FALLBACK);
	if (err)
		return err;
	if (!nb_path_is_fs(NB_CGROUP2_FALLBACK, CGROUP2_SUPER_MAGIC) &&
	    mount("cgroup2", NB_CGROUP2_FALLBACK, "cgroup2", 0, NULL) < 0)
		return -errno;
	snprintf(path, size, "%s", NB_CGROUP2_FALLBACK);
	return 0;
}

int nb_dp_cgroup_open(const struct nb_instance *inst, char *path, size_t size)
{
	int fd, err;

	err = nb_dp_cgroup_path(inst, path, size);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!nb_path_is_fs(path, CGROUP2_SUPER_MAGIC)) {
		close(fd);
		return -ENOTDIR;
	}
	return fd;
}

/* 1 when prog id is attached to cg_fd at type, 0 when not */
int nb_dp_cgroup_has(int cg_fd, enum bpf_attach_type type, __u32 id)
{
	__u32 ids[64], cnt = 64, flags = 0, i;

	if (bpf_prog_query(cg_fd, type, 0, &flags, ids, &cnt))
		return -errno;
	for (i = 0; i < cnt; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static int cgroup_attach_one(const struct nb_instance *inst, const char *name,
			     enum bpf_attach_type type, int cg_fd, void *arg)
{
	struct bpf_prog_info info;
	int fd, err;

	(void)arg;
	fd = nb_dp_prog_fd(inst, name);
	if (fd < 0)
		return fd;
	err = nb_dp_prog_info(fd, &info);
	if (err)
		goto cleanup;
	err = nb_dp_cgroup_has(cg_fd, type, info.id);
	if (err == 0)
		err = bpf_prog_attach(fd, cg_fd, type, BPF_F_ALLOW_MULTI) ? -errno : 0;
	else if (err == 1)
		err = 0;
	if (err)
		nb_errorf("BPF program \"%s\": cannot attach it to the cgroup (%s): %s", name,
			  libbpf_bpf_attach_type_str(type), strerror(-err));
cleanup:
	close(fd);
	return err;
}

static int cgroup_detach_one(const struct nb_instance *inst, const char *name,
			     enum bpf_attach_type type, int cg_fd, void *arg)
{
	int fd, err;

	(void)arg;
	fd = nb_dp_prog_fd(inst, name);
	if (fd == -ENOENT)
		return 0; /* not pinned: nothing netbpf can name to detach */
	if (fd < 0)
		return fd;
	err = bpf_prog_detach2(fd, cg_fd, type) ? -errno : 0;
	close(fd);
	return err == -ENOENT ? 0 : err;
}

static int cgroup_apply(const struct nb_instance *inst, nb_dp_cgroup_prog_fn fn)
{
	char path[PATH_MAX];
	int cg, err;

	nb_dp_libbpf_quiet(inst);
	/* a build without socket programs has no business with cgroups */
	err = nb_dp_cgroup_progs_count(inst);
	if (err <= 0)
		return err;
	cg = nb_dp_cgroup_open(inst, path, sizeof(path));
	if (cg < 0) {
		nb_errorf("cgroup %s: %s", inst->cgroup ? inst->cgroup : "(the cgroup2 root)",
			  cg == -ENOTDIR ? "not a cgroup2 directory" : strerror(-cg));
		return cg;
	}
	err = nb_dp_cgroup_progs_foreach(inst, cg, fn, NULL);
	close(cg);
	return err;
}

int nb_dp_cgroup_attach(const struct nb_instance *inst)
{
	return cgroup_apply(inst, cgroup_attach_one);
}

int nb_dp_cgroup_detach(const struct nb_instance *inst)
{
	return cgroup_apply(inst, cgroup_detach_one);
}

/* ---- listing, for status ------------------------------------------------- */

struct prog_list {
	struct nb_dp_prog *v;
	size_t n;
};

static int prog_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nb_dp_prog *)a)->name, ((const struct nb_dp_prog *)b)->name);
}

static int cgroup_mark_one(const struct nb_instance *inst, const char *name,
			   enum bpf_attach_type type, int cg_fd, void *arg)
{
	struct prog_list *l = arg;
	const char *s;
	size_t i;

	(void)inst;
	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].name, name))
			continue;
		s = libbpf_bpf_attach_type_str(type);
		snprintf(l->v[i].attach, sizeof(l->v[i].attach), "%s", s ? s : "?");
		l->v[i].cgroup_attached =
		    cg_fd >= 0 ? nb_dp_cgroup_has(cg_fd, type, l->v[i].id) : 0;
	}
	return 0;
}

int nb_dp_progs(const struct nb_instance *inst, struct nb_dp_prog **out, size_t *n)
{
	struct prog_list l = {0};
	struct bpf_prog_info info;
	struct nb_dp_prog *grown;
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	const char *t;
	size_t cap = 0;
	int fd, cg, err = 0;
	DIR *d;

	nb_dp_libbpf_quiet(inst);
	snprintf(dir, sizeof(dir), "%s/progs", inst->pin_dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(l.v->name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		err = nb_dp_prog_info(fd, &info);
		close(fd);
		if (err)
			break;
		if (l.n == cap) {
			cap = cap ? cap * 2 : 8;
			grown = realloc(l.v, cap * sizeof(*grown));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			l.v = grown;
		}
		memset(&l.v[l.n], 0, sizeof(l.v[l.n]));
		memcpy(l.v[l.n].name, de->d_name, strlen(de->d_name) + 1);
		l.v[l.n].id = info.id;
		t = libbpf_bpf_prog_type_str(info.type);
		snprintf(l.v[l.n].type, sizeof(l.v[l.n].type), "%s", t ? t : "?");
		l.v[l.n].cgroup_attached = -1;
		l.n++;
	}
	closedir(d);
	if (err) {
		free(l.v);
		return err;
	}
	qsort(l.v, l.n, sizeof(*l.v), prog_cmp);
	if (l.n) {
		char cgpath[PATH_MAX];

		/* status must not mount anything: only look at an existing cgroup2 */
		if (inst->cgroup && inst->cgroup[0])
			snprintf(cgpath, sizeof(cgpath), "%s", inst->cgroup);
		else if (cgroup2_find(cgpath, sizeof(cgpath)))
			cgpath[0] = '\0';
		cg = cgpath[0] ? open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		nb_dp_cgroup_progs_foreach(inst, cg, cgroup_mark_one, &l);
		if (cg >= 0)
			close(cg);
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ---- XDP ----------------------------------------------------------------- */

static bool is_netbpf_xdp(const char *name)
{
	return !strcmp(name, NB_PROG_XDP_ENDPOINT) || !strcmp(name, NB_PROG_XDP_SANDBOX) ||
	       !strcmp(name, NB_PROG_XDP_UPLINK);
}

struct xdp_op {
	int ifindex;
	int prog_fd; /* attach: the program; detach: -1 */
	__u32 want_id;
	bool generic_ok; /* attach: fall back to generic XDP when native fails */
	struct nb_dp_xdp_state st;
};

/*
 * Not bpf_xdp_query(): libbpf 1.1 dumps every link of the netns and picks
 * ifindex out of the dump, so each query (one per endpoint created, even in tc
 * mode) cost a walk over all the host's veths. One RTM_GETLINK for ifindex
 * answers the same, on a socket opened here because the caller may have moved
 * into a sandbox's netns (nb_netns_run()).
 */
static int xdp_query_op(void *arg)
{
	struct xdp_op *op = arg;
	struct bpf_prog_info info;
	struct nb_nl *nl;
	__u32 prog_id = 0;
	__u8 mode = XDP_ATTACHED_NONE;
	int fd, err;

	memset(&op->st, 0, sizeof(op->st));
	err = nb_nl_open(&nl);
	if (err)
		return err;
	err = nb_nl_link_xdp(nl, op->ifindex, &prog_id, &mode);
	nb_nl_close(nl);
	/* as bpf_xdp_query(): a device that is not there has no program */
	if (err == -ENODEV)
		return 0;
	if (err)
		return err;
	op->st.prog_id = prog_id;
	op->st.generic = mode == XDP_ATTACHED_SKB;
	if (!prog_id)
		return 0;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return 0; /* gone meanwhile, or not ours to see */
	if (!nb_dp_prog_info(fd, &info))
		snprintf(op->st.name, sizeof(op->st.name), "%s", info.name);
	close(fd);
	return 0;
}

static int xdp_attach_op(void *arg)
{
	struct xdp_op *op = arg;
	__u32 flags;
	int err;

	err = xdp_query_op(op);
	if (err)
		return err;
	if (op->st.prog_id == op->want_id)
		return 0;
	/* somebody else's program stays: netbpf replaces only its own */
	if (op->st.prog_id && !is_netbpf_xdp(op->st.name))
		return -EBUSY;
	flags = op->st.prog_id ? 0 : XDP_FLAGS_UPDATE_IF_NOEXIST;
	if (op->st.prog_id) {
		/*
		 * Ours already there (a reload): swap it in place, in the mode it
		 * runs in, so no frame meets an empty hook. Failing that, drop it
		 * first: the two modes do not mix on one device.
		 */
		__u32 mode = op->st.generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts);

		opts.old_prog_fd = bpf_prog_get_fd_by_id(op->st.prog_id);
		if (opts.old_prog_fd >= 0) {
			err = bpf_xdp_attach(op->ifindex, op->prog_fd, mode | XDP_FLAGS_REPLACE,
					     &opts);
			close(opts.old_prog_fd);
			if (!err)
				return xdp_query_op(op);
		}
		bpf_xdp_detach(op->ifindex, mode, NULL);
	}
	err = bpf_xdp_attach(op->ifindex, op->prog_fd, flags | XDP_FLAGS_DRV_MODE, NULL);
	if (err && op->generic_ok)
		err = bpf_xdp_attach(op->ifindex, op->prog_fd, flags | XDP_FLAGS_SKB_MODE, NULL);
	if (!err)
		err = xdp_query_op(op);
	return err;
}

static int xdp_detach_op(void *arg)
{
	struct xdp_op *op = arg;
	int err;

	err = xdp_query_op(op);
	if (err)
		return err;
	if (!op->st.prog_id || !is_netbpf_xdp(op->st.name))
		return -ENOENT;
	return bpf_xdp_detach(op->ifindex, op->st.generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE,
			      NULL);
}

int nb_dp_xdp_attach(const struct nb_instance *inst, int netns_fd, int ifindex, const char *prog,
		     bool generic_ok, struct nb_dp_xdp_state *st)
{
	struct xdp_op op = {.ifindex = ifindex, .generic_ok = generic_ok};
	struct bpf_prog_info info;
	int err;

	nb_dp_libbpf_quiet(inst);
	op.prog_fd = nb_dp_prog_fd(inst, prog);
	if (op.prog_fd < 0)
		return op.prog_fd;
	err = nb_dp_prog_info(op.prog_fd, &info);
	if (!err) {
		op.want_id = info.id;
		err = nb_netns_run(netns_fd, xdp_attach_op, &op);
	}
	close(op.prog_fd);
	if (!err && st)
		*st = op.st;
	return err;
}

int nb_dp_xdp_detach(int netns_fd, int ifindex)
{
	struct xdp_op op = {.ifindex = ifindex, .prog_fd = -1};

	nb_dp_libbpf_init();
	return nb_netns_run(netns_fd, xdp_detach_op, &op);
}

int nb_dp_xdp_query(int ifindex, struct nb_dp_xdp_state *st)
{
	struct xdp_op op = {.ifindex = ifindex, .prog_fd = -1};
	int err;

	nb_dp_libbpf_init();
	err = xdp_query_op(&op);
	*st = op.st;
	return err;
}

static int xdp_devs_fd(const struct nb_instance *inst)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", inst->pin_dir, NB_MAP_NAME(NB_MAP_XDP_DEVS));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int nb_dp_xdp_dev_put(const struct nb_instance *inst, __u32 ifindex)
{
	int fd, err;

	fd = xdp_devs_fd(inst);
	if (fd < 0)
		return fd;
	err = nb_map_put(fd, &ifindex, &ifindex, BPF_ANY);
	close(fd);
	return err;
}

int nb_dp_xdp_dev_del(const struct nb_instance *inst, __u32 ifindex)
{
	int fd, err;

	fd = xdp_devs_fd(inst);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	err = nb_map_del(fd, &ifindex);
	close(fd);
	return err;
}
