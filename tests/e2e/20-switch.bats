#!/usr/bin/env bats
# The eBPF switch: forwarding, ARP in BPF, isolation, icc, internal, anti-spoofing.
#
#   world ($NB_WORLD) wan0 198.18.0.2 ── up0 198.18.0.1  host ($NB_HOST, ip_forward=1)
#   route 10.91.0.0/16 via 198.18.0.1                        │
#        ┌──────────────────────────┬──────────────────────┼─────────────────┬──────────────┐
#   neta 10.91.1.0/24 (nbg)    netb 10.91.2.0/24     neti 10.91.3.0/24   netn 10.91.4.0/24
#    a1   a2   m:eth0           b1   m:eth1           i1   i2            n1
#                                                     enable_icc=false    --internal
#
# Sandboxes are /run/netns/$NB_ID-<name>. The host routes between every
# subnet and the world routes 10.91.0.0/16 back to it, so anything that does
# not get through was stopped by netbpf. Drops are read from the pinned
# nb_drops map; every test ends checking no bridge and no firewall rule.

load lib

switch_setup() {
	nb_setup_instance
	in_host sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NB_WORLD" route add 10.91.0.0/16 via 198.18.0.1
	nbctl network create --subnet 10.91.1.0/24 neta
	nbctl network create --subnet 10.91.2.0/24 netb
	nbctl sandbox create --network neta "$(sb a1)"
	nbctl sandbox create --network neta "$(sb a2)"
	nbctl sandbox create --network netb "$(sb b1)"
}
setup_file() { nb_setup_file switch_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

@test "two sandboxes on one network ping each other" {
	a1=$(sb_ip a1) a2=$(sb_ip a2)
	assert_regex "$a1" '^10\.91\.1\.[0-9]+$'
	assert_regex "$a2" '^10\.91\.1\.[0-9]+$'
	assert_not_equal "$a1" "$a2"
	ping_ok a1 "$a2"
	ping_ok a2 "$a1"
}

@test "two sandboxes exchange TCP in both directions (256 KiB echoed)" {
	tcp_echo_check a1 a2 "$(sb_ip a2)" 7001
	tcp_echo_check a2 a1 "$(sb_ip a1)" 7002
}

@test "the peer's MAC is learned from ARP answered in BPF (the peer never answers)" {
	a1=$(sb_ip a1) a2=$(sb_ip a2)
	# a2 stops answering ARP itself; a1 forgets what it knew
	in_sb a2 sysctl -qw net.ipv4.conf.all.arp_ignore=8 net.ipv4.conf.eth0.arp_ignore=8
	in_sb a1 ip neigh flush dev eth0
	in_sb a2 ip neigh flush dev eth0
	run ping_ok a1 "$a2"
	neigh=$(in_sb a1 ip neigh show "$a2" dev eth0)
	in_sb a2 sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0
	echo "$output"
	assert_success
	echo "a1's neighbour entry: $neigh"
	assert_regex "$neigh" "lladdr $(docker_mac "$a2")"
	# and the MAC is the one a2's eth0 really has
	assert_equal "$(sb_mac a2)" "$(docker_mac "$a2")"
}

@test "sandbox -> gateway and host -> sandbox ping" {
	ping_ok a1 10.91.1.1
	ping_ok b1 10.91.2.1
	ping_ok host "$(sb_ip a1)"
	ping_ok host "$(sb_ip b1)"
	# the gateway's MAC, too, comes from netbpf's ARP answer
	run in_sb a1 ip neigh show 10.91.1.1 dev eth0
	assert_success
	assert_output --partial "lladdr $(docker_mac 10.91.1.1)"
}

@test "host -> sandbox TCP" {
	tcp_echo_check host a1 "$(sb_ip a1)" 7003
}

@test "sandbox reaches the world through the host's routing (the control for internal)" {
	ping_ok a1 198.18.0.2
}

@test "networks are isolated when routed through the host" {
	b1=$(sb_ip b1)
	before=$(nb_drops ISOLATION)
	# the host itself reaches both networks...
	ping_ok host "$b1"
	ping_ok host "$(sb_ip a1)"
	# ...but a1's packets to b1, sent to its gateway, are stopped
	ping_fails a1 "$b1"
	ping_fails b1 "$(sb_ip a1)"
	after=$(nb_drops ISOLATION)
	echo "isolation drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
	# TCP too: b1 listens, a1 cannot connect, the host can
	nb_bg "$NB_TMP/srv.7004.log" nsenter --net=/run/netns/"$(sb b1)" \
		socat TCP-LISTEN:7004,reuseaddr EXEC:cat
	wait_listen b1 7004
	run timeout 5 nsenter --net=/run/netns/"$(sb a1)" \
		socat -t2 - TCP:"$b1":7004,connect-timeout=2 <<<"from-a1"
	assert_failure
	run timeout 5 nsenter --net=/run/netns/"$NB_HOST" \
		socat -t2 - TCP:"$b1":7004,connect-timeout=2 <<<"from-host"
	assert_success
	assert_output from-host
}

@test "networks are isolated at L2 (a frame sent straight to the other network's MAC)" {
	b1=$(sb_ip b1)
	before=$(nb_drops UNKNOWN_UNICAST ISOLATION)
	# a1 believes b1 is on its own link, with b1's real MAC
	in_sb a1 ip route add "$b1"/32 dev eth0
	in_sb a1 ip neigh replace "$b1" lladdr "$(sb_mac b1)" dev eth0 nud permanent
	run ping_fails a1 "$b1"
	in_sb a1 ip neigh del "$b1" dev eth0
	in_sb a1 ip route del "$b1"/32 dev eth0
	echo "$output"
	assert_success
	after=$(nb_drops UNKNOWN_UNICAST ISOLATION)
	echo "unknown unicast + isolation drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
	ping_ok host "$b1"
}

@test "enable_icc=false blocks sandbox <-> sandbox but not sandbox <-> gateway" {
	nbctl network create --subnet 10.91.3.0/24 -o com.docker.network.bridge.enable_icc=false neti
	nbctl sandbox create --network neti "$(sb i1)"
	nbctl sandbox create --network neti "$(sb i2)"
	before=$(nb_drops ICC)
	ping_ok i1 10.91.3.1
	ping_ok i2 10.91.3.1
	ping_ok host "$(sb_ip i1)"
	ping_fails i1 "$(sb_ip i2)"
	ping_fails i2 "$(sb_ip i1)"
	after=$(nb_drops ICC)
	echo "icc drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
}

@test "--internal: the gateway is reachable, the world is not" {
	nbctl network create --subnet 10.91.4.0/24 --internal netn
	nbctl sandbox create --network netn "$(sb n1)"
	before=$(nb_drops INTERNAL)
	ping_ok n1 10.91.4.1
	ping_fails n1 198.18.0.2
	# nor another network through the host
	ping_fails n1 "$(sb_ip a1)"
	after=$(nb_drops INTERNAL)
	echo "internal drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
}

@test "a spoofed source IP is dropped and counted" {
	a2=$(sb_ip a2)
	ping_ok a1 "$a2"
	before=$(nb_drops SPOOF_IP SPOOF_ARP)
	in_sb a1 ip addr add 10.91.1.200/24 dev eth0
	run ping_fails a1 "$a2" -I 10.91.1.200
	in_sb a1 ip addr del 10.91.1.200/24 dev eth0
	echo "$output"
	assert_success
	after=$(nb_drops SPOOF_IP SPOOF_ARP)
	echo "spoof drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
	# the real address still works
	ping_ok a1 "$a2"
}

@test "a spoofed source MAC is dropped and counted" {
	a2=$(sb_ip a2)
	mac=$(sb_mac a1)
	before=$(nb_drops SPOOF_MAC)
	in_sb a1 ip link set eth0 address 02:42:0a:5b:01:99
	run ping_fails a1 "$a2"
	in_sb a1 ip link set eth0 address "$mac"
	echo "$output"
	assert_success
	after=$(nb_drops SPOOF_MAC)
	echo "spoofed MAC drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
	ping_ok a1 "$a2"
}

@test "ARP spoofing: a gratuitous ARP claiming a peer's address is dropped and counted" {
	a1=$(sb_ip a1) a2=$(sb_ip a2)
	ping_ok host "$a2"
	before=$(nb_drops SPOOF_ARP)
	# from a1's own MAC, sender IP = a2's address, to everyone
	in_sb a1 python3 -c '
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
ip = socket.inet_aton(sys.argv[2])
arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ip, bytes(6), ip)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(3):
    s.send(b"\xff" * 6 + mac + b"\x08\x06" + arp)
' "$(sb_mac a1)" "$a2"
	after=$(nb_drops SPOOF_ARP)
	echo "ARP spoof drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
	# nobody learned a1's MAC for a2's address
	run ip -n "$NB_HOST" neigh show "$a2"
	echo "host's entry for a2: $output"
	assert_success
	refute grep -q "$(sb_mac a1)" <<<"$output"
	run in_sb b1 ip neigh show "$a2"
	assert_success
	refute grep -q "$(sb_mac a1)" <<<"$output"
	ping_ok host "$a2"
	ping_ok a1 "$a2"
}

@test "ARP for an address nobody holds and frames to unknown MACs are dropped and counted" {
	arp_before=$(nb_drops ARP_UNKNOWN)
	ping_fails a1 10.91.1.222
	arp_after=$(nb_drops ARP_UNKNOWN)
	echo "ARP for nobody: $arp_before -> $arp_after"
	assert [ "$arp_after" -gt "$arp_before" ]

	uu_before=$(nb_drops UNKNOWN_UNICAST)
	in_sb a1 ip neigh replace 10.91.1.223 lladdr 02:42:0a:5b:01:df dev eth0 nud permanent
	run ping_fails a1 10.91.1.223
	in_sb a1 ip neigh del 10.91.1.223 dev eth0
	echo "$output"
	assert_success
	uu_after=$(nb_drops UNKNOWN_UNICAST)
	echo "unknown unicast: $uu_before -> $uu_after"
	assert [ "$uu_after" -gt "$uu_before" ]
}

@test "a sandbox on two networks reaches both, and they stay isolated from each other" {
	nbctl sandbox create --network neta --network netb "$(sb m)"
	assert_regex "$(sb_ip m eth0)" '^10\.91\.1\.[0-9]+$'
	assert_regex "$(sb_ip m eth1)" '^10\.91\.2\.[0-9]+$'
	# default route via the first network's gateway
	in_sb m ip route show default | grep -q 'via 10.91.1.1 dev eth0'
	ping_ok m "$(sb_ip a1)"
	ping_ok m "$(sb_ip b1)"
	ping_ok a1 "$(sb_ip m eth0)"
	ping_ok b1 "$(sb_ip m eth1)"
	tcp_echo_check m b1 "$(sb_ip b1)" 7005
	# m being on both does not join them
	ping_fails a1 "$(sb_ip b1)"
}

@test "broadcast still reaches the peers of a network (flooded, not dropped)" {
	a2=$(sb_ip a2)
	# a2 answers broadcast pings; a1 pings the subnet broadcast address
	in_sb a2 sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=0
	run in_sb a1 ping -n -b -c2 -i0.3 -W1 10.91.1.255
	echo "$output"
	in_sb a2 sysctl -qw net.ipv4.icmp_echo_ignore_broadcasts=1
	assert_success
	assert_output --partial "from $a2"
}

@test "no bridge device and no firewall rule anywhere in the host netns" {
	assert_no_bridge_no_rules
	# and forwarding between sandboxes really is BPF's: tc programs on every
	# nbe (endpoint) and nbp (gateway) port
	devs=$(ip -n "$NB_HOST" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^nb[ep]')
	echo "$devs"
	assert [ "$(grep -c '^nbe' <<<"$devs")" -ge 3 ]
	assert [ "$(grep -c '^nbp' <<<"$devs")" -ge 2 ]
	for dev in $devs; do
		in_host tc filter show dev "$dev" ingress | grep -q bpf
	done
}
