#!/usr/bin/env bats
# Installing netbpf as a Debian tool: `make install`/`make uninstall` into a
# DESTDIR, the systemd unit through `systemd-analyze verify`, and `make deb`:
# its control fields, its files and their modes, lintian, and a dpkg install and
# purge into a private root (dpkg --root, maintainer scripts run chrootless and
# follow DPKG_ROOT). Nothing here touches the machine's own /usr, /lib or /opt:
# every install goes under a temporary directory.

bats_load_library bats-support
bats_load_library bats-assert

NB_SRC=${NB_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

setup() {
	T=$(mktemp -d /tmp/nbpkg.XXXXXX)
}
teardown() {
	rm -rf "$T"
}

mk() { make -C "$NB_SRC" --no-print-directory "$@"; }

# files under DIR (not directories) as "MODE PATH", sorted
files_of() {
	(cd "$1" && find . ! -type d -printf '%m %P\n' | LC_ALL=C sort)
}

# The pages every install must have, and any page added to docs/man/ since (netbpfd.8)
MAN_PAGES=$(
	{
		printf '%s\n' netbpf-cni.8 netbpfctl-ct.8 netbpfctl-network.8 netbpfctl-publish.8 \
			netbpfctl-sandbox.8 netbpfctl-stats.8 netbpfctl-system.8 netbpfctl.8
		for f in "$NB_SRC"/docs/man/*.scd; do basename "$f" .scd; done
	} | LC_ALL=C sort -u
)
# The units: netbpf.service, and any added to dist/systemd/ since (netbpfd.service)
UNITS=$(
	{
		echo netbpf.service
		for f in "$NB_SRC"/dist/systemd/*.in; do basename "$f" .in; done
	} | LC_ALL=C sort -u
)
# The programs for sbin: netbpfctl, and the daemon where the tree has it (user/netbpfd/)
SBIN_PROGS=netbpfctl
if [ -d "$NB_SRC/user/netbpfd" ]; then
	SBIN_PROGS="netbpfctl netbpfd"
fi

@test "make install puts every file in its place with its mode; make uninstall removes them all" {
	run mk install DESTDIR="$T/root" PREFIX=/usr/local
	assert_success
	run files_of "$T/root"
	assert_output "$(
		{
			echo "755 opt/cni/bin/netbpf"
			for u in $UNITS; do echo "644 usr/local/lib/systemd/system/$u"; done
			echo "755 usr/local/lib/cni/netbpf"
			for p in $SBIN_PROGS; do echo "755 usr/local/sbin/$p"; done
			echo "644 usr/local/share/bash-completion/completions/netbpfctl"
			for m in $MAN_PAGES; do echo "644 usr/local/share/man/man8/$m"; done
		} | LC_ALL=C sort
	)"
	# the programs are the build's, and run
	run "$T/root/usr/local/sbin/netbpfctl" --version
	assert_success
	assert_output --partial "netbpfctl "
	cmp "$NB_SRC/build/netbpf-cni" "$T/root/opt/cni/bin/netbpf"
	# the unit runs the installed binary
	run grep '^Exec' "$T/root/usr/local/lib/systemd/system/netbpf.service"
	assert_output "$(printf '%s\n' 'ExecStart=/usr/local/sbin/netbpfctl up' \
		'ExecReload=/usr/local/sbin/netbpfctl up --reload')"

	run mk uninstall DESTDIR="$T/root" PREFIX=/usr/local
	assert_success
	run files_of "$T/root"
	assert_success
	assert_output ""
}

@test "PREFIX=/usr: units in /lib/systemd/system, the plugin in /usr/lib/cni, no /opt with CNI_OPT_DIR=" {
	run mk install DESTDIR="$T/root" PREFIX=/usr CNI_OPT_DIR=
	assert_success
	run files_of "$T/root"
	assert_line "644 lib/systemd/system/netbpf.service"
	assert_line "755 usr/lib/cni/netbpf"
	assert_line "755 usr/sbin/netbpfctl"
	assert_line "644 usr/share/bash-completion/completions/netbpfctl"
	refute_line --partial "opt/"
	run grep '^ExecStart=' "$T/root/lib/systemd/system/netbpf.service"
	assert_output "ExecStart=/usr/sbin/netbpfctl up"
}

@test "the man pages render without a groff warning" {
	run mk man
	assert_success
	local m
	for m in $MAN_PAGES; do
		run env MANWIDTH=80 man --warnings -l "$NB_SRC/build/man/$m"
		assert_success
		# man prints groff's warnings ("troff:<standard input>:12: warning: ...") with the
		# page, whose own text may say "warning"; a page is never empty
		refute_output --regexp ':[0-9]+: warning'
		assert_line --regexp '^NAME$'
	done
}

@test "systemd-analyze verify accepts netbpf.service, and rejects a broken copy" {
	# installed under a prefix (not a DESTDIR) so that ExecStart names a real file and
	# the Documentation= man pages are found through MANPATH
	run mk install PREFIX="$T/p" CNI_OPT_DIR="$T/p/opt/cni/bin"
	assert_success
	local unit=$T/p/lib/systemd/system/netbpf.service u
	for u in $UNITS; do
		run env MANPATH="$T/p/share/man" systemd-analyze verify "$T/p/lib/systemd/system/$u"
		assert_success
		assert_output ""
	done
	# what the unit promises: a one-shot that stays "active", nothing run on stop
	run grep -E '^(Type|RemainAfterExit|ExecStop|ExecStart)=' "$unit"
	assert_output "$(printf '%s\n' Type=oneshot RemainAfterExit=yes "ExecStart=$T/p/sbin/netbpfctl up")"
	# the verification is real here even without systemd as PID 1: a unit whose
	# program is missing, or whose manual page is, fails it
	mkdir -p "$T/bad"
	sed "s|^ExecStart=.*|ExecStart=$T/p/sbin/nonexistent up|" "$unit" >"$T/bad/netbpf.service"
	run env MANPATH="$T/p/share/man" systemd-analyze verify "$T/bad/netbpf.service"
	assert_failure
	assert_output --partial "nonexistent"
	run env MANPATH="$T/nowhere" systemd-analyze verify "$unit"
	assert_failure
	assert_output --partial "netbpfctl-system(8)"
}

@test "make deb: control from the Makefile's version, Depends from dpkg-shlibdeps, files and modes" {
	run mk deb
	assert_success
	local debs=("$NB_SRC"/build/netbpf_*.deb)
	[ "${#debs[@]}" -eq 1 ] || fail "expected one .deb, found: ${debs[*]}"
	local deb=${debs[0]} hash
	hash=$(git -C "$NB_SRC" describe --always)
	run dpkg-deb -f "$deb" Package Architecture Section Priority Maintainer
	assert_success
	assert_line "Package: netbpf"
	assert_line "Architecture: $(dpkg --print-architecture)"
	assert_line "Section: net"
	run dpkg-deb -f "$deb" Version
	assert_output --regexp "^0~git[0-9]{12}\.${hash}(\+dirty)?-1$"
	# every library netbpfctl links is a dependency
	run dpkg-deb -f "$deb" Depends
	local lib
	for lib in libbpf1 libc6 libjansson4 libmicrohttpd12 libnl-3-200 libnl-route-3-200 \
		libsqlite3-0; do
		assert_output --partial "$lib ("
	done
	# maintainer scripts, executable; no conffiles (nothing under /etc)
	run bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -tvf - | awk '{print \$1, \$2, \$6}' | sort -k3"
	assert_output "$(printf '%s\n' 'drwxr-xr-x root/root ./' '-rw-r--r-- root/root ./control' \
		'-rw-r--r-- root/root ./md5sums' '-rwxr-xr-x root/root ./postinst' \
		'-rwxr-xr-x root/root ./postrm' '-rwxr-xr-x root/root ./prerm')"
	# the data: owned by root, modes, compressed pages, copyright and changelog
	run bash -c "dpkg-deb -c '$deb' | awk '\$1 !~ /^d/ {print \$1, \$2, \$6}' | LC_ALL=C sort -k3"
	assert_output "$(
		{
			for u in $UNITS; do echo "-rw-r--r-- root/root ./lib/systemd/system/$u"; done
			echo "-rwxr-xr-x root/root ./usr/lib/cni/netbpf"
			for p in $SBIN_PROGS; do echo "-rwxr-xr-x root/root ./usr/sbin/$p"; done
			echo "-rw-r--r-- root/root ./usr/share/bash-completion/completions/netbpfctl"
			echo "-rw-r--r-- root/root ./usr/share/doc/netbpf/changelog.Debian.gz"
			echo "-rw-r--r-- root/root ./usr/share/doc/netbpf/copyright"
			for m in $MAN_PAGES; do echo "-rw-r--r-- root/root ./usr/share/man/man8/$m.gz"; done
		} | LC_ALL=C sort -k3
	)"
	# the changelog names the version
	dpkg-deb -x "$deb" "$T/x"
	run bash -c "zcat '$T/x/usr/share/doc/netbpf/changelog.Debian.gz' | head -1"
	assert_output "netbpf ($(dpkg-deb -f "$deb" Version)) unstable; urgency=medium"
	run "$T/x/usr/sbin/netbpfctl" --help
	assert_success
	# the unit runs the packaged binary, whatever PREFIX the tree was built for before
	run grep '^ExecStart=' "$T/x/lib/systemd/system/netbpf.service"
	assert_output "ExecStart=/usr/sbin/netbpfctl up"
}

@test "lintian finds no error in the .deb" {
	run mk deb
	assert_success
	local deb=("$NB_SRC"/build/netbpf_*.deb)
	run lintian --no-tag-display-limit "${deb[0]}"
	# lintian exits 0 unless it reports an error; the warnings it may print are
	# listed in the README (initial-upload-closes-no-bugs: not for the Debian archive)
	assert_success
	refute_line --regexp '^E: '
}

@test "dpkg installs the .deb into a private root (linking into /opt/cni/bin) and purges it without a trace" {
	run mk deb
	assert_success
	local deb=("$NB_SRC"/build/netbpf_*.deb) R=$T/root
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/opt/cni/bin"
	touch "$R/var/lib/dpkg/status"
	local before
	before=$(files_of "$R")
	# the dependencies are the real system's, not the private root's database
	dpkg_r() { dpkg --root="$R" --log="$T/dpkg.log" --force-script-chrootless --force-depends "$@"; }
	run dpkg_r -i "${deb[0]}"
	assert_success
	run readlink "$R/opt/cni/bin/netbpf"
	assert_output "/usr/lib/cni/netbpf"
	run files_of "$R"
	assert_line "755 usr/sbin/netbpfctl"
	assert_line "644 lib/systemd/system/netbpf.service"
	run dpkg_r -s netbpf
	assert_line "Status: install ok installed"

	run dpkg_r -P netbpf
	assert_success
	run dpkg_r -s netbpf
	refute_line "Status: install ok installed"
	# nothing of the package is left: only dpkg's own database files differ
	run bash -c "diff <(echo '$before') <(cd '$R' && find . ! -type d -printf '%m %P\n' | LC_ALL=C sort) | grep '^>' | grep -v ' var/lib/dpkg/'"
	assert_output ""
	run ls -A "$R/opt/cni/bin"
	assert_output ""
}
