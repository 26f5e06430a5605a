# netbpf — build, test, demo.  `make V=1` shows full commands.
#
# Flow (libbpf-bootstrap's): bpf/*.bpf.c --clang -target bpf--> build/bpf/*.bpf.o
#   --bpftool gen skeleton--> build/*.skel.h <-- user/*.c include them.
# Every output goes to build/ (ignored by git).

OUT        := build
CLANG      ?= clang
BPFTOOL    ?= bpftool
CC         ?= cc
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

DEPS_PKGS  := clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool libnl-3-dev \
              libnl-route-3-dev libjansson-dev libsqlite3-dev libcmocka-dev bats \
              pkg-config iproute2 iputils-ping curl iperf3 socat python3 make gcc \
              libmicrohttpd-dev podman containernetworking-plugins busybox-static

PKG_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null || echo -I/usr/include/libnl3)
LIBS       := -lbpf -lelf -lz -lnl-route-3 -lnl-3 -ljansson -lsqlite3 -lmicrohttpd

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
DEPFILES   := $(wildcard $(OUT)/bpf/*.d $(OUT)/user/*/*.d $(OUT)/tests/*/*.d)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
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
.PHONY: all deps test test-unit test-bpf test-e2e demo clean bench bench-quick format install

# the CNI plugin is built when its sources are there
CNI_BIN    := $(if $(CNI_SRCS),$(OUT)/netbpf-cni)

all: $(OUT)/netbpfctl $(CNI_BIN) $(UNIT_BINS) $(PKT_BINS)

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# The skeletons are order-only prerequisites so that they exist before the first compile; from
# then on each object's .d file names the ones it includes.
$(OUT)/user/lib/%.o: user/lib/%.c | $(SKELS) $(OUT)/user/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfctl -MMD -MP -DNETBPF_VERSION='"$(VERSION)"' -c $< -o $@

$(OUT)/user/netbpfctl/%.o: user/netbpfctl/%.c | $(SKELS) $(OUT)/user/netbpfctl
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfctl -MMD -MP -DNETBPF_VERSION='"$(VERSION)"' -c $< -o $@

$(OUT)/user/cni/%.o: user/cni/%.c | $(SKELS) $(OUT)/user/cni
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/cni -Iuser/netbpfctl -MMD -MP -c $< -o $@

$(LIBNETBPF): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIBCTL): $(filter-out %/main.o,$(CTL_OBJS))
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUT)/netbpfctl: $(OUT)/user/netbpfctl/main.o $(LIBCTL) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Wl,--start-group $^ -Wl,--end-group $(LIBS) -o $@

$(OUT)/netbpf-cni: $(CNI_OBJS) $(LIBCTL) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Wl,--start-group $^ -Wl,--end-group $(LIBS) -o $@

# test_cni drives the plugin binary as a runtime does
$(OUT)/tests/unit/test_cni: $(OUT)/netbpf-cni
# test_nat reads the conntrack timeouts out of the programs' own rodata
$(OUT)/tests/unit/test_nat: $(OUT)/endpoint.skel.h $(OUT)/uplink.skel.h $(OUT)/xdp.skel.h

$(OUT)/tests/unit/%: tests/unit/%.c $(LIBCTL) $(LIBNETBPF) | $(SKELS) $(OUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser/netbpfctl -Wno-unused-parameter -MMD -MP $< \
		-Wl,--start-group $(LIBCTL) $(LIBNETBPF) -Wl,--end-group $(LIBS) -lcmocka -o $@

$(OUT)/tests/bpf/%.o: tests/bpf/%.c | $(SKELS) $(OUT)/tests/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf -Iuser/netbpfctl -MMD -MP -c $< -o $@

$(OUT)/tests/bpf/%: $(OUT)/tests/bpf/%.o $(PKT_LIB) $(LIBNETBPF)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

$(OUT)/bpf $(OUT)/user/lib $(OUT)/user/netbpfctl $(OUT)/user/cni $(OUT)/tests/unit \
$(OUT)/tests/bpf:
	$(Q)mkdir -p $@

-include $(DEPFILES)

# Installs the Debian packages that are missing (needs root).
deps:
	@missing=$$(for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

# The benchmark's own packages (make bench), not needed by make test. While
# they install, a policy-rc.d (when the machine has none) keeps docker.io from
# starting dockerd in the machine's own netns: the harness runs its own dockerd
# inside a namespace, and a system one would change the host's iptables.
BENCH_PKGS := sockperf wrk gnuplot-nox busybox-static docker.io iptables

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

# netbpfctl, and the CNI plugin where runtimes look for plugins (podman, containerd: /usr/lib/cni
# or /opt/cni/bin via their configuration; /usr/local/lib/cni for local installs)
install: all
	install -D -m 0755 $(OUT)/netbpfctl $(DESTDIR)/usr/local/sbin/netbpfctl
	install -D -m 0755 $(OUT)/netbpf-cni $(DESTDIR)/usr/local/lib/cni/netbpf
	install -D -m 0755 $(OUT)/netbpf-cni $(DESTDIR)/usr/lib/cni/netbpf

format:
	clang-format -i $(wildcard user/*/*.c user/*/*.h bpf/*.c bpf/lib/*.h include/netbpf/*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf $(OUT)
