# netbpf — build, test, demo.  `make V=1` shows full commands.
#
# Flow (libbpf-bootstrap's): bpf/*.bpf.c --clang -target bpf--> build/bpf/*.bpf.o
#   --bpftool gen skeleton--> build/*.skel.h <-- user/lib/dataplane.c includes them;
# user/lib/*.c --> build/libnetbpf.a <-- user/netbpfctl/ (build/netbpfctl), user/cni/
# (build/netbpf-cni). Every output goes to build/ (ignored by git).

OUT        := build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

DEPS_PKGS  := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool libnl-3-dev \
              libnl-route-3-dev libjansson-dev libsqlite3-dev libcmocka-dev bats \
              pkg-config iproute2 iputils-ping curl iperf3 socat python3 make gcc \
              libmicrohttpd-dev podman containernetworking-plugins busybox-static \
              runc sqlite3 shellcheck scdoc dpkg-dev lintian man-db systemd bash-completion \
              bats-support bats-assert docker.io docker-compose libcurl4-openssl-dev \
              etcd-server etcd-client openssl libldns-dev iptables

PKG_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null || echo -I/usr/include/libnl3)
LIBS       := -lbpf -lelf -lz -lnl-route-3 -lnl-3 -ljansson -lsqlite3 -lmicrohttpd -lcurl -lldns -lpthread

CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
              -Iinclude -Iuser/lib -I$(OUT) $(PKG_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
              -Ivmlinux -Iinclude -Ibpf

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

# user/lib/: libnetbpf, the library every front end links; user/netbpfctl/ and user/cni/: the
# front ends. Each object's header dependencies come from the compiler (-MMD, build/**/*.d).
LIB_SRCS   := $(wildcard user/lib/*.c)
LIB_OBJS   := $(patsubst user/%.c,$(OUT)/user/%.o,$(LIB_SRCS))
LIBNETBPF  := $(OUT)/libnetbpf.a
CTL_SRCS   := $(wildcard user/netbpfctl/*.c)
CTL_OBJS   := $(patsubst user/%.c,$(OUT)/user/%.o,$(CTL_SRCS))
# netbpfctl's verbs without main(), for the unit tests of its argp glue and output
LIBCTL     := $(OUT)/libnetbpfctl.a
# the CNI plugin (user/cni/) links the library like netbpfctl
CNI_SRCS   := $(wildcard user/cni/*.c)
CNI_OBJS   := $(patsubst user/%.c,$(OUT)/user/%.o,$(CNI_SRCS))
# netbpfd, Docker's network/IPAM plugin (user/netbpfd/): proto.o is pure, its unit test links it
NBD_SRCS   := $(wildcard user/netbpfd/*.c)
NBD_OBJS   := $(patsubst user/%.c,$(OUT)/user/%.o,$(NBD_SRCS))
DEPFILES   := $(wildcard $(OUT)/bpf/*.d $(OUT)/user/*/*.d $(OUT)/tests/*/*.d)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
LAYERS_TEST := $(OUT)/tests/unit/test_layers
PKT_SRCS   := $(wildcard tests/bpf/test_*.c)
PKT_BINS   := $(patsubst tests/bpf/%.c,$(OUT)/tests/bpf/%,$(PKT_SRCS))
PKT_LIB    := $(patsubst %.c,$(OUT)/%.o,$(filter-out $(PKT_SRCS),$(wildcard tests/bpf/*.c)))

VERSION    := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY: $(BPF_OBJS) $(SKELS) $(PKT_BINS:=.o)
.PHONY: all deps test test-unit test-bpf test-e2e test-lint demo clean bench bench-quick format

# the CNI plugin is built when its sources are there
CNI_BIN    := $(if $(CNI_SRCS),$(OUT)/netbpf-cni)

all: $(OUT)/netbpfctl $(CNI_BIN) $(OUT)/netbpfd $(UNIT_BINS) $(LAYERS_TEST) $(PKT_BINS)

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c $(OUT)/bpf/%.bpf.d | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@ && touch $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# The skeletons are order-only prerequisites so that they exist before the first compile; from
# then on each object's .d file names the ones it includes.
$(OUT)/user/lib/%.o: user/lib/%.c $(OUT)/user/lib/%.d | $(SKELS) $(OUT)/user/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -DNETBPF_VERSION='"$(VERSION)"' -c $< -o $@ && touch $@

$(OUT)/user/netbpfctl/%.o: user/netbpfctl/%.c $(OUT)/user/netbpfctl/%.d | $(SKELS) $(OUT)/user/netbpfctl
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfctl -MMD -MP -DNETBPF_VERSION='"$(VERSION)"' -c $< -o $@ && touch $@

$(OUT)/user/cni/%.o: user/cni/%.c $(OUT)/user/cni/%.d | $(SKELS) $(OUT)/user/cni
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/cni -MMD -MP -c $< -o $@ && touch $@

$(LIBNETBPF): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBCTL): $(filter-out %/main.o,$(CTL_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUT)/netbpfctl: $(OUT)/user/netbpfctl/main.o $(LIBCTL) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUT)/netbpf-cni: $(CNI_OBJS) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUT)/user/netbpfd/%.o: user/netbpfd/%.c $(OUT)/user/netbpfd/%.d | $(SKELS) $(OUT)/user/netbpfd
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfd -MMD -MP -DNETBPF_VERSION='"$(VERSION)"' -c $< -o $@ && touch $@

$(OUT)/netbpfd: $(NBD_OBJS) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -lpthread -o $@

# the protocol layer's unit test, with a fake backend
$(OUT)/tests/unit/test_netbpfd: tests/unit/test_netbpfd.c $(OUT)/user/netbpfd/proto.o $(LIBNETBPF) | $(SKELS) $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfd -Wno-unused-parameter -MMD -MP $< \
		$(OUT)/user/netbpfd/proto.o $(LIBNETBPF) $(LIBS) -lcmocka -o $@

# test_cni drives the plugin binary as a runtime does
$(OUT)/tests/unit/test_cni: $(OUT)/netbpf-cni
# test_nat reads the conntrack timeouts out of the programs' own rodata
$(OUT)/tests/unit/test_nat: $(OUT)/endpoint.skel.h $(OUT)/uplink.skel.h $(OUT)/xdp.skel.h
# test_btfview changes the BTF of every object as netbpfctl opens them
$(OUT)/tests/unit/test_btfview: $(SKELS)

$(OUT)/tests/unit/%: tests/unit/%.c $(LIBCTL) $(LIBNETBPF) | $(SKELS) $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfctl -Wno-unused-parameter -MMD -MP $< $(LIBCTL) $(LIBNETBPF) \
		$(LIBS) -lcmocka -lpthread -o $@

# nbetcd: the library's etcd client driven by tests/e2e/66-cluster.bats
NBETCD     := $(OUT)/tests/nbetcd
all: $(NBETCD)
$(NBETCD): tests/tools/nbetcd.c $(LIBNETBPF) | $(SKELS) $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIBNETBPF) $(LIBS) -o $@

# nbovl: the overlay data plane's map writers driven by tests/e2e/68-overlay-dp.bats
NBOVL      := $(OUT)/tests/nbovl
all: $(NBOVL)
$(NBOVL): tests/tools/nbovl.c $(LIBNETBPF) | $(SKELS) $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP $< $(LIBNETBPF) $(LIBS) -o $@

# the layering rule (tests/unit/test_layers.sh) runs as a unit test over the built objects
$(LAYERS_TEST): tests/unit/test_layers.sh $(LIB_OBJS) $(CTL_OBJS) $(CNI_OBJS) | $(OUT)/tests/unit
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@SRC@|$(CURDIR)|' -e 's|@OUT@|$(abspath $(OUT))|' $< >$@ && chmod +x $@

$(OUT)/tests/bpf/%.o: tests/bpf/%.c $(OUT)/tests/bpf/%.d | $(SKELS) $(OUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf -MMD -MP -c $< -o $@ && touch $@

$(OUT)/tests/bpf/%: $(OUT)/tests/bpf/%.o $(PKT_LIB) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUT)/bpf $(OUT)/user/lib $(OUT)/user/netbpfctl $(OUT)/user/cni $(OUT)/user/netbpfd \
$(OUT)/tests/unit $(OUT)/tests/bpf:
	$(Q)mkdir -p $@

-include $(DEPFILES)

# An object whose .d is missing was built without it (by an older Makefile, or the .d was
# lost): listed as targets of an empty rule (not a pattern, which would make them intermediate
# and ignored while missing), a missing .d counts as new, so the object is rebuilt and writes
# one; `touch` keeps each object newer than the .d its compiler wrote.
OBJ_DEPS   := $(BPF_OBJS:.o=.d) $(LIB_OBJS:.o=.d) $(CTL_OBJS:.o=.d) $(CNI_OBJS:.o=.d) \
              $(NBD_OBJS:.o=.d) $(PKT_BINS:=.d) $(PKT_LIB:.o=.d)
$(OBJ_DEPS): ;

# Installs the Debian packages that are missing (needs root). docker.io (netbpfd's end-to-end
# test, tests/e2e/65-docker.bats) installs a dockerd service and etcd-server an etcd one: while
# they install, a policy-rc.d (when the machine has none) keeps them from starting in the
# machine's own netns, where dockerd would change the host's iptables and etcd listen on its
# addresses; the tests run their own dockerd and etcd members inside namespaces.
deps:
	@missing=$$(for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		guard=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
		rc=$$?; [ -z "$$guard" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi

# The benchmark's own packages (make bench), not needed by make test. While
# they install, a policy-rc.d (when the machine has none) keeps docker.io from
# starting dockerd in the machine's own netns: the harness runs its own dockerd
# inside a namespace, and a system one would change the host's iptables.
BENCH_PKGS := sockperf wrk gnuplot-nox busybox-static docker.io iptables dnsperf dnsmasq-base

.PHONY: bench-deps
bench-deps:
	@missing=$$(for p in $(BENCH_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		guard=; \
		if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && guard=1; \
		fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		rc=$$?; [ -z "$$guard" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi

# Timings are reported, never asserted: see docs/benchmarks.md.
bench: deps bench-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench/bench.sh

bench-quick: deps bench-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/bench/bench.sh --quick

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

test-unit test-bpf test-e2e: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh $(patsubst test-%,%,$@)

# the suite's own lint (tests/lint.sh; make test runs it first)
test-lint: deps
	$(Q)tests/run.sh lint

# the long packet-fuzzing run (make test runs the same driver on 50,000 frames);
# NB_FUZZ_SEED=N replays a run
FUZZ_PACKETS ?= 1000000
.PHONY: fuzz
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(OUT)/tests/bpf/test_fuzz
	$(Q)NB_FUZZ_PACKETS=$(FUZZ_PACKETS) NB_CT_FLOOD=1 $(OUT)/tests/bpf/test_fuzz

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh


# ---- install, man pages, completion, systemd unit, .deb -----------------------------------
#
# What gets installed is data: one list per destination, so a new program, unit or page is
# one word in a list (or, for pages and units, one new file under docs/man/ or dist/systemd/).
#   make install [PREFIX=/usr/local] [DESTDIR=...]      make uninstall (same variables)
#   make man                                            build/man/*.8 from docs/man/*.scd
#   make deb                                            build/netbpf_<version>_<arch>.deb
PREFIX      ?= /usr/local
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian 12 keeps packaged units in /lib/systemd/system; under another prefix systemd
# also reads $(PREFIX)/lib/systemd/system (/usr/local/lib/systemd/system)
UNITDIR     ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
# CNI plugin directories: the distribution's (Debian's podman reads /usr/lib/cni) and CNI's
# own convention /opt/cni/bin (containerd, upstream plugins); CNI_OPT_DIR= leaves the latter out
CNI_LIBDIR  ?= $(PREFIX)/lib/cni
CNI_OPT_DIR ?= /opt/cni/bin
CNI_DIRS    := $(CNI_LIBDIR) $(CNI_OPT_DIR)

# programs for $(SBINDIR); the daemon joins with one word: $(OUT)/netbpfd (user/netbpfd/),
# built by its own rule, when that rule exists in this Makefile
SBIN_PROGS  := $(OUT)/netbpfctl $(if $(wildcard user/netbpfd/*.c),$(OUT)/netbpfd)
# every docs/man/NAME.SECTION.scd becomes build/man/NAME.SECTION (netbpfd.8.scd included)
MAN_SRCS    := $(wildcard docs/man/*.scd)
MAN_PAGES   := $(patsubst docs/man/%.scd,$(OUT)/man/%,$(MAN_SRCS))
# every dist/systemd/NAME.in becomes build/systemd/NAME with the install paths filled in
# (netbpfd.service.in included)
UNIT_SRCS   := $(wildcard dist/systemd/*.in)
UNITS       := $(patsubst dist/systemd/%.in,$(OUT)/systemd/%,$(UNIT_SRCS))
BASHCOMP    := dist/bash-completion/netbpfctl

# the build's time for man pages and the package, from the commit: same tree, same bytes
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH

.PHONY: man install uninstall deb test-pkg
# the packaging tests alone (make test runs them too, as the level "pkg")
test-pkg: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh pkg

man: $(MAN_PAGES)

$(OUT)/man/%: docs/man/%.scd | $(OUT)/man
	$(call msg,SCDOC,$@)
	$(Q)scdoc <$< >$@

# the units name the installed programs: regenerated whenever SBINDIR differs from the last
# build's (make install PREFIX=/usr after a build for /usr/local)
$(OUT)/systemd/paths: FORCE | $(OUT)/systemd
	$(Q)echo 'SBINDIR=$(SBINDIR)' | cmp -s - $@ || echo 'SBINDIR=$(SBINDIR)' >$@

$(OUT)/systemd/%: dist/systemd/%.in $(OUT)/systemd/paths
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' $< >$@

.PHONY: FORCE
FORCE:

$(OUT)/man $(OUT)/systemd:
	$(Q)mkdir -p $@

# the files as `make install` places them, "SOURCE MODE DESTINATION" triples; install and
# uninstall both read them, so they cannot disagree
INSTALL_FILES = \
	$(foreach f,$(SBIN_PROGS),$(f) 0755 $(SBINDIR)/$(notdir $(f))) \
	$(foreach d,$(CNI_DIRS),$(CNI_BIN) 0755 $(d)/netbpf) \
	$(foreach f,$(MAN_PAGES),$(f) 0644 $(MANDIR)/man$(subst .,,$(suffix $(f)))/$(notdir $(f))) \
	$(BASHCOMP) 0644 $(BASHCOMPDIR)/netbpfctl \
	$(foreach f,$(UNITS),$(f) 0644 $(UNITDIR)/$(notdir $(f)))

# Unit files are installed, never enabled or started: netbpf.service attaches to the host's
# uplink at boot, which an administrator turns on (systemctl enable netbpf) after a first up.
install: $(SBIN_PROGS) $(CNI_BIN) $(MAN_PAGES) $(UNITS)
	$(Q)printf '%s %s %s\n' $(INSTALL_FILES) | while read -r src mode dst; do \
		printf '  %-8s %s\n' INSTALL "$(DESTDIR)$$dst"; \
		install -D -m "$$mode" "$$src" "$(DESTDIR)$$dst" || exit 1; \
	done

uninstall:
	$(Q)printf '%s %s %s\n' $(INSTALL_FILES) | while read -r src mode dst; do \
		printf '  %-8s %s\n' RM "$(DESTDIR)$$dst"; \
		rm -f "$(DESTDIR)$$dst"; \
	done

# The .deb: `make install` into a staging root with PREFIX=/usr, then what Debian policy asks
# of a binary package (stripped programs, compressed manual pages, copyright, compressed
# changelog, md5sums, files owned by root), Depends from dpkg-shlibdeps, built by dpkg-deb.
# The plugin is not staged into /opt (policy keeps packages out of it): postinst links it
# there when /opt/cni/bin exists. Check it with `lintian build/netbpf_*.deb`.
DEB_PACKAGE    := netbpf
DEB_ARCH       := $(shell dpkg --print-architecture 2>/dev/null)
# the Makefile's VERSION (git describe) under a date, so that later builds sort later
DEB_VERSION    := 0~git$(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y%m%d%H%M).$(subst -,+,$(VERSION))-1
DEB_MAINTAINER ?= $(shell git config user.name 2>/dev/null || echo netbpf) <$(shell git config user.email 2>/dev/null || echo root@localhost)>
DEB_DIR        := $(OUT)/deb
DEB_ROOT       := $(DEB_DIR)/root
DEB_FILE       := $(OUT)/$(DEB_PACKAGE)_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_SCRIPTS    := postinst prerm postrm

deb: $(SBIN_PROGS) $(CNI_BIN) $(MAN_PAGES) $(UNITS)
	$(Q)rm -rf $(DEB_DIR) $(OUT)/$(DEB_PACKAGE)_*.deb
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_ROOT) PREFIX=/usr \
		CNI_OPT_DIR= >/dev/null
	$(call msg,DEB,$(DEB_FILE))
	$(Q)strip --strip-unneeded --remove-section=.comment --remove-section=.note \
		$(DEB_ROOT)/usr/sbin/* $(DEB_ROOT)/usr/lib/cni/*
	$(Q)gzip -9n $(DEB_ROOT)/usr/share/man/man*/*
	$(Q)install -D -m 0644 dist/debian/copyright $(DEB_ROOT)/usr/share/doc/$(DEB_PACKAGE)/copyright
	$(Q)printf '%s (%s) unstable; urgency=medium\n\n  * Built from git %s.\n\n -- %s  %s\n' \
		$(DEB_PACKAGE) '$(DEB_VERSION)' '$(VERSION)' '$(DEB_MAINTAINER)' \
		"$$(date -u -R -d @$(SOURCE_DATE_EPOCH))" | \
		gzip -9n >$(DEB_ROOT)/usr/share/doc/$(DEB_PACKAGE)/changelog.Debian.gz
	$(Q)mkdir -p $(DEB_ROOT)/DEBIAN $(DEB_DIR)/src/debian
	$(Q)printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' $(DEB_PACKAGE) $(DEB_PACKAGE) \
		>$(DEB_DIR)/src/debian/control
	$(Q)deps=$$(cd $(DEB_DIR)/src && dpkg-shlibdeps -O $(addprefix $(CURDIR)/$(DEB_ROOT)/,\
		usr/sbin/* usr/lib/cni/netbpf) | sed -n 's/^shlibs:Depends=//p') && \
	[ -n "$$deps" ] && \
	sed -e 's|@VERSION@|$(DEB_VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' \
		-e 's|@MAINTAINER@|$(DEB_MAINTAINER)|' -e "s|@DEPENDS@|$$deps|" \
		-e "s|@SIZE@|$$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)|" \
		dist/debian/control.in >$(DEB_ROOT)/DEBIAN/control
	$(Q)for s in $(DEB_SCRIPTS); do install -m 0755 dist/debian/$$s $(DEB_ROOT)/DEBIAN/$$s; done
	$(Q)cd $(DEB_ROOT) && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | \
		xargs md5sum >DEBIAN/md5sums && chmod 0644 DEBIAN/md5sums
	$(Q)dpkg-deb --root-owner-group -Zxz --build $(DEB_ROOT) $(DEB_FILE) >/dev/null

format:
	clang-format -i $(wildcard user/*/*.c user/*/*.h bpf/*.c bpf/lib/*.h include/netbpf/*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf $(OUT)
