#!/usr/bin/env bash
# Runs every test level and ends with one line "N passed, N failed, N skipped".
#
#   tests/run.sh                        lint, unit, bpf (packet), e2e and pkg
#   tests/run.sh lint|unit|bpf|e2e|pkg  one level
#
# The lint level (tests/lint.sh) checks the bats files for checks that cannot
# fail; each of its checks counts as a test, so a defect there fails the run.
# pkg (tests/pkg/*.bats) installs into temporary directories and builds the
# .deb: make install/uninstall, systemd-analyze verify, lintian, dpkg --root.
#
# The e2e level runs the whole suite once per data-plane mode: tc, then xdp
# (`netbpfctl up --mode xdp`, through NB_MODE in tests/e2e/lib.bash);
# E2E_MODES="tc" (or "xdp") runs one.
#
# Each level speaks TAP: cmocka (CMOCKA_MESSAGE_OUTPUT=TAP), the packet-test
# harness, bats --tap. A binary that dies without reporting a failure counts
# as one failed test, so a crash can never pass silently. A binary that skips
# as a whole ("1..0 # SKIP why") counts as one skipped test: it never vanishes
# from the totals.
set -u
cd "$(dirname "$0")/.." || exit 2

OUT=${OUT:-build}
levels=("$@")
[ ${#levels[@]} -gt 0 ] || levels=(lint unit bpf e2e pkg)

passed=0 failed=0 skipped=0
failures=()
skips=()

# count_tap NAME < tap-output: updates the totals, echoes the output
count_tap() {
	local name=$1 line nfail=0
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"1..0 # SKIP"* | "1..0 # skip"* | "1..0 # Skip"*)
			skipped=$((skipped + 1))
			skips+=("$name: ${line#1..0 # }") ;;
		"ok "[0-9]*"# skip"* | "ok "[0-9]*"# SKIP"* | "not ok "[0-9]*"# SKIP"* | "not ok "[0-9]*"# skip"*)
			skipped=$((skipped + 1)) ;;
		"ok "[0-9]*)
			passed=$((passed + 1)) ;;
		"not ok "[0-9]*)
			failed=$((failed + 1)); nfail=$((nfail + 1))
			failures+=("$name: ${line#not ok }") ;;
		esac
	done
	return $nfail
}

run_bin() { # LEVEL BINARY
	local name=$2 tmp rc
	tmp=$(mktemp)
	echo "# $1: $name"
	CMOCKA_MESSAGE_OUTPUT=TAP "$name" >"$tmp" 2>&1
	rc=$?
	count_tap "$name" <"$tmp"
	local nfail=$?
	if [ $rc -ne 0 ] && [ $nfail -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		failed=$((failed + 1))
		failures+=("$name: exited with status $rc")
	fi
	rm -f "$tmp"
}

for level in "${levels[@]}"; do
	case $level in
	lint)
		tmp=$(mktemp)
		echo "# lint: tests/lint.sh"
		tests/lint.sh >"$tmp" 2>&1
		rc=$?
		count_tap lint <"$tmp"
		nfail=$?
		if [ $rc -ne 0 ] && [ $nfail -eq 0 ]; then
			echo "not ok - tests/lint.sh exited with status $rc"
			failed=$((failed + 1)); failures+=("lint: exited with status $rc")
		fi
		rm -f "$tmp" ;;
	unit | bpf)
		for bin in "$OUT"/tests/"$level"/test_*; do
			[ -x "$bin" ] && [ ! -d "$bin" ] && [[ $bin != *.o ]] || continue
			run_bin "$level" "$bin"
		done ;;
	e2e)
		for mode in ${E2E_MODES:-tc xdp}; do
			tmp=$(mktemp)
			echo "# e2e ($mode mode): bats tests/e2e"
			NB_MODE=$mode NETBPFCTL=$PWD/$OUT/netbpfctl bats --tap tests/e2e >"$tmp" 2>&1
			rc=$?
			count_tap "e2e $mode" <"$tmp"
			nfail=$?
			if [ $rc -ne 0 ] && [ $nfail -eq 0 ]; then
				echo "not ok - bats ($mode mode) exited with status $rc"
				failed=$((failed + 1)); failures+=("bats ($mode): exited with status $rc")
			fi
			rm -f "$tmp"
		done ;;
	pkg)
		tmp=$(mktemp)
		echo "# pkg: bats tests/pkg"
		bats --tap tests/pkg >"$tmp" 2>&1
		rc=$?
		count_tap "pkg" <"$tmp"
		nfail=$?
		if [ $rc -ne 0 ] && [ $nfail -eq 0 ]; then
			echo "not ok - bats (pkg) exited with status $rc"
			failed=$((failed + 1)); failures+=("bats (pkg): exited with status $rc")
		fi
		rm -f "$tmp" ;;
	*)
		echo "tests/run.sh: unknown level \"$level\" (lint, unit, bpf, e2e or pkg)" >&2
		exit 2 ;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
if [ ${#skips[@]} -gt 0 ]; then
	echo "# skipped as a whole:"
	printf '#   %s\n' "${skips[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
