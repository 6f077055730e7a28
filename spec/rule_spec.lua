-- Policy rules: ns:rules, ns:rule_add and ns:rule_del, for IPv4 and IPv6,
-- each checked against what `ip -j rule show` prints, and traffic that
-- takes the path a rule chooses.
local H = require "helper"
local json = require "dkjson"
local netns = require "netns"

local key = H.key

-- Rules by family and priority, then by content (rules may share a priority).
local function sorted(list)
  table.sort(list, function(a, b)
    if a.family ~= b.family then return a.family < b.family end
    if a.priority ~= b.priority then return a.priority < b.priority end
    return key(a) < key(b)
  end)
  return list
end

-- A record of ns:rules() in a form fit for comparison: ip writes table
-- and protocol numbers as strings ("100"), records carry them as integers.
local function canon(rec)
  local out = {}
  for k, v in pairs(rec) do out[k] = v end
  if out.table ~= nil then out.table = tostring(out.table) end
  if out.protocol ~= nil then out.protocol = tostring(out.protocol) end
  return out
end

-- ip's record in the same form.  Only what ip writes differently is
-- changed: flags it writes as null ("not": null is true; "nop": null is
-- true, and records say action "nop" too), a goto without an action
-- (records say action "goto"), and the family it was asked for.
-- Any other null ip writes (iif_detached, unresolved, ...) stays, as true,
-- so that a comparison shows it.
local function from_ip(rec, family)
  local out = { family = family }
  for k, v in pairs(rec) do
    if k == "nop" then
      out.nop, out.action = true, "nop"
    else
      out[k] = v == json.null or v
    end
  end
  if out["goto"] ~= nil then out.action = "goto" end
  return canon(out)
end

-- `ip -j ARGS` inside @ns, decoded with ip's nulls kept (H.ip drops them,
-- and "not": null is all ip says of an inverted rule).
local function ip_json(ns, args)
  local out, ok = H.sh(H.inside(ns) .. "ip -j " .. args .. " 2>&1")
  assert(ok, "ip -j " .. args .. " failed: " .. out)
  return assert(json.decode(out, 1, json.null))
end

-- ip's rules of @ns, for family "inet", "inet6" or both (nil, "all"),
-- sorted unless @as_listed.
local function oracle(ns, family, as_listed)
  local out = {}
  for _, f in ipairs { "inet", "inet6" } do
    if family == nil or family == "all" or family == f then
      for _, rec in ipairs(ip_json(ns, (f == "inet" and "-4" or "-6") .. " rule show")) do
        out[#out + 1] = from_ip(rec, f)
      end
    end
  end
  return as_listed and out or sorted(out)
end

-- The library's rules of @ns, in the same form.
local function ours(ns, family, as_listed)
  local out = {}
  for _, rec in ipairs(ns:rules(family and { family = family } or nil)) do
    out[#out + 1] = canon(rec)
  end
  return as_listed and out or sorted(out)
end

-- Asserts that ns:rules() and ip agree, for each family (in the kernel's
-- order, which both keep) and for both.
local function agree(ns)
  for _, family in ipairs { "inet", "inet6" } do
    assert.same(oracle(ns, family, true), ours(ns, family, true))
  end
  assert.same(oracle(ns), ours(ns))
  assert.same(oracle(ns), ours(ns, "all"))
end

-- The record of @family ("inet" unless given) at @priority; there must be one.
local function find(ns, priority, family)
  local found
  for _, rec in ipairs(ns:rules { family = family or "inet" }) do
    if rec.priority == priority then
      assert.is_nil(found, "two rules at " .. priority)
      found = rec
    end
  end
  return found
end

-- Runs a shell command line inside @ns, which must succeed.
local function inside(ns, cmd)
  local out, ok = H.sh(H.inside(ns) .. cmd .. " 2>&1")
  assert(ok, cmd .. " failed: " .. out)
end

local fd_count = H.fd_count

-- Runs @fn, which must raise @msg, and asserts that nothing else changed:
-- open descriptors, the thread's namespace, the rules of @ns as both the
-- library and ip see them (the library only, with @no_ip, for long tables
-- of cases that compare with ip once at their end).
local function fails(ns, msg, fn, no_ip)
  local fds, thread = fd_count(), H.thread_ns()
  local before, ip_before = ours(ns), not no_ip and oracle(ns)
  H.raises(msg, fn)
  assert.equal(fds, fd_count())
  assert.equal(thread, H.thread_ns())
  assert.same(before, ours(ns))
  if not no_ip then assert.same(ip_before, oracle(ns)) end
end

-- The kernel's own rules in a new namespace.
local DEFAULT_RULES = {
  { family = "inet", priority = 0, src = "all", table = "local" },
  { family = "inet", priority = 32766, src = "all", table = "main" },
  { family = "inet", priority = 32767, src = "all", table = "default" },
  { family = "inet6", priority = 0, src = "all", table = "local" },
  { family = "inet6", priority = 32766, src = "all", table = "main" },
}

describe("rules", function()
  local a

  before_each(function()
    a = netns.new()
  end)

  after_each(function()
    if a then a:close() end
    a = nil
  end)

  describe("ns:rules", function()
    it("lists the kernel's default rules of both families, as ip does", function()
      assert.same(DEFAULT_RULES, ours(a))
      agree(a)
    end)

    it("lists one family, or both with family \"all\"", function()
      for _, family in ipairs { "inet", "inet6" } do
        local list = a:rules { family = family }
        assert.is_true(#list > 0)
        for _, r in ipairs(list) do assert.equal(family, r.family) end
      end
      assert.same(ours(a), ours(a, "all"))
      assert.equal(#a:rules { family = "inet" } + #a:rules { family = "inet6" }, #a:rules())
    end)

    it("lists varied rules, made by the library and by ip, field for field as ip", function()
      -- links for iif and oif, so that no rule matches a device that is missing
      a:veth("v0", "v1")
      local mine = {
        { priority = 100, from = "10.1.0.0/16", to = "10.2.0.5", table = 100 },
        { priority = 101, from = "10.3.0.0/24", ["not"] = true, iif = "v0", oif = "v1", table = 200 },
        { priority = 102, fwmark = 16, table = "main" },
        { priority = 103, fwmark = "0x10/0xff", action = "prohibit" },
        { priority = 104, fwmark = "0/0x1", table = 7 },
        { priority = 105, fwmark = 0x20, fwmask = 0xf0, table = 7 },
        { priority = 120, fwmark = 0, table = 120 },
        { priority = 106, tos = 0x10, action = "blackhole" },
        { priority = 107, tos = 4, action = "unreachable" },
        { priority = 108, ipproto = "tcp", sport = "1000-2000", dport = 80, table = 100 },
        { priority = 109, ipproto = "udp", sport = { 53, 53 }, dport = { 5000, 6000 }, action = "prohibit" },
        { priority = 110, action = "goto", ["goto"] = 300 },
        { priority = 111, ["goto"] = 301 },
        { priority = 112, table = "main", suppress_prefixlength = 0 },
        { priority = 125, table = "main", suppress_prefixlength = 200 },
        { priority = 113, action = "nop" },
        { priority = 114, from = "10.9.9.9", to = "10.0.0.0/8", table = "local" },
        { priority = 115, table = 300, action = "prohibit" },
        { priority = 116, ipproto = "icmp", table = 5000 },
        { priority = 123, ipproto = "gre", table = "123" },
        { priority = 124, ipproto = 47, table = 124 },
        { priority = 117, ipproto = 132, dport = "9000-9001", table = 4294967295 },
        { priority = 118, ["not"] = true, to = "10.4.0.0/14", table = "default" },
        { priority = 119, from = "0.0.0.0/0", table = 119 },
        { priority = 300, action = "prohibit" },
        { priority = 301, table = 301 },
        { priority = 121, from = "10.12.0.0/16", table = 121, protocol = "static" },
        { priority = 122, table = 122, protocol = 77 },
        { priority = 126, uidrange = { 1000, 2000 }, table = 126 },
        { priority = 127, uidrange = "3000", table = 127 },
        { priority = 128, uidrange = 0, table = 128 },
        { priority = 100, from = "fd00::/64", to = "fd01::1", table = 100 },
        { priority = 101, family = "inet6", ipproto = "ipv6-icmp", action = "prohibit" },
        { priority = 102, to = "fd02::/48", ["not"] = true, oif = "v0", table = "main", suppress_prefixlength = 64 },
        { priority = 103, family = "inet6", fwmark = "0x1/0x1", action = "blackhole" },
        { priority = 104, family = "inet6", tos = 0x10, table = 6 },
        { priority = 105, family = "inet6", ipproto = "tcp", dport = "443", action = "unreachable" },
        { priority = 106, family = "inet6", ["goto"] = 32766 },
        { priority = 107, family = "inet6", action = "nop" },
        { priority = 130, family = "inet6", uidrange = "10-4294967294", table = 6 },
        { priority = 108, from = "fd03::1/128", iif = "lo", table = "local" },
      }
      for _, spec in ipairs(mine) do assert.is_true(a:rule_add(spec)) end
      -- as ip rule says them: "proto static", "proto 77"
      local said = {}
      for line in H.sh(H.inside(a) .. "ip rule show"):gmatch("[^\n]+") do
        said[tonumber(line:match("^(%d+):"))] = line:match("proto (%S+)")
      end
      assert.are.same({ "static", "77" }, { said[121], said[122] })
      -- the kernel picks the priority of a rule that names none
      a:rule_add { from = "10.7.0.0/24", table = 7 }
      a:rule_add { from = "fd07::/64", table = 7 }
      for _, cmd in ipairs {
        "ip rule add pref 200 from 10.4.0.0/15 to 10.5.0.0/16 table 200",
        "ip rule add pref 201 not to 10.6.0.0/24 fwmark 0x5/0x7 iif v1 lookup 201",
        "ip rule add pref 202 uidrange 1000-2000 table 202",
        "ip rule add pref 203 tos 0x08 ipproto udp sport 1-65534 dport 40000-40010 blackhole",
        "ip rule add pref 204 from 10.8.0.1 goto 300",
        "ip rule add pref 205 table 205 suppress_prefixlength 8",
        "ip rule add pref 206 nop",
        "ip rule add pref 207 oif v0 unreachable",
        "ip rule add pref 208 fwmark 0 table 208",
        "ip rule add pref 209 from 10.10.0.0/16 table 209 proto static",
        "ip rule add pref 210 table 210 proto 201",
        "ip rule add from 10.9.0.0/16 table main",
        "ip -6 rule add pref 200 not from fd10::/56 iif v0 table 200",
        "ip -6 rule add pref 201 fwmark 0x100 table 201",
        "ip -6 rule add pref 202 uidrange 0-0 unreachable",
        "ip -6 rule add pref 203 ipproto sctp dport 8000-9000 prohibit",
        "ip -6 rule add pref 204 to fd20::5 tos 0x04 table main suppress_prefixlength 32",
      } do
        inside(a, cmd)
      end
      agree(a)

      -- and field for field as written here, without the oracle
      local expect = {
        [100] = { priority = 100, src = "10.1.0.0", srclen = 16, dst = "10.2.0.5", table = 100 },
        [101] = { priority = 101, ["not"] = true, src = "10.3.0.0", srclen = 24, iif = "v0", oif = "v1",
          table = 200 },
        [102] = { priority = 102, src = "all", fwmark = "0x10", table = "main" },
        [103] = { priority = 103, src = "all", fwmark = "0x10", fwmask = "0xff", action = "prohibit" },
        [104] = { priority = 104, src = "all", fwmark = "0", fwmask = "0x1", table = 7 },
        [105] = { priority = 105, src = "all", fwmark = "0x20", fwmask = "0xf0", table = 7 },
        [106] = { priority = 106, src = "all", tos = "0x10", action = "blackhole" },
        [107] = { priority = 107, src = "all", tos = "0x04", action = "unreachable" },
        [108] = { priority = 108, src = "all", ipproto = "tcp", sport_start = 1000, sport_end = 2000,
          dport = 80, table = 100 },
        [109] = { priority = 109, src = "all", ipproto = "udp", sport = 53, dport_start = 5000,
          dport_end = 6000, action = "prohibit" },
        [110] = { priority = 110, src = "all", action = "goto", ["goto"] = 300 },
        [111] = { priority = 111, src = "all", action = "goto", ["goto"] = 301 },
        [112] = { priority = 112, src = "all", table = "main", suppress_prefixlen = 0 },
        [113] = { priority = 113, src = "all", action = "nop", nop = true },
        [114] = { priority = 114, src = "10.9.9.9", dst = "10.0.0.0", dstlen = 8, table = "local" },
        [115] = { priority = 115, src = "all", table = 300, action = "prohibit" },
        [116] = { priority = 116, src = "all", ipproto = "icmp", table = 5000 },
        [117] = { priority = 117, src = "all", ipproto = "sctp", dport_start = 9000, dport_end = 9001,
          table = 4294967295 },
        [118] = { priority = 118, ["not"] = true, src = "all", dst = "10.4.0.0", dstlen = 14, table = "default" },
        [119] = { priority = 119, src = "all", table = 119 },
        [202] = { priority = 202, src = "all", uid_start = 1000, uid_end = 2000, table = 202 },
        [203] = { priority = 203, src = "all", tos = "0x08", ipproto = "udp", sport_start = 1,
          sport_end = 65534, dport_start = 40000, dport_end = 40010, action = "blackhole" },
        -- mark 0 with no mask matches every packet: the kernel keeps no mark
        [208] = { priority = 208, src = "all", table = 208 },
        [120] = { priority = 120, src = "all", table = 120 },   -- as ip's 208
        -- who made it, as ip shows it: by name, or by number when it has none
        [209] = { priority = 209, src = "10.10.0.0", srclen = 16, table = 209, protocol = "static" },
        [210] = { priority = 210, src = "all", table = 210, protocol = 201 },
      }
      for priority, rec in pairs(expect) do
        rec.family = "inet"
        assert.same(rec, find(a, priority))
      end
      local expect6 = {
        [100] = { priority = 100, src = "fd00::", srclen = 64, dst = "fd01::1", table = 100 },
        [101] = { priority = 101, src = "all", ipproto = "ipv6-icmp", action = "prohibit" },
        [102] = { priority = 102, ["not"] = true, src = "all", dst = "fd02::", dstlen = 48, oif = "v0",
          table = "main", suppress_prefixlen = 64 },
        [103] = { priority = 103, src = "all", fwmark = "0x1", fwmask = "0x1", action = "blackhole" },
        [104] = { priority = 104, src = "all", tos = "0x10", table = 6 },
        [105] = { priority = 105, src = "all", ipproto = "tcp", dport = 443, action = "unreachable" },
        [106] = { priority = 106, src = "all", action = "goto", ["goto"] = 32766 },
        [107] = { priority = 107, src = "all", action = "nop", nop = true },
        [108] = { priority = 108, src = "fd03::1", iif = "lo", table = "local" },
        [202] = { priority = 202, src = "all", uid_start = 0, uid_end = 0, action = "unreachable" },
      }
      for priority, rec in pairs(expect6) do
        rec.family = "inet6"
        assert.same(rec, find(a, priority, "inet6"))
      end
      -- no priority: one below the first rule after priority 0, as ip numbers it
      local auto = {}
      for _, r in ipairs(a:rules()) do
        if r.src == "10.7.0.0" or r.src == "fd07::" or r.src == "10.9.0.0" then auto[r.src] = r.priority end
      end
      assert.same({ ["10.7.0.0"] = 99, ["fd07::"] = 99, ["10.9.0.0"] = 98 }, auto)
    end)

    it("lists what ip lists after ip deletes rules", function()
      a:rule_add { priority = 500, from = "10.5.0.0/16", table = 5 }
      a:rule_add { priority = 500, from = "fd05::/64", table = 5 }
      inside(a, "ip rule del pref 500")
      inside(a, "ip rule del pref 32767")
      inside(a, "ip -6 rule del pref 0")
      agree(a)
      assert.is_nil(find(a, 500))
      assert.is_nil(find(a, 32767))
      assert.same({ 500, 32766 }, { find(a, 500, "inet6").priority, find(a, 32766, "inet6").priority })
      assert.is_nil(find(a, 0, "inet6"))
    end)

    it("keeps a rule on a device that does not exist, which applies once it does", function()
      a:rule_add { priority = 600, iif = "ghost0", table = 6 }
      a:rule_add { priority = 601, oif = "ghost1", family = "inet6", action = "prohibit" }
      -- detached, as ip says: "iif_detached": null, "iif ghost0 [detached]"
      assert.same({ family = "inet", priority = 600, src = "all", iif = "ghost0", iif_detached = true,
                    table = 6 }, find(a, 600))
      assert.same({ family = "inet6", priority = 601, src = "all", oif = "ghost1", oif_detached = true,
                    action = "prohibit" }, find(a, 601, "inet6"))
      agree(a)
      assert.are.equal("600:\tfrom all iif ghost0 [detached] lookup 6", tostring(find(a, 600)))
      assert.are.equal("601:\tfrom all oif ghost1 [detached] prohibit", tostring(find(a, 601, "inet6")))
      a:veth("ghost0", "ghost1")
      assert.is_nil(find(a, 600).iif_detached)
      agree(a)
    end)

    it("lists a goto whose target is missing as unresolved, as ip does", function()
      a:rule_add { priority = 700, ["goto"] = 800 }
      assert.same({ family = "inet", priority = 700, src = "all", action = "goto", ["goto"] = 800,
                    unresolved = true }, find(a, 700))
      agree(a)
      assert.are.equal("700:\tfrom all goto 800 [unresolved]", tostring(find(a, 700)))
      a:rule_add { priority = 800, table = 8 }
      assert.is_nil(find(a, 700).unresolved)
      agree(a)
      -- a table and a goto: the goto is the action, as with ip rule add lookup 9 goto 800
      a:rule_add { priority = 701, table = "9", ["goto"] = 800 }
      assert.same({ family = "inet", priority = 701, src = "all", table = 9, action = "goto",
                    ["goto"] = 800 }, find(a, 701))
      agree(a)
    end)
  end)

  describe("ns:rule_add and ns:rule_del", function()
    it("adds, lists and deletes l3mdev rules (the VRF's table), as ip does", function()
      inside(a, "ip rule add l3mdev pref 1000")
      assert.is_true(a:rule_add { priority = 1001, l3mdev = true })
      assert.is_true(a:rule_add { priority = 1001, family = "inet6", l3mdev = true })
      agree(a)
      assert.same({ family = "inet", priority = 1000, src = "all", l3mdev = true }, find(a, 1000))
      assert.same({ family = "inet6", priority = 1001, src = "all", l3mdev = true },
        find(a, 1001, "inet6"))
      assert.equal("1001:\tfrom all lookup [l3mdev-table]", tostring(find(a, 1001)))
      assert.is_true(a:rule_del { priority = 1000, l3mdev = true })
      assert.is_true(a:rule_del { priority = 1001 })
      inside(a, "ip -6 rule del pref 1001 l3mdev")
      agree(a)
      assert.is_nil(find(a, 1000))
      assert.is_nil(find(a, 1001))
      assert.is_nil(find(a, 1001, "inet6"))
    end)

    it("deletes the rule a record describes, of several at one priority", function()
      local specs = {
        { from = "10.7.0.0/24", table = 100 },
        { from = "10.7.0.0/24", table = 101 },
        { from = "10.7.0.0/24", ["not"] = true, table = 102 },
        { to = "10.8.0.0/16", tos = 0x10, table = 100 },
        { fwmark = "0x10/0xff", table = 100 },
        { fwmark = "0x10", table = 100 },
        { iif = "lo", oif = "v0", table = 100 },
        { ipproto = "tcp", sport = { 1000, 2000 }, dport = 80, table = 100 },
        { from = "10.7.0.0/24", action = "nop" },
        { from = "10.7.0.0/24", action = "blackhole" },
        { from = "10.7.0.0/24", action = "goto", ["goto"] = 2000 },
        { table = 100, uidrange = { 1000, 2000 } },
        { table = 100, suppress_prefixlength = 0 },
        { table = 100, protocol = "static" },
        { l3mdev = true },
        { from = "fd07::/64", table = 100 },
        { from = "fd07::/64", table = 100, fwmark = 7 },
      }
      for _, s in ipairs(specs) do
        s.priority = 1000
        assert.is_true(a:rule_add(s), H.key(s))
      end
      agree(a)
      local targets = {}
      for _, r in ipairs(a:rules()) do
        if r.priority == 1000 then targets[#targets + 1] = r end
      end
      assert.equal(#specs, #targets)
      -- the last listed first, as a spec that matched too much would take the first
      for i = #targets, 1, -1 do
        local r = targets[i]
        local others = {}
        for _, o in ipairs(oracle(a)) do
          if not H.same(o, canon(r)) then others[#others + 1] = o end
        end
        assert.equal(#oracle(a) - 1, #others, "one rule like " .. tostring(r))
        assert.is_true(a:rule_del(r), tostring(r))
        assert.same(others, oracle(a), "after deleting " .. tostring(r))
      end
      agree(a)
    end)

    it("takes missing_ok after a rule record", function()
      a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 }
      local r = find(a, 1000)
      assert.is_true(a:rule_del(r))
      assert.is_false(a:rule_del(r, { missing_ok = true }))
      fails(a, ("netns: rule del pref 1000 (in <anonymous %d>): No such file or directory [ENOENT]")
        :format(a.id), function() a:rule_del(r) end)
      fails(a, "bad argument #2 to 'rule_del' (unknown option 'priority')",
        function() a:rule_del(r, { priority = 1 }) end)
    end)

    it("adds a rule and deletes it by priority, for each family", function()
      local before, ip_before = ours(a), oracle(a)
      assert.is_true(a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 })
      assert.is_true(a:rule_add { priority = 1000, from = "fd07::/64", table = 100 })
      agree(a)
      assert.same({ family = "inet", priority = 1000, src = "10.7.0.0", srclen = 24, table = 100 }, find(a, 1000))
      assert.is_true(a:rule_del { priority = 1000 })
      assert.is_nil(find(a, 1000))
      assert.truthy(find(a, 1000, "inet6"))
      assert.is_true(a:rule_del { priority = 1000, family = "inet6" })
      assert.is_nil(find(a, 1000, "inet6"))
      assert.same(before, ours(a))
      assert.same(ip_before, oracle(a))
    end)

    it("takes IPv4 networks written short before their length, as ip does", function()
      assert.is_true(a:rule_add { priority = 1001, from = "10.7/16", to = "11/8", table = 100 })
      agree(a)
      local r = find(a, 1001)
      assert.same({ "10.7.0.0", 16, "11.0.0.0", 8 }, { r.src, r.srclen, r.dst, r.dstlen })
      assert.is_true(a:rule_del { priority = 1001, from = "10.7/16" })
      assert.is_nil(find(a, 1001))
    end)

    it("deletes by selector: from, to, table, action", function()
      local before = ours(a)
      a:rule_add { priority = 1001, from = "10.7.0.0/24", table = 100 }
      a:rule_add { priority = 1002, from = "10.7.0.0/24", table = 200 }
      a:rule_add { priority = 1003, to = "10.8.0.0/16", action = "blackhole" }
      a:rule_add { priority = 1004, to = "10.8.0.0/16", action = "prohibit" }
      a:rule_add { priority = 1005, from = "fd07::/64", to = "fd08::/64", table = 100 }
      a:rule_add { priority = 1006, fwmark = "0x7/0xf", table = 7 }
      a:rule_add { priority = 1007, ["goto"] = 1008 }
      a:rule_add { priority = 1008, from = "10.7.0.0/24", action = "nop" }
      -- a table picks one of two rules with the same selector
      assert.is_true(a:rule_del { from = "10.7.0.0/24", table = 200 })
      assert.is_nil(find(a, 1002))
      assert.truthy(find(a, 1001))
      -- without one, any action matches
      assert.is_true(a:rule_del { from = "10.7.0.0/24" })
      assert.is_nil(find(a, 1001))
      assert.is_true(a:rule_del { to = "10.8.0.0/16", action = "prohibit" })
      assert.is_nil(find(a, 1004))
      assert.equal("blackhole", find(a, 1003).action)
      assert.is_true(a:rule_del { to = "10.8.0.0/16" })
      assert.is_true(a:rule_del { from = "fd07::/64", to = "fd08::/64" })
      assert.is_true(a:rule_del { fwmark = "0x7/0xf", table = 7 })
      -- the spec a goto was added with deletes it, as ip rule del ... goto does
      assert.is_true(a:rule_del { priority = 1007, ["goto"] = 1008 })
      assert.is_true(a:rule_del { priority = 1008 })
      assert.same(before, ours(a))
      agree(a)
    end)

    it("deletes rules that ip made, and ip deletes the library's", function()
      inside(a, "ip rule add pref 1100 from 10.11.0.0/16 fwmark 0x3/0x3 lookup 11")
      inside(a, "ip -6 rule add pref 1101 to fd11::/64 unreachable")
      a:rule_add { priority = 1102, ["not"] = true, iif = "lo", table = 12 }
      assert.is_true(a:rule_del { from = "10.11.0.0/16", fwmark = 3, fwmask = 3, table = 11 })
      assert.is_true(a:rule_del { to = "fd11::/64", action = "unreachable" })
      inside(a, "ip rule del pref 1102")
      assert.same(DEFAULT_RULES, ours(a))
      agree(a)
    end)

    it("refuses a rule that exists (EEXIST); exist_ok returns false", function()
      a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 }
      a:rule_add { priority = 1000, to = "fd07::/64", action = "prohibit" }
      local where = ("(in <anonymous %d>)"):format(a.id)
      fails(a, "netns: rule add pref 1000 " .. where .. ": File exists [EEXIST]", function()
        a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 }
      end)
      fails(a, "netns: rule add pref 1000 " .. where .. ": File exists [EEXIST]", function()
        a:rule_add { priority = 1000, to = "fd07::/64", action = "prohibit" }
      end)
      local before = ours(a)
      assert.is_false(a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100, exist_ok = true })
      assert.is_false(a:rule_add { priority = 1000, to = "fd07::/64", action = "prohibit", exist_ok = true })
      assert.same(before, ours(a))
      -- the same selector at another priority, or another table, is another rule
      assert.is_true(a:rule_add { priority = 1001, from = "10.7.0.0/24", table = 100, exist_ok = true })
      assert.is_true(a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 101, exist_ok = true })
      agree(a)
    end)

    it("refuses to delete a rule that is missing (ENOENT); missing_ok returns false", function()
      a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 }
      local where = ("(in <anonymous %d>)"):format(a.id)
      local cases = {
        { { priority = 1001 }, "pref 1001" },
        { { priority = 1000, family = "inet6" }, "pref 1000" },
        { { priority = 1000, table = 101 }, "pref 1000" },
        { { priority = 1000, action = "prohibit" }, "pref 1000" },
        { { from = "10.99.0.0/16" }, "from 10.99.0.0/16" },
        { { to = "fd99::/64" }, "to fd99::/64" },
        { { table = 55 }, "from all" },
      }
      for _, c in ipairs(cases) do
        fails(a, ("netns: rule del %s %s: No such file or directory [ENOENT]"):format(c[2], where), function()
          a:rule_del(c[1])
        end)
        local spec = { missing_ok = true }
        for k, v in pairs(c[1]) do spec[k] = v end
        assert.is_false(a:rule_del(spec))
      end
      assert.is_true(a:rule_del { priority = 1000, missing_ok = true })
      assert.is_false(a:rule_del { priority = 1000, missing_ok = true })
      assert.same(DEFAULT_RULES, ours(a))
      agree(a)
    end)

    it("refuses a delete that matches by nothing, which would take the local table's rule", function()
      local why = "bad argument #1 to 'rule_del' (a rule to delete needs an option that selects it "
        .. "('family', 'not', 0 and \"all\" select none))"
      -- the kernel matches by what a request sets to other than 0: none of these sets anything
      local specs = { {}, { family = "inet6" }, { missing_ok = true }, { family = "inet", missing_ok = true },
                      { ["not"] = true }, { l3mdev = false }, { from = "all" }, { to = "0.0.0.0/0" },
                      { fwmark = 0 }, { tos = 0 }, { table = 0 }, { ipproto = "ip" }, { protocol = "unspec" },
                      { action = "table" } }
      for _, spec in ipairs(specs) do
        fails(a, why, function() a:rule_del(spec) end)
      end
      assert.same(DEFAULT_RULES, ours(a))
      agree(a)
    end)

    it("names a named namespace in its messages", function()
      local name = ("rulespec-%d"):format(a.id)
      local n = netns.add(name)
      finally(function() n:delete() end)
      n:rule_add { priority = 10, table = 10 }
      H.raises(("netns: rule add pref 10 (in %s): File exists [EEXIST]"):format(name), function()
        n:rule_add { priority = 10, table = 10 }
      end)
      H.raises(("netns: rule del pref 11 (in %s): No such file or directory [ENOENT]"):format(name), function()
        n:rule_del { priority = 11 }
      end)
      assert.same(oracle(n), ours(n))
    end)
  end)

  describe("errors", function()
    local where

    before_each(function()
      where = ("(in <anonymous %d>)"):format(a.id)
      a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 }
    end)

    it("raises argument errors and changes nothing", function()
      local function ports(opt) return ("option '%s' must be a port or a range of ports (1 to 65534)"):format(opt) end
      local uids = "option 'uidrange' must be a user id or a range of them (0 to 4294967294)"
      local cases = {
        -- types
        { { priority = "high", table = 1 }, "option 'priority' must be an integer, got string" },
        { { priority = 1.5, table = 1 }, "option 'priority' must be an integer, got number" },
        { { priority = 1, from = 10, table = 1 }, "option 'from' must be a string, got number" },
        { { priority = 1, to = {}, table = 1 }, "option 'to' must be a string, got table" },
        { { priority = 1, iif = 5, table = 1 }, "option 'iif' must be a string, got number" },
        { { priority = 1, oif = true, table = 1 }, "option 'oif' must be a string, got boolean" },
        { { priority = 1, table = {} }, "option 'table' must be a name or a number" },
        { { priority = 1, tos = "x", table = 1 }, "option 'tos' must be an integer, got string" },
        { { priority = 1, ipproto = true, table = 1 }, "option 'ipproto' must be a name or a number" },
        { { priority = 1, fwmark = true, table = 1 }, "option 'fwmark' must be an integer or a string" },
        { { priority = 1, fwmark = 1, fwmask = "ff", table = 1 },
          "option 'fwmask' must be an integer, got string" },
        { { priority = 1, sport = true, table = 1 }, ports "sport" },
        { { priority = 1, ["not"] = 1, table = 1 }, "option 'not' must be a boolean, got number" },
        { { priority = 1, ["not"] = "yes", table = 1 }, "option 'not' must be a boolean, got string" },
        { { priority = 1, l3mdev = 1 }, "option 'l3mdev' must be a boolean, got number" },
        { { priority = 1, family = 4, table = 1 }, "option 'family' out of range" },
        -- addresses
        { { priority = 1, from = "10.0.0.0/33", table = 1 },
          [[invalid from "10.0.0.0/33": prefix length must be 0 to 32]] },
        { { priority = 1, to = "fd00::/129", table = 1 }, [[invalid to "fd00::/129": prefix length must be 0 to 128]] },
        { { priority = 1, from = "10.1.2", table = 1 }, [[invalid from "10.1.2": not an IPv4 or IPv6 address]] },
        { { priority = 1, to = "10.1.2.3/", table = 1 }, [[invalid to "10.1.2.3/": prefix length must be 0 to 32]] },
        { { priority = 1, from = "10.0.0.0/8x", table = 1 },
          [[invalid from "10.0.0.0/8x": prefix length must be 0 to 32]] },
        { { priority = 1, from = "default", table = 1 }, [[invalid from "default": not an IPv4 or IPv6 address]] },
        { { priority = 1, from = "", table = 1 }, [[invalid from "": not an IPv4 or IPv6 address]] },
        { { priority = 1, to = "fd00:::1", table = 1 }, [[invalid to "fd00:::1": not an IPv4 or IPv6 address]] },
        -- families
        { { priority = 1, from = "10.0.0.0/8", to = "fd00::/64", table = 1 },
          "options 'from', 'to' and 'family' disagree on the family" },
        { { priority = 1, from = "fd00::1", to = "10.0.0.1", table = 1 },
          "options 'from', 'to' and 'family' disagree on the family" },
        { { priority = 1, from = "10.0.0.0/8", family = "inet6", table = 1 },
          "options 'from', 'to' and 'family' disagree on the family" },
        { { priority = 1, to = "fd00::/8", family = "inet", table = 1 },
          "options 'from', 'to' and 'family' disagree on the family" },
        { { priority = 1, family = "ipx", table = 1 }, [[invalid family "ipx"]] },
        -- ranges
        { { priority = -1, table = 1 }, "option 'priority' out of range (0 to 4294967295)" },
        { { priority = 4294967296, table = 1 }, "option 'priority' out of range (0 to 4294967295)" },
        { { priority = 1, tos = 256, table = 1 }, "option 'tos' out of range (0 to 255)" },
        { { priority = 1, tos = -1, table = 1 }, "option 'tos' out of range (0 to 255)" },
        { { priority = 1, table = -1 }, "option 'table' out of range" },
        { { priority = 1, table = 4294967296 }, "option 'table' out of range" },
        { { priority = 1, ipproto = 256, table = 1 }, "option 'ipproto' out of range" },
        { { priority = 1, protocol = 256, table = 1 }, "option 'protocol' out of range" },
        { { priority = 1, suppress_prefixlength = 2147483648, table = 1 },
          "option 'suppress_prefixlength' out of range (0 to 2147483647)" },
        { { priority = 1, suppress_prefixlength = -1, table = 1 },
          "option 'suppress_prefixlength' out of range (0 to 2147483647)" },
        { { priority = 1, ["goto"] = -1 }, "option 'goto' out of range (0 to 4294967295)" },
        { { priority = 1, fwmark = 1, fwmask = 4294967296, table = 1 },
          "option 'fwmask' out of range (0 to 4294967295)" },
        -- ports
        { { priority = 1, sport = 0, table = 1 }, ports "sport" },
        { { priority = 1, sport = 65535, table = 1 }, ports "sport" },
        { { priority = 1, dport = 70000, table = 1 }, ports "dport" },
        { { priority = 1, dport = "2000-1000", table = 1 }, ports "dport" },
        { { priority = 1, dport = "80-", table = 1 }, ports "dport" },
        { { priority = 1, dport = "http", table = 1 }, ports "dport" },
        { { priority = 1, dport = "1-65535", table = 1 }, ports "dport" },
        { { priority = 1, dport = { 80 }, table = 1 }, ports "dport" },
        { { priority = 1, dport = { 80, "x" }, table = 1 }, ports "dport" },
        { { priority = 1, sport = 80.5, table = 1 }, ports "sport" },
        { { priority = 1, sport = { 1, 2, 3 }, table = 1 }, ports "sport" },
        { { priority = 1, sport = { 1, 2, x = 3 }, table = 1 }, ports "sport" },
        { { priority = 1, sport = " 5- 6", table = 1 }, ports "sport" },
        { { priority = 1, sport = "+5", table = 1 }, ports "sport" },
        { { priority = 1, sport = "-5", table = 1 }, ports "sport" },
        { { priority = 1, sport = "5-6-7", table = 1 }, ports "sport" },
        { { priority = 1, sport = { 1, 2, n = 2 }, table = 1 }, ports "sport" },
        -- user ids
        { { priority = 1, uidrange = -1, table = 1 }, uids },
        { { priority = 1, uidrange = 4294967295, table = 1 }, uids },
        { { priority = 1, uidrange = "2000-1000", table = 1 }, uids },
        { { priority = 1, uidrange = "root", table = 1 }, uids },
        { { priority = 1, uidrange = { 1000 }, table = 1 }, uids },
        -- fwmark
        { { priority = 1, fwmark = "0xzz", table = 1 }, [[invalid fwmark "0xzz"]] },
        { { priority = 1, fwmark = "", table = 1 }, [[invalid fwmark ""]] },
        { { priority = 1, fwmark = "0x10/", table = 1 }, [[invalid fwmark "0x10/"]] },
        { { priority = 1, fwmark = "/0xff", table = 1 }, [[invalid fwmark "/0xff"]] },
        { { priority = 1, fwmark = "0x10/0xff/1", table = 1 }, [[invalid fwmark "0x10/0xff/1"]] },
        { { priority = 1, fwmark = "-1", table = 1 }, [[invalid fwmark "-1"]] },
        { { priority = 1, fwmark = -1, table = 1 }, [[invalid fwmark "-1"]] },
        { { priority = 1, fwmark = 1.5, table = 1 }, [[invalid fwmark "1.5"]] },
        { { priority = 1, fwmark = "0x100000000", table = 1 }, [[invalid fwmark "0x100000000"]] },
        { { priority = 1, fwmark = "1/0x100000000", table = 1 }, [[invalid fwmark "1/0x100000000"]] },
        { { priority = 1, fwmask = 0xff, table = 1 }, "option 'fwmask' needs option 'fwmark'" },
        -- names
        { { priority = 1, iif = "a/b", table = 1 }, [[invalid iif "a/b": must not contain '/', ':' or white space]] },
        { { priority = 1, oif = "", table = 1 }, [[invalid oif "": must not be empty]] },
        { { priority = 1, iif = ("x"):rep(16), table = 1 },
          [[invalid iif "xxxxxxxxxxxxxxxx": longer than 15 bytes]] },
        { { priority = 1, table = "all" }, [[invalid table "all"]] },
        { { priority = 1, table = "100x" }, [[invalid table "100x"]] },
        { { priority = 1, action = "drop" }, [[invalid action "drop"]] },
        { { priority = 1, ipproto = "made-up", table = 1 }, [[invalid ipproto "made-up"]] },
        { { priority = 1, protocol = "made-up", table = 1 }, [[invalid protocol "made-up"]] },
        -- option names and combinations
        { { priority = 1, table = 1, bogus = 1 }, "unknown option 'bogus'" },
        { { priority = 1, src = "10.0.0.0/8", table = 1 }, "unknown option 'src'" },
        { { priority = 1, pref = 5, table = 1 }, "unknown option 'pref'" },
        { { "10.0.0.0/8", priority = 1, table = 1 }, "unknown option '1'" },
        { { priority = 1, ["goto"] = 5, action = "prohibit" }, [[option 'goto' needs action "goto"]] },
        { { priority = 1, ["goto"] = 5, table = 5, action = "table" }, [[option 'goto' needs action "goto"]] },
      }
      -- fields that hold for IPv6 as well
      for i = 1, #cases do
        local c = cases[i]
        if not c[1].family and not c[1].from and not c[1].to and c[2]:match("out of range %(0 to") then
          local spec = {}
          for k, v in pairs(c[1]) do spec[k] = v end
          spec.family = "inet6"
          cases[#cases + 1] = { spec, c[2] }
        end
      end
      local ip_before = oracle(a)
      for _, c in ipairs(cases) do
        for _, method in ipairs { "rule_add", "rule_del" } do
          fails(a, ("bad argument #1 to '%s' (%s)"):format(method, c[2]), function()
            a[method](a, c[1])
          end, true)
        end
      end
      assert.same(ip_before, oracle(a))
    end)

    it("refuses a rule without an action when adding, not when deleting", function()
      for _, c in ipairs {
        { { priority = 1 }, "a rule needs option 'table' or 'action'" },
        { { from = "10.7.0.0/24" }, "a rule needs option 'table' or 'action'" },
        { { priority = 1, table = 0 }, "a rule needs option 'table' or 'action'" },
        { { priority = 1, action = "table" }, [[action "table" needs option 'table']] },
      } do
        fails(a, ("bad argument #1 to 'rule_add' (%s)"):format(c[2]), function() a:rule_add(c[1]) end)
      end
      for _, method in ipairs { "rule_add", "rule_del" } do
        fails(a, ("bad argument #1 to '%s' (option 'goto' needs action \"goto\")"):format(method), function()
          a[method](a, { priority = 1000, ["goto"] = 1005, action = "nop" })
        end)
      end
      assert.is_true(a:rule_del { from = "10.7.0.0/24" })
      assert.same(DEFAULT_RULES, ours(a))
    end)

    it("raises argument errors for what is not an option table", function()
      for _, method in ipairs { "rule_add", "rule_del" } do
        fails(a, ("bad argument #1 to '%s' (table expected, got string)"):format(method), function()
          a[method](a, "from 10.0.0.0/8 table 5")
        end)
        fails(a, ("bad argument #1 to '%s' (table expected, got nil)"):format(method), function()
          a[method](a)
        end)
      end
      fails(a, "bad argument #1 to 'rules' (table expected, got number)", function() a:rules(5) end)
      fails(a, "bad argument #1 to 'rules' (unknown option 'table')", function() a:rules { table = 5 } end)
      fails(a, [[bad argument #1 to 'rules' (invalid family "inet4")]], function() a:rules { family = "inet4" } end)
    end)

    it("names the kernel's reason for a rule it refuses", function()
      fails(a, "netns: rule add pref 10 " .. where .. ": Invalid argument [EINVAL]: Backward goto not supported",
        function() a:rule_add { priority = 10, ["goto"] = 5 } end)
      -- IPv4 takes only the old TOS bits (0x1e)
      fails(a, "netns: rule add pref 10 " .. where .. ": Invalid argument [EINVAL]: Invalid tos",
        function() a:rule_add { priority = 10, tos = 0x28, table = 5 } end)
    end)

    it("points at the caller's line", function()
      local line = debug.getinfo(1, "l").currentline
      local ok, err = pcall(function()
        a:rule_add { priority = 1000, from = "10.7.0.0/24", table = 100 }
      end)
      assert.is_false(ok)
      assert.matches("rule_spec%.lua:" .. (line + 2) .. ": netns: rule add pref 1000", err)
      ok, err = pcall(function()
        a:rule_del { priority = -5 }
      end)
      assert.is_false(ok)
      assert.matches("rule_spec%.lua:" .. (line + 7) .. ": bad argument #1 to 'rule_del'", err)
    end)

    it("keeps raising on a closed handle, and leaves the open one alone", function()
      local c = netns.new()
      c:rule_add { priority = 5, table = 5 }
      c:close()
      for _, fn in ipairs {
        function() c:rules() end,
        function() c:rules { family = "inet" } end,
        function() c:rule_add { priority = 6, table = 6 } end,
        function() c:rule_del { priority = 5 } end,
        function() c:rule_add { priority = "bad" } end,
      } do
        fails(a, H.closed(c), fn)
      end
    end)
  end)
end)

describe("routing by rule", function()
  local a, b

  -- Two paths between a and b:
  --   a p1a 10.1.0.1/24 <-> 10.1.0.2/24 p1b b
  --   a p2a 10.2.0.1/24 <-> 10.2.0.2/24 p2b b
  -- a has sources 10.8.0.1 and 10.8.0.2 on lo, b destinations 10.9.0.1 and
  -- 10.9.0.2.  a's table main reaches 10.9.0.1 by path 1 only; its table 100
  -- reaches 10.9.0.0/24 by path 2.  b answers each source by its own path.
  before_each(function()
    a, b = netns.new(), netns.new()
    for _, ns in ipairs { a, b } do
      -- nothing but the pings on the wire: no IPv6 chatter, no reverse-path filter
      ns:sysctl("net.ipv6.conf.all.disable_ipv6", 1)
      ns:sysctl("net.ipv6.conf.default.disable_ipv6", 1)
      ns:sysctl("net.ipv4.conf.all.rp_filter", 0)
      ns:sysctl("net.ipv4.conf.default.rp_filter", 0)
      ns:link_set("lo", { up = true })
    end
    local p1a, p1b = a:veth("p1a", "p1b", { peer_ns = b, up = true })
    local p2a, p2b = a:veth("p2a", "p2b", { peer_ns = b, up = true })
    p1a:addr_add "10.1.0.1/24"
    p1b:addr_add "10.1.0.2/24"
    p2a:addr_add "10.2.0.1/24"
    p2b:addr_add "10.2.0.2/24"
    a:addr_add("lo", "10.8.0.1/32")
    a:addr_add("lo", "10.8.0.2/32")
    b:addr_add("lo", "10.9.0.1/32")
    b:addr_add("lo", "10.9.0.2/32")
    -- Permanent neighbours: no ARP on the wire while a test counts packets
    -- (an entry learnt by ARP is probed again some seconds after its use).
    a:neigh_add { dst = "10.1.0.2", dev = "p1a", lladdr = p1b.address }
    a:neigh_add { dst = "10.2.0.2", dev = "p2a", lladdr = p2b.address }
    b:neigh_add { dst = "10.1.0.1", dev = "p1b", lladdr = p1a.address }
    b:neigh_add { dst = "10.2.0.1", dev = "p2b", lladdr = p2a.address }
    a:route_add { dst = "10.9.0.1", gateway = "10.1.0.2" }
    a:route_add { dst = "10.9.0.0/24", gateway = "10.2.0.2", table = 100 }
    b:route_add { dst = "10.8.0.1", gateway = "10.1.0.1" }
    b:route_add { dst = "10.8.0.2", gateway = "10.2.0.1" }
  end)

  after_each(function()
    for _, ns in ipairs { a, b } do
      if ns then ns:close() end
    end
    a, b = nil, nil
  end)

  local function ping(from, src, addr, extra)
    local cmd = { "ping", "-c", "1", "-W", "1", "-I", src }
    for _, x in ipairs(extra or {}) do cmd[#cmd + 1] = x end
    cmd[#cmd + 1] = addr
    return from:exec(cmd, { stdout = "null", stderr = "null" }) == true
  end

  -- Packets sent so far by a's links p1a and p2a.
  local function sent()
    local out = {}
    for _, l in ipairs(H.ip(a, "-s link show")) do
      if l.ifname == "p1a" or l.ifname == "p2a" then out[l.ifname] = l.stats64.tx.packets end
    end
    return out
  end

  -- What a ping from @src to @addr sends on each path: true when it went
  -- through, and the packets p1a and p2a sent meanwhile.
  local function trace(src, addr, extra)
    local before = sent()
    local ok = ping(a, src, addr, extra)
    local after = sent()
    return ok, after.p1a - before.p1a, after.p2a - before.p2a
  end

  -- Both sides reach each other on both paths before a test counts packets.
  local function warm()
    assert.is_true(ping(a, "10.1.0.1", "10.1.0.2"))
    assert.is_true(ping(a, "10.2.0.1", "10.2.0.2"))
    assert.is_true(ping(b, "10.1.0.2", "10.1.0.1"))
    assert.is_true(ping(b, "10.2.0.2", "10.2.0.1"))
  end

  it("sends packets from the rule's source by the rule's table, others by main", function()
    warm()
    -- without the rule, both sources use table main: path 1, and no route to 10.9.0.2
    local ok, p1, p2 = trace("10.8.0.2", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
    assert.is_false(ping(a, "10.8.0.2", "10.9.0.2"))

    assert.is_true(a:rule_add { priority = 1000, from = "10.8.0.2", table = 100 })
    assert.same({ family = "inet", priority = 1000, src = "10.8.0.2", table = 100 }, find(a, 1000))
    agree(a)

    ok, p1, p2 = trace("10.8.0.2", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p1 })
    assert.is_true(p2 >= 1)
    ok, p1, p2 = trace("10.8.0.2", "10.9.0.2")
    assert.same({ true, 0 }, { ok, p1 })
    assert.is_true(p2 >= 1)
    -- the other source still takes path 1, and still has no way to 10.9.0.2
    ok, p1, p2 = trace("10.8.0.1", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
    ok, p1, p2 = trace("10.8.0.1", "10.9.0.2")
    assert.same({ false, 0, 0 }, { ok, p1, p2 })

    -- once the rule is gone, the first source is back on path 1
    assert.is_true(a:rule_del { from = "10.8.0.2", table = 100 })
    ok, p1, p2 = trace("10.8.0.2", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
    assert.is_false(ping(a, "10.8.0.2", "10.9.0.2"))
  end)

  it("sends marked packets by a fwmark rule's table", function()
    warm()
    a:rule_add { priority = 1000, fwmark = "0x7/0xff", table = 100 }
    local ok, p1, p2 = trace("10.8.0.1", "10.9.0.1", { "-m", "263" })
    assert.same({ true, 0 }, { ok, p1 })
    assert.is_true(p2 >= 1)
    ok, p1, p2 = trace("10.8.0.1", "10.9.0.1", { "-m", "8" })
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
    ok, p1, p2 = trace("10.8.0.1", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
  end)

  it("stops packets at a prohibit rule, and lets them pass once it is deleted", function()
    warm()
    a:rule_add { priority = 900, to = "10.9.0.1", action = "prohibit" }
    local ok, p1, p2 = trace("10.8.0.1", "10.9.0.1")
    assert.same({ false, 0, 0 }, { ok, p1, p2 })
    -- not: everything but 10.8.0.1 is prohibited
    a:rule_del { priority = 900 }
    a:rule_add { priority = 900, ["not"] = true, from = "10.8.0.1", action = "prohibit" }
    ok, p1, p2 = trace("10.8.0.1", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
    ok, p1, p2 = trace("10.8.0.2", "10.9.0.1")
    assert.same({ false, 0, 0 }, { ok, p1, p2 })
    a:rule_del { priority = 900, ["not"] = true, from = "10.8.0.1" }
    ok, p1, p2 = trace("10.8.0.2", "10.9.0.1")
    assert.same({ true, 0 }, { ok, p2 })
    assert.is_true(p1 >= 1)
  end)
end)
