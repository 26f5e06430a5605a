/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Docker's --filter KEY=VALUE for the ls and prune verbs, with Docker's
 * semantics (moby's api/types/filters): values of one key are alternatives
 * (label: all must hold), different keys must all hold; name and id match
 * as unanchored regular expressions (POSIX extended here, RE2 in Docker;
 * plain text matches the same), label=K and label=K=V against a labels
 * object. An unknown key is refused with Docker's wording, adapted:
 * `invalid filter 'x' (network ls accepts dangling, driver, ...)`.
 */
#ifndef NETBPF_FILTER_H
#define NETBPF_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct nb_filters {
	const char **args; /* as given: KEY=VALUE */
	size_t n;
};

/* Appends one --filter argument (not yet checked); -ENOMEM */
int nb_filters_add(struct nb_filters *f, const char *arg);
void nb_filters_free(struct nb_filters *f);

/*
 * Checks every argument's shape and key against accepted (NULL-terminated);
 * what names the verb in the message ("network ls"). 0 or -EINVAL (error slot set).
 */
int nb_filters_check(const struct nb_filters *f, const char *what, const char *const *accepted);

bool nb_filters_has(const struct nb_filters *f, const char *key);
/* the values of key, in order (NULL-terminated, malloc'd array of pointers into f) */
const char **nb_filters_get(const struct nb_filters *f, const char *key, size_t *n);

/* true when key is absent or any value equals s */
bool nb_filters_exact(const struct nb_filters *f, const char *key, const char *s);
/* true when key is absent or any value, as a regular expression, matches inside s */
bool nb_filters_regex(const struct nb_filters *f, const char *key, const char *s);
/* true when key is absent or every value K / K=V holds in labels (a JSON object of strings) */
bool nb_filters_labels(const struct nb_filters *f, const char *key, const json_t *labels);

#endif
