# Drizzle build. GNU make + pkg-config; sources are discovered by directory so
# a new module needs no edit here: src/<layer>/*.c go into libdrizzle.a,
# src/cli/*.c into the program, tests/unit/test_*.c become one test binary
# each, tests/fuzz/fuzz_*.c one libFuzzer target each, bench/bench_*.c one
# benchmark each.
#
#   make          build build/drizzle
#   make test     build and run every test (ends with "N passed, N failed")
#   make check    the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench    build and run the benchmarks (figures printed, not asserted)
#   make fuzz     build the libFuzzer targets with clang
#   make format   clang-format every source file

CC      ?= cc
PKGS    := libsodium openssl libisal sqlite3 libuv libkeyutils
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
TEST_LIBS  := $(shell pkg-config --libs cmocka)

OPT     ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -pthread -Isrc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  += $(PKG_LIBS) -pthread -lm

# BUILD selects the output tree so sanitizer builds never mix with normal ones.
BUILD   ?= build

LAYERS  := core net client peer coordinator
LIB_SRC := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/bench_*.c)
TOOL_SRC := $(wildcard tests/tools/*.c)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: all tests test check bench fuzz format clean
all: $(BUILD)/drizzle

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libdrizzle.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/drizzle: $(CLI_OBJ) $(BUILD)/libdrizzle.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libdrizzle.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

# test tools (attackers for the integration tests): tests/tools/*.c
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(BUILD)/libdrizzle.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libdrizzle.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

tests: $(BUILD)/drizzle $(UNIT_BIN) $(TOOL_BIN)

HAVE_CLANG := $(shell command -v clang >/dev/null 2>&1 && echo yes)
test: tests $(if $(HAVE_CLANG),fuzz)
	BUILD=$(BUILD) tests/run.sh

# Sanitizer build: its own tree, then the same runner against it.
# DRIZZLE_SANITIZED tells the tests that resident-memory bounds do not
# hold here (AddressSanitizer's shadow memory and quarantine).
check:
	DRIZZLE_SANITIZED=1 $(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" test

bench: $(BUILD)/drizzle $(BENCH_BIN) $(TOOL_BIN)
	BUILD=$(BUILD) bench/run.sh

# libFuzzer targets need clang; each links the library's objects built
# with the fuzzer's coverage instrumentation (build/fuzz/obj, compiled
# once for all targets: compiling the library again per target made
# `make fuzz` take minutes).
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Isrc $(PKG_CFLAGS)
FUZZ_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
fuzz: $(FUZZ_BIN)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -pthread -lm

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(UNIT_SRC) $(FUZZ_SRC) $(BENCH_SRC) $(wildcard src/*/*.h)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
.SECONDARY:
