#!/usr/bin/env bash
# The sandbox ramp (issue 20): N sandboxes created on one network of a
# namespaced netbpf instance, and at each mark the cost of a create and of
# the whole-instance commands.
#
#   tools/bench/ramp.sh [--sandboxes N] [--marks "1024 4096"] [--bucket B] [--out FILE]
#
# Per bucket of B creates (default 256): create p50/p90 in µs, and the p50 of
# the creates on a reference instance (its own host netns, one network, kept
# empty: a create there every 8th ramp create, removed again) timed in the
# same span, so the shared machine's load changes both alike: the ratio
# (create_norm_p50) is what N costs a create, less what the kernel charges
# the whole machine (both instances pay that). At each mark:
# sandbox↔sandbox ping RTT of the first pair and the last pair, `sandbox ls`,
# `stats --no-stream`, `status`, `network inspect`, `gc`, `publish` of one
# port, of a range of 1,024, and of one port again with those published
# (with the count published), and the drops counted as link-control (IPv6
# DAD/RS/MLD not flooded).
# After the last mark: `down`, the restoring `up`, and `sandbox rm` of a
# bucket. Timings go to stdout and FILE (key value lines), never asserted.
# NETBPFCTL chooses the binary (default build/netbpfctl): the same script
# measures a build before a change.
#
# Everything lives in namespaces "$RID-*" and /tmp/$RID, removed on exit; the
# machine's own netns is not touched.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
NETBPFCTL=${NETBPFCTL:-$SRC/build/netbpfctl}
N=4096
MARKS="1024 4096"
BUCKET=256
OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--sandboxes) N=$2 && shift ;;
	--marks) MARKS=$2 && shift ;;
	--bucket) BUCKET=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	-h | --help)
		sed -n '2,25p' "$0"
		exit 0
		;;
	*)
		echo "ramp.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "ramp.sh: needs root (namespaces, BPF)" >&2; exit 1; }
[ -x "$NETBPFCTL" ] || { echo "ramp.sh: $NETBPFCTL missing: run make" >&2; exit 1; }

RID=nbr$(printf '%04x' $((RANDOM)))
TMP=/tmp/$RID
H=$RID-h
W=$RID-w
RH=$RID-rh
REF_EVERY=8
CGROOT=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
CG=$CGROOT/$RID
[ -n "$OUT" ] || OUT=$TMP.out

nb() {
	NETBPF_STATE_DIR=$TMP/state NETBPF_PIN_DIR=$TMP/bpf NETBPF_CGROUP=$CG \
		nsenter --net=/run/netns/"$H" "$NETBPFCTL" "$@"
}
# the reference instance
nbr() {
	NETBPF_STATE_DIR=$TMP/ref/state NETBPF_PIN_DIR=$TMP/ref/bpf NETBPF_CGROUP=$CG-ref \
		nsenter --net=/run/netns/"$RH" "$NETBPFCTL" "$@"
}

cleanup() {
	set +e
	nb down >/dev/null 2>&1
	nbr down >/dev/null 2>&1
	local n
	for n in $(ip netns list | awk '{print $1}' | grep "^$RID-"); do
		ip netns del "$n" 2>/dev/null
	done
	rmdir "$CG" "$CG-ref" 2>/dev/null
	umount "$TMP/bpf" 2>/dev/null
	umount "$TMP/ref/bpf" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

say() { echo "$*" | tee -a "$OUT"; }
now_ns() { date +%s%N; }
# timed KEY CMD...: wall time of CMD in ms, output discarded
timed() {
	local key=$1 t0 t1
	shift
	t0=$(now_ns)
	"$@" >/dev/null
	t1=$(now_ns)
	say "$key $(((t1 - t0) / 1000000))"
}
# pct FILE P: the P-th percentile of the numbers in FILE
pct() { sort -n "$1" | awk -v p="$2" '{v[NR]=$1} END {i=int((NR-1)*p/100)+1; print v[i]}'; }
# rtt A B: average ping RTT in µs from sandbox A to sandbox B (names without $RID-)
rtt() {
	local ip
	ip=$(ip -n "$RID-$2" -o -4 addr show dev eth0 | awk '{split($4, a, "/"); print a[1]}')
	ip netns exec "$RID-$1" ping -q -c 11 -i 0.05 "$ip" 2>/dev/null |
		awk -F'[/ ]' '/^rtt/ {printf "%d\n", $8 * 1000}'
}

: >"$OUT"
mkdir -p "$TMP/bpf" "$TMP/ref/bpf" "$CG" "$CG-ref"
mount -t bpf bpf "$TMP/bpf"
mount -t bpf bpf "$TMP/ref/bpf"
# host_ns NS WAN-IFACE N: netns NS with an uplink up0 to the world netns $W
# (198.18.N.1 there, 198.18.N.2 the world's end, its default route)
host_ns() {
	ip netns add "$1"
	ip link add up0 netns "$1" type veth peer name "$2" netns "$W"
	ip -n "$1" addr add "198.18.$3.1/24" dev up0
	ip -n "$W" addr add "198.18.$3.2/24" dev "$2"
	ip -n "$1" link set lo up
	ip -n "$1" link set up0 up
	ip -n "$W" link set "$2" up
	ip -n "$1" route add default via "198.18.$3.2"
}
ip netns add "$W"
host_ns "$H" wan0 0
nb up >/dev/null
nb network create --subnet 10.96.0.0/16 ramp >/dev/null
host_ns "$RH" wan1 1
nbr up >/dev/null
nbr network create --subnet 10.97.0.0/16 ramp >/dev/null

say "binary $NETBPFCTL"
say "sandboxes $N"
: >"$TMP/bucket"
: >"$TMP/refbucket"
PUB=0
for i in $(seq "$N"); do
	t0=$(now_ns)
	nb sandbox create --network ramp "$RID-s$i" >/dev/null
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000)) >>"$TMP/bucket"
	if [ $((i % REF_EVERY)) -eq 0 ]; then
		t0=$(now_ns)
		nbr sandbox create --network ramp "$RID-r" >/dev/null
		t1=$(now_ns)
		nbr sandbox rm "$RID-r" >/dev/null
		echo $(((t1 - t0) / 1000)) >>"$TMP/refbucket"
	fi
	if [ $((i % BUCKET)) -eq 0 ]; then
		p50=$(pct "$TMP/bucket" 50)
		say "create_us_p50@$i $p50"
		say "create_us_p90@$i $(pct "$TMP/bucket" 90)"
		if [ -s "$TMP/refbucket" ]; then
			r50=$(pct "$TMP/refbucket" 50)
			say "create_ref_us_p50@$i $r50"
			say "create_norm_p50@$i $(awk -v a="$p50" -v b="$r50" 'BEGIN {printf "%.2f", a / b}')"
		fi
		: >"$TMP/bucket"
		: >"$TMP/refbucket"
	fi
	case " $MARKS " in
	*" $i "*)
		say "rtt_us_first_pair@$i $(rtt s1 s2)"
		say "rtt_us_last_pair@$i $(rtt "s$((i - 1))" "s$i")"
		timed "sandbox_ls_ms@$i" nb sandbox ls
		timed "stats_ms@$i" nb stats --no-stream
		timed "status_ms@$i" nb status
		timed "network_inspect_ms@$i" nb network inspect ramp
		timed "gc_ms@$i" nb gc
		# one port, then one with 1,024 more published (constant in the number published)
		timed "publish_ms@$i" nb publish 80 "$RID-s$i"
		timed "publish_range_1024_ms@$i" nb publish "$((20000 + i))-$((20000 + i + 1023)):8000-9023" "$RID-s$((i - 1))"
		PUB=$((PUB + 1025))
		say "published@$i $PUB"
		timed "publish_after_ms@$i" nb publish 81 "$RID-s$((i - 2))"
		say "link_control_drops@$i $(nb metrics 2>/dev/null |
			awk '/^netbpf_drops_total\{.*"link-control"/ {print $2; f=1} END {if (!f) print "-"}')"
		;;
	esac
done
timed "down_ms@$N" nb down
timed "up_restore_ms@$N" nb up
t0=$(now_ns)
for i in $(seq "$BUCKET"); do
	nb sandbox rm "$RID-s$i" >/dev/null
done
t1=$(now_ns)
say "rm_us_per_sandbox@$N $(((t1 - t0) / 1000 / BUCKET))"
