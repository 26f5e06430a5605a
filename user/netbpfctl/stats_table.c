// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `netbpfctl stats`' JSON and table rows from a struct nb_metrics (stats_table.h). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <netbpf/netbpf.h>

#include "stats_table.h"

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
		/* the Engine API's keys: "name" with Docker's leading slash, "id" */
		json_object_set_new(o, "name", json_pack("s++", "/", sbs[i].name, ""));
		json_object_set_new(o, "id", json_string(sbs[i].id));
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
