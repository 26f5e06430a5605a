// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* etcd 3.4's v3 JSON gateway over libcurl and jansson (etcd.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "etcd.h"
#include "log.h"

#define ERRBUF_MAX 2048

struct nb_etcd {
	char *list;				 /* the endpoints as given, for messages */
	char *base[NB_ETCD_MAX_ENDPOINTS];	 /* "http://IP:2379" */
	const char *name[NB_ETCD_MAX_ENDPOINTS]; /* "IP:2379": base after the scheme */
	size_t n, cur;				 /* cur: the member that answered last */
	char *cacert, *cert, *key, *user, *password;
	long timeout_ms;
	CURL *curl;
	char *token; /* auth token of member token_ep */
	size_t token_ep;
};

/* ---- base64 --------------------------------------------------------------- */

static const char b64_abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *nb_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64_abc[p[i] >> 2];
		*o++ = b64_abc[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = b64_abc[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		*o++ = b64_abc[p[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = b64_abc[p[i] >> 2];
		*o++ = b64_abc[(p[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = b64_abc[p[i] >> 2];
		*o++ = b64_abc[(p[i] & 3) << 4 | p[i + 1] >> 4];
		*o++ = b64_abc[(p[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_abc, c) : NULL;

	return p ? (int)(p - b64_abc) : -1;
}

int nb_b64_decode(const char *s, char **out, size_t *len)
{
	size_t n = strlen(s), i, pad = 0;
	unsigned char *o;
	int v[4], j;

	*out = NULL;
	*len = 0;
	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	o = malloc(n / 4 * 3 + 1);
	if (!o)
		return -ENOMEM;
	for (i = 0; i < n; i += 4) {
		bool last = i + 4 == n;

		for (j = 0; j < 4; j++) {
			v[j] = b64_val(s[i + j]);
			/* '=' only as the last one or two characters */
			if (v[j] < 0 && !(last && s[i + j] == '=' && j >= 4 - (int)pad))
				goto bad;
		}
		o[*len] = v[0] << 2 | v[1] >> 4;
		if (last && pad == 2) {
			*len += 1;
			break;
		}
		o[*len + 1] = (v[1] & 15) << 4 | v[2] >> 2;
		if (last && pad == 1) {
			*len += 2;
			break;
		}
		o[*len + 2] = (v[2] & 3) << 6 | v[3];
		*len += 3;
	}
	o[*len] = 0;
	*out = (char *)o;
	return 0;
bad:
	free(o);
	*len = 0;
	return -EINVAL;
}

/* ---- JSON helpers ------------------------------------------------------------ */

int nb_etcd_json_i64(const json_t *obj, const char *field, int64_t *out)
{
	json_t *v = json_object_get(obj, field);
	const char *s;
	char *end;
	long long n;

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	s = json_string_value(v);
	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -EINVAL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = n;
	return 0;
}

static json_t *json_i64(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/* sets field to base64(s) */
static int set_b64(json_t *o, const char *field, const char *s, size_t len)
{
	char *b = nb_b64_encode(s, len);
	int err;

	if (!b)
		return -ENOMEM;
	err = json_object_set_new(o, field, json_string(b)) ? -ENOMEM : 0;
	free(b);
	return err;
}

char *nb_etcd_prefix_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *end = strdup(prefix);

	if (!end)
		return NULL;
	/* the first key after every key starting with prefix: drop trailing 0xff, add one */
	while (n && (unsigned char)end[n - 1] == 0xff)
		end[--n] = 0;
	if (!n) {
		/* everything: etcd's "\0" range end */
		free(end);
		return strdup("");
	}
	end[n - 1]++;
	return end;
}

static int set_range(json_t *o, const char *key, bool prefix)
{
	char *end;
	int err;

	if ((err = set_b64(o, "key", key, strlen(key))))
		return err;
	if (!prefix)
		return 0;
	end = nb_etcd_prefix_end(key);
	if (!end)
		return -ENOMEM;
	/* an empty prefix_end is etcd's "from key on": the single byte \0 */
	err = *end ? set_b64(o, "range_end", end, strlen(end)) : set_b64(o, "range_end", "", 1);
	free(end);
	return err;
}

json_t *nb_etcd_range_req(const char *key, bool prefix, int64_t rev)
{
	json_t *o = json_object();

	if (!o || set_range(o, key, prefix) ||
	    (rev > 0 && json_object_set_new(o, "revision", json_i64(rev)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *op_req(const struct nb_etcd_op *op)
{
	json_t *o = json_object(), *r = json_object();
	bool put = op->type == NB_ETCD_OP_PUT;

	if (!o || !r)
		goto fail;
	if (put) {
		if (set_b64(r, "key", op->key, strlen(op->key)) ||
		    set_b64(r, "value", op->value, strlen(op->value)) ||
		    (op->lease && json_object_set_new(r, "lease", json_i64(op->lease))))
			goto fail;
	} else if (set_range(r, op->key, op->prefix)) {
		goto fail;
	}
	if (json_object_set_new(o, put ? "request_put" : "request_delete_range", r)) {
		r = NULL;
		goto fail;
	}
	return o;
fail:
	json_decref(r);
	json_decref(o);
	return NULL;
}

static const char *const target_names[] = {"VERSION", "CREATE", "MOD", "VALUE"};
static const char *const result_names[] = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"};
static const char *const target_fields[] = {"version", "create_revision", "mod_revision", NULL};

static json_t *ops_req(const struct nb_etcd_op *ops, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++)
		if (json_array_append_new(a, op_req(&ops[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *nb_etcd_txn_req(const struct nb_etcd_cmp *cmp, size_t ncmp,
			const struct nb_etcd_op *success, size_t nsuccess,
			const struct nb_etcd_op *failure, size_t nfailure)
{
	json_t *o = json_object(), *a = json_array(), *c;
	size_t i;

	if (!o || !a)
		goto fail;
	for (i = 0; i < ncmp; i++) {
		const struct nb_etcd_cmp *x = &cmp[i];

		c = json_object();
		if (!c || json_array_append_new(a, c))
			goto fail;
		if (x->target > NB_ETCD_VALUE || x->result > NB_ETCD_LESS)
			goto fail;
		if (set_b64(c, "key", x->key, strlen(x->key)) ||
		    json_object_set_new(c, "target", json_string(target_names[x->target])) ||
		    json_object_set_new(c, "result", json_string(result_names[x->result])))
			goto fail;
		if (x->target == NB_ETCD_VALUE) {
			if (set_b64(c, "value", x->value, strlen(x->value)))
				goto fail;
		} else if (json_object_set_new(c, target_fields[x->target], json_i64(x->number))) {
			goto fail;
		}
	}
	if (json_object_set_new(o, "compare", a)) {
		a = NULL;
		goto fail;
	}
	a = NULL;
	if (json_object_set_new(o, "success", ops_req(success, nsuccess)) ||
	    json_object_set_new(o, "failure", ops_req(failure, nfailure)))
		goto fail;
	return o;
fail:
	json_decref(a);
	json_decref(o);
	return NULL;
}

void nb_etcd_kv_free(struct nb_etcd_kv *kv)
{
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

void nb_etcd_kvs_free(struct nb_etcd_kvs *kvs)
{
	size_t i;

	for (i = 0; i < kvs->n; i++)
		nb_etcd_kv_free(&kvs->kv[i]);
	free(kvs->kv);
	memset(kvs, 0, sizeof(*kvs));
}

static int parse_kv(const json_t *o, struct nb_etcd_kv *kv)
{
	const char *k = json_string_value(json_object_get(o, "key"));
	const char *v = json_string_value(json_object_get(o, "value"));
	size_t klen;
	int err;

	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(o) || !k)
		return -EINVAL;
	if ((err = nb_b64_decode(k, &kv->key, &klen)))
		return err;
	err = nb_b64_decode(v ? v : "", &kv->value, &kv->value_len);
	if (!err)
		err = nb_etcd_json_i64(o, "create_revision", &kv->create_revision);
	if (!err)
		err = nb_etcd_json_i64(o, "mod_revision", &kv->mod_revision);
	if (!err)
		err = nb_etcd_json_i64(o, "version", &kv->version);
	if (!err)
		err = nb_etcd_json_i64(o, "lease", &kv->lease);
	if (err)
		nb_etcd_kv_free(kv);
	return err;
}

int nb_etcd_parse_kvs(const json_t *resp, struct nb_etcd_kvs *out)
{
	json_t *kvs = json_object_get(resp, "kvs");
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(resp))
		return -EINVAL;
	err = nb_etcd_json_i64(json_object_get(resp, "header"), "revision", &out->revision);
	if (err)
		return err;
	if (!kvs)
		return 0; /* an empty range: the field is omitted */
	if (!json_is_array(kvs))
		return -EINVAL;
	out->kv = calloc(json_array_size(kvs) + 1, sizeof(*out->kv));
	if (!out->kv)
		return -ENOMEM;
	for (i = 0; i < json_array_size(kvs); i++) {
		err = parse_kv(json_array_get(kvs, i), &out->kv[i]);
		if (err) {
			nb_etcd_kvs_free(out);
			return err;
		}
		out->n++;
	}
	return 0;
}

/* ---- watch stream --------------------------------------------------------- */

int nb_etcd_stream_feed(struct nb_etcd_stream *s, const char *data, size_t len, nb_etcd_line_fn fn,
			void *arg)
{
	size_t start = 0, i;
	int ret;

	if (s->len + len + 1 > s->cap) {
		size_t cap = (s->len + len + 1) * 2;
		char *b = realloc(s->buf, cap);

		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	for (i = 0; i < s->len; i++) {
		if (s->buf[i] != '\n')
			continue;
		s->buf[i] = 0;
		ret = i > start ? fn(s->buf + start, i - start, arg) : 0;
		start = i + 1;
		if (ret) {
			memmove(s->buf, s->buf + start, s->len - start);
			s->len -= start;
			return ret;
		}
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	return 0;
}

void nb_etcd_stream_free(struct nb_etcd_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

void nb_etcd_events_free(struct nb_etcd_event *ev, size_t n)
{
	size_t i;

	for (i = 0; ev && i < n; i++)
		nb_etcd_kv_free(&ev[i].kv);
	free(ev);
}

static const char *gw_error(const json_t *o)
{
	const char *m = json_string_value(json_object_get(o, "message"));

	if (!m)
		m = json_string_value(json_object_get(o, "error"));
	return m ? m : "(no message)";
}

int nb_etcd_watch_parse(const char *line, size_t len, struct nb_etcd_event **evp, size_t *np,
			int64_t *revision, bool *created, bool *canceled, int64_t *compact_rev)
{
	json_t *root, *res, *evs, *err;
	struct nb_etcd_event *ev = NULL;
	json_error_t jerr;
	size_t i, n = 0;
	int ret = -EPROTO;

	*evp = NULL;
	*np = 0;
	*revision = *compact_rev = 0;
	*created = *canceled = false;
	root = json_loadb(line, len, 0, &jerr);
	if (!root) {
		nb_errorf("watch: a message that is not JSON (%s): %.*s", jerr.text,
			  (int)(len > 200 ? 200 : len), line);
		return -EPROTO;
	}
	err = json_object_get(root, "error");
	if (err) {
		nb_errorf("watch: %s", json_is_object(err) ? gw_error(err) : gw_error(root));
		goto out;
	}
	res = json_object_get(root, "result");
	if (!json_is_object(res)) {
		nb_errorf("watch: a message without \"result\": %.*s", (int)(len > 200 ? 200 : len),
			  line);
		goto out;
	}
	if (nb_etcd_json_i64(json_object_get(res, "header"), "revision", revision) ||
	    nb_etcd_json_i64(res, "compact_revision", compact_rev)) {
		nb_errorf("watch: a revision that is not a number");
		goto out;
	}
	*created = json_is_true(json_object_get(res, "created"));
	*canceled = json_is_true(json_object_get(res, "canceled"));
	evs = json_object_get(res, "events");
	if (evs && !json_is_array(evs)) {
		nb_errorf("watch: \"events\" is not an array");
		goto out;
	}
	if (json_array_size(evs)) {
		ev = calloc(json_array_size(evs), sizeof(*ev));
		if (!ev) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < json_array_size(evs); i++) {
		json_t *e = json_array_get(evs, i);
		const char *type = json_string_value(json_object_get(e, "type"));

		/* PUT is the enum's default: the gateway omits it */
		if (!type || !strcmp(type, "PUT"))
			ev[n].type = NB_ETCD_EV_PUT;
		else if (!strcmp(type, "DELETE"))
			ev[n].type = NB_ETCD_EV_DELETE;
		else {
			nb_errorf("watch: event type \"%s\" unknown", type);
			goto out;
		}
		if (parse_kv(json_object_get(e, "kv"), &ev[n].kv)) {
			nb_errorf("watch: an event whose kv is malformed");
			goto out;
		}
		n++;
	}
	*evp = ev;
	*np = n;
	ev = NULL;
	ret = 0;
out:
	nb_etcd_events_free(ev, n);
	json_decref(root);
	return ret;
}

/* ---- endpoints -------------------------------------------------------------- */

static int endpoint_parse(const char *s, bool tls, char **base, const char **name)
{
	const char *scheme = tls ? "https://" : "http://", *hp = s, *colon;
	char *end;
	long port;

	if (!strncmp(s, "etcd://", 7))
		hp = s + 7;
	else if (!strncmp(s, "http://", 7))
		hp = s + 7, scheme = "http://";
	else if (!strncmp(s, "https://", 8))
		hp = s + 8, scheme = "https://";
	else if (strstr(s, "://"))
		return nb_error(-EINVAL,
				"store endpoint \"%s\": scheme not etcd://, http:// or "
				"https://",
				s);
	colon = strrchr(hp, ':');
	if (!colon || colon == hp || strchr(hp, '/'))
		return nb_error(-EINVAL, "store endpoint \"%s\": not HOST:PORT", s);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535 || colon[1] == '-' || colon[1] == '+')
		return nb_error(-EINVAL, "store endpoint \"%s\": port \"%s\" not in 1-65535", s,
				colon + 1);
	if (asprintf(base, "%s%s", scheme, hp) < 0)
		return -ENOMEM;
	*name = *base + strlen(scheme);
	return 0;
}

static int endpoints_split(struct nb_etcd *e, const char *list, bool tls)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (e->n == NB_ETCD_MAX_ENDPOINTS) {
			err = nb_error(-E2BIG, "store \"%s\": more than %d endpoints", list,
				       NB_ETCD_MAX_ENDPOINTS);
			break;
		}
		err = endpoint_parse(tok, tls, &e->base[e->n], &e->name[e->n]);
		if (err)
			break;
		e->n++;
	}
	if (!err && !e->n)
		err = nb_error(-EINVAL, "store \"%s\": no endpoint (etcd://IP:2379[,IP:2379...])",
			       list);
	free(copy);
	return err;
}

int nb_etcd_endpoints_check(const char *endpoints)
{
	struct nb_etcd e = {0};
	size_t i;
	int err = endpoints_split(&e, endpoints, false);

	for (i = 0; i < e.n; i++)
		free(e.base[i]);
	return err;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

int nb_etcd_open(const struct nb_etcd_opts *o, struct nb_etcd **out)
{
	struct nb_etcd *e;
	char *colon;
	int err;

	*out = NULL;
	if (!o->endpoints || !*o->endpoints)
		return nb_error(-EINVAL, "store: no endpoints given");
	e = calloc(1, sizeof(*e));
	if (!e)
		return nb_error(-ENOMEM, "store: out of memory");
	e->list = strdup(o->endpoints);
	e->cacert = dup_or_null(o->cacert);
	e->cert = dup_or_null(o->cert);
	e->key = dup_or_null(o->key);
	e->user = dup_or_null(o->user);
	e->password = dup_or_null(o->password);
	e->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : NB_ETCD_TIMEOUT_MS;
	if (e->user && (colon = strchr(e->user, ':'))) {
		*colon = 0;
		free(e->password);
		e->password = strdup(colon + 1);
	}
	if (!e->list) {
		err = nb_error(-ENOMEM, "store: out of memory");
		goto fail;
	}
	err = endpoints_split(e, o->endpoints, e->cacert || e->cert);
	if (err)
		goto fail;
	if (e->user && !e->password) {
		err = nb_error(-EINVAL, "store: user \"%s\" without a password", e->user);
		goto fail;
	}
	/* libcurl's global init is idempotent and, since 7.84, thread-safe */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	e->curl = curl_easy_init();
	if (!e->curl) {
		err = nb_error(-ENOMEM, "store: cannot create a curl handle");
		goto fail;
	}
	*out = e;
	return 0;
fail:
	nb_etcd_close(e);
	return err;
}

void nb_etcd_close(struct nb_etcd *e)
{
	size_t i;

	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	for (i = 0; i < e->n; i++)
		free(e->base[i]);
	free(e->list);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	free(e->user);
	free(e->password);
	free(e->token);
	free(e);
}

const char *nb_etcd_endpoints(const struct nb_etcd *e)
{
	return e->list;
}

/* ---- requests --------------------------------------------------------------- */

struct body {
	char *data;
	size_t len;
};

static size_t body_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct body *b = arg;
	size_t n = size * nmemb;
	char *d;

	if (b->len + n > (64u << 20))
		return 0; /* no answer of ours is that big: a wrong server */
	d = realloc(b->data, b->len + n + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, p, n);
	b->data = d;
	b->len += n;
	d[b->len] = 0;
	return n;
}

static void curl_setup(struct nb_etcd *e, const char *url, const char *post,
		       struct curl_slist *hdrs, char *errbuf)
{
	CURL *c = e->curl;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, e->timeout_ms);
	/* a member behind a cut link is found by keepalive, not only by the next request */
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* never a proxy from the environment: the members are on the underlay */
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (e->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, e->cacert);
	if (e->cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, e->cert);
	if (e->key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, e->key);
	errbuf[0] = 0;
}

static const char *curl_cause(CURLcode rc, const char *errbuf)
{
	return errbuf[0] ? errbuf : curl_easy_strerror(rc);
}

static void errs_add(char *errs, size_t size, const char *name, const char *cause)
{
	size_t n = strlen(errs);

	snprintf(errs + n, size - n, "%s%s: %s", n ? "; " : "", name, cause);
}

/* Whether a gateway error means "this member cannot serve now, ask another" */
static bool retryable(long http, const json_t *body)
{
	int64_t code = 0;
	const char *m = body ? gw_error(body) : "";

	nb_etcd_json_i64(body, "code", &code);
	return http >= 500 && (code == 14 || code == 4 || code == 0 || strstr(m, "no leader") ||
			       strstr(m, "timed out") || strstr(m, "unavailable") ||
			       strstr(m, "not capable") || http == 503);
}

static bool auth_failed(const json_t *body)
{
	const char *m = body ? gw_error(body) : "";

	return strstr(m, "invalid auth token") || strstr(m, "user name is empty");
}

static int post_one(struct nb_etcd *e, size_t i, const char *path, const char *req,
		    const char *token, long *http, json_t **resp, char *cause, size_t csize)
{
	char url[512], errbuf[CURL_ERROR_SIZE], hdr[1024];
	struct curl_slist *hdrs = NULL;
	struct body b = {0};
	json_error_t jerr;
	CURLcode rc;

	*resp = NULL;
	*http = 0;
	snprintf(url, sizeof(url), "%s%s", e->base[i], path);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (token) {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", token);
		hdrs = curl_slist_append(hdrs, hdr);
	}
	curl_setup(e, url, req, hdrs, errbuf);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(e->curl);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(cause, csize, "%s", curl_cause(rc, errbuf));
		free(b.data);
		return -EHOSTUNREACH;
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, http);
	*resp = b.data ? json_loadb(b.data, b.len, 0, &jerr) : NULL;
	if (!*resp) {
		snprintf(cause, csize, "HTTP %ld, an answer that is not JSON: %.100s", *http,
			 b.data ? b.data : "(empty)");
		free(b.data);
		/* not etcd's gateway, or a member going down: try another */
		return -EHOSTUNREACH;
	}
	free(b.data);
	return 0;
}

static int authenticate(struct nb_etcd *e, size_t i, char *cause, size_t csize)
{
	json_t *req = json_pack("{s:s,s:s}", "name", e->user, "password", e->password), *resp;
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	const char *tok;
	long http;
	int err;

	json_decref(req);
	if (!body)
		return -ENOMEM;
	err = post_one(e, i, "/v3/auth/authenticate", body, NULL, &http, &resp, cause, csize);
	free(body);
	if (err)
		return err;
	tok = json_string_value(json_object_get(resp, "token"));
	if (http != 200 || !tok) {
		snprintf(cause, csize, "authentication of user \"%s\" failed: %s", e->user,
			 gw_error(resp));
		json_decref(resp);
		return http >= 500 ? -EHOSTUNREACH : -EACCES;
	}
	free(e->token);
	e->token = strdup(tok);
	e->token_ep = i;
	json_decref(resp);
	return e->token ? 0 : -ENOMEM;
}

/*
 * POSTs req to path at the members, the last good one first; *resp: the
 * answer of the first member that could serve it.
 */
static int post(struct nb_etcd *e, const char *path, json_t *req, json_t **resp)
{
	char *body = json_dumps(req, JSON_COMPACT);
	char errs[ERRBUF_MAX] = "", cause[512];
	struct timespec t0;
	bool busy;
	size_t k, i;
	long http;
	int err = -EHOSTUNREACH, tries;

	*resp = NULL;
	if (!body)
		return nb_error(-ENOMEM, "etcd %s: out of memory", e->list);
	clock_gettime(CLOCK_MONOTONIC, &t0);
again:
	busy = false;
	errs[0] = 0;
	for (k = 0; k < e->n; k++) {
		i = (e->cur + k) % e->n;
		for (tries = 0; tries < 2; tries++) {
			json_t *r = NULL;

			cause[0] = 0;
			if (e->user && (!e->token || e->token_ep != i)) {
				err = authenticate(e, i, cause, sizeof(cause));
				if (err == -EACCES) {
					nb_error(err, "etcd %s: %s", e->name[i], cause);
					goto out;
				}
				if (err)
					break;
			}
			err = post_one(e, i, path, body, e->user ? e->token : NULL, &http, &r,
				       cause, sizeof(cause));
			if (err)
				break;
			if (http == 200) {
				e->cur = i;
				*resp = r;
				err = 0;
				goto out;
			}
			if (e->user && auth_failed(r) && !tries) {
				/* the token expired (simple tokens live 5 minutes idle) */
				free(e->token);
				e->token = NULL;
				json_decref(r);
				continue;
			}
			snprintf(cause, sizeof(cause), "HTTP %ld: %s", http, gw_error(r));
			if (!retryable(http, r)) {
				/* gRPC's NotFound (a lease that expired) is HTTP 404 */
				err = nb_error(http == 404 ? -ENOENT : -EIO, "etcd %s: %s: %s",
					       e->name[i], path, cause);
				json_decref(r);
				goto out;
			}
			json_decref(r);
			err = -EHOSTUNREACH;
			busy = true;
			break;
		}
		errs_add(errs, sizeof(errs), e->name[i], cause);
	}
	/*
	 * Members that answered "no leader" or "leader changed" are electing one: as
	 * etcd's own client does, a request that may run twice is sent again until
	 * the timeout (a txn or a grant is not: it may have been applied).
	 */
	if (busy && strcmp(path, "/v3/kv/txn") && strcmp(path, "/v3/lease/grant")) {
		struct timespec now, nap = {0, 100 * 1000000L};

		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 <
		    e->timeout_ms) {
			nanosleep(&nap, NULL);
			goto again;
		}
	}
	err = nb_error(-EHOSTUNREACH, "etcd %s: no member answered %s (%s)", e->list, path, errs);
out:
	free(body);
	return err;
}

/* post() for a request built by the caller, which it consumes */
static int call(struct nb_etcd *e, const char *path, json_t *req, json_t **resp)
{
	int err;

	if (!req)
		return nb_error(-ENOMEM, "etcd %s: %s: out of memory", e->list, path);
	err = post(e, path, req, resp);
	json_decref(req);
	return err;
}

static int malformed(struct nb_etcd *e, const char *path)
{
	return nb_error(-EPROTO, "etcd %s: %s: a malformed answer", e->name[e->cur], path);
}

int nb_etcd_range(struct nb_etcd *e, const char *key, bool prefix, int64_t rev,
		  struct nb_etcd_kvs *out)
{
	json_t *resp;
	int err;

	memset(out, 0, sizeof(*out));
	err = call(e, "/v3/kv/range", nb_etcd_range_req(key, prefix, rev), &resp);
	if (err)
		return err;
	err = nb_etcd_parse_kvs(resp, out);
	json_decref(resp);
	return err ? malformed(e, "/v3/kv/range") : 0;
}

static int header_rev(struct nb_etcd *e, const char *path, json_t *resp, int64_t *rev)
{
	int64_t r;

	if (nb_etcd_json_i64(json_object_get(resp, "header"), "revision", &r))
		return malformed(e, path);
	if (rev)
		*rev = r;
	return 0;
}

int nb_etcd_put(struct nb_etcd *e, const char *key, const char *value, int64_t lease, int64_t *rev)
{
	struct nb_etcd_op op = {NB_ETCD_OP_PUT, key, value, lease, false};
	json_t *req = op_req(&op), *resp;
	int err;

	/* a PutRequest is the op's request_put */
	err = call(e, "/v3/kv/put", req ? json_incref(json_object_get(req, "request_put")) : NULL,
		   &resp);
	json_decref(req);
	if (err)
		return err;
	err = header_rev(e, "/v3/kv/put", resp, rev);
	json_decref(resp);
	return err;
}

int nb_etcd_delete(struct nb_etcd *e, const char *key, bool prefix, int64_t *deleted)
{
	json_t *req = json_object(), *resp;
	int64_t n;
	int err;

	if (req && set_range(req, key, prefix)) {
		json_decref(req);
		req = NULL;
	}
	err = call(e, "/v3/kv/deleterange", req, &resp);
	if (err)
		return err;
	err = nb_etcd_json_i64(resp, "deleted", &n) ? malformed(e, "/v3/kv/deleterange") : 0;
	if (!err && deleted)
		*deleted = n;
	json_decref(resp);
	return err;
}

int nb_etcd_txn(struct nb_etcd *e, const struct nb_etcd_cmp *cmp, size_t ncmp,
		const struct nb_etcd_op *success, size_t nsuccess, const struct nb_etcd_op *failure,
		size_t nfailure, bool *succeeded, int64_t *rev)
{
	json_t *resp;
	int err;

	err = call(e, "/v3/kv/txn",
		   nb_etcd_txn_req(cmp, ncmp, success, nsuccess, failure, nfailure), &resp);
	if (err)
		return err;
	/* a failed txn's "succeeded" is false, the default: omitted */
	*succeeded = json_is_true(json_object_get(resp, "succeeded"));
	err = header_rev(e, "/v3/kv/txn", resp, rev);
	json_decref(resp);
	return err;
}

int nb_etcd_create(struct nb_etcd *e, const char *key, const char *value, int64_t lease)
{
	struct nb_etcd_cmp cmp = {key, NB_ETCD_VERSION, NB_ETCD_EQUAL, 0, NULL};
	struct nb_etcd_op put = {NB_ETCD_OP_PUT, key, value, lease, false};
	bool ok;
	int err;

	err = nb_etcd_txn(e, &cmp, 1, &put, 1, NULL, 0, &ok, NULL);
	return err ? err : ok ? 0 : -EEXIST;
}

int nb_etcd_lease_grant(struct nb_etcd *e, int64_t ttl, int64_t *id)
{
	json_t *req = json_object(), *resp;
	int err;

	if (req && json_object_set_new(req, "TTL", json_i64(ttl))) {
		json_decref(req);
		req = NULL;
	}
	err = call(e, "/v3/lease/grant", req, &resp);
	if (err)
		return err;
	if (nb_etcd_json_i64(resp, "ID", id) || !*id) {
		nb_errorf("etcd %s: lease grant: %s", e->name[e->cur],
			  json_string_value(json_object_get(resp, "error")) ?: "no lease id");
		err = -EPROTO;
	}
	json_decref(resp);
	return err;
}

static json_t *id_req(int64_t id)
{
	json_t *req = json_object();

	if (req && json_object_set_new(req, "ID", json_i64(id))) {
		json_decref(req);
		return NULL;
	}
	return req;
}

int nb_etcd_lease_keepalive(struct nb_etcd *e, int64_t id, int64_t *ttl)
{
	json_t *resp, *res;
	int err;

	err = call(e, "/v3/lease/keepalive", id_req(id), &resp);
	if (err)
		return err;
	/* a stream of one: {"result": {"ID", "TTL"}}; TTL omitted (0) when the lease is gone */
	res = json_object_get(resp, "result");
	if (!res)
		res = resp;
	err = nb_etcd_json_i64(res, "TTL", ttl) ? malformed(e, "/v3/lease/keepalive") : 0;
	if (!err && *ttl <= 0)
		err = nb_error(-ENOENT, "etcd %s: lease %" PRIx64 " expired or revoked",
			       e->name[e->cur], id);
	json_decref(resp);
	return err;
}

int nb_etcd_lease_revoke(struct nb_etcd *e, int64_t id)
{
	json_t *resp;
	int err = call(e, "/v3/lease/revoke", id_req(id), &resp);

	json_decref(resp);
	return err;
}

int nb_etcd_lease_ttl(struct nb_etcd *e, int64_t id, int64_t *ttl, int64_t *granted)
{
	json_t *resp;
	int err = call(e, "/v3/lease/timetolive", id_req(id), &resp);

	if (err)
		return err;
	if (nb_etcd_json_i64(resp, "TTL", ttl) || nb_etcd_json_i64(resp, "grantedTTL", granted))
		err = malformed(e, "/v3/lease/timetolive");
	else if (*ttl < 0)
		err = -ENOENT; /* etcd answers TTL -1 for a lease it does not know */
	json_decref(resp);
	return err;
}

/* ---- watch --------------------------------------------------------------- */

struct watch {
	struct nb_etcd_stream s;
	nb_etcd_watch_fn fn;
	void *arg;
	const volatile int *stop;
	int64_t next_rev; /* where a resumed watch starts */
	int64_t compact_rev;
	bool created;
	int ret; /* why the stream was ended from our side; 0: it broke */
};

static int watch_line(const char *line, size_t len, void *arg)
{
	struct watch *w = arg;
	struct nb_etcd_event *ev;
	int64_t rev, compact;
	bool created, canceled;
	size_t n, i;
	int ret;

	ret = nb_etcd_watch_parse(line, len, &ev, &n, &rev, &created, &canceled, &compact);
	if (ret)
		return w->ret = ret;
	if (compact) {
		w->compact_rev = compact;
		return w->ret = -ESTALE;
	}
	if (canceled) {
		nb_errorf("watch: cancelled by the member");
		return w->ret = -ECANCELED;
	}
	if (created) {
		w->created = true;
		/* a watch "from now" resumes after the revision it was created at */
		if (!w->next_rev)
			w->next_rev = rev + 1;
	}
	ret = w->fn(ev, n, rev, w->arg);
	for (i = 0; i < n; i++)
		if (ev[i].kv.mod_revision >= w->next_rev)
			w->next_rev = ev[i].kv.mod_revision + 1;
	nb_etcd_events_free(ev, n);
	if (ret)
		w->ret = ret;
	return ret;
}

static size_t watch_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct watch *w = arg;

	if (nb_etcd_stream_feed(&w->s, p, size * nmemb, watch_line, w))
		return 0; /* ends the transfer: w->ret says why */
	return size * nmemb;
}

static int watch_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct watch *w = arg;

	(void)a, (void)b, (void)c, (void)d;
	return w->stop && *w->stop;
}

int nb_etcd_watch(struct nb_etcd *e, const char *key, bool prefix, int64_t start_rev,
		  nb_etcd_watch_fn fn, void *arg, const volatile int *stop, int64_t *compact_rev)
{
	struct watch w = {.fn = fn, .arg = arg, .stop = stop, .next_rev = start_rev};
	char errs[ERRBUF_MAX] = "", cause[512], errbuf[CURL_ERROR_SIZE], url[512], hdr[1024];
	size_t failed = 0, i;
	int err = 0;

	if (compact_rev)
		*compact_rev = 0;
	while (!(stop && *stop)) {
		struct curl_slist *hdrs = NULL;
		json_t *req, *cr;
		char *body;
		CURLcode rc;

		if (failed == e->n) {
			err = nb_error(-EHOSTUNREACH, "etcd %s: no member to watch %s on (%s)",
				       e->list, key, errs);
			break;
		}
		i = e->cur;
		cause[0] = 0;
		if (e->user && (!e->token || e->token_ep != i)) {
			err = authenticate(e, i, cause, sizeof(cause));
			if (err == -EACCES) {
				nb_error(err, "etcd %s: %s", e->name[i], cause);
				break;
			}
			if (err)
				goto next;
		}
		cr = json_object();
		req = json_object();
		if (!cr || !req || set_range(cr, key, prefix) ||
		    (w.next_rev &&
		     json_object_set_new(cr, "start_revision", json_i64(w.next_rev))) ||
		    json_object_set(req, "create_request", cr)) {
			json_decref(cr);
			json_decref(req);
			err = nb_error(-ENOMEM, "etcd %s: watch: out of memory", e->list);
			break;
		}
		json_decref(cr);
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		if (!body) {
			err = nb_error(-ENOMEM, "etcd %s: watch: out of memory", e->list);
			break;
		}
		snprintf(url, sizeof(url), "%s/v3/watch", e->base[i]);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		/*
		 * etcd's "require leader" (clientv3.WithRequireLeader), as gRPC metadata
		 * through the gateway: a member cut off from the leader ends the stream
		 * instead of going silent, and the watch moves to another member
		 */
		hdrs = curl_slist_append(hdrs, "Grpc-Metadata-hasleader: true");
		if (e->user) {
			snprintf(hdr, sizeof(hdr), "Authorization: %s", e->token);
			hdrs = curl_slist_append(hdrs, hdr);
		}
		curl_setup(e, url, body, hdrs, errbuf);
		curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, watch_write);
		curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &w);
		curl_easy_setopt(e->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(e->curl, CURLOPT_XFERINFOFUNCTION, watch_progress);
		curl_easy_setopt(e->curl, CURLOPT_XFERINFODATA, &w);
		w.created = false;
		w.ret = 0;
		w.s.len = 0;
		rc = curl_easy_perform(e->curl);
		curl_slist_free_all(hdrs);
		free(body);
		if (w.ret == -ESTALE) {
			if (compact_rev)
				*compact_rev = w.compact_rev;
			err = nb_error(-ESTALE,
				       "etcd %s: watch %s from revision %" PRId64
				       ": compacted (the oldest revision left is %" PRId64 ")",
				       e->name[i], key, w.next_rev, w.compact_rev);
			break;
		}
		/* an {"error"} message (a member losing its leader): another member may serve */
		if (w.ret == -EPROTO && w.created)
			w.ret = 0;
		if (w.ret) {
			err = w.ret > 0 ? w.ret
					: nb_error(w.ret, "etcd %s: watch %s", e->name[i], key);
			break;
		}
		if (stop && *stop)
			break;
		if (rc != CURLE_OK)
			snprintf(cause, sizeof(cause), "%s", curl_cause(rc, errbuf));
		else
			snprintf(cause, sizeof(cause), "the stream ended");
		if (e->user && !w.created)
			free(e->token), e->token = NULL;
	next:
		/* a stream that worked before it broke starts a new round of members */
		if (w.created) {
			failed = 0;
			errs[0] = 0;
		}
		nb_logf(NB_LOG_DEBUG, "etcd %s: watch %s broke (%s), resuming at revision %" PRId64,
			e->name[i], key, cause, w.next_rev);
		errs_add(errs, sizeof(errs), e->name[i], cause);
		failed++;
		e->cur = (i + 1) % e->n;
	}
	nb_etcd_stream_free(&w.s);
	return err;
}
