// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nbb-tcswap: puts a variant of a netbpf tc program in place of the one
 * netbpf attached, on the given interfaces of the netns it runs in, for the
 * benchmark's "cost of counting" case. The variant object is built from the
 * same bpf/NAME.bpf.c with the counters compiled out; it is opened with
 * pin_root_path = the instance's pin dir so that it shares every pinned map
 * with the running data plane (libbpf reuses maps pinned by name), and
 * attached with netbpf's own tc handle and priority, replacing its filter.
 *
 *   nbb-tcswap PIN_DIR OBJECT PROGRAM IFNAME...
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* netbpf's tc filter (user/lib/hooks.h: NB_TC_HANDLE, NB_TC_PRIORITY) */
#define NB_TC_HANDLE 0x4e42
#define NB_TC_PRIORITY 0x4e42

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *map;
	int i, err = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: nbb-tcswap PIN_DIR OBJECT PROGRAM IFNAME...\n");
		return 2;
	}
	oopts.pin_root_path = argv[1];
	obj = bpf_object__open_file(argv[2], &oopts);
	if (!obj) {
		err = -errno;
		fprintf(stderr, "nbb-tcswap: %s: cannot open: %s\n", argv[2], strerror(-err));
		return 1;
	}
	/*
	 * The instance sizes its maps at `up` (--max-endpoints, --ct-size, ...):
	 * adopt every pinned map as it is, so the object's own max_entries do not
	 * make libbpf refuse the pin as incompatible.
	 */
	bpf_object__for_each_map(map, obj) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", argv[1], bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue; /* not pinned (the object's .rodata/.bss): created at load */
		err = bpf_map__reuse_fd(map, fd);
		close(fd);
		if (err) {
			fprintf(stderr, "nbb-tcswap: %s: cannot reuse %s: %s\n", argv[2], path,
				strerror(-err));
			goto cleanup;
		}
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "nbb-tcswap: %s: cannot load (pin dir %s): %s\n", argv[2], argv[1],
			strerror(-err));
		goto cleanup;
	}
	prog = bpf_object__find_program_by_name(obj, argv[3]);
	if (!prog) {
		err = -ENOENT;
		fprintf(stderr, "nbb-tcswap: %s: no program \"%s\"\n", argv[2], argv[3]);
		goto cleanup;
	}
	for (i = 4; i < argc; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, topts, .handle = NB_TC_HANDLE, .priority = NB_TC_PRIORITY,
			    .flags = BPF_TC_F_REPLACE);

		hook.ifindex = if_nametoindex(argv[i]);
		if (!hook.ifindex) {
			err = -errno;
			fprintf(stderr, "nbb-tcswap: interface %s: %s\n", argv[i], strerror(-err));
			goto cleanup;
		}
		topts.prog_fd = bpf_program__fd(prog);
		err = bpf_tc_attach(&hook, &topts);
		if (err) {
			fprintf(stderr, "nbb-tcswap: interface %s: cannot attach \"%s\": %s\n",
				argv[i], argv[3], strerror(-err));
			goto cleanup;
		}
	}
cleanup:
	/* the tc filters hold the program; the object's fds are not needed */
	bpf_object__close(obj);
	return err ? 1 : 0;
}
