// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Checking and repairing the pins of a live data plane (pins.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "dataplane.h"
#include "hooks.h"
#include "owner.h"
#include "pins.h"

struct pin {
	bool is_map;
	char name[64];
	char path[PATH_MAX];
	__u32 pinned_id; /* 0: the pin is missing */
	__u32 used_id;	 /* maps: the id the loaded programs use, 0 when none does */
};

struct pins {
	struct pin *v;
	size_t n, cap;
};

static int pins_add(void *arg, bool is_map, const char *name, const char *path)
{
	struct pins *p = arg;
	struct pin *n;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].path, path))
			return 0; /* a map shared by several objects */
	if (p->n == p->cap) {
		n = realloc(p->v, (p->cap ? 2 * p->cap : 32) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->v = n;
		p->cap = p->cap ? 2 * p->cap : 32;
	}
	n = &p->v[p->n++];
	memset(n, 0, sizeof(*n));
	n->is_map = is_map;
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->path, sizeof(n->path), "%s", path);
	return 0;
}

static __u32 obj_id(int fd, bool is_map)
{
	struct bpf_prog_info pi = {0};
	struct bpf_map_info mi = {0};
	__u32 len;

	if (is_map) {
		len = sizeof(mi);
		return bpf_obj_get_info_by_fd(fd, &mi, &len) ? 0 : mi.id;
	}
	len = sizeof(pi);
	return bpf_obj_get_info_by_fd(fd, &pi, &len) ? 0 : pi.id;
}

/* The kernel keeps BPF_OBJ_NAME_LEN - 1 characters of a map's name */
static struct pin *map_by_kernel_name(struct pins *p, const char *kname)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->v[i].is_map && !strncmp(p->v[i].name, kname, BPF_OBJ_NAME_LEN - 1))
			return &p->v[i];
	return NULL;
}

/* Records, for each map, the id the program behind prog_fd uses */
static int prog_maps(struct pins *p, int prog_fd)
{
	struct bpf_prog_info info = {0};
	struct bpf_map_info mi;
	__u32 len = sizeof(info), n, i, *ids;
	struct pin *m;
	int fd, err = 0;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	n = info.nr_map_ids;
	if (!n)
		return 0;
	ids = calloc(n, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = n;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < n && i < info.nr_map_ids; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len)) {
			m = map_by_kernel_name(p, mi.name);
			if (m && !m->used_id)
				m->used_id = mi.id;
		}
		close(fd);
	}
out:
	free(ids);
	return err;
}

/* The expected pins, which of them exist, and which maps the programs use */
static int pins_read(const struct nb_instance *inst, struct pins *p, bool *any_prog)
{
	size_t i;
	int fd, err;

	*any_prog = false;
	err = nb_dp_pins_foreach(inst, pins_add, p);
	if (err)
		return err;
	for (i = 0; i < p->n; i++) {
		fd = bpf_obj_get(p->v[i].path);
		if (fd < 0)
			continue;
		p->v[i].pinned_id = obj_id(fd, p->v[i].is_map);
		if (!p->v[i].is_map) {
			*any_prog = true;
			err = prog_maps(p, fd);
		}
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

static void report(nb_pins_report_fn fn, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(nb_pins_report_fn fn, void *arg, const char *fmt, ...)
{
	char line[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fn(arg, line);
}

int nb_pins_check(const struct nb_instance *inst, bool owner, nb_pins_report_fn fn, void *arg)
{
	struct pins p = {0};
	struct nb_owner_rec o;
	bool any_prog;
	size_t i;
	int err, bad = 0;

	err = pins_read(inst, &p, &any_prog);
	if (err)
		goto out;
	for (i = 0; i < p.n; i++) {
		const struct pin *v = &p.v[i];

		if (!v->is_map && !v->pinned_id) {
			report(fn, arg,
			       "program \"%s\": pin %s is missing (`netbpfctl up` loads it "
			       "again)",
			       v->name, v->path);
			bad++;
		} else if (v->is_map && !v->pinned_id) {
			report(fn, arg, "map %s: pin %s is missing (%s)", v->name, v->path,
			       v->used_id ? "the loaded programs still hold it: `netbpfctl up` "
					    "re-pins it"
					  : "no loaded program holds it: `netbpfctl down` and "
					    "`netbpfctl up` rebuild the data plane");
			bad++;
		} else if (v->is_map && v->used_id && v->used_id != v->pinned_id) {
			report(fn, arg,
			       "map %s: pin %s is map id %u, but the loaded programs use "
			       "map id %u (a map pinned there by hand or by another build: "
			       "remove that pin and run `netbpfctl up`, which re-pins theirs)",
			       v->name, v->path, v->pinned_id, v->used_id);
			bad++;
		}
	}
	if (owner && any_prog && nb_owner_read(inst->pin_dir, &o) == -ENOENT) {
		report(fn, arg,
		       "instance record: pin %s/%s is missing (`netbpfctl up` records "
		       "it again)",
		       inst->pin_dir, NB_OWNER_PIN);
		bad++;
	}
out:
	free(p.v);
	return err ? err : bad;
}

int nb_pins_repair(const struct nb_instance *inst, nb_pins_report_fn fn, void *arg)
{
	struct pins p = {0};
	bool any_prog;
	size_t i;
	int fd, err, done = 0;

	err = pins_read(inst, &p, &any_prog);
	for (i = 0; !err && i < p.n; i++) {
		const struct pin *v = &p.v[i];

		/*
		 * Only a missing pin: a map pinned in its place (by hand, by another
		 * build) is not replaced behind the operator's back; nb_pins_check
		 * names it, and `up --reload` compares its layout.
		 */
		if (!v->is_map || !v->used_id || v->pinned_id)
			continue;
		fd = bpf_map_get_fd_by_id(v->used_id);
		if (fd < 0) {
			err = -errno;
			break;
		}
		if (bpf_obj_pin(fd, v->path))
			err = -errno;
		close(fd);
		if (err)
			break;
		report(fn, arg,
		       "map %s: re-pinned at %s (map id %u, the one the loaded programs "
		       "use; its entries are kept)",
		       v->name, v->path, v->used_id);
		done++;
	}
	free(p.v);
	return err ? err : done;
}
