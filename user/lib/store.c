// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The state database (see store.h). Every value reaches SQLite through a
 * bound parameter: SQL text is built from constants only, so a name such as
 * "x'; DROP TABLE networks; --" is stored and found verbatim.
 *
 * IPv4 addresses are stored as integers in host order (so that they sort and
 * compare as addresses); 0 in host_ip means "every host address". Columns
 * that may legitimately be absent for host/none endpoints (ip, ifname,
 * host_ifname, net_id) are NULL rather than 0 or "", so the UNIQUE
 * constraints over them do not make two address-less endpoints collide.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <netbpf/abi.h>

#include "log.h"
#include "mapsize.h"
#include "paths.h"
#include "store.h"

/* Bumped with every schema change; nb_store_open() migrates older files. */
#define SCHEMA_VERSION 8
/* A writer holds the flock for a whole command; SQLite's own wait is a fallback. */
#define BUSY_TIMEOUT_MS 30000

struct nb_store {
	sqlite3 *db;
	int lock_fd;
	bool writer;
	char path[PATH_MAX];
	sqlite3_stmt *port_taken; /* nb_store_publish_taken's, prepared once per store */
};

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS networks ("
    "  id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 64),"
    "  name         TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),"
    "  driver       TEXT NOT NULL CHECK (driver IN ('bridge', 'host', 'none')),"
    "  net_id       INTEGER UNIQUE CHECK (net_id >= 1)," /* NULL for host/none */
    "  subnet       INTEGER NOT NULL,"
    "  subnet_len   INTEGER NOT NULL CHECK (subnet_len BETWEEN 0 AND 32),"
    "  range_addr   INTEGER NOT NULL,"
    "  range_len    INTEGER NOT NULL CHECK (range_len BETWEEN 0 AND 32),"
    "  gateway      INTEGER NOT NULL,"
    "  internal     INTEGER NOT NULL,"
    "  icc          INTEGER NOT NULL,"
    "  masquerade   INTEGER NOT NULL,"
    "  host_binding INTEGER NOT NULL,"
    "  mtu          INTEGER NOT NULL,"
    "  builtin      INTEGER NOT NULL,"
    "  created      INTEGER NOT NULL,"
    "  options      TEXT NOT NULL,"
    "  labels       TEXT NOT NULL"
    ") STRICT;"
    "CREATE TABLE IF NOT EXISTS sandboxes ("
    "  id      TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 64),"
    "  name    TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),"
    "  netns   TEXT NOT NULL CHECK (length(netns) < 256),"
    "  owned   INTEGER NOT NULL,"
    "  created INTEGER NOT NULL"
    ") STRICT;"
    /* a network with endpoints cannot go (RESTRICT); a sandbox takes its endpoints along */
    "CREATE TABLE IF NOT EXISTS endpoints ("
    "  id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 64),"
    "  network_id  TEXT NOT NULL REFERENCES networks (id) ON DELETE RESTRICT,"
    "  sandbox_id  TEXT NOT NULL REFERENCES sandboxes (id) ON DELETE CASCADE,"
    "  ifname      TEXT CHECK (length(ifname) BETWEEN 1 AND 15),"
    "  host_ifname TEXT UNIQUE CHECK (length(host_ifname) BETWEEN 1 AND 15),"
    "  ip          INTEGER,"
    "  mac         BLOB NOT NULL CHECK (length(mac) = 6),"
    "  seq         INTEGER NOT NULL,"
    "  created     INTEGER NOT NULL,"
    "  UNIQUE (network_id, ip),"
    "  UNIQUE (network_id, sandbox_id),"
    "  UNIQUE (sandbox_id, ifname)"
    ") STRICT;"
    /*
     * A published port exists through an endpoint: disconnecting the sandbox
     * from that network, or removing the sandbox, removes the port with it.
     */
    "CREATE TABLE IF NOT EXISTS publish ("
    "  sandbox_id TEXT NOT NULL,"
    "  network_id TEXT NOT NULL,"
    "  host_ip    INTEGER NOT NULL,"
    "  host_port  INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),"
    "  sb_port    INTEGER NOT NULL CHECK (sb_port BETWEEN 1 AND 65535),"
    "  proto      INTEGER NOT NULL CHECK (proto IN (6, 17)),"
    "  UNIQUE (host_ip, host_port, proto),"
    "  FOREIGN KEY (network_id, sandbox_id)"
    "    REFERENCES endpoints (network_id, sandbox_id) ON DELETE CASCADE"
    ") STRICT;"
    "CREATE INDEX IF NOT EXISTS publish_by_endpoint ON publish (network_id, sandbox_id);"
    "CREATE INDEX IF NOT EXISTS publish_by_port ON publish (host_port, proto);"
    "CREATE TABLE IF NOT EXISTS settings ("
    "  key   TEXT PRIMARY KEY NOT NULL,"
    "  value TEXT NOT NULL"
    ") STRICT;";

/*
 * Version 2: source allow-lists of published ports (`publish --allow`), one
 * row per prefix, gone with their published port.
 */
static const char schema_v2[] =
    "CREATE TABLE IF NOT EXISTS publish_allow ("
    "  host_ip    INTEGER NOT NULL,"
    "  host_port  INTEGER NOT NULL,"
    "  proto      INTEGER NOT NULL,"
    "  addr       INTEGER NOT NULL,"
    "  len        INTEGER NOT NULL CHECK (len BETWEEN 0 AND 32),"
    "  UNIQUE (host_ip, host_port, proto, addr, len),"
    "  FOREIGN KEY (host_ip, host_port, proto)"
    "    REFERENCES publish (host_ip, host_port, proto) ON DELETE CASCADE"
    ") STRICT;";

/*
 * Version 3: Docker's --attachable and --aux-address of a network (the
 * auxiliary addresses, a JSON object of name -> IPv4, are kept out of IPAM),
 * and an endpoint's aliases (JSON array of names; Docker's --alias).
 */
static const char schema_v3[] =
    "ALTER TABLE networks ADD COLUMN attachable INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE networks ADD COLUMN aux_addresses TEXT NOT NULL DEFAULT '{}';"
    "ALTER TABLE endpoints ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';";

/*
 * Version 4, overlay networks (issue 17): the network's VXLAN VNI, 0 for a local one. An
 * overlay network's row keeps driver 'bridge' (the kernel side is a bridge
 * network's: gateway, veths, maps; SQLite cannot widen the driver CHECK in
 * place) and reads back as driver "overlay" when vni is set.
 */
static const char schema_v4[] = "ALTER TABLE networks ADD COLUMN vni INTEGER NOT NULL DEFAULT 0;";

/*
 * Version 5: IPv6. A network's v6 subnet, range and gateway (16-byte blobs in network order,
 * so blob order is address order; NULL and length 0: no IPv6), an endpoint's v6 address
 * (NULL: none), unique per network as the v4 one is.
 */
static const char schema_v5[] =
    "ALTER TABLE networks ADD COLUMN subnet6 BLOB CHECK (subnet6 IS NULL OR length(subnet6) = 16);"
    "ALTER TABLE networks ADD COLUMN subnet6_len INTEGER NOT NULL DEFAULT 0"
    "  CHECK (subnet6_len BETWEEN 0 AND 128);"
    "ALTER TABLE networks ADD COLUMN range6 BLOB CHECK (range6 IS NULL OR length(range6) = 16);"
    "ALTER TABLE networks ADD COLUMN range6_len INTEGER NOT NULL DEFAULT 0"
    "  CHECK (range6_len BETWEEN 0 AND 128);"
    "ALTER TABLE networks ADD COLUMN gateway6 BLOB"
    "  CHECK (gateway6 IS NULL OR length(gateway6) = 16);"
    "ALTER TABLE endpoints ADD COLUMN ip6 BLOB CHECK (ip6 IS NULL OR length(ip6) = 16);"
    "CREATE UNIQUE INDEX IF NOT EXISTS endpoints_ip6 ON endpoints (network_id, ip6);";

/*
 * Version 6: published IPv6 ports (`publish [::]:8080:80`), apart from the
 * IPv4 ones (whose key is a 32-bit address): host_ip6 16 bytes, all zero
 * for every host address; gone with their endpoint, as publish's rows.
 */
static const char schema_v6[] =
    "CREATE TABLE IF NOT EXISTS publish6 ("
    "  sandbox_id TEXT NOT NULL,"
    "  network_id TEXT NOT NULL,"
    "  host_ip6   BLOB NOT NULL CHECK (length(host_ip6) = 16),"
    "  host_port  INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),"
    "  sb_port    INTEGER NOT NULL CHECK (sb_port BETWEEN 1 AND 65535),"
    "  proto      INTEGER NOT NULL CHECK (proto IN (6, 17)),"
    "  UNIQUE (host_ip6, host_port, proto),"
    "  FOREIGN KEY (network_id, sandbox_id)"
    "    REFERENCES endpoints (network_id, sandbox_id) ON DELETE CASCADE"
    ") STRICT;"
    "CREATE INDEX IF NOT EXISTS publish6_by_endpoint ON publish6 (network_id, sandbox_id);"
    "CREATE INDEX IF NOT EXISTS publish6_by_port ON publish6 (host_port, proto);";

/*
 * Version 7: source allow-lists of published IPv6 ports (`publish --allow
 * 2001:db8::/32`), as publish_allow for IPv4 ones, gone with their port.
 */
static const char schema_v7[] =
    "CREATE TABLE IF NOT EXISTS publish_allow6 ("
    "  host_ip6   BLOB NOT NULL CHECK (length(host_ip6) = 16),"
    "  host_port  INTEGER NOT NULL,"
    "  proto      INTEGER NOT NULL,"
    "  addr6      BLOB NOT NULL CHECK (length(addr6) = 16),"
    "  len        INTEGER NOT NULL CHECK (len BETWEEN 0 AND 128),"
    "  UNIQUE (host_ip6, host_port, proto, addr6, len),"
    "  FOREIGN KEY (host_ip6, host_port, proto)"
    "    REFERENCES publish6 (host_ip6, host_port, proto) ON DELETE CASCADE"
    ") STRICT;";

/*
 * Version 8: what a sandbox create reads of its network in O(1) instead of
 * per endpoint of it (issue 20: 4,096 on one network). ndevices counts the
 * network's endpoints with a device (host_ifname), the room checks' count;
 * ip_floor (host order, 0 = none) is an address below which every address of
 * the network is held or reserved, where the lowest free one is sought from.
 * Triggers keep both whatever deletes the row (rm, gc, a sandbox's cascade):
 * a deleted address lowers the floor; nothing else may (a taken one never
 * frees an address below it). Endpoints never change network, address or
 * device in place (no UPDATE of those columns).
 */
static const char schema_v8[] =
    "ALTER TABLE networks ADD COLUMN ndevices INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE networks ADD COLUMN ip_floor INTEGER NOT NULL DEFAULT 0;"
    "UPDATE networks SET ndevices = (SELECT count(*) FROM endpoints e"
    "  WHERE e.network_id = networks.id AND e.host_ifname IS NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS endpoints_device_added AFTER INSERT ON endpoints"
    "  WHEN new.host_ifname IS NOT NULL BEGIN"
    "  UPDATE networks SET ndevices = ndevices + 1 WHERE id = new.network_id; END;"
    "CREATE TRIGGER IF NOT EXISTS endpoints_deleted AFTER DELETE ON endpoints BEGIN"
    "  UPDATE networks SET ndevices = ndevices - (old.host_ifname IS NOT NULL),"
    "  ip_floor = CASE WHEN old.ip IS NOT NULL AND old.ip < ip_floor THEN old.ip"
    "  ELSE ip_floor END WHERE id = old.network_id; END;";

/*
 * Maps a failed SQLite call to an errno. Constraint violations are the
 * caller's business (it knows which name or address to report), so they are
 * returned silently; anything else leaves SQLite's message in the error slot.
 */
static int db_fail(struct nb_store *st, const char *op, int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	}
	nb_errorf("state database %s: %s: %s", st->path, op, sqlite3_errmsg(st->db));
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return -EINVAL; /* CHECK / NOT NULL: a value the schema refuses */
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	return -EIO;
}

static int prep(struct nb_store *st, const char *op, const char *sql, sqlite3_stmt **stmt)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);

	if (rc != SQLITE_OK) {
		*stmt = NULL;
		return db_fail(st, op, rc);
	}
	return 0;
}

/* Runs a statement that returns no rows */
static int exec_done(struct nb_store *st, const char *op, sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(st, op, rc);
	return 0;
}

static int exec_sql(struct nb_store *st, const char *op, const char *sql)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_fail(st, op, rc);
	return 0;
}

/* "" binds NULL: absent ifnames must not collide in the UNIQUE constraints */
static int bind_text_or_null(sqlite3_stmt *stmt, int idx, const char *s)
{
	if (!s || !s[0])
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, s, -1, SQLITE_STATIC);
}

static int bind_ip(sqlite3_stmt *stmt, int idx, __be32 ip)
{
	return sqlite3_bind_int64(stmt, idx, (sqlite3_int64)ntohl(ip));
}

static int bind_ip_or_null(sqlite3_stmt *stmt, int idx, __be32 ip)
{
	if (!ip)
		return sqlite3_bind_null(stmt, idx);
	return bind_ip(stmt, idx, ip);
}

static __be32 col_ip(sqlite3_stmt *stmt, int col)
{
	return htonl((uint32_t)sqlite3_column_int64(stmt, col));
}

/* an IPv6 address: NULL when :: (none) */
static int bind_ip6_or_null(sqlite3_stmt *stmt, int idx, const struct in6_addr *ip)
{
	if (nb_ipv6_is_zero(ip))
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_blob(stmt, idx, ip, sizeof(*ip), SQLITE_TRANSIENT);
}

static void col_ip6(sqlite3_stmt *stmt, int col, struct in6_addr *ip)
{
	const void *b = sqlite3_column_blob(stmt, col);

	memset(ip, 0, sizeof(*ip));
	if (b && sqlite3_column_bytes(stmt, col) == (int)sizeof(*ip))
		memcpy(ip, b, sizeof(*ip));
}

static void col_text(sqlite3_stmt *stmt, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);

	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* SAVEPOINTs make multi-statement operations atomic inside or outside a transaction */
static int savepoint(struct nb_store *st)
{
	return exec_sql(st, "savepoint", "SAVEPOINT nb_op");
}

static int release(struct nb_store *st, int err)
{
	if (err) {
		sqlite3_exec(st->db, "ROLLBACK TO nb_op", NULL, NULL, NULL);
		sqlite3_exec(st->db, "RELEASE nb_op", NULL, NULL, NULL);
		return err;
	}
	return exec_sql(st, "release savepoint", "RELEASE nb_op");
}

/* ---- open / close / transactions --------------------------------------- */

/* Creates the file 0600 (SQLite would use 0644), and narrows an existing one */
static int create_private(const char *path, int *fdp)
{
	struct stat sb;
	int fd, err;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) || ((sb.st_mode & 077) && fchmod(fd, sb.st_mode & 0700))) {
		err = -errno;
		close(fd);
		return err;
	}
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return 0;
}

static int schema_version(struct nb_store *st, int *version)
{
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, "read schema version", "PRAGMA user_version", &stmt);
	if (err)
		return err;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(stmt, 0);
	else
		err = db_fail(st, "read schema version", rc);
	sqlite3_finalize(stmt);
	return err;
}

/*
 * Creates or migrates the schema. Checked once without a lock (the common
 * case: nothing to do), then again inside BEGIN IMMEDIATE, so two first
 * commands racing on a fresh directory (readers share the flock) agree.
 */
static int schema_init(struct nb_store *st)
{
	char sql[64];
	int version, err;

	err = schema_version(st, &version);
	if (err || version >= SCHEMA_VERSION)
		goto check;
	err = exec_sql(st, "create schema", "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = schema_version(st, &version);
	if (!err && version < SCHEMA_VERSION) {
		/* version 0 = new file; then each version's migration in turn */
		if (version < 1)
			err = exec_sql(st, "create schema", schema_v1);
		if (!err && version < 2)
			err = exec_sql(st, "migrate schema to version 2", schema_v2);
		if (!err && version < 3)
			err = exec_sql(st, "migrate schema to version 3", schema_v3);
		if (!err && version < 4)
			err = exec_sql(st, "migrate schema to version 4", schema_v4);
		if (!err && version < 5)
			err = exec_sql(st, "migrate schema to version 5", schema_v5);
		if (!err && version < 6)
			err = exec_sql(st, "migrate schema to version 6", schema_v6);
		if (!err && version < 7)
			err = exec_sql(st, "migrate schema to version 7", schema_v7);
		if (!err && version < 8)
			err = exec_sql(st, "migrate schema to version 8", schema_v8);
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
		if (!err)
			err = exec_sql(st, "set schema version", sql);
	}
	if (err) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return err;
	}
	err = exec_sql(st, "create schema", "COMMIT");
	if (!err)
		version = version < SCHEMA_VERSION ? SCHEMA_VERSION : version;
check:
	if (!err && version > SCHEMA_VERSION) {
		nb_errorf("state database %s: schema version %d is newer than this "
			  "netbpf understands (%d)",
			  st->path, version, SCHEMA_VERSION);
		return -EPROTO;
	}
	return err;
}

int nb_store_open(const char *state_dir, bool writer, struct nb_store **out)
{
	char lock_path[PATH_MAX];
	struct nb_store *st;
	sqlite3_stmt *stmt = NULL;
	const char *mode;
	int err, rc, n;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->lock_fd = -1;
	st->writer = writer;

	err = nb_mkdir_p(state_dir);
	if (err) {
		nb_errorf("state dir %s: %s", state_dir, strerror(-err));
		goto cleanup;
	}
	n = snprintf(lock_path, sizeof(lock_path), "%s/lock", state_dir);
	if (n < 0 || (size_t)n >= sizeof(lock_path) ||
	    (size_t)snprintf(st->path, sizeof(st->path), "%s/netbpf.db", state_dir) >=
		sizeof(st->path)) {
		err = -ENAMETOOLONG;
		nb_errorf("state dir %s: %s", state_dir, strerror(-err));
		goto cleanup;
	}

	/* whole commands serialize on the flock, before any database access */
	err = create_private(lock_path, &st->lock_fd);
	if (err) {
		nb_errorf("state lock %s: %s", lock_path, strerror(-err));
		goto cleanup;
	}
	while (flock(st->lock_fd, writer ? LOCK_EX : LOCK_SH)) {
		if (errno == EINTR)
			continue;
		err = -errno;
		nb_errorf("state lock %s: %s", lock_path, strerror(-err));
		goto cleanup;
	}

	err = create_private(st->path, NULL);
	if (err) {
		nb_errorf("state database %s: %s", st->path, strerror(-err));
		goto cleanup;
	}
	rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		nb_errorf("state database %s: open: %s", st->path,
			  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		err = rc == SQLITE_CANTOPEN ? -EACCES : -EIO;
		goto cleanup;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);

	err = exec_sql(st, "enable foreign keys", "PRAGMA foreign_keys = ON");
	if (err)
		goto cleanup;
	/* WAL: readers never block the writer nor see half a command */
	err = prep(st, "set journal mode", "PRAGMA journal_mode = WAL", &stmt);
	if (err)
		goto cleanup;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		err = db_fail(st, "set journal mode", rc);
		goto cleanup;
	}
	mode = (const char *)sqlite3_column_text(stmt, 0);
	if (!mode || strcmp(mode, "wal")) {
		nb_errorf("state database %s: journal mode is %s, not wal", st->path,
			  mode ? mode : "unknown");
		err = -EIO;
		goto cleanup;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	err = schema_init(st);
	if (err)
		goto cleanup;
	/* a reader that tries to write is a bug: make it fail loudly */
	if (!writer) {
		err = exec_sql(st, "set read-only", "PRAGMA query_only = ON");
		if (err)
			goto cleanup;
	}
	*out = st;
	return 0;

cleanup:
	sqlite3_finalize(stmt);
	nb_store_close(st);
	return err;
}

void nb_store_close(struct nb_store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->port_taken);
	if (st->db) {
		/* a command that did not commit changes nothing */
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close_v2(st->db);
	}
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the flock */
	free(st);
}

/* ---- change watch --------------------------------------------------------- */

/*
 * What a commit changes on disk, read without SQLite: a commit appends frames to the WAL
 * (its size and mtime), a checkpoint writes the database file and restarts the WAL (the
 * checkpoint sequence and salts of the WAL header), and a state made anew is another inode.
 * An SQLite connection kept open for PRAGMA data_version was tried first: it stops seeing
 * other processes' commits once another connection of the same process (a reload's own
 * reader, the Docker plugin's) closes.
 */
struct file_print {
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_s, mtime_ns;
	uint8_t head[32]; /* the WAL's header; zeros for the database */
};

struct nb_store_watch {
	char db[PATH_MAX], wal[PATH_MAX];
	struct file_print db_print, wal_print;
	bool seen; /* a first call was made */
};

/* path's print into p; a missing file prints as zeros (0), unless must: -errno */
static int file_print(const char *path, bool head, bool must, struct file_print *p)
{
	struct stat sb;
	int fd;

	memset(p, 0, sizeof(*p));
	if (stat(path, &sb)) {
		if (errno == ENOENT && !must)
			return 0;
		return nb_error(-errno, "state database %s: %s", path, strerror(errno));
	}
	p->dev = sb.st_dev;
	p->ino = sb.st_ino;
	p->size = sb.st_size;
	p->mtime_s = sb.st_mtim.tv_sec;
	p->mtime_ns = sb.st_mtim.tv_nsec;
	if (head) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			if (pread(fd, p->head, sizeof(p->head), 0) < 0)
				memset(p->head, 0, sizeof(p->head));
			close(fd);
		}
	}
	return 0;
}

void nb_store_watch_close(struct nb_store_watch *w)
{
	free(w);
}

int nb_store_watch_open(const char *state_dir, struct nb_store_watch **out)
{
	struct nb_store_watch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	if ((size_t)snprintf(w->db, sizeof(w->db), "%s/netbpf.db", state_dir) >= sizeof(w->db) ||
	    (size_t)snprintf(w->wal, sizeof(w->wal), "%s/netbpf.db-wal", state_dir) >=
		sizeof(w->wal)) {
		free(w);
		return nb_error(-ENAMETOOLONG, "state dir %s: %s", state_dir,
				strerror(ENAMETOOLONG));
	}
	err = file_print(w->db, false, true, &w->db_print);
	if (err) {
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

int nb_store_watch_changed(struct nb_store_watch *w)
{
	struct file_print db, wal;
	bool changed;
	int err;

	err = file_print(w->db, false, true, &db);
	if (!err)
		err = file_print(w->wal, true, false, &wal);
	if (err)
		return err;
	changed = !w->seen || memcmp(&db, &w->db_print, sizeof(db)) ||
		  memcmp(&wal, &w->wal_print, sizeof(wal));
	w->db_print = db;
	w->wal_print = wal;
	w->seen = true;
	return changed;
}

int nb_store_begin(struct nb_store *st)
{
	/* IMMEDIATE takes the write lock now rather than failing to upgrade later */
	return exec_sql(st, "begin transaction", st->writer ? "BEGIN IMMEDIATE" : "BEGIN");
}

int nb_store_commit(struct nb_store *st)
{
	return exec_sql(st, "commit", "COMMIT");
}

int nb_store_set_durable(struct nb_store *st, bool durable)
{
	/*
	 * Closing the last connection checkpoints the WAL into the database and
	 * deletes it (fsyncs and an unlink): a front end that opens the store per
	 * request pays that each time. Left for the next durable close or the
	 * automatic checkpoint: the WAL is the database's content all the same.
	 */
	if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, !durable, NULL) !=
	    SQLITE_OK) {
		nb_errorf("state database %s: cannot set the checkpoint on close: %s", st->path,
			  sqlite3_errmsg(st->db));
		return -EIO;
	}
	return exec_sql(st, "set synchronous",
			durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

void nb_store_rollback(struct nb_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- generic helpers ---------------------------------------------------- */

typedef int (*read_row_fn)(sqlite3_stmt *stmt, void *out);
typedef void (*clear_fn)(void *rec);

/* Collects every row of a prepared, bound statement into a malloc'd array */
static int collect(struct nb_store *st, const char *op, sqlite3_stmt *stmt, size_t elsize,
		   read_row_fn read, clear_fn clear, void **out, size_t *n)
{
	size_t cap = 0, cnt = 0;
	char *v = NULL;
	int err = 0, rc;

	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char *nv = realloc(v, ncap * elsize);

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		memset(v + cnt * elsize, 0, elsize);
		err = read(stmt, v + cnt * elsize);
		if (err)
			break;
		cnt++;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(st, op, rc);
	if (err) {
		for (size_t i = 0; clear && i < cnt; i++)
			clear(v + i * elsize);
		free(v);
		return err;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* Every row of sql, its ?1 bound to key unless key is NULL, collected as collect() does */
static int select_rows(struct nb_store *st, const char *op, const char *sql, const char *key,
		       size_t elsize, read_row_fn read, clear_fn clear, void **out, size_t *n)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, op, sql, &stmt);
	if (err)
		return err;
	if (key)
		sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	err = collect(st, op, stmt, elsize, read, clear, out, n);
	sqlite3_finalize(stmt);
	return err;
}

/*
 * Docker's resolution of a name or id: exact name, then id prefix. An exact
 * id is the one prefix that can match only itself, so it needs no query of
 * its own; a shorter prefix matching two ids is -ENOTUNIQ. Only lowercase
 * hex can be a prefix (anything else is -ENOENT, never a pattern).
 */
void nb_store_id_prefix_range(const char *prefix, char upper[NB_ID_LEN + 1])
{
	size_t len = strnlen(prefix, NB_ID_LEN);

	/* ids are lowercase hex: the prefix with its last digit one up ('9' + 1
	 * is ':', 'f' + 1 is 'g') is the first string past every id it begins */
	memcpy(upper, prefix, len);
	upper[len] = '\0';
	if (len)
		upper[len - 1]++;
}

static int resolve(struct nb_store *st, const char *op, const char *select, const char *key,
		   read_row_fn read, clear_fn clear, void *out)
{
	char sql[512], upper[NB_ID_LEN + 1];
	sqlite3_stmt *stmt = NULL;
	int err, rc;

	snprintf(sql, sizeof(sql), "%s WHERE name = ?1", select);
	err = prep(st, op, sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		err = read(stmt, out);
		goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		err = db_fail(st, op, rc);
		goto cleanup;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	if (!nb_id_prefix_ok(key))
		return -ENOENT;
	/* a range of the primary key's index, not a substr() of every row */
	nb_store_id_prefix_range(key, upper);
	snprintf(sql, sizeof(sql), "%s WHERE " NB_STORE_ID_PREFIX_WHERE " LIMIT 2", select);
	err = prep(st, op, sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, upper, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE) {
		err = -ENOENT;
		goto cleanup;
	}
	if (rc != SQLITE_ROW) {
		err = db_fail(st, op, rc);
		goto cleanup;
	}
	err = read(stmt, out);
	if (err)
		goto cleanup;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		err = -ENOTUNIQ;
	else if (rc != SQLITE_DONE)
		err = db_fail(st, op, rc);
	if (err && clear)
		clear(out);
cleanup:
	sqlite3_finalize(stmt);
	return err;
}

/* DELETE/UPDATE ... with ?1 = id; -ENOENT when no row changed */
static int del_by_id(struct nb_store *st, const char *op, const char *sql, const char *id)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, op, sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	err = exec_done(st, op, stmt);
	if (!err && sqlite3_changes(st->db) == 0)
		err = -ENOENT;
	sqlite3_finalize(stmt);
	return err;
}

static int ensure_id(char id[NB_ID_LEN + 1])
{
	return id[0] ? 0 : nb_id_new(id);
}

/* ---- networks ----------------------------------------------------------- */

#define NET_SELECT                                                                                 \
	"SELECT id, name, driver, net_id, subnet, subnet_len, range_addr, range_len, gateway, "    \
	"internal, icc, masquerade, host_binding, mtu, builtin, created, options, labels, "        \
	"attachable, aux_addresses, vni, subnet6, subnet6_len, range6, range6_len, gateway6 "     \
	"FROM networks"

void nb_network_rec_clear(struct nb_network_rec *n)
{
	if (!n)
		return;
	free(n->options);
	free(n->labels);
	free(n->aux_addresses);
	n->options = NULL;
	n->labels = NULL;
	n->aux_addresses = NULL;
}

void nb_network_recs_free(struct nb_network_rec *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		nb_network_rec_clear(&v[i]);
	free(v);
}

const struct nb_network_rec *nb_network_recs_by_id(const struct nb_network_rec *v, size_t n,
						   const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	return NULL;
}

static void clear_network(void *rec)
{
	nb_network_rec_clear(rec);
}

static int read_network(sqlite3_stmt *s, void *out)
{
	struct nb_network_rec *n = out;

	memset(n, 0, sizeof(*n));
	col_text(s, 0, n->id, sizeof(n->id));
	col_text(s, 1, n->name, sizeof(n->name));
	col_text(s, 2, n->driver, sizeof(n->driver));
	n->net_id = (__u32)sqlite3_column_int64(s, 3); /* NULL reads as 0 */
	n->subnet.addr = col_ip(s, 4);
	n->subnet.len = sqlite3_column_int(s, 5);
	n->range.addr = col_ip(s, 6);
	n->range.len = sqlite3_column_int(s, 7);
	n->gateway = col_ip(s, 8);
	n->internal = sqlite3_column_int(s, 9);
	n->icc = sqlite3_column_int(s, 10);
	n->masquerade = sqlite3_column_int(s, 11);
	n->host_binding = col_ip(s, 12);
	n->mtu = (unsigned int)sqlite3_column_int64(s, 13);
	n->builtin = sqlite3_column_int(s, 14);
	n->created = sqlite3_column_int64(s, 15);
	n->options = strdup((const char *)sqlite3_column_text(s, 16));
	n->labels = strdup((const char *)sqlite3_column_text(s, 17));
	n->attachable = sqlite3_column_int(s, 18);
	n->aux_addresses = strdup((const char *)sqlite3_column_text(s, 19));
	n->vni = (__u32)sqlite3_column_int64(s, 20);
	if (n->vni)
		snprintf(n->driver, sizeof(n->driver), "%s", NB_DRIVER_OVERLAY);
	col_ip6(s, 21, &n->subnet6.addr);
	n->subnet6.len = sqlite3_column_int(s, 22);
	col_ip6(s, 23, &n->range6.addr);
	n->range6.len = sqlite3_column_int(s, 24);
	col_ip6(s, 25, &n->gateway6);
	if (!n->options || !n->labels || !n->aux_addresses) {
		nb_network_rec_clear(n);
		return -ENOMEM;
	}
	return 0;
}

/* Lowest net_id >= 1 that no network holds: 1, or one above a held one */
static int alloc_net_id(struct nb_store *st, __u32 *out)
{
	static const char sql[] =
	    "SELECT n FROM (SELECT 1 AS n UNION ALL"
	    "  SELECT net_id + 1 FROM networks WHERE net_id IS NOT NULL)"
	    " WHERE n NOT IN (SELECT net_id FROM networks WHERE net_id IS NOT NULL)"
	    " ORDER BY n LIMIT 1";
	sqlite3_stmt *stmt;
	sqlite3_int64 id = 0;
	int err, rc;

	err = prep(st, "allocate net_id", sql, &stmt);
	if (err)
		return err;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(stmt, 0);
	else
		err = db_fail(st, "allocate net_id", rc);
	sqlite3_finalize(stmt);
	if (err)
		return err;
	/* net_id keys the BPF network map, sized by `up --max-networks` (mapsize.h) */
	if (id < 1 || id > nb_dp_sizes_networks(st)) {
		nb_errorf("the instance holds at most %u networks, the predefined ones included "
			  "(`netbpfctl down`, then `netbpfctl up --max-networks N`, raises it)",
			  nb_dp_sizes_networks(st));
		return -ENOSPC;
	}
	*out = (__u32)id;
	return 0;
}

int nb_store_network_add(struct nb_store *st, struct nb_network_rec *rec)
{
	static const char sql[] =
	    "INSERT INTO networks (id, name, driver, net_id, subnet, subnet_len, range_addr,"
	    " range_len, gateway, internal, icc, masquerade, host_binding, mtu, builtin, created,"
	    " options, labels, attachable, aux_addresses, vni, subnet6, subnet6_len, range6,"
	    " range6_len, gateway6)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";
	bool bridge = nb_net_is_bridged(rec);
	sqlite3_stmt *stmt = NULL;
	__u32 net_id = rec->net_id;
	int err;

	err = ensure_id(rec->id);
	if (err)
		return err;
	if (!rec->created)
		rec->created = now_ns();
	err = savepoint(st);
	if (err)
		return err;
	if (bridge && !net_id) {
		err = alloc_net_id(st, &net_id);
		if (err)
			goto cleanup;
	}
	err = prep(st, "add network", sql, &stmt);
	if (err)
		goto cleanup;
	sqlite3_bind_text(stmt, 1, rec->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rec->name, -1, SQLITE_STATIC);
	/* an overlay network's row is a bridge network's with a VNI (schema_v4) */
	sqlite3_bind_text(stmt, 3, bridge ? NB_DRIVER_BRIDGE : rec->driver, -1, SQLITE_STATIC);
	if (net_id)
		sqlite3_bind_int64(stmt, 4, net_id);
	else
		sqlite3_bind_null(stmt, 4);
	bind_ip(stmt, 5, rec->subnet.addr);
	sqlite3_bind_int(stmt, 6, rec->subnet.len);
	bind_ip(stmt, 7, rec->range.addr);
	sqlite3_bind_int(stmt, 8, rec->range.len);
	bind_ip(stmt, 9, rec->gateway);
	sqlite3_bind_int(stmt, 10, rec->internal);
	sqlite3_bind_int(stmt, 11, rec->icc);
	sqlite3_bind_int(stmt, 12, rec->masquerade);
	bind_ip(stmt, 13, rec->host_binding);
	sqlite3_bind_int64(stmt, 14, rec->mtu);
	sqlite3_bind_int(stmt, 15, rec->builtin);
	sqlite3_bind_int64(stmt, 16, rec->created);
	sqlite3_bind_text(stmt, 17, rec->options ? rec->options : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 18, rec->labels ? rec->labels : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 19, rec->attachable);
	sqlite3_bind_text(stmt, 20, rec->aux_addresses ? rec->aux_addresses : "{}", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(stmt, 21, rec->vni);
	bind_ip6_or_null(stmt, 22, &rec->subnet6.addr);
	sqlite3_bind_int(stmt, 23, rec->subnet6.len);
	bind_ip6_or_null(stmt, 24, &rec->range6.addr);
	sqlite3_bind_int(stmt, 25, rec->range6.len);
	bind_ip6_or_null(stmt, 26, &rec->gateway6);
	err = exec_done(st, "add network", stmt);
cleanup:
	sqlite3_finalize(stmt);
	err = release(st, err);
	if (!err)
		rec->net_id = net_id;
	return err;
}

int nb_store_network_find(struct nb_store *st, const char *name_or_id, struct nb_network_rec *out)
{
	memset(out, 0, sizeof(*out));
	return resolve(st, "find network", NET_SELECT, name_or_id, read_network, clear_network,
		       out);
}

int nb_store_network_del(struct nb_store *st, const char *id)
{
	sqlite3_stmt *stmt;
	int err, rc;

	/* refused in so many words rather than by the RESTRICT constraint */
	err = prep(st, "remove network", "SELECT 1 FROM endpoints WHERE network_id = ?1 LIMIT 1",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		err = -EBUSY;
	else if (rc != SQLITE_DONE)
		err = db_fail(st, "remove network", rc);
	sqlite3_finalize(stmt);
	if (err)
		return err;
	return del_by_id(st, "remove network", "DELETE FROM networks WHERE id = ?1", id);
}

int nb_store_network_list(struct nb_store *st, struct nb_network_rec **out, size_t *n)
{
	return select_rows(st, "list networks", NET_SELECT " ORDER BY name", NULL, sizeof(**out),
			   read_network, clear_network, (void **)out, n);
}

/* ---- sandboxes ---------------------------------------------------------- */

#define SB_SELECT "SELECT id, name, netns, owned, created FROM sandboxes"

static int read_sandbox(sqlite3_stmt *s, void *out)
{
	struct nb_sandbox_rec *sb = out;

	memset(sb, 0, sizeof(*sb));
	col_text(s, 0, sb->id, sizeof(sb->id));
	col_text(s, 1, sb->name, sizeof(sb->name));
	col_text(s, 2, sb->netns, sizeof(sb->netns));
	sb->owned = sqlite3_column_int(s, 3);
	sb->created = sqlite3_column_int64(s, 4);
	return 0;
}

int nb_store_sandbox_add(struct nb_store *st, const struct nb_sandbox_rec *rec)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, "add sandbox",
		   "INSERT INTO sandboxes (id, name, netns, owned, created)"
		   " VALUES (?1, ?2, ?3, ?4, ?5)",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, rec->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rec->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, rec->netns, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 4, rec->owned);
	sqlite3_bind_int64(stmt, 5, rec->created ? rec->created : now_ns());
	err = exec_done(st, "add sandbox", stmt);
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_sandbox_find(struct nb_store *st, const char *name_or_id, struct nb_sandbox_rec *out)
{
	return resolve(st, "find sandbox", SB_SELECT, name_or_id, read_sandbox, NULL, out);
}

int nb_store_sandbox_del(struct nb_store *st, const char *id)
{
	return del_by_id(st, "remove sandbox", "DELETE FROM sandboxes WHERE id = ?1", id);
}

int nb_store_sandbox_list(struct nb_store *st, struct nb_sandbox_rec **out, size_t *n)
{
	return select_rows(st, "list sandboxes", SB_SELECT " ORDER BY name", NULL, sizeof(**out),
			   read_sandbox, NULL, (void **)out, n);
}

/* ---- endpoints ---------------------------------------------------------- */

#define EP_SELECT                                                                                  \
	"SELECT id, network_id, sandbox_id, ifname, host_ifname, ip, mac, seq, created, ip6 "      \
	"FROM endpoints"

static int read_endpoint(sqlite3_stmt *s, void *out)
{
	struct nb_endpoint_rec *ep = out;
	const void *mac;

	memset(ep, 0, sizeof(*ep));
	col_text(s, 0, ep->id, sizeof(ep->id));
	col_text(s, 1, ep->network_id, sizeof(ep->network_id));
	col_text(s, 2, ep->sandbox_id, sizeof(ep->sandbox_id));
	col_text(s, 3, ep->ifname, sizeof(ep->ifname));
	col_text(s, 4, ep->host_ifname, sizeof(ep->host_ifname));
	ep->ip = col_ip(s, 5);
	mac = sqlite3_column_blob(s, 6);
	if (mac && sqlite3_column_bytes(s, 6) == sizeof(ep->mac))
		memcpy(ep->mac, mac, sizeof(ep->mac));
	ep->seq = sqlite3_column_int(s, 7);
	ep->created = sqlite3_column_int64(s, 8);
	col_ip6(s, 9, &ep->ip6);
	return 0;
}

/*
 * A bridge endpoint (one with a host-side device) takes a switch port, an FDB
 * entry and a stats slot, all sized by `up --max-endpoints`: beyond it the
 * state refuses the row, naming the limit, rather than a map failing later.
 */
static int count_rows(struct nb_store *st, const char *what, const char *sql, const char *arg,
		      sqlite3_int64 *n)
{
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, what, sql, &stmt);
	if (err)
		return err;
	if (arg)
		sqlite3_bind_text(stmt, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(stmt, 0);
	else if (rc != SQLITE_DONE) /* no row: nothing counted */
		err = db_fail(st, what, rc);
	sqlite3_finalize(stmt);
	return err;
}

/*
 * One network's bridge endpoints share its flood list, one map value of
 * NB_MAX_FLOOD ports (abi.h): the row is refused here, naming the network and
 * the limit, instead of the map update failing with ENOSPC after the devices
 * were made.
 */
static int network_room(struct nb_store *st, const struct nb_endpoint_rec *rec)
{
	struct nb_network_rec net = {0};
	sqlite3_int64 n = 0;
	int err;

	/*
	 * A bridge endpoint is one with a device (a host/none one has none),
	 * counted by triggers in the network's row (schema_v8): a create reads
	 * one row, not one per endpoint of the network.
	 */
	err = count_rows(st, "count endpoints of a network", NB_STORE_NETWORK_ROOM_SQL,
			 rec->network_id, &n);
	if (err || n < NB_MAX_FLOOD)
		return err;
	if (nb_store_network_find(st, rec->network_id, &net))
		snprintf(net.name, sizeof(net.name), "%.12s", rec->network_id);
	nb_errorf("network \"%s\": cannot add endpoint %s: the network has %lld endpoints, the "
		  "most one network holds (its flood list, NB_MAX_FLOOD in "
		  "include/netbpf/abi.h; more sandboxes go on another network)",
		  net.name, rec->host_ifname, (long long)n);
	nb_network_rec_clear(&net);
	return -ENOSPC;
}

static int endpoint_room(struct nb_store *st, const struct nb_endpoint_rec *rec)
{
	sqlite3_stmt *stmt;
	sqlite3_int64 n = 0;
	__u32 max;
	int err, rc;

	if (!rec->host_ifname[0])
		return 0;
	/* per network, kept by triggers (schema_v8): no walk of every endpoint's row */
	err = prep(st, "count endpoints", "SELECT coalesce(sum(ndevices), 0) FROM networks", &stmt);
	if (err)
		return err;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(stmt, 0);
	else
		err = db_fail(st, "count endpoints", rc);
	sqlite3_finalize(stmt);
	if (err)
		return err;
	max = nb_dp_sizes_endpoints(st);
	if (n >= max) {
		nb_errorf("endpoint %s: the instance holds at most %u endpoints (`netbpfctl down`, "
			  "then `netbpfctl up --max-endpoints N`, raises it)",
			  rec->host_ifname, max);
		return -ENOSPC;
	}
	return network_room(st, rec);
}

int nb_store_endpoint_add(struct nb_store *st, const struct nb_endpoint_rec *rec)
{
	sqlite3_stmt *stmt;
	int err;

	err = endpoint_room(st, rec);
	if (err)
		return err;
	err =
	    prep(st, "add endpoint",
		 "INSERT INTO endpoints (id, network_id, sandbox_id, ifname, host_ifname, ip, mac,"
		 " seq, created, ip6) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
		 &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, rec->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rec->network_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, rec->sandbox_id, -1, SQLITE_STATIC);
	bind_text_or_null(stmt, 4, rec->ifname);
	bind_text_or_null(stmt, 5, rec->host_ifname);
	bind_ip_or_null(stmt, 6, rec->ip);
	sqlite3_bind_blob(stmt, 7, rec->mac, sizeof(rec->mac), SQLITE_STATIC);
	sqlite3_bind_int(stmt, 8, rec->seq);
	sqlite3_bind_int64(stmt, 9, rec->created ? rec->created : now_ns());
	bind_ip6_or_null(stmt, 10, &rec->ip6);
	err = exec_done(st, "add endpoint", stmt);
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_endpoint_del(struct nb_store *st, const char *id)
{
	return del_by_id(st, "remove endpoint", "DELETE FROM endpoints WHERE id = ?1", id);
}

/* UPDATE ... SET <column> = ?2 WHERE id = ?1: -ENOENT when no row, -EEXIST when taken */
static int set_by_id(struct nb_store *st, const char *op, const char *sql, const char *id,
		     const char *value)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, op, sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	err = exec_done(st, op, stmt);
	if (!err && sqlite3_changes(st->db) == 0)
		err = -ENOENT;
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_endpoint_set_ifname(struct nb_store *st, const char *id, const char *ifname)
{
	return set_by_id(st, "rename endpoint", "UPDATE endpoints SET ifname = ?2 WHERE id = ?1",
			 id, ifname);
}

int nb_store_endpoint_set_aliases(struct nb_store *st, const char *id, const char *aliases)
{
	return set_by_id(st, "set endpoint aliases",
			 "UPDATE endpoints SET aliases = ?2 WHERE id = ?1", id, aliases);
}

int nb_store_endpoint_aliases(struct nb_store *st, const char *id, char **aliases)
{
	sqlite3_stmt *stmt;
	int err, rc;

	*aliases = NULL;
	err = prep(st, "read endpoint aliases", "SELECT aliases FROM endpoints WHERE id = ?1",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*aliases = strdup((const char *)sqlite3_column_text(stmt, 0));
		err = *aliases ? 0 : -ENOMEM;
	} else {
		err = rc == SQLITE_DONE ? -ENOENT : db_fail(st, "read endpoint aliases", rc);
	}
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_network_rename(struct nb_store *st, const char *id, const char *name)
{
	return set_by_id(st, "rename network", "UPDATE networks SET name = ?2 WHERE id = ?1", id,
			 name);
}

int nb_store_sandbox_rename(struct nb_store *st, const char *id, const char *name)
{
	return set_by_id(st, "rename sandbox", "UPDATE sandboxes SET name = ?2 WHERE id = ?1", id,
			 name);
}

int nb_store_endpoint_find(struct nb_store *st, const char *network_id, const char *sandbox_id,
			   struct nb_endpoint_rec *out)
{
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, "find endpoint", EP_SELECT " WHERE network_id = ?1 AND sandbox_id = ?2",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, network_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, sandbox_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		err = read_endpoint(stmt, out);
	else if (rc == SQLITE_DONE)
		err = -ENOENT;
	else
		err = db_fail(st, "find endpoint", rc);
	sqlite3_finalize(stmt);
	return err;
}

/*
 * One statement per combination of filters: "(?1 IS NULL OR network_id = ?1)"
 * is planned once for any binding, as a scan of the whole table, and the
 * list of one sandbox's endpoints is asked once per sandbox by ls, stats, gc
 * and up (O(N^2) at N sandboxes). Each of these uses an index
 * (tests/unit/test_store.c checks the plans).
 */
const char *nb_store_endpoint_list_sql(const char *network_id, const char *sandbox_id)
{
	if (network_id && sandbox_id)
		return EP_SELECT " WHERE network_id = ?1 AND sandbox_id = ?2";
	if (network_id)
		return EP_SELECT " WHERE network_id = ?1 ORDER BY sandbox_id, seq";
	if (sandbox_id)
		return EP_SELECT " WHERE sandbox_id = ?2 ORDER BY seq";
	return EP_SELECT " ORDER BY sandbox_id, seq";
}

int nb_store_endpoint_list(struct nb_store *st, const char *network_id, const char *sandbox_id,
			   struct nb_endpoint_rec **out, size_t *n)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, "list endpoints", nb_store_endpoint_list_sql(network_id, sandbox_id), &stmt);
	if (err)
		return err;
	if (network_id)
		sqlite3_bind_text(stmt, 1, network_id, -1, SQLITE_STATIC);
	if (sandbox_id)
		sqlite3_bind_text(stmt, 2, sandbox_id, -1, SQLITE_STATIC);
	err = collect(st, "list endpoints", stmt, sizeof(**out), read_endpoint, NULL, (void **)out,
		      n);
	sqlite3_finalize(stmt);
	return err;
}

static int read_ip(sqlite3_stmt *s, void *out)
{
	*(__be32 *)out = col_ip(s, 0);
	return 0;
}

int nb_store_network_ips(struct nb_store *st, const char *network_id, __be32 **out, size_t *n)
{
	return select_rows(
	    st, "list addresses",
	    "SELECT ip FROM endpoints WHERE network_id = ?1 AND ip IS NOT NULL ORDER BY ip",
	    network_id, sizeof(**out), read_ip, NULL, (void **)out, n);
}

static int read_ip6(sqlite3_stmt *s, void *out)
{
	col_ip6(s, 0, out);
	return 0;
}

int nb_store_network_ips_floor(struct nb_store *st, const char *network_id, __be32 *floor,
			       __be32 **out, size_t *n)
{
	sqlite3_stmt *stmt;
	int err, rc;

	*floor = 0;
	err = prep(st, "read the address floor", "SELECT ip_floor FROM networks WHERE id = ?1",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, network_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*floor = col_ip(stmt, 0);
	else if (rc != SQLITE_DONE)
		err = db_fail(st, "read the address floor", rc);
	sqlite3_finalize(stmt);
	if (err)
		return err;
	err = prep(st, "list addresses", NB_STORE_NETWORK_IPS_FLOOR_SQL, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, network_id, -1, SQLITE_STATIC);
	bind_ip(stmt, 2, *floor);
	err = collect(st, "list addresses", stmt, sizeof(**out), read_ip, NULL, (void **)out, n);
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_network_ip_floor_set(struct nb_store *st, const char *network_id, __be32 floor)
{
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, "write the address floor", "UPDATE networks SET ip_floor = ?2 WHERE id = ?1",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, network_id, -1, SQLITE_STATIC);
	bind_ip(stmt, 2, floor);
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_DONE)
		err = db_fail(st, "write the address floor", rc);
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_network_ips6(struct nb_store *st, const char *network_id, struct in6_addr **out,
			  size_t *n)
{
	return select_rows(
	    st, "list IPv6 addresses",
	    "SELECT ip6 FROM endpoints WHERE network_id = ?1 AND ip6 IS NOT NULL ORDER BY ip6",
	    network_id, sizeof(**out), read_ip6, NULL, (void **)out, n);
}

int nb_store_endpoint_free_seq(struct nb_store *st, const char *sandbox_id, int *seq)
{
	static const char sql[] =
	    "SELECT n FROM (SELECT 0 AS n UNION ALL"
	    "  SELECT seq + 1 FROM endpoints WHERE sandbox_id = ?1)"
	    " WHERE n NOT IN (SELECT seq FROM endpoints WHERE sandbox_id = ?1)"
	    " ORDER BY n LIMIT 1";
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, "allocate interface number", sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, sandbox_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int(stmt, 0);
	else
		err = db_fail(st, "allocate interface number", rc);
	sqlite3_finalize(stmt);
	return err;
}

/* ---- published ports ---------------------------------------------------- */

#define PUB_SELECT "SELECT sandbox_id, network_id, host_ip, host_port, sb_port, proto FROM publish"

static int read_publish(sqlite3_stmt *s, void *out)
{
	struct nb_publish_rec *p = out;

	memset(p, 0, sizeof(*p));
	col_text(s, 0, p->sandbox_id, sizeof(p->sandbox_id));
	col_text(s, 1, p->network_id, sizeof(p->network_id));
	p->host_ip = col_ip(s, 2);
	p->host_port = (__u16)sqlite3_column_int(s, 3);
	p->sb_port = (__u16)sqlite3_column_int(s, 4);
	p->proto = (__u8)sqlite3_column_int(s, 5);
	return 0;
}

/* 0.0.0.0 takes the port on every address, so it conflicts with any of them;
 * publish_by_port (host_port, proto) finds the few rows of the port */
#define PUB_CONFLICT_WHERE                                                                         \
	" WHERE host_port = ?2 AND proto = ?3 AND (host_ip = ?1 OR host_ip = 0 OR ?1 = 0) LIMIT 1"

/* ---- published IPv6 ports ---------------------------------------------------- */

#define PUB6_SELECT                                                                                \
	"SELECT sandbox_id, network_id, host_ip6, host_port, sb_port, proto FROM publish6"
/* :: takes the port on every address, so it conflicts with any of them */
#define PUB6_CONFLICT_WHERE                                                                        \
	" WHERE host_port = ?2 AND proto = ?3 AND (host_ip6 = ?1 OR host_ip6 = zeroblob(16) OR"    \
	" ?1 = zeroblob(16)) LIMIT 1"

static int read_publish6(sqlite3_stmt *s, void *out)
{
	struct nb_publish_rec *p = out;

	memset(p, 0, sizeof(*p));
	col_text(s, 0, p->sandbox_id, sizeof(p->sandbox_id));
	col_text(s, 1, p->network_id, sizeof(p->network_id));
	col_ip6(s, 2, &p->host_ip6);
	p->v6 = true;
	p->host_port = (__u16)sqlite3_column_int(s, 3);
	p->sb_port = (__u16)sqlite3_column_int(s, 4);
	p->proto = (__u8)sqlite3_column_int(s, 5);
	return 0;
}

static const char *publish6_list_sql(const char *sandbox_id)
{
	if (sandbox_id)
		return PUB6_SELECT
		    " WHERE (network_id, sandbox_id) IN"
		    " (SELECT network_id, sandbox_id FROM endpoints WHERE sandbox_id = ?1)"
		    " ORDER BY sandbox_id, proto, sb_port, host_port, host_ip6";
	return PUB6_SELECT " ORDER BY sandbox_id, proto, sb_port, host_port, host_ip6";
}

/*
 * The tables publish and publish6 hold the same rows but for the host address
 * (an INTEGER host_ip, a 16-byte BLOB host_ip6): one add, del and list serve
 * both, told apart by these.
 */
struct pub_table {
	bool v6;
	const char *conflict_sql, *insert_sql, *delete_sql;
	const char *(*list_sql)(const char *sandbox_id);
	const char *list_what; /* the operation's name in messages */
	int (*read)(sqlite3_stmt *s, void *out);
};

static const struct pub_table pub_v4 = {
    .v6 = false,
    .conflict_sql = PUB_SELECT PUB_CONFLICT_WHERE,
    .insert_sql = "INSERT INTO publish (sandbox_id, network_id, host_ip, host_port, sb_port,"
		  " proto) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    .delete_sql = "DELETE FROM publish WHERE sandbox_id = ?1 AND host_ip = ?2 AND host_port = ?3"
		  " AND proto = ?4 AND (?5 = 0 OR sb_port = ?5)",
    .list_sql = nb_store_publish_list_sql,
    .list_what = "list published ports",
    .read = read_publish,
};

static const struct pub_table pub_v6 = {
    .v6 = true,
    .conflict_sql = PUB6_SELECT PUB6_CONFLICT_WHERE,
    .insert_sql = "INSERT INTO publish6 (sandbox_id, network_id, host_ip6, host_port, sb_port,"
		  " proto) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    .delete_sql = "DELETE FROM publish6 WHERE sandbox_id = ?1 AND host_ip6 = ?2"
		  " AND host_port = ?3 AND proto = ?4 AND (?5 = 0 OR sb_port = ?5)",
    .list_sql = publish6_list_sql,
    .list_what = "list published IPv6 ports",
    .read = read_publish6,
};

/* rec's host address, in the column type of t's table (:: is a value, not NULL) */
static int bind_host(const struct pub_table *t, sqlite3_stmt *stmt, int idx,
		     const struct nb_publish_rec *rec)
{
	if (t->v6)
		return sqlite3_bind_blob(stmt, idx, &rec->host_ip6, 16, SQLITE_STATIC);
	return bind_ip(stmt, idx, rec->host_ip);
}

static int publish_add(struct nb_store *st, const struct pub_table *t,
		       const struct nb_publish_rec *rec, struct nb_publish_rec *holder)
{
	sqlite3_stmt *stmt = NULL;
	int err, rc;

	err = savepoint(st);
	if (err)
		return err;
	err = prep(st, "publish port", t->conflict_sql, &stmt);
	if (err)
		goto cleanup;
	bind_host(t, stmt, 1, rec);
	sqlite3_bind_int(stmt, 2, rec->host_port);
	sqlite3_bind_int(stmt, 3, rec->proto);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		if (holder)
			t->read(stmt, holder);
		err = -EEXIST;
		goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		err = db_fail(st, "publish port", rc);
		goto cleanup;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;

	err = prep(st, "publish port", t->insert_sql, &stmt);
	if (err)
		goto cleanup;
	sqlite3_bind_text(stmt, 1, rec->sandbox_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, rec->network_id, -1, SQLITE_STATIC);
	bind_host(t, stmt, 3, rec);
	sqlite3_bind_int(stmt, 4, rec->host_port);
	sqlite3_bind_int(stmt, 5, rec->sb_port);
	sqlite3_bind_int(stmt, 6, rec->proto);
	err = exec_done(st, "publish port", stmt);
cleanup:
	sqlite3_finalize(stmt);
	return release(st, err);
}

static int publish_del(struct nb_store *st, const struct pub_table *t,
		       const struct nb_publish_rec *rec)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, "unpublish port", t->delete_sql, &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, rec->sandbox_id, -1, SQLITE_STATIC);
	bind_host(t, stmt, 2, rec);
	sqlite3_bind_int(stmt, 3, rec->host_port);
	sqlite3_bind_int(stmt, 4, rec->proto);
	sqlite3_bind_int(stmt, 5, rec->sb_port);
	err = exec_done(st, "unpublish port", stmt);
	if (!err && sqlite3_changes(st->db) == 0)
		err = -ENOENT;
	sqlite3_finalize(stmt);
	return err;
}

static int publish_list(struct nb_store *st, const struct pub_table *t, const char *sandbox_id,
			struct nb_publish_rec **out, size_t *n)
{
	return select_rows(st, t->list_what, t->list_sql(sandbox_id), sandbox_id, sizeof(**out),
			   t->read, NULL, (void **)out, n);
}

const char *nb_store_publish_taken_sql(void)
{
	return "SELECT 1 FROM publish" PUB_CONFLICT_WHERE;
}

int nb_store_publish_taken(struct nb_store *st, __be32 ip, __u16 port, __u8 proto, bool *taken)
{
	int err, rc;

	if (!st->port_taken) {
		err =
		    prep(st, "look up a host port", nb_store_publish_taken_sql(), &st->port_taken);
		if (err)
			return err;
	}
	sqlite3_reset(st->port_taken);
	bind_ip(st->port_taken, 1, ip);
	sqlite3_bind_int(st->port_taken, 2, port);
	sqlite3_bind_int(st->port_taken, 3, proto);
	rc = sqlite3_step(st->port_taken);
	*taken = rc == SQLITE_ROW;
	err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, "look up a host port", rc);
	sqlite3_reset(st->port_taken);
	return err;
}

int nb_store_publish_add(struct nb_store *st, const struct nb_publish_rec *rec,
			 struct nb_publish_rec *holder)
{
	return publish_add(st, &pub_v4, rec, holder);
}

int nb_store_publish_del(struct nb_store *st, const struct nb_publish_rec *rec)
{
	return publish_del(st, &pub_v4, rec);
}

/*
 * A sandbox's rows through its endpoints: publish_by_endpoint (network_id,
 * sandbox_id) serves each of them, where "(?1 IS NULL OR sandbox_id = ?1)"
 * scanned the whole table on every publish and unpublish.
 */
const char *nb_store_publish_list_sql(const char *sandbox_id)
{
	if (sandbox_id)
		return PUB_SELECT
		    " WHERE (network_id, sandbox_id) IN"
		    " (SELECT network_id, sandbox_id FROM endpoints WHERE sandbox_id = ?1)"
		    " ORDER BY sandbox_id, proto, sb_port, host_port, host_ip";
	return PUB_SELECT " ORDER BY sandbox_id, proto, sb_port, host_port, host_ip";
}

int nb_store_publish_list(struct nb_store *st, const char *sandbox_id, struct nb_publish_rec **out,
			  size_t *n)
{
	return publish_list(st, &pub_v4, sandbox_id, out, n);
}

int nb_store_publish6_taken(struct nb_store *st, const struct in6_addr *ip, __u16 port, __u8 proto,
			    bool *taken)
{
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, "look up a host port", "SELECT 1 FROM publish6" PUB6_CONFLICT_WHERE, &stmt);
	if (err)
		return err;
	sqlite3_bind_blob(stmt, 1, ip, 16, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 2, port);
	sqlite3_bind_int(stmt, 3, proto);
	rc = sqlite3_step(stmt);
	*taken = rc == SQLITE_ROW;
	err = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, "look up a host port", rc);
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_publish6_add(struct nb_store *st, const struct nb_publish_rec *rec,
			  struct nb_publish_rec *holder)
{
	return publish_add(st, &pub_v6, rec, holder);
}

int nb_store_publish6_del(struct nb_store *st, const struct nb_publish_rec *rec)
{
	return publish_del(st, &pub_v6, rec);
}

int nb_store_publish6_list(struct nb_store *st, const char *sandbox_id, struct nb_publish_rec **out,
			   size_t *n)
{
	return publish_list(st, &pub_v6, sandbox_id, out, n);
}

/* ---- allow-lists of published ports ------------------------------------------ */

int nb_store_allow_add(struct nb_store *st, const struct nb_allow_rec *rec)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, "add an allowed source",
		   "INSERT INTO publish_allow (host_ip, host_port, proto, addr, len)"
		   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
		   &stmt);
	if (err)
		return err;
	bind_ip(stmt, 1, rec->host_ip);
	sqlite3_bind_int(stmt, 2, rec->host_port);
	sqlite3_bind_int(stmt, 3, rec->proto);
	bind_ip(stmt, 4, rec->addr);
	sqlite3_bind_int(stmt, 5, rec->len);
	err = exec_done(st, "add an allowed source", stmt);
	sqlite3_finalize(stmt);
	return err;
}

static int read_allow(sqlite3_stmt *s, void *out)
{
	struct nb_allow_rec *a = out;

	a->host_ip = col_ip(s, 0);
	a->host_port = (__u16)sqlite3_column_int(s, 1);
	a->proto = (__u8)sqlite3_column_int(s, 2);
	a->addr = col_ip(s, 3);
	a->len = (__u8)sqlite3_column_int(s, 4);
	return 0;
}

int nb_store_allow_list(struct nb_store *st, struct nb_allow_rec **out, size_t *n)
{
	return select_rows(st, "list allowed sources",
			   "SELECT host_ip, host_port, proto, addr, len FROM publish_allow"
			   " ORDER BY host_port, proto, host_ip, addr, len",
			   NULL, sizeof(**out), read_allow, NULL, (void **)out, n);
}

int nb_store_allow6_add(struct nb_store *st, const struct nb_allow6_rec *rec)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, "add an allowed IPv6 source",
		   "INSERT INTO publish_allow6 (host_ip6, host_port, proto, addr6, len)"
		   " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
		   &stmt);
	if (err)
		return err;
	/* :: is a value here (every host address; every source), not NULL */
	sqlite3_bind_blob(stmt, 1, &rec->host_ip6, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 2, rec->host_port);
	sqlite3_bind_int(stmt, 3, rec->proto);
	sqlite3_bind_blob(stmt, 4, &rec->addr6, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int(stmt, 5, rec->len);
	err = exec_done(st, "add an allowed IPv6 source", stmt);
	sqlite3_finalize(stmt);
	return err;
}

static int read_allow6(sqlite3_stmt *s, void *out)
{
	struct nb_allow6_rec *a = out;

	col_ip6(s, 0, &a->host_ip6);
	a->host_port = (__u16)sqlite3_column_int(s, 1);
	a->proto = (__u8)sqlite3_column_int(s, 2);
	col_ip6(s, 3, &a->addr6);
	a->len = (__u8)sqlite3_column_int(s, 4);
	return 0;
}

int nb_store_allow6_list(struct nb_store *st, struct nb_allow6_rec **out, size_t *n)
{
	return select_rows(st, "list allowed IPv6 sources",
			   "SELECT host_ip6, host_port, proto, addr6, len FROM publish_allow6"
			   " ORDER BY host_port, proto, host_ip6, addr6, len",
			   NULL, sizeof(**out), read_allow6, NULL, (void **)out, n);
}

/* ---- settings ----------------------------------------------------------- */

int nb_store_setting_get(struct nb_store *st, const char *key, char **value)
{
	sqlite3_stmt *stmt;
	int err, rc;

	err = prep(st, "read setting", "SELECT value FROM settings WHERE key = ?1", &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		*value = strdup((const char *)sqlite3_column_text(stmt, 0));
		if (!*value)
			err = -ENOMEM;
	} else if (rc == SQLITE_DONE) {
		err = -ENOENT;
	} else {
		err = db_fail(st, "read setting", rc);
	}
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_setting_set(struct nb_store *st, const char *key, const char *value)
{
	sqlite3_stmt *stmt;
	int err;

	err = prep(st, "write setting",
		   "INSERT INTO settings (key, value) VALUES (?1, ?2)"
		   " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
		   &stmt);
	if (err)
		return err;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	err = exec_done(st, "write setting", stmt);
	sqlite3_finalize(stmt);
	return err;
}

int nb_store_setting_del(struct nb_store *st, const char *key)
{
	return del_by_id(st, "remove setting", "DELETE FROM settings WHERE key = ?1", key);
}

int nb_store_sandbox_container(struct nb_store *st, const char *sb_id, char **cid)
{
	char key[sizeof(NB_SETTING_CONTAINER_PREFIX) + NB_ID_LEN];

	snprintf(key, sizeof(key), NB_SETTING_CONTAINER_PREFIX "%s", sb_id);
	return nb_store_setting_get(st, key, cid);
}
