# meshc: plain Makefile. User CFLAGS/LDFLAGS are respected; project flags
# live in MESHC_CFLAGS. `make DEV=1` adds -Werror.
#   make                      ./meshc and ./libmeshrt.a (optimised)
#   make check                build and run every test
#   make check SANITIZE=address,undefined   the same under ASan+UBSan (build-san/)
#   make check-all            both of the above (the README's test command)
#   make demo                 build and check the bundled example mesh
#   make bench                the benchmark (not part of the tests)

.DEFAULT_GOAL := all

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config

PKGS       = yaml-0.1 libcyaml jansson libpcre2-8
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
PCRE_CFLAGS := $(shell $(PKG_CONFIG) --cflags libpcre2-8 2>/dev/null)
PCRE_LIBS  := $(shell $(PKG_CONFIG) --libs libpcre2-8 2>/dev/null)
JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
MESHC_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Icompiler -Iruntime -I$(B) $(PKG_CFLAGS)
ifeq ($(DEV),1)
MESHC_CFLAGS += -Werror
endif

ifneq ($(SANITIZE),)
B = build-san
SAN_FLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
MESHC_BIN = $(B)/meshc
RTLIB = $(B)/libmeshrt.a
else
B = build
SAN_FLAGS =
MESHC_BIN = meshc
RTLIB = libmeshrt.a
endif

ALL_CFLAGS = $(MESHC_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -pthread
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS) -pthread

CLI_SRCS      = $(sort $(wildcard cli/*.c))
COMPILER_SRCS = $(sort $(wildcard compiler/*.c))
RUNTIME_SRCS  = $(sort $(wildcard runtime/*.c))
TEST_SRCS     = $(sort $(wildcard tests/test_*.c))

# Generated sources (the embedded schemas) register themselves here.
GEN_SRCS =
-include schemas/schemas.mk

CLI_OBJS      = $(CLI_SRCS:%.c=$(B)/%.o)
COMPILER_OBJS = $(COMPILER_SRCS:%.c=$(B)/%.o) $(GEN_SRCS:%.c=%.o)
RUNTIME_OBJS  = $(RUNTIME_SRCS:%.c=$(B)/%.o)
TEST_BINS     = $(TEST_SRCS:%.c=$(B)/%)
LIBMESHC      = $(B)/libmeshc.a

all: $(MESHC_BIN) $(RTLIB)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The runtime depends on libc and PCRE2 only: compile it without the other
# libraries' include paths so an accidental include fails to build.
$(B)/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(if $(filter 1,$(DEV)),-Werror) -Iruntime $(PCRE_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -pthread -fPIC -MMD -MP -c -o $@ $<

$(RTLIB): $(RUNTIME_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBMESHC): $(COMPILER_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(MESHC_BIN): $(CLI_OBJS) $(LIBMESHC) $(RTLIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(LIBMESHC) $(RTLIB) $(PKG_LIBS) -lm

$(B)/tests/%: tests/%.c $(LIBMESHC) $(RTLIB) $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBMESHC) $(RTLIB) $(ALL_LDFLAGS) $(PKG_LIBS) -lm

# Fault injection for the scripted tests (LD_PRELOAD; never sanitised).
$(B)/tests/inject_errors.so: tests/inject_errors.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) $(CFLAGS) -fPIC -shared -o $@ $< -ldl

tests: $(TEST_BINS) $(B)/tests/inject_errors.so

check: all tests
	MESHC=$(abspath $(MESHC_BIN)) TEST_BIN_DIR=$(abspath $(B)/tests) sh tests/run.sh

check-all:
	$(MAKE) check
	$(MAKE) check SANITIZE=address,undefined

update-golden: all
	MESHC=$(abspath $(MESHC_BIN)) sh tests/golden.sh --update

demo: all
	./$(MESHC_BIN) check examples/bookinfo
	@echo "meshc: examples/bookinfo is clean"
	./$(MESHC_BIN) check examples/shop
	@echo "meshc: examples/shop is clean"

install: all meshrt.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 meshc $(DESTDIR)$(PREFIX)/bin/meshc
	install -m 644 libmeshrt.a $(DESTDIR)$(PREFIX)/lib/libmeshrt.a
	install -m 644 runtime/meshrt.h $(DESTDIR)$(PREFIX)/include/meshrt.h
	install -m 644 meshrt.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/meshrt.pc
	for m in man/*.1; do [ -f "$$m" ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/; done; true
	for m in man/*.3; do [ -f "$$m" ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man3/; done; true
	for m in man/*.5; do [ -f "$$m" ] && install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/; done; true

# ${prefix}-relative so it works under PKG_CONFIG_SYSROOT_DIR.
meshrt.pc: Makefile
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
		'Name: meshrt' 'Description: meshc route-table loader and matcher' 'Version: 0.1.0' \
		'Requires.private: libpcre2-8' 'Libs: -L$${libdir} -lmeshrt' 'Libs.private: -pthread' \
		'Cflags: -I$${includedir}' > $@

clean:
	rm -rf build build-san build-fuzz meshc libmeshrt.a libmeshrt.so meshrt.pc

-include $(wildcard bench/bench.mk)
-include fuzz/fuzz.mk

-include $(shell find $(B) -name '*.d' 2>/dev/null)

.PHONY: all check check-all tests update-golden demo clean install meshrt.pc
