# shellcheck shell=bash
# The topologies the harness compares, each built in namespaces of its own
# and removed afterwards. A topology is one entry of the table below plus a
# topo_setup_<ID> function (and topo_teardown_<ID>, topo_available_<ID> when
# it needs them). Setup fills, for its ID:
#
#   T_CLI  T_SRV  T_SRVIP          sandbox -> sandbox: client netns, server netns, server address
#   T_SRVIP6                       the server's IPv6 address (topologies with IPv6: A B C D E EV)
#   T_PUBCLI T_PUBIP T_PUBPORT     a client outside the host and the published address it uses
#   T_PUBIP6                       the published IPv6 address (the host's on the world link)
#   T_LOCALNS T_LOCALCG T_LOCALIP  a client on the host itself (netns, cgroup or "",
#   T_LOCALPORT                    and the address it uses for the published port)
#
# The server programs always listen in T_SRV: nbb-httpd on port 80 (the
# published container port), iperf3 on 5201, sockperf on 11111.
#
#   (A) veth:    cli ──veth── srv                      (the practical limit)
#   (B) bridge:  cli ──veth── [br0 in "h"] ──veth── srv (br_netfilter off)
#   (C) docker:  world ──veth── [dockerd's netns: br-*, iptables, docker-proxy] ── containers
#   (D) netbpf:  world ──veth── [netbpf instance's host netns: tc programs, socket hooks] ── sandboxes
#   (E) netbpf in XDP mode: as D with `up --mode xdp` (once netbpf has it, issue 8)
#   (EV) as E with `--xdp-veth`: XDP on the (veth) uplink too, which E leaves to tc
#   (D0) as D with the per-endpoint counters compiled out of the endpoint program
#   (F) as D with the floor of a tc switch on the endpoints (port + FDB lookup, redirect_peer)
#   (A1) as A with the nat rules Docker's embedded DNS puts in every container (below): the
#       ceiling of any network driver under Docker 20.10
#   (R) client and server each joined by a veth pair to a third netns that routes
#       between them (no NAT, no BPF, no filter): the floor of any path with a host in it
#   (D1) as D with the nat rules Docker's embedded DNS puts in every container of a
#       user-defined network loaded into both sandboxes (conntrack on in them, as in C and G)
#   (G) Docker on netbpf: C's engine and containers on a D instance, `docker network create
#       -d netbpf` and `-p` through netbpfd (issue 15)

TOPO_IDS=(A A1 R B C D E EV D0 D1 F G)
declare -A TOPO_NAME=(
	[A]="bare veth pair"
	[A1]="bare veth pair, Docker's embedded-DNS nat rules on both ends"
	[R]="routed through a host netns: two veth pairs, no NAT"
	[B]="Linux bridge, br_netfilter off"
	[C]="Docker 20.10: bridge, iptables, docker-proxy"
	[D]="netbpf, tc"
	[E]="netbpf, XDP"
	[EV]="netbpf, XDP on the veth uplink too (--xdp-veth)"
	[D0]="netbpf, tc, counters compiled out"
	[D1]="netbpf, tc, Docker's embedded-DNS nat rules in the sandboxes"
	[F]="tc floor: port + FDB lookup, bpf_redirect_peer"
	[G]="Docker 20.10 on netbpf (netbpfd), tc"
)
declare -A T_CLI T_SRV T_SRVIP T_SRVIP6 T_PUBIP6 T_PUBCLI T_PUBIP T_PUBPORT T_LOCALNS T_LOCALCG T_LOCALIP T_LOCALPORT
# Docker topologies (C, G) also: T_DNS the DNS server their containers ask, T_DK their docker client
declare -A T_DNS T_DK

# world_resolv_conf FILE: the "host's resolver" is in the world netns
# (198.18.0.2, dnsmasq started by the DNS metrics): bind-mounted over
# /etc/resolv.conf in the private mount namespace of Docker's daemons
world_resolv_conf() { echo "nameserver 198.18.0.2" >"$1"; }


# ---- (A) a bare veth pair ------------------------------------------------------

# veth_pair TOPO TAG V4NET V6NET: two netns joined by one veth pair (.1 the
# client, .2 the server), no NAT: the "published port" rows use the server's
# own address, the floor every translated path is measured against
veth_pair() {
	local t=$1 c=$NBB_ID-$2-cli s=$NBB_ID-$2-srv
	ip netns add "$c"
	ip netns add "$s"
	ip link add eth0 netns "$c" type veth peer name eth0 netns "$s"
	ip -n "$c" addr add "$3.1/24" dev eth0
	ip -n "$s" addr add "$3.2/24" dev eth0
	ip -n "$c" addr add "$4::1/64" dev eth0 nodad
	ip -n "$s" addr add "$4::2/64" dev eth0 nodad
	ip -n "$c" link set lo up
	ip -n "$s" link set lo up
	ip -n "$c" link set eth0 up
	ip -n "$s" link set eth0 up
	T_CLI[$t]=$c T_SRV[$t]=$s T_SRVIP[$t]=$3.2
	T_PUBCLI[$t]=$c T_PUBIP[$t]=$3.2 T_PUBPORT[$t]=80
	T_SRVIP6[$t]=$4::2 T_PUBIP6[$t]=$4::2
}

topo_setup_A() { veth_pair A a 10.99.0 fd00:99; }

# (A1): A with the nat table Docker 20.10's embedded DNS loads into every
# container of a user-defined network (tools/bench/dockerdns.rules, as D1) on
# both ends. Whatever driver Docker's containers run on, their netns track
# every connection: A1 against C is the best any driver can reach there.
topo_setup_A1() {
	local s
	veth_pair A1 a1 10.98.0 fd00:98
	for s in cli srv; do
		in_ns "$NBB_ID-a1-$s" iptables-restore <"$NBB_BENCH/dockerdns.rules"
	done
}

# (R): the client and the server each on a veth pair to a "host" netns that
# routes between them, nothing else there (no NAT, no BPF, no netfilter
# table). Every published-port path has this shape (the world, the host, a
# sandbox), so each packet crosses two veth pairs, where A's cross one: R is
# the ceiling of any such path, what is left of A's for the translation.
topo_setup_R() {
	local c=$NBB_ID-r-cli h=$NBB_ID-r-h s=$NBB_ID-r-srv n
	for n in "$c" "$h" "$s"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	ip link add eth0 netns "$c" type veth peer name up0 netns "$h"
	ip link add eth0 netns "$s" type veth peer name sb0 netns "$h"
	ip -n "$c" addr add 10.97.1.2/24 dev eth0
	ip -n "$h" addr add 10.97.1.1/24 dev up0
	ip -n "$h" addr add 10.97.2.1/24 dev sb0
	ip -n "$s" addr add 10.97.2.2/24 dev eth0
	ip -n "$c" addr add fd00:97:1::2/64 dev eth0 nodad
	ip -n "$h" addr add fd00:97:1::1/64 dev up0 nodad
	ip -n "$h" addr add fd00:97:2::1/64 dev sb0 nodad
	ip -n "$s" addr add fd00:97:2::2/64 dev eth0 nodad
	for n in "$c:eth0" "$h:up0" "$h:sb0" "$s:eth0"; do
		ip -n "${n%%:*}" link set "${n#*:}" up
	done
	in_ns "$h" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$c" route add default via 10.97.1.1
	ip -n "$s" route add default via 10.97.2.1
	ip -n "$c" -6 route add default via fd00:97:1::1
	ip -n "$s" -6 route add default via fd00:97:2::1
	T_CLI[R]=$c T_SRV[R]=$s T_SRVIP[R]=10.97.2.2
	T_PUBCLI[R]=$c T_PUBIP[R]=10.97.2.2 T_PUBPORT[R]=80
	T_SRVIP6[R]=fd00:97:2::2 T_PUBIP6[R]=fd00:97:2::2
}

# ---- (B) a Linux bridge ----------------------------------------------------------

topo_setup_B() {
	local h=$NBB_ID-b-h c=$NBB_ID-b-cli s=$NBB_ID-b-srv
	ip netns add "$h"
	ip netns add "$c"
	ip netns add "$s"
	ip -n "$h" link set lo up
	# br_netfilter is built into this kernel and on by default in every new
	# netns: off, so B is the bridge alone
	in_ns "$h" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do
		[ -e "$f" ] && echo 0 >"$f"; done; true'
	ip -n "$h" link add br0 type bridge
	ip -n "$h" link set br0 type bridge nf_call_iptables 0 nf_call_arptables 0
	ip -n "$h" link set br0 up
	ip link add vc netns "$h" type veth peer name eth0 netns "$c"
	ip link add vs netns "$h" type veth peer name eth0 netns "$s"
	ip -n "$h" link set vc master br0 up
	ip -n "$h" link set vs master br0 up
	ip -n "$c" addr add 10.98.0.1/24 dev eth0
	ip -n "$s" addr add 10.98.0.2/24 dev eth0
	ip -n "$c" addr add fd00:98::1/64 dev eth0 nodad
	ip -n "$s" addr add fd00:98::2/64 dev eth0 nodad
	ip -n "$c" link set lo up
	ip -n "$s" link set lo up
	ip -n "$c" link set eth0 up
	ip -n "$s" link set eth0 up
	T_CLI[B]=$c T_SRV[B]=$s T_SRVIP[B]=10.98.0.2 T_SRVIP6[B]=fd00:98::2
}

# a "world" netns behind the uplink up0 of host netns H: 198.18.0.2 <-> 198.18.0.1,
# and for IPv6 2001:2::2 <-> 2001:2::1 (RFC 5180's benchmarking prefix; nodad:
# no second of duplicate address detection before the first packet)
world_link() {
	local h=$1 w=$2
	ip netns add "$w"
	ip link add up0 netns "$h" type veth peer name wan0 netns "$w"
	ip -n "$h" addr add 198.18.0.1/24 dev up0
	ip -n "$w" addr add 198.18.0.2/24 dev wan0
	ip -n "$h" addr add 2001:2::1/64 dev up0 nodad
	ip -n "$w" addr add 2001:2::2/64 dev wan0 nodad
	ip -n "$h" link set lo up
	ip -n "$w" link set lo up
	ip -n "$h" link set up0 up
	ip -n "$w" link set wan0 up
	ip -n "$h" route add default via 198.18.0.2
	ip -n "$h" -6 route add default via 2001:2::2
	# a wide ephemeral range: the connection-rate tests open tens of thousands
	in_ns "$w" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
}

# ---- (C) Docker's engine ---------------------------------------------------------
# dockerd runs in a netns of its own ($NBB_ID-c, the "host") and in a private
# mount namespace with tmpfs over /run and /etc/docker, so its sockets, shims,
# key.json and netns mounts stay out of the machine's; its data root, exec root,
# pidfile and API socket live under $NBB_TMP/docker. Every bridge, iptables
# chain, FORWARD policy and ip_forward it sets is inside $NBB_ID-c and goes
# with it. Its containers' cgroups are under "$NBB_ID-docker", removed at the end.

DK_SUBNET=10.77.0.0/24
DK_SUBNET6=fd00:77::/64
dk() { docker -H "unix://$NBB_TMP/docker/docker.sock" "$@"; }

topo_available_C() {
	command -v dockerd >/dev/null || { echo "dockerd not installed (make bench installs docker.io)"; return 1; }
	[ -x /bin/busybox ] || { echo "busybox-static not installed"; return 1; }
}

topo_setup_C() {
	local h=$NBB_ID-c w=$NBB_ID-c-w d=$NBB_TMP/docker pid
	ip netns add "$h"
	world_link "$h" "$w"
	mkdir -p "$d/data" "$d/exec" "$d/rootfs/bin"
	world_resolv_conf "$d/resolv.conf"
	# IPv6 as Docker 20.10 has it: "ipv6" for the daemon, ip6tables for the
	# published ports' DNAT (experimental in 20.10), and the network's own v6
	# subnet below (no default bridge here, so no fixed-cidr-v6)
	echo '{"ipv6": true, "ip6tables": true, "experimental": true}' >"$d/daemon.json"
	cat >"$d/start.sh" <<EOF
#!/bin/sh
set -e
mount -t tmpfs -o mode=755 nbb-run /run
mount -t tmpfs -o mode=755 nbb-etc-docker /etc/docker
mount --bind $d/resolv.conf /etc/resolv.conf
exec dockerd --config-file $d/daemon.json --data-root $d/data --exec-root $d/exec --pidfile $d/docker.pid \\
	-H unix://$d/docker.sock --cgroup-parent $NBB_ID-docker --bridge=none \\
	--iptables=true --ip-forward=true --userland-proxy=true --log-level=warn
EOF
	chmod +x "$d/start.sh"
	bg dockerd nsenter --net=/run/netns/"$h" unshare --mount --propagation private "$d/start.sh"
	NBB_DOCKERD=$BG_PID
	wait_for 30 dk version || die "dockerd did not start: $(tail -5 "$NBB_TMP/dockerd.log")"
	# an image from the busybox-static package: no registry involved
	cp /bin/busybox "$d/rootfs/bin/busybox"
	ln -sf busybox "$d/rootfs/bin/sh"
	ln -sf busybox "$d/rootfs/bin/sleep"
	tar -C "$d/rootfs" -c . | dk import - nbb-busybox >/dev/null
	dk network create --ipv6 --subnet "$DK_SUBNET" --subnet "$DK_SUBNET6" nbbnet >/dev/null
	dk run -d --name nbb-srv --network nbbnet -p 8000:80 nbb-busybox /bin/sleep 1000000 >/dev/null
	dk run -d --name nbb-cli --network nbbnet nbb-busybox /bin/sleep 1000000 >/dev/null
	pid=$(dk inspect -f '{{.State.Pid}}' nbb-srv)
	T_SRV[C]=/proc/$pid/ns/net
	T_SRVIP[C]=$(dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' nbb-srv)
	T_SRVIP6[C]=$(dk inspect -f '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}{{end}}' \
		nbb-srv)
	pid=$(dk inspect -f '{{.State.Pid}}' nbb-cli)
	T_CLI[C]=/proc/$pid/ns/net
	T_PUBCLI[C]=$w T_PUBIP[C]=198.18.0.1 T_PUBPORT[C]=8000 T_PUBIP6[C]=2001:2::1
	v6_ready "${T_CLI[C]}" "${T_SRV[C]}"
	# from the host itself Docker's 127.0.0.1 path is docker-proxy (its OUTPUT
	# DNAT rule excludes 127.0.0.0/8)
	T_LOCALNS[C]=$h T_LOCALCG[C]="" T_LOCALIP[C]=127.0.0.1 T_LOCALPORT[C]=8000
	# Docker's embedded DNS, in every container of a user-defined network
	T_DNS[C]=127.0.0.11 T_DK[C]=dk
	dk_record_proxy_memory
}

# docker-proxy's resident memory per published port (one process per port and
# address family), for the memory table
dk_record_proxy_memory() {
	local p rss=0 n=0 kb
	for p in $(pgrep -P "$NBB_DOCKERD" -x docker-proxy); do
		kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
		rss=$((rss + kb))
		n=$((n + 1))
	done
	emit_extra docker_proxy "{\"processes\": $n, \"published_ports\": 1, \"rss_kib\": $rss}"
}

topo_teardown_C() {
	local c d=$NBB_TMP/docker p cg
	if [ -n "${NBB_DOCKERD:-}" ] && kill -0 "$NBB_DOCKERD" 2>/dev/null; then
		for c in $(dk ps -aq 2>/dev/null); do
			dk rm -f "$c" >/dev/null 2>&1 || true
		done
		dk network rm nbbnet >/dev/null 2>&1 || true
		bg_stop "$NBB_DOCKERD"
	fi
	# Whatever outlived dockerd (a shim, a container's process, when dockerd
	# died first) is this run's by construction: in a cgroup named after the
	# run, or a shim talking to this run's containerd socket (the [c] keeps grep
	# from matching its own command line). Ended by pid.
	for p in $(cat /sys/fs/cgroup/pids/"$NBB_ID-docker"/*/cgroup.procs 2>/dev/null) \
		$(grep -l -s "$d/exe[c]/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
		kill -9 "$p" 2>/dev/null || true
	done
	sleep 0.2
	# container cgroups, deepest first (only ours: named after the run)
	for cg in /sys/fs/cgroup/*/"$NBB_ID-docker"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$d" 2>/dev/null || true
}

# ---- (D, E, D0) netbpf instances ---------------------------------------------------
# Exactly as tests/e2e/lib.bash sets one up: a host netns with an uplink to a
# world netns, a private state dir, a pin dir on a bpffs of its own mounted
# outside /sys, and a cgroup of the instance's own for the socket hooks.

NB_CGROOT=${NB_CGROOT:-/sys/fs/cgroup/unified}
NB_SUBNET=10.88.0.0/24

# nbx ID CMD...: netbpfctl of instance ID (in its host netns)
nbx() {
	local id=$1
	shift
	NETBPF_STATE_DIR=$NBB_TMP/nb-$id/state NETBPF_PIN_DIR=$NBB_TMP/nb-$id/bpf \
		NETBPF_CGROUP=$NB_CGROOT/$NBB_ID-$id \
		nsenter --net=/run/netns/"$NBB_ID-$id-h" "$NETBPFCTL" "$@"
}

# nb_instance ID [UP OPTIONS]: an instance with sandboxes cli and srv on one
# network, srv's port 80 published as 8000; with NB_V6=SUBNET in the
# environment a dual-stack network (the port published on both families)
nb_instance() {
	local id=$1
	shift
	nb_instance_host "$id" "$@"
	if [ -n "${NB_V6:-}" ]; then
		nbx "$id" network create --ipv6 --subnet "$NB_SUBNET" --subnet "$NB_V6" bench >/dev/null
	else
		nbx "$id" network create --subnet "$NB_SUBNET" bench >/dev/null
	fi
	nbx "$id" sandbox create --network bench "$NBB_ID-$id-cli" >/dev/null
	nbx "$id" sandbox create --network bench -p 8000:80 "$NBB_ID-$id-srv" >/dev/null
	T_CLI[$id]=$NBB_ID-$id-cli T_SRV[$id]=$NBB_ID-$id-srv
	T_SRVIP[$id]=$(in_ns "$NBB_ID-$id-srv" ip -o -4 addr show dev eth0 |
		awk '{split($4, a, "/"); print a[1]}')
	T_PUBCLI[$id]=$NBB_ID-$id-w T_PUBIP[$id]=198.18.0.1 T_PUBPORT[$id]=8000
	# the host's own 127.0.0.1: the connect4 socket hook, in the instance's cgroup
	T_LOCALNS[$id]=$NBB_ID-$id-h T_LOCALCG[$id]=$NB_CGROOT/$NBB_ID-$id
	T_LOCALIP[$id]=127.0.0.1 T_LOCALPORT[$id]=8000
	if [ -n "${NB_V6:-}" ]; then
		T_SRVIP6[$id]=$(in_ns "$NBB_ID-$id-srv" ip -o -6 addr show dev eth0 scope global |
			awk '{split($4, a, "/"); print a[1]}')
		T_PUBIP6[$id]=2001:2::1
		v6_ready "${T_CLI[$id]}" "${T_SRV[$id]}"
	fi
}

# v6_ready NS...: every IPv6 address of each NS past duplicate address
# detection (a tentative address is not used yet)
v6_ready() {
	local n
	for n; do
		wait_for 10 sh -c "! nsenter --net=$(ns "$n") ip -6 addr show tentative | grep -q inet6" ||
			die "IPv6 addresses in $n still tentative after 10 s"
	done
}

# nb_instance_host ID [UP OPTIONS]: the instance up in its host netns, with its world
nb_instance_host() {
	local id=$1 h=$NBB_ID-$1-h w=$NBB_ID-$1-w t=$NBB_TMP/nb-$1
	shift
	mkdir -p "$t/bpf" "$NB_CGROOT/$NBB_ID-$id"
	mount -t bpf bpf "$t/bpf"
	ip netns add "$h"
	world_link "$h" "$w"
	case " $* " in
	*" --xdp-veth "*)
		# as tests/e2e/lib.bash does in XDP mode: a veth hands its sender's
		# "checksum to be completed" state along, which XDP cannot see and a
		# redirected frame loses; the world sends complete checksums, as a
		# frame from a real NIC has them
		in_ns "$w" python3 "$NBB_SRC/tests/e2e/txcsum.py" wan0 off
		;;
	esac
	nbx "$id" up "$@" >/dev/null
}

nb_instance_teardown() {
	local id=$1 t=$NBB_TMP/nb-$1 n p cg=$NB_CGROOT/$NBB_ID-$1
	[ -d "$t" ] || return 0
	nbx "$id" down >/dev/null 2>&1 || true
	for n in $(ip netns list | awk '{print $1}' | grep "^$NBB_ID-$id-"); do
		ip netns del "$n" 2>/dev/null || true
	done
	if [ -d "$cg" ]; then
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$NB_CGROOT/cgroup.procs" 2>/dev/null || true
		done
		rmdir "$cg" 2>/dev/null || true
	fi
	umount "$t/bpf" 2>/dev/null || true
	rm -rf "$t"
}

topo_setup_D() { NB_V6=fd00:88::/64 nb_instance D; }
topo_teardown_D() { nb_instance_teardown D; }

# (D1): D, and in each sandbox the nat table Docker 20.10's embedded DNS loads
# into every container of a user-defined network (DNAT of 127.0.0.11:53 to
# its resolver's ports, SNAT back; tools/bench/dockerdns.rules, the shape
# `iptables-save` shows in a container of C). Its rules match no benchmark
# packet, but a nat table makes the kernel track every connection of the
# netns (nf_conntrack): D1 against D is what that costs, D1 against G what
# netbpfd's containers cost beyond it.
topo_setup_D1() {
	local s
	nb_instance D1
	for s in cli srv; do
		in_ns "$NBB_ID-D1-$s" iptables-restore <"$NBB_BENCH/dockerdns.rules"
	done
}
topo_teardown_D1() { nb_instance_teardown D1; }

# (E): one entry. Available once `netbpfctl up` has --mode (issue 8). Its uplink
# is a veth, which XDP mode leaves to tc (docs/xdp.md).
topo_available_E() {
	# the help read whole first: grep -q stopping early would SIGPIPE netbpfctl's
	# second write, and under pipefail that read as "no XDP mode"
	grep -q -- '--mode' <<<"$("$NETBPFCTL" up --help 2>/dev/null)" ||
		{ echo "not available: netbpf has no XDP mode yet (issue 8)"; return 1; }
}
topo_setup_E() { NB_V6=fd00:88::/64 nb_instance E --mode xdp; }
topo_teardown_E() { nb_instance_teardown E; }

# (EV): E with XDP on the veth uplink as well (`up --xdp-veth`), the design E
# replaced there; its world sends complete checksums (see nb_instance_host),
# which costs its clients a little more than D's.
topo_available_EV() {
	grep -q -- '--xdp-veth' <<<"$("$NETBPFCTL" up --help 2>/dev/null)" ||
		{ echo "not available: netbpf has no up --xdp-veth"; return 1; }
}
topo_setup_EV() { NB_V6=fd00:88::/64 nb_instance EV --mode xdp --xdp-veth; }
topo_teardown_EV() { nb_instance_teardown EV; }

# nb_instance_swapped ID OBJECT PROGRAM: a D-like instance whose endpoint
# program is replaced on every endpoint by PROGRAM of OBJECT, sharing the
# instance's pinned maps (tools/bench/tcswap.c)
nb_instance_swapped() {
	local dev
	nb_instance "$1"
	dev=$(ip -n "$NBB_ID-$1-h" -o link show type veth | awk -F': ' '{split($2, a, "@"); print a[1]}' |
		grep '^nbe')
	# shellcheck disable=SC2086
	in_ns "$NBB_ID-$1-h" "$NBB_BUILD/nbb-tcswap" "$NBB_TMP/nb-$1/bpf" "$2" "$3" $dev
}

# (D0): D with the endpoint program rebuilt without its counters (bpf/lib/
# stats.bpf.h's functions defined away). D/D0 is the cost of counting.
topo_available_D0() {
	[ -e "$NBB_BUILD/endpoint-nocount.bpf.o" ] || { echo "no-count endpoint object not built"; return 1; }
}
topo_setup_D0() { nb_instance_swapped D0 "$NBB_BUILD/endpoint-nocount.bpf.o" endpoint; }
topo_teardown_D0() { nb_instance_teardown D0; }

# (F): D with tools/bench/floor.bpf.c on the endpoints: sandbox-to-sandbox
# unicast takes a port and an FDB lookup and bpf_redirect_peer(), nothing
# else (issue 6's prototype). F/A is the floor of the tc design here, D/F
# what netbpf's checks and counters add to it.
topo_available_F() {
	[ -e "$NBB_BUILD/endpoint-floor.bpf.o" ] || { echo "floor endpoint object not built"; return 1; }
}
topo_setup_F() { nb_instance_swapped F "$NBB_BUILD/endpoint-floor.bpf.o" endpoint_floor; }
topo_teardown_F() { nb_instance_teardown F; }

# ---- (G) Docker on netbpf ---------------------------------------------------------------
# A D instance (host netns $NBB_ID-G-h, uplink to a world), and in that netns
# dockerd beside netbpfd, both in one private mount namespace held by an
# anchor process (tmpfs over /run and /etc/docker, as C's dockerd has them;
# netbpfd's socket is Docker's /run/docker/plugins/netbpf.sock there). The
# same containers and -p as C, on a `-d netbpf` network. Host-local clients
# run in the instance's cgroup, as D's.

NETBPFD=${NETBPFD:-$NBB_SRC/build/netbpfd}
dkg() { docker -H "unix://$NBB_TMP/docker-g/docker.sock" "$@"; }

topo_available_G() {
	topo_available_C || return 1
	[ -x "$NETBPFD" ] || { echo "$NETBPFD not built"; return 1; }
}

topo_setup_G() {
	local h=$NBB_ID-G-h d=$NBB_TMP/docker-g a pid enter
	nb_instance_host G
	mkdir -p "$d/data" "$d/exec" "$d/rootfs/bin"
	world_resolv_conf "$d/resolv.conf"
	bg anchor-g nsenter --net=/run/netns/"$h" unshare --mount --propagation private sh -c \
		"mount -t tmpfs -o mode=755 nbb-run /run &&
		mount -t tmpfs -o mode=755 nbb-etc-docker /etc/docker &&
		mount --bind $d/resolv.conf /etc/resolv.conf &&
		mkdir -p /run/docker/plugins && exec sleep 1000000"
	NBB_G_ANCHOR=$BG_PID
	a=/proc/$NBB_G_ANCHOR
	wait_for 10 test -d "$a/root/run/docker/plugins" || die "(G) mount namespace not ready"
	enter="nsenter --mount=$a/ns/mnt --net=/run/netns/$h"
	# shellcheck disable=SC2086
	bg netbpfd-g env NETBPF_STATE_DIR="$NBB_TMP/nb-G/state" NETBPF_PIN_DIR="$NBB_TMP/nb-G/bpf" \
		NETBPF_CGROUP="$NB_CGROOT/$NBB_ID-G" $enter "$NETBPFD" -v --docker-host "unix://$d/docker.sock"
	NBB_G_NETBPFD=$BG_PID
	wait_for 10 test -S "$a/root/run/docker/plugins/netbpf.sock" ||
		die "netbpfd did not start: $(tail -5 "$NBB_TMP/netbpfd-g.log")"
	# shellcheck disable=SC2086
	bg dockerd-g $enter dockerd --data-root "$d/data" --exec-root "$d/exec" \
		--pidfile "$d/docker.pid" -H "unix://$d/docker.sock" --cgroup-parent "$NBB_ID-docker-g" \
		--bridge=none --log-level=warn
	NBB_G_DOCKERD=$BG_PID
	wait_for 30 dkg version || die "dockerd (G) did not start: $(tail -5 "$NBB_TMP/dockerd-g.log")"
	cp /bin/busybox "$d/rootfs/bin/busybox"
	ln -sf busybox "$d/rootfs/bin/sh"
	ln -sf busybox "$d/rootfs/bin/sleep"
	tar -C "$d/rootfs" -c . | dkg import - nbb-busybox >/dev/null
	dkg network create -d netbpf --subnet "$NB_SUBNET" nbbnet >/dev/null
	dkg run -d --name nbb-srv --network nbbnet -p 8000:80 nbb-busybox /bin/sleep 1000000 >/dev/null
	dkg run -d --name nbb-cli --network nbbnet nbb-busybox /bin/sleep 1000000 >/dev/null
	pid=$(dkg inspect -f '{{.State.Pid}}' nbb-srv)
	T_SRV[G]=/proc/$pid/ns/net
	T_SRVIP[G]=$(dkg inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' nbb-srv)
	pid=$(dkg inspect -f '{{.State.Pid}}' nbb-cli)
	T_CLI[G]=/proc/$pid/ns/net
	T_PUBCLI[G]=$NBB_ID-G-w T_PUBIP[G]=198.18.0.1 T_PUBPORT[G]=8000
	T_LOCALNS[G]=$h T_LOCALCG[G]=$NB_CGROOT/$NBB_ID-G
	T_LOCALIP[G]=127.0.0.1 T_LOCALPORT[G]=8000
	# netbpfd's DNS on the network's gateway address (issue 18)
	T_DNS[G]=$(dkg inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' nbb-cli)
	T_DK[G]=dkg
}

# netbpfd_calls: how long netbpfd took for each kind of call Docker made
# during the run (-v logs each call with its time and its wait for the call
# before), for the report's profile of `docker run`'s driver calls
netbpfd_calls() {
	python3 - "$NBB_TMP/netbpfd-g.log" <<'PY'
import json, re, sys
by = {}
# a call's line holds Docker's request body, which may end in a newline
text = open(sys.argv[1], errors="replace").read()
for m in re.finditer(r"^netbpfd: /(\S+) .*? -> (\d+) [^\n]*?\(([0-9.]+) ms, ([0-9.]+) ms waiting\)$",
                     text, re.S | re.M):
    by.setdefault(m.group(1), []).append((float(m.group(3)), float(m.group(4))))
def pct(xs, f):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(f * len(xs)))]
print(json.dumps({k: {"calls": len(v), "p50_ms": pct([a for a, _ in v], 0.5),
                      "p90_ms": pct([a for a, _ in v], 0.9),
                      "wait_p50_ms": pct([b for _, b in v], 0.5)} for k, v in sorted(by.items())}))
PY
}

topo_teardown_G() {
	local c d=$NBB_TMP/docker-g p cg
	if [ -n "${NBB_G_DOCKERD:-}" ] && kill -0 "$NBB_G_DOCKERD" 2>/dev/null; then
		for c in $(dkg ps -aq 2>/dev/null); do
			dkg rm -f "$c" >/dev/null 2>&1 || true
		done
		dkg network rm nbbnet >/dev/null 2>&1 || true
		bg_stop "$NBB_G_DOCKERD"
	fi
	bg_stop "${NBB_G_NETBPFD:-}" "${NBB_G_ANCHOR:-}"
	# what outlived dockerd is this run's: its cgroup, or its exec root in a command line
	for p in $(cat /sys/fs/cgroup/pids/"$NBB_ID-docker-g"/*/cgroup.procs 2>/dev/null) \
		$(grep -l -s "$d/exe[c]/" /proc/[0-9]*/cmdline | cut -d/ -f3); do
		kill -9 "$p" 2>/dev/null || true
	done
	sleep 0.2
	for cg in /sys/fs/cgroup/*/"$NBB_ID-docker-g"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$d" 2>/dev/null || true
	nb_instance_teardown G
}

# nb_ep_packets ID: packets counted in the instance's nb_ep_stats (all endpoints,
# all CPUs, both directions): D counts, D0 must not. The array is read at the
# stats slots the endpoint ports hold, not dumped whole (65,536 slots).
nb_ep_packets() {
	python3 - "$NBB_TMP/nb-$1/bpf" <<'PY'
import json, subprocess, sys
pins = sys.argv[1]
def bpftool(*args):
    return json.loads(subprocess.check_output(["bpftool", "-j", "map", *args]))
n = 0
for p in bpftool("dump", "pinned", pins + "/nb_ports"):
    v = p["formatted"]["value"]
    # the kind by name since the maps' BTF has it as an enum; a number before
    if v["kind"] not in (1, "NB_PORT_ENDPOINT") or not v["stats_slot"]:
        continue
    key = [str(v["stats_slot"] >> (8 * i) & 255) for i in range(4)]
    e = bpftool("lookup", "pinned", pins + "/nb_ep_stats", "key", *key)
    for c in e["formatted"]["values"]:
        n += c["value"]["rx_packets"] + c["value"]["tx_packets"]
print(n)
PY
}

# ---- scaling: Docker-style iptables DNAT rules ----------------------------------------
# The same shape Docker gives N published ports (nat DOCKER chain reached from
# PREROUTING, one DNAT rule per port; filter DOCKER chain, one ACCEPT per
# port), built by iptables-restore in a throwaway netns ($NBB_ID-i) with a
# Linux bridge to the server ($NBB_ID-i-srv) and a world netns for the client.
# The measured port's rules come last, where Docker appends the newest port.

IPT_SRVIP=10.66.0.2
ipt_setup() {
	local h=$NBB_ID-i s=$NBB_ID-i-srv
	ip netns add "$h"
	ip netns add "$s"
	world_link "$h" "$NBB_ID-i-w"
	in_ns "$h" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$h" link add br0 type bridge
	ip -n "$h" addr add 10.66.0.1/24 dev br0
	ip -n "$h" link set br0 up
	ip link add vs netns "$h" type veth peer name eth0 netns "$s"
	ip -n "$h" link set vs master br0 up
	ip -n "$s" addr add "$IPT_SRVIP/24" dev eth0
	ip -n "$s" link set lo up
	ip -n "$s" link set eth0 up
	ip -n "$s" route add default via 10.66.0.1
}

# ipt_rules N: replaces the netns's rules with N published ports
ipt_rules() {
	local n=$1
	python3 - "$n" "$IPT_SRVIP" >"$NBB_TMP/ipt.rules" <<'EOF'
import sys
n, ip = int(sys.argv[1]), sys.argv[2]
ports = [(10000 + i, 10000 + i) for i in range(1, n)] + [(8000, 80)]
out = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
       ":POSTROUTING ACCEPT [0:0]", ":DOCKER - [0:0]",
       "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
       "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
       "-A POSTROUTING -s 10.66.0.0/24 ! -o br0 -j MASQUERADE",
       "-A DOCKER -i br0 -j RETURN"]
out += ["-A DOCKER ! -i br0 -p tcp -m tcp --dport %d -j DNAT --to-destination %s:%d" % (h, ip, c)
        for h, c in ports]
out += ["COMMIT", "*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
        ":DOCKER - [0:0]",
        "-A FORWARD -o br0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-A FORWARD -o br0 -j DOCKER", "-A FORWARD -i br0 ! -o br0 -j ACCEPT",
        "-A FORWARD -i br0 -o br0 -j ACCEPT"]
out += ["-A DOCKER -d %s/32 ! -i br0 -o br0 -p tcp -m tcp --dport %d -j ACCEPT" % (ip, c)
        for h, c in ports]
out += ["COMMIT"]
print("\n".join(out))
EOF
	in_ns "$NBB_ID-i" iptables-restore <"$NBB_TMP/ipt.rules"
}

# ---- (XU, XF, XN) across two hosts (issue 17) ------------------------------------------
# Two host netns joined by one veth, the underlay (ul0: 10.97.0.1 and 10.97.0.2, MTU 1500);
# the client lives on host 1, the server on host 2. Overlay sandboxes get MTU 1450 (the
# underlay's less VXLAN's 50 bytes) in XF and XN alike.
#
#   (XU) direct underlay: client and server are the hosts themselves, no encapsulation
#        (the limit)
#   (XF) flannel's vxlan datapath, built by hand as flanneld builds it: pods on a Linux
#        bridge cni0 (10.244.K.0/24), a VXLAN device flannel.1 (VNI 1, port 4789,
#        nolearning), the other host's pod subnet routed via flannel.1 with a permanent
#        neighbour and FDB entry for its VTEP
#   (XN) netbpf overlay: one instance per host with a store (an etcd member in host 1's
#        netns) and its agent (netbpfd), nbvx0 from `up`, `network create -d overlay` on
#        host 1, the sandboxes' addresses from the hosts' blocks, the remote endpoints put
#        by the agents: the whole control plane, as a cluster runs it

TOPO_IDS+=(XU XF XN)
TOPO_NAME[XU]="cross-host: direct underlay, no encapsulation"
TOPO_NAME[XF]="cross-host: kernel VXLAN + Linux bridge (flannel's vxlan datapath)"
TOPO_NAME[XN]="cross-host: netbpf overlay (VXLAN in BPF), tc"

XU_MTU=1500
XO_MTU=1450

# x_hosts H1 H2: the two host netns with the underlay veth between them
x_hosts() {
	local k
	ip netns add "$1"
	ip netns add "$2"
	ip link add ul0 netns "$1" type veth peer name ul0 netns "$2"
	for k in 1 2; do
		local h=$1
		[ "$k" = 2 ] && h=$2
		ip -n "$h" link set lo up
		ip -n "$h" link set ul0 mtu "$XU_MTU" up
		ip -n "$h" addr add "10.97.0.$k/24" dev ul0
		in_ns "$h" sysctl -qw net.ipv4.ip_forward=1
	done
}

topo_setup_XU() {
	x_hosts "$NBB_ID-xu-h1" "$NBB_ID-xu-h2"
	T_CLI[XU]=$NBB_ID-xu-h1 T_SRV[XU]=$NBB_ID-xu-h2 T_SRVIP[XU]=10.97.0.2
}

# xf_host K: host K's bridge, pod and flannel.1, the other pod subnet routed through it
xf_host() {
	local k=$1 j=$((3 - $1)) h=$NBB_ID-xf-h$1 p=$NBB_ID-xf-p$1
	in_ns "$h" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do
		[ -e "$f" ] && echo 0 >"$f"; done; true'
	ip -n "$h" link add cni0 type bridge
	ip -n "$h" link set cni0 type bridge nf_call_iptables 0 nf_call_arptables 0
	ip -n "$h" addr add "10.244.$k.1/24" dev cni0
	ip -n "$h" link set cni0 mtu "$XO_MTU" up
	ip netns add "$p"
	ip link add "veth$k" netns "$h" mtu "$XO_MTU" type veth peer name eth0 netns "$p" mtu "$XO_MTU"
	ip -n "$h" link set "veth$k" master cni0 up
	ip -n "$p" link set lo up
	ip -n "$p" addr add "10.244.$k.2/24" dev eth0
	ip -n "$p" link set eth0 up
	ip -n "$p" route add default via "10.244.$k.1"
	ip -n "$h" link add flannel.1 type vxlan id 1 local "10.97.0.$k" dev ul0 dstport 4789 \
		nolearning
	ip -n "$h" addr add "10.244.$k.0/32" dev flannel.1
	ip -n "$h" link set flannel.1 mtu "$XO_MTU" up
	ip -n "$h" route add "10.244.$j.0/24" via "10.244.$j.0" dev flannel.1 onlink
}
topo_setup_XF() {
	local k j mac
	x_hosts "$NBB_ID-xf-h1" "$NBB_ID-xf-h2"
	xf_host 1
	xf_host 2
	# what flanneld writes for each other host: its VTEP's MAC and underlay address
	for k in 1 2; do
		j=$((3 - k))
		mac=$(ip -n "$NBB_ID-xf-h$j" -o link show flannel.1 |
			sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
		ip -n "$NBB_ID-xf-h$k" neigh add "10.244.$j.0" lladdr "$mac" dev flannel.1 nud permanent
		bridge -n "$NBB_ID-xf-h$k" fdb append "$mac" dev flannel.1 dst "10.97.0.$j" self permanent
	done
	T_CLI[XF]=$NBB_ID-xf-p1 T_SRV[XF]=$NBB_ID-xf-p2 T_SRVIP[XF]=10.244.2.2
	in_ns "$NBB_ID-xf-p1" ping -c1 -W2 10.244.2.2 >/dev/null ||
		die "(XF) the pods do not reach each other across flannel.1"
}

NETBPFD=${NETBPFD:-$NBB_SRC/build/netbpfd}
topo_available_XN() {
	command -v etcd >/dev/null || { echo "not available: etcd missing (Debian's etcd-server)"; return 1; }
	[ -x "$NETBPFD" ] || { echo "not available: $NETBPFD missing (make)"; return 1; }
}

# xn_netbpfd K: the agent of XN's host K (its pid recorded: cleanup ends it)
xn_netbpfd() {
	local t=$NBB_TMP/nb-xn$1
	NETBPF_STATE_DIR=$t/state NETBPF_PIN_DIR=$t/bpf NETBPF_CGROUP=$NB_CGROOT/$NBB_ID-xn$1 \
		bg "xn$1-netbpfd" nsenter --net=/run/netns/"$NBB_ID-xn$1-h" "$NETBPFD" \
		--docker-socket "$t/netbpf.sock" --docker-host "unix://$t/no-docker.sock"
	echo "$BG_PID" >"$t/netbpfd.pid"
}
xn_has_net() { nbx xn2 network inspect --format '{{.Id}}' bench; }
xn_pings() { in_ns "$1" ping -n -c1 -W1 "$2"; }

topo_setup_XN() {
	local k t
	x_hosts "$NBB_ID-xn1-h" "$NBB_ID-xn2-h"
	bg xn-etcd nsenter --net=/run/netns/"$NBB_ID-xn1-h" etcd --name xn --data-dir "$NBB_TMP/xn-etcd" \
		--listen-client-urls http://10.97.0.1:2379 --advertise-client-urls http://10.97.0.1:2379 \
		--listen-peer-urls http://10.97.0.1:2380 --initial-advertise-peer-urls http://10.97.0.1:2380 \
		--initial-cluster xn=http://10.97.0.1:2380 --initial-cluster-token "$NBB_ID"
	wait_for 10 in_ns "$NBB_ID-xn1-h" etcdctl --endpoints http://10.97.0.1:2379 endpoint health ||
		die "(XN) etcd does not answer"
	for k in 1 2; do
		t=$NBB_TMP/nb-xn$k
		mkdir -p "$t/bpf" "$NB_CGROOT/$NBB_ID-xn$k"
		mount -t bpf bpf "$t/bpf"
		nbx "xn$k" up --uplink ul0 --store etcd://10.97.0.1:2379 --advertise "10.97.0.$k" >/dev/null
		xn_netbpfd "$k"
	done
	# the control plane: created on host 1, realized on host 2 by its agent
	wait_for 10 nbx xn1 network create -d overlay --subnet 10.89.0.0/16 bench >/dev/null ||
		die "(XN) network create -d overlay failed"
	wait_for 10 xn_has_net || die "(XN) host 2's agent did not realize the network"
	nbx xn1 sandbox create --network bench "$NBB_ID-xn-cli" >/dev/null
	nbx xn2 sandbox create --network bench "$NBB_ID-xn-srv" >/dev/null
	T_CLI[XN]=$NBB_ID-xn-cli T_SRV[XN]=$NBB_ID-xn-srv
	T_SRVIP[XN]=$(in_ns "$NBB_ID-xn-srv" ip -o -4 addr show dev eth0 |
		awk '{split($4, a, "/"); print a[1]}')
	wait_for 10 xn_pings "$NBB_ID-xn-cli" "${T_SRVIP[XN]}" ||
		die "(XN) the sandboxes do not reach each other across nbvx0"
}
topo_teardown_XN() {
	local k
	for k in 1 2; do
		bg_stop "$(cat "$NBB_TMP/nb-xn$k/netbpfd.pid" 2>/dev/null)"
	done
	nb_instance_teardown xn1
	nb_instance_teardown xn2
}
