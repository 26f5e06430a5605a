// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loading, pinning and attaching the data plane.
 *
 * The BPF objects are listed in one table; each entry wraps a skeleton that
 * bpftool generated from bpf/<name>.bpf.c. An object is only compiled in
 * when its skeleton exists (__has_include), so the tree builds while the
 * programs are written one by one; `up` refuses to run without the two the
 * switch cannot do without (endpoint, gateway).
 *
 * Every object is opened with pin_root_path = the pin dir: maps declared
 * with LIBBPF_PIN_BY_NAME are created by the first object and reused by
 * the others, so all programs share one set of maps. Programs are pinned
 * under <pin dir>/progs/<program name>; the pins keep them alive between
 * commands and let every command attach the very same program.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfcmp.h"
#include "log.h"
#include "dataplane.h"
#include "maps.h"
#include "mapsize.h"
#include "netns.h"
#include "nl.h"

#if __has_include("endpoint.skel.h")
#include "endpoint.skel.h"
#define NB_HAVE_ENDPOINT 1
#endif
#if __has_include("gateway.skel.h")
#include "gateway.skel.h"
#define NB_HAVE_GATEWAY 1
#endif
#if __has_include("uplink.skel.h")
#include "uplink.skel.h"
#define NB_HAVE_UPLINK 1
#endif
#if __has_include("sock.skel.h")
#include "sock.skel.h"
#define NB_HAVE_SOCK 1
#endif
#if __has_include("xdp.skel.h")
#include "xdp.skel.h"
#define NB_HAVE_XDP 1
#endif

#define NB_DEFAULT_BPFFS    "/sys/fs/bpf"
#define NB_CGROUP2_FALLBACK "/run/netbpf/cgroup2"

/* One BPF object: its skeleton's functions behind a type-free interface */
struct dp_object {
	const char *name; /* bpf/<name>.bpf.c */
	bool required;	  /* the switch does not work without it */
	void *(*open)(const struct bpf_object_open_opts *opts);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*obj)(void *skel);
};

#define DP_SKELETON(X)                                                                             \
	static void *X##_open(const struct bpf_object_open_opts *o)                                \
	{                                                                                          \
		return X##_bpf__open_opts(o);                                                      \
	}                                                                                          \
	static int X##_load(void *s)                                                               \
	{                                                                                          \
		return X##_bpf__load(s);                                                           \
	}                                                                                          \
	static void X##_destroy(void *s)                                                           \
	{                                                                                          \
		X##_bpf__destroy(s);                                                               \
	}                                                                                          \
	static struct bpf_object *X##_obj(void *s)                                                 \
	{                                                                                          \
		return ((struct X##_bpf *)s)->obj;                                                 \
	}
#define DP_ENTRY(X, req)                                                                           \
	{                                                                                          \
		.name = #X, .required = req, .open = X##_open, .load = X##_load,                   \
		.destroy = X##_destroy, .obj = X##_obj,                                            \
	}

#ifdef NB_HAVE_ENDPOINT
DP_SKELETON(endpoint)
#endif
#ifdef NB_HAVE_GATEWAY
DP_SKELETON(gateway)
#endif
#ifdef NB_HAVE_UPLINK
DP_SKELETON(uplink)
#endif
#ifdef NB_HAVE_SOCK
DP_SKELETON(sock)
#endif
#ifdef NB_HAVE_XDP
DP_SKELETON(xdp)
#endif

static const struct dp_object dp_objects[] = {
#ifdef NB_HAVE_ENDPOINT
    DP_ENTRY(endpoint, true),
#endif
#ifdef NB_HAVE_GATEWAY
    DP_ENTRY(gateway, true),
#endif
#ifdef NB_HAVE_UPLINK
    DP_ENTRY(uplink, false),
#endif
#ifdef NB_HAVE_SOCK
    DP_ENTRY(sock, false),
#endif
/* loaded in both modes (cheap, and `up --mode` then only changes attachments) */
#ifdef NB_HAVE_XDP
    DP_ENTRY(xdp, false),
#endif
    {.name = NULL},
};

static const char *const dp_required[] = {"endpoint", "gateway"};

/* libbpf talks only with -v; its messages would otherwise drown ours */
static int dp_verbose;

static int dp_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!dp_verbose || (level == LIBBPF_DEBUG && dp_verbose < 2))
		return 0;
	/* through the log hook: a front end decides where libbpf's words go */
	nb_vlogf(level == LIBBPF_DEBUG ? NB_LOG_LIBBPF : NB_LOG_DEBUG, fmt, ap);
	return 0;
}

/* Every entry point calls one of these before libbpf can speak */
static void dp_print_init(void)
{
	static bool done;

	if (!done)
		libbpf_set_print(dp_print);
	done = true;
}

static void dp_quiet(const struct nb_instance *inst)
{
	dp_verbose = inst->verbose;
	dp_print_init();
}

static int prog_pin_path(const struct nb_instance *inst, const char *prog, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/progs/%s", inst->pin_dir, prog) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;

	return !statfs(path, &sf) && (long)sf.f_type == magic;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mount_bpffs(const char *where)
{
	if (mount("bpf", where, "bpf", 0, "mode=0700") < 0) {
		int err = -errno;

		nb_errorf("cannot mount a bpffs on %s: %s", where, strerror(-err));
		return err;
	}
	return 0;
}

/*
 * The pin dir must be on a bpffs. /sys/fs/bpf is a directory of sysfs where
 * nothing can be created until a bpffs is mounted on it (it is not, inside
 * `ip netns exec`); any other location gets a bpffs of its own.
 */
static int pin_dir_prepare(const struct nb_instance *inst)
{
	const char *dir = inst->pin_dir;
	char progs[PATH_MAX];
	int err;

	if (!is_fs(dir, BPF_FS_MAGIC)) {
		if (!strncmp(dir, NB_DEFAULT_BPFFS "/", strlen(NB_DEFAULT_BPFFS) + 1) &&
		    !is_fs(NB_DEFAULT_BPFFS, BPF_FS_MAGIC)) {
			err = mount_bpffs(NB_DEFAULT_BPFFS);
			if (err)
				return err;
		}
		err = mkdir_p(dir, 0700);
		if (err) {
			nb_errorf("pin dir %s: cannot create it: %s", dir, strerror(-err));
			return err;
		}
		if (!is_fs(dir, BPF_FS_MAGIC)) {
			err = mount_bpffs(dir);
			if (err)
				return err;
		}
	}
	if ((size_t)snprintf(progs, sizeof(progs), "%s/progs", dir) >= sizeof(progs))
		return -ENAMETOOLONG;
	if (mkdir(progs, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		nb_errorf("pin dir %s: cannot create %s: %s", dir, progs, strerror(-err));
		return err;
	}
	return 0;
}

static bool prog_pinned(const struct nb_instance *inst, const char *prog)
{
	char path[PATH_MAX];
	int fd;

	if (prog_pin_path(inst, prog, path, sizeof(path)))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int dp_open(const struct nb_instance *inst, const struct dp_object *o, void **skel)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = inst->pin_dir);
	int err;

	*skel = o->open(&opts);
	if (!*skel) {
		err = -errno;
		nb_errorf("BPF object \"%s\": cannot open it: %s", o->name, strerror(-err));
		return err ? err : -EINVAL;
	}
	/* the configured sizes, for the maps this load creates (mapsize.h) */
	err = nb_dp_sizes_apply(o->obj(*skel), inst->sizes);
	if (err) {
		nb_errorf("BPF object \"%s\": cannot size its maps: %s", o->name, strerror(-err));
		o->destroy(*skel);
		*skel = NULL;
	}
	return err;
}

static bool maps_pinned(const struct nb_instance *inst)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", inst->pin_dir, NB_MAP_NAME(NB_MAP_NETWORKS));
	return stat(path, &st) == 0;
}

/* Loads one object and pins its programs, unless every one of them is pinned already */
static int dp_load_object(const struct nb_instance *inst, const struct dp_object *o, bool *loaded)
{
	struct bpf_program *prog;
	char path[PATH_MAX];
	bool all_pinned = true, stale;
	void *skel = NULL;
	int err;

	*loaded = false;
	err = dp_open(inst, o, &skel);
	if (err)
		return err;
	bpf_object__for_each_program(prog, o->obj(skel))
	{
		if (!prog_pinned(inst, bpf_program__name(prog)))
			all_pinned = false;
	}
	if (all_pinned)
		goto cleanup;

	/* a partly pinned object (an interrupted `up`): pin all of it afresh */
	bpf_object__for_each_program(prog, o->obj(skel))
	{
		err = prog_pin_path(inst, bpf_program__name(prog), path, sizeof(path));
		if (err)
			goto cleanup;
		unlink(path);
	}
	stale = maps_pinned(inst);
	err = o->load(skel);
	if (err) {
		/* maps pinned by another build cannot be reused when their layout changed */
		nb_errorf("BPF object \"%s\": loading failed: %s%s%s", o->name, strerror(-err),
			  inst->verbose ? "" : " (run with -v for libbpf's and the verifier's log)",
			  stale ? "; if the maps pinned under the pin dir come from another build, "
				  "run `netbpfctl down` first"
				: "");
		goto cleanup;
	}
	bpf_object__for_each_program(prog, o->obj(skel))
	{
		err = prog_pin_path(inst, bpf_program__name(prog), path, sizeof(path));
		if (!err)
			err = bpf_program__pin(prog, path);
		if (err) {
			nb_errorf("BPF program \"%s\": cannot pin it at %s: %s",
				  bpf_program__name(prog), path, strerror(-err));
			goto cleanup;
		}
	}
	*loaded = true;
cleanup:
	/* the pins hold the programs and maps; the skeleton's fds are not needed */
	o->destroy(skel);
	return err;
}

static int config_fd(const struct nb_instance *inst)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", inst->pin_dir, NB_MAP_NAME(NB_MAP_CONFIG));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int nb_dp_config_write(const struct nb_instance *inst)
{
	struct nb_config cfg = {0}, old = {0};
	__u32 key = 0;
	int self, fd, err;

	self = nb_netns_open_self();
	if (self < 0)
		return self;
	err = nb_netns_cookie(self, &cfg.host_netns_cookie);
	close(self);
	if (err)
		return err;
	fd = config_fd(inst);
	if (fd < 0)
		return fd;
	/* the flags (the mode) are `up --mode`'s: kept */
	if (!bpf_map_lookup_elem(fd, &key, &old))
		cfg.flags = old.flags;
	err = bpf_map_update_elem(fd, &key, &cfg, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

int nb_dp_mode_get(const struct nb_instance *inst, enum nb_dp_mode *mode)
{
	struct nb_config cfg = {0};
	__u32 key = 0;
	int fd, err;

	*mode = NB_DP_MODE_TC;
	fd = config_fd(inst);
	if (fd < 0)
		return fd;
	err = bpf_map_lookup_elem(fd, &key, &cfg) ? -errno : 0;
	close(fd);
	if (!err && (cfg.flags & NB_CFG_F_XDP))
		*mode = NB_DP_MODE_XDP;
	return err;
}

int nb_dp_mode_set(const struct nb_instance *inst, enum nb_dp_mode mode)
{
	struct nb_config cfg = {0};
	__u32 key = 0;
	int fd, err;

	fd = config_fd(inst);
	if (fd < 0)
		return fd;
	bpf_map_lookup_elem(fd, &key, &cfg);
	if (mode == NB_DP_MODE_XDP)
		cfg.flags |= NB_CFG_F_XDP;
	else
		cfg.flags &= ~NB_CFG_F_XDP;
	err = bpf_map_update_elem(fd, &key, &cfg, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

const char *nb_dp_mode_name(enum nb_dp_mode mode)
{
	return mode == NB_DP_MODE_XDP ? "xdp" : "tc";
}

int nb_dp_load(const struct nb_instance *inst)
{
	const struct dp_object *o;
	bool was_loaded, loaded;
	size_t i;
	int err;

	dp_quiet(inst);
	for (i = 0; i < sizeof(dp_required) / sizeof(dp_required[0]); i++) {
		for (o = dp_objects; o->name && strcmp(o->name, dp_required[i]); o++)
			;
		if (!o->name) {
			nb_errorf(
			    "this netbpfctl was built without bpf/%s.bpf.c; rebuild with `make`",
			    dp_required[i]);
			return -ENOENT;
		}
	}
	err = pin_dir_prepare(inst);
	if (err)
		return err;
	was_loaded = nb_dp_loaded(inst) == 1;
	for (o = dp_objects; o->name; o++) {
		err = dp_load_object(inst, o, &loaded);
		if (err)
			goto cleanup;
		nb_debugf(inst, "BPF object \"%s\": %s", o->name,
			  loaded ? "loaded and pinned" : "already pinned");
	}
	err = nb_dp_config_write(inst);
	if (err)
		nb_errorf("map %s: cannot write the instance settings: %s",
			  NB_MAP_NAME(NB_MAP_CONFIG), strerror(-err));
cleanup:
	/* a first load that failed halfway leaves nothing behind */
	if (err && !was_loaded)
		nb_dp_unload(inst);
	return err;
}

/* Removes the files of dir that satisfy keep == false; -errno of the first failure */
static int unlink_pins(const char *dir, bool only_nb)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR)
			continue;
		/* in the pin dir itself only what netbpf pins: its maps are all nb_* */
		if (only_nb && strncmp(de->d_name, "nb_", 3))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (unlink(path) < 0 && errno != ENOENT && !err)
			err = -errno;
	}
	closedir(d);
	return err;
}

int nb_dp_unload(const struct nb_instance *inst)
{
	char progs[PATH_MAX];
	int err, err2;

	dp_quiet(inst);
	snprintf(progs, sizeof(progs), "%s/progs", inst->pin_dir);
	err = unlink_pins(progs, false);
	if (rmdir(progs) < 0 && errno != ENOENT && !err)
		err = -errno;
	err2 = unlink_pins(inst->pin_dir, true);
	if (!err)
		err = err2;
	/* a mount point (a bpffs of its own) stays; so does a dir holding others' pins */
	if (rmdir(inst->pin_dir) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY &&
	    !err)
		err = -errno;
	return err;
}

int nb_dp_loaded(const struct nb_instance *inst)
{
	size_t i;

	dp_quiet(inst);
	for (i = 0; i < sizeof(dp_required) / sizeof(dp_required[0]); i++)
		if (!prog_pinned(inst, dp_required[i]))
			return 0;
	return 1;
}

int nb_dp_maps(const struct nb_instance *inst, struct nb_maps *maps)
{
	int err;

	dp_quiet(inst);
	nb_maps_init(maps);
	err = nb_maps_open_pinned(inst->pin_dir, maps);
	if (err == -ENOENT)
		nb_errorf("netbpf is not up in this network namespace (no maps pinned under %s): "
			  "run `netbpfctl up` first",
			  inst->pin_dir);
	else if (err)
		nb_errorf("pin dir %s: cannot open the pinned maps: %s", inst->pin_dir,
			  strerror(-err));
	return err;
}

int nb_dp_pin_open(const struct nb_instance *inst, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", inst->pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int prog_fd_get(const struct nb_instance *inst, const char *prog)
{
	char path[PATH_MAX];
	int fd, err;

	err = prog_pin_path(inst, prog, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

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

	dp_quiet(inst);
	fd = prog_fd_get(inst, prog);
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

	dp_quiet(inst);
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

	dp_print_init();
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
	dp_print_init();
	tc_hook_init(&hook, ifindex, egress);
	err = bpf_tc_query(&hook, &opts);
	if (err == -ENOENT || err == -EINVAL)
		return 0; /* no filter of ours, or no clsact qdisc */
	if (err)
		return err;
	*prog_id = opts.prog_id;
	return 0;
}

static int prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

int nb_dp_prog_id(const struct nb_instance *inst, const char *prog, __u32 *id)
{
	struct bpf_prog_info info;
	int fd, err;

	dp_quiet(inst);
	fd = prog_fd_get(inst, prog);
	if (fd < 0)
		return fd;
	err = prog_info(fd, &info);
	close(fd);
	if (!err)
		*id = info.id;
	return err;
}

/*
 * Every pin this build's objects make: their programs under progs/ and their
 * maps declared LIBBPF_PIN_BY_NAME. Read from the objects (opened, not
 * loaded), so the list follows the build (pins.c checks and repairs them).
 */
int nb_dp_pins_foreach(const struct nb_instance *inst, nb_dp_pin_fn fn, void *arg)
{
	const struct dp_object *o;
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];
	void *skel;
	int err = 0;

	dp_quiet(inst);
	for (o = dp_objects; o->name && !err; o++) {
		err = dp_open(inst, o, &skel);
		if (err)
			return err;
		bpf_object__for_each_program(prog, o->obj(skel))
		{
			err = prog_pin_path(inst, bpf_program__name(prog), path, sizeof(path));
			if (!err)
				err = fn(arg, false, bpf_program__name(prog), path);
			if (err)
				break;
		}
		bpf_object__for_each_map(map, o->obj(skel))
		{
			if (err)
				break;
			if (bpf_map__pin_path(map))
				err = fn(arg, true, bpf_map__name(map), bpf_map__pin_path(map));
		}
		o->destroy(skel);
	}
	return err;
}

/* ---- socket programs on the cgroup ---------------------------------------- */

static bool is_cgroup_prog(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || t == BPF_PROG_TYPE_CGROUP_SOCK ||
	       t == BPF_PROG_TYPE_CGROUP_SOCKOPT;
}

typedef int (*cgroup_prog_fn)(const struct nb_instance *inst, const char *name,
			      enum bpf_attach_type type, int cg_fd, void *arg);

/*
 * Calls fn for every cgroup program the objects provide. A pinned program
 * does not tell its expected attach type, so it is read from the object
 * (opened, not loaded: that only parses the embedded ELF).
 */
static int cgroup_progs_foreach(const struct nb_instance *inst, int cg_fd, cgroup_prog_fn fn,
				void *arg)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const struct dp_object *o;
	struct bpf_program *prog;
	void *skel;
	int err = 0, err2;

	for (o = dp_objects; o->name; o++) {
		skel = o->open(&opts);
		if (!skel)
			return -errno ? -errno : -EINVAL;
		bpf_object__for_each_program(prog, o->obj(skel))
		{
			if (!is_cgroup_prog(bpf_program__type(prog)))
				continue;
			err2 = fn(inst, bpf_program__name(prog),
				  bpf_program__expected_attach_type(prog), cg_fd, arg);
			if (err2 && !err)
				err = err2;
		}
		o->destroy(skel);
	}
	return err;
}

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
	    (is_fs(inst->cgroup, CGROUP2_SUPER_MAGIC) ||
	     (strcmp(inst->cgroup, "/sys/fs/cgroup") &&
	      strcmp(inst->cgroup, "/sys/fs/cgroup/unified")))) {
		if ((size_t)snprintf(path, size, "%s", inst->cgroup) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!cgroup2_find(path, size))
		return 0;
	/* no cgroup2 in this mount namespace (`ip netns exec` hides it): mount the root */
	err = mkdir_p(NB_CGROUP2_FALLBACK, 0700);
	if (err)
		return err;
	if (!is_fs(NB_CGROUP2_FALLBACK, CGROUP2_SUPER_MAGIC) &&
	    mount("cgroup2", NB_CGROUP2_FALLBACK, "cgroup2", 0, NULL) < 0)
		return -errno;
	snprintf(path, size, "%s", NB_CGROUP2_FALLBACK);
	return 0;
}

static int cgroup_open(const struct nb_instance *inst, char *path, size_t size)
{
	int fd, err;

	err = nb_dp_cgroup_path(inst, path, size);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!is_fs(path, CGROUP2_SUPER_MAGIC)) {
		close(fd);
		return -ENOTDIR;
	}
	return fd;
}

/* 1 when prog id is attached to cg_fd at type, 0 when not */
static int cgroup_has(int cg_fd, enum bpf_attach_type type, __u32 id)
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
	fd = prog_fd_get(inst, name);
	if (fd < 0)
		return fd;
	err = prog_info(fd, &info);
	if (err)
		goto cleanup;
	err = cgroup_has(cg_fd, type, info.id);
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
	fd = prog_fd_get(inst, name);
	if (fd == -ENOENT)
		return 0; /* not pinned: nothing netbpf can name to detach */
	if (fd < 0)
		return fd;
	err = bpf_prog_detach2(fd, cg_fd, type) ? -errno : 0;
	close(fd);
	return err == -ENOENT ? 0 : err;
}

static int cgroup_count_one(const struct nb_instance *inst, const char *name,
			    enum bpf_attach_type type, int cg_fd, void *arg)
{
	(void)inst, (void)name, (void)type, (void)cg_fd;
	++*(int *)arg;
	return 0;
}

static int cgroup_apply(const struct nb_instance *inst, cgroup_prog_fn fn)
{
	char path[PATH_MAX];
	int cg, err, count = 0;

	dp_quiet(inst);
	/* a build without socket programs has no business with cgroups */
	err = cgroup_progs_foreach(inst, -1, cgroup_count_one, &count);
	if (err || !count)
		return err;
	cg = cgroup_open(inst, path, sizeof(path));
	if (cg < 0) {
		nb_errorf("cgroup %s: %s", inst->cgroup ? inst->cgroup : "(the cgroup2 root)",
			  cg == -ENOTDIR ? "not a cgroup2 directory" : strerror(-cg));
		return cg;
	}
	err = cgroup_progs_foreach(inst, cg, fn, NULL);
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
		l->v[i].cgroup_attached = cg_fd >= 0 ? cgroup_has(cg_fd, type, l->v[i].id) : 0;
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

	dp_quiet(inst);
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
		err = prog_info(fd, &info);
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
	if (l.n && dp_objects[0].name) {
		char cgpath[PATH_MAX];

		/* status must not mount anything: only look at an existing cgroup2 */
		if (inst->cgroup && inst->cgroup[0])
			snprintf(cgpath, sizeof(cgpath), "%s", inst->cgroup);
		else if (cgroup2_find(cgpath, sizeof(cgpath)))
			cgpath[0] = '\0';
		cg = cgpath[0] ? open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		cgroup_progs_foreach(inst, cg, cgroup_mark_one, &l);
		if (cg >= 0)
			close(cg);
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ---- XDP ----------------------------------------------------------------- */

/* Runs fn in the netns behind netns_fd (-1: here), back home afterwards */
static int in_netns(int netns_fd, int (*fn)(void *), void *arg)
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
			nb_errorf("cannot return to the host network namespace: %s",
				  strerror(-err2));
			abort();
		}
	}
	close(self);
	return err;
}

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
 * into a sandbox's netns (in_netns()).
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
	if (!prog_info(fd, &info))
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

	dp_quiet(inst);
	op.prog_fd = prog_fd_get(inst, prog);
	if (op.prog_fd < 0)
		return op.prog_fd;
	err = prog_info(op.prog_fd, &info);
	if (!err) {
		op.want_id = info.id;
		err = in_netns(netns_fd, xdp_attach_op, &op);
	}
	close(op.prog_fd);
	if (!err && st)
		*st = op.st;
	return err;
}

int nb_dp_xdp_detach(int netns_fd, int ifindex)
{
	struct xdp_op op = {.ifindex = ifindex, .prog_fd = -1};

	dp_print_init();
	return in_netns(netns_fd, xdp_detach_op, &op);
}

int nb_dp_xdp_query(int ifindex, struct nb_dp_xdp_state *st)
{
	struct xdp_op op = {.ifindex = ifindex, .prog_fd = -1};
	int err;

	dp_print_init();
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
	err = bpf_map_update_elem(fd, &ifindex, &ifindex, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

int nb_dp_xdp_dev_del(const struct nb_instance *inst, __u32 ifindex)
{
	int fd, err;

	fd = xdp_devs_fd(inst);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	err = bpf_map_delete_elem(fd, &ifindex) ? -errno : 0;
	close(fd);
	return err == -ENOENT ? 0 : err;
}

struct tx_csum_op {
	const char *ifname;
	bool on;
};

static int tx_csum_op(void *arg)
{
	struct tx_csum_op *op = arg;
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = op->on};
	struct ifreq ifr;
	int fd, err = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(op->ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	memcpy(ifr.ifr_name, op->ifname, strlen(op->ifname) + 1);
	ifr.ifr_data = (void *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int nb_dp_tx_csum_set(int netns_fd, const char *ifname, bool on)
{
	struct tx_csum_op op = {.ifname = ifname, .on = on};

	return in_netns(netns_fd, tx_csum_op, &op);
}
/* ---- hitless reload (up --reload) ----------------------------------------- */

/* The pinned maps' BTF, loaded once per object checked: the first object created every map */
struct pinned_btf {
	struct btf *btf;
	__u32 id;
};

/*
 * The layouts of the key and value types of a pinned map (info) and of this
 * build's (map, in obj's BTF, known from the open): equal sizes miss a field
 * renamed or moved, and the new programs would misread the live entries. A part
 * without BTF on either side (ringbuf, devmap, a map declared by sizes only) is
 * not checked. -EINVAL when a layout differs.
 */
static int reload_map_layouts(const struct bpf_object *obj, const struct bpf_map *map,
			      const struct bpf_map_info *info, struct pinned_btf *pinned)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct {
		const char *part;
		__u32 pinned_id, build_id;
	} parts[] = {
	    {"key", info->btf_key_type_id, bpf_map__btf_key_type_id(map)},
	    {"value", info->btf_value_type_id, bpf_map__btf_value_type_id(map)},
	};
	char why[256], type[64];
	size_t i;
	int ret, err = 0;

	if (!btf || !info->btf_id)
		return 0;
	if (!pinned->btf || pinned->id != info->btf_id) {
		btf__free(pinned->btf);
		pinned->id = 0;
		pinned->btf = btf__load_from_kernel_by_id(info->btf_id);
		if (!pinned->btf) {
			err = -errno;
			nb_errorf("up --reload: map %s: cannot read the BTF (id %u) of the pinned "
				  "map: %s",
				  bpf_map__name(map), info->btf_id, strerror(-err));
			return err;
		}
		pinned->id = info->btf_id;
	}
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!parts[i].pinned_id || !parts[i].build_id)
			continue;
		ret = nb_btf_layout_cmp(pinned->btf, parts[i].pinned_id, btf, parts[i].build_id,
					why, sizeof(why));
		if (!ret)
			continue;
		nb_btf_type_str(btf, parts[i].build_id, type, sizeof(type));
		if (ret < 0)
			nb_errorf("up --reload: map %s: cannot compare the %s layout (%s) of the "
				  "pinned map and this build's: a type id is not in its BTF",
				  bpf_map__name(map), parts[i].part, type);
		else
			nb_errorf("up --reload: map %s: the %s layout (%s) of the pinned map and "
				  "this build's differ: %s; a reload cannot keep it: run `netbpfctl "
				  "down` then `netbpfctl up` (connections and counters are lost)",
				  bpf_map__name(map), parts[i].part, type, why);
		err = -EINVAL;
	}
	return err;
}

/*
 * The maps of o's build against those pinned: a reload reuses every pinned map
 * (libbpf's pin_root_path), which only works, and only keeps its meaning, when
 * type, key and value sizes, capacity and flags are the same, and so are the
 * layouts of key and value (BTF). Each difference is reported; -EINVAL when
 * there is one.
 */
static int reload_maps_compatible(const struct dp_object *o, void *skel)
{
	struct pinned_btf pinned = {0};
	struct bpf_map_info info;
	struct bpf_map *map;
	__u32 len;
	int fd, err = 0;

	bpf_object__for_each_map(map, o->obj(skel))
	{
		const char *pin = bpf_map__pin_path(map);

		if (!pin)
			continue; /* not pinned: .rodata/.bss, private to the object */
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue; /* a map new in this build: created by the load */
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			err = -errno;
			close(fd);
			nb_errorf("up --reload: map %s: cannot read it: %s", bpf_map__name(map),
				  strerror(-err));
			goto cleanup;
		}
		close(fd);
		/*
		 * The kernel sets BPF_F_RDONLY_PROG on every devmap by itself; libbpf 1.1
		 * compares flags as they are, so the build's definition takes the flag too,
		 * or libbpf would refuse to reuse the pinned map.
		 */
		if ((info.type == BPF_MAP_TYPE_DEVMAP || info.type == BPF_MAP_TYPE_DEVMAP_HASH) &&
		    (info.map_flags & BPF_F_RDONLY_PROG) &&
		    bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_RDONLY_PROG)) {
			err = -EINVAL;
			goto cleanup;
		}
		if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map) ||
		    info.map_flags != bpf_map__map_flags(map)) {
			nb_errorf("up --reload: map %s: the pinned map (type %u, key %u, value %u "
				  "bytes, %u entries, flags %#x) and this build's (type %u, key %u, "
				  "value %u bytes, %u entries, flags %#x) differ; a reload cannot "
				  "keep it: run `netbpfctl down` then `netbpfctl up` (connections "
				  "and counters are lost)",
				  bpf_map__name(map), info.type, info.key_size, info.value_size,
				  info.max_entries, info.map_flags, bpf_map__type(map),
				  bpf_map__key_size(map), bpf_map__value_size(map),
				  bpf_map__max_entries(map), bpf_map__map_flags(map));
			err = -EINVAL;
		} else if (reload_map_layouts(o->obj(skel), map, &info, &pinned)) {
			err = -EINVAL;
		}
	}
cleanup:
	btf__free(pinned.btf);
	return err;
}

/*
 * Swaps one cgroup program in place: the new one replaces the old one in the
 * cgroup's list in a single step (BPF_F_REPLACE), so no socket call sees
 * neither or both. Nothing to do when the old one was not attached.
 */
static int reload_cgroup_swap(int cg_fd, enum bpf_attach_type type, int old_fd, int new_fd)
{
	LIBBPF_OPTS(bpf_prog_attach_opts, opts, .flags = BPF_F_ALLOW_MULTI | BPF_F_REPLACE,
		    .replace_prog_fd = old_fd);
	struct bpf_prog_info info;
	int err;

	err = prog_info(old_fd, &info);
	if (err)
		return err;
	err = cgroup_has(cg_fd, type, info.id);
	if (err <= 0)
		return err;
	return bpf_prog_attach_opts(new_fd, cg_fd, type, &opts) ? -errno : 0;
}

/* Loads o afresh over the pinned maps and puts its programs in the old ones' places */
static int reload_object(const struct nb_instance *inst, const struct dp_object *o, void *skel,
			 int cg_fd)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	struct bpf_program *prog;
	int old_fd, new_fd, err;

	err = o->load(skel);
	if (err) {
		nb_errorf("up --reload: BPF object \"%s\": loading failed: %s%s", o->name,
			  strerror(-err),
			  inst->verbose ? "" : " (run with -v for libbpf's and the verifier's log)");
		return err;
	}
	bpf_object__for_each_program(prog, o->obj(skel))
	{
		const char *name = bpf_program__name(prog);

		err = prog_pin_path(inst, name, path, sizeof(path));
		if (err)
			return err;
		/*
		 * pinned aside first, then renamed over the old pin: the pin never
		 * disappears ("-reload": bpffs refuses dots in names)
		 */
		snprintf(tmp, sizeof(tmp), "%s-reload", path);
		unlink(tmp);
		err = bpf_program__pin(prog, tmp);
		if (err) {
			nb_errorf("up --reload: BPF program \"%s\": cannot pin it at %s: %s", name,
				  tmp, strerror(-err));
			return err;
		}
		old_fd = bpf_obj_get(path);
		if (old_fd >= 0 && cg_fd >= 0 && is_cgroup_prog(bpf_program__type(prog))) {
			new_fd = bpf_program__fd(prog);
			err = reload_cgroup_swap(cg_fd, bpf_program__expected_attach_type(prog),
						 old_fd, new_fd);
			if (err) {
				nb_errorf("up --reload: BPF program \"%s\": cannot replace it on the "
					  "cgroup: %s",
					  name, strerror(-err));
				close(old_fd);
				unlink(tmp);
				return err;
			}
		}
		if (old_fd >= 0)
			close(old_fd);
		if (rename(tmp, path)) {
			err = -errno;
			nb_errorf("up --reload: BPF program \"%s\": cannot move its pin to %s: %s",
				  name, path, strerror(-err));
			unlink(tmp);
			return err;
		}
	}
	return 0;
}

int nb_dp_reload(const struct nb_instance *inst)
{
	void *skels[sizeof(dp_objects) / sizeof(dp_objects[0])] = {0};
	char cg_path[PATH_MAX];
	const struct dp_object *o;
	int cg_fd = -1, count = 0, err = 0;
	size_t i;

	dp_quiet(inst);
	if (nb_dp_loaded(inst) != 1) {
		nb_errorf("up --reload: nothing to reload: the data plane is not loaded under %s "
			  "(run `netbpfctl up`)",
			  inst->pin_dir);
		return -ENOENT;
	}
	/* every object is checked before anything changes: a refused reload changes nothing */
	for (i = 0, o = dp_objects; o->name; o++, i++) {
		err = dp_open(inst, o, &skels[i]);
		if (err)
			goto cleanup;
		/* every object declares the same maps (maps.bpf.h): the first one's report says it */
		if (reload_maps_compatible(o, skels[i])) {
			err = -EINVAL;
			break;
		}
	}
	if (err)
		goto cleanup;
	if (!cgroup_progs_foreach(inst, -1, cgroup_count_one, &count) && count) {
		cg_fd = cgroup_open(inst, cg_path, sizeof(cg_path));
		if (cg_fd < 0) {
			err = cg_fd;
			nb_errorf("up --reload: cgroup %s: %s",
				  inst->cgroup ? inst->cgroup : "(the cgroup2 root)", strerror(-err));
			goto cleanup;
		}
	}
	for (i = 0, o = dp_objects; o->name; o++, i++) {
		err = reload_object(inst, o, skels[i], cg_fd);
		if (err)
			goto cleanup;
		nb_debugf(inst, "BPF object \"%s\": reloaded over the pinned maps", o->name);
	}
cleanup:
	if (cg_fd >= 0)
		close(cg_fd);
	/* the pins hold the new programs, the hooks still the old ones until `up` re-attaches */
	for (i = 0, o = dp_objects; o->name; o++, i++)
		if (skels[i])
			o->destroy(skels[i]);
	return err;
}
