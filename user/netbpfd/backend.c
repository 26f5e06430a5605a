// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Docker's calls carried out with netbpf's library (backend.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <netbpf/netbpf.h>

#include "backend.h"

#define MARK_NET "docker.network."
#define MARK_SB	 NB_SETTING_DOCKER_SANDBOX
#define MARK_EP	 "docker.endpoint."
#define KEY_IPAM "docker.ipam"
/* the peer's name until Docker renames it inside the sandbox */
#define PEER_PREFIX "nbc"

/* ---- the library's messages ------------------------------------------------- */

/*
 * The library leaves a failure's cause (object and reason) in this thread's
 * error slot, emptied before each of Docker's calls: every line goes to
 * netbpfd's log, the last one (the outermost cause) becomes Docker's "Err".
 */
static int lib_result(struct nbd_err *e, int err)
{
	const char *text = nb_error_text(), *p, *nl;

	for (p = text; err && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		fprintf(stderr, "netbpfd: %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
	}
	if (err && *nb_error_msg())
		nbd_errorf(e, err, "%s", nb_error_msg());
	else if (err)
		nbd_errorf(e, err, "netbpf: %s", strerror(-err));
	nb_error_clear();
	return err;
}

/* ---- state ------------------------------------------------------------------ */

struct tx {
	struct nb_store *st;
	struct nb_world_ref world;
	bool began;
};

static int tx_open(const struct nb_instance *inst, struct tx *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = nb_open_state(inst, true, &t->st);
	if (!err) {
		err = nb_store_begin(t->st);
		t->began = !err;
	}
	return err;
}

/*
 * A container's endpoint calls (CreateEndpoint, Join, DeleteEndpoint) are on
 * `docker run`'s and `docker rm`'s path: their commits skip the WAL's fsync
 * (nb_store_set_durable). A power loss may roll back the last of them, but it
 * also takes the containers' netns and veths: Docker re-creates the endpoints
 * of the containers it restarts, and gc drops a row left behind. Networks,
 * pools and published ports keep full durability.
 */
static int tx_open_endpoint(const struct nb_instance *inst, struct tx *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = nb_open_state(inst, true, &t->st);
	if (!err)
		err = nb_store_set_durable(t->st, false);
	if (!err) {
		err = nb_store_begin(t->st);
		t->began = !err;
	}
	return err;
}

static int tx_commit(struct tx *t)
{
	int err = nb_store_commit(t->st);

	if (!err)
		t->began = false;
	return err;
}

static void tx_close(struct tx *t)
{
	if (t->began)
		nb_store_rollback(t->st);
	nb_world_put(&t->world);
	if (t->st)
		nb_store_close(t->st);
}

static void mark_key(char *buf, size_t size, const char *prefix, const char *id)
{
	snprintf(buf, size, "%s%s", prefix, id);
}

static bool marked(struct nb_store *st, const char *prefix, const char *id)
{
	char key[128], *v = NULL;
	bool yes;

	mark_key(key, sizeof(key), prefix, id);
	yes = !nb_store_setting_get(st, key, &v);
	free(v);
	return yes;
}

static int mark_del(struct nb_store *st, const char *prefix, const char *id)
{
	char key[128];
	int err;

	mark_key(key, sizeof(key), prefix, id);
	err = nb_store_setting_del(st, key);
	return err == -ENOENT ? 0 : err;
}

/* Docker's network: exact id only (a name is never Docker's way to the driver) */
static int net_by_id(struct nb_store *st, const char *id, struct nb_network_rec *net)
{
	int err = nb_store_network_find(st, id, net);

	if (!err && strcmp(net->id, id)) {
		nb_network_rec_clear(net);
		err = -ENOENT;
	}
	if (err == -ENOENT || err == -ENOTUNIQ) {
		nb_errorf("network %.12s: no such netbpf network (created while netbpfd was "
			  "not serving Docker?)",
			  id);
		return -ENOENT;
	}
	return err;
}

static int ep_by_id(struct nb_store *st, const char *nid, const char *eid,
		    struct nb_endpoint_rec *out)
{
	struct nb_endpoint_rec *eps = NULL;
	size_t i, n = 0;
	int err;

	err = nb_store_endpoint_list(st, nid, NULL, &eps, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n; i++)
		if (!strcmp(eps[i].id, eid)) {
			*out = eps[i];
			err = 0;
			break;
		}
	free(eps);
	return err;
}

/* ---- networks ------------------------------------------------------------------ */

static int network_create(void *ctx, const struct nbd_network *n, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_network_rec rec = {0}, *others = NULL;
	struct nb_host_net *host = NULL;
	struct nb_net_spec spec = {0};
	struct nb_world *w;
	struct tx t;
	char name[NB_NAME_MAX + 1], key[128];
	size_t nothers = 0;
	bool realized = false;
	int err;

	if (strlen(n->id) != NB_ID_LEN)
		return nbd_errorf(e, -EINVAL, "network \"%s\": not a 64-digit id", n->id);
	nb_error_clear();
	err = tx_open(inst, &t);
	if (err)
		goto cleanup;
	err = nb_store_network_find(t.st, n->id, &rec);
	if (!err && !strcmp(rec.id, n->id)) {
		/* Docker creates it again (dockerd restarted): the same network, kept */
		if (!marked(t.st, MARK_NET, n->id)) {
			nb_errorf("network %.12s exists and was not made by Docker", n->id);
			err = -EEXIST;
		}
		goto cleanup;
	}
	nb_network_rec_clear(&rec);

	snprintf(name, sizeof(name), "%.*s", NB_SHORT_ID_LEN, n->id);
	spec.name = name;
	spec.subnet = n->pool[0] ? n->pool : NULL;
	spec.gateway = n->gateway[0] ? n->gateway : NULL;
	/* Docker's --ipv6 and the v6 pool its IPAM settled (resolve refuses one without other) */
	spec.ipv6 = n->ipv6;
	spec.subnet6 = n->pool6[0] ? n->pool6 : NULL;
	spec.gateway6 = n->gateway6[0] ? n->gateway6 : NULL;
	spec.internal = n->internal;
	spec.opts = n->opts;
	spec.nopts = n->nopts;
	err = nb_store_network_list(t.st, &others, &nothers);
	/* a pool the host already routes is skipped; a given subnet overlapping one refused */
	if (!err)
		err = nb_host_nets_here(&host, &spec.nhost);
	if (!err) {
		spec.host = host;
		err = nb_net_spec_resolve(&spec, others, nothers, &rec);
	}
	if (err)
		goto cleanup;
	snprintf(rec.id, sizeof(rec.id), "%s", n->id);
	rec.created = nb_now_ns();
	err = nb_store_network_add(t.st, &rec);
	if (err) {
		nb_errorf("network %.12s: cannot record it: %s", n->id, strerror(-err));
		goto cleanup;
	}
	mark_key(key, sizeof(key), MARK_NET, n->id);
	err = nb_store_setting_set(t.st, key, "1");
	if (!err)
		err = nb_world_get(inst, &t.world, &w);
	if (!err)
		err = nb_network_realize(w, &rec);
	if (err)
		goto cleanup;
	realized = true;
	err = tx_commit(&t);
	if (!err)
		nb_logf(NB_LOG_INFO, "network %s created (subnet %s)", rec.name,
			n->pool[0] ? n->pool : "picked by netbpf");
cleanup:
	if (err && realized)
		nb_network_unrealize(&t.world.w, &rec);
	tx_close(&t);
	nb_network_recs_free(others, nothers);
	free(host);
	nb_network_rec_clear(&rec);
	return lib_result(e, err);
}

static int network_delete(void *ctx, const char *nid, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_network_rec net = {0};
	struct nb_world *w;
	struct tx t;
	int err;

	nb_error_clear();
	err = tx_open(inst, &t);
	if (err)
		goto cleanup;
	err = nb_store_network_find(t.st, nid, &net);
	if (err == -ENOENT || err == -ENOTUNIQ || (!err && strcmp(net.id, nid))) {
		err = 0; /* already gone: what Docker wants */
		goto cleanup;
	}
	if (err)
		goto cleanup;
	if (!marked(t.st, MARK_NET, nid)) {
		nb_errorf("network \"%s\" was not made by Docker: left alone", net.name);
		err = -EPERM;
		goto cleanup;
	}
	err = nb_store_network_del(t.st, net.id);
	if (err == -EBUSY)
		nb_errorf("network \"%s\" still has endpoints (`netbpfctl network inspect %s`)",
			  net.name, net.name);
	if (!err)
		err = mark_del(t.st, MARK_NET, nid);
	if (!err && nb_dp_loaded(inst) == 1) {
		err = nb_world_get(inst, &t.world, &w);
		if (!err)
			err = nb_network_unrealize(w, &net);
	}
	if (!err)
		err = tx_commit(&t);
	if (!err)
		nb_logf(NB_LOG_INFO, "network %s removed", net.name);
cleanup:
	tx_close(&t);
	nb_network_rec_clear(&net);
	return lib_result(e, err);
}

/* ---- endpoints ------------------------------------------------------------------ */

/* What CreateEndpoint settled, until Join makes it: "docker.endpoint.<id>" */
static int pending_get(struct nb_store *st, const char *eid, __be32 *ip, __u8 mac[6],
		       struct in6_addr *ip6)
{
	const char *s6;

	char key[128], *v = NULL;
	json_t *j;
	int err;

	mark_key(key, sizeof(key), MARK_EP, eid);
	err = nb_store_setting_get(st, key, &v);
	if (err)
		return err;
	j = json_loads(v, 0, NULL);
	free(v);
	err = -EINVAL;
	if (j && !nb_parse_ipv4(json_string_value(json_object_get(j, "ip")) ?: "", ip) &&
	    sscanf(json_string_value(json_object_get(j, "mac")) ?: "",
		   "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		   &mac[5]) == 6)
		err = 0;
	/* "ip6" only when the network has IPv6 */
	memset(ip6, 0, sizeof(*ip6));
	s6 = json_string_value(json_object_get(j, "ip6"));
	if (!err && s6 && nb_parse_ipv6(s6, ip6))
		err = -EINVAL;
	json_decref(j);
	return err;
}

/*
 * The endpoint's IPv6 address on a network with IPv6: Docker's (its IPAM's) checked, or
 * the lowest free one; one given for a network without IPv6 is refused
 */
static int endpoint_ip6(struct tx *t, const struct nb_network_rec *net, struct nbd_endpoint *ep)
{
	char a[NB_IPV6_STRLEN], p[NB_CIDR6_STRLEN];
	struct in6_addr *used = NULL;
	size_t nused = 0;
	int err;

	if (!nb_network_has_v6(net)) {
		if (nb_ipv6_is_zero(&ep->ip6))
			return 0;
		nb_errorf("endpoint %.12s: IPv6 address %s given, but network \"%s\" has no IPv6",
			  ep->endpoint_id, nb_fmt_ipv6(&ep->ip6, a), net->name);
		return -EINVAL;
	}
	err = nb_store_network_ips6(t->st, net->id, &used, &nused);
	if (err)
		return err;
	nb_fmt_prefix6(&net->subnet6, p);
	if (nb_ipv6_is_zero(&ep->ip6)) {
		err = nb_ipam6_alloc(&net->subnet6, &net->range6, &net->gateway6, used, nused,
				     &ep->ip6);
		if (err)
			nb_errorf("network \"%s\": no free IPv6 address left in %s", net->name, p);
		ep->prefix6_len = net->subnet6.len;
		ep->filled_ip6 = !err;
	} else {
		err = nb_ipam6_check(&net->subnet6, &net->gateway6, used, nused, &ep->ip6);
		if (err)
			nb_errorf("endpoint %.12s: IPv6 address %s: %s network \"%s\" (%s)",
				  ep->endpoint_id, nb_fmt_ipv6(&ep->ip6, a),
				  err == -ERANGE       ? "outside"
				  : err == -EADDRINUSE ? "already in use on"
						       : "reserved in",
				  net->name, p);
	}
	free(used);
	return err;
}

static int endpoint_create(void *ctx, struct nbd_endpoint *ep, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_network_rec net = {0};
	char key[128], a[NB_IPV4_STRLEN], m[18], *text = NULL;
	char a6[NB_IPV6_STRLEN + 16], b6[NB_IPV6_STRLEN];
	__be32 *used = NULL;
	size_t nused = 0, i;
	struct tx t;
	int err;

	nb_error_clear();
	err = tx_open_endpoint(inst, &t);
	if (!err)
		err = net_by_id(t.st, ep->network_id, &net);
	if (!err)
		err = nb_store_network_ips(t.st, net.id, &used, &nused);
	if (err)
		goto cleanup;
	if (!ep->ip) {
		err = nb_ipam_alloc(&net.subnet, &net.range, net.gateway, used, nused, &ep->ip);
		if (err) {
			nb_errorf("network \"%s\": no free address left", net.name);
			goto cleanup;
		}
		ep->prefix_len = net.subnet.len;
		ep->filled_ip = true;
	} else {
		if (!nb_prefix_contains(&net.subnet, ep->ip)) {
			nb_errorf("endpoint %.12s: address %s is outside network \"%s\"'s subnet",
				  ep->endpoint_id, nb_fmt_ipv4(ep->ip, a), net.name);
			err = -EINVAL;
			goto cleanup;
		}
		for (i = 0; i < nused; i++)
			if (used[i] == ep->ip) {
				nb_errorf("endpoint %.12s: address %s is already in use on network "
					  "\"%s\"",
					  ep->endpoint_id, nb_fmt_ipv4(ep->ip, a), net.name);
				err = -EADDRINUSE;
				goto cleanup;
			}
	}
	err = endpoint_ip6(&t, &net, ep);
	if (err)
		goto cleanup;
	if (!ep->has_mac) {
		/* Docker's own rule (02:42: + the IPv4 address), as every netbpf endpoint */
		nb_mac_from_ipv4(ep->ip, ep->mac);
		ep->filled_mac = true;
	}
	mark_key(key, sizeof(key), MARK_EP, ep->endpoint_id);
	if (nb_ipv6_is_zero(&ep->ip6))
		a6[0] = '\0';
	else
		snprintf(a6, sizeof(a6), ",\"ip6\":\"%s\"", nb_fmt_ipv6(&ep->ip6, b6));
	if (asprintf(&text, "{\"network\":\"%s\",\"ip\":\"%s\",\"mac\":\"%s\"%s}", net.id,
		     nb_fmt_ipv4(ep->ip, a), nb_fmt_mac(ep->mac, m), a6) < 0) {
		text = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	err = nb_store_setting_set(t.st, key, text);
	if (!err)
		err = tx_commit(&t);
cleanup:
	free(text);
	free(used);
	tx_close(&t);
	nb_network_rec_clear(&net);
	return lib_result(e, err);
}

/* Takes the endpoint off (rows, ports, kernel) and its sandbox when nothing else holds it */
static int endpoint_drop(const struct nb_instance *inst, struct tx *t,
			 const struct nb_endpoint_rec *ep)
{
	struct nb_endpoint_rec *rest = NULL;
	struct nb_world *w = NULL;
	size_t nrest = 0;
	int err = 0;

	if (nb_dp_loaded(inst) == 1)
		err = nb_world_get(inst, &t->world, &w);
	if (!err)
		err = nb_detach(t->st, w, ep, true);
	if (!err)
		err = nb_store_endpoint_list(t->st, NULL, ep->sandbox_id, &rest, &nrest);
	free(rest);
	if (!err && !nrest && marked(t->st, MARK_SB, ep->sandbox_id)) {
		err = nb_store_sandbox_del(t->st, ep->sandbox_id);
		if (!err)
			err = mark_del(t->st, MARK_SB, ep->sandbox_id);
	}
	return err;
}

static int endpoint_delete(void *ctx, const char *nid, const char *eid, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_endpoint_rec ep;
	struct tx t;
	int err;

	nb_error_clear();
	err = tx_open_endpoint(inst, &t);
	if (err)
		goto cleanup;
	err = ep_by_id(t.st, nid, eid, &ep);
	if (!err)
		err = endpoint_drop(inst, &t, &ep);
	else if (err == -ENOENT)
		err = 0;
	if (!err)
		err = mark_del(t.st, MARK_EP, eid);
	if (!err)
		err = tx_commit(&t);
cleanup:
	tx_close(&t);
	return lib_result(e, err);
}

static int endpoint_info(void *ctx, const char *nid, const char *eid, json_t **value,
			 struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_endpoint_rec ep;
	struct nb_store *st = NULL;
	char a[NB_IPV4_STRLEN], a6[NB_IPV6_STRLEN];
	int err;

	nb_error_clear();
	err = nb_open_state(inst, false, &st);
	/* asked after Join: its close need not fold Join's WAL in (tx_open_endpoint) */
	if (!err)
		err = nb_store_set_durable(st, false);
	if (!err)
		err = ep_by_id(st, nid, eid, &ep);
	if (!err)
		*value = json_pack("{s:s,s:s,s:s,s:s}", "netbpf.host_ifname", ep.host_ifname,
				   "netbpf.ifname", ep.ifname, "netbpf.ip", nb_fmt_ipv4(ep.ip, a),
				   "netbpf.ip6",
				   nb_ipv6_is_zero(&ep.ip6) ? "" : nb_fmt_ipv6(&ep.ip6, a6));
	else if (err == -ENOENT)
		err = 0; /* created, not joined yet: nothing to tell */
	if (st)
		nb_store_close(st);
	return lib_result(e, err);
}

/* The netbpf sandbox of Docker's sandbox key: found by its netns, or adopted now */
static int sandbox_of_key(struct tx *t, const char *key, struct nb_sandbox_rec *sb)
{
	struct nb_sandbox_rec *v = NULL;
	const char *base = strrchr(key, '/');
	char mark[128];
	size_t i, n = 0;
	int err;

	err = nb_store_sandbox_list(t->st, &v, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].netns, key)) {
			*sb = v[i];
			free(v);
			return 0;
		}
	free(v);
	memset(sb, 0, sizeof(*sb));
	base = base ? base + 1 : key;
	if (nb_name_check(base, NULL) || strlen(base) > NB_NAME_MAX) {
		nb_errorf("sandbox key %s: netbpf cannot name a sandbox after it", key);
		return -EINVAL;
	}
	snprintf(sb->name, sizeof(sb->name), "%s", base);
	snprintf(sb->netns, sizeof(sb->netns), "%s", key);
	sb->owned = false; /* Docker's netns: Docker removes it */
	sb->created = nb_now_ns();
	err = nb_id_new(sb->id);
	if (!err)
		err = nb_store_sandbox_add(t->st, sb);
	if (err == -EEXIST)
		nb_errorf("sandbox key %s: a netbpf sandbox named \"%s\" exists already", key,
			  sb->name);
	mark_key(mark, sizeof(mark), MARK_SB, sb->id);
	if (!err)
		err = nb_store_setting_set(t->st, mark, key);
	return err;
}

static int join(void *ctx, const char *nid, const char *eid, const char *sandbox_key,
		struct nbd_join *out, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec ep = {0};
	struct nb_world *w;
	bool realized = false;
	struct tx t;
	int err, seq;

	nb_error_clear();
	err = tx_open_endpoint(inst, &t);
	if (!err)
		err = net_by_id(t.st, nid, &net);
	if (err)
		goto cleanup;
	err = pending_get(t.st, eid, &ep.ip, ep.mac, &ep.ip6);
	if (err) {
		nb_errorf("endpoint %.12s: unknown to netbpf (no CreateEndpoint)", eid);
		goto cleanup;
	}
	if (strlen(eid) != NB_ID_LEN) {
		nb_errorf("endpoint \"%s\": not a 64-digit id", eid);
		err = -EINVAL;
		goto cleanup;
	}
	err = sandbox_of_key(&t, sandbox_key, &sb);
	if (!err)
		err = nb_store_endpoint_free_seq(t.st, sb.id, &seq);
	if (err)
		goto cleanup;
	snprintf(ep.id, sizeof(ep.id), "%s", eid);
	snprintf(ep.network_id, sizeof(ep.network_id), "%s", net.id);
	snprintf(ep.sandbox_id, sizeof(ep.sandbox_id), "%s", sb.id);
	snprintf(ep.ifname, sizeof(ep.ifname), PEER_PREFIX "%.11s", eid);
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "nbe%.11s", eid);
	ep.seq = seq;
	ep.created = nb_now_ns();
	err = nb_store_endpoint_add(t.st, &ep);
	if (err == -EEXIST)
		nb_errorf("sandbox \"%s\" is already on network \"%s\"", sb.name, net.name);
	if (!err)
		err = nb_world_get(inst, &t.world, &w);
	if (!err)
		err = nb_endpoint_realize_peer(w, &net, &sb, &ep);
	if (err)
		goto cleanup;
	realized = true;
	err = tx_commit(&t);
	if (err)
		goto cleanup;
	snprintf(out->src_name, sizeof(out->src_name), "%s", ep.ifname);
	/* an internal network has no way out: no default route, as Docker's bridge */
	out->gateway = net.internal ? 0 : net.gateway;
	if (!net.internal && !nb_ipv6_is_zero(&ep.ip6))
		out->gateway6 = net.gateway6;
	nb_logf(NB_LOG_INFO, "endpoint %s joined sandbox \"%s\" on network \"%s\"", ep.host_ifname,
		sb.name, net.name);
cleanup:
	if (err && realized)
		nb_endpoint_unrealize(&t.world.w, &ep);
	tx_close(&t);
	nb_network_rec_clear(&net);
	return lib_result(e, err);
}

/*
 * The veth stays until DeleteEndpoint, as with Docker's bridge driver: after
 * Leave Docker moves the interface back to the host and still expects it.
 */
static int leave(void *ctx, const char *nid, const char *eid, struct nbd_err *e)
{
	(void)ctx, (void)nid, (void)eid, (void)e;
	return 0;
}

/* ---- published ports ----------------------------------------------------------- */

static bool already(const struct nb_publish_rec *rows, size_t n, const struct nbd_portmap *m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nb_publish_row_is(&rows[i], m->family, m->host_ip, &m->host_ip6, m->host_port,
				      m->host_port_end, m->port, m->proto))
			return true;
	return false;
}

static int publish_one(struct tx *t, struct nb_world *w, const struct nb_sandbox_rec *sb,
		       const struct nb_endpoint_rec *ep, const struct nbd_portmap *m,
		       struct nb_portmap **done, size_t *ndone)
{
	char spec[64];
	unsigned int hp;
	int err = -EADDRINUSE;

	if (!m->host_port) {
		nbd_portmap_spec(m, 0, spec, sizeof(spec));
		return nb_publish_add_via(t->st, w, sb, ep, spec, done, ndone);
	}
	/*
	 * A range gives one port to choose: the first neither published nor
	 * listened on. nb_publish_add refuses a port a host socket holds
	 * (sock_diag) with "bind: address already in use", Docker's words.
	 */
	for (hp = m->host_port; hp <= m->host_port_end; hp++) {
		nbd_portmap_spec(m, (__u16)hp, spec, sizeof(spec));
		err = nb_publish_add_via(t->st, w, sb, ep, spec, done, ndone);
		if (err != -EEXIST && err != -EADDRINUSE)
			break;
	}
	if (!err) /* the ports tried before are no error of the one taken */
		nb_error_clear();
	return err;
}

static int ext_program(void *ctx, const char *nid, const char *eid, const struct nbd_portmap *pm,
		       size_t n, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_publish_rec *rows = NULL;
	struct nb_portmap *done = NULL;
	struct nb_endpoint_rec ep;
	struct nb_sandbox_rec sb;
	struct nb_world *w;
	size_t ndone = 0, nrows = 0, i;
	struct tx t;
	int err;

	if (!n)
		return 0;
	nb_error_clear();
	err = tx_open(inst, &t);
	if (!err)
		err = ep_by_id(t.st, nid, eid, &ep);
	if (err == -ENOENT)
		nb_errorf("endpoint %.12s: not joined to network %.12s", eid, nid);
	if (!err)
		err = nb_store_sandbox_find(t.st, ep.sandbox_id, &sb);
	if (!err)
		err = nb_publish_list_all(t.st, sb.id, &rows, &nrows);
	if (!err)
		err = nb_world_get(inst, &t.world, &w);
	for (i = 0; !err && i < n; i++) {
		if (already(rows, nrows, &pm[i]))
			continue; /* Docker programs a sandbox again when its gateway changes */
		/*
		 * Through the endpoint Docker names: its sandbox's gateway
		 * endpoint (the first by network name among those with a
		 * gateway), which need not be the sandbox's first endpoint.
		 */
		err = publish_one(&t, w, &sb, &ep, &pm[i], &done, &ndone);
	}
	if (!err)
		err = tx_commit(&t);
	if (err && ndone)
		nb_publish_unmap(&t.world.w, done, ndone);
	free(done);
	free(rows);
	tx_close(&t);
	return lib_result(e, err);
}

static int ext_revoke(void *ctx, const char *nid, const char *eid, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_publish_rec *rows = NULL;
	struct nb_endpoint_rec ep;
	struct nb_world *w = NULL;
	size_t n = 0, i;
	struct tx t;
	int err;

	nb_error_clear();
	err = tx_open(inst, &t);
	if (!err)
		err = ep_by_id(t.st, nid, eid, &ep);
	if (err == -ENOENT) {
		err = 0;
		goto cleanup;
	}
	if (!err)
		err = nb_publish_endpoint_rows(t.st, &ep, &rows, &n);
	for (i = 0; !err && i < n; i++)
		err = nb_store_publish_del(t.st, &rows[i]);
	if (!err && n && nb_dp_loaded(inst) == 1)
		err = nb_world_get(inst, &t.world, &w);
	if (!err)
		err = tx_commit(&t);
	if (!err && w)
		nb_publish_unmap_rows(w, rows, n);
cleanup:
	free(rows);
	tx_close(&t);
	return lib_result(e, err);
}

/* ---- IPAM ------------------------------------------------------------------------ */

/*
 * netbpf's IPAM for `--ipam-driver netbpf`: pools are picked as `network
 * create` picks subnets (Docker's default pools, none overlapping a netbpf
 * network or another pool), kept with their addresses in the setting
 * "docker.ipam": {"pools": {ID: {"pool": CIDR, "sub": CIDR}}, "addrs": {ID: [IP...]}}.
 */
static json_t *ipam_load(struct nb_store *st)
{
	char *v = NULL;
	json_t *j = NULL;

	if (!nb_store_setting_get(st, KEY_IPAM, &v))
		j = json_loads(v, 0, NULL);
	free(v);
	if (!json_is_object(j)) {
		json_decref(j);
		j = json_pack("{s:{},s:{}}", "pools", "addrs");
	}
	return j;
}

static int ipam_save(struct nb_store *st, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int err = text ? nb_store_setting_set(st, KEY_IPAM, text) : -ENOMEM;

	free(text);
	return err;
}

#define POOL6_PREFIX "netbpf6/"

/*
 * An IPv6 pool: only the one Docker names (--subnet), as Docker 20.10's own IPAM has no
 * default IPv6 pool either; refused when it overlaps another IPv6 pool
 */
static int pool6_request(const struct nb_instance *inst, const char *pool, const char *subpool,
			 char id[NBD_POOL_ID_LEN], char pool_out[NB_CIDR6_STRLEN])
{
	struct nb_prefix6 p, sub, q;
	json_t *j = NULL, *pools, *v;
	const char *key;
	struct tx t;
	int err;

	if (!*pool) {
		nb_errorf("IPAM: netbpf picks no IPv6 pool; give the network an IPv6 --subnet");
		return -EINVAL;
	}
	if (nb_parse_prefix6(pool, true, &p)) {
		nb_errorf("IPAM: invalid IPv6 pool \"%s\"", pool);
		return -EINVAL;
	}
	if (*subpool && (nb_parse_prefix6(subpool, true, &sub) || !nb_prefix6_covers(&p, &sub))) {
		nb_errorf("IPAM: sub-pool \"%s\" is not inside pool %s", subpool, pool);
		return -EINVAL;
	}
	err = tx_open(inst, &t);
	if (err)
		return err;
	j = ipam_load(t.st);
	pools = json_object_get(j, "pools");
	json_object_foreach(pools, key, v)
	{
		if (strncmp(key, POOL6_PREFIX, strlen(POOL6_PREFIX)) ||
		    nb_parse_prefix6(json_string_value(json_object_get(v, "pool")) ?: "", true,
				     &q) ||
		    !nb_prefix6_overlap(&p, &q))
			continue;
		nb_errorf("IPAM: pool %s overlaps pool %s in use", pool, key);
		err = -EEXIST;
		goto cleanup;
	}
	nb_fmt_prefix6(&p, pool_out);
	snprintf(id, NBD_POOL_ID_LEN, POOL6_PREFIX "%s", pool_out);
	json_object_set_new(pools, id, json_pack("{s:s,s:s}", "pool", pool_out, "sub", subpool));
	err = ipam_save(t.st, j);
	if (!err)
		err = tx_commit(&t);
cleanup:
	json_decref(j);
	tx_close(&t);
	return err;
}

static int pool_request(void *ctx, const char *pool, const char *subpool, bool v6,
			char id[NBD_POOL_ID_LEN], char pool_out[NB_CIDR6_STRLEN], struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	struct nb_network_rec *nets = NULL;
	struct nb_prefix *used = NULL, *grown, p, sub;
	struct nb_host_net *host = NULL;
	json_t *j = NULL, *pools, *v;
	const char *key;
	size_t nnets = 0, nused = 0, nhost = 0, i;
	char buf[NB_CIDR_STRLEN];
	struct tx t;
	int err;

	nb_error_clear();
	if (v6)
		return lib_result(e, pool6_request(inst, pool, subpool, id, pool_out));
	err = tx_open(inst, &t);
	if (!err)
		err = nb_store_network_list(t.st, &nets, &nnets);
	if (err)
		goto cleanup;
	j = ipam_load(t.st);
	pools = json_object_get(j, "pools");
	used = calloc(nnets + json_object_size(pools) + 1, sizeof(*used));
	if (!used) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < nnets; i++)
		if (nets[i].subnet.len)
			used[nused++] = nets[i].subnet;
	json_object_foreach(
	    pools, key, v) if (!nb_parse_prefix(json_string_value(json_object_get(v, "pool")) ?: "",
						true, &used[nused])) nused++;
	if (*pool) {
		if (nb_parse_prefix(pool, true, &p)) {
			nb_errorf("IPAM: invalid pool \"%s\"", pool);
			err = -EINVAL;
			goto cleanup;
		}
		/* a netbpf network's subnet is for CreateNetwork to judge; another pool is not */
		json_object_foreach(pools, key, v)
		{
			struct nb_prefix q;

			if (!nb_parse_prefix(json_string_value(json_object_get(v, "pool")) ?: "",
					     true, &q) &&
			    nb_prefix_overlap(&p, &q)) {
				nb_errorf("IPAM: pool %s overlaps pool %s in use", pool, key);
				err = -EEXIST;
				goto cleanup;
			}
		}
	} else {
		/* Docker skips pools overlapping a route or an address of the host */
		err = nb_host_nets_here(&host, &nhost);
		if (err)
			goto cleanup;
		grown = realloc(used, (nused + nhost + 1) * sizeof(*used));
		if (!grown) {
			err = -ENOMEM;
			goto cleanup;
		}
		used = grown;
		for (i = 0; i < nhost; i++)
			used[nused++] = host[i].prefix;
		err = nb_ipam_pick_subnet(used, nused, &p);
		if (err) {
			nb_errorf("IPAM: no free subnet left in Docker's default pools");
			goto cleanup;
		}
	}
	if (*subpool && (nb_parse_prefix(subpool, true, &sub) || !nb_prefix_covers(&p, &sub))) {
		nb_errorf("IPAM: sub-pool \"%s\" is not inside pool %s", subpool,
			  nb_fmt_prefix(&p, buf));
		err = -EINVAL;
		goto cleanup;
	}
	nb_fmt_prefix(&p, pool_out);
	snprintf(id, NBD_POOL_ID_LEN, "netbpf/%s", pool_out);
	json_object_set_new(pools, id, json_pack("{s:s,s:s}", "pool", pool_out, "sub", subpool));
	err = ipam_save(t.st, j);
	if (!err)
		err = tx_commit(&t);
cleanup:
	json_decref(j);
	free(used);
	free(host);
	nb_network_recs_free(nets, nnets);
	tx_close(&t);
	return lib_result(e, err);
}

static int pool_release(void *ctx, const char *id, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	json_t *j = NULL;
	struct tx t;
	int err;

	nb_error_clear();
	err = tx_open(inst, &t);
	if (!err) {
		j = ipam_load(t.st);
		json_object_del(json_object_get(j, "pools"), id);
		json_object_del(json_object_get(j, "addrs"), id);
		err = ipam_save(t.st, j);
	}
	if (!err)
		err = tx_commit(&t);
	json_decref(j);
	tx_close(&t);
	return lib_result(e, err);
}

/*
 * Pool pool_id of the IPAM state j: its "pool" and "sub" CIDR texts ("" when absent) and
 * the list of the addresses given out of it (made when missing). -ENOENT, the cause in the
 * slot, when there is no such pool.
 */
static int ipam_pool(json_t *j, const char *pool_id, const char **pool, const char **sub,
		     json_t **list)
{
	json_t *o = json_object_get(json_object_get(j, "pools"), pool_id);

	if (!o) {
		nb_errorf("IPAM: no pool \"%s\"", pool_id);
		return -ENOENT;
	}
	*pool = json_string_value(json_object_get(o, "pool")) ?: "";
	*sub = json_string_value(json_object_get(o, "sub")) ?: "";
	*list = json_object_get(json_object_get(j, "addrs"), pool_id);
	if (!*list) {
		*list = json_array();
		if (!*list || json_object_set_new(json_object_get(j, "addrs"), pool_id, *list))
			return -ENOMEM;
	}
	return 0;
}

/*
 * An IPAM pool or address of either family, so that one path serves Docker's V4 and V6
 * RequestAddress/ReleaseAddress calls: v6 picks the member that holds it.
 */
struct ipam_pfx {
	bool v6;
	struct nb_prefix p4;
	struct nb_prefix6 p6;
};

struct ipam_ip {
	__be32 ip4;
	struct in6_addr ip6;
};

static bool pool_is_v6(const char *pool_id)
{
	return !strncmp(pool_id, POOL6_PREFIX, strlen(POOL6_PREFIX));
}

static int ipam_pfx_parse(bool v6, const char *s, struct ipam_pfx *p)
{
	p->v6 = v6;
	return v6 ? nb_parse_prefix6(s, true, &p->p6) : nb_parse_prefix(s, true, &p->p4);
}

/* "ADDR" or "ADDR/LEN", as Docker passes an address */
static int ipam_ip_parse(bool v6, const char *s, struct ipam_ip *a)
{
	int len;

	if (v6)
		return nb_parse_ipv6(s, &a->ip6) && nbd_parse_cidr_addr6(s, &a->ip6, &len) ? -EINVAL
											   : 0;
	return nb_parse_ipv4(s, &a->ip4) && nbd_parse_cidr_addr(s, &a->ip4, &len) ? -EINVAL : 0;
}

static bool ipam_ip_equal(bool v6, const struct ipam_ip *a, const struct ipam_ip *b)
{
	return v6 ? IN6_ARE_ADDR_EQUAL(&a->ip6, &b->ip6) : a->ip4 == b->ip4;
}

/*
 * The addresses list holds in use, as the family's library calls take them: an array of
 * __be32 or of struct in6_addr (*used malloc'd)
 */
static int ipam_used(bool v6, json_t *list, void **used, size_t *nused)
{
	size_t size = v6 ? sizeof(struct in6_addr) : sizeof(__be32), i;
	struct ipam_ip a;
	json_t *v;

	*nused = 0;
	*used = calloc(json_array_size(list) + 1, size);
	if (!*used)
		return -ENOMEM;
	json_array_foreach(list, i, v)
	{
		if (ipam_ip_parse(v6, json_string_value(v) ?: "", &a))
			continue;
		memcpy((char *)*used + *nused * size, v6 ? (void *)&a.ip6 : (void *)&a.ip4, size);
		(*nused)++;
	}
	return 0;
}

static int ipam_check(const struct ipam_pfx *p, const void *used, size_t n, const struct ipam_ip *a)
{
	return p->v6 ? nb_ipam6_check(&p->p6, NULL, used, n, &a->ip6)
		     : nb_ipam_check(&p->p4, 0, used, n, a->ip4);
}

static int ipam_alloc(const struct ipam_pfx *p, const struct ipam_pfx *range, const void *used,
		      size_t n, struct ipam_ip *a)
{
	return p->v6 ? nb_ipam6_alloc(&p->p6, &range->p6, NULL, used, n, &a->ip6)
		     : nb_ipam_alloc(&p->p4, &range->p4, 0, used, n, &a->ip4);
}

/*
 * An address of a pool of either family: the one asked for (checked), or the lowest free
 * (the gateway first, as Docker's IPAM: the first address of the pool)
 */
static int address_request(void *ctx, const char *pool_id, const char *addr, bool gateway,
			   char addr_out[NB_CIDR6_STRLEN], struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	bool v6 = pool_is_v6(pool_id);
	json_t *j = NULL, *list;
	const char *pool, *subtxt;
	struct ipam_pfx p, sub;
	struct ipam_ip ip = {0};
	char a[NB_IPV6_STRLEN];
	void *used = NULL;
	size_t nused = 0;
	struct tx t;
	int err;

	nb_error_clear();
	err = tx_open(inst, &t);
	if (err)
		goto cleanup;
	j = ipam_load(t.st);
	err = ipam_pool(j, pool_id, &pool, &subtxt, &list);
	if (!err && ipam_pfx_parse(v6, pool, &p)) {
		nb_errorf("IPAM: no pool \"%s\"", pool_id);
		err = -ENOENT;
	}
	if (!err && ipam_pfx_parse(v6, subtxt, &sub))
		sub = p;
	if (!err)
		err = ipam_used(v6, list, &used, &nused);
	if (err)
		goto cleanup;
	if (*addr) {
		if (ipam_ip_parse(v6, addr, &ip)) {
			nb_errorf("IPAM: invalid %saddress \"%s\"", v6 ? "IPv6 " : "", addr);
			err = -EINVAL;
			goto cleanup;
		}
		err = ipam_check(&p, used, nused, &ip);
		if (err) {
			nb_errorf("IPAM: address %s: %s in pool %s", addr,
				  err == -EADDRINUSE ? "already allocated" : "not available",
				  pool_id);
			goto cleanup;
		}
	} else {
		err = ipam_alloc(&p, gateway ? &p : &sub, used, nused, &ip);
		if (err) {
			nb_errorf("IPAM: no free address left in pool %s", pool_id);
			goto cleanup;
		}
	}
	if (v6)
		nb_fmt_ipv6(&ip.ip6, a);
	else
		nb_fmt_ipv4(ip.ip4, a);
	json_array_append_new(list, json_string(a));
	snprintf(addr_out, NB_CIDR6_STRLEN, "%s/%d", a, v6 ? p.p6.len : p.p4.len);
	err = ipam_save(t.st, j);
	if (!err)
		err = tx_commit(&t);
cleanup:
	free(used);
	json_decref(j);
	tx_close(&t);
	return lib_result(e, err);
}

static int address_release(void *ctx, const char *pool_id, const char *addr, struct nbd_err *e)
{
	const struct nb_instance *inst = ctx;
	bool v6 = pool_is_v6(pool_id);
	struct ipam_ip ip = {0}, x;
	json_t *j = NULL, *list;
	struct tx t;
	size_t i;
	int err;

	if (ipam_ip_parse(v6, addr, &ip))
		return nbd_errorf(e, -EINVAL, "IPAM: invalid address \"%s\"", addr);
	nb_error_clear();
	err = tx_open(inst, &t);
	if (!err) {
		j = ipam_load(t.st);
		list = json_object_get(json_object_get(j, "addrs"), pool_id);
		for (i = 0; i < json_array_size(list); i++) {
			if (!ipam_ip_parse(v6, json_string_value(json_array_get(list, i)) ?: "",
					   &x) &&
			    ipam_ip_equal(v6, &x, &ip)) {
				json_array_remove(list, i);
				break;
			}
		}
		err = ipam_save(t.st, j);
	}
	if (!err)
		err = tx_commit(&t);
	json_decref(j);
	tx_close(&t);
	return lib_result(e, err);
}

/* ---- the rest ------------------------------------------------------------------- */

void nbd_backend_ops(const struct nb_instance *inst, struct nbd_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = (void *)inst;
	ops->network_create = network_create;
	ops->network_delete = network_delete;
	ops->endpoint_create = endpoint_create;
	ops->endpoint_delete = endpoint_delete;
	ops->endpoint_info = endpoint_info;
	ops->join = join;
	ops->leave = leave;
	ops->ext_program = ext_program;
	ops->ext_revoke = ext_revoke;
	ops->pool_request = pool_request;
	ops->pool_release = pool_release;
	ops->address_request = address_request;
	ops->address_release = address_release;
}

int nbd_backend_check_up(const struct nb_instance *inst, struct nbd_err *e)
{
	int up = nb_dp_loaded(inst);

	if (up == 1)
		return 0;
	return nbd_errorf(e, -ENOENT,
			  "netbpf is not up in this network namespace (no programs pinned under "
			  "%s): run `netbpfctl up` first",
			  inst->pin_dir);
}

/* The name the peer of host_ifname has in the netns at path; -ENODEV when not there yet */
static int peer_name_in(struct nb_nl *hnl, const char *host_ifname, const char *path,
			char name[NB_IFNAMSIZ])
{
	struct nb_link_info li, si;
	struct nb_nl *snl = NULL;
	int fd, err;

	err = nb_nl_link_info(hnl, host_ifname, &li);
	if (err)
		return err;
	fd = nb_netns_open(path);
	if (fd < 0)
		return fd;
	err = nb_nl_open_netns(fd, &snl);
	close(fd);
	if (err)
		return err;
	err = nb_nl_link_name(snl, li.peer_ifindex, name);
	/* the same index may name another link while the peer is still in the host */
	if (!err && (nb_nl_link_info(snl, name, &si) || si.peer_ifindex != li.ifindex))
		err = -ENODEV;
	nb_nl_close(snl);
	return err;
}

void nbd_backend_tick(const struct nb_instance *inst)
{
	struct nb_endpoint_rec *eps = NULL;
	struct nb_sandbox_rec sb;
	struct nb_store *st = NULL;
	struct nb_world_ref world = {0};
	struct nb_world *w = NULL;
	struct nb_nl *hnl = NULL;
	char name[NB_IFNAMSIZ];
	size_t i, n = 0, pending = 0;
	int err;

	nb_error_clear();
	/* a reader first: most ticks find nothing to do and must not block netbpfctl */
	err = nb_open_state(inst, false, &st);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &eps, &n);
	for (i = 0; !err && i < n; i++)
		pending += !strncmp(eps[i].ifname, PEER_PREFIX, strlen(PEER_PREFIX));
	if (st)
		nb_store_close(st);
	st = NULL;
	if (err || !pending)
		goto cleanup;
	free(eps);
	eps = NULL;
	err = nb_open_state(inst, true, &st);
	if (!err)
		err = nb_store_begin(st);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &eps, &n);
	if (!err)
		err = nb_nl_open(&hnl);
	if (!err && nb_dp_loaded(inst) == 1)
		err = nb_world_get(inst, &world, &w);
	for (i = 0; !err && i < n; i++) {
		struct nb_network_rec net = {0};

		if (strncmp(eps[i].ifname, PEER_PREFIX, strlen(PEER_PREFIX)))
			continue;
		if (nb_store_sandbox_find(st, eps[i].sandbox_id, &sb))
			continue;
		/* the netns exists now (runc's prestart hook made it): its cookie */
		if (w && !nb_store_network_find(st, eps[i].network_id, &net)) {
			nb_endpoint_port_refresh(w, &net, &sb, &eps[i]);
			nb_network_rec_clear(&net);
		}
		if (peer_name_in(hnl, eps[i].host_ifname, sb.netns, name))
			continue; /* not moved yet */
		if (!nb_store_endpoint_set_ifname(st, eps[i].id, name))
			nb_logf(NB_LOG_INFO, "endpoint %s is %s in sandbox \"%s\"",
				eps[i].host_ifname, name, sb.name);
	}
	if (!err)
		err = nb_store_commit(st);
cleanup:
	nb_world_put(&world);
	nb_nl_close(hnl);
	if (st)
		nb_store_close(st);
	free(eps);
	nb_error_clear();
}

/* ---- Docker's names ------------------------------------------------------------- */

static bool default_sb_name(const struct nb_sandbox_rec *sb)
{
	const char *base = strrchr(sb->netns, '/');

	return !strcmp(sb->name, base ? base + 1 : sb->netns);
}

int nbd_backend_unnamed(const struct nb_instance *inst, char (**nets)[NB_ID_LEN + 1], size_t *nnets,
			char (**eps)[NB_ID_LEN + 1], size_t *neps)
{
	struct nb_network_rec *nv = NULL;
	struct nb_sandbox_rec *sv = NULL;
	struct nb_endpoint_rec *ev = NULL;
	struct nb_store *st = NULL;
	size_t nn = 0, ns = 0, ne = 0, i, j;
	int err;

	*nets = NULL;
	*eps = NULL;
	*nnets = *neps = 0;
	nb_error_clear();
	err = nb_open_state(inst, false, &st);
	if (!err)
		err = nb_store_network_list(st, &nv, &nn);
	if (!err)
		err = nb_store_sandbox_list(st, &sv, &ns);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &ev, &ne);
	if (!err) {
		*nets = calloc(nn + 1, sizeof(**nets));
		*eps = calloc(ne + 1, sizeof(**eps));
		if (!*nets || !*eps)
			err = -ENOMEM;
	}
	for (i = 0; !err && i < nn; i++)
		if (!strncmp(nv[i].name, nv[i].id, NB_SHORT_ID_LEN) &&
		    !nv[i].name[NB_SHORT_ID_LEN] && marked(st, MARK_NET, nv[i].id))
			strcpy((*nets)[(*nnets)++], nv[i].id);
	for (i = 0; !err && i < ns; i++) {
		if (!default_sb_name(&sv[i]) || !marked(st, MARK_SB, sv[i].id))
			continue;
		for (j = 0; j < ne; j++)
			if (!strcmp(ev[j].sandbox_id, sv[i].id))
				strcpy((*eps)[(*neps)++], ev[j].id);
	}
	if (err) {
		free(*nets);
		free(*eps);
		*nets = NULL;
		*eps = NULL;
		*nnets = *neps = 0;
	}
	free(ev);
	free(sv);
	nb_network_recs_free(nv, nn);
	if (st)
		nb_store_close(st);
	nb_error_clear();
	return err;
}

/* Renames the network (by_endpoint false: id is its id) or the sandbox of endpoint id */
int nbd_backend_rename(const struct nb_instance *inst, bool sandbox, const char *id,
		       const char *name)
{
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec *ev = NULL;
	const char *why = NULL, *old = NULL;
	char oldbuf[NB_NAME_MAX + 1] = "";
	struct tx t;
	size_t i, n = 0;
	int err;

	if (nb_name_check(name, &why) || strlen(name) > NB_NAME_MAX) {
		nb_logf(NB_LOG_WARN, "Docker's name \"%s\" is not a netbpf name (%s): kept %.12s",
			name, why ? why : "too long", id);
		return -EINVAL;
	}
	nb_error_clear();
	err = tx_open(inst, &t);
	if (!err && !sandbox) {
		err = nb_store_network_find(t.st, id, &net);
		if (!err) {
			snprintf(oldbuf, sizeof(oldbuf), "%s", net.name);
			err = nb_store_network_rename(t.st, id, name);
		}
	} else if (!err) {
		err = nb_store_endpoint_list(t.st, NULL, NULL, &ev, &n);
		for (i = 0; !err && i < n && strcmp(ev[i].id, id); i++)
			;
		if (!err && i == n)
			err = -ENOENT;
		if (!err)
			err = nb_store_sandbox_find(t.st, ev[i].sandbox_id, &sb);
		if (!err) {
			snprintf(oldbuf, sizeof(oldbuf), "%s", sb.name);
			err = nb_store_sandbox_rename(t.st, sb.id, name);
		}
	}
	if (!err)
		err = tx_commit(&t);
	old = oldbuf;
	if (!err)
		nb_logf(NB_LOG_INFO, "%s \"%s\" is Docker's \"%s\"",
			sandbox ? "sandbox" : "network", old, name);
	else if (err == -EEXIST)
		nb_logf(NB_LOG_WARN, "%s \"%s\": Docker's name \"%s\" is taken in netbpf: kept",
			sandbox ? "sandbox" : "network", old, name);
	free(ev);
	nb_network_rec_clear(&net);
	tx_close(&t);
	nb_error_clear();
	return err;
}
