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
# State dir and pin dir are private to the instance; the pin dir is a bpffs
# mounted outside /sys so every command of the instance sees it. The socket
# hooks attach to a cgroup of the instance's own ($NB_CGROUP), which holds
# only the processes a test puts there with in_host_cg.

NETBPFCTL=${NETBPFCTL:-$BATS_TEST_DIRNAME/../../build/netbpfctl}
NB_CGROOT=${NB_CGROOT:-/sys/fs/cgroup/unified}

nb_setup_instance() {
	NB_ID=nbt$(printf '%04x' $((RANDOM)))$$
	NB_ID=${NB_ID:0:10}
	export NB_ID
	export NB_HOST=$NB_ID-h NB_WORLD=$NB_ID-w
	export NB_TMP=/tmp/$NB_ID
	export NETBPF_STATE_DIR=$NB_TMP/state NETBPF_PIN_DIR=$NB_TMP/bpf
	export NETBPF_CGROUP=$NB_CGROOT/$NB_ID
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
	nbctl up
}

nb_teardown_instance() {
	[ -n "${NB_ID:-}" ] || return 0
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

# netbpfctl inside the instance's host netns (mount namespace untouched)
nbctl() {
	nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" "$@"
}

in_host() { nsenter --net=/run/netns/"$NB_HOST" "$@"; }
in_world() { nsenter --net=/run/netns/"$NB_WORLD" "$@"; }
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
	"$@" >"$out" 2>&1 &
	echo $! >>"$NB_TMP/pids"
}
nb_kill_bg() {
	local p
	[ -f "$NB_TMP/pids" ] || return 0
	for p in $(cat "$NB_TMP/pids"); do
		kill "$p" 2>/dev/null || true
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
