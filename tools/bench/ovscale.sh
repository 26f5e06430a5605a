#!/usr/bin/env bash
# The overlay at scale (issue 17, "Measured"): N hosts on one underlay, each a
# netbpf instance with a store and its agent (netbpfd), one overlay network,
# then M sandboxes created on every host (the hosts in parallel).
#
#   tools/bench/ovscale.sh [--hosts N] [--per-host M] [--etcd 1|3] [--idle S] [--out FILE]
#
# Reports (key value lines on stdout and in FILE, never asserted):
#   agent_cpu_ms@hK     the CPU time (utime + stime of /proc/PID/stat) host K's
#                       agent spent from before the first create until the last
#                       endpoint was in host 1's data plane; agent_cpu_ms_total
#   etcd_cpu_ms         the same for the etcd member(s), summed
#   idle_agent_cpu_ms_total, idle_etcd_cpu_ms  the same over S seconds (10) before
#                       the creates, nothing changing: leases renewed, watches open
#   create_ms_p50/p99   one `sandbox create` (netbpfctl, host-local work and the
#                       store's transactions)
#   converge_ms_p50/p90/p99/max  per endpoint created on hosts 2..N: from its
#                       create returning until host 1's data plane has it (its
#                       address in nb_remote_ip, what ARP answers from): a
#                       poller dumps that map with bpftool in a loop, so a value
#                       is late by up to one dump (dump_ms_p50 says how long one
#                       takes, plus 10 ms between dumps); negative when the agent was quicker than the
#                       create's own return (converge_from_start_ms_*: from
#                       the create's start)
#   total_s             first create started until the last create returned and
#                       the last endpoint converged
# Default 8 hosts x 128 sandboxes, one etcd member (--etcd 3: three, as the
# end-to-end tests run them).
#
# The underlay is a netns of its own routing between veths: host K is 10.94.K.2
# (uplink up0), etcd member K 10.93.K.2 in a netns of its own, listening there
# only. Everything lives in namespaces "$RID-*", cgroups "$RID-*" and
# /tmp/$RID; every process started here is recorded by PID and ended by PID on
# exit (also after a failure); the machine's own netns is not touched.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
NETBPFCTL=${NETBPFCTL:-$SRC/build/netbpfctl}
NETBPFD=${NETBPFD:-$SRC/build/netbpfd}
HOSTS=8
PER=128
ETCDS=1
IDLE=10
OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--hosts) HOSTS=$2 && shift ;;
	--per-host) PER=$2 && shift ;;
	--etcd) ETCDS=$2 && shift ;;
	--idle) IDLE=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	-h | --help)
		sed -n '2,34p' "$0"
		exit 0
		;;
	*)
		echo "ovscale.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "ovscale.sh: needs root (namespaces, BPF)" >&2; exit 1; }
for b in "$NETBPFCTL" "$NETBPFD"; do
	[ -x "$b" ] || { echo "ovscale.sh: $b missing: run make" >&2; exit 1; }
done
command -v etcd >/dev/null || { echo "ovscale.sh: etcd missing: install Debian's etcd-server" >&2; exit 1; }
command -v etcdctl >/dev/null || { echo "ovscale.sh: etcdctl missing: install Debian's etcd-client" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "ovscale.sh: bpftool missing" >&2; exit 1; }
case $ETCDS in 1 | 3) ;; *) echo "ovscale.sh: --etcd takes 1 or 3" >&2 && exit 2 ;; esac
[ "$HOSTS" -ge 2 ] && [ "$HOSTS" -le 200 ] || { echo "ovscale.sh: --hosts takes 2..200" >&2; exit 2; }
[ "$PER" -ge 1 ] && [ "$PER" -le 4096 ] || { echo "ovscale.sh: --per-host takes 1..4096" >&2; exit 2; }

RID=nbo$(printf '%04x' $((RANDOM)))
TMP=/tmp/$RID
U=$RID-u
CGROOT=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
[ -n "$OUT" ] || OUT=$TMP.out
EPS=""
for k in $(seq "$ETCDS"); do EPS+="${EPS:+,}etcd://10.93.$k.2:2379"; done
HTTP_EPS=${EPS//etcd:/http:}

# hnb K ARGS...: netbpfctl of host K, in its netns, with its own state, pins, cgroup
hnb() {
	local k=$1
	shift
	NETBPF_STATE_DIR=$TMP/h$k/state NETBPF_PIN_DIR=$TMP/h$k/bpf NETBPF_CGROUP=$CGROOT/$RID-h$k \
		nsenter --net=/run/netns/"$RID-h$k" "$NETBPFCTL" "$@"
}
in_u() { nsenter --net=/run/netns/"$U" "$@"; }

# pids of everything started here, ended by PID on exit
PIDS=()
EPIDS=()
stop_pid() {
	local p=$1 n=30
	kill -TERM "$p" 2>/dev/null || return 0
	while [ "$n" -gt 0 ] && kill -0 "$p" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

cleanup() {
	set +e
	local p k n
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	for k in $(seq "$HOSTS"); do
		[ -d "$TMP/h$k/bpf" ] || continue
		hnb "$k" down >/dev/null 2>&1
		umount "$TMP/h$k/bpf" 2>/dev/null
		for p in $(cat "$CGROOT/$RID-h$k/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$CGROOT/cgroup.procs" 2>/dev/null
		done
		rmdir "$CGROOT/$RID-h$k" 2>/dev/null
	done
	for n in $(ip netns list | awk '{print $1}' | grep "^$RID-"); do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap "exit 130" INT TERM

say() { echo "$*" | tee -a "$OUT"; }
log() { echo "ovscale: $*" >&2; }
# wait_for SECONDS CMD...: CMD succeeds within SECONDS
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}
# cpu_ms PID...: utime + stime of the processes, in ms
cpu_ms() {
	local p t=0 hz
	hz=$(getconf CLK_TCK)
	for p in "$@"; do
		# the fields after "(comm)": state is $1, utime $12, stime $13
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
	done
	echo $((t * 1000 / hz))
}
# pct FILE P: the P-th percentile of the numbers in FILE
pct() { sort -n "$1" | awk -v p="$2" '{v[NR]=$1} END {i=int((NR-1)*p/100)+1; print v[i]}'; }

: >"$OUT"
mkdir -p "$TMP"
log "$RID: $HOSTS hosts x $PER sandboxes, $ETCDS etcd member(s), output $OUT"

# ---- the underlay, etcd, the hosts ----------------------------------------------------------------
ip netns add "$U"
in_u sysctl -qw net.ipv4.ip_forward=1
ip -n "$U" link set lo up
# link_ns NS IFNAME SUBNET: NS joined to the underlay (its side IFNAME in U, .1; eth0/up0 .2)
link_ns() {
	local ns=$1 ifn=$2 net=$3 dev=$4
	ip netns add "$ns"
	ip link add "$ifn" netns "$U" type veth peer name "$dev" netns "$ns"
	ip -n "$U" addr add "$net.1/24" dev "$ifn"
	ip -n "$U" link set "$ifn" up
	ip -n "$ns" addr add "$net.2/24" dev "$dev"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$dev" up
	ip -n "$ns" route add default via "$net.1"
}
cluster=""
for k in $(seq "$ETCDS"); do cluster+="${cluster:+,}m$k=http://10.93.$k.2:2380"; done
for k in $(seq "$ETCDS"); do
	link_ns "$RID-e$k" "e$k" "10.93.$k" eth0
	ip=10.93.$k.2
	nsenter --net=/run/netns/"$RID-e$k" etcd --name "m$k" --data-dir "$TMP/etcd$k" \
		--listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "$cluster" --initial-cluster-token "$RID" --initial-cluster-state new \
		</dev/null >>"$TMP/etcd$k.log" 2>&1 &
	PIDS+=($!)
	EPIDS+=($!)
done
wait_for 30 in_u etcdctl --endpoints "$HTTP_EPS" endpoint health ||
	{ log "etcd does not answer: $(tail -3 "$TMP/etcd1.log")"; exit 1; }

APIDS=()
for k in $(seq "$HOSTS"); do
	link_ns "$RID-h$k" "h$k" "10.94.$k" up0
	mkdir -p "$TMP/h$k/bpf" "$CGROOT/$RID-h$k"
	mount -t bpf bpf "$TMP/h$k/bpf"
	hnb "$k" up --uplink up0 --store "$EPS" --advertise "10.94.$k.2" >/dev/null
	# nsenter execs the agent: $! is the agent's own PID
	NETBPF_STATE_DIR=$TMP/h$k/state NETBPF_PIN_DIR=$TMP/h$k/bpf \
		NETBPF_CGROUP=$CGROOT/$RID-h$k \
		nsenter --net=/run/netns/"$RID-h$k" "$NETBPFD" \
		--docker-socket "$TMP/h$k/netbpf.sock" --docker-host "unix://$TMP/h$k/no-docker.sock" \
		</dev/null >>"$TMP/h$k/netbpfd.log" 2>&1 &
	PIDS+=($!)
	APIDS+=($!)
done
hosts_listed() { [ "$(hnb 1 host ls | grep -c '10\.94\.')" -ge "$HOSTS" ]; }
wait_for 30 hosts_listed || log "WARNING: host 1 lists fewer than $HOSTS hosts"
wait_for 10 hnb 1 network create -d overlay --subnet 10.50.0.0/16 ov >/dev/null ||
	{ log "network create -d overlay failed"; exit 1; }
for k in $(seq "$HOSTS"); do
	wait_for 30 hnb "$k" network inspect --format '{{.Id}}' ov ||
		{ log "host $k's agent did not realize the network: $(tail -3 "$TMP/h$k/netbpfd.log")"; exit 1; }
done
sleep 1

# ---- the poller: when each address appears in host 1's nb_remote_ip -------------------------------
# bpftool -j prints the raw key bytes: struct nb_neigh_key is net_id (4 bytes, host order),
# then the IPv4 address (4 bytes, network order)
"$PY" - "$TMP/h1/bpf/nb_remote_ip" "$TMP/seen" "$TMP/dumps" "$TMP/poll.stop" <<'PY' &
import json, os, subprocess, sys, time
pin, seen_f, dumps_f, stop = sys.argv[1:5]
seen = {}
with open(seen_f, "w") as out, open(dumps_f, "w") as dumps:
    while not os.path.exists(stop):
        t0 = time.time()
        r = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin],
                           capture_output=True, text=True)
        t1 = time.time()
        dumps.write("%d\n" % ((t1 - t0) * 1000))
        try:
            entries = json.loads(r.stdout or "[]")
        except ValueError:
            continue
        for e in entries:
            k = [int(b, 16) for b in e["key"]]
            ip = ".".join(str(b) for b in k[4:8])
            if ip not in seen:
                # the entry was there by the end of this dump
                seen[ip] = t1
                out.write("%s %.6f\n" % (ip, t1))
        out.flush()
        dumps.flush()
        # 10 ms between dumps: a poller spinning would take a core from the agents
        time.sleep(0.01)
PY
PIDS+=($!)
POLLER=$!

# ---- the creates: every host in parallel ------------------------------------------------------------
# create_all K: host K's M creates in sequence, "name start end" (s, since the epoch) each
create_all() {
	local k=$1 i t0 t1
	for i in $(seq "$PER"); do
		t0=$(date +%s.%N)
		if hnb "$k" sandbox create --network ov "$RID-h$k-s$i" >/dev/null 2>>"$TMP/h$k/create.err"; then
			t1=$(date +%s.%N)
			echo "$RID-h$k-s$i $t0 $t1" >>"$TMP/h$k/creates"
		fi
	done
}
# idle: the agents and etcd with the hosts registered and nothing changing (leases
# renewed every TTL/3, the watches open)
i0=$(cpu_ms "${APIDS[@]}")
ie0=$(cpu_ms "${EPIDS[@]}")
sleep "$IDLE"
i1=$(cpu_ms "${APIDS[@]}")
ie1=$(cpu_ms "${EPIDS[@]}")
a0=$(cpu_ms "${APIDS[@]}")
declare -A A0
for i in "${!APIDS[@]}"; do A0[$i]=$(cpu_ms "${APIDS[$i]}"); done
e0=$(cpu_ms "${EPIDS[@]}")
T0=$(date +%s.%N)
CPIDS=()
for k in $(seq "$HOSTS"); do
	: >"$TMP/h$k/creates"
	create_all "$k" &
	CPIDS+=($!)
	PIDS+=($!)
done
for p in "${CPIDS[@]}"; do wait "$p"; done
T1=$(date +%s.%N)

# the addresses of the endpoints created on hosts 2..N (read from their netns after the run)
: >"$TMP/want"
for k in $(seq 2 "$HOSTS"); do
	while read -r name t0 t1; do
		ip=$(ip -n "$name" -o -4 addr show dev eth0 | awk '{split($4, a, "/"); print a[1]}')
		echo "$ip $t0 $t1" >>"$TMP/want"
	done <"$TMP/h$k/creates"
done
all_seen() {
	awk 'NR == FNR {s[$1] = 1; next} !($1 in s) {m++} END {exit m > 0}' "$TMP/seen" "$TMP/want"
}
wait_for 120 all_seen || log "WARNING: not every endpoint reached host 1's data plane in 120 s"
T2=$(awk 'NR == FNR {w[$1] = 1; next} ($1 in w) && $2 > m {m = $2} END {printf "%.6f", m}' \
	"$TMP/want" "$TMP/seen")
a1=$(cpu_ms "${APIDS[@]}")
declare -A A1
for i in "${!APIDS[@]}"; do A1[$i]=$(cpu_ms "${APIDS[$i]}"); done
e1=$(cpu_ms "${EPIDS[@]}")
touch "$TMP/poll.stop"
wait "$POLLER" 2>/dev/null || true

created=$(cat "$TMP"/h*/creates | wc -l)
awk '{printf "%d\n", ($3 - $2) * 1000}' "$TMP"/h*/creates >"$TMP/create_ms"
awk 'NR == FNR {s[$1] = $2; next} ($1 in s) {printf "%d\n", (s[$1] - $3) * 1000}' \
	"$TMP/seen" "$TMP/want" >"$TMP/conv_ms"
say "run $RID"
say "binary $NETBPFCTL"
say "hosts $HOSTS"
say "per_host $PER"
say "etcd_members $ETCDS"
say "sandboxes_created $created"
say "create_errors $(cat "$TMP"/h*/create.err | grep -c . || true)"
say "create_ms_p50 $(pct "$TMP/create_ms" 50)"
say "create_ms_p99 $(pct "$TMP/create_ms" 99)"
say "creates_s $(awk -v a="$T0" -v b="$T1" 'BEGIN {printf "%.1f", b - a}')"
say "remote_endpoints_measured $(wc -l <"$TMP/conv_ms")"
say "remote_endpoints_expected $(wc -l <"$TMP/want")"
for p in 50 90 99 100; do
	k=converge_ms_p$p
	[ "$p" = 100 ] && k=converge_ms_max
	say "$k $(pct "$TMP/conv_ms" "$p")"
done
awk 'NR == FNR {s[$1] = $2; next} ($1 in s) {printf "%d\n", (s[$1] - $2) * 1000}' \
	"$TMP/seen" "$TMP/want" >"$TMP/conv_start_ms"
for p in 50 99; do
	say "converge_from_start_ms_p$p $(pct "$TMP/conv_start_ms" "$p")"
done
say "dump_ms_p50 $(pct "$TMP/dumps" 50)"
say "dumps $(wc -l <"$TMP/dumps")"
say "total_s $(awk -v a="$T0" -v b="$T1" -v c="$T2" 'BEGIN {printf "%.1f", (b > c ? b : c) - a}')"
for i in "${!APIDS[@]}"; do
	say "agent_cpu_ms@h$((i + 1)) $((A1[$i] - A0[$i]))"
done
say "agent_cpu_ms_total $((a1 - a0))"
say "etcd_cpu_ms $((e1 - e0))"
say "idle_s $IDLE"
say "idle_agent_cpu_ms_total $((i1 - i0))"
say "idle_etcd_cpu_ms $((ie1 - ie0))"
say "loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
