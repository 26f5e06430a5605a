#!/usr/bin/env bats
# The overlay data plane between real hosts (issue 17, docs/overlay.md): two
# netbpf hosts with a store get the VXLAN device nbvx0 from `up`; the same
# subnet realized on both becomes one overlay network when the remote tables
# are written by build/tests/nbovl (the library's map writers, as the cluster
# agent calls them), so this tests the tunnel itself: encapsulation, ARP
# answered locally, decapsulation, isolation and the anti-spoofing checks on
# real veths and VXLAN devices. The control plane (network create -d overlay,
# the agent) has its own tests.
#
#                     underlay netns ($OV-u), routes between its veths
#   $OV-e eth0 10.99.1.2 ── e1 10.99.1.1       h1 10.98.1.1 ── up0 10.98.1.2 $OV-h1
#   etcd (one member: up --store asks it)      h2 10.98.2.1 ── up0 10.98.2.2 $OV-h2
#
#   network  subnet        VNI    host 1 ($OV-h1)       host 2 ($OV-h2)
#   $OV-n    10.50.0.0/24  4242   $OV-a1 10.50.0.11     $OV-b1 10.50.0.21
#   $OV-m    10.51.0.0/24  4343   $OV-a2 10.51.0.11     $OV-b2 10.51.0.21
#   $OV-l    10.52.0.0/24  local  $OV-a3 10.52.0.11
#
# Every process started here is ended by PID in teardown_file, also after a failure.

load lib

NBOVL=${NBOVL:-$NB_SRC/build/tests/nbovl}
STORE=etcd://10.99.1.2:2379

ov_names() {
	OV=${OV:-nbo$(printf '%04x' $((RANDOM)))$$}
	OV=${OV:0:9}
	export OV OV_TMP=/tmp/$OV
}

# hctl H ARGS...: netbpfctl of host H, in its netns, with its own state, pins, cgroup
hctl() {
	local h=$1
	shift
	NETBPF_STATE_DIR=$OV_TMP/h$h/state NETBPF_PIN_DIR=$OV_TMP/h$h/bpf \
		NETBPF_CGROUP=$NB_CGROOT/$OV-h$h NETBPF_MODE=${NB_MODE:-tc} \
		nsenter --net=/run/netns/"$OV-h$h" "$NETBPFCTL" "$@"
}
# hovl H ARGS...: nbovl on host H
hovl() {
	local h=$1
	shift
	NETBPF_PIN_DIR=$OV_TMP/h$h/bpf nsenter --net=/run/netns/"$OV-h$h" "$NBOVL" "$@"
}
# hdrops H REASON: host H's drops for NB_DROP_REASON
hdrops() { NETBPF_PIN_DIR=$OV_TMP/h$1/bpf nb_drops "$2"; }
in_h() {
	local h=$1
	shift
	nsenter --net=/run/netns/"$OV-h$h" "$@"
}
in_s() {
	local s=$1
	shift
	nsenter --net=/run/netns/"$OV-$s" "$@"
}
s_ping_ok() { in_s "$1" ping -n -c1 -W1 "$2" >/dev/null 2>&1 || in_s "$1" ping -n -c1 -W1 "$2"; }
s_ping_fails() {
	if in_s "$1" ping -n -c2 -i0.3 -W1 "$2" >/dev/null 2>&1; then
		echo "ping from $1 to $2 answered but must not"
		return 1
	fi
}

# net_id H SUBNET_GATEWAY: the id of host H's network whose gateway is GW (nbg<id> holds it)
net_id() {
	in_h "$1" ip -o -4 addr show | awk -v gw="$2/24" '$4 == gw { sub("nbg", "", $2); print $2 }'
}

# overlay H NET GW VNI: host H's network NET (gateway GW) becomes overlay VNI
overlay() {
	local id
	id=$(net_id "$1" "$3")
	[ -n "$id" ] || {
		echo "host $1: no network with gateway $3"
		return 1
	}
	hovl "$1" net "$id" "$4"
	echo "$id" >"$OV_TMP/h$1/$2.id"
}
nid() { cat "$OV_TMP/h$1/$2.id"; }

# remote H NET VNI IP HOST_IP: host H learns the endpoint IP of NET living on HOST_IP
remote() {
	hovl "$1" put "$(nid "$1" "$2")" "$3" "$(docker_mac "$4")" "$4" "$5"
}

etcd_stop() {
	local pid
	pid=$(cat "$OV_TMP/etcd.pid" 2>/dev/null) || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$OV_TMP/etcd.pid"
}

# the remote tables as the agent would write them from the store
tables() {
	remote 1 n 4242 10.50.0.21 10.98.2.2
	remote 2 n 4242 10.50.0.11 10.98.1.2
	remote 1 m 4343 10.51.0.21 10.98.2.2
	remote 2 m 4343 10.51.0.11 10.98.1.2
}

# host H's networks realized locally, then made overlay
host_networks() {
	local h=$1
	hctl "$h" network create --subnet 10.50.0.0/24 --mtu "$MTU" "$OV-n"
	hctl "$h" network create --subnet 10.51.0.0/24 --mtu "$MTU" "$OV-m"
	overlay "$h" n 10.50.0.1 4242
	overlay "$h" m 10.51.0.1 4343
}

ov_setup() {
	command -v etcd >/dev/null || {
		echo "etcd is not installed: install Debian's etcd-server (make deps)"
		return 1
	}
	[ -x "$NBOVL" ] || {
		echo "$NBOVL is missing: run make"
		return 1
	}
	mkdir -p "$OV_TMP"
	ip netns add "$OV-u"
	ip netns exec "$OV-u" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$OV-u" link set lo up
	ip netns add "$OV-e"
	ip link add e1 netns "$OV-u" type veth peer name eth0 netns "$OV-e"
	ip -n "$OV-u" addr add 10.99.1.1/24 dev e1
	ip -n "$OV-u" link set e1 up
	ip -n "$OV-e" addr add 10.99.1.2/24 dev eth0
	ip -n "$OV-e" link set lo up
	ip -n "$OV-e" link set eth0 up
	ip -n "$OV-e" route add default via 10.99.1.1
	# fd 3 is bats' own output: a child holding it would stall bats
	nsenter --net=/run/netns/"$OV-e" etcd --name m1 --data-dir "$OV_TMP/etcd" \
		--listen-client-urls http://10.99.1.2:2379 --advertise-client-urls http://10.99.1.2:2379 \
		--listen-peer-urls http://10.99.1.2:2380 --initial-advertise-peer-urls http://10.99.1.2:2380 \
		--initial-cluster m1=http://10.99.1.2:2380 --initial-cluster-token "$OV" \
		</dev/null >>"$OV_TMP/etcd.log" 2>&1 3>&- &
	echo $! >"$OV_TMP/etcd.pid"
	local k n=100
	until ip netns exec "$OV-u" etcdctl --endpoints http://10.99.1.2:2379 endpoint health \
		>/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || {
			cat "$OV_TMP/etcd.log"
			return 1
		}
		sleep 0.1
	done
	for k in 1 2; do
		ip netns add "$OV-h$k"
		ip link add "h$k" netns "$OV-u" type veth peer name up0 netns "$OV-h$k"
		ip -n "$OV-u" addr add "10.98.$k.1/24" dev "h$k"
		ip -n "$OV-u" link set "h$k" up
		ip -n "$OV-h$k" addr add "10.98.$k.2/24" dev up0
		ip -n "$OV-h$k" link set lo up
		ip -n "$OV-h$k" link set up0 up
		ip -n "$OV-h$k" route add default via "10.98.$k.1"
		mkdir -p "$OV_TMP/h$k/bpf" "$NB_CGROOT/$OV-h$k"
		mount -t bpf bpf "$OV_TMP/h$k/bpf"
		hctl "$k" up --uplink up0 --store "$STORE" --advertise "10.98.$k.2"
	done
	MTU=$(hovl 1 mtu)
	host_networks 1
	host_networks 2
	hctl 1 network create --subnet 10.52.0.0/24 "$OV-l"
	hctl 1 sandbox create --network "$OV-n" --ip 10.50.0.11 "$OV-a1"
	hctl 1 sandbox create --network "$OV-m" --ip 10.51.0.11 "$OV-a2"
	hctl 1 sandbox create --network "$OV-l" --ip 10.52.0.11 "$OV-a3"
	hctl 2 sandbox create --network "$OV-n" --ip 10.50.0.21 "$OV-b1"
	hctl 2 sandbox create --network "$OV-m" --ip 10.51.0.21 "$OV-b2"
	tables
}

setup_file() {
	ov_names
	nb_setup_file ov_setup
}

setup() {
	nb_setup_ok
}

teardown_file() {
	local k p
	p=$(cat "$OV_TMP/srv.pid" 2>/dev/null) && kill "$p" 2>/dev/null
	etcd_stop
	for k in 1 2; do
		hctl "$k" down >/dev/null 2>&1 || true
		umount "$OV_TMP/h$k/bpf" 2>/dev/null || true
		for p in $(cat "$NB_CGROOT/$OV-h$k/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$NB_CGROOT/cgroup.procs" 2>/dev/null || true
		done
		rmdir "$NB_CGROOT/$OV-h$k" 2>/dev/null || true
	done
	for p in $(ip netns list | awk '{print $1}' | grep "^$OV-"); do
		ip netns del "$p" 2>/dev/null || true
	done
	rm -rf "$OV_TMP"
}

@test "up with a store makes nbvx0: external VXLAN on UDP 4789, MTU underlay - 50; status shows it" {
	run in_h 1 ip -d link show nbvx0
	assert_success
	assert_output --partial "mtu 1450 "
	assert_output --partial "vxlan external "
	assert_output --partial "dstport 4789 "
	assert_output --partial "nolearning"
	run hovl 1 mtu
	assert_output 1450
	run hctl 1 status
	assert_success
	assert_output --partial "Overlay:    nbvx0 (VXLAN, UDP 4789, MTU 1450 = overlay endpoints' MTU), 2 remote endpoint(s)"
	assert_output --regexp "nbvx0 +VXLAN \(overlay\) +- +- +tc ingress +tunnel "
	# the sandboxes' interfaces got the overlay MTU
	run ip netns exec "$OV-a1" cat /sys/class/net/eth0/mtu
	assert_output 1450
}

@test "sandboxes on two hosts ping and exchange TCP with full-size segments over VXLAN" {
	local tx0 tx1
	tx0=$(ip netns exec "$OV-h1" cat /sys/class/net/nbvx0/statistics/tx_packets)
	s_ping_ok a1 10.50.0.21
	s_ping_ok b1 10.50.0.11
	s_ping_ok a2 10.51.0.21
	# a full 1450-byte packet crosses in one piece (DF set)
	run in_s a1 ping -n -c1 -W2 -M "do" -s $((1450 - 28)) 10.50.0.21
	assert_success
	# one byte more does not fit the overlay MTU
	run in_s a1 ping -n -c1 -W2 -M "do" -s $((1450 - 27)) 10.50.0.21
	assert_failure
	head -c 1048576 /dev/urandom >"$OV_TMP/tx"
	# nsenter execs socat: the recorded pid is the server's own
	nsenter --net=/run/netns/"$OV-b1" socat TCP-LISTEN:5001,reuseaddr EXEC:cat \
		</dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$OV_TMP/srv.pid"
	local n=50
	until in_s b1 ss -Hltn | grep -q ':5001 '; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "the server in b1 does not listen"
		sleep 0.1
	done
	# 1 MiB echoed through the tunnel both ways, intact (teardown ends the server on failure)
	timeout 20 nsenter --net=/run/netns/"$OV-a1" socat -t5 - TCP:10.50.0.21:5001,connect-timeout=3 \
		<"$OV_TMP/tx" >"$OV_TMP/rx"
	kill "$(cat "$OV_TMP/srv.pid")" 2>/dev/null || true
	run cmp "$OV_TMP/tx" "$OV_TMP/rx"
	assert_success
	tx1=$(ip netns exec "$OV-h1" cat /sys/class/net/nbvx0/statistics/tx_packets)
	assert [ "$tx1" -gt $((tx0 + 100)) ]
	assert_equal "$(hdrops 1 TUNNEL_SPOOF)" 0
	assert_equal "$(hdrops 2 TUNNEL_SPOOF)" 0
}

@test "ARP for a remote endpoint is answered by the local host, never across the underlay" {
	in_s a1 ip neigh flush dev eth0
	s_ping_ok a1 10.50.0.21
	run in_s a1 ip neigh show 10.50.0.21
	assert_output --partial "lladdr $(docker_mac 10.50.0.21) "
	# without the entry on host 1 nobody answers: the question is not flooded to host 2
	hovl 1 del "$(nid 1 n)" "$(docker_mac 10.50.0.21)"
	in_s a1 ip neigh flush dev eth0
	local before
	before=$(hdrops 1 ARP_UNKNOWN)
	run s_ping_fails a1 10.50.0.21
	remote 1 n 4242 10.50.0.21 10.98.2.2
	assert_success
	assert [ "$(hdrops 1 ARP_UNKNOWN)" -gt "$before" ]
	s_ping_ok a1 10.50.0.21
}

@test "isolation: another overlay network and a local network do not reach an overlay's endpoints" {
	# a2 and a3 address b1 through their gateways: routing between networks is refused
	s_ping_fails a2 10.50.0.21
	s_ping_fails a3 10.50.0.21
	s_ping_fails b2 10.50.0.11
	# a frame straight to b1's MAC from a2's network finds no remote endpoint of its own
	local before
	before=$(hdrops 1 UNKNOWN_UNICAST)
	in_s a2 ip neigh replace 10.51.0.99 lladdr "$(docker_mac 10.50.0.21)" dev eth0
	run s_ping_fails a2 10.51.0.99
	in_s a2 ip neigh del 10.51.0.99 dev eth0
	assert_success
	assert [ "$(hdrops 1 UNKNOWN_UNICAST)" -gt "$before" ]
	s_ping_ok a2 10.51.0.21
}

@test "decapsulation checks the sender: a remote endpoint on another host, or another VNI, is refused" {
	local before
	# host 1 believes b1 lives on 10.98.3.2: b1's frames from 10.98.2.2 are spoofed
	hovl 1 put "$(nid 1 n)" 4242 "$(docker_mac 10.50.0.21)" 10.50.0.21 10.98.3.2
	before=$(hdrops 1 TUNNEL_SPOOF)
	run s_ping_fails b1 10.50.0.11
	remote 1 n 4242 10.50.0.21 10.98.2.2
	assert_success
	assert [ "$(hdrops 1 TUNNEL_SPOOF)" -gt "$before" ]
	# host 2 sends a1's frames with another VNI (its entry says so): host 1 has no such network
	hovl 2 put "$(nid 2 n)" 4244 "$(docker_mac 10.50.0.11)" 10.50.0.11 10.98.1.2
	before=$(hdrops 1 TUNNEL_VNI)
	run s_ping_fails b1 10.50.0.11
	remote 2 n 4242 10.50.0.11 10.98.1.2
	assert_success
	assert [ "$(hdrops 1 TUNNEL_VNI)" -gt "$before" ]
	s_ping_ok b1 10.50.0.11
}

@test "a host gone: its remote endpoints leave the table and its sandboxes are unreachable" {
	run hovl 1 host-gone 10.98.2.2
	assert_success
	assert_output 2
	run hovl 1 ls
	assert_output ""
	s_ping_fails a1 10.50.0.21
	tables
	s_ping_ok a1 10.50.0.21
}

@test "down removes nbvx0 and its programs; up brings it back" {
	hctl 1 down
	run in_h 1 ip link show nbvx0
	assert_failure
	hctl 1 up
	run in_h 1 ip -d link show nbvx0
	assert_success
	assert_output --partial "vxlan external "
	# the state restores the networks as it knows them (local); the agent makes them overlay
	overlay 1 n 10.50.0.1 4242
	overlay 1 m 10.51.0.1 4343
	tables
	s_ping_ok a1 10.50.0.21
	s_ping_ok b1 10.50.0.11
}
