/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Packet-test harness shared by every tests/bpf/test_*.c: a private test
 * environment, frame builders, an independent checksum checker, a runner
 * around bpf_prog_test_run_opts() and a TAP reporter with ASSERT_* macros.
 *
 * API
 *
 *   Environment (call pkt_env_enter() first thing in main(), as root):
 *     int pkt_env_enter(struct pkt_env *env);
 *         unshare(CLONE_NEWNET | CLONE_NEWNS), loopback up, a bpffs mounted
 *         on a fresh temp dir: env->pin_dir. Objects opened with
 *         pin_root_path = env->pin_dir share their LIBBPF_PIN_BY_NAME maps
 *         exactly as under `netbpfctl up`, and nb_maps_open_pinned(env->pin_dir)
 *         reopens them as the CLI does. Nothing outside the process changes.
 *     int pkt_env_veth(const char *name, const char *peer, int *ifindex, int *peer_ifindex);
 *         a veth pair in the private netns, both ends up (BPF_PROG_TEST_RUN
 *         needs __sk_buff.ifindex to name a real device; clones sent by
 *         bpf_clone_redirect() really go out of it).
 *     void pkt_env_leave(struct pkt_env *env);   unmounts and removes the dir
 *   IPv6 is disabled on devices created in the private netns, so the kernel
 *   sends nothing on them by itself (no DAD, router or MLD chatter that
 *   would move counters under a test).
 *
 *   Live frames, for what BPF_PROG_TEST_RUN cannot feed (the kernel refuses
 *   an IPv4/IPv6 ethertype whose fixed header does not fit, yet a sandbox
 *   can send one with a packet socket):
 *     int pkt_tc_attach(int ifindex, int prog_fd);   clsact + tc ingress filter
 *     int pkt_tc_detach(int ifindex);                removes both
 *     int pkt_send(int ifindex, const void *frame, __u32 len);
 *         the frame as-is out of ifindex through an AF_PACKET socket: it
 *         reaches the tc ingress of the veth peer.
 *
 *   Building a frame (struct pkt: bytes + layer offsets). Addresses are
 *   __be32 (PKT_IP4(10, 1, 0, 2), a constant expression), ports and ids
 *   are host order:
 *     pkt_eth(p, dst, src, ETH_P_IP)        resets p, writes the Ethernet header
 *     pkt_arp(p, ARPOP_REQUEST, sha, spa, tha, tpa)
 *     pkt_ipv4(p, saddr, daddr, IPPROTO_TCP) 20-byte header, TTL 64, DF
 *     pkt_ipv6(p, saddr16, daddr16, nexthdr)
 *     pkt_tcp(p, sport, dport, seq, ack, TH_SYN)   TH_* from <netinet/tcp.h>
 *     pkt_udp(p, sport, dport)
 *     pkt_icmp(p, ICMP_ECHO, 0, id, seq)
 *     pkt_icmp6(p, type, code)               ICMPv6 type, code, checksum (the body: pkt_put)
 *     pkt_put(p, data, len)                  payload (data NULL: a byte pattern)
 *     pkt_finish(p)                          IPv4 tot_len, IPv6 payload length, UDP
 *                                            length, every checksum (ICMPv6 too)
 *     pkt_iph(p) pkt_tcph(p) pkt_udph(p) pkt_icmph(p) pkt_arph(p)  typed views
 *   Edit a finished frame (options, flags, bad lengths) through the views
 *   and call pkt_finish() again, or not, to keep a field wrong on purpose.
 *   p->udp_csum_zero = true makes pkt_finish() leave the UDP checksum 0.
 *
 *   Checking:
 *     int pkt_csum_check(const void *frame, __u32 len, char *why, size_t n);
 *         0 when the IPv4 header checksum and the TCP/UDP/ICMP checksum of an
 *         Ethernet frame are right, recomputed from scratch (RFC 1071) and
 *         never incrementally, so it cannot share a bug with the BPF code;
 *         a UDP checksum of 0 counts as valid. -EINVAL and a reason in why.
 *     int pkt_csum_check6(const void *frame, __u32 len, char *why, size_t n);
 *         the same for an IPv6 frame without extension headers: its payload
 *         length, and the ICMPv6/TCP/UDP checksum over the IPv6 pseudo-header.
 *     bool pkt_csum_ok(const void *frame, __u32 len)
 *         pkt_csum_check() (pkt_csum_check6() for an IPv6 frame) as a case's
 *         check: true, or false with the reason
 *         as a diagnostic line
 *     int pkt_run(int prog_fd, __u32 ifindex, const struct pkt *in, struct pkt_out *out);
 *         BPF_PROG_TEST_RUN with __sk_buff.ifindex = ifindex; out->verdict is
 *         the program's return value, out->frame the bytes it left. Returns
 *         0 or -errno from the syscall. pkt_run_raw() takes a buffer instead.
 *     const char *pkt_verdict_name(int verdict)   "TC_ACT_SHOT", ...
 *
 *   Reporting (TAP; `1..N` comes last, which TAP allows):
 *     bool pkt_tap(bool ok, const char *fmt, ...)  prints `ok N - name` or
 *         `not ok N - name`, numbering results in order; returns ok
 *     struct pkt_case { const char *name; int (*run)(void *ctx); };
 *     int pkt_run_cases(const struct pkt_case *cases, size_t n, void *ctx);
 *         pkt_tap() for each case (a case fails when run() returns non-zero);
 *         returns the number of failures. Cases and pkt_tap() mix freely.
 *     int pkt_tap_done(void)   prints the plan `1..N`; returns the number of
 *         failures so far, main() exits 1 when it is non-zero:
 *             return pkt_tap_done() ? 1 : 0;
 *     pkt_diag(fmt, ...)                     a `# ...` diagnostic line
 *     ASSERT_EQ(a, b, what) ASSERT_NEQ ASSERT_OK(err, what) ASSERT_TRUE(c, what)
 *     ASSERT_MEMEQ(got, want, len, what)     hexdump of both around the first difference
 *     ASSERT_VERDICT(got, want, what)        prints verdict names
 *   Headers: pkt.h brings glibc's <net/ethernet.h>, <net/if_arp.h> and
 *   <netinet/{in,ip,ip6,ip_icmp,tcp,udp}.h> (libnl needs them, and they clash
 *   with <linux/ip.h>, <linux/tcp.h>, <linux/if_arp.h>: do not include those).
 *
 *   Each ASSERT_* evaluates to true when it holds and prints why when not,
 *   so cases read as selftests do:
 *       if (!ASSERT_EQ(out.verdict, TC_ACT_SHOT, "verdict"))
 *               return -1;
 */
#ifndef NETBPF_TESTS_PKT_H
#define NETBPF_TESTS_PKT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/types.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <linux/pkt_cls.h>

/* big enough for a full 1500-byte MTU frame plus room for programs that grow it */
#define PKT_MAX 2048

/* an IPv4 address in network order, usable in static initializers */
#define PKT_HOST4(a, b, c, d)                                                                      \
	(((__u32)(a) << 24) | ((__u32)(b) << 16) | ((__u32)(c) << 8) | (__u32)(d))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PKT_IP4(a, b, c, d) ((__be32)__builtin_bswap32(PKT_HOST4(a, b, c, d)))
#else
#define PKT_IP4(a, b, c, d) ((__be32)PKT_HOST4(a, b, c, d))
#endif

/* ARP body for Ethernet/IPv4 (linux/if_arp.h only has the fixed part) */
struct pkt_arphdr {
	struct arphdr hdr;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

struct pkt {
	__u8 data[PKT_MAX];
	__u32 len;
	__u16 l3;	     /* offset of the ARP/IPv4/IPv6 header, 0 when none */
	__u16 l4;	     /* offset of the TCP/UDP/ICMP header, 0 when none */
	__u8 l3_proto_is_v4; /* l3 is an IPv4 header */
	__u8 l4_proto;	     /* IPPROTO_* at l4, 0 when none */
	bool udp_csum_zero;  /* pkt_finish() leaves the UDP checksum 0 */
};

struct pkt_out {
	int verdict; /* the program's return value */
	__u32 len;   /* bytes in frame */
	__u8 frame[PKT_MAX];
};

struct pkt_env {
	char pin_dir[PATH_MAX]; /* bpffs, private to the test */
	bool mounted;
};

int pkt_env_enter(struct pkt_env *env);
/* Writes text to a /proc or /sys file: 0 or -errno */
int pkt_write_file(const char *path, const char *text);
/* A permanent neighbour entry ip -> mac on ifindex, in the current netns */
int pkt_neigh_add(int ifindex, __be32 ip, const __u8 *mac);
int pkt_env_veth(const char *name, const char *peer, int *ifindex, int *peer_ifindex);
void pkt_env_leave(struct pkt_env *env);
int pkt_tc_attach(int ifindex, int prog_fd);
int pkt_tc_detach(int ifindex);
int pkt_send(int ifindex, const void *frame, __u32 len);

void pkt_eth(struct pkt *p, const __u8 dst[ETH_ALEN], const __u8 src[ETH_ALEN], __u16 proto);
void pkt_arp(struct pkt *p, __u16 op, const __u8 sha[ETH_ALEN], __be32 spa,
	     const __u8 tha[ETH_ALEN], __be32 tpa);
void pkt_ipv4(struct pkt *p, __be32 saddr, __be32 daddr, __u8 proto);
void pkt_ipv6(struct pkt *p, const __u8 saddr[16], const __u8 daddr[16], __u8 nexthdr);
void pkt_tcp(struct pkt *p, __u16 sport, __u16 dport, __u32 seq, __u32 ack, __u8 flags);
void pkt_udp(struct pkt *p, __u16 sport, __u16 dport);
void pkt_icmp(struct pkt *p, __u8 type, __u8 code, __u16 id, __u16 seq);
void pkt_icmp6(struct pkt *p, __u8 type, __u8 code);
void pkt_put(struct pkt *p, const void *data, __u32 len);
void pkt_finish(struct pkt *p);

struct ethhdr *pkt_ethh(struct pkt *p);
struct pkt_arphdr *pkt_arph(struct pkt *p);
struct iphdr *pkt_iph(struct pkt *p);
struct ip6_hdr *pkt_ip6h(struct pkt *p);
struct tcphdr *pkt_tcph(struct pkt *p);
struct udphdr *pkt_udph(struct pkt *p);
struct icmphdr *pkt_icmph(struct pkt *p);

/* RFC 1071 sum of len bytes, folded, not inverted; start with 0 */
__u32 pkt_csum_add(__u32 sum, const void *data, size_t len);
__u16 pkt_csum_fold(__u32 sum);
int pkt_csum_check(const void *frame, __u32 len, char *why, size_t n);
int pkt_csum_check6(const void *frame, __u32 len, char *why, size_t n);
bool pkt_csum_ok(const void *frame, __u32 len);

int pkt_run(int prog_fd, __u32 ifindex, const struct pkt *in, struct pkt_out *out);
int pkt_run_raw(int prog_fd, __u32 ifindex, const void *in, __u32 len, struct pkt_out *out);
const char *pkt_verdict_name(int verdict);

/* ---- TAP ---------------------------------------------------------------- */

struct pkt_case {
	const char *name;
	int (*run)(void *ctx); /* 0 = pass */
};

bool pkt_tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pkt_run_cases(const struct pkt_case *cases, size_t n, void *ctx);
int pkt_tap_done(void);
void pkt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pkt_hexdiff(const void *got, const void *want, size_t len);

#define ASSERT_EQ(actual, expected, what)                                                          \
	({                                                                                         \
		long long __a = (long long)(actual), __e = (long long)(expected);                  \
		bool __ok = __a == __e;                                                            \
		if (!__ok)                                                                         \
			pkt_diag("%s:%d: %s: got %lld (0x%llx), expected %lld (0x%llx)", __FILE__, \
				 __LINE__, (what), __a, (unsigned long long)__a, __e,              \
				 (unsigned long long)__e);                                         \
		__ok;                                                                              \
	})

#define ASSERT_NEQ(actual, unexpected, what)                                                       \
	({                                                                                         \
		long long __a = (long long)(actual), __u = (long long)(unexpected);                \
		bool __ok = __a != __u;                                                            \
		if (!__ok)                                                                         \
			pkt_diag("%s:%d: %s: got %lld, expected anything else", __FILE__,          \
				 __LINE__, (what), __a);                                           \
		__ok;                                                                              \
	})

#define ASSERT_TRUE(cond, what)                                                                    \
	({                                                                                         \
		bool __ok = !!(cond);                                                              \
		if (!__ok)                                                                         \
			pkt_diag("%s:%d: %s: '%s' is false", __FILE__, __LINE__, (what), #cond);   \
		__ok;                                                                              \
	})

#define ASSERT_OK(err, what)                                                                       \
	({                                                                                         \
		long long __r = (long long)(err);                                                  \
		bool __ok = __r == 0;                                                              \
		if (!__ok)                                                                         \
			pkt_diag("%s:%d: %s: error %lld%s%s", __FILE__, __LINE__, (what), __r,     \
				 __r < 0 ? ": " : "", __r < 0 ? strerror((int)-__r) : "");         \
		__ok;                                                                              \
	})

#define ASSERT_MEMEQ(got, want, len, what)                                                         \
	({                                                                                         \
		size_t __n = (len);                                                                \
		bool __ok = memcmp((got), (want), __n) == 0;                                       \
		if (!__ok) {                                                                       \
			pkt_diag("%s:%d: %s: bytes differ", __FILE__, __LINE__, (what));           \
			pkt_hexdiff((got), (want), __n);                                           \
		}                                                                                  \
		__ok;                                                                              \
	})

#define ASSERT_VERDICT(got, want, what)                                                            \
	({                                                                                         \
		int __g = (got), __w = (want);                                                     \
		bool __ok = __g == __w;                                                            \
		if (!__ok)                                                                         \
			pkt_diag("%s:%d: %s: got %s (%d), expected %s (%d)", __FILE__, __LINE__,   \
				 (what), pkt_verdict_name(__g), __g, pkt_verdict_name(__w), __w);  \
		__ok;                                                                              \
	})

#endif
