#!/usr/bin/env bats
# The control plane against an attacker and an operator's mistakes (issue 19,
# items 7-13): a second instance on the same pin dir, a lost state database,
# a renamed uplink, a deleted pin, publishing on an internal network, slow
# HTTP clients of `metrics --listen`, map sizes from configuration.
#
#   world netns ($NB_WORLD)               host netns ($NB_HOST)
#   wan0 198.18.0.2/24 ─────veth──────── up0 198.18.0.1/24 (uplink)
#                                          netbpfctl up; sandboxes $NB_ID-*
#                                        second host netns $NB_ID-h2 (item 7)
#
# Each test breaks its instance on purpose: every test gets a fresh one.

load lib
bats_load_library bats-support
bats_load_library bats-assert

setup() { nb_setup_instance; }

# wait_long CMD...: CMD succeeds within 30 s (bounded), else its failure
wait_long() {
	local i
	for i in $(seq 300); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}
teardown() { nb_teardown_instance; }

# ---- item 11: nothing is published from an --internal network ----------------

@test "control: publish on an --internal network is refused, and nothing changes" {
	nbctl network create --internal --subnet 10.91.0.0/24 inner
	nbctl sandbox create --network inner "$(sb i1)"
	run expect_fail 'network "inner" is internal' -- nbctl publish 8091:80 "$(sb i1)"
	assert_success
	run nbctl port "$(sb i1)"
	assert_success
	refute_output --partial 8091
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_success
	refute_output --partial '"key"'
}

@test "control: sandbox create -p on an --internal network is refused, nothing half-done" {
	nbctl network create --internal --subnet 10.91.1.0/24 inner
	run expect_fail 'network "inner" is internal' -- \
		nbctl sandbox create --network inner -p 8092:80 "$(sb i2)"
	assert_success
	run nbctl sandbox ls
	assert_success
	refute_output --partial "$(sb i2)"
	run ip netns list
	refute_output --partial "$(sb i2)"
}

# ---- item 12: slow clients do not starve `metrics --listen` ------------------

@test "control: 1,100 idle half-sent requests do not starve a real scrape" {
	local port
	nb_bg "$NB_TMP/http.log" nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" metrics \
		--listen 127.0.0.1:0
	wait_for grep -q '^Serving metrics' "$NB_TMP/http.log"
	port=$(sed -n 's|^Serving metrics on http://127.0.0.1:\([0-9]*\)/metrics|\1|p' \
		"$NB_TMP/http.log")
	assert [ -n "$port" ]
	# the slow client: 1,100 connections from 127.0.0.1, each half a request,
	# held for at most 60 s (it stops by itself; teardown ends it earlier)
	nb_bg "$NB_TMP/slow.log" nsenter --net=/run/netns/"$NB_HOST" python3 \
		"$NB_SRC/tests/e2e/halfsent.py" 127.0.0.1 "$port" 1100 60 127.0.0.1
	wait_long grep -q '^open' "$NB_TMP/slow.log"
	cat "$NB_TMP/slow.log"
	# a scraper from another address gets a full answer while they are held
	run in_host curl -sS --max-time 10 --interface 127.0.0.2 \
		"http://127.0.0.1:$port/metrics"
	assert_success
	assert_output --partial 'netbpf_map_max_entries'
	# and the server still runs
	run in_host curl -sS --max-time 10 --interface 127.0.0.3 \
		"http://127.0.0.1:$port/metrics"
	assert_success
	assert_output --partial 'netbpf_drops_total'
}

# ---- item 7: a second instance on the same pin dir ---------------------------

# nbctl2 ARGS...: netbpfctl as a second instance: its own netns and state dir,
# the first instance's pin dir
nbctl2() {
	NETBPF_STATE_DIR=$NB_TMP/state2 nsenter --net=/run/netns/"$NB_ID-h2" "$NETBPFCTL" "$@"
}

@test "control: a second instance on the same pin dir is refused, naming the owner" {
	local publish config
	nbctl network create --subnet 10.92.0.0/24 pub
	nbctl sandbox create --network pub -p 8093:80 "$(sb p1)"
	publish=$(bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish")
	config=$(bpftool map dump pinned "$NETBPF_PIN_DIR/nb_config")
	ip netns add "$NB_ID-h2"
	ip -n "$NB_ID-h2" link set lo up
	run nbctl2 up
	assert_failure
	assert_output --partial "pin dir $NETBPF_PIN_DIR belongs to instance"
	assert_output --partial "network namespace \"$NB_HOST\""
	assert_output --partial "state dir $NETBPF_STATE_DIR"
	# its other verbs and its `down` are refused alike
	run nbctl2 network ls
	assert_failure
	assert_output --partial "pin dir $NETBPF_PIN_DIR holds the live data plane of instance"
	run nbctl2 down
	assert_failure
	assert_output --partial "down: pin dir $NETBPF_PIN_DIR belongs to instance"
	# the first instance is untouched: its published port, its netns cookie, its pins
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_output "$publish"
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_config"
	assert_output "$config"
	run nbctl status
	assert_success
	run nbctl port "$(sb p1)"
	assert_success
	assert_output --partial 8093
}

# ---- item 8: a lost state database while pins exist --------------------------

@test "control: an emptied or deleted state database is an error naming both; gc removes nothing" {
	local verb devs
	nbctl network create --subnet 10.93.0.0/24 st
	nbctl sandbox create --network st "$(sb d1)"
	devs=$(in_host ip -o link show | grep -c ': nb')
	assert [ "$devs" -ge 3 ]
	cp "$NETBPF_STATE_DIR/netbpf.db" "$NB_TMP/saved.db"
	: >"$NETBPF_STATE_DIR/netbpf.db"
	run nbctl status
	assert_failure
	assert_output --partial "state $NETBPF_STATE_DIR records no instance"
	assert_output --partial "pin dir $NETBPF_PIN_DIR holds the live data plane"
	rm -f "$NETBPF_STATE_DIR/netbpf.db"
	for verb in status gc up "network ls" "sandbox ls" "stats --no-stream"; do
		# shellcheck disable=SC2086
		run nbctl $verb
		assert_failure
		assert_output --partial "state $NETBPF_STATE_DIR records no instance"
		assert_output --partial "pin dir $NETBPF_PIN_DIR holds the live data plane"
	done
	run in_host ip -o link show
	assert_equal "$(grep -c ': nb' <<<"$output")" "$devs"
	# the database restored, all is well again
	cp "$NB_TMP/saved.db" "$NETBPF_STATE_DIR/netbpf.db"
	run nbctl status
	assert_success
	assert_output --partial "Sandboxes:  1"
	# a lost database: `down` is the way out
	rm -f "$NETBPF_STATE_DIR/netbpf.db"
	run nbctl down
	assert_success
}

@test "control: gc with a state that records no instance removes no device" {
	nbctl down
	rm -f "$NETBPF_STATE_DIR/netbpf.db"
	# a netbpf-looking device and a database that knows nothing: nothing proves it orphaned
	in_host ip link add nbe0test type veth peer name nbe0testp
	run nbctl gc
	assert_success
	assert_output --partial "left every device alone"
	run in_host ip -o link show nbe0test
	assert_success
}

# ---- item 10: a deleted pin ---------------------------------------------------

@test "control: a deleted map pin: status and gc name it and fail, up re-pins it with its entries" {
	local before
	nbctl network create --subnet 10.94.0.0/24 pins
	nbctl sandbox create --network pins -p 8094:80 "$(sb m1)"
	before=$(bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish")
	assert [ -n "$before" ]
	rm "$NETBPF_PIN_DIR/nb_publish"
	run nbctl status
	assert_failure
	assert_output --partial "map nb_publish: pin $NETBPF_PIN_DIR/nb_publish is missing"
	run nbctl gc
	assert_failure
	assert_output --partial "map nb_publish: pin $NETBPF_PIN_DIR/nb_publish is missing"
	run nbctl up
	assert_success
	assert_output --partial "map nb_publish: re-pinned at $NETBPF_PIN_DIR/nb_publish"
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_output "$before"
	run nbctl status
	assert_success
	assert_output --partial "every pin in place"
	run nbctl publish 8095:81 "$(sb m1)"
	assert_success
}

@test "control: a deleted program pin or owner record: status names it, up restores it" {
	local prog
	prog=$(ls "$NETBPF_PIN_DIR/progs" | head -n1)
	assert [ -n "$prog" ]
	rm "$NETBPF_PIN_DIR/progs/$prog" "$NETBPF_PIN_DIR/nb_owner"
	run nbctl status
	assert_failure
	assert_output --partial "program \"$prog\": pin $NETBPF_PIN_DIR/progs/$prog is missing"
	assert_output --partial "instance record: pin $NETBPF_PIN_DIR/nb_owner is missing"
	run nbctl up
	assert_success
	run nbctl status
	assert_success
	assert_output --partial "every pin in place"
}

# ---- item 9: a renamed uplink ---------------------------------------------------

# rename_link OLD NEW: in the host netns (a device is renamed while down)
rename_link() {
	in_host ip link set "$1" down
	in_host ip link set "$1" name "$2"
	in_host ip link set "$2" up
}

@test "control: a renamed uplink: status shows it, down detaches it, up follows it by ifindex" {
	rename_link up0 wan9
	run nbctl status
	assert_success
	assert_output --partial "Uplinks:    wan9"
	run nbctl down
	assert_success
	run in_host tc filter show dev wan9 ingress
	assert_output ""
	run in_host tc filter show dev wan9 egress
	assert_output ""
	run nbctl up --uplink up0
	assert_failure
	assert_output --partial 'uplink "up0": no such interface'
	run nbctl up
	assert_success
	assert_output --partial 'uplink "up0" is now named "wan9"'
	run in_host tc filter show dev wan9 ingress
	assert_output --partial uplink_in
	run nbctl status
	assert_success
	assert_output --partial "Uplinks:    wan9"
	# renamed again while up: down still finds it by what is attached
	rename_link wan9 wan10
	run nbctl down
	assert_success
	run in_host tc filter show dev wan10 ingress
	assert_output ""
}

@test "control: up with its uplink gone fails naming it, and leaves nothing behind" {
	nbctl down
	in_host ip link del up0
	run nbctl up
	assert_failure
	assert_output --partial 'uplink "up0"'
	assert_output --partial "no longer in this network namespace"
	run nbctl status
	assert_failure 3
	run find "$NETBPF_PIN_DIR" -mindepth 1 ! -name '*.debug'
	assert_output ""
}
