/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The Go-template subset Docker's scripts pass to --format / -f, executed on
 * the JSON a command already renders (jansson values are the data model):
 *
 *   {{.Field}} {{.A.B}} {{.}} {{$}} {{$v.Field}} {{(index .M "k").Field}}
 *   {{json .X}} {{index .X "key" 0}} {{len .X}} {{join .X ","}} {{split .S ","}}
 *   {{lower}} {{upper}} {{title}} {{pad .S 1 2}} {{truncate .S 12}}
 *   {{print}} {{println}} {{printf "%s" .X}} {{eq}} {{ne}} {{not}} {{and}} {{or}}
 *   {{range .X}}..{{else}}..{{end}}  {{range $k, $v := .X}}  {{if}}/{{else}}/{{with}}
 *   pipelines ({{.Name | upper}}), {{- trim -}} markers and Go's comment actions
 *
 * Values print as Go's fmt prints them, which is why a command says which
 * objects are Go maps (map[k:v ...], keys sorted) rather than structs
 * ({v1 v2 ...}, fields in order), which fields Docker's JSON omits when
 * empty (omitempty: the model keeps them, so {{.IPAM.Config}} prints
 * `[{10.1.0.0/16  10.1.0.1 map[]}]` as Docker does, while {{json}} drops
 * them) and which strings are times (time.Time's String()). Paths are field
 * names joined by '.'; arrays add nothing, a map's values add '*'
 * ("Containers.*.Name").
 *
 * `docker ... ls --format` (formatter contexts) differs from `inspect -f`:
 * a leading "table" prints a header row (the template run on the header
 * object, Docker's header functions leaving their argument as is) and
 * aligns the cells as Docker's tabwriter does; "\t" and "\n" written as two
 * characters become a tab and a newline; surrounding spaces are trimmed.
 * inspect takes the text as is. In both an unknown field is an error, a Go
 * map's missing key prints "<no value>".
 *
 * Errors go to the error slot: `template "TEXT": position N: what`.
 */
#ifndef NETBPF_TEMPLATE_H
#define NETBPF_TEMPLATE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct nb_tmpl;

struct nb_tmpl_schema {
	const char *const *maps;      /* NULL-terminated paths of Go maps */
	const char *const *omitempty; /* paths json drops when empty ("", 0, false, {}, []) */
	const char *const *times;     /* paths of RFC 3339 strings that are time.Time values */
};

enum {
	NB_TMPL_LS = 1 << 0, /* a formatter context: "table", escapes, trim, strict fields */
};

/* Parses text; NULL and the error slot set on bad syntax */
struct nb_tmpl *nb_tmpl_parse(const char *text, unsigned flags);
void nb_tmpl_free(struct nb_tmpl *t);
bool nb_tmpl_is_table(const struct nb_tmpl *t);

/* Runs t on dot into out (nothing appended). 0 or -EINVAL with the error slot set. */
int nb_tmpl_exec(const struct nb_tmpl *t, const json_t *dot, const struct nb_tmpl_schema *schema,
		 FILE *out);

/*
 * A formatter context's whole output: each row then "\n"; with "table" the
 * header row first (t run on header, a JSON object of field -> title) and
 * every line aligned by Docker's tabwriter (min width 10, padding 3).
 */
int nb_tmpl_exec_rows(const struct nb_tmpl *t, const json_t *header, const json_t *rows,
		      const struct nb_tmpl_schema *schema, FILE *out);

/*
 * Text aligned as Go's tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) aligns
 * it: a cell is text ended by a tab; the columns of consecutive lines are
 * as wide as their widest cell plus 3, 10 at least.
 */
void nb_tabwrite(const char *text, FILE *out);

/*
 * What `... inspect` prints: without a template the array as Docker's JSON (indented,
 * nb_tmpl_json_view); with one, t run on each element, each output ending in a newline.
 */
int nb_inspect_print(const json_t *list, const struct nb_tmpl *t,
		     const struct nb_tmpl_schema *schema);
/*
 * The template of `... inspect -f FORMAT`: *t NULL for none, "" or "json" (newer Docker's
 * -f json is the default output); -EINVAL (the error slot set) when FORMAT does not parse
 */
int nb_inspect_tmpl(const char *format, struct nb_tmpl **t);

/* A copy of v as Docker's JSON shows it: omitempty fields dropped, maps' keys sorted */
json_t *nb_tmpl_json_view(const json_t *v, const struct nb_tmpl_schema *schema);

#endif
