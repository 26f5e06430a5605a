/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Command groups of netbpfctl. main.c parses the global options into a
 * struct nb_instance, then dispatches argv[0] (the verb) to one of these
 * with argc/argv starting at the verb. Each returns the process exit code:
 * 0 ok, 1 error (message naming object and cause left in the library's error
 * slot, which main prints on stderr), 2 usage.
 */
#ifndef NETBPF_CMD_H
#define NETBPF_CMD_H

#include <netbpf/netbpf.h>

#define NB_EXIT_OK 0
#define NB_EXIT_ERR 1
#define NB_EXIT_USAGE 2

int cmd_network(const struct nb_instance *inst, int argc, char **argv);
int cmd_sandbox(const struct nb_instance *inst, int argc, char **argv);
int cmd_publish(const struct nb_instance *inst, int argc, char **argv);
int cmd_unpublish(const struct nb_instance *inst, int argc, char **argv);
int cmd_port(const struct nb_instance *inst, int argc, char **argv);
int cmd_ct(const struct nb_instance *inst, int argc, char **argv);
int cmd_up(const struct nb_instance *inst, int argc, char **argv);
int cmd_down(const struct nb_instance *inst, int argc, char **argv);
int cmd_status(const struct nb_instance *inst, int argc, char **argv);
int cmd_gc(const struct nb_instance *inst, int argc, char **argv);
int cmd_stats(const struct nb_instance *inst, int argc, char **argv);
int cmd_metrics(const struct nb_instance *inst, int argc, char **argv);
int cmd_monitor(const struct nb_instance *inst, int argc, char **argv);
int cmd_map(const struct nb_instance *inst, int argc, char **argv);

#endif
