// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The CNI plugin (build/netbpf-cni) driven as runtimes drive it: a fresh
 * process per call with CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
 * CNI_IFNAME, CNI_PATH (and CNI_ARGS) in its environment and the network
 * configuration on stdin. Every answer is checked against the spec's
 * shapes (result, VERSION, error with its code), and what the plugin did
 * against the state (the store, read through the same module netbpfctl
 * uses) and the kernel (links, addresses, routes, pinned maps).
 *
 * The process first moves into a private network and mount namespace
 * (unshare(CLONE_NEWNET | CLONE_NEWNS), "/" made private): that netns is
 * the instance's host, its bpffs pin dir and state dir live in a private
 * temporary directory, the socket hooks attach to a cgroup made for the
 * test, and the containers' netns are bind mounts inside that directory.
 * Nothing of it outlives the test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include <cmocka.h>

#include <jansson.h>

#include "dataplane.h"
#include "ethtool.h"
#include "hooks.h"
#include "ipam.h"
#include "maps.h"
#include "nat.h"
#include "netns.h"
#include "nl.h"
#include "output.h"
#include "store.h"

extern char **environ;

static char g_tmp[] = "/tmp/nbt-unit-cni-XXXXXX";
static char g_pins[256], g_state[256], g_cgroup[256], g_plugin[PATH_MAX], g_ctl[PATH_MAX];
static bool g_as_nobody; /* the next plugin runs drop root, as a non-root caller would */
static struct nb_instance g_inst;

/* ---- running the plugin ------------------------------------------------------ */

struct run {
	int status;	 /* exit code; -1 when it did not exit normally */
	char out[65536]; /* stdout */
	char err[65536]; /* stderr */
	json_t *json;	 /* stdout parsed, NULL when empty or not JSON */
};

static void slurp(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Runs the plugin with CNI_COMMAND=cmd and the other variables when not
 * NULL, CNI_PATH set unless env_extra says otherwise ("NAME=" for empty),
 * and stdin as its input. NETBPF_* and CNI_* of our own environment are not
 * passed: the configuration names the instance.
 */
static struct run *cni_env(const char *cmd, const char *cid, const char *netns, const char *ifname,
			   const char *stdin_text, const char *const *env_extra)
{
	static int seq;
	char in[300], out[300], errp[300], *envp[256], buf[8][512];
	struct run *r = calloc(1, sizeof(*r));
	size_t n = 0, i, b = 0;
	int fd, st;
	pid_t pid;

	assert_non_null(r);
	snprintf(in, sizeof(in), "%s/run%d.in", g_tmp, ++seq);
	snprintf(out, sizeof(out), "%s/run%d.out", g_tmp, seq);
	snprintf(errp, sizeof(errp), "%s/run%d.err", g_tmp, seq);
	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	if (stdin_text)
		assert_int_equal(write(fd, stdin_text, strlen(stdin_text)),
				 (ssize_t)strlen(stdin_text));
	close(fd);

	for (i = 0; environ[i] && n < 200; i++)
		if (strncmp(environ[i], "CNI_", 4) && strncmp(environ[i], "NETBPF_", 7))
			envp[n++] = environ[i];
#define SETV(name, val)                                                                            \
	do {                                                                                       \
		if (val) {                                                                         \
			snprintf(buf[b], sizeof(buf[b]), "%s=%s", name, val);                      \
			envp[n++] = buf[b++];                                                      \
		}                                                                                  \
	} while (0)
	SETV("CNI_COMMAND", cmd);
	SETV("CNI_CONTAINERID", cid);
	SETV("CNI_NETNS", netns);
	SETV("CNI_IFNAME", ifname);
#undef SETV
	bool path_given = false;

	for (i = 0; env_extra && env_extra[i]; i++) {
		envp[n++] = (char *)env_extra[i];
		if (!strncmp(env_extra[i], "CNI_PATH=", 9))
			path_given = true;
	}
	if (!path_given)
		envp[n++] = (char *)"CNI_PATH=/usr/lib/cni:/opt/cni/bin";
	envp[n] = NULL;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int i0 = open(in, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(i0, 0);
		dup2(o, 1);
		dup2(e, 2);
		if (g_as_nobody && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(126);
		execve(g_plugin, (char *[]){g_plugin, NULL}, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp(out, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
	r->json = r->out[0] ? json_loads(r->out, 0, NULL) : NULL;
	unlink(in);
	unlink(out);
	unlink(errp);
	return r;
}

static struct run *cni(const char *cmd, const char *cid, const char *netns, const char *ifname,
		       const char *stdin_text)
{
	return cni_env(cmd, cid, netns, ifname, stdin_text, NULL);
}

static void run_free(struct run *r)
{
	if (!r)
		return;
	json_decref(r->json);
	free(r);
}

/*
 * A configuration for network name: the instance's keys, then the keys of
 * extra (a JSON object text, may be NULL) over them. Returned text is
 * malloc'd.
 */
static char *conf_v(const char *version, const char *name, const char *extra)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "cniVersion", version, "name", name, "type",
		      "netbpf", "stateDir", g_state, "pinDir", g_pins, "cgroup", g_cgroup);
	json_t *x;
	char *s;

	assert_non_null(o);
	if (extra) {
		x = json_loads(extra, 0, NULL);
		assert_non_null(x);
		assert_int_equal(json_object_update(o, x), 0);
		json_decref(x);
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(s);
	return s;
}

static char *conf(const char *name, const char *extra)
{
	return conf_v("1.0.0", name, extra);
}

/* ---- the spec's shapes ---------------------------------------------------------- */

static bool is_mac(const char *s)
{
	unsigned int b[6];
	char tail;

	return s &&
	       sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		      &tail) == 6 &&
	       strlen(s) == 17;
}

static bool is_cidr(const char *s)
{
	struct nb_prefix p;

	return s && !nb_parse_prefix(s, false, &p);
}

static bool is_ipv4(const char *s)
{
	__be32 ip;

	return s && !nb_parse_ipv4(s, &ip);
}

/* Only these keys, each present */
static void assert_keys(json_t *o, const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t i;

	assert_true(json_is_object(o));
	json_object_foreach(o, key, v)
	{
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i])
			fail_msg("unexpected key \"%s\" in %s", key, json_dumps(o, JSON_COMPACT));
	}
}

/* A successful ADD's result in version's shape */
static void assert_result(struct run *r, const char *version)
{
	static const char *const top[] = {"cniVersion", "interfaces", "ips", "routes", "dns", NULL};
	static const char *const ifkeys[] = {"name", "mac", "sandbox", "mtu", NULL};
	static const char *const ipkeys[] = {"address", "gateway", "interface", "version", NULL};
	static const char *const rtkeys[] = {"dst", "gw", NULL};
	json_t *o = r->json, *ifs, *ips, *v;
	size_t i, nifs;
	bool v1 = strcmp(version, "1.0.0") >= 0;

	if (r->status != 0 || !o)
		fail_msg("ADD failed (status %d): %s\n%s", r->status, r->out, r->err);
	assert_keys(o, top);
	assert_string_equal(json_string_value(json_object_get(o, "cniVersion")), version);
	ifs = json_object_get(o, "interfaces");
	ips = json_object_get(o, "ips");
	assert_true(json_is_array(ifs));
	assert_true(json_is_array(ips));
	assert_true(json_is_array(json_object_get(o, "routes")));
	assert_true(json_is_object(json_object_get(o, "dns")));
	nifs = json_array_size(ifs);
	assert_true(nifs >= 1);
	json_array_foreach(ifs, i, v)
	{
		assert_keys(v, ifkeys);
		assert_true(json_is_string(json_object_get(v, "name")));
		assert_true(is_mac(json_string_value(json_object_get(v, "mac"))));
		if (json_object_get(v, "sandbox"))
			assert_true(json_is_string(json_object_get(v, "sandbox")));
		if (json_object_get(v, "mtu")) {
			assert_string_equal(version, "1.1.0");
			assert_true(json_is_integer(json_object_get(v, "mtu")));
		}
	}
	assert_int_equal(json_array_size(ips), 1);
	/* netbpfd's DNS on the gateway: the runtime writes it as nameserver */
	v = json_object_get(json_object_get(o, "dns"), "nameservers");
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_array_get(v, 0)),
			    json_string_value(json_object_get(json_array_get(ips, 0), "gateway")));
	json_array_foreach(ips, i, v)
	{
		json_t *idx = json_object_get(v, "interface");

		assert_keys(v, ipkeys);
		assert_true(is_cidr(json_string_value(json_object_get(v, "address"))));
		assert_true(is_ipv4(json_string_value(json_object_get(v, "gateway"))));
		assert_true(json_is_integer(idx));
		assert_true(json_integer_value(idx) >= 0 && (size_t)json_integer_value(idx) < nifs);
		/* the address is on the container's side */
		assert_non_null(json_object_get(
		    json_array_get(ifs, (size_t)json_integer_value(idx)), "sandbox"));
		if (v1)
			assert_null(json_object_get(v, "version"));
		else
			assert_string_equal(json_string_value(json_object_get(v, "version")), "4");
	}
	json_array_foreach(json_object_get(o, "routes"), i, v)
	{
		assert_keys(v, rtkeys);
		assert_true(is_cidr(json_string_value(json_object_get(v, "dst"))));
		if (json_object_get(v, "gw"))
			assert_true(is_ipv4(json_string_value(json_object_get(v, "gw"))));
	}
}

/* A failure: exit status 1, an error object with code, msg naming each needle */
static void assert_cni_error(struct run *r, int code, const char *needle)
{
	static const char *const keys[] = {"cniVersion", "code", "msg", "details", NULL};
	const char *msg;

	if (r->status != 1 || !r->json)
		fail_msg("expected error %d, got status %d: %s\n%s", code, r->status, r->out,
			 r->err);
	assert_keys(r->json, keys);
	assert_true(json_is_string(json_object_get(r->json, "cniVersion")));
	if (json_integer_value(json_object_get(r->json, "code")) != code)
		fail_msg("expected code %d: %s", code, r->out);
	msg = json_string_value(json_object_get(r->json, "msg"));
	assert_non_null(msg);
	assert_true(msg[0] != '\0');
	if (json_object_get(r->json, "details"))
		assert_true(json_is_string(json_object_get(r->json, "details")));
	if (needle && !strstr(msg, needle))
		fail_msg("error message does not name \"%s\": %s", needle, msg);
}

/* A success that prints nothing (DEL, CHECK, STATUS, GC) */
static void assert_quiet_ok(struct run *r)
{
	if (r->status != 0 || r->out[0])
		fail_msg("expected success without output, got status %d: %s\n%s", r->status,
			 r->out, r->err);
}

static const char *result_address(struct run *r)
{
	return json_string_value(
	    json_object_get(json_array_get(json_object_get(r->json, "ips"), 0), "address"));
}

/* `netbpfctl --state-dir ... ARGS...` on the test's instance: its exit code */
static int netbpfctl(const char *arg, ...)
{
	char *argv[16] = {g_ctl,  (char *)"--state-dir", g_state, (char *)"--pin-dir",
			  g_pins, (char *)"--cgroup",	 g_cgroup};
	int n = 7, st;
	va_list ap;
	pid_t pid;

	va_start(ap, arg);
	for (; arg && n < 15; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(g_ctl, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- namespaces and state ----------------------------------------------------------- */

/* A container netns: a bind mount of a fresh netns at <tmp>/ns-NAME */
static const char *netns_new(const char *name)
{
	static char paths[64][300];
	static int next;
	char *path = paths[next++ % 64];
	int self, fd;

	snprintf(path, 300, "%s/ns-%s", g_tmp, name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(self >= 0);
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	assert_int_equal(mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL), 0);
	assert_int_equal(setns(self, CLONE_NEWNET), 0);
	close(self);
	return path;
}

static void netns_gone(const char *path)
{
	umount2(path, MNT_DETACH);
	unlink(path);
}

/* The host netns has link name */
static bool host_link(const char *name)
{
	struct nb_nl *nl;
	int idx;

	assert_int_equal(nb_nl_open(&nl), 0);
	idx = nb_nl_link_ifindex(nl, name);
	nb_nl_close(nl);
	return idx > 0;
}

/* The container's netns has ifname with address cidr, and the default route via ifname */
static void assert_in_container(const char *netns, const char *ifname, const char *cidr,
				bool default_route)
{
	struct nb_prefix p;
	char dev[NB_IFNAMSIZ], addr[NB_IPV4_STRLEN];
	struct nb_nl *nl;
	__be32 ip;
	__u8 mac[6], want[6];
	int fd;

	snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(cidr, "/"), cidr);
	assert_int_equal(nb_parse_ipv4(addr, &ip), 0);
	assert_int_equal(nb_parse_prefix(cidr, false, &p), 0);
	fd = nb_netns_open(netns);
	assert_true(fd >= 0);
	assert_int_equal(nb_nl_open_netns(fd, &nl), 0);
	close(fd);
	assert_int_equal(nb_nl_addr_has(nl, ifname, ip, p.len), 1);
	assert_int_equal(nb_nl_link_mac(nl, ifname, mac), 0);
	nb_mac_from_ipv4(ip, want);
	assert_memory_equal(mac, want, 6);
	if (default_route) {
		assert_int_equal(nb_nl_route_default_dev(nl, dev), 0);
		assert_string_equal(dev, ifname);
	}
	nb_nl_close(nl);
}

/* What a refused command must leave as it was: rows, netbpf links, published ports */
static char *snapshot(void)
{
	struct nb_network_rec *nets = NULL;
	struct nb_sandbox_rec *sbs = NULL;
	struct nb_endpoint_rec *eps = NULL;
	struct nb_publish_rec *pubs = NULL;
	char(*links)[NB_IFNAMSIZ] = NULL, a[NB_CIDR_STRLEN], *text = NULL;
	size_t nn = 0, ns = 0, ne = 0, np = 0, nl_ = 0, i, len = 0;
	struct nb_store *st;
	struct nb_nl *nl;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(nb_store_open(g_state, false, &st), 0);
	assert_int_equal(nb_store_network_list(st, &nets, &nn), 0);
	assert_int_equal(nb_store_sandbox_list(st, &sbs, &ns), 0);
	assert_int_equal(nb_store_endpoint_list(st, NULL, NULL, &eps, &ne), 0);
	assert_int_equal(nb_publish_list_all(st, NULL, &pubs, &np), 0);
	nb_store_close(st);
	for (i = 0; i < nn; i++)
		fprintf(f, "net %s %s\n", nets[i].name, nb_fmt_prefix(&nets[i].subnet, a));
	for (i = 0; i < ns; i++)
		fprintf(f, "sandbox %s %s\n", sbs[i].name, sbs[i].netns);
	for (i = 0; i < ne; i++)
		fprintf(f, "endpoint %s %s %s\n", eps[i].host_ifname, eps[i].ifname,
			nb_fmt_ipv4(eps[i].ip, a));
	for (i = 0; i < np; i++)
		fprintf(f, "port%s %u %u %u\n", pubs[i].v6 ? "6" : "", pubs[i].host_port,
			pubs[i].sb_port, pubs[i].proto);
	assert_int_equal(nb_nl_open(&nl), 0);
	assert_int_equal(nb_nl_link_list(nl, "nb", &links, &nl_), 0);
	nb_nl_close(nl);
	for (i = 0; i < nl_; i++)
		fprintf(f, "link %s\n", links[i]);
	fclose(f);
	free(links);
	free(pubs);
	free(eps);
	free(sbs);
	nb_network_recs_free(nets, nn);
	return text;
}

/* The plugin's error, and nothing changed */
static void expect_refused(const char *cmd, const char *cid, const char *netns, const char *ifname,
			   const char *config, int code, const char *needle)
{
	char *before = snapshot(), *after;
	struct run *r = cni(cmd, cid, netns, ifname, config);

	assert_cni_error(r, code, needle);
	after = snapshot();
	if (strcmp(before, after))
		fail_msg("refused %s changed the state:\n--- before\n%s--- after\n%s", cmd, before,
			 after);
	run_free(r);
	free(before);
	free(after);
}

static int sandbox_count(void)
{
	struct nb_sandbox_rec *sbs = NULL;
	struct nb_store *st;
	size_t n = 0;

	assert_int_equal(nb_store_open(g_state, false, &st), 0);
	assert_int_equal(nb_store_sandbox_list(st, &sbs, &n), 0);
	nb_store_close(st);
	free(sbs);
	return (int)n;
}

static bool sandbox_exists(const char *name)
{
	struct nb_sandbox_rec sb;
	struct nb_store *st;
	int err;

	assert_int_equal(nb_store_open(g_state, false, &st), 0);
	err = nb_store_sandbox_find(st, name, &sb);
	nb_store_close(st);
	return !err && !strcmp(sb.name, name);
}

/* ---- VERSION and the environment ---------------------------------------------------- */

static void assert_version_answer(struct run *r)
{
	static const char *const keys[] = {"cniVersion", "supportedVersions", NULL};
	json_t *v, *list;
	size_t i;
	bool has10 = false, has11 = false;

	if (r->status || !r->json)
		fail_msg("VERSION failed: %s %s", r->out, r->err);
	assert_keys(r->json, keys);
	assert_true(json_is_string(json_object_get(r->json, "cniVersion")));
	list = json_object_get(r->json, "supportedVersions");
	assert_true(json_is_array(list));
	json_array_foreach(list, i, v)
	{
		assert_true(json_is_string(v));
		has10 |= !strcmp(json_string_value(v), "1.0.0");
		has11 |= !strcmp(json_string_value(v), "1.1.0");
	}
	assert_true(has10 && has11);
}

static void test_version(void **state)
{
	struct run *r;

	(void)state;
	r = cni("VERSION", NULL, NULL, NULL, "{\"cniVersion\": \"1.0.0\"}");
	assert_version_answer(r);
	run_free(r);
	/* without a configuration, as `CNI_COMMAND=VERSION plugin </dev/null` */
	r = cni("VERSION", NULL, NULL, NULL, "");
	assert_version_answer(r);
	run_free(r);
	r = cni("VERSION", NULL, NULL, NULL, "{not json");
	assert_cni_error(r, 6, "not JSON");
	run_free(r);
}

static void test_env_errors(void **state)
{
	const char *ns = netns_new("env");
	char *c = conf("envnet", NULL);
	const char *no_path[] = {"CNI_PATH=", NULL};
	const char *bad_ip[] = {"CNI_ARGS=IgnoreUnknown=1;IP=10.300.0.1", NULL};
	const char *bad_args[] = {"CNI_ARGS=IgnoreUnknown", NULL};
	struct run *r;

	(void)state;
	r = cni(NULL, "c1", ns, "eth0", c);
	assert_cni_error(r, 4, "CNI_COMMAND");
	run_free(r);
	r = cni("FROB", "c1", ns, "eth0", c);
	assert_cni_error(r, 4, "FROB");
	run_free(r);
	r = cni("ADD", "c1", NULL, "eth0", c);
	assert_cni_error(r, 4, "CNI_NETNS");
	run_free(r);
	r = cni("ADD", NULL, ns, "eth0", c);
	assert_cni_error(r, 4, "CNI_CONTAINERID");
	run_free(r);
	r = cni("DEL", "c1", ns, NULL, c);
	assert_cni_error(r, 4, "CNI_IFNAME");
	run_free(r);
	r = cni_env("ADD", "c1", ns, "eth0", c, no_path);
	assert_cni_error(r, 4, "CNI_PATH");
	run_free(r);
	r = cni("ADD", "-c1", ns, "eth0", c);
	assert_cni_error(r, 4, "CNI_CONTAINERID");
	run_free(r);
	r = cni("ADD", "c1", ns, "eth0/x", c);
	assert_cni_error(r, 4, "CNI_IFNAME");
	run_free(r);
	r = cni("ADD", "c1", ns, "averylonginterfacename", c);
	assert_cni_error(r, 4, "longer than 15");
	run_free(r);
	r = cni("ADD", "c1", "run/netns/x", "eth0", c);
	assert_cni_error(r, 4, "absolute");
	run_free(r);
	r = cni_env("ADD", "c1", ns, "eth0", c, bad_ip);
	assert_cni_error(r, 4, "10.300.0.1");
	run_free(r);
	r = cni_env("ADD", "c1", ns, "eth0", c, bad_args);
	assert_cni_error(r, 4, "KEY=VALUE");
	run_free(r);
	/* nothing was even opened: the instance does not exist yet */
	assert_int_equal(access(g_state, F_OK), -1);
	assert_int_equal(nb_dp_loaded(&g_inst), 0);
	free(c);
	netns_gone(ns);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *cmd, *version, *extra;
		int code;
		const char *needle;
	} cases[] = {
	    {"ADD", "1.0.0", "{\"subnet\": \"10.70.0.0/33\"}", 7, "subnet"},
	    {"ADD", "1.0.0", "{\"subnet\": \"10.70.0.1/16\"}", 7, "host bits"},
	    {"ADD", "1.0.0", "{\"subnet\": \"fd00::/64\"}", 2, "IPv6"},
	    {"ADD", "1.0.0", "{\"gateway\": \"10.70.0.1\"}", 7, "needs a subnet"},
	    {"ADD", "1.0.0", "{\"subnet\": \"10.70.0.0/16\", \"gateway\": \"10.70.0.x\"}", 7,
	     "gateway"},
	    {"ADD", "1.0.0", "{\"mtu\": 40}", 7, "mtu"},
	    {"ADD", "1.0.0", "{\"mtu\": \"1500\"}", 7, "mtu"},
	    {"ADD", "1.0.0", "{\"ipMasq\": \"yes\"}", 7, "ipMasq"},
	    {"ADD", "1.0.0", "{\"isDefaultGateway\": 1}", 7, "isDefaultGateway"},
	    {"ADD", "1.0.0", "{\"ipam\": {\"type\": \"dhcp\"}}", 2, "dhcp"},
	    {"ADD", "1.0.0",
	     "{\"ipam\": {\"type\": \"host-local\", \"ranges\": [[{\"subnet\": \"10.70.0.0/24\"}], "
	     "[{\"subnet\": \"10.71.0.0/24\"}]]}}",
	     2, "range sets"},
	    {"ADD", "1.0.0",
	     "{\"ipam\": {\"ranges\": [[{\"subnet\": \"10.70.0.0/24\"}], [{\"subnet\": "
	     "\"fd00:70::/64\"}], [{\"subnet\": \"fd00:71::/64\"}]]}}",
	     2, "range sets"},
	    {"ADD", "1.0.0",
	     "{\"ipam\": {\"ranges\": [[{\"subnet\": \"fd00:70::/64\"}], [{\"subnet\": "
	     "\"fd00:71::/64\"}]]}}",
	     2, "two IPv6 range sets"},
	    {"ADD", "1.0.0", "{\"ipam\": {\"ranges\": [[{\"subnet\": \"fd00:70::/64\"}]]}}", 2,
	     "no IPv4 range set"},
	    {"ADD", "1.0.0",
	     "{\"ipam\": {\"ranges\": [[{\"subnet\": \"10.70.0.0/24\"}], [{\"subnet\": "
	     "\"fd00:70::/64\", \"rangeStart\": \"fd00:70::10\"}]]}}",
	     2, "rangeStart"},
	    {"ADD", "1.0.0",
	     "{\"ipam\": {\"ranges\": [[{\"subnet\": \"10.70.0.0/24\"}], [{\"subnet\": "
	     "\"fd00:70::/64\", \"gateway\": \"10.70.0.1\"}]]}}",
	     7, "not an IPv6 address"},
	    {"ADD", "1.0.0",
	     "{\"ipam\": {\"type\": \"host-local\", \"subnet\": \"10.70.0.0/24\", \"rangeStart\": "
	     "\"10.70.0.10\", \"rangeEnd\": \"10.70.0.20\"}}",
	     2, "rangeStart"},
	    {"ADD", "1.0.0",
	     "{\"subnet\": \"10.70.0.0/24\", \"ipam\": {\"subnet\": \"10.71.0.0/24\"}}", 7,
	     "disagree"},
	    {"ADD", "1.0.0",
	     "{\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80, "
	     "\"protocol\": \"sctp\"}]}}",
	     2, "sctp"},
	    {"ADD", "1.0.0",
	     "{\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 70000, \"containerPort\": "
	     "80}]}}",
	     7, "70000"},
	    {"ADD", "1.0.0",
	     "{\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 80, \"containerPort\": 80, "
	     "\"hostIP\": \"ff02::1\"}]}}",
	     7, "hostIP"},
	    {"ADD", "1.0.0", "{\"runtimeConfig\": {\"ips\": [\"10.70.0.5/24\", \"10.70.0.6/24\"]}}",
	     2, "more than one"},
	    {"ADD", "1.0.0", "{\"stateDir\": \"relative/dir\"}", 7, "absolute"},
	    {"ADD", "0.2.0", NULL, 1, "0.2.0"},
	    {"ADD", "2.0.0", NULL, 1, "2.0.0"},
	    {"CHECK", "0.3.1", NULL, 1, "CHECK"},
	    {"STATUS", "1.0.0", NULL, 1, "STATUS"},
	    {"GC", "1.0.0", NULL, 1, "GC"},
	    {"CHECK", "1.0.0", NULL, 7, "prevResult"},
	};
	const char *ns = netns_new("conf");
	struct run *r;
	size_t i;
	char *c;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = conf_v(cases[i].version, "confnet", cases[i].extra);
		r = cni(cases[i].cmd, "c1", ns, "eth0", c);
		assert_cni_error(r, cases[i].code, cases[i].needle);
		/* the error speaks the configuration's version */
		assert_string_equal(json_string_value(json_object_get(r->json, "cniVersion")),
				    cases[i].version);
		run_free(r);
		free(c);
	}
	/* not JSON, not an object, keys missing or wrong */
	r = cni("ADD", "c1", ns, "eth0", "{\"cniVersion\": ");
	assert_cni_error(r, 6, "not JSON");
	run_free(r);
	r = cni("ADD", "c1", ns, "eth0", "[1, 2]");
	assert_cni_error(r, 6, "object");
	run_free(r);
	r = cni("ADD", "c1", ns, "eth0", "{\"name\": \"x\", \"type\": \"netbpf\"}");
	assert_cni_error(r, 1, "cniVersion");
	run_free(r);
	r = cni("ADD", "c1", ns, "eth0", "{\"cniVersion\": \"1.0.0\", \"type\": \"netbpf\"}");
	assert_cni_error(r, 7, "name");
	run_free(r);
	r = cni("ADD", "c1", ns, "eth0", "{\"cniVersion\": \"1.0.0\", \"name\": \"x\"}");
	assert_cni_error(r, 7, "type");
	run_free(r);
	c = conf("bad name!", NULL);
	r = cni("ADD", "c1", ns, "eth0", c);
	assert_cni_error(r, 7, "bad name!");
	run_free(r);
	free(c);
	/* still nothing made */
	assert_int_equal(access(g_state, F_OK), -1);
	assert_int_equal(nb_dp_loaded(&g_inst), 0);
	netns_gone(ns);
}

/* ---- ADD ---------------------------------------------------------------------------- */

static void test_add_brings_up(void **state)
{
	const char *ns = netns_new("a1");
	char *c = conf("web", "{\"subnet\": \"10.70.0.0/24\", \"mtu\": 1400}");
	struct nb_network_rec net;
	struct nb_store *st;
	struct run *r;
	json_t *ifs;

	(void)state;
	assert_int_equal(nb_dp_loaded(&g_inst), 0);
	r = cni("ADD", "a1", ns, "eth0", c);
	assert_result(r, "1.0.0");
	/* the first ADD loaded the data plane, as `netbpfctl up` does */
	assert_int_equal(nb_dp_loaded(&g_inst), 1);
	assert_string_equal(result_address(r), "10.70.0.2/24");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(r->json, "ips"), 0), "gateway")),
			    "10.70.0.1");
	ifs = json_object_get(r->json, "interfaces");
	assert_int_equal(json_array_size(ifs), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ifs, 1), "name")),
			    "eth0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ifs, 1), "sandbox")),
			    ns);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ifs, 1), "mac")),
			    "02:42:0a:46:00:02");
	/* the host side is named in the result and exists */
	assert_true(host_link(json_string_value(json_object_get(json_array_get(ifs, 0), "name"))));
	assert_int_equal(json_array_size(json_object_get(r->json, "routes")), 1);
	assert_in_container(ns, "eth0", "10.70.0.2/24", true);

	/* the CNI network is the netbpf network of that name, made with the config's keys */
	assert_int_equal(nb_store_open(g_state, false, &st), 0);
	assert_int_equal(nb_store_network_find(st, "web", &net), 0);
	nb_store_close(st);
	assert_string_equal(net.driver, NB_DRIVER_BRIDGE);
	assert_int_equal(net.mtu, 1400);
	assert_true(net.masquerade);
	nb_network_rec_clear(&net);
	assert_true(sandbox_exists("a1"));
	run_free(r);
	free(c);
}

static void test_add_versions(void **state)
{
	static const char *const versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.1.0"};
	char cid[16], *c;
	const char *ns;
	struct run *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		snprintf(cid, sizeof(cid), "v%zu", i);
		ns = netns_new(cid);
		c = conf_v(versions[i], "web", NULL);
		r = cni("ADD", cid, ns, "eth0", c);
		assert_result(r, versions[i]);
		if (!strcmp(versions[i], "1.1.0"))
			assert_int_equal(
			    json_integer_value(json_object_get(
				json_array_get(json_object_get(r->json, "interfaces"), 1), "mtu")),
			    1400);
		run_free(r);
		r = cni("DEL", cid, ns, "eth0", c);
		assert_quiet_ok(r);
		run_free(r);
		free(c);
		netns_gone(ns);
	}
}

static void test_add_repeat(void **state)
{
	const char *ns = netns_new("rep");
	char *c = conf("web", NULL), addr[32];
	struct run *r;

	(void)state;
	r = cni("ADD", "rep", ns, "eth0", c);
	assert_result(r, "1.0.0");
	snprintf(addr, sizeof(addr), "%s", result_address(r));
	run_free(r);
	/* the same attachment again: the same answer, nothing new */
	r = cni("ADD", "rep", ns, "eth0", c);
	assert_result(r, "1.0.0");
	assert_string_equal(result_address(r), addr);
	run_free(r);
	/* the same container under another name on the same network: refused */
	expect_refused("ADD", "rep", ns, "eth1", c, 100, "already attached");
	r = cni("DEL", "rep", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	free(c);
	netns_gone(ns);
}

static void test_add_two_networks(void **state)
{
	const char *ns = netns_new("multi");
	char *web = conf("web", NULL), *db = conf("db", "{\"subnet\": \"10.71.0.0/24\"}");
	struct run *r;

	(void)state;
	r = cni("ADD", "multi", ns, "eth0", web);
	assert_result(r, "1.0.0");
	run_free(r);
	/* the second network: its own interface, no second default route */
	r = cni("ADD", "multi", ns, "net1", db);
	assert_result(r, "1.0.0");
	assert_string_equal(result_address(r), "10.71.0.2/24");
	assert_int_equal(json_array_size(json_object_get(r->json, "routes")), 0);
	assert_in_container(ns, "net1", "10.71.0.2/24", false);
	run_free(r);
	/* one sandbox holds both */
	assert_true(sandbox_exists("multi"));
	r = cni("DEL", "multi", ns, "eth0", web);
	assert_quiet_ok(r);
	run_free(r);
	assert_true(sandbox_exists("multi"));
	r = cni("DEL", "multi", ns, "net1", db);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(sandbox_exists("multi"));
	free(web);
	free(db);
	netns_gone(ns);
}

static void test_add_fixed_ip(void **state)
{
	const char *ns = netns_new("fix"), *ns2 = netns_new("fix2");
	char *c = conf("web", "{\"runtimeConfig\": {\"ips\": [\"10.70.0.50/24\"]}}");
	char *plain = conf("web", NULL);
	char *outside = conf("web", "{\"runtimeConfig\": {\"ips\": [\"10.99.0.5/24\"]}}");
	const char *arg_ip[] = {"CNI_ARGS=IgnoreUnknown=1;IP=10.70.0.60", NULL};
	const char *arg_other[] = {"CNI_ARGS=IP=10.70.0.61", NULL};
	struct run *r;

	(void)state;
	r = cni("ADD", "fix", ns, "eth0", c);
	assert_result(r, "1.0.0");
	assert_string_equal(result_address(r), "10.70.0.50/24");
	run_free(r);
	/* taken now, by that container */
	expect_refused("ADD", "fix2", ns2, "eth0", c, 100, "10.70.0.50");
	expect_refused("ADD", "fix2", ns2, "eth0", outside, 100, "outside");
	{
		char *before = snapshot(), *after;

		r = cni_env("ADD", "fix2", ns2, "eth0", c, arg_other);
		assert_cni_error(r, 7, "CNI_ARGS IP");
		run_free(r);
		after = snapshot();
		assert_string_equal(before, after);
		free(before);
		free(after);
	}
	r = cni_env("ADD", "fix2", ns2, "eth0", plain, arg_ip);
	assert_result(r, "1.0.0");
	assert_string_equal(result_address(r), "10.70.0.60/24");
	run_free(r);
	r = cni("DEL", "fix", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	r = cni("DEL", "fix2", ns2, "eth0", plain);
	assert_quiet_ok(r);
	run_free(r);
	free(c);
	free(plain);
	free(outside);
	netns_gone(ns);
	netns_gone(ns2);
}

static void test_add_refused(void **state)
{
	const char *ns = netns_new("ref");
	char file[200], longid[80], *c = conf("web", NULL);
	char *other_subnet = conf("web", "{\"subnet\": \"10.80.0.0/24\", \"ipMasq\": false}");
	char *host = conf("host", NULL), *nodefault = conf("nodef", "{\"isDefaultGateway\": "
								    "false}");
	struct nb_sandbox_rec sb = {0};
	struct nb_store *st;
	int fd;

	(void)state;
	/* the network exists with other settings: both values named */
	expect_refused("ADD", "ref", ns, "eth0", other_subnet, 7, "10.80.0.0/24");
	expect_refused("ADD", "ref", ns, "eth0", other_subnet, 7, "10.70.0.0/24");
	expect_refused("ADD", "ref", ns, "eth0", other_subnet, 7, "ipMasq");
	/* netbpf's predefined host network is no CNI network */
	expect_refused("ADD", "ref", ns, "eth0", host, 7, "host");
	/* a netns that is none, or gone, or the plugin's own */
	snprintf(file, sizeof(file), "%s/not-a-netns", g_tmp);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	expect_refused("ADD", "ref", file, "eth0", c, 4, "not a network namespace");
	expect_refused("ADD", "ref", "/run/netns/nbt-no-such-netns", "eth0", c, 4, "CNI_NETNS");
	expect_refused("ADD", "ref", "/proc/self/ns/net", "eth0", c, 4, "host");
	/* an interface of that name is there already */
	expect_refused("ADD", "ref", ns, "lo", c, 100, "lo already exists");
	/* a container id netbpf cannot name a sandbox after */
	memset(longid, 'x', 70);
	longid[70] = '\0';
	expect_refused("ADD", longid, ns, "eth0", c, 4, "64-digit hex");
	/* isDefaultGateway false on the container's first network */
	expect_refused("ADD", "ref", ns, "eth0", nodefault, 2, "isDefaultGateway");
	/* a sandbox of that name made by netbpfctl, not by the plugin */
	assert_int_equal(nb_store_open(g_state, true, &st), 0);
	assert_int_equal(nb_id_new(sb.id), 0);
	snprintf(sb.name, sizeof(sb.name), "ref");
	snprintf(sb.netns, sizeof(sb.netns), "%s", file);
	assert_int_equal(nb_store_sandbox_add(st, &sb), 0);
	nb_store_close(st);
	expect_refused("ADD", "ref", ns, "eth0", c, 100, "not made by the CNI plugin");
	/* ... and DEL leaves it alone */
	{
		struct run *r = cni("DEL", "ref", ns, "eth0", c);

		assert_quiet_ok(r);
		run_free(r);
	}
	assert_true(sandbox_exists("ref"));
	assert_int_equal(nb_store_open(g_state, true, &st), 0);
	assert_int_equal(nb_store_sandbox_del(st, sb.id), 0);
	nb_store_close(st);
	unlink(file);
	free(c);
	free(other_subnet);
	free(host);
	free(nodefault);
	netns_gone(ns);
}

static void test_hex_container_id(void **state)
{
	const char *cid = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *ns = netns_new("hex");
	char *c = conf("web", NULL);
	struct nb_sandbox_rec sb;
	struct nb_store *st;
	struct run *r;

	(void)state;
	r = cni("ADD", cid, ns, "eth0", c);
	assert_result(r, "1.0.0");
	run_free(r);
	/* the sandbox's id is the container's; its name the short id */
	assert_int_equal(nb_store_open(g_state, false, &st), 0);
	assert_int_equal(nb_store_sandbox_find(st, cid, &sb), 0);
	nb_store_close(st);
	assert_string_equal(sb.id, cid);
	assert_string_equal(sb.name, "0123456789ab");
	r = cni("DEL", cid, ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(sandbox_exists("0123456789ab"));
	free(c);
	netns_gone(ns);
}

static void test_port_mappings(void **state)
{
	const char *ns = netns_new("pm"), *ns2 = netns_new("pm2");
	char *c = conf("web", "{\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 8080, "
			      "\"containerPort\": 80, \"protocol\": \"tcp\"}, {\"hostPort\": 8053, "
			      "\"containerPort\": 53, \"protocol\": \"udp\", \"hostIP\": \"\"}]}}");
	struct nb_publish_val val;
	struct nb_maps m;
	struct run *r;

	(void)state;
	r = cni("ADD", "pm", ns, "eth0", c);
	assert_result(r, "1.0.0");
	run_free(r);
	assert_int_equal(nb_maps_open_pinned(g_pins, &m), 0);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8080, 6, &val), 0);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8053, 17, &val), 0);
	/* the same host ports for another container: refused naming the holder */
	expect_refused("ADD", "pm2", ns2, "eth0", c, 100, "\"pm\"");
	r = cni("DEL", "pm", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	/* the ports went with the container */
	assert_int_equal(nb_nat_publish_get(&m, 0, 8080, 6, &val), -ENOENT);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8053, 17, &val), -ENOENT);
	r = cni("ADD", "pm2", ns2, "eth0", c);
	assert_result(r, "1.0.0");
	run_free(r);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8080, 6, &val), 0);
	r = cni("DEL", "pm2", ns2, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	nb_maps_close(&m);
	free(c);
	netns_gone(ns);
	netns_gone(ns2);
}

static void test_parallel_adds(void **state)
{
	enum { N = 20 };
	char cid[N][16], path[N][300], out[N][300], errs[N][300], cmd[1200], *c = conf("web", NULL);
	char addrs[N][32], *log = malloc(65536);
	const char *ns[N];
	pid_t pids[N];
	int i, j, st, ups = 0;
	struct run *r;

	(void)state;
	assert_non_null(log);
	/*
	 * `netbpfctl down` first: the state stays, the data plane goes. A DEL
	 * then works on the state alone, and the 20 ADDs below find the
	 * instance not up: one of them brings it up, the others wait for it.
	 */
	assert_int_equal(netbpfctl("down", NULL), 0);
	assert_int_equal(nb_dp_loaded(&g_inst), 0);
	r = cni("DEL", "a1", NULL, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(sandbox_exists("a1"));
	assert_int_equal(nb_dp_loaded(&g_inst), 0);

	for (i = 0; i < N; i++) {
		snprintf(cid[i], sizeof(cid[i]), "par%d", i);
		ns[i] = netns_new(cid[i]);
		snprintf(path[i], sizeof(path[i]), "%s", ns[i]);
		snprintf(out[i], sizeof(out[i]), "%s/par%d.out", g_tmp, i);
		snprintf(errs[i], sizeof(errs[i]), "%s/par%d.err", g_tmp, i);
	}
	snprintf(cmd, sizeof(cmd), "%s/par.conf", g_tmp);
	st = open(cmd, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(st, c, strlen(c)), (ssize_t)strlen(c));
	close(st);
	/* as a runtime starting 20 containers: 20 plugin processes at once */
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (!pids[i]) {
			int in = open(cmd, O_RDONLY), o = open(out[i], O_WRONLY | O_CREAT, 0600),
			    e = open(errs[i], O_WRONLY | O_CREAT, 0600);

			dup2(in, 0);
			dup2(o, 1);
			dup2(e, 2);
			setenv("CNI_COMMAND", "ADD", 1);
			setenv("CNI_CONTAINERID", cid[i], 1);
			setenv("CNI_NETNS", path[i], 1);
			setenv("CNI_IFNAME", "eth0", 1);
			setenv("CNI_PATH", "/usr/lib/cni", 1);
			execl(g_plugin, g_plugin, (char *)NULL);
			_exit(127);
		}
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st));
		if (WEXITSTATUS(st))
			fail_msg("ADD %s failed", cid[i]);
	}
	/* up ran once, in one of them; it put the instance back */
	assert_int_equal(nb_dp_loaded(&g_inst), 1);
	for (i = 0; i < N; i++) {
		slurp(errs[i], log, 65536);
		ups += strstr(log, "netbpf is up") != NULL;
	}
	assert_int_equal(ups, 1);
	free(log);
	for (i = 0; i < N; i++) {
		struct run r = {0};

		slurp(out[i], r.out, sizeof(r.out));
		r.json = json_loads(r.out, 0, NULL);
		assert_result(&r, "1.0.0");
		snprintf(addrs[i], sizeof(addrs[i]), "%s", result_address(&r));
		json_decref(r.json);
		for (j = 0; j < i; j++)
			if (!strcmp(addrs[i], addrs[j]))
				fail_msg("%s and %s both got %s", cid[i], cid[j], addrs[i]);
		assert_in_container(path[i], "eth0", addrs[i], true);
	}
	for (i = 0; i < N; i++) {
		struct run *r = cni("DEL", cid[i], path[i], "eth0", c);

		assert_quiet_ok(r);
		run_free(r);
		netns_gone(path[i]);
	}
	free(c);
}

/* The runtime lost a DEL: the container id comes back with a new netns */
static void test_stale_sandbox(void **state)
{
	const char *ns = netns_new("st1"), *ns2 = netns_new("st1b");
	char *c = conf("web", NULL);
	struct run *r;

	(void)state;
	r = cni("ADD", "st1", ns, "eth0", c);
	assert_result(r, "1.0.0");
	run_free(r);
	/* while the first netns lives, another one under the same id is refused */
	expect_refused("ADD", "st1", ns2, "eth0", c, 100, "already attached in network namespace");
	/* once it is gone, the new netns takes the container's sandbox over */
	netns_gone(ns);
	r = cni("ADD", "st1", ns2, "eth0", c);
	assert_result(r, "1.0.0");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(r->json, "interfaces"), 1), "sandbox")),
	    ns2);
	assert_in_container(ns2, "eth0", result_address(r), true);
	run_free(r);
	r = cni("DEL", "st1", ns2, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(sandbox_exists("st1"));
	free(c);
	netns_gone(ns2);
}

/* Without root: a clear refusal, nothing touched */
static void test_not_root(void **state)
{
	const char *ns = netns_new("nr");
	char *c = conf("web", NULL), *c11 = conf_v("1.1.0", "web", NULL);
	struct run *r;

	(void)state;
	g_as_nobody = true;
	expect_refused("ADD", "nr", ns, "eth0", c, 100, "permission denied");
	r = cni("STATUS", NULL, NULL, NULL, c11);
	assert_cni_error(r, 50, "permission denied");
	run_free(r);
	/* VERSION needs nothing */
	r = cni("VERSION", NULL, NULL, NULL, c);
	assert_version_answer(r);
	run_free(r);
	g_as_nobody = false;
	free(c);
	free(c11);
	netns_gone(ns);
}

/* ---- DEL ---------------------------------------------------------------------------- */

static void test_del(void **state)
{
	const char *ns = netns_new("d1");
	char *c = conf("web", NULL), host[NB_IFNAMSIZ], addr[32], *fresh;
	struct nb_maps m;
	struct nb_ep_stats s;
	struct run *r;
	int idx;

	(void)state;
	r = cni("ADD", "d1", ns, "eth0", c);
	assert_result(r, "1.0.0");
	snprintf(host, sizeof(host), "%s",
		 json_string_value(json_object_get(
		     json_array_get(json_object_get(r->json, "interfaces"), 0), "name")));
	snprintf(addr, sizeof(addr), "%s", result_address(r));
	run_free(r);
	assert_true(host_link(host));

	r = cni("DEL", "d1", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(host_link(host));
	assert_false(sandbox_exists("d1"));
	/* idempotent */
	r = cni("DEL", "d1", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	/* without CNI_NETNS, for a container never seen, on a network never made */
	r = cni("DEL", "never", NULL, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	fresh = conf("nosuchnet", NULL);
	r = cni("DEL", "d1", ns, "eth0", fresh);
	assert_quiet_ok(r);
	run_free(r);
	free(fresh);

	/* the address went back to the pool */
	r = cni("ADD", "d1", ns, "eth0", c);
	assert_result(r, "1.0.0");
	assert_string_equal(result_address(r), addr);
	snprintf(host, sizeof(host), "%s",
		 json_string_value(json_object_get(
		     json_array_get(json_object_get(r->json, "interfaces"), 0), "name")));
	run_free(r);
	assert_int_equal(nb_maps_open_pinned(g_pins, &m), 0);
	{
		struct nb_nl *nl;

		assert_int_equal(nb_nl_open(&nl), 0);
		idx = nb_nl_link_ifindex(nl, host);
		nb_nl_close(nl);
	}
	assert_true(idx > 0);
	assert_int_equal(nb_maps_ep_stats_sum(&m, (__u32)idx, &s), 0);

	/* the runtime deleted the netns first: DEL still succeeds and cleans up */
	netns_gone(ns);
	usleep(100 * 1000);
	r = cni("DEL", "d1", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(host_link(host));
	assert_false(sandbox_exists("d1"));
	assert_int_equal(nb_maps_ep_stats_sum(&m, (__u32)idx, &s), -ENOENT);
	r = cni("DEL", "d1", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	nb_maps_close(&m);
	free(c);
}

static void test_del_without_state(void **state)
{
	char dir[300], *c;
	json_t *o;
	struct run *r;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/no-state-here", g_tmp);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "cniVersion", "1.0.0", "name", "web", "type",
		      "netbpf", "stateDir", dir, "pinDir", g_pins);
	c = json_dumps(o, 0);
	json_decref(o);
	r = cni("DEL", "x", NULL, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	/* a DEL creates nothing */
	assert_int_equal(access(dir, F_OK), -1);
	free(c);
}

/* The instance named by the environment, as netbpfctl reads it */
static void test_env_instance(void **state)
{
	const char *ns = netns_new("envi");
	char envs[3][300], *c;
	const char *env[4];
	json_t *o;
	struct run *r;

	(void)state;
	snprintf(envs[0], sizeof(envs[0]), "NETBPF_STATE_DIR=%s", g_state);
	snprintf(envs[1], sizeof(envs[1]), "NETBPF_PIN_DIR=%s", g_pins);
	snprintf(envs[2], sizeof(envs[2]), "NETBPF_CGROUP=%s", g_cgroup);
	env[0] = envs[0];
	env[1] = envs[1];
	env[2] = envs[2];
	env[3] = NULL;
	o = json_pack("{s:s, s:s, s:s}", "cniVersion", "1.0.0", "name", "web", "type", "netbpf");
	c = json_dumps(o, 0);
	json_decref(o);
	r = cni_env("ADD", "envi", ns, "eth0", c, env);
	assert_result(r, "1.0.0");
	/* the instance's web network: its subnet */
	assert_true(strstr(result_address(r), "10.70.0.") == result_address(r));
	run_free(r);
	assert_true(sandbox_exists("envi"));
	r = cni_env("DEL", "envi", ns, "eth0", c, env);
	assert_quiet_ok(r);
	run_free(r);
	assert_false(sandbox_exists("envi"));
	free(c);
	netns_gone(ns);
}

/* ---- CHECK -------------------------------------------------------------------------- */

static char *with_prev(const char *config, json_t *prev)
{
	json_t *o = json_loads(config, 0, NULL);
	char *s;

	assert_non_null(o);
	json_object_set(o, "prevResult", prev);
	s = json_dumps(o, 0);
	json_decref(o);
	return s;
}

static void test_check(void **state)
{
	const char *ns = netns_new("chk");
	char *c = conf("web", NULL), *ok, *wrong, *mismatch, host[NB_IFNAMSIZ];
	json_t *prev, *bad;
	struct nb_nl *nl;
	struct run *r;

	(void)state;
	r = cni("ADD", "chk", ns, "eth0", c);
	assert_result(r, "1.0.0");
	prev = json_incref(r->json);
	snprintf(host, sizeof(host), "%s",
		 json_string_value(json_object_get(
		     json_array_get(json_object_get(prev, "interfaces"), 0), "name")));
	run_free(r);

	ok = with_prev(c, prev);
	r = cni("CHECK", "chk", ns, "eth0", ok);
	assert_quiet_ok(r);
	run_free(r);

	/* a prevResult that is not what ADD gave */
	bad = json_deep_copy(prev);
	json_object_set_new(json_array_get(json_object_get(bad, "ips"), 0), "address",
			    json_string("10.70.0.222/24"));
	wrong = with_prev(c, bad);
	r = cni("CHECK", "chk", ns, "eth0", wrong);
	assert_cni_error(r, 101, "prevResult");
	run_free(r);
	/* a configuration the network no longer matches */
	mismatch = conf("web", "{\"mtu\": 9000}");
	{
		char *m = with_prev(mismatch, prev);

		r = cni("CHECK", "chk", ns, "eth0", m);
		assert_cni_error(r, 101, "mtu");
		run_free(r);
		free(m);
	}
	/* unknown container, other interface name */
	r = cni("CHECK", "nobody", ns, "eth0", ok);
	assert_cni_error(r, 101, "not attached");
	run_free(r);
	r = cni("CHECK", "chk", ns, "eth7", ok);
	assert_cni_error(r, 101, "not attached");
	run_free(r);
	/* the kernel lost the endpoint: CHECK sees it */
	assert_int_equal(nb_nl_open(&nl), 0);
	assert_int_equal(nb_nl_link_del(nl, host), 0);
	nb_nl_close(nl);
	r = cni("CHECK", "chk", ns, "eth0", ok);
	assert_cni_error(r, 101, host);
	run_free(r);

	r = cni("DEL", "chk", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	json_decref(prev);
	json_decref(bad);
	free(c);
	free(ok);
	free(wrong);
	free(mismatch);
	netns_gone(ns);
}

/*
 * A dual-stack network: hostIP picks the families as the portmap plugin does (none:
 * both, "::" IPv6 alone, "0.0.0.0" IPv4 alone); CHECK sees each family's map entry; DEL
 * takes both; an IPv6 hostIP on an IPv4-only network is refused with nothing left
 */
static void test_port_mappings6(void **state)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	const char *ns = netns_new("pm6"), *ns4 = netns_new("pm64");
	char *c = conf("dual6",
		       "{\"ipam\": {\"type\": \"host-local\", \"ranges\": [[{\"subnet\": "
		       "\"10.77.0.0/24\"}], [{\"subnet\": \"fd00:77::/64\"}]]}, "
		       "\"runtimeConfig\": {\"portMappings\": ["
		       "{\"hostPort\": 8180, \"containerPort\": 80, \"protocol\": \"tcp\"}, "
		       "{\"hostPort\": 8181, \"containerPort\": 81, \"hostIP\": \"::\"}, "
		       "{\"hostPort\": 8182, \"containerPort\": 82, \"hostIP\": \"0.0.0.0\"}]}}");
	char *bad =
	    conf("web", "{\"runtimeConfig\": {\"portMappings\": ["
			"{\"hostPort\": 8183, \"containerPort\": 83}, "
			"{\"hostPort\": 8184, \"containerPort\": 84, \"hostIP\": \"::\"}]}}");
	char *ok;
	struct nb_publish6_val v6;
	struct nb_publish_val v4;
	struct in6_addr ip6;
	struct nb_maps m;
	json_t *prev;
	struct run *r;

	(void)state;
	r = cni("ADD", "pm6", ns, "eth0", c);
	if (r->status != 0 || !r->json)
		fail_msg("ADD failed (status %d): %s\n%s", r->status, r->out, r->err);
	/* assert_result() knows one address: this one has two */
	assert_int_equal(json_array_size(json_object_get(r->json, "ips")), 2);
	prev = json_incref(r->json);
	run_free(r);
	assert_int_equal(nb_parse_ipv6("fd00:77::2", &ip6), 0);
	assert_int_equal(nb_maps_open_pinned(g_pins, &m), 0);
	/* no hostIP: both families, each to the container's address of that family */
	assert_int_equal(nb_nat_publish_get(&m, 0, 8180, 6, &v4), 0);
	assert_int_equal(v4.sb_ip, inet_addr("10.77.0.2"));
	assert_int_equal(nb_nat_publish6_get(&m, &any6, 8180, 6, &v6), 0);
	assert_memory_equal(v6.sb_ip6, &ip6, 16);
	/* "::": IPv6 alone; "0.0.0.0": IPv4 alone */
	assert_int_equal(nb_nat_publish_get(&m, 0, 8181, 6, &v4), -ENOENT);
	assert_int_equal(nb_nat_publish6_get(&m, &any6, 8181, 6, &v6), 0);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8182, 6, &v4), 0);
	assert_int_equal(nb_nat_publish6_get(&m, &any6, 8182, 6, &v6), -ENOENT);

	/* CHECK verifies both families: quiet, then naming the IPv6 entry the kernel lost */
	ok = with_prev(c, prev);
	r = cni("CHECK", "pm6", ns, "eth0", ok);
	assert_quiet_ok(r);
	run_free(r);
	/* a repeated ADD publishes nothing twice */
	r = cni("ADD", "pm6", ns, "eth0", c);
	assert_int_equal(r->status, 0);
	run_free(r);
	assert_int_equal(nb_nat_publish6_del(&m, &any6, 8180, 6), 0);
	r = cni("CHECK", "pm6", ns, "eth0", ok);
	assert_cni_error(r, 101, "[::]:8180/tcp");
	run_free(r);
	/* and the container's own IPv6 address, gone from its eth0 */
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "nsenter --net=%s ip -6 addr del fd00:77::2/64 dev eth0",
			 ns);
		assert_int_equal(system(cmd), 0);
	}
	r = cni("CHECK", "pm6", ns, "eth0", ok);
	assert_cni_error(r, 101, "lacks its address fd00:77::2/64");
	run_free(r);

	/* DEL takes both families */
	r = cni("DEL", "pm6", ns, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8180, 6, &v4), -ENOENT);
	assert_int_equal(nb_nat_publish6_get(&m, &any6, 8181, 6, &v6), -ENOENT);
	assert_int_equal(nb_nat_publish_get(&m, 0, 8182, 6, &v4), -ENOENT);

	/* an IPv6 hostIP on an IPv4-only network: refused, the IPv4 mapping before it undone */
	expect_refused("ADD", "pm64", ns4, "eth0", bad, 100, "no IPv6 address");
	assert_int_equal(nb_nat_publish_get(&m, 0, 8183, 6, &v4), -ENOENT);
	assert_false(sandbox_exists("pm64"));
	nb_maps_close(&m);
	json_decref(prev);
	free(ok);
	free(bad);
	free(c);
	netns_gone(ns);
	netns_gone(ns4);
}

/* ---- STATUS and GC ------------------------------------------------------------------ */

static void test_status(void **state)
{
	char file[300], *c = conf_v("1.1.0", "web", NULL);
	char *mismatch = conf_v("1.1.0", "web", "{\"subnet\": \"10.90.0.0/24\"}");
	char *broken;
	json_t *o;
	struct run *r;
	int fd;

	(void)state;
	r = cni("STATUS", NULL, NULL, NULL, c);
	assert_quiet_ok(r);
	run_free(r);
	/* ADD would refuse this configuration: not available for it */
	r = cni("STATUS", NULL, NULL, NULL, mismatch);
	assert_cni_error(r, 50, "10.90.0.0/24");
	run_free(r);
	/* a state that cannot be opened */
	snprintf(file, sizeof(file), "%s/state-is-a-file", g_tmp);
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	o = json_loads(c, 0, NULL);
	json_object_set_new(o, "stateDir", json_string(file));
	broken = json_dumps(o, 0);
	json_decref(o);
	r = cni("STATUS", NULL, NULL, NULL, broken);
	assert_cni_error(r, 50, NULL);
	run_free(r);
	unlink(file);
	free(broken);
	free(c);
	free(mismatch);
}

static void test_gc(void **state)
{
	const char *ns1 = netns_new("gc1"), *ns2 = netns_new("gc2"), *ns3 = netns_new("gc3");
	char *c = conf_v("1.1.0", "gcnet", "{\"subnet\": \"10.72.0.0/24\"}"), *gc;
	struct nb_network_rec net;
	struct nb_sandbox_rec foreign = {0};
	struct nb_endpoint_rec ep = {0};
	struct nb_store *st;
	int before = sandbox_count();
	struct run *r;
	json_t *o;

	(void)state;
	r = cni("ADD", "gc1", ns1, "eth0", c);
	assert_result(r, "1.1.0");
	run_free(r);
	r = cni("ADD", "gc2", ns2, "eth0", c);
	assert_result(r, "1.1.0");
	run_free(r);
	/* a sandbox netbpfctl made on the same network: GC must not touch it */
	assert_int_equal(nb_store_open(g_state, true, &st), 0);
	assert_int_equal(nb_store_network_find(st, "gcnet", &net), 0);
	assert_int_equal(nb_id_new(foreign.id), 0);
	snprintf(foreign.name, sizeof(foreign.name), "gc3");
	snprintf(foreign.netns, sizeof(foreign.netns), "%s", ns3);
	assert_int_equal(nb_store_sandbox_add(st, &foreign), 0);
	assert_int_equal(nb_id_new(ep.id), 0);
	snprintf(ep.network_id, sizeof(ep.network_id), "%s", net.id);
	snprintf(ep.sandbox_id, sizeof(ep.sandbox_id), "%s", foreign.id);
	snprintf(ep.ifname, sizeof(ep.ifname), "eth0");
	snprintf(ep.host_ifname, sizeof(ep.host_ifname), "nbe%.11s", ep.id);
	assert_int_equal(nb_parse_ipv4("10.72.0.100", &ep.ip), 0);
	assert_int_equal(nb_store_endpoint_add(st, &ep), 0);
	nb_store_close(st);
	nb_network_rec_clear(&net);

	r = cni("GC", NULL, NULL, NULL, c);
	assert_cni_error(r, 7, "valid-attachments");
	run_free(r);

	o = json_loads(c, 0, NULL);
	json_object_set_new(o, "cni.dev/valid-attachments",
			    json_pack("[{s:s, s:s}]", "containerID", "gc1", "ifname", "eth0"));
	gc = json_dumps(o, 0);
	json_decref(o);
	r = cni("GC", NULL, NULL, NULL, gc);
	assert_quiet_ok(r);
	run_free(r);
	assert_true(sandbox_exists("gc1"));
	assert_false(sandbox_exists("gc2"));
	assert_true(sandbox_exists("gc3"));
	/* again: nothing left to collect */
	r = cni("GC", NULL, NULL, NULL, gc);
	assert_quiet_ok(r);
	run_free(r);
	assert_true(sandbox_exists("gc1"));

	r = cni("DEL", "gc1", ns1, "eth0", c);
	assert_quiet_ok(r);
	run_free(r);
	assert_int_equal(nb_store_open(g_state, true, &st), 0);
	assert_int_equal(nb_store_sandbox_del(st, foreign.id), 0);
	nb_store_close(st);
	assert_int_equal(sandbox_count(), before);
	free(c);
	free(gc);
	netns_gone(ns1);
	netns_gone(ns2);
	netns_gone(ns3);
}

/* ---- set-up --------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	char exe[PATH_MAX - 32], *slash;
	struct statfs sf;
	struct nb_nl *nl;
	ssize_t n;

	(void)state;
	/* build/tests/unit/test_cni -> build/netbpf-cni */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	*slash = '\0';
	snprintf(g_plugin, sizeof(g_plugin), "%s/../../netbpf-cni", exe);
	snprintf(g_ctl, sizeof(g_ctl), "%s/../../netbpfctl", exe);
	if (access(g_plugin, X_OK)) {
		fprintf(stderr, "%s: %s\n", g_plugin, strerror(errno));
		return -1;
	}
	if (!mkdtemp(g_tmp))
		return -1;
	snprintf(g_pins, sizeof(g_pins), "%s/pins", g_tmp);
	snprintf(g_state, sizeof(g_state), "%s/state", g_tmp);
	if (mkdir(g_pins, 0700) || mount("bpf", g_pins, "bpf", 0, "mode=0700"))
		return -1;
	/* the socket hooks go to a cgroup of the test's own, never the root */
	if (!statfs("/sys/fs/cgroup/unified", &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
		snprintf(g_cgroup, sizeof(g_cgroup), "/sys/fs/cgroup/unified/nbt-unit-cni-%d",
			 (int)getpid());
	else
		snprintf(g_cgroup, sizeof(g_cgroup), "/sys/fs/cgroup/nbt-unit-cni-%d",
			 (int)getpid());
	if (mkdir(g_cgroup, 0755))
		return -1;
	g_inst.pin_dir = g_pins;
	g_inst.state_dir = g_state;
	g_inst.cgroup = g_cgroup;
	if (nb_nl_open(&nl))
		return -1;
	nb_nl_link_up(nl, "lo");
	nb_nl_close(nl);
	return 0;
}

static int group_teardown(void **state)
{
	struct dirent *de;
	char cmd[512];
	DIR *dir;

	(void)state;
	/* the containers' netns still mounted (a test that failed half-way) */
	dir = opendir(g_tmp);
	while (dir && (de = readdir(dir))) {
		if (strncmp(de->d_name, "ns-", 3))
			continue;
		snprintf(cmd, sizeof(cmd), "%s/%s", g_tmp, de->d_name);
		umount2(cmd, MNT_DETACH);
	}
	if (dir)
		closedir(dir);
	nb_dp_cgroup_detach(&g_inst);
	nb_dp_unload(&g_inst);
	umount2(g_pins, MNT_DETACH);
	rmdir(g_cgroup);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_tmp);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_env_errors),
	    cmocka_unit_test(test_config_errors),
	    /* from here on the instance exists: the first ADD brings it up */
	    cmocka_unit_test(test_add_brings_up),
	    cmocka_unit_test(test_add_versions),
	    cmocka_unit_test(test_add_repeat),
	    cmocka_unit_test(test_add_two_networks),
	    cmocka_unit_test(test_add_fixed_ip),
	    cmocka_unit_test(test_add_refused),
	    cmocka_unit_test(test_hex_container_id),
	    cmocka_unit_test(test_port_mappings),
	    cmocka_unit_test(test_port_mappings6),
	    cmocka_unit_test(test_parallel_adds),
	    cmocka_unit_test(test_stale_sandbox),
	    cmocka_unit_test(test_not_root),
	    cmocka_unit_test(test_del),
	    cmocka_unit_test(test_del_without_state),
	    cmocka_unit_test(test_env_instance),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_gc),
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP test_cni needs root (bpf, network namespaces)\n");
		return 0;
	}
	/* everything below stays inside these namespaces: no mount propagates out */
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("1..0 # SKIP unshare: %s\n", strerror(errno));
		return 0;
	}
	return cmocka_run_group_tests_name("cni", tests, group_setup, group_teardown);
}
