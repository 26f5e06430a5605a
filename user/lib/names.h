/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Object names and ids as Docker has them: names match
 * [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most NB_NAME_MAX bytes), ids are 64 random
 * lowercase hex digits shown as their first 12.
 */
#ifndef NETBPF_NAMES_H
#define NETBPF_NAMES_H

#include <stdbool.h>

#define NB_NAME_MAX 63
#define NB_ID_LEN 64
#define NB_SHORT_ID_LEN 12

/* 0, or -EINVAL with *why set to a static explanation ("must start with ...") */
int nb_name_check(const char *name, const char **why);
/* 64 lowercase hex digits from getrandom(); out has NB_ID_LEN + 1 bytes */
int nb_id_new(char out[NB_ID_LEN + 1]);
/* s is a non-empty string of lowercase hex digits no longer than an id */
bool nb_id_prefix_ok(const char *s);

#endif
