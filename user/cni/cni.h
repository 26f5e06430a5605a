/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The CNI protocol as the netbpf plugin speaks it (CNI spec 1.0, plus 1.1's
 * STATUS and GC): the CNI_* environment, the network configuration read
 * from stdin, version negotiation, and the JSON the plugin prints (results,
 * VERSION's answer, errors with the spec's codes). Pure functions over
 * values: nothing here touches the store or the kernel (plugin.h does).
 *
 * Configuration keys, in the reference bridge plugin's spirit:
 *   name, cniVersion, type               the CNI network = the netbpf network of that name
 *   subnet, gateway, ipRange, mtu        the network's addressing (ipRange: a CIDR inside
 *                                        subnet; "ipam": {"subnet", "gateway", "rangeStart",
 *                                        "rangeEnd", "ranges"} of host-local's shape is read
 *                                        too: netbpf allocates the addresses itself);
 *                                        ipam.ranges may hold one IPv4 and one IPv6 range set
 *                                        (subnet and gateway): a dual-stack network
 *   ipMasq, isDefaultGateway             masquerade; default route via the gateway
 *   internal, icc                        netbpf's own (Docker's --internal, enable_icc)
 *   stateDir, pinDir, cgroup, uplinks    the instance (as NETBPF_STATE_DIR, NETBPF_PIN_DIR,
 *                                        NETBPF_CGROUP and `netbpfctl up --uplink`)
 *   dns                                  passed through into the result, with the
 *                                        gateway as nameserver when none is given
 *   runtimeConfig.portMappings           published ports (the portMappings capability); hostIP
 *                                        picks the families as the portmap plugin does
 *   runtimeConfig.ips                    a fixed address (the ips capability)
 *   cni.dev/valid-attachments            GC's list of attachments to keep
 * Keys the plugin does not know are ignored, as the spec allows; known keys
 * with values netbpf cannot honour are refused (code 2 or 7).
 */
#ifndef NETBPF_CNI_H
#define NETBPF_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <linux/types.h>

#include <jansson.h>
#include <netbpf/netbpf.h>

#define NB_CNI_VERSION_LATEST "1.1.0"

/* The spec's error codes; 100 and up are netbpf's own */
enum {
	NB_CNI_ERR_INCOMPATIBLE_VERSION = 1,
	NB_CNI_ERR_UNSUPPORTED_FIELD = 2,
	NB_CNI_ERR_UNKNOWN_CONTAINER = 3,
	NB_CNI_ERR_INVALID_ENV = 4,
	NB_CNI_ERR_IO = 5,
	NB_CNI_ERR_DECODE = 6,
	NB_CNI_ERR_INVALID_CONFIG = 7,
	NB_CNI_ERR_TRY_AGAIN = 11,
	NB_CNI_ERR_NOT_AVAILABLE = 50, /* STATUS: cannot serve ADD */
	NB_CNI_ERR_LIMITED = 51, /* STATUS: ... and existing containers may lose connectivity */
	NB_CNI_ERR_NETBPF = 100, /* netbpf refused or failed the operation: msg says why */
	NB_CNI_ERR_CHECK = 101,	 /* CHECK: the attachment is not what it should be */
};

struct nb_cni_err {
	int code;
	char msg[512];
	char details[2048];
};

/* Sets e (first error wins, so the cause is not overwritten by its consequences); -EINVAL */
int nb_cni_errorf(struct nb_cni_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* {"cniVersion", "code", "msg"[, "details"]} */
json_t *nb_cni_error_json(const char *version, const struct nb_cni_err *e);

/* ---- versions ------------------------------------------------------------ */

extern const char *const nb_cni_versions[]; /* supported, ascending, NULL-terminated */

/* -1, 0, 1 as a < b, a == b, a > b; unparsable versions sort first */
int nb_cni_version_cmp(const char *a, const char *b);
bool nb_cni_version_supported(const char *v);
/* VERSION's answer: {"cniVersion", "supportedVersions"} */
json_t *nb_cni_version_json(void);

/* ---- environment ---------------------------------------------------------- */

enum nb_cni_cmd {
	NB_CNI_ADD,
	NB_CNI_DEL,
	NB_CNI_CHECK,
	NB_CNI_VERSION,
	NB_CNI_STATUS,
	NB_CNI_GC,
};

struct nb_cni_env {
	enum nb_cni_cmd cmd;
	const char *command;	  /* CNI_COMMAND as given */
	const char *container_id; /* CNI_CONTAINERID */
	const char *netns;	  /* CNI_NETNS: may be NULL for DEL */
	const char *ifname;	  /* CNI_IFNAME */
	const char *args;	  /* CNI_ARGS, may be NULL */
	const char *path;	  /* CNI_PATH */
	__be32 arg_ip;		  /* CNI_ARGS IP=..., 0 when none */
	/* CNI_ARGS K8S_POD_NAME / K8S_POD_NAMESPACE (podman: the container's name): "" when none */
	char pod_name[256];
	char pod_ns[256];
};

/*
 * Reads the CNI_* variables through get (getenv in the plugin) and checks
 * that the command has what it needs, as libcni's skel does: code 4 for a
 * missing or malformed variable (container id or interface name with
 * characters the spec forbids, a relative CNI_NETNS, a CNI_ARGS IP that is
 * not an IPv4 address), code 4 for an unknown command too.
 */
int nb_cni_env_parse(const char *(*get)(const char *name), struct nb_cni_env *env,
		     struct nb_cni_err *e);

/* ---- configuration -------------------------------------------------------- */

enum { NB_CNI_PROTO_TCP = 6, NB_CNI_PROTO_UDP = 17 };

struct nb_cni_portmap {
	enum nb_family family;	  /* hostIP: none (""), IPv4 or IPv6 (portspec.h) */
	__be32 host_ip;		  /* NB_FAMILY_V4: the address (0.0.0.0 = every one) */
	struct in6_addr host_ip6; /* NB_FAMILY_V6: the address (:: = every one) */
	__u16 host_port;	  /* host order */
	__u16 container_port;	  /* host order */
	__u8 proto;		  /* NB_CNI_PROTO_* */
};

struct nb_cni_attachment_ref {
	const char *container_id;
	const char *ifname;
};

/* The parsed configuration; strings point into root (owned: nb_cni_conf_free) */
struct nb_cni_conf {
	json_t *root;
	char version[16];
	const char *name;
	const char *type;

	/* the network's settings; NULL / has_* false = not given */
	const char *subnet;
	const char *gateway;
	const char *ip_range;
	char ip_range_buf[20]; /* ip_range computed from rangeStart/rangeEnd */
	/* IPv6: the v6 range set of ipam.ranges (one v4 and one v6, as host-local takes them) */
	const char *subnet6;
	const char *gateway6;
	bool has_mtu, has_masq, has_default_gw, has_internal, has_icc;
	unsigned int mtu;
	bool masq, default_gw, internal, icc;

	/* the instance: NULL = the environment / the defaults */
	const char *state_dir;
	const char *pin_dir;
	const char *cgroup;
	const char **uplinks; /* malloc'd array of pointers into root */
	size_t nuplinks;

	json_t *dns;		      /* borrowed from root; NULL when not given */
	json_t *prev_result;	      /* borrowed; NULL when not given */
	struct nb_cni_portmap *ports; /* malloc'd */
	size_t nports;
	__be32 want_ip; /* runtimeConfig.ips, 0 when none */

	bool has_valid;			     /* cni.dev/valid-attachments was given (GC) */
	struct nb_cni_attachment_ref *valid; /* malloc'd, pointers into root */
	size_t nvalid;
};

/*
 * Parses the configuration for cmd. VERSION accepts an empty input. Codes:
 * 6 (not JSON, or not an object), 1 (cniVersion missing or unsupported, or
 * too old for CHECK/STATUS/GC), 7 (a required key missing, a value of the
 * wrong type or out of range, name not a valid netbpf network name), 2 (a
 * value netbpf cannot honour: several subnets, IPv6, an ipam type other
 * than host-local/netbpf, a protocol other than tcp/udp, ...).
 */
int nb_cni_conf_parse(const char *text, size_t len, enum nb_cni_cmd cmd, struct nb_cni_conf *c,
		      struct nb_cni_err *e);
void nb_cni_conf_free(struct nb_cni_conf *c);

/* ---- results -------------------------------------------------------------- */

/* What an ADD made, for the result */
struct nb_cni_attachment {
	const char *host_ifname;
	__u8 host_mac[6];
	const char *ifname;
	__u8 mac[6];
	const char *netns;
	__be32 ip;
	int prefix_len;
	__be32 gateway;
	bool default_route; /* the container's default route goes via gateway on ifname */
	struct in6_addr ip6; /* :: when the network has no IPv6 */
	int prefix6_len;
	struct in6_addr gateway6;
	unsigned int mtu;   /* 0: not reported */
	json_t *dns;	    /* borrowed, may be NULL */
};

/*
 * The result in version's shape: 1.x {"cniVersion", "interfaces": [host
 * side, container side with "sandbox"], "ips": [{"address", "gateway",
 * "interface"}], "routes", "dns"}; 0.3.x/0.4.0 add "version": "4" to each
 * ip; 1.1.0 adds each interface's "mtu".
 */
json_t *nb_cni_result_json(const char *version, const struct nb_cni_attachment *a);

#endif
