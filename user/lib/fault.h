/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fault injection for the crash-consistency tests: with NETBPF_FAULT=<step>
 * in the environment, netbpfctl dies with _exit(NB_FAULT_EXIT) when it
 * reaches the call site of that step, as if killed there: no cleanup, no
 * rollback code, no atexit. SQLite then finds the transaction uncommitted
 * and the kernel keeps whatever was done so far; `gc` (or the next command)
 * must repair it. Without the variable a call site costs one getenv().
 *
 * A call site is one line, named "<command>:<step>":
 *   nb_fault("sandbox-create:netns");
 * docs/reliability.md lists every step; tests/e2e/75-crash.bats runs each.
 */
#ifndef NETBPF_FAULT_H
#define NETBPF_FAULT_H

/* the exit status of an injected fault (distinct from 0/1/2 and from signals) */
#define NB_FAULT_EXIT 99

void nb_fault(const char *step);

#endif
