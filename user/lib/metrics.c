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

#include "cli.h"
#include "cmd.h"
#include "dataplane.h"
#include "events.h"
#include "maps.h"
#include "metrics.h"
#include "nat.h"
#include "nl.h"
#include "output.h"
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
		if (net && strcmp(net->driver, NB_DRIVER_BRIDGE))
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
static int ep_drops_read(const struct nb_instance *inst, struct nb_metrics *m)
{
	struct nb_ep_drop_key key, next;
	struct nb_counter c;
	struct nb_stats_if *f;
	void *prev = NULL;
	int fd, err = 0;

	fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_EP_DROPS));
	if (fd == -ENOENT)
		return 0; /* an instance loaded before the map existed: no breakdown */
	if (fd < 0)
		return fd;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.reason < NB_DROP_BASE || key.reason >= __NB_DROP_MAX)
			continue;
		f = if_by_ifindex(m, key.ifindex);
		if (!f)
			continue;
		err = nb_maps_percpu_counter_sum(fd, &key, &c);
		if (err == -ENOENT) { /* evicted meanwhile */
			err = 0;
			continue;
		}
		if (err)
			break;
		f->drops[key.reason - NB_DROP_BASE] += c.packets;
	}
	close(fd);
	return err;
}

static int ep_counters_read(const struct nb_instance *inst, const struct nb_maps *maps,
			    struct nb_metrics *m)
{
	struct nb_nl *nl = NULL;
	size_t i, j;
	int err;

	err = nb_nl_open(&nl);
	if (err) {
		nb_errorf("netlink: cannot open a route socket: %s", strerror(-err));
		return err;
	}
	for (i = 0; i < m->nsbs; i++) {
		for (j = 0; j < m->sbs[i].nifs; j++) {
			struct nb_stats_if *f = &m->sbs[i].ifs[j];
			int ifindex;

			if (!f->host_ifname[0])
				continue;
			/* a device gone (its netns vanished, gc pending) counts nothing */
			ifindex = nb_nl_link_ifindex(nl, f->host_ifname);
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
	err = ep_drops_read(inst, m);
	if (err)
		nb_errorf("map %s: cannot read it: %s", NB_MAP_NAME(NB_MAP_EP_DROPS),
			  strerror(-err));
cleanup:
	nb_nl_close(nl);
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

static __u64 map_count_keys(int fd, const struct bpf_map_info *info)
{
	void *key = NULL, *next = NULL;
	__u64 n = 0, limit = (__u64)info->max_entries * 2 + 16;

	key = calloc(1, info->key_size ? info->key_size : 1);
	next = calloc(1, info->key_size ? info->key_size : 1);
	if (!key || !next)
		goto cleanup;
	if (bpf_map_get_next_key(fd, NULL, next))
		goto cleanup;
	/* the walk restarts when a key vanishes under it: bounded all the same */
	do {
		memcpy(key, next, info->key_size);
		n++;
	} while (n < limit && !bpf_map_get_next_key(fd, key, next));
cleanup:
	free(key);
	free(next);
	return n;
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
	/* a published port's live flows: the original destination is the published address */
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
	__u32 key, next, *prev = NULL;
	struct nb_uplink u;
	size_t cap = 0;

	if (maps->uplinks < 0)
		return 0;
	while (!bpf_map_get_next_key(maps->uplinks, prev, &next)) {
		struct nb_uplink_stat *s;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(maps->uplinks, &key, &u))
			continue;
		if (m->nuplinks == cap) {
			struct nb_uplink_stat *v;

			cap = cap ? cap * 2 : 8;
			v = realloc(m->uplinks, cap * sizeof(*v));
			if (!v)
				return -ENOMEM;
			m->uplinks = v;
		}
		s = &m->uplinks[m->nuplinks++];
		memset(s, 0, sizeof(*s));
		s->ifindex = key;
		s->addr = u.ip;
		/* nb_uplink's zeros mean the default range (abi.h) */
		s->port_min = u.port_min ? u.port_min : 1024;
		s->port_max = u.port_max ? u.port_max : 65535;
	}
	return 0;
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
		if (!bpf_map_lookup_elem(fd, &zero, &mon))
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
	/* a monitor that died without clearing its flag stops costing the data plane here */
	nb_monitor_reap(inst);
	err = ep_counters_read(inst, &maps, out);
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

/* ---- rendering: Prometheus ---------------------------------------------- */

void nb_prom_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (!size)
		return;
	for (; *in; in++) {
		const char *rep = NULL;
		char one[2] = {*in, '\0'};
		size_t len;

		if (*in == '\\')
			rep = "\\\\";
		else if (*in == '"')
			rep = "\\\"";
		else if (*in == '\n')
			rep = "\\n";
		else
			rep = one;
		len = strlen(rep);
		if (o + len >= size)
			break;
		memcpy(out + o, rep, len);
		o += len;
	}
	out[o] = '\0';
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *proto_name(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	}
	return "other";
}

/* {sandbox="..",network="..",interface=".."} of an endpoint */
static void ep_labels(const struct nb_stats_sb *sb, const struct nb_stats_if *f, char *buf,
		      size_t size)
{
	char s[2 * NB_NAME_MAX + 2], n[2 * NB_NAME_MAX + 2], i[2 * NB_IFNAMSIZ];

	nb_prom_escape(sb->name, s, sizeof(s));
	nb_prom_escape(f->network, n, sizeof(n));
	nb_prom_escape(f->ifname, i, sizeof(i));
	snprintf(buf, size, "sandbox=\"%s\",network=\"%s\",interface=\"%s\"", s, n, i);
}

enum ep_field {
	EP_RX_BYTES,
	EP_RX_PACKETS,
	EP_RX_DROPPED,
	EP_TX_BYTES,
	EP_TX_PACKETS,
	EP_TX_DROPPED,
	EP_NFIELDS
};

static __u64 ep_field(const struct nb_ep_stats *c, int field)
{
	switch (field) {
	case EP_RX_BYTES:
		return c->rx_bytes;
	case EP_RX_PACKETS:
		return c->rx_packets;
	case EP_RX_DROPPED:
		return c->rx_dropped;
	case EP_TX_BYTES:
		return c->tx_bytes;
	case EP_TX_PACKETS:
		return c->tx_packets;
	}
	return c->tx_dropped;
}

static const struct {
	const char *suffix;
	const char *help;
} ep_fields[EP_NFIELDS] = {
    [EP_RX_BYTES] = {"rx_bytes_total", "Bytes netbpf delivered into the sandbox (L2 frames)."},
    [EP_RX_PACKETS] = {"rx_packets_total", "Packets netbpf delivered into the sandbox."},
    [EP_RX_DROPPED] = {"rx_dropped_total", "Packets addressed to the sandbox that were dropped."},
    [EP_TX_BYTES] = {"tx_bytes_total", "Bytes the sandbox sent (L2 frames)."},
    [EP_TX_PACKETS] = {"tx_packets_total", "Packets the sandbox sent."},
    [EP_TX_DROPPED] = {"tx_dropped_total", "Packets the sandbox sent that were dropped."},
};

static void render_endpoints(const struct nb_metrics *m, FILE *out)
{
	char name[96], labels[512];
	size_t i, j;
	int fld;

	for (fld = 0; fld < EP_NFIELDS; fld++) {
		snprintf(name, sizeof(name), "netbpf_endpoint_%s", ep_fields[fld].suffix);
		family(out, name, "counter", ep_fields[fld].help);
		for (i = 0; i < m->nsbs; i++)
			for (j = 0; j < m->sbs[i].nifs; j++) {
				const struct nb_stats_if *f = &m->sbs[i].ifs[j];

				if (!f->ifname[0])
					continue;
				ep_labels(&m->sbs[i], f, labels, sizeof(labels));
				fprintf(out, "%s{%s} %llu\n", name, labels,
					(unsigned long long)ep_field(&f->c, fld));
			}
	}
	family(out, "netbpf_endpoint_drops_total", "counter",
	       "Packets sent by or addressed to the sandbox that were dropped, by reason.");
	for (i = 0; i < m->nsbs; i++)
		for (j = 0; j < m->sbs[i].nifs; j++) {
			const struct nb_stats_if *f = &m->sbs[i].ifs[j];
			__u32 r;

			if (!f->ifname[0])
				continue;
			ep_labels(&m->sbs[i], f, labels, sizeof(labels));
			for (r = 0; r < NB_DROP_COUNT; r++)
				if (f->drops[r])
					fprintf(
					    out,
					    "netbpf_endpoint_drops_total{%s,reason=\"%s\"} %llu\n",
					    labels, nb_drop_reason_name(r + NB_DROP_BASE),
					    (unsigned long long)f->drops[r]);
		}
}

/* per network: the sum of its endpoints, in order of first appearance */
static void render_networks(const struct nb_metrics *m, FILE *out)
{
	char name[96], help[128], esc[2 * NB_NAME_MAX + 2];
	size_t i, j, k, n = 0, total = 0;
	const char **nets;
	int fld;

	for (i = 0; i < m->nsbs; i++)
		total += m->sbs[i].nifs;
	nets = calloc(total + 1, sizeof(*nets));
	for (i = 0; nets && i < m->nsbs; i++)
		for (j = 0; j < m->sbs[i].nifs; j++) {
			if (!m->sbs[i].ifs[j].ifname[0])
				continue;
			for (k = 0; k < n; k++)
				if (!strcmp(nets[k], m->sbs[i].ifs[j].network))
					break;
			if (k == n)
				nets[n++] = m->sbs[i].ifs[j].network;
		}
	for (fld = 0; fld < EP_NFIELDS; fld++) {
		snprintf(name, sizeof(name), "netbpf_network_%s", ep_fields[fld].suffix);
		snprintf(help, sizeof(help),
			 "netbpf_endpoint_%s summed over the network's endpoints.",
			 ep_fields[fld].suffix);
		family(out, name, "counter", help);
		for (k = 0; k < n; k++) {
			__u64 sum = 0;

			for (i = 0; i < m->nsbs; i++)
				for (j = 0; j < m->sbs[i].nifs; j++)
					if (m->sbs[i].ifs[j].ifname[0] &&
					    !strcmp(nets[k], m->sbs[i].ifs[j].network))
						sum += ep_field(&m->sbs[i].ifs[j].c, fld);
			nb_prom_escape(nets[k], esc, sizeof(esc));
			fprintf(out, "%s{network=\"%s\"} %llu\n", name, esc,
				(unsigned long long)sum);
		}
	}
	free(nets);
}

static void render_instance(const struct nb_metrics *m, FILE *out)
{
	char ip[INET_ADDRSTRLEN], esc[2 * NB_NAME_MAX + 2], esc2[2 * NB_NAME_MAX + 2];
	size_t i;
	__u32 r;
	int t;

	family(out, "netbpf_drops_total", "counter",
	       "Packets dropped by the data plane, by reason.");
	for (r = 0; r < NB_DROP_COUNT; r++)
		fprintf(out, "netbpf_drops_total{reason=\"%s\"} %llu\n",
			nb_drop_reason_name(r + NB_DROP_BASE),
			(unsigned long long)m->drops[r].packets);
	family(out, "netbpf_dropped_bytes_total", "counter",
	       "Bytes of the packets dropped by the data plane, by reason.");
	for (r = 0; r < NB_DROP_COUNT; r++)
		fprintf(out, "netbpf_dropped_bytes_total{reason=\"%s\"} %llu\n",
			nb_drop_reason_name(r + NB_DROP_BASE),
			(unsigned long long)m->drops[r].bytes);

	if (m->have_ct) {
		family(out, "netbpf_conntrack_entries", "gauge",
		       "Entries in the connection tracker (two per flow, expired ones until "
		       "reclaimed).");
		fprintf(out, "netbpf_conntrack_entries %llu\n", (unsigned long long)m->ct_entries);
		family(out, "netbpf_conntrack_flows", "gauge", "Live translated flows, by kind.");
		for (t = NB_CT_DNAT; t <= NB_CT_HAIRPIN; t++)
			fprintf(out, "netbpf_conntrack_flows{type=\"%s\"} %llu\n",
				nb_nat_type_name(t), (unsigned long long)m->ct_flows[t]);
	}

	family(out, "netbpf_published_port_connections_total", "counter",
	       "Connections translated to a published port.");
	for (i = 0; i < m->nports; i++) {
		const struct nb_port_stat *p = &m->ports[i];

		inet_ntop(AF_INET, &p->host_ip, ip, sizeof(ip));
		nb_prom_escape(p->sandbox, esc, sizeof(esc));
		nb_prom_escape(p->network, esc2, sizeof(esc2));
		fprintf(out,
			"netbpf_published_port_connections_total{proto=\"%s\",host_ip=\"%s\","
			"host_port=\"%u\",sandbox=\"%s\",network=\"%s\",port=\"%u\"} %llu\n",
			proto_name(p->proto), ip, p->host_port, esc, esc2, p->sb_port,
			(unsigned long long)p->conns);
	}
	if (m->have_ct) {
		family(out, "netbpf_published_port_flows", "gauge",
		       "Live flows to a published port.");
		for (i = 0; i < m->nports; i++) {
			inet_ntop(AF_INET, &m->ports[i].host_ip, ip, sizeof(ip));
			fprintf(out,
				"netbpf_published_port_flows{proto=\"%s\",host_ip=\"%s\","
				"host_port=\"%u\"} %llu\n",
				proto_name(m->ports[i].proto), ip, m->ports[i].host_port,
				(unsigned long long)m->ports[i].flows);
		}
		family(out, "netbpf_published_port_flow_bytes", "gauge",
		       "Bytes carried so far by the live flows to a published port, both ways.");
		for (i = 0; i < m->nports; i++) {
			inet_ntop(AF_INET, &m->ports[i].host_ip, ip, sizeof(ip));
			fprintf(out,
				"netbpf_published_port_flow_bytes{proto=\"%s\",host_ip=\"%s\","
				"host_port=\"%u\"} %llu\n",
				proto_name(m->ports[i].proto), ip, m->ports[i].host_port,
				(unsigned long long)m->ports[i].bytes);
		}
		family(out, "netbpf_nat_ports_in_use", "gauge",
		       "Source ports (ICMP: identifiers) held by translated flows, per address.");
		for (i = 0; i < m->nnat; i++) {
			inet_ntop(AF_INET, &m->nat[i].addr, ip, sizeof(ip));
			fprintf(out, "netbpf_nat_ports_in_use{address=\"%s\",proto=\"%s\"} %llu\n",
				ip, proto_name(m->nat[i].proto),
				(unsigned long long)m->nat[i].ports);
		}
	}
	family(out, "netbpf_nat_port_range_size", "gauge",
	       "Ports masquerade may allocate on an uplink, per protocol.");
	for (i = 0; i < m->nuplinks; i++) {
		const struct nb_uplink_stat *u = &m->uplinks[i];

		inet_ntop(AF_INET, &u->addr, ip, sizeof(ip));
		nb_prom_escape(u->ifname, esc, sizeof(esc));
		fprintf(out, "netbpf_nat_port_range_size{uplink=\"%s\",address=\"%s\"} %u\n", esc,
			ip, (unsigned)(u->port_max - u->port_min + 1));
	}

	family(out, "netbpf_map_entries", "gauge",
	       "Entries in a pinned map (arrays: every slot; ring buffers are left out).");
	for (i = 0; i < m->nmaps; i++)
		fprintf(out, "netbpf_map_entries{map=\"%s\",type=\"%s\"} %llu\n", m->maps[i].name,
			m->maps[i].type, (unsigned long long)m->maps[i].entries);
	family(out, "netbpf_map_max_entries", "gauge", "Capacity of a pinned map.");
	for (i = 0; i < m->nmaps; i++)
		fprintf(out, "netbpf_map_max_entries{map=\"%s\",type=\"%s\"} %u\n", m->maps[i].name,
			m->maps[i].type, m->maps[i].max_entries);

	if (m->have_monitor) {
		family(out, "netbpf_monitor_listening", "gauge",
		       "1 while a `netbpfctl monitor` receives events.");
		fprintf(out, "netbpf_monitor_listening %d\n", m->monitor_listening ? 1 : 0);
		family(out, "netbpf_monitor_events_lost_total", "counter",
		       "Events the full ring buffer refused.");
		fprintf(out, "netbpf_monitor_events_lost_total %llu\n",
			(unsigned long long)m->events_lost);
	}
}

int nb_metrics_render(const struct nb_metrics *m, FILE *out)
{
	render_endpoints(m, out);
	render_networks(m, out);
	render_instance(m, out);
	return ferror(out) ? -EIO : 0;
}

/* ---- rendering: stats ---------------------------------------------------- */

const char *const nb_stats_headers[NB_STATS_COLS] = {"NAME", "NETWORKS", "NET I/O", "PACKETS",
						     "DROPS"};

json_t *nb_stats_json(const struct nb_stats_sb *sbs, size_t n, int64_t read_ns)
{
	char when[NB_TIME_STRLEN];
	json_t *arr = json_array();
	size_t i, j;
	__u32 r;

	if (!arr)
		return NULL;
	nb_fmt_time_rfc3339nano(read_ns, when);
	for (i = 0; i < n; i++) {
		json_t *o, *nets, *drops;
		__u64 sum[NB_DROP_COUNT] = {0};

		o = json_object();
		nets = json_object();
		drops = json_object();
		if (!o || !nets || !drops || json_array_append_new(arr, o)) {
			json_decref(nets);
			json_decref(drops);
			goto fail;
		}
		json_object_set_new(o, "read", json_string(when));
		json_object_set_new(o, "Name", json_string(sbs[i].name));
		json_object_set_new(o, "Id", json_string(sbs[i].id));
		json_object_set_new(o, "networks", nets);
		json_object_set_new(o, "drops", drops);
		for (j = 0; j < sbs[i].nifs; j++) {
			const struct nb_stats_if *f = &sbs[i].ifs[j];
			json_t *e;

			if (!f->ifname[0])
				continue;
			/* exact integers: counters beyond 2^53 stay exact as json integers */
			e = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "network",
				      f->network, "rx_bytes", (json_int_t)f->c.rx_bytes,
				      "rx_packets", (json_int_t)f->c.rx_packets, "rx_errors",
				      (json_int_t)0, "rx_dropped", (json_int_t)f->c.rx_dropped,
				      "tx_bytes", (json_int_t)f->c.tx_bytes, "tx_packets",
				      (json_int_t)f->c.tx_packets, "tx_errors", (json_int_t)0,
				      "tx_dropped", (json_int_t)f->c.tx_dropped);
			if (!e || json_object_set_new(nets, f->ifname, e))
				goto fail;
			for (r = 0; r < NB_DROP_COUNT; r++)
				sum[r] += f->drops[r];
		}
		for (r = 0; r < NB_DROP_COUNT; r++)
			if (sum[r] &&
			    json_object_set_new(drops, nb_drop_reason_name(r + NB_DROP_BASE),
						json_integer((json_int_t)sum[r])))
				goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

void nb_stats_row(const struct nb_stats_sb *sb, char cells[NB_STATS_COLS][NB_STATS_CELL])
{
	char rx[NB_HUMAN_STRLEN], tx[NB_HUMAN_STRLEN];
	__u64 rxb = 0, txb = 0, rxp = 0, txp = 0, drops = 0;
	size_t j, k, len = 0;

	snprintf(cells[0], NB_STATS_CELL, "%s", sb->name);
	cells[1][0] = '\0';
	for (j = 0; j < sb->nifs; j++) {
		const struct nb_stats_if *f = &sb->ifs[j];

		/* a network once, even if the sandbox had two endpoints on it */
		for (k = 0; k < j; k++)
			if (!strcmp(sb->ifs[k].network, f->network))
				break;
		if (k == j && len < NB_STATS_CELL)
			len += snprintf(cells[1] + len, NB_STATS_CELL - len, "%s%s", len ? "," : "",
					f->network);
		rxb += f->c.rx_bytes;
		txb += f->c.tx_bytes;
		rxp += f->c.rx_packets;
		txp += f->c.tx_packets;
		drops += f->c.rx_dropped + f->c.tx_dropped;
	}
	/* docker stats' NET I/O: received / sent, HumanSizeWithPrecision(.., 3) */
	snprintf(cells[2], NB_STATS_CELL, "%s / %s", nb_human_size((double)rxb, 3, rx),
		 nb_human_size((double)txb, 3, tx));
	snprintf(cells[3], NB_STATS_CELL, "%llu / %llu", (unsigned long long)rxp,
		 (unsigned long long)txp);
	snprintf(cells[4], NB_STATS_CELL, "%llu", (unsigned long long)drops);
}
