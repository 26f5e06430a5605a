// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Which instance a pin dir belongs to (owner.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "log.h"
#include "dataplane.h"
#include "netns.h"
#include "owner.h"
#include "store.h"

#define NETNS_RUN_DIR "/run/netns"

static int owner_path(const char *pin_dir, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", pin_dir, NB_OWNER_PIN) >= size)
		return -ENAMETOOLONG;
	return 0;
}

int nb_owner_read(const char *pin_dir, struct nb_owner_rec *o)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	memset(o, 0, sizeof(*o));
	err = owner_path(pin_dir, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &key, o) ? -errno : 0;
	close(fd);
	o->id[sizeof(o->id) - 1] = '\0';
	o->netns_name[sizeof(o->netns_name) - 1] = '\0';
	o->state_dir[sizeof(o->state_dir) - 1] = '\0';
	return err;
}

void nb_owner_describe(const struct nb_owner_rec *o, char *buf, size_t size)
{
	char ns[96];

	if (o->netns_name[0])
		snprintf(ns, sizeof(ns), "network namespace \"%s\" net:[%llu]", o->netns_name,
			 (unsigned long long)o->netns_ino);
	else
		snprintf(ns, sizeof(ns), "network namespace net:[%llu]",
			 (unsigned long long)o->netns_ino);
	snprintf(buf, size, "instance %.12s (%s, state dir %s)", o->id, ns, o->state_dir);
}

/* The /run/netns name of the netns with inode ino, if it has one */
static void netns_name_of(__u64 ino, char *name, size_t size)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	name[0] = '\0';
	d = opendir(NETNS_RUN_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, de->d_name) >=
		    sizeof(path))
			continue;
		if (!stat(path, &st) && st.st_ino == ino) {
			/* a name too long for the record is cut: it is for people to read */
			if ((size_t)snprintf(name, size, "%s", de->d_name) >= size)
				name[size - 1] = '\0';
			break;
		}
	}
	closedir(d);
}

/* The state dir as one spelling: resolved when it exists */
static void state_dir_canon(const char *dir, char *buf, size_t size)
{
	char real[PATH_MAX];

	/* a longer path is cut: both sides of a comparison are cut alike */
	if ((size_t)snprintf(buf, size, "%s", realpath(dir, real) ? real : dir) >= size)
		buf[size - 1] = '\0';
}

/* The record `up` would write for this process's netns and inst's state dir */
static int owner_self(const struct nb_instance *inst, const char *id, struct nb_owner_rec *o)
{
	struct stat st;
	int fd, err;

	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", id ? id : "");
	fd = nb_netns_open_self();
	if (fd < 0)
		return fd;
	err = nb_netns_cookie(fd, &o->netns_cookie);
	if (!err && fstat(fd, &st) < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	o->netns_ino = st.st_ino;
	netns_name_of(o->netns_ino, o->netns_name, sizeof(o->netns_name));
	state_dir_canon(inst->state_dir, o->state_dir, sizeof(o->state_dir));
	return 0;
}

static int state_id(struct nb_store *st, char id[NB_INSTANCE_ID_LEN + 1])
{
	char *v = NULL;
	int err;

	id[0] = '\0';
	err = nb_store_setting_get(st, SETTING_INSTANCE_ID, &v);
	if (err)
		return err;
	snprintf(id, NB_INSTANCE_ID_LEN + 1, "%s", v);
	free(v);
	return 0;
}

static int id_new(char id[NB_INSTANCE_ID_LEN + 1])
{
	unsigned char r[NB_INSTANCE_ID_LEN / 2];
	size_t i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -errno;
	for (i = 0; i < sizeof(r); i++)
		sprintf(id + 2 * i, "%02x", r[i]);
	return 0;
}

/* The message of a state that is not the pins' owner's; -ESTALE */
static int state_mismatch(const struct nb_instance *inst, const struct nb_owner_rec *o,
			  const char *id)
{
	char who[1400];

	nb_owner_describe(o, who, sizeof(who));
	if (!id[0])
		nb_errorf("state %s records no instance (its netbpf.db is new, empty or was "
			  "deleted), but pin dir %s holds the live data plane of %s: if that is "
			  "this instance, restore its database, or run `netbpfctl down` there to "
			  "remove the data plane and start afresh; otherwise give this instance a "
			  "pin dir of its own (--pin-dir or NETBPF_PIN_DIR)",
			  inst->state_dir, inst->pin_dir, who);
	else
		nb_errorf("state %s belongs to instance %.12s, but pin dir %s holds the data "
			  "plane of %s: each instance needs a pin dir of its own (--pin-dir or "
			  "NETBPF_PIN_DIR)",
			  inst->state_dir, id, inst->pin_dir, who);
	return -ESTALE;
}

int nb_state_check(const struct nb_instance *inst, struct nb_store *st)
{
	char id[NB_INSTANCE_ID_LEN + 1];
	struct nb_owner_rec o;
	int err;

	err = nb_owner_read(inst->pin_dir, &o);
	if (err == -ENOENT || err == -ENOTDIR)
		return 0; /* no data plane, or one from before owner records */
	if (err) {
		nb_errorf("pin dir %s: cannot read %s: %s", inst->pin_dir, NB_OWNER_PIN,
			  strerror(-err));
		return err;
	}
	err = state_id(st, id);
	if (err && err != -ENOENT) {
		nb_errorf("state %s: cannot read the instance id: %s", inst->state_dir,
			  strerror(-err));
		return err;
	}
	if (strcmp(id, o.id))
		return state_mismatch(inst, &o, id);
	return 0;
}

/* The pins of a data plane from before owner records: nb_config's netns cookie is all there is */
static int legacy_check(const struct nb_instance *inst, const struct nb_owner_rec *self)
{
	struct nb_config cfg = {0};
	__u32 key = 0;
	int fd, err;

	fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_CONFIG));
	if (fd < 0)
		return 0; /* nothing pinned */
	err = bpf_map_lookup_elem(fd, &key, &cfg) ? -errno : 0;
	close(fd);
	if (err || !cfg.host_netns_cookie || cfg.host_netns_cookie == self->netns_cookie)
		return 0;
	nb_errorf("pin dir %s holds the data plane of an instance in another network namespace "
		  "(netns cookie %llu, this one is %llu): each instance needs a pin dir of its "
		  "own (--pin-dir or NETBPF_PIN_DIR)",
		  inst->pin_dir, (unsigned long long)cfg.host_netns_cookie,
		  (unsigned long long)self->netns_cookie);
	return -EBUSY;
}

/* The owner must be this netns's instance of this state dir */
static int owner_is_self(const struct nb_instance *inst, const struct nb_owner_rec *o,
			 const struct nb_owner_rec *self, const char *verb)
{
	char who[1400];

	if (o->netns_cookie == self->netns_cookie && !strcmp(o->state_dir, self->state_dir))
		return 0;
	nb_owner_describe(o, who, sizeof(who));
	nb_errorf("%s: pin dir %s belongs to %s, not to this one (network namespace net:[%llu], "
		  "state dir %s): each instance needs a pin dir of its own (--pin-dir or "
		  "NETBPF_PIN_DIR)",
		  verb, inst->pin_dir, who, (unsigned long long)self->netns_ino, self->state_dir);
	return -EBUSY;
}

int nb_instance_claim(const struct nb_instance *inst, struct nb_store *st,
		      char id[NB_INSTANCE_ID_LEN + 1])
{
	struct nb_owner_rec o, self;
	int err;

	err = owner_self(inst, NULL, &self);
	if (err) {
		nb_errorf("up: cannot identify this network namespace: %s", strerror(-err));
		return err;
	}
	err = nb_owner_read(inst->pin_dir, &o);
	if (err && err != -ENOENT && err != -ENOTDIR) {
		nb_errorf("up: pin dir %s: cannot read %s: %s", inst->pin_dir, NB_OWNER_PIN,
			  strerror(-err));
		return err;
	}
	if (err) {
		err = legacy_check(inst, &self);
		if (err)
			return err;
	} else {
		err = owner_is_self(inst, &o, &self, "up");
		if (!err)
			err = nb_state_check(inst, st);
		if (err)
			return err;
	}
	err = state_id(st, id);
	if (err == -ENOENT) {
		err = id_new(id);
		if (!err)
			err = nb_store_setting_set(st, SETTING_INSTANCE_ID, id);
	}
	if (err)
		nb_errorf("up: state %s: cannot record the instance id: %s", inst->state_dir,
			  strerror(-err));
	return err;
}

int nb_instance_record(const struct nb_instance *inst, const char *id)
{
	struct nb_owner_rec o, self;
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	err = owner_self(inst, id, &self);
	if (err)
		goto out;
	if (!nb_owner_read(inst->pin_dir, &o) && !memcmp(&o, &self, sizeof(o)))
		return 0;
	err = owner_path(inst->pin_dir, path, sizeof(path));
	if (err)
		goto out;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NB_OWNER_PIN, sizeof(key), sizeof(self), 1, NULL);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = bpf_map_update_elem(fd, &key, &self, BPF_ANY) ? -errno : 0;
	/* a new pin in the old one's place: readers see one record or the other */
	if (!err && unlink(path) < 0 && errno != ENOENT)
		err = -errno;
	if (!err && bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
out:
	if (err)
		nb_errorf("up: pin dir %s: cannot record the instance in %s: %s", inst->pin_dir,
			  NB_OWNER_PIN, strerror(-err));
	return err;
}

int nb_instance_may_remove(const struct nb_instance *inst, struct nb_store *st)
{
	char id[NB_INSTANCE_ID_LEN + 1];
	struct nb_owner_rec o, self;
	int err;

	err = nb_owner_read(inst->pin_dir, &o);
	if (err == -ENOENT || err == -ENOTDIR) {
		err = owner_self(inst, NULL, &self);
		return err ? 0 : legacy_check(inst, &self);
	}
	if (err) {
		nb_errorf("down: pin dir %s: cannot read %s: %s", inst->pin_dir, NB_OWNER_PIN,
			  strerror(-err));
		return err;
	}
	err = owner_self(inst, NULL, &self);
	if (err) {
		nb_errorf("down: cannot identify this network namespace: %s", strerror(-err));
		return err;
	}
	err = owner_is_self(inst, &o, &self, "down");
	if (err)
		return err;
	/* the database may be lost (this is the way out); another instance's it must not be */
	err = state_id(st, id);
	if (err == -ENOENT || (!err && !strcmp(id, o.id)))
		return 0;
	return err ? err : state_mismatch(inst, &o, id);
}
