# matflow - OpenFlow 1.3 controller for VM mobility across IP networks.
#
#   make            build build/bin/matflowd and build/bin/matflowctl
#   make check      every test; ends with "N passed, N failed"
#   make check-sanitize  every test against ASan + UBSan builds (daemon, CLI)
#   make check-valgrind  the daemon (build/bin) under valgrind memcheck on the testbed
#   make demo       the demo on real Open vSwitch
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS
#   make clean
#
# Dependencies come from Debian packages: scripts/install-deps.sh.

CC      ?= gcc
CLANG   ?= clang
PKGS    := libevent libevent_openssl jansson yaml-0.1 sqlite3 openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm

B := build
SAN := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# The library: every layer below the daemon and the CLI.
LIB_DIRS := src/util src/ofp src/pkt src/core src/app src/app/mobility src/app/l2learn
LIB_SRCS := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
D_SRCS   := $(wildcard src/daemon/*.c)
D_OBJS   := $(D_SRCS:%.c=$(B)/obj/%.o)
CLI_SRCS := $(wildcard src/cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/obj/%.o)
BENCH_SRCS := $(wildcard src/bench/*.c)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(B)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(SAN)/obj/%.o)
SAN_D_OBJS   := $(D_SRCS:%.c=$(SAN)/obj/%.o)
SAN_CLI_OBJS := $(CLI_SRCS:%.c=$(SAN)/obj/%.o)
SAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(SAN)/tests/%)

.PHONY: all check check-unit check-sanitize-unit check-sanitize check-valgrind tests-sanitize \
        demo fuzz fuzz-build clean tests bench soak \
        bench-emulated bench-peers bench-flood bench-disruption bench-plots bench-report
all: $(B)/bin/matflowd $(B)/bin/matflowctl

$(B)/libmatflow.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/bin/matflowd: $(D_OBJS) $(B)/libmatflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/matflowctl: $(CLI_OBJS) $(B)/libmatflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bin/matflow-bench: $(BENCH_OBJS) $(B)/libmatflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libmatflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $^ $(LDLIBS) -lcmocka

$(B)/tests/%: tests/tools/%.c $(B)/libmatflow.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $^ $(LDLIBS)

# The same code built with ASan + UBSan (clang), for unit tests and the daemon.
$(SAN)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(SAN)/libmatflow.a: $(SAN_LIB_OBJS)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(SAN)/tests/test_%: tests/unit/test_%.c $(SAN)/libmatflow.a
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests -o $@ $^ $(LDLIBS) -lcmocka

$(SAN)/bin/matflowd: $(SAN_D_OBJS) $(SAN)/libmatflow.a
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(SAN)/bin/matflowctl: $(SAN_CLI_OBJS) $(SAN)/libmatflow.a
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(SAN)/tests/golden_gen: tests/tools/golden_gen.c $(SAN)/libmatflow.a
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests -o $@ $^ $(LDLIBS)

# libFuzzer targets (tests/fuzz/): the library built for fuzzing (coverage,
# ASan + UBSan) in build/fuzz/; fuzz_api and fuzz_config add the daemon's
# request and configuration readers.
FUZZ_CFLAGS := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(B)/fuzz/obj/%.o)
FUZZ_D_OBJS := $(patsubst %.c,$(B)/fuzz/obj/%.o,src/daemon/api.c src/daemon/api_json.c \
               src/daemon/config.c src/daemon/config_sites.c src/daemon/config_mobility.c)
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(B)/fuzz/libmatflow.a: $(FUZZ_LIB_OBJS)
	ar rcs $@ $^

$(B)/fuzz/fuzz_api $(B)/fuzz/fuzz_config: $(FUZZ_D_OBJS)
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libmatflow.a $(wildcard tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.o,$^) \
		$(B)/fuzz/libmatflow.a $(LDLIBS)

tests: all $(UNIT_BINS) $(TOOL_BINS) $(SAN_UNIT_BINS) $(SAN)/bin/matflowd $(FUZZ_BINS)

check: tests
	./tests/run-tests.sh

# The full counts of the fault and attack tests, which `make check` runs in
# short versions: 100 migrations with a kill -9 of matflowd every 20, and a
# channel cut of 30 s (longer than the echo timeout).
soak: tests
	CRASH_MOVES=100 CRASH_KILL_EVERY=20 FAULT_CUT_S=30 \
	    ./tests/run-tests.sh test_crash_restart test_switch_faults test_hostile_packets

# The whole suite against the ASan + UBSan builds: the daemon, the CLI and
# the golden generator from build-san/ (MATFLOW_SANITIZE=1, see
# tests/run-tests.sh); any sanitizer report of any process fails its test.
tests-sanitize: tests $(SAN)/bin/matflowctl $(SAN)/tests/golden_gen
check-sanitize: tests-sanitize
	MATFLOW_SANITIZE=1 ./tests/run-tests.sh

# build/bin/matflowd (-O2 -g, no sanitizer) under valgrind memcheck through
# one testbed scenario: tests/valgrind/run.sh (root, Open vSwitch).
check-valgrind: all
	./tests/valgrind/run.sh

# FUZZ_SECONDS per target, or FUZZ_RUNS executions each (e.g. 10000000).
FUZZ_SECONDS ?= 60
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	./tests/fuzz/run-fuzz.sh $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),$(FUZZ_SECONDS))

demo: all
	./scripts/demo.sh

# Benchmarks (never part of `make check`): see docs/BENCHMARKS.md. `make bench`
# runs every part, even after one failed, then draws the plots and writes
# the figures into docs/BENCHMARKS.md, and fails if any part did.
BENCH_TOOLS := all $(B)/bin/matflow-bench $(B)/tests/ofrelay $(B)/tests/pktdelay
bench: $(BENCH_TOOLS)
	rc=0; \
	$(MAKE) --no-print-directory bench-emulated || rc=1; \
	$(MAKE) --no-print-directory bench-peers || rc=1; \
	$(MAKE) --no-print-directory bench-flood || rc=1; \
	$(MAKE) --no-print-directory bench-disruption || rc=1; \
	$(MAKE) --no-print-directory bench-plots bench-report || rc=1; \
	exit $$rc

# matflow-bench against matflowd: update latency over N x M, mass migration.
bench-emulated: all $(B)/bin/matflow-bench
	./scripts/bench.sh

# matflowd's learning switch against ovs-testcontroller and os-ken (cbench-style).
bench-peers: all $(B)/bin/matflow-bench
	./scripts/bench-peers.sh

# The other sites' binding updates while one port floods RARP/ARP Packet-Ins,
# against unloaded runs (alternating, same parameters).
bench-flood: all $(B)/bin/matflow-bench
	./scripts/bench-flood.sh

# Data-path disruption on the real testbed, with delays on the OpenFlow channel.
# Then the same moves with delays between the sites (delaying forwarders on
# the uplinks) and one real QEMU live migration.
bench-disruption: all $(B)/tests/ofrelay $(B)/tests/pktdelay
	./scripts/bench-disruption.sh
	BENCH_WAN=1 ./scripts/bench-disruption.sh
	./scripts/bench-qemu.sh

# PNG plots of the benchmark JSON in build/bench (gnuplot).
bench-plots:
	./scripts/bench-plots.sh

# The measured tables of docs/BENCHMARKS.md, from build/bench.
bench-report:
	./scripts/bench-report.py

clean:
	rm -rf $(B) $(SAN)

-include $(shell find $(B) $(SAN) -name '*.d' 2>/dev/null)
