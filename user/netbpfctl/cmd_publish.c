// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl publish|unpublish|port|ct`: published ports (Docker's `-p`
 * specs, `docker port` output) and the connection tracker they share with
 * masquerade. The ports are NAT entries in a BPF hash map, looked up by the
 * uplink programs (traffic from outside), the endpoint program (hairpin)
 * and the socket hooks (the host's own clients): no iptables rule, no
 * proxy process, no listening socket. publish.h does the store and map
 * work; this file is the command line around it.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"

enum {
	OPT_FORMAT = 0x100,
};

#define OPT_ALLOW 0x101
#define MAX_ALLOW 64 /* --allow prefixes of one command */

/* SPEC SANDBOX, publish's --allow */
struct spec_args {
	const char *spec;
	const char *sandbox;
	struct nb_prefix allow[MAX_ALLOW];
	size_t nallow;
	struct nb_prefix6 allow6[MAX_ALLOW];
	size_t nallow6;
};

static error_t spec_parse(int key, char *arg, struct argp_state *state)
{
	struct spec_args *a = state->input;
	char cidr[NB_CIDR_STRLEN + 4];
	char cidr6[INET6_ADDRSTRLEN + 16];

	switch (key) {
	case OPT_ALLOW:
		if (a->nallow + a->nallow6 == MAX_ALLOW)
			argp_error(state, "--allow: at most %d prefixes", MAX_ALLOW);
		if (strchr(arg, ':')) {
			/* IPv6, for the IPv6 ports; an address alone is a /128 */
			snprintf(cidr6, sizeof(cidr6), strchr(arg, '/') ? "%s" : "%s/128", arg);
			if (strlen(arg) > INET6_ADDRSTRLEN + 4 ||
			    nb_parse_prefix6(cidr6, false, &a->allow6[a->nallow6]))
				argp_error(state,
					   "--allow \"%s\": not an IPv6 address or prefix ADDR/N",
					   arg);
			a->nallow6++;
			return 0;
		}
		/* an address alone is a /32 */
		snprintf(cidr, sizeof(cidr), strchr(arg, '/') ? "%s" : "%s/32", arg);
		if (strlen(arg) > NB_CIDR_STRLEN ||
		    nb_parse_prefix(cidr, false, &a->allow[a->nallow]))
			argp_error(state, "--allow \"%s\": not an IPv4 address or prefix A.B.C.D/N",
				   arg);
		a->nallow++;
		return 0;
	case ARGP_KEY_ARG:
		if (!a->spec)
			a->spec = arg;
		else if (!a->sandbox)
			a->sandbox = arg;
		else
			argp_error(state, "unexpected argument \"%s\" (SPEC SANDBOX expected)",
				   arg);
		break;
	case ARGP_KEY_END:
		if (!a->sandbox)
			argp_error(state, "SPEC and SANDBOX are expected");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- publish / unpublish --------------------------------------------------- */

static const char publish_doc[] =
    "Publish a sandbox's port on the host, as Docker's -p does.\n"
    "\n"
    "SPEC is [IP:][HOSTPORT[-END]:]CPORT[-END][/tcp|/udp]. Without IP the network's "
    "host_binding_ipv4 applies (default 0.0.0.0: every host address); without HOSTPORT a free "
    "one is chosen from 32768-60999; a host range for one container port picks a free port "
    "in it. The port goes through the sandbox's first bridge network. Clients outside, on "
    "the host itself and in other sandboxes all reach it, through BPF: no iptables rule, no "
    "proxy, no listening socket. With --allow (repeatable) only those sources reach it from "
    "outside (checked in BPF before the translation, refused ones counted as not-allowed): "
    "IPv4 prefixes for the IPv4 ports, IPv6 ones for the IPv6 ports, each family published "
    "needing one; "
    "without, the instance's default applies (`up --publish-default`, allow unless set). "
    "Prints `docker port`'s lines for what was published."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl publish 8000:80 web\n"
    "  netbpfctl publish 127.0.0.1:8053:53/udp dns\n"
    "  netbpfctl publish 8000-8002:80-82 web\n"
    "  netbpfctl publish 80 web          # prints the chosen host port\n"
    "  netbpfctl publish --allow 203.0.113.0/24 --allow 198.51.100.7 8080:80 web\n"
    "  netbpfctl publish --allow 2001:db8::/32 [::]:8080:80 web\n";

static const char unpublish_doc[] =
    "Stop publishing a sandbox's port; new connections are refused at once.\n"
    "\n"
    "SPEC as for publish. Without IP it names the ports published on the network's "
    "host_binding_ipv4; without HOSTPORT, every host port of the container port(s). "
    "Established connections keep their conntrack entries until they end."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl unpublish 8000:80 web\n"
    "  netbpfctl unpublish 80 web          # whatever host port it had\n";

static int publish_or_unpublish(const struct nb_instance *inst, int argc, char **argv, bool publish)
{
	const char *verb = publish ? "publish" : "unpublish";
	static const struct argp_option publish_opts[] = {
	    {"allow", OPT_ALLOW, "CIDR", 0,
	     "Only this source address or prefix may reach the port from outside (repeatable)", 0},
	    {0},
	};
	const struct argp argp = {
	    .options = publish ? publish_opts : NULL,
	    .parser = spec_parse,
	    .args_doc = "SPEC SANDBOX",
	    .doc = publish ? publish_doc : unpublish_doc,
	};
	struct nb_publish_rec *removed = NULL;
	struct nb_portmap *done = NULL;
	struct spec_args a = {0};
	struct nb_store *st = NULL;
	struct nb_sandbox_rec sb;
	struct nb_world w;
	char line[NB_PORTMAP_STRLEN];
	bool world = false, began = false;
	size_t ndone = 0, nremoved = 0, i;
	int err;

	err = nb_argp_parse(&argp, verb, argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	err = nb_begin_change(inst, verb, &st);
	if (err)
		goto cleanup;
	began = true;
	err = nb_find_sandbox(st, a.sandbox, &sb);
	if (err)
		goto cleanup;
	err = nb_world_open(inst, &w);
	if (err)
		goto cleanup;
	world = true;

	if (publish) {
		err = nb_publish_add(st, &w, &sb, a.spec, &done, &ndone);
		if (!err && (a.nallow || a.nallow6))
			err = nb_publish_allow(st, &w, done, ndone, a.allow, a.nallow, a.allow6,
					       a.nallow6);
		if (err)
			goto cleanup;
		/* so the socket hooks know an address added since `up` */
		if (nb_nat_local_addrs_sync(&w.maps))
			nb_debugf(inst, "publish: could not refresh %s",
				  NB_MAP_NAME(NB_MAP_LOCAL_ADDRS));
	} else {
		err = nb_publish_remove(st, &w, &sb, a.spec, &removed, &nremoved);
		if (err)
			goto cleanup;
	}
	nb_fault(publish ? "publish:commit" : "unpublish:commit");
	err = nb_store_commit(st);
	if (err) {
		nb_errorf("sandbox \"%s\": %s \"%s\": cannot commit the state: %s", sb.name, verb,
			  a.spec, strerror(-err));
		goto cleanup;
	}
	began = false;
	for (i = 0; i < ndone; i++)
		printf("%s\n", nb_portmap_str(&done[i], line));
	for (i = 0; i < nremoved; i++) {
		struct nb_portmap m = nb_publish_portmap(&removed[i]);

		printf("%s\n", nb_portmap_str(&m, line));
	}
cleanup:
	if (err && world) {
		/* the rows go with the rollback; what reached the map goes here */
		nb_publish_unmap(&w, done, ndone);
		if (nremoved) {
			nb_store_rollback(st);
			began = false;
			nb_publish_map_rows(st, &w, removed, nremoved);
		}
	}
	if (began)
		nb_store_rollback(st);
	if (world)
		nb_world_close(&w);
	if (st)
		nb_store_close(st);
	free(removed);
	free(done);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

int cmd_publish(const struct nb_instance *inst, int argc, char **argv)
{
	return publish_or_unpublish(inst, argc, argv, true);
}

int cmd_unpublish(const struct nb_instance *inst, int argc, char **argv)
{
	return publish_or_unpublish(inst, argc, argv, false);
}

/* ---- port ------------------------------------------------------------------- */

static const char port_doc[] =
    "List a sandbox's published ports, as `docker port` does.\n"
    "\n"
    "One line per port: \"80/tcp -> 0.0.0.0:8000\". With CPORT[/PROTO] (tcp when not given) "
    "only the host side of that port: \"0.0.0.0:8000\"."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl port web\n"
    "  netbpfctl port web 80\n"
    "  netbpfctl port dns 53/udp\n";

struct port_args {
	const char *sandbox;
	const char *filter;
};

static error_t port_parse(int key, char *arg, struct argp_state *state)
{
	struct port_args *a = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (!a->sandbox)
			a->sandbox = arg;
		else if (!a->filter)
			a->filter = arg;
		else
			argp_error(state, "unexpected argument \"%s\"", arg);
		break;
	case ARGP_KEY_END:
		if (!a->sandbox)
			argp_error(state, "the SANDBOX is missing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int cmd_port(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = NULL,
	    .parser = port_parse,
	    .args_doc = "SANDBOX [CPORT[/PROTO]]",
	    .doc = port_doc,
	};
	struct nb_publish_rec *rows = NULL;
	const struct nb_listener **held = NULL;
	struct nb_listener *ls = NULL;
	struct port_args a = {0};
	struct nb_store *st = NULL;
	struct nb_sandbox_rec sb;
	char why[256], line[NB_PORTMAP_STRLEN], lw[NB_LISTENER_STRLEN];
	size_t n = 0, i, shown = 0, nls = 0;
	__u16 cport = 0;
	__u8 proto = 0;
	int err;

	err = nb_argp_parse(&argp, "port", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (a.filter) {
		err = nb_portspec_parse_cport(a.filter, &cport, &proto, why, sizeof(why));
		if (err) {
			nb_errorf("port: %s", why);
			return NB_EXIT_ERR;
		}
	}
	err = nb_open_state(inst, false, &st);
	if (err)
		goto cleanup;
	err = nb_find_sandbox(st, a.sandbox, &sb);
	if (err)
		goto cleanup;
	err = nb_publish_list_all(st, sb.id, &rows, &n);
	if (err) {
		nb_errorf("sandbox \"%s\": cannot read its published ports: %s", sb.name,
			  strerror(-err));
		goto cleanup;
	}
	nb_publish_sort(rows, n);
	held = calloc(n ? n : 1, sizeof(*held));
	if (!held) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* stdout stays `docker port`'s; a host socket on a published port is said on stderr */
	if (nb_publish_host_held(rows, n, &ls, &nls, held) < 0)
		nb_logf(NB_LOG_WARN, "sandbox \"%s\": cannot read the host's listening sockets",
			sb.name);
	for (i = 0; i < n; i++) {
		struct nb_portmap m = nb_publish_portmap(&rows[i]);

		if (a.filter && (m.sb_port != cport || m.proto != proto))
			continue;
		if (a.filter) {
			printf("%s\n", nb_portmap_host_str(&m, line));
			shown++;
		} else {
			printf("%s\n", nb_portmap_str(&m, line));
		}
		if (held[i])
			nb_logf(NB_LOG_WARN,
				"sandbox \"%s\": published host port %s is also held by a host "
				"socket bound after it (%s): its clients reach the sandbox",
				sb.name, nb_portmap_key_str(&m, line), nb_listener_str(held[i], lw));
	}
	/* Docker's words when the asked port is not published */
	if (a.filter && !shown) {
		nb_errorf("Error: No public port '%u/%s' published for %s", cport,
			  nb_proto_name(proto), sb.name);
		err = -ENOENT;
	}
cleanup:
	free(held);
	free(ls);
	free(rows);
	if (st)
		nb_store_close(st);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- ct ---------------------------------------------------------------------- */

static const char ct_ls_doc[] =
    "List the connections netbpf translates: published ports (dnat), masquerade (snat) and "
    "sandboxes reaching published ports (hairpin).\n"
    "\n"
    "ORIGINAL is the first packet as it arrived, TRANSLATED the same packet as netbpf sent it "
    "on; AGE is since the first packet. --format json prints a JSON array with the counters "
    "and timeouts too."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl ct ls\n"
    "  netbpfctl ct ls --format json | jq '.[] | select(.type == \"dnat\")'\n";

static const struct argp_option ct_ls_opts[] = {
    {"format", OPT_FORMAT, "table|json", 0, "Output format", 0},
    {0},
};

static error_t ct_ls_parse(int key, char *arg, struct argp_state *state)
{
	bool *json = state->input;

	switch (key) {
	case OPT_FORMAT:
		nb_argp_format(state, arg, json);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "no argument expected, got \"%s\"", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

struct flows {
	struct nb_nat_flow *v;
	size_t n, cap;
};

static int flow_collect(const struct nb_nat_flow *f, void *arg)
{
	struct flows *fl = arg;
	struct nb_nat_flow *grown;

	if (fl->n == fl->cap) {
		fl->cap = fl->cap ? fl->cap * 2 : 64;
		grown = realloc(fl->v, fl->cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		fl->v = grown;
	}
	fl->v[fl->n++] = *f;
	return 0;
}

/* oldest first, as a flow's life reads */
static int cmp_flow(const void *x, const void *y)
{
	const struct nb_nat_flow *a = x, *b = y;

	if (a->age_ns != b->age_ns)
		return a->age_ns > b->age_ns ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return memcmp(&a->orig, &b->orig, sizeof(a->orig));
}

static int ct_open(const struct nb_instance *inst, const char *what, struct nb_maps *m)
{
	int err;

	if (nb_need_root(what))
		return -EPERM;
	nb_maps_init(m);
	err = nb_dp_maps(inst, m);
	if (err)
		return err;
	if (m->ct < 0) {
		nb_errorf("%s: pin dir %s has no %s map", what, inst->pin_dir,
			  NB_MAP_NAME(NB_MAP_CT));
		nb_maps_close(m);
		return -ENOENT;
	}
	return 0;
}

static int ct_ls(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = ct_ls_opts,
	    .parser = ct_ls_parse,
	    .doc = ct_ls_doc,
	};
	static const char *const headers[] = {"PROTO",	  "TYPE",	"STATE",
					      "ORIGINAL", "TRANSLATED", "AGE"};
	char orig[NB_NAT_TUPLE_STRLEN], nat[NB_NAT_TUPLE_STRLEN], age[32];
	struct nb_table *t = NULL;
	struct flows fl = {0};
	json_t *list = NULL;
	struct nb_maps m;
	bool json = false, opened = false;
	size_t i;
	int err;

	err = nb_argp_parse(&argp, "ct ls", argc, argv, 0, &json);
	if (err)
		return NB_EXIT_USAGE;
	err = ct_open(inst, "ct ls", &m);
	if (err)
		goto cleanup;
	opened = true;
	err = nb_nat_ct_foreach(&m, flow_collect, &fl);
	if (err) {
		nb_errorf("ct ls: map %s: cannot read it: %s", NB_MAP_NAME(NB_MAP_CT),
			  strerror(-err));
		goto cleanup;
	}
	if (fl.n > 1)
		qsort(fl.v, fl.n, sizeof(*fl.v), cmp_flow);
	if (json) {
		list = json_array();
		for (i = 0; list && i < fl.n; i++) {
			json_t *o = nb_nat_flow_json(&fl.v[i]);

			if (!o || json_array_append_new(list, o)) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
		if (!list) {
			err = -ENOMEM;
			goto cleanup;
		}
		nb_json_print(stdout, list);
		goto cleanup;
	}
	t = nb_table_new(headers, 6);
	if (!t) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < fl.n; i++) {
		const struct nb_nat_flow *f = &fl.v[i];
		const char *row[6];

		row[0] = nb_proto_name(f->proto);
		row[1] = nb_nat_type_name(f->type);
		row[2] = nb_nat_state_name(f->proto, f->state);
		row[3] = nb_nat_tuple_str(&f->orig, f->proto, orig);
		row[4] = nb_nat_tuple_str(&f->nat, f->proto, nat);
		row[5] = nb_nat_age_str(f->age_ns, age);
		err = nb_table_add(t, row);
		if (err)
			goto cleanup;
	}
	nb_table_print(t, stdout);
cleanup:
	if (err == -ENOMEM)
		nb_errorf("ct ls: out of memory");
	nb_table_free(t);
	json_decref(list);
	free(fl.v);
	if (opened)
		nb_maps_close(&m);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

static const char ct_flush_doc[] =
    "Delete every connection tracking entry; prints how many were deleted.\n"
    "\n"
    "Established translated connections lose their state: TCP ones through a published port "
    "break (the next packet is not a SYN), masqueraded ones too."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl ct flush\n";

static error_t noargs_parse(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		argp_error(state, "no argument expected, got \"%s\"", arg);
	return ARGP_ERR_UNKNOWN;
}

static int ct_flush(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {NULL, noargs_parse, NULL, ct_flush_doc, NULL, NULL, NULL};
	struct nb_maps m;
	size_t count = 0;
	int err;

	err = nb_argp_parse(&argp, "ct flush", argc, argv, 0, NULL);
	if (err)
		return NB_EXIT_USAGE;
	err = ct_open(inst, "ct flush", &m);
	if (err)
		return NB_EXIT_ERR;
	err = nb_nat_ct_flush(&m, &count);
	nb_maps_close(&m);
	if (err) {
		nb_errorf("ct flush: map %s: %zu entries deleted, then: %s", NB_MAP_NAME(NB_MAP_CT),
			  count, strerror(-err));
		return NB_EXIT_ERR;
	}
	printf("%zu conntrack entries deleted\n", count);
	return NB_EXIT_OK;
}

static const struct nb_subcmd ct_cmds[] = {
    {"ls", ct_ls, "List the translated connections"},
    {"flush", ct_flush, "Delete every conntrack entry"},
};

int cmd_ct(const struct nb_instance *inst, int argc, char **argv)
{
	return nb_subcmd_run(inst, "ct", ct_cmds, sizeof(ct_cmds) / sizeof(ct_cmds[0]), argc, argv);
}
