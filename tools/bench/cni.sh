#!/usr/bin/env bash
# netbpf's CNI plugin against the reference plugins (issue 20): ADD and DEL
# of N containers, as a runtime calls them, for N in 1, 100 and 1,000.
#
#   tools/bench/cni.sh [--sizes "1 100 1000"] [--out FILE]
#
# netbpf: build/netbpf-cni, one call per ADD or DEL, on a network of a
# namespaced netbpf instance. Reference: the chain podman and containerd
# configure by default, Debian's containernetworking-plugins `bridge`
# (isGateway, ipMasq, hairpinMode) with `host-local` IPAM, then `portmap`
# with the previous result (DEL in the reverse order); its time is the sum of
# the two calls. Every container gets one published port (hostPort
# 20000+i -> 80/tcp) through runtimeConfig.portMappings in both.
#
# Per plugin and size: ADD of containers 1..N (each call timed), then DEL of
# N..1; p50 and p90 in µs of those N calls go to stdout and FILE as key
# value lines ("netbpf_add_us_p50@100 12345", "ref_del_us_p90@1000 ..."),
# never asserted. The sizes are taken in turn, each with the two plugins in
# alternating order, so drift of a shared machine's load is not one plugin's.
#
# Safety: the reference bridge plugin creates a bridge and iptables rules,
# portmap more rules: both run inside a netns of this run ("$RID-r"), never
# in the machine's own; netbpf runs in another ("$RID-h"). Everything lives
# in namespaces "$RID-*", a cgroup and /tmp/$RID, removed on exit.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
NETBPFCTL=${NETBPFCTL:-$SRC/build/netbpfctl}
NBCNI=${NBCNI:-$SRC/build/netbpf-cni}
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
SIZES="1 100 1000"
OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=$2 && shift ;;
	--out) OUT=$2 && shift ;;
	-h | --help)
		sed -n '2,24p' "$0"
		exit 0
		;;
	*)
		echo "cni.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "cni.sh: needs root (namespaces, BPF)" >&2; exit 1; }
for b in "$NETBPFCTL" "$NBCNI"; do
	[ -x "$b" ] || { echo "cni.sh: $b missing: run make" >&2; exit 1; }
done
for p in bridge host-local portmap; do
	[ -x "$CNI_DIR/$p" ] || {
		echo "cni.sh: $CNI_DIR/$p missing: install containernetworking-plugins (make bench-deps)" >&2
		exit 1
	}
done

RID=nbc$(printf '%04x' $((RANDOM)))
TMP=/tmp/$RID
H=$RID-h
W=$RID-w
R=$RID-r
CGROOT=$(findmnt -n -t cgroup2 -o TARGET | head -n1)
CG=$CGROOT/$RID
[ -n "$OUT" ] || OUT=$TMP.out

nb() {
	NETBPF_STATE_DIR=$TMP/state NETBPF_PIN_DIR=$TMP/bpf NETBPF_CGROUP=$CG \
		nsenter --net=/run/netns/"$H" "$NETBPFCTL" "$@"
}

cleanup() {
	set +e
	nb down >/dev/null 2>&1
	local n
	for n in $(ip netns list | awk '{print $1}' | grep "^$RID-"); do
		ip netns del "$n" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null
	umount "$TMP/bpf" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

say() { echo "$*" | tee -a "$OUT"; }
# pct FILE P: the P-th percentile of the numbers in FILE
pct() { sort -n "$1" | awk -v p="$2" '{v[NR]=$1} END {i=int((NR-1)*p/100)+1; print v[i]}'; }
us() { echo "${EPOCHREALTIME/./}"; }

: >"$OUT"
mkdir -p "$TMP/bpf" "$TMP/hostlocal" "$CG"
mount -t bpf bpf "$TMP/bpf"
ip netns add "$H"
ip netns add "$W"
ip netns add "$R"
ip link add up0 netns "$H" type veth peer name wan0 netns "$W"
ip -n "$H" addr add 198.18.0.1/24 dev up0
ip -n "$W" addr add 198.18.0.2/24 dev wan0
ip -n "$H" link set lo up
ip -n "$H" link set up0 up
ip -n "$W" link set wan0 up
ip -n "$H" route add default via 198.18.0.2
ip -n "$R" link set lo up
nb up >/dev/null 2>"$TMP/up.err" || { cat "$TMP/up.err" >&2; exit 1; }

# ports P: the runtimeConfig of container P
ports() { echo "\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": $((20000 + $1)), \"containerPort\": 80, \"protocol\": \"tcp\"}]}"; }
NB_CONF="\"cniVersion\": \"1.0.0\", \"name\": \"nbcni\", \"type\": \"netbpf\", \"subnet\": \"10.97.0.0/16\",
 \"stateDir\": \"$TMP/state\", \"pinDir\": \"$TMP/bpf\", \"cgroup\": \"$CG\""
BR_CONF="\"cniVersion\": \"1.0.0\", \"name\": \"refcni\", \"type\": \"bridge\", \"bridge\": \"cni0\",
 \"isGateway\": true, \"ipMasq\": true, \"hairpinMode\": true,
 \"ipam\": {\"type\": \"host-local\", \"subnet\": \"10.98.0.0/16\", \"dataDir\": \"$TMP/hostlocal\",
  \"routes\": [{\"dst\": \"0.0.0.0/0\"}]}"
PM_CONF="\"cniVersion\": \"1.0.0\", \"name\": \"refcni\", \"type\": \"portmap\",
 \"capabilities\": {\"portMappings\": true}, \"snat\": true"

# call NETNS PLUGIN CMD I CONF: one plugin call for container I, its result in $TMP/res
call() {
	local ns=$1 plugin=$2 cmd=$3 i=$4 conf=$5
	nsenter --net=/run/netns/"$ns" env CNI_COMMAND="$cmd" CNI_CONTAINERID="c$i" \
		CNI_NETNS="/run/netns/$RID-c$i" CNI_IFNAME=eth0 CNI_PATH="$CNI_DIR" \
		"$plugin" <<<"$conf" >"$TMP/res" 2>"$TMP/err" || {
		echo "cni.sh: $(basename "$plugin") $cmd of container $i failed:" >&2
		cat "$TMP/res" "$TMP/err" >&2
		return 1
	}
}

# one_netbpf CMD I: the time of netbpf's call in µs
one_netbpf() {
	local t0 t1
	t0=$(us)
	call "$H" "$NBCNI" "$1" "$2" "{$NB_CONF, $(ports "$2")}"
	t1=$(us)
	echo $((t1 - t0))
}

# one_ref CMD I: the time of the chain's two calls in µs (ADD: bridge then
# portmap with bridge's result; DEL: the reverse, as a runtime runs a list)
one_ref() {
	local cmd=$1 i=$2 t0 t1 t2 t3 res
	if [ "$cmd" = ADD ]; then
		t0=$(us)
		call "$R" "$CNI_DIR/bridge" ADD "$i" "{$BR_CONF}"
		t1=$(us)
		res=$(<"$TMP/res")
		t2=$(us)
		call "$R" "$CNI_DIR/portmap" ADD "$i" "{$PM_CONF, $(ports "$i"), \"prevResult\": $res}"
		t3=$(us)
	else
		t0=$(us)
		call "$R" "$CNI_DIR/portmap" DEL "$i" "{$PM_CONF, $(ports "$i")}"
		t1=$(us)
		t2=$(us)
		call "$R" "$CNI_DIR/bridge" DEL "$i" "{$BR_CONF}"
		t3=$(us)
	fi
	echo $((t1 - t0 + t3 - t2))
}

# run SYSTEM N: ADD of N containers, then DEL of them, each call timed
run() {
	local sys=$1 n=$2 i
	for i in $(seq "$n"); do
		ip netns add "$RID-c$i"
	done
	: >"$TMP/add"
	: >"$TMP/del"
	for i in $(seq "$n"); do
		"one_$sys" ADD "$i" >>"$TMP/add"
	done
	for i in $(seq "$n" -1 1); do
		"one_$sys" DEL "$i" >>"$TMP/del"
	done
	for i in $(seq "$n"); do
		ip netns del "$RID-c$i"
	done
	local name=$sys
	[ "$sys" = netbpf ] || name=ref
	say "${name}_add_us_p50@$n $(pct "$TMP/add" 50)"
	say "${name}_add_us_p90@$n $(pct "$TMP/add" 90)"
	say "${name}_del_us_p50@$n $(pct "$TMP/del" 50)"
	say "${name}_del_us_p90@$n $(pct "$TMP/del" 90)"
}

say "plugin $NBCNI"
say "reference $CNI_DIR/bridge+host-local+portmap ($(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null || echo unknown))"
k=0
for n in $SIZES; do
	if [ $((k % 2)) -eq 0 ]; then
		run netbpf "$n"
		run ref "$n"
	else
		run ref "$n"
		run netbpf "$n"
	fi
	k=$((k + 1))
done
