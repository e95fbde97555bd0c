# eddy's build. `make` builds build/eddy; `make check` runs every test tier; `make demo` sets up
# the machine and runs the demo; `make bench` runs the benchmarks. See README.md.

SHELL := /bin/bash
VERSION := $(shell cat VERSION)
COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

CC ?= gcc
# Every library eddy's modules build on, all from Debian's -dev packages. Those of LAZY_PKGS are
# not linked: eddy loads them when first used (src/base/dl.h), with the SONAME the -dev package's
# library has here, so that a command which needs none of them (`eddy kustomize build`) does not
# map them and their dependencies.
PKGS := libgit2 yaml-0.1 json-c openssl libpcre2-8 zlib gpgme
LAZY_PKGS := libcurl libmicrohttpd libarchive
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
# soname NAME: the SONAME of libNAME.so, the file the linker would have recorded.
soname = $(shell readelf -d $$($(CC) -print-file-name=lib$(1).so) | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
SONAMES := -DED_SONAME_CURL='"$(call soname,curl)"' -DED_SONAME_MICROHTTPD='"$(call soname,microhttpd)"' \
	-DED_SONAME_ARCHIVE='"$(call soname,archive)"'

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla
WERROR ?= -Werror
OPT ?= -O2 -g
CPPFLAGS_ALL := -D_GNU_SOURCE -DED_VERSION='"$(VERSION)+$(COMMIT)"' $(SONAMES) $(PKG_CFLAGS)
CFLAGS_ALL := -std=c17 $(OPT) $(WARN) $(WERROR) -fno-omit-frame-pointer $(CPPFLAGS_ALL) $(CFLAGS)
LDFLAGS_ALL := -Wl,--as-needed $(LDFLAGS)
LIBS := $(PKG_LIBS) -ldl -lpthread -lm
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN := -fsanitize=thread

SRC := $(sort $(wildcard src/*/*.c))
# The files `eddy install` embeds (deploy/), turned into C at build time by scripts/embed-files.
MANIFESTS := $(sort $(wildcard deploy/crds/*.yaml)) $(sort $(wildcard deploy/install/*.yaml))
GEN := build/gen/manifests.c
OBJ := $(patsubst src/%.c,build/obj/%.o,$(SRC)) build/obj/gen/manifests.o
ASAN_OBJ := $(patsubst src/%.c,build/asan/obj/%.o,$(SRC)) build/asan/obj/gen/manifests.o
TSAN_OBJ := $(patsubst src/%.c,build/tsan/obj/%.o,$(SRC)) build/tsan/obj/gen/manifests.o \
	build/tsan/obj/main.o
UNIT_MODULES := $(notdir $(wildcard tests/unit/*))
UNIT := $(addprefix build/tests/unit-,$(UNIT_MODULES))
ASAN_UNIT := $(addprefix build/asan/tests/unit-,$(UNIT_MODULES))
E2E_C := $(patsubst tests/e2e/c/%.c,build/tests/e2e-%,$(wildcard tests/e2e/c/*.c))
FUZZ_TARGETS := $(basename $(notdir $(wildcard tests/fuzz/*.c)))
FUZZ_CFLAGS := -std=c17 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all $(CPPFLAGS_ALL)
FUZZ_OBJ := $(patsubst src/%.c,build/fuzz/obj/%.o,$(SRC)) build/fuzz/obj/gen/manifests.o
FUZZ_SECONDS ?= 60
# libFuzzer's -seed (0: a random one) and -runs (-1: no limit, FUZZ_SECONDS alone bounds it).
FUZZ_SEED ?= 0
FUZZ_RUNS ?= -1

.PHONY: all setup check unit unit-asan valgrind fuzz golden e2e e2e-asan e2e-tsan format format-check lint layers bench demo clean print-libs
all: build/eddy

build/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

build/asan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(CC) $(CFLAGS_ALL) $(SAN) -MMD -MP -c $< -o $@

$(GEN): $(MANIFESTS) scripts/embed-files
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	@scripts/embed-files $(MANIFESTS) >$@.tmp && mv $@.tmp $@

build/obj/gen/manifests.o: $(GEN)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -Isrc -c $< -o $@

build/asan/obj/gen/manifests.o: $(GEN)
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(CC) $(CFLAGS_ALL) $(SAN) -Isrc -c $< -o $@

build/libeddy.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

build/asan/libeddy.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/eddy: build/obj/main.o build/libeddy.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The agent under ASan+UBSan, for the e2e suite (make e2e-asan).
build/asan/eddy: build/asan/obj/main.o build/asan/libeddy.a
	$(CC) $(CFLAGS_ALL) $(SAN) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The agent under ThreadSanitizer, for data races in the e2e suite (make e2e-tsan).
build/tsan/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@echo "  CC tsan $<"
	@$(CC) $(CFLAGS_ALL) $(TSAN) -MMD -MP -c $< -o $@

build/tsan/obj/gen/manifests.o: $(GEN)
	@mkdir -p $(@D)
	@echo "  CC tsan $<"
	@$(CC) $(CFLAGS_ALL) $(TSAN) -Isrc -c $< -o $@

build/tsan/eddy: $(TSAN_OBJ)
	$(CC) $(CFLAGS_ALL) $(TSAN) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

build/obj/main.o: src/main.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# One unit-test executable per module (tests/unit/<module>/*.c), linked with cmocka.
.SECONDEXPANSION:
build/tests/unit-%: $$(wildcard tests/unit/%/*.c) build/libeddy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Isrc $(LDFLAGS_ALL) -o $@ $(filter %.c,$^) build/libeddy.a $(LIBS) -lcmocka

build/asan/tests/unit-%: $$(wildcard tests/unit/%/*.c) build/asan/libeddy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SAN) -Isrc $(LDFLAGS_ALL) -o $@ $(filter %.c,$^) build/asan/libeddy.a $(LIBS) -lcmocka

# C programs the end-to-end tests run against the real servers (tests/e2e/c/<name>.c), built
# with ASan and UBSan so real traffic also checks memory safety.
build/tests/e2e-%: tests/e2e/c/%.c tests/e2e/c/e2e.h build/asan/libeddy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(SAN) -Isrc $(LDFLAGS_ALL) -o $@ $< build/asan/libeddy.a $(LIBS) -lcmocka

# Golden tests: cases compared with the oracle (`kubectl kustomize`), see tests/golden/run.
build/tests/golden-kustomize: tests/golden/kustomize_build.c build/libeddy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -Isrc $(LDFLAGS_ALL) -o $@ $< build/libeddy.a $(LIBS)

golden: build/tests/golden-kustomize
	tests/golden/run

# Set-up is idempotent and quick once done (scripts/setup).
setup:
	scripts/setup

unit: $(UNIT)
	@set -e; for t in $(UNIT); do echo "== $$t"; $$t; done

unit-asan: $(ASAN_UNIT)
	@set -e; for t in $(ASAN_UNIT); do echo "== $$t (ASan+UBSan)"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; done

# --child-silent-after-fork: gpgme forks before it runs gpg, and valgrind would report the parent's
# heap, still in use, as "possibly lost" in each child (test_sops_pgp).
valgrind: $(UNIT)
	@set -e; for t in $(UNIT); do echo "== $$t (valgrind)"; \
		valgrind -q --error-exitcode=1 --child-silent-after-fork=yes --leak-check=full \
			--errors-for-leak-kinds=definite,indirect $$t; done

# One libFuzzer target per parser of untrusted input (tests/fuzz/<name>.c), built with clang,
# ASan and UBSan, run for FUZZ_SECONDS each from its committed corpus (tests/fuzz/corpus/<name>).
# `make check` runs a fixed seed and number of inputs: the same commit gets the same verdict on
# every run (a random seed there once failed a change on a bug it did not touch); exploration
# with random seeds is `make fuzz`, for as long as one likes.
# The modules are compiled once for all targets (coverage-instrumented, fuzzer-no-link), each
# target links its own entry point with libFuzzer's main against them.
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build/fuzz/obj/gen/manifests.o: $(GEN)
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Isrc -c $< -o $@

build/fuzz/libeddy.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c build/fuzz/libeddy.a
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isrc -o $@ $< build/fuzz/libeddy.a $(LIBS)

fuzz: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
	@set -e; for t in $(FUZZ_TARGETS); do \
		work=$$(mktemp -d); cp tests/fuzz/corpus/$$t/* $$work/; \
		echo "== fuzz $$t for $(FUZZ_SECONDS)s (seed $(FUZZ_SEED), runs $(FUZZ_RUNS))"; \
		build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -runs=$(FUZZ_RUNS) \
			-timeout=10 -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/$$t- $$work 2>&1 | grep -E "^(stat::number_of_executed_units|Done|==[0-9]+==ERROR|SUMMARY)" || true; \
		status=$${PIPESTATUS[0]}; rm -rf $$work; [ "$$status" = 0 ] || { echo "fuzz $$t failed: see build/fuzz/$$t-*"; exit 1; }; \
	done

e2e: build/eddy $(E2E_C)
	tests/e2e/run

# The same suite with the agent and every CLI verb under ASan+UBSan.
e2e-asan: build/asan/eddy $(E2E_C)
	EDDY_BIN=$(CURDIR)/build/asan/eddy tests/e2e/run

# And under ThreadSanitizer (slower still, and not in check: a race report fails the test).
e2e-tsan: build/tsan/eddy $(E2E_C)
	EDDY_BIN=$(CURDIR)/build/tsan/eddy tests/e2e/run

FORMAT_FILES = $(shell find src tests -name '*.[ch]' | sort)
format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

lint:
	clang-tidy --quiet $(SRC) src/main.c -- $(CPPFLAGS_ALL) -std=c17

layers:
	scripts/check-layers

# The libraries a program built on build/libeddy.a links (the benchmarks' own programs): those
# eddy loads on first use are not among them.
print-libs:
	@echo $(LIBS)

# Every test tier: static checks, unit tests plain, under ASan+UBSan and under valgrind, a short
# run of every fuzz target, then
# the end-to-end tests against a real control plane, Git servers and registry: with the agent
# as built, then under ASan+UBSan.
check: setup
	$(MAKE) all format-check layers lint
	$(MAKE) unit unit-asan valgrind golden
	$(MAKE) fuzz FUZZ_SECONDS=120 FUZZ_SEED=1 FUZZ_RUNS=30000
	$(MAKE) e2e
	$(MAKE) e2e-asan

bench: build/eddy
	bench/run

demo: setup
	$(MAKE) all
	scripts/demo

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(TSAN_OBJ:.o=.d) $(FUZZ_OBJ:.o=.d) build/obj/main.d build/asan/obj/main.d
