# shellcheck shell=bash
# Shared pieces of the benchmark harness: names, background processes,
# waiting, running a command in a namespace pinned to a CPU, and the JSON
# lines every measurement appends to $NBB_RAW/results.jsonl.
#
# Everything the harness creates carries the run's id ($NBB_ID, "nbb" + 4 hex
# digits): network namespaces "$NBB_ID-*", the temp dir /tmp/$NBB_ID, cgroups
# "$NBB_ID-*". Cleanup removes exactly those and ends exactly the processes
# whose pids it recorded.

NBB_CPU_CLIENT=${NBB_CPU_CLIENT:-0}
NBB_CPU_SERVER=${NBB_CPU_SERVER:-1}

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ns PATH-OR-NAME: a netns path (names are /run/netns/NAME)
ns() { case $1 in /*) echo "$1" ;; *) echo "/run/netns/$1" ;; esac }

# in_ns NS CMD...: CMD in netns NS, in the caller's mount namespace (ip netns
# exec would remount /sys and hide the instances' pin dirs and cgroups)
in_ns() {
	local n
	n=$(ns "$1")
	shift
	nsenter --net="$n" "$@"
}
# bg NAME CMD...: external command CMD in the background, output in
# $NBB_TMP/NAME.log; its pid is recorded (so cleanup ends it) and left in $BG_PID
bg() {
	local name=$1
	shift
	"$@" </dev/null >"$NBB_TMP/$name.log" 2>&1 &
	BG_PID=$!
	echo "$BG_PID" >>"$NBB_TMP/pids"
}
# bg_on_cpu NAME CPU NS CMD...: bg, with CMD pinned to CPU in netns NS (taskset and
# nsenter exec, so the recorded pid is CMD's own)
bg_on_cpu() {
	local name=$1 cpu=$2 n
	n=$(ns "$3")
	shift 3
	bg "$name" taskset -c "$cpu" nsenter --net="$n" "$@"
}

# bg_stop PID...: ends processes this run started (SIGTERM, then SIGKILL after 3 s)
bg_stop() {
	local p i
	for p; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || continue
		for i in $(seq 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# wait_for SECONDS CMD...: retries CMD every 0.1 s
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for i in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}
# listening NS tcp|udp PORT
listening() {
	local flag=-Hltn
	[ "$2" = udp ] && flag=-Hlun
	in_ns "$1" ss $flag | awk '{print $4}' | grep -q ":$3\$"
}
wait_listen() {
	wait_for 5 listening "$@" && return 0
	log "nothing listens on $2 port $3 in $1"
	return 1
}

# emit ROUND METRIC TOPO JSON-OBJECT: one raw result line
emit() {
	printf '{"round": %s, "metric": "%s", "topo": "%s", "v": %s}\n' "$1" "$2" "$3" "$4" \
		>>"${NBB_RESULTS:-$NBB_RAW/results.jsonl}"
}
# emit_extra KIND JSON-OBJECT: a raw result that is not a round of a metric
emit_extra() {
	printf '{"kind": "%s", "v": %s}\n' "$1" "$2" >>"$NBB_RAW/extra.jsonl"
}

# mono_ns: CLOCK_MONOTONIC-ish nanoseconds for timing commands
now_ns() { date +%s%N; }
