// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The pure parts of the etcd client (etcd.h) and the host records
 * (cluster.h): base64, the gateway's numbers as strings, request bodies,
 * responses with omitted defaults, watch messages and their framing across
 * chunk boundaries. The wire shapes are etcd 3.4's gateway's, as captured
 * from a real member.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cluster.h"
#include "etcd.h"
#include "log.h"

static void b64_case(const char *plain, size_t len, const char *enc)
{
	char *e = nb_b64_encode(plain, len), *d;
	size_t n;

	assert_non_null(e);
	assert_string_equal(e, enc);
	assert_int_equal(nb_b64_decode(enc, &d, &n), 0);
	assert_int_equal(n, len);
	assert_memory_equal(d, plain, len);
	assert_int_equal(d[n], 0);
	free(e);
	free(d);
}

static void test_b64(void **s)
{
	(void)s;
	/* RFC 4648's vectors */
	b64_case("", 0, "");
	b64_case("f", 1, "Zg==");
	b64_case("fo", 2, "Zm8=");
	b64_case("foo", 3, "Zm9v");
	b64_case("foob", 4, "Zm9vYg==");
	b64_case("fooba", 5, "Zm9vYmE=");
	b64_case("foobar", 6, "Zm9vYmFy");
	/* etcd's keys: the prefix of netbpf's layout; bytes above 0x7f and NULs */
	b64_case("/netbpf/v1/", 11, "L25ldGJwZi92MS8=");
	b64_case("\xff\xfe\x00\x01", 4, "//4AAQ==");
}

static void test_b64_bad(void **s)
{
	static const char *const bad[] = {
	    "Zg=", "Zm9", "Z===", "Zm9v!A==", "=Zm9", "Zg==Zg==", "Zm=v"};
	size_t i, n;
	char *d;

	(void)s;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(nb_b64_decode(bad[i], &d, &n), -EINVAL);
		assert_null(d);
	}
}

static void test_i64(void **s)
{
	json_t *o = json_pack("{s:s,s:I,s:s,s:s,s:b}", "big", "9223372036854775807", "num",
			      (json_int_t)42, "neg", "-1", "bad", "12x", "bool", 1);
	int64_t v;

	(void)s;
	assert_int_equal(nb_etcd_json_i64(o, "big", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(nb_etcd_json_i64(o, "num", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(nb_etcd_json_i64(o, "neg", &v), 0);
	assert_int_equal(v, -1);
	/* omitted: the default, 0 */
	assert_int_equal(nb_etcd_json_i64(o, "absent", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(nb_etcd_json_i64(o, "bad", &v), -EINVAL);
	assert_int_equal(nb_etcd_json_i64(o, "bool", &v), -EINVAL);
	json_decref(o);
}

static void test_prefix_end(void **s)
{
	char *e;

	(void)s;
	e = nb_etcd_prefix_end("/netbpf/v1/");
	assert_string_equal(e, "/netbpf/v10");
	free(e);
	e = nb_etcd_prefix_end("a\xff\xff");
	assert_string_equal(e, "b");
	free(e);
	e = nb_etcd_prefix_end("\xff");
	assert_string_equal(e, "");
	free(e);
}

static void assert_json(json_t *got, const char *want)
{
	json_error_t err;
	json_t *w = json_loads(want, 0, &err);
	char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

	assert_non_null(w);
	if (!json_equal(got, w))
		fail_msg("got %s\nwant %s", g, want);
	free(g);
	json_decref(w);
	json_decref(got);
}

static void test_range_req(void **s)
{
	(void)s;
	assert_json(nb_etcd_range_req("/netbpf/v1/", true, 0),
		    "{\"key\":\"L25ldGJwZi92MS8=\",\"range_end\":\"L25ldGJwZi92MTA=\"}");
	/* 64-bit numbers go as strings */
	assert_json(nb_etcd_range_req("k", false, 8589934592LL),
		    "{\"key\":\"aw==\",\"revision\":\"8589934592\"}");
}

static void test_txn_req(void **s)
{
	struct nb_etcd_cmp cmp[] = {
	    {"k", NB_ETCD_VERSION, NB_ETCD_EQUAL, 0, NULL},
	    {"m", NB_ETCD_MOD, NB_ETCD_LESS, 7, NULL},
	    {"v", NB_ETCD_VALUE, NB_ETCD_NOT_EQUAL, 0, "x"},
	};
	struct nb_etcd_op ok[] = {{NB_ETCD_OP_PUT, "k", "v", 7587, false}};
	struct nb_etcd_op ko[] = {{NB_ETCD_OP_DELETE, "p/", NULL, 0, true}};

	(void)s;
	/* create-if-absent: compare VERSION == "0" */
	assert_json(
	    nb_etcd_txn_req(cmp, 3, ok, 1, ko, 1),
	    "{\"compare\":["
	    "{\"key\":\"aw==\",\"target\":\"VERSION\",\"result\":\"EQUAL\",\"version\":\"0\"},"
	    "{\"key\":\"bQ==\",\"target\":\"MOD\",\"result\":\"LESS\","
	    "\"mod_revision\":\"7\"},"
	    "{\"key\":\"dg==\",\"target\":\"VALUE\",\"result\":\"NOT_EQUAL\",\"value\":\"eA==\"}],"
	    "\"success\":[{\"request_put\":{\"key\":\"aw==\",\"value\":\"dg==\","
	    "\"lease\":\"7587\"}}],"
	    "\"failure\":[{\"request_delete_range\":{\"key\":\"cC8=\",\"range_end\":\"cDA=\"}}]}");
}

/* etcd 3.4's answer to a range with two keys, one with a lease; another one empty */
static const char range_resp[] =
    "{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"9007199254740993\","
    "\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"L3QvYQ==\",\"create_revision\":\"4\","
    "\"mod_revision\":\"5\",\"version\":\"2\",\"value\":\"aMOpbGxv\"},"
    "{\"key\":\"L3QvYg==\",\"create_revision\":\"6\",\"mod_revision\":\"6\",\"version\":\"1\","
    "\"lease\":\"824055663515279621\"}],\"count\":\"2\"}";

static void test_parse_kvs(void **s)
{
	struct nb_etcd_kvs kvs;
	json_t *o = json_loads(range_resp, 0, NULL);

	(void)s;
	assert_int_equal(nb_etcd_parse_kvs(o, &kvs), 0);
	/* above 2^53: a double would have lost it */
	assert_true(kvs.revision == 9007199254740993LL);
	assert_int_equal(kvs.n, 2);
	assert_string_equal(kvs.kv[0].key, "/t/a");
	assert_string_equal(kvs.kv[0].value, "h\xc3\xa9llo");
	assert_int_equal(kvs.kv[0].version, 2);
	assert_int_equal(kvs.kv[0].lease, 0);
	/* an empty value is omitted */
	assert_string_equal(kvs.kv[1].value, "");
	assert_int_equal(kvs.kv[1].value_len, 0);
	assert_true(kvs.kv[1].lease == 824055663515279621LL);
	nb_etcd_kvs_free(&kvs);
	json_decref(o);

	o = json_loads("{\"header\":{\"revision\":\"3\"}}", 0, NULL);
	assert_int_equal(nb_etcd_parse_kvs(o, &kvs), 0);
	assert_int_equal(kvs.n, 0);
	assert_int_equal(kvs.revision, 3);
	json_decref(o);

	o = json_loads("{\"header\":{\"revision\":\"3\"},\"kvs\":[{\"key\":\"!!\"}]}", 0, NULL);
	assert_int_equal(nb_etcd_parse_kvs(o, &kvs), -EINVAL);
	json_decref(o);
}

static const char w_created[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"revision\":\"14\"},\"created\":true}}";
/* a PUT has no "type" (the enum's default); a DELETE's kv has key and mod_revision */
static const char w_events[] =
    "{\"result\":{\"header\":{\"revision\":\"16\"},\"events\":[{\"kv\":{\"key\":\"L3Qvdy9h\","
    "\"create_revision\":\"15\",\"mod_revision\":\"15\",\"version\":\"1\",\"value\":\"MQ==\"}},"
    "{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3Qvdy9h\",\"mod_revision\":\"16\"}}]}}";
static const char w_compacted[] =
    "{\"result\":{\"header\":{\"revision\":\"20\"},\"compact_revision\":\"18\","
    "\"canceled\":true,\"cancel_reason\":\"mvcc: required revision has been compacted\"}}";

static const char w_error[] = "{\"error\":{\"grpc_code\":14,\"message\":\"no leader\"}}";

static void test_watch_parse(void **s)
{
	struct nb_etcd_event *ev;
	int64_t rev, compact;
	bool created, canceled;
	size_t n;

	(void)s;
	assert_int_equal(nb_etcd_watch_parse(w_created, strlen(w_created), &ev, &n, &rev, &created,
					     &canceled, &compact),
			 0);
	assert_true(created);
	assert_false(canceled);
	assert_int_equal(rev, 14);
	assert_int_equal(n, 0);

	assert_int_equal(nb_etcd_watch_parse(w_events, strlen(w_events), &ev, &n, &rev, &created,
					     &canceled, &compact),
			 0);
	assert_false(created);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].type, NB_ETCD_EV_PUT);
	assert_string_equal(ev[0].kv.key, "/t/w/a");
	assert_string_equal(ev[0].kv.value, "1");
	assert_int_equal(ev[1].type, NB_ETCD_EV_DELETE);
	assert_int_equal(ev[1].kv.mod_revision, 16);
	nb_etcd_events_free(ev, n);

	assert_int_equal(nb_etcd_watch_parse(w_compacted, strlen(w_compacted), &ev, &n, &rev,
					     &created, &canceled, &compact),
			 0);
	assert_int_equal(compact, 18);
	assert_true(canceled);

	nb_error_clear();
	assert_int_equal(nb_etcd_watch_parse(w_error, strlen(w_error), &ev, &n, &rev, &created,
					     &canceled, &compact),
			 -EPROTO);
	assert_string_equal(nb_error_msg(), "watch: no leader");
	assert_int_equal(
	    nb_etcd_watch_parse("{\"result\":", 10, &ev, &n, &rev, &created, &canceled, &compact),
	    -EPROTO);
	nb_error_clear();
}

struct lines {
	char got[8][512];
	size_t n;
	size_t stop_after;
};

static int on_line(const char *line, size_t len, void *arg)
{
	struct lines *l = arg;

	assert_int_equal(strlen(line), len);
	assert_true(l->n < 8);
	snprintf(l->got[l->n++], sizeof(l->got[0]), "%s", line);
	return l->stop_after && l->n == l->stop_after ? 7 : 0;
}

static void test_stream(void **s)
{
	char all[2048];
	size_t cut, len;

	(void)s;
	len = snprintf(all, sizeof(all), "%s\n%s\n\n%s\n", w_created, w_events, w_compacted);
	/* every chunking in two pieces, and byte by byte */
	for (cut = 0; cut <= len; cut++) {
		struct nb_etcd_stream st = {0};
		struct lines l = {0};

		assert_int_equal(nb_etcd_stream_feed(&st, all, cut, on_line, &l), 0);
		assert_int_equal(nb_etcd_stream_feed(&st, all + cut, len - cut, on_line, &l), 0);
		assert_int_equal(l.n, 3);
		assert_string_equal(l.got[0], w_created);
		assert_string_equal(l.got[1], w_events);
		assert_string_equal(l.got[2], w_compacted);
		assert_int_equal(st.len, 0);
		nb_etcd_stream_free(&st);
	}
	{
		struct nb_etcd_stream st = {0};
		struct lines l = {0};

		for (cut = 0; cut < len; cut++)
			assert_int_equal(nb_etcd_stream_feed(&st, all + cut, 1, on_line, &l), 0);
		assert_int_equal(l.n, 3);
		assert_string_equal(l.got[1], w_events);
		nb_etcd_stream_free(&st);
	}
	{
		/* a stop from the callback is returned; the rest stays buffered */
		struct nb_etcd_stream st = {0};
		struct lines l = {.stop_after = 1};

		assert_int_equal(nb_etcd_stream_feed(&st, all, len, on_line, &l), 7);
		assert_int_equal(l.n, 1);
		assert_int_equal(st.len, len - strlen(w_created) - 1);
		nb_etcd_stream_free(&st);
	}
}

static void test_endpoints(void **s)
{
	(void)s;
	assert_int_equal(nb_etcd_endpoints_check("etcd://10.0.0.1:2379,10.0.0.2:2379"), 0);
	assert_int_equal(nb_etcd_endpoints_check("https://[fd00::1]:2379"), 0);
	nb_error_clear();
	assert_int_equal(nb_etcd_endpoints_check("etcd://10.0.0.1"), -EINVAL);
	assert_string_equal(nb_error_msg(), "store endpoint \"etcd://10.0.0.1\": not HOST:PORT");
	nb_error_clear();
	assert_int_equal(nb_etcd_endpoints_check("etcd://10.0.0.1:0"), -EINVAL);
	assert_int_equal(nb_etcd_endpoints_check("ftp://10.0.0.1:21"), -EINVAL);
	assert_int_equal(nb_etcd_endpoints_check(","), -EINVAL);
	assert_string_equal(nb_error_msg(),
			    "store \",\": no endpoint (etcd://IP:2379[,IP:2379...])");
	nb_error_clear();
}

static void test_host_record(void **s)
{
	struct nb_cluster_host h = {.id = "0a55cc15",
				    .advertise = "10.98.1.2",
				    .hostname = "vm",
				    .started = 1796400000,
				    .version = "v1"},
			       back;
	char *j = nb_cluster_host_json(&h);

	(void)s;
	assert_string_equal(j,
			    "{\"advertise\":\"10.98.1.2\",\"hostname\":\"vm\",\"id\":\"0a55cc15\","
			    "\"started\":1796400000,\"version\":\"v1\"}");
	assert_int_equal(nb_cluster_host_parse("/netbpf/v1/hosts/0a55cc15", j, strlen(j), &back),
			 0);
	assert_string_equal(back.id, "0a55cc15");
	assert_string_equal(back.advertise, "10.98.1.2");
	assert_int_equal(back.started, 1796400000);
	assert_int_equal(nb_cluster_host_parse("/netbpf/v1/nets/x", j, strlen(j), &back), -EINVAL);
	assert_int_equal(nb_cluster_host_parse("/netbpf/v1/hosts/a/b", j, strlen(j), &back),
			 -EINVAL);
	assert_int_equal(nb_cluster_host_parse("/netbpf/v1/hosts/a", "{}", 2, &back), -EINVAL);
	free(j);
}

static void test_cfg_check(void **s)
{
	struct nb_cluster_cfg c = {.store = "etcd://10.0.0.1:2379", .advertise = "10.0.0.11"};

	(void)s;
	assert_int_equal(nb_cluster_cfg_check(&c), 0);
	c.ttl = 1;
	assert_int_equal(nb_cluster_cfg_check(&c), -EINVAL);
	assert_string_equal(nb_error_msg(), "--store-ttl 1: not in 2-3600 seconds");
	c.ttl = 0;
	c.advertise = NULL;
	assert_int_equal(nb_cluster_cfg_check(&c), -EINVAL);
	c.advertise = "fd00::11";
	assert_int_equal(nb_cluster_cfg_check(&c), 0);
	c.user = "root";
	assert_int_equal(nb_cluster_cfg_check(&c), -EINVAL);
	nb_error_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64),		cmocka_unit_test(test_b64_bad),
	    cmocka_unit_test(test_i64),		cmocka_unit_test(test_prefix_end),
	    cmocka_unit_test(test_range_req),	cmocka_unit_test(test_txn_req),
	    cmocka_unit_test(test_parse_kvs),	cmocka_unit_test(test_watch_parse),
	    cmocka_unit_test(test_stream),	cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_host_record), cmocka_unit_test(test_cfg_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
