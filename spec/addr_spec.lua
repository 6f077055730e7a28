-- Addresses: ns:addrs, ns:addr_add, ns:addr_del and the link shorthands.
-- Every check reads the state back from the kernel twice, through the
-- library and through `ip -j addr show`, and compares the two.

local netns = require "netns"
local H = require "helper"

---------------------------------------------------------------------------
-- Local helpers


-- Open descriptors of this process.
local fds = H.fd_count

-- `ip -j addr show [dev DEV]` in @ns, one record per address (addr_info
-- flattened per link, each with the ifindex and ifname of its link).
local function ip_addrs(ns, dev)
  local out = {}
  local args = "addr show" .. (dev and (" dev " .. dev) or "")
  for _, link in ipairs(H.ip(ns, args)) do
    for _, info in ipairs(link.addr_info or {}) do
      local rec = H.denull(info)
      rec.ifindex, rec.ifname = link.ifindex, link.ifname
      out[#out + 1] = rec
    end
  end
  return out
end

local same = H.same

local function by_address(a, b)
  if a.ifindex ~= b.ifindex then return a.ifindex < b.ifindex end
  if a.family ~= b.family then return a.family < b.family end
  return a["local"] < b["local"]
end

-- A library record as ip prints it: `cidr` checked and dropped.
local function as_ip(rec)
  local out = {}
  for k, v in pairs(rec) do out[k] = v end
  assert.are.equal(rec["local"] .. "/" .. rec.prefixlen, rec.cidr)
  out.cidr = nil
  return out
end

-- The library's records of @ns (for @dev) and ip's, read while nothing
-- changes (IPv6 duplicate address detection ends on its own): ip is read
-- before and after the library, until both readings agree.
local function both(ns, dev, ip_dev)
  for _ = 1, 20 do
    local before = ip_addrs(ns, ip_dev or dev)
    local mine = ns:addrs(dev)
    local after = ip_addrs(ns, ip_dev or dev)
    table.sort(before, by_address)
    table.sort(after, by_address)
    if same(before, after) then
      local list = {}
      for i, rec in ipairs(mine) do list[i] = as_ip(rec) end
      table.sort(list, by_address)
      return list, before, mine
    end
    H.sh("sleep 0.1")
  end
  error("the addresses of " .. tostring(ns) .. " never held still")
end

-- Asserts that the library lists exactly what ip lists; returns ip's records.
local function same_as_ip(ns, dev, ip_dev)
  local mine, theirs = both(ns, dev, ip_dev)
  assert.are.same(theirs, mine)
  return theirs
end

-- ip's record of @cidr in @ns (on @dev, if given), or nil.
local function ip_find(ns, cidr, dev)
  local addr, len = cidr:match("^(.-)/(%d+)$")
  for _, rec in ipairs(ip_addrs(ns, dev)) do
    if rec["local"] == addr and rec.prefixlen == tonumber(len) then return rec end
  end
  return nil
end

-- The library's record of @cidr in @ns (on @dev, if given), or nil.
local function lib_find(ns, cidr, dev)
  for _, rec in ipairs(ns:addrs(dev)) do
    if rec.cidr == cidr then return rec end
  end
  return nil
end

local seq = 0

-- A fresh named namespace holding the veth pair va/vb (up when @up), removed
-- when the test ends; that it leaves no descriptor behind is checked then.
local function fresh(up)
  seq = seq + 1
  local fd0 = fds()
  local ns = netns.add(("addr-%d-%d"):format(os.time() % 100000, seq))
  local name = ns.name
  finally(function()
    ns:delete()
    assert.is_false(netns.exists(name))
    assert.are.equal(fd0, fds())
  end)
  local va, vb = ns:veth("va", "vb", { up = up })
  return ns, va, vb
end

local function raises(msg, extack, fn)
  H.raises_in("addr_spec%.lua", msg, extack, fn)
end

---------------------------------------------------------------------------

describe("ns:addrs", function()
  it("lists every address as ip -j addr show does", function()
    local ns, va = fresh(true)
    ns:link("lo"):up()
    ns:addr_add("va", "10.0.0.1/24", { broadcast = "+", label = "va:one" })
    ns:addr_add("va", "10.0.0.5/24")                     -- secondary
    ns:addr_add(va.ifindex, "fd00::1/64", { nodad = true })
    ns:addr_add("vb", "10.9.0.1/32", { peer = "10.9.0.2/32" })
    ns:addr_add("vb", "fd00::9/64", { nodad = true, noprefixroute = true })
    ns:addr_add("vb", "fd00::a/64")                      -- tentative
    local list = same_as_ip(ns)
    -- lo's two, two on va and its link-local, four on vb with its link-local
    assert.are.equal(10, #list)
  end)

  it("carries each field ip prints", function()
    local ns, va, vb = fresh(false)
    ns:addr_add("va", "10.0.0.1/24", { broadcast = "+", label = "va:one" })
    ns:addr_add("vb", "10.9.0.1/32", { peer = "10.9.0.2/32" })
    ns:addr_add("vb", "fd00::9/64", { nodad = true })
    same_as_ip(ns)
    local v4 = lib_find(ns, "10.0.0.1/24")
    assert.are.same({
      ifindex = va.ifindex, ifname = "va", family = "inet", ["local"] = "10.0.0.1",
      prefixlen = 24, scope = "global", broadcast = "10.0.0.255", label = "va:one",
      cidr = "10.0.0.1/24", valid_life_time = 4294967295, preferred_life_time = 4294967295,
    }, v4)
    local p2p = lib_find(ns, "10.9.0.1/32")
    assert.are.equal("10.9.0.2", p2p.address)
    assert.are.equal(vb.ifindex, p2p.ifindex)
    local v6 = lib_find(ns, "fd00::9/64")
    assert.are.equal("inet6", v6.family)
    assert.is_true(v6.nodad)
    assert.is_nil(v6.label)
    assert.is_nil(v6.broadcast)
  end)

  it("lists one device's addresses, the device given by name or by ifindex", function()
    local ns, va, vb = fresh(false)
    ns:addr_add("va", "10.0.0.1/24")
    ns:addr_add("va", "fd00::1/64", { nodad = true })
    ns:addr_add("vb", "10.0.1.1/24")
    local by_name = same_as_ip(ns, "va")
    assert.are.equal(2, #by_name)
    for _, rec in ipairs(by_name) do assert.are.equal(va.ifindex, rec.ifindex) end
    local by_index = same_as_ip(ns, vb.ifindex, "vb")
    assert.are.equal(1, #by_index)
    assert.are.equal("10.0.1.1", by_index[1]["local"])
  end)

  it("returns an empty list for a device without addresses", function()
    local ns = fresh(false)
    assert.are.same({}, ns:addrs("va"))
    assert.are.same({}, ip_addrs(ns, "va"))
  end)

  it("raises for a device that does not exist", function()
    local ns = fresh(false)
    raises(("netns: address show nope (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:addrs("nope") end)
  end)

  it("raises for an ifindex that names nothing, or a link deleted since its record was read", function()
    -- The kernel ends such a dump with its error in the closing message, not
    -- with an error message: an empty list would say the device has no address.
    local ns, va = fresh(false)
    raises(("netns: address show 999 (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:addrs(999) end)
    ns:link_del("va")
    raises(("netns: address show %d (in %s): No such device [ENODEV]"):format(va.ifindex, ns.name),
      false, function() ns:addrs(va.ifindex) end)
    -- a record names it as it knew it
    raises(("netns: address show va (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() va:addrs() end)
    -- the handle's socket answers the next listing
    assert.are.same({}, ns:addrs())
  end)
end)

describe("names kept between listings", function()
  -- A listing that names more than 64 devices makes its handle keep the
  -- names, kept current by link events on a socket of its own.
  local N = 100

  local function cidr(i) return ("10.1.%d.%d/32"):format(i // 256, i % 256) end

  -- @ns (from fresh) with veths d1..dN (pairs d1-d2, d3-d4, ...), each end
  -- with one address, and listed twice: once to ask for N names, once to
  -- keep them.
  local function keeping(ns)
    for i = 1, N, 2 do ns:link_add { kind = "veth", name = "d" .. i, peer = "d" .. (i + 1) } end
    for i = 1, N do ns:addr_add("d" .. i, cidr(i)) end
    local before = fds()
    ns:addrs()
    assert.are.equal(before, fds())
    ns:addrs()
    assert.are.equal(before + 1, fds())
    return ns
  end

  -- Runs the lines of @batch with one `ip -batch` inside @ns: changes the
  -- handle only hears of.
  local function ip_batch(ns, batch)
    local file = os.tmpname()
    H.write_file(file, table.concat(batch, "\n") .. "\n")
    H.run(H.inside(ns) .. "ip -batch " .. file)
    os.remove(file)
  end

  it("still lists exactly what ip lists", function()
    local ns = keeping(fresh(false))
    same_as_ip(ns)
    assert.are.equal("d7", lib_find(ns, cidr(7)).ifname)
  end)

  it("follows renames and deletions made by others", function()
    local ns = keeping(fresh(false))
    ip_batch(ns, { "link set d7 name renamed7", "link del d9" })   -- d10 goes too
    same_as_ip(ns)
    assert.are.equal("renamed7", lib_find(ns, cidr(7)).ifname)
    assert.is_nil(lib_find(ns, cidr(9)))
    assert.is_nil(lib_find(ns, cidr(10)))
    -- the names serve every listing of the handle
    ns:link_set("renamed7", { up = true })
    ns:route_add { dst = "10.2.0.0/24", dev = "renamed7" }
    local dev
    for _, r in ipairs(ns:routes()) do
      if r.dst == "10.2.0.0/24" then dev = r.dev end
    end
    assert.are.equal("renamed7", dev)
  end)

  it("stays exact when more changes come than its socket holds", function()
    local ns = keeping(fresh(false))
    -- Three renames of every device: a few hundred kilobytes of events,
    -- more than a socket's default receive buffer.
    local batch = {}
    for round = 1, 3 do
      for i = 1, N do
        local from = round == 1 and ("d" .. i) or ("r%d-%d"):format(round - 1, i)
        batch[#batch + 1] = ("link set %s name r%d-%d"):format(from, round, i)
      end
    end
    ip_batch(ns, batch)
    same_as_ip(ns)
    assert.are.equal("r3-9", lib_find(ns, cidr(9)).ifname)
  end)
end)

describe("ns:addr_add and ns:addr_del", function()
  it("add and delete an IPv4 address, the device given by name", function()
    local ns, va = fresh(false)
    assert.is_true(ns:addr_add("va", "192.0.2.10/24"))
    local rec = ip_find(ns, "192.0.2.10/24")
    assert.are.same({ family = "inet", ["local"] = "192.0.2.10", prefixlen = 24,
                      scope = "global", label = "va", valid_life_time = 4294967295,
                      preferred_life_time = 4294967295, ifindex = va.ifindex, ifname = "va" },
                    rec)
    same_as_ip(ns)
    assert.is_true(ns:addr_del("va", "192.0.2.10/24"))
    assert.is_nil(ip_find(ns, "192.0.2.10/24"))
    assert.is_nil(lib_find(ns, "192.0.2.10/24"))
    same_as_ip(ns)
  end)

  it("add and delete an IPv6 address, the device given by ifindex", function()
    local ns, _, vb = fresh(false)
    assert.is_true(ns:addr_add(vb.ifindex, "2001:db8::7/64", { nodad = true }))
    local rec = ip_find(ns, "2001:db8::7/64")
    assert.are.equal(vb.ifindex, rec.ifindex)
    assert.are.equal("inet6", rec.family)
    assert.are.equal("global", rec.scope)
    same_as_ip(ns)
    assert.is_true(ns:addr_del(vb.ifindex, "2001:db8::7/64"))
    assert.is_nil(ip_find(ns, "2001:db8::7/64"))
    assert.is_nil(lib_find(ns, "2001:db8::7/64"))
  end)

  it("deletes the address a record describes, a peer's as well, and no other", function()
    local ns = fresh(true)
    ns:addr_add("va", "192.0.2.10/24")
    ns:addr_add("va", "192.0.2.10/25", { label = "va:x" })
    ns:addr_add("vb", "192.0.2.10/24")
    ns:addr_add("va", "10.9.0.1", { peer = "10.9.0.2/30" })
    ns:addr_add("va", "10.9.0.1", { peer = "10.9.0.6/30" })
    ns:addr_add("vb", "2001:db8::7/64", { nodad = true })
    ns:addr_add("va", "2001:db8::7/64", { nodad = true })
    local targets = {}
    for _, a in ipairs(ns:addrs()) do
      if a.scope == "global" then targets[#targets + 1] = a end
    end
    assert.are.equal(7, #targets)
    -- the last listed first, as a spec that matched too much would take the first
    for i = #targets, 1, -1 do
      local a = targets[i]
      local others = {}
      for _, o in ipairs(ip_addrs(ns)) do
        if not (o.ifindex == a.ifindex and o["local"] == a["local"] and o.prefixlen == a.prefixlen
                and o.address == a.address) then
          others[#others + 1] = o
        end
      end
      table.sort(others, by_address)
      assert.is_true(ns:addr_del(a), tostring(a))
      local left = ip_addrs(ns)
      table.sort(left, by_address)
      assert.are.same(others, left, "after deleting " .. tostring(a))
    end
    same_as_ip(ns)
  end)

  -- A fresh namespace with 192.0.2.10/24 on va, and the record of that address.
  local function one_address()
    local ns = fresh(false)
    ns:addr_add("va", "192.0.2.10/24")
    return ns, lib_find(ns, "192.0.2.10/24")
  end

  it("deletes by record the address of a device renamed since the listing", function()
    local ns, a = one_address()
    ns:link_set("va", { name = "renamed" })
    assert.is_true(ns:addr_del(a))
    assert.is_nil(ip_find(ns, "192.0.2.10/24"))
    same_as_ip(ns)
  end)

  it("takes missing_ok after an address record, and refuses other options there", function()
    local ns, a = one_address()
    assert.is_true(ns:addr_del(a))
    assert.is_false(ns:addr_del(a, { missing_ok = true }))
    raises(("netns: address del 192.0.2.10/24 dev va (in %s): Cannot assign requested address "
      .. "[EADDRNOTAVAIL]"):format(ns.name), "ipv4: Address not found", function() ns:addr_del(a) end)
    raises("bad argument #2 to 'addr_del' (unknown option 'nodad')", nil,
      function() ns:addr_del(a, { nodad = true }) end)
    raises("bad argument #2 to 'addr_del' (table expected, got string)", nil,
      function() ns:addr_del(a, "192.0.2.10/24") end)
    same_as_ip(ns)
  end)

  it("refuses on a delete the options the kernel would ignore there", function()
    local ns, va = fresh(false)
    ns:addr_add("va", "192.0.2.10/24")
    local cases = { nodad = true, noprefixroute = true, broadcast = "+", scope = "host", metric = 5 }
    for k, v in pairs(cases) do
      raises(("bad argument #3 to 'addr_del' (option '%s' is for addr_add only)"):format(k), nil,
        function() ns:addr_del("va", "192.0.2.10/24", { [k] = v }) end)
      -- the link shorthand's options are its argument #2
      raises(("bad argument #2 to 'addr_del' (option '%s' is for addr_add only)"):format(k), nil,
        function() va:addr_del("192.0.2.10/24", { [k] = v }) end)
    end
    raises("bad argument #2 to 'addr_add' (unknown option 'bogus')", nil,
      function() va:addr_add("192.0.2.11/24", { bogus = true }) end)
    assert.truthy(ip_find(ns, "192.0.2.10/24"))
    -- the label is matched: another one deletes nothing
    raises(("netns: address del 192.0.2.10/24 dev va (in %s): Cannot assign requested address "
      .. "[EADDRNOTAVAIL]"):format(ns.name), "ipv4: Address not found",
      function() ns:addr_del("va", "192.0.2.10/24", { label = "va:1" }) end)
    assert.is_true(ns:addr_del("va", "192.0.2.10/24", { label = "va" }))
    same_as_ip(ns)
  end)

  it("gives an IPv4 loopback address the host scope, as ip does", function()
    local ns = fresh(false)
    assert.is_true(ns:addr_add("va", "127.0.0.5/8"))
    H.sh(H.inside(ns) .. "ip addr add 127.0.1.5/8 dev vb")
    assert.are.equal("host", ip_find(ns, "127.0.1.5/8").scope)
    assert.are.equal("host", ip_find(ns, "127.0.0.5/8").scope)
    assert.are.equal("host", lib_find(ns, "127.0.0.5/8").scope)
    same_as_ip(ns)
    assert.is_true(ns:addr_del("va", "127.0.0.5/8"))
    assert.is_nil(ip_find(ns, "127.0.0.5/8"))
    -- a scope given is kept
    assert.is_true(ns:addr_add("va", "127.0.0.6/8", { scope = "link" }))
    assert.are.equal("link", ip_find(ns, "127.0.0.6/8").scope)
    same_as_ip(ns)
  end)

  it("sets the metric of an address's prefix route, and lists it, as ip does", function()
    local ns = fresh(true)
    assert.is_true(ns:addr_add("va", "10.8.0.1/24", { metric = 50 }))
    assert.is_true(ns:addr_add("va", "fd08::1/64", { metric = 60, nodad = true }))
    H.sh(H.inside(ns) .. "ip addr add 10.8.1.1/24 dev vb metric 70")
    same_as_ip(ns)
    assert.are.equal(50, lib_find(ns, "10.8.0.1/24").metric)
    assert.are.equal(70, lib_find(ns, "10.8.1.1/24").metric)
    -- the kernel's prefix route has it
    local routes = {}
    for _, r in ipairs(ns:routes { family = "inet" }) do routes[r.dst] = r.metric end
    assert.are.same({ 50, 70 }, { routes["10.8.0.0/24"], routes["10.8.1.0/24"] })
    assert.are.equal("10.8.0.1/24 dev va metric 50", tostring(lib_find(ns, "10.8.0.1/24")))
    raises("bad argument #3 to 'addr_add' (option 'metric' must be an integer, got string)", nil,
      function() ns:addr_add("va", "10.8.2.1/24", { metric = "x" }) end)
  end)

  it("lists a scope that has no name as its number", function()
    local ns = fresh(false)
    assert.is_true(ns:addr_add("va", "10.9.0.1/24", { scope = 100 }))
    assert.are.equal("100", ip_find(ns, "10.9.0.1/24").scope)   -- ip -j writes it as a string
    assert.are.equal(100, lib_find(ns, "10.9.0.1/24").scope)
    assert.are.equal("integer", math.type(lib_find(ns, "10.9.0.1/24").scope))
    assert.is_truthy(tostring(ns:addrs("va")):find("10.9.0.1/24 dev va scope 100", 1, true))
  end)

  it("writes addresses in their canonical form", function()
    local ns = fresh(false)
    ns:addr_add("va", "2001:0DB8:0000::0001/64", { nodad = true })
    assert.is_truthy(ip_find(ns, "2001:db8::1/64"))
    assert.are.equal("2001:db8::1", lib_find(ns, "2001:db8::1/64")["local"])
    -- a host part beyond the prefix is the address, not the network
    ns:addr_add("va", "10.20.30.40/8")
    assert.is_truthy(ip_find(ns, "10.20.30.40/8"))
  end)

  it("nodad makes an IPv6 address usable at once; without it, it is tentative", function()
    local ns = fresh(true)    -- up with a carrier: duplicate address detection runs
    ns:addr_add("va", "fd00::1/64", { nodad = true })
    ns:addr_add("va", "fd00::2/64")
    local with, without = ip_find(ns, "fd00::1/64"), ip_find(ns, "fd00::2/64")
    assert.is_true(with.nodad)
    assert.is_nil(with.tentative)
    assert.is_true(without.tentative)
    assert.is_nil(without.nodad)
    local mine = lib_find(ns, "fd00::1/64")
    assert.is_true(mine.nodad)
    assert.is_nil(mine.tentative)
    same_as_ip(ns, "va")
  end)

  it("broadcast '+' computes the broadcast address as `ip addr add ... brd +` does", function()
    local ns = fresh(false)
    for i, len in ipairs { 0, 8, 20, 24, 30, 31, 32 } do
      local addr = ("10.%d.2.3/%d"):format(i, len)
      ns:addr_add("va", addr, { broadcast = "+" })            -- the library on va
      local out, ok = H.sh(H.inside(ns) .. "ip addr add " .. addr .. " brd + dev vb 2>&1")
      assert(ok, out)                                         -- ip itself on vb
      local theirs, mine = ip_find(ns, addr, "vb"), ip_find(ns, addr, "va")
      assert.are.equal(theirs.broadcast, mine.broadcast, "broadcast of " .. addr)
      assert.are.equal(theirs.broadcast, lib_find(ns, addr, "va").broadcast)
    end
    assert.are.equal("10.3.15.255", lib_find(ns, "10.3.2.3/20", "va").broadcast)
    same_as_ip(ns)
  end)

  it("sets an explicit broadcast address", function()
    local ns = fresh(false)
    ns:addr_add("va", "10.0.0.1/24", { broadcast = "10.0.0.200" })
    assert.are.equal("10.0.0.200", ip_find(ns, "10.0.0.1/24").broadcast)
    assert.are.equal("10.0.0.200", lib_find(ns, "10.0.0.1/24").broadcast)
  end)

  it("sets a peer address (point to point)", function()
    local ns = fresh(true)
    ns:addr_add("va", "10.9.0.1/32", { peer = "10.9.0.2" })
    ns:addr_add("vb", "fd00:9::1/128", { peer = "fd00:9::2", nodad = true })
    local v4 = ip_find(ns, "10.9.0.1/32")
    assert.are.equal("10.9.0.2", v4.address)
    assert.are.equal("10.9.0.2", lib_find(ns, "10.9.0.1/32").address)
    local v6 = ip_find(ns, "fd00:9::1/128")
    assert.are.equal("fd00:9::2", v6.address)
    assert.are.equal("fd00:9::2", lib_find(ns, "fd00:9::1/128").address)
    same_as_ip(ns)
    -- the peer's route is there, as ip's would be
    local routes = H.ip(ns, "route show dev va")
    assert.are.equal("10.9.0.2", routes[1].dst)
    -- as with `ip addr del`, the peer names which address goes
    assert.is_true(ns:addr_del("va", "10.9.0.1/32", { peer = "10.9.0.2" }))
    assert.is_nil(ip_find(ns, "10.9.0.1/32"))
    assert.is_true(ns:addr_del("vb", "fd00:9::1/128"))
    assert.is_nil(ip_find(ns, "fd00:9::1/128"))
  end)

  it("names IPv6 flags as ip does: temporary, stable-privacy", function()
    local ns = fresh(false)
    ns:sysctl("net.ipv6.conf.va.use_tempaddr", 2)
    ns:sysctl("net.ipv6.conf.vb.stable_secret", "::1")
    ns:link_set("va", { up = true })
    ns:link_set("vb", { up = true })
    H.sh(H.inside(ns) .. "ip addr add fd00::1/64 dev va mngtmpaddr nodad")
    local flags = {}
    for _ = 1, 50 do
      flags = {}
      for _, a in ipairs(ns:addrs()) do
        for _, f in ipairs { "temporary", "secondary", "stable-privacy" } do
          if a[f] then flags[f] = true end
        end
      end
      if flags.temporary and flags["stable-privacy"] then break end
      H.sh("sleep 0.1")
    end
    assert.are.same({ temporary = true, ["stable-privacy"] = true }, flags)
    same_as_ip(ns)
  end)

  it("takes a peer's prefix length, a host's when it has none, as ip does", function()
    local ns = fresh(true)
    ns:addr_add("va", "10.9.0.1/32", { peer = "10.9.0.2/24" })
    ns:addr_add("va", "10.8.0.1/24", { peer = "10.8.0.2" })
    -- with a peer the local address needs no length, and "brd +" follows the peer's
    ns:addr_add("va", "10.5.0.1", { peer = "10.5.0.2/30", broadcast = "+" })
    H.sh(H.inside(ns) .. "ip addr add 10.7.0.1/32 peer 10.7.0.2/24 dev vb")
    H.sh(H.inside(ns) .. "ip addr add 10.6.0.1/24 peer 10.6.0.2 dev vb")
    H.sh(H.inside(ns) .. "ip addr add 10.4.0.1 peer 10.4.0.2/30 brd + dev vb")
    -- a peer outside the local address's network: ip takes its host part
    ns:addr_add("va", "10.17.0.1", { peer = "10.19.0.2/24", broadcast = "+" })
    H.sh(H.inside(ns) .. "ip addr add 10.16.0.1 peer 10.18.0.2/24 brd + dev vb")
    same_as_ip(ns)
    local lens = {}
    for _, a in ipairs(ns:addrs()) do lens[a["local"]] = a.prefixlen end
    assert.are.same({ 24, 32, 24, 32, 30, 30 }, { lens["10.9.0.1"], lens["10.8.0.1"], lens["10.7.0.1"],
      lens["10.6.0.1"], lens["10.5.0.1"], lens["10.4.0.1"] })
    assert.are.equal("10.5.0.3", lib_find(ns, "10.5.0.1/30").broadcast)
    assert.are.equal("10.19.0.255", lib_find(ns, "10.17.0.1/24").broadcast)
    -- the /24 to the peer's network is routed, as for ip's
    local dsts = {}
    for _, r in ipairs(H.ip(ns, "route show dev va")) do dsts[#dsts + 1] = r.dst end
    table.sort(dsts)
    assert.are.same({ "10.19.0.0/24", "10.5.0.0/30", "10.8.0.2", "10.9.0.0/24" }, dsts)
  end)

  it("sets a label", function()
    local ns = fresh(false)
    ns:addr_add("va", "10.0.0.1/24", { label = "va:web" })
    assert.are.equal("va:web", ip_find(ns, "10.0.0.1/24").label)
    assert.are.equal("va:web", lib_find(ns, "10.0.0.1/24").label)
    -- and an address added without one carries the device's name, as ip shows
    ns:addr_add("va", "10.0.1.1/24")
    assert.are.equal("va", lib_find(ns, "10.0.1.1/24").label)
    same_as_ip(ns)
  end)

  it("exist_ok tolerates an address already there and changes nothing", function()
    local ns = fresh(false)
    ns:addr_add("va", "10.0.0.1/24", { label = "va:a" })
    ns:addr_add("va", "fd00::1/64", { nodad = true })
    local before = same_as_ip(ns)
    assert.is_false(ns:addr_add("va", "10.0.0.1/24", { exist_ok = true, label = "va:b" }))
    assert.is_false(ns:addr_add("va", "fd00::1/64", { exist_ok = true, nodad = true }))
    assert.are.same(before, same_as_ip(ns))
    -- a new address with exist_ok is simply added
    assert.is_true(ns:addr_add("va", "10.0.0.2/24", { exist_ok = true }))
    assert.is_truthy(ip_find(ns, "10.0.0.2/24"))
  end)

  it("missing_ok tolerates an address that is not there", function()
    local ns = fresh(false)
    ns:addr_add("va", "10.0.0.1/24")
    local before = same_as_ip(ns)
    assert.is_false(ns:addr_del("va", "10.0.0.9/24", { missing_ok = true }))
    assert.is_false(ns:addr_del("va", "fd00::9/64", { missing_ok = true }))
    -- nor is one on a device that is not there
    assert.is_false(ns:addr_del("nope", "10.0.0.1/24", { missing_ok = true }))
    assert.are.same(before, same_as_ip(ns))
    -- an address that is there is deleted
    assert.is_true(ns:addr_del("va", "10.0.0.1/24", { missing_ok = true }))
    assert.is_nil(ip_find(ns, "10.0.0.1/24"))
  end)
end)

describe("link shorthands", function()
  it("l:addr_add and l:addr_del act on that link and return it re-read", function()
    local ns, va = fresh(false)
    local l = va:addr_add("10.0.0.1/24")
    assert.are.equal(va.ifindex, l.ifindex)
    assert.are.equal("va", l.ifname)
    assert.are.equal(ns, l.ns)
    l = l:addr_add("fd00::1/64", { nodad = true })
    assert.are.equal("va", l.ifname)
    assert.is_truthy(ip_find(ns, "10.0.0.1/24"))
    assert.is_true(ip_find(ns, "fd00::1/64").nodad)
    assert.are.equal(va.ifindex, ip_find(ns, "10.0.0.1/24").ifindex)
    same_as_ip(ns, "va")
    l = l:addr_del("10.0.0.1/24")
    assert.are.equal("va", l.ifname)
    assert.is_nil(ip_find(ns, "10.0.0.1/24"))
    l:addr_del("fd00::1/64")
    assert.are.same({}, ip_addrs(ns, "va"))
    assert.are.same({}, ns:addrs("va"))
  end)
end)

describe("address errors", function()
  -- Runs @fn, which must fail with @msg, and checks that it changed nothing:
  -- addresses (by ip), descriptors, the thread's namespace.
  local function fails_cleanly(ns, msg, extack, fn)
    local addrs, fd0, where = ip_addrs(ns), fds(), H.thread_ns()
    raises(msg, extack, fn)
    table.sort(addrs, by_address)
    local now = ip_addrs(ns)
    table.sort(now, by_address)
    assert.are.same(addrs, now)
    assert.are.equal(fd0, fds())
    assert.are.equal(where, H.thread_ns())
  end

  local function with_addresses()
    local ns, va, vb = fresh(false)
    ns:addr_add("va", "10.0.0.1/24")
    ns:addr_add("va", "fd00::1/64", { nodad = true })
    return ns, va, vb
  end

  it("malformed CIDRs are argument errors", function()
    local ns = with_addresses()
    local cases = {
      { "10.0.0.1/33", "prefix length must be 0 to 32" },
      { "300.1.1.1/24", "not an IPv4 or IPv6 address" },
      { "fe80::1/129", "prefix length must be 0 to 128" },
      { "10.0.0.1", "missing prefix length" },
      { "fd00::5", "missing prefix length" },
      { "10.0.0.1/", "prefix length must be 0 to 32" },
      { "10.0.0.1/24x", "prefix length must be 0 to 32" },
      { "10.0.0.1/-1", "prefix length must be 0 to 32" },
      { "10.0.0/24", "not an IPv4 or IPv6 address" },
      { "fd00:::1/64", "not an IPv4 or IPv6 address" },
      { "", "not an IPv4 or IPv6 address" },
    }
    for _, c in ipairs(cases) do
      local cidr, why = c[1], c[2]
      for _, f in ipairs { "addr_add", "addr_del" } do
        fails_cleanly(ns, ("bad argument #2 to '%s' (invalid CIDR \"%s\": %s)"):format(f, cidr, why),
          false, function() ns[f](ns, "va", cidr) end)
      end
    end
  end)

  it("wrong argument types are argument errors", function()
    local ns = with_addresses()
    local cases = {
      { "bad argument #2 to 'addr_add' (string expected, got nil)",
        function() ns:addr_add("va", nil) end },
      { "bad argument #2 to 'addr_add' (string expected, got table)",
        function() ns:addr_add("va", {}) end },
      { "bad argument #1 to 'addr_add' (string, integer or link record expected, got table)",
        function() ns:addr_add({}, "10.0.0.2/24") end },
      { "bad argument #1 to 'addr_add' (string, integer or link record expected, got boolean)",
        function() ns:addr_add(true, "10.0.0.2/24") end },
      { "bad argument #1 to 'addr_add' (invalid interface index)",
        function() ns:addr_add(0, "10.0.0.2/24") end },
      { "bad argument #3 to 'addr_add' (table expected, got string)",
        function() ns:addr_add("va", "10.0.0.2/24", "nodad") end },
      { "bad argument #3 to 'addr_add' (unknown option 'bogus')",
        function() ns:addr_add("va", "10.0.0.2/24", { bogus = true }) end },
      { "bad argument #3 to 'addr_del' (unknown option 'bogus')",
        function() ns:addr_del("va", "10.0.0.1/24", { bogus = true }) end },
      { "bad argument #3 to 'addr_add' (option 'nodad' must be a boolean, got string)",
        function() ns:addr_add("va", "fd00::2/64", { nodad = "yes" }) end },
      { "bad argument #3 to 'addr_add' (option 'label' must be a string, got number)",
        function() ns:addr_add("va", "10.0.0.2/24", { label = 1 }) end },
      { "bad argument #3 to 'addr_add' (peer of another family)",
        function() ns:addr_add("va", "10.0.0.2/24", { peer = "fd00::2" }) end },
      { "bad argument #3 to 'addr_add' (invalid address \"x\": not an IPv4 or IPv6 address)",
        function() ns:addr_add("va", "10.0.0.2/24", { broadcast = "x" }) end },
      { "bad argument #3 to 'addr_add' (invalid broadcast \"fd00::1\": not an IPv4 address)",
        function() ns:addr_add("va", "10.0.0.2/24", { broadcast = "fd00::1" }) end },
      { "bad argument #3 to 'addr_add' (invalid broadcast \"10.0.0.255/8\": not a single address)",
        function() ns:addr_add("va", "10.0.0.2/24", { broadcast = "10.0.0.255/8" }) end },
      { "bad argument #3 to 'addr_add' (option 'broadcast' is for IPv4 addresses only)",
        function() ns:addr_add("va", "fd00::2/64", { broadcast = "fd00::ff" }) end },
    }
    for _, c in ipairs(cases) do fails_cleanly(ns, c[1], false, c[2]) end
  end)

  it("an unknown scope name is an error about argument #3", function()
    local ns = with_addresses()
    local addrs = ip_addrs(ns)
    local ok, err = pcall(function() ns:addr_add("va", "10.0.0.2/24", { scope = "bogus" }) end)
    assert.is_false(ok)
    err = tostring(err):gsub("^[^:]+:%d+: ", "")
    assert.is_truthy(err:match("^bad argument #3 to 'addr_add' %(.*scope.*bogus"), err)
    assert.are.equal(#addrs, #ip_addrs(ns))
  end)

  it("an address on a missing device names the device, the namespace and ENODEV", function()
    local ns = with_addresses()
    fails_cleanly(ns, ("netns: address add 10.0.0.2/24 dev nope (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:addr_add("nope", "10.0.0.2/24") end)
    fails_cleanly(ns, ("netns: address del 10.0.0.1/24 dev nope (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:addr_del("nope", "10.0.0.1/24") end)
    fails_cleanly(ns, ("netns: address add 10.0.0.2/24 dev 4242 (in %s): No such device [ENODEV]"):format(ns.name),
      true, function() ns:addr_add(4242, "10.0.0.2/24") end)
    fails_cleanly(ns, ("netns: address add fd00::2/64 dev 4242 (in %s): No such device [ENODEV]"):format(ns.name),
      true, function() ns:addr_add(4242, "fd00::2/64") end)
    fails_cleanly(ns, ("netns: address del fd00::1/64 dev 4242 (in %s): No such device [ENODEV]"):format(ns.name),
      true, function() ns:addr_del(4242, "fd00::1/64") end)
  end)

  it("a duplicate address is EEXIST, for IPv4 and IPv6", function()
    local ns = with_addresses()
    fails_cleanly(ns, ("netns: address add 10.0.0.1/24 dev va (in %s): File exists [EEXIST]"):format(ns.name),
      true, function() ns:addr_add("va", "10.0.0.1/24") end)
    fails_cleanly(ns, ("netns: address add fd00::1/64 dev va (in %s): File exists [EEXIST]"):format(ns.name),
      true, function() ns:addr_add("va", "fd00::1/64", { nodad = true }) end)
    -- other options do not make it another address
    fails_cleanly(ns, ("netns: address add 10.0.0.1/24 dev va (in %s): File exists [EEXIST]"):format(ns.name),
      true, function() ns:addr_add("va", "10.0.0.1/24", { label = "va:x", broadcast = "+" }) end)
  end)

  it("deleting a missing address is EADDRNOTAVAIL", function()
    local ns = with_addresses()
    local text = "netns: address del %s (in %s): Cannot assign requested address [EADDRNOTAVAIL]"
    fails_cleanly(ns, text:format("10.0.0.9/24 dev va", ns.name), true,
      function() ns:addr_del("va", "10.0.0.9/24") end)
    fails_cleanly(ns, text:format("fd00::9/64 dev va", ns.name), true,
      function() ns:addr_del("va", "fd00::9/64") end)
    -- there, but on the other device
    fails_cleanly(ns, text:format("10.0.0.1/24 dev vb", ns.name), true,
      function() ns:addr_del("vb", "10.0.0.1/24") end)
  end)

  it("a failure through the link shorthand raises the same error", function()
    local ns, va = with_addresses()
    fails_cleanly(ns, ("netns: address add 10.0.0.1/24 dev va (in %s): File exists [EEXIST]"):format(ns.name),
      true, function() va:addr_add("10.0.0.1/24") end)
    -- the options are l:addr_add's argument #2
    fails_cleanly(ns, "bad argument #2 to 'addr_add' (option 'exist_ok' must be a boolean, got string)",
      false, function() va:addr_add("10.0.0.9/24", { exist_ok = "no" }) end)
    fails_cleanly(ns, "bad argument #2 to 'addr_del' (unknown option 'exist_ok')",
      false, function() va:addr_del("10.0.0.9/24", { exist_ok = true }) end)
    -- the CIDR is l:addr_add's argument #1
    fails_cleanly(ns, "bad argument #1 to 'addr_add' (invalid CIDR \"10.0.0.1/33\": prefix length must be 0 to 32)",
      false, function() va:addr_add("10.0.0.1/33") end)
  end)
end)
