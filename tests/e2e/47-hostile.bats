#!/usr/bin/env bats
# Attacks on the data plane from a sandbox and from outside (issue 19), each
# case checked by what the attacker gets and by the drop counter it leaves.
#
#   world ($NB_WORLD) wan0 198.18.0.2, .3 ──veth── up0 198.18.0.1  host ($NB_HOST)
#   route 10.97.0.0/16 via 198.18.0.1            │ nbg gateways (accept_ra=0)
#   (the attacker: routes the sandbox   ┌────────┼─────────────────┬──────────────────┐
#    subnets via the uplink address)   nat 10.97.1.0/24      plain 10.97.2.0/24   lan 10.97.3.0/24
#                                      w1 (-p 8000:80)       r1                   g1 (-p 8300:80)
#                                      masquerade            enable_ip_masquerade gateway_mode_ipv4
#                                                            =false               =routed
#
# Every test ends checking that the host netns has no bridge and no firewall
# rule: what is refused is refused by netbpf's programs.

load lib
load nat

hostile_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.97.1.0/24 nat
	nbctl network create --subnet 10.97.2.0/24 \
		-o com.docker.network.bridge.enable_ip_masquerade=false plain
	nbctl network create --subnet 10.97.3.0/24 \
		-o com.docker.network.bridge.gateway_mode_ipv4=routed lan
	nbctl sandbox create --network nat -p 8000:80 "$(sb w1)"
	nbctl sandbox create --network plain "$(sb r1)"
	nbctl sandbox create --network lan -p 8300:80 "$(sb g1)"
	ip -n "$NB_WORLD" route add 10.97.0.0/16 via 198.18.0.1
	# a second client address in the world, for the allow-lists
	ip -n "$NB_WORLD" addr add 198.18.0.3/24 dev wan0
	http_serve w1 80
	http_serve w1 9999
	http_serve r1 9999
	http_serve g1 80
	http_serve g1 81
	http_serve world 80
	peer_serve w1 udp 9999
}
setup_file() { nb_setup_file hostile_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { assert_no_bridge_no_rules; }

# sb_ll SANDBOX: gives SANDBOX's eth0 a link-local address of its own, usable at once
# (nodad: the autoconfigured one may still be tentative on a loaded machine)
sb_ll() {
	in_sb "$1" ip -6 addr replace fe80::97:1/64 dev eth0 nodad
}

# sb_ll_own SANDBOX: SANDBOX's eth0 gets the link-local address EUI-64 derives from its
# MAC (what the switch accepts as its source), without DAD; prints it
sb_ll_own() {
	local m ll
	IFS=: read -ra m < <(in_sb "$1" ip -o link show dev eth0 |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	ll=$(printf 'fe80::%x:%x:%x:%x' $(( (0x${m[0]} ^ 2) << 8 | 0x${m[1]} )) \
		$(( 0x${m[2]} << 8 | 0xff )) $(( 0xfe << 8 | 0x${m[3]} )) \
		$(( 0x${m[4]} << 8 | 0x${m[5]} )))
	in_sb "$1" ip -6 addr replace "$ll/64" dev eth0 nodad >&2
	echo "$ll"
}

# ra_send SANDBOX: three router advertisements to all nodes from SANDBOX's eth0
# (default route, prefix 2001:db8:97::/64), as a rogue radvd would send them
ra_send() {
	sb_ll "$1"
	in_sb "$1" /usr/bin/python3 - <<'PY'
import socket, struct, time
ifx = socket.if_nametoindex("eth0")
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifx)
s.bind(("fe80::97:1", 0, 0, ifx))
# type 134, hop limit 64, router lifetime 1800 s; the kernel fills the checksum
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
pio = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0)
pio += socket.inet_pton(socket.AF_INET6, "2001:db8:97::")
for _ in range(3):
    s.sendto(ra + pio, ("ff02::1", 0, 0, ifx))
    time.sleep(0.2)
PY
}

@test "router advertisements: every gateway port has accept_ra=0" {
	run in_host sh -c 'for d in /proc/sys/net/ipv6/conf/nb[gp]*; do
		echo "${d##*/} $(cat "$d/accept_ra")"; done'
	assert_success
	assert_line --regexp '^nbg[0-9]+ 0$'
	refute_line --regexp '^nb[gp][0-9]+ [^0]'
}

@test "router advertisements: a sandbox's RA is dropped (router-msg), the host keeps its routes" {
	local before
	before=$(nb_drops ROUTER_MSG)
	ra_send w1
	sleep 0.5
	run in_host ip -6 route show default
	assert_success
	assert_output ''
	run in_host ip -6 addr show
	refute_output --partial '2001:db8:97:'
	run nb_drops ROUTER_MSG
	assert_success
	(( output >= before + 3 )) || fail "router-msg drops: $before -> $output, want +3"
}

@test "IPv6 from a sandbox does not reach the host while networks have no IPv6 (no-ipv6)" {
	local gw gw6 before ll
	# w1's gateway: 10.97.1.1 on an nbg device, MAC derived from the address
	gw=$(in_host ip -o -4 addr show to 10.97.1.1 | awk '{print $2; exit}')
	gw6=$(in_host ip -6 -o addr show dev "$gw" scope link | awk '{split($4, a, "/"); print a[1]; exit}')
	[ -n "$gw6" ] || fail "the gateway $gw has no link-local address"
	before=$(nb_drops NO_IPV6)
	# neighbour discovery (multicast) stays among the sandboxes: without this entry the
	# sandbox would never learn the gateway's MAC, and never send it a packet
	in_sb w1 ip -6 neigh replace "$gw6" lladdr "$(docker_mac 10.97.1.1)" dev eth0 nud permanent
	# from the sandbox's own link-local address (EUI-64 of its MAC), its only one: another
	# source is dropped earlier, as spoof-ip6
	in_sb w1 ip -6 addr del fe80::97:1/64 dev eth0 2>/dev/null || true
	ll=$(sb_ll_own w1)
	run in_sb w1 ip -6 -o addr show dev eth0 scope link
	assert_output --partial "$ll/64"
	run ping_fails w1 "$gw6" -6 -I eth0
	assert_success
	run nb_drops NO_IPV6
	(( output > before )) || fail "no-ipv6 drops: $before -> $output"
}

@test "from outside: unpublished sandbox ports are unreachable at the sandbox's address (unpublished)" {
	local w1 r1 g1 before
	w1=$(sb_ip w1) r1=$(sb_ip r1) g1=$(sb_ip g1)
	before=$(nb_drops UNPUBLISHED)
	# the control: the published port at the host's address
	run http_get world http://198.18.0.1:8000/
	assert_success
	assert_output w1:80
	# a masquerading network: nothing, not even the published container port
	run http_get world "http://$w1:9999/" --max-time 2
	assert_failure
	run http_get world "http://$w1:80/" --max-time 2
	assert_failure
	# a network without masquerade, and a routed one's unpublished port
	run http_get world "http://$r1:9999/" --max-time 2
	assert_failure
	run http_get world "http://$g1:81/" --max-time 2
	assert_failure
	run udp_ask world "$w1" 9999 probe
	refute_output --partial PEER
	run ping_fails world "$r1"
	assert_success
	run nb_drops UNPUBLISHED
	(( output >= before + 5 )) || fail "unpublished drops: $before -> $output"
	# nobody in the sandboxes saw any of it
	run cat "$NB_TMP/http.w1.9999.log" "$NB_TMP/http.r1.9999.log" "$NB_TMP/http.g1.81.log" \
		"$NB_TMP/peer.w1.udp.9999.log"
	refute_output --partial 198.18.0.2
}

@test "from outside: the answers to a no-masquerade sandbox's own connections come back" {
	local r1
	r1=$(sb_ip r1)
	run http_get r1 http://198.18.0.2/
	assert_success
	assert_output world:80
	run grep -c "^$r1 " "$NB_TMP/http.world.80.log"
	assert_success
	ping_ok r1 198.18.0.2
}

@test "gateway_mode_ipv4=routed: the published container port is reachable at the sandbox's address" {
	local g1
	g1=$(sb_ip g1)
	run http_get world "http://$g1:80/"
	assert_success
	assert_output g1:80
	# and as usual at the host's published port
	run http_get world http://198.18.0.1:8300/
	assert_success
	assert_output g1:80
	# a routed network does not masquerade
	run http_get g1 http://198.18.0.2/
	assert_success
	run grep -c "^$g1 " "$NB_TMP/http.world.80.log"
	assert_success
}

@test "gateway_mode_ipv4: a value other than nat or routed is refused naming it" {
	run nbctl network create --subnet 10.97.9.0/24 \
		-o com.docker.network.bridge.gateway_mode_ipv4=open bad
	assert_failure 1
	assert_output --partial 'gateway_mode_ipv4: invalid value "open": must be "nat" or "routed"'
	run nbctl network ls -q
	refute_output --partial bad
}

@test "publish --allow: only the listed sources reach the port from outside (not-allowed), also after down/up" {
	local before
	run nbctl publish --allow 198.18.0.2 --allow 192.0.2.0/24 8400:80 "$(sb w1)"
	assert_success
	assert_output '80/tcp -> 0.0.0.0:8400'
	run http_get world http://198.18.0.1:8400/ --interface 198.18.0.2
	assert_success
	assert_output w1:80
	before=$(nb_drops NOT_ALLOWED)
	run http_get world http://198.18.0.1:8400/ --interface 198.18.0.3 --max-time 2
	assert_failure
	run nb_drops NOT_ALLOWED
	(( output > before )) || fail "not-allowed drops: $before -> $output"
	# the other published port of w1 has no list: open to both
	run http_get world http://198.18.0.1:8000/ --interface 198.18.0.3
	assert_success
	# kept in the state, restored by up
	run sqlite3 -readonly "$NETBPF_STATE_DIR/netbpf.db" \
		'SELECT addr, len FROM publish_allow WHERE host_port = 8400 ORDER BY addr'
	assert_success
	assert_line "$(( (192 << 24) + (0 << 16) + (2 << 8) ))|24"
	assert_line "$(( (198 << 24) + (18 << 16) + 2 ))|32"
	nbctl down
	nbctl up
	run http_get world http://198.18.0.1:8400/ --interface 198.18.0.3 --max-time 2
	assert_failure
	run http_get world http://198.18.0.1:8400/ --interface 198.18.0.2
	assert_success
	assert_output w1:80
	# unpublished, the list is gone with the port: published again, it is open
	nbctl unpublish 8400:80 "$(sb w1)"
	nbctl publish 8400:80 "$(sb w1)"
	run http_get world http://198.18.0.1:8400/ --interface 198.18.0.3
	assert_success
	assert_output w1:80
	nbctl unpublish 8400:80 "$(sb w1)"
}

@test "up --publish-default deny: ports without a list refuse the outside; the host still reaches them" {
	nbctl publish --allow 198.18.0.2 8401:80 "$(sb w1)"
	nbctl up --publish-default deny
	run http_get world http://198.18.0.1:8000/ --max-time 2
	assert_failure
	run http_get world http://198.18.0.1:8401/ --interface 198.18.0.2
	assert_success
	assert_output w1:80
	run in_cg host curl -sS --max-time 3 http://127.0.0.1:8000/
	assert_success
	assert_output w1:80
	# remembered: a plain up keeps it
	nbctl up
	run http_get world http://198.18.0.1:8000/ --max-time 2
	assert_failure
	nbctl up --publish-default allow
	run http_get world http://198.18.0.1:8000/
	assert_success
	assert_output w1:80
	nbctl unpublish 8401:80 "$(sb w1)"
}

@test "publish --allow: a bad prefix or policy is refused naming it, nothing published" {
	run nbctl publish --allow 300.1.2.3/8 8402:80 "$(sb w1)"
	assert_failure 2
	assert_output --partial '--allow "300.1.2.3/8": not an IPv4 address or prefix'
	run nbctl port "$(sb w1)"
	refute_output --partial 8402
	run nbctl up --publish-default maybe
	assert_failure 2
	assert_output --partial '--publish-default "maybe": must be "allow" or "deny"'
}
