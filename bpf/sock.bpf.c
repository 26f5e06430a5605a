// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Socket hooks for published ports reached from the host itself
 * (`curl 127.0.0.1:8000`, `curl <host ip>:8000`): cgroup sock_addr programs
 * attached to the instance's cgroup rewrite the destination at connect()
 * (TCP, connected UDP) and sendmsg() (unconnected UDP) to the sandbox's
 * address, so the connection goes straight to the sandbox through the
 * gateway port: no proxy process, no NAT per packet. getpeername() and
 * recvmsg() report the published address the application asked for.
 *
 * Only sockets of the host netns are touched (bpf_get_netns_cookie() ==
 * nb_config.host_netns_cookie): a sandbox's own 127.0.0.1:8000 is its own.
 * A destination is "the host" when it is in 127.0.0.0/8, in nb_local_addrs
 * (the host's addresses, written by the control plane: these programs
 * cannot ask the FIB) or a netbpf gateway address. The lookup is the
 * uplink's own (lib/publish.bpf.h): an exact (address, port) entry wins over
 * a 0.0.0.0 one.
 *
 * What a socket was redirected to is remembered per (socket cookie,
 * sandbox address, port) in the nb_sock_rnat LRU: keyed by the cookie so
 * that it dies with the socket's relevance (cookies are never reused), and
 * by address so that one unconnected UDP socket may talk to several
 * published ports.
 *
 * A dual-stack (AF_INET6) socket reaching an IPv4 published port uses an
 * IPv4-mapped address (::ffff:127.0.0.1): the kernel runs the *6 hooks
 * for a TCP connect (tcp_v6_pre_connect) and for the answers (recvmsg6,
 * getpeername6), which translate the mapped IPv4 address through the same
 * table and keep it mapped; its datagrams go out through udp_sendmsg(), whose
 * sendmsg4 hook sees the IPv4 address (ctx->user_family). Native IPv6
 * destinations go through nb_publish6 (connect6, sendmsg6; nb_sock_rnat6 for
 * the answers): an exact entry, or a [::] one for ::1 and the networks'
 * IPv6 gateway addresses.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/maps.bpf.h"
#include "lib/publish.bpf.h"

/*
 * What connect() redirected a socket to (TCP, connected UDP), kept in the
 * socket's own storage rather than in nb_sock_rnat: a new connection then
 * costs a small allocation that is freed with its socket, where an insert
 * into the full LRU (every connection adds an entry, none is deleted) cost
 * ~1.2 us of connect4's ~1.3 us in `make bench`'s host-local test.
 * Datagrams of unconnected sockets (sendmsg4), which may reach several
 * published ports, keep nb_sock_rnat; so does a socket whose storage
 * cannot be had. Only this object uses the map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct nb_sock_rnat_sk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} NB_MAP_SOCK_RNAT_SK SEC(".maps");

#define NB_SOCK_ALLOW	1
#define NB_AF_INET_SOCK 2
#define NB_AF_INET6_SOCK 10
#define NB_SOCK_STREAM	1
#define NB_SOCK_DGRAM	2

static __always_inline bool nb_sock_in_host_netns(void *ctx)
{
	struct nb_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&NB_MAP_CONFIG, &zero);
	return cfg && cfg->host_netns_cookie && cfg->host_netns_cookie == bpf_get_netns_cookie(ctx);
}

static __always_inline bool nb_sock_is_host_addr(__be32 addr)
{
	struct nb_lpm_key k = {.prefixlen = 32, .addr = addr};
	struct nb_network *net;
	__u32 *net_id;

	if ((bpf_ntohl(addr) >> 24) == 127)
		return true;
	if (bpf_map_lookup_elem(&NB_MAP_LOCAL_ADDRS, &addr))
		return true;
	/* gateway addresses are the host's too, whenever their network was created */
	net_id = bpf_map_lookup_elem(&NB_MAP_SUBNETS, &k);
	if (!net_id)
		return false;
	net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, net_id);
	return net && net->gateway == addr;
}

/*
 * Records, for a connect() (connected) to host_ip:host_port redirected to
 * sb_ip:sb_port, what getpeername() and recvmsg() must report: in the
 * socket's storage when it is a connect() and the storage can be had, else
 * in nb_sock_rnat. False when neither could be written.
 */
static __always_inline bool nb_sock_record(struct bpf_sock_addr *ctx, bool connected, __be32 sb_ip,
					   __be16 sb_port, __be32 host_ip, __be16 host_port)
{
	struct nb_sock_rnat_key rk = {};
	struct nb_sock_rnat_val rv = {};
	struct nb_sock_rnat_sk *st;

	if (connected && ctx->sk) {
		st = bpf_sk_storage_get(&NB_MAP_SOCK_RNAT_SK, ctx->sk, 0,
					BPF_SK_STORAGE_GET_F_CREATE);
		if (st) {
			st->sb_ip = sb_ip;
			st->sb_port = sb_port;
			st->host_ip = host_ip;
			st->host_port = host_port;
			return true;
		}
	}
	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.sb_ip = sb_ip;
	rk.sb_port = sb_port;
	rv.host_ip = host_ip;
	rv.host_port = host_port;
	return !bpf_map_update_elem(&NB_MAP_SOCK_RNAT, &rk, &rv, BPF_ANY);
}

/*
 * The published address for a peer sb_ip:sb_port the socket was redirected
 * to: from its storage (a connect()), else from nb_sock_rnat. False when it
 * was not redirected there.
 */
static __always_inline bool nb_sock_recorded(struct bpf_sock_addr *ctx, __be32 sb_ip,
					     __be16 sb_port, __be32 *host_ip, __be16 *host_port)
{
	struct nb_sock_rnat_key rk = {};
	struct nb_sock_rnat_val *rv;
	struct nb_sock_rnat_sk *st;

	if (ctx->sk) {
		st = bpf_sk_storage_get(&NB_MAP_SOCK_RNAT_SK, ctx->sk, 0, 0);
		if (st && st->sb_ip == sb_ip && st->sb_port == sb_port) {
			*host_ip = st->host_ip;
			*host_port = st->host_port;
			return true;
		}
	}
	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.sb_ip = sb_ip;
	rk.sb_port = sb_port;
	rv = bpf_map_lookup_elem(&NB_MAP_SOCK_RNAT, &rk);
	if (!rv)
		return false;
	*host_ip = rv->host_ip;
	*host_port = rv->host_port;
	return true;
}

/*
 * Rewrites ctx's destination when it is a published port of the host.
 * connected: a connect(), not a sendmsg().
 */
static __always_inline void nb_sock_translate(struct bpf_sock_addr *ctx, __u8 proto, bool connected)
{
	struct nb_publish_val *pub;
	bool wildcard;

	/*
	 * the address's family, not the socket's: a dual-stack socket's datagram to
	 * ::ffff:a.b.c.d is sent by udp_sendmsg(), which runs this hook with an IPv4 address
	 */
	if (ctx->user_family != NB_AF_INET_SOCK || !nb_sock_in_host_netns(ctx))
		return;
	pub = nb_publish_lookup(ctx->user_ip4, (__be16)ctx->user_port, proto, &wildcard);
	if (!pub || (wildcard && !nb_sock_is_host_addr(ctx->user_ip4)))
		return;
	/* without the record getpeername() would show the sandbox: refuse to half-translate */
	if (!nb_sock_record(ctx, connected, pub->sb_ip, pub->sb_port, ctx->user_ip4,
			    (__be16)ctx->user_port))
		return;
	ctx->user_ip4 = pub->sb_ip;
	ctx->user_port = (__u32)pub->sb_port;
	__sync_fetch_and_add(&pub->conns, 1);
}

/* Reports the published address for a peer the socket was redirected to. */
static __always_inline void nb_sock_reverse(struct bpf_sock_addr *ctx)
{
	__be32 host_ip;
	__be16 host_port;

	if (ctx->family != NB_AF_INET_SOCK ||
	    !nb_sock_recorded(ctx, ctx->user_ip4, (__be16)ctx->user_port, &host_ip, &host_port))
		return;
	ctx->user_ip4 = host_ip;
	ctx->user_port = (__u32)host_port;
}

/* ::ffff:a.b.c.d: the IPv4 address a dual-stack socket names */
static __always_inline bool nb_sock_v4mapped(struct bpf_sock_addr *ctx, __be32 *v4)
{
	if (ctx->family != NB_AF_INET6_SOCK || ctx->user_ip6[0] || ctx->user_ip6[1] ||
	    ctx->user_ip6[2] != bpf_htonl(0xffff))
		return false;
	*v4 = ctx->user_ip6[3];
	return true;
}

/*
 * nb_sock_translate for an IPv4-mapped destination of an AF_INET6 socket's connect() (a
 * sendmsg6 hook would never see one: udpv6_sendmsg hands mapped ones to udp_sendmsg first)
 */
static __always_inline void nb_sock_translate6(struct bpf_sock_addr *ctx, __u8 proto)
{
	struct nb_publish_val *pub;
	bool wildcard;
	__be32 v4;

	if (!nb_sock_v4mapped(ctx, &v4) || !nb_sock_in_host_netns(ctx))
		return;
	pub = nb_publish_lookup(v4, (__be16)ctx->user_port, proto, &wildcard);
	if (!pub || (wildcard && !nb_sock_is_host_addr(v4)))
		return;
	if (!nb_sock_record(ctx, true, pub->sb_ip, pub->sb_port, v4, (__be16)ctx->user_port))
		return;
	ctx->user_ip6[3] = pub->sb_ip;
	ctx->user_port = (__u32)pub->sb_port;
	__sync_fetch_and_add(&pub->conns, 1);
}

static __always_inline void nb_sock_reverse6(struct bpf_sock_addr *ctx)
{
	__be32 v4, host_ip;
	__be16 host_port;

	if (!nb_sock_v4mapped(ctx, &v4) ||
	    !nb_sock_recorded(ctx, v4, (__be16)ctx->user_port, &host_ip, &host_port))
		return;
	ctx->user_ip6[3] = host_ip;
	ctx->user_port = (__u32)host_port;
}

/* ctx->user_ip6 word by word, each a constant offset (the verifier's rule for ctx) */
static __always_inline void nb_sock_get_ip6(struct bpf_sock_addr *ctx, __u8 *a)
{
	__u32 w[4];

	w[0] = ctx->user_ip6[0];
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	__builtin_memcpy(a, w, 16);
}

static __always_inline void nb_sock_set_ip6(struct bpf_sock_addr *ctx, const __u8 *a)
{
	__u32 w[4];

	__builtin_memcpy(w, a, 16);
	ctx->user_ip6[0] = w[0];
	ctx->user_ip6[1] = w[1];
	ctx->user_ip6[2] = w[2];
	ctx->user_ip6[3] = w[3];
}

/*
 * A native IPv6 destination: the published IPv6 port (nb_publish6) it names.
 * An exact (address, port) entry, else a [::] one for ::1 or a network's
 * IPv6 gateway address (the host's other IPv6 addresses are not known here:
 * publish on them explicitly for the host to use them).
 */
static __always_inline struct nb_publish6_val *nb_sock_publish6(struct bpf_sock_addr *ctx,
								__u8 proto, __u8 *dst)
{
	struct nb_publish6_key k = {.host_port = (__be16)ctx->user_port, .proto = proto};
	struct nb_lpm6_key lk = {.prefixlen = 128};
	struct nb_publish6_val *pub;
	struct nb_network *net;
	__u32 *net_id, i;

	nb_sock_get_ip6(ctx, dst);
	__builtin_memcpy(k.host_ip6, dst, 16);
	pub = bpf_map_lookup_elem(&NB_MAP_PUBLISH6, &k);
	if (pub)
		return pub;
	__builtin_memset(k.host_ip6, 0, 16);
	pub = bpf_map_lookup_elem(&NB_MAP_PUBLISH6, &k);
	if (!pub)
		return NULL;
	if (!ctx->user_ip6[0] && !ctx->user_ip6[1] && !ctx->user_ip6[2] &&
	    ctx->user_ip6[3] == bpf_htonl(1))
		return pub; /* ::1 */
	__builtin_memcpy(lk.addr, dst, 16);
	net_id = bpf_map_lookup_elem(&NB_MAP_SUBNETS6, &lk);
	if (!net_id)
		return NULL;
	net = bpf_map_lookup_elem(&NB_MAP_NETWORKS, net_id);
	if (!net)
		return NULL;
	for (i = 0; i < 16; i++)
		if (net->gateway6[i] != dst[i])
			return NULL;
	return pub;
}

/* nb_sock_translate for a native IPv6 destination of connect() */
static __always_inline void nb_sock_translate_ip6(struct bpf_sock_addr *ctx, __u8 proto)
{
	struct nb_sock_rnat6_key rk = {};
	struct nb_sock_rnat6_val rv = {};
	struct nb_publish6_val *pub;
	__u8 dst[16];

	if (ctx->user_family != NB_AF_INET6_SOCK || !nb_sock_in_host_netns(ctx))
		return;
	pub = nb_sock_publish6(ctx, proto, dst);
	if (!pub)
		return;
	rk.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(rk.sb_ip6, pub->sb_ip6, 16);
	rk.sb_port = pub->sb_port;
	__builtin_memcpy(rv.host_ip6, dst, 16);
	rv.host_port = (__be16)ctx->user_port;
	if (bpf_map_update_elem(&NB_MAP_SOCK_RNAT6, &rk, &rv, BPF_ANY))
		return;
	nb_sock_set_ip6(ctx, rk.sb_ip6);
	ctx->user_port = (__u32)pub->sb_port;
	__sync_fetch_and_add(&pub->conns, 1);
}

static __always_inline void nb_sock_reverse_ip6(struct bpf_sock_addr *ctx)
{
	struct nb_sock_rnat6_key rk = {};
	struct nb_sock_rnat6_val *rv;

	if (ctx->family != NB_AF_INET6_SOCK)
		return;
	rk.cookie = bpf_get_socket_cookie(ctx);
	nb_sock_get_ip6(ctx, rk.sb_ip6);
	rk.sb_port = (__be16)ctx->user_port;
	rv = bpf_map_lookup_elem(&NB_MAP_SOCK_RNAT6, &rk);
	if (!rv)
		return;
	nb_sock_set_ip6(ctx, rv->host_ip6);
	ctx->user_port = (__u32)rv->host_port;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	if (ctx->type == NB_SOCK_STREAM)
		nb_sock_translate(ctx, IPPROTO_TCP, true);
	else if (ctx->type == NB_SOCK_DGRAM)
		nb_sock_translate(ctx, IPPROTO_UDP, true);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	if (ctx->type == NB_SOCK_DGRAM)
		nb_sock_translate(ctx, IPPROTO_UDP, false);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/recvmsg4")
int recvmsg4(struct bpf_sock_addr *ctx)
{
	nb_sock_reverse(ctx);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/getpeername4")
int getpeername4(struct bpf_sock_addr *ctx)
{
	nb_sock_reverse(ctx);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	__be32 v4;
	__u8 proto = ctx->type == NB_SOCK_STREAM  ? IPPROTO_TCP
		     : ctx->type == NB_SOCK_DGRAM ? IPPROTO_UDP
						  : 0;

	if (!proto)
		return NB_SOCK_ALLOW;
	if (nb_sock_v4mapped(ctx, &v4))
		nb_sock_translate6(ctx, proto);
	else
		nb_sock_translate_ip6(ctx, proto);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	if (ctx->type == NB_SOCK_DGRAM)
		nb_sock_translate_ip6(ctx, IPPROTO_UDP);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/recvmsg6")
int recvmsg6(struct bpf_sock_addr *ctx)
{
	nb_sock_reverse6(ctx);
	nb_sock_reverse_ip6(ctx);
	return NB_SOCK_ALLOW;
}

SEC("cgroup/getpeername6")
int getpeername6(struct bpf_sock_addr *ctx)
{
	nb_sock_reverse6(ctx);
	nb_sock_reverse_ip6(ctx);
	return NB_SOCK_ALLOW;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
