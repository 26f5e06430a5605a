#!/usr/bin/env bats
# Security and limits: the pinned maps and programs and the state database
# are root's alone (modes, and a non-root user's attempts refused with a
# clear message); a full map gives a clear error and changes nothing.
#
# Fixture: network sec 10.90.0.0/24 with sandbox s1 (8000:80 published).

load lib
load rel

fixture() {
	nb_setup_instance
	nbctl network create --subnet 10.90.0.0/24 sec
	nbctl sandbox create --network sec -p 8000:80 "$(sb s1)"
}

setup_file() { nb_setup_file fixture; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { assert_no_bridge_no_rules; }

# no_group_other PATH...: none has a permission bit for group or others
no_group_other() {
	local f m
	for f; do
		m=$(stat -c %a "$f")
		if [ $((8#$m & 8#077)) -ne 0 ]; then
			echo "$f has mode $m: readable or writable beyond root"
			return 1
		fi
	done
}

@test "security: pinned maps, programs and the state are root's only (modes)" {
	local pins
	pins=$(find "$NETBPF_PIN_DIR" -mindepth 1 ! -name '*.debug')
	assert [ "$(wc -l <<<"$pins")" -ge 20 ]
	# shellcheck disable=SC2086
	no_group_other $pins
	no_group_other "$NETBPF_STATE_DIR" "$NETBPF_STATE_DIR"/*
	assert [ -f "$NETBPF_STATE_DIR/netbpf.db" ]
}

@test "security: a non-root user can read neither the database nor a map" {
	run rel_as_nobody sqlite3 -readonly "$NETBPF_STATE_DIR/netbpf.db" .dump
	echo "$output"
	assert_failure
	refute_output --partial 'INSERT INTO'
	run rel_as_nobody cat "$NETBPF_STATE_DIR/netbpf.db"
	assert_failure
	run rel_as_nobody bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	echo "$output"
	assert_failure
	refute_output --partial '"key"'
}

@test "security: netbpfctl as a non-root user: a clear permission error, for reads too" {
	local c
	for c in "network ls" "sandbox ls" "port $(sb s1)" "ct ls" "stats --no-stream" \
		"status" "sandbox create --network sec $(sb x)" "up" "down" "gc"; do
		# shellcheck disable=SC2086
		run rel_as_nobody "$NETBPFCTL" $c
		echo "$c -> $status: $output"
		assert_failure 1
		assert_output --regexp 'permission denied.*(root|readable by root only)'
	done
}

# fingerprint of what a refused publish could change: the database and nb_publish
# (bpftool's order is the hash table's, stable while the map is unchanged); its
# first line is the map's entry count
publish_fingerprint() {
	local dump
	dump=$(bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish")
	grep -c '"key"\|^key' <<<"$dump"
	md5sum <<<"$dump"
	sqlite3 -readonly "$NETBPF_STATE_DIR/netbpf.db" .dump | md5sum
}

@test "limits: a full nb_publish map: a clear error, nothing published, nothing changed" {
	local have room before out rc
	have=$(nb_map nb_publish | json 'len(d)')
	room=$((65536 - have))
	assert [ "$room" -le 65535 ]
	# fill it exactly, from a sandbox of its own: one range of `room` UDP ports
	nbctl sandbox create --network sec "$(sb big)"
	nbctl publish "1-$room:1-$room/udp" "$(sb big)" >/dev/null
	before=$(publish_fingerprint)
	assert [ "$(head -1 <<<"$before")" -eq 65536 ]
	out=$(nbctl publish 9000-9002:80-82 "$(sb s1)" 2>&1) && rc=0 || rc=$?
	echo "$out"
	assert_equal "$rc" 1
	assert_regex "$out" 'map nb_publish: cannot add .*: the map is full \(65536 published ports at most\); nothing was published'
	assert_equal "$before" "$(publish_fingerprint)"
	# room again once the ports are gone
	nbctl sandbox rm "$(sb big)"
	assert [ "$(nb_map nb_publish | json 'len(d)')" -eq "$have" ]
	nbctl publish 9000-9002:80-82 "$(sb s1)"
	rel_consistent
}
