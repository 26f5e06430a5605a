/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the command groups share below their own logic: dispatching a
 * group's sub-verbs ("network create"), argp glue that names the full
 * command in usage messages, the root check and how a verb that changes the
 * state starts. Value parsing and network specs are the library's
 * (resolve.h): every front end validates the same way.
 */
#ifndef NETBPF_CLI_H
#define NETBPF_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>

#include <netbpf/netbpf.h>

#include "filter.h"

/* ---- sub-verbs ----------------------------------------------------------- */

typedef int (*nb_cmd_fn)(const struct nb_instance *inst, int argc, char **argv);

struct nb_subcmd {
	const char *name;
	nb_cmd_fn fn;
	const char *summary; /* one line for the group's --help */
};

/*
 * argv[0] is the group ("network"), argv[1] the sub-verb; runs it with
 * argv starting at the sub-verb. Without a sub-verb, or with --help, lists
 * the sub-verbs. Returns the exit code.
 */
int nb_subcmd_run(const struct nb_instance *inst, const char *group, const struct nb_subcmd *cmds,
		  size_t ncmds, int argc, char **argv);

/*
 * argp_parse() over argv (argv[0] = the sub-verb) with "netbpfctl <cmd>"
 * as the program name in usage and help. Usage errors exit with
 * NB_EXIT_USAGE (argp_err_exit_status, set by main), --help with 0.
 */
int nb_argp_parse(const struct argp *argp, const char *cmd, int argc, char **argv, unsigned flags,
		  void *input);

/* ---- argp pieces several verbs take --------------------------------------- */

/* Keys of the shared options below, apart from the ones a verb numbers from 0x100 */
enum {
	NB_OPT_FORMAT = 0x1000,
	NB_OPT_NO_TRUNC,
};

/* --filter's key: -f, as Docker's ls verbs take it */
#define NB_OPT_FILTER 'f'


/* --format's value into *json: "table" or "json"; anything else is a usage error naming both */
void nb_argp_format(struct argp_state *state, const char *arg, bool *json);

/*
 * What every `ls` takes: -q, --format table|json|TEMPLATE (NB_OPT_FORMAT; a Go template,
 * template.h, in tmpl), --no-trunc (NB_OPT_NO_TRUNC), -f/--filter KEY=VALUE (NB_OPT_FILTER,
 * filter.h; checked by the verb, which knows its keys)
 */
struct nb_ls_args {
	bool quiet, json, no_trunc;
	const char *tmpl;
	struct nb_filters filters;
	bool oom;
};

/* argp parser of an `ls` over struct nb_ls_args; no operand accepted */
error_t nb_ls_parse(int key, char *arg, struct argp_state *state);

/* ---- preambles ----------------------------------------------------------- */

/*
 * Prints the library's error slot on stderr, a line each, prefixed "netbpfctl: ", and
 * empties it (main does after the verb; a verb that goes on printing does at once)
 */
void nb_cli_print_errors(void);

/* 0 as root; otherwise prints "<what>: permission denied: ..." and returns -EPERM */
int nb_need_root(const char *what);

/*
 * How every verb that changes the state starts: nb_need_root(what), the store
 * opened as the writer, a transaction begun. On failure *st may be open (the
 * caller closes it) but no transaction is.
 */
int nb_begin_change(const struct nb_instance *inst, const char *what, struct nb_store **st);

#endif
