// SPDX-License-Identifier: MIT
/* Routes: the routes, route_add, route_replace and route_del methods. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "lnetns.h"

const struct lns_name lns_route_protocols[] = {
	{ RTPROT_UNSPEC, "unspec" },
	{ RTPROT_REDIRECT, "redirect" },
	{ RTPROT_KERNEL, "kernel" },
	{ RTPROT_BOOT, "boot" },
	{ RTPROT_STATIC, "static" },
	{ RTPROT_RA, "ra" },
	{ 8, "gated" },
	{ RTPROT_MRT, "mrt" },
	{ RTPROT_ZEBRA, "zebra" },
	{ RTPROT_BIRD, "bird" },
	{ RTPROT_DNROUTED, "dnrouted" },
	{ RTPROT_XORP, "xorp" },
	{ RTPROT_NTK, "ntk" },
	{ RTPROT_DHCP, "dhcp" },
	{ RTPROT_KEEPALIVED, "keepalived" },
	{ RTPROT_BABEL, "babel" },
	{ RTPROT_OPENR, "openr" },
	{ RTPROT_BGP, "bgp" },
	{ RTPROT_ISIS, "isis" },
	{ RTPROT_OSPF, "ospf" },
	{ RTPROT_RIP, "rip" },
	{ RTPROT_EIGRP, "eigrp" },
	{ 0, NULL },
};

static const struct lns_name types[] = {
	{ RTN_UNICAST, "unicast" },
	{ RTN_LOCAL, "local" },
	{ RTN_BROADCAST, "broadcast" },
	{ RTN_ANYCAST, "anycast" },
	{ RTN_MULTICAST, "multicast" },
	{ RTN_BLACKHOLE, "blackhole" },
	{ RTN_UNREACHABLE, "unreachable" },
	{ RTN_PROHIBIT, "prohibit" },
	{ RTN_THROW, "throw" },
	{ RTN_NAT, "nat" },
	{ 0, NULL },
};

static const struct lns_name scopes[] = {
	{ RT_SCOPE_UNIVERSE, "global" }, { RT_SCOPE_SITE, "site" },	  { RT_SCOPE_LINK, "link" },
	{ RT_SCOPE_HOST, "host" },	 { RT_SCOPE_NOWHERE, "nowhere" }, { 0, NULL },
};

const struct lns_name lns_route_tables[] = {
	{ RT_TABLE_MAIN, "main" },
	{ RT_TABLE_LOCAL, "local" },
	{ RT_TABLE_DEFAULT, "default" },
	{ 0, NULL },
};

static bool is_digits(const char *s)
{
	return *s && s[strspn(s, "0123456789")] == '\0';
}

/* Pushes the name of @value, or the number when it has none. */
void lns_push_name(lua_State *L, const struct lns_name *names, lua_Integer value)
{
	for (; names->name; names++)
		if (names->value == value) {
			lua_pushstring(L, names->name);
			return;
		}
	lua_pushinteger(L, value);
}

/*
 * A name or a number from @names for option @key of the table at @arg;
 * @dflt when absent.  A number may be written as a string of digits, as
 * ip -j writes tables and protocols ("table": "100").
 */
lua_Integer lns_opt_named(lua_State *L, int arg, const char *key, const struct lns_name *names,
			  lua_Integer max, lua_Integer dflt)
{
	int t = lua_getfield(L, arg, key);
	lua_Integer value = dflt;

	if (t == LUA_TSTRING && is_digits(lns_tocstring(L, -1, arg, key))) {
		lua_Number n = lua_tonumber(L, -1);

		if (n > (lua_Number)max)
			luaL_argerror(L, arg, lua_pushfstring(L, "option '%s' out of range", key));
		value = (lua_Integer)n;
	} else if (t == LUA_TNUMBER) {
		int isint;
		lua_Integer n = lua_tointegerx(L, -1, &isint);

		if (!isint)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "option '%s' must be a name or an integer",
						      key));
		if (n < 0 || n > max)
			luaL_argerror(L, arg, lua_pushfstring(L, "option '%s' out of range", key));
		value = n;
	} else if (t == LUA_TSTRING) {
		const char *s = lns_tocstring(L, -1, arg, key);

		for (; names->name && strcmp(names->name, s) != 0; names++)
			;
		if (!names->name)
			luaL_argerror(L, arg, lua_pushfstring(L, "invalid %s \"%s\"", key, s));
		value = names->value;
	} else if (t != LUA_TNIL) {
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' must be a name or a number", key));
	}
	lua_pop(L, 1);
	return value;
}

/* ---- records ------------------------------------------------------------ */

static void set_addr(lua_State *L, const char *key, int family, const void *a)
{
	if (a) {
		char buf[NNS_INET_STRLEN];

		lua_pushlstring(L, buf, nns_format_inet(family, a, -1, buf));
		lua_setfield(L, -2, key);
	}
}

static void set_dev(lua_State *L, int names, int ifindex)
{
	if (ifindex && lua_geti(L, names, ifindex) != LUA_TNIL)
		lua_setfield(L, -2, "dev");
	else if (ifindex)
		lua_pop(L, 1);
}

static void push_flags(lua_State *L, unsigned flags)
{
	lua_Integer n = 0;

	lua_newtable(L);
	/* in ip's order */
	if (flags & RTNH_F_DEAD) {
		lua_pushliteral(L, "dead");
		lua_rawseti(L, -2, ++n);
	}
	if (flags & RTNH_F_ONLINK) {
		lua_pushliteral(L, "onlink");
		lua_rawseti(L, -2, ++n);
	}
	if (flags & RTNH_F_LINKDOWN) {
		lua_pushliteral(L, "linkdown");
		lua_rawseti(L, -2, ++n);
	}
}

/* A network as ip -j writes it: without a length when it is a host. */
static void push_network(lua_State *L, int family, const void *addr, uint8_t len)
{
	char buf[NNS_INET_STRLEN];
	size_t full = nns_addr_bytes(family) * 8;

	lua_pushlstring(L, buf, nns_format_inet(family, addr, len == full ? -1 : len, buf));
}

/* "default", a host address alone, or a CIDR: as `ip route` writes them. */
static void push_dst(lua_State *L, const struct nns_route *r)
{
	if (!r->dst_len || !r->dst)
		lua_pushliteral(L, "default");
	else
		push_network(L, r->family, r->dst, r->dst_len);
}

/* A gateway of another family, as ip -j: "via": { "family": "inet6", "host": "fe80::1" } */
static void set_via(lua_State *L, int family, const void *addr)
{
	if (addr) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, family == AF_INET ? "inet" : "inet6");
		lua_setfield(L, -2, "family");
		set_addr(L, "host", family, addr);
		lua_setfield(L, -2, "via");
	}
}

static void push_nexthops(lua_State *L, const struct nns_route *r, int names)
{
	int i;

	lua_createtable(L, r->nhops, 0);
	for (i = 0; i < r->nhops; i++) {
		lua_createtable(L, 0, 4);
		set_addr(L, "gateway", r->family, r->nh[i].gateway);
		set_via(L, r->nh[i].via_family, r->nh[i].via);
		set_dev(L, names, r->nh[i].ifindex);
		lua_pushinteger(L, r->nh[i].weight);
		lua_setfield(L, -2, "weight");
		push_flags(L, r->nh[i].flags);
		lua_setfield(L, -2, "flags");
		lua_rawseti(L, -2, i + 1);
	}
}

/*
 * ip -j's names of the metrics, by RTAX_*; rtt and rttvar are in ms, as
 * ip gives them (the kernel keeps them in 1/8 and 1/4 ms).
 */
static const char *const metric_names[NNS_RTAX_COUNT] = {
	[RTAX_MTU] = "mtu",	      [RTAX_WINDOW] = "window",
	[RTAX_RTT] = "rtt",	      [RTAX_RTTVAR] = "rttvar",
	[RTAX_SSTHRESH] = "ssthresh", [RTAX_CWND] = "cwnd",
	[RTAX_ADVMSS] = "advmss",     [RTAX_REORDERING] = "reordering",
	[RTAX_HOPLIMIT] = "hoplimit", [RTAX_INITCWND] = "initcwnd",
	[RTAX_RTO_MIN] = "rto_min",   [RTAX_INITRWND] = "initrwnd",
	[RTAX_QUICKACK] = "quickack", [RTAX_FASTOPEN_NO_COOKIE] = "fastopen_no_cookie",
};

/* "metrics": [ { "mtu": 1400, ... } ], as ip -j: one table in a list. */
static void set_metrics(lua_State *L, const struct nns_route *r)
{
	int i;

	if (!r->has_metrics && !r->congestion)
		return;
	lua_createtable(L, 1, 0);
	lua_createtable(L, 0, __builtin_popcount(r->has_metrics) + 1);
	for (i = 0; i < NNS_RTAX_COUNT; i++) {
		uint32_t v = r->metrics[i];

		if (!(r->has_metrics & (1u << i)))
			continue;
		if (i == RTAX_FEATURES) { /* ip -j: "ecn": null */
			if (v & RTAX_FEATURE_ECN) {
				lua_pushboolean(L, 1);
				lua_setfield(L, -2, "ecn");
			}
			continue;
		}
		if (!metric_names[i])
			continue;
		lua_pushinteger(L, i == RTAX_RTT ? v / 8 : i == RTAX_RTTVAR ? v / 4 : v);
		lua_setfield(L, -2, metric_names[i]);
	}
	if (r->congestion) {
		lua_pushstring(L, r->congestion);
		lua_setfield(L, -2, "congestion");
	}
	lua_rawseti(L, -2, 1);
	lua_setfield(L, -2, "metrics");
}

void lns_push_route(lua_State *L, const struct nns_route *r, int names)
{
	lua_createtable(L, 0, 12);
	push_dst(L, r);
	lua_setfield(L, -2, "dst");
	if (r->src && r->src_len) {
		push_network(L, r->family, r->src, r->src_len);
		lua_setfield(L, -2, "from");
	}
	lua_pushstring(L, r->family == AF_INET ? "inet" : "inet6");
	lua_setfield(L, -2, "family");
	if (r->nhid) {
		lua_pushinteger(L, r->nhid);
		lua_setfield(L, -2, "nhid");
	}
	if (r->tos) { /* in hexadecimal: ip's names from rt_dsfield are not used */
		char tos[8];

		snprintf(tos, sizeof(tos), "0x%02x", (unsigned)r->tos);
		lua_pushstring(L, tos);
		lua_setfield(L, -2, "tos");
	}
	set_addr(L, "gateway", r->family, r->gateway);
	set_via(L, r->via_family, r->via);
	set_dev(L, names, r->ifindex);
	lns_push_name(L, lns_route_protocols, r->protocol);
	lua_setfield(L, -2, "protocol");
	lns_push_name(L, scopes, r->scope);
	lua_setfield(L, -2, "scope");
	lns_push_name(L, types, r->type);
	lua_setfield(L, -2, "type");
	lns_push_name(L, lns_route_tables, r->table);
	lua_setfield(L, -2, "table");
	set_addr(L, "prefsrc", r->family, r->prefsrc);
	if (r->has_metric) {
		lua_pushinteger(L, r->metric);
		lua_setfield(L, -2, "metric");
	}
	push_flags(L, r->flags);
	lua_setfield(L, -2, "flags");
	if (r->has_expires) {
		lua_pushinteger(L, r->expires);
		lua_setfield(L, -2, "expires");
	}
	set_metrics(L, r);
	if (r->nhops) {
		push_nexthops(L, r, names);
		lua_setfield(L, -2, "nexthops");
	}
	if (r->has_pref) {
		static const char *const prefs[] = { "medium", "high", "2", "low" };

		lua_pushstring(L, prefs[r->pref & 3]);
		lua_setfield(L, -2, "pref");
	}
}

struct route_acc {
	lua_State *L;
	int names;
	lua_Integer table; /* -1: all */
	lua_Integer n;
};

static int collect_route(const struct nns_route *r, void *data)
{
	struct route_acc *acc = data;

	/* Cached clones are not routes anyone added. */
	if ((acc->table >= 0 && r->table != (uint32_t)acc->table) || (r->flags & RTM_F_CLONED))
		return 0;
	lns_push_route(acc->L, r, acc->names);
	lua_rawseti(acc->L, -2, ++acc->n);
	return 0;
}

static int opt_family(lua_State *L, int arg)
{
	static const struct lns_name families[] = {
		{ AF_INET, "inet" },
		{ AF_INET6, "inet6" },
		{ AF_UNSPEC, "all" },
		{ 0, NULL },
	};

	return (int)lns_opt_named(L, arg, "family", families, 0, AF_UNSPEC);
}

/* Option "table"; in a listing, "all" (or 0, as for ip) is -1. */
static lua_Integer opt_table(lua_State *L, int arg, bool listing)
{
	lua_Integer table;

	if (listing && lua_getfield(L, arg, "table") == LUA_TSTRING &&
	    !strcmp(lns_tocstring(L, -1, arg, "table"), "all")) {
		lua_pop(L, 1);
		return -1;
	}
	if (listing)
		lua_pop(L, 1);
	table = lns_opt_named(L, arg, "table", lns_route_tables, UINT32_MAX, RT_TABLE_MAIN);
	return listing && table == RT_TABLE_UNSPEC ? -1 : table;
}

static int ns_routes(lua_State *L)
{
	static const char *const known[] = { "family", "table", NULL };
	LNs *h = lns_check(L, 1);
	struct route_acc acc = { L, 0, RT_TABLE_MAIN, 0 };
	struct nns_error e = { 0 };
	int family, buffer, ret;

	if (lua_isnoneornil(L, 2)) {
		lua_settop(L, 1);
		lua_newtable(L);
	}
	lns_check_options(L, 2, known);
	family = opt_family(L, 2);
	acc.table = opt_table(L, 2, true);
	lua_settop(L, 2);
	buffer = lns_push_dump_buffer(L);
	lns_push_listing_names(L, 1);
	acc.names = lua_gettop(L);
	lua_newtable(L);
	lns_lend_dump_buffer(L, buffer);
	ret = nns_route_dump(&h->ns, family, collect_route, &acc, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	return 1;
}

/* ---- changes ------------------------------------------------------------ */

static const char *const route_options[] = {
	"dst",	  "from",	"gateway",  "dev",	"metric",   "table",   "src",
	"onlink", "scope",	"protocol", "type",	"nexthops", "family",  "mtu",
	"advmss", "hoplimit",	"initcwnd", "initrwnd", "window",   "expires", "tos",
	"nhid",	  "missing_ok", "exist_ok", NULL,
};

/*
 * Address @s, or with @network a network (a destination, the sources of
 * a route), which @network names in the message.
 */
static void check_addr(lua_State *L, int arg, const char *s, const char *network,
		       struct nns_prefix *p)
{
	const char *why;

	if ((network ? nns_parse_network(s, p, &why) : nns_parse_prefix(s, false, p, &why)) < 0 ||
	    (!network && p->len >= 0))
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "invalid %s \"%s\": %s",
					      network ? network : "address", s,
					      network ? why : "not a single address"));
}

/* The interface index of field "dev" of the table on top, or 0. */
static int field_dev(lua_State *L, LNs *h, int arg, int *ifindex, const char *op,
		     struct nns_error *e)
{
	int ret = 0;

	*ifindex = 0;
	if (lua_getfield(L, -1, "dev") != LUA_TNIL)
		ret = lns_resolve_dev(L, h, lua_gettop(L), arg, "dev", op, ifindex, e);
	lua_pop(L, 1);
	return ret;
}

/* Integer field @key of the table on top, in [@min, @max]; false when absent. */
static bool field_integer(lua_State *L, int arg, const char *key, lua_Integer min, lua_Integer max,
			  lua_Integer *value)
{
	bool present = lua_getfield(L, -1, key) != LUA_TNIL;
	int isnum;

	if (present) {
		*value = lua_tointegerx(L, -1, &isnum);
		if (!isnum)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "option '%s' must be an integer, got %s",
						      key, luaL_typename(L, -1)));
		if (*value < min || *value > max)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "option '%s' out of range (%I to %I)", key,
						      (LUAI_UACINT)min, (LUAI_UACINT)max));
	}
	lua_pop(L, 1);
	return present;
}

/*
 * Option 'gateway' of the table on top, for a destination of @family: the
 * same family, or IPv6 for IPv4 (ip's "via inet6"; IPv6 has no IPv4 next
 * hops).
 */
static void field_gateway(lua_State *L, int arg, bool *has, int *gw_family, uint8_t *bytes,
			  int family)
{
	struct nns_prefix gw;

	if (lua_getfield(L, -1, "gateway") == LUA_TSTRING) {
		check_addr(L, arg, lns_tocstring(L, -1, arg, "gateway"), NULL, &gw);
		if (family && gw.family != family && !(family == AF_INET && gw.family == AF_INET6))
			luaL_argerror(L, arg, "IPv6 route via an IPv4 gateway");
		memcpy(bytes, gw.bytes, 16);
		*gw_family = gw.family;
		*has = true;
	} else if (!lua_isnil(L, -1)) {
		luaL_argerror(L, arg, "option 'gateway' must be a string");
	}
	lua_pop(L, 1);
}

/* A next hop (the table on top) has a gateway, a dev, a weight and onlink, nothing else. */
static void check_nexthop_keys(lua_State *L, int arg)
{
	static const char *const known[] = { "gateway", "dev", "weight", "onlink" };
	const size_t n = sizeof(known) / sizeof(known[0]);

	lua_pushnil(L);
	while (lua_next(L, -2)) {
		size_t i = 0;

		lua_pop(L, 1);
		lns_check_key(L, -1, arg);
		while (lua_type(L, -1) == LUA_TSTRING && i < n &&
		       strcmp(known[i], lua_tostring(L, -1)) != 0)
			i++;
		if (lua_type(L, -1) != LUA_TSTRING || i == n)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "unknown next hop option '%s'",
						      luaL_tolstring(L, -1, NULL)));
	}
}

/* Field 'onlink' of the table on top: a boolean, false when absent. */
static bool field_onlink(lua_State *L, int arg, const char *not_boolean)
{
	int t = lua_getfield(L, -1, "onlink");
	bool on = lua_toboolean(L, -1);

	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		luaL_argerror(L, arg, not_boolean);
	lua_pop(L, 1);
	return on;
}

/* Reads option 'nexthops' into @s, all but their devices. */
static void read_nexthops(lua_State *L, int arg, struct nns_route_spec *s)
{
	int i, n;

	if (lua_getfield(L, arg, "nexthops") == LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	luaL_argcheck(L, lua_istable(L, -1), arg, "option 'nexthops' must be a table");
	n = (int)lua_rawlen(L, -1);
	luaL_argcheck(L, n > 0 && n <= NNS_MAX_NEXTHOPS, arg,
		      "option 'nexthops' needs 1 to 32 entries");
	for (i = 0; i < n; i++) {
		struct nns_route_nexthop *nh = &s->nh[i];
		lua_Integer weight;

		lua_rawgeti(L, -1, i + 1);
		luaL_argcheck(L, lua_istable(L, -1), arg, "each next hop must be a table");
		check_nexthop_keys(L, arg);
		field_gateway(L, arg, &nh->has_gateway, &nh->gw_family, nh->gw, s->dst.family);
		if (field_integer(L, arg, "weight", 1, 256, &weight))
			nh->weight = (int)weight;
		nh->onlink = field_onlink(L, arg, "next hop option 'onlink' must be a boolean");
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	s->nhops = n;
}

/* Looks up the devices of the next hops read_nexthops read. */
static int nexthop_devs(lua_State *L, LNs *h, int arg, struct nns_route_spec *s, const char *op,
			struct nns_error *e)
{
	int i, ret = 0;

	if (s->nhops == 0)
		return 0;
	lua_getfield(L, arg, "nexthops");
	for (i = 0; i < s->nhops && ret == 0; i++) {
		lua_rawgeti(L, -1, i + 1);
		ret = field_dev(L, h, arg, &s->nh[i].ifindex, op, e);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return ret;
}

/* The family of address field @key of the table on top, or 0. */
static int field_family(lua_State *L, const char *key)
{
	struct nns_prefix a;
	const char *why;
	int family = 0;

	if (lua_getfield(L, -1, key) == LUA_TSTRING &&
	    nns_parse_prefix(lua_tostring(L, -1), false, &a, &why) == 0)
		family = a.family;
	lua_pop(L, 1);
	return family;
}

/*
 * Which family "default" means when option 'family' does not say: that of
 * the gateway, the source, the sources it is for or the first next hop's
 * gateway, as ip route takes it from the first address it reads; inet when
 * none has one.
 */
static int default_family(lua_State *L, int arg)
{
	int top = lua_gettop(L), family;

	lua_pushvalue(L, arg);
	family = field_family(L, "gateway");
	if (!family)
		family = field_family(L, "src");
	if (!family)
		family = field_family(L, "from");
	if (!family && lua_getfield(L, -1, "nexthops") == LUA_TTABLE &&
	    lua_rawgeti(L, -1, 1) == LUA_TTABLE)
		family = field_family(L, "gateway");
	lua_settop(L, top);
	return family ? family : AF_INET;
}

/*
 * Option @key of the spec (argument 2): an address, or with @network a
 * network, of @family (the destination's); false when it is absent.
 */
static bool opt_addr(lua_State *L, const char *key, const char *network, int family,
		     struct nns_prefix *p, const char *other_family)
{
	int t = lua_getfield(L, 2, key);

	if (t == LUA_TSTRING) {
		check_addr(L, 2, lns_tocstring(L, -1, 2, key), network, p);
		if (p->family != family)
			luaL_argerror(L, 2, other_family);
	} else if (t != LUA_TNIL) {
		luaL_argerror(L, 2, lua_pushfstring(L, "option '%s' must be a string", key));
	}
	lua_pop(L, 1);
	return t == LUA_TSTRING;
}

/* The metrics ip route takes by name (mtu 1400). */
static const int settable_metrics[] = { RTAX_MTU,      RTAX_ADVMSS,   RTAX_HOPLIMIT,
					RTAX_INITCWND, RTAX_INITRWND, RTAX_WINDOW };

/* The settable metrics of the table on top. */
static void route_metrics(lua_State *L, int arg, struct nns_route_spec *s)
{
	size_t i;

	for (i = 0; i < sizeof(settable_metrics) / sizeof(settable_metrics[0]); i++) {
		int m = settable_metrics[i];
		lua_Integer v;

		if (field_integer(L, arg, metric_names[m], 0, m == RTAX_HOPLIMIT ? 255 : UINT32_MAX,
				  &v)) {
			s->metrics[m] = (uint32_t)v;
			s->has_metrics |= 1u << m;
		}
	}
}

/* The destination: a CIDR, an address, or "default" (of @family, inet by default). */
static void route_dst(lua_State *L, int arg, struct nns_route_spec *s)
{
	static const struct lns_name families[] = {
		{ AF_INET, "inet" },
		{ AF_INET6, "inet6" },
		{ 0, NULL },
	};
	const char *dst;
	int family = (int)lns_opt_named(L, arg, "family", families, 0, 0);

	lua_getfield(L, arg, "dst");
	dst = lns_tocstring(L, -1, arg, "dst");
	luaL_argcheck(L, dst && lua_type(L, -1) == LUA_TSTRING, arg, "option 'dst' is required");
	if (!strcmp(dst, "default")) {
		memset(&s->dst, 0, sizeof(s->dst));
		s->dst.family = family;
		if (!s->dst.family)
			s->dst.family = default_family(L, arg);
		s->dst.len = 0;
	} else {
		check_addr(L, arg, dst, "destination", &s->dst);
		if (family && family != s->dst.family)
			luaL_argerror(L, arg, "destination of another family than option 'family'");
	}
	lua_pop(L, 1);
}

/*
 * iproute2's scope when none is given: deletes match any; IPv6 has no use
 * for it; local and nat routes are host, broadcast, multicast and anycast
 * link, and a unicast route with no gateway (none in next hops, no
 * nexthop object) link.
 */
static int default_scope(lua_State *L, int op, const struct nns_route_spec *s)
{
	bool nexthops;

	if (op == NNS_ROUTE_DEL)
		return RT_SCOPE_NOWHERE;
	if (s->dst.family == AF_INET6)
		return RT_SCOPE_UNIVERSE;
	switch (s->type) {
	case RTN_LOCAL:
	case RTN_NAT: return RT_SCOPE_HOST;
	case RTN_BROADCAST:
	case RTN_MULTICAST:
	case RTN_ANYCAST: return RT_SCOPE_LINK;
	case RTN_UNICAST:
		nexthops = lua_getfield(L, 2, "nexthops") != LUA_TNIL;
		lua_pop(L, 1);
		return s->has_gateway || nexthops || s->nhid ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	default: return RT_SCOPE_UNIVERSE;
	}
}

/* Whether option 'from' is "default": every source, as with no 'from' (ip's "from default"). */
static bool from_any(lua_State *L)
{
	bool any = lua_getfield(L, 2, "from") == LUA_TSTRING &&
		   !strcmp(lua_tostring(L, -1), "default");

	lua_pop(L, 1);
	return any;
}

static void refuse_option(lua_State *L, const char *key, const char *why)
{
	if (lua_getfield(L, 2, key) != LUA_TNIL)
		luaL_argerror(L, 2, lua_pushfstring(L, "option '%s' %s", key, why));
	lua_pop(L, 1);
}

/*
 * Options the kernel would take and ignore, which would leave the caller
 * believing them applied: IPv4 routes have no sources and do not expire,
 * a delete sets no expiry, and IPv6 deletes do not match on metrics (IPv4
 * ones do).
 */
static void refuse_misplaced(lua_State *L, int op, int family)
{
	size_t i;

	if (family == AF_INET) {
		if (!from_any(L))
			refuse_option(L, "from", "is for IPv6 routes only");
		refuse_option(L, "expires", "is for IPv6 routes only");
	}
	if (op != NNS_ROUTE_DEL)
		return;
	refuse_option(L, "expires", "is for route_add and route_replace only");
	if (family != AF_INET6)
		return;
	for (i = 0; i < sizeof(settable_metrics) / sizeof(settable_metrics[0]); i++)
		refuse_option(L, metric_names[settable_metrics[i]],
			      "cannot select an IPv6 route to delete");
}

static int route_spec(lua_State *L, LNs *h, int op, struct nns_route_spec *s, struct nns_error *e)
{
	const char *opname = op == NNS_ROUTE_DEL   ? "route del"
			     : op == NNS_ROUTE_ADD ? "route add"
						   : "route replace";
	char what[NNS_INET_STRLEN + 32];
	lua_Integer metric, expires, tos, nhid;
	int ret;

	luaL_checktype(L, 2, LUA_TTABLE);
	lns_check_options(L, 2, route_options);
	route_dst(L, 2, s);
	refuse_misplaced(L, op, s->dst.family);
	lua_pushvalue(L, 2);
	field_gateway(L, 2, &s->has_gateway, &s->gateway.family, s->gateway.bytes, s->dst.family);
	lua_pop(L, 1);
	s->has_from =
		!from_any(L) && opt_addr(L, "from", "source", s->dst.family, &s->from,
					 "option 'from' of another family than the destination");
	s->has_prefsrc = opt_addr(L, "src", NULL, s->dst.family, &s->prefsrc,
				  "source of another family than the destination");
	lua_pushvalue(L, 2);
	s->onlink = field_onlink(L, 2, "option 'onlink' must be a boolean");
	if (field_integer(L, 2, "metric", 0, UINT32_MAX, &metric)) {
		s->metric = (uint32_t)metric;
		s->has_metric = true;
	}
	route_metrics(L, 2, s);
	if (field_integer(L, 2, "expires", 1, UINT32_MAX, &expires))
		s->expires = (uint32_t)expires;
	if (field_integer(L, 2, "tos", 0, 255, &tos))
		s->tos = (uint8_t)tos;
	luaL_argcheck(L, !s->tos || s->dst.family == AF_INET, 2,
		      "option 'tos' is for IPv4 routes only");
	if (field_integer(L, 2, "nhid", 1, UINT32_MAX, &nhid))
		s->nhid = (uint32_t)nhid;
	luaL_argcheck(L, !s->nhid || !s->onlink, 2,
		      "option 'onlink' is the nexthop object's to say, not with option 'nhid'");
	lua_pop(L, 1);
	/* iproute2's defaults: deletes match any scope; others are boot-protocol unicast. */
	s->type = (uint8_t)lns_opt_named(L, 2, "type", types, 255,
					 op == NNS_ROUTE_DEL ? RTN_UNSPEC : RTN_UNICAST);
	/* Local, broadcast, anycast and nat routes live in the local table unless told. */
	s->table = (uint32_t)opt_table(L, 2, false);
	if (lua_getfield(L, 2, "table") == LUA_TNIL &&
	    (s->type == RTN_LOCAL || s->type == RTN_BROADCAST || s->type == RTN_ANYCAST ||
	     s->type == RTN_NAT))
		s->table = RT_TABLE_LOCAL;
	lua_pop(L, 1);
	s->protocol = (uint8_t)lns_opt_named(L, 2, "protocol", lns_route_protocols, 255,
					     op == NNS_ROUTE_DEL ? RTPROT_UNSPEC : RTPROT_BOOT);
	s->scope = (uint8_t)lns_opt_named(L, 2, "scope", scopes, 255, default_scope(L, op, s));
	read_nexthops(L, 2, s);
	/* The devices are looked up once every option has passed its checks. */
	lua_getfield(L, 2, "dst"); /* a missing one is "route add 10.2.0.0/24 dev nope" */
	snprintf(what, sizeof(what), "%s %s", opname, lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_pushvalue(L, 2);
	ret = field_dev(L, h, 2, &s->ifindex, what, e);
	lua_pop(L, 1);
	if (ret == 0)
		ret = nexthop_devs(L, h, 2, s, what, e);
	return ret;
}

static int route_change(lua_State *L, int op)
{
	LNs *h = lns_check(L, 1);
	struct nns_route_spec s;
	struct nns_error e = { 0 };
	const char *label;

	memset(&s, 0, sizeof(s));
	if (route_spec(L, h, op, &s, &e) < 0)
		return lns_fail(L, 1, &e);
	lua_getfield(L, 2, "dst");
	label = lua_tostring(L, -1); /* still held by the table */
	lua_pop(L, 1);
	if (nns_route_change(&h->ns, op, &s, label, &e) < 0)
		return lns_fail(L, 1, &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int route_check(lua_State *L)
{
	struct nns_route_spec s;
	struct nns_error e = { 0 };

	memset(&s, 0, sizeof(s));
	route_spec(L, NULL, NNS_ROUTE_ADD, &s, &e);
	return 0;
}

/* route_problem(spec): what is wrong with @spec for ns:route_add, or nil; a dev is not looked up. */
int lns_route_problem(lua_State *L)
{
	return lns_problem(L, route_check);
}

static int ns_route_add(lua_State *L)
{
	return route_change(L, NNS_ROUTE_ADD);
}

static int ns_route_replace(lua_State *L)
{
	return route_change(L, NNS_ROUTE_REPLACE);
}

static int ns_route_del(lua_State *L)
{
	return route_change(L, NNS_ROUTE_DEL);
}

const luaL_Reg lns_route_methods[] = {
	{ "routes", ns_routes },
	{ "route_add", ns_route_add },
	{ "route_replace", ns_route_replace },
	{ "route_del", ns_route_del },
	{ NULL, NULL },
};
