# shellcheck shell=bash
# Shared set-up for the end-to-end suites: one netbpf instance per .bats
# file, in namespaces the file creates and removes (also on failure).
#
#   world netns ($NB_WORLD)                host netns ($NB_HOST)
#   wan0 198.18.0.2/24 ──────veth──────── up0 198.18.0.1/24  <- uplink, default route
#   (the simulated outside world)          netbpfctl runs here: nbg*/nbp*/nbe* devices
#                                              │ redirect_peer
#                                          sandboxes: /run/netns/$NB_ID-<name>
#
# The data plane's mode is NB_MODE (tc, the default, or xdp: tests/run.sh runs
# the suite in both), passed on as NETBPF_MODE so every `up` of a test uses it.
#
# State dir and pin dir are private to the instance; the pin dir is a bpffs
# mounted outside /sys so every command of the instance sees it. The socket
# hooks attach to a cgroup of the instance's own ($NB_CGROUP), which holds
# only the processes a test puts there with in_host_cg.
#
# Every .bats file loads this file (`load lib`) and nothing else for the
# assertions: it loads Debian's bats-support and bats-assert (packages
# bats-support, bats-assert; /usr/lib/bats), so a test checks with
# assert_success, assert_failure, assert_output, assert_line, assert_equal,
# assert_regex, assert and refute. Never `[ a ] && [ b ]`: under bats a failing
# command that is not the last of an && list does not fail the test
# (tests/lint.sh rejects it, and compares of "$status" by hand).

bats_load_library bats-support
bats_load_library bats-assert

NB_SRC=${NB_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
NETBPFCTL=${NETBPFCTL:-$NB_SRC/build/netbpfctl}
# the cgroup2 hierarchy: /sys/fs/cgroup on a pure v2 machine (Debian 12's
# default), /sys/fs/cgroup/unified on a hybrid one
NB_CGROOT=${NB_CGROOT:-$(findmnt -n -t cgroup2 -o TARGET | head -n1)}

nb_setup_instance() {
	# fresh names, unless nb_setup_file chose them for this very set-up
	[ -n "${_NB_IDS_CHOSEN:-}" ] || unset NB_ID
	nb_instance_ids
	mkdir -p "$NB_TMP/bpf" "$NETBPF_CGROUP"
	mount -t bpf bpf "$NB_TMP/bpf"
	ip netns add "$NB_HOST"
	ip netns add "$NB_WORLD"
	ip link add up0 netns "$NB_HOST" type veth peer name wan0 netns "$NB_WORLD"
	ip -n "$NB_HOST" addr add 198.18.0.1/24 dev up0
	ip -n "$NB_WORLD" addr add 198.18.0.2/24 dev wan0
	ip -n "$NB_HOST" link set lo up
	ip -n "$NB_HOST" link set up0 up
	ip -n "$NB_WORLD" link set lo up
	ip -n "$NB_WORLD" link set wan0 up
	ip -n "$NB_HOST" route add default via 198.18.0.2
	# A wire delivers complete checksums; a veth passes its sender's "to be
	# completed" (CHECKSUM_PARTIAL) state along, which XDP cannot see and a
	# redirected frame loses. In XDP mode the world therefore sends what a real
	# NIC would receive (the uplink up0 is a veth, given XDP by NETBPF_XDP_VETH).
	[ "$NETBPF_MODE" != xdp ] || in_world python3 "$NB_SRC/tests/e2e/txcsum.py" wan0 off
	# a suite's own host netns furniture (a docker0, a route) that must be there before `up`
	[ -z "${NB_PRE_UP:-}" ] || "$NB_PRE_UP"
	nbctl up
}

nb_teardown_instance() {
	[ -n "${NB_ID:-}" ] || return 0
	nb_kill_bg
	nbctl down >/dev/null 2>&1 || true
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep "^$NB_ID-"); do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -d "$NETBPF_CGROUP" ]; then
		# move any leftover test process back to the root before removing
		local p
		for p in $(cat "$NETBPF_CGROUP/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$NB_CGROOT/cgroup.procs" 2>/dev/null || true
		done
		rmdir "$NETBPF_CGROUP" 2>/dev/null || true
	fi
	umount "$NB_TMP/bpf" 2>/dev/null || true
	rm -rf "$NB_TMP"
}

# The instance's names (exported for the tests); an NB_ID already set is
# kept, so nb_setup_file can choose them before running the set-up in a subshell.
nb_instance_ids() {
	if [ -z "${NB_ID:-}" ]; then
		NB_ID=nbt$(printf '%04x' $((RANDOM)))$$
		NB_ID=${NB_ID:0:10}
	fi
	export NB_ID
	export NB_HOST=$NB_ID-h NB_WORLD=$NB_ID-w
	export NB_TMP=/tmp/$NB_ID
	export NETBPF_STATE_DIR=$NB_TMP/state NETBPF_PIN_DIR=$NB_TMP/bpf
	export NETBPF_CGROUP=$NB_CGROOT/$NB_ID
	export NETBPF_MODE=${NB_MODE:-tc}
	# XDP mode leaves veth uplinks to tc (slower with XDP, docs/xdp.md); the
	# suite's uplink is a veth and its XDP pass is meant to run xdp_uplink
	export NETBPF_XDP_VETH=1
}

# netbpfctl inside the instance's host netns (mount namespace untouched)
nbctl() {
	nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" "$@"
}

in_host() { nsenter --net=/run/netns/"$NB_HOST" "$@"; }
in_world() { nsenter --net=/run/netns/"$NB_WORLD" "$@"; }
# uplink6 HOST6 WORLD6: IPv6 addresses (/64, no DAD) on the uplink up0 and the world's wan0
uplink6() {
	in_host ip -6 addr replace "$1/64" dev up0 nodad
	in_world ip -6 addr replace "$2/64" dev wan0 nodad
}
# get6 ADDR PORT: GET / from the world to http://[ADDR]:PORT/ (3 s at most)
get6() { in_world curl -sS --max-time 3 "http://[$1]:$2/"; }
# a command in sandbox NAME (created as $NB_ID-NAME)
in_sb() {
	local sb=$1
	shift
	nsenter --net=/run/netns/"$NB_ID-$sb" "$@"
}
# a command in the host netns *and* the instance's cgroup (socket hooks apply)
in_host_cg() {
	(
		echo $BASHPID >"$NETBPF_CGROUP/cgroup.procs"
		exec nsenter --net=/run/netns/"$NB_HOST" "$@"
	)
}

sb() { echo "$NB_ID-$1"; }

# background server helpers: the pid is recorded so teardown ends only ours
nb_bg() { # FILE CMD...: run CMD in background, pid appended to $NB_TMP/pids
	local out=$1
	shift
	# fd 3 is bats' own output: a child holding it would stall bats
	"$@" </dev/null >"$out" 2>&1 3>&- &
	echo $! >>"$NB_TMP/pids"
}
# the pids of PID's descendants, deepest first
nb_descendants() {
	local c
	for c in $(ps -o pid= --ppid "$1"); do
		nb_descendants "$c"
		echo "$c"
	done
}
# Ends what nb_bg started, by pid. "$!" of a backgrounded shell function (in_host
# CMD...) is the subshell running it, not CMD: its descendants go first, or they
# would outlive the test (a socat listener keeps its netns and port alive).
nb_kill_bg() {
	local p
	[ -f "$NB_TMP/pids" ] || return 0
	for p in $(cat "$NB_TMP/pids"); do
		# shellcheck disable=SC2046
		kill $(nb_descendants "$p") "$p" 2>/dev/null || true
	done
	for p in $(cat "$NB_TMP/pids"); do
		wait "$p" 2>/dev/null || true
	done
	rm -f "$NB_TMP/pids"
}

# The instance must never have created a bridge or a firewall rule.
assert_no_bridge_no_rules() {
	local out
	out=$(ip -n "$NB_HOST" -o link show type bridge)
	[ -z "$out" ] || { echo "bridge device in host netns: $out"; return 1; }
	if command -v iptables-save >/dev/null; then
		out=$(in_host iptables-save 2>/dev/null | grep -E '^-A' || true)
		[ -z "$out" ] || { echo "iptables rules in host netns: $out"; return 1; }
	else
		# (iptables-save itself would create tables): without it, a legacy
		# table exists in a netns only once something has used it there
		out=$(in_host cat /proc/net/ip_tables_names 2>/dev/null || true)
		[ -z "$out" ] || { echo "iptables tables in host netns: $out"; return 1; }
	fi
	if command -v nft >/dev/null; then
		out=$(in_host nft list ruleset 2>/dev/null || true)
		[ -z "$out" ] || { echo "nft ruleset in host netns: $out"; return 1; }
	fi
}

# wait_for CMD...: retry for up to 5 s
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}

# ---- addresses ---------------------------------------------------------------

# sb_ip NAME [IFACE]: the IPv4 address (no prefix) of sandbox NAME's IFACE (eth0)
sb_ip() {
	in_sb "$1" ip -o -4 addr show dev "${2:-eth0}" | awk '{split($4, a, "/"); print a[1]; exit}'
}
# sb_mac NAME [IFACE]: the MAC of sandbox NAME's IFACE (eth0)
sb_mac() {
	in_sb "$1" ip -o link show dev "${2:-eth0}" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}
# docker_mac IP: the MAC Docker (and netbpf) derive from an address: 02:42 + its bytes
docker_mac() {
	local IFS=.
	# shellcheck disable=SC2086
	printf '02:42:%02x:%02x:%02x:%02x\n' $1
}

# ---- traffic -----------------------------------------------------------------

# ping_ok WHERE IP: one echo answered (a second try absorbs a lost first ARP).
# WHERE is a sandbox name, or "host" / "world" for those namespaces.
_in() {
	local where=$1
	shift
	case $where in
	host) in_host "$@" ;;
	world) in_world "$@" ;;
	*) in_sb "$where" "$@" ;;
	esac
}
ping_ok() {
	_in "$1" ping -n -c1 -W1 "$2" >/dev/null 2>&1 || _in "$1" ping -n -c1 -W1 "$2"
}
# ping_fails WHERE IP [PING OPTIONS]: no echo answered in 2 tries
ping_fails() {
	local where=$1 ip=$2
	shift 2
	if _in "$where" ping -n -c2 -i0.3 -W1 "$@" "$ip" >/dev/null 2>&1; then
		echo "ping from $where to $ip answered but must not"
		return 1
	fi
}

# wait_listen SANDBOX PORT: a TCP listener on PORT in SANDBOX
wait_listen() {
	wait_for _in "$1" sh -c "ss -Hltn | awk '{print \$4}' | grep -q ':$2\$'"
}

# tcp_echo_check CLIENT SERVER SERVER_IP PORT [BYTES]: an echo server in
# SERVER returns BYTES (256 KiB) of random data sent by CLIENT, intact.
tcp_echo_check() {
	local c=$1 s=$2 ip=$3 port=$4 bytes=${5:-262144}
	head -c "$bytes" /dev/urandom >"$NB_TMP/tx.$port"
	# nsenter execs socat, so the recorded pid is the server's own
	nb_bg "$NB_TMP/srv.$port.log" nsenter --net=/run/netns/"$(_ns_of "$s")" \
		socat TCP-LISTEN:"$port",reuseaddr EXEC:cat
	wait_listen "$s" "$port"
	timeout 15 nsenter --net=/run/netns/"$(_ns_of "$c")" \
		socat -t5 - TCP:"$ip":"$port",connect-timeout=3 \
		<"$NB_TMP/tx.$port" >"$NB_TMP/rx.$port" || {
		echo "socat from $c to $ip:$port failed"
		return 1
	}
	cmp "$NB_TMP/tx.$port" "$NB_TMP/rx.$port" || {
		echo "echoed bytes differ: sent $bytes, got $(stat -c %s "$NB_TMP/rx.$port")"
		return 1
	}
}
_ns_of() {
	case $1 in
	host) echo "$NB_HOST" ;;
	world) echo "$NB_WORLD" ;;
	*) echo "$NB_ID-$1" ;;
	esac
}

# ---- JSON and maps -------------------------------------------------------------

# json EXPR: evaluates the Python expression EXPR over d = the JSON on stdin;
# prints strings bare and everything else as JSON.
json() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}

# nb_map MAP: `bpftool -j map dump` of a pinned map of the instance
nb_map() {
	bpftool -j map dump pinned "$NETBPF_PIN_DIR/$1"
}

# nb_ep_stats IFINDEX: the endpoint's counters (bpftool -j lookup of nb_ep_stats at
# the stats slot its nb_ports entry holds); fails when the port has no slot
nb_ep_stats() {
	local slot
	slot=$(nb_map nb_ports | python3 -c '
import json, sys
ifx = int(sys.argv[1])
p = [e["formatted"]["value"] for e in json.load(sys.stdin) if e["formatted"]["key"] == ifx]
assert p and p[0]["kind"] == "NB_PORT_ENDPOINT" and p[0]["stats_slot"] > 0, ("no endpoint port", ifx, p)
print(p[0]["stats_slot"])' "$1") || return 1
	bpftool -j map lookup pinned "$NETBPF_PIN_DIR/nb_ep_stats" \
		key $((slot & 255)) $((slot >> 8 & 255)) $((slot >> 16 & 255)) 0
}

# nb_drop_index REASON: index of NB_DROP_<REASON> in the nb_drops map, read from
# the ABI header so the tests follow it
nb_drop_index() {
	awk -v want="NB_DROP_$1" '
		/^enum nb_drop_reason/ { on = 1; next }
		on && /^}/ { exit }
		on && match($0, /NB_DROP_[A-Z0-9_]+/) {
			if (substr($0, RSTART, RLENGTH) == want) { print i; found = 1; exit }
			i++
		}
		END { exit !found }' "$NB_SRC/include/netbpf/abi.h"
}

# nb_drops REASON...: packets dropped for these reasons, summed over CPUs
nb_drops() {
	local idx=() r i
	for r; do
		i=$(nb_drop_index "$r") || { echo "no drop reason NB_DROP_$r" >&2; return 1; }
		idx+=("$i")
	done
	nb_map nb_drops | python3 -c '
import json, sys
want = {int(a) for a in sys.argv[1:]}
d = json.load(sys.stdin)
if isinstance(d, dict):
    sys.exit("nb_drops: %s" % d.get("error", d))
n = 0
for e in d:
    f = e["formatted"]
    if f["key"] in want:
        n += sum(c["value"]["packets"] for c in f["values"])
print(n)' "${idx[@]}"
}

# ---- state checks ----------------------------------------------------------------

# nb_snapshot: what a refused command must leave as it was: the state as the
# CLI shows it, the host netns's links and routes, the instance's netns
nb_snapshot() {
	echo "== network ls"
	nbctl network ls 2>&1
	echo "== sandbox ls"
	nbctl sandbox ls 2>&1
	echo "== links"
	ip -n "$NB_HOST" -o link show | awk -F': ' '{print $2}' | sort
	echo "== addresses"
	ip -n "$NB_HOST" -o -4 addr show | awk '{print $2, $4}' | sort
	echo "== routes"
	ip -n "$NB_HOST" route show
	echo "== netns"
	ip netns list | awk '{print $1}' | grep "^$NB_ID-" | sort
	echo "== maps"
	# the switch maps' entries, sorted (one python for all: the snapshot runs often)
	python3 -c '
import json, subprocess, sys
for m in sys.argv[2:]:
    print("--", m)
    p = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", sys.argv[1] + "/" + m],
                       capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        print(p.stdout, p.stderr)
        continue
    rows = d if isinstance(d, list) else [d]
    for r in sorted(json.dumps(x.get("formatted", x), sort_keys=True) for x in rows):
        print(r)' "$NETBPF_PIN_DIR" nb_networks nb_ports nb_fdb nb_neigh nb_subnets nb_flood 2>&1
}

# expect_fail [NEEDLE...] -- CMD...: CMD exits with netbpfctl's error status
# (1 or 2, not a crash), prints every NEEDLE (the object and the cause) and
# changes nothing that nb_snapshot sees.
expect_fail() {
	local needles=() before after out rc n
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		needles+=("$1")
		shift
	done
	shift
	before=$(nb_snapshot)
	out=$("$@" 2>&1) && rc=0 || rc=$?
	after=$(nb_snapshot)
	if [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
		echo "\`$*\` exited with status $rc (want 1 or 2); output:"
		echo "$out"
		return 1
	fi
	for n in "${needles[@]}"; do
		if ! grep -qF -- "$n" <<<"$out"; then
			echo "\`$*\`: message does not name \"$n\":"
			echo "$out"
			return 1
		fi
	done
	if [ "$before" != "$after" ]; then
		echo "\`$*\` failed but changed the state:"
		diff <(echo "$before") <(echo "$after")
		return 1
	fi
}

# nb_setup_file FN: runs the file's set-up function FN from setup_file. When it
# fails, the cause is kept and every test of the file fails with it (through
# nb_setup_ok in setup), so a broken set-up counts as many failures as it
# stops tests, instead of one.
nb_setup_file() {
	local rc=0 _NB_IDS_CHOSEN=1
	unset NB_ID
	nb_instance_ids
	# In a subshell of its own so that errexit stops FN at its first failing
	# step (it would not inside `FN || ...`); asynchronous so that the `||`
	# below does not reach into it. The names were chosen above, in this shell.
	( set -e; "$@" ) >"$BATS_FILE_TMPDIR/nb-setup.log" 2>&1 3>&- &
	wait $! || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "set-up \`$*\` failed with status $rc" >>"$BATS_FILE_TMPDIR/nb-setup.log"
		touch "$BATS_FILE_TMPDIR/nb-setup.failed"
	fi
	return 0
}
nb_setup_ok() {
	if [ -e "$BATS_FILE_TMPDIR/nb-setup.failed" ]; then
		cat "$BATS_FILE_TMPDIR/nb-setup.log"
		return 1
	fi
}
