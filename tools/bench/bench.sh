#!/bin/bash
# netbpf's benchmark harness: netbpf side by side with a bare veth pair, a
# Linux bridge and Docker's real engine, in one run, in namespaces it creates
# and removes. See docs/benchmarks.md for what it measures and the results.
#
#   tools/bench/bench.sh [--quick] [--rounds N] [--duration SECS] [--out DIR]
#                        [--topos "A B C D ..."] [--metrics "lat_bp udp64 ..."]
#                        [--no-scaling] [--no-sandboxes] [--no-ramp] [--no-cni] [--converge N]
#                        [--no-ovscale] [--ovscale "HOSTS PER-HOST"]
#                        [--md FILE] [--analysis FILE]
#
# --quick: one round of 1-second measurements, scaling to 1,000 ports and 100
# sandboxes, results under build/bench/quick (a minute or two, for development).
# The full run (make bench) writes docs/bench/ and docs/benchmarks.md, and
# ends with the 4,096-sandbox ramp (tools/bench/ramp.sh; --no-ramp skips it,
# --quick never runs it), after the CNI plugin against the reference bridge,
# host-local and portmap plugins at 1, 100 and 1,000 containers
# (tools/bench/cni.sh; --no-cni skips it, --quick takes 1 and 10). --converge N:
# endpoints of the cross-host convergence run (50; quick: 10; 0: none). Then the
# overlay at scale: 8 hosts x 128 sandboxes on one overlay network, agent and etcd
# CPU and convergence (tools/bench/ovscale.sh; --no-ovscale skips it, --quick takes
# 3 x 8, --ovscale "H M" sets the size). --md
# writes the report to FILE instead (a targeted run beside the full one:
# docs/bench-docker.md from --out docs/bench-docker), with --analysis FILE as its
# written analysis (tools/bench/analysis.md). NBB_SAMPLES=DIR in the environment:
# the serial-connection metrics (pub_lat, local_lat) also write every sample to
# DIR/METRIC-TOPO-ROUND.txt (nbb-connlat -s), to tell a tail's events apart.
#
# Safety: every namespace, mount, cgroup and process is this run's own and is
# removed on exit, also on failure or ^C. dockerd runs only inside a netns of
# the run, with its own data root, exec root, pidfile, socket and a private
# mount namespace. The machine's own netns is checked unchanged at the end.
set -euo pipefail

NBB_SRC=$(cd "$(dirname "$0")/../.." && pwd)
NBB_BENCH=$NBB_SRC/tools/bench
NBB_BUILD=$NBB_SRC/build/bench
NETBPFCTL=${NETBPFCTL:-$NBB_SRC/build/netbpfctl}
# shellcheck source=tools/bench/lib.bash
. "$NBB_BENCH/lib.bash"
# shellcheck source=tools/bench/topologies.bash
. "$NBB_BENCH/topologies.bash"
# shellcheck source=tools/bench/metrics.bash
. "$NBB_BENCH/metrics.bash"

MODE=full
NBB_ROUNDS=7
NBB_DUR=3
NBB_DUR_TPUT=5
SCALE_PORTS="1 100 1000 10000"
SCALE_ROUNDS=3
SANDBOXES=1000
SB_MARKS="10 100 1000"
CONVERGE=50
WANT_TOPOS="A A1 R B C D E EV D0 D1 F G XU XF XN"
WANT_METRICS=""
DO_SCALING=1
DO_SANDBOXES=1
DO_RAMP=1
DO_CNI=1
DO_OVSCALE=1
OVSCALE="8 128"
CNI_SIZES="1 100 1000"
OUT=""
MD=""
ANALYSIS=$NBB_BENCH/analysis.md
while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		MODE=quick NBB_ROUNDS=1 NBB_DUR=1 NBB_DUR_TPUT=1 SCALE_PORTS="1 100 1000" SCALE_ROUNDS=1
		SANDBOXES=100 SB_MARKS="10 100" DO_RAMP=0 CONVERGE=10 CNI_SIZES="1 10"
		OVSCALE="3 8"
		;;
	--rounds) NBB_ROUNDS=$2 && shift ;;
	--duration) NBB_DUR=$2 NBB_DUR_TPUT=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	--topos) WANT_TOPOS=$2 && shift ;;
	--metrics) WANT_METRICS=$2 && shift ;;
	--no-scaling) DO_SCALING=0 ;;
	--no-sandboxes) DO_SANDBOXES=0 ;;
	--no-ramp) DO_RAMP=0 ;;
	--converge) CONVERGE=$2 && shift ;;
	--md) MD=$2 && shift ;;
	--analysis) ANALYSIS=$2 && shift ;;
	--no-cni) DO_CNI=0 ;;
	--no-ovscale) DO_OVSCALE=0 ;;
	--ovscale) OVSCALE=$2 && shift ;;
	-h | --help)
		sed -n '2,30p' "$0"
		exit 0
		;;
	*) die "unknown option $1 (see --help)" ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, BPF, dockerd)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: client and server are pinned to different ones"
[ -x "$NETBPFCTL" ] || die "$NETBPFCTL missing: run make first"
for tool in sockperf iperf3 wrk gnuplot bpftool iptables-restore taskset nsenter python3 dnsperf \
	dnsmasq; do
	command -v "$tool" >/dev/null || die "$tool missing: make bench installs the benchmark packages"
done
[ -n "$OUT" ] || { [ "$MODE" = quick ] && OUT=$NBB_SRC/build/bench/quick || OUT=$NBB_SRC/docs/bench; }

NBB_ID=nbb$(printf '%04x' $((RANDOM)))
NBB_TMP=/tmp/$NBB_ID
NBB_RAW=$NBB_TMP/raw
mkdir -p "$NBB_RAW" "$NBB_BUILD"
: >"$NBB_TMP/pids"
STARTED=$(date +%s)

# ---- the helper programs -------------------------------------------------------------

build_helpers() {
	local cflags="-O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE"
	# shellcheck disable=SC2086
	{
		cc $cflags "$NBB_BENCH/httpd.c" -o "$NBB_BUILD/nbb-httpd"
		cc $cflags "$NBB_BENCH/connlat.c" -o "$NBB_BUILD/nbb-connlat"
		cc $cflags "$NBB_BENCH/pingpong.c" -o "$NBB_BUILD/nbb-pingpong"
		cc $cflags "$NBB_BENCH/tcswap.c" -lbpf -lelf -lz -o "$NBB_BUILD/nbb-tcswap"
	}
	# the endpoint program with bpf/lib/stats.bpf.h's counters defined away
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Wno-unused-variable \
		-I"$NBB_SRC/vmlinux" -I"$NBB_SRC/include" -I"$NBB_SRC/bpf" \
		-DNETBPF_STATS_BPF_H '-Dnb_ep_count_tx(i,l,d)=((void)0)' \
		'-Dnb_ep_count_rx(i,l)=((void)0)' '-Dnb_ep_count_rx_dropped(i)=((void)0)' \
		-c "$NBB_SRC/bpf/endpoint.bpf.c" -o "$NBB_BUILD/endpoint-nocount.bpf.o"
	# the floor of a tc switch: port + FDB lookup, bpf_redirect_peer() (tools/bench/floor.bpf.c)
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Wno-unused-variable \
		-I"$NBB_SRC/vmlinux" -I"$NBB_SRC/include" -I"$NBB_SRC/bpf" \
		-c "$NBB_BENCH/floor.bpf.c" -o "$NBB_BUILD/endpoint-floor.bpf.o"
}

# ---- the machine's own netns must come out as it went in ---------------------------------

root_snapshot() {
	ip -o link show | awk -F': ' '{print $2}' | sort
	cat /proc/sys/net/ipv4/ip_forward
	cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true
	ip route show
}

# ---- cleanup, on every exit ---------------------------------------------------------------

ACTIVE=()
# teardown: the topologies first (Docker's containers go through dockerd),
# then every process this run recorded, namespaces, mounts and cgroups
teardown_all() {
	local t p n
	for t in "${ACTIVE[@]}"; do
		if declare -F "topo_teardown_$t" >/dev/null; then
			"topo_teardown_$t"
		fi
	done
	ACTIVE=()
	for p in $(tac "$NBB_TMP/pids" 2>/dev/null); do
		bg_stop "$p"
	done
	: >"$NBB_TMP/pids"
	for n in $(ip netns list | awk '{print $1}' | grep "^$NBB_ID-"); do
		ip netns del "$n"
	done
}
cleanup() {
	local rc=$? n
	trap - EXIT INT TERM
	set +e
	teardown_all
	for n in $(awk -v d="$NBB_TMP/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
		umount "$n"
	done
	for n in "$NB_CGROOT/$NBB_ID"-*; do
		[ -d "$n" ] && rmdir "$n"
	done
	rm -rf "$NBB_TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- machine and versions -------------------------------------------------------------------

write_meta() {
	python3 - "$@" >"$NBB_RAW/meta.json" <<'EOF'
import json, os, platform, re, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
mem = re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo").read())
args = dict(a.split("=", 1) for a in sys.argv[1:])
print(json.dumps({
    "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"),
    "nproc": os.cpu_count(),
    "cpu": cpu.group(1) if cpu else "unknown",
    "mem_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
    "kernel": platform.release(),
    "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
    "versions": {
        "netbpf": sh("git -C %s describe --always --dirty" % args["src"]),
        "docker": sh("dockerd --version"),
        "containerd": sh("containerd --version"),
        "runc": sh("runc --version | head -1"),
        "iptables": sh("iptables --version"),
        "sockperf": sh("sockperf --version 2>&1 | head -1"),
        "iperf3": sh("iperf3 --version | head -1"),
        "wrk": sh("wrk --version 2>&1 | head -1"),
        "gnuplot": sh("gnuplot --version"),
        "clang": sh("clang --version | head -1"),
        "libbpf": sh("dpkg-query -W -f='${Version}' libbpf1 2>/dev/null"),
        "bpftool": sh("bpftool version | head -1"),
        "busybox": sh("busybox 2>&1 | head -1"),
    },
    "settings": args,
    "loadavg_start": open("/proc/loadavg").read().split()[:3],
}, indent=1))
EOF
}

# ---- rounds ---------------------------------------------------------------------------------

AVAILABLE=()
setup_topologies() {
	local t why
	for t in $WANT_TOPOS; do
		if declare -F "topo_available_$t" >/dev/null && ! why=$("topo_available_$t"); then
			log "($t) ${TOPO_NAME[$t]}: $why"
			emit_extra unavailable "{\"topo\": \"$t\", \"why\": \"$why\"}"
			continue
		fi
		log "($t) ${TOPO_NAME[$t]}: setting up"
		ACTIVE+=("$t")
		"topo_setup_$t"
		# the HTTP server of the connection tests, for the whole run
		bg_on_cpu "httpd-$t" "$NBB_CPU_SERVER" "${T_SRV[$t]}" "$NBB_BUILD/nbb-httpd" -p 80
		wait_listen "${T_SRV[$t]}" tcp 80
		AVAILABLE+=("$t")
	done
}

# rotate N ITEM...: the items starting at index N mod count (each round starts
# with another topology, so none is always first after a pause)
rotate() {
	local n=$1
	shift
	local a=("$@") i
	for i in $(seq 0 $((${#a[@]} - 1))); do
		printf '%s ' "${a[$(((i + n) % ${#a[@]}))]}"
	done
}

run_rounds() {
	local r m t
	for r in $(seq "$NBB_ROUNDS"); do
		log "round $r of $NBB_ROUNDS"
		for m in "${METRICS[@]}"; do
			[ -z "$WANT_METRICS" ] || case " $WANT_METRICS " in *" $m "*) ;; *) continue ;; esac
			for t in $(rotate $((r - 1)) "${AVAILABLE[@]}"); do
				case " ${METRIC_TOPOS[$m]} " in *" $t "*) ;; *) continue ;; esac
				"m_$m" "$r" "$t" ||
					{ log "round $r $m ($t) failed"; emit "$r" "$m" "$t" '{"error": true}'; }
			done
		done
	done
}

# ---- scaling: published ports ---------------------------------------------------------------

# nb_ports N: instance D's server publishes N ports: 8000:80 and N-1 more
# (other container ports of the same sandbox, as one range); the time taken is
# recorded
NB_EXTRA=""
nb_ports() {
	local n=$1 t0 t1 spec
	t0=$(now_ns)
	[ -z "$NB_EXTRA" ] || nbx D unpublish "$NB_EXTRA" "$NBB_ID-D-srv" >/dev/null
	NB_EXTRA=""
	if [ "$n" -gt 1 ]; then
		spec="10001-$((10000 + n - 1)):10001-$((10000 + n - 1))"
		nbx D publish "$spec" "$NBB_ID-D-srv" >/dev/null
		NB_EXTRA=$spec
	fi
	t1=$(now_ns)
	emit_extra nb_publish "{\"n\": $n, \"ms\": $(((t1 - t0) / 1000000))}"
}

# Rounds of every port count in turn (rotated), so that drift over the run
# does not look like an effect of the count.
run_scaling() {
	local n r sys v1 v2 t0 t1 k=0
	log "scaling: iptables DNAT rules vs netbpf's publish map ($SCALE_PORTS), $SCALE_ROUNDS round(s)"
	ipt_setup
	bg_on_cpu httpd-ipt "$NBB_CPU_SERVER" "$NBB_ID-i-srv" "$NBB_BUILD/nbb-httpd" -p 80
	wait_listen "$NBB_ID-i-srv" tcp 80
	for r in $(seq "$SCALE_ROUNDS"); do
		# shellcheck disable=SC2086
		for n in $(rotate $((r - 1)) $SCALE_PORTS); do
			t0=$(now_ns)
			ipt_rules "$n"
			t1=$(now_ns)
			emit_extra ipt_load "{\"n\": $n, \"ms\": $(((t1 - t0) / 1000000))}"
			nb_ports "$n"
			k=$((k + 1))
			for sys in $(rotate "$k" iptables netbpf); do
				if [ "$sys" = iptables ]; then
					v1=$(wrk_rate "$NBB_ID-i-w" "" 198.18.0.1 8000) || v1='{"error": true}'
					v2=$(connlat "$NBB_ID-i-w" "" 198.18.0.1 8000) || v2='{"error": true}'
				else
					v1=$(wrk_rate "${T_PUBCLI[D]}" "" 198.18.0.1 8000) || v1='{"error": true}'
					v2=$(connlat "${T_PUBCLI[D]}" "" 198.18.0.1 8000) || v2='{"error": true}'
				fi
				emit_extra scale "{\"round\": $r, \"system\": \"$sys\", \"n\": $n, \"wrk\": $v1, \"connlat\": $v2}"
			done
		done
	done
	# the largest count stays published for the memory snapshot
	# shellcheck disable=SC2086
	nb_ports "$(echo $SCALE_PORTS | tr ' ' '\n' | sort -n | tail -1)"
}

# ---- what netbpf's programs cost per run ---------------------------------------------------
# After the rounds (the statistics add two clock reads to every program run,
# so they stay off while the compared numbers are taken): one more measurement
# of each packet-path metric in D and E with the kernel's BPF run-time
# statistics on, and each program's runs and average time per run.

prog_stats() { # ID: "name runs run_time_ns" per pinned program, sorted
	local p
	for p in "$NBB_TMP/nb-$1/bpf/progs"/*; do
		bpftool -j prog show pinned "$p"
		echo
	done | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        d = json.loads(line)
        print(d["name"], d.get("run_cnt", 0), d.get("run_time_ns", 0))' | sort
}

# prog_stats_of TOPO: prog_stats of its instance; XN: both hosts', as h1:NAME and h2:NAME
prog_stats_of() {
	if [ "$1" = XN ]; then
		{
			prog_stats xn1 | sed 's/^/h1:/'
			prog_stats xn2 | sed 's/^/h2:/'
		} | sort
	else
		prog_stats "$1"
	fi
}

run_progcost() {
	local t m pid
	log "BPF program cost per run (BPF_ENABLE_STATS)"
	bg bpfstats python3 "$NBB_BENCH/bpfstats.py"
	pid=$BG_PID
	wait_for 5 grep -q on "$NBB_TMP/bpfstats.log" || { log "BPF statistics unavailable"; return 0; }
	for t in D E EV XN; do
		case " ${AVAILABLE[*]} " in *" $t "*) ;; *) continue ;; esac
		for m in lat_bp udp64 pub_rate local_rate tput lat_bp4 lat_bp6 udp64_6 pub_rate6; do
			[ -z "$WANT_METRICS" ] || case " $WANT_METRICS " in *" $m "*) ;; *) continue ;; esac
			case " ${METRIC_TOPOS[$m]} " in *" $t "*) ;; *) continue ;; esac
			# throughput only across hosts: GSO packets, where the per-packet cost is least
			[ "$m" != tput ] || [ "$t" = XN ] || continue
			prog_stats_of "$t" >"$NBB_TMP/ps0"
			NBB_RESULTS=$NBB_TMP/progcost.jsonl "m_$m" 0 "$t" || continue
			prog_stats_of "$t" >"$NBB_TMP/ps1"
			emit_extra progcost "$(join "$NBB_TMP/ps0" "$NBB_TMP/ps1" | python3 -c '
import json, sys
t, m, res = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
progs = {}
for line in sys.stdin:
    name, c0, n0, c1, n1 = line.split()
    runs, ns = int(c1) - int(c0), int(n1) - int(n0)
    if runs > 0:
        progs[name] = {"runs": runs, "ns_per_run": ns / runs}
print(json.dumps({"topo": t, "metric": m, "result": res["v"], "progs": progs}))' "$t" "$m" \
				"$(tail -1 "$NBB_TMP/progcost.jsonl")")"
		done
	done
	bg_stop "$pid"
}

# ---- control plane: sandbox create at 10, 100, 1000 sandboxes --------------------------------

run_sandboxes() {
	local i t0 t1
	log "control plane: $SANDBOXES x sandbox create on one network"
	nbx D network create --subnet 10.90.0.0/16 scale >/dev/null
	for i in $(seq "$SANDBOXES"); do
		t0=$(now_ns)
		nbx D sandbox create --network scale "$NBB_ID-D-s$i" >/dev/null
		t1=$(now_ns)
		echo "$i $(((t1 - t0) / 1000))" >>"$NBB_RAW/sandbox-create.dat"
	done
}

# ---- control plane across hosts: convergence (issue 17) ------------------------------------------

# How long from `sandbox create` on host 2 until host 1's sandbox reaches the new endpoint:
# the create (its etcd transactions), the watch event to host 1's agent, the remote entry, and
# the first echo through the tunnel (its time as ping stamps it, -D). The probe pings every 2 ms
# from before the create and retries ARP every 5 ms (the kernel's 1 s would hide everything
# else); the new endpoint's address is given (--ip) so the probe can start first. Raw data:
# converge.dat ("i t0 t_created ms": the create's own share told from the rest); with
# NBB_CONV_LOGS=DIR each probe's ping log is kept there too (for finding an outlier's cause).
run_converge() {
	local i ip t0 t1 pid ms=() cr=()
	log "control plane: $CONVERGE endpoints created on host 2 until host 1 reaches each"
	# ARP every 5 ms, and for 5 s before the entry fails (after which ping would stop)
	in_ns "${T_CLI[XN]}" sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=5 \
		net.ipv4.neigh.eth0.mcast_solicit=1000
	for i in $(seq "$CONVERGE"); do
		ip=10.89.200.$((i % 250 + 1))
		in_ns "${T_CLI[XN]}" ip neigh flush dev eth0
		# ping counts an unresolved neighbour as an answer (-c), so it runs until stopped
		bg "conv" nsenter --net="$(ns "${T_CLI[XN]}")" ping -n -D -i 0.002 -W 1 -w 5 "$ip"
		pid=$BG_PID
		t0=$(date +%s.%N)
		nbx xn2 sandbox create --network bench --ip "$ip" "$NBB_ID-xn-c$i" >/dev/null
		t1=$(date +%s.%N)
		wait_for 5 grep -q "bytes from" "$NBB_TMP/conv.log" || true
		bg_stop "$pid"
		[ -z "${NBB_CONV_LOGS:-}" ] || cp "$NBB_TMP/conv.log" "$NBB_CONV_LOGS/conv-$i.log"
		ms+=("$(python3 "$NBB_BENCH/conv.py" "$t0" "$NBB_TMP/conv.log")")
		# the create's own share (its etcd transactions among it), to tell it from the rest
		cr+=("$(python3 -c 'import sys; print("%.1f" % ((float(sys.argv[2]) - float(sys.argv[1])) * 1e3))' "$t0" "$t1")")
		echo "$i $t0 $t1 ${ms[-1]}" >>"$NBB_RAW/converge.dat"
		nbx xn2 sandbox rm "$NBB_ID-xn-c$i" >/dev/null
	done
	emit_extra converge "{\"ms\": [$(IFS=,; echo "${ms[*]}")], \"create_ms\": [$(IFS=,; echo "${cr[*]}")]}"
}

# ---- memory: what netbpf's maps take ------------------------------------------------------------

map_memory() { # STAGE
	local f out="{}"
	for f in "$NBB_TMP/nb-D/bpf"/nb_*; do
		out=$(bpftool -j map show pinned "$f" | python3 -c '
import json, sys
acc = json.loads(sys.argv[1])
m = json.load(sys.stdin)
acc[m["name"]] = {"type": m["type"], "max_entries": m["max_entries"],
                  "bytes_memlock": m.get("bytes_memlock", 0)}
print(json.dumps(acc))' "$out")
	done
	emit_extra map_memory "{\"stage\": \"$1\", \"maps\": $out}"
}

# ---- main -------------------------------------------------------------------------------------------

log "run $NBB_ID ($MODE): $NBB_ROUNDS round(s) of ${NBB_DUR}s measurements, output $OUT"
build_helpers
root_snapshot >"$NBB_TMP/root.before"
write_meta src="$NBB_SRC" mode="$MODE" rounds="$NBB_ROUNDS" duration_s="$NBB_DUR" \
	duration_tput_s="$NBB_DUR_TPUT" scale_ports="$SCALE_PORTS" scale_rounds="$SCALE_ROUNDS" sandboxes="$SANDBOXES" \
	sandbox_marks="$SB_MARKS" cpu_client="$NBB_CPU_CLIENT" cpu_server="$NBB_CPU_SERVER"
setup_topologies
case " ${AVAILABLE[*]} " in *" D "*) map_memory "up, 2 sandboxes, 1 published port" ;; esac
run_rounds
case " ${AVAILABLE[*]} " in
*" G "*) v=$(netbpfd_calls) && [ -n "$v" ] && emit_extra netbpfd_calls "$v" ;;
esac
case " ${AVAILABLE[*]} " in
*" D "*)
	run_progcost
	[ "$DO_SCALING" = 1 ] && run_scaling
	[ "$DO_SANDBOXES" = 1 ] && run_sandboxes
	map_memory "after the scaling runs: $(nbx D sandbox ls -q | wc -l) sandboxes, $(nbx D port "$NBB_ID-D-srv" | wc -l) published ports"
	;;
esac

case " ${AVAILABLE[*]} " in
*" D "*) ;; # the program costs ran with D's
*" XN "*) run_progcost ;;
esac
case " ${AVAILABLE[*]} " in *" XN "*) [ "$CONVERGE" -gt 0 ] && run_converge ;; esac

# tear down now (not only in the trap) so the root-netns check sees the end state
teardown_all
# the CNI plugins, then the ramp: each an instance of its own, alone on the machine's CPUs
# (issue 20)
if [ "$DO_CNI" = 1 ]; then
	log "control plane: the CNI plugin vs bridge+host-local+portmap ($CNI_SIZES containers)"
	NETBPFCTL=$NETBPFCTL "$NBB_BENCH/cni.sh" --sizes "$CNI_SIZES" --out "$NBB_RAW/cni.txt" >&2
fi
if [ "$DO_OVSCALE" = 1 ]; then
	read -r ovh ovm <<<"$OVSCALE"
	log "control plane: the overlay at scale, $ovh hosts x $ovm sandboxes (tools/bench/ovscale.sh)"
	NETBPFCTL=$NETBPFCTL "$NBB_BENCH/ovscale.sh" --hosts "$ovh" --per-host "$ovm" \
		--out "$NBB_RAW/ovscale.txt" >&2
fi
if [ "$DO_RAMP" = 1 ]; then
	log "control plane: the 4,096-sandbox ramp (tools/bench/ramp.sh)"
	NETBPFCTL=$NETBPFCTL "$NBB_BENCH/ramp.sh" --out "$NBB_RAW/ramp.txt" >&2
fi
root_snapshot >"$NBB_TMP/root.after"
if cmp -s "$NBB_TMP/root.before" "$NBB_TMP/root.after"; then
	emit_extra root_netns '{"unchanged": true}'
else
	log "WARNING: the machine's own netns changed during the run:"
	diff "$NBB_TMP/root.before" "$NBB_TMP/root.after" >&2 || true
	emit_extra root_netns '{"unchanged": false}'
fi
emit_extra elapsed "{\"seconds\": $(($(date +%s) - STARTED)), \"loadavg_end\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"

mkdir -p "$OUT"
cp "$NBB_RAW"/* "$OUT/"
md=$NBB_SRC/docs/benchmarks.md
[ "$MODE" = quick ] && md=$OUT/benchmarks.md
[ -z "$MD" ] || md=$MD
python3 "$NBB_BENCH/report.py" --raw "$OUT" --md "$md" --analysis "$ANALYSIS"
log "done in $(($(date +%s) - STARTED)) s: $md"
