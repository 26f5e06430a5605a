// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl network create|ls|inspect|rm|prune|connect|disconnect`, with
 * Docker's options, output and resolution of names and ids. Every command
 * that changes something is one store transaction; the kernel is made to
 * match before the commit and put back when anything fails.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"
#include "template.h"

/* ---- shared -------------------------------------------------------------- */

enum {
	OPT_SUBNET = 0x100,
	OPT_GATEWAY,
	OPT_IP_RANGE,
	OPT_INTERNAL,
	OPT_MTU,
	OPT_LABEL,
	OPT_IP,
	OPT_IPAM_DRIVER,
	OPT_SCOPE,
	OPT_ATTACHABLE,
	OPT_AUX_ADDRESS,
	OPT_ALIAS,
	OPT_FORCE,
	OPT_IPV6,
	OPT_IPV4,
	OPT_IP6,
};

static int cmp_network_name(const void *a, const void *b)
{
	const struct nb_network_rec *x = a, *y = b;

	return nb_natural_cmp(x->name, y->name);
}

/* The driver as Docker names it: the none network's is "null" */
static const char *docker_driver(const char *driver)
{
	return !strcmp(driver, NB_DRIVER_NONE) ? "null" : driver;
}

/* A stored JSON object (options, labels) with its keys sorted as Go prints a map */
static json_t *json_map(const char *text)
{
	json_t *src = text ? json_loads(text, 0, NULL) : NULL;
	json_t *dst = json_object();
	const char **keys = NULL;
	const char *key;
	json_t *val;
	size_t i, n = 0;

	if (!dst || !json_is_object(src))
		goto cleanup;
	keys = calloc(json_object_size(src) + 1, sizeof(*keys));
	if (!keys)
		goto cleanup;
	json_object_foreach(src, key, val) keys[n++] = key;
	for (i = 1; i < n; i++) {
		const char *k = keys[i];
		size_t j = i;

		for (; j > 0 && strcmp(keys[j - 1], k) > 0; j--)
			keys[j] = keys[j - 1];
		keys[j] = k;
	}
	for (i = 0; i < n; i++)
		json_object_set(dst, keys[i], json_object_get(src, keys[i]));
cleanup:
	free(keys);
	json_decref(src);
	return dst;
}

/* ---- create -------------------------------------------------------------- */

static const char create_doc[] =
    "Create a network.\n"
    "\n"
    "Options -o KEY=VALUE (Docker's): com.docker.network.bridge.enable_icc=true|false, "
    "com.docker.network.bridge.enable_ip_masquerade=true|false, "
    "com.docker.network.bridge.host_binding_ipv4=IP, com.docker.network.driver.mtu=N, "
    "com.docker.network.bridge.gateway_mode_ipv4=nat|routed (routed: no masquerade, and from "
    "outside the published container ports, and only those, are reachable at the sandboxes' "
    "own addresses; with nat, the default, nothing is), "
    "com.docker.network.bridge.name=NAME (kept and shown by inspect; netbpf names its devices "
    "itself). --ipam-driver default and --scope local are Docker's defaults, accepted. "
    "Without --subnet a free one is picked from Docker's default pools "
    "(172.17.0.0/16 .. 172.31.0.0/16, then 192.168.0.0/20 steps), skipping those that overlap "
    "a route or an address of the host, as Docker does; an explicit --subnet overlapping one is "
    "refused unless --force is given. IPv6: --ipv6 with an IPv6 --subnet (no IPv6 subnet is "
    "picked, as in Docker 20.10) makes a dual-stack network; the IPv4 subnet is still picked "
    "when not given. --gateway and --ip-range go with the subnet of their family. Prints the "
    "new network's id."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl network create web\n"
    "  netbpfctl network create --ipv6 --subnet 10.1.0.0/16 --subnet fd00:1::/64 dual\n"
    "  netbpfctl network create --ipv6 --ipv4=false --subnet fd00:2::/64 only6\n"
    "  netbpfctl network create --subnet 10.1.0.0/16 --ip-range 10.1.5.0/24 db\n"
    "  netbpfctl network create --internal iso\n"
    "  netbpfctl network create -o com.docker.network.bridge.enable_icc=false noicc\n"
    "  netbpfctl network create -o com.docker.network.bridge.gateway_mode_ipv4=routed lan\n"
    "  netbpfctl network create --subnet 10.2.0.0/16 --aux-address router=10.2.0.254 --attachable "
    "lan2\n";

static const struct argp_option create_opts[] = {
    {"driver", 'd', "DRIVER", 0,
     "Driver: \"bridge\" (the default) or \"overlay\" (across the hosts of a cluster: "
     "needs `up --store`)",
     0},
    {"subnet", OPT_SUBNET, "CIDR", 0,
     "Subnet, e.g. 10.1.0.0/16; once more for the IPv6 one with --ipv6 (fd00:1::/64)", 0},
    {"gateway", OPT_GATEWAY, "IP", 0,
     "Gateway address of the subnet of its family (default: the first of the subnet)", 0},
    {"ip-range", OPT_IP_RANGE, "CIDR", 0,
     "Allocate endpoint addresses from this range (one per family)", 0},
    {"ipv6", OPT_IPV6, NULL, 0, "Enable IPv6 (needs an IPv6 --subnet)", 0},
    {"ipv4", OPT_IPV4, "BOOL", 0,
     "--ipv4=false: an IPv6-only network (with --ipv6; Docker 27's flag)", 0},
    {"internal", OPT_INTERNAL, NULL, 0, "Restrict traffic to the subnet and the gateway", 0},
    {"mtu", OPT_MTU, "N", 0,
     "MTU of the endpoints (" NB_STR(NB_MTU_MIN) ".." NB_STR(NB_MTU_MAX) ", default " NB_STR(
	 NB_MTU_DEFAULT) ")",
     0},
    {"label", OPT_LABEL, "KEY=VALUE", 0, "Set metadata (repeatable)", 0},
    {"opt", 'o', "KEY=VALUE", 0, "Set a driver option (repeatable)", 0},
    {"attachable", OPT_ATTACHABLE, NULL, 0, "Docker's flag: kept and shown by inspect", 0},
    {"aux-address", OPT_AUX_ADDRESS, "NAME=IP", 0,
     "An address of the subnet never given to a sandbox (repeatable)", 0},
    {"ipam-driver", OPT_IPAM_DRIVER, "DRIVER", 0, "IPAM driver (\"default\", the only one)", 0},
    {"scope", OPT_SCOPE, "SCOPE", 0, "Scope (\"local\", the only one)", 0},
    {"force", OPT_FORCE, NULL, 0,
     "Create the network even when --subnet overlaps a route or an address of the host", 0},
    {0},
};

struct create_args {
	struct nb_net_spec spec;
	bool oom;
};

static void push(const char ***v, size_t *n, const char *s, bool *oom)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv) {
		*oom = true;
		return;
	}
	nv[(*n)++] = s;
	*v = nv;
}

static error_t create_parse(int key, char *arg, struct argp_state *state)
{
	struct create_args *a = state->input;
	struct nb_net_spec *s = &a->spec;

	switch (key) {
	case 'd':
		s->driver = arg;
		break;
	/* one subnet (gateway, range) per family, told apart by the ':' of IPv6 */
	case OPT_SUBNET:
		if (nb_str_is_ipv6(arg) ? s->subnet6 : s->subnet)
			argp_error(state,
				   "only one IPv4 and one IPv6 --subnet are supported (\"%s\" and "
				   "\"%s\")",
				   nb_str_is_ipv6(arg) ? s->subnet6 : s->subnet, arg);
		*(nb_str_is_ipv6(arg) ? &s->subnet6 : &s->subnet) = arg;
		break;
	case OPT_GATEWAY:
		if (nb_str_is_ipv6(arg) ? s->gateway6 : s->gateway)
			argp_error(state, "only one --gateway per address family");
		*(nb_str_is_ipv6(arg) ? &s->gateway6 : &s->gateway) = arg;
		break;
	case OPT_IP_RANGE:
		if (nb_str_is_ipv6(arg) ? s->ip_range6 : s->ip_range)
			argp_error(state, "only one --ip-range per address family");
		*(nb_str_is_ipv6(arg) ? &s->ip_range6 : &s->ip_range) = arg;
		break;
	case OPT_IPV6:
		s->ipv6 = true;
		break;
	case OPT_IPV4: {
		bool v4;

		if (nb_parse_bool(arg, &v4))
			argp_error(state, "--ipv4 \"%s\": must be \"true\" or \"false\"", arg);
		s->no_ipv4 = !v4;
		break;
	}
	case OPT_INTERNAL:
		s->internal = true;
		break;
	case OPT_FORCE:
		s->force = true;
		break;
	case OPT_MTU:
		s->mtu = arg;
		break;
	case OPT_LABEL:
		push(&s->labels, &s->nlabels, arg, &a->oom);
		break;
	case 'o':
		push(&s->opts, &s->nopts, arg, &a->oom);
		break;
	case OPT_ATTACHABLE:
		s->attachable = true;
		break;
	case OPT_AUX_ADDRESS:
		push(&s->aux, &s->naux, arg, &a->oom);
		break;
	/* Docker's flags whose only value here is the default: accepted, so its scripts run */
	case OPT_IPAM_DRIVER:
		if (strcmp(arg, "default"))
			argp_error(state, "--ipam-driver \"%s\" is not supported (only \"default\")",
				   arg);
		break;
	case OPT_SCOPE:
		if (strcmp(arg, "local"))
			argp_error(state, "--scope \"%s\" is not supported (only \"local\")", arg);
		break;
	case ARGP_KEY_ARG:
		if (s->name)
			argp_error(state, "exactly one NAME is expected, got \"%s\" too", arg);
		s->name = arg;
		break;
	case ARGP_KEY_END:
		if (!s->name)
			argp_error(state, "the network's NAME is missing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int network_create(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = create_opts,
	    .parser = create_parse,
	    .args_doc = "NAME",
	    .doc = create_doc,
	};
	struct create_args a = {0};
	struct nb_network_rec rec = {0};
	struct nb_world_ref world = {0};
	bool began = false, realized = false;
	struct nb_store *st = NULL;
	int err;

	err = nb_argp_parse(&argp, "network create", argc, argv, 0, &a);
	if (err || a.oom) {
		err = err ? err : -ENOMEM;
		goto cleanup;
	}
	err = nb_begin_change(inst, "network create", &st);
	if (err)
		goto cleanup;
	began = true;

	err = nb_network_create(inst, st, &world, &a.spec, &rec);
	if (err)
		goto cleanup;
	realized = true; /* undone below unless the commit keeps it */

	nb_fault("network-create:commit");
	err = nb_store_commit(st);
	if (err) {
		nb_errorf("network \"%s\": cannot commit the state: %s", rec.name, strerror(-err));
		goto cleanup;
	}
	began = false;
	printf("%s\n", rec.id);
cleanup:
	if (err && realized)
		nb_network_unrealize(&world.w, &rec);
	if (began)
		nb_store_rollback(st);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	nb_network_rec_clear(&rec);
	free(a.spec.labels);
	free(a.spec.opts);
	free(a.spec.aux);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- ls ------------------------------------------------------------------ */

static const char ls_doc[] =
    "List networks.\n"
    "\n"
    "--format takes table, json (one object per line) or a Go template as Docker's does, over "
    "the fields ID, Name, Driver, Scope, IPv6, Internal, Labels, CreatedAt ('table' first: a "
    "header row and aligned columns). --filter takes Docker's keys: name and id (regular "
    "expressions matched inside), driver, scope, label=KEY or label=KEY=VALUE, "
    "type=custom|builtin, dangling=true|false; values of one key are alternatives, keys all "
    "apply."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl network ls\n"
    "  netbpfctl network ls -q\n"
    "  netbpfctl network ls --format json | jq -r .Name\n"
    "  netbpfctl network ls --format '{{.Name}}' --filter driver=bridge --filter type=custom\n"
    "  netbpfctl network ls --format 'table {{.ID}}\\t{{.Name}}\\t{{.Labels}}' -f label=env\n";

static const struct argp_option ls_opts[] = {
    {"quiet", 'q', NULL, 0, "Only display network ids", 0},
    {"format", NB_OPT_FORMAT, "table|json|TEMPLATE", 0,
     "table, json (one object per line) or a Go template ('{{.Name}}')", 0},
    {"filter", NB_OPT_FILTER, "KEY=VALUE", 0,
     "Only networks that match (name, id, driver, scope, label, type, dangling; repeatable)", 0},
    {"no-trunc", NB_OPT_NO_TRUNC, NULL, 0, "Do not truncate the ids", 0},
    {0},
};

/* Go-template schema of `network ls`'s rows: strings only, as Docker's formatter context */
static const char *const ls_keys[] = {"dangling", "driver", "id", "label",
				      "name",	  "scope",  "type", NULL};

/* The header row of `network ls --format 'table ...'`: Docker's column titles */
static json_t *network_ls_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID", "Name",
			 "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv6", "IPV6", "Internal",
			 "INTERNAL", "Labels", "LABELS", "CreatedAt", "CREATED AT");
}

/* The values of --filter type= and dangling= are checked before any network is */
static int network_filters_check(const struct nb_filters *f, const char *what,
				 const char *const *keys)
{
	const char **v;
	size_t i, n;
	int err;

	err = nb_filters_check(f, what, keys);
	if (err)
		return err;
	v = nb_filters_get(f, "type", &n);
	for (i = 0; v && i < n; i++) {
		if (strcmp(v[i], "custom") && strcmp(v[i], "builtin")) {
			nb_errorf("%s: invalid filter 'type'='%s' (custom or builtin)", what, v[i]);
			err = -EINVAL;
			break;
		}
	}
	free(v);
	if (err)
		return err;
	v = nb_filters_get(f, "dangling", &n);
	if (v && n > 1) {
		nb_errorf("%s: got more than one value for filter key \"dangling\"", what);
		err = -EINVAL;
	} else if (v && n == 1 && strcmp(v[0], "true") && strcmp(v[0], "1") &&
		   strcmp(v[0], "false") && strcmp(v[0], "0")) {
		nb_errorf("%s: invalid value for filter 'dangling', must be \"true\" (or \"1\"), "
			  "or \"false\" (or \"0\")",
			  what);
		err = -EINVAL;
	}
	free(v);
	return v ? err : -ENOMEM;
}

/* 1 when net passes every filter, 0 when not, -errno when its endpoints cannot be read */
static int network_filter(struct nb_store *st, const struct nb_filters *f,
			  const struct nb_network_rec *net)
{
	const char **v;
	size_t i, n;
	bool pass = true;
	json_t *labels;

	if (!f->n)
		return 1;
	labels = json_map(net->labels);
	pass = nb_filters_exact(f, "driver", docker_driver(net->driver)) && nb_filters_regex(f, "name", net->name) &&
	       nb_filters_regex(f, "id", net->id) && nb_filters_labels(f, "label", labels) &&
	       nb_filters_exact(f, "scope", net->vni ? "swarm" : "local");
	json_decref(labels);
	v = nb_filters_get(f, "type", &n);
	if (!v)
		return -ENOMEM;
	for (i = 0; pass && n && i < n; i++)
		if (!strcmp(v[i], net->builtin ? "builtin" : "custom"))
			break;
	if (n && i == n)
		pass = false;
	free(v);
	v = nb_filters_get(f, "dangling", &n);
	if (!v)
		return -ENOMEM;
	if (pass && n) {
		struct nb_endpoint_rec *eps = NULL;
		size_t nep = 0;
		bool dangling;
		int err = nb_store_endpoint_list(st, net->id, NULL, &eps, &nep);

		free(eps);
		if (err) {
			free(v);
			nb_errorf("network \"%s\": cannot read its endpoints: %s", net->name,
				  strerror(-err));
			return err;
		}
		/* Docker's: a predefined network is never dangling */
		dangling = !net->builtin && !nep;
		pass = dangling == (!strcmp(v[0], "true") || !strcmp(v[0], "1"));
	}
	free(v);
	return pass;
}

/* Docker's `--format json` line: every value a string, keys sorted */
static json_t *network_ls_json(const struct nb_network_rec *n, const char *id)
{
	char when[NB_TIME_STRLEN];
	json_t *labels = json_map(n->labels), *o = json_object();
	char *joined = NULL;
	size_t len = 0;
	FILE *f;
	const char *k;
	json_t *v;

	f = open_memstream(&joined, &len);
	if (f) {
		bool first = true;

		json_object_foreach(labels, k, v)
		{
			fprintf(f, "%s%s=%s", first ? "" : ",", k, json_string_value(v));
			first = false;
		}
		fclose(f);
	}
	json_object_set_new(o, "CreatedAt", json_string(nb_fmt_time_go(n->created, when)));
	json_object_set_new(o, "Driver", json_string(docker_driver(n->driver)));
	json_object_set_new(o, "ID", json_string(id));
	json_object_set_new(o, "IPv6", json_string(nb_network_has_v6(n) ? "true" : "false"));
	json_object_set_new(o, "Internal", json_string(n->internal ? "true" : "false"));
	json_object_set_new(o, "Labels", json_string(joined ? joined : ""));
	json_object_set_new(o, "Name", json_string(n->name));
	/* Docker's overlay networks are its swarm's */
	json_object_set_new(o, "Scope", json_string(n->vni ? "swarm" : "local"));
	free(joined);
	json_decref(labels);
	return o;
}

static int network_ls(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = ls_opts,
	    .parser = nb_ls_parse,
	    .args_doc = NULL,
	    .doc = ls_doc,
	};
	static const char *const headers[] = {"NETWORK ID", "NAME", "DRIVER", "SCOPE"};
	struct nb_network_rec *nets = NULL;
	struct nb_table *t = NULL;
	struct nb_tmpl *tmpl = NULL;
	struct nb_ls_args a = {0};
	struct nb_store *st = NULL;
	json_t *rows = NULL, *header = NULL;
	size_t i, n = 0;
	int err;

	err = nb_argp_parse(&argp, "network ls", argc, argv, 0, &a);
	if (!err && a.oom)
		err = -ENOMEM;
	if (!err)
		err = network_filters_check(&a.filters, "network ls", ls_keys);
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
	err = nb_store_network_list(st, &nets, &n);
	if (err) {
		nb_errorf("networks: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	qsort(nets, n, sizeof(*nets), cmp_network_name);
	if (!a.quiet && !a.json && !tmpl) {
		t = nb_table_new(headers, 4);
		if (!t) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (i = 0; i < n; i++) {
		char id[NB_ID_LEN + 1];

		err = network_filter(st, &a.filters, &nets[i]);
		if (err < 0)
			goto cleanup;
		if (!err)
			continue;
		err = 0;
		snprintf(id, sizeof(id), "%.*s", a.no_trunc ? NB_ID_LEN : NB_SHORT_ID_LEN,
			 nets[i].id);
		if (a.quiet) {
			printf("%s\n", id);
		} else if (tmpl) {
			json_array_append_new(rows, network_ls_json(&nets[i], id));
		} else if (a.json) {
			json_t *o = network_ls_json(&nets[i], id);

			nb_json_print_line(stdout, o);
			json_decref(o);
		} else {
			const char *row[] = {id, nets[i].name, docker_driver(nets[i].driver),
					     nets[i].vni ? "swarm" : "local"};

			err = nb_table_add(t, row);
			if (err)
				goto cleanup;
		}
	}
	if (t)
		nb_table_print(t, stdout);
	if (tmpl) {
		header = network_ls_header();
		err = nb_tmpl_exec_rows(tmpl, header, rows, NULL, stdout);
	}
cleanup:
	json_decref(header);
	json_decref(rows);
	nb_tmpl_free(tmpl);
	nb_filters_free(&a.filters);
	nb_table_free(t);
	nb_network_recs_free(nets, n);
	if (st)
		nb_store_close(st);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- inspect ------------------------------------------------------------- */

static const char inspect_doc[] =
    "Display detailed information on one or more networks, as `docker network inspect` does.\n"
    "\n"
    "-f takes a Go template as Docker's does ({{.Field}}, {{json .X}}, {{range}}, {{index}}, "
    "...), run on each network; maps, structs and times print as Docker prints them.\n"
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl network inspect bridge\n"
    "  netbpfctl network inspect web | jq -r '.[0].IPAM.Config[0].Subnet'\n"
    "  netbpfctl network inspect -f '{{.IPAM.Config}}' web\n"
    "  netbpfctl network inspect -f '{{range .Containers}}{{.Name}} {{end}}' web\n";

struct names_args {
	char **names;
	int n;
	int min, max; /* how many NAMEs the command takes (max 0: no limit) */
	bool force;
	bool f_is_format; /* inspect: -f is --format */
	const char *format;
	struct nb_filters filters; /* prune */
	bool oom;
};

enum { OPT_FILTER = 0x200 };

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
	case OPT_FILTER:
		if (nb_filters_add(&a->filters, arg))
			a->oom = true;
		break;
	case ARGP_KEY_ARGS:
		a->names = state->argv + state->next;
		a->n = state->argc - state->next;
		if (a->max && a->n > a->max)
			argp_error(state, "too many arguments");
		break;
	case ARGP_KEY_NO_ARGS:
	case ARGP_KEY_END:
		if (a->n < a->min)
			argp_error(state, "at least %d argument%s expected", a->min,
				   a->min > 1 ? "s" : "");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/*
 * Containers{} of an overlay network: every host's endpoints as the cluster's store has
 * them (so every host shows the same), with the host each lives on; this host's alone,
 * with a warning, when the store does not answer
 */
static int peer_cmp(const void *a, const void *b)
{
	const struct nb_ovep *x = *(const struct nb_ovep *const *)a;
	const struct nb_ovep *y = *(const struct nb_ovep *const *)b;
	int c = strcmp(x->underlay, y->underlay);

	return c ? c : strcmp(x->host, y->host);
}

/* Peers[] of an overlay network: the hosts with endpoints on it, as Docker's swarm lists them */
static json_t *overlay_peers(const struct nb_ovep *eps, size_t n)
{
	const struct nb_ovep **v = calloc(n + 1, sizeof(*v));
	json_t *out = json_array();
	size_t i;

	if (!v)
		return out;
	for (i = 0; i < n; i++)
		v[i] = &eps[i];
	qsort(v, n, sizeof(*v), peer_cmp);
	for (i = 0; i < n; i++)
		if (!i || peer_cmp(&v[i - 1], &v[i]))
			json_array_append_new(out, json_pack("{s:s, s:s}", "Name", v[i]->host, "IP",
							     v[i]->underlay));
	free(v);
	return out;
}

static json_t *overlay_containers(struct nb_store *st, const struct nb_network_rec *net,
				  json_t **peers)
{
	char ip[NB_IPV4_STRLEN], mac[18], cidr[NB_CIDR_STRLEN + 4];
	struct nb_ovep *eps = NULL;
	json_t *out;
	size_t i, n = 0;

	if (nb_ovnet_endpoints(st, net->name, &eps, &n)) {
		fprintf(stderr,
			"netbpfctl: network \"%s\": cannot read the cluster's endpoints (%s); "
			"showing this host's\n",
			net->name, nb_error_msg());
		nb_error_clear();
		return NULL;
	}
	out = json_object();
	for (i = 0; i < n; i++) {
		snprintf(cidr, sizeof(cidr), "%s/%d", nb_fmt_ipv4(eps[i].ip, ip), net->subnet.len);
		json_object_set_new(out, eps[i].sandbox,
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name",
					      eps[i].name, "EndpointID", eps[i].id, "MacAddress",
					      nb_fmt_mac(eps[i].mac, mac), "IPv4Address", cidr,
					      "IPv6Address", "", "Host", eps[i].host, "HostAddress",
					      eps[i].underlay));
	}
	*peers = overlay_peers(eps, n);
	free(eps);
	return out;
}

/* Containers{} of a network: its endpoints by sandbox id */
static json_t *network_containers(struct nb_store *st, const struct nb_network_rec *net)
{
	char ip[NB_IPV6_STRLEN], mac[18], cidr[NB_CIDR_STRLEN + 4], cidr6[NB_CIDR6_STRLEN];
	struct nb_endpoint_rec *eps = NULL;
	json_t *out = json_object();
	size_t i, n = 0;

	if (nb_store_endpoint_list(st, net->id, NULL, &eps, &n))
		return out;
	for (i = 0; i < n; i++) {
		bool special = nb_endpoint_is_special(&eps[i]);
		struct nb_sandbox_rec sb;

		if (nb_store_sandbox_find(st, eps[i].sandbox_id, &sb))
			continue;
		cidr[0] = '\0';
		cidr6[0] = '\0';
		if (!special && eps[i].ip)
			snprintf(cidr, sizeof(cidr), "%s/%d", nb_fmt_ipv4(eps[i].ip, ip),
				 net->subnet.len);
		if (!special && !nb_ipv6_is_zero(&eps[i].ip6))
			snprintf(cidr6, sizeof(cidr6), "%s/%d", nb_fmt_ipv6(&eps[i].ip6, ip),
				 net->subnet6.len);
		/* host and none: Docker shows the endpoint without MAC or address */
		json_object_set_new(out, sb.id,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", sb.name,
					      "EndpointID", eps[i].id, "MacAddress",
					      special ? "" : nb_fmt_mac(eps[i].mac, mac),
					      "IPv4Address", cidr, "IPv6Address", cidr6));
	}
	free(eps);
	return out;
}

/*
 * What `network inspect` renders, for its templates: Docker's NetworkResource, every field
 * present (Go prints the empty ones), maps and omitempty fields named as Go's types have them
 */
static const char *const inspect_maps[] = {"IPAM.Options", "IPAM.Config.AuxiliaryAddresses",
					   "Containers",   "Options",
					   "Labels",	   "Services",
					   NULL};
static const char *const inspect_omit[] = {"IPAM.Config.Subnet",
					   "IPAM.Config.IPRange",
					   "IPAM.Config.Gateway",
					   "IPAM.Config.AuxiliaryAddresses",
					   "Peers",
					   "Services",
					   NULL};
static const char *const inspect_times[] = {"Created", NULL};
static const struct nb_tmpl_schema inspect_schema = {
    .maps = inspect_maps, .omitempty = inspect_omit, .times = inspect_times};

static json_t *network_json(struct nb_store *st, const struct nb_network_rec *net)
{
	char when[NB_TIME_STRLEN], a[NB_CIDR_STRLEN], b[NB_CIDR_STRLEN];
	json_t *o = json_object(), *config = json_array(), *containers, *options, *peers = NULL;

	/* an IPv6-only network has no IPv4 entry */
	if (nb_net_is_bridged(net) && net->subnet.len) {
		json_t *c = json_object();
		bool range = net->range.len != net->subnet.len || net->range.addr != net->subnet.addr;

		/* every field of Docker's IPAMConfig, in its order; JSON omits the empty ones */
		json_object_set_new(c, "Subnet", json_string(nb_fmt_prefix(&net->subnet, a)));
		json_object_set_new(c, "IPRange", json_string(range ? nb_fmt_prefix(&net->range, b) : ""));
		json_object_set_new(c, "Gateway", json_string(nb_fmt_ipv4(net->gateway, a)));
		json_object_set_new(c, "AuxiliaryAddresses", json_map(net->aux_addresses));
		json_array_append_new(config, c);
	}
	if (nb_network_has_v6(net)) {
		char a6[NB_CIDR6_STRLEN], b6[NB_CIDR6_STRLEN];
		json_t *c = json_object();
		bool range =
		    net->range6.len != net->subnet6.len ||
		    memcmp(&net->range6.addr, &net->subnet6.addr, sizeof(net->range6.addr));

		/* Docker's second IPAM.Config entry, the IPv6 one */
		json_object_set_new(c, "Subnet", json_string(nb_fmt_prefix6(&net->subnet6, a6)));
		json_object_set_new(c, "IPRange",
				    json_string(range ? nb_fmt_prefix6(&net->range6, b6) : ""));
		json_object_set_new(c, "Gateway", json_string(nb_fmt_ipv6(&net->gateway6, a6)));
		json_object_set_new(c, "AuxiliaryAddresses", json_object());
		json_array_append_new(config, c);
	}
	json_object_set_new(o, "Name", json_string(net->name));
	json_object_set_new(o, "Id", json_string(net->id));
	json_object_set_new(o, "Created", json_string(nb_fmt_time_rfc3339nano(net->created, when)));
	json_object_set_new(o, "Scope", json_string(net->vni ? "swarm" : "local"));
	json_object_set_new(o, "Driver", json_string(docker_driver(net->driver)));
	json_object_set_new(o, "EnableIPv6", json_boolean(nb_network_has_v6(net)));
	/* Docker: no IPAM options (null) on the predefined networks, {} on the others */
	json_object_set_new(o, "IPAM",
			    json_pack("{s:s, s:o, s:o}", "Driver", "default", "Options",
				      net->builtin ? json_null() : json_object(), "Config", config));
	json_object_set_new(o, "Internal", json_boolean(net->internal));
	json_object_set_new(o, "Attachable", json_boolean(net->attachable));
	json_object_set_new(o, "Ingress", json_false());
	json_object_set_new(o, "ConfigFrom", json_pack("{s:s}", "Network", ""));
	json_object_set_new(o, "ConfigOnly", json_false());
	containers = net->vni ? overlay_containers(st, net, &peers) : NULL;
	json_object_set_new(o, "Containers", containers ? containers : network_containers(st, net));
	options = json_map(net->options);
	/* the VNI as Docker's overlay driver shows it */
	if (net->vni && json_is_object(options)) {
		snprintf(a, sizeof(a), "%u", net->vni);
		json_object_set_new(options, "com.docker.network.driver.overlay.vxlanid_list",
				    json_string(a));
	}
	json_object_set_new(o, "Options", options);
	json_object_set_new(o, "Labels", json_map(net->labels));
	/* swarm's: an overlay network's hosts; empty (Go's rendering only, not JSON) otherwise */
	json_object_set_new(o, "Peers", peers ? peers : json_array());
	json_object_set_new(o, "Services", json_object());
	return o;
}

static const struct argp_option inspect_opts[] = {
    {"format", 'f', "TEMPLATE", 0, "Format the output using the given Go template", 0},
    {0},
};

static int network_inspect(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = inspect_opts,
	    .parser = names_parse,
	    .args_doc = "NETWORK...",
	    .doc = inspect_doc,
	};
	struct names_args a = {.min = 1, .f_is_format = true};
	struct nb_tmpl *tmpl = NULL;
	struct nb_store *st = NULL;
	json_t *list = NULL;
	int i, err, failed = 0;

	err = nb_argp_parse(&argp, "network inspect", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	err = nb_inspect_tmpl(a.format, &tmpl);
	if (err)
		goto cleanup;
	err = nb_open_state(inst, false, &st);
	if (err)
		goto cleanup;
	list = json_array();
	for (i = 0; i < a.n; i++) {
		struct nb_network_rec net;

		/* like Docker: print what was found, report the rest, exit 1 */
		if (nb_find_network(st, a.names[i], &net)) {
			failed++;
			continue;
		}
		json_array_append_new(list, network_json(st, &net));
		nb_network_rec_clear(&net);
	}
	err = nb_inspect_print(list, tmpl, &inspect_schema);
cleanup:
	nb_tmpl_free(tmpl);
	json_decref(list);
	if (st)
		nb_store_close(st);
	return err || failed ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- rm, prune ----------------------------------------------------------- */

static const char rm_doc[] = "Remove one or more networks.\n"
			     "\n"
			     "A network with sandboxes attached is not removed; neither are the "
			     "predefined bridge, host and none."
			     "\v"
			     "EXAMPLES:\n"
			     "  netbpfctl network rm web db\n";

static int network_rm(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = NULL,
	    .parser = names_parse,
	    .args_doc = "NETWORK...",
	    .doc = rm_doc,
	};
	struct names_args a = {.min = 1};
	struct nb_world_ref world = {0};
	struct nb_store *st = NULL;
	int i, err, failed = 0;

	err = nb_argp_parse(&argp, "network rm", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	err = nb_need_root("network rm");
	if (err)
		goto cleanup;
	err = nb_open_state(inst, true, &st);
	if (err)
		goto cleanup;
	/* like Docker, each network on its own: one refused does not keep the others */
	for (i = 0; i < a.n; i++) {
		struct nb_network_rec net = {0};
		bool removed = false;
		int e;

		e = nb_store_begin(st);
		if (e) {
			failed++;
			continue;
		}
		e = nb_find_network(st, a.names[i], &net);
		if (!e)
			e = nb_network_remove(inst, st, &world, &net);
		if (!e) {
			removed = true;
			nb_fault("network-rm:commit");
			e = nb_store_commit(st);
			if (e)
				nb_errorf("network \"%s\": cannot commit the state: %s", net.name,
					  strerror(-e));
		}
		if (e) {
			nb_store_rollback(st);
			if (removed)
				nb_network_realize(&world.w, &net);
			failed++;
		} else {
			printf("%s\n", a.names[i]);
		}
		nb_network_rec_clear(&net);
	}
cleanup:
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	return err || failed ? NB_EXIT_ERR : NB_EXIT_OK;
}

static const char prune_doc[] =
    "Remove all networks no sandbox is attached to.\n"
    "\n"
    "--filter takes Docker's keys: label=KEY[=VALUE] (networks that have it), label!=KEY[=VALUE] "
    "(networks that do not), until=DURATION|TIMESTAMP (networks created before: 24h, 1h30m, "
    "unix seconds or 2026-12-01T10:00:00Z)."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl network prune -f\n"
    "  netbpfctl network prune -f --filter label=stage=ci --filter until=24h\n";

static const struct argp_option force_opts[] = {
    {"force", 'f', NULL, 0, "Do not prompt for confirmation", 0},
    {"filter", OPT_FILTER, "KEY=VALUE", 0, "Only networks that match (label, label!, until)",
     0},
    {0},
};

static const char *const prune_keys[] = {"label", "label!", "until", NULL};

/* until=: a Go duration before now ("24h", "1h30m", "90s", "500ms"), unix seconds or RFC 3339 */
static int parse_until(const char *v, int64_t now_ns, int64_t *until_ns)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = {{"ms", 1000000LL}, {"us", 1000LL},	   {"ns", 1LL},
		     {"h", 3600000000000LL}, {"m", 60000000000LL}, {"s", 1000000000LL}};
	const char *p = v;
	int64_t total = 0;
	struct tm tm = {0};
	char *end;
	size_t i;

	/* a timestamp: digits only (with an optional fraction), or a date */
	if (*p && strspn(p, "0123456789.") == strlen(p)) {
		*until_ns = (int64_t)(strtod(p, NULL) * 1e9);
		return 0;
	}
	end = strptime(p, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(p, "%Y-%m-%d", &tm);
	if (end && (!*end || !strcmp(end, "Z"))) {
		*until_ns = (int64_t)timegm(&tm) * 1000000000LL;
		return 0;
	}
	while (*p) {
		double n = strtod(p, &end);

		if (end == p)
			return -EINVAL;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(p, units[i].unit, strlen(units[i].unit)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += (int64_t)(n * (double)units[i].ns);
		p += strlen(units[i].unit);
	}
	if (p == v)
		return -EINVAL;
	*until_ns = now_ns - total;
	return 0;
}

/* 1 when prune's filters keep net among the removed, 0 when not */
static int prune_filter(const struct nb_filters *f, const struct nb_network_rec *net,
			int64_t until_ns)
{
	json_t *labels = json_map(net->labels);
	const char **v;
	bool pass = nb_filters_labels(f, "label", labels);
	size_t i, n;

	/* label!: a network that has any of them is kept */
	v = nb_filters_get(f, "label!", &n);
	for (i = 0; v && pass && i < n; i++) {
		struct nb_filters one = {.args = (const char *[]){NULL}, .n = 1};
		char *arg;

		if (asprintf(&arg, "label=%s", v[i]) < 0)
			break;
		one.args[0] = arg;
		if (nb_filters_labels(&one, "label", labels))
			pass = false;
		free(arg);
	}
	free(v);
	json_decref(labels);
	if (pass && until_ns && net->created >= until_ns)
		pass = false;
	return pass;
}

/* Docker's prompt; anything but y/yes, and end of input, is no */
static bool confirm(const char *warning)
{
	char line[64] = "";
	size_t len;

	printf("%s\nAre you sure you want to continue? [y/N] ", warning);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		printf("\n");
		return false;
	}
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

static int network_prune(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = force_opts,
	    .parser = names_parse,
	    .args_doc = NULL,
	    .doc = prune_doc,
	};
	struct nb_network_rec *nets = NULL;
	struct names_args a = {.max = -1};
	struct nb_world_ref world = {0};
	struct nb_store *st = NULL;
	bool began = false, header;
	int64_t until_ns = 0;
	size_t i, n = 0;
	bool *gone = NULL;
	int err;

	err = nb_argp_parse(&argp, "network prune", argc, argv, 0, &a);
	if (!err && a.oom)
		err = -ENOMEM;
	if (!err)
		err = nb_filters_check(&a.filters, "network prune", prune_keys);
	if (!err) {
		const char **v;
		size_t nv;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = nb_filters_get(&a.filters, "until", &nv);
		if (v && nv > 1) {
			nb_errorf("network prune: got more than one value for filter key \"until\"");
			err = -EINVAL;
		} else if (v && nv == 1 &&
			   parse_until(v[0], (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec,
				       &until_ns)) {
			nb_errorf("network prune: invalid filter 'until'='%s': expected a duration "
				  "(24h, 1h30m), unix seconds or a date (2026-12-01T10:00:00Z)",
				  v[0]);
			err = -EINVAL;
		}
		free(v);
	}
	if (err)
		goto cleanup;
	err = nb_need_root("network prune");
	if (err)
		goto cleanup;
	if (!a.force && !confirm("WARNING! This will remove all custom networks not used by at "
				 "least one sandbox."))
		goto cleanup;
	err = nb_open_state(inst, true, &st);
	if (err)
		goto cleanup;
	err = nb_store_begin(st);
	if (err)
		goto cleanup;
	began = true;
	err = nb_store_network_list(st, &nets, &n);
	if (err) {
		nb_errorf("networks: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	qsort(nets, n, sizeof(*nets), cmp_network_name);
	gone = calloc(n + 1, sizeof(*gone));
	if (!gone) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		struct nb_endpoint_rec *eps = NULL;
		size_t nep = 0;

		/* an overlay network is the cluster's: other hosts may use it (network rm) */
		if (nets[i].builtin || nets[i].vni || !prune_filter(&a.filters, &nets[i], until_ns))
			continue;
		err = nb_store_endpoint_list(st, nets[i].id, NULL, &eps, &nep);
		free(eps);
		if (err) {
			nb_errorf("network \"%s\": cannot read its endpoints: %s", nets[i].name,
				  strerror(-err));
			goto cleanup;
		}
		if (nep)
			continue;
		err = nb_network_remove(inst, st, &world, &nets[i]);
		if (err)
			goto cleanup;
		gone[i] = true;
	}
	err = nb_store_commit(st);
	if (err) {
		nb_errorf("networks: cannot commit the state: %s", strerror(-err));
		goto cleanup;
	}
	began = false;
	for (i = 0, header = false; i < n; i++) {
		if (!gone[i])
			continue;
		if (!header)
			printf("Deleted Networks:\n");
		header = true;
		printf("%s\n", nets[i].name);
	}
cleanup:
	if (began) {
		nb_store_rollback(st);
		for (i = 0; gone && i < n; i++)
			if (gone[i])
				nb_network_realize(&world.w, &nets[i]);
	}
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	free(gone);
	nb_network_recs_free(nets, n);
	nb_filters_free(&a.filters);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- connect, disconnect ------------------------------------------------- */

static const char connect_doc[] = "Connect a sandbox to a network.\n"
				  "\v"
				  "EXAMPLES:\n"
				  "  netbpfctl network connect web box1\n"
				  "  netbpfctl network connect --ip 10.1.0.50 db box1\n"
				  "  netbpfctl network connect --ip6 fd00:1::50 dual box1\n"
				  "  netbpfctl network connect --alias cache --alias kv db box1\n";

static const struct argp_option connect_opts[] = {
    {"ip", OPT_IP, "IP", 0, "IPv4 address of the sandbox on the network", 0},
    {"ip6", OPT_IP6, "IP", 0, "IPv6 address of the sandbox on the network (needs --ipv6 on it)", 0},
    {"alias", OPT_ALIAS, "NAME", 0,
     "Another name of the sandbox on the network (repeatable; shown by inspect)", 0},
    {0},
};

#define MAX_ALIASES 16

struct pair_args {
	const char *network, *sandbox, *ip, *ip6;
	bool force;
	const char *aliases[MAX_ALIASES];
	size_t naliases;
};

static error_t pair_parse(int key, char *arg, struct argp_state *state)
{
	struct pair_args *a = state->input;

	switch (key) {
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
	case 'f':
		a->force = true;
		break;
	case ARGP_KEY_ARG:
		if (!a->network)
			a->network = arg;
		else if (!a->sandbox)
			a->sandbox = arg;
		else
			argp_error(state, "exactly two arguments expected: NETWORK SANDBOX");
		break;
	case ARGP_KEY_END:
		if (!a->sandbox)
			argp_error(state, "exactly two arguments expected: NETWORK SANDBOX");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Docker's rules for the predefined host and none networks */
static int special_check(struct nb_store *st, const struct nb_network_rec *net,
			 const struct nb_sandbox_rec *sb, bool connect)
{
	bool net_host = !strcmp(net->driver, NB_DRIVER_HOST);
	bool net_none = !strcmp(net->driver, NB_DRIVER_NONE);
	const char *on = NULL;
	size_t nbridge = 0;
	int err;

	err = nb_sandbox_special_net(st, sb, &on, &nbridge);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read its endpoints: %s", sb->name,
			  strerror(-err));
		return err;
	}
	if (net_host || (connect && on && !strcmp(on, NB_DRIVER_HOST))) {
		nb_errorf("sandbox \"%s\": " NB_MSG_HOST_CONFLICT, sb->name);
		return -EINVAL;
	}
	if (connect && ((net_none && nbridge) || (!net_none && on))) {
		nb_errorf("sandbox \"%s\": " NB_MSG_NONE_CONFLICT, sb->name);
		return -EINVAL;
	}
	return 0;
}

static int network_connect(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = connect_opts,
	    .parser = pair_parse,
	    .args_doc = "NETWORK SANDBOX",
	    .doc = connect_doc,
	};
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec ep;
	struct pair_args a = {0};
	struct nb_world_ref world = {0};
	bool began = false, attached = false;
	struct nb_store *st = NULL;
	struct nb_world *w = NULL;
	struct in6_addr ip6 = {0};
	__be32 ip = 0;
	int err;

	err = nb_argp_parse(&argp, "network connect", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	if (a.ip && nb_parse_ipv4(a.ip, &ip)) {
		nb_errorf("sandbox \"%s\": invalid --ip \"%s\": not an IPv4 address", a.sandbox,
			  a.ip);
		err = -EINVAL;
		goto cleanup;
	}
	if (a.ip6 && (nb_parse_ipv6(a.ip6, &ip6) || nb_ipv6_is_zero(&ip6))) {
		nb_errorf("sandbox \"%s\": invalid --ip6 \"%s\": not an IPv6 address", a.sandbox,
			  a.ip6);
		err = -EINVAL;
		goto cleanup;
	}
	err = nb_begin_change(inst, "network connect", &st);
	if (err)
		goto cleanup;
	began = true;
	err = nb_find_network(st, a.network, &net);
	if (err)
		goto cleanup;
	err = nb_find_sandbox(st, a.sandbox, &sb);
	if (err)
		goto cleanup;
	err = special_check(st, &net, &sb, true);
	if (err)
		goto cleanup;
	if (nb_net_is_bridged(&net)) {
		err = nb_world_get(inst, &world, &w);
		if (err)
			goto cleanup;
	}
	err = nb_attach(st, w, &net, &sb, ip, &ip6, &ep);
	if (err)
		goto cleanup;
	attached = !nb_endpoint_is_special(&ep);
	err = nb_endpoint_aliases_put(st, &sb, &net, &ep, a.aliases, a.naliases);
	if (err)
		goto cleanup;
	nb_fault("network-connect:commit");
	err = nb_store_commit(st);
	if (err) {
		nb_errorf("sandbox \"%s\": network \"%s\": cannot commit the state: %s", sb.name,
			  net.name, strerror(-err));
		goto cleanup;
	}
	began = false;
cleanup:
	if (err && attached)
		nb_endpoint_unrealize(&world.w, &ep);
	if (began)
		nb_store_rollback(st);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	nb_network_rec_clear(&net);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

static const char disconnect_doc[] =
    "Disconnect a sandbox from a network.\n"
    "\n"
    "With -f the endpoint is forgotten even when its kernel side cannot be removed "
    "(its netns is gone, or the instance is down)."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl network disconnect web box1\n";

static const struct argp_option disconnect_opts[] = {
    {"force", 'f', NULL, 0, "Remove the endpoint even when the kernel side is missing", 0},
    {0},
};

static int network_disconnect(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = disconnect_opts,
	    .parser = pair_parse,
	    .args_doc = "NETWORK SANDBOX",
	    .doc = disconnect_doc,
	};
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec ep;
	struct pair_args a = {0};
	struct nb_world_ref world = {0};
	bool began = false, detached = false;
	struct nb_store *st = NULL;
	struct nb_world *w = NULL;
	int err;

	err = nb_argp_parse(&argp, "network disconnect", argc, argv, 0, &a);
	if (err)
		goto cleanup;
	err = nb_begin_change(inst, "network disconnect", &st);
	if (err)
		goto cleanup;
	began = true;
	err = nb_find_network(st, a.network, &net);
	if (err)
		goto cleanup;
	err = nb_find_sandbox(st, a.sandbox, &sb);
	if (err)
		goto cleanup;
	err = special_check(st, &net, &sb, false);
	if (err)
		goto cleanup;
	err = nb_store_endpoint_find(st, net.id, sb.id, &ep);
	if (err == -ENOENT)
		nb_errorf("sandbox \"%s\" is not connected to network \"%s\"", sb.name, net.name);
	else if (err)
		nb_errorf("sandbox \"%s\": network \"%s\": cannot read the endpoint: %s", sb.name,
			  net.name, strerror(-err));
	if (err)
		goto cleanup;
	if (!nb_endpoint_is_special(&ep)) {
		err = nb_world_get(inst, &world, &w);
		if (err && !a.force)
			goto cleanup;
	}
	err = nb_detach(st, w, &ep, a.force);
	if (err)
		goto cleanup;
	detached = w != NULL;
	err = nb_store_commit(st);
	if (err) {
		nb_errorf("sandbox \"%s\": network \"%s\": cannot commit the state: %s", sb.name,
			  net.name, strerror(-err));
		goto cleanup;
	}
	began = false;
cleanup:
	if (began)
		nb_store_rollback(st);
	if (err && detached)
		nb_reattach(st, w, &net, &sb, &ep);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	nb_network_rec_clear(&net);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- the group ----------------------------------------------------------- */

static const struct nb_subcmd network_cmds[] = {
    {"create", network_create, "Create a network"},
    {"ls", network_ls, "List networks"},
    {"inspect", network_inspect, "Display detailed information on one or more networks"},
    {"rm", network_rm, "Remove one or more networks"},
    {"prune", network_prune, "Remove all unused networks"},
    {"connect", network_connect, "Connect a sandbox to a network"},
    {"disconnect", network_disconnect, "Disconnect a sandbox from a network"},
};

int cmd_network(const struct nb_instance *inst, int argc, char **argv)
{
	return nb_subcmd_run(inst, "network", network_cmds,
			     sizeof(network_cmds) / sizeof(network_cmds[0]), argc, argv);
}
