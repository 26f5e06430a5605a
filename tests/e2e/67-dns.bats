#!/usr/bin/env bats
# netbpfd's DNS on the gateways of user-defined networks (Docker's embedded DNS).
#
#   world ($NB_WORLD) wan0 198.18.0.2: dnsq.py --serve, the "host's resolver"
#        │ (world.example -> 198.18.99.7; big -> TC over UDP, the answer over TCP)
#   host ($NB_HOST) up0 198.18.0.1: netbpfd --resolv-conf naming 198.18.0.2 (no dockerd)
#        ├─ dnsa 10.93.1.0/24, gateway 10.93.1.1:53    a1 (--alias web), a2, m:eth0
#        └─ dnsb 10.93.2.0/24, gateway 10.93.2.1:53    b1, m:eth1
#
# Queries come from the sandboxes: tests/e2e/dnsq.py (python3, UDP or TCP), and
# glibc's getent through the resolv.conf `sandbox create --dns-resolv-conf`
# writes where `ip netns exec` mounts it (/etc/netns/NAME/resolv.conf).

load lib

NETBPFD=${NETBPFD:-$NB_SRC/build/netbpfd}
DNSQ="/usr/bin/python3 $NB_SRC/tests/e2e/dnsq.py"

dns_setup() {
	[ -x "$NETBPFD" ] || { echo "build/netbpfd missing: run make" >&2; return 1; }
	nb_setup_instance
	nbctl network create --subnet 10.93.1.0/24 dnsa
	nbctl network create --subnet 10.93.2.0/24 dnsb
	# /etc/netns is the machine's: remove it again only if this test made it
	[ -d /etc/netns ] || touch "$NB_TMP/made-etc-netns"
	mkdir -p "/etc/netns/$(sb a1)"
	nbctl sandbox create --network dnsa --alias web \
		--dns-resolv-conf "/etc/netns/$(sb a1)/resolv.conf" "$(sb a1)"
	nbctl sandbox create --network dnsa "$(sb a2)"
	nbctl sandbox create --network dnsb "$(sb b1)"
	nbctl sandbox create --network dnsa --network dnsb "$(sb m)"
	# shellcheck disable=SC2086
	nb_bg "$NB_TMP/world-dns.log" in_world $DNSQ --serve 198.18.0.2 world.example=198.18.99.7 \
		big=198.18.99.8
	printf 'nameserver 198.18.0.2\n' >"$NB_TMP/resolv.conf"
	nb_bg "$NB_TMP/netbpfd.log" in_host "$NETBPFD" -v --docker-socket "$NB_TMP/netbpfd.sock" \
		--docker-host "unix://$NB_TMP/no-docker.sock" --resolv-conf "$NB_TMP/resolv.conf"
	wait_for grep -q 'serving network dnsb' "$NB_TMP/netbpfd.log"
	wait_for grep -q serving "$NB_TMP/world-dns.log"
}
setup_file() { nb_setup_file dns_setup; }
teardown_file() {
	[ -z "${NB_ID:-}" ] || rm -rf "/etc/netns/$NB_ID-a1"
	if [ -e "${NB_TMP:-/nonexistent}/made-etc-netns" ]; then rmdir /etc/netns 2>/dev/null || true; fi
	nb_teardown_instance
}
setup() { nb_setup_ok; }

# q SANDBOX NAME [TYPE] [--tcp]: dnsq.py from the sandbox to its first network's gateway
q() {
	local s=$1 gw=10.93.1.1
	shift
	[ "$s" != b1 ] || gw=10.93.2.1
	# shellcheck disable=SC2086
	in_sb "$s" $DNSQ "$gw" "$@"
}

@test "a sandbox's name and alias resolve on its network, any case, with or without the dot" {
	a1=$(sb_ip a1)
	run q a2 "$(sb a1)"
	assert_success
	assert_output "rcode 0
A $a1"
	run q a2 "$(sb a1 | tr a-z A-Z)."
	assert_success
	assert_line "A $a1"
	run q m web
	assert_success
	assert_output "rcode 0
A $a1"
	# AAAA of a known name: NOERROR, no record (IPv4 only)
	run q a2 "$(sb a1)" AAAA
	assert_success
	assert_output "rcode 0"
}

@test "names do not resolve across networks; a sandbox on both resolves both" {
	run q b1 "$(sb a1)"
	assert_success
	# not ours on dnsb: the world's resolver says NXDOMAIN
	assert_output "rcode 3"
	run q a1 "$(sb b1)"
	assert_success
	assert_output "rcode 3"
	# m asks dnsa's gateway and still gets b1 (they share dnsb) and its own dnsa address
	run q m "$(sb b1)"
	assert_success
	assert_output "rcode 0
A $(sb_ip b1)"
	run q b1 "$(sb m)"
	assert_success
	assert_output "rcode 0
A $(sb_ip m eth1)"
}

@test "PTR answers the sandbox's name for its address" {
	a2=$(sb_ip a2)
	rev=$(echo "$a2" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa"}')
	run q a1 "$rev" PTR
	assert_success
	assert_output "rcode 0
PTR $(sb a2)."
	# a free address of the network: NXDOMAIN from netbpfd, never asked of the world
	run q a1 250.1.93.10.in-addr.arpa PTR
	assert_success
	assert_output "rcode 3"
}

@test "other names are forwarded to the host's resolver, over UDP and TCP" {
	run q a1 world.example
	assert_success
	assert_output "rcode 0
A 198.18.99.7"
	run q a1 world.example A --tcp
	assert_success
	assert_output "rcode 0
A 198.18.99.7"
	# the resolver truncates over UDP: netbpfd asks again over TCP and relays the answer
	run q a1 big
	assert_success
	assert_output "rcode 0
A 198.18.99.8"
	run q a1 "$(sb a2)" A --tcp
	assert_success
	assert_output "rcode 0
A $(sb_ip a2)"
}

@test "only the network's sandboxes are answered" {
	# the host netns is no sandbox of dnsa: no reply at all (no open resolver)
	run in_host timeout 10 $DNSQ 10.93.1.1 world.example
	assert_failure
	assert_output --partial "no reply"
	# b1 asking dnsa's gateway is routed there but is no sandbox of dnsa
	run in_sb b1 timeout 10 $DNSQ 10.93.1.1 world.example
	assert_failure
}

@test "--dns-resolv-conf writes Docker's resolv.conf; glibc resolves through it" {
	run cat "/etc/netns/$(sb a1)/resolv.conf"
	assert_success
	assert_output "nameserver 10.93.1.1
options ndots:0"
	run ip netns exec "$(sb a1)" getent ahostsv4 "$(sb a2)"
	assert_success
	assert_line --partial "$(sb_ip a2)"
	run nbctl sandbox create --network bridge --dns-resolv-conf "$NB_TMP/x.resolv" "$(sb x)"
	assert_failure
	assert_output --partial 'has no DNS'
	run test -e "$NB_TMP/x.resolv"
	assert_failure
}

@test "a removed sandbox stops resolving; a new network gets its listener" {
	nbctl sandbox create --network dnsa "$(sb gone)"
	sleep 2 # netbpfd reads the state again every second
	run q a1 "$(sb gone)"
	assert_success
	assert_line --regexp '^A 10\.93\.1\.'
	nbctl sandbox rm "$(sb gone)"
	sleep 2 # as above
	run q a1 "$(sb gone)"
	assert_success
	assert_output "rcode 3"
	nbctl network create --subnet 10.93.3.0/24 dnsc
	nbctl sandbox create --network dnsc "$(sb c1)"
	wait_for grep -q 'serving network dnsc' "$NB_TMP/netbpfd.log"
	run in_sb c1 $DNSQ 10.93.3.1 "$(sb c1)"
	assert_success
	assert_output "rcode 0
A $(sb_ip c1)"
}

@test "a dual-stack network's names: AAAA answers the IPv6 address, A the IPv4 one" {
	nbctl network create --ipv6 --subnet 10.93.4.0/24 --subnet fd00:93:4::/64 dnsd
	nbctl sandbox create --network dnsd --alias web6 "$(sb d1)"
	nbctl sandbox create --network dnsd "$(sb d2)"
	wait_for grep -q 'serving network dnsd' "$NB_TMP/netbpfd.log"
	sleep 2 # netbpfd reads the state again every second
	# shellcheck disable=SC2086
	run in_sb d2 $DNSQ 10.93.4.1 "$(sb d1)" AAAA
	assert_success
	assert_output "rcode 0
AAAA fd00:93:4::2"
	# shellcheck disable=SC2086
	run in_sb d2 $DNSQ 10.93.4.1 web6 AAAA
	assert_output "rcode 0
AAAA fd00:93:4::2"
	# shellcheck disable=SC2086
	run in_sb d2 $DNSQ 10.93.4.1 "$(sb d1)"
	assert_output "rcode 0
A 10.93.4.2"
}

# ---- attacks: from a sandbox, and from the outside network ------------------------------

@test "forwarded queries leave with a random id, each from a port of its own" {
	# whoami answers A <source port, 2 bytes>.<query id, 2 bytes> as the resolver saw them
	run q a1 whoami
	assert_success
	assert_line --regexp '^A [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
	first=$(sed -n 's/^A //p' <<<"$output")
	run q a1 whoami
	assert_success
	second=$(sed -n 's/^A //p' <<<"$output")
	# dnsq.py always asks with id 0x4242 (66.66): never the id that leaves
	refute_regex "$first" '\.66\.66$'
	refute_regex "$second" '\.66\.66$'
	assert_not_equal "${first%.*.*}" "${second%.*.*}"
	assert_not_equal "${first#*.*.}" "${second#*.*.}"
}

@test "a spoofed answer (another id, another question) is ignored; the real one is relayed" {
	# the resolver sends 6.6.6.6 twice as a spoofer would, then the answer
	run q a1 spoof
	assert_success
	assert_output "rcode 0
A 198.18.99.9"
}

@test "a UDP answer larger than the client takes is cut, with TC; over TCP it comes whole" {
	run q a1 many
	assert_success
	assert_output "rcode 0
truncated"
	run q a1 many A --tcp
	assert_success
	assert_line "A 10.77.0.1"
	assert_line "A 10.77.0.60"
	assert_equal "$(grep -c '^A ' <<<"$output")" 60
}

@test "hostile queries: a compression loop is FORMERR, a huge TCP length is hung up on" {
	# shellcheck disable=SC2086
	run in_sb a1 timeout 20 $DNSQ --hostile 10.93.1.1
	assert_success
	assert_output "loop rcode 1
tcp closed"
	# and netbpfd lives on
	run q a1 "$(sb a2)"
	assert_success
	assert_output "rcode 0
A $(sb_ip a2)"
}

@test "a sandbox flooding the DNS (idle TCP, queries to a dead resolver) starves no other" {
	# a2: 20 idle TCP connections and 200 queries a second that the world's resolver drops
	# shellcheck disable=SC2086
	nb_bg "$NB_TMP/flood.log" in_sb a2 $DNSQ --flood 10.93.1.1 10
	flooder=$(tail -n1 "$NB_TMP/pids")
	wait_for grep -q flooding "$NB_TMP/flood.log"
	sleep 1 # let the flood take what it can
	# its neighbour on the same network: a name over TCP (a slot of its own), a forwarded one
	run q a1 "$(sb a2)" A --tcp
	assert_success
	assert_output "rcode 0
A $(sb_ip a2)"
	run q a1 world.example
	assert_success
	assert_output "rcode 0
A 198.18.99.7"
	run q b1 world.example
	assert_success
	assert_output "rcode 0
A 198.18.99.7"
	# the flooder's excess was refused and counted, naming it
	wait_for grep -q "refused over the in-flight limits, last from $(sb_ip a2) on 10.93.1.1:53" \
		"$NB_TMP/netbpfd.log"
	run grep -c "refused over the in-flight limits, last from $(sb_ip a1) " "$NB_TMP/netbpfd.log"
	assert_output 0
	# shellcheck disable=SC2046
	kill $(nb_descendants "$flooder") "$flooder" 2>/dev/null || true
}

@test "an idle netbpfd does not read the state again; a new name resolves at the next tick" {
	reads() { grep -c 'dns: read the state' "$NB_TMP/netbpfd.log"; }
	before=$(reads)
	assert [ "$before" -gt 0 ]
	sleep 3 # three ticks with nothing committed
	assert_equal "$(reads)" "$before"
	nbctl sandbox create --network dnsa "$(sb fresh)"
	resolves() { q a1 "$(sb fresh)" | grep -qx "A $(sb_ip fresh)"; }
	wait_for resolves
	run q a1 "$(sb fresh)"
	assert_success
	assert_output "rcode 0
A $(sb_ip fresh)"
	assert [ "$(reads)" -gt "$before" ]
}
