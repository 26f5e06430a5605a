// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* up, down, gc and the settings they keep (lifecycle.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "dataplane.h"
#include "host.h"
#include "ethtool.h"
#include "hooks.h"
#include "events.h"
#include "ipam.h"
#include "cluster.h"
#include "overlay.h"
#include "lifecycle.h"
#include "log.h"
#include "mapsize.h"
#include "nat.h"
#include "netns.h"
#include "nl.h"
#include "owner.h"
#include "pending.h"
#include "pins.h"
#include "publish.h"
#include "realize.h"
#include "resolve.h"
#include "store.h"
#include "uplinks.h"

#define SETTING_UPLINKS "uplinks" /* comma-separated interface names */
#define SETTING_CGROUP	"cgroup"  /* the cgroup `up` attached the socket hooks to */
#define IP_FORWARD	"/proc/sys/net/ipv4/ip_forward"
#define IP6_FORWARD	"/proc/sys/net/ipv6/conf/all/forwarding"

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

/* path: IP_FORWARD or IP6_FORWARD (a kernel without IPv6 has no such file: nothing to do) */
static int ip_forward_on(const char *path)
{
	char cur = 0;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && !strcmp(path, IP6_FORWARD) ? 0 : -errno;
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
#define SETTING_PUBLISH_DEFAULT "publish_default" /* "allow" or "deny" (absent: allow) */

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

#define SETTING_BRIDGE_SUBNET "bridge_subnet" /* `up --bridge-subnet` (absent: automatic) */

/* What the predefined networks are made from: the others, the host's prefixes, the bridge's */
struct predefined_ctx {
	struct nb_store *st;
	struct nb_world *w;
	const struct nb_network_rec *all;
	size_t nall;
	const struct nb_host_net *host;
	size_t nhost;
	const struct nb_prefix *bridge; /* the wanted subnet of "bridge"; NULL: automatic */
};

/*
 * The predefined bridge's subnet: the one asked for (checked against the other
 * networks and the host), else 172.17.0.0/16 unless a network or the host's
 * routes or addresses hold part of it (a docker0 on the host), then the first
 * free pool, as Docker's default bridge moves aside.
 */
static int bridge_subnet(const struct predefined_ctx *c, const char *skip_id, struct nb_prefix *out)
{
	char a[NB_CIDR_STRLEN], b[NB_CIDR_STRLEN], hw[NB_HOST_NET_STRLEN];
	const struct nb_host_net *h;
	struct nb_prefix *used;
	size_t i, nused = 0;
	int err;

	used = calloc(c->nall + c->nhost + 1, sizeof(*used));
	if (!used)
		return -ENOMEM;
	for (i = 0; i < c->nall; i++) {
		if (!c->all[i].subnet.len || (skip_id && !strcmp(c->all[i].id, skip_id)))
			continue;
		if (c->bridge && nb_prefix_overlap(c->bridge, &c->all[i].subnet)) {
			nb_errorf("up: --bridge-subnet %s: overlaps network \"%s\" (%s)",
				  nb_fmt_prefix(c->bridge, a), c->all[i].name,
				  nb_fmt_prefix(&c->all[i].subnet, b));
			free(used);
			return -EEXIST;
		}
		used[nused++] = c->all[i].subnet;
	}
	if (c->bridge) {
		free(used);
		h = nb_host_net_overlap(c->bridge, c->host, c->nhost);
		if (h) {
			nb_errorf("up: --bridge-subnet %s: overlaps the host's %s",
				  nb_fmt_prefix(c->bridge, a), nb_host_net_str(h, hw));
			return -EEXIST;
		}
		*out = *c->bridge;
		return 0;
	}
	for (i = 0; i < c->nhost; i++)
		used[nused++] = c->host[i].prefix;
	nb_parse_prefix("172.17.0.0/16", true, out);
	for (i = 0; i < nused; i++)
		if (nb_prefix_overlap(out, &used[i]))
			break;
	err = 0;
	if (i < nused && (err = nb_ipam_pick_subnet(used, nused, out)))
		nb_errorf("up: network \"bridge\": no free subnet in Docker's pools (each overlaps "
			  "a network or a route or address of the host); give one with "
			  "--bridge-subnet");
	free(used);
	return err;
}

/*
 * An existing "bridge" whose subnet differs from --bridge-subnet is made anew,
 * as Docker's docker0 takes a new bip at restart, when nothing is connected to it.
 * 1 when it was removed (to be created again), 0 when it stays, -errno.
 */
static int bridge_renew(const struct predefined_ctx *c, const struct nb_network_rec *found)
{
	char a[NB_CIDR_STRLEN], b[NB_CIDR_STRLEN];
	struct nb_endpoint_rec *eps = NULL;
	size_t n = 0;
	int err;

	if (!c->bridge || strcmp(found->driver, NB_DRIVER_BRIDGE) ||
	    (found->subnet.addr == c->bridge->addr && found->subnet.len == c->bridge->len))
		return 0;
	err = nb_store_endpoint_list(c->st, found->id, NULL, &eps, &n);
	free(eps);
	if (err) {
		nb_errorf("up: network \"bridge\": cannot read its endpoints: %s", strerror(-err));
		return err;
	}
	if (n) {
		nb_errorf("up: --bridge-subnet %s: network \"bridge\" has subnet %s and %zu "
			  "endpoint(s); disconnect them first",
			  nb_fmt_prefix(c->bridge, a), nb_fmt_prefix(&found->subnet, b), n);
		return -EBUSY;
	}
	err = nb_network_unrealize(c->w, found);
	if (!err)
		err = nb_store_network_del(c->st, found->id);
	if (err) {
		nb_errorf("up: network \"bridge\": cannot remove it to change its subnet: %s",
			  strerror(-err));
		return err;
	}
	nb_logf(NB_LOG_INFO, "removed network \"bridge\" (%s) to give it subnet %s",
		nb_fmt_prefix(&found->subnet, b), nb_fmt_prefix(c->bridge, a));
	return 1;
}

static int predefined_add(const struct predefined_ctx *c, const char *name, const char *driver)
{
	struct nb_network_rec rec = {0}, found = {0};
	char cidr[NB_CIDR_STRLEN], gw[NB_IPV4_STRLEN], skip[NB_ID_LEN + 1] = "";
	int err;

	err = nb_store_network_find(c->st, name, &found);
	if (!err && !strcmp(driver, NB_DRIVER_BRIDGE) && c->bridge) {
		/* the new subnet is checked before the old one goes: a refusal changes nothing */
		snprintf(skip, sizeof(skip), "%s", found.id);
		err = bridge_subnet(c, skip, &rec.subnet);
		if (!err)
			err = bridge_renew(c, &found);
		err = err == 1 ? -ENOENT : err;
	}
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
		err = bridge_subnet(c, skip[0] ? skip : NULL, &rec.subnet);
		if (err)
			return err;
		rec.range = rec.subnet;
		rec.gateway = nb_ipam_default_gateway(&rec.subnet, &rec.range);
		rec.options = (char *)"{\"com.docker.network.bridge.default_bridge\":\"true\","
				      "\"com.docker.network.bridge.enable_icc\":\"true\","
				      "\"com.docker.network.bridge.enable_ip_masquerade\":\"true\","
				      "\"com.docker.network.bridge.host_binding_ipv4\":\"0.0.0.0\","
				      "\"com.docker.network.driver.mtu\":\"1500\"}";
	}
	err = nb_store_network_add(c->st, &rec);
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

/*
 * The predefined networks; "bridge" on --bridge-subnet when given, else the
 * one a previous `up --bridge-subnet` stored, else an automatic one
 */
static int predefined_ensure(struct nb_store *st, struct nb_world *w, const char *bridge_cidr)
{
	struct predefined_ctx c = {.st = st, .w = w};
	struct nb_network_rec *all = NULL;
	struct nb_host_net *host = NULL;
	struct nb_prefix bridge;
	char *stored = NULL;
	int err;

	if (!bridge_cidr) {
		err = nb_store_setting_get(st, SETTING_BRIDGE_SUBNET, &stored);
		if (err && err != -ENOENT) {
			nb_errorf("up: cannot read the stored bridge subnet: %s", strerror(-err));
			return err;
		}
		bridge_cidr = stored && *stored ? stored : NULL;
	}
	if (bridge_cidr) {
		err = nb_bridge_subnet_parse(bridge_cidr, &bridge);
		if (err) {
			nb_errorf("up: --bridge-subnet \"%s\": not a subnet A.B.C.D/N with N in "
				  "8..30 and no host bits set",
				  bridge_cidr);
			goto cleanup;
		}
		c.bridge = &bridge;
	}
	err = nb_store_network_list(st, &all, &c.nall);
	if (err) {
		nb_errorf("up: cannot read the networks: %s", strerror(-err));
		goto cleanup;
	}
	c.all = all;
	err = nb_host_nets_read(w->nl, &host, &c.nhost);
	if (err) {
		nb_errorf("up: cannot read the host's routes and addresses: %s", strerror(-err));
		goto cleanup;
	}
	c.host = host;
	err = predefined_add(&c, "bridge", NB_DRIVER_BRIDGE);
	if (!err)
		err = predefined_add(&c, "host", NB_DRIVER_HOST);
	if (!err)
		err = predefined_add(&c, "none", NB_DRIVER_NONE);
	/* kept only once it is the bridge's: a refused one is not remembered */
	if (!err && bridge_cidr && !stored)
		err = nb_store_setting_set(st, SETTING_BRIDGE_SUBNET, bridge_cidr);
cleanup:
	nb_network_recs_free(all, c.nall);
	free(host);
	free(stored);
	return err;
}

int nb_bridge_subnet_parse(const char *s, struct nb_prefix *p)
{
	if (nb_parse_prefix(s, true, p) || p->len < 8 || p->len > 30)
		return -EINVAL;
	return 0;
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
		if (!nb_net_is_bridged(&nets[i]))
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
			if (!net || !nb_net_is_bridged(net))
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
static __be32 uplink_ipv4(struct nb_nl *nl, const char *ifname)
{
	__be32 ip = 0;

	if (nb_nl_addr_first(nl, ifname, &ip))
		return 0;
	return ip;
}

/* The remembered default of published ports without an allow-list, into nb_config */
static int publish_default_restore(struct nb_store *st, struct nb_world *w)
{
	char *v = NULL;
	int err;

	err = nb_store_setting_get(st, SETTING_PUBLISH_DEFAULT, &v);
	if (err && err != -ENOENT) {
		nb_errorf("up: state: cannot read setting %s: %s", SETTING_PUBLISH_DEFAULT,
			  strerror(-err));
		return err;
	}
	err = nb_nat_publish_default_set(&w->maps, v && !strcmp(v, "deny"));
	if (err)
		nb_errorf("up: map %s: cannot set the published ports' default (%s): %s",
			  NB_MAP_NAME(NB_MAP_CONFIG), v ? v : "allow", strerror(-err));
	free(v);
	return err;
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
			ip = uplink_ipv4(w->nl, uplinks->v[i]);
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
	if (publish_default_restore(st, w))
		c->failed++;
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

/*
 * The VXLAN device of a host with a store, its MTU from the first uplink (the underlay: the
 * outer packets leave there) less the encapsulation, as Linux gives a VXLAN device over a
 * lower device. Without uplinks, Ethernet's 1500.
 */
static int up_overlay_dev(const struct nb_instance *inst, struct nb_nl *nl, struct nb_world *w,
			  const struct nb_strv *uplinks, struct nb_up_report *r)
{
	struct nb_link_info info = {.mtu = 1500};
	int err;

	if (uplinks->n && (err = nb_nl_link_info(nl, uplinks->v[0], &info))) {
		nb_errorf("up: uplink %s: cannot read its MTU: %s", uplinks->v[0], strerror(-err));
		return err;
	}
	err = nb_overlay_dev_ensure(inst, nl, &w->maps, info.mtu);
	if (err)
		return err;
	r->overlay_mtu = info.mtu - NB_OVERLAY_OVERHEAD;
	return 0;
}

/* ---- issue 19: owner, pins, uplinks by ifindex, map sizes ---------------- */

/* What nb_pins_check() finds is an error of the verb in arg; what nb_pins_repair() did, news */
static void pins_error(void *arg, const char *line)
{
	nb_errorf("%s: %s", (const char *)arg, line);
}

static void pins_news(void *arg, const char *line)
{
	nb_logf(NB_LOG_INFO, "%s: %s", (const char *)arg, line);
}

/*
 * The stored uplinks under their current names, followed by ifindex (a
 * renamed device keeps it), checked before `up` changes anything. One that
 * is gone is an error unless --uplink replaces the stored ones.
 */
static int uplinks_follow(struct nb_store *st, struct nb_nl *nl, struct nb_strv *stored, bool given)
{
	char now[NB_IFNAMSIZ], *dup;
	int *idx, err = 0;
	size_t i;

	if (!stored->n)
		return 0;
	idx = calloc(stored->n, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	err = nb_uplinks_ifindexes_get(st, idx, stored->n);
	if (err) {
		nb_errorf("up: cannot read the stored uplinks' ifindexes: %s", strerror(-err));
		goto out;
	}
	for (i = 0; i < stored->n; i++) {
		err = nb_uplink_follow(nl, stored->v[i], idx[i], now);
		if (err == -ENODEV && given) {
			err = 0; /* replaced by --uplink; nothing of ours left to detach there */
			continue;
		}
		if (err < 0) {
			nb_errorf("up: uplink \"%s\"%s: %s; give the uplinks with --uplink",
				  stored->v[i], idx[i] ? " (followed by its ifindex)" : "",
				  err == -ENODEV
				      ? "no longer in this network namespace (deleted, or "
					"renamed before netbpf kept ifindexes)"
				      : strerror(-err));
			goto out;
		}
		err = 0;
		if (!strcmp(now, stored->v[i]))
			continue;
		nb_logf(NB_LOG_INFO,
			"up: uplink \"%s\" is now named \"%s\" (ifindex %d): following it",
			stored->v[i], now, idx[i]);
		dup = strdup(now);
		if (!dup) {
			err = -ENOMEM;
			goto out;
		}
		free(stored->v[i]);
		stored->v[i] = dup;
	}
out:
	free(idx);
	return err;
}

/* The uplinks' ifindexes beside their names, so that a renamed one is still found */
static int uplinks_ifindexes_store(struct nb_store *st, struct nb_nl *nl, const struct nb_strv *up)
{
	int *idx, err = 0;
	size_t i;

	idx = calloc(up->n + 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (i = 0; i < up->n && !err; i++) {
		idx[i] = nb_nl_link_ifindex(nl, up->v[i]);
		if (idx[i] < 0)
			err = idx[i];
	}
	if (!err)
		err = nb_uplinks_ifindexes_set(st, idx, up->n);
	free(idx);
	return err;
}

/* This instance's program ids, for detaching by what is attached (*ids malloc'd) */
static int own_prog_ids(const struct nb_instance *inst, __u32 **ids, size_t *n)
{
	struct nb_dp_prog *progs = NULL;
	size_t i;
	int err;

	*ids = NULL;
	*n = 0;
	err = nb_dp_progs(inst, &progs, n);
	if (err)
		return err;
	*ids = calloc(*n + 1, sizeof(**ids));
	if (!*ids) {
		free(progs);
		return -ENOMEM;
	}
	for (i = 0; i < *n; i++)
		(*ids)[i] = progs[i].id;
	free(progs);
	return 0;
}

/* No map pinned: nothing of a live data plane that an undo could take away */
static bool up_fresh(const struct nb_instance *inst)
{
	int fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_NETWORKS));

	if (fd >= 0)
		close(fd);
	return fd == -ENOENT || fd == -ENOTDIR;
}

/*
 * A first `up` that fails after loading leaves nothing behind: its hooks
 * detached wherever they went, the socket hooks too, the pins removed.
 */
static void up_undo(const struct nb_instance *inst, struct nb_nl *nl)
{
	__u32 *ids = NULL;
	size_t n = 0;

	if (!own_prog_ids(inst, &ids, &n) && nl)
		nb_uplinks_detach_attached(nl, ids, n, NULL, NULL);
	free(ids);
	if (nl)
		nb_overlay_dev_del(nl, NULL);
	nb_dp_cgroup_detach(inst);
	nb_dp_unload(inst);
}

/* The state must fit in the sizes: its networks' ids and its bridge endpoints */
static int up_sizes_fit(struct nb_store *st, const struct nb_dp_sizes *s)
{
	struct nb_network_rec *nets = NULL;
	struct nb_endpoint_rec *eps = NULL;
	size_t nn = 0, ne = 0, i, nbridge = 0;
	int err;

	err = nb_store_network_list(st, &nets, &nn);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &eps, &ne);
	if (err) {
		nb_errorf("up: cannot read the state: %s", strerror(-err));
		goto out;
	}
	for (i = 0; i < nn; i++) {
		if (nets[i].net_id <= s->max_networks)
			continue;
		err = nb_error(-EINVAL,
			       "up: --max-networks %u: network \"%s\" of the state has net_id %u; "
			       "give at least %u",
			       s->max_networks, nets[i].name, nets[i].net_id, nets[i].net_id);
		goto out;
	}
	for (i = 0; i < ne; i++)
		nbridge += eps[i].host_ifname[0] != '\0';
	if (nbridge > s->max_endpoints)
		err = nb_error(-EINVAL,
			       "up: --max-endpoints %u: the state holds %zu bridge endpoints",
			       s->max_endpoints, nbridge);
out:
	nb_network_recs_free(nets, nn);
	free(eps);
	return err;
}

/*
 * The map sizes of this `up`: given, else kept in the state, else the
 * defaults. Over a live data plane they must be the live maps' (a map is
 * resized only by creating it anew), also with --reload; a live data plane
 * from before the options keeps its sizes and the state records none.
 */
static int up_sizes(const struct nb_instance *inst, struct nb_store *st,
		    const struct nb_dp_sizes *given, struct nb_dp_sizes *out)
{
	struct nb_dp_sizes kept = {0};
	bool any, live, asked;
	int err;

	asked = given->max_endpoints || given->max_networks || given->ct_size;
	nb_dp_sizes_default(out);
	err = nb_dp_sizes_stored(st, &kept, &any);
	if (err) {
		nb_errorf("up: cannot read the kept map sizes: %s", strerror(-err));
		return err;
	}
	out->max_endpoints = given->max_endpoints ?: kept.max_endpoints ?: out->max_endpoints;
	out->max_networks = given->max_networks ?: kept.max_networks ?: out->max_networks;
	out->ct_size = given->ct_size ?: kept.ct_size ?: out->ct_size;
	live = nb_dp_loaded(inst) == 1;
	if (live && !any && !asked)
		return 0;
	if (live && nb_dp_sizes_check_live(inst, out))
		return -EINVAL;
	err = up_sizes_fit(st, out);
	if (!err)
		err = nb_dp_sizes_store(st, out);
	return err;
}

/* ---- up ------------------------------------------------------------------ */

int nb_up(const struct nb_instance *inst, const struct nb_up_opts *o, struct nb_up_report *r)
{
	enum nb_dp_mode mode = NB_DP_MODE_TC;
	struct nb_strv given = {0}, stored = {0}, uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_world w;
	bool world = false, txn = false, undo = false, joined = false;
	struct nb_cluster_cfg cluster;
	struct nb_dp_sizes sizes;
	struct nb_instance at;
	char id[NB_INSTANCE_ID_LEN + 1];
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
	err = nb_open_state_unchecked(inst, true, &st);
	if (err)
		goto cleanup;
	err = nb_store_begin(st);
	if (err) {
		nb_errorf("up: state %s: cannot begin a transaction: %s", inst->state_dir,
			  strerror(-err));
		goto cleanup;
	}
	txn = true;
	/* another instance's pins, or this one's with its database lost: touch nothing */
	if ((err = nb_instance_claim(inst, st, id)))
		goto cleanup;
	if (o->cluster) {
		if ((err = nb_cluster_up(st, o->cluster, &cluster)))
			goto cleanup;
		joined = true;
	} else if (!nb_cluster_cfg_get(st, &cluster)) {
		/* a remembered store is not asked: the local data plane comes up without it */
		joined = true;
	}
	if ((err = up_sizes(inst, st, &o->sizes, &sizes)))
		goto cleanup;
	at = *inst;
	at.sizes = &sizes;
	inst = &at;
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
	if ((err = uplinks_follow(st, nl, &stored, given.n > 0)))
		goto cleanup;
	err = uplinks_resolve(nl, &given, &stored, &uplinks);
	if (err)
		goto cleanup;

	/* a map pin removed by hand: back from the programs that hold it, entries and all */
	err = nb_pins_repair(inst, pins_news, "up");
	if (err < 0) {
		nb_errorf("up: pin dir %s: cannot repair the pins: %s", inst->pin_dir,
			  strerror(-err));
		goto cleanup;
	}
	/* the reload re-pins the programs; the attach steps below then replace them in place */
	if (o->reload && (err = nb_dp_reload(inst)))
		goto cleanup;
	/*
	 * All or nothing: a first `up` failing from here on takes back what it did.
	 * Only a first one: a live data plane missing a program pin still has its maps.
	 */
	undo = nb_dp_loaded(inst) != 1 && up_fresh(inst);
	if ((err = nb_dp_load(inst)))
		goto cleanup;
	/* what the repair and the load could not mend (the owner record comes at the end) */
	err = nb_pins_check(inst, false, pins_error, "up");
	if (err < 0)
		nb_errorf("up: pin dir %s: cannot check the pins: %s", inst->pin_dir,
			  strerror(-err));
	if (err > 0)
		err = -ESTALE;
	if (err)
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
	err = ip_forward_on(IP_FORWARD);
	if (err) {
		nb_errorf("up: cannot enable IPv4 forwarding (%s): %s", IP_FORWARD, strerror(-err));
		goto cleanup;
	}
	/* the instance's netns routes IPv6 between networks and to the uplink as it does v4 */
	err = ip_forward_on(IP6_FORWARD);
	if (err) {
		nb_errorf("up: cannot enable IPv6 forwarding (%s): %s", IP6_FORWARD,
			  strerror(-err));
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

	if ((err = nb_world_open(inst, &w)))
		goto cleanup;
	world = true;
	if ((err = predefined_ensure(st, &w, o->bridge_subnet)))
		goto cleanup;
	/* a host of a cluster: the VXLAN device its overlay networks need (docs/overlay.md) */
	if (joined && (err = up_overlay_dev(inst, nl, &w, &uplinks, r)))
		goto cleanup;
	csv = nb_strv_join(&uplinks);
	err = csv ? nb_store_setting_set(st, SETTING_UPLINKS, csv) : -ENOMEM;
	if (!err)
		err = uplinks_ifindexes_store(st, nl, &uplinks);
	/* `down` detaches from this one even when run with another --cgroup */
	if (!err && inst->cgroup && inst->cgroup[0])
		err = nb_store_setting_set(st, SETTING_CGROUP, inst->cgroup);
	if (!err && o->masq_ports)
		err = nb_store_setting_set(st, SETTING_MASQ_PORTS, o->masq_ports);
	if (!err && o->publish_default)
		err = nb_store_setting_set(st, SETTING_PUBLISH_DEFAULT, o->publish_default);
	if (!err && o->cluster)
		err = nb_cluster_cfg_put(st, &cluster);
	if (err) {
		nb_errorf("up: cannot store the settings: %s", strerror(-err));
		goto cleanup;
	}

	restore(st, &w, r);
	nat_restore(st, &w, &uplinks, &stored, r);

	/* the state stands even when some object could not be restored: it is the desired one */
	err = nb_store_commit(st);
	txn = false;
	if (err) {
		nb_errorf("up: state %s: cannot commit: %s", inst->state_dir, strerror(-err));
		goto cleanup;
	}
	undo = false;
	/* after the commit: a rolled-back `up` must not leave an owner the state does not know */
	if ((err = nb_instance_record(inst, id)))
		goto cleanup;
	r->mode = mode;
	snprintf(r->uplinks, sizeof(r->uplinks), "%s", csv);
cleanup:
	if (world)
		nb_world_close(&w);
	if (undo)
		up_undo(inst, nl);
	if (txn)
		nb_store_rollback(st);
	nb_store_close(st);
	nb_nl_close(nl);
	if (joined) {
		if (!err) {
			snprintf(r->store, sizeof(r->store), "%s", cluster.store);
			snprintf(r->advertise, sizeof(r->advertise), "%s",
				 cluster.advertise ? cluster.advertise : "");
		}
		nb_cluster_cfg_free(&cluster);
	}
	free(csv);
	nb_strv_free(&uplinks);
	nb_strv_free(&stored);
	nb_strv_free(&given);
	return err < 0 ? nb_error_set_code(err) : err ? nb_error_set_code(-EIO) : 0;
}

/* ---- down ---------------------------------------------------------------- */

/*
 * Deletes every nbe*, nbg*, nbp* veth of nl's netns; returns how many. One
 * dump lists them and one batch deletes them (nb_nl_links_del): a device at
 * a time, each RTM_GETLINK and RTM_DELLINK costing ~25 ms, made `down` take
 * two minutes at 4,096 sandboxes.
 */
static int devices_delete_all(struct nb_nl *nl, const char *cmd)
{
	struct nb_link_ent *links = NULL;
	size_t n = 0, i, nv = 0;
	int *idx = NULL, err;

	err = nb_links_here(nb_device_prefixes, NB_DEVICE_PREFIXES, &links, &n);
	if (err) {
		nb_errorf("%s: cannot list the interfaces: %s", cmd, strerror(-err));
		return err;
	}
	idx = calloc(n + 1, sizeof(*idx));
	if (!idx) {
		free(links);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		char gw[NB_IFNAMSIZ];
		size_t j;

		if (strcmp(links[i].kind, "veth"))
			continue;
		/* an nbp<id> goes with its nbg<id> (its peer), counted once */
		if (!strncmp(links[i].name, "nbp", 3)) {
			snprintf(gw, sizeof(gw), "nbg%s", links[i].name + 3);
			for (j = 0; j < n && strcmp(links[j].name, gw); j++)
				;
			if (j < n)
				continue;
		}
		idx[nv++] = links[i].ifindex;
	}
	err = nb_nl_links_del(nl, idx, nv);
	if (err < 0)
		nb_errorf("%s: cannot delete the devices: %s", cmd, strerror(-err));
	free(idx);
	free(links);
	return err;
}

static void down_detached(void *arg, const char *ifname, const char *hook)
{
	const struct nb_strv *uplinks = arg;

	/* the stored uplinks are expected; anything else was renamed or attached by hand */
	if (!nb_strv_has(uplinks, ifname))
		nb_logf(NB_LOG_INFO,
			"down: detached netbpf's program from %s (%s), a device the state does "
			"not name as an uplink (renamed?)",
			ifname, hook);
}

/*
 * Detaches by what is attached: every device running one of this
 * instance's programs loses it, whatever it is called now. Without pins
 * (nothing loaded) the stored uplinks, followed by ifindex.
 */
static int down_uplinks(const struct nb_instance *inst, struct nb_store *st, struct nb_nl *nl,
			bool loaded, const struct nb_strv *uplinks)
{
	char now[NB_IFNAMSIZ];
	__u32 *ids = NULL;
	int *idx = NULL, err;
	size_t n = 0, i;

	if (loaded) {
		err = own_prog_ids(inst, &ids, &n);
		if (!err)
			err =
			    nb_uplinks_detach_attached(nl, ids, n, down_detached, (void *)uplinks);
		free(ids);
		if (err < 0)
			nb_errorf("down: cannot detach netbpf's programs from the devices they are "
				  "attached to: %s; the pins are kept, run `netbpfctl down` again",
				  strerror(-err));
		return err < 0 ? err : 0;
	}
	idx = calloc(uplinks->n + 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	nb_uplinks_ifindexes_get(st, idx, uplinks->n);
	for (i = 0; i < uplinks->n; i++)
		if (nb_uplink_follow(nl, uplinks->v[i], idx[i], now) > 0)
			uplink_detach(nl, now);
	free(idx);
	return 0;
}

int nb_down(const struct nb_instance *inst, struct nb_down_report *r)
{
	return nb_down_opts(inst, false, r);
}

int nb_down_opts(const struct nb_instance *inst, bool force, struct nb_down_report *r)
{
	struct nb_strv uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_nl *nl = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	/* the writer's lock: no other command works on the data plane meanwhile */
	err = nb_open_state_unchecked(inst, true, &st);
	if (err)
		return nb_error_set_code(err);
	/* also the way out of a lost database; never another instance's pins, unless forced */
	if (!force && (err = nb_instance_may_remove(inst, st)))
		goto cleanup;
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
	err = nb_overlay_dev_del(nl, NULL);
	if (err)
		goto cleanup;
	err = nb_uplinks_stored(st, &uplinks);
	if (err)
		nb_logf(NB_LOG_WARN, "down: cannot read the stored uplinks: %s", strerror(-err));
	if ((err = down_uplinks(inst, st, nl, r->loaded, &uplinks)))
		goto cleanup;
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

/*
 * gc removes only what it can prove orphaned. A state that records no
 * instance (a new, emptied or deleted database) proves nothing: every
 * device would look unknown to it.
 */
static bool gc_state_proves(struct nb_store *st)
{
	char *id = NULL;
	bool ok = !nb_store_setting_get(st, SETTING_INSTANCE_ID, &id) && id && *id;

	free(id);
	return ok;
}

/* A device whose tc ingress runs a program, and not one of this instance's, is another's */
static bool gc_device_foreign(struct nb_nl *nl, const struct nb_dp_prog *progs, size_t nprogs,
			      const char *name, __u32 *id)
{
	int idx = nb_nl_link_ifindex(nl, name);
	size_t i;

	*id = 0;
	if (idx <= 0 || nb_dp_tc_query(idx, false, id) || !*id)
		return false;
	for (i = 0; i < nprogs; i++)
		if (progs[i].id == *id)
			return false;
	return true;
}

static int cmp_ifname(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * netbpf-looking devices that no endpoint or network of the state explains.
 * One dump (with each link's kind) and a sorted look-up per device: comparing
 * every device with every endpoint, and an RTM_GETLINK each, grew as N^2.
 */
static int gc_devices(const struct nb_instance *inst, struct nb_store *st, struct nb_nl *nl,
		      int *count)
{
	struct nb_dp_prog *progs = NULL;
	size_t nprogs = 0;
	__u32 foreign_id;
	struct nb_network_rec *nets = NULL;
	struct nb_endpoint_rec *eps = NULL;
	struct nb_link_ent *links = NULL;
	char(*known)[NB_IFNAMSIZ] = NULL;
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
	size_t nn = 0, ne = 0, n = 0, nk = 0, i;
	int err;

	if (!gc_state_proves(st)) {
		nb_logf(NB_LOG_INFO,
			"left every device alone: the state %s records no instance (a new, "
			"emptied or deleted database), so nothing proves a device orphaned",
			inst->state_dir);
		return 0;
	}
	/* none pinned (not up): no program to tell ours from another instance's */
	if (nb_dp_loaded(inst) == 1 && nb_dp_progs(inst, &progs, &nprogs))
		nprogs = 0;
	err = nb_store_network_list(st, &nets, &nn);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &eps, &ne);
	if (err) {
		nb_errorf("gc: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	known = calloc(ne + 2 * nn + 1, sizeof(*known));
	if (!known) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < ne; i++)
		snprintf(known[nk++], NB_IFNAMSIZ, "%s", eps[i].host_ifname);
	for (i = 0; i < nn; i++) {
		if (!nb_net_is_bridged(&nets[i]))
			continue;
		nb_network_ifnames(nets[i].net_id, gw, port);
		snprintf(known[nk++], NB_IFNAMSIZ, "%s", gw);
		snprintf(known[nk++], NB_IFNAMSIZ, "%s", port);
	}
	qsort(known, nk, sizeof(*known), cmp_ifname);
	err = nb_links_here(nb_device_prefixes, NB_DEVICE_PREFIXES, &links, &n);
	if (err) {
		nb_errorf("gc: cannot list the interfaces: %s", strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		const char *name = links[i].name;

		if (bsearch(name, known, nk, sizeof(*known), cmp_ifname) ||
		    strcmp(links[i].kind, "veth"))
			continue;
		if (nprogs && gc_device_foreign(nl, progs, nprogs, name, &foreign_id)) {
			nb_logf(NB_LOG_INFO,
				"left device %s alone: its tc ingress runs program %u, not "
				"one of this instance's",
				name, foreign_id);
			continue;
		}
		err = nb_nl_link_del(nl, name);
		if (err == -ENODEV) {
			err = 0;
			continue; /* the peer of one deleted just before */
		}
		if (err) {
			nb_errorf("gc: cannot delete %s: %s", name, strerror(-err));
			goto cleanup;
		}
		nb_logf(NB_LOG_INFO, "removed orphan device %s (not in the state)", name);
		(*count)++;
	}
cleanup:
	free(progs);
	free(links);
	free(known);
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
		/* a map whose pin is gone cannot be cleaned, nor judged: repair first */
		err = nb_pins_check(inst, true, pins_error, "gc");
		if (err < 0)
			nb_errorf("gc: pin dir %s: cannot check the pins: %s", inst->pin_dir,
				  strerror(-err));
		if (err > 0)
			err =
			    nb_error(-ESTALE,
				     "gc: %d pin(s) missing or wrong under %s: run `netbpfctl up` "
				     "to repair them first",
				     err, inst->pin_dir);
		if (err)
			goto cleanup;
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
	if ((err = gc_devices(inst, st, nl, count)))
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
