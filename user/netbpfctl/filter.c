// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Docker's --filter (filter.h). */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netbpf/netbpf.h>

#include "filter.h"

int nb_filters_add(struct nb_filters *f, const char *arg)
{
	const char **v = realloc(f->args, (f->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	f->args = v;
	f->args[f->n++] = arg;
	return 0;
}

void nb_filters_free(struct nb_filters *f)
{
	free(f->args);
	f->args = NULL;
	f->n = 0;
}

static size_t key_len(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq ? (size_t)(eq - arg) : strlen(arg);
}

static bool key_is(const char *arg, const char *key)
{
	size_t n = key_len(arg);

	return n == strlen(key) && !strncmp(arg, key, n) && arg[n] == '=';
}

int nb_filters_check(const struct nb_filters *f, const char *what, const char *const *accepted)
{
	char list[256] = "";
	size_t i, j, len = 0;

	for (j = 0; accepted[j]; j++)
		len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
					"%s%s", j ? ", " : "", accepted[j]);
	for (i = 0; i < f->n; i++) {
		const char *arg = f->args[i];

		/* the docker CLI's own check, before the daemon sees it */
		if (!strchr(arg, '=') || arg[0] == '=') {
			nb_errorf("%s: bad format of filter \"%s\" (expected name=value)", what, arg);
			return -EINVAL;
		}
		for (j = 0; accepted[j]; j++)
			if (key_is(arg, accepted[j]))
				break;
		if (!accepted[j]) {
			nb_errorf("%s: invalid filter '%.*s' (accepted: %s)", what, (int)key_len(arg),
				  arg, list);
			return -EINVAL;
		}
	}
	return 0;
}

bool nb_filters_has(const struct nb_filters *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (key_is(f->args[i], key))
			return true;
	return false;
}

const char **nb_filters_get(const struct nb_filters *f, const char *key, size_t *n)
{
	const char **v = calloc(f->n + 1, sizeof(*v));
	size_t i;

	*n = 0;
	for (i = 0; v && i < f->n; i++)
		if (key_is(f->args[i], key))
			v[(*n)++] = f->args[i] + strlen(key) + 1;
	return v;
}

bool nb_filters_exact(const struct nb_filters *f, const char *key, const char *s)
{
	size_t i;
	bool any = false;

	for (i = 0; i < f->n; i++) {
		if (!key_is(f->args[i], key))
			continue;
		any = true;
		if (!strcmp(f->args[i] + strlen(key) + 1, s))
			return true;
	}
	return !any;
}

bool nb_filters_regex(const struct nb_filters *f, const char *key, const char *s)
{
	size_t i;
	bool any = false;

	for (i = 0; i < f->n; i++) {
		const char *v;
		regex_t re;
		bool hit;

		if (!key_is(f->args[i], key))
			continue;
		any = true;
		v = f->args[i] + strlen(key) + 1;
		/* Docker: an exact match first, then the value as a pattern (a bad one never matches) */
		if (!strcmp(v, s))
			return true;
		if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB))
			continue;
		hit = !regexec(&re, s, 0, NULL, 0);
		regfree(&re);
		if (hit)
			return true;
	}
	return !any;
}

bool nb_filters_labels(const struct nb_filters *f, const char *key, const json_t *labels)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		const char *v, *eq;
		json_t *have;
		char *k;

		if (!key_is(f->args[i], key))
			continue;
		v = f->args[i] + strlen(key) + 1;
		eq = strchr(v, '=');
		k = strndup(v, eq ? (size_t)(eq - v) : strlen(v));
		have = k ? json_object_get(labels, k) : NULL;
		free(k);
		if (!have)
			return false;
		if (eq && (!json_is_string(have) || strcmp(json_string_value(have), eq + 1)))
			return false;
	}
	return true;
}
