// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl monitor`: the data plane's events, live. It claims the
 * instance's "a monitor listens" flag for the event types asked for (the
 * programs produce nothing otherwise, see bpf/lib/events.bpf.h), reads the
 * nb_events ring buffer, names each event's interface after the store's
 * sandboxes and networks, and prints a line (or a JSON object) per event.
 * Events lost to a full ring buffer are reported as they are noticed and
 * in the summary. The flag is cleared on exit; a monitor killed without
 * the chance to do so is cleaned up by `netbpfctl gc` or taken over by the
 * next monitor (nb_monitor_reap(), nb_monitor_claim()).
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"

enum {
	OPT_TYPE = 0x100,
	OPT_FORMAT,
};

static const char monitor_doc[] =
    "Stream the data plane's events: drops (reason, interface, 5-tuple), forwarding "
    "verdicts (trace) and new translated connections (nat).\n"
    "\n"
    "The programs produce events only while a monitor listens, and only the types it asked "
    "for; one monitor per instance. A burst the ring buffer cannot hold is lost rather than "
    "slowing the data plane: lost events are counted and reported. Runs until SIGINT or "
    "SIGTERM. --format json prints one object per line."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl monitor\n"
    "  netbpfctl monitor --type drop\n"
    "  netbpfctl monitor --type drop,nat --format json | jq -c 'select(.reason == \"spoof-ip\")'\n";

static const struct argp_option monitor_opts[] = {
    {"type", OPT_TYPE, "drop|trace|nat", 0,
     "Event types to show (repeatable or comma-separated; default all)", 0},
    {"format", OPT_FORMAT, "text|json", 0, "Output format (default text)", 0},
    {0},
};

struct monitor_args {
	__u32 types;
	bool json;
};

static error_t monitor_parse(int key, char *arg, struct argp_state *state)
{
	struct monitor_args *a = state->input;
	__u32 mask;

	switch (key) {
	case OPT_TYPE:
		if (nb_event_types_parse(arg, &mask))
			argp_error(state, "unknown --type \"%s\" (drop, trace, nat)", arg);
		a->types |= mask;
		break;
	case OPT_FORMAT:
		if (!strcmp(arg, "json"))
			a->json = true;
		else if (!strcmp(arg, "text") || !strcmp(arg, "table"))
			a->json = false;
		else
			argp_error(state, "unknown --format \"%s\" (text or json)", arg);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "no argument expected, got \"%s\"", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* ---- naming interfaces -------------------------------------------------------- */

struct iface_name {
	__u32 ifindex;
	char ifname[NB_IFNAMSIZ];
	char sandbox[NB_NAME_MAX + 1];
	char sb_ifname[NB_IFNAMSIZ];
	char network[NB_NAME_MAX + 1];
};

struct names {
	struct iface_name *v;
	size_t n, cap;
	time_t loaded; /* when v was last rebuilt */
};

static struct iface_name *names_add(struct names *ns)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		struct iface_name *v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ns->v = v;
		ns->cap = cap;
	}
	memset(&ns->v[ns->n], 0, sizeof(ns->v[0]));
	return &ns->v[ns->n++];
}

/* Every endpoint and gateway port of the state, by ifindex in this netns */
static int names_load(const struct nb_instance *inst, struct nb_nl *nl, struct names *ns)
{
	struct nb_endpoint_rec *eps = NULL;
	struct nb_network_rec *nets = NULL;
	struct nb_sandbox_rec *sbs = NULL;
	size_t i, j, neps = 0, nnets = 0, nsbs = 0;
	struct nb_store *st = NULL;
	struct iface_name *x;
	int err, ifindex;

	ns->n = 0;
	ns->loaded = time(NULL);
	err = nb_open_state(inst, false, &st);
	if (err)
		return err;
	err = nb_store_network_list(st, &nets, &nnets);
	if (!err)
		err = nb_store_sandbox_list(st, &sbs, &nsbs);
	if (!err)
		err = nb_store_endpoint_list(st, NULL, NULL, &eps, &neps);
	nb_store_close(st);
	if (err) {
		nb_errorf("monitor: cannot read the state: %s", strerror(-err));
		goto cleanup;
	}
	for (i = 0; i < nnets; i++) {
		char gw[NB_IFNAMSIZ], port[NB_IFNAMSIZ];
		const char *devs[2] = {gw, port};

		if (!nb_net_is_bridged(&nets[i]))
			continue;
		nb_network_ifnames(nets[i].net_id, gw, port);
		for (j = 0; j < 2; j++) {
			ifindex = nb_nl_link_ifindex(nl, devs[j]);
			if (ifindex <= 0)
				continue;
			x = names_add(ns);
			if (!x) {
				err = -ENOMEM;
				goto cleanup;
			}
			x->ifindex = ifindex;
			snprintf(x->ifname, sizeof(x->ifname), "%s", devs[j]);
			snprintf(x->network, sizeof(x->network), "%s", nets[i].name);
		}
	}
	for (i = 0; i < neps; i++) {
		if (!eps[i].host_ifname[0])
			continue;
		ifindex = nb_nl_link_ifindex(nl, eps[i].host_ifname);
		if (ifindex <= 0)
			continue;
		x = names_add(ns);
		if (!x) {
			err = -ENOMEM;
			goto cleanup;
		}
		x->ifindex = ifindex;
		snprintf(x->ifname, sizeof(x->ifname), "%s", eps[i].host_ifname);
		snprintf(x->sb_ifname, sizeof(x->sb_ifname), "%s", eps[i].ifname);
		for (j = 0; j < nsbs; j++)
			if (!strcmp(sbs[j].id, eps[i].sandbox_id))
				snprintf(x->sandbox, sizeof(x->sandbox), "%s", sbs[j].name);
		for (j = 0; j < nnets; j++)
			if (!strcmp(nets[j].id, eps[i].network_id))
				snprintf(x->network, sizeof(x->network), "%s", nets[j].name);
	}
cleanup:
	free(eps);
	free(sbs);
	nb_network_recs_free(nets, nnets);
	return err;
}

struct monitor {
	const struct nb_instance *inst;
	struct nb_nl *nl;
	struct names names;
	bool json;
	int64_t mono_to_unix; /* add to a CLOCK_MONOTONIC time to get unix time */
	__u64 since; /* CLOCK_MONOTONIC at the claim: older records are a previous monitor's */
	__u64 events;
	int err; /* first output error */
};

/* The names of ifindex: from the state, else the device's own name, else NULL */
static bool where_of(struct monitor *mon, __u32 ifindex, struct nb_event_where *w,
		     char devname[NB_IFNAMSIZ])
{
	struct iface_name *x = NULL;
	size_t i;
	int pass;

	memset(w, 0, sizeof(*w));
	if (!ifindex)
		return false;
	for (pass = 0; pass < 2 && !x; pass++) {
		for (i = 0; i < mon->names.n; i++)
			if (mon->names.v[i].ifindex == ifindex)
				x = &mon->names.v[i];
		/* a device created since the last load: reload, at most once a second */
		if (!x && !pass && time(NULL) != mon->names.loaded)
			names_load(mon->inst, mon->nl, &mon->names);
		else
			break;
	}
	if (x) {
		w->ifname = x->ifname;
		w->sandbox = x->sandbox[0] ? x->sandbox : NULL;
		w->sb_ifname = x->sb_ifname[0] ? x->sb_ifname : NULL;
		w->network = x->network[0] ? x->network : NULL;
		return true;
	}
	if (!nb_nl_link_name(mon->nl, ifindex, devname)) {
		w->ifname = devname;
		return true;
	}
	return false;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct monitor *mon = ctx;
	char dev[NB_IFNAMSIZ], pdev[NB_IFNAMSIZ], line[1024];
	struct nb_event_where at, peer;
	struct nb_event ev;
	int64_t when;

	/* a record from a newer or older build: never read past what came */
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	if (ev.ts_ns < mon->since)
		return 0;
	when = (int64_t)ev.ts_ns + mon->mono_to_unix;
	where_of(mon, ev.ifindex, &at, dev);
	where_of(mon, ev.peer_ifindex, &peer, pdev);
	mon->events++;
	if (mon->json) {
		json_t *o = nb_event_json(&ev, when, &at, &peer);

		if (!o)
			return -ENOMEM;
		nb_json_print_line(stdout, o);
		json_decref(o);
	} else {
		nb_event_line(&ev, when, &at, &peer, line, sizeof(line));
		printf("%s\n", line);
	}
	if (fflush(stdout) || ferror(stdout)) {
		mon->err = -EPIPE;
		return -EPIPE; /* stops ring_buffer__poll: the reader is gone */
	}
	return 0;
}

static int report_lost(struct monitor *mon, __u64 n)
{
	char when[NB_TIME_STRLEN];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	nb_fmt_time_rfc3339nano((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, when);
	if (mon->json)
		printf("{\"time\": \"%s\", \"type\": \"lost\", \"count\": %llu}\n", when,
		       (unsigned long long)n);
	else
		printf("%s lost %llu events (ring buffer full)\n", when, (unsigned long long)n);
	return fflush(stdout) ? -EPIPE : 0;
}

/* The id of the map pinned as the instance's ring buffer now; 0 when none is */
static __u32 pinned_events_id(const struct nb_instance *inst)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info), id = 0;
	int fd;

	fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_EVENTS));
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		id = info.id;
	close(fd);
	return id;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void types_str(__u32 types, char *buf, size_t size)
{
	size_t len = 0;
	__u32 t;

	buf[0] = '\0';
	for (t = NB_EV_DROP; t <= NB_EV_NAT; t++)
		if (types & (1U << t))
			len += snprintf(buf + len, size - len, "%s%s", len ? "," : "",
					nb_event_type_name(t));
}

int cmd_monitor(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = monitor_opts,
	    .parser = monitor_parse,
	    .args_doc = NULL,
	    .doc = monitor_doc,
	};
	struct nb_monitor_maps mm = {.events = -1, .monitor = -1, .lost = -1, .lock = -1};
	struct monitor mon = {.inst = inst};
	struct monitor_args a = {0};
	struct ring_buffer *rb = NULL;
	__u64 lost0 = 0, lost = 0, lost_seen = 0;
	struct sigaction sa = {0};
	__u32 holder, events_id;
	time_t checked = 0;
	char types[32];
	int err;

	err = nb_argp_parse(&argp, "monitor", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (!a.types)
		a.types = (1U << NB_EV_DROP) | (1U << NB_EV_TRACE) | (1U << NB_EV_NAT);
	mon.json = a.json;
	if (nb_need_root("monitor"))
		return NB_EXIT_ERR;
	/* lines reach a pipe or file as they happen */
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = nb_monitor_open(inst, &mm);
	if (err)
		goto cleanup;
	err = nb_nl_open(&mon.nl);
	if (err) {
		nb_errorf("monitor: netlink: cannot open a route socket: %s", strerror(-err));
		goto cleanup;
	}
	err = names_load(inst, mon.nl, &mon.names);
	if (err)
		goto cleanup;
	rb = ring_buffer__new(mm.events, on_event, &mon, NULL);
	if (!rb) {
		err = -errno;
		nb_errorf("monitor: map %s: cannot map the ring buffer: %s",
			  NB_MAP_NAME(NB_MAP_EVENTS), strerror(-err));
		goto cleanup;
	}

	/* the flag goes up last and comes down first: nothing produces for nobody */
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	mon.since = clock_ns(CLOCK_MONOTONIC);
	err = nb_monitor_claim(inst, &mm, a.types, &holder);
	if (err == -EBUSY) {
		nb_errorf(
		    "monitor: another monitor (pid %u) is listening on this instance; its ring "
		    "buffer has one reader",
		    holder);
		goto cleanup;
	}
	if (err) {
		nb_errorf("monitor: map %s: cannot set the listening flag: %s",
			  NB_MAP_NAME(NB_MAP_MONITOR), strerror(-err));
		goto cleanup;
	}
	nb_events_lost_fd(mm.lost, &lost0);
	mon.mono_to_unix = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	types_str(a.types, types, sizeof(types));
	fprintf(stderr, "Listening for events (%s) on %s. Press Ctrl-C to quit.\n", types,
		inst->pin_dir);

	events_id = pinned_events_id(inst);
	while (!stop_requested) {
		/* `down` (or `down` + `up`) took the maps away: nothing will come any more */
		if (time(NULL) != checked) {
			checked = time(NULL);
			if (pinned_events_id(inst) != events_id) {
				nb_errorf("monitor: the instance's ring buffer is gone from %s "
					  "(netbpfctl down?); stopping",
					  inst->pin_dir);
				err = -ENOENT;
				break;
			}
		}
		err = ring_buffer__poll(rb, 250);
		if (err == -EINTR)
			err = 0;
		if (err < 0)
			break;
		err = 0;
		if (!nb_events_lost_fd(mm.lost, &lost) && lost - lost0 > lost_seen) {
			err = report_lost(&mon, lost - lost0 - lost_seen);
			lost_seen = lost - lost0;
			if (err)
				break;
		}
	}
	if (err == -EPIPE || mon.err == -EPIPE)
		err = 0; /* the reader went away (`monitor | head`): a normal end */
	else if (err < 0 && err != -ENOENT)
		nb_errorf("monitor: reading the ring buffer: %s", strerror(-err));
	fprintf(stderr, "monitor: %llu events, %llu lost\n", (unsigned long long)mon.events,
		(unsigned long long)lost_seen);
cleanup:
	ring_buffer__free(rb);
	/* clears the flag: the programs stop producing events */
	nb_monitor_close(&mm);
	nb_nl_close(mon.nl);
	free(mon.names.v);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}
