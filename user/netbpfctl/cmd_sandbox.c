// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl sandbox create|ls|inspect|rm|exec`. A sandbox is a network
 * namespace: one netbpf creates as /run/netns/NAME (so `ip netns exec NAME`
 * works, and `sandbox rm` deletes it), or one it adopts by path or by a
 * process's PID (left alone by `sandbox rm`). `--network host` records the
 * host's own netns as the sandbox's and creates nothing in the kernel;
 * `--network none` leaves loopback only. Both are recorded as endpoint rows
 * without address or interfaces (membership.h).
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"
#include "template.h"

enum {
	OPT_NETWORK = 0x100,
	OPT_IP,
	OPT_IP6,
	OPT_NETNS,
	OPT_PID,
	OPT_ALIAS,
	OPT_DNS_RESOLV_CONF,
};

/* ---- create -------------------------------------------------------------- */

static const char create_doc[] =
    "Create a sandbox (a network namespace) and connect it to networks.\n"
    "\n"
    "Interfaces are eth0, eth1, ... in the order of --network (default: the predefined "
    "\"bridge\"); the default route goes via the first network's gateway; --ip applies to "
    "the first network. \"host\" shares the host's network namespace, \"none\" leaves "
    "loopback only. Without --netns/--pid the sandbox is /run/netns/NAME, so "
    "`ip netns exec NAME` works. Prints the new sandbox's id."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl sandbox create box1\n"
    "  netbpfctl sandbox create --network web --network db --ip 10.1.0.50 box2\n"
    "  netbpfctl sandbox create --network dual --ip6 fd00:1::50 box3\n"
    "  netbpfctl sandbox create --network web --pid 4242 app\n"
    "  netbpfctl sandbox create --network web -p 8000:80 -p 8053:53/udp web1\n"
    "  netbpfctl sandbox create --network web --alias api --alias api-v2 web2\n"
    "  netbpfctl sandbox create --network web --dns-resolv-conf /tmp/web3.resolv web3\n";

static const struct argp_option create_opts[] = {
    {"network", OPT_NETWORK, "NETWORK", 0, "Connect to this network (repeatable)", 0},
    {"ip", OPT_IP, "IP", 0, "IPv4 address on the first network", 0},
    {"ip6", OPT_IP6, "IP", 0, "IPv6 address on the first network (one created with --ipv6)", 0},
    {"alias", OPT_ALIAS, "NAME", 0,
     "Another name on the first network (repeatable; shown by inspect)", 0},
    {"dns-resolv-conf", OPT_DNS_RESOLV_CONF, "PATH", 0,
     "Write a resolv.conf at PATH naming the first network's gateway, where netbpfd "
     "answers the network's names (a user-defined bridge network)",
     0},
    {"netns", OPT_NETNS, "PATH", 0, "Adopt the network namespace at PATH", 0},
    {"pid", OPT_PID, "PID", 0, "Adopt the network namespace of process PID", 0},
    {"publish", 'p', "SPEC", 0,
     "Publish a port, [IP:][HOSTPORT[-END]:]CPORT[-END][/PROTO] (repeatable; see `netbpfctl "
     "publish --help`)",
     0},
    {0},
};

#define MAX_NETWORKS 64
#define MAX_PUBLISH 256
#define MAX_ALIASES 16

struct create_args {
	const char *name;
	const char *networks[MAX_NETWORKS];
	int nnetworks;
	const char *ip;
	const char *ip6;
	const char *netns;
	pid_t pid;
	const char *publish[MAX_PUBLISH];
	int npublish;
	const char *aliases[MAX_ALIASES];
	int naliases;
	const char *resolv_conf;
};

static error_t create_parse(int key, char *arg, struct argp_state *state)
{
	struct create_args *a = state->input;
	unsigned long pid;

	switch (key) {
	case OPT_NETWORK:
		if (a->nnetworks == MAX_NETWORKS)
			argp_error(state, "at most %d --network", MAX_NETWORKS);
		a->networks[a->nnetworks++] = arg;
		break;
	case OPT_IP:
		a->ip = arg;
		break;
	case OPT_IP6:
		a->ip6 = arg;
		break;
	case OPT_ALIAS:
		if (a->naliases == MAX_ALIASES)
			argp_error(state, "at most %d --alias", MAX_ALIASES);
		a->aliases[a->naliases++] = arg;
		break;
	case OPT_DNS_RESOLV_CONF:
		a->resolv_conf = arg;
		break;
	case 'p':
		if (a->npublish == MAX_PUBLISH)
			argp_error(state, "at most %d -p", MAX_PUBLISH);
		a->publish[a->npublish++] = arg;
		break;
	case OPT_NETNS:
		if (arg[0] != '/')
			argp_error(state, "--netns needs an absolute path, got \"%s\"", arg);
		a->netns = arg;
		break;
	case OPT_PID:
		if (nb_parse_ulong(arg, 1, INT_MAX, &pid))
			argp_error(state, "--pid: \"%s\" is not a process id", arg);
		a->pid = (pid_t)pid;
		break;
	case ARGP_KEY_ARG:
		if (a->name)
			argp_error(state, "exactly one NAME is expected, got \"%s\" too", arg);
		a->name = arg;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			argp_error(state, "the sandbox's NAME is missing");
		if (a->netns && a->pid)
			argp_error(state, "--netns and --pid exclude each other");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The networks to join, resolved, with Docker's rules for host and none */
static int resolve_networks(struct nb_store *st, const struct create_args *a,
			    struct nb_network_rec *nets, int *nnets, const char **special)
{
	static const char *const deflt[] = {NB_DRIVER_BRIDGE};
	const char *const *names = a->nnetworks ? a->networks : deflt;
	int i, j, n = a->nnetworks ? a->nnetworks : 1;
	int err;

	*special = NULL;
	for (i = 0; i < n; i++) {
		err = nb_find_network(st, names[i], &nets[i]);
		if (err)
			return err;
		*nnets = i + 1;
		for (j = 0; j < i; j++) {
			if (strcmp(nets[j].id, nets[i].id))
				continue;
			nb_errorf("sandbox \"%s\": network \"%s\" is given twice", a->name,
				  nets[i].name);
			return -EINVAL;
		}
		if (!nb_net_is_bridged(&nets[i]))
			*special = strcmp(nets[i].driver, NB_DRIVER_HOST) ? NB_DRIVER_NONE
									  : NB_DRIVER_HOST;
	}
	if (*special && n > 1) {
		if (!strcmp(*special, NB_DRIVER_HOST))
			nb_errorf("sandbox \"%s\": " NB_MSG_HOST_CONFLICT, a->name);
		else
			nb_errorf("sandbox \"%s\": " NB_MSG_NONE_CONFLICT, a->name);
		return -EINVAL;
	}
	if (*special && (a->ip || a->ip6)) {
		nb_errorf("sandbox \"%s\": %s needs a bridge network; network \"%s\" has no "
			  "addresses",
			  a->name, a->ip ? "--ip" : "--ip6", nets[0].name);
		return -EINVAL;
	}
	if (*special && !strcmp(*special, NB_DRIVER_HOST) && (a->netns || a->pid)) {
		nb_errorf("sandbox \"%s\": network \"host\" is the host's own network namespace; "
			  "it cannot be combined with --netns or --pid",
			  a->name);
		return -EINVAL;
	}
	return 0;
}

/* An adopted netns must be a netns, not the host's, and not another sandbox's */
static int check_adopted(struct nb_store *st, const char *name, const char *path)
{
	struct nb_sandbox_rec *sbs = NULL;
	size_t i, n = 0;
	int fd, other, err;

	fd = nb_netns_open(path);
	if (fd < 0) {
		nb_errorf("sandbox \"%s\": %s: %s", name, path,
			  fd == -EINVAL ? "not a network namespace" : strerror(-fd));
		return fd;
	}
	if (nb_netns_is_host(path)) {
		nb_errorf("sandbox \"%s\": %s is the host's own network namespace (use --network "
			  "host to share it)",
			  name, path);
		err = -EINVAL;
		goto cleanup;
	}
	err = nb_store_sandbox_list(st, &sbs, &n);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read the sandboxes: %s", name, strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		other = nb_netns_open(sbs[i].netns);
		if (other < 0)
			continue;
		if (nb_netns_same(fd, other) == 1) {
			nb_errorf("sandbox \"%s\": network namespace %s already belongs to sandbox "
				  "\"%s\"",
				  name, path, sbs[i].name);
			err = -EEXIST;
		}
		close(other);
		if (err)
			break;
	}
cleanup:
	free(sbs);
	close(fd);
	return err;
}

static int sandbox_create(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = create_opts,
	    .parser = create_parse,
	    .args_doc = "NAME",
	    .doc = create_doc,
	};
	struct nb_network_rec nets[MAX_NETWORKS];
	struct nb_endpoint_rec eps[MAX_NETWORKS];
	struct nb_world_ref world = {0};
	struct nb_portmap *published = NULL;
	size_t npublished = 0;
	struct nb_portspec pspec;
	char pwhy[256];
	struct nb_sandbox_rec sb = {0}, dup;
	struct create_args a = {0};
	bool began = false, netns_made = false, pending = false;
	const char *special = NULL, *why = NULL;
	struct nb_store *st = NULL;
	struct nb_world *w;
	int i, nnets = 0, nattached = 0;
	bool resolv_written = false;
	struct in6_addr ip6 = {0};
	__be32 ip = 0;
	int err;

	memset(nets, 0, sizeof(nets));
	err = nb_argp_parse(&argp, "sandbox create", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	if (nb_name_check(a.name, &why)) {
		nb_errorf("sandbox \"%s\": invalid name: %s", a.name, why ? why : "");
		err = -EINVAL;
		goto cleanup;
	}
	if (a.ip && nb_parse_ipv4(a.ip, &ip)) {
		nb_errorf("sandbox \"%s\": invalid --ip \"%s\": not an IPv4 address", a.name, a.ip);
		err = -EINVAL;
		goto cleanup;
	}
	if (a.ip6 && (nb_parse_ipv6(a.ip6, &ip6) || nb_ipv6_is_zero(&ip6))) {
		nb_errorf("sandbox \"%s\": invalid --ip6 \"%s\": not an IPv6 address", a.name,
			  a.ip6);
		err = -EINVAL;
		goto cleanup;
	}
	/* a bad spec is refused before anything is created */
	for (i = 0; i < a.npublish; i++) {
		err = nb_portspec_parse(a.publish[i], &pspec, pwhy, sizeof(pwhy));
		if (err) {
			nb_errorf("sandbox \"%s\": publish \"%s\": %s", a.name, a.publish[i], pwhy);
			goto cleanup;
		}
	}
	err = nb_begin_change(inst, "sandbox create", &st);
	if (err)
		goto cleanup;
	began = true;
	nb_fault("sandbox-create:begin");

	err = nb_store_sandbox_find(st, a.name, &dup);
	if (!err && !strcmp(dup.name, a.name)) {
		nb_errorf("sandbox \"%s\" already exists (id %.*s)", a.name, NB_SHORT_ID_LEN,
			  dup.id);
		err = -EEXIST;
		goto cleanup;
	}
	err = resolve_networks(st, &a, nets, &nnets, &special);
	if (err)
		goto cleanup;

	if (special && !strcmp(special, NB_DRIVER_HOST)) {
		err = nb_host_netns_path(sb.netns, sizeof(sb.netns));
		if (err) {
			nb_errorf("sandbox \"%s\": the network namespace netbpfctl runs in has no "
				  "lasting path (neither /proc/1/ns/net nor under %s)",
				  a.name, NB_NETNS_RUN_DIR);
			goto cleanup;
		}
	} else if (a.netns || a.pid) {
		if (a.pid) {
			err = nb_netns_path_of_pid(a.pid, sb.netns);
			if (err) {
				nb_errorf("sandbox \"%s\": process %d: %s", a.name, (int)a.pid,
					  err == -ESRCH || err == -ENOENT ? "no such process"
									  : strerror(-err));
				goto cleanup;
			}
		} else {
			snprintf(sb.netns, sizeof(sb.netns), "%s", a.netns);
		}
		err = check_adopted(st, a.name, sb.netns);
		if (err)
			goto cleanup;
	} else {
		/* the netns is outside the transaction: an intent covers a crash (pending.h) */
		snprintf(sb.netns, sizeof(sb.netns), "%s/%s", NB_NETNS_RUN_DIR, a.name);
		err = nb_pending_netns_add(inst->state_dir, sb.netns);
		if (err) {
			nb_errorf("sandbox \"%s\": cannot record the intent to create %s: %s",
				  a.name, sb.netns, strerror(-err));
			goto cleanup;
		}
		pending = true;
		err = nb_netns_create(a.name, sb.netns);
		if (err) {
			if (err == -EEXIST)
				nb_errorf("sandbox \"%s\": %s/%s already exists (adopt it with "
					  "--netns %s/%s)",
					  a.name, NB_NETNS_RUN_DIR, a.name, NB_NETNS_RUN_DIR,
					  a.name);
			else
				nb_errorf("sandbox \"%s\": cannot create its network namespace: %s",
					  a.name, strerror(-err));
			goto cleanup;
		}
		netns_made = true;
		sb.owned = true;
		nb_fault("sandbox-create:netns");
	}

	err = nb_id_new(sb.id);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot make an id: %s", a.name, strerror(-err));
		goto cleanup;
	}
	snprintf(sb.name, sizeof(sb.name), "%s", a.name);
	sb.created = nb_now_ns();
	err = nb_store_sandbox_add(st, &sb);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot record it: %s", a.name, strerror(-err));
		goto cleanup;
	}

	for (i = 0; i < nnets; i++) {
		w = NULL;
		if (!special) {
			err = nb_world_get(inst, &world, &w);
			if (err)
				goto cleanup;
		}
		err =
		    nb_attach(st, w, &nets[i], &sb, i == 0 ? ip : 0, i == 0 ? &ip6 : NULL, &eps[i]);
		if (err)
			goto cleanup;
		nattached++;
		/* like --ip, the aliases are the first network's (Docker's --network-alias) */
		if (i == 0)
			err = nb_endpoint_aliases_put(st, &sb, &nets[i], &eps[i], a.aliases,
						      (size_t)a.naliases);
		if (err)
			goto cleanup;
	}
	/* the ports go through the endpoints just made, in the same transaction */
	for (i = 0; i < a.npublish; i++) {
		if (special) {
			nb_errorf("sandbox \"%s\": publish \"%s\": the sandbox is on no bridge "
				  "network (a published port goes through one)",
				  a.name, a.publish[i]);
			err = -EINVAL;
			goto cleanup;
		}
		err = nb_world_get(inst, &world, &w);
		if (!err)
			err = nb_publish_add(st, w, &sb, a.publish[i], &published, &npublished);
		if (err)
			goto cleanup;
	}

	if (a.resolv_conf) {
		/* netbpfd serves user-defined bridge networks only, as Docker's embedded DNS */
		if (special || nets[0].builtin || !nets[0].gateway) {
			nb_errorf("sandbox \"%s\": --dns-resolv-conf: network \"%s\" has no DNS "
				  "(only user-defined bridge networks with IPv4 have: netbpfd "
				  "answers on the IPv4 gateway)",
				  a.name, nets[0].name);
			err = -EINVAL;
			goto cleanup;
		}
		err = nb_dns_write_resolv_conf(a.resolv_conf, nets[0].gateway);
		if (err) {
			nb_errorf("sandbox \"%s\": --dns-resolv-conf", a.name);
			goto cleanup;
		}
		resolv_written = true;
	}
	nb_fault("sandbox-create:commit");
	err = nb_store_commit(st);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot commit the state: %s", a.name, strerror(-err));
		goto cleanup;
	}
	began = false;
	nb_fault("sandbox-create:committed");
	printf("%s\n", sb.id);
cleanup:
	if (err && resolv_written)
		unlink(a.resolv_conf);
	if (err && npublished)
		nb_publish_unmap(&world.w, published, npublished);
	free(published);
	if (err)
		while (nattached--)
			if (!nb_endpoint_is_special(&eps[nattached]))
				nb_endpoint_unrealize(&world.w, &eps[nattached]);
	if (began)
		nb_store_rollback(st);
	if (err && netns_made)
		nb_netns_delete(sb.netns);
	if (pending)
		nb_pending_netns_clear(inst->state_dir, sb.netns);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	for (i = 0; i < nnets; i++)
		nb_network_rec_clear(&nets[i]);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- ls, inspect --------------------------------------------------------- */

/* What ls, inspect and rm need of one sandbox: its endpoints, in interface order */
struct sb_view {
	struct nb_endpoint_rec *eps;
	size_t neps;
	size_t nbridge; /* the endpoints with a kernel side */
};

static int sb_view_load(struct nb_store *st, const struct nb_sandbox_rec *sb, struct sb_view *v)
{
	size_t i;
	int err;

	memset(v, 0, sizeof(*v));
	err = nb_store_endpoint_list(st, NULL, sb->id, &v->eps, &v->neps);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read its endpoints: %s", sb->name,
			  strerror(-err));
		return err;
	}
	for (i = 0; i < v->neps; i++)
		v->nbridge += !nb_endpoint_is_special(&v->eps[i]);
	return 0;
}

static const char ls_doc[] =
    "List sandboxes.\n"
    "\n"
    "--format takes table, json (one object per line) or a Go template as Docker's does, over "
    "the fields ID, Name, Networks, IPAddresses, Netns ('table' first: a header row and aligned "
    "columns). --filter takes Docker's keys for containers: name (a regular expression matched "
    "inside), id (a prefix), network (a network's name or id), label=KEY[=VALUE] (sandboxes "
    "carry no labels yet: it matches none)."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl sandbox ls\n"
    "  netbpfctl sandbox ls --format json | jq -r .Name\n"
    "  netbpfctl sandbox ls --filter network=web --format '{{.Name}} {{.IPAddresses}}'\n";

static const struct argp_option ls_opts[] = {
    {"quiet", 'q', NULL, 0, "Only display sandbox ids", 0},
    {"format", NB_OPT_FORMAT, "table|json|TEMPLATE", 0,
     "table, json (one object per line) or a Go template ('{{.Name}}')", 0},
    {"filter", NB_OPT_FILTER, "KEY=VALUE", 0,
     "Only sandboxes that match (name, id, network, label; repeatable)", 0},
    {"no-trunc", NB_OPT_NO_TRUNC, NULL, 0, "Do not truncate the ids", 0},
    {0},
};

static const char *const ls_keys[] = {"id", "label", "name", "network", NULL};

/* Docker's ps filters on one sandbox: name (regex), id (prefix), network (name or id), label */
static bool sandbox_filter(const struct nb_filters *f, const struct nb_sandbox_rec *sb,
			   const struct sb_view *v, const struct nb_network_rec *nets, size_t nnets)
{
	const char **vals;
	size_t i, j, n;
	bool pass;
	json_t *labels;

	if (!f->n)
		return true;
	labels = json_object();
	pass = nb_filters_regex(f, "name", sb->name) && nb_filters_labels(f, "label", labels);
	json_decref(labels);
	vals = nb_filters_get(f, "id", &n);
	for (i = 0; pass && vals && i < n; i++)
		if (!strncmp(sb->id, vals[i], strlen(vals[i])))
			break;
	if (!vals || (n && i == n))
		pass = false;
	free(vals);
	vals = nb_filters_get(f, "network", &n);
	for (i = 0; pass && vals && i < n; i++) {
		for (j = 0; j < v->neps; j++) {
			const struct nb_network_rec *net =
			    nb_network_recs_by_id(nets, nnets, v->eps[j].network_id);

			if (net && (!strcmp(net->name, vals[i]) || !strcmp(net->id, vals[i])))
				break;
		}
		if (j < v->neps)
			break;
	}
	if (!vals || (n && i == n))
		pass = false;
	free(vals);
	return pass;
}

static int cmp_sandbox_name(const void *a, const void *b)
{
	const struct nb_sandbox_rec *x = a, *y = b;

	return nb_natural_cmp(x->name, y->name);
}

/* "web,db" and "10.1.0.2,10.2.0.2" for one sandbox, in interface order */
static void sb_view_columns(const struct sb_view *v, const struct nb_network_rec *nets,
			    size_t nnets, char *networks, size_t nsize, char *ips, size_t isize)
{
	char ip[NB_IPV6_STRLEN];
	size_t i, nl = 0, il = 0;

	networks[0] = ips[0] = '\0';
	for (i = 0; i < v->neps; i++) {
		const struct nb_network_rec *net =
		    nb_network_recs_by_id(nets, nnets, v->eps[i].network_id);
		const char *name = net ? net->name : v->eps[i].network_id;

		if (nl < nsize)
			nl +=
			    (size_t)snprintf(networks + nl, nsize - nl, "%s%s", i ? "," : "", name);
		/* host and none have no address */
		if (il < isize && !nb_endpoint_is_special(&v->eps[i]) && v->eps[i].ip)
			il += (size_t)snprintf(ips + il, isize - il, "%s%s", il ? "," : "",
					       nb_fmt_ipv4(v->eps[i].ip, ip));
		/* a dual-stack endpoint: its IPv6 address after the IPv4 one */
		if (il < isize && !nb_ipv6_is_zero(&v->eps[i].ip6))
			il += (size_t)snprintf(ips + il, isize - il, "%s%s", il ? "," : "",
					       nb_fmt_ipv6(&v->eps[i].ip6, ip));
	}
}

static int sandbox_ls(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = ls_opts,
	    .parser = nb_ls_parse,
	    .args_doc = NULL,
	    .doc = ls_doc,
	};
	static const char *const headers[] = {"SANDBOX ID", "NAME", "NETWORKS", "IP ADDRESSES",
					      "NETNS"};
	struct nb_network_rec *nets = NULL;
	struct nb_sandbox_rec *sbs = NULL;
	struct nb_table *t = NULL;
	struct nb_tmpl *tmpl = NULL;
	struct nb_ls_args a = {0};
	struct nb_store *st = NULL;
	json_t *rows = NULL, *header = NULL;
	size_t i, nnets = 0, nsbs = 0;
	int err;

	err = nb_argp_parse(&argp, "sandbox ls", argc, argv, 0, &a);
	if (!err && a.oom)
		err = -ENOMEM;
	if (!err)
		err = nb_filters_check(&a.filters, "sandbox ls", ls_keys);
	if (!err && a.tmpl && !a.quiet) {
		tmpl = nb_tmpl_parse(a.tmpl, NB_TMPL_LS);
		rows = json_array();
		if (!tmpl)
			err = -EINVAL;
	}
	if (err)
		goto cleanup;
	err = nb_open_state(inst, false, &st);
	if (err)
		goto cleanup;
	err = nb_store_network_list(st, &nets, &nnets);
	if (!err)
		err = nb_store_sandbox_list(st, &sbs, &nsbs);
	if (err) {
		nb_errorf("sandboxes: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	qsort(sbs, nsbs, sizeof(*sbs), cmp_sandbox_name);
	if (!a.quiet && !a.json && !tmpl) {
		t = nb_table_new(headers, 5);
		if (!t) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (i = 0; i < nsbs; i++) {
		char id[NB_ID_LEN + 1], networks[1024], ips[1024];
		struct sb_view v;

		snprintf(id, sizeof(id), "%.*s", a.no_trunc ? NB_ID_LEN : NB_SHORT_ID_LEN,
			 sbs[i].id);
		err = sb_view_load(st, &sbs[i], &v);
		if (err)
			goto cleanup;
		if (!sandbox_filter(&a.filters, &sbs[i], &v, nets, nnets)) {
			free(v.eps);
			continue;
		}
		if (a.quiet) {
			free(v.eps);
			printf("%s\n", id);
			continue;
		}
		sb_view_columns(&v, nets, nnets, networks, sizeof(networks), ips, sizeof(ips));
		free(v.eps);
		if (a.json || tmpl) {
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ID", id, "IPAddresses",
					      ips, "Name", sbs[i].name, "Netns", sbs[i].netns,
					      "Networks", networks);
			char *cid = NULL;

			/* a runtime's sandbox: the container id it is keyed by (CNI DEL/CHECK) */
			if (!nb_store_sandbox_container(st, sbs[i].id, &cid))
				json_object_set_new(o, "ContainerID", json_string(cid));
			free(cid);

			if (tmpl) {
				json_array_append_new(rows, o);
				continue;
			}
			nb_json_print_line(stdout, o);
			json_decref(o);
		} else {
			const char *row[] = {id, sbs[i].name, networks, ips, sbs[i].netns};

			err = nb_table_add(t, row);
			if (err)
				goto cleanup;
		}
	}
	if (t)
		nb_table_print(t, stdout);
	if (tmpl) {
		header = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ID", "SANDBOX ID", "Name", "NAME",
				   "Networks", "NETWORKS", "IPAddresses", "IP ADDRESSES", "Netns",
				   "NETNS");
		err = nb_tmpl_exec_rows(tmpl, header, rows, NULL, stdout);
	}
cleanup:
	json_decref(header);
	json_decref(rows);
	nb_tmpl_free(tmpl);
	nb_filters_free(&a.filters);
	nb_table_free(t);
	free(sbs);
	nb_network_recs_free(nets, nnets);
	if (st)
		nb_store_close(st);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/*
 * Docker's NetworkSettings.Ports of a sandbox: "80/tcp" -> [{"HostIp", "HostPort"}], from
 * its published ports (NULL with the error slot set when they cannot be read)
 */
static json_t *sandbox_ports(struct nb_store *st, const struct nb_sandbox_rec *sb)
{
	struct nb_publish_rec *pubs = NULL;
	json_t *ports = json_object();
	size_t i, n = 0;
	int err;

	err = nb_store_publish_list(st, sb->id, &pubs, &n);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read its published ports: %s", sb->name,
			  strerror(-err));
		json_decref(ports);
		return NULL;
	}
	for (i = 0; ports && i < n; i++) {
		char key[32], hport[8], hip[NB_IPV4_STRLEN];
		json_t *list;

		snprintf(key, sizeof(key), "%u/%s", pubs[i].sb_port, nb_proto_name(pubs[i].proto));
		snprintf(hport, sizeof(hport), "%u", pubs[i].host_port);
		list = json_object_get(ports, key);
		if (!list) {
			list = json_array();
			json_object_set_new(ports, key, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
						      nb_fmt_ipv4(pubs[i].host_ip, hip), "HostPort",
						      hport));
	}
	free(pubs);
	return ports;
}

/* an endpoint's aliases as Docker shows them: null when it has none */
static json_t *endpoint_aliases(struct nb_store *st, const struct nb_endpoint_rec *ep)
{
	json_t *list = NULL;
	char *text = NULL;

	if (!nb_store_endpoint_aliases(st, ep->id, &text))
		list = json_loads(text, 0, NULL);
	free(text);
	if (json_is_array(list) && json_array_size(list))
		return list;
	json_decref(list);
	return json_null();
}

static json_t *sandbox_json(struct nb_store *st, const struct nb_sandbox_rec *sb,
			    const struct sb_view *v, const struct nb_network_rec *nets, size_t nnets,
			    json_t *ports)
{
	char when[NB_TIME_STRLEN], ip[NB_IPV4_STRLEN], gw[NB_IPV4_STRLEN], mac[18];
	char ip6[NB_IPV6_STRLEN], gw6[NB_IPV6_STRLEN];
	json_t *networks = json_object();
	size_t i;

	for (i = 0; i < v->neps; i++) {
		const struct nb_network_rec *net =
		    nb_network_recs_by_id(nets, nnets, v->eps[i].network_id);
		bool special, v4, v6;
		json_t *e;

		if (!net)
			continue;
		special = nb_endpoint_is_special(&v->eps[i]);
		v6 = !special && !nb_ipv6_is_zero(&v->eps[i].ip6);
		v4 = !special && v->eps[i].ip; /* not on an IPv6-only network */
		/*
		 * Docker's EndpointSettings: IPAMConfig is null until a static address
		 * is asked for (netbpf does not record whether it was), Aliases until an
		 * alias is
		 */
		e = json_pack("{s:n, s:o, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:i}",
			      "IPAMConfig", "Aliases", endpoint_aliases(st, &v->eps[i]),
			      "NetworkID", net->id, "EndpointID", v->eps[i].id, "Gateway",
			      v4 ? nb_fmt_ipv4(net->gateway, gw) : "", "IPAddress",
			      v4 ? nb_fmt_ipv4(v->eps[i].ip, ip) : "", "IPPrefixLen",
			      v4 ? net->subnet.len : 0, "MacAddress",
			      special ? "" : nb_fmt_mac(v->eps[i].mac, mac), "IPv6Gateway",
			      v6 ? nb_fmt_ipv6(&net->gateway6, gw6) : "", "GlobalIPv6Address",
			      v6 ? nb_fmt_ipv6(&v->eps[i].ip6, ip6) : "", "GlobalIPv6PrefixLen",
			      v6 ? net->subnet6.len : 0);
		json_object_set_new(networks, net->name, e);
	}
	return json_pack("{s:s, s:s, s:s, s:{s:o, s:s, s:o}}", "Id", sb->id, "Name", sb->name,
			 "Created", nb_fmt_time_rfc3339nano(sb->created, when), "NetworkSettings",
			 "Ports", ports, "SandboxKey", sb->netns, "Networks", networks);
}

/* sandbox inspect's schema for templates: which objects are Go maps */
static const char *const inspect_maps[] = {"NetworkSettings.Ports", "NetworkSettings.Networks",
					   NULL};
static const char *const inspect_times[] = {"Created", NULL};
static const struct nb_tmpl_schema inspect_schema = {.maps = inspect_maps,
						     .times = inspect_times};

static const char inspect_doc[] = "Display detailed information on one or more sandboxes.\n"
				  "\n"
				  "-f takes a Go template as `docker inspect -f` does."
				  "\v"
				  "EXAMPLES:\n"
				  "  netbpfctl sandbox inspect box1\n"
				  "  netbpfctl sandbox inspect -f "
				  "'{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' box1\n"
				  "  netbpfctl sandbox inspect box1 | "
				  "jq -r '.[0].NetworkSettings.Networks.bridge.IPAddress'\n";

/* NAME... (and -f for rm) */
struct names_args {
	int first, n;
	bool force;
	bool f_is_format; /* inspect: -f is --format */
	const char *format;
};

static error_t names_parse(int key, char *arg, struct argp_state *state)
{
	struct names_args *a = state->input;

	switch (key) {
	case 'f':
		if (a->f_is_format)
			a->format = arg;
		else
			a->force = true;
		break;
	case ARGP_KEY_ARGS:
		a->first = state->next;
		a->n = state->argc - state->next;
		break;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "at least one SANDBOX is expected");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_option inspect_opts[] = {
    {"format", 'f', "TEMPLATE", 0, "Format the output using the given Go template", 0},
    {0},
};

static int sandbox_inspect(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = inspect_opts,
	    .parser = names_parse,
	    .args_doc = "SANDBOX...",
	    .doc = inspect_doc,
	};
	struct nb_network_rec *nets = NULL;
	struct names_args a = {.f_is_format = true};
	struct nb_tmpl *tmpl = NULL;
	struct nb_store *st = NULL;
	json_t *list = NULL;
	size_t nnets = 0;
	int i, err, failed = 0;

	err = nb_argp_parse(&argp, "sandbox inspect", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	err = nb_inspect_tmpl(a.format, &tmpl);
	if (err)
		goto cleanup;
	err = nb_open_state(inst, false, &st);
	if (err)
		goto cleanup;
	err = nb_store_network_list(st, &nets, &nnets);
	if (err) {
		nb_errorf("sandboxes: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	list = json_array();
	for (i = 0; i < a.n; i++) {
		struct nb_sandbox_rec sb;
		struct sb_view v;
		json_t *ports, *o;
		char *cid = NULL;

		if (nb_find_sandbox(st, argv[a.first + i], &sb) || sb_view_load(st, &sb, &v)) {
			failed++;
			continue;
		}
		ports = sandbox_ports(st, &sb);
		o = ports ? sandbox_json(st, &sb, &v, nets, nnets, ports) : NULL;
		if (o) {
			/* a runtime's sandbox (named after its pod): the container id it is keyed by */
			if (!nb_store_sandbox_container(st, sb.id, &cid))
				json_object_set_new(o, "ContainerID", json_string(cid));
			free(cid);
			json_array_append_new(list, o);
		} else {
			failed++;
		}
		free(v.eps);
	}
	err = nb_inspect_print(list, tmpl, &inspect_schema);
cleanup:
	nb_tmpl_free(tmpl);
	json_decref(list);
	nb_network_recs_free(nets, nnets);
	if (st)
		nb_store_close(st);
	return err || failed ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- rm ------------------------------------------------------------------ */

static const char rm_doc[] =
    "Remove one or more sandboxes: their endpoints, and their network namespace when netbpf "
    "created it (an adopted one is left alone).\n"
    "\n"
    "Without -f a sandbox whose network namespace is gone, or whose endpoints cannot be "
    "removed from the kernel, is kept and the cause reported; with -f it goes anyway."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl sandbox rm box1 box2\n"
    "  netbpfctl sandbox rm -f box3\n";

static const struct argp_option rm_opts[] = {
    {"force", 'f', NULL, 0, "Remove even when the netns or kernel pieces are gone", 0},
    {0},
};

/* Removes one sandbox inside the caller's transaction; *detached counts undoable steps */
static int sandbox_remove(const struct nb_instance *inst, struct nb_store *st,
			  struct nb_world_ref *world, const struct nb_sandbox_rec *sb,
			  const struct sb_view *v, bool force, size_t *detached)
{
	struct nb_world *w = NULL;
	size_t i;
	int fd, err;

	*detached = 0;
	/* host/none rows need neither the netns nor the kernel */
	if (sb->owned || v->nbridge) {
		fd = nb_netns_open(sb->netns);
		if (fd >= 0) {
			close(fd);
		} else if (!force) {
			nb_errorf("sandbox \"%s\": its network namespace %s is gone (%s); use -f "
				  "to remove the sandbox anyway",
				  sb->name, sb->netns, strerror(-fd));
			return fd;
		}
	}
	if (v->nbridge) {
		err = nb_world_get(inst, world, &w);
		if (err && !force)
			return err;
	}
	for (i = 0; i < v->neps; i++) {
		err = nb_detach(st, w, &v->eps[i], force);
		if (err)
			return err;
		/* what nb_reattach can put back, in order */
		if (w || nb_endpoint_is_special(&v->eps[i]))
			(*detached)++;
	}
	err = nb_store_sandbox_del(st, sb->id);
	if (err)
		nb_errorf("sandbox \"%s\": cannot delete its record: %s", sb->name, strerror(-err));
	return err;
}

static int sandbox_rm(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = rm_opts,
	    .parser = names_parse,
	    .args_doc = "SANDBOX...",
	    .doc = rm_doc,
	};
	struct nb_network_rec *nets = NULL;
	struct nb_world_ref world = {0};
	struct names_args a = {0};
	struct nb_store *st = NULL;
	size_t nnets = 0;
	int i, err, failed = 0;

	err = nb_argp_parse(&argp, "sandbox rm", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	err = nb_need_root("sandbox rm");
	if (err)
		goto cleanup;
	err = nb_open_state(inst, true, &st);
	if (err)
		goto cleanup;
	err = nb_store_network_list(st, &nets, &nnets);
	if (err) {
		nb_errorf("sandboxes: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	/* like Docker, each sandbox on its own */
	for (i = 0; i < a.n; i++) {
		const char *arg = argv[a.first + i];
		struct nb_sandbox_rec sb;
		struct sb_view v = {0};
		size_t detached = 0, j;
		bool pending = false;
		int e;

		e = nb_store_begin(st);
		if (e) {
			failed++;
			continue;
		}
		e = nb_find_sandbox(st, arg, &sb);
		if (!e)
			e = sb_view_load(st, &sb, &v);
		if (!e)
			e = sandbox_remove(inst, st, &world, &sb, &v, a.force, &detached);
		/* the netns goes after the commit: an intent covers a crash between (pending.h) */
		if (!e && sb.owned) {
			e = nb_pending_netns_add(inst->state_dir, sb.netns);
			if (e)
				nb_errorf("sandbox \"%s\": cannot record the intent to delete %s: %s",
					  sb.name, sb.netns, strerror(-e));
			pending = !e;
		}
		if (!e) {
			nb_fault("sandbox-rm:commit");
			e = nb_store_commit(st);
			if (e)
				nb_errorf("sandbox \"%s\": cannot commit the state: %s", sb.name,
					  strerror(-e));
		}
		if (e) {
			nb_store_rollback(st);
			for (j = 0; j < detached; j++) {
				const struct nb_network_rec *net =
				    nb_network_recs_by_id(nets, nnets, v.eps[j].network_id);

				if (net)
					nb_reattach(st, &world.w, net, &sb, &v.eps[j]);
			}
			failed++;
		} else {
			nb_fault("sandbox-rm:committed");
			if (sb.owned && (e = nb_netns_delete(sb.netns)) && e != -ENOENT) {
				nb_errorf("sandbox \"%s\" removed, but its network namespace %s "
					  "could not be deleted: %s",
					  sb.name, sb.netns, strerror(-e));
				failed++;
			} else {
				printf("%s\n", arg);
			}
		}
		if (pending)
			nb_pending_netns_clear(inst->state_dir, sb.netns);
		free(v.eps);
	}
cleanup:
	nb_world_put(&world);
	nb_network_recs_free(nets, nnets);
	if (st)
		nb_store_close(st);
	return err || failed ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- exec ---------------------------------------------------------------- */

static const char exec_doc[] =
    "Run a command inside a sandbox's network namespace; exits with the command's status.\n"
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl sandbox exec box1 -- ip addr\n"
    "  netbpfctl sandbox exec box1 -- ping -c1 172.17.0.1\n";

struct exec_args {
	const char *name;
	int cmd; /* index in argv of the command's first word */
};

static error_t exec_parse(int key, char *arg, struct argp_state *state)
{
	struct exec_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (!a->name) {
			a->name = arg;
			break;
		}
		/* everything from here on belongs to the command, options included */
		a->cmd = state->next - 1;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!a->name)
			argp_error(state, "the SANDBOX is missing");
		if (!a->cmd)
			argp_error(state, "the COMMAND is missing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * As `ip netns exec` does: a private mount namespace with a sysfs of the
 * sandbox's netns, so /sys/class/net shows the sandbox's interfaces. Best
 * effort: without it the command still runs in the right netns.
 */
static void remount_sys(const struct nb_instance *inst)
{
	if (unshare(CLONE_NEWNS) || mount("", "/", NULL, MS_SLAVE | MS_REC, NULL)) {
		nb_debugf(inst, "sandbox exec: private mount namespace: %s", strerror(errno));
		return;
	}
	if (umount2("/sys", MNT_DETACH) || mount("sysfs", "/sys", "sysfs", 0, NULL))
		nb_debugf(inst, "sandbox exec: remounting /sys: %s", strerror(errno));
}

static int sandbox_exec(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = NULL,
	    .parser = exec_parse,
	    .args_doc = "SANDBOX -- COMMAND [ARG...]",
	    .doc = exec_doc,
	};
	struct exec_args a = {0};
	struct nb_store *st = NULL;
	struct nb_sandbox_rec sb;
	bool host;
	int fd, err;

	err = nb_argp_parse(&argp, "sandbox exec", argc, argv, ARGP_IN_ORDER, &a);
	if (err)
		return NB_EXIT_ERR;
	if (nb_need_root("sandbox exec"))
		return NB_EXIT_ERR;
	err = nb_open_state(inst, false, &st);
	if (err)
		return NB_EXIT_ERR;
	err = nb_find_sandbox(st, a.name, &sb);
	/* the lock and the database must not live on in the command */
	nb_store_close(st);
	if (err)
		return NB_EXIT_ERR;

	fd = nb_netns_open(sb.netns);
	if (fd < 0) {
		nb_errorf("sandbox \"%s\": cannot open its network namespace %s: %s", sb.name,
			  sb.netns, strerror(-fd));
		return NB_EXIT_ERR;
	}
	host = nb_netns_is_host(sb.netns);
	err = nb_netns_enter(fd);
	close(fd);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot enter its network namespace %s: %s", sb.name,
			  sb.netns, strerror(-err));
		return NB_EXIT_ERR;
	}
	if (!host)
		remount_sys(inst);
	fflush(NULL);
	execvp(argv[a.cmd], &argv[a.cmd]);
	err = errno;
	nb_errorf("sandbox \"%s\": %s: %s", sb.name, argv[a.cmd], strerror(err));
	/* the shell's convention, as `docker exec` follows it */
	return err == ENOENT ? 127 : 126;
}

/* ---- the group ----------------------------------------------------------- */

static const struct nb_subcmd sandbox_cmds[] = {
    {"create", sandbox_create, "Create a sandbox and connect it to networks"},
    {"ls", sandbox_ls, "List sandboxes"},
    {"inspect", sandbox_inspect, "Display detailed information on one or more sandboxes"},
    {"rm", sandbox_rm, "Remove one or more sandboxes"},
    {"exec", sandbox_exec, "Run a command in a sandbox's network namespace"},
};

int cmd_sandbox(const struct nb_instance *inst, int argc, char **argv)
{
	return nb_subcmd_run(inst, "sandbox", sandbox_cmds,
			     sizeof(sandbox_cmds) / sizeof(sandbox_cmds[0]), argc, argv);
}
