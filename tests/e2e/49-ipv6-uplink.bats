#!/usr/bin/env bats
# IPv6 through the uplink (issue 16, bpf/lib/ct6.bpf.h): nothing is translated, the world
# routes the sandboxes' ULA subnet to the host, and as for IPv4 only the replies of the
# sandboxes' own flows enter a sandbox subnet from outside.
#
#   world ($NB_WORLD)                    host ($NB_HOST)
#   wan0 2001:db8:49::2/64 ─── veth ─── up0 2001:db8:49::1/64 (uplink)
#   route fd00:49::/64 via ::1           nbg<u6> 10.49.0.1/24 + fd00:49::1/64 ── a (fd00:49::2)

bats_require_minimum_version 1.5.0
load lib

WORLD6=2001:db8:49::2

u6_setup() {
	nb_setup_instance
	in_host ip -6 addr add 2001:db8:49::1/64 dev up0 nodad
	in_world ip -6 addr add "$WORLD6/64" dev wan0 nodad
	in_world ip -6 route add fd00:49::/64 via 2001:db8:49::1
	nbctl network create --ipv6 --subnet 10.49.0.0/24 --subnet fd00:49::/64 u6
	nbctl sandbox create --network u6 --ip6 fd00:49::2 "$(sb a)"
}
setup_file() { nb_setup_file u6_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { nb_kill_bg; }

# dad_done NAME: no tentative address left on the sandbox's eth0
dad_done() {
	[ -z "$(in_sb "$1" ip -6 addr show dev eth0 tentative)" ]
}

# ct6_count: entries in nb_ct6
ct6_count() {
	nb_map nb_ct6 | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

@test "a sandbox reaches the IPv6 world through the uplink, and its replies come back (nb_ct6)" {
	wait_for dad_done a
	run ping_ok a "$WORLD6"
	assert_success
	run ct6_count
	assert_success
	(( output >= 2 )) || fail "nb_ct6 holds $output entries, want the flow and its pair"
	nb_bg "$NB_TMP/w6.log" in_world socat TCP6-LISTEN:8049,reuseaddr SYSTEM:'echo from-world'
	wait_for in_world ss -Htln 'sport = :8049'
	run timeout 10 nsenter --net=/run/netns/"$(sb a)" \
		socat -t3 - TCP6:"[$WORLD6]":8049,connect-timeout=3 </dev/null
	assert_success
	assert_output from-world
}

@test "from the IPv6 world, nothing but replies enters the sandbox subnet (unpublished)" {
	local before
	wait_for dad_done a
	nb_bg "$NB_TMP/a6.log" nsenter --net=/run/netns/"$(sb a)" \
		socat TCP6-LISTEN:8149,reuseaddr SYSTEM:'echo from-a'
	wait_for in_sb a ss -Htln 'sport = :8149'
	before=$(nb_drops UNPUBLISHED)
	run ping_fails world fd00:49::2
	assert_success
	run timeout 10 nsenter --net=/run/netns/"$NB_WORLD" socat -t2 - TCP6:'[fd00:49::2]':8149,connect-timeout=2 </dev/null
	assert_failure
	run nb_drops UNPUBLISHED
	(( output >= before + 3 )) || fail "unpublished drops: $before -> $output, want +3"
	# the gateway's address is the host's: it answers
	run ping_ok world fd00:49::1
	assert_success
}
