// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The agent's overlay half: networks and remote endpoints from the store (ovagent.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "log.h"
#include "membership.h"
#include "network.h"
#include "ovagent.h"
#include "overlay.h"
#include "ovnet.h"
#include "realize.h"
#include "resolve.h"

struct remote {
	char key[160];
	struct nb_ovep ep;
	__u32 net_id; /* the local network it was put on; 0: not in the data plane */
	__u32 vni;
};

struct nb_ovagent {
	const struct nb_instance *inst;
	const struct nb_cluster_cfg *cfg;
	char self[40];
	struct remote *r;
	size_t n;
	struct nb_world_ref world; /* open during a batch of events */
	bool listed;		   /* the first list happened: stale map entries were pruned */
	/*
	 * The remote endpoints and the maps are the watching thread's and, for
	 * nb_ovagent_check, the keepalive thread's: one at a time
	 */
	pthread_mutex_t lock;
	__u32 map_id; /* nb_remote's id when the remote endpoints were put: 0 none yet */
};

int nb_ovagent_new(const struct nb_instance *inst, const struct nb_cluster_cfg *cfg,
		   struct nb_ovagent **out)
{
	struct nb_ovagent *g = calloc(1, sizeof(*g));

	if (!g)
		return nb_error(-ENOMEM, "cluster: out of memory");
	g->inst = inst;
	g->cfg = cfg;
	pthread_mutex_init(&g->lock, NULL);
	snprintf(g->self, sizeof(g->self), "%s", cfg->host_id);
	*out = g;
	return 0;
}

void nb_ovagent_flush(struct nb_ovagent *g)
{
	pthread_mutex_lock(&g->lock);
	nb_world_put(&g->world);
	pthread_mutex_unlock(&g->lock);
}

void nb_ovagent_free(struct nb_ovagent *g)
{
	if (!g)
		return;
	nb_world_put(&g->world);
	pthread_mutex_destroy(&g->lock);
	free(g->r);
	free(g);
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static struct nb_world *world(struct nb_ovagent *g)
{
	struct nb_world *w;

	if (nb_world_get(g->inst, &g->world, &w)) {
		nb_logf(NB_LOG_WARN, "cluster: %s", nb_error_msg());
		nb_error_clear();
		return NULL;
	}
	if (!g->map_id)
		g->map_id = map_id(w->maps.remote);
	return w;
}

static void ovagent_event(struct nb_ovagent *g, bool put, const struct nb_etcd_kv *kv);

static struct remote *remote_find(struct nb_ovagent *g, const char *key)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->r[i].key, key))
			return &g->r[i];
	return NULL;
}

/* The local overlay network named name: its net_id and VNI (0: none here) */
static __u32 local_net(struct nb_ovagent *g, const char *name, __u32 *vni)
{
	struct nb_network_rec net;
	struct nb_store *st;
	__u32 id = 0;

	*vni = 0;
	if (nb_open_state(g->inst, false, &st)) {
		nb_error_clear();
		return 0;
	}
	if (!nb_store_network_find(st, name, &net)) {
		if (net.vni && !strcmp(net.name, name)) {
			id = net.net_id;
			*vni = net.vni;
		}
		nb_network_rec_clear(&net);
	}
	nb_store_close(st);
	return id;
}

static void remote_apply(struct nb_ovagent *g, struct remote *r)
{
	struct nb_remote_ep x = {0};
	char a[NB_IPV4_STRLEN];
	struct nb_world *w;
	struct in_addr host;
	__u32 vni, id;

	id = local_net(g, r->ep.net, &vni);
	if (!id)
		return; /* put when the network comes */
	if (inet_pton(AF_INET, r->ep.underlay, &host) != 1) {
		nb_logf(NB_LOG_WARN, "cluster: %s: host %.12s's address \"%s\" is no IPv4 address",
			r->key, r->ep.host, r->ep.underlay);
		return;
	}
	w = world(g);
	if (!w)
		return;
	x.net_id = id;
	x.vni = vni;
	memcpy(x.mac, r->ep.mac, 6);
	x.ip = r->ep.ip;
	x.host = host.s_addr;
	if (nb_remote_ep_put(&w->maps, &x)) {
		nb_logf(NB_LOG_WARN, "cluster: %s: %s", r->key, nb_error_msg());
		nb_error_clear();
		return;
	}
	r->net_id = id;
	r->vni = vni;
	nb_logf(NB_LOG_DEBUG, "cluster: network \"%s\": remote endpoint %s (\"%s\") on %s",
		r->ep.net, nb_fmt_ipv4(r->ep.ip, a), r->ep.name, r->ep.underlay);
}

static void remote_drop(struct nb_ovagent *g, struct remote *r)
{
	struct nb_world *w;

	if (r->net_id && (w = world(g)) &&
	    nb_remote_ep_del(&w->maps, r->net_id, r->ep.mac, r->ep.ip)) {
		nb_logf(NB_LOG_WARN, "cluster: %s: %s", r->key, nb_error_msg());
		nb_error_clear();
	}
	*r = g->r[--g->n];
}

static void endpoint_event(struct nb_ovagent *g, bool put, const struct nb_etcd_kv *kv)
{
	struct remote *r = remote_find(g, kv->key), *n;
	struct nb_ovep ep;

	if (!put) {
		if (r)
			remote_drop(g, r);
		return;
	}
	if (nb_ovep_parse(kv->key, kv->value, kv->value_len, &ep)) {
		nb_logf(NB_LOG_WARN, "cluster: key %s: not an overlay endpoint, ignored", kv->key);
		return;
	}
	if (!strcmp(ep.host, g->self)) {
		if (r)
			remote_drop(g, r); /* an address that moved here */
		return;
	}
	if (r && !memcmp(&r->ep, &ep, sizeof(ep)) && r->net_id)
		return; /* the same (a re-list, a lease moved) */
	if (r && r->net_id && memcmp(r->ep.mac, ep.mac, 6)) {
		struct nb_world *w = world(g);

		if (w)
			nb_remote_ep_del(&w->maps, r->net_id, r->ep.mac, r->ep.ip);
	}
	if (!r) {
		n = realloc(g->r, (g->n + 1) * sizeof(*n));
		if (!n) {
			nb_logf(NB_LOG_WARN, "cluster: %s: out of memory", kv->key);
			return;
		}
		g->r = n;
		r = &g->r[g->n++];
		memset(r, 0, sizeof(*r));
		snprintf(r->key, sizeof(r->key), "%s", kv->key);
	}
	r->ep = ep;
	r->net_id = 0;
	remote_apply(g, r);
}

/* A network of the store into the local state and kernel */
static void network_put(struct nb_ovagent *g, const struct nb_etcd_kv *kv)
{
	struct nb_network_rec rec;
	struct nb_store *st = NULL;
	char p[NB_CIDR_STRLEN];
	int err;

	if (nb_ovnet_parse(kv->value, kv->value_len, &rec) ||
	    strcmp(rec.name, kv->key + strlen(NB_CLUSTER_NETWORKS))) {
		nb_logf(NB_LOG_WARN, "cluster: key %s: not an overlay network, ignored", kv->key);
		nb_network_rec_clear(&rec);
		return;
	}
	err = nb_open_state(g->inst, true, &st);
	if (!err)
		err = nb_store_begin(st);
	if (!err)
		err = nb_network_adopt(g->inst, st, &g->world, &rec);
	if (err == 0) {
		err = nb_store_commit(st);
		if (err) {
			nb_network_unrealize(&g->world.w, &rec);
		} else {
			nb_logf(NB_LOG_INFO,
				"cluster: overlay network \"%s\" (%s, VNI %u) created here as "
				"network %u",
				rec.name, nb_fmt_prefix(&rec.subnet, p), rec.vni, rec.net_id);
			for (size_t i = 0; i < g->n; i++)
				if (!g->r[i].net_id && !strcmp(g->r[i].ep.net, rec.name))
					remote_apply(g, &g->r[i]);
		}
	}
	if (err < 0) {
		nb_logf(NB_LOG_WARN, "cluster: overlay network \"%s\": %s", rec.name,
			nb_error_msg());
		nb_error_clear();
	}
	if (st)
		nb_store_close(st);
	nb_network_rec_clear(&rec);
}

/* Whether the store has net (same id) now; true also when it cannot tell */
static bool still_there(struct nb_ovagent *g, const struct nb_network_rec *net)
{
	struct nb_network_rec had;
	struct nb_etcd *e = NULL;
	bool there = true;
	int err;

	err = nb_cluster_connect(g->cfg, 0, &e);
	if (!err)
		err = nb_ovnet_get(e, net->name, &had, NULL);
	if (!err) {
		there = !strcmp(had.id, net->id);
		nb_network_rec_clear(&had);
	} else if (err == -ENOENT) {
		there = false;
	}
	nb_error_clear();
	nb_etcd_close(e);
	return there;
}

/* A network the store no longer has leaves the local state, unless it still has endpoints */
static void network_gone(struct nb_ovagent *g, const char *name)
{
	struct nb_network_rec net;
	struct nb_store *st = NULL;
	int err;

	err = nb_open_state(g->inst, true, &st);
	if (err)
		goto out;
	err = nb_store_network_find(st, name, &net);
	if (err || !net.vni || strcmp(net.name, name)) {
		if (!err)
			nb_network_rec_clear(&net);
		err = 0;
		goto out;
	}
	/*
	 * The store asked again under the state's lock: a list read before this
	 * host's own `network create` published the network does not remove it
	 */
	if (still_there(g, &net)) {
		nb_network_rec_clear(&net);
		goto out;
	}
	err = nb_store_begin(st);
	if (!err)
		err = nb_network_remove(g->inst, st, &g->world, &net);
	if (!err)
		err = nb_store_commit(st);
	if (!err)
		nb_logf(NB_LOG_INFO,
			"cluster: overlay network \"%s\" removed from the cluster: "
			"removed here",
			name);
	nb_network_rec_clear(&net);
out:
	if (err) {
		nb_logf(NB_LOG_WARN, "cluster: overlay network \"%s\" left the store: %s", name,
			nb_error_msg());
		nb_error_clear();
	}
	if (st)
		nb_store_close(st);
}

void nb_ovagent_event(struct nb_ovagent *g, bool put, const struct nb_etcd_kv *kv)
{
	pthread_mutex_lock(&g->lock);
	ovagent_event(g, put, kv);
	pthread_mutex_unlock(&g->lock);
}

void nb_ovagent_check(struct nb_ovagent *g)
{
	struct nb_world *w;
	__u32 id;

	pthread_mutex_lock(&g->lock);
	w = g->n ? world(g) : NULL;
	id = w ? map_id(w->maps.remote) : 0;
	/* `netbpfctl down` and `up` made the maps anew: they hold none of the remote endpoints */
	if (id && g->map_id && id != g->map_id) {
		nb_logf(NB_LOG_INFO,
			"cluster: the data plane's maps are new: putting %zu remote "
			"endpoint%s again",
			g->n, g->n > 1 ? "s" : "");
		g->map_id = id;
		for (size_t i = 0; i < g->n; i++) {
			g->r[i].net_id = 0;
			remote_apply(g, &g->r[i]);
		}
	}
	nb_world_put(&g->world);
	pthread_mutex_unlock(&g->lock);
}

static void ovagent_event(struct nb_ovagent *g, bool put, const struct nb_etcd_kv *kv)
{
	if (!strncmp(kv->key, NB_CLUSTER_ENDPOINTS, strlen(NB_CLUSTER_ENDPOINTS)))
		endpoint_event(g, put, kv);
	else if (!strncmp(kv->key, NB_CLUSTER_NETWORKS, strlen(NB_CLUSTER_NETWORKS))) {
		if (put)
			network_put(g, kv);
		else
			network_gone(g, kv->key + strlen(NB_CLUSTER_NETWORKS));
	}
}

static bool listed(const struct nb_etcd_kvs *kvs, const char *key)
{
	for (size_t i = 0; i < kvs->n; i++)
		if (!strcmp(kvs->kv[i].key, key))
			return true;
	return false;
}

static void relisted(struct nb_ovagent *g, const struct nb_etcd_kvs *kvs);

void nb_ovagent_relisted(struct nb_ovagent *g, const struct nb_etcd_kvs *kvs)
{
	pthread_mutex_lock(&g->lock);
	relisted(g, kvs);
	pthread_mutex_unlock(&g->lock);
}

static void relisted(struct nb_ovagent *g, const struct nb_etcd_kvs *kvs)
{
	struct nb_network_rec *nets = NULL;
	struct nb_remote_ep *v = NULL;
	struct nb_store *st = NULL;
	char key[160];
	size_t i, j, n = 0, nv = 0;
	struct nb_world *w;

	/* remote endpoints that went while the agent did not watch */
	for (i = g->n; i-- > 0;)
		if (!listed(kvs, g->r[i].key))
			remote_drop(g, &g->r[i]);
	/* networks removed from the cluster meanwhile */
	if (!nb_open_state(g->inst, false, &st)) {
		if (nb_store_network_list(st, &nets, &n))
			n = 0;
		nb_store_close(st);
	}
	nb_error_clear();
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), NB_CLUSTER_NETWORKS "%s", nets[i].name);
		if (nets[i].vni && !listed(kvs, key))
			network_gone(g, nets[i].name);
	}
	nb_network_recs_free(nets, n);
	/* entries of an earlier run that nothing explains now (an agent restarted) */
	w = world(g);
	if (!w || nb_remote_ep_list(&w->maps, 0, &v, &nv)) {
		nb_error_clear();
		return;
	}
	for (i = 0; i < nv; i++) {
		bool known = false;

		for (j = 0; j < g->n && !known; j++)
			known = g->r[j].net_id == v[i].net_id && g->r[j].ep.ip == v[i].ip &&
				!memcmp(g->r[j].ep.mac, v[i].mac, 6);
		if (!known && nb_remote_ep_del(&w->maps, v[i].net_id, v[i].mac, v[i].ip))
			nb_error_clear();
	}
	free(v);
	g->listed = true;
}
