// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Conntrack read back for the packet tests: see flow.h. */
#include <string.h>

#include "pkt.h"
#include "flow.h"

struct flow_find {
	struct nb_nat_tuple orig;
	__u8 proto;
	bool found;
	struct nb_nat_flow f;
};

static int find_cb(const struct nb_nat_flow *f, void *arg)
{
	struct flow_find *ff = arg;

	if (f->proto == ff->proto && !memcmp(&f->orig, &ff->orig, sizeof(f->orig))) {
		ff->found = true;
		ff->f = *f;
		return 1;
	}
	return 0;
}

bool flow_find(const struct nb_maps *m, __u8 proto, __be32 s, __u16 sp, __be32 d, __u16 dp,
	       struct nb_nat_flow *out)
{
	struct flow_find ff = {.orig = {s, d, sp, dp}, .proto = proto};
	int err = nb_nat_ct_foreach(m, find_cb, &ff);

	if (err < 0)
		pkt_diag("nb_nat_ct_foreach: %s", strerror(-err));
	if (ff.found && out)
		*out = ff.f;
	return ff.found;
}
