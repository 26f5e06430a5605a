// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl host ls`: the hosts of the cluster, read from etcd (cluster.h),
 * and the store's lines of `netbpfctl status`. Both only read.
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"
#include "template.h"

/* The instance's store settings; NB_EXIT_ERR with the cause when it has none */
static int cluster_cfg(const struct nb_instance *inst, const char *what, struct nb_cluster_cfg *c)
{
	int err = nb_cluster_cfg_load(inst, c);

	if (err == -ENOENT)
		nb_errorf("%s: this instance is in no cluster (netbpfctl up --store etcd://IP:2379 "
			  "--advertise ADDRESS)",
			  what);
	else if (err)
		nb_errorf("%s: cannot read the store's settings", what);
	return err;
}

static const char ls_doc[] =
    "List the hosts of the cluster, as the store (etcd) holds them.\n"
    "\n"
    "A host is listed while its lease is alive: netbpfd renews it; a host whose netbpfd "
    "stopped leaves at once, one that crashed or lost its link after its TTL. LEASE is the "
    "seconds left of the TTL granted. Fails, naming the endpoints and why, when no etcd "
    "member answers."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl host ls\n"
    "  netbpfctl host ls --format json | jq -r .Advertise\n"
    "  netbpfctl host ls --format '{{.Hostname}} {{.Advertise}}'\n";

static const struct argp_option ls_opts[] = {
    {"quiet", 'q', NULL, 0, "Only display host ids", 0},
    {"format", NB_OPT_FORMAT, "table|json|TEMPLATE", 0,
     "Output format (json: one object per line; a Go template over the json's fields)", 0},
    {"no-trunc", NB_OPT_NO_TRUNC, NULL, 0, "Do not truncate the ids", 0},
    {0},
};

static json_t *host_json(const struct nb_cluster_host *h, bool self)
{
	char when[NB_TIME_STRLEN];

	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:b}", "ID", h->id, "Advertise",
			 h->advertise, "Hostname", h->hostname, "Started",
			 nb_fmt_time_go(h->started * 1000000000LL, when), "TTL", (json_int_t)h->ttl,
			 "GrantedTTL", (json_int_t)h->granted_ttl, "Version", h->version, "Self",
			 self);
}

static json_t *host_ls_header(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "HOST ID", "Advertise",
			 "ADVERTISE", "Hostname", "HOSTNAME", "Started", "STARTED", "TTL", "LEASE",
			 "GrantedTTL", "GRANTED TTL", "Version", "VERSION", "Self", "SELF");
}

static int host_ls(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {.options = ls_opts, .parser = nb_ls_parse, .doc = ls_doc};
	static const char *const headers[] = {"HOST ID", "ADVERTISE", "HOSTNAME", "STARTED",
					      "LEASE"};
	struct nb_cluster_host *hosts = NULL;
	struct nb_cluster_cfg c = {0};
	struct nb_ls_args a = {0};
	struct nb_table *t = NULL;
	struct nb_tmpl *tmpl = NULL;
	json_t *rows = NULL, *header = NULL;
	struct nb_etcd *e = NULL;
	size_t i, n = 0;
	int err;

	err = nb_argp_parse(&argp, "host ls", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (a.tmpl && !a.quiet) {
		tmpl = nb_tmpl_parse(a.tmpl, NB_TMPL_LS);
		rows = json_array();
		if (!tmpl || !rows) {
			err = tmpl ? nb_error(-ENOMEM, "host ls: out of memory") : -EINVAL;
			goto cleanup;
		}
	}
	if ((err = cluster_cfg(inst, "host ls", &c)))
		goto cleanup;
	if ((err = nb_cluster_connect(&c, 0, &e)))
		goto cleanup;
	err = nb_cluster_hosts(e, true, &hosts, &n);
	if (err) {
		nb_errorf("host ls: cannot read the hosts from store %s", c.store);
		goto cleanup;
	}
	if (!a.quiet && !a.json && !tmpl) {
		t = nb_table_new(headers, 5);
		if (!t) {
			err = nb_error(-ENOMEM, "host ls: out of memory");
			goto cleanup;
		}
	}
	for (i = 0; i < n; i++) {
		const struct nb_cluster_host *h = &hosts[i];
		bool self = !strcmp(h->id, c.host_id);
		char id[48], started[64], lease[48];

		snprintf(id, sizeof(id), "%.*s%s", a.no_trunc ? 40 : 12, h->id, self ? " *" : "");
		if (a.quiet) {
			printf("%.*s\n", a.no_trunc ? 40 : 12, h->id);
			continue;
		}
		if (tmpl) {
			json_array_append_new(rows, host_json(h, self));
			continue;
		}
		if (a.json) {
			json_t *o = host_json(h, self);

			nb_json_print_line(stdout, o);
			json_decref(o);
			continue;
		}
		snprintf(started, sizeof(started), "%lld s ago",
			 (long long)(time(NULL) - h->started));
		snprintf(lease, sizeof(lease), "%" PRId64 "/%" PRId64 " s", h->ttl, h->granted_ttl);
		nb_table_add(t,
			     (const char *const[]){id, h->advertise, h->hostname, started, lease});
	}
	if (t)
		nb_table_print(t, stdout);
	if (tmpl) {
		header = host_ls_header();
		err = nb_tmpl_exec_rows(tmpl, header, rows, NULL, stdout);
	}
cleanup:
	json_decref(header);
	json_decref(rows);
	nb_tmpl_free(tmpl);
	nb_table_free(t);
	free(hosts);
	nb_etcd_close(e);
	nb_cluster_cfg_free(&c);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

static const struct nb_subcmd host_cmds[] = {
    {"ls", host_ls, "List the hosts of the cluster (from etcd)"},
};

int cmd_host(const struct nb_instance *inst, int argc, char **argv)
{
	return nb_subcmd_run(inst, "host", host_cmds, sizeof(host_cmds) / sizeof(host_cmds[0]),
			     argc, argv);
}

void status_cluster(struct nb_store *st)
{
	struct nb_cluster_host *hosts = NULL;
	struct nb_cluster_cfg c;
	struct nb_etcd *e = NULL;
	bool self = false;
	size_t i, n = 0;

	if (nb_cluster_cfg_get(st, &c)) {
		printf("Store:      none (a single host; up --store joins a cluster)\n");
		return;
	}
	printf("Store:      %s (advertise %s, lease TTL %" PRId64 " s, host id %s)\n", c.store,
	       c.advertise ? c.advertise : "?", c.ttl ? c.ttl : (int64_t)NB_CLUSTER_TTL_DEFAULT,
	       c.host_id);
	/* status answers quickly even with etcd away */
	if (nb_cluster_connect(&c, 2000, &e) || nb_cluster_hosts(e, false, &hosts, &n)) {
		printf("Membership: store unreachable: %s\n", nb_error_msg());
		nb_error_clear();
		goto out;
	}
	for (i = 0; i < n; i++)
		self |= !strcmp(hosts[i].id, c.host_id);
	printf("Membership: %s, %zu host(s) in the cluster\n",
	       self ? "registered" : "not registered (is netbpfd running?)", n);
out:
	free(hosts);
	nb_etcd_close(e);
	nb_cluster_cfg_free(&c);
}
