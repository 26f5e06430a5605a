// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Device offload settings netbpf changes (ethtool.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "ethtool.h"
#include "netns.h"

struct tx_csum_op {
	const char *ifname;
	bool on;
};

static int tx_csum_op(void *arg)
{
	struct tx_csum_op *op = arg;
	struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = op->on};
	struct ifreq ifr;
	int fd, err = 0;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(op->ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	memcpy(ifr.ifr_name, op->ifname, strlen(op->ifname) + 1);
	ifr.ifr_data = (void *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int nb_dp_tx_csum_set(int netns_fd, const char *ifname, bool on)
{
	struct tx_csum_op op = {.ifname = ifname, .on = on};

	return nb_netns_run(netns_fd, tx_csum_op, &op);
}

bool nb_dp_link_is_veth(const char *ifname)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr;
	bool veth = false;
	int fd;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return false;
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	ifr.ifr_data = (void *)&info;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		veth = !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}
