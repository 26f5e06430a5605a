// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * `netbpfctl stats` (docker stats' NET I/O from netbpf's own per-endpoint
 * counters, which see what bpf_redirect_peer() hides from the veths) and
 * `netbpfctl metrics` (the same and the instance's numbers in Prometheus
 * text format, printed or served over HTTP with libmicrohttpd). The numbers
 * are collected and rendered by metrics.h.
 */
#include <argp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"
#include "stats_table.h"
#include "template.h"

enum {
	OPT_NO_STREAM = 0x100,
	OPT_FORMAT,
	OPT_LISTEN,
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* SIGINT/SIGTERM end the loop; no SA_RESTART, so a sleep returns at once */
static void catch_stop_signals(void)
{
	struct sigaction sa = {0};

	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int64_t now_unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- stats ---------------------------------------------------------------- */

static const char stats_doc[] =
    "Display a live stream of sandboxes' network usage statistics.\n"
    "\n"
    "Like `docker stats`: one row per sandbox (all of them when none is named), NET I/O as "
    "received / sent from the sandbox's point of view, packets received / sent, and the "
    "packets dropped (sent by the sandbox or addressed to it). The table is redrawn every "
    "second until interrupted; --no-stream prints one snapshot. --format json prints an "
    "array with one object per sandbox in the Docker Engine API's stats shape (\"networks\" "
    "keyed by the sandbox's interface, exact integers) plus \"drops\" by reason; streaming, "
    "one such array per line every second. Any other --format is a Go template as "
    "`docker stats --format` takes, over the fields Name, ID, Container, NetIO, Networks, "
    "Packets, Drops ('table' first: a header row and aligned columns)."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl stats\n"
    "  netbpfctl stats --no-stream web db\n"
    "  netbpfctl stats --no-stream --format json | jq '.[0].networks.eth0.rx_bytes'\n"
    "  netbpfctl stats --no-stream --format '{{.Name}}: {{.NetIO}}'\n"
    "  netbpfctl stats --no-stream --format '{{json .}}'\n";

static const struct argp_option stats_opts[] = {
    {"no-stream", OPT_NO_STREAM, NULL, 0, "Print one snapshot and exit", 0},
    {"format", OPT_FORMAT, "table|json|TEMPLATE", 0, "table (the default), json or a Go template",
     0},
    {0},
};

struct stats_args {
	bool no_stream, json;
	const char *tmpl;
	char **names;
	size_t nnames;
};

static error_t stats_parse(int key, char *arg, struct argp_state *state)
{
	struct stats_args *a = state->input;

	switch (key) {
	case OPT_NO_STREAM:
		a->no_stream = true;
		break;
	case OPT_FORMAT:
		a->json = !strcmp(arg, "json");
		a->tmpl = strcmp(arg, "json") && strcmp(arg, "table") ? arg : NULL;
		break;
	case ARGP_KEY_ARGS:
		a->names = state->argv + state->next;
		a->nnames = state->argc - state->next;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* a template's rows: Docker's stats context, with netbpf's columns for the rest */
static int stats_print_tmpl(const struct nb_metrics *m, const struct nb_tmpl *t)
{
	char cells[NB_STATS_COLS][NB_STATS_CELL];
	json_t *rows = json_array(), *header;
	size_t i;
	int err;

	for (i = 0; rows && i < m->nsbs; i++) {
		nb_stats_row(&m->sbs[i], cells);
		json_array_append_new(
		    rows, json_pack("{s:s, s:s, s:s#, s:s, s:s, s:s, s:s}", "Container", cells[0],
				    "Name", cells[0], "ID", m->sbs[i].id, (int)NB_SHORT_ID_LEN,
				    "NetIO", cells[2], "Networks", cells[1], "Packets", cells[3],
				    "Drops", cells[4]));
	}
	header = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", "CONTAINER", "Name",
			   "NAME", "ID", "CONTAINER ID", "NetIO", "NET I/O", "Networks", "NETWORKS",
			   "Packets", "PACKETS", "Drops", "DROPS");
	err = rows && header ? nb_tmpl_exec_rows(t, header, rows, NULL, stdout) : -ENOMEM;
	json_decref(rows);
	json_decref(header);
	return err;
}

static int stats_print(const struct nb_metrics *m, const struct stats_args *a, bool stream,
		       const struct nb_tmpl *tmpl)
{
	char cells[NB_STATS_COLS][NB_STATS_CELL];
	const char *row[NB_STATS_COLS];
	struct nb_table *t;
	json_t *arr;
	size_t i, c;
	int err = 0;

	if (tmpl) {
		if (stream && nb_tmpl_is_table(tmpl))
			fputs("\033[2J\033[H", stdout);
		err = stats_print_tmpl(m, tmpl);
		goto out;
	}
	if (a->json) {
		arr = nb_stats_json(m->sbs, m->nsbs, now_unix_ns());
		if (!arr)
			return -ENOMEM;
		err = stream ? nb_json_print_line(stdout, arr) : nb_json_print(stdout, arr);
		json_decref(arr);
		goto out;
	}
	t = nb_table_new(nb_stats_headers, NB_STATS_COLS);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < m->nsbs && !err; i++) {
		nb_stats_row(&m->sbs[i], cells);
		for (c = 0; c < NB_STATS_COLS; c++)
			row[c] = cells[c];
		err = nb_table_add(t, row);
	}
	if (!err) {
		/* docker stats: clear the screen and home the cursor before each redraw */
		if (stream)
			fputs("\033[2J\033[H", stdout);
		nb_table_print(t, stdout);
	}
	nb_table_free(t);
out:
	if (!err && fflush(stdout))
		err = -errno;
	return err;
}

int cmd_stats(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = stats_opts,
	    .parser = stats_parse,
	    .args_doc = "[SANDBOX...]",
	    .doc = stats_doc,
	};
	struct stats_args a = {0};
	struct nb_metrics m = {0};
	struct nb_tmpl *tmpl = NULL;
	int err;

	err = nb_argp_parse(&argp, "stats", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (a.tmpl) {
		tmpl = nb_tmpl_parse(a.tmpl, NB_TMPL_LS);
		if (!tmpl)
			return NB_EXIT_ERR;
	}
	if (nb_need_root("stats"))
		return NB_EXIT_ERR;
	catch_stop_signals();
	for (;;) {
		err = nb_metrics_collect(inst, a.names, a.nnames, NB_COLLECT_STATS, &m);
		if (!err)
			err = stats_print(&m, &a, !a.no_stream, tmpl);
		nb_metrics_free(&m);
		if (err == -EPIPE)
			return NB_EXIT_OK; /* the reader went away: as `docker stats | head` */
		if (err || a.no_stream || stop_requested)
			break;
		sleep(1); /* returns early on SIGINT */
		if (stop_requested)
			break;
	}
	nb_tmpl_free(tmpl);
	if (err == -ENOMEM)
		nb_errorf("stats: out of memory");
	else if (err == -EIO)
		nb_errorf("stats: cannot write the output");
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}

/* ---- metrics ------------------------------------------------------------------ */

static const char metrics_doc[] =
    "Print the instance's metrics in Prometheus text format, or serve them over HTTP.\n"
    "\n"
    "Per endpoint: netbpf_endpoint_{rx,tx}_{bytes,packets,dropped}_total{sandbox,network,"
    "interface} and netbpf_endpoint_drops_total{...,reason}; per network the same summed "
    "(netbpf_network_*); netbpf_drops_total{reason}, netbpf_conntrack_entries and flows, "
    "published ports' connections, NAT source ports in use, every pinned map's "
    "netbpf_map_entries / netbpf_map_max_entries, and the monitor's lost events. With "
    "--listen, an HTTP server answers GET /metrics (a fresh reading each time) until "
    "SIGINT or SIGTERM; port 0 picks a free port, printed at start. The server holds at most "
    "64 connections, 8 per client address, and drops a request idle for 10 seconds."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl metrics | grep netbpf_drops_total\n"
    "  netbpfctl metrics --listen 127.0.0.1:9490\n"
    "  curl -s http://127.0.0.1:9490/metrics\n";

static const struct argp_option metrics_opts[] = {
    {"listen", OPT_LISTEN, "ADDR:PORT", 0,
     "Serve GET /metrics over HTTP on ADDR:PORT ([v6addr]:PORT for IPv6, :PORT for every "
     "address)",
     0},
    {0},
};

struct metrics_args {
	const char *listen;
};

static error_t metrics_parse(int key, char *arg, struct argp_state *state)
{
	struct metrics_args *a = state->input;

	switch (key) {
	case OPT_LISTEN:
		a->listen = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "no argument expected, got \"%s\"", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The rendering of a fresh reading, malloc'd; NULL (and *err) on failure */
static char *metrics_text(const struct nb_instance *inst, size_t *len, int *err)
{
	struct nb_metrics m = {0};
	char *buf = NULL;
	FILE *f;

	*err = nb_metrics_collect(inst, NULL, 0, NB_COLLECT_ALL, &m);
	if (*err)
		goto cleanup;
	f = open_memstream(&buf, len);
	if (!f) {
		*err = -errno;
		goto cleanup;
	}
	*err = nb_metrics_render(&m, f);
	if (fclose(f) && !*err)
		*err = -EIO;
	if (*err) {
		free(buf);
		buf = NULL;
	}
cleanup:
	nb_metrics_free(&m);
	return buf;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, char *body,
			       size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *msg)
{
	char *body = strdup(msg);

	return body ? respond(conn, status, body, strlen(body), "text/plain; charset=utf-8")
		    : MHD_NO;
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload,
			     size_t *upload_size, void **con_cls)
{
	const struct nb_instance *inst = cls;
	size_t len = 0;
	char *body;
	int err;

	(void)version;
	(void)upload;
	(void)con_cls;
	if (*upload_size)
		return MHD_NO; /* GET and HEAD carry no body */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/metrics"))
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found: try GET /metrics\n");
	body = metrics_text(inst, &len, &err);
	/* this is MHD's thread: its error slot is its own, printed here for the server's log */
	nb_cli_print_errors();
	if (!body)
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "netbpf: cannot read the instance's metrics (see the server's "
				    "log)\n");
	return respond(conn, MHD_HTTP_OK, body, len, "text/plain; version=0.0.4; charset=utf-8");
}

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* "127.0.0.1:9490", "[::1]:9490", ":9490" (every IPv4 address) */
static int listen_addr_parse(const char *s, union sockaddr_any *out)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	unsigned long port;
	size_t hlen;

	memset(out, 0, sizeof(*out));
	if (!colon || nb_parse_ulong(colon + 1, 0, 65535, &port))
		return -EINVAL;
	hlen = colon - s;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_port = htons(port);
		return inet_pton(AF_INET6, host + 1, &out->in6.sin6_addr) == 1 ? 0 : -EINVAL;
	}
	out->in.sin_family = AF_INET;
	out->in.sin_port = htons(port);
	if (!hlen || !strcmp(host, "*"))
		return 0;
	return inet_pton(AF_INET, host, &out->in.sin_addr) == 1 ? 0 : -EINVAL;
}

/*
 * The server's bounds. A scraper needs one connection at a time; without
 * limits, clients that open connections and never finish a request hold
 * them all (1,100 such connections left a real scrape an empty reply: the
 * select() loop stops at FD_SETSIZE). Per client address and in all, and a
 * request idle for METRICS_TIMEOUT_S seconds is dropped; epoll instead of
 * select() so that no descriptor number is out of reach.
 */
#define METRICS_MAX_CONNS	 64U
#define METRICS_MAX_CONNS_PER_IP 8U
#define METRICS_TIMEOUT_S	 10U

static struct MHD_Daemon *metrics_start(const struct nb_instance *inst, unsigned int flags,
					const struct sockaddr *sa)
{
	return MHD_start_daemon(flags | MHD_USE_EPOLL_INTERNAL_THREAD, 0, NULL, NULL, serve,
				(void *)inst, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT,
				METRICS_MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				METRICS_MAX_CONNS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
				METRICS_TIMEOUT_S, MHD_OPTION_END);
}

static int metrics_serve(const struct nb_instance *inst, const char *listen)
{
	char shown[INET6_ADDRSTRLEN];
	const union MHD_DaemonInfo *info;
	union sockaddr_any addr;
	struct MHD_Daemon *d;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	unsigned int port;
	size_t len = 0;
	sigset_t set;
	int sig, v6, err;
	char *text;

	if (listen_addr_parse(listen, &addr)) {
		nb_errorf("metrics: --listen \"%s\": expected ADDR:PORT (127.0.0.1:9490, "
			  "[::1]:9490 or :9490), port 0-65535",
			  listen);
		return -EINVAL;
	}
	/* a server that would only ever answer 500: say why now */
	text = metrics_text(inst, &len, &err);
	if (!text)
		return err;
	free(text);
	v6 = addr.sa.sa_family == AF_INET6;
	if (v6)
		flags |= MHD_USE_IPv6;
	/* the server thread inherits the mask: the signals wait for sigwait() below */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d = metrics_start(inst, flags, &addr.sa);
	if (!d) {
		nb_errorf("metrics: cannot listen on %s: %s", listen,
			  errno ? strerror(errno) : "libmicrohttpd refused the address");
		return errno ? -errno : -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : ntohs(v6 ? addr.in6.sin6_port : addr.in.sin_port);
	inet_ntop(addr.sa.sa_family, v6 ? (void *)&addr.in6.sin6_addr : (void *)&addr.in.sin_addr,
		  shown, sizeof(shown));
	printf("Serving metrics on http://%s%s%s:%u/metrics\n", v6 ? "[" : "", shown, v6 ? "]" : "",
	       port);
	fflush(stdout);
	while (sigwait(&set, &sig))
		;
	MHD_stop_daemon(d);
	return 0;
}

int cmd_metrics(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = metrics_opts,
	    .parser = metrics_parse,
	    .args_doc = NULL,
	    .doc = metrics_doc,
	};
	struct metrics_args a = {0};
	size_t len = 0;
	char *text;
	int err;

	err = nb_argp_parse(&argp, "metrics", argc, argv, 0, &a);
	if (err)
		return NB_EXIT_USAGE;
	if (nb_need_root("metrics"))
		return NB_EXIT_ERR;
	if (a.listen)
		return metrics_serve(inst, a.listen) ? NB_EXIT_ERR : NB_EXIT_OK;
	text = metrics_text(inst, &len, &err);
	if (!text)
		return NB_EXIT_ERR;
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout))
		err = -errno;
	free(text);
	return err ? NB_EXIT_ERR : NB_EXIT_OK;
}
