/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the command groups share below their own logic: dispatching a
 * group's sub-verbs ("network create"), argp glue that names the full
 * command in usage messages, the root check, range-checked number parsing,
 * and turning `network create`'s options into a validated network record.
 * Everything but the dispatch is a pure function of its input (no store,
 * no kernel), so tests/unit/test_cli.c covers it.
 */
#ifndef NETBPF_CLI_H
#define NETBPF_CLI_H

#include <argp.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dataplane.h"
#include "store.h"

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

/* --format's value into *json: "table" or "json"; anything else is a usage error naming both */
void nb_argp_format(struct argp_state *state, const char *arg, bool *json);

/* What every `ls` takes: -q, --format table|json (NB_OPT_FORMAT), --no-trunc (NB_OPT_NO_TRUNC) */
struct nb_ls_args {
	bool quiet, json, no_trunc;
};

/* argp parser of an `ls` over struct nb_ls_args; no operand accepted */
error_t nb_ls_parse(int key, char *arg, struct argp_state *state);

/* ---- preambles ----------------------------------------------------------- */

/* 0 as root; otherwise prints "<what>: permission denied: ..." and returns -EPERM */
int nb_need_root(const char *what);

/* nb_store_open() on the instance's state dir, with a message on failure */
int nb_open_state(const struct nb_instance *inst, bool writer, struct nb_store **st);
/*
 * How every verb that changes the state starts: nb_need_root(what), the store
 * opened as the writer, a transaction begun. On failure *st may be open (the
 * caller closes it) but no transaction is.
 */
int nb_begin_change(const struct nb_instance *inst, const char *what, struct nb_store **st);
/*
 * Docker's resolution (exact name, then unique id prefix) with the messages
 * every command gives: "network \"x\" not found", an ambiguous prefix, ...
 */
int nb_find_network(struct nb_store *st, const char *name_or_id, struct nb_network_rec *out);
int nb_find_sandbox(struct nb_store *st, const char *name_or_id, struct nb_sandbox_rec *out);

/* ---- values -------------------------------------------------------------- */

/* Decimal in [min, max]: -EINVAL when not a number, -ERANGE when outside */
int nb_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* "true" or "false" only (Docker's -o values as netbpf accepts them) */
int nb_parse_bool(const char *s, bool *out);
/* "KEY=VALUE" (or "KEY" when !value_required, value "") into obj; -EINVAL when malformed */
int nb_kv_put(json_t *obj, const char *kv, bool value_required);

/* ---- network create ------------------------------------------------------ */

#define NB_OPT_ICC	    "com.docker.network.bridge.enable_icc"
#define NB_OPT_MASQ	    "com.docker.network.bridge.enable_ip_masquerade"
#define NB_OPT_HOST_BINDING "com.docker.network.bridge.host_binding_ipv4"
#define NB_OPT_MTU	    "com.docker.network.driver.mtu"

/* `network create`'s input as typed; NULL = not given */
struct nb_net_spec {
	const char *name;
	const char *driver; /* NULL = bridge */
	const char *subnet;
	const char *gateway;
	const char *ip_range;
	const char *mtu; /* --mtu; applied after -o (so it wins over -o ...driver.mtu) */
	bool internal;
	const char **labels; /* --label K[=V] */
	size_t nlabels;
	const char **opts; /* -o KEY=VALUE */
	size_t nopts;
};

/*
 * Builds the record of a new network from spec, validated against the
 * existing networks (name taken, subnet overlap, and the free subnet picked
 * from Docker's pools when none is given). Fills every field but id, net_id
 * and created; rec->options/labels are malloc'd JSON text (free with
 * nb_network_rec_clear). Prints the cause naming the network; returns
 * -EINVAL (bad input), -EEXIST (name taken or overlap), -ENOSPC (no pool).
 */
int nb_net_spec_resolve(const struct nb_net_spec *spec, const struct nb_network_rec *others,
			size_t nothers, struct nb_network_rec *rec);

#endif
