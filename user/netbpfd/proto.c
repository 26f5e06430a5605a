// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Docker's remote NetworkDriver/IpamDriver calls: JSON in, JSON out (proto.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <netbpf/netbpf.h>
#include "proto.h"

int nbd_errorf(struct nbd_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (!e->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return err < 0 ? err : -EINVAL;
}

static const char *str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

int nbd_parse_cidr_addr(const char *s, __be32 *ip, int *len)
{
	char buf[20], *slash, *end;
	long l;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	errno = 0;
	l = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || l < 0 || l > 32)
		return -EINVAL;
	if (nb_parse_ipv4(buf, ip))
		return -EINVAL;
	*len = (int)l;
	return 0;
}

int nbd_parse_cidr_addr6(const char *s, struct in6_addr *ip, int *len)
{
	const char *slash = strchr(s, '/');
	char buf[NB_IPV6_STRLEN];
	struct nb_prefix6 p;

	/* the length through nb_parse_prefix6 (not strict), the address taken whole */
	if (!slash || (size_t)(slash - s) >= sizeof(buf) || nb_parse_prefix6(s, false, &p))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (nb_parse_ipv6(buf, ip))
		return -EINVAL;
	*len = p.len;
	return 0;
}

/* ---- CreateNetwork ---------------------------------------------------------- */

static bool opt_true(json_t *v)
{
	const char *s = json_string_value(v);

	/* Docker sends booleans; a string "true" is what a generic map would hold */
	return json_is_true(v) || (s && !strcmp(s, "true"));
}

void nbd_network_free(struct nbd_network *n)
{
	free(n->opts);
	free(n->buf);
	n->opts = NULL;
	n->buf = NULL;
	n->nopts = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int nbd_network_parse(json_t *req, struct nbd_network *n, struct nbd_err *e)
{
	json_t *opts, *generic, *v4, *v6, *v;
	const char *key, *pool, *gw, *s;
	size_t size = 0, off = 0, i;
	char gwbuf[20], *slash;
	struct nb_prefix p;
	__be32 ip;

	memset(n, 0, sizeof(*n));
	n->id = str_of(req, "NetworkID");
	if (!*n->id)
		return nbd_errorf(e, -EINVAL, "CreateNetwork: NetworkID is missing");
	opts = json_object_get(req, "Options");
	n->internal = opt_true(json_object_get(opts, NBD_OPT_INTERNAL));
	n->ipv6 = opt_true(json_object_get(opts, NBD_OPT_IPV6));
	v6 = json_object_get(req, "IPv6Data");
	if (json_array_size(v6))
		n->ipv6 = true;
	if (json_array_size(v6) > 1)
		return nbd_errorf(e, -EINVAL,
				  "network %.12s: netbpf takes one IPv6 subnet per network, Docker "
				  "gave %zu",
				  n->id, json_array_size(v6));
	v = json_array_get(v6, 0);
	pool = str_of(v, "Pool");
	if (*pool) {
		struct nb_prefix6 p6;

		if (nb_parse_prefix6(pool, true, &p6))
			return nbd_errorf(e, -EINVAL, "network %.12s: invalid IPv6 pool \"%s\"",
					  n->id, pool);
		snprintf(n->pool6, sizeof(n->pool6), "%s", pool);
	}
	gw = str_of(v, "Gateway");
	if (*gw) {
		struct in6_addr g6;
		int len;

		if (nbd_parse_cidr_addr6(gw, &g6, &len) && nb_parse_ipv6(gw, &g6))
			return nbd_errorf(e, -EINVAL, "network %.12s: invalid IPv6 gateway \"%s\"",
					  n->id, gw);
		nb_fmt_ipv6(&g6, n->gateway6);
	}

	v4 = json_object_get(req, "IPv4Data");
	if (json_array_size(v4) > 1)
		return nbd_errorf(e, -EINVAL,
				  "network %.12s: netbpf takes one IPv4 subnet per network, Docker "
				  "gave %zu",
				  n->id, json_array_size(v4));
	v = json_array_get(v4, 0);
	pool = str_of(v, "Pool");
	if (*pool) {
		if (nb_parse_prefix(pool, true, &p))
			return nbd_errorf(e, -EINVAL, "network %.12s: invalid IPv4 pool \"%s\"",
					  n->id, pool);
		snprintf(n->pool, sizeof(n->pool), "%s", pool);
	}
	gw = str_of(v, "Gateway");
	if (*gw) {
		snprintf(gwbuf, sizeof(gwbuf), "%s", gw);
		slash = strchr(gwbuf, '/');
		if (slash)
			*slash = '\0';
		if (nb_parse_ipv4(gwbuf, &ip))
			return nbd_errorf(e, -EINVAL, "network %.12s: invalid IPv4 gateway \"%s\"",
					  n->id, gw);
		snprintf(n->gateway, sizeof(n->gateway), "%s", gwbuf);
	}

	/* -o KEY=VALUE (compose's driver_opts): netbpf's options, given back as given */
	generic = json_object_get(opts, NBD_OPT_GENERIC);
	if (generic && !json_is_object(generic) && !json_is_null(generic))
		return nbd_errorf(e, -EINVAL, "network %.12s: %s is not an object", n->id,
				  NBD_OPT_GENERIC);
	json_object_foreach(generic, key, v)
	{
		if (!json_is_string(v))
			return nbd_errorf(e, -EINVAL,
					  "network %.12s: option \"%s\": the value must be a "
					  "string",
					  n->id, key);
		size += strlen(key) + strlen(json_string_value(v)) + 2;
	}
	n->nopts = json_object_size(generic);
	if (!n->nopts)
		return 0;
	n->buf = malloc(size);
	n->opts = calloc(n->nopts, sizeof(*n->opts));
	if (!n->buf || !n->opts) {
		nbd_network_free(n);
		return nbd_errorf(e, -ENOMEM, "out of memory");
	}
	i = 0;
	json_object_foreach(generic, key, v)
	{
		s = json_string_value(v);
		n->opts[i++] = n->buf + off;
		off += (size_t)sprintf(n->buf + off, "%s=%s", key, s) + 1;
	}
	qsort(n->opts, n->nopts, sizeof(*n->opts), cmp_str);
	return 0;
}

/* ---- port maps ---------------------------------------------------------------- */

static int json_u16(json_t *obj, const char *key, __u16 *out)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (!v || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return -EINVAL;
	i = json_integer_value(v);
	if (i < 0 || i > 65535)
		return -ERANGE;
	*out = (__u16)i;
	return 0;
}

int nbd_portmap_parse(json_t *options, struct nbd_portmap **out, size_t *n, struct nbd_err *e)
{
	json_t *arr = json_object_get(options, NBD_OPT_PORTMAP), *b;
	struct nbd_portmap *v;
	const char *hip;
	json_int_t proto;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return nbd_errorf(e, -EINVAL, "%s is not a list", NBD_OPT_PORTMAP);
	if (!json_array_size(arr))
		return 0;
	v = calloc(json_array_size(arr), sizeof(*v));
	if (!v)
		return nbd_errorf(e, -ENOMEM, "out of memory");
	json_array_foreach(arr, i, b)
	{
		struct nbd_portmap *m = &v[i];

		proto = json_integer_value(json_object_get(b, "Proto"));
		if (!json_is_integer(json_object_get(b, "Proto")) ||
		    (proto != IPPROTO_TCP && proto != IPPROTO_UDP)) {
			nbd_errorf(e, -EINVAL,
				   "port mapping %zu: protocol %s is not supported (netbpf "
				   "publishes tcp and udp)",
				   i, proto == IPPROTO_SCTP ? "sctp" : "(unknown)");
			goto fail;
		}
		m->proto = (__u8)proto;
		if (json_u16(b, "Port", &m->port) || !m->port ||
		    json_u16(b, "HostPort", &m->host_port) ||
		    json_u16(b, "HostPortEnd", &m->host_port_end)) {
			nbd_errorf(e, -EINVAL, "port mapping %zu: invalid port number", i);
			goto fail;
		}
		if (!m->host_port)
			m->host_port_end = 0;
		else if (m->host_port_end < m->host_port)
			m->host_port_end = m->host_port;
		hip = str_of(b, "HostIP");
		if (!*hip) {
			m->family = NB_FAMILY_ANY;
		} else if (!nb_parse_ipv4(hip, &m->host_ip)) {
			m->family = NB_FAMILY_V4;
		} else if (inet_pton(AF_INET6, hip, &m->host_ip6) == 1 &&
			   !IN6_IS_ADDR_V4MAPPED(&m->host_ip6)) {
			m->family = NB_FAMILY_V6;
		} else {
			nbd_errorf(e, -EINVAL, "port mapping %zu: invalid host address \"%s\"", i,
				   hip);
			goto fail;
		}
	}
	*out = v;
	*n = json_array_size(arr);
	return 0;
fail:
	free(v);
	return -EINVAL;
}

int nbd_portmap_spec(const struct nbd_portmap *m, __u16 hp, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN + 3] = "", a[INET6_ADDRSTRLEN];
	const char *proto = m->proto == IPPROTO_UDP ? "udp" : "tcp";
	int n;

	if (m->family == NB_FAMILY_V4)
		inet_ntop(AF_INET, &m->host_ip, ip, sizeof(ip));
	else if (m->family == NB_FAMILY_V6)
		snprintf(ip, sizeof(ip), "[%s]", inet_ntop(AF_INET6, &m->host_ip6, a, sizeof(a)));
	if (hp)
		n = snprintf(buf, size, "%s%s%u:%u/%s", ip, *ip ? ":" : "", hp, m->port, proto);
	else if (m->family == NB_FAMILY_V6) /* "[IP]:PORT": the host port is netbpf's pick */
		n = snprintf(buf, size, "%s:%u/%s", ip, m->port, proto);
	else if (*ip)
		n = snprintf(buf, size, "%s::%u/%s", ip, m->port, proto);
	else
		n = snprintf(buf, size, "%u/%s", m->port, proto);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- the calls ---------------------------------------------------------------- */

typedef int (*handler_fn)(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e);

static int h_activate(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)ops, (void)req, (void)e;
	return json_object_set_new(resp, "Implements",
				   json_pack("[ss]", "NetworkDriver", "IpamDriver"));
}

static int h_net_caps(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)ops, (void)req, (void)e;
	json_object_set_new(resp, "Scope", json_string("local"));
	return json_object_set_new(resp, "ConnectivityScope", json_string("local"));
}

static int h_net_create(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	struct nbd_network n;
	int err;

	(void)resp;
	err = nbd_network_parse(req, &n, e);
	if (err)
		return err;
	err = ops->network_create(ops->ctx, &n, e);
	nbd_network_free(&n);
	return err;
}

static int ids(json_t *req, const char **nid, const char **eid, struct nbd_err *e)
{
	*nid = str_of(req, "NetworkID");
	if (!**nid)
		return nbd_errorf(e, -EINVAL, "NetworkID is missing");
	if (eid) {
		*eid = str_of(req, "EndpointID");
		if (!**eid)
			return nbd_errorf(e, -EINVAL, "EndpointID is missing");
	}
	return 0;
}

static int h_net_delete(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *nid;
	int err = ids(req, &nid, NULL, e);

	(void)resp;
	return err ? err : ops->network_delete(ops->ctx, nid, e);
}

static int h_ep_create(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	struct nbd_endpoint ep = {0};
	json_t *iface = json_object_get(req, "Interface"), *out;
	const char *addr, *mac;
	char buf[64], ip[INET6_ADDRSTRLEN];
	int err;

	err = ids(req, &ep.network_id, &ep.endpoint_id, e);
	if (err)
		return err;
	addr = str_of(iface, "Address");
	if (*addr && nbd_parse_cidr_addr(addr, &ep.ip, &ep.prefix_len))
		return nbd_errorf(e, -EINVAL, "endpoint %.12s: invalid address \"%s\"",
				  ep.endpoint_id, addr);
	addr = str_of(iface, "AddressIPv6");
	if (*addr && nbd_parse_cidr_addr6(addr, &ep.ip6, &ep.prefix6_len))
		return nbd_errorf(e, -EINVAL, "endpoint %.12s: invalid IPv6 address \"%s\"",
				  ep.endpoint_id, addr);
	mac = str_of(iface, "MacAddress");
	if (*mac) {
		if (sscanf(mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &ep.mac[0], &ep.mac[1], &ep.mac[2],
			   &ep.mac[3], &ep.mac[4], &ep.mac[5]) != 6)
			return nbd_errorf(e, -EINVAL, "endpoint %.12s: invalid MAC address \"%s\"",
					  ep.endpoint_id, mac);
		ep.has_mac = true;
	}
	err = ops->endpoint_create(ops->ctx, &ep, e);
	if (err)
		return err;
	/* only what Docker left empty: echoing a field it set makes it fail the endpoint */
	if (!ep.filled_ip && !ep.filled_mac && !ep.filled_ip6)
		return 0;
	out = json_object();
	if (ep.filled_ip) {
		inet_ntop(AF_INET, &ep.ip, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s/%d", ip, ep.prefix_len);
		json_object_set_new(out, "Address", json_string(buf));
	}
	if (ep.filled_ip6) {
		inet_ntop(AF_INET6, &ep.ip6, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s/%d", ip, ep.prefix6_len);
		json_object_set_new(out, "AddressIPv6", json_string(buf));
	}
	if (ep.filled_mac) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", ep.mac[0], ep.mac[1],
			 ep.mac[2], ep.mac[3], ep.mac[4], ep.mac[5]);
		json_object_set_new(out, "MacAddress", json_string(buf));
	}
	return json_object_set_new(resp, "Interface", out);
}

static int h_ep_delete(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *nid, *eid;
	int err = ids(req, &nid, &eid, e);

	(void)resp;
	return err ? err : ops->endpoint_delete(ops->ctx, nid, eid, e);
}

static int h_ep_info(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *nid, *eid;
	json_t *value = NULL;
	int err = ids(req, &nid, &eid, e);

	if (!err)
		err = ops->endpoint_info(ops->ctx, nid, eid, &value, e);
	if (err)
		return err;
	return json_object_set_new(resp, "Value", value ? value : json_object());
}

static int h_join(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *nid, *eid, *key;
	struct nbd_join j = {0};
	char gw[INET6_ADDRSTRLEN];
	int err = ids(req, &nid, &eid, e);

	if (err)
		return err;
	key = str_of(req, "SandboxKey");
	if (!*key)
		return nbd_errorf(e, -EINVAL, "endpoint %.12s: SandboxKey is missing", eid);
	err = ops->join(ops->ctx, nid, eid, key, &j, e);
	if (err)
		return err;
	json_object_set_new(resp, "InterfaceName",
			    json_pack("{s:s,s:s}", "SrcName", j.src_name, "DstPrefix", "eth"));
	/* a gateway, or Docker attaches the container to docker_gwbridge (and its iptables) */
	if (j.gateway) {
		inet_ntop(AF_INET, &j.gateway, gw, sizeof(gw));
		json_object_set_new(resp, "Gateway", json_string(gw));
	} else {
		json_object_set_new(resp, "DisableGatewayService", json_true());
	}
	/* Docker adds the sandbox's IPv6 default route via it */
	if (!nb_ipv6_is_zero(&j.gateway6)) {
		inet_ntop(AF_INET6, &j.gateway6, gw, sizeof(gw));
		json_object_set_new(resp, "GatewayIPv6", json_string(gw));
	}
	return 0;
}

static int h_leave(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *nid, *eid;
	int err = ids(req, &nid, &eid, e);

	(void)resp;
	return err ? err : ops->leave(ops->ctx, nid, eid, e);
}

static int h_ext_program(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	struct nbd_portmap *pm = NULL;
	const char *nid, *eid;
	size_t n = 0;
	int err = ids(req, &nid, &eid, e);

	(void)resp;
	if (!err)
		err = nbd_portmap_parse(json_object_get(req, "Options"), &pm, &n, e);
	if (!err)
		err = ops->ext_program(ops->ctx, nid, eid, pm, n, e);
	free(pm);
	return err;
}

static int h_ext_revoke(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *nid, *eid;
	int err = ids(req, &nid, &eid, e);

	(void)resp;
	return err ? err : ops->ext_revoke(ops->ctx, nid, eid, e);
}

/* DiscoverNew/DiscoverDelete: node discovery is for multi-host drivers; a local one ignores it */
static int h_ok(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)ops, (void)req, (void)resp, (void)e;
	return 0;
}

static int h_ipam_caps(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)ops, (void)req, (void)e;
	return json_object_set_new(resp, "RequiresMACAddress", json_false());
}

static int h_ipam_spaces(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)ops, (void)req, (void)e;
	json_object_set_new(resp, "LocalDefaultAddressSpace", json_string("netbpf"));
	return json_object_set_new(resp, "GlobalDefaultAddressSpace", json_string("netbpf-global"));
}

static int h_pool_request(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	char id[NBD_POOL_ID_LEN] = "", pool[NB_CIDR6_STRLEN] = "";
	int err;

	err = ops->pool_request(ops->ctx, str_of(req, "Pool"), str_of(req, "SubPool"),
				json_is_true(json_object_get(req, "V6")), id, pool, e);
	if (err)
		return err;
	json_object_set_new(resp, "PoolID", json_string(id));
	json_object_set_new(resp, "Pool", json_string(pool));
	return json_object_set_new(resp, "Data", json_object());
}

static int h_pool_release(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)resp;
	return ops->pool_release(ops->ctx, str_of(req, "PoolID"), e);
}

static int h_addr_request(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	const char *type = str_of(json_object_get(req, "Options"), "RequestAddressType");
	char addr[NB_CIDR6_STRLEN] = "";
	int err;

	err = ops->address_request(ops->ctx, str_of(req, "PoolID"), str_of(req, "Address"),
				   !strcmp(type, NBD_IPAM_GATEWAY), addr, e);
	if (err)
		return err;
	json_object_set_new(resp, "Address", json_string(addr));
	return json_object_set_new(resp, "Data", json_object());
}

static int h_addr_release(const struct nbd_ops *ops, json_t *req, json_t *resp, struct nbd_err *e)
{
	(void)resp;
	return ops->address_release(ops->ctx, str_of(req, "PoolID"), str_of(req, "Address"), e);
}

/*
 * AllocateNetwork/FreeNetwork are swarm's (global scope) and answer 404 like
 * every method not listed: libnetwork treats 404 as "not implemented".
 */
static const struct {
	const char *method;
	handler_fn fn;
} handlers[] = {
    {"/Plugin.Activate", h_activate},
    {"/NetworkDriver.GetCapabilities", h_net_caps},
    {"/NetworkDriver.CreateNetwork", h_net_create},
    {"/NetworkDriver.DeleteNetwork", h_net_delete},
    {"/NetworkDriver.CreateEndpoint", h_ep_create},
    {"/NetworkDriver.DeleteEndpoint", h_ep_delete},
    {"/NetworkDriver.EndpointOperInfo", h_ep_info},
    {"/NetworkDriver.Join", h_join},
    {"/NetworkDriver.Leave", h_leave},
    {"/NetworkDriver.ProgramExternalConnectivity", h_ext_program},
    {"/NetworkDriver.RevokeExternalConnectivity", h_ext_revoke},
    {"/NetworkDriver.DiscoverNew", h_ok},
    {"/NetworkDriver.DiscoverDelete", h_ok},
    {"/IpamDriver.GetCapabilities", h_ipam_caps},
    {"/IpamDriver.GetDefaultAddressSpaces", h_ipam_spaces},
    {"/IpamDriver.RequestPool", h_pool_request},
    {"/IpamDriver.ReleasePool", h_pool_release},
    {"/IpamDriver.RequestAddress", h_addr_request},
    {"/IpamDriver.ReleaseAddress", h_addr_release},
};

int nbd_handle(const struct nbd_ops *ops, const char *method, const char *body, size_t len,
	       char **out)
{
	struct nbd_err e = {0};
	json_t *req = NULL, *resp;
	json_error_t jerr;
	handler_fn fn = NULL;
	size_t i;
	int err;

	*out = NULL;
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (!strcmp(method, handlers[i].method))
			fn = handlers[i].fn;
	if (!fn) {
		*out = strdup("{\"Err\":\"netbpfd: method not implemented\"}");
		return 404;
	}
	resp = json_object();
	if (len) {
		req = json_loadb(body, len, 0, &jerr);
		if (!req)
			nbd_errorf(&e, -EINVAL, "%s: invalid JSON request: %s", method + 1,
				   jerr.text);
	}
	if (!e.msg[0]) {
		if (!req)
			req = json_object();
		err = fn(ops, req, resp, &e);
		if (err && !e.msg[0])
			nbd_errorf(&e, err, "%s failed: %s", method + 1, strerror(-err));
	}
	if (e.msg[0]) {
		json_object_clear(resp);
		json_object_set_new(resp, "Err", json_string(e.msg));
	}
	*out = json_dumps(resp, JSON_COMPACT);
	json_decref(req);
	json_decref(resp);
	return 200;
}
