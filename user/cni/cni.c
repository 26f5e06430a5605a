// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The CNI protocol: environment, configuration, versions, result and error JSON (cni.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <netbpf/netbpf.h>

#include "cni.h"

#define IFNAME_MAX 15 /* IFNAMSIZ - 1 */

int nb_cni_errorf(struct nb_cni_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e->code)
		return -EINVAL;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

json_t *nb_cni_error_json(const char *version, const struct nb_cni_err *e)
{
	json_t *o = json_pack("{s:s, s:i, s:s}", "cniVersion",
			      version && *version ? version : NB_CNI_VERSION_LATEST, "code",
			      e->code ? e->code : NB_CNI_ERR_NETBPF, "msg",
			      e->msg[0] ? e->msg : "netbpf: unknown error");

	if (o && e->details[0])
		json_object_set_new(o, "details", json_string(e->details));
	return o;
}

/* ---- versions ------------------------------------------------------------ */

/* 0.2.0 and older have another result shape ("ip4": {...}): not spoken */
const char *const nb_cni_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL};

static int version_parse(const char *v, long out[3])
{
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		if (!v || *v < '0' || *v > '9')
			return -EINVAL;
		out[i] = strtol(v, &end, 10);
		if (i < 2 && *end != '.')
			return -EINVAL;
		if (i == 2 && *end)
			return -EINVAL;
		v = end + 1;
	}
	return 0;
}

int nb_cni_version_cmp(const char *a, const char *b)
{
	long x[3], y[3];
	int i;
	bool xa = !version_parse(a, x), yb = !version_parse(b, y);

	if (!xa || !yb)
		return xa == yb ? 0 : (xa ? 1 : -1);
	for (i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

bool nb_cni_version_supported(const char *v)
{
	size_t i;

	for (i = 0; v && nb_cni_versions[i]; i++)
		if (!strcmp(v, nb_cni_versions[i]))
			return true;
	return false;
}

json_t *nb_cni_version_json(void)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; nb_cni_versions[i]; i++)
		json_array_append_new(list, json_string(nb_cni_versions[i]));
	return json_pack("{s:s, s:o}", "cniVersion", NB_CNI_VERSION_LATEST, "supportedVersions",
			 list);
}

/* ---- environment ---------------------------------------------------------- */

static const struct {
	const char *name;
	enum nb_cni_cmd cmd;
} commands[] = {
    {"ADD", NB_CNI_ADD},	 {"DEL", NB_CNI_DEL},	    {"CHECK", NB_CNI_CHECK},
    {"VERSION", NB_CNI_VERSION}, {"STATUS", NB_CNI_STATUS}, {"GC", NB_CNI_GC},
};

/* The spec's container id: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
static bool container_id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return i > 0;
}

/* What the kernel and libcni accept as an interface name */
static const char *ifname_problem(const char *s)
{
	size_t i, len = strlen(s);

	if (!len)
		return "it is empty";
	if (len > IFNAME_MAX)
		return "it is longer than 15 characters";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "\".\" and \"..\" are not interface names";
	for (i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n')
			return "it contains '/', ':' or a blank";
	return NULL;
}

/*
 * CNI_ARGS "K=V;K=V": netbpf reads IP, K8S_POD_NAME and K8S_POD_NAMESPACE; the rest
 * (IgnoreUnknown, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID, ...) is the runtime's business
 */
static int args_parse(const char *args, struct nb_cni_env *env, struct nb_cni_err *e)
{
	char *copy, *save = NULL, *kv, *eq;
	int err = 0;

	if (!args || !*args)
		return 0;
	copy = strdup(args);
	if (!copy)
		return nb_cni_errorf(e, NB_CNI_ERR_IO, "out of memory");
	for (kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		eq = strchr(kv, '=');
		if (!eq || eq == kv) {
			err = nb_cni_errorf(e, NB_CNI_ERR_INVALID_ENV,
					    "CNI_ARGS \"%s\": \"%s\" is not KEY=VALUE", args, kv);
			break;
		}
		*eq = '\0';
		if (!strcmp(kv, "IP") && nb_parse_ipv4(eq + 1, &env->arg_ip)) {
			err = nb_cni_errorf(e, NB_CNI_ERR_INVALID_ENV,
					    "CNI_ARGS IP=\"%s\": not an IPv4 address", eq + 1);
			break;
		}
		/* the pod's name names the sandbox (IgnoreUnknown and the rest: the runtime's) */
		if (!strcmp(kv, "K8S_POD_NAME"))
			snprintf(env->pod_name, sizeof(env->pod_name), "%s", eq + 1);
		else if (!strcmp(kv, "K8S_POD_NAMESPACE"))
			snprintf(env->pod_ns, sizeof(env->pod_ns), "%s", eq + 1);
	}
	free(copy);
	return err;
}

int nb_cni_env_parse(const char *(*get)(const char *name), struct nb_cni_env *env,
		     struct nb_cni_err *e)
{
	/* which variables each command needs (libcni's skel asks the same) */
	static const struct {
		const char *name;
		unsigned int need; /* bit per enum nb_cni_cmd */
	} vars[] = {
	    {"CNI_CONTAINERID", 1u << NB_CNI_ADD | 1u << NB_CNI_DEL | 1u << NB_CNI_CHECK},
	    {"CNI_NETNS", 1u << NB_CNI_ADD | 1u << NB_CNI_CHECK},
	    {"CNI_IFNAME", 1u << NB_CNI_ADD | 1u << NB_CNI_DEL | 1u << NB_CNI_CHECK},
	    {"CNI_PATH", 1u << NB_CNI_ADD | 1u << NB_CNI_DEL | 1u << NB_CNI_CHECK |
			     1u << NB_CNI_STATUS | 1u << NB_CNI_GC},
	};
	const char *missing[4], *why;
	char list[128];
	size_t i, n = 0, len = 0;

	memset(env, 0, sizeof(*env));
	env->command = get("CNI_COMMAND");
	if (!env->command || !*env->command)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_ENV,
				     "required environment variable CNI_COMMAND is missing");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(env->command, commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_ENV,
				     "unknown CNI_COMMAND \"%s\" (ADD, DEL, CHECK, VERSION, STATUS "
				     "or GC)",
				     env->command);
	env->cmd = commands[i].cmd;

	env->container_id = get("CNI_CONTAINERID");
	env->netns = get("CNI_NETNS");
	env->ifname = get("CNI_IFNAME");
	env->args = get("CNI_ARGS");
	env->path = get("CNI_PATH");
	{
		const char *vals[] = {env->container_id, env->netns, env->ifname, env->path};

		for (i = 0; i < 4; i++)
			if ((vars[i].need & 1u << env->cmd) && (!vals[i] || !*vals[i]))
				missing[n++] = vars[i].name;
	}
	if (n) {
		list[0] = '\0';
		for (i = 0; i < n; i++)
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						i ? ", " : "", missing[i]);
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_ENV,
				     "CNI_COMMAND=%s: required environment variable%s %s missing",
				     env->command, n > 1 ? "s" : "", list);
	}
	if (env->netns && !*env->netns)
		env->netns = NULL;
	if (env->cmd == NB_CNI_VERSION || env->cmd == NB_CNI_STATUS || env->cmd == NB_CNI_GC)
		return 0;

	if (!container_id_ok(env->container_id))
		return nb_cni_errorf(
		    e, NB_CNI_ERR_INVALID_ENV,
		    "CNI_CONTAINERID \"%s\": invalid characters (a container id is "
		    "[a-zA-Z0-9][a-zA-Z0-9_.-]*)",
		    env->container_id);
	why = ifname_problem(env->ifname);
	if (why)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_ENV,
				     "CNI_IFNAME \"%s\": not a valid interface name: %s",
				     env->ifname, why);
	if (env->netns && env->netns[0] != '/')
		return nb_cni_errorf(
		    e, NB_CNI_ERR_INVALID_ENV,
		    "CNI_NETNS \"%s\": not an absolute path to a network namespace", env->netns);
	return args_parse(env->args, env, e);
}

/* ---- configuration -------------------------------------------------------- */

static int want_string(json_t *o, const char *key, const char *where, const char **out,
		       struct nb_cni_err *e)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG, "%s%s: must be a string", where,
				     key);
	*out = json_string_value(v);
	return 0;
}

static int want_bool(json_t *o, const char *key, bool *has, bool *out, struct nb_cni_err *e)
{
	json_t *v = json_object_get(o, key);

	*has = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "%s: must be true or false, not %s", key,
				     json_is_string(v) ? "a string" : "this value");
	*has = true;
	*out = json_is_true(v);
	return 0;
}

static int check_cidr(const char *key, const char *s, struct nb_cni_err *e)
{
	struct nb_prefix p;

	if (s && strchr(s, ':'))
		return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
				     "%s \"%s\": IPv6 is not supported by netbpf", key, s);
	if (s && nb_parse_prefix(s, true, &p))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "%s \"%s\": not an IPv4 CIDR with its host bits zero "
				     "(like 10.88.0.0/16)",
				     key, s);
	return 0;
}

static int check_ipv4(const char *key, const char *s, struct nb_cni_err *e)
{
	__be32 ip;

	if (s && strchr(s, ':'))
		return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
				     "%s \"%s\": IPv6 is not supported by netbpf", key, s);
	if (s && nb_parse_ipv4(s, &ip))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG, "%s \"%s\": not an IPv4 address",
				     key, s);
	return 0;
}

/* A and B of "rangeStart"/"rangeEnd" as one CIDR block (netbpf's ip-range is a prefix) */
static int range_to_cidr(const char *start, const char *end, char out[20], struct nb_cni_err *e)
{
	struct nb_prefix p;
	__be32 a, b;
	__u32 ha, hb, size;
	int len;

	if (check_ipv4("ipam.rangeStart", start, e) || check_ipv4("ipam.rangeEnd", end, e))
		return -EINVAL;
	nb_parse_ipv4(start, &a);
	nb_parse_ipv4(end, &b);
	ha = ntohl(a);
	hb = ntohl(b);
	if (hb < ha)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "ipam.rangeStart %s is after ipam.rangeEnd %s", start, end);
	size = hb - ha + 1;
	if (size && !(size & (size - 1)) && !(ha & (size - 1))) {
		for (len = 32; size > 1; size >>= 1)
			len--;
		p.addr = a;
		p.len = len;
		nb_fmt_prefix(&p, out);
		return 0;
	}
	return nb_cni_errorf(
	    e, NB_CNI_ERR_UNSUPPORTED_FIELD,
	    "ipam.rangeStart/rangeEnd %s-%s: netbpf allocates from one CIDR block; "
	    "give a range that is one (like 10.88.1.0-10.88.1.255) or use ipRange",
	    start, end);
}

/* The addressing of host-local's "ipam" object, merged into the top-level keys */
static int ipam_parse(json_t *ipam, struct nb_cni_conf *c, struct nb_cni_err *e)
{
	const char *type, *subnet = NULL, *gateway = NULL, *start = NULL, *end = NULL;
	json_t *ranges, *set, *r;

	if (!json_is_object(ipam))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG, "ipam: must be an object");
	if (want_string(ipam, "type", "ipam.", &type, e))
		return -EINVAL;
	/* netbpf's own IPAM serves; host-local's keys are read for its subnet and gateway */
	if (type && strcmp(type, "netbpf") && strcmp(type, "host-local"))
		return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
				     "ipam.type \"%s\": netbpf allocates addresses itself (leave "
				     "ipam.type out, or use \"netbpf\" or \"host-local\")",
				     type);
	ranges = json_object_get(ipam, "ranges");
	if (ranges) {
		if (!json_is_array(ranges) || json_array_size(ranges) == 0)
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "ipam.ranges: must be a non-empty list of range sets");
		if (json_array_size(ranges) > 2)
			return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
					     "ipam.ranges: %zu range sets given; a netbpf network "
					     "has one IPv4 and one IPv6 subnet",
					     json_array_size(ranges));
		for (size_t k = 0; k < json_array_size(ranges); k++) {
			const char *sn = NULL, *gw = NULL, *rs = NULL, *re = NULL;
			char where[48];

			snprintf(where, sizeof(where), "ipam.ranges[%zu][0].", k);
			set = json_array_get(ranges, k);
			if (!json_is_array(set) || json_array_size(set) != 1)
				return nb_cni_errorf(e,
						     json_is_array(set) && json_array_size(set) > 1
							 ? NB_CNI_ERR_UNSUPPORTED_FIELD
							 : NB_CNI_ERR_INVALID_CONFIG,
						     "ipam.ranges[%zu]: must be a list of exactly "
						     "one range (a netbpf "
						     "network has one subnet per address family)",
						     k);
			r = json_array_get(set, 0);
			if (!json_is_object(r))
				return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
						     "%.*s: must be an object",
						     (int)strlen(where) - 1, where);
			if (want_string(r, "subnet", where, &sn, e) ||
			    want_string(r, "gateway", where, &gw, e) ||
			    want_string(r, "rangeStart", where, &rs, e) ||
			    want_string(r, "rangeEnd", where, &re, e))
				return -EINVAL;
			if (!sn)
				return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
						     "%ssubnet is missing", where);
			if (!strchr(sn, ':')) {
				if (subnet)
					return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
							     "ipam.ranges: two IPv4 range sets; a "
							     "netbpf network has one IPv4 subnet");
				subnet = sn, gateway = gw, start = rs, end = re;
				continue;
			}
			if (c->subnet6)
				return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
						     "ipam.ranges: two IPv6 range sets; a netbpf "
						     "network has one IPv6 subnet");
			if (rs || re)
				return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
						     "%srangeStart/rangeEnd: netbpf takes no range "
						     "in an IPv6 range set",
						     where);
			if (gw && !strchr(gw, ':'))
				return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
						     "%sgateway \"%s\": not an IPv6 address", where,
						     gw);
			c->subnet6 = sn;
			c->gateway6 = gw;
		}
		if (!subnet)
			return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
					     "ipam.ranges: no IPv4 range set; a netbpf network has "
					     "an IPv4 subnet");
	} else if (want_string(ipam, "subnet", "ipam.", &subnet, e) ||
		   want_string(ipam, "gateway", "ipam.", &gateway, e) ||
		   want_string(ipam, "rangeStart", "ipam.", &start, e) ||
		   want_string(ipam, "rangeEnd", "ipam.", &end, e)) {
		return -EINVAL;
	}
	if (subnet) {
		if (c->subnet && strcmp(c->subnet, subnet))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "subnet \"%s\" and ipam subnet \"%s\" disagree",
					     c->subnet, subnet);
		c->subnet = subnet;
	}
	if (gateway) {
		if (c->gateway && strcmp(c->gateway, gateway))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "gateway \"%s\" and ipam gateway \"%s\" disagree",
					     c->gateway, gateway);
		c->gateway = gateway;
	}
	if (start || end) {
		if (!start || !end)
			return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
					     "ipam: rangeStart and rangeEnd go together (netbpf "
					     "allocates from one CIDR block)");
		if (c->ip_range)
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "ipRange and ipam rangeStart/rangeEnd are both given");
		if (range_to_cidr(start, end, c->ip_range_buf, e))
			return -EINVAL;
		c->ip_range = c->ip_range_buf;
	}
	return 0;
}

static int port_parse(json_t *pm, size_t i, struct nb_cni_portmap *out, struct nb_cni_err *e)
{
	json_t *hp = json_object_get(pm, "hostPort"), *cp = json_object_get(pm, "containerPort");
	const char *proto = "tcp", *hip = NULL;
	json_int_t h, c;

	if (!json_is_object(pm))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "runtimeConfig.portMappings[%zu]: must be an object", i);
	if (!json_is_integer(hp) || !json_is_integer(cp))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "runtimeConfig.portMappings[%zu]: hostPort and containerPort "
				     "must be numbers",
				     i);
	h = json_integer_value(hp);
	c = json_integer_value(cp);
	if (h < 1 || h > 65535 || c < 1 || c > 65535)
		return nb_cni_errorf(
		    e, NB_CNI_ERR_INVALID_CONFIG,
		    "runtimeConfig.portMappings[%zu]: port %lld: ports are 1-65535", i,
		    (long long)(h < 1 || h > 65535 ? h : c));
	if (want_string(pm, "protocol", "runtimeConfig.portMappings[].", &proto, e) ||
	    want_string(pm, "hostIP", "runtimeConfig.portMappings[].", &hip, e))
		return -EINVAL;
	if (!proto || !*proto || !strcasecmp(proto, "tcp"))
		out->proto = NB_CNI_PROTO_TCP;
	else if (!strcasecmp(proto, "udp"))
		out->proto = NB_CNI_PROTO_UDP;
	else
		return nb_cni_errorf(e, NB_CNI_ERR_UNSUPPORTED_FIELD,
				     "runtimeConfig.portMappings[%zu]: protocol \"%s\": netbpf "
				     "publishes tcp and udp",
				     i, proto);
	out->family = NB_FAMILY_ANY;
	out->host_ip = 0;
	memset(&out->host_ip6, 0, sizeof(out->host_ip6));
	if (hip && *hip) {
		if (!nb_parse_ipv4(hip, &out->host_ip))
			out->family = NB_FAMILY_V4;
		else if (inet_pton(AF_INET6, hip, &out->host_ip6) == 1 &&
			 !IN6_IS_ADDR_V4MAPPED(&out->host_ip6) &&
			 !IN6_IS_ADDR_MULTICAST(&out->host_ip6))
			out->family = NB_FAMILY_V6;
		else
			return nb_cni_errorf(
			    e, NB_CNI_ERR_INVALID_CONFIG,
			    "runtimeConfig.portMappings[%zu]: hostIP \"%s\": not an "
			    "IPv4 or IPv6 unicast address",
			    i, hip);
	}
	out->host_port = (__u16)h;
	out->container_port = (__u16)c;
	return 0;
}

static int runtime_parse(json_t *rc, struct nb_cni_conf *c, struct nb_cni_err *e)
{
	json_t *pms, *ips, *v;
	const char *s;
	char addr[NB_CIDR_STRLEN + 4], *slash;
	size_t i;

	if (!rc || json_is_null(rc))
		return 0;
	if (!json_is_object(rc))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "runtimeConfig: must be an object");
	pms = json_object_get(rc, "portMappings");
	if (pms && !json_is_null(pms)) {
		if (!json_is_array(pms))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "runtimeConfig.portMappings: must be a list");
		c->ports = calloc(json_array_size(pms) + 1, sizeof(*c->ports));
		if (!c->ports)
			return nb_cni_errorf(e, NB_CNI_ERR_IO, "out of memory");
		json_array_foreach(pms, i, v)
		{
			if (port_parse(v, i, &c->ports[c->nports], e))
				return -EINVAL;
			c->nports++;
		}
	}
	ips = json_object_get(rc, "ips");
	if (ips && !json_is_null(ips)) {
		if (!json_is_array(ips))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "runtimeConfig.ips: must be a list");
		json_array_foreach(ips, i, v)
		{
			s = json_string_value(v);
			if (!s)
				return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
						     "runtimeConfig.ips[%zu]: must be a string", i);
			if (strchr(s, ':'))
				continue; /* IPv6: netbpf has none to give */
			if (c->want_ip)
				return nb_cni_errorf(
				    e, NB_CNI_ERR_UNSUPPORTED_FIELD,
				    "runtimeConfig.ips: more than one IPv4 address; "
				    "a netbpf endpoint has one");
			snprintf(addr, sizeof(addr), "%s", s);
			slash = strchr(addr, '/');
			if (slash)
				*slash = '\0';
			if (nb_parse_ipv4(addr, &c->want_ip))
				return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
						     "runtimeConfig.ips[%zu] \"%s\": not an IPv4 "
						     "address",
						     i, s);
		}
	}
	return 0;
}

static int valid_parse(json_t *va, struct nb_cni_conf *c, struct nb_cni_err *e)
{
	json_t *v;
	size_t i;

	if (!va)
		return 0;
	if (!json_is_array(va))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "cni.dev/valid-attachments: must be a list");
	c->has_valid = true;
	c->valid = calloc(json_array_size(va) + 1, sizeof(*c->valid));
	if (!c->valid)
		return nb_cni_errorf(e, NB_CNI_ERR_IO, "out of memory");
	json_array_foreach(va, i, v)
	{
		const char *cid = json_string_value(json_object_get(v, "containerID"));
		const char *ifn = json_string_value(json_object_get(v, "ifname"));

		if (!cid || !ifn)
			return nb_cni_errorf(
			    e, NB_CNI_ERR_INVALID_CONFIG,
			    "cni.dev/valid-attachments[%zu]: containerID and ifname "
			    "must be strings",
			    i);
		c->valid[c->nvalid].container_id = cid;
		c->valid[c->nvalid].ifname = ifn;
		c->nvalid++;
	}
	return 0;
}

static int instance_parse(json_t *o, struct nb_cni_conf *c, struct nb_cni_err *e)
{
	json_t *ups = json_object_get(o, "uplinks"), *v;
	size_t i;

	if (want_string(o, "stateDir", "", &c->state_dir, e) ||
	    want_string(o, "pinDir", "", &c->pin_dir, e) ||
	    want_string(o, "cgroup", "", &c->cgroup, e))
		return -EINVAL;
	if ((c->state_dir && c->state_dir[0] != '/') || (c->pin_dir && c->pin_dir[0] != '/') ||
	    (c->cgroup && c->cgroup[0] != '/'))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "stateDir, pinDir and cgroup must be absolute paths");
	if (!ups || json_is_null(ups))
		return 0;
	if (!json_is_array(ups))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "uplinks: must be a list of interface names");
	c->uplinks = calloc(json_array_size(ups) + 1, sizeof(*c->uplinks));
	if (!c->uplinks)
		return nb_cni_errorf(e, NB_CNI_ERR_IO, "out of memory");
	json_array_foreach(ups, i, v)
	{
		const char *s = json_string_value(v);

		if (!s || !*s || strlen(s) > IFNAME_MAX || strchr(s, '/') || strchr(s, ','))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "uplinks[%zu]: not an interface name", i);
		c->uplinks[c->nuplinks++] = s;
	}
	return 0;
}

/* The network's own keys: subnet, gateway, ipRange, mtu, ipMasq, ... and ipam */
static int network_parse(json_t *o, struct nb_cni_conf *c, struct nb_cni_err *e)
{
	json_t *v;
	json_int_t mtu;

	if (want_string(o, "subnet", "", &c->subnet, e) ||
	    want_string(o, "gateway", "", &c->gateway, e) ||
	    want_string(o, "ipRange", "", &c->ip_range, e))
		return -EINVAL;
	v = json_object_get(o, "ipam");
	if (v && !json_is_null(v) && ipam_parse(v, c, e))
		return -EINVAL;
	if (check_cidr("subnet", c->subnet, e) || check_ipv4("gateway", c->gateway, e) ||
	    (c->ip_range != c->ip_range_buf && check_cidr("ipRange", c->ip_range, e)))
		return -EINVAL;
	if ((c->gateway || c->ip_range) && !c->subnet)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "%s needs a subnet in the configuration",
				     c->gateway ? "gateway" : "ipRange");

	v = json_object_get(o, "mtu");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG, "mtu: must be a number");
		mtu = json_integer_value(v);
		if (mtu < 68 || mtu > 65535)
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "mtu %lld: must be between 68 and 65535",
					     (long long)mtu);
		c->has_mtu = true;
		c->mtu = (unsigned int)mtu;
	}
	if (want_bool(o, "ipMasq", &c->has_masq, &c->masq, e) ||
	    want_bool(o, "isDefaultGateway", &c->has_default_gw, &c->default_gw, e) ||
	    want_bool(o, "internal", &c->has_internal, &c->internal, e) ||
	    want_bool(o, "icc", &c->has_icc, &c->icc, e))
		return -EINVAL;
	v = json_object_get(o, "dns");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "dns: must be an object");
		c->dns = v;
	}
	return 0;
}

int nb_cni_conf_parse(const char *text, size_t len, enum nb_cni_cmd cmd, struct nb_cni_conf *c,
		      struct nb_cni_err *e)
{
	const char *version = NULL, *why = NULL;
	json_error_t jerr;
	json_t *o, *v;

	memset(c, 0, sizeof(*c));
	if (cmd == NB_CNI_VERSION && (!len || strspn(text, " \t\r\n") == len))
		return 0;
	o = json_loadb(text, len, 0, &jerr);
	if (!o)
		return nb_cni_errorf(
		    e, NB_CNI_ERR_DECODE,
		    "network configuration on stdin: not JSON: %s (line %d, column "
		    "%d)",
		    jerr.text, jerr.line, jerr.column);
	c->root = o;
	if (!json_is_object(o))
		return nb_cni_errorf(e, NB_CNI_ERR_DECODE,
				     "network configuration on stdin: not a JSON object");
	if (want_string(o, "cniVersion", "", &version, e))
		return -EINVAL;
	if (version)
		snprintf(c->version, sizeof(c->version), "%s", version);
	if (cmd == NB_CNI_VERSION)
		return 0;
	if (!version)
		return nb_cni_errorf(e, NB_CNI_ERR_INCOMPATIBLE_VERSION,
				     "cniVersion is missing (netbpf speaks %s to %s)",
				     nb_cni_versions[0], NB_CNI_VERSION_LATEST);
	if (!nb_cni_version_supported(version))
		return nb_cni_errorf(e, NB_CNI_ERR_INCOMPATIBLE_VERSION,
				     "incompatible CNI versions: config is \"%s\", netbpf supports "
				     "0.3.0, 0.3.1, 0.4.0, 1.0.0 and 1.1.0",
				     version);
	if (cmd == NB_CNI_CHECK && nb_cni_version_cmp(version, "0.4.0") < 0)
		return nb_cni_errorf(e, NB_CNI_ERR_INCOMPATIBLE_VERSION,
				     "config version \"%s\" does not allow CHECK (0.4.0 or later)",
				     version);
	if ((cmd == NB_CNI_STATUS || cmd == NB_CNI_GC) && nb_cni_version_cmp(version, "1.1.0") < 0)
		return nb_cni_errorf(e, NB_CNI_ERR_INCOMPATIBLE_VERSION,
				     "config version \"%s\" does not allow %s (1.1.0 or later)",
				     version, cmd == NB_CNI_GC ? "GC" : "STATUS");

	if (want_string(o, "name", "", &c->name, e) || want_string(o, "type", "", &c->type, e))
		return -EINVAL;
	if (!c->name || !*c->name)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "name: the network's name is "
				     "missing");
	if (nb_name_check(c->name, &why))
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "name \"%s\": not a valid netbpf network name: %s", c->name,
				     why ? why : "");
	if (!c->type || !*c->type)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "type: the plugin's type is "
				     "missing");
	if (instance_parse(o, c, e) || network_parse(o, c, e) ||
	    runtime_parse(json_object_get(o, "runtimeConfig"), c, e) ||
	    valid_parse(json_object_get(o, "cni.dev/valid-attachments"), c, e))
		return -EINVAL;
	v = json_object_get(o, "prevResult");
	if (v && !json_is_null(v)) {
		if (!json_is_object(v))
			return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
					     "prevResult: must be an object");
		c->prev_result = v;
	}
	if (cmd == NB_CNI_CHECK && !c->prev_result)
		return nb_cni_errorf(e, NB_CNI_ERR_INVALID_CONFIG,
				     "CHECK needs the result of the ADD as prevResult");
	return 0;
}

void nb_cni_conf_free(struct nb_cni_conf *c)
{
	free(c->uplinks);
	free(c->ports);
	free(c->valid);
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}

/* ---- results -------------------------------------------------------------- */

json_t *nb_cni_result_json(const char *version, const struct nb_cni_attachment *a)
{
	char mac[18], hmac[18], addr[NB_CIDR_STRLEN + 4], gw[NB_IPV4_STRLEN];
	char addr6[NB_CIDR6_STRLEN], gw6[NB_IPV6_STRLEN];
	bool v1 = nb_cni_version_cmp(version, "1.0.0") >= 0;
	bool v11 = nb_cni_version_cmp(version, "1.1.0") >= 0;
	json_t *r, *ifs, *host, *ctr, *ip, *ips, *routes;

	nb_fmt_ipv4(a->ip, addr);
	snprintf(addr + strlen(addr), sizeof(addr) - strlen(addr), "/%d", a->prefix_len);
	nb_fmt_ipv4(a->gateway, gw);
	host =
	    json_pack("{s:s, s:s}", "name", a->host_ifname, "mac", nb_fmt_mac(a->host_mac, hmac));
	ctr = json_pack("{s:s, s:s, s:s}", "name", a->ifname, "mac", nb_fmt_mac(a->mac, mac),
			"sandbox", a->netns);
	if (v11 && a->mtu) {
		json_object_set_new(host, "mtu", json_integer(a->mtu));
		json_object_set_new(ctr, "mtu", json_integer(a->mtu));
	}
	ifs = json_pack("[o, o]", host, ctr);
	/* interface: the index of the container side in "interfaces" */
	ip = json_pack("{s:s, s:s, s:i}", "address", addr, "gateway", gw, "interface", 1);
	if (!v1)
		json_object_set_new(ip, "version", json_string("4"));
	routes = json_array();
	if (a->default_route)
		json_array_append_new(routes,
				      json_pack("{s:s, s:s}", "dst", "0.0.0.0/0", "gw", gw));
	ips = json_pack("[o]", ip);
	/* a dual-stack network: the IPv6 address after the IPv4 one, its default route too */
	if (!nb_ipv6_is_zero(&a->ip6)) {
		nb_fmt_ipv6(&a->ip6, addr6);
		snprintf(addr6 + strlen(addr6), sizeof(addr6) - strlen(addr6), "/%d",
			 a->prefix6_len);
		nb_fmt_ipv6(&a->gateway6, gw6);
		ip = json_pack("{s:s, s:s, s:i}", "address", addr6, "gateway", gw6, "interface", 1);
		if (!v1)
			json_object_set_new(ip, "version", json_string("6"));
		json_array_append_new(ips, ip);
		if (a->default_route)
			json_array_append_new(routes,
					      json_pack("{s:s, s:s}", "dst", "::/0", "gw", gw6));
	}
	r = json_pack("{s:s, s:o, s:o, s:o}", "cniVersion", version, "interfaces", ifs, "ips", ips,
		      "routes", routes);
	if (r) {
		json_t *dns = a->dns ? json_deep_copy(a->dns) : json_object();

		/* netbpfd's DNS serves the network's names on its gateway: the runtime writes it */
		if (dns && !json_object_get(dns, "nameservers"))
			json_object_set_new(dns, "nameservers", json_pack("[s]", gw));
		json_object_set_new(r, "dns", dns);
	}
	return r;
}
