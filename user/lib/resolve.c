// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Values, network specs and finding objects in the state (resolve.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "host.h"
#include "ipam.h"
#include "log.h"
#include "names.h"
#include "owner.h"
#include "resolve.h"

int nb_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	/* strtoul accepts "-1" (as ULONG_MAX) and leading blanks: refuse both */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int nb_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true"))
		*out = true;
	else if (!strcmp(s, "false"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

int nb_kv_put(json_t *obj, const char *kv, bool value_required)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
	char *key;
	int err;

	if (!klen || (!eq && value_required))
		return -EINVAL;
	key = strndup(kv, klen);
	if (!key)
		return -ENOMEM;
	err = json_object_set_new(obj, key, json_string(eq ? eq + 1 : "")) ? -EINVAL : 0;
	free(key);
	return err;
}

/* A subnet/range argument; explains host bits set the way Docker 25 does */
static int parse_cidr(const char *name, const char *what, const char *s, struct nb_prefix *p)
{
	char buf[NB_CIDR_STRLEN];

	if (!nb_parse_prefix(s, true, p))
		return 0;
	if (!nb_parse_prefix(s, false, p))
		nb_errorf("network \"%s\": invalid %s %s: host bits are set, it should be %s", name,
			  what, s, nb_fmt_prefix(p, buf));
	else
		nb_errorf("network \"%s\": invalid %s \"%s\": not an IPv4 CIDR (A.B.C.D/N)", name,
			  what, s);
	return -EINVAL;
}

static int apply_opt(const struct nb_net_spec *spec, const char *kv, struct nb_network_rec *rec,
		     json_t *opts)
{
	const char *eq = strchr(kv, '=');
	const char *val = eq ? eq + 1 : NULL;
	unsigned long mtu;
	size_t klen;
	bool b;

	if (!eq || eq == kv) {
		nb_errorf("network \"%s\": invalid option \"%s\": expected KEY=VALUE", spec->name,
			  kv);
		return -EINVAL;
	}
	klen = (size_t)(eq - kv);
#define KEY_IS(k) (klen == strlen(k) && !strncmp(kv, k, klen))
	if (KEY_IS(NB_OPT_ICC) || KEY_IS(NB_OPT_MASQ)) {
		if (nb_parse_bool(val, &b)) {
			nb_errorf("network \"%s\": option %.*s: invalid value \"%s\": must be "
				  "\"true\" or \"false\"",
				  spec->name, (int)klen, kv, val);
			return -EINVAL;
		}
		if (KEY_IS(NB_OPT_ICC))
			rec->icc = b;
		else
			rec->masquerade = b;
	} else if (KEY_IS(NB_OPT_HOST_BINDING)) {
		if (nb_parse_ipv4(val, &rec->host_binding)) {
			nb_errorf("network \"%s\": option %s: invalid IPv4 address \"%s\"",
				  spec->name, NB_OPT_HOST_BINDING, val);
			return -EINVAL;
		}
	} else if (KEY_IS(NB_OPT_GATEWAY_MODE)) {
		if (strcmp(val, "nat") && strcmp(val, "routed")) {
			nb_errorf("network \"%s\": option %s: invalid value \"%s\": must be \"nat\" "
				  "or \"routed\"",
				  spec->name, NB_OPT_GATEWAY_MODE, val);
			return -EINVAL;
		}
	} else if (KEY_IS(NB_OPT_MTU)) {
		if (nb_parse_ulong(val, NB_MTU_MIN, NB_MTU_MAX, &mtu)) {
			nb_errorf("network \"%s\": option %s: invalid MTU \"%s\": must be a number "
				  "between %d and %d",
				  spec->name, NB_OPT_MTU, val, NB_MTU_MIN, NB_MTU_MAX);
			return -EINVAL;
		}
		rec->mtu = (unsigned int)mtu;
	} else if (KEY_IS(NB_OPT_BRIDGE_NAME)) {
		if (!*val || strlen(val) > 15 || strpbrk(val, "/ \t\n:")) {
			nb_errorf("network \"%s\": option %s: invalid interface name \"%s\" (1 to 15 "
				  "characters, no '/', ':' or space)",
				  spec->name, NB_OPT_BRIDGE_NAME, val);
			return -EINVAL;
		}
	} else {
		nb_errorf("network \"%s\": unknown option \"%.*s\" (netbpf knows %s, %s, %s, %s, %s, %s)",
			  spec->name, (int)klen, kv, NB_OPT_ICC, NB_OPT_MASQ, NB_OPT_HOST_BINDING,
			  NB_OPT_MTU, NB_OPT_GATEWAY_MODE, NB_OPT_BRIDGE_NAME);
		return -EINVAL;
	}
#undef KEY_IS
	return nb_kv_put(opts, kv, true);
}

static int check_driver(const struct nb_net_spec *spec)
{
	const char *d = spec->driver;

	/* an overlay network needs a store: nb_network_create asks the instance */
	if (!d || !strcmp(d, NB_DRIVER_BRIDGE) || !strcmp(d, NB_DRIVER_OVERLAY))
		return 0;
	/* host and none exist once, predefined; Docker calls the none driver "null" */
	if (!strcmp(d, NB_DRIVER_HOST) || !strcmp(d, NB_DRIVER_NONE) || !strcmp(d, "null")) {
		nb_errorf("network \"%s\": only one instance of \"%s\" network is allowed",
			  spec->name, d);
		return -EINVAL;
	}
	nb_errorf("network \"%s\": driver \"%s\" is not supported (netbpf provides \"%s\" and "
		  "\"%s\")",
		  spec->name, d, NB_DRIVER_BRIDGE, NB_DRIVER_OVERLAY);
	return -EINVAL;
}

/*
 * -EEXIST when rec's subnet (its IPv6 one with v6) overlaps another network's
 * of the same family: every network in the way is named, so one message tells
 * what to move
 */
static int subnet_clash(const struct nb_net_spec *spec, const struct nb_network_rec *rec,
			const struct nb_network_rec *others, size_t nothers, bool v6)
{
	char a[NB_CIDR6_STRLEN], b[NB_CIDR6_STRLEN];
	size_t i, clash_len = 0;
	char *clash_text = NULL;
	FILE *clash = NULL;

	for (i = 0; i < nothers; i++) {
		const struct nb_network_rec *o = &others[i];

		if (v6 ? !nb_network_has_v6(o) || !nb_prefix6_overlap(&rec->subnet6, &o->subnet6)
		       : !o->subnet.len || !nb_prefix_overlap(&rec->subnet, &o->subnet))
			continue;
		if (!clash) {
			clash = open_memstream(&clash_text, &clash_len);
			if (!clash)
				return -ENOMEM;
		}
		fprintf(clash, "%snetwork \"%s\" (%s)", ftell(clash) ? ", " : "", o->name,
			v6 ? nb_fmt_prefix6(&o->subnet6, b) : nb_fmt_prefix(&o->subnet, b));
	}
	if (!clash)
		return 0;
	fclose(clash);
	nb_errorf("network \"%s\": %ssubnet %s overlaps %s", spec->name, v6 ? "IPv6 " : "",
		  v6 ? nb_fmt_prefix6(&rec->subnet6, a) : nb_fmt_prefix(&rec->subnet, a),
		  clash_text);
	free(clash_text);
	return -EEXIST;
}

/* Subnet, range and gateway: parsed, defaulted and checked against each other */
static int resolve_addressing(const struct nb_net_spec *spec, const struct nb_network_rec *others,
			      size_t nothers, struct nb_network_rec *rec)
{
	char a[NB_CIDR_STRLEN];
	struct nb_prefix *used = NULL;
	size_t i, nused = 0;
	__be32 bcast;
	int err;

	if (!spec->subnet && (spec->gateway || spec->ip_range)) {
		nb_errorf("network \"%s\": %s needs --subnet (every ip-range or gateway must have "
			  "a corresponding subnet)",
			  spec->name, spec->gateway ? "--gateway" : "--ip-range");
		return -EINVAL;
	}
	if (spec->subnet) {
		err = parse_cidr(spec->name, "subnet", spec->subnet, &rec->subnet);
		if (err)
			return err;
		/* Shorter than /8 would route the whole host through the network;
		 * longer than /30 leaves no address once the gateway has one. */
		if (rec->subnet.len < 8 || rec->subnet.len > 30) {
			nb_errorf("network \"%s\": subnet %s: prefix length must be between 8 and "
				  "30",
				  spec->name, spec->subnet);
			return -EINVAL;
		}
	} else {
		used = calloc(nothers + spec->nhost + 1, sizeof(*used));
		if (!used)
			return -ENOMEM;
		for (i = 0; i < nothers; i++)
			if (others[i].subnet.len)
				used[nused++] = others[i].subnet;
		/* as Docker: a pool the host routes or addresses already is no free pool */
		for (i = 0; i < spec->nhost; i++)
			used[nused++] = spec->host[i].prefix;
		err = nb_ipam_pick_subnet(used, nused, &rec->subnet);
		free(used);
		if (err) {
			nb_errorf(
			    "network \"%s\": no free subnet left in the default address pools; "
			    "give one with --subnet",
			    spec->name);
			return err;
		}
	}

	rec->range = rec->subnet;
	if (spec->ip_range) {
		err = parse_cidr(spec->name, "ip-range", spec->ip_range, &rec->range);
		if (err)
			return err;
		if (!nb_prefix_covers(&rec->subnet, &rec->range)) {
			nb_errorf("network \"%s\": ip-range %s is not inside subnet %s", spec->name,
				  spec->ip_range, nb_fmt_prefix(&rec->subnet, a));
			return -EINVAL;
		}
	}

	if (spec->gateway) {
		if (nb_parse_ipv4(spec->gateway, &rec->gateway)) {
			nb_errorf("network \"%s\": invalid gateway \"%s\": not an IPv4 address",
				  spec->name, spec->gateway);
			return -EINVAL;
		}
		if (!nb_prefix_contains(&rec->subnet, rec->gateway)) {
			nb_errorf("network \"%s\": gateway %s is outside subnet %s", spec->name,
				  spec->gateway, nb_fmt_prefix(&rec->subnet, a));
			return -EINVAL;
		}
		bcast = nb_prefix_broadcast(&rec->subnet);
		if (rec->gateway == rec->subnet.addr || rec->gateway == bcast) {
			nb_errorf("network \"%s\": gateway %s is the %s address of subnet %s",
				  spec->name, spec->gateway,
				  rec->gateway == bcast ? "broadcast" : "network",
				  nb_fmt_prefix(&rec->subnet, a));
			return -EINVAL;
		}
	} else {
		rec->gateway = nb_ipam_default_gateway(&rec->subnet, &rec->range);
	}

	if (spec->subnet && !spec->force) {
		const struct nb_host_net *h = nb_host_net_overlap(&rec->subnet, spec->host,
								  spec->nhost);
		char hw[NB_HOST_NET_STRLEN];

		if (h) {
			nb_errorf("network \"%s\": subnet %s overlaps the host's %s (--force creates "
				  "it anyway)",
				  spec->name, nb_fmt_prefix(&rec->subnet, a), nb_host_net_str(h, hw));
			return -EEXIST;
		}
	}

	return subnet_clash(spec, rec, others, nothers, false);
}

/* A v6 subnet/range argument: host bits explained, a v4 one named as such */
static int parse_cidr6(const char *name, const char *what, const char *s, struct nb_prefix6 *p)
{
	char buf[NB_CIDR6_STRLEN];

	if (!nb_parse_prefix6(s, true, p))
		return 0;
	if (!nb_parse_prefix6(s, false, p))
		nb_errorf("network \"%s\": invalid IPv6 %s %s: host bits are set, it should be %s",
			  name, what, s, nb_fmt_prefix6(p, buf));
	else
		nb_errorf("network \"%s\": invalid IPv6 %s \"%s\": not an IPv6 CIDR (ADDR/N)", name,
			  what, s);
	return -EINVAL;
}

/* The IPv6 subnet, range and gateway: parsed, defaulted, checked against each other */
static int resolve_addressing6(const struct nb_net_spec *spec, const struct nb_network_rec *others,
			       size_t nothers, struct nb_network_rec *rec)
{
	char a[NB_CIDR6_STRLEN];
	const char *why;

	if (!spec->subnet6 && (spec->gateway6 || spec->ip_range6)) {
		nb_errorf("network \"%s\": IPv6 %s %s needs an IPv6 --subnet (every ip-range or "
			  "gateway must have a corresponding subnet)",
			  spec->name, spec->gateway6 ? "--gateway" : "--ip-range",
			  spec->gateway6 ? spec->gateway6 : spec->ip_range6);
		return -EINVAL;
	}
	if (spec->subnet6 && !spec->ipv6) {
		nb_errorf("network \"%s\": IPv6 subnet %s given without --ipv6 (add --ipv6 to "
			  "enable IPv6 on the network)",
			  spec->name, spec->subnet6);
		return -EINVAL;
	}
	if (spec->ipv6 && !spec->subnet6) {
		/* Docker 20.10's words: its default pools are IPv4 only */
		nb_errorf("network \"%s\": --ipv6 needs an IPv6 --subnet (e.g. --subnet "
			  "fd00:1::/64): could not find an available, non-overlapping IPv6 address "
			  "pool among the defaults to assign to the network",
			  spec->name);
		return -EINVAL;
	}
	if (!spec->subnet6)
		return 0;
	if (parse_cidr6(spec->name, "subnet", spec->subnet6, &rec->subnet6))
		return -EINVAL;
	/* /127 and /128 leave no address once the subnet-router address and gateway are out */
	if (rec->subnet6.len < 16 || rec->subnet6.len > 126) {
		nb_errorf("network \"%s\": IPv6 subnet %s: prefix length must be between 16 and "
			  "126",
			  spec->name, spec->subnet6);
		rec->subnet6.len = 0;
		return -EINVAL;
	}
	why = nb_prefix6_unusable(&rec->subnet6);
	if (why) {
		nb_errorf("network \"%s\": IPv6 subnet %s overlaps %s addresses, which no network "
			  "may use",
			  spec->name, spec->subnet6, why);
		return -EINVAL;
	}
	rec->range6 = rec->subnet6;
	if (spec->ip_range6) {
		if (parse_cidr6(spec->name, "ip-range", spec->ip_range6, &rec->range6))
			return -EINVAL;
		if (!nb_prefix6_covers(&rec->subnet6, &rec->range6)) {
			nb_errorf("network \"%s\": IPv6 ip-range %s is not inside subnet %s",
				  spec->name, spec->ip_range6, nb_fmt_prefix6(&rec->subnet6, a));
			return -EINVAL;
		}
	}
	if (spec->gateway6) {
		struct in6_addr net = rec->subnet6.addr;

		if (nb_parse_ipv6(spec->gateway6, &rec->gateway6)) {
			nb_errorf(
			    "network \"%s\": invalid IPv6 gateway \"%s\": not an IPv6 address",
			    spec->name, spec->gateway6);
			return -EINVAL;
		}
		if (!nb_prefix6_contains(&rec->subnet6, &rec->gateway6)) {
			nb_errorf("network \"%s\": IPv6 gateway %s is outside subnet %s",
				  spec->name, spec->gateway6, nb_fmt_prefix6(&rec->subnet6, a));
			return -EINVAL;
		}
		if (!memcmp(&net, &rec->gateway6, sizeof(net))) {
			nb_errorf("network \"%s\": IPv6 gateway %s is the subnet-router address of "
				  "subnet %s",
				  spec->name, spec->gateway6, nb_fmt_prefix6(&rec->subnet6, a));
			return -EINVAL;
		}
	} else {
		nb_ipam6_default_gateway(&rec->subnet6, &rec->range6, &rec->gateway6);
	}

	return subnet_clash(spec, rec, others, nothers, true);
}

static char *dump_sorted(json_t *obj)
{
	return json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
}

/*
 * One --aux-address NAME=IP into aux: Docker's checks (inside the subnet, not the
 * gateway, the network or broadcast address, not given twice)
 */
static int aux_put(const struct nb_net_spec *spec, const struct nb_network_rec *rec, json_t *aux,
		   const char *kv)
{
	char a[NB_CIDR_STRLEN];
	const char *eq = strchr(kv, '='), *k;
	__be32 ip;
	json_t *v;
	char *name;

	if (!eq || eq == kv || nb_parse_ipv4(eq + 1, &ip)) {
		nb_errorf("network \"%s\": invalid --aux-address \"%s\": expected NAME=IPv4",
			  spec->name, kv);
		return -EINVAL;
	}
	if (!nb_prefix_contains(&rec->subnet, ip)) {
		nb_errorf("network \"%s\": auxiliary address %s is outside subnet %s", spec->name,
			  eq + 1, nb_fmt_prefix(&rec->subnet, a));
		return -EINVAL;
	}
	if (ip == rec->gateway || ip == rec->subnet.addr ||
	    ip == nb_prefix_broadcast(&rec->subnet)) {
		nb_errorf("network \"%s\": auxiliary address %s is the %s address", spec->name,
			  eq + 1,
			  ip == rec->gateway ? "gateway" : ip == rec->subnet.addr ? "network"
										 : "broadcast");
		return -EINVAL;
	}
	json_object_foreach(aux, k, v)
	{
		if (!strcmp(json_string_value(v), eq + 1)) {
			nb_errorf("network \"%s\": auxiliary address %s is given twice (%s and "
				  "%.*s)",
				  spec->name, eq + 1, k, (int)(eq - kv), kv);
			return -EINVAL;
		}
	}
	name = strndup(kv, (size_t)(eq - kv));
	if (!name)
		return -ENOMEM;
	json_object_set_new(aux, name, json_string(eq + 1));
	free(name);
	return 0;
}

int nb_net_spec_resolve(const struct nb_net_spec *spec, const struct nb_network_rec *others,
			size_t nothers, struct nb_network_rec *rec)
{
	json_t *opts = NULL, *labels = NULL, *aux = NULL;
	const char *why = NULL, *mode;
	char buf[24];
	unsigned long mtu;
	size_t i;
	int err;

	memset(rec, 0, sizeof(*rec));
	if (nb_name_check(spec->name, &why)) {
		nb_errorf("network \"%s\": invalid name: %s", spec->name, why ? why : "");
		return -EINVAL;
	}
	for (i = 0; i < nothers; i++) {
		if (!strcmp(others[i].name, spec->name)) {
			nb_errorf("network \"%s\" already exists (id %.*s)", spec->name,
				  NB_SHORT_ID_LEN, others[i].id);
			return -EEXIST;
		}
	}
	err = check_driver(spec);
	if (err)
		return err;

	snprintf(rec->name, sizeof(rec->name), "%s", spec->name);
	snprintf(rec->driver, sizeof(rec->driver), "%s",
		 spec->driver && !strcmp(spec->driver, NB_DRIVER_OVERLAY) ? NB_DRIVER_OVERLAY
									  : NB_DRIVER_BRIDGE);
	rec->internal = spec->internal;
	rec->icc = true;
	rec->masquerade = true;
	rec->host_binding = 0;

	opts = json_object();
	labels = json_object();
	if (!opts || !labels) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < spec->nopts; i++) {
		err = apply_opt(spec, spec->opts[i], rec, opts);
		if (err)
			goto cleanup;
	}
	/* routed is Docker's "no NAT": whatever the masquerade option said */
	mode = json_string_value(json_object_get(opts, NB_OPT_GATEWAY_MODE));
	if (mode && !strcmp(mode, "routed"))
		rec->masquerade = false;
	if (spec->mtu) {
		if (nb_parse_ulong(spec->mtu, NB_MTU_MIN, NB_MTU_MAX, &mtu)) {
			nb_errorf("network \"%s\": invalid MTU \"%s\": must be a number between %d "
				  "and %d",
				  spec->name, spec->mtu, NB_MTU_MIN, NB_MTU_MAX);
			err = -EINVAL;
			goto cleanup;
		}
		rec->mtu = (unsigned int)mtu;
		/* shown in inspect's Options as Docker shows the option it stands for */
		snprintf(buf, sizeof(buf), "%lu", mtu);
		json_object_set_new(opts, NB_OPT_MTU, json_string(buf));
	}
	for (i = 0; i < spec->nlabels; i++) {
		if (nb_kv_put(labels, spec->labels[i], false)) {
			nb_errorf("network \"%s\": invalid label \"%s\": expected KEY=VALUE",
				  spec->name, spec->labels[i]);
			err = -EINVAL;
			goto cleanup;
		}
	}

	if (spec->no_ipv4) {
		/* IPv6-only: no IPv4 subnet is picked, none may be given */
		if (spec->subnet || spec->gateway || spec->ip_range || spec->naux) {
			nb_errorf("network \"%s\": --ipv4=false takes no IPv4 %s", spec->name,
				  spec->subnet	   ? "--subnet"
				  : spec->gateway  ? "--gateway"
				  : spec->ip_range ? "--ip-range"
						   : "--aux-address");
			err = -EINVAL;
			goto cleanup;
		}
		if (!spec->ipv6) {
			nb_errorf("network \"%s\": --ipv4=false needs --ipv6 and an IPv6 --subnet "
				  "(a network has at least one address family)",
				  spec->name);
			err = -EINVAL;
			goto cleanup;
		}
		err = 0;
	} else {
		err = resolve_addressing(spec, others, nothers, rec);
	}
	if (!err)
		err = resolve_addressing6(spec, others, nothers, rec);
	if (err)
		goto cleanup;

	aux = json_object();
	if (!aux) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < spec->naux; i++) {
		err = aux_put(spec, rec, aux, spec->aux[i]);
		if (err)
			goto cleanup;
	}
	rec->attachable = spec->attachable;
	rec->options = dump_sorted(opts);
	rec->labels = dump_sorted(labels);
	rec->aux_addresses = dump_sorted(aux);
	if (!rec->options || !rec->labels || !rec->aux_addresses) {
		nb_network_rec_clear(rec);
		err = -ENOMEM;
	}
cleanup:
	json_decref(opts);
	json_decref(labels);
	json_decref(aux);
	return err;
}

int nb_open_state_unchecked(const struct nb_instance *inst, bool writer, struct nb_store **st)
{
	int err = nb_store_open(inst->state_dir, writer, st);

	if (err == -EACCES || err == -EPERM)
		nb_errorf("state %s: permission denied (the state is readable by root only)",
			  inst->state_dir);
	/* other failures the store has reported in SQLite's words */
	return err;
}

int nb_open_state(const struct nb_instance *inst, bool writer, struct nb_store **st)
{
	int err = nb_open_state_unchecked(inst, writer, st);

	/* a lost database, or another instance's, is not an empty state (owner.h) */
	if (!err)
		err = nb_state_check(inst, *st);
	if (err) {
		nb_store_close(*st);
		*st = NULL;
	}
	return err;
}

static int find_error(const char *kind, const char *arg, int err)
{
	if (err == -ENOENT)
		nb_errorf("%s \"%s\" not found", kind, arg);
	else if (err == -ENOTUNIQ)
		nb_errorf("%s \"%s\": the id prefix matches several %ss; give more digits", kind,
			  arg, kind);
	else if (err)
		nb_errorf("%s \"%s\": cannot read the state: %s", kind, arg, strerror(-err));
	return err;
}

int nb_find_network(struct nb_store *st, const char *name_or_id, struct nb_network_rec *out)
{
	return find_error("network", name_or_id, nb_store_network_find(st, name_or_id, out));
}

int nb_find_sandbox(struct nb_store *st, const char *name_or_id, struct nb_sandbox_rec *out)
{
	return find_error("sandbox", name_or_id, nb_store_sandbox_find(st, name_or_id, out));
}
