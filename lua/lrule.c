// SPDX-License-Identifier: MIT
/* Policy rules: the rules, rule_add and rule_del methods (ip rule). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "lnetns.h"

static const struct lns_name actions[] = {
	{ FR_ACT_TO_TBL, "table" },
	{ FR_ACT_GOTO, "goto" },
	{ FR_ACT_NOP, "nop" },
	{ FR_ACT_BLACKHOLE, "blackhole" },
	{ FR_ACT_UNREACHABLE, "unreachable" },
	{ FR_ACT_PROHIBIT, "prohibit" },
	{ 0, NULL },
};

static const struct lns_name ipprotos[] = {
	{ IPPROTO_ICMP, "icmp" },	 { IPPROTO_TCP, "tcp" },   { IPPROTO_UDP, "udp" },
	{ IPPROTO_ICMPV6, "ipv6-icmp" }, { IPPROTO_SCTP, "sctp" }, { 0, NULL },
};

/* IP protocols are named from /etc/protocols, as ip names them; these without it. */
static void push_ipproto(lua_State *L, uint8_t proto)
{
	struct protoent pe, *found = NULL;
	char buf[1024];

	if (getprotobynumber_r(proto, &pe, buf, sizeof(buf), &found) == 0 && found)
		lua_pushstring(L, found->p_name);
	else
		lns_push_name(L, ipprotos, proto);
}

static uint8_t opt_ipproto(lua_State *L, int arg)
{
	if (lua_getfield(L, arg, "ipproto") == LUA_TSTRING) {
		const char *name = lns_tocstring(L, -1, arg, "ipproto");
		struct protoent pe, *found = NULL;
		char buf[1024];

		if (getprotobyname_r(name, &pe, buf, sizeof(buf), &found) == 0 && found &&
		    found->p_proto >= 0 && found->p_proto <= 255) {
			lua_pop(L, 1);
			return (uint8_t)found->p_proto;
		}
	}
	lua_pop(L, 1);
	return (uint8_t)lns_opt_named(L, arg, "ipproto", ipprotos, 255, 0);
}

static const struct lns_name families[] = {
	{ AF_INET, "inet" },
	{ AF_INET6, "inet6" },
	{ AF_UNSPEC, "all" },
	{ 0, NULL },
};

/* ---- records ------------------------------------------------------------ */

static void set_int(lua_State *L, const char *key, lua_Integer value)
{
	lua_pushinteger(L, value);
	lua_setfield(L, -2, key);
}

/* ip -j writes such flags as null members; records have them true. */
static void set_true(lua_State *L, const char *key, bool cond)
{
	if (cond) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, key);
	}
}

/* As ip writes them: printf's "%#x" for marks ("0x10", but "0"), "0x%02x" for tos. */
static void set_hex(lua_State *L, const char *key, const char *format, uint32_t value)
{
	char buf[16];

	/* lua_pushfstring knows no %x */
	snprintf(buf, sizeof(buf), format, (unsigned)value);
	lua_pushstring(L, buf);
	lua_setfield(L, -2, key);
}

/* "all", or the address, with its length when it is not a single host. */
static void set_selector(lua_State *L, const char *key, const char *lenkey, int family,
			 const void *a, int len)
{
	char buf[NNS_INET_STRLEN];

	if (!a) {
		lua_pushliteral(L, "all");
		lua_setfield(L, -2, key);
		return;
	}
	lua_pushlstring(L, buf, nns_format_inet(family, a, -1, buf));
	lua_setfield(L, -2, key);
	if (len != (family == AF_INET ? 32 : 128))
		set_int(L, lenkey, len);
}

static void set_port_range(lua_State *L, const char *key, const uint16_t range[2])
{
	char start[16], end[16];

	if (!range[0])
		return;
	if (range[0] == range[1]) {
		set_int(L, key, range[0]);
		return;
	}
	snprintf(start, sizeof(start), "%s_start", key);
	snprintf(end, sizeof(end), "%s_end", key);
	set_int(L, start, range[0]);
	set_int(L, end, range[1]);
}

/* A rule record with ip -j rule names. */
void lns_push_rule(lua_State *L, const struct nns_rule *r)
{
	lua_createtable(L, 0, 8);
	lua_pushstring(L, r->family == AF_INET ? "inet" : "inet6");
	lua_setfield(L, -2, "family");
	set_int(L, "priority", r->priority);
	if (r->invert) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "not");
	}
	set_selector(L, "src", "srclen", r->family, r->src, r->src_len);
	if (r->dst)
		set_selector(L, "dst", "dstlen", r->family, r->dst, r->dst_len);
	if (r->tos)
		set_hex(L, "tos", "0x%02x", r->tos);
	if (r->has_fwmark) {
		set_hex(L, "fwmark", "%#x", r->fwmark);
		if (r->fwmask != UINT32_MAX)
			set_hex(L, "fwmask", "%#x", r->fwmask);
	}
	if (r->iif) {
		lua_pushstring(L, r->iif);
		lua_setfield(L, -2, "iif");
		set_true(L, "iif_detached", r->iif_detached);
	}
	if (r->oif) {
		lua_pushstring(L, r->oif);
		lua_setfield(L, -2, "oif");
		set_true(L, "oif_detached", r->oif_detached);
	}
	if (r->has_uidrange && !(r->uidrange[0] == 0 && r->uidrange[1] == UINT32_MAX)) {
		set_int(L, "uid_start", r->uidrange[0]);
		set_int(L, "uid_end", r->uidrange[1]);
	}
	if (r->ipproto) {
		push_ipproto(L, r->ipproto);
		lua_setfield(L, -2, "ipproto");
	}
	set_port_range(L, "sport", r->sport);
	set_port_range(L, "dport", r->dport);
	if (r->l3mdev) { /* ip -j: "l3mdev": null, and no table */
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "l3mdev");
	}
	/* As ip: the table whatever the action, with what suppresses its routes. */
	if (r->table) {
		lns_push_name(L, lns_route_tables, r->table);
		lua_setfield(L, -2, "table");
		if (r->has_suppress_prefixlen)
			set_int(L, "suppress_prefixlen", r->suppress_prefixlen);
	}
	/* As ip: who made it, unless the kernel did (or nobody said). */
	if (r->protocol != RTPROT_UNSPEC && r->protocol != RTPROT_KERNEL) {
		lns_push_name(L, lns_route_protocols, r->protocol);
		lua_setfield(L, -2, "protocol");
	}
	/* ip -j's "nop": null (null members are true), and the action named for every kind */
	set_true(L, "nop", r->action == FR_ACT_NOP);
	if (r->action != FR_ACT_TO_TBL) {
		lns_push_name(L, actions, r->action);
		lua_setfield(L, -2, "action");
		if (r->action == FR_ACT_GOTO)
			set_int(L, "goto", r->goto_priority);
		set_true(L, "unresolved", r->unresolved);
	}
}

struct rule_acc {
	lua_State *L;
	lua_Integer n;
};

static int collect_rule(const struct nns_rule *r, void *data)
{
	struct rule_acc *acc = data;

	/* Multicast routing keeps rules of its own families; ip rule shows none of them. */
	if (r->family != AF_INET && r->family != AF_INET6)
		return 0;
	lns_push_rule(acc->L, r);
	lua_rawseti(acc->L, -2, ++acc->n);
	return 0;
}

static int ns_rules(lua_State *L)
{
	static const char *const known[] = { "family", NULL };
	LNs *h = lns_check(L, 1);
	struct rule_acc acc = { L, 0 };
	struct nns_error e = { 0 };
	int family = AF_UNSPEC, buffer, ret;

	lns_check_options(L, 2, known);
	if (lua_istable(L, 2))
		family = (int)lns_opt_named(L, 2, "family", families, 0, AF_UNSPEC);
	buffer = lns_push_dump_buffer(L);
	lua_newtable(L);
	lns_lend_dump_buffer(L, buffer);
	ret = nns_rule_dump(&h->ns, family, collect_rule, &acc, &e);
	lns_keep_dump_buffer(L, buffer);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	return 1;
}

/* ---- changes ------------------------------------------------------------ */

static const char *const rule_options[] = {
	"family", "priority", "from",	  "to",		"iif",	    "oif",
	"fwmark", "fwmask",   "table",	  "action",	"goto",	    "not",
	"tos",	  "ipproto",  "sport",	  "dport",	"uidrange", "suppress_prefixlength",
	"l3mdev", "protocol", "exist_ok", "missing_ok", NULL,
};

static lua_Integer field_int(lua_State *L, int arg, const char *key, lua_Integer max, bool *has)
{
	int t = lua_getfield(L, arg, key), isnum;
	lua_Integer n = lua_tointegerx(L, -1, &isnum);

	*has = t != LUA_TNIL;
	if (*has && !isnum)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' must be an integer, got %s", key,
					      luaL_typename(L, -1)));
	if (*has && (n < 0 || n > max))
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' out of range (0 to %I)", key, max));
	lua_pop(L, 1);
	return n;
}

static const char *field_string(lua_State *L, int arg, const char *key)
{
	int t = lua_getfield(L, arg, key);
	const char *s;

	/* before lua_tostring, which would turn a number into a string */
	if (t != LUA_TNIL && t != LUA_TSTRING)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' must be a string, got %s", key,
					      luaL_typename(L, -1)));
	s = lns_tocstring(L, -1, arg, key); /* the table keeps it alive */
	lua_pop(L, 1);
	return t == LUA_TSTRING ? s : NULL;
}

/* Option @key, "all" or an address with or without a length; len -1 when absent. */
static void field_selector(lua_State *L, int arg, const char *key, struct nns_prefix *p)
{
	const char *s = field_string(L, arg, key), *why;

	p->len = -1;
	if (!s || !strcmp(s, "all"))
		return;
	if (nns_parse_network(s, p, &why) < 0)
		luaL_argerror(L, arg, lua_pushfstring(L, "invalid %s \"%s\": %s", key, s, why));
	if (p->len < 0)
		p->len = (int)nns_addr_bytes(p->family) * 8;
}

/* An interface name option; the kernel matches it even before the device exists. */
static const char *field_ifname(lua_State *L, int arg, const char *key)
{
	const char *s = field_string(L, arg, key), *why;

	if (s && nns_valid_ifname(s, &why) < 0)
		luaL_argerror(L, arg, lua_pushfstring(L, "invalid %s \"%s\": %s", key, s, why));
	return s;
}

/* fwmark = 16, "0x10" or "0x10/0xff" (mark and mask, as ip rule writes them). */
static void field_fwmark(lua_State *L, int arg, struct nns_rule_spec *s)
{
	bool has_mask;
	lua_Integer mask;
	int t = lua_getfield(L, arg, "fwmark");

	s->fwmask = UINT32_MAX;
	if (t == LUA_TNUMBER || t == LUA_TSTRING) {
		const char *text = lns_tocstring(L, -1, arg, "fwmark");
		char *end;
		unsigned long mark = strtoul(text, &end, 0), slash = UINT32_MAX;
		bool empty = end == text; /* no mark, as in "/0xff" */

		if (*end == '/') {
			const char *mask_text = end + 1;

			slash = strtoul(mask_text, &end, 0);
			empty = empty || end == mask_text;
		}
		if (empty || *end || text[0] == '-' || mark > UINT32_MAX || slash > UINT32_MAX)
			luaL_argerror(L, arg, lua_pushfstring(L, "invalid fwmark \"%s\"", text));
		s->has_fwmark = true;
		s->has_fwmask = strchr(text, '/') != NULL;
		s->fwmark = (uint32_t)mark;
		s->fwmask = (uint32_t)slash;
	} else if (t != LUA_TNIL) {
		luaL_argerror(L, arg, "option 'fwmark' must be an integer or a string");
	}
	lua_pop(L, 1);
	mask = field_int(L, arg, "fwmask", UINT32_MAX, &has_mask);
	if (has_mask) {
		s->fwmask = (uint32_t)mask;
		s->has_fwmask = true;
	}
	if (has_mask && !s->has_fwmark)
		luaL_argerror(L, arg, "option 'fwmask' needs option 'fwmark'");
}

/* How many entries table @idx has, whatever their keys. */
static size_t table_size(lua_State *L, int idx)
{
	size_t n = 0;

	idx = lua_absindex(L, idx);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		n++;
	}
	return n;
}

/*
 * A range option: 80, { 1000, 2000 } or "1000-2000", from @min to @max;
 * false when absent.  @what names its values for the message.
 */
static bool field_range(lua_State *L, int arg, const char *key, lua_Integer min, lua_Integer max,
			const char *what, lua_Integer *first, lua_Integer *last)
{
	int t = lua_getfield(L, arg, key);
	lua_Integer lo = 0, hi = 0;
	bool ok = true;

	if (t == LUA_TNUMBER) {
		ok = lua_isinteger(L, -1);
		lo = hi = lua_tointeger(L, -1);
	} else if (t == LUA_TTABLE) {
		/* { lo, hi } and nothing else: a third port would be dropped unseen */
		ok = table_size(L, -1) == 2;
		lua_rawgeti(L, -1, 1);
		lua_rawgeti(L, -2, 2);
		ok = ok && lua_isinteger(L, -2) && lua_isinteger(L, -1);
		lo = lua_tointeger(L, -2);
		hi = lua_tointeger(L, -1);
		lua_pop(L, 2);
	} else if (t == LUA_TSTRING) {
		const char *text = lns_tocstring(L, -1, arg, key);
		char *end;

		/* digits, or digits-digits: strtoll would take spaces and signs too */
		ok = isdigit((unsigned char)text[0]);
		lo = hi = strtoll(text, &end, 10);
		if (*end == '-') {
			ok = ok && isdigit((unsigned char)end[1]);
			hi = strtoll(end + 1, &end, 10);
		}
		ok = ok && !*end;
	} else if (t != LUA_TNIL) {
		ok = false;
	}
	if (!ok || (t != LUA_TNIL && (lo < min || hi > max || lo > hi)))
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' must be %s (%I to %I)", key, what,
					      min, max));
	lua_pop(L, 1);
	*first = lo;
	*last = hi;
	return t != LUA_TNIL;
}

/* sport/dport; the kernel refuses 65535 (fib_rule_port_range_valid: end < 0xffff). */
static void field_ports(lua_State *L, int arg, const char *key, uint16_t ports[2])
{
	lua_Integer first, last;

	field_range(L, arg, key, 1, 65534, "a port or a range of ports", &first, &last);
	ports[0] = (uint16_t)first;
	ports[1] = (uint16_t)last;
}

/* uidrange, as ip rule takes it; (uid_t)-1 is no user. */
static void field_uids(lua_State *L, int arg, struct nns_rule_spec *s)
{
	lua_Integer first, last;

	s->has_uidrange = field_range(L, arg, "uidrange", 0, UINT32_MAX - 1,
				      "a user id or a range of them", &first, &last);
	s->uidrange[0] = (uint32_t)first;
	s->uidrange[1] = (uint32_t)last;
}

static bool field_bool(lua_State *L, int arg, const char *key)
{
	int t = lua_getfield(L, arg, key);
	bool value = lua_toboolean(L, -1);

	if (t != LUA_TNIL && t != LUA_TBOOLEAN)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "option '%s' must be a boolean, got %s", key,
					      luaL_typename(L, -1)));
	lua_pop(L, 1);
	return value;
}

static int rule_family(lua_State *L, int arg, struct nns_rule_spec *s)
{
	int family = (int)lns_opt_named(L, arg, "family", families, 0, AF_UNSPEC);
	int from = s->src.len >= 0 ? s->src.family : AF_UNSPEC;
	int to = s->dst.len >= 0 ? s->dst.family : AF_UNSPEC;

	if ((from && to && from != to) ||
	    (family && ((from && from != family) || (to && to != family))))
		luaL_argerror(L, arg, "options 'from', 'to' and 'family' disagree on the family");
	return family ? family : from ? from : to ? to : AF_INET;
}

/*
 * Whether @s says which rule to delete.  The kernel matches by the fields
 * a request sets to something other than 0 (not = true is no field), so a
 * delete by none of them takes the first rule there is, the local table's,
 * and ends all delivery to the namespace (ip rule del refuses one without
 * arguments).
 */
static bool selects_rule(const struct nns_rule_spec *s)
{
	return s->has_priority || s->src.len > 0 || s->dst.len > 0 || (s->iif && *s->iif) ||
	       (s->oif && *s->oif) || s->fwmark || (s->has_fwmask && s->fwmask) || s->tos ||
	       s->ipproto || s->sport[0] || s->dport[0] || s->has_uidrange ||
	       s->has_suppress_prefixlen || s->table || s->l3mdev || s->protocol ||
	       s->action != FR_ACT_UNSPEC;
}

static void rule_spec(lua_State *L, int arg, bool add, struct nns_rule_spec *s)
{
	bool has_tos, has_goto;

	luaL_checktype(L, arg, LUA_TTABLE);
	lns_check_options(L, arg, rule_options);
	field_selector(L, arg, "from", &s->src);
	field_selector(L, arg, "to", &s->dst);
	s->family = rule_family(L, arg, s);
	s->priority = (uint32_t)field_int(L, arg, "priority", UINT32_MAX, &s->has_priority);
	s->iif = field_ifname(L, arg, "iif");
	s->oif = field_ifname(L, arg, "oif");
	field_fwmark(L, arg, s);
	s->tos = (uint8_t)field_int(L, arg, "tos", 255, &has_tos);
	s->ipproto = opt_ipproto(L, arg);
	field_ports(L, arg, "sport", s->sport);
	field_ports(L, arg, "dport", s->dport);
	field_uids(L, arg, s);
	/* any length, as ip takes (one longer than an address's suppresses nothing) */
	s->suppress_prefixlen = (uint32_t)field_int(L, arg, "suppress_prefixlength", INT32_MAX,
						    &s->has_suppress_prefixlen);
	s->goto_priority = (uint32_t)field_int(L, arg, "goto", UINT32_MAX, &has_goto);
	s->invert = field_bool(L, arg, "not");
	s->l3mdev = field_bool(L, arg, "l3mdev");
	s->protocol = (uint8_t)lns_opt_named(L, arg, "protocol", lns_route_protocols, 255, 0);
	/*
	 * As with ip rule: a table (or l3mdev, the VRF's table) means "look it
	 * up", goto means goto; adding needs an action, deleting by selector
	 * alone matches any.
	 */
	s->table = (uint32_t)lns_opt_named(L, arg, "table", lns_route_tables, UINT32_MAX, 0);
	s->action = (uint8_t)lns_opt_named(L, arg, "action", actions, 255,
					   has_goto		   ? FR_ACT_GOTO
					   : s->table || s->l3mdev ? FR_ACT_TO_TBL
					   : add		   ? FR_ACT_UNSPEC
								   : FR_ACT_TO_TBL);
	if (has_goto && s->action != FR_ACT_GOTO)
		luaL_argerror(L, arg, "option 'goto' needs action \"goto\"");
	if (add && s->action == FR_ACT_UNSPEC)
		luaL_argerror(L, arg, "a rule needs option 'table' or 'action'");
	if (add && s->action == FR_ACT_TO_TBL && !s->table && !s->l3mdev)
		luaL_argerror(L, arg, "action \"table\" needs option 'table'");
	if (!add && s->action == FR_ACT_TO_TBL && !s->table && !s->l3mdev) {
		/* Deleting by selector alone: any action matches. */
		s->action = FR_ACT_UNSPEC;
	}
	if (!add && !selects_rule(s))
		luaL_argerror(L, arg,
			      "a rule to delete needs an option that selects it "
			      "('family', 'not', 0 and \"all\" select none)");
}

/* How messages name a rule: its priority, or what it selects. */
static const char *rule_label(lua_State *L, int arg)
{
	if (lua_getfield(L, arg, "priority") == LUA_TNUMBER)
		return lua_pushfstring(L, "pref %s", lua_tostring(L, -1));
	lua_pop(L, 1);
	if (lua_getfield(L, arg, "from") == LUA_TSTRING)
		return lua_pushfstring(L, "from %s", lua_tostring(L, -1));
	lua_pop(L, 1);
	if (lua_getfield(L, arg, "to") == LUA_TSTRING)
		return lua_pushfstring(L, "to %s", lua_tostring(L, -1));
	lua_pop(L, 1);
	return lua_pushliteral(L, "from all");
}

static int rule_change(lua_State *L, bool add)
{
	LNs *h = lns_check(L, 1);
	struct nns_rule_spec s;
	struct nns_error e = { 0 };

	memset(&s, 0, sizeof(s));
	rule_spec(L, 2, add, &s);
	if (nns_rule_change(&h->ns, add, &s, rule_label(L, 2), &e) < 0)
		return lns_fail(L, 1, &e);
	lua_pushboolean(L, 1);
	return 1;
}

static int ns_rule_add(lua_State *L)
{
	return rule_change(L, true);
}

static int ns_rule_del(lua_State *L)
{
	return rule_change(L, false);
}

const luaL_Reg lns_rule_methods[] = {
	{ "rules", ns_rules },
	{ "rule_add", ns_rule_add },
	{ "rule_del", ns_rule_del },
	{ NULL, NULL },
};
