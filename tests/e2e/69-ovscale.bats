#!/usr/bin/env bats
# tools/bench/ovscale.sh (issue 17's "Measured") at a small size: three hosts, one etcd
# member, four sandboxes a host. Every sandbox is created, every endpoint of hosts 2 and 3
# reaches host 1's data plane (nb_remote_ip), and the script leaves none of its namespaces,
# mounts, cgroups or files behind. Its timings and CPU figures are never asserted.

load lib

setup() {
	command -v etcd >/dev/null || fail "etcd is not installed: install Debian's etcd-server (make deps)"
	command -v etcdctl >/dev/null || fail "etcdctl is not installed: install Debian's etcd-client (make deps)"
	OUTF=$BATS_TEST_TMPDIR/ovscale.txt
}

# val KEY: the value of KEY in the script's output
val() { awk -v k="$1" '$1 == k {print $2}' "$OUTF"; }

@test "ovscale.sh: every remote endpoint converges on host 1, nothing left behind" {
	run "$NB_SRC/tools/bench/ovscale.sh" --hosts 3 --per-host 4 --idle 0 --out "$OUTF"
	assert_success
	assert_equal "$(val sandboxes_created)" 12
	assert_equal "$(val create_errors)" 0
	assert_equal "$(val remote_endpoints_expected)" 8
	assert_equal "$(val remote_endpoints_measured)" 8
	assert_line --regexp '^agent_cpu_ms@h3 [0-9]+$'
	assert_line --regexp '^etcd_cpu_ms [0-9]+$'
	rid=$(val run)
	assert_regex "$rid" '^nbo[0-9a-f]{4}$'
	run bash -c "ip netns list | grep '^$rid-'"
	assert_failure
	run grep -c "$rid" /proc/mounts
	assert_output 0
	run ls -d "$NB_CGROOT/$rid-h1" "/tmp/$rid"
	assert_failure
}
