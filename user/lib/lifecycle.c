// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* up, down, gc and the settings they keep (lifecycle.h). */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "dataplane.h"
#include "ethtool.h"
#include "hooks.h"
#include "events.h"
#include "ipam.h"
#include "lifecycle.h"
#include "log.h"
#include "nat.h"
#include "netns.h"
#include "nl.h"
#include "pending.h"
#include "publish.h"
#include "realize.h"
#include "resolve.h"
#include "store.h"

#define SETTING_UPLINKS "uplinks" /* comma-separated interface names */
#define SETTING_CGROUP	"cgroup"  /* the cgroup `up` attached the socket hooks to */
#define IP_FORWARD	"/proc/sys/net/ipv4/ip_forward"

const char *const nb_device_prefixes[NB_DEVICE_PREFIXES] = {"nbe", "nbg", "nbp"};

/* ---- small helpers ------------------------------------------------------- */

int nb_strv_push(struct nb_strv *s, const char *str)
{
	char **grown, *dup;

	dup = strdup(str);
	grown = dup ? realloc(s->v, (s->n + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(dup);
		return -ENOMEM;
	}
	s->v = grown;
	s->v[s->n++] = dup;
	return 0;
}

bool nb_strv_has(const struct nb_strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

void nb_strv_free(struct nb_strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* "a,b,c" -> strv; empty items skipped */
int nb_strv_split(struct nb_strv *s, const char *csv)
{
	char *copy, *tok, *save = NULL;
	int err = 0;

	if (!csv)
		return 0;
	copy = strdup(csv);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save))
		if (*tok && !nb_strv_has(s, tok))
			err = nb_strv_push(s, tok);
	free(copy);
	return err;
}

char *nb_strv_join(const struct nb_strv *s)
{
	size_t len = 1, i;
	char *out;

	for (i = 0; i < s->n; i++)
		len += strlen(s->v[i]) + 1;
	out = calloc(1, len);
	if (!out)
		return NULL;
	for (i = 0; i < s->n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, s->v[i]);
	}
	return out;
}

bool nb_is_netbpf_device(const char *name)
{
	size_t i;

	for (i = 0; i < NB_DEVICE_PREFIXES; i++)
		if (!strncmp(name, nb_device_prefixes[i], 3))
			return true;
	return false;
}

/* The stored uplinks (none when the setting is absent) */
int nb_uplinks_stored(struct nb_store *st, struct nb_strv *out)
{
	char *val = NULL;
	int err;

	err = nb_store_setting_get(st, SETTING_UPLINKS, &val);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	err = nb_strv_split(out, val);
	free(val);
	return err;
}

static int ip_forward_on(void)
{
	char cur = 0;
	int fd, err = 0;

	fd = open(IP_FORWARD, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (read(fd, &cur, 1) == 1 && cur == '1')
		goto cleanup;
	if (pwrite(fd, "1\n", 2, 0) != 2)
		err = -errno;
cleanup:
	close(fd);
	return err;
}

/* ---- masquerade source ports ---------------------------------------------- */

#define SETTING_MASQ_PORTS "masq_ports" /* "LO-HI" (absent: the default) */

/* "LO-HI" with 1 <= LO <= HI <= 65535: 0, else -EINVAL (not a range) or -ERANGE */
int nb_masq_ports_parse(const char *s, __u16 *lo, __u16 *hi)
{
	unsigned long l, h;
	const char *dash = strchr(s, '-');
	char first[8];
	int err;

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(first))
		return -EINVAL;
	memcpy(first, s, dash - s);
	first[dash - s] = 0;
	err = nb_parse_ulong(first, 1, 65535, &l);
	if (!err)
		err = nb_parse_ulong(dash + 1, 1, 65535, &h);
	if (err)
		return err;
	if (l > h)
		return -ERANGE;
	*lo = (__u16)l;
	*hi = (__u16)h;
	return 0;
}

/* The stored range as "LO-HI" in buf (the default when none is stored), parsed into lo/hi */
int nb_masq_ports_stored(struct nb_store *st, char buf[16], __u16 *lo, __u16 *hi)
{
	char *val = NULL;
	int err;

	err = nb_store_setting_get(st, SETTING_MASQ_PORTS, &val);
	if (err && err != -ENOENT)
		return err;
	snprintf(buf, 16, "%s", val ? val : NB_MASQ_PORTS_DEFAULT);
	free(val);
	return nb_masq_ports_parse(buf, lo, hi);
}

/* ---- up: the pieces ------------------------------------------------------ */

/* Whether this is the init network namespace (PID 1's): false when that cannot be read */
static bool in_init_netns(void)
{
	struct stat self, init;

	return !stat("/proc/self/ns/net", &self) && !stat("/proc/1/ns/net", &init) &&
	       self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

/* Decides the uplinks: the given ones, else the stored ones, else the default route's */
static int uplinks_resolve(struct nb_nl *nl, const struct nb_strv *given,
			   const struct nb_strv *stored, struct nb_strv *out)
{
	char dev[NB_IFNAMSIZ];
	size_t i;
	int err;

	if (given->n) {
		for (i = 0; i < given->n; i++) {
			if (nb_is_netbpf_device(given->v[i])) {
				nb_errorf("up: uplink \"%s\": a netbpf device cannot be an uplink",
					  given->v[i]);
				return -EINVAL;
			}
			err = nb_nl_link_ifindex(nl, given->v[i]);
			if (err < 0) {
				nb_errorf("up: uplink \"%s\": %s", given->v[i],
					  err == -ENODEV
					      ? "no such interface in this network namespace"
					      : strerror(-err));
				return err;
			}
			err = nb_strv_push(out, given->v[i]);
			if (err)
				return err;
		}
		return 0;
	}
	if (stored->n) {
		for (i = 0; i < stored->n; i++)
			if ((err = nb_strv_push(out, stored->v[i])))
				return err;
		return 0;
	}
	err = nb_nl_route_default_dev(nl, dev);
	if (err == -ENOENT) {
		nb_logf(NB_LOG_WARN, "up: no default route and no --uplink: running without an "
				     "uplink (published ports and masquerade need one)");
		return 0;
	}
	if (err) {
		nb_errorf("up: cannot read the default route: %s", strerror(-err));
		return err;
	}
	if (nb_is_netbpf_device(dev))
		return 0;
	/*
	 * Said once, when nothing is stored yet: on a real host this is the machine's main
	 * interface, whose inbound traffic the uplink programs will see from now on.
	 */
	nb_logf(NB_LOG_WARN,
		"up: no --uplink: attaching to \"%s\", the default route's device%s "
		"(remembered; choose with --uplink IFACE)",
		dev, in_init_netns() ? " in the machine's own network namespace" : "");
	return nb_strv_push(out, dev);
}

/* XDP mode: "xdp_uplink", native where the driver has it; tc mode: none of netbpf's */
static int uplink_xdp(const struct nb_instance *inst, const char *name, int idx,
		      enum nb_dp_mode mode)
{
	struct nb_dp_xdp_state xs;
	int err;

	if (mode != NB_DP_MODE_XDP) {
		err = nb_dp_xdp_detach(-1, idx);
		return err == -ENOENT ? 0 : err;
	}
	err = nb_dp_xdp_attach(inst, -1, idx, NB_PROG_XDP_UPLINK, true, &xs);
	if (err)
		nb_errorf("up: uplink \"%s\": cannot attach \"%s\" at XDP: %s", name,
			  NB_PROG_XDP_UPLINK,
			  err == -EBUSY ? "another XDP program is attached there" : strerror(-err));
	else
		nb_debugf(inst, "uplink %s: \"%s\" attached at XDP (%s)", name, NB_PROG_XDP_UPLINK,
			  xs.generic ? "generic" : "native");
	return err;
}

/* Attaches the uplink programs, when the build has them, to each uplink */
static int uplinks_attach(const struct nb_instance *inst, struct nb_nl *nl,
			  const struct nb_strv *uplinks, enum nb_dp_mode mode)
{
	static const struct {
		const char *prog;
		bool egress;
	} hooks[] = {{NB_PROG_UPLINK_IN, false}, {NB_PROG_UPLINK_OUT, true}};
	__u32 id;
	size_t i, h;
	int idx, err, ret = 0;

	for (i = 0; i < uplinks->n; i++) {
		idx = nb_nl_link_ifindex(nl, uplinks->v[i]);
		if (idx < 0) {
			nb_errorf("up: uplink \"%s\": %s", uplinks->v[i],
				  idx == -ENODEV ? "no such interface in this network namespace"
						 : strerror(-idx));
			ret = ret ? ret : idx;
			continue;
		}
		for (h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
			if (nb_dp_prog_id(inst, hooks[h].prog, &id))
				continue; /* no uplink program in this build */
			err = nb_dp_tc_ensure(inst, idx, hooks[h].prog, hooks[h].egress);
			if (err < 0) {
				nb_errorf("up: uplink \"%s\": cannot attach \"%s\" at tc %s: %s",
					  uplinks->v[i], hooks[h].prog,
					  hooks[h].egress ? "egress" : "ingress", strerror(-err));
				ret = ret ? ret : err;
			} else if (err > 0) {
				nb_debugf(inst, "uplink %s: \"%s\" attached at tc %s",
					  uplinks->v[i], hooks[h].prog,
					  hooks[h].egress ? "egress" : "ingress");
			}
		}
		err = uplink_xdp(inst, uplinks->v[i], idx, mode);
		ret = ret ? ret : err;
	}
	return ret;
}

static void uplink_detach(struct nb_nl *nl, const char *name)
{
	int idx = nb_nl_link_ifindex(nl, name);

	if (idx < 0)
		return;
	nb_dp_tc_detach(idx, false);
	nb_dp_tc_detach(idx, true);
	nb_dp_xdp_detach(-1, idx);
}

static int predefined_add(struct nb_store *st, const char *name, const char *driver,
			  struct nb_network_rec *all, size_t nall)
{
	struct nb_network_rec rec = {0}, found = {0};
	struct nb_prefix used[64];
	char cidr[NB_CIDR_STRLEN], gw[NB_IPV4_STRLEN];
	size_t i, nused = 0;
	int err;

	err = nb_store_network_find(st, name, &found);
	nb_network_rec_clear(&found);
	if (err != -ENOENT)
		return err;

	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(rec.driver, sizeof(rec.driver), "%s", driver);
	rec.builtin = true;
	rec.icc = true;
	rec.masquerade = true;
	rec.options = (char *)"{}";
	rec.labels = (char *)"{}";
	if (!strcmp(driver, NB_DRIVER_BRIDGE)) {
		nb_parse_prefix("172.17.0.0/16", true, &rec.subnet);
		for (i = 0; i < nall && nused < 64; i++)
			if (all[i].subnet.len)
				used[nused++] = all[i].subnet;
		for (i = 0; i < nused; i++)
			if (nb_prefix_overlap(&rec.subnet, &used[i]))
				break;
		/* Docker's default bridge moves aside the same way when 172.17/16 is taken */
		if (i < nused) {
			err = nb_ipam_pick_subnet(used, nused, &rec.subnet);
			if (err) {
				nb_errorf(
				    "up: network \"bridge\": no free subnet in Docker's pools");
				return err;
			}
		}
		rec.range = rec.subnet;
		rec.gateway = nb_ipam_default_gateway(&rec.subnet, &rec.range);
		rec.options = (char *)"{\"com.docker.network.bridge.default_bridge\":\"true\","
				      "\"com.docker.network.bridge.enable_icc\":\"true\","
				      "\"com.docker.network.bridge.enable_ip_masquerade\":\"true\","
				      "\"com.docker.network.bridge.host_binding_ipv4\":\"0.0.0.0\","
				      "\"com.docker.network.driver.mtu\":\"1500\"}";
	}
	err = nb_store_network_add(st, &rec);
	if (err) {
		nb_errorf("up: cannot create the predefined network \"%s\": %s", name,
			  strerror(-err));
		return err;
	}
	if (rec.subnet.len)
		nb_logf(NB_LOG_INFO, "created network \"%s\" (%s, gateway %s)", name,
			nb_fmt_prefix(&rec.subnet, cidr), nb_fmt_ipv4(rec.gateway, gw));
	return 0;
}

static int predefined_ensure(struct nb_store *st)
{
	struct nb_network_rec *all = NULL;
	size_t n = 0;
	int err;

	err = nb_store_network_list(st, &all, &n);
	if (err) {
		nb_errorf("up: cannot read the networks: %s", strerror(-err));
		return err;
	}
	err = predefined_add(st, "bridge", NB_DRIVER_BRIDGE, all, n);
	if (!err)
		err = predefined_add(st, "host", NB_DRIVER_HOST, all, n);
	if (!err)
		err = predefined_add(st, "none", NB_DRIVER_NONE, all, n);
	nb_network_recs_free(all, n);
	return err;
}

/* Every bridge network, then every endpoint of every sandbox whose netns exists */
static void restore(struct nb_store *st, struct nb_world *w, struct nb_up_report *c)
{
	struct nb_network_rec *nets = NULL;
	struct nb_sandbox_rec *sbs = NULL;
	struct nb_endpoint_rec *eps = NULL;
	const struct nb_network_rec *net;
	size_t nn = 0, ns = 0, ne, i, j;
	bool first;
	int err;

	err = nb_store_network_list(st, &nets, &nn);
	if (err) {
		nb_errorf("up: cannot read the networks: %s", strerror(-err));
		c->failed++;
		return;
	}
	for (i = 0; i < nn; i++) {
		if (strcmp(nets[i].driver, NB_DRIVER_BRIDGE))
			continue;
		if (nb_network_realize(w, &nets[i]))
			c->failed++;
		else
			c->networks++;
	}
	err = nb_store_sandbox_list(st, &sbs, &ns);
	if (err) {
		nb_errorf("up: cannot read the sandboxes: %s", strerror(-err));
		c->failed++;
		goto cleanup;
	}
	for (i = 0; i < ns; i++) {
		ne = 0;
		err = nb_store_endpoint_list(st, NULL, sbs[i].id, &eps, &ne);
		if (err) {
			nb_errorf("up: sandbox \"%s\": cannot read its endpoints: %s", sbs[i].name,
				  strerror(-err));
			c->failed++;
			continue;
		}
		if (ne && !nb_netns_alive(sbs[i].netns)) {
			nb_logf(NB_LOG_WARN,
				"up: sandbox \"%s\": its network namespace %s is gone; "
				"%zu endpoint(s) not restored (`netbpfctl gc` removes them)",
				sbs[i].name, sbs[i].netns, ne);
			c->skipped += ne;
			free(eps);
			eps = NULL;
			continue;
		}
		/* ordered by seq: the first endpoint on a bridge network holds the default route */
		first = true;
		for (j = 0; j < ne; j++) {
			net = nb_network_recs_by_id(nets, nn, eps[j].network_id);
			if (!net || strcmp(net->driver, NB_DRIVER_BRIDGE))
				continue;
			if (nb_endpoint_realize(w, net, &sbs[i], &eps[j], first))
				c->failed++;
			else
				c->endpoints++;
			first = false;
		}
		free(eps);
		eps = NULL;
	}
cleanup:
	free(sbs);
	nb_network_recs_free(nets, nn);
}

/* The first IPv4 address of ifname (the primary: the kernel lists it first); 0 when none */
static __be32 uplink_ipv4(const char *ifname)
{
	struct ifaddrs *ifa = NULL, *it;
	__be32 ip = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (it = ifa; it && !ip; it = it->ifa_next)
		if (it->ifa_addr && it->ifa_addr->sa_family == AF_INET &&
		    !strcmp(it->ifa_name, ifname))
			ip = ((struct sockaddr_in *)it->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(ifa);
	return ip;
}

/*
 * The NAT side of the restore: each uplink's masquerade source, the host's
 * addresses for the socket hooks, and every published port of the state
 * (re-put with the endpoints' current veths, so publishing survives
 * `down`/`up`; entries the state no longer has are dropped).
 */
static void nat_restore(struct nb_store *st, struct nb_world *w, const struct nb_strv *uplinks,
			const struct nb_strv *dropped, struct nb_up_report *c)
{
	char a[NB_IPV4_STRLEN];
	char range[16] = "";
	__u16 lo = 0, hi = 0;
	size_t i;
	int idx, err;
	__be32 ip;

	err = nb_masq_ports_stored(st, range, &lo, &hi);
	if (err) {
		/* an unreadable setting must not stop masquerade: the BPF default applies */
		nb_errorf("up: state: cannot read the masquerade port range (setting %s \"%s\"): "
			  "%s; using %s",
			  SETTING_MASQ_PORTS, range, strerror(-err), NB_MASQ_PORTS_DEFAULT);
		nb_masq_ports_parse(NB_MASQ_PORTS_DEFAULT, &lo, &hi);
		c->failed++;
	}
	if (w->maps.uplinks >= 0) {
		for (i = 0; i < dropped->n; i++) {
			idx = nb_nl_link_ifindex(w->nl, dropped->v[i]);
			if (idx > 0 && !nb_strv_has(uplinks, dropped->v[i]))
				nb_nat_uplink_del(&w->maps, (__u32)idx);
		}
		for (i = 0; i < uplinks->n; i++) {
			idx = nb_nl_link_ifindex(w->nl, uplinks->v[i]);
			if (idx < 0)
				continue; /* uplinks_attach() said so */
			ip = uplink_ipv4(uplinks->v[i]);
			if (!ip) {
				nb_logf(NB_LOG_WARN,
					"up: uplink \"%s\" has no IPv4 address: no "
					"masquerade through it until `netbpfctl up` runs again",
					uplinks->v[i]);
				nb_nat_uplink_del(&w->maps, (__u32)idx);
				continue;
			}
			err = nb_nat_uplink_put_range(&w->maps, (__u32)idx, ip, lo, hi);
			if (err) {
				nb_errorf("up: uplink \"%s\": map %s: cannot set source %s: %s",
					  uplinks->v[i], NB_MAP_NAME(NB_MAP_UPLINKS),
					  nb_fmt_ipv4(ip, a), strerror(-err));
				c->failed++;
			}
		}
	}
	if (w->maps.local_addrs >= 0) {
		err = nb_nat_local_addrs_sync(&w->maps);
		if (err) {
			nb_errorf("up: map %s: cannot record the host's addresses: %s",
				  NB_MAP_NAME(NB_MAP_LOCAL_ADDRS), strerror(-err));
			c->failed++;
		}
	}
	if (w->maps.publish >= 0) {
		err = nb_publish_sync(st, w, true, &c->ports, NULL, NULL);
		if (err < 0) {
			nb_errorf("up: map %s: cannot restore the published ports: %s",
				  NB_MAP_NAME(NB_MAP_PUBLISH), strerror(-err));
			c->failed++;
		}
	}
}

/* ---- up ------------------------------------------------------------------ */

int nb_up(const struct nb_instance *inst, const struct nb_up_opts *o, struct nb_up_report *r)
{
	enum nb_dp_mode mode = NB_DP_MODE_TC;
	struct nb_strv given = {0}, stored = {0}, uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_world w;
	bool world = false, txn = false;
	struct nb_nl *nl = NULL;
	char *csv = NULL;
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < o->nuplinks; i++) {
		if (nb_strv_has(&given, o->uplinks[i]))
			continue;
		err = nb_strv_push(&given, o->uplinks[i]);
		if (err) {
			nb_errorf("up: out of memory");
			goto cleanup;
		}
	}
	err = nb_open_state(inst, true, &st);
	if (err)
		goto cleanup;
	err = nb_store_begin(st);
	if (err) {
		nb_errorf("up: state %s: cannot begin a transaction: %s", inst->state_dir,
			  strerror(-err));
		goto cleanup;
	}
	txn = true;
	err = nb_nl_open(&nl);
	if (err) {
		nb_errorf("up: cannot open a netlink socket: %s", strerror(-err));
		goto cleanup;
	}
	err = nb_uplinks_stored(st, &stored);
	if (err) {
		nb_errorf("up: cannot read the stored uplinks: %s", strerror(-err));
		goto cleanup;
	}
	err = uplinks_resolve(nl, &given, &stored, &uplinks);
	if (err)
		goto cleanup;

	/* the reload re-pins the programs; the attach steps below then replace them in place */
	if (o->reload && (err = nb_dp_reload(inst)))
		goto cleanup;
	if ((err = nb_dp_load(inst)))
		goto cleanup;
	/* without --mode a live instance keeps its mode (kept in nb_config); a new one: tc */
	if (o->mode >= 0)
		mode = (enum nb_dp_mode)o->mode;
	else
		nb_dp_mode_get(inst, &mode);
	if (mode == NB_DP_MODE_XDP && (nb_dp_prog_id(inst, NB_PROG_XDP_ENDPOINT, &(__u32){0}) ||
				       nb_dp_prog_id(inst, NB_PROG_XDP_UPLINK, &(__u32){0}))) {
		err = nb_error(-ENOENT,
			       "up: --mode xdp: this netbpfctl was built without the XDP programs "
			       "(bpf/xdp.bpf.c); rebuild with `make`");
		goto cleanup;
	}
	err = nb_dp_mode_set(inst, mode);
	if (err) {
		nb_errorf("up: map %s: cannot set the mode: %s", NB_MAP_NAME(NB_MAP_CONFIG),
			  strerror(-err));
		goto cleanup;
	}
	err = ip_forward_on();
	if (err) {
		nb_errorf("up: cannot enable IPv4 forwarding (%s): %s", IP_FORWARD, strerror(-err));
		goto cleanup;
	}
	/* uplinks no longer wanted lose their hooks */
	for (i = 0; i < stored.n; i++)
		if (!nb_strv_has(&uplinks, stored.v[i]))
			uplink_detach(nl, stored.v[i]);
	if ((err = uplinks_attach(inst, nl, &uplinks, mode)))
		goto cleanup;
	if ((err = nb_dp_cgroup_attach(inst)))
		goto cleanup;

	if ((err = predefined_ensure(st)))
		goto cleanup;
	csv = nb_strv_join(&uplinks);
	err = csv ? nb_store_setting_set(st, SETTING_UPLINKS, csv) : -ENOMEM;
	/* `down` detaches from this one even when run with another --cgroup */
	if (!err && inst->cgroup && inst->cgroup[0])
		err = nb_store_setting_set(st, SETTING_CGROUP, inst->cgroup);
	if (!err && o->masq_ports)
		err = nb_store_setting_set(st, SETTING_MASQ_PORTS, o->masq_ports);
	if (err) {
		nb_errorf("up: cannot store the settings: %s", strerror(-err));
		goto cleanup;
	}

	if ((err = nb_world_open(inst, &w)))
		goto cleanup;
	world = true;
	restore(st, &w, r);
	nat_restore(st, &w, &uplinks, &stored, r);

	/* the state stands even when some object could not be restored: it is the desired one */
	err = nb_store_commit(st);
	txn = false;
	if (err) {
		nb_errorf("up: state %s: cannot commit: %s", inst->state_dir, strerror(-err));
		goto cleanup;
	}
	r->mode = mode;
	snprintf(r->uplinks, sizeof(r->uplinks), "%s", csv);
cleanup:
	if (world)
		nb_world_close(&w);
	if (txn)
		nb_store_rollback(st);
	nb_store_close(st);
	nb_nl_close(nl);
	free(csv);
	nb_strv_free(&uplinks);
	nb_strv_free(&stored);
	nb_strv_free(&given);
	return err < 0 ? nb_error_set_code(err) : err ? nb_error_set_code(-EIO) : 0;
}

/* ---- down ---------------------------------------------------------------- */

/* Deletes every nbe*, nbg*, nbp* veth of nl's netns; returns how many */
static int devices_delete_all(struct nb_nl *nl, const char *cmd)
{
	char(*names)[NB_IFNAMSIZ] = NULL;
	struct nb_link_info info;
	size_t n = 0, i, p;
	int err, count = 0;

	for (p = 0; p < NB_DEVICE_PREFIXES; p++) {
		err = nb_nl_link_list(nl, nb_device_prefixes[p], &names, &n);
		if (err) {
			nb_errorf("%s: cannot list the interfaces: %s", cmd, strerror(-err));
			return err;
		}
		for (i = 0; i < n; i++) {
			/* an nbp* went with its nbg* a moment ago */
			if (nb_nl_link_info(nl, names[i], &info) || strcmp(info.kind, "veth"))
				continue;
			err = nb_nl_link_del(nl, names[i]);
			if (!err)
				count++;
			else if (err != -ENODEV)
				nb_errorf("%s: cannot delete %s: %s", cmd, names[i],
					  strerror(-err));
		}
		free(names);
		names = NULL;
	}
	return count;
}

int nb_down(const struct nb_instance *inst, struct nb_down_report *r)
{
	struct nb_strv uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_nl *nl = NULL;
	size_t i;
	int err;

	memset(r, 0, sizeof(*r));
	/* the writer's lock: no other command works on the data plane meanwhile */
	err = nb_open_state(inst, true, &st);
	if (err)
		return nb_error_set_code(err);
	err = nb_nl_open(&nl);
	if (err) {
		nb_errorf("down: cannot open a netlink socket: %s", strerror(-err));
		goto cleanup;
	}
	r->loaded = nb_dp_loaded(inst) == 1;

	r->devices = devices_delete_all(nl, "down");
	if (r->devices < 0) {
		err = r->devices;
		goto cleanup;
	}
	err = nb_uplinks_stored(st, &uplinks);
	if (err)
		nb_logf(NB_LOG_WARN, "down: cannot read the stored uplinks: %s", strerror(-err));
	for (i = 0; i < uplinks.n; i++)
		uplink_detach(nl, uplinks.v[i]);
	/* hooks before pins: the pins are how the attached programs are named */
	if (r->loaded) {
		struct nb_instance at = *inst;
		char *cg = NULL;

		if (!nb_store_setting_get(st, SETTING_CGROUP, &cg) && cg && *cg)
			at.cgroup = cg;
		err = nb_dp_cgroup_detach(&at);
		free(cg);
		if (err)
			goto cleanup;
	}
	err = nb_dp_unload(inst);
	if (err)
		nb_errorf("down: pin dir %s: cannot remove the pins: %s", inst->pin_dir,
			  strerror(-err));
cleanup:
	nb_strv_free(&uplinks);
	nb_nl_close(nl);
	nb_store_close(st);
	return err ? nb_error_set_code(err) : 0;
}

/* ---- gc ------------------------------------------------------------------ */

static void gc_report(void *arg, const char *what)
{
	int *count = arg;

	nb_logf(NB_LOG_INFO, "removed stale %s", what);
	(*count)++;
}

/* True when netbpfd made sb for a Docker sandbox (backend.h's mark) */
static bool docker_sandbox(struct nb_store *st, const struct nb_sandbox_rec *sb)
{
	char key[sizeof(NB_SETTING_DOCKER_SANDBOX) + NB_ID_LEN], *v = NULL;
	bool yes;

	snprintf(key, sizeof(key), NB_SETTING_DOCKER_SANDBOX "%s", sb->id);
	yes = !nb_store_setting_get(st, key, &v);
	free(v);
	if (yes)
		nb_store_setting_del(st, key);
	return yes;
}

/* Endpoints (and owned or Docker's sandboxes) whose netns is gone */
static int gc_sandboxes(struct nb_store *st, struct nb_world *w, int *count)
{
	struct nb_network_rec *nets = NULL;
	struct nb_sandbox_rec *sbs = NULL;
	struct nb_endpoint_rec *eps = NULL;
	const struct nb_network_rec *net;
	size_t nn = 0, ns = 0, ne = 0, i, j;
	int err;

	err = nb_store_network_list(st, &nets, &nn);
	if (!err)
		err = nb_store_sandbox_list(st, &sbs, &ns);
	if (err) {
		nb_errorf("gc: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < ns; i++) {
		if (nb_netns_alive(sbs[i].netns))
			continue;
		err = nb_store_endpoint_list(st, NULL, sbs[i].id, &eps, &ne);
		if (err) {
			nb_errorf("gc: sandbox \"%s\": cannot read its endpoints: %s", sbs[i].name,
				  strerror(-err));
			goto cleanup;
		}
		for (j = 0; j < ne; j++) {
			/* the veth died with the netns; its map entries did not */
			if (w)
				nb_endpoint_unrealize(w, &eps[j]);
			err = nb_store_endpoint_del(st, eps[j].id);
			if (err) {
				nb_errorf("gc: endpoint %s: cannot delete it: %s",
					  eps[j].host_ifname, strerror(-err));
				goto cleanup;
			}
			net = nb_network_recs_by_id(nets, nn, eps[j].network_id);
			nb_logf(
			    NB_LOG_INFO,
			    "removed endpoint %s (sandbox \"%s\" on network \"%s\"): its network "
			    "namespace %s is gone",
			    eps[j].host_ifname, sbs[i].name, net ? net->name : "?", sbs[i].netns);
			(*count)++;
		}
		free(eps);
		eps = NULL;
		/* an adopted netns may come back, unless Docker's: its key names a netns once */
		if (!sbs[i].owned && !docker_sandbox(st, &sbs[i]))
			continue;
		err = nb_store_sandbox_del(st, sbs[i].id);
		if (err) {
			nb_errorf("gc: sandbox \"%s\": cannot delete it: %s", sbs[i].name,
				  strerror(-err));
			goto cleanup;
		}
		/* a /run/netns file whose mount is gone is left as an empty file */
		nb_netns_delete(sbs[i].netns);
		nb_logf(NB_LOG_INFO, "removed sandbox \"%s\": its network namespace %s is gone",
			sbs[i].name, sbs[i].netns);
		(*count)++;
	}
cleanup:
	free(eps);
	free(sbs);
	nb_network_recs_free(nets, nn);
	return err;
}

/* netbpf-looking devices that no endpoint or network of the state explains */
static int gc_devices(struct nb_store *st, struct nb_nl *nl, int *count)
{
	struct nb_network_rec *nets = NULL;
	struct nb_endpoint_rec *eps = NULL;
	char(*names)[NB_IFNAMSIZ] = NULL;
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
	struct nb_link_info info;
	size_t nn = 0, ne = 0, n = 0, i, j, p;
	bool known;
	int err;

	err = nb_store_network_list(st, &nets, &nn);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &eps, &ne);
	if (err) {
		nb_errorf("gc: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	for (p = 0; p < NB_DEVICE_PREFIXES; p++) {
		err = nb_nl_link_list(nl, nb_device_prefixes[p], &names, &n);
		if (err) {
			nb_errorf("gc: cannot list the interfaces: %s", strerror(-err));
			goto cleanup;
		}
		for (i = 0; i < n; i++) {
			known = false;
			for (j = 0; j < ne && !known; j++)
				known = !strcmp(eps[j].host_ifname, names[i]);
			for (j = 0; j < nn && !known; j++) {
				if (strcmp(nets[j].driver, NB_DRIVER_BRIDGE))
					continue;
				nb_network_ifnames(nets[j].net_id, gw, port);
				known = !strcmp(gw, names[i]) || !strcmp(port, names[i]);
			}
			if (known || nb_nl_link_info(nl, names[i], &info) ||
			    strcmp(info.kind, "veth"))
				continue;
			err = nb_nl_link_del(nl, names[i]);
			if (err == -ENODEV)
				continue; /* the peer of one deleted just before */
			if (err) {
				nb_errorf("gc: cannot delete %s: %s", names[i], strerror(-err));
				goto cleanup;
			}
			nb_logf(NB_LOG_INFO, "removed orphan device %s (not in the state)",
				names[i]);
			(*count)++;
		}
		free(names);
		names = NULL;
	}
cleanup:
	free(names);
	free(eps);
	nb_network_recs_free(nets, nn);
	return err;
}

int nb_gc(const struct nb_instance *inst, int *count)
{
	struct nb_up_report rc = {0};
	struct nb_store *st = NULL;
	struct nb_world w;
	struct nb_nl *nl = NULL;
	bool world = false, txn = false;
	int err;

	*count = 0;
	err = nb_open_state(inst, true, &st);
	if (err)
		return nb_error_set_code(err);
	err = nb_store_begin(st);
	if (err) {
		nb_errorf("gc: state %s: cannot begin a transaction: %s", inst->state_dir,
			  strerror(-err));
		goto cleanup;
	}
	txn = true;
	/* without a loaded data plane there are no maps to clean, only state and devices */
	if (nb_dp_loaded(inst) == 1) {
		if ((err = nb_world_open(inst, &w)))
			goto cleanup;
		world = true;
		nl = w.nl;
	} else {
		err = nb_nl_open(&nl);
		if (err) {
			nb_errorf("gc: cannot open a netlink socket: %s", strerror(-err));
			goto cleanup;
		}
	}
	/* netns that a killed sandbox create/rm left behind (pending.h) */
	err = nb_pending_netns_reap(inst->state_dir, st, gc_report, count);
	if (err < 0) {
		nb_errorf("gc: state %s: cannot clear the pending network namespaces: %s",
			  inst->state_dir, strerror(-err));
		goto cleanup;
	}
	/* a monitor that died without clearing its flag stops costing the data plane here */
	err = nb_monitor_reap(inst);
	if (err < 0) {
		nb_errorf("gc: map %s: cannot clear a dead monitor's flag: %s",
			  NB_MAP_NAME(NB_MAP_MONITOR), strerror(-err));
		goto cleanup;
	}
	if (err > 0) {
		gc_report(count,
			  "monitor flag in map " NB_MAP_NAME(NB_MAP_MONITOR) " (its monitor died)");
		err = 0;
	}
	if ((err = gc_sandboxes(st, world ? &w : NULL, count)))
		goto cleanup;
	if ((err = gc_devices(st, nl, count)))
		goto cleanup;
	if (world) {
		err = nb_world_prune(&w, st, gc_report, count);
		if (err < 0) {
			nb_errorf("gc: cannot clean the maps: %s", strerror(-err));
			goto cleanup;
		}
		/*
		 * What the state has and the kernel lacks: a command killed after undoing
		 * kernel pieces but before its commit (sandbox rm, network rm, unpublish)
		 * leaves rows whose devices or entries are gone. up's restore is
		 * idempotent: it only adds what is missing.
		 */
		restore(st, &w, &rc);
		if (rc.failed) {
			err =
			    nb_error(-EIO,
				     "gc: %zu object(s) of the state could not be restored in the "
				     "kernel",
				     rc.failed);
			goto cleanup;
		}
		/* published ports: missing ones put, those the state no longer has deleted */
		err =
		    w.maps.publish >= 0 ? nb_publish_sync(st, &w, true, NULL, gc_report, count) : 0;
		if (err < 0) {
			nb_errorf("gc: map %s: cannot clean it: %s", NB_MAP_NAME(NB_MAP_PUBLISH),
				  strerror(-err));
			goto cleanup;
		}
	}
	err = nb_store_commit(st);
	txn = false;
	if (err)
		nb_errorf("gc: state %s: cannot commit: %s", inst->state_dir, strerror(-err));
cleanup:
	if (txn)
		nb_store_rollback(st);
	if (world)
		nb_world_close(&w);
	else
		nb_nl_close(nl);
	nb_store_close(st);
	return err < 0 ? nb_error_set_code(err) : 0;
}
