// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The NAT part of the map projection (see nat.h). Writers are serialised by
 * the caller (the instance lock); the BPF side writes nb_ct, nb_frags and the
 * conns counters of nb_publish concurrently, which the read-modify-writes
 * here tolerate (a lost increment at worst).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <bpf/bpf.h>

#include "fmt.h"
#include "mapio.h"
#include "nat.h"
#include "nl.h"

#define NSEC 1000000000ULL

/* ---- published ports ---------------------------------------------------- */

static void publish_key(struct nb_publish_key *k, __be32 host_ip, __u16 host_port, __u8 proto)
{
	memset(k, 0, sizeof(*k));
	k->host_ip = host_ip;
	k->host_port = htons(host_port);
	k->proto = proto;
}

static bool valid_proto(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

int nb_nat_publish_put(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		       __be32 sb_ip, __u16 sb_port, __u32 net_id, __u32 ifindex)
{
	struct nb_publish_key k;
	struct nb_publish_val v = {}, old;

	if (!valid_proto(proto) || !host_port || !sb_port || !sb_ip || !ifindex)
		return -EINVAL;
	publish_key(&k, host_ip, host_port, proto);
	if (!nb_map_get(m->publish, &k, &old))
		v.conns = old.conns;
	v.sb_ip = sb_ip;
	v.sb_port = htons(sb_port);
	v.net_id = net_id;
	v.ifindex = ifindex;
	return nb_map_put(m->publish, &k, &v, BPF_ANY);
}

int nb_nat_publish_del(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto)
{
	struct nb_publish_key k;

	publish_key(&k, host_ip, host_port, proto);
	return nb_map_del(m->publish, &k);
}

int nb_nat_publish_get(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		       struct nb_publish_val *out)
{
	struct nb_publish_key k;

	publish_key(&k, host_ip, host_port, proto);
	return nb_map_get(m->publish, &k, out);
}

int nb_nat_publish_foreach(const struct nb_maps *m,
			   int (*cb)(const struct nb_nat_publish *p, void *arg), void *arg)
{
	struct nb_publish_key *keys = NULL;
	struct nb_publish_val v;
	struct nb_nat_publish p;
	size_t n = 0, i;
	int err;

	err = nb_map_keys(m->publish, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (nb_map_get(m->publish, &keys[i], &v))
			continue; /* deleted meanwhile */
		memset(&p, 0, sizeof(p));
		p.host_ip = keys[i].host_ip;
		p.host_port = ntohs(keys[i].host_port);
		p.proto = keys[i].proto;
		p.sb_ip = v.sb_ip;
		p.sb_port = ntohs(v.sb_port);
		p.net_id = v.net_id;
		p.ifindex = v.ifindex;
		p.conns = v.conns;
		err = cb(&p, arg);
		if (err)
			break;
	}
	free(keys);
	return err;
}

int nb_nat_publish_clear(const struct nb_maps *m)
{
	struct nb_publish_key *keys = NULL;
	size_t n = 0, i;
	int err, e;

	err = nb_map_keys(m->publish, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		e = nb_map_del(m->publish, &keys[i]);
		err = err ?: e;
	}
	free(keys);
	return err;
}

/* ---- uplinks and host addresses ----------------------------------------- */

int nb_nat_uplink_put_range(const struct nb_maps *m, __u32 ifindex, __be32 ip, __u16 port_min,
			    __u16 port_max)
{
	struct nb_uplink v = {.ip = ip, .port_min = port_min, .port_max = port_max};

	if (!ifindex || !ip || !port_min || port_min > port_max)
		return -EINVAL;
	return nb_map_put(m->uplinks, &ifindex, &v, BPF_ANY);
}

int nb_nat_uplink_put(const struct nb_maps *m, __u32 ifindex, __be32 ip)
{
	/* the range Linux's MASQUERADE uses for sources >= 1024 */
	return nb_nat_uplink_put_range(m, ifindex, ip, 1024, 65535);
}

int nb_nat_uplink_del(const struct nb_maps *m, __u32 ifindex)
{
	return nb_map_del(m->uplinks, &ifindex);
}

int nb_nat_local_addr_put(const struct nb_maps *m, __be32 ip, __u32 ifindex)
{
	if (!ip)
		return -EINVAL;
	return nb_map_put(m->local_addrs, &ip, &ifindex, BPF_ANY);
}

int nb_nat_local_addr_del(const struct nb_maps *m, __be32 ip)
{
	return nb_map_del(m->local_addrs, &ip);
}

int nb_nat_local_addrs_sync(const struct nb_maps *m)
{
	__be32 *addrs = NULL, *keys = NULL;
	size_t na = 0, n = 0, i, j;
	struct nb_nl *nl = NULL;
	bool keep;
	int err = 0, e;

	if (m->local_addrs < 0)
		return -ENOENT;
	/* an IPv4 address dump: getifaddrs() also dumps every link, each veth
	 * costing the kernel a walk of all the netns ids (O(N^2) at N sandboxes) */
	err = nb_nl_open(&nl);
	if (!err)
		err = nb_nl_addr_list(nl, &addrs, &na);
	nb_nl_close(nl);
	if (err)
		return err;
	for (i = 0; i < na; i++) {
		e = nb_nat_local_addr_put(m, addrs[i], 0);
		err = err ?: e;
	}
	if (err)
		goto cleanup;
	err = nb_map_keys(m->local_addrs, sizeof(*keys), (void **)&keys, &n);
	if (err)
		goto cleanup;
	for (i = 0; i < n; i++) {
		keep = false;
		for (j = 0; j < na && !keep; j++)
			keep = addrs[j] == keys[i];
		if (!keep) {
			e = nb_map_del(m->local_addrs, &keys[i]);
			err = err ?: e;
		}
	}
cleanup:
	free(keys);
	free(addrs);
	return err;
}

/* ---- conntrack ------------------------------------------------------------ */

unsigned int nb_nat_ct_timeout_secs(__u8 proto, __u8 state)
{
	if (proto == IPPROTO_TCP) {
		switch (state) {
		case NB_CT_S_NEW:
			return NB_CT_TCP_NEW_SECS;
		case NB_CT_S_ESTABLISHED:
			return NB_CT_TCP_EST_SECS;
		case NB_CT_S_FIN:
			return NB_CT_TCP_FIN_SECS;
		default:
			return NB_CT_TCP_CLOSED_SECS;
		}
	}
	if (proto == IPPROTO_UDP)
		return state == NB_CT_S_NEW ? NB_CT_UDP_NEW_SECS : NB_CT_UDP_EST_SECS;
	return NB_CT_ICMP_SECS;
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
static __u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void tuple_from_key(struct nb_nat_tuple *t, const struct nb_ct_key *k)
{
	t->saddr = k->saddr;
	t->daddr = k->daddr;
	t->sport = ntohs(k->sport);
	t->dport = ntohs(k->dport);
}

int nb_nat_ct_foreach(const struct nb_maps *m, int (*cb)(const struct nb_nat_flow *f, void *arg),
		      void *arg)
{
	struct nb_ct_key *keys = NULL, pk;
	struct nb_ct_entry e, pe;
	struct nb_nat_flow f;
	__u64 now, timeout, idle;
	size_t n = 0, i;
	int err;

	err = nb_map_keys(m->ct, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	now = mono_now();
	for (i = 0; i < n; i++) {
		if (nb_map_get(m->ct, &keys[i], &e) || e.dir != NB_CT_DIR_ORIG)
			continue;
		timeout = (__u64)nb_nat_ct_timeout_secs(keys[i].proto, e.state) * NSEC;
		idle = now > e.seen_ns ? now - e.seen_ns : 0;
		if (idle > timeout)
			continue;
		memset(&f, 0, sizeof(f));
		f.proto = keys[i].proto;
		f.type = e.type;
		f.state = e.state;
		tuple_from_key(&f.orig, &keys[i]);
		f.nat.saddr = e.nat_saddr;
		f.nat.daddr = e.nat_daddr;
		f.nat.sport = ntohs(e.nat_sport);
		f.nat.dport = ntohs(e.nat_dport);
		f.age_ns = now > e.created_ns ? now - e.created_ns : 0;
		f.idle_ns = idle;
		f.expires_ns = timeout - idle;
		f.packets = e.packets;
		f.bytes = e.bytes;
		f.net_id = e.net_id;
		f.ifindex = e.ifindex;
		/* the peer: reverse of the translated tuple */
		memset(&pk, 0, sizeof(pk));
		pk.saddr = e.nat_daddr;
		pk.daddr = e.nat_saddr;
		pk.sport = e.nat_dport;
		pk.dport = e.nat_sport;
		pk.proto = keys[i].proto;
		if (!nb_map_get(m->ct, &pk, &pe) && pe.dir == NB_CT_DIR_REPLY) {
			f.has_reply = true;
			f.reply_packets = pe.packets;
			f.reply_bytes = pe.bytes;
			/* the sandbox side of a masquerade flow is the reply's target */
			if (!f.ifindex)
				f.ifindex = pe.ifindex;
		}
		err = cb(&f, arg);
		if (err)
			break;
	}
	free(keys);
	return err;
}

int nb_nat_ct_flush(const struct nb_maps *m, size_t *count)
{
	struct nb_ct_key *keys = NULL;
	struct nb_frag_key *fkeys = NULL;
	size_t n = 0, fn = 0, i, done = 0;
	int err, e;

	err = nb_map_keys(m->ct, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		e = nb_map_del(m->ct, &keys[i]);
		if (!e)
			done++;
		err = err ?: e;
	}
	if (m->frags >= 0 && !nb_map_keys(m->frags, sizeof(*fkeys), (void **)&fkeys, &fn)) {
		for (i = 0; i < fn; i++) {
			e = nb_map_del(m->frags, &fkeys[i]);
			err = err ?: e;
		}
	}
	free(fkeys);
	free(keys);
	if (count)
		*count = done;
	return err;
}

/* ---- formatting ----------------------------------------------------------- */

const char *nb_nat_type_name(__u8 type)
{
	switch (type) {
	case NB_CT_DNAT:
		return "dnat";
	case NB_CT_SNAT:
		return "snat";
	case NB_CT_HAIRPIN:
		return "hairpin";
	}
	return "unknown";
}

const char *nb_nat_state_name(__u8 proto, __u8 state)
{
	if (proto == IPPROTO_TCP) {
		switch (state) {
		case NB_CT_S_NEW:
			return "SYN_SENT";
		case NB_CT_S_ESTABLISHED:
			return "ESTABLISHED";
		case NB_CT_S_FIN:
			return "FIN_WAIT";
		default:
			return "CLOSE";
		}
	}
	return state == NB_CT_S_NEW ? "UNREPLIED" : "REPLIED";
}

const char *nb_nat_tuple_str(const struct nb_nat_tuple *t, __u8 proto,
			     char buf[NB_NAT_TUPLE_STRLEN])
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &t->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &t->daddr, d, sizeof(d));
	if (proto == IPPROTO_ICMP)
		/* an echo request carries the id as "sport", a reply as "dport" */
		snprintf(buf, NB_NAT_TUPLE_STRLEN, "%s -> %s id %u", s, d,
			 t->sport ? t->sport : t->dport);
	else
		snprintf(buf, NB_NAT_TUPLE_STRLEN, "%s:%u -> %s:%u", s, t->sport, d, t->dport);
	return buf;
}

const char *nb_nat_age_str(__u64 ns, char buf[32])
{
	__u64 s = ns / NSEC;

	if (s < 60)
		snprintf(buf, 32, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, 32, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, 32, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(buf, 32, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
	return buf;
}

static json_t *tuple_json(const struct nb_nat_tuple *t, __u8 proto)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &t->saddr, s, sizeof(s));
	inet_ntop(AF_INET, &t->daddr, d, sizeof(d));
	if (proto == IPPROTO_ICMP)
		return json_pack("{s:s, s:s, s:i}", "src", s, "dst", d, "id",
				 (int)(t->sport ? t->sport : t->dport));
	return json_pack("{s:s, s:i, s:s, s:i}", "src", s, "sport", (int)t->sport, "dst", d,
			 "dport", (int)t->dport);
}

json_t *nb_nat_flow_json(const struct nb_nat_flow *f)
{
	json_t *o = tuple_json(&f->orig, f->proto), *t = tuple_json(&f->nat, f->proto);

	if (!o || !t) {
		json_decref(o);
		json_decref(t);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "proto",
			 nb_proto_name(f->proto), "type", nb_nat_type_name(f->type), "state",
			 nb_nat_state_name(f->proto, f->state), "original", o, "translated", t,
			 "age_seconds", (json_int_t)(f->age_ns / NSEC), "idle_seconds",
			 (json_int_t)(f->idle_ns / NSEC), "expires_seconds",
			 (json_int_t)(f->expires_ns / NSEC), "packets", (json_int_t)f->packets,
			 "bytes", (json_int_t)f->bytes, "reply_packets",
			 (json_int_t)f->reply_packets, "reply_bytes", (json_int_t)f->reply_bytes);
}
