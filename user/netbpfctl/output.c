// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Tables, JSON, units, times and the log, as output.h describes. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
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

const char *nb_human_size(double bytes, int precision, char buf[NB_HUMAN_STRLEN])
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
	size_t i = 0;

	while (bytes >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1000.0;
		i++;
	}
	snprintf(buf, NB_HUMAN_STRLEN, "%.*g%s", precision, bytes, units[i]);
	return buf;
}

/* Splits unix nanoseconds into broken-down UTC and the nanosecond part */
static int split_time(int64_t unix_ns, struct tm *tm, long *nsec)
{
	time_t sec = (time_t)(unix_ns / 1000000000);
	long ns = (long)(unix_ns % 1000000000);

	if (ns < 0) {
		ns += 1000000000;
		sec--;
	}
	*nsec = ns;
	return gmtime_r(&sec, tm) ? 0 : -EOVERFLOW;
}

/* Go's ".999999999": the fraction without trailing zeros, nothing when zero */
static void fmt_fraction(long nsec, char out[11])
{
	int len;

	out[0] = '\0';
	if (!nsec)
		return;
	snprintf(out, 11, ".%09ld", nsec);
	len = (int)strlen(out);
	while (out[len - 1] == '0')
		out[--len] = '\0';
}

const char *nb_fmt_time_rfc3339nano(int64_t unix_ns, char buf[NB_TIME_STRLEN])
{
	char frac[11];
	struct tm tm;
	long nsec;

	if (split_time(unix_ns, &tm, &nsec)) {
		snprintf(buf, NB_TIME_STRLEN, "0001-01-01T00:00:00Z");
		return buf;
	}
	fmt_fraction(nsec, frac);
	snprintf(buf, NB_TIME_STRLEN, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return buf;
}

const char *nb_fmt_time_go(int64_t unix_ns, char buf[NB_TIME_STRLEN])
{
	char frac[11];
	struct tm tm;
	long nsec;

	if (split_time(unix_ns, &tm, &nsec)) {
		snprintf(buf, NB_TIME_STRLEN, "0001-01-01 00:00:00 +0000 UTC");
		return buf;
	}
	fmt_fraction(nsec, frac);
	snprintf(buf, NB_TIME_STRLEN, "%04d-%02d-%02d %02d:%02d:%02d%s +0000 UTC",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 frac);
	return buf;
}

/*
 * Docker sorts `network ls` with sortorder.NaturalLess: runs of digits
 * compare by value ("net2" < "net10"), the rest byte by byte.
 */
int nb_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *da, *db;
			size_t la, lb;
			int c;

			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			for (da = a; isdigit((unsigned char)*a); a++)
				;
			for (db = b; isdigit((unsigned char)*b); b++)
				;
			la = (size_t)(a - da);
			lb = (size_t)(b - db);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(da, db, la);
			if (c)
				return c < 0 ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	if (*a == *b)
		return 0;
	return *a ? 1 : -1;
}

static FILE *log_stream;

void nb_log_set_stream(FILE *f)
{
	log_stream = f;
}

static void vlog(const char *fmt, va_list ap)
{
	FILE *out = log_stream ? log_stream : stderr;
	size_t len = strlen(fmt);

	fputs("netbpfctl: ", out);
	vfprintf(out, fmt, ap);
	/* callers may or may not end their message with a newline */
	if (!len || fmt[len - 1] != '\n')
		fputc('\n', out);
	fflush(out);
}

void nb_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void nb_debugf(const struct nb_instance *inst, const char *fmt, ...)
{
	va_list ap;

	if (!inst || !inst->verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
