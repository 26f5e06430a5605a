/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What netbpfctl prints, shaped like Docker's output so scripts and eyes
 * trained on Docker read it unchanged: tables aligned as Docker's tabwriter
 * aligns them (every column but the last padded to its widest cell plus
 * three spaces, ten at least), JSON indented by four spaces as
 * `docker network inspect` prints it, sizes in Docker's decimal units and
 * times in Go's formats. Also the error/debug log that every module writes
 * through (nb_errorf/nb_debugf, declared in cmd.h), kept here rather than in
 * main.c so that every object of libnetbpf.a links into the unit tests too.
 */
#ifndef NETBPF_OUTPUT_H
#define NETBPF_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* ---- tables -------------------------------------------------------------- */

struct nb_table;

/* A table with ncols columns and these headers (Docker prints them in caps) */
struct nb_table *nb_table_new(const char *const *headers, size_t ncols);
/* Appends a row of ncols cells (copied); NULL cells print as "" */
int nb_table_add(struct nb_table *t, const char *const *cells);
size_t nb_table_rows(const struct nb_table *t);
void nb_table_print(const struct nb_table *t, FILE *out);
void nb_table_free(struct nb_table *t);

/* ---- JSON ---------------------------------------------------------------- */

/* Indented by four spaces, keys in insertion order, newline-terminated */
int nb_json_print(FILE *out, const json_t *v);
/* One compact line (what `docker ... ls --format json` prints per object) */
int nb_json_print_line(FILE *out, const json_t *v);

/* ---- units and times ----------------------------------------------------- */

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

/* Docker's sort order for names in lists: digit runs compare as numbers */
int nb_natural_cmp(const char *a, const char *b);

/* ---- log ----------------------------------------------------------------- */

/* Where nb_errorf/nb_debugf write (stderr by default); tests capture it */
void nb_log_set_stream(FILE *f);

#endif
