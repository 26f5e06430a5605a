// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Cluster membership and the agent over etcd (cluster.h, docs/overlay.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cluster.h"
#include "dataplane.h"
#include "log.h"
#include "ovagent.h"
#include "ovnet.h"
#include "owner.h"
#include "resolve.h"
#include "store.h"

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "unknown"
#endif

#define SETTING_STORE	     "store"
#define SETTING_STORE_ADV    "store_advertise"
#define SETTING_STORE_TTL    "store_ttl"
#define SETTING_STORE_CACERT "store_cacert"
#define SETTING_STORE_CERT   "store_cert"
#define SETTING_STORE_KEY    "store_key"
#define SETTING_STORE_USER   "store_user"

/* ---- settings ----------------------------------------------------------------- */

void nb_cluster_cfg_free(struct nb_cluster_cfg *c)
{
	free(c->store);
	free(c->advertise);
	free(c->cacert);
	free(c->cert);
	free(c->key);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

int nb_cluster_cfg_get(struct nb_store *st, struct nb_cluster_cfg *c)
{
	char *ttl = NULL, *id = NULL;
	int err;

	memset(c, 0, sizeof(*c));
	err = nb_store_setting_get(st, SETTING_STORE, &c->store);
	if (!err && (!c->store || !*c->store))
		err = -ENOENT;
	if (err)
		goto fail;
	/* the optional ones: absent is fine */
	nb_store_setting_get(st, SETTING_STORE_ADV, &c->advertise);
	nb_store_setting_get(st, SETTING_STORE_CACERT, &c->cacert);
	nb_store_setting_get(st, SETTING_STORE_CERT, &c->cert);
	nb_store_setting_get(st, SETTING_STORE_KEY, &c->key);
	nb_store_setting_get(st, SETTING_STORE_USER, &c->user);
	if (!nb_store_setting_get(st, SETTING_STORE_TTL, &ttl) && ttl)
		c->ttl = strtoll(ttl, NULL, 10);
	if (!nb_store_setting_get(st, SETTING_INSTANCE_ID, &id) && id)
		snprintf(c->host_id, sizeof(c->host_id), "%s", id);
	free(ttl);
	free(id);
	return 0;
fail:
	nb_cluster_cfg_free(c);
	return err;
}

int nb_cluster_cfg_check(const struct nb_cluster_cfg *c)
{
	unsigned char a[16];
	int err;

	if (!c->store || !*c->store)
		return nb_error(-EINVAL, "store: no endpoints (etcd://IP:2379[,IP:2379...])");
	if ((err = nb_etcd_endpoints_check(c->store)))
		return err;
	if (!c->advertise || !*c->advertise)
		return nb_error(-EINVAL,
				"store %s: --advertise ADDRESS (this host's underlay "
				"address) is needed",
				c->store);
	if (inet_pton(AF_INET, c->advertise, a) != 1 && inet_pton(AF_INET6, c->advertise, a) != 1)
		return nb_error(-EINVAL, "--advertise \"%s\": not an IPv4 or IPv6 address",
				c->advertise);
	if (c->ttl && (c->ttl < NB_CLUSTER_TTL_MIN || c->ttl > NB_CLUSTER_TTL_MAX))
		return nb_error(-EINVAL, "--store-ttl %" PRId64 ": not in %d-%d seconds", c->ttl,
				NB_CLUSTER_TTL_MIN, NB_CLUSTER_TTL_MAX);
	if (c->user && !strchr(c->user, ':'))
		return nb_error(-EINVAL, "--store-user \"%s\": not NAME:PASSWORD", c->user);
	return 0;
}

static int setting_put(struct nb_store *st, const char *key, const char *v)
{
	int err;

	if (v && *v)
		return nb_store_setting_set(st, key, v);
	err = nb_store_setting_del(st, key);
	return err == -ENOENT ? 0 : err;
}

int nb_cluster_cfg_put(struct nb_store *st, const struct nb_cluster_cfg *c)
{
	char ttl[24] = "";
	int err;

	if ((err = nb_cluster_cfg_check(c)))
		return err;
	if (c->ttl)
		snprintf(ttl, sizeof(ttl), "%" PRId64, c->ttl);
	err = setting_put(st, SETTING_STORE, c->store);
	if (!err)
		err = setting_put(st, SETTING_STORE_ADV, c->advertise);
	if (!err)
		err = setting_put(st, SETTING_STORE_TTL, ttl);
	if (!err)
		err = setting_put(st, SETTING_STORE_CACERT, c->cacert);
	if (!err)
		err = setting_put(st, SETTING_STORE_CERT, c->cert);
	if (!err)
		err = setting_put(st, SETTING_STORE_KEY, c->key);
	if (!err)
		err = setting_put(st, SETTING_STORE_USER, c->user);
	if (err)
		nb_errorf("state: cannot store the store's settings: %s", strerror(-err));
	return err;
}

int nb_cluster_cfg_load(const struct nb_instance *inst, struct nb_cluster_cfg *c)
{
	struct nb_store *st;
	int err;

	memset(c, 0, sizeof(*c));
	err = nb_open_state(inst, false, &st);
	if (err)
		return err;
	err = nb_cluster_cfg_get(st, c);
	nb_store_close(st);
	return err;
}

int nb_cluster_connect(const struct nb_cluster_cfg *c, long timeout_ms, struct nb_etcd **e)
{
	struct nb_etcd_opts o = {
	    .endpoints = c->store,
	    .cacert = c->cacert,
	    .cert = c->cert,
	    .key = c->key,
	    .user = c->user,
	    .timeout_ms = timeout_ms,
	};

	return nb_etcd_open(&o, e);
}

int nb_cluster_check(const struct nb_cluster_cfg *c)
{
	struct nb_etcd_kvs kvs;
	struct nb_etcd *e;
	int err;

	err = nb_cluster_connect(c, 0, &e);
	if (err)
		return err;
	err = nb_etcd_range(e, NB_CLUSTER_HOSTS, true, 0, &kvs);
	if (!err)
		nb_etcd_kvs_free(&kvs);
	nb_etcd_close(e);
	return err;
}

/* ---- host records ----------------------------------------------------------- */

char *nb_cluster_host_json(const struct nb_cluster_host *h)
{
	json_t *o =
	    json_pack("{s:s,s:s,s:s,s:I,s:s}", "id", h->id, "advertise", h->advertise, "hostname",
		      h->hostname, "started", (json_int_t)h->started, "version", h->version);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(o);
	return s;
}

static void copy_str(char *dst, size_t size, const json_t *o, const char *field)
{
	const char *s = json_string_value(json_object_get(o, field));

	snprintf(dst, size, "%s", s ? s : "");
}

int nb_cluster_host_parse(const char *key, const char *value, size_t len, struct nb_cluster_host *h)
{
	const char *id = key + strlen(NB_CLUSTER_HOSTS);
	json_error_t jerr;
	json_t *o;

	memset(h, 0, sizeof(*h));
	h->ttl = h->granted_ttl = -1;
	if (strncmp(key, NB_CLUSTER_HOSTS, strlen(NB_CLUSTER_HOSTS)) || !*id ||
	    strlen(id) >= sizeof(h->id) || strchr(id, '/'))
		return -EINVAL;
	snprintf(h->id, sizeof(h->id), "%s", id);
	o = json_loadb(value, len, 0, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return -EINVAL;
	}
	copy_str(h->advertise, sizeof(h->advertise), o, "advertise");
	copy_str(h->hostname, sizeof(h->hostname), o, "hostname");
	copy_str(h->version, sizeof(h->version), o, "version");
	h->started = json_integer_value(json_object_get(o, "started"));
	json_decref(o);
	return h->advertise[0] ? 0 : -EINVAL;
}

static int host_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nb_cluster_host *)a)->id,
		      ((const struct nb_cluster_host *)b)->id);
}

int nb_cluster_hosts(struct nb_etcd *e, bool ttl, struct nb_cluster_host **hosts, size_t *n)
{
	struct nb_cluster_host *h;
	struct nb_etcd_kvs kvs;
	size_t i;
	int err;

	*hosts = NULL;
	*n = 0;
	err = nb_etcd_range(e, NB_CLUSTER_HOSTS, true, 0, &kvs);
	if (err)
		return err;
	h = calloc(kvs.n + 1, sizeof(*h));
	if (!h) {
		nb_etcd_kvs_free(&kvs);
		return nb_error(-ENOMEM, "hosts: out of memory");
	}
	for (i = 0; i < kvs.n; i++) {
		struct nb_cluster_host *x = &h[*n];

		if (nb_cluster_host_parse(kvs.kv[i].key, kvs.kv[i].value, kvs.kv[i].value_len, x)) {
			nb_logf(NB_LOG_WARN, "etcd %s: key %s: not a host record, skipped",
				nb_etcd_endpoints(e), kvs.kv[i].key);
			continue;
		}
		x->lease = kvs.kv[i].lease;
		x->mod_revision = kvs.kv[i].mod_revision;
		/* a lease gone between the range and this call: the host is leaving */
		if (ttl && x->lease && nb_etcd_lease_ttl(e, x->lease, &x->ttl, &x->granted_ttl))
			x->ttl = x->granted_ttl = 0;
		(*n)++;
	}
	nb_etcd_kvs_free(&kvs);
	qsort(h, *n, sizeof(*h), host_cmp);
	*hosts = h;
	return 0;
}

/* ---- agent --------------------------------------------------------------------- */

struct agent {
	const struct nb_instance *inst;
	struct nb_ovagent *ov; /* overlay networks and remote endpoints */
	const struct nb_cluster_cfg *cfg;
	const volatile int *stop;
	const struct nb_agent_ops *ops;
	struct nb_cluster_host self;
	/* the hosts this agent knows, by id */
	struct nb_cluster_host *hosts;
	size_t nhosts;
};

static bool stopped(const volatile int *stop)
{
	return stop && *stop;
}

/* Sleeps ms, waking early on stop */
static void nap(const volatile int *stop, long ms)
{
	struct timespec ts = {0, 100 * 1000000L};

	for (; ms > 0 && !stopped(stop); ms -= 100)
		nanosleep(&ts, NULL);
}

static int restore(struct agent *a, struct nb_etcd *e, int64_t lease)
{
	struct nb_store *st;
	int err, conflicts = 0;

	err = nb_open_state(a->inst, false, &st);
	if (err)
		return err;
	err = nb_ovnet_restore(e, st, a->cfg, lease, &conflicts);
	nb_store_close(st);
	if (!err && conflicts)
		nb_logf(NB_LOG_WARN,
			"cluster: %d endpoint%s of this host conflict with the cluster", conflicts,
			conflicts > 1 ? "s" : "");
	return err;
}

static void *keepalive_main(void *arg)
{
	struct agent *a = arg;
	int64_t ttl = a->cfg->ttl ? a->cfg->ttl : NB_CLUSTER_TTL_DEFAULT, lease = 0, left;
	char key[sizeof(NB_CLUSTER_HOSTS) + 40], *rec;
	bool down = false, registered = false;
	struct nb_etcd *e;
	int err;

	snprintf(key, sizeof(key), NB_CLUSTER_HOSTS "%s", a->self.id);
	rec = nb_cluster_host_json(&a->self);
	/* a renewal stuck on one member longer than TTL/3 would let the lease run out: next one */
	if (!rec || nb_cluster_connect(a->cfg, ttl > 3 ? ttl * 1000 / 3 : 1000, &e)) {
		nb_logf(NB_LOG_WARN, "cluster: cannot start the keepalive: %s",
			rec ? nb_error_text() : "out of memory");
		free(rec);
		return NULL;
	}
	while (!stopped(a->stop)) {
		nb_error_clear();
		if (!lease)
			err = nb_etcd_lease_grant(e, ttl, &lease);
		else if (registered)
			err = nb_etcd_lease_keepalive(e, lease, &left);
		else
			err = 0;
		if (!err && !registered) {
			/* our own key: a record left by an earlier run is overwritten */
			err = nb_etcd_put(e, key, rec, lease, NULL);
			if (!err)
				nb_logf(NB_LOG_INFO,
					"cluster: host %s registered as %s (lease %" PRIx64
					", TTL %" PRId64 " s)",
					a->self.id, key, lease, ttl);
			/* this host's blocks and endpoints, from its state, under the new lease */
			if (!err)
				err = restore(a, e, lease);
			registered = !err;
		}
		if (err == -ENOENT) {
			/* expired while the store was out of reach: register again */
			nb_logf(NB_LOG_WARN, "cluster: %s; registering again", nb_error_msg());
			lease = 0;
			registered = false;
			continue;
		}
		if (err) {
			if (!down)
				nb_logf(NB_LOG_WARN, "cluster: %s", nb_error_msg());
			down = true;
			nap(a->stop, 1000);
			continue;
		}
		if (down)
			nb_logf(NB_LOG_INFO, "cluster: the store answers again");
		down = false;
		/* the remote endpoints back into maps that `down` and `up` made anew */
		if (a->ov)
			nb_ovagent_check(a->ov);
		nap(a->stop, ttl * 1000 / 3);
	}
	/* a clean stop leaves the cluster at once */
	if (lease) {
		nb_error_clear();
		if (nb_etcd_lease_revoke(e, lease))
			nb_logf(NB_LOG_WARN, "cluster: cannot revoke lease %" PRIx64 ": %s", lease,
				nb_error_msg());
		else
			nb_logf(NB_LOG_INFO, "cluster: host %s left (lease %" PRIx64 " revoked)",
				a->self.id, lease);
	}
	nb_etcd_close(e);
	free(rec);
	return NULL;
}

static struct nb_cluster_host *known(struct agent *a, const char *id)
{
	size_t i;

	for (i = 0; i < a->nhosts; i++)
		if (!strcmp(a->hosts[i].id, id))
			return &a->hosts[i];
	return NULL;
}

static void host_set(struct agent *a, const struct nb_cluster_host *h)
{
	struct nb_cluster_host *k = known(a, h->id), *n;
	bool self = !strcmp(h->id, a->self.id);

	if (k) {
		bool moved = strcmp(k->advertise, h->advertise);

		*k = *h;
		if (!moved)
			return;
	} else {
		n = realloc(a->hosts, (a->nhosts + 1) * sizeof(*n));
		if (!n) {
			nb_logf(NB_LOG_WARN, "cluster: host %s: out of memory", h->id);
			return;
		}
		a->hosts = n;
		a->hosts[a->nhosts++] = *h;
	}
	nb_logf(NB_LOG_INFO, "cluster: host %s (%s, %s) is up%s", h->id, h->advertise, h->hostname,
		self ? " (this host)" : "");
	if (a->ops && a->ops->host_up)
		a->ops->host_up(h, self, a->ops->arg);
}

static void host_gone(struct agent *a, const char *id)
{
	struct nb_cluster_host *k = known(a, id);

	if (!k)
		return;
	nb_logf(NB_LOG_INFO, "cluster: host %s (%s) is gone", id, k->advertise);
	*k = a->hosts[--a->nhosts];
	if (a->ops && a->ops->host_down)
		a->ops->host_down(id, a->ops->arg);
}

static void key_event(struct agent *a, bool put, const struct nb_etcd_kv *kv)
{
	struct nb_cluster_host h;

	if (strncmp(kv->key, NB_CLUSTER_HOSTS, strlen(NB_CLUSTER_HOSTS))) {
		if (a->ov)
			nb_ovagent_event(a->ov, put, kv);
		return;
	}
	if (!put) {
		host_gone(a, kv->key + strlen(NB_CLUSTER_HOSTS));
		return;
	}
	if (nb_cluster_host_parse(kv->key, kv->value, kv->value_len, &h)) {
		nb_logf(NB_LOG_WARN, "cluster: key %s: not a host record, ignored", kv->key);
		return;
	}
	h.lease = kv->lease;
	h.mod_revision = kv->mod_revision;
	host_set(a, &h);
}

static int on_watch(const struct nb_etcd_event *ev, size_t n, int64_t rev, void *arg)
{
	struct agent *a = arg;
	size_t i;

	(void)rev;
	for (i = 0; i < n; i++)
		key_event(a, ev[i].type == NB_ETCD_EV_PUT, &ev[i].kv);
	if (a->ov)
		nb_ovagent_flush(a->ov);
	return 0;
}

/* Lists the prefix: the known hosts become what it holds; *rev: its revision */
static int relist(struct agent *a, struct nb_etcd *e, int64_t *rev)
{
	struct nb_etcd_kvs kvs;
	size_t i, j;
	int err;

	err = nb_etcd_range(e, NB_CLUSTER_PREFIX, true, 0, &kvs);
	if (err)
		return err;
	/* hosts gone while we did not watch */
	for (i = a->nhosts; i-- > 0;) {
		bool there = false;
		char key[sizeof(NB_CLUSTER_HOSTS) + 40];

		snprintf(key, sizeof(key), NB_CLUSTER_HOSTS "%s", a->hosts[i].id);
		for (j = 0; j < kvs.n && !there; j++)
			there = !strcmp(kvs.kv[j].key, key);
		if (!there)
			host_gone(a, a->hosts[i].id);
	}
	for (j = 0; j < kvs.n; j++)
		key_event(a, true, &kvs.kv[j]);
	if (a->ov) {
		nb_ovagent_relisted(a->ov, &kvs);
		nb_ovagent_flush(a->ov);
	}
	*rev = kvs.revision;
	nb_etcd_kvs_free(&kvs);
	return 0;
}

int nb_agent_run(const struct nb_instance *inst, const volatile int *stop,
		 const struct nb_agent_ops *ops)
{
	struct nb_cluster_cfg cfg;
	struct agent a = {.inst = inst, .cfg = &cfg, .stop = stop, .ops = ops};
	pthread_t ka;
	bool ka_started = false, down = false;
	struct nb_etcd *e = NULL;
	int64_t rev, compact;
	int err;

	err = nb_cluster_cfg_load(inst, &cfg);
	if (err == -ENOENT)
		return nb_error(-ENOENT,
				"cluster: the instance has no store (netbpfctl up --store)");
	if (err)
		return err;
	if (!cfg.host_id[0] || !cfg.advertise) {
		err = nb_error(-EINVAL,
			       "cluster: store %s: no host id or advertise address in the "
			       "state (run netbpfctl up --store ... --advertise ...)",
			       cfg.store);
		goto out;
	}
	if ((err = nb_cluster_connect(&cfg, 0, &e)))
		goto out;
	if ((err = nb_ovagent_new(inst, &cfg, &a.ov)))
		goto out;
	snprintf(a.self.id, sizeof(a.self.id), "%s", cfg.host_id);
	snprintf(a.self.advertise, sizeof(a.self.advertise), "%s", cfg.advertise);
	if (gethostname(a.self.hostname, sizeof(a.self.hostname) - 1))
		snprintf(a.self.hostname, sizeof(a.self.hostname), "?");
	snprintf(a.self.version, sizeof(a.self.version), "%s", NETBPF_VERSION);
	a.self.started = time(NULL);
	err = pthread_create(&ka, NULL, keepalive_main, &a);
	if (err) {
		err =
		    nb_error(-err, "cluster: cannot start the keepalive thread: %s", strerror(err));
		goto out;
	}
	ka_started = true;
	nb_logf(NB_LOG_INFO, "cluster: following %s at %s", NB_CLUSTER_PREFIX, cfg.store);
	while (!stopped(stop)) {
		nb_error_clear();
		/* after a compaction or an outage, the list is the truth */
		err = relist(&a, e, &rev);
		if (!err) {
			if (down)
				nb_logf(NB_LOG_INFO, "cluster: re-listed at revision %" PRId64,
					rev);
			down = false;
			err = nb_etcd_watch(e, NB_CLUSTER_PREFIX, true, rev + 1, on_watch, &a, stop,
					    &compact);
		}
		if (stopped(stop))
			break;
		if (err == -ESTALE) {
			nb_logf(NB_LOG_INFO, "cluster: %s; re-listing", nb_error_msg());
			down = true;
			continue;
		}
		if (!down)
			nb_logf(NB_LOG_WARN, "cluster: %s; retrying", nb_error_msg());
		down = true;
		nap(stop, 1000);
	}
	err = 0;
out:
	if (ka_started)
		pthread_join(ka, NULL);
	nb_etcd_close(e);
	nb_ovagent_free(a.ov);
	free(a.hosts);
	nb_cluster_cfg_free(&cfg);
	return err;
}

/* ---- up --store ------------------------------------------------------------ */

static int take(char **dst, const char *given, char *stored)
{
	if (given) {
		free(stored);
		*dst = *given ? strdup(given) : NULL;
		return *given && !*dst ? -ENOMEM : 0;
	}
	*dst = stored;
	return 0;
}

int nb_cluster_up(struct nb_store *st, const struct nb_cluster_cfg *given,
		  struct nb_cluster_cfg *out)
{
	struct nb_cluster_cfg old;
	int err;

	memset(out, 0, sizeof(*out));
	if (nb_cluster_cfg_get(st, &old))
		memset(&old, 0, sizeof(old));
	err = take(&out->store, given->store, old.store);
	if (!err)
		err = take(&out->advertise, given->advertise, old.advertise);
	if (!err)
		err = take(&out->cacert, given->cacert, old.cacert);
	if (!err)
		err = take(&out->cert, given->cert, old.cert);
	if (!err)
		err = take(&out->key, given->key, old.key);
	if (!err)
		err = take(&out->user, given->user, old.user);
	out->ttl = given->ttl ? given->ttl : old.ttl;
	snprintf(out->host_id, sizeof(out->host_id), "%s", old.host_id);
	if (err) {
		nb_cluster_cfg_free(out);
		return nb_error(-ENOMEM, "up: out of memory");
	}
	err = nb_cluster_cfg_check(out);
	/* a store given now must answer before anything changes */
	if (!err)
		err = nb_cluster_check(out);
	if (err) {
		nb_errorf("up: store %s: not joined; nothing changed", out->store);
		nb_cluster_cfg_free(out);
	}
	return err;
}
