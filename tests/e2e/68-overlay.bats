#!/usr/bin/env bats
# Overlay networks across three hosts (issue 17, docs/overlay.md): the control plane in a
# real three-member etcd 3.4 cluster, the VXLAN data plane between hosts on a simulated
# underlay. The harness (underlay, etcd members, hosts) is tests/e2e/cluster.bash, shared
# with 66-cluster.bats; here every host joins the store (TTL 3 s) and runs netbpfd.
#
# Sandboxes are named $CL-<name> (their netns /run/netns/$CL-<name>), networks $CL-<name>.

load lib
load cluster

TTL=3

overlay_setup() {
	cluster_setup || return 1
	local h
	for h in 1 2 3; do
		hctl "$h" up --store "$EPS" --advertise "10.98.$h.2" --store-ttl "$TTL" || return 1
		netbpfd_start "$h"
	done
	for h in 1 2 3; do
		wait_until 15 lists 1 "10.98.$h.2" || return 1
	done
}

setup_file() {
	cl_names
	nb_setup_file overlay_setup
}

# ins NAME CMD...: CMD in sandbox $CL-NAME
ins() {
	local n=$1
	shift
	nsenter --net=/run/netns/"$CL-$n" "$@"
}
ip_of() { ins "$1" ip -o -4 addr show dev eth0 | awk '{split($4, a, "/"); print a[1]; exit}'; }
pings() { ins "$1" ping -n -c1 -W1 "$2" >/dev/null 2>&1 || ins "$1" ping -n -c1 -W1 "$2"; }
no_ping() { ! ins "$1" ping -n -c2 -i0.3 -W1 "$2" >/dev/null 2>&1; }
# has_net H NAME: host H has network $CL-NAME
has_net() { hctl "$1" network inspect --format '{{.Id}}' "$CL-$2" >/dev/null 2>&1; }
no_net() { ! hctl "$1" network inspect "$CL-$2" >/dev/null 2>&1; }
etcd_get() { in_u etcdctl --endpoints "${EPS//etcd:/http:}" get "$@"; }
# ep_key NET IP: the endpoint's key is in the store
ep_key() { etcd_get --print-value-only "/netbpf/v1/endpoints/$CL-$1/$2" | grep -q '"id"'; }
no_ep_key() { ! ep_key "$@"; }
# same_inspect NET: `network inspect` prints the same on every host
same_inspect() {
	local a b c
	a=$(hctl 1 network inspect "$CL-$1") || return 1
	b=$(hctl 2 network inspect "$CL-$1") || return 1
	c=$(hctl 3 network inspect "$CL-$1") || return 1
	if [ "$a" != "$b" ] || [ "$b" != "$c" ]; then
		diff <(echo "$a") <(echo "$b")
		diff <(echo "$b") <(echo "$c")
		return 1
	fi
}
containers() { hctl "$1" network inspect --format '{{len .Containers}}' "$CL-$2"; }
ncontainers() { [ "$(containers "$1" "$2")" = "$3" ]; }

@test "overlay network created on one host: on every host, in the store, the same inspect" {
	run hctl 1 network create -d overlay --subnet 10.50.0.0/16 "$CL-ov"
	assert_success
	assert_regex "$output" '^[0-9a-f]{64}$'
	local id=$output
	for h in 2 3; do
		wait_until 10 has_net "$h" ov
	done
	for h in 1 2 3; do
		run hctl "$h" network inspect --format \
			'{{.Id}} {{.Driver}} {{.Scope}} {{index .Options "com.docker.network.driver.overlay.vxlanid_list"}} {{(index .IPAM.Config 0).Subnet}}' \
			"$CL-ov"
		assert_success
		assert_output "$id overlay swarm 4096 10.50.0.0/16"
		run hctl "$h" network ls --filter driver=overlay --format '{{.Name}} {{.Scope}}'
		assert_output "$CL-ov swarm"
	done
	run same_inspect ov
	assert_success
	run etcd_get --print-value-only "/netbpf/v1/vni/4096"
	assert_output "$CL-ov"
	run etcd_get --print-value-only "/netbpf/v1/networks/$CL-ov"
	assert_output --partial "\"id\":\"$id\""
	# bad input: a subnet overlapping it, from another host
	run hctl 2 network create -d overlay --subnet 10.50.128.0/17 "$CL-bad"
	assert_failure
	assert_output --partial "network \"$CL-bad\": subnet 10.50.128.0/17 overlaps network \"$CL-ov\" (10.50.0.0/16)"
	run hctl 2 network inspect "$CL-bad"
	assert_failure
	run etcd_get "/netbpf/v1/networks/$CL-bad"
	assert_output ""
	# the overlay driver needs --subnet (one for every host)
	run hctl 3 network create -d overlay "$CL-bad"
	assert_failure
	assert_output --partial "an overlay network needs --subnet"
}

@test "two hosts creating one name at once agree: one wins, both end with its network" {
	hctl 2 network create -d overlay --subnet 10.52.0.0/24 "$CL-race" >"$CL_TMP/race2" 2>&1 &
	local p2=$!
	hctl 3 network create -d overlay --subnet 10.53.0.0/24 "$CL-race" >"$CL_TMP/race3" 2>&1 &
	local p3=$! ok=0
	wait "$p2" && ok=$((ok + 1))
	wait "$p3" && ok=$((ok + 1))
	assert_equal "$ok" 1
	run cat "$CL_TMP/race2" "$CL_TMP/race3"
	assert_output --partial "network \"$CL-race\" already exists"
	for h in 1 2 3; do
		wait_until 10 has_net "$h" race
	done
	run same_inspect race
	assert_success
	hctl 1 network rm "$CL-race"
	for h in 2 3; do
		wait_until 10 no_net "$h" race
	done
}

@test "sandboxes on three hosts: addresses from per-host blocks, overlay MTU, ping, TCP, UDP" {
	run hctl 1 sandbox create --network "$CL-ov" "$CL-a1"
	assert_success
	hctl 2 sandbox create --network "$CL-ov" "$CL-a2"
	hctl 3 sandbox create --network "$CL-ov" "$CL-a3"
	hctl 1 sandbox create --network "$CL-ov" "$CL-b1"
	local a1 a2 a3 b1
	a1=$(ip_of a1) a2=$(ip_of a2) a3=$(ip_of a3) b1=$(ip_of b1)
	# each host allocates in a /26 of its own
	assert_equal "$a1" 10.50.0.2
	assert_equal "$b1" 10.50.0.3
	assert_equal "$a2" 10.50.0.64
	assert_equal "$a3" 10.50.0.128
	run etcd_get --prefix "/netbpf/v1/blocks/$CL-ov/"
	assert_line "/netbpf/v1/blocks/$CL-ov/10.50.0.0/26"
	assert_line "/netbpf/v1/blocks/$CL-ov/10.50.0.64/26"
	# overlay endpoints leave room for the VXLAN header: underlay 1500 - 50
	run nsenter --net=/run/netns/"$CL-h2" ip -o link show dev nbvx0
	assert_output --partial " mtu 1450 "
	run ins a2 ip -o link show dev eth0
	assert_output --partial " mtu 1450 "
	# every host shows every container, with its host, the same
	for h in 1 2 3; do
		wait_until 10 ncontainers "$h" ov 4
	done
	run same_inspect ov
	assert_success
	run hctl 3 network inspect --format '{{range .Containers}}{{.Name}} {{.IPv4Address}} {{.HostAddress}}{{"\n"}}{{end}}' "$CL-ov"
	assert_line "$CL-a1 10.50.0.2/16 10.98.1.2"
	assert_line "$CL-a2 10.50.0.64/16 10.98.2.2"
	assert_line "$CL-b1 10.50.0.3/16 10.98.1.2"
	# traffic across hosts: ping, TCP, UDP
	wait_until 10 pings a1 "$a2"
	run pings a1 "$a3"
	assert_success
	run pings a3 "$a2"
	assert_success
	run pings b1 "$a1"
	assert_success
	head -c 200000 /dev/urandom >"$CL_TMP/tx"
	ins a2 timeout 20 socat TCP-LISTEN:7000,reuseaddr EXEC:cat </dev/null 3>&- &
	local srv=$!
	wait_until 5 ins a2 sh -c "ss -Hltn | grep -q ':7000 '"
	run sh -c "nsenter --net=/run/netns/$CL-a1 timeout 15 socat -t5 - TCP:$a2:7000,connect-timeout=3 <'$CL_TMP/tx' >'$CL_TMP/rx'"
	assert_success
	run cmp "$CL_TMP/tx" "$CL_TMP/rx"
	assert_success
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	ins a3 timeout 10 socat -u UDP-RECV:7001 CREATE:"$CL_TMP/udp" </dev/null 3>&- &
	srv=$!
	wait_until 5 ins a3 sh -c "ss -Hlun | grep -q ':7001 '"
	echo hello-overlay | ins a1 socat -u - UDP:"$a3":7001
	wait_until 5 grep -q hello-overlay "$CL_TMP/udp"
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
}

@test "isolation: another overlay network and a local network do not reach it" {
	hctl 1 network create -d overlay --subnet 10.51.0.0/16 "$CL-ov2"
	wait_until 10 has_net 2 ov2
	hctl 2 sandbox create --network "$CL-ov2" "$CL-c2"
	hctl 1 network create --subnet 10.60.0.0/24 "$CL-loc"
	hctl 1 sandbox create --network "$CL-loc" "$CL-l1"
	local c2
	c2=$(ip_of c2)
	wait_until 10 ep_key ov2 "$c2"
	run no_ping a1 "$c2"
	assert_success
	run no_ping c2 "$(ip_of a2)"
	assert_success
	run no_ping c2 "$(ip_of a1)"
	assert_success
	run no_ping l1 "$(ip_of a2)"
	assert_success
	# the local network is this host's only
	run hctl 2 network inspect "$CL-loc"
	assert_failure
	# ... while each network's own members still talk
	run pings a1 "$(ip_of a2)"
	assert_success
}

@test "a sandbox created on host A is reachable from host C; inspect agrees" {
	hctl 1 sandbox create --network "$CL-ov" "$CL-d1"
	local d1
	d1=$(ip_of d1)
	wait_until 10 pings a3 "$d1"
	wait_until 10 same_inspect ov
	run hctl 3 network inspect --format '{{range .Containers}}{{.Name}} {{.HostAddress}}{{"\n"}}{{end}}' "$CL-ov"
	assert_line "$CL-d1 10.98.1.2"
}

@test "--ip is checked cluster-wide; network rm is refused while any host has an endpoint" {
	local a1
	a1=$(ip_of a1)
	run hctl 2 sandbox create --network "$CL-ov" --ip "$a1" "$CL-x2"
	assert_failure
	assert_output --partial "address $a1 is already in use in network \"$CL-ov\" by sandbox \"$CL-a1\" on host"
	run hctl 2 sandbox inspect "$CL-x2"
	assert_failure
	# a free one is taken, even inside another host's block
	run hctl 2 sandbox create --network "$CL-ov" --ip 10.50.0.9 "$CL-x2"
	assert_success
	run ip_of x2
	assert_output 10.50.0.9
	# host 1 allocating next skips it
	hctl 1 sandbox create --network "$CL-ov" "$CL-y1"
	run pings y1 10.50.0.9
	assert_success
	hctl 1 sandbox rm "$CL-y1"
	hctl 2 sandbox rm "$CL-x2"
	wait_until 10 no_ep_key ov 10.50.0.9
	# rm from a host without endpoints of its own: the others' count
	run hctl 3 sandbox rm "$CL-a3"
	assert_success
	run hctl 3 network rm "$CL-ov"
	assert_failure
	assert_output --partial "network \"$CL-ov\" is in use by sandboxes"
	assert_output --partial "\"$CL-a1\" (10.50.0.2 on host"
	run has_net 3 ov
	assert_success
	run hctl 3 network inspect --format '{{.Id}}' "$CL-ov"
	assert_success
	hctl 3 sandbox create --network "$CL-ov" "$CL-a3"
}

@test "network connect and disconnect on an overlay network; Peers lists its hosts" {
	hctl 2 network create --subnet 10.62.0.0/24 "$CL-loc2"
	hctl 2 sandbox create --network "$CL-loc2" "$CL-g2"
	run hctl 2 network connect "$CL-ov" "$CL-g2"
	assert_success
	local g2
	g2=$(ins g2 ip -o -4 addr show dev eth1 | awk '{split($4, a, "/"); print a[1]}')
	# host 2's block, after a2
	assert_equal "$g2" 10.50.0.65
	run ins g2 ip -o link show dev eth1
	assert_output --partial " mtu 1450 "
	wait_until 10 pings a1 "$g2"
	run hctl 1 network inspect --format '{{range .Peers}}{{.IP}} {{end}}' "$CL-ov"
	assert_output "10.98.1.2 10.98.2.2 10.98.3.2 "
	run hctl 2 network disconnect "$CL-ov" "$CL-g2"
	assert_success
	run no_ep_key ov "$g2"
	assert_success
	wait_until 10 no_ping a1 "$g2"
	hctl 2 sandbox rm "$CL-g2"
	hctl 2 network rm "$CL-loc2"
}

@test "all etcd members down: traffic flows, overlay sandbox create fails and changes nothing; back: converges" {
	local a2 k before
	a2=$(ip_of a2)
	for k in 1 2 3; do
		etcd_kill "$k"
	done
	run pings a1 "$a2"
	assert_success
	before=$(hctl 1 sandbox ls -q | sort)
	run hctl 1 sandbox create --network "$CL-ov" "$CL-f1"
	assert_failure
	assert_output --partial "no member answered"
	assert_output --partial "sandbox \"$CL-f1\": not connected to network \"$CL-ov\""
	run hctl 1 sandbox ls -q
	assert_equal "$(echo "$output" | sort)" "$before"
	run test -e "/run/netns/$CL-f1"
	assert_failure
	# network create -d overlay: the same
	run hctl 2 network create -d overlay --subnet 10.54.0.0/24 "$CL-down"
	assert_failure
	assert_output --partial "no member answered"
	run hctl 2 network inspect "$CL-down"
	assert_failure
	run pings a3 "$a2"
	assert_success
	for k in 1 2 3; do
		etcd_start "$k"
	done
	wait_until 20 etcd_healthy
	# the leases ran out meanwhile: every host registers again and restores its keys
	for h in 1 2 3; do
		wait_until 20 lists 1 "10.98.$h.2"
	done
	wait_until 15 ep_key ov "$a2"
	run hctl 1 sandbox create --network "$CL-ov" "$CL-f1"
	assert_success
	wait_until 10 pings a2 "$(ip_of f1)"
	for h in 1 2 3; do
		wait_until 10 ncontainers "$h" ov 6
	done
	wait_until 10 same_inspect ov
}

@test "an agent SIGKILLed and restarted keeps its endpoints in the others' tables" {
	local a2
	a2=$(ip_of a2)
	netbpfd_kill 2 KILL
	netbpfd_start 2
	# past the old lease's TTL: its keys moved to the new lease, nothing went
	sleep $((TTL + 2))
	run ep_key ov "$a2"
	assert_success
	run pings a1 "$a2"
	assert_success
	run pings a2 "$(ip_of a3)"
	assert_success
	run same_inspect ov
	assert_success
}

@test "a host leaving cleanly (netbpfd stopped): its endpoints leave the others at once, come back" {
	local a3
	a3=$(ip_of a3)
	netbpfd_kill 3 TERM
	# the lease is revoked: no TTL to wait for
	run no_ep_key ov "$a3"
	assert_success
	wait_until 10 ncontainers 1 ov 5
	wait_until 10 no_ping a1 "$a3"
	netbpfd_start 3
	wait_until 15 ep_key ov "$a3"
	wait_until 10 pings a1 "$a3"
	wait_until 10 same_inspect ov
}

@test "a host's underlay cut: its endpoints leave the others within the TTL, come back healed" {
	local a3
	a3=$(ip_of a3)
	ip -n "$CL-h3" link set up0 down
	wait_until $((TTL * 5)) no_ep_key ov "$a3"
	wait_until 10 ncontainers 1 ov 5
	ip -n "$CL-h3" link set up0 up
	ip -n "$CL-h3" route replace default via 10.98.3.1
	wait_until 20 ep_key ov "$a3"
	wait_until 10 pings a1 "$a3"
	wait_until 10 ncontainers 1 ov 6
	wait_until 10 same_inspect ov
}

@test "down and up on a host: the agent puts the remote endpoints into the new maps" {
	local a2
	a2=$(ip_of a2)
	run hctl 1 down
	assert_success
	run hctl 1 up
	assert_success
	wait_until 15 pings a1 "$a2"
	run pings a2 "$(ip_of a1)"
	assert_success
	run grep -c "the data plane's maps are new: putting" "$CL_TMP/h1/netbpfd.log"
	assert_success
}

@test "endpoints gone: network rm on one host removes it from every host and the store" {
	local s
	for s in a1 b1 d1 f1 l1; do
		hctl 1 sandbox rm "$CL-$s"
	done
	hctl 2 sandbox rm "$CL-a2"
	hctl 2 sandbox rm "$CL-c2"
	hctl 3 sandbox rm "$CL-a3"
	run hctl 2 network rm "$CL-ov"
	assert_success
	for h in 1 2 3; do
		wait_until 10 no_net "$h" ov
	done
	run etcd_get --prefix /netbpf/v1/vni/4096
	assert_output ""
	run etcd_get --prefix "/netbpf/v1/endpoints/$CL-ov/"
	assert_output ""
	hctl 3 network rm "$CL-ov2"
	hctl 1 network rm "$CL-loc"
	for h in 1 2; do
		wait_until 10 no_net "$h" ov2
	done
}
