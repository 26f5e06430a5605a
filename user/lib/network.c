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
#include "realize.h"
#include "resolve.h"
#include "store.h"

int nb_network_create(const struct nb_instance *inst, struct nb_store *st,
		      struct nb_world_ref *world, const struct nb_net_spec *spec,
		      struct nb_network_rec *rec)
{
	struct nb_network_rec *others = NULL;
	struct nb_host_net *host = NULL;
	struct nb_net_spec s = *spec;
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
