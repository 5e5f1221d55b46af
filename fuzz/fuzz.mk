# Fuzz builds (clang + libFuzzer + ASan/UBSan) go to build-fuzz/.
#   make fuzz                 build every fuzz/fuzz_*.c target and its seeds
#   make fuzz-run FUZZ_SECONDS=600   run each target in turn on its corpus
#   make fuzz-smoke           a short run of every target (part of check-all)
# The library sources are compiled once with the fuzzer's instrumentation
# (build-fuzz/obj/) and linked into each target; the targets that drive a
# command (diff, test) link the command-line sources too, except main.c,
# whose `meshc help` is replaced by fuzz/help_stub.c.
#
# Seed corpora are generated from testdata at build time, one directory
# per target in build-fuzz/seeds/: YAML for the front end and the
# compiler, route tables compiled by ./meshc for the table fuzzer (so it
# gets past the header), pairs of configs for diff, config files, and
# `meshc test` cases files.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_SMOKE_SECONDS ?= 8
FUZZ_DIR = build-fuzz
FUZZ_SRCS = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES = $(FUZZ_SRCS:fuzz/%.c=%)
FUZZ_BINS = $(FUZZ_NAMES:%=$(FUZZ_DIR)/%)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -g -O1 $(FUZZ_SAN) -std=c11 -D_GNU_SOURCE -Icompiler -Iruntime -Icli \
	-Ifuzz -I$(B) $(PKG_CFLAGS) -pthread
FUZZ_LIB_SRCS = $(COMPILER_SRCS) $(RUNTIME_SRCS) $(filter-out cli/main.c,$(CLI_SRCS)) \
	$(GEN_SRCS) fuzz/help_stub.c
FUZZ_OBJS = $(FUZZ_LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB = $(FUZZ_DIR)/libfuzzmeshc.a
FUZZ_MAX_LEN = 65536

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -DMESHC_VERSION='"$(VERSION)"' \
		-MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_io.h $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(PKG_LIBS) -lm

-include $(FUZZ_OBJS:.o=.d)

# One seed file per input, named after its path; only inputs the fuzzer
# may mutate whole (FUZZ_MAX_LEN).
SEED_COPY = while read -r f; do \
	[ "$$(wc -c <"$$f")" -le $(FUZZ_MAX_LEN) ] && cp "$$f" "$$d/$$(echo "$$f" | tr / _)"; \
	done; true

fuzz-seeds: $(MESHC_BIN)
	@rm -rf $(FUZZ_DIR)/seeds
	@d=$(FUZZ_DIR)/seeds/fuzz_yaml; mkdir -p $$d; \
	  find testdata examples -name '*.yaml' -o -name '*.yml' | sort | $(SEED_COPY)
	@d=$(FUZZ_DIR)/seeds/fuzz_compile; mkdir -p $$d; \
	  find testdata/route testdata/routefid testdata/tasks testdata/gw testdata/vs examples \
	    -name '*.yaml' | sort | $(SEED_COPY)
	@d=$(FUZZ_DIR)/seeds/fuzz_blob; mkdir -p $$d; n=0; \
	  for f in $$(find testdata/route testdata/routefid testdata/tasks examples -name '*.yaml' | sort); do \
	    n=$$((n+1)); ./$(MESHC_BIN) compile -o $$d/t$$n.mrt "$$f" >/dev/null 2>&1 || true; \
	  done; ls $$d | grep -q . || { echo "fuzz-seeds: no table compiled" >&2; exit 1; }
	@d=$(FUZZ_DIR)/seeds/fuzz_diff; mkdir -p $$d; prev=; n=0; \
	  for f in $$(find testdata/diff testdata/route examples -name '*.yaml' -size -30k | sort); do \
	    n=$$((n+1)); cp "$$f" $$d/same$$n.yaml; \
	    if [ -n "$$prev" ]; then { cat "$$prev"; printf '\n#---8<---\n'; cat "$$f"; } >$$d/pair$$n.yaml; fi; \
	    prev=$$f; \
	  done
	@d=$(FUZZ_DIR)/seeds/fuzz_config; mkdir -p $$d; \
	  find testdata/config testdata/limits -name '.meshc.yaml' -o -name '*.yaml' -path '*config*' | \
	    sort | $(SEED_COPY)
	@d=$(FUZZ_DIR)/seeds/fuzz_cases; mkdir -p $$d; \
	  grep -rl '^tests:' testdata examples | sort | $(SEED_COPY)
	@for n in $(FUZZ_NAMES); do echo "seeds: $$n $$(ls $(FUZZ_DIR)/seeds/$$n 2>/dev/null | wc -l)"; done

fuzz: $(FUZZ_BINS) fuzz-seeds

# Each target in turn on its corpus (build-fuzz/corpus-NAME) and seeds;
# prints executions per second and the time run (libFuzzer's last stats).
fuzz-run: fuzz
	@for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$n; echo "== $$n"; \
		$(FUZZ_DIR)/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
			-print_final_stats=1 $(FUZZ_DIR)/corpus-$$n $(FUZZ_DIR)/seeds/$$n \
			2>$(FUZZ_DIR)/$$n.log || { tail -40 $(FUZZ_DIR)/$$n.log; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' $(FUZZ_DIR)/$$n.log; \
	done

# The smoke run of the test command: every target for FUZZ_SMOKE_SECONDS
# on its seeds (a fresh corpus each time, so the run is repeatable). clang
# is required (tools/install-deps.sh --test installs it): no silent skip.
fuzz-smoke:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
		echo "fuzz-smoke: $(FUZZ_CC) not found (sh tools/install-deps.sh --test)" >&2; exit 1; }
	@$(MAKE) --no-print-directory fuzz
	@for n in $(FUZZ_NAMES); do \
		rm -rf $(FUZZ_DIR)/smoke-$$n; mkdir -p $(FUZZ_DIR)/smoke-$$n; \
		$(FUZZ_DIR)/$$n -max_total_time=$(FUZZ_SMOKE_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
			-print_final_stats=1 $(FUZZ_DIR)/smoke-$$n $(FUZZ_DIR)/seeds/$$n \
			>$(FUZZ_DIR)/smoke-$$n.log 2>&1 || { \
			echo "fuzz-smoke: $$n FAILED"; tail -40 $(FUZZ_DIR)/smoke-$$n.log; exit 1; }; \
		echo "fuzz-smoke: $$n $$(sed -n 's/^stat::number_of_executed_units: *//p' \
			$(FUZZ_DIR)/smoke-$$n.log) runs, no crash"; \
	done

.PHONY: fuzz fuzz-run fuzz-smoke fuzz-seeds
