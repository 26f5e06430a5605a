// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The monitor's claim on the event maps, and event formatting (events.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "events.h"
#include "fmt.h"
#include "log.h"
#include "mapio.h"
#include "maps.h"

/* ---- the claim ------------------------------------------------------------ */

int nb_monitor_open(const struct nb_instance *inst, struct nb_monitor_maps *mm)
{
	static const char *const names[] = {NB_MAP_NAME(NB_MAP_EVENTS), NB_MAP_NAME(NB_MAP_MONITOR),
					    NB_MAP_NAME(NB_MAP_EV_LOST)};
	int *fds[] = {&mm->events, &mm->monitor, &mm->lost};
	size_t i;
	int fd;

	mm->events = mm->monitor = mm->lost = mm->lock = -1;
	for (i = 0; i < 3; i++) {
		fd = nb_dp_pin_open(inst, names[i]);
		if (fd < 0) {
			if (fd == -ENOENT)
				nb_errorf(
				    "monitor: no map %s under %s: netbpf is not up here, or was "
				    "loaded by a build without events (`netbpfctl down` and "
				    "`up` reload it)",
				    names[i], inst->pin_dir);
			else
				nb_errorf("monitor: map %s/%s: %s", inst->pin_dir, names[i],
					  strerror(-fd));
			nb_monitor_close(mm);
			return fd;
		}
		*fds[i] = fd;
	}
	return 0;
}

void nb_monitor_close(struct nb_monitor_maps *mm)
{
	if (mm->lock >= 0)
		nb_monitor_release(mm);
	if (mm->events >= 0)
		close(mm->events);
	if (mm->monitor >= 0)
		close(mm->monitor);
	if (mm->lost >= 0)
		close(mm->lost);
	mm->events = mm->monitor = mm->lost = -1;
}

/* Field 22 of /proc/<pid>/stat: start time in clock ticks after boot; 0 when gone */
static __u64 proc_start_time(__u32 pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	int field;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name (field 2) may hold spaces and parentheses: skip to its last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

static bool monitor_alive(const struct nb_monitor *m)
{
	__u64 start;

	if (!m->types || !m->pid)
		return false;
	start = proc_start_time(m->pid);
	return start && start == m->start_time;
}

/* -EWOULDBLOCK while a monitor holds it */
static int lock_take(const struct nb_instance *inst, int *out)
{
	char path[4096];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/monitor.lock", inst->state_dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	mkdir(inst->state_dir, 0700);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int nb_monitor_claim(const struct nb_instance *inst, struct nb_monitor_maps *mm, __u32 types,
		     __u32 *holder)
{
	struct nb_monitor cur = {0}, me = {0};
	__u32 zero = 0;
	int err;

	*holder = 0;
	err = nb_map_get(mm->monitor, &zero, &cur);
	if (err)
		return err;
	err = lock_take(inst, &mm->lock);
	if (err == -EWOULDBLOCK) {
		*holder = cur.pid;
		return -EBUSY;
	}
	if (err)
		return err;
	/* the lock was free, but a monitor of another state dir may still own the maps */
	if (monitor_alive(&cur) && cur.pid != (__u32)getpid()) {
		*holder = cur.pid;
		close(mm->lock);
		mm->lock = -1;
		return -EBUSY;
	}
	me.types = types;
	me.pid = getpid();
	me.start_time = proc_start_time(me.pid);
	err = nb_map_put(mm->monitor, &zero, &me, BPF_ANY);
	if (err) {
		close(mm->lock);
		mm->lock = -1;
		return err;
	}
	return 0;
}

int nb_monitor_release(struct nb_monitor_maps *mm)
{
	struct nb_monitor none = {0};
	__u32 zero = 0;
	int err = 0;

	if (mm->monitor >= 0)
		err = nb_map_put(mm->monitor, &zero, &none, BPF_ANY);
	if (mm->lock >= 0) {
		close(mm->lock); /* drops the flock */
		mm->lock = -1;
	}
	return err;
}

int nb_monitor_reap(const struct nb_instance *inst)
{
	struct nb_monitor cur = {0}, none = {0};
	__u32 zero = 0;
	int fd, lock = -1, err = 0;

	fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_MONITOR));
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	err = nb_map_get(fd, &zero, &cur);
	if (err)
		goto cleanup;
	if (!cur.types || monitor_alive(&cur))
		goto cleanup;
	/* holding the lock, no monitor can claim between the check and the clear */
	if (lock_take(inst, &lock))
		goto cleanup;
	err = nb_map_put(fd, &zero, &none, BPF_ANY) ?: 1;
cleanup:
	if (lock >= 0)
		close(lock);
	close(fd);
	return err;
}

int nb_events_lost_fd(int fd, __u64 *out)
{
	__u32 zero = 0;

	return nb_map_percpu_sum(fd, &zero, out, 1);
}

__u64 nb_events_lost(const struct nb_instance *inst)
{
	int fd = nb_dp_pin_open(inst, NB_MAP_NAME(NB_MAP_EV_LOST));
	__u64 n = 0;

	if (fd < 0)
		return 0;
	nb_events_lost_fd(fd, &n);
	close(fd);
	return n;
}

/* ---- formatting ----------------------------------------------------------- */

const char *nb_event_type_name(__u32 type)
{
	switch (type) {
	case NB_EV_DROP:
		return "drop";
	case NB_EV_TRACE:
		return "trace";
	case NB_EV_NAT:
		return "nat";
	}
	return NULL;
}

int nb_event_types_parse(const char *s, __u32 *mask)
{
	const char *p = s;
	__u32 t;

	*mask = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		bool found = false;

		for (t = NB_EV_DROP; t <= NB_EV_NAT; t++)
			if (strlen(nb_event_type_name(t)) == len &&
			    !strncmp(p, nb_event_type_name(t), len)) {
				*mask |= 1U << t;
				found = true;
			}
		if (!found)
			return -EINVAL;
		p += len;
		if (*p == ',')
			p++;
	}
	return *mask ? 0 : -EINVAL;
}

const char *nb_event_verdict_name(int verdict)
{
	static __thread char buf[32];

	switch (verdict) {
	case TC_ACT_UNSPEC:
		return "unspec";
	case TC_ACT_OK:
		return "pass";
	case TC_ACT_SHOT:
		return "shot";
	case TC_ACT_STOLEN:
		return "stolen";
	case TC_ACT_REDIRECT:
		return "redirect";
	}
	snprintf(buf, sizeof(buf), "verdict-%d", verdict);
	return buf;
}

static const char *reason_str(const struct nb_event *ev, char buf[32])
{
	const char *s = NULL;

	switch (ev->type) {
	case NB_EV_DROP:
		s = nb_drop_reason_name(ev->reason);
		break;
	case NB_EV_TRACE:
		return nb_event_verdict_name((int)ev->reason);
	case NB_EV_NAT:
		s = ev->reason == NB_CT_DNAT	  ? "dnat"
		    : ev->reason == NB_CT_SNAT	  ? "snat"
		    : ev->reason == NB_CT_HAIRPIN ? "hairpin"
						  : NULL;
		break;
	}
	if (s)
		return s;
	snprintf(buf, 32, "reason-%u", ev->reason);
	return buf;
}

static void mac_str(const __u8 *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static bool has_ports(const struct nb_event *ev)
{
	return (ev->flags & NB_EV_F_L4) && (ev->proto == IPPROTO_TCP || ev->proto == IPPROTO_UDP);
}

/* "tcp 10.0.0.1:1234 -> 10.0.0.2:80", "icmp 10.0.0.1 -> 10.0.0.2 type 8 code 0 id 7",
 * "arp request 10.0.0.1 -> 10.0.0.2", "ethertype 0x86dd" */
static int tuple_str(const struct nb_event *ev, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (ev->eth_proto == 0x86dd) {
		inet_ntop(AF_INET6, ev->saddr6, s, sizeof(s));
		inet_ntop(AF_INET6, ev->daddr6, d, sizeof(d));
		if (has_ports(ev))
			return snprintf(buf, size, "%s [%s]:%u -> [%s]:%u", nb_proto_name(ev->proto),
					s, ntohs(ev->sport), d, ntohs(ev->dport));
		if (ev->proto == 58 && (ev->flags & NB_EV_F_L4) && ev->type == NB_EV_NAT)
			return snprintf(buf, size, "icmp6 %s -> %s id %u", s, d, ntohs(ev->sport));
		if (ev->proto == 58 && (ev->flags & NB_EV_F_L4))
			return snprintf(buf, size, "icmp6 %s -> %s type %u code %u", s, d,
					ev->icmp_type, ev->icmp_code);
		return snprintf(buf, size, "%s %s -> %s", nb_proto_name(ev->proto), s, d);
	}
	inet_ntop(AF_INET, &ev->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &ev->daddr, d, sizeof(d));
	if (ev->eth_proto == 0x0806)
		return snprintf(buf, size, "arp %s %s -> %s",
				ev->arp_op == 1	  ? "request"
				: ev->arp_op == 2 ? "reply"
						  : "op",
				s, d);
	if (ev->eth_proto != 0x0800)
		return snprintf(buf, size, "ethertype 0x%04x", ev->eth_proto);
	if (has_ports(ev))
		return snprintf(buf, size, "%s %s:%u -> %s:%u%s", nb_proto_name(ev->proto), s,
				ntohs(ev->sport), d, ntohs(ev->dport),
				(ev->flags & NB_EV_F_FRAG) ? " frag" : "");
	if (ev->proto == IPPROTO_ICMP && (ev->flags & NB_EV_F_L4)) {
		if (ev->type == NB_EV_NAT)
			return snprintf(buf, size, "icmp %s -> %s id %u", s, d, ntohs(ev->sport));
		return snprintf(buf, size, "icmp %s -> %s type %u code %u id %u", s, d,
				ev->icmp_type, ev->icmp_code, ntohs(ev->sport));
	}
	return snprintf(buf, size, "%s %s -> %s%s", nb_proto_name(ev->proto), s, d,
			(ev->flags & NB_EV_F_FRAG) ? " frag" : "");
}

static int where_str(const struct nb_event_where *w, __u32 ifindex, char *buf, size_t size)
{
	if (w && w->sandbox)
		return snprintf(buf, size, "%s (%s/%s)", w->ifname ? w->ifname : "?", w->sandbox,
				w->sb_ifname ? w->sb_ifname : "?");
	if (w && w->ifname)
		return snprintf(buf, size, "%s", w->ifname);
	return snprintf(buf, size, "if%u", ifindex);
}

int nb_event_line(const struct nb_event *ev, int64_t unix_ns, const struct nb_event_where *at,
		  const struct nb_event_where *peer, char *buf, size_t size)
{
	char when[NB_TIME_STRLEN], rbuf[32], where[128], pwhere[128], tuple[128], nat[128];
	char sm[18], dm[18], s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], tun[64];
	const char *type = nb_event_type_name(ev->type);

	nb_fmt_time_rfc3339nano(unix_ns, when);
	tuple_str(ev, tuple, sizeof(tuple));
	if (ev->type == NB_EV_NAT) {
		char s6[INET6_ADDRSTRLEN], d6[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET, &ev->nat_saddr, s, sizeof(s));
		inet_ntop(AF_INET, &ev->nat_daddr, d, sizeof(d));
		inet_ntop(AF_INET6, ev->nat_saddr6, s6, sizeof(s6));
		inet_ntop(AF_INET6, ev->nat_daddr6, d6, sizeof(d6));
		if (ev->eth_proto == 0x86dd && has_ports(ev))
			snprintf(nat, sizeof(nat), "[%s]:%u -> [%s]:%u", s6, ntohs(ev->nat_sport),
				 d6, ntohs(ev->nat_dport));
		else if (ev->eth_proto == 0x86dd)
			snprintf(nat, sizeof(nat), "%s -> %s id %u", s6, d6, ntohs(ev->nat_sport));
		else if (ev->proto == IPPROTO_TCP || ev->proto == IPPROTO_UDP)
			snprintf(nat, sizeof(nat), "%s:%u -> %s:%u", s, ntohs(ev->nat_sport), d,
				 ntohs(ev->nat_dport));
		else
			snprintf(nat, sizeof(nat), "%s -> %s id %u", s, d, ntohs(ev->nat_sport));
		if (ev->ifindex)
			where_str(at, ev->ifindex, where, sizeof(where));
		else
			snprintf(where, sizeof(where), "outward");
		return snprintf(buf, size, "%s nat %s %s %s => %s", when, reason_str(ev, rbuf),
				where, tuple, nat);
	}
	where_str(at, ev->ifindex, where, sizeof(where));
	pwhere[0] = '\0';
	if (ev->peer_ifindex) {
		char p[120];

		where_str(peer, ev->peer_ifindex, p, sizeof(p));
		snprintf(pwhere, sizeof(pwhere), " to %s", p);
	}
	mac_str(ev->smac, sm);
	mac_str(ev->dmac, dm);
	tun[0] = '\0';
	if (ev->tun_vni || ev->tun_host)
		snprintf(tun, sizeof(tun), " tunnel vni %u host %s", ev->tun_vni,
			 inet_ntop(AF_INET, &ev->tun_host, s, sizeof(s)) ? s : "?");
	return snprintf(buf, size, "%s %s %s %s%s %s len %u mac %s -> %s%s", when,
			type ? type : "event", reason_str(ev, rbuf), where, pwhere, tuple, ev->len,
			sm, dm, tun);
}

static int where_json(json_t *o, const struct nb_event_where *w, __u32 ifindex)
{
	int err = 0;

	err |= json_object_set_new(o, "ifindex", json_integer(ifindex));
	if (w && w->ifname)
		err |= json_object_set_new(o, "interface", json_string(w->ifname));
	if (w && w->sandbox)
		err |= json_object_set_new(o, "sandbox", json_string(w->sandbox));
	if (w && w->sb_ifname)
		err |= json_object_set_new(o, "sandbox_interface", json_string(w->sb_ifname));
	if (w && w->network)
		err |= json_object_set_new(o, "network", json_string(w->network));
	return err ? -ENOMEM : 0;
}

json_t *nb_event_json(const struct nb_event *ev, int64_t unix_ns, const struct nb_event_where *at,
		      const struct nb_event_where *peer)
{
	char when[NB_TIME_STRLEN], rbuf[32], a[INET_ADDRSTRLEN], mac[18], et[8];
	const char *type = nb_event_type_name(ev->type);
	json_t *o = json_object(), *x;
	int err = 0;

	if (!o)
		return NULL;
	nb_fmt_time_rfc3339nano(unix_ns, when);
	err |= json_object_set_new(o, "time", json_string(when));
	err |= json_object_set_new(o, "type", json_string(type ? type : "unknown"));
	err |= json_object_set_new(o, "reason", json_string(reason_str(ev, rbuf)));
	err |= where_json(o, at, ev->ifindex);
	if (ev->type != NB_EV_NAT) {
		err |= json_object_set_new(o, "len", json_integer(ev->len));
		snprintf(et, sizeof(et), "0x%04x", ev->eth_proto);
		err |= json_object_set_new(o, "ethertype", json_string(et));
		mac_str(ev->smac, mac);
		err |= json_object_set_new(o, "src_mac", json_string(mac));
		mac_str(ev->dmac, mac);
		err |= json_object_set_new(o, "dst_mac", json_string(mac));
	}
	if (ev->eth_proto == 0x86dd) {
		char a6[INET6_ADDRSTRLEN];

		err |= json_object_set_new(o, "proto", json_string(nb_proto_name(ev->proto)));
		inet_ntop(AF_INET6, ev->saddr6, a6, sizeof(a6));
		err |= json_object_set_new(o, "src", json_string(a6));
		inet_ntop(AF_INET6, ev->daddr6, a6, sizeof(a6));
		err |= json_object_set_new(o, "dst", json_string(a6));
		if (ev->proto == 58 && (ev->flags & NB_EV_F_L4)) {
			err |= json_object_set_new(o, "icmp_type", json_integer(ev->icmp_type));
			err |= json_object_set_new(o, "icmp_code", json_integer(ev->icmp_code));
		}
	}
	if (ev->eth_proto == 0x0800 || ev->eth_proto == 0x0806) {
		if (ev->eth_proto == 0x0806)
			err |= json_object_set_new(o, "arp_op", json_integer(ev->arp_op));
		else
			err |=
			    json_object_set_new(o, "proto", json_string(nb_proto_name(ev->proto)));
		inet_ntop(AF_INET, &ev->saddr, a, sizeof(a));
		err |= json_object_set_new(o, "src", json_string(a));
		inet_ntop(AF_INET, &ev->daddr, a, sizeof(a));
		err |= json_object_set_new(o, "dst", json_string(a));
	}
	if (has_ports(ev)) {
		err |= json_object_set_new(o, "sport", json_integer(ntohs(ev->sport)));
		err |= json_object_set_new(o, "dport", json_integer(ntohs(ev->dport)));
	} else if (ev->proto == IPPROTO_ICMP && (ev->flags & NB_EV_F_L4)) {
		if (ev->type != NB_EV_NAT) {
			err |= json_object_set_new(o, "icmp_type", json_integer(ev->icmp_type));
			err |= json_object_set_new(o, "icmp_code", json_integer(ev->icmp_code));
		}
		err |= json_object_set_new(o, "icmp_id", json_integer(ntohs(ev->sport)));
	}
	if (ev->flags & NB_EV_F_FRAG)
		err |= json_object_set_new(o, "fragment", json_true());
	if (ev->type == NB_EV_NAT) {
		x = json_object();
		if (!x)
			goto fail;
		err |= json_object_set_new(o, "translated", x);
		if (ev->eth_proto == 0x86dd) {
			char a6[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, ev->nat_saddr6, a6, sizeof(a6));
			err |= json_object_set_new(x, "src", json_string(a6));
			inet_ntop(AF_INET6, ev->nat_daddr6, a6, sizeof(a6));
			err |= json_object_set_new(x, "dst", json_string(a6));
		} else {
			inet_ntop(AF_INET, &ev->nat_saddr, a, sizeof(a));
			err |= json_object_set_new(x, "src", json_string(a));
			inet_ntop(AF_INET, &ev->nat_daddr, a, sizeof(a));
			err |= json_object_set_new(x, "dst", json_string(a));
		}
		if (ev->proto == IPPROTO_TCP || ev->proto == IPPROTO_UDP) {
			err |= json_object_set_new(x, "sport", json_integer(ntohs(ev->nat_sport)));
			err |= json_object_set_new(x, "dport", json_integer(ntohs(ev->nat_dport)));
		} else {
			err |=
			    json_object_set_new(x, "icmp_id", json_integer(ntohs(ev->nat_sport)));
		}
	}
	if (ev->tun_vni || ev->tun_host) {
		x = json_object();
		if (!x)
			goto fail;
		err |= json_object_set_new(o, "tunnel", x);
		err |= json_object_set_new(x, "vni", json_integer(ev->tun_vni));
		inet_ntop(AF_INET, &ev->tun_host, a, sizeof(a));
		err |= json_object_set_new(x, "host", json_string(a));
	}
	if (ev->peer_ifindex) {
		x = json_object();
		if (!x)
			goto fail;
		err |= json_object_set_new(o, "to", x);
		err |= where_json(x, peer, ev->peer_ifindex);
	}
	if (err)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
