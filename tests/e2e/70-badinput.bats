#!/usr/bin/env bats
# Bad input, driven by the table below (one case per line): every refused
# command exits with its documented status (1 = refused, 2 = usage; see
# docs/reliability.md), its message names the object and the cause (every
# NEEDLE appears), and it changes nothing: rel_snapshot (database dump, links,
# addresses, routes and tc filters of every namespace of the instance, every
# pinned map but the moving counters) is identical before and after.
#
# Fixture: networks web 10.60.0.0/24 and other 10.66.0.0/24; sandbox a on web
# with 8000:80 published, b on web, d on other at 10.66.0.2; dual-stack network six
# 10.71.0.0/24 + fd00:71::/64 with sandbox e at fd00:71::9; in the host netns
# a route 10.68.0.0/16 dev up0 and a host service listening on 0.0.0.0:8070.
#
# Table columns, separated by " | ":
#   VERB    the group the case belongs to (one @test per group below)
#   EXIT    the status netbpfctl must exit with
#   NEEDLES ;-separated strings the message must contain
#   ARGS    netbpfctl's arguments, as shell words; @SB@x is sandbox x's name,
#           a leading @NOBODY runs the command as uid 65534

load lib
load rel

REL_TABLE=$(cat <<'TABLE'
global | 2 | unknown command;frobnicate | frobnicate
global | 2 | COMMAND is missing |
global | 2 | unrecognized option;--bogus | --bogus network ls
network | 2 | network;unknown command;frob | network frob
network create | 2 | NAME is missing | network create
network create | 1 | bad1;10.1.2.3/33;not an IPv4 CIDR | network create --subnet 10.1.2.3/33 bad1
network create | 1 | bad2;not-a-cidr | network create --subnet not-a-cidr bad2
network create | 1 | bad3;10.61.0.5/24;host bits | network create --subnet 10.61.0.5/24 bad3
network create | 1 | hostov;10.68.1.0/24;the host's route 10.68.0.0/16 dev up0;--force | network create --subnet 10.68.1.0/24 hostov
network create | 1 | hostad;198.18.0.0/25;the host's address 198.18.0.1/24 on up0 | network create --subnet 198.18.0.0/25 hostad
network create | 1 | bad4;10.62.1.1;outside | network create --subnet 10.62.0.0/24 --gateway 10.62.1.1 bad4
network create | 1 | bad5;10.63.0.0/25;not inside | network create --subnet 10.62.0.0/24 --ip-range 10.63.0.0/25 bad5
network create | 1 | bad6;overlaps;web;10.60.0.0/24 | network create --subnet 10.60.0.0/25 bad6
network create | 1 | web;already exists | network create --subnet 10.64.0.0/24 web
network create | 1 | bridge;already exists | network create bridge
network create | 1 | bad7;invalid option;KEY=VALUE | network create -o a bad7
network create | 1 | bad8;enable_icc;maybe | network create -o com.docker.network.bridge.enable_icc=maybe bad8
network create | 1 | bad9;MTU;99999999999 | network create --mtu 99999999999 bad9
network create | 1 | bad10;overlay;needs a store | network create --driver overlay --subnet 10.69.0.0/24 bad10
network create | 1 | bad10;macvlan;not supported | network create --driver macvlan bad10
network create | 1 | bad11;host_binding_ipv4;300.1.1.1 | network create -o com.docker.network.bridge.host_binding_ipv4=300.1.1.1 bad11
network create | 1 | bad12;invalid label | network create --label =v bad12
network create | 1 | bad13;auxiliary address;10.67.1.1;outside | network create --subnet 10.67.0.0/24 --aux-address a=10.67.1.1 bad13
network create | 1 | bad14;auxiliary address;gateway | network create --subnet 10.67.0.0/24 --aux-address a=10.67.0.1 bad14
network create | 2 | --ipam-driver;dhcp;not supported | network create --ipam-driver dhcp bad15
network create | 2 | --scope;swarm;not supported | network create --scope swarm bad16
network create | 1 | bad17;bridge.name;invalid interface name | network create -o com.docker.network.bridge.name=much-too-long-name bad17
network create | 1 | x;rm -rf /;invalid name | network create --subnet 10.65.0.0/24 -- 'x;rm -rf /'
network create | 1 | $(reboot);invalid name | network create --subnet 10.65.0.0/24 -- '$(reboot)'
network create | 1 | ../../etc;invalid name | network create --subnet 10.65.0.0/24 -- '../../etc'
network create | 1 | aaaaaaaaaa;invalid name | network create --subnet 10.65.0.0/24 -- aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
network create | 1 | v6a;fd00:1::/129;not an IPv6 CIDR | network create --ipv6 --subnet fd00:1::/129 v6a
network create | 1 | v6b;fd00:1::5/64;host bits;fd00:1::/64 | network create --ipv6 --subnet fd00:1::5/64 v6b
network create | 1 | v6c;overlaps;six;fd00:71::/64 | network create --ipv6 --subnet fd00:71::/80 v6c
network create | 1 | v6d;--ipv6 needs an IPv6 --subnet | network create --ipv6 v6d
network create | 1 | v6e;fd00:7::/64;without --ipv6 | network create --subnet fd00:7::/64 v6e
network create | 1 | v6f;fd00:8::1;outside;fd00:7::/64 | network create --ipv6 --subnet fd00:7::/64 --gateway fd00:8::1 v6f
network create | 1 | v6g;fe80::/64;link-local | network create --ipv6 --subnet fe80::/64 v6g
network create | 2 | only one IPv4 and one IPv6 --subnet;fd00:8::/64 | network create --ipv6 --subnet fd00:7::/64 --subnet fd00:8::/64 v6h
network create | 1 | v6i;fd00:9::/80;not inside | network create --ipv6 --subnet fd00:7::/64 --ip-range fd00:9::/80 v6i
network create | 1 | v6j;fd00:7::;subnet-router | network create --ipv6 --subnet fd00:7::/64 --gateway fd00:7:: v6j
network create | 1 | v6k;fd00:8::/64;needs an IPv6 --subnet | network create --ipv6 --ip-range fd00:8::/64 v6k
network create | 1 | v6l;fd00:7::/127;between 16 and 126 | network create --ipv6 --subnet fd00:7::/127 v6l
network create | 1 | v6m;--ipv4=false;needs --ipv6 | network create --ipv4=false --subnet fd00:7::/64 v6m
network create | 1 | v6n;--ipv4=false;takes no IPv4 --gateway | network create --ipv6 --ipv4=false --subnet fd00:7::/64 --gateway 10.7.0.1 v6n
network create | 2 | --ipv4;maybe;true;false | network create --ipv6 --ipv4=maybe --subnet fd00:7::/64 v6o
network create | 1 | network create;root;permission denied | @NOBODY network create --subnet 10.85.0.0/24 nonroot
network rm | 1 | nosuchnet;not found | network rm nosuchnet
network rm | 1 | web;in use;@SB@a | network rm web
network rm | 1 | bridge;pre-defined | network rm bridge
network rm | 1 | root;permission denied | @NOBODY network rm other
network inspect | 1 | nosuchnet;not found | network inspect nosuchnet
network inspect | 1 | template;unclosed action | network inspect -f '{{.Name' web
network inspect | 1 | template;function;foo;not supported | network inspect -f '{{foo .Name}}' web
network ls | 1 | template;{{.Nope}};position 3;evaluate field Nope | network ls --format '{{.Nope}}'
network ls | 1 | network ls;invalid filter;foo;accepted | network ls --filter foo=bar
network ls | 1 | invalid filter;type;x;custom or builtin | network ls -f type=x
network ls | 1 | bad format of filter;noeq | network ls -f noeq
network ls | 1 | state;permission denied | @NOBODY network ls
network connect | 1 | nosuchnet;not found | network connect nosuchnet @SB@a
network connect | 1 | @SB@nosb;not found | network connect web @SB@nosb
network connect | 1 | @SB@a;already connected;web | network connect web @SB@a
network connect | 1 | 10.66.0.2;in use | network connect --ip 10.66.0.2 other @SB@a
network connect | 1 | 10.66.9.9;outside | network connect --ip 10.66.9.9 other @SB@b
network connect | 1 | 10.66.0.999;not an IPv4 address | network connect --ip 10.66.0.999 other @SB@b
network connect | 1 | 10.66.0.1;reserved | network connect --ip 10.66.0.1 other @SB@b
network connect | 1 | @SB@a;fd00:66::5;other;has no IPv6 | network connect --ip6 fd00:66::5 other @SB@a
network connect | 1 | @SB@a;fd00:72::5;outside;six;fd00:71::/64 | network connect --ip6 fd00:72::5 six @SB@a
network connect | 1 | @SB@a;fd00:71::9;in use;six;@SB@e | network connect --ip6 fd00:71::9 six @SB@a
network connect | 1 | @SB@a;fd00:71::1;reserved;gateway | network connect --ip6 fd00:71::1 six @SB@a
network connect | 1 | @SB@a;not-v6;not an IPv6 address | network connect --ip6 not-v6 six @SB@a
network disconnect | 1 | @SB@b;not connected;other | network disconnect other @SB@b
network disconnect | 1 | nosuchnet;not found | network disconnect nosuchnet @SB@a
network prune | 2 | unrecognized option;--bogus | network prune --bogus
network prune | 1 | network prune;invalid filter;until;xx | network prune -f --filter until=xx
network prune | 1 | network prune;invalid filter;foo | network prune -f --filter foo=1
sandbox create | 1 | @SB@a;already exists | sandbox create --network web @SB@a
sandbox create | 1 | nosuchnet;not found | sandbox create --network nosuchnet @SB@c
sandbox create | 1 | 10.60.0.1;reserved;gateway | sandbox create --network web --ip 10.60.0.1 @SB@c
sandbox create | 1 | 10.60.0.255;reserved;broadcast | sandbox create --network web --ip 10.60.0.255 @SB@c
sandbox create | 1 | garbage;not an IPv4 address | sandbox create --network web --ip garbage @SB@c
sandbox create | 1 | @SB@c;fd00:60::5;web;has no IPv6 | sandbox create --network web --ip6 fd00:60::5 @SB@c
sandbox create | 1 | @SB@c;10.60.0.7;not an IPv6 address | sandbox create --network six --ip6 10.60.0.7 @SB@c
sandbox create | 1 | -bad;invalid name | sandbox create --network web -- '-bad'
sandbox create | 1 | a/b;invalid name | sandbox create --network web -- 'a/b'
sandbox create | 1 | @SB@c;99999;outside 1-65535 | sandbox create --network web -p 99999:80 @SB@c
sandbox create | 1 | @SB@c;4194303;no such process | sandbox create --network web --pid 4194303 @SB@c
sandbox create | 1 | @SB@c;/nonexistent/ns | sandbox create --network web --netns /nonexistent/ns @SB@c
sandbox create | 1 | @SB@c;web;twice | sandbox create --network web --network web @SB@c
sandbox create | 1 | @SB@c;8000;already published;@SB@a | sandbox create --network web -p 8000:80 @SB@c
sandbox create | 1 | @SB@c;8070;address already in use | sandbox create --network web -p 8070:80 @SB@c
sandbox create | 1 | root;permission denied | @NOBODY sandbox create --network web @SB@c
sandbox create | 1 | @SB@c;bridge;aliases;user-defined | sandbox create --network bridge --alias x @SB@c
sandbox create | 1 | @SB@c;invalid alias;-x | sandbox create --network web --alias -x @SB@c
sandbox rm | 1 | @SB@nosb;not found | sandbox rm @SB@nosb
sandbox rm | 1 | root;permission denied | @NOBODY sandbox rm @SB@b
sandbox inspect | 1 | @SB@nosb;not found | sandbox inspect @SB@nosb
sandbox inspect | 1 | template;{{.Nope}};evaluate field Nope | sandbox inspect -f '{{.Nope}}' @SB@a
sandbox exec | 1 | @SB@nosb;not found | sandbox exec @SB@nosb -- true
sandbox exec | 2 | COMMAND is missing | sandbox exec @SB@a
publish | 1 | @SB@b;8000;already published;@SB@a | publish 8000:80 @SB@b
publish | 1 | @SB@a;host port 0;outside 1-65535 | publish 0:80 @SB@a
publish | 1 | @SB@a;8010-8012;80-81;differ in length | publish 8010-8012:80-81 @SB@a
publish | 1 | @SB@a;sctp;not supported | publish 8020:80/sctp @SB@a
publish | 1 | @SB@a;10.9.9.9;not an address of this host | publish 10.9.9.9:8030:80 @SB@a
publish | 1 | @SB@nosb;not found | publish 8040:80 @SB@nosb
publish | 2 | SPEC and SANDBOX | publish
publish | 1 | root;permission denied | @NOBODY publish 8050:80 @SB@a
publish | 1 | @SB@b;0.0.0.0:8070/tcp;bind: address already in use;held by python3 | publish 8070:80 @SB@b
publish | 1 | @SB@b;8070;address already in use | publish 127.0.0.1:8070:80 @SB@b
unpublish | 1 | @SB@a;9999;not published | unpublish 9999:80 @SB@a
unpublish | 1 | @SB@nosb;not found | unpublish 8000:80 @SB@nosb
port | 1 | @SB@nosb;not found | port @SB@nosb
ct | 2 | ct;unknown command;frob | ct frob
ct | 1 | root;permission denied | @NOBODY ct flush
stats | 1 | @SB@nosb;not found | stats --no-stream @SB@nosb
stats | 1 | template;{{range .Name}};range can't iterate over string | stats --no-stream --format '{{range .Name}}{{end}}'
metrics | 1 | nowhere;ADDR:PORT | metrics --listen nowhere
monitor | 2 | bogus;--type | monitor --type bogus
up | 1 | nosuchif;no such interface | up --uplink nosuchif
up | 1 | root;permission denied | @NOBODY up
up | 1 | --bridge-subnet 10.60.0.0/24;overlaps network "web" | up --bridge-subnet 10.60.0.0/24
up | 1 | --bridge-subnet 10.68.0.0/24;the host's route 10.68.0.0/16 dev up0 | up --bridge-subnet 10.68.0.0/24
up | 2 | --bridge-subnet;no host bits | up --bridge-subnet 10.69.0.1/24
gc | 2 | unexpected argument;extra | gc extra
gc | 1 | root;permission denied | @NOBODY gc
down | 2 | unexpected argument;extra | down extra
down | 1 | root;permission denied | @NOBODY down
status | 2 | unrecognized option;--bogus | status --bogus
map | 1 | nb_nosuch;not pinned | map dump nb_nosuch
map | 1 | publish;not a netbpf map;start with nb_ | map dump publish
map | 2 | MAP is missing | map dump
TABLE
)

fixture() {
	nb_setup_instance
	nbctl network create --subnet 10.60.0.0/24 web
	nbctl network create --subnet 10.66.0.0/24 other
	nbctl sandbox create --network web -p 8000:80 "$(sb a)"
	nbctl sandbox create --network web "$(sb b)"
	nbctl sandbox create --network other --ip 10.66.0.2 "$(sb d)"
	nbctl network create --ipv6 --subnet 10.71.0.0/24 --subnet fd00:71::/64 six
	nbctl sandbox create --network six --ip6 fd00:71::9 "$(sb e)"
	ip -n "$NB_HOST" route add 10.68.0.0/16 dev up0
	nb_bg "$NB_TMP/hostsvc.log" nsenter --net=/run/netns/"$NB_HOST" \
		python3 -u -m http.server --directory "$NB_TMP" 8070
	wait_listen host 8070
}

setup_file() { nb_setup_file fixture; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { assert_no_bridge_no_rules; }

# rel_case LINE: runs one table line; prints why it failed, returns 1 then.
# $REL_BEFORE holds the snapshot before the case (the previous case's after,
# since a refused command changes nothing); it is updated to the one after.
rel_case() {
	local line=$1 verb want needles args out rc before=$REL_BEFORE after n
	local -a argv nl
	IFS='|' read -r verb want needles args <<<"$line"
	want=${want// /}
	args=${args# }
	needles=${needles# }
	needles=${needles% }
	args=${args//@SB@/$NB_ID-}
	needles=${needles//@SB@/$NB_ID-}
	eval "argv=($args)"
	if [ "${argv[0]:-}" = @NOBODY ]; then
		out=$(rel_as_nobody "$NETBPFCTL" "${argv[@]:1}" 2>&1) && rc=0 || rc=$?
	else
		out=$(nbctl "${argv[@]}" 2>&1) && rc=0 || rc=$?
	fi
	after=$(rel_snapshot)
	REL_BEFORE=$after
	# the result line, kept for docs/reliability.md's table
	printf '%s\t%s\t%s\n' "$args" "$rc" "$(head -1 <<<"$out")" >>"$BATS_FILE_TMPDIR/results"
	if [ "$rc" != "$want" ]; then
		echo "case \`$args\`: exit status $rc, want $want; output:"
		echo "$out"
		return 1
	fi
	IFS=';' read -ra nl <<<"$needles"
	for n in "${nl[@]}"; do
		grep -qF -- "$n" <<<"$out" || {
			echo "case \`$args\`: message does not name \"$n\":"
			echo "$out"
			return 1
		}
	done
	if [ "$before" != "$after" ]; then
		echo "case \`$args\`: refused, but the state changed:"
		diff <(echo "$before") <(echo "$after")
		return 1
	fi
}

# rel_cases VERB: every case of VERB; all run, the test fails if any did
rel_cases() {
	local line verb n=0 bad=0
	REL_BEFORE=$(rel_settled_snapshot)
	while IFS= read -r line; do
		verb=${line%% | *}
		[ "$verb" = "$1" ] || continue
		n=$((n + 1))
		rel_case "$line" || bad=$((bad + 1))
	done <<<"$REL_TABLE"
	echo "$1: $n case(s), $bad failed"
	assert [ "$n" -gt 0 ]
	assert [ "$bad" -eq 0 ]
}

@test "bad input: the table has >= 40 cases, and every verb in it is tested here" {
	local verbs tested
	assert [ "$(grep -c ' | ' <<<"$REL_TABLE")" -ge 40 ]
	verbs=$(awk -F' [|] ' '{print $1}' <<<"$REL_TABLE" | sort -u)
	tested=$(grep -o '^@test "bad input: [a-z ]*' "$BATS_TEST_FILENAME" |
		sed 's/^@test "bad input: //' | sort -u)
	diff <(echo "$verbs") <(comm -12 <(echo "$verbs") <(echo "$tested"))
}

@test "bad input: the snapshot sees a change (a control case that succeeds)" {
	local before after
	before=$(rel_settled_snapshot)
	nbctl network create --subnet 10.67.0.0/24 ctl
	refute [ "$before" = "$(rel_snapshot)" ]
	nbctl network rm ctl
	after=$(rel_settled_snapshot)
	diff <(echo "$before") <(echo "$after")
}

@test "bad input: global" { rel_cases global; }
@test "bad input: network" { rel_cases network; }
@test "bad input: network create" { rel_cases "network create"; }
@test "bad input: network rm" { rel_cases "network rm"; }
@test "bad input: network inspect" { rel_cases "network inspect"; }
@test "bad input: network ls" { rel_cases "network ls"; }
@test "bad input: network connect" { rel_cases "network connect"; }
@test "bad input: network disconnect" { rel_cases "network disconnect"; }
@test "bad input: network prune" { rel_cases "network prune"; }
@test "bad input: sandbox create" { rel_cases "sandbox create"; }
@test "bad input: sandbox rm" { rel_cases "sandbox rm"; }
@test "bad input: sandbox inspect" { rel_cases "sandbox inspect"; }
@test "bad input: sandbox exec" { rel_cases "sandbox exec"; }
@test "bad input: publish" { rel_cases publish; }
@test "bad input: unpublish" { rel_cases unpublish; }
@test "bad input: port" { rel_cases port; }
@test "bad input: ct" { rel_cases ct; }
@test "bad input: stats" { rel_cases stats; }
@test "bad input: metrics" { rel_cases metrics; }
@test "bad input: monitor" { rel_cases monitor; }
@test "bad input: up" { rel_cases up; }
@test "bad input: gc" { rel_cases gc; }
@test "bad input: down" { rel_cases down; }
@test "bad input: status" { rel_cases status; }
@test "bad input: map" { rel_cases map; }

@test "bad input: the instance still works after every refusal" {
	ping_ok "a" "$(sb_ip b)"
	ping_ok "a" 10.60.0.1
	assert_equal "$(nbctl port "$(sb a)")" "80/tcp -> 0.0.0.0:8000"
	if [ -n "${REL_RESULTS_OUT:-}" ]; then
		cp "$BATS_FILE_TMPDIR/results" "$REL_RESULTS_OUT"
	fi
}
