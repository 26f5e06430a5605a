// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loading, pinning and reloading the data plane; attaching it is hooks.c's.
 *
 * The BPF objects are listed in one table; each entry wraps a skeleton that
 * bpftool generated from bpf/<name>.bpf.c (the Makefile builds every one).
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
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btfcmp.h"
#include "btfview.h"
#include "dataplane.h"
#include "hooks.h"
#include "log.h"
#include "mapio.h"
#include "maps.h"
#include "mapsize.h"
#include "netns.h"
#include "nl.h"
#include "paths.h"

#include "endpoint.skel.h"
#include "gateway.skel.h"
#include "uplink.skel.h"
#include "sock.skel.h"
#include "xdp.skel.h"
#include "tunnel.skel.h"

#define NB_DEFAULT_BPFFS "/sys/fs/bpf"

/* One BPF object: its skeleton's functions behind a type-free interface */
struct dp_object {
	const char *name; /* bpf/<name>.bpf.c */
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
#define DP_ENTRY(X)                                                                                \
	{                                                                                          \
		.name = #X, .open = X##_open, .load = X##_load, .destroy = X##_destroy,            \
		.obj = X##_obj,                                                                    \
	}

DP_SKELETON(endpoint)
DP_SKELETON(gateway)
DP_SKELETON(uplink)
DP_SKELETON(sock)
DP_SKELETON(xdp)
DP_SKELETON(tunnel)

static const struct dp_object dp_objects[] = {
    DP_ENTRY(endpoint),
    DP_ENTRY(gateway),
    DP_ENTRY(uplink),
    DP_ENTRY(sock),
    /* loaded in both modes (cheap, and `up --mode` then only changes attachments) */
    DP_ENTRY(xdp),
    /* overlay networks: the VXLAN device's ingress (issue 17) */
    DP_ENTRY(tunnel),
    {.name = NULL},
};

/* the objects whose pinned programs say an instance is up: the switch's */
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
void nb_dp_libbpf_init(void)
{
	static bool done;

	if (!done)
		libbpf_set_print(dp_print);
	done = true;
}

void nb_dp_libbpf_quiet(const struct nb_instance *inst)
{
	dp_verbose = inst->verbose;
	nb_dp_libbpf_init();
}

static int prog_pin_path(const struct nb_instance *inst, const char *prog, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/progs/%s", inst->pin_dir, prog) >= size)
		return -ENAMETOOLONG;
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

	if (!nb_path_is_fs(dir, BPF_FS_MAGIC)) {
		if (!strncmp(dir, NB_DEFAULT_BPFFS "/", strlen(NB_DEFAULT_BPFFS) + 1) &&
		    !nb_path_is_fs(NB_DEFAULT_BPFFS, BPF_FS_MAGIC)) {
			err = mount_bpffs(NB_DEFAULT_BPFFS);
			if (err)
				return err;
		}
		err = nb_mkdir_p(dir);
		if (err) {
			nb_errorf("pin dir %s: cannot create it: %s", dir, strerror(-err));
			return err;
		}
		if (!nb_path_is_fs(dir, BPF_FS_MAGIC)) {
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
	const char *env;
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
		goto fail;
	}
	/*
	 * addresses and protocols in the maps' BTF as bpftool prints them readably
	 * (btfview.h); NETBPF_BTF=compiled keeps the compiler's, as builds before did (a
	 * test of `up --reload` over such maps)
	 */
	env = getenv("NETBPF_BTF");
	err = env && !strcmp(env, "compiled") ? 0 : nb_btf_readable_obj(o->obj(*skel));
	if (err) {
		nb_errorf("BPF object \"%s\": cannot adapt its maps' BTF: %s", o->name,
			  strerror(-err));
		goto fail;
	}
	return 0;
fail:
	o->destroy(*skel);
	*skel = NULL;
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
	if (!nb_map_get(fd, &key, &old))
		cfg.flags = old.flags;
	err = nb_map_put(fd, &key, &cfg, BPF_ANY);
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
	err = nb_map_get(fd, &key, &cfg);
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
	nb_map_get(fd, &key, &cfg);
	if (mode == NB_DP_MODE_XDP)
		cfg.flags |= NB_CFG_F_XDP;
	else
		cfg.flags &= ~NB_CFG_F_XDP;
	err = nb_map_put(fd, &key, &cfg, BPF_ANY);
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
	int err;

	nb_dp_libbpf_quiet(inst);
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

	nb_dp_libbpf_quiet(inst);
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

	nb_dp_libbpf_quiet(inst);
	for (i = 0; i < sizeof(dp_required) / sizeof(dp_required[0]); i++)
		if (!prog_pinned(inst, dp_required[i]))
			return 0;
	return 1;
}

int nb_dp_maps(const struct nb_instance *inst, struct nb_maps *maps)
{
	int err;

	nb_dp_libbpf_quiet(inst);
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

int nb_dp_prog_fd(const struct nb_instance *inst, const char *prog)
{
	char path[PATH_MAX];
	int fd, err;

	err = prog_pin_path(inst, prog, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int nb_dp_prog_info(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

int nb_dp_prog_id(const struct nb_instance *inst, const char *prog, __u32 *id)
{
	struct bpf_prog_info info;
	int fd, err;

	nb_dp_libbpf_quiet(inst);
	fd = nb_dp_prog_fd(inst, prog);
	if (fd < 0)
		return fd;
	err = nb_dp_prog_info(fd, &info);
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

	nb_dp_libbpf_quiet(inst);
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

/* ---- the objects' socket programs --------------------------------------- */

static bool is_cgroup_prog(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || t == BPF_PROG_TYPE_CGROUP_SOCK ||
	       t == BPF_PROG_TYPE_CGROUP_SOCKOPT;
}

/*
 * Calls fn for every cgroup program the objects provide. A pinned program
 * does not tell its expected attach type, so it is read from the object
 * (opened, not loaded: that only parses the embedded ELF).
 */
int nb_dp_cgroup_progs_foreach(const struct nb_instance *inst, int cg_fd, nb_dp_cgroup_prog_fn fn,
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

static int cgroup_count_one(const struct nb_instance *inst, const char *name,
			    enum bpf_attach_type type, int cg_fd, void *arg)
{
	(void)inst, (void)name, (void)type, (void)cg_fd;
	++*(int *)arg;
	return 0;
}

int nb_dp_cgroup_progs_count(const struct nb_instance *inst)
{
	int count = 0, err;

	err = nb_dp_cgroup_progs_foreach(inst, -1, cgroup_count_one, &count);
	return err ? err : count;
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

	err = nb_dp_prog_info(old_fd, &info);
	if (err)
		return err;
	err = nb_dp_cgroup_has(cg_fd, type, info.id);
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
	int cg_fd = -1, err = 0;
	size_t i;

	nb_dp_libbpf_quiet(inst);
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
	if (nb_dp_cgroup_progs_count(inst) > 0) {
		cg_fd = nb_dp_cgroup_open(inst, cg_path, sizeof(cg_path));
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
