// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/dns.c: the name table and the answer to queries,
 * built and read with ldns as a resolver would: who is answered, which names
 * resolve for whom (Docker's rule: only on a network both share), case and
 * trailing dot, AAAA and other types of a known name, PTR, what is left to the
 * host's resolvers, hostile queries (a table of them); what is taken from an upstream (the
 * answer to the question asked, nothing else) and cut to the client's size (TC); the state
 * watch that tells netbpfd when to read the names again; and the resolv.conf files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include <netbpf/netbpf.h>

#define NA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define NB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define S1 "1111111111111111111111111111111111111111111111111111111111111111"
#define S2 "2222222222222222222222222222222222222222222222222222222222222222"
#define S3 "3333333333333333333333333333333333333333333333333333333333333333"
#define SM "4444444444444444444444444444444444444444444444444444444444444444"

static __be32 ip(const char *s)
{
	__be32 v = 0;

	if (nb_parse_ipv4(s, &v))
		fail_msg("test bug: bad address %s", s);
	return v;
}

/*
 * net a 10.1.0.0/24: s1 10.1.0.2 (alias "Web"), s2 10.1.0.3, m 10.1.0.4
 * net b 10.2.0.0/24: s3 10.2.0.2, m 10.2.0.4
 */
static void table(struct nb_dns_table *t)
{
	struct nb_dns_net a = {.id = NA, .name = "a", .gateway = ip("10.1.0.1")};
	struct nb_dns_net b = {.id = NB, .name = "b", .gateway = ip("10.2.0.1")};

	memset(t, 0, sizeof(*t));
	nb_parse_prefix("10.1.0.0/24", true, &a.subnet);
	nb_parse_prefix("10.2.0.0/24", true, &b.subnet);
	assert_int_equal(nb_dns_table_add_net(t, &a), 0);
	assert_int_equal(nb_dns_table_add_net(t, &b), 0);
	assert_int_equal(nb_dns_table_add(t, NA, S1, "s1", ip("10.1.0.2"), 0), 0);
	assert_int_equal(nb_dns_table_add(t, NA, S1, "Web", ip("10.1.0.2"), 1), 0);
	assert_int_equal(nb_dns_table_add(t, NA, S2, "s2", ip("10.1.0.3"), 0), 0);
	assert_int_equal(nb_dns_table_add(t, NA, SM, "m", ip("10.1.0.4"), 0), 0);
	assert_int_equal(nb_dns_table_add(t, NB, S3, "s3", ip("10.2.0.2"), 0), 0);
	assert_int_equal(nb_dns_table_add(t, NB, SM, "m", ip("10.2.0.4"), 0), 0);
}

struct reply {
	enum nb_dns_verdict v;
	ldns_pkt *pkt; /* NULL unless answered */
};

static struct reply ask(const struct nb_dns_table *t, const char *net, const char *client,
			const char *name, ldns_rr_type type)
{
	ldns_pkt *q = NULL;
	uint8_t *wire = NULL, *resp = NULL;
	size_t len = 0, rlen = 0;
	struct reply r = {0};

	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x1234);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	r.v = nb_dns_answer(t, net, ip(client), wire, len, &resp, &rlen);
	if (r.v == NB_DNS_ANSWER) {
		assert_int_equal(ldns_wire2pkt(&r.pkt, resp, rlen), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(r.pkt), 0x1234);
		assert_true(ldns_pkt_qr(r.pkt));
		assert_int_equal(ldns_pkt_qdcount(r.pkt), 1);
	} else {
		assert_null(resp);
	}
	free(resp);
	free(wire);
	ldns_pkt_free(q);
	return r;
}

/* the answer's A records as "10.1.0.2 10.2.0.4" */
static void assert_a(struct reply r, const char *want)
{
	char got[256] = "", buf[INET_ADDRSTRLEN];
	ldns_rr_list *an;
	size_t i;

	assert_int_equal(r.v, NB_DNS_ANSWER);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
	an = ldns_pkt_answer(r.pkt);
	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);

		assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
		inet_ntop(AF_INET, ldns_rdf_data(ldns_rr_rdf(rr, 0)), buf, sizeof(buf));
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", buf);
	}
	assert_string_equal(got, want);
	ldns_pkt_free(r.pkt);
}

static void test_names_on_the_network(void **s)
{
	struct nb_dns_table t;

	(void)s;
	table(&t);
	assert_a(ask(&t, NA, "10.1.0.3", "s1", LDNS_RR_TYPE_A), "10.1.0.2");
	assert_a(ask(&t, NA, "10.1.0.3", "S1.", LDNS_RR_TYPE_A), "10.1.0.2");
	assert_a(ask(&t, NA, "10.1.0.3", "web", LDNS_RR_TYPE_A), "10.1.0.2");
	assert_a(ask(&t, NA, "10.1.0.3", "WEB.", LDNS_RR_TYPE_A), "10.1.0.2");
	/* a known name of another type: NOERROR, nothing (IPv4 only) */
	assert_a(ask(&t, NA, "10.1.0.3", "s1", LDNS_RR_TYPE_AAAA), "");
	assert_a(ask(&t, NA, "10.1.0.3", "s1", LDNS_RR_TYPE_MX), "");
	nb_dns_table_free(&t);
}

/* a dual-stack network's endpoint: its IPv6 address for AAAA, the others' still empty */
static void test_aaaa(void **s)
{
	struct nb_dns_table t;
	struct in6_addr a6;
	struct reply r;
	char buf[INET6_ADDRSTRLEN];
	ldns_rr *rr;
	size_t first;

	(void)s;
	table(&t);
	first = t.n;
	assert_int_equal(nb_dns_table_add(&t, NA, S3, "six", ip("10.1.0.9"), 0), 0);
	assert_int_equal(nb_dns_table_add(&t, NA, S3, "six-alias", ip("10.1.0.9"), 1), 0);
	assert_int_equal(inet_pton(AF_INET6, "fd00:1::9", &a6), 1);
	nb_dns_table_set_ip6(&t, first, &a6);
	for (int i = 0; i < 2; i++) {
		r = ask(&t, NA, "10.1.0.3", i ? "six-alias" : "six", LDNS_RR_TYPE_AAAA);
		assert_int_equal(r.v, NB_DNS_ANSWER);
		assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NOERROR);
		assert_int_equal(ldns_rr_list_rr_count(ldns_pkt_answer(r.pkt)), 1);
		rr = ldns_rr_list_rr(ldns_pkt_answer(r.pkt), 0);
		assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_AAAA);
		inet_ntop(AF_INET6, ldns_rdf_data(ldns_rr_rdf(rr, 0)), buf, sizeof(buf));
		assert_string_equal(buf, "fd00:1::9");
		ldns_pkt_free(r.pkt);
	}
	/* A still answers the IPv4 address; an IPv4-only name's AAAA stays empty */
	assert_a(ask(&t, NA, "10.1.0.3", "six", LDNS_RR_TYPE_A), "10.1.0.9");
	assert_a(ask(&t, NA, "10.1.0.3", "s1", LDNS_RR_TYPE_AAAA), "");
	nb_dns_table_free(&t);
}

static void test_shared_networks_only(void **s)
{
	struct nb_dns_table t;

	(void)s;
	table(&t);
	/* s3 is on b only: a's names are the world's to answer, and the other way */
	assert_int_equal(ask(&t, NB, "10.2.0.2", "s1", LDNS_RR_TYPE_A).v, NB_DNS_FORWARD);
	assert_int_equal(ask(&t, NA, "10.1.0.2", "s3", LDNS_RR_TYPE_A).v, NB_DNS_FORWARD);
	/* m is on both: it resolves both; s1 sees m's address on a, s3 on b */
	assert_a(ask(&t, NA, "10.1.0.4", "s3", LDNS_RR_TYPE_A), "10.2.0.2");
	assert_a(ask(&t, NA, "10.1.0.2", "m", LDNS_RR_TYPE_A), "10.1.0.4");
	assert_a(ask(&t, NB, "10.2.0.2", "m", LDNS_RR_TYPE_A), "10.2.0.4");
	/* m asking on b: b's address first */
	assert_a(ask(&t, NB, "10.2.0.4", "m", LDNS_RR_TYPE_A), "10.2.0.4 10.1.0.4");
	nb_dns_table_free(&t);
}

static void test_only_sandboxes_of_the_network(void **s)
{
	struct nb_dns_table t;

	(void)s;
	table(&t);
	/* the gateway itself, the world, a sandbox of b at a's gateway: no reply */
	assert_int_equal(ask(&t, NA, "10.1.0.1", "s1", LDNS_RR_TYPE_A).v, NB_DNS_DROP);
	assert_int_equal(ask(&t, NA, "198.18.0.2", "example.org", LDNS_RR_TYPE_A).v,
			 NB_DNS_DROP);
	assert_int_equal(ask(&t, NA, "10.2.0.2", "s1", LDNS_RR_TYPE_A).v, NB_DNS_DROP);
	nb_dns_table_free(&t);
}

static void test_ptr(void **s)
{
	struct nb_dns_table t;
	struct reply r;
	char *name;

	(void)s;
	table(&t);
	r = ask(&t, NA, "10.1.0.3", "2.0.1.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_int_equal(r.v, NB_DNS_ANSWER);
	assert_int_equal(ldns_pkt_ancount(r.pkt), 1);
	name = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(r.pkt), 0), 0));
	assert_string_equal(name, "s1."); /* the sandbox's name, not an alias */
	free(name);
	ldns_pkt_free(r.pkt);
	/* a free address of a shared subnet: NXDOMAIN here */
	r = ask(&t, NA, "10.1.0.3", "99.0.1.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_int_equal(r.v, NB_DNS_ANSWER);
	assert_int_equal(ldns_pkt_get_rcode(r.pkt), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(r.pkt);
	/* b's addresses are not s2's to learn; the world's */
	assert_int_equal(ask(&t, NA, "10.1.0.3", "2.0.2.10.in-addr.arpa", LDNS_RR_TYPE_PTR).v,
			 NB_DNS_FORWARD);
	assert_int_equal(ask(&t, NA, "10.1.0.3", "8.8.8.8.in-addr.arpa", LDNS_RR_TYPE_PTR).v,
			 NB_DNS_FORWARD);
	nb_dns_table_free(&t);
}

/* a hostile query from a sandbox of the network: its verdict and the rcode of the reply */
struct hostile {
	const char *what;
	uint8_t wire[400];
	size_t len;
	enum nb_dns_verdict v;
	ldns_pkt_rcode rcode;
};

#define HDR(flags_hi, qd, an) 0x12, 0x34, flags_hi, 0x00, 0, qd, 0, an, 0, 0, 0, 0
#define TYPE_A_IN	      0, 1, 0, 1

static const struct hostile hostile[] = {
    {"five bytes: no header", {0x12, 0x34, 0x01, 0x00, 0x00}, 5, NB_DNS_DROP, 0},
    /* a reply is never answered: no loops between resolvers */
    {"a reply (QR)", {HDR(0x81, 1, 0), 1, 's', '1', 0, TYPE_A_IN}, 20, NB_DNS_DROP, 0},
    {"a label past the end",
     {HDR(0x01, 1, 0), 0x3f, 'a', 'b'},
     15,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"a pointer to itself",
     {HDR(0x01, 1, 0), 0xc0, 12, TYPE_A_IN},
     18,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"two pointers in a loop",
     {HDR(0x01, 1, 0), 0xc0, 14, 0xc0, 12, TYPE_A_IN},
     20,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"a label, then a pointer back to it",
     {HDR(0x01, 1, 0), 1, 'a', 0xc0, 12, TYPE_A_IN},
     20,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"a pointer past the end",
     {HDR(0x01, 1, 0), 0xc0, 0xff, TYPE_A_IN},
     18,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"an extended label type (0x40)",
     {HDR(0x01, 1, 0), 0x41, 'a', 0, TYPE_A_IN},
     19,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"no question (qdcount 0)", {HDR(0x01, 0, 0)}, 12, NB_DNS_ANSWER, LDNS_RCODE_FORMERR},
    {"two questions",
     {HDR(0x01, 2, 0), 1, 's', '1', 0, TYPE_A_IN, 1, 's', '2', 0, TYPE_A_IN},
     28,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"qdcount 2, one question",
     {HDR(0x01, 2, 0), 1, 's', '1', 0, TYPE_A_IN},
     20,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"a name without type and class",
     {HDR(0x01, 1, 0), 1, 's', '1', 0},
     16,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"ancount 255, no records",
     {HDR(0x01, 1, 255), 1, 's', '1', 0, TYPE_A_IN},
     20,
     NB_DNS_ANSWER,
     LDNS_RCODE_FORMERR},
    {"opcode STATUS",
     {HDR(0x11, 1, 0), 1, 's', '1', 0, TYPE_A_IN},
     20,
     NB_DNS_ANSWER,
     LDNS_RCODE_NOTIMPL},
    /* filled in by test_malformed: five labels of 63, a name of 321 bytes */
    {"a name over 255 bytes", {HDR(0x01, 1, 0)}, 0, NB_DNS_ANSWER, LDNS_RCODE_FORMERR},
};

static void test_malformed(void **s)
{
	struct hostile long_name = hostile[sizeof(hostile) / sizeof(hostile[0]) - 1];
	struct nb_dns_table t;
	ldns_pkt *r = NULL;
	uint8_t *out = NULL;
	size_t n = 0, i, k;

	(void)s;
	table(&t);
	n = 12;
	for (i = 0; i < 5; i++) {
		long_name.wire[n++] = 63;
		for (k = 0; k < 63; k++)
			long_name.wire[n++] = 'a';
	}
	long_name.wire[n++] = 0;
	long_name.len = n + 4;
	long_name.wire[n + 1] = 1;
	long_name.wire[n + 3] = 1;
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *h = hostile[i].len ? &hostile[i] : &long_name;

		print_message("%s\n", h->what);
		assert_int_equal(nb_dns_answer(&t, NA, ip("10.1.0.3"), h->wire, h->len, &out, &n),
				 h->v);
		if (h->v != NB_DNS_ANSWER) {
			assert_null(out);
			continue;
		}
		/* a header alone, to the query's id: nothing of the query is trusted back */
		assert_int_equal(ldns_wire2pkt(&r, out, n), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_id(r), 0x1234);
		assert_true(ldns_pkt_qr(r));
		assert_int_equal(ldns_pkt_get_rcode(r), h->rcode);
		assert_int_equal(ldns_pkt_qdcount(r), 0);
		assert_int_equal(ldns_pkt_ancount(r), 0);
		ldns_pkt_free(r);
		free(out);
		out = NULL;
	}
	/* nor does the daemon's SERVFAIL answer a reply */
	assert_int_equal(nb_dns_servfail(hostile[1].wire, hostile[1].len, &out, &n), NB_DNS_DROP);
	nb_dns_table_free(&t);
}

/* the wire form of a query for name/type with id and, when edns, an EDNS payload size */
static size_t query_wire(const char *name, ldns_rr_type type, uint16_t id, uint16_t edns,
			 uint8_t **wire)
{
	ldns_pkt *q = NULL;
	size_t len = 0;

	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, id);
	if (edns)
		ldns_pkt_set_edns_udp_size(q, edns);
	assert_int_equal(ldns_pkt2wire(wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return len;
}

/* an answer to name/type with id, QR set, and n A records (10.0.x.y) */
static size_t answer_wire(const char *name, ldns_rr_type type, uint16_t id, int n, bool edns,
			  uint8_t **wire)
{
	ldns_pkt *a = NULL;
	ldns_rr *rr = NULL;
	char text[128];
	size_t len = 0;

	assert_int_equal(ldns_pkt_query_new_frm_str(&a, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(a, id);
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_ra(a, true);
	if (edns)
		ldns_pkt_set_edns_udp_size(a, 1232);
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s 60 IN A 10.0.%d.%d", name, i / 250, i % 250);
		assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr));
	}
	assert_int_equal(ldns_pkt2wire(wire, a, &len), LDNS_STATUS_OK);
	ldns_pkt_free(a);
	return len;
}

/* only the answer to the query as sent is taken from the upstream's socket */
static void test_answer_matches(void **s)
{
	uint8_t *q = NULL, *a = NULL;
	size_t qlen, alen;

	(void)s;
	qlen = query_wire("example.org.", LDNS_RR_TYPE_A, 0xbeef, 0, &q);
	alen = answer_wire("example.org.", LDNS_RR_TYPE_A, 0xbeef, 1, false, &a);
	assert_true(nb_dns_answer_matches(q, qlen, a, alen));
	/* as a spoofer's would be: any byte of the header short of the real answer's */
	a[2] &= (uint8_t)~0x80; /* a query, not a reply */
	assert_false(nb_dns_answer_matches(q, qlen, a, alen));
	free(a);
	alen = answer_wire("ExAmple.ORG.", LDNS_RR_TYPE_A, 0xbeef, 1, false, &a);
	assert_true(nb_dns_answer_matches(q, qlen, a, alen)); /* case is no difference */
	free(a);
	alen = answer_wire("example.org.", LDNS_RR_TYPE_A, 0xbeee, 1, false, &a);
	assert_false(nb_dns_answer_matches(q, qlen, a, alen)); /* another id */
	free(a);
	alen = answer_wire("evil.example.org.", LDNS_RR_TYPE_A, 0xbeef, 1, false, &a);
	assert_false(nb_dns_answer_matches(q, qlen, a, alen)); /* another name */
	free(a);
	alen = answer_wire("example.org.", LDNS_RR_TYPE_AAAA, 0xbeef, 0, false, &a);
	assert_false(nb_dns_answer_matches(q, qlen, a, alen)); /* another type */
	/* the right id and nothing else: a header, a header with a cut question */
	assert_false(nb_dns_answer_matches(q, qlen, a, 12));
	assert_false(nb_dns_answer_matches(q, qlen, a, 20));
	assert_false(nb_dns_answer_matches(q, qlen, a, 5));
	/*
	 * an error answered without the question (qdcount 0): taken with the right
	 * id and an error code, never as a success or with records
	 */
	memcpy(a, (const uint8_t[]){0xbe, 0xef, 0x81, 0x85, 0, 0, 0, 0, 0, 0, 0, 0}, 12);
	assert_true(nb_dns_answer_matches(q, qlen, a, 12)); /* REFUSED */
	a[3] = 0x81;					    /* FORMERR */
	assert_true(nb_dns_answer_matches(q, qlen, a, 12));
	a[3] = 0x80; /* NOERROR, no question: nothing to check it against */
	assert_false(nb_dns_answer_matches(q, qlen, a, 12));
	a[3] = 0x83; /* NXDOMAIN says something of a name: it must be the question's */
	assert_false(nb_dns_answer_matches(q, qlen, a, 12));
	a[3] = 0x85;
	a[1] = 0xee; /* another id */
	assert_false(nb_dns_answer_matches(q, qlen, a, 12));
	free(a);
	free(q);
}

/* UDP replies fit the client: 512, or its EDNS size; a bigger one is cut to TC */
static void test_truncate(void **s)
{
	uint8_t *q = NULL, *a = NULL, *out = NULL;
	ldns_pkt *r = NULL;
	size_t qlen, alen, n;

	(void)s;
	qlen = query_wire("example.org.", LDNS_RR_TYPE_A, 7, 0, &q);
	assert_int_equal(nb_dns_udp_limit(q, qlen, 4096), 512);
	free(q);
	qlen = query_wire("example.org.", LDNS_RR_TYPE_A, 7, 1232, &q);
	assert_int_equal(nb_dns_udp_limit(q, qlen, 4096), 1232);
	assert_int_equal(nb_dns_udp_limit(q, qlen, 1000), 1000);
	free(q);
	qlen = query_wire("example.org.", LDNS_RR_TYPE_A, 7, 100, &q);
	assert_int_equal(nb_dns_udp_limit(q, qlen, 4096), 512); /* below 512 means 512 */
	free(q);
	qlen = query_wire("example.org.", LDNS_RR_TYPE_A, 7, 65000, &q);
	assert_int_equal(nb_dns_udp_limit(q, qlen, 4096), 4096);
	free(q);
	assert_int_equal(nb_dns_udp_limit((const uint8_t *)"junk", 4, 4096), 512);

	/* 60 records: over 512, under 4096 */
	alen = answer_wire("example.org.", LDNS_RR_TYPE_A, 7, 60, true, &a);
	assert_in_range(alen, 513, 4096);
	assert_int_equal(nb_dns_truncate(a, alen, 4096, &out, &n), 0);
	assert_int_equal(n, alen);
	assert_memory_equal(out, a, alen);
	free(out);
	assert_int_equal(nb_dns_truncate(a, alen, 512, &out, &n), 0);
	assert_in_range(n, 12, 512);
	assert_int_equal(ldns_wire2pkt(&r, out, n), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tc(r));
	assert_true(ldns_pkt_qr(r));
	assert_int_equal(ldns_pkt_id(r), 7);
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_true(ldns_pkt_edns(r)); /* the OPT record stays: the client knows our size */
	assert_int_equal(ldns_pkt_edns_udp_size(r), 1232);
	ldns_pkt_free(r);
	free(out);
	/* what is no DNS message is not passed on at all */
	nb_error_clear();
	assert_int_equal(nb_dns_truncate((const uint8_t *)"0123456789abcdefghij", 20, 12, &out, &n),
			 -EINVAL);
	assert_null(out);
	assert_non_null(strstr(nb_error_msg(), "not a DNS message"));
	free(a);
}

/* a flooding client fills its own share, a flooding network its own: the others get theirs */
static void test_slots(void **s)
{
	static struct nb_dns_slots sl;
	__be32 ga = ip("10.1.0.1"), gb = ip("10.2.0.1");
	int i;

	(void)s;
	nb_dns_slots_init(&sl, 8, 6, 3);
	/* 10.1.0.2 floods: three slots, then refused, counted, named */
	for (i = 0; i < 3; i++)
		assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.2")), NB_DNS_OVER_NONE);
	assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.2")), NB_DNS_OVER_CLIENT);
	assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.2")), NB_DNS_OVER_CLIENT);
	assert_int_equal(sl.refused[NB_DNS_OVER_CLIENT], 2);
	assert_int_equal(sl.last_ip, ip("10.1.0.2"));
	assert_int_equal(sl.last_gw, ga);
	/* the same address on another network is another client */
	assert_int_equal(nb_dns_slot_take(&sl, gb, ip("10.1.0.2")), NB_DNS_OVER_NONE);
	/* its neighbours on a: up to the network's 6 */
	for (i = 0; i < 3; i++)
		assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.3")), NB_DNS_OVER_NONE);
	assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.4")), NB_DNS_OVER_NET);
	assert_int_equal(sl.refused[NB_DNS_OVER_NET], 1);
	/* network b still has room, up to the 8 in all */
	assert_int_equal(nb_dns_slot_take(&sl, gb, ip("10.2.0.2")), NB_DNS_OVER_NONE);
	assert_int_equal(sl.inflight, 8);
	assert_int_equal(nb_dns_slot_take(&sl, gb, ip("10.2.0.3")), NB_DNS_OVER_ALL);
	/* a slot given back is anyone's again; the flooder's own limit holds */
	nb_dns_slot_give(&sl, ga, ip("10.1.0.3"));
	assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.2")), NB_DNS_OVER_CLIENT);
	assert_int_equal(nb_dns_slot_take(&sl, gb, ip("10.2.0.3")), NB_DNS_OVER_NONE);
	/* everything back: the entries free, the limits whole again */
	for (i = 0; i < 3; i++)
		nb_dns_slot_give(&sl, ga, ip("10.1.0.2"));
	for (i = 0; i < 2; i++)
		nb_dns_slot_give(&sl, ga, ip("10.1.0.3"));
	nb_dns_slot_give(&sl, gb, ip("10.1.0.2"));
	nb_dns_slot_give(&sl, gb, ip("10.2.0.2"));
	nb_dns_slot_give(&sl, gb, ip("10.2.0.3"));
	nb_dns_slot_give(&sl, gb, ip("10.9.9.9")); /* never taken: nothing happens */
	assert_int_equal(sl.inflight, 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(sl.h[i].n, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(nb_dns_slot_take(&sl, ga, ip("10.1.0.4")), NB_DNS_OVER_NONE);
}

/* netbpfd reads the state again only after a commit: the watch says when */
static void test_store_watch(void **s)
{
	char dir[] = "/tmp/nb-test-dns-watch-XXXXXX", cmd[128];
	struct nb_store_watch *w = NULL;
	struct nb_store *st = NULL, *rd = NULL;
	char *v = NULL;

	(void)s;
	assert_non_null(mkdtemp(dir));
	nb_error_clear();
	assert_int_equal(nb_store_watch_open(dir, &w), -ENOENT); /* no state yet */
	assert_non_null(strstr(nb_error_msg(), dir));
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_watch_open(dir, &w), 0);
	assert_int_equal(nb_store_watch_changed(w), 1); /* the first call: read it */
	assert_int_equal(nb_store_watch_changed(w), 0);
	assert_int_equal(nb_store_watch_changed(w), 0);
	/* a writer holds the flock meanwhile: the watch takes none, it blocks no one */
	assert_int_equal(nb_store_begin(st), 0);
	assert_int_equal(nb_store_setting_set(st, "test", "1"), 0);
	assert_int_equal(nb_store_watch_changed(w), 0); /* not committed: nothing to see */
	assert_int_equal(nb_store_commit(st), 0);
	assert_int_equal(nb_store_watch_changed(w), 1);
	assert_int_equal(nb_store_watch_changed(w), 0);
	/* a read changes nothing */
	assert_int_equal(nb_store_setting_get(st, "test", &v), 0);
	free(v);
	assert_int_equal(nb_store_watch_changed(w), 0);
	/* a reader opened and closed (a reload's own) hides no later commit */
	nb_store_close(st); /* (its flock would block the reader's) */
	assert_int_equal(nb_store_open(dir, false, &rd), 0);
	nb_store_close(rd);
	(void)nb_store_watch_changed(w); /* the last close checkpoints: a change, at most */
	assert_int_equal(nb_store_watch_changed(w), 0);
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_begin(st), 0);
	assert_int_equal(nb_store_setting_set(st, "test", "2"), 0);
	assert_int_equal(nb_store_commit(st), 0);
	assert_int_equal(nb_store_watch_changed(w), 1);
	assert_int_equal(nb_store_watch_changed(w), 0);
	nb_store_close(st);
	st = NULL;
	/* a state made anew (removed, then opened again) is another file: a change */
	snprintf(cmd, sizeof(cmd), "rm -f %s/netbpf.db %s/netbpf.db-wal %s/netbpf.db-shm", dir, dir,
		 dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_watch_changed(w), 1);
	assert_int_equal(nb_store_watch_changed(w), 0);
	nb_store_close(st);
	nb_store_watch_close(w);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_servfail(void **s)
{
	ldns_pkt *q = NULL, *r = NULL;
	uint8_t *wire = NULL, *out = NULL;
	size_t len = 0, n = 0;

	(void)s;
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, "example.org", LDNS_RR_TYPE_A,
						    LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	assert_int_equal(nb_dns_servfail(wire, len, &out, &n), NB_DNS_ANSWER);
	assert_int_equal(ldns_wire2pkt(&r, out, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
	assert_int_equal(ldns_pkt_id(r), ldns_pkt_id(q));
	ldns_pkt_free(r);
	ldns_pkt_free(q);
	free(wire);
	free(out);
}

static void test_resolv_conf(void **s)
{
	char path[] = "/tmp/nb-test-dns-XXXXXX", text[256] = "";
	__be32 up[3], skip = ip("10.1.0.1");
	FILE *f;
	int fd;

	(void)s;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# comment\nsearch example.org\nnameserver 127.0.0.53\nnameserver 10.1.0.1\n"
	      "nameserver ::1\nnameserver 198.18.0.2\noptions edns0\nnameserver 9.9.9.9\n"
	      "nameserver 8.8.8.8\n",
	      f);
	fclose(f);
	/* loopback kept (netbpfd asks from the host netns), our gateway skipped, at most 3 */
	assert_int_equal(nb_dns_upstreams(path, &skip, 1, up, 3), 3);
	assert_int_equal(up[0], ip("127.0.0.53"));
	assert_int_equal(up[1], ip("198.18.0.2"));
	assert_int_equal(up[2], ip("9.9.9.9"));

	assert_int_equal(nb_dns_write_resolv_conf(path, ip("10.1.0.1")), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(text, 1, sizeof(text) - 1, f), 36);
	fclose(f);
	assert_string_equal(text, "nameserver 10.1.0.1\noptions ndots:0\n");
	unlink(path);

	nb_error_clear();
	assert_int_equal(nb_dns_upstreams("/nonexistent/resolv.conf", NULL, 0, up, 3), -ENOENT);
	assert_non_null(strstr(nb_error_msg(), "/nonexistent/resolv.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_on_the_network),
	    cmocka_unit_test(test_aaaa),
	    cmocka_unit_test(test_shared_networks_only),
	    cmocka_unit_test(test_only_sandboxes_of_the_network),
	    cmocka_unit_test(test_ptr),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_answer_matches),
	    cmocka_unit_test(test_truncate),
	    cmocka_unit_test(test_slots),
	    cmocka_unit_test(test_store_watch),
	    cmocka_unit_test(test_servfail),
	    cmocka_unit_test(test_resolv_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
