-- Routes: ns:routes, ns:route_add, ns:route_replace and ns:route_del, for
-- IPv4 and IPv6, each checked against what `ip -j route show` prints.
local H = require "helper"
local netns = require "netns"

-- What ip leaves out of a record when it has the usual value.
local DEFAULTS = { protocol = "boot", scope = "global", type = "unicast", table = "main" }

-- ip writes table and protocol numbers as strings ("100"); records may
-- carry them as numbers.  "pref" is compared by a test of its own, and so
-- is "expires", which counts down between two readings.
local AS_TEXT = { table = true, protocol = true }
local APART = { pref = true, expires = true }

-- A record in a form fit for comparison.  The metric ip writes as null
-- ("ecn": null, true in records) is lost in decoding: the tests compare
-- it through the route's line.
local function canon(rec)
  local out = {}
  for k, v in pairs(rec) do
    if not APART[k] then
      out[k] = AS_TEXT[k] and tostring(v) or v
    end
  end
  if out.metrics then
    local m = {}
    for k, v in pairs(out.metrics[1] or {}) do m[k] = v end
    m.ecn = nil
    out.metrics = { m }
  end
  return out
end

local key = H.key

local function sorted(list)
  table.sort(list, function(a, b) return key(a) < key(b) end)
  return list
end

local TABLE_NAMES = { [253] = "default", [254] = "main", [255] = "local" }

-- ip's records for @opts (family, table as for ns:routes), with the fields
-- ip leaves out at their defaults put back and the family it was asked for.
local function oracle(ns, opts)
  opts = opts or {}
  local out = {}
  for _, family in ipairs { "inet", "inet6" } do
    if opts.family == nil or opts.family == family then
      local args = ("%s route show table %s"):format(family == "inet" and "-4" or "-6",
        tostring(opts.table or "main"))
      local out_, ok = H.sh(H.inside(ns) .. "ip -j " .. args .. " 2>&1")
      -- ip -6 fails on a table that holds no IPv6 route: it is empty.
      local list = {}
      if not (not ok and out_:match("FIB table does not exist")) then
        list = H.ip(ns, args)
      end
      for _, rec in ipairs(H.denull(list)) do
        local rec_has_table = rec.table ~= nil
        for k, v in pairs(DEFAULTS) do
          if rec[k] == nil then rec[k] = v end
        end
        -- ip leaves the table out when it shows one table only.
        if opts.table and opts.table ~= "all" and opts.table ~= 0 and not rec_has_table then
          rec.table = TABLE_NAMES[opts.table] or tostring(opts.table)
        end
        rec.family = family
        out[#out + 1] = canon(rec)
      end
    end
  end
  return sorted(out)
end

-- The library's records for @opts, in the same form.
local function ours(ns, opts)
  local out = {}
  for _, rec in ipairs(ns:routes(opts)) do out[#out + 1] = canon(rec) end
  return sorted(out)
end

-- Asserts that ns:routes(opts) and ip agree, for @opts and for all tables.
local function agree(ns, opts)
  assert.same(oracle(ns, opts), ours(ns, opts))
  assert.same(oracle(ns, { table = "all" }), ours(ns, { table = "all" }))
end

-- The record of ns:routes(opts) with destination @dst (and @family if given).
local function find(ns, dst, opts)
  local found
  for _, rec in ipairs(ns:routes(opts)) do
    if rec.dst == dst then
      assert.is_nil(found, "two routes to " .. dst)
      found = rec
    end
  end
  return found
end

local fd_count = H.fd_count

-- Waits until link @dev of @ns has its carrier and the kernel has made the
-- routes of its IPv6 address @addr6: until then, routes come and go.
local function settle(ns, dev, addr6)
  for _ = 1, 100 do
    local link, local6, down = ns:link(dev), false, false
    for _, r in ipairs(ns:routes { table = "all" }) do
      local6 = local6 or (r.dst == addr6 and r.type == "local")
      for _, f in ipairs(r.flags) do down = down or f == "linkdown" end
    end
    if link.operstate == "UP" and local6 and not down then return end
    os.execute("sleep 0.05")
  end
  error(("link %s of %s did not settle"):format(dev, tostring(ns)))
end

-- Runs @fn, which must raise @msg, and asserts that nothing else changed:
-- open descriptors, the thread's namespace, the routes of @ns.
local function fails(ns, msg, fn)
  local fds, thread = fd_count(), H.thread_ns()
  local before, ip_before = ours(ns, { table = "all" }), oracle(ns, { table = "all" })
  H.raises(msg, fn)
  assert.equal(fds, fd_count())
  assert.equal(thread, H.thread_ns())
  assert.same(before, ours(ns, { table = "all" }))
  assert.same(ip_before, oracle(ns, { table = "all" }))
end

-- A namespace with lo up; IPv6 addresses of its links are usable at once
-- (no duplicate address detection), so that first packets are not lost.
local function up_with_lo(name)
  local ns = netns.add(name)
  ns:link_set("lo", { up = true })
  ns:sysctl("net.ipv6.conf.default.accept_dad", 0)
  return ns
end

describe("routes", function()
  local a, b, v0

  -- rt-a (v0: 10.9.0.1/24, fd00::1/64) <-> rt-b (v1: 10.9.0.2/24, fd00::2/64)
  before_each(function()
    a, b = up_with_lo "rt-a", up_with_lo "rt-b"
    local v1
    v0, v1 = a:veth("v0", "v1", { peer_ns = b, up = true })
    v0:addr_add "10.9.0.1/24"
    v1:addr_add "10.9.0.2/24"
    a:addr_add("v0", "fd00::1/64", { nodad = true })
    b:addr_add("v1", "fd00::2/64", { nodad = true })
    settle(a, "v0", "fd00::1")
    settle(b, "v1", "fd00::2")
  end)

  after_each(function()
    for _, ns in ipairs { a, b } do
      if ns then ns:delete() end
    end
    a, b = nil, nil
  end)

  describe("ns:routes", function()
    it("lists the kernel's own routes as ip shows them, for each family and table", function()
      for _, opts in ipairs {
        {}, { family = "inet" }, { family = "inet6" }, { table = "main" }, { table = "local" },
        { table = 254 }, { table = 255, family = "inet6" }, { table = "all" },
        { table = "all", family = "inet" },
      } do
        assert.same(oracle(a, opts), ours(a, opts))
      end
    end)

    it("shows a gateway of another family under via, as ip does", function()
      H.sh(H.inside(a) .. "ip route add 10.12.0.0/24 via inet6 fe80::1 dev v0")
      agree(a)
      local r = find(a, "10.12.0.0/24")
      assert.same({ family = "inet6", host = "fe80::1" }, r.via)
      assert.is_nil(r.gateway)
      assert.equal("10.12.0.0/24 via inet6 fe80::1 dev v0", tostring(r))
    end)

    it("shows a next hop's gateway of another family under via, as ip does", function()
      H.sh(H.inside(a) .. "ip route add 10.13.0.0/24 nexthop via inet6 fe80::1 dev v0 weight 2"
        .. " nexthop via 10.9.0.2 dev v0")
      agree(a)
      local nh = find(a, "10.13.0.0/24").nexthops
      assert.same({ family = "inet6", host = "fe80::1" }, nh[1].via)
      assert.is_nil(nh[1].gateway)
      assert.equal("10.9.0.2", nh[2].gateway)
      assert.equal("10.13.0.0/24 nexthop via inet6 fe80::1 dev v0 weight 2"
        .. " nexthop via 10.9.0.2 dev v0 weight 1", tostring(find(a, "10.13.0.0/24")))
    end)

    it("gives the connected route protocol kernel, scope link and the source address", function()
      assert.same({
        dst = "10.9.0.0/24", dev = "v0", family = "inet", protocol = "kernel", scope = "link",
        prefsrc = "10.9.0.1", type = "unicast", table = "main", flags = {},
      }, find(a, "10.9.0.0/24", { family = "inet" }))
      local r = find(a, "fd00::/64", { family = "inet6" })
      assert.same({ "fd00::/64", "v0", "inet6", "kernel", 256, "unicast", "main" },
        { r.dst, r.dev, r.family, r.protocol, r.metric, r.type, r.table })
      local l = find(a, "10.9.0.1", { table = "local", family = "inet" })
      assert.same({ "local", "host", "kernel", "local" }, { l.type, l.scope, l.protocol, l.table })
    end)

    it("shows table main of both families by default", function()
      local families = {}
      for _, r in ipairs(a:routes()) do
        assert.equal("main", r.table)
        families[r.family] = true
      end
      assert.same({ inet = true, inet6 = true }, families)
      assert.same(ours(a, { table = "main" }), ours(a))
      assert.same(ours(a), ours(a, { family = "all" }))
    end)

    it("carries the fields ip leaves out at their defaults", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      local raw
      for _, r in ipairs(H.denull(H.ip(a, "-4 route show"))) do
        if r.dst == "10.20.0.0/16" then raw = r end
      end
      assert.same({ dst = "10.20.0.0/16", gateway = "10.9.0.2", dev = "v0", flags = {} }, raw)
      assert.same({
        dst = "10.20.0.0/16", gateway = "10.9.0.2", dev = "v0", flags = {}, family = "inet",
        protocol = "boot", scope = "global", type = "unicast", table = "main",
      }, find(a, "10.20.0.0/16"))
    end)

    it("carries ip's pref on IPv6 routes", function()
      a:route_add { dst = "fd10::/64", gateway = "fd00::2" }
      for _, r in ipairs(H.denull(H.ip(a, "-6 route show table all"))) do
        local mine = find(a, r.dst, { family = "inet6", table = r.table or "main" })
        assert.equal(r.pref, mine and mine.pref, "pref of " .. r.dst)
      end
    end)
  end)

  describe("ns:route_add", function()
    it("adds an IPv4 network via a gateway", function()
      assert.is_true(a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" })
      agree(a)
      assert.equal("10.9.0.2", find(a, "10.20.0.0/16").gateway)
    end)

    it("adds an IPv4 network via an IPv6 gateway, as ip route add ... via inet6", function()
      assert.is_true(a:route_add { dst = "10.20.0.0/16", gateway = "fe80::1", dev = "v0" })
      assert.is_true(a:route_add { dst = "default", family = "inet", gateway = "fd00::2" })
      assert.is_true(a:route_add { dst = "10.21.0.0/16",
        nexthops = { { gateway = "fe80::1", dev = "v0", weight = 2 }, { gateway = "10.9.0.2" } } })
      agree(a)
      assert.same({ family = "inet6", host = "fe80::1" }, find(a, "10.20.0.0/16").via)
      assert.same({ family = "inet6", host = "fd00::2" }, find(a, "default", { family = "inet" }).via)
      assert.equal("10.21.0.0/16 nexthop via inet6 fe80::1 dev v0 weight 2 nexthop via 10.9.0.2 dev v0 weight 1",
        tostring(find(a, "10.21.0.0/16")))
      assert.is_true(a:route_del { dst = "10.20.0.0/16", gateway = "fe80::1", dev = "v0" })
      assert.is_nil(find(a, "10.20.0.0/16"))
      agree(a)
    end)

    it("adds an IPv6 network via a gateway", function()
      assert.is_true(a:route_add { dst = "fd10::/64", gateway = "fd00::2" })
      agree(a, { family = "inet6" })
      local r = find(a, "fd10::/64", { family = "inet6" })
      assert.same({ "fd00::2", "v0", 1024, "boot" }, { r.gateway, r.dev, r.metric, r.protocol })
    end)

    it("adds host routes, written as ip writes them", function()
      a:route_add { dst = "10.21.0.5", dev = "v0" }
      a:route_add { dst = "10.21.0.6/32", gateway = "10.9.0.2" }
      a:route_add { dst = "fd11::5", gateway = "fe80::1", dev = "v0" }
      a:route_add { dst = "fd11::6/128", dev = "v0" }
      agree(a)
      assert.equal("link", find(a, "10.21.0.5").scope)
      assert.equal("10.9.0.2", find(a, "10.21.0.6").gateway)
      assert.equal("fe80::1", find(a, "fd11::5").gateway)
      assert.truthy(find(a, "fd11::6"))
    end)

    it("takes an IPv4 network written short before its length, as ip does", function()
      assert.is_true(a:route_add { dst = "11/8", gateway = "10.9.0.2" })
      assert.is_true(a:route_add { dst = "172.30/16", dev = "v0" })
      agree(a)
      assert.equal("10.9.0.2", find(a, "11.0.0.0/8").gateway)
      assert.truthy(find(a, "172.30.0.0/16"))
      assert.is_true(a:route_del { dst = "11/8" })
      assert.is_nil(find(a, "11.0.0.0/8"))
    end)

    it("takes dev as a name or an index", function()
      a:route_add { dst = "10.22.0.0/16", dev = "v0" }
      a:route_add { dst = "10.23.0.0/16", dev = v0.ifindex }
      a:route_add { dst = "10.25.0.0/16", dev = v0.ifindex + 0.0 }   -- a float with an integer value
      a:route_add { dst = "fd12::/64", dev = v0.ifindex }
      a:route_add { dst = "10.24.0.0/16", gateway = "10.9.0.2", dev = v0.ifindex }
      agree(a)
      for _, dst in ipairs { "10.22.0.0/16", "10.23.0.0/16", "fd12::/64", "10.24.0.0/16", "10.25.0.0/16" } do
        assert.equal("v0", find(a, dst).dev)
      end
      assert.equal("link", find(a, "10.23.0.0/16").scope)
    end)

    it("adds default routes of the gateway's family", function()
      a:route_add { dst = "default", gateway = "10.9.0.2" }
      a:route_add { dst = "default", gateway = "fd00::2" }
      agree(a)
      local v4 = find(a, "default", { family = "inet" })
      local v6 = find(a, "default", { family = "inet6" })
      assert.same({ "10.9.0.2", "inet", "v0" }, { v4.gateway, v4.family, v4.dev })
      assert.same({ "fd00::2", "inet6", "v0" }, { v6.gateway, v6.family, v6.dev })
    end)

    it("adds default routes of the family option, IPv4 when nothing says", function()
      a:route_add { dst = "default", family = "inet6", type = "unreachable" }
      a:route_add { dst = "default", dev = "v0" }
      a:route_add { dst = "default", family = "inet", type = "blackhole", table = 7 }
      agree(a)
      agree(a, { table = 7 })
      assert.equal("unreachable", find(a, "default", { family = "inet6" }).type)
      local v4 = find(a, "default", { family = "inet" })
      assert.same({ "v0", "link", "unicast" }, { v4.dev, v4.scope, v4.type })
      assert.same({ "inet", "blackhole" }, {
        find(a, "default", { table = 7 }).family, find(a, "default", { table = 7 }).type })
    end)

    it("sets the metric", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", metric = 50 }
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", metric = 60 }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2", metric = 7 }
      agree(a)
      local metrics = {}
      for _, r in ipairs(a:routes { family = "inet" }) do
        if r.dst == "10.20.0.0/16" then metrics[#metrics + 1] = r.metric end
      end
      table.sort(metrics)
      assert.same({ 50, 60 }, metrics)
      assert.equal(7, find(a, "fd10::/64").metric)
    end)

    it("puts routes in tables by number, main and local", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", table = 100 }
      a:route_add { dst = "10.21.0.0/16", type = "prohibit", table = 5000 }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2", table = 100 }
      a:route_add { dst = "10.22.0.0/16", gateway = "10.9.0.2", table = "main" }
      a:route_add { dst = "10.24.0.7", type = "local", dev = "v0", table = "local" }
      -- table ids are 32-bit unsigned, as for ip
      a:route_add { dst = "10.23.0.0/16", gateway = "10.9.0.2", table = 4294967295 }
      for _, t in ipairs { 100, 5000, 4294967295, "main", "local", "all", 0 } do
        agree(a, { table = t })
      end
      assert.equal(100, find(a, "10.20.0.0/16", { table = 100 }).table)
      assert.equal(5000, find(a, "10.21.0.0/16", { table = 5000 }).table)
      assert.equal(4294967295, find(a, "10.23.0.0/16", { table = 4294967295 }).table)
      -- table 0 lists every table, as "ip route show table 0" does
      assert.same(ours(a, { table = "all" }), ours(a, { table = 0 }))
      assert.equal(4294967295, find(a, "10.23.0.0/16", { table = 0 }).table)
      a:route_del { dst = "10.23.0.0/16", table = 4294967295 }
      assert.is_nil(find(a, "10.23.0.0/16", { table = "all" }))
      assert.equal("fd00::2", find(a, "fd10::/64", { table = 100 }).gateway)
      assert.is_nil(find(a, "10.20.0.0/16"))
      assert.equal("main", find(a, "10.22.0.0/16").table)
      -- a number as ip -j writes it, a string of digits
      a:route_add { dst = "10.25.0.0/16", gateway = "10.9.0.2", table = "5000" }
      assert.equal(5000, find(a, "10.25.0.0/16", { table = "5000" }).table)
      agree(a, { table = "5000" })
      local l = find(a, "10.24.0.7", { table = "local" })
      assert.same({ "local", "host", "local", "boot" }, { l.type, l.scope, l.table, l.protocol })
    end)

    it("adds, lists and deletes IPv6 source-specific routes (from)", function()
      a:route_add { dst = "fd31::/64", from = "fd00:1::/64", gateway = "fd00::2" }
      a:route_add { dst = "fd31::/64", gateway = "fd00::3" }
      a:route_add { dst = "fd32::/64", from = "fd00:1::5", gateway = "fd00::2" }
      agree(a)
      local from = {}
      for _, r in ipairs(a:routes { family = "inet6" }) do
        if r.dst == "fd31::/64" or r.dst == "fd32::/64" then
          from[#from + 1] = r.dst .. " " .. tostring(r.from) .. " " .. r.gateway
        end
      end
      table.sort(from)
      assert.same({ "fd31::/64 fd00:1::/64 fd00::2", "fd31::/64 nil fd00::3", "fd32::/64 fd00:1::5 fd00::2" },
                  from)
      local line = H.sh(H.inside(a) .. "ip -6 route show fd32::/64"):gsub("%s+$", "")
      for _, r in ipairs(a:routes { family = "inet6" }) do
        if r.dst == "fd32::/64" then assert.equal(line, tostring(r)) end
      end
      -- a delete that names the sources takes that route, and only it
      assert.is_true(a:route_del { dst = "fd31::/64", from = "fd00:1::/64" })
      agree(a)
      assert.equal("fd00::3", find(a, "fd31::/64").gateway)
      assert.is_nil(find(a, "fd31::/64").from)
    end)

    it("sets route metrics as ip does, and lists every metric as ip -j nests them", function()
      a:route_add { dst = "10.36.0.0/16", gateway = "10.9.0.2", mtu = 1400, advmss = 1360, hoplimit = 5,
                    initcwnd = 10, initrwnd = 20, window = 1000 }
      a:route_add { dst = "fd36::/64", gateway = "fd00::2", mtu = 1300 }
      H.sh(H.inside(a) .. "ip route add 10.37.0.0/16 via 10.9.0.2 mtu lock 1300 congctl cubic rtt 10ms"
           .. " rttvar 4ms features ecn quickack 1 reordering 4")
      agree(a)
      assert.same({ { mtu = 1400, advmss = 1360, hoplimit = 5, initcwnd = 10, initrwnd = 20, window = 1000 } },
                  find(a, "10.36.0.0/16").metrics)
      assert.same({ { mtu = 1300 } }, find(a, "fd36::/64").metrics)
      assert.same({ { mtu = 1300, congestion = "cubic", rtt = 10, rttvar = 4, ecn = true, quickack = 1,
                      reordering = 4 } }, find(a, "10.37.0.0/16").metrics)
      for _, dst in ipairs { "10.36.0.0/16", "10.37.0.0/16" } do
        local line = H.sh(H.inside(a) .. "ip route show " .. dst):gsub("%s+$", ""):gsub(" lock ", " ")
        assert.equal(line, tostring(find(a, dst)))
      end
      a:route_del { dst = "10.36.0.0/16" }
      assert.is_nil(find(a, "10.36.0.0/16"))
    end)

    it("lists a route's last second and one expired but not yet removed as ip does", function()
      a:route_add { dst = "fd39::/64", gateway = "fd00::2", expires = 1 }
      a:route_add { dst = "fd3a::/64", gateway = "fd00::2", expires = 3 }
      H.sh("sleep 2.5")
      for _, dst in ipairs { "fd39::/64", "fd3a::/64" } do
        local function ip_line() return (H.sh(H.inside(a) .. "ip -6 route show " .. dst):gsub("%s+$", "")) end
        local before, r, after = ip_line(), find(a, dst), ip_line()
        if before == "" then   -- the kernel removed it already: so must the listing
          assert.is_nil(r)
        else
          assert.is_truthy(tostring(r) == before or tostring(r) == after, tostring(r) .. " / " .. before)
        end
      end
      -- 0.5 s left: ip's "expires 0sec"; 1.5 s past: "expires -1sec", unless removed
      local last = find(a, "fd3a::/64")
      assert.equal(0, last.expires)
      local gone = find(a, "fd39::/64")
      assert.is_truthy(gone == nil or gone.expires == -1, gone and gone.expires)
    end)

    it("adds routes by tos, by nexthop object and with onlink next hops, as ip makes them", function()
      H.sh(H.inside(a) .. "ip nexthop add id 7 via 10.9.0.2 dev v0")
      a:route_add { dst = "10.40.0.0/16", gateway = "10.9.0.2", tos = 0x10 }
      a:route_add { dst = "10.40.0.0/16", gateway = "10.9.0.3", tos = "0x04" }
      a:route_add { dst = "10.41.0.0/16", nhid = 7 }
      H.sh(H.inside(a) .. "ip route add 10.44.0.0/16 nhid 7")
      a:route_add { dst = "10.42.0.0/16", nexthops = { { gateway = "10.99.0.1", dev = "v0", onlink = true },
                                                       { gateway = "10.9.0.3" } } }
      H.sh(H.inside(a) .. "ip route add 10.43.0.0/16 tos 0x10 nhid 7")
      agree(a)
      assert.equal("0x10", find(a, "10.43.0.0/16").tos)
      assert.equal(7, find(a, "10.41.0.0/16").nhid)
      assert.equal(find(a, "10.44.0.0/16").scope, find(a, "10.41.0.0/16").scope)
      local hops = find(a, "10.42.0.0/16").nexthops
      assert.same({ { "onlink" }, {} }, { hops[1].flags, hops[2].flags })
      for _, dst in ipairs { "10.41.0.0/16", "10.42.0.0/16", "10.43.0.0/16" } do
        local line = H.sh(H.inside(a) .. "ip route show " .. dst):gsub("%s+$", ""):gsub("%s*\n%s*", " ")
        assert.equal(line, tostring(find(a, dst)))
      end
      a:route_del { dst = "10.40.0.0/16", tos = 4 }
      assert.equal("0x10", find(a, "10.40.0.0/16").tos)
      a:route_del { dst = "10.41.0.0/16", nhid = 7 }
      assert.is_nil(find(a, "10.41.0.0/16"))
      agree(a)
    end)

    it("takes 'from default' as every source, and the family of a default route from 'from'", function()
      a:route_add { dst = "fd40::/64", dev = "v0", from = "default" }
      a:route_add { dst = "10.40.0.0/16", dev = "v0", from = "default" }
      a:route_add { dst = "fd41::/64", dev = "v0", tos = 0 }   -- no tos, as for IPv4
      a:route_add { dst = "default", from = "fd00:1::/64", dev = "v0" }
      agree(a)
      assert.is_nil(find(a, "fd40::/64").from)
      assert.equal("fd00:1::/64", find(a, "default", { family = "inet6" }).from)
      assert.is_nil(find(a, "default", { family = "inet" }))
    end)

    it("writes times of a second and more in seconds, as ip does", function()
      H.sh(H.inside(a) .. "ip route add 10.38.0.0/16 via 10.9.0.2 rtt 1500ms rttvar 2s ssthresh 5")
      assert.same({ { rtt = 1500, rttvar = 2000, ssthresh = 5 } }, find(a, "10.38.0.0/16").metrics)
      local line = H.sh(H.inside(a) .. "ip route show 10.38.0.0/16"):gsub("%s+$", "")
      assert.equal(line, tostring(find(a, "10.38.0.0/16")))
      assert.matches("rtt 1.5s rttvar 2s", line)
    end)

    it("adds an IPv6 route that expires, and lists the seconds it has left", function()
      a:route_add { dst = "fd38::/64", gateway = "fd00::2", expires = 300 }
      agree(a)
      local r = find(a, "fd38::/64")
      assert.is_true(r.expires > 290 and r.expires <= 300, tostring(r.expires))
      local line = H.sh(H.inside(a) .. "ip -6 route show fd38::/64"):gsub("%s+$", "")
      local left = tonumber(line:match("expires (%d+)sec"))
      assert.is_true(math.abs(left - r.expires) <= 2)
      assert.equal(line:gsub("expires %d+sec", ""), tostring(r):gsub("expires %d+sec", ""))
      assert.is_nil(find(a, "fd00::/64").expires)
    end)

    it("sets the preferred source with src", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", src = "10.9.0.1" }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2", src = "fd00::1" }
      agree(a)
      assert.equal("10.9.0.1", find(a, "10.20.0.0/16").prefsrc)
      assert.equal("fd00::1", find(a, "fd10::/64").prefsrc)
    end)

    it("reaches a gateway outside every subnet with onlink", function()
      a:route_add { dst = "10.30.0.0/16", gateway = "10.77.0.1", dev = "v0", onlink = true }
      agree(a)
      local r = find(a, "10.30.0.0/16")
      assert.same({ "10.77.0.1", "v0", { "onlink" } }, { r.gateway, r.dev, r.flags })
    end)

    it("makes each next hop of a multipath route onlink, as ip does, not the route itself", function()
      a:route_add { dst = "10.34.0.0/16", onlink = true, nexthops = {
        { gateway = "10.77.0.1", dev = "v0" }, { gateway = "10.77.0.2", dev = "v0" } } }
      H.sh(H.inside(a) .. "ip route add 10.35.0.0/16 nexthop via 10.77.0.1 dev v0 onlink"
           .. " nexthop via 10.77.0.2 dev v0 onlink")
      agree(a)
      local mine, theirs = find(a, "10.34.0.0/16"), find(a, "10.35.0.0/16")
      assert.same(theirs.flags, mine.flags)
      assert.same({}, mine.flags)
      assert.same({ { "onlink" }, { "onlink" } }, { mine.nexthops[1].flags, mine.nexthops[2].flags })
      assert.same(theirs.nexthops, mine.nexthops)
    end)

    it("sets scope and protocol, by name or number", function()
      a:route_add { dst = "10.31.0.0/16", gateway = "10.9.0.2", protocol = "static" }
      a:route_add { dst = "10.32.0.0/16", dev = "v0", scope = "host" }
      a:route_add { dst = "10.33.0.0/16", dev = "v0", protocol = 200 }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2", protocol = "static" }
      agree(a)
      assert.equal("static", find(a, "10.31.0.0/16").protocol)
      assert.equal("host", find(a, "10.32.0.0/16").scope)
      assert.equal("200", tostring(find(a, "10.33.0.0/16").protocol))
      assert.equal("static", find(a, "fd10::/64").protocol)
    end)

    it("names protocols as ip does", function()
      for n, name in pairs { [42] = "babel", [11] = "zebra", [13] = "dnrouted", [16] = "dhcp",
                             [99] = "openr", [186] = "bgp", [187] = "isis", [189] = "rip" } do
        a:route_add { dst = ("10.%d.0.0/16"):format(n), dev = "v0", protocol = n }
        assert.equal(name, find(a, ("10.%d.0.0/16"):format(n)).protocol)
      end
      agree(a)
    end)

    it("takes the family of a default route from its source or its first next hop", function()
      a:route_add { dst = "default", nexthops = { { gateway = "fd00::2", dev = "v0" } } }
      a:route_add { dst = "default", dev = "v0", src = "fd00::1", table = 5 }
      agree(a)
      agree(a, { table = 5 })
      assert.equal("fd00::2", find(a, "default", { family = "inet6" }).gateway)
      assert.equal("fd00::1", find(a, "default", { family = "inet6", table = 5 }).prefsrc)
      assert.is_nil(find(a, "default", { family = "inet" }))
    end)

    it("gives each type of route the scope ip gives it when none is said", function()
      -- the same routes, by ip in rt-b (dev v1) and by the library in rt-a (dev v0)
      local cases = {
        { "broadcast 10.9.0.255 dev %s", { type = "broadcast", dst = "10.9.0.255" } },
        { "anycast 10.9.0.77 dev %s", { type = "anycast", dst = "10.9.0.77" } },
        { "multicast 224.1.0.0/16 dev %s", { type = "multicast", dst = "224.1.0.0/16" } },
        { "local 10.9.0.66 dev %s", { type = "local", dst = "10.9.0.66" } },
        { "10.30.0.0/16 dev %s", { dst = "10.30.0.0/16" } },
        { "10.31.0.0/16 via 10.9.0.9 dev %s", { dst = "10.31.0.0/16", gateway = "10.9.0.9" } },
        { "fd31::/64 dev %s", { dst = "fd31::/64" } },
      }
      for _, c in ipairs(cases) do
        H.sh(H.inside(b) .. "ip route add table 100 " .. c[1]:format("v1"))
        c[2].dev, c[2].table = "v0", 100
        a:route_add(c[2])
      end
      local function scopes(ns)
        local out = {}
        for _, family in ipairs { "-4", "-6" } do
          for _, r in ipairs(H.ip(ns, family .. " route show table 100")) do
            out[(r.type or "unicast") .. " " .. r.dst] = r.scope or "global"
          end
        end
        return out
      end
      local want, n = scopes(b), 0
      for _ in pairs(want) do n = n + 1 end
      assert.equal(#cases, n)
      assert.same(want, scopes(a))
      assert.equal("link", want["multicast 224.1.0.0/16"])
    end)

    it("adds blackhole, unreachable, prohibit and local routes", function()
      for i, t in ipairs { "blackhole", "unreachable", "prohibit" } do
        a:route_add { dst = ("10.4%d.0.0/16"):format(i), type = t }
        a:route_add { dst = ("fd4%d::/64"):format(i), type = t }
      end
      a:route_add { dst = "10.49.0.9", type = "local", dev = "lo", table = "local" }
      a:route_add { dst = "fd49::9", type = "local", dev = "lo", table = "local" }
      agree(a)
      for i, t in ipairs { "blackhole", "unreachable", "prohibit" } do
        assert.equal(t, find(a, ("10.4%d.0.0/16"):format(i)).type)
        assert.equal(t, find(a, ("fd4%d::/64"):format(i)).type)
      end
      local l = find(a, "10.49.0.9", { table = "local" })
      assert.same({ "local", "host", "lo" }, { l.type, l.scope, l.dev })
      assert.equal("local", find(a, "fd49::9", { table = "local" }).type)
    end)

    it("puts local routes in the local table when no table is given, as ip does", function()
      a:route_add { dst = "10.49.0.9", type = "local", dev = "lo" }
      a:route_add { dst = "fd49::9", type = "local", dev = "lo" }
      agree(a, { table = "local" })
      assert.is_nil(find(a, "10.49.0.9"))
      assert.is_nil(find(a, "fd49::9"))
      assert.equal("local", find(a, "10.49.0.9", { table = "local" }).table)
      assert.equal("local", find(a, "fd49::9", { table = "local" }).table)
    end)

    it("adds IPv4 multipath routes with weights", function()
      a:route_add { dst = "10.50.0.0/16", nexthops = {
        { gateway = "10.9.0.2", weight = 3 },
        { gateway = "10.9.0.3", dev = "v0" },
        { gateway = "10.9.0.4", dev = v0.ifindex, weight = 256 },
      } }
      agree(a)
      local r = find(a, "10.50.0.0/16")
      assert.is_nil(r.gateway)
      assert.same({
        { gateway = "10.9.0.2", dev = "v0", weight = 3, flags = {} },
        { gateway = "10.9.0.3", dev = "v0", weight = 1, flags = {} },
        { gateway = "10.9.0.4", dev = "v0", weight = 256, flags = {} },
      }, r.nexthops)
    end)

    it("flags a next hop whose link lost its carrier dead and linkdown, in ip's order", function()
      a:sysctl("net.ipv4.conf.v0.ignore_routes_with_linkdown", 1)
      a:route_add { dst = "10.51.0.0/16", nexthops = { { gateway = "10.9.0.2" }, { gateway = "10.9.0.3" } } }
      b:link_set("v1", { up = false })
      assert.is_true(a:wait { link = "v0", carrier = false })
      -- the kernel marks the next hops once it has seen the carrier go
      for _ = 1, 50 do
        if #find(a, "10.51.0.0/16").nexthops[1].flags > 0 then break end
        H.sh("sleep 0.02")
      end
      agree(a)
      assert.same({ "dead", "linkdown" }, find(a, "10.51.0.0/16").nexthops[1].flags)
    end)

    it("adds IPv6 multipath routes with weights", function()
      a:route_add { dst = "fd50::/64", nexthops = {
        { gateway = "fd00::2", weight = 2 },
        { gateway = "fd00::3", dev = "v0" },
      } }
      agree(a, { family = "inet6" })
      local r = find(a, "fd50::/64")
      assert.same({
        { gateway = "fd00::2", dev = "v0", weight = 2, flags = {} },
        { gateway = "fd00::3", dev = "v0", weight = 1, flags = {} },
      }, r.nexthops)
    end)

    it("returns false for a route that exists with exist_ok, changing nothing", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2" }
      local before = ours(a, { table = "all" })
      assert.is_false(a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", exist_ok = true })
      assert.is_false(a:route_add { dst = "fd10::/64", gateway = "fd00::2", exist_ok = true })
      assert.same(before, ours(a, { table = "all" }))
      assert.is_true(a:route_add { dst = "10.21.0.0/16", gateway = "10.9.0.2", exist_ok = true })
      agree(a)
    end)
  end)

  describe("ns:route_replace", function()
    it("changes a route in place, IPv4 and IPv6", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2" }
      assert.is_true(a:route_replace { dst = "10.20.0.0/16", gateway = "10.9.0.3" })
      assert.is_true(a:route_replace { dst = "fd10::/64", gateway = "fd00::3" })
      agree(a)
      assert.equal("10.9.0.3", find(a, "10.20.0.0/16").gateway)
      assert.equal("fd00::3", find(a, "fd10::/64").gateway)
    end)

    it("turns a route into another type, and back", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      a:route_replace { dst = "10.20.0.0/16", type = "blackhole" }
      agree(a)
      assert.equal("blackhole", find(a, "10.20.0.0/16").type)
      a:route_replace { dst = "10.20.0.0/16", gateway = "10.9.0.2", protocol = "static" }
      agree(a)
      local r = find(a, "10.20.0.0/16")
      assert.same({ "unicast", "10.9.0.2", "static" }, { r.type, r.gateway, r.protocol })
    end)

    it("adds a route that is missing, also a default and a multipath one", function()
      a:route_replace { dst = "default", gateway = "10.9.0.2" }
      a:route_replace { dst = "default", family = "inet6", gateway = "fd00::2", metric = 5 }
      a:route_replace { dst = "10.60.0.0/16", table = 100, nexthops = {
        { gateway = "10.9.0.2" }, { gateway = "10.9.0.3", weight = 4 } } }
      agree(a)
      agree(a, { table = 100 })
      assert.equal("10.9.0.2", find(a, "default", { family = "inet" }).gateway)
      assert.equal(5, find(a, "default", { family = "inet6" }).metric)
      assert.equal(2, #find(a, "10.60.0.0/16", { table = 100 }).nexthops)
    end)
  end)

  describe("ns:route_del", function()
    it("deletes IPv4 and IPv6 routes by destination", function()
      local before = oracle(a, { table = "all" })
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      a:route_add { dst = "10.21.0.5", dev = "v0" }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2" }
      a:route_add { dst = "fd11::5", dev = "v0" }
      for _, dst in ipairs { "10.20.0.0/16", "10.21.0.5", "fd10::/64", "fd11::5" } do
        assert.is_true(a:route_del { dst = dst })
        assert.is_nil(find(a, dst))
      end
      assert.same(before, oracle(a, { table = "all" }))
      agree(a)
    end)

    it("deletes default routes of either family", function()
      a:route_add { dst = "default", gateway = "10.9.0.2" }
      a:route_add { dst = "default", gateway = "fd00::2" }
      assert.is_true(a:route_del { dst = "default", family = "inet6" })
      assert.is_nil(find(a, "default", { family = "inet6" }))
      assert.truthy(find(a, "default", { family = "inet" }))
      assert.is_true(a:route_del { dst = "default", gateway = "10.9.0.2" })
      assert.is_nil(find(a, "default"))
      agree(a)
    end)

    it("refuses a network written with length 0, as ip does, rather than delete the default", function()
      a:route_add { dst = "default", gateway = "10.9.0.2" }
      fails(a, "netns: route del 10.0.0.0/0 (in rt-a): Invalid argument [EINVAL]: "
        .. "Invalid prefix for given prefix length", function() a:route_del { dst = "10.0.0.0/0" } end)
      fails(a, "netns: route add 192.168.0.0/0 (in rt-a): Invalid argument [EINVAL]: "
        .. "Invalid prefix for given prefix length",
        function() a:route_add { dst = "192.168.0.0/0", gateway = "10.9.0.2", table = 5 } end)
      assert.truthy(find(a, "default", { family = "inet" }))
    end)

    it("deletes the route matching gateway, metric, table and type", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", metric = 10 }
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.3", metric = 20 }
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", table = 100 }
      a:route_add { dst = "10.21.0.0/16", type = "blackhole" }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2", metric = 10 }
      a:route_add { dst = "fd10::/64", gateway = "fd00::3", metric = 20 }
      a:route_del { dst = "10.20.0.0/16", gateway = "10.9.0.3", metric = 20 }
      a:route_del { dst = "10.20.0.0/16", table = 100 }
      a:route_del { dst = "10.21.0.0/16", type = "blackhole" }
      a:route_del { dst = "fd10::/64", metric = 20 }
      agree(a)
      agree(a, { table = 100 })
      assert.same({ "10.9.0.2", 10 }, { find(a, "10.20.0.0/16").gateway, find(a, "10.20.0.0/16").metric })
      assert.is_nil(find(a, "10.20.0.0/16", { table = 100 }))
      assert.is_nil(find(a, "10.21.0.0/16"))
      assert.equal("fd00::2", find(a, "fd10::/64").gateway)
    end)

    it("deletes multipath routes and routes in the local table", function()
      a:route_add { dst = "10.50.0.0/16", nexthops = { { gateway = "10.9.0.2" }, { gateway = "10.9.0.3" } } }
      a:route_add { dst = "10.49.0.9", type = "local", dev = "lo", table = "local" }
      a:route_del { dst = "10.50.0.0/16" }
      a:route_del { dst = "10.49.0.9", table = "local" }
      assert.is_nil(find(a, "10.50.0.0/16"))
      assert.is_nil(find(a, "10.49.0.9", { table = "local" }))
      agree(a)
    end)

    it("returns false for a missing route with missing_ok", function()
      assert.is_false(a:route_del { dst = "10.20.0.0/16", missing_ok = true })
      assert.is_false(a:route_del { dst = "fd10::/64", missing_ok = true })
      assert.is_false(a:route_del { dst = "default", missing_ok = true })
      assert.is_false(a:route_del { dst = "10.20.0.0/16", table = 55, missing_ok = true })
      assert.is_false(a:route_del { dst = "10.20.0.0/16", dev = "nope", missing_ok = true })
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      assert.is_true(a:route_del { dst = "10.20.0.0/16", missing_ok = true })
      agree(a)
    end)

    -- The records of ns:routes(opts) to @dst, each with its ip line.
    local function records_to(dst, opts)
      local out = {}
      for _, r in ipairs(a:routes(opts)) do
        if r.dst == dst then out[#out + 1] = r end
      end
      return out
    end

    it("deletes the one route a record describes, of several to the same destination", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", metric = 10, protocol = "static" }
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", metric = 15, protocol = "static" }
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.3", metric = 20 }
      a:route_add { dst = "10.20.0.0/16", type = "blackhole", metric = 30 }
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", table = 100 }
      a:route_add { dst = "10.20.0.0/16", nexthops = { { gateway = "10.9.0.2", weight = 3 },
                                                       { gateway = "10.9.0.3" } }, metric = 40 }
      a:route_add { dst = "10.30.0.0/16", gateway = "10.99.0.1", dev = "v0", onlink = true }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2", metric = 10, mtu = 1400 }
      a:route_add { dst = "fd10::/64", gateway = "fd00::3", metric = 20, expires = 300 }
      a:route_add { dst = "fd10::/64", gateway = "fd00::3", metric = 25 }
      a:route_add { dst = "fd10::/64", nexthops = { { gateway = "fd00::2" }, { gateway = "fd00::3" } },
                    metric = 30 }
      local targets = {}
      for _, dst in ipairs { "10.20.0.0/16", "10.30.0.0/16", "fd10::/64" } do
        for _, r in ipairs(records_to(dst, { table = "all" })) do targets[#targets + 1] = r end
      end
      assert.equal(11, #targets)
      -- one at a time, each leaving every other route as it was; the last
      -- listed first, as a spec that matched too much would take the first
      for i = #targets, 1, -1 do
        local r = targets[i]
        local others = {}
        for _, o in ipairs(oracle(a, { table = "all" })) do
          if not (o.dst == r.dst and o.family == r.family and tostring(o.table) == tostring(r.table)
                  and o.metric == r.metric and o.type == r.type) then
            others[#others + 1] = o
          end
        end
        assert.is_true(a:route_del(r), tostring(r))
        assert.same(others, oracle(a, { table = "all" }), "after deleting #" .. i .. ": " .. tostring(r))
      end
      agree(a)
    end)

    it("deletes what the kernel made: a prefix route, local and multicast routes", function()
      local before = oracle(a, { table = "all" })
      a:addr_add("v0", "10.40.0.1/24")
      for _, r in ipairs(a:routes { table = "all" }) do
        if r.prefsrc == "10.40.0.1" then assert.is_true(a:route_del(r), tostring(r)) end
      end
      a:addr_del("v0", "10.40.0.1/24")
      assert.same(before, oracle(a, { table = "all" }))
      local mcast = records_to("ff00::/8", { table = "local" })
      assert.is_true(#mcast > 0)
      for _, r in ipairs(mcast) do assert.is_true(a:route_del(r)) end
      assert.same({}, records_to("ff00::/8", { table = "local" }))
      agree(a)
    end)

    it("deletes by record routes that differ only in tos, metrics or nexthop object, as ip made them", function()
      for _, cmd in ipairs {
        "ip route add 10.20.0.0/16 via 10.9.0.2 tos 0x10",
        "ip route add 10.20.0.0/16 via 10.9.0.2",
        "ip route add 10.21.0.0/16 via 10.9.0.2 mtu 1400",
        "ip route append 10.21.0.0/16 via 10.9.0.2 mtu 1300",
        "ip nexthop add id 1 via 10.9.0.2 dev v0",
        "ip nexthop add id 2 via 10.9.0.3 dev v0",
        "ip route add 10.22.0.0/16 via 10.9.0.3",
        "ip route append 10.22.0.0/16 nhid 1",
        "ip route append 10.22.0.0/16 nhid 2",
        "ip nexthop add id 6 via fd00::2 dev v0",
        "ip -6 route add fd22::/64 via fd00::3 metric 1024",
        "ip -6 route append fd22::/64 nhid 6 metric 1024",
      } do
        H.sh(H.inside(a) .. cmd)
      end
      agree(a)
      local targets = {}
      for _, r in ipairs(a:routes()) do
        if r.dst:find("^10%.2[012]%.") or r.dst == "fd22::/64" then targets[#targets + 1] = r end
      end
      assert.equal(9, #targets)
      for i = #targets, 1, -1 do
        local r = targets[i]
        local line = tostring(r)
        local others = {}
        for _, o in ipairs(a:routes()) do
          if tostring(o) ~= line then others[#others + 1] = tostring(o) end
        end
        assert.is_true(a:route_del(r), line)
        local left = {}
        for _, o in ipairs(a:routes()) do left[#left + 1] = tostring(o) end
        assert.same(others, left, "after deleting " .. line)
      end
      agree(a)
    end)

    it("deletes nothing for an IPv6 multipath record one of whose hops went since", function()
      H.sh(H.inside(a) .. "ip -6 route add fd05::/64 metric 20 nexthop via fd00::2 dev v0"
           .. " nexthop via fd00::3 dev v0 nexthop via fd00::4 dev v0")
      local r = find(a, "fd05::/64")
      H.sh(H.inside(a) .. "ip -6 route del fd05::/64 via fd00::3 dev v0 metric 20")
      assert.is_false(a:route_del(r, { missing_ok = true }))
      fails(a, "netns: route del fd05::/64 (in rt-a): No such process [ESRCH]", function() a:route_del(r) end)
      assert.equal(2, #find(a, "fd05::/64").nexthops)
      assert.is_true(a:route_del(find(a, "fd05::/64")))
      assert.is_nil(find(a, "fd05::/64"))
      agree(a)
    end)

    it("deletes nothing for an IPv6 multipath record whose route gained a hop since, as for IPv4", function()
      H.sh(H.inside(a) .. "ip -6 route add fd08::/64 nexthop via fd00::2 dev v0 nexthop via fd00::3 dev v0")
      H.sh(H.inside(a) .. "ip route add 10.28.0.0/16 nexthop via 10.9.0.2 nexthop via 10.9.0.3")
      local r6, r4 = find(a, "fd08::/64"), find(a, "10.28.0.0/16")
      H.sh(H.inside(a) .. "ip -6 route append fd08::/64 via fd00::4 dev v0")
      H.sh(H.inside(a) .. "ip route replace 10.28.0.0/16 nexthop via 10.9.0.2 nexthop via 10.9.0.3"
           .. " nexthop via 10.9.0.4")
      fails(a, "netns: route del fd08::/64 (in rt-a): No such process [ESRCH]", function() a:route_del(r6) end)
      fails(a, "netns: route del 10.28.0.0/16 (in rt-a): No such process [ESRCH]", function() a:route_del(r4) end)
      assert.is_false(a:route_del(r6, { missing_ok = true }))
      assert.equal(3, #find(a, "fd08::/64").nexthops)
      assert.is_true(a:route_del(find(a, "fd08::/64")))
      assert.is_true(a:route_del(find(a, "10.28.0.0/16")))
      agree(a)
    end)

    it("takes missing_ok after a record, and says which route is missing without it", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2", table = 100 }
      local r = find(a, "10.20.0.0/16", { table = 100 })
      assert.is_true(a:route_del(r))
      assert.is_false(a:route_del(r, { missing_ok = true }))
      fails(a, "netns: route del 10.20.0.0/16 (in rt-a): No such process [ESRCH]",
        function() a:route_del(r) end)
      fails(a, "bad argument #2 to 'route_del' (unknown option 'exist_ok')",
        function() a:route_del(r, { exist_ok = true }) end)
      fails(a, "bad argument #2 to 'route_del' (option 'missing_ok' must be a boolean, got string)",
        function() a:route_del(r, { missing_ok = "yes" }) end)
      fails(a, "bad argument #2 to 'route_del' (table expected, got number)",
        function() a:route_del(r, 1) end)
      -- a record changed by hand is checked as a spec would be
      r.nexthops = "via 10.9.0.2"
      fails(a, "bad argument #1 to 'route_del' (option 'nexthops' must be a table)",
        function() a:route_del(r) end)
      r.nexthops = { "via 10.9.0.2" }
      fails(a, "bad argument #1 to 'route_del' (each next hop must be a table)", function() a:route_del(r) end)
    end)

    it("returns false for a missing IPv6 default route with missing_ok", function()
      -- The kernel says ENOENT here, not ESRCH: both mean "no such route".
      assert.is_false(a:route_del { dst = "default", family = "inet6", missing_ok = true })
      agree(a)
    end)
  end)

  describe("errors", function()
    it("names the kernel's reason for a gateway it cannot reach", function()
      fails(a, "netns: route add 10.50.0.0/16 (in rt-a): Network is unreachable [ENETUNREACH]: " ..
        "Nexthop has invalid gateway", function()
          a:route_add { dst = "10.50.0.0/16", gateway = "10.99.0.1" }
        end)
      fails(a, "netns: route add 10.50.0.0/16 (in rt-a): Network is unreachable [ENETUNREACH]: " ..
        "Nexthop has invalid gateway", function()
          a:route_add { dst = "10.50.0.0/16", gateway = "10.9.0.2", dev = "lo" }
        end)
      fails(a, "netns: route add fd50::/64 (in rt-a): No route to host [EHOSTUNREACH]", function()
        a:route_add { dst = "fd50::/64", gateway = "fd99::1" }
      end)
      fails(a, "netns: route add 10.53.0.0/16 dev nope (in rt-a): No such device [ENODEV]", function()
        a:route_add { dst = "10.53.0.0/16", dev = "nope" }
      end)
      fails(a, "netns: route add 10.53.0.0/16 dev nope (in rt-a): No such device [ENODEV]", function()
        a:route_add { dst = "10.53.0.0/16", nexthops = { { gateway = "10.9.0.2" }, { dev = "nope" } } }
      end)
      fails(a, "netns: route add 10.51.0.0/16 (in rt-a): No such device [ENODEV]: " ..
        "Nexthop device required for onlink", function()
          a:route_add { dst = "10.51.0.0/16", gateway = "10.77.0.1", onlink = true }
        end)
      fails(a, "netns: route add 10.52.0.0/16 (in rt-a): Invalid argument [EINVAL]: " ..
        "Invalid prefsrc address", function()
          a:route_add { dst = "10.52.0.0/16", gateway = "10.9.0.2", src = "10.8.8.8" }
        end)
    end)

    it("refuses a route that exists (EEXIST)", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      a:route_add { dst = "fd10::/64", gateway = "fd00::2" }
      a:route_add { dst = "default", gateway = "10.9.0.2" }
      fails(a, "netns: route add 10.20.0.0/16 (in rt-a): File exists [EEXIST]", function()
        a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      end)
      fails(a, "netns: route add fd10::/64 (in rt-a): File exists [EEXIST]", function()
        a:route_add { dst = "fd10::/64", gateway = "fd00::2" }
      end)
      fails(a, "netns: route add default (in rt-a): File exists [EEXIST]", function()
        a:route_add { dst = "default", gateway = "10.9.0.3" }
      end)
      fails(a, "netns: route add 10.9.0.0/24 (in rt-a): File exists [EEXIST]", function()
        a:route_add { dst = "10.9.0.0/24", dev = "v0", protocol = "kernel", src = "10.9.0.1" }
      end)
    end)

    it("refuses to delete a route that is missing (ESRCH)", function()
      a:route_add { dst = "10.20.0.0/16", gateway = "10.9.0.2" }
      fails(a, "netns: route del 10.21.0.0/16 (in rt-a): No such process [ESRCH]", function()
        a:route_del { dst = "10.21.0.0/16" }
      end)
      fails(a, "netns: route del 10.20.0.0/16 (in rt-a): No such process [ESRCH]", function()
        a:route_del { dst = "10.20.0.0/16", gateway = "10.9.0.3" }
      end)
      fails(a, "netns: route del 10.20.0.0/16 (in rt-a): No such process [ESRCH]: " ..
        "FIB table does not exist", function()
          a:route_del { dst = "10.20.0.0/16", table = 100 }
      end)
      fails(a, "netns: route del fd10::/64 (in rt-a): No such process [ESRCH]", function()
        a:route_del { dst = "fd10::/64" }
      end)
    end)

    it("names an unknown device", function()
      local ok, err = pcall(a.route_add, a, { dst = "10.20.0.0/16", dev = "nope" })
      assert.is_false(ok)
      assert.matches("route add", err, 1, true)
      assert.matches("nope", err, 1, true)
      assert.matches("(in rt-a)", err, 1, true)
      assert.matches("No such device [ENODEV]", err, 1, true)
      fails(a, err, function() a:route_add { dst = "10.20.0.0/16", dev = "nope" } end)
    end)

    it("raises argument errors for malformed destinations and gateways", function()
      local cases = {
        { { dst = "10.0.0.0/33", dev = "v0" },
          [[invalid destination "10.0.0.0/33": prefix length must be 0 to 32]] },
        { { dst = "fd00::/129", dev = "v0" },
          [[invalid destination "fd00::/129": prefix length must be 0 to 128]] },
        { { dst = "1.2.3", dev = "v0" },
          [[invalid destination "1.2.3": not an IPv4 or IPv6 address]] },
        -- short forms are decimal: ip would read 010 as octal 8
        { { dst = "010/8", dev = "v0" },
          [[invalid destination "010/8": not an IPv4 or IPv6 address]] },
        { { dst = "10..1/16", dev = "v0" },
          [[invalid destination "10..1/16": not an IPv4 or IPv6 address]] },
        { { dst = "1.2.3.4.5/8", dev = "v0" },
          [[invalid destination "1.2.3.4.5/8": not an IPv4 or IPv6 address]] },
        { { dst = "not-an-address", dev = "v0" },
          [[invalid destination "not-an-address": not an IPv4 or IPv6 address]] },
        { { dst = "10.20.0.0/16", gateway = "x" }, [[invalid address "x": not a single address]] },
        { { dst = "10.20.0.0/16", gateway = "10.9.0.0/24" },
          [[invalid address "10.9.0.0/24": not a single address]] },
        { { dst = "fd10::/64", gateway = "10.9.0.2" }, "IPv6 route via an IPv4 gateway" },
        { { dst = "default", family = "inet6", gateway = "10.9.0.2" }, "IPv6 route via an IPv4 gateway" },
        { { dst = "10.20.0.0/16", dev = "v0", src = "10.9.0.0/24" },
          [[invalid address "10.9.0.0/24": not a single address]] },
        { { dst = "10.20.0.0/16", gateway = 5 }, "option 'gateway' must be a string" },
        { { dst = "10.20.0.0/16", dev = true },
          "option 'dev' must be a string, an integer or a link record, got boolean" },
        { { gateway = "10.9.0.2" }, "option 'dst' is required" },
        { { dst = "10.20.0.0/16", dev = "v0", via = "10.9.0.2" }, "unknown option 'via'" },
        { { dst = "10.20.0.0/16", dev = "v0", type = "nat64" }, [[invalid type "nat64"]] },
        { { dst = "10.20.0.0/16", dev = "v0", scope = "galaxy" }, [[invalid scope "galaxy"]] },
        { { dst = "10.20.0.0/16", dev = "v0", protocol = "carrier-pigeon" },
          [[invalid protocol "carrier-pigeon"]] },
        { { dst = "10.20.0.0/16", dev = "v0", table = "all" }, [[invalid table "all"]] },
        { { dst = "10.20.0.0/16", dev = "v0", table = -1 }, "option 'table' out of range" },
        { { dst = "10.20.0.0/16", dev = "v0", table = 1.5 }, "option 'table' must be a name or an integer" },
        { { dst = "10.20.0.0/16", dev = "v0", metric = -1 }, "option 'metric' out of range (0 to 4294967295)" },
        { { dst = "default", family = "ipx" }, [[invalid family "ipx"]] },
        { { dst = "10.20.0.0/16", dev = "v0", family = "ipx" }, [[invalid family "ipx"]] },
        { { dst = "10.20.0.0/16", nexthops = {} }, "option 'nexthops' needs 1 to 32 entries" },
        { { dst = "10.20.0.0/16", nexthops = { { gateway = "10.9.0.2", weight = 0 } } },
          "option 'weight' out of range (1 to 256)" },
        { { dst = "10.20.0.0/16", nexthops = { { gateway = "10.9.0.2", weight = "x" } } },
          "option 'weight' must be an integer, got string" },
        { { dst = "10.20.0.0/16", nexthops = { { gateway = "10.9.0.2", dev = "v0" }, { gateway = "10.9.0.3",
          wieght = 5 } } }, "unknown next hop option 'wieght'" },
        { { dst = "10.20.0.0/16", dev = "v0", src = 5 }, "option 'src' must be a string" },
        { { dst = "10.20.0.0/16", dev = "v0", src = "fd00::1" }, "source of another family than the destination" },
        { { dst = "10.20.0.0/16", dev = "v0", onlink = "false" }, "option 'onlink' must be a boolean" },
        { { dst = "fd20::/64", dev = "v0", from = 5 }, "option 'from' must be a string" },
        { { dst = "10.20.0.0/16", dev = "v0", mtu = "x" }, "option 'mtu' must be an integer, got string" },
        { { dst = "10.20.0.0/16", dev = "v0", hoplimit = 256 }, "option 'hoplimit' out of range (0 to 255)" },
        { { dst = "fd20::/64", dev = "v0", expires = 0 }, "option 'expires' out of range (1 to 4294967295)",
          { "route_add", "route_replace" } },
        -- what the kernel would take and ignore
        { { dst = "10.20.0.0/16", dev = "v0", from = "10.9.0.0/24" }, "option 'from' is for IPv6 routes only" },
        { { dst = "10.20.0.0/16", dev = "v0", expires = 30 }, "option 'expires' is for IPv6 routes only" },
        { { dst = "fd20::/64", dev = "v0", expires = 30 }, "option 'expires' is for route_add and route_replace only",
          { "route_del" } },
        { { dst = "fd20::/64", dev = "v0", mtu = 1400 }, "option 'mtu' cannot select an IPv6 route to delete",
          { "route_del" } },
        { { dst = "10.20.0.0/16", nexthops = { { gateway = "10.9.0.2", onlink = "yes" } } },
          "next hop option 'onlink' must be a boolean" },
        { { dst = "fd20::/64", dev = "v0", tos = 16 }, "option 'tos' is for IPv4 routes only" },
        { { dst = "10.20.0.0/16", nhid = 7, onlink = true },
          "option 'onlink' is the nexthop object's to say, not with option 'nhid'" },
        { { dst = "10.20.0.0/16", dev = "v0", advmss = -1 }, "option 'advmss' out of range (0 to 4294967295)" },
        { { dst = "fd20::/64", dev = "v0", from = "10.9.0.0/24" },
          "option 'from' of another family than the destination" },
        { { dst = "fd20::/64", dev = "v0", from = "fd00::/129" },
          [[invalid source "fd00::/129": prefix length must be 0 to 128]] },
        { { dst = "10.20.0.0/16", dev = 1.5 }, "option 'dev': invalid interface index" },
        { { dst = "10.20.0.0/16", dev = -3 }, "option 'dev': invalid interface index" },
        { { dst = "10.20.0.0/16", dev = "v0", metric = "abc" }, "option 'metric' must be an integer, got string" },
        { { dst = "fd10::/64", nexthops = { { gateway = "10.9.0.2" } } }, "IPv6 route via an IPv4 gateway" },
        { { dst = "10.20.0.0/16", nexthops = { "10.9.0.2" } }, "each next hop must be a table" },
      }
      for _, c in ipairs(cases) do
        for _, method in ipairs(c[3] or { "route_add", "route_replace", "route_del" }) do
          fails(a, ("bad argument #1 to '%s' (%s)"):format(method, c[2]), function()
            a[method](a, c[1])
          end)
        end
      end
      fails(a, "bad argument #1 to 'route_add' (table expected, got string)", function()
        a:route_add "10.20.0.0/16"
      end)
    end)

    it("raises argument errors for bad listing options", function()
      fails(a, "bad argument #1 to 'routes' (unknown option 'dst')", function()
        a:routes { dst = "default" }
      end)
      fails(a, [[bad argument #1 to 'routes' (invalid family "inet4")]], function()
        a:routes { family = "inet4" }
      end)
      fails(a, [[bad argument #1 to 'routes' (invalid table "bogus")]], function()
        a:routes { table = "bogus" }
      end)
      fails(a, "bad argument #1 to 'routes' (option 'table' out of range)", function()
        a:routes { table = 4294967296 }
      end)
    end)

    it("points at the caller's line", function()
      local line = debug.getinfo(1, "l").currentline
      local ok, err = pcall(function()
        a:route_add { dst = "10.50.0.0/16", gateway = "10.99.0.1" }
      end)
      assert.is_false(ok)
      assert.matches("route_spec%.lua:" .. (line + 2) .. ": netns: route add", err)
      ok, err = pcall(function()
        a:route_del { dst = "10.50.0.0/16", gateway = "nope" }
      end)
      assert.is_false(ok)
      assert.matches("route_spec%.lua:" .. (line + 7) .. ": bad argument", err)
    end)

    it("keeps raising on a closed handle", function()
      local c = netns.new()
      c:close()
      assert.has_error(function() c:routes() end)
      assert.has_error(function() c:route_add { dst = "10.20.0.0/16", dev = "lo" } end)
    end)
  end)
end)

describe("routed traffic", function()
  local h1, r, h2

  -- rt-h1 (10.1.0.2, fd01::2) -- rt-r (10.1.0.1 | 10.2.0.1, fd01::1 | fd02::1) -- rt-h2 (10.2.0.2, fd02::2)
  before_each(function()
    h1, r, h2 = up_with_lo "rt-h1", up_with_lo "rt-r", up_with_lo "rt-h2"
    local e1, r1 = h1:veth("eth0", "r-eth0", { peer_ns = r, up = true })
    local e2, r2 = h2:veth("eth0", "r-eth1", { peer_ns = r, up = true })
    for _, x in ipairs {
      { e1, "10.1.0.2/24", "fd01::2/64" }, { r1, "10.1.0.1/24", "fd01::1/64" },
      { e2, "10.2.0.2/24", "fd02::2/64" }, { r2, "10.2.0.1/24", "fd02::1/64" },
    } do
      x[1]:addr_add(x[2])
      x[1]:addr_add(x[3], { nodad = true })
    end
    assert.is_true(r:sysctl("net.ipv4.ip_forward", 1))
    assert.is_true(r:sysctl("net.ipv6.conf.all.forwarding", 1))
    assert.equal("1", r:sysctl "net.ipv4.ip_forward")
    settle(h1, "eth0", "fd01::2")
    settle(h2, "eth0", "fd02::2")
    settle(r, "r-eth0", "fd01::1")
    settle(r, "r-eth1", "fd02::1")
    h1:route_add { dst = "default", gateway = "10.1.0.1" }
    h1:route_add { dst = "default", gateway = "fd01::1" }
    h2:route_add { dst = "default", gateway = "10.2.0.1" }
    h2:route_add { dst = "default", gateway = "fd02::1" }
  end)

  after_each(function()
    for _, ns in ipairs { h1, r, h2 } do
      if ns then ns:delete() end
    end
    h1, r, h2 = nil, nil, nil
  end)

  local function ping(from, addr)
    return from:exec({ "ping", "-c", "1", "-W", "1", addr }, { stdout = "null", stderr = "null" })
  end

  it("crosses the router both ways, IPv4 and IPv6", function()
    for _, ns in ipairs { h1, h2 } do agree(ns) end
    assert.is_true(ping(h1, "10.2.0.2"))
    assert.is_true(ping(h2, "10.1.0.2"))
    assert.is_true(ping(h1, "fd02::2"))
    assert.is_true(ping(h2, "fd01::2"))
  end)

  it("stops at a blackhole route on the router, and crosses again once it is gone", function()
    assert.is_true(ping(h1, "10.2.0.2"))
    r:route_add { dst = "10.2.0.2", type = "blackhole" }
    r:route_add { dst = "fd02::2", type = "blackhole" }
    agree(r)
    assert.is_nil(ping(h1, "10.2.0.2"))
    assert.is_nil(ping(h1, "fd02::2"))
    assert.is_true(ping(h1, "10.2.0.1"))
    r:route_del { dst = "10.2.0.2", type = "blackhole" }
    r:route_del { dst = "fd02::2" }
    assert.is_true(ping(h1, "10.2.0.2"))
    assert.is_true(ping(h1, "fd02::2"))
  end)

  it("stops without a default route on the host", function()
    h1:route_del { dst = "default", family = "inet" }
    assert.is_nil(ping(h1, "10.2.0.2"))
    h1:route_add { dst = "10.2.0.0/24", gateway = "10.1.0.1", dev = "eth0" }
    assert.is_true(ping(h1, "10.2.0.2"))
  end)
end)
