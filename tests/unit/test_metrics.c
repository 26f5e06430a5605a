// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * metrics.c and events.c, the pure parts: the Prometheus text of a given
 * set of numbers byte for byte, label escaping, the stats JSON shape and
 * table row, and how monitor events read as a line and as JSON.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "events.h"
#include "metrics.h"
#include "prometheus.h"
#include "stats_table.h"

#define DROP(r) ((r)-NB_DROP_BASE)

/* 2024-05-01T10:02:03.5Z */
#define T0 1714557723500000000LL

/* Two sandboxes: a1 on "web" (eth0) and "db" (eth1), b1 on "web" and "host" */
struct fixture {
	struct nb_stats_if a1_ifs[2];
	struct nb_stats_if b1_ifs[2];
	struct nb_stats_sb sbs[2];
};

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->a1_ifs[0].ifname, sizeof(f->a1_ifs[0].ifname), "eth0");
	snprintf(f->a1_ifs[0].network, sizeof(f->a1_ifs[0].network), "web");
	f->a1_ifs[0].ifindex = 7;
	f->a1_ifs[0].c = (struct nb_ep_stats){.rx_packets = 10,
					      .rx_bytes = 1500,
					      .tx_packets = 20,
					      .tx_bytes = 123456789,
					      .rx_dropped = 1,
					      .tx_dropped = 3};
	f->a1_ifs[0].drops[DROP(NB_DROP_SPOOF_IP)] = 2;
	f->a1_ifs[0].drops[DROP(NB_DROP_ISOLATION)] = 1;
	snprintf(f->a1_ifs[1].ifname, sizeof(f->a1_ifs[1].ifname), "eth1");
	snprintf(f->a1_ifs[1].network, sizeof(f->a1_ifs[1].network), "db");
	f->a1_ifs[1].ifindex = 8;
	f->a1_ifs[1].c = (struct nb_ep_stats){.rx_packets = 1, .rx_bytes = 999, .tx_dropped = 1};
	f->a1_ifs[1].drops[DROP(NB_DROP_SPOOF_IP)] = 1;
	snprintf(f->sbs[0].id, sizeof(f->sbs[0].id), "%064d", 1);
	snprintf(f->sbs[0].name, sizeof(f->sbs[0].name), "a1");
	f->sbs[0].ifs = f->a1_ifs;
	f->sbs[0].nifs = 2;

	snprintf(f->b1_ifs[0].ifname, sizeof(f->b1_ifs[0].ifname), "eth0");
	snprintf(f->b1_ifs[0].network, sizeof(f->b1_ifs[0].network), "web");
	f->b1_ifs[0].c = (struct nb_ep_stats){.rx_bytes = 2000000000000ULL, .tx_bytes = 4};
	/* the host network gives the sandbox no interface of netbpf's */
	snprintf(f->b1_ifs[1].network, sizeof(f->b1_ifs[1].network), "host");
	snprintf(f->sbs[1].id, sizeof(f->sbs[1].id), "%064d", 2);
	snprintf(f->sbs[1].name, sizeof(f->sbs[1].name), "b1");
	f->sbs[1].ifs = f->b1_ifs;
	f->sbs[1].nifs = 2;
}

static char *render(const struct nb_metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(nb_metrics_render(m, f), 0);
	fclose(f);
	return buf;
}

/* The lines of text that start with prefix, joined */
static char *grep(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix), len = 0;
	char *out = calloc(1, strlen(text) + 1);
	const char *p = text;

	assert_non_null(out);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!strncmp(p, prefix, plen)) {
			memcpy(out + len, p, l);
			len += l;
		}
		p += l;
	}
	return out;
}

static void test_prom_endpoints(void **state)
{
	struct nb_metrics m = {0};
	struct fixture f;
	char *text, *g;

	(void)state;
	fixture_init(&f);
	m.sbs = f.sbs;
	m.nsbs = 2;
	text = render(&m);

	g = grep(text, "netbpf_endpoint_rx_bytes_total");
	assert_string_equal(
	    g,
	    "netbpf_endpoint_rx_bytes_total{sandbox=\"a1\",network=\"web\",interface=\"eth0\"} "
	    "1500\n"
	    "netbpf_endpoint_rx_bytes_total{sandbox=\"a1\",network=\"db\",interface=\"eth1\"} 999\n"
	    "netbpf_endpoint_rx_bytes_total{sandbox=\"b1\",network=\"web\",interface=\"eth0\"} "
	    "2000000000000\n");
	free(g);
	/* each family announced once, HELP then TYPE, right before its samples */
	assert_non_null(strstr(text,
			       "# HELP netbpf_endpoint_tx_bytes_total Bytes the sandbox sent "
			       "(L2 frames).\n"
			       "# TYPE netbpf_endpoint_tx_bytes_total counter\n"
			       "netbpf_endpoint_tx_bytes_total{sandbox=\"a1\",network=\"web\","
			       "interface=\"eth0\"} 123456789\n"));
	g = grep(text, "netbpf_endpoint_tx_dropped_total{");
	assert_string_equal(
	    g,
	    "netbpf_endpoint_tx_dropped_total{sandbox=\"a1\",network=\"web\",interface=\"eth0\"} "
	    "3\n"
	    "netbpf_endpoint_tx_dropped_total{sandbox=\"a1\",network=\"db\",interface=\"eth1\"} 1\n"
	    "netbpf_endpoint_tx_dropped_total{sandbox=\"b1\",network=\"web\",interface=\"eth0\"} "
	    "0\n");
	free(g);
	/* only the reasons that happened */
	g = grep(text, "netbpf_endpoint_drops_total{");
	assert_string_equal(g, "netbpf_endpoint_drops_total{sandbox=\"a1\",network=\"web\","
			       "interface=\"eth0\",reason=\"spoof-ip\"} 2\n"
			       "netbpf_endpoint_drops_total{sandbox=\"a1\",network=\"web\","
			       "interface=\"eth0\",reason=\"isolation\"} 1\n"
			       "netbpf_endpoint_drops_total{sandbox=\"a1\",network=\"db\","
			       "interface=\"eth1\",reason=\"spoof-ip\"} 1\n");
	free(g);
	/* per network: the sum over its endpoints; "host" has none of netbpf's */
	g = grep(text, "netbpf_network_rx_bytes_total{");
	assert_string_equal(g, "netbpf_network_rx_bytes_total{network=\"web\"} 2000000001500\n"
			       "netbpf_network_rx_bytes_total{network=\"db\"} 999\n");
	free(g);
	assert_null(strstr(text, "host"));
	free(text);
}

static void test_prom_instance(void **state)
{
	struct nb_port_stat port = {.proto = IPPROTO_TCP,
				    .host_port = 8000,
				    .sb_port = 80,
				    .sandbox = "web1",
				    .network = "web",
				    .conns = 42,
				    .flows = 3,
				    .bytes = 9000};
	struct nb_nat_use use = {.proto = IPPROTO_UDP, .ports = 7};
	struct nb_uplink_stat up = {.ifname = "up0", .port_min = 1024, .port_max = 65535};
	struct nb_map_fill maps[2] = {
	    {.name = "nb_ct", .type = "lru_hash", .entries = 6, .max_entries = 262144},
	    {.name = "nb_fdb", .type = "hash", .entries = 4, .max_entries = 65536},
	};
	struct nb_metrics m = {0};
	char *text, *g;

	(void)state;
	m.drops[DROP(NB_DROP_SPOOF_MAC)] = (struct nb_counter){.packets = 5, .bytes = 490};
	m.have_ct = true;
	m.ct_entries = 6;
	m.ct_flows[NB_CT_DNAT] = 3;
	m.ports = &port;
	m.nports = 1;
	inet_pton(AF_INET, "198.18.0.1", &use.addr);
	m.nat = &use;
	m.nnat = 1;
	up.addr = use.addr;
	m.uplinks = &up;
	m.nuplinks = 1;
	m.maps = maps;
	m.nmaps = 2;
	m.have_monitor = true;
	m.events_lost = 11;
	text = render(&m);

	/* every reason, zeros included, so a rate() has a series from the start */
	g = grep(text, "netbpf_drops_total{");
	assert_int_equal(strlen(g) > 0, 1);
	assert_non_null(strstr(g, "netbpf_drops_total{reason=\"malformed\"} 0\n"
				  "netbpf_drops_total{reason=\"no-port\"} 0\n"
				  "netbpf_drops_total{reason=\"spoof-mac\"} 5\n"));
	assert_non_null(strstr(g, "netbpf_drops_total{reason=\"ct-invalid\"} 0\n"));
	free(g);
	assert_non_null(strstr(text, "netbpf_dropped_bytes_total{reason=\"spoof-mac\"} 490\n"));
	assert_non_null(strstr(text, "# TYPE netbpf_conntrack_entries gauge\n"
				     "netbpf_conntrack_entries 6\n"));
	g = grep(text, "netbpf_conntrack_flows{");
	assert_string_equal(g, "netbpf_conntrack_flows{type=\"dnat\"} 3\n"
			       "netbpf_conntrack_flows{type=\"snat\"} 0\n"
			       "netbpf_conntrack_flows{type=\"hairpin\"} 0\n");
	free(g);
	assert_non_null(strstr(text, "netbpf_published_port_connections_total{proto=\"tcp\","
				     "host_ip=\"0.0.0.0\",host_port=\"8000\",sandbox=\"web1\","
				     "network=\"web\",port=\"80\"} 42\n"));
	assert_non_null(strstr(text,
			       "netbpf_published_port_flows{proto=\"tcp\",host_ip=\"0.0.0.0\","
			       "host_port=\"8000\"} 3\n"));
	assert_non_null(strstr(text, "netbpf_published_port_flow_bytes{proto=\"tcp\","
				     "host_ip=\"0.0.0.0\",host_port=\"8000\"} 9000\n"));
	assert_non_null(strstr(text, "netbpf_nat_ports_in_use{address=\"198.18.0.1\","
				     "proto=\"udp\"} 7\n"));
	assert_non_null(strstr(text, "netbpf_nat_port_range_size{uplink=\"up0\","
				     "address=\"198.18.0.1\"} 64512\n"));
	g = grep(text, "netbpf_map_");
	assert_string_equal(g, "netbpf_map_entries{map=\"nb_ct\",type=\"lru_hash\"} 6\n"
			       "netbpf_map_entries{map=\"nb_fdb\",type=\"hash\"} 4\n"
			       "netbpf_map_max_entries{map=\"nb_ct\",type=\"lru_hash\"} 262144\n"
			       "netbpf_map_max_entries{map=\"nb_fdb\",type=\"hash\"} 65536\n");
	free(g);
	assert_non_null(strstr(text, "netbpf_monitor_listening 0\n"));
	assert_non_null(strstr(text, "netbpf_monitor_events_lost_total 11\n"));
	free(text);

	/* no conntrack map, no monitor maps: their families are left out, not zeroed */
	m.have_ct = false;
	m.have_monitor = false;
	text = render(&m);
	assert_null(strstr(text, "netbpf_conntrack"));
	assert_null(strstr(text, "netbpf_nat_ports_in_use"));
	assert_null(strstr(text, "netbpf_monitor"));
	free(text);
}

/* Every line is a comment or NAME{LABELS} VALUE, and every sample's family was typed */
static void test_prom_well_formed(void **state)
{
	struct nb_metrics m = {0};
	struct fixture f;
	char *text, *line, *save = NULL, typed[64][96];
	size_t ntyped = 0, i;

	(void)state;
	fixture_init(&f);
	m.sbs = f.sbs;
	m.nsbs = 2;
	m.have_ct = true;
	text = render(&m);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96], kind[16];
		bool found = false;

		if (!strncmp(line, "# HELP ", 7))
			continue;
		if (sscanf(line, "# TYPE %95s %15s", name, kind) == 2) {
			assert_true(!strcmp(kind, "counter") || !strcmp(kind, "gauge"));
			assert_true(ntyped < 64);
			snprintf(typed[ntyped++], sizeof(typed[0]), "%s", name);
			continue;
		}
		assert_int_equal(sscanf(line, "%95[a-z_]", name), 1);
		for (i = 0; i < ntyped; i++)
			found |= !strcmp(typed[i], name);
		assert_true(found);
		assert_non_null(strrchr(line, ' '));
		assert_true(strspn(strrchr(line, ' ') + 1, "0123456789") ==
			    strlen(strrchr(line, ' ') + 1));
	}
	free(text);
}

static void test_prom_escape(void **state)
{
	char out[64];

	(void)state;
	nb_prom_escape("plain-name_1.x", out, sizeof(out));
	assert_string_equal(out, "plain-name_1.x");
	nb_prom_escape("a\"b\\c\nd", out, sizeof(out));
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	/* never a half escape when the room runs out */
	nb_prom_escape("ab\"", out, 4);
	assert_string_equal(out, "ab");
}

static void test_stats_json(void **state)
{
	struct fixture f;
	json_t *arr, *o, *e;
	char *text;

	(void)state;
	fixture_init(&f);
	arr = nb_stats_json(f.sbs, 2, T0);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(o, "name")), "/a1");
	assert_string_equal(json_string_value(json_object_get(o, "id")), f.sbs[0].id);
	assert_string_equal(json_string_value(json_object_get(o, "read")),
			    "2024-05-01T10:02:03.5Z");
	/* keyed by the interface in the sandbox, Docker's field names */
	assert_int_equal(json_object_size(json_object_get(o, "networks")), 2);
	e = json_object_get(json_object_get(o, "networks"), "eth0");
	text = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text, "{\"network\":\"web\",\"rx_bytes\":1500,\"rx_packets\":10,"
				  "\"rx_errors\":0,\"rx_dropped\":1,\"tx_bytes\":123456789,"
				  "\"tx_packets\":20,\"tx_errors\":0,\"tx_dropped\":3}");
	free(text);
	/* drops by reason summed over the sandbox's interfaces, only those that happened */
	text = json_dumps(json_object_get(o, "drops"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text, "{\"spoof-ip\":3,\"isolation\":1}");
	free(text);

	/* b1: the host network has no interface to report; integers stay exact past 2^32 */
	o = json_array_get(arr, 1);
	assert_int_equal(json_object_size(json_object_get(o, "networks")), 1);
	e = json_object_get(json_object_get(o, "networks"), "eth0");
	assert_true(json_is_integer(json_object_get(e, "rx_bytes")));
	assert_true(json_integer_value(json_object_get(e, "rx_bytes")) == 2000000000000LL);
	assert_int_equal(json_object_size(json_object_get(o, "drops")), 0);
	json_decref(arr);

	arr = nb_stats_json(NULL, 0, T0);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

static void test_stats_row(void **state)
{
	char cells[NB_STATS_COLS][NB_STATS_CELL];
	struct fixture f;

	(void)state;
	fixture_init(&f);
	assert_string_equal(nb_stats_headers[2], "NET I/O");
	nb_stats_row(&f.sbs[0], cells);
	assert_string_equal(cells[0], "a1");
	assert_string_equal(cells[1], "web,db");
	/* received / sent, docker stats' precision 3: 2499 B, 123456789 B */
	assert_string_equal(cells[2], "2.5kB / 123MB");
	assert_string_equal(cells[3], "11 / 20");
	assert_string_equal(cells[4], "5");
	nb_stats_row(&f.sbs[1], cells);
	assert_string_equal(cells[1], "web,host");
	assert_string_equal(cells[2], "2TB / 4B");
	assert_string_equal(cells[3], "0 / 0");
	assert_string_equal(cells[4], "0");
}

static struct nb_event drop_event(void)
{
	struct nb_event ev = {0};
	static const __u8 smac[6] = {0x02, 0x42, 0x0a, 0x5c, 0x01, 0x02};
	static const __u8 dmac[6] = {0x02, 0x42, 0x0a, 0x5c, 0x01, 0x03};

	ev.type = NB_EV_DROP;
	ev.reason = NB_DROP_SPOOF_IP;
	ev.ifindex = 7;
	ev.len = 98;
	ev.eth_proto = 0x0800;
	memcpy(ev.smac, smac, 6);
	memcpy(ev.dmac, dmac, 6);
	ev.proto = IPPROTO_TCP;
	ev.flags = NB_EV_F_L4;
	inet_pton(AF_INET, "10.92.1.200", &ev.saddr);
	inet_pton(AF_INET, "10.92.1.3", &ev.daddr);
	ev.sport = htons(40000);
	ev.dport = htons(80);
	return ev;
}

static void test_event_line(void **state)
{
	struct nb_event_where at = {"nbe0123456789a", "a1", "eth0", "web"};
	struct nb_event_where peer = {"nbeffffffffff0", "a2", "eth0", "web"};
	struct nb_event ev = drop_event();
	char buf[512];

	(void)state;
	nb_event_line(&ev, T0, &at, NULL, buf, sizeof(buf));
	assert_string_equal(buf,
			    "2024-05-01T10:02:03.5Z drop spoof-ip nbe0123456789a (a1/eth0) tcp "
			    "10.92.1.200:40000 -> 10.92.1.3:80 len 98 "
			    "mac 02:42:0a:5c:01:02 -> 02:42:0a:5c:01:03");
	/* a trace with the receiving endpoint; ICMP echo with its identifier */
	ev.type = NB_EV_TRACE;
	ev.reason = TC_ACT_REDIRECT;
	ev.peer_ifindex = 9;
	ev.proto = IPPROTO_ICMP;
	ev.icmp_type = 8;
	ev.sport = htons(7);
	ev.dport = 0;
	nb_event_line(&ev, T0, &at, &peer, buf, sizeof(buf));
	assert_string_equal(buf,
			    "2024-05-01T10:02:03.5Z trace redirect nbe0123456789a (a1/eth0) to "
			    "nbeffffffffff0 (a2/eth0) icmp 10.92.1.200 -> 10.92.1.3 type 8 "
			    "code 0 id 7 len 98 mac 02:42:0a:5c:01:02 -> 02:42:0a:5c:01:03");
	/* no names known: the ifindex; ARP; other ethertypes */
	ev = drop_event();
	ev.reason = NB_DROP_SPOOF_ARP;
	ev.eth_proto = 0x0806;
	ev.arp_op = 1;
	ev.proto = 0;
	ev.flags = 0;
	nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, " drop spoof-arp if7 arp request 10.92.1.200 -> 10.92.1.3 "));
	ev.eth_proto = 0x88cc;
	ev.reason = 999;
	nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, " drop reason-999 if7 ethertype 0x88cc len 98"));
	/* IPv6: the addresses, ports; ICMPv6 its type */
	ev.eth_proto = 0x86dd;
	ev.reason = NB_DROP_UNPUBLISHED;
	ev.proto = IPPROTO_TCP;
	ev.flags = NB_EV_F_L4;
	inet_pton(AF_INET6, "2001:db8::2", ev.saddr6);
	inet_pton(AF_INET6, "fd00:1::2", ev.daddr6);
	nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
	assert_non_null(
	    strstr(buf, " drop unpublished if7 tcp [2001:db8::2]:40000 -> [fd00:1::2]:80 len 98"));
	ev.proto = IPPROTO_ICMPV6;
	ev.icmp_type = 128;
	nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
	assert_non_null(strstr(buf, " icmp6 2001:db8::2 -> fd00:1::2 type 128 code 0 len 98"));

	/* a new translated flow */
	memset(&ev, 0, sizeof(ev));
	ev.type = NB_EV_NAT;
	ev.reason = NB_CT_DNAT;
	ev.ifindex = 7;
	ev.eth_proto = 0x0800;
	ev.proto = IPPROTO_TCP;
	ev.flags = NB_EV_F_L4;
	inet_pton(AF_INET, "198.18.0.2", &ev.saddr);
	inet_pton(AF_INET, "198.18.0.1", &ev.daddr);
	ev.sport = htons(5000);
	ev.dport = htons(8080);
	ev.nat_saddr = ev.saddr;
	inet_pton(AF_INET, "10.92.1.3", &ev.nat_daddr);
	ev.nat_sport = ev.sport;
	ev.nat_dport = htons(80);
	nb_event_line(&ev, T0, &at, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T10:02:03.5Z nat dnat nbe0123456789a (a1/eth0) tcp "
				 "198.18.0.2:5000 -> 198.18.0.1:8080 => 198.18.0.2:5000 -> "
				 "10.92.1.3:80");

	/* an IPv6 flow: the v6 addresses of both tuples, in the line and the JSON */
	{
		json_t *o, *x;

		ev.reason = NB_CT_SNAT;
		ev.ifindex = 0;
		ev.eth_proto = 0x86dd;
		ev.proto = IPPROTO_UDP;
		inet_pton(AF_INET6, "fd00:2::2", ev.saddr6);
		inet_pton(AF_INET6, "2001:db8::5", ev.daddr6);
		ev.sport = htons(42000);
		ev.dport = htons(53);
		inet_pton(AF_INET6, "2001:db8:ff::1", ev.nat_saddr6);
		memcpy(ev.nat_daddr6, ev.daddr6, 16);
		ev.nat_sport = htons(61000);
		ev.nat_dport = ev.dport;
		nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
		assert_string_equal(buf, "2024-05-01T10:02:03.5Z nat snat outward udp "
					 "[fd00:2::2]:42000 -> [2001:db8::5]:53 => "
					 "[2001:db8:ff::1]:61000 -> [2001:db8::5]:53");
		o = nb_event_json(&ev, T0, NULL, NULL);
		assert_non_null(o);
		assert_string_equal(json_string_value(json_object_get(o, "src")), "fd00:2::2");
		x = json_object_get(o, "translated");
		assert_string_equal(json_string_value(json_object_get(x, "src")),
				    "2001:db8:ff::1");
		assert_string_equal(json_string_value(json_object_get(x, "dst")), "2001:db8::5");
		assert_int_equal(json_integer_value(json_object_get(x, "sport")), 61000);
		json_decref(o);
		/* an echo: its identifiers */
		ev.proto = IPPROTO_ICMPV6;
		ev.sport = htons(7);
		ev.nat_sport = htons(61001);
		nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
		assert_non_null(strstr(buf, " nat snat outward icmp6 fd00:2::2 -> 2001:db8::5 id 7 "
					    "=> 2001:db8:ff::1 -> 2001:db8::5 id 61001"));
	}
}

/* A drop of the tunnel program: the frame's outer source host and VNI, in the line and JSON */
static void test_event_tunnel(void **state)
{
	struct nb_event ev = drop_event();
	char buf[512], *text;
	json_t *o;

	(void)state;
	ev.reason = NB_DROP_TUNNEL_SPOOF;
	ev.ifindex = 4;
	ev.tun_vni = 4242;
	inet_pton(AF_INET, "10.98.2.2", &ev.tun_host);
	nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T10:02:03.5Z drop tunnel-spoof if4 tcp "
				 "10.92.1.200:40000 -> 10.92.1.3:80 len 98 "
				 "mac 02:42:0a:5c:01:02 -> 02:42:0a:5c:01:03 "
				 "tunnel vni 4242 host 10.98.2.2");
	o = nb_event_json(&ev, T0, NULL, NULL);
	assert_non_null(o);
	text = json_dumps(json_object_get(o, "tunnel"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text, "{\"vni\":4242,\"host\":\"10.98.2.2\"}");
	free(text);
	json_decref(o);
	/* no tunnel: nothing said */
	ev.tun_vni = 0;
	ev.tun_host = 0;
	nb_event_line(&ev, T0, NULL, NULL, buf, sizeof(buf));
	assert_null(strstr(buf, " tunnel vni"));
}

static void test_event_json(void **state)
{
	struct nb_event_where at = {"nbe0123456789a", "a1", "eth0", "web"};
	struct nb_event ev = drop_event();
	json_t *o;
	char *text;

	(void)state;
	o = nb_event_json(&ev, T0, &at, NULL);
	assert_non_null(o);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(text, "{\"time\":\"2024-05-01T10:02:03.5Z\",\"type\":\"drop\","
				  "\"reason\":\"spoof-ip\",\"ifindex\":7,"
				  "\"interface\":\"nbe0123456789a\",\"sandbox\":\"a1\","
				  "\"sandbox_interface\":\"eth0\",\"network\":\"web\",\"len\":98,"
				  "\"ethertype\":\"0x0800\",\"src_mac\":\"02:42:0a:5c:01:02\","
				  "\"dst_mac\":\"02:42:0a:5c:01:03\",\"proto\":\"tcp\","
				  "\"src\":\"10.92.1.200\",\"dst\":\"10.92.1.3\",\"sport\":40000,"
				  "\"dport\":80}");
	free(text);
	json_decref(o);

	/* the receiving endpoint under "to"; a later fragment has no ports */
	ev.peer_ifindex = 9;
	ev.flags = NB_EV_F_FRAG;
	o = nb_event_json(&ev, T0, NULL, NULL);
	assert_non_null(o);
	assert_null(json_object_get(o, "sport"));
	assert_true(json_is_true(json_object_get(o, "fragment")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "to"), "ifindex")),
			 9);
	assert_null(json_object_get(o, "interface"));
	json_decref(o);
}

static void test_event_types(void **state)
{
	__u32 mask;

	(void)state;
	assert_int_equal(nb_event_types_parse("drop", &mask), 0);
	assert_int_equal(mask, 1U << NB_EV_DROP);
	assert_int_equal(nb_event_types_parse("drop,nat", &mask), 0);
	assert_int_equal(mask, (1U << NB_EV_DROP) | (1U << NB_EV_NAT));
	assert_int_equal(nb_event_types_parse("trace,trace", &mask), 0);
	assert_int_equal(mask, 1U << NB_EV_TRACE);
	assert_int_equal(nb_event_types_parse("drops", &mask), -EINVAL);
	assert_int_equal(nb_event_types_parse("dro", &mask), -EINVAL);
	assert_int_equal(nb_event_types_parse("", &mask), -EINVAL);
	assert_int_equal(nb_event_types_parse(",", &mask), -EINVAL);
	assert_string_equal(nb_event_verdict_name(TC_ACT_REDIRECT), "redirect");
	assert_string_equal(nb_event_verdict_name(TC_ACT_OK), "pass");
	assert_string_equal(nb_event_verdict_name(42), "verdict-42");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prom_endpoints),   cmocka_unit_test(test_prom_instance),
	    cmocka_unit_test(test_prom_well_formed), cmocka_unit_test(test_prom_escape),
	    cmocka_unit_test(test_stats_json),	     cmocka_unit_test(test_stats_row),
	    cmocka_unit_test(test_event_line),	     cmocka_unit_test(test_event_json),
	    cmocka_unit_test(test_event_tunnel),
	    cmocka_unit_test(test_event_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
