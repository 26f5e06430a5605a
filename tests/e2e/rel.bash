# shellcheck shell=bash
# Helpers of the reliability suites (70-*.bats), on top of lib.bash.
#
# rel_snapshot is the full "nothing changed" view: the database dumped row by
# row, every link/address/route/tc filter of the host netns and of each of the
# instance's sandboxes, the instance's namespaces, and the entries of every
# pinned map except the counters that move on their own (statistics, drops,
# lost events) and the ring buffer (which has no entries to dump).

# maps whose contents legitimately move without any command
REL_MOVING_MAPS=" nb_drops nb_ep_stats nb_ep_drops nb_ev_lost nb_events "

# rel_netns_list: the instance's namespaces (host, world, sandboxes)
rel_netns_list() {
	ip netns list | awk '{print $1}' | grep "^$NB_ID-" | sort
}

rel_snapshot() {
	local ns dev
	echo "== database"
	sqlite3 -readonly "$NETBPF_STATE_DIR/netbpf.db" .dump 2>&1
	echo "== namespaces"
	rel_netns_list
	for ns in $(rel_netns_list); do
		echo "== netns $ns links"
		ip -n "$ns" -o link show | sed 's/ *\\ *link\/.*//'
		echo "== netns $ns addresses"
		ip -n "$ns" -o -4 addr show | awk '{print $2, $4}'
		echo "== netns $ns routes"
		ip -n "$ns" -4 route show table all
	done
	echo "== tc filters (host)"
	for dev in $(ip -n "$NB_HOST" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
		[ "$dev" = lo ] && continue
		echo "-- $dev"
		in_host tc filter show dev "$dev" ingress 2>&1
	done
	echo "== maps"
	# one python for every map: the snapshot runs twice per case
	python3 -c '
import json, os, subprocess, sys
pins, moving = sys.argv[1], sys.argv[2].split()
for m in sorted(os.listdir(pins)):
    if m in moving or m.endswith(".debug") or os.path.isdir(os.path.join(pins, m)):
        continue
    print("--", m)
    p = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", os.path.join(pins, m)],
                       capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        print(p.stdout, p.stderr)
        continue
    rows = d if isinstance(d, list) else [d]
    for r in sorted(json.dumps(x.get("formatted", x), sort_keys=True) for x in rows):
        print(r)' "$NETBPF_PIN_DIR" "$REL_MOVING_MAPS"
}

# rel_settled_snapshot: rel_snapshot once two in a row agree (links that were
# just created still change state for a moment: carrier, operstate)
rel_settled_snapshot() {
	local a b _
	a=$(rel_snapshot)
	for _ in $(seq 20); do
		sleep 0.25
		b=$(rel_snapshot)
		[ "$a" = "$b" ] && break
		a=$b
	done
	echo "$a"
}

# rel_as_nobody CMD...: CMD as uid/gid 65534 in the instance's host netns
rel_as_nobody() {
	in_host setpriv --reuid=65534 --regid=65534 --clear-groups \
		env NETBPF_STATE_DIR="$NETBPF_STATE_DIR" NETBPF_PIN_DIR="$NETBPF_PIN_DIR" "$@"
}

# rel_consistent: the kernel matches the state (rel_check.py), and a second
# gc finds nothing to do
rel_consistent() {
	local out
	python3 "$NB_SRC/tests/e2e/rel_check.py" "$NETBPF_STATE_DIR" "$NETBPF_PIN_DIR" \
		"$NB_HOST" "$NB_ID-" || return 1
	out=$(nbctl gc) || { echo "gc failed: $out"; return 1; }
	[ "$out" = "nothing to clean up" ] || {
		echo "gc after the repair still found work:"
		echo "$out"
		return 1
	}
}
