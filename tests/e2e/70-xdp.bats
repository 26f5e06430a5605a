#!/usr/bin/env bats
# XDP mode (`netbpfctl up --mode xdp`): switching modes on a live instance,
# status, and proof that the XDP programs forward on their own.
#
#   world ($NB_WORLD) wan0 198.18.0.2 ── up0 198.18.0.1  host ($NB_HOST)
#                                           │ [xdp_uplink + tc uplink_in/out]
#   netx 10.95.1.0/24:  x1 (-p 8000:80)   x2
#                       nbe* [xdp_endpoint + tc endpoint], eth0 [xdp_sandbox]
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
tx_csum() { # NAME: on/off, TX checksum offload of sandbox NAME's eth0
	in_sb "$1" python3 -c '
import ctypes, fcntl, socket, struct
v = bytearray(struct.pack("II", 0x16, 0))
p = ctypes.addressof((ctypes.c_char * 8).from_buffer(v))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s.fileno(), 0x8946, struct.pack("16sP", b"eth0", p) + bytes(16))
print("on" if struct.unpack("II", bytes(v))[1] else "off")'
}

@test "up --mode xdp: XDP on every endpoint, sandbox side and uplink; status says where" {
	nbctl up --mode xdp
	p1=$(host_port x1)
	p2=$(host_port x2)
	assert_equal "$(xdp_prog "$p1")" xdp_endpoint
	assert_equal "$(xdp_prog "$p2")" xdp_endpoint
	assert_equal "$(xdp_prog eth0 x1)" xdp_sandbox
	assert_equal "$(xdp_prog eth0 x2)" xdp_sandbox
	assert_equal "$(xdp_prog up0)" xdp_uplink
	assert_equal "$(tx_csum x1)" off
	run nbctl status
	echo "$output"
	assert_success
	# veth has native XDP
	assert_output --partial "Mode:       xdp (uplink up0: native XDP)"
	assert_line --regexp "^$p1 .* xdp native *xdp_endpoint "
	assert_line --regexp "^up0 .* xdp native *xdp_uplink "
	# the tc programs stay, behind XDP
	assert_line --regexp "^$p1 .* tc ingress *endpoint "
	# a sandbox created now gets it too
	nbctl sandbox create --network netx "$(sb x3)"
	assert_equal "$(xdp_prog "$(host_port x3)")" xdp_endpoint
	assert_equal "$(xdp_prog eth0 x3)" xdp_sandbox
	nbctl sandbox rm "$(sb x3)"
}

@test "xdp: sandbox <-> sandbox forwarded by XDP alone (tc filter removed)" {
	nbctl up --mode xdp
	p1=$(host_port x1)
	p2=$(host_port x2)
	in_host tc filter del dev "$p1" ingress
	in_host tc filter del dev "$p2" ingress
	# ARP answered by XDP_TX, frames redirected through the devmap
	in_sb x1 ip neigh flush dev eth0
	ping_ok x1 "$(sb_ip x2)"
	tcp_echo_check x1 x2 "$(sb_ip x2)" 7101
	tcp_echo_check x2 x1 "$(sb_ip x1)" 7102
	# what XDP passes on has nobody to finish it now: the gateway is out of reach
	ping_fails x1 10.95.1.1
	# `up` puts the tc programs back
	nbctl up --mode xdp
	ping_ok x1 10.95.1.1
	in_host tc filter show dev "$p1" ingress | grep -q endpoint
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

@test "up --mode tc removes every XDP program and restores checksum offload; traffic flows" {
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
	assert_equal "$(xdp_prog "$p1")" ""
	nbctl up --mode xdp
	NETBPF_MODE='' nbctl up
	assert_equal "$(xdp_prog "$p1")" xdp_endpoint
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
