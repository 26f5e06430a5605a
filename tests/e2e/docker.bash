# shellcheck shell=bash
# The real Docker engine (docker.io 20.10) beside netbpfd, for 65-docker.bats.
#
#   world ($NB_WORLD)              host ($NB_HOST): netbpfctl up --uplink up0
#   wan0 198.18.0.2 ──veth── up0 198.18.0.1
#                                 ├─ dockerd  ┐ both in one private mount namespace
#                                 └─ netbpfd  ┘ (held by an "anchor" process):
#                                    tmpfs over /run and /etc/docker, so Docker's
#                                    plugin dir, netns mounts, containerd and
#                                    key.json never touch the machine's
#
# dockerd keeps its data root, exec root, pidfile and API socket under
# $NB_TMP/docker and puts its containers' cgroups under "$NB_ID-docker".
# It keeps its defaults for iptables and the userland proxy, so that a
# fallback to them (docker_gwbridge, a DNAT rule, docker-proxy) would show.
# Everything it makes in the host netns goes with the netns; its processes,
# mounts and cgroups are ended/removed by dk_teardown, by pid and by name.

DOCKER=${DOCKER:-/usr/bin/docker} # docker.io's own CLI, whatever else is on PATH
NETBPFD=${NETBPFD:-$NB_SRC/build/netbpfd}
DK_IMAGE=nbt-busybox

dk_dir() { echo "$NB_TMP/docker"; }
dk() { "$DOCKER" -H "unix://$(dk_dir)/docker.sock" "$@"; }
dk_compose() { DOCKER_HOST="unix://$(dk_dir)/docker.sock" docker-compose "$@"; }
dk_anchor() { cat "$(dk_dir)/anchor.pid"; }
# a command in the host netns and Docker's mount namespace (Docker's netns paths resolve)
in_dk() { nsenter --mount=/proc/"$(dk_anchor)"/ns/mnt --net=/run/netns/"$NB_HOST" "$@"; }
nbctl_dk() { in_dk "$NETBPFCTL" "$@"; }

# dk_bg FILE PIDFILE CMD...: CMD (an executable, exec'ed: the pid is its own) in the
# background, its pid in PIDFILE and in the list dk_teardown ends (not nb_kill_bg's:
# the engine outlives each test)
dk_bg() {
	local out=$1 pidfile=$2
	shift 2
	# fd 3 is bats' own output: a child holding it would stall bats
	(exec "$@") </dev/null >"$out" 2>&1 3>&- &
	echo $! >>"$(dk_dir)/pids"
	echo $! >"$pidfile"
}
# nsenter arguments into the host netns and Docker's mount namespace
dk_enter() { echo nsenter --mount=/proc/"$(dk_anchor)"/ns/mnt --net=/run/netns/"$NB_HOST"; }

# Missing packages are failures naming the package, never skips
dk_require() {
	local missing=""
	if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DOCKER" ]; then missing+=" docker.io"; fi
	command -v docker-compose >/dev/null || missing+=" docker-compose"
	command -v runc >/dev/null || missing+=" runc"
	[ -x /bin/busybox ] || missing+=" busybox-static"
	[ -x "$NETBPFD" ] || missing+=" (build/netbpfd: run make)"
	if [ -n "$missing" ]; then
		echo "missing:$missing (make deps installs the packages)" >&2
		return 1
	fi
}

dk_start_dockerd() {
	local d
	d=$(dk_dir)
	rm -f "$d/docker.sock"
	# shellcheck disable=SC2046
	dk_bg "$d/dockerd.log" "$d/dockerd.bgpid" $(dk_enter) dockerd --data-root "$d/data" --exec-root "$d/exec" \
		--pidfile "$d/docker.pid" -H "unix://$d/docker.sock" \
		--cgroup-parent "$NB_ID-docker" --bridge=none --live-restore \
		--default-ulimit nofile=1024:1024 --default-ulimit nproc=4096:4096 \
		--log-level=info
	wait_for_long 60 dk version >/dev/null || { tail -20 "$d/dockerd.log"; return 1; }
}

dk_stop_dockerd() {
	local p
	p=$(cat "$(dk_dir)/dockerd.bgpid" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null || true
	wait_for_long 60 sh -c "! kill -0 $p"
	rm -f "$(dk_dir)/dockerd.bgpid"
}

dk_start_netbpfd() {
	local d
	d=$(dk_dir)
	# shellcheck disable=SC2046
	dk_bg "$d/netbpfd.log" "$d/netbpfd.bgpid" $(dk_enter) "$NETBPFD" -v \
		--docker-host "unix://$d/docker.sock"
	wait_for test -S /proc/"$(dk_anchor)"/root/run/docker/plugins/netbpf.sock ||
		{ cat "$d/netbpfd.log"; return 1; }
}

dk_stop_netbpfd() {
	local p
	p=$(cat "$(dk_dir)/netbpfd.bgpid" 2>/dev/null) || return 0
	kill -TERM "$p" 2>/dev/null || true
	wait_for sh -c "! kill -0 $p"
	rm -f "$(dk_dir)/netbpfd.bgpid"
}

# wait_for_long SECONDS CMD...
wait_for_long() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

dk_setup() {
	local d
	dk_require
	nb_setup_instance
	d=$(dk_dir)
	mkdir -p "$d/data" "$d/exec" "$d/rootfs/bin" "$d/rootfs/www"
	# the private mount namespace, held by a process of its own
	dk_bg "$d/anchor.log" "$d/anchor.pid" nsenter --net=/run/netns/"$NB_HOST" unshare \
		--mount --propagation private sh -c 'mount -t tmpfs -o mode=755 nbt-run /run &&
			mount -t tmpfs -o mode=755 nbt-etc-docker /etc/docker &&
			mkdir -p /run/docker/plugins && exec sleep 1000000'
	wait_for test -d /proc/"$(dk_anchor)"/root/run/docker/plugins
	dk_start_netbpfd
	dk_start_dockerd
	# an image from the busybox-static package: no registry involved
	cp /bin/busybox "$d/rootfs/bin/busybox"
	for a in sh sleep ping nc httpd wget cat echo ip nslookup hostname; do
		ln -sf busybox "$d/rootfs/bin/$a"
	done
	echo hello-from-docker >"$d/rootfs/www/index.html"
	tar -C "$d/rootfs" -c . | dk import - "$DK_IMAGE" >/dev/null
}

dk_teardown() {
	local d p cg
	[ -n "${NB_ID:-}" ] || return 0
	d=$(dk_dir)
	if [ -f "$d/anchor.pid" ]; then
		if [ -f "$d/dockerd.bgpid" ] && dk version >/dev/null 2>&1; then
			for p in $(dk ps -aq 2>/dev/null); do
				dk rm -f "$p" >/dev/null 2>&1 || true
			done
		fi
		dk_stop_dockerd || true
		dk_stop_netbpfd || true
	fi
	# Whatever outlived dockerd is this test's by construction: in a cgroup named
	# after it, or a shim or containerd of this exec root (the [c] keeps grep
	# from matching its own command line). Ended by pid.
	for p in $(cat /sys/fs/cgroup/pids/"$NB_ID-docker"/*/cgroup.procs 2>/dev/null) \
		$(grep -l -s "$d/exe[c]" /proc/[0-9]*/cmdline | cut -d/ -f3); do
		kill -9 "$p" 2>/dev/null || true
	done
	# the anchor too: the mount namespace goes with its last process
	for p in $(cat "$d/pids" 2>/dev/null); do
		kill "$p" 2>/dev/null || true
	done
	for p in $(cat "$d/pids" 2>/dev/null); do
		wait "$p" 2>/dev/null || true
	done
	for cg in /sys/fs/cgroup/*/"$NB_ID-docker" /sys/fs/cgroup/unified/"$NB_ID-docker"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	nb_teardown_instance
}

# dk_ip CONTAINER [NETWORK]: its address on NETWORK (the only one by default)
dk_ip() {
	if [ -n "${2:-}" ]; then
		dk inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
	else
		dk inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"
	fi
}
dk_netid() { dk network inspect -f '{{.Id}}' "$1"; }
