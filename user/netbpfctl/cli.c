// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Sub-verb dispatch, argp glue and the preambles of the verbs (cli.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netbpf/netbpf.h>

#include "cli.h"
#include "cmd.h"

static void subcmd_usage(FILE *out, const char *group, const struct nb_subcmd *cmds, size_t n)
{
	size_t i;

	fprintf(out, "Usage: netbpfctl %s COMMAND [ARG...]\n\nCommands:\n", group);
	for (i = 0; i < n; i++)
		fprintf(out, "  %-12s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(out, "\nRun 'netbpfctl %s COMMAND --help' for more information on a command.\n",
		group);
}

int nb_subcmd_run(const struct nb_instance *inst, const char *group, const struct nb_subcmd *cmds,
		  size_t ncmds, int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		subcmd_usage(stderr, group, cmds, ncmds);
		return NB_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		subcmd_usage(stdout, group, cmds, ncmds);
		return NB_EXIT_OK;
	}
	for (i = 0; i < ncmds; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(inst, argc - 1, argv + 1);
	nb_errorf("%s: unknown command \"%s\" (see 'netbpfctl %s --help')", group, argv[1], group);
	return NB_EXIT_USAGE;
}

int nb_argp_parse(const struct argp *argp, const char *cmd, int argc, char **argv, unsigned flags,
		  void *input)
{
	char name[64], *argv0 = argv[0];
	int err;

	/*
	 * argp names the program after argv[0] in "Usage:" and its errors. The
	 * parse works on argv itself so that pointers into state->argv stay
	 * valid for the caller.
	 */
	snprintf(name, sizeof(name), "netbpfctl %s", cmd);
	argv[0] = name;
	err = argp_parse(argp, argc, argv, flags, NULL, input);
	argv[0] = argv0;
	return err ? -err : 0;
}

void nb_argp_format(struct argp_state *state, const char *arg, bool *json)
{
	if (!strcmp(arg, "json"))
		*json = true;
	else if (!strcmp(arg, "table"))
		*json = false;
	else
		argp_error(state, "unknown --format \"%s\" (table or json)", arg);
}

error_t nb_ls_parse(int key, char *arg, struct argp_state *state)
{
	struct nb_ls_args *a = state->input;

	switch (key) {
	case 'q':
		a->quiet = true;
		break;
	case NB_OPT_FORMAT:
		/* Docker's: "table" is the default table, anything else a template */
		a->json = !strcmp(arg, "json");
		a->tmpl = strcmp(arg, "json") && strcmp(arg, "table") ? arg : NULL;
		break;
	case NB_OPT_FILTER:
		if (nb_filters_add(&a->filters, arg))
			a->oom = true;
		break;
	case NB_OPT_NO_TRUNC:
		a->no_trunc = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "no argument expected, got \"%s\"", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void nb_cli_print_errors(void)
{
	const char *p = nb_error_text(), *nl;

	if (!*p)
		return;
	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		fprintf(stderr, "netbpfctl: %.*s\n", (int)(nl - p), p);
	}
	fflush(stderr);
	nb_error_clear();
}

int nb_need_root(const char *what)
{
	if (geteuid() == 0)
		return 0;
	nb_errorf("%s: permission denied: netbpfctl must run as root (effective uid %u)", what,
		  (unsigned)geteuid());
	return -EPERM;
}

int nb_begin_change(const struct nb_instance *inst, const char *what, struct nb_store **st)
{
	int err;

	err = nb_need_root(what);
	if (err)
		return err;
	err = nb_open_state(inst, true, st);
	if (err)
		return err;
	return nb_store_begin(*st);
}
