#!/usr/bin/env bats
# Crash consistency. NETBPF_FAULT=<step> makes netbpfctl _exit at that step
# (user/lib/fault.h) as if killed there; then `gc` must leave no leaked veth,
# netns, address, map entry or database row, and the kernel must match the
# state (rel_check.py compares them entry by entry). The command is atomic:
# killed before its commit, it did nothing (running it again succeeds);
# killed after, it is done (running it again is refused as done).
# Then SIGKILL at random moments of a create/rm loop, gc, the same check.
#
# Fixture: networks cr 10.70.0.0/24 and cr2 10.74.0.0/24, sandbox base on cr
# with 8100:80 published.
#
# Table columns, separated by " | ": STEP | PREP | CMD | UNDO
#   PREP runs first (must succeed), CMD runs with the fault, UNDO restores
#   the fixture after CMD has been run to completion; @SB@x = sandbox x.

load lib
load rel

REL_FAULTS=$(cat <<'TABLE'
sandbox-create:begin |  | sandbox create --network cr -p 8201:80 @SB@x | sandbox rm @SB@x
sandbox-create:netns |  | sandbox create --network cr -p 8202:80 @SB@x | sandbox rm @SB@x
endpoint:veth |  | sandbox create --network cr -p 8203:80 @SB@x | sandbox rm @SB@x
endpoint:maps |  | sandbox create --network cr -p 8204:80 @SB@x | sandbox rm @SB@x
sandbox-create:commit |  | sandbox create --network cr -p 8205:80 @SB@x | sandbox rm @SB@x
sandbox-create:committed |  | sandbox create --network cr -p 8206:80 @SB@x | sandbox rm @SB@x
endpoint:veth |  | network connect cr2 @SB@base | network disconnect cr2 @SB@base
endpoint:maps |  | network connect cr2 @SB@base | network disconnect cr2 @SB@base
network-connect:commit |  | network connect cr2 @SB@base | network disconnect cr2 @SB@base
network-create:commit |  | network create --subnet 10.72.0.0/24 crn | network rm crn
network-rm:commit | network create --subnet 10.73.0.0/24 crm | network rm crm |
publish:commit |  | publish 8300:80 @SB@base | unpublish 8300:80 @SB@base
unpublish:commit |  | unpublish 8100:80 @SB@base | publish 8100:80 @SB@base
sandbox-rm:commit | sandbox create --network cr -p 8400:80 @SB@y | sandbox rm @SB@y |
sandbox-rm:committed | sandbox create --network cr -p 8401:80 @SB@y | sandbox rm @SB@y |
TABLE
)

fixture() {
	nb_setup_instance
	nbctl network create --subnet 10.70.0.0/24 cr
	nbctl network create --subnet 10.74.0.0/24 cr2
	nbctl sandbox create --network cr -p 8100:80 "$(sb base)"
}

setup_file() { nb_setup_file fixture; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { assert_no_bridge_no_rules; }

# words STRING: STRING's @SB@ replaced, split into the array REPLY_WORDS
words() {
	local s=${1//@SB@/$NB_ID-}
	eval "REPLY_WORDS=($s)"
}

# fault_case LINE
fault_case() {
	local step prep cmd undo out rc
	IFS='|' read -r step prep cmd undo <<<"$1"
	step=${step// /}
	echo "## $step: $cmd"
	words "$prep"
	if [ ${#REPLY_WORDS[@]} -gt 0 ]; then
		nbctl "${REPLY_WORDS[@]}" >/dev/null || { echo "prep failed"; return 1; }
	fi
	words "$cmd"
	out=$(NETBPF_FAULT=$step nbctl "${REPLY_WORDS[@]}" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -ne 99 ] || ! grep -qF "fault injected at step $step" <<<"$out"; then
		echo "the fault at $step did not fire (status $rc): $out"
		return 1
	fi
	nbctl gc || { echo "gc after the fault failed"; return 1; }
	rel_consistent || return 1
	# atomic: before the commit nothing happened, after it everything did
	out=$(nbctl "${REPLY_WORDS[@]}" 2>&1) && rc=0 || rc=$?
	if [[ $step == *:committed ]]; then
		if [ "$rc" -ne 1 ] || ! grep -Eq 'already|not found' <<<"$out"; then
			echo "after a crash past the commit, the command must be done; rerun: $rc $out"
			return 1
		fi
	elif [ "$rc" -ne 0 ]; then
		echo "after a crash before the commit, the command must run again: $rc $out"
		return 1
	fi
	words "$undo"
	if [ ${#REPLY_WORDS[@]} -gt 0 ]; then
		nbctl "${REPLY_WORDS[@]}" >/dev/null || { echo "undo failed"; return 1; }
	fi
	rel_consistent
}

@test "crash: every fault step, then gc: nothing leaked, kernel matches state, atomic" {
	local line bad=0 n=0
	while IFS= read -r line; do
		n=$((n + 1))
		fault_case "$line" || bad=$((bad + 1))
	done <<<"$REL_FAULTS"
	echo "$n fault case(s), $bad failed"
	assert [ "$bad" -eq 0 ]
}

@test "crash: every nb_fault() call site in user/ is in the table" {
	local sites
	# every .c under user/, wherever the sources live in it
	sites=$(grep -rho --include='*.c' 'nb_fault("[a-z:-]*")' "$NB_SRC"/user |
		sed 's/nb_fault("\(.*\)")/\1/'
		grep -rho --include='*.c' 'nb_fault(publish ? "[a-z:-]*" : "[a-z:-]*")' "$NB_SRC"/user |
			grep -o '"[a-z:-]*"' | tr -d '"')
	echo "fault steps in user/: $sites"
	# (an empty list would pass the loop below without looking at anything)
	assert [ "$(wc -w <<<"$sites")" -ge 10 ]
	for s in $sites; do
		grep -q "^$s |" <<<"$REL_FAULTS" || { echo "step $s is not tested"; return 1; }
	done
}

@test "crash: SIGKILL at random moments of a create/rm loop, then gc" {
	local i pid kills=0 p
	for i in $(seq 12); do
		p=$((8600 + i))
		nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" sandbox create --network cr \
			-p "$p:80" "$(sb k$i)" >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 25))"
		kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		wait "$pid" 2>/dev/null || true
		nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" sandbox rm "$(sb k$i)" \
			>/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 25))"
		kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
		wait "$pid" 2>/dev/null || true
		# every fourth round, repair in between: gc itself works on a half-done state
		if [ $((i % 4)) -eq 0 ]; then
			nbctl gc >/dev/null
			rel_consistent
		fi
	done
	echo "$kills kill(s) landed while a command ran"
	nbctl gc
	rel_consistent
	# whatever survived (a create that committed, a rm killed before its commit) goes
	# away cleanly; then the names, addresses and ports can be used again
	for i in $(seq 12); do
		if nbctl sandbox inspect "$(sb k$i)" >/dev/null 2>&1; then
			nbctl sandbox rm "$(sb k$i)"
		fi
	done
	rel_consistent
	nbctl sandbox create --network cr -p 8601:80 "$(sb k1)"
	ping_ok k1 "$(sb_ip base)"
	nbctl sandbox rm "$(sb k1)"
	rel_consistent
}
