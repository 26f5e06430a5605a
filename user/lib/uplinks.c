// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Uplinks followed by ifindex, and detached by what is attached (uplinks.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane.h"
#include "hooks.h"
#include "store.h"
#include "uplinks.h"

int nb_uplinks_ifindexes_get(struct nb_store *st, int *idx, size_t n)
{
	char *val = NULL, *p, *end;
	size_t i;
	int err;

	memset(idx, 0, n * sizeof(*idx));
	err = nb_store_setting_get(st, SETTING_UPLINK_IFINDEXES, &val);
	if (err == -ENOENT)
		return 0; /* stored by an older netbpfctl: names only */
	if (err)
		return err;
	for (i = 0, p = val; i < n && *p; i++) {
		long v = strtol(p, &end, 10);

		idx[i] = v > 0 && v < 0x7fffffff ? (int)v : 0;
		if (*end != ',')
			break;
		p = end + 1;
	}
	free(val);
	return 0;
}

int nb_uplinks_ifindexes_set(struct nb_store *st, const int *idx, size_t n)
{
	char *buf;
	size_t i, off = 0;
	int err;

	buf = malloc(n * 12 + 1);
	if (!buf)
		return -ENOMEM;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += sprintf(buf + off, "%s%d", i ? "," : "", idx[i]);
	err = nb_store_setting_set(st, SETTING_UPLINK_IFINDEXES, buf);
	free(buf);
	return err;
}

int nb_uplink_follow(struct nb_nl *nl, const char *name, int ifindex, char now[NB_IFNAMSIZ])
{
	int err;

	if (ifindex > 0) {
		err = nb_nl_link_name(nl, ifindex, now);
		return err ? err : ifindex;
	}
	err = nb_nl_link_ifindex(nl, name);
	if (err > 0)
		snprintf(now, NB_IFNAMSIZ, "%s", name);
	return err;
}

static bool id_ours(const __u32 *ids, size_t n, __u32 id)
{
	size_t i;

	for (i = 0; id && i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

int nb_uplinks_detach_attached(struct nb_nl *nl, const __u32 *ids, size_t nids,
			       void (*report)(void *arg, const char *ifname, const char *hook),
			       void *arg)
{
	char(*names)[NB_IFNAMSIZ] = NULL;
	struct nb_dp_xdp_state xs;
	size_t n = 0, i;
	int idx, e, b, err = 0, count = 0;
	__u32 id;

	e = nb_nl_link_list(nl, "", &names, &n);
	if (e)
		return e;
	for (i = 0; i < n; i++) {
		idx = nb_nl_link_ifindex(nl, names[i]);
		if (idx <= 0)
			continue;
		for (b = 0; b < 2; b++) {
			if (nb_dp_tc_query(idx, b, &id) || !id_ours(ids, nids, id))
				continue;
			e = nb_dp_tc_detach(idx, b);
			if (e && e != -ENOENT) {
				err = err ? err : e;
				continue;
			}
			count++;
			if (report)
				report(arg, names[i], b ? "tc egress" : "tc ingress");
		}
		if (nb_dp_xdp_query(idx, &xs) || !id_ours(ids, nids, xs.prog_id))
			continue;
		e = nb_dp_xdp_detach(-1, idx);
		if (e && e != -ENOENT) {
			err = err ? err : e;
			continue;
		}
		count++;
		if (report)
			report(arg, names[i], "xdp");
	}
	free(names);
	return err ? err : count;
}
