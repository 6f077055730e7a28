// SPDX-License-Identifier: MIT
/* ns:ping(addr | {addr, ...} [, { count=, timeout= }]): ICMP echo, no ping binary. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <string.h>

#include "lnetns.h"

static void check_target(lua_State *L, int arg, const char *s, struct nns_ping_target *t)
{
	struct nns_prefix p;
	const char *why;

	if (nns_parse_prefix(s, false, &p, &why) < 0 || p.len >= 0)
		luaL_argerror(L, arg, lua_pushfstring(L, "invalid address \"%s\"", s));
	t->family = p.family;
	memcpy(t->addr, p.bytes, 16);
}

static int ns_ping(lua_State *L)
{
	static const char *const known[] = { "count", "timeout", NULL };
	LNs *h = lns_check(L, 1);
	bool many = lua_istable(L, 2);
	struct nns_error e = { 0 };
	struct nns_ping_target *t;
	int count, timeout_ms, i, n = 1;
	bool has_count;

	lns_check_options(L, 3, known);
	count = (int)lns_opt_int(L, 3, "count", 1, 100, &has_count);
	count = has_count ? count : 3;
	timeout_ms = (int)(lns_opt_number(L, 3, "timeout", 0.001, 3600, 2) * 1000);
	if (many)
		n = (int)lua_rawlen(L, 2);
	t = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof(*t), 0);
	memset(t, 0, (size_t)(n ? n : 1) * sizeof(*t));
	for (i = 0; i < n; i++) {
		if (many && lua_rawgeti(L, 2, i + 1) != LUA_TSTRING)
			luaL_argerror(L, 2, "addresses must be strings");
		check_target(L, 2, many ? lns_tocstring(L, -1, 2, NULL) : luaL_checkstring(L, 2),
			     &t[i]);
		if (many)
			lua_pop(L, 1);
	}
	if (n && nns_ping(&h->ns, t, (size_t)n, count, timeout_ms, &e) < 0)
		return lns_fail(L, 1, &e);
	if (!many) {
		lua_pushboolean(L, t[0].replied);
		if (!t[0].replied)
			return 1;
		lua_pushnumber(L, t[0].rtt_us / 1000.0);
		return 2;
	}
	/* address -> round-trip time in ms, or false */
	lua_createtable(L, 0, n);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, 2, i + 1);
		if (t[i].replied)
			lua_pushnumber(L, t[i].rtt_us / 1000.0);
		else
			lua_pushboolean(L, 0);
		lua_rawset(L, -3);
	}
	return 1;
}

const luaL_Reg lns_ping_methods[] = {
	{ "ping", ns_ping },
	{ NULL, NULL },
};
