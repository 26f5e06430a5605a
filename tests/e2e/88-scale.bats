#!/usr/bin/env bats
# Scale (issue 20): more sandboxes on one network than the old flood list of
# 1,024 ports held, a broadcast still reaching them, and a new sandbox's IPv6
# link control (duplicate address detection, router solicitations, MLD) not
# cloned to every other port.
#
#   host ($NB_HOST)  network big 10.92.0.0/16: sandboxes s1 .. s1100
#
# Timings are never asserted: tools/bench/ramp.sh measures them.

load lib

N=1100

scale_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.92.0.0/16 big
}
setup_file() { nb_setup_file scale_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# rx_packets NAME: packets netbpf delivered into sandbox NAME's eth0
rx_packets() {
	nbctl stats --no-stream --format json "$(sb "$1")" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["networks"]["eth0"]["rx_packets"])'
}

# link_control: the data plane's link-control drops, all sandboxes together
link_control() {
	nbctl metrics | awk '/^netbpf_drops_total\{.*"link-control"/ {print $2; f=1} END {if (!f) print 0}'
}

@test "scale: a new sandbox's IPv6 DAD, RS and MLD are dropped, not flooded to the others" {
	local before after drops_before drops_after i
	nbctl sandbox create --network big "$(sb s1)"
	# the first sandbox's own IPv6 start (DAD, RS with its delays, MLD) is over
	sleep 3
	before=$(rx_packets s1)
	drops_before=$(link_control)
	for i in $(seq 2 21); do
		nbctl sandbox create --network big "$(sb "s$i")"
	done
	# RS, DAD and MLD reports go out within a second or two of link-up
	sleep 3
	after=$(rx_packets s1)
	drops_after=$(link_control)
	echo "s1 received $before, then $after; link-control drops $drops_before, then $drops_after"
	# flooded, 20 new sandboxes' ~6 frames each would have reached s1 (~120)
	assert [ "$((after - before))" -lt 20 ]
	assert [ "$((drops_after - drops_before))" -ge 20 ]
}

@test "scale: $N sandboxes on one network, beyond the old flood list of 1,024 ports" {
	local i have
	have=$(nbctl sandbox ls -q | wc -l)
	for i in $(seq "$((have + 1))" "$N"); do
		run nbctl sandbox create --network big "$(sb "s$i")"
		assert_success
	done
	run nbctl sandbox ls -q
	assert_success
	assert_equal "$(wc -l <<<"$output")" "$N"
	run nbctl network inspect big
	assert_success
	assert_output --partial "$(sb "s$N")"
}

# At N sandboxes a create seeks the lowest free address from the network's
# floor (schema 8) instead of reading all N: still the lowest, a removed one's
# first, then the next after the last.
@test "scale: at $N sandboxes a new sandbox still takes the lowest free address" {
	local freed last
	freed=$(sb_ip s2)
	last=$(sb_ip "s$N")
	run nbctl sandbox rm "$(sb s2)"
	assert_success
	run nbctl sandbox create --network big "$(sb s2)"
	assert_success
	assert_equal "$(sb_ip s2)" "$freed"
	run nbctl sandbox create --network big "$(sb extra)"
	assert_success
	assert_equal "$(sb_ip extra)" \
		"$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]) + 1)' "$last")"
	run nbctl sandbox rm "$(sb extra)"
	assert_success
}

@test "scale: a broadcast from the last sandbox still reaches the first" {
	local first
	first=$(sb_ip s1)
	# s1 answers broadcast pings; s$N pings the subnet's broadcast address
	in_sb s1 sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
	run in_sb "s$N" ping -n -b -c2 -i0.3 -W2 10.92.255.255
	in_sb s1 sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=1
	assert_success
	assert_output --partial "from $first"
}

@test "scale: whole-instance commands work at $N sandboxes" {
	run nbctl status
	assert_success
	refute_output --partial "orphan"
	assert_output --partial "$(sb "s$N")"
	run nbctl stats --no-stream
	assert_success
	assert_output --partial "$(sb "s$N")"
	run nbctl gc
	assert_success
	run nbctl publish 80 "$(sb "s$N")"
	assert_success
	run nbctl port "$(sb "s$N")"
	assert_success
	assert_output --partial "80/tcp"
}

@test "scale: down removes every device in one go, up restores all $N" {
	run nbctl down
	assert_success
	run ip -n "$NB_HOST" -o link show
	refute_output --partial "nbe"
	refute_output --partial "nbg"
	run nbctl up
	assert_success
	run ip -n "$NB_HOST" -o link show type veth
	assert_equal "$(grep -c ': nbe' <<<"$output")" "$N"
	# the restored data plane forwards: the last sandbox reaches the first
	ping_ok "s$N" "$(sb_ip s1)"
}
