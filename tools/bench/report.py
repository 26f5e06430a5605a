#!/usr/bin/env python3
"""Turns the raw results of tools/bench/bench.sh into the report.

Reads RAW/results.jsonl (one line per measurement: round, metric, topology,
values), RAW/extra.jsonl (scaling, memory, unavailable topologies, ...),
RAW/sandbox-create.dat, RAW/ramp.txt, RAW/cni.txt, RAW/ovscale.txt and RAW/meta.json; writes
RAW/summary.csv,
RAW/scaling.csv, the gnuplot data and PNG plots under RAW, and the Markdown
report MD. Ratios are computed per round (a topology against the reference
measured in the same round) and then summarised, so drift between rounds on
a shared machine hits both sides of a ratio alike.

  report.py --raw DIR --md FILE [--analysis FILE]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys

TOPO_NAME = {
    "A": "bare veth pair",
    "B": "Linux bridge, br_netfilter off",
    "C": "Docker 20.10: bridge, iptables, docker-proxy",
    "D": "netbpf, tc",
    "E": "netbpf, XDP",
    "EV": "netbpf, XDP on the veth uplink too (--xdp-veth)",
    "D0": "netbpf, tc, counters compiled out",
    "D1": "netbpf, tc, Docker's embedded-DNS nat rules in the sandboxes",
    "A1": "bare veth pair, Docker's embedded-DNS nat rules on both ends",
    "R": "routed through a host netns: two veth pairs, no NAT",
    "F": "tc floor: port + FDB lookup, bpf_redirect_peer",
    "G": "Docker 20.10 on netbpf (netbpfd), tc",
    "XU": "cross-host: direct underlay, no encapsulation",
    "XF": "cross-host: kernel VXLAN + Linux bridge (flannel's vxlan datapath)",
    "XN": "cross-host: netbpf overlay (VXLAN in BPF), tc",
}
ORDER = ["A", "A1", "R", "B", "C", "D", "E", "EV", "D0", "D1", "F", "G"]
# across two hosts (issue 17): reported apart, against each other (cross_host())
XORDER = ["XU", "XF", "XN"]

# metric: (title, primary field, unit, higher is better, other fields shown)
METRICS = {
    "lat_bp": ("Sandbox↔sandbox TCP latency, busy polling (sockperf ping-pong `--nonblocked`)",
               "p50_us", "µs", False, ["avg_us", "p99_us"]),
    "lat_blk": ("Sandbox↔sandbox TCP latency, blocking sockets (sockperf ping-pong)",
                "p50_us", "µs", False, ["avg_us", "p99_us"]),
    "tput": ("Sandbox↔sandbox single-stream TCP throughput (iperf3)",
             "gbit_s", "Gbit/s", True, ["retransmits"]),
    "udp64": ("Sandbox↔sandbox 64-byte UDP packet rate (iperf3 `-u -l 64 -b 0`)",
              "kpps", "kpps", True, ["sent_kpps", "app_kpps"]),
    "pub_rate": ("Published port from outside: new connections per second "
                 "(wrk, `Connection: close`, 8 connections)", "conn_s", "conn/s", True,
                 ["errors"]),
    "pub_lat": ("Published port from outside: one connection at a time "
                "(connect + request + close)", "p50_us", "µs", False,
                ["p99_us", "rate"]),
    "local_rate": ("Published port from the host's 127.0.0.1: new connections per second (wrk)",
                   "conn_s", "conn/s", True, ["errors"]),
    "local_lat": ("Published port from the host's 127.0.0.1: one connection at a time",
                  "p50_us", "µs", False, ["p99_us", "rate"]),
    "netready": ("Docker: `docker run -d` until a probe from inside the new container gets its "
                 "peer's reply (median of the runs of each round)", "ready_ms", "ms", False,
                 ["run_cmd_ms"]),
    "dns_qps": ("Docker: DNS from inside a container, queries per second (dnsperf, 32 "
                "outstanding; peer names and a forwarded name)", "qps", "queries/s", True,
                ["avg_us", "lost_pct", "noerror_pct"]),
    "dns_lat": ("Docker: DNS from inside a container, latency at 1,000 queries/s "
                "(dnsperf `-Q 1000`)", "p50_us", "µs", False,
                ["p99_us", "peer_p50_us", "fwd_p50_us", "noerror_pct"]),
    # IPv6 beside IPv4 (issue 16); lat_bp4 is lat_bp6's baseline from the same tool
    "lat_bp4": ("Sandbox↔sandbox TCP latency, busy polling, IPv4 (nbb-pingpong, the IPv6 "
                "row's baseline)", "p50_us", "µs", False, ["avg_us", "p99_us"]),
    "lat_bp6": ("Sandbox↔sandbox TCP latency, busy polling, IPv6 (nbb-pingpong)",
                "p50_us", "µs", False, ["avg_us", "p99_us"]),
    "udp64_6": ("Sandbox↔sandbox 64-byte UDP packet rate over IPv6 (iperf3 `-u -l 64 -b 0`)",
                "kpps", "kpps", True, ["sent_kpps", "app_kpps"]),
    "pub_rate6": ("Published port from outside over IPv6: new connections per second "
                  "(wrk, `Connection: close`, 8 connections)", "conn_s", "conn/s", True,
                  ["errors"]),
}
FIELD_LABEL = {
    "p50_us": "p50 µs", "avg_us": "avg µs", "p99_us": "p99 µs", "gbit_s": "Gbit/s",
    "retransmits": "retransmits", "kpps": "kpps at UDP layer", "sent_kpps": "sent kpps",
    "app_kpps": "kpps read by iperf3", "conn_s": "conn/s", "errors": "errors",
    "rate": "conn/s serial",
    "ready_ms": "ms to ready", "run_cmd_ms": "ms until `docker run -d` returned",
    "qps": "queries/s", "lost_pct": "% lost", "noerror_pct": "% NOERROR",
    "peer_p50_us": "peer names p50 µs", "fwd_p50_us": "forwarded p50 µs",
}
A_ROW_NOTE = {
    "pub_rate": "no NAT: the server's own address over the veth pair",
    "pub_lat": "no NAT: the server's own address over the veth pair",
}


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(x, nd=None):
    if x is None:
        return "–"
    if nd is None and float(x).is_integer() and abs(x) < 1000:
        return str(int(x))
    if nd is None:
        nd = 0 if abs(x) >= 1000 else 1 if abs(x) >= 100 else 2 if abs(x) >= 1 else 3
    return f"{x:,.{nd}f}"


def fmt_range(xs, nd=None):
    if not xs:
        return "–"
    return f"{fmt(med(xs), nd)} ({fmt(min(xs), nd)}–{fmt(max(xs), nd)})"


def load(raw):
    res, extra = [], []
    with open(os.path.join(raw, "results.jsonl")) as f:
        res = [json.loads(line) for line in f if line.strip()]
    p = os.path.join(raw, "extra.jsonl")
    if os.path.exists(p):
        with open(p) as f:
            extra = [json.loads(line) for line in f if line.strip()]
    with open(os.path.join(raw, "meta.json")) as f:
        meta = json.load(f)
    sb = []
    p = os.path.join(raw, "sandbox-create.dat")
    if os.path.exists(p):
        with open(p) as f:
            sb = [tuple(int(x) for x in line.split()) for line in f if line.strip()]
    return res, extra, meta, sb


class Results:
    def __init__(self, res):
        # (metric, topo) -> {round: values}
        self.v = {}
        for r in res:
            if r["v"].get("error"):
                continue
            self.v.setdefault((r["metric"], r["topo"]), {})[r["round"]] = r["v"]

    def topos(self, metric):
        return [t for t in ORDER if (metric, t) in self.v]

    def xtopos(self, metric):
        return [t for t in XORDER if (metric, t) in self.v]

    def values(self, metric, topo, field):
        return [x[field] for x in self.v.get((metric, topo), {}).values() if field in x]

    def best_ratio(self, metric, topo, ref, field, higher):
        """best round of topo over best round of ref (max for rates, min for latency):
        contention on a shared machine only ever slows a round down, so the best
        rounds are the closest to what each path costs uncontended"""
        a, b = self.values(metric, topo, field), self.values(metric, ref, field)
        if not a or not b:
            return None
        return (max(a) / max(b)) if higher else (min(a) / min(b))

    def ratios(self, metric, topo, ref, field):
        """per-round topo/ref of field, over the rounds where both were measured"""
        a, b = self.v.get((metric, topo), {}), self.v.get((metric, ref), {})
        return [a[r][field] / b[r][field] for r in sorted(a) if r in b and b[r][field]]


def extra_of(extra, kind):
    return [e["v"] for e in extra if e["kind"] == kind]


# ---- goals -------------------------------------------------------------------------------

def goals(R, scale):
    """(text, ratios, op, target); op '<=' or '>='"""
    g = []

    def add(text, rs, op, target, best=None):
        g.append((text, rs, op, target, best))

    def std(text, m, ref, field, op, target):
        higher = METRICS[m][3]
        add(text, R.ratios(m, "D", ref, field), op, target,
            R.best_ratio(m, "D", ref, field, higher))

    std("busy-poll latency (p50) vs bare veth", "lat_bp", "A", "p50_us", "<=", 1.05)
    std("busy-poll latency (p50) vs Docker", "lat_bp", "C", "p50_us", "<=", 0.75)
    std("TCP throughput vs bare veth", "tput", "A", "gbit_s", ">=", 0.95)
    std("64-byte UDP rate vs bare veth", "udp64", "A", "kpps", ">=", 0.9)
    std("64-byte UDP rate vs Docker", "udp64", "C", "kpps", ">=", 1.6)
    std("published port from outside, new conn/s vs Docker (1 port)", "pub_rate", "C", "conn_s",
        ">=", 1.2)
    if scale:
        ns = sorted({s["n"] for s in scale})
        lo, hi = ns[0], ns[-1]
        for k, fl, what in (("wrk", "conn_s", "conn/s"), ("connlat", "p50_us", "serial latency p50")):
            by = {}
            for s in scale:
                if s["system"] == "netbpf" and not s[k].get("error"):
                    by.setdefault(s["round"], {})[s["n"]] = s[k][fl]
            rs = [d[hi] / d[lo] for d in by.values() if lo in d and hi in d]
            at = {n: [d[n] for d in by.values() if n in d] for n in (lo, hi)}
            best = None
            if at[lo] and at[hi]:
                best = (max(at[hi]) / max(at[lo])) if k == "wrk" else (min(at[hi]) / min(at[lo]))
            add(f"published port, {what} with {hi:,} ports vs {lo} (flat: within 10%)", rs, "±",
                0.1, best)
    std("host-local published port, new conn/s vs docker-proxy", "local_rate", "C", "conn_s",
        ">=", 3.0)
    std("host-local published port, serial latency (p50) vs docker-proxy", "local_lat", "C",
        "p50_us", "<=", 0.4)
    # issue 15: Docker's own engine and containers on netbpf (G) against Docker's bridge (C)
    def dk(text, m, field, op, target):
        higher = METRICS[m][3]
        add("Docker on netbpf (G): " + text, R.ratios(m, "G", "C", field), op, target,
            R.best_ratio(m, "G", "C", field, higher))

    dk("busy-poll latency (p50) vs Docker's bridge", "lat_bp", "p50_us", "<=", 0.75)
    dk("64-byte UDP rate vs Docker's bridge", "udp64", "kpps", ">=", 1.6)
    dk("published port from outside, new conn/s vs Docker", "pub_rate", "conn_s", ">=", 1.2)
    dk("host-local published port, new conn/s vs docker-proxy", "local_rate", "conn_s", ">=", 2.0)
    # issue 20: new connections against the no-NAT ceiling; XDP mode never slower than tc
    std("published port from outside, new conn/s vs the no-NAT ceiling (A)", "pub_rate", "A",
        "conn_s", ">=", 0.9)
    for m, (title, field, unit, higher, _) in METRICS.items():
        if R.ratios(m, "E", "D", field):
            add(f"XDP mode (E) vs tc mode (D): {title.split(' (')[0]}", R.ratios(m, "E", "D", field),
                ">=" if higher else "<=", 1.0, R.best_ratio(m, "E", "D", field, higher))
    # the same rate against the no-NAT ceiling: A's server address over a bare veth pair
    lg, pa = R.v.get(("local_rate", "G"), {}), R.v.get(("pub_rate", "A"), {})
    rs = [lg[r]["conn_s"] / pa[r]["conn_s"] for r in sorted(lg) if r in pa and pa[r]["conn_s"]]
    gv, av = R.values("local_rate", "G", "conn_s"), R.values("pub_rate", "A", "conn_s")
    add("Docker on netbpf (G): host-local published port, new conn/s vs the no-NAT ceiling (A)",
        rs, ">=", 0.9, max(gv) / max(av) if gv and av else None)
    dk("host-local published port, serial latency (p50) vs docker-proxy (issue 6's goal)",
       "local_lat", "p50_us", "<=", 0.4)
    dk("`docker run -d` until the network answers (p50 of each round's runs) vs Docker's bridge",
       "netready", "ready_ms", "<=", 1.0)
    # issue 18 sets no target for DNS: at least Docker's embedded DNS is shown as the bar
    dk("DNS queries/s vs Docker's embedded DNS (no target set: ≥ 1×)", "dns_qps", "qps", ">=",
       1.0)
    dk("DNS latency p50 at 1,000 q/s vs Docker's embedded DNS (no target set: ≤ 1×)", "dns_lat",
       "p50_us", "<=", 1.0)
    dk("DNS latency p99 at 1,000 q/s vs Docker's embedded DNS (no target set: ≤ 1×)", "dns_lat",
       "p99_us", "<=", 1.0)
    add("cost of counting: throughput with counters vs without",
        R.ratios("tput", "D", "D0", "gbit_s"), ">=", 0.97,
        R.best_ratio("tput", "D", "D0", "gbit_s", True))
    add("cost of counting: 64-byte UDP rate with counters vs without (not a goal)",
        R.ratios("udp64", "D", "D0", "kpps"), ">=", 0.97,
        R.best_ratio("udp64", "D", "D0", "kpps", True))
    return g


def goal_row(text, rs, op, target, best=None):
    if not rs:
        return f"| {text} | {op} {target} | not measured | – | – |"
    m = med(rs)
    if op == "±":
        # two-sided: 1 ± target
        ok = abs(m - 1) <= target
        miss = abs(m - 1) - target
        want = f"1 ± {target:g}×"
    else:
        ok = m <= target if op == "<=" else m >= target
        # by how much the median misses, relative to the target
        miss = (m / target - 1) if op == "<=" else (1 - m / target)
        want = f"{op} {target:g}×"
    verdict = "**met**" if ok else f"**missed** by {miss * 100:.0f}%"
    return (f"| {text} | {want} | {fmt(m, 2)}× ({fmt(min(rs), 2)}–{fmt(max(rs), 2)}) | {verdict} | "
            f"{fmt(best, 2) + '×' if best is not None else '–'} |")


def ipv6(R, w):
    """IPv6 beside IPv4 (issue 16): per topology, the v6 metric over its v4 twin per round"""
    pairs = (("lat_bp6", "lat_bp4", "p50_us", "busy-poll latency (p50), v6 vs v4", "<=", 1 / 0.95),
             ("udp64_6", "udp64", "kpps", "64-byte UDP rate, v6 vs v4", ">=", 0.95),
             ("pub_rate6", "pub_rate", "conn_s",
              "published port from outside, new conn/s, v6 vs v4", ">=", 0.95))
    if not any(R.topos(m6) for m6, *_ in pairs):
        return
    w("## IPv6 beside IPv4 (issue 16)")
    w("")
    w("The same paths over IPv6 and over IPv4, measured in the same rounds; each ratio is "
      "the IPv6 result over the IPv4 one of the same topology and round (median of rounds, "
      "min–max), and best round over best round. The goal is IPv6 at least 0.95× IPv4: for "
      "rates v6/v4 ≥ 0.95, for latency v6 no more than v4 / 0.95, i.e. v6/v4 ≤ 1.053. "
      "sockperf 3.7 (Debian 12's) takes IPv4 addresses only, so both latency rows come from "
      "`tools/bench/pingpong.c` (sockperf's `--nonblocked` ping-pong shape); the UDP and "
      "connection rows use the IPv4 metrics' own tools (iperf3, wrk) with the IPv6 address.")
    w("")
    w("| topology: metric | v4 | v6 | target | v6/v4: median of per-round ratios (min–max) "
      "| | best round vs best round |")
    w("|---|---|---|---|---|---|---|")
    for m6, m4, fl, what, op, target in pairs:
        for t in R.topos(m6):
            a, b = R.v.get((m6, t), {}), R.v.get((m4, t), {})
            rs = [a[r][fl] / b[r][fl] for r in sorted(a) if r in b and b[r].get(fl)]
            x6, x4 = R.values(m6, t, fl), R.values(m4, t, fl)
            best = None
            if x6 and x4:
                best = max(x6) / max(x4) if METRICS[m6][3] else min(x6) / min(x4)
            row = goal_row(f"({t}) {what}", rs, op, round(target, 3), best)
            cells = row.split(" | ")
            unit = METRICS[m6][2]
            cells.insert(1, f"{fmt(med(x6))} {unit}")
            cells.insert(1, f"{fmt(med(x4))} {unit}")
            w(" | ".join(cells))
    # what the kernel's IPv6 costs on its own moves with the machine's load as much as
    # anything: each path's v6/v4 over the bare veth pair's v6/v4 of the same round
    # leaves what the path itself adds to IPv6
    norm = []
    for m6, m4, fl, what, op, target in pairs:
        a6, a4 = R.v.get((m6, "A"), {}), R.v.get((m4, "A"), {})
        for t in R.topos(m6):
            if t == "A":
                continue
            t6, t4 = R.v.get((m6, t), {}), R.v.get((m4, t), {})
            rs = [(t6[r][fl] / t4[r][fl]) / (a6[r][fl] / a4[r][fl]) for r in sorted(t6)
                  if r in t4 and r in a6 and r in a4 and t4[r].get(fl) and a4[r].get(fl)
                  and a6[r].get(fl)]
            if rs:
                norm.append(f"| ({t}) {what} | {fmt_range(rs, 2)}× |")
    if norm:
        w("")
        w("The same ratios divided by the bare veth pair's (A) of the same round: what each "
          "path adds to IPv6's cost beyond the kernel's own (1× = IPv6 costs it no more than "
          "it costs a veth pair).")
        w("")
        w("| topology: metric | (v6/v4) / (A's v6/v4): median (min–max) |")
        w("|---|---|")
        for line in norm:
            w(line)
    w("")
    w("(A) is the bare veth pair (its \"published port\" is the server's own address, no NAT), "
      "(B) the Linux bridge, (C) Docker 20.10 with `\"ipv6\": true, \"ip6tables\": true` "
      "(experimental) and a `--ipv6` network, (D) netbpf with a dual-stack network "
      "(`network create --ipv6`) and the port published on both families (DNAT66 at the "
      "uplink).")
    w("")


def cross_host(R, w, extra):
    """The cross-host section (issue 17): XN against flannel's datapath (XF) and the underlay"""
    conv = [x for e in extra_of(extra, "converge") for x in e["ms"]]
    if not any(R.xtopos(m) for m in METRICS) and not conv:
        return
    w("## Across two hosts (issue 17)")
    w("")
    w("Two host namespaces joined by one veth (the underlay, MTU 1500), client on host 1, "
      "server on host 2: **(XU)** the hosts themselves over the underlay, no encapsulation "
      "(the limit); **(XF)** flannel's vxlan datapath built as flanneld builds it (pods on a "
      "Linux bridge `cni0`, a VXLAN device `flannel.1` with VNI 1 on port 4789, `nolearning`, "
      "the other host's pod subnet routed through it with a permanent neighbour and FDB entry "
      "for its VTEP); **(XN)** netbpf: an instance per host with a store (one etcd member) "
      "and its agent (netbpfd), `nbvx0` from `up`, `network create -d overlay` on host 1, "
      "the addresses from the hosts' blocks, the remote endpoints put by the agents. "
      "Sandboxes/pods have MTU 1450 in XF and XN.")
    w("")
    w("| goal (issue 17) | target | median (min–max) | verdict | best round / best round |")
    w("|---|---|---|---|---|")
    for text, m, field, op, target in (
            ("cross-host busy-poll latency (p50), netbpf vs VXLAN + bridge", "lat_bp", "p50_us",
             "<=", 0.9),
            ("cross-host TCP throughput, netbpf vs VXLAN + bridge", "tput", "gbit_s", ">=", 1.0)):
        w(goal_row(text, R.ratios(m, "XN", "XF", field), op, target,
                   R.best_ratio(m, "XN", "XF", field, METRICS[m][3])))
    ok = sorted(x for x in conv if x is not None)
    if conv:
        p50 = ok[len(ok) // 2] if ok else None
        p99 = ok[min(len(ok) - 1, int(len(ok) * 0.99))] if ok else None
        lost = len(conv) - len(ok)
        w(f"| convergence p99: endpoint created on host 2 until host 1 reaches it | "
          f"<= 200 ms | p99 {fmt(p99)} ms, p50 {fmt(p50)} ms ({len(conv)} endpoints"
          f"{f', {lost} never reached in 5 s' if lost else ''}) | "
          f"{'**met**' if p99 is not None and p99 <= 200 and not lost else '**missed**'} | – |")
    w("")
    if conv:
        w("Convergence is measured from the start of `netbpfctl sandbox create --network bench "
          "--ip ADDR` on host 2 (its etcd transactions included) until the first echo reply "
          "from that address to a sandbox of host 1, which pings it every 2 ms from before the "
          "create (its ARP retries every 5 ms, the kernel's default being 1 s): the store, "
          "host 1's watch and agent, its remote tables and the tunnel. "
          f"Min {fmt(ok[0]) if ok else '–'} ms, max {fmt(ok[-1]) if ok else '–'} ms.")
        w("")
    for m, (title, field, unit, higher, others) in METRICS.items():
        ts = R.xtopos(m)
        if not ts:
            continue
        w(f"### {title.replace('Sandbox↔sandbox', 'Cross-host')}")
        w("")
        w(f"| topology | {FIELD_LABEL[field]} | " + " | ".join(FIELD_LABEL[o] for o in others) +
          " | vs XU (per round) | vs XF (per round) |")
        w("|---" * (4 + len(others)) + "|")
        for t in ts:
            cells = [fmt_range(R.values(m, t, field))]
            cells += [fmt(med(R.values(m, t, o))) for o in others]
            ru = R.ratios(m, t, "XU", field) if t != "XU" else []
            rf = R.ratios(m, t, "XF", field) if t != "XF" else []
            cells.append(fmt_range(ru, 2) + "×" if ru else "")
            cells.append(fmt_range(rf, 2) + "×" if rf else "")
            w(f"| ({t}) {TOPO_NAME[t]} | " + " | ".join(cells) + " |")
        w("")
        w(f"{'Higher' if higher else 'Lower'} is better; medians over rounds (min–max).")
        w("")


# ---- plots ---------------------------------------------------------------------------------

def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def plots(raw, scale, sb):
    made = []
    if scale:
        rows = []
        for sysname in ("iptables", "netbpf"):
            for n in sorted({s["n"] for s in scale}):
                pts = [s for s in scale if s["system"] == sysname and s["n"] == n]
                rate = [s["wrk"]["conn_s"] for s in pts if not s["wrk"].get("error")]
                lat = [s["connlat"]["p50_us"] for s in pts if not s["connlat"].get("error")]
                if rate and lat:
                    rows.append((sysname, n, med(rate), min(rate), max(rate), med(lat), min(lat),
                                 max(lat)))
        for sysname in ("iptables", "netbpf"):
            with open(os.path.join(raw, f"scaling-{sysname}.dat"), "w") as f:
                f.write("# ports conn_s_median min max connlat_p50_us_median min max\n")
                for r in rows:
                    if r[0] == sysname:
                        f.write(" ".join(str(x) for x in r[1:]) + "\n")
        common = f"""
set terminal pngcairo size 900,540 font ",11"
set logscale x
set xrange [0.7:15000]
set xtics ("1" 1, "10" 10, "100" 100, "1,000" 1000, "10,000" 10000)
set xlabel "published ports"
set grid
set key below
cd "{raw}"
"""
        gnuplot(common + """
set output "scaling-rate.png"
set title "New connections/s to one published port, from outside (wrk, median, min-max)"
set ylabel "connections/s"
set yrange [0:*]
plot "scaling-iptables.dat" u 1:2:3:4 w yerrorlines lw 2 pt 7 t "iptables DNAT rules (Docker's shape)", \\
     "scaling-netbpf.dat" u 1:2:3:4 w yerrorlines lw 2 pt 5 t "netbpf publish map"
""")
        gnuplot(common + """
set output "scaling-latency.png"
set title "One connection at a time: connect + request + close, p50 (median, min-max)"
set ylabel "microseconds"
set yrange [0:*]
plot "scaling-iptables.dat" u 1:5:6:7 w yerrorlines lw 2 pt 7 t "iptables DNAT rules (Docker's shape)", \\
     "scaling-netbpf.dat" u 1:5:6:7 w yerrorlines lw 2 pt 5 t "netbpf publish map"
""")
        made += ["scaling-rate.png", "scaling-latency.png"]
    if sb:
        gnuplot(f"""
set terminal pngcairo size 900,540 font ",11"
cd "{raw}"
set output "sandbox-create.png"
set title "netbpfctl sandbox create: time per call vs sandboxes already on the network"
set xlabel "sandbox number"
set ylabel "milliseconds"
set grid
set yrange [0:*]
plot "sandbox-create.dat" u 1:($2/1000.0) w p pt 7 ps 0.4 t "each call"
""")
        made.append("sandbox-create.png")
    return made


def keyvals(path):
    """The "key value" lines of ramp.sh and cni.sh"""
    kv = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition(" ")
                kv[k] = v
    return kv


def ovscale_section(raw, w):
    """tools/bench/ovscale.sh: N hosts x M sandboxes on one overlay network (issue 17)"""
    kv = keyvals(os.path.join(raw, "ovscale.txt"))
    if not kv:
        return
    hosts, per = int(kv["hosts"]), int(kv["per_host"])
    w(f"## Control plane: the overlay at scale, {hosts} hosts × {per} sandboxes")
    w("")
    w(f"`tools/bench/ovscale.sh`: {hosts} host namespaces on one underlay, "
      f"{kv['etcd_members']} etcd member(s) in namespaces of their own, netbpf with "
      "`--store` and its agent (netbpfd) on each host, one overlay network, then "
      f"{per} `sandbox create --network ov` on every host, the hosts in parallel. "
      "Convergence: from an endpoint's create returning on host K (2..N) until its address "
      "is in host 1's `nb_remote_ip` (a poller dumps the map with bpftool; one dump took "
      f"{kv.get('dump_ms_p50', '–')} ms, plus 10 ms between dumps); negative when host 1's "
      "agent was quicker than the create's own return. CPU: utime + stime of "
      "`/proc/PID/stat` from before the first create until the last endpoint converged. "
      "Reported, never asserted.")
    w("")
    w("| measure | value |")
    w("|---|---|")
    rows = (
        ("sandboxes created (errors)", f"{kv['sandboxes_created']} ({kv['create_errors']})"),
        ("`sandbox create` p50 / p99", f"{kv['create_ms_p50']} / {kv['create_ms_p99']} ms"),
        ("all creates", f"{kv['creates_s']} s"),
        ("remote endpoints seen by host 1", f"{kv['remote_endpoints_measured']} of "
                                            f"{kv['remote_endpoints_expected']}"),
        ("convergence after the create returned: p50 / p90 / p99 / max",
         f"{kv['converge_ms_p50']} / {kv['converge_ms_p90']} / {kv['converge_ms_p99']} / "
         f"{kv['converge_ms_max']} ms"),
        ("convergence from the create's start: p50 / p99",
         f"{kv.get('converge_from_start_ms_p50', '–')} / "
         f"{kv.get('converge_from_start_ms_p99', '–')} ms"),
        ("total (first create until all converged)", f"{kv['total_s']} s"),
        ("agent CPU, per host (min–max)", "{}–{} ms".format(
            *(lambda v: (min(v), max(v)))([int(kv[k]) for k in kv
                                           if k.startswith("agent_cpu_ms@")]))),
        ("agent CPU, all hosts", f"{kv['agent_cpu_ms_total']} ms"),
        ("agent CPU per endpoint event, per host",
         f"{int(kv['agent_cpu_ms_total']) / hosts / int(kv['sandboxes_created']):.2f} ms"),
        ("etcd CPU", f"{kv['etcd_cpu_ms']} ms"),
        (f"idle {kv.get('idle_s', '–')} s before the creates: all agents / etcd",
         f"{kv.get('idle_agent_cpu_ms_total', '–')} / {kv.get('idle_etcd_cpu_ms', '–')} ms"),
        ("load average at the end", kv.get("loadavg", "–")),
    )
    for k, v in rows:
        w(f"| {k} | {v} |")
    w("")
    if kv.get("note"):
        w(f"Note on this run: {kv['note']}")
        w("")
    w("docs/overlay.md (\"Scale, measured\") extrapolates these to 1,000 hosts.")
    w("")


def cni_section(raw, rel, w):
    """tools/bench/cni.sh: netbpf's CNI plugin vs bridge+host-local+portmap"""
    kv = keyvals(os.path.join(raw, "cni.txt"))
    sizes = sorted({int(k.split("@")[1]) for k in kv if k.startswith("netbpf_add_us_p50@")})
    if not sizes:
        return
    names = {"netbpf": "netbpf-cni", "ref": "bridge + host-local, then portmap"}
    for sysname in names:
        with open(os.path.join(raw, f"cni-{sysname}.dat"), "w") as f:
            f.write("# containers add_p50_ms add_p90_ms del_p50_ms del_p90_ms\n")
            for n in sizes:
                vals = [kv.get(f"{sysname}_{op}_us_{p}@{n}") for op in ("add", "del")
                        for p in ("p50", "p90")]
                if None not in vals:
                    f.write(f"{n} " + " ".join(f"{int(v) / 1000:.1f}" for v in vals) + "\n")
    gnuplot(f"""
set terminal pngcairo size 900,540 font ",11"
cd "{raw}"
set output "cni.png"
set title "CNI ADD and DEL per call, p50 (bar to p90): N containers added, then deleted"
set logscale x
set xrange [0.7:1500]
set xtics ("1" 1, "10" 10, "100" 100, "1,000" 1000)
set xlabel "containers"
set ylabel "milliseconds"
set yrange [0:*]
set grid
set key below
plot "cni-ref.dat" u 1:2:2:3 w yerrorlines lw 2 pt 7 t "reference ADD (bridge+host-local, portmap)", \\
     "cni-ref.dat" u 1:4:4:5 w yerrorlines lw 2 pt 6 t "reference DEL", \\
     "cni-netbpf.dat" u 1:2:2:3 w yerrorlines lw 2 pt 5 t "netbpf-cni ADD", \\
     "cni-netbpf.dat" u 1:4:4:5 w yerrorlines lw 2 pt 4 t "netbpf-cni DEL"
""")
    w("## Control plane: the CNI plugin against the reference plugins")
    w("")
    w("`tools/bench/cni.sh`: N containers ADDed one by one, then DELeted in reverse, each "
      "call timed as a runtime makes it (a fork and exec of the plugin with the "
      "configuration on stdin), one published port each (`runtimeConfig.portMappings`). "
      "The reference is the chain podman and containerd configure by default, Debian's "
      f"containernetworking-plugins {kv.get('reference', '').split('(')[-1].rstrip(')')}: "
      "`bridge` (isGateway, ipMasq, hairpinMode) with `host-local` IPAM, then `portmap` "
      "with its result; its time is the sum of the two calls. It runs in a netns of its "
      "own (its bridge and iptables rules stay there). Ratio: netbpf's p50 over the "
      "reference's.")
    w("")
    w("| containers | call | netbpf-cni p50 / p90 (ms) | reference p50 / p90 (ms) | ratio p50 |")
    w("|---|---|---|---|---|")
    for n in sizes:
        for op in ("add", "del"):
            nb = [kv.get(f"netbpf_{op}_us_{p}@{n}") for p in ("p50", "p90")]
            rf = [kv.get(f"ref_{op}_us_{p}@{n}") for p in ("p50", "p90")]
            if None in nb or None in rf:
                continue
            w(f"| {n:,} | {op.upper()} | {int(nb[0]) / 1000:.1f} / {int(nb[1]) / 1000:.1f} | "
              f"{int(rf[0]) / 1000:.1f} / {int(rf[1]) / 1000:.1f} | "
              f"{int(nb[0]) / int(rf[0]):.2f}× |")
    w("")
    if kv.get("note"):
        w(f"Note on this run: {kv['note']}")
        w("")
    w(f"![cni.png]({rel}/cni.png)")
    w("")


# ---- the report ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--analysis")
    a = ap.parse_args()
    res, extra, meta, sb = load(a.raw)
    R = Results(res)
    scale = extra_of(extra, "scale")
    made = plots(a.raw, scale, sb)
    rel = os.path.relpath(a.raw, os.path.dirname(os.path.abspath(a.md)))
    st = meta["settings"]
    out = []
    w = out.append

    # summary.csv: every metric x topology x field, medians and per-round ratios
    with open(os.path.join(a.raw, "summary.csv"), "w", newline="") as f:
        cw = csv.writer(f)
        cw.writerow(["metric", "topology", "field", "median", "min", "max", "rounds",
                     "ratio_vs_A_median", "ratio_vs_C_median"])
        for m, (_, field, _, _, others) in METRICS.items():
            for t in R.topos(m):
                for fl in [field] + others:
                    xs = R.values(m, t, fl)
                    if not xs:
                        continue
                    ra = R.ratios(m, t, "A", fl) if fl == field else []
                    rc = R.ratios(m, t, "C", fl) if fl == field else []
                    cw.writerow([m, t, fl, med(xs), min(xs), max(xs), len(xs),
                                 med(ra) if ra else "", med(rc) if rc else ""])
    if scale:
        with open(os.path.join(a.raw, "scaling.csv"), "w", newline="") as f:
            cw = csv.writer(f)
            cw.writerow(["round", "system", "ports", "conn_s", "connlat_p50_us", "connlat_p99_us"])
            for s in scale:
                cw.writerow([s["round"], s["system"], s["n"], s["wrk"].get("conn_s", ""),
                             s["connlat"].get("p50_us", ""), s["connlat"].get("p99_us", "")])

    w("# netbpf benchmarks")
    w("")
    w("netbpf side by side with a bare veth pair, a Linux bridge and Docker's real engine "
      "(bridge, iptables, docker-proxy), measured in one run by `tools/bench/bench.sh` "
      f"(`make bench`). This report is generated from the raw data in [`{rel}/`]({rel}/) "
      "by `tools/bench/report.py`; the analysis of missed goals is "
      f"`tools/bench/{os.path.basename(a.analysis or 'analysis.md')}`, written after reading "
      "the numbers.")
    w("")
    w(f"Run: {meta['date']}, {st['mode']} mode, {st['rounds']} interleaved round(s) of "
      f"{st['duration_s']}-second measurements, client on CPU {st['cpu_client']}, "
      f"server on CPU {st['cpu_server']}. The machine was shared with other work during the "
      f"run: load average {' / '.join(meta.get('loadavg_start', ['?']))} (1/5/15 min) at the "
      f"start" + (f", {extra_of(extra, 'elapsed')[0].get('loadavg_end', '?').replace(' ', ' / ')} "
                  "at the end" if extra_of(extra, "elapsed") else "") +
      " (the benchmark's own client and server account for up to 2 of that).")
    w("")

    # ---- goals
    w("## Goals (issues 6, 15 and 18), ratios from this run")
    w("")
    w("Each ratio is computed per round (netbpf against the other topology measured in the "
      "same round) and shown as the median over rounds with the min–max in brackets. "
      "For latency lower is better, for rates higher. The verdict is read from the median; "
      "the last column divides the best round of each side (highest rate, lowest latency): "
      "other work on the machine only ever slows a round down, so it is the estimate least "
      "touched by that noise.")
    w("")
    w("| goal | target | netbpf (tc): median of per-round ratios (min–max) | | best round vs best round |")
    w("|---|---|---|---|---|")
    for g in goals(R, scale):
        w(goal_row(*g))
    w("")
    ipv6(R, w)
    # what the machine allows at all: the no-NAT path over a bare veth pair (A)
    # against Docker's paths, per round; no translated path can beat A
    ca = {r: v["conn_s"] for r, v in R.v.get(("pub_rate", "A"), {}).items()}
    cc = {r: v["conn_s"] for r, v in R.v.get(("local_rate", "C"), {}).items()}
    cp = {r: v["conn_s"] for r, v in R.v.get(("pub_rate", "C"), {}).items()}
    ceil_l = [ca[r] / cc[r] for r in ca if r in cc]
    ceil_p = [ca[r] / cp[r] for r in ca if r in cp]
    if ceil_l and ceil_p:
        w(f"Ceilings in this run: without any NAT (A, the server's own address over a bare veth "
          f"pair, same client and server programs) the new-connection rate is "
          f"{fmt(med(ceil_p), 2)}× Docker's DNAT path and {fmt(med(ceil_l), 2)}× docker-proxy's "
          "(medians of per-round ratios): no translated path can exceed these ratios here.")
        w("")
    # a published port's path crosses two veth pairs (world -> host -> sandbox), A's one:
    # routed without NAT through a host netns (R) is what is left of A for any such path
    rp = R.ratios("pub_rate", "R", "A", "conn_s")
    dr = R.ratios("pub_rate", "D", "R", "conn_s")
    if rp and dr:
        w(f"Routed without NAT through a host namespace (R: two veth pairs, as every published "
          f"port's path from outside has) the new-connection rate is {fmt(med(rp), 2)}× A's; "
          f"netbpf's published port (D) is {fmt(med(dr), 2)}× R's "
          f"({fmt(min(dr), 2)}–{fmt(max(dr), 2)}× over the rounds): the share of the ceiling that is netbpf's "
          "to take.")
        w("")
    w("For reference, the ratios issue 6 measured before netbpf existed, and this run's:")
    w("")
    w("| | issue 6 | this run |")
    w("|---|---|---|")

    def rr(m, t, ref, fl, inv=False):
        rs = R.ratios(m, t, ref, fl)
        return fmt(med(rs), 2) + "×" if rs else "–"
    w(f"| Docker busy-poll latency vs bare veth (p50) | 1.44× | {rr('lat_bp', 'C', 'A', 'p50_us')} |")
    w(f"| Docker 64-byte UDP rate vs bare veth | 0.53× | {rr('udp64', 'C', 'A', 'kpps')} |")
    w(f"| tc + bpf_redirect_peer prototype (F) busy-poll latency vs bare veth (p50) | 1.05× | "
      f"{rr('lat_bp', 'F', 'A', 'p50_us')} |")
    w(f"| tc + bpf_redirect_peer prototype (F) 64-byte UDP rate vs bare veth | 0.88× | "
      f"{rr('udp64', 'F', 'A', 'kpps')} |")
    w(f"| netbpf (D) busy-poll latency vs the prototype (F) (p50) | – | "
      f"{rr('lat_bp', 'D', 'F', 'p50_us')} |")
    w(f"| netbpf (D) 64-byte UDP rate vs the prototype (F) | – | {rr('udp64', 'D', 'F', 'kpps')} |")
    # what Docker's containers carry on any driver: the embedded DNS's nat table (D1)
    for m, fl, what in (("lat_bp", "p50_us", "busy-poll latency (p50)"),
                        ("udp64", "kpps", "64-byte UDP rate"),
                        ("pub_rate", "conn_s", "published port from outside, new conn/s")):
        if R.v.get((m, "D1")):
            w(f"| netbpf with Docker's embedded-DNS nat rules in the sandboxes (D1) vs without (D):"
              f" {what} | – | {rr(m, 'D1', 'D', fl)} |")
            w(f"| Docker on netbpf (G) vs D1: {what} | – | {rr(m, 'G', 'D1', fl)} |")
        # the ceiling of any driver under Docker: no switch at all, Docker's nat table
        if R.v.get((m, "A1")):
            w(f"| bare veth pair with Docker's embedded-DNS nat rules (A1) vs Docker's bridge (C),"
              f" the best any driver can reach under Docker: {what} | – | {rr(m, 'A1', 'C', fl)} |")
            w(f"| Docker on netbpf (G) vs that ceiling (A1): {what} | – | {rr(m, 'G', 'A1', fl)} |")
    # docker-proxy (127.0.0.1) against Docker's DNAT path (from outside), both serial
    cl = R.v.get(("local_lat", "C"), {})
    cp = R.v.get(("pub_lat", "C"), {})
    rate_r = [cl[r]["rate"] / cp[r]["rate"] for r in cl if r in cp]
    lat_r = [cl[r]["p50_us"] / cp[r]["p50_us"] for r in cl if r in cp]
    w(f"| docker-proxy serial conn rate vs Docker's DNAT path | 0.31× | "
      f"{fmt(med(rate_r), 2) + '×' if rate_r else '–'} |")
    w(f"| docker-proxy serial latency (p50) vs Docker's DNAT path | 3.3× | "
      f"{fmt(med(lat_r), 2) + '×' if lat_r else '–'} |")
    if scale:
        by = {}
        for s in scale:
            if s["system"] == "iptables" and not s["wrk"].get("error"):
                by.setdefault(s["round"], {})[s["n"]] = s["wrk"]["conn_s"]
        ns = sorted({s["n"] for s in scale})
        rs = [d[ns[-1]] / d[ns[0]] for d in by.values() if ns[0] in d and ns[-1] in d]
        w(f"| iptables conn/s with {ns[-1]:,} DNAT rules vs {ns[0]} | 0.20× (10,000 rules) | "
          f"{fmt(med(rs), 2) + '×' if rs else '–'} |")
    w("")

    if a.analysis and os.path.exists(a.analysis):
        with open(a.analysis) as f:
            w(f.read().rstrip())
        w("")

    # ---- machine
    w("## Machine and versions")
    w("")
    w(f"- {meta['nproc']} CPUs: {meta['cpu']}; {meta['mem_gib']} GiB; {meta['os']}; "
      f"kernel {meta['kernel']}")
    for k, v in meta["versions"].items():
        w(f"- {k}: {v or '–'}")
    w("")

    # ---- how
    w("## How it was measured")
    w("")
    w("```")
    w("make bench          # full run: writes docs/bench/ and docs/benchmarks.md (~20 min)")
    w("make bench-quick    # 1 round of 1 s, up to 1,000 ports and 100 sandboxes: build/bench/quick/")
    w("tools/bench/bench.sh --help")
    w("```")
    w("")
    w("Every topology is built by the harness in network namespaces it creates and removes "
      "(also on failure); nothing runs in the machine's own netns, which is checked unchanged "
      "at the end of the run"
      + (" (it was)." if any(e["v"].get("unchanged") for e in extra if e["kind"] == "root_netns")
         else "."))
    w("")
    w("- **(A) bare veth pair**: two namespaces joined by one veth pair: the practical limit.")
    w("- **(A1)**: A with the nat table Docker's embedded DNS loads into every container of a "
      "user-defined network (`tools/bench/dockerdns.rules`) on both ends: the limit for any "
      "network driver under Docker 20.10, whose containers track every connection.")
    w("- **(R) routed**: the client and the server each on a veth pair to a third namespace "
      "that routes between them, nothing else there (no NAT, no BPF, no netfilter table): "
      "every published-port path (world, host, sandbox) has this shape, two veth pairs where "
      "A has one, so R is the ceiling of any such path.")
    w("- **(B) Linux bridge**: two veths on a bridge in a third namespace, "
      "`bridge-nf-call-*` = 0 (br_netfilter is built into this kernel and on by default).")
    w("- **(C) Docker**: `dockerd` started in a namespace of its own (the \"host\") with its own "
      "data root, exec root, pidfile and socket, in a private mount namespace; a busybox image "
      "imported offline from busybox-static's `/bin/busybox`; a user bridge network and two "
      "containers, the server with `-p 8000:80`; the benchmark programs run in the containers' "
      "namespaces with `nsenter --net=/proc/PID/ns/net`. Docker sets up its bridge, iptables "
      "chains, FORWARD policy and ip_forward in that namespace as it would on a host; clients "
      "\"outside\" are in a world namespace behind a veth uplink (198.18.0.0/24).")
    w("- **(D) netbpf, tc**: a netbpf instance exactly as the end-to-end tests run one: a host "
      "namespace with the same uplink to a world namespace, private state dir, pin dir on a "
      "bpffs of its own, socket hooks on a cgroup of its own; one network, two sandboxes, "
      "`-p 8000:80` on the server.")
    w("- **(E) netbpf, XDP**: " + (
        "an instance like D brought up with `netbpfctl up --mode xdp`: XDP only on uplinks whose "
        "driver has native XDP and is not a veth and, while one runs XDP, an `XDP_PASS` program "
        "on the sandbox side of each endpoint; tc everywhere else (docs/xdp.md). Here the "
        "uplink is a veth, so E's packets take D's programs and paths. **(EV)**, measured for the published port only: E with "
        "`--xdp-veth`, `xdp_uplink` on the veth uplink translating and redirecting into the "
        "sandbox through the devmap; its world sends complete checksums (TX checksum offload "
        "off on `wan0`, as frames from a real NIC arrive), as XDP on a veth needs."
        if R.topos("tput") and "E" in R.topos("tput") else
        "; ".join(e["v"]["why"] for e in extra if e["kind"] == "unavailable"
                  and e["v"]["topo"] == "E") or "not requested."))
    w("- **(F)**: D with `tools/bench/floor.bpf.c` swapped onto both endpoints the same way: "
      "sandbox-to-sandbox unicast takes a port lookup, an FDB lookup and `bpf_redirect_peer()`, "
      "nothing else (issue 6's prototype, over netbpf's maps; ARP, broadcast and traffic for the "
      "host still take netbpf's endpoint logic). F against A is the floor of the tc design on "
      "this machine, D against F what netbpf's checks and counters add to it.")
    w("- **(G) Docker on netbpf**: C's engine (same dockerd options, `--bridge=none`) and "
      "`netbpfd` beside it in a netbpf instance's host namespace, one private mount namespace "
      "for both; `docker network create -d netbpf --subnet 10.88.0.0/24 nbbnet` and the same "
      "two containers and `-p 8000:80` as C. Host-local clients run in the instance's cgroup. "
      "In C and G the \"host's resolver\" (`/etc/resolv.conf` bind-mounted in the private mount "
      "namespace) is dnsmasq in the world namespace, 198.18.0.2, answering `world.example` "
      "from its own table; the DNS metrics start it.")
    w("- **(D1)**: D with the nat table Docker's embedded DNS loads into every container of a "
      "user-defined network (`tools/bench/dockerdns.rules`: DNAT of 127.0.0.11:53, SNAT back) "
      "loaded into both sandboxes. No benchmark packet matches a rule, but a nat table turns "
      "on connection tracking for the whole netns, as in C's and G's containers: D1 against D "
      "is its cost, G against D1 what Docker's containers on netbpf cost beyond it.")
    w("- **(D0)**: D with the endpoint program rebuilt with `bpf/lib/stats.bpf.h`'s counters "
      "defined away and swapped onto both endpoints (`tools/bench/tcswap.c`, sharing the "
      "instance's pinned maps); D against D0 is the cost of counting. The harness checks that "
      "D's per-endpoint counters move during the throughput test and D0's do not.")
    w("")
    w("Rounds interleave the topologies (each metric runs in every topology before the next "
      "metric; each round starts with the next topology in turn). The client is pinned to one "
      "CPU and the server to the other (`taskset`). Commands, with SRV/CLI the server's and "
      "client's namespaces:")
    w("")
    w("```")
    w("sockperf sr --tcp -p 11111 [--nonblocked]                    # server")
    w(f"sockperf pp --tcp -i IP -p 11111 -t {st['duration_s']} -m 64 [--nonblocked]   # client; "
      "latency = half round trip")
    w("iperf3 -s -1 -p 5201")
    w(f"iperf3 -c IP -p 5201 -t {st.get('duration_tput_s', st['duration_s'])} -J"
      "                 # TCP throughput")
    w(f"iperf3 -c IP -p 5201 -u -l 64 -b 0 -t {st['duration_s']} -J  # UDP 64 B; rate = "
      "server netns Udp InDatagrams+RcvbufErrors / s")
    w("nbb-httpd -p 80                                   # tools/bench/httpd.c: answers, then closes")
    w(f"wrk -t1 -c8 -d{st['duration_s']}s -H 'Connection: close' http://IP:PORT/")
    w(f"nbb-connlat -a IP -p PORT -d {st['duration_s']}                # tools/bench/connlat.c: "
      "serial connect/request/close")
    w("docker run -d --name N --network nbbnet nbb-busybox /bin/sh -c \\")
    w("  'until busybox wget -q -O /dev/null http://SRV:81/N; do busybox usleep 1000; done; ...'"
      "   # network ready")
    w(f"dnsperf -s DNS -d Q -l {st['duration_s']} -t 2 -c 1 -q 32            # DNS rate; "
      "DNS = 127.0.0.11 (C), the gateway (G)")
    w(f"dnsperf -s DNS -d Q -l {st['duration_s']} -t 2 -c 1 -q 20 -Q 1000 -v # DNS latency; "
      "Q = nbb-srv, nbb-cli, world.example, type A")
    w("```")
    w("")
    w("The topologies, as `tools/bench/topologies.bash` builds them:")
    w("")
    w("```")
    w("# (C) Docker, in netns H with a private mount namespace (tmpfs on /run and /etc/docker)")
    w("dockerd --data-root T/data --exec-root T/exec --pidfile T/docker.pid -H unix://T/docker.sock \\")
    w("        --cgroup-parent RUN-docker --bridge=none --iptables=true --ip-forward=true --userland-proxy=true")
    w("tar -C rootfs -c . | docker import - nbb-busybox      # rootfs = /bin/busybox + sh, sleep links")
    w("docker network create --subnet 10.77.0.0/24 nbbnet")
    w("docker run -d --name nbb-srv --network nbbnet -p 8000:80 nbb-busybox /bin/sleep 1000000")
    w("docker run -d --name nbb-cli --network nbbnet nbb-busybox /bin/sleep 1000000")
    w("# (D) netbpf, in netns H (E: up --mode xdp)")
    w("netbpfctl up; netbpfctl network create --subnet 10.88.0.0/24 bench")
    w("netbpfctl sandbox create --network bench RUN-D-cli")
    w("netbpfctl sandbox create --network bench -p 8000:80 RUN-D-srv")
    w("# scaling, Docker's shape for N ports (iptables-restore in a throwaway netns)")
    w("-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER")
    w("-A DOCKER ! -i br0 -p tcp -m tcp --dport HOSTPORT -j DNAT --to-destination 10.66.0.2:PORT   # x N")
    w("-A FORWARD -o br0 -j DOCKER")
    w("-A DOCKER -d 10.66.0.2/32 ! -i br0 -o br0 -p tcp -m tcp --dport PORT -j ACCEPT           # x N")
    w("# scaling, netbpf: the extra N-1 ports as one range")
    w("netbpfctl publish 10001-M:10001-M RUN-D-srv          # M = 10000 + N - 1")
    w("```")
    w("")

    # ---- per metric tables
    w("## Results")
    w("")
    for m, (title, field, unit, higher, others) in METRICS.items():
        ts = R.topos(m)
        if not ts:
            continue
        w(f"### {title}")
        w("")
        head = f"| topology | {FIELD_LABEL[field]} | " + " | ".join(FIELD_LABEL[o] for o in others)
        head += " | vs A (per round) | vs C (per round) |"
        w(head)
        w("|---" * (4 + len(others)) + "|")
        for t in ts:
            name = f"({t}) {TOPO_NAME[t]}"
            if t == "A" and m in A_ROW_NOTE:
                name += f" — {A_ROW_NOTE[m]}"
            cells = [fmt_range(R.values(m, t, field))]
            cells += [fmt(med(R.values(m, t, o))) for o in others]
            ra = R.ratios(m, t, "A", field) if t != "A" else []
            rc = R.ratios(m, t, "C", field) if t != "C" else []
            cells.append(fmt_range(ra, 2) + "×" if ra else "")
            cells.append(fmt_range(rc, 2) + "×" if rc else "")
            w(f"| {name} | " + " | ".join(cells) + " |")
        w("")
        w(f"{'Higher' if higher else 'Lower'} is better; values are medians over rounds "
          "(min–max).")
        if m == "tput" and R.topos(m):
            c = {t: R.values(m, t, "counted_packets") for t in ("D", "D0") if R.values(m, t, "counted_packets")}
            if c:
                w(" Packets the per-endpoint counters recorded during the test: " +
                  ", ".join(f"{t}: {fmt(med(v), 0)}" for t, v in c.items()) + ".")
        w("")

    # ---- Docker's network readiness, every run pooled (issue 15)
    pooled = {t: [x for v in R.v.get(("netready", t), {}).values() for x in v.get("runs_ms", [])]
              for t in ("C", "G")}
    cmds = {t: [x for v in R.v.get(("netready", t), {}).values() for x in v.get("cmds_ms", [])]
            for t in ("C", "G")}
    if any(pooled.values()):
        w("### Docker: `docker run -d` until the container's network answers, every run")
        w("")
        w("Every run of every round pooled: from just before `docker run -d` until a probe "
          "from inside the new container (busybox `wget`, retried every millisecond) reached "
          "a server in the peer container `nbb-srv` on the same network "
          "(`tools/bench/probesrv.py` stamps its arrival), and until `docker run -d` itself "
          "returned. Both drivers the same way, rounds interleaved.")
        w("")
        w("| topology | runs | ready p50 ms | ready p90 ms | `docker run -d` p50 ms | "
          "`docker run -d` p90 ms |")
        w("|---|---|---|---|---|---|")

        def pct(xs, f):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(f * len(xs)))] if xs else None
        for t in ("C", "G"):
            if pooled[t]:
                w(f"| ({t}) {TOPO_NAME[t]} | {len(pooled[t])} | {fmt(pct(pooled[t], 0.5))} | "
                  f"{fmt(pct(pooled[t], 0.9))} | {fmt(pct(cmds[t], 0.5))} | "
                  f"{fmt(pct(cmds[t], 0.9))} |")
        w("")

    calls = extra_of(extra, "netbpfd_calls")
    if calls and calls[0]:
        w("What netbpfd took per call of Docker's during the run (G; `netbpfd -v` logs each "
          "call's time from taking its lock to its answer, and the time it waited for the "
          "lock): the driver's share of `docker run` is one `CreateEndpoint`, one `Join` and "
          "(with `-p`) one `ProgramExternalConnectivity`; `docker rm` adds `Leave`, "
          "`RevokeExternalConnectivity` and `DeleteEndpoint`.")
        w("")
        w("| call | calls | p50 ms | p90 ms | waited p50 ms |")
        w("|---|---|---|---|---|")
        for k, v in calls[0].items():
            w(f"| `{k}` | {v['calls']} | {fmt(v['p50_ms'])} | {fmt(v['p90_ms'])} | "
              f"{fmt(v['wait_p50_ms'])} |")
        w("")

    # ---- tc vs XDP (issue 8): every metric measured in both, E against D per round
    if any(R.topos(m) and "E" in R.topos(m) for m in METRICS):
        w("### netbpf in XDP mode against tc mode")
        w("")
        w("E / D per round (median, min–max), for every metric both were measured in; "
          "below 1 is better for latency, above 1 for rates.")
        w("")
        w("| metric | tc (D) | XDP (E) | XDP / tc | XDP on the veth uplink (EV) / tc |")
        w("|---|---|---|---|---|")
        for m, (title, field, unit, higher, _) in METRICS.items():
            d, e = R.values(m, "D", field), R.values(m, "E", field)
            rs = R.ratios(m, "E", "D", field)
            rv = R.ratios(m, "EV", "D", field)
            if d or e:
                w(f"| {title.split(' (')[0]} ({unit}) | {fmt(med(d))} | "
                  f"{fmt(med(e)) if e else 'failed'} | {fmt_range(rs, 2) + '×' if rs else '–'} | "
                  f"{fmt_range(rv, 2) + '×' if rv else '–'} |")
        w("")

    cross_host(R, w, extra)

    # ---- program cost
    pc = extra_of(extra, "progcost")
    if pc:
        w("### What netbpf's programs cost per run")
        w("")
        w("One more measurement of each metric in D, E and EV (and of latency and throughput in XN, "
          "both hosts' programs, named h1: and h2:) after the rounds, with the kernel's "
          "BPF run-time statistics on (`BPF_ENABLE_STATS`, held by `tools/bench/bpfstats.py` "
          "only for this pass, since it adds two clock reads to every run): for each program "
          "that ran, its runs and average time per run (`run_time_ns / run_cnt`, "
          "`bpftool prog show`). A sandbox-to-sandbox packet passes one endpoint program "
          "in either mode; a published-port packet from outside passes `uplink_in` (or "
          "`xdp_uplink` on an uplink with XDP), its reply `endpoint` then `uplink_out`; "
          "across hosts (XN) `endpoint` and `uplink_out` on the sender, `uplink_in` and "
          "`tunnel` on the receiver.")
        w("")
        w("| metric | topology | result of that run | program: ns per run (runs) |")
        w("|---|---|---|---|")
        for e in pc:
            m = e["metric"]
            field, unit = METRICS[m][1], METRICS[m][2]
            progs = ", ".join(f"`{n}` {v['ns_per_run']:,.0f} ns ({v['runs']:,})"
                              for n, v in sorted(e["progs"].items(), key=lambda x: -x[1]["runs"])
                              if v["runs"] >= 100)
            w(f"| {METRICS[m][0].split(' (')[0]} | ({e['topo']}) | "
              f"{fmt(e['result'].get(field))} {unit} | {progs or '–'} |")
        w("")

    # ---- scaling
    if scale:
        w("## Published-port scaling: iptables DNAT rules vs netbpf's map")
        w("")
        w("Docker publishes each port with a DNAT rule in its `nat DOCKER` chain and an ACCEPT rule "
          "in `filter DOCKER`, walked in order for every new connection. The harness builds the "
          "same shape with `iptables-restore` in a throwaway namespace (bridge to the server, "
          "world namespace for the client), N ports with the measured one last (where Docker "
          "appends the newest port); netbpf publishes N ports on instance D's server sandbox "
          "(the extra ones as one range). Same client, same server program; every round "
          "measures every port count in turn (rotated), both systems back to back.")
        w("")
        w("| ports | iptables conn/s | netbpf conn/s | netbpf / iptables | iptables p50 µs | "
          "netbpf p50 µs |")
        w("|---|---|---|---|---|---|")
        for n in sorted({s["n"] for s in scale}):
            def col(sysname, k, fl):
                return [s[k][fl] for s in scale if s["system"] == sysname and s["n"] == n
                        and not s[k].get("error")]
            by = {}
            for s in scale:
                if s["n"] == n and not s["wrk"].get("error"):
                    by.setdefault(s["round"], {})[s["system"]] = s["wrk"]["conn_s"]
            rs = [d["netbpf"] / d["iptables"] for d in by.values() if len(d) == 2]
            w(f"| {n:,} | {fmt_range(col('iptables', 'wrk', 'conn_s'))} | "
              f"{fmt_range(col('netbpf', 'wrk', 'conn_s'))} | "
              f"{fmt(med(rs), 2) + '×' if rs else '–'} | "
              f"{fmt_range(col('iptables', 'connlat', 'p50_us'))} | "
              f"{fmt_range(col('netbpf', 'connlat', 'p50_us'))} |")
        w("")
        for p in ("scaling-rate.png", "scaling-latency.png"):
            if p in made:
                w(f"![{p}]({rel}/{p})")
                w("")
        pubs = [p for p in extra_of(extra, "nb_publish") if "n" in p]
        ipl = extra_of(extra, "ipt_load")
        if pubs or ipl:
            w("Control-plane time to get there: " + "; ".join(
                [f"`netbpfctl unpublish` + `publish` to reach {n:,} port(s) (the extra ones as one range): "
                 f"{fmt(med([p['ms'] for p in pubs if p['n'] == n]), 0)} ms (median)"
                 for n in sorted({p["n"] for p in pubs})] +
                [f"`iptables-restore` of {n:,} port(s): "
                 f"{fmt(med([i['ms'] for i in ipl if i['n'] == n]), 0)} ms (median)"
                 for n in sorted({i["n"] for i in ipl})]) + ".")
            w("")

    # ---- control plane
    if sb:
        w("## Control plane: `netbpfctl sandbox create` on one network")
        w("")
        w("Wall time of each `netbpfctl sandbox create --network scale NAME` call (process start, "
          "SQLite transaction, netns, veth, addresses, routes, map updates), as the n-th "
          "sandbox on one /16 network. Each row is the median of the 10 calls ending at that "
          "count.")
        w("")
        w("| sandboxes on the network | ms per create, median (min–max) of 10 calls |")
        w("|---|---|")
        marks = [int(x) for x in st.get("sandbox_marks", "10 100 1000").split()]
        for mk in marks:
            xs = [us / 1000 for i, us in sb if mk - 10 < i <= mk]
            if xs:
                w(f"| {mk:,} | {fmt_range(xs)} |")
        w("")
        if "sandbox-create.png" in made:
            w(f"![sandbox-create.png]({rel}/sandbox-create.png)")
            w("")

    # ---- the CNI plugins (tools/bench/cni.sh)
    cni_section(a.raw, rel, w)

    # ---- the overlay at scale (tools/bench/ovscale.sh)
    ovscale_section(a.raw, w)

    # ---- the ramp (tools/bench/ramp.sh)
    ramp = keyvals(os.path.join(a.raw, "ramp.txt"))
    if ramp:
        w("## Control plane: the 4,096-sandbox ramp")
        w("")
        w("`tools/bench/ramp.sh`: sandboxes created one by one on one network of an "
          "instance of its own; per bucket of 256 the create time's p50 and p90; at each "
          "mark the first and last pairs' ping RTT and the whole-instance commands; then "
          "`down`, the restoring `up` and `sandbox rm`. Reported, never asserted.")
        w("")
        w("The reference is an empty instance of its own, a create timed there every 8th "
          "ramp create: the ratio cancels the shared machine's load, and with it what the "
          "kernel charges every instance alike for the devices on the machine.")
        w("")
        w("| sandboxes | create p50 (ms) | create p90 (ms) | reference p50 (ms) | ratio p50 |")
        w("|---|---|---|---|---|")
        buckets = sorted((k for k in ramp if k.startswith("create_us_p50@")),
                         key=lambda k: int(k.split("@")[1]))
        for k in buckets:
            n = k.split("@")[1]
            p90 = ramp.get(f"create_us_p90@{n}", "0")
            ref = ramp.get(f"create_ref_us_p50@{n}")
            refs = f"{int(ref) / 1000:.1f}" if ref else "–"
            w(f"| {int(n):,} | {int(ramp[k]) / 1000:.1f} | {int(p90) / 1000:.1f} | {refs} | "
              f"{ramp.get(f'create_norm_p50@{n}', '–')} |")
        w("")
        if len(buckets) > 1:
            first, last = buckets[0].split("@")[1], buckets[-1].split("@")[1]
            line = (f"Last bucket over first: {int(ramp[buckets[-1]]) / int(ramp[buckets[0]]):.2f}× "
                    "(raw p50)")
            nf, nl = ramp.get(f"create_norm_p50@{first}"), ramp.get(f"create_norm_p50@{last}")
            if nf and nl:
                line += f", {float(nl) / float(nf):.2f}× (ratio to the reference)"
            w(line + ".")
            w("")
        marks = sorted({int(k.split("@")[1]) for k in ramp if k.startswith("sandbox_ls_ms@")})
        if marks:
            w("| at | " + " | ".join(f"{m:,} sandboxes" for m in marks) + " |")
            w("|---|" + "---|" * len(marks))
            for key, label in [("rtt_us_first_pair", "ping RTT first pair (µs)"),
                               ("rtt_us_last_pair", "ping RTT last pair (µs)"),
                               ("sandbox_ls_ms", "`sandbox ls` (ms)"),
                               ("stats_ms", "`stats --no-stream` (ms)"),
                               ("status_ms", "`status` (ms)"),
                               ("network_inspect_ms", "`network inspect` (ms)"),
                               ("gc_ms", "`gc` (ms)"),
                               ("publish_ms", "`publish` of one port (ms)"),
                               ("publish_range_1024_ms", "`publish` of 1,024 ports, one call (ms)"),
                               ("published", "ports published then"),
                               ("publish_after_ms", "`publish` of one port again (ms)"),
                               ("link_control_drops", "link-control drops")]:
                w(f"| {label} | " + " | ".join(ramp.get(f"{key}@{m}", "–") for m in marks) + " |")
            w("")
        if ramp.get("note"):
            w(f"Note on this run: {ramp['note']}")
            w("")
        for key, label in [("down_ms", "`down` (ms)"), ("up_restore_ms", "restoring `up` (ms)"),
                           ("rm_us_per_sandbox", "`sandbox rm` (µs each)")]:
            for k in ramp:
                if k.startswith(key + "@"):
                    w(f"- {label} at {int(k.split('@')[1]):,} sandboxes: {ramp[k]}")
        w("")

    # ---- memory
    mems = extra_of(extra, "map_memory")
    if mems:
        w("## Memory: netbpf's maps")
        w("")
        w("Kernel memory charged to each pinned map (`bpftool map show`, `bytes_memlock`). "
          "Hash maps preallocate their entries, so the size is set by `max_entries` "
          "(include/netbpf/abi.h), not by use; per-CPU maps scale with the CPU count.")
        w("")
        names = sorted(set().union(*[m["maps"].keys() for m in mems]))
        w("| map | type | max entries | " + " | ".join(m["stage"] for m in mems) + " |")
        w("|---|---|---|" + "---|" * len(mems))
        for n in names:
            first = next(m["maps"][n] for m in mems if n in m["maps"])
            w(f"| `{n}` | {first['type']} | {first['max_entries']:,} | " + " | ".join(
                f"{m['maps'][n]['bytes_memlock'] / 2**20:.2f} MiB" if n in m["maps"] else "–"
                for m in mems) + " |")
        w("| **total** | | | " + " | ".join(
            f"**{sum(x['bytes_memlock'] for x in m['maps'].values()) / 2**20:.1f} MiB**"
            for m in mems) + " |")
        w("")
        dp = extra_of(extra, "docker_proxy")
        if dp:
            d = dp[0]
            w(f"For comparison, Docker's one published port runs {d['processes']} docker-proxy "
              f"processes (IPv4 and IPv6) with {d['rss_kib'] / 1024:.1f} MiB resident memory "
              "together, per published port; 10,000 published ports would be 20,000 processes. "
              "netbpf's publish map holds 65,536 ports in the fixed size above.")
            w("")

    # ---- raw
    w("## Raw data")
    w("")
    w(f"In [`{rel}/`]({rel}/): `results.jsonl` (every measurement: round, metric, topology, "
      "values), `extra.jsonl` (scaling rounds, map memory, docker-proxy memory, control-plane "
      "timings, unavailable topologies, the root-netns check), `sandbox-create.dat` "
      "(call number, µs), `ramp.txt`, `cni.txt` and `ovscale.txt` (the ramp's, the CNI "
      "comparison's and the overlay-at-scale run's key value lines), `meta.json` (machine, "
      "versions, settings), `summary.csv`, "
      "`scaling.csv`, the gnuplot data (`scaling-*.dat`) and the PNG plots.")
    el = extra_of(extra, "elapsed")
    if el:
        w("")
        w(f"The run took {el[0]['seconds'] // 60} min {el[0]['seconds'] % 60} s.")
    with open(a.md, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    sys.exit(main())
