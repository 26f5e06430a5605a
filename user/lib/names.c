// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Docker's name rule and random ids (see names.h). Character classes are
 * spelled out in ASCII rather than taken from <ctype.h>, whose answers
 * depend on the locale.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "names.h"

#define STR_(x) #x
#define STR(x)	STR_(x)

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int nb_name_check(const char *name, const char **why)
{
	const char *reason = NULL;
	size_t len;

	if (!name || !name[0]) {
		reason = "must not be empty";
		goto out;
	}
	len = strnlen(name, NB_NAME_MAX + 1);
	if (len > NB_NAME_MAX) {
		reason = "must be at most " STR(NB_NAME_MAX) " characters long";
		goto out;
	}
	if (!is_alnum(name[0])) {
		reason = "must start with a letter or a digit";
		goto out;
	}
	for (size_t i = 1; i < len; i++) {
		if (!is_alnum(name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-') {
			reason = "may contain only letters, digits, '_', '.' and '-' "
				 "([a-zA-Z0-9][a-zA-Z0-9_.-]*)";
			goto out;
		}
	}
out:
	if (why)
		*why = reason;
	return reason ? -EINVAL : 0;
}

int nb_id_new(char out[NB_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[NB_ID_LEN / 2];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 0xf];
	}
	out[NB_ID_LEN] = '\0';
	return 0;
}

bool nb_id_prefix_ok(const char *s)
{
	size_t i;

	if (!s || !s[0])
		return false;
	for (i = 0; s[i]; i++)
		if (i >= NB_ID_LEN || !is_hex_lower(s[i]))
			return false;
	return true;
}
