// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Creating and removing networks, store and kernel together (network.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "log.h"
#include "membership.h"
#include "names.h"
#include "network.h"
#include "ovnet.h"
#include "realize.h"
#include "resolve.h"
#include "store.h"

/* An overlay network goes into the cluster's store first: its VNI, and the name's race */
static int overlay_publish(struct nb_store *st, const struct nb_net_spec *spec,
			   struct nb_network_rec *rec, struct nb_etcd **e)
{
	struct nb_cluster_cfg cfg;
	int err;

	if (!spec->subnet)
		return nb_error(-EINVAL,
				"network \"%s\": an overlay network needs --subnet (one subnet for "
				"every host of the cluster)",
				rec->name);
	err = nb_cluster_cfg_get(st, &cfg);
	if (err == -ENOENT)
		return nb_error(-EINVAL,
				"network \"%s\": driver \"overlay\" needs a store: this instance "
				"has none (netbpfctl up --store etcd://IP:2379 --advertise IP)",
				rec->name);
	if (err)
		return err;
	err = nb_cluster_connect(&cfg, 0, e);
	if (!err)
		err = nb_ovnet_publish(*e, rec);
	if (err)
		nb_errorf("network \"%s\": not created", rec->name);
	nb_cluster_cfg_free(&cfg);
	return err;
}

int nb_network_create(const struct nb_instance *inst, struct nb_store *st,
		      struct nb_world_ref *world, const struct nb_net_spec *spec,
		      struct nb_network_rec *rec)
{
	struct nb_network_rec *others = NULL;
	struct nb_host_net *host = NULL;
	struct nb_net_spec s = *spec;
	struct nb_etcd *e = NULL;
	size_t nothers = 0;
	struct nb_world *w;
	int err;

	err = nb_store_network_list(st, &others, &nothers);
	if (err) {
		nb_errorf("network \"%s\": cannot read the networks: %s", spec->name,
			  strerror(-err));
		goto cleanup;
	}
	/* the host's routes and addresses, unless the caller read them: pools skip them */
	if (!s.host) {
		err = nb_host_nets_here(&host, &s.nhost);
		if (err)
			goto cleanup;
		s.host = host;
	}
	err = nb_net_spec_resolve(&s, others, nothers, rec);
	if (err)
		goto cleanup;
	err = nb_id_new(rec->id);
	if (err) {
		nb_errorf("network \"%s\": cannot make an id: %s", rec->name, strerror(-err));
		goto cleanup;
	}
	rec->created = nb_now_ns();
	if (rec->vni || !strcmp(rec->driver, NB_DRIVER_OVERLAY)) {
		err = overlay_publish(st, spec, rec, &e);
		if (err)
			goto cleanup;
	}
	err = nb_store_network_add(st, rec);
	if (err) {
		nb_errorf("network \"%s\": cannot record it: %s", rec->name, strerror(-err));
		goto cleanup;
	}

	err = nb_world_get(inst, world, &w);
	if (err)
		goto cleanup;
	err = nb_network_realize(w, rec);
	if (err) {
		nb_errorf("network \"%s\": cannot create it in the kernel: %s", rec->name,
			  strerror(-err));
		goto cleanup;
	}

cleanup:
	/* the cluster's record goes with a failed local create (a failed commit is the agent's) */
	if (err && e && rec->vni)
		nb_ovnet_unpublish(e, rec);
	nb_etcd_close(e);
	nb_network_recs_free(others, nothers);
	free(host);
	return err;
}

/* The names of the sandboxes attached to a network, for refusal messages */
static int network_users(struct nb_store *st, const struct nb_network_rec *net, char *out,
			 size_t size, size_t *count)
{
	struct nb_endpoint_rec *eps = NULL;
	size_t i, n = 0, len = 0;
	int err;

	*count = 0;
	out[0] = '\0';
	err = nb_store_endpoint_list(st, net->id, NULL, &eps, &n);
	if (err)
		return err;
	for (i = 0; i < n && len + 1 < size; i++) {
		struct nb_sandbox_rec sb;
		const char *name = eps[i].sandbox_id;

		if (!nb_store_sandbox_find(st, eps[i].sandbox_id, &sb))
			name = sb.name;
		len += (size_t)snprintf(out + len, size - len, "%s\"%s\"", i ? ", " : "", name);
	}
	*count = n;
	free(eps);
	return 0;
}

/* An overlay network leaves the cluster's store first: refused while any host uses it */
static int overlay_remove(struct nb_store *st, const struct nb_network_rec *net)
{
	struct nb_cluster_cfg cfg;
	struct nb_etcd *e = NULL;
	int err;

	err = nb_cluster_cfg_get(st, &cfg);
	if (err == -ENOENT)
		return nb_error(-EINVAL,
				"network \"%s\" is an overlay network and this instance has no "
				"store any more; not removed",
				net->name);
	if (err)
		return err;
	err = nb_cluster_connect(&cfg, 0, &e);
	if (!err)
		err = nb_ovnet_remove(e, net);
	/* gone from the store already (another host removed it): the local rest goes */
	if (err == -ENOENT)
		err = 0;
	if (err)
		nb_errorf("network \"%s\": not removed", net->name);
	nb_etcd_close(e);
	nb_cluster_cfg_free(&cfg);
	return err;
}

int nb_network_adopt(const struct nb_instance *inst, struct nb_store *st,
		     struct nb_world_ref *world, struct nb_network_rec *rec)
{
	char p[NB_CIDR_STRLEN], q[NB_CIDR_STRLEN];
	struct nb_network_rec *nets = NULL;
	struct nb_world *w;
	size_t i, n = 0;
	int err;

	err = nb_store_network_list(st, &nets, &n);
	if (err)
		return nb_error(err, "network \"%s\": cannot read the networks: %s", rec->name,
				strerror(-err));
	for (i = 0; i < n; i++) {
		if (!strcmp(nets[i].id, rec->id)) {
			err = 1; /* known already */
			goto out;
		}
		if (!strcmp(nets[i].name, rec->name)) {
			err = nb_error(-EEXIST,
				       "overlay network \"%s\" of the cluster: this host has a "
				       "network of that name (id %.*s)",
				       rec->name, NB_SHORT_ID_LEN, nets[i].id);
			goto out;
		}
		if (nb_net_is_bridged(&nets[i]) &&
		    nb_prefix_overlap(&nets[i].subnet, &rec->subnet)) {
			err = nb_error(-EEXIST,
				       "overlay network \"%s\" of the cluster: subnet %s overlaps "
				       "this host's network \"%s\" (%s)",
				       rec->name, nb_fmt_prefix(&rec->subnet, p), nets[i].name,
				       nb_fmt_prefix(&nets[i].subnet, q));
			goto out;
		}
	}
	rec->net_id = 0;
	err = nb_store_network_add(st, rec);
	if (err) {
		nb_errorf("network \"%s\": cannot record it: %s", rec->name, strerror(-err));
		goto out;
	}
	err = nb_world_get(inst, world, &w);
	if (!err)
		err = nb_network_realize(w, rec);
	if (err)
		nb_errorf("network \"%s\": cannot create it in the kernel: %s", rec->name,
			  strerror(-err));
out:
	nb_network_recs_free(nets, n);
	return err;
}

int nb_network_remove(const struct nb_instance *inst, struct nb_store *st,
		      struct nb_world_ref *world, const struct nb_network_rec *net)
{
	char users[512];
	struct nb_world *w;
	size_t count;
	int err;

	if (net->builtin) {
		nb_errorf("network \"%s\" is a pre-defined network and cannot be removed",
			  net->name);
		return -EPERM;
	}
	err = network_users(st, net, users, sizeof(users), &count);
	if (err) {
		nb_errorf("network \"%s\": cannot read its endpoints: %s", net->name,
			  strerror(-err));
		return err;
	}
	if (count) {
		nb_errorf("network \"%s\" is in use by sandbox%s %s; disconnect %s first",
			  net->name, count > 1 ? "es" : "", users, count > 1 ? "them" : "it");
		return -EBUSY;
	}
	if (net->vni) {
		err = overlay_remove(st, net);
		if (err)
			return err;
	}
	err = nb_store_network_del(st, net->id);
	if (err) {
		nb_errorf("network \"%s\": cannot delete its record: %s", net->name,
			  strerror(-err));
		return err;
	}
	err = nb_world_get(inst, world, &w);
	if (err)
		return err;
	err = nb_network_unrealize(w, net);
	if (err)
		nb_errorf("network \"%s\": cannot remove it from the kernel: %s", net->name,
			  strerror(-err));
	return err;
}
