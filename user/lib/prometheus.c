// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A struct nb_metrics as Prometheus text (prometheus.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "fmt.h"
#include "maps.h"
#include "metrics.h"
#include "nat.h"
#include "prometheus.h"

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
			nb_proto_name(p->proto), ip, p->host_port, esc, esc2, p->sb_port,
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
				nb_proto_name(m->ports[i].proto), ip, m->ports[i].host_port,
				(unsigned long long)m->ports[i].flows);
		}
		family(out, "netbpf_published_port_flow_bytes", "gauge",
		       "Bytes carried so far by the live flows to a published port, both ways.");
		for (i = 0; i < m->nports; i++) {
			inet_ntop(AF_INET, &m->ports[i].host_ip, ip, sizeof(ip));
			fprintf(out,
				"netbpf_published_port_flow_bytes{proto=\"%s\",host_ip=\"%s\","
				"host_port=\"%u\"} %llu\n",
				nb_proto_name(m->ports[i].proto), ip, m->ports[i].host_port,
				(unsigned long long)m->ports[i].bytes);
		}
		family(out, "netbpf_nat_ports_in_use", "gauge",
		       "Source ports (ICMP: identifiers) held by translated flows, per address.");
		for (i = 0; i < m->nnat; i++) {
			inet_ntop(AF_INET, &m->nat[i].addr, ip, sizeof(ip));
			fprintf(out, "netbpf_nat_ports_in_use{address=\"%s\",proto=\"%s\"} %llu\n",
				ip, nb_proto_name(m->nat[i].proto),
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
