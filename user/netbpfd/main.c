// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netbpfd: serves Docker's remote NetworkDriver and IpamDriver protocols on
 * a unix socket (libmicrohttpd over a socket netbpfd binds itself), so that
 * `docker network create -d netbpf` and `docker run -p` land on netbpf's
 * data plane. Foreground; logs to stderr; SIGTERM/SIGINT stop it and remove
 * its socket (and the .spec file it wrote).
 *
 * The instance (state dir, pin dir, cgroup: the same options and
 * environment as netbpfctl) must be up in the network namespace netbpfd
 * runs in: netbpfd refuses to start otherwise. It never loads or unloads the
 * data plane itself, so restarting it changes nothing in the kernel.
 */
#include <argp.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <microhttpd.h>
#include <netbpf/netbpf.h>

#include "backend.h"
#include "resolver.h"
#include "docker.h"
#include "proto.h"

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "unknown"
#endif

#define DEFAULT_SOCKET "/run/docker/plugins/netbpf.sock"
#define DEFAULT_DOCKER "unix:///run/docker.sock"
#define PLUGIN_NAME    "netbpf"
#define MAX_BODY       (1 << 20)

const char *argp_program_version = "netbpfd " NETBPF_VERSION;

static const char doc[] =
    "netbpfd -- Docker's network and IPAM plugin \"netbpf\": Docker networks, containers "
    "and published ports on netbpf's eBPF data plane.\n"
    "\n"
    "Serves Docker's remote plugin protocol on a unix socket in Docker's plugin directory; "
    "the instance must be up (netbpfctl up) in the network namespace netbpfd runs in."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl up --uplink eth0 && netbpfd\n"
    "  docker network create -d netbpf --subnet 10.7.0.0/24 web\n"
    "  docker run -d --network web -p 8080:80 nginx\n"
    "  netbpfd --docker-socket /run/netbpf/docker.sock --docker-spec /etc/docker/plugins\n";

enum {
	OPT_STATE_DIR = 0x100,
	OPT_PIN_DIR,
	OPT_CGROUP,
	OPT_SOCKET,
	OPT_SPEC,
	OPT_DOCKER_HOST,
	OPT_RESOLV_CONF,
	OPT_NO_DNS,
};

static const struct argp_option options[] = {
    {"state-dir", OPT_STATE_DIR, "DIR", 0,
     "State directory (env NETBPF_STATE_DIR, default /var/lib/netbpf)", 0},
    {"pin-dir", OPT_PIN_DIR, "DIR", 0,
     "bpffs directory of the pinned maps and programs (env NETBPF_PIN_DIR, default "
     "/sys/fs/bpf/netbpf)",
     0},
    {"cgroup", OPT_CGROUP, "PATH", 0,
     "cgroup2 directory of the socket hooks (env NETBPF_CGROUP, default the cgroup2 root)", 0},
    {"docker-socket", OPT_SOCKET, "PATH", 0,
     "Unix socket to serve Docker on (default " DEFAULT_SOCKET ")", 0},
    {"docker-spec", OPT_SPEC, "DIR", 0,
     "Also write DIR/" PLUGIN_NAME ".spec naming the socket (for a socket outside "
     "/run/docker/plugins; Docker reads /etc/docker/plugins)",
     0},
    {"docker-host", OPT_DOCKER_HOST, "unix://PATH", 0,
     "Docker's API socket, read for the names of Docker's networks and containers (env "
     "DOCKER_HOST, default " DEFAULT_DOCKER ")",
     0},
    {"resolv-conf", OPT_RESOLV_CONF, "PATH", 0,
     "The resolvers the networks' DNS forwards other names to (default /etc/resolv.conf, "
     "read again every second)",
     0},
    {"no-dns", OPT_NO_DNS, NULL, 0,
     "Serve no DNS on the gateways of user-defined networks (default: serve it)", 0},
    {"verbose", 'v', NULL, 0,
     "Log every call Docker makes, with its time (-vv: libbpf's messages too)", 0},
    {0},
};

struct args {
	struct nb_instance inst;
	const char *socket;
	const char *spec_dir;
	const char *docker_host;
	const char *resolv_conf;
	bool no_dns;
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;

	switch (key) {
	case OPT_STATE_DIR:
		a->inst.state_dir = arg;
		break;
	case OPT_PIN_DIR:
		a->inst.pin_dir = arg;
		break;
	case OPT_CGROUP:
		a->inst.cgroup = arg;
		break;
	case OPT_SOCKET:
		a->socket = arg;
		break;
	case OPT_SPEC:
		a->spec_dir = arg;
		break;
	case OPT_DOCKER_HOST:
		if (strncmp(arg, "unix://", 7))
			argp_error(state, "--docker-host \"%s\": only unix:// sockets", arg);
		a->docker_host = arg;
		break;
	case OPT_RESOLV_CONF:
		a->resolv_conf = arg;
		break;
	case OPT_NO_DNS:
		a->no_dns = true;
		break;
	case 'v':
		a->inst.verbose++;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument \"%s\"", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char *default_cgroup(void)
{
	struct statfs sfs;

	if (!statfs("/sys/fs/cgroup/unified", &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

/* ---- HTTP ----------------------------------------------------------------------- */

/*
 * One call at a time, and the main loop's state work between calls: each
 * opens the store as the writer, whose flock orders netbpfd with netbpfctl
 * but would also make two threads of one process wait on each other.
 */
static pthread_mutex_t big_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nbd_ops ops;
static int verbose;

struct body {
	char *buf;
	size_t len;
	bool too_big;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, NBD_CONTENT_TYPE);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	struct body *b = *con_cls;
	struct timespec t0, t1, t2;
	char *out = NULL;
	int status;

	(void)cls, (void)version;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		if (b->len + *upload_size > MAX_BODY) {
			b->too_big = true;
		} else {
			char *p = realloc(b->buf, b->len + *upload_size + 1);

			if (!p)
				return MHD_NO;
			memcpy(p + b->len, upload, *upload_size);
			b->buf = p;
			b->len += *upload_size;
			b->buf[b->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			       strdup("{\"Err\":\"netbpfd: POST only\"}"));
	if (b->too_big)
		return respond(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			       strdup("{\"Err\":\"netbpfd: request too large\"}"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&big_lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	status = nbd_handle(&ops, url, b->buf ? b->buf : "", b->len, &out);
	pthread_mutex_unlock(&big_lock);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* the time each call took (and waited for the one before): what Docker waits for */
	if (verbose || (out && strstr(out, "\"Err\"")))
		fprintf(stderr, "netbpfd: %s %.*s -> %d %s (%.2f ms, %.2f ms waiting)\n", url,
			(int)b->len, b->buf ? b->buf : "", status, out ? out : "",
			ms_between(&t1, &t2), ms_between(&t0, &t1));
	return respond(conn, (unsigned int)status, out);
}

static void done(void *cls, struct MHD_Connection *conn, void **con_cls,
		 enum MHD_RequestTerminationCode code)
{
	struct body *b = *con_cls;

	(void)cls, (void)conn, (void)code;
	if (b) {
		free(b->buf);
		free(b);
		*con_cls = NULL;
	}
}

/* The library's log and netbpfd's own: stderr (the journal under systemd) */
static void log_line(enum nb_log_level level, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "netbpfd: %s%s\n", level == NB_LOG_WARN ? "warning: " : "", msg);
}

/* ---- the cluster agent ------------------------------------------------------------ */

/*
 * When the instance has a store (netbpfctl up --store), netbpfd is also its
 * cluster agent (cluster.h): a thread of its own, since the library's agent
 * blocks on etcd's watch stream; it stops with the daemon and then revokes
 * the host's lease.
 */
static volatile int agent_stop;

static void *agent_main(void *arg)
{
	const struct nb_instance *inst = arg;

	if (nb_agent_run(inst, &agent_stop, NULL))
		fprintf(stderr, "netbpfd: cluster agent: %s\n", nb_error_text());
	return NULL;
}

/* ---- Docker's names ----------------------------------------------------------------- */

/*
 * The plugin protocol never says a network's or a container's name: the main
 * loop reads them from Docker's API, outside any call (dockerd may be waiting
 * for the plugin while its API waits for the same lock), and renames netbpf's
 * objects. An id whose name cannot be taken is not asked about again.
 */
static char given_up[64][65];
static unsigned int ngiven_up;

static bool is_given_up(const char *id)
{
	unsigned int i;

	for (i = 0; i < sizeof(given_up) / sizeof(given_up[0]); i++)
		if (!strcmp(given_up[i], id))
			return true;
	return false;
}

static void give_up(const char *id)
{
	snprintf(given_up[ngiven_up++ % 64], 65, "%s", id);
}

struct eps {
	const struct nb_instance *inst;
	char (*v)[65];
	size_t n;
};

static void name_sandbox(const char *eid, const char *name, void *arg)
{
	struct eps *e = arg;
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (strcmp(e->v[i], eid) || is_given_up(eid))
			continue;
		pthread_mutex_lock(&big_lock);
		if (nbd_backend_rename(e->inst, true, eid, name))
			give_up(eid);
		pthread_mutex_unlock(&big_lock);
	}
}

static void names_tick(const struct nb_instance *inst, const char *docker)
{
	char(*nets)[65] = NULL, (*eps)[65] = NULL, *name = NULL;
	size_t nnets = 0, neps = 0, i;
	struct eps e;

	pthread_mutex_lock(&big_lock);
	nbd_backend_unnamed(inst, &nets, &nnets, &eps, &neps);
	pthread_mutex_unlock(&big_lock);
	for (i = 0; i < nnets; i++) {
		if (is_given_up(nets[i]) || nbd_docker_network_name(docker, nets[i], &name))
			continue; /* dockerd not (yet) answering: next tick */
		pthread_mutex_lock(&big_lock);
		if (*name && nbd_backend_rename(inst, false, nets[i], name))
			give_up(nets[i]);
		pthread_mutex_unlock(&big_lock);
		free(name);
	}
	if (neps) {
		e = (struct eps){inst, eps, neps};
		nbd_docker_endpoints(docker, name_sandbox, &e);
	}
	free(nets);
	free(eps);
}

/* ---- the socket -------------------------------------------------------------------- */

static int mkdir_parents(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path) + 64], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* Refuses a socket another netbpfd still serves; removes a stale one */
static int listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, probe, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "netbpfd: socket %s: path too long\n", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
		close(probe);
		fprintf(stderr, "netbpfd: socket %s: another netbpfd serves it already\n", path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	if (unlink(path) && errno != ENOENT) {
		err = -errno;
		fprintf(stderr, "netbpfd: socket %s: cannot remove the stale one: %s\n", path,
			strerror(-err));
		return err;
	}
	err = mkdir_parents(path);
	fd = err ? -1 : socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    listen(fd, 64)) {
		err = err ? err : -errno;
		fprintf(stderr, "netbpfd: socket %s: %s\n", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

static int write_spec(const char *dir, const char *sock, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s.spec", dir, PLUGIN_NAME);
	if (mkdir(dir, 0755) && errno != EEXIST)
		goto fail;
	f = fopen(path, "w");
	if (!f)
		goto fail;
	fprintf(f, "unix://%s\n", sock);
	if (fclose(f))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "netbpfd: spec file %s: %s\n", path, strerror(errno));
	path[0] = '\0';
	return -errno;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {options, parse, NULL, doc, NULL, NULL, NULL};
	struct args a = {0};
	struct nbd_err e = {0};
	struct MHD_Daemon *d = NULL;
	char spec[4096] = "";
	struct timespec tick = {.tv_sec = 1};
	sigset_t sigs;
	int fd, sig, rc = 1;
	struct nb_cluster_cfg cluster;
	pthread_t agent_thread;
	bool agent = false;

	argp_err_exit_status = 2;
	a.inst.state_dir = env_or("NETBPF_STATE_DIR", "/var/lib/netbpf");
	a.inst.pin_dir = env_or("NETBPF_PIN_DIR", "/sys/fs/bpf/netbpf");
	a.inst.cgroup = env_or("NETBPF_CGROUP", default_cgroup());
	a.socket = DEFAULT_SOCKET;
	a.resolv_conf = "/etc/resolv.conf";
	a.docker_host = getenv("DOCKER_HOST");
	if (!a.docker_host || strncmp(a.docker_host, "unix://", 7))
		a.docker_host = DEFAULT_DOCKER;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return 2;
	verbose = a.inst.verbose;
	nb_log_set(log_line, NULL,
		   verbose > 1 ? NB_LOG_LIBBPF
		   : verbose   ? NB_LOG_DEBUG
			       : NB_LOG_INFO);
	if (geteuid()) {
		fprintf(stderr, "netbpfd: permission denied: netbpfd must run as root\n");
		return 1;
	}
	if (nbd_backend_check_up(&a.inst, &e)) {
		fprintf(stderr, "netbpfd: %s\n", e.msg);
		return 1;
	}
	nbd_backend_ops(&a.inst, &ops);

	/* the signals are waited for below, never delivered to MHD's thread */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	fd = listen_unix(a.socket);
	if (fd < 0)
		return 1;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     serve, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
			     done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 120U, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "netbpfd: socket %s: the HTTP server did not start\n", a.socket);
		close(fd);
		goto cleanup;
	}
	if (a.spec_dir && write_spec(a.spec_dir, a.socket, spec, sizeof(spec)))
		goto cleanup;
	if (!a.no_dns && nbd_resolver_start(&a.inst, a.resolv_conf))
		goto cleanup;
	fprintf(stderr,
		"netbpfd: serving Docker's NetworkDriver and IpamDriver \"%s\" on %s "
		"(state %s, pins %s)\n",
		PLUGIN_NAME, a.socket, a.inst.state_dir, a.inst.pin_dir);

	if (!nb_cluster_cfg_load(&a.inst, &cluster)) {
		fprintf(stderr, "netbpfd: cluster agent for store %s (advertise %s)\n",
			cluster.store, cluster.advertise ? cluster.advertise : "?");
		nb_cluster_cfg_free(&cluster);
		agent = !pthread_create(&agent_thread, NULL, agent_main, &a.inst);
		if (!agent)
			fprintf(stderr, "netbpfd: cannot start the cluster agent's thread\n");
	}
	nb_error_clear();

	for (;;) {
		sig = sigtimedwait(&sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		/* outside any call: the names Docker gave the interfaces it moved */
		pthread_mutex_lock(&big_lock);
		nbd_backend_tick(&a.inst);
		pthread_mutex_unlock(&big_lock);
		names_tick(&a.inst, a.docker_host);
	}
	fprintf(stderr, "netbpfd: %s: stopping (the data plane stays as it is)\n", strsignal(sig));
	rc = 0;
cleanup:
	nbd_resolver_stop();
	if (agent) {
		agent_stop = 1;
		pthread_join(agent_thread, NULL);
	}
	if (d)
		MHD_stop_daemon(d); /* closes fd */
	unlink(a.socket);
	if (spec[0])
		unlink(spec);
	return rc;
}
