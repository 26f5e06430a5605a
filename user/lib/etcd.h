/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A client of etcd 3.4's v3 JSON gateway (the grpc-gateway every etcd serves
 * next to gRPC): libcurl for HTTP(S), jansson for the bodies. The gateway's
 * conventions, which the pure helpers below handle: keys and values are
 * base64; 64-bit numbers (revisions, lease ids, TTLs) are JSON strings; a
 * field with its default value is omitted (a failed txn has no "succeeded",
 * a PUT event no "type", an empty range no "kvs").
 *
 * A client holds a list of endpoints (etcd://IP:2379,IP:2379 or http(s)://);
 * a request that cannot reach one member (connect error, timeout, 5xx, "no
 * leader") goes to the next, and the member that answered is tried first
 * next time. A failure leaves in the error slot one line naming every
 * endpoint tried and its cause. A client is one thread's: it holds one curl
 * handle (a thread that watches and one that keeps a lease alive each open
 * their own).
 */
#ifndef NETBPF_ETCD_H
#define NETBPF_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define NB_ETCD_MAX_ENDPOINTS 16
#define NB_ETCD_TIMEOUT_MS    5000

struct nb_etcd_opts {
	const char *endpoints;	/* "etcd://IP:2379[,IP:2379...]", http:// or https:// each */
	const char *cacert;	/* PEM bundle to verify the members (etcdctl --cacert) */
	const char *cert, *key; /* client certificate and key (etcdctl --cert/--key) */
	const char *user;	/* "NAME" or "NAME:PASSWORD" (etcdctl --user) */
	const char *password;	/* when user has none (etcdctl --password) */
	long timeout_ms;	/* per request and per connect; 0: NB_ETCD_TIMEOUT_MS */
};

struct nb_etcd;

/* Parses the endpoints (no network yet); -EINVAL with the cause in the slot */
int nb_etcd_open(const struct nb_etcd_opts *o, struct nb_etcd **out);
void nb_etcd_close(struct nb_etcd *e);
/* "IP:2379,IP:2379": the endpoints as the user gave them, for messages */
const char *nb_etcd_endpoints(const struct nb_etcd *e);
/* Whether a store URL list parses (for option checks); the cause in the slot */
int nb_etcd_endpoints_check(const char *endpoints);

struct nb_etcd_kv {
	char *key;
	char *value; /* NUL-terminated copy; value_len bytes are the value */
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};

struct nb_etcd_kvs {
	struct nb_etcd_kv *kv;
	size_t n;
	int64_t revision; /* the store's revision when the range was read */
};

void nb_etcd_kvs_free(struct nb_etcd_kvs *kvs);

/* key, or every key under the prefix key; rev 0: the latest */
int nb_etcd_range(struct nb_etcd *e, const char *key, bool prefix, int64_t rev,
		  struct nb_etcd_kvs *out);
/* lease 0: none; *rev (may be NULL): the revision of the put */
int nb_etcd_put(struct nb_etcd *e, const char *key, const char *value, int64_t lease, int64_t *rev);
/* *deleted (may be NULL): how many keys went */
int nb_etcd_delete(struct nb_etcd *e, const char *key, bool prefix, int64_t *deleted);

enum nb_etcd_target { NB_ETCD_VERSION, NB_ETCD_CREATE, NB_ETCD_MOD, NB_ETCD_VALUE };
enum nb_etcd_result { NB_ETCD_EQUAL, NB_ETCD_NOT_EQUAL, NB_ETCD_GREATER, NB_ETCD_LESS };

struct nb_etcd_cmp {
	const char *key;
	enum nb_etcd_target target;
	enum nb_etcd_result result;
	int64_t number;	   /* VERSION, CREATE, MOD */
	const char *value; /* VALUE */
};

enum nb_etcd_op_type { NB_ETCD_OP_PUT, NB_ETCD_OP_DELETE };

struct nb_etcd_op {
	enum nb_etcd_op_type type;
	const char *key;
	const char *value; /* PUT */
	int64_t lease;	   /* PUT */
	bool prefix;	   /* DELETE */
};

/* *succeeded: whether the compares held (the success ops ran), else the failure ops ran */
int nb_etcd_txn(struct nb_etcd *e, const struct nb_etcd_cmp *cmp, size_t ncmp,
		const struct nb_etcd_op *success, size_t nsuccess, const struct nb_etcd_op *failure,
		size_t nfailure, bool *succeeded, int64_t *rev);
/* Creates key only when absent (compare VERSION == 0); 0 created, -EEXIST when it was there */
int nb_etcd_create(struct nb_etcd *e, const char *key, const char *value, int64_t lease);

int nb_etcd_lease_grant(struct nb_etcd *e, int64_t ttl, int64_t *id);
/* *ttl: the TTL renewed; -ENOENT (lease expired or revoked) when etcd answers TTL 0 */
int nb_etcd_lease_keepalive(struct nb_etcd *e, int64_t id, int64_t *ttl);
int nb_etcd_lease_revoke(struct nb_etcd *e, int64_t id);
/* *ttl: seconds left, *granted: the TTL granted; -ENOENT when the lease is gone */
int nb_etcd_lease_ttl(struct nb_etcd *e, int64_t id, int64_t *ttl, int64_t *granted);

enum nb_etcd_event_type { NB_ETCD_EV_PUT, NB_ETCD_EV_DELETE };

struct nb_etcd_event {
	enum nb_etcd_event_type type;
	struct nb_etcd_kv kv; /* DELETE: key and mod_revision only */
};

/*
 * Called once per watch response with its events (n may be 0: the created
 * response, progress); revision is the header's. Returning non-zero ends the
 * watch with that value.
 */
typedef int (*nb_etcd_watch_fn)(const struct nb_etcd_event *ev, size_t n, int64_t revision,
				void *arg);

/*
 * Streams the changes of key (or of the prefix) from start_rev (0: from now)
 * until fn returns non-zero (that value is returned), *stop becomes non-zero
 * (0), or the stream breaks. When the member goes away the watch goes on at
 * the next endpoint from the revision after the last one delivered. Returns
 * -ESTALE when start_rev was compacted (*compact_rev, may be NULL, says the
 * oldest revision left: the caller re-lists and watches from its revision+1),
 * -EHOSTUNREACH when no endpoint can be watched.
 */
int nb_etcd_watch(struct nb_etcd *e, const char *key, bool prefix, int64_t start_rev,
		  nb_etcd_watch_fn fn, void *arg, const volatile int *stop, int64_t *compact_rev);

/* ---- pure helpers (unit-tested) ------------------------------------------- */

/* base64 (RFC 4648, padded); malloc'd, NUL-terminated; NULL when out of memory */
char *nb_b64_encode(const void *data, size_t len);
/* -EINVAL on a malformed input; *out malloc'd and NUL-terminated, *len without the NUL */
int nb_b64_decode(const char *s, char **out, size_t *len);
/* A gateway number: a JSON string of digits (or a JSON integer); -EINVAL otherwise, 0 when absent
 */
int nb_etcd_json_i64(const json_t *obj, const char *field, int64_t *out);
/* the key range of every key under prefix: its last byte +1 (etcd's "prefix" option) */
char *nb_etcd_prefix_end(const char *prefix);
json_t *nb_etcd_range_req(const char *key, bool prefix, int64_t rev);
json_t *nb_etcd_txn_req(const struct nb_etcd_cmp *cmp, size_t ncmp,
			const struct nb_etcd_op *success, size_t nsuccess,
			const struct nb_etcd_op *failure, size_t nfailure);
/* A RangeResponse (or a txn's response_range) into out; -EINVAL when malformed */
int nb_etcd_parse_kvs(const json_t *resp, struct nb_etcd_kvs *out);
void nb_etcd_kv_free(struct nb_etcd_kv *kv);

/*
 * The watch stream's framing: the gateway writes one JSON message per line,
 * and HTTP hands them over in chunks cut anywhere. Feed the chunks; each
 * complete line is handed to fn (return non-zero to stop: nb_etcd_stream_feed
 * returns it).
 */
struct nb_etcd_stream {
	char *buf;
	size_t len, cap;
};
typedef int (*nb_etcd_line_fn)(const char *line, size_t len, void *arg);
int nb_etcd_stream_feed(struct nb_etcd_stream *s, const char *data, size_t len, nb_etcd_line_fn fn,
			void *arg);
void nb_etcd_stream_free(struct nb_etcd_stream *s);

/*
 * One watch message: {"result": {...}} or {"error": {...}}. Fills *ev and *n
 * (malloc'd, free with nb_etcd_events_free), *revision, *created, *compact_rev
 * (non-zero: the watch was cancelled because its start was compacted) and
 * *canceled. -EPROTO with the cause in the slot for a message that is not one.
 */
int nb_etcd_watch_parse(const char *line, size_t len, struct nb_etcd_event **ev, size_t *n,
			int64_t *revision, bool *created, bool *canceled, int64_t *compact_rev);
void nb_etcd_events_free(struct nb_etcd_event *ev, size_t n);

#endif
