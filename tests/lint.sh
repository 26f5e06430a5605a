#!/usr/bin/env bash
# Lint of the end-to-end suite, as TAP (tests/run.sh counts each check as a test).
#
# Under bats a failing command that is not the last of an && list does not fail
# the test, so `[ "$status" -eq 0 ] && [ "$output" = x ]` checks nothing before
# its last part. The suite asserts with bats-assert instead (assert_success,
# assert_output, assert_equal, ...: see tests/e2e/lib.bash); this rejects
#   - a test command chained with && to another one: `[ a ] && [ b ]`, `[[ a ]] && [ b ]`
#     (in an if/while condition, where it is an ordinary condition, it is fine);
#   - "$status" or "$output" compared by hand in [ ] or [[ ]] (assert_success,
#     assert_failure, assert_output say what they got when they fail);
# and runs shellcheck (-S warning) over every .bats and .bash file and the
# test runners.
set -u
cd "$(dirname "$0")/.." || exit 2

files=(tests/e2e/*.bats tests/e2e/*.bash tests/pkg/*.bats)
scripts=(tests/run.sh tests/lint.sh tests/unit/test_layers.sh)
n=0 bad=0

tap() { # OK DESCRIPTION [DETAILS]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -z "${3:-}" ] || sed 's/^/#   /' <<<"$3"
		bad=$((bad + 1))
	fi
}

# grep_lines REGEX: file:line:text of the lines matching REGEX outside comments
grep_lines() {
	grep -nE "$1" "${files[@]}" | grep -vE '^[^:]+:[0-9]+:\s*#'
}

chained=$(grep_lines '\]\]?\s*&&\s*\[\[?\s' | grep -vE '^[^:]+:[0-9]+:\s*(if|elif|while|until)\s')
tap "$([ -z "$chained" ] && echo ok)" "no \`[ … ] && [ … ]\` in the bats suites (use bats-assert)" "$chained"

byhand=$(grep_lines '\[\[?\s+!?\s*"?\$\{?(status|output)\b' |
	grep -vE '^[^:]+:[0-9]+:\s*(if|elif|while|until|assert|refute)\s')
tap "$([ -z "$byhand" ] && echo ok)" \
	"no \"\$status\"/\"\$output\" compared in [ ] (assert_success/assert_failure/assert_output)" "$byhand"

if ! command -v shellcheck >/dev/null; then
	tap fail "shellcheck of tests/e2e" "shellcheck not found: install the Debian package shellcheck (make deps)"
else
	for f in "${files[@]}" "${scripts[@]}"; do
		out=$(shellcheck -x -S warning -f gcc "$f" 2>&1)
		tap "$([ -z "$out" ] && echo ok)" "shellcheck $f" "$out"
	done
fi

echo "1..$n"
[ "$bad" -eq 0 ]
