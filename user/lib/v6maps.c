// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * IPv6 in the switch's maps: see v6maps.h. The writes themselves are
 * maps.c's (nb_maps_network_put()/nb_maps_endpoint_put()), so the IPv6
 * entries follow the same order and stale-entry rules as the IPv4 ones.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "mapio.h"
#include "v6maps.h"

static bool in6_zero(const struct in6_addr *a)
{
	return !a || IN6_IS_ADDR_UNSPECIFIED(a);
}

/* Is a inside prefix p/plen? */
static bool in6_in_prefix(const struct in6_addr *a, const struct in6_addr *p, uint8_t plen)
{
	uint8_t full = plen / 8, rest = plen % 8;

	if (memcmp(a->s6_addr, p->s6_addr, full))
		return false;
	if (!rest)
		return true;
	return ((a->s6_addr[full] ^ p->s6_addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int nb_net6_fill(struct nb_network *net, const struct in6_addr *subnet, uint8_t plen,
		 const struct in6_addr *gw)
{
	struct in6_addr masked = IN6ADDR_ANY_INIT;
	unsigned int i;

	if (!subnet) {
		memset(net->subnet6, 0, sizeof(net->subnet6));
		memset(net->gateway6, 0, sizeof(net->gateway6));
		net->prefixlen6 = 0;
		memset(net->pad6, 0, sizeof(net->pad6));
		net->flags &= ~NB_NET_F_IPV6;
		return 0;
	}
	if (!plen || plen > 128 || !gw || IN6_IS_ADDR_MULTICAST(subnet) ||
	    IN6_IS_ADDR_LINKLOCAL(subnet))
		return -EINVAL;
	for (i = 0; i < 16 && i * 8 < plen; i++)
		masked.s6_addr[i] = subnet->s6_addr[i];
	if (plen % 8)
		masked.s6_addr[plen / 8] &= (uint8_t)(0xff << (8 - plen % 8));
	/* host bits set: a typo for another network, refused rather than guessed */
	if (memcmp(&masked, subnet, sizeof(masked)))
		return -EINVAL;
	if (!in6_in_prefix(gw, subnet, plen) || !memcmp(gw, subnet, sizeof(*gw)))
		return -EINVAL;
	memcpy(net->subnet6, subnet->s6_addr, 16);
	memcpy(net->gateway6, gw->s6_addr, 16);
	net->prefixlen6 = plen;
	memset(net->pad6, 0, sizeof(net->pad6));
	net->flags |= NB_NET_F_IPV6;
	return 0;
}

int nb_port6_fill(struct nb_port *port, const struct in6_addr *ip6)
{
	if (in6_zero(ip6)) {
		memset(port->ip6, 0, sizeof(port->ip6));
		return 0;
	}
	if (IN6_IS_ADDR_MULTICAST(ip6) || IN6_IS_ADDR_LINKLOCAL(ip6) || IN6_IS_ADDR_LOOPBACK(ip6))
		return -EINVAL;
	memcpy(port->ip6, ip6->s6_addr, 16);
	return 0;
}

int nb_net6_set(const struct nb_maps *m, uint32_t net_id, const struct in6_addr *subnet,
		uint8_t plen, const struct in6_addr *gw)
{
	struct nb_network net;
	int err;

	err = nb_map_get(m->networks, &net_id, &net);
	if (err)
		return err;
	err = nb_net6_fill(&net, subnet, plen, gw);
	if (err)
		return err;
	return nb_maps_network_put(m, net_id, &net);
}

int nb_ep6_put(const struct nb_maps *m, uint32_t net_id, uint32_t ifindex,
	       const struct in6_addr *ip6, const uint8_t mac[6])
{
	struct nb_neigh6_key nk = {.net_id = net_id};
	struct nb_neigh_val nv;
	struct nb_port port;
	int err;

	err = nb_map_get(m->ports, &ifindex, &port);
	if (err)
		return err;
	if (port.kind != NB_PORT_ENDPOINT || port.net_id != net_id ||
	    memcmp(port.mac, mac, sizeof(port.mac)))
		return -EINVAL;
	err = nb_port6_fill(&port, ip6);
	if (err)
		return err;
	if (!in6_zero(ip6)) {
		memcpy(nk.ip6, ip6->s6_addr, sizeof(nk.ip6));
		if (!nb_map_get(m->neigh6, &nk, &nv) && nv.ifindex != ifindex)
			return -EEXIST;
	}
	return nb_maps_endpoint_put(m, ifindex, &port);
}

int nb_ep6_del(const struct nb_maps *m, uint32_t net_id, const struct in6_addr *ip6)
{
	struct nb_neigh6_key nk = {.net_id = net_id};
	struct nb_neigh_val nv;
	struct nb_port port;
	int err;

	if (in6_zero(ip6))
		return -EINVAL;
	memcpy(nk.ip6, ip6->s6_addr, sizeof(nk.ip6));
	err = nb_map_get(m->neigh6, &nk, &nv);
	if (err)
		return err == -ENOENT ? 0 : err;
	err = nb_map_get(m->ports, &nv.ifindex, &port);
	if (err == -ENOENT ||
	    (!err && (port.kind != NB_PORT_ENDPOINT || memcmp(port.ip6, nk.ip6, sizeof(nk.ip6)))))
		return nb_map_del(m->neigh6, &nk); /* a stray entry: nobody holds it */
	if (err)
		return err;
	memset(port.ip6, 0, sizeof(port.ip6));
	return nb_maps_endpoint_put(m, nv.ifindex, &port);
}

void nb_ip6_eui64(const uint8_t mac[6], struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[0] = 0xfe;
	out->s6_addr[1] = 0x80;
	out->s6_addr[8] = mac[0] ^ 0x02; /* the universal/local bit, inverted */
	out->s6_addr[9] = mac[1];
	out->s6_addr[10] = mac[2];
	out->s6_addr[11] = 0xff;
	out->s6_addr[12] = 0xfe;
	out->s6_addr[13] = mac[3];
	out->s6_addr[14] = mac[4];
	out->s6_addr[15] = mac[5];
}
