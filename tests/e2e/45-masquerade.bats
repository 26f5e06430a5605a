#!/usr/bin/env bats
# Masquerade in BPF: sandboxes reach the outside world as the uplink's address.
#
#   world ($NB_WORLD) wan0 198.18.0.2 ──veth── up0 198.18.0.1  host ($NB_HOST)
#   servers: http :80, peer tcp :9000,              [tc uplink_in/uplink_out: SNAT/DNAT]
#            peer tcp :9001 (1.5 s delay),          │ nbg gateways
#            peer udp :9053                 ┌───────┼──────────────────┬──────────────────┐
#   route 10.94.2.0/24 via 198.18.0.1    masq 10.94.1.0/24     plain 10.94.2.0/24   intern 10.94.3.0/24
#   (plain's replies only)               m1 (-p 8080:80), m2   n1                   i1
#                                        masquerade (default)  enable_ip_masquerade --internal
#                                                              =false (routed)
#
# The world has no route to masq's subnet: an answer that gets back to m1 or
# m2 went through the uplink's SNAT. The servers log the client address of
# every request. Every test ends checking that the host netns has no bridge
# and no firewall rule.

load lib
load nat

masq_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.94.1.0/24 masq
	nbctl network create --subnet 10.94.2.0/24 \
		-o com.docker.network.bridge.enable_ip_masquerade=false plain
	nbctl network create --subnet 10.94.3.0/24 --internal intern
	nbctl sandbox create --network masq -p 8080:80 "$(sb m1)"
	nbctl sandbox create --network masq "$(sb m2)"
	nbctl sandbox create --network plain "$(sb n1)"
	nbctl sandbox create --network intern "$(sb i1)"
	ip -n "$NB_WORLD" route add 10.94.2.0/24 via 198.18.0.1
	http_serve world 80
	peer_serve world tcp 9000
	peer_serve world tcp 9001 1.5
	peer_serve world udp 9053
}
setup_file() { nb_setup_file masq_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
# the world's servers live for the whole file: only the tests' own go here
teardown() { assert_no_bridge_no_rules; }

# server_saw LOG PATTERN: a line of the log matches (grep -E)
server_saw() {
	grep -qE "$2" "$1" || {
		echo "no line matching \"$2\" in $1:"
		cat "$1"
		return 1
	}
}

@test "TCP: curl from a sandbox reaches the world, which sees the uplink's address" {
	m1=$(sb_ip m1)
	run http_get m1 http://198.18.0.2/
	echo "$output"
	[ "$status" -eq 0 ] && [ "$output" = "world:80" ]
	server_saw "$NB_TMP/http.world.80.log" '^198\.18\.0\.1 - - .*"GET / HTTP/1.1" 200'
	refute grep -q "^$m1 " "$NB_TMP/http.world.80.log"
}

@test "UDP: a request/response exchange as the uplink's address" {
	run udp_ask m1 198.18.0.2 9053 hello-udp
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "PEER 198.18.0.1:"*" hello-udp" ]]
	server_saw "$NB_TMP/peer.world.udp.9053.log" '^PEER 198\.18\.0\.1:[0-9]+ hello-udp$'
}

@test "ping from a sandbox to the world, translated (ICMP echo id)" {
	ping_ok m1 198.18.0.2
	ping_ok m2 198.18.0.2
	run nbctl ct ls
	echo "$output"
	echo "$output" | grep -qE "^icmp +snat +[A-Z]+ +$(sb_ip m1) -> 198\.18\.0\.2 id [0-9]+ +198\.18\.0\.1 -> 198\.18\.0\.2 id [0-9]+"
}

@test "two sandboxes from the same source port to the same server at the same time" {
	local out1=$NB_TMP/sp.m1 out2=$NB_TMP/sp.m2
	# the server holds each connection 1.5 s before answering: both are open at once
	(echo from-m1 | in_sb m1 timeout 8 socat -t4 - TCP:198.18.0.2:9001,sourceport=40000 \
		>"$out1" 2>&1) 3>&- &
	local p1=$!
	(echo from-m2 | in_sb m2 timeout 8 socat -t4 - TCP:198.18.0.2:9001,sourceport=40000 \
		>"$out2" 2>&1) 3>&- &
	local p2=$!
	wait "$p1" || true
	wait "$p2" || true
	cat "$out1" "$out2"
	[[ $(cat "$out1") =~ ^PEER\ 198\.18\.0\.1:([0-9]+)\ from-m1$ ]]
	local port1=${BASH_REMATCH[1]}
	[[ $(cat "$out2") =~ ^PEER\ 198\.18\.0\.1:([0-9]+)\ from-m2$ ]]
	local port2=${BASH_REMATCH[1]}
	# one kept 40000, the other was moved: the reply tuples differ
	[ "$port1" != "$port2" ]
	[ "$port1" = 40000 ] || [ "$port2" = 40000 ]
	# and UDP the same way
	run in_sb m1 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40001)); s.settimeout(3)
s.sendto(b"u1", ("198.18.0.2", 9053)); print(s.recvfrom(200)[0].decode().strip())'
	echo "$output"
	[[ $output == "PEER 198.18.0.1:"*" u1" ]]
	run in_sb m2 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40001)); s.settimeout(3)
s.sendto(b"u2", ("198.18.0.2", 9053)); print(s.recvfrom(200)[0].decode().strip())'
	echo "$output"
	[[ $output == "PEER 198.18.0.1:"*" u2" ]]
}

@test "enable_ip_masquerade=false: traffic leaves with the sandbox's own address" {
	n1=$(sb_ip n1)
	[[ $n1 == 10.94.2.* ]]
	run http_get n1 http://198.18.0.2/
	echo "$output"
	[ "$status" -eq 0 ] && [ "$output" = "world:80" ]
	server_saw "$NB_TMP/http.world.80.log" "^${n1//./\\.} - - "
	run udp_ask n1 198.18.0.2 9053 plain-udp
	[[ $output == "PEER $n1:"*" plain-udp" ]]
	# no snat flow for it
	refute sh -c "nsenter --net=/run/netns/$NB_HOST $NETBPFCTL ct ls | grep -q ' $n1:'"
}

@test "an --internal network cannot reach the world" {
	ping_fails i1 198.18.0.2
	run http_get i1 http://198.18.0.2/ --max-time 2
	echo "$output"
	[ "$status" -ne 0 ]
	run udp_ask i1 198.18.0.2 9053 internal-udp
	[ -z "$output" ] || [[ $output != *PEER* ]]
	refute grep -q "internal-udp" "$NB_TMP/peer.world.udp.9053.log"
	# the gateway stays reachable
	ping_ok i1 10.94.3.1
}

@test "ct ls shows published (dnat) and masquerade (snat) flows side by side" {
	http_serve m1 80
	m1=$(sb_ip m1)
	[ "$(http_get world http://198.18.0.1:8080/)" = "m1:80" ]
	[ "$(http_get m1 http://198.18.0.2/)" = "world:80" ]
	run nbctl ct ls
	echo "$output"
	echo "$output" | grep -qE "^tcp +dnat .* 198\.18\.0\.2:[0-9]+ -> 198\.18\.0\.1:8080 +198\.18\.0\.2:[0-9]+ -> ${m1//./\\.}:80 "
	echo "$output" | grep -qE "^tcp +snat .* ${m1//./\\.}:[0-9]+ -> 198\.18\.0\.2:80 +198\.18\.0\.1:[0-9]+ -> 198\.18\.0\.2:80 "
	run nbctl ct ls --format json
	types=$(echo "$output" | json 'sorted(set(f["type"] for f in d))')
	echo "$types"
	[[ $types == *'"dnat"'* && $types == *'"snat"'* ]]
}

@test "2,000 short connections in a row without a failure" {
	run in_sb m2 timeout 60 python3 -c '
import socket, sys, time
n, fails, t0 = 2000, 0, time.time()
for i in range(n):
    try:
        c = socket.create_connection(("198.18.0.2", 9000), timeout=3)
        c.sendall(b"c%d" % i)
        r = c.recv(200)
        c.close()
        if not r.startswith(b"PEER 198.18.0.1:") or not r.strip().endswith(b" c%d" % i):
            fails += 1
            print("bad answer", i, r)
    except OSError as e:
        fails += 1
        print("failed", i, e)
print("%d connections, %d failed, %.1f s" % (n, fails, time.time() - t0))
sys.exit(1 if fails else 0)'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "2000 connections, 0 failed"* ]]
}
