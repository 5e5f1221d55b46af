# Fuzz builds (clang + libFuzzer + ASan/UBSan) go to build-fuzz/.
#   make fuzz                 build every fuzz/fuzz_*.c target
#   make fuzz-run FUZZ_SECONDS=60   run each for a while on its corpus
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
FUZZ_DIR = build-fuzz
FUZZ_SRCS = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS = $(FUZZ_SRCS:fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRCS = $(COMPILER_SRCS) $(RUNTIME_SRCS)

$(FUZZ_DIR)/%: fuzz/%.c $(FUZZ_LIB_SRCS) $(GEN_SRCS)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -D_GNU_SOURCE -Icompiler -Iruntime -I$(B) $(PKG_CFLAGS) -pthread \
		-o $@ $< $(FUZZ_LIB_SRCS) $(GEN_SRCS) $(PKG_LIBS) -lm

fuzz: $(FUZZ_BINS)

fuzz-run: fuzz
	@for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); mkdir -p $(FUZZ_DIR)/corpus-$$name; \
		seeds=fuzz/seeds/$$name; [ -d $$seeds ] || seeds=; \
		echo "== $$name"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 $(FUZZ_DIR)/corpus-$$name $$seeds || exit 1; \
	done

.PHONY: fuzz fuzz-run
