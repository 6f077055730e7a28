// SPDX-License-Identifier: MIT
/*
 * A listing cut short by a memory error loses nothing (spec/leak_spec.lua
 * runs it in the sandbox):
 *
 *   oom_test NAME     NAME: a namespace under /run/netns with a few
 *                     hundred links
 *
 * The Lua binding builds a listing's records while the core reads the dump
 * it collected; a memory error there leaves both by longjmp.  This runs
 * the binding in Lua states of its own, with an allocator that fails past
 * a budget: one lists NAME's links and reads link d1 normally, one lists
 * them three times with too small a budget, reads d1 with budgets growing
 * from nothing (so that memory runs out at every step of making its
 * record), and then does both with enough.  All else closed,
 * the heap must hold the same either way.  It prints "lost N bytes" and
 * exits 1 when it does not, "ok" when it does.
 *
 * Run it with GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0:
 * malloc's caches of freed blocks count as in use, and would blur the sum.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

int luaopen_netns_core(lua_State *L);

struct budget {
	size_t used, limit;
};

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct budget *b = ud;
	void *p;

	if (!ptr)
		osize = 0;
	if (nsize == 0) {
		free(ptr);
		b->used -= osize;
		return NULL;
	}
	if (nsize > osize && b->used - osize + nsize > b->limit)
		return NULL;
	p = realloc(ptr, nsize);
	if (p)
		b->used = b->used - osize + nsize;
	return p;
}

/* limit(bytes): from now on, at most @bytes more; limit(): no limit. */
static int set_limit(lua_State *L)
{
	struct budget *b;

	lua_getallocf(L, (void **)&b);
	b->limit = lua_isnoneornil(L, 1) ? SIZE_MAX : b->used + (size_t)luaL_checkinteger(L, 1);
	return 0;
}

static const char normal[] = "local h = assert(require('netns.core').open(NAME))\n"
			     "assert(#h:links() > 100)\n"
			     "assert(h:link('d1').link == 'd2')\n"
			     "h:close()\n";

static const char cut_short[] = "local h = assert(require('netns.core').open(NAME))\n"
				"for _ = 1, 3 do\n"
				"  limit(16384)\n"
				"  local ok, err = pcall(h.links, h)\n"
				"  limit()\n"
				"  assert(not ok and err == 'not enough memory', tostring(err))\n"
				"end\n"
				"assert(#h:links() > 100)\n"
				"for budget = 0, 20000, 8 do\n"
				"  collectgarbage()  -- no garbage to free in an emergency\n"
				"  limit(budget)\n"
				"  local ok, err = pcall(h.link, h, 'd1')\n"
				"  limit()\n"
				"  assert(ok or err == 'not enough memory', tostring(err))\n"
				"end\n"
				"assert(h:link('d1').link == 'd2')\n"
				"h:close()\n";

/* Runs @chunk in a state of its own, closed after; the heap's use then. */
static size_t run(const char *chunk, const char *name)
{
	struct budget b = { 0, SIZE_MAX };
	lua_State *L = lua_newstate(limited_alloc, &b);
	struct mallinfo2 info;

	luaL_openlibs(L);
	luaL_requiref(L, "netns.core", luaopen_netns_core, 0);
	lua_pushstring(L, name);
	lua_setglobal(L, "NAME");
	lua_register(L, "limit", set_limit);
	if (luaL_dostring(L, chunk) != LUA_OK) {
		fprintf(stderr, "oom_test: %s\n", lua_tostring(L, -1));
		exit(2);
	}
	lua_close(L);
	info = mallinfo2();
	return info.uordblks + info.hblkhd; /* in the heap and mapped apart */
}

int main(int argc, char **argv)
{
	size_t before, after;

	if (argc != 2) {
		fprintf(stderr, "usage: oom_test NAME\n");
		return 2;
	}
	run(normal, argv[1]); /* what a first listing keeps */
	before = run(normal, argv[1]);
	after = run(cut_short, argv[1]);
	if (after > before) {
		printf("lost %zu bytes\n", after - before);
		return 1;
	}
	printf("ok\n");
	return 0;
}
