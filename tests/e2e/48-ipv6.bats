#!/usr/bin/env bats
# IPv6 dual stack (issue 16): networks with an IPv6 subnet, sandboxes with v6 addresses,
# Docker's JSON for them, and v6 traffic through the switch.
#
#   host ($NB_HOST)                                     sandboxes
#   nbg<dual> 10.61.0.1/24 + fd00:61::1/64  ── dual ─── a (fd00:61::2), b (fd00:61::50)
#   nbg<other> 10.62.0.1/24 + fd00:62::1/64 ── other ── c (fd00:62::2)
#   nbg<v4> 10.63.0.1/24                    ── v4 ───── d (no v6)

bats_require_minimum_version 1.5.0
load lib
load nat

v6_setup() {
	nb_setup_instance
	nbctl network create --ipv6 --subnet 10.61.0.0/24 --subnet fd00:61::/64 dual
	nbctl network create --ipv6 --subnet fd00:62::/64 --subnet 10.62.0.0/24 other
	nbctl network create --subnet 10.63.0.0/24 v4
	nbctl sandbox create --network dual "$(sb a)"
	nbctl sandbox create --network dual --ip6 fd00:61::50 "$(sb b)"
	nbctl sandbox create --network other "$(sb c)"
	nbctl sandbox create --network v4 "$(sb d)"
}
setup_file() { nb_setup_file v6_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { nb_kill_bg; }

# sb_ip6 NAME: the global IPv6 address of sandbox NAME's eth0
sb_ip6() {
	in_sb "$1" ip -o -6 addr show dev eth0 scope global | awk '{split($4, a, "/"); print a[1]; exit}'
}
# dad_done NAME: no tentative address left on the sandbox's eth0
dad_done() {
	[ -z "$(in_sb "$1" ip -6 addr show dev eth0 tentative)" ]
}

@test "network inspect: EnableIPv6 and both IPAM.Config entries" {
	run nbctl network inspect dual
	assert_success
	run json 'd[0]["EnableIPv6"]' <<<"$output"
	assert_output true
	run nbctl network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}}' dual
	assert_success
	assert_output '10.61.0.0/24 10.61.0.1;fd00:61::/64 fd00:61::1;'
	run nbctl network inspect -f '{{.EnableIPv6}} {{len .IPAM.Config}}' v4
	assert_output 'false 1'
	# the predefined bridge stays IPv4
	run nbctl network inspect -f '{{.EnableIPv6}}' bridge
	assert_output false
	run nbctl network ls --format '{{.Name}} {{.IPv6}}' --filter name=dual
	assert_output 'dual true'
}

@test "network inspect: each container's IPv6Address" {
	run nbctl network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}} {{.IPv6Address}};{{end}}' dual
	assert_success
	assert_output --partial "$(sb a) 10.61.0.2/24 fd00:61::2/64;"
	assert_output --partial "$(sb b) 10.61.0.3/24 fd00:61::50/64;"
	run nbctl network inspect -f '{{range .Containers}}{{.IPv6Address}};{{end}}' v4
	assert_output ';'
}

@test "sandbox inspect: GlobalIPv6Address, its prefix length and IPv6Gateway" {
	run nbctl sandbox inspect -f '{{with .NetworkSettings.Networks.dual}}{{.GlobalIPv6Address}}/{{.GlobalIPv6PrefixLen}} via {{.IPv6Gateway}}{{end}}' "$(sb a)"
	assert_success
	assert_output 'fd00:61::2/64 via fd00:61::1'
	run nbctl sandbox inspect -f '{{with .NetworkSettings.Networks.v4}}[{{.GlobalIPv6Address}}] [{{.IPv6Gateway}}]{{end}}' "$(sb d)"
	assert_output '[] []'
	run nbctl sandbox ls --format '{{.IPAddresses}}' --filter name="$(sb b)"
	assert_output '10.61.0.3,fd00:61::50'
}

@test "the kernel: v6 address and default route in the sandbox, EUI-64 link-local, gateway on nbg" {
	run sb_ip6 a
	assert_output fd00:61::2
	run in_sb a ip -6 route show default
	assert_output --partial 'default via fd00:61::1 dev eth0'
	# addr_gen_mode eui64: fe80:: + the MAC with the U/L bit flipped and ff:fe inserted
	run in_sb a ip -6 addr show dev eth0 scope link
	assert_output --partial 'inet6 fe80::42:aff:fe3d:2/64'
	run in_host ip -6 -o addr show scope global
	assert_output --partial 'fd00:61::1/64'
	assert_output --partial 'fd00:62::1/64'
	# a sandbox of a v4-only network has no global v6 address nor v6 default route
	run sb_ip6 d
	assert_output ''
	run in_sb d ip -6 route show default
	assert_output ''
	# forwarding is on in the instance's netns, for v6 too
	run in_host cat /proc/sys/net/ipv6/conf/all/forwarding
	assert_output 1
}

@test "the maps: the networks' v6 subnets, the endpoints' and gateway's v6 neighbours" {
	run nb_map nb_subnets6
	assert_success
	run json 'sorted("%s/%d" % (__import__("ipaddress").ip_address(bytes(e["formatted"]["key"]["addr"])), e["formatted"]["key"]["prefixlen"]) for e in d)' <<<"$output"
	assert_output '["fd00:61::/64", "fd00:62::/64"]'
	run nb_map nb_neigh6
	assert_success
	run json 'sorted(str(__import__("ipaddress").ip_address(bytes(e["formatted"]["key"]["ip6"]))) for e in d)' <<<"$output"
	assert_output --partial '"fd00:61::1", "fd00:61::2", "fd00:61::50"'
	assert_output --partial '"fd00:62::1", "fd00:62::2"'
}

@test "network connect --ip6 and disconnect; the address is free again" {
	run nbctl network connect --ip6 fd00:62::77 other "$(sb a)"
	assert_success
	run in_sb a ip -o -6 addr show dev eth1 scope global
	assert_output --partial 'fd00:62::77/64'
	run nbctl network disconnect other "$(sb a)"
	assert_success
	run nbctl network connect --ip6 fd00:62::77 other "$(sb d)"
	assert_success
	run nbctl network disconnect other "$(sb d)"
	assert_success
}

@test "automatic v6 addresses: the lowest free, never the gateway, from --ip-range" {
	run nbctl network create --ipv6 --subnet 10.64.0.0/24 --subnet fd00:64::/64 \
		--ip-range fd00:64::100/120 --gateway fd00:64::1 ranged
	assert_success
	run nbctl sandbox create --network ranged "$(sb r1)"
	assert_success
	run nbctl sandbox create --network ranged "$(sb r2)"
	assert_success
	run nbctl network inspect -f '{{range .IPAM.Config}}{{.IPRange}};{{end}}' ranged
	assert_output ';fd00:64::100/120;'
	run sb_ip6 r2
	assert_output fd00:64::101
	run nbctl sandbox rm "$(sb r1)" "$(sb r2)"
	assert_success
	run nbctl network rm ranged
	assert_success
}

@test "ping6 between sandboxes of a network and to the gateway, after DAD" {
	wait_for dad_done a
	wait_for dad_done b
	run ping_ok a fd00:61::50
	assert_success
	run ping_ok b fd00:61::2
	assert_success
	run ping_ok a fd00:61::1
	assert_success
	# the link-local addresses too
	run ping_ok a fe80::42:aff:fe3d:3%eth0
	assert_success
}

@test "TCP and UDP over IPv6 between sandboxes" {
	wait_for dad_done a
	wait_for dad_done b
	head -c 65536 /dev/urandom >"$NB_TMP/tx6"
	nb_bg "$NB_TMP/srv6.log" nsenter --net=/run/netns/"$(sb b)" \
		socat TCP6-LISTEN:8061,reuseaddr EXEC:cat
	wait_listen b 8061
	timeout 15 nsenter --net=/run/netns/"$(sb a)" \
		socat -t5 - TCP6:'[fd00:61::50]':8061,connect-timeout=3 <"$NB_TMP/tx6" >"$NB_TMP/rx6"
	run cmp "$NB_TMP/tx6" "$NB_TMP/rx6"
	assert_success
	nb_bg "$NB_TMP/udp6.log" nsenter --net=/run/netns/"$(sb b)" \
		socat -u UDP6-RECV:8062,bind='[fd00:61::50]' OPEN:"$NB_TMP/udp6.rx",creat
	sleep 0.3
	echo hello-v6 | in_sb a socat -u - UDP6-SENDTO:'[fd00:61::50]':8062
	wait_for grep -q hello-v6 "$NB_TMP/udp6.rx"
	run cat "$NB_TMP/udp6.rx"
	assert_output hello-v6
}

@test "routed v6 through the gateway between networks is dropped (isolation), v4 too" {
	wait_for dad_done a
	wait_for dad_done c
	run ping_fails a fd00:62::2
	assert_success
	run ping_fails c fd00:61::2
	assert_success
	run ping_fails a 10.62.0.2
	assert_success
}

@test "down and up keep the v6 addresses, routes and traffic" {
	run nbctl down
	assert_success
	run nbctl up
	assert_success
	run sb_ip6 a
	assert_output fd00:61::2
	run in_sb a ip -6 route show default
	assert_output --partial 'default via fd00:61::1 dev eth0'
	run in_host ip -6 -o addr show scope global
	assert_output --partial 'fd00:61::1/64'
	wait_for dad_done a
	run ping_ok a fd00:61::50
	assert_success
}

@test "a spoofed v6 source is dropped and counted; a sandbox taking another's address fails DAD" {
	wait_for dad_done a
	wait_for dad_done b
	local before after
	# a knows b's MAC first, so the spoofed packet is the echo request itself (a neighbour
	# solicitation for b would go to its multicast group, dropped earlier as link control)
	run ping_ok a fd00:61::50
	assert_success
	before=$(nb_drops SPOOF_IP6)
	# a sends from an address of the subnet that is not its own (no DAD: it would fail)
	in_sb a ip -6 addr add fd00:61::99/128 dev eth0 nodad
	run ping_fails a fd00:61::50 -I fd00:61::99
	assert_success
	in_sb a ip -6 addr del fd00:61::99/128 dev eth0
	after=$(nb_drops SPOOF_IP6)
	echo "spoof-ip6 drops: $before -> $after"
	assert [ "$after" -gt "$before" ]
	# b's address, with DAD, in a: the switch answers for b, a's kernel marks it dadfailed
	in_sb a ip -6 addr add fd00:61::50/128 dev eth0
	wait_for sh -c "nsenter --net=/run/netns/$(sb a) ip -6 addr show dev eth0 dadfailed | grep -q fd00:61::50"
	run in_sb a ip -6 addr show dev eth0 dadfailed
	assert_output --partial 'fd00:61::50'
	in_sb a ip -6 addr del fd00:61::50/128 dev eth0
	# b still has it and is still reachable
	run ping_ok a fd00:61::50
	assert_success
}

@test "gc and up --reload keep the v6 addresses in the maps" {
	run nbctl gc
	assert_success
	run nbctl up --reload
	assert_success
	run nb_map nb_neigh6
	run json 'sorted(str(__import__("ipaddress").ip_address(bytes(e["formatted"]["key"]["ip6"]))) for e in d)' <<<"$output"
	assert_output --partial '"fd00:61::1", "fd00:61::2", "fd00:61::50"'
	wait_for dad_done a
	run ping_ok a fd00:61::50
	assert_success
}

@test "an IPv6-only network (--ipv4=false): v6 addresses, MACs from them, traffic; no v4 anywhere" {
	run nbctl network create --ipv6 --ipv4=false --subnet fd00:65::/64 only6
	assert_success
	run nbctl network inspect -f '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}}' only6
	assert_output 'true fd00:65::/64 fd00:65::1;'
	run nbctl sandbox create --network only6 "$(sb o1)"
	assert_success
	run nbctl sandbox create --network only6 --ip6 fd00:65::a:b "$(sb o2)"
	assert_success
	# the MAC rule of an IPv6-only endpoint: 02:42 + the last four bytes of its address
	assert_equal "$(sb_mac o2 2>/dev/null)" 02:42:00:0a:00:0b
	assert_equal "$(sb_mac o1 2>/dev/null)" 02:42:00:00:00:02
	run in_sb o1 ip -o -4 addr show dev eth0
	assert_output ''
	run in_sb o1 ip -6 route show default
	assert_output --partial 'default via fd00:65::1 dev eth0'
	run nbctl sandbox inspect -f '{{with .NetworkSettings.Networks.only6}}[{{.IPAddress}}] {{.GlobalIPv6Address}}{{end}}' "$(sb o1)"
	assert_output '[] fd00:65::2'
	wait_for dad_done o1
	wait_for dad_done o2
	run ping_ok o1 fd00:65::a:b
	assert_success
	run ping_ok o2 fd00:65::1
	assert_success
	# a fixed address whose MAC another endpoint has is refused, naming it
	run nbctl sandbox create --network only6 --ip6 fd00:65:0:0:1::2 "$(sb o3)"
	assert_failure
	assert_output --partial '02:42:00:00:00:02'
	assert_output --partial "$(sb o1)"
	# no IPv4 asked of it, no IPv4 port published through it: the default spec is [::] alone
	run nbctl network connect --ip 10.9.9.9 only6 "$(sb a)"
	assert_failure
	assert_output --partial 'has no IPv4'
	run nbctl publish 0.0.0.0:8098:80 "$(sb o1)"
	assert_failure
	assert_output --partial 'no IPv4 address'
	run nbctl publish 8099:80 "$(sb o1)"
	assert_success
	assert_output '80/tcp -> [::]:8099'
	# restored by up as a dual-stack one is
	run nbctl down
	assert_success
	run nbctl up
	assert_success
	wait_for dad_done o1
	run ping_ok o1 fd00:65::a:b
	assert_success
	run nbctl network create --ipv4=false --subnet fd00:66::/64 only6b
	assert_failure
	assert_output --partial 'needs --ipv6'
	run nbctl network create --ipv6 --ipv4=false --subnet 10.9.0.0/24 --subnet fd00:66::/64 only6c
	assert_failure
	assert_output --partial 'takes no IPv4 --subnet'
	run nbctl sandbox rm "$(sb o1)" "$(sb o2)"
	assert_success
	run nbctl network rm only6
	assert_success
}

@test "a dual-stack socket reaches a published IPv4 port at ::ffff:127.0.0.1 (connect6, sendmsg4, recvmsg6 and getpeername6 hooks) and sees that address as its peer" {
	nb_bg "$NB_TMP/mapped-tcp.log" nsenter --net=/run/netns/"$(sb a)" \
		socat TCP4-LISTEN:80,reuseaddr,fork SYSTEM:'echo hello-mapped'
	peer_serve a udp 81
	wait_listen a 80
	run nbctl publish 8097:80 "$(sb a)"
	assert_success
	run nbctl publish 8096:81/udp "$(sb a)"
	assert_success
	run in_host_cg python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(("::ffff:127.0.0.1", 8097))
p = s.getpeername()
print(p[0], p[1], s.recv(100).decode().strip())
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.settimeout(3)
u.sendto(b"udp-mapped", ("::ffff:127.0.0.1", 8096))
data, peer = u.recvfrom(2048)
print(peer[0], peer[1], data.decode().strip())'
	assert_success
	assert_line --index 0 '::ffff:127.0.0.1 8097 hello-mapped'
	# the answer comes from the published address (recvmsg6), not the sandbox's
	assert_line --index 1 --regexp '^::ffff:127\.0\.0\.1 8096 PEER [0-9.]+:[0-9]+ udp-mapped$'
	# outside the instance's cgroup the hooks do not apply: nothing listens on the host
	run in_host python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(2)
s.connect(("::ffff:127.0.0.1", 8097))'
	assert_failure
	run nbctl unpublish 8097:80 "$(sb a)"
	assert_success
	run nbctl unpublish 8096:81/udp "$(sb a)"
	assert_success
}
