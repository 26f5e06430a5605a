#!/usr/bin/env bats
# Published IPv6 ports (issue 16, bpf/lib/nat6.bpf.h): `publish [::]:8080:80` and the default
# `publish 8080:80` on a dual-stack sandbox reach it from an IPv6 world, the client's real
# address seen by the server; `port` prints Docker's [::]:8080 form. And masquerade (NAT66):
# the sandbox's ULA subnet reaches the IPv6 world from the uplink's address (the world has
# no route back to fd00:50::/64).
#
#   world ($NB_WORLD)                    host ($NB_HOST)
#   wan0 2001:db8:50::2/64 ─── veth ─── up0 2001:db8:50::1/64 (uplink)
#                                        nbg<p6> 10.50.0.1/24 + fd00:50::1/64 ── a (fd00:50::2)

bats_require_minimum_version 1.5.0
load lib

WORLD6=2001:db8:50::2
HOST6=2001:db8:50::1
# the client's address as socat's SOCAT_PEERADDR writes it
PEER6='[2001:0db8:0050:0000:0000:0000:0000:0002]'

p6_setup() {
	nb_setup_instance
	in_host ip -6 addr add "$HOST6/64" dev up0 nodad
	in_world ip -6 addr add "$WORLD6/64" dev wan0 nodad
	nbctl network create --ipv6 --subnet 10.50.0.0/24 --subnet fd00:50::/64 p6
	nbctl sandbox create --network p6 --ip6 fd00:50::2 "$(sb a)"
}
setup_file() { nb_setup_file p6_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { nb_kill_bg; }

dad_done() {
	[ -z "$(in_sb "$1" ip -6 addr show dev eth0 tentative)" ]
}

# serve6 PORT [udp]: the sandbox answers with the address it sees the client at
serve6() {
	local kind=TCP6-LISTEN
	[ "${2:-}" = udp ] && kind=UDP6-RECVFROM
	nb_bg "$NB_TMP/serve$1.log" nsenter --net=/run/netns/"$(sb a)" \
		socat "$kind:$1,reuseaddr,fork" SYSTEM:'echo "peer=$SOCAT_PEERADDR"'
	if [ "${2:-}" = udp ]; then
		wait_for in_sb a ss -Hulnp "sport = :$1"
	else
		wait_for in_sb a ss -Htln "sport = :$1"
	fi
}

# world_get ADDR PORT [udp]: what the world gets from [ADDR]:PORT
world_get() {
	if [ "${3:-}" = udp ]; then
		echo ping | timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
			socat -t3 - UDP6:"[$1]":"$2"
	else
		timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
			socat -t3 - TCP6:"[$1]":"$2",connect-timeout=3 </dev/null
	fi
}

# udp_tries ADDR PORT: world_get over UDP until an answer comes (3 tries)
udp_tries() {
	local out
	for _ in 1 2 3; do
		out=$(world_get "$1" "$2" udp) && [ -n "$out" ] && { echo "$out"; return 0; }
	done
	return 1
}

@test "publish [::]:8080:80: the IPv6 world reaches the sandbox, which sees the client's address" {
	wait_for dad_done a
	serve6 80
	run nbctl publish '[::]:8080:80' "$(sb a)"
	assert_success
	assert_output '80/tcp -> [::]:8080'
	run world_get "$HOST6" 8080
	assert_success
	assert_output "peer=$PEER6"
	run nbctl port "$(sb a)"
	assert_success
	assert_line '80/tcp -> [::]:8080'
	# `ct ls` shows the flow (nb_ct6): as it arrived, and as it was sent on; the
	# connection is over, its TCP state says so (FIN, or CLOSE once both FINs passed)
	run nbctl ct ls
	assert_success
	assert_output --regexp "tcp +dnat +(FIN|CLOSE) +\[$WORLD6\]:[0-9]+ -> \[$HOST6\]:8080 +\[$WORLD6\]:[0-9]+ -> \[fd00:50::2\]:80"
}

@test "from the host itself: [::1]:8085 and the gateway's [fd00:50::1]:8085 (connect6 hook)" {
	wait_for dad_done a
	serve6 85
	run nbctl publish '[::]:8085:85' "$(sb a)"
	assert_success
	run in_host_cg timeout 10 socat -t3 - 'TCP6:[::1]:8085,connect-timeout=3' </dev/null
	assert_success
	# the sandbox sees the host's address on its network: the gateway's
	assert_output 'peer=[fd00:0050:0000:0000:0000:0000:0000:0001]'
	run in_host_cg timeout 10 socat -t3 - 'TCP6:[fd00:50::1]:8085,connect-timeout=3' </dev/null
	assert_success
	assert_output --partial 'peer='
	# getpeername() reports what the client asked for
	run in_host_cg python3 -c '
import socket
c = socket.create_connection(("::1", 8085), timeout=3)
print(c.getpeername()[:2])'
	assert_success
	assert_output "('::1', 8085)"
	# outside the instance's cgroup the hook does not apply: nothing listens on [::1]:8085
	run in_host timeout 10 socat -t1 - 'TCP6:[::1]:8085,connect-timeout=2' </dev/null
	assert_failure
}

@test "the default publish 8081:81 binds 0.0.0.0 and [::] on a dual-stack sandbox" {
	wait_for dad_done a
	serve6 81
	run nbctl publish 8081:81 "$(sb a)"
	assert_success
	assert_line '81/tcp -> 0.0.0.0:8081'
	assert_line '81/tcp -> [::]:8081'
	run world_get "$HOST6" 8081
	assert_success
	assert_output "peer=$PEER6"
	run nbctl port "$(sb a)" 81
	assert_success
	assert_output $'0.0.0.0:8081\n[::]:8081'
	# unpublish takes both; the world is refused afterwards
	run nbctl unpublish 8081:81 "$(sb a)"
	assert_success
	assert_line '81/tcp -> [::]:8081'
	run world_get "$HOST6" 8081
	assert_failure
}

@test "publish [host address]:8082:80 and UDP [::]:9053:5300/udp" {
	wait_for dad_done a
	serve6 80
	serve6 5300 udp
	run nbctl publish "[$HOST6]:8082:80" "$(sb a)"
	assert_success
	assert_output "80/tcp -> [$HOST6]:8082"
	run world_get "$HOST6" 8082
	assert_success
	assert_output "peer=$PEER6"
	run nbctl publish '[::]:9053:5300/udp' "$(sb a)"
	assert_success
	# a datagram may be lost while neighbours resolve: a few tries, as a UDP client would
	run udp_tries "$HOST6" 9053
	assert_success
	assert_output "peer=$PEER6"
}

@test "publish refuses IPv6: a foreign address, a port a host IPv6 socket holds, a taken key" {
	run nbctl publish '[2001:db8:99::1]:8090:80' "$(sb a)"
	assert_failure
	assert_output --partial 'is not an address of this host'
	nb_bg "$NB_TMP/host6.log" in_host socat TCP6-LISTEN:8091,ipv6only=1,reuseaddr -
	wait_for in_host ss -Htln 'sport = :8091'
	run nbctl publish '[::]:8091:80' "$(sb a)"
	assert_failure
	assert_output --partial 'address already in use'
	run nbctl publish '[::]:8092:80' "$(sb a)"
	assert_success
	run nbctl publish "[$HOST6]:8092:80" "$(sb a)"
	assert_failure
	assert_output --partial 'already published'
	# --allow needs a prefix of each published family (a port is never left open)
	run nbctl publish '[::]:8093:80' "$(sb a)" --allow 198.18.0.0/15
	assert_failure
	assert_output --partial 'no IPv6 prefix among --allow'
	run nbctl port "$(sb a)" 80
	refute_output --partial '8093'
	run nbctl publish '[::]:8093:80' "$(sb a)" --allow 2001:db8::/33/1
	assert_failure
	assert_output --partial 'not an IPv6 address or prefix'
}

@test "publish --allow for IPv6 ports: an allowed client gets in, another is refused (not-allowed)" {
	wait_for dad_done a
	# deprecated (preferred_lft 0): never the world's own choice of source, only when bound
	in_world ip -6 addr add 2001:db8:50::3/64 dev wan0 nodad preferred_lft 0
	serve6 80
	# a prefix given twice (or twice after masking) is one entry, as for IPv4 ports
	run nbctl publish '[::]:8096:80' "$(sb a)" --allow "$WORLD6" --allow 2001:db8:99::/48 \
		--allow 2001:db8:99::1/48
	assert_success
	assert_output '80/tcp -> [::]:8096'
	run world_get "$HOST6" 8096
	assert_success
	assert_output "peer=$PEER6"
	run timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
		socat -t3 - TCP6:"[$HOST6]":8096,connect-timeout=3,bind='[2001:db8:50::3]' </dev/null
	assert_failure
	# the list survives down/up (state), and goes with the port
	nbctl down
	nbctl up
	wait_for dad_done a
	run timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
		socat -t3 - TCP6:"[$HOST6]":8096,connect-timeout=3,bind='[2001:db8:50::3]' </dev/null
	assert_failure
	run world_get "$HOST6" 8096
	assert_success
	assert_output "peer=$PEER6"
	run nbctl unpublish '[::]:8096:80' "$(sb a)"
	assert_success
	run nbctl publish '[::]:8096:80' "$(sb a)"
	assert_success
	run timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
		socat -t3 - TCP6:"[$HOST6]":8096,connect-timeout=3,bind='[2001:db8:50::3]' </dev/null
	assert_success
	assert_output 'peer=[2001:0db8:0050:0000:0000:0000:0000:0003]'
	in_world ip -6 addr del 2001:db8:50::3/64 dev wan0
}

@test "published IPv6 ports survive down/up" {
	wait_for dad_done a
	serve6 80
	run nbctl publish '[::]:8094:80' "$(sb a)"
	assert_success
	nbctl down
	nbctl up
	wait_for dad_done a
	run world_get "$HOST6" 8094
	assert_success
	assert_output "peer=$PEER6"
}

@test "NAT66: the sandbox reaches the IPv6 world from the uplink's address (ULA masqueraded: TCP, UDP, echo)" {
	wait_for dad_done a
	nb_bg "$NB_TMP/w6.log" in_world socat TCP6-LISTEN:8150,reuseaddr,fork \
		SYSTEM:'echo "peer=$SOCAT_PEERADDR"'
	wait_for in_world ss -Htln 'sport = :8150'
	run timeout 10 nsenter --net=/run/netns/"$(sb a)" \
		socat -t3 - TCP6:"[$WORLD6]":8150,connect-timeout=3 </dev/null
	assert_success
	assert_output 'peer=[2001:0db8:0050:0000:0000:0000:0000:0001]'
	run nbctl ct ls
	assert_success
	assert_output --regexp "tcp +snat +(FIN|CLOSE) +\[fd00:50::2\]:[0-9]+ -> \[$WORLD6\]:8150 +\[$HOST6\]:[0-9]+ -> \[$WORLD6\]:8150"
	# ICMPv6 echo too (its identifier as the port)
	run ping_ok a "$WORLD6"
	assert_success
	# UDP too, on the sandbox's own source port when free
	nb_bg "$NB_TMP/w6u.log" in_world socat UDP6-RECVFROM:8151,reuseaddr,fork \
		SYSTEM:'echo "peer=$SOCAT_PEERADDR:$SOCAT_PEERPORT"'
	wait_for in_world ss -Hulnp 'sport = :8151'
	run sb_udp_tries
	assert_success
	assert_output 'peer=[2001:0db8:0050:0000:0000:0000:0000:0001]:41151'
}

# sb_udp_tries: the sandbox's datagram from port 41151 to the world, its answer (5 tries)
sb_udp_tries() {
	local out
	for _ in 1 2 3 4 5; do
		out=$(echo ping | timeout 10 nsenter --net=/run/netns/"$(sb a)" \
			socat -t3 - UDP6:"[$WORLD6]":8151,sourceport=41151,reuseaddr) &&
			[ -n "$out" ] && { echo "$out"; return 0; }
	done
	return 1
}


@test "monitor --type nat reports new IPv6 flows: DNAT66 and NAT66, with both tuples" {
	wait_for dad_done a
	serve6 80
	run nbctl publish '[::]:8095:80' "$(sb a)"
	assert_success
	nb_bg "$NB_TMP/w6m.log" in_world socat TCP6-LISTEN:8152,reuseaddr,fork \
		SYSTEM:'echo "peer=$SOCAT_PEERADDR"'
	wait_for in_world ss -Htln 'sport = :8152'
	nb_bg "$NB_TMP/mon6.log" nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" monitor --type nat
	local mon
	mon=$(tail -n1 "$NB_TMP/pids")
	wait_for grep -q "Listening for events" "$NB_TMP/mon6.log"
	run world_get "$HOST6" 8095
	assert_success
	run timeout 10 nsenter --net=/run/netns/"$(sb a)" \
		socat -t3 - TCP6:"[$WORLD6]":8152,connect-timeout=3 </dev/null
	assert_success
	wait_for grep -q ' nat snat ' "$NB_TMP/mon6.log"
	wait_for grep -q ' nat dnat ' "$NB_TMP/mon6.log"
	kill -TERM "$mon"
	wait "$mon" || true
	run cat "$NB_TMP/mon6.log"
	assert_line --regexp " nat dnat [^ ]+ \(.+/eth0\) tcp \[$WORLD6\]:[0-9]+ -> \[$HOST6\]:8095 => \[$WORLD6\]:[0-9]+ -> \[fd00:50::2\]:80$"
	assert_line --regexp " nat snat outward tcp \[fd00:50::2\]:[0-9]+ -> \[$WORLD6\]:8152 => \[$HOST6\]:[0-9]+ -> \[$WORLD6\]:8152$"
}

# sb_get SB ADDR PORT: what sandbox SB gets from [ADDR]:PORT over TCP
sb_get() {
	timeout 10 nsenter --net=/run/netns/"$(sb "$1")" \
		socat -t3 - TCP6:"[$2]":"$3",connect-timeout=3 </dev/null
}

@test "hairpin: sandboxes reach [$HOST6]:8097 and the gateway's [fd00:50::1]:8097, seen from the gateway" {
	# b on a's network, c on another netbpf network
	nbctl sandbox create --network p6 --ip6 fd00:50::3 "$(sb b)"
	nbctl network create --ipv6 --subnet 10.51.0.0/24 --subnet fd00:51::/64 q6
	nbctl sandbox create --network q6 --ip6 fd00:51::2 "$(sb c)"
	wait_for dad_done a
	wait_for dad_done b
	wait_for dad_done c
	serve6 80
	run nbctl publish '[::]:8097:80' "$(sb a)"
	assert_success
	# as IPv4's hairpin: the server sees its own network's gateway address
	local gw='[fd00:0050:0000:0000:0000:0000:0000:0001]'
	run sb_get b "$HOST6" 8097
	assert_success
	assert_output "peer=$gw"
	run sb_get a "$HOST6" 8097
	assert_success
	assert_output "peer=$gw"
	run sb_get c "$HOST6" 8097
	assert_success
	assert_output "peer=$gw"
	run sb_get b fd00:50::1 8097
	assert_success
	assert_output "peer=$gw"
	# as IPv4's, a port's allow-list filters the outside, not sandboxes
	run nbctl publish '[::]:8098:80' "$(sb a)" --allow 2001:db8:99::/48
	assert_success
	run sb_get b "$HOST6" 8098
	assert_success
	assert_output "peer=$gw"
	run nbctl unpublish '[::]:8098:80' "$(sb a)"
	assert_success
	# the flows, as `ct ls` lists them
	run nbctl ct ls
	assert_success
	assert_output --regexp "hairpin +.*\[fd00:50::3\]:[0-9]+ -> \[$HOST6\]:8097"
	nbctl sandbox rm "$(sb b)" "$(sb c)"
	nbctl network rm q6
}
