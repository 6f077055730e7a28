-- Records print as `ip` prints them: tostring() of a link, an address, a
-- route, a neighbour and a rule against what was built and against `ip`'s
-- own lines; the lists the methods return print one record a line; and
-- `nslua -i` echoes a record in that form.

local netns = require "netns"
local H = require "helper"

-- `ip ARGS` inside @ns: its lines, without trailing blanks.
local function ip_lines(ns, args)
  local out, ok = H.sh(H.inside(ns) .. "ip " .. args .. " 2>&1")
  assert(ok, "ip " .. args .. " failed: " .. out)
  local lines = {}
  for line in out:gmatch("[^\n]+") do lines[#lines + 1] = (line:gsub("%s+$", "")) end
  return lines
end

-- ip spreads a multipath route over lines, each next hop on a line of its
-- own that starts with a tab: joined, as tostring writes it.
local function joined(lines)
  local out = {}
  for _, line in ipairs(lines) do
    if line:match("^%s") then
      out[#out] = out[#out] .. " " .. line:gsub("^%s+", "")
    else
      out[#out + 1] = line
    end
  end
  return out
end

local function strings(list)
  local out = {}
  for i, rec in ipairs(list) do out[i] = tostring(rec) end
  return out
end

-- A copy of @t without metatables, nested tables included.
local function plain(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = plain(v) end
  return out
end

describe("records print as ip shows them", function()
  local a, b, mac

  setup(function()
    a, b = netns.new(), netns.new()
    a:link_set("lo", { up = true })
    local t0 = a:veth("t0", "t1", { peer_ns = b, up = true, address = "02:00:00:00:00:01" })
    mac = t0.address
    a:veth("p0", "p1", { up = true })
    a:bridge("br0", { up = true })
    a:link_set("p1", { master = "br0", mtu = 1400 })
    a:addr_add("t0", "10.0.0.1/24")
    a:addr_add("t0", "10.9.0.1/32", { peer = "10.9.0.2/32" })
    a:addr_add("t0", "fd00::1/64", { nodad = true })
    a:addr_add("lo", "127.0.0.2/8", { label = "lo:x", scope = "host" })
    a:route_add { dst = "10.5.0.0/16", gateway = "10.0.0.2", metric = 5 }
    a:route_add { dst = "10.6.0.0/16", gateway = "10.0.0.3", protocol = "static" }
    a:route_add { dst = "10.7.0.0/16", type = "unreachable" }
    a:route_add { dst = "default", nexthops = { { gateway = "10.0.0.2", weight = 2 },
                                                { gateway = "10.9.0.2" } } }
    a:route_add { dst = "fd05::/64", gateway = "fd00::2" }
    a:route_add { dst = "fd09::/64", nexthops = { { gateway = "fd00::2", dev = "t0" },
                                                  { gateway = "fd00::3", dev = "t0" } } }
    -- a route by a nexthop object, which only ip makes
    for _, cmd in ipairs { "ip nexthop add id 5 via 10.0.0.2 dev t0", "ip route add 10.70.0.0/24 nhid 5" } do
      local out, ok = H.sh(H.inside(a) .. cmd .. " 2>&1")
      assert(ok, cmd .. ": " .. out)
    end
    a:neigh_add { dst = "10.0.0.7", lladdr = "02:00:00:00:00:07", dev = "t0" }
    a:neigh_add { dst = "10.0.0.8", lladdr = "02:00:00:00:00:08", dev = "t0", state = "stale",
                  router = true }
    a:rule_add { priority = 1001, table = 101, protocol = "static" }
    -- links that settle no more, so that ip and the records see the same
    for _, dev in ipairs { "t0", "p0", "p1", "br0" } do
      assert(a:wait { link = dev, operstate = "UP" }, dev .. " never came up")
    end
  end)

  teardown(function()
    if a then a:close() end
    if b then b:close() end
  end)

  it("a link: its `ip -br link` line, then mtu and master", function()
    assert.are.equal("lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> mtu 65536",
      tostring(a:link("lo")))
    -- the peer is in another namespace: ip names it by its index there
    local t0 = a:link("t0")
    assert.are.equal(("%-16s UP             %s <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"):format(
      "t0@if" .. t0.link_index, mac), tostring(t0))
    assert.matches("^p1@p0 +%u+ +%x%x:[%x:]+ <[%u_,-]+> mtu 1400 master br0$", tostring(a:link("p1")))
    local brief = ip_lines(a, "-br link")
    local mine = strings(a:links())
    for i, line in ipairs(mine) do mine[i] = line:gsub(" mtu %d+.*$", "") end
    assert.are.same(brief, mine)
  end)

  it("an address: as `ip address add` takes it", function()
    local got = {}
    for _, addr in ipairs(a:addrs()) do got[tostring(addr)] = true end
    for _, line in ipairs {
      "10.0.0.1/24 dev t0",
      "10.9.0.1 peer 10.9.0.2/32 dev t0",
      "fd00::1/64 dev t0",
      "127.0.0.1/8 dev lo scope host",
      "127.0.0.2/8 dev lo scope host label lo:x",
      "::1/128 dev lo scope host",
    } do
      assert.is_true(got[line], ("no %q among:\n%s"):format(line, tostring(a:addrs())))
    end
  end)

  it("a route: its `ip route` line", function()
    local mine = strings(a:routes { family = "inet" })
    assert.are.equal("default nexthop via 10.0.0.2 dev t0 weight 2 nexthop via 10.9.0.2 dev t0 weight 1",
      mine[1])
    assert.are.same(joined(ip_lines(a, "route")), mine)
    local v6 = strings(a:routes { family = "inet6" })
    assert.are.same(joined(ip_lines(a, "-6 route")), v6)
    local found = {}
    for _, line in ipairs(v6) do found[line:match("^%S+")] = line end
    assert.are.equal("fd09::/64 metric 1024 pref medium nexthop via fd00::2 dev t0 weight 1 " ..
      "nexthop via fd00::3 dev t0 weight 1", found["fd09::/64"])
    for _, line in ipairs(mine) do found[line:match("^%S+")] = line end
    assert.are.equal("10.70.0.0/24 nhid 5 via 10.0.0.2 dev t0", found["10.70.0.0/24"])
    -- shown one table, ip leaves out the table's name
    local loc = strings(a:routes { family = "inet", table = "local" })
    for i, line in ipairs(loc) do loc[i] = line:gsub(" table local", "") end
    assert.are.same(ip_lines(a, "route show table local"), loc)
  end)

  it("a neighbour: its `ip neigh` line", function()
    -- ip first: an entry made in between shows only in the records
    local shown = ip_lines(a, "neigh show nud all")
    local got = {}
    for _, n in ipairs(a:neighbors()) do got[tostring(n)] = true end
    assert.is_true(got["10.0.0.7 dev t0 lladdr 02:00:00:00:00:07 PERMANENT"])
    assert.is_true(got["10.0.0.8 dev t0 lladdr 02:00:00:00:00:08 router STALE"])
    for _, line in ipairs(shown) do
      assert.is_true(got[line], ("ip shows %q, the records do not"):format(line))
    end
  end)

  it("a rule: its `ip rule` line", function()
    assert.are.same(ip_lines(a, "rule"), strings(a:rules { family = "inet" }))
    assert.are.same(ip_lines(a, "-6 rule"), strings(a:rules { family = "inet6" }))
  end)

  it("a list: one record a line", function()
    assert.are.equal(table.concat(strings(a:routes()), "\n"), tostring(a:routes()))
    assert.are.equal(table.concat(strings(a:links()), "\n"), tostring(a:links()))
    assert.are.equal("", tostring(b:neighbors { dev = "lo" }))
  end)

  it("a namespace handle: netns <name> or <anonymous inode>", function()
    assert.are.equal(("netns <anonymous %d>"):format(a.id), tostring(a))
  end)

  it("leaves records plain tables: are.same still compares their fields", function()
    for _, list in ipairs { a:links(), a:addrs(), a:routes(), a:neighbors(), a:rules() } do
      for _, rec in ipairs(list) do
        local copy = plain(rec)
        copy.ns = rec.ns
        assert.are.same(copy, rec)
        assert.are.same(rec, copy)
      end
    end
  end)

  it("nslua -i echoes a record in that form", function()
    local input = table.concat({
      "ns = netns.new()",
      "ns:link_set('lo', { up = true })",
      "return ns:links()[1]",
      "=ns:addrs()[1]",
      "=#ns:routes { table = 'local' } > 0",
    }, "\n") .. "\n"
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "w"))
    f:write(input)
    f:close()
    local out, ok = H.sh(H.quote(H.nslua) .. " -i < " .. H.quote(tmp) .. " 2>&1")
    os.remove(tmp)
    assert.is_true(ok, out)
    assert.matches("\nlo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> mtu 65536\n",
      out, 1, true)
    assert.matches("\n127.0.0.1/8 dev lo scope host\n", out, 1, true)
    assert.matches("\ntrue\n", out, 1, true)
  end)
end)
