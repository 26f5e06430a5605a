#!/usr/bin/env bash
# netbpf demo (what `make demo` runs after building): a narrated scenario in
# private network namespaces, never the machine's own interfaces.
#
#   world netns  wan0 198.18.0.2 ──veth── up0 198.18.0.1  host netns (netbpfctl up here)
#   (the outside)                                         │ eBPF switch, no bridge, no iptables
#                                  frontend 10.10.1.0/24  │  backend (auto: 172.18.0.0/16)
#                                     web   cache   api:eth0 ─ api:eth1   db
#
# Everything (namespaces, the instance's state and pin dirs, a cgroup) is
# created here and removed on exit, also on failure or Ctrl-C.
set -Eeuo pipefail
cd "$(dirname "$0")/.."

NETBPFCTL=${NETBPFCTL:-$PWD/build/netbpfctl}
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: must run as root (it creates network namespaces and loads BPF programs)" >&2
	exit 1
fi
if [ ! -x "$NETBPFCTL" ]; then
	echo "demo.sh: $NETBPFCTL not found: run \`make\` first" >&2
	exit 1
fi

ID=nbdemo$$
HOST=$ID-host
WORLD=$ID-world
P=d$$- # sandbox names are global (/run/netns/NAME): prefix them with our pid
TMP=$(mktemp -d /tmp/netbpf-demo.XXXXXX)
export NETBPF_STATE_DIR=$TMP/state NETBPF_PIN_DIR=$TMP/bpf
CGROOT=/sys/fs/cgroup/unified
export NETBPF_CGROUP=$CGROOT/$ID
PIDS=()

# ---- narration -----------------------------------------------------------------

if [ -t 1 ]; then B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B='' D='' G='' R='' N=''; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
note() { printf '%s   %s%s\n' "$D" "$*" "$N"; }
show() { printf '%s+ %s%s\n' "$B" "$*" "$N"; }
good() { printf '%s   -> %s%s\n' "$G" "$*" "$N"; }
bad() { printf '%s   -> %s%s\n' "$R" "$*" "$N"; }
die() {
	bad "$*"
	exit 1
}

# netbpfctl in the demo's host netns (nsenter keeps the mount namespace as is)
nb() {
	show "netbpfctl $*"
	nsenter --net=/run/netns/"$HOST" "$NETBPFCTL" "$@"
}
nb_quiet() { nsenter --net=/run/netns/"$HOST" "$NETBPFCTL" "$@"; }
# a shown command in a namespace
in_ns() {
	local ns=$1
	shift
	show "ip netns exec $ns $*"
	ip netns exec "$ns" "$@"
}
# the address of a sandbox's interface
addr_of() {
	nsenter --net=/run/netns/"$1" ip -o -4 addr show dev "${2:-eth0}" |
		awk '{split($4, a, "/"); print a[1]; exit}'
}

# ---- set-up and clean-up -------------------------------------------------------------

cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM ERR
	set +e
	[ "$rc" -eq 0 ] || bad "the demo stopped (exit status $rc)${FAILED_CMD:+ at: $FAILED_CMD}"
	say "Cleaning up"
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -e /run/netns/"$HOST" ]; then
		for ns in web cache api db; do
			nb_quiet sandbox rm "$P$ns" >/dev/null 2>&1
		done
		nb_quiet network rm frontend backend >/dev/null 2>&1
		show "netbpfctl down"
		nb_quiet down
	fi
	for ns in $(ip netns list | awk '{print $1}' | grep -E "^($ID-|$P)"); do
		ip netns del "$ns"
	done
	if [ -d "$NETBPF_CGROUP" ]; then
		for p in $(cat "$NETBPF_CGROUP/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$CGROOT/cgroup.procs"
		done
		rmdir "$NETBPF_CGROUP"
	fi
	mountpoint -q "$TMP/bpf" && umount "$TMP/bpf"
	rm -rf "$TMP"
	note "namespaces, devices, programs, pins and state of the demo removed"
	exit "$rc"
}
trap cleanup EXIT
trap 'FAILED_CMD=$BASH_COMMAND' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

setup_namespaces() {
	say "A private 'host' and an 'outside world', so the machine's own network is never touched"
	mkdir -p "$TMP/bpf" "$NETBPF_CGROUP"
	# a bpffs outside /sys: every command of the instance sees the same pins
	show "mount -t bpf bpf $TMP/bpf"
	mount -t bpf bpf "$TMP/bpf"
	show "ip netns add $HOST; ip netns add $WORLD"
	ip netns add "$HOST"
	ip netns add "$WORLD"
	show "ip link add up0 netns $HOST type veth peer name wan0 netns $WORLD"
	ip link add up0 netns "$HOST" type veth peer name wan0 netns "$WORLD"
	ip -n "$HOST" addr add 198.18.0.1/24 dev up0
	ip -n "$WORLD" addr add 198.18.0.2/24 dev wan0
	ip -n "$HOST" link set lo up
	ip -n "$HOST" link set up0 up
	ip -n "$WORLD" link set lo up
	ip -n "$WORLD" link set wan0 up
	ip -n "$HOST" route add default via 198.18.0.2
	note "host netns $HOST: up0 198.18.0.1/24, default route via the world (198.18.0.2)"
	# the host routes between networks, as Docker's hosts do: what stops
	# traffic between networks below is netbpf, not a missing route
	show "ip netns exec $HOST sysctl -w net.ipv4.ip_forward=1"
	ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1
	note "netbpfctl runs inside $HOST (nsenter --net=/run/netns/$HOST), with"
	note "NETBPF_STATE_DIR=$NETBPF_STATE_DIR NETBPF_PIN_DIR=$NETBPF_PIN_DIR"
}

# ---- the scenario -----------------------------------------------------------------------

bring_up() {
	say "Load the data plane: programs and maps pinned, predefined networks created"
	nb up
	nb status
}

create_networks() {
	say "Two networks: one with a chosen subnet, one picked from Docker's default pools"
	nb network create --subnet 10.10.1.0/24 frontend
	nb network create backend
	nb network ls
	note "no bridge device in the host netns:"
	show "ip -n $HOST link show type bridge"
	[ -z "$(ip -n "$HOST" link show type bridge)" ] || die "a bridge device exists"
	good "(none)"
	show "ip -n $HOST -br link show"
	ip -n "$HOST" -br link show
}

create_sandboxes() {
	say "Sandboxes (network namespaces) joined to the networks"
	nb sandbox create --network frontend "${P}web"
	nb sandbox create --network frontend "${P}cache"
	nb sandbox create --network backend "${P}db"
	nb sandbox create --network frontend --network backend "${P}api"
	nb sandbox ls
	nb network inspect frontend
	nb sandbox exec "${P}api" -- ip -br addr
}

talk() {
	local web cache
	web=$(addr_of "${P}web")
	cache=$(addr_of "${P}cache")
	say "Sandboxes on one network talk: ARP answered and frames switched by eBPF"
	nb sandbox exec "${P}web" -- ping -n -c2 -W1 "$cache" || die "web cannot ping cache"
	good "web reaches cache"
	nb sandbox exec "${P}web" -- ip neigh show dev eth0
	note "cache's MAC 02:42:... came from netbpf's ARP responder, derived from its address"

	say "TCP: an HTTP server in web, curl from cache"
	mkdir -p "$TMP/www"
	echo "hello from the web sandbox, served over an eBPF switch" >"$TMP/www/index.html"
	# `python3 -m http.server` would look up the name of its address first,
	# and wait for a DNS server a sandbox cannot reach: serve with a plain
	# TCPServer instead
	local srv='import functools, http.server as h, socketserver as s, sys
s.TCPServer.allow_reuse_address = True
s.TCPServer((sys.argv[1], 80), functools.partial(h.SimpleHTTPRequestHandler,
	directory=sys.argv[2])).serve_forever()'
	show "nsenter --net=/run/netns/${P}web python3 -c '<static HTTP server>' $web $TMP/www &"
	nsenter --net=/run/netns/"${P}web" python3 -c "$srv" "$web" "$TMP/www" >"$TMP/http.log" 2>&1 &
	PIDS+=($!)
	local _
	for _ in $(seq 50); do
		nsenter --net=/run/netns/"${P}web" ss -Hltn | grep -q ":80 " && break
		sleep 0.1
	done
	nsenter --net=/run/netns/"${P}web" ss -Hltn | grep -q ":80 " ||
		die "the HTTP server in web did not start: $(cat "$TMP/http.log")"
	nb sandbox exec "${P}cache" -- curl -sS --max-time 5 "http://$web/" ||
		die "cache could not fetch http://$web/ (server log: $(cat "$TMP/http.log"))"
	good "cache fetched a page from web"

	say "Sandbox <-> host through the gateway port"
	nb sandbox exec "${P}web" -- ping -n -c1 -W1 10.10.1.1 || die "web cannot reach its gateway"
	in_ns "$HOST" ping -n -c1 -W1 "$web" || die "the host cannot reach web"
	good "web reaches its gateway, the host reaches web"
}

isolation() {
	local db web
	db=$(addr_of "${P}db")
	web=$(addr_of "${P}web")
	say "Isolation: frontend and backend never meet, though the host routes both"
	if nb sandbox exec "${P}web" -- ping -n -c2 -i0.3 -W1 "$db"; then
		die "web reached db across networks"
	fi
	good "web cannot reach db"
	# nb_drops is indexed by reason: NB_DROP_ISOLATION's place in <netbpf/abi.h>
	local idx
	idx=$(awk '/^enum nb_drop_reason/ { on = 1; next } on && /^}/ { exit }
		on && match($0, /NB_DROP_[A-Z_]+/) {
			if (substr($0, RSTART, RLENGTH) == "NB_DROP_ISOLATION") { print i; exit }
			i++
		}' include/netbpf/abi.h)
	note "the drops, counted per reason and per CPU (NB_DROP_ISOLATION is entry $idx):"
	show "bpftool map lookup pinned $NETBPF_PIN_DIR/nb_drops key $idx 0 0 0"
	bpftool map lookup pinned "$NETBPF_PIN_DIR/nb_drops" key "$idx" 0 0 0
	note "api is on both networks and reaches each:"
	nb sandbox exec "${P}api" -- ping -n -c1 -W1 "$web" || die "api cannot reach web"
	nb sandbox exec "${P}api" -- ping -n -c1 -W1 "$db" || die "api cannot reach db"
	good "api reaches web (frontend) and db (backend)"
}

maps() {
	say "The data plane's state, readable with bpftool (maps pinned with BTF)"
	show "ls $NETBPF_PIN_DIR"
	ls "$NETBPF_PIN_DIR"
	show "bpftool map dump pinned $NETBPF_PIN_DIR/nb_fdb"
	bpftool map dump pinned "$NETBPF_PIN_DIR/nb_fdb"
	note "the forwarding database: (network, MAC) -> the port a frame is redirected to"
	show "bpftool map dump pinned $NETBPF_PIN_DIR/nb_ports"
	bpftool map dump pinned "$NETBPF_PIN_DIR/nb_ports"
	note "the switch ports by ifindex; an endpoint's port carries its network's flags and"
	note "its stats slot, so forwarding a frame takes two hash lookups (port, FDB)"
	local key
	key=$(bpftool -j map dump pinned "$NETBPF_PIN_DIR/nb_ports" | python3 -c '
import json, sys
slots = sorted(e["formatted"]["value"]["stats_slot"] for e in json.load(sys.stdin)
               if e["formatted"]["value"]["kind"] == "NB_PORT_ENDPOINT")
s = slots[0]
print(" ".join(str(s >> (8 * i) & 255) for i in range(4)))') ||
		die "no endpoint port in nb_ports"
	show "bpftool map lookup pinned $NETBPF_PIN_DIR/nb_ep_stats key $key"
	bpftool map lookup pinned "$NETBPF_PIN_DIR/nb_ep_stats" key $key
	note "per-endpoint counters (per CPU), in an array indexed by the port's stats slot"
}

# ---- to come: published ports (issue 3) and stats (issue 5) --------------------------------

# A published port reached from outside: the world namespace connects to the
# host's uplink address and lands in the web sandbox.
publish_demo() {
	say "A published port, reached from outside"
	if ! nb_quiet publish --help >/dev/null 2>&1; then
		note "(not available yet)"
		return 0
	fi
	local web
	web=$(addr_of "${P}web")
	nb publish 8080:80 "${P}web"
	nb port "${P}web"
	in_ns "$WORLD" curl -sS --max-time 5 http://198.18.0.1:8080/ ||
		die "the world cannot reach the published port"
	good "the world reached web:80 through 198.18.0.1:8080 (DNAT in BPF, no iptables, no proxy)"
	note "web's server saw the outside client's own address (no proxy in between):"
	show "tail -n1 $TMP/http.log"
	tail -n1 "$TMP/http.log"
	nb unpublish 8080:80 "${P}web"
}

# `netbpfctl stats`: per-sandbox counters from the BPF maps.
stats_demo() {
	say "Per-sandbox counters"
	if ! nb_quiet stats --help >/dev/null 2>&1; then
		note "(not available yet)"
		return 0
	fi
	nb stats --no-stream
}

# ---- run --------------------------------------------------------------------------------------

setup_namespaces
bring_up
create_networks
create_sandboxes
talk
isolation
publish_demo
maps
stats_demo

say "Tear down what the demo made"
for s in web cache db api; do
	nb sandbox rm "$P$s"
done
nb network rm frontend backend
nb network ls
good "demo done"
