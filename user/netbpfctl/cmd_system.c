// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl up|down|status|gc`: the options and the output of the life of an
 * instance's data plane in the network namespace netbpfctl runs in. The work
 * is the library's (lifecycle.h); `status` only reads.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"

#define NB_EXIT_NOT_UP	    3	  /* `status`: the instance is not up */
#define OPT_MASQ_PORTS	    0x100 /* long options only */
#define OPT_MAX_ENDPOINTS   0x101
#define OPT_MAX_NETWORKS    0x102
#define OPT_CT_SIZE	    0x103
#define OPT_BRIDGE_SUBNET   0x104
#define OPT_PUBLISH_DEFAULT 0x105
#define OPT_STORE	    0x106
#define OPT_ADVERTISE	    0x107
#define OPT_STORE_TTL	    0x108
#define OPT_STORE_CACERT    0x109
#define OPT_STORE_CERT	    0x10a
#define OPT_STORE_KEY	    0x10b
#define OPT_STORE_USER	    0x10c

/* ---- up ------------------------------------------------------------------ */

static const char up_doc[] =
    "Load the data plane into this network namespace and restore it from the state.\n"
    "\n"
    "Loads and pins the BPF programs and maps under the pin dir (mounting a bpffs there when "
    "needed), attaches the uplink programs to each uplink, creates the predefined networks "
    "bridge, host and none, and re-creates every bridge network's gateway "
    "port and every endpoint whose sandbox still exists. Idempotent: over a live data plane it "
    "changes nothing. The uplinks are remembered in the state; without --uplink, the "
    "remembered ones, or else the device of the default route. --masq-ports sets the source "
    "ports masquerade gives connections leaving through the uplinks (ICMP echo identifiers "
    "use the whole 16-bit space); it is remembered too, default " NB_MASQ_PORTS_DEFAULT ".\n"
    "\n"
    "The predefined bridge gets 172.17.0.0/16 unless a network or a route or an address of the "
    "host (a docker0) holds part of it: then the first free subnet of Docker's pools. "
    "--bridge-subnet (Docker's bip) gives it one instead; it is remembered, refused when it "
    "overlaps a network or the host's routes and addresses, and it moves an existing bridge "
    "only while nothing is connected to it.\n"
    "\n"
    "--mode xdp attaches XDP programs in front of the tc ones: at each endpoint's host-side "
    "veth (sandbox-to-sandbox frames redirected through a devmap; an XDP_PASS program on the "
    "sandbox side lets the veth take them) and at each uplink (published ports and masquerade "
    "replies; native XDP where the driver has it, generic otherwise: see `netbpfctl status`). "
    "What XDP cannot finish continues to the tc programs. Without --mode (or env NETBPF_MODE), "
    "a live data plane keeps its mode and a new one starts in tc mode.\n"
    "\n"
    "--max-endpoints, --max-networks and --ct-size size the maps (memory: docs/maps.md; "
    "`netbpfctl status` shows it); they are remembered, and a live data plane keeps its "
    "sizes: another size needs `netbpfctl down` first.\n"
    "\n"
    "--store etcd://IP:2379[,IP:2379...] (or env NETBPF_STORE) with --advertise ADDRESS makes "
    "this instance a host of a cluster (docs/overlay.md): the store must answer, or nothing "
    "changes; both are remembered, and netbpfd then registers the host under a lease of "
    "--store-ttl seconds (default 10) and follows the cluster. A later `up` without --store "
    "keeps the remembered store without asking it, so the local data plane comes up while "
    "etcd is away. --store-cacert/--store-cert/--store-key and --store-user NAME:PASSWORD are "
    "etcdctl's --cacert/--cert/--key/--user.\n"
    "\n"
    "Refused when the pin dir belongs to another instance (another network namespace or "
    "state dir), or holds a live data plane while this state database was lost. A pin removed "
    "by hand is restored; an uplink that was renamed is followed by its ifindex."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl up\n"
    "  netbpfctl up --mode xdp\n"
    "  netbpfctl up --uplink eth0 --uplink eth1\n"
    "  netbpfctl up --masq-ports 32768-60999\n"
    "  netbpfctl up --publish-default deny  # published ports need publish --allow\n"
    "  netbpfctl up --max-endpoints 16384 --max-networks 4096 --ct-size 1048576\n"
    "  netbpfctl up --bridge-subnet 10.200.0.0/24\n"
    "  netbpfctl up --reload              # after `make`: swap in the new programs, hitless\n"
    "  netbpfctl --pin-dir /tmp/pins up --uplink veth0\n"
    "  netbpfctl up --store etcd://10.0.0.1:2379,10.0.0.2:2379 --advertise 10.0.0.11\n";

static const struct argp_option up_opts[] = {
    {"uplink", 'u', "IFACE", 0,
     "Interface to the outside world (repeatable; default: the device of the default route)", 0},
    {"publish-default", OPT_PUBLISH_DEFAULT, "allow|deny", 0,
     "Who reaches a published port without an allow-list (publish --allow) from outside: "
     "every source, or none (default: the remembered policy, else allow)",
     0},
    {"masq-ports", OPT_MASQ_PORTS, "LO-HI", 0,
     "Masquerade source ports, 1 <= LO <= HI <= 65535 (default: the remembered range, "
     "else " NB_MASQ_PORTS_DEFAULT ")",
     0},
    {"bridge-subnet", OPT_BRIDGE_SUBNET, "CIDR", 0,
     "Subnet of the predefined bridge network (default: the remembered one, else 172.17.0.0/16 "
     "or the first free pool)",
     0},
    {"mode", 'm', "tc|xdp", 0,
     "Hooks of the data plane (env NETBPF_MODE; default: the live mode, else tc)", 0},
    {"max-endpoints", OPT_MAX_ENDPOINTS, "N", 0,
     "Bridge endpoints the maps hold, all networks together (default: the kept size, else "
     "4096; see docs/maps.md)",
     0},
    {"max-networks", OPT_MAX_NETWORKS, "N", 0,
     "Networks the maps hold, the predefined ones included (default: the kept size, else "
     "4096)",
     0},
    {"ct-size", OPT_CT_SIZE, "N", 0,
     "Conntrack entries (an LRU; default: the kept size, else 262144)", 0},
    {"reload", 'r', NULL, 0,
     "Replace the loaded programs with this build's, keeping maps, connections and traffic "
     "(refused when a map's layout changed)",
     0},
    {"store", OPT_STORE, "etcd://IP:PORT[,...]", 0,
     "Join the cluster whose etcd members these are (env NETBPF_STORE; remembered)", 0},
    {"advertise", OPT_ADVERTISE, "ADDRESS", 0,
     "This host's underlay address, as the other hosts reach it (remembered)", 0},
    {"store-ttl", OPT_STORE_TTL, "SECONDS", 0,
     "TTL of this host's lease: a host silent that long leaves the cluster (2-3600, default "
     "10)",
     0},
    {"store-cacert", OPT_STORE_CACERT, "FILE", 0, "CA bundle verifying etcd's members", 0},
    {"store-cert", OPT_STORE_CERT, "FILE", 0, "Client certificate for etcd", 0},
    {"store-key", OPT_STORE_KEY, "FILE", 0, "Client key for etcd", 0},
    {"store-user", OPT_STORE_USER, "NAME:PASSWORD", 0, "etcd user (etcd's auth)", 0},
    {0},
};

struct up_args {
	struct nb_strv uplinks;
	const char *masq_ports;	     /* validated "LO-HI", NULL when not given */
	const char *bridge_subnet;   /* validated CIDR, NULL when not given */
	const char *publish_default; /* "allow" or "deny", NULL when not given */
	bool reload;
	bool oom;
	struct nb_dp_sizes sizes;      /* 0: not given */
	int mode;		       /* -1: not given, else enum nb_dp_mode */
	struct nb_cluster_cfg cluster; /* borrowed strings; NULL: not given */
	bool cluster_given;
};

static error_t up_parse(int key, char *arg, struct argp_state *state)
{
	struct up_args *a = state->input;

	switch (key) {
	case 'u':
		if (!*arg || strlen(arg) >= NB_IFNAMSIZ || strchr(arg, ',') || strchr(arg, '/'))
			argp_error(state, "--uplink \"%s\": not an interface name", arg);
		if (!nb_strv_has(&a->uplinks, arg) && nb_strv_push(&a->uplinks, arg))
			a->oom = true;
		return 0;
	case OPT_PUBLISH_DEFAULT:
		if (strcmp(arg, "allow") && strcmp(arg, "deny"))
			argp_error(state, "--publish-default \"%s\": must be \"allow\" or \"deny\"",
				   arg);
		a->publish_default = arg;
		return 0;
	case OPT_MASQ_PORTS: {
		__u16 lo, hi;

		if (nb_masq_ports_parse(arg, &lo, &hi))
			argp_error(state,
				   "--masq-ports \"%s\": not a port range LO-HI with 1 <= LO <= HI "
				   "<= 65535",
				   arg);
		a->masq_ports = arg;
		return 0;
	}
	case OPT_BRIDGE_SUBNET: {
		struct nb_prefix p;

		if (nb_bridge_subnet_parse(arg, &p))
			argp_error(state,
				   "--bridge-subnet \"%s\": not a subnet A.B.C.D/N with N in 8..30 "
				   "and no host bits set",
				   arg);
		a->bridge_subnet = arg;
		return 0;
	}
	case 'm':
	mode:
		if (!strcmp(arg, "tc"))
			a->mode = NB_DP_MODE_TC;
		else if (!strcmp(arg, "xdp"))
			a->mode = NB_DP_MODE_XDP;
		else
			argp_error(state, "%s \"%s\": not a mode (tc or xdp)",
				   key == 'm' ? "--mode" : "NETBPF_MODE", arg);
		return 0;
	case OPT_STORE:
		if (nb_etcd_endpoints_check(arg))
			argp_error(state, "--store: %s", nb_error_msg());
		a->cluster.store = arg;
		a->cluster_given = true;
		return 0;
	case OPT_ADVERTISE:
		a->cluster.advertise = arg;
		a->cluster_given = true;
		return 0;
	case OPT_STORE_TTL: {
		unsigned long v;

		if (nb_parse_ulong(arg, NB_CLUSTER_TTL_MIN, NB_CLUSTER_TTL_MAX, &v))
			argp_error(state,
				   "--store-ttl \"%s\": not a number of seconds from %d to %d", arg,
				   NB_CLUSTER_TTL_MIN, NB_CLUSTER_TTL_MAX);
		a->cluster.ttl = v;
		a->cluster_given = true;
		return 0;
	}
	case OPT_STORE_CACERT:
		a->cluster.cacert = arg;
		a->cluster_given = true;
		return 0;
	case OPT_STORE_CERT:
		a->cluster.cert = arg;
		a->cluster_given = true;
		return 0;
	case OPT_STORE_KEY:
		a->cluster.key = arg;
		a->cluster_given = true;
		return 0;
	case OPT_STORE_USER:
		if (!strchr(arg, ':'))
			argp_error(state, "--store-user \"%s\": not NAME:PASSWORD", arg);
		a->cluster.user = arg;
		a->cluster_given = true;
		return 0;
	case ARGP_KEY_END:
		arg = getenv("NETBPF_STORE");
		if (!a->cluster.store && arg && *arg) {
			if (nb_etcd_endpoints_check(arg))
				argp_error(state, "NETBPF_STORE: %s", nb_error_msg());
			a->cluster.store = arg;
			a->cluster_given = true;
		}
		/* the environment's mode, as NETBPF_STATE_DIR is the state dir's */
		arg = getenv("NETBPF_MODE");
		if (a->mode < 0 && arg && *arg)
			goto mode;
		return 0;
	case 'r':
		a->reload = true;
		return 0;
	case OPT_MAX_ENDPOINTS:
	case OPT_MAX_NETWORKS:
	case OPT_CT_SIZE: {
		static const struct {
			const char *name;
			unsigned long min, max;
		} lim[] = {
		    {"--max-endpoints", NB_MIN_ENDPOINTS, NB_LIM_ENDPOINTS},
		    {"--max-networks", NB_MIN_NETWORKS, NB_LIM_NETWORKS},
		    {"--ct-size", NB_MIN_CT, NB_LIM_CT},
		};
		unsigned long v;
		int i = key - OPT_MAX_ENDPOINTS;

		if (nb_parse_ulong(arg, lim[i].min, lim[i].max, &v))
			argp_error(state, "%s \"%s\": not a number from %lu to %lu", lim[i].name,
				   arg, lim[i].min, lim[i].max);
		if (key == OPT_MAX_ENDPOINTS)
			a->sizes.max_endpoints = v;
		else if (key == OPT_MAX_NETWORKS)
			a->sizes.max_networks = v;
		else
			a->sizes.ct_size = v;
		return 0;
	}
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument \"%s\"", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp up_argp = {up_opts, up_parse, NULL, up_doc, NULL, NULL, NULL};

int cmd_up(const struct nb_instance *inst, int argc, char **argv)
{
	struct up_args a = {.mode = -1};
	struct nb_up_opts o = {0};
	struct nb_up_report r;
	int err, ret = NB_EXIT_ERR;

	err = nb_argp_parse(&up_argp, "up", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (a.oom) {
		nb_errorf("up: out of memory");
		goto cleanup;
	}
	if (nb_need_root("up"))
		goto cleanup;
	o.uplinks = (const char *const *)a.uplinks.v;
	o.nuplinks = a.uplinks.n;
	o.masq_ports = a.masq_ports;
	o.bridge_subnet = a.bridge_subnet;
	o.publish_default = a.publish_default;
	o.reload = a.reload;
	o.mode = a.mode;
	o.sizes = a.sizes;
	if (a.cluster_given)
		o.cluster = &a.cluster;
	if (nb_up(inst, &o, &r))
		goto cleanup;
	/* the objects that failed said why: before the line that counts them */
	nb_cli_print_errors();
	printf("netbpf is up (%s mode): pin dir %s, uplinks %s, %zu network(s) and %zu "
	       "endpoint(s) in place, %zu published port(s)",
	       nb_dp_mode_name(r.mode), inst->pin_dir, r.uplinks[0] ? r.uplinks : "(none)",
	       r.networks, r.endpoints, r.ports);
	if (r.skipped)
		printf(", %zu endpoint(s) of vanished sandboxes skipped", r.skipped);
	if (r.failed)
		printf(", %zu failed (see above)", r.failed);
	if (r.store[0])
		printf("; store %s, advertise %s", r.store, r.advertise);
	printf("\n");
	ret = r.failed ? NB_EXIT_ERR : NB_EXIT_OK;
cleanup:
	nb_strv_free(&a.uplinks);
	return ret;
}

/* ---- down ---------------------------------------------------------------- */

static const char down_doc[] =
    "Remove the data plane from this network namespace, keeping the state.\n"
    "\n"
    "Deletes every netbpf device (endpoint veths nbe*, gateway ports nbg*/nbp*, also those the "
    "state does not know), detaches the uplink programs and the socket hooks, and removes "
    "every pin. Sandboxes lose their netbpf interfaces until `netbpfctl up` restores them. "
    "Programs are detached from every device they are attached to, also a renamed uplink.\n"
    "\n"
    "Refused when the pin dir belongs to another instance (another network namespace or "
    "state dir; --force overrides, for an instance whose namespace is gone). Allowed when "
    "this instance's state database was lost: the way to start afresh."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl down\n"
    "  netbpfctl down && netbpfctl up    # rebuild the data plane from the state\n";

static error_t noargs_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument \"%s\"", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_option no_opts[] = {{0}};

static const struct argp_option down_opts[] = {
    {"force", 'f', NULL, 0,
     "Remove the pins even when they belong to another instance (one whose network namespace "
     "is gone)",
     0},
    {0},
};

static error_t down_parse(int key, char *arg, struct argp_state *state)
{
	bool *force = state->input;

	if (key == 'f') {
		*force = true;
		return 0;
	}
	return noargs_parse(key, arg, state);
}

static const struct argp down_argp = {down_opts, down_parse, NULL, down_doc, NULL, NULL, NULL};

int cmd_down(const struct nb_instance *inst, int argc, char **argv)
{
	struct nb_down_report r;
	bool force = false;

	if (nb_argp_parse(&down_argp, "down", argc, argv, 0, &force))
		return NB_EXIT_USAGE;
	if (nb_need_root("down"))
		return NB_EXIT_ERR;
	if (nb_down_opts(inst, force, &r))
		return NB_EXIT_ERR;
	printf("netbpf is down: %d device(s) removed, %s; the state in %s is kept\n", r.devices,
	       r.loaded ? "programs and maps unpinned" : "nothing was loaded", inst->state_dir);
	return NB_EXIT_OK;
}

/* ---- status -------------------------------------------------------------- */

static const char status_doc[] =
    "Show what netbpf has loaded in this network namespace, and where.\n"
    "\n"
    "The pin dir, the programs with their ids, every netbpf device and the program at its hook, "
    "the uplinks, the masquerade source ports, the cgroup of the socket hooks, and how many "
    "networks, sandboxes and endpoints the state holds, and every pinned map: entries, "
    "capacity and memory (the kernel's count; per-CPU maps hold a value per CPU). Every pin is "
    "checked: a missing or wrong one (a map pin removed by hand) is named. Exit status 0 when "
    "up, 3 when not up, 1 when a pin is missing or wrong (`netbpfctl up` repairs it) or the "
    "state cannot be read."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl status\n"
    "  netbpfctl status >/dev/null || netbpfctl up\n";

static const struct argp status_argp = {no_opts, noargs_parse, NULL, status_doc, NULL, NULL, NULL};

static const char *prog_name_of(const struct nb_dp_prog *progs, size_t n, __u32 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (progs[i].id == id)
			return progs[i].name;
	return "(foreign)";
}

struct status_ctx {
	struct nb_nl *nl;
	struct nb_dp_prog *progs;
	size_t nprogs;
	struct nb_network_rec *nets;
	size_t nnets;
	struct nb_endpoint_rec *eps;
	size_t neps;
	struct nb_sandbox_rec *sbs;
	size_t nsbs;
	struct nb_table *t;
	enum nb_dp_mode mode;
};

/* hook: 0 tc ingress, 1 tc egress, 2 XDP, -1 none (the gateway's host side runs no program) */
static void status_row(struct status_ctx *c, const char *dev, const char *role, const char *net,
		       const char *sb, int hook)
{
	struct nb_dp_xdp_state xs = {0};
	char id[16] = "-";
	const char *prog = "-";
	const char *cells[7];
	__u32 pid = 0;
	int idx;

	idx = nb_link_ifindex_here(dev);
	if (idx > 0 && hook == 2 && !nb_dp_xdp_query(idx, &xs))
		pid = xs.prog_id;
	else if (idx > 0 && hook >= 0 && hook < 2 && nb_dp_tc_query(idx, hook == 1, &pid))
		pid = 0;
	if (pid) {
		snprintf(id, sizeof(id), "%u", pid);
		prog = prog_name_of(c->progs, c->nprogs, pid);
	}
	cells[0] = dev;
	cells[1] = idx > 0 ? role : "missing";
	cells[2] = net;
	cells[3] = sb;
	cells[4] = hook < 0    ? "-"
		   : hook == 2 ? (!pid	       ? "xdp"
				  : xs.generic ? "xdp generic"
					       : "xdp native")
		   : hook      ? "tc egress"
			       : "tc ingress";
	cells[5] = prog;
	cells[6] = id;
	nb_table_add(c->t, cells);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cmp_sb_id(const void *a, const void *b)
{
	return strcmp(((const struct nb_sandbox_rec *)a)->id,
		      ((const struct nb_sandbox_rec *)b)->id);
}

/*
 * Sorted look-ups, not a comparison with every row: at 4,096 sandboxes the
 * sandbox of each endpoint and the owner of each device were O(N^2) strcmp()s.
 */
static void status_devices(struct status_ctx *c, const struct nb_strv *uplinks)
{
	char(*known)[NB_IFNAMSIZ] = NULL;
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
	const struct nb_network_rec *net;
	const struct nb_sandbox_rec *sb;
	struct nb_sandbox_rec key;
	struct nb_link_ent *links = NULL;
	const char *sbname;
	size_t n = 0, i, nk = 0;

	qsort(c->sbs, c->nsbs, sizeof(*c->sbs), cmp_sb_id);
	known = calloc(c->neps + 2 * c->nnets + 1, sizeof(*known));
	for (i = 0; i < c->nnets; i++) {
		if (!nb_net_is_bridged(&c->nets[i]))
			continue;
		nb_network_ifnames(c->nets[i].net_id, gw, port);
		status_row(c, gw, "gateway", c->nets[i].name, "-", -1);
		status_row(c, port, "gateway port", c->nets[i].name, "-", 0);
		if (known) {
			snprintf(known[nk++], NB_IFNAMSIZ, "%s", gw);
			snprintf(known[nk++], NB_IFNAMSIZ, "%s", port);
		}
	}
	for (i = 0; i < c->neps; i++) {
		net = nb_network_recs_by_id(c->nets, c->nnets, c->eps[i].network_id);
		snprintf(key.id, sizeof(key.id), "%s", c->eps[i].sandbox_id);
		sb = bsearch(&key, c->sbs, c->nsbs, sizeof(*c->sbs), cmp_sb_id);
		sbname = sb ? sb->name : "?";
		status_row(c, c->eps[i].host_ifname, "endpoint", net ? net->name : "?", sbname, 0);
		if (c->mode == NB_DP_MODE_XDP)
			status_row(c, c->eps[i].host_ifname, "endpoint", net ? net->name : "?",
				   sbname, 2);
		if (known)
			snprintf(known[nk++], NB_IFNAMSIZ, "%s", c->eps[i].host_ifname);
	}
	/* devices that look like netbpf's but that the state does not know: one dump */
	if (known && !nb_links_here(nb_device_prefixes, NB_DEVICE_PREFIXES, &links, &n)) {
		qsort(known, nk, sizeof(*known), cmp_name);
		for (i = 0; i < n; i++)
			if (!bsearch(links[i].name, known, nk, sizeof(*known), cmp_name))
				status_row(c, links[i].name, "orphan (gc removes it)", "-", "-", 0);
	}
	free(links);
	free(known);
	if (!nb_overlay_dev_info(c->nl, NULL, NULL))
		status_row(c, NB_VXLAN_DEV, "VXLAN (overlay)", "-", "-", 0);
	for (i = 0; i < uplinks->n; i++) {
		status_row(c, uplinks->v[i], "uplink", "-", "-", 0);
		status_row(c, uplinks->v[i], "uplink", "-", "-", 1);
		if (c->mode == NB_DP_MODE_XDP)
			status_row(c, uplinks->v[i], "uplink", "-", "-", 2);
	}
}

/* The overlay's VXLAN device and how many remote endpoints the maps hold */
static void status_overlay(const struct nb_instance *inst, struct nb_nl *nl)
{
	struct nb_remote_ep *v = NULL;
	struct nb_maps m;
	unsigned int mtu;
	size_t n = 0;
	int err;

	err = nb_overlay_dev_info(nl, NULL, &mtu);
	if (err == -ENODEV)
		return; /* a host without a store has none */
	if (err) {
		printf("Overlay:    %s is not netbpf's VXLAN device: %s\n", NB_VXLAN_DEV,
		       strerror(-err));
		return;
	}
	printf("Overlay:    %s (VXLAN, UDP %d, MTU %u = overlay endpoints' MTU)", NB_VXLAN_DEV,
	       NB_VXLAN_PORT, mtu);
	if (!nb_dp_maps(inst, &m)) {
		if (!nb_remote_ep_list(&m, 0, &v, &n))
			printf(", %zu remote endpoint(s)", n);
		free(v);
		nb_maps_close(&m);
	}
	nb_error_clear();
	printf("\n");
}

/* what nb_pins_check() finds, as errors of the verb in arg */
static void pins_error(void *arg, const char *line)
{
	nb_errorf("%s: %s", (const char *)arg, line);
}

static void human_bytes(__u64 b, char *buf, size_t size)
{
	if (b >= 10ULL << 20)
		snprintf(buf, size, "%.1f MiB", b / 1048576.0);
	else
		snprintf(buf, size, "%.1f KiB", b / 1024.0);
}

/*
 * The sizes and every pinned map: entries, capacity and memory, the kernel's
 * own count (per-CPU maps hold one value per possible CPU); the arithmetic is
 * in docs/maps.md.
 */
static int status_maps(const struct nb_instance *inst, struct nb_store *st)
{
	static const char *const hdr[] = {"MAP", "TYPE", "ENTRIES", "MAX", "MEMORY"};
	struct nb_dp_sizes s = {0}, def;
	struct nb_map_usage *m = NULL;
	struct nb_table *t;
	char entries[24], max[16], mem[32];
	const char *cells[5];
	__u64 total = 0;
	size_t n = 0, i;
	bool any;
	int err, cpus = libbpf_num_possible_cpus();

	nb_dp_sizes_default(&def);
	if (nb_dp_sizes_stored(st, &s, &any))
		any = false;
	err = nb_map_usage_read(inst->pin_dir, &m, &n);
	if (err) {
		nb_errorf("status: pin dir %s: cannot read the maps: %s", inst->pin_dir,
			  strerror(-err));
		return err;
	}
	t = nb_table_new(hdr, 5);
	if (!t) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		total += m[i].memlock;
		snprintf(entries, sizeof(entries), "%llu", (unsigned long long)m[i].entries);
		snprintf(max, sizeof(max), "%u", m[i].max_entries);
		human_bytes(m[i].memlock, mem, sizeof(mem));
		if (m[i].per_cpu)
			snprintf(mem + strlen(mem), sizeof(mem) - strlen(mem), " (%d CPUs)", cpus);
		cells[0] = m[i].name;
		cells[1] = m[i].type;
		cells[2] = !strcmp(m[i].type, "ringbuf") ? "-" : entries;
		cells[3] = max;
		cells[4] = mem;
		nb_table_add(t, cells);
	}
	human_bytes(total, mem, sizeof(mem));
	if (any)
		printf("Map sizes:  --max-endpoints %u, --max-networks %u, --ct-size %u\n",
		       s.max_endpoints ?: def.max_endpoints, s.max_networks ?: def.max_networks,
		       s.ct_size ?: def.ct_size);
	else
		printf("Map sizes:  as the live maps were created (none kept in the state)\n");
	printf("Map memory: %s in %zu maps (%d possible CPUs; per-CPU maps count each)\n\n", mem, n,
	       cpus);
	nb_table_print(t, stdout);
	nb_table_free(t);
	free(m);
	return 0;
}

/* status shows a renamed uplink under its name of now (`up` stores that one) */
static void uplinks_now(struct nb_store *st, struct nb_nl *nl, struct nb_strv *up)
{
	char now[NB_IFNAMSIZ], *dup;
	int *idx;
	size_t i;

	idx = calloc(up->n + 1, sizeof(*idx));
	if (!idx || nb_uplinks_ifindexes_get(st, idx, up->n)) {
		free(idx);
		return;
	}
	for (i = 0; i < up->n; i++) {
		if (nb_uplink_follow(nl, up->v[i], idx[i], now) <= 0 || !strcmp(now, up->v[i]))
			continue;
		dup = strdup(now);
		if (dup) {
			free(up->v[i]);
			up->v[i] = dup;
		}
	}
	free(idx);
}

/*
 * The published ports, and those a host process bound after they were published: the data
 * plane hands that socket's clients to the sandbox, so it is said (and `port` says it too).
 */
static void status_ports(struct nb_store *st, const struct nb_sandbox_rec *sbs, size_t nsbs)
{
	char k[NB_PORTMAP_STRLEN], lw[NB_LISTENER_STRLEN];
	const struct nb_listener **held = NULL;
	struct nb_publish_rec *rows = NULL;
	struct nb_listener *ls = NULL;
	size_t n = 0, nls = 0, i, j;
	int nheld;

	if (nb_publish_list_all(st, NULL, &rows, &n)) {
		printf("Ports:      (cannot read them)\n");
		return;
	}
	nb_publish_sort_by_key(rows, n);
	held = calloc(n ? n : 1, sizeof(*held));
	nheld = held ? nb_publish_host_held(rows, n, &ls, &nls, held) : -ENOMEM;
	if (nheld < 0)
		printf("Ports:      %zu published (the host's sockets cannot be read: %s)\n", n,
		       strerror(-nheld));
	else if (!nheld)
		printf("Ports:      %zu published, none held by a host socket\n", n);
	else
		printf("Ports:      %zu published, %d also held by a host socket bound after it "
		       "(its clients reach the sandbox):\n",
		       n, nheld);
	for (i = 0; nheld > 0 && i < n; i++) {
		struct nb_portmap m = nb_publish_portmap(&rows[i]);
		const char *name = rows[i].sandbox_id;

		if (!held[i])
			continue;
		for (j = 0; j < nsbs; j++)
			if (!strcmp(sbs[j].id, rows[i].sandbox_id))
				name = sbs[j].name;
		printf("            %s -> sandbox \"%s\" port %u: %s\n", nb_portmap_key_str(&m, k),
		       name, rows[i].sb_port, nb_listener_str(held[i], lw));
	}
	free(held);
	free(ls);
	free(rows);
}

int cmd_status(const struct nb_instance *inst, int argc, char **argv)
{
	static const char *const prog_hdr[] = {"PROGRAM", "ID", "TYPE", "ATTACHED"};
	static const char *const dev_hdr[] = {"DEVICE", "ROLE",	   "NETWORK", "SANDBOX",
					      "HOOK",	"PROGRAM", "ID"};
	struct status_ctx c = {0};
	struct nb_strv uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_table *pt = NULL;
	char cg[4096], id[16], attached[96], masq[16] = "";
	__u16 masq_lo, masq_hi;
	size_t i, nbridge = 0, nsock, nattached;
	int err, bad, ret = NB_EXIT_ERR;

	if (nb_argp_parse(&status_argp, "status", argc, argv, 0, NULL))
		return NB_EXIT_USAGE;
	if (nb_need_root("status"))
		return NB_EXIT_ERR;
	if (nb_dp_loaded(inst) != 1) {
		printf("netbpf is not up in this network namespace (no programs pinned under %s)\n",
		       inst->pin_dir);
		return NB_EXIT_NOT_UP;
	}
	err = nb_dp_progs(inst, &c.progs, &c.nprogs);
	if (err) {
		nb_errorf("status: pin dir %s: cannot list the programs: %s", inst->pin_dir,
			  strerror(-err));
		return NB_EXIT_ERR;
	}
	/* every pin, each missing one named: the rest of the report still follows */
	bad = nb_pins_check(inst, true, pins_error, "status");
	if (bad < 0)
		nb_errorf("status: pin dir %s: cannot check the pins: %s", inst->pin_dir,
			  strerror(-bad));
	err = nb_nl_open(&c.nl);
	if (err) {
		nb_errorf("status: cannot open a netlink socket: %s", strerror(-err));
		goto cleanup;
	}
	if (nb_open_state(inst, false, &st))
		goto cleanup;
	err = nb_store_network_list(st, &c.nets, &c.nnets);
	if (!err)
		err = nb_store_sandbox_list(st, &c.sbs, &c.nsbs);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &c.eps, &c.neps);
	if (!err)
		err = nb_uplinks_stored(st, &uplinks);
	if (!err)
		uplinks_now(st, c.nl, &uplinks);
	if (!err)
		err = nb_masq_ports_stored(st, masq, &masq_lo, &masq_hi);
	if (err) {
		nb_errorf("status: state %s: cannot read it: %s", inst->state_dir, strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < c.nnets; i++)
		nbridge += nb_net_is_bridged(&c.nets[i]);

	nb_dp_mode_get(inst, &c.mode);
	printf("netbpf is up\n");
	printf("Mode:       %s", nb_dp_mode_name(c.mode));
	if (c.mode == NB_DP_MODE_XDP && uplinks.n) {
		/* which XDP each uplink got: native when its driver has it */
		for (i = 0; i < uplinks.n; i++) {
			struct nb_dp_xdp_state xs = {0};
			int idx = nb_nl_link_ifindex(c.nl, uplinks.v[i]);

			if (idx <= 0 || nb_dp_xdp_query(idx, &xs))
				xs.prog_id = 0;
			printf("%suplink %s: %s", i ? ", " : " (", uplinks.v[i],
			       !xs.prog_id  ? "no XDP"
			       : xs.generic ? "generic XDP"
					    : "native XDP");
		}
		printf(")");
	}
	printf("\n");
	printf("Pin dir:    %s (%s)\n", inst->pin_dir,
	       !bad ? "every pin in place"
		    : "PINS MISSING OR WRONG: see the errors; `netbpfctl up` repairs them");
	printf("State dir:  %s\n", inst->state_dir);
	if (inst->cgroup && inst->cgroup[0])
		snprintf(cg, sizeof(cg), "%s", inst->cgroup);
	else
		snprintf(cg, sizeof(cg), "the cgroup2 root");
	for (i = 0, nsock = 0, nattached = 0; i < c.nprogs; i++) {
		nsock += c.progs[i].cgroup_attached >= 0;
		nattached += c.progs[i].cgroup_attached == 1;
	}
	if (nsock)
		printf("Cgroup:     %s (%zu of %zu socket hooks attached)\n", cg, nattached, nsock);
	else
		printf("Cgroup:     none (no socket programs loaded)\n");
	printf("Uplinks:    ");
	for (i = 0; i < uplinks.n; i++)
		printf("%s%s", i ? ", " : "", uplinks.v[i]);
	printf("%s\n", uplinks.n ? "" : "(none)");
	printf("Masquerade: source ports %s (%u ports; ICMP echo ids: all)\n", masq,
	       (unsigned int)(masq_hi - masq_lo + 1));
	printf("Networks:   %zu (%zu bridge)\n", c.nnets, nbridge);
	printf("Sandboxes:  %zu\n", c.nsbs);
	printf("Endpoints:  %zu\n", c.neps);
	status_ports(st, c.sbs, c.nsbs);
	status_cluster(st);
	status_overlay(inst, c.nl);
	printf("\n");

	pt = nb_table_new(prog_hdr, 4);
	c.t = nb_table_new(dev_hdr, 7);
	if (!pt || !c.t) {
		nb_errorf("status: out of memory");
		goto cleanup;
	}
	for (i = 0; i < c.nprogs; i++) {
		const char *cells[4];

		snprintf(id, sizeof(id), "%u", c.progs[i].id);
		if (c.progs[i].cgroup_attached < 0 && !strcmp(c.progs[i].type, "xdp"))
			snprintf(attached, sizeof(attached), "xdp (per device, below)%s",
				 c.mode == NB_DP_MODE_XDP ? "" : "; not in tc mode");
		else if (c.progs[i].cgroup_attached < 0)
			snprintf(attached, sizeof(attached), "tc (per device, below)");
		else
			snprintf(attached, sizeof(attached), "%s %s", c.progs[i].attach,
				 c.progs[i].cgroup_attached == 1 ? "on the cgroup"
								 : "NOT ATTACHED");
		cells[0] = c.progs[i].name;
		cells[1] = id;
		cells[2] = c.progs[i].type;
		cells[3] = attached;
		nb_table_add(pt, cells);
	}
	nb_table_print(pt, stdout);
	printf("\n");
	status_devices(&c, &uplinks);
	nb_table_print(c.t, stdout);
	printf("\n");
	if (status_maps(inst, st))
		bad = bad ? bad : 1;
	ret = bad ? NB_EXIT_ERR : NB_EXIT_OK;
cleanup:
	nb_table_free(pt);
	nb_table_free(c.t);
	nb_strv_free(&uplinks);
	nb_network_recs_free(c.nets, c.nnets);
	free(c.sbs);
	free(c.eps);
	free(c.progs);
	nb_store_close(st);
	nb_nl_close(c.nl);
	return ret;
}

/* ---- gc ------------------------------------------------------------------ */

static const char gc_doc[] =
    "Reconcile the state and the kernel.\n"
    "\n"
    "Removes endpoints whose sandbox's network namespace is gone (with their devices and map "
    "entries), sandboxes whose netbpf-created namespace vanished, netbpf devices the state "
    "does not know, and map entries that point at interfaces or networks that no longer "
    "exist. Prints what it removed."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl gc\n"
    "  ip netns del web1; netbpfctl gc\n";

static const struct argp gc_argp = {no_opts, noargs_parse, NULL, gc_doc, NULL, NULL, NULL};

int cmd_gc(const struct nb_instance *inst, int argc, char **argv)
{
	int count;

	if (nb_argp_parse(&gc_argp, "gc", argc, argv, 0, NULL))
		return NB_EXIT_USAGE;
	if (nb_need_root("gc"))
		return NB_EXIT_ERR;
	/* what it removes it logs (NB_LOG_INFO): main's log hook prints it on stdout */
	if (nb_gc(inst, &count))
		return NB_EXIT_ERR;
	if (!count)
		printf("nothing to clean up\n");
	return NB_EXIT_OK;
}
