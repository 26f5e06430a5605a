#!/usr/bin/env bats
# The control plane against an attacker and an operator's mistakes (issue 19,
# items 7-13): a second instance on the same pin dir, a lost state database,
# a renamed uplink, a deleted pin, publishing on an internal network, slow
# HTTP clients of `metrics --listen`, map sizes from configuration; and (issue
# 18) `up --reload` over maps a build before the readable BTF created.
#
#   world netns ($NB_WORLD)               host netns ($NB_HOST)
#   wan0 198.18.0.2/24 ─────veth──────── up0 198.18.0.1/24 (uplink)
#                                          netbpfctl up; sandboxes $NB_ID-*
#                                        second host netns $NB_ID-h2 (item 7)
#
# Each test breaks its instance on purpose: every test gets a fresh one.
# NB_CNI: the CNI plugin to test (default: this tree's build/netbpf-cni).

load lib

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

@test "control: CNI portMappings on an internal network are refused, nothing left" {
	local conf=$NB_TMP/inner.json
	cat >"$conf" <<-EOF
		{"cniVersion": "1.0.0", "name": "cniinner", "type": "netbpf",
		 "subnet": "10.91.2.0/24", "internal": true,
		 "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		 "cgroup": "$NETBPF_CGROUP",
		 "runtimeConfig": {"portMappings": [{"hostPort": 8096, "containerPort": 80,
		   "protocol": "tcp", "hostIP": ""}]}}
	EOF
	ip netns add "$(sb c1)"
	run in_host env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS="/run/netns/$(sb c1)" \
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "${NB_CNI:-$NB_SRC/build/netbpf-cni}" <"$conf"
	assert_failure
	assert_output --partial 'network \"cniinner\" is internal'
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	refute_output --partial '"key"'
	run nbctl sandbox ls
	refute_output --partial c1
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

# ---- item 13: map sizes from configuration --------------------------------------

# map_max NAME: the pinned map's max_entries
map_max() {
	bpftool -j map show pinned "$NETBPF_PIN_DIR/$1" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["max_entries"])'
}

@test "control: map sizes from up --max-endpoints/--max-networks/--ct-size, kept, shown in status" {
	# the defaults fit a small host: 4,096 endpoints, not 65,536 per-CPU stats slots
	run map_max nb_ep_stats
	assert_output 4097
	nbctl down
	run nbctl up --max-endpoints 64 --max-networks 16 --ct-size 2048
	assert_success
	run map_max nb_ep_stats
	assert_output 65
	run map_max nb_ports
	assert_output 80
	run map_max nb_networks
	assert_output 16
	run map_max nb_ct
	assert_output 2048
	run nbctl status
	assert_success
	assert_output --partial "Map sizes:  --max-endpoints 64, --max-networks 16, --ct-size 2048"
	assert_output --partial "Map memory: "
	assert_line --regexp '^nb_ep_stats +percpu_array +65 +65 +[0-9.]+ KiB \([0-9]+ CPUs\)$'
	assert_line --regexp '^nb_ct +lru_hash +[0-9]+ +2048 +[0-9.]+ [KM]iB$'
	# kept in the state: a plain `up` and a reload keep and compare against them
	run nbctl up
	assert_success
	run nbctl up --reload
	assert_success
	run map_max nb_ep_stats
	assert_output 65
	# another size over the live maps: refused, naming the map, both sizes and the option
	run nbctl up --max-endpoints 128
	assert_failure
	assert_output --partial "map nb_ep_stats: the live one has 65 entries, the configuration asks for 129 (--max-endpoints"
	run map_max nb_ep_stats
	assert_output 65
	run nbctl up --reload --ct-size 4096
	assert_failure
	assert_output --partial "map nb_ct: the live one has 2048 entries"
	# down, then up with the new size
	nbctl down
	run nbctl up --max-endpoints 128
	assert_success
	run map_max nb_ep_stats
	assert_output 129
	run map_max nb_ct
	assert_output 2048
	run nbctl up --max-endpoints 99999999
	assert_failure
	assert_output --partial '--max-endpoints "99999999": not a number from 16 to 65535'
}

@test "control: a full instance names the limit and the option that raises it" {
	local i
	nbctl down
	nbctl up --max-endpoints 16 --max-networks 8
	nbctl network create --subnet 10.95.0.0/24 full
	for i in $(seq 16); do
		nbctl sandbox create --network full "$(sb f$i)" >/dev/null
	done
	run nbctl sandbox create --network full "$(sb f17)"
	assert_failure
	assert_output --partial "the instance holds at most 16 endpoints"
	assert_output --partial "netbpfctl up --max-endpoints N"
	run nbctl sandbox ls
	refute_output --partial "$(sb f17)"
	# networks: net_ids 1..8, the predefined bridge and "full" hold two
	for i in $(seq 6); do
		nbctl network create --subnet "10.96.$i.0/24" "n$i" >/dev/null
	done
	run nbctl network create --subnet 10.96.7.0/24 n7
	assert_failure
	assert_output --partial "the instance holds at most 8 networks"
	assert_output --partial "netbpfctl up --max-networks N"
	# the state must fit the sizes of an `up`
	nbctl down
	nbctl up --max-networks 16
	nbctl network create --subnet 10.96.7.0/24 n7
	nbctl down
	run nbctl up --max-networks 8
	assert_failure
	assert_output --partial '--max-networks 8: network "n7" of the state has net_id 9'
}

# ---- issue 18: maps of a build before the readable BTF --------------------------

# map_id MAP: the kernel's id of a pinned map
map_id() {
	bpftool -j map show pinned "$NETBPF_PIN_DIR/$1" | json 'd["id"]'
}

@test "control: up --reload keeps maps whose BTF has integer addresses; down/up makes them bytes" {
	local pub ct
	# the maps as a build before user/lib/btfview.c created them: the compiler's BTF
	nbctl down
	NETBPF_BTF=compiled nbctl up
	nbctl network create --subnet 10.91.2.0/24 rl
	nbctl sandbox create --network rl -p 8095:8095 "$(sb r1)"
	tcp_echo_check world r1 198.18.0.1 8095 4096
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_output --regexp '"sb_ip": [0-9]+,'
	pub=$(map_id nb_publish)
	ct=$(map_id nb_ct)
	# this build's BTF has bytes where those maps have a __be32: the same layout (btfcmp)
	run nbctl up --reload
	assert_success
	assert_equal "$(map_id nb_publish)" "$pub"
	assert_equal "$(map_id nb_ct)" "$ct"
	# the live maps keep the BTF they were made with; their entries still work
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_output --regexp '"sb_ip": [0-9]+,'
	nb_kill_bg
	tcp_echo_check world r1 198.18.0.1 8095 4096
	# made anew, they print the bytes
	nb_kill_bg
	nbctl down
	nbctl up
	run bpftool map dump pinned "$NETBPF_PIN_DIR/nb_publish"
	assert_output --regexp '"sb_ip": \[10,91,2,[0-9]+'
	tcp_echo_check world r1 198.18.0.1 8095 4096
}
