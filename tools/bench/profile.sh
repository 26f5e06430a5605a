#!/bin/bash
# Profiles one metric in one topology with `perf record -a -g`, to explain a
# result: builds the topology exactly as bench.sh does (same namespaces, same
# servers, same pinning), runs the metric once while perf samples both CPUs,
# and writes the top of `perf report` (kernel and BPF symbols) to OUT. The
# profile is system-wide: whatever else runs on the machine is in it too (so
# the BPF shares are upper bounds for the profiled instance).
#
#   tools/bench/profile.sh TOPO METRIC [OUT]     e.g. profile.sh D pub_rate
#
# Removes everything it made on exit, like bench.sh.
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

[ $# -ge 2 ] || die "usage: profile.sh TOPO METRIC [OUT]"
TOPO=$1 METRIC=$2
OUT=${3:-$NBB_SRC/build/bench/perf-$TOPO-$METRIC.txt}
declare -F "m_$METRIC" >/dev/null || die "unknown metric $METRIC (${METRICS[*]})"
declare -F "topo_setup_$TOPO" >/dev/null || die "unknown topology $TOPO (${TOPO_IDS[*]})"
command -v perf >/dev/null || die "perf missing (Debian: linux-perf)"
[ -x "$NBB_BUILD/nbb-httpd" ] || die "run tools/bench/bench.sh --quick once first (it builds the helpers)"

NBB_ID=nbp$(printf '%04x' $((RANDOM)))
NBB_TMP=/tmp/$NBB_ID
NBB_RAW=$NBB_TMP/raw
NBB_DUR=${NBB_DUR:-3}
NBB_DUR_TPUT=${NBB_DUR_TPUT:-$NBB_DUR}
mkdir -p "$NBB_RAW"
: >"$NBB_TMP/pids"

cleanup() {
	local p n
	set +e
	"topo_teardown_$TOPO" 2>/dev/null
	for p in $(tac "$NBB_TMP/pids"); do bg_stop "$p"; done
	for n in $(ip netns list | awk '{print $1}' | grep "^$NBB_ID-"); do ip netns del "$n"; done
	for n in $(awk -v d="$NBB_TMP/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
		umount "$n"
	done
	for n in "$NB_CGROOT/$NBB_ID"-*; do [ -d "$n" ] && rmdir "$n"; done
	rm -rf "$NBB_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"topo_setup_$TOPO"
bg_on_cpu httpd "$NBB_CPU_SERVER" "${T_SRV[$TOPO]}" "$NBB_BUILD/nbb-httpd" -p 80
wait_listen "${T_SRV[$TOPO]}" tcp 80
"m_$METRIC" 0 "$TOPO" # warm-up, not profiled
bg perf perf record -a -g -o "$NBB_TMP/perf.data"
PERF=$BG_PID
sleep 0.5
"m_$METRIC" 1 "$TOPO"
kill -INT "$PERF"
wait "$PERF" 2>/dev/null || true
{
	echo "# perf record -a -g during: $METRIC in ($TOPO) ${TOPO_NAME[$TOPO]}"
	echo "# result: $(tail -1 "$NBB_RAW/results.jsonl")"
	perf report -i "$NBB_TMP/perf.data" --no-children --sort sym --stdio -g none \
		2>/dev/null >"$NBB_TMP/report.txt"
	# where the samples went, by kind of symbol
	awk '/^ +[0-9.]+%/ {
		p = $1 + 0; s = $NF
		if (s ~ /^bpf_prog_/) k = "BPF programs"
		else if (s ~ /^(htab_|__htab_|lookup_nulls_elem_raw|bpf_lru_|pcpu_freelist|trie_lookup|array_map_)/) k = "BPF maps"
		else if (s ~ /^(bpf_skb_|bpf_redirect|bpf_fib_|bpf_ipv4_fib|skb_do_redirect|bpf_l3_csum|bpf_l4_csum|bpf_csum|bpf_map_|bpf_sk_|bpf_get_|bpf_ktime|tcf_bpf|cls_bpf|__cgroup_bpf|bpf_sock_)/) k = "BPF helpers and hooks"
		else if (s ~ /^(nf_|nft_|ipt_|__nf|xt_|nf_nat|nf_ct|ct_|hash_conntrack|__nf_conntrack)/) k = "netfilter (conntrack, NAT, rules)"
		else if (s ~ /^(br_|nbp_|__br)/) k = "Linux bridge"
		else if (s ~ /(halt|idle|mwait|cpuidle)/) k = "idle"
		else k = "other kernel and user"
		sum[k] += p
	} END { for (k in sum) printf "%6.2f%%  %s\n", sum[k], k }' "$NBB_TMP/report.txt" | sort -rn
	echo "# top symbols (>= 0.5%)"
	awk '/^ +[0-9.]+%/ && $1 + 0 >= 0.5' "$NBB_TMP/report.txt"
} >"$OUT"
log "profile written to $OUT"
