// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * nbovl: the overlay data plane's map writers (user/lib/overlay.c) driven from
 * tests/e2e/68-overlay-dp.bats, which tests the tunnel between real hosts
 * without the control plane: it turns a network realized by `netbpfctl` into an
 * overlay network and writes the other hosts' endpoints, as the cluster agent
 * does from the store. The instance is NETBPF_PIN_DIR's (default /sys/fs/bpf/netbpf).
 *
 *   nbovl net NET_ID VNI                 the realized network NET_ID becomes overlay VNI
 *   nbovl put NET_ID VNI MAC IP HOST     a remote endpoint (HOST: its host's underlay address)
 *   nbovl del NET_ID MAC                 removes it
 *   nbovl host-gone HOST                 removes every remote endpoint on HOST, prints how many
 *   nbovl ls [NET_ID]                    "NET_ID VNI MAC IP HOST" per remote endpoint
 *   nbovl mtu                            nbvx0's MTU: what overlay endpoints get
 * Errors: the library's error slot on stderr, exit 1; usage: exit 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <netbpf/netbpf.h>

static int usage(void)
{
	fprintf(stderr, "usage: nbovl net NET_ID VNI | put NET_ID VNI MAC IP HOST | del NET_ID MAC "
			"| host-gone HOST | ls [NET_ID] | mtu\n");
	return 2;
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || end == s || n > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6
		   ? 0
		   : -EINVAL;
}

static int parse_ip(const char *s, __be32 *ip)
{
	return inet_pton(AF_INET, s, ip) == 1 ? 0 : -EINVAL;
}

/* The realized network becomes an overlay one: its entry (and so its ports) and nb_vni */
static int cmd_net(const struct nb_maps *m, uint32_t net_id, uint32_t vni)
{
	struct nb_network net;
	int err;

	err = nb_map_get(m->networks, &net_id, &net);
	if (err)
		return nb_error(err, "network %u: not realized: %s", net_id, strerror(-err));
	net.vni = vni;
	net.flags |= NB_NET_F_OVERLAY;
	err = nb_maps_network_put(m, net_id, &net);
	if (err)
		return nb_error(err, "network %u: cannot put it: %s", net_id, strerror(-err));
	return nb_overlay_net_set(m, net_id, vni);
}

static int cmd_ls(const struct nb_maps *m, uint32_t net_id)
{
	char ip[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];
	struct nb_remote_ep *v;
	size_t n, i;
	int err;

	err = nb_remote_ep_list(m, net_id, &v, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		printf("%u %u %02x:%02x:%02x:%02x:%02x:%02x %s %s\n", v[i].net_id, v[i].vni,
		       v[i].mac[0], v[i].mac[1], v[i].mac[2], v[i].mac[3], v[i].mac[4], v[i].mac[5],
		       inet_ntop(AF_INET, &v[i].ip, ip, sizeof(ip)),
		       inet_ntop(AF_INET, &v[i].host, host, sizeof(host)));
	free(v);
	return 0;
}

static int cmd_mtu(void)
{
	struct nb_nl *nl;
	unsigned int mtu;
	int err;

	err = nb_nl_open(&nl);
	if (err)
		return nb_error(err, "cannot open a netlink socket: %s", strerror(-err));
	err = nb_overlay_dev_info(nl, NULL, &mtu);
	nb_nl_close(nl);
	if (err)
		return nb_error(err, "%s: %s", NB_VXLAN_DEV, strerror(-err));
	printf("%u\n", mtu);
	return 0;
}

int main(int argc, char **argv)
{
	struct nb_instance inst = {.pin_dir = getenv("NETBPF_PIN_DIR")};
	struct nb_remote_ep r = {0};
	struct nb_maps m;
	uint32_t net_id = 0, vni = 0;
	int err;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "mtu"))
		err = cmd_mtu();
	else {
		if (!inst.pin_dir)
			inst.pin_dir = "/sys/fs/bpf/netbpf";
		err = nb_dp_maps(&inst, &m);
		if (err)
			goto out;
		if (!strcmp(argv[1], "net") && argc == 4) {
			if (parse_u32(argv[2], &net_id) || parse_u32(argv[3], &vni))
				return usage();
			err = cmd_net(&m, net_id, vni);
		} else if (!strcmp(argv[1], "put") && argc == 7) {
			if (parse_u32(argv[2], &r.net_id) || parse_u32(argv[3], &r.vni) ||
			    parse_mac(argv[4], r.mac) || parse_ip(argv[5], &r.ip) ||
			    parse_ip(argv[6], &r.host))
				return usage();
			err = nb_remote_ep_put(&m, &r);
		} else if (!strcmp(argv[1], "del") && argc == 4) {
			if (parse_u32(argv[2], &r.net_id) || parse_mac(argv[3], r.mac))
				return usage();
			err = nb_remote_ep_del(&m, r.net_id, r.mac, 0);
		} else if (!strcmp(argv[1], "host-gone") && argc == 3) {
			if (parse_ip(argv[2], &r.host))
				return usage();
			err = nb_remote_host_clear(&m, r.host);
			if (err >= 0)
				printf("%d\n", err);
		} else if (!strcmp(argv[1], "ls") && argc <= 3) {
			if (argc == 3 && parse_u32(argv[2], &net_id))
				return usage();
			err = cmd_ls(&m, net_id);
		} else {
			return usage();
		}
		nb_maps_close(&m);
	}
out:
	if (err < 0) {
		fprintf(stderr, "nbovl: %s\n", nb_error_msg());
		return 1;
	}
	return 0;
}
