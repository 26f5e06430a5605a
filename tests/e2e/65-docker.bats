#!/usr/bin/env bats
# Docker 20.10 on netbpf: the real dockerd drives netbpfd (Docker's remote
# NetworkDriver and IpamDriver "netbpf"), and docker-compose 1.29 drives dockerd.
#
#   world ($NB_WORLD)                   host ($NB_HOST), netbpfctl up --uplink up0
#   wan0 198.18.0.2 ───────veth──────── up0 198.18.0.1   socket hooks on $NETBPF_CGROUP
#   clients "from outside"                │
#                                         ├─ dockerd (--bridge=none, --live-restore, its
#                                         │  default iptables/userland-proxy settings)
#                                         ├─ netbpfd on /run/docker/plugins/netbpf.sock
#                                         │  (both in a private mount namespace: tests/e2e/docker.bash)
#                     docker network create -d netbpf ... ─┬──────────┬──────────┐
#                                                        containers of busybox-static
#
# Each test removes its containers and networks (teardown does it on failure
# too) and checks that netbpf holds nothing of them afterwards. The last test
# checks what Docker would have made without the plugin: no DNAT rule, no
# docker-proxy, no docker_gwbridge.
#
# Both modes (tests/run.sh runs the suite in tc and in XDP mode): in XDP mode
# the peer netbpfd hands Docker carries "xdp_sandbox" into the container.

load lib # bats-support and bats-assert with it
load docker

setup_file() { nb_setup_file dk_setup; }
teardown_file() { dk_teardown; }
setup() {
	nb_setup_ok
	# what Docker had before the test: the test must leave the same
	nbctl_dk network ls -q | sort >"$BATS_TEST_TMPDIR/nets.before"
}
teardown() {
	local c n
	nb_kill_bg
	for c in $(dk ps -aq 2>/dev/null); do dk rm -f "$c" >/dev/null 2>&1 || true; done
	if [ -f "$BATS_TEST_TMPDIR/compose.yml" ]; then
		for c in nbt nbt6; do
			dk_compose -p "$c" -f "$BATS_TEST_TMPDIR/compose.yml" down >/dev/null 2>&1 || true
		done
	fi
	for n in $(dk network ls -q --filter driver=netbpf 2>/dev/null); do
		dk network rm "$n" >/dev/null 2>&1 || true
	done
	# a test that stopped netbpfd or dockerd and failed: bring them back for the next
	[ -f "$(dk_dir)/netbpfd.bgpid" ] || dk_start_netbpfd
	[ -f "$(dk_dir)/dockerd.bgpid" ] || dk_start_dockerd
}

# nothing of Docker's containers is left in netbpf: no sandbox, no endpoint device
assert_netbpf_empty() {
	run nbctl_dk sandbox ls -q
	assert_success
	assert_output ""
	run nb_devs
	assert_output ""
	run nbctl_dk network ls -q
	assert_success
	assert_equal "$(echo "$output" | sort)" "$(cat "$BATS_TEST_TMPDIR/nets.before")"
}

# the netns inodes of the docker-proxy processes in the host netns (none expected)
proxies_in_host() {
	local p host
	host=$(stat -L -c %i /run/netns/"$NB_HOST")
	for p in $(pgrep -x docker-proxy); do
		[ "$(stat -L -c %i /proc/"$p"/ns/net 2>/dev/null)" != "$host" ] || echo "docker-proxy $p"
	done
}

# http_from WHERE URL: GET from the world netns or the host (in the instance's cgroup)
http_from() {
	case $1 in
	world) in_world curl -sS --max-time 5 "$2" ;;
	host) in_host_cg curl -sS --max-time 5 "$2" ;;
	esac
}

# http_says WHERE URL TEXT: the GET answers TEXT (for wait_for)
http_says() { [ "$(http_from "$1" "$2")" = "$3" ]; }

# the endpoint devices in the host netns (nbe: host sides, nbc: peers Docker has not moved yet)
nb_devs() {
	ip -n "$NB_HOST" -o link show 2>/dev/null | grep -o 'nb[ec][0-9a-f]*' || true
}
dk_pid() { dk inspect -f '{{.State.Pid}}' "$1"; }
# dk_sb CONTAINER: its netbpf sandbox, once netbpfd has named it after the container
dk_sb() {
	wait_for nbctl_dk sandbox inspect "$1" >/dev/null
	echo "$1"
}

@test "--ipv6 --subnet fd00:2::/64: dual-stack containers, their v6 addresses in netbpf, ping6 between them and to the gateway" {
	run dk network create -d netbpf --ipv6 --subnet 10.73.0.0/24 --subnet fd00:2::/64 v6net
	assert_success
	wait_for nbctl_dk network inspect v6net
	run nbctl_dk network inspect -f '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}};{{end}}' v6net
	assert_output 'true 10.73.0.0/24 10.73.0.1;fd00:2::/64 fd00:2::1;'
	dk run -d --name v61 --network v6net nbt-busybox sleep 1000000
	dk run -d --name v62 --network v6net nbt-busybox sleep 1000000
	run dk inspect -f '{{.NetworkSettings.Networks.v6net.GlobalIPv6Address}} {{.NetworkSettings.Networks.v6net.IPv6Gateway}}' v61
	assert_output 'fd00:2::2 fd00:2::1'
	# netbpf holds the address Docker's IPAM gave, and the sandbox has it with Docker's route
	run nbctl_dk network inspect -f '{{range .Containers}}{{.IPv6Address}};{{end}}' v6net
	assert_output --partial 'fd00:2::2/64;'
	assert_output --partial 'fd00:2::3/64;'
	run dk exec v61 ip -6 route show default
	assert_output --partial 'via fd00:2::1'
	run dk exec v62 ping -c1 -W2 fd00:2::2
	assert_success
	run dk exec v61 ping -c1 -W2 fd00:2::1
	assert_success
	dk rm -f v61 v62
	dk network rm v6net
	# the same through netbpf's IPAM driver: it takes the v6 pool Docker names, picks none
	run dk network create -d netbpf --ipam-driver netbpf --ipv6 --subnet fd00:3::/64 v6ipam
	assert_success
	dk run -d --name v63 --network v6ipam nbt-busybox sleep 1000000
	run dk inspect -f '{{.NetworkSettings.Networks.v6ipam.GlobalIPv6Address}}' v63
	assert_output fd00:3::2
	run dk exec v63 ping -c1 -W2 fd00:3::1
	assert_success
	dk rm -f v63
	dk network rm v6ipam
	# no v6 subnet: refused (Docker 20.10 answers "invalid CIDR address" first), nothing left
	run dk network create -d netbpf --ipam-driver netbpf --ipv6 v6none
	assert_failure
	run dk network inspect v6none
	assert_failure
	assert_netbpf_empty
}

@test "network create: subnet, gateway, ip-range, --internal, enable_icc=false reach netbpf; rm removes it" {
	run dk network create -d netbpf --subnet 10.61.0.0/24 --gateway 10.61.0.254 \
		--ip-range 10.61.0.128/25 --internal -o com.docker.network.bridge.enable_icc=false iso
	assert_success
	id=$(dk_netid iso)
	# Docker's id, and Docker's name once netbpfd has read it from Docker's API
	wait_for nbctl_dk network inspect iso
	run nbctl_dk network inspect iso
	assert_success
	assert_output --partial '"Name": "iso"'
	assert_output --partial "\"Id\": \"$id\""
	assert_output --partial '"Subnet": "10.61.0.0/24"'
	assert_output --partial '"Gateway": "10.61.0.254"'
	assert_output --partial '"Internal": true'
	assert_output --partial '"com.docker.network.bridge.enable_icc": "false"'
	# the gateway port holds the gateway address, as docker0 would
	run ip -n "$NB_HOST" -o -4 addr show
	assert_output --partial "10.61.0.254/24"
	# Docker's IPAM hands out the ip-range; netbpf takes what Docker gave
	dk run -d --name i1 --network iso nbt-busybox sleep 1000000
	dk run -d --name i2 --network iso nbt-busybox sleep 1000000
	ip1=$(dk_ip i1)
	[[ $ip1 == 10.61.0.12[89] ]] || fail "i1 got $ip1, outside --ip-range 10.61.0.128/25"
	run nbctl_dk sandbox ls
	assert_output --partial "$ip1"
	# enable_icc=false: containers of the network do not reach each other
	run dk exec i2 ping -c2 -W1 "$ip1"
	assert_failure
	# --internal: no default route (Docker's bridge gives internal networks none)
	run dk exec i1 ip route
	refute_output --partial default
	dk rm -f i1 i2
	run dk network rm iso
	assert_success
	run nbctl_dk network inspect "${id:0:12}"
	assert_failure
	assert_netbpf_empty
}

@test "two containers ping and exchange TCP by name (Docker's embedded DNS)" {
	dk network create -d netbpf --subnet 10.62.0.0/24 -o com.docker.network.driver.mtu=1400 dnsnet
	dk run -d --name srv --network dnsnet nbt-busybox httpd -f -v -p 80 -h /www
	dk run -d --name cli --network dnsnet nbt-busybox sleep 1000000
	run dk exec cli ping -c1 -W2 srv
	assert_success
	assert_output --partial "64 bytes from $(dk_ip srv)"
	run dk exec cli wget -qO- http://srv/
	assert_success
	assert_output hello-from-docker
	# the sandbox side is the eth0 Docker made of netbpf's veth, MAC 02:42 + its
	# address, with the network's MTU
	run dk exec cli ip -o link show eth0
	assert_output --partial "$(docker_mac "$(dk_ip cli)")"
	assert_output --partial "mtu 1400"
	# netbpf's endpoint is Docker's: same id, host side nbe + its first 11 digits;
	# the sandbox and the network carry Docker's names
	ep=$(dk inspect -f '{{range .NetworkSettings.Networks}}{{.EndpointID}}{{end}}' cli)
	wait_for nbctl_dk sandbox inspect cli
	run nbctl_dk sandbox inspect cli
	assert_success
	assert_output --partial "$ep"
	run nbctl_dk sandbox ls
	assert_line --regexp '^[0-9a-f]{12} +cli +dnsnet +10\.62\.0\.[0-9]+ '
	assert_line --regexp '^[0-9a-f]{12} +srv +dnsnet +10\.62\.0\.[0-9]+ '
	run ip -n "$NB_HOST" -o link show "nbe${ep:0:11}"
	assert_success
	# XDP mode: the moved peer took its XDP program along (redirected frames need it)
	run nsenter --net=/proc/"$(dk_pid cli)"/ns/net ip -d link show eth0
	if [ "${NB_MODE:-tc}" = xdp ]; then
		assert_output --regexp 'prog/xdp id [0-9]+'
	else
		refute_output --partial 'prog/xdp'
	fi
	dk rm -f srv cli
	dk network rm dnsnet
	assert_netbpf_empty
}

@test "-p 8080:80: from the world with the client's own address, from the host's 127.0.0.1; a taken port is refused" {
	dk network create -d netbpf --subnet 10.63.0.0/24 pubnet
	dk run -d --name web --network pubnet -p 8080:80 nbt-busybox httpd -f -v -p 80 -h /www
	# (httpd may not listen yet when docker run returns: a refused first try is no failure)
	wait_for http_says world http://198.18.0.1:8080/ hello-from-docker
	run http_from world http://198.18.0.1:8080/
	assert_success
	assert_output hello-from-docker
	# the server saw the world's address, not the host's (docker-proxy would hide it)
	run dk logs web
	assert_output --partial "198.18.0.2]"
	refute_output --partial "198.18.0.1]"
	run http_from host http://127.0.0.1:8080/
	assert_success
	assert_output hello-from-docker
	run nbctl_dk port "$(dk_sb web)"
	assert_output "80/tcp -> 0.0.0.0:8080"
	# nothing of the host listens on the published port: the map did it
	run in_host ss -Hltn
	refute_output --partial ":8080 "
	# the same host port again: Docker says why, and nothing of the container stays in netbpf
	before=$(nbctl_dk sandbox ls -q)
	run dk run -d --name web2 --network pubnet -p 8080:80 nbt-busybox sleep 1000000
	assert_failure
	assert_output --partial 'host port 0.0.0.0:8080/tcp is already published'
	run nbctl_dk sandbox ls -q
	assert_output "$before"
	# a port a host process listens on: "address already in use"
	nb_bg "$NB_TMP/listener.log" in_host socat TCP-LISTEN:8091,reuseaddr,fork SYSTEM:true
	wait_for sh -c "nsenter --net=/run/netns/$NB_HOST ss -Hltn | grep -q ':8091 '"
	run dk run -d --name web3 --network pubnet -p 8091:80 nbt-busybox sleep 1000000
	assert_failure
	assert_output --partial 'address already in use'
	run nbctl_dk sandbox ls -q
	assert_output "$before"
	dk rm -f web web2 web3
	dk network rm pubnet
	assert_netbpf_empty
}

# the uplink's world-facing IPv6 addresses (a ULA, as a host's own v6 HostIP)
HOST6=fd00:65:ff::1
WORLD6=fd00:65:ff::2

@test "dual-stack -p: 8080:80 both families, [::] v6 alone, 0.0.0.0 v4 alone, a v6 HostIP, -P; reached over IPv6 with the client's address; a v6 HostIP on a v4 network refused" {
	uplink6 "$HOST6" "$WORLD6"
	dk network create -d netbpf --ipv6 --subnet 10.74.0.0/24 --subnet fd00:74::/64 n6
	dk run -d --name w6 --network n6 -p 8080:80 -p '[::]:8081:80' -p 0.0.0.0:8082:80 \
		-p "[$HOST6]:8083:80" nbt-busybox httpd -f -v -p 80 -h /www
	dk run -d --name w6p --network n6 --expose 80 -P nbt-busybox httpd -f -p 80 -h /www
	run nbctl_dk port "$(dk_sb w6)"
	assert_success
	assert_line '80/tcp -> 0.0.0.0:8080'
	assert_line '80/tcp -> [::]:8080'
	assert_line '80/tcp -> [::]:8081'
	assert_line '80/tcp -> 0.0.0.0:8082'
	assert_line "80/tcp -> [$HOST6]:8083"
	assert_equal "${#lines[@]}" 5
	# over IPv6 from the world; the server saw the world's own address
	wait_for get6 "$HOST6" 8080
	run get6 "$HOST6" 8080
	assert_success
	assert_output hello-from-docker
	run dk logs w6
	assert_output --partial "$WORLD6]"
	run http_from world http://198.18.0.1:8080/
	assert_output hello-from-docker
	run get6 "$HOST6" 8081
	assert_output hello-from-docker
	run http_from world http://198.18.0.1:8081/
	assert_failure
	run http_from world http://198.18.0.1:8082/
	assert_output hello-from-docker
	run get6 "$HOST6" 8082
	assert_failure
	run get6 "$HOST6" 8083
	assert_output hello-from-docker
	# -P: one host port netbpf picks, free in both families, on both
	run nbctl_dk port "$(dk_sb w6p)"
	assert_line --regexp '^80/tcp -> \[::\]:[0-9]+$'
	hp=$(echo "$output" | sed -n 's/^80\/tcp -> \[::\]://p')
	assert_line "80/tcp -> 0.0.0.0:$hp"
	wait_for get6 "$HOST6" "$hp"
	run get6 "$HOST6" "$hp"
	assert_output hello-from-docker
	# docker rm -f: both families gone
	dk rm -f w6 w6p
	run get6 "$HOST6" 8080
	assert_failure
	run http_from world http://198.18.0.1:8080/
	assert_failure
	run get6 "$HOST6" "$hp"
	assert_failure
	dk network rm n6

	# a v6 HostIP on an IPv4-only network: docker shows netbpf's cause, nothing stays
	dk network create -d netbpf --subnet 10.75.0.0/24 n4
	before=$(nbctl_dk sandbox ls -q)
	run dk run -d --name bad6 --network n4 -p '[::]:8084:80' nbt-busybox sleep 1000000
	assert_failure
	assert_output --partial 'has no IPv6 address'
	run nbctl_dk sandbox ls -q
	assert_output "$before"
	dk rm -f bad6
	dk network rm n4
	assert_netbpf_empty
}

@test "UDP, a host port range, -P" {
	dk network create -d netbpf --subnet 10.64.0.0/24 portnet
	dk run -d --name udp1 --network portnet -p 9053:53/udp nbt-busybox sleep 1000000
	# busybox has no UDP server: socat in the container's netns stands for one
	nb_bg "$NB_TMP/udp.log" nsenter --net=/proc/"$(dk_pid udp1)"/ns/net socat -u UDP-RECV:53 \
		OPEN:"$NB_TMP/udp.got",creat,append
	wait_for sh -c "nsenter --net=/proc/$(dk_pid udp1)/ns/net ss -Hlun | grep -q ':53 '"
	echo hello-udp | in_world socat -u - UDP:198.18.0.1:9053
	wait_for grep -q hello-udp "$NB_TMP/udp.got"
	# 9100-9102:80 with 9100 taken: Docker's rule, the next free port of the range
	dk run -d --name r1 --network portnet -p 9100:80 nbt-busybox httpd -f -p 80 -h /www
	dk run -d --name r2 --network portnet -p 9100-9102:80 nbt-busybox httpd -f -p 80 -h /www
	run nbctl_dk port "$(dk_sb r2)"
	assert_output "80/tcp -> 0.0.0.0:9101"
	run http_from world http://198.18.0.1:9101/
	assert_output hello-from-docker
	# -P: every exposed port on a port netbpf picks
	dk run -d --name pp --network portnet --expose 80 -P nbt-busybox httpd -f -p 80 -h /www
	run nbctl_dk port "$(dk_sb pp)"
	assert_output --regexp '^80/tcp -> 0\.0\.0\.0:[0-9]+$'
	hp=${output##*:}
	run http_from world "http://198.18.0.1:$hp/"
	assert_output hello-from-docker
	dk rm -f udp1 r1 r2 pp
	dk network rm portnet
	assert_netbpf_empty
}

@test "docker network connect/disconnect on a running container" {
	dk network create -d netbpf --subnet 10.65.0.0/24 neta
	dk network create -d netbpf --subnet 10.66.0.0/24 netb
	dk run -d --name ca --network neta nbt-busybox sleep 1000000
	dk run -d --name cb --network netb nbt-busybox httpd -f -p 80 -h /www
	run dk exec ca ping -c1 -W1 "$(dk_ip cb)"
	assert_failure # two networks: isolated
	dk network connect netb ca
	wait_for dk exec ca ip -o addr show eth1
	run dk exec ca ip -o -4 addr show eth1
	assert_output --partial "$(dk_ip ca netb)/24"
	run dk exec ca wget -qO- http://cb/
	assert_output hello-from-docker
	sb=$(dk_sb ca)
	run nbctl_dk sandbox inspect "$sb"
	assert_output --partial "$(dk_netid netb)"
	dk network disconnect netb ca
	run dk exec ca ip link show eth1
	assert_failure
	run nbctl_dk sandbox inspect "$sb"
	refute_output --partial "$(dk_netid netb)"
	run nb_devs
	assert_equal "$(echo "$output" | grep -c '^nbe')" 2
	dk rm -f ca cb
	dk network rm neta netb
	assert_netbpf_empty
}

# Docker 20.10 programs a sandbox's published ports on its gateway endpoint
# (libnetwork's getGatewayEndpoint: of the endpoints with a gateway, the first
# by network name at equal priority) and moves them when a connect or a
# disconnect changes it: RevokeExternalConnectivity on the old endpoint, then
# ProgramExternalConnectivity naming the new one. Connecting "palpha" to a
# container started on "pzeta" makes palpha's endpoint, the sandbox's second,
# the gateway endpoint.
@test "ProgramExternalConnectivity publishes through the endpoint Docker names, not the sandbox's first" {
	dk network create -d netbpf --subnet 10.70.0.0/24 pzeta
	dk network create -d netbpf --subnet 10.71.0.0/24 palpha
	dk run -d --name gw --network pzeta -p 8092:80 nbt-busybox sleep 1000000
	dk exec gw sh -c 'mkdir -p /z /a && echo via-pzeta >/z/index.html && echo via-palpha >/a/index.html'
	# one server per address: the answer tells which endpoint the port reached
	dk exec -d gw httpd -f -p "$(dk_ip gw pzeta):80" -h /z
	wait_for http_says world http://198.18.0.1:8092/ via-pzeta
	run http_from world http://198.18.0.1:8092/
	assert_output via-pzeta
	dk network connect palpha gw
	wait_for dk exec gw ip -o addr show eth1
	dk exec -d gw httpd -f -p "$(dk_ip gw palpha):80" -h /a
	# Docker's choice, seen in the container: its default route moved to palpha
	run dk exec gw ip route show default
	assert_output --partial "via 10.71.0.1 "
	wait_for http_says world http://198.18.0.1:8092/ via-palpha
	run http_from world http://198.18.0.1:8092/
	assert_success
	assert_output via-palpha
	run http_from host http://127.0.0.1:8092/
	assert_output via-palpha
	run nbctl_dk port "$(dk_sb gw)"
	assert_output "80/tcp -> 0.0.0.0:8092"
	# and back through pzeta once palpha is gone
	dk network disconnect palpha gw
	wait_for http_says world http://198.18.0.1:8092/ via-pzeta
	run http_from world http://198.18.0.1:8092/
	assert_output via-pzeta
	dk rm -f gw
	dk network rm pzeta palpha
	assert_netbpf_empty
}

@test "docker stop/start/restart, docker rm -f" {
	dk network create -d netbpf --subnet 10.67.0.0/24 lifenet
	dk run -d --name life --network lifenet -p 8082:80 nbt-busybox httpd -f -p 80 -h /www
	run http_from world http://198.18.0.1:8082/
	assert_output hello-from-docker
	dk stop -t 1 life
	# stopped: nothing of it in netbpf (its port is free again)
	run nbctl_dk sandbox ls -q
	assert_output ""
	run nb_devs
	assert_output ""
	run http_from world http://198.18.0.1:8082/
	assert_failure
	dk start life
	run http_from world http://198.18.0.1:8082/
	assert_output hello-from-docker
	dk restart -t 1 life
	run http_from world http://198.18.0.1:8082/
	assert_output hello-from-docker
	run nbctl_dk sandbox ls -q
	assert_equal "$(echo "$output" | wc -l)" 1
	dk rm -f life
	dk network rm lifenet
	assert_netbpf_empty
}

@test "plugin restart changes nothing in the data plane; dockerd restart (--live-restore) finds its networks" {
	dk network create -d netbpf --subnet 10.68.0.0/24 rnet
	dk run -d --name srv --network rnet -p 8083:80 nbt-busybox httpd -f -p 80 -h /www
	dk run -d --name cli --network rnet nbt-busybox sleep 1000000
	# netbpfd gives them Docker's names on its next tick: the snapshot is of that
	wait_for nbctl_dk sandbox inspect srv
	wait_for nbctl_dk sandbox inspect cli
	wait_for nbctl_dk network inspect rnet
	nbctl_dk sandbox ls >"$BATS_TEST_TMPDIR/sb.before"
	dk_stop_netbpfd
	run test -S /proc/"$(dk_anchor)"/root/run/docker/plugins/netbpf.sock
	assert_failure # SIGTERM removed the socket
	run http_from world http://198.18.0.1:8083/
	assert_output hello-from-docker
	run dk exec cli wget -qO- http://srv/
	assert_output hello-from-docker
	dk_start_netbpfd
	run nbctl_dk sandbox ls
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/sb.before")"
	dk run -d --name s2 --network rnet nbt-busybox sleep 1000000
	run dk exec s2 ping -c1 -W2 srv
	assert_success

	dk_stop_dockerd
	run http_from world http://198.18.0.1:8083/
	assert_output hello-from-docker # live-restore: the containers run on
	dk_start_dockerd
	run dk network inspect -f '{{.Driver}}' rnet
	assert_output netbpf
	run dk exec cli wget -qO- http://srv/
	assert_output hello-from-docker
	dk run -d --name s3 --network rnet nbt-busybox sleep 1000000
	run dk exec s3 wget -qO- http://srv/
	assert_output hello-from-docker
	dk rm -f srv s2 s3 cli
	dk network rm rnet
	assert_netbpf_empty
}

@test "docker rm -f while netbpfd is down: gc cleans what is left" {
	dk network create -d netbpf --subnet 10.69.0.0/24 gcnet
	dk run -d --name gc1 --network gcnet -p 8084:80 nbt-busybox httpd -f -p 80 -h /www
	sb=$(dk_sb gc1)
	dk_stop_netbpfd
	dk rm -f gc1 || true # Docker cannot reach the plugin: it goes on without it
	# the netns went with the container, the veth with the netns: rows are left. gc runs
	# before the plugin is back: once it is, Docker may delete the endpoint itself
	run nbctl_dk sandbox inspect "$sb"
	assert_success
	run nbctl_dk gc
	assert_success
	assert_output --partial "sandbox \"$sb\""
	run nbctl_dk sandbox inspect "$sb"
	assert_failure
	run nbctl_dk port "$sb"
	assert_failure
	run nb_devs
	assert_output ""
	dk_start_netbpfd
	# the port is free for the next container
	dk run -d --name g2 --network gcnet -p 8084:80 nbt-busybox httpd -f -p 80 -h /www
	run http_from world http://198.18.0.1:8084/
	assert_output hello-from-docker
	dk rm -f g2
	dk network rm gcnet
	assert_netbpf_empty
}

@test "--ipam-driver netbpf: netbpf picks the pool around its own networks, and the addresses" {
	run dk network create -d netbpf --ipam-driver netbpf ipamnet
	assert_success
	subnet=$(dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' ipamnet)
	gw=$(dk network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' ipamnet)
	# netbpf's predefined bridge network holds 172.17.0.0/16: the next of Docker's pools
	assert_equal "$subnet" 172.18.0.0/16
	assert_equal "$gw" 172.18.0.1
	wait_for nbctl_dk network inspect ipamnet
	run nbctl_dk network inspect ipamnet
	assert_output --partial '"Subnet": "172.18.0.0/16"'
	dk run -d --name ip1 --network ipamnet nbt-busybox httpd -f -p 80 -h /www
	dk run -d --name ip2 --network ipamnet nbt-busybox sleep 1000000
	assert_equal "$(dk_ip ip1)" 172.18.0.2
	assert_equal "$(dk_ip ip2)" 172.18.0.3
	run dk exec ip2 wget -qO- http://ip1/
	assert_output hello-from-docker
	# a released address is handed out again, a released pool too
	dk rm -f ip1
	dk run -d --name ip3 --network ipamnet nbt-busybox sleep 1000000
	assert_equal "$(dk_ip ip3)" 172.18.0.2
	dk rm -f ip2 ip3
	dk network rm ipamnet
	run dk network create -d netbpf --ipam-driver netbpf ipamnet2
	assert_success
	run dk network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' ipamnet2
	assert_output 172.18.0.0/16
	dk network rm ipamnet2
	assert_netbpf_empty
}

@test "docker-compose 1.29: up -d / down twice with a netbpf network and ports" {
	cat >"$BATS_TEST_TMPDIR/compose.yml" <<-YML
	version: "3.7"
	services:
	  web:
	    image: $DK_IMAGE
	    command: httpd -f -v -p 80 -h /www
	    ports: ["8085:80"]
	    networks: [front]
	  cli:
	    image: $DK_IMAGE
	    command: sleep 1000000
	    networks: [front]
	networks:
	  front:
	    driver: netbpf
	    ipam:
	      config:
	        - subnet: 10.70.0.0/24
	YML
	for _ in 1 2; do # the second round finds what the first left, which must be nothing
		run dk_compose -p nbt -f "$BATS_TEST_TMPDIR/compose.yml" up -d
		assert_success
		refute_output --partial "needs to be recreated"
		# up again on a running project: the network is Docker's as the file says
		run dk_compose -p nbt -f "$BATS_TEST_TMPDIR/compose.yml" up -d
		assert_success
		refute_output --partial "needs to be recreated"
		run http_from world http://198.18.0.1:8085/
		assert_output hello-from-docker
		# compose's names: the project's network and containers
		wait_for nbctl_dk network inspect nbt_front
		run nbctl_dk port "$(dk_sb nbt_web_1)"
		assert_output "80/tcp -> 0.0.0.0:8085"
		run dk_compose -p nbt -f "$BATS_TEST_TMPDIR/compose.yml" exec -T cli wget -qO- http://web/
		assert_output hello-from-docker
		run dk_compose -p nbt -f "$BATS_TEST_TMPDIR/compose.yml" down
		assert_success
		assert_netbpf_empty
	done
}

@test "docker-compose 1.29: enable_ipv6 with ports, reached over IPv6; up twice recreates nothing" {
	uplink6 "$HOST6" "$WORLD6"
	cat >"$BATS_TEST_TMPDIR/compose.yml" <<-YML
	version: "2.4"
	services:
	  web:
	    image: $DK_IMAGE
	    command: httpd -f -p 80 -h /www
	    ports: ["8088:80"]
	    networks: [front6]
	networks:
	  front6:
	    driver: netbpf
	    enable_ipv6: true
	    ipam:
	      config:
	        - subnet: 10.76.0.0/24
	        - subnet: fd00:76::/64
	YML
	run dk_compose -p nbt6 -f "$BATS_TEST_TMPDIR/compose.yml" up -d
	assert_success
	run dk_compose -p nbt6 -f "$BATS_TEST_TMPDIR/compose.yml" up -d
	assert_success
	refute_output --partial "needs to be recreated"
	wait_for get6 "$HOST6" 8088
	run get6 "$HOST6" 8088
	assert_output hello-from-docker
	run http_from world http://198.18.0.1:8088/
	assert_output hello-from-docker
	run dk_compose -p nbt6 -f "$BATS_TEST_TMPDIR/compose.yml" down
	assert_success
	run get6 "$HOST6" 8088
	assert_failure
	assert_netbpf_empty
}

@test "bad input comes back through docker and leaves nothing behind" {
	run dk network create -d netbpf -o com.docker.network.bridge.bogus=1 bad1
	assert_failure
	assert_output --partial 'unknown option "com.docker.network.bridge.bogus"'
	# a subnet a netbpf network (not Docker's) already has
	nbctl_dk network create --subnet 10.71.0.0/24 nbnet
	run dk network create -d netbpf --subnet 10.71.0.0/25 bad2
	assert_failure
	assert_output --partial 'overlaps network "nbnet"'
	nbctl_dk network rm nbnet
	run dk network ls --filter driver=netbpf -q
	assert_output ""
	assert_netbpf_empty
}

@test "netbpfd itself: 404 for unknown methods, --docker-spec, one server per socket, not up is refused" {
	local d sock spec pid
	d=$NB_TMP/nbd2
	sock=$d/run/netbpf2.sock spec=$d/plugins
	mkdir -p "$d"
	# a second daemon on a socket and spec dir of its own (Docker does not see these)
	(exec nsenter --net=/run/netns/"$NB_HOST" "$NETBPFD" --docker-socket "$sock" \
		--docker-spec "$spec") </dev/null >"$d/log" 2>&1 3>&- &
	pid=$!
	# ready once it says so (the socket is bound before the spec file is written)
	wait_for grep -q serving "$d/log"
	run cat "$spec/netbpf.spec"
	assert_output "unix://$sock"
	run curl -sS --unix-socket "$sock" -X POST -d '{}' -w ' %{http_code}' http://netbpf/NetworkDriver.AllocateNetwork
	assert_output --regexp ' 404$'
	run curl -sS --unix-socket "$sock" -X POST -d '{' http://netbpf/NetworkDriver.CreateNetwork
	assert_output --partial '"Err":'
	run curl -sS --unix-socket "$sock" -X POST http://netbpf/Plugin.Activate
	assert_output '{"Implements":["NetworkDriver","IpamDriver"]}'
	# the socket has its server
	run nsenter --net=/run/netns/"$NB_HOST" "$NETBPFD" --docker-socket "$sock"
	assert_failure
	assert_output --partial "another netbpfd serves it already"
	kill -TERM "$pid"
	wait "$pid"
	run test -e "$sock"
	assert_failure
	run test -e "$spec/netbpf.spec"
	assert_failure
	# an instance that is not up: refused, naming the cause
	run env NETBPF_PIN_DIR="$d/nopins" nsenter --net=/run/netns/"$NB_HOST" "$NETBPFD" \
		--docker-socket "$sock"
	assert_failure
	assert_output --partial "netbpf is not up"
	run test -e "$sock"
	assert_failure
}

@test "no DNAT rule, no docker-proxy, no docker_gwbridge in the host netns" {
	dk network create -d netbpf --subnet 10.72.0.0/24 lastnet
	dk run -d --name zz --network lastnet -p 8086:80 nbt-busybox httpd -f -p 80 -h /www
	run http_from world http://198.18.0.1:8086/
	assert_output hello-from-docker
	run in_host iptables-save -t nat
	assert_success
	refute_output --partial DNAT
	run proxies_in_host
	assert_output ""
	run dk network ls --format '{{.Name}}'
	refute_output --partial docker_gwbridge
	run ip -n "$NB_HOST" -o link show type bridge
	assert_output ""
	dk rm -f zz
	dk network rm lastnet
	assert_netbpf_empty
}
