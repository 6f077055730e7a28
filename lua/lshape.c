// SPDX-License-Identifier: MIT
/* ns:shape(dev, rate [, { burst=, latency= }]): a token bucket on a link. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lnetns.h"

/* "10mbit", "1.5gbit", "800kbps", 64000 (bit/s): bytes per second, or 0. */
static uint64_t parse_rate(const char *s)
{
	static const struct {
		const char *unit;
		double bytes;
	} units[] = {
		{ "", 0.125 },	   { "bit", 0.125 },  { "kbit", 125 }, { "mbit", 125e3 },
		{ "gbit", 125e6 }, { "tbit", 125e9 }, { "bps", 1 },    { "kbps", 1e3 },
		{ "mbps", 1e6 },   { "gbps", 1e9 },
	};
	char *end;
	double n = strtod(s, &end);
	size_t i;

	if (end == s || n <= 0)
		return 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(end, units[i].unit))
			return (uint64_t)(n * units[i].bytes);
	return 0;
}

/* The rate at @arg in bytes per second; raises on a bad one. */
static uint64_t check_rate(lua_State *L, int arg)
{
	const char *rate = luaL_checkstring(L, arg);
	uint64_t bytes = parse_rate(rate);

	luaL_argcheck(L, bytes > 0 && bytes < (1ull << 40), arg,
		      lua_pushfstring(L, "invalid rate \"%s\" (e.g. \"10mbit\")", rate));
	return bytes;
}

static int rate_check(lua_State *L)
{
	check_rate(L, 2);
	return 0;
}

/* rate_problem(rate): what is wrong with @rate for ns:shape, or nil. */
int lns_rate_problem(lua_State *L)
{
	return lns_problem(L, rate_check);
}

static int ns_shape(lua_State *L)
{
	static const char *const known[] = { "burst", "latency", NULL };
	LNs *h = lns_check(L, 1);
	struct nns_shaping s = { 0 };
	struct nns_error e = { 0 };
	char dev[64];
	double latency, limit;
	lua_Integer burst;
	bool has_burst;
	int ifindex, ret;

	s.rate = check_rate(L, 3);
	lns_check_options(L, 4, known);
	/* Default bucket: 10 ms of traffic, never less than two full frames. */
	burst = lns_opt_int(L, 4, "burst", 1, UINT32_MAX, &has_burst);
	s.burst =
		has_burst ? (uint32_t)burst : (uint32_t)(s.rate / 100 > 3200 ? s.rate / 100 : 3200);
	latency = lns_opt_number(L, 4, "latency", 0, 3600, 0.05);
	limit = s.burst + (double)s.rate * latency;
	luaL_argcheck(L, limit <= UINT32_MAX, 4, "burst and latency make a queue over 4 GiB");
	s.limit = (uint32_t)limit;
	ret = lns_resolve_dev(L, h, 2, 2, NULL, "qdisc add", &ifindex, &e);
	lns_dev_label(L, 2, dev, sizeof(dev));
	if (ret == 0)
		ret = nns_shape(&h->ns, ifindex, dev, &s, &e);
	else
		nns_error_set(&e, e.code, "qdisc add %s tbf", dev);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	lua_pushboolean(L, 1);
	return 1;
}

const luaL_Reg lns_shape_methods[] = {
	{ "shape", ns_shape },
	{ NULL, NULL },
};
