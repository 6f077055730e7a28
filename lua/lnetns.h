/* SPDX-License-Identifier: MIT */
/* Shared by the parts of the binding (lnetns.c, lproc.c); not installed. */
#ifndef LNETNS_H
#define LNETNS_H

#include <lauxlib.h>
#include <lua.h>

#include "../core/netns.h"

#define LNS_HANDLE "netns.ns"
#define LNS_PROC "netns.proc"

/*
 * A namespace handle; its user values hold the name (1), the path (2) and
 * the names its listings keep (3, see lns_push_listing_names).
 */
typedef struct LNs {
	struct nns_ns ns; /* ns.fd < 0 once closed */
	int names_fd;	  /* link events that keep user value 3 exact; -1 when none */
	int names_asked;  /* devices the kernel was asked to name since the last listing */
} LNs;

LNs *lns_check(lua_State *L, int idx);
/* How messages name the handle at @idx: "red", "/proc/1/ns/net", "<anonymous 4026532345>". */
const char *lns_label(lua_State *L, int idx, char *buf, size_t size);
/* Pushes nil, "netns: <message>", errno for the handle at @idx (0: none). */
int lns_fail(lua_State *L, int idx, const struct nns_error *e);
/* Whether chunk @source is a file of the Lua layer (".../netns/NAME.lua"). */
int lns_is_layer(const char *source);
/*
 * The interface index of the device at @idx (a name, an index, or a link
 * record of @h's namespace): argument @arg itself, or its option @key,
 * which errors then name.  A missing name fails with "OP [KEY] NAME: No
 * such device" in @e; an index is the kernel's to find.  Without @h, only
 * checks.
 */
int lns_resolve_dev(lua_State *L, LNs *h, int idx, int arg, const char *key, const char *op,
		    int *ifindex, struct nns_error *e);
/* How messages name device argument @arg: as given, a link record by its ifname. */
const char *lns_dev_label(lua_State *L, int arg, char *buf, size_t size);
/* Pushes a table ifindex -> name, filled as it is read, for the handle at @hidx. */
void lns_push_ifnames(lua_State *L, int hidx);
/* The same for a listing: the table may be one the handle keeps (see lnetns.c). */
void lns_push_listing_names(lua_State *L, int hidx);
/*
 * Pushes a buffer for a listing's dump, owned by the Lua state, and
 * returns its index.  Lend it (lns_lend_dump_buffer) just before the
 * core's call, and take it back with lns_keep_dump_buffer, which keeps it
 * for the next listing.  Should building the records raise (a memory
 * error), the collector frees it.
 */
int lns_push_dump_buffer(lua_State *L);
void lns_lend_dump_buffer(lua_State *L, int idx);
void lns_keep_dump_buffer(lua_State *L, int idx);
/*
 * Records as the list methods return them; @names is the stack index of
 * a table ifindex -> name used to name devices.
 */
void lns_push_link(lua_State *L, const struct nns_link *l);
void lns_push_addr(lua_State *L, const struct nns_addr *a, int names);
void lns_push_neigh(lua_State *L, const struct nns_neigh *n, int names);
void lns_push_route(lua_State *L, const struct nns_route *r, int names);
void lns_push_rule(lua_State *L, const struct nns_rule *r);
/*
 * Replaces the ifindexes "master" and "link" of the link record on top by
 * their names in table @names; a link with no name there is "link_index".
 */
void lns_name_link_indexes(lua_State *L, int names);
/* Numbers with names, such as routing tables; a NULL name ends a list. */
struct lns_name {
	lua_Integer value;
	const char *name;
};
extern const struct lns_name lns_route_tables[], lns_route_protocols[];
/* Pushes the name of @value, or the number when it has none. */
void lns_push_name(lua_State *L, const struct lns_name *names, lua_Integer value);
/* A name or a number from @names for option @key of the table at @arg; @dflt when absent. */
lua_Integer lns_opt_named(lua_State *L, int arg, const char *key, const struct lns_name *names,
			  lua_Integer max, lua_Integer dflt);
/* Raises "unknown option 'x'" for any key of the table at @arg not in @known. */
void lns_check_options(lua_State *L, int arg, const char *const known[]);
/*
 * Option @key of table @arg (or of none): an integer, or a number, in
 * [@lo, @hi]; an argument error names the option otherwise.  @has tells
 * whether the integer was given; the number is @dflt when it is not.
 */
lua_Integer lns_opt_int(lua_State *L, int arg, const char *key, lua_Integer lo, lua_Integer hi,
			bool *has);
lua_Number lns_opt_number(lua_State *L, int arg, const char *key, lua_Number lo, lua_Number hi,
			  lua_Number dflt);

/*
 * Argument errors, positioned at the user's line: frames of the netns Lua
 * layer (the files netns/NAME.lua) are skipped, so that a mistake made through
 * `netns` points where a mistake made through `netns.core` does.
 */
void lns_where(lua_State *L);
/* They raise (lua_error); the static analyzer is told they never return. */
#ifdef __clang_analyzer__
#define LNS_RAISES __attribute__((analyzer_noreturn))
#else
#define LNS_RAISES
#endif
int lns_error(lua_State *L, const char *fmt, ...) LNS_RAISES;
int lns_argerror(lua_State *L, int arg, const char *msg) LNS_RAISES;
int lns_typeerror(lua_State *L, int arg, const char *tname) LNS_RAISES;
const char *lns_checklstring(lua_State *L, int arg, size_t *len);
/*
 * lua_tostring for a string handed on as a C string, from argument @arg
 * or its option @key: one that holds a NUL, where C would cut it short and
 * so name something else, is an argument error.
 */
const char *lns_tocstring(lua_State *L, int idx, int arg, const char *key);
/* Refuses the key at @idx of argument @arg's option table if it holds a NUL. */
void lns_check_key(lua_State *L, int idx, int arg);
const char *lns_optlstring(lua_State *L, int arg, const char *def, size_t *len);
lua_Integer lns_checkinteger(lua_State *L, int arg);
lua_Number lns_checknumber(lua_State *L, int arg);
int lns_checkoption(lua_State *L, int arg, const char *def, const char *const list[]);
void lns_checktype(lua_State *L, int arg, int t);
void *lns_checkudata(lua_State *L, int arg, const char *tname);
/* What is wrong with @1 as @check(nil, @1) reads it, or nil (see lerror.c). */
int lns_problem(lua_State *L, lua_CFunction check);
/* Pushes what is wrong with a rate (ns:shape) or a route (ns:route_add) at @1, or nil. */
int lns_rate_problem(lua_State *L);
int lns_route_problem(lua_State *L);

/* The binding uses only these, through the usual names. */
#ifndef LNS_NO_REDIRECT
#undef luaL_checkstring
#undef luaL_optstring
#define luaL_argerror lns_argerror
#define luaL_typeerror lns_typeerror
#define luaL_checkstring(L, arg) lns_checklstring(L, (arg), NULL)
#define luaL_optstring(L, arg, d) lns_optlstring(L, (arg), (d), NULL)
#define luaL_checkinteger lns_checkinteger
#define luaL_checknumber lns_checknumber
#define luaL_checkoption lns_checkoption
#define luaL_checktype lns_checktype
#define luaL_checkudata lns_checkudata
#define luaL_error lns_error
#endif

void lns_open_proc(lua_State *L);
extern const luaL_Reg lns_proc_methods[];
/* A sysctl key and value, as ns:sysctl and netns.new_many take them (lproc.c). */
#define LNS_SYSCTL_PATH_MAX 512
const char *lns_sysctl_key(lua_State *L, int idx, int arg, char *path, size_t size);
const char *lns_sysctl_value(lua_State *L, int idx, int arg, const char *key);
extern const luaL_Reg lns_route_methods[];
extern const luaL_Reg lns_ping_methods[];
extern const luaL_Reg lns_shape_methods[];
extern const luaL_Reg lns_rule_methods[];
extern const luaL_Reg lns_monitor_methods[];
extern const luaL_Reg lns_monitor_functions[];
void lns_open_monitor(lua_State *L);

#endif
