// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Unit tests of user/lib/store.c against real SQLite files in a temporary
 * directory (mkdtemp under /tmp, removed at the end): files and modes,
 * CRUD of every table, name/id resolution, constraints, cascades, the
 * publish conflict rule, transactions, and writers of several processes
 * serializing on the state lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <netbpf/abi.h>

#include "log.h"
#include "store.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char base_dir[] = "/tmp/nbtest-store-XXXXXX";

struct fixture {
	char dir[256];
	struct nb_store *st;
};

/* ---- helpers ------------------------------------------------------------ */

static __be32 ip(const char *s)
{
	__be32 v = 0;

	if (nb_parse_ipv4(s, &v))
		fail_msg("test bug: bad address %s", s);
	return v;
}

static void fill_net(struct nb_network_rec *n, const char *name, const char *subnet)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->driver, sizeof(n->driver), "%s", NB_DRIVER_BRIDGE);
	if (nb_parse_prefix(subnet, true, &n->subnet))
		fail_msg("test bug: bad subnet %s", subnet);
	n->range = n->subnet;
	n->gateway = nb_ipam_default_gateway(&n->subnet, NULL);
	n->icc = true;
	n->masquerade = true;
}

static struct nb_network_rec add_net(struct nb_store *st, const char *name, const char *subnet)
{
	struct nb_network_rec n;

	fill_net(&n, name, subnet);
	assert_int_equal(nb_store_network_add(st, &n), 0);
	return n;
}

static struct nb_sandbox_rec add_sb(struct nb_store *st, const char *name)
{
	struct nb_sandbox_rec sb = {0};

	assert_int_equal(nb_id_new(sb.id), 0);
	snprintf(sb.name, sizeof(sb.name), "%s", name);
	snprintf(sb.netns, sizeof(sb.netns), "/run/netns/%s", name);
	sb.owned = true;
	assert_int_equal(nb_store_sandbox_add(st, &sb), 0);
	return sb;
}

static void fill_ep(struct nb_endpoint_rec *ep, const struct nb_network_rec *n,
		    const struct nb_sandbox_rec *sb, const char *addr, int seq)
{
	memset(ep, 0, sizeof(*ep));
	if (nb_id_new(ep->id))
		fail_msg("nb_id_new");
	memcpy(ep->network_id, n->id, sizeof(ep->network_id));
	memcpy(ep->sandbox_id, sb->id, sizeof(ep->sandbox_id));
	snprintf(ep->ifname, sizeof(ep->ifname), "eth%d", seq);
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "nbe%.11s", ep->id);
	ep->ip = addr ? ip(addr) : 0;
	nb_mac_from_ipv4(ep->ip, ep->mac);
	ep->seq = seq;
}

static struct nb_endpoint_rec add_ep(struct nb_store *st, const struct nb_network_rec *n,
				     const struct nb_sandbox_rec *sb, const char *addr, int seq)
{
	struct nb_endpoint_rec ep;

	fill_ep(&ep, n, sb, addr, seq);
	assert_int_equal(nb_store_endpoint_add(st, &ep), 0);
	return ep;
}

static struct nb_publish_rec pub(const struct nb_endpoint_rec *ep, const char *host_ip,
				 __u16 host_port, __u16 sb_port, __u8 proto)
{
	struct nb_publish_rec p = {0};

	memcpy(p.sandbox_id, ep->sandbox_id, sizeof(p.sandbox_id));
	memcpy(p.network_id, ep->network_id, sizeof(p.network_id));
	p.host_ip = ip(host_ip);
	p.host_port = host_port;
	p.sb_port = sb_port;
	p.proto = proto;
	return p;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static mode_t mode_of(const char *path)
{
	struct stat sb;

	if (stat(path, &sb))
		fail_msg("stat %s: %s", path, strerror(errno));
	return sb.st_mode & 07777;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	if (!mkdtemp(base_dir))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	return nftw(base_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh state dir (not created yet: the store must mkdir it) and a writer on it */
static int setup(void **state)
{
	static int seq;
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/t%d/state", base_dir, ++seq);
	if (nb_store_open(f->dir, true, &f->st))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nb_store_close(f->st);
	free(f);
	return 0;
}

/* ---- open --------------------------------------------------------------- */

/* The networks an independent, read-only connection sees in the database at path */
static int net_count(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *stmt;
	int v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM networks", -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

/*
 * nb_store_set_durable(false) (netbpfd's endpoint calls): the close leaves the
 * WAL in place, not checkpointed, and what was committed is there for the next
 * connection; a durable close folds it in and removes it, as before.
 */
static void test_set_durable(void **state)
{
	char dir[320], wal[400], db[400];
	struct nb_network_rec n;
	struct nb_store *st;
	struct stat sb;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/durable", base_dir);
	snprintf(wal, sizeof(wal), "%s/netbpf.db-wal", dir);
	snprintf(db, sizeof(db), "%s/netbpf.db", dir);

	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_set_durable(st, false), 0);
	assert_int_equal(nb_store_begin(st), 0);
	n = add_net(st, "fast", "10.1.0.0/16");
	assert_int_equal(nb_store_commit(st), 0);
	nb_store_close(st);
	nb_network_rec_clear(&n);
	assert_int_equal(stat(wal, &sb), 0);
	assert_true(sb.st_size > 0);
	assert_int_equal(net_count(db), 1);

	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_set_durable(st, true), 0);
	assert_int_equal(nb_store_network_find(st, "fast", &n), 0);
	nb_network_rec_clear(&n);
	nb_store_close(st);
	assert_int_equal(stat(wal, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(net_count(db), 1);
}

static void test_open_files_and_modes(void **state)
{
	char dir[320], path[400], parent[300];
	struct nb_store *st;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	mode_t old = umask(0); /* SQLite alone would create 0644 under umask 0 */

	snprintf(parent, sizeof(parent), "%s/modes", base_dir);
	snprintf(dir, sizeof(dir), "%s/a/b", parent);
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	umask(old);

	assert_int_equal(mode_of(parent), 0700);
	assert_int_equal(mode_of(dir), 0700);
	snprintf(path, sizeof(path), "%s/netbpf.db", dir);
	assert_int_equal(mode_of(path), 0600);
	snprintf(path, sizeof(path), "%s/lock", dir);
	assert_int_equal(mode_of(path), 0600);
	add_net(st, "web", "10.1.0.0/16");
	/* the write-ahead log SQLite creates follows the database's mode */
	snprintf(path, sizeof(path), "%s/netbpf.db-wal", dir);
	assert_int_equal(mode_of(path), 0600);
	nb_store_close(st);

	/* WAL, schema version and tables, seen by an independent connection */
	snprintf(path, sizeof(path), "%s/netbpf.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 8);
	sqlite3_finalize(stmt);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
			       " AND name IN ('networks', 'sandboxes', 'endpoints',"
			       " 'publish', 'settings', 'publish_allow')",
			       -1, &stmt, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(stmt, 0), 6);
	sqlite3_finalize(stmt);
	sqlite3_close(db);

	/* reopening keeps the data (schema creation is idempotent) */
	struct nb_network_rec n;

	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_network_find(st, "web", &n), 0);
	assert_int_equal(n.net_id, 1);
	nb_network_rec_clear(&n);
	nb_store_close(st);

	/* a database made wider than 0600 by hand is narrowed again */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(nb_store_open(dir, false, &st), 0);
	nb_store_close(st);
	assert_int_equal(mode_of(path), 0600);

	/*
	 * a version 2 file (before Docker's attachable, auxiliary addresses and
	 * aliases) is migrated: its rows read with the new columns' defaults
	 */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "ALTER TABLE networks DROP COLUMN attachable;"
				      "ALTER TABLE networks DROP COLUMN aux_addresses;"
				      "ALTER TABLE endpoints DROP COLUMN aliases;"
				      "ALTER TABLE networks DROP COLUMN vni;"
				      "DROP INDEX endpoints_ip6;"
				      "ALTER TABLE endpoints DROP COLUMN ip6;"
				      "ALTER TABLE networks DROP COLUMN subnet6;"
				      "ALTER TABLE networks DROP COLUMN subnet6_len;"
				      "ALTER TABLE networks DROP COLUMN range6;"
				      "ALTER TABLE networks DROP COLUMN range6_len;"
				      "ALTER TABLE networks DROP COLUMN gateway6;"
				      "DROP TRIGGER endpoints_device_added;"
				      "DROP TRIGGER endpoints_deleted;"
				      "ALTER TABLE networks DROP COLUMN ndevices;"
				      "ALTER TABLE networks DROP COLUMN ip_floor;"
				      "PRAGMA user_version = 2",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	assert_int_equal(nb_store_network_find(st, "web", &n), 0);
	assert_false(n.attachable);
	assert_string_equal(n.aux_addresses, "{}");
	assert_false(nb_network_has_v6(&n)); /* and no IPv6 */
	/* and version 4's VNI: a local network */
	assert_int_equal(n.vni, 0);
	assert_string_equal(n.driver, NB_DRIVER_BRIDGE);
	nb_network_rec_clear(&n);

	/* an overlay network: a bridged row with its VNI, read back as "overlay" */
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "ov");
	snprintf(n.driver, sizeof(n.driver), NB_DRIVER_OVERLAY);
	n.vni = 4097;
	assert_int_equal(nb_parse_prefix("10.50.0.0/16", true, &n.subnet), 0);
	n.range = n.subnet;
	assert_int_equal(nb_store_begin(st), 0);
	assert_int_equal(nb_store_network_add(st, &n), 0);
	assert_int_equal(nb_store_commit(st), 0);
	assert_true(n.net_id >= 1);
	assert_int_equal(nb_store_network_find(st, "ov", &n), 0);
	assert_string_equal(n.driver, NB_DRIVER_OVERLAY);
	assert_int_equal(n.vni, 4097);
	assert_true(nb_net_is_bridged(&n));
	nb_network_rec_clear(&n);
	nb_store_close(st);
}

static void test_open_bad(void **state)
{
	char dir[300], path[400];
	struct nb_store *st = NULL;
	sqlite3 *db;
	FILE *fp;

	/* the state dir path is a file */
	snprintf(path, sizeof(path), "%s/notadir", base_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(nb_store_open(path, true, &st), -ENOTDIR);
	assert_null(st);

	/* a file that is not a database: an error, not a crash or an overwrite */
	snprintf(dir, sizeof(dir), "%s/garbage", base_dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/netbpf.db", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("not a database ", fp);
	fclose(fp);
	assert_int_equal(nb_store_open(dir, true, &st), -EIO);
	assert_null(st);

	/* a database from a newer netbpf (higher schema version) is refused */
	snprintf(dir, sizeof(dir), "%s/newer", base_dir);
	assert_int_equal(nb_store_open(dir, true, &st), 0);
	nb_store_close(st);
	st = NULL;
	snprintf(path, sizeof(path), "%s/netbpf.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(nb_store_open(dir, true, &st), -EPROTO);
	assert_null(st);
}

/* ---- networks ----------------------------------------------------------- */

static void test_network_crud(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n, got, *list;
	char buf[NB_CIDR_STRLEN];
	size_t cnt;

	fill_net(&n, "web", "10.1.0.0/16");
	assert_int_equal(nb_parse_prefix("10.1.2.0/24", true, &n.range), 0);
	n.gateway = ip("10.1.0.254");
	n.internal = true;
	n.icc = false;
	n.masquerade = false;
	n.host_binding = ip("127.0.0.1");
	n.mtu = 9000;
	n.options = "{\"com.docker.network.bridge.enable_icc\":\"false\"}";
	n.labels = "{\"team\":\"a b\"}";
	assert_int_equal(nb_store_network_add(f->st, &n), 0);
	/* the store assigned the id, created time and net_id */
	assert_int_equal(strlen(n.id), NB_ID_LEN);
	assert_true(nb_id_prefix_ok(n.id));
	assert_true(n.created > 0);
	assert_int_equal(n.net_id, 1);

	assert_int_equal(nb_store_network_find(f->st, "web", &got), 0);
	assert_string_equal(got.id, n.id);
	assert_string_equal(got.name, "web");
	assert_string_equal(got.driver, "bridge");
	assert_int_equal(got.net_id, 1);
	assert_string_equal(nb_fmt_prefix(&got.subnet, buf), "10.1.0.0/16");
	assert_string_equal(nb_fmt_prefix(&got.range, buf), "10.1.2.0/24");
	assert_int_equal(got.gateway, ip("10.1.0.254"));
	assert_true(got.internal);
	assert_false(got.icc);
	assert_false(got.masquerade);
	assert_int_equal(got.host_binding, ip("127.0.0.1"));
	assert_int_equal(got.mtu, 9000);
	assert_false(got.builtin);
	assert_true(got.created == n.created);
	assert_string_equal(got.options, n.options);
	assert_string_equal(got.labels, n.labels);
	nb_network_rec_clear(&got);
	assert_null(got.options);

	/* host and none: no net_id, no subnet; NULL options/labels read back as {} */
	struct nb_network_rec h = {0}, z = {0};

	snprintf(h.name, sizeof(h.name), "host");
	snprintf(h.driver, sizeof(h.driver), NB_DRIVER_HOST);
	h.builtin = true;
	assert_int_equal(nb_store_network_add(f->st, &h), 0);
	assert_int_equal(h.net_id, 0);
	snprintf(z.name, sizeof(z.name), "none");
	snprintf(z.driver, sizeof(z.driver), NB_DRIVER_NONE);
	z.builtin = true;
	assert_int_equal(nb_store_network_add(f->st, &z), 0);
	assert_int_equal(z.net_id, 0);
	assert_int_equal(nb_store_network_find(f->st, "none", &got), 0);
	assert_int_equal(got.net_id, 0);
	assert_true(got.builtin);
	assert_string_equal(got.options, "{}");
	assert_string_equal(got.labels, "{}");
	nb_network_rec_clear(&got);

	/* list: ordered by name */
	add_net(f->st, "alpha", "10.2.0.0/16");
	assert_int_equal(nb_store_network_list(f->st, &list, &cnt), 0);
	assert_int_equal(cnt, 4);
	assert_string_equal(list[0].name, "alpha");
	assert_string_equal(list[1].name, "host");
	assert_string_equal(list[2].name, "none");
	assert_string_equal(list[3].name, "web");
	assert_int_equal(list[0].net_id, 2);
	assert_string_equal(list[3].labels, "{\"team\":\"a b\"}");
	nb_network_recs_free(list, cnt);

	/* delete by exact id */
	assert_int_equal(nb_store_network_del(f->st, "web"), -ENOENT); /* a name is not an id */
	assert_int_equal(nb_store_network_del(f->st, n.id), 0);
	assert_int_equal(nb_store_network_find(f->st, "web", &got), -ENOENT);
	assert_int_equal(nb_store_network_find(f->st, n.id, &got), -ENOENT);
	assert_int_equal(nb_store_network_del(f->st, n.id), -ENOENT);
	assert_int_equal(nb_store_network_list(f->st, &list, &cnt), 0);
	assert_int_equal(cnt, 3);
	nb_network_recs_free(list, cnt);
}

static void test_network_constraints(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec a = add_net(f->st, "web", "10.1.0.0/16"), b;
	char longname[80];

	/* same name */
	fill_net(&b, "web", "10.2.0.0/16");
	assert_int_equal(nb_store_network_add(f->st, &b), -EEXIST);
	/* same id */
	fill_net(&b, "web2", "10.2.0.0/16");
	memcpy(b.id, a.id, sizeof(b.id));
	assert_int_equal(nb_store_network_add(f->st, &b), -EEXIST);
	/* same explicit net_id */
	fill_net(&b, "web3", "10.3.0.0/16");
	b.net_id = a.net_id;
	assert_int_equal(nb_store_network_add(f->st, &b), -EEXIST);
	/* values the schema refuses: bad driver, over-long name, bad id */
	fill_net(&b, "web4", "10.4.0.0/16");
	snprintf(b.driver, sizeof(b.driver), "macvlan");
	assert_int_equal(nb_store_network_add(f->st, &b), -EINVAL);
	/* the longest name a record holds (63) is stored whole */
	memset(longname, 'n', NB_NAME_MAX);
	longname[NB_NAME_MAX] = '\0';
	fill_net(&b, longname, "10.4.0.0/16");
	assert_int_equal(nb_store_network_add(f->st, &b), 0);
	assert_int_equal(nb_store_network_find(f->st, longname, &b), 0);
	assert_int_equal(strlen(b.name), NB_NAME_MAX);
	nb_network_rec_clear(&b);
	fill_net(&b, "", "10.5.0.0/16");
	assert_int_equal(nb_store_network_add(f->st, &b), -EINVAL);
	fill_net(&b, "shortid", "10.5.0.0/16");
	snprintf(b.id, sizeof(b.id), "abc");
	assert_int_equal(nb_store_network_add(f->st, &b), -EINVAL);

	/* nothing of the failed inserts was kept */
	struct nb_network_rec *list;
	size_t cnt;

	assert_int_equal(nb_store_network_list(f->st, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	nb_network_recs_free(list, cnt);
}

static void test_net_id_reuse(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec a = add_net(f->st, "a", "10.1.0.0/16");
	struct nb_network_rec b = add_net(f->st, "b", "10.2.0.0/16");
	struct nb_network_rec c = add_net(f->st, "c", "10.3.0.0/16");

	assert_int_equal(a.net_id, 1);
	assert_int_equal(b.net_id, 2);
	assert_int_equal(c.net_id, 3);
	assert_int_equal(nb_store_network_del(f->st, b.id), 0);
	assert_int_equal(add_net(f->st, "d", "10.4.0.0/16").net_id, 2);
	assert_int_equal(add_net(f->st, "e", "10.5.0.0/16").net_id, 4);
	assert_int_equal(nb_store_network_del(f->st, a.id), 0);
	assert_int_equal(add_net(f->st, "f", "10.6.0.0/16").net_id, 1);

	/* an explicit net_id (a restore) is kept, and the lowest free still found */
	struct nb_network_rec g;

	fill_net(&g, "g", "10.7.0.0/16");
	g.net_id = 10;
	assert_int_equal(nb_store_network_add(f->st, &g), 0);
	assert_int_equal(g.net_id, 10);
	assert_int_equal(add_net(f->st, "h", "10.8.0.0/16").net_id, 5);
}

static void test_net_id_limit(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n;
	char name[16];

	/* net_id keys the BPF network map of NB_MAX_NETWORKS entries */
	assert_int_equal(nb_store_begin(f->st), 0);
	for (int i = 1; i <= NB_MAX_NETWORKS; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		fill_net(&n, name, "10.0.0.0/24");
		assert_int_equal(nb_store_network_add(f->st, &n), 0);
		assert_int_equal(n.net_id, i);
	}
	fill_net(&n, "over", "10.0.0.0/24");
	assert_int_equal(nb_store_network_add(f->st, &n), -ENOSPC);
	/* the transaction survives the refused add */
	assert_int_equal(nb_store_commit(f->st), 0);
	assert_int_equal(nb_store_network_find(f->st, "n4096", &n), 0);
	nb_network_rec_clear(&n);
}

/* One network's bridge endpoints fill one flood list of NB_MAX_FLOOD ports
 * (issue 20): the next is refused by the state, naming the network and the
 * limit, while the instance still has room and other networks take more. */
static void test_network_endpoint_limit(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec big, other;
	struct nb_sandbox_rec sb;
	struct nb_endpoint_rec ep;
	char name[32], addr[32];
	int i;

	assert_int_equal(nb_store_begin(f->st), 0);
	/* the instance limit well above the network's */
	assert_int_equal(nb_store_setting_set(f->st, "max_endpoints", "16384"), 0);
	big = add_net(f->st, "big", "10.64.0.0/16");
	other = add_net(f->st, "other", "10.65.0.0/16");
	for (i = 0; i < NB_MAX_FLOOD; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		snprintf(addr, sizeof(addr), "10.64.%d.%d", (i + 2) / 256, (i + 2) % 256);
		sb = add_sb(f->st, name);
		add_ep(f->st, &big, &sb, addr, 0);
	}
	sb = add_sb(f->st, "one-too-many");
	fill_ep(&ep, &big, &sb, "10.64.200.1", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &ep), -ENOSPC);
	assert_non_null(strstr(nb_error_text(), "network \"big\": cannot add endpoint nbe"));
	assert_non_null(strstr(nb_error_text(), "the network has 4096 endpoints"));
	assert_non_null(strstr(nb_error_text(), "NB_MAX_FLOOD"));
	/* another network of the same instance still takes the sandbox */
	add_ep(f->st, &other, &sb, "10.65.0.2", 0);
	assert_int_equal(nb_store_commit(f->st), 0);
	nb_network_rec_clear(&big);
	nb_network_rec_clear(&other);
}

/* Reads a network's endpoint count as the room check does (schema_v8's triggers) */
static long long network_ndevices(const char *dir, const char *network_id)
{
	char path[400];
	sqlite3_stmt *stmt;
	long long n = -1;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/netbpf.db", dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, NB_STORE_NETWORK_ROOM_SQL, -1, &stmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(stmt, 1, network_id, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return n;
}

/*
 * What a create reads of its network in O(1) (issue 20): the count of its
 * endpoints and its address floor, kept by triggers whatever deletes a row
 * (the endpoint, its sandbox's cascade), counted again by the migration of an
 * older file.
 */
static void test_network_counts_and_floor(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n, m;
	struct nb_sandbox_rec a, b, c, d;
	struct nb_endpoint_rec eb, special;
	__be32 *ips = NULL, floor, next;
	size_t cnt;
	sqlite3 *db;
	char path[400];

	assert_int_equal(nb_store_begin(f->st), 0);
	n = add_net(f->st, "n", "10.1.0.0/24");
	m = add_net(f->st, "m", "10.2.0.0/24");
	a = add_sb(f->st, "a");
	b = add_sb(f->st, "b");
	c = add_sb(f->st, "c");
	d = add_sb(f->st, "d");
	add_ep(f->st, &n, &a, "10.1.0.2", 0);
	eb = add_ep(f->st, &n, &b, "10.1.0.3", 0);
	add_ep(f->st, &n, &c, "10.1.0.4", 0);
	add_ep(f->st, &m, &a, "10.2.0.2", 1);
	/* a host/none endpoint has no device: not counted */
	fill_ep(&special, &n, &d, NULL, 0);
	special.host_ifname[0] = '\0';
	assert_int_equal(nb_store_endpoint_add(f->st, &special), 0);
	assert_int_equal(nb_store_commit(f->st), 0);
	assert_int_equal(network_ndevices(f->dir, n.id), 3);
	assert_int_equal(network_ndevices(f->dir, m.id), 1);

	/* no floor yet: every address of the network */
	assert_int_equal(nb_store_network_ips_floor(f->st, n.id, &floor, &ips, &cnt), 0);
	assert_int_equal(floor, 0);
	assert_int_equal(cnt, 3);
	free(ips);
	/* a floor past them all: none read, the next address is the floor */
	assert_int_equal(nb_store_network_ip_floor_set(f->st, n.id, ip("10.1.0.5")), 0);
	assert_int_equal(nb_store_network_ips_floor(f->st, n.id, &floor, &ips, &cnt), 0);
	assert_int_equal(floor, ip("10.1.0.5"));
	assert_int_equal(cnt, 0);
	assert_int_equal(nb_ipam_alloc_from(&n.subnet, &n.range, n.gateway, ips, cnt, floor, &next),
			 0);
	assert_int_equal(next, ip("10.1.0.5"));
	free(ips);

	/* a deleted address lowers the floor: the lowest free address again */
	assert_int_equal(nb_store_endpoint_del(f->st, eb.id), 0);
	assert_int_equal(network_ndevices(f->dir, n.id), 2);
	assert_int_equal(nb_store_network_ips_floor(f->st, n.id, &floor, &ips, &cnt), 0);
	assert_int_equal(floor, ip("10.1.0.3"));
	assert_int_equal(cnt, 1);
	assert_int_equal(ips[0], ip("10.1.0.4"));
	assert_int_equal(nb_ipam_alloc_from(&n.subnet, &n.range, n.gateway, ips, cnt, floor, &next),
			 0);
	assert_int_equal(next, ip("10.1.0.3"));
	free(ips);
	/* a sandbox's cascade too, on every network it was on; the endpoint without a
	 * device changes no count */
	assert_int_equal(nb_store_sandbox_del(f->st, a.id), 0);
	assert_int_equal(nb_store_sandbox_del(f->st, d.id), 0);
	assert_int_equal(network_ndevices(f->dir, n.id), 1);
	assert_int_equal(network_ndevices(f->dir, m.id), 0);
	assert_int_equal(nb_store_network_ips_floor(f->st, n.id, &floor, &ips, &cnt), 0);
	assert_int_equal(floor, ip("10.1.0.2"));
	free(ips);
	/* an address above the floor leaves it */
	assert_int_equal(nb_store_sandbox_del(f->st, c.id), 0);
	assert_int_equal(nb_store_network_ips_floor(f->st, n.id, &floor, &ips, &cnt), 0);
	assert_int_equal(floor, ip("10.1.0.2"));
	assert_int_equal(cnt, 0);
	free(ips);

	/* a version 7 file: the migration counts the endpoints there are */
	assert_int_equal(nb_store_begin(f->st), 0);
	add_ep(f->st, &m, &b, "10.2.0.3", 1);
	assert_int_equal(nb_store_commit(f->st), 0);
	nb_store_close(f->st);
	f->st = NULL;
	snprintf(path, sizeof(path), "%s/netbpf.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP TRIGGER endpoints_device_added;"
				      "DROP TRIGGER endpoints_deleted;"
				      "ALTER TABLE networks DROP COLUMN ndevices;"
				      "ALTER TABLE networks DROP COLUMN ip_floor;"
				      "PRAGMA user_version = 7",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(nb_store_open(f->dir, true, &f->st), 0);
	assert_int_equal(network_ndevices(f->dir, n.id), 0);
	assert_int_equal(network_ndevices(f->dir, m.id), 1);
	assert_int_equal(nb_store_network_ips_floor(f->st, m.id, &floor, &ips, &cnt), 0);
	assert_int_equal(floor, 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(ips[0], ip("10.2.0.3"));
	free(ips);
	nb_network_rec_clear(&n);
	nb_network_rec_clear(&m);
}

/* ---- query plans (issue 20): what a whole-instance command asks per sandbox --- */

/* Fails the test when a plan of sql reads a whole table or index ("SCAN"). */
static void assert_plan_indexed(sqlite3 *db, const char *sql)
{
	char explain[1024];
	sqlite3_stmt *stmt;
	int rows = 0;

	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(stmt, 3);

		rows++;
		if (detail && !strncmp(detail, "SCAN ", 5))
			fail_msg("%s\n  plans as a scan: %s", sql, detail);
	}
	sqlite3_finalize(stmt);
	assert_true(rows > 0);
}

/* Fails the test unless sql is answered from an index alone (no row of the table read). */
static void assert_plan_covering(sqlite3 *db, const char *sql)
{
	char explain[1024];
	sqlite3_stmt *stmt;
	int rows = 0;

	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(stmt, 3);

		rows++;
		if (!detail || !strstr(detail, "COVERING INDEX"))
			fail_msg("%s\n  reads the table: %s", sql, detail ? detail : "?");
	}
	sqlite3_finalize(stmt);
	assert_true(rows > 0);
}

static void test_query_plans(void **state)
{
	static const char *const by_id[] = {
	    "SELECT * FROM sandboxes WHERE " NB_STORE_ID_PREFIX_WHERE " LIMIT 2",
	    "SELECT * FROM networks WHERE " NB_STORE_ID_PREFIX_WHERE " LIMIT 2",
	};
	struct fixture *f = *state;
	char path[400];
	sqlite3 *db;
	size_t i;

	snprintf(path, sizeof(path), "%s/netbpf.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/* a sandbox's endpoints (ls, stats, gc, up: once per sandbox), a network's, one */
	assert_plan_indexed(db, nb_store_endpoint_list_sql(NULL, "s"));
	assert_plan_indexed(db, nb_store_endpoint_list_sql("n", NULL));
	assert_plan_indexed(db, nb_store_endpoint_list_sql("n", "s"));
	/* a sandbox's published ports, and whether a host port is taken (publish) */
	assert_plan_indexed(db, nb_store_publish_list_sql("s"));
	assert_plan_indexed(db, nb_store_publish_taken_sql());
	/* a network's room for one more endpoint (sandbox create): one row */
	assert_plan_indexed(db, NB_STORE_NETWORK_ROOM_SQL);
	/* the addresses from a network's floor up (sandbox create): its index alone */
	assert_plan_covering(db, NB_STORE_NETWORK_IPS_FLOOR_SQL);
	/* resolving by id or id prefix (network inspect: once per member) */
	for (i = 0; i < sizeof(by_id) / sizeof(by_id[0]); i++)
		assert_plan_indexed(db, by_id[i]);
	sqlite3_close(db);
}

/* An id prefix resolves through a range of the primary key: every digit, the
 * full id, a prefix of 'f's (whose bound is past 'f') */
static struct nb_sandbox_rec add_sb_id(struct nb_store *st, const char *name, char fill, char last)
{
	struct nb_sandbox_rec sb = {0};

	memset(sb.id, fill, NB_ID_LEN);
	sb.id[NB_ID_LEN - 1] = last;
	snprintf(sb.name, sizeof(sb.name), "%s", name);
	snprintf(sb.netns, sizeof(sb.netns), "/run/netns/%s", name);
	assert_int_equal(nb_store_sandbox_add(st, &sb), 0);
	return sb;
}

static void test_id_prefix_range(void **state)
{
	struct fixture *f = *state;
	struct nb_sandbox_rec x, y, got;
	char upper[NB_ID_LEN + 1], key[NB_ID_LEN + 1];

	nb_store_id_prefix_range("09f", upper);
	assert_string_equal(upper, "09g");
	nb_store_id_prefix_range("a9", upper);
	assert_string_equal(upper, "a:");
	x = add_sb_id(f->st, "x", 'f', 'f');
	y = add_sb_id(f->st, "y", '0', '9');
	add_sb_id(f->st, "z", '0', 'a');
	assert_int_equal(nb_store_sandbox_find(f->st, x.id, &got), 0);
	assert_string_equal(got.name, "x");
	assert_int_equal(nb_store_sandbox_find(f->st, "ffff", &got), 0);
	assert_string_equal(got.name, "x");
	assert_int_equal(nb_store_sandbox_find(f->st, y.id, &got), 0);
	assert_string_equal(got.name, "y");
	assert_int_equal(nb_store_sandbox_find(f->st, "000", &got), -ENOTUNIQ);
	memset(key, '0', NB_ID_LEN);
	key[NB_ID_LEN] = '\0';
	assert_int_equal(nb_store_sandbox_find(f->st, key, &got), -ENOENT);
	assert_int_equal(nb_store_sandbox_find(f->st, "1", &got), -ENOENT);
}

/* ---- resolution --------------------------------------------------------- */

static void set_id(char id[NB_ID_LEN + 1], const char *prefix)
{
	memset(id, '0', NB_ID_LEN);
	memcpy(id, prefix, strlen(prefix));
	id[NB_ID_LEN] = '\0';
}

static void test_resolution(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n1, n2, n3, got;

	fill_net(&n1, "web", "10.1.0.0/16");
	set_id(n1.id, "abc1");
	assert_int_equal(nb_store_network_add(f->st, &n1), 0);
	fill_net(&n2, "db", "10.2.0.0/16");
	set_id(n2.id, "abc2");
	assert_int_equal(nb_store_network_add(f->st, &n2), 0);
	/* a network whose name is a prefix of another's id: names win */
	fill_net(&n3, "abc2", "10.3.0.0/16");
	set_id(n3.id, "ffff");
	assert_int_equal(nb_store_network_add(f->st, &n3), 0);

	static const struct {
		const char *key;
		int err;
		const char *name;
	} cases[] = {
	    {"web", 0, "web"},
	    {"db", 0, "db"},
	    {"abc1", 0, "web"}, /* unique prefix */
	    {"abc10000", 0, "web"},
	    {"abc2", 0, "abc2"}, /* exact name before id prefix */
	    {"abc20", 0, "db"},
	    {"abc", -ENOTUNIQ, NULL},
	    {"a", -ENOTUNIQ, NULL},
	    {"f", 0, "abc2"},
	    {"abd", -ENOENT, NULL},
	    {"ABC1", -ENOENT, NULL}, /* ids are lowercase */
	    {"Web", -ENOENT, NULL},  /* names are case sensitive */
	    {"", -ENOENT, NULL},
	    {"%", -ENOENT, NULL}, /* never a pattern */
	    {"_", -ENOENT, NULL},
	    {"abc_", -ENOENT, NULL},
	    {"abc%", -ENOENT, NULL},
	    {"web ", -ENOENT, NULL},
	    {"' OR '1'='1", -ENOENT, NULL},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int err = nb_store_network_find(f->st, cases[i].key, &got);

		if (err != cases[i].err)
			fail_msg("\"%s\": got %d, want %d", cases[i].key, err, cases[i].err);
		if (!err) {
			assert_string_equal(got.name, cases[i].name);
			nb_network_rec_clear(&got);
		}
	}
	/* full ids */
	assert_int_equal(nb_store_network_find(f->st, n1.id, &got), 0);
	assert_string_equal(got.name, "web");
	nb_network_rec_clear(&got);
	assert_int_equal(nb_store_network_find(f->st, n3.id, &got), 0);
	assert_string_equal(got.name, "abc2");
	nb_network_rec_clear(&got);
	/* one digit more than an id */
	char longer[NB_ID_LEN + 2];

	snprintf(longer, sizeof(longer), "%s0", n1.id);
	assert_int_equal(nb_store_network_find(f->st, longer, &got), -ENOENT);
}

static void test_sandbox_resolution(void **state)
{
	struct fixture *f = *state;
	struct nb_sandbox_rec a = {0}, b = {0}, got;

	set_id(a.id, "1234aa");
	snprintf(a.name, sizeof(a.name), "alpha");
	snprintf(a.netns, sizeof(a.netns), "/run/netns/alpha");
	set_id(b.id, "1234bb");
	snprintf(b.name, sizeof(b.name), "beta");
	snprintf(b.netns, sizeof(b.netns), "/proc/1234/ns/net");
	assert_int_equal(nb_store_sandbox_add(f->st, &a), 0);
	assert_int_equal(nb_store_sandbox_add(f->st, &b), 0);

	assert_int_equal(nb_store_sandbox_find(f->st, "alpha", &got), 0);
	assert_string_equal(got.id, a.id);
	assert_int_equal(nb_store_sandbox_find(f->st, "1234b", &got), 0);
	assert_string_equal(got.name, "beta");
	assert_string_equal(got.netns, "/proc/1234/ns/net");
	assert_int_equal(nb_store_sandbox_find(f->st, b.id, &got), 0);
	assert_string_equal(got.name, "beta");
	assert_int_equal(nb_store_sandbox_find(f->st, "1234", &got), -ENOTUNIQ);
	assert_int_equal(nb_store_sandbox_find(f->st, "gamma", &got), -ENOENT);
	assert_int_equal(nb_store_sandbox_find(f->st, "9", &got), -ENOENT);
}

/* ---- sandboxes ---------------------------------------------------------- */

static void test_sandbox_crud(void **state)
{
	struct fixture *f = *state;
	struct nb_sandbox_rec s1 = add_sb(f->st, "web1"), s2, got, *list, dup;
	size_t cnt;

	memset(&s2, 0, sizeof(s2));
	assert_int_equal(nb_id_new(s2.id), 0);
	snprintf(s2.name, sizeof(s2.name), "adopted");
	snprintf(s2.netns, sizeof(s2.netns), "/var/run/docker/netns/1f2e");
	s2.owned = false;
	s2.created = 1234567890123456789LL;
	assert_int_equal(nb_store_sandbox_add(f->st, &s2), 0);

	assert_int_equal(nb_store_sandbox_find(f->st, "web1", &got), 0);
	assert_string_equal(got.id, s1.id);
	assert_string_equal(got.netns, "/run/netns/web1");
	assert_true(got.owned);
	assert_true(got.created > 0);
	assert_int_equal(nb_store_sandbox_find(f->st, "adopted", &got), 0);
	assert_false(got.owned);
	assert_true(got.created == 1234567890123456789LL);

	/* unique name and id */
	dup = s1;
	assert_int_equal(nb_id_new(dup.id), 0);
	assert_int_equal(nb_store_sandbox_add(f->st, &dup), -EEXIST);
	dup = s1;
	snprintf(dup.name, sizeof(dup.name), "other");
	assert_int_equal(nb_store_sandbox_add(f->st, &dup), -EEXIST);

	assert_int_equal(nb_store_sandbox_list(f->st, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_string_equal(list[0].name, "adopted");
	assert_string_equal(list[1].name, "web1");
	free(list);

	assert_int_equal(nb_store_sandbox_del(f->st, s1.id), 0);
	assert_int_equal(nb_store_sandbox_del(f->st, s1.id), -ENOENT);
	assert_int_equal(nb_store_sandbox_find(f->st, "web1", &got), -ENOENT);
	assert_int_equal(nb_store_sandbox_list(f->st, &list, &cnt), 0);
	assert_int_equal(cnt, 1);
	free(list);
}

/* ---- endpoints ---------------------------------------------------------- */

static void test_endpoint_crud(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n1 = add_net(f->st, "n1", "10.1.0.0/24");
	struct nb_network_rec n2 = add_net(f->st, "n2", "10.2.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a"), b = add_sb(f->st, "b");
	struct nb_endpoint_rec e_a2, e_b1, e_a1, e_b2, got, *list;
	__be32 *ips;
	size_t cnt;
	int seq;

	/* inserted out of order: lists come back by sandbox, then seq */
	e_a2 = add_ep(f->st, &n2, &a, "10.2.0.2", 1);
	e_b2 = add_ep(f->st, &n2, &b, "10.2.0.3", 1);
	e_b1 = add_ep(f->st, &n1, &b, "10.1.0.3", 0);
	e_a1 = add_ep(f->st, &n1, &a, "10.1.0.2", 0);

	assert_int_equal(nb_store_endpoint_find(f->st, n1.id, a.id, &got), 0);
	assert_string_equal(got.id, e_a1.id);
	assert_string_equal(got.network_id, n1.id);
	assert_string_equal(got.sandbox_id, a.id);
	assert_string_equal(got.ifname, "eth0");
	assert_string_equal(got.host_ifname, e_a1.host_ifname);
	assert_int_equal(got.ip, ip("10.1.0.2"));
	assert_memory_equal(got.mac, ((__u8[]){0x02, 0x42, 10, 1, 0, 2}), 6);
	assert_int_equal(got.seq, 0);
	assert_true(got.created > 0);
	assert_int_equal(nb_store_endpoint_find(f->st, n2.id, b.id, &got), 0);
	assert_string_equal(got.id, e_b2.id);
	struct nb_sandbox_rec c = add_sb(f->st, "c");

	assert_int_equal(nb_store_endpoint_find(f->st, n1.id, c.id, &got), -ENOENT);

	/* sandboxes are ordered by id: the same order whatever the order of creation */
	bool a_first = strcmp(a.id, b.id) < 0;
	const struct nb_endpoint_rec *want[] = {a_first ? &e_a1 : &e_b1, a_first ? &e_a2 : &e_b2,
						a_first ? &e_b1 : &e_a1, a_first ? &e_b2 : &e_a2};

	assert_int_equal(nb_store_endpoint_list(f->st, NULL, NULL, &list, &cnt), 0);
	assert_int_equal(cnt, 4);
	for (size_t i = 0; i < cnt; i++)
		assert_string_equal(list[i].id, want[i]->id);
	free(list);
	assert_int_equal(nb_store_endpoint_list(f->st, NULL, a.id, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_string_equal(list[0].ifname, "eth0");
	assert_string_equal(list[1].ifname, "eth1");
	free(list);
	assert_int_equal(nb_store_endpoint_list(f->st, n1.id, NULL, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	free(list);
	assert_int_equal(nb_store_endpoint_list(f->st, n2.id, b.id, &list, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_string_equal(list[0].id, e_b2.id);
	free(list);
	assert_int_equal(nb_store_endpoint_list(f->st, n1.id, c.id, &list, &cnt), 0);
	assert_int_equal(cnt, 0);
	free(list);

	assert_int_equal(nb_store_network_ips(f->st, n1.id, &ips, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(ips[0], ip("10.1.0.2"));
	assert_int_equal(ips[1], ip("10.1.0.3"));
	free(ips);

	/* the next free interface number fills holes */
	assert_int_equal(nb_store_endpoint_free_seq(f->st, a.id, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(nb_store_endpoint_del(f->st, e_a1.id), 0);
	assert_int_equal(nb_store_endpoint_free_seq(f->st, a.id, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(nb_store_endpoint_del(f->st, e_a1.id), -ENOENT);

	/* the released address is free again for IPAM */
	assert_int_equal(nb_store_network_ips(f->st, n1.id, &ips, &cnt), 0);
	assert_int_equal(cnt, 1);
	__be32 next;

	assert_int_equal(nb_ipam_alloc(&n1.subnet, &n1.range, n1.gateway, ips, cnt, &next), 0);
	assert_int_equal(next, ip("10.1.0.2"));
	free(ips);

	/* references to objects that do not exist */
	struct nb_endpoint_rec bad;
	struct nb_sandbox_rec ghost = {0};

	assert_int_equal(nb_id_new(ghost.id), 0);
	fill_ep(&bad, &n1, &ghost, "10.1.0.9", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &bad), -ENOENT);
	struct nb_network_rec ghost_net = n1;

	assert_int_equal(nb_id_new(ghost_net.id), 0);
	fill_ep(&bad, &ghost_net, &c, "10.1.0.9", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &bad), -ENOENT);
}

/* IPv6: a network's v6 subnet, range and gateway and an endpoint's ip6 round-trip */
static void test_ipv6(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n, got;
	struct nb_sandbox_rec a, b, c;
	struct nb_endpoint_rec ea, eb, ec, e;
	struct in6_addr *ips6;
	char buf[NB_CIDR6_STRLEN];
	size_t cnt;

	fill_net(&n, "v6", "10.6.0.0/24");
	assert_int_equal(nb_parse_prefix6("fd00:6::/64", true, &n.subnet6), 0);
	assert_int_equal(nb_parse_prefix6("fd00:6::100/120", true, &n.range6), 0);
	assert_int_equal(nb_parse_ipv6("fd00:6::1", &n.gateway6), 0);
	assert_int_equal(nb_store_network_add(f->st, &n), 0);
	assert_int_equal(nb_store_network_find(f->st, "v6", &got), 0);
	assert_true(nb_network_has_v6(&got));
	assert_string_equal(nb_fmt_prefix6(&got.subnet6, buf), "fd00:6::/64");
	assert_string_equal(nb_fmt_prefix6(&got.range6, buf), "fd00:6::100/120");
	assert_string_equal(nb_fmt_ipv6(&got.gateway6, buf), "fd00:6::1");
	nb_network_rec_clear(&got);

	a = add_sb(f->st, "a");
	b = add_sb(f->st, "b");
	c = add_sb(f->st, "c");
	fill_ep(&ea, &n, &a, "10.6.0.2", 0);
	assert_int_equal(nb_parse_ipv6("fd00:6::100", &ea.ip6), 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &ea), 0);
	fill_ep(&eb, &n, &b, "10.6.0.3", 0);
	assert_int_equal(nb_parse_ipv6("fd00:6::2", &eb.ip6), 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &eb), 0);
	/* an endpoint without v6 address, and a v6 address taken twice */
	fill_ep(&ec, &n, &c, "10.6.0.4", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &ec), 0);
	assert_int_equal(nb_store_endpoint_find(f->st, n.id, c.id, &e), 0);
	assert_true(nb_ipv6_is_zero(&e.ip6));
	assert_int_equal(nb_store_endpoint_find(f->st, n.id, a.id, &e), 0);
	assert_string_equal(nb_fmt_ipv6(&e.ip6, buf), "fd00:6::100");
	assert_int_equal(nb_store_endpoint_del(f->st, ec.id), 0);
	fill_ep(&ec, &n, &c, "10.6.0.4", 0);
	ec.ip6 = eb.ip6;
	assert_int_equal(nb_store_endpoint_add(f->st, &ec), -EEXIST);

	/* in address order (blob order is address order) */
	assert_int_equal(nb_store_network_ips6(f->st, n.id, &ips6, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_string_equal(nb_fmt_ipv6(&ips6[0], buf), "fd00:6::2");
	assert_string_equal(nb_fmt_ipv6(&ips6[1], buf), "fd00:6::100");
	free(ips6);
	nb_network_rec_clear(&n);
}

static void test_endpoint_constraints(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n1 = add_net(f->st, "n1", "10.1.0.0/24");
	struct nb_network_rec n2 = add_net(f->st, "n2", "10.2.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a"), b = add_sb(f->st, "b");
	struct nb_endpoint_rec e = add_ep(f->st, &n1, &a, "10.1.0.2", 0), x;
	struct nb_endpoint_rec *list;
	size_t cnt;

	/* (network, ip) */
	fill_ep(&x, &n1, &b, "10.1.0.2", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &x), -EEXIST);
	/* the same address on another network is fine */
	fill_ep(&x, &n2, &b, "10.1.0.2", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &x), 0);
	/* (network, sandbox): connecting twice */
	fill_ep(&x, &n1, &a, "10.1.0.3", 1);
	assert_int_equal(nb_store_endpoint_add(f->st, &x), -EEXIST);
	/* (sandbox, ifname) */
	fill_ep(&x, &n2, &a, "10.2.0.3", 0);
	assert_int_equal(nb_store_endpoint_add(f->st, &x), -EEXIST);
	/* host_ifname */
	fill_ep(&x, &n2, &a, "10.2.0.3", 1);
	memcpy(x.host_ifname, e.host_ifname, sizeof(x.host_ifname));
	assert_int_equal(nb_store_endpoint_add(f->st, &x), -EEXIST);
	/* id */
	fill_ep(&x, &n2, &a, "10.2.0.3", 1);
	memcpy(x.id, e.id, sizeof(x.id));
	assert_int_equal(nb_store_endpoint_add(f->st, &x), -EEXIST);

	/* address-less endpoints (a "none" network) never collide with each other */
	struct nb_network_rec none = {0};

	snprintf(none.name, sizeof(none.name), "none");
	snprintf(none.driver, sizeof(none.driver), NB_DRIVER_NONE);
	assert_int_equal(nb_store_network_add(f->st, &none), 0);
	fill_ep(&x, &none, &a, NULL, 5);
	x.ifname[0] = x.host_ifname[0] = '\0';
	assert_int_equal(nb_store_endpoint_add(f->st, &x), 0);
	fill_ep(&x, &none, &b, NULL, 5);
	x.ifname[0] = x.host_ifname[0] = '\0';
	assert_int_equal(nb_store_endpoint_add(f->st, &x), 0);
	assert_int_equal(nb_store_endpoint_list(f->st, none.id, NULL, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(list[0].ip, 0);
	assert_string_equal(list[0].ifname, "");
	assert_string_equal(list[1].host_ifname, "");
	free(list);

	assert_int_equal(nb_store_endpoint_list(f->st, NULL, NULL, &list, &cnt), 0);
	assert_int_equal(cnt, 4);
	free(list);
}

static void test_network_del_busy(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n = add_net(f->st, "n", "10.1.0.0/24"), got;
	struct nb_sandbox_rec a = add_sb(f->st, "a");
	struct nb_endpoint_rec e = add_ep(f->st, &n, &a, "10.1.0.2", 0);

	assert_int_equal(nb_store_network_del(f->st, n.id), -EBUSY);
	assert_int_equal(nb_store_network_find(f->st, "n", &got), 0);
	nb_network_rec_clear(&got);
	assert_int_equal(nb_store_endpoint_del(f->st, e.id), 0);
	assert_int_equal(nb_store_network_del(f->st, n.id), 0);
	assert_int_equal(nb_store_network_find(f->st, "n", &got), -ENOENT);
}

/* Renames (netbpfd names Docker's objects after creating them): by id, refused when taken */
static void test_renames(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n = add_net(f->st, "n", "10.1.0.0/24"),
			      m = add_net(f->st, "m", "10.2.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a"), b = add_sb(f->st, "b"), got_sb;
	struct nb_endpoint_rec e = add_ep(f->st, &n, &a, "10.1.0.2", 0),
			       e2 = add_ep(f->st, &n, &b, "10.1.0.3", 0), got_ep;
	struct nb_network_rec got;

	assert_int_equal(nb_store_network_rename(f->st, n.id, "web"), 0);
	assert_int_equal(nb_store_network_find(f->st, "web", &got), 0);
	assert_string_equal(got.id, n.id);
	nb_network_rec_clear(&got);
	assert_int_equal(nb_store_network_find(f->st, "n", &got), -ENOENT);
	assert_int_equal(nb_store_network_rename(f->st, m.id, "web"), -EEXIST);
	assert_int_equal(
	    nb_store_network_rename(
		f->st, "0000000000000000000000000000000000000000000000000000000000000000", "x"),
	    -ENOENT);

	assert_int_equal(nb_store_sandbox_rename(f->st, a.id, "app"), 0);
	assert_int_equal(nb_store_sandbox_find(f->st, "app", &got_sb), 0);
	assert_string_equal(got_sb.id, a.id);
	assert_int_equal(nb_store_sandbox_rename(f->st, b.id, "app"), -EEXIST);

	/* the interface's name in the sandbox: unique per sandbox only */
	assert_int_equal(nb_store_endpoint_set_ifname(f->st, e.id, "eth5"), 0);
	assert_int_equal(nb_store_endpoint_find(f->st, n.id, a.id, &got_ep), 0);
	assert_string_equal(got_ep.ifname, "eth5");
	assert_int_equal(nb_store_endpoint_set_ifname(f->st, e2.id, "eth5"), 0);
	assert_int_equal(
	    nb_store_endpoint_set_ifname(
		f->st, "0000000000000000000000000000000000000000000000000000000000000000", "eth1"),
	    -ENOENT);
	nb_network_rec_clear(&n);
	nb_network_rec_clear(&m);
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n1 = add_net(f->st, "n1", "10.1.0.0/24");
	struct nb_network_rec n2 = add_net(f->st, "n2", "10.2.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a"), b = add_sb(f->st, "b");
	struct nb_endpoint_rec a1 = add_ep(f->st, &n1, &a, "10.1.0.2", 0);
	struct nb_endpoint_rec a2 = add_ep(f->st, &n2, &a, "10.2.0.2", 1);
	struct nb_endpoint_rec b1 = add_ep(f->st, &n1, &b, "10.1.0.3", 0);
	struct nb_publish_rec p, *pl;
	struct nb_endpoint_rec *el;
	size_t cnt;

	p = pub(&a1, "0.0.0.0", 8000, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), 0);
	p = pub(&a2, "0.0.0.0", 8001, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), 0);
	p = pub(&b1, "0.0.0.0", 9000, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), 0);

	/* disconnecting a from n2 takes the port published through n2 along */
	assert_int_equal(nb_store_endpoint_del(f->st, a2.id), 0);
	assert_int_equal(nb_store_publish_list(f->st, a.id, &pl, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_int_equal(pl[0].host_port, 8000);
	free(pl);

	/* removing a takes its endpoints and ports; b keeps its own */
	assert_int_equal(nb_store_sandbox_del(f->st, a.id), 0);
	assert_int_equal(nb_store_endpoint_list(f->st, NULL, NULL, &el, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_string_equal(el[0].id, b1.id);
	free(el);
	assert_int_equal(nb_store_publish_list(f->st, NULL, &pl, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_string_equal(pl[0].sandbox_id, b.id);
	free(pl);
	/* and the network of the removed sandbox's endpoints can go once b leaves */
	assert_int_equal(nb_store_network_del(f->st, n2.id), 0);
	assert_int_equal(nb_store_network_del(f->st, n1.id), -EBUSY);
	assert_int_equal(nb_store_sandbox_del(f->st, b.id), 0);
	assert_int_equal(nb_store_network_del(f->st, n1.id), 0);
}

/* ---- published ports ---------------------------------------------------- */

/* published IPv6 ports: [::] conflicts with every address, exact ones apart; cascade */
static struct nb_publish_rec pub6(const struct nb_endpoint_rec *ep, const char *ip6, __u16 hport,
				  __u16 sport)
{
	struct nb_publish_rec p = {
	    .v6 = true, .host_port = hport, .sb_port = sport, .proto = IPPROTO_TCP};

	snprintf(p.sandbox_id, sizeof(p.sandbox_id), "%s", ep->sandbox_id);
	snprintf(p.network_id, sizeof(p.network_id), "%s", ep->network_id);
	assert_int_equal(inet_pton(AF_INET6, ip6, &p.host_ip6), 1);
	return p;
}

static void test_publish6(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n = add_net(f->st, "n", "10.1.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a"), b = add_sb(f->st, "b");
	struct nb_endpoint_rec ea = add_ep(f->st, &n, &a, "10.1.0.2", 0);
	struct nb_endpoint_rec eb = add_ep(f->st, &n, &b, "10.1.0.3", 0);
	struct nb_publish_rec p, holder, *pl;
	struct in6_addr any = IN6ADDR_ANY_INIT, one;
	bool taken;
	size_t cnt;

	p = pub6(&ea, "2001:db8::1", 8080, 80);
	assert_int_equal(nb_store_publish6_add(f->st, &p, NULL), 0);
	/* another address, same port: free; [::] on it: taken, holder named */
	p = pub6(&eb, "2001:db8::2", 8080, 80);
	assert_int_equal(nb_store_publish6_add(f->st, &p, NULL), 0);
	p = pub6(&eb, "::", 8080, 80);
	assert_int_equal(nb_store_publish6_add(f->st, &p, &holder), -EEXIST);
	assert_true(holder.v6);
	assert_string_equal(holder.sandbox_id, a.id);
	/* the IPv4 table is another namespace: 0.0.0.0:8080 is free */
	p = pub(&eb, "0.0.0.0", 8080, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), 0);
	assert_int_equal(nb_store_publish6_taken(f->st, &any, 8080, IPPROTO_TCP, &taken), 0);
	assert_true(taken);
	assert_int_equal(nb_store_publish6_taken(f->st, &any, 8080, IPPROTO_UDP, &taken), 0);
	assert_false(taken);
	assert_int_equal(nb_store_publish6_list(f->st, a.id, &pl, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_true(pl[0].v6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &one), 1);
	assert_memory_equal(&pl[0].host_ip6, &one, 16);
	free(pl);
	p = pub6(&ea, "2001:db8::1", 8080, 80);
	assert_int_equal(nb_store_publish6_del(f->st, &p), 0);
	assert_int_equal(nb_store_publish6_del(f->st, &p), -ENOENT);
	/* removing b takes its IPv6 rows along */
	assert_int_equal(nb_store_sandbox_del(f->st, b.id), 0);
	assert_int_equal(nb_store_publish6_list(f->st, NULL, &pl, &cnt), 0);
	assert_int_equal(cnt, 0);
	free(pl);
	nb_network_rec_clear(&n);
}

/*
 * allow-lists of both families: a prefix given twice is one row (publish --allow
 * 10.0.0.1/8 --allow 10.0.0.2/8 masks both to 10.0.0.0/8), and rows go with their port
 */
static void test_allow(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n = add_net(f->st, "n", "10.1.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a");
	struct nb_endpoint_rec ea = add_ep(f->st, &n, &a, "10.1.0.2", 0);
	struct nb_publish_rec p4 = pub(&ea, "0.0.0.0", 8080, 80, IPPROTO_TCP);
	struct nb_publish_rec p6 = pub6(&ea, "::", 8080, 80);
	struct nb_allow_rec r4 = {.host_port = 8080, .proto = IPPROTO_TCP, .len = 8}, *l4;
	struct nb_allow6_rec r6 = {.host_port = 8080, .proto = IPPROTO_TCP, .len = 32}, *l6;
	size_t cnt;

	assert_int_equal(inet_pton(AF_INET, "10.0.0.0", &r4.addr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::", &r6.addr6), 1);
	/* no published port, no list */
	assert_int_not_equal(nb_store_allow_add(f->st, &r4), 0);
	assert_int_not_equal(nb_store_allow6_add(f->st, &r6), 0);
	assert_int_equal(nb_store_publish_add(f->st, &p4, NULL), 0);
	assert_int_equal(nb_store_publish6_add(f->st, &p6, NULL), 0);
	assert_int_equal(nb_store_allow_add(f->st, &r4), 0);
	assert_int_equal(nb_store_allow_add(f->st, &r4), 0);
	assert_int_equal(nb_store_allow6_add(f->st, &r6), 0);
	assert_int_equal(nb_store_allow6_add(f->st, &r6), 0);
	assert_int_equal(nb_store_allow_list(f->st, &l4, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_memory_equal(&l4[0], &r4, sizeof(r4));
	free(l4);
	assert_int_equal(nb_store_allow6_list(f->st, &l6, &cnt), 0);
	assert_int_equal(cnt, 1);
	assert_memory_equal(&l6[0], &r6, sizeof(r6));
	free(l6);
	/* unpublishing the port takes its list along */
	assert_int_equal(nb_store_publish_del(f->st, &p4), 0);
	assert_int_equal(nb_store_publish6_del(f->st, &p6), 0);
	assert_int_equal(nb_store_allow_list(f->st, &l4, &cnt), 0);
	assert_int_equal(cnt, 0);
	free(l4);
	assert_int_equal(nb_store_allow6_list(f->st, &l6, &cnt), 0);
	assert_int_equal(cnt, 0);
	free(l6);
	nb_network_rec_clear(&n);
}

static void test_publish_conflicts(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n = add_net(f->st, "n", "10.1.0.0/24");
	struct nb_sandbox_rec a = add_sb(f->st, "a"), b = add_sb(f->st, "b");
	struct nb_endpoint_rec ea = add_ep(f->st, &n, &a, "10.1.0.2", 0);
	struct nb_endpoint_rec eb = add_ep(f->st, &n, &b, "10.1.0.3", 0);
	struct nb_publish_rec p, holder;

	/* held by a: 0.0.0.0:8000/tcp and 10.0.0.1:9000/tcp */
	p = pub(&ea, "0.0.0.0", 8000, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), 0);
	p = pub(&ea, "10.0.0.1", 9000, 90, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), 0);

	static const struct {
		const char *host_ip;
		__u16 port;
		__u8 proto;
		int err;
		const char *holder_ip; /* when -EEXIST */
	} cases[] = {
	    {"0.0.0.0", 8000, IPPROTO_TCP, -EEXIST, "0.0.0.0"},	  /* same */
	    {"127.0.0.1", 8000, IPPROTO_TCP, -EEXIST, "0.0.0.0"}, /* specific vs any */
	    {"10.0.0.1", 8000, IPPROTO_TCP, -EEXIST, "0.0.0.0"},
	    {"0.0.0.0", 9000, IPPROTO_TCP, -EEXIST, "10.0.0.1"},  /* any vs specific */
	    {"10.0.0.1", 9000, IPPROTO_TCP, -EEXIST, "10.0.0.1"}, /* same specific */
	    {"10.0.0.2", 9000, IPPROTO_TCP, 0, NULL},		  /* other specific */
	    {"0.0.0.0", 8000, IPPROTO_UDP, 0, NULL},		  /* other protocol */
	    {"0.0.0.0", 8001, IPPROTO_TCP, 0, NULL},		  /* other port */
	    {"127.0.0.1", 9000, IPPROTO_UDP, 0, NULL},
	    {"127.0.0.1", 9000, IPPROTO_TCP, 0, NULL},
	    {"0.0.0.0", 9000, IPPROTO_UDP, -EEXIST, "127.0.0.1"}, /* added just above */
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[NB_IPV4_STRLEN];
		int err;

		p = pub(&eb, cases[i].host_ip, cases[i].port, 80, cases[i].proto);
		memset(&holder, 0, sizeof(holder));
		err = nb_store_publish_add(f->st, &p, &holder);
		if (err != cases[i].err)
			fail_msg("case %zu %s:%u/%u: got %d, want %d", i, cases[i].host_ip,
				 cases[i].port, cases[i].proto, err, cases[i].err);
		if (err) {
			assert_string_equal(nb_fmt_ipv4(holder.host_ip, buf), cases[i].holder_ip);
			assert_int_equal(holder.host_port, cases[i].port);
			assert_int_equal(holder.proto, cases[i].proto);
			assert_string_equal(holder.network_id, n.id);
			/* the UDP holder of case 10 is b itself, the rest are a's */
			assert_string_equal(holder.sandbox_id, i == 10 ? b.id : a.id);
		}
	}

	/* list: everything, or one sandbox's */
	struct nb_publish_rec *list;
	size_t cnt;

	assert_int_equal(nb_store_publish_list(f->st, NULL, &list, &cnt), 0);
	assert_int_equal(cnt, 2 + 5);
	free(list);
	assert_int_equal(nb_store_publish_list(f->st, a.id, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(list[0].proto, IPPROTO_TCP);
	assert_int_equal(list[0].sb_port, 80);
	assert_int_equal(list[0].host_port, 8000);
	assert_int_equal(list[0].host_ip, 0);
	assert_int_equal(list[1].sb_port, 90);
	assert_int_equal(list[1].host_ip, ip("10.0.0.1"));
	free(list);

	/* unpublish: only the holder's own entry, then the port is free for b */
	p = pub(&eb, "0.0.0.0", 8000, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_del(f->st, &p), -ENOENT);
	p = pub(&ea, "0.0.0.0", 8000, 81, IPPROTO_TCP); /* wrong sandbox port */
	assert_int_equal(nb_store_publish_del(f->st, &p), -ENOENT);
	p = pub(&ea, "0.0.0.0", 8000, 0, IPPROTO_TCP); /* any sandbox port */
	assert_int_equal(nb_store_publish_del(f->st, &p), 0);
	assert_int_equal(nb_store_publish_del(f->st, &p), -ENOENT);
	p = pub(&eb, "127.0.0.1", 8000, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, &holder), 0);

	/* a sandbox publishes only through a network it is on */
	struct nb_network_rec other = add_net(f->st, "other", "10.9.0.0/24");

	p = pub(&eb, "0.0.0.0", 7000, 80, IPPROTO_TCP);
	memcpy(p.network_id, other.id, sizeof(p.network_id));
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), -ENOENT);
	/* ports and protocols the schema refuses */
	p = pub(&eb, "0.0.0.0", 0, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), -EINVAL);
	p = pub(&eb, "0.0.0.0", 7001, 80, IPPROTO_ICMP);
	assert_int_equal(nb_store_publish_add(f->st, &p, NULL), -EINVAL);

	/* all of it was committed: another connection sees the same ports */
	nb_store_close(f->st);
	assert_int_equal(nb_store_open(f->dir, true, &f->st), 0);
	assert_int_equal(nb_store_publish_list(f->st, NULL, &list, &cnt), 0);
	assert_int_equal(cnt, 2 + 5 - 1 + 1);
	free(list);
	p = pub(&eb, "127.0.0.1", 8000, 80, IPPROTO_TCP);
	assert_int_equal(nb_store_publish_add(f->st, &p, &holder), -EEXIST);
	assert_string_equal(holder.sandbox_id, b.id);
}

/* ---- injection-looking values ------------------------------------------- */

static void test_injection_verbatim(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = {
	    "x'; DROP TABLE networks; --",
	    "\"); DROP TABLE sandboxes; --",
	    "' OR '1'='1",
	    "%",
	    "_",
	    "a\\b",
	};
	struct nb_network_rec n, got, *list;
	struct nb_sandbox_rec sb = {0}, sgot;
	char subnet[32], *val;
	size_t cnt;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(subnet, sizeof(subnet), "10.%zu.0.0/16", i);
		fill_net(&n, names[i], subnet);
		n.labels = "{\"k\":\"'; DELETE FROM settings; --\"}";
		assert_int_equal(nb_store_network_add(f->st, &n), 0);
		assert_int_equal(nb_id_new(sb.id), 0);
		snprintf(sb.name, sizeof(sb.name), "%s", names[i]);
		snprintf(sb.netns, sizeof(sb.netns), "/run/netns/'; DROP TABLE endpoints; --");
		assert_int_equal(nb_store_sandbox_add(f->st, &sb), 0);
	}
	assert_int_equal(nb_store_setting_set(f->st, "k'; DROP TABLE settings; --", "v'\""), 0);

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		assert_int_equal(nb_store_network_find(f->st, names[i], &got), 0);
		assert_string_equal(got.name, names[i]);
		assert_string_equal(got.labels, "{\"k\":\"'; DELETE FROM settings; --\"}");
		nb_network_rec_clear(&got);
		assert_int_equal(nb_store_sandbox_find(f->st, names[i], &sgot), 0);
		assert_string_equal(sgot.name, names[i]);
		assert_string_equal(sgot.netns, "/run/netns/'; DROP TABLE endpoints; --");
	}
	/* every table still there with every row */
	assert_int_equal(nb_store_network_list(f->st, &list, &cnt), 0);
	assert_int_equal(cnt, ARRAY_SIZE(names));
	nb_network_recs_free(list, cnt);
	assert_int_equal(nb_store_setting_get(f->st, "k'; DROP TABLE settings; --", &val), 0);
	assert_string_equal(val, "v'\"");
	free(val);
	/* "%" and "_" are names, not patterns: each finds only itself */
	assert_int_equal(nb_store_network_find(f->st, "%", &got), 0);
	assert_string_equal(got.name, "%");
	nb_network_rec_clear(&got);
}

/* ---- transactions ------------------------------------------------------- */

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct nb_network_rec n, got;

	/* rollback */
	assert_int_equal(nb_store_begin(f->st), 0);
	add_net(f->st, "rolled", "10.1.0.0/16");
	add_sb(f->st, "rolled-sb");
	assert_int_equal(nb_store_network_find(f->st, "rolled", &got), 0); /* visible inside */
	nb_network_rec_clear(&got);
	nb_store_rollback(f->st);
	assert_int_equal(nb_store_network_find(f->st, "rolled", &got), -ENOENT);
	struct nb_sandbox_rec sgot;

	assert_int_equal(nb_store_sandbox_find(f->st, "rolled-sb", &sgot), -ENOENT);
	nb_store_rollback(f->st); /* outside a transaction: harmless */

	/* the net_id of a rolled back network is handed out again */
	n = add_net(f->st, "kept", "10.2.0.0/16");
	assert_int_equal(n.net_id, 1);

	/* a failed statement inside a transaction leaves the rest of it intact */
	assert_int_equal(nb_store_begin(f->st), 0);
	add_net(f->st, "t1", "10.3.0.0/16");
	fill_net(&n, "t1", "10.4.0.0/16");
	assert_int_equal(nb_store_network_add(f->st, &n), -EEXIST);
	add_net(f->st, "t2", "10.5.0.0/16");
	assert_int_equal(nb_store_commit(f->st), 0);
	assert_int_equal(nb_store_network_find(f->st, "t1", &got), 0);
	assert_int_equal(got.net_id, 2);
	nb_network_rec_clear(&got);
	assert_int_equal(nb_store_network_find(f->st, "t2", &got), 0);
	assert_int_equal(got.net_id, 3);
	nb_network_rec_clear(&got);

	/* begin takes SQLite's write lock at once (IMMEDIATE): another connection cannot */
	char path[400];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/netbpf.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(nb_store_begin(f->st), 0);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_BUSY);
	nb_store_rollback(f->st);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/* commit without a transaction is an error, not a silent success */
	assert_int_equal(nb_store_commit(f->st), -EIO);

	/* a transaction left open at close is rolled back */
	assert_int_equal(nb_store_begin(f->st), 0);
	add_net(f->st, "uncommitted", "10.6.0.0/16");
	nb_store_close(f->st);
	assert_int_equal(nb_store_open(f->dir, true, &f->st), 0);
	assert_int_equal(nb_store_network_find(f->st, "uncommitted", &got), -ENOENT);
	assert_int_equal(nb_store_network_find(f->st, "t2", &got), 0);
	nb_network_rec_clear(&got);
}

/* ---- settings ----------------------------------------------------------- */

static void test_settings(void **state)
{
	struct fixture *f = *state;
	char *v = NULL;

	assert_int_equal(nb_store_setting_get(f->st, "uplinks", &v), -ENOENT);
	assert_int_equal(nb_store_setting_set(f->st, "uplinks", "eth0"), 0);
	assert_int_equal(nb_store_setting_get(f->st, "uplinks", &v), 0);
	assert_string_equal(v, "eth0");
	free(v);
	assert_int_equal(nb_store_setting_set(f->st, "uplinks", "eth0,eth1"), 0);
	assert_int_equal(nb_store_setting_get(f->st, "uplinks", &v), 0);
	assert_string_equal(v, "eth0,eth1");
	free(v);
	assert_int_equal(nb_store_setting_set(f->st, "mode", ""), 0);
	assert_int_equal(nb_store_setting_get(f->st, "mode", &v), 0);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(nb_store_setting_del(f->st, "uplinks"), 0);
	assert_int_equal(nb_store_setting_del(f->st, "uplinks"), -ENOENT);
	assert_int_equal(nb_store_setting_get(f->st, "uplinks", &v), -ENOENT);
}

/* ---- readers and concurrency -------------------------------------------- */

static void test_reader(void **state)
{
	struct fixture *f = *state;
	struct nb_store *r1, *r2;
	struct nb_network_rec n, got;

	add_net(f->st, "web", "10.1.0.0/16");
	nb_store_close(f->st);
	f->st = NULL;

	/* two readers at once: the shared lock does not block (the alarm would fire) */
	alarm(20);
	assert_int_equal(nb_store_open(f->dir, false, &r1), 0);
	assert_int_equal(nb_store_open(f->dir, false, &r2), 0);
	alarm(0);
	assert_int_equal(nb_store_network_find(r1, "web", &got), 0);
	nb_network_rec_clear(&got);
	assert_int_equal(nb_store_begin(r2), 0); /* a read snapshot */
	assert_int_equal(nb_store_network_find(r2, "web", &got), 0);
	nb_network_rec_clear(&got);
	nb_store_rollback(r2);
	/* a reader cannot write */
	fill_net(&n, "db", "10.2.0.0/16");
	assert_int_equal(nb_store_network_add(r1, &n), -EROFS);
	assert_int_equal(nb_store_setting_set(r1, "k", "v"), -EROFS);
	nb_store_close(r1);
	nb_store_close(r2);
	assert_int_equal(nb_store_open(f->dir, true, &f->st), 0);
	assert_int_equal(nb_store_network_find(f->st, "db", &got), -ENOENT);
}

/*
 * A child holds the store for hold_ms, writing 'o' to ready once open and
 * 'c' to closing just before it closes. The parent then opens the store as
 * writer (or reader): the open must not return before the 'c'.
 */
static void check_blocks(const char *dir, bool child_writer, bool parent_writer)
{
	int ready[2], closing[2], status;
	struct nb_store *st;
	int64_t t0, t1;
	pid_t pid;
	char c = 0;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe2(closing, O_NONBLOCK), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nb_store *cst;

		if (nb_store_open(dir, child_writer, &cst))
			_exit(2);
		if (write(ready[1], "o", 1) != 1)
			_exit(3);
		usleep(400 * 1000);
		if (write(closing[1], "c", 1) != 1)
			_exit(4);
		nb_store_close(cst);
		_exit(0);
	}
	close(ready[1]);
	close(closing[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(c, 'o');

	alarm(30);
	t0 = now_ms();
	assert_int_equal(nb_store_open(dir, parent_writer, &st), 0);
	t1 = now_ms();
	alarm(0);
	c = 0;
	if (read(closing[0], &c, 1) != 1 || c != 'c')
		fail_msg("opened after %lld ms while the other process still held the store",
			 (long long)(t1 - t0));
	assert_true(t1 - t0 >= 200);
	nb_store_close(st);

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(ready[0]);
	close(closing[0]);
}

static void test_writers_serialize(void **state)
{
	struct fixture *f = *state;

	nb_store_close(f->st); /* this process would otherwise hold the lock itself */
	f->st = NULL;
	check_blocks(f->dir, true, true);  /* writer waits for writer */
	check_blocks(f->dir, true, false); /* reader waits for writer */
	check_blocks(f->dir, false, true); /* writer waits for reader */
	assert_int_equal(nb_store_open(f->dir, true, &f->st), 0);
}

/*
 * What `sandbox create` does, from several processes at once: open as
 * writer, allocate the lowest free address of the network, add a sandbox and
 * its endpoint, commit. Every process must get its own address.
 */
static int child_create(const char *dir, int i)
{
	struct nb_network_rec net = {0};
	struct nb_sandbox_rec sb = {0};
	struct nb_endpoint_rec ep = {0};
	struct nb_store *st;
	__be32 *used = NULL;
	size_t nused;
	int err;

	err = nb_store_open(dir, true, &st);
	if (err)
		return 10;
	err = nb_store_begin(st);
	if (!err)
		err = nb_store_network_find(st, "shared", &net);
	if (!err)
		err = nb_store_network_ips(st, net.id, &used, &nused);
	if (!err)
		err = nb_ipam_alloc(&net.subnet, &net.range, net.gateway, used, nused, &ep.ip);
	free(used);
	if (!err)
		err = nb_id_new(sb.id);
	snprintf(sb.name, sizeof(sb.name), "sb%d", i);
	snprintf(sb.netns, sizeof(sb.netns), "/run/netns/sb%d", i);
	if (!err)
		err = nb_store_sandbox_add(st, &sb);
	if (!err)
		err = nb_id_new(ep.id);
	if (!err) {
		memcpy(ep.network_id, net.id, sizeof(ep.network_id));
		memcpy(ep.sandbox_id, sb.id, sizeof(ep.sandbox_id));
		snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
		snprintf(ep.host_ifname, sizeof(ep.host_ifname), "nbe%.11s", ep.id);
		nb_mac_from_ipv4(ep.ip, ep.mac);
		err = nb_store_endpoint_add(st, &ep);
	}
	if (!err) {
		/* a network of its own too: net_ids must not collide either */
		struct nb_network_rec own;

		fill_net(&own, sb.name, "10.200.0.0/24");
		err = nb_store_network_add(st, &own);
	}
	if (!err)
		err = nb_store_commit(st);
	nb_network_rec_clear(&net);
	nb_store_close(st);
	return err ? 20 : 0;
}

static void test_concurrent_creates(void **state)
{
	enum { N = 8 };
	struct fixture *f = *state;
	struct nb_network_rec *nets;
	__be32 *ips;
	pid_t pids[N];
	size_t cnt;
	int status;

	add_net(f->st, "shared", "10.50.0.0/24");
	nb_store_close(f->st);
	f->st = NULL;

	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(child_create(f->dir, i));
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status))
			fail_msg("child %d failed with %d", i, WEXITSTATUS(status));
	}

	assert_int_equal(nb_store_open(f->dir, true, &f->st), 0);
	struct nb_network_rec shared;

	assert_int_equal(nb_store_network_find(f->st, "shared", &shared), 0);
	assert_int_equal(nb_store_network_ips(f->st, shared.id, &ips, &cnt), 0);
	nb_network_rec_clear(&shared);
	/* N distinct addresses, and the lowest ones: .2 .. .N+1 (sorted by the store) */
	assert_int_equal(cnt, N);
	for (size_t i = 0; i < cnt; i++)
		assert_int_equal(ntohl(ips[i]), ntohl(ip("10.50.0.2")) + i);
	free(ips);

	/* net_ids 1..N+1, each once */
	bool seen[N + 2] = {false};

	assert_int_equal(nb_store_network_list(f->st, &nets, &cnt), 0);
	assert_int_equal(cnt, N + 1);
	for (size_t i = 0; i < cnt; i++) {
		assert_true(nets[i].net_id >= 1 && nets[i].net_id <= N + 1);
		assert_false(seen[nets[i].net_id]);
		seen[nets[i].net_id] = true;
	}
	nb_network_recs_free(nets, cnt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_files_and_modes),
	    cmocka_unit_test(test_set_durable),
	    cmocka_unit_test(test_open_bad),
	    cmocka_unit_test_setup_teardown(test_network_crud, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_network_constraints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_net_id_reuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_net_id_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_network_endpoint_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query_plans, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_network_counts_and_floor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_id_prefix_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_resolution, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sandbox_resolution, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sandbox_crud, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_crud, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_constraints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_network_del_busy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_renames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish_conflicts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publish6, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_allow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_injection_verbatim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reader, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writers_serialize, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_creates, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, group_setup, group_teardown);
}
