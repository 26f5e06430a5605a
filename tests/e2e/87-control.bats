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
