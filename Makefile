# netns: build, test, install.  `make V=1` shows the commands.

PKG_CONFIG ?= pkg-config
LUA_PC ?= lua5.4
LUA ?= lua5.4
LUA_VERSION ?= 5.4
BUSTED ?= busted
LUACHECK ?= luacheck
CPPCHECK ?= cppcheck
CLANG_TIDY ?= clang-tidy
LDOC ?= ldoc
CLANG_FORMAT ?= clang-format
LINT_LUA := $(wildcard lua scripts spec bench types)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
LUA_CMODDIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUA_LMODDIR ?= $(PREFIX)/share/lua/$(LUA_VERSION)
# Annotations for lua-language-server (its Lua.workspace.library).
TYPESDIR ?= $(PREFIX)/share/netns/types
DESTDIR ?=

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -fPIC -fvisibility=hidden -pthread
CPPFLAGS += $(shell $(PKG_CONFIG) --cflags $(LUA_PC) libmnl)
MNL_LIBS := $(shell $(PKG_CONFIG) --libs libmnl)
LUA_LIBS := $(shell $(PKG_CONFIG) --libs $(LUA_PC))
# The Lua nslua links, as "5.4": embed.lua compiles the modules for it.
LUA_LINKED := $(shell $(PKG_CONFIG) --modversion $(LUA_PC) | cut -d. -f1,2)

# Line editing in `nslua -i`: readline is loaded when a prompt is first
# shown, by default libreadline.so.8; another is named with
# NSLUA_CPPFLAGS='-DNSLUA_READLINE_LIB=\"libreadline.so.7\"'.
NSLUA_CPPFLAGS ?=

ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-7s %s\n'
endif

CORE_SRC := $(wildcard core/*.c)
BIND_SRC := lua/lnetns.c lua/lproc.c lua/lroute.c lua/lrule.c lua/lmonitor.c lua/lping.c \
	lua/lshape.c lua/lerror.c
LUA_SRC := $(wildcard lua/netns/*.lua)
HEADERS := core/netns.h lua/lnetns.h
OBJ := $(patsubst %.c,build/obj/%.o,$(CORE_SRC) $(BIND_SRC))

# lua/netns/init.lua is "netns", lua/netns/x.lua is "netns.x".
modname = $(patsubst %.init,%,$(subst /,.,$(patsubst lua/%.lua,%,$(1))))

all: build/netns/core.so build/nslua

build/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/netns/core.so: $(OBJ)
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -shared $^ -o $@ $(MNL_LIBS)

build/embed.c: lua/embed.lua $(LUA_SRC)
	@mkdir -p $(dir $@)
	$(say) EMBED $@
	$(Q)$(LUA) lua/embed.lua $(LUA_LINKED) $@ $(foreach f,$(LUA_SRC),$(call modname,$(f))=$(f))

build/obj/nslua.o: lua/nslua.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(NSLUA_CPPFLAGS) $(CFLAGS) -c $< -o $@

build/obj/embed.o: build/embed.c
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/nslua: build/obj/nslua.o build/obj/embed.o $(OBJ)
	$(say) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-E $^ -o $@ $(LUA_LIBS) $(MNL_LIBS) -lm -ldl

# Test-only tools the specs run, never installed: fault_shim.so (LD_PRELOAD:
# counts and fails setns, socket, unshare, mount, sendto... at the k-th call)
# batch_test (thousands of pipelined requests against the kernel) and
# oom_test (listings cut short by memory errors in the binding).
SPEC_TOOLS := build/fault_shim.so build/batch_test build/oom_test

# The suite runs inside a private network and mount namespace: it never
# sees or changes the machine's own network or /run/netns.
# decode_test (fuzz/README.md) first: the decoders against malformed replies.
check: all build/asan/decode_test $(SPEC_TOOLS)
	$(Q)build/asan/decode_test
	$(Q)spec/sandbox $(BUSTED) --lua=build/nslua -o spec/summary.lua spec

# ---- reliability (spec/README.md) ------------------------------------------

build/fault_shim.so: spec/fault_shim.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS) -fvisibility=default -shared $< -o $@ -ldl

build/batch_test: spec/batch_test.c $(patsubst %.c,build/obj/%.o,$(CORE_SRC))
	$(say) LD $@
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $^ -o $@ $(MNL_LIBS)

build/oom_test: spec/oom_test.c $(OBJ)
	$(say) LD $@
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $^ -o $@ $(LUA_LIBS) $(MNL_LIBS) -lm -ldl

# check-asan: the suite with nslua and the core built with ASan and UBSan in
# build/asan; any report, in nslua or in a child it started, fails the run
# (ASan's warnings, such as on the stack switch of a vfork-style start, do not).
# clang when there is one: gcc's UBSan ignores log_path and reports only on stderr.
ASAN_CC ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo $(CC))
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_OBJ := $(patsubst %.c,build/asan/obj/%.o,$(CORE_SRC) $(BIND_SRC))
ASAN_REPORTS := $(CURDIR)/build/asan/reports
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$(ASAN_REPORTS)/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(ASAN_REPORTS)/ubsan

build/asan/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(say) CC-ASAN $<
	$(Q)$(ASAN_CC) $(CPPFLAGS) $(NSLUA_CPPFLAGS) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

build/asan/nslua: build/asan/obj/lua/nslua.o build/asan/obj/build/embed.o $(ASAN_OBJ)
	$(say) LD $@
	$(Q)$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -Wl,-E $^ -o $@ $(LUA_LIBS) $(MNL_LIBS) -lm -ldl

check-asan: all build/asan/nslua build/asan/decode_test $(SPEC_TOOLS)
	$(Q)rm -rf $(ASAN_REPORTS) && mkdir -p $(ASAN_REPORTS)
	$(Q)$(ASAN_ENV) build/asan/decode_test
	$(Q)$(ASAN_ENV) NSLUA=$(CURDIR)/build/asan/nslua NETNS_SANITIZER=asan \
		spec/sandbox $(BUSTED) --lua=build/asan/nslua -o spec/summary.lua spec $(SPEC_ARGS)
	$(Q)if grep -l -e 'ERROR: ' -e 'runtime error' -r $(ASAN_REPORTS); then \
		echo "check-asan: sanitizer reports in $(ASAN_REPORTS)"; exit 1; fi
	@echo "check-asan: no sanitizer reports"

# Truncated, empty and over-long messages and attributes against the decoders.
DECODE_TEST_SRC := fuzz/decode_test.c fuzz/fake_nl.c fuzz/records.c
FAKE_NL_LDFLAGS := -Wl,--wrap=mnl_socket_open2,--wrap=mnl_socket_close,--wrap=mnl_socket_setsockopt \
	-Wl,--wrap=mnl_socket_get_fd \
	-Wl,--wrap=mnl_socket_sendto,--wrap=recvmsg,--wrap=recvmmsg,--wrap=time

build/asan/decode_test: $(patsubst %.c,build/asan/obj/%.o,$(CORE_SRC) $(DECODE_TEST_SRC))
	$(say) LD $@
	$(Q)$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) $^ -o $@ $(FAKE_NL_LDFLAGS) $(MNL_LIBS)

# check-valgrind: the whole suite under memcheck (about 35 minutes on two
# cores), the nslua processes the specs start included (NSLUA); other
# programs run without it.  VALGRIND_SPECS picks specs for a shorter run.
# Any error or definite leak in a log under build/valgrind fails the run;
# valgrind's notes on calls it does not model (the nsfs ioctl
# NS_GET_NSTYPE, pidfd_open) are not errors.
VALGRIND ?= valgrind
VALGRIND_SPECS ?= spec
VALGRIND_LOGS := $(CURDIR)/build/valgrind/logs

# busted runs its --lua as a plain word: valgrind and its options go in a script.
build/valgrind/nslua: build/nslua spec/valgrind.supp
	@mkdir -p $(dir $@)
	$(Q)printf '%s\n' '#!/bin/sh' 'exec $(VALGRIND) -q --leak-check=full --show-leak-kinds=definite \
		--errors-for-leak-kinds=definite --error-exitcode=99 \
		--suppressions=$(CURDIR)/spec/valgrind.supp --log-file=$(VALGRIND_LOGS)/%p \
		$(CURDIR)/build/nslua "$$@"' > $@ && chmod +x $@

check-valgrind: all build/valgrind/nslua $(SPEC_TOOLS)
	$(Q)rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	$(Q)NETNS_SANITIZER=valgrind NSLUA=$(CURDIR)/build/valgrind/nslua spec/sandbox \
		$(BUSTED) --lua=build/valgrind/nslua -o spec/summary.lua $(VALGRIND_SPECS)
	$(Q)if find $(VALGRIND_LOGS) -type f -exec cat {} + | grep -v -e '^--' -e 'unhandled ioctl 0xb703' \
		-e 'could cause spurious' -e 'README_MISSING_SYSCALL' | grep .; then \
		echo "check-valgrind: errors in $(VALGRIND_LOGS)"; exit 1; fi
	@echo "check-valgrind: no memcheck errors, no definite leaks"

# fuzz: libFuzzer targets (clang) for the reply decoders, the engine's acks
# and the text parsers, each run FUZZ_TIME seconds from fuzz/corpus/NAME.
FUZZ_CC ?= clang
FUZZ_TIME ?= 20
FUZZ_TARGETS := link addr route neigh rule ack prefix lladdr names
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -pthread $(ASAN_FLAGS)
FUZZ_OBJ := $(patsubst %.c,build/fuzz/obj/%.o,$(CORE_SRC) fuzz/fake_nl.c fuzz/records.c)

build/fuzz/obj/%.o: %.c $(HEADERS) $(wildcard fuzz/*.h)
	@mkdir -p $(dir $@)
	$(say) CC-FUZZ $<
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: build/fuzz/obj/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(say) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ $(FAKE_NL_LDFLAGS) $(MNL_LIBS)

build/fuzz/capture: fuzz/capture.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(MNL_LIBS)

# Objects are kept between builds (pattern rules would remove them).
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_TARGETS:%=build/fuzz/obj/fuzz/fuzz_%.o)

# The targets run in the sandbox too, though their socket is a fake one.
fuzz: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%) build/asan/decode_test
	$(Q)build/asan/decode_test
	$(Q)for t in $(FUZZ_TARGETS); do mkdir -p build/fuzz/corpus/$$t; \
		echo "  FUZZ    $$t ($(FUZZ_TIME) s)"; \
		spec/sandbox build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=build/fuzz/ build/fuzz/corpus/$$t fuzz/corpus/$$t \
			2>build/fuzz/$$t.log || { tail -40 build/fuzz/$$t.log; exit 1; }; \
		grep -h "stat::number_of_executed_units" build/fuzz/$$t.log; done

# New seeds from a live sandbox: veth, bridge, vxlan, addresses, routes, neighbours.
fuzz-seeds: all build/fuzz/capture
	$(Q)spec/sandbox build/nslua fuzz/capture.lua build/fuzz/capture fuzz/corpus

check-hard: check-asan fuzz check-valgrind

demo: all
	$(Q)spec/sandbox build/nslua scripts/demo.lua

# This project against iproute2, pyroute2, Mininet and a C floor (bench/README.md).
bench: all
	$(Q)bench/run $(BENCH_ARGS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LUA_CMODDIR)/netns $(DESTDIR)$(LUA_LMODDIR)/netns
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(TYPESDIR)
	install -m 755 build/nslua $(DESTDIR)$(BINDIR)/nslua
	install -m 755 build/netns/core.so $(DESTDIR)$(LUA_CMODDIR)/netns/core.so
	install -m 644 $(LUA_SRC) $(DESTDIR)$(LUA_LMODDIR)/netns/
	install -m 644 doc/nslua.1 $(DESTDIR)$(MANDIR)/man1/nslua.1
	install -m 644 types/netns.lua $(DESTDIR)$(TYPESDIR)/netns.lua

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nslua $(DESTDIR)$(LUA_CMODDIR)/netns/core.so
	rm -f $(DESTDIR)$(MANDIR)/man1/nslua.1 $(DESTDIR)$(TYPESDIR)/netns.lua
	rm -f $(addprefix $(DESTDIR)$(LUA_LMODDIR)/netns/,$(notdir $(LUA_SRC)))
	-rmdir $(DESTDIR)$(LUA_CMODDIR)/netns $(DESTDIR)$(LUA_LMODDIR)/netns 2>/dev/null
	-rmdir $(DESTDIR)$(TYPESDIR) $(dir $(DESTDIR)$(TYPESDIR)) 2>/dev/null

# The reference of the Lua API, from its doc comments (doc/config.ld), in
# build/doc: open build/doc/index.html.  Any LDoc warning fails it.
doc:
	$(say) LDOC build/doc
	@mkdir -p build && rm -rf build/doc
	$(Q)$(LDOC) -q -c doc/config.ld --fatalwarnings . >build/ldoc.log 2>&1 || \
		{ cat build/ldoc.log; exit 1; }
	$(Q)! grep -v -e '^reading configuration' -e '^changing to directory' build/ldoc.log

# The reference builds without a warning (doc); Lua, annotations in types/
# included: zero luacheck warnings under .luacheckrc
# (lua-check is installed when missing, as .ci/deps installs the rest); C:
# zero cppcheck and clang-tidy findings (.clang-tidy), each file on its own,
# and the layout of .clang-format.
lint: doc
	$(Q)command -v $(LUACHECK) >/dev/null || { echo "installing: lua-check"; \
		export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends lua-check >/dev/null; }
	$(say) LUACHECK "$(LINT_LUA)"
	$(Q)$(LUACHECK) -q $(LINT_LUA)
	$(say) CPPCHECK "core lua"
	$(Q)$(CPPCHECK) --enable=warning,style,performance,portability --error-exitcode=1 \
		--inline-suppr --suppress=toomanyconfigs -q --std=c11 \
		$(shell $(PKG_CONFIG) --cflags-only-I $(LUA_PC) libmnl) core lua
	$(say) TIDY "core lua"
	$(Q)fail=0; for f in $(wildcard core/*.c lua/*.c); do \
		out=$$($(CLANG_TIDY) --quiet $$f -- -std=gnu11 $(CPPFLAGS) $(NSLUA_CPPFLAGS) 2>&1) || \
		{ printf '%s\n' "$$out" | grep -v ' generated\.$$'; fail=1; }; done; exit $$fail
	$(say) FORMAT "core lua"
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRC)

# C sources laid out as .clang-format says; lua/nslua.c keeps the layout of
# Lua's own lua.c, which it follows.
FORMAT_SRC = $(filter-out lua/nslua.c,$(wildcard core/*.c core/*.h lua/*.c lua/*.h))

format:
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRC)

clean:
	rm -rf build

.PHONY: all check check-asan check-valgrind check-hard fuzz fuzz-seeds demo bench install uninstall doc lint format clean
