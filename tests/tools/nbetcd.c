// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nbetcd: the library's etcd client (user/lib/etcd.c) driven from the e2e
 * tests, so they exercise our requests and parsing, not etcdctl's.
 *
 *   nbetcd ENDPOINTS put KEY VALUE [LEASE]   prints the revision
 *   nbetcd ENDPOINTS get KEY                 prints the value (exit 4: none)
 *   nbetcd ENDPOINTS ls PREFIX               "KEY=VALUE" per key
 *   nbetcd ENDPOINTS create KEY VALUE        "created", or "exists" and exit 5
 *   nbetcd ENDPOINTS del KEY                 prints how many went
 *   nbetcd ENDPOINTS grant TTL               prints the lease id (decimal)
 *   nbetcd ENDPOINTS watch PREFIX REV COUNT  "PUT KEY VALUE REV" / "DELETE KEY REV"
 *                                            until COUNT events; compacted: exit 3
 * NBETCD_USER=NAME:PASSWORD authenticates (etcd's auth); NBETCD_CACERT,
 * NBETCD_CERT, NBETCD_KEY: TLS (etcdctl's --cacert, --cert, --key).
 * Errors: the library's error slot on stderr, exit 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netbpf/netbpf.h>

static int remaining;

static int on_events(const struct nb_etcd_event *ev, size_t n, int64_t rev, void *arg)
{
	size_t i;

	(void)arg;
	static bool started;

	/* once: a watch resumed on another member starts with a created response too */
	if (!n && !started)
		printf("watching at %" PRId64 "\n", rev);
	started = true;
	for (i = 0; i < n; i++) {
		if (ev[i].type == NB_ETCD_EV_PUT)
			printf("PUT %s %s %" PRId64 "\n", ev[i].kv.key, ev[i].kv.value,
			       ev[i].kv.mod_revision);
		else
			printf("DELETE %s %" PRId64 "\n", ev[i].kv.key, ev[i].kv.mod_revision);
		if (--remaining <= 0) {
			fflush(stdout);
			return 1;
		}
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct nb_etcd_opts o = {0};
	struct nb_etcd_kvs kvs;
	struct nb_etcd *e;
	int64_t v = 0, compact;
	size_t i;
	int err = -EINVAL;

	if (argc < 3) {
		fprintf(stderr, "usage: nbetcd ENDPOINTS put|get|ls|create|del|grant|watch ...\n");
		return 2;
	}
	o.endpoints = argv[1];
	o.user = getenv("NBETCD_USER"); /* NAME:PASSWORD, as etcdctl --user */
	o.cacert = getenv("NBETCD_CACERT");
	o.cert = getenv("NBETCD_CERT");
	o.key = getenv("NBETCD_KEY");
	o.timeout_ms = 3000;
	if (nb_etcd_open(&o, &e))
		goto fail;
	if (!strcmp(argv[2], "put") && argc >= 5) {
		err =
		    nb_etcd_put(e, argv[3], argv[4], argc > 5 ? strtoll(argv[5], NULL, 10) : 0, &v);
		if (!err)
			printf("%" PRId64 "\n", v);
	} else if (!strcmp(argv[2], "get") && argc == 4) {
		err = nb_etcd_range(e, argv[3], false, 0, &kvs);
		if (!err && !kvs.n) {
			nb_etcd_kvs_free(&kvs);
			nb_etcd_close(e);
			return 4;
		}
		if (!err)
			printf("%s\n", kvs.kv[0].value);
		if (!err)
			nb_etcd_kvs_free(&kvs);
	} else if (!strcmp(argv[2], "ls") && argc == 4) {
		err = nb_etcd_range(e, argv[3], true, 0, &kvs);
		for (i = 0; !err && i < kvs.n; i++)
			printf("%s=%s\n", kvs.kv[i].key, kvs.kv[i].value);
		if (!err)
			nb_etcd_kvs_free(&kvs);
	} else if (!strcmp(argv[2], "create") && argc == 5) {
		err = nb_etcd_create(e, argv[3], argv[4], 0);
		if (err == -EEXIST) {
			printf("exists\n");
			nb_etcd_close(e);
			return 5;
		}
		if (!err)
			printf("created\n");
	} else if (!strcmp(argv[2], "del") && argc == 4) {
		err = nb_etcd_delete(e, argv[3], false, &v);
		if (!err)
			printf("%" PRId64 "\n", v);
	} else if (!strcmp(argv[2], "grant") && argc == 4) {
		err = nb_etcd_lease_grant(e, strtoll(argv[3], NULL, 10), &v);
		if (!err)
			printf("%" PRId64 "\n", v);
	} else if (!strcmp(argv[2], "watch") && argc == 6) {
		remaining = atoi(argv[5]);
		err = nb_etcd_watch(e, argv[3], true, strtoll(argv[4], NULL, 10), on_events, NULL,
				    NULL, &compact);
		if (err == 1)
			err = 0;
		if (err == -ESTALE) {
			printf("compacted %" PRId64 "\n", compact);
			fprintf(stderr, "nbetcd: %s\n", nb_error_text());
			nb_etcd_close(e);
			return 3;
		}
	} else {
		fprintf(stderr, "nbetcd: %s: unknown command or wrong arguments\n", argv[2]);
		nb_etcd_close(e);
		return 2;
	}
	nb_etcd_close(e);
	if (!err)
		return 0;
fail:
	fprintf(stderr, "nbetcd: %s\n", nb_error_text());
	return 1;
}
