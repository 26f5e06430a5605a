// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * output.c: tables aligned as Docker's tabwriter aligns them, JSON as
 * `docker network inspect` prints it, Docker's size units, Go's time
 * formats, natural name order and the log prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "output.h"

/* Runs fn with a memory stream and returns what it printed (malloc'd) */
struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

static const char *cap_text(struct capture *c)
{
	fflush(c->f);
	return c->buf;
}

static void cap_close(struct capture *c)
{
	fclose(c->f);
	free(c->buf);
}

static void table_check(const char *const *headers, size_t ncols, const char *const *cells,
			size_t nrows, const char *expect)
{
	struct nb_table *t = nb_table_new(headers, ncols);
	struct capture c;
	size_t r;

	assert_non_null(t);
	for (r = 0; r < nrows; r++)
		assert_int_equal(nb_table_add(t, cells + r * ncols), 0);
	assert_int_equal(nb_table_rows(t), nrows);
	cap_open(&c);
	nb_table_print(t, c.f);
	assert_string_equal(cap_text(&c), expect);
	cap_close(&c);
	nb_table_free(t);
}

/* `docker network ls` on a fresh host, byte for byte */
static void test_table_docker_network_ls(void **state)
{
	static const char *const h[] = {"NETWORK ID", "NAME", "DRIVER", "SCOPE"};
	static const char *const rows[] = {
	    "7b369448dccb", "bridge", "bridge", "local", //
	    "a1b2c3d4e5f6", "host",   "host",	"local", //
	    "0f0e0d0c0b0a", "none",   "null",	"local",
	};

	table_check(h, 4, rows, 3,
		    "NETWORK ID     NAME      DRIVER    SCOPE\n"
		    "7b369448dccb   bridge    bridge    local\n"
		    "a1b2c3d4e5f6   host      host      local\n"
		    "0f0e0d0c0b0a   none      null      local\n");
}

/* a long cell widens its column to its width + 3; the last column is never padded */
static void test_table_widest_cell(void **state)
{
	static const char *const h[] = {"ID", "NAME", "X"};
	static const char *const rows[] = {
	    "1", "a-rather-long-name", "last column is not padded", "2", "b", "",
	};

	table_check(h, 3, rows, 2,
		    "ID        NAME                 X\n"
		    "1         a-rather-long-name   last column is not padded\n"
		    "2         b                    \n");
}

static void test_table_header_only(void **state)
{
	static const char *const h[] = {"SANDBOX ID", "NAME"};

	table_check(h, 2, NULL, 0, "SANDBOX ID   NAME\n");
}

/* widths count characters, not bytes, as Go's tabwriter does */
static void test_table_utf8(void **state)
{
	static const char *const h[] = {"NAME", "V"};
	static const char *const rows[] = {"caf\xc3\xa9-r\xc3\xa9seau-1", "x"};

	/* 13 characters (15 bytes): column width 16 */
	table_check(h, 2, rows, 1,
		    "NAME            V\n"
		    "caf\xc3\xa9-r\xc3\xa9seau-1   x\n");
}

static void test_table_null_cell(void **state)
{
	static const char *const h[] = {"A", "B"};
	static const char *const rows[] = {NULL, "b"};

	table_check(h, 2, rows, 1, "A         B\n          b\n");
}

static void test_json_indent(void **state)
{
	json_t *v = json_pack("[{s:s, s:b, s:[], s:{}, s:{s:s}}]", "Name", "web", "Internal", 0,
			      "Config", "Options", "Labels", "k", "v");
	struct capture c;

	cap_open(&c);
	assert_int_equal(nb_json_print(c.f, v), 0);
	/* the shape `docker network inspect` prints: insertion order, 4 spaces */
	assert_string_equal(cap_text(&c), "[\n"
					  "    {\n"
					  "        \"Name\": \"web\",\n"
					  "        \"Internal\": false,\n"
					  "        \"Config\": [],\n"
					  "        \"Options\": {},\n"
					  "        \"Labels\": {\n"
					  "            \"k\": \"v\"\n"
					  "        }\n"
					  "    }\n"
					  "]\n");
	cap_close(&c);
	json_decref(v);

	v = json_array();
	cap_open(&c);
	assert_int_equal(nb_json_print(c.f, v), 0);
	assert_string_equal(cap_text(&c), "[]\n");
	cap_close(&c);
	json_decref(v);
}

static void test_json_line(void **state)
{
	json_t *v = json_pack("{s:s, s:s}", "ID", "7b369448dccb", "Name", "bridge");
	struct capture c;

	cap_open(&c);
	assert_int_equal(nb_json_print_line(c.f, v), 0);
	assert_string_equal(cap_text(&c), "{\"ID\":\"7b369448dccb\",\"Name\":\"bridge\"}\n");
	cap_close(&c);
	json_decref(v);
}

static void human(double bytes, int precision, const char *expect)
{
	char buf[NB_HUMAN_STRLEN];

	assert_string_equal(nb_human_size(bytes, precision, buf), expect);
}

/* the values go-units' HumanSizeWithPrecision gives */
static void test_human_size(void **state)
{
	human(0, 3, "0B");
	human(999, 3, "999B");
	human(1000, 3, "1kB");
	human(1234, 3, "1.23kB");
	human(1200, 2, "1.2kB");
	human(1234, 4, "1.234kB");
	human(3400000, 3, "3.4MB");
	human(123456789, 4, "123.5MB");
	human(5e9, 3, "5GB");
	human(1e12, 3, "1TB");
	human(2.5e24, 3, "2.5YB");
	human(2.5e27, 3, "2.5e+03YB"); /* no unit beyond YB */
	/* %.3g rounds 999.999 up: Docker prints the same oddity */
	human(999999, 3, "1e+03kB");
}

static void test_time_formats(void **state)
{
	char buf[NB_TIME_STRLEN];

	assert_string_equal(nb_fmt_time_rfc3339nano(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(nb_fmt_time_rfc3339nano(1700000000123456789LL, buf),
			    "2023-11-14T22:13:20.123456789Z");
	/* RFC3339Nano drops trailing zeros of the fraction */
	assert_string_equal(nb_fmt_time_rfc3339nano(1700000000120000000LL, buf),
			    "2023-11-14T22:13:20.12Z");
	assert_string_equal(nb_fmt_time_rfc3339nano(1700000000000000000LL, buf),
			    "2023-11-14T22:13:20Z");
	assert_string_equal(nb_fmt_time_go(1700000000120000000LL, buf),
			    "2023-11-14 22:13:20.12 +0000 UTC");
	assert_string_equal(nb_fmt_time_go(1700000000000000000LL, buf),
			    "2023-11-14 22:13:20 +0000 UTC");
}

static void test_natural_order(void **state)
{
	assert_true(nb_natural_cmp("net2", "net10") < 0);
	assert_true(nb_natural_cmp("net10", "net2") > 0);
	assert_true(nb_natural_cmp("a", "b") < 0);
	assert_true(nb_natural_cmp("bridge", "bridge") == 0);
	assert_true(nb_natural_cmp("web", "web1") < 0);
	assert_true(nb_natural_cmp("box9-b", "box10-a") < 0);
	assert_true(nb_natural_cmp("Z", "a") < 0); /* bytes otherwise: upper case first */
}

/* netbpfctl prints the library's error slot a line each, as its own words */
static void test_print_errors(void **state)
{
	char buf[256] = "";
	FILE *tmp = tmpfile();
	int saved;
	ssize_t n;

	assert_non_null(tmp);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	nb_error_clear();
	nb_errorf("network \"%s\" not found", "web");
	nb_errorf("already terminated\n");
	nb_cli_print_errors();
	nb_cli_print_errors(); /* emptied: nothing twice */
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fileno(tmp), buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	fclose(tmp);
	assert_string_equal(buf, "netbpfctl: network \"web\" not found\n"
				 "netbpfctl: already terminated\n");
	assert_string_equal(nb_error_text(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_docker_network_ls),
	    cmocka_unit_test(test_table_widest_cell),
	    cmocka_unit_test(test_table_header_only),
	    cmocka_unit_test(test_table_utf8),
	    cmocka_unit_test(test_table_null_cell),
	    cmocka_unit_test(test_json_indent),
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_human_size),
	    cmocka_unit_test(test_time_formats),
	    cmocka_unit_test(test_natural_order),
	    cmocka_unit_test(test_print_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
