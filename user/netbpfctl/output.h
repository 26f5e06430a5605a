/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What netbpfctl prints, shaped like Docker's output so scripts and eyes
 * trained on Docker read it unchanged: tables aligned as Docker's tabwriter
 * aligns them (every column but the last padded to its widest cell plus
 * three spaces, ten at least), JSON indented by four spaces as
 * `docker network inspect` prints it, sizes in Docker's decimal units and
 * times in Go's formats (those two in the library's fmt.h: events and
 * metrics render them too).
 */
#ifndef NETBPF_OUTPUT_H
#define NETBPF_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include <netbpf/netbpf.h>

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

#endif
