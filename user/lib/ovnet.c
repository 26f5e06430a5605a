// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Overlay networks, their address blocks and endpoints in etcd (ovnet.h, docs/overlay.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "ovnet.h"

/* ---- records -------------------------------------------------------------------- */

static json_t *json_text_obj(const char *text)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;

	if (!json_is_object(o)) {
		json_decref(o);
		o = json_object();
	}
	return o;
}

char *nb_ovnet_json(const struct nb_network_rec *n)
{
	char sub[NB_CIDR_STRLEN], range[NB_CIDR_STRLEN], gw[NB_IPV4_STRLEN], hb[NB_IPV4_STRLEN];
	json_t *o;
	char *s;

	nb_fmt_prefix(&n->subnet, sub);
	nb_fmt_prefix(&n->range, range);
	nb_fmt_ipv4(n->gateway, gw);
	nb_fmt_ipv4(n->host_binding, hb);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:b,s:s,s:I,s:b,s:o,s:o,s:o}", "id",
		      n->id, "name", n->name, "subnet", sub, "range", range, "gateway", gw, "vni",
		      (json_int_t)n->vni, "created", (json_int_t)n->created, "internal",
		      n->internal, "icc", n->icc, "masquerade", n->masquerade, "host_binding", hb,
		      "mtu", (json_int_t)n->mtu, "attachable", n->attachable, "options",
		      json_text_obj(n->options), "labels", json_text_obj(n->labels),
		      "aux_addresses", json_text_obj(n->aux_addresses));
	s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

static int get_str(const json_t *o, const char *field, char *dst, size_t size)
{
	const char *s = json_string_value(json_object_get(o, field));

	if (!s || strlen(s) >= size)
		return -EINVAL;
	snprintf(dst, size, "%s", s);
	return 0;
}

static char *dump_obj(const json_t *o, const char *field)
{
	json_t *v = json_object_get(o, field);

	return json_is_object(v) ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
}

int nb_ovnet_parse(const char *value, size_t len, struct nb_network_rec *n)
{
	char sub[NB_CIDR_STRLEN], range[NB_CIDR_STRLEN], gw[NB_IPV4_STRLEN], hb[NB_IPV4_STRLEN];
	json_t *o = json_loadb(value, len, 0, NULL);
	json_int_t vni;
	int err = -EINVAL;

	memset(n, 0, sizeof(*n));
	if (!json_is_object(o))
		goto out;
	if (get_str(o, "id", n->id, sizeof(n->id)) || strlen(n->id) != NB_ID_LEN ||
	    get_str(o, "name", n->name, sizeof(n->name)) ||
	    get_str(o, "subnet", sub, sizeof(sub)) || get_str(o, "range", range, sizeof(range)) ||
	    get_str(o, "gateway", gw, sizeof(gw)) || get_str(o, "host_binding", hb, sizeof(hb)))
		goto out;
	if (nb_parse_prefix(sub, true, &n->subnet) || nb_parse_prefix(range, true, &n->range) ||
	    nb_parse_ipv4(gw, &n->gateway) || nb_parse_ipv4(hb, &n->host_binding))
		goto out;
	vni = json_integer_value(json_object_get(o, "vni"));
	if (vni < 1 || vni > 0xffffff)
		goto out;
	n->vni = (__u32)vni;
	snprintf(n->driver, sizeof(n->driver), "%s", NB_DRIVER_OVERLAY);
	n->created = json_integer_value(json_object_get(o, "created"));
	n->internal = json_is_true(json_object_get(o, "internal"));
	n->icc = json_is_true(json_object_get(o, "icc"));
	n->masquerade = json_is_true(json_object_get(o, "masquerade"));
	n->attachable = json_is_true(json_object_get(o, "attachable"));
	n->mtu = (unsigned int)json_integer_value(json_object_get(o, "mtu"));
	n->options = dump_obj(o, "options");
	n->labels = dump_obj(o, "labels");
	n->aux_addresses = dump_obj(o, "aux_addresses");
	err = n->options && n->labels && n->aux_addresses ? 0 : -ENOMEM;
	if (err)
		nb_network_rec_clear(n);
out:
	json_decref(o);
	return err;
}

char *nb_ovep_json(const struct nb_ovep *ep)
{
	char ip[NB_IPV4_STRLEN], mac[18];
	json_t *o =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", ep->id, "ip", nb_fmt_ipv4(ep->ip, ip),
		      "mac", nb_fmt_mac(ep->mac, mac), "host", ep->host, "underlay", ep->underlay,
		      "name", ep->name, "sandbox", ep->sandbox);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	return s;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

int nb_ovep_parse(const char *key, const char *value, size_t len, struct nb_ovep *ep)
{
	const char *rest = key + strlen(NB_CLUSTER_ENDPOINTS), *slash;
	char ip[NB_IPV4_STRLEN], mac[18];
	json_t *o = NULL;
	int err = -EINVAL;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(key, NB_CLUSTER_ENDPOINTS, strlen(NB_CLUSTER_ENDPOINTS)))
		return -EINVAL;
	slash = strchr(rest, '/');
	if (!slash || slash == rest || (size_t)(slash - rest) > NB_NAME_MAX ||
	    nb_parse_ipv4(slash + 1, &ep->ip))
		return -EINVAL;
	snprintf(ep->net, sizeof(ep->net), "%.*s", (int)(slash - rest), rest);
	o = json_loadb(value, len, 0, NULL);
	if (!json_is_object(o) || get_str(o, "id", ep->id, sizeof(ep->id)) ||
	    get_str(o, "ip", ip, sizeof(ip)) || get_str(o, "mac", mac, sizeof(mac)) ||
	    get_str(o, "host", ep->host, sizeof(ep->host)) ||
	    get_str(o, "underlay", ep->underlay, sizeof(ep->underlay)) || parse_mac(mac, ep->mac))
		goto out;
	/* the key's address is the truth: a value that disagrees is not a record */
	if (strcmp(ip, slash + 1))
		goto out;
	get_str(o, "name", ep->name, sizeof(ep->name));
	get_str(o, "sandbox", ep->sandbox, sizeof(ep->sandbox));
	err = 0;
out:
	json_decref(o);
	return err;
}

void nb_ovep_key(const char *net, __be32 ip, char *buf, size_t size)
{
	char a[NB_IPV4_STRLEN];

	snprintf(buf, size, NB_CLUSTER_ENDPOINTS "%s/%s", net, nb_fmt_ipv4(ip, a));
}

void nb_ovblock_of(const struct nb_prefix *subnet, __be32 ip, struct nb_prefix *block)
{
	block->len = subnet->len > NB_OVERLAY_BLOCK_LEN ? subnet->len : NB_OVERLAY_BLOCK_LEN;
	block->addr = ip & nb_prefix_mask(block->len);
}

void nb_ovblock_key(const char *net, const struct nb_prefix *block, char *buf, size_t size)
{
	char p[NB_CIDR_STRLEN];

	snprintf(buf, size, NB_CLUSTER_BLOCKS "%s/%s", net, nb_fmt_prefix(block, p));
}

/* ---- networks ---------------------------------------------------------------------- */

static int net_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nb_network_rec *)a)->name,
		      ((const struct nb_network_rec *)b)->name);
}

int nb_ovnet_list(struct nb_etcd *e, struct nb_network_rec **v, int64_t **modrev, size_t *n)
{
	struct nb_network_rec *nets;
	struct nb_etcd_kvs kvs;
	int64_t *revs;
	size_t i, j, k;
	int err;

	*v = NULL;
	*n = 0;
	if (modrev)
		*modrev = NULL;
	err = nb_etcd_range(e, NB_CLUSTER_NETWORKS, true, 0, &kvs);
	if (err)
		return err;
	nets = calloc(kvs.n + 1, sizeof(*nets));
	revs = calloc(kvs.n + 1, sizeof(*revs));
	if (!nets || !revs) {
		free(nets);
		free(revs);
		nb_etcd_kvs_free(&kvs);
		return nb_error(-ENOMEM, "overlay networks: out of memory");
	}
	for (i = 0, k = 0; i < kvs.n; i++) {
		if (nb_ovnet_parse(kvs.kv[i].value, kvs.kv[i].value_len, &nets[k]) ||
		    strcmp(nets[k].name, kvs.kv[i].key + strlen(NB_CLUSTER_NETWORKS))) {
			nb_network_rec_clear(&nets[k]);
			nb_logf(NB_LOG_WARN, "etcd: key %s: not an overlay network, skipped",
				kvs.kv[i].key);
			continue;
		}
		revs[k++] = kvs.kv[i].mod_revision;
	}
	nb_etcd_kvs_free(&kvs);
	/* sorted by name; etcd's ranges are already ordered by key, which is the name */
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && net_cmp(&nets[j - 1], &nets[j]) > 0; j--) {
			struct nb_network_rec t = nets[j];
			int64_t r = revs[j];

			nets[j] = nets[j - 1];
			nets[j - 1] = t;
			revs[j] = revs[j - 1];
			revs[j - 1] = r;
		}
	*v = nets;
	*n = k;
	if (modrev)
		*modrev = revs;
	else
		free(revs);
	return 0;
}

int nb_ovnet_get(struct nb_etcd *e, const char *name, struct nb_network_rec *n, int64_t *modrev)
{
	char key[sizeof(NB_CLUSTER_NETWORKS) + NB_NAME_MAX];
	struct nb_etcd_kvs kvs;
	int err;

	memset(n, 0, sizeof(*n));
	snprintf(key, sizeof(key), NB_CLUSTER_NETWORKS "%s", name);
	err = nb_etcd_range(e, key, false, 0, &kvs);
	if (err)
		return err;
	if (!kvs.n) {
		err = -ENOENT;
	} else {
		err = nb_ovnet_parse(kvs.kv[0].value, kvs.kv[0].value_len, n);
		if (err)
			nb_errorf("etcd: key %s: not an overlay network", key);
		else if (modrev)
			*modrev = kvs.kv[0].mod_revision;
	}
	nb_etcd_kvs_free(&kvs);
	return err;
}

int nb_ovnet_publish(struct nb_etcd *e, struct nb_network_rec *rec)
{
	char key[sizeof(NB_CLUSTER_NETWORKS) + NB_NAME_MAX], vkey[sizeof(NB_CLUSTER_VNIS) + 12];
	char p[NB_CIDR_STRLEN], q[NB_CIDR_STRLEN];
	struct nb_network_rec *nets = NULL, had;
	struct nb_etcd_kvs vnis = {0};
	bool ok = false;
	__u32 vni = NB_OVERLAY_VNI_FIRST;
	size_t i, n = 0;
	char *val = NULL;
	int err, tries;

	snprintf(key, sizeof(key), NB_CLUSTER_NETWORKS "%s", rec->name);
	for (tries = 0; tries < 64 && !ok; tries++) {
		nb_network_recs_free(nets, n);
		nets = NULL;
		n = 0;
		nb_etcd_kvs_free(&vnis);
		err = nb_ovnet_list(e, &nets, NULL, &n);
		if (!err)
			err = nb_etcd_range(e, NB_CLUSTER_VNIS, true, 0, &vnis);
		if (err)
			goto out;
		for (i = 0; i < n; i++) {
			if (!strcmp(nets[i].name, rec->name)) {
				err = nb_error(-EEXIST,
					       "network \"%s\" already exists in the cluster "
					       "(overlay, %s, VNI %u)",
					       rec->name, nb_fmt_prefix(&nets[i].subnet, p),
					       nets[i].vni);
				goto out;
			}
			if (nb_prefix_overlap(&nets[i].subnet, &rec->subnet)) {
				err = nb_error(-EEXIST,
					       "network \"%s\": subnet %s overlaps overlay network "
					       "\"%s\" (%s) of the cluster",
					       rec->name, nb_fmt_prefix(&rec->subnet, p),
					       nets[i].name, nb_fmt_prefix(&nets[i].subnet, q));
				goto out;
			}
		}
		/* the lowest VNI no key holds (the keys are sorted as text: look at each) */
		for (vni = NB_OVERLAY_VNI_FIRST;; vni++) {
			bool taken = false;

			snprintf(vkey, sizeof(vkey), NB_CLUSTER_VNIS "%u", vni);
			for (i = 0; i < vnis.n && !taken; i++)
				taken = !strcmp(vnis.kv[i].key, vkey);
			if (!taken)
				break;
		}
		if (vni > 0xffffff) {
			err = nb_error(-ENOSPC, "network \"%s\": no VNI left", rec->name);
			goto out;
		}
		rec->vni = vni;
		free(val);
		val = nb_ovnet_json(rec);
		if (!val) {
			err = nb_error(-ENOMEM, "network \"%s\": out of memory", rec->name);
			goto out;
		}
		{
			struct nb_etcd_cmp cmp[] = {
			    {.key = key, .target = NB_ETCD_VERSION, .result = NB_ETCD_EQUAL},
			    {.key = vkey, .target = NB_ETCD_VERSION, .result = NB_ETCD_EQUAL},
			};
			struct nb_etcd_op ops[] = {
			    {.type = NB_ETCD_OP_PUT, .key = key, .value = val},
			    {.type = NB_ETCD_OP_PUT, .key = vkey, .value = rec->name},
			};

			err = nb_etcd_txn(e, cmp, 2, ops, 2, NULL, 0, &ok, NULL);
		}
		if (err)
			goto out;
		/* lost a race: the name (told on the next turn) or the VNI (the next one) */
	}
	if (!ok) {
		err = nb_error(-EAGAIN, "network \"%s\": could not take a VNI (the store is busy)",
			       rec->name);
		goto out;
	}
	err = 0;
out:
	if (err && !nb_ovnet_get(e, rec->name, &had, NULL)) {
		/* a txn that timed out may have been applied: ours when the id is */
		if (!strcmp(had.id, rec->id)) {
			rec->vni = had.vni;
			nb_error_clear();
			err = 0;
		}
		nb_network_rec_clear(&had);
	}
	free(val);
	nb_etcd_kvs_free(&vnis);
	nb_network_recs_free(nets, n);
	return err;
}

void nb_ovnet_unpublish(struct nb_etcd *e, const struct nb_network_rec *rec)
{
	char key[sizeof(NB_CLUSTER_NETWORKS) + NB_NAME_MAX], vkey[sizeof(NB_CLUSTER_VNIS) + 12];
	struct nb_network_rec had;
	int64_t rev;
	bool ok;

	snprintf(key, sizeof(key), NB_CLUSTER_NETWORKS "%s", rec->name);
	snprintf(vkey, sizeof(vkey), NB_CLUSTER_VNIS "%u", rec->vni);
	if (nb_ovnet_get(e, rec->name, &had, &rev))
		return;
	if (!strcmp(had.id, rec->id)) {
		struct nb_etcd_cmp cmp = {.key = key, .target = NB_ETCD_MOD, .number = rev};
		struct nb_etcd_op ops[] = {
		    {.type = NB_ETCD_OP_DELETE, .key = key},
		    {.type = NB_ETCD_OP_DELETE, .key = vkey},
		};

		nb_etcd_txn(e, &cmp, 1, ops, 2, NULL, 0, &ok, NULL);
	}
	nb_network_rec_clear(&had);
}

int nb_ovnet_remove(struct nb_etcd *e, const struct nb_network_rec *net)
{
	char key[sizeof(NB_CLUSTER_NETWORKS) + NB_NAME_MAX], vkey[sizeof(NB_CLUSTER_VNIS) + 12];
	char users[512] = "", ip[NB_IPV4_STRLEN];
	struct nb_network_rec had;
	struct nb_ovep *eps = NULL;
	size_t i, n = 0, len = 0;
	int64_t rev = 0;
	bool ok = false;
	int err;

	snprintf(key, sizeof(key), NB_CLUSTER_NETWORKS "%s", net->name);
	err = nb_ovnet_get(e, net->name, &had, &rev);
	if (err)
		return err;
	/* another network of that name now (removed and created again): not ours to remove */
	if (strcmp(had.id, net->id)) {
		nb_network_rec_clear(&had);
		return -ENOENT;
	}
	snprintf(vkey, sizeof(vkey), NB_CLUSTER_VNIS "%u", had.vni);
	nb_network_rec_clear(&had);
	err = nb_ovep_list(e, net->name, &eps, &n);
	if (err)
		return err;
	for (i = 0; i < n && len + 1 < sizeof(users); i++)
		len += (size_t)snprintf(users + len, sizeof(users) - len,
					"%s\"%s\" (%s on host %.12s)", i ? ", " : "", eps[i].name,
					nb_fmt_ipv4(eps[i].ip, ip), eps[i].host);
	free(eps);
	if (n)
		return nb_error(-EBUSY,
				"network \"%s\" is in use by sandbox%s %s; disconnect %s first",
				net->name, n > 1 ? "es" : "", users, n > 1 ? "them" : "it");
	{
		/* an endpoint created since the list changed nothing of the key: compare it */
		struct nb_etcd_cmp cmp = {.key = key, .target = NB_ETCD_MOD, .number = rev};
		struct nb_etcd_op ops[] = {
		    {.type = NB_ETCD_OP_DELETE, .key = key},
		    {.type = NB_ETCD_OP_DELETE, .key = vkey},
		};

		err = nb_etcd_txn(e, &cmp, 1, ops, 2, NULL, 0, &ok, NULL);
	}
	if (err)
		return err;
	if (!ok)
		return nb_error(-EAGAIN,
				"network \"%s\" changed in the cluster meanwhile; try again",
				net->name);
	return 0;
}

/* ---- endpoints ------------------------------------------------------------------------ */

static int ep_cmp(const void *a, const void *b)
{
	const struct nb_ovep *x = a, *y = b;
	int c = strcmp(x->net, y->net);

	if (c)
		return c;
	return ntohl(x->ip) < ntohl(y->ip) ? -1 : ntohl(x->ip) > ntohl(y->ip);
}

int nb_ovep_list(struct nb_etcd *e, const char *net, struct nb_ovep **v, size_t *n)
{
	char prefix[sizeof(NB_CLUSTER_ENDPOINTS) + NB_NAME_MAX + 1];
	struct nb_etcd_kvs kvs;
	struct nb_ovep *eps;
	size_t i;
	int err;

	*v = NULL;
	*n = 0;
	snprintf(prefix, sizeof(prefix), NB_CLUSTER_ENDPOINTS "%s%s", net ? net : "",
		 net ? "/" : "");
	err = nb_etcd_range(e, prefix, true, 0, &kvs);
	if (err)
		return err;
	eps = calloc(kvs.n + 1, sizeof(*eps));
	if (!eps) {
		nb_etcd_kvs_free(&kvs);
		return nb_error(-ENOMEM, "overlay endpoints: out of memory");
	}
	for (i = 0; i < kvs.n; i++) {
		if (nb_ovep_parse(kvs.kv[i].key, kvs.kv[i].value, kvs.kv[i].value_len, &eps[*n])) {
			nb_logf(NB_LOG_WARN, "etcd: key %s: not an overlay endpoint, skipped",
				kvs.kv[i].key);
			continue;
		}
		(*n)++;
	}
	nb_etcd_kvs_free(&kvs);
	qsort(eps, *n, sizeof(*eps), ep_cmp);
	*v = eps;
	return 0;
}

int nb_ovnet_endpoints(struct nb_store *st, const char *net, struct nb_ovep **v, size_t *n)
{
	struct nb_cluster_cfg cfg;
	struct nb_etcd *e = NULL;
	int err;

	*v = NULL;
	*n = 0;
	err = nb_cluster_cfg_get(st, &cfg);
	if (err == -ENOENT)
		return nb_error(-ENOENT, "network \"%s\": this instance has no store", net);
	if (err)
		return err;
	err = nb_cluster_connect(&cfg, 2000, &e);
	if (!err)
		err = nb_ovep_list(e, net, v, n);
	nb_etcd_close(e);
	nb_cluster_cfg_free(&cfg);
	return err;
}

void nb_ovctx_close(struct nb_ovctx *c)
{
	nb_etcd_close(c->e);
	nb_cluster_cfg_free(&c->cfg);
	memset(c, 0, sizeof(*c));
}

int nb_ovctx_open(struct nb_store *st, const struct nb_network_rec *net, struct nb_ovctx *c)
{
	char key[sizeof(NB_CLUSTER_HOSTS) + 40];
	struct nb_network_rec had;
	struct nb_etcd_kvs kvs;
	int err;

	memset(c, 0, sizeof(*c));
	err = nb_cluster_cfg_get(st, &c->cfg);
	if (err == -ENOENT)
		return nb_error(-ENOENT,
				"network \"%s\" is an overlay network and this instance has no "
				"store (netbpfctl up --store etcd://IP:2379 --advertise IP)",
				net->name);
	if (err)
		return err;
	err = nb_cluster_connect(&c->cfg, 0, &c->e);
	if (err)
		goto fail;
	snprintf(key, sizeof(key), NB_CLUSTER_HOSTS "%s", c->cfg.host_id);
	err = nb_etcd_range(c->e, key, false, 0, &kvs);
	if (err)
		goto fail;
	c->lease = kvs.n ? kvs.kv[0].lease : 0;
	nb_etcd_kvs_free(&kvs);
	if (!c->lease) {
		err = nb_error(-EHOSTDOWN,
			       "network \"%s\": this host (%.12s) is not registered in the "
			       "cluster: netbpfd, which keeps its lease, is not running",
			       net->name, c->cfg.host_id);
		goto fail;
	}
	err = nb_ovnet_get(c->e, net->name, &had, &c->modrev);
	if (!err && strcmp(had.id, net->id))
		err = -ENOENT;
	nb_network_rec_clear(&had);
	if (err == -ENOENT)
		err = nb_error(-EIDRM,
			       "network \"%s\" is no longer in the cluster's store (removed by "
			       "another host); this host's agent removes it",
			       net->name);
	if (err)
		goto fail;
	return 0;
fail:
	nb_ovctx_close(c);
	return err;
}

/* Creates the endpoint key for ep->ip under the lease, comparing the network's revision */
static int ep_create(struct nb_ovctx *c, const struct nb_network_rec *net,
		     const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep, bool *taken)
{
	char key[sizeof(c->key)], nkey[sizeof(NB_CLUSTER_NETWORKS) + NB_NAME_MAX];
	struct nb_ovep o = {0};
	char *val;
	bool ok = false;
	int err;

	*taken = false;
	snprintf(o.id, sizeof(o.id), "%s", ep->id);
	o.ip = ep->ip;
	memcpy(o.mac, ep->mac, 6);
	snprintf(o.host, sizeof(o.host), "%s", c->cfg.host_id);
	snprintf(o.underlay, sizeof(o.underlay), "%s", c->cfg.advertise);
	snprintf(o.name, sizeof(o.name), "%s", sb->name);
	snprintf(o.sandbox, sizeof(o.sandbox), "%s", sb->id);
	val = nb_ovep_json(&o);
	if (!val)
		return nb_error(-ENOMEM, "network \"%s\": out of memory", net->name);
	nb_ovep_key(net->name, ep->ip, key, sizeof(key));
	snprintf(nkey, sizeof(nkey), NB_CLUSTER_NETWORKS "%s", net->name);
	{
		struct nb_etcd_cmp cmp[] = {
		    {.key = nkey, .target = NB_ETCD_MOD, .number = c->modrev},
		    {.key = key, .target = NB_ETCD_VERSION, .result = NB_ETCD_EQUAL},
		};
		struct nb_etcd_op op = {
		    .type = NB_ETCD_OP_PUT, .key = key, .value = val, .lease = c->lease};

		err = nb_etcd_txn(c->e, cmp, 2, &op, 1, NULL, 0, &ok, NULL);
	}
	if (!err && !ok) {
		struct nb_etcd_kvs kvs;

		/* which compare failed: the address is taken, or the network changed */
		err = nb_etcd_range(c->e, key, false, 0, &kvs);
		if (!err) {
			if (kvs.n && kvs.kv[0].value_len == strlen(val) &&
			    !memcmp(kvs.kv[0].value, val, kvs.kv[0].value_len))
				ok = true; /* ours: a txn retried after a timeout */
			else if (kvs.n)
				*taken = true;
			else
				err = nb_error(-EAGAIN,
					       "network \"%s\" changed in the cluster meanwhile; "
					       "try again",
					       net->name);
			nb_etcd_kvs_free(&kvs);
		}
	}
	free(val);
	if (!err && ok)
		snprintf(c->key, sizeof(c->key), "%s", key);
	return err;
}

/* Who holds ip on the network, for the refusal */
static void holder(struct nb_ovctx *c, const struct nb_network_rec *net, __be32 ip, char *buf,
		   size_t size)
{
	char key[sizeof(c->key)];
	struct nb_etcd_kvs kvs;
	struct nb_ovep o;

	snprintf(buf, size, "another endpoint");
	nb_ovep_key(net->name, ip, key, sizeof(key));
	if (nb_etcd_range(c->e, key, false, 0, &kvs))
		return;
	if (kvs.n && !nb_ovep_parse(key, kvs.kv[0].value, kvs.kv[0].value_len, &o))
		snprintf(buf, size, "sandbox \"%s\" on host %.12s (%s)", o.name, o.host,
			 o.underlay);
	nb_etcd_kvs_free(&kvs);
}

static bool held_by_me(struct nb_ovctx *c, const char *key)
{
	struct nb_etcd_kvs kvs;
	bool mine;

	if (nb_etcd_range(c->e, key, false, 0, &kvs))
		return false;
	mine = kvs.n && !strcmp(kvs.kv[0].value, c->cfg.host_id) && kvs.kv[0].lease == c->lease;
	nb_etcd_kvs_free(&kvs);
	return mine;
}

int nb_ovep_claim(struct nb_ovctx *c, const struct nb_network_rec *net,
		  const struct nb_sandbox_rec *sb, __be32 want, const __be32 *used, size_t nused,
		  struct nb_endpoint_rec *ep)
{
	char a[NB_IPV4_STRLEN], who[NB_NAME_MAX + 120], bkey[160];
	struct nb_prefix *mine = NULL, *others = NULL, b;
	size_t i, nmine = 0, nothers = 0, bprefix, cap;
	struct nb_etcd_kvs kvs = {0};
	__be32 *u = NULL;
	size_t nu = nused;
	bool taken;
	int err, tries;

	c->key[0] = '\0';
	if (want) {
		ep->ip = want;
		nb_mac_from_ipv4(ep->ip, ep->mac);
		err = ep_create(c, net, sb, ep, &taken);
		if (!err && taken) {
			holder(c, net, want, who, sizeof(who));
			err = nb_error(-EADDRINUSE,
				       "sandbox \"%s\": address %s is already in use in network "
				       "\"%s\" by %s",
				       sb->name, nb_fmt_ipv4(want, a), net->name, who);
		}
		return err;
	}
	u = malloc((nused + 64) * sizeof(*u));
	if (!u)
		return nb_error(-ENOMEM, "network \"%s\": out of memory", net->name);
	memcpy(u, used, nused * sizeof(*u));

	/* the blocks: this host's, and the others' (never allocated from) */
	snprintf(bkey, sizeof(bkey), NB_CLUSTER_BLOCKS "%s/", net->name);
	bprefix = strlen(bkey);
	err = nb_etcd_range(c->e, bkey, true, 0, &kvs);
	if (err)
		goto out;
	/* room for the blocks listed and for those claimed or lost to a race here */
	cap = kvs.n + 64;
	mine = calloc(cap, sizeof(*mine));
	others = calloc(cap, sizeof(*others));
	if (!mine || !others) {
		err = nb_error(-ENOMEM, "network \"%s\": out of memory", net->name);
		goto out;
	}
	for (i = 0; i < kvs.n; i++) {
		if (nb_parse_prefix(kvs.kv[i].key + bprefix, true, &b))
			continue;
		if (!strcmp(kvs.kv[i].value, c->cfg.host_id))
			mine[nmine++] = b;
		else
			others[nothers++] = b;
	}

	for (tries = 0; tries < 64; tries++) {
		bool found = false;

		for (i = 0; i < nmine && !found; i++) {
			struct nb_prefix r = mine[i];

			/* a block is inside the network's range, whose edges may cut it */
			if (!nb_prefix_overlap(&r, &net->range))
				continue;
			if (r.len < net->range.len)
				r = net->range;
			found = !nb_ipam_alloc(&net->subnet, &r, net->gateway, u, nu, &ep->ip);
		}
		if (!found) {
			/* the next block of the range nobody holds: claim it */
			struct nb_prefix first;
			__u32 step, at, end;
			bool claimed = false;

			nb_ovblock_of(&net->subnet, net->range.addr, &first);
			step = first.len >= 32 ? 1 : 1U << (32 - first.len);
			end = ntohl(nb_prefix_broadcast(&net->range));
			for (at = ntohl(first.addr); at <= end && !claimed; at += step) {
				bool held = false;

				b.addr = htonl(at);
				b.len = first.len;
				for (i = 0; i < nothers && !held; i++)
					held = nb_prefix_overlap(&others[i], &b);
				for (i = 0; i < nmine && !held; i++)
					held = nb_prefix_overlap(&mine[i], &b);
				if (!held) {
					nb_ovblock_key(net->name, &b, bkey, sizeof(bkey));
					err = nb_etcd_create(c->e, bkey, c->cfg.host_id, c->lease);
					/* a create that timed out after it was applied: ours */
					if (err == -EEXIST && held_by_me(c, bkey))
						err = 0;
					if (!err)
						claimed = true;
					else if (err == -EEXIST && nothers < cap)
						others[nothers++] = b;
					else if (err != -EEXIST)
						goto out;
				}
				if (at + step < at)
					break;
			}
			if (!claimed) {
				char p[NB_CIDR_STRLEN];

				err = nb_error(-ENOSPC,
					       "network \"%s\": no free address left in %s for "
					       "sandbox \"%s\" (every block is held)",
					       net->name, nb_fmt_prefix(&net->range, p), sb->name);
				goto out;
			}
			nb_logf(NB_LOG_INFO, "network \"%s\": this host claimed block %s",
				net->name, bkey + bprefix);
			if (nmine < cap)
				mine[nmine++] = b;
			continue;
		}
		nb_mac_from_ipv4(ep->ip, ep->mac);
		err = ep_create(c, net, sb, ep, &taken);
		if (err || !taken)
			goto out;
		/* a --ip of another host inside our block: the next address */
		if (nu < nused + 64)
			u[nu++] = ep->ip;
		else
			break;
	}
	err = nb_error(-EAGAIN, "network \"%s\": could not take an address (the store is busy)",
		       net->name);
out:
	nb_etcd_kvs_free(&kvs);
	free(mine);
	free(others);
	free(u);
	return err;
}

int nb_ovep_release(struct nb_ovctx *c, const struct nb_network_rec *net, __be32 ip)
{
	char key[sizeof(c->key)];
	struct nb_etcd_kvs kvs;
	struct nb_ovep o;
	bool ok;
	int err;

	nb_ovep_key(net->name, ip, key, sizeof(key));
	err = nb_etcd_range(c->e, key, false, 0, &kvs);
	if (err)
		return err;
	if (kvs.n && !nb_ovep_parse(key, kvs.kv[0].value, kvs.kv[0].value_len, &o) &&
	    !strcmp(o.host, c->cfg.host_id)) {
		struct nb_etcd_cmp cmp = {
		    .key = key, .target = NB_ETCD_MOD, .number = kvs.kv[0].mod_revision};
		struct nb_etcd_op op = {.type = NB_ETCD_OP_DELETE, .key = key};

		err = nb_etcd_txn(c->e, &cmp, 1, &op, 1, NULL, 0, &ok, NULL);
	}
	nb_etcd_kvs_free(&kvs);
	return err;
}

/*
 * Puts key = val under lease when it is absent or already this host's (same value: a
 * record of an earlier lease of ours, moved to the new one); 1 when another holds it
 */
static int reclaim(struct nb_etcd *e, const char *key, const char *val, const char *host,
		   int64_t lease)
{
	struct nb_etcd_kvs kvs;
	struct nb_etcd_cmp cmp = {.key = key};
	struct nb_etcd_op op = {.type = NB_ETCD_OP_PUT, .key = key, .value = val, .lease = lease};
	struct nb_ovep o;
	bool ok = false, ours;
	int err;

	err = nb_etcd_range(e, key, false, 0, &kvs);
	if (err)
		return err;
	if (kvs.n) {
		if (!strncmp(key, NB_CLUSTER_ENDPOINTS, strlen(NB_CLUSTER_ENDPOINTS)))
			ours = !nb_ovep_parse(key, kvs.kv[0].value, kvs.kv[0].value_len, &o) &&
			       !strcmp(o.host, host);
		else
			ours = !strcmp(kvs.kv[0].value, host);
		if (!ours || (kvs.kv[0].lease == lease && !strcmp(kvs.kv[0].value, val))) {
			nb_etcd_kvs_free(&kvs);
			return ours ? 0 : 1;
		}
		cmp.target = NB_ETCD_MOD;
		cmp.number = kvs.kv[0].mod_revision;
	} else {
		cmp.target = NB_ETCD_VERSION;
	}
	nb_etcd_kvs_free(&kvs);
	err = nb_etcd_txn(e, &cmp, 1, &op, 1, NULL, 0, &ok, NULL);
	if (!err && !ok)
		return 1;
	return err;
}

int nb_ovnet_restore(struct nb_etcd *e, struct nb_store *st, const struct nb_cluster_cfg *cfg,
		     int64_t lease, int *conflicts)
{
	struct nb_network_rec *nets = NULL;
	struct nb_ovep *held = NULL;
	size_t i, j, k, nnets = 0, nheld = 0;
	char key[160], a[NB_IPV4_STRLEN];
	int err;

	*conflicts = 0;
	err = nb_store_network_list(st, &nets, &nnets);
	if (err)
		return nb_error(err, "cluster: cannot read the local networks: %s", strerror(-err));
	err = nb_ovep_list(e, NULL, &held, &nheld);
	if (err)
		goto out;
	for (i = 0; i < nnets; i++) {
		struct nb_endpoint_rec *eps = NULL;
		size_t neps = 0;

		if (!nets[i].vni)
			continue;
		err = nb_store_endpoint_list(st, nets[i].id, NULL, &eps, &neps);
		if (err) {
			err = nb_error(err, "network \"%s\": cannot read its endpoints: %s",
				       nets[i].name, strerror(-err));
			goto out;
		}
		for (j = 0; j < neps && !err; j++) {
			struct nb_sandbox_rec sb = {0};
			struct nb_prefix b;
			struct nb_ovep o = {0};
			char *val;
			int r;

			nb_ovblock_of(&nets[i].subnet, eps[j].ip, &b);
			nb_ovblock_key(nets[i].name, &b, key, sizeof(key));
			r = reclaim(e, key, cfg->host_id, cfg->host_id, lease);
			/* a block taken by another host: our endpoint keeps its address if free */
			if (r < 0) {
				err = r;
				break;
			}
			nb_store_sandbox_find(st, eps[j].sandbox_id, &sb);
			snprintf(o.id, sizeof(o.id), "%s", eps[j].id);
			o.ip = eps[j].ip;
			memcpy(o.mac, eps[j].mac, 6);
			snprintf(o.host, sizeof(o.host), "%s", cfg->host_id);
			snprintf(o.underlay, sizeof(o.underlay), "%s", cfg->advertise);
			snprintf(o.name, sizeof(o.name), "%s", sb.name);
			snprintf(o.sandbox, sizeof(o.sandbox), "%s", eps[j].sandbox_id);
			val = nb_ovep_json(&o);
			nb_ovep_key(nets[i].name, eps[j].ip, key, sizeof(key));
			r = val ? reclaim(e, key, val, cfg->host_id, lease) : -ENOMEM;
			free(val);
			if (r < 0) {
				err = r;
			} else if (r) {
				(*conflicts)++;
				nb_logf(NB_LOG_WARN,
					"cluster: network \"%s\": address %s of sandbox \"%s\" was "
					"taken by another host while this one was away: conflict",
					nets[i].name, nb_fmt_ipv4(eps[j].ip, a), sb.name);
			}
			/* still ours and still here: not stale */
			for (k = 0; k < nheld; k++)
				if (!strcmp(held[k].net, nets[i].name) && held[k].ip == eps[j].ip)
					held[k].host[0] = '\0';
		}
		free(eps);
		if (err)
			goto out;
	}
	/* this host's endpoint keys that the local state no longer has (a crash between) */
	for (k = 0; k < nheld; k++) {
		if (strcmp(held[k].host, cfg->host_id))
			continue;
		nb_ovep_key(held[k].net, held[k].ip, key, sizeof(key));
		nb_logf(NB_LOG_INFO, "cluster: %s: no such endpoint here any more, removed", key);
		if ((err = nb_etcd_delete(e, key, false, NULL)))
			goto out;
	}
out:
	free(held);
	nb_network_recs_free(nets, nnets);
	return err;
}
