#!/usr/bin/env bats
# A good neighbour to the host: a published port never takes over a host
# service, and a subnet netbpf chooses never clashes with the host's routes
# and addresses (issue 18).
#
#   world ($NB_WORLD)                       host ($NB_HOST, netbpfctl up --uplink up0)
#   wan0 198.18.0.2 ──────────veth───────── up0 198.18.0.1
#                                           dk0 172.17.0.1/16 (a docker0, there before `up`)
#                                               + route 172.18.0.0/16 dev dk0
#                                           host services: python listeners on 8085/tcp,
#                                               8086/udp, 127.0.0.1:8087, [::]:8091, ...
#                                           │ nbg (gateway of "pub" 10.97.1.0/24, of "bridge")
#                           network pub ────┴──── box (published ports), sbsvc
#
# Every listener is a process of the test's own, in the test's host netns.

bats_require_minimum_version 1.5.0
load lib
load nat

pre_up() {
	ip -n "$NB_HOST" link add dk0 type veth peer name dk1
	ip -n "$NB_HOST" addr add 172.17.0.1/16 dev dk0
	ip -n "$NB_HOST" link set dk0 up
	ip -n "$NB_HOST" link set dk1 up
	ip -n "$NB_HOST" route add 172.18.0.0/16 dev dk0
}

neighbour_setup() {
	NB_PRE_UP=pre_up nb_setup_instance
	nbctl network create --subnet 10.97.1.0/24 pub
	nbctl sandbox create --network pub "$(sb box)"
}
setup_file() { nb_setup_file neighbour_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# host_listen NAME PROTO ADDR PORT [V6ONLY]: a python socket of the test's in the host netns,
# listening (tcp) or bound (udp); its pid in $NB_TMP/pid.NAME
host_listen() {
	local name=$1 proto=$2 addr=$3 port=$4 v6only=${5:-0}
	nb_bg "$NB_TMP/listen.$name.log" nsenter --net=/run/netns/"$NB_HOST" python3 -c '
import socket, sys, time
proto, addr, port, v6only = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
s.bind((addr, port))
if proto == "tcp":
    s.listen(8)
print("ready", flush=True)
time.sleep(600)' "$proto" "$addr" "$port" "$v6only"
	tail -n1 "$NB_TMP/pids" >"$NB_TMP/pid.$name"
	wait_for grep -q ready "$NB_TMP/listen.$name.log"
}

# net_subnet NETWORK: its subnet as `network inspect` shows it; net_addressing: "SUBNET GATEWAY"
net_subnet() { nbctl network inspect "$1" | json 'd[0]["IPAM"]["Config"][0]["Subnet"]'; }
net_addressing() {
	nbctl network inspect "$1" | json '"%s %s" % (d[0]["IPAM"]["Config"][0]["Subnet"], d[0]["IPAM"]["Config"][0]["Gateway"])'
}

# ---- published ports ------------------------------------------------------

@test "a host service keeps its port: publish and sandbox create -p are refused, naming the process" {
	mkdir -p "$NB_TMP/www"
	echo "host-service" >"$NB_TMP/www/index.html"
	nb_bg "$NB_TMP/hostsvc.log" nsenter --net=/run/netns/"$NB_HOST" \
		python3 -u -m http.server --directory "$NB_TMP/www" 8085
	local pid
	pid=$(tail -n1 "$NB_TMP/pids")
	wait_listen host 8085
	run nbctl publish 8085:80 "$(sb box)"
	assert_failure 1
	assert_output --partial "sandbox \"$(sb box)\": publish \"8085:80\": host port 0.0.0.0:8085/tcp: bind: address already in use"
	assert_output --partial "python3"
	assert_output --partial "(pid $pid)"
	run nbctl sandbox create --network pub -p 8085:80 "$(sb box2)"
	assert_failure 1
	assert_output --partial "address already in use"
	# nothing half-done: no sandbox, no row, no map entry
	run nbctl sandbox inspect "$(sb box2)"
	assert_failure
	run nbctl port "$(sb box)"
	assert_success
	assert_output ""
	# and the service still answers from outside, not a sandbox
	run http_get world http://198.18.0.1:8085/
	assert_success
	assert_output "host-service"
}

@test "a bound UDP port and a loopback listener are the host's; another protocol or address is free" {
	host_listen u udp 127.0.0.1 8086
	run nbctl publish 8086:53/udp "$(sb box)"
	assert_failure 1
	assert_output --partial "host port 0.0.0.0:8086/udp: bind: address already in use (127.0.0.1:8086/udp, held by python3 (pid $(cat "$NB_TMP/pid.u")))"
	# TCP 8086 is nobody's
	run nbctl publish 8086:53/tcp "$(sb box)"
	assert_success
	host_listen lo tcp 127.0.0.1 8087
	# 0.0.0.0 takes the port on loopback too: the socket hooks would take its clients
	run nbctl publish 8087:80 "$(sb box)"
	assert_failure 1
	assert_output --partial "0.0.0.0:8087/tcp: bind: address already in use"
	# on another address of the host the port is free, as bind() would say
	run nbctl publish 198.18.0.1:8087:80 "$(sb box)"
	assert_success
	run nbctl port "$(sb box)"
	assert_line "53/tcp -> 0.0.0.0:8086"
	assert_line "80/tcp -> 198.18.0.1:8087"
	nbctl unpublish 8086:53/tcp "$(sb box)"
	nbctl unpublish 198.18.0.1:8087:80 "$(sb box)"
}

@test "a dual-stack [::] listener holds the IPv4 port, an IPv6-only one does not" {
	host_listen ds tcp :: 8091 0
	run nbctl publish 8091:80 "$(sb box)"
	assert_failure 1
	assert_output --partial "0.0.0.0:8091/tcp, held by python3"
	host_listen v6 tcp :: 8092 1
	run nbctl publish 8092:80 "$(sb box)"
	assert_success
	nbctl unpublish 8092:80 "$(sb box)"
}

@test "a listener inside a sandbox (another netns) is not the host's" {
	nbctl sandbox create --network pub "$(sb sbsvc)"
	http_serve sbsvc 8093
	run nbctl publish 8093:80 "$(sb box)"
	assert_success
	nbctl unpublish 8093:80 "$(sb box)"
	nbctl sandbox rm "$(sb sbsvc)"
}

@test "a host port netbpf chooses skips the ports host sockets hold" {
	host_listen e tcp 0.0.0.0 32768
	nbctl publish 80 "$(sb box)"
	run nbctl port "$(sb box)" 80
	assert_success
	assert_output "0.0.0.0:32769"
	nbctl unpublish 80 "$(sb box)"
}

@test "port and status say when a host process binds a published port later" {
	nbctl publish 8090:80 "$(sb box)"
	run nbctl status
	assert_success
	assert_line --partial "none held by a host socket"
	# nothing holds 8090 in the kernel: the map publishes it, so a host process can bind it
	host_listen late tcp 0.0.0.0 8090
	run nbctl port "$(sb box)"
	assert_success
	assert_line "80/tcp -> 0.0.0.0:8090"
	assert_line --partial "published host port 0.0.0.0:8090/tcp is also held by a host socket bound after it (0.0.0.0:8090/tcp, held by python3 (pid $(cat "$NB_TMP/pid.late")))"
	# `docker port`'s stdout is unchanged: the warning is on stderr
	run --separate-stderr nbctl port "$(sb box)"
	assert_success
	assert_output "80/tcp -> 0.0.0.0:8090"
	run nbctl status
	assert_success
	assert_line --partial "1 also held by a host socket bound after it"
	assert_line --partial "0.0.0.0:8090/tcp -> sandbox \"$(sb box)\" port 80: 0.0.0.0:8090/tcp, held by python3"
	nbctl unpublish 8090:80 "$(sb box)"
}

# ---- subnets --------------------------------------------------------------

@test "up: the predefined bridge skips a docker0's address and a host route" {
	run net_subnet bridge
	assert_success
	# 172.17/16 is dk0's, 172.18/16 routed by the host: the next pool
	assert_output "172.19.0.0/16"
}

@test "network create: an automatic subnet skips the host's routes and addresses" {
	run nbctl network create auto1
	assert_success
	run net_subnet auto1
	assert_output "172.20.0.0/16"
	nbctl network rm auto1
}

@test "network create: an explicit subnet overlapping the host is refused unless --force" {
	expect_fail "network \"ov1\": subnet 172.17.5.0/24 overlaps the host's address 172.17.0.1/16 on dk0" \
		"--force" -- nbctl network create --subnet 172.17.5.0/24 ov1
	expect_fail "network \"ov2\": subnet 172.18.0.0/24 overlaps the host's route 172.18.0.0/16 dev dk0" \
		-- nbctl network create --subnet 172.18.0.0/24 ov2
	# netbpf's own gateway routes are its networks, named as such
	expect_fail "network \"ov3\": subnet 10.97.1.128/25 overlaps network \"pub\" (10.97.1.0/24)" \
		-- nbctl network create --subnet 10.97.1.128/25 ov3
	run nbctl network create --force --subnet 172.18.0.0/24 ov2
	assert_success
	nbctl network rm ov2
}

@test "up --bridge-subnet: kept in the state, checked, and moves an empty bridge" {
	run nbctl up --bridge-subnet 172.17.0.0/24
	assert_failure 1
	assert_output --partial "--bridge-subnet 172.17.0.0/24: overlaps the host's address 172.17.0.1/16 on dk0"
	run nbctl up --bridge-subnet 10.97.0.0/16
	assert_failure 1
	assert_output --partial "--bridge-subnet 10.97.0.0/16: overlaps network \"pub\" (10.97.1.0/24)"
	run nbctl up --bridge-subnet 10.97.2.1/24
	assert_failure 2
	assert_output --partial "no host bits"
	run net_subnet bridge
	assert_output "172.19.0.0/16"

	nbctl up --bridge-subnet 10.98.0.0/24
	run net_addressing bridge
	assert_output "10.98.0.0/24 10.98.0.1"
	# restored after down/up from the state
	nbctl down
	nbctl up
	run net_subnet bridge
	assert_output "10.98.0.0/24"
	in_host ip -4 -o addr show | grep -q " 10.98.0.1/24 "
	refute sh -c "nsenter --net=/run/netns/$NB_HOST ip -4 -o addr show | grep -q ' 172.19.0.1/16 '"
	# a bridge with a sandbox keeps its subnet
	nbctl sandbox create --network bridge "$(sb onbr)"
	run nbctl up --bridge-subnet 10.99.0.0/24
	assert_failure 1
	assert_output --partial "network \"bridge\" has subnet 10.98.0.0/24 and 1 endpoint(s); disconnect them first"
	ping_ok "onbr" 10.98.0.1
	nbctl sandbox rm "$(sb onbr)"
}

# ---- maps, decoded ----------------------------------------------------------

@test "map dump: nb_publish and nb_neigh decoded through their BTF, in JSON and as a table" {
	nbctl publish 198.18.0.1:8088:80 "$(sb box)"
	run nbctl map ls
	assert_success
	assert_line nb_publish
	assert_line nb_ct
	nbctl map dump nb_publish --format json >"$NB_TMP/pub.json"
	# the host's view of the port, not bpftool's network-order integers (8088 = 0x1f98 -> 38943)
	run json '[e for e in d if e["key"]["host_port"] == 8088][0]' <"$NB_TMP/pub.json"
	assert_success
	assert_output --partial '"host_ip": "198.18.0.1"'
	assert_output --partial '"proto": "tcp"'
	assert_output --partial "\"sb_ip\": \"$(sb_ip box)\""
	assert_output --partial '"sb_port": 80'
	run nbctl map dump nb_publish
	assert_success
	assert_line --index 0 --regexp '^KEY +VALUE$'
	assert_line --regexp "^host_ip=198.18.0.1 host_port=8088 proto=tcp +sb_ip=$(sb_ip box) sb_port=80 "
	# the ARP table: an address, and a MAC as Docker derives it
	run nbctl map dump nb_neigh
	assert_success
	assert_output --partial "$(docker_mac "$(sb_ip box)")"
	nbctl unpublish 198.18.0.1:8088:80 "$(sb box)"
	run nbctl map dump nb_nosuch
	assert_failure 1
	assert_output --partial "map \"nb_nosuch\": not pinned under"
	run nbctl map dump nb_events
	assert_failure 1
	assert_output --partial "a ring buffer"
}

# ---- what bpftool prints -------------------------------------------------------

# bpftool reads the maps through the BTF netbpfctl loads (user/lib/btfview.h):
# every address as its 4 bytes, never the integer a __be32 is on the CPU, and
# protocols, port and flow kinds and drop reasons by their names.
@test "bpftool map dump: addresses as their bytes, protocols, kinds and drop reasons by name" {
	local ip m
	ip=$(sb_ip box)
	nbctl publish 198.18.0.1:8094:5209 "$(sb box)"
	peer_serve box tcp 5209
	# a translated flow (nb_ct), and a drop charged to the box's port (nb_ep_drops)
	run in_world timeout 5 socat -t2 - TCP:198.18.0.1:8094,connect-timeout=3 <<<hello
	assert_output --partial "PEER 198.18.0.2:"
	in_sb box ip addr add 10.97.1.200/24 dev eth0
	in_sb box ping -n -c2 -i0.3 -W1 -I 10.97.1.200 10.97.1.1 >/dev/null 2>&1 || true
	in_sb box ip addr del 10.97.1.200/24 dev eth0
	for m in nb_publish nb_ct nb_ports nb_networks nb_neigh nb_subnets nb_local_addrs \
		nb_uplinks nb_ep_drops; do
		nb_map "$m" >"$NB_TMP/bt.$m.json"
	done
	run python3 - "$NB_TMP" "$ip" <<-'EOF'
		import json, sys
		tmp, ip = sys.argv[1], sys.argv[2]
		def entries(m):
		    return [e["formatted"] for e in json.load(open("%s/bt.%s.json" % (tmp, m)))]
		def addr(a):
		    return [int(x) for x in a.split(".")]
		def has(m, what, pred):
		    if not any(pred(e["key"], e.get("value")) for e in entries(m)):
		        sys.exit("%s: no entry with %s in %s" % (m, what, json.dumps(entries(m))))
		has("nb_publish", "198.18.0.1:8094/tcp -> the box", lambda k, v:
		    k["host_ip"] == [198, 18, 0, 1] and k["proto"] == "IPPROTO_TCP"
		    and v["sb_ip"] == addr(ip))
		has("nb_ct", "the world's flow to the box, DNAT", lambda k, v:
		    k["saddr"] == [198, 18, 0, 2] and k["daddr"] == [198, 18, 0, 1]
		    and k["proto"] == "IPPROTO_TCP" and v["type"] == "NB_CT_DNAT"
		    and v["dir"] == "NB_CT_DIR_ORIG" and v["state"].startswith("NB_CT_S_")
		    and v["nat_daddr"] == addr(ip))
		has("nb_ports", "the box's endpoint", lambda k, v:
		    v["kind"] == "NB_PORT_ENDPOINT" and v["ip"] == addr(ip))
		has("nb_ports", "the gateway port", lambda k, v:
		    v["kind"] == "NB_PORT_GATEWAY" and v["ip"] == [10, 97, 1, 1])
		has("nb_networks", "network pub", lambda k, v:
		    v["subnet"] == [10, 97, 1, 0] and v["gateway"] == [10, 97, 1, 1])
		has("nb_neigh", "the box's address", lambda k, v: k["ip"] == addr(ip))
		has("nb_subnets", "pub's prefix", lambda k, v: k["addr"] == [10, 97, 1, 0])
		has("nb_local_addrs", "the uplink's address", lambda k, v: k == [198, 18, 0, 1])
		has("nb_uplinks", "up0", lambda k, v: v["ip"] == [198, 18, 0, 1])
		has("nb_ep_drops", "the spoofed source", lambda k, v:
		    k["reason"] in ("NB_DROP_SPOOF_IP", "NB_DROP_SPOOF_ARP"))
		print("readable")
	EOF
	assert_success
	assert_output readable
	# the plain form reads the same; 198.18.0.1 was the integer 16781510
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_success
	assert_output --partial '"host_ip": [198,18,0,1'
	assert_output --partial '"proto": "IPPROTO_TCP"'
	refute_output --regexp '"(host_ip|sb_ip)": [0-9]'
	nbctl unpublish 198.18.0.1:8094:5209 "$(sb box)"
}
