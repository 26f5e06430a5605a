// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ADD, DEL, CHECK, STATUS and GC over netbpf's state and data plane (plugin.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <netbpf/netbpf.h>

#include "plugin.h"

#define MARK_PREFIX NB_SETTING_CONTAINER_PREFIX
#define MAX_UPLINKS 16
#define DEFAULT_MTU 1500

/* ---- the instance --------------------------------------------------------- */

/* netbpfctl's default: the cgroup2 root (/sys/fs/cgroup/unified on hybrid hosts) */
static const char *default_cgroup(void)
{
	struct statfs sfs;

	if (!statfs("/sys/fs/cgroup/unified", &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

static const char *pick(const char *conf, const char *env, const char *fallback)
{
	const char *v = getenv(env);

	if (conf && *conf)
		return conf;
	return v && *v ? v : fallback;
}

void nb_cni_instance(const struct nb_cni_conf *c, struct nb_instance *inst)
{
	memset(inst, 0, sizeof(*inst));
	inst->state_dir = pick(c->state_dir, "NETBPF_STATE_DIR", "/var/lib/netbpf");
	inst->pin_dir = pick(c->pin_dir, "NETBPF_PIN_DIR", "/sys/fs/bpf/netbpf");
	inst->cgroup = pick(c->cgroup, "NETBPF_CGROUP", NULL);
	if (!inst->cgroup)
		inst->cgroup = default_cgroup();
}

/* ---- the log -------------------------------------------------------------- */

static void log_line(enum nb_log_level level, const char *msg, void *arg)
{
	(void)level;
	(void)arg;
	fprintf(stderr, "netbpf-cni: %s\n", msg);
}

/* The error slot's lines into the log, and the slot emptied */
static void slot_flush(void)
{
	const char *p = nb_error_text(), *nl;

	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		fprintf(stderr, "netbpf-cni: %.*s\n", (int)(nl - p), p);
	}
	nb_error_clear();
}

void nb_cni_log_init(void)
{
	nb_log_set(log_line, NULL, NB_LOG_INFO);
	atexit(slot_flush);
}

/*
 * A step begins: what the slot holds belongs to steps that got past it (logged now);
 * lib_fail() reads what this step adds. Returns the mark lib_fail() takes.
 */
static int log_mark(void)
{
	slot_flush();
	return 0;
}

/*
 * A netbpf call failed: the error's msg is the last line it left in the error slot
 * since mark (its own words: object and cause), details every line since mark;
 * without any (or with mark -1), what fmt says and the errno.
 */
static int lib_fail(struct nb_cni_ctx *ctx, int code, int mark, int err, const char *fmt, ...)
{
	struct nb_cni_err *e = ctx->err;
	va_list ap;
	size_t len;

	err = err < 0 ? err : -EIO;
	if (e->code)
		return err;
	e->code = code;
	if (mark < 0 || !*nb_error_text()) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(-err));
		return err;
	}
	snprintf(e->msg, sizeof(e->msg), "%s", nb_error_msg());
	/* the whole story when the cause took more than one line */
	if (strcmp(nb_error_msg(), nb_error_text()))
		snprintf(e->details, sizeof(e->details), "%s", nb_error_text());
	slot_flush();
	return err;
}

/* ---- small helpers -------------------------------------------------------- */

static int need_root(struct nb_cni_ctx *ctx, int code)
{
	if (geteuid() == 0)
		return 0;
	return nb_cni_errorf(ctx->err, code,
			     "netbpf: permission denied: the plugin must run as root (effective "
			     "uid %u)",
			     (unsigned int)geteuid());
}

/* Whether the instance has a database at all (DEL and GC change nothing without one) */
static bool state_exists(const struct nb_instance *inst)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/netbpf.db", inst->state_dir);
	return !stat(path, &sb);
}

/* The device of the default route inside the netns at path; "" when none */
static void netns_default_dev(const char *path, char dev[NB_IFNAMSIZ])
{
	struct nb_nl *nl = NULL;
	int fd;

	dev[0] = '\0';
	fd = nb_netns_open(path);
	if (fd < 0)
		return;
	if (!nb_nl_open_netns(fd, &nl)) {
		if (nb_nl_route_default_dev(nl, dev))
			dev[0] = '\0';
		nb_nl_close(nl);
	}
	close(fd);
}

/* 1 when the netns at path has a link called ifname, 0 when not, -errno */
static int netns_has_link(const char *path, const char *ifname)
{
	struct nb_nl *nl = NULL;
	int fd, err;

	fd = nb_netns_open(path);
	if (fd < 0)
		return fd;
	err = nb_nl_open_netns(fd, &nl);
	if (!err) {
		err = nb_nl_link_ifindex(nl, ifname);
		err = err > 0 ? 1 : err == -ENODEV ? 0 : err;
		nb_nl_close(nl);
	}
	close(fd);
	return err;
}

/* ---- bringing the data plane up -------------------------------------------- */

/*
 * `netbpfctl up` when the instance is not up. A lock file of its own makes
 * 20 first ADDs at once run it once: the others wait, then find it loaded.
 * (The store's flock cannot serve: `up` takes it itself.)
 */
static int ensure_up(struct nb_cni_ctx *ctx)
{
	const struct nb_instance *inst = &ctx->inst;
	struct nb_up_opts o = {.mode = -1};
	struct nb_up_report r;
	char path[PATH_MAX];
	int mark = log_mark();
	int fd, err = 0;

	if (nb_dp_loaded(inst) == 1)
		return 0;
	err = nb_mkdir_p(inst->state_dir);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_IO, -1, err, "netbpf: state dir %s",
				inst->state_dir);
	snprintf(path, sizeof(path), "%s/cni-up.lock", inst->state_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return lib_fail(ctx, NB_CNI_ERR_IO, -1, -errno, "netbpf: %s", path);
	while (flock(fd, LOCK_EX))
		if (errno != EINTR) {
			err = lib_fail(ctx, NB_CNI_ERR_IO, -1, -errno, "netbpf: lock %s", path);
			goto cleanup;
		}
	if (nb_dp_loaded(inst) == 1)
		goto cleanup;

	o.uplinks = (const char *const *)ctx->conf->uplinks;
	o.nuplinks = ctx->conf->nuplinks < MAX_UPLINKS ? ctx->conf->nuplinks : MAX_UPLINKS;
	err = nb_up(inst, &o, &r);
	if (!err)
		nb_logf(NB_LOG_INFO,
			"netbpf is up (%s mode): uplinks %s, %zu network(s) and %zu endpoint(s) in "
			"place, %zu published port(s)%s",
			nb_dp_mode_name(r.mode), r.uplinks[0] ? r.uplinks : "(none)", r.networks,
			r.endpoints, r.ports, r.failed ? ", some objects failed (below)" : "");
	/* objects `up` could not restore are in the log; ADD can go on once it is loaded */
	if (nb_dp_loaded(inst) != 1)
		err = lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, -EIO,
			       "netbpf: the data plane could not be loaded");
	else
		err = 0;
cleanup:
	close(fd);
	return err;
}

/* ---- containers and sandboxes ------------------------------------------------ */

struct sb_key {
	bool by_id; /* the container id is a 64-digit hex id: the sandbox's id */
	char id[NB_ID_LEN + 1];
	char name[NB_NAME_MAX + 1]; /* the name by container id (the plugin's names before pods) */
	const char *cid;
};

static bool hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == NB_ID_LEN;
}

/* -EINVAL when no sandbox can be named after cid */
static int sb_key_of(const char *cid, struct sb_key *k)
{
	memset(k, 0, sizeof(*k));
	k->cid = cid;
	if (!nb_name_check(cid, NULL)) {
		snprintf(k->name, sizeof(k->name), "%s", cid);
		return 0;
	}
	if (!hex64(cid))
		return -EINVAL;
	k->by_id = true;
	snprintf(k->id, sizeof(k->id), "%s", cid);
	snprintf(k->name, sizeof(k->name), "%.*s", NB_SHORT_ID_LEN, cid);
	return 0;
}

/* "cni.sandbox.<container id>" = the sandbox's id: the container's key, whatever its name */
#define CID_PREFIX "cni.sandbox."
static void cid_key(const char *cid, char key[sizeof(CID_PREFIX) + NB_ID_LEN])
{
	snprintf(key, sizeof(CID_PREFIX) + NB_ID_LEN, CID_PREFIX "%s", cid);
}

/*
 * The sandbox of the container, matched exactly (never by an id prefix); -ENOENT. The
 * container id stays the key when the sandbox is named after its pod: through the
 * cni.sandbox.<cid> setting, else (sandboxes made before pod names) by the id or name the
 * container id gave.
 */
static int sb_lookup(struct nb_store *st, const struct sb_key *k, struct nb_sandbox_rec *sb)
{
	char key[sizeof(CID_PREFIX) + NB_ID_LEN], *id = NULL;
	int err;

	cid_key(k->cid, key);
	err = nb_store_setting_get(st, key, &id);
	if (!err) {
		err = nb_store_sandbox_find(st, id, sb);
		if (!err && strcmp(sb->id, id))
			err = -ENOENT;
		free(id);
		return err == -ENOTUNIQ ? -ENOENT : err;
	}
	if (err != -ENOENT)
		return err;
	err = nb_store_sandbox_find(st, k->by_id ? k->id : k->name, sb);
	if (err == -ENOTUNIQ)
		return -ENOENT;
	if (err)
		return err;
	if (k->by_id ? strcmp(sb->id, k->id) : strcmp(sb->name, k->name))
		return -ENOENT;
	return 0;
}

static void mark_key(const char *sb_id, char key[sizeof(MARK_PREFIX) + NB_ID_LEN])
{
	snprintf(key, sizeof(MARK_PREFIX) + NB_ID_LEN, MARK_PREFIX "%s", sb_id);
}

/* Drops the sandbox's marks (its container id, and the container's key to it) */
static int sb_unmark(struct nb_store *st, const char *sb_id)
{
	char key[sizeof(MARK_PREFIX) + NB_ID_LEN], ckey[sizeof(CID_PREFIX) + NB_ID_LEN];
	char *cid = NULL;
	int err;

	mark_key(sb_id, key);
	err = nb_store_setting_get(st, key, &cid);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	cid_key(cid, ckey);
	free(cid);
	err = nb_store_setting_del(st, key);
	if (!err && (err = nb_store_setting_del(st, ckey)) == -ENOENT)
		err = 0;
	return err;
}

/* Whether no sandbox is named name (an id prefix does not count: names are found first) */
static int name_free(struct nb_store *st, const char *name)
{
	struct nb_sandbox_rec sb;
	int err = nb_store_sandbox_find(st, name, &sb);

	if (err == -ENOENT || err == -ENOTUNIQ)
		return 1;
	if (err)
		return err;
	return strcmp(sb.name, name) != 0;
}

/*
 * The new sandbox's name: the pod's (K8S_POD_NAME, podman's container name) when the runtime
 * gives one that is a netbpf name; when another sandbox has it, "<pod>.<namespace>" (two pods
 * of one name in two namespaces), then "<pod>-<12 digits of the container id>"; else, as
 * before pods, the name by container id.
 */
static int sb_name_pick(struct nb_store *st, const struct nb_cni_env *env, const struct sb_key *k,
			char name[NB_NAME_MAX + 1])
{
	char cand[3][600];
	size_t i, n = 0;
	int err;

	if (env->pod_name[0]) {
		snprintf(cand[n++], sizeof(cand[0]), "%s", env->pod_name);
		if (env->pod_ns[0])
			snprintf(cand[n++], sizeof(cand[0]), "%s.%s", env->pod_name, env->pod_ns);
		snprintf(cand[n++], sizeof(cand[0]), "%s-%.*s", env->pod_name, NB_SHORT_ID_LEN,
			 k->cid);
	}
	for (i = 0; i < n; i++) {
		if (nb_name_check(cand[i], NULL))
			continue;
		err = name_free(st, cand[i]);
		if (err < 0)
			return err;
		if (err) {
			/* nb_name_check: at most NB_NAME_MAX bytes */
			memcpy(name, cand[i], strlen(cand[i]) + 1);
			return 0;
		}
	}
	snprintf(name, NB_NAME_MAX + 1, "%s", k->name);
	return 0;
}

/* 1 when the sandbox is the CNI plugin's (made for container cid), 0 when not, -errno */
static int sb_is_cni(struct nb_store *st, const struct nb_sandbox_rec *sb, const char *cid)
{
	char key[sizeof(MARK_PREFIX) + NB_ID_LEN], *val = NULL;
	int err;

	mark_key(sb->id, key);
	err = nb_store_setting_get(st, key, &val);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	err = !cid || !strcmp(val, cid);
	free(val);
	return err;
}

/* Exact name only: a CNI network name that is some id's prefix is not that network */
static int net_lookup(struct nb_store *st, const char *name, struct nb_network_rec *net)
{
	int err = nb_store_network_find(st, name, net);

	if (err == -ENOTUNIQ)
		return -ENOENT;
	if (!err && strcmp(net->name, name)) {
		nb_network_rec_clear(net);
		return -ENOENT;
	}
	return err;
}

/* ---- the network -------------------------------------------------------------- */

/*
 * Each key the configuration gives against the network: 0 when all agree,
 * else code with every difference named.
 */
static int network_compare(struct nb_cni_ctx *ctx, const struct nb_network_rec *net, int code)
{
	const struct nb_cni_conf *c = ctx->conf;
	char diff[1024] = "", a[NB_CIDR_STRLEN], b[NB_CIDR_STRLEN], a6[NB_CIDR6_STRLEN];
	struct nb_prefix6 p6;
	struct nb_prefix p;
	size_t len = 0;
	__be32 ip;

#define DIFF(...)                                                                                  \
	len += (size_t)snprintf(diff + len, len < sizeof(diff) ? sizeof(diff) - len : 0, "%s",     \
				len ? ", " : "");                                                  \
	len +=                                                                                     \
	    (size_t)snprintf(diff + len, len < sizeof(diff) ? sizeof(diff) - len : 0, __VA_ARGS__)

	if (!nb_net_is_bridged(net))
		return nb_cni_errorf(ctx->err, code,
				     "network \"%s\" is netbpf's %s network; a CNI network must be "
				     "a bridge network",
				     net->name, net->driver);
	if (c->subnet && !nb_parse_prefix(c->subnet, true, &p) &&
	    (p.addr != net->subnet.addr || p.len != net->subnet.len)) {
		DIFF("subnet %s (the configuration says %s)", nb_fmt_prefix(&net->subnet, a),
		     c->subnet);
	}
	if (c->ip_range && !nb_parse_prefix(c->ip_range, true, &p) &&
	    (p.addr != net->range.addr || p.len != net->range.len)) {
		DIFF("ip range %s (the configuration says %s)", nb_fmt_prefix(&net->range, a),
		     c->ip_range);
	}
	if (c->gateway && !nb_parse_ipv4(c->gateway, &ip) && ip != net->gateway) {
		DIFF("gateway %s (the configuration says %s)", nb_fmt_ipv4(net->gateway, b),
		     c->gateway);
	}
	if (!!c->subnet6 != nb_network_has_v6(net) ||
	    (c->subnet6 && (nb_parse_prefix6(c->subnet6, true, &p6) || p6.len != net->subnet6.len ||
			    memcmp(&p6.addr, &net->subnet6.addr, sizeof(p6.addr))))) {
		DIFF("IPv6 subnet %s (the configuration says %s)",
		     nb_network_has_v6(net) ? nb_fmt_prefix6(&net->subnet6, a6) : "none",
		     c->subnet6 ? c->subnet6 : "none");
	}
	if (c->has_mtu && c->mtu != (net->mtu ? net->mtu : DEFAULT_MTU)) {
		DIFF("mtu %u (the configuration says %u)", net->mtu ? net->mtu : DEFAULT_MTU,
		     c->mtu);
	}
	if (c->has_masq && c->masq != net->masquerade) {
		DIFF("ipMasq %s (the configuration says %s)", net->masquerade ? "true" : "false",
		     c->masq ? "true" : "false");
	}
	if (c->has_internal && c->internal != net->internal) {
		DIFF("internal %s (the configuration says %s)", net->internal ? "true" : "false",
		     c->internal ? "true" : "false");
	}
	if (c->has_icc && c->icc != net->icc) {
		DIFF("icc %s (the configuration says %s)", net->icc ? "true" : "false",
		     c->icc ? "true" : "false");
	}
#undef DIFF
	if (!len)
		return 0;
	return nb_cni_errorf(ctx->err, code,
			     "network \"%s\" exists with other settings: %s; change the "
			     "configuration or remove the network (`netbpfctl network rm %s`)",
			     net->name, diff, net->name);
}

/* The CNI network: matched, or created (store and kernel) with the configuration's keys */
static int network_ensure(struct nb_cni_ctx *ctx, struct nb_store *st, struct nb_world_ref *world,
			  struct nb_network_rec *net, bool *created)
{
	const struct nb_cni_conf *c = ctx->conf;
	const char *opts[2];
	char mtu[16], icc[64], masq[80];
	struct nb_net_spec spec = {0};
	struct nb_network_rec *others = NULL;
	struct nb_host_net *host = NULL;
	struct nb_world *w;
	size_t nothers = 0;
	int mark = log_mark();
	int err;

	*created = false;
	err = net_lookup(st, c->name, net);
	if (!err)
		return network_compare(ctx, net, NB_CNI_ERR_INVALID_CONFIG);
	if (err != -ENOENT)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "network \"%s\": cannot read it",
				c->name);

	spec.name = c->name;
	spec.subnet = c->subnet;
	spec.gateway = c->gateway;
	spec.ip_range = c->ip_range;
	/* a v6 range set in ipam.ranges: a dual-stack network */
	spec.ipv6 = c->subnet6 != NULL;
	spec.subnet6 = c->subnet6;
	spec.gateway6 = c->gateway6;
	spec.internal = c->has_internal && c->internal;
	if (c->has_mtu) {
		snprintf(mtu, sizeof(mtu), "%u", c->mtu);
		spec.mtu = mtu;
	}
	if (c->has_icc) {
		snprintf(icc, sizeof(icc), NB_OPT_ICC "=%s", c->icc ? "true" : "false");
		opts[spec.nopts++] = icc;
	}
	if (c->has_masq) {
		snprintf(masq, sizeof(masq), NB_OPT_MASQ "=%s", c->masq ? "true" : "false");
		opts[spec.nopts++] = masq;
	}
	spec.opts = opts;

	err = nb_store_network_list(st, &others, &nothers);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
			       "network \"%s\": cannot read the "
			       "networks",
			       c->name);
		goto cleanup;
	}
	/* a pool the host already routes is skipped; a configured subnet overlapping one refused */
	err = nb_host_nets_here(&host, &spec.nhost);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "network \"%s\"", c->name);
		goto cleanup;
	}
	spec.host = host;
	err = nb_net_spec_resolve(&spec, others, nothers, net);
	if (err) {
		err =
		    lib_fail(ctx, NB_CNI_ERR_INVALID_CONFIG, mark, err, "network \"%s\"", c->name);
		goto cleanup;
	}
	err = nb_id_new(net->id);
	if (!err) {
		net->created = nb_now_ns();
		err = nb_store_network_add(st, net);
	}
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
			       "network \"%s\": cannot record it", c->name);
		goto cleanup;
	}
	err = nb_world_get(&ctx->inst, world, &w);
	if (!err)
		err = nb_network_realize(w, net);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
			       "network \"%s\": cannot create it in the kernel", c->name);
		goto cleanup;
	}
	*created = true;
cleanup:
	nb_network_recs_free(others, nothers);
	free(host);
	return err;
}

/* ---- ADD -------------------------------------------------------------------- */

/* Removes a stale sandbox of the container (its netns is gone): rows and what is left */
static int sandbox_drop(struct nb_cni_ctx *ctx, struct nb_store *st, struct nb_world *w,
			const struct nb_sandbox_rec *sb)
{
	struct nb_endpoint_rec *eps = NULL;
	int mark = log_mark();
	size_t i, n = 0;
	int err;

	err = nb_store_endpoint_list(st, NULL, sb->id, &eps, &n);
	for (i = 0; !err && i < n; i++)
		err = nb_detach(st, w, &eps[i], true);
	if (!err)
		err = nb_store_sandbox_del(st, sb->id);
	if (!err)
		err = sb_unmark(st, sb->id);
	free(eps);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
				"sandbox \"%s\": cannot remove the stale sandbox", sb->name);
	return 0;
}

/* The netns the runtime gave must be a netns, not ours, and no other sandbox's */
static int netns_check(struct nb_cni_ctx *ctx, struct nb_store *st, const char *cid)
{
	const char *path = ctx->env->netns;
	struct nb_sandbox_rec *sbs = NULL;
	int mark = log_mark();
	size_t i, n = 0;
	int fd, err;

	fd = nb_netns_open(path);
	if (fd < 0)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_INVALID_ENV, "CNI_NETNS %s: %s", path,
				     fd == -EINVAL ? "not a network namespace" : strerror(-fd));
	close(fd);
	if (nb_netns_is_host(path))
		return nb_cni_errorf(
		    ctx->err, NB_CNI_ERR_INVALID_ENV,
		    "CNI_NETNS %s is the network namespace the plugin runs in (the "
		    "host's), not a container's",
		    path);
	err = nb_store_sandbox_list(st, &sbs, &n);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "sandboxes: cannot read them");
	for (i = 0; i < n; i++) {
		if (!nb_netns_same_path(sbs[i].netns, path))
			continue;
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
				    "container \"%s\": network namespace %s already belongs to "
				    "sandbox \"%s\"",
				    cid, path, sbs[i].name);
		break;
	}
	free(sbs);
	return err;
}

/* The container's sandbox: found (same netns), made anew (stale one dropped), or created */
static int sandbox_ensure(struct nb_cni_ctx *ctx, struct nb_store *st, struct nb_world *w,
			  const struct sb_key *k, struct nb_sandbox_rec *sb)
{
	const char *cid = ctx->env->container_id;
	char key[sizeof(MARK_PREFIX) + NB_ID_LEN], ckey[sizeof(CID_PREFIX) + NB_ID_LEN];
	int mark = log_mark();
	int err, cni;

	err = sb_lookup(st, k, sb);
	if (err && err != -ENOENT)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
				"container \"%s\": cannot read its "
				"sandbox",
				cid);
	if (!err) {
		cni = sb_is_cni(st, sb, cid);
		if (cni < 0)
			return lib_fail(ctx, NB_CNI_ERR_IO, mark, cni,
					"sandbox \"%s\": cannot read its settings", sb->name);
		if (!cni)
			return nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
					     "container \"%s\": sandbox \"%s\" exists and was not "
					     "made by the CNI plugin (`netbpfctl sandbox rm %s` "
					     "frees the name)",
					     cid, sb->name, sb->name);
		if (nb_netns_same_path(sb->netns, ctx->env->netns))
			return 0;
		if (nb_netns_alive(sb->netns))
			return nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
					     "container \"%s\" is already attached in network "
					     "namespace %s, not %s (DEL it there first)",
					     cid, sb->netns, ctx->env->netns);
		/* the runtime lost a DEL: the old netns is gone, so is the container */
		err = sandbox_drop(ctx, st, w, sb);
		if (err)
			return err;
	}

	err = netns_check(ctx, st, cid);
	if (err)
		return err;
	memset(sb, 0, sizeof(*sb));
	err = sb_name_pick(st, ctx->env, k, sb->name);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
				"container \"%s\": cannot read the sandboxes", cid);
	snprintf(sb->netns, sizeof(sb->netns), "%s", ctx->env->netns);
	sb->owned = false; /* the runtime's netns: DEL never deletes it */
	sb->created = nb_now_ns();
	if (k->by_id)
		snprintf(sb->id, sizeof(sb->id), "%s", k->id);
	else
		err = nb_id_new(sb->id);
	if (!err)
		err = nb_store_sandbox_add(st, sb);
	if (err == -EEXIST)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
				     "container \"%s\": a sandbox named \"%s\" already exists", cid,
				     sb->name);
	mark_key(sb->id, key);
	if (!err)
		err = nb_store_setting_set(st, key, cid);
	cid_key(cid, ckey);
	if (!err)
		err = nb_store_setting_set(st, ckey, sb->id);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
				"container \"%s\": cannot record its sandbox", cid);
	return 0;
}

/* The address the runtime asks for: runtimeConfig.ips, or CNI_ARGS IP */
static int wanted_ip(struct nb_cni_ctx *ctx, __be32 *ip)
{
	char a[NB_IPV4_STRLEN], b[NB_IPV4_STRLEN];
	__be32 conf = ctx->conf->want_ip, arg = ctx->env->arg_ip;

	if (conf && arg && conf != arg)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_INVALID_CONFIG,
				     "runtimeConfig.ips asks for %s, CNI_ARGS IP for %s",
				     nb_fmt_ipv4(conf, a), nb_fmt_ipv4(arg, b));
	*ip = conf ? conf : arg;
	return 0;
}

static int result_build(struct nb_cni_ctx *ctx, struct nb_world *w,
			const struct nb_network_rec *net, const struct nb_sandbox_rec *sb,
			const struct nb_endpoint_rec *ep, json_t **out)
{
	struct nb_cni_attachment a = {0};
	char dev[NB_IFNAMSIZ];
	int mark = log_mark();
	int err;

	err = nb_nl_link_mac(w->nl, ep->host_ifname, a.host_mac);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
				"endpoint %s: cannot read its MAC", ep->host_ifname);
	netns_default_dev(sb->netns, dev);
	a.host_ifname = ep->host_ifname;
	a.ifname = ep->ifname;
	memcpy(a.mac, ep->mac, sizeof(a.mac));
	a.netns = ctx->env->netns;
	a.ip = ep->ip;
	a.prefix_len = net->subnet.len;
	a.gateway = net->gateway;
	a.default_route = !strcmp(dev, ep->ifname);
	a.ip6 = ep->ip6;
	a.prefix6_len = net->subnet6.len;
	a.gateway6 = net->gateway6;
	a.mtu = net->mtu ? net->mtu : DEFAULT_MTU;
	a.dns = ctx->conf->dns;
	*out = nb_cni_result_json(ctx->conf->version, &a);
	return *out ? 0 : nb_cni_errorf(ctx->err, NB_CNI_ERR_IO, "out of memory");
}

/* True when sb already publishes m (a repeated ADD, or the container's second network) */
static bool port_published(const struct nb_publish_rec *rows, size_t n,
			   const struct nb_cni_portmap *m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nb_publish_row_is(&rows[i], m->family, m->host_ip, &m->host_ip6, m->host_port,
				      m->host_port, m->container_port, m->proto))
			return true;
	return false;
}

/*
 * m as netbpf's publish spec: "HP:CP/PROTO" (both families the endpoint has, as the
 * portmap plugin maps one per family), "IPv4:HP:CP/PROTO" (0.0.0.0 included: IPv4
 * alone) or "[IPv6]:HP:CP/PROTO" (:: included: IPv6 alone)
 */
static void port_spec(const struct nb_cni_portmap *m, char *spec, size_t size)
{
	const char *proto = m->proto == NB_CNI_PROTO_UDP ? "udp" : "tcp";
	char ip[NB_IPV6_STRLEN];

	switch (m->family) {
	case NB_FAMILY_V4:
		snprintf(spec, size, "%s:%u:%u/%s", nb_fmt_ipv4(m->host_ip, ip), m->host_port,
			 m->container_port, proto);
		break;
	case NB_FAMILY_V6:
		snprintf(spec, size, "[%s]:%u:%u/%s", nb_fmt_ipv6(&m->host_ip6, ip), m->host_port,
			 m->container_port, proto);
		break;
	default:
		snprintf(spec, size, "%u:%u/%s", m->host_port, m->container_port, proto);
	}
}

/*
 * runtimeConfig.portMappings through netbpf's NAT (`netbpfctl publish`'s path),
 * through ep, the endpoint of this ADD's CNI_IFNAME: a container on two netbpf
 * networks publishes each ADD's ports on that network's address, and DEL of
 * that attachment takes them away with its endpoint. A hostIP of a family the
 * endpoint lacks (an IPv6 one on an IPv4-only network) is refused by the
 * library, and the whole ADD is undone.
 */
static int ports_publish(struct nb_cni_ctx *ctx, struct nb_store *st, struct nb_world *w,
			 const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep,
			 struct nb_portmap **done, size_t *ndone)
{
	const struct nb_cni_conf *c = ctx->conf;
	struct nb_publish_rec *rows = NULL;
	char spec[NB_IPV6_STRLEN + 32];
	int mark = log_mark();
	size_t i, nrows = 0;
	int err;

	if (!c->nports)
		return 0;
	err = nb_publish_list_all(st, sb->id, &rows, &nrows);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
				"sandbox \"%s\": cannot read its "
				"ports",
				sb->name);
	for (i = 0; i < c->nports; i++) {
		const struct nb_cni_portmap *m = &c->ports[i];

		if (port_published(rows, nrows, m))
			continue;
		port_spec(m, spec, sizeof(spec));
		mark = log_mark();
		err = nb_publish_add_via(st, w, sb, ep, spec, done, ndone);
		if (err) {
			err = lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
				       "sandbox \"%s\": publish \"%s\"", sb->name, spec);
			break;
		}
	}
	free(rows);
	return err;
}

int nb_cni_add(struct nb_cni_ctx *ctx, json_t **result)
{
	const struct nb_cni_env *env = ctx->env;
	const struct nb_cni_conf *c = ctx->conf;
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb = {0};
	struct nb_endpoint_rec ep = {0}, *eps = NULL;
	struct nb_world_ref world = {0};
	struct nb_portmap *published = NULL;
	struct nb_store *st = NULL;
	struct nb_world *w = NULL;
	bool began = false, net_created = false, attached = false;
	char dev[NB_IFNAMSIZ], a[NB_IPV4_STRLEN];
	size_t npublished = 0, neps = 0, i, nbridge = 0;
	struct sb_key k;
	int mark;
	__be32 want = 0;
	int err;

	*result = NULL;
	err = need_root(ctx, NB_CNI_ERR_NETBPF);
	if (err)
		return err;
	if (sb_key_of(env->container_id, &k))
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_INVALID_ENV,
				     "CNI_CONTAINERID \"%s\": netbpf names the container's sandbox "
				     "after it: at most %d characters, or a 64-digit hex id",
				     env->container_id, NB_NAME_MAX);
	err = wanted_ip(ctx, &want);
	if (err)
		return err;
	err = ensure_up(ctx);
	if (err)
		return err;

	mark = log_mark();
	err = nb_open_state(&ctx->inst, true, &st);
	if (!err) {
		err = nb_store_begin(st);
		began = !err;
	}
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "state %s: cannot open it",
			       ctx->inst.state_dir);
		goto cleanup;
	}
	mark = log_mark();
	err = nb_world_get(&ctx->inst, &world, &w);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
			       "netbpf: cannot open the data "
			       "plane");
		goto cleanup;
	}
	err = network_ensure(ctx, st, &world, &net, &net_created);
	if (err)
		goto cleanup;
	err = sandbox_ensure(ctx, st, w, &k, &sb);
	if (err)
		goto cleanup;

	mark = log_mark();
	err = nb_store_endpoint_find(st, net.id, sb.id, &ep);
	if (!err) {
		/* a repeated ADD of the same attachment: its result again */
		if (strcmp(ep.ifname, env->ifname)) {
			err =
			    nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
					  "container \"%s\" is already attached to network \"%s\" "
					  "as %s, not %s",
					  env->container_id, net.name, ep.ifname, env->ifname);
			goto cleanup;
		}
		if (want && want != ep.ip) {
			err =
			    nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
					  "container \"%s\" is already attached to network \"%s\" "
					  "with address %s",
					  env->container_id, net.name, nb_fmt_ipv4(ep.ip, a));
			goto cleanup;
		}
	} else if (err == -ENOENT) {
		err = netns_has_link(sb.netns, env->ifname);
		if (err) {
			err = err > 0 ? nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
						      "container \"%s\": interface %s already "
						      "exists in network namespace %s",
						      env->container_id, env->ifname, sb.netns)
				      : lib_fail(ctx, NB_CNI_ERR_INVALID_ENV, mark, err,
						 "CNI_NETNS %s", sb.netns);
			goto cleanup;
		}
		/* isDefaultGateway false is kept only where netbpf would not route by default */
		if (c->has_default_gw && !c->default_gw) {
			err = nb_store_endpoint_list(st, NULL, sb.id, &eps, &neps);
			for (i = 0; !err && i < neps; i++)
				nbridge += !nb_endpoint_is_special(&eps[i]);
			free(eps);
			eps = NULL;
			netns_default_dev(sb.netns, dev);
			if (!err && !nbridge && !dev[0]) {
				err = nb_cni_errorf(
				    ctx->err, NB_CNI_ERR_UNSUPPORTED_FIELD,
				    "isDefaultGateway false: a netbpf sandbox's default route goes "
				    "via its first network's gateway, and network \"%s\" is "
				    "container \"%s\"'s first",
				    net.name, env->container_id);
				goto cleanup;
			}
		}
		mark = log_mark();
		err = nb_attach_ifname(st, w, &net, &sb, want, NULL, env->ifname, &ep);
		if (err) {
			err = lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
				       "container \"%s\": cannot attach it to network \"%s\"",
				       env->container_id, net.name);
			goto cleanup;
		}
		attached = true;
	} else {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
			       "container \"%s\": cannot read its "
			       "endpoints",
			       env->container_id);
		goto cleanup;
	}

	err = ports_publish(ctx, st, w, &sb, &ep, &published, &npublished);
	if (err)
		goto cleanup;
	err = result_build(ctx, w, &net, &sb, &ep, result);
	if (err)
		goto cleanup;
	mark = log_mark();
	err = nb_store_commit(st);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "state %s: cannot commit",
			       ctx->inst.state_dir);
		goto cleanup;
	}
	began = false;
cleanup:
	if (err) {
		json_decref(*result);
		*result = NULL;
		if (npublished)
			nb_publish_unmap(&world.w, published, npublished);
		if (attached)
			nb_endpoint_unrealize(&world.w, &ep);
		if (net_created)
			nb_network_unrealize(&world.w, &net);
	}
	free(published);
	if (began)
		nb_store_rollback(st);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	nb_network_rec_clear(&net);
	return err;
}

/* ---- DEL -------------------------------------------------------------------- */

/*
 * Takes ep off sb and drops sb when nothing else holds it, inside the
 * caller's transaction. *detached: ep's kernel side is gone (for undo).
 */
static int attachment_remove(struct nb_cni_ctx *ctx, struct nb_store *st, struct nb_world *w,
			     const struct nb_sandbox_rec *sb, const struct nb_endpoint_rec *ep,
			     bool *detached)
{
	struct nb_endpoint_rec *rest = NULL;
	int mark = log_mark();
	size_t nrest = 0;
	int err;

	*detached = false;
	/* forced: the runtime may have deleted the netns already, and DEL must succeed then */
	err = nb_detach(st, w, ep, true);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
				"sandbox \"%s\": cannot detach "
				"%s",
				sb->name, ep->ifname);
	*detached = w != NULL;
	err = nb_store_endpoint_list(st, NULL, sb->id, &rest, &nrest);
	free(rest);
	if (!err && !nrest) {
		err = nb_store_sandbox_del(st, sb->id);
		if (!err)
			err = sb_unmark(st, sb->id);
	}
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "sandbox \"%s\": cannot remove it",
				sb->name);
	return 0;
}

int nb_cni_del(struct nb_cni_ctx *ctx)
{
	const struct nb_cni_env *env = ctx->env;
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec ep;
	struct nb_world_ref world = {0};
	struct nb_store *st = NULL;
	struct nb_world *w = NULL;
	bool began = false, have_net = false, detached = false;
	struct sb_key k;
	int mark;
	int err, cni;

	err = need_root(ctx, NB_CNI_ERR_NETBPF);
	if (err)
		return err;
	/* nothing can be attached for an id netbpf cannot name, or without a state */
	if (sb_key_of(env->container_id, &k) || !state_exists(&ctx->inst))
		return 0;
	/* not up (after `netbpfctl down`): no device is left, the rows go alone */
	if (nb_dp_loaded(&ctx->inst) == 1) {
		mark = log_mark();
		err = nb_world_get(&ctx->inst, &world, &w);
		if (err)
			return lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
					"netbpf: cannot open the data plane");
	}
	mark = log_mark();
	err = nb_open_state(&ctx->inst, true, &st);
	if (!err) {
		err = nb_store_begin(st);
		began = !err;
	}
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "state %s: cannot open it",
			       ctx->inst.state_dir);
		goto cleanup;
	}
	err = sb_lookup(st, &k, &sb);
	if (err == -ENOENT) {
		err = 0;
		goto cleanup;
	}
	cni = err ? err : sb_is_cni(st, &sb, env->container_id);
	if (cni <= 0) {
		if (cni < 0)
			err = lib_fail(ctx, NB_CNI_ERR_IO, mark, cni,
				       "container \"%s\": cannot read its sandbox",
				       env->container_id);
		else
			fprintf(stderr,
				"netbpf-cni: DEL: sandbox \"%s\" was not made by the CNI plugin: "
				"left alone\n",
				sb.name);
		goto cleanup;
	}
	err = net_lookup(st, ctx->conf->name, &net);
	have_net = !err;
	if (err == -ENOENT) {
		err = 0;
		goto cleanup;
	}
	if (!err) {
		err = nb_store_endpoint_find(st, net.id, sb.id, &ep);
		if (err == -ENOENT || (!err && strcmp(ep.ifname, env->ifname))) {
			err = 0; /* nothing of this (container, network, ifname) is left */
			goto cleanup;
		}
	}
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
			       "container \"%s\": cannot read its "
			       "endpoints",
			       env->container_id);
		goto cleanup;
	}
	err = attachment_remove(ctx, st, w, &sb, &ep, &detached);
	if (err)
		goto cleanup;
	mark = log_mark();
	err = nb_store_commit(st);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "state %s: cannot commit",
			       ctx->inst.state_dir);
		goto cleanup;
	}
	began = false;
cleanup:
	if (began)
		nb_store_rollback(st);
	/* the rows are back: so must the endpoint be, when its netns still exists */
	if (err && detached && have_net && nb_netns_alive(sb.netns))
		nb_reattach(st, w, &net, &sb, &ep);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	nb_network_rec_clear(&net);
	return err;
}

/* ---- CHECK ---------------------------------------------------------------- */

/* The container side as the kernel has it: link, MAC, address */
static int check_container(struct nb_cni_ctx *ctx, const struct nb_network_rec *net,
			   const struct nb_endpoint_rec *ep)
{
	const char *path = ctx->env->netns;
	char m1[18], m2[18], a[NB_IPV4_STRLEN], a6[NB_IPV6_STRLEN];
	struct nb_nl *nl = NULL;
	__u8 mac[6];
	int fd, err;

	fd = nb_netns_open(path);
	if (fd < 0)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK, "CNI_NETNS %s: %s", path,
				     strerror(-fd));
	err = nb_nl_open_netns(fd, &nl);
	close(fd);
	if (err)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK, "CNI_NETNS %s: netlink: %s", path,
				     strerror(-err));
	err = nb_nl_link_mac(nl, ep->ifname, mac);
	if (err) {
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				    "container \"%s\": interface %s is missing in %s",
				    ctx->env->container_id, ep->ifname, path);
	} else if (memcmp(mac, ep->mac, sizeof(mac))) {
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				    "container \"%s\": %s has MAC %s, netbpf gave it %s",
				    ctx->env->container_id, ep->ifname, nb_fmt_mac(mac, m1),
				    nb_fmt_mac(ep->mac, m2));
	} else if (nb_nl_addr_has(nl, ep->ifname, ep->ip, net->subnet.len) != 1) {
		err = nb_cni_errorf(
		    ctx->err, NB_CNI_ERR_CHECK, "container \"%s\": %s lacks its address %s/%d",
		    ctx->env->container_id, ep->ifname, nb_fmt_ipv4(ep->ip, a), net->subnet.len);
	} else if (!nb_ipv6_is_zero(&ep->ip6) &&
		   nb_nl_addr6_has(nl, ep->ifname, &ep->ip6, net->subnet6.len) != 1) {
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				    "container \"%s\": %s lacks its address %s/%d",
				    ctx->env->container_id, ep->ifname, nb_fmt_ipv6(&ep->ip6, a6),
				    net->subnet6.len);
	}
	nb_nl_close(nl);
	return err;
}

/* The host side: the veth exists and carries netbpf's endpoint program */
static int check_host(struct nb_cni_ctx *ctx, struct nb_world *w, const struct nb_endpoint_rec *ep)
{
	__u32 have = 0, want = 0;
	int idx;

	idx = nb_nl_link_ifindex(w->nl, ep->host_ifname);
	if (idx < 0)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				     "container \"%s\": its host-side veth %s is missing",
				     ctx->env->container_id, ep->host_ifname);
	if (nb_dp_prog_id(&ctx->inst, NB_PROG_ENDPOINT, &want) ||
	    nb_dp_tc_query(idx, false, &have) || !have || have != want)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				     "container \"%s\": %s does not carry netbpf's \"%s\" program "
				     "at tc ingress",
				     ctx->env->container_id, ep->host_ifname, NB_PROG_ENDPOINT);
	return 0;
}

/* prevResult (what ADD answered) against the endpoint */
static int check_prev(struct nb_cni_ctx *ctx, const struct nb_network_rec *net,
		      const struct nb_endpoint_rec *ep)
{
	json_t *prev = ctx->conf->prev_result, *ips, *ifs, *ip, *route;
	char want[NB_CIDR_STRLEN + 4], dev[NB_IFNAMSIZ];
	const char *addr, *dst, *ifname;
	bool found = false, default_route = false;
	size_t i;

	nb_fmt_ipv4(ep->ip, want);
	snprintf(want + strlen(want), sizeof(want) - strlen(want), "/%d", net->subnet.len);
	ips = json_object_get(prev, "ips");
	ifs = json_object_get(prev, "interfaces");
	json_array_foreach(ips, i, ip)
	{
		addr = json_string_value(json_object_get(ip, "address"));
		if (!addr || strcmp(addr, want))
			continue;
		json_t *idx = json_object_get(ip, "interface");

		ifname = json_is_integer(idx)
			     ? json_string_value(json_object_get(
				   json_array_get(ifs, (size_t)json_integer_value(idx)), "name"))
			     : NULL;
		if (json_is_integer(idx) && (!ifname || strcmp(ifname, ep->ifname)))
			return nb_cni_errorf(
			    ctx->err, NB_CNI_ERR_CHECK,
			    "prevResult: address %s is on interface %s, netbpf has "
			    "it on %s",
			    want, ifname ? ifname : "(none)", ep->ifname);
		found = true;
	}
	if (!found)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				     "prevResult does not list the container's address %s", want);
	/* a dual-stack endpoint: its IPv6 address too */
	if (!nb_ipv6_is_zero(&ep->ip6)) {
		char want6[NB_CIDR6_STRLEN];

		nb_fmt_ipv6(&ep->ip6, want6);
		snprintf(want6 + strlen(want6), sizeof(want6) - strlen(want6), "/%d",
			 net->subnet6.len);
		found = false;
		json_array_foreach(ips, i, ip)
		{
			addr = json_string_value(json_object_get(ip, "address"));
			found = found || (addr && !strcmp(addr, want6));
		}
		if (!found)
			return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
					     "prevResult does not list the container's address %s",
					     want6);
	}
	json_array_foreach(json_object_get(prev, "routes"), i, route)
	{
		dst = json_string_value(json_object_get(route, "dst"));
		if (dst && !strcmp(dst, "0.0.0.0/0"))
			default_route = true;
	}
	if (default_route) {
		netns_default_dev(ctx->env->netns, dev);
		if (strcmp(dev, ep->ifname))
			return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
					     "container \"%s\": the default route does not go via "
					     "%s (%s)",
					     ctx->env->container_id, ep->ifname,
					     dev[0] ? dev : "there is none");
	}
	return 0;
}

/*
 * One family of a portMappings entry: its row (through ep's network) and the map entry
 * leading to ep's address in that family
 */
static int check_port(struct nb_cni_ctx *ctx, struct nb_world *w, const struct nb_endpoint_rec *ep,
		      const struct nb_publish_rec *rows, size_t nrows,
		      const struct nb_portmap *want)
{
	char k[NB_PORTMAP_STRLEN];
	struct nb_publish6_val v6;
	struct nb_publish_val v4;
	bool found = false;
	size_t i;
	int err;

	for (i = 0; i < nrows && !found; i++)
		found = rows[i].v6 == want->v6 && rows[i].host_port == want->host_port &&
			rows[i].sb_port == want->sb_port && rows[i].proto == want->proto &&
			!strcmp(rows[i].network_id, ep->network_id) &&
			(want->v6 ? IN6_ARE_ADDR_EQUAL(&rows[i].host_ip6, &want->host_ip6)
				  : rows[i].host_ip == want->host_ip);
	nb_portmap_key_str(want, k);
	if (!found)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				     "container \"%s\": host port %s is not published to its port "
				     "%u through %s",
				     ctx->env->container_id, k, want->sb_port, ep->ifname);
	if (want->v6) {
		err = nb_nat_publish6_get(&w->maps, &want->host_ip6, want->host_port, want->proto,
					  &v6);
		if (!err && memcmp(v6.sb_ip6, &ep->ip6, sizeof(v6.sb_ip6)))
			err = -ESTALE;
	} else {
		err =
		    nb_nat_publish_get(&w->maps, want->host_ip, want->host_port, want->proto, &v4);
		if (!err && v4.sb_ip != ep->ip)
			err = -ESTALE;
	}
	if (err)
		return nb_cni_errorf(
		    ctx->err, NB_CNI_ERR_CHECK, "container \"%s\": host port %s: map %s %s",
		    ctx->env->container_id, k,
		    want->v6 ? NB_MAP_NAME(NB_MAP_PUBLISH6) : NB_MAP_NAME(NB_MAP_PUBLISH),
		    err == -ESTALE ? "leads to another address" : "has no entry for it");
	return 0;
}

/*
 * runtimeConfig.portMappings as ADD published them: each entry in each family it binds
 * (no hostIP: IPv4 on the network's binding, and IPv6 on [::] when the endpoint has an
 * IPv6 address and the binding is 0.0.0.0, as nb_publish_add does)
 */
static int check_ports(struct nb_cni_ctx *ctx, struct nb_world *w, const struct nb_network_rec *net,
		       const struct nb_endpoint_rec *ep, const struct nb_publish_rec *rows,
		       size_t nrows)
{
	const struct nb_cni_conf *c = ctx->conf;
	bool has6 = !nb_ipv6_is_zero(&ep->ip6);
	struct nb_portmap want;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->nports; i++) {
		const struct nb_cni_portmap *m = &c->ports[i];

		memset(&want, 0, sizeof(want));
		want.host_port = m->host_port;
		want.sb_port = m->container_port;
		want.proto = m->proto;
		if (m->family == NB_FAMILY_V4 || (m->family == NB_FAMILY_ANY && ep->ip)) {
			want.host_ip = m->family == NB_FAMILY_V4 ? m->host_ip : net->host_binding;
			err = check_port(ctx, w, ep, rows, nrows, &want);
		}
		if (!err && (m->family == NB_FAMILY_V6 ||
			     (m->family == NB_FAMILY_ANY && has6 && !net->host_binding))) {
			want.v6 = true;
			want.host_ip = 0;
			if (m->family == NB_FAMILY_V6)
				want.host_ip6 = m->host_ip6;
			err = check_port(ctx, w, ep, rows, nrows, &want);
		}
	}
	return err;
}

int nb_cni_check(struct nb_cni_ctx *ctx)
{
	const struct nb_cni_env *env = ctx->env;
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec ep;
	struct nb_world_ref world = {0};
	struct nb_store *st = NULL;
	struct nb_world *w;
	struct nb_publish_rec *rows = NULL;
	size_t nrows = 0;
	bool have_net = false;
	struct sb_key k;
	int mark;
	int err;

	err = need_root(ctx, NB_CNI_ERR_NETBPF);
	if (err)
		return err;
	if (sb_key_of(env->container_id, &k) || !state_exists(&ctx->inst))
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				     "container \"%s\" is not attached to network \"%s\"",
				     env->container_id, ctx->conf->name);
	mark = log_mark();
	err = nb_open_state(&ctx->inst, false, &st);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "state %s: cannot open it",
				ctx->inst.state_dir);
	err = net_lookup(st, ctx->conf->name, &net);
	have_net = !err;
	if (!err)
		err = sb_lookup(st, &k, &sb);
	if (!err)
		err = sb_is_cni(st, &sb, env->container_id) == 1 ? 0 : -ENOENT;
	if (!err)
		err = nb_store_endpoint_find(st, net.id, sb.id, &ep);
	if (!err && strcmp(ep.ifname, env->ifname))
		err = -ENOENT;
	if (err) {
		err = err == -ENOENT
			  ? nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
					  "container \"%s\" is not attached to network "
					  "\"%s\" as %s",
					  env->container_id, ctx->conf->name, env->ifname)
			  : lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
				     "container \"%s\": cannot read the state", env->container_id);
		goto cleanup;
	}
	if (ctx->conf->nports) {
		err = nb_publish_list_all(st, sb.id, &rows, &nrows);
		if (err) {
			err =
			    lib_fail(ctx, NB_CNI_ERR_IO, mark, err,
				     "container \"%s\": cannot read its ports", env->container_id);
			goto cleanup;
		}
	}
	/* the reader's snapshot is all CHECK needs: let ADDs and DELs go on */
	nb_store_close(st);
	st = NULL;

	err = network_compare(ctx, &net, NB_CNI_ERR_CHECK);
	if (err)
		goto cleanup;
	if (!nb_netns_same_path(sb.netns, env->netns)) {
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				    "container \"%s\": attached in network namespace %s, not %s",
				    env->container_id, sb.netns, env->netns);
		goto cleanup;
	}
	if (nb_dp_loaded(&ctx->inst) != 1) {
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_CHECK,
				    "netbpf is not up (no programs pinned under %s)",
				    ctx->inst.pin_dir);
		goto cleanup;
	}
	mark = log_mark();
	err = nb_world_get(&ctx->inst, &world, &w);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_CHECK, mark, err,
			       "netbpf: cannot open the data "
			       "plane");
		goto cleanup;
	}
	err = check_host(ctx, w, &ep);
	if (!err)
		err = check_container(ctx, &net, &ep);
	if (!err)
		err = check_prev(ctx, &net, &ep);
	if (!err)
		err = check_ports(ctx, w, &net, &ep, rows, nrows);
cleanup:
	free(rows);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	if (have_net)
		nb_network_rec_clear(&net);
	return err;
}

/* ---- STATUS --------------------------------------------------------------- */

int nb_cni_status(struct nb_cni_ctx *ctx)
{
	struct nb_network_rec net = {0};
	struct nb_store *st = NULL;
	int mark;
	int err;

	err = need_root(ctx, NB_CNI_ERR_NOT_AVAILABLE);
	if (err)
		return err;
	mark = log_mark();
	err = nb_open_state(&ctx->inst, false, &st);
	if (err)
		return lib_fail(ctx, NB_CNI_ERR_NOT_AVAILABLE, mark, err,
				"netbpf: state %s cannot be opened", ctx->inst.state_dir);
	/* a network ADD would refuse makes the plugin unavailable for this configuration */
	err = net_lookup(st, ctx->conf->name, &net);
	if (!err)
		err = network_compare(ctx, &net, NB_CNI_ERR_NOT_AVAILABLE);
	else if (err == -ENOENT)
		err = 0;
	else
		err = lib_fail(ctx, NB_CNI_ERR_NOT_AVAILABLE, mark, err,
			       "network \"%s\": cannot read it", ctx->conf->name);
	nb_network_rec_clear(&net);
	nb_store_close(st);
	/* not up is no obstacle: the next ADD brings the data plane up */
	return err;
}

/* ---- GC ------------------------------------------------------------------- */

static bool attachment_valid(const struct nb_cni_conf *c, const char *cid, const char *ifname)
{
	size_t i;

	for (i = 0; i < c->nvalid; i++)
		if (!strcmp(c->valid[i].container_id, cid) && !strcmp(c->valid[i].ifname, ifname))
			return true;
	return false;
}

int nb_cni_gc(struct nb_cni_ctx *ctx)
{
	const struct nb_cni_conf *c = ctx->conf;
	char key[sizeof(MARK_PREFIX) + NB_ID_LEN], *cid = NULL, failed[512] = "";
	struct nb_network_rec net = {0};
	struct nb_endpoint_rec *eps = NULL;
	struct nb_world_ref world = {0};
	struct nb_store *st = NULL;
	struct nb_world *w = NULL;
	size_t i, n = 0, nfailed = 0, len = 0;
	bool have_net = false;
	int mark;
	int err;

	err = need_root(ctx, NB_CNI_ERR_NETBPF);
	if (err)
		return err;
	if (!c->has_valid)
		return nb_cni_errorf(ctx->err, NB_CNI_ERR_INVALID_CONFIG,
				     "GC needs cni.dev/valid-attachments (the list may be empty)");
	if (!state_exists(&ctx->inst))
		return 0;
	if (nb_dp_loaded(&ctx->inst) == 1) {
		mark = log_mark();
		err = nb_world_get(&ctx->inst, &world, &w);
		if (err)
			return lib_fail(ctx, NB_CNI_ERR_NETBPF, mark, err,
					"netbpf: cannot open the data plane");
	}
	mark = log_mark();
	err = nb_open_state(&ctx->inst, true, &st);
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "state %s: cannot open it",
			       ctx->inst.state_dir);
		goto cleanup;
	}
	err = net_lookup(st, c->name, &net);
	have_net = !err;
	if (!err)
		err = nb_store_endpoint_list(st, net.id, NULL, &eps, &n);
	if (err == -ENOENT) {
		err = 0;
		goto cleanup;
	}
	if (err) {
		err = lib_fail(ctx, NB_CNI_ERR_IO, mark, err, "network \"%s\": cannot read it",
			       c->name);
		goto cleanup;
	}
	/* each stale attachment on its own, as `sandbox rm` takes each sandbox */
	for (i = 0; i < n; i++) {
		struct nb_sandbox_rec sb;
		bool detached = false;
		int e;

		free(cid);
		cid = NULL;
		mark_key(eps[i].sandbox_id, key);
		if (nb_store_setting_get(st, key, &cid))
			continue; /* not the plugin's: `netbpfctl sandbox create` made it */
		if (attachment_valid(c, cid, eps[i].ifname))
			continue;
		e = nb_store_begin(st);
		if (!e)
			e = nb_store_sandbox_find(st, eps[i].sandbox_id, &sb);
		if (!e)
			e = attachment_remove(ctx, st, w, &sb, &eps[i], &detached);
		if (!e)
			e = nb_store_commit(st);
		if (e) {
			nb_store_rollback(st);
			if (detached && nb_netns_alive(sb.netns))
				nb_reattach(st, w, &net, &sb, &eps[i]);
			nfailed++;
			len += (size_t)snprintf(failed + len,
						len < sizeof(failed) ? sizeof(failed) - len : 0,
						"%s%s/%s", len ? ", " : "", cid, eps[i].ifname);
			continue;
		}
		fprintf(stderr,
			"netbpf-cni: GC: removed container \"%s\" (%s) from network \"%s\"\n", cid,
			eps[i].ifname, c->name);
	}
	if (nfailed) {
		/* the summary as msg, the first failure's own words as details */
		char first[sizeof(ctx->err->msg)];

		snprintf(first, sizeof(first), "%s", ctx->err->msg);
		memset(ctx->err, 0, sizeof(*ctx->err));
		err = nb_cni_errorf(ctx->err, NB_CNI_ERR_NETBPF,
				    "GC: %zu stale attachment(s) of network \"%s\" could not be "
				    "removed: %s",
				    nfailed, c->name, failed);
		snprintf(ctx->err->details, sizeof(ctx->err->details), "%s", first);
	}
cleanup:
	free(cid);
	free(eps);
	nb_world_put(&world);
	if (st)
		nb_store_close(st);
	if (have_net)
		nb_network_rec_clear(&net);
	return err;
}
