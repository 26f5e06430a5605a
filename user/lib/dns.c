// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <ldns/ldns.h>

#include "dns.h"
#include "log.h"

/* seconds a resolver may keep an answer: containers come and go (Docker says 600) */
#define DNS_TTL 600

int nb_dns_table_add_net(struct nb_dns_table *t, const struct nb_dns_net *net)
{
	struct nb_dns_net *v = realloc(t->nets, (t->nnets + 1) * sizeof(*v));

	if (!v)
		return nb_error(-ENOMEM, "dns: network %s: out of memory", net->name);
	t->nets = v;
	t->nets[t->nnets++] = *net;
	return 0;
}

int nb_dns_table_add(struct nb_dns_table *t, const char *net_id, const char *sb_id,
		     const char *name, __be32 ip, int alias)
{
	struct nb_dns_entry *e;
	size_t i;

	if (!*name || strlen(name) > NB_NAME_MAX)
		return 0; /* not a name a query could carry: nothing to answer */
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;

		e = realloc(t->v, cap * sizeof(*e));
		if (!e)
			return nb_error(-ENOMEM, "dns: name \"%s\": out of memory", name);
		t->v = e;
		t->cap = cap;
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->net_id, sizeof(e->net_id), "%s", net_id);
	snprintf(e->sb_id, sizeof(e->sb_id), "%s", sb_id);
	for (i = 0; name[i]; i++)
		e->name[i] = (char)tolower((unsigned char)name[i]);
	e->ip = ip;
	e->alias = alias;
	return 0;
}

void nb_dns_table_set_ip6(struct nb_dns_table *t, size_t first, const struct in6_addr *ip6)
{
	for (size_t i = first; i < t->n; i++)
		t->v[i].ip6 = *ip6;
}

void nb_dns_table_free(struct nb_dns_table *t)
{
	free(t->nets);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const struct nb_dns_net *nb_dns_net_by_gateway(const struct nb_dns_table *t, __be32 gw)
{
	size_t i;

	for (i = 0; i < t->nnets; i++)
		if (t->nets[i].gateway == gw)
			return &t->nets[i];
	return NULL;
}

static int add_aliases(struct nb_store *st, struct nb_dns_table *t, const struct nb_endpoint_rec *ep)
{
	char *text = NULL;
	json_t *a, *v;
	size_t i;
	int err;

	err = nb_store_endpoint_aliases(st, ep->id, &text);
	if (err == -ENOENT)
		return 0;
	if (err)
		return nb_error(err, "dns: endpoint %.12s: cannot read its aliases", ep->id);
	a = json_loads(text ?: "[]", 0, NULL);
	free(text);
	json_array_foreach(a, i, v)
	{
		if (json_is_string(v))
			err = nb_dns_table_add(t, ep->network_id, ep->sandbox_id,
					       json_string_value(v), ep->ip, 1);
		if (err)
			break;
	}
	json_decref(a);
	return err;
}

int nb_dns_table_read(struct nb_store *st, struct nb_dns_table *t)
{
	struct nb_network_rec *nets = NULL;
	struct nb_endpoint_rec *eps = NULL;
	struct nb_sandbox_rec sb;
	size_t nnets = 0, neps = 0, i, j, first;
	int err;

	memset(t, 0, sizeof(*t));
	err = nb_store_network_list(st, &nets, &nnets);
	if (err)
		return nb_error(err, "dns: cannot read the networks");
	for (i = 0; i < nnets && !err; i++) {
		struct nb_dns_net n = {0};

		/* Docker's default bridge has no embedded DNS either: user-defined ones only */
		if (!nb_net_is_bridged(&nets[i]) || nets[i].builtin || !nets[i].gateway)
			continue;
		snprintf(n.id, sizeof(n.id), "%s", nets[i].id);
		snprintf(n.name, sizeof(n.name), "%s", nets[i].name);
		n.gateway = nets[i].gateway;
		n.subnet = nets[i].subnet;
		err = nb_dns_table_add_net(t, &n);
		if (!err)
			err = nb_store_endpoint_list(st, nets[i].id, NULL, &eps, &neps);
		for (j = 0; j < neps && !err; j++) {
			if (!eps[j].ip)
				continue;
			err = nb_store_sandbox_find(st, eps[j].sandbox_id, &sb);
			if (err == -ENOENT) {
				err = 0;
				continue;
			}
			first = t->n;
			if (!err)
				err = nb_dns_table_add(t, nets[i].id, sb.id, sb.name, eps[j].ip, 0);
			if (!err)
				err = add_aliases(st, t, &eps[j]);
			if (!err)
				nb_dns_table_set_ip6(t, first, &eps[j].ip6);
		}
		free(eps);
		eps = NULL;
		neps = 0;
	}
	nb_network_recs_free(nets, nnets);
	if (err) {
		nb_errorf("dns: cannot read the names of the networks: %s", strerror(-err));
		nb_dns_table_free(t);
	}
	return err;
}

/* the entry of the client's address on net_id: which sandbox asks */
static const struct nb_dns_entry *client_entry(const struct nb_dns_table *t, const char *net_id,
					       __be32 client)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].ip == client && !strcmp(t->v[i].net_id, net_id))
			return &t->v[i];
	return NULL;
}

/* sandbox sb_id has an endpoint on net_id */
static bool on_net(const struct nb_dns_table *t, const char *sb_id, const char *net_id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].sb_id, sb_id) && !strcmp(t->v[i].net_id, net_id))
			return true;
	return false;
}

/* "d.c.b.a.in-addr.arpa" -> a.b.c.d; false for any other name */
static bool reverse_ip(const char *name, __be32 *ip)
{
	unsigned int o[4];
	char rest[16];
	int used = 0;

	if (sscanf(name, "%3u.%3u.%3u.%3u.%15s%n", &o[3], &o[2], &o[1], &o[0], rest, &used) != 5 ||
	    strcmp(rest, "in-addr.arpa") || o[0] > 255 || o[1] > 255 || o[2] > 255 || o[3] > 255)
		return false;
	*ip = htonl(o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3]);
	return true;
}

static ldns_pkt *reply_to(const ldns_pkt *q, const ldns_rr *question, ldns_pkt_rcode rcode)
{
	ldns_pkt *r = ldns_pkt_new();

	if (!r)
		return NULL;
	ldns_pkt_set_id(r, ldns_pkt_id(q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, rcode);
	if (question)
		ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
	return r;
}

static bool push_answer(ldns_pkt *r, const ldns_rdf *owner, ldns_rr_type type, ldns_rdf *data)
{
	ldns_rr *rr = ldns_rr_new();

	if (!rr || !data) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(data);
		return false;
	}
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, DNS_TTL);
	ldns_rr_push_rdf(rr, data);
	return ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
}

/*
 * the A (type A) or AAAA (type AAAA) records of name for sandbox asker, the networks of
 * net_id first; how many endpoints have the name (0: not ours), whatever the type
 */
static int answer_a(const struct nb_dns_table *t, const char *net_id, const char *asker,
		    const char *name, const ldns_rdf *owner, ldns_pkt *r, ldns_rr_type type)
{
	__be32 seen[16];
	int pass, found = 0, k;
	size_t i;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < t->n; i++) {
			const struct nb_dns_entry *e = &t->v[i];

			if (strcmp(e->name, name) || !strcmp(e->net_id, net_id) != !pass ||
			    !on_net(t, asker, e->net_id))
				continue;
			for (k = 0; k < found && seen[k] != e->ip; k++)
				;
			if (k < found || found == (int)(sizeof(seen) / sizeof(seen[0])))
				continue;
			seen[found++] = e->ip;
			if (type == LDNS_RR_TYPE_A)
				push_answer(r, owner, LDNS_RR_TYPE_A,
					    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &e->ip));
			/* each endpoint has one IPv6 address: no two entries repeat one */
			else if (type == LDNS_RR_TYPE_AAAA && !nb_ipv6_is_zero(&e->ip6))
				push_answer(r, owner, LDNS_RR_TYPE_AAAA,
					    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, &e->ip6));
		}
	return found;
}

static enum nb_dns_verdict answer_ptr(const struct nb_dns_table *t, const char *asker, __be32 ip,
				      const ldns_rdf *owner, ldns_pkt *r)
{
	char fqdn[NB_NAME_MAX + 2];
	bool in_subnet = false;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct nb_dns_entry *e = &t->v[i];

		if (e->ip != ip || e->alias || !on_net(t, asker, e->net_id))
			continue;
		snprintf(fqdn, sizeof(fqdn), "%s.", e->name);
		push_answer(r, owner, LDNS_RR_TYPE_PTR, ldns_dname_new_frm_str(fqdn));
		return NB_DNS_ANSWER;
	}
	for (i = 0; i < t->nnets; i++)
		if (nb_prefix_contains(&t->nets[i].subnet, ip) && on_net(t, asker, t->nets[i].id))
			in_subnet = true;
	if (!in_subnet)
		return NB_DNS_FORWARD;
	/* an address of a shared network no endpoint holds: ours to deny, not the world's */
	ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
	return NB_DNS_ANSWER;
}

static enum nb_dns_verdict to_wire(ldns_pkt *r, uint8_t **resp, size_t *resp_len)
{
	if (ldns_pkt2wire(resp, r, resp_len) != LDNS_STATUS_OK)
		return NB_DNS_DROP;
	return NB_DNS_ANSWER;
}

bool nb_dns_is_client(const struct nb_dns_table *t, const char *net_id, __be32 client)
{
	return client_entry(t, net_id, client) != NULL;
}

/*
 * The header-only reply rcode to the query whose header is q (at least 12 bytes): what a query
 * ldns cannot parse, or one it can but we do not serve, gets. Built from the raw header, as the
 * rest of q is not to be trusted.
 */
static enum nb_dns_verdict header_reply(const uint8_t *q, ldns_pkt_rcode rcode, uint8_t **resp,
					size_t *resp_len)
{
	enum nb_dns_verdict v;
	ldns_pkt *r = ldns_pkt_new();

	if (!r)
		return NB_DNS_DROP;
	ldns_pkt_set_id(r, (uint16_t)(q[0] << 8 | q[1]));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, (ldns_pkt_opcode)((q[2] >> 3) & 0xf));
	ldns_pkt_set_rd(r, q[2] & 0x01);
	ldns_pkt_set_ra(r, true);
	ldns_pkt_set_rcode(r, rcode);
	v = to_wire(r, resp, resp_len);
	ldns_pkt_free(r);
	return v;
}

enum nb_dns_verdict nb_dns_answer(const struct nb_dns_table *t, const char *net_id, __be32 client,
				  const uint8_t *q, size_t len, uint8_t **resp, size_t *resp_len)
{
	enum nb_dns_verdict v = NB_DNS_FORWARD;
	const struct nb_dns_entry *asker;
	ldns_pkt *pkt = NULL, *r = NULL;
	const ldns_rdf *owner;
	char *name = NULL;
	ldns_rr *question;
	ldns_rr_type type;
	size_t n, i;
	__be32 ip;

	*resp = NULL;
	*resp_len = 0;
	/* only a sandbox of this network asks: no open resolver, no reflection */
	asker = client_entry(t, net_id, client);
	if (!asker)
		return NB_DNS_DROP;
	/* too short to have an id to answer, or a reply (QR): silence, so no two servers loop */
	if (len < LDNS_HEADER_SIZE || (q[2] & 0x80))
		return NB_DNS_DROP;
	if (((q[2] >> 3) & 0xf) != LDNS_PACKET_QUERY)
		return header_reply(q, LDNS_RCODE_NOTIMPL, resp, resp_len);
	/*
	 * A sandbox's malformed query (compression loop, label past the end, a name over 255
	 * bytes, no question or several) is told FORMERR and never forwarded: ldns bounds the
	 * pointers it follows and checks every length against len.
	 */
	if (ldns_wire2pkt(&pkt, q, len) != LDNS_STATUS_OK || ldns_pkt_qdcount(pkt) != 1 ||
	    ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1) {
		ldns_pkt_free(pkt);
		return header_reply(q, LDNS_RCODE_FORMERR, resp, resp_len);
	}
	question = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	owner = ldns_rr_owner(question);
	type = ldns_rr_get_type(question);
	if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN)
		goto out;
	name = ldns_rdf2str(owner);
	if (!name) {
		v = NB_DNS_DROP;
		goto out;
	}
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		name[--n] = '\0';
	for (i = 0; i < n; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	r = reply_to(pkt, question, LDNS_RCODE_NOERROR);
	if (!r) {
		v = NB_DNS_DROP;
		goto out;
	}
	if (type == LDNS_RR_TYPE_PTR && reverse_ip(name, &ip)) {
		v = answer_ptr(t, asker->sb_id, ip, owner, r);
		if (v == NB_DNS_ANSWER)
			v = to_wire(r, resp, resp_len);
		goto out;
	}
	if (!answer_a(t, net_id, asker->sb_id, name, owner, r, type))
		goto out; /* not ours: the world's */
	ldns_pkt_set_aa(r, true);
	/* a known name of another type (AAAA of an IPv4-only one): NOERROR, no answer, as Docker */
	v = to_wire(r, resp, resp_len);
out:
	free(name);
	ldns_pkt_free(r);
	ldns_pkt_free(pkt);
	return v;
}

enum nb_dns_verdict nb_dns_servfail(const uint8_t *q, size_t len, uint8_t **resp, size_t *resp_len)
{
	enum nb_dns_verdict v = NB_DNS_DROP;
	ldns_pkt *pkt = NULL, *r;

	*resp = NULL;
	*resp_len = 0;
	if (len < LDNS_HEADER_SIZE || ldns_wire2pkt(&pkt, q, len) != LDNS_STATUS_OK)
		return NB_DNS_DROP;
	r = reply_to(pkt, ldns_pkt_qdcount(pkt) == 1 ? ldns_rr_list_rr(ldns_pkt_question(pkt), 0)
						      : NULL,
		     LDNS_RCODE_SERVFAIL);
	if (r && !ldns_pkt_qr(pkt))
		v = to_wire(r, resp, resp_len);
	ldns_pkt_free(r);
	ldns_pkt_free(pkt);
	return v;
}

/* the question of a parsed packet, or NULL unless it has exactly one */
static const ldns_rr *only_question(const ldns_pkt *p)
{
	if (ldns_pkt_qdcount(p) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1)
		return NULL;
	return ldns_rr_list_rr(ldns_pkt_question(p), 0);
}

bool nb_dns_answer_matches(const uint8_t *q, size_t qlen, const uint8_t *a, size_t alen)
{
	ldns_pkt *qp = NULL, *ap = NULL;
	const ldns_rr *qq, *aq;
	bool ok = false;

	if (qlen < LDNS_HEADER_SIZE || alen < LDNS_HEADER_SIZE || q[0] != a[0] || q[1] != a[1] ||
	    !(a[2] & 0x80))
		return false;
	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK ||
	    ldns_wire2pkt(&ap, a, alen) != LDNS_STATUS_OK)
		goto out;
	qq = only_question(qp);
	aq = only_question(ap);
	if (!qq || ldns_pkt_get_opcode(ap) != ldns_pkt_get_opcode(qp))
		goto out;
	/*
	 * Some servers answer an error without the question (RFC 1035 does not
	 * make them echo it): such a header alone, with no record at all, is
	 * theirs too, and the client should see its code rather than a timeout
	 */
	if (!aq) {
		ok = !ldns_pkt_qdcount(ap) && !ldns_pkt_ancount(ap) && !ldns_pkt_nscount(ap) &&
		     (ldns_pkt_get_rcode(ap) == LDNS_RCODE_FORMERR ||
		      ldns_pkt_get_rcode(ap) == LDNS_RCODE_SERVFAIL ||
		      ldns_pkt_get_rcode(ap) == LDNS_RCODE_NOTIMPL ||
		      ldns_pkt_get_rcode(ap) == LDNS_RCODE_REFUSED);
		goto out;
	}
	/* names compare as DNS does, without case: a resolver may echo them in its own */
	ok = ldns_rr_get_type(aq) == ldns_rr_get_type(qq) &&
	     ldns_rr_get_class(aq) == ldns_rr_get_class(qq) &&
	     !ldns_dname_compare(ldns_rr_owner(aq), ldns_rr_owner(qq));
out:
	ldns_pkt_free(ap);
	ldns_pkt_free(qp);
	return ok;
}

size_t nb_dns_udp_limit(const uint8_t *q, size_t qlen, size_t max)
{
	ldns_pkt *p = NULL;
	size_t n = LDNS_MIN_BUFLEN;

	if (ldns_wire2pkt(&p, q, qlen) == LDNS_STATUS_OK && ldns_pkt_edns(p) &&
	    ldns_pkt_edns_udp_size(p) > LDNS_MIN_BUFLEN)
		n = ldns_pkt_edns_udp_size(p);
	ldns_pkt_free(p);
	return n < max ? n : max < LDNS_MIN_BUFLEN ? LDNS_MIN_BUFLEN : max;
}

/* empties one section of p */
static void drop_section(ldns_pkt *p, ldns_pkt_section s)
{
	ldns_rr_list *l = ldns_rr_list_new();

	switch (s) {
	case LDNS_SECTION_ANSWER:
		ldns_rr_list_deep_free(ldns_pkt_answer(p));
		ldns_pkt_set_answer(p, l);
		ldns_pkt_set_ancount(p, 0);
		break;
	case LDNS_SECTION_AUTHORITY:
		ldns_rr_list_deep_free(ldns_pkt_authority(p));
		ldns_pkt_set_authority(p, l);
		ldns_pkt_set_nscount(p, 0);
		break;
	default:
		ldns_rr_list_deep_free(ldns_pkt_additional(p));
		ldns_pkt_set_additional(p, l);
		ldns_pkt_set_arcount(p, 0);
		break;
	}
}

int nb_dns_truncate(const uint8_t *a, size_t alen, size_t max, uint8_t **out, size_t *out_len)
{
	ldns_pkt *p = NULL;
	int err = 0;

	*out = NULL;
	*out_len = 0;
	if (alen <= max) {
		*out = malloc(alen ?: 1);
		if (!*out)
			return nb_error(-ENOMEM, "dns: reply of %zu bytes: out of memory", alen);
		memcpy(*out, a, alen);
		*out_len = alen;
		return 0;
	}
	if (ldns_wire2pkt(&p, a, alen) != LDNS_STATUS_OK)
		return nb_error(-EINVAL, "dns: reply of %zu bytes: not a DNS message", alen);
	/*
	 * RFC 2181 9: a reply that does not fit says so (TC) and keeps its header, question and
	 * EDNS (ldns writes the OPT record from the packet's edns fields, not from a section),
	 * so the client asks again over TCP rather than trusting half of an RRset.
	 */
	drop_section(p, LDNS_SECTION_ANSWER);
	drop_section(p, LDNS_SECTION_AUTHORITY);
	drop_section(p, LDNS_SECTION_ADDITIONAL);
	ldns_pkt_set_tc(p, true);
	if (ldns_pkt2wire(out, p, out_len) != LDNS_STATUS_OK || *out_len > max) {
		free(*out);
		*out = NULL;
		*out_len = 0;
		err = nb_error(-EMSGSIZE, "dns: reply of %zu bytes: its question alone exceeds %zu",
			       alen, max);
	}
	ldns_pkt_free(p);
	return err;
}

int nb_dns_upstreams(const char *resolv_conf, const __be32 *skip, size_t nskip, __be32 *out,
		     size_t max)
{
	char line[512], word[64], addr[64];
	size_t n = 0, i;
	FILE *f;
	__be32 ip;

	f = fopen(resolv_conf, "re");
	if (!f)
		return nb_error(-errno, "dns: resolv.conf %s: %s", resolv_conf, strerror(errno));
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %63s", word, addr) != 2 || strcmp(word, "nameserver") ||
		    inet_pton(AF_INET, addr, &ip) != 1)
			continue; /* comments, options, IPv6 resolvers (IPv4 only today) */
		for (i = 0; i < nskip && skip[i] != ip; i++)
			;
		if (i == nskip)
			out[n++] = ip;
	}
	fclose(f);
	return (int)n;
}

int nb_dns_write_resolv_conf(const char *path, __be32 gateway)
{
	char ip[NB_IPV4_STRLEN];
	FILE *f;

	f = fopen(path, "we");
	if (!f)
		return nb_error(-errno, "resolv.conf %s: %s", path, strerror(errno));
	/* what Docker writes for a user-defined network, its 127.0.0.11 being our gateway */
	fprintf(f, "nameserver %s\noptions ndots:0\n", nb_fmt_ipv4(gateway, ip));
	if (fclose(f))
		return nb_error(-errno, "resolv.conf %s: %s", path, strerror(errno));
	return 0;
}

void nb_dns_slots_init(struct nb_dns_slots *s, int max_all, int max_net, int max_client)
{
	memset(s, 0, sizeof(*s));
	s->max_all = max_all < NB_DNS_SLOTS_MAX ? max_all : NB_DNS_SLOTS_MAX;
	s->max_net = max_net;
	s->max_client = max_client;
}

enum nb_dns_over nb_dns_slot_take(struct nb_dns_slots *s, __be32 gw, __be32 ip)
{
	int net = 0, mine = -1, free_i = -1, i;
	enum nb_dns_over o = NB_DNS_OVER_NONE;

	for (i = 0; i < s->max_all; i++) {
		if (!s->h[i].n) {
			free_i = free_i < 0 ? i : free_i;
			continue;
		}
		if (s->h[i].gw == gw)
			net += s->h[i].n;
		if (s->h[i].gw == gw && s->h[i].ip == ip)
			mine = i;
	}
	if (s->inflight >= s->max_all)
		o = NB_DNS_OVER_ALL;
	else if (net >= s->max_net)
		o = NB_DNS_OVER_NET;
	else if (mine >= 0 && s->h[mine].n >= s->max_client)
		o = NB_DNS_OVER_CLIENT;
	if (o != NB_DNS_OVER_NONE) {
		s->refused[o]++;
		s->last_gw = gw;
		s->last_ip = ip;
		return o;
	}
	/* fewer than max_all in flight: a free entry is there when ip holds none */
	if (mine < 0) {
		mine = free_i;
		s->h[mine].gw = gw;
		s->h[mine].ip = ip;
	}
	s->h[mine].n++;
	s->inflight++;
	return NB_DNS_OVER_NONE;
}

void nb_dns_slot_give(struct nb_dns_slots *s, __be32 gw, __be32 ip)
{
	int i;

	for (i = 0; i < s->max_all; i++)
		if (s->h[i].n && s->h[i].gw == gw && s->h[i].ip == ip) {
			s->h[i].n--;
			s->inflight--;
			return;
		}
}
