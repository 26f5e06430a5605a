// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* `netbpfctl map ls|dump`: netbpf's pinned maps, decoded through their BTF (mapdump.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "output.h"

/* ---- ls --------------------------------------------------------------------- */

static const char ls_doc[] = "List netbpf's pinned maps (the names `map dump` takes).\n"
			     "\v"
			     "EXAMPLES:\n"
			     "  netbpfctl map ls\n";

static error_t noargs(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		argp_error(state, "unexpected argument \"%s\"", arg);
	return key == ARGP_KEY_ARG ? EINVAL : ARGP_ERR_UNKNOWN;
}

static int map_ls(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {.parser = noargs, .doc = ls_doc};
	json_t *names = NULL, *v;
	size_t i;

	if (nb_argp_parse(&argp, "map ls", argc, argv, 0, NULL))
		return NB_EXIT_USAGE;
	if (nb_map_names(inst, &names))
		return NB_EXIT_ERR;
	json_array_foreach(names, i, v) printf("%s\n", json_string_value(v));
	json_decref(names);
	return NB_EXIT_OK;
}

/* ---- dump ------------------------------------------------------------------- */

static const char dump_doc[] =
    "Print every entry of a netbpf map, decoded.\n"
    "\n"
    "The map's own BTF (the types of include/netbpf/abi.h) names each field; addresses "
    "print as 10.1.0.2 (bpftool: [10,1,0,2]), ports in host order (8080, where bpftool "
    "prints the network-order integer 36895), MACs as 02:42:..., protocols by name, enums "
    "by enumerator. Per-CPU values are summed. --format json prints an array of "
    "{\"key\": ..., \"value\": ...}; the table one line per entry with its key and value "
    "fields."
    "\v"
    "EXAMPLES:\n"
    "  netbpfctl map dump nb_publish\n"
    "  netbpfctl map dump nb_ct --format json | jq '.[].value'\n";

static const struct argp_option dump_opts[] = {
    {"format", NB_OPT_FORMAT, "table|json", 0, "Output format", 0},
    {0},
};

struct dump_args {
	const char *map;
	bool json;
};

static error_t dump_parse(int key, char *arg, struct argp_state *state)
{
	struct dump_args *a = state->input;

	switch (key) {
	case NB_OPT_FORMAT:
		nb_argp_format(state, arg, &a->json);
		break;
	case ARGP_KEY_ARG:
		if (a->map)
			argp_error(state, "exactly one MAP is expected, got \"%s\" too", arg);
		a->map = arg;
		break;
	case ARGP_KEY_END:
		if (!a->map)
			argp_error(state, "the MAP is missing (`netbpfctl map ls` lists them)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* "field=value field=value", nested fields as a.b, for the table */
static void flatten(FILE *f, const char *prefix, const json_t *v, bool *first)
{
	char path[256];
	const char *k;
	json_t *x;
	char *s;

	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
		{
			snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k);
			flatten(f, path, x, first);
		}
		return;
	}
	s = json_is_string(v) ? strdup(json_string_value(v))
			      : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	fprintf(f, "%s%s%s%s", *first ? "" : " ", prefix, *prefix ? "=" : "", s ? s : "?");
	*first = false;
	free(s);
}

static char *flat(const json_t *v)
{
	bool first = true;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	flatten(f, "", v, &first);
	fclose(f);
	return buf;
}

static int map_dump(const struct nb_instance *inst, int argc, char **argv)
{
	static const struct argp argp = {
	    .options = dump_opts,
	    .parser = dump_parse,
	    .args_doc = "MAP",
	    .doc = dump_doc,
	};
	static const char *const hdr[] = {"KEY", "VALUE"};
	struct dump_args a = {0};
	struct nb_table *t = NULL;
	json_t *entries = NULL, *e;
	int ret = NB_EXIT_ERR;
	size_t i;

	if (nb_argp_parse(&argp, "map dump", argc, argv, 0, &a))
		return NB_EXIT_USAGE;
	if (nb_need_root("map dump"))
		return NB_EXIT_ERR;
	if (nb_map_dump(inst, a.map, &entries))
		return NB_EXIT_ERR;
	if (a.json) {
		nb_json_print(stdout, entries);
		ret = NB_EXIT_OK;
		goto cleanup;
	}
	t = nb_table_new(hdr, 2);
	if (!t) {
		nb_errorf("map dump: out of memory");
		goto cleanup;
	}
	json_array_foreach(entries, i, e)
	{
		char *k = flat(json_object_get(e, "key")), *v = flat(json_object_get(e, "value"));
		const char *row[] = {k, v};

		nb_table_add(t, row);
		free(k);
		free(v);
	}
	nb_table_print(t, stdout);
	ret = NB_EXIT_OK;
cleanup:
	nb_table_free(t);
	json_decref(entries);
	return ret;
}

static const struct nb_subcmd map_cmds[] = {
    {"ls", map_ls, "List netbpf's pinned maps"},
    {"dump", map_dump, "Print a map's entries, decoded through its BTF"},
};

int cmd_map(const struct nb_instance *inst, int argc, char **argv)
{
	return nb_subcmd_run(inst, "map", map_cmds, sizeof(map_cmds) / sizeof(map_cmds[0]), argc,
			     argv);
}
