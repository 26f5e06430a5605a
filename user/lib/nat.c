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
#include <net/if.h>
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

/*
 * nb_pub_targets counts the nb_publish entries leading to each sandbox
 * address and port (what a network routed without NAT lets in). A pin dir
 * older than the map has none: nothing to count there.
 */
static int target_ref(const struct nb_maps *m, __be32 sb_ip, __be16 sb_port, __u8 proto, int delta)
{
	struct nb_pub_target k = {.sb_ip = sb_ip, .sb_port = sb_port, .proto = proto};
	__u32 refs = 0;

	if (m->pub_targets < 0)
		return 0;
	nb_map_get(m->pub_targets, &k, &refs);
	if (delta < 0 && refs <= 1)
		return nb_map_del(m->pub_targets, &k);
	/* a re-put of an entry the map lacks (written before the map existed) counts once */
	refs = delta > 0 ? refs + 1 : delta < 0 ? refs - 1 : (refs ? refs : 1);
	return nb_map_put(m->pub_targets, &k, &refs, BPF_ANY);
}

int nb_nat_publish_put(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		       __be32 sb_ip, __u16 sb_port, __u32 net_id, __u32 ifindex)
{
	struct nb_publish_key k;
	struct nb_publish_val v = {}, old;
	bool had;
	int err;

	if (!valid_proto(proto) || !host_port || !sb_port || !sb_ip || !ifindex)
		return -EINVAL;
	publish_key(&k, host_ip, host_port, proto);
	had = !nb_map_get(m->publish, &k, &old);
	if (had)
		v.conns = old.conns;
	v.sb_ip = sb_ip;
	v.sb_port = htons(sb_port);
	v.net_id = net_id;
	v.ifindex = ifindex;
	err = nb_map_put(m->publish, &k, &v, BPF_ANY);
	if (err)
		return err;
	if (had && old.sb_ip == v.sb_ip && old.sb_port == v.sb_port)
		return target_ref(m, v.sb_ip, v.sb_port, proto, 0);
	if (had)
		target_ref(m, old.sb_ip, old.sb_port, proto, -1);
	return target_ref(m, v.sb_ip, v.sb_port, proto, 1);
}

int nb_nat_publish_del(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto)
{
	struct nb_publish_key k;
	struct nb_publish_val old;
	bool had;
	int err;

	publish_key(&k, host_ip, host_port, proto);
	had = !nb_map_get(m->publish, &k, &old);
	err = nb_map_del(m->publish, &k);
	/* the port's allow-list goes with it: a port published again starts open */
	if (!err)
		err = nb_nat_allow_clear(m, host_ip, host_port, proto);
	if (err || !had)
		return err;
	return target_ref(m, old.sb_ip, old.sb_port, proto, -1);
}

/* ---- published IPv6 ports ------------------------------------------------- */

static void publish6_key(struct nb_publish6_key *k, const struct in6_addr *host_ip, __u16 host_port,
			 __u8 proto)
{
	memset(k, 0, sizeof(*k));
	if (host_ip)
		memcpy(k->host_ip6, host_ip, 16);
	k->host_port = htons(host_port);
	k->proto = proto;
}

int nb_nat_publish6_put(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto, const struct in6_addr *sb_ip, __u16 sb_port, __u32 net_id,
			__u32 ifindex)
{
	struct nb_publish6_key k;
	struct nb_publish6_val v = {}, old;

	if (m->publish6 < 0)
		return -EOPNOTSUPP;
	if (!valid_proto(proto) || !host_port || !sb_port || !sb_ip ||
	    IN6_IS_ADDR_UNSPECIFIED(sb_ip) || !ifindex)
		return -EINVAL;
	publish6_key(&k, host_ip, host_port, proto);
	if (!nb_map_get(m->publish6, &k, &old))
		v.conns = old.conns;
	memcpy(v.sb_ip6, sb_ip, 16);
	v.sb_port = htons(sb_port);
	v.net_id = net_id;
	v.ifindex = ifindex;
	return nb_map_put(m->publish6, &k, &v, BPF_ANY);
}

int nb_nat_publish6_del(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto)
{
	struct nb_publish6_key k;
	int err;

	if (m->publish6 < 0)
		return 0;
	publish6_key(&k, host_ip, host_port, proto);
	err = nb_map_del(m->publish6, &k);
	/* the port's allow-list goes with it, as for IPv4 */
	return err ?: nb_nat_allow6_clear(m, host_ip, host_port, proto);
}

int nb_nat_publish6_get(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto, struct nb_publish6_val *out)
{
	struct nb_publish6_key k;

	if (m->publish6 < 0)
		return -ENOENT;
	publish6_key(&k, host_ip, host_port, proto);
	return nb_map_get(m->publish6, &k, out);
}

int nb_nat_publish6_keys(const struct nb_maps *m, struct nb_publish6_key **out, size_t *n)
{
	struct nb_publish6_key k, next, *v = NULL, *grown;
	size_t cnt = 0, cap = 0;
	void *prev = NULL;

	*out = NULL;
	*n = 0;
	if (m->publish6 < 0)
		return 0;
	while (!bpf_map_get_next_key(m->publish6, prev, &next)) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				free(v);
				return -ENOMEM;
			}
			v = grown;
		}
		v[cnt++] = next;
		k = next;
		prev = &k;
	}
	if (errno != ENOENT) {
		free(v);
		return -errno;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- allow-lists of published ports --------------------------------------- */

static void allow_key(struct nb_pub_allow_key *k, __be32 host_ip, __u16 host_port, __u8 proto,
		      __be32 addr, __u8 len)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = NB_PUB_ALLOW_KEY_BITS + len;
	k->proto = proto;
	k->host_port = htons(host_port);
	k->host_ip = host_ip;
	/* the bits beyond the prefix are not the key's: zero them, as `ip route` does */
	k->saddr = len ? addr & htonl(~0U << (32 - len)) : 0;
}

int nb_nat_allow_put(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto,
		     __be32 addr, __u8 len)
{
	struct nb_pub_allow_key k;
	__u32 v = NB_PUB_ALLOW_LISTED;
	int err;

	if (!valid_proto(proto) || !host_port || len > 32)
		return -EINVAL;
	if (m->pub_allow < 0)
		return -ENOENT;
	/* the list's own entry first: the port is never open between the two puts */
	allow_key(&k, host_ip, host_port, proto, 0, 0);
	k.prefixlen = NB_PUB_ALLOW_KEY_BITS;
	err = nb_map_put(m->pub_allow, &k, &v, BPF_ANY);
	if (err)
		return err;
	allow_key(&k, host_ip, host_port, proto, addr, len);
	v = NB_PUB_ALLOW_OK;
	return nb_map_put(m->pub_allow, &k, &v, BPF_ANY);
}

int nb_nat_allow_clear(const struct nb_maps *m, __be32 host_ip, __u16 host_port, __u8 proto)
{
	struct nb_pub_allow_key *keys = NULL;
	size_t n = 0, i;
	int err, e;

	if (m->pub_allow < 0)
		return 0; /* a pin dir older than allow-lists has none */
	err = nb_map_keys(m->pub_allow, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (keys[i].host_ip != host_ip || keys[i].host_port != htons(host_port) ||
		    keys[i].proto != proto)
			continue;
		e = nb_map_del(m->pub_allow, &keys[i]);
		err = err ?: e;
	}
	free(keys);
	return err;
}

static void allow6_key(struct nb_pub_allow6_key *k, const struct in6_addr *host_ip,
		       __u16 host_port, __u8 proto, const struct in6_addr *addr, __u8 len)
{
	unsigned int i;

	memset(k, 0, sizeof(*k));
	k->prefixlen = NB_PUB_ALLOW6_KEY_BITS + len;
	k->proto = proto;
	k->host_port = htons(host_port);
	if (host_ip)
		memcpy(k->host_ip6, host_ip, 16);
	/* the bits beyond the prefix are not the key's: zero */
	for (i = 0; addr && i < 16; i++) {
		unsigned int bits = len > i * 8 ? len - i * 8 : 0;

		k->saddr6[i] = bits >= 8 ? addr->s6_addr[i]
					 : (__u8)(addr->s6_addr[i] & (0xff00 >> bits));
	}
}

int nb_nat_allow6_put(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
		      __u8 proto, const struct in6_addr *addr, __u8 len)
{
	struct nb_pub_allow6_key k;
	__u32 v = NB_PUB_ALLOW_LISTED;
	int err;

	if (!valid_proto(proto) || !host_port || !addr || len > 128)
		return -EINVAL;
	if (m->pub_allow6 < 0)
		return -ENOENT;
	/* the list's own entry first: the port is never open between the two puts */
	allow6_key(&k, host_ip, host_port, proto, NULL, 0);
	err = nb_map_put(m->pub_allow6, &k, &v, BPF_ANY);
	if (err)
		return err;
	allow6_key(&k, host_ip, host_port, proto, addr, len);
	v = NB_PUB_ALLOW_OK;
	return nb_map_put(m->pub_allow6, &k, &v, BPF_ANY);
}

int nb_nat_allow6_clear(const struct nb_maps *m, const struct in6_addr *host_ip, __u16 host_port,
			__u8 proto)
{
	struct nb_pub_allow6_key *keys = NULL, want;
	size_t n = 0, i;
	int err, e;

	if (m->pub_allow6 < 0)
		return 0; /* a pin dir older than IPv6 allow-lists has none */
	allow6_key(&want, host_ip, host_port, proto, NULL, 0);
	err = nb_map_keys(m->pub_allow6, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (memcmp(keys[i].host_ip6, want.host_ip6, 16) ||
		    keys[i].host_port != want.host_port || keys[i].proto != proto)
			continue;
		e = nb_map_del(m->pub_allow6, &keys[i]);
		err = err ?: e;
	}
	free(keys);
	return err;
}

int nb_nat_publish_default_set(const struct nb_maps *m, bool deny)
{
	struct nb_config cfg = {0};
	__u32 key = 0;

	if (m->config < 0)
		return -ENOENT;
	nb_map_get(m->config, &key, &cfg);
	if (deny)
		cfg.flags |= NB_CFG_F_PUBLISH_DENY;
	else
		cfg.flags &= ~NB_CFG_F_PUBLISH_DENY;
	return nb_map_put(m->config, &key, &cfg, BPF_ANY);
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
		e = nb_nat_publish_del(m, keys[i].host_ip, ntohs(keys[i].host_port), keys[i].proto);
		err = err ?: e;
	}
	free(keys);
	return err;
}

/* ---- uplinks and host addresses ----------------------------------------- */

/* An int sysctl, or -1 when it cannot be read */
static int sysctl_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * The reverse-path filter the kernel applies to packets arriving at
 * ifindex (in the netns this runs in): the larger of conf/all and the
 * device's own rp_filter. The data plane applies it to the published-port
 * flows it translates, which never reach the kernel's check.
 */
static __u8 uplink_rp_filter(__u32 ifindex)
{
	char name[IF_NAMESIZE], path[96];
	int all, dev = -1;

	all = sysctl_int("/proc/sys/net/ipv4/conf/all/rp_filter");
	if (if_indextoname(ifindex, name)) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", name);
		dev = sysctl_int(path);
	}
	if (dev > all)
		all = dev;
	return all == 1 || all == 2 ? (__u8)all : 0;
}

int nb_nat_uplink_put_range(const struct nb_maps *m, __u32 ifindex, __be32 ip, __u16 port_min,
			    __u16 port_max)
{
	struct nb_uplink v = {.ip = ip, .port_min = port_min, .port_max = port_max};

	if (!ifindex || !ip || !port_min || port_min > port_max)
		return -EINVAL;
	v.rp_filter = uplink_rp_filter(ifindex);
	return nb_map_put(m->uplinks, &ifindex, &v, BPF_ANY);
}

int nb_nat_uplink_put(const struct nb_maps *m, __u32 ifindex, __be32 ip)
{
	return nb_nat_uplink_put_range(m, ifindex, ip, NB_MASQ_PORT_MIN, NB_MASQ_PORT_MAX);
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
	static const __u32 secs[NB_CT_TO_COUNT] = NB_CT_TIMEOUTS_INIT;

	return secs[nb_ct_timeout_slot(proto, state)];
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

/*
 * The flows of one conntrack map (nb_ct, or nb_ct_syn when syn): forward
 * entries with their reply's counters. A half-open flow whose keys nb_ct
 * also holds alive is the data plane's too only through nb_ct (it looks
 * there first): skipped.
 */
static int ct_foreach_map(const struct nb_maps *m, bool syn,
			  int (*cb)(const struct nb_nat_flow *f, void *arg), void *arg)
{
	int fd = syn ? m->ct_syn : m->ct;
	struct nb_ct_key *keys = NULL, pk;
	struct nb_ct_entry e, pe, ce;
	struct nb_nat_flow f;
	__u64 now, timeout, idle;
	size_t n = 0, i;
	int err;

	err = nb_map_keys(fd, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	now = mono_now();
	for (i = 0; i < n; i++) {
		/* routed flows are tracked, not translated: not what `ct ls` lists */
		if (nb_map_get(fd, &keys[i], &e) || e.dir != NB_CT_DIR_ORIG || e.type == NB_CT_ROUTED)
			continue;
		timeout = (__u64)nb_nat_ct_timeout_secs(keys[i].proto, e.state) * NSEC;
		idle = now > e.seen_ns ? now - e.seen_ns : 0;
		if (idle > timeout)
			continue;
		if (syn && !nb_map_get(m->ct, &keys[i], &ce) &&
		    (now > ce.seen_ns ? now - ce.seen_ns : 0) <=
			(__u64)nb_nat_ct_timeout_secs(keys[i].proto, ce.state) * NSEC)
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
		if (!nb_map_get(fd, &pk, &pe) && pe.dir == NB_CT_DIR_REPLY) {
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

static void tuple6_from_key(struct nb_nat_tuple *t, const struct nb_ct6_key *k)
{
	t->v6 = true;
	memcpy(&t->saddr6, k->saddr, 16);
	memcpy(&t->daddr6, k->daddr, 16);
	t->sport = ntohs(k->sport);
	t->dport = ntohs(k->dport);
}

/*
 * The translated IPv6 flows (nb_ct6 entries of kind NB_CT6_K_DNAT, published
 * ports, NB_CT6_K_MASQ, masquerade, and NB_CT6_K_HAIRPIN, a sandbox reaching a published port:
 * forward ones with their reply's counters; TCP by its state, the others as answered). The
 * untranslated flows nb_ct6 also tracks are not what `ct ls` lists.
 */
static int ct6_foreach(const struct nb_maps *m, int (*cb)(const struct nb_nat_flow *f, void *arg),
		       void *arg)
{
	struct nb_ct6_key *keys = NULL, rk;
	struct nb_ct6_entry e, re;
	struct nb_nat_flow f;
	__u64 now, timeout, idle;
	__u8 state;
	size_t n = 0, i;
	int err;

	err = nb_map_keys(m->ct6, sizeof(*keys), (void **)&keys, &n);
	if (err)
		return err;
	now = mono_now();
	for (i = 0; i < n; i++) {
		if (nb_map_get(m->ct6, &keys[i], &e) || e.dir != NB_CT_DIR_ORIG ||
		    (e.kind != NB_CT6_K_DNAT && e.kind != NB_CT6_K_MASQ &&
		     e.kind != NB_CT6_K_HAIRPIN))
			continue;
		/* TCP by its state; nb_ct6 keeps none for the others (timed as answered) */
		state = keys[i].proto == IPPROTO_TCP ? e.state : NB_CT_S_ESTABLISHED;
		timeout = (__u64)nb_nat_ct_timeout_secs(keys[i].proto, state) * NSEC;
		idle = now > e.seen_ns ? now - e.seen_ns : 0;
		if (idle > timeout)
			continue;
		memset(&f, 0, sizeof(f));
		f.proto = keys[i].proto;
		f.type = e.kind == NB_CT6_K_MASQ      ? NB_CT_SNAT
			 : e.kind == NB_CT6_K_HAIRPIN ? NB_CT_HAIRPIN
						      : NB_CT_DNAT;
		f.state = state;
		tuple6_from_key(&f.orig, &keys[i]);
		f.nat = f.orig;
		if (e.kind == NB_CT6_K_MASQ) {
			memcpy(&f.nat.saddr6, e.nat_addr, 16);
			f.nat.sport = ntohs(e.nat_port);
		} else if (e.kind == NB_CT6_K_HAIRPIN) {
			memcpy(&f.nat.saddr6, e.hp_saddr, 16);
			f.nat.sport = ntohs(e.hp_sport);
			memcpy(&f.nat.daddr6, e.nat_addr, 16);
			f.nat.dport = ntohs(e.nat_port);
		} else {
			memcpy(&f.nat.daddr6, e.nat_addr, 16);
			f.nat.dport = ntohs(e.nat_port);
		}
		f.age_ns = now > e.created_ns ? now - e.created_ns : 0;
		f.idle_ns = idle;
		f.expires_ns = timeout - idle;
		f.packets = e.packets;
		f.net_id = e.net_id;
		f.ifindex = e.ifindex;
		/* the reply entry: the translated tuple the other way round */
		memset(&rk, 0, sizeof(rk));
		memcpy(rk.saddr, &f.nat.daddr6, 16);
		memcpy(rk.daddr, &f.nat.saddr6, 16);
		rk.sport = htons(f.nat.dport);
		rk.dport = htons(f.nat.sport);
		rk.proto = keys[i].proto;
		if (!nb_map_get(m->ct6, &rk, &re) && re.kind == e.kind &&
		    re.dir == NB_CT_DIR_REPLY) {
			f.has_reply = true;
			f.reply_packets = re.packets;
		}
		err = cb(&f, arg);
		if (err)
			break;
	}
	free(keys);
	return err;
}

int nb_nat_ct_foreach(const struct nb_maps *m, int (*cb)(const struct nb_nat_flow *f, void *arg),
		      void *arg)
{
	int err = ct_foreach_map(m, false, cb, arg);

	/* a pin dir older than nb_ct_syn has no half-open flows apart */
	if (!err && m->ct_syn >= 0)
		err = ct_foreach_map(m, true, cb, arg);
	if (!err && m->ct6 >= 0)
		err = ct6_foreach(m, cb, arg);
	return err;
}

/* Deletes every key of a hash map; *done counts them */
static int clear_counted(int fd, size_t ksize, size_t *done)
{
	void *keys = NULL;
	size_t n = 0, i;
	int err, e;

	err = nb_map_keys(fd, ksize, &keys, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		e = nb_map_del(fd, (char *)keys + i * ksize);
		if (!e && done)
			(*done)++;
		err = err ?: e;
	}
	free(keys);
	return err;
}

int nb_nat_ct_flush(const struct nb_maps *m, size_t *count)
{
	size_t done = 0;
	int err;

	err = clear_counted(m->ct, sizeof(struct nb_ct_key), &done);
	if (!err && m->ct_syn >= 0)
		err = clear_counted(m->ct_syn, sizeof(struct nb_ct_key), &done);
	if (!err && m->ct6 >= 0)
		err = clear_counted(m->ct6, sizeof(struct nb_ct6_key), &done);
	if (m->frags >= 0) {
		int e = clear_counted(m->frags, sizeof(struct nb_frag_key), NULL);

		err = err ?: e;
	}
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
	case NB_CT_ROUTED:
		return "routed";
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
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (t->v6) {
		inet_ntop(AF_INET6, &t->saddr6, s, sizeof(s));
		inet_ntop(AF_INET6, &t->daddr6, d, sizeof(d));
		snprintf(buf, NB_NAT_TUPLE_STRLEN, "[%s]:%u -> [%s]:%u", s, t->sport, d, t->dport);
		return buf;
	}
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
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	if (t->v6) {
		inet_ntop(AF_INET6, &t->saddr6, s, sizeof(s));
		inet_ntop(AF_INET6, &t->daddr6, d, sizeof(d));
	} else {
		inet_ntop(AF_INET, &t->saddr, s, sizeof(s));
		inet_ntop(AF_INET, &t->daddr, d, sizeof(d));
	}
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
