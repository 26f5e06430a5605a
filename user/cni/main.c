// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netbpf-cni: the CNI plugin "netbpf". A runtime runs it with CNI_COMMAND
 * and the other CNI_* variables in the environment and the network
 * configuration on stdin; it prints the result (ADD), VERSION's answer or an
 * error object on stdout, nothing for a successful DEL, CHECK, STATUS or GC,
 * and exits 0 on success, 1 on failure. Log lines go to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cni.h"
#include "plugin.h"

#define STDIN_MAX (4 << 20) /* a configuration bigger than this is not one */

static const char *get_env(const char *name)
{
	return getenv(name);
}

static int read_stdin(char **out, size_t *len, struct nb_cni_err *e)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;

	if (!buf)
		return nb_cni_errorf(e, NB_CNI_ERR_IO, "out of memory");
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= STDIN_MAX) {
				free(buf);
				return nb_cni_errorf(e, NB_CNI_ERR_DECODE,
						     "network configuration on stdin: larger than "
						     "%d bytes",
						     STDIN_MAX);
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return nb_cni_errorf(e, NB_CNI_ERR_IO, "out of memory");
			}
			buf = p;
			cap *= 2;
		}
		r = read(STDIN_FILENO, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return nb_cni_errorf(e, NB_CNI_ERR_IO, "reading stdin: %s",
					     strerror(errno));
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

	if (s) {
		printf("%s\n", s);
		free(s);
	}
	fflush(stdout);
}

int main(void)
{
	struct nb_cni_err e = {0};
	struct nb_cni_conf conf = {0};
	struct nb_cni_env env;
	struct nb_cni_ctx ctx = {0};
	json_t *out = NULL;
	char *input = NULL;
	size_t len = 0;
	int err;

	err = nb_cni_env_parse(get_env, &env, &e);
	/* VERSION may come without a configuration (typed at a terminal, say) */
	if (!err && !(env.cmd == NB_CNI_VERSION && isatty(STDIN_FILENO)))
		err = read_stdin(&input, &len, &e);
	if (!err)
		err = nb_cni_conf_parse(input ? input : "", len, env.cmd, &conf, &e);
	if (!err && env.cmd == NB_CNI_VERSION) {
		out = nb_cni_version_json();
		goto done;
	}
	if (err)
		goto done;

	nb_cni_log_init();
	nb_cni_instance(&conf, &ctx.inst);
	ctx.env = &env;
	ctx.conf = &conf;
	ctx.err = &e;
	switch (env.cmd) {
	case NB_CNI_ADD:
		err = nb_cni_add(&ctx, &out);
		break;
	case NB_CNI_DEL:
		err = nb_cni_del(&ctx);
		break;
	case NB_CNI_CHECK:
		err = nb_cni_check(&ctx);
		break;
	case NB_CNI_STATUS:
		err = nb_cni_status(&ctx);
		break;
	case NB_CNI_GC:
		err = nb_cni_gc(&ctx);
		break;
	case NB_CNI_VERSION:
		break;
	}
done:
	if (err) {
		json_decref(out);
		out = nb_cni_error_json(conf.version, &e);
		fprintf(stderr, "netbpf-cni: %s %s: error %d: %s\n",
			env.command ? env.command : "(no command)",
			env.container_id ? env.container_id : "", e.code, e.msg);
	}
	if (out)
		print_json(out);
	json_decref(out);
	nb_cni_conf_free(&conf);
	free(input);
	return err ? 1 : 0;
}
