# shellcheck shell=bash
# One function per metric: m_<metric> ROUND TOPO runs one measurement of
# that metric in that topology and appends its result (emit). Servers run
# pinned to $NBB_CPU_SERVER in the topology's server netns, clients to
# $NBB_CPU_CLIENT; each client is bounded in time.
#
# Which metric runs in which topology (the published-port metrics need a
# published port; A has none and stands for "no NAT at all" there).

METRICS=(lat_bp lat_blk tput udp64 pub_rate pub_lat local_rate local_lat)
declare -A METRIC_TOPOS=(
	[lat_bp]="A B C D E F G XU XF XN"
	[lat_blk]="A B C D E F G XU XF XN"
	[tput]="A B C D E D0 F G XU XF XN"
	[udp64]="A B C D E D0 F G XU XF XN"
	[pub_rate]="A C D E G"
	[pub_lat]="A C D E G"
	[local_rate]="C D E G"
	[local_lat]="C D E G"
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

m_udp64() {
	local r=$1 t=$2 u0 u1 out
	server "iperf3-$t" "${T_SRV[$t]}" iperf3 -s -1 -p 5201
	wait_listen "${T_SRV[$t]}" tcp 5201 || { bg_stop "$SRV_PID"; return 1; }
	u0=$(udp_in "${T_SRV[$t]}")
	out=$(client "${T_CLI[$t]}" "" iperf3 -c "${T_SRVIP[$t]}" -p 5201 -u -l 64 -b 0 \
		-t "$NBB_DUR" -J) || true
	u1=$(udp_in "${T_SRV[$t]}")
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
	emit "$r" udp64 "$t" "$(cat "$NBB_TMP/v.json")"
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
# connlat NS CGROUP IP PORT: nbb-connlat's JSON
connlat() {
	client "$1" "$2" "$NBB_BUILD/nbb-connlat" -a "$3" -p "$4" -d "$NBB_DUR"
}

m_pub_rate() {
	local v
	v=$(wrk_rate "${T_PUBCLI[$2]}" "" "${T_PUBIP[$2]}" "${T_PUBPORT[$2]}") || return 1
	emit "$1" pub_rate "$2" "$v"
}
m_pub_lat() {
	local v
	v=$(connlat "${T_PUBCLI[$2]}" "" "${T_PUBIP[$2]}" "${T_PUBPORT[$2]}") || return 1
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
	v=$(connlat "${T_LOCALNS[$2]}" "${T_LOCALCG[$2]}" "${T_LOCALIP[$2]}" "${T_LOCALPORT[$2]}") ||
		return 1
	emit "$1" local_lat "$2" "$v"
}
