#!/usr/bin/env bats
# Operating netbpf as a tool: bash completion (dist/bash-completion/netbpfctl)
# driven against a live instance, and what `up` says about the uplink it picks.
#
#   world ($NB_WORLD) wan0 ──veth── up0 host ($NB_HOST, `netbpfctl up`: no --uplink, the
#                                        default route goes through up0)
#   networks web 10.95.1.0/24 ── sandbox a  (-p 8000:80)
#            db  10.95.2.0/24 ── sandbox b  (-p 127.0.0.1:8053:53/udp)
#
# The completion runs in a separate bash (tests/e2e/complete.bash) with
# bash-completion loaded, COMP_WORDS/COMP_CWORD set as readline sets them,
# and the instance named by the environment lib.bash exports (NETBPF_STATE_DIR...).

bats_load_library bats-support
bats_load_library bats-assert
load lib

operate_setup() {
	nb_setup_instance
	nbctl network create --subnet 10.95.1.0/24 web
	nbctl network create --subnet 10.95.2.0/24 db
	nbctl sandbox create --network web -p 8000:80 "$(sb a)"
	nbctl sandbox create --network db -p 127.0.0.1:8053:53/udp "$(sb b)"
}
setup_file() { nb_setup_file operate_setup; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }

COMPLETION=$NB_SRC/dist/bash-completion/netbpfctl

# comp LINE: the candidates at the end of "netbpfctl LINE"
comp() {
	run bash "$NB_SRC/tests/e2e/complete.bash" "$COMPLETION" "$NETBPFCTL $1"
	assert_success
}

@test "up without --uplink says it attaches to the default route's device" {
	run cat "$BATS_FILE_TMPDIR/nb-setup.log"
	assert_line --partial 'up: no --uplink: attaching to "up0", the default route'"'"'s device'
	refute_output --partial "machine's own network namespace"
	# remembered: a second up picks the stored uplink and says nothing about it
	run nbctl up
	assert_success
	refute_output --partial 'no --uplink'
	assert_output --partial 'uplinks up0'
}

@test "completion: verbs, then sub-verbs, then options from the binary's help" {
	comp ""
	for v in network sandbox publish unpublish port ct up down status gc stats metrics monitor map; do
		assert_line "$v"
	done
	refute_line --partial -- "-"
	comp "net"
	assert_output "network"
	comp "network "
	assert_output "$(printf '%s\n' connect create disconnect inspect ls prune rm)"
	comp "ct "
	assert_output "$(printf '%s\n' flush ls)"
	comp "--st"
	assert_output "--state-dir"
	comp "sandbox create --net"
	assert_output "$(printf '%s\n' --netns --network)"
	comp "network ls --"
	assert_line "--format"
	assert_line "--no-trunc"
	assert_line "--quiet"
	refute_line "--usage"
}

@test "completion: option values, choices read from argp's metavariables" {
	comp "up --mode "
	assert_output "$(printf '%s\n' tc xdp)"
	comp "stats --format "
	assert_output "$(printf '%s\n' json table)"
	comp "monitor --format=j"
	assert_output "json"
	comp "monitor --type "
	assert_output "$(printf '%s\n' drop nat trace)"
	comp "network create -o com.docker.network.bridge.enable_i"
	assert_output "$(printf '%s\n' com.docker.network.bridge.enable_icc= com.docker.network.bridge.enable_ip_masquerade=)"
}

@test "completion: names of networks and sandboxes from the instance" {
	comp "network rm "
	assert_output "$(printf '%s\n' bridge db host none web)"
	comp "network inspect w"
	assert_output "web"
	comp "sandbox create --network d"
	assert_output "db"
	comp "sandbox rm "
	assert_output "$(printf '%s\n' "$(sb a)" "$(sb b)")"
	comp "network connect "
	assert_output "$(printf '%s\n' bridge db host none web)"
	# an option and its value before the positional arguments are skipped
	comp "network connect --ip 10.95.1.9 web "
	assert_output "$(printf '%s\n' "$(sb a)" "$(sb b)")"
	comp "stats --no-stream "
	assert_output "$(printf '%s\n' "$(sb a)" "$(sb b)")"
	comp "sandbox exec $(sb a) -- whoam"
	assert_output "whoami"
}

@test "completion: published ports for port and unpublish" {
	comp "port $(sb b) "
	assert_output "53/udp"
	comp "unpublish "
	assert_output "$(printf '%s\n' 127.0.0.1:8053:53/udp 8000:80/tcp)"
	# a word with colons: bash splits it at ':', the candidates are trimmed to match
	comp "unpublish 127.0.0.1:8053:"
	assert_output "53/udp"
	# only the sandbox that publishes the spec
	comp "unpublish 8000:80/tcp "
	assert_output "$(sb a)"
}

@test "completion: the instance is the one the command line names" {
	local helper=$NB_SRC/tests/e2e/complete.bash nostate=$NB_TMP/nostate
	# the global option, not the environment, names the state
	run env NETBPF_STATE_DIR="$nostate" bash "$helper" "$COMPLETION" \
		"$NETBPFCTL --state-dir $NB_TMP/state network rm "
	assert_success
	assert_output "$(printf '%s\n' bridge db host none web)"
	run env NETBPF_STATE_DIR="$nostate" bash "$helper" "$COMPLETION" \
		"$NETBPFCTL --state-dir=$NB_TMP/state sandbox rm "
	assert_success
	assert_output "$(printf '%s\n' "$(sb a)" "$(sb b)")"
	# a state that does not exist offers nothing, and a <TAB> does not create it
	comp "--state-dir $nostate network rm "
	assert_output ""
	run env NETBPF_STATE_DIR="$nostate" bash "$helper" "$COMPLETION" "$NETBPFCTL unpublish "
	assert_success
	assert_output ""
	run ls -d "$nostate"
	assert_failure
}
