#!/usr/bin/env bats
# Sandbox and endpoint lifecycle, state vs kernel: create/ls/inspect/exec/rm,
# fixed and concurrent addresses, connect/disconnect, down/up, gc, status, maps.
#
#   world ── up0 ── host ($NB_HOST, netbpfctl up)
#                    lca 10.92.1.0/24: s1, s2, fixed (.50), g1 (vanishes), c1..c8 (parallel)
#                    lcb 10.92.2.0/24: s1:eth1 (connect/disconnect)
#                    bridge 172.17.0.0/16: dflt (no --network)
#                    adopted: /run/netns/$NB_ID-adopt (made by the test), a `unshare -n` process
#
# Sandboxes netbpf creates are /run/netns/$NB_ID-<name>; every check looks
# at the kernel (links, addresses, maps) as well as at what the CLI says.

load lib

lifecycle_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.92.1.0/24 lca
	nbctl network create --subnet 10.92.2.0/24 lcb
}
setup_file() { nb_setup_file lifecycle_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# peer_ifindex SANDBOX [IFACE]: ifindex of the host-side veth of the sandbox's IFACE
peer_ifindex() {
	in_sb "$1" ip -o link show dev "${2:-eth0}" | sed -n 's/^[0-9]*: [^@]*@if\([0-9]*\):.*/\1/p'
}
# host_dev IFINDEX: name of the host netns device with that ifindex
host_dev() {
	ip -n "$NB_HOST" -o link show | awk -F': ' -v i="$1" '$1 == i {split($2, a, "@"); print a[1]}'
}

@test "sandbox create makes /run/netns/NAME with eth0, the first address, a default route" {
	run nbctl sandbox create --network lca "$(sb s1)"
	assert_success
	assert [ -e /run/netns/"$(sb s1)" ]
	ip netns list | grep -q "^$(sb s1)\\b"
	# the lowest free address (.1 is the gateway), Docker's MAC for it
	assert_equal "$(sb_ip s1)" 10.92.1.2
	assert_equal "$(sb_mac s1)" 02:42:0a:5c:01:02
	in_sb s1 ip route show default | grep -q 'via 10.92.1.1 dev eth0'
	in_sb s1 ip -o link show dev lo | grep -q 'UP'
	# ip netns exec works on it, as on any named netns
	ip netns exec "$(sb s1)" ip -o -4 addr show dev eth0 | grep -q 10.92.1.2/24
	# the host side is an nbe port with netbpf's program on its tc ingress
	dev=$(host_dev "$(peer_ifindex s1)")
	assert_regex "$dev" '^nbe'
	in_host tc filter show dev "$dev" ingress | grep -q bpf
	ping_ok s1 10.92.1.1
}

@test "sandbox ls and inspect show it" {
	nbctl sandbox create --network lca "$(sb s2)"
	run nbctl sandbox ls
	assert_success
	echo "$output"
	grep -q "$(sb s1)" <<<"$output"
	grep -q "$(sb s2)" <<<"$output"
	run nbctl sandbox inspect "$(sb s2)"
	assert_success
	echo "$output"
	grep -q "$(sb s2)" <<<"$output"
	grep -q 10.92.1.3 <<<"$output"
	grep -q lca <<<"$output"
	grep -q /run/netns/"$(sb s2)" <<<"$output"
}

@test "sandbox exec runs the command in the sandbox and returns its status" {
	run nbctl sandbox exec "$(sb s1)" -- ip -o -4 addr show
	assert_success
	echo "$output"
	grep -q 'eth0 .*inet 10.92.1.2/24' <<<"$output"
	refute grep -q 198.18.0.1 <<<"$output"
	run nbctl sandbox exec "$(sb s1)" -- sh -c 'exit 3'
	assert_failure 3
	run nbctl sandbox exec "$(sb s2)" -- ping -n -c1 -W1 10.92.1.2
	assert_success
}

@test "sandbox errors: duplicate, invalid or unknown names" {
	expect_fail "$(sb s1)" -- nbctl sandbox create --network lca "$(sb s1)"
	expect_fail -- nbctl sandbox create --network lca -- "-bad"
	expect_fail -- nbctl sandbox create --network lca -- "a/b"
	expect_fail "$(sb nosuch)" -- nbctl sandbox rm "$(sb nosuch)"
	expect_fail "$(sb nosuch)" -- nbctl sandbox inspect "$(sb nosuch)"
	expect_fail "$(sb nosuch)" -- nbctl sandbox exec "$(sb nosuch)" -- true
	expect_fail nosuchnet -- nbctl sandbox create --network nosuchnet "$(sb x)"
	assert [ ! -e /run/netns/"$(sb x)" ]
	# fails at the second network, after the first was set up: all undone
	expect_fail lca -- nbctl sandbox create --network lca --network lca "$(sb x)"
	expect_fail nosuchnet -- nbctl sandbox create --network lca --network nosuchnet "$(sb x)"
	assert [ ! -e /run/netns/"$(sb x)" ]
}

@test "without --network a sandbox joins the predefined bridge network" {
	nbctl sandbox create "$(sb dflt)"
	ip=$(sb_ip dflt)
	assert_regex "$ip" '^172\.17\.0\.[0-9]+$'
	in_sb dflt ip route show default | grep -q 'via 172.17.0.1 dev eth0'
	ping_ok dflt 172.17.0.1
	assert_equal "$(nbctl network inspect bridge | json '[c["Name"] for c in d[0]["Containers"].values()]')" \
		"[\"$(sb dflt)\"]"
	nbctl sandbox rm "$(sb dflt)"
}

@test "a sandbox on the none network has only loopback" {
	nbctl sandbox create --network none "$(sb nonet)"
	run in_sb nonet ip -o link show
	echo "$output"
	assert_success
	assert [ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --partial "lo:"
	nbctl sandbox rm "$(sb nonet)"
	assert [ ! -e /run/netns/"$(sb nonet)" ]
}

@test "--ip gives a fixed address; taken, outside or reserved addresses are refused" {
	nbctl sandbox create --network lca --ip 10.92.1.50 "$(sb fixed)"
	assert_equal "$(sb_ip fixed)" 10.92.1.50
	ping_ok s1 10.92.1.50
	expect_fail 10.92.1.50 -- nbctl sandbox create --network lca --ip 10.92.1.50 "$(sb fixed2)"
	expect_fail 10.92.9.9 -- nbctl sandbox create --network lca --ip 10.92.9.9 "$(sb fixed2)"
	expect_fail 10.92.1.1 -- nbctl sandbox create --network lca --ip 10.92.1.1 "$(sb fixed2)"
	expect_fail 10.92.1.255 -- nbctl sandbox create --network lca --ip 10.92.1.255 "$(sb fixed2)"
	expect_fail 10.92.1.300 -- nbctl sandbox create --network lca --ip 10.92.1.300 "$(sb fixed2)"
	assert [ ! -e /run/netns/"$(sb fixed2)" ]
	# a released address can be taken again
	nbctl sandbox rm "$(sb fixed)"
	nbctl sandbox create --network lca --ip 10.92.1.50 "$(sb fixed2)"
	assert_equal "$(sb_ip fixed2)" 10.92.1.50
	nbctl sandbox rm "$(sb fixed2)"
}

@test "8 sandbox creates in parallel get 8 distinct, reachable addresses" {
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		nbctl sandbox create --network lca "$(sb c$i)" >"$NB_TMP/c$i.log" 2>&1 3>&- &
		pids+=($!)
	done
	failed=0
	for i in 1 2 3 4 5 6 7 8; do
		if ! wait "${pids[$((i - 1))]}"; then
			echo "create c$i failed: $(cat "$NB_TMP/c$i.log")"
			failed=1
		fi
	done
	assert [ "$failed" -eq 0 ]
	ips=$(for i in 1 2 3 4 5 6 7 8; do sb_ip c$i; done)
	echo "$ips"
	assert [ "$(sort -u <<<"$ips" | grep -c '^10\.92\.1\.')" -eq 8 ]
	for ip in $ips; do ping_ok host "$ip"; done
	ping_ok c1 "$(sb_ip c8)"
	assert [ "$(nbctl network inspect lca | json 'len(d[0]["Containers"])')" -eq 10 ]
	for i in 1 2 3 4 5 6 7 8; do nbctl sandbox rm "$(sb c$i)"; done
}

@test "network connect adds eth1, disconnect removes it" {
	nbctl network connect lcb "$(sb s1)"
	in_sb s1 ip -o -4 addr show dev eth1 | grep -q 'inet 10.92.2.2/24'
	ping_ok s1 10.92.2.1
	# the default route stays on the first network
	in_sb s1 ip route show default | grep -q 'dev eth0'
	[ "$(nbctl network inspect lcb | json '[c["Name"] for c in d[0]["Containers"].values()]')" = \
		"[\"$(sb s1)\"]" ]
	expect_fail "$(sb s1)" lcb -- nbctl network connect lcb "$(sb s1)"
	expect_fail "$(sb nosuch)" -- nbctl network connect lcb "$(sb nosuch)"
	expect_fail nosuchnet -- nbctl network connect nosuchnet "$(sb s1)"
	expect_fail 10.92.2.2 -- nbctl network connect --ip 10.92.2.2 lcb "$(sb s2)"

	nbctl network disconnect lcb "$(sb s1)"
	refute in_sb s1 ip link show dev eth1 2>/dev/null
	assert_equal "$(nbctl network inspect lcb | json 'd[0]["Containers"]')" '{}'
	ping_ok s1 10.92.1.1
	expect_fail "$(sb s1)" lcb -- nbctl network disconnect lcb "$(sb s1)"

	# connect --ip, again
	nbctl network connect --ip 10.92.2.77 lcb "$(sb s1)"
	in_sb s1 ip -o -4 addr show dev eth1 | grep -q 'inet 10.92.2.77/24'
	ping_ok host 10.92.2.77
	nbctl network disconnect lcb "$(sb s1)"
}

@test "the FDB map holds every endpoint: bpftool map dump pinned nb_fdb" {
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_fdb"
	assert_success
	echo "$output"
	# BTF makes the dump self-explaining: field names, not bytes
	grep -q '"mac"' <<<"$output"
	grep -q '"ifindex"' <<<"$output"
	for s in s1 s2; do
		nb_map nb_fdb | python3 -c '
import json, sys
mac = [int(x, 16) for x in sys.argv[1].split(":")]
ifindex = int(sys.argv[2])
hits = [e["formatted"] for e in json.load(sys.stdin) if e["formatted"]["key"]["mac"] == mac]
assert len(hits) == 1, ("fdb entries for", sys.argv[1], hits)
assert hits[0]["value"]["ifindex"] == ifindex, (hits, ifindex)
' "$(sb_mac $s)" "$(peer_ifindex $s)"
	done
}

@test "maps are pinned by readable names, with BTF; endpoint counters count" {
	for m in nb_networks nb_ports nb_fdb nb_neigh nb_subnets nb_flood nb_ep_stats nb_drops nb_config; do
		[ -e "$NETBPF_PIN_DIR/$m" ] || { echo "no pin $m"; false; }
		bpftool map show pinned "$NETBPF_PIN_DIR/$m" | grep -q "name $m "
		bpftool map show pinned "$NETBPF_PIN_DIR/$m" | grep -q 'btf_id'
	done
	ifx=$(peer_ifindex s2)
	ping_ok s2 10.92.1.2
	nb_ep_stats "$ifx" | python3 -c '
import json, sys
e = json.load(sys.stdin)["formatted"]
tot = {k: sum(c["value"][k] for c in e["values"]) for k in e["values"][0]["value"]}
print(tot)
assert tot["tx_packets"] >= 1 and tot["rx_packets"] >= 1, tot
assert tot["tx_bytes"] >= 98 and tot["rx_bytes"] >= 98, tot
'
}

@test "status says what is loaded where" {
	run nbctl status
	assert_success
	echo "$output"
	grep -q "$NETBPF_PIN_DIR" <<<"$output"
	for s in s1 s2; do
		dev=$(host_dev "$(peer_ifindex $s)")
		grep -q "$dev" <<<"$output"
	done
	grep -q up0 <<<"$output"
}

@test "down removes devices, programs and pins but keeps the state; up restores connectivity" {
	ip1=$(sb_ip s1) ip2=$(sb_ip s2)
	ping_ok s1 "$ip2"
	nbctl up # idempotent over a running instance
	ping_ok s1 "$ip2"

	nbctl down
	# what is left, read before `up` so a failure here cannot leave the
	# instance down for the tests after this one
	devs=$(ip -n "$NB_HOST" -o link show | awk -F': ' '{print $2}' | grep '^nb' || true)
	# maps.debug/progs.debug belong to every bpffs mount (bpf_preload), not to netbpf
	pins=$(find "$NETBPF_PIN_DIR" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null |
		grep -v '^\(maps\|progs\)\.debug$' || true)
	eth0=$(in_sb s1 ip -o link show dev eth0 2>/dev/null || true)
	sbls=$(nbctl sandbox ls 2>&1 || true)
	nbctl up
	echo "after down: devices [$devs] pins [$pins] s1's eth0 [$eth0]"
	assert_equal "$devs" ""
	assert_equal "$pins" ""
	assert_equal "$eth0" ""
	grep -q "$(sb s1)" <<<"$sbls"

	assert_equal "$(sb_ip s1)" "$ip1"
	assert_equal "$(sb_ip s2)" "$ip2"
	ping_ok s1 "$ip2"
	ping_ok s2 "$ip1"
	ping_ok s1 10.92.1.1
	ping_ok host "$ip1"
	tcp_echo_check s1 s2 "$ip2" 7101
}

@test "gc removes the endpoint of a sandbox whose netns vanished, and orphan devices" {
	nbctl sandbox create --network lca --ip 10.92.1.60 "$(sb g1)"
	mac=$(sb_mac g1)
	dev=$(host_dev "$(peer_ifindex g1)")
	# behind netbpf's back
	ip netns del "$(sb g1)"
	ip -n "$NB_HOST" link add nbeorphan0001 type veth peer name xorphan0001
	run nbctl gc
	echo "$output"
	assert_success
	out=$(nbctl network inspect lca)
	refute grep -q 10.92.1.60 <<<"$out"
	refute ip -n "$NB_HOST" link show dev nbeorphan0001 2>/dev/null
	refute ip -n "$NB_HOST" link show dev "$dev" 2>/dev/null
	nb_map nb_fdb | python3 -c '
import json, sys
mac = [int(x, 16) for x in sys.argv[1].split(":")]
assert not [e for e in json.load(sys.stdin) if e["formatted"]["key"]["mac"] == mac], "stale fdb entry"
' "$mac"
	# its address is free again
	nbctl sandbox create --network lca --ip 10.92.1.60 "$(sb g2)"
	ping_ok s1 10.92.1.60
	nbctl sandbox rm "$(sb g2)"
}

@test "sandbox rm removes the netns netbpf made, not an adopted one (--netns, --pid)" {
	nbctl sandbox create --network lca "$(sb gone)"
	nbctl sandbox rm "$(sb gone)"
	assert [ ! -e /run/netns/"$(sb gone)" ]

	ip netns add "$(sb adopt)"
	nbctl sandbox create --network lca --netns /run/netns/"$(sb adopt)" "$(sb ad)"
	ip=$(sb_ip adopt)
	assert_regex "$ip" '^10\.92\.1\.[0-9]+$'
	ping_ok host "$ip"
	ping_ok adopt 10.92.1.2
	dev=$(host_dev "$(peer_ifindex adopt)")
	nbctl sandbox rm "$(sb ad)"
	assert [ -e /run/netns/"$(sb adopt)" ]
	refute in_sb adopt ip link show dev eth0 2>/dev/null
	refute ip -n "$NB_HOST" link show dev "$dev" 2>/dev/null
	out=$(nbctl network inspect lca)
	refute grep -q "\"$ip/" <<<"$out"

	# a process's netns, by pid
	nb_bg "$NB_TMP/sleeper.log" unshare -n sleep 60
	pid=$(tail -n1 "$NB_TMP/pids")
	# unshare has switched netns before exec'ing sleep
	wait_for sh -c "[ \"\$(readlink /proc/$pid/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	nbctl sandbox create --network lca --pid "$pid" "$(sb bypid)"
	ip=$(nsenter -t "$pid" -n ip -o -4 addr show dev eth0 | awk '{split($4, a, "/"); print a[1]}')
	assert_regex "$ip" '^10\.92\.1\.[0-9]+$'
	ping_ok host "$ip"
	nbctl sandbox rm "$(sb bypid)"
	kill -0 "$pid"
	refute nsenter -t "$pid" -n ip link show dev eth0 2>/dev/null
}

@test "sandbox rm takes several names and removes their endpoints" {
	nbctl sandbox create --network lca "$(sb r1)"
	nbctl sandbox create --network lca --network lcb "$(sb r2)"
	d1=$(host_dev "$(peer_ifindex r1)")
	d2=$(host_dev "$(peer_ifindex r2 eth1)")
	nbctl sandbox rm "$(sb r1)" "$(sb r2)"
	assert [ ! -e /run/netns/"$(sb r1)" ]
	assert [ ! -e /run/netns/"$(sb r2)" ]
	refute ip -n "$NB_HOST" link show dev "$d1" 2>/dev/null
	refute ip -n "$NB_HOST" link show dev "$d2" 2>/dev/null
	run nbctl sandbox ls
	assert_success
	refute grep -q "$(sb r1)" <<<"$output"
	refute grep -q "$(sb r2)" <<<"$output"
}
