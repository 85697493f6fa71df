# matflow - OpenFlow 1.3 controller for VM mobility across IP networks.
#
#   make            build build/bin/matflowd and build/bin/matflowctl
#   make check      every test; ends with "N passed, N failed"
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
SAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(SAN)/tests/%)

.PHONY: all check check-unit check-sanitize-unit demo fuzz fuzz-build clean tests bench \
        bench-emulated bench-peers bench-disruption bench-plots bench-report
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

# libFuzzer targets: each links the parsing layers, built for fuzzing.
FUZZ_LIB_SRCS := $(foreach d,src/util src/ofp src/pkt,$(wildcard $(d)/*.c))
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(ALL_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $^ $(LDLIBS)

tests: all $(UNIT_BINS) $(TOOL_BINS) $(SAN_UNIT_BINS) $(SAN)/bin/matflowd $(FUZZ_BINS)

check: tests
	./tests/run-tests.sh

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	./tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS)

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
	$(MAKE) --no-print-directory bench-disruption || rc=1; \
	$(MAKE) --no-print-directory bench-plots bench-report || rc=1; \
	exit $$rc

# matflow-bench against matflowd: update latency over N x M, mass migration.
bench-emulated: all $(B)/bin/matflow-bench
	./scripts/bench.sh

# matflowd's learning switch against ovs-testcontroller and os-ken (cbench-style).
bench-peers: all $(B)/bin/matflow-bench
	./scripts/bench-peers.sh

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
