/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connection tracking for translated flows (published ports, masquerade,
 * hairpin). nb_ct is an LRU hash with one entry per direction of a flow,
 * keyed by the 5-tuple as the packet carries it on the wire in that
 * direction; the value holds the tuple after translation, so one lookup
 * gives everything a packet needs. The entry of the other direction (the
 * "peer") has the key
 *     reverse(translated(key)) = { nat_daddr, nat_saddr, nat_dport, nat_sport }
 * and is only touched on state changes (first reply, FIN, RST).
 *
 * State machine (both entries of a flow carry the same state):
 *   NEW          created by the first packet (TCP: a SYN, or a packet picked
 *                up mid-stream for masquerade, which starts ESTABLISHED)
 *   ESTABLISHED  the reply direction carried a packet
 *   FIN          TCP: one side sent a FIN
 *   CLOSED       TCP: both sides sent a FIN, or either sent a RST
 * Entries are never deleted by the data plane: an entry whose timeout (by
 * protocol and state, from the last packet) has passed counts as absent at
 * lookup and is overwritten by the next flow that needs its key, and the LRU
 * reclaims the rest. A TCP SYN that hits a CLOSED entry starts a new flow
 * (a client reusing its port right after a close).
 *
 * TCP windows are tracked per direction as Linux's conntrack does
 * (nf_conntrack_proto_tcp.c, after "Real Stateful TCP Packet Filtering in IP
 * Filter"): each entry keeps (struct nb_ct_td, shared with IPv6's nb_ct6,
 * ct6.bpf.h) the highest sequence number its direction sent (end) and the
 * largest window it advertised (maxwin, scaled by wscale when used). A RST
 * or FIN whose sequence number lies outside the receiver's window around
 * td_end is not the peer's: it changes nothing and the caller drops it
 * (ct-invalid), so a blind attacker cannot close a flow. A direction not
 * seen yet (a RST answering a SYN) is taken as it comes.
 *
 * Half-open flows from outside live apart: a published-port SYN creates its
 * two entries in nb_ct_syn (NB_CT_F_HALF_OPEN), a smaller LRU of its own,
 * and the first answer moves them into nb_ct. A SYN flood thus evicts only
 * other half-open flows, never an established one (Linux's conntrack drops
 * unassured entries early for the same reason). Lookups try nb_ct first.
 *
 * Timestamps are bpf_ktime_get_ns() (CLOCK_MONOTONIC); seen_ns is refreshed
 * at most once per NB_CT_REFRESH_NS so that a busy flow does not write its
 * entry's cache line on every packet just for the clock.
 */
#ifndef NETBPF_CT_BPF_H
#define NETBPF_CT_BPF_H

#include "maps.bpf.h"
#include "events.bpf.h"

#define NB_NSEC		 1000000000ULL
#define NB_CT_REFRESH_NS (1 * NB_NSEC)

/*
 * Timeouts after the last packet (seconds) by slot, <netbpf/consts.h>: rodata
 * of every program that tracks flows, so the table the data plane uses is the
 * one a test reads from the object (tests/unit/test_nat.c).
 */
const volatile __u32 nb_ct_timeout_secs[NB_CT_TO_COUNT] = NB_CT_TIMEOUTS_INIT;

/* TCP flag bits as in byte 13 of the TCP header */
#define NB_TCP_FIN 0x01
#define NB_TCP_SYN 0x02
#define NB_TCP_RST 0x04
#define NB_TCP_ACK 0x10

/* the least window a receiver is credited with (RFC 9293's initial default) */
#define NB_CT_TCP_MIN_WIN 65535
#define NB_TCP_WSCALE_MAX 14

/* What window tracking needs of a TCP segment (all host order) */
struct nb_ct_tcp {
	__u32 seq;
	__u16 win;   /* the raw window field */
	__u16 plen;  /* payload bytes */
	__u8 flags;  /* NB_TCP_* (also for other protocols: 0) */
	__u8 wscale; /* a SYN's window scale option, 0xff = none */
};

/* the sequence space the segment occupies ends here (SYN and FIN count one) */
static __always_inline __u32 nb_ct_tcp_end(const struct nb_ct_tcp *t)
{
	return t->seq + t->plen + !!(t->flags & NB_TCP_SYN) + !!(t->flags & NB_TCP_FIN);
}

/* a after b in sequence space */
static __always_inline bool nb_seq_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

/* Records a segment of td's direction: its end, its window, a SYN's scale. */
static __always_inline void nb_ct_td_update(struct nb_ct_td *td, const struct nb_ct_tcp *t)
{
	__u32 end = nb_ct_tcp_end(t);

	if (t->flags & NB_TCP_SYN)
		td->wscale = t->wscale == 0xff ? 0 : t->wscale;
	if (!(td->flags & NB_CT_TD_KNOWN)) {
		td->end = end;
		td->maxwin = t->win;
		td->flags |= NB_CT_TD_KNOWN;
		return;
	}
	if (nb_seq_after(end, td->end))
		td->end = end;
	/* the raw field: scaled when used (a SYN's window, never scaled, is thus counted
	 * generously, which only widens the window) */
	if (t->win > td->maxwin)
		td->maxwin = t->win;
}

/* A new flow's first segment, in its forward entry */
static __always_inline void nb_ct_td_first(struct nb_ct_entry *e, __u8 proto,
					   const struct nb_ct_tcp *t)
{
	if (proto == IPPROTO_TCP)
		nb_ct_td_update(&e->td, t);
}

/*
 * May a RST or FIN of td's direction (segment t) change the flow? Its
 * sequence number must lie within the receiver's (peer's, NULL when unknown)
 * window around what td's direction sent so far: what a blind attacker
 * cannot know. The same for IPv4 (nb_ct) and IPv6 (nb_ct6).
 */
static __always_inline bool nb_ct_td_in_window(const struct nb_ct_td *td,
					       const struct nb_ct_td *peer,
					       const struct nb_ct_tcp *t)
{
	__u32 w;

	if (!(td->flags & NB_CT_TD_KNOWN))
		return true;
	w = peer && (peer->flags & NB_CT_TD_KNOWN) ? (__u32)peer->maxwin << (peer->wscale & 0xf)
						   : 0;
	if (w < NB_CT_TCP_MIN_WIN)
		w = NB_CT_TCP_MIN_WIN;
	return !nb_seq_after(t->seq, td->end + w) && !nb_seq_after(td->end - w, t->seq);
}

/*
 * A segment of td's direction, td_peer the other's (NULL when unknown): false
 * for a RST or FIN outside the window (the caller drops it, nothing changed),
 * else the segment is recorded.
 */
static __always_inline bool nb_ct_td_seen(struct nb_ct_td *td, const struct nb_ct_td *td_peer,
					  const struct nb_ct_tcp *t)
{
	if ((t->flags & (NB_TCP_RST | NB_TCP_FIN)) && !nb_ct_td_in_window(td, td_peer, t))
		return false;
	nb_ct_td_update(td, t);
	return true;
}

/* A walk over a SYN's TCP options, one byte per bpf_loop() step */
struct nb_tcp_opt_walk {
	nb_ctx_t *ctx;
	__u32 off;  /* of the options */
	__u32 len;  /* of the options */
	__u32 next; /* offset of the next option's kind byte */
	int wscale; /* the result, 0xff = none */
};

static long nb_tcp_opt_step(__u64 i, void *data)
{
	struct nb_tcp_opt_walk *w = data;
	__u8 o[3]; /* kind, length, value */

	if (i >= w->len)
		return 1;
	if (i != w->next)
		return 0; /* inside an option */
	if (nb_ctx_load(w->ctx, w->off + i, o, 1) || o[0] == 0 /* end of options */)
		return 1;
	if (o[0] == 1) { /* no-operation */
		w->next = i + 1;
		return 0;
	}
	if (i + 2 > w->len || nb_ctx_load(w->ctx, w->off + i, o, 2) || o[1] < 2)
		return 1;
	if (o[0] == 3 && o[1] == 3) {
		if (i + 3 <= w->len && !nb_ctx_load(w->ctx, w->off + i, o, 3))
			w->wscale = o[2] > NB_TCP_WSCALE_MAX ? NB_TCP_WSCALE_MAX : o[2];
		return 1;
	}
	w->next = i + o[1];
	return 0;
}

/*
 * The window scale option (RFC 7323) among a SYN's len bytes of TCP options
 * at off, or 0xff when it has none. Only SYNs carry it, so the walk (at most
 * 40 helper calls) is off the fast path. A global function, so that its
 * stack (and bpf_loop()'s) is not added to its callers', which masquerade's
 * port search already fills.
 */
__noinline int nb_tcp_opt_wscale(nb_ctx_t *ctx, __u32 off, __u32 len)
{
	struct nb_tcp_opt_walk w = {.ctx = ctx, .off = off, .len = len, .wscale = 0xff};

	if (!ctx || len > 40)
		return 0xff;
	bpf_loop(40, nb_tcp_opt_step, &w, 0);
	return w.wscale;
}

/*
 * What window tracking needs of the TCP header th (a copy or the packet's),
 * at l4_off in a datagram whose L4 part is l4_len bytes long: IPv4 and IPv6
 * alike. A header longer than the datagram says "no payload, no options".
 */
static __always_inline void nb_ct_tcp_read(nb_ctx_t *ctx, const struct tcphdr *th, __u32 l4_off,
					   __u32 l4_len, struct nb_ct_tcp *t)
{
	__u32 hl = th->doff * 4;

	t->flags = ((const __u8 *)th)[13];
	t->seq = bpf_ntohl(th->seq);
	t->win = bpf_ntohs(th->window);
	t->wscale = 0xff;
	t->plen = 0;
	if (hl < sizeof(*th) || hl > l4_len)
		return;
	t->plen = l4_len - hl;
	if ((t->flags & NB_TCP_SYN) && hl > sizeof(*th))
		t->wscale = nb_tcp_opt_wscale(ctx, l4_off + sizeof(*th), hl - sizeof(*th));
}

static __always_inline __u64 nb_ct_timeout(__u8 proto, __u8 state)
{
	return (__u64)nb_ct_timeout_secs[nb_ct_timeout_slot(proto, state)] * NB_NSEC;
}

static __always_inline bool nb_ct_alive(const struct nb_ct_entry *e, __u8 proto, __u64 now)
{
	/* seen_ns may be a little ahead of now when another CPU just wrote it */
	return now < e->seen_ns || now - e->seen_ns <= nb_ct_timeout(proto, e->state);
}

/*
 * May another flow take over e's key? When it has expired, or when it is a
 * TCP flow that closed (FINs both ways, or RST) and a SYN opens the new
 * one: Linux's NAT reuses such tuples too, or a client cycling through its
 * ports would be refused for NB_CT_TCP_CLOSED_NS.
 */
static __always_inline bool nb_ct_reusable(const struct nb_ct_entry *e, __u8 proto, __u8 tcp_flags,
					   __u64 now)
{
	if (!nb_ct_alive(e, proto, now))
		return true;
	return proto == IPPROTO_TCP && e->state == NB_CT_S_CLOSED &&
	       (tcp_flags & (NB_TCP_SYN | NB_TCP_ACK)) == NB_TCP_SYN;
}

/* The key of the other direction of the flow e translates k into. */
static __always_inline void nb_ct_peer_key(const struct nb_ct_key *k, const struct nb_ct_entry *e,
					   struct nb_ct_key *peer)
{
	peer->saddr = e->nat_daddr;
	peer->daddr = e->nat_saddr;
	peer->sport = e->nat_dport;
	peer->dport = e->nat_sport;
	peer->proto = k->proto;
	peer->pad[0] = peer->pad[1] = peer->pad[2] = 0;
}

/* The entry of the other direction of e's flow (key pk), in the map e lives in */
static __always_inline struct nb_ct_entry *nb_ct_peer(const struct nb_ct_entry *e,
						      const struct nb_ct_key *pk)
{
	if (e->flags & NB_CT_F_HALF_OPEN)
		return bpf_map_lookup_elem(&NB_MAP_CT_SYN, pk);
	return bpf_map_lookup_elem(&NB_MAP_CT, pk);
}

/* True when e (found under some key) translates into the reverse of k: e is k's peer. */
static __always_inline bool nb_ct_is_peer_of(const struct nb_ct_entry *e, const struct nb_ct_key *k)
{
	return e->nat_saddr == k->daddr && e->nat_daddr == k->saddr && e->nat_sport == k->dport &&
	       e->nat_dport == k->sport;
}

/*
 * The live entry for k, or NULL. tcp_flags of the packet being looked up
 * (0 for others): a bare SYN on a CLOSED flow is a new connection. *in_ct:
 * nb_ct holds an entry under k, live or not, which a new half-open flow
 * under k must delete (nb_ct_create_pair_in()): a new flow's path then asks
 * nb_ct about its key once.
 */
static __always_inline struct nb_ct_entry *nb_ct_lookup_in(const struct nb_ct_key *k,
							   __u8 tcp_flags, __u64 now, bool *in_ct)
{
	struct nb_ct_entry *e = bpf_map_lookup_elem(&NB_MAP_CT, k);

	*in_ct = e != NULL;
	if (!e || !nb_ct_alive(e, k->proto, now)) {
		if (k->proto != IPPROTO_TCP)
			return NULL;
		e = bpf_map_lookup_elem(&NB_MAP_CT_SYN, k);
		if (!e || !nb_ct_alive(e, k->proto, now))
			return NULL;
	}
	if (k->proto == IPPROTO_TCP && e->state == NB_CT_S_CLOSED &&
	    (tcp_flags & (NB_TCP_SYN | NB_TCP_ACK)) == NB_TCP_SYN)
		return NULL;
	return e;
}

static __always_inline struct nb_ct_entry *nb_ct_lookup(const struct nb_ct_key *k, __u8 tcp_flags,
							__u64 now)
{
	bool in_ct;

	return nb_ct_lookup_in(k, tcp_flags, now, &in_ct);
}

/* The state a new flow starts in, from its first packet. */
static __always_inline __u8 nb_ct_initial_state(__u8 proto, __u8 tcp_flags)
{
	if (proto != IPPROTO_TCP)
		return NB_CT_S_NEW;
	if (tcp_flags & NB_TCP_RST)
		return NB_CT_S_CLOSED;
	if ((tcp_flags & (NB_TCP_SYN | NB_TCP_ACK)) == NB_TCP_SYN)
		return NB_CT_S_NEW;
	/* picked up mid-stream (masquerade after an LRU eviction) */
	return NB_CT_S_ESTABLISHED;
}

static __always_inline void nb_ct_entry_init(struct nb_ct_entry *e, __u8 type, __u8 dir, __u8 state,
					     __u64 now)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->dir = dir;
	e->state = state;
	e->created_ns = now;
	e->seen_ns = now;
}

/*
 * Moves a half-open flow (e under k, peer under pk, both in nb_ct_syn) into
 * nb_ct. The copies left behind are made to look expired, not deleted: the
 * caller still reads e. Not inlined: rare, and its stack is small.
 */
static __noinline void nb_ct_promote(const struct nb_ct_key *k, struct nb_ct_entry *e,
				     const struct nb_ct_key *pk, struct nb_ct_entry *peer)
{
	e->flags &= ~NB_CT_F_HALF_OPEN;
	peer->flags &= ~NB_CT_F_HALF_OPEN;
	/* the peer first: a packet finds a flow by its forward entry (see below) */
	if (bpf_map_update_elem(&NB_MAP_CT, pk, peer, BPF_ANY) ||
	    bpf_map_update_elem(&NB_MAP_CT, k, e, BPF_ANY)) {
		/* no room: it stays half-open, as it was */
		e->flags |= NB_CT_F_HALF_OPEN;
		peer->flags |= NB_CT_F_HALF_OPEN;
		return;
	}
	e->seen_ns = 0;
	peer->seen_ns = 0;
}

/*
 * Accounts a packet of len bytes to e (found under k) and advances the
 * state machine, mirroring state changes into the peer entry. t: the TCP
 * segment (NULL for other protocols). False, and nothing changed, for a
 * RST or FIN outside the window: the caller drops the packet.
 */
static __always_inline bool nb_ct_seen(const struct nb_ct_key *k, struct nb_ct_entry *e,
				       const struct nb_ct_tcp *t, __u32 len, __u64 now)
{
	__u8 state = e->state, nstate = state, nflags = e->flags;
	__u8 tcp_flags = t ? t->flags : 0;
	struct nb_ct_entry *peer = NULL;
	struct nb_ct_key pk;

	if (k->proto == IPPROTO_TCP && t) {
		if (tcp_flags & (NB_TCP_RST | NB_TCP_FIN)) {
			nb_ct_peer_key(k, e, &pk);
			peer = nb_ct_peer(e, &pk);
		}
		if (!nb_ct_td_seen(&e->td, peer ? &peer->td : NULL, t))
			return false;
	}
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->bytes, len);
	if (now > e->seen_ns + NB_CT_REFRESH_NS)
		e->seen_ns = now;

	if (e->dir == NB_CT_DIR_REPLY) {
		nflags |= NB_CT_F_SEEN;
		if (nstate == NB_CT_S_NEW)
			nstate = NB_CT_S_ESTABLISHED;
	}
	if (k->proto == IPPROTO_TCP) {
		if (tcp_flags & NB_TCP_RST)
			nstate = NB_CT_S_CLOSED;
		else if (tcp_flags & NB_TCP_FIN) {
			nflags |= NB_CT_F_FIN;
			if (nstate != NB_CT_S_CLOSED)
				nstate = NB_CT_S_FIN;
		}
	}
	if (nstate == state && nflags == e->flags)
		return true;

	/* a state change: rare (a handful per flow), so the peer lookup is too */
	if (!peer) {
		nb_ct_peer_key(k, e, &pk);
		peer = nb_ct_peer(e, &pk);
	}
	if (peer && nstate == NB_CT_S_FIN && (peer->flags & NB_CT_F_FIN))
		nstate = NB_CT_S_CLOSED;
	e->flags = nflags;
	e->state = nstate;
	if (peer && peer->state != nstate) {
		peer->state = nstate;
		if (now > peer->seen_ns + NB_CT_REFRESH_NS)
			peer->seen_ns = now;
	}
	/* answered: the flow is established and moves to nb_ct */
	if ((nflags & NB_CT_F_HALF_OPEN) && nstate == NB_CT_S_ESTABLISHED && peer)
		nb_ct_promote(k, e, &pk, peer);
	return true;
}

/*
 * Inserts the two entries of a new flow, reply first: a packet can only
 * find the flow by its forward entry, so no packet ever sees half a flow.
 * The reply key must be free (absent, reusable, or already this flow's
 * peer, e.g. after the forward entry was evicted); otherwise another flow
 * owns it and this one is refused. On failure nothing is left behind.
 * In two steps for a caller short of stack, who builds both entries in one
 * buffer: nb_ct_put_reply(), then nb_ct_put_forward().
 */
static __always_inline bool nb_ct_key_taken(const struct nb_ct_key *fk, const struct nb_ct_key *rk,
					    struct nb_ct_entry *old, __u8 tcp_flags, __u64 now)
{
	return old && !nb_ct_reusable(old, rk->proto, tcp_flags, now) && !nb_ct_is_peer_of(old, fk);
}

/*
 * Entries with NB_CT_F_HALF_OPEN go to nb_ct_syn, the others to nb_ct.
 * fk_in_ct: whether nb_ct holds an entry under fk (nb_ct_lookup_in()), or
 * -1 when the caller does not know.
 */
static __always_inline int nb_ct_put_reply_in(const struct nb_ct_key *fk,
					      const struct nb_ct_key *rk,
					      const struct nb_ct_entry *re, __u8 tcp_flags,
					      __u64 now, int fk_in_ct)
{
	struct nb_ct_entry *old = bpf_map_lookup_elem(&NB_MAP_CT, rk);
	int err;

	if (nb_ct_key_taken(fk, rk, old, tcp_flags, now))
		return -NB_DROP_CT_INVALID;
	if (re->flags & NB_CT_F_HALF_OPEN) {
		if (nb_ct_key_taken(fk, rk, bpf_map_lookup_elem(&NB_MAP_CT_SYN, rk), tcp_flags,
				    now))
			return -NB_DROP_CT_INVALID;
		/*
		 * What nb_ct holds under these keys is over (reusable): lookups try nb_ct
		 * first, and must find the new flow. Deleted only when there: a delete
		 * takes the bucket's lock, a lookup does not, and a new flow's keys are
		 * nearly always free.
		 */
		if (old)
			bpf_map_delete_elem(&NB_MAP_CT, rk);
		if (fk_in_ct < 0)
			fk_in_ct = bpf_map_lookup_elem(&NB_MAP_CT, fk) != NULL;
		if (fk_in_ct)
			bpf_map_delete_elem(&NB_MAP_CT, fk);
		err = bpf_map_update_elem(&NB_MAP_CT_SYN, rk, re, BPF_ANY);
	} else {
		err = bpf_map_update_elem(&NB_MAP_CT, rk, re, BPF_ANY);
	}
	return err ? -NB_DROP_CT_FULL : 0;
}

static __always_inline int nb_ct_put_reply(const struct nb_ct_key *fk, const struct nb_ct_key *rk,
					   const struct nb_ct_entry *re, __u8 tcp_flags, __u64 now)
{
	return nb_ct_put_reply_in(fk, rk, re, tcp_flags, now, -1);
}

static __always_inline int nb_ct_put_forward(const struct nb_ct_key *fk,
					     const struct nb_ct_entry *fe,
					     const struct nb_ct_key *rk)
{
	if (fe->flags & NB_CT_F_HALF_OPEN) {
		if (bpf_map_update_elem(&NB_MAP_CT_SYN, fk, fe, BPF_ANY)) {
			bpf_map_delete_elem(&NB_MAP_CT_SYN, rk);
			return -NB_DROP_CT_FULL;
		}
	} else if (bpf_map_update_elem(&NB_MAP_CT, fk, fe, BPF_ANY)) {
		bpf_map_delete_elem(&NB_MAP_CT, rk);
		return -NB_DROP_CT_FULL;
	}
	nb_event_nat(fk, fe);
	return 0;
}

static __always_inline int nb_ct_create_pair(const struct nb_ct_key *fk,
					     const struct nb_ct_entry *fe,
					     const struct nb_ct_key *rk,
					     const struct nb_ct_entry *re, __u8 tcp_flags,
					     __u64 now)
{
	int err = nb_ct_put_reply(fk, rk, re, tcp_flags, now);

	return err ?: nb_ct_put_forward(fk, fe, rk);
}

/* nb_ct_create_pair() after nb_ct_lookup_in(fk) said whether nb_ct holds fk */
static __always_inline int nb_ct_create_pair_in(const struct nb_ct_key *fk,
						const struct nb_ct_entry *fe,
						const struct nb_ct_key *rk,
						const struct nb_ct_entry *re, __u8 tcp_flags,
						__u64 now, bool fk_in_ct)
{
	int err = nb_ct_put_reply_in(fk, rk, re, tcp_flags, now, fk_in_ct);

	return err ?: nb_ct_put_forward(fk, fe, rk);
}

#endif
