#!/usr/bin/env python3
"""Does the kernel match the state? (tests/e2e/rel.bash: rel_consistent)

Derives from the database (<state>/netbpf.db) what the kernel must hold and
compares it with what it holds: the nb* devices of the host netns, the
instance's namespaces, each endpoint's address in its sandbox, the tc
programs on the ports, and the switch and publish maps entry by entry.
Prints every difference; exits 1 when there is one.

usage: rel_check.py STATE_DIR PIN_DIR HOST_NETNS NETNS_PREFIX
"""
import ipaddress
import json
import os
import socket
import sqlite3
import subprocess
import sys

state, pins, host, prefix = sys.argv[1:5]
problems = []


def bad(msg):
    problems.append(msg)


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        bad("%s: %s" % (" ".join(cmd), p.stderr.strip()))
        return []
    return json.loads(p.stdout or "[]")


def in_ns(ns, cmd):
    return ["nsenter", "--net=/run/netns/" + ns] + cmd


def addr(host_order):
    """a DB address (host order integer) as bpftool prints a map's address: its 4 bytes"""
    return tuple(socket.inet_aton(str(ipaddress.IPv4Address(host_order))))


# how bpftool names them (the maps' BTF: include/netbpf/abi.h, user/lib/btfview.h)
PORT_ENDPOINT, PORT_GATEWAY = "NB_PORT_ENDPOINT", "NB_PORT_GATEWAY"
PROTO = {socket.IPPROTO_TCP: "IPPROTO_TCP", socket.IPPROTO_UDP: "IPPROTO_UDP"}


def dump(m):
    d = run_json(["bpftool", "-j", "map", "dump", "pinned", os.path.join(pins, m)])
    return [e["formatted"] for e in d] if isinstance(d, list) else []


db = sqlite3.connect("file:%s/netbpf.db?mode=ro" % state, uri=True)
nets = {r[0]: r[1:] for r in db.execute(
    "SELECT id, name, net_id, gateway FROM networks WHERE driver = 'bridge'")}
sbs = {r[0]: r[1:] for r in db.execute("SELECT id, name, netns, owned FROM sandboxes")}
eps = [r for r in db.execute(
    "SELECT e.network_id, e.sandbox_id, e.ifname, e.host_ifname, e.ip, e.mac "
    "FROM endpoints e JOIN networks n ON n.id = e.network_id WHERE n.driver = 'bridge'")]
pubs = list(db.execute("SELECT sandbox_id, network_id, host_ip, host_port, sb_port, proto "
                       "FROM publish"))

# ---- devices of the host netns
links = {l["ifname"]: l for l in run_json(in_ns(host, ["ip", "-j", "link", "show"]))}
want_dev = {}
for nid, (name, net_id, gw) in nets.items():
    want_dev["nbg%d" % net_id] = "gateway of network %s" % name
    want_dev["nbp%d" % net_id] = "gateway port of network %s" % name
for e in eps:
    want_dev[e[3]] = "endpoint of sandbox %s" % sbs[e[1]][0]
have_dev = {n for n in links if n.startswith(("nbe", "nbg", "nbp"))}
for n in sorted(have_dev - set(want_dev)):
    bad("device %s is in the kernel but not in the state (leaked)" % n)
for n in sorted(set(want_dev) - have_dev):
    bad("device %s (%s) is in the state but not in the kernel" % (n, want_dev[n]))


def ifindex(n):
    return links[n]["ifindex"] if n in links else None


# ---- namespaces: every sandbox's netns exists, no netns of ours without a sandbox
have_ns = {n for n in os.listdir("/run/netns") if n.startswith(prefix)}
have_ns -= {prefix + "h", prefix + "w"}
want_ns = {os.path.basename(s[1]) for s in sbs.values() if s[1].startswith("/run/netns/")}
for n in sorted(have_ns - want_ns):
    bad("network namespace %s exists but no sandbox has it (leaked)" % n)
for n in sorted(want_ns - have_ns):
    bad("network namespace %s of a sandbox is gone" % n)
pending = os.path.join(state, "pending")
if os.path.isdir(pending) and os.listdir(pending):
    bad("intent files left in %s: %s" % (pending, os.listdir(pending)))

# ---- each endpoint's address in its sandbox, tc programs on every port
for e in eps:
    ns = os.path.basename(sbs[e[1]][1])
    if ns not in have_ns:
        continue
    addrs = run_json(in_ns(ns, ["ip", "-j", "-4", "addr", "show", "dev", e[2]]))
    ips = [a["local"] for l in addrs for a in l.get("addr_info", [])]
    if str(ipaddress.IPv4Address(e[4])) not in ips:
        bad("sandbox %s: %s lacks address %s (has %s)" % (sbs[e[1]][0], e[2],
                                                         ipaddress.IPv4Address(e[4]), ips))
for n in sorted(have_dev & set(want_dev)):
    if n.startswith("nbg"):
        continue
    f = subprocess.run(in_ns(host, ["tc", "filter", "show", "dev", n, "ingress"]),
                       capture_output=True, text=True).stdout
    if "bpf" not in f:
        bad("device %s has no BPF program on tc ingress" % n)

# ---- maps
want_ports, want_fdb, want_neigh, want_flood = {}, {}, {}, {}
for nid, (name, net_id, gw) in nets.items():
    p, g = ifindex("nbp%d" % net_id), ifindex("nbg%d" % net_id)
    want_ports[p] = (net_id, PORT_GATEWAY, addr(gw))
    gmac = [2, 0x42] + list(socket.inet_aton(str(ipaddress.IPv4Address(gw))))
    want_fdb[(net_id, tuple(gmac))] = g
    want_neigh[(net_id, addr(gw))] = g
    want_flood.setdefault(net_id, set())
for e in eps:
    net_id = nets[e[0]][1]
    i = ifindex(e[3])
    want_ports[i] = (net_id, PORT_ENDPOINT, addr(e[4]))
    want_fdb[(net_id, tuple(e[5]))] = i
    want_neigh[(net_id, addr(e[4]))] = i
    want_flood.setdefault(net_id, set()).add(i)

have_ports = {x["key"]: (x["value"]["net_id"], x["value"]["kind"], tuple(x["value"]["ip"]))
              for x in dump("nb_ports")}
have_fdb = {(x["key"]["net_id"], tuple(x["key"]["mac"])): x["value"]["ifindex"]
            for x in dump("nb_fdb")}
have_neigh = {(x["key"]["net_id"], tuple(x["key"]["ip"])): x["value"]["ifindex"]
              for x in dump("nb_neigh")}
have_flood = {x["key"]: set(x["value"]["ifindex"][:x["value"]["count"]])
              for x in dump("nb_flood")}
have_flood = {k: v for k, v in have_flood.items() if v or k in want_flood}
have_nets = {x["key"] for x in dump("nb_networks")}
for what, want, have in (("nb_ports", want_ports, have_ports), ("nb_fdb", want_fdb, have_fdb),
                         ("nb_neigh", want_neigh, have_neigh),
                         ("nb_flood", want_flood, have_flood)):
    for k in sorted(set(have) - set(want), key=str):
        bad("%s: entry %s -> %s not explained by the state (leaked)" % (what, k, have[k]))
    for k in sorted(set(want) - set(have), key=str):
        bad("%s: entry %s -> %s of the state is missing" % (what, k, want[k]))
    for k in sorted(set(want) & set(have), key=str):
        if want[k] != have[k]:
            bad("%s: entry %s is %s, the state says %s" % (what, k, have[k], want[k]))
want_nets = {v[1] for v in nets.values()}
if have_nets != want_nets:
    bad("nb_networks holds %s, the state %s" % (sorted(have_nets), sorted(want_nets)))

ep_if = {(e[0], e[1]): ifindex(e[3]) for e in eps}
want_pub = {(addr(p[2]), socket.htons(p[3]), PROTO.get(p[5], p[5])): ep_if.get((p[1], p[0]))
            for p in pubs}
have_pub = {(tuple(x["key"]["host_ip"]), x["key"]["host_port"], x["key"]["proto"]):
            x["value"]["ifindex"]
            for x in dump("nb_publish")}
for k in sorted(set(have_pub) - set(want_pub)):
    bad("nb_publish: entry %s not explained by the state (leaked)" % (k,))
for k in sorted(set(want_pub) - set(have_pub)):
    bad("nb_publish: published port %s of the state is missing" % (k,))
for k in sorted(set(want_pub) & set(have_pub)):
    if want_pub[k] != have_pub[k]:
        bad("nb_publish: entry %s goes to ifindex %s, the state says %s"
            % (k, have_pub[k], want_pub[k]))

for p in problems:
    print(p)
print("consistent" if not problems else "%d difference(s)" % len(problems))
sys.exit(1 if problems else 0)
