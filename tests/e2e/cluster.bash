# shellcheck shell=bash
# The cluster harness of tests/e2e/66-cluster.bats and 68-overlay.bats (load it after
# lib): an underlay netns routing between veths, a three-member etcd 3.4 cluster (member
# K in $CL-eK on 10.99.K.2 only) and three netbpf hosts ($CL-hK, uplink up0 10.98.K.2),
# each with its own state, pins and cgroup. Every etcd and netbpfd is started here,
# recorded by PID, ended by PID in teardown_file (also after a failure), with its data
# under $CL_TMP.

EPS=etcd://10.99.1.2:2379,etcd://10.99.2.2:2379,etcd://10.99.3.2:2379
NBETCD=${NBETCD:-$NB_SRC/build/tests/nbetcd}
NETBPFD=${NETBPFD:-$NB_SRC/build/netbpfd}

cl_names() {
	CL=${CL:-nbc$(printf '%04x' $((RANDOM)))$$}
	CL=${CL:0:9}
	export CL CL_TMP=/tmp/$CL
}

in_u() { nsenter --net=/run/netns/"$CL-u" "$@"; }

# hctl H ARGS...: netbpfctl of host H, in its netns, with its own state, pins, cgroup
hctl() {
	local h=$1
	shift
	NETBPF_STATE_DIR=$CL_TMP/h$h/state NETBPF_PIN_DIR=$CL_TMP/h$h/bpf \
		NETBPF_CGROUP=$NB_CGROOT/$CL-h$h NETBPF_MODE=${NB_MODE:-tc} \
		nsenter --net=/run/netns/"$CL-h$h" "$NETBPFCTL" "$@"
}

etcd_start() { # K
	local k=$1 ip=10.99.$1.2
	# fd 3 is bats' own output: a child holding it would stall bats
	nsenter --net=/run/netns/"$CL-e$k" etcd --name "m$k" --data-dir "$CL_TMP/etcd$k" \
		--listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "m1=http://10.99.1.2:2380,m2=http://10.99.2.2:2380,m3=http://10.99.3.2:2380" \
		--initial-cluster-token "$CL" --initial-cluster-state new \
		--heartbeat-interval 50 --election-timeout 500 \
		</dev/null >>"$CL_TMP/etcd$k.log" 2>&1 3>&- &
	echo $! >"$CL_TMP/etcd$k.pid"
}
etcd_kill() { # K [SIGNAL]
	local pid
	pid=$(cat "$CL_TMP/etcd$1.pid" 2>/dev/null) || return 0
	stop_pid "$pid" "${2:-KILL}"
	rm -f "$CL_TMP/etcd$1.pid"
}
# etcd_leader: K of the member that leads now
etcd_leader() {
	in_u etcdctl --endpoints "${EPS//etcd:/http:}" endpoint status |
		awk -F', ' '$5 == "true" { split($1, a, "."); print a[3] }'
}
etcd_healthy() { in_u etcdctl --endpoints "${EPS//etcd:/http:}" endpoint health; }

netbpfd_start() { # H
	NETBPF_STATE_DIR=$CL_TMP/h$1/state NETBPF_PIN_DIR=$CL_TMP/h$1/bpf \
		NETBPF_CGROUP=$NB_CGROOT/$CL-h$1 \
		nsenter --net=/run/netns/"$CL-h$1" "$NETBPFD" \
		--docker-socket "$CL_TMP/h$1/netbpf.sock" \
		--docker-host "unix://$CL_TMP/h$1/no-docker.sock" \
		</dev/null >>"$CL_TMP/h$1/netbpfd.log" 2>&1 3>&- &
	echo $! >"$CL_TMP/h$1/netbpfd.pid"
}
netbpfd_kill() { # H [SIGNAL]
	local pid
	pid=$(cat "$CL_TMP/h$1/netbpfd.pid" 2>/dev/null) || return 0
	stop_pid "$pid" "${2:-TERM}"
	rm -f "$CL_TMP/h$1/netbpfd.pid"
}

# gone PID: the process ended (a zombie counts: its parent may be an earlier test's shell)
gone() { ! [ -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
# stop PID SIGNAL: ends it and waits for it, also when not this shell's child
stop_pid() {
	kill "-$2" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	wait_until 20 gone "$1"
}

# wait_until SECONDS CMD...: CMD succeeds within SECONDS
wait_until() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}
lists() { hctl "$1" host ls | grep -q " $2 "; }
not_lists() { ! hctl "$1" host ls | grep -q " $2 "; }

cluster_setup() {
	command -v etcd >/dev/null || {
		echo "etcd is not installed: install Debian's etcd-server (make deps)"
		return 1
	}
	command -v etcdctl >/dev/null || {
		echo "etcdctl is not installed: install Debian's etcd-client (make deps)"
		return 1
	}
	mkdir -p "$CL_TMP"
	ip netns add "$CL-u"
	in_u sysctl -qw net.ipv4.ip_forward=1
	ip -n "$CL-u" link set lo up
	local k
	for k in 1 2 3; do
		ip netns add "$CL-e$k"
		ip link add "e$k" netns "$CL-u" type veth peer name eth0 netns "$CL-e$k"
		ip -n "$CL-u" addr add "10.99.$k.1/24" dev "e$k"
		ip -n "$CL-u" link set "e$k" up
		ip -n "$CL-e$k" addr add "10.99.$k.2/24" dev eth0
		ip -n "$CL-e$k" link set lo up
		ip -n "$CL-e$k" link set eth0 up
		ip -n "$CL-e$k" route add default via "10.99.$k.1"

		ip netns add "$CL-h$k"
		ip link add "h$k" netns "$CL-u" type veth peer name up0 netns "$CL-h$k"
		ip -n "$CL-u" addr add "10.98.$k.1/24" dev "h$k"
		ip -n "$CL-u" link set "h$k" up
		ip -n "$CL-h$k" addr add "10.98.$k.2/24" dev up0
		ip -n "$CL-h$k" link set lo up
		ip -n "$CL-h$k" link set up0 up
		ip -n "$CL-h$k" route add default via "10.98.$k.1"
		mkdir -p "$CL_TMP/h$k/bpf" "$NB_CGROOT/$CL-h$k"
		mount -t bpf bpf "$CL_TMP/h$k/bpf"
		hctl "$k" up --uplink up0
	done
	for k in 1 2 3; do
		etcd_start "$k"
	done
	wait_until 20 etcd_healthy
}

setup_file() {
	cl_names
	nb_setup_file cluster_setup
}

setup() {
	nb_setup_ok
}

teardown_file() {
	local k p
	for k in 1 2 3; do
		netbpfd_kill "$k" KILL
		etcd_kill "$k"
	done
	etcd_kill -tls
	for k in 1 2 3; do
		hctl "$k" down >/dev/null 2>&1 || true
		umount "$CL_TMP/h$k/bpf" 2>/dev/null || true
		for p in $(cat "$NB_CGROOT/$CL-h$k/cgroup.procs" 2>/dev/null); do
			echo "$p" >"$NB_CGROOT/cgroup.procs" 2>/dev/null || true
		done
		rmdir "$NB_CGROOT/$CL-h$k" 2>/dev/null || true
	done
	for p in $(ip netns list | awk '{print $1}' | grep "^$CL-"); do
		ip netns del "$p" 2>/dev/null || true
	done
	rm -rf "$CL_TMP"
}

