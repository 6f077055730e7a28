// SPDX-License-Identifier: MIT
/*
 * Events: ns:monitor(kinds) and the monitor objects it returns, which read
 * the kernel's notifications as records; wait_readable and monotonic for
 * the Lua layer's waiting.  Blocking and queueing are the Lua layer's: a
 * read here never blocks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "lnetns.h"

#define LNS_MONITOR "netns.monitor"
/* Datagrams taken per read, so that a busy namespace cannot hold a caller forever. */
#define READ_BATCH 64

/* User values: 1, the namespace handle (to name devices); 2, its ifindex -> name table. */
typedef struct LMon {
	int fd;		/* -1 once closed */
	unsigned kinds; /* asked for; link events are always read, for the names */
} LMon;

static const char *const kind_names[] = { "link", "addr", "route", "neigh", "rule", NULL };
#define ALL_KINDS (NNS_EV_LINK | NNS_EV_ADDR | NNS_EV_ROUTE | NNS_EV_NEIGH | NNS_EV_RULE)

static LMon *check_monitor(lua_State *L, int idx)
{
	LMon *m = luaL_checkudata(L, idx, LNS_MONITOR);

	if (m->fd < 0)
		luaL_error(L, "attempt to use a closed monitor");
	return m;
}

/* Kinds from the array part of the table at @arg; all of them when there is none. */
static unsigned monitor_kinds(lua_State *L, int arg)
{
	unsigned kinds = 0;
	lua_Integer i, n;

	if (lua_isnoneornil(L, arg))
		return ALL_KINDS;
	luaL_checktype(L, arg, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, arg);
	for (i = 1; i <= n; i++) {
		int k;

		lua_rawgeti(L, arg, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "event kind #%I must be a string", i));
		for (k = 0;
		     kind_names[k] && strcmp(kind_names[k], lns_tocstring(L, -1, arg, NULL)) != 0;
		     k++)
			;
		if (!kind_names[k])
			luaL_argerror(L, arg,
				      lua_pushfstring(L,
						      "unknown event kind '%s' (link, "
						      "addr, route, neigh or rule)",
						      lua_tostring(L, -1)));
		kinds |= 1u << k;
		lua_pop(L, 1);
	}
	return kinds ? kinds : ALL_KINDS;
}

/* Only the kinds and "rcvbuf" are allowed in the table at @arg. */
static int monitor_rcvbuf(lua_State *L, int arg)
{
	lua_Integer n = (lua_Integer)(lua_istable(L, arg) ? lua_rawlen(L, arg) : 0);

	if (lua_isnoneornil(L, arg))
		return 0;
	lua_pushnil(L);
	while (lua_next(L, arg)) {
		lua_pop(L, 1);
		if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= n)
			continue;
		lns_check_key(L, -1, arg);
		if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "rcvbuf") != 0) {
			lua_pushvalue(L, -1);
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "unknown option '%s'",
						      luaL_tolstring(L, -1, NULL)));
		}
	}
	return (int)lns_opt_int(L, arg, "rcvbuf", 1, 1 << 30, NULL); /* 0 when absent */
}

struct event_acc {
	lua_State *L;
	int names, list; /* stack indexes */
	lua_Integer n;
	unsigned kinds;
};

static int note_name(const struct nns_link *l, void *data);

/* ns:monitor{ "link", "addr", ..., rcvbuf = bytes } */
static int ns_monitor(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	unsigned kinds = monitor_kinds(L, 2);
	int rcvbuf = monitor_rcvbuf(L, 2);
	struct nns_error e = { 0 };
	LMon *m = lua_newuserdatauv(L, sizeof(*m), 2);
	struct event_acc acc = { L, 0, 0, 0, 0 };
	int mon, buffer, ret;

	m->fd = -1;
	m->kinds = kinds;
	luaL_setmetatable(L, LNS_MONITOR);
	/*
	 * Link events keep the names current (renames, and devices deleted
	 * before the events that name them are read); the links there are now
	 * are named from the start, once the socket hears of every change.
	 */
	if (nns_monitor_open(&h->ns, kinds | NNS_EV_LINK, rcvbuf, &m->fd, &e) < 0)
		return lns_fail(L, 1, &e);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	mon = lua_gettop(L);
	buffer = lns_push_dump_buffer(L);
	lns_push_ifnames(L, 1);
	acc.names = lua_gettop(L);
	lns_lend_dump_buffer(L, buffer);
	ret = nns_link_dump(&h->ns, note_name, &acc, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	lua_setiuservalue(L, mon, 2);
	lua_settop(L, mon);
	return 1;
}

/* ---- reading ------------------------------------------------------------ */

static int note_name(const struct nns_link *l, void *data)
{
	struct event_acc *acc = data;

	if (l->ifname) {
		lua_pushstring(acc->L, l->ifname);
		lua_rawseti(acc->L, acc->names, l->ifindex);
	}
	return 0;
}

static bool push_link_event(struct event_acc *acc, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct nns_link l;

	/*
	 * A bridge's notes on its ports (family AF_BRIDGE) are not link
	 * events, and ns:links() lists none: a port that leaves is no deleted link.
	 */
	if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) && ifi->ifi_family == AF_BRIDGE)
		return false;
	if (nns_link_parse(nlh, &l) < 0)
		return false;
	if (!(acc->kinds & NNS_EV_LINK)) {
		note_name(&l, acc); /* read for the names only */
		return false;
	}
	lns_push_link(acc->L, &l);
	/* "kind" names the event; the link's own kind moves where ip -j -d keeps it. */
	if (lua_getfield(acc->L, -1, "kind") != LUA_TNIL)
		lua_setfield(acc->L, -2, "info_kind");
	else
		lua_pop(acc->L, 1);
	note_name(&l, acc);
	lns_name_link_indexes(acc->L, acc->names);
	return true;
}

static bool push_addr_event(struct event_acc *acc, const struct nlmsghdr *nlh)
{
	struct nns_addr a;

	if (nns_addr_parse(nlh, &a) < 0)
		return false;
	lns_push_addr(acc->L, &a, acc->names);
	return true;
}

static bool push_route_event(struct event_acc *acc, const struct nlmsghdr *nlh)
{
	struct nns_route r;

	/* Cached clones are not routes anyone added, as in the listing. */
	if (nns_route_parse(nlh, &r) < 0 || (r.flags & RTM_F_CLONED))
		return false;
	lns_push_route(acc->L, &r, acc->names);
	return true;
}

static bool push_neigh_event(struct event_acc *acc, const struct nlmsghdr *nlh)
{
	struct nns_neigh n;

	if (nns_neigh_parse(nlh, &n) < 0)
		return false;
	lns_push_neigh(acc->L, &n, acc->names);
	return true;
}

static bool push_rule_event(struct event_acc *acc, const struct nlmsghdr *nlh)
{
	struct nns_rule r;

	if (nns_rule_parse(nlh, &r) < 0)
		return false;
	lns_push_rule(acc->L, &r);
	return true;
}

static const struct {
	uint16_t new_type, del_type;
	const char *kind;
	bool (*push)(struct event_acc *acc, const struct nlmsghdr *nlh);
} decoders[] = {
	{ RTM_NEWLINK, RTM_DELLINK, "link", push_link_event },
	{ RTM_NEWADDR, RTM_DELADDR, "addr", push_addr_event },
	{ RTM_NEWROUTE, RTM_DELROUTE, "route", push_route_event },
	{ RTM_NEWNEIGH, RTM_DELNEIGH, "neigh", push_neigh_event },
	{ RTM_NEWRULE, RTM_DELRULE, "rule", push_rule_event },
};

static void append(struct event_acc *acc, const char *event, const char *kind)
{
	lua_State *L = acc->L;

	lua_pushstring(L, event);
	lua_setfield(L, -2, "event");
	if (kind) {
		lua_pushstring(L, kind);
		lua_setfield(L, -2, "kind");
	}
	lua_rawseti(L, acc->list, ++acc->n);
}

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct event_acc *acc = data;
	size_t i;

	for (i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		bool del = nlh->nlmsg_type == decoders[i].del_type;

		if ((del || nlh->nlmsg_type == decoders[i].new_type) && decoders[i].push(acc, nlh))
			append(acc, del ? "del" : "new", decoders[i].kind);
	}
	return 0;
}

/*
 * After an overrun the names may be stale (a rename or a deletion was
 * among the lost events): a fresh table asks the kernel for each again.
 */
static void forget_names(lua_State *L, struct event_acc *acc)
{
	lua_getiuservalue(L, 1, 1);
	lns_push_ifnames(L, -1);
	lua_remove(L, -2);
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, 1, 2);
	lua_replace(L, acc->names);
}

/*
 * m:read(): the events queued now, oldest first, as an array (empty when
 * there are none); never blocks.  Lost events show as { event = "overrun" }.
 */
static int mon_read(lua_State *L)
{
	LMon *m = check_monitor(L, 1);
	struct event_acc acc = { L, 0, 0, 0, m->kinds };
	int i, ret = 1;

	lua_settop(L, 1);
	lua_getiuservalue(L, 1, 2);
	acc.names = lua_gettop(L);
	lua_newtable(L);
	acc.list = lua_gettop(L);
	for (i = 0; i < READ_BATCH && ret > 0; i++) {
		ret = nns_monitor_read(m->fd, on_event, &acc);
		if (ret == -ENOBUFS) {
			lua_newtable(L);
			append(&acc, "overrun", NULL);
			forget_names(L, &acc);
			ret = 1;
		}
	}
	if (ret < 0) {
		struct nns_error e = { 0 };

		nns_error_set(&e, -ret, "monitor read");
		lua_getiuservalue(L, 1, 1);
		return lns_fail(L, lua_gettop(L), &e);
	}
	return 1;
}

static int mon_fileno(lua_State *L)
{
	lua_pushinteger(L, check_monitor(L, 1)->fd);
	return 1;
}

static int mon_close(lua_State *L)
{
	LMon *m = luaL_checkudata(L, 1, LNS_MONITOR);

	if (m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	return 0;
}

static int mon_tostring(lua_State *L)
{
	LMon *m = luaL_checkudata(L, 1, LNS_MONITOR);

	if (m->fd < 0)
		lua_pushliteral(L, "netns.monitor (closed)");
	else
		lua_pushfstring(L, "netns.monitor (fd %d)", m->fd);
	return 1;
}

/* ---- waiting ------------------------------------------------------------ */

/*
 * wait_readable(fds, timeout): the position in array @fds of a descriptor
 * ready to read, nil once @timeout seconds (nil: no limit) have passed, or
 * false when a signal came first, so that the caller's hooks run.
 */
static int l_wait_readable(lua_State *L)
{
	int few[16], *fds = few, timeout_ms = -1, ret;
	lua_Integer i, n;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, 1);
	luaL_argcheck(L, n > 0 && n <= 65536, 1, "1 to 65536 descriptors expected");
	if (!lua_isnoneornil(L, 2)) {
		lua_Number t = luaL_checknumber(L, 2);

		luaL_argcheck(L, t >= 0 && t <= 86400 * 365, 2, "timeout out of range");
		/* poll's int milliseconds end after 24 days: longer waits are cut there */
		timeout_ms = t * 1000 >= INT_MAX ? INT_MAX : (int)(t * 1000 + 0.999);
	}
	if (n > 16) {
		fds = lua_newuserdatauv(L, (size_t)n * sizeof(*fds), 0);
	}
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		fds[i - 1] = (int)luaL_checkinteger(L, -1);
		lua_pop(L, 1);
	}
	ret = nns_wait_readable(fds, (size_t)n, timeout_ms);
	if (ret >= 0)
		lua_pushinteger(L, ret + 1);
	else if (ret == -ETIMEDOUT)
		luaL_pushfail(L);
	else if (ret == -EINTR)
		lua_pushboolean(L, 0);
	else
		return luaL_error(L, "netns: wait: %s", strerror(-ret));
	return 1;
}

/* monotonic(): seconds on a clock that never jumps, for deadlines. */
static int l_monotonic(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

const luaL_Reg lns_monitor_methods[] = {
	{ "monitor", ns_monitor },
	{ NULL, NULL },
};

const luaL_Reg lns_monitor_functions[] = {
	{ "wait_readable", l_wait_readable },
	{ "monotonic", l_monotonic },
	{ NULL, NULL },
};

static const luaL_Reg monitor_methods[] = {
	{ "read", mon_read },
	{ "fileno", mon_fileno },
	{ "close", mon_close },
	{ NULL, NULL },
};

static const luaL_Reg monitor_meta[] = {
	{ "__index", NULL }, /* set below */
	{ "__gc", mon_close }, { "__close", mon_close }, { "__tostring", mon_tostring },
	{ NULL, NULL },
};

void lns_open_monitor(lua_State *L)
{
	luaL_newmetatable(L, LNS_MONITOR);
	luaL_setfuncs(L, monitor_meta, 0);
	luaL_newlib(L, monitor_methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}
