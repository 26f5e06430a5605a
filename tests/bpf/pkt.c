// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Packet-test harness: see pkt.h for the API. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>

#include "pkt.h"

/* ---- environment ------------------------------------------------------- */

static int link_up(const char *name)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
		goto cleanup;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
cleanup:
	close(fd);
	return err;
}

int pkt_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

int pkt_neigh_add(int ifindex, __be32 ip, const __u8 *mac)
{
	struct nl_addr *dst = NULL, *ll = NULL;
	struct rtnl_neigh *n = NULL;
	struct nl_sock *sk;
	int err = -ENOMEM;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		err = -ECONNREFUSED;
		goto cleanup;
	}
	n = rtnl_neigh_alloc();
	dst = nl_addr_build(AF_INET, &ip, 4);
	ll = nl_addr_build(AF_LLC, mac, ETH_ALEN);
	if (!n || !dst || !ll)
		goto cleanup;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_lladdr(n, ll);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	err = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE) < 0 ? -EIO : 0;
cleanup:
	nl_addr_put(ll);
	nl_addr_put(dst);
	rtnl_neigh_put(n);
	nl_socket_free(sk);
	return err;
}

int pkt_env_enter(struct pkt_env *env)
{
	int err;

	memset(env, 0, sizeof(*env));
	if (geteuid() != 0) {
		fprintf(stderr, "packet tests need root (BPF_PROG_TEST_RUN, namespaces)\n");
		return -EPERM;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		err = -errno;
		fprintf(stderr, "unshare(CLONE_NEWNET | CLONE_NEWNS): %s\n", strerror(-err));
		return err;
	}
	/* keep the bpffs mount below out of the machine's mount table */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		err = -errno;
		fprintf(stderr, "making / private: %s\n", strerror(-err));
		return err;
	}
	/* devices created from now on stay silent: no IPv6 DAD/RS/MLD frames */
	err = pkt_write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	if (err && err != -ENOENT) {
		fprintf(stderr, "disabling IPv6 on new devices: %s\n", strerror(-err));
		return err;
	}
	err = link_up("lo");
	if (err) {
		fprintf(stderr, "lo up: %s\n", strerror(-err));
		return err;
	}
	snprintf(env->pin_dir, sizeof(env->pin_dir), "/tmp/nbpkt.XXXXXX");
	if (!mkdtemp(env->pin_dir)) {
		err = -errno;
		fprintf(stderr, "mkdtemp: %s\n", strerror(-err));
		return err;
	}
	if (mount("bpffs", env->pin_dir, "bpf", 0, "mode=0700") < 0) {
		err = -errno;
		fprintf(stderr, "mounting bpffs on %s: %s\n", env->pin_dir, strerror(-err));
		rmdir(env->pin_dir);
		return err;
	}
	env->mounted = true;
	return 0;
}

int pkt_env_veth(const char *name, const char *peer, int *ifindex, int *peer_ifindex)
{
	struct nl_sock *sk;
	int err;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		fprintf(stderr, "netlink: %s\n", nl_geterror(err));
		err = -ECONNREFUSED;
		goto cleanup;
	}
	err = rtnl_link_veth_add(sk, name, peer, getpid());
	if (err < 0) {
		fprintf(stderr, "veth %s/%s: %s\n", name, peer, nl_geterror(err));
		err = -EIO;
		goto cleanup;
	}
	err = link_up(name);
	if (!err)
		err = link_up(peer);
	if (err) {
		fprintf(stderr, "veth %s/%s up: %s\n", name, peer, strerror(-err));
		goto cleanup;
	}
	*ifindex = if_nametoindex(name);
	*peer_ifindex = if_nametoindex(peer);
	if (!*ifindex || !*peer_ifindex)
		err = -ENODEV;
cleanup:
	nl_socket_free(sk);
	return err;
}

void pkt_env_leave(struct pkt_env *env)
{
	if (env->mounted && umount2(env->pin_dir, MNT_DETACH) == 0)
		rmdir(env->pin_dir);
	env->mounted = false;
}

int pkt_tc_attach(int ifindex, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = 1, .priority = 1);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

int pkt_tc_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	/* destroying clsact takes its filters with it */
	return bpf_tc_hook_destroy(&hook);
}

int pkt_send(int ifindex, const void *frame, __u32 len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
	int fd, err = 0;
	ssize_t n;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	if (n < 0)
		err = -errno;
	else if (n != (ssize_t)len)
		err = -EIO;
	close(fd);
	return err;
}

/* ---- builders ---------------------------------------------------------- */

static void *pkt_append(struct pkt *p, __u32 len)
{
	void *at;

	if (p->len + len > sizeof(p->data)) {
		fprintf(stderr, "pkt: frame would exceed %d bytes\n", PKT_MAX);
		abort();
	}
	at = p->data + p->len;
	memset(at, 0, len);
	p->len += len;
	return at;
}

void pkt_eth(struct pkt *p, const __u8 dst[ETH_ALEN], const __u8 src[ETH_ALEN], __u16 proto)
{
	struct ethhdr *eth;

	memset(p, 0, sizeof(*p));
	eth = pkt_append(p, sizeof(*eth));
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(proto);
}

void pkt_arp(struct pkt *p, __u16 op, const __u8 sha[ETH_ALEN], __be32 spa,
	     const __u8 tha[ETH_ALEN], __be32 tpa)
{
	struct pkt_arphdr *arp;

	p->l3 = p->len;
	arp = pkt_append(p, sizeof(*arp));
	arp->hdr.ar_hrd = htons(ARPHRD_ETHER);
	arp->hdr.ar_pro = htons(ETH_P_IP);
	arp->hdr.ar_hln = ETH_ALEN;
	arp->hdr.ar_pln = 4;
	arp->hdr.ar_op = htons(op);
	memcpy(arp->sha, sha, ETH_ALEN);
	arp->spa = spa;
	memcpy(arp->tha, tha, ETH_ALEN);
	arp->tpa = tpa;
}

void pkt_ipv4(struct pkt *p, __be32 saddr, __be32 daddr, __u8 proto)
{
	struct iphdr *iph;

	p->l3 = p->len;
	p->l3_proto_is_v4 = 1;
	iph = pkt_append(p, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->frag_off = htons(0x4000); /* DF */
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
}

void pkt_ipv6(struct pkt *p, const __u8 saddr[16], const __u8 daddr[16], __u8 nexthdr)
{
	struct ip6_hdr *ip6;

	p->l3 = p->len;
	ip6 = pkt_append(p, sizeof(*ip6));
	ip6->ip6_flow = htonl(6U << 28);
	ip6->ip6_nxt = nexthdr;
	ip6->ip6_hlim = 64;
	memcpy(&ip6->ip6_src, saddr, 16);
	memcpy(&ip6->ip6_dst, daddr, 16);
}

void pkt_tcp(struct pkt *p, __u16 sport, __u16 dport, __u32 seq, __u32 ack, __u8 flags)
{
	struct tcphdr *th;

	p->l4 = p->len;
	p->l4_proto = IPPROTO_TCP;
	th = pkt_append(p, sizeof(*th));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = sizeof(*th) / 4;
	((__u8 *)th)[13] = flags;
	th->window = htons(64240);
}

void pkt_udp(struct pkt *p, __u16 sport, __u16 dport)
{
	struct udphdr *uh;

	p->l4 = p->len;
	p->l4_proto = IPPROTO_UDP;
	uh = pkt_append(p, sizeof(*uh));
	uh->source = htons(sport);
	uh->dest = htons(dport);
}

void pkt_icmp(struct pkt *p, __u8 type, __u8 code, __u16 id, __u16 seq)
{
	struct icmphdr *ic;

	p->l4 = p->len;
	p->l4_proto = IPPROTO_ICMP;
	ic = pkt_append(p, sizeof(*ic));
	ic->type = type;
	ic->code = code;
	ic->un.echo.id = htons(id);
	ic->un.echo.sequence = htons(seq);
}

void pkt_icmp6(struct pkt *p, __u8 type, __u8 code)
{
	__u8 *h;

	p->l4 = p->len;
	p->l4_proto = IPPROTO_ICMPV6;
	h = pkt_append(p, 4);
	h[0] = type;
	h[1] = code;
	h[2] = h[3] = 0;
}

void pkt_put(struct pkt *p, const void *data, __u32 len)
{
	__u8 *at = pkt_append(p, len);
	__u32 i;

	if (data) {
		memcpy(at, data, len);
		return;
	}
	for (i = 0; i < len; i++)
		at[i] = (__u8)('a' + i % 26);
}

struct ethhdr *pkt_ethh(struct pkt *p)
{
	return (struct ethhdr *)p->data;
}

struct pkt_arphdr *pkt_arph(struct pkt *p)
{
	return (struct pkt_arphdr *)(p->data + p->l3);
}

struct iphdr *pkt_iph(struct pkt *p)
{
	return (struct iphdr *)(p->data + p->l3);
}

struct ip6_hdr *pkt_ip6h(struct pkt *p)
{
	return (struct ip6_hdr *)(p->data + p->l3);
}

struct tcphdr *pkt_tcph(struct pkt *p)
{
	return (struct tcphdr *)(p->data + p->l4);
}

struct udphdr *pkt_udph(struct pkt *p)
{
	return (struct udphdr *)(p->data + p->l4);
}

struct icmphdr *pkt_icmph(struct pkt *p)
{
	return (struct icmphdr *)(p->data + p->l4);
}

/* ---- checksums: from scratch, RFC 1071 --------------------------------- */

__u32 pkt_csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

__u16 pkt_csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* one's complement sum of the IPv4 pseudo header and the L4 segment */
static __u16 l4_csum(const struct iphdr *iph, const void *l4, __u32 l4_len)
{
	__u8 pseudo[12];
	__u32 sum;

	memcpy(pseudo, &iph->saddr, 4);
	memcpy(pseudo + 4, &iph->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = iph->protocol;
	pseudo[10] = l4_len >> 8;
	pseudo[11] = l4_len & 0xff;
	sum = pkt_csum_add(0, pseudo, sizeof(pseudo));
	sum = pkt_csum_add(sum, l4, l4_len);
	return pkt_csum_fold(sum);
}

/* one's complement sum of the IPv6 pseudo header (RFC 8200 8.1) and the upper-layer packet */
static __u16 l4_csum6(const struct ip6_hdr *ip6, __u8 proto, const void *l4, __u32 l4_len)
{
	__u8 pseudo[40] = {};
	__u32 sum;

	memcpy(pseudo, &ip6->ip6_src, 16);
	memcpy(pseudo + 16, &ip6->ip6_dst, 16);
	pseudo[32] = l4_len >> 24;
	pseudo[33] = (l4_len >> 16) & 0xff;
	pseudo[34] = (l4_len >> 8) & 0xff;
	pseudo[35] = l4_len & 0xff;
	pseudo[39] = proto;
	sum = pkt_csum_add(0, pseudo, sizeof(pseudo));
	sum = pkt_csum_add(sum, l4, l4_len);
	return pkt_csum_fold(sum);
}

static void finish6(struct pkt *p)
{
	struct ip6_hdr *ip6 = pkt_ip6h(p);
	__u16 sum;
	__u8 *c;

	ip6->ip6_plen = htons(p->len - p->l3 - sizeof(struct ip6_hdr));
	if (p->l4 && p->l4_proto == IPPROTO_UDP) {
		pkt_udph(p)->len = htons(p->len - p->l4);
		c = p->data + p->l4 + 6;
	} else if (p->l4 && p->l4_proto == IPPROTO_TCP) {
		c = p->data + p->l4 + 16;
	} else if (p->l4 && p->l4_proto == IPPROTO_ICMPV6) {
		c = p->data + p->l4 + 2;
	} else {
		return;
	}
	c[0] = c[1] = 0;
	sum = (__u16)~l4_csum6(ip6, p->l4_proto, p->data + p->l4, p->len - p->l4);
	/* UDP over IPv6: a computed 0 is sent as all ones (RFC 8200 8.1) */
	if (!sum && p->l4_proto == IPPROTO_UDP)
		sum = 0xffff;
	*(__u16 *)c = htons(sum);
}

void pkt_finish(struct pkt *p)
{
	struct iphdr *iph;
	__u32 l4_len;
	__u16 c;

	if (!p->l3 || !p->l3_proto_is_v4) {
		if (p->l3 && !p->l3_proto_is_v4 && pkt_ethh(p)->h_proto == htons(ETH_P_IPV6))
			finish6(p);
		return;
	}
	iph = pkt_iph(p);
	iph->tot_len = htons(p->len - p->l3);
	iph->check = 0;
	iph->check = htons((__u16)~pkt_csum_fold(pkt_csum_add(0, iph, iph->ihl * 4)));
	if (!p->l4)
		return;
	l4_len = p->len - p->l4;
	switch (p->l4_proto) {
	case IPPROTO_TCP:
		pkt_tcph(p)->check = 0;
		pkt_tcph(p)->check = htons((__u16)~l4_csum(iph, pkt_tcph(p), l4_len));
		break;
	case IPPROTO_UDP:
		pkt_udph(p)->len = htons(l4_len);
		pkt_udph(p)->check = 0;
		if (p->udp_csum_zero)
			break;
		c = (__u16)~l4_csum(iph, pkt_udph(p), l4_len);
		/* RFC 768: a computed 0 is sent as all ones, 0 means "no checksum" */
		pkt_udph(p)->check = htons(c ? c : 0xffff);
		break;
	case IPPROTO_ICMP:
		pkt_icmph(p)->checksum = 0;
		pkt_icmph(p)->checksum =
		    htons((__u16)~pkt_csum_fold(pkt_csum_add(0, pkt_icmph(p), l4_len)));
		break;
	}
}

int pkt_csum_check(const void *frame, __u32 len, char *why, size_t n)
{
	const __u8 *b = frame;
	struct iphdr iph;
	__u32 ihl, tot, l4_len;
	const __u8 *l4;
	__u16 sum;

	if (len < ETH_HLEN + sizeof(iph)) {
		snprintf(why, n, "frame of %u bytes has no IPv4 header", len);
		return -EINVAL;
	}
	if (((const struct ethhdr *)b)->h_proto != htons(ETH_P_IP)) {
		snprintf(why, n, "not IPv4 (ethertype 0x%04x)",
			 ntohs(((const struct ethhdr *)b)->h_proto));
		return -EINVAL;
	}
	memcpy(&iph, b + ETH_HLEN, sizeof(iph));
	ihl = iph.ihl * 4;
	tot = ntohs(iph.tot_len);
	if (ihl < sizeof(iph) || tot < ihl || ETH_HLEN + tot > len) {
		snprintf(why, n, "IPv4 ihl %u / tot_len %u do not fit a %u-byte frame", ihl, tot,
			 len);
		return -EINVAL;
	}
	sum = pkt_csum_fold(pkt_csum_add(0, b + ETH_HLEN, ihl));
	if (sum != 0xffff) {
		snprintf(why, n, "IPv4 header checksum 0x%04x is wrong (sum 0x%04x)",
			 ntohs(iph.check), sum);
		return -EINVAL;
	}
	/* only a first fragment carries the L4 header, and then not all of its data */
	if (ntohs(iph.frag_off) & 0x3fff)
		return 0;
	l4 = b + ETH_HLEN + ihl;
	l4_len = tot - ihl;
	switch (iph.protocol) {
	case IPPROTO_TCP:
		if (l4_len < sizeof(struct tcphdr)) {
			snprintf(why, n, "TCP header truncated");
			return -EINVAL;
		}
		sum = l4_csum(&iph, l4, l4_len);
		break;
	case IPPROTO_UDP:
		if (l4_len < sizeof(struct udphdr)) {
			snprintf(why, n, "UDP header truncated");
			return -EINVAL;
		}
		if (((const struct udphdr *)l4)->check == 0)
			return 0;
		sum = l4_csum(&iph, l4, l4_len);
		break;
	case IPPROTO_ICMP:
		if (l4_len < sizeof(struct icmphdr)) {
			snprintf(why, n, "ICMP header truncated");
			return -EINVAL;
		}
		sum = pkt_csum_fold(pkt_csum_add(0, l4, l4_len));
		break;
	default:
		return 0;
	}
	if (sum != 0xffff) {
		snprintf(why, n, "%s checksum is wrong (sum 0x%04x)",
			 iph.protocol == IPPROTO_TCP   ? "TCP"
			 : iph.protocol == IPPROTO_UDP ? "UDP"
						       : "ICMP",
			 sum);
		return -EINVAL;
	}
	return 0;
}

bool pkt_csum_ok(const void *frame, __u32 len)
{
	bool v6 = len >= ETH_HLEN && ((const struct ethhdr *)frame)->h_proto == htons(ETH_P_IPV6);
	char why[128];

	if ((v6 ? pkt_csum_check6 : pkt_csum_check)(frame, len, why, sizeof(why))) {
		pkt_diag("checksum: %s", why);
		return false;
	}
	return true;
}

int pkt_csum_check6(const void *frame, __u32 len, char *why, size_t n)
{
	const __u8 *b = frame;
	struct ip6_hdr ip6;
	__u32 plen;
	__u16 sum;

	if (len < ETH_HLEN + sizeof(ip6) ||
	    ((const struct ethhdr *)b)->h_proto != htons(ETH_P_IPV6)) {
		snprintf(why, n, "frame of %u bytes has no IPv6 header", len);
		return -EINVAL;
	}
	memcpy(&ip6, b + ETH_HLEN, sizeof(ip6));
	plen = ntohs(ip6.ip6_plen);
	if (ETH_HLEN + sizeof(ip6) + plen != len) {
		snprintf(why, n, "IPv6 payload length %u does not fill a %u-byte frame", plen, len);
		return -EINVAL;
	}
	if (ip6.ip6_nxt != IPPROTO_ICMPV6 && ip6.ip6_nxt != IPPROTO_TCP &&
	    ip6.ip6_nxt != IPPROTO_UDP)
		return 0;
	sum = l4_csum6(&ip6, ip6.ip6_nxt, b + ETH_HLEN + sizeof(ip6), plen);
	if (sum != 0xffff) {
		snprintf(why, n, "IPv6 upper-layer checksum is wrong (sum 0x%04x)", sum);
		return -EINVAL;
	}
	return 0;
}

/* ---- running ----------------------------------------------------------- */

int pkt_run_raw(int prog_fd, __u32 ifindex, const void *in, __u32 len, struct pkt_out *out)
{
	struct __sk_buff ctx = {.ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out->frame, .data_size_out = sizeof(out->frame), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	memset(out, 0, sizeof(*out));
	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		return -errno;
	out->verdict = (int)opts.retval;
	out->len = opts.data_size_out;
	return 0;
}

int pkt_run(int prog_fd, __u32 ifindex, const struct pkt *in, struct pkt_out *out)
{
	return pkt_run_raw(prog_fd, ifindex, in->data, in->len, out);
}

const char *pkt_verdict_name(int verdict)
{
	switch (verdict) {
	case TC_ACT_UNSPEC:
		return "TC_ACT_UNSPEC";
	case TC_ACT_OK:
		return "TC_ACT_OK";
	case TC_ACT_SHOT:
		return "TC_ACT_SHOT";
	case TC_ACT_STOLEN:
		return "TC_ACT_STOLEN";
	case TC_ACT_REDIRECT:
		return "TC_ACT_REDIRECT";
	default:
		return "?";
	}
}

/* ---- TAP --------------------------------------------------------------- */

void pkt_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static void hexline(const char *tag, const __u8 *b, size_t from, size_t to, size_t mark)
{
	char line[256];
	size_t i, o = 0;

	o += snprintf(line + o, sizeof(line) - o, "%s %04zx:", tag, from);
	for (i = from; i < to && o + 5 < sizeof(line); i++)
		o += snprintf(line + o, sizeof(line) - o, i == mark ? "[%02x]" : " %02x", b[i]);
	pkt_diag("%s", line);
}

void pkt_hexdiff(const void *got, const void *want, size_t len)
{
	const __u8 *g = got, *w = want;
	size_t first, from, to;

	for (first = 0; first < len && g[first] == w[first]; first++)
		;
	if (first == len)
		return;
	from = first & ~(size_t)15;
	to = from + 32 < len ? from + 32 : len;
	pkt_diag("first difference at byte %zu", first);
	hexline("  got ", g, from, to, first);
	hexline("  want", w, from, to, first);
}

static unsigned int tap_count, tap_failed;

bool pkt_tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %u - ", ok ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	tap_failed += !ok;
	return ok;
}

int pkt_run_cases(const struct pkt_case *cases, size_t n, void *ctx)
{
	int failed = 0;
	size_t i;

	for (i = 0; i < n; i++)
		failed += !pkt_tap(cases[i].run(ctx) == 0, "%s", cases[i].name);
	return failed;
}

int pkt_tap_done(void)
{
	printf("1..%u\n", tap_count);
	fflush(stdout);
	return (int)tap_failed;
}
