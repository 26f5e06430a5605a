// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netbpfctl: the global options (which instance to act on), then the verb.
 * Options before the verb belong to netbpfctl, everything from the verb on
 * to the command group (cmd.h). Adding a verb is one line in commands[]
 * plus its function in cmd.h.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"

#ifndef NETBPF_VERSION
#define NETBPF_VERSION "unknown"
#endif

struct command {
	const char *name;
	int (*fn)(const struct nb_instance *inst, int argc, char **argv);
	const char *summary;
};

/* xdp-loader's DEFINE_COMMAND: the verb is the function's name */
// clang-format off
#define DEFINE_COMMAND(verb, summary) { #verb, cmd_##verb, summary }
// clang-format on

static const struct command commands[] = {
    DEFINE_COMMAND(network, "Manage networks"),
    DEFINE_COMMAND(sandbox, "Manage sandboxes (network namespaces)"),
    DEFINE_COMMAND(publish, "Publish a sandbox's port on the host (Docker's -p)"),
    DEFINE_COMMAND(unpublish, "Stop publishing a sandbox's port"),
    DEFINE_COMMAND(port, "List a sandbox's published ports"),
    DEFINE_COMMAND(ct, "List or flush the translated connections"),
    DEFINE_COMMAND(up, "Load the data plane and restore the state"),
    DEFINE_COMMAND(down, "Remove netbpf's devices, programs and pins"),
    DEFINE_COMMAND(status, "Show what is loaded where"),
    DEFINE_COMMAND(gc, "Reconcile the state and the kernel"),
    DEFINE_COMMAND(stats, "Display sandboxes' network usage statistics"),
    DEFINE_COMMAND(metrics, "Print or serve metrics in Prometheus format"),
    DEFINE_COMMAND(monitor, "Stream drop, trace and NAT events"),
    DEFINE_COMMAND(map, "List netbpf's maps or print one decoded"),
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *argp_program_version = "netbpfctl " NETBPF_VERSION;

static const char doc[] =
    "netbpfctl -- Docker's container network model on eBPF: networks, sandboxes and "
    "published ports without a Linux bridge, iptables or a userland proxy.\n"
    "\n"
    "An instance is a state directory, a bpffs pin directory and a cgroup; netbpfctl acts on "
    "the network namespace it runs in."
    "\v"
    "Run 'netbpfctl COMMAND --help' for more information on a command.\n"
    "\n"
    "EXAMPLES:\n"
    "  netbpfctl network create --subnet 10.1.0.0/16 web\n"
    "  netbpfctl sandbox create --network web box1\n"
    "  netbpfctl publish 8000:80 box1\n"
    "  netbpfctl status || netbpfctl up    # netbpf.service runs up at boot\n"
    "  netbpfctl --state-dir /tmp/nb/state --pin-dir /tmp/nb/pins network ls\n";

enum {
	OPT_STATE_DIR = 0x100,
	OPT_PIN_DIR,
	OPT_CGROUP,
};

static const struct argp_option options[] = {
    {"state-dir", OPT_STATE_DIR, "DIR", 0,
     "State directory (env NETBPF_STATE_DIR, default /var/lib/netbpf)", 0},
    {"pin-dir", OPT_PIN_DIR, "DIR", 0,
     "bpffs directory for pinned maps and programs (env NETBPF_PIN_DIR, default "
     "/sys/fs/bpf/netbpf)",
     0},
    {"cgroup", OPT_CGROUP, "PATH", 0,
     "cgroup2 directory the socket hooks attach to (env NETBPF_CGROUP, default the cgroup2 "
     "root)",
     0},
    {"verbose", 'v', NULL, 0, "Debug messages, libbpf's included", 0},
    {0},
};

struct args {
	struct nb_instance inst;
	int verb; /* index in argv of the verb, 0 when none */
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
	case 'v':
		a->inst.verbose++;
		break;
	case ARGP_KEY_ARG:
		/* the verb: the rest of argv belongs to it, its options included */
		a->verb = state->next - 1;
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!a->verb)
			argp_error(state, "a COMMAND is missing");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* The verbs under --help, from the table so a new verb shows up by itself */
static char *help_filter(int key, const char *text, void *input)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	f = open_memstream(&out, &len);
	if (!f)
		return (char *)text;
	fprintf(f, "Commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n%s", text ? text : "");
	fclose(f);
	return out;
}

/* The cgroup2 root: /sys/fs/cgroup/unified on hybrid hosts, else /sys/fs/cgroup */
static const char *default_cgroup(void)
{
	struct statfs sfs;

	if (!statfs("/sys/fs/cgroup/unified", &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

/*
 * The library's log: progress lines (what up and gc did) on stdout as the
 * verbs' own output, warnings and -v debug on stderr as netbpfctl's words,
 * libbpf's as libbpf writes them.
 */
static void log_line(enum nb_log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (level == NB_LOG_INFO) {
		printf("%s\n", msg);
		return;
	}
	fprintf(stderr, "%s%s\n", level == NB_LOG_LIBBPF ? "" : "netbpfctl: ", msg);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
	    options, parse, "COMMAND [ARG...]", doc, NULL, help_filter, NULL,
	};
	struct args a = {0};
	size_t i;
	int ret;

	argp_err_exit_status = NB_EXIT_USAGE;
	a.inst.state_dir = env_or("NETBPF_STATE_DIR", "/var/lib/netbpf");
	a.inst.pin_dir = env_or("NETBPF_PIN_DIR", "/sys/fs/bpf/netbpf");
	a.inst.cgroup = getenv("NETBPF_CGROUP");
	if (!a.inst.cgroup || !*a.inst.cgroup)
		a.inst.cgroup = default_cgroup();

	/* global options stop at the verb: ARGP_IN_ORDER hands it over unpermuted */
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &a))
		return NB_EXIT_USAGE;

	nb_log_set(log_line, NULL,
		   a.inst.verbose > 1 ? NB_LOG_LIBBPF
		   : a.inst.verbose   ? NB_LOG_DEBUG
				      : NB_LOG_INFO);
	/* a verb that exits (a usage error, an injected fault) still says why it failed */
	atexit(nb_cli_print_errors);
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[a.verb], commands[i].name)) {
			ret = commands[i].fn(&a.inst, argc - a.verb, argv + a.verb);
			nb_cli_print_errors();
			return ret;
		}
	nb_errorf("unknown command \"%s\" (see 'netbpfctl --help')", argv[a.verb]);
	return NB_EXIT_USAGE;
}
