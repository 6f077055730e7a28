// SPDX-License-Identifier: MIT
/*
 * Argument checks whose errors point at the user's line.  lauxlib's own
 * point at the caller of the C function, which for `netns` users is the
 * Lua layer; these skip its frames.
 */
#include <stdarg.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

/* The real lauxlib functions are used here, not the redirections. */
#define LNS_NO_REDIRECT
#include "lnetns.h"
#undef luaL_error

/* Whether @source names a file of the Lua layer: ".../netns/NAME.lua". */
int lns_is_layer(const char *source)
{
	const char *dir = NULL, *p = source;
	size_t n;

	if (*source != '@')
		return 0;
	while ((p = strstr(p, "netns/")) != NULL) {
		if (p == source + 1 || p[-1] == '/')
			dir = p;
		p++;
	}
	if (!dir || strchr(dir + 6, '/'))
		return 0;
	n = strlen(dir);
	return n > 10 && !strcmp(dir + n - 4, ".lua");
}

void lns_where(lua_State *L)
{
	lua_Debug ar;
	int level;

	for (level = 1; lua_getstack(L, level, &ar); level++) {
		lua_getinfo(L, "Sl", &ar);
		if (lns_is_layer(ar.source))
			continue;
		if (ar.currentline > 0) {
			lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
			return;
		}
		break;
	}
	lua_pushliteral(L, "");
}

int lns_error(lua_State *L, const char *fmt, ...)
{
	va_list ap;

	lns_where(L);
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lua_concat(L, 2);
	return lua_error(L);
}

int lns_argerror(lua_State *L, int arg, const char *msg)
{
	lua_Debug ar;

	if (!lua_getstack(L, 0, &ar))
		return lns_error(L, "bad argument #%d (%s)", arg, msg);
	lua_getinfo(L, "n", &ar);
	if (ar.namewhat && !strcmp(ar.namewhat, "method")) {
		arg--;
		if (arg == 0)
			return lns_error(L, "calling '%s' on bad self (%s)", ar.name, msg);
	}
	return lns_error(L, "bad argument #%d to '%s' (%s)", arg, ar.name ? ar.name : "?", msg);
}

int lns_typeerror(lua_State *L, int arg, const char *tname)
{
	const char *actual = luaL_typename(L, arg);

	if (luaL_getmetafield(L, arg, "__name") == LUA_TSTRING)
		actual = lua_tostring(L, -1);
	return lns_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", tname, actual));
}

/*
 * A caller that asks for no length (luaL_checkstring) hands the string on
 * as a C string, which a NUL would cut short: "v0\0x" would name v0.
 */
const char *lns_checklstring(lua_State *L, int arg, size_t *len)
{
	size_t n;
	const char *s = lua_tolstring(L, arg, &n);

	if (!s)
		lns_typeerror(L, arg, "string");
	if (!len && strlen(s) != n)
		lns_argerror(L, arg, "string holds a NUL byte");
	if (len)
		*len = n;
	return s;
}

void lns_check_key(lua_State *L, int idx, int arg)
{
	if (lua_type(L, idx) == LUA_TSTRING && strlen(lua_tostring(L, idx)) != lua_rawlen(L, idx))
		lns_argerror(L, arg, "an option's name holds a NUL byte");
}

const char *lns_tocstring(lua_State *L, int idx, int arg, const char *key)
{
	size_t n;
	const char *s = lua_tolstring(L, idx, &n);

	if (s && strlen(s) != n)
		lns_argerror(L, arg,
			     key ? lua_pushfstring(L, "option '%s' holds a NUL byte", key)
				 : "string holds a NUL byte");
	return s;
}

const char *lns_optlstring(lua_State *L, int arg, const char *def, size_t *len)
{
	if (lua_isnoneornil(L, arg)) {
		if (len)
			*len = def ? strlen(def) : 0;
		return def;
	}
	return lns_checklstring(L, arg, len);
}

lua_Integer lns_checkinteger(lua_State *L, int arg)
{
	int isnum;
	lua_Integer n = lua_tointegerx(L, arg, &isnum);

	if (!isnum) {
		if (lua_isnumber(L, arg))
			lns_argerror(L, arg, "number has no integer representation");
		else
			lns_typeerror(L, arg, "number");
	}
	return n;
}

lua_Number lns_checknumber(lua_State *L, int arg)
{
	int isnum;
	lua_Number n = lua_tonumberx(L, arg, &isnum);

	if (!isnum)
		lns_typeerror(L, arg, "number");
	return n;
}

int lns_checkoption(lua_State *L, int arg, const char *def, const char *const list[])
{
	const char *name = def ? lns_optlstring(L, arg, def, NULL) : lns_checklstring(L, arg, NULL);
	int i;

	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], name))
			return i;
	return lns_argerror(L, arg, lua_pushfstring(L, "invalid option '%s'", name));
}

void lns_checktype(lua_State *L, int arg, int t)
{
	if (lua_type(L, arg) != t)
		lns_typeerror(L, arg, lua_typename(L, t));
}

void *lns_checkudata(lua_State *L, int arg, const char *tname)
{
	void *p = luaL_testudata(L, arg, tname);

	if (!p)
		lns_typeerror(L, arg, tname);
	return p;
}

/*
 * What is wrong with value @1, or nil: @check(nil, @1) reads it as a
 * method reads its argument #2, with no namespace to look devices up in,
 * and raises the method's own argument error, whose reason is returned.
 */
int lns_problem(lua_State *L, lua_CFunction check)
{
	static const char head[] = "bad argument #2 to '?' (";
	const char *msg;
	size_t len;

	lua_settop(L, 1);
	lua_pushcfunction(L, check);
	lua_pushnil(L);
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 2, 0, 0) == LUA_OK)
		return 0;
	msg = lua_tolstring(L, -1, &len);
	if (!msg || len < sizeof(head) || strncmp(msg, head, sizeof(head) - 1) != 0 ||
	    msg[len - 1] != ')')
		return lua_error(L); /* not an argument error (out of memory) */
	lua_pushlstring(L, msg + sizeof(head) - 1, len - sizeof(head));
	return 1;
}
