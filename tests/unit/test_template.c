// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * template.c and filter.c: Docker's --format templates over jansson values and
 * its --filter semantics. The expected strings are what Docker 20.10 prints
 * for the same data (tests/e2e/66-docker-format.bats compares against the real
 * engine); the parse errors name the template and the position.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netbpf/netbpf.h>

#include "filter.h"
#include "template.h"

/* a network as `network inspect` models it (cmd_network.c's schema) */
static const char net_text[] =
    "{\"Name\": \"pw\", \"Id\": \"54dc8bba2680\", \"Created\": \"2026-12-04T19:27:33.032398001Z\","
    " \"Scope\": \"local\", \"Driver\": \"bridge\", \"EnableIPv6\": false,"
    " \"IPAM\": {\"Driver\": \"default\", \"Options\": null, \"Config\": [{\"Subnet\": "
    "\"10.77.0.0/16\", \"IPRange\": \"\", \"Gateway\": \"10.77.0.1\", \"AuxiliaryAddresses\": "
    "{}}]},"
    " \"Internal\": false, \"Containers\": {\"c2\": {\"Name\": \"b\"}, \"c1\": {\"Name\": \"a\"}},"
    " \"Options\": {\"com.docker.network.bridge.enable_icc\": \"false\"},"
    " \"Labels\": {\"team\": \"net\", \"env\": \"ci\"}, \"Ports\": [80, 443], \"Ratio\": 0.5,"
    " \"Big\": 1000000.0, \"Nil\": null}";

static const char *const maps[] = {"IPAM.Options", "IPAM.Config.AuxiliaryAddresses",
				   "Containers", "Options", "Labels", NULL};
static const char *const omit[] = {"IPAM.Config.IPRange", "IPAM.Config.AuxiliaryAddresses",
				   NULL};
static const char *const times[] = {"Created", NULL};
static const struct nb_tmpl_schema schema = {.maps = maps, .omitempty = omit, .times = times};

static json_t *net(void)
{
	json_t *j = json_loads(net_text, 0, NULL);

	assert_non_null(j);
	return j;
}

/* text run on the network; the output, or NULL and the error slot when it failed */
static char *run(const char *text, unsigned flags)
{
	struct nb_tmpl *t;
	char *buf = NULL;
	size_t len = 0;
	json_t *j = net();
	FILE *f;
	int err;

	nb_error_clear();
	t = nb_tmpl_parse(text, flags);
	if (!t) {
		json_decref(j);
		return NULL;
	}
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	err = nb_tmpl_exec(t, j, &schema, f);
	fclose(f);
	nb_tmpl_free(t);
	json_decref(j);
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void expect(const char *text, const char *want)
{
	char *got = run(text, 0);

	if (!got)
		fail_msg("%s: %s", text, nb_error_text());
	assert_string_equal(got, want);
	free(got);
}

static void expect_error(const char *text, unsigned flags, const char *want)
{
	char *got = run(text, flags);

	if (got)
		fail_msg("%s: no error, printed \"%s\"", text, got);
	assert_string_equal(nb_error_msg(), want);
}

static void test_fields(void **state)
{
	expect("{{.Name}}", "pw");
	expect("name={{.Name}} driver={{.Driver}}", "name=pw driver=bridge");
	expect("{{.IPAM.Driver}}", "default");
	expect("{{.EnableIPv6}} {{.Internal}} {{.Scope}}", "false false local");
	expect("{{.Ports}}", "[80 443]");
	expect("{{.Ratio}} {{.Big}} {{.Nil}}", "0.5 1e+06 <nil>");
	/* the data model's Go rendering: structs in field order, maps sorted */
	expect("{{.IPAM.Config}}", "[{10.77.0.0/16  10.77.0.1 map[]}]");
	expect("{{.IPAM}}", "{default map[] [{10.77.0.0/16  10.77.0.1 map[]}]}");
	expect("{{.IPAM.Options}}", "map[]");
	expect("{{.Labels}}", "map[env:ci team:net]");
	expect("{{.Containers}}", "map[c1:{a} c2:{b}]");
	expect("{{.Created}}", "2026-12-04 19:27:33.032398001 +0000 UTC");
	/* a Go map's missing key */
	expect("{{.Labels.nope}}", "<no value>");
	/* a nil map (Docker's IPAM.Options of the predefined networks) */
	expect("{{.IPAM.Options}}", "map[]");
	/* inspect keeps escapes and "table" as text */
	expect("table a\\tb", "table a\\tb");
	expect("{{/* a comment */}}x", "x");
	expect("  {{- .Name -}}  !", "pw!");
}

static void test_json(void **state)
{
	expect("{{json .Labels}}", "{\"env\":\"ci\",\"team\":\"net\"}");
	/* omitempty fields go, as Docker's JSON omits them */
	expect("{{json .IPAM}}", "{\"Driver\":\"default\",\"Options\":null,\"Config\":[{\"Subnet\":"
				 "\"10.77.0.0/16\",\"Gateway\":\"10.77.0.1\"}]}");
	expect("{{json .Name}}", "\"pw\"");
	expect("{{json .Labels.nope}}", "null");
	expect("{{.Name | json}}", "\"pw\"");
}

static void test_range_index(void **state)
{
	expect("{{range .Ports}}<{{.}}>{{end}}", "<80><443>");
	expect("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", "env=ci;team=net;");
	expect("{{range $v := .Containers}}{{$v.Name}}{{end}}", "ab");
	expect("{{range .Containers}}{{.Name}},{{end}}", "a,b,");
	expect("{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}", "10.77.0.0/16 via 10.77.0.1");
	expect("{{range .IPAM.Options}}x{{else}}empty{{end}}", "empty");
	expect("{{range .Options}}{{.}}{{else}}empty{{end}}", "false");
	expect("{{range .Ports}}{{$.Name}}{{end}}", "pwpw");
	expect("{{index .Labels \"env\"}}", "ci");
	expect("{{index .Labels \"nope\"}}|", "|");
	expect("{{index .Ports 1}}", "443");
	expect("{{(index .IPAM.Config 0).Subnet}}", "10.77.0.0/16");
	expect("{{(index .Containers \"c2\").Name}}", "b");
	expect("{{len .Labels}} {{len .Ports}} {{len .Name}}", "2 2 2");
	expect("{{join .Ports \",\"}}", "80,443");
	expect("{{if .Internal}}i{{else if eq .Driver \"bridge\"}}b{{else}}o{{end}}", "b");
	expect("{{with .IPAM}}{{.Driver}}{{end}}", "default");
	expect("{{upper .Name}} {{.Driver | lower}} {{title \"a b\"}}", "PW bridge A B");
	expect("{{printf \"%s/%d\" .Name 7}}", "pw/7");
	expect("{{println .Name}}", "pw\n");
	expect("{{truncate .Id 4}}|{{pad .Name 1 2}}|", "54dc| pw  |");
	expect("{{range split \"a,b\" \",\"}}[{{.}}]{{end}}", "[a][b]");
	expect("{{if and .Name (not .Internal)}}yes{{end}}", "yes");
}

static void test_errors(void **state)
{
	expect_error("{{.Name", 0, "template \"{{.Name\": position 1: unclosed action");
	expect_error("{{foo .Name}}", 0, "template \"{{foo .Name}}\": position 3: function \"foo\" "
					 "not supported");
	expect_error("{{range .Ports}}x", 0, "template \"{{range .Ports}}x\": position 1: "
					     "unexpected EOF: {{range}} has no {{end}}");
	expect_error("x{{end}}", 0, "template \"x{{end}}\": position 4: unexpected {{end}}");
	expect_error("{{.Nope}}", 0, "template \"{{.Nope}}\": position 3: can't evaluate field Nope");
	expect_error("{{.Name.X}}", 0, "template \"{{.Name.X}}\": position 3: can't evaluate "
				       "field X in type string");
	expect_error("{{range .Name}}{{end}}", 0, "template \"{{range .Name}}{{end}}\": position 1: "
						  "range can't iterate over string");
	expect_error("{{$x := 1}}", 0, "template \"{{$x := 1}}\": position 3: variable "
				       "declarations not supported");
	expect_error("{{template \"x\"}}", 0, "template \"{{template \"x\"}}\": position 3: "
					      "\"template\" not supported");
	expect_error("{{.Name .Id}}", 0, "template \"{{.Name .Id}}\": position 9: can't give "
					 "argument to non-function");
	expect_error("{{index .Ports 5}}", 0, "template \"{{index .Ports 5}}\": position 3: index: "
					      "index out of range: 5");
	expect_error("{{printf \"%x\" 1}}", 0, "template \"{{printf \"%x\" 1}}\": position 3: "
					       "printf: verb %x not supported (%s %v %d %q)");
	expect_error("{{json}}", 0, "template \"{{json}}\": position 3: wrong number of args for "
				    "json: want 1 got 0");
	expect_error("{{index .IPAM \"Driver\"}}", 0, "template \"{{index .IPAM \"Driver\"}}\": "
						"position 3: index: can't index item of type struct "
						"with string");
	expect_error("{{$v}}", 0, "template \"{{$v}}\": position 3: undefined variable \"$v\"");
}

/* `ls --format`: table header, escapes, tabwriter */
static char *rows(const char *text, int *err)
{
	json_t *r = json_loads("[{\"ID\": \"4d405e65a245\", \"Name\": \"host\", \"Driver\": \"host\"},"
			       " {\"ID\": \"54dc8bba2680\", \"Name\": \"a-long-name\", \"Driver\": "
			       "\"bridge\"}]",
			       0, NULL);
	json_t *h = json_pack("{s:s, s:s, s:s}", "ID", "NETWORK ID", "Name", "NAME", "Driver",
			      "DRIVER");
	struct nb_tmpl *t = nb_tmpl_parse(text, NB_TMPL_LS);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(t);
	*err = nb_tmpl_exec_rows(t, h, r, NULL, f);
	fclose(f);
	nb_tmpl_free(t);
	json_decref(r);
	json_decref(h);
	return buf;
}

static void test_table(void **state)
{
	char *out;
	int err;

	out = rows("table {{.Name}}\\t{{.Driver}}\\t{{.ID}}", &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, "NAME          DRIVER    NETWORK ID\n"
				 "host          host      4d405e65a245\n"
				 "a-long-name   bridge    54dc8bba2680\n");
	free(out);
	/* Docker's header functions leave the title alone */
	out = rows("table {{json .Name}}|{{upper .Driver}}", &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, "NAME|DRIVER\n\"host\"|HOST\n\"a-long-name\"|BRIDGE\n");
	free(out);
	/* without table: no header, no alignment; escapes and trimmed spaces as Docker's */
	out = rows("  {{.Name}}\\t{{.Driver}}  ", &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, "host\thost\na-long-name\tbridge\n");
	free(out);
	out = rows("{{json .}}", &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, "{\"ID\":\"4d405e65a245\",\"Name\":\"host\",\"Driver\":\"host\"}\n"
				 "{\"ID\":\"54dc8bba2680\",\"Name\":\"a-long-name\",\"Driver\":"
				 "\"bridge\"}\n");
	free(out);
	nb_error_clear();
	out = rows("{{.Nope}}", &err);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(nb_error_msg(),
			    "template \"{{.Nope}}\": position 3: can't evaluate field Nope");
	free(out);
}

static void test_tabwriter(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	/* a column's width holds over consecutive lines that have the cell */
	nb_tabwrite("a\tb\tc\nlonger-than-ten\tx\nno tabs\nq\tr\n", f);
	fclose(f);
	assert_string_equal(buf, "a                 b         c\n"
				 "longer-than-ten   x\n"
				 "no tabs\n"
				 "q         r\n");
	free(buf);
}

static void test_json_view(void **state)
{
	json_t *j = net(), *v = nb_tmpl_json_view(json_object_get(j, "IPAM"), NULL);
	char *s;

	/* without a schema nothing is dropped */
	s = json_dumps(v, JSON_COMPACT);
	assert_string_equal(s, "{\"Driver\":\"default\",\"Options\":null,\"Config\":[{\"Subnet\":"
			       "\"10.77.0.0/16\",\"IPRange\":\"\",\"Gateway\":\"10.77.0.1\","
			       "\"AuxiliaryAddresses\":{}}]}");
	free(s);
	json_decref(v);
	v = nb_tmpl_json_view(j, &schema);
	s = json_dumps(json_object_get(v, "Labels"), JSON_COMPACT);
	assert_string_equal(s, "{\"env\":\"ci\",\"team\":\"net\"}");
	free(s);
	json_decref(v);
	json_decref(j);
}

static void test_filters(void **state)
{
	static const char *const keys[] = {"driver", "label", "name", NULL};
	struct nb_filters f = {0};
	json_t *labels = json_pack("{s:s, s:s}", "env", "ci", "team", "net");

	assert_int_equal(nb_filters_add(&f, "name=^w.b"), 0);
	assert_int_equal(nb_filters_add(&f, "name=db"), 0);
	assert_int_equal(nb_filters_add(&f, "label=env"), 0);
	assert_int_equal(nb_filters_add(&f, "label=team=net"), 0);
	assert_int_equal(nb_filters_check(&f, "network ls", keys), 0);
	/* values of one key: any; name is a regular expression inside */
	assert_true(nb_filters_regex(&f, "name", "web"));
	assert_true(nb_filters_regex(&f, "name", "mydb2"));
	assert_false(nb_filters_regex(&f, "name", "aweb"));
	/* an absent key lets everything through */
	assert_true(nb_filters_exact(&f, "driver", "anything"));
	/* labels: every one must hold */
	assert_true(nb_filters_labels(&f, "label", labels));
	json_object_set_new(labels, "team", json_string("dev"));
	assert_false(nb_filters_labels(&f, "label", labels));
	json_decref(labels);
	nb_filters_free(&f);

	assert_int_equal(nb_filters_add(&f, "foo=bar"), 0);
	assert_int_equal(nb_filters_check(&f, "network ls", keys), -EINVAL);
	assert_string_equal(nb_error_msg(), "network ls: invalid filter 'foo' (accepted: driver, "
					    "label, name)");
	nb_filters_free(&f);
	assert_int_equal(nb_filters_add(&f, "noeq"), 0);
	assert_int_equal(nb_filters_check(&f, "network ls", keys), -EINVAL);
	assert_string_equal(nb_error_msg(), "network ls: bad format of filter \"noeq\" (expected "
					    "name=value)");
	nb_filters_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),   cmocka_unit_test(test_json),
	    cmocka_unit_test(test_range_index), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_table),    cmocka_unit_test(test_tabwriter),
	    cmocka_unit_test(test_json_view), cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
