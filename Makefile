# meshc: plain Makefile. User CFLAGS/CPPFLAGS/LDFLAGS are respected;
# project flags live in MESHC_CFLAGS. `make DEV=1` adds -Werror.
#   make                      ./meshc, ./libmeshrt.a, ./libmeshrt.so (optimised)
#                             and the shell completions in build/completions/
#   make install              PREFIX (/usr/local), DESTDIR, LIBDIR (PREFIX/lib),
#                             ...; make uninstall removes exactly those files
#   make deb                  the Debian packages, into build/deb/ (see debian/)
#   make check                build and run every test
#   make check SANITIZE=address,undefined   the same under ASan+UBSan (build-san/)
#   make check-all            both of the above and the fuzz smoke run (every
#                             fuzz/ target briefly; the README's test command)
#   make demo                 build and check the bundled example mesh
#   make bench                the benchmark (not part of the tests)

.DEFAULT_GOAL := all

VERSION   = 0.1.0
SOVERSION = 0

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
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
MESHC_CFLAGS = -std=c11 -D_GNU_SOURCE -DMESHC_VERSION='"$(VERSION)"' $(WARN) \
	-Icompiler -Iruntime -I$(B) $(PKG_CFLAGS)
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

ALL_CFLAGS = $(MESHC_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -pthread
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

# The shared library (optimised build only): libmeshrt.so.VERSION with the
# soname libmeshrt.so.SOVERSION and the two symlinks a build tree and an
# install need. It exports exactly the functions meshrt.h names.
SHLIB_REAL = libmeshrt.so.$(VERSION)
SHLIB_SONAME = libmeshrt.so.$(SOVERSION)
ifeq ($(SANITIZE),)
SHLIB = libmeshrt.so
COMPLETIONS = build/completions/meshc.bash build/completions/_meshc \
	build/completions/meshc.fish
endif

all: $(MESHC_BIN) $(RTLIB) $(SHLIB) $(COMPLETIONS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The runtime depends on libc and PCRE2 only: compile it without the other
# libraries' include paths so an accidental include fails to build.
$(B)/runtime/%.o: runtime/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(if $(filter 1,$(DEV)),-Werror) -Iruntime $(PCRE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -pthread -fPIC -MMD -MP -c -o $@ $<

$(RTLIB): $(RUNTIME_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# The version script: every mrt_ function meshrt.h names is global, the
# rest (internal helpers shared between runtime files) local.
$(B)/meshrt.map: runtime/meshrt.h
	@mkdir -p $(dir $@)
	{ echo 'MESHRT_$(SOVERSION) {'; echo 'global:'; \
	  grep -o 'mrt_[a-z0-9_]*(' $< | tr -d '(' | sort -u | sed 's/.*/  &;/'; \
	  echo 'local: *;'; echo '};'; } > $@

$(SHLIB_REAL): $(RUNTIME_OBJS) $(B)/meshrt.map
	$(CC) -shared -Wl,-soname,$(SHLIB_SONAME) -Wl,--version-script,$(B)/meshrt.map \
		-Wl,--no-undefined $(LDFLAGS) -pthread -o $@ $(RUNTIME_OBJS) $(PCRE_LIBS)

$(SHLIB): $(SHLIB_REAL)
	ln -sf $(SHLIB_REAL) $(SHLIB_SONAME)
	ln -sf $(SHLIB_SONAME) $@

build/completions/meshc.bash: $(MESHC_BIN)
	@mkdir -p $(dir $@)
	./$(MESHC_BIN) completion bash > $@
build/completions/_meshc: $(MESHC_BIN)
	@mkdir -p $(dir $@)
	./$(MESHC_BIN) completion zsh > $@
build/completions/meshc.fish: $(MESHC_BIN)
	@mkdir -p $(dir $@)
	./$(MESHC_BIN) completion fish > $@

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
	$(MAKE) fuzz-smoke

update-golden: all
	MESHC=$(abspath $(MESHC_BIN)) sh tests/golden.sh --update

demo: all
	./$(MESHC_BIN) check examples/bookinfo
	@echo "meshc: examples/bookinfo is clean"
	./$(MESHC_BIN) check examples/shop
	@echo "meshc: examples/shop is clean"

# What make install puts where (under DESTDIR), one list for install and
# uninstall. A man page link per function that man/meshrt.3 documents
# (its NAME section), so `man mrt_route_destination` works.
MAN3_LINKS := $(shell sed -n 's/^\.Nm \(mrt_[a-z0-9_]*\).*/\1/p' man/meshrt.3)
INSTALLED = $(BINDIR)/meshc $(LIBDIR)/$(SHLIB_REAL) $(LIBDIR)/$(SHLIB_SONAME) \
	$(LIBDIR)/libmeshrt.so $(LIBDIR)/libmeshrt.a $(LIBDIR)/pkgconfig/meshrt.pc \
	$(INCLUDEDIR)/meshrt.h $(MANDIR)/man1/meshc.1 $(MANDIR)/man3/meshrt.3 \
	$(MANDIR)/man5/meshrt.5 $(MAN3_LINKS:%=$(MANDIR)/man3/%.3) \
	$(BASHCOMPDIR)/meshc $(ZSHCOMPDIR)/_meshc $(FISHCOMPDIR)/meshc.fish

install: all meshrt.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 meshc $(DESTDIR)$(BINDIR)/meshc
	install -m 644 $(SHLIB_REAL) $(DESTDIR)$(LIBDIR)/$(SHLIB_REAL)
	ln -sf $(SHLIB_REAL) $(DESTDIR)$(LIBDIR)/$(SHLIB_SONAME)
	ln -sf $(SHLIB_SONAME) $(DESTDIR)$(LIBDIR)/libmeshrt.so
	install -m 644 libmeshrt.a $(DESTDIR)$(LIBDIR)/libmeshrt.a
	install -m 644 meshrt.pc $(DESTDIR)$(LIBDIR)/pkgconfig/meshrt.pc
	install -m 644 runtime/meshrt.h $(DESTDIR)$(INCLUDEDIR)/meshrt.h
	install -m 644 man/meshc.1 $(DESTDIR)$(MANDIR)/man1/meshc.1
	install -m 644 man/meshrt.3 $(DESTDIR)$(MANDIR)/man3/meshrt.3
	install -m 644 man/meshrt.5 $(DESTDIR)$(MANDIR)/man5/meshrt.5
	for f in $(MAN3_LINKS); do ln -sf meshrt.3 $(DESTDIR)$(MANDIR)/man3/$$f.3; done
	install -m 644 build/completions/meshc.bash $(DESTDIR)$(BASHCOMPDIR)/meshc
	install -m 644 build/completions/_meshc $(DESTDIR)$(ZSHCOMPDIR)/_meshc
	install -m 644 build/completions/meshc.fish $(DESTDIR)$(FISHCOMPDIR)/meshc.fish

uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)

# ${prefix}-relative paths (works under PKG_CONFIG_SYSROOT_DIR) where LIBDIR
# and INCLUDEDIR are below PREFIX. --libs links the shared library;
# --static --libs adds what the static one needs (PCRE2, pthread).
pc_dir = $(if $(filter $(PREFIX)/%,$(1)),$${prefix}$(patsubst $(PREFIX)%,%,$(1)),$(1))
meshrt.pc: Makefile
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(call pc_dir,$(LIBDIR))' \
		'includedir=$(call pc_dir,$(INCLUDEDIR))' '' \
		'Name: meshrt' 'Description: meshc route-table loader and matcher' \
		'Version: $(VERSION)' 'Requires.private: libpcre2-8' \
		'Libs: -L$${libdir} -lmeshrt' 'Libs.private: -pthread' \
		'Cflags: -I$${includedir}' > $@

# The Debian packages (meshc, libmeshrt0, libmeshrt-dev), built by
# dpkg-buildpackage from a clean copy of the tree (the files git knows,
# tracked or new) in build/deb/, then checked with lintian. Not part of the
# tests (it compiles and tests everything again); DEB_BUILD_OPTIONS=nocheck
# skips the package build's `make check`.
DEB_SRC = build/deb/meshc-$(VERSION)
deb:
	rm -rf build/deb
	mkdir -p $(DEB_SRC)
	git ls-files --cached --others --exclude-standard | \
		while read -r f; do [ -e "$$f" ] && printf '%s\n' "$$f"; done | \
		tar -cf - -T - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --display-info build/deb/meshc_$(VERSION)_*.changes

clean:
	rm -rf build build-san build-fuzz meshc libmeshrt.a libmeshrt.so libmeshrt.so.* \
		meshrt.pc

-include $(wildcard bench/bench.mk)
-include fuzz/fuzz.mk

-include $(shell find $(B) -path build/deb -prune -o -name '*.d' -type f -print 2>/dev/null)

.PHONY: all check check-all tests update-golden demo clean install uninstall deb meshrt.pc
