// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Collecting the numbers of `stats`/`metrics` from the store and the pinned
 * maps, and rendering them (metrics.h). Only nb_metrics_collect() and its
 * helpers touch the system; the renderers below it are pure.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "events.h"
#include "fmt.h"
#include "log.h"
#include "mapio.h"
#include "maps.h"
#include "metrics.h"
#include "nat.h"
#include "nl.h"
#include "resolve.h"
#include "store.h"

/* ---- collection: the store --------------------------------------------- */

static int sb_load(struct nb_store *st, const struct nb_sandbox_rec *rec,
		   const struct nb_network_rec *nets, size_t nnets, struct nb_stats_sb *out)
{
	struct nb_endpoint_rec *eps = NULL;
	size_t i, neps = 0;
	int err;

	snprintf(out->id, sizeof(out->id), "%s", rec->id);
	snprintf(out->name, sizeof(out->name), "%s", rec->name);
	err = nb_store_endpoint_list(st, NULL, rec->id, &eps, &neps);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read its endpoints: %s", rec->name,
			  strerror(-err));
		return err;
	}
	out->ifs = calloc(neps ? neps : 1, sizeof(*out->ifs));
	if (!out->ifs) {
		free(eps);
		return -ENOMEM;
	}
	for (i = 0; i < neps; i++) {
		const struct nb_network_rec *net =
		    nb_network_recs_by_id(nets, nnets, eps[i].network_id);
		struct nb_stats_if *f = &out->ifs[out->nifs++];

		/* a network the state lost would be named by its short id */
		snprintf(f->network, sizeof(f->network), "%.*s", NB_NAME_MAX,
			 net ? net->name : eps[i].network_id);
		/* host and none networks give the sandbox no interface of netbpf's */
		if (net && !nb_net_is_bridged(net))
			continue;
		snprintf(f->ifname, sizeof(f->ifname), "%s", eps[i].ifname);
		snprintf(f->host_ifname, sizeof(f->host_ifname), "%s", eps[i].host_ifname);
	}
	free(eps);
	return 0;
}

static int cmp_sb_name(const void *a, const void *b)
{
	return nb_natural_cmp(((const struct nb_stats_sb *)a)->name,
			      ((const struct nb_stats_sb *)b)->name);
}

static int load_sandboxes(const struct nb_instance *inst, char *const *names, size_t nnames,
			  struct nb_metrics *out)
{
	struct nb_network_rec *nets = NULL;
	struct nb_sandbox_rec *recs = NULL;
	size_t i, nnets = 0, nrecs = 0;
	struct nb_store *st = NULL;
	int err;

	err = nb_open_state(inst, false, &st);
	if (err)
		return err;
	err = nb_store_network_list(st, &nets, &nnets);
	if (err) {
		nb_errorf("networks: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	if (nnames) {
		recs = calloc(nnames, sizeof(*recs));
		if (!recs) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (i = 0; i < nnames; i++) {
			err = nb_find_sandbox(st, names[i], &recs[i]);
			if (err)
				goto cleanup;
		}
		nrecs = nnames;
	} else {
		err = nb_store_sandbox_list(st, &recs, &nrecs);
		if (err) {
			nb_errorf("sandboxes: cannot read the state: %s", strerror(-err));
			goto cleanup;
		}
	}
	out->sbs = calloc(nrecs ? nrecs : 1, sizeof(*out->sbs));
	if (!out->sbs) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < nrecs; i++) {
		err = sb_load(st, &recs[i], nets, nnets, &out->sbs[out->nsbs]);
		out->nsbs++;
		if (err)
			goto cleanup;
	}
	/* Docker lists in name order, but keeps the order names were given in */
	if (!nnames)
		qsort(out->sbs, out->nsbs, sizeof(*out->sbs), cmp_sb_name);
cleanup:
	free(recs);
	nb_network_recs_free(nets, nnets);
	nb_store_close(st);
	return err;
}

/* ---- collection: the maps ---------------------------------------------- */

static struct nb_stats_if *if_by_ifindex(struct nb_metrics *m, __u32 ifindex)
{
	size_t i, j;

	for (i = 0; i < m->nsbs; i++)
		for (j = 0; j < m->sbs[i].nifs; j++)
			if (m->sbs[i].ifs[j].ifindex == ifindex)
				return &m->sbs[i].ifs[j];
	return NULL;
}

/* nb_ep_drops walked once: its entries are few (only drops that happened) */
static int ep_drops_read(const struct nb_maps *maps, struct nb_metrics *m)
{
	struct nb_ep_drop_key *keys = NULL, *key;
	struct nb_counter c;
	struct nb_stats_if *f;
	size_t n = 0, i;
	int err;

	if (maps->ep_drops < 0)
		return 0; /* an instance loaded before the map existed: no breakdown */
	err = nb_map_keys(maps->ep_drops, sizeof(*keys), (void **)&keys, &n);
	for (i = 0; !err && i < n; i++) {
		key = &keys[i];
		if (key->reason < NB_DROP_BASE || key->reason >= __NB_DROP_MAX)
			continue;
		f = if_by_ifindex(m, key->ifindex);
		if (!f)
			continue;
		err = nb_maps_percpu_counter_sum(maps->ep_drops, key, &c);
		if (err == -ENOENT) { /* evicted meanwhile */
			err = 0;
			continue;
		}
		if (!err)
			f->drops[key->reason - NB_DROP_BASE] += c.packets;
	}
	free(keys);
	return err;
}

static int ep_counters_read(const struct nb_maps *maps, struct nb_metrics *m)
{
	size_t i, j;
	int err = 0;

	for (i = 0; i < m->nsbs; i++) {
		for (j = 0; j < m->sbs[i].nifs; j++) {
			struct nb_stats_if *f = &m->sbs[i].ifs[j];
			int ifindex;

			if (!f->host_ifname[0])
				continue;
			/* a device gone (its netns vanished, gc pending) counts nothing;
			 * by ioctl, in the caller's netns: an RTM_GETLINK each cost the
			 * kernel a walk of every netns id (the veth's peer is elsewhere) */
			ifindex = nb_link_ifindex_here(f->host_ifname);
			if (ifindex <= 0)
				continue;
			f->ifindex = ifindex;
			err = nb_maps_ep_stats_sum(maps, f->ifindex, &f->c);
			if (err == -ENOENT) {
				err = 0;
				continue;
			}
			if (err) {
				nb_errorf(
				    "endpoint %s of sandbox \"%s\": cannot read its counters: %s",
				    f->host_ifname, m->sbs[i].name, strerror(-err));
				goto cleanup;
			}
		}
	}
	err = ep_drops_read(maps, m);
	if (err)
		nb_errorf("map %s: cannot read it: %s", NB_MAP_NAME(NB_MAP_EP_DROPS),
			  strerror(-err));
cleanup:
	return err;
}

/* ---- collection: instance-wide numbers ---------------------------------- */

/* 1 when fd (from bpf_obj_get) is a map, judged from fdinfo */
static int fd_is_map(int fd)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "map_type:", 9))
			found = 1;
	fclose(f);
	return found;
}

/* the walk restarts when a key vanishes under it: bounded all the same */
static __u64 map_count_keys(int fd, const struct bpf_map_info *info)
{
	return nb_map_count(fd, info->key_size, (__u64)info->max_entries * 2 + 16);
}

static int cmp_fill(const void *a, const void *b)
{
	return strcmp(((const struct nb_map_fill *)a)->name, ((const struct nb_map_fill *)b)->name);
}

static int maps_fill_read(const struct nb_instance *inst, struct nb_metrics *m)
{
	struct nb_map_fill *v = NULL, *tmp;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(inst->pin_dir);
	if (!d) {
		err = -errno;
		nb_errorf("pin dir %s: cannot list it: %s", inst->pin_dir, strerror(-err));
		return err;
	}
	while ((de = readdir(d))) {
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info);
		const char *type;
		int fd;

		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		fd = nb_dp_pin_open(inst, de->d_name);
		if (fd < 0)
			continue;
		if (!fd_is_map(fd) || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			tmp = realloc(v, cap * sizeof(*v));
			if (!tmp) {
				close(fd);
				err = -ENOMEM;
				goto cleanup;
			}
			v = tmp;
		}
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].name, sizeof(v[n].name), "%.*s", (int)sizeof(v[n].name) - 1,
			 de->d_name);
		type = libbpf_bpf_map_type_str(info.type);
		snprintf(v[n].type, sizeof(v[n].type), "%s", type ? type : "unknown");
		v[n].max_entries = info.max_entries;
		switch (info.type) {
		case BPF_MAP_TYPE_ARRAY:
		case BPF_MAP_TYPE_PERCPU_ARRAY:
			/* arrays are allocated whole: every slot exists */
			v[n].entries = info.max_entries;
			break;
		case BPF_MAP_TYPE_RINGBUF:
			/* bytes, not entries: its fill is the monitor's business */
			close(fd);
			continue;
		default:
			v[n].entries = map_count_keys(fd, &info);
		}
		close(fd);
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_fill);
	m->maps = v;
	m->nmaps = n;
	v = NULL;
cleanup:
	free(v);
	closedir(d);
	return err;
}

struct ct_walk {
	struct nb_metrics *m;
	struct nb_nat_use *used; /* one per (address, proto, port): reduced afterwards */
	__u16 *used_ports;
	size_t nused, cap;
	int err;
};

static int ct_walk_cb(const struct nb_nat_flow *f, void *arg)
{
	struct ct_walk *w = arg;
	size_t i;

	if (f->type < NB_CT_TYPES)
		w->m->ct_flows[f->type]++;
	/*
	 * a published port's live flows: the original destination is the published
	 * address (IPv6 flows count above, by type; the ports here are IPv4's)
	 */
	if (f->orig.v6)
		return 0;
	if (f->type == NB_CT_DNAT || f->type == NB_CT_HAIRPIN) {
		for (i = 0; i < w->m->nports; i++) {
			struct nb_port_stat *p = &w->m->ports[i];

			if (p->proto == f->proto && p->host_port == f->orig.dport &&
			    (!p->host_ip || p->host_ip == f->orig.daddr)) {
				p->flows++;
				p->bytes += f->bytes + f->reply_bytes;
				break;
			}
		}
	}
	/* a source port taken from an address's pool (masquerade, hairpin's SNAT) */
	if (f->type == NB_CT_SNAT || f->type == NB_CT_HAIRPIN) {
		if (w->nused == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 256;
			struct nb_nat_use *u = realloc(w->used, cap * sizeof(*u));
			__u16 *p;

			if (!u)
				return -ENOMEM;
			w->used = u;
			p = realloc(w->used_ports, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			w->used_ports = p;
			w->cap = cap;
		}
		w->used[w->nused] = (struct nb_nat_use){.addr = f->nat.saddr, .proto = f->proto};
		w->used_ports[w->nused] = f->nat.sport;
		w->nused++;
	}
	return 0;
}

struct use_key {
	__be32 addr;
	__u8 proto;
	__u16 port;
};

static int cmp_use_key(const void *a, const void *b)
{
	const struct use_key *x = a, *y = b;

	if (x->addr != y->addr)
		return ntohl(x->addr) < ntohl(y->addr) ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/* distinct ports per (address, proto) */
static int nat_use_reduce(struct ct_walk *w)
{
	struct use_key *k;
	size_t i;

	if (!w->nused)
		return 0;
	k = calloc(w->nused, sizeof(*k));
	w->m->nat = calloc(w->nused, sizeof(*w->m->nat));
	if (!k || !w->m->nat) {
		free(k);
		return -ENOMEM;
	}
	for (i = 0; i < w->nused; i++)
		k[i] = (struct use_key){w->used[i].addr, w->used[i].proto, w->used_ports[i]};
	qsort(k, w->nused, sizeof(*k), cmp_use_key);
	for (i = 0; i < w->nused; i++) {
		struct nb_nat_use *last = w->m->nnat ? &w->m->nat[w->m->nnat - 1] : NULL;

		if (i && !cmp_use_key(&k[i - 1], &k[i]))
			continue;
		if (!last || last->addr != k[i].addr || last->proto != k[i].proto) {
			last = &w->m->nat[w->m->nnat++];
			*last = (struct nb_nat_use){.addr = k[i].addr, .proto = k[i].proto};
		}
		last->ports++;
	}
	free(k);
	return 0;
}

struct port_walk {
	struct nb_metrics *m;
	size_t cap;
};

static int port_walk_cb(const struct nb_nat_publish *p, void *arg)
{
	struct port_walk *w = arg;
	struct nb_port_stat *s;
	size_t i, j;

	if (w->m->nports == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct nb_port_stat *v = realloc(w->m->ports, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->m->ports = v;
		w->cap = cap;
	}
	s = &w->m->ports[w->m->nports++];
	memset(s, 0, sizeof(*s));
	s->proto = p->proto;
	s->host_ip = p->host_ip;
	s->host_port = p->host_port;
	s->sb_port = p->sb_port;
	s->conns = p->conns;
	for (i = 0; i < w->m->nsbs; i++)
		for (j = 0; j < w->m->sbs[i].nifs; j++)
			if (w->m->sbs[i].ifs[j].ifindex == p->ifindex) {
				snprintf(s->sandbox, sizeof(s->sandbox), "%s", w->m->sbs[i].name);
				snprintf(s->network, sizeof(s->network), "%s",
					 w->m->sbs[i].ifs[j].network);
			}
	return 0;
}

static int cmp_port(const void *a, const void *b)
{
	const struct nb_port_stat *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->host_port != y->host_port)
		return x->host_port < y->host_port ? -1 : 1;
	return ntohl(x->host_ip) < ntohl(y->host_ip) ? -1 : ntohl(x->host_ip) > ntohl(y->host_ip);
}

static int uplinks_read(const struct nb_maps *maps, struct nb_metrics *m)
{
	__u32 *keys = NULL;
	struct nb_uplink u;
	size_t cap = 0, n = 0, i;
	int err = 0;

	if (maps->uplinks < 0)
		return 0;
	err = nb_map_keys(maps->uplinks, sizeof(*keys), (void **)&keys, &n);
	for (i = 0; !err && i < n; i++) {
		struct nb_uplink_stat *s;

		if (nb_map_get(maps->uplinks, &keys[i], &u))
			continue;
		if (m->nuplinks == cap) {
			struct nb_uplink_stat *v;

			cap = cap ? cap * 2 : 8;
			v = realloc(m->uplinks, cap * sizeof(*v));
			if (!v) {
				err = -ENOMEM;
				break;
			}
			m->uplinks = v;
		}
		s = &m->uplinks[m->nuplinks++];
		memset(s, 0, sizeof(*s));
		s->ifindex = keys[i];
		s->addr = u.ip;
		/* nb_uplink's zeros mean the default range (abi.h) */
		s->port_min = u.port_min ? u.port_min : 1024;
		s->port_max = u.port_max ? u.port_max : 65535;
	}
	free(keys);
	return err;
}

static int instance_read(const struct nb_instance *inst, const struct nb_maps *maps,
			 struct nb_metrics *m)
{
	struct port_walk pw = {.m = m};
	struct ct_walk cw = {.m = m};
	struct nb_nl *nl = NULL;
	struct nb_monitor mon;
	__u32 r, zero = 0;
	size_t i;
	int err, fd;

	for (r = NB_DROP_BASE; r < __NB_DROP_MAX; r++) {
		err = nb_maps_drops_sum(maps, r, &m->drops[r - NB_DROP_BASE]);
		if (err) {
			nb_errorf("map %s: cannot read reason %s: %s", NB_MAP_NAME(NB_MAP_DROPS),
				  nb_drop_reason_name(r), strerror(-err));
			return err;
		}
	}
	if (maps->publish >= 0) {
		err = nb_nat_publish_foreach(maps, port_walk_cb, &pw);
		if (err) {
			nb_errorf("map %s: cannot read it: %s", NB_MAP_NAME(NB_MAP_PUBLISH),
				  strerror(-err));
			return err;
		}
		qsort(m->ports, m->nports, sizeof(*m->ports), cmp_port);
	}
	if (maps->ct >= 0) {
		m->have_ct = true;
		err = nb_nat_ct_foreach(maps, ct_walk_cb, &cw);
		if (!err)
			err = nat_use_reduce(&cw);
		free(cw.used);
		free(cw.used_ports);
		if (err) {
			nb_errorf("map %s: cannot read it: %s", NB_MAP_NAME(NB_MAP_CT),
				  strerror(-err));
			return err;
		}
	}
	err = uplinks_read(maps, m);
	if (err)
		return err;
	if (m->nuplinks && !nb_nl_open(&nl)) {
		for (i = 0; i < m->nuplinks; i++)
			if (nb_nl_link_name(nl, m->uplinks[i].ifindex, m->uplinks[i].ifname))
				m->uplinks[i].ifname[0] = '\0';
		nb_nl_close(nl);
	}
	err = maps_fill_read(inst, m);
	if (err)
		return err;
	for (i = 0; i < m->nmaps; i++)
		if (!strcmp(m->maps[i].name, NB_MAP_NAME(NB_MAP_CT)))
			m->ct_entries = m->maps[i].entries;

	fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_MONITOR));
	if (fd >= 0) {
		m->have_monitor = true;
		if (!nb_map_get(fd, &zero, &mon))
			m->monitor_listening = mon.types != 0;
		close(fd);
		m->events_lost = nb_events_lost(inst);
	}
	return 0;
}

int nb_metrics_collect(const struct nb_instance *inst, char *const *names, size_t nnames, int what,
		       struct nb_metrics *out)
{
	struct nb_maps maps;
	int err;

	memset(out, 0, sizeof(*out));
	nb_maps_init(&maps);
	err = load_sandboxes(inst, names, nnames, out);
	if (err)
		return err;
	err = nb_dp_maps(inst, &maps);
	if (err)
		return err;
	err = ep_counters_read(&maps, out);
	if (!err && what == NB_COLLECT_ALL)
		err = instance_read(inst, &maps, out);
	nb_maps_close(&maps);
	return err;
}

void nb_metrics_free(struct nb_metrics *m)
{
	size_t i;

	for (i = 0; i < m->nsbs; i++)
		free(m->sbs[i].ifs);
	free(m->sbs);
	free(m->ports);
	free(m->nat);
	free(m->uplinks);
	free(m->maps);
	memset(m, 0, sizeof(*m));
}
