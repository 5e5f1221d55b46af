# `make bench`: the benchmark (not part of the tests). Included by the top
# Makefile. Builds the optimised ./meshc and ./libmeshrt.a through the top
# Makefile's own targets, the bench helpers into $(B)/bench/, then runs
# bench/run.sh. BENCH_SIZES=1000,10000 (and the other BENCH_* variables
# described in bench/README.md) shorten or tune a run.

BENCH_BIN    = $(B)/bench
BENCH_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS)
YAML_CFLAGS := $(shell $(PKG_CONFIG) --cflags yaml-0.1 2>/dev/null)
YAML_LIBS   := $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null)

$(BENCH_BIN)/yaml_floor: bench/yaml_floor.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(YAML_CFLAGS) -o $@ $< $(YAML_LIBS)

$(BENCH_BIN)/runstat: bench/runstat.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $<

# bench_rt links the runtime as a proxy would (libmeshrt.a + PCRE2). While
# the runtime is incomplete the link fails; run.sh then reports the lookup
# figures as skipped instead of failing the whole run.
$(BENCH_BIN)/bench_rt: bench/bench_rt.c runtime/meshrt.h $(RTLIB)
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Iruntime $(PCRE_CFLAGS) -o $@ $< $(RTLIB) $(PCRE_LIBS) -pthread \
		|| { rm -f $@; echo "bench: bench_rt not built: libmeshrt.a does not link"; }

bench: $(MESHC_BIN) $(RTLIB) $(BENCH_BIN)/yaml_floor $(BENCH_BIN)/runstat $(BENCH_BIN)/bench_rt
	@if [ -n "$(SANITIZE)" ]; then echo "bench: run without SANITIZE" >&2; exit 2; fi
	MESHC=$(abspath $(MESHC_BIN)) BENCH_BIN_DIR=$(abspath $(BENCH_BIN)) bash bench/run.sh

.PHONY: bench
