# shellcheck shell=bash
# One function per metric: m_<metric> ROUND TOPO runs one measurement of
# that metric in that topology and appends its result (emit). Servers run
# pinned to $NBB_CPU_SERVER in the topology's server netns, clients to
# $NBB_CPU_CLIENT; each client is bounded in time.
#
# Which metric runs in which topology (the published-port metrics need a
# published port; A has none and stands for "no NAT at all" there).

METRICS=(lat_bp lat_blk tput udp64 pub_rate pub_lat local_rate local_lat netready dns_qps dns_lat
	lat_bp4 lat_bp6 udp64_6 pub_rate6)
declare -A METRIC_TOPOS=(
	[lat_bp]="A A1 R B C D E D1 F G XU XF XN"
	[lat_blk]="A B C D E D1 F G XU XF XN"
	[tput]="A B C D E D0 D1 F G XU XF XN"
	[udp64]="A A1 R B C D E D0 D1 F G XU XF XN"
	[pub_rate]="A A1 R C D E EV D1 G"
	[pub_lat]="A C D E EV G"
	[local_rate]="C D E D1 G"
	[local_lat]="C D E G"
	[netready]="C G"
	[dns_qps]="C G"
	[dns_lat]="C G"
	# IPv6 beside IPv4 (issue 16): the topologies with an IPv6 path (T_SRVIP6, T_PUBIP6)
	[lat_bp4]="A B C D"
	[lat_bp6]="A B C D"
	[udp64_6]="A B C D"
	[pub_rate6]="A R C D E EV"
)
declare -A METRIC_TITLE=(
	[lat_bp]="sandbox↔sandbox TCP request/response latency, busy polling (sockperf --nonblocked)"
	[lat_blk]="sandbox↔sandbox TCP request/response latency, blocking sockets (sockperf)"
	[tput]="sandbox↔sandbox single-stream TCP throughput (iperf3)"
	[udp64]="sandbox↔sandbox 64-byte UDP packet rate (iperf3 -u -l 64 -b 0)"
	[pub_rate]="published port from outside: new connections/s (wrk, Connection: close)"
	[pub_lat]="published port from outside: one connection at a time (connect/request/close)"
	[local_rate]="published port from the host's 127.0.0.1: new connections/s (wrk)"
	[local_lat]="published port from the host's 127.0.0.1: one connection at a time"
	[netready]="docker run -d until a probe from inside the container gets its peer's reply"
	[dns_qps]="DNS from inside a container: queries/s (dnsperf, 32 outstanding)"
	[dns_lat]="DNS from inside a container: latency at 1,000 queries/s (dnsperf -Q 1000)"
	[lat_bp4]="sandbox↔sandbox TCP latency, busy polling, IPv4 (nbb-pingpong: v6's baseline)"
	[lat_bp6]="sandbox↔sandbox TCP latency, busy polling, IPv6 (nbb-pingpong)"
	[udp64_6]="sandbox↔sandbox 64-byte UDP packet rate over IPv6 (iperf3 -u -l 64 -b 0)"
	[pub_rate6]="published port from outside over IPv6: new connections/s (wrk)"
)

# client NS CGROUP CMD...: CMD as a client (pinned, bounded in time, and in
# CGROUP when one is given so the socket hooks see it)
client() {
	local n cg=$2
	n=$(ns "$1")
	shift 2
	if [ -n "$cg" ]; then
		(
			echo $BASHPID >"$cg/cgroup.procs"
			exec timeout $((NBB_DUR_TPUT + 30)) taskset -c "$NBB_CPU_CLIENT" nsenter --net="$n" "$@"
		)
	else
		timeout $((NBB_DUR_TPUT + 30)) taskset -c "$NBB_CPU_CLIENT" nsenter --net="$n" "$@"
	fi
}

# server NAME NS CMD...: a server for one measurement; pid in $SRV_PID
server() {
	local name=$1 n=$2
	shift 2
	bg_on_cpu "$name" "$NBB_CPU_SERVER" "$n" "$@"
	SRV_PID=$BG_PID
}

# ---- latency: sockperf ping-pong ---------------------------------------------------

sockperf_pp() { # ROUND METRIC TOPO [--nonblocked]
	local r=$1 m=$2 t=$3 out
	shift 3
	server "sockperf-$t" "${T_SRV[$t]}" sockperf sr --tcp -p 11111 "$@"
	wait_listen "${T_SRV[$t]}" tcp 11111 || { bg_stop "$SRV_PID"; return 1; }
	out=$(client "${T_CLI[$t]}" "" sockperf pp --tcp -i "${T_SRVIP[$t]}" -p 11111 \
		-t "$NBB_DUR" -m 64 "$@" 2>&1) || true
	bg_stop "$SRV_PID"
	# sockperf reports latency as half the round trip, in microseconds
	python3 - "$out" <<'EOF' >"$NBB_TMP/v.json" || { echo "$out" >&2; return 1; }
import json, re, sys
s = sys.argv[1]
def f(pat):
    m = re.search(pat, s)
    if not m:
        raise SystemExit("sockperf output without %r" % pat)
    return float(m.group(1))
print(json.dumps({"avg_us": f(r"avg-latency=([0-9.]+)"),
                  "p50_us": f(r"percentile 50\.000 =\s*([0-9.]+)"),
                  "p99_us": f(r"percentile 99\.000 =\s*([0-9.]+)"),
                  "observations": int(f(r"Total (\d+) observations"))}))
EOF
	emit "$r" "$m" "$t" "$(cat "$NBB_TMP/v.json")"
}
m_lat_bp() { sockperf_pp "$1" lat_bp "$2" --nonblocked; }
m_lat_blk() { sockperf_pp "$1" lat_blk "$2"; }

# The same over either family: sockperf 3.7 (Debian 12's) takes IPv4 addresses
# only, so both sides of the v6/v4 ratio come from tools/bench/pingpong.c
# (sockperf's --nonblocked ping-pong: one TCP connection, 64-byte messages,
# both ends spinning on non-blocking reads; half the round trip reported).
pingpong() { # ROUND METRIC TOPO ADDR
	local r=$1 m=$2 t=$3 v
	server "pingpong-$t" "${T_SRV[$t]}" "$NBB_BUILD/nbb-pingpong" -s -p 11112
	wait_listen "${T_SRV[$t]}" tcp 11112 || { bg_stop "$SRV_PID"; return 1; }
	v=$(client "${T_CLI[$t]}" "" "$NBB_BUILD/nbb-pingpong" -a "$4" -p 11112 -t "$NBB_DUR" -m 64) ||
		{ bg_stop "$SRV_PID"; return 1; }
	bg_stop "$SRV_PID"
	emit "$r" "$m" "$t" "$v"
}
m_lat_bp4() { pingpong "$1" lat_bp4 "$2" "${T_SRVIP[$2]}"; }
m_lat_bp6() { pingpong "$1" lat_bp6 "$2" "${T_SRVIP6[$2]}"; }

# ---- throughput and packet rate: iperf3 ----------------------------------------------

# udp_in NS: datagrams that reached the UDP layer of NS (queued + dropped for a full buffer)
udp_in() {
	in_ns "$1" cat /proc/net/snmp | awk '/^Udp:/ { n++; if (n == 1) for (i = 2; i <= NF; i++) col[$i] = i;
		else print $col["InDatagrams"] + $col["RcvbufErrors"] }'
}

m_tput() {
	local r=$1 t=$2 c0=0 c1=0 out
	server "iperf3-$t" "${T_SRV[$t]}" iperf3 -s -1 -p 5201
	wait_listen "${T_SRV[$t]}" tcp 5201 || { bg_stop "$SRV_PID"; return 1; }
	case $t in D | D0 | E) c0=$(nb_ep_packets "$t") ;; esac
	out=$(client "${T_CLI[$t]}" "" iperf3 -c "${T_SRVIP[$t]}" -p 5201 -t "$NBB_DUR_TPUT" -J) || true
	case $t in D | D0 | E) c1=$(nb_ep_packets "$t") ;; esac
	bg_stop "$SRV_PID"
	python3 - "$out" "$((c1 - c0))" <<'EOF' >"$NBB_TMP/v.json" || { echo "$out" >&2; return 1; }
import json, sys
d = json.loads(sys.argv[1])
if "error" in d:
    raise SystemExit("iperf3: " + d["error"])
e = d["end"]
print(json.dumps({"gbit_s": e["sum_received"]["bits_per_second"] / 1e9,
                  "retransmits": e["sum_sent"].get("retransmits", 0),
                  "counted_packets": int(sys.argv[2])}))
EOF
	emit "$r" tput "$t" "$(cat "$NBB_TMP/v.json")"
}

# udp6_in NS: udp_in's count for IPv6 (/proc/net/snmp6)
udp6_in() {
	in_ns "$1" cat /proc/net/snmp6 | awk '$1 == "Udp6InDatagrams" { n += $2 }
		$1 == "Udp6RcvbufErrors" { n += $2 } END { print n }'
}

m_udp64() { udp64_run "$1" udp64 "$2" "${T_SRVIP[$2]}" udp_in; }
# the same 64-byte payload over IPv6 (20 bytes more of header per packet)
m_udp64_6() { udp64_run "$1" udp64_6 "$2" "${T_SRVIP6[$2]}" udp6_in; }

udp64_run() { # ROUND METRIC TOPO ADDR COUNTER
	local r=$1 m=$2 t=$3 u0 u1 out
	server "iperf3-$t" "${T_SRV[$t]}" iperf3 -s -1 -p 5201
	wait_listen "${T_SRV[$t]}" tcp 5201 || { bg_stop "$SRV_PID"; return 1; }
	u0=$("$5" "${T_SRV[$t]}")
	out=$(client "${T_CLI[$t]}" "" iperf3 -c "$4" -p 5201 -u -l 64 -b 0 \
		-t "$NBB_DUR" -J) || true
	u1=$("$5" "${T_SRV[$t]}")
	bg_stop "$SRV_PID"
	# The rate the path delivers: datagrams that reached the server's UDP layer
	# per second (iperf3's receiver drains slower than one sender fills, the
	# rest are socket-buffer drops, which are counted there too).
	python3 - "$out" "$((u1 - u0))" <<'EOF' >"$NBB_TMP/v.json" || { echo "$out" >&2; return 1; }
import json, sys
d = json.loads(sys.argv[1])
if "error" in d:
    raise SystemExit("iperf3: " + d["error"])
e = d["end"]
secs = e["sum_sent"]["seconds"]
print(json.dumps({"kpps": int(sys.argv[2]) / secs / 1e3,
                  "sent_kpps": e["sum_sent"]["packets"] / secs / 1e3,
                  "app_kpps": (e["sum_received"]["packets"] - e["sum_received"]["lost_packets"])
                  / e["sum_received"]["seconds"] / 1e3}))
EOF
	emit "$r" "$m" "$t" "$(cat "$NBB_TMP/v.json")"
}

# ---- connections: wrk and nbb-connlat -------------------------------------------------

# wrk_rate NS CGROUP IP PORT: prints {"conn_s", "errors", "non2xx"}
wrk_rate() {
	local out
	out=$(client "$1" "$2" wrk -t1 -c8 -d"${NBB_DUR}s" -H 'Connection: close' \
		"http://$3:$4/" 2>&1) || true
	python3 - "$out" <<'EOF' || { echo "$out" >&2; return 1; }
import json, re, sys
s = sys.argv[1]
m = re.search(r"Requests/sec:\s*([0-9.]+)", s)
if not m:
    raise SystemExit("wrk output without Requests/sec")
err = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", s))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", s)
print(json.dumps({"conn_s": float(m.group(1)), "errors": err,
                  "non2xx": int(non2xx.group(1)) if non2xx else 0}))
EOF
}
# connlat NS CGROUP IP PORT [NAME]: nbb-connlat's JSON; with NBB_SAMPLES=DIR in the
# environment every sample also goes to DIR/NAME.txt (a tail's events, not its percentile)
connlat() {
	local s=()
	[ -n "${NBB_SAMPLES:-}" ] && [ -n "${5:-}" ] && s=(-s "$NBB_SAMPLES/$5.txt")
	client "$1" "$2" "$NBB_BUILD/nbb-connlat" -a "$3" -p "$4" -d "$NBB_DUR" "${s[@]}"
}

m_pub_rate() {
	local v
	v=$(wrk_rate "${T_PUBCLI[$2]}" "" "${T_PUBIP[$2]}" "${T_PUBPORT[$2]}") || return 1
	emit "$1" pub_rate "$2" "$v"
}
# over IPv6: the world's client to the host's IPv6 address (wrk takes [ADDR])
m_pub_rate6() {
	local v
	v=$(wrk_rate "${T_PUBCLI[$2]}" "" "[${T_PUBIP6[$2]}]" "${T_PUBPORT[$2]}") || return 1
	emit "$1" pub_rate6 "$2" "$v"
}
m_pub_lat() {
	local v
	v=$(connlat "${T_PUBCLI[$2]}" "" "${T_PUBIP[$2]}" "${T_PUBPORT[$2]}" "pub_lat-$2-$1") ||
		return 1
	emit "$1" pub_lat "$2" "$v"
}
m_local_rate() {
	local v
	v=$(wrk_rate "${T_LOCALNS[$2]}" "${T_LOCALCG[$2]}" "${T_LOCALIP[$2]}" "${T_LOCALPORT[$2]}") ||
		return 1
	emit "$1" local_rate "$2" "$v"
}
m_local_lat() {
	local v
	v=$(connlat "${T_LOCALNS[$2]}" "${T_LOCALCG[$2]}" "${T_LOCALIP[$2]}" "${T_LOCALPORT[$2]}" \
		"local_lat-$2-$1") ||
		return 1
	emit "$1" local_lat "$2" "$v"
}

# ---- Docker: docker run until the container's network answers (issue 15) -------------
# One definition for both drivers: from just before `docker run -d` until a
# probe from inside the new container (busybox wget, retried every ms; not
# -T, which makes busybox-static's wget crash) gets through to the server container nbb-srv on the
# same network: tools/bench/probesrv.py there stamps each request's arrival
# (CLOCK_REALTIME, the clock `date +%s%N` reads). That is the container's
# address, route and ARP working, and the peer's reply on its way (a
# sub-millisecond leg). Also recorded: when `docker run -d` itself returned.
# NETREADY_RUNS runs per measurement; rounds interleave the drivers.

NETREADY_RUNS=${NETREADY_RUNS:-2}
declare -A PROBE_SRV
probe_server() {
	[ -n "${PROBE_SRV[$1]:-}" ] && return 0
	bg_on_cpu "probesrv-$1" "$NBB_CPU_SERVER" "${T_SRV[$1]}" python3 "$NBB_BENCH/probesrv.py" 81
	PROBE_SRV[$1]=$BG_PID
	wait_listen "${T_SRV[$1]}" tcp 81
}

m_netready() {
	local r=$1 t=$2 i name t0 t1 tr runs="" cmds="" d=${T_DK[$2]}
	probe_server "$t" || return 1
	for i in $(seq "$NETREADY_RUNS"); do
		name=nbb-rdy-$r-$i
		t0=$(now_ns)
		"$d" run -d --name "$name" --network nbbnet nbb-busybox /bin/sh -c \
			"until /bin/busybox wget -q -O /dev/null http://${T_SRVIP[$t]}:81/$name; do
				/bin/busybox usleep 1000; done; exec /bin/sleep 1000000" >/dev/null ||
			{ "$d" rm -f "$name" >/dev/null 2>&1; return 1; }
		t1=$(now_ns)
		if ! wait_for 30 grep -q "^$name " "$NBB_TMP/probesrv-$t.log"; then
			log "($t) $name: no probe arrived: $("$d" logs "$name" 2>&1 | tail -3)" \
				"$(tail -3 "$NBB_TMP/probesrv-$t.log")"
			"$d" rm -f "$name" >/dev/null 2>&1
			return 1
		fi
		tr=$(awk -v n="$name" '$1 == n { print $2; exit }' "$NBB_TMP/probesrv-$t.log")
		"$d" rm -f "$name" >/dev/null
		runs+="${runs:+, }$(((tr - t0) / 1000)).0"
		cmds+="${cmds:+, }$(((t1 - t0) / 1000)).0"
	done
	emit "$r" netready "$t" "$(python3 -c '
import json, statistics, sys
runs = [x / 1000 for x in json.loads(sys.argv[1])]
cmds = [x / 1000 for x in json.loads(sys.argv[2])]
print(json.dumps({"ready_ms": statistics.median(runs), "run_cmd_ms": statistics.median(cmds),
                  "runs_ms": runs, "cmds_ms": cmds}))' "[$runs]" "[$cmds]")"
}

# ---- Docker: DNS from inside a container (issue 18) -------------------------------------
# dnsperf in the client container's netns against the DNS its containers use:
# Docker's embedded DNS at 127.0.0.11 (C) and netbpfd's on the network's
# gateway address (G). The same query mix for both: the two peer containers'
# names and a name neither knows, forwarded to the "host's resolver" (dnsmasq
# in the world netns, 198.18.0.2, answering it from its own table). Rate with
# 32 queries outstanding; latency at a light, fixed 1,000 queries/s (dnsperf
# -Q; its -q 1 paces queries at well under that), each answer's from -v.

declare -A WORLD_DNS
world_dns() {
	local w=${T_PUBCLI[$1]}
	[ -n "${WORLD_DNS[$1]:-}" ] && return 0
	command -v dnsmasq >/dev/null || { log "dnsmasq missing: make bench installs dnsmasq-base"; return 1; }
	printf 'nbb-srv A\nnbb-cli A\nworld.example A\n' >"$NBB_TMP/dnsq.txt"
	bg "dnsmasq-$1" nsenter --net="$(ns "$w")" dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --bind-interfaces --listen-address=198.18.0.2 --user=root --pid-file= \
		--cache-size=0 --address=/world.example/198.18.99.7
	WORLD_DNS[$1]=$BG_PID
	wait_for 5 listening "$w" udp 53 || { log "dnsmasq did not start in $w"; return 1; }
}

# dnsperf_run TOPO ARGS...: dnsperf's output (stdout and stderr)
dnsperf_run() {
	local t=$1
	shift
	client "${T_CLI[$t]}" "" dnsperf -s "${T_DNS[$t]}" -d "$NBB_TMP/dnsq.txt" -l "$NBB_DUR" -t 2 "$@" 2>&1
}

m_dns_qps() {
	local r=$1 t=$2 out
	world_dns "$t" || return 1
	out=$(dnsperf_run "$t" -c 1 -q 32) || true
	python3 - "$out" <<'PY' >"$NBB_TMP/v.json" || { echo "$out" >&2; return 1; }
import json, re, sys
s = sys.argv[1]
def f(pat):
    m = re.search(pat, s)
    if not m:
        raise SystemExit("dnsperf output without %r" % pat)
    return float(m.group(1))
sent = f(r"Queries sent:\s*(\d+)")
noerr = re.search(r"NOERROR (\d+)", s)
print(json.dumps({"qps": f(r"Queries per second:\s*([0-9.]+)"),
                  "lost_pct": f(r"Queries lost:\s*\d+ \(([0-9.]+)%\)"),
                  "noerror_pct": 100.0 * int(noerr.group(1)) / sent if noerr and sent else 0.0,
                  "avg_us": f(r"Average Latency \(s\):\s*([0-9.]+)") * 1e6}))
PY
	emit "$r" dns_qps "$t" "$(cat "$NBB_TMP/v.json")"
}

m_dns_lat() {
	local r=$1 t=$2
	world_dns "$t" || return 1
	dnsperf_run "$t" -c 1 -q 20 -Q 1000 -v >"$NBB_TMP/dnsperf.out" || true
	python3 - "$NBB_TMP/dnsperf.out" <<'PY' >"$NBB_TMP/v.json" || { tail -5 "$NBB_TMP/dnsperf.out" >&2; return 1; }
import json, sys
# "> NOERROR nbb-srv A 0.000123": rcode, name, type, seconds
lat = {"all": [], "peer": [], "fwd": []}
noerr = 0
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 5 and p[0] == ">":
        us = float(p[4]) * 1e6
        lat["all"].append(us)
        lat["fwd" if p[2] == "world.example" else "peer"].append(us)
        noerr += p[1] == "NOERROR"
if len(lat["all"]) < 10:
    raise SystemExit("dnsperf: fewer than 10 answers")
def q(xs, f):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(f * len(xs)))] if xs else None
print(json.dumps({"p50_us": q(lat["all"], 0.5), "p99_us": q(lat["all"], 0.99),
                  "peer_p50_us": q(lat["peer"], 0.5), "fwd_p50_us": q(lat["fwd"], 0.5),
                  "answers": len(lat["all"]), "noerror_pct": 100.0 * noerr / len(lat["all"])}))
PY
	emit "$r" dns_lat "$t" "$(cat "$NBB_TMP/v.json")"
}
