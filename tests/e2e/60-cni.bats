#!/usr/bin/env bats
# The CNI plugin run as container runtimes run it: build/netbpf-cni with the
# CNI_* environment and a network configuration on stdin, inside the
# instance's host netns, then podman 4 (CNI backend) using it.
#
#   world ($NB_WORLD)                       host ($NB_HOST): netbpfctl up, the plugin and podman
#   wan0 198.18.0.2 ──────────veth───────── up0 198.18.0.1   [tc uplink_in/uplink_out]
#                                              │ nbg: cniweb 10.94.1.1, nbpod 10.94.2.1
#                      ┌────────────────────────┼──────────────────────┐
#                  $NB_ID-c1, -web,        $NB_ID-p0 .. p19       podman's containers
#                  (ip netns add)          (20 parallel ADDs)     (/run/netns/netns-*)
#
# Every configuration names the instance (stateDir, pinDir, cgroup), so the
# plugin never falls back to the machine's defaults; podman gets a private
# containers.conf (CONTAINERS_CONF), storage (--root/--runroot/--tmpdir),
# CNI config and plugin directories, and a cgroup parent of the test's own,
# and runs under nsenter --net so the CNI plugins it calls act in the host
# netns. Nothing global is configured or left behind.

load lib
load nat

# `run --separate-stderr`: the plugin's stdout is JSON, its log goes to stderr
bats_require_minimum_version 1.5.0

PLUGIN=${NB_SRC}/build/netbpf-cni

cni_setup() {
	nb_setup_instance
	mkdir -p "$NB_TMP/cni"
	# one plugin configuration, as a runtime passes it (conflist entry + name/cniVersion)
	cat >"$NB_TMP/cni/web.json" <<-EOF
		{"cniVersion": "1.0.0", "name": "cniweb", "type": "netbpf",
		 "subnet": "10.94.1.0/24", "mtu": 1500, "ipMasq": true,
		 "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		 "cgroup": "$NETBPF_CGROUP"}
	EOF
}
setup_file() { nb_setup_file cni_setup; }
teardown_file() {
	local rc=0
	podman_cleanup || rc=$?
	nb_teardown_instance
	return "$rc"
}
setup() { nb_setup_ok; }
teardown() {
	nb_kill_bg
	assert_no_bridge_no_rules
}

# cni CMD CONTAINER NETNS IFNAME CONF [VAR=VALUE...]: the plugin, as a runtime runs it
cni() {
	local cmd=$1 cid=$2 netns=$3 ifname=$4 conf=$5
	shift 5
	in_host env CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_NETNS="$netns" \
		CNI_IFNAME="$ifname" CNI_PATH=/usr/lib/cni "$@" "$PLUGIN" <"$conf"
}

# conf_with FILE JSON: the web configuration with JSON's keys added, in FILE
conf_with() {
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
c.update(json.loads(sys.argv[2]))
json.dump(c, open(sys.argv[3], "w"))' "$NB_TMP/cni/web.json" "$2" "$1"
}

@test "ADD, CHECK, DEL as a runtime runs them; network inspect and stats show the container" {
	ip netns add "$(sb c1)"
	run --separate-stderr cni ADD c1 "/run/netns/$(sb c1)" eth0 "$NB_TMP/cni/web.json"
	echo "$output"
	assert_success
	echo "$output" >"$NB_TMP/c1.result"
	addr=$(json 'd["ips"][0]["address"]' <"$NB_TMP/c1.result")
	assert_equal "$addr" "10.94.1.2/24"
	assert_equal "$(json 'd["ips"][0]["gateway"]' <"$NB_TMP/c1.result")" "10.94.1.1"
	assert_equal "$(json 'd["interfaces"][1]["sandbox"]' <"$NB_TMP/c1.result")" "/run/netns/$(sb c1)"
	assert_equal "$(json 'd["routes"][0]["dst"]' <"$NB_TMP/c1.result")" "0.0.0.0/0"
	host_if=$(json 'd["interfaces"][0]["name"]' <"$NB_TMP/c1.result")
	ip -n "$NB_HOST" link show "$host_if"
	# the container has it: address, MAC from the address, default route; traffic both ways
	assert_equal "$(sb_ip c1)" 10.94.1.2
	assert_equal "$(sb_mac c1)" "$(docker_mac 10.94.1.2)"
	in_sb c1 ip route show default | grep -q 'via 10.94.1.1 dev eth0'
	ping_ok c1 10.94.1.1
	ping_ok host 10.94.1.2

	# one network: netbpfctl sees the runtime's container, and counts its traffic
	nbctl network inspect cniweb >"$NB_TMP/inspect.json"
	assert_equal "$(json 'list(d[0]["Containers"].values())[0]["Name"]' <"$NB_TMP/inspect.json")" c1
	assert_equal "$(json 'list(d[0]["Containers"].values())[0]["IPv4Address"]' \
		<"$NB_TMP/inspect.json")" "10.94.1.2/24"
	nbctl stats --no-stream --format json >"$NB_TMP/stats.json"
	run json '[s for s in d if s["name"] == "/c1"][0]["networks"]["eth0"]["tx_packets"]' \
		<"$NB_TMP/stats.json"
	echo "tx_packets: $output"
	assert_success
	assert [ "$output" -ge 2 ]

	# CHECK with the result as prevResult: quiet success
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["prevResult"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[3], "w"))' "$NB_TMP/cni/web.json" "$NB_TMP/c1.result" "$NB_TMP/check.json"
	run --separate-stderr cni CHECK c1 "/run/netns/$(sb c1)" eth0 "$NB_TMP/check.json"
	echo "$output"
	assert_success
	refute_output

	run --separate-stderr cni DEL c1 "/run/netns/$(sb c1)" eth0 "$NB_TMP/cni/web.json"
	assert_success
	refute_output
	refute ip -n "$NB_HOST" link show "$host_if"
	assert_equal "$(nbctl network inspect cniweb | json 'len(d[0]["Containers"])')" 0
	ip netns del "$(sb c1)"
}

@test "ipam.ranges with a v4 and a v6 range set: a dual-stack network, both addresses in the result" {
	cat >"$NB_TMP/cni/dual.json" <<-EOF
		{"cniVersion": "1.0.0", "name": "cnidual", "type": "netbpf",
		 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.94.3.0/24"}],
		   [{"subnet": "fd00:94:3::/64", "gateway": "fd00:94:3::1"}]]},
		 "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		 "cgroup": "$NETBPF_CGROUP"}
	EOF
	ip netns add "$(sb d1)"
	run --separate-stderr cni ADD d1 "/run/netns/$(sb d1)" eth0 "$NB_TMP/cni/dual.json"
	echo "$output"
	assert_success
	echo "$output" >"$NB_TMP/d1.result"
	run json '[(i["address"], i["gateway"]) for i in d["ips"]]' <"$NB_TMP/d1.result"
	assert_output '[["10.94.3.2/24", "10.94.3.1"], ["fd00:94:3::2/64", "fd00:94:3::1"]]'
	run json '[r["dst"] for r in d["routes"]]' <"$NB_TMP/d1.result"
	assert_output '["0.0.0.0/0", "::/0"]'
	run in_sb d1 ip -o -6 addr show dev eth0 scope global
	assert_output --partial 'fd00:94:3::2/64'
	run nbctl network inspect -f '{{.EnableIPv6}}' cnidual
	assert_output true
	# a 0.4.0 runtime gets each address's version
	sed 's/"1.0.0"/"0.4.0"/' "$NB_TMP/cni/dual.json" >"$NB_TMP/cni/dual04.json"
	run --separate-stderr cni DEL d1 "/run/netns/$(sb d1)" eth0 "$NB_TMP/cni/dual.json"
	assert_success
	ip netns add "$(sb d2)"
	run --separate-stderr cni ADD d2 "/run/netns/$(sb d2)" eth0 "$NB_TMP/cni/dual04.json"
	assert_success
	run json '[i["version"] for i in d["ips"]]' <<<"$output"
	assert_output '["4", "6"]'
	run --separate-stderr cni DEL d2 "/run/netns/$(sb d2)" eth0 "$NB_TMP/cni/dual04.json"
	assert_success
	ip netns del "$(sb d1)"
	ip netns del "$(sb d2)"
	nbctl network rm cnidual
}

# the world-facing IPv6 addresses of the uplink, for the dual-stack port tests
HOST6=2001:db8:94::1
WORLD6=2001:db8:94::2

@test "portMappings on a dual-stack network: both families, [::] alone, 0.0.0.0 alone, a host v6 address; CHECK, DEL; a v6 hostIP on a v4 network refused" {
	uplink6 "$HOST6" "$WORLD6"
	cat >"$NB_TMP/cni/dpm.json" <<-EOF
		{"cniVersion": "1.0.0", "name": "cnidpm", "type": "netbpf",
		 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.94.6.0/24"}],
		   [{"subnet": "fd00:94:6::/64"}]]},
		 "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		 "cgroup": "$NETBPF_CGROUP",
		 "runtimeConfig": {"portMappings": [
		   {"hostPort": 8096, "containerPort": 80, "protocol": "tcp", "hostIP": ""},
		   {"hostPort": 8097, "containerPort": 80, "protocol": "tcp", "hostIP": "::"},
		   {"hostPort": 8098, "containerPort": 80, "protocol": "tcp", "hostIP": "0.0.0.0"},
		   {"hostPort": 8101, "containerPort": 80, "protocol": "tcp", "hostIP": "$HOST6"}]}}
	EOF
	ip netns add "$(sb dpm)"
	run --separate-stderr cni ADD dpm "/run/netns/$(sb dpm)" eth0 "$NB_TMP/cni/dpm.json"
	echo "$output"
	assert_success
	echo "$output" >"$NB_TMP/dpm.result"
	# python's http.server on [::], both families (http_serve's listens on IPv4 alone)
	mkdir -p "$NB_TMP/www.dpm"
	echo dpm:80 >"$NB_TMP/www.dpm/index.html"
	nb_bg "$NB_TMP/http.dpm.80.log" nsenter --net=/run/netns/"$(sb dpm)" \
		python3 -u -m http.server --bind :: --directory "$NB_TMP/www.dpm" 80
	wait_listen dpm 80
	run nbctl port dpm
	assert_line '80/tcp -> 0.0.0.0:8096'
	assert_line '80/tcp -> [::]:8096'
	assert_line '80/tcp -> [::]:8097'
	assert_line '80/tcp -> 0.0.0.0:8098'
	refute_line '80/tcp -> 0.0.0.0:8097'
	refute_line '80/tcp -> [::]:8098'
	assert_line "80/tcp -> [$HOST6]:8101"
	# over IPv6 from the world (the address waits for DAD), the client's own address seen
	wait_for get6 "$HOST6" 8096
	run get6 "$HOST6" 8096
	assert_success
	assert_output dpm:80
	run http_log dpm 80
	assert_output --partial "$WORLD6 - -"
	assert_equal "$(http_get world http://198.18.0.1:8096/)" dpm:80
	run get6 "$HOST6" 8097
	assert_output dpm:80
	run http_get world http://198.18.0.1:8097/
	assert_failure
	assert_equal "$(http_get world http://198.18.0.1:8098/)" dpm:80
	run get6 "$HOST6" 8098
	assert_failure
	run get6 "$HOST6" 8101
	assert_output dpm:80
	# CHECK verifies both families (the unit test takes an entry away behind its back)
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["prevResult"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[3], "w"))' "$NB_TMP/cni/dpm.json" "$NB_TMP/dpm.result" "$NB_TMP/dpmcheck.json"
	run --separate-stderr cni CHECK dpm "/run/netns/$(sb dpm)" eth0 "$NB_TMP/dpmcheck.json"
	assert_success
	refute_output
	# DEL removes both families
	run --separate-stderr cni DEL dpm "/run/netns/$(sb dpm)" eth0 "$NB_TMP/cni/dpm.json"
	assert_success
	run get6 "$HOST6" 8096
	assert_failure
	run http_get world http://198.18.0.1:8096/
	assert_failure
	run get6 "$HOST6" 8101
	assert_failure
	run nbctl port dpm
	assert_failure

	# a v6 hostIP on the v4-only network: a CNI error naming the cause, nothing half-done
	conf_with "$NB_TMP/cni/pm4.json" \
		'{"runtimeConfig": {"portMappings": [{"hostPort": 8099, "containerPort": 80, "protocol": "tcp", "hostIP": ""}, {"hostPort": 8100, "containerPort": 80, "protocol": "tcp", "hostIP": "::"}]}}'
	ip netns add "$(sb v4only)"
	run --separate-stderr cni ADD v4only "/run/netns/$(sb v4only)" eth0 "$NB_TMP/cni/pm4.json"
	echo "$output"
	assert_failure 1
	assert_equal "$(echo "$output" | json 'd["code"]')" 100
	echo "$output" | json 'd["msg"]' | grep -q 'has no IPv6 address'
	run nbctl sandbox inspect v4only
	assert_failure
	run http_get world http://198.18.0.1:8099/
	assert_failure
	run sqlite3 "$NETBPF_STATE_DIR/netbpf.db" "SELECT host_port FROM publish WHERE host_port = 8099"
	assert_success
	assert_output ""
	ip netns del "$(sb dpm)"
	ip netns del "$(sb v4only)"
	nbctl network rm cnidpm
}

@test "20 ADDs in parallel: 20 distinct addresses, all reachable; DEL idempotent, also after the netns is gone" {
	local i pids=()
	for i in $(seq 0 19); do
		ip netns add "$(sb p$i)"
	done
	for i in $(seq 0 19); do
		cni ADD "p$i" "/run/netns/$(sb p$i)" eth0 "$NB_TMP/cni/web.json" \
			>"$NB_TMP/p$i.out" 2>"$NB_TMP/p$i.err" &
		pids+=($!)
	done
	for i in $(seq 0 19); do
		wait "${pids[$i]}" || { cat "$NB_TMP/p$i.out" "$NB_TMP/p$i.err"; return 1; }
	done
	for i in $(seq 0 19); do
		json 'd["ips"][0]["address"]' <"$NB_TMP/p$i.out"
	done >"$NB_TMP/addrs"
	assert [ "$(sort -u "$NB_TMP/addrs" | wc -l)" -eq 20 ]
	for i in $(seq 0 19); do
		ip=$(sb_ip "p$i")
		grep -qx "$ip/24" "$NB_TMP/addrs"
		ping_ok host "$ip"
	done
	# two of them talk to each other through the switch
	ping_ok p0 "$(sb_ip p19)"
	assert_equal "$(nbctl network inspect cniweb | json 'len(d[0]["Containers"])')" 20
	assert_equal "$(nbctl stats --no-stream --format json | json 'len([s for s in d if s["name"].startswith("/p")])')" 20

	# DEL twice each for the first ten; the others' netns vanish before their DEL
	for i in $(seq 0 9); do
		cni DEL "p$i" "/run/netns/$(sb p$i)" eth0 "$NB_TMP/cni/web.json"
		cni DEL "p$i" "/run/netns/$(sb p$i)" eth0 "$NB_TMP/cni/web.json"
		ip netns del "$(sb p$i)"
	done
	for i in $(seq 10 19); do
		ip netns del "$(sb p$i)"
		run --separate-stderr cni DEL "p$i" "/run/netns/$(sb p$i)" eth0 "$NB_TMP/cni/web.json"
		assert_success
		refute_output
		cni DEL "p$i" "" eth0 "$NB_TMP/cni/web.json"
	done
	assert_equal "$(nbctl network inspect cniweb | json 'len(d[0]["Containers"])')" 0
	assert_equal "$(ip -n "$NB_HOST" -o link show | awk -F': ' '{print $2}' | grep '^nbe')" ""
}

@test "portMappings: published through netbpf's NAT, reached from the world and the host, gone with DEL" {
	conf_with "$NB_TMP/cni/pm.json" \
		'{"runtimeConfig": {"portMappings": [{"hostPort": 8090, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]}}'
	ip netns add "$(sb web)"
	run --separate-stderr cni ADD web "/run/netns/$(sb web)" eth0 "$NB_TMP/cni/pm.json"
	echo "$output"
	assert_success
	http_serve web 80
	assert_equal "$(http_get world http://198.18.0.1:8090/)" web:80
	assert_equal "$(in_cg host curl -sS --max-time 3 http://127.0.0.1:8090/)" web:80
	nbctl port web | grep -qx '80/tcp -> 0.0.0.0:8090'
	nbctl ct ls | grep -q "10.94.1.2:80"
	# another container cannot take the same host port
	ip netns add "$(sb web2)"
	run --separate-stderr cni ADD web2 "/run/netns/$(sb web2)" eth0 "$NB_TMP/cni/pm.json"
	echo "$output"
	assert_failure 1
	assert_equal "$(echo "$output" | json 'd["code"]')" 100
	echo "$output" | json 'd["msg"]' | grep -q 'already published by sandbox "web"'

	run --separate-stderr cni DEL web "/run/netns/$(sb web)" eth0 "$NB_TMP/cni/pm.json"
	assert_success
	run http_get world http://198.18.0.1:8090/
	assert_failure
	ip netns del "$(sb web)"
	ip netns del "$(sb web2)"
}

@test "portMappings: a host port a host process listens on is refused, naming it" {
	conf_with "$NB_TMP/cni/pmh.json" \
		'{"runtimeConfig": {"portMappings": [{"hostPort": 8095, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]}}'
	nb_bg "$NB_TMP/hostsvc.log" nsenter --net=/run/netns/"$NB_HOST" \
		python3 -u -m http.server --directory "$NB_TMP" 8095
	wait_listen host 8095
	ip netns add "$(sb hp)"
	run --separate-stderr cni ADD hp "/run/netns/$(sb hp)" eth0 "$NB_TMP/cni/pmh.json"
	echo "$output"
	assert_failure 1
	echo "$output" | json 'd["msg"] + " " + d.get("details", "")' >"$NB_TMP/hp.msg"
	run cat "$NB_TMP/hp.msg"
	assert_output --partial "host port 0.0.0.0:8095/tcp: bind: address already in use"
	assert_output --partial "held by python3"
	# nothing left of the container
	run nbctl sandbox inspect hp
	assert_failure
	ip netns del "$(sb hp)"
}

@test "portMappings on a container's second network: published through that network's endpoint" {
	# a second netbpf network; the container's first ADD (eth0) publishes nothing
	cat >"$NB_TMP/cni/two.json" <<-EOF
		{"cniVersion": "1.0.0", "name": "cnitwo", "type": "netbpf",
		 "subnet": "10.94.4.0/24", "mtu": 1500, "ipMasq": true,
		 "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		 "cgroup": "$NETBPF_CGROUP",
		 "runtimeConfig": {"portMappings": [{"hostPort": 8092, "containerPort": 80, "protocol": "tcp", "hostIP": ""}]}}
	EOF
	ip netns add "$(sb two)"
	run --separate-stderr cni ADD two "/run/netns/$(sb two)" eth0 "$NB_TMP/cni/web.json"
	assert_success
	run --separate-stderr cni ADD two "/run/netns/$(sb two)" eth1 "$NB_TMP/cni/two.json"
	echo "$output"
	assert_success
	assert_equal "$(sb_ip two eth1)" 10.94.4.2
	# a server on the second network's address only: the port must lead there, not to eth0's
	mkdir -p "$NB_TMP/www.two"
	echo two:eth1 >"$NB_TMP/www.two/index.html"
	nb_bg "$NB_TMP/http.two.log" nsenter --net=/run/netns/"$(sb two)" \
		python3 -u -m http.server --bind 10.94.4.2 --directory "$NB_TMP/www.two" 80
	# (a loaded machine can take longer than wait_listen's 5 s to start python)
	wait_listen two 80 || wait_listen two 80 || wait_listen two 80
	# replies from eth1's address leave by eth1 (source routing, as on any two-homed host):
	# the default route goes by the first network, whose endpoint drops a foreign source
	in_sb two ip rule add from 10.94.4.2 lookup 100
	in_sb two ip route add default via 10.94.4.1 dev eth1 table 100
	run http_get world http://198.18.0.1:8092/
	echo "$output"
	assert_success
	assert_output two:eth1
	nbctl ct ls | grep -q "10.94.4.2:80"
	run nbctl port two
	assert_line '80/tcp -> 0.0.0.0:8092'

	# DEL of that attachment takes its port away; the first network's stays attached
	run --separate-stderr cni DEL two "/run/netns/$(sb two)" eth1 "$NB_TMP/cni/two.json"
	assert_success
	run http_get world http://198.18.0.1:8092/
	assert_failure
	run nbctl port two
	refute_output --partial 8092
	ping_ok two 10.94.1.1
	run --separate-stderr cni DEL two "/run/netns/$(sb two)" eth0 "$NB_TMP/cni/web.json"
	assert_success
	ip netns del "$(sb two)"
}

@test "sandboxes are named after the pod (K8S_POD_NAME), keyed by the container id; two pods of one name" {
	local a1="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=podweb;K8S_POD_INFRA_CONTAINER_ID=ctr-a"
	local a2="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns2;K8S_POD_NAME=podweb;K8S_POD_INFRA_CONTAINER_ID=ctr-b"
	local a3="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns2;K8S_POD_NAME=podweb"
	ip netns add "$(sb pa)"
	ip netns add "$(sb pb)"
	ip netns add "$(sb pc)"
	run --separate-stderr cni ADD ctr-a "/run/netns/$(sb pa)" eth0 "$NB_TMP/cni/web.json" CNI_ARGS="$a1"
	assert_success
	echo "$output" >"$NB_TMP/pa.result"
	run --separate-stderr cni ADD ctr-b "/run/netns/$(sb pb)" eth0 "$NB_TMP/cni/web.json" CNI_ARGS="$a2"
	assert_success
	run --separate-stderr cni ADD ctr-c "/run/netns/$(sb pc)" eth0 "$NB_TMP/cni/web.json" CNI_ARGS="$a3"
	assert_success
	# the pod's name; then the namespace tells a second pod of that name apart; then the id
	assert_equal "$(nbctl sandbox inspect podweb | json 'd[0]["ContainerID"]')" ctr-a
	assert_equal "$(nbctl sandbox inspect podweb.ns2 | json 'd[0]["ContainerID"]')" ctr-b
	assert_equal "$(nbctl sandbox inspect podweb-ctr-c | json 'd[0]["ContainerID"]')" ctr-c
	nbctl sandbox ls --format json >"$NB_TMP/pls.json"
	run python3 -c '
import json, sys
print(sorted((o["Name"], o["ContainerID"]) for o in map(json.loads, open(sys.argv[1])) if "ContainerID" in o))' "$NB_TMP/pls.json"
	assert_output "[('podweb', 'ctr-a'), ('podweb-ctr-c', 'ctr-c'), ('podweb.ns2', 'ctr-b')]"
	assert_equal "$(nbctl network inspect cniweb | json 'sorted(c["Name"] for c in d[0]["Containers"].values())')" \
		'["podweb", "podweb-ctr-c", "podweb.ns2"]'
	# a repeated ADD finds the container's sandbox by its id, not by the pod's name
	run --separate-stderr cni ADD ctr-a "/run/netns/$(sb pa)" eth0 "$NB_TMP/cni/web.json" CNI_ARGS="$a1"
	assert_success
	assert_equal "$(json 'd["ips"][0]["address"]' <<<"$output")" "$(json 'd["ips"][0]["address"]' <"$NB_TMP/pa.result")"
	# CHECK and DEL are keyed by the container id
	python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["prevResult"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[3], "w"))' "$NB_TMP/cni/web.json" "$NB_TMP/pa.result" "$NB_TMP/pcheck.json"
	run --separate-stderr cni CHECK ctr-a "/run/netns/$(sb pa)" eth0 "$NB_TMP/pcheck.json" CNI_ARGS="$a1"
	assert_success
	run --separate-stderr cni DEL ctr-b "/run/netns/$(sb pb)" eth0 "$NB_TMP/cni/web.json" CNI_ARGS="$a2"
	assert_success
	run nbctl sandbox inspect podweb.ns2
	assert_failure
	run nbctl sandbox inspect podweb
	assert_success
	# the freed name goes to the next pod of that name and namespace
	run --separate-stderr cni ADD ctr-b "/run/netns/$(sb pb)" eth0 "$NB_TMP/cni/web.json" CNI_ARGS="$a2"
	assert_success
	assert_equal "$(nbctl sandbox inspect podweb.ns2 | json 'd[0]["ContainerID"]')" ctr-b
	local c
	for c in a b c; do
		run --separate-stderr cni DEL "ctr-$c" "/run/netns/$(sb p$c)" eth0 "$NB_TMP/cni/web.json"
		assert_success
		ip netns del "$(sb p$c)"
	done
	assert_equal "$(nbctl network inspect cniweb | json 'len(d[0]["Containers"])')" 0
	# no mark of any of them is left in the state
	run sqlite3 "$NETBPF_STATE_DIR/netbpf.db" "SELECT key FROM settings WHERE key LIKE 'cni.%'"
	assert_output ""
}

@test "errors come back as the spec's JSON with its codes, and change nothing" {
	ip netns add "$(sb bad)"
	# the network exists (the first ADD makes it; DEL leaves it) with other settings
	cni ADD bad "/run/netns/$(sb bad)" eth0 "$NB_TMP/cni/web.json" >/dev/null
	cni DEL bad "/run/netns/$(sb bad)" eth0 "$NB_TMP/cni/web.json"
	conf_with "$NB_TMP/cni/other.json" '{"subnet": "10.94.9.0/24"}'
	expect_fail -- cni ADD bad "/run/netns/$(sb bad)" eth0 "$NB_TMP/cni/other.json"
	run --separate-stderr cni ADD bad "/run/netns/$(sb bad)" eth0 "$NB_TMP/cni/other.json"
	assert_failure 1
	assert_equal "$(echo "$output" | json 'd["code"]')" 7
	echo "$output" | json 'd["msg"]' | grep -q 'subnet 10.94.1.0/24 (the configuration says 10.94.9.0/24)'
	run --separate-stderr in_host env CNI_COMMAND=ADD CNI_CONTAINERID=bad CNI_IFNAME=eth0 CNI_PATH=/x \
		"$PLUGIN" <"$NB_TMP/cni/web.json"
	assert_failure 1
	assert_equal "$(echo "$output" | json 'd["code"]')" 4
	echo "$output" | json 'd["msg"]' | grep -q CNI_NETNS
	ip netns del "$(sb bad)"
}

# ---- podman ---------------------------------------------------------------------

PODMAN_DIR() { echo "$NB_TMP/podman"; }
PODMAN_CG() { echo "/$NB_ID-podman"; }

# podman as root with everything private, run in the instance's host netns. The
# vfs storage driver: overlay would mount its private store on itself, a mount
# to undo before the store can be removed; vfs mounts nothing.
pm() {
	local p
	p=$(PODMAN_DIR)
	CONTAINERS_CONF=$p/containers.conf nsenter --net=/run/netns/"$NB_HOST" \
		podman --root "$p/root" --runroot "$p/run" --tmpdir "$p/tmp" \
		--storage-driver vfs --cgroup-manager cgroupfs "$@"
}

# podman_needs: podman and runc are there (make deps installs them); a missing
# one fails the test naming its Debian package, it never skips it
podman_needs() {
	local cmd
	for cmd in podman runc; do
		command -v "$cmd" >/dev/null ||
			fail "$cmd is not installed: install the Debian package $cmd (make deps does)"
	done
	[ -x /bin/busybox ] ||
		fail "/bin/busybox is missing: install the Debian package busybox-static (make deps does)"
}

podman_setup() {
	local p a
	p=$(PODMAN_DIR)
	mkdir -p "$p"/root "$p"/run "$p"/tmp "$p"/net.d "$p"/bin "$p"/rootfs/bin \
		"$p"/rootfs/proc "$p"/rootfs/sys "$p"/rootfs/dev "$p"/rootfs/etc \
		"$p"/rootfs/tmp "$p"/rootfs/www
	# what podman makes outside its private directories, removed afterwards if new:
	# its lock segment, and libcni's result cache (empty again once every DEL ran)
	[ -e /dev/shm/libpod_lock ] || touch "$p/remove-shm-lock"
	[ -e /var/lib/cni ] || touch "$p/remove-cni-cache"
	# the plugin where only this podman looks for it, under its CNI type
	ln -sf "$PLUGIN" "$p/bin/netbpf"
	# an image without a registry: busybox-static as a rootfs (--rootfs)
	cp /bin/busybox "$p/rootfs/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$p/rootfs/bin/$a"
	done
	# runc: crun refuses cgroup v1+v2 hybrid hosts ("cgroups in hybrid mode not
	# supported"); runc runs there once the limits are explicit
	cat >"$p/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
		[engine]
		runtime = "runc"
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		[network]
		network_backend = "cni"
		network_config_dir = "$p/net.d"
		cni_plugin_dirs = ["$p/bin"]
	EOF
	# a netbpf conflist, no `podman network create`: the CNI network is netbpf's "nbpod"
	cat >"$p/net.d/pod.conflist" <<-EOF
		{"cniVersion": "1.0.0", "name": "nbpod", "plugins": [
		 {"type": "netbpf", "subnet": "10.94.2.0/24", "ipMasq": true,
		  "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		  "cgroup": "$NETBPF_CGROUP", "capabilities": {"portMappings": true}}]}
	EOF
}

# podman_mounts: the mount points under podman's private directory, deepest first
podman_mounts() {
	awk -v dir="$(PODMAN_DIR)/" 'index($5, dir) == 1 {print $5}' /proc/self/mountinfo | sort -r
}

# Removes the containers (their CNI DEL runs), podman's storage, mounts and
# cgroups. Whatever podman fails to undo is unmounted here, by its absolute
# path under the private directory; the cleanup fails only if a mount stays.
podman_cleanup() {
	local p d m
	[ -n "${NB_ID:-}" ] || return 0
	p=$(PODMAN_DIR)
	[ -d "$p" ] || return 0
	if command -v podman >/dev/null; then
		pm rm -af -t 0 >&2 || echo "podman rm -af failed" >&2
		pm system reset -f >&2 || echo "podman system reset failed" >&2
	fi
	for m in $(podman_mounts); do
		umount "$m" || umount -l "$m" || echo "cannot unmount $m" >&2
	done
	for d in /sys/fs/cgroup/*"$(PODMAN_CG)" /sys/fs/cgroup"$(PODMAN_CG)"; do
		if [ -d "$d" ]; then
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || :
		fi
	done
	if [ -e "$p/remove-shm-lock" ]; then
		rm -f /dev/shm/libpod_lock
	fi
	if [ -e "$p/remove-cni-cache" ]; then
		rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || :
	fi
	m=$(podman_mounts)
	if [ -n "$m" ]; then
		echo "still mounted under $p: $m" >&2
		return 1
	fi
	return 0
}

# pm_run NAME ARGS...: a detached busybox container on network "nbpod" with a web
# page reading NAME
pm_run() {
	local name=$1
	shift
	pm run -d --name "$name" --network nbpod --cgroup-parent "$(PODMAN_CG)" \
		--tmpfs /www "$@" --rootfs "$(PODMAN_DIR)/rootfs" \
		/bin/sh -c "echo $name > /www/index.html; exec httpd -f -p 80 -h /www"
}

# pm_get CONTAINER IP: GET / from IP:80 inside CONTAINER (the response, headers and body)
pm_get() {
	pm exec "$1" sh -c "printf 'GET / HTTP/1.0\r\nHost: $2\r\n\r\n' | nc -w 3 $2 80"
}

pm_ip() {
	pm inspect --format '{{.NetworkSettings.Networks.nbpod.IPAddress}}' "$1"
}

@test "podman (CNI backend) on a netbpf conflist: -p from the world and the host, containers talk, rm releases the address" {
	podman_needs
	podman_setup
	# a container at all (runtime, cgroups, limits), before the network's turn
	run pm run --rm --network none --cgroup-parent "$(PODMAN_CG)" \
		--rootfs "$(PODMAN_DIR)/rootfs" /bin/true
	echo "$output"
	assert_success

	run pm_run pc1 -p 8080:80
	echo "$output"
	assert_success
	id1=$output
	ip1=$(pm_ip pc1)
	assert_equal "$ip1" 10.94.2.2
	run pm_run pc2
	echo "$output"
	assert_success
	ip2=$(pm_ip pc2)
	assert_equal "$ip2" 10.94.2.3

	# netbpfctl sees podman's containers: the sandbox's id is podman's container id
	nbctl network inspect nbpod >"$NB_TMP/pod.json"
	assert_equal "$(json "d[0]['Containers']['$id1']['IPv4Address']" <"$NB_TMP/pod.json")" "$ip1/24"
	assert_equal "$(json 'len(d[0]["Containers"])' <"$NB_TMP/pod.json")" 2
	# named after the container's name podman passes (K8S_POD_NAME), keyed by its id
	assert_equal "$(json "d[0]['Containers']['$id1']['Name']" <"$NB_TMP/pod.json")" pc1
	assert_equal "$(nbctl sandbox inspect pc1 | json 'd[0]["ContainerID"]')" "$id1"

	# -p 8080:80 from the world (uplink DNAT) and from the host (socket hooks)
	run http_get world http://198.18.0.1:8080/
	echo "world: $output"
	assert_success
	assert_output pc1
	run in_cg host curl -sS --max-time 3 http://127.0.0.1:8080/
	echo "host: $output"
	assert_success
	assert_output pc1
	nbctl ct ls | grep -q "$ip1:80"

	# container to container, and to the gateway (busybox nc: its wget dies of
	# SIGSEGV on this kernel)
	run pm_get pc2 "$ip1"
	echo "pc2 -> pc1: $output"
	assert_success
	assert_line pc1
	run pm_get pc1 "$ip2"
	echo "pc1 -> pc2: $output"
	assert_success
	assert_line pc2
	run pm exec pc1 ping -c1 -W2 10.94.2.1
	echo "$output"
	assert_success

	# netbpfctl stats counts them
	nbctl stats --no-stream --format json >"$NB_TMP/pstats.json"
	run json "[s for s in d if s['name'] == '/pc1'][0]['networks']['eth0']['rx_packets']" \
		<"$NB_TMP/pstats.json"
	echo "pc1 rx_packets: $output"
	assert_success
	assert [ "$output" -gt 0 ]

	# podman rm: CNI DEL releases the address and the port; the next container reuses it
	pm rm -f -t 0 pc1
	assert_equal "$(nbctl network inspect nbpod | json 'len(d[0]["Containers"])')" 1
	run http_get world http://198.18.0.1:8080/
	assert_failure
	run pm_run pc3 -p 8080:80
	assert_success
	assert_equal "$(pm_ip pc3)" "$ip1"
	run http_get world http://198.18.0.1:8080/
	assert_success
	assert_output pc3

	pm rm -f -t 0 pc2 pc3
	assert_equal "$(nbctl network inspect nbpod | json 'len(d[0]["Containers"])')" 0
	assert_equal "$(nbctl sandbox ls -q)" ""

	# the instance stayed in its own netns and cgroup: nothing on the machine's root cgroup
	for id in $(bpftool -j cgroup show "$NETBPF_CGROUP" | json '" ".join(str(p["id"]) for p in d)'); do
		refute sh -c "bpftool -j cgroup show $NB_CGROOT | grep -q '\"id\":$id,'"
	done
}

@test "podman on a dual-stack conflist: -p 8080:80 on both families, reached over IPv6 with the client's address; -p [::] IPv6 alone; rm removes both" {
	podman_needs
	podman_setup
	uplink6 "$HOST6" "$WORLD6"
	cat >"$(PODMAN_DIR)/net.d/pod6.conflist" <<-EOF
		{"cniVersion": "1.0.0", "name": "nbpod6", "plugins": [
		 {"type": "netbpf", "ipMasq": true,
		  "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.94.7.0/24"}],
		    [{"subnet": "fd00:94:7::/64"}]]},
		  "stateDir": "$NETBPF_STATE_DIR", "pinDir": "$NETBPF_PIN_DIR",
		  "cgroup": "$NETBPF_CGROUP", "capabilities": {"portMappings": true}}]}
	EOF
	local c
	for c in "p6a -p 8080:80" "p6b -p [::]:8081:80"; do
		set -- $c
		run pm run -d --name "$1" --network nbpod6 --cgroup-parent "$(PODMAN_CG)" \
			--tmpfs /www "$2" "$3" --rootfs "$(PODMAN_DIR)/rootfs" \
			/bin/sh -c "echo $1 > /www/index.html; exec httpd -f -v -p 80 -h /www"
		echo "$output"
		assert_success
	done
	run pm inspect --format '{{.NetworkSettings.Networks.nbpod6.GlobalIPv6Address}}' p6a
	assert_output fd00:94:7::2
	run nbctl port p6a
	assert_line '80/tcp -> 0.0.0.0:8080'
	assert_line '80/tcp -> [::]:8080'
	# (conmon holds the host ports podman publishes: netbpf notes it on stderr)
	run --separate-stderr nbctl port p6b
	assert_output '80/tcp -> [::]:8081'

	# over IPv6 from the world; the server logs the client's own address
	wait_for get6 "$HOST6" 8080
	run get6 "$HOST6" 8080
	assert_success
	assert_output p6a
	run pm logs p6a
	assert_output --partial "$WORLD6]"
	run http_get world http://198.18.0.1:8080/
	assert_output p6a
	run get6 "$HOST6" 8081
	assert_success
	assert_output p6b
	run http_get world http://198.18.0.1:8081/
	assert_failure

	# podman rm: CNI DEL takes both families away
	pm rm -f -t 0 p6a p6b
	run get6 "$HOST6" 8080
	assert_failure
	run http_get world http://198.18.0.1:8080/
	assert_failure
	run get6 "$HOST6" 8081
	assert_failure
	assert_equal "$(nbctl network inspect nbpod6 | json 'len(d[0]["Containers"])')" 0
	assert_equal "$(nbctl sandbox ls -q)" ""
}
