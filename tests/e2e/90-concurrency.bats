#!/usr/bin/env bats
# Concurrency: commands started at the same moment serialize on the state's
# writer lock (user/store.h) and never see each other half-done.
#
# Fixture: network cc 10.95.0.0/24 with sandbox base.

load lib
load rel

fixture() {
	nb_setup_instance
	nbctl network create --subnet 10.95.0.0/24 cc
	nbctl sandbox create --network cc "$(sb base)"
}

setup_file() { nb_setup_file fixture; }
teardown_file() { nb_teardown_instance; }
setup() { nb_setup_ok; }
teardown() { assert_no_bridge_no_rules; }

# run_parallel OUTDIR CMD-LINE...: each CMD-LINE (netbpfctl's arguments, one
# string) started at once in the host netns; OUTDIR/N.rc and N.out per command
run_parallel() {
	local dir=$1 i=0 pids=() p
	shift
	mkdir -p "$dir"
	for c; do
		# shellcheck disable=SC2086
		( rc=0
		  nsenter --net=/run/netns/"$NB_HOST" "$NETBPFCTL" $c >"$dir/$i.out" 2>&1 || rc=$?
		  echo $rc >"$dir/$i.rc" ) 3>&- &
		pids+=($!)
		i=$((i + 1))
	done
	for p in "${pids[@]}"; do
		wait "$p"
	done
}

@test "concurrency: 32 sandbox create at once: 32 distinct addresses, all reachable" {
	local cmds=() i ips
	for i in $(seq 32); do
		cmds+=("sandbox create --network cc $(sb p$i)")
	done
	run_parallel "$NB_TMP/par32" "${cmds[@]}"
	for i in $(seq 0 31); do
		[ "$(cat "$NB_TMP/par32/$i.rc")" -eq 0 ] || { cat "$NB_TMP/par32/$i.out"; return 1; }
	done
	ips=$(for i in $(seq 32); do sb_ip "p$i"; done | sort)
	echo "$ips" | head -3
	assert [ "$(sort -u <<<"$ips" | grep -c .)" -eq 32 ]
	for i in $(seq 32); do
		ping_ok base "$(sb_ip "p$i")"
	done
	rel_consistent
	# and as many at once to remove them
	cmds=()
	for i in $(seq 32); do
		cmds+=("sandbox rm $(sb p$i)")
	done
	run_parallel "$NB_TMP/rm32" "${cmds[@]}"
	for i in $(seq 0 31); do
		assert [ "$(cat "$NB_TMP/rm32/$i.rc")" -eq 0 ]
	done
	rel_consistent
}

@test "concurrency: two publish of one host port at once: exactly one wins" {
	local r round wins
	nbctl sandbox create --network cc "$(sb q1)"
	nbctl sandbox create --network cc "$(sb q2)"
	for round in 1 2 3 4 5; do
		run_parallel "$NB_TMP/pub$round" "publish 85$round:80 $(sb q1)" "publish 85$round:80 $(sb q2)"
		wins=0
		for r in 0 1; do
			if [ "$(cat "$NB_TMP/pub$round/$r.rc")" -eq 0 ]; then
				wins=$((wins + 1))
			else
				grep -q "already published" "$NB_TMP/pub$round/$r.out" || {
					cat "$NB_TMP/pub$round/$r.out"
					return 1
				}
			fi
		done
		echo "round $round: $wins winner(s)"
		assert [ "$wins" -eq 1 ]
	done
	rel_consistent
	nbctl sandbox rm "$(sb q1)" "$(sb q2)"
}

@test "concurrency: network rm racing network connect: never a dangling endpoint" {
	local round rc_c rc_r connected=0 removed=0
	for round in $(seq 8); do
		nbctl network create --subnet "10.96.$round.0/24" "rr$round" >/dev/null
		run_parallel "$NB_TMP/race$round" "network connect rr$round $(sb base)" \
			"network rm rr$round"
		rc_c=$(cat "$NB_TMP/race$round/0.rc")
		rc_r=$(cat "$NB_TMP/race$round/1.rc")
		if [ "$rc_c" -eq 0 ]; then
			# connect first: rm was refused (in use), the endpoint is whole
			assert [ "$rc_r" -eq 1 ]
			grep -q "in use" "$NB_TMP/race$round/1.out"
			ping_ok base "10.96.$round.1"
			nbctl network disconnect "rr$round" "$(sb base)"
			nbctl network rm "rr$round" >/dev/null
			connected=$((connected + 1))
		else
			# rm first: connect found no network, nothing of it is left
			assert [ "$rc_r" -eq 0 ]
			grep -q "not found" "$NB_TMP/race$round/0.out"
			removed=$((removed + 1))
		fi
		rel_consistent
	done
	echo "connect first $connected time(s), rm first $removed time(s)"
}
