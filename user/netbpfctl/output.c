// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Tables and JSON, as output.h describes. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* Docker's formatter: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0) */
#define TABLE_MINWIDTH 10
#define TABLE_PADDING  3

struct nb_table {
	size_t ncols;
	size_t nrows; /* the header is row 0 */
	size_t cap;
	char **cells; /* nrows * ncols, row-major */
};

static int table_append(struct nb_table *t, const char *const *cells)
{
	size_t i, base;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **v = realloc(t->cells, cap * t->ncols * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->cells = v;
		t->cap = cap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		t->cells[base + i] = strdup(cells[i] ? cells[i] : "");
		if (!t->cells[base + i]) {
			while (i--)
				free(t->cells[base + i]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

struct nb_table *nb_table_new(const char *const *headers, size_t ncols)
{
	struct nb_table *t;

	if (!ncols)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	if (table_append(t, headers)) {
		free(t);
		return NULL;
	}
	return t;
}

int nb_table_add(struct nb_table *t, const char *const *cells)
{
	return table_append(t, cells);
}

size_t nb_table_rows(const struct nb_table *t)
{
	return t->nrows - 1;
}

/* Width in characters, as Go's tabwriter counts them (UTF-8 runes) */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void nb_table_print(const struct nb_table *t, FILE *out)
{
	size_t *width, r, c;

	width = calloc(t->ncols, sizeof(*width));
	if (!width)
		return;
	for (c = 0; c + 1 < t->ncols; c++) {
		width[c] = TABLE_MINWIDTH;
		for (r = 0; r < t->nrows; r++) {
			size_t w = text_width(t->cells[r * t->ncols + c]) + TABLE_PADDING;

			if (w > width[c])
				width[c] = w;
		}
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, out);
			/* the last column is not a tabwriter cell: no padding after it */
			if (c + 1 < t->ncols)
				fprintf(out, "%*s", (int)(width[c] - text_width(cell)), "");
		}
		fputc('\n', out);
	}
	free(width);
}

void nb_table_free(struct nb_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int nb_json_print(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_INDENT(4) | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	fputc('\n', out);
	return 0;
}

int nb_json_print_line(FILE *out, const json_t *v)
{
	if (json_dumpf(v, out, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0)
		return -EIO;
	fputc('\n', out);
	return 0;
}
