#!/usr/bin/env bats
# XDP mode (`netbpfctl up --mode xdp`): switching modes on a live instance,
# status, where XDP goes (uplinks only; a veth uplink only with --xdp-veth,
# which lib.bash sets for the suite through NETBPF_XDP_VETH=1), and proof that
# the uplink's XDP program translates published ports on its own, IPv4 and IPv6.
#
#   world ($NB_WORLD) wan0 198.18.0.2 ── up0 198.18.0.1  host ($NB_HOST)
#                                           │ [xdp_uplink + tc uplink_in/out]
#   netx 10.95.1.0/24:  x1 (-p 8000:80)   x2
#                       nbe* [tc endpoint alone], eth0 [xdp_sandbox]
#
# The file runs in both passes of tests/run.sh; it switches modes itself.

load lib
load nat

xdp_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.95.1.0/24 netx
	nbctl sandbox create --network netx -p 8000:80 "$(sb x1)"
	nbctl sandbox create --network netx "$(sb x2)"
	# XDP at the uplink needs complete checksums from the (simulated) wire: see lib.bash
	in_world python3 "$NB_SRC/tests/e2e/txcsum.py" wan0 off
}
setup_file() { nb_setup_file xdp_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# host_port NAME: the host-side veth (nbe*) of sandbox NAME's eth0
host_port() {
	local idx
	idx=$(in_sb "$1" ip -o link show dev eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
	in_host ip -o link show | awk -F': ' -v i="$idx" '$1 == i {split($2, a, "@"); print a[1]}'
}
# xdp_prog DEV [WHERE]: the XDP program's name on DEV ("" when none)
xdp_prog() {
	local id
	id=$(_in "${2:-host}" ip -d -j link show dev "$1" |
		python3 -c 'import json,sys; l=json.load(sys.stdin)[0]; print(l.get("xdp",{}).get("prog",{}).get("id",""))')
	[ -n "$id" ] || return 0
	bpftool prog show id "$id" -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])'
}
# ethtool_get NAME CMD: on/off, an ETHTOOL_G* flag of sandbox NAME's eth0
ethtool_get() {
	in_sb "$1" python3 -c '
import ctypes, fcntl, socket, struct, sys
v = bytearray(struct.pack("II", int(sys.argv[1], 0), 0))
p = ctypes.addressof((ctypes.c_char * 8).from_buffer(v))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s.fileno(), 0x8946, struct.pack("16sP", b"eth0", p) + bytes(16))
print("on" if struct.unpack("II", bytes(v))[1] else "off")' "$2"
}
# not_allowed: netbpf_drops_total{reason="not-allowed"}
not_allowed() {
	nbctl metrics | awk '/^netbpf_drops_total\{reason="not-allowed"\}/ {n += $2} END {print n + 0}'
}
# get6 PORT [SOCAT OPTIONS]: what the world gets from [2001:db8:95::1]:PORT
get6() {
	timeout 10 nsenter --net=/run/netns/"$NB_WORLD" \
		socat -t3 - TCP6:'[2001:db8:95::1]':"$1",connect-timeout=3"${2:-}" </dev/null
}
tx_csum() { ethtool_get "$1" 0x16; } # ETHTOOL_GTXCSUM
tso() { ethtool_get "$1" 0x1e; }     # ETHTOOL_GTSO

@test "up --mode xdp: XDP on the uplink and the sandbox side, tc alone on the host side; status" {
	nbctl up --mode xdp
	p1=$(host_port x1)
	p2=$(host_port x2)
	assert_equal "$(xdp_prog "$p1")" ""
	assert_equal "$(xdp_prog "$p2")" ""
	assert_equal "$(xdp_prog eth0 x1)" xdp_sandbox
	assert_equal "$(xdp_prog eth0 x2)" xdp_sandbox
	assert_equal "$(xdp_prog up0)" xdp_uplink
	# the sandbox keeps its offloads: nothing XDP redirects comes from it
	assert_equal "$(tx_csum x1)" on
	assert_equal "$(tso x1)" on
	run nbctl status
	echo "$output"
	assert_success
	assert_output --partial "Mode:       xdp (uplink up0: native XDP)"
	assert_line --regexp "^up0 .* xdp native *xdp_uplink "
	assert_line --regexp "^$p1 .* tc ingress *endpoint "
	refute_line --regexp "^$p1 .* xdp"
	# a sandbox created now gets the same
	nbctl sandbox create --network netx "$(sb x3)"
	assert_equal "$(xdp_prog "$(host_port x3)")" ""
	assert_equal "$(xdp_prog eth0 x3)" xdp_sandbox
	nbctl sandbox rm "$(sb x3)"
	# sandbox <-> sandbox is tc's, as in tc mode
	in_sb x1 ip neigh flush dev eth0
	ping_ok x1 "$(sb_ip x2)"
	tcp_echo_check x1 x2 "$(sb_ip x2)" 7101
	ping_ok x1 10.95.1.1
	# restored by `up` after `down` (empty maps then): the same
	nbctl down
	nbctl up --mode xdp
	assert_equal "$(xdp_prog up0)" xdp_uplink
	assert_equal "$(xdp_prog eth0 x1)" xdp_sandbox
	assert_equal "$(xdp_prog "$(host_port x1)")" ""
	http_serve x1 80
	run http_get world http://198.18.0.1:8000/
	assert_success
	assert_output "x1:80"
}

@test "up --mode xdp leaves a veth uplink to tc without --xdp-veth, and then the sandboxes; status" {
	NETBPF_XDP_VETH='' nbctl up --mode xdp
	assert_equal "$(xdp_prog up0)" ""
	# nothing redirects into a sandbox at XDP then: no XDP_PASS program to pay for
	assert_equal "$(xdp_prog eth0 x1)" ""
	nbctl sandbox create --network netx "$(sb x3)"
	assert_equal "$(xdp_prog eth0 x3)" ""
	nbctl sandbox rm "$(sb x3)"
	run nbctl status
	echo "$output"
	assert_success
	assert_output --partial "Mode:       xdp (uplink up0: tc only, a veth)"
	refute_line --regexp "^up0 .* xdp native"
	http_serve x1 80
	run http_get world http://198.18.0.1:8000/
	assert_success
	assert_output "x1:80"
	# --xdp-veth puts it back, and the sandboxes' side with it
	NETBPF_XDP_VETH='' nbctl up --mode xdp --xdp-veth
	assert_equal "$(xdp_prog up0)" xdp_uplink
	assert_equal "$(xdp_prog eth0 x1)" xdp_sandbox
}

@test "xdp: a published port from outside is translated by XDP alone (tc ingress removed)" {
	nbctl up --mode xdp
	http_serve x1 80
	in_host tc filter del dev up0 ingress
	run http_get world http://198.18.0.1:8000/
	echo "$output"
	assert_success
	assert_output "x1:80"
	http_log x1 80 | grep -q '^198\.18\.0\.2 - - '
	nbctl up --mode xdp
	in_host tc filter show dev up0 ingress | grep -q uplink_in
	run http_get world http://198.18.0.1:8000/
	assert_success
	assert_output "x1:80"
}

@test "xdp: a published IPv6 port from outside is translated by XDP alone (tc ingress removed)" {
	nbctl up --mode xdp
	in_host ip -6 addr add 2001:db8:95::1/64 dev up0 nodad
	in_world ip -6 addr add 2001:db8:95::2/64 dev wan0 nodad
	nbctl network create --ipv6 --subnet 10.95.6.0/24 --subnet fd00:95::/64 netx6
	nbctl sandbox create --network netx6 --ip6 fd00:95::2 "$(sb y1)"
	nbctl publish '[::]:8006:80' "$(sb y1)"
	nbctl publish --allow 2001:db8:95::2/128 '[::]:8007:80' "$(sb y1)"
	wait_for eval '[ -z "$(in_sb y1 ip -6 addr show dev eth0 tentative)" ]'
	# the server answers with the address it sees the client at
	nb_bg "$NB_TMP/y1.log" nsenter --net=/run/netns/"$(sb y1)" \
		socat TCP6-LISTEN:80,reuseaddr,fork SYSTEM:'echo "peer=$SOCAT_PEERADDR"'
	wait_for in_sb y1 ss -Htln 'sport = :80'
	in_host tc filter del dev up0 ingress
	run get6 8006
	echo "$output"
	assert_success
	assert_output 'peer=[2001:0db8:0095:0000:0000:0000:0000:0002]'
	run nbctl ct ls
	assert_success
	assert_output --regexp 'tcp +dnat .*\[2001:db8:95::2\]:[0-9]+ -> \[2001:db8:95::1\]:8006'
	# XDP drops what the allow-list leaves out, as tc would, and counts it
	before=$(not_allowed)
	in_world ip -6 addr add 2001:db8:95::3/64 dev wan0 nodad preferred_lft 0
	run get6 8007 ',bind=[2001:db8:95::3]'
	assert_failure
	assert [ "$(not_allowed)" -gt "$before" ]
	run get6 8007
	assert_success
	assert_output 'peer=[2001:0db8:0095:0000:0000:0000:0000:0002]'
	nbctl up --mode xdp
	in_host tc filter show dev up0 ingress | grep -q uplink_in
	run get6 8006
	assert_success
	nb_kill_bg
	nbctl sandbox rm "$(sb y1)"
	nbctl network rm netx6
}

@test "up --mode tc removes every XDP program; traffic flows" {
	nbctl up --mode xdp
	nbctl up --mode tc
	p1=$(host_port x1)
	assert_equal "$(xdp_prog "$p1")" ""
	assert_equal "$(xdp_prog eth0 x1)" ""
	assert_equal "$(xdp_prog up0)" ""
	assert_equal "$(tx_csum x1)" on
	run nbctl status
	assert_success
	assert_output --partial "Mode:       tc"
	refute_output --partial "xdp native"
	ping_ok x1 "$(sb_ip x2)"
	tcp_echo_check x1 x2 "$(sb_ip x2)" 7103
	# up without --mode (and without NETBPF_MODE, which lib.bash sets) keeps the live mode
	NETBPF_MODE='' nbctl up
	assert_equal "$(xdp_prog eth0 x1)" ""
	nbctl up --mode xdp
	NETBPF_MODE='' nbctl up
	assert_equal "$(xdp_prog eth0 x1)" xdp_sandbox
	assert_equal "$(xdp_prog up0)" xdp_uplink
}

@test "up --mode with a bad value fails naming it, changing nothing" {
	run nbctl up --mode dpdk
	echo "$output"
	assert_failure
	assert_output --partial '--mode "dpdk": not a mode (tc or xdp)'
	# help does not need a mode
	run env NETBPF_MODE=afxdp "$NETBPFCTL" --help
	assert_success
	run nsenter --net=/run/netns/"$NB_HOST" env NETBPF_MODE=afxdp "$NETBPFCTL" up
	assert_failure
	assert_output --partial 'NETBPF_MODE "afxdp": not a mode (tc or xdp)'
}
