#!/usr/bin/env bats
# The data plane outlives the control plane: traffic keeps flowing while
# netbpfctl `up` re-runs over the live system, through a hitless reload of
# every program (`up --reload`), and everything comes back after a simulated
# reboot (pins, devices and hooks deleted behind netbpf's back, state kept).
#
# Traffic during each change: ping every 10 ms sandbox s1 -> s2 (endpoint
# program, redirect_peer) and host -> s1 (gateway program), an iperf3 stream
# s1 -> s2, and an iperf3 stream from the world to the published port
# 198.18.0.1:8080 -> s2:5202 (uplink DNAT, conntrack). None may lose a ping
# or break.
#
# Fixture: network lv 10.80.0.0/24 with sandboxes s1, s2 (8080:5202 published).

load lib
load rel

fixture() {
	nb_setup_instance
	nbctl network create --subnet 10.80.0.0/24 lv
	nbctl sandbox create --network lv "$(sb s1)"
	nbctl sandbox create --network lv -p 8080:5202 "$(sb s2)"
}

setup_file() { nb_setup_file fixture; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# hook_ids: "device direction prog-id" of every tc hook of the host netns, and
# the cgroup programs
hook_ids() {
	local dev
	for dev in $(ip -n "$NB_HOST" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
		[ "$dev" = lo ] && continue
		in_host tc filter show dev "$dev" ingress | grep -o ' id [0-9]*' | sed "s/^/$dev in/"
		in_host tc filter show dev "$dev" egress | grep -o ' id [0-9]*' | sed "s/^/$dev out/"
		ip -n "$NB_HOST" -o link show dev "$dev" | grep -o 'prog/xdp[a-z]* id [0-9]*' |
			awk -v dev="$dev" '{print dev, "xdp", "id", $NF}'
	done
	bpftool cgroup show "$NETBPF_CGROUP" | awk 'NR > 1 {print "cgroup", $2, $1}'
}

# map_ids: "name id" of every pinned map
map_ids() {
	local m
	for m in "$NETBPF_PIN_DIR"/nb_*; do
		echo "${m##*/} $(bpftool -j map show pinned "$m" | json 'd["id"]')"
	done
}

# ct_live: "src:sport" of the established flows to the published port 8080
ct_live() {
	nbctl ct ls --format json | json '" ".join(sorted("%s:%d" % (e["original"]["src"],
		e["original"]["sport"]) for e in d
		if e["original"]["dport"] == 8080 and e["state"] == "ESTABLISHED"))'
}

# traffic_start SECONDS: the four streams, in the background
traffic_start() {
	local t=$1 n=$(($1 * 100))
	nb_bg "$NB_TMP/srv1.log" nsenter --net=/run/netns/"$(sb s2)" iperf3 -s -1 -p 5201
	nb_bg "$NB_TMP/srv2.log" nsenter --net=/run/netns/"$(sb s2)" iperf3 -s -1 -p 5202
	wait_listen s2 5201
	wait_listen s2 5202
	nb_bg "$NB_TMP/ping1.log" nsenter --net=/run/netns/"$(sb s1)" \
		ping -n -i 0.01 -c "$n" -W 1 "$(sb_ip s2)"
	nb_bg "$NB_TMP/ping2.log" nsenter --net=/run/netns/"$NB_HOST" \
		ping -n -i 0.01 -c "$n" -W 1 "$(sb_ip s1)"
	# paced, so that two cores keep time for the pings and netbpfctl
	nb_bg "$NB_TMP/iperf1.json" nsenter --net=/run/netns/"$(sb s1)" \
		iperf3 -J -c "$(sb_ip s2)" -p 5201 -t "$t" -b 200M
	nb_bg "$NB_TMP/iperf2.json" nsenter --net=/run/netns/"$NB_WORLD" \
		iperf3 -J -c 198.18.0.1 -p 8080 -t "$t" -b 200M
	sleep 1
}

# traffic_check: wait for the streams; no ping lost, both TCP streams whole
traffic_check() {
	local p f
	for p in $(cat "$NB_TMP/pids"); do
		wait "$p" || true
	done
	rm -f "$NB_TMP/pids"
	for f in ping1 ping2; do
		tail -3 "$NB_TMP/$f.log"
		grep -q ' 0% packet loss' "$NB_TMP/$f.log" || {
			echo "$f lost pings"
			return 1
		}
	done
	for f in iperf1 iperf2; do
		python3 - "$NB_TMP/$f.json" <<-'PY'
			import json, sys
			d = json.load(open(sys.argv[1]))
			if "error" in d:
			    sys.exit("%s: %s" % (sys.argv[1], d["error"]))
			r = d["end"]["sum_received"]
			print("%s: %d bytes in %.1f s, %d retransmits" % (sys.argv[1], r["bytes"],
			      r["seconds"], d["end"]["sum_sent"].get("retransmits", 0)))
			if r["bytes"] <= 0 or r["seconds"] < d["start"]["test_start"]["duration"] - 0.5:
			    sys.exit("%s: the stream broke early" % sys.argv[1])
		PY
	done
}

@test "live: traffic flows with no netbpfctl running, and through \`up\` re-run twice" {
	local before
	before=$(hook_ids)
	traffic_start 4
	nbctl up
	nbctl status >/dev/null
	nbctl up
	traffic_check
	# over a live data plane `up` changes nothing: the same program on every hook
	assert_equal "$before" "$(hook_ids)"
	rel_consistent
}

@test "live: up --reload swaps every program, hitless, keeping maps and conntrack" {
	local hooks maps ct_before ct_after f
	hooks=$(hook_ids)
	maps=$(map_ids)
	traffic_start 4
	ct_before=$(ct_live)
	nbctl up --reload
	ct_after=$(ct_live)
	traffic_check
	# the running stream's flows (control and data connection) survive in conntrack;
	# flows of the previous test may age out meanwhile, so only these are compared
	echo "established flows to the published port: [$ct_before] before, [$ct_after] after"
	assert [ -n "$ct_before" ]
	for f in $ct_before; do
		grep -qw -- "$f" <<<"$ct_after"
	done
	# the same maps (ids), a new program on every hook, as many hooks as before
	assert_equal "$maps" "$(map_ids)"
	diff <(awk '{print $1, $2}' <<<"$hooks") <(hook_ids | awk '{print $1, $2}')
	assert_equal "$(comm -12 <(awk '{print $NF}' <<<"$hooks" | sort -u) \
		<(hook_ids | awk '{print $NF}' | sort -u))" ""
	rel_consistent
}

@test "live: up --reload refuses a map whose layout differs, changing nothing" {
	local hooks orig out rc
	hooks=$(hook_ids)
	orig=$(bpftool -j map show pinned "$NETBPF_PIN_DIR/nb_frags" | json 'd["id"]')
	# another build's nb_frags: same name, another value size
	rm "$NETBPF_PIN_DIR/nb_frags"
	bpftool map create "$NETBPF_PIN_DIR/nb_frags" type lru_hash key 16 value 4 \
		entries 16 name nb_frags
	out=$(nbctl up --reload 2>&1) && rc=0 || rc=$?
	rm "$NETBPF_PIN_DIR/nb_frags"
	bpftool map pin id "$orig" "$NETBPF_PIN_DIR/nb_frags"
	echo "$out"
	assert_equal "$rc" 1
	assert_regex "$out" 'map nb_frags: the pinned map .* differ'
	assert_equal "$hooks" "$(hook_ids)"
	ping_ok s1 "$(sb_ip s2)"
}

@test "live: restore after a simulated reboot (pins, devices, hooks gone; state kept)" {
	local p
	nbctl sandbox create --network lv "$(sb gone)"
	# the reboot: every pin, every nb* device, the uplink's and the cgroup's hooks
	for p in $(bpftool -j cgroup show "$NETBPF_CGROUP" | json '" ".join("%s:%s" % (x["id"], x["attach_type"]) for x in d)'); do
		bpftool cgroup detach "$NETBPF_CGROUP" "${p#*:}" id "${p%%:*}"
	done
	for p in $(ip -n "$NB_HOST" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep '^nb'); do
		ip -n "$NB_HOST" link del "$p" 2>/dev/null || true
	done
	in_host tc qdisc del dev up0 clsact
	rm -rf "${NETBPF_PIN_DIR:?}"/nb_* "$NETBPF_PIN_DIR/progs"
	# ... and one sandbox whose namespace did not survive it
	ip netns del "$(sb gone)"
	refute ping_ok s1 "$(sb_ip s2)"

	run nbctl up
	echo "$output"
	assert_success
	assert_output --partial '2 network(s) and 2 endpoint(s) in place, 1 published port(s)'
	assert_output --partial "1 endpoint(s) of vanished sandboxes skipped"
	ping_ok s1 "$(sb_ip s2)"
	ping_ok host "$(sb_ip s1)"
	assert_equal "$(nbctl port "$(sb s2)")" "5202/tcp -> 0.0.0.0:8080"
	nb_bg "$NB_TMP/echo.log" nsenter --net=/run/netns/"$(sb s2)" \
		socat TCP-LISTEN:5202,reuseaddr EXEC:'echo restored'
	wait_listen s2 5202
	assert_equal "$(in_world socat -T3 - TCP:198.18.0.1:8080,connect-timeout=3 </dev/null)" restored
	nbctl gc
	rel_consistent
}
