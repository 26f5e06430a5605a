/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Values as Docker prints them: sizes in decimal units, times in Go's
 * formats, names in Docker's natural order; and protocol names. Pure functions; the library's
 * renderers (events, metrics) and the front ends' tables share them.
 */
#ifndef NETBPF_FMT_H
#define NETBPF_FMT_H

#include <stdint.h>
#include <linux/types.h>

#define NB_HUMAN_STRLEN 32
/*
 * Docker's HumanSizeWithPrecision: base 1000, units B kB MB GB TB PB EB ZB
 * YB, the number printed with %.<precision>g. `docker stats` uses precision
 * 3 for NET I/O ("1.23kB"), most other places 4.
 */
const char *nb_human_size(double bytes, int precision, char buf[NB_HUMAN_STRLEN]);

#define NB_TIME_STRLEN 48
/* Go's RFC3339Nano in UTC: "2024-05-01T10:02:03.12345Z" (trailing zeros of the fraction dropped) */
const char *nb_fmt_time_rfc3339nano(int64_t unix_ns, char buf[NB_TIME_STRLEN]);
/* Go's time.Time.String() in UTC: "2024-05-01 10:02:03.12345 +0000 UTC" */
const char *nb_fmt_time_go(int64_t unix_ns, char buf[NB_TIME_STRLEN]);

/*
 * "tcp", "udp", "icmp", else "proto-N" (then in a buffer of the calling thread's, valid
 * until its next call): the one name of an IP protocol in messages, tables, events and
 * metric labels.
 */
const char *nb_proto_name(__u8 proto);

/* Docker's sort order for names in lists: digit runs compare as numbers */
int nb_natural_cmp(const char *a, const char *b);

#endif
