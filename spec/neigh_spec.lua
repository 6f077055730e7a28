-- Neighbours (ARP and NDP): ns:neighbors, ns:neigh_add, ns:neigh_del.
-- Every check reads the table back from the kernel through the library and
-- through `ip -j neigh show`, and compares the two.

local netns = require "netns"
local H = require "helper"
local json = require "dkjson"

---------------------------------------------------------------------------
-- Local helpers


-- Open descriptors of this process.
local fds = H.fd_count

local same = H.same

local function by_entry(a, b)
  if a.dev ~= b.dev then return (a.dev or "") < (b.dev or "") end
  return a.dst < b.dst
end

-- `ip -j [FAMILY] neigh show ARGS` in @ns (@args may begin with -4 or -6).
-- ip prints a flag such as "router" as a JSON null; records carry it as true.
-- Shown for one device, ip leaves "dev" out; it is put back.
local function ip_neigh(ns, args)
  local family, rest = (args or ""):match("^%s*(%-[46]?)%s*(.*)$")
  if not family then family, rest = "", args or "" end
  local cmd = ("ip -j %s neigh show %s"):format(family, rest)
  local text, ok = H.sh(H.inside(ns) .. cmd .. " 2>&1")
  assert(ok, cmd .. " failed: " .. text)
  local out = {}
  for _, e in ipairs(text:match("^%s*$") and {} or assert(json.decode(text, 1, json.null))) do
    local rec = { dev = rest:match("dev%s+(%S+)") }   -- ip leaves out what it filtered on
    for k, v in pairs(e) do
      if v == json.null then rec[k] = true else rec[k] = v end
    end
    out[#out + 1] = rec
  end
  table.sort(out, by_entry)
  return out
end

-- The library's entries (with @opts) and ip's (with @args), read while the
-- table holds still: ip before and after the library, until they agree.
local function both(ns, opts, args)
  for _ = 1, 20 do
    local before = ip_neigh(ns, args)
    local mine = ns:neighbors(opts)
    local after = ip_neigh(ns, args)
    if same(before, after) then
      table.sort(mine, by_entry)
      return mine, before
    end
    H.sh("sleep 0.1")
  end
  error("the neighbours of " .. tostring(ns) .. " never held still")
end

-- Asserts that ns:neighbors(@opts) lists what `ip -j neigh show @args nud all`
-- does (every state, NOARP included); returns the list.
local function same_as_ip(ns, opts, args)
  local mine, theirs = both(ns, opts, (args or "") .. " nud all")
  assert.are.same(theirs, mine)
  return mine
end

local function find(list, dst, dev)
  for _, e in ipairs(list) do
    if e.dst == dst and (not dev or e.dev == dev) then return e end
  end
  return nil
end

local seq = 0

-- @n fresh named namespaces, all removed when the test ends; that they
-- leave no descriptor behind is checked then.
local function namespaces(n, tag)
  local fd0 = fds()
  local list = {}
  finally(function()
    for _, ns in ipairs(list) do
      local name = ns.name
      ns:delete()
      assert.is_false(netns.exists(name))
    end
    assert.are.equal(fd0, fds())
  end)
  for i = 1, n do
    seq = seq + 1
    list[i] = netns.add(("%s-%d-%d"):format(tag, os.time() % 100000, seq))
  end
  return table.unpack(list)
end

-- A namespace holding the veth pair va/vb, down (nothing moves by itself).
local function fresh()
  local ns = namespaces(1, "neigh")
  local va, vb = ns:veth("va", "vb")
  return ns, va, vb
end

-- Two namespaces joined by a veth a0 -- b0, up, with 10.1.0.1/24 and
-- 10.1.0.2/24 and fd01::1/64 and fd01::2/64.
local function pair()
  local a, b = namespaces(2, "nn")
  local a0, b0 = a:veth("a0", "b0", { peer_ns = b })
  a:addr_add("a0", "10.1.0.1/24")
  a:addr_add("a0", "fd01::1/64", { nodad = true })
  b:addr_add("b0", "10.1.0.2/24")
  b:addr_add("b0", "fd01::2/64", { nodad = true })
  a0, b0 = a0:up(), b0:up()
  return a, b, a0, b0
end

local function raises(msg, extack, fn)
  H.raises_in("neigh_spec%.lua", msg, extack, fn)
end

---------------------------------------------------------------------------

describe("ns:neighbors", function()
  it("lists the entries as ip -j neigh show nud all does", function()
    local ns, _, vb = fresh()
    ns:neigh_add { dst = "10.0.0.9", dev = "va", lladdr = "02:00:00:00:00:01" }
    ns:neigh_add { dst = "10.0.0.10", dev = "vb", lladdr = "02:00:00:00:00:0A", state = "stale" }
    ns:neigh_add { dst = "10.0.0.11", dev = vb.ifindex, state = "noarp" }
    ns:neigh_add { dst = "fd00::9", dev = "va", lladdr = "02:00:00:00:00:02", router = true }
    ns:neigh_add { dst = "fe80::1", dev = "vb", lladdr = "02:00:00:00:00:03", state = "reachable" }
    local list = same_as_ip(ns)
    assert.are.equal(5, #list)
    local e = find(list, "10.0.0.10")
    assert.are.same({ dst = "10.0.0.10", dev = "vb", lladdr = "02:00:00:00:00:0a",
                      state = { "STALE" } }, e)
    assert.is_true(find(list, "fd00::9").router)
    assert.is_nil(find(list, "10.0.0.9").router)
  end)

  it("lists an entry in no state without one, as ip does", function()
    local ns = fresh()
    H.sh(H.inside(ns) .. "ip neigh add 10.0.0.77 dev va nud none")
    local list = same_as_ip(ns)
    local e = find(list, "10.0.0.77")
    assert.are.same({ dst = "10.0.0.77", dev = "va" }, e)
    assert.are.equal("10.0.0.77 dev va", tostring(e))
    -- and the library makes one as ip's "nud none" does
    ns:neigh_add { dst = "10.0.0.78", dev = "va", lladdr = "02:00:00:00:00:78", state = "none" }
    assert.are.same({ dst = "10.0.0.78", dev = "va" }, find(same_as_ip(ns), "10.0.0.78"))
  end)

  it("holds ip's default listing too, which leaves out NOARP entries", function()
    local ns = fresh()
    ns:neigh_add { dst = "10.0.0.9", dev = "va", lladdr = "02:00:00:00:00:01" }
    ns:neigh_add { dst = "10.0.0.11", dev = "va", state = "noarp" }
    local mine, theirs = both(ns, nil, "")
    local shown = {}
    for _, e in ipairs(mine) do
      if e.state[1] ~= "NOARP" then shown[#shown + 1] = e end
    end
    assert.are.same(theirs, shown)
    assert.are.same({ "NOARP" }, find(mine, "10.0.0.11").state)
  end)

  it("lists the proxy entries with proxy = true, as ip neigh show proxy does", function()
    local ns = fresh()
    ns:neigh_add { dst = "10.0.0.99", dev = "va", proxy = true }
    ns:neigh_add { dst = "fd00::99", dev = "vb", proxy = true }
    ns:neigh_add { dst = "10.0.0.9", dev = "va", lladdr = "02:00:00:00:00:01" }
    local mine, theirs = both(ns, { proxy = true }, "proxy")
    assert.are.same(theirs, mine)
    assert.are.same({ { dst = "10.0.0.99", dev = "va", proxy = true },
                      { dst = "fd00::99", dev = "vb", proxy = true } }, mine)
    assert.are.equal("10.0.0.99 dev va proxy", tostring(mine[1]))
    mine, theirs = both(ns, { proxy = true, family = "inet6" }, "-6 proxy")
    assert.are.same(theirs, mine)
    assert.are.equal(1, #mine)
    -- the other entries are not proxies, and the default listing has no proxy
    local rest = same_as_ip(ns)
    assert.are.same({ 1, "10.0.0.9", nil }, { #rest, rest[1].dst, rest[1].proxy })
  end)

  it("filters by device (name or ifindex) and by family", function()
    local ns, va, vb = fresh()
    ns:neigh_add { dst = "10.0.0.9", dev = "va", lladdr = "02:00:00:00:00:01" }
    ns:neigh_add { dst = "fd00::9", dev = "va", lladdr = "02:00:00:00:00:02" }
    ns:neigh_add { dst = "10.0.0.10", dev = "vb", lladdr = "02:00:00:00:00:03" }
    ns:neigh_add { dst = "fd00::10", dev = "vb", lladdr = "02:00:00:00:00:04" }
    assert.are.equal(2, #same_as_ip(ns, { dev = "va" }, "dev va"))
    assert.are.equal(2, #same_as_ip(ns, { dev = vb.ifindex }, "dev vb"))
    local v6 = same_as_ip(ns, { family = "inet6" }, "-6")
    assert.are.equal(2, #v6)
    for _, e in ipairs(v6) do assert.is_truthy(e.dst:find(":", 1, true)) end
    local one = same_as_ip(ns, { dev = va.ifindex, family = "inet" }, "-4 dev va")
    assert.are.same({ { dst = "10.0.0.9", dev = "va", lladdr = "02:00:00:00:00:01",
                        state = { "PERMANENT" } } }, one)
    assert.are.equal(4, #same_as_ip(ns, { family = "all" }))
  end)

  it("after a ping across a veth, each end has the other's MAC", function()
    local a, b, a0, b0 = pair()
    assert.are.same({}, ip_neigh(a, "dev a0 to 10.1.0.2"))
    assert.are.same({ true, "exit", 0 },
      { a:exec({ "ping", "-c1", "-W2", "10.1.0.2" }, { stdout = "null" }) })
    local theirs = find(same_as_ip(b, { dev = "b0" }, "dev b0"), "10.1.0.1")
    assert.are.equal(a0.address, theirs.lladdr)
    assert.are.equal("b0", theirs.dev)
    local mine = find(same_as_ip(a, { dev = "a0" }, "dev a0"), "10.1.0.2")
    assert.are.equal(b0.address, mine.lladdr)
    for _, e in ipairs { theirs, mine } do
      assert.are.equal(1, #e.state)
      assert.is_truthy(({ REACHABLE = 1, STALE = 1, DELAY = 1, PROBE = 1 })[e.state[1]],
        "state " .. e.state[1])
    end
    same_as_ip(a)
    same_as_ip(b)
  end)

  it("after an IPv6 ping across a veth, each end has the other's MAC", function()
    local a, b, a0, b0 = pair()
    assert.are.same({ true, "exit", 0 },
      { a:exec({ "ping", "-6", "-c1", "-W2", "fd01::2" }, { stdout = "null" }) })
    local theirs = find(same_as_ip(b, { family = "inet6" }, "-6"), "fd01::1", "b0")
    assert.are.equal(a0.address, theirs.lladdr)
    local mine = find(same_as_ip(a, { family = "inet6", dev = "a0" }, "-6 dev a0"), "fd01::2")
    assert.are.equal(b0.address, mine.lladdr)
  end)
end)

describe("ns:neigh_add and ns:neigh_del", function()
  it("add a PERMANENT IPv4 entry by default and delete it", function()
    local ns = fresh()
    assert.is_true(ns:neigh_add { dst = "192.0.2.7", lladdr = "02:aa:bb:cc:dd:ee", dev = "va" })
    assert.are.same({ { dst = "192.0.2.7", dev = "va", lladdr = "02:aa:bb:cc:dd:ee",
                        state = { "PERMANENT" } } }, ip_neigh(ns, "dev va nud all"))
    same_as_ip(ns)
    assert.is_true(ns:neigh_del { dst = "192.0.2.7", dev = "va" })
    assert.are.same({}, ip_neigh(ns, "nud all"))
    assert.are.same({}, ns:neighbors())
  end)

  it("add and delete an IPv6 entry, the device given by ifindex, with a state", function()
    local ns, _, vb = fresh()
    assert.is_true(ns:neigh_add { dst = "2001:db8::7", lladdr = "02:00:00:00:00:07",
                                  dev = vb.ifindex, state = "STALE", router = true })
    assert.are.same({ { dst = "2001:db8::7", dev = "vb", lladdr = "02:00:00:00:00:07",
                        router = true, state = { "STALE" } } }, ip_neigh(ns, "-6 dev vb nud all"))
    same_as_ip(ns)
    assert.is_true(ns:neigh_del { dst = "2001:db8::7", dev = vb.ifindex })
    assert.are.same({}, ip_neigh(ns, "-6 nud all"))
    assert.is_nil(find(ns:neighbors(), "2001:db8::7"))
  end)

  it("takes state names in either case, as ip does", function()
    local ns = fresh()
    ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01", dev = "va", state = "reachable" }
    ns:neigh_add { dst = "10.0.0.2", lladdr = "02:00:00:00:00:02", dev = "va", state = "Stale" }
    ns:neigh_add { dst = "10.0.0.3", dev = "va", state = "NOARP" }
    ns:neigh_add { dst = "10.0.0.4", lladdr = "02:00:00:00:00:04", dev = "va", state = "permanent" }
    local list = same_as_ip(ns)
    assert.are.same({ "STALE" }, find(list, "10.0.0.2").state)
    assert.are.same({ "NOARP" }, find(list, "10.0.0.3").state)
    assert.are.same({ "PERMANENT" }, find(list, "10.0.0.4").state)
    assert.is_truthy(({ REACHABLE = 1, STALE = 1 })[find(list, "10.0.0.1").state[1]])
  end)

  it("a neighbour added by the library answers traffic: no ARP is sent for it", function()
    local a, b, _, b0 = pair()
    a:neigh_add { dst = "10.1.0.2", lladdr = b0.address, dev = "a0" }
    assert.is_true((a:exec({ "ping", "-c1", "-W2", "10.1.0.2" }, { stdout = "null" })))
    local e = find(same_as_ip(a, { dev = "a0" }, "dev a0"), "10.1.0.2")
    assert.are.same({ "PERMANENT" }, e.state)
    assert.are.equal(b0.address, e.lladdr)
    same_as_ip(b)
  end)

  it("deletes the entry a record describes, a proxy one as well, and no other", function()
    local ns = fresh()
    ns:neigh_add { dst = "10.0.0.9", lladdr = "02:00:00:00:00:01", dev = "va" }
    ns:neigh_add { dst = "10.0.0.9", lladdr = "02:00:00:00:00:02", dev = "vb" }
    ns:neigh_add { dst = "2001:db8::9", lladdr = "02:00:00:00:00:03", dev = "va", state = "stale" }
    ns:neigh_add { dst = "10.0.0.9", dev = "va", proxy = true }
    local target = find(ns:neighbors(), "10.0.0.9", "va")
    assert.is_true(ns:neigh_del(target))
    assert.are.same({ { dst = "10.0.0.9", dev = "vb", lladdr = "02:00:00:00:00:02",
                        state = { "PERMANENT" } } }, ip_neigh(ns, "-4 nud all"))
    assert.are.same({ { dst = "10.0.0.9", dev = "va", proxy = true } }, ip_neigh(ns, "proxy"))
    local proxy = ns:neighbors { proxy = true }[1]
    assert.is_true(ns:neigh_del(proxy))
    assert.are.same({}, ip_neigh(ns, "proxy"))
    assert.is_true(ns:neigh_del(find(ns:neighbors(), "2001:db8::9")))
    assert.is_false(ns:neigh_del(target, { missing_ok = true }))
    raises(("netns: neighbor del 10.0.0.9 dev va (in %s): No such file or directory [ENOENT]"):format(ns.name),
      nil, function() ns:neigh_del(target) end)
    raises("bad argument #2 to 'neigh_del' (unknown option 'exist_ok')", nil,
      function() ns:neigh_del(target, { exist_ok = true }) end)
    assert.are.same({ { dst = "10.0.0.9", dev = "vb", lladdr = "02:00:00:00:00:02",
                        state = { "PERMANENT" } } }, same_as_ip(ns))
  end)

  it("exist_ok and missing_ok tolerate what is already so", function()
    local ns = fresh()
    ns:neigh_add { dst = "10.0.0.9", lladdr = "02:00:00:00:00:01", dev = "va" }
    local before = same_as_ip(ns)
    assert.is_false(ns:neigh_add { dst = "10.0.0.9", lladdr = "02:00:00:00:00:01", dev = "va",
                                   exist_ok = true })
    assert.is_false(ns:neigh_del { dst = "10.0.0.99", dev = "va", missing_ok = true })
    assert.is_false(ns:neigh_del { dst = "10.0.0.9", dev = "nope", missing_ok = true })
    assert.are.same(before, same_as_ip(ns))
  end)
end)

describe("neighbour errors", function()
  -- Runs @fn, which must fail with @msg, and checks that it changed
  -- nothing: the table (by ip), descriptors, the thread's namespace.
  -- The entries a call made: those the kernel makes by itself for multicast
  -- (ff02::16 as a link comes up) may come at any time.
  local function entries(ns)
    local out = {}
    for _, e in ipairs(ip_neigh(ns, "nud all")) do
      local kernels = e.dst:match("^ff") and e.state and e.state[1] == "NOARP"
      if not kernels then out[#out + 1] = e end
    end
    return out
  end

  local function fails_cleanly(ns, msg, extack, fn)
    local table0, fd0, where = entries(ns), fds(), H.thread_ns()
    raises(msg, extack, fn)
    assert.are.same(table0, entries(ns))
    assert.are.equal(fd0, fds())
    assert.are.equal(where, H.thread_ns())
  end

  local function with_entries()
    local ns, va, vb = fresh()
    ns:neigh_add { dst = "10.0.0.9", lladdr = "02:00:00:00:00:01", dev = "va" }
    ns:neigh_add { dst = "fd00::9", lladdr = "02:00:00:00:00:02", dev = "va" }
    return ns, va, vb
  end

  it("deleting a missing neighbour is ENOENT", function()
    local ns = with_entries()
    local text = "netns: neighbor del %s (in %s): No such file or directory [ENOENT]"
    fails_cleanly(ns, text:format("10.0.0.77 dev va", ns.name), true,
      function() ns:neigh_del { dst = "10.0.0.77", dev = "va" } end)
    fails_cleanly(ns, text:format("fd00::77 dev va", ns.name), true,
      function() ns:neigh_del { dst = "fd00::77", dev = "va" } end)
    -- there, but on the other device
    fails_cleanly(ns, text:format("10.0.0.9 dev vb", ns.name), true,
      function() ns:neigh_del { dst = "10.0.0.9", dev = "vb" } end)
  end)

  it("adding an entry twice is EEXIST", function()
    local ns = with_entries()
    fails_cleanly(ns, ("netns: neighbor add 10.0.0.9 dev va (in %s): File exists [EEXIST]"):format(ns.name),
      true, function() ns:neigh_add { dst = "10.0.0.9", lladdr = "02:00:00:00:00:01", dev = "va" } end)
    -- a proxy entry too (the kernel takes the second without a word), which exist_ok tolerates
    assert.are.equal(1, select("#", ns:neigh_add { dst = "10.0.0.8", dev = "va", proxy = true }))
    fails_cleanly(ns, ("netns: neighbor add 10.0.0.8 dev va (in %s): File exists [EEXIST]"):format(ns.name),
      false, function() ns:neigh_add { dst = "10.0.0.8", dev = "va", proxy = true } end)
    assert.is_false(ns:neigh_add { dst = "10.0.0.8", dev = "va", proxy = true, exist_ok = true })
    assert.is_true(ns:neigh_replace { dst = "10.0.0.8", dev = "va", proxy = true })
    assert.are.equal(1, #ns:neighbors { proxy = true })
  end)

  it("a bad link-layer address is an argument error", function()
    local ns = with_entries()
    for _, mac in ipairs { "zz", "02:00:00:00:00:0g", "02-00-00", "02:00:00:00:00:001", "" } do
      fails_cleanly(ns, ("bad argument #1 to 'neigh_add' (invalid link-layer address \"%s\")"):format(mac),
        false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = mac, dev = "va" } end)
    end
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (option 'lladdr' must be a string, got number)",
      false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = 2, dev = "va" } end)
  end)

  it("a link-layer address shorter than the device's is EINVAL from the kernel", function()
    local ns = with_entries()
    fails_cleanly(ns, ("netns: neighbor add 10.0.0.1 dev va (in %s): Invalid argument [EINVAL]"):format(ns.name),
      true, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00", dev = "va" } end)
    -- over an entry in state none, which stays
    assert.is_true(ns:neigh_add { dst = "10.0.0.5", dev = "va", state = "none" })
    for _, op in ipairs { "add", "replace" } do
      fails_cleanly(ns, ("netns: neighbor %s 10.0.0.5 dev va (in %s): Invalid argument [EINVAL]"):format(op, ns.name),
        true, function() ns["neigh_" .. op](ns, { dst = "10.0.0.5", lladdr = "02", dev = "va" }) end)
    end
  end)

  it("a state that needs a link-layer address, given none, is EINVAL and leaves no entry", function()
    -- (the kernel makes the entry before it finds the address missing, and keeps it;
    -- where no route leads to the destination, it takes it for a broadcast one instead)
    local ns = with_entries()
    ns:addr_add("va", "10.0.0.1/24")
    ns:addr_add("va", "fd00::1/64", { nodad = true })
    ns:link_set("va", { up = true })
    local text = "netns: neighbor %s %s dev va (in %s): Invalid argument [EINVAL]"
    for _, op in ipairs { "add", "replace" } do
      for _, dst in ipairs { "10.0.0.6", "fd00::6" } do
        fails_cleanly(ns, text:format(op, dst, ns.name), true,
          function() ns["neigh_" .. op](ns, { dst = dst, dev = "va" }) end)
      end
    end
    -- so the retry with the address makes it
    assert.is_true(ns:neigh_add { dst = "10.0.0.6", dev = "va", lladdr = "02:00:00:00:00:06" })
    -- and a replace that fails so leaves an entry that was there, in state none too
    assert.is_true(ns:neigh_add { dst = "10.0.0.5", dev = "va", state = "none" })
    assert.is_true(ns:neigh_add { dst = "fd00::5", dev = "va", state = "none" })
    for _, dst in ipairs { "10.0.0.5", "fd00::5" } do
      fails_cleanly(ns, text:format("replace", dst, ns.name), true,
        function() ns:neigh_replace { dst = dst, dev = "va" } end)
    end
  end)

  it("a bad state name is an argument error", function()
    local ns = with_entries()
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (invalid neighbor state \"bogus\")",
      false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01",
                                       dev = "va", state = "bogus" } end)
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (option 'state' must be a string, got number)",
      false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01",
                                       dev = "va", state = 128 } end)
  end)

  it("a missing or unknown device is an error", function()
    local ns = with_entries()
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (option 'dev' is required)",
      false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01" } end)
    fails_cleanly(ns, "bad argument #1 to 'neigh_del' (option 'dev' is required)",
      false, function() ns:neigh_del { dst = "10.0.0.9" } end)
    fails_cleanly(ns, ("netns: neighbor add 10.0.0.1 dev nope (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01", dev = "nope" } end)
    fails_cleanly(ns, ("netns: neighbor show dev nope (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:neighbors { dev = "nope" } end)
    -- the kernel lists nothing for a missing index rather than fail
    fails_cleanly(ns, ("netns: neighbor show dev 999 (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:neighbors { dev = 999 } end)
    fails_cleanly(ns, ("netns: neighbor show proxy dev 999 (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:neighbors { dev = 999, proxy = true } end)
    assert.are.same({}, ns:neighbors { dev = 1 }) -- there, with no entries
    -- a record of a link gone since names it as it knew it
    local gone = ns:veth("gone0", "gone1")
    gone:delete()
    fails_cleanly(ns, ("netns: neighbor show dev gone0 (in %s): No such device [ENODEV]"):format(ns.name),
      false, function() ns:neighbors { dev = gone } end)
    fails_cleanly(ns, ("netns: neighbor replace 10.0.0.1 dev nope (in %s): No such device [ENODEV]")
      :format(ns.name),
      false, function() ns:neigh_replace { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01", dev = "nope" } end)
    for _, dev in ipairs { 0, -3, 1.5 } do
      fails_cleanly(ns, "bad argument #1 to 'neigh_add' (option 'dev': invalid interface index)",
        false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01", dev = dev } end)
      fails_cleanly(ns, "bad argument #1 to 'neighbors' (option 'dev': invalid interface index)",
        false, function() ns:neighbors { dev = dev } end)
    end
  end)

  it("a wrongly typed device is an error about the option table, argument #1", function()
    local ns = with_entries()
    local want = "bad argument #1 to '%s' (option 'dev' must be a string, an integer or a link record, got %s)"
    fails_cleanly(ns, want:format("neigh_add", "table"),
      false, function() ns:neigh_add { dst = "10.0.0.1", lladdr = "02:00:00:00:00:01", dev = {} } end)
    fails_cleanly(ns, want:format("neigh_del", "boolean"),
      false, function() ns:neigh_del { dst = "10.0.0.9", dev = true } end)
    fails_cleanly(ns, want:format("neighbors", "table"),
      false, function() ns:neighbors { dev = {} } end)
  end)

  it("a bad destination is an argument error", function()
    local ns = with_entries()
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (option 'dst' is required)",
      false, function() ns:neigh_add { lladdr = "02:00:00:00:00:01", dev = "va" } end)
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (invalid address \"10.0.0.300\": not an IPv4 or IPv6 address)",
      false, function() ns:neigh_add { dst = "10.0.0.300", lladdr = "02:00:00:00:00:01", dev = "va" } end)
    fails_cleanly(ns, "bad argument #1 to 'neigh_del' (option 'dst' must be a string, got number)",
      false, function() ns:neigh_del { dst = 10, dev = "va" } end)
  end)

  it("a destination with a prefix length is an argument error, as in ip", function()
    local ns = with_entries()
    local table0 = ip_neigh(ns, "nud all")
    local ok, err = pcall(function()
      ns:neigh_add { dst = "10.0.0.1/24", lladdr = "02:00:00:00:00:01", dev = "va" }
    end)
    assert.are.same(table0, ip_neigh(ns, "nud all"), "an entry was added")
    assert.is_false(ok)
    err = tostring(err):gsub("^[^:]+:%d+: ", "")
    assert.are.equal("bad argument #1 to 'neigh_add' (invalid address \"10.0.0.1/24\"",
      err:sub(1, #"bad argument #1 to 'neigh_add' (invalid address \"10.0.0.1/24\""))
  end)

  it("wrong option tables are argument errors", function()
    local ns = with_entries()
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (table expected, got string)",
      false, function() ns:neigh_add("10.0.0.1") end)
    fails_cleanly(ns, "bad argument #1 to 'neigh_add' (unknown option 'mac')",
      false, function() ns:neigh_add { dst = "10.0.0.1", mac = "02:00:00:00:00:01", dev = "va" } end)
    fails_cleanly(ns, "bad argument #1 to 'neighbors' (table expected, got string)",
      false, function() ns:neighbors("va") end)
    fails_cleanly(ns, "bad argument #1 to 'neighbors' (unknown option 'bogus')",
      false, function() ns:neighbors { bogus = 1 } end)
  end)

  it("an unknown family is an error about argument #1", function()
    local ns = with_entries()
    local ok, err = pcall(function() ns:neighbors { family = "ipx" } end)
    assert.is_false(ok)
    err = tostring(err):gsub("^[^:]+:%d+: ", "")
    assert.is_truthy(err:match("^bad argument #1 to 'neighbors' %(.*family.*ipx"), err)
  end)
end)
