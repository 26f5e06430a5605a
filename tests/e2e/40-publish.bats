#!/usr/bin/env bats
# Published ports: NAT in BPF maps, no iptables rule, no proxy, no listening socket.
#
#   world ($NB_WORLD)                         host ($NB_HOST, netbpfctl up --uplink up0)
#   wan0 198.18.0.2 ───────────veth────────── up0 198.18.0.1   [tc uplink_in/uplink_out]
#   clients "from outside"                    lo 127.0.0.1      socket hooks on $NETBPF_CGROUP
#                                                │ nbg 10.93.1.1 (gateway)
#                          network pub 10.93.1.0/24 ─┬─────────┬──────────┬──────────┐
#                                                  web        web2       cli        rng
#                                            -p 8000:80   8001:80    (client)  8100-8102:80-82
#                                            8053:53/udp                        20000-20999:
#                                                                               30000-30999
#   none1: on the "none" network only (publishing is refused)
#
# The world has no route to 10.93.1.0/24: whatever reaches a sandbox from
# there went through the uplink's DNAT. Host clients run in the instance's
# cgroup (in_host_cg / in_cg) so the socket hooks see them. Every test ends
# checking that the host netns has no bridge and no firewall rule.

load lib
load nat

publish_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.93.1.0/24 pub
	nbctl sandbox create --network pub -p 8000:80 -p 8053:53/udp "$(sb web)"
	nbctl sandbox create --network pub "$(sb web2)"
	nbctl sandbox create --network pub "$(sb cli)"
}
setup_file() { nb_setup_file publish_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

@test "from outside: world -> 198.18.0.1:8000 reaches web:80 and web sees the client's own address" {
	http_serve web 80
	run http_get world http://198.18.0.1:8000/
	echo "$output"
	assert_success
	assert_output "web:80"
	# the sandbox saw the world's address, not the host's (docker-proxy would hide it)
	http_log web 80
	http_log web 80 | grep -q '^198\.18\.0\.2 - - .*"GET / HTTP/1.1" 200'
	refute grep -q '^198\.18\.0\.1 \|^10\.93\.1\.1 ' "$NB_TMP/http.web.80.log"
	# nothing of the host listens on the published port: the map did it
	refute sh -c "nsenter --net=/run/netns/$NB_HOST ss -Hltn | awk '{print \$4}' | grep -q ':8000\$'"
	refute sh -c "nsenter --net=/run/netns/$NB_HOST ss -Hlun | awk '{print \$4}' | grep -q ':8053\$'"
}

@test "from the host itself: 127.0.0.1:8000 and 198.18.0.1:8000 through the socket hooks" {
	http_serve web 80
	run in_host_cg curl -sS --max-time 3 http://127.0.0.1:8000/
	echo "127.0.0.1: $output"
	assert_success
	assert_output "web:80"
	run in_host_cg curl -sS --max-time 3 http://198.18.0.1:8000/
	echo "198.18.0.1: $output"
	assert_success
	assert_output "web:80"
	# the gateway address is the host's too
	run in_host_cg curl -sS --max-time 3 http://10.93.1.1:8000/
	echo "10.93.1.1: $output"
	assert_success
	assert_output "web:80"
	# getpeername() reports the published address the client asked for
	run in_host_cg python3 -c '
import socket
c = socket.create_connection(("127.0.0.1", 8000), timeout=3)
print("%s:%d" % c.getpeername())'
	echo "getpeername: $output"
	assert_success
	assert_output "127.0.0.1:8000"
	# outside the instance's cgroup the hooks do not apply: nothing listens on the host
	run in_host curl -sS --max-time 3 http://127.0.0.1:8000/
	echo "outside the cgroup: $output"
	assert_failure 7
}

@test "127.0.0.1:8700:80 is for the host's own clients only, as with Docker" {
	run nbctl publish 127.0.0.1:8700:80 "$(sb web2)"
	echo "$output"
	assert_success
	assert_output "80/tcp -> 127.0.0.1:8700"
	http_serve web2 80
	assert_equal "$(in_host_cg curl -sS --max-time 3 http://127.0.0.1:8700/)" "web2:80"
	# not on the host's other addresses, so not from outside
	run http_get world http://198.18.0.1:8700/ --max-time 2
	assert_failure
	run in_host_cg curl -sS --max-time 2 http://198.18.0.1:8700/
	assert_failure
	nbctl unpublish 127.0.0.1:8700:80 "$(sb web2)"
}

@test "a sandbox's own 127.0.0.1:8000 is not rewritten (netns cookie), even in the cgroup" {
	http_serve web 80
	# nothing listens on cli's own loopback: refused, not steered to web
	run in_cg cli python3 -c '
import socket
try:
    socket.create_connection(("127.0.0.1", 8000), timeout=3)
    print("connected")
except OSError as e:
    print(type(e).__name__)'
	echo "$output"
	assert_success
	assert_output "ConnectionRefusedError"
	# and what does listen there is what the sandbox's clients get
	http_serve cli 8000
	run in_cg cli curl -sS --max-time 3 http://127.0.0.1:8000/
	echo "$output"
	assert_success
	assert_output "cli:8000"
	run in_cg web curl -sS --max-time 3 http://127.0.0.1:8000/
	echo "$output"
	assert_failure 7
}

@test "hairpin: another sandbox and the sandbox itself reach 198.18.0.1:8000" {
	http_serve web 80
	run http_get cli http://198.18.0.1:8000/
	echo "cli: $output"
	assert_success
	assert_output "web:80"
	run http_get web http://198.18.0.1:8000/
	echo "web itself: $output"
	assert_success
	assert_output "web:80"
	# through the gateway address as well
	run http_get cli http://10.93.1.1:8000/
	echo "cli via gateway: $output"
	assert_success
	assert_output "web:80"
}

@test "UDP request/response from outside and from the host (8053/udp -> web:53)" {
	peer_serve web udp 53
	run udp_ask world 198.18.0.1 8053 query-1
	echo "$output"
	assert_success
	assert_output --regexp '^PEER 198\.18\.0\.2:[0-9]+ query-1$'
	# the host, unconnected: sendto() rewritten, recvfrom() reports the published address
	run in_host_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"query-2", ("127.0.0.1", 8053))
data, peer = s.recvfrom(2048)
print("%s:%d %s" % (peer[0], peer[1], data.decode().strip()))'
	echo "$output"
	assert_success
	assert_output --regexp '^127\.0\.0\.1:8053 PEER [0-9.]+:[0-9]+ query-2$'
	peer_log web udp 53 | grep -q '^PEER 198\.18\.0\.2:[0-9]* query-1$'
}

@test "a range 8100-8102:80-82 maps one to one" {
	nbctl sandbox create --network pub -p 8100-8102:80-82 "$(sb rng)"
	run nbctl port "$(sb rng)"
	echo "$output"
	assert_success
	assert_equal "${lines[0]}" "80/tcp -> 0.0.0.0:8100"
	assert_equal "${lines[1]}" "81/tcp -> 0.0.0.0:8101"
	assert_equal "${lines[2]}" "82/tcp -> 0.0.0.0:8102"
	assert [ "${#lines[@]}" -eq 3 ]
	local i
	for i in 0 1 2; do
		http_serve rng $((80 + i))
	done
	for i in 0 1 2; do
		run http_get world http://198.18.0.1:$((8100 + i))/
		echo "$((8100 + i)): $output"
		assert_success
		assert_output "rng:$((80 + i))"
	done
}

@test "two sandboxes, different host ports, the same container port" {
	run nbctl publish 8001:80 "$(sb web2)"
	echo "$output"
	assert_success
	assert_output "80/tcp -> 0.0.0.0:8001"
	http_serve web 80
	http_serve web2 80
	assert_equal "$(http_get world http://198.18.0.1:8000/)" "web:80"
	assert_equal "$(http_get world http://198.18.0.1:8001/)" "web2:80"
	assert_equal "$(in_host_cg curl -sS --max-time 3 http://127.0.0.1:8001/)" "web2:80"
}

@test "conflicts and bad specs are refused naming the cause, nothing changed" {
	# taken, naming the holder and its container port (0.0.0.0 covers every address)
	pub_refused "$(sb web)" "0.0.0.0:8000/tcp" "port 80/tcp" -- \
		nbctl publish 8000:81 "$(sb web2)"
	pub_refused "$(sb web)" "198.18.0.1:8000/tcp" "port 80/tcp on 0.0.0.0:8000/tcp" -- \
		nbctl publish 198.18.0.1:8000:81 "$(sb web2)"
	# a range with one taken port is refused as a whole
	pub_refused "$(sb web)" "8000" -- nbctl publish 7999-8000:79-80 "$(sb web2)"
	pub_refused "differ in length" -- nbctl publish 8200-8202:80-81 "$(sb web2)"
	pub_refused "outside 1-65535" -- nbctl publish 70000:80 "$(sb web2)"
	pub_refused "outside 1-65535" -- nbctl publish 8200:0 "$(sb web2)"
	pub_refused "publish \"80/sctp\"" "not supported" -- nbctl publish 80/sctp "$(sb web2)"
	pub_refused "invalid container port \"http\"" -- nbctl publish 8200:http "$(sb web2)"
	pub_refused "10.9.9.9 is not an address of this host" -- \
		nbctl publish 10.9.9.9:8200:80 "$(sb web2)"
	pub_refused 'sandbox "nosuch" not found' -- nbctl publish 8200:80 nosuch
	# -p on create: the sandbox is not created either
	pub_refused "$(sb web)" "0.0.0.0:8000/tcp" -- \
		nbctl sandbox create --network pub -p 8300:80 -p 8000:80 "$(sb late)"
	refute ip netns pids "$(sb late)" 2>/dev/null
	pub_refused "invalid host address" -- nbctl sandbox create --network pub -p x:1:2 "$(sb late)"
	# a sandbox on no bridge network
	nbctl sandbox create --network none "$(sb none1)"
	pub_refused "sandbox \"$(sb none1)\"" "no bridge network" -- nbctl publish 8200:80 "$(sb none1)"
	pub_refused "no bridge network" -- nbctl sandbox create --network none -p 8200:80 "$(sb late)"
	# unpublishing what is not published
	pub_refused "its port 80/tcp is not published as host port 8999" -- \
		nbctl unpublish 8999:80 "$(sb web)"
}

@test "port: Docker's lines, one port, and Docker's error for an unpublished one" {
	run nbctl port "$(sb web)"
	echo "$output"
	assert_success
	assert_equal "${lines[0]}" "53/udp -> 0.0.0.0:8053"
	assert_equal "${lines[1]}" "80/tcp -> 0.0.0.0:8000"
	run nbctl port "$(sb web)" 80
	assert_success
	assert_output "0.0.0.0:8000"
	run nbctl port "$(sb web)" 53/udp
	assert_success
	assert_output "0.0.0.0:8053"
	run nbctl port "$(sb web)" 53
	echo "$output"
	assert_failure 1
	assert_output --partial "No public port '53/tcp' published for $(sb web)"
	# a host port chosen from the ephemeral range, printed, and reachable
	run nbctl publish 198.18.0.1::81 "$(sb web)"
	echo "$output"
	assert_success
	assert_output --regexp '^81/tcp -> 198\.18\.0\.1:[0-9]+$'
	hp=${output##*:}
	assert [ "$hp" -ge 32768 ]
	assert [ "$hp" -le 60999 ]
	assert_equal "$(nbctl port "$(sb web)" 81)" "198.18.0.1:$hp"
	http_serve web 81
	assert_equal "$(http_get world "http://198.18.0.1:$hp/")" "web:81"
	# a second one gets another port
	run nbctl publish 82 "$(sb web)"
	assert_success
	assert_output --regexp '^82/tcp -> 0\.0\.0\.0:[0-9]+$'
	assert_not_equal "${output##*:}" "$hp"
	nbctl unpublish 82 "$(sb web)"
	nbctl unpublish 198.18.0.1::81 "$(sb web)"
	assert [ "$(nbctl port "$(sb web)" | wc -l)" -eq 2 ]
}

@test "unpublish stops new connections at once; an established one keeps going" {
	nbctl publish 8400:90 "$(sb web2)"
	peer_serve web2 tcp 90 1.5
	out=$(echo a | in_world timeout 5 socat -t3 - TCP:198.18.0.1:8400)
	assert_regex "$out" '^PEER 198\.18\.0\.2:[0-9]+ a$'
	# a connection open across the unpublish: its conntrack entry carries it
	(echo b | in_world timeout 5 socat -t4 - TCP:198.18.0.1:8400 >"$NB_TMP/long.out" 2>&1) 3>&- &
	local long=$!
	sleep 0.5
	run nbctl unpublish 8400:90 "$(sb web2)"
	echo "$output"
	assert_success
	assert_output "90/tcp -> 0.0.0.0:8400"
	# the very next connection is refused (the host stack answers: nothing listens)
	run in_world curl -sS --max-time 3 http://198.18.0.1:8400/
	echo "after unpublish: $output"
	assert_failure 7
	run in_host_cg curl -sS --max-time 3 http://127.0.0.1:8400/
	assert_failure 7
	local rc=0
	wait "$long" || rc=$?
	run cat "$NB_TMP/long.out"
	assert_success
	assert_output --regexp '^PEER 198\.18\.0\.2:[0-9]+ b$'
	assert_equal "$rc" 0
	assert_equal "$(nbctl port "$(sb web2)" 90 2>/dev/null)" ""
}

@test "ct ls shows the translated flows, in a table and as JSON; ct flush empties it" {
	http_serve web 80
	http_get world http://198.18.0.1:8000/ >/dev/null
	web=$(sb_ip web)
	run nbctl ct ls
	echo "$output"
	assert_success
	assert_regex "${lines[0]}" '^PROTO +TYPE +STATE +ORIGINAL +TRANSLATED +AGE'
	assert_line --regexp "^tcp +dnat +[A-Z_]+ +198\.18\.0\.2:[0-9]+ -> 198\.18\.0\.1:8000 +198\.18\.0\.2:[0-9]+ -> ${web//./\\.}:80 +[0-9]+s$"
	run nbctl ct ls --format json
	assert_success
	n=$(echo "$output" | python3 -c '
import json, sys
flows = json.load(sys.stdin)
print(sum(1 for f in flows if f["type"] == "dnat" and f["proto"] == "tcp"
          and f["original"]["src"] == "198.18.0.2" and f["original"]["dport"] == 8000
          and f["translated"]["dst"] == sys.argv[1] and f["translated"]["dport"] == 80
          and f["packets"] > 0 and f["reply_packets"] > 0))' "$web")
	assert [ "$n" -ge 1 ]
	run nbctl ct flush
	echo "$output"
	assert_success
	assert_output --regexp '^[1-9][0-9]* conntrack entries deleted$'
	assert [ "$(nbctl ct ls --format json | json 'len([f for f in d if f["type"] == "dnat"])')" -eq 0 ]
}

# pub_key PORT: "0.0.0.0:PORT/tcp" is in the nb_publish map
pub_key() {
	nb_map nb_publish | python3 -c '
import json, sys
port = int(sys.argv[1])
sys.exit(0 if any(e["formatted"]["key"]["host_port"] in (port, int.from_bytes(port.to_bytes(2, "big"), "little"))
                  for e in json.load(sys.stdin)) else 1)' "$1"
}

@test "ports go with their endpoint: disconnect, a vanished netns (gc), a stale map entry (gc)" {
	nbctl sandbox create --network pub -p 8600:80 "$(sb dis1)"
	nbctl sandbox create --network pub -p 8601:80 "$(sb gone1)"
	pub_key 8600
	pub_key 8601
	nbctl network disconnect pub "$(sb dis1)"
	refute pub_key 8600
	assert_equal "$(nbctl port "$(sb dis1)")" ""
	# the netns disappears behind netbpf's back: gc drops the sandbox and its port
	ip netns del "$(sb gone1)"
	run nbctl gc
	echo "$output"
	assert_success
	refute pub_key 8601
	# an entry nobody published (key 0.0.0.0:8602/tcp -> 10.93.1.99:80)
	bpftool map update pinned "$NETBPF_PIN_DIR/nb_publish" \
		key hex 00 00 00 00 21 9a 06 00 \
		value hex 0a 5d 01 63 00 50 00 00 01 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00
	pub_key 8602
	run nbctl gc
	echo "$output"
	assert_success
	assert_output --partial "removed stale map nb_publish: 0.0.0.0:8602/tcp -> 10.93.1.99:80 (not in the state)"
	refute pub_key 8602
	# what the state has stays
	pub_key 8000
	nbctl sandbox rm "$(sb dis1)"
}

@test "publishing survives down/up" {
	http_serve web 80
	assert_equal "$(http_get world http://198.18.0.1:8000/)" "web:80"
	nbctl down
	refute http_get world http://198.18.0.1:8000/ --max-time 1
	run nbctl up
	echo "$output"
	assert_success
	assert_output --partial "published port(s)"
	assert_equal "$(nbctl port "$(sb web)" 80)" "0.0.0.0:8000"
	assert_equal "$(http_get world http://198.18.0.1:8000/)" "web:80"
	assert_equal "$(in_host_cg curl -sS --max-time 3 http://127.0.0.1:8000/)" "web:80"
	assert_equal "$(http_get cli http://198.18.0.1:8000/)" "web:80"
}

@test "1,000 published ports: all in the map, a sample of 5 reached" {
	time nbctl publish 20000-20999:30000-30999 "$(sb rng)" >"$NB_TMP/pub1000.out"
	assert [ "$(wc -l <"$NB_TMP/pub1000.out")" -eq 1000 ]
	assert [ "$(nbctl port "$(sb rng)" | grep -c ' -> 0.0.0.0:20')" -eq 1000 ]
	assert [ "$(nb_map nb_publish | json 'len(d)')" -ge 1000 ]
	local off
	for off in 0 137 512 870 999; do
		http_serve rng $((30000 + off))
	done
	for off in 0 137 512 870 999; do
		run http_get world "http://198.18.0.1:$((20000 + off))/"
		echo "$((20000 + off)): $output"
		assert_success
		assert_output "rng:$((30000 + off))"
	done
	assert_equal "$(in_host_cg curl -sS --max-time 3 http://127.0.0.1:20512/)" "rng:30512"
	# and removing the sandbox takes its 1,003 ports out of the map
	nbctl sandbox rm "$(sb rng)"
	assert [ "$(nb_map nb_publish | json 'len(d)')" -lt 100 ]
	run http_get world http://198.18.0.1:20512/ --max-time 1
	assert_failure
}
