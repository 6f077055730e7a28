// SPDX-License-Identifier: MIT
/*
 * netns.core: the Lua binding of the C core.  Kernel failures come back as
 * nil, message, errno (like io.open); malformed arguments raise argument
 * errors before anything reaches the kernel.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "lnetns.h"

/* <net/if.h> stops at the flags of the old ioctl interface. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP (1 << 16)
#define IFF_DORMANT (1 << 17)
#define IFF_ECHO (1 << 18)
#endif

#define LUA_CORE_API __attribute__((visibility("default")))

/* ---- handles ------------------------------------------------------------ */

static LNs *to_ns(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, LNS_HANDLE);
}

LNs *lns_check(lua_State *L, int idx)
{
	LNs *h = to_ns(L, idx);

	if (h->ns.fd < 0) {
		char buf[64];

		luaL_error(L, "attempt to use a closed namespace handle (%s)",
			   lns_label(L, idx, buf, sizeof(buf)));
	}
	return h;
}

/* A new handle, closed until the caller fills it; name and path may be NULL. */
static LNs *new_ns(lua_State *L, const char *name, const char *path)
{
	LNs *h = lua_newuserdatauv(L, sizeof(*h), 3);

	h->ns.fd = -1;
	h->names_fd = -1;
	h->names_asked = 0;
	h->ns.nl = NULL;
	h->ns.deferred = NULL;
	h->ns.view = h->ns.view_root = -1; /* a handle that never opened closes no view */
	luaL_setmetatable(L, LNS_HANDLE);
	lua_pushstring(L, name);
	lua_setiuservalue(L, -2, 1);
	lua_pushstring(L, path);
	lua_setiuservalue(L, -2, 2);
	return h;
}

static const char *uservalue(lua_State *L, int idx, int n)
{
	const char *s;

	lua_getiuservalue(L, idx, n);
	s = lua_tostring(L, -1);
	lua_pop(L, 1); /* still referenced by the handle */
	return s;
}

const char *lns_label(lua_State *L, int idx, char *buf, size_t size)
{
	LNs *h = to_ns(L, idx);
	const char *s = uservalue(L, idx, 1);

	if (!s)
		s = uservalue(L, idx, 2);
	if (!s) {
		snprintf(buf, size, "<anonymous %lu>", (unsigned long)h->ns.ino);
		s = buf;
	}
	return s;
}

int lns_fail(lua_State *L, int idx, const struct nns_error *e)
{
	char where[NAME_MAX + 32], msg[1024];
	const char *label = idx ? lns_label(L, idx, where, sizeof(where)) : NULL;

	nns_error_format(e, label, msg, sizeof(msg));
	luaL_pushfail(L);
	lua_pushfstring(L, "netns: %s", msg);
	lua_pushinteger(L, e->code);
	return 3;
}

static void forget_names(lua_State *L, int idx, LNs *h)
{
	if (h->names_fd >= 0) {
		close(h->names_fd);
		h->names_fd = -1;
	}
	lua_pushnil(L);
	lua_setiuservalue(L, idx, 3);
}

static int ns_close(lua_State *L)
{
	LNs *h = to_ns(L, 1);

	forget_names(L, 1, h);
	nns_ns_close(&h->ns); /* idempotent: fd is -1 afterwards */
	return 0;
}

/*
 * h:defer(): link set, address and route changes wait in one batch until
 * h:flush(), which sends them in one go and answers true, or nil, message,
 * errno for the first that failed (the others were still made).
 */
static int ns_defer(lua_State *L)
{
	LNs *h = lns_check(L, 1);

	if (nns_ns_defer(&h->ns) < 0)
		return luaL_error(L, "not enough memory");
	return 0;
}

static int ns_flush(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_error e = { 0 };

	if (nns_ns_flush(&h->ns, &e) < 0)
		return lns_fail(L, 1, &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int ns_tostring(lua_State *L)
{
	LNs *h = to_ns(L, 1);

	if (h->ns.fd < 0) {
		lua_pushliteral(L, "netns (closed)");
	} else {
		char buf[NAME_MAX + 32];

		lua_pushfstring(L, "netns %s", lns_label(L, 1, buf, sizeof(buf)));
	}
	return 1;
}

/* name, path, id (inode), dev */
static int ns_info(lua_State *L)
{
	LNs *h = lns_check(L, 1);

	lua_getiuservalue(L, 1, 1);
	lua_getiuservalue(L, 1, 2);
	lua_pushinteger(L, (lua_Integer)h->ns.ino);
	lua_pushinteger(L, (lua_Integer)h->ns.dev);
	return 4;
}

static int ns_fileno(lua_State *L)
{
	lua_pushinteger(L, lns_check(L, 1)->ns.fd);
	return 1;
}

/* ---- argument checks ---------------------------------------------------- */

static const char *check_ns_name(lua_State *L, int arg)
{
	const char *name = luaL_checkstring(L, arg), *why;

	if (nns_valid_ns_name(name, &why) < 0)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "invalid namespace name \"%s\": %s", name, why));
	return name;
}

static const char *check_ifname(lua_State *L, int arg, const char *name)
{
	const char *why;

	if (nns_valid_ifname(name, &why) < 0)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "invalid interface name \"%s\": %s", name, why));
	return name;
}

void lns_check_options(lua_State *L, int arg, const char *const known[])
{
	int i;

	if (lua_isnoneornil(L, arg))
		return;
	luaL_checktype(L, arg, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		bool ok = false;

		lua_pop(L, 1);
		lns_check_key(L, -1, arg);
		if (lua_type(L, -1) == LUA_TSTRING)
			for (i = 0; known[i] && !ok; i++)
				ok = !strcmp(known[i], lua_tostring(L, -1));
		if (!ok) {
			lua_pushvalue(L, -1);
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "unknown option '%s'",
						      luaL_tolstring(L, -1, NULL)));
		}
	}
}

/* Pushes field @key of the option table at @arg (nil when there is no table). */
static int opt_field(lua_State *L, int arg, const char *key)
{
	if (lua_istable(L, arg))
		return lua_getfield(L, arg, key);
	lua_pushnil(L);
	return LUA_TNIL;
}

static void opt_type_error(lua_State *L, int arg, const char *key, const char *want)
{
	luaL_argerror(L, arg,
		      lua_pushfstring(L, "option '%s' must be %s, got %s", key, want,
				      luaL_typename(L, -1)));
}

static const char *opt_string(lua_State *L, int arg, const char *key)
{
	int t = opt_field(L, arg, key);
	const char *s = NULL;

	if (t == LUA_TSTRING)
		s = lns_tocstring(L, -1, arg, key);
	else if (t != LUA_TNIL)
		opt_type_error(L, arg, key, "a string");
	lua_pop(L, 1); /* the table keeps the string alive */
	return s;
}

static bool opt_bool(lua_State *L, int arg, const char *key, bool *has)
{
	int t = opt_field(L, arg, key);
	bool b = lua_toboolean(L, -1);

	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		opt_type_error(L, arg, key, "a boolean");
	if (has)
		*has = t != LUA_TNIL;
	lua_pop(L, 1);
	return b;
}

lua_Integer lns_opt_int(lua_State *L, int arg, const char *key, lua_Integer lo, lua_Integer hi,
			bool *has)
{
	int t = opt_field(L, arg, key), isnum;
	lua_Integer n = lua_tointegerx(L, -1, &isnum);

	if (t != LUA_TNIL && !isnum)
		opt_type_error(L, arg, key, "an integer");
	if (t != LUA_TNIL && (n < lo || n > hi))
		luaL_argerror(
			L, arg,
			lua_pushfstring(L, "option '%s' out of range (%I to %I)", key, lo, hi));
	if (has)
		*has = t != LUA_TNIL;
	lua_pop(L, 1);
	return n;
}

lua_Number lns_opt_number(lua_State *L, int arg, const char *key, lua_Number lo, lua_Number hi,
			  lua_Number dflt)
{
	int t = opt_field(L, arg, key), isnum;
	lua_Number x = lua_tonumberx(L, -1, &isnum);

	if (t == LUA_TNIL)
		x = dflt;
	else if (!isnum)
		opt_type_error(L, arg, key, "a number");
	else if (!(x >= lo && x <= hi)) { /* NaN too */
		char range[64];

		snprintf(range, sizeof(range), "%g to %g", (double)lo, (double)hi);
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' out of range (%s)", key, range));
	}
	lua_pop(L, 1);
	return x;
}

/* The namespace handle in option @key, or NULL; the option table keeps it alive. */
static struct nns_ns *opt_ns(lua_State *L, int arg, const char *key)
{
	struct nns_ns *ns = NULL;

	if (opt_field(L, arg, key) != LUA_TNIL) {
		LNs *h = luaL_testudata(L, -1, LNS_HANDLE);

		if (!h) {
			opt_type_error(L, arg, key, "a namespace handle");
		} else if (h->ns.fd < 0) {
			char buf[64];

			luaL_argerror(
				L, arg,
				lua_pushfstring(L, "option '%s' is a closed namespace handle (%s)",
						key, lns_label(L, -1, buf, sizeof(buf))));
		}
		ns = &h->ns;
	}
	lua_pop(L, 1);
	return ns;
}

/* The index of string option @key in @names, or @dflt when absent; others raise. */
static int opt_choice(lua_State *L, int arg, const char *key, const char *const names[], int dflt)
{
	int t = opt_field(L, arg, key), i = dflt;

	if (t != LUA_TNIL) {
		const char *s = lns_tocstring(L, -1, arg, key);

		for (i = 0; t == LUA_TSTRING && names[i] && strcmp(names[i], s) != 0; i++)
			;
		if (t != LUA_TSTRING || !names[i])
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "invalid %s \"%s\"", key,
						      luaL_tolstring(L, -1, NULL)));
	}
	lua_pop(L, 1);
	return i;
}

static int opt_lladdr(lua_State *L, int arg, const char *key, uint8_t *buf, size_t size)
{
	const char *s = opt_string(L, arg, key);
	int n;

	if (!s)
		return 0;
	n = nns_parse_lladdr(s, buf, size);
	if (n < 0)
		luaL_argerror(L, arg, lua_pushfstring(L, "invalid link-layer address \"%s\"", s));
	return n;
}

static void check_prefix(lua_State *L, int arg, const char *s, bool need_len, struct nns_prefix *p)
{
	const char *why;

	if (nns_parse_prefix(s, need_len, p, &why) < 0)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "invalid %s \"%s\": %s",
					      need_len ? "CIDR" : "address", s, why));
}

/* ---- namespaces --------------------------------------------------------- */

static int l_add(lua_State *L)
{
	const char *name = check_ns_name(L, 1);
	struct nns_error e = { 0 };
	char path[PATH_MAX];
	LNs *h;

	snprintf(path, sizeof(path), "%s/%s", NNS_RUN_DIR, name);
	h = new_ns(L, name, path);
	if (nns_ns_add(name, &h->ns, &e) < 0)
		return lns_fail(L, 0, &e);
	return 1;
}

static int l_new(lua_State *L)
{
	struct nns_error e = { 0 };
	LNs *h = new_ns(L, NULL, NULL);

	if (nns_ns_new(&h->ns, &e) < 0)
		return lns_fail(L, 0, &e);
	return 1;
}

static int sysctl_order(const void *a, const void *b)
{
	return strcmp(((const struct nns_sysctl *)a)->key, ((const struct nns_sysctl *)b)->key);
}

/*
 * The sysctls of table @arg ({ [key] = value }) in the order of their
 * keys, their count in *@n.  The list and its paths are in a userdata
 * pushed on the stack, the values made strings in a table below it.
 */
static struct nns_sysctl *sysctl_table(lua_State *L, int arg, size_t *n)
{
	struct nns_sysctl *set;
	char *paths;
	size_t i = 0;

	*n = 0;
	lua_newtable(L);
	if (!lua_isnoneornil(L, arg)) {
		luaL_checktype(L, arg, LUA_TTABLE);
		for (lua_pushnil(L); lua_next(L, arg); lua_pop(L, 1))
			++*n;
	}
	set = lua_newuserdatauv(L, *n * (sizeof(*set) + LNS_SYSCTL_PATH_MAX), 0);
	paths = (char *)(set + *n);
	for (lua_pushnil(L); i < *n && lua_next(L, arg); lua_pop(L, 1), i++) {
		char *path = paths + i * LNS_SYSCTL_PATH_MAX;

		set[i].key = lns_sysctl_key(L, -2, arg, path, LNS_SYSCTL_PATH_MAX);
		set[i].path = path;
		set[i].value = lns_sysctl_value(L, -1, arg, set[i].key);
		lua_pushvalue(L, -1);
		lua_rawseti(L, -5, (lua_Integer)i + 1);
	}
	lua_pop(L, 1); /* the last key, or the first nil */
	qsort(set, *n, sizeof(*set), sysctl_order);
	return set;
}

/*
 * new_many(n [, sysctls]): a list of n fresh namespaces, made in
 * parallel, each with sysctls ({ [key] = value }) written by the thread
 * that made it, while still inside; all or nothing.
 */
static int l_new_many(lua_State *L)
{
	lua_Integer i, n = luaL_checkinteger(L, 1);
	struct nns_error e = { 0 };
	struct nns_sysctl *set;
	struct nns_ns **ns;
	size_t nset;

	luaL_argcheck(L, n >= 0 && n <= 1000000, 1, "count out of range");
	set = sysctl_table(L, 2, &nset);
	/* Scratch room the collector frees, should a handle's allocation fail. */
	ns = lua_newuserdatauv(L, (size_t)n * sizeof(struct nns_ns *), 0);
	lua_createtable(L, (int)n, 0);
	for (i = 1; i <= n; i++) {
		ns[i - 1] = &new_ns(L, NULL, NULL)->ns;
		lua_rawseti(L, -2, i);
	}
	if (nns_ns_new_many(ns, (size_t)n, set, nset, &e) < 0)
		return lns_fail(L, 0, &e);
	return 1;
}

static int l_open(lua_State *L)
{
	const char *arg = luaL_checkstring(L, 1), *name = NULL, *path = arg;
	struct nns_error e = { 0 };
	char buf[PATH_MAX];
	LNs *h;

	if (!strchr(arg, '/')) {
		name = check_ns_name(L, 1);
		snprintf(buf, sizeof(buf), "%s/%s", NNS_RUN_DIR, name);
		path = buf;
	}
	h = new_ns(L, name, path);
	if ((name ? nns_ns_open_name(name, &h->ns, &e) : nns_ns_open_path(path, &h->ns, &e)) < 0)
		return lns_fail(L, 0, &e);
	return 1;
}

static int l_pid(lua_State *L)
{
	lua_Integer pid = luaL_checkinteger(L, 1);
	struct nns_error e = { 0 };
	char path[64];
	LNs *h;

	luaL_argcheck(L, pid > 0 && pid <= INT_MAX, 1, "invalid process id");
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	h = new_ns(L, NULL, path);
	if (nns_ns_open_pid((pid_t)pid, &h->ns, &e) < 0)
		return lns_fail(L, 0, &e);
	return 1;
}

static int l_current(lua_State *L)
{
	struct nns_error e = { 0 };
	LNs *h = new_ns(L, NULL, NULL);

	if (nns_ns_current(&h->ns, &e) < 0)
		return lns_fail(L, 0, &e);
	return 1;
}

static int push_strv(lua_State *L, char **v, size_t n)
{
	size_t i;

	lua_createtable(L, (int)n, 0);
	for (i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	nns_strv_free(v, n);
	return 1;
}

static int l_cleanup(lua_State *L)
{
	const char *prefix = luaL_optstring(L, 1, "");
	struct nns_error e = { 0 };
	char **names;
	size_t n;

	if (nns_ns_cleanup(prefix, &names, &n, &e) < 0)
		return lns_fail(L, 0, &e);
	return push_strv(L, names, n);
}

static int l_list(lua_State *L)
{
	struct nns_error e = { 0 };
	char **names;
	size_t n;

	if (nns_ns_list(&names, &n, &e) < 0)
		return lns_fail(L, 0, &e);
	return push_strv(L, names, n);
}

/* isatty(fd): whether descriptor @fd is a terminal (progress is shown only there). */
static int l_isatty(lua_State *L)
{
	lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
	return 1;
}

/* owned(name): whether pin @name is this run's own, and still holds its namespace. */
static int l_owned(lua_State *L)
{
	lua_pushboolean(L, nns_owner_is_self(check_ns_name(L, 1)));
	return 1;
}

/* disown(name): forgets the record of this run as the owner of pin @name. */
static int l_disown(lua_State *L)
{
	nns_owner_clear(check_ns_name(L, 1));
	return 0;
}

/*
 * String @1 of a check made in Lua, which reports what is wrong rather
 * than raise: NULL, with @why set, when it holds a NUL.
 */
static const char *checked_text(lua_State *L, const char **why)
{
	size_t len;
	const char *s = lns_checklstring(L, 1, &len);

	*why = "holds a NUL byte";
	return strlen(s) == len ? s : NULL;
}

/* Address or CIDR @1 as listings write it ("fd00::5" for "fd00:0::5"), or @1 itself. */
static int l_canonical(lua_State *L)
{
	const char *why, *s = checked_text(L, &why);
	struct nns_prefix p;

	if (!s || nns_parse_network(s, &p, &why) < 0) {
		lua_settop(L, 1);
		lua_pushstring(L, why);
		return 2; /* the text as it is, and what is wrong with it */
	} else {
		char buf[NNS_INET_STRLEN];

		lua_pushlstring(L, buf, nns_format_inet(p.family, p.bytes, p.len, buf));
	}
	return 1;
}

/* What is wrong with CIDR @1, or nil: for checks made in Lua. */
static int l_cidr_problem(lua_State *L)
{
	struct nns_prefix p;
	const char *why, *s = checked_text(L, &why);

	if (s && nns_parse_prefix(s, true, &p, &why) == 0)
		return 0;
	lua_pushstring(L, why);
	return 1;
}

/* What @valid finds wrong with name @1, or nil: for checks made in Lua. */
static int name_problem(lua_State *L, int (*valid)(const char *name, const char **why))
{
	const char *why, *s = checked_text(L, &why);

	if (s && valid(s, &why) == 0)
		return 0;
	lua_pushstring(L, why);
	return 1;
}

static int l_ns_name_problem(lua_State *L)
{
	return name_problem(L, nns_valid_ns_name); /* a pin's */
}

static int l_ifname_problem(lua_State *L)
{
	return name_problem(L, nns_valid_ifname);
}

static int l_exists(lua_State *L)
{
	lua_pushboolean(L, nns_ns_exists(check_ns_name(L, 1)));
	return 1;
}

static int unbind_result(lua_State *L, int ret, const struct nns_error *e)
{
	if (ret < 0)
		return lns_fail(L, 0, e);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_delete(lua_State *L)
{
	struct nns_error e = { 0 };

	return unbind_result(L, nns_ns_delete(check_ns_name(L, 1), &e), &e);
}

static int l_unpin(lua_State *L)
{
	struct nns_error e = { 0 };

	return unbind_result(L, nns_ns_unpin(check_ns_name(L, 1), &e), &e);
}

/*
 * ns:pin(name [, own]): binds the namespace at /run/netns/NAME; with @own,
 * also records this process as the pin's owner, in the same call, so that
 * no interruption can fall between the two.
 */
static int ns_pin(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	const char *name = check_ns_name(L, 2);
	struct nns_error e = { 0 };
	const char *pinned = uservalue(L, 1, 1);
	char path[PATH_MAX];

	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TBOOLEAN);

	/* A second pin would be one the handle forgets: unpin and delete miss it. */
	if (pinned) {
		nns_error_set(&e, EBUSY, "netns pin %s", name);
		snprintf(e.ext, sizeof(e.ext), "the namespace is pinned as %s already", pinned);
		return lns_fail(L, 1, &e);
	}
	if (nns_ns_pin(&h->ns, name, lua_toboolean(L, 3), &e) < 0)
		return lns_fail(L, 1, &e);
	snprintf(path, sizeof(path), "%s/%s", NNS_RUN_DIR, name);
	lua_pushstring(L, name);
	lua_setiuservalue(L, 1, 1);
	lua_pushstring(L, path);
	lua_setiuservalue(L, 1, 2);
	lua_pushboolean(L, 1);
	return 1;
}

/*
 * ns:unbind([delete]): removes the handle's pin, unless the name holds
 * another namespace by now.  An unpin that did not fail for another reason
 * than the pin being gone (ENOENT) leaves the handle anonymous; a deleted
 * handle keeps the name, which its messages go on giving.  True when there
 * was no pin.
 */
static int ns_unbind(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	const char *pinned = uservalue(L, 1, 1);
	struct nns_error e = { 0 };
	int ret;

	if (!pinned) {
		lua_pushboolean(L, 1);
		return 1;
	}
	ret = nns_ns_unbind_own(&h->ns, pinned, lua_toboolean(L, 2), &e);
	if (!lua_toboolean(L, 2) && (ret == 0 || ret == -ENOENT)) {
		lua_pushnil(L);
		lua_setiuservalue(L, 1, 1);
		lua_pushnil(L);
		lua_setiuservalue(L, 1, 2);
	}
	if (ret < 0)
		return lns_fail(L, 0, &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int ns_enter_and_call(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_error e = { 0 };
	int saved, status, top;

	luaL_checktype(L, 2, LUA_TFUNCTION);
	if (nns_ns_enter(&h->ns, &saved, &e) < 0) {
		lns_fail(L, 1, &e); /* fail, message, errno */
		lua_pop(L, 1);
		return lua_error(L);
	}
	top = lua_gettop(L);
	status = lua_pcall(L, top - 2, LUA_MULTRET, 0);
	/* Back home before anything else can run, error or not. */
	nns_ns_leave(saved);
	if (status != LUA_OK)
		return lua_error(L);
	return lua_gettop(L) - 1;
}

/*
 * h:failure(what, errno): nil, the message and errno a call failing on
 * @what would return, for a failure the layer above finds itself.
 */
static int ns_failure(lua_State *L)
{
	struct nns_error e = { 0 };

	lns_check(L, 1);
	nns_error_set(&e, (int)luaL_checkinteger(L, 3), "%s", luaL_checkstring(L, 2));
	return lns_fail(L, 1, &e);
}

/*
 * ns:nsid(other [, id]): the id under which @other is known inside ns, or
 * nil when it has none; with @id (or true: any), assigns one first.
 */
static int ns_nsid(lua_State *L)
{
	LNs *h = lns_check(L, 1), *other = lns_check(L, 2);
	struct nns_error e = { 0 };
	int id;

	if (!lua_isnoneornil(L, 3) && !(lua_isboolean(L, 3) && !lua_toboolean(L, 3))) {
		lua_Integer want = lua_isboolean(L, 3) ? -1 : luaL_checkinteger(L, 3);
		char buf[64];

		luaL_argcheck(L, want >= -1 && want <= INT32_MAX, 3, "invalid namespace id");
		if (nns_nsid_set(&h->ns, &other->ns, lns_label(L, 2, buf, sizeof(buf)), (int)want,
				 &e) < 0)
			return lns_fail(L, 1, &e);
	}
	if (nns_nsid_get(&h->ns, &other->ns, &id, &e) < 0)
		return lns_fail(L, 1, &e);
	if (id < 0)
		luaL_pushfail(L);
	else
		lua_pushinteger(L, id);
	return 1;
}

/* ---- listings' buffers --------------------------------------------------- */

/*
 * One buffer is kept in the registry for the next listing: a dump of a
 * thousand links is a megabyte or two, and growing a buffer to that size
 * anew each time cost about as much as parsing it.  A listing takes it out
 * while it runs, so that one run by a finalizer meanwhile makes another.
 */
static const char dump_buffer_key = 0;

static int dump_buffer_gc(lua_State *L)
{
	nns_msgs_free(lua_touserdata(L, 1));
	return 0;
}

int lns_push_dump_buffer(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &dump_buffer_key) == LUA_TUSERDATA) {
		lua_pushnil(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &dump_buffer_key);
	} else {
		struct nns_msgs *m;

		lua_pop(L, 1);
		m = lua_newuserdatauv(L, sizeof(*m), 0);
		memset(m, 0, sizeof(*m));
		if (luaL_newmetatable(L, "netns.dump_buffer")) {
			lua_pushcfunction(L, dump_buffer_gc);
			lua_setfield(L, -2, "__gc");
		}
		lua_setmetatable(L, -2);
	}
	return lua_gettop(L);
}

void lns_lend_dump_buffer(lua_State *L, int idx)
{
	nns_dump_lend(lua_touserdata(L, idx));
}

void lns_keep_dump_buffer(lua_State *L, int idx)
{
	struct nns_msgs *m = lua_touserdata(L, idx);

	nns_dump_lend(NULL); /* a dump that failed early leaves it lent */
	if (m->cap > NNS_DUMP_KEEP)
		nns_msgs_free(m);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &dump_buffer_key) == LUA_TNIL) {
		lua_pushvalue(L, idx);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &dump_buffer_key);
	}
	lua_pop(L, 1);
}

/* ---- records ------------------------------------------------------------ */

/*
 * The strings records are made of: their keys, and the values that come
 * from fixed lists (flag names, states).  Records take them by number
 * from a table made once per state (lua_rawgeti of its array part is a
 * few instructions), where lua_setfield and lua_pushstring make Lua find
 * the string anew on every call (a strcmp in its cache of C strings,
 * which misses often, then a hash and a lookup): a tenth of what a
 * listing of a thousand links cost.
 */
#define ATOMS(X)                                                          \
	/* records' keys, and "inet", "inet6" */                          \
	X(IFINDEX, "ifindex")                                             \
	X(IFNAME, "ifname")                                               \
	X(FLAGS, "flags")                                                 \
	X(MTU, "mtu")                                                     \
	X(QDISC, "qdisc")                                                 \
	X(OPERSTATE, "operstate")                                         \
	X(TXQLEN, "txqlen")                                               \
	X(LINK_TYPE, "link_type")                                         \
	X(ADDRESS, "address")                                             \
	X(BROADCAST, "broadcast")                                         \
	X(PROMISCUITY, "promiscuity")                                     \
	X(MIN_MTU, "min_mtu")                                             \
	X(MAX_MTU, "max_mtu")                                             \
	X(IFALIAS, "ifalias")                                             \
	X(KIND, "kind")                                                   \
	X(MASTER, "master")                                               \
	X(LINK_INDEX, "link_index")                                       \
	X(LINK_NETNSID, "link_netnsid")                                   \
	X(LINK, "link")                                                   \
	X(FAMILY, "family")                                               \
	X(INET, "inet")                                                   \
	X(INET6, "inet6")                                                 \
	X(LOCAL, "local")                                                 \
	X(PREFIXLEN, "prefixlen")                                         \
	X(SCOPE, "scope")                                                 \
	X(LABEL, "label")                                                 \
	X(CIDR, "cidr")                                                   \
	X(METRIC, "metric")                                               \
	X(VALID_LIFE_TIME, "valid_life_time")                             \
	X(PREFERRED_LIFE_TIME, "preferred_life_time")                     \
	X(TEMPORARY, "temporary")                                         \
	X(SECONDARY, "secondary")                                         \
	X(HOME, "home")                                                   \
	X(MNGTMPADDR, "mngtmpaddr")                                       \
	X(OPTIMISTIC, "optimistic")                                       \
	X(DYNAMIC, "dynamic")                                             \
	X(TENTATIVE, "tentative")                                         \
	X(DADFAILED, "dadfailed")                                         \
	X(DEPRECATED, "deprecated")                                       \
	X(NODAD, "nodad")                                                 \
	X(NOPREFIXROUTE, "noprefixroute")                                 \
	X(AUTOJOIN, "autojoin")                                           \
	X(STABLE_PRIVACY, "stable-privacy")                               \
	X(DST, "dst")                                                     \
	X(DEV, "dev")                                                     \
	X(LLADDR, "lladdr")                                               \
	X(ROUTER, "router")                                               \
	X(PROXY, "proxy")                                                 \
	X(STATE, "state")                                                 \
	/* ATOM_F_*: the words ip writes in capitals, flags and states */ \
	X(F_NO_CARRIER, "NO-CARRIER")                                     \
	X(F_M_DOWN, "M-DOWN")                                             \
	X(F_LOOPBACK, "LOOPBACK")                                         \
	X(F_BROADCAST, "BROADCAST")                                       \
	X(F_POINTOPOINT, "POINTOPOINT")                                   \
	X(F_MULTICAST, "MULTICAST")                                       \
	X(F_NOARP, "NOARP")                                               \
	X(F_ALLMULTI, "ALLMULTI")                                         \
	X(F_PROMISC, "PROMISC")                                           \
	X(F_NOTRAILERS, "NOTRAILERS")                                     \
	X(F_DEBUG, "DEBUG")                                               \
	X(F_DYNAMIC, "DYNAMIC")                                           \
	X(F_AUTOMEDIA, "AUTOMEDIA")                                       \
	X(F_PORTSEL, "PORTSEL")                                           \
	X(F_SLAVE, "SLAVE")                                               \
	X(F_MASTER, "MASTER")                                             \
	X(F_UP, "UP")                                                     \
	X(F_LOWER_UP, "LOWER_UP")                                         \
	X(F_DORMANT, "DORMANT")                                           \
	X(F_ECHO, "ECHO")                                                 \
	X(F_UNKNOWN, "UNKNOWN")                                           \
	X(F_NOTPRESENT, "NOTPRESENT")                                     \
	X(F_DOWN, "DOWN")                                                 \
	X(F_LOWERLAYERDOWN, "LOWERLAYERDOWN")                             \
	X(F_TESTING, "TESTING")

#define ATOM_ENUM(id, text) ATOM_##id,
#define ATOM_TEXT(id, text) text,

enum atom { ATOM_NONE, ATOMS(ATOM_ENUM) ATOM_COUNT };

static const char *const atom_text[] = { NULL, ATOMS(ATOM_TEXT) };

static const char atoms_key = 0;

/* Pushes the table of atoms and returns its index. */
static int push_atoms(lua_State *L)
{
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &atoms_key) != LUA_TTABLE) {
		int i;

		lua_pop(L, 1);
		lua_createtable(L, ATOM_COUNT - 1, 0);
		for (i = 1; i < ATOM_COUNT; i++) {
			lua_pushstring(L, atom_text[i]);
			lua_rawseti(L, -2, i);
		}
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &atoms_key);
	}
	return lua_gettop(L);
}

static void push_atom(lua_State *L, int atoms, enum atom a)
{
	lua_rawgeti(L, atoms, a);
}

/* Field @key of the record on top: a copy of @value, a string made anew. */
static void set_str(lua_State *L, int atoms, enum atom key, const char *value)
{
	if (value) {
		push_atom(L, atoms, key);
		lua_pushstring(L, value);
		lua_rawset(L, -3);
	}
}

/* Field @key of the record on top: atom @value. */
static void set_atom(lua_State *L, int atoms, enum atom key, enum atom value)
{
	push_atom(L, atoms, key);
	push_atom(L, atoms, value);
	lua_rawset(L, -3);
}

static void set_int(lua_State *L, int atoms, enum atom key, lua_Integer value)
{
	push_atom(L, atoms, key);
	lua_pushinteger(L, value);
	lua_rawset(L, -3);
}

static void set_true(lua_State *L, int atoms, enum atom key, bool cond)
{
	if (cond) {
		push_atom(L, atoms, key);
		lua_pushboolean(L, 1);
		lua_rawset(L, -3);
	}
}

/* Field @key of the record on top: the value on top of it, which it pops. */
static void set_top(lua_State *L, int atoms, enum atom key)
{
	push_atom(L, atoms, key);
	lua_insert(L, -2);
	lua_rawset(L, -3);
}

/* Pushes field @key of the record at @rec; returns its type. */
static int get_field(lua_State *L, int atoms, int rec, enum atom key)
{
	rec = lua_absindex(L, rec);
	push_atom(L, atoms, key);
	return lua_rawget(L, rec);
}

static void set_lladdr(lua_State *L, int atoms, enum atom key, const uint8_t *a, size_t len)
{
	if (a && len && len <= 32) {
		char buf[3 * 32];

		nns_format_lladdr(a, len, buf);
		set_str(L, atoms, key, buf);
	}
}

static void set_inet(lua_State *L, int atoms, enum atom key, int family, const void *a, int plen)
{
	if (a) {
		char buf[NNS_INET_STRLEN];
		size_t n = nns_format_inet(family, a, plen, buf);

		push_atom(L, atoms, key);
		lua_pushlstring(L, buf, n);
		lua_rawset(L, -3);
	}
}

/* ---- links -------------------------------------------------------------- */

/* IF_OPER_* in order, as nns_operstate_name names them. */
static enum atom operstate_atom(uint8_t state)
{
	static const enum atom names[] = {
		ATOM_F_UNKNOWN, ATOM_F_NOTPRESENT, ATOM_F_DOWN, ATOM_F_LOWERLAYERDOWN,
		ATOM_F_TESTING, ATOM_F_DORMANT,	   ATOM_F_UP,
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : ATOM_F_UNKNOWN;
}

static void push_link_flags(lua_State *L, int atoms, unsigned flags)
{
	static const struct {
		unsigned bit;
		enum atom name;
	} names[] = {
		{ IFF_LOOPBACK, ATOM_F_LOOPBACK },
		{ IFF_BROADCAST, ATOM_F_BROADCAST },
		{ IFF_POINTOPOINT, ATOM_F_POINTOPOINT },
		{ IFF_MULTICAST, ATOM_F_MULTICAST },
		{ IFF_NOARP, ATOM_F_NOARP },
		{ IFF_ALLMULTI, ATOM_F_ALLMULTI },
		{ IFF_PROMISC, ATOM_F_PROMISC },
		{ IFF_NOTRAILERS, ATOM_F_NOTRAILERS },
		{ IFF_DEBUG, ATOM_F_DEBUG },
		{ IFF_DYNAMIC, ATOM_F_DYNAMIC },
		{ IFF_AUTOMEDIA, ATOM_F_AUTOMEDIA },
		{ IFF_PORTSEL, ATOM_F_PORTSEL },
		{ IFF_SLAVE, ATOM_F_SLAVE },
		{ IFF_MASTER, ATOM_F_MASTER },
		{ IFF_UP, ATOM_F_UP },
		{ IFF_LOWER_UP, ATOM_F_LOWER_UP },
		{ IFF_DORMANT, ATOM_F_DORMANT },
		{ IFF_ECHO, ATOM_F_ECHO },
	};
	bool no_carrier = (flags & IFF_UP) && !(flags & IFF_RUNNING);
	lua_Integer n = 0;
	size_t i;

	/* sized for what it holds (and an M-DOWN that may follow): no regrowth */
	lua_createtable(L, __builtin_popcount(flags & ~IFF_RUNNING) + no_carrier + 1, 0);
	/* iproute2's order: NO-CARRIER first, then the flags, RUNNING never. */
	if (no_carrier) {
		push_atom(L, atoms, ATOM_F_NO_CARRIER);
		lua_rawseti(L, -2, ++n);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit) {
			push_atom(L, atoms, names[i].name);
			lua_rawseti(L, -2, ++n);
		}
}

/*
 * The fields of @l's record: a table made for exactly that many is never
 * regrown, and takes half the memory of one sized for the most a record
 * may have (the hash part is a power of two).
 */
static int link_field_count(const struct nns_link *l)
{
	/* ifindex, flags, mtu, operstate, txqlen, link_type, promiscuity, min_mtu, max_mtu */
	int n = 9;

	n += !!l->ifname + !!l->qdisc + !!l->alias + !!l->kind + !!l->master;
	n += l->address && l->addrlen && l->addrlen <= 32;
	n += l->broadcast && l->brdlen && l->brdlen <= 32;
	if (l->link)
		n += l->has_link_netnsid ? 2 : 1;
	return n;
}

/* A link record with ip -j -d names; "master"/"link" hold indexes until resolved. */
void lns_push_link(lua_State *L, const struct nns_link *l)
{
	int atoms = push_atoms(L);

	lua_createtable(L, 0, link_field_count(l));
	set_int(L, atoms, ATOM_IFINDEX, l->ifindex);
	set_str(L, atoms, ATOM_IFNAME, l->ifname);
	push_link_flags(L, atoms, l->flags);
	set_top(L, atoms, ATOM_FLAGS);
	set_int(L, atoms, ATOM_MTU, l->mtu);
	set_str(L, atoms, ATOM_QDISC, l->qdisc);
	set_atom(L, atoms, ATOM_OPERSTATE, operstate_atom(l->operstate));
	set_int(L, atoms, ATOM_TXQLEN, l->txqlen);
	set_str(L, atoms, ATOM_LINK_TYPE, nns_link_type_name(l->type));
	set_lladdr(L, atoms, ATOM_ADDRESS, l->address, l->addrlen);
	set_lladdr(L, atoms, ATOM_BROADCAST, l->broadcast, l->brdlen);
	set_int(L, atoms, ATOM_PROMISCUITY, l->promiscuity);
	set_int(L, atoms, ATOM_MIN_MTU, l->min_mtu);
	set_int(L, atoms, ATOM_MAX_MTU, l->max_mtu);
	set_str(L, atoms, ATOM_IFALIAS, l->alias);
	set_str(L, atoms, ATOM_KIND, l->kind);
	if (l->master)
		set_int(L, atoms, ATOM_MASTER, l->master);
	if (l->link && l->has_link_netnsid) {
		set_int(L, atoms, ATOM_LINK_INDEX, l->link);
		set_int(L, atoms, ATOM_LINK_NETNSID, l->link_netnsid);
	} else if (l->link) {
		set_int(L, atoms, ATOM_LINK, l->link);
	}
	lua_remove(L, atoms);
}

/*
 * Replaces ifindex field @key of the record on top by its name in table
 * @names.  An index with no name there stays: under @unknown_key when one
 * is given (a veth's peer in another namespace is "link_index" in ip -j),
 * else under @key.
 */
static void name_index(lua_State *L, int atoms, int names, enum atom key, enum atom unknown_key)
{
	if (get_field(L, atoms, -1, key) != LUA_TNUMBER) {
		lua_pop(L, 1);
		return;
	}
	if (lua_geti(L, names, lua_tointeger(L, -1)) == LUA_TSTRING) {
		lua_remove(L, -2);
		set_top(L, atoms, key);
		return;
	}
	lua_pop(L, 1);
	if (unknown_key) {
		set_top(L, atoms, unknown_key);
		push_atom(L, atoms, key);
		lua_pushnil(L);
		lua_rawset(L, -3);
	} else {
		lua_pop(L, 1);
	}
}

static void name_link_indexes(lua_State *L, int atoms, int names)
{
	name_index(L, atoms, names, ATOM_MASTER, ATOM_NONE);
	name_index(L, atoms, names, ATOM_LINK, ATOM_LINK_INDEX);
}

void lns_name_link_indexes(lua_State *L, int names)
{
	int atoms;

	names = lua_absindex(L, names);
	push_atoms(L);
	lua_insert(L, -2); /* the record stays on top */
	atoms = lua_gettop(L) - 1;
	name_link_indexes(L, atoms, names);
	lua_remove(L, atoms);
}

struct link_acc {
	lua_State *L;
	lua_Integer n;
};

static int collect_link(const struct nns_link *l, void *data)
{
	struct link_acc *acc = data;
	lua_State *L = acc->L;

	lns_push_link(L, l);
	lua_rawseti(L, -4, ++acc->n);
	lua_pushstring(L, l->ifname);
	lua_rawseti(L, -3, l->ifindex);
	lua_pushboolean(L, !(l->flags & IFF_UP));
	lua_rawseti(L, -2, l->ifindex);
	return 0;
}

/*
 * iproute2 ends the flags with "M-DOWN" when the link a device sits on,
 * in the same namespace (a veth's peer, a macvlan's lower device), is down.
 */
static void mark_lower_down(lua_State *L, int atoms, bool down)
{
	if (down) {
		get_field(L, atoms, -1, ATOM_FLAGS);
		push_atom(L, atoms, ATOM_F_M_DOWN);
		lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
		lua_pop(L, 1);
	}
}

static int ns_links(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct link_acc acc = { L, 0 };
	struct nns_error e = { 0 };
	int buffer = lns_push_dump_buffer(L), list, atoms, ret;
	lua_Integer i;

	lua_newtable(L); /* records */
	lua_newtable(L); /* ifindex -> name */
	lua_newtable(L); /* ifindex -> whether it is down */
	lns_lend_dump_buffer(L, buffer);
	ret = nns_link_dump(&h->ns, collect_link, &acc, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	list = lua_gettop(L) - 2;
	atoms = push_atoms(L);
	for (i = 1; i <= acc.n; i++) {
		bool down;

		lua_rawgeti(L, list, i);
		if (get_field(L, atoms, -1, ATOM_LINK) == LUA_TNUMBER)
			lua_rawget(L, list + 2); /* whether that link is down */
		down = lua_toboolean(L, -1);
		lua_pop(L, 1);
		mark_lower_down(L, atoms, down);
		name_link_indexes(L, atoms, list + 1);
		lua_pop(L, 1);
	}
	lua_pop(L, 3);
	return 1;
}

static void LNS_RAISES bad_dev_type(lua_State *L, int arg, const char *key)
{
	if (key)
		opt_type_error(L, arg, key, "a string, an integer or a link record");
	luaL_typeerror(L, arg, "string, integer or link record");
}

/*
 * The ifindex of the link record at @idx, for argument @arg or its option
 * @key.  A record says which namespace it is of ("ns", the namespace
 * object, which holds the handle as "_h"): one of another is refused, its
 * index would name some other device here, and so is a table that does
 * not say (an address record has an ifindex and an ifname too).
 */
static int record_ifindex(lua_State *L, LNs *h, int idx, int arg, const char *key)
{
	int top = lua_gettop(L);
	const char *name = NULL;
	LNs *owner = NULL;
	lua_Integer n;

	idx = lua_absindex(L, idx);
	lua_getfield(L, idx, "ifindex");
	if (lua_getfield(L, idx, "ifname") == LUA_TSTRING)
		name = lua_tostring(L, -1);
	if (lua_getfield(L, idx, "ns") == LUA_TTABLE && lua_getfield(L, -1, "_h") == LUA_TUSERDATA)
		owner = luaL_testudata(L, -1, LNS_HANDLE);
	if (!lua_isinteger(L, top + 1) || !name || !owner) {
		lua_settop(L, top); /* the table on top, for its type name */
		bad_dev_type(L, arg, key);
	}
	n = lua_tointeger(L, top + 1);
	if (h && (owner->ns.dev != h->ns.dev || owner->ns.ino != h->ns.ino)) {
		char buf[64];
		const char *there = lns_label(L, -1, buf, sizeof(buf));

		luaL_argerror(
			L, arg,
			key ? lua_pushfstring(L, "option '%s': link %s is in %s", key, name, there)
			    : lua_pushfstring(L, "link %s is in %s", name, there));
	}
	lua_settop(L, top);
	if (n <= 0 || n > INT_MAX)
		luaL_argerror(L, arg,
			      key ? lua_pushfstring(L, "option '%s': invalid interface index", key)
				  : "invalid interface index");
	return (int)n;
}

int lns_resolve_dev(lua_State *L, LNs *h, int idx, int arg, const char *key, const char *op,
		    int *ifindex, struct nns_error *e)
{
	const char *name = NULL;
	int ret;

	if (lua_type(L, idx) == LUA_TTABLE) {
		*ifindex = record_ifindex(L, h, idx, arg, key);
		return 0;
	}
	if (lua_type(L, idx) == LUA_TNUMBER) {
		int isnum;
		lua_Integer n = lua_tointegerx(L, idx, &isnum); /* 2.0 is 2, as elsewhere */

		if (!isnum || n <= 0 || n > INT_MAX)
			luaL_argerror(L, arg,
				      key ? lua_pushfstring(
						    L, "option '%s': invalid interface index", key)
					  : "invalid interface index");
		*ifindex = (int)n;
		return 0;
	}
	if (lua_type(L, idx) != LUA_TSTRING)
		bad_dev_type(L, arg, key);
	name = check_ifname(L, arg, lns_tocstring(L, idx, arg, key));
	*ifindex = 0;
	if (!h) /* only checked (link_problem): no namespace to look in */
		return 0;
	ret = nns_ifindex(&h->ns, name);
	if (ret > 0) {
		*ifindex = ret;
		return 0;
	}
	/* An option's device is named with the option: "link set master br9". */
	if (key)
		nns_error_set(e, -ret, "%s %s %s", op, key, name);
	else
		nns_error_set(e, -ret, "%s %s", op, name);
	return ret < 0 ? ret : -ENODEV;
}

static int resolve_dev(lua_State *L, LNs *h, int arg, const char *op, int *ifindex,
		       struct nns_error *e)
{
	return lns_resolve_dev(L, h, arg, arg, NULL, op, ifindex, e);
}

/*
 * Pushes the name of @ifindex, or the index itself when it cannot be found.
 * The name is asked with an ioctl, which the kernel answers without the
 * rtnl lock: a request for the whole link may wait there behind the
 * kernel's own work (IPv6 address checks on a busy bridge).
 */
static void push_ifname(lua_State *L, LNs *h, int ifindex)
{
	char name[IF_NAMESIZE];

	if (nns_ifname(&h->ns, ifindex, name) == 0)
		lua_pushstring(L, name);
	else
		lua_pushinteger(L, ifindex);
}

/*
 * push_ifname for the link a device sits on; @down tells whether it is
 * down.  The reply is freed before anything is pushed: a memory error
 * would leave by longjmp.
 */
static void push_lower(lua_State *L, LNs *h, int ifindex, bool *down)
{
	struct nns_msgs msg = { 0 };
	struct nns_link l;
	char name[IF_NAMESIZE] = "";

	*down = false;
	if (nns_link_get(&h->ns, NULL, ifindex, &msg, &l, NULL) == 0 && l.ifname) {
		snprintf(name, sizeof(name), "%s", l.ifname);
		*down = !(l.flags & IFF_UP);
	}
	nns_msgs_free(&msg);
	if (*name)
		lua_pushstring(L, name);
	else
		lua_pushinteger(L, ifindex);
}

/* ns:link(name_or_index): the record, or nil when there is no such link. */
static int ns_link(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_error e = { 0 };
	struct nns_msgs *msg;
	struct nns_link l;
	const char *name = NULL;
	int ifindex = 0, atoms, buffer, ret;

	if (lua_type(L, 2) == LUA_TTABLE) {
		ifindex = record_ifindex(L, h, 2, 2, NULL); /* the same link, read anew */
	} else if (lua_type(L, 2) == LUA_TNUMBER) {
		lua_Integer n = luaL_checkinteger(L, 2);

		luaL_argcheck(L, n > 0 && n <= INT_MAX, 2, "invalid interface index");
		ifindex = (int)n;
	} else {
		name = check_ifname(L, 2, luaL_checkstring(L, 2));
	}
	atoms = push_atoms(L);
	/* the reply goes in a buffer the state owns: making the record may raise */
	buffer = lns_push_dump_buffer(L);
	msg = lua_touserdata(L, buffer);
	ret = nns_link_get(&h->ns, name, ifindex, msg, &l, &e);
	if (ret == 0)
		lns_push_link(L, &l); /* l points into the reply, kept until then */
	lns_keep_dump_buffer(L, buffer);
	if (ret == -ENODEV || (ret < 0 && !name && e.code == ENODEV)) {
		luaL_pushfail(L);
		return 1;
	}
	if (ret < 0)
		return lns_fail(L, 1, &e);
	if (l.master) {
		push_ifname(L, h, l.master);
		set_top(L, atoms, ATOM_MASTER);
	}
	if (l.link && !l.has_link_netnsid) {
		bool down;

		push_lower(L, h, l.link, &down);
		set_top(L, atoms, lua_type(L, -1) == LUA_TSTRING ? ATOM_LINK : ATOM_LINK_INDEX);
		mark_lower_down(L, atoms, down);
	}
	return 1;
}

/*
 * operstate(name): the operational state of the link @name ("UP", "DOWN",
 * ...), or fail when there is none: one look without the record's cost,
 * for netns.build, which waits for every end of its links to be up.
 */
static int ns_operstate(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	const char *name = check_ifname(L, 2, luaL_checkstring(L, 2));
	int buffer = lns_push_dump_buffer(L), ret;
	struct nns_error e = { 0 };
	struct nns_link l;

	ret = nns_link_get(&h->ns, name, 0, lua_touserdata(L, buffer), &l, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret == -ENODEV) {
		luaL_pushfail(L);
		return 1;
	}
	if (ret < 0)
		return lns_fail(L, 1, &e);
	lua_pushstring(L, nns_operstate_name(l.operstate));
	return 1;
}

static const char *const link_add_options[] = {
	"name", "kind",	 "mtu",	    "txqlen",	    "address", "master", "up",
	"ns",	"peer",	 "peer_ns", "peer_address", "link",    "mode",	 "id",
	"port", "group", "remote",  "local",	    "ttl",     NULL,
};

/* Options that only some kinds take: any other kind refuses them, as ip does. */
static void check_kind_options(lua_State *L, int arg, const char *kind)
{
	static const struct {
		const char *option;
		const char *kinds[3];
	} only[] = {
		{ "peer", { "veth" } },		{ "peer_ns", { "veth" } },
		{ "peer_address", { "veth" } }, { "mode", { "macvlan", "macvtap" } },
		{ "id", { "vxlan", "vlan" } },	{ "port", { "vxlan" } },
		{ "group", { "vxlan" } },	{ "remote", { "vxlan" } },
		{ "local", { "vxlan" } },	{ "ttl", { "vxlan" } },
	};
	size_t i, k;

	for (i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		bool given = opt_field(L, arg, only[i].option) != LUA_TNIL;

		lua_pop(L, 1);
		for (k = 0; given && k < 3 && only[i].kinds[k]; k++)
			if (!strcmp(kind, only[i].kinds[k]))
				given = false;
		if (given)
			luaL_argerror(L, arg,
				      lua_pushfstring(L,
						      "option '%s' does not apply to kind \"%s\"",
						      only[i].option, kind));
	}
}

/* String option @key holding one address (no prefix length), or NULL. */
static const char *opt_address(lua_State *L, int arg, const char *key)
{
	const char *s = opt_string(L, arg, key);
	struct nns_prefix p;

	if (s) {
		check_prefix(L, arg, s, false, &p);
		if (p.len >= 0)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "invalid %s \"%s\": not a single address",
						      key, s));
	}
	return s;
}

/* The kind's own settings: a vxlan's or a vlan's id, a macvlan's mode, a vxlan's ends. */
static void kind_settings(lua_State *L, int arg, struct nns_link_spec *s)
{
	static const char *const modes[] = {
		"private", "vepa", "bridge", "passthru", "source", NULL
	};
	const char *remote;

	if (opt_field(L, arg, "mode") != LUA_TNIL)
		s->mode = modes[opt_choice(L, arg, "mode", modes, 0)];
	lua_pop(L, 1);
	s->vni = (uint32_t)lns_opt_int(L, arg, "id", 0, !strcmp(s->kind, "vlan") ? 4094 : 0xffffff,
				       &s->has_vni);
	if (!s->has_vni && (!strcmp(s->kind, "vxlan") || !strcmp(s->kind, "vlan")))
		luaL_argerror(L, arg, lua_pushfstring(L, "kind \"%s\" needs option 'id'", s->kind));
	s->port = (uint16_t)lns_opt_int(L, arg, "port", 0, 65535, NULL);
	s->ttl = (uint8_t)lns_opt_int(L, arg, "ttl", 0, 255, NULL);
	s->group = opt_address(L, arg, "group");
	remote = opt_address(L, arg, "remote");
	if (s->group && remote)
		luaL_argerror(L, arg, "options 'group' and 'remote' exclude each other");
	if (!s->group)
		s->group = remote; /* the kernel takes either as the group */
	s->local = opt_address(L, arg, "local");
}

/* Fills a spec from the option table at @arg; pushes nothing it keeps. */
static int link_spec(lua_State *L, LNs *h, int arg, struct nns_link_spec *s, uint8_t addr[2][32],
		     struct nns_error *e)
{
	char op[64];
	int ret;

	lns_check_options(L, arg, link_add_options);
	s->name = opt_string(L, arg, "name");
	s->kind = opt_string(L, arg, "kind");
	if (!s->kind)
		luaL_argerror(L, arg, "option 'kind' is required");
	if (s->name)
		check_ifname(L, arg, s->name);
	s->peer_name = opt_string(L, arg, "peer");
	if (s->peer_name)
		check_ifname(L, arg, s->peer_name);
	check_kind_options(L, arg, s->kind);
	s->mtu = (uint32_t)lns_opt_int(L, arg, "mtu", 68, UINT32_MAX, NULL);
	s->txqlen = (uint32_t)lns_opt_int(L, arg, "txqlen", 0, UINT32_MAX, &s->has_txqlen);
	s->up = opt_bool(L, arg, "up", NULL);
	/* its ends would have names only the kernel knows, the peer's to find to bring it up */
	luaL_argcheck(L, !s->up || s->name || strcmp(s->kind, "veth") != 0, arg,
		      "option 'up' on a veth needs option 'name'");
	s->addrlen = (size_t)opt_lladdr(L, arg, "address", addr[0], 32);
	s->address = s->addrlen ? addr[0] : NULL;
	s->peer_addrlen = (size_t)opt_lladdr(L, arg, "peer_address", addr[1], 32);
	s->peer_address = s->peer_addrlen ? addr[1] : NULL;
	s->peer_ns = opt_ns(L, arg, "peer_ns");
	s->ns = opt_ns(L, arg, "ns");
	kind_settings(L, arg, s);
	snprintf(op, sizeof(op), "link add %s", s->name ? s->name : s->kind);
	ret = 0;
	if (opt_field(L, arg, "master") != LUA_TNIL) {
		/* a master is looked up here, but the kernel would take it there */
		if (s->ns)
			luaL_argerror(L, arg, "options 'master' and 'ns' exclude each other");
		ret = lns_resolve_dev(L, h, lua_gettop(L), arg, "master", op, &s->master, e);
	}
	lua_pop(L, 1);
	if (ret == 0 && opt_field(L, arg, "link") != LUA_TNIL)
		ret = lns_resolve_dev(L, h, lua_gettop(L), arg, "link", op, &s->link, e);
	lua_pop(L, 1);
	return ret;
}

static int ns_link_add(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_link_spec s = { 0 };
	struct nns_error e = { 0 };
	uint8_t addr[2][32];

	luaL_checktype(L, 2, LUA_TTABLE);
	if (link_spec(L, h, 2, &s, addr, &e) < 0)
		return lns_fail(L, 1, &e);
	if (nns_link_add(&h->ns, &s, &e) < 0) {
		/*
		 * Made there (ns=), it is there that the kernel found it taken or
		 * wrong; but for a veth, whose peer may be here (explain_taken
		 * says which end).
		 */
		if (s.ns && strcmp(s.kind, "veth") != 0 &&
		    lua_getfield(L, 2, "ns") == LUA_TUSERDATA)
			return lns_fail(L, lua_gettop(L), &e);
		return lns_fail(L, 1, &e);
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int link_check(lua_State *L)
{
	struct nns_link_spec s = { 0 };
	struct nns_error e = { 0 };
	uint8_t addr[2][32];

	luaL_checktype(L, 2, LUA_TTABLE);
	link_spec(L, NULL, 2, &s, addr, &e);
	return 0;
}

/* link_problem(spec): what is wrong with @spec for link_add, or nil; devices are not looked up. */
static int l_link_problem(lua_State *L)
{
	return lns_problem(L, link_check);
}

static const char *const link_set_options[] = {
	"up", "mtu", "name", "address", "master", "txqlen", "alias", "ns", NULL,
};

/* Reads the changes at @arg; @op ("link set v0") names the link in a missing master's error. */
static int link_change(lua_State *L, LNs *h, int arg, const char *op, struct nns_link_change *c,
		       uint8_t *addr, struct nns_error *e)
{
	int ret = 0, t;

	lns_check_options(L, arg, link_set_options);
	c->up = opt_bool(L, arg, "up", &c->has_up);
	c->mtu = (uint32_t)lns_opt_int(L, arg, "mtu", 68, UINT32_MAX, &c->has_mtu);
	c->txqlen = (uint32_t)lns_opt_int(L, arg, "txqlen", 0, UINT32_MAX, &c->has_txqlen);
	c->name = opt_string(L, arg, "name");
	if (c->name)
		check_ifname(L, arg, c->name);
	c->alias = opt_string(L, arg, "alias");
	c->addrlen = (size_t)opt_lladdr(L, arg, "address", addr, 32);
	c->address = c->addrlen ? addr : NULL;
	c->ns = opt_ns(L, arg, "ns");
	t = opt_field(L, arg, "master");
	if (t == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
		c->has_master = true;
		c->master = 0;
	} else if (t != LUA_TNIL) {
		/* The kernel moves the link first, then looks the master up over there. */
		if (c->ns)
			luaL_argerror(L, arg, "options 'master' and 'ns' exclude each other");
		c->has_master = true;
		ret = lns_resolve_dev(L, h, lua_gettop(L), arg, "master", op, &c->master, e);
	}
	lua_pop(L, 1);
	return ret;
}

const char *lns_dev_label(lua_State *L, int arg, char *buf, size_t size)
{
	if (lua_type(L, arg) == LUA_TTABLE)
		lua_getfield(L, arg, "ifname");
	else
		luaL_tolstring(L, arg, NULL);
	snprintf(buf, size, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
	lua_pop(L, 1);
	return buf;
}

/*
 * How a failed operation @op on device @arg names it: by its name, also
 * when it was given by index (a link record's methods give the index),
 * as long as the device is there.  Looked up only after a failure.
 */
static int fail_on_dev(lua_State *L, LNs *h, int arg, const char *op, struct nns_error *e)
{
	char name[IF_NAMESIZE];

	if (lua_type(L, arg) == LUA_TNUMBER &&
	    nns_ifname(&h->ns, (int)lua_tointeger(L, arg), name) == 0)
		snprintf(e->what, sizeof(e->what), "%s %s", op, name);
	return lns_fail(L, 1, e);
}

static int ns_link_set(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_link_change c = { 0 };
	struct nns_error e = { 0 };
	char label[IFNAMSIZ + 16], op[IFNAMSIZ + 32];
	uint8_t addr[32];
	int ifindex;

	if (lua_type(L, 2) != LUA_TSTRING && lua_type(L, 2) != LUA_TNUMBER &&
	    lua_type(L, 2) != LUA_TTABLE)
		luaL_typeerror(L, 2, "string, integer or link record");
	luaL_checktype(L, 3, LUA_TTABLE);
	snprintf(op, sizeof(op), "link set %s", lns_dev_label(L, 2, label, sizeof(label)));
	/* Every option is checked before the device is looked up. */
	if (link_change(L, h, 3, op, &c, addr, &e) < 0 ||
	    resolve_dev(L, h, 2, "link set", &ifindex, &e) < 0)
		return lns_fail(L, 1, &e);
	if (nns_link_set(&h->ns, ifindex, label, &c, &e) < 0)
		return fail_on_dev(L, h, 2, "link set", &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int ns_link_del(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_error e = { 0 };
	char label[IFNAMSIZ + 16];
	int ifindex;

	if (resolve_dev(L, h, 2, "link del", &ifindex, &e) < 0)
		return lns_fail(L, 1, &e);
	lns_dev_label(L, 2, label, sizeof(label));
	if (nns_link_del(&h->ns, ifindex, label, &e) < 0)
		return fail_on_dev(L, h, 2, "link del", &e);
	lua_pushboolean(L, 1);
	return 1;
}

/* ---- addresses ---------------------------------------------------------- */

struct addr_acc {
	lua_State *L;
	int names; /* stack index of ifindex -> name */
	lua_Integer n;
};

void lns_push_addr(lua_State *L, const struct nns_addr *a, int names)
{
	const char *scope_name;
	char scope[8];
	int atoms;

	names = lua_absindex(L, names);
	atoms = push_atoms(L);
	lua_createtable(L, 0, 14);
	set_int(L, atoms, ATOM_IFINDEX, a->ifindex);
	if (lua_geti(L, names, a->ifindex) == LUA_TSTRING)
		set_top(L, atoms, ATOM_IFNAME);
	else
		lua_pop(L, 1);
	set_atom(L, atoms, ATOM_FAMILY, a->family == AF_INET ? ATOM_INET : ATOM_INET6);
	set_inet(L, atoms, ATOM_LOCAL, a->family, a->local, -1);
	set_int(L, atoms, ATOM_PREFIXLEN, a->prefixlen);
	set_inet(L, atoms, ATOM_ADDRESS, a->family, a->address, -1);
	set_inet(L, atoms, ATOM_BROADCAST, a->family, a->broadcast, -1);
	/* a scope without a name is its number (written into @scope), as routes' are */
	scope_name = nns_scope_name(a->scope, scope, sizeof(scope));
	if (scope_name == scope)
		set_int(L, atoms, ATOM_SCOPE, a->scope);
	else
		set_str(L, atoms, ATOM_SCOPE, scope_name);
	set_str(L, atoms, ATOM_LABEL, a->label);
	set_inet(L, atoms, ATOM_CIDR, a->family, a->local, a->prefixlen);
	if (a->has_metric)
		set_int(L, atoms, ATOM_METRIC, a->metric);
	if (a->has_cacheinfo) {
		set_int(L, atoms, ATOM_VALID_LIFE_TIME, a->valid_lft);
		set_int(L, atoms, ATOM_PREFERRED_LIFE_TIME, a->preferred_lft);
	}
	/* ip -j's names: the secondary flag of IPv6 marks a temporary address */
	set_true(L, atoms, a->family == AF_INET6 ? ATOM_TEMPORARY : ATOM_SECONDARY,
		 a->flags & IFA_F_SECONDARY);
	set_true(L, atoms, ATOM_HOME, a->flags & IFA_F_HOMEADDRESS);
	set_true(L, atoms, ATOM_MNGTMPADDR, a->flags & IFA_F_MANAGETEMPADDR);
	set_true(L, atoms, ATOM_OPTIMISTIC, a->flags & IFA_F_OPTIMISTIC);
	set_true(L, atoms, ATOM_DYNAMIC, !(a->flags & IFA_F_PERMANENT));
	set_true(L, atoms, ATOM_TENTATIVE, a->flags & IFA_F_TENTATIVE);
	set_true(L, atoms, ATOM_DADFAILED, a->flags & IFA_F_DADFAILED);
	set_true(L, atoms, ATOM_DEPRECATED, a->flags & IFA_F_DEPRECATED);
	set_true(L, atoms, ATOM_NODAD, a->flags & IFA_F_NODAD);
	set_true(L, atoms, ATOM_NOPREFIXROUTE, a->flags & IFA_F_NOPREFIXROUTE);
	set_true(L, atoms, ATOM_AUTOJOIN, a->flags & IFA_F_MCAUTOJOIN);
	set_true(L, atoms, ATOM_STABLE_PRIVACY, a->flags & IFA_F_STABLE_PRIVACY);
	lua_remove(L, atoms);
}

static int collect_addr(const struct nns_addr *a, void *data)
{
	struct addr_acc *acc = data;
	int named = lua_geti(acc->L, acc->names, a->ifindex) == LUA_TSTRING;

	lua_pop(acc->L, 1);
	/* A device gone since the dump took its addresses along: not listed. */
	if (!named)
		return 0;
	lns_push_addr(acc->L, a, acc->names);
	lua_rawseti(acc->L, -2, ++acc->n);
	return 0;
}

/* __index of a names table: asks the kernel for one name and keeps it. */
static int ifname_index(lua_State *L)
{
	LNs *h = lua_touserdata(L, lua_upvalueindex(1));
	char name[IF_NAMESIZE];
	lua_Integer ifindex = lua_tointeger(L, 2);

	if (!lua_isinteger(L, 2) || ifindex <= 0 || ifindex > INT32_MAX || h->ns.fd < 0 ||
	    nns_ifname(&h->ns, (int)ifindex, name) < 0)
		return 0;
	h->names_asked++;
	lua_pushstring(L, name);
	lua_pushvalue(L, -1);
	lua_rawseti(L, 1, ifindex);
	return 1;
}

/*
 * Pushes a table ifindex -> name for the records of the handle at @hidx:
 * names are looked up as records need them (lua_geti), which costs far
 * less than a dump of every link when there are many.
 */
void lns_push_ifnames(lua_State *L, int hidx)
{
	hidx = lua_absindex(L, hidx);
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushvalue(L, hidx);
	lua_pushcclosure(L, ifname_index, 1);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
}

/*
 * Names kept between listings.  Naming each device a listing mentions
 * takes one SIOCGIFNAME: for the addresses of a thousand devices that is
 * most of the listing's cost.  So once one listing of a handle has asked
 * for KEEP_NAMES_AFTER names, the handle keeps the names it learns (user
 * value 3) and joins the link group on a socket of its own.  Each listing
 * first reads the renames and deletions queued there since the last one
 * (usually none: one recv), so a kept name is as current as one asked
 * for when the listing starts.  Only names asked for once the socket
 * listens are kept, and an overrun forgets them all.  Small namespaces
 * never pay for the socket.
 */
#define KEEP_NAMES_AFTER 64
/* Reads of queued events a listing does at most; a namespace that changes faster is asked. */
#define NAMES_READS_MAX 256

struct names_acc {
	lua_State *L;
	int names; /* stack index */
};

static int note_link_change(const struct nlmsghdr *nlh, void *data)
{
	struct names_acc *acc = data;
	struct nns_link l;

	if (nns_link_parse(nlh, &l) < 0)
		return 0;
	if (nlh->nlmsg_type == RTM_NEWLINK)
		lua_pushstring(acc->L, l.ifname);
	else
		lua_pushnil(acc->L); /* gone, moved away, or only out of a bridge: asked again */
	lua_rawseti(acc->L, acc->names, l.ifindex);
	return 0;
}

/* Starts keeping names for the handle at @hidx; quietly does not when it cannot. */
static void keep_names(lua_State *L, int hidx, LNs *h)
{
	struct nns_error e = { 0 };
	int fd;

	lns_push_ifnames(L, hidx);
	if (nns_monitor_open(&h->ns, NNS_EV_LINK, 0, &fd, &e) < 0) {
		lua_pop(L, 1);
		return;
	}
	h->names_fd = fd;
	lua_setiuservalue(L, hidx, 3);
}

static int ignore_change(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return 0;
}

/* Reads what is queued on the names socket into @cb; 0 once it is all read. */
static int read_changes(LNs *h, nns_event_cb cb, struct names_acc *acc)
{
	int ret = 1, reads;

	for (reads = 0; ret > 0 && reads < NAMES_READS_MAX; reads++)
		ret = nns_monitor_read(h->names_fd, cb, acc);
	return ret > 0 ? -EAGAIN : ret;
}

/*
 * After an overrun the events still queued are older than the ones lost:
 * they are read and dropped, and with them every name kept.
 */
static int forget_overrun(lua_State *L, int hidx, LNs *h)
{
	int ret;

	ret = read_changes(h, ignore_change, NULL);
	if (ret == -ENOBUFS) /* overrun again while draining: once more, then give up */
		ret = read_changes(h, ignore_change, NULL);
	lns_push_ifnames(L, hidx);
	lua_setiuservalue(L, hidx, 3);
	return ret;
}

/* Brings the kept names up to date; false (and nothing kept) when it cannot. */
static bool refresh_names(lua_State *L, int hidx, LNs *h)
{
	struct names_acc acc = { L, 0 };
	int ret = -EBADF;

	if (lua_getiuservalue(L, hidx, 3) == LUA_TTABLE) {
		acc.names = lua_gettop(L);
		ret = read_changes(h, note_link_change, &acc);
	}
	lua_pop(L, 1);
	if (ret == -ENOBUFS)
		ret = forget_overrun(L, hidx, h);
	if (ret < 0)
		forget_names(L, hidx, h);
	return ret == 0;
}

void lns_push_listing_names(lua_State *L, int hidx)
{
	LNs *h = to_ns(L, hidx);

	hidx = lua_absindex(L, hidx);
	if (h->names_fd < 0 && h->names_asked >= KEEP_NAMES_AFTER)
		keep_names(L, hidx, h);
	h->names_asked = 0;
	if (h->names_fd >= 0 && refresh_names(L, hidx, h))
		lua_getiuservalue(L, hidx, 3);
	else
		lns_push_ifnames(L, hidx);
}

static int ns_addrs(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct addr_acc acc = { L, 0, 0 };
	struct nns_error e = { 0 };
	int ifindex = 0, buffer, ret;

	if (!lua_isnoneornil(L, 2) && resolve_dev(L, h, 2, "address show", &ifindex, &e) < 0)
		return lns_fail(L, 1, &e);
	buffer = lns_push_dump_buffer(L);
	lns_push_listing_names(L, 1);
	acc.names = lua_gettop(L);
	lua_newtable(L);
	lns_lend_dump_buffer(L, buffer);
	ret = nns_addr_dump(&h->ns, AF_UNSPEC, ifindex, collect_addr, &acc, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret < 0 && ifindex) {
		char label[IFNAMSIZ + 16];

		/* a record names its device, gone since, as it knew it */
		snprintf(e.what, sizeof(e.what), "address show %s",
			 lns_dev_label(L, 2, label, sizeof(label)));
	}
	if (ret < 0)
		return lns_fail(L, 1, &e);
	return 1;
}

static const char *const addr_options[] = {
	"nodad", "noprefixroute", "broadcast",	"peer",	    "label",
	"scope", "metric",	  "missing_ok", "exist_ok", NULL,
};

static int addr_scope(lua_State *L, int arg)
{
	static const char *const names[] = { "global", "site", "link", "host", NULL };
	static const int values[] = { 0, 200, 253, 254 };
	int t = opt_field(L, arg, "scope");

	lua_pop(L, 1);
	if (t == LUA_TNUMBER)
		return (int)lns_opt_int(L, arg, "scope", 0, 255, NULL);
	if (t == LUA_TNIL)
		return -1;
	return values[opt_choice(L, arg, "scope", names, 0)];
}

/*
 * What an address delete cannot use: the kernel finds the address by its
 * local address, peer, prefix length and label, and would ignore these.
 */
static void refuse_add_only(lua_State *L)
{
	static const char *const add_only[] = { "nodad", "noprefixroute", "broadcast", "scope",
						"metric" };
	size_t i;

	if (lua_type(L, 4) != LUA_TTABLE)
		return;
	for (i = 0; i < sizeof(add_only) / sizeof(add_only[0]); i++) {
		if (lua_getfield(L, 4, add_only[i]) != LUA_TNIL)
			luaL_argerror(L, 4,
				      lua_pushfstring(L, "option '%s' is for addr_add only",
						      add_only[i]));
		lua_pop(L, 1);
	}
}

/* dev, cidr, options at 2, 3, 4 -> spec; the peer lives in @peer. */
static void addr_spec(lua_State *L, bool add, struct nns_addr_spec *s, struct nns_prefix *peer)
{
	const char *brd, *p;

	lns_check_options(L, 4, addr_options);
	if (!add)
		refuse_add_only(L);
	p = opt_string(L, 4, "peer");
	/* with a peer the length is the peer's, as with ip; else it is needed */
	check_prefix(L, 3, luaL_checkstring(L, 3), !p, &s->local);
	s->nodad = opt_bool(L, 4, "nodad", NULL);
	s->noprefixroute = opt_bool(L, 4, "noprefixroute", NULL);
	s->label = opt_string(L, 4, "label");
	s->scope = addr_scope(L, 4);
	s->metric = (uint32_t)lns_opt_int(L, 4, "metric", 0, UINT32_MAX, &s->has_metric);
	if (p) {
		check_prefix(L, 4, p, false, peer);
		luaL_argcheck(L, peer->family == s->local.family, 4, "peer of another family");
		s->peer = peer;
	}
	brd = opt_string(L, 4, "broadcast");
	luaL_argcheck(L, !brd || s->local.family == AF_INET, 4,
		      "option 'broadcast' is for IPv4 addresses only");
	if (brd && !strcmp(brd, "+")) {
		s->broadcast_plus = true;
	} else if (brd) {
		struct nns_prefix b;

		check_prefix(L, 4, brd, false, &b);
		if (b.family != AF_INET || b.len >= 0)
			luaL_argerror(L, 4,
				      lua_pushfstring(L, "invalid broadcast \"%s\": %s", brd,
						      b.len >= 0 ? "not a single address"
								 : "not an IPv4 address"));
		s->has_broadcast = true;
		memcpy(s->broadcast, b.bytes, 4);
	}
}

static int addr_change(lua_State *L, bool add)
{
	LNs *h = lns_check(L, 1);
	struct nns_addr_spec s = { 0 };
	struct nns_error e = { 0 };
	struct nns_prefix peer;
	const char *cidr = luaL_checkstring(L, 3);
	char op[160], label[IFNAMSIZ + 16], what[128];
	int ret;

	addr_spec(L, add, &s, &peer);
	/* named as ip takes it: "address add 10.0.0.1/24 dev eth0" */
	snprintf(op, sizeof(op), "address %s %.64s dev", add ? "add" : "del", cidr);
	if (resolve_dev(L, h, 2, op, &s.ifindex, &e) < 0)
		return lns_fail(L, 1, &e);
	snprintf(what, sizeof(what), "%.64s dev %s", cidr,
		 lns_dev_label(L, 2, label, sizeof(label)));
	ret = add ? nns_addr_add(&h->ns, &s, what, &e) : nns_addr_del(&h->ns, &s, what, &e);
	if (ret < 0)
		return fail_on_dev(L, h, 2, op, &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int ns_addr_add(lua_State *L)
{
	return addr_change(L, true);
}

static int ns_addr_del(lua_State *L)
{
	return addr_change(L, false);
}

/* ---- neighbours --------------------------------------------------------- */

void lns_push_neigh(lua_State *L, const struct nns_neigh *n, int names)
{
	const char *states[10];
	size_t count;
	int atoms;

	names = lua_absindex(L, names);
	atoms = push_atoms(L);
	lua_createtable(L, 0, 6);
	set_inet(L, atoms, ATOM_DST, n->family, n->dst, -1);
	if (lua_geti(L, names, n->ifindex) == LUA_TSTRING)
		set_top(L, atoms, ATOM_DEV);
	else
		lua_pop(L, 1);
	set_lladdr(L, atoms, ATOM_LLADDR, n->lladdr, n->lladdr_len);
	set_true(L, atoms, ATOM_ROUTER, n->flags & NTF_ROUTER);
	set_true(L, atoms, ATOM_PROXY, n->flags & NTF_PROXY);
	count = nns_neigh_states(n->state, states, 10);
	if (count) { /* none for NUD_NONE (a proxy entry, one being made), as in ip -j */
		size_t i;

		lua_createtable(L, (int)count, 0);
		for (i = 0; i < count; i++) {
			lua_pushstring(L, states[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		set_top(L, atoms, ATOM_STATE);
	}
	lua_remove(L, atoms);
}

static int collect_neigh(const struct nns_neigh *n, void *data)
{
	struct addr_acc *acc = data;

	lns_push_neigh(acc->L, n, acc->names);
	lua_rawseti(acc->L, -2, ++acc->n);
	return 0;
}

static int opt_family(lua_State *L, int arg)
{
	static const char *const names[] = { "inet", "inet6", "all", NULL };
	static const int values[] = { AF_INET, AF_INET6, AF_UNSPEC };

	return values[opt_choice(L, arg, "family", names, 2)];
}

static int ns_neighbors(lua_State *L)
{
	static const char *const known[] = { "dev", "family", "proxy", NULL };
	LNs *h = lns_check(L, 1);
	struct addr_acc acc = { L, 0, 0 };
	struct nns_error e = { 0 };
	char label[IFNAMSIZ + 16] = "";
	int ifindex = 0, family, t, buffer, ret;
	bool proxy;

	lns_check_options(L, 2, known);
	family = opt_family(L, 2);
	proxy = opt_bool(L, 2, "proxy", NULL);
	t = opt_field(L, 2, "dev");
	if (t != LUA_TNIL &&
	    lns_resolve_dev(L, h, lua_gettop(L), 2, "dev", "neighbor show", &ifindex, &e) < 0)
		return lns_fail(L, 1, &e);
	if (t != LUA_TNIL)
		lns_dev_label(L, lua_gettop(L), label, sizeof(label));
	lua_pop(L, 1);
	buffer = lns_push_dump_buffer(L);
	lns_push_listing_names(L, 1);
	acc.names = lua_gettop(L);
	lua_newtable(L);
	lns_lend_dump_buffer(L, buffer);
	ret = nns_neigh_dump(&h->ns, family, ifindex, proxy, collect_neigh, &acc, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret < 0 && ifindex) /* a record names its device, gone since, as it knew it */
		snprintf(e.what, sizeof(e.what), "neighbor show%s dev %s", proxy ? " proxy" : "",
			 label);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	return 1;
}

static const char *const neigh_options[] = { "dst",   "lladdr",	    "dev",	"state", "router",
					     "proxy", "missing_ok", "exist_ok", NULL };

static int neigh_change(lua_State *L, int mode)
{
	LNs *h = lns_check(L, 1);
	struct nns_neigh_spec s = { 0 };
	struct nns_error e = { 0 };
	const char *dst, *state;
	const char *op = mode == 2 ? "neighbor replace" : mode ? "neighbor add" : "neighbor del";
	char label[NNS_INET_STRLEN + 32], what[NNS_INET_STRLEN + IFNAMSIZ + 32], dev[IFNAMSIZ + 16];
	uint8_t lladdr[32];
	int ret, len, t;

	luaL_checktype(L, 2, LUA_TTABLE);
	lns_check_options(L, 2, neigh_options);
	dst = opt_string(L, 2, "dst");
	luaL_argcheck(L, dst, 2, "option 'dst' is required");
	check_prefix(L, 2, dst, false, &s.dst);
	if (s.dst.len >= 0)
		luaL_argerror(L, 2,
			      lua_pushfstring(L,
					      "invalid address \"%s\": a neighbor is one address, "
					      "without a prefix length",
					      dst));
	len = opt_lladdr(L, 2, "lladdr", lladdr, sizeof(lladdr));
	s.lladdr = len ? lladdr : NULL;
	s.lladdr_len = (size_t)len;
	state = opt_string(L, 2, "state");
	s.has_state = state != NULL;
	if (state && nns_neigh_state_parse(state, &s.state) < 0)
		luaL_argerror(L, 2, lua_pushfstring(L, "invalid neighbor state \"%s\"", state));
	s.router = opt_bool(L, 2, "router", NULL);
	s.proxy = opt_bool(L, 2, "proxy", NULL);
	t = opt_field(L, 2, "dev");
	if (t == LUA_TNIL)
		luaL_argerror(L, 2, "option 'dev' is required");
	snprintf(label, sizeof(label), "%s %s", op, dst); /* "neighbor add 10.0.0.1 dev nope" */
	ret = lns_resolve_dev(L, h, lua_gettop(L), 2, "dev", label, &s.ifindex, &e);
	/* the entry as ip names it: "10.0.0.1 dev eth0" */
	snprintf(what, sizeof(what), "%s dev %s", dst,
		 lns_dev_label(L, lua_gettop(L), dev, sizeof(dev)));
	lua_pop(L, 1);
	if (ret == 0)
		ret = mode ? nns_neigh_add(&h->ns, &s, mode == 2, what, &e)
			   : nns_neigh_del(&h->ns, &s, what, &e);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int ns_neigh_add(lua_State *L)
{
	return neigh_change(L, 1);
}

static int ns_neigh_replace(lua_State *L)
{
	return neigh_change(L, 2);
}

static int ns_neigh_del(lua_State *L)
{
	return neigh_change(L, 0);
}

/* ---- module ------------------------------------------------------------- */

static const luaL_Reg ns_methods[] = {
	{ "close", ns_close },
	{ "info", ns_info },
	{ "fileno", ns_fileno },
	{ "pin", ns_pin },
	{ "unbind", ns_unbind },
	{ "defer", ns_defer },
	{ "flush", ns_flush },
	{ "run", ns_enter_and_call },
	{ "nsid", ns_nsid },
	{ "links", ns_links },
	{ "link", ns_link },
	{ "operstate", ns_operstate },
	{ "link_add", ns_link_add },
	{ "link_set", ns_link_set },
	{ "link_del", ns_link_del },
	{ "addrs", ns_addrs },
	{ "addr_add", ns_addr_add },
	{ "addr_del", ns_addr_del },
	{ "neighbors", ns_neighbors },
	{ "neigh_add", ns_neigh_add },
	{ "neigh_replace", ns_neigh_replace },
	{ "neigh_del", ns_neigh_del },
	{ "failure", ns_failure },
	{ NULL, NULL },
};

static const luaL_Reg ns_meta[] = {
	{ "__index", NULL }, /* set below */
	{ "__gc", ns_close },	       { "__close", ns_close },
	{ "__tostring", ns_tostring }, { NULL, NULL },
};

static const luaL_Reg functions[] = {
	{ "add", l_add },
	{ "new", l_new },
	{ "new_many", l_new_many },
	{ "open", l_open },
	{ "pid", l_pid },
	{ "current", l_current },
	{ "list", l_list },
	{ "exists", l_exists },
	{ "delete", l_delete },
	{ "unpin", l_unpin },
	{ "cleanup", l_cleanup },
	{ "isatty", l_isatty },
	{ "ifname_problem", l_ifname_problem },
	{ "cidr_problem", l_cidr_problem },
	{ "ns_name_problem", l_ns_name_problem },
	{ "link_problem", l_link_problem },
	{ "rate_problem", lns_rate_problem },
	{ "route_problem", lns_route_problem },
	{ "disown", l_disown },
	{ "owned", l_owned },
	{ "canonical", l_canonical },
	{ NULL, NULL },
};

static void create_handle_meta(lua_State *L)
{
	luaL_newmetatable(L, LNS_HANDLE);
	luaL_setfuncs(L, ns_meta, 0);
	luaL_newlibtable(L, ns_methods);
	luaL_setfuncs(L, ns_methods, 0);
	luaL_setfuncs(L, lns_proc_methods, 0);
	luaL_setfuncs(L, lns_route_methods, 0);
	luaL_setfuncs(L, lns_ping_methods, 0);
	luaL_setfuncs(L, lns_shape_methods, 0);
	luaL_setfuncs(L, lns_rule_methods, 0);
	luaL_setfuncs(L, lns_monitor_methods, 0);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

/*
 * netns.topology's record of the topologies a run made, { live = {},
 * made = {} }: kept in the registry, not in that module, because a test
 * runner that unloads modules between files (busted) loads it anew, and
 * nslua must still find every topology left standing when the run ends.
 */
static void push_topologies(lua_State *L)
{
	if (!luaL_getsubtable(L, LUA_REGISTRYINDEX, "netns.topologies")) {
		lua_newtable(L);
		lua_setfield(L, -2, "live");
		lua_newtable(L);
		lua_setfield(L, -2, "made");
	}
}

LUA_CORE_API int luaopen_netns_core(lua_State *L)
{
	nns_raise_fd_limit();
	luaL_newlib(L, functions);
	push_topologies(L);
	lua_setfield(L, -2, "topologies");
	luaL_setfuncs(L, lns_monitor_functions, 0);
	create_handle_meta(L);
	lns_open_proc(L);
	lns_open_monitor(L);
	return 1;
}
