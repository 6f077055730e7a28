# netns: build, test, install.  `make V=1` shows the commands.

PKG_CONFIG ?= pkg-config
LUA_PC ?= lua5.4
LUA ?= lua5.4
LUA_VERSION ?= 5.4
BUSTED ?= busted
LUACHECK ?= luacheck
CPPCHECK ?= cppcheck
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
CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -fPIC -fvisibility=hidden
CPPFLAGS += $(shell $(PKG_CONFIG) --cflags $(LUA_PC) libmnl)
MNL_LIBS := $(shell $(PKG_CONFIG) --libs libmnl)
LUA_LIBS := $(shell $(PKG_CONFIG) --libs $(LUA_PC))

# Line editing in `nslua -i`, as Debian's lua5.4 has it, when readline is there.
ifeq ($(shell $(PKG_CONFIG) --exists readline && echo yes),yes)
NSLUA_CPPFLAGS := -DNSLUA_READLINE $(shell $(PKG_CONFIG) --cflags readline)
NSLUA_LIBS := $(shell $(PKG_CONFIG) --libs readline)
endif

ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-7s %s\n'
endif

CORE_SRC := $(wildcard core/*.c)
BIND_SRC := lua/lnetns.c lua/lproc.c lua/lroute.c lua/lping.c lua/lshape.c lua/lerror.c
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
	$(Q)$(LUA) lua/embed.lua $@ $(foreach f,$(LUA_SRC),$(call modname,$(f))=$(f))

build/obj/nslua.o: lua/nslua.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(NSLUA_CPPFLAGS) $(CFLAGS) -c $< -o $@

build/obj/embed.o: build/embed.c
	$(say) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/nslua: build/obj/nslua.o build/obj/embed.o $(OBJ)
	$(say) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-E $^ -o $@ $(LUA_LIBS) $(MNL_LIBS) $(NSLUA_LIBS) -lm -ldl

# The suite runs inside a private network and mount namespace: it never
# sees or changes the machine's own network or /run/netns.
check: all
	$(Q)spec/sandbox $(BUSTED) --lua=build/nslua -o spec/summary.lua spec

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

# Lua, annotations in types/ included: zero luacheck warnings under .luacheckrc
# (lua-check is installed when missing, as .ci/deps installs the rest).
lint:
	$(Q)command -v $(LUACHECK) >/dev/null || { echo "installing: lua-check"; \
		export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends lua-check >/dev/null; }
	$(say) LUACHECK "$(LINT_LUA)"
	$(Q)$(LUACHECK) -q $(LINT_LUA)
	$(say) CPPCHECK "core lua"
	$(Q)$(CPPCHECK) --enable=warning,style,performance,portability --error-exitcode=1 \
		--inline-suppr --suppress=toomanyconfigs -q --std=c11 \
		$(shell $(PKG_CONFIG) --cflags-only-I $(LUA_PC) libmnl) core lua

clean:
	rm -rf build

.PHONY: all check demo bench install uninstall lint clean
