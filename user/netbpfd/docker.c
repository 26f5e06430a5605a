// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Docker's API over its unix socket, for names only (docker.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "docker.h"

#define API_VERSION "v1.41" /* Docker 20.10's */
#define MAX_ANSWER  (8 << 20)

int nbd_docker_get(const char *sock, const char *path, json_t **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 2};
	char req[512], *buf = NULL, *body, *p;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err = 0, status = 0;

	*out = NULL;
	if (!strncmp(sock, "unix://", 7))
		sock += 7;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto cleanup;
	}
	/* HTTP/1.0: the answer is the bytes until dockerd closes, never chunked */
	n = snprintf(req, sizeof(req), "GET /" API_VERSION "%s HTTP/1.0\r\nHost: docker\r\n\r\n",
		     path);
	if (n >= (ssize_t)sizeof(req) || write(fd, req, (size_t)n) != n) {
		err = n >= (ssize_t)sizeof(req) ? -ENAMETOOLONG : -EIO;
		goto cleanup;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if (cap > MAX_ANSWER || !(p = realloc(buf, cap + 1))) {
				err = -EFBIG;
				goto cleanup;
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto cleanup;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		err = -EPROTO;
		goto cleanup;
	}
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1 || status != 200 || !body) {
		err = -EPROTO;
		goto cleanup;
	}
	*out = json_loads(body + 4, 0, NULL);
	if (!*out)
		err = -EPROTO;
cleanup:
	free(buf);
	close(fd);
	return err;
}

int nbd_docker_network_name(const char *sock, const char *id, char **out)
{
	char path[128];
	json_t *j;
	int err;

	*out = NULL;
	snprintf(path, sizeof(path), "/networks/%s", id);
	err = nbd_docker_get(sock, path, &j);
	if (err)
		return err;
	*out = strdup(json_string_value(json_object_get(j, "Name")) ?: "");
	json_decref(j);
	return *out ? 0 : -ENOMEM;
}

int nbd_docker_endpoints(const char *sock, void (*fn)(const char *eid, const char *name, void *arg),
			 void *arg)
{
	json_t *list, *c, *nets, *net;
	const char *name, *key, *eid;
	size_t i;
	int err;

	err = nbd_docker_get(sock, "/containers/json?all=1", &list);
	if (err)
		return err;
	json_array_foreach(list, i, c)
	{
		/* Names: ["/web"]: the first without its slash */
		name = json_string_value(json_array_get(json_object_get(c, "Names"), 0));
		if (!name)
			continue;
		name += *name == '/';
		nets = json_object_get(json_object_get(c, "NetworkSettings"), "Networks");
		json_object_foreach(nets, key, net)
		{
			eid = json_string_value(json_object_get(net, "EndpointID"));
			if (eid && *eid)
				fn(eid, name, arg);
		}
	}
	json_decref(list);
	return 0;
}
