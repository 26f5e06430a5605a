// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl up|down|status|gc`: the life of an instance's data plane in the
 * network namespace netbpfctl runs in.
 *
 * `up` is the restore path as much as the start: it loads what is not
 * loaded, then replays the whole state (networks, then endpoints of every
 * sandbox whose netns still exists). Replaying is idempotent, so running it
 * over a live system changes nothing and drops no packet. `down` removes
 * every device, hook and pin but keeps the state, so `up` brings it all
 * back. `gc` reconciles the other way: it drops from the state and the
 * kernel what the world has taken away (a netns that vanished).
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cli.h"
#include "cmd.h"
#include "dataplane.h"
#include "ipam.h"
#include "nat.h"
#include "netns.h"
#include "nl.h"
#include "output.h"
#include "pending.h"
#include "publish.h"
#include "realize.h"
#include "store.h"

#define NB_EXIT_NOT_UP 3 /* `status`: the instance is not up */

#define SETTING_UPLINKS "uplinks" /* comma-separated interface names */
#define SETTING_CGROUP	"cgroup"  /* the cgroup `up` attached the socket hooks to */
#define IP_FORWARD	"/proc/sys/net/ipv4/ip_forward"

static const char *const device_prefixes[] = {"nbe", "nbg", "nbp"};
#define N_PREFIXES (sizeof(device_prefixes) / sizeof(device_prefixes[0]))

/* ---- small helpers ------------------------------------------------------- */

struct strv {
	char **v;
	size_t n;
};

static int strv_push(struct strv *s, const char *str)
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

static bool strv_has(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], str))
			return true;
	return false;
}

static void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* "a,b,c" -> strv; empty items skipped */
static int strv_split(struct strv *s, const char *csv)
{
	char *copy, *tok, *save = NULL;
	int err = 0;

	if (!csv)
		return 0;
	copy = strdup(csv);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save))
		if (*tok && !strv_has(s, tok))
			err = strv_push(s, tok);
	free(copy);
	return err;
}

static char *strv_join(const struct strv *s)
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

static bool is_netbpf_device(const char *name)
{
	size_t i;

	for (i = 0; i < N_PREFIXES; i++)
		if (!strncmp(name, device_prefixes[i], 3))
			return true;
	return false;
}

/* The stored uplinks (none when the setting is absent) */
static int uplinks_stored(struct nb_store *st, struct strv *out)
{
	char *val = NULL;
	int err;

	err = nb_store_setting_get(st, SETTING_UPLINKS, &val);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	err = strv_split(out, val);
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

static bool netns_alive(const char *path)
{
	int fd = nb_netns_open(path);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* ---- masquerade source ports ---------------------------------------------- */

#define SETTING_MASQ_PORTS "masq_ports" /* "LO-HI" (absent: the default) */
#define MASQ_PORTS_DEFAULT NB_STR(NB_MASQ_PORT_MIN) "-" NB_STR(NB_MASQ_PORT_MAX)
#define OPT_MASQ_PORTS	   0x100	/* long option only */
#define SETTING_PUBLISH_DEFAULT "publish_default" /* "allow" or "deny" (absent: allow) */
#define OPT_PUBLISH_DEFAULT	0x101

/* "LO-HI" with 1 <= LO <= HI <= 65535: 0, else -EINVAL (not a range) or -ERANGE */
static int masq_ports_parse(const char *s, __u16 *lo, __u16 *hi)
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
static int masq_ports_stored(struct nb_store *st, char buf[16], __u16 *lo, __u16 *hi)
{
	char *val = NULL;
	int err;

	err = nb_store_setting_get(st, SETTING_MASQ_PORTS, &val);
	if (err && err != -ENOENT)
		return err;
	snprintf(buf, 16, "%s", val ? val : MASQ_PORTS_DEFAULT);
	free(val);
	return masq_ports_parse(buf, lo, hi);
}

/* ---- up ------------------------------------------------------------------ */

static const char up_doc[] =
    "Load the data plane into this network namespace and restore it from the state.\n"
    "\n"
    "Loads and pins the BPF programs and maps under the pin dir (mounting a bpffs there when "
    "needed), attaches the uplink programs to each uplink, creates the predefined networks "
    "bridge (172.17.0.0/16), host and none, and re-creates every bridge network's gateway "
    "port and every endpoint whose sandbox still exists. Idempotent: over a live data plane it "
    "changes nothing. The uplinks are remembered in the state; without --uplink, the "
    "remembered ones, or else the device of the default route. --masq-ports sets the source "
    "ports masquerade gives connections leaving through the uplinks (ICMP echo identifiers "
    "use the whole 16-bit space); it is remembered too, default " MASQ_PORTS_DEFAULT ".\n"
    "\n"
    "--mode xdp attaches XDP programs in front of the tc ones: at each endpoint's host-side "
    "veth (sandbox-to-sandbox frames redirected through a devmap; an XDP_PASS program on the "
    "sandbox side lets the veth take them) and at each uplink (published ports and masquerade "
    "replies; native XDP where the driver has it, generic otherwise: see `netbpfctl status`). "
    "What XDP cannot finish continues to the tc programs. Without --mode (or env NETBPF_MODE), "
    "a live data plane keeps its mode and a new one starts in tc mode."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl up\n"
    "  netbpfctl up --mode xdp\n"
    "  netbpfctl up --uplink eth0 --uplink eth1\n"
    "  netbpfctl up --masq-ports 32768-60999\n"
    "  netbpfctl up --publish-default deny  # published ports need publish --allow\n"
    "  netbpfctl up --reload              # after `make`: swap in the new programs, hitless\n"
    "  netbpfctl --pin-dir /tmp/pins up --uplink veth0\n";

static const struct argp_option up_opts[] = {
    {"uplink", 'u', "IFACE", 0,
     "Interface to the outside world (repeatable; default: the device of the default route)", 0},
    {"masq-ports", OPT_MASQ_PORTS, "LO-HI", 0,
     "Masquerade source ports, 1 <= LO <= HI <= 65535 (default: the remembered range, "
     "else " MASQ_PORTS_DEFAULT ")",
     0},
    {"publish-default", OPT_PUBLISH_DEFAULT, "allow|deny", 0,
     "Who reaches a published port without an allow-list (publish --allow) from outside: "
     "every source, or none (default: the remembered policy, else allow)",
     0},
    {"mode", 'm', "tc|xdp", 0,
     "Hooks of the data plane (env NETBPF_MODE; default: the live mode, else tc)", 0},
    {"reload", 'r', NULL, 0,
     "Replace the loaded programs with this build's, keeping maps, connections and traffic "
     "(refused when a map's layout changed)",
     0},
    {0},
};

struct up_args {
	struct strv uplinks;
	const char *masq_ports; /* validated "LO-HI", NULL when not given */
	const char *publish_default; /* "allow" or "deny", NULL when not given */
	bool reload;
	bool oom;
	int mode; /* -1: not given, else enum nb_dp_mode */
};

static error_t up_parse(int key, char *arg, struct argp_state *state)
{
	struct up_args *a = state->input;

	switch (key) {
	case 'u':
		if (!*arg || strlen(arg) >= NB_IFNAMSIZ || strchr(arg, ',') || strchr(arg, '/'))
			argp_error(state, "--uplink \"%s\": not an interface name", arg);
		if (!strv_has(&a->uplinks, arg) && strv_push(&a->uplinks, arg))
			a->oom = true;
		return 0;
	case OPT_PUBLISH_DEFAULT:
		if (strcmp(arg, "allow") && strcmp(arg, "deny"))
			argp_error(state, "--publish-default \"%s\": must be \"allow\" or \"deny\"",
				   arg);
		a->publish_default = arg;
		return 0;
	case OPT_MASQ_PORTS: {
		__u16 lo, hi;

		if (masq_ports_parse(arg, &lo, &hi))
			argp_error(state,
				   "--masq-ports \"%s\": not a port range LO-HI with 1 <= LO <= HI "
				   "<= 65535",
				   arg);
		a->masq_ports = arg;
		return 0;
	}
	case 'm':
	mode:
		if (!strcmp(arg, "tc"))
			a->mode = NB_DP_MODE_TC;
		else if (!strcmp(arg, "xdp"))
			a->mode = NB_DP_MODE_XDP;
		else
			argp_error(state, "%s \"%s\": not a mode (tc or xdp)",
				   key == 'm' ? "--mode" : "NETBPF_MODE", arg);
		return 0;
	case ARGP_KEY_END:
		/* the environment's mode, as NETBPF_STATE_DIR is the state dir's */
		arg = getenv("NETBPF_MODE");
		if (a->mode < 0 && arg && *arg)
			goto mode;
		return 0;
	case 'r':
		a->reload = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument \"%s\"", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp up_argp = {up_opts, up_parse, NULL, up_doc, NULL, NULL, NULL};

/* Decides the uplinks: the given ones, else the stored ones, else the default route's */
static int uplinks_resolve(struct nb_nl *nl, const struct strv *given, const struct strv *stored,
			   struct strv *out)
{
	char dev[NB_IFNAMSIZ];
	size_t i;
	int err;

	if (given->n) {
		for (i = 0; i < given->n; i++) {
			if (is_netbpf_device(given->v[i])) {
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
			err = strv_push(out, given->v[i]);
			if (err)
				return err;
		}
		return 0;
	}
	if (stored->n) {
		for (i = 0; i < stored->n; i++)
			if ((err = strv_push(out, stored->v[i])))
				return err;
		return 0;
	}
	err = nb_nl_route_default_dev(nl, dev);
	if (err == -ENOENT) {
		fprintf(stderr,
			"netbpfctl: up: no default route and no --uplink: running without an "
			"uplink (published ports and masquerade need one)\n");
		return 0;
	}
	if (err) {
		nb_errorf("up: cannot read the default route: %s", strerror(-err));
		return err;
	}
	if (is_netbpf_device(dev))
		return 0;
	return strv_push(out, dev);
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
			  const struct strv *uplinks, enum nb_dp_mode mode)
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
		printf("created network \"%s\" (%s, gateway %s)\n", name,
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

struct restore_count {
	size_t networks, endpoints, ports, failed, skipped;
};

/* Every bridge network, then every endpoint of every sandbox whose netns exists */
static void restore(struct nb_store *st, struct nb_world *w, struct restore_count *c)
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
		if (ne && !netns_alive(sbs[i].netns)) {
			fprintf(stderr,
				"netbpfctl: up: sandbox \"%s\": its network namespace %s is gone; "
				"%zu endpoint(s) not restored (`netbpfctl gc` removes them)\n",
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
static void nat_restore(struct nb_store *st, struct nb_world *w, const struct strv *uplinks,
			const struct strv *dropped, struct restore_count *c)
{
	char a[NB_IPV4_STRLEN];
	char range[16] = "";
	__u16 lo = 0, hi = 0;
	size_t i;
	int idx, err;
	__be32 ip;

	err = masq_ports_stored(st, range, &lo, &hi);
	if (err) {
		/* an unreadable setting must not stop masquerade: the BPF default applies */
		nb_errorf("up: state: cannot read the masquerade port range (setting %s \"%s\"): "
			  "%s; using %s",
			  SETTING_MASQ_PORTS, range, strerror(-err), MASQ_PORTS_DEFAULT);
		masq_ports_parse(MASQ_PORTS_DEFAULT, &lo, &hi);
		c->failed++;
	}
	if (w->maps.uplinks >= 0) {
		for (i = 0; i < dropped->n; i++) {
			idx = nb_nl_link_ifindex(w->nl, dropped->v[i]);
			if (idx > 0 && !strv_has(uplinks, dropped->v[i]))
				nb_nat_uplink_del(&w->maps, (__u32)idx);
		}
		for (i = 0; i < uplinks->n; i++) {
			idx = nb_nl_link_ifindex(w->nl, uplinks->v[i]);
			if (idx < 0)
				continue; /* uplinks_attach() said so */
			ip = uplink_ipv4(uplinks->v[i]);
			if (!ip) {
				fprintf(stderr,
					"netbpfctl: up: uplink \"%s\" has no IPv4 address: no "
					"masquerade through it until `netbpfctl up` runs again\n",
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
	err = publish_default_restore(st, w);
	if (err)
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

int cmd_up(const struct nb_instance *inst, int argc, char **argv)
{
	struct up_args a = {.mode = -1};
	enum nb_dp_mode mode = NB_DP_MODE_TC;
	struct strv stored = {0}, uplinks = {0};
	struct restore_count c = {0};
	struct nb_store *st = NULL;
	struct nb_world w;
	bool world = false, txn = false;
	struct nb_nl *nl = NULL;
	char *csv = NULL;
	size_t i;
	int err, ret = NB_EXIT_ERR;

	err = nb_argp_parse(&up_argp, "up", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (a.oom) {
		nb_errorf("up: out of memory");
		goto cleanup;
	}
	if (nb_need_root("up"))
		goto cleanup;
	if (nb_open_state(inst, true, &st))
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
	err = uplinks_stored(st, &stored);
	if (err) {
		nb_errorf("up: cannot read the stored uplinks: %s", strerror(-err));
		goto cleanup;
	}
	if (uplinks_resolve(nl, &a.uplinks, &stored, &uplinks))
		goto cleanup;

	/* the reload re-pins the programs; the attach steps below then replace them in place */
	if (a.reload && nb_dp_reload(inst))
		goto cleanup;
	if (nb_dp_load(inst))
		goto cleanup;
	/* without --mode a live instance keeps its mode (kept in nb_config); a new one: tc */
	if (a.mode >= 0)
		mode = (enum nb_dp_mode)a.mode;
	else
		nb_dp_mode_get(inst, &mode);
	if (mode == NB_DP_MODE_XDP && (nb_dp_prog_id(inst, NB_PROG_XDP_ENDPOINT, &(__u32){0}) ||
				       nb_dp_prog_id(inst, NB_PROG_XDP_UPLINK, &(__u32){0}))) {
		nb_errorf("up: --mode xdp: this netbpfctl was built without the XDP programs "
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
		if (!strv_has(&uplinks, stored.v[i]))
			uplink_detach(nl, stored.v[i]);
	if (uplinks_attach(inst, nl, &uplinks, mode))
		goto cleanup;
	if (nb_dp_cgroup_attach(inst))
		goto cleanup;

	if (predefined_ensure(st))
		goto cleanup;
	csv = strv_join(&uplinks);
	err = csv ? nb_store_setting_set(st, SETTING_UPLINKS, csv) : -ENOMEM;
	/* `down` detaches from this one even when run with another --cgroup */
	if (!err && inst->cgroup && inst->cgroup[0])
		err = nb_store_setting_set(st, SETTING_CGROUP, inst->cgroup);
	if (!err && a.masq_ports)
		err = nb_store_setting_set(st, SETTING_MASQ_PORTS, a.masq_ports);
	if (!err && a.publish_default)
		err = nb_store_setting_set(st, SETTING_PUBLISH_DEFAULT, a.publish_default);
	if (err) {
		nb_errorf("up: cannot store the settings: %s", strerror(-err));
		goto cleanup;
	}

	if (nb_world_open(inst, &w))
		goto cleanup;
	world = true;
	restore(st, &w, &c);
	nat_restore(st, &w, &uplinks, &stored, &c);

	/* the state stands even when some object could not be restored: it is the desired one */
	err = nb_store_commit(st);
	txn = false;
	if (err) {
		nb_errorf("up: state %s: cannot commit: %s", inst->state_dir, strerror(-err));
		goto cleanup;
	}
	printf("netbpf is up (%s mode): pin dir %s, uplinks %s, %zu network(s) and %zu "
	       "endpoint(s) in place, %zu published port(s)",
	       nb_dp_mode_name(mode), inst->pin_dir, uplinks.n ? csv : "(none)", c.networks,
	       c.endpoints, c.ports);
	if (c.skipped)
		printf(", %zu endpoint(s) of vanished sandboxes skipped", c.skipped);
	if (c.failed)
		printf(", %zu failed (see above)", c.failed);
	printf("\n");
	ret = c.failed ? NB_EXIT_ERR : NB_EXIT_OK;
cleanup:
	if (world)
		nb_world_close(&w);
	if (txn)
		nb_store_rollback(st);
	nb_store_close(st);
	nb_nl_close(nl);
	free(csv);
	strv_free(&uplinks);
	strv_free(&stored);
	strv_free(&a.uplinks);
	return ret;
}

/* ---- down ---------------------------------------------------------------- */

static const char down_doc[] =
    "Remove the data plane from this network namespace, keeping the state.\n"
    "\n"
    "Deletes every netbpf device (endpoint veths nbe*, gateway ports nbg*/nbp*, also those the "
    "state does not know), detaches the uplink programs and the socket hooks, and removes "
    "every pin. Sandboxes lose their netbpf interfaces until `netbpfctl up` restores them."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl down\n"
    "  netbpfctl down && netbpfctl up    # rebuild the data plane from the state\n";

static error_t noargs_parse(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument \"%s\"", arg);
		return EINVAL;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp_option no_opts[] = {{0}};
static const struct argp down_argp = {no_opts, noargs_parse, NULL, down_doc, NULL, NULL, NULL};

/* Deletes every nbe*, nbg*, nbp* veth of nl's netns; returns how many */
static int devices_delete_all(struct nb_nl *nl, const char *cmd)
{
	char(*names)[NB_IFNAMSIZ] = NULL;
	struct nb_link_info info;
	size_t n = 0, i, p;
	int err, count = 0;

	for (p = 0; p < N_PREFIXES; p++) {
		err = nb_nl_link_list(nl, device_prefixes[p], &names, &n);
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

int cmd_down(const struct nb_instance *inst, int argc, char **argv)
{
	struct strv uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_nl *nl = NULL;
	bool loaded;
	size_t i;
	int err, ndev, ret = NB_EXIT_ERR;

	if (nb_argp_parse(&down_argp, "down", argc, argv, 0, NULL))
		return NB_EXIT_USAGE;
	if (nb_need_root("down"))
		return NB_EXIT_ERR;
	/* the writer's lock: no other command works on the data plane meanwhile */
	if (nb_open_state(inst, true, &st))
		return NB_EXIT_ERR;
	err = nb_nl_open(&nl);
	if (err) {
		nb_errorf("down: cannot open a netlink socket: %s", strerror(-err));
		goto cleanup;
	}
	loaded = nb_dp_loaded(inst) == 1;

	ndev = devices_delete_all(nl, "down");
	if (ndev < 0)
		goto cleanup;
	err = uplinks_stored(st, &uplinks);
	if (err)
		nb_errorf("down: cannot read the stored uplinks: %s", strerror(-err));
	for (i = 0; i < uplinks.n; i++)
		uplink_detach(nl, uplinks.v[i]);
	/* hooks before pins: the pins are how the attached programs are named */
	if (loaded) {
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
	if (err) {
		nb_errorf("down: pin dir %s: cannot remove the pins: %s", inst->pin_dir,
			  strerror(-err));
		goto cleanup;
	}
	printf("netbpf is down: %d device(s) removed, %s; the state in %s is kept\n", ndev,
	       loaded ? "programs and maps unpinned" : "nothing was loaded", inst->state_dir);
	ret = NB_EXIT_OK;
cleanup:
	strv_free(&uplinks);
	nb_nl_close(nl);
	nb_store_close(st);
	return ret;
}

/* ---- status -------------------------------------------------------------- */

static const char status_doc[] =
    "Show what netbpf has loaded in this network namespace, and where.\n"
    "\n"
    "The pin dir, the programs with their ids, every netbpf device and the program at its hook, "
    "the uplinks, the masquerade source ports, the cgroup of the socket hooks, and how many "
    "networks, sandboxes and endpoints the state holds. Exit status 0 when up, 3 when not up."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl status\n"
    "  netbpfctl status >/dev/null || netbpfctl up\n";

static const struct argp status_argp = {no_opts, noargs_parse, NULL, status_doc, NULL, NULL, NULL};

static const char *prog_name_of(const struct nb_dp_prog *progs, size_t n, __u32 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (progs[i].id == id)
			return progs[i].name;
	return "(foreign)";
}

struct status_ctx {
	struct nb_nl *nl;
	struct nb_dp_prog *progs;
	size_t nprogs;
	struct nb_network_rec *nets;
	size_t nnets;
	struct nb_endpoint_rec *eps;
	size_t neps;
	struct nb_sandbox_rec *sbs;
	size_t nsbs;
	struct nb_table *t;
	enum nb_dp_mode mode;
};

/* hook: 0 tc ingress, 1 tc egress, 2 XDP, -1 none (the gateway's host side runs no program) */
static void status_row(struct status_ctx *c, const char *dev, const char *role, const char *net,
		       const char *sb, int hook)
{
	struct nb_dp_xdp_state xs = {0};
	char id[16] = "-";
	const char *prog = "-";
	const char *cells[7];
	__u32 pid = 0;
	int idx;

	idx = nb_nl_link_ifindex(c->nl, dev);
	if (idx > 0 && hook == 2 && !nb_dp_xdp_query(idx, &xs))
		pid = xs.prog_id;
	else if (idx > 0 && hook >= 0 && hook < 2 && nb_dp_tc_query(idx, hook == 1, &pid))
		pid = 0;
	if (pid) {
		snprintf(id, sizeof(id), "%u", pid);
		prog = prog_name_of(c->progs, c->nprogs, pid);
	}
	cells[0] = dev;
	cells[1] = idx > 0 ? role : "missing";
	cells[2] = net;
	cells[3] = sb;
	cells[4] = hook < 0    ? "-"
		   : hook == 2 ? (!pid	       ? "xdp"
				  : xs.generic ? "xdp generic"
					       : "xdp native")
		   : hook      ? "tc egress"
			       : "tc ingress";
	cells[5] = prog;
	cells[6] = id;
	nb_table_add(c->t, cells);
}

static void status_devices(struct status_ctx *c, const struct strv *uplinks)
{
	char(*names)[NB_IFNAMSIZ] = NULL;
	char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
	const struct nb_network_rec *net;
	const char *sbname;
	size_t n = 0, i, j, p;

	for (i = 0; i < c->nnets; i++) {
		if (strcmp(c->nets[i].driver, NB_DRIVER_BRIDGE))
			continue;
		nb_network_ifnames(c->nets[i].net_id, gw, port);
		status_row(c, gw, "gateway", c->nets[i].name, "-", -1);
		status_row(c, port, "gateway port", c->nets[i].name, "-", 0);
	}
	for (i = 0; i < c->neps; i++) {
		net = nb_network_recs_by_id(c->nets, c->nnets, c->eps[i].network_id);
		sbname = "?";
		for (j = 0; j < c->nsbs; j++)
			if (!strcmp(c->sbs[j].id, c->eps[i].sandbox_id))
				sbname = c->sbs[j].name;
		status_row(c, c->eps[i].host_ifname, "endpoint", net ? net->name : "?", sbname, 0);
		if (c->mode == NB_DP_MODE_XDP)
			status_row(c, c->eps[i].host_ifname, "endpoint", net ? net->name : "?",
				   sbname, 2);
	}
	/* devices that look like netbpf's but that the state does not know */
	for (p = 0; p < N_PREFIXES; p++) {
		if (nb_nl_link_list(c->nl, device_prefixes[p], &names, &n))
			continue;
		for (i = 0; i < n; i++) {
			bool known = false;

			for (j = 0; j < c->neps && !known; j++)
				known = !strcmp(c->eps[j].host_ifname, names[i]);
			for (j = 0; j < c->nnets && !known; j++) {
				if (strcmp(c->nets[j].driver, NB_DRIVER_BRIDGE))
					continue;
				nb_network_ifnames(c->nets[j].net_id, gw, port);
				known = !strcmp(gw, names[i]) || !strcmp(port, names[i]);
			}
			if (!known)
				status_row(c, names[i], "orphan (gc removes it)", "-", "-", 0);
		}
		free(names);
		names = NULL;
	}
	for (i = 0; i < uplinks->n; i++) {
		status_row(c, uplinks->v[i], "uplink", "-", "-", 0);
		status_row(c, uplinks->v[i], "uplink", "-", "-", 1);
		if (c->mode == NB_DP_MODE_XDP)
			status_row(c, uplinks->v[i], "uplink", "-", "-", 2);
	}
}

int cmd_status(const struct nb_instance *inst, int argc, char **argv)
{
	static const char *const prog_hdr[] = {"PROGRAM", "ID", "TYPE", "ATTACHED"};
	static const char *const dev_hdr[] = {"DEVICE", "ROLE",	   "NETWORK", "SANDBOX",
					      "HOOK",	"PROGRAM", "ID"};
	struct status_ctx c = {0};
	struct strv uplinks = {0};
	struct nb_store *st = NULL;
	struct nb_table *pt = NULL;
	char cg[4096], id[16], attached[96], masq[16] = "";
	__u16 masq_lo, masq_hi;
	size_t i, nbridge = 0, nsock, nattached;
	int err, ret = NB_EXIT_ERR;

	if (nb_argp_parse(&status_argp, "status", argc, argv, 0, NULL))
		return NB_EXIT_USAGE;
	if (nb_need_root("status"))
		return NB_EXIT_ERR;
	if (nb_dp_loaded(inst) != 1) {
		printf("netbpf is not up in this network namespace (no programs pinned under %s)\n",
		       inst->pin_dir);
		return NB_EXIT_NOT_UP;
	}
	err = nb_dp_progs(inst, &c.progs, &c.nprogs);
	if (err) {
		nb_errorf("status: pin dir %s: cannot list the programs: %s", inst->pin_dir,
			  strerror(-err));
		return NB_EXIT_ERR;
	}
	err = nb_nl_open(&c.nl);
	if (err) {
		nb_errorf("status: cannot open a netlink socket: %s", strerror(-err));
		goto cleanup;
	}
	if (nb_open_state(inst, false, &st))
		goto cleanup;
	err = nb_store_network_list(st, &c.nets, &c.nnets);
	if (!err)
		err = nb_store_sandbox_list(st, &c.sbs, &c.nsbs);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &c.eps, &c.neps);
	if (!err)
		err = uplinks_stored(st, &uplinks);
	if (!err)
		err = masq_ports_stored(st, masq, &masq_lo, &masq_hi);
	if (err) {
		nb_errorf("status: state %s: cannot read it: %s", inst->state_dir, strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < c.nnets; i++)
		nbridge += !strcmp(c.nets[i].driver, NB_DRIVER_BRIDGE);

	nb_dp_mode_get(inst, &c.mode);
	printf("netbpf is up\n");
	printf("Mode:       %s", nb_dp_mode_name(c.mode));
	if (c.mode == NB_DP_MODE_XDP && uplinks.n) {
		/* which XDP each uplink got: native when its driver has it */
		for (i = 0; i < uplinks.n; i++) {
			struct nb_dp_xdp_state xs = {0};
			int idx = nb_nl_link_ifindex(c.nl, uplinks.v[i]);

			if (idx <= 0 || nb_dp_xdp_query(idx, &xs))
				xs.prog_id = 0;
			printf("%suplink %s: %s", i ? ", " : " (", uplinks.v[i],
			       !xs.prog_id  ? "no XDP"
			       : xs.generic ? "generic XDP"
					    : "native XDP");
		}
		printf(")");
	}
	printf("\n");
	printf("Pin dir:    %s\n", inst->pin_dir);
	printf("State dir:  %s\n", inst->state_dir);
	if (inst->cgroup && inst->cgroup[0])
		snprintf(cg, sizeof(cg), "%s", inst->cgroup);
	else
		snprintf(cg, sizeof(cg), "the cgroup2 root");
	for (i = 0, nsock = 0, nattached = 0; i < c.nprogs; i++) {
		nsock += c.progs[i].cgroup_attached >= 0;
		nattached += c.progs[i].cgroup_attached == 1;
	}
	if (nsock)
		printf("Cgroup:     %s (%zu of %zu socket hooks attached)\n", cg, nattached, nsock);
	else
		printf("Cgroup:     none (no socket programs loaded)\n");
	printf("Uplinks:    ");
	for (i = 0; i < uplinks.n; i++)
		printf("%s%s", i ? ", " : "", uplinks.v[i]);
	printf("%s\n", uplinks.n ? "" : "(none)");
	printf("Masquerade: source ports %s (%u ports; ICMP echo ids: all)\n", masq,
	       (unsigned int)(masq_hi - masq_lo + 1));
	printf("Networks:   %zu (%zu bridge)\n", c.nnets, nbridge);
	printf("Sandboxes:  %zu\n", c.nsbs);
	printf("Endpoints:  %zu\n", c.neps);
	printf("\n");

	pt = nb_table_new(prog_hdr, 4);
	c.t = nb_table_new(dev_hdr, 7);
	if (!pt || !c.t) {
		nb_errorf("status: out of memory");
		goto cleanup;
	}
	for (i = 0; i < c.nprogs; i++) {
		const char *cells[4];

		snprintf(id, sizeof(id), "%u", c.progs[i].id);
		if (c.progs[i].cgroup_attached < 0 && !strcmp(c.progs[i].type, "xdp"))
			snprintf(attached, sizeof(attached), "xdp (per device, below)%s",
				 c.mode == NB_DP_MODE_XDP ? "" : "; not in tc mode");
		else if (c.progs[i].cgroup_attached < 0)
			snprintf(attached, sizeof(attached), "tc (per device, below)");
		else
			snprintf(attached, sizeof(attached), "%s %s", c.progs[i].attach,
				 c.progs[i].cgroup_attached == 1 ? "on the cgroup"
								 : "NOT ATTACHED");
		cells[0] = c.progs[i].name;
		cells[1] = id;
		cells[2] = c.progs[i].type;
		cells[3] = attached;
		nb_table_add(pt, cells);
	}
	nb_table_print(pt, stdout);
	printf("\n");
	status_devices(&c, &uplinks);
	nb_table_print(c.t, stdout);
	ret = NB_EXIT_OK;
cleanup:
	nb_table_free(pt);
	nb_table_free(c.t);
	strv_free(&uplinks);
	nb_network_recs_free(c.nets, c.nnets);
	free(c.sbs);
	free(c.eps);
	free(c.progs);
	nb_store_close(st);
	nb_nl_close(c.nl);
	return ret;
}

/* ---- gc ------------------------------------------------------------------ */

static const char gc_doc[] =
    "Reconcile the state and the kernel.\n"
    "\n"
    "Removes endpoints whose sandbox's network namespace is gone (with their devices and map "
    "entries), sandboxes whose netbpf-created namespace vanished, netbpf devices the state "
    "does not know, and map entries that point at interfaces or networks that no longer "
    "exist. Prints what it removed."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl gc\n"
    "  ip netns del web1; netbpfctl gc\n";

static const struct argp gc_argp = {no_opts, noargs_parse, NULL, gc_doc, NULL, NULL, NULL};

static void gc_report(void *arg, const char *what)
{
	int *count = arg;

	printf("removed stale %s\n", what);
	(*count)++;
}

/* Endpoints (and owned sandboxes) whose netns is gone */
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
		if (netns_alive(sbs[i].netns))
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
			printf(
			    "removed endpoint %s (sandbox \"%s\" on network \"%s\"): its network "
			    "namespace %s is gone\n",
			    eps[j].host_ifname, sbs[i].name, net ? net->name : "?", sbs[i].netns);
			(*count)++;
		}
		free(eps);
		eps = NULL;
		if (!sbs[i].owned)
			continue;
		err = nb_store_sandbox_del(st, sbs[i].id);
		if (err) {
			nb_errorf("gc: sandbox \"%s\": cannot delete it: %s", sbs[i].name,
				  strerror(-err));
			goto cleanup;
		}
		/* a /run/netns file whose mount is gone is left as an empty file */
		nb_netns_delete(sbs[i].netns);
		printf("removed sandbox \"%s\": its network namespace %s is gone\n", sbs[i].name,
		       sbs[i].netns);
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
	for (p = 0; p < N_PREFIXES; p++) {
		err = nb_nl_link_list(nl, device_prefixes[p], &names, &n);
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
			printf("removed orphan device %s (not in the state)\n", names[i]);
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

int cmd_gc(const struct nb_instance *inst, int argc, char **argv)
{
	struct restore_count rc = {0};
	struct nb_store *st = NULL;
	struct nb_world w;
	struct nb_nl *nl = NULL;
	bool world = false, txn = false;
	int err, count = 0, ret = NB_EXIT_ERR;

	if (nb_argp_parse(&gc_argp, "gc", argc, argv, 0, NULL))
		return NB_EXIT_USAGE;
	if (nb_need_root("gc"))
		return NB_EXIT_ERR;
	if (nb_open_state(inst, true, &st))
		return NB_EXIT_ERR;
	err = nb_store_begin(st);
	if (err) {
		nb_errorf("gc: state %s: cannot begin a transaction: %s", inst->state_dir,
			  strerror(-err));
		goto cleanup;
	}
	txn = true;
	/* without a loaded data plane there are no maps to clean, only state and devices */
	if (nb_dp_loaded(inst) == 1) {
		if (nb_world_open(inst, &w))
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
	err = nb_pending_netns_reap(inst->state_dir, st, gc_report, &count);
	if (err < 0) {
		nb_errorf("gc: state %s: cannot clear the pending network namespaces: %s",
			  inst->state_dir, strerror(-err));
		goto cleanup;
	}
	if (gc_sandboxes(st, world ? &w : NULL, &count))
		goto cleanup;
	if (gc_devices(st, nl, &count))
		goto cleanup;
	if (world) {
		err = nb_world_prune(&w, st, gc_report, &count);
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
			nb_errorf("gc: %zu object(s) of the state could not be restored in the kernel",
				  rc.failed);
			goto cleanup;
		}
		/* published ports: missing ones put, those the state no longer has deleted */
		err = w.maps.publish >= 0 ? nb_publish_sync(st, &w, true, NULL, gc_report, &count)
					  : 0;
		if (err < 0) {
			nb_errorf("gc: map %s: cannot clean it: %s", NB_MAP_NAME(NB_MAP_PUBLISH),
				  strerror(-err));
			goto cleanup;
		}
	}
	err = nb_store_commit(st);
	txn = false;
	if (err) {
		nb_errorf("gc: state %s: cannot commit: %s", inst->state_dir, strerror(-err));
		goto cleanup;
	}
	if (!count)
		printf("nothing to clean up\n");
	ret = NB_EXIT_OK;
cleanup:
	if (txn)
		nb_store_rollback(st);
	if (world)
		nb_world_close(&w);
	else
		nb_nl_close(nl);
	nb_store_close(st);
	return ret;
}
